/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-audience-view.h"
#include "canopy-error.h"
#include "canopy-chat-view.h"
#include "canopy-room-side.h"
#include "canopy-tree-view.h"
#include "canopy-video-paintable.h"
#include "canopy-shell-test.h"
#include "canopy-test-moderation.h"
/* Only to read what password a node was given: CanopyNode has no getter for it, on purpose. */
#include "canopy-node-private.h"

#include <stdlib.h>
#include <string.h>

#define TIMEOUT_SECONDS 30

static char *server_url;

static gboolean
node_is_live (gpointer data)
{
  return canopy_node_get_state (CANOPY_NODE (data)) == CANOPY_NODE_STATE_LIVE;
}

static gboolean
node_has_ended (gpointer data)
{
  return canopy_node_get_state (CANOPY_NODE (data)) == CANOPY_NODE_STATE_ENDED;
}

static void
on_closed (GtkWidget *view,
           gboolean  *closed)
{
  *closed = TRUE;
}

static GtkWidget *
child (GtkWidget  *view,
       const char *name)
{
  return canopy_test_template_child (view, CANOPY_TYPE_AUDIENCE_VIEW, name);
}

static GtkWidget *
side_child (GtkWidget  *view,
            const char *name)
{
  return canopy_test_template_child (child (view, "side"), CANOPY_TYPE_ROOM_SIDE, name);
}

static gboolean
has_frames (gpointer data)
{
  return canopy_video_paintable_get_frames (
           canopy_audience_view_get_paintable (CANOPY_AUDIENCE_VIEW (data))) > 10;
}

static gboolean
has_chat (gpointer data)
{
  return canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (side_child (data, "chat_view"))) >= 1;
}

static gboolean
tree_has_two (gpointer data)
{
  return canopy_tree_view_get_n_nodes (CANOPY_TREE_VIEW (side_child (data, "tree_view"))) == 2;
}

static gboolean
status_has_depth (gpointer data)
{
  const char *text = gtk_label_get_text (GTK_LABEL (child (data, "status_label")));

  return strstr (text, "Depth 1") != NULL;
}

static gboolean
shows_ended (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (child (data, "stack"))),
                    "ended") == 0;
}

static gboolean
shows_lost (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (child (data, "stack"))),
                    "lost") == 0;
}

/* A host taking @k1 viewers itself, live on @url. */
static CanopyNode *
start_host_on (const char *url,
               guint       k1)
{
  CanopyNode *host = canopy_node_new (CANOPY_NODE_ROLE_HOST, url);

  g_object_set (host, "name", "The Host", "title", "Audience view test", "width", 320,
                "height", 240, "listed", FALSE, "k1", k1, NULL);
  canopy_node_start (host);
  canopy_test_wait_for (node_is_live, host, TIMEOUT_SECONDS, "the host to go live");
  g_assert_nonnull (canopy_node_get_room_id (host));
  return host;
}

static CanopyNode *
start_host (void)
{
  return start_host_on (server_url, 4);
}

static CanopyNode *
make_viewer_on (const char *url,
                const char *room_id)
{
  CanopyNode *viewer = canopy_node_new (CANOPY_NODE_ROLE_VIEWER, url);

  g_object_set (viewer, "name", "Viewer <b>One</b>", "room-id", room_id, NULL);
  return viewer;
}

static CanopyNode *
make_viewer (const char *room_id)
{
  return make_viewer_on (server_url, room_id);
}

/* A viewer that is no view's, attached in the room (and taking @capacity children). */
static CanopyNode *
start_relay (CanopyNode *host,
             guint       capacity)
{
  CanopyNode *relay = make_viewer (canopy_node_get_room_id (host));

  g_object_set (relay, "name", "The Relay", "capacity", capacity, NULL);
  canopy_node_start (relay);
  canopy_test_wait_for (node_is_live, relay, TIMEOUT_SECONDS, "the relay to join");
  return relay;
}

