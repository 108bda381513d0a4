/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

#include "canopy-signal-server.h"
#include "canopy-signal-server-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define NEW_PEER_ID_CHARS 10
/* libsoup refuses frames this far over max-message by itself, before buffering them whole. */
#define FRAME_SLACK 4096
#define KEEPALIVE_SECONDS 15
/* A peer that sends nothing and answers no ping for this long is gone. */
#define IDLE_LIMIT_USEC (3 * KEEPALIVE_SECONDS * G_USEC_PER_SEC)
#define MAX_DROPPED 1000
/* Dropped messages are forgotten after a quiet minute: only a sustained flood closes. */
#define DROPPED_FORGET_USEC (60 * G_USEC_PER_SEC)

/**
 * CanopySignalServer:
 *
 * The signalling and room-directory server of docs/protocol.md: a WebSocket at `/ws`, and
 * `GET /rooms` and `GET /health`. It runs on the thread-default main context it was created
 * on, so the desktop app can embed it; `canopy-signal` wraps it in a main().
 */

G_DEFINE_FINAL_TYPE (CanopySignalServer, canopy_signal_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_ROOMS,
  PROP_MAX_PEERS,
  PROP_MAX_MESSAGE,
  PROP_RATE,
  PROP_BURST,
  PROP_N_ROOMS,
  PROP_N_PEERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The [server] keys of the configuration file are these properties. */
static const int config_props[] = {
  PROP_MAX_ROOMS, PROP_MAX_PEERS, PROP_MAX_MESSAGE, PROP_RATE, PROP_BURST,
};

/* --- helpers shared with canopy-signal-room.c --- */

void
canopy_signal_random_bytes (guint8 *buffer,
                            gsize   len)
{
  gsize done = 0;

  while (done < len) {
    gssize n = getrandom (buffer + done, len - done, 0);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      /* Without a CSPRNG, peer ids and host secrets could be guessed: better to stop. */
      g_error ("getrandom() failed: %s", g_strerror (errno));
    }
    done += (gsize) n;
  }
}

char *
canopy_signal_random_id (gsize n_chars)
{
  static const char alphabet[] = CANOPY_ID_ALPHABET;
  const guint n_symbols = sizeof alphabet - 1;
  /* Bytes from here up are thrown away, so that every symbol is equally likely. */
  const guint limit = 256 - 256 % n_symbols;
  char *id = g_malloc (n_chars + 1);
  gsize n = 0;

  while (n < n_chars) {
    guint8 bytes[32];

    canopy_signal_random_bytes (bytes, sizeof bytes);
    for (gsize i = 0; i < sizeof bytes && n < n_chars; i++)
      if (bytes[i] < limit)
        id[n++] = alphabet[bytes[i] % n_symbols];
  }
  id[n] = '\0';
  return id;
}

/* g_timeout_add() would attach to the global default context, not the one we run on. */
GSource *
canopy_signal_server_add_timeout (CanopySignalServer *self,
                                  guint               interval_ms,
                                  GSourceFunc         func,
                                  gpointer            data)
{
  GSource *source = g_timeout_source_new (interval_ms);

  g_source_set_static_name (source, "CanopySignalServer");
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, self->context);
  return source;
}

