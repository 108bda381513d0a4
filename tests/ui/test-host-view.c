/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-error.h"
#include "canopy-host-view.h"
#include "canopy-room-side.h"
#include "canopy-video-paintable.h"
#include "canopy-shell-test.h"
#include "canopy-test-moderation.h"
#include "canopy-chat-view.h"
#include "canopy-tree-view.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMEOUT_SECONDS 30

static char *server_url;

typedef struct {
  CanopyNode *node;
  CanopyVideoPaintable *paintable;
  guint64 frames;
} Watch;

static gboolean
is_live (gpointer data)
{
  return canopy_node_get_state (((Watch *) data)->node) == CANOPY_NODE_STATE_LIVE;
}

static gboolean
files_off (gpointer data)
{
  return !canopy_node_get_files_allowed (data);
}

static gboolean
files_on (gpointer data)
{
  return canopy_node_get_files_allowed (data);
}

static gboolean
files_up_to_one_mib (gpointer data)
{
  return canopy_node_get_file_max_size (data) == 1024 * 1024;
}

static gboolean
is_ended (gpointer data)
{
  return canopy_node_get_state (((Watch *) data)->node) == CANOPY_NODE_STATE_ENDED;
}

static gboolean
has_more_frames (gpointer data)
{
  Watch *watch = data;

  return canopy_video_paintable_get_frames (watch->paintable) > watch->frames;
}

static void
on_closed (GtkWidget *view,
           gboolean  *closed)
{
  *closed = TRUE;
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

static gboolean
has_message_dialog (gpointer data)
{
  return find_message_dialog () != NULL;
}

static GtkWidget *
child (GtkWidget  *view,
       const char *name)
{
  return canopy_test_template_child (view, CANOPY_TYPE_HOST_VIEW, name);
}

static gboolean
shows_error (gpointer data)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (child (data, "error_revealer")));
}

static const char *
label_text (GtkWidget  *view,
            const char *name)
{
  return gtk_label_get_text (GTK_LABEL (child (view, name)));
}

static CanopyNode *
make_host_on (const char *url)
{
  CanopyNode *node = canopy_node_new (CANOPY_NODE_ROLE_HOST, url);

  g_object_set (node, "name", "Test Host", "title", "Host view test", "width", 320, "height", 240,
                "listed", FALSE, NULL);
  return node;
}

static CanopyNode *
make_host (void)
{
  return make_host_on (server_url);
}

static gboolean
node_is_connected (gpointer data)
{
  gboolean connected = FALSE;

  g_object_get (data, "connected", &connected, NULL);
  return connected;
}

static gboolean
shows_reconnecting (gpointer data)
{
  GtkWidget *status = child (data, "status_label");

  return gtk_widget_get_visible (status) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (status)), "Reconnecting to the server…") == 0;
}

static gboolean
shows_only_live (gpointer data)
{
  return gtk_widget_get_visible (child (data, "live_label")) &&
         !gtk_widget_get_visible (child (data, "status_label"));
}

static gboolean
shows_toast (GtkWidget *view)
{
  return canopy_test_find (child (view, "toast_overlay"), canopy_test_is_toast, NULL) != NULL;
}

static void
test_new_destroy (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  GtkWidget *view = canopy_host_view_new (node);
  g_autofree char *source = NULL;

  g_object_ref_sink (view);
  g_assert_true (canopy_host_view_get_node (CANOPY_HOST_VIEW (view)) == node);
  g_assert_cmpint (canopy_node_get_state (node), !=, CANOPY_NODE_STATE_IDLE);
  g_object_get (node, "source", &source, NULL);
  g_assert_cmpstr (source, ==, "test");
  g_assert_finalize_object (view);
}

