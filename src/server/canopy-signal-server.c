/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* CanopySignalServer: properties, listening, the HTTP endpoints, stopping, and shared helpers. */

#include "canopy-signal-server.h"
#include "canopy-signal-server-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

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
  PROP_KEEPALIVE,
  PROP_MAX_PEERS_PER_ADDRESS,
  PROP_MAX_ROOMS_PER_ADDRESS,
  PROP_HELLO_TIMEOUT,
  PROP_UPGRADE_TIMEOUT,
  PROP_N_ROOMS,
  PROP_N_PEERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Set on the GSocket of a connection that owes a whole request: its deadline. */
#define UPGRADE_DEADLINE_KEY "canopy-upgrade-deadline"

/* --- helpers shared with the other canopy-signal-*.c --- */

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

JsonObject *
canopy_signal_message_new (const char *type)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  return message;
}

/* Sets @error to @text in the CANOPY_ERROR domain, for a handler to return at once. */
gboolean
canopy_signal_set_error (GError    **error,
                         CanopyError code,
                         const char *text)
{
  g_set_error_literal (error, CANOPY_ERROR, code, text);
  return FALSE;
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

void
canopy_signal_server_notify_peers (CanopySignalServer *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PEERS]);
}

/* --- HTTP --- */

/* libsoup 3.2 waits for a request forever: a client that opens connections and sends nothing,
 * or half a request, would hold a socket each. A connection must have sent a whole request
 * within upgrade-timeout seconds of being accepted or of the previous response (a kept-alive
 * connection); a WebSocket is upgraded right after its request was read. */
static gboolean
on_upgrade_deadline (gpointer user_data)
{
  GSocket *socket = user_data;

  g_debug ("Closing a connection that sent no whole request in time");
  /* libsoup reads the end of the stream and drops the connection itself (closing the socket
   * under it would leave it polling a file descriptor that may be reused). */
  g_socket_shutdown (socket, TRUE, TRUE, NULL);
  g_object_set_data (G_OBJECT (socket), UPGRADE_DEADLINE_KEY, NULL);
  return G_SOURCE_REMOVE;
}

static void
upgrade_deadline_free (gpointer data)
{
  GSource *source = data;

  g_source_destroy (source);
  g_source_unref (source);
}

/* Starts @msg's connection's clock, unless it runs already (since the previous response). The
 * deadline goes with the socket: a socket that is gone takes it along. */
static void
upgrade_deadline_start (CanopySignalServer *self,
                        SoupServerMessage  *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  GSource *source;

  if (socket == NULL || g_object_get_data (G_OBJECT (socket), UPGRADE_DEADLINE_KEY) != NULL)
    return;
  source = g_timeout_source_new (self->upgrade_timeout_s * 1000);
  g_source_set_static_name (source, "CanopySignalServer upgrade");
  g_source_set_callback (source, on_upgrade_deadline, socket, NULL);
  g_source_attach (source, self->context);
  g_object_set_data_full (G_OBJECT (socket), UPGRADE_DEADLINE_KEY, source,
                          upgrade_deadline_free);
}

static void
upgrade_deadline_stop (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_object_set_data (G_OBJECT (socket), UPGRADE_DEADLINE_KEY, NULL);
}

/* A new connection (or the next request on one kept alive) began. */
static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  upgrade_deadline_start (user_data, msg);
}

static void
on_request_read (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  upgrade_deadline_stop (msg);
}

/* The response is written: a connection kept alive has as long for its next request. */
static void
on_request_finished (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  upgrade_deadline_stop (msg);
  upgrade_deadline_start (user_data, msg);
}

/**
 * canopy_signal_server_upgraded: (skip)
 * @self: a server
 * @msg: the request of a WebSocket just upgraded
 *
 * Stops the clock of @msg's connection, which is a WebSocket from now on.
 */
