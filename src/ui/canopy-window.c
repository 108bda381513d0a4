/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyWindow"

#include "canopy-window.h"

#include "canopy-application.h"
#include "canopy-new-room-dialog.h"
#include "canopy-room-index.h"
#include "canopy-room-item.h"
#include "canopy-limits.h"
#include "canopy-source.h"

#if __has_include("canopy-host-view.h")
#include "canopy-host-view.h"
#define CANOPY_HAVE_HOST_VIEW 1
#endif
#if __has_include("canopy-audience-view.h")
#include "canopy-audience-view.h"
#define CANOPY_HAVE_AUDIENCE_VIEW 1
#endif

#include <glib/gi18n.h>

/* The main window: the room index, and the room being hosted or watched. */
struct _CanopyWindow {
  AdwApplicationWindow parent_instance;

  GSettings *settings;

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  CanopyRoomIndex *room_index;
  AdwHeaderBar *room_header;
  AdwWindowTitle *room_title;
  AdwBin *room_bin;
};

G_DEFINE_FINAL_TYPE (CanopyWindow, canopy_window, ADW_TYPE_APPLICATION_WINDOW)


static CanopyApplication *
get_app (CanopyWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return CANOPY_IS_APPLICATION (app) ? CANOPY_APPLICATION (app) : NULL;
}

static void
on_application_server_url (CanopyWindow *self)
{
  CanopyApplication *app = get_app (self);
  const char *url = app ? canopy_application_get_server_url (app) : NULL;
  const char *error = app ? canopy_application_get_server_error (app) : NULL;

  canopy_room_index_set_server_url (self->room_index, url);
  if (url == NULL && error != NULL) {
    g_autofree char *text = g_strdup_printf (_("Cannot run a server on this computer: %s"), error);

    canopy_window_toast (self, text);
  }
}

static void
on_room_index_join_room (CanopyWindow *self,
                         const char   *room_id)
{
  canopy_window_join_room (self, room_id);
}

static void
on_room_index_new_room (CanopyWindow *self)
{
  canopy_window_new_room (self);
}

static void
on_back_button_clicked (CanopyWindow *self)
{
  canopy_window_show_index (self);
}

static void
on_dialog_create (CanopyWindow *self,
                  const char   *title,
                  const char   *summary,
                  const char   *cover,
                  gboolean      listed,
                  guint         k1,
                  const char   *password)
{
  canopy_window_create_room (self, title, summary, cover, listed, k1, password);
}

static void
on_fullscreened (CanopyWindow *self)
{
  gboolean fullscreen = gtk_window_is_fullscreen (GTK_WINDOW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->room_header), !fullscreen);
}

static void
save_window_state (CanopyWindow *self)
{
  int width = 0, height = 0;

  if (self->settings == NULL)
    return;
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  if (width > 0 && height > 0) {
    g_settings_set_int (self->settings, "window-width", width);
    g_settings_set_int (self->settings, "window-height", height);
  }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
canopy_window_close_request (GtkWindow *window)
{
  CanopyWindow *self = CANOPY_WINDOW (window);

  save_window_state (self);
  /* Leave the room now, while the window is whole. */
  adw_bin_set_child (self->room_bin, NULL);
  return GTK_WINDOW_CLASS (canopy_window_parent_class)->close_request (window);
}

/* GtkWindow takes its application after construction: settings and server follow it. */
static void
on_application_changed (CanopyWindow *self)
{
  CanopyApplication *app = get_app (self);

  if (app == NULL || self->settings != NULL)
    return;
  if (canopy_application_get_settings (app) != NULL) {
    self->settings = g_object_ref (canopy_application_get_settings (app));
    gtk_window_set_default_size (GTK_WINDOW (self),
                                 MAX (360, g_settings_get_int (self->settings, "window-width")),
                                 MAX (294, g_settings_get_int (self->settings, "window-height")));
    if (g_settings_get_boolean (self->settings, "window-maximized"))
      gtk_window_maximize (GTK_WINDOW (self));
  }
  g_signal_connect_object (app, "notify::server-url", G_CALLBACK (on_application_server_url),
                           self, G_CONNECT_SWAPPED);
  on_application_server_url (self);
}

static void
canopy_window_dispose (GObject *object)
{
  CanopyWindow *self = CANOPY_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (canopy_window_parent_class)->dispose (object);
}

static void
canopy_window_class_init (CanopyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = canopy_window_dispose;
  window_class->close_request = canopy_window_close_request;

  g_type_ensure (CANOPY_TYPE_ROOM_INDEX);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CanopyWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CanopyWindow, room_index);
  gtk_widget_class_bind_template_child (widget_class, CanopyWindow, room_header);
  gtk_widget_class_bind_template_child (widget_class, CanopyWindow, room_title);
  gtk_widget_class_bind_template_child (widget_class, CanopyWindow, room_bin);
  gtk_widget_class_bind_template_callback (widget_class, on_room_index_join_room);
  gtk_widget_class_bind_template_callback (widget_class, on_room_index_new_room);
  gtk_widget_class_bind_template_callback (widget_class, on_back_button_clicked);
}

