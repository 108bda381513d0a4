/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyHostView"

#include "canopy-host-view.h"

#include <glib/gi18n.h>

#include "canopy-application.h"
#include "canopy-error.h"
#include "canopy-preferences-window.h"
#include "canopy-room-side.h"
#include "canopy-source.h"
#include "canopy-video-paintable.h"

struct _CanopyHostView
{
  AdwBin parent_instance;

  CanopyNode *node;
  CanopyVideoPaintable *paintable;
  GtkFileChooserNative *file_chooser;
  AdwMessageDialog *dialog;
  gboolean ending;
  gboolean closed;
  gboolean was_connected; /* "connected" was TRUE once: FALSE now means reconnecting */

  AdwToastOverlay *toast_overlay;
  AdwSplitButton *source_button;
  GtkLabel *live_label;
  GtkLabel *status_label;
  GtkLabel *viewers_label;
  GtkLabel *bitrate_label;
  GtkLabel *room_id_label;
  GtkButton *copy_button;
  GtkButton *copy_link_button;
  GtkToggleButton *lock_button;
  GtkToggleButton *files_button;
  GtkMenuButton *file_limit_button;
  GtkSpinButton *file_limit_spin;
  GtkButton *end_button;
  GtkPicture *picture;
  CanopyRoomSide *side;
  GtkRevealer *error_revealer;
  GtkLabel *error_title;
  GtkLabel *error_label;
  GtkLabel *error_hint;
  GtkButton *error_close_button;
};

G_DEFINE_FINAL_TYPE (CanopyHostView, canopy_host_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_NODE,
  N_PROPS
};

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
show_toast (CanopyHostView *self,
            const char     *text)
{
  /* Toast titles are markup in libadwaita 1.2; the text may carry a server's words. */
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

/* The banner's title and hint follow the node's state: a node that never started has no
 * source to replace. */
static void
update_error (CanopyHostView *self)
{
  CanopyNodeState state = canopy_node_get_state (self->node);
  gboolean failed = state == CANOPY_NODE_STATE_FAILED;

  gtk_label_set_text (self->error_title, failed ? _("The room could not start")
                                                : _("The stream source stopped"));
  gtk_widget_set_visible (GTK_WIDGET (self->error_hint),
                          state != CANOPY_NODE_STATE_ENDED && !failed);
}

/* Media errors (the source or the pipeline failed) stay on screen until another source
 * starts: viewers see a frozen or black picture meanwhile. The message is plain text. */
static void
show_error (CanopyHostView *self,
            const GError   *error)
{
  gtk_label_set_text (self->error_label, error->message);
  update_error (self);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

static void
clear_error (CanopyHostView *self)
{
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  gtk_label_set_text (self->error_label, "");
}

static void
emit_closed (CanopyHostView *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
use_source (CanopyHostView *self,
            const char     *spec)
{
  g_autoptr (GError) error = NULL;

  /* A source that cannot start leaves the current one running: a toast says so. */
  if (!canopy_node_set_source (self->node, spec, &error)) {
    g_autofree char *text = g_strdup_printf (_("Cannot use this source: %s"), error->message);

    show_toast (self, text);
    return;
  }
  /* The new source runs: an earlier failure is over (a later one shows again). */
  clear_error (self);
}

/* --- node --- */

/* Lost the signalling server after being on it: the room goes on (viewers keep watching),
 * only new viewers wait until the node is back. */
static gboolean
is_reconnecting (CanopyHostView *self)
{
  CanopyNodeState state = canopy_node_get_state (self->node);
  gboolean connected = FALSE;

  if (!self->was_connected || state == CANOPY_NODE_STATE_ENDED ||
      state == CANOPY_NODE_STATE_FAILED)
    return FALSE;
  g_object_get (self->node, "connected", &connected, NULL);
  return !connected;
}

static void
update_state (CanopyHostView *self)
{
  CanopyNodeState state = canopy_node_get_state (self->node);
  gboolean live = state == CANOPY_NODE_STATE_LIVE;
  gboolean reconnecting = is_reconnecting (self);

  gtk_widget_set_visible (GTK_WIDGET (self->live_label), live);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), !live || reconnecting);
  /* Not dimmed while reconnecting: it is news beside LIVE, not a passing state. */
  if (reconnecting) {
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "dim-label");
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "warning");
  } else {
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "warning");
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
  }
  gtk_widget_set_visible (GTK_WIDGET (self->viewers_label), live);
  gtk_widget_set_visible (GTK_WIDGET (self->bitrate_label), live);
  gtk_widget_set_sensitive (GTK_WIDGET (self->source_button),
                            state != CANOPY_NODE_STATE_ENDED && state != CANOPY_NODE_STATE_FAILED);
  /* The node tells the server once the room exists (and again when it resumes it). */
  gtk_widget_set_sensitive (GTK_WIDGET (self->lock_button), live);
  gtk_widget_set_sensitive (GTK_WIDGET (self->files_button), live);
  gtk_widget_set_sensitive (GTK_WIDGET (self->file_limit_button),
                            live && gtk_toggle_button_get_active (self->files_button));

  switch (state) {
  case CANOPY_NODE_STATE_IDLE:
  case CANOPY_NODE_STATE_CONNECTING:
  case CANOPY_NODE_STATE_JOINING:
    gtk_label_set_text (self->status_label, _("Starting…"));
    break;
  case CANOPY_NODE_STATE_REJOINING:
    gtk_label_set_text (self->status_label, _("Reconnecting…"));
    break;
  case CANOPY_NODE_STATE_ENDED:
    gtk_label_set_text (self->status_label, _("Room ended"));
    break;
  case CANOPY_NODE_STATE_FAILED:
    gtk_label_set_text (self->status_label, _("The room could not start"));
    break;
  case CANOPY_NODE_STATE_LIVE:
  default:
    break;
  }
  if (reconnecting)
    gtk_label_set_text (self->status_label, _("Reconnecting to the server…"));
  update_error (self);
}