static GtkWidget *
show_in_window (GtkWidget *view)
{
  GtkWidget *window = gtk_window_new ();

  g_object_ref (view);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static const char *
status_text (GtkWidget *view)
{
  return gtk_label_get_text (GTK_LABEL (child (view, "status_label")));
}

static gboolean
status_is_reconnecting (gpointer data)
{
  return g_strcmp0 (status_text (data), "Reconnecting to the server…") == 0;
}

static gboolean
node_is_connected (gpointer data)
{
  gboolean connected = FALSE;

  g_object_get (data, "connected", &connected, NULL);
  return connected;
}

typedef struct {
  GtkWidget *view;
  guint64 frames;
} Frames;

static gboolean
has_more_frames (gpointer data)
{
  Frames *frames = data;

  return canopy_video_paintable_get_frames (
           canopy_audience_view_get_paintable (CANOPY_AUDIENCE_VIEW (frames->view))) >
         frames->frames;
}

static void
wait_for_more_frames (GtkWidget  *view,
                      guint       more,
                      const char *what)
{
  Frames frames = { view, 0 };

  frames.frames = canopy_video_paintable_get_frames (
                    canopy_audience_view_get_paintable (CANOPY_AUDIENCE_VIEW (view))) + more;
  canopy_test_wait_for (has_more_frames, &frames, TIMEOUT_SECONDS, what);
}

static gboolean
shows_toast (GtkWidget *view)
{
  return canopy_test_find (child (view, "toast_overlay"), canopy_test_is_toast, NULL) != NULL;
}

/* Every text the status line and the stack showed, in order, for what passes too fast to wait
 * for. */
typedef struct {
  GPtrArray *statuses;
  GPtrArray *pages;
} Seen;

static void
on_status_label_notify (GtkLabel   *label,
                        GParamSpec *pspec,
                        Seen       *seen)
{
  g_ptr_array_add (seen->statuses, g_strdup (gtk_label_get_text (label)));
}

static void
on_stack_notify (GtkStack   *stack,
                 GParamSpec *pspec,
                 Seen       *seen)
{
  g_ptr_array_add (seen->pages, g_strdup (gtk_stack_get_visible_child_name (stack)));
}

static gboolean
seen_has (GPtrArray  *texts,
          const char *text)
{
  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (g_ptr_array_index (texts, i), text) == 0)
      return TRUE;
  return FALSE;
}

static void
test_accessible (void)
{
  g_autoptr (CanopyNode) viewer = make_viewer ("nosuchroom");
  GtkWidget *view = g_object_ref_sink (canopy_audience_view_new (viewer));

  g_assert_true (canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)) == viewer);
  g_assert_true (CANOPY_IS_VIDEO_PAINTABLE (
    canopy_audience_view_get_paintable (CANOPY_AUDIENCE_VIEW (view))));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "leave_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "leave_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Leave the room");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "mute_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "mute_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Mute");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "volume_scale")),
                                   GTK_ACCESSIBLE_ROLE_SLIDER);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "volume_scale")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Volume");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (view, "status_label"))), ==,
                   "Connecting…");
  g_assert_finalize_object (view);
}

/* A room that does not exist: "Connection lost", and Rejoin tries again with a new node. */
static void
test_unknown_room (void)
{
  g_autoptr (CanopyNode) viewer = make_viewer ("nosuchroom");
  GtkWidget *view = g_object_ref_sink (canopy_audience_view_new (viewer));
  CanopyNode *again;

  canopy_test_wait_for (shows_lost, view, TIMEOUT_SECONDS, "the Connection lost page");
  /* The person reads the node's own error (escaped: the description is markup). */
  {
    const GError *last = canopy_node_get_last_error (viewer);
    g_autofree char *escaped = NULL;

    g_assert_nonnull (last);
    escaped = g_markup_escape_text (last->message, -1);
    g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (child (view, "lost_page"))),
                     ==, escaped);
  }
  g_signal_emit_by_name (child (view, "rejoin_button"), "clicked");
  again = canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view));
  g_assert_true (again != viewer);
  g_assert_cmpstr (canopy_node_get_room_id (again), ==, "nosuchroom");
  {
    g_autofree char *name = NULL;
    g_autofree char *url = NULL;

    g_object_get (again, "name", &name, "server-url", &url, NULL);
    g_assert_cmpstr (name, ==, "Viewer <b>One</b>");
    g_assert_cmpstr (url, ==, server_url);
  }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (view, "stack"))), ==,
                   "room");
  canopy_test_wait_for (shows_lost, view, TIMEOUT_SECONDS, "the Connection lost page again");
  g_assert_finalize_object (view);
}

/* Volume and mute are the node's: the controls set them, show them, and a rejoin's node keeps
 * them and stays bound while the old one is let go. */