static void
test_accessible (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  GtkWidget *view = g_object_ref_sink (canopy_host_view_new (node));

  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "end_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "end_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "End Room");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "copy_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "copy_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Copy Room ID");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "source_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Stream Source");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "copy_link_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "copy_link_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Copy Link");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (child (view, "error_close_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (child (view, "error_close_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Dismiss the message");
  g_assert_finalize_object (view);
}

/* Network URL…: only addresses GStreamer can stream from are accepted. */
static void
test_url_dialog (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  GtkWidget *view = g_object_ref_sink (canopy_host_view_new (node));
  AdwMessageDialog *dialog;
  GtkEditable *entry;

  g_assert_null (find_message_dialog ());
  g_assert_true (gtk_widget_activate_action (view, "host.open-url", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "stream"));
  gtk_editable_set_text (entry, "ftp://example.org/video.webm");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "stream"));
  gtk_editable_set_text (entry, "not a url");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "stream"));
  gtk_editable_set_text (entry, "rtsp://camera.local/stream");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "stream"));
  gtk_editable_set_text (entry, "https://example.org/live/index.m3u8");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "stream"));
  gtk_editable_set_text (entry, "rtmp://example.org/app/key");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "stream"));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_null (find_message_dialog ());
  g_assert_finalize_object (view);
}

static void
test_live_room (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_host_view_new (node);
  GdkPaintable *paintable;
  AdwMessageDialog *dialog;
  Watch watch = { node, NULL, 0 };
  gboolean closed = FALSE;

  g_object_ref (view);
  g_signal_connect (view, "closed", G_CALLBACK (on_closed), &closed);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));

  canopy_test_wait_for (is_live, &watch, TIMEOUT_SECONDS, "the room to go live");
  g_assert_true (gtk_widget_get_visible (child (view, "live_label")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (view, "live_label"))), ==, "LIVE");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (view, "room_id_label"))), ==,
                   canopy_node_get_room_id (node));
  g_assert_cmpuint (strlen (gtk_label_get_text (GTK_LABEL (child (view, "room_id_label")))), >, 0);
  g_assert_true (gtk_widget_get_sensitive (child (view, "copy_button")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child (view, "viewers_label"))), ==,
                   "0 watching");

  paintable = gtk_picture_get_paintable (GTK_PICTURE (child (view, "picture")));
  g_assert_true (CANOPY_IS_VIDEO_PAINTABLE (paintable));
  watch.paintable = CANOPY_VIDEO_PAINTABLE (paintable);
  watch.frames = 10;
  canopy_test_wait_for (has_more_frames, &watch, TIMEOUT_SECONDS, "more than 10 preview frames");

  /* Copying says so. */
  g_signal_emit_by_name (child (view, "copy_button"), "clicked");
  /* The link is the browser viewer's page on the same server. */
  g_assert_true (gtk_widget_get_sensitive (child (view, "copy_link_button")));
  g_signal_emit_by_name (child (view, "copy_link_button"), "clicked");
  {
    GdkContentProvider *content = gdk_clipboard_get_content (gtk_widget_get_clipboard (view));
    g_auto (GValue) value = G_VALUE_INIT;
    g_autofree char *url = NULL;
    g_autofree char *expected = NULL;

    g_object_get (node, "server-url", &url, NULL);
    g_assert_true (g_str_has_prefix (url, "ws://") && g_str_has_suffix (url, "/ws"));
    expected = g_strdup_printf ("http://%.*s/r/%s", (int) strlen (url) - 8, url + 5,
                                canopy_node_get_room_id (node));
    g_assert_nonnull (content);
    g_value_init (&value, G_TYPE_STRING);
    g_assert_true (gdk_content_provider_get_value (content, &value, NULL));
    g_assert_cmpstr (g_value_get_string (&value), ==, expected);
  }

  /* A new source: the room stays live and the preview keeps moving. */
  g_assert_true (gtk_widget_activate_action (view, "host.source", "s", "test:smpte"));
  {
    g_autofree char *source = NULL;

    g_object_get (node, "source", &source, NULL);
    g_assert_cmpstr (source, ==, "test:smpte");
  }
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);
  watch.frames = canopy_video_paintable_get_frames (watch.paintable) + 10;
  canopy_test_wait_for (has_more_frames, &watch, TIMEOUT_SECONDS,
                        "10 more frames after switching source");
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);

  /* The main click restarts the current source, also without leaving. */
  g_signal_emit_by_name (child (view, "source_button"), "clicked");
  watch.frames = canopy_video_paintable_get_frames (watch.paintable) + 10;
  canopy_test_wait_for (has_more_frames, &watch, TIMEOUT_SECONDS,
                        "10 more frames after restarting the source");
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);

  /* End Room asks first; cancel keeps the room. */
  g_signal_emit_by_name (child (view, "end_button"), "clicked");
  canopy_test_wait_for (has_message_dialog, NULL, TIMEOUT_SECONDS, "the End Room dialog");
  dialog = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "End the room?");
  /* What a click on a response button does: respond, then go away. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);
  g_assert_false (closed);

  g_assert_null (find_message_dialog ());
  g_signal_emit_by_name (child (view, "end_button"), "clicked");
  canopy_test_wait_for (has_message_dialog, NULL, TIMEOUT_SECONDS, "the End Room dialog again");
  dialog = find_message_dialog ();
  g_assert_true (adw_message_dialog_has_response (dialog, "end"));
  adw_message_dialog_response (dialog, "end");
  gtk_window_destroy (GTK_WINDOW (dialog));
  canopy_test_wait_for (canopy_test_is_true, &closed, TIMEOUT_SECONDS, "the view to close");
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_ENDED);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
}

/* A source that cannot start at all: the room fails, and the view says why, not just a toast. */
static void
test_source_error_at_start (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  g_autoptr (GError) error = NULL;
  GtkWidget *view;
  const GError *last;

  /* Before the start the spec is only stored. */
  g_assert_true (canopy_node_set_source (node, "file:/nonexistent/canopy-missing.webm", &error));
  g_assert_no_error (error);
  view = g_object_ref_sink (canopy_host_view_new (node));

  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_FAILED);
  last = canopy_node_get_last_error (node);
  g_assert_error (last, CANOPY_ERROR, CANOPY_ERROR_MEDIA);
  g_assert_true (shows_error (view));
  g_assert_cmpstr (label_text (view, "error_label"), ==, last->message);
  g_assert_nonnull (strstr (label_text (view, "error_label"), "/nonexistent/canopy-missing.webm"));
  g_assert_cmpstr (label_text (view, "error_title"), ==, "The room could not start");
  g_assert_false (gtk_widget_get_visible (child (view, "error_hint")));
  g_assert_cmpstr (label_text (view, "status_label"), ==, "The room could not start");
  g_assert_false (gtk_widget_get_sensitive (child (view, "source_button")));
  g_assert_finalize_object (view);
}