static void
on_node_state_notify (CanopyNode     *node,
                      GParamSpec     *pspec,
                      CanopyHostView *self)
{
  update_state (self);
}

static void
on_node_connected_notify (CanopyNode     *node,
                          GParamSpec     *pspec,
                          CanopyHostView *self)
{
  CanopyNodeState state = canopy_node_get_state (node);
  gboolean connected = FALSE;

  g_object_get (node, "connected", &connected, NULL);
  if (connected)
    self->was_connected = TRUE;
  /* An ended room's line says why it ended ("left" set it): leave it. */
  if (state != CANOPY_NODE_STATE_ENDED && state != CANOPY_NODE_STATE_FAILED)
    update_state (self);
}

static void
on_node_viewers_notify (CanopyNode     *node,
                        GParamSpec     *pspec,
                        CanopyHostView *self)
{
  guint viewers = canopy_node_get_viewers (node);
  g_autofree char *text = g_strdup_printf (ngettext ("%u watching", "%u watching", viewers),
                                           viewers);

  gtk_label_set_text (self->viewers_label, text);
}

static void
on_node_room_id_notify (CanopyNode     *node,
                        GParamSpec     *pspec,
                        CanopyHostView *self)
{
  const char *room_id = canopy_node_get_room_id (node);

  gtk_label_set_text (self->room_id_label, room_id ? room_id : "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_button), room_id != NULL && *room_id != '\0');
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_link_button),
                            room_id != NULL && *room_id != '\0');
}

static void
on_node_stats (CanopyNode     *node,
               CanopyHostView *self)
{
  g_autofree char *text = g_strdup_printf (_("%.0f kbit/s"), canopy_node_get_bitrate_kbps (node));

  gtk_label_set_text (self->bitrate_label, text);
}

static void
on_node_error (CanopyNode     *node,
               const GError   *error,
               CanopyHostView *self)
{
  CanopyNodeState state = canopy_node_get_state (node);

  if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA))
    show_error (self, error);
  /* A live room that lost the server reconnects by itself: the line beside LIVE says so as
   * long as it lasts, a toast would only repeat it. */
  else if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_CONNECTION) &&
           state == CANOPY_NODE_STATE_LIVE)
    update_state (self);
  else
    show_toast (self, error->message);
}

