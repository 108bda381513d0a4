/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* Loading the config file: the [server] limits and the [ice-server NAME] groups. */

#include "canopy-signal-server.h"
#include "canopy-signal-server-private.h"

#include <string.h>

/* The [server] keys of the configuration file are these properties of the server. */
static const char *const config_keys[] = {
  "max-rooms", "max-peers", "max-message", "rate", "burst", "keepalive",
  "max-peers-per-address", "max-rooms-per-address", "hello-timeout", "upgrade-timeout",
};

static gboolean
config_error (GError    **error,
              const char *group,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

static gboolean
config_error (GError    **error,
              const char *group,
              const char *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s] %s", group, text);
  return FALSE;
}

static gboolean
is_printable_ascii (const char *text)
{
  for (const char *p = text; *p; p++)
    if (*p <= 0x20 || *p >= 0x7f)
      return FALSE;
  return TRUE;
}

static JsonObject *
parse_ice_server (GKeyFile   *file,
                  const char *group,
                  GError    **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (file, group, NULL, error);
  g_auto (GStrv) urls = NULL;
  g_autofree char *username = NULL;
  g_autofree char *credential = NULL;
  g_autoptr (JsonObject) server = NULL;
  JsonArray *list;
  gboolean turn = FALSE;
  gsize n_urls = 0;

  if (keys == NULL)
    return NULL;
  for (guint i = 0; keys[i] != NULL; i++)
    if (!g_str_equal (keys[i], "urls") && !g_str_equal (keys[i], "username") &&
        !g_str_equal (keys[i], "credential")) {
      config_error (error, group, "Unknown key \"%s\" (urls, username, credential)", keys[i]);
      return NULL;
    }
  urls = g_key_file_get_string_list (file, group, "urls", &n_urls, NULL);
  if (urls == NULL || n_urls == 0 || n_urls > CANOPY_ICE_URLS_MAX) {
    config_error (error, group, "\"urls\" must list 1 to %d URLs", CANOPY_ICE_URLS_MAX);
    return NULL;
  }
  list = json_array_new ();
  server = json_object_new ();
  json_object_set_array_member (server, "urls", list);
  for (gsize i = 0; i < n_urls; i++) {
    char *url = g_strstrip (urls[i]);

    if (!(g_str_has_prefix (url, "stun:") || g_str_has_prefix (url, "stuns:") ||
          g_str_has_prefix (url, "turn:") || g_str_has_prefix (url, "turns:")) ||
        strlen (url) > CANOPY_ICE_URL_CHARS || !is_printable_ascii (url)) {
      config_error (error, group, "\"%s\" is not a stun:, stuns:, turn: or turns: URL", url);
      return NULL;
    }
    turn |= g_str_has_prefix (url, "turn");
    json_array_add_string_element (list, url);
  }
  username = g_key_file_get_string (file, group, "username", NULL);
  credential = g_key_file_get_string (file, group, "credential", NULL);
  if (turn && (username == NULL || credential == NULL)) {
    config_error (error, group, "A TURN server needs \"username\" and \"credential\"");
    return NULL;
  }
  if ((username && (g_utf8_strlen (username, -1) > CANOPY_ICE_CREDENTIAL_CHARS)) ||
      (credential && (g_utf8_strlen (credential, -1) > CANOPY_ICE_CREDENTIAL_CHARS))) {
    config_error (error, group, "\"username\" and \"credential\" must be at most %d characters",
                  CANOPY_ICE_CREDENTIAL_CHARS);
    return NULL;
  }
  if (username != NULL)
    json_object_set_string_member (server, "username", username);
  if (credential != NULL)
    json_object_set_string_member (server, "credential", credential);
  return g_steal_pointer (&server);
}

static gboolean
parse_server_group (CanopySignalServer *self,
                    GKeyFile           *file,
                    guint              *values,
                    GError            **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (file, "server", NULL, error);

  if (keys == NULL)
    return FALSE;
  for (guint i = 0; keys[i] != NULL; i++) {
    GParamSpecUInt *pspec = NULL;
    g_autoptr (GError) local_error = NULL;
    guint64 value;
    guint j;

    for (j = 0; j < G_N_ELEMENTS (config_keys); j++) {
      if (g_str_equal (keys[i], config_keys[j])) {
        pspec = G_PARAM_SPEC_UINT (g_object_class_find_property (G_OBJECT_GET_CLASS (self),
                                                                 config_keys[j]));
        break;
      }
    }
    if (pspec == NULL)
      return config_error (error, "server",
                           "Unknown key \"%s\" (max-rooms, max-peers, max-message, rate, burst, "
                           "keepalive, max-peers-per-address, max-rooms-per-address, "
                           "hello-timeout, upgrade-timeout)",
                           keys[i]);
    value = g_key_file_get_uint64 (file, "server", keys[i], &local_error);
    if (local_error != NULL || value < pspec->minimum || value > pspec->maximum)
      return config_error (error, "server", "\"%s\" must be a whole number from %u to %u",
                           keys[i], pspec->minimum, pspec->maximum);
    values[j] = (guint) value;
  }
  return TRUE;
}

/**
 * canopy_signal_server_load_config:
 * @self: a server
 * @path: a GKeyFile as in docs/protocol.md: a [server] group and [ice-server NAME] groups
 * @error: return location for a #GError
 *
 * Applies the file's limits and replaces the ICE servers sent in `welcome`. Nothing is
 * applied when any part of the file is wrong.
 *
 * Returns: whether the file was read and valid
 */
gboolean
canopy_signal_server_load_config (CanopySignalServer *self,
                                  const char         *path,
                                  GError            **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (JsonArray) ice_servers = json_array_new ();
  g_auto (GStrv) groups = NULL;
  guint values[G_N_ELEMENTS (config_keys)] = { 0 };

  g_return_val_if_fail (CANOPY_IS_SIGNAL_SERVER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    const char *group = groups[i];
    gboolean ok = TRUE;

    if (g_str_equal (group, "server")) {
      ok = parse_server_group (self, file, values, error);
    } else if (g_str_equal (group, "ice-server") || g_str_has_prefix (group, "ice-server ")) {
      JsonObject *server = parse_ice_server (file, group, error);

      ok = server != NULL;
      if (ok)
        json_array_add_object_element (ice_servers, server);
      if (ok && json_array_get_length (ice_servers) > CANOPY_ICE_SERVERS_MAX)
        ok = config_error (error, group, "More than %d ICE servers", CANOPY_ICE_SERVERS_MAX);
    } else {
      ok = config_error (error, group, "Unknown group (server, ice-server NAME)");
    }
    if (!ok) {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  }

  g_object_freeze_notify (G_OBJECT (self));
  for (guint j = 0; j < G_N_ELEMENTS (config_keys); j++)
    if (values[j] != 0)
      g_object_set (self, config_keys[j], values[j], NULL);
  g_object_thaw_notify (G_OBJECT (self));
  json_node_unref (self->ice_servers);
  self->ice_servers = json_node_init_array (json_node_alloc (), ice_servers);
  return TRUE;
}