static void
test_volume_mute (void)
{
  g_autoptr (CanopyNode) viewer = make_viewer ("nosuchroom");
  GtkWidget *view = g_object_ref_sink (canopy_audience_view_new (viewer));
  GtkRange *scale = GTK_RANGE (child (view, "volume_scale"));
  GtkToggleButton *mute = GTK_TOGGLE_BUTTON (child (view, "mute_button"));
  CanopyNode *again;

  g_assert_cmpfloat (gtk_range_get_value (scale), ==, 1.0);
  g_assert_false (gtk_toggle_button_get_active (mute));

  gtk_range_set_value (scale, 0.25);
  g_assert_cmpfloat (canopy_node_get_volume (viewer), ==, 0.25);
  gtk_toggle_button_set_active (mute, TRUE);
  g_assert_true (canopy_node_get_muted (viewer));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (mute)), ==, "Unmute");
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (mute)), ==,
                   "audio-volume-muted-symbolic");

  /* And the other way: the node's values show. */
  canopy_node_set_volume (viewer, 0.75);
  g_assert_cmpfloat (gtk_range_get_value (scale), ==, 0.75);
  canopy_node_set_muted (viewer, FALSE);
  g_assert_false (gtk_toggle_button_get_active (mute));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (mute)), ==, "Mute");
  gtk_toggle_button_set_active (mute, TRUE);

  canopy_test_wait_for (shows_lost, view, TIMEOUT_SECONDS, "the Connection lost page");
  g_signal_emit_by_name (child (view, "rejoin_button"), "clicked");
  again = canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view));
  g_assert_true (again != viewer);
  g_assert_cmpfloat (canopy_node_get_volume (again), ==, 0.75);
  g_assert_true (canopy_node_get_muted (again));
  g_assert_cmpfloat (gtk_range_get_value (scale), ==, 0.75);
  g_assert_true (gtk_toggle_button_get_active (mute));

  gtk_range_set_value (scale, 0.5);
  gtk_toggle_button_set_active (mute, FALSE);
  g_assert_cmpfloat (canopy_node_get_volume (again), ==, 0.5);
  g_assert_false (canopy_node_get_muted (again));
  /* The old node is no longer bound. */
  g_assert_cmpfloat (canopy_node_get_volume (viewer), ==, 0.75);
  g_assert_true (canopy_node_get_muted (viewer));
  canopy_node_set_volume (viewer, 0.1);
  g_assert_cmpfloat (gtk_range_get_value (scale), ==, 0.5);

  canopy_test_wait_for (shows_lost, view, TIMEOUT_SECONDS, "the Connection lost page again");
  g_assert_finalize_object (view);
}

typedef struct {
  GstBin *pipeline;
  double volume;
  gboolean mute;
} VolumeCheck;

/* The node's playback volume element (the one before the audio sink) has these values. */
static gboolean
volume_element_has (gpointer data)
{
  VolumeCheck *check = data;
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (check->pipeline);
  GValue item = G_VALUE_INIT;
  gboolean found = FALSE;
  gboolean all = TRUE;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *element = g_value_get_object (&item);
    GstElementFactory *factory = gst_element_get_factory (element);

    if (factory != NULL &&
        g_strcmp0 (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)), "volume") == 0) {
      double volume = 0;
      gboolean mute = FALSE;

      g_object_get (element, "volume", &volume, "mute", &mute, NULL);
      found = TRUE;
      /* The element keeps its volume as a float. */
      all = all && G_APPROX_VALUE (volume, check->volume, 1e-6) && mute == check->mute;
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  return found && all;
}

static void
test_watch_room (void)
{
  g_autoptr (CanopyNode) host = start_host ();
  g_autoptr (CanopyNode) viewer = make_viewer (canopy_node_get_room_id (host));
  g_autoptr (GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_audience_view_new (viewer);
  gboolean closed = FALSE;
  const char *status;

  g_object_ref (view);
  g_signal_connect (view, "closed", G_CALLBACK (on_closed), &closed);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));

  canopy_test_wait_for (has_frames, view, TIMEOUT_SECONDS,
                        "more than 10 decoded frames in the audience view");
  g_assert_cmpint (canopy_node_get_state (viewer), ==, CANOPY_NODE_STATE_LIVE);

  canopy_test_wait_for (status_has_depth, view, TIMEOUT_SECONDS, "the status line to show depth 1");
  status = gtk_label_get_text (GTK_LABEL (child (view, "status_label")));
  g_assert_nonnull (strstr (status, "watching via The Host"));
  g_assert_nonnull (strstr (status, "relaying to 0"));

  canopy_test_wait_for (tree_has_two, view, TIMEOUT_SECONDS, "the tree to show two nodes");

  g_assert_true (canopy_node_send_chat (host, "hello from the host", &error));
  g_assert_no_error (error);
  canopy_test_wait_for (has_chat, view, TIMEOUT_SECONDS, "the host's chat message in the view");

  /* Volume and mute work without an audio device (CANOPY_NO_AUDIO): the controls reach the
   * node's playback, whatever sink it ends in. */
  gtk_range_set_value (GTK_RANGE (child (view, "volume_scale")), 0.5);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (view, "mute_button")), TRUE);
  g_assert_cmpfloat (canopy_node_get_volume (viewer), ==, 0.5);
  g_assert_true (canopy_node_get_muted (viewer));
  {
    GstElement *video_sink = canopy_video_paintable_get_sink (
      canopy_audience_view_get_paintable (CANOPY_AUDIENCE_VIEW (view)));
    g_autoptr (GstObject) pipeline = gst_object_get_parent (GST_OBJECT (video_sink));
    VolumeCheck check = { NULL, 0.5, TRUE };

    g_assert_true (GST_IS_BIN (pipeline));
    check.pipeline = GST_BIN (pipeline);
    canopy_test_wait_for (volume_element_has, &check, TIMEOUT_SECONDS,
                          "the playback volume at 0.5, muted");
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (view, "mute_button")), FALSE);
    gtk_range_set_value (GTK_RANGE (child (view, "volume_scale")), 0.8);
    check.volume = 0.8;
    check.mute = FALSE;
    canopy_test_wait_for (volume_element_has, &check, TIMEOUT_SECONDS,
                          "the playback volume at 0.8, unmuted");
  }

  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the host ended the room page");
  g_assert_false (closed);
  g_signal_emit_by_name (child (view, "back_button"), "clicked");
  g_assert_true (closed);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