static void
on_node_left (CanopyNode      *node,
              CanopyEndReason  reason,
              CanopyHostView  *self)
{
  if (self->ending)
    emit_closed (self);
  else if (reason == CANOPY_END_REASON_SERVER_LOST)
    gtk_label_set_text (self->status_label, _("Room ended: the server is gone"));
  else if (reason == CANOPY_END_REASON_FAILED)
    gtk_label_set_text (self->status_label, _("The room could not start"));
}

/* --- source --- */

static void
on_source_button_clicked (AdwSplitButton *button,
                          CanopyHostView *self)
{
  g_autofree char *spec = NULL;

  g_object_get (self->node, "source", &spec, NULL);
  use_source (self, spec ? spec : "test");
}

static void
source_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  use_source (CANOPY_HOST_VIEW (widget), g_variant_get_string (parameter, NULL));
}

static void
on_file_chooser_response (GtkNativeDialog *dialog,
                          int              response,
                          CanopyHostView  *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
    g_autofree char *path = file ? g_file_get_path (file) : NULL;

    if (path != NULL) {
      g_autofree char *spec = g_strconcat ("file:", path, NULL);

      use_source (self, spec);
    } else {
      show_toast (self, _("Only local files can be streamed"));
    }
  }
  g_clear_object (&self->file_chooser);
}

static void
open_file_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CanopyHostView *self = CANOPY_HOST_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileFilter *filter;

  if (self->file_chooser != NULL) {
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->file_chooser));
    return;
  }
  self->file_chooser = gtk_file_chooser_native_new (_("Stream a Media File"),
                                                    GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                    GTK_FILE_CHOOSER_ACTION_OPEN, _("_Stream"),
                                                    _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Audio and Video"));
  gtk_file_filter_add_mime_type (filter, "video/*");
  gtk_file_filter_add_mime_type (filter, "audio/*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->file_chooser), filter);
  g_object_unref (filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Video"));
  gtk_file_filter_add_mime_type (filter, "video/*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->file_chooser), filter);
  g_object_unref (filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Audio"));
  gtk_file_filter_add_mime_type (filter, "audio/*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->file_chooser), filter);
  g_object_unref (filter);
  g_signal_connect (self->file_chooser, "response", G_CALLBACK (on_file_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->file_chooser));
}

static gboolean
url_is_streamable (const char *text)
{
  static const char *const schemes[] = { "rtmp", "rtmps", "rtsp", "rtsps", "http", "https", NULL };
  g_autoptr (GUri) uri = NULL;

  if (text == NULL)
    return FALSE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  for (guint i = 0; schemes[i] != NULL; i++)
    if (g_ascii_strcasecmp (g_uri_get_scheme (uri), schemes[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
on_url_entry_changed (GtkEditable      *entry,
                      AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "stream",
                                           url_is_streamable (gtk_editable_get_text (entry)));
}

static void
on_url_dialog_response (AdwMessageDialog *dialog,
                        const char       *response,
                        CanopyHostView   *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "stream") == 0 && url_is_streamable (url))
    use_source (self, url);
  if (self->dialog == dialog)
    self->dialog = NULL;
}

static void
open_url_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CanopyHostView *self = CANOPY_HOST_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  GtkWidget *entry;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Stream a Network URL"),
                                   _("RTMP, RTSP, HTTP and HLS addresses work."));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "rtsp://camera.local/stream");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_URL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Network URL"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "stream", _("_Stream"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stream",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "stream", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "stream");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (on_url_entry_changed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_url_dialog_response), self, 0);
  self->dialog = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- room --- */

/* The browser viewer's page for @room_id on the server @server_url (ws://HOST:PORT/ws): the
 * same host and port over http(s). An embedded server on loopback that listens on every
 * interface (--lan) is reached from the other computers by this one's LAN address. */
static char *
viewer_link (const char *server_url,
             const char *room_id)
{
  g_autoptr (GUri) uri = server_url ? g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autofree char *lan = NULL;
  const char *host;
  gboolean secure;
  GApplication *app = g_application_get_default ();

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  secure = g_strcmp0 (g_uri_get_scheme (uri), "wss") == 0;
  host = g_uri_get_host (uri);
  if ((g_str_equal (host, "127.0.0.1") || g_str_equal (host, "localhost")) &&
      CANOPY_IS_APPLICATION (app) && canopy_application_get_lan (CANOPY_APPLICATION (app)) &&
      (lan = canopy_lan_address ()) != NULL)
    host = lan;
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s://%s:%d/r/%s", secure ? "https" : "http", host,
                            g_uri_get_port (uri), room_id);
  return g_strdup_printf ("%s://%s/r/%s", secure ? "https" : "http", host, room_id);
}

static void
on_copy_link_button_clicked (GtkButton      *button,
                             CanopyHostView *self)
{
  const char *room_id = canopy_node_get_room_id (self->node);
  g_autofree char *server_url = NULL;
  g_autofree char *link = NULL;

  if (room_id == NULL)
    return;
  g_object_get (self->node, "server-url", &server_url, NULL);
  link = viewer_link (server_url, room_id);
  if (link == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), link);
  show_toast (self, _("Link copied: anyone with it can watch in a browser"));
}