void
canopy_signal_source_clear (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

void
canopy_signal_peer_send_text (CanopySignalPeer *peer,
                              const char       *text)
{
  if (soup_websocket_connection_get_state (peer->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (peer->connection, text);
}

void
canopy_signal_peer_send (CanopySignalPeer *peer,
                         JsonObject       *message)
{
  g_autofree char *text = canopy_json_to_string (message);

  canopy_signal_peer_send_text (peer, text);
}

void
canopy_signal_server_notify_rooms (CanopySignalServer *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ROOMS]);
}

/* --- connections --- */

static void
peer_send_error (CanopySignalPeer *peer,
                 const GError     *error,
                 const char       *ref)
{
  g_autoptr (JsonObject) message = canopy_json_error_new (error, ref);

  g_debug ("%s: %s%s%s", peer->id, error->message, ref ? " in " : "", ref ? ref : "");
  canopy_signal_peer_send (peer, message);
}

static void
peer_free (gpointer data)
{
  CanopySignalPeer *peer = data;

  g_signal_handlers_disconnect_by_data (peer->connection, peer);
  if (soup_websocket_connection_get_state (peer->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                     "Server stopping");
  g_object_unref (peer->connection);
  g_free (peer->id);
  g_free (peer->name);
  g_free (peer);
}

/* Closes @peer's connection from our side; it leaves its room at once. */
static void
peer_close (CanopySignalServer *self,
            CanopySignalPeer   *peer,
            gushort             code,
            const char         *reason)
{
  peer->closing = TRUE;
  canopy_signal_server_detach_peer (self, peer);
  if (soup_websocket_connection_get_state (peer->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->connection, code, reason);
}

static gboolean
peer_take_token (CanopySignalServer *self,
                 CanopySignalPeer   *peer,
                 gint64              now)
{
  double refill = (double) (now - peer->refilled_at) * self->rate / G_USEC_PER_SEC;

  peer->tokens = MIN ((double) self->burst, peer->tokens + refill);
  peer->refilled_at = now;
  if (peer->tokens < 1.0)
    return FALSE;
  peer->tokens -= 1.0;
  return TRUE;
}

static void
peer_drop_message (CanopySignalServer *self,
                   CanopySignalPeer   *peer,
                   gint64              now)
{
  if (now - peer->dropped_at > DROPPED_FORGET_USEC)
    peer->dropped = 0;
  peer->dropped_at = now;
  if (++peer->dropped >= MAX_DROPPED) {
    g_message ("Closing %s: it keeps sending more than %u messages a second", peer->id,
               self->rate);
    peer_close (self, peer, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "Too many messages");
    return;
  }
  /* One error a second at most: answering every dropped message would feed the flood. */
  if (peer->rate_error_at == 0 || now - peer->rate_error_at >= G_USEC_PER_SEC) {
    g_autoptr (GError) error = g_error_new (CANOPY_ERROR, CANOPY_ERROR_RATE_LIMITED,
                                            "More than %u messages a second: message dropped",
                                            self->rate);

    peer->rate_error_at = now;
    peer_send_error (peer, error, NULL);
  }
}

static void
on_peer_message (SoupWebsocketConnection *connection,
                 SoupWebsocketDataType    type,
                 GBytes                  *bytes,
                 gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;
  CanopySignalServer *self = peer->server;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  gint64 now = g_get_monotonic_time ();
  const char *msg_type;
  const char *data;
  gsize len = 0;

  if (peer->closing)
    return;
  peer->active_at = now;
  if (!peer_take_token (self, peer, now)) {
    peer_drop_message (self, peer, now);
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    error = g_error_new_literal (CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                                 "Binary frames are not accepted: send JSON text");
    peer_send_error (peer, error, NULL);
    return;
  }
  data = g_bytes_get_data (bytes, &len);
  message = canopy_json_parse_object (data ? data : "", (gssize) len, self->max_message, &error);
  if (message == NULL) {
    peer_send_error (peer, error, NULL);
    return;
  }
  msg_type = canopy_json_get_type (message, &error);
  if (msg_type == NULL) {
    peer_send_error (peer, error, NULL);
    return;
  }
  if (!canopy_signal_server_dispatch (self, peer, msg_type, message, &error))
    peer_send_error (peer, error, msg_type);
}

static void
on_peer_pong (SoupWebsocketConnection *connection,
              GBytes                  *message,
              gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;

  peer->active_at = g_get_monotonic_time ();
}

static void
on_peer_closed (SoupWebsocketConnection *connection,
                gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;
  CanopySignalServer *self = peer->server;

  g_debug ("%s disconnected (code %u)", peer->id,
           soup_websocket_connection_get_close_code (connection));
  canopy_signal_server_detach_peer (self, peer);
  /* libsoup holds its own reference while it emits ::closed. */
  g_hash_table_remove (self->peers, peer->id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PEERS]);
}

static void
on_turned_away_closed (SoupWebsocketConnection *connection,
                       gpointer                 user_data)
{
  CanopySignalServer *self = user_data;

  g_hash_table_remove (self->turned_away, connection);
}

static void
turned_away_free (gpointer data)
{
  SoupWebsocketConnection *connection = data;

  /* Any data: the handler's is the server, which may be going away. */
  g_signal_handlers_disconnect_matched (connection, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        on_turned_away_closed, NULL);
  if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_object_unref (connection);
}

/* Over max-peers: says why, then closes. The connection is kept until it is closed so the
 * error and the close frame get out. */
static void
turn_away (CanopySignalServer      *self,
           SoupWebsocketConnection *connection)
{
  g_autoptr (GError) error = g_error_new (CANOPY_ERROR, CANOPY_ERROR_SERVER_FULL,
                                          "The server already has %u connections",
                                          self->max_peers);
  g_autoptr (JsonObject) message = canopy_json_error_new (error, NULL);
  g_autofree char *text = canopy_json_to_string (message);

  g_message ("Turning a connection away: %s", error->message);
  g_hash_table_add (self->turned_away, g_object_ref (connection));
  g_signal_connect (connection, "closed", G_CALLBACK (on_turned_away_closed), self);
  soup_websocket_connection_send_text (connection, text);
  soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server full");
}

static void
send_welcome (CanopySignalServer *self,
              CanopySignalPeer   *peer)
{
  g_autoptr (JsonObject) welcome = json_object_new ();
  JsonObject *limits = json_object_new ();

  json_object_set_string_member (welcome, "type", "welcome");
  json_object_set_string_member (welcome, "peer", peer->id);
  json_object_set_string_member (welcome, "server", "canopy-signal " CANOPY_VERSION);
  json_object_set_member (welcome, "ice_servers", json_node_copy (self->ice_servers));
  json_object_set_int_member (limits, "max_message", self->max_message);
  json_object_set_int_member (limits, "title", CANOPY_TITLE_CHARS);
  json_object_set_int_member (limits, "summary", CANOPY_SUMMARY_CHARS);
  json_object_set_int_member (limits, "cover", CANOPY_COVER_BYTES);
  json_object_set_int_member (limits, "name", CANOPY_NAME_CHARS);
  json_object_set_int_member (limits, "chat", CANOPY_CHAT_TEXT_CHARS);
  json_object_set_object_member (welcome, "limits", limits);
  canopy_signal_peer_send (peer, welcome);
}

static void
on_websocket (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  CanopySignalServer *self = user_data;
  CanopySignalPeer *peer;

  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                           self->max_message + FRAME_SLACK);
  soup_websocket_connection_set_keepalive_interval (connection, KEEPALIVE_SECONDS);
  if (g_hash_table_size (self->peers) >= self->max_peers) {
    turn_away (self, connection);
    return;
  }

  peer = g_new0 (CanopySignalPeer, 1);
  peer->server = self;
  peer->connection = g_object_ref (connection);
  do {
    g_autofree char *tail = canopy_signal_random_id (NEW_PEER_ID_CHARS);

    g_free (peer->id);
    peer->id = g_strconcat ("p", tail, NULL);
  } while (g_hash_table_contains (self->peers, peer->id));
  peer->active_at = peer->refilled_at = g_get_monotonic_time ();
  peer->tokens = self->burst;
  g_signal_connect (connection, "message", G_CALLBACK (on_peer_message), peer);
  g_signal_connect (connection, "pong", G_CALLBACK (on_peer_pong), peer);
  g_signal_connect (connection, "closed", G_CALLBACK (on_peer_closed), peer);
  g_hash_table_insert (self->peers, peer->id, peer);
  g_debug ("%s connected from %s", peer->id, soup_server_message_get_remote_host (msg));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PEERS]);
  send_welcome (self, peer);
}

