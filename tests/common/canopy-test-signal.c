/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Tests of canopy-signal: a real server on a free port, WebSocket clients that collect what
 * it sends, its HTTP endpoints, and rooms created the way a host does. */

#include "canopy-test-signal.h"

#include <string.h>

#define ALPHABET "23456789abcdefghjkmnpqrstuvwxyz"

/* --- waiting on the main context --- */

void
canopy_test_signal_wait (CanopyTestCheck done,
                         gpointer        data,
                         const char     *what)
{
  canopy_test_wait_for (done, data, CANOPY_TEST_SIGNAL_TIMEOUT, what);
}

/* --- a WebSocket client --- */

typedef struct {
  CanopyTestClient *client;
  GError *error;
  gboolean done;
} Connecting;

static void
on_client_message (SoupWebsocketConnection *connection,
                   SoupWebsocketDataType    type,
                   GBytes                  *bytes,
                   gpointer                 user_data)
{
  CanopyTestClient *client = user_data;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonObject *message;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  message = canopy_json_parse_object (data, (gssize) len, G_MAXSIZE, &error);
  g_assert_no_error (error);
  g_queue_push_tail (&client->messages, message);
}

static void
on_client_closed (SoupWebsocketConnection *connection,
                  gpointer                 user_data)
{
  ((CanopyTestClient *) user_data)->closed = TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connecting *connecting = user_data;
  SoupWebsocketConnection *connection;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                      &connecting->error);
  if (connection != NULL) {
    connecting->client->connection = connection;
    soup_websocket_connection_set_max_incoming_payload_size (connection, 0);
    g_signal_connect (connection, "message", G_CALLBACK (on_client_message), connecting->client);
    g_signal_connect (connection, "closed", G_CALLBACK (on_client_closed), connecting->client);
  }
  connecting->done = TRUE;
}

/* Connects without waiting for `welcome`. */
CanopyTestClient *
canopy_test_client_open (SoupSession *session,
                         const char  *url)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  CanopyTestClient *client = g_new0 (CanopyTestClient, 1);
  Connecting connecting = { client, NULL, FALSE };

  g_queue_init (&client->messages);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &connecting);
  canopy_test_signal_wait (canopy_test_is_true, &connecting.done, "the WebSocket handshake");
  g_assert_no_error (connecting.error);
  return client;
}

typedef struct {
  CanopyTestClient *client;
  const char *type;
  JsonObject *found;
} Lookup;

static gboolean
find_message (gpointer data)
{
  Lookup *lookup = data;

  for (GList *l = lookup->client->messages.head; l != NULL; l = l->next) {
    const char *type = json_object_get_string_member_with_default (l->data, "type", "");

    if (g_str_equal (type, lookup->type)) {
      lookup->found = l->data;
      g_queue_delete_link (&lookup->client->messages, l);
      return TRUE;
    }
  }
  return lookup->client->closed;
}

/* Returns (transfer full) the first message of @type received, waiting for it. */
JsonObject *
canopy_test_client_next (CanopyTestClient *client,
                         const char       *type)
{
  Lookup lookup = { client, type, NULL };

  canopy_test_signal_wait (find_message, &lookup, type);
  if (lookup.found == NULL)
    g_error ("Connection closed while waiting for \"%s\"", type);
  return lookup.found;
}

gboolean
canopy_test_client_has (CanopyTestClient *client,
                        const char       *type)
{
  for (GList *l = client->messages.head; l != NULL; l = l->next)
    if (g_str_equal (json_object_get_string_member_with_default (l->data, "type", ""), type))
      return TRUE;
  return FALSE;
}

void
canopy_test_client_send (CanopyTestClient *client,
                         const char       *text)
{
  soup_websocket_connection_send_text (client->connection, text);
}

void
canopy_test_client_sendf (CanopyTestClient *client,
                          const char       *format,
                          ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  canopy_test_client_send (client, text);
}

void
canopy_test_client_expect_error (CanopyTestClient *client,
                                 const char       *code,
                                 const char       *ref)
{
  g_autoptr (JsonObject) error = canopy_test_client_next (client, "error");

  g_assert_cmpstr (json_object_get_string_member_with_default (error, "code", NULL), ==, code);
  g_assert_cmpstr (json_object_get_string_member_with_default (error, "ref", NULL), ==, ref);
  g_assert_true (json_object_has_member (error, "message"));
}

static gboolean
client_is_closed (gpointer data)
{
  return ((CanopyTestClient *) data)->closed;
}

void
canopy_test_client_wait_closed (CanopyTestClient *client)
{
  canopy_test_signal_wait (client_is_closed, client, "the connection to close");
}

/* Ends the connection the way a crashed peer does: its TCP connection ends without a closing
 * handshake. */