/* A file that exists but is no media fails after it was accepted, while the room is live: the
 * host view shows it (as plain text) until another source starts; viewers stay connected. */
static void
test_source_error_live (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *spec = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_host_view_new (node);
  Watch watch = { node, NULL, 0 };
  int fd;

  /* A name with markup characters: the banner must show them, not interpret them. */
  fd = g_file_open_tmp ("canopy-<i>&broken-XXXXXX.webm", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, "not a media file\n", 17), ==, 17);
  close (fd);
  spec = g_strconcat ("file:", path, NULL);

  g_object_ref (view);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  canopy_test_wait_for (is_live, &watch, TIMEOUT_SECONDS, "the room to go live");
  g_assert_false (shows_error (view));
  g_assert_null (canopy_node_get_last_error (node));

  g_assert_true (gtk_widget_activate_action (view, "host.source", "s", spec));
  canopy_test_wait_for (shows_error, view, TIMEOUT_SECONDS,
                        "the host view to show the failed source");
  g_assert_error (canopy_node_get_last_error (node), CANOPY_ERROR, CANOPY_ERROR_MEDIA);
  g_assert_cmpstr (label_text (view, "error_label"), ==,
                   canopy_node_get_last_error (node)->message);
  g_assert_nonnull (strstr (label_text (view, "error_label"), "<i>&broken-"));
  g_assert_cmpstr (label_text (view, "error_title"), ==, "The stream source stopped");
  g_assert_true (gtk_widget_get_visible (child (view, "error_hint")));
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);

  /* It stays: nothing but another source (or Dismiss) takes it away. */
  canopy_test_spin (1000);
  g_assert_true (shows_error (view));

  /* Another source that starts clears it, and the preview moves again. */
  g_assert_true (gtk_widget_activate_action (view, "host.source", "s", "test:smpte"));
  g_assert_false (shows_error (view));
  g_assert_cmpstr (label_text (view, "error_label"), ==, "");
  watch.paintable = canopy_host_view_get_paintable (CANOPY_HOST_VIEW (view));
  watch.frames = canopy_video_paintable_get_frames (watch.paintable) + 10;
  canopy_test_wait_for (has_more_frames, &watch, TIMEOUT_SECONDS,
                        "10 more frames after the new source");
  g_assert_false (shows_error (view));
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);

  /* It fails again; Dismiss hides it. */
  g_assert_true (gtk_widget_activate_action (view, "host.source", "s", spec));
  canopy_test_wait_for (shows_error, view, TIMEOUT_SECONDS, "the failed source again");
  g_signal_emit_by_name (child (view, "error_close_button"), "clicked");
  g_assert_false (shows_error (view));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_node_leave (node);
  g_unlink (path);
}