/* The server goes away while the viewer watches: the status line says the node is
 * reconnecting, with no lost page and no toast, and a server on the same address brings the
 * normal status and the video back by themselves. */
static void
test_server_lost (void)
{
  CanopySignalServer *server = canopy_test_start_local_server (0, TIMEOUT_SECONDS);
  guint port = canopy_signal_server_get_port (server);
  g_autofree char *url = canopy_signal_server_get_url (server);
  g_autoptr (CanopyNode) host = start_host_on (url, 4);
  g_autoptr (CanopyNode) viewer = make_viewer_on (url, canopy_node_get_room_id (host));
  GtkWidget *view = canopy_audience_view_new (viewer);
  GtkWidget *window = show_in_window (view);

  canopy_test_wait_for (has_frames, view, TIMEOUT_SECONDS, "the video in the audience view");
  canopy_test_wait_for (status_has_depth, view, TIMEOUT_SECONDS, "the status line to show depth 1");
  g_assert_true (node_is_connected (viewer));
  g_assert_false (shows_toast (view));

  canopy_signal_server_stop (server);
  g_clear_object (&server);
  canopy_test_wait_for (status_is_reconnecting, view, TIMEOUT_SECONDS,
                        "the status line to say the node is reconnecting");
  g_assert_false (node_is_connected (viewer));
  /* The room goes on without the server: the video keeps coming from the host. */
  wait_for_more_frames (view, 10, "10 more frames without the server");
  g_assert_cmpint (canopy_node_get_state (viewer), ==, CANOPY_NODE_STATE_LIVE);
  /* Several failed attempts later (the backoff starts at 250 ms) it still only says so. */
  canopy_test_spin (1500);
  g_assert_true (status_is_reconnecting (view));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (view, "stack"))), ==,
                   "room");
  g_assert_false (shows_toast (view));

  server = canopy_test_start_local_server (port, TIMEOUT_SECONDS);
  canopy_test_wait_for (node_is_connected, viewer, TIMEOUT_SECONDS,
                        "the viewer back on the server");
  canopy_test_wait_for (status_has_depth, view, TIMEOUT_SECONDS,
                        "the normal status line again");
  g_assert_false (status_is_reconnecting (view));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child (view, "stack"))), ==,
                   "room");
  wait_for_more_frames (view, 10, "10 more frames after the server came back");

  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the host ended the room page");
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
  canopy_signal_server_stop (server);
  g_object_unref (server);
}

/* The viewer's relay leaves: the status line says it is being moved, never the lost page, and
 * once placed again it shows where it watches from and the video goes on. */