static void
on_http_request (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  CanopySignalServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  char *body;

  if (g_str_equal (path, "/rooms")) {
    body = g_strdup_printf ("{\"rooms\":%s}", canopy_signal_server_get_directory (self));
  } else if (g_str_equal (path, "/health")) {
    body = g_strdup_printf ("{\"status\":\"ok\",\"rooms\":%u,\"peers\":%u}",
                            g_hash_table_size (self->rooms), g_hash_table_size (self->peers));
  } else {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD")) {
    g_free (body);
    soup_message_headers_replace (headers, "Allow", "GET, HEAD");
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body,
                                    strlen (body));
}

static gboolean
on_keepalive_check (gpointer user_data)
{
  CanopySignalServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  /* libsoup 3.2 sends pings but does not time out a peer that stops answering them. */
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    CanopySignalPeer *peer = value;

    if (!peer->closing && now - peer->active_at > IDLE_LIMIT_USEC) {
      g_message ("Closing %s: it answers no pings", peer->id);
      peer_close (self, peer, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "No answer to pings");
    }
  }
  return G_SOURCE_CONTINUE;
}

/* --- configuration --- */

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

    for (j = 0; j < G_N_ELEMENTS (config_props); j++) {
      if (g_str_equal (keys[i], properties[config_props[j]]->name)) {
        pspec = G_PARAM_SPEC_UINT (properties[config_props[j]]);
        break;
      }
    }
    if (pspec == NULL)
      return config_error (error, "server",
                           "Unknown key \"%s\" (max-rooms, max-peers, max-message, rate, burst)",
                           keys[i]);
    value = g_key_file_get_uint64 (file, "server", keys[i], &local_error);
    if (local_error != NULL || value < pspec->minimum || value > pspec->maximum)
      return config_error (error, "server", "\"%s\" must be a whole number from %u to %u",
                           keys[i], pspec->minimum, pspec->maximum);
    values[j] = (guint) value;
  }
  return TRUE;
}