/* The server goes away: the room stays live (the preview moves, LIVE stays), the line beside
 * LIVE says the host is reconnecting, without a toast, and goes when a server is back. */
static void
test_server_lost (void)
{
  CanopySignalServer *server = canopy_test_start_local_server (0, TIMEOUT_SECONDS);
  guint port = canopy_signal_server_get_port (server);
  g_autofree char *url = canopy_signal_server_get_url (server);
  g_autoptr (CanopyNode) node = make_host_on (url);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_host_view_new (node);
  Watch watch = { node, NULL, 0 };

  g_object_ref (view);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  canopy_test_wait_for (is_live, &watch, TIMEOUT_SECONDS, "the room to go live");
  g_assert_true (shows_only_live (view));
  watch.paintable = canopy_host_view_get_paintable (CANOPY_HOST_VIEW (view));

  canopy_signal_server_stop (server);
  g_clear_object (&server);
  canopy_test_wait_for (shows_reconnecting, view, TIMEOUT_SECONDS,
                        "the host view to say it is reconnecting");
  g_assert_false (node_is_connected (node));
  g_assert_true (gtk_widget_get_visible (child (view, "live_label")));
  g_assert_true (gtk_widget_has_css_class (child (view, "status_label"), "warning"));
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);
  watch.frames = canopy_video_paintable_get_frames (watch.paintable) + 10;
  canopy_test_wait_for (has_more_frames, &watch, TIMEOUT_SECONDS,
                        "10 more preview frames without the server");
  canopy_test_spin (1500);
  g_assert_true (shows_reconnecting (view));
  g_assert_false (shows_toast (view));

  server = canopy_test_start_local_server (port, TIMEOUT_SECONDS);
  canopy_test_wait_for (node_is_connected, node, TIMEOUT_SECONDS, "the host back on the server");
  canopy_test_wait_for (shows_only_live, view, TIMEOUT_SECONDS, "LIVE without the reconnecting line");
  g_assert_false (gtk_widget_has_css_class (child (view, "status_label"), "warning"));
  g_assert_cmpint (canopy_node_get_state (node), ==, CANOPY_NODE_STATE_LIVE);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_node_leave (node);
  canopy_test_wait_for (is_ended, &watch, TIMEOUT_SECONDS, "the room to end");
  canopy_signal_server_stop (server);
  g_object_unref (server);
}

static GtkWidget *
side_child (GtkWidget  *view,
            const char *name)
{
  return canopy_test_template_child (child (view, "side"), CANOPY_TYPE_ROOM_SIDE, name);
}

static gboolean
node_is_live (gpointer data)
{
  return canopy_node_get_state (CANOPY_NODE (data)) == CANOPY_NODE_STATE_LIVE;
}

