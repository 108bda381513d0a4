/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyPreferencesWindow"

#include "canopy-preferences-window.h"

#include <glib/gi18n.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

/* The settings, bound live to GSettings; plus where others on the network find the server this
 * computer runs, when it runs one. */
struct _CanopyPreferencesWindow {
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  gboolean syncing;

  AdwEntryRow *name_row;
  AdwEntryRow *server_row;
  AdwActionRow *lan_row;
  GtkSpinButton *capacity_spin;
  AdwComboRow *resolution_row;
  GtkSpinButton *fps_spin;
  GtkSpinButton *bitrate_spin;
  AdwComboRow *codec_row;
};

G_DEFINE_FINAL_TYPE (CanopyPreferencesWindow, canopy_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

static const struct {
  guint width;
  guint height;
} resolutions[] = {
  { 640, 360 },
  { 1280, 720 },
  { 1920, 1080 },
};

static const char *const codecs[] = { "vp8", "h264" };

/**
 * canopy_lan_address:
 *
 * Returns: (transfer full) (nullable): the first IPv4 address of an interface that is up and
 *   not loopback, or %NULL
 */
char *
canopy_lan_address (void)
{
  struct ifaddrs *list = NULL;
  char *found = NULL;

  if (getifaddrs (&list) != 0)
    return NULL;
  for (struct ifaddrs *ifa = list; ifa != NULL && found == NULL; ifa = ifa->ifa_next) {
    char text[INET_ADDRSTRLEN];

    if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
        (ifa->ifa_flags & IFF_LOOPBACK) || !(ifa->ifa_flags & IFF_UP))
      continue;
    if (inet_ntop (AF_INET, &((struct sockaddr_in *) ifa->ifa_addr)->sin_addr, text,
                   sizeof text) != NULL)
      found = g_strdup (text);
  }
  freeifaddrs (list);
  return found;
}

static void
sync_resolution (CanopyPreferencesWindow *self)
{
  guint width = g_settings_get_uint (self->settings, "video-width");
  guint height = g_settings_get_uint (self->settings, "video-height");

  /* A size that is none of the choices (or half-way through a change) leaves the row alone. */
  for (guint i = 0; i < G_N_ELEMENTS (resolutions); i++)
    if (resolutions[i].width == width && resolutions[i].height == height &&
        adw_combo_row_get_selected (self->resolution_row) != i) {
      self->syncing = TRUE;
      adw_combo_row_set_selected (self->resolution_row, i);
      self->syncing = FALSE;
    }
}

static void
on_resolution_row_selected (CanopyPreferencesWindow *self)
{
  guint i = adw_combo_row_get_selected (self->resolution_row);

  if (self->syncing || i >= G_N_ELEMENTS (resolutions))
    return;
  g_settings_delay (self->settings);
  g_settings_set_uint (self->settings, "video-width", resolutions[i].width);
  g_settings_set_uint (self->settings, "video-height", resolutions[i].height);
  g_settings_apply (self->settings);
}

static gboolean
codec_get (GValue   *value,
           GVariant *variant,
           gpointer  user_data)
{
  const char *codec = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
    if (g_str_equal (codec, codecs[i])) {
      g_value_set_uint (value, i);
      return TRUE;
    }
  return FALSE;
}

static GVariant *
codec_set (const GValue       *value,
           const GVariantType *expected_type,
           gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  return i < G_N_ELEMENTS (codecs) ? g_variant_new_string (codecs[i]) : NULL;
}

static void
show_lan_address (CanopyPreferencesWindow *self,
                  CanopySignalServer      *server,
                  gboolean                 lan)
{
  g_autofree char *address = canopy_lan_address ();
  g_autofree char *url = NULL;
  g_autofree char *subtitle = NULL;

  if (server == NULL || canopy_signal_server_get_port (server) == 0)
    return;
  url = g_strdup_printf ("ws://%s:%u/ws", address ? address : _("THIS-COMPUTER"),
                         canopy_signal_server_get_port (server));
  if (lan)
    subtitle = g_strdup (url);
  else
    subtitle = g_strdup_printf (_("Nobody yet: the server on this computer only listens to this "
                                  "computer. Start Canopy with --lan to share it as %s"), url);
  /* Action row subtitles are markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->lan_row), FALSE);
  adw_action_row_set_subtitle (self->lan_row, subtitle);
  gtk_widget_set_visible (GTK_WIDGET (self->lan_row), TRUE);
}

static void
canopy_preferences_window_dispose (GObject *object)
{
  CanopyPreferencesWindow *self = CANOPY_PREFERENCES_WINDOW (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (canopy_preferences_window_parent_class)->dispose (object);
}

static void
canopy_preferences_window_class_init (CanopyPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = canopy_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, lan_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, capacity_spin);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, resolution_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, fps_spin);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, bitrate_spin);
  gtk_widget_class_bind_template_child (widget_class, CanopyPreferencesWindow, codec_row);
}

static void
canopy_preferences_window_init (CanopyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * canopy_preferences_window_new:
 * @parent: (nullable): the main window
 * @settings: the application's settings
 * @embedded_server: (nullable): the server this process runs, if any
 * @lan: whether that server listens on every interface
 *
 * Returns: (transfer none): a new preferences window
 */
CanopyPreferencesWindow *
canopy_preferences_window_new (GtkWindow          *parent,
                               GSettings          *settings,
                               CanopySignalServer *embedded_server,
                               gboolean            lan)
{
  CanopyPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (CANOPY_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "display-name", self->name_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "server-url", self->server_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "relay-capacity", self->capacity_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "video-fps", self->fps_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "video-bitrate", self->bitrate_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "video-codec", self->codec_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, codec_get, codec_set, NULL, NULL);

  adw_combo_row_set_selected (self->resolution_row, 1);
  sync_resolution (self);
  g_signal_connect_swapped (self->resolution_row, "notify::selected",
                            G_CALLBACK (on_resolution_row_selected), self);
  g_signal_connect_swapped (settings, "changed::video-width", G_CALLBACK (sync_resolution), self);
  g_signal_connect_swapped (settings, "changed::video-height", G_CALLBACK (sync_resolution), self);

  show_lan_address (self, embedded_server, lan);
  return self;
}