static void
test_relay_left (void)
{
  g_autoptr (CanopyNode) host = start_host_on (server_url, 1);
  g_autoptr (CanopyNode) relay = start_relay (host, 1);
  g_autoptr (CanopyNode) viewer = make_viewer (canopy_node_get_room_id (host));
  g_autoptr (GPtrArray) statuses = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) pages = g_ptr_array_new_with_free_func (g_free);
  Seen seen = { statuses, pages };
  GtkWidget *view = canopy_audience_view_new (viewer);
  GtkWidget *window = show_in_window (view);

  canopy_test_wait_for (has_frames, view, TIMEOUT_SECONDS, "the video through the relay");
  g_assert_cmpint (canopy_node_get_depth (viewer), ==, 2);
  g_assert_cmpstr (canopy_node_get_parent_id (viewer), ==, canopy_node_get_peer_id (relay));

  g_signal_connect (child (view, "status_label"), "notify::label",
                    G_CALLBACK (on_status_label_notify), &seen);
  g_signal_connect (child (view, "stack"), "notify::visible-child-name",
                    G_CALLBACK (on_stack_notify), &seen);
  canopy_node_leave (relay);
  canopy_test_wait_for (status_has_depth, view, TIMEOUT_SECONDS,
                        "the viewer placed under the host");
  g_assert_true (seen_has (statuses, "Your relay left — moving you…"));
  g_assert_cmpuint (pages->len, ==, 0);
  g_assert_nonnull (strstr (status_text (view), "watching via The Host"));
  wait_for_more_frames (view, 10, "10 more frames after the move");
  g_signal_handlers_disconnect_by_data (child (view, "status_label"), &seen);
  g_signal_handlers_disconnect_by_data (child (view, "stack"), &seen);

  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the host ended the room page");
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
  canopy_test_wait_for (node_has_ended, relay, TIMEOUT_SECONDS, "the relay to end");
}

/* No place left in the tree: the lost page says so in the node's words, as plain text. */
static void
test_room_full (void)
{
  g_autoptr (CanopyNode) host = start_host_on (server_url, 1);
  g_autoptr (CanopyNode) first = start_relay (host, 0);
  g_autoptr (CanopyNode) viewer = make_viewer (canopy_node_get_room_id (host));
  GtkWidget *view = g_object_ref_sink (canopy_audience_view_new (viewer));
  const GError *last;

  canopy_test_wait_for (shows_lost, view, TIMEOUT_SECONDS, "the Connection lost page");
  last = canopy_node_get_last_error (viewer);
  g_assert_error (last, CANOPY_ERROR, CANOPY_ERROR_ROOM_FULL);
  g_assert_cmpstr (last->message, ==, "The room is full");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (child (view, "lost_page"))),
                   ==, "The room is full");
  g_assert_false (shows_toast (view));
  g_assert_finalize_object (view);

  canopy_node_leave (host);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
  canopy_test_wait_for (node_has_ended, first, TIMEOUT_SECONDS, "the first viewer to end");
}

static gboolean
shows_page (GtkWidget  *view,
            const char *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (child (view, "stack"))), name) ==
         0;
}

static gboolean
shows_removed (gpointer data)
{
  return shows_page (data, "removed");
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

    if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
      return ADW_MESSAGE_DIALOG (window);
  }
  return NULL;
}

typedef struct {
  GtkWidget *root;
  const char *name;
  gboolean muted;
} MutedMark;

static gboolean
has_muted_mark (gpointer data)
{
  MutedMark *mark = data;
  GtkLabel *label = canopy_test_find_mapped_label (mark->root, mark->name);

  return label != NULL && canopy_test_shows_muted (label) == mark->muted;
}

/* A viewer's panes: who is host, who is muted (the host's signed list), and no menus at all. */
static void
test_moderation_seen (void)
{
  g_autoptr (CanopyNode) host = start_host ();
  g_autoptr (CanopyNode) viewer = make_viewer (canopy_node_get_room_id (host));
  g_autoptr (GError) error = NULL;
  GtkWidget *view = canopy_audience_view_new (viewer);
  GtkWidget *window = show_in_window (view);
  GtkWidget *tree = side_child (view, "tree_view");
  GtkWidget *chat = side_child (view, "chat_view");
  GtkWidget *stack = side_child (view, "stack");
  MutedMark mark = { tree, "Viewer <b>One</b>", TRUE };

  canopy_test_wait_for (tree_has_two, view, TIMEOUT_SECONDS, "the tree to show two nodes");
  g_assert_false (canopy_tree_view_get_can_moderate (CANOPY_TREE_VIEW (tree)));
  g_assert_false (canopy_chat_view_get_can_moderate (CANOPY_CHAT_VIEW (chat)));
  /* The actions do nothing on a viewer's side. */
  gtk_widget_activate_action (tree, "room.mute", "s", canopy_node_get_peer_id (host));
  canopy_test_spin (200);
  g_assert_false (canopy_node_is_peer_muted (viewer, canopy_node_get_peer_id (host)));

  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "tree");
  canopy_test_spin (300);
  g_assert_nonnull (canopy_test_find_mapped_label (tree, "Host"));
  g_assert_null (canopy_test_person_menu_of (canopy_test_find_mapped_label (tree, "The Host")));
  g_assert_null (canopy_test_person_menu_of (
    canopy_test_find_mapped_label (tree, "Viewer <b>One</b>")));

  /* The host mutes this viewer: its own tree marks it. */
  canopy_node_mute_peer (host, canopy_node_get_peer_id (viewer), TRUE);
  canopy_test_wait_for (has_muted_mark, &mark, TIMEOUT_SECONDS, "the viewer's own muted mark");
  g_assert_true (canopy_node_is_peer_muted (viewer, canopy_node_get_peer_id (viewer)));

  /* The host's message: its badge, no menu. */
  g_assert_true (canopy_node_send_chat (host, "hello", &error));
  g_assert_no_error (error);
  canopy_test_wait_for (has_chat, view, TIMEOUT_SECONDS, "the host's message");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "chat");
  canopy_test_spin (300);
  g_assert_null (canopy_test_person_menu_of (canopy_test_find_mapped_label (chat, "The Host")));
  g_assert_nonnull (canopy_test_find_mapped_label (chat, "Host"));

  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the host ended the room page");
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