static gboolean
tree_has_two (gpointer data)
{
  return canopy_tree_view_get_n_nodes (CANOPY_TREE_VIEW (side_child (data, "tree_view"))) == 2;
}

static gboolean
tree_has_one (gpointer data)
{
  return canopy_tree_view_get_n_nodes (CANOPY_TREE_VIEW (side_child (data, "tree_view"))) == 1;
}

static void
on_viewer_left (CanopyNode      *viewer,
                CanopyEndReason  reason,
                gpointer        *data)
{
  *(CanopyEndReason *) data[0] = reason;
  *(gboolean *) data[1] = TRUE;
}

/* The side pane's page @name (the other one's rows are not mapped). */
static void
show_pane (GtkWidget  *view,
           const char *name)
{
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (side_child (view, "stack")), name);
  canopy_test_spin (200);
}

typedef struct {
  GtkWidget *root;
  const char *name;
} Shown;

static gboolean
shows_name (gpointer data)
{
  Shown *shown = data;

  return canopy_test_find_mapped_label (shown->root, shown->name) != NULL;
}

/* The label showing @name in @pane (mapped: list views keep old rows around). */
static GtkLabel *
name_in (GtkWidget  *pane,
         const char *name)
{
  Shown shown = { pane, name };

  canopy_test_wait_for (shows_name, &shown, TIMEOUT_SECONDS, name);
  return canopy_test_find_mapped_label (pane, name);
}

typedef struct {
  GtkWidget *pane;
  const char *name;
  gboolean muted;
} MutedMark;

static gboolean
has_muted_mark (gpointer data)
{
  MutedMark *mark = data;
  GtkLabel *label = canopy_test_find_mapped_label (mark->pane, mark->name);

  return label != NULL && canopy_test_shows_muted (label) == mark->muted;
}

static void
wait_muted_mark (GtkWidget  *pane,
                 const char *name,
                 gboolean    muted)
{
  MutedMark mark = { pane, name, muted };

  canopy_test_wait_for (has_muted_mark, &mark, TIMEOUT_SECONDS,
                        muted ? "the muted mark" : "no muted mark");
}

typedef struct {
  CanopyNode *node;
  const char *peer;
  gboolean muted;
} PeerMuted;

static gboolean
peer_muted_is (gpointer data)
{
  PeerMuted *check = data;

  return canopy_node_is_peer_muted (check->node, check->peer) == check->muted;
}

static gboolean
chat_has (gpointer data)
{
  gpointer *pair = data;

  return canopy_chat_view_get_n_messages (pair[0]) >= GPOINTER_TO_UINT (pair[1]);
}

/* The host's panes offer the menu on the viewer's name, in the tree and in chat, never on the
 * host's own; Mute reaches the node (and through it the viewer), and both panes mark the
 * viewer; Remove asks first, and then removes; the lock reaches the node. */