static void
on_copy_button_clicked (GtkButton      *button,
                        CanopyHostView *self)
{
  const char *room_id = canopy_node_get_room_id (self->node);

  if (room_id == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), room_id);
  show_toast (self, _("Room ID copied"));
}

static void
update_lock_button (CanopyHostView *self)
{
  gboolean locked = gtk_toggle_button_get_active (self->lock_button);

  gtk_button_set_icon_name (GTK_BUTTON (self->lock_button),
                            locked ? "changes-prevent-symbolic" : "changes-allow-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->lock_button),
                               locked ? _("Unlock Room: newcomers can join")
                                      : _("Lock Room: no newcomers"));
}

static void
update_files_button (CanopyHostView *self)
{
  g_autofree char *limit = g_format_size_full (canopy_node_get_file_max_size (self->node),
                                               G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *on = NULL;

  /* TRANSLATORS: the tooltip of the host's files switch when on; %s is the largest file */
  on = g_strdup_printf (_("Files On: members can share files up to %s"), limit);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->files_button),
                               gtk_toggle_button_get_active (self->files_button)
                                 ? on : _("Files Off: nobody can share files"));
}

static void
on_files_button_toggled (GtkToggleButton *button,
                         CanopyHostView  *self)
{
  gboolean allowed = gtk_toggle_button_get_active (button);

  update_files_button (self);
  update_state (self);
  if (allowed != canopy_node_get_files_allowed (self->node))
    canopy_node_set_file_policy (self->node, allowed, canopy_node_get_file_max_size (self->node));
}

/* The spin counts MiB, as the policy's default (100 MiB) and ceiling (1 GiB) are. */
static void
on_file_limit_spin_changed (GtkSpinButton  *spin,
                            CanopyHostView *self)
{
  guint64 max = (guint64) gtk_spin_button_get_value_as_int (spin) * 1024 * 1024;

  if (self->node == NULL || max == canopy_node_get_file_max_size (self->node))
    return;
  canopy_node_set_file_policy (self->node, canopy_node_get_files_allowed (self->node), max);
  update_files_button (self);
}

static void
on_lock_button_toggled (GtkToggleButton *button,
                        CanopyHostView  *self)
{
  gboolean locked = gtk_toggle_button_get_active (button);

  update_lock_button (self);
  if (locked != canopy_node_get_locked (self->node))
    canopy_node_set_locked (self->node, locked);
}