/* What the view shows for an end it cannot bring about itself: the node's signals as the node
 * emits them (see canopy-node-signalling.c: "kicked", and join-rejected for the room's rules),
 * on a viewer that is live in a real room so that nothing else ends it meanwhile. */
static GtkWidget *
live_view (CanopyNode  *host,
           CanopyNode **viewer)
{
  GtkWidget *view;

  /* The node of a view before, ended for real. */
  if (*viewer != NULL)
    canopy_node_leave (*viewer);
  g_clear_object (viewer);
  *viewer = make_viewer (canopy_node_get_room_id (host));
  view = g_object_ref_sink (canopy_audience_view_new (*viewer));
  canopy_test_wait_for (node_is_live, *viewer, TIMEOUT_SECONDS, "the viewer to join");
  return view;
}

static void
emit_refusal (CanopyNode  *node,
              CanopyError  code,
              const char  *message)
{
  g_autoptr (GError) error = g_error_new_literal (CANOPY_ERROR, code, message);

  g_signal_emit_by_name (node, "error", error);
  g_signal_emit_by_name (node, "left", CANOPY_END_REASON_FAILED);
}

/* Removed by the host (its node ended "removed"), or refused for it later: the removed page in
 * plain words, no Rejoin. */
static void
test_removed (void)
{
  g_autoptr (CanopyNode) host = start_host ();
  g_autoptr (CanopyNode) viewer = NULL;
  GtkWidget *view = live_view (host, &viewer);
  AdwStatusPage *page;
  gboolean closed = FALSE;

  g_signal_connect (view, "closed", G_CALLBACK (on_closed), &closed);
  g_signal_emit_by_name (viewer, "left", CANOPY_END_REASON_REMOVED);
  g_assert_true (shows_removed (view));
  page = ADW_STATUS_PAGE (child (view, "removed_page"));
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "The host removed you from this room");
  g_assert_cmpstr (adw_status_page_get_description (page), ==,
                   "You cannot join this room again.");
  g_assert_null (canopy_test_find (GTK_WIDGET (page), canopy_test_is_button_with_label,
                                   "Rejoin"));
  g_assert_false (closed);
  g_signal_emit_by_name (canopy_test_find (GTK_WIDGET (page), canopy_test_is_button_with_label,
                                           "Back to rooms"),
                         "clicked");
  g_assert_true (closed);
  g_assert_finalize_object (view);

  /* A removed key that tries again. */
  view = live_view (host, &viewer);
  emit_refusal (viewer, CANOPY_ERROR_BANNED, "Der Gastgeber hat dich entfernt");
  g_assert_true (shows_removed (view));
  g_assert_false (shows_toast (view));
  g_assert_finalize_object (view);

  canopy_node_leave (viewer);
  canopy_node_leave (host);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

/* Locked, or a password needed or wrong: the lost page under its own title; for a password, a
 * dialog asks for it and the view joins again with a new node that carries it (and its rejoins
 * too); cancelled, Rejoin asks again. */
