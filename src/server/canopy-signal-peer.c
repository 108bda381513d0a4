/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* WebSocket connections: accept or turn away, welcome, rate limit, parse, dispatch, keepalive;
 * rebinding an id to the connection that resumed it. */

#include "canopy-signal-server-private.h"

#define NEW_PEER_ID_CHARS 10
/* libsoup refuses frames this far over max-message by itself, before buffering them whole. */
#define FRAME_SLACK 4096
#define MAX_DROPPED 1000
/* Dropped messages are forgotten after a quiet minute: only a sustained flood closes. */
#define DROPPED_FORGET_USEC (60 * G_USEC_PER_SEC)
/* WebSocket close code (private range) for a connection whose id another one resumed. */
#define CLOSE_RESUMED 4000

static void
peer_send_error (CanopySignalPeer *peer,
                 const GError     *error,
                 const char       *ref)
{
  g_autoptr (JsonObject) message = canopy_json_error_new (error, ref);

  g_debug ("%s: %s%s%s", peer->id, error->message, ref ? " in " : "", ref ? ref : "");
  canopy_signal_peer_send (peer, message);
}

void
canopy_signal_peer_free (gpointer data)
{
  CanopySignalPeer *peer = data;

  canopy_signal_source_clear (&peer->hello_timeout);
  g_signal_handlers_disconnect_by_data (peer->connection, peer);
  if (soup_websocket_connection_get_state (peer->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                     "Server stopping");
  g_object_unref (peer->connection);
  if (peer->address != NULL) {
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (peer->server->per_address, peer->address));

    if (n > 1)
      g_hash_table_insert (peer->server->per_address, g_strdup (peer->address),
                           GUINT_TO_POINTER (n - 1));
    else
      g_hash_table_remove (peer->server->per_address, peer->address);
  }
  g_free (peer->address);
  g_free (peer->id);
  g_free (peer->name);
  g_free (peer->parent);
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
  /* A host is never cut off for its own traffic: that would end the room for everyone. Its
   * answers are bounded by its members' joins, which are. */
  if (++peer->dropped >= MAX_DROPPED && !(peer->room != NULL && peer->room->host == peer)) {
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

/**
 * canopy_signal_server_handle_text: (skip)
 * @self: a server
 * @peer: the connection the text came from
 * @data: (array length=len): the text of one frame, not NUL-terminated
 * @len: its length in bytes
 *
 * What a text frame gets once it passed the rate limit: parsed with the limits, its type looked
 * up, its handler run; any error goes back to @peer. tests/fuzz/fuzz-signal.c enters here.
 */
void
canopy_signal_server_handle_text (CanopySignalServer *self,
                                  CanopySignalPeer   *peer,
                                  const char         *data,
                                  gsize               len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  const char *msg_type;

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
on_peer_message (SoupWebsocketConnection *connection,
                 SoupWebsocketDataType    type,
                 GBytes                  *bytes,
                 gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;
  CanopySignalServer *self = peer->server;
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
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
  canopy_signal_server_handle_text (self, peer, data, len);
}

static void
on_peer_pong (SoupWebsocketConnection *connection,
              GBytes                  *message,
              gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;

  peer->active_at = g_get_monotonic_time ();
}

/* Either side began the closing handshake: the peer leaves its room now, not when (or if) the
 * handshake ends. */
static void
on_peer_closing (SoupWebsocketConnection *connection,
                 gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;

  peer->closing = TRUE;
  canopy_signal_server_detach_peer (peer->server, peer);
}

/* The connection is gone: closed cleanly, or its socket ended without a closing handshake (a
 * crashed peer). */
static void
on_peer_closed (SoupWebsocketConnection *connection,
                gpointer                 user_data)
{
  CanopySignalPeer *peer = user_data;
  CanopySignalServer *self = peer->server;

  g_debug ("%s disconnected (code %u)", peer->id,
           soup_websocket_connection_get_close_code (connection));
  canopy_signal_server_detach_peer (self, peer);
  /* libsoup holds its own reference while it emits ::closed. A retired connection's id is
   * bound to the connection that resumed it. */
  if (g_hash_table_lookup (self->peers, peer->id) == peer) {
    g_hash_table_remove (self->peers, peer->id);
    canopy_signal_server_notify_peers (self);
  } else {
    g_hash_table_remove (self->retired, peer);
  }
}

static void
on_turned_away_closed (SoupWebsocketConnection *connection,
                       gpointer                 user_data)
{
  CanopySignalServer *self = user_data;

  g_hash_table_remove (self->turned_away, connection);
}

void
canopy_signal_turned_away_free (gpointer data)
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
           SoupWebsocketConnection *connection,
           gboolean                 by_address)
{
  g_autoptr (GError) error =
    by_address ? g_error_new (CANOPY_ERROR, CANOPY_ERROR_SERVER_FULL,
                              "Your address already has %u connections to this server",
                              self->max_peers_per_address)
               : g_error_new (CANOPY_ERROR, CANOPY_ERROR_SERVER_FULL,
                              "The server already has %u connections", self->max_peers);
  g_autoptr (JsonObject) message = canopy_json_error_new (error, NULL);
  g_autofree char *text = canopy_json_to_string (message);

  g_message ("Turning a connection away: %s", error->message);
  g_hash_table_add (self->turned_away, g_object_ref (connection));
  g_signal_connect (connection, "closed", G_CALLBACK (on_turned_away_closed), self);
  soup_websocket_connection_send_text (connection, text);
  soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server full");
}

/* A connection that neither proved a key nor subscribed to the directory in time serves nobody
 * and only holds a place under max-peers. */
static gboolean
on_hello_timeout (gpointer user_data)
{
  CanopySignalPeer *peer = user_data;

  g_clear_pointer (&peer->hello_timeout, g_source_unref);
  if (peer->closing || peer->identified)
    return G_SOURCE_REMOVE;
  g_debug ("Closing %s: no hello within %u s", peer->id, peer->server->hello_timeout_s);
  peer_close (peer->server, peer, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "hello-timeout");
  return G_SOURCE_REMOVE;
}

/**
 * canopy_signal_peer_settle: (skip)
 * @peer: a connection
 *
 * @peer said hello or subscribed to the directory: it is not closed for idling before either.
 */
void
canopy_signal_peer_settle (CanopySignalPeer *peer)
{
  canopy_signal_source_clear (&peer->hello_timeout);
}

static void
send_welcome (CanopySignalServer *self,
              CanopySignalPeer   *peer)
{
  g_autoptr (JsonObject) welcome = json_object_new ();
  JsonObject *limits = json_object_new ();

  json_object_set_string_member (welcome, "type", "welcome");
  json_object_set_string_member (welcome, "peer", peer->id);
  json_object_set_string_member (welcome, "token", peer->token);
  json_object_set_string_member (welcome, "challenge", peer->challenge);
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

/**
 * canopy_signal_server_add_peer: (skip)
 * @self: a server
 * @connection: an open WebSocket, under max-peers
 * @remote: (nullable): where it comes from, for the debug log
 *
 * Binds @connection to a new peer id, handles what it sends from now on, and welcomes it.
 *
 * Returns: (transfer none): the new peer, owned by @self
 */
CanopySignalPeer *
canopy_signal_server_add_peer (CanopySignalServer      *self,
                               SoupWebsocketConnection *connection,
                               const char              *remote)
{
  CanopySignalPeer *peer = g_new0 (CanopySignalPeer, 1);

  peer->server = self;
  peer->connection = g_object_ref (connection);
  if (remote != NULL) {
    peer->address = g_strdup (remote);
    g_hash_table_insert (self->per_address, g_strdup (remote),
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (
                                             self->per_address, remote)) + 1));
  }
  do {
    g_autofree char *tail = canopy_signal_random_id (NEW_PEER_ID_CHARS);

    g_free (peer->id);
    peer->id = g_strconcat ("p", tail, NULL);
  } while (g_hash_table_contains (self->peers, peer->id));
  {
    guint8 bytes[CANOPY_TOKEN_CHARS / 2];

    canopy_signal_random_bytes (bytes, sizeof bytes);
    for (guint i = 0; i < sizeof bytes; i++)
      g_snprintf (peer->token + 2 * i, 3, "%02x", bytes[i]);
  }
  canopy_signal_peer_new_challenge (peer);
  peer->active_at = peer->refilled_at = peer->join_refilled_at = g_get_monotonic_time ();
  peer->tokens = self->burst;
  peer->join_tokens = CANOPY_JOIN_BURST;
  peer->hello_timeout = canopy_signal_server_add_timeout (self, self->hello_timeout_s * 1000,
                                                          on_hello_timeout, peer);
  g_signal_connect (connection, "message", G_CALLBACK (on_peer_message), peer);
  g_signal_connect (connection, "pong", G_CALLBACK (on_peer_pong), peer);
  g_signal_connect (connection, "closing", G_CALLBACK (on_peer_closing), peer);
  g_signal_connect (connection, "closed", G_CALLBACK (on_peer_closed), peer);
  g_hash_table_insert (self->peers, peer->id, peer);
  g_debug ("%s connected from %s", peer->id, remote ? remote : "(unknown)");
  canopy_signal_server_notify_peers (self);
  send_welcome (self, peer);
  return peer;
}

void
canopy_signal_server_on_websocket (SoupServer              *server,
                                   SoupServerMessage       *msg,
                                   const char              *path,
                                   SoupWebsocketConnection *connection,
                                   gpointer                 user_data)
{
  CanopySignalServer *self = user_data;

  canopy_signal_server_upgraded (self, msg);
  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                           self->max_message + FRAME_SLACK);
  soup_websocket_connection_set_keepalive_interval (connection, self->keepalive_s);
  const char *remote = soup_server_message_get_remote_host (msg);

  if (g_hash_table_size (self->peers) >= self->max_peers) {
    turn_away (self, connection, FALSE);
    return;
  }
  if (remote != NULL && GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, remote)) >=
                          self->max_peers_per_address) {
    turn_away (self, connection, TRUE);
    return;
  }
  canopy_signal_server_add_peer (self, connection, remote);
}