void
canopy_test_client_crash (CanopyTestClient *client)
{
  GIOStream *stream = soup_websocket_connection_get_io_stream (client->connection);
  g_autoptr (GIOStream) base = NULL;
  g_autoptr (GError) error = NULL;

  /* libsoup wraps the socket's stream in its own, which names it "base-iostream". */
  if (G_IS_SOCKET_CONNECTION (stream))
    base = g_object_ref (stream);
  else
    g_object_get (stream, "base-iostream", &base, NULL);
  g_assert_true (G_IS_SOCKET_CONNECTION (base));
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)), TRUE, TRUE,
                     &error);
  g_assert_no_error (error);
  canopy_test_client_wait_closed (client);
}

/* Asserts that @client has received nothing of @type: the server answers a ping after
 * everything it sent before. */
void
canopy_test_client_assert_none (CanopyTestClient *client,
                                const char       *type)
{
  g_autoptr (JsonObject) pong = NULL;

  canopy_test_client_send (client, "{\"type\":\"ping\"}");
  pong = canopy_test_client_next (client, "pong");
  g_assert_false (canopy_test_client_has (client, type));
}

/* @client joins @room and @host gets its join-request. */
void
canopy_test_client_join (CanopyTestClient *client,
                         CanopyTestClient *host,
                         const char       *room,
                         const char       *name,
                         guint             capacity)
{
  g_autoptr (JsonObject) request = NULL;

  canopy_test_client_sendf (client,
                            "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\","
                            "\"capacity\":%u}", room, name, capacity);
  request = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request, "peer"), ==, client->peer);
}

/* @host places @child under @parent (@host itself or a member); both hear of it. */
void
canopy_test_client_place (CanopyTestClient *host,
                          CanopyTestClient *child,
                          CanopyTestClient *parent)
{
  g_autoptr (JsonObject) placed = NULL;
  g_autoptr (JsonObject) attach = NULL;

  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}",
                            child->peer, parent->peer);
  placed = canopy_test_client_next (child, "placed");
  g_assert_cmpstr (json_object_get_string_member (placed, "parent"), ==, parent->peer);
  attach = canopy_test_client_next (parent, "attach");
  g_assert_cmpstr (json_object_get_string_member (attach, "child"), ==, child->peer);
}