static void
test_refused (void)
{
  g_autoptr (CanopyNode) host = start_host ();
  g_autoptr (CanopyNode) viewer = NULL;
  GtkWidget *view = live_view (host, &viewer);
  AdwStatusPage *lost = ADW_STATUS_PAGE (child (view, "lost_page"));
  AdwMessageDialog *dialog;
  GtkEditable *entry;
  CanopyNode *again;

  emit_refusal (viewer, CANOPY_ERROR_ROOM_LOCKED, "The room is locked: it takes no newcomers");
  g_assert_true (shows_lost (view));
  g_assert_cmpstr (adw_status_page_get_title (lost), ==, "The room is locked");
  g_assert_cmpstr (adw_status_page_get_description (lost), ==,
                   "The host lets no newcomers in right now. Try again later.");
  g_assert_null (find_message_dialog ());
  g_assert_false (shows_toast (view));
  g_assert_finalize_object (view);

  view = live_view (host, &viewer);
  lost = ADW_STATUS_PAGE (child (view, "lost_page"));
  emit_refusal (viewer, CANOPY_ERROR_PASSWORD_NEEDED, "This room needs a password");
  g_assert_true (shows_lost (view));
  g_assert_cmpstr (adw_status_page_get_title (lost), ==, "This room needs a password");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Password Needed");
  entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_assert_true (GTK_IS_PASSWORD_ENTRY (entry));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "join"));
  /* Cancelled: the page stays, and Rejoin asks again instead of failing the same way. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)) == viewer);
  g_signal_emit_by_name (child (view, "rejoin_button"), "clicked");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_true (canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)) == viewer);
  entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  gtk_editable_set_text (entry, "open sesame");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "join"));
  adw_message_dialog_response (dialog, "join");
  gtk_window_destroy (GTK_WINDOW (dialog));
  again = canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view));
  g_assert_true (again != viewer);
  g_assert_cmpstr (again->password, ==, "open sesame");
  g_assert_cmpstr (canopy_node_get_room_id (again), ==, canopy_node_get_room_id (host));
  g_assert_true (shows_page (view, "room"));
  canopy_test_wait_for (node_is_live, again, TIMEOUT_SECONDS, "the new node to join");

  /* Wrong: says so, and asks again. */
  emit_refusal (again, CANOPY_ERROR_PASSWORD_WRONG, "Wrong password for this room");
  g_assert_cmpstr (adw_status_page_get_title (lost), ==, "Wrong password for this room");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Wrong Password");
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "sesame");
  adw_message_dialog_response (dialog, "join");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpstr (canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view))->password, ==,
                   "sesame");
  canopy_test_wait_for (node_is_live, canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)),
                        TIMEOUT_SECONDS, "the third node to join");

  /* A lost connection's Rejoin keeps the password. */
  g_signal_emit_by_name (canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)), "left",
                         CANOPY_END_REASON_SERVER_LOST);
  g_assert_true (shows_lost (view));
  g_assert_cmpstr (adw_status_page_get_title (lost), ==, "Connection lost");
  g_assert_null (find_message_dialog ());
  g_signal_emit_by_name (child (view, "rejoin_button"), "clicked");
  g_assert_cmpstr (canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view))->password, ==,
                   "sesame");
  canopy_test_wait_for (node_is_live, canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)),
                        TIMEOUT_SECONDS, "the fourth node to join");

  canopy_node_leave (viewer);
  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the ended page");
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

/* --- the same against the server's rules --- */

static gboolean
dialog_says (gpointer data)
{
  AdwMessageDialog *dialog = find_message_dialog ();

  return dialog != NULL && g_strcmp0 (adw_message_dialog_get_heading (dialog), data) == 0;
}

/* Types @password into the password dialog and joins: what the person does. */
static void
answer_password (const char *password)
{
  AdwMessageDialog *dialog = find_message_dialog ();

  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), password);
  adw_message_dialog_response (dialog, "join");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The host removes the viewer: the removed page; its key is refused from then on. */