void
canopy_signal_server_upgraded (CanopySignalServer *self,
                               SoupServerMessage  *msg)
{
  upgrade_deadline_stop (msg);
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
    if (!canopy_signal_server_handle_web (self, msg, path))
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

static void
stop (CanopySignalServer *self,
      gboolean            notify)
{
  guint n_rooms = g_hash_table_size (self->rooms);
  guint n_peers = g_hash_table_size (self->peers);
  GHashTableIter iter;
  gpointer value;

  if (self->soup != NULL) {
    g_signal_handlers_disconnect_by_data (self->soup, self);
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
  g_hash_table_remove_all (self->retired);
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
  case PROP_KEEPALIVE:
    g_value_set_uint (value, self->keepalive_s);
    break;
  case PROP_MAX_PEERS_PER_ADDRESS:
    g_value_set_uint (value, self->max_peers_per_address);
    break;
  case PROP_MAX_ROOMS_PER_ADDRESS:
    g_value_set_uint (value, self->max_rooms_per_address);
    break;
  case PROP_HELLO_TIMEOUT:
    g_value_set_uint (value, self->hello_timeout_s);
    break;
  case PROP_UPGRADE_TIMEOUT:
    g_value_set_uint (value, self->upgrade_timeout_s);
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
  case PROP_MAX_MESSAGE:
    set_uint (self, &self->max_message, g_value_get_uint (value), PROP_MAX_MESSAGE);
    canopy_signal_server_limit_frames (self);
    break;
  case PROP_RATE:
    set_uint (self, &self->rate, g_value_get_uint (value), PROP_RATE);
    break;
  case PROP_BURST:
    set_uint (self, &self->burst, g_value_get_uint (value), PROP_BURST);
    break;
  case PROP_KEEPALIVE:
    set_uint (self, &self->keepalive_s, g_value_get_uint (value), PROP_KEEPALIVE);
    canopy_signal_server_restart_keepalive (self);
    break;
  case PROP_MAX_PEERS_PER_ADDRESS:
    set_uint (self, &self->max_peers_per_address, g_value_get_uint (value),
              PROP_MAX_PEERS_PER_ADDRESS);
    break;
  case PROP_MAX_ROOMS_PER_ADDRESS:
    set_uint (self, &self->max_rooms_per_address, g_value_get_uint (value),
              PROP_MAX_ROOMS_PER_ADDRESS);
    break;
  case PROP_HELLO_TIMEOUT:
    set_uint (self, &self->hello_timeout_s, g_value_get_uint (value), PROP_HELLO_TIMEOUT);
    break;
  case PROP_UPGRADE_TIMEOUT:
    set_uint (self, &self->upgrade_timeout_s, g_value_get_uint (value), PROP_UPGRADE_TIMEOUT);
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
  g_hash_table_unref (self->lost_rooms);
  g_hash_table_unref (self->per_address);
  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->retired);
  g_hash_table_unref (self->turned_away);
  json_node_unref (self->ice_servers);
  g_free (self->web_dir);
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
  /* Seconds between pings; a connection silent for three of them is closed. */
  properties[PROP_KEEPALIVE] = uint_prop ("keepalive", 1, 3600, 15);
  /* One address (a host, or a NAT with many people behind it) may hold this many. */
  properties[PROP_MAX_PEERS_PER_ADDRESS] = uint_prop ("max-peers-per-address", 1, 1000000, 256);
  properties[PROP_MAX_ROOMS_PER_ADDRESS] = uint_prop ("max-rooms-per-address", 1, 1000000, 16);
  /* Seconds a new WebSocket may take to say hello (or subscribe to the directory), and a new TCP
   * connection to send a whole request; then they are closed. */
  properties[PROP_HELLO_TIMEOUT] = uint_prop ("hello-timeout", 1, 3600, 10);
  properties[PROP_UPGRADE_TIMEOUT] = uint_prop ("upgrade-timeout", 1, 3600, 5);
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
  self->keepalive_s = 15;
  self->max_peers_per_address = 256;
  self->max_rooms_per_address = 16;
  self->hello_timeout_s = 10;
  self->upgrade_timeout_s = 5;
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  {
    g_autoptr (JsonArray) none = json_array_new ();

    self->ice_servers = json_node_init_array (json_node_alloc (), none);
  }
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, canopy_signal_peer_free);
  self->retired = g_hash_table_new_full (NULL, NULL, canopy_signal_peer_free, NULL);
  self->turned_away = g_hash_table_new_full (NULL, NULL, canopy_signal_turned_away_free, NULL);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, canopy_signal_room_free);
  self->lost_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->subscribers = g_hash_table_new (NULL, NULL);
  self->web_dir = g_strdup (canopy_signal_server_default_web_dir ());
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
 * canopy_signal_server_set_web_dir:
 * @self: a server
 * @dir: (nullable): where the browser viewer's files are; %NULL serves none
 *
 * By default the installed files, or `$CANOPY_WEB_DIR` when set.
 */
void
canopy_signal_server_set_web_dir (CanopySignalServer *self,
                                  const char         *dir)
{
  g_return_if_fail (CANOPY_IS_SIGNAL_SERVER (self));

  g_free (self->web_dir);
  self->web_dir = g_strdup (dir);
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
  soup_server_add_websocket_handler (self->soup, "/ws", NULL, NULL,
                                     canopy_signal_server_on_websocket, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup, "request-read", G_CALLBACK (on_request_read), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished), self);
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
  canopy_signal_server_start_keepalive (self);
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