static void
on_end_dialog_response (AdwMessageDialog *dialog,
                        const char       *response,
                        CanopyHostView   *self)
{
  if (self->dialog == dialog)
    self->dialog = NULL;
  if (g_strcmp0 (response, "end") != 0)
    return;
  self->ending = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->end_button), FALSE);
  if (canopy_node_get_state (self->node) == CANOPY_NODE_STATE_ENDED ||
      canopy_node_get_state (self->node) == CANOPY_NODE_STATE_FAILED)
    emit_closed (self);
  else
    canopy_node_leave (self->node); /* "closed" follows "left" */
}

static void
on_end_button_clicked (GtkButton      *button,
                       CanopyHostView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  CanopyNodeState state = canopy_node_get_state (self->node);
  GtkWidget *dialog;

  /* Nobody to disconnect: no need to ask. */
  if (state == CANOPY_NODE_STATE_ENDED || state == CANOPY_NODE_STATE_FAILED) {
    emit_closed (self);
    return;
  }
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("End the room?"),
                                   _("Everyone watching will be disconnected."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "end", _("_End Room"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "end",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_end_dialog_response), self, 0);
  self->dialog = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_error_close_button_clicked (GtkButton      *button,
                               CanopyHostView *self)
{
  clear_error (self);
}

static void
on_side_toast (CanopyRoomSide *side,
               const char     *text,
               CanopyHostView *self)
{
  show_toast (self, text);
}

static GMenuModel *
build_source_menu (void)
{
  GMenu *menu = g_menu_new ();
  GMenu *live = g_menu_new ();
  GMenu *other = g_menu_new ();

  g_menu_append (live, _("Test Pattern"), "host.source::test");
  if (canopy_source_camera_available ())
    g_menu_append (live, _("Camera"), "host.source::camera");
  g_menu_append (live, _("Screen"), "host.source::screen");
  g_menu_append (other, _("Media File…"), "host.open-file");
  g_menu_append (other, _("Network URL…"), "host.open-url");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (live));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (other));
  g_object_unref (live);
  g_object_unref (other);
  return G_MENU_MODEL (menu);
}

/* --- GObject --- */