/* @len characters of the server's id alphabet. */
static gboolean
is_id (const char *text,
       gsize       len)
{
  if (text == NULL || strlen (text) != len)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (strchr (ALPHABET, *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_peer_id (const char *id)
{
  return id != NULL && id[0] == 'p' && is_id (id + 1, 10);
}

/* Connects and waits for `welcome`; the caller frees @welcome_out when given. */
CanopyTestClient *
canopy_test_client_connect_full (SoupSession *session,
                                 const char  *url,
                                 JsonObject **welcome_out)
{
  CanopyTestClient *client = canopy_test_client_open (session, url);
  g_autoptr (JsonObject) welcome = canopy_test_client_next (client, "welcome");

  client->peer = g_strdup (json_object_get_string_member_with_default (welcome, "peer", NULL));
  g_assert_true (is_peer_id (client->peer));
  client->token = g_strdup (json_object_get_string_member_with_default (welcome, "token", ""));
  g_assert_cmpuint (strlen (client->token), ==, 32);
  for (const char *p = client->token; *p; p++)
    g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
  if (welcome_out != NULL)
    *welcome_out = g_steal_pointer (&welcome);
  return client;
}

void
canopy_test_client_free (CanopyTestClient *client)
{
  g_signal_handlers_disconnect_by_data (client->connection, client);
  if (soup_websocket_connection_get_state (client->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_object_unref (client->connection);
  g_queue_clear_full (&client->messages, (GDestroyNotify) json_object_unref);
  g_free (client->peer);
  g_free (client->token);
  g_free (client);
}

/* --- the fixture: a real server on a free port --- */

void
canopy_test_signal_setup (CanopyTestSignal *f,
                          gconstpointer     data)
{
  g_autoptr (GError) error = NULL;

  f->server = canopy_signal_server_new ();
  g_assert_true (canopy_signal_server_listen (f->server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (canopy_signal_server_get_port (f->server), >, 0);
  f->url = canopy_signal_server_get_url (f->server);
  f->http = g_strdup_printf ("http://127.0.0.1:%u", canopy_signal_server_get_port (f->server));
  f->session = soup_session_new ();
}

guint
canopy_test_signal_n_peers (CanopyTestSignal *f)
{
  guint n = 0;

  g_object_get (f->server, "n-peers", &n, NULL);
  return n;
}

guint
canopy_test_signal_n_rooms (CanopyTestSignal *f)
{
  guint n = 0;

  g_object_get (f->server, "n-rooms", &n, NULL);
  return n;
}

static gboolean
server_has_no_peers (gpointer data)
{
  return canopy_test_signal_n_peers (data) == 0;
}

void
canopy_test_signal_teardown (CanopyTestSignal *f,
                             gconstpointer     data)
{
  /* The test freed its clients; the server must see every one of them go. */
  canopy_test_signal_wait (server_has_no_peers, f, "the server to see every client go");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
  soup_session_abort (f->session);
  g_clear_object (&f->session);
  canopy_signal_server_stop (f->server);
  g_assert_finalize_object (f->server);
  g_free (f->url);
  g_free (f->http);
}

/* Adds the test /signal-server/@name, run between canopy_test_signal_setup() and
 * canopy_test_signal_teardown(). */
void
canopy_test_signal_add (const char          *name,
                        CanopyTestSignalFunc func)
{
  g_autofree char *path = g_strconcat ("/signal-server/", name, NULL);

  g_test_add (path, CanopyTestSignal, NULL, canopy_test_signal_setup, func,
              canopy_test_signal_teardown);
}

CanopyTestClient *
canopy_test_signal_connect (CanopyTestSignal *f)
{
  return canopy_test_client_connect_full (f->session, f->url, NULL);
}

/* Stops the server, as a crash or a restart would, and starts a new one on the same port. */
void
canopy_test_signal_restart (CanopyTestSignal *f)
{
  guint port = canopy_signal_server_get_port (f->server);
  g_autoptr (GError) error = NULL;

  canopy_signal_server_stop (f->server);
  g_assert_finalize_object (f->server);
  /* No pooled HTTP connection to the old server. */
  soup_session_abort (f->session);
  f->server = canopy_signal_server_new ();
  g_assert_true (canopy_signal_server_listen (f->server, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (canopy_signal_server_get_port (f->server), ==, port);
}

typedef struct {
  GBytes *body;
  GError *error;
  gboolean done;
} Reading;

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reading *reading = user_data;

  reading->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                     &reading->error);
  reading->done = TRUE;
}

/* GET @path; returns (transfer full) the JSON body, or NULL for an error status. */
JsonObject *
canopy_test_signal_http_get (CanopyTestSignal *f,
                             const char       *path,
                             guint             expected_status)
{
  g_autofree char *uri = g_strconcat (f->http, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;
  Reading reading = { NULL, NULL, FALSE };
  JsonObject *object = NULL;
  gsize len = 0;
  const char *data;

  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &reading);
  canopy_test_signal_wait (canopy_test_is_true, &reading.done, uri);
  g_assert_no_error (reading.error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, expected_status);
  if (expected_status == SOUP_STATUS_OK) {
    headers = soup_message_get_response_headers (msg);
    g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==,
                     "application/json");
    g_assert_cmpstr (soup_message_headers_get_one (headers, "Access-Control-Allow-Origin"), ==,
                     "*");
    data = g_bytes_get_data (reading.body, &len);
    object = canopy_json_parse_object (data, (gssize) len, G_MAXSIZE, &error);
    g_assert_no_error (error);
  }
  g_bytes_unref (reading.body);
  return object;
}

/* Returns (transfer none) the entry of @room in @rooms, or NULL. */
JsonObject *
canopy_test_signal_find_entry (JsonArray  *rooms,
                               const char *room)
{
  for (guint i = 0; i < json_array_get_length (rooms); i++) {
    JsonObject *entry = json_array_get_object_element (rooms, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (entry, "room", NULL), room) == 0)
      return entry;
  }
  return NULL;
}

JsonObject *
canopy_test_signal_directory_entry (CanopyTestSignal *f,
                                    const char       *room)
{
  g_autoptr (JsonObject) reply = canopy_test_signal_http_get (f, "/rooms", SOUP_STATUS_OK);
  JsonObject *entry = canopy_test_signal_find_entry (json_object_get_array_member (reply, "rooms"),
                                                     room);

  return entry ? json_object_ref (entry) : NULL;
}

/* @host creates a room; returns its ID and sets @secret. */
char *
canopy_test_client_create_room (CanopyTestClient *host,
                                const char       *title,
                                gboolean          listed,
                                char            **secret)
{
  g_autoptr (JsonObject) created = NULL;
  const char *id;
  const char *key;

  canopy_test_client_sendf (host,
                            "{\"type\":\"create-room\",\"title\":\"%s\",\"summary\":\"About %s\","
                            "\"name\":\"Host\",\"listed\":%s,\"k1\":3}",
                            title, title, listed ? "true" : "false");
  created = canopy_test_client_next (host, "room-created");
  id = json_object_get_string_member_with_default (created, "room", NULL);
  key = json_object_get_string_member_with_default (created, "secret", NULL);
  g_assert_true (is_id (id, 8));
  g_assert_nonnull (key);
  g_assert_cmpuint (strlen (key), ==, 32);
  for (const char *p = key; *p; p++)
    g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
  if (secret != NULL)
    *secret = g_strdup (key);
  return g_strdup (id);
}

/* A second, well-behaved client is still served, and @room is still in the directory. */
void
canopy_test_signal_assert_healthy (CanopyTestSignal *f,
                                   const char       *room)
{
  g_autoptr (CanopyTestClient) probe = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) pong = NULL;
  g_autoptr (JsonObject) entry = NULL;

  canopy_test_client_send (probe, "{\"type\":\"ping\"}");
  pong = canopy_test_client_next (probe, "pong");
  if (room != NULL) {
    entry = canopy_test_signal_directory_entry (f, room);
    g_assert_nonnull (entry);
  }
}