static void
test_removed_by_host (void)
{
  g_autoptr (CanopyNode) host = start_host ();
  g_autoptr (CanopyNode) viewer = make_viewer (canopy_node_get_room_id (host));
  g_autoptr (CanopyNode) again = NULL;
  GtkWidget *view = canopy_audience_view_new (viewer);
  GtkWidget *window = show_in_window (view);
  GtkWidget *view2;

  canopy_test_wait_for (node_is_live, viewer, TIMEOUT_SECONDS, "the viewer to join");
  canopy_node_kick (host, canopy_node_get_peer_id (viewer));
  canopy_test_wait_for (shows_removed, view, TIMEOUT_SECONDS, "the removed page");
  g_assert_cmpint (canopy_node_get_state (viewer), ==, CANOPY_NODE_STATE_ENDED);
  g_assert_false (shows_toast (view));

  /* The same key, as a Rejoin would: refused, the same page. */
  again = canopy_node_new_rejoin (viewer);
  view2 = g_object_ref_sink (canopy_audience_view_new (again));
  canopy_test_wait_for (shows_removed, view2, TIMEOUT_SECONDS, "the removed page again");
  g_assert_error (canopy_node_get_last_error (again), CANOPY_ERROR, CANOPY_ERROR_BANNED);
  g_assert_false (shows_toast (view2));
  g_assert_finalize_object (view2);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_node_leave (host);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

/* A locked room: the locked page; unlocked, Rejoin gets in. */
static void
test_locked_room (void)
{
  g_autoptr (CanopyNode) host = start_host ();
  g_autoptr (CanopyNode) viewer = make_viewer (canopy_node_get_room_id (host));
  GtkWidget *view;
  AdwStatusPage *lost;

  canopy_node_set_locked (host, TRUE);
  canopy_test_spin (200);
  view = g_object_ref_sink (canopy_audience_view_new (viewer));
  lost = ADW_STATUS_PAGE (child (view, "lost_page"));
  canopy_test_wait_for (shows_lost, view, TIMEOUT_SECONDS, "the locked page");
  g_assert_cmpstr (adw_status_page_get_title (lost), ==, "The room is locked");
  g_assert_null (find_message_dialog ());
  g_assert_false (shows_toast (view));

  canopy_node_set_locked (host, FALSE);
  canopy_test_spin (200);
  g_signal_emit_by_name (child (view, "rejoin_button"), "clicked");
  canopy_test_wait_for (node_is_live, canopy_audience_view_get_node (CANOPY_AUDIENCE_VIEW (view)),
                        TIMEOUT_SECONDS, "the viewer to join the unlocked room");
  g_assert_true (shows_page (view, "room"));

  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the ended page");
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

/* A room with a password: asked for, a wrong one asked again, the right one lets the viewer in
 * and the video comes. */
static void
test_password_room (void)
{
  g_autoptr (CanopyNode) host = canopy_node_new (CANOPY_NODE_ROLE_HOST, server_url);
  g_autoptr (CanopyNode) viewer = NULL;
  GtkWidget *view;
  GtkWidget *window;

  g_object_set (host, "name", "The Host", "title", "Password test", "width", 320, "height", 240,
                "listed", FALSE, NULL);
  canopy_node_set_password (host, "open sesame");
  canopy_node_start (host);
  canopy_test_wait_for (node_is_live, host, TIMEOUT_SECONDS, "the host to go live");

  viewer = make_viewer (canopy_node_get_room_id (host));
  view = canopy_audience_view_new (viewer);
  window = show_in_window (view);
  canopy_test_wait_for (dialog_says, (gpointer) "Password Needed", TIMEOUT_SECONDS,
                        "the password dialog");
  g_assert_true (shows_lost (view));
  answer_password ("open says me");
  canopy_test_wait_for (dialog_says, (gpointer) "Wrong Password", TIMEOUT_SECONDS,
                        "the wrong password dialog");
  answer_password ("open sesame");
  canopy_test_wait_for (has_frames, view, TIMEOUT_SECONDS, "the video with the right password");
  g_assert_true (shows_page (view, "room"));
  g_assert_null (find_message_dialog ());

  canopy_node_leave (host);
  canopy_test_wait_for (shows_ended, view, TIMEOUT_SECONDS, "the ended page");
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_test_wait_for (node_has_ended, host, TIMEOUT_SECONDS, "the host to end");
}

int
main (int   argc,
      char *argv[])
{
  setenv ("CANOPY_NO_AUDIO", "1", TRUE);
  canopy_test_init_ui (&argc, &argv);
  gst_init (NULL, NULL);

  canopy_test_add_spared ("/audience-view/accessible", test_accessible);
  canopy_test_add_spared ("/audience-view/unknown-room", test_unknown_room);
  canopy_test_add_spared ("/audience-view/volume-mute", test_volume_mute);
  canopy_test_add_spared ("/audience-view/watch-room", test_watch_room);
  canopy_test_add_spared ("/audience-view/server-lost", test_server_lost);
  canopy_test_add_spared ("/audience-view/relay-left", test_relay_left);
  canopy_test_add_spared ("/audience-view/room-full", test_room_full);
  canopy_test_add_spared ("/audience-view/moderation-seen", test_moderation_seen);
  canopy_test_add_spared ("/audience-view/removed", test_removed);
  canopy_test_add_spared ("/audience-view/refused", test_refused);
  canopy_test_add_spared ("/audience-view/removed-by-host", test_removed_by_host);
  canopy_test_add_spared ("/audience-view/locked-room", test_locked_room);
  canopy_test_add_spared ("/audience-view/password-room", test_password_room);
  return canopy_test_run_with_server (&server_url);
}