static void
stop (CanopySignalServer *self,
      gboolean            notify)
{
  guint n_rooms = g_hash_table_size (self->rooms);
  guint n_peers = g_hash_table_size (self->peers);
  GHashTableIter iter;
  gpointer value;

  if (self->soup != NULL) {
    soup_server_disconnect (self->soup);
    g_clear_object (&self->soup);
  }
  canopy_signal_source_clear (&self->keepalive);

  /* Rooms go silently: every connection is about to close anyway. */
  g_hash_table_remove_all (self->subscribers);
  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((CanopySignalPeer *) value)->room = NULL;
  g_hash_table_remove_all (self->rooms);
  g_hash_table_remove_all (self->peers);
  g_hash_table_remove_all (self->turned_away);
  g_clear_pointer (&self->directory, g_free);
  g_clear_pointer (&self->address, g_free);
  self->port = 0;

  if (notify && n_rooms > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ROOMS]);
  if (notify && n_peers > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PEERS]);
}

/* --- GObject --- */

static void
set_uint (CanopySignalServer *self,
          guint              *field,
          guint               value,
          int                 prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
canopy_signal_server_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CanopySignalServer *self = CANOPY_SIGNAL_SERVER (object);

  switch (prop_id) {
  case PROP_MAX_ROOMS:
    g_value_set_uint (value, self->max_rooms);
    break;
  case PROP_MAX_PEERS:
    g_value_set_uint (value, self->max_peers);
    break;
  case PROP_MAX_MESSAGE:
    g_value_set_uint (value, self->max_message);
    break;
  case PROP_RATE:
    g_value_set_uint (value, self->rate);
    break;
  case PROP_BURST:
    g_value_set_uint (value, self->burst);
    break;
  case PROP_N_ROOMS:
    g_value_set_uint (value, g_hash_table_size (self->rooms));
    break;
  case PROP_N_PEERS:
    g_value_set_uint (value, g_hash_table_size (self->peers));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_signal_server_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  CanopySignalServer *self = CANOPY_SIGNAL_SERVER (object);

  switch (prop_id) {
  case PROP_MAX_ROOMS:
    set_uint (self, &self->max_rooms, g_value_get_uint (value), PROP_MAX_ROOMS);
    break;
  case PROP_MAX_PEERS:
    set_uint (self, &self->max_peers, g_value_get_uint (value), PROP_MAX_PEERS);
    break;
  case PROP_MAX_MESSAGE: {
    GHashTableIter iter;
    gpointer peer;

    set_uint (self, &self->max_message, g_value_get_uint (value), PROP_MAX_MESSAGE);
    g_hash_table_iter_init (&iter, self->peers);
    while (g_hash_table_iter_next (&iter, NULL, &peer))
      soup_websocket_connection_set_max_incoming_payload_size (
        ((CanopySignalPeer *) peer)->connection, self->max_message + FRAME_SLACK);
    break;
  }
  case PROP_RATE:
    set_uint (self, &self->rate, g_value_get_uint (value), PROP_RATE);
    break;
  case PROP_BURST:
    set_uint (self, &self->burst, g_value_get_uint (value), PROP_BURST);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_signal_server_dispose (GObject *object)
{
  CanopySignalServer *self = CANOPY_SIGNAL_SERVER (object);

  stop (self, FALSE);
  G_OBJECT_CLASS (canopy_signal_server_parent_class)->dispose (object);
}

static void
canopy_signal_server_finalize (GObject *object)
{
  CanopySignalServer *self = CANOPY_SIGNAL_SERVER (object);

  g_hash_table_unref (self->subscribers);
  g_hash_table_unref (self->rooms);
  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->turned_away);
  json_node_unref (self->ice_servers);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (canopy_signal_server_parent_class)->finalize (object);
}

static GParamSpec *
uint_prop (const char *name,
           guint       min,
           guint       max,
           guint       def)
{
  return g_param_spec_uint (name, NULL, NULL, min, max, def,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
canopy_signal_server_class_init (CanopySignalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = canopy_signal_server_get_property;
  object_class->set_property = canopy_signal_server_set_property;
  object_class->dispose = canopy_signal_server_dispose;
  object_class->finalize = canopy_signal_server_finalize;

  properties[PROP_MAX_ROOMS] = uint_prop ("max-rooms", 1, 1000000, 1000);
  properties[PROP_MAX_PEERS] = uint_prop ("max-peers", 1, 1000000, 10000);
  properties[PROP_MAX_MESSAGE] = uint_prop ("max-message", 1024, 16 * 1024 * 1024, 131072);
  properties[PROP_RATE] = uint_prop ("rate", 1, 100000, 50);
  properties[PROP_BURST] = uint_prop ("burst", 1, 1000000, 200);
  properties[PROP_N_ROOMS] =
    g_param_spec_uint ("n-rooms", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_PEERS] =
    g_param_spec_uint ("n-peers", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
canopy_signal_server_init (CanopySignalServer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->max_rooms = 1000;
  self->max_peers = 10000;
  self->max_message = 131072;
  self->rate = 50;
  self->burst = 200;
  {
    g_autoptr (JsonArray) none = json_array_new ();

    self->ice_servers = json_node_init_array (json_node_alloc (), none);
  }
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, peer_free);
  self->turned_away = g_hash_table_new_full (NULL, NULL, turned_away_free, NULL);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, canopy_signal_room_free);
  self->subscribers = g_hash_table_new (NULL, NULL);
}

/**
 * canopy_signal_server_new:
 *
 * Returns: (transfer full): a server, not yet listening
 */
CanopySignalServer *
canopy_signal_server_new (void)
{
  return g_object_new (CANOPY_TYPE_SIGNAL_SERVER, NULL);
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
  guint values[G_N_ELEMENTS (config_props)] = { 0 };

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
  for (guint j = 0; j < G_N_ELEMENTS (config_props); j++)
    if (values[j] != 0)
      g_object_set (self, properties[config_props[j]]->name, values[j], NULL);
  g_object_thaw_notify (G_OBJECT (self));
  json_node_unref (self->ice_servers);
  self->ice_servers = json_node_init_array (json_node_alloc (), ice_servers);
  return TRUE;
}

/**
 * canopy_signal_server_listen:
 * @self: a server
 * @address: an IP address to bind, such as "127.0.0.1" or "0.0.0.0"
 * @port: a TCP port, or 0 for any free one
 * @error: return location for a #GError
 *
 * Starts accepting connections on the thread-default main context.
 *
 * Returns: whether the server is listening
 */
gboolean
canopy_signal_server_listen (CanopySignalServer *self,
                             const char         *address,
                             guint               port,
                             GError            **error)
{
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  GSList *listeners;

  g_return_val_if_fail (CANOPY_IS_SIGNAL_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->soup != NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FAILED, "The server is already listening");
    return FALSE;
  }
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FAILED, "\"%s\" is not an IP address",
                 address);
    return FALSE;
  }
  socket_address = g_inet_socket_address_new (inet, (guint16) port);
  self->soup = soup_server_new ("server-header", "canopy-signal", NULL);
  /* Our messages are small; permessage-deflate would only let a client send a zip bomb. */
  soup_server_remove_websocket_extension (self->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_handler (self->soup, NULL, on_http_request, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/ws", NULL, NULL, on_websocket, self, NULL);
  if (!soup_server_listen (self->soup, socket_address, 0, error)) {
    g_prefix_error (error, "Cannot listen on %s port %u: ", address, port);
    g_clear_object (&self->soup);
    return FALSE;
  }
  listeners = soup_server_get_listeners (self->soup);
  if (listeners != NULL)
    local = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  self->port = local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) : port;
  self->address = g_inet_address_to_string (inet);
  self->keepalive = canopy_signal_server_add_timeout (self, KEEPALIVE_SECONDS * 1000,
                                                      on_keepalive_check, self);
  g_message ("Listening on %s port %u", self->address, self->port);
  return TRUE;
}

/**
 * canopy_signal_server_get_port:
 * @self: a server
 *
 * Returns: the port listened on (the real one when 0 was asked for), or 0 when not listening
 */
guint
canopy_signal_server_get_port (CanopySignalServer *self)
{
  g_return_val_if_fail (CANOPY_IS_SIGNAL_SERVER (self), 0);
  return self->port;
}

/**
 * canopy_signal_server_get_url:
 * @self: a server
 *
 * Returns: (transfer full) (nullable): `ws://ADDR:PORT/ws`, or %NULL when not listening
 */
char *
canopy_signal_server_get_url (CanopySignalServer *self)
{
  g_return_val_if_fail (CANOPY_IS_SIGNAL_SERVER (self), NULL);

  if (self->address == NULL)
    return NULL;
  if (strchr (self->address, ':') != NULL)
    return g_strdup_printf ("ws://[%s]:%u/ws", self->address, self->port);
  return g_strdup_printf ("ws://%s:%u/ws", self->address, self->port);
}

/**
 * canopy_signal_server_stop:
 * @self: a server
 *
 * Closes every connection and room and stops listening. Also done on dispose.
 */
void
canopy_signal_server_stop (CanopySignalServer *self)
{
  g_return_if_fail (CANOPY_IS_SIGNAL_SERVER (self));
  stop (self, TRUE);
}