static void
canopy_window_init (CanopyWindow *self)
{
  g_autoptr (GPropertyAction) fullscreen = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* A toggle: F11 and the audience view's button both go through it. */
  fullscreen = g_property_action_new ("fullscreen", self, "fullscreened");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (fullscreen));
  g_signal_connect (self, "notify::fullscreened", G_CALLBACK (on_fullscreened), NULL);
  g_signal_connect (self, "notify::application", G_CALLBACK (on_application_changed), NULL);
}

CanopyWindow *
canopy_window_new (CanopyApplication *application)
{
  return g_object_new (CANOPY_TYPE_WINDOW, "application", application, NULL);
}

/**
 * canopy_window_show_room:
 * @self: the window
 * @view: the room view; the window owns it from now on
 * @title: (nullable): the room's title, plain text
 *
 * Replaces any room view with @view and shows it. Going back to the index destroys the view,
 * which leaves the room in its dispose.
 */
void
canopy_window_show_room (CanopyWindow *self,
                         GtkWidget    *view,
                         const char   *title)
{
  g_return_if_fail (CANOPY_IS_WINDOW (self));
  g_return_if_fail (GTK_IS_WIDGET (view));

  adw_bin_set_child (self->room_bin, view);
  adw_window_title_set_title (self->room_title, title ? title : "");
  gtk_window_set_title (GTK_WINDOW (self), title && *title ? title : _("Canopy"));
  gtk_stack_set_visible_child_name (self->stack, "room");
}

/**
 * canopy_window_show_index:
 * @self: the window
 *
 * Goes back to the room index, destroying the room view.
 */
void
canopy_window_show_index (CanopyWindow *self)
{
  g_return_if_fail (CANOPY_IS_WINDOW (self));

  if (gtk_window_is_fullscreen (GTK_WINDOW (self)))
    gtk_window_unfullscreen (GTK_WINDOW (self));
  gtk_stack_set_visible_child_name (self->stack, "index");
  adw_bin_set_child (self->room_bin, NULL);
  adw_window_title_set_title (self->room_title, "");
  gtk_window_set_title (GTK_WINDOW (self), _("Canopy"));
}

/**
 * canopy_window_toast:
 * @self: the window
 * @text: plain text for the person
 */