static void
canopy_host_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CanopyHostView *self = CANOPY_HOST_VIEW (object);

  switch (prop_id) {
  case PROP_NODE:
    g_value_set_object (value, self->node);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_host_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CanopyHostView *self = CANOPY_HOST_VIEW (object);

  switch (prop_id) {
  case PROP_NODE:
    self->node = g_value_dup_object (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_host_view_constructed (GObject *object)
{
  CanopyHostView *self = CANOPY_HOST_VIEW (object);

  G_OBJECT_CLASS (canopy_host_view_parent_class)->constructed (object);

  g_assert (CANOPY_IS_NODE (self->node));
  g_object_set (self->node, "preview-sink", canopy_video_paintable_get_sink (self->paintable),
                NULL);
  g_signal_connect (self->node, "notify::state", G_CALLBACK (on_node_state_notify), self);
  g_signal_connect (self->node, "notify::connected", G_CALLBACK (on_node_connected_notify),
                    self);
  g_signal_connect (self->node, "notify::viewers", G_CALLBACK (on_node_viewers_notify), self);
  g_signal_connect (self->node, "notify::room-id", G_CALLBACK (on_node_room_id_notify), self);
  g_signal_connect (self->node, "stats", G_CALLBACK (on_node_stats), self);
  g_signal_connect (self->node, "error", G_CALLBACK (on_node_error), self);
  g_signal_connect (self->node, "left", G_CALLBACK (on_node_left), self);
  canopy_room_side_set_node (self->side, self->node);
  /* A room may be locked before it starts (the node sends it with create-room). */
  gtk_toggle_button_set_active (self->lock_button, canopy_node_get_locked (self->node));
  update_lock_button (self);
  gtk_toggle_button_set_active (self->files_button, canopy_node_get_files_allowed (self->node));
  gtk_spin_button_set_value (self->file_limit_spin,
                             (double) (canopy_node_get_file_max_size (self->node) / (1024 * 1024)));
  update_files_button (self);
  on_node_viewers_notify (self->node, NULL, self);
  on_node_room_id_notify (self->node, NULL, self);
  on_node_stats (self->node, self);
  on_node_connected_notify (self->node, NULL, self);
  update_state (self);
  if (g_error_matches (canopy_node_get_last_error (self->node), CANOPY_ERROR, CANOPY_ERROR_MEDIA))
    show_error (self, canopy_node_get_last_error (self->node));
  if (canopy_node_get_state (self->node) == CANOPY_NODE_STATE_IDLE)
    canopy_node_start (self->node);
}

static void
canopy_host_view_dispose (GObject *object)
{
  CanopyHostView *self = CANOPY_HOST_VIEW (object);

  if (self->node != NULL)
    g_signal_handlers_disconnect_by_data (self->node, self);
  if (self->file_chooser != NULL) {
    g_signal_handlers_disconnect_by_data (self->file_chooser, self);
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->file_chooser));
    g_clear_object (&self->file_chooser);
  }
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->dialog)));
  /* GTK 4.8 unparents a bound direct child behind AdwBin's back: let the bin drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_HOST_VIEW);
  g_clear_object (&self->node);
  g_clear_object (&self->paintable);
  G_OBJECT_CLASS (canopy_host_view_parent_class)->dispose (object);
}

static void
canopy_host_view_class_init (CanopyHostViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_host_view_get_property;
  object_class->set_property = canopy_host_view_set_property;
  object_class->constructed = canopy_host_view_constructed;
  object_class->dispose = canopy_host_view_dispose;

  properties[PROP_NODE] =
    g_param_spec_object ("node", NULL, NULL, CANOPY_TYPE_NODE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyHostView::closed:
   * The room is over and the person is done with it: show something else.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "host.source", "s", source_activated);
  gtk_widget_class_install_action (widget_class, "host.open-file", NULL, open_file_activated);
  gtk_widget_class_install_action (widget_class, "host.open-url", NULL, open_url_activated);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-host-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, source_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, live_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, status_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, viewers_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, bitrate_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, room_id_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, copy_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, copy_link_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, lock_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, files_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, file_limit_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, file_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, end_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, picture);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, side);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, error_title);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, error_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, error_hint);
  gtk_widget_class_bind_template_child (widget_class, CanopyHostView, error_close_button);
  gtk_widget_class_bind_template_callback (widget_class, on_source_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_link_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_end_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_lock_button_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_files_button_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_file_limit_spin_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_error_close_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_side_toast);
}

static void
canopy_host_view_init (CanopyHostView *self)
{
  g_autoptr (GMenuModel) menu = NULL;

  g_type_ensure (CANOPY_TYPE_ROOM_SIDE);
  gtk_widget_init_template (GTK_WIDGET (self));

  menu = build_source_menu ();
  adw_split_button_set_menu_model (self->source_button, menu);
  self->paintable = canopy_video_paintable_new (FALSE);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (self->paintable));
}

/**
 * canopy_host_view_new:
 * @node: a host that has not started
 *
 * The view shows the host's preview and starts it.
 *
 * Returns: (transfer floating): a host view
 */
GtkWidget *
canopy_host_view_new (CanopyNode *node)
{
  g_return_val_if_fail (CANOPY_IS_NODE (node), NULL);
  g_return_val_if_fail (canopy_node_get_role (node) == CANOPY_NODE_ROLE_HOST, NULL);

  return g_object_new (CANOPY_TYPE_HOST_VIEW, "node", node, NULL);
}

CanopyNode *
canopy_host_view_get_node (CanopyHostView *self)
{
  g_return_val_if_fail (CANOPY_IS_HOST_VIEW (self), NULL);
  return self->node;
}

/**
 * canopy_host_view_get_paintable:
 * @self: a host view
 *
 * Returns: (transfer none): the paintable that shows the preview
 */
CanopyVideoPaintable *
canopy_host_view_get_paintable (CanopyHostView *self)
{
  g_return_val_if_fail (CANOPY_IS_HOST_VIEW (self), NULL);
  return self->paintable;
}
