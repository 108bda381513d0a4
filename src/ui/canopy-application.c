/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyApplication"

#include "canopy-application.h"

#include "canopy-ids.h"

#include "canopy-preferences-window.h"
#include "canopy-resources.h"
#include "canopy-window.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

/* The application: settings, actions and shortcuts, and the signalling server in use, which is
 * the --server option, else the server-url setting, else one this process runs itself. */
struct _CanopyApplication {
  AdwApplication parent_instance;

  GSettings *settings;
  char *server_option;          /* --server, or NULL */
  gboolean lan;                 /* --lan or CANOPY_LAN=1 */
  char *server_url;
  char *server_error;
  CanopySignalServer *embedded_server;
  guint resolve_source;
  char *host_title;             /* --host: a room to open at start */
  char *join_room;              /* --join: a room to join at start */
  guint sigterm_source;
  guint sigint_source;
  CanopyIdentity *identity;     /* the user's key, loaded when first needed */
  GWeakRef identity_holder;     /* the node using it now */
};

G_DEFINE_FINAL_TYPE (CanopyApplication, canopy_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_EMBEDDED_SERVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The port the embedded server tries first when shared on the network, so that the address
 * others type stays the same from one start to the next. */
#define LAN_PORT 7680

static const GOptionEntry options[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Use this signalling server instead of the configured one"), N_("URL") },
  { "lan", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Let others on the local network use the server this computer runs"), NULL },
  { "host", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Open a new room with this title at start"), N_("TITLE") },
  { "join", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Join this room at start"), N_("ROOM") },
  { NULL }
};

static gboolean
start_embedded_server (CanopyApplication *self,
                       GError           **error)
{
  g_autoptr (CanopySignalServer) server = canopy_signal_server_new ();
  const char *address = self->lan ? "0.0.0.0" : "127.0.0.1";

  if (!(self->lan && canopy_signal_server_listen (server, address, LAN_PORT, NULL)) &&
      !canopy_signal_server_listen (server, address, 0, error))
    return FALSE;
  /* Listening on every interface, the server calls itself 0.0.0.0: we reach it on loopback. */
  self->server_url = g_strdup_printf ("ws://127.0.0.1:%u/ws", canopy_signal_server_get_port (server));
  self->embedded_server = g_steal_pointer (&server);
  g_debug ("Running a signalling server at %s", self->server_url);
  return TRUE;
}

static void
resolve_server (CanopyApplication *self)
{
  g_autofree char *setting = NULL;
  g_autofree char *old_url = g_steal_pointer (&self->server_url);
  gboolean had_server = self->embedded_server != NULL;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->server_error, g_free);
  setting = g_strstrip (g_settings_get_string (self->settings, "server-url"));

  if (self->server_option != NULL && *self->server_option != '\0')
    self->server_url = g_strdup (self->server_option);
  else if (*setting != '\0')
    self->server_url = g_steal_pointer (&setting);

  if (self->server_url != NULL) {
    if (self->embedded_server != NULL) {
      canopy_signal_server_stop (self->embedded_server);
      g_clear_object (&self->embedded_server);
    }
  } else if (self->embedded_server != NULL) {
    self->server_url = g_strdup_printf ("ws://127.0.0.1:%u/ws",
                                        canopy_signal_server_get_port (self->embedded_server));
  } else if (!start_embedded_server (self, &error)) {
    self->server_error = g_strdup (error->message);
    g_warning ("Cannot run a signalling server: %s", error->message);
  }

  if (had_server != (self->embedded_server != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMBEDDED_SERVER]);
  if (g_strcmp0 (old_url, self->server_url) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URL]);
}

static gboolean
on_resolve_timeout (gpointer user_data)
{
  CanopyApplication *self = user_data;

  self->resolve_source = 0;
  resolve_server (self);
  return G_SOURCE_REMOVE;
}

static void
on_settings_server_url_changed (CanopyApplication *self)
{
  /* The preferences write the setting at every keystroke: wait until the typing stops. */
  g_clear_handle_id (&self->resolve_source, g_source_remove);
  self->resolve_source = g_timeout_add_seconds (1, on_resolve_timeout, self);
}

static CanopyWindow *
active_window (CanopyApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (CANOPY_IS_WINDOW (window))
    return CANOPY_WINDOW (window);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (CANOPY_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static void
on_new_room_activate (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  CanopyWindow *window = active_window (user_data);

  if (window != NULL)
    canopy_window_new_room (window);
}

static void
on_join_activate (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  CanopyWindow *window = active_window (user_data);

  if (window != NULL)
    canopy_window_focus_join (window);
}

static void
on_preferences_activate (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  CanopyApplication *self = user_data;
  CanopyPreferencesWindow *prefs;

  prefs = canopy_preferences_window_new (GTK_WINDOW (active_window (self)), self->settings,
                                         self->embedded_server, self->lan);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
on_about_activate (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  CanopyApplication *self = user_data;
  static const char *developers[] = { "The Canopy developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", active_window (self),
                        "modal", TRUE,
                        "application-name", _("Canopy"),
                        "application-icon", CANOPY_APP_ID,
                        "version", CANOPY_VERSION,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        "comments", _("Live rooms where viewers pass the stream on to each other"),
                        "website", "https://github.com/canopy",
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
on_quit_activate (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  CanopyApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing lets every window save its size and every room view leave its room. */
  for (GList *l = windows; l; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "new-room", on_new_room_activate },
  { "join", on_join_activate },
  { "preferences", on_preferences_activate },
  { "about", on_about_activate },
  { "quit", on_quit_activate },
};

/* GLib 2.74 lacks g_set_str. */
static void
replace_string (char       **field,
                 const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* SIGTERM and SIGINT quit the way Ctrl+Q does: rooms are left, the exit status is 0. */
static gboolean
on_quit_signal (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static int
canopy_application_handle_local_options (GApplication *application,
                                         GVariantDict *dict)
{
  CanopyApplication *self = CANOPY_APPLICATION (application);
  const char *server = NULL;
  const char *text = NULL;
  gboolean lan = FALSE;

  if (g_variant_dict_lookup (dict, "server", "&s", &server))
    canopy_application_set_server_option (self, server, self->lan);
  if (g_variant_dict_lookup (dict, "lan", "b", &lan) && lan)
    canopy_application_set_server_option (self, self->server_option, TRUE);
  if (g_variant_dict_lookup (dict, "host", "&s", &text))
    replace_string (&self->host_title, text);
  if (g_variant_dict_lookup (dict, "join", "&s", &text))
    replace_string (&self->join_room, text);
  return G_APPLICATION_CLASS (canopy_application_parent_class)->handle_local_options (application,
                                                                                      dict);
}

static void
canopy_application_startup (GApplication *application)
{
  CanopyApplication *self = CANOPY_APPLICATION (application);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.new-room", { "<Control>n", NULL } },
    { "app.join", { "<Control>j", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "win.fullscreen", { "F11", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
  };

  G_APPLICATION_CLASS (canopy_application_parent_class)->startup (application);

  /* AdwApplication loads style.css from the resource base path by itself. */
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  self->sigterm_source = g_unix_signal_add (SIGTERM, on_quit_signal, self);
  self->sigint_source = g_unix_signal_add (SIGINT, on_quit_signal, self);

  self->settings = g_settings_new (CANOPY_APP_ID);
  g_signal_connect_object (self->settings, "changed::server-url",
                           G_CALLBACK (on_settings_server_url_changed), self, G_CONNECT_SWAPPED);
  resolve_server (self);
}

static void
canopy_application_activate (GApplication *application)
{
  CanopyApplication *self = CANOPY_APPLICATION (application);
  CanopyWindow *window = active_window (self);
  g_autofree char *host_title = g_steal_pointer (&self->host_title);
  g_autofree char *join_room = g_steal_pointer (&self->join_room);

  if (window == NULL)
    window = canopy_window_new (self);
  gtk_window_present (GTK_WINDOW (window));

  if (host_title != NULL) {
    canopy_window_create_room (window, host_title, NULL, NULL, TRUE,
                               g_settings_get_uint (self->settings, "k1"), NULL);
  } else if (join_room != NULL) {
    g_autofree char *room = canopy_room_id_normalize (join_room);

    if (room != NULL)
      canopy_window_join_room (window, room);
    else
      canopy_window_toast (window, _("This is not a room ID"));
  }
}

static void
canopy_application_shutdown (GApplication *application)
{
  CanopyApplication *self = CANOPY_APPLICATION (application);

  g_clear_handle_id (&self->resolve_source, g_source_remove);
  g_clear_handle_id (&self->sigterm_source, g_source_remove);
  g_clear_handle_id (&self->sigint_source, g_source_remove);
  if (self->embedded_server != NULL)
    canopy_signal_server_stop (self->embedded_server);
  G_APPLICATION_CLASS (canopy_application_parent_class)->shutdown (application);
}

static void
canopy_application_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CanopyApplication *self = CANOPY_APPLICATION (object);

  switch (prop_id) {
  case PROP_SERVER_URL:
    g_value_set_string (value, self->server_url);
    break;
  case PROP_EMBEDDED_SERVER:
    g_value_set_object (value, self->embedded_server);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_application_dispose (GObject *object)
{
  CanopyApplication *self = CANOPY_APPLICATION (object);

  g_clear_handle_id (&self->resolve_source, g_source_remove);
  g_clear_object (&self->embedded_server);
  g_clear_object (&self->settings);
  g_clear_object (&self->identity);
  g_weak_ref_set (&self->identity_holder, NULL);
  G_OBJECT_CLASS (canopy_application_parent_class)->dispose (object);
}

static void
canopy_application_finalize (GObject *object)
{
  CanopyApplication *self = CANOPY_APPLICATION (object);

  g_free (self->server_option);
  g_free (self->server_url);
  g_free (self->server_error);
  g_free (self->host_title);
  g_free (self->join_room);
  g_weak_ref_clear (&self->identity_holder);
  G_OBJECT_CLASS (canopy_application_parent_class)->finalize (object);
}

static void
canopy_application_class_init (CanopyApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = canopy_application_get_property;
  object_class->dispose = canopy_application_dispose;
  object_class->finalize = canopy_application_finalize;
  app_class->handle_local_options = canopy_application_handle_local_options;
  app_class->startup = canopy_application_startup;
  app_class->activate = canopy_application_activate;
  app_class->shutdown = canopy_application_shutdown;

  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_EMBEDDED_SERVER] =
    g_param_spec_object ("embedded-server", NULL, NULL, CANOPY_TYPE_SIGNAL_SERVER,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The resources live in a static library: using them links them in, and their constructor
   * registers them. */
  if (canopy_get_resource () == NULL)
    g_error ("Canopy's resources are missing");
}

static void
canopy_application_init (CanopyApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  self->lan = g_strcmp0 (g_getenv ("CANOPY_LAN"), "1") == 0;
}

/**
 * canopy_application_new:
 *
 * Each window it opens is announced by #GtkApplication::window-added before it is shown:
 * that is how tools that watch the app (tests/ui/canopy-test-app.c) find it.
 *
 * Returns: (transfer full): the application
 */
CanopyApplication *
canopy_application_new (void)
{
  return g_object_new (CANOPY_TYPE_APPLICATION,
                       "application-id", CANOPY_APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/io/github/canopy/Canopy",
                       NULL);
}

GSettings *
canopy_application_get_settings (CanopyApplication *self)
{
  g_return_val_if_fail (CANOPY_IS_APPLICATION (self), NULL);
  return self->settings;
}

/**
 * canopy_application_get_server_url:
 * @self: the application
 *
 * Returns: (nullable): the signalling server in use, or %NULL when none could be started
 */
const char *
canopy_application_get_server_url (CanopyApplication *self)
{
  g_return_val_if_fail (CANOPY_IS_APPLICATION (self), NULL);
  return self->server_url;
}

/**
 * canopy_application_get_embedded_server:
 * @self: the application
 *
 * Returns: (transfer none) (nullable): the server this process runs, if it runs one
 */
CanopySignalServer *
canopy_application_get_embedded_server (CanopyApplication *self)
{
  g_return_val_if_fail (CANOPY_IS_APPLICATION (self), NULL);
  return self->embedded_server;
}

/**
 * canopy_application_get_server_error:
 * @self: the application
 *
 * Returns: (nullable): why the embedded server could not start
 */
const char *
canopy_application_get_server_error (CanopyApplication *self)
{
  g_return_val_if_fail (CANOPY_IS_APPLICATION (self), NULL);
  return self->server_error;
}

gboolean
canopy_application_get_lan (CanopyApplication *self)
{
  g_return_val_if_fail (CANOPY_IS_APPLICATION (self), FALSE);
  return self->lan;
}

/**
 * canopy_application_identity_for:
 * @self: the application
 * @node: a node about to start
 *
 * The user's key lives in `$XDG_DATA_HOME/canopy/identity` (made on first use, mode 0600): the
 * peer id others know them by. One connection holds a key at a time (a second one takes its
 * place on the server), so a node made while another of ours still uses the key gets a key
 * of its own for this run.
 *
 * Returns: (transfer full): the identity for @node
 */
CanopyIdentity *
canopy_application_identity_for (CanopyApplication *self,
                                 CanopyNode        *node)
{
  g_autoptr (CanopyNode) holder = NULL;

  g_return_val_if_fail (CANOPY_IS_APPLICATION (self), NULL);

  if (self->identity == NULL) {
    g_autofree char *path = g_build_filename (g_get_user_data_dir (), "canopy", "identity", NULL);
    g_autoptr (GError) error = NULL;

    self->identity = canopy_identity_load (path, TRUE, &error);
    if (self->identity == NULL) {
      g_message ("Using a key for this run only: %s", error->message);
      self->identity = canopy_identity_new ();
    }
  }
  holder = g_weak_ref_get (&self->identity_holder);
  if (holder != NULL && canopy_node_get_state (holder) != CANOPY_NODE_STATE_ENDED &&
      canopy_node_get_state (holder) != CANOPY_NODE_STATE_FAILED)
    return canopy_identity_new ();
  g_weak_ref_set (&self->identity_holder, node);
  return g_object_ref (self->identity);
}

/**
 * canopy_application_set_server_option:
 * @self: the application
 * @url: (nullable): a server that overrides the setting, as `--server` does
 * @lan: whether an embedded server listens on every interface, as `--lan` does
 *
 * Takes effect at startup, or at once when already started.
 */
void
canopy_application_set_server_option (CanopyApplication *self,
                                      const char        *url,
                                      gboolean           lan)
{
  g_return_if_fail (CANOPY_IS_APPLICATION (self));

  if (url != self->server_option) {
    g_free (self->server_option);
    self->server_option = g_strdup (url);
  }
  self->lan = self->lan || lan;
  if (self->settings != NULL)
    resolve_server (self);
}