void
canopy_window_toast (CanopyWindow *self,
                     const char   *text)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (CANOPY_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  /* Toast titles are markup. */
  escaped = g_markup_escape_text (text, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

/**
 * canopy_window_get_server_url:
 * @self: the window
 *
 * Returns: (nullable): the signalling server in use
 */
const char *
canopy_window_get_server_url (CanopyWindow *self)
{
  CanopyApplication *app;

  g_return_val_if_fail (CANOPY_IS_WINDOW (self), NULL);
  app = get_app (self);
  return app ? canopy_application_get_server_url (app) : NULL;
}

void
canopy_window_new_room (CanopyWindow *self)
{
  CanopyNewRoomDialog *dialog;
  guint k1 = self->settings ? g_settings_get_uint (self->settings, "k1") : 4;

  g_return_if_fail (CANOPY_IS_WINDOW (self));

  dialog = canopy_new_room_dialog_new (GTK_WINDOW (self), k1);
  g_signal_connect_object (dialog, "create", G_CALLBACK (on_dialog_create), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
canopy_window_focus_join (CanopyWindow *self)
{
  g_return_if_fail (CANOPY_IS_WINDOW (self));

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "index") != 0)
    return;
  if (self->settings != NULL) {
    g_autofree char *last = g_settings_get_string (self->settings, "last-room-id");

    if (*last != '\0')
      canopy_room_index_set_join_text (self->room_index, last);
  }
  canopy_room_index_focus_join (self->room_index);
}

static char *
display_name (CanopyWindow  *self,
              CanopyNodeRole role)
{
  g_autofree char *setting = NULL;
  g_autofree char *name = NULL;
  const char *real;

  if (self->settings != NULL)
    setting = g_strstrip (g_settings_get_string (self->settings, "display-name"));
  real = g_get_real_name ();
  if (setting != NULL && *setting != '\0')
    name = g_steal_pointer (&setting);
  else if (real != NULL && *real != '\0' && g_strcmp0 (real, "Unknown") != 0)
    name = g_strdup (real);
  else
    name = g_strdup (role == CANOPY_NODE_ROLE_HOST ? _("Host") : _("Viewer"));
  if (!g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > CANOPY_NAME_CHARS) {
    g_autofree char *valid = g_utf8_make_valid (name, -1);

    return g_utf8_substring (valid, 0, MIN (CANOPY_NAME_CHARS, g_utf8_strlen (valid, -1)));
  }
  return g_steal_pointer (&name);
}

/**
 * canopy_window_make_node:
 * @self: the window
 * @role: host or viewer
 *
 * Returns: (transfer full) (nullable): an unstarted node with the settings applied, or %NULL
 *   (with a toast) when there is no server
 */
CanopyNode *
canopy_window_make_node (CanopyWindow  *self,
                         CanopyNodeRole role)
{
  const char *url;
  g_autofree char *name = NULL;
  CanopyNode *node;

  g_return_val_if_fail (CANOPY_IS_WINDOW (self), NULL);

  url = canopy_window_get_server_url (self);
  if (url == NULL) {
    canopy_window_toast (self, _("There is no signalling server to use: set one in Preferences"));
    return NULL;
  }
  name = display_name (self, role);
  node = canopy_node_new (role, url);
  g_object_set (node, "name", name, NULL);
  {
    GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

    /* We reach our own embedded server on loopback, but with --lan the peers are elsewhere:
     * gather ICE candidates on every interface (an empty list), not on loopback only. */
    if (CANOPY_IS_APPLICATION (app) &&
        canopy_application_get_lan (CANOPY_APPLICATION (app))) {
      const char *every[] = { NULL };

      g_object_set (node, "ice-addresses", every, NULL);
    }
    if (CANOPY_IS_APPLICATION (app)) {
      g_autoptr (CanopyIdentity) identity =
        canopy_application_identity_for (CANOPY_APPLICATION (app), node);

      g_object_set (node, "identity", identity, NULL);
    }
  }
  if (self->settings != NULL) {
    g_autofree char *codec_name = g_settings_get_string (self->settings, "video-codec");
    CanopyCodec codec = CANOPY_CODEC_VP8;

    if (!canopy_codec_from_string (codec_name, &codec))
      codec = CANOPY_CODEC_VP8;
    g_object_set (node,
                  "capacity", g_settings_get_uint (self->settings, "relay-capacity"),
                  "k1", g_settings_get_uint (self->settings, "k1"),
                  "width", CLAMP (g_settings_get_uint (self->settings, "video-width"), 16, 3840),
                  "height", CLAMP (g_settings_get_uint (self->settings, "video-height"), 16, 2160),
                  "fps", g_settings_get_uint (self->settings, "video-fps"),
                  "bitrate", g_settings_get_uint (self->settings, "video-bitrate"),
                  "codec", codec,
                  NULL);
  }
  return node;
}

/**
 * canopy_window_join_room:
 * @self: the window
 * @room_id: a normalised room ID
 *
 * Makes a viewer node for @room_id and opens the audience view.
 */
void
canopy_window_join_room (CanopyWindow *self,
                         const char   *room_id)
{
  g_autoptr (CanopyNode) node = NULL;

  g_return_if_fail (CANOPY_IS_WINDOW (self));
  g_return_if_fail (room_id != NULL);

  node = canopy_window_make_node (self, CANOPY_NODE_ROLE_VIEWER);
  if (node == NULL)
    return;
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "last-room-id", room_id);
  g_object_set (node, "room-id", room_id, NULL);
  canopy_window_open_audience (self, node);
}

/**
 * canopy_window_create_room:
 * @self: the window
 * @title: the room's title
 * @summary: (nullable): its summary
 * @cover: (nullable): a `data:` URL cover
 * @listed: whether the index lists it
 * @k1: viewers the host feeds directly
 * @password: (nullable): the password joiners need, or %NULL; never stored or logged
 *
 * Makes a host node and opens the host view.
 */
void
canopy_window_create_room (CanopyWindow *self,
                           const char   *title,
                           const char   *summary,
                           const char   *cover,
                           gboolean      listed,
                           guint         k1,
                           const char   *password)
{
  g_autoptr (CanopyNode) node = NULL;

  g_return_if_fail (CANOPY_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  node = canopy_window_make_node (self, CANOPY_NODE_ROLE_HOST);
  if (node == NULL)
    return;
  g_object_set (node,
                "title", title,
                "summary", summary ? summary : "",
                "cover", cover,
                "listed", listed,
                "k1", CLAMP (k1, 1, 32),
                NULL);
  /* Before the start: the node sends it with create-room (and with its resume). */
  canopy_node_set_password (node, password);
  canopy_window_open_host (self, node);
}

#if !defined(CANOPY_HAVE_HOST_VIEW) || !defined(CANOPY_HAVE_AUDIENCE_VIEW)
static GtkWidget *
placeholder_view (CanopyNode *node)
{
  const char *room = canopy_node_get_room_id (node);
  g_autofree char *title = NULL;

  title = g_strdup_printf (_("Live: %s"), room ? room : _("new room"));
  return g_object_new (ADW_TYPE_STATUS_PAGE,
                       "icon-name", "camera-video-symbolic",
                       "title", title,
                       "description", _("The room view is not part of this build"),
                       NULL);
}
#endif

/**
 * canopy_window_open_host:
 * @self: the window
 * @node: an unstarted host node
 *
 * Shows the host view for @node; the view starts the node.
 */
void
canopy_window_open_host (CanopyWindow *self,
                         CanopyNode   *node)
{
  g_autofree char *title = NULL;
  GtkWidget *view;

  g_return_if_fail (CANOPY_IS_WINDOW (self));
  g_return_if_fail (CANOPY_IS_NODE (node));

  g_object_get (node, "title", &title, NULL);
#ifdef CANOPY_HAVE_HOST_VIEW
  view = canopy_host_view_new (node);
#else
  view = placeholder_view (node);
#endif
  canopy_window_show_room (self, view, title);
}

/* The room's title when the index lists it (unlisted rooms are joined by ID only). */
static char *
room_title (CanopyWindow *self,
            const char   *room_id)
{
  GListModel *rooms = canopy_room_index_get_rooms (self->room_index);

  for (guint i = 0; rooms != NULL && i < g_list_model_get_n_items (rooms); i++) {
    g_autoptr (CanopyRoomItem) item = g_list_model_get_item (rooms, i);

    if (g_strcmp0 (canopy_room_item_get_room (item), room_id) == 0)
      return g_strdup (canopy_room_item_get_title (item));
  }
  return g_strdup_printf (_("Room %s"), room_id);
}

/**
 * canopy_window_open_audience:
 * @self: the window
 * @node: an unstarted viewer node with its room-id set
 *
 * Shows the audience view for @node; the view starts the node.
 */
void
canopy_window_open_audience (CanopyWindow *self,
                             CanopyNode   *node)
{
  g_autofree char *title = NULL;
  GtkWidget *view;

  g_return_if_fail (CANOPY_IS_WINDOW (self));
  g_return_if_fail (CANOPY_IS_NODE (node));

  title = room_title (self, canopy_node_get_room_id (node));
#ifdef CANOPY_HAVE_AUDIENCE_VIEW
  view = canopy_audience_view_new (node);
#else
  view = placeholder_view (node);
#endif
  canopy_window_show_room (self, view, title);
}

GtkWidget *
canopy_window_get_room_index (CanopyWindow *self)
{
  g_return_val_if_fail (CANOPY_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->room_index);
}

/**
 * canopy_window_get_page:
 * @self: the window
 *
 * Returns: "index" or "room"
 */
const char *
canopy_window_get_page (CanopyWindow *self)
{
  g_return_val_if_fail (CANOPY_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

/**
 * canopy_window_get_room_view:
 * @self: the window
 *
 * Returns: (transfer none) (nullable): the room view shown or kept, if any
 */
GtkWidget *
canopy_window_get_room_view (CanopyWindow *self)
{
  g_return_val_if_fail (CANOPY_IS_WINDOW (self), NULL);
  /* NULL once the template is gone, while the window is being destroyed. */
  return self->room_bin ? adw_bin_get_child (self->room_bin) : NULL;
}