/**
 * canopy_signal_peer_rebind: (skip)
 * @self: a server
 * @peer: a connection in no room
 * @id: the id it takes, bound to no other connection
 *
 * Binds @id to @peer instead of its current id (`resume`).
 */
void
canopy_signal_peer_rebind (CanopySignalServer *self,
                           CanopySignalPeer   *peer,
                           const char         *id)
{
  g_assert (peer->room == NULL);
  if (g_str_equal (peer->id, id))
    return;
  g_assert (!g_hash_table_contains (self->peers, id));
  g_debug ("%s resumes as %s", peer->id, id);
  g_hash_table_steal (self->peers, peer->id);
  g_free (peer->id);
  peer->id = g_strdup (id);
  g_hash_table_insert (self->peers, peer->id, peer);
}

/**
 * canopy_signal_peer_retire: (skip)
 * @self: a server
 * @peer: a connection in no room, whose id another connection resumed
 *
 * Unbinds @peer's id and closes @peer (code 4000, "resumed"); it is freed once closed.
 */
void
canopy_signal_peer_retire (CanopySignalServer *self,
                           CanopySignalPeer   *peer)
{
  g_assert (peer->room == NULL);
  g_debug ("%s is taken over", peer->id);
  g_hash_table_steal (self->peers, peer->id);
  g_hash_table_add (self->retired, peer);
  g_hash_table_remove (self->subscribers, peer);
  peer->closing = TRUE;
  if (soup_websocket_connection_get_state (peer->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (peer->connection, CLOSE_RESUMED, "resumed");
  canopy_signal_server_notify_peers (self);
}

/* After a change of max-message. */
void
canopy_signal_server_limit_frames (CanopySignalServer *self)
{
  GHashTableIter iter;
  gpointer peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &peer))
    soup_websocket_connection_set_max_incoming_payload_size (
      ((CanopySignalPeer *) peer)->connection, self->max_message + FRAME_SLACK);
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

    if (!peer->closing && now - peer->active_at > 3 * (gint64) self->keepalive_s * G_USEC_PER_SEC) {
      g_message ("Closing %s: it answers no pings", peer->id);
      peer->lost = TRUE;
      peer_close (self, peer, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "No answer to pings");
    }
  }
  return G_SOURCE_CONTINUE;
}

void
canopy_signal_server_start_keepalive (CanopySignalServer *self)
{
  self->keepalive = canopy_signal_server_add_timeout (self, self->keepalive_s * 1000,
                                                      on_keepalive_check, self);
}

/* The `keepalive` setting changed: the check's period and every connection's pings follow. */
void
canopy_signal_server_restart_keepalive (CanopySignalServer *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((CanopySignalPeer *) value)->connection != NULL)
      soup_websocket_connection_set_keepalive_interval (((CanopySignalPeer *) value)->connection,
                                                        self->keepalive_s);
  if (self->keepalive == NULL)
    return;
  canopy_signal_source_clear (&self->keepalive);
  canopy_signal_server_start_keepalive (self);
}