static void
test_moderation (void)
{
  g_autoptr (CanopyNode) node = make_host ();
  g_autoptr (CanopyNode) viewer = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_host_view_new (node);
  Watch watch = { node, NULL, 0 };
  GtkWidget *tree, *chat, *menu;
  AdwMessageDialog *dialog;
  const char *viewer_id;
  gpointer pair[2];

  g_object_ref (view);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  canopy_test_wait_for (is_live, &watch, TIMEOUT_SECONDS, "the room to go live");
  tree = side_child (view, "tree_view");
  chat = side_child (view, "chat_view");
  g_assert_true (canopy_tree_view_get_can_moderate (CANOPY_TREE_VIEW (tree)));
  g_assert_true (canopy_chat_view_get_can_moderate (CANOPY_CHAT_VIEW (chat)));

  viewer = canopy_node_new (CANOPY_NODE_ROLE_VIEWER, server_url);
  g_object_set (viewer, "name", "Viewer <b>One</b>", "room-id", canopy_node_get_room_id (node),
                "decode", FALSE, NULL);
  canopy_node_start (viewer);
  canopy_test_wait_for (node_is_live, viewer, TIMEOUT_SECONDS, "the viewer to join");
  viewer_id = canopy_node_get_peer_id (viewer);
  canopy_test_wait_for (tree_has_two, view, TIMEOUT_SECONDS, "the host's tree to show two");

  /* The tree: the menu on the viewer's row, none on the host's own. */
  show_pane (view, "tree");
  g_assert_null (canopy_test_person_menu_of (name_in (tree, "Test Host")));
  menu = canopy_test_person_menu_of (name_in (tree, "Viewer <b>One</b>"));
  g_assert_nonnull (menu);
  g_assert_false (canopy_test_shows_muted (name_in (tree, "Viewer <b>One</b>")));

  /* Chat: the same on the viewer's message, none on the host's. */
  g_assert_true (canopy_node_send_chat (viewer, "hello host", &error));
  g_assert_true (canopy_node_send_chat (node, "hello viewer", &error));
  g_assert_no_error (error);
  pair[0] = chat;
  pair[1] = GUINT_TO_POINTER (2);
  canopy_test_wait_for (chat_has, pair, TIMEOUT_SECONDS, "both messages in the host's chat");
  show_pane (view, "chat");
  g_assert_nonnull (canopy_test_person_menu_of (name_in (chat, "Viewer <b>One</b>")));
  g_assert_null (canopy_test_person_menu_of (name_in (chat, "Test Host")));

  /* Mute, from the tree row's menu: the node's list, the viewer's copy, both panes' marks. */
  canopy_test_person_menu_activate (menu, "Mute");
  g_assert_true (canopy_node_is_peer_muted (node, viewer_id));
  {
    PeerMuted check = { viewer, viewer_id, TRUE };

    canopy_test_wait_for (peer_muted_is, &check, TIMEOUT_SECONDS,
                          "the viewer to hear it is muted");
  }
  wait_muted_mark (chat, "Viewer <b>One</b>", TRUE);
  show_pane (view, "tree");
  wait_muted_mark (tree, "Viewer <b>One</b>", TRUE);
  g_assert_false (canopy_test_shows_muted (name_in (tree, "Test Host")));

  /* Unmute, from the menu that now offers it. */
  menu = canopy_test_person_menu_of (name_in (tree, "Viewer <b>One</b>"));
  canopy_test_person_menu_activate (menu, "Unmute");
  g_assert_false (canopy_node_is_peer_muted (node, viewer_id));
  wait_muted_mark (tree, "Viewer <b>One</b>", FALSE);
  {
    PeerMuted check = { viewer, viewer_id, FALSE };

    canopy_test_wait_for (peer_muted_is, &check, TIMEOUT_SECONDS,
                          "the viewer to hear it is not muted");
  }

  /* Remove asks first, by name, as plain text; cancelled, the viewer stays. */
  g_assert_null (find_message_dialog ());
  canopy_test_person_menu_activate (menu, "Remove from Room…");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Remove Viewer <b>One</b>?");
  g_assert_false (adw_message_dialog_get_heading_use_markup (dialog));
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, "They cannot join this room again.");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "remove"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  canopy_test_spin (500);
  g_assert_cmpint (canopy_node_get_state (viewer), ==, CANOPY_NODE_STATE_LIVE);

  /* The lock. */
  {
    GtkWidget *lock = child (view, "lock_button");

    g_assert_true (gtk_widget_get_sensitive (lock));
    g_assert_false (canopy_node_get_locked (node));
    g_assert_cmpstr (gtk_widget_get_tooltip_text (lock), ==, "Lock Room: no newcomers");
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (lock), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Lock Room");
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (lock), TRUE);
    g_assert_true (canopy_node_get_locked (node));
    g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (lock)), ==, "changes-prevent-symbolic");
    g_assert_cmpstr (gtk_widget_get_tooltip_text (lock), ==, "Unlock Room: newcomers can join");
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (lock), FALSE);
    g_assert_false (canopy_node_get_locked (node));
    g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (lock)), ==, "changes-allow-symbolic");
  }

  /* Files off and on again, then at most 1 MiB: the host's signed policy reaches the viewer's
   * node. */
  {
    GtkWidget *files = child (view, "files_button");
    GtkWidget *limit = child (view, "file_limit_button");
    GtkWidget *spin = child (view, "file_limit_spin");

    g_assert_true (gtk_widget_get_sensitive (files));
    g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (files)));
    g_assert_cmpstr (gtk_widget_get_tooltip_text (files), ==,
                     "Files On: members can share files up to 100.0\u00a0MiB");
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (files), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Allow Files");
    g_assert_true (canopy_node_get_files_allowed (viewer));
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (files), FALSE);
    g_assert_false (canopy_node_get_files_allowed (node));
    g_assert_cmpstr (gtk_widget_get_tooltip_text (files), ==, "Files Off: nobody can share files");
    g_assert_false (gtk_widget_get_sensitive (limit));
    canopy_test_wait_for (files_off, viewer, 30, "the viewer told files are off");
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (files), TRUE);
    g_assert_true (canopy_node_get_files_allowed (node));
    g_assert_true (gtk_widget_get_sensitive (limit));
    canopy_test_wait_for (files_on, viewer, 30, "the viewer told files are on");
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (limit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Largest File");
    g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 100);
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 1);
    g_assert_cmpuint (canopy_node_get_file_max_size (node), ==, 1024 * 1024);
    g_assert_true (canopy_node_get_files_allowed (node));
    g_assert_cmpstr (gtk_widget_get_tooltip_text (files), ==,
                     "Files On: members can share files up to 1.0\u00a0MiB");
    canopy_test_wait_for (files_up_to_one_mib, viewer, 30, "the viewer told files up to 1 MiB");
    g_assert_true (canopy_node_get_files_allowed (viewer));
    /* The spin's ceiling is the policy's: 1 GiB. */
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 5000);
    g_assert_cmpuint (canopy_node_get_file_max_size (node), ==, 1024 * 1024 * 1024);
  }

  /* Remove, confirmed: the viewer's node ends "removed", and the tree is the host alone. */
  {
    CanopyEndReason reason = CANOPY_END_REASON_LEFT;
    gboolean left = FALSE;
    gpointer data[2] = { &reason, &left };

    g_signal_connect (viewer, "left", G_CALLBACK (on_viewer_left), data);
    canopy_test_person_menu_activate (menu, "Remove from Room…");
    dialog = find_message_dialog ();
    g_assert_nonnull (dialog);
    adw_message_dialog_response (dialog, "remove");
    gtk_window_destroy (GTK_WINDOW (dialog));
    canopy_test_wait_for (canopy_test_is_true, &left, TIMEOUT_SECONDS, "the viewer to end");
    g_assert_cmpint (reason, ==, CANOPY_END_REASON_REMOVED);
    canopy_test_wait_for (tree_has_one, view, TIMEOUT_SECONDS, "the host's tree to show one");
    g_signal_handlers_disconnect_by_data (viewer, data);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
  canopy_node_leave (node);
  canopy_test_wait_for (is_ended, &watch, TIMEOUT_SECONDS, "the room to end");
}

int
main (int   argc,
      char *argv[])
{
  setenv ("CANOPY_NO_AUDIO", "1", TRUE);
  canopy_test_init_ui (&argc, &argv);
  gst_init (NULL, NULL);

  canopy_test_add_spared ("/host-view/new-destroy", test_new_destroy);
  canopy_test_add_spared ("/host-view/accessible", test_accessible);
  canopy_test_add_spared ("/host-view/url-dialog", test_url_dialog);
  canopy_test_add_spared ("/host-view/live-room", test_live_room);
  canopy_test_add_spared ("/host-view/source-error-at-start", test_source_error_at_start);
  canopy_test_add_spared ("/host-view/source-error-live", test_source_error_live);
  canopy_test_add_spared ("/host-view/server-lost", test_server_lost);
  canopy_test_add_spared ("/host-view/moderation", test_moderation);
  return canopy_test_run_with_server (&server_url);
}
