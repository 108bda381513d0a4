/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Tests of canopy-signal: a real server on a free port, WebSocket clients that collect what
 * it sends, its HTTP endpoints, and rooms created, joined and placed the way peers do. */

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

/* The callback of an async call that a test waits for with canopy_test_signal_await(): its user
 * data is a GAsyncResult pointer, NULL until the call is done. */
void
canopy_test_signal_ready (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* Waits until canopy_test_signal_ready() set @result; returns it (owned by @result) for the
 * call's _finish(). */
GAsyncResult *
canopy_test_signal_await (GAsyncResult **result,
                          const char    *what)
{
  canopy_test_signal_wait (has_result, result, what);
  return *result;
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

/* Takes the connection in the callback itself: a message that comes with it must not be lost. */
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

/* Waits for the first message of @type to @client, and checks its string members: the
 * arguments after @type are pairs of a member's name and the value it must have (NULL: none),
 * ending with NULL. */
void
canopy_test_client_expect (CanopyTestClient *client,
                           const char       *type,
                           ...)
{
  g_autoptr (JsonObject) message = canopy_test_client_next (client, type);
  const char *member;
  va_list args;

  va_start (args, type);
  while ((member = va_arg (args, const char *)) != NULL) {
    const char *expected = va_arg (args, const char *);
    const char *value = json_object_get_string_member_with_default (message, member, NULL);

    if (g_strcmp0 (value, expected) != 0)
      g_test_message ("\"%s\" message, member \"%s\"", type, member);
    g_assert_cmpstr (value, ==, expected);
  }
  va_end (args);
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

static void G_GNUC_PRINTF (2, 0)
send_valist (CanopyTestClient *client,
             const char       *format,
             va_list           args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  canopy_test_client_send (client, text);
}

void
canopy_test_client_sendf (CanopyTestClient *client,
                          const char       *format,
                          ...)
{
  va_list args;

  va_start (args, format);
  send_valist (client, format, args);
  va_end (args);
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

/* Sends the message @format makes, which the server must answer with the error @code about
 * @ref. */
void
canopy_test_client_sendf_error (CanopyTestClient *client,
                                const char       *code,
                                const char       *ref,
                                const char       *format,
                                ...)
{
  va_list args;

  va_start (args, format);
  send_valist (client, format, args);
  va_end (args);
  canopy_test_client_expect_error (client, code, ref);
}

/* A ping and its pong: the server answers after everything it sent before. */
void
canopy_test_client_ping (CanopyTestClient *client)
{
  canopy_test_client_send (client, "{\"type\":\"ping\"}");
  canopy_test_client_expect (client, "pong", NULL);
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

/* Asserts that @client has received nothing of @type, everything sent before it included. */
void
canopy_test_client_assert_none (CanopyTestClient *client,
                                const char       *type)
{
  canopy_test_client_ping (client);
  g_assert_false (canopy_test_client_has (client, type));
}

/* Returns (transfer none) the entry of @room in @rooms, or NULL. */
static JsonObject *
find_entry (JsonArray  *rooms,
            const char *room)
{
  for (guint i = 0; i < json_array_get_length (rooms); i++) {
    JsonObject *entry = json_array_get_object_element (rooms, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (entry, "room", NULL), room) == 0)
      return entry;
  }
  return NULL;
}

/* Subscribes @client to the directory; returns whether @room (any room, if NULL) is in the list
 * of rooms that comes first. */
gboolean
canopy_test_client_subscribe (CanopyTestClient *client,
                              const char       *room)
{
  g_autoptr (JsonObject) reply = NULL;
  JsonArray *rooms;

  canopy_test_client_send (client, "{\"type\":\"subscribe\"}");
  reply = canopy_test_client_next (client, "rooms");
  rooms = json_object_get_array_member (reply, "rooms");
  if (room == NULL)
    return json_array_get_length (rooms) > 0;
  return find_entry (rooms, room) != NULL;
}

/* Sends a `join`; canopy_test_client_join() also waits for the host to hear of it. */
void
canopy_test_client_send_join (CanopyTestClient *client,
                              const char       *room,
                              const char       *name,
                              guint             capacity)
{
  canopy_test_client_sendf (client,
                            "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\","
                            "\"capacity\":%u}", room, name, capacity);
}

/* @client joins @room and @host gets its join-request. */
void
canopy_test_client_join (CanopyTestClient *client,
                         CanopyTestClient *host,
                         const char       *room,
                         const char       *name,
                         guint             capacity)
{
  canopy_test_client_send_join (client, room, name, capacity);
  canopy_test_client_expect (host, "join-request", "peer", client->peer, NULL);
}

/* @host places @child under @parent (@host itself or a member); both hear of it. */
void
canopy_test_client_place (CanopyTestClient *host,
                          CanopyTestClient *child,
                          CanopyTestClient *parent)
{
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}",
                            child->peer, parent->peer);
  canopy_test_client_expect (child, "placed", "parent", parent->peer, NULL);
  canopy_test_client_expect (parent, "attach", "child", child->peer, NULL);
}

/* canopy_test_client_join(), then canopy_test_client_place() under @parent. */
void
canopy_test_client_join_place (CanopyTestClient *client,
                               CanopyTestClient *host,
                               const char       *room,
                               const char       *name,
                               guint             capacity,
                               CanopyTestClient *parent)
{
  canopy_test_client_join (client, host, room, name, capacity);
  canopy_test_client_place (host, client, parent);
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

/* 32 lower-case hex digits, as tokens and secrets are. */
static void
assert_secret (const char *text)
{
  g_assert_cmpuint (strlen (text), ==, 32);
  for (const char *p = text; *p; p++)
    g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
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
  assert_secret (key);
  if (secret != NULL)
    *secret = g_strdup (key);
  return g_strdup (id);
}

/* Connects and waits for `welcome`, and says no hello: the server serves such a client only
 * the directory. The caller frees @welcome_out when given. */
CanopyTestClient *
canopy_test_client_connect_anonymous (SoupSession *session,
                                      const char  *url,
                                      JsonObject **welcome_out)
{
  CanopyTestClient *client = canopy_test_client_open (session, url);
  g_autoptr (JsonObject) welcome = canopy_test_client_next (client, "welcome");

  client->peer = g_strdup (json_object_get_string_member_with_default (welcome, "peer", NULL));
  g_assert_true (is_peer_id (client->peer));
  client->token = g_strdup (json_object_get_string_member_with_default (welcome, "token", ""));
  assert_secret (client->token);
  client->challenge = g_strdup (json_object_get_string_member_with_default (welcome, "challenge",
                                                                            ""));
  g_assert_cmpuint (strlen (client->challenge), ==, CANOPY_CHALLENGE_CHARS);
  if (welcome_out != NULL)
    *welcome_out = g_steal_pointer (&welcome);
  return client;
}

/* Connects, waits for `welcome` and says hello with a new key of its own, as peers do (only then
 * may it host or join a room). The caller frees @welcome_out when given. */
CanopyTestClient *
canopy_test_client_connect_full (SoupSession *session,
                                 const char  *url,
                                 JsonObject **welcome_out)
{
  CanopyTestClient *client = canopy_test_client_connect_anonymous (session, url, welcome_out);
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();

  canopy_test_client_hello (client, identity);
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
  g_free (client->challenge);
  g_clear_object (&client->identity);
  g_free (client);
}

/* `hello` with @identity's key, signing @challenge (the welcome's when NULL). */
void
canopy_test_client_send_hello (CanopyTestClient *client,
                               CanopyIdentity   *identity,
                               const char       *challenge)
{
  const char *key = canopy_identity_get_public_key (identity);
  const char *fields[] = { challenge ? challenge : client->challenge, key, NULL };
  g_autofree char *signature = canopy_identity_sign (identity, "canopy-hello", fields);

  canopy_test_client_sendf (client, "{\"type\":\"hello\",\"key\":\"%s\",\"signature\":\"%s\"}",
                            key, signature);
}

/* Says hello with @identity and waits for `identified`: @client is the key's id from now on. */
void
canopy_test_client_hello (CanopyTestClient *client,
                          CanopyIdentity   *identity)
{
  canopy_test_client_send_hello (client, identity, NULL);
  canopy_test_client_expect (client, "identified", "peer", canopy_identity_get_id (identity),
                             NULL);
  g_free (client->peer);
  client->peer = g_strdup (canopy_identity_get_id (identity));
  g_set_object (&client->identity, identity);
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
  f->clients = g_ptr_array_new ();
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
  /* The last connected goes first, as the clients of a test's g_autoptr variables would. */
  for (guint i = f->clients->len; i > 0; i--)
    canopy_test_client_free (g_ptr_array_index (f->clients, i - 1));
  g_ptr_array_unref (f->clients);
  /* The server must see every client go. */
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

/* Returns a client connected to the fixture's server that said hello with a new key, which the
 * fixture frees at teardown. */
CanopyTestClient *
canopy_test_signal_connect (CanopyTestSignal *f)
{
  CanopyTestClient *client = canopy_test_client_connect_full (f->session, f->url, NULL);

  g_ptr_array_add (f->clients, client);
  return client;
}

/* canopy_test_signal_connect(), without hello. */
CanopyTestClient *
canopy_test_signal_connect_anonymous (CanopyTestSignal *f)
{
  CanopyTestClient *client = canopy_test_client_connect_anonymous (f->session, f->url, NULL);

  g_ptr_array_add (f->clients, client);
  return client;
}

/* canopy_test_signal_connect(), saying hello with @identity (another client's, to take its id
 * over). */
CanopyTestClient *
canopy_test_signal_connect_as (CanopyTestSignal *f,
                               CanopyIdentity   *identity)
{
  CanopyTestClient *client = canopy_test_signal_connect_anonymous (f);

  canopy_test_client_hello (client, identity);
  return client;
}

static CanopyTestClient *
connect_valist (CanopyTestSignal  *f,
                CanopyTestClient **client,
                va_list            args)
{
  CanopyTestClient *first = NULL;

  for (; client != NULL; client = va_arg (args, CanopyTestClient **)) {
    *client = canopy_test_signal_connect (f);
    if (first == NULL)
      first = *client;
  }
  return first;
}

/* canopy_test_signal_connect() for each of the NULL-terminated client pointers, in order. */
void
canopy_test_signal_connect_all (CanopyTestSignal  *f,
                                CanopyTestClient **client,
                                ...)
{
  va_list args;

  va_start (args, client);
  connect_valist (f, client, args);
  va_end (args);
}

/* Closes @client, from canopy_test_signal_connect(), cleanly and frees it now. */
void
canopy_test_signal_disconnect (CanopyTestSignal *f,
                               CanopyTestClient *client)
{
  g_assert_true (g_ptr_array_remove (f->clients, client));
  canopy_test_client_free (client);
}

/* Connects the clients the NULL-terminated client pointers after @secret point to, in order;
 * then the first, the host (one connected for this alone if there are none), creates the listed
 * room @title. Returns the room's ID; sets @secret when given. */
char *
canopy_test_signal_open_room (CanopyTestSignal *f,
                              const char       *title,
                              char            **secret,
                              ...)
{
  CanopyTestClient **first;
  CanopyTestClient *host;
  va_list args;

  va_start (args, secret);
  first = va_arg (args, CanopyTestClient **);
  host = connect_valist (f, first, args);
  va_end (args);
  if (host == NULL)
    host = canopy_test_signal_connect (f);
  return canopy_test_client_create_room (host, title, TRUE, secret);
}

static void
setup_steady (CanopyTestSignal *f,
              gconstpointer     data)
{
  canopy_test_signal_setup (f, data);
  f->room = canopy_test_signal_open_room (f, "Steady", NULL, NULL);
}

static void
teardown_steady (CanopyTestSignal *f,
                 gconstpointer     data)
{
  canopy_test_signal_assert_healthy (f, f->room);
  g_free (f->room);
  canopy_test_signal_teardown (f, data);
}

/* Adds the test /signal-server/@name of what one client does that must harm nobody else: a host
 * has the listed room "Steady" (f->room) open before it, and after it a new client is still
 * served and the room still listed. */
void
canopy_test_signal_add_steady (const char          *name,
                               CanopyTestSignalFunc func)
{
  g_autofree char *path = g_strconcat ("/signal-server/", name, NULL);

  g_test_add (path, CanopyTestSignal, NULL, setup_steady, func, teardown_steady);
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

/* GET @path; returns (transfer full) the JSON body, or NULL for an error status. */
JsonObject *
canopy_test_signal_http_get (CanopyTestSignal *f,
                             const char       *path,
                             guint             expected_status)
{
  g_autofree char *uri = g_strconcat (f->http, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;
  gsize len = 0;
  const char *data;
  JsonObject *object;

  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    canopy_test_signal_ready, &result);
  body = soup_session_send_and_read_finish (f->session, canopy_test_signal_await (&result, uri),
                                            &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, expected_status);
  if (expected_status != SOUP_STATUS_OK)
    return NULL;
  headers = soup_message_get_response_headers (msg);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Access-Control-Allow-Origin"), ==, "*");
  data = g_bytes_get_data (body, &len);
  object = canopy_json_parse_object (data, (gssize) len, G_MAXSIZE, &error);
  g_assert_no_error (error);
  return object;
}

/* Returns (transfer full) the entry of @room in the directory's HTTP list, or NULL. */
JsonObject *
canopy_test_signal_directory_entry (CanopyTestSignal *f,
                                    const char       *room)
{
  g_autoptr (JsonObject) reply = canopy_test_signal_http_get (f, "/rooms", SOUP_STATUS_OK);
  JsonObject *entry = find_entry (json_object_get_array_member (reply, "rooms"), room);

  return entry ? json_object_ref (entry) : NULL;
}

/* A second, well-behaved client is still served, and @room is still in the directory. */
void
canopy_test_signal_assert_healthy (CanopyTestSignal *f,
                                   const char       *room)
{
  g_autoptr (CanopyTestClient) probe = canopy_test_client_connect_full (f->session, f->url, NULL);
  g_autoptr (JsonObject) entry = NULL;

  canopy_test_client_ping (probe);
  if (room != NULL) {
    entry = canopy_test_signal_directory_entry (f, room);
    g_assert_nonnull (entry);
  }
}

/* A canopy-signal configuration file holding @text, in the temporary directory; the caller
 * removes it. */
char *
canopy_test_write_config (const char *text)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("canopy-signal-XXXXXX.ini", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}
