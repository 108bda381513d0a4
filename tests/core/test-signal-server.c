/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-test-procs.h"
#include "canopy-json.h"
#include "canopy-signal-server.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define TIMEOUT_SECONDS 5
#define ALPHABET "23456789abcdefghjkmnpqrstuvwxyz"

/* --- waiting on the main context --- */

static void
wait_for (CanopyTestCheck done,
          gpointer        data,
          const char     *what)
{
  canopy_test_wait_for (done, data, TIMEOUT_SECONDS, what);
}

/* --- a WebSocket client --- */

typedef struct {
  SoupWebsocketConnection *connection;
  GQueue messages; /* JsonObject */
  gboolean closed;
  char *peer;
} Client;

typedef struct {
  Client *client;
  GError *error;
  gboolean done;
} Connecting;

static void
on_client_message (SoupWebsocketConnection *connection,
                   SoupWebsocketDataType    type,
                   GBytes                  *bytes,
                   gpointer                 user_data)
{
  Client *client = user_data;
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
  ((Client *) user_data)->closed = TRUE;
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
static Client *
client_open (SoupSession *session,
             const char  *url)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  Client *client = g_new0 (Client, 1);
  Connecting connecting = { client, NULL, FALSE };

  g_queue_init (&client->messages);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &connecting);
  wait_for (canopy_test_is_true, &connecting.done, "the WebSocket handshake");
  g_assert_no_error (connecting.error);
  return client;
}

typedef struct {
  Client *client;
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
static JsonObject *
client_next (Client     *client,
             const char *type)
{
  Lookup lookup = { client, type, NULL };

  wait_for (find_message, &lookup, type);
  if (lookup.found == NULL)
    g_error ("Connection closed while waiting for \"%s\"", type);
  return lookup.found;
}

static gboolean
client_has (Client     *client,
            const char *type)
{
  for (GList *l = client->messages.head; l != NULL; l = l->next)
    if (g_str_equal (json_object_get_string_member_with_default (l->data, "type", ""), type))
      return TRUE;
  return FALSE;
}

static void
client_send (Client     *client,
             const char *text)
{
  soup_websocket_connection_send_text (client->connection, text);
}

static void client_sendf (Client     *client,
                          const char *format,
                          ...) G_GNUC_PRINTF (2, 3);

static void
client_sendf (Client     *client,
              const char *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  client_send (client, text);
}

static void
client_expect_error (Client     *client,
                     const char *code,
                     const char *ref)
{
  g_autoptr (JsonObject) error = client_next (client, "error");

  g_assert_cmpstr (json_object_get_string_member_with_default (error, "code", NULL), ==, code);
  g_assert_cmpstr (json_object_get_string_member_with_default (error, "ref", NULL), ==, ref);
  g_assert_true (json_object_has_member (error, "message"));
}

static gboolean
client_is_closed (gpointer data)
{
  return ((Client *) data)->closed;
}

static void
client_wait_closed (Client *client)
{
  wait_for (client_is_closed, client, "the connection to close");
}

static gboolean
is_peer_id (const char *id)
{
  if (id == NULL || strlen (id) != 11 || id[0] != 'p')
    return FALSE;
  for (const char *p = id + 1; *p; p++)
    if (strchr (ALPHABET, *p) == NULL)
      return FALSE;
  return TRUE;
}

/* Connects and waits for `welcome`; the caller frees @welcome_out when given. */
static Client *
client_connect_full (SoupSession *session,
                     const char  *url,
                     JsonObject **welcome_out)
{
  Client *client = client_open (session, url);
  g_autoptr (JsonObject) welcome = client_next (client, "welcome");

  client->peer = g_strdup (json_object_get_string_member_with_default (welcome, "peer", NULL));
  g_assert_true (is_peer_id (client->peer));
  if (welcome_out != NULL)
    *welcome_out = g_steal_pointer (&welcome);
  return client;
}

static void
client_free (Client *client)
{
  g_signal_handlers_disconnect_by_data (client->connection, client);
  if (soup_websocket_connection_get_state (client->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_object_unref (client->connection);
  g_queue_clear_full (&client->messages, (GDestroyNotify) json_object_unref);
  g_free (client->peer);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

/* --- the fixture: a real server on a free port --- */

typedef struct {
  CanopySignalServer *server;
  SoupSession *session;
  char *url;
  char *http;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
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

static guint
n_peers (Fixture *f)
{
  guint n = 0;

  g_object_get (f->server, "n-peers", &n, NULL);
  return n;
}

static guint
n_rooms (Fixture *f)
{
  guint n = 0;

  g_object_get (f->server, "n-rooms", &n, NULL);
  return n;
}

static gboolean
server_has_no_peers (gpointer data)
{
  return n_peers (data) == 0;
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  /* The test freed its clients; the server must see every one of them go. */
  wait_for (server_has_no_peers, f, "the server to see every client go");
  g_assert_cmpuint (n_rooms (f), ==, 0);
  soup_session_abort (f->session);
  g_clear_object (&f->session);
  canopy_signal_server_stop (f->server);
  g_assert_finalize_object (f->server);
  g_free (f->url);
  g_free (f->http);
}

static Client *
client_connect (Fixture *f)
{
  return client_connect_full (f->session, f->url, NULL);
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
static JsonObject *
http_get (Fixture    *f,
          const char *path,
          guint       expected_status)
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
  wait_for (canopy_test_is_true, &reading.done, uri);
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

static JsonObject *
directory_entry (Fixture    *f,
                 const char *room)
{
  g_autoptr (JsonObject) reply = http_get (f, "/rooms", SOUP_STATUS_OK);
  JsonObject *entry = find_entry (json_object_get_array_member (reply, "rooms"), room);

  return entry ? json_object_ref (entry) : NULL;
}

static gboolean
is_room_id (const char *id)
{
  if (id == NULL || strlen (id) != 8)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (strchr (ALPHABET, *p) == NULL)
      return FALSE;
  return TRUE;
}

/* @host creates a room; returns its ID and sets @secret. */
static char *
create_room (Client     *host,
             const char *title,
             gboolean    listed,
             char      **secret)
{
  g_autoptr (JsonObject) created = NULL;
  const char *id;
  const char *key;

  client_sendf (host,
                "{\"type\":\"create-room\",\"title\":\"%s\",\"summary\":\"About %s\","
                "\"name\":\"Host\",\"listed\":%s,\"k1\":3}",
                title, title, listed ? "true" : "false");
  created = client_next (host, "room-created");
  id = json_object_get_string_member_with_default (created, "room", NULL);
  key = json_object_get_string_member_with_default (created, "secret", NULL);
  g_assert_true (is_room_id (id));
  g_assert_nonnull (key);
  g_assert_cmpuint (strlen (key), ==, 32);
  for (const char *p = key; *p; p++)
    g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
  if (secret != NULL)
    *secret = g_strdup (key);
  return g_strdup (id);
}

/* A second, well-behaved client is still served, and @room is still in the directory. */
static void
assert_healthy (Fixture    *f,
                const char *room)
{
  g_autoptr (Client) probe = client_connect (f);
  g_autoptr (JsonObject) pong = NULL;
  g_autoptr (JsonObject) entry = NULL;

  client_send (probe, "{\"type\":\"ping\"}");
  pong = client_next (probe, "pong");
  if (room != NULL) {
    entry = directory_entry (f, room);
    g_assert_nonnull (entry);
  }
}

/* --- tests --- */

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_properties (void)
{
  g_autoptr (CanopySignalServer) server = canopy_signal_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  guint max_rooms, max_peers, max_message, rate, burst, rooms, peers;
  guint notified = 0;

  g_object_get (server, "max-rooms", &max_rooms, "max-peers", &max_peers, "max-message",
                &max_message, "rate", &rate, "burst", &burst, "n-rooms", &rooms, "n-peers",
                &peers, NULL);
  g_assert_cmpuint (max_rooms, ==, 1000);
  g_assert_cmpuint (max_peers, ==, 10000);
  g_assert_cmpuint (max_message, ==, 131072);
  g_assert_cmpuint (rate, ==, 50);
  g_assert_cmpuint (burst, ==, 200);
  g_assert_cmpuint (rooms, ==, 0);
  g_assert_cmpuint (peers, ==, 0);

  g_signal_connect (server, "notify", G_CALLBACK (on_notify), &notified);
  g_object_set (server, "max-rooms", 7, "max-peers", 8, "max-message", 4096, "rate", 9,
                "burst", 10, NULL);
  g_assert_cmpuint (notified, ==, 5);
  g_object_set (server, "max-rooms", 7, NULL);
  g_assert_cmpuint (notified, ==, 5);
  g_object_get (server, "max-rooms", &max_rooms, "max-peers", &max_peers, "max-message",
                &max_message, "rate", &rate, "burst", &burst, NULL);
  g_assert_cmpuint (max_rooms, ==, 7);
  g_assert_cmpuint (max_peers, ==, 8);
  g_assert_cmpuint (max_message, ==, 4096);
  g_assert_cmpuint (rate, ==, 9);
  g_assert_cmpuint (burst, ==, 10);

  g_assert_null (canopy_signal_server_get_url (server));
  g_assert_cmpuint (canopy_signal_server_get_port (server), ==, 0);
  g_assert_false (canopy_signal_server_listen (server, "not an address", 0, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (canopy_signal_server_listen (server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  url = canopy_signal_server_get_url (server);
  g_assert_true (g_str_has_prefix (url, "ws://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (url, "/ws"));
  g_assert_false (canopy_signal_server_listen (server, "127.0.0.1", 0, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_FAILED);
  g_clear_error (&error);

  {
    /* A port already taken is a clear error. */
    g_autoptr (CanopySignalServer) other = canopy_signal_server_new ();

    g_assert_false (canopy_signal_server_listen (other, "127.0.0.1",
                                                 canopy_signal_server_get_port (server), &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
    g_clear_error (&error);
    g_assert_finalize_object (g_steal_pointer (&other));
  }

  canopy_signal_server_stop (server);
  g_assert_cmpuint (canopy_signal_server_get_port (server), ==, 0);
  g_assert_finalize_object (g_steal_pointer (&server));
}

static void
test_room_id_normalize (void)
{
  struct {
    const char *text;
    const char *id;
  } cases[] = {
    { "k7m2q9xa", "k7m2q9xa" },
    { "K7M2-Q9XA", "k7m2q9xa" },
    { " k7m2 q9xa\n", "k7m2q9xa" },
    { "k7-m2-q9-xa", "k7m2q9xa" },
    { "k7m2q9x", NULL },    /* too short */
    { "k7m2q9xab", NULL },  /* too long */
    { "k7m2q9x0", NULL },   /* 0 is not in the alphabet */
    { "k7m2q9xl", NULL },   /* nor l */
    { "k7m2q9x_", NULL },
    { "k7m2q9x\xc3\xa9", NULL },
    { "", NULL },
    { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *id = canopy_room_id_normalize (cases[i].text);

    g_assert_cmpstr (id, ==, cases[i].id);
  }
}

static void
test_welcome (Fixture      *f,
              gconstpointer data)
{
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (Client) a = client_connect_full (f->session, f->url, &welcome);
  g_autoptr (Client) b = client_connect (f);
  JsonObject *limits;

  g_assert_cmpstr (a->peer, !=, b->peer);
  g_assert_cmpuint (n_peers (f), ==, 2);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (welcome, "server"),
                                   "canopy-signal "));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (welcome,
                                                                        "ice_servers")), ==, 0);
  limits = json_object_get_object_member (welcome, "limits");
  g_assert_cmpint (json_object_get_int_member (limits, "max_message"), ==, 131072);
  g_assert_cmpint (json_object_get_int_member (limits, "title"), ==, 120);
  g_assert_cmpint (json_object_get_int_member (limits, "summary"), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (limits, "cover"), ==, 65536);
  g_assert_cmpint (json_object_get_int_member (limits, "name"), ==, 64);
  g_assert_cmpint (json_object_get_int_member (limits, "chat"), ==, 2000);
}

static char *
write_config (const char *text)
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

static void
test_config (Fixture      *f,
             gconstpointer data)
{
  const char *bad[] = {
    "[server]\nmax-rooms=0\n",
    "[server]\nmax-rooms=lots\n",
    "[server]\nmax_rooms=10\n",
    "[mystery]\nkey=1\n",
    "[ice-server relay]\nurls=turn:203.0.113.10:3478\n",
    "[ice-server web]\nurls=http://example.com\n",
    "[ice-server stun]\nurl=stun:203.0.113.10:3478\n",
    "this is not a key file\n",
  };
  g_autofree char *path = write_config (
    "[server]\nmax-rooms=5\nrate=20\n\n"
    "[ice-server stun]\nurls=stun:203.0.113.10:3478\n\n"
    "[ice-server relay]\n"
    "urls=turn:203.0.113.10:3478;turn:203.0.113.10:3478?transport=tcp\n"
    "username=alice\ncredential=alicepw\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (Client) client = NULL;
  JsonArray *servers;
  JsonObject *relay;
  JsonArray *urls;
  guint max_rooms = 0, rate = 0, burst = 0;

  g_assert_true (canopy_signal_server_load_config (f->server, path, &error));
  g_assert_no_error (error);
  g_object_get (f->server, "max-rooms", &max_rooms, "rate", &rate, "burst", &burst, NULL);
  g_assert_cmpuint (max_rooms, ==, 5);
  g_assert_cmpuint (rate, ==, 20);
  g_assert_cmpuint (burst, ==, 200);

  client = client_connect_full (f->session, f->url, &welcome);
  servers = json_object_get_array_member (welcome, "ice_servers");
  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  urls = json_object_get_array_member (json_array_get_object_element (servers, 0), "urls");
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, "stun:203.0.113.10:3478");
  relay = json_array_get_object_element (servers, 1);
  urls = json_object_get_array_member (relay, "urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (urls, 1), ==,
                   "turn:203.0.113.10:3478?transport=tcp");
  g_assert_cmpstr (json_object_get_string_member (relay, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (relay, "credential"), ==, "alicepw");
  g_unlink (path);

  /* A wrong file is refused whole: nothing of it is applied. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *bad_path = write_config (bad[i]);

    g_assert_false (canopy_signal_server_load_config (f->server, bad_path, &error));
    g_assert_nonnull (error);
    g_assert_true (strstr (error->message, bad_path) != NULL);
    g_test_message ("%s", error->message);
    g_clear_error (&error);
    g_unlink (bad_path);
  }
  g_assert_false (canopy_signal_server_load_config (f->server, "/nonexistent/canopy.ini",
                                                    &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_object_get (f->server, "max-rooms", &max_rooms, NULL);
  g_assert_cmpuint (max_rooms, ==, 5);
}

static void
test_directory (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (Client) watcher = client_connect (f);
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (JsonObject) rooms = NULL;
  g_autoptr (JsonObject) added = NULL;
  g_autoptr (JsonObject) updated = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) removed = NULL;
  g_autoptr (JsonObject) health = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autoptr (JsonObject) closed = NULL;
  g_autoptr (JsonObject) missing = NULL;
  g_autoptr (JsonObject) pong = NULL;
  g_autoptr (GDateTime) started = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  JsonObject *e;

  client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = client_next (watcher, "rooms");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rooms, "rooms")), ==,
                    0);

  room = create_room (host, "Friday jam", TRUE, &secret);
  g_assert_cmpuint (n_rooms (f), ==, 1);
  added = client_next (watcher, "room-added");
  e = json_object_get_object_member (added, "room");
  g_assert_cmpstr (json_object_get_string_member (e, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (e, "title"), ==, "Friday jam");
  g_assert_cmpstr (json_object_get_string_member (e, "summary"), ==, "About Friday jam");
  g_assert_cmpstr (json_object_get_string_member (e, "host"), ==, "Host");
  g_assert_cmpint (json_object_get_int_member (e, "viewers"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (e, "depth"), ==, 0);
  g_assert_false (json_object_has_member (e, "cover"));
  started = g_date_time_new_from_iso8601 (json_object_get_string_member (e, "started"), NULL);
  g_assert_nonnull (started);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (e, "started"), "Z"));

  client_sendf (host,
                "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\",\"viewers\":6,"
                "\"depth\":3,\"title\":\"Friday\\tjam \\u202e2\","
                "\"cover\":\"https://example.com/c.png\"}",
                room, secret);
  answer = client_next (host, "room-updated");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer, "room"),
                                                  "room"), ==, room);
  updated = client_next (watcher, "room-updated");
  e = json_object_get_object_member (updated, "room");
  g_assert_cmpint (json_object_get_int_member (e, "viewers"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (e, "depth"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (e, "title"), ==, "Friday jam 2");
  g_assert_cmpstr (json_object_get_string_member (e, "cover"), ==, "https://example.com/c.png");

  entry = directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_cmpint (json_object_get_int_member (entry, "viewers"), ==, 6);
  health = http_get (f, "/health", SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (health, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (health, "rooms"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (health, "peers"), ==, 2);
  missing = http_get (f, "/nothing-here", SOUP_STATUS_NOT_FOUND);

  /* Unlisting removes it from the directory; listing again adds it back. */
  client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                "\"listed\":false}", room, secret);
  removed = client_next (watcher, "room-removed");
  g_assert_cmpstr (json_object_get_string_member (removed, "room"), ==, room);
  g_clear_pointer (&entry, json_object_unref);
  entry = directory_entry (f, room);
  g_assert_null (entry);
  g_clear_pointer (&added, json_object_unref);
  client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                "\"listed\":true}", room, secret);
  added = client_next (watcher, "room-added");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (added, "room"),
                                                  "room"), ==, room);

  /* After unsubscribe, nothing more arrives; a room closed by its host is removed. */
  client_send (watcher, "{\"type\":\"unsubscribe\"}");
  client_send (watcher, "{\"type\":\"ping\"}");
  pong = client_next (watcher, "pong");
  client_sendf (host, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room,
                secret);
  closed = client_next (host, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed, "reason"), ==, "host-ended");
  g_assert_cmpuint (n_rooms (f), ==, 0);
  assert_healthy (f, NULL);
  g_assert_false (client_has (watcher, "room-removed"));
}

static void
test_unlisted (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) watcher = client_connect (f);
  g_autoptr (Client) viewer = client_connect (f);
  g_autoptr (JsonObject) rooms = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autofree char *room = create_room (host, "Private", FALSE, NULL);
  g_autofree char *typed = g_ascii_strup (room, -1);

  client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = client_next (watcher, "rooms");
  g_assert_null (find_entry (json_object_get_array_member (rooms, "rooms"), room));
  entry = directory_entry (f, room);
  g_assert_null (entry);

  /* Joinable by its ID, typed in upper case with a dash. */
  client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%.4s-%s\",\"name\":\"Bo\",\"capacity\":2}",
                typed, typed + 4);
  request = client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request, "peer"), ==, viewer->peer);
  g_assert_false (client_has (watcher, "room-added"));
}

static void
test_join_place (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) a = client_connect (f);
  g_autoptr (Client) b = client_connect (f);
  g_autoptr (Client) other_host = client_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) request_b = NULL;
  g_autoptr (JsonObject) placed = NULL;
  g_autoptr (JsonObject) attach = NULL;
  g_autoptr (JsonObject) placed_b = NULL;
  g_autoptr (JsonObject) attach_b = NULL;
  g_autofree char *room = create_room (host, "Jam", TRUE, NULL);
  g_autofree char *other = create_room (other_host, "Other", TRUE, NULL);

  client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"An\\u0007a\\n\",\"capacity\":2,"
                "\"from\":\"pforgedforge\"}", room);
  request = client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request, "peer"), ==, a->peer);
  g_assert_cmpstr (json_object_get_string_member (request, "name"), ==, "Ana");
  g_assert_cmpint (json_object_get_int_member (request, "capacity"), ==, 2);

  /* Only the host places, and only peers of its room. */
  client_sendf (a, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer, host->peer);
  client_expect_error (a, "forbidden", "place");
  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", b->peer,
                host->peer);
  client_expect_error (host, "unknown-peer", "place");
  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                other_host->peer);
  client_expect_error (host, "unknown-peer", "place");
  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer, a->peer);
  client_expect_error (host, "bad-message", "place");
  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\"}", a->peer);
  client_expect_error (host, "bad-message", "place");
  client_sendf (b, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer, host->peer);
  client_expect_error (b, "not-in-room", "place");

  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                host->peer);
  placed = client_next (a, "placed");
  g_assert_cmpstr (json_object_get_string_member (placed, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (placed, "parent"), ==, host->peer);
  attach = client_next (host, "attach");
  g_assert_cmpstr (json_object_get_string_member (attach, "child"), ==, a->peer);
  g_assert_cmpstr (json_object_get_string_member (attach, "name"), ==, "Ana");
  g_assert_cmpint (json_object_get_int_member (attach, "capacity"), ==, 2);

  /* A second viewer goes under the first: the first one gets attach. */
  client_sendf (b, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Bo\",\"capacity\":0}", room);
  request_b = client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request_b, "peer"), ==, b->peer);
  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", b->peer, a->peer);
  placed_b = client_next (b, "placed");
  g_assert_cmpstr (json_object_get_string_member (placed_b, "parent"), ==, a->peer);
  attach_b = client_next (a, "attach");
  g_assert_cmpstr (json_object_get_string_member (attach_b, "child"), ==, b->peer);
  g_assert_cmpstr (json_object_get_string_member (attach_b, "name"), ==, "Bo");
  g_assert_cmpint (json_object_get_int_member (attach_b, "capacity"), ==, 0);

  /* One room per connection. */
  client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Ana\",\"capacity\":2}", other);
  client_expect_error (a, "already-in-room", "join");
  client_sendf (host, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Host\",\"capacity\":2}",
                room);
  client_expect_error (host, "already-in-room", "join");
  client_send (host, "{\"type\":\"create-room\",\"title\":\"Again\",\"name\":\"Host\"}");
  client_expect_error (host, "already-in-room", "create-room");
  client_send (a, "{\"type\":\"create-room\",\"title\":\"Mine\",\"name\":\"Ana\"}");
  client_expect_error (a, "already-in-room", "create-room");
  assert_healthy (f, room);
}

static void
test_signal_relay (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) viewer = client_connect (f);
  g_autoptr (Client) stranger = client_connect (f);
  g_autoptr (Client) outsider = client_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) request2 = NULL;
  g_autoptr (JsonObject) to_viewer = NULL;
  g_autoptr (JsonObject) to_host = NULL;
  g_autofree char *room = create_room (host, "Jam", TRUE, NULL);
  g_autofree char *other = create_room (stranger, "Elsewhere", TRUE, NULL);
  JsonObject *data_member;

  client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\",\"capacity\":1}",
                room);
  request = client_next (host, "join-request");

  /* `from` is the sender's connection whatever the sender claims. */
  client_sendf (host, "{\"type\":\"signal\",\"to\":\"%s\",\"from\":\"%s\","
                "\"data\":{\"sdp\":\"v=0\",\"sdp_type\":\"offer\"}}", viewer->peer, stranger->peer);
  to_viewer = client_next (viewer, "signal");
  g_assert_cmpstr (json_object_get_string_member (to_viewer, "from"), ==, host->peer);
  data_member = json_object_get_object_member (to_viewer, "data");
  g_assert_cmpstr (json_object_get_string_member (data_member, "sdp"), ==, "v=0");
  g_assert_cmpstr (json_object_get_string_member (data_member, "sdp_type"), ==, "offer");
  g_assert_false (json_object_has_member (to_viewer, "to"));

  client_sendf (viewer, "{\"type\":\"signal\",\"to\":\"%s\",\"from\":\"pforgedforge\","
                "\"data\":{\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ host\","
                "\"mline\":0}}",
                host->peer);
  to_host = client_next (host, "signal");
  g_assert_cmpstr (json_object_get_string_member (to_host, "from"), ==, viewer->peer);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (to_host, "data"),
                                               "mline"), ==, 0);

  /* Nobody signals across rooms, or without a room. */
  client_sendf (viewer, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", stranger->peer);
  client_expect_error (viewer, "unknown-peer", "signal");
  client_sendf (stranger, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", host->peer);
  client_expect_error (stranger, "unknown-peer", "signal");
  client_sendf (outsider, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", host->peer);
  client_expect_error (outsider, "not-in-room", "signal");
  client_sendf (viewer, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":\"offer\"}", host->peer);
  client_expect_error (viewer, "bad-message", "signal");
  client_sendf (viewer, "{\"type\":\"signal\",\"to\":7,\"data\":{}}");
  client_expect_error (viewer, "bad-message", "signal");
  g_assert_false (client_has (stranger, "signal"));

  /* The outsider is welcome in another room, and still cannot reach this one. */
  client_sendf (outsider, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Out\",\"capacity\":1}",
                other);
  request2 = client_next (stranger, "join-request");
  client_sendf (outsider, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", viewer->peer);
  client_expect_error (outsider, "unknown-peer", "signal");
  assert_healthy (f, room);
}

static void
test_refuse (Fixture      *f,
             gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) viewer = client_connect (f);
  g_autoptr (Client) outsider = client_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) refused = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autofree char *room = create_room (host, "Jam", TRUE, NULL);

  client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\",\"capacity\":1}",
                room);
  request = client_next (host, "join-request");
  client_sendf (host, "{\"type\":\"refuse\",\"child\":\"%s\"}", viewer->peer);
  refused = client_next (viewer, "refused");
  g_assert_cmpstr (json_object_get_string_member (refused, "parent"), ==, host->peer);

  /* A refused child asks again in the same room. */
  client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi 2\",\"capacity\":3}",
                room);
  again = client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (again, "peer"), ==, viewer->peer);
  g_assert_cmpstr (json_object_get_string_member (again, "name"), ==, "Vi 2");
  g_assert_cmpint (json_object_get_int_member (again, "capacity"), ==, 3);

  client_sendf (host, "{\"type\":\"refuse\",\"child\":\"%s\"}", outsider->peer);
  client_expect_error (host, "unknown-peer", "refuse");
  client_sendf (outsider, "{\"type\":\"refuse\",\"child\":\"%s\"}", viewer->peer);
  client_expect_error (outsider, "not-in-room", "refuse");
  client_sendf (viewer, "{\"type\":\"refuse\",\"child\":\"%s\"}", viewer->peer);
  client_expect_error (viewer, "bad-message", "refuse");
}

static void
test_close_room (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) a = client_connect (f);
  g_autoptr (Client) b = client_connect (f);
  g_autoptr (Client) watcher = client_connect (f);
  g_autoptr (Client) other_host = client_connect (f);
  g_autoptr (JsonObject) rooms = NULL;
  g_autoptr (JsonObject) r1 = NULL;
  g_autoptr (JsonObject) r2 = NULL;
  g_autoptr (JsonObject) closed_a = NULL;
  g_autoptr (JsonObject) closed_b = NULL;
  g_autoptr (JsonObject) closed_host = NULL;
  g_autoptr (JsonObject) removed = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *other_secret = NULL;
  g_autofree char *room = create_room (host, "Jam", TRUE, &secret);
  g_autofree char *other = create_room (other_host, "Other", TRUE, &other_secret);

  client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = client_next (watcher, "rooms");
  client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"A\",\"capacity\":1}", room);
  r1 = client_next (host, "join-request");
  client_sendf (b, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"B\",\"capacity\":1}", room);
  r2 = client_next (host, "join-request");

  client_sendf (a, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room,
                other_secret);
  client_expect_error (a, "forbidden", "close-room");
  client_sendf (a, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"\"}", room);
  client_expect_error (a, "forbidden", "close-room");
  client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\",\"viewers\":1}",
                room, other_secret);
  client_expect_error (host, "forbidden", "update-room");
  client_sendf (host, "{\"type\":\"close-room\",\"room\":\"%s\"}", room);
  client_expect_error (host, "bad-message", "close-room");
  g_assert_cmpuint (n_rooms (f), ==, 2);

  client_sendf (host, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room, secret);
  closed_a = client_next (a, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed_a, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (closed_a, "reason"), ==, "host-ended");
  closed_b = client_next (b, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed_b, "reason"), ==, "host-ended");
  closed_host = client_next (host, "room-closed");
  removed = client_next (watcher, "room-removed");
  g_assert_cmpstr (json_object_get_string_member (removed, "room"), ==, room);
  g_assert_cmpuint (n_rooms (f), ==, 1);

  /* Released members may join another room; the closed room is gone. */
  client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"A\",\"capacity\":1}", other);
  again = client_next (other_host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (again, "peer"), ==, a->peer);
  client_sendf (b, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"B\",\"capacity\":1}", room);
  client_expect_error (b, "unknown-room", "join");
  client_send (b, "{\"type\":\"leave\"}");
  client_expect_error (b, "not-in-room", "leave");
  assert_healthy (f, other);
}

static void
test_host_disconnect (Fixture      *f,
                      gconstpointer data)
{
  Client *host = client_connect (f);
  g_autoptr (Client) viewer = client_connect (f);
  g_autoptr (Client) watcher = client_connect (f);
  g_autoptr (JsonObject) rooms = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) closed = NULL;
  g_autoptr (JsonObject) removed = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *room = create_room (host, "Jam", TRUE, NULL);

  client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = client_next (watcher, "rooms");
  g_assert_nonnull (find_entry (json_object_get_array_member (rooms, "rooms"), room));
  client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\",\"capacity\":1}",
                room);
  request = client_next (host, "join-request");

  client_free (host);
  closed = client_next (viewer, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (closed, "reason"), ==, "host-left");
  removed = client_next (watcher, "room-removed");
  g_assert_cmpstr (json_object_get_string_member (removed, "room"), ==, room);
  g_assert_cmpuint (n_rooms (f), ==, 0);
  entry = directory_entry (f, room);
  g_assert_null (entry);
}

static void
test_viewer_leaves (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) stays = client_connect (f);
  g_autoptr (Client) quits = client_connect (f);
  Client *drops = client_connect (f);
  g_autoptr (JsonObject) r1 = NULL;
  g_autoptr (JsonObject) r2 = NULL;
  g_autoptr (JsonObject) r3 = NULL;
  g_autoptr (JsonObject) left1 = NULL;
  g_autoptr (JsonObject) left2 = NULL;
  g_autoptr (JsonObject) rejoin = NULL;
  g_autofree char *room = create_room (host, "Jam", TRUE, NULL);
  g_autofree char *dropped = g_strdup (drops->peer);

  client_sendf (stays, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"S\",\"capacity\":1}", room);
  r1 = client_next (host, "join-request");
  client_sendf (quits, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Q\",\"capacity\":1}", room);
  r2 = client_next (host, "join-request");
  client_sendf (drops, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"D\",\"capacity\":1}", room);
  r3 = client_next (host, "join-request");

  client_send (quits, "{\"type\":\"leave\"}");
  left1 = client_next (host, "peer-left");
  g_assert_cmpstr (json_object_get_string_member (left1, "peer"), ==, quits->peer);
  client_free (drops);
  left2 = client_next (host, "peer-left");
  g_assert_cmpstr (json_object_get_string_member (left2, "peer"), ==, dropped);

  /* The room lives on; whoever left may come back. */
  g_assert_cmpuint (n_rooms (f), ==, 1);
  client_sendf (quits, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Q\",\"capacity\":1}", room);
  rejoin = client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (rejoin, "peer"), ==, quits->peer);
  client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", dropped,
                host->peer);
  client_expect_error (host, "unknown-peer", "place");
  g_assert_false (client_has (stays, "room-closed"));
}

static char *
cover_data_url (const char *type,
                const char *magic,
                gsize       magic_len,
                gsize       size)
{
  g_autofree guchar *image = g_malloc0 (size);
  g_autofree char *encoded = NULL;

  memcpy (image, magic, MIN (magic_len, size));
  encoded = g_base64_encode (image, size);
  return g_strdup_printf ("data:image/%s;base64,%s", type, encoded);
}

static void
test_cover (Fixture      *f,
            gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autofree char *png = cover_data_url ("png", "\x89PNG\r\n\x1a\n", 8, 65536);
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonObject) entry = NULL;
  const char *room;

  /* The largest cover allowed, in a message under max-message. */
  client_sendf (host,
                "{\"type\":\"create-room\",\"title\":\"Art\",\"name\":\"H\",\"cover\":\"%s\"}",
                png);
  created = client_next (host, "room-created");
  room = json_object_get_string_member (created, "room");
  entry = directory_entry (f, room);
  g_assert_cmpstr (json_object_get_string_member (entry, "cover"), ==, png);
}

typedef struct {
  char *text;
  const char *code;
  const char *ref;
} BadCase;

static void
test_bad_input (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autofree char *secret = NULL;
  g_autofree char *room = create_room (host, "Steady", TRUE, &secret);
  g_autofree char *long_title = g_strnfill (121, 't');
  g_autofree char *max_title = g_strnfill (120, 't');
  g_autofree char *long_summary = g_strnfill (1001, 's');
  g_autofree char *long_name = g_strnfill (65, 'n');
  g_autofree char *big_png = cover_data_url ("png", "\x89PNG\r\n\x1a\n", 8, 65537);
  g_autofree char *jpeg_as_png = cover_data_url ("png", "\xff\xd8\xff\xe0", 4, 100);
  g_autofree char *long_url_tail = g_strnfill (2040, 'a');
  g_autofree char *padding = g_strnfill (131072, 'x');
  g_autoptr (GString) deep = g_string_new ("{\"type\":\"ping\",\"a\":");
  g_autoptr (JsonObject) entry = NULL;
  BadCase cases[] = {
    { g_strdup ("not json"), "malformed-json", NULL },
    { g_strdup ("{\"type\":\"ping\""), "malformed-json", NULL },
    { g_strdup ("[1,2,3]"), "bad-message", NULL },
    { g_strdup ("\"ping\""), "bad-message", NULL },
    { g_strdup ("{\"room\":\"k7m2q9xa\"}"), "bad-message", NULL },
    { g_strdup ("{\"type\":42}"), "bad-message", NULL },
    { g_strdup ("{\"type\":\"frobnicate\"}"), "unknown-type", "frobnicate" },
    { g_strdup ("{\"type\":\"\\udc00\"}"), "malformed-json", NULL },
    { g_strdup ("{\"type\":\"join\",\"room\":5,\"name\":\"x\",\"capacity\":1}"), "bad-message",
      "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"x\",\"capacity\":\"2\"}",
                       room), "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"x\",\"capacity\":33}", room),
      "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"x\",\"capacity\":1.5}", room),
      "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":[],\"capacity\":1}", room),
      "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\",\"capacity\":1}", room,
                       long_name), "too-large", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"\\u0001 \",\"capacity\":1}",
                       room), "bad-message", "join" },
    { g_strdup ("{\"type\":\"join\",\"room\":\"zzzzzzzz\",\"name\":\"x\",\"capacity\":1}"),
      "unknown-room", "join" },
    { g_strdup ("{\"type\":\"join\",\"room\":\"not a room!\",\"name\":\"x\",\"capacity\":1}"),
      "unknown-room", "join" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":true,\"name\":\"x\"}"), "bad-message",
      "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"listed\":\"yes\"}"),
      "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"k1\":0}"),
      "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"\",\"name\":\"x\"}"), "bad-message",
      "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"name\":\"x\"}"), "bad-message", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"%s\",\"name\":\"x\"}", long_title),
      "too-large", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"summary\":\"%s\","
                       "\"name\":\"x\"}", long_summary), "too-large", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"cover\":\"%s\"}",
                       big_png), "too-large", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"data:image/png;base64,iVBO!!!!\"}"), "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"data:image/png;base64,iVBORw0KGgo=AAA\"}"), "bad-message",
      "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"cover\":\"%s\"}",
                       jpeg_as_png), "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"data:image/svg+xml;base64,PHN2Zz4=\"}"), "bad-message",
      "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"javascript:alert(1)\"}"), "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"https://exa mple.com/\"}"), "bad-message", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                       "\"cover\":\"https://e.com/%s\"}", long_url_tail), "too-large",
      "create-room" },
    { g_strdup_printf ("{\"type\":\"ping\",\"pad\":\"%s\"}", padding), "too-large", NULL },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                       "\"title\":\"%s\",\"depth\":1001}", room, secret, max_title),
      "bad-message", "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                       "\"viewers\":-1}", room, secret), "bad-message", "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                       "\"summary\":\"%s\"}", room, secret, long_summary), "too-large",
      "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"wrong\"}", room),
      "forbidden", "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":5}", room),
      "bad-message", "update-room" },
    { g_strdup ("{\"type\":\"update-room\",\"room\":\"zzzzzzzz\",\"secret\":\"x\"}"),
      "unknown-room", "update-room" },
    { g_strdup ("{\"type\":\"close-room\",\"room\":\"zzzzzzzz\",\"secret\":\"x\"}"),
      "unknown-room", "close-room" },
    { g_strdup ("{\"type\":\"place\",\"peer\":\"p2222222222\",\"parent\":\"p3333333333\"}"),
      "not-in-room", "place" },
    { g_strdup ("{\"type\":\"leave\"}"), "not-in-room", "leave" },
    { NULL, "malformed-json", NULL }, /* deep, below */
  };

  for (int i = 0; i < CANOPY_JSON_DEPTH_MAX + 1; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < CANOPY_JSON_DEPTH_MAX + 1; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  cases[G_N_ELEMENTS (cases) - 1].text = g_strdup (deep->str);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (Client) bad = client_connect (f);
    g_autoptr (JsonObject) pong = NULL;

    g_test_message ("bad input %u: %.80s", i, cases[i].text);
    client_send (bad, cases[i].text);
    client_expect_error (bad, cases[i].code, cases[i].ref);
    /* The sender itself is still served, and so is everybody else. */
    client_send (bad, "{\"type\":\"ping\"}");
    pong = client_next (bad, "pong");
    assert_healthy (f, room);
    g_free (cases[i].text);
  }

  /* Nothing of a rejected update was applied. */
  entry = directory_entry (f, room);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Steady");
  g_assert_cmpint (json_object_get_int_member (entry, "depth"), ==, 0);
  g_assert_cmpuint (n_rooms (f), ==, 1);
}

static void
test_binary_frame (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) bad = client_connect (f);
  g_autoptr (JsonObject) pong = NULL;
  g_autofree char *room = create_room (host, "Steady", TRUE, NULL);
  const char bytes[] = "{\"type\":\"ping\"}";

  soup_websocket_connection_send_binary (bad->connection, bytes, sizeof bytes - 1);
  client_expect_error (bad, "bad-message", NULL);
  client_send (bad, "{\"type\":\"ping\"}");
  pong = client_next (bad, "pong");
  assert_healthy (f, room);
}

static void
test_oversized_frame (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autoptr (Client) bad = client_connect (f);
  g_autofree char *room = create_room (host, "Steady", TRUE, NULL);
  g_autofree char *padding = g_strnfill (1024 * 1024, 'x');

  /* Far over max-message: libsoup itself refuses the frame and drops the connection. */
  client_sendf (bad, "{\"type\":\"ping\",\"pad\":\"%s\"}", padding);
  client_wait_closed (bad);
  g_assert_false (client_has (bad, "pong"));
  assert_healthy (f, room);
}

/* --- a raw WebSocket client, for frames libsoup will not send --- */

typedef struct {
  GSocketConnection *connection;
  GCancellable *cancellable;
  GByteArray *received;  /* server frames, once the HTTP response is taken off */
  guint8 buffer[4096];
  gboolean reading;
  gboolean eof;
  gboolean done;
  GError *error;
} Raw;

static void
on_raw_connected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Raw *raw = user_data;

  raw->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result,
                                                            &raw->error);
  raw->done = TRUE;
}

static void
on_raw_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Raw *raw = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  raw->reading = FALSE;
  if (n <= 0)
    raw->eof = TRUE;
  else
    g_byte_array_append (raw->received, raw->buffer, (guint) n);
}

static void
raw_pump (Raw *raw)
{
  if (!raw->reading && !raw->eof) {
    raw->reading = TRUE;
    g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (raw->connection)),
                               raw->buffer, sizeof raw->buffer, G_PRIORITY_DEFAULT,
                               raw->cancellable, on_raw_read, raw);
  }
}

static gboolean
raw_has_headers (gpointer data)
{
  Raw *raw = data;

  raw_pump (raw);
  return raw->eof || (raw->received->len > 0 &&
                      g_strstr_len ((char *) raw->received->data, raw->received->len,
                                    "\r\n\r\n") != NULL);
}

static void
on_raw_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Raw *raw = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &raw->error);
  raw->done = TRUE;
}

/* Writes asynchronously: the server reads on this same main context. */
static void
raw_write (Raw          *raw,
           const guint8 *data,
           gsize         len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));

  raw->done = FALSE;
  g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT, NULL, on_raw_written, raw);
  wait_for (canopy_test_is_true, &raw->done, "a raw write");
  g_assert_no_error (raw->error);
}

/* Sends one masked client frame. */
static void
raw_send_frame (Raw          *raw,
                guint8        first_byte,
                const guint8 *payload,
                gsize         len)
{
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  guint8 header[10];
  gsize header_len;

  header[0] = first_byte;
  if (len < 126) {
    header[1] = 0x80 | (guint8) len;
    header_len = 2;
  } else if (len < 65536) {
    header[1] = 0x80 | 126;
    header[2] = (guint8) (len >> 8);
    header[3] = (guint8) len;
    header_len = 4;
  } else {
    header[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++)
      header[2 + i] = (guint8) (((guint64) len) >> (8 * (7 - i)));
    header_len = 10;
  }
  g_byte_array_append (frame, header, (guint) header_len);
  g_byte_array_append (frame, mask, 4);
  g_byte_array_set_size (frame, (guint) (header_len + 4 + len));
  for (gsize i = 0; i < len; i++)
    frame->data[header_len + 4 + i] = payload[i] ^ mask[i % 4];
  raw_write (raw, frame->data, frame->len);
}

/* Finds the first complete server frame of @opcode received; points @payload at it. */
static gboolean
raw_find_frame (Raw           *raw,
                guint8         opcode,
                const guint8 **payload,
                gsize         *payload_len)
{
  gsize at = 0;

  while (at + 2 <= raw->received->len) {
    const guint8 *p = raw->received->data + at;
    gsize len = p[1] & 0x7f;
    gsize header = 2;

    if (len == 126) {
      if (at + 4 > raw->received->len)
        return FALSE;
      len = ((gsize) p[2] << 8) | p[3];
      header = 4;
    } else if (len == 127) {
      if (at + 10 > raw->received->len)
        return FALSE;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | p[2 + i];
      header = 10;
    }
    if (at + header + len > raw->received->len)
      return FALSE;
    if ((p[0] & 0x0f) == opcode) {
      *payload = p + header;
      *payload_len = len;
      return TRUE;
    }
    at += header + len;
  }
  return FALSE;
}

typedef struct {
  Raw *raw;
  guint8 opcode;
} RawWait;

static gboolean
raw_has_frame (gpointer data)
{
  RawWait *wait = data;
  const guint8 *payload;
  gsize len;

  raw_pump (wait->raw);
  return wait->raw->eof || raw_find_frame (wait->raw, wait->opcode, &payload, &len);
}

/* Opens a WebSocket by hand and waits for `welcome`, then forgets what was received. */
static Raw *
raw_connect (Fixture *f)
{
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autofree char *request = NULL;
  Raw *raw = g_new0 (Raw, 1);
  RawWait welcome = { raw, 0x1 };
  const char *end;

  raw->received = g_byte_array_new ();
  raw->cancellable = g_cancellable_new ();
  g_socket_client_connect_to_host_async (socket_client, "127.0.0.1",
                                         (guint16) canopy_signal_server_get_port (f->server),
                                         NULL, on_raw_connected, raw);
  wait_for (canopy_test_is_true, &raw->done, "a TCP connection");
  g_assert_no_error (raw->error);
  request = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             canopy_signal_server_get_port (f->server));
  raw_write (raw, (const guint8 *) request, strlen (request));
  wait_for (raw_has_headers, raw, "the handshake response");
  g_assert_false (raw->eof);
  g_assert_true (g_str_has_prefix ((char *) raw->received->data, "HTTP/1.1 101"));
  end = g_strstr_len ((char *) raw->received->data, raw->received->len, "\r\n\r\n");
  g_byte_array_remove_range (raw->received, 0, (guint) (end + 4 - (char *) raw->received->data));
  wait_for (raw_has_frame, &welcome, "welcome");
  g_assert_false (raw->eof);
  g_byte_array_set_size (raw->received, 0);
  return raw;
}

static gboolean
raw_is_idle (gpointer data)
{
  return !((Raw *) data)->reading;
}

static void
raw_free (Raw *raw)
{
  g_autoptr (GError) error = NULL;

  /* The pending read must finish before its buffer goes. */
  g_cancellable_cancel (raw->cancellable);
  wait_for (raw_is_idle, raw, "the raw read to stop");
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, &error);
  g_assert_no_error (error);
  g_object_unref (raw->connection);
  g_object_unref (raw->cancellable);
  g_byte_array_unref (raw->received);
  g_free (raw);
}

static void
test_invalid_utf8_frame (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autofree char *room = create_room (host, "Steady", TRUE, NULL);
  Raw *raw = raw_connect (f);
  const char text[] = "{\"type\":\"ping\",\"x\":\"\xff\xfe\"}";
  RawWait closing = { raw, 0x8 };
  const guint8 *payload = NULL;
  gsize len = 0;

  /* libsoup validates text frames before the server sees them: it closes with 1007. */
  raw_send_frame (raw, 0x81, (const guint8 *) text, sizeof text - 1);
  wait_for (raw_has_frame, &closing, "a close frame");
  g_assert_true (raw_find_frame (raw, 0x8, &payload, &len));
  g_assert_cmpuint (len, >=, 2);
  g_assert_cmpuint (((guint) payload[0] << 8) | payload[1], ==, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
  raw_free (raw);
  assert_healthy (f, room);
}

static void
test_fragmented_message (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (Client) host = client_connect (f);
  g_autofree char *room = create_room (host, "Steady", TRUE, NULL);
  Raw *raw = raw_connect (f);
  const char head[] = "{\"type\":\"ping\",\"pad\":\"";
  g_autofree char *middle = g_strnfill (100000, 'x');
  const char tail[] = "\"}";
  RawWait error_frame = { raw, 0x1 };
  const guint8 *payload = NULL;
  gsize len = 0;
  g_autoptr (GByteArray) seen = g_byte_array_new ();

  /* Each frame is under the frame limit; the message they make is over max-message. */
  raw_send_frame (raw, 0x01, (const guint8 *) head, sizeof head - 1);
  raw_send_frame (raw, 0x00, (const guint8 *) middle, strlen (middle));
  raw_send_frame (raw, 0x00, (const guint8 *) middle, strlen (middle));
  raw_send_frame (raw, 0x80, (const guint8 *) tail, sizeof tail - 1);
  wait_for (raw_has_frame, &error_frame, "an error");
  g_assert_true (raw_find_frame (raw, 0x1, &payload, &len));
  g_byte_array_append (seen, payload, (guint) len);
  g_byte_array_append (seen, (const guint8 *) "", 1);
  g_assert_nonnull (strstr ((char *) seen->data, "\"too-large\""));
  raw_free (raw);
  assert_healthy (f, room);
}

static void
test_rate_limit (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (Client) host = NULL;
  g_autoptr (Client) flooder = NULL;
  g_autoptr (JsonObject) updated = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  guint n_errors = 0;
  gint64 flood_start;

  g_object_set (f->server, "rate", 2, "burst", 5, NULL);
  host = client_connect (f);
  flooder = client_connect (f);
  room = create_room (host, "Steady", TRUE, &secret);

  flood_start = g_get_monotonic_time ();
  for (guint i = 0; i < 30; i++)
    client_send (flooder, "{\"type\":\"ping\"}");
  client_expect_error (flooder, "rate-limited", NULL);

  /* Another connection's room is untouched and it is served as usual. */
  client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\",\"viewers\":4}",
                room, secret);
  updated = client_next (host, "room-updated");
  entry = directory_entry (f, room);
  g_assert_cmpint (json_object_get_int_member (entry, "viewers"), ==, 4);

  /* A connection that keeps flooding is closed with 1008; errors stayed rare. */
  for (guint i = 0; i < 1100; i++)
    client_send (flooder, "{\"type\":\"ping\"}");
  client_wait_closed (flooder);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (flooder->connection), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  for (GList *l = flooder->messages.head; l != NULL; l = l->next)
    n_errors += g_str_equal (json_object_get_string_member (l->data, "type"), "error");
  /* One rate-limited error a second at most, the first one already taken above (the flood
   * can take seconds under valgrind: count them). */
  g_assert_cmpuint (n_errors, <=, (g_get_monotonic_time () - flood_start) / G_USEC_PER_SEC);

  g_object_set (f->server, "rate", 50, "burst", 200, NULL);
  assert_healthy (f, room);
}

static void
test_server_full (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (Client) a = client_connect (f);
  g_autoptr (Client) b = NULL;
  g_autoptr (Client) turned_away = NULL;
  g_autoptr (JsonObject) closed = NULL;
  g_autofree char *room = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room2 = NULL;

  g_object_set (f->server, "max-rooms", 1, "max-peers", 2, NULL);
  b = client_connect (f);
  room = create_room (a, "Only", TRUE, &secret);
  client_send (b, "{\"type\":\"create-room\",\"title\":\"Second\",\"name\":\"B\"}");
  client_expect_error (b, "server-full", "create-room");

  turned_away = client_open (f->session, f->url);
  client_expect_error (turned_away, "server-full", NULL);
  client_wait_closed (turned_away);
  g_assert_false (client_has (turned_away, "welcome"));
  g_assert_cmpuint (n_peers (f), ==, 2);

  /* Room for more once others are gone. */
  client_sendf (a, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room, secret);
  closed = client_next (a, "room-closed");
  room2 = create_room (b, "Second", TRUE, NULL);
  g_clear_pointer (&a, client_free);
  g_object_set (f->server, "max-peers", 10, NULL);
  assert_healthy (f, room2);
}

/* Stopping closes everything at once, even a connection being turned away, and the server can
 * go while its connections finish closing. */
static void
test_stop (void)
{
  g_autoptr (CanopySignalServer) server = canopy_signal_server_new ();
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (Client) host = NULL;
  g_autoptr (Client) viewer = NULL;
  g_autoptr (Client) watcher = NULL;
  g_autoptr (Client) turned_away = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) rooms = NULL;
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  guint notified = 0;

  g_object_set (server, "max-peers", 3, NULL);
  g_assert_true (canopy_signal_server_listen (server, "127.0.0.1", 0, &error));
  url = canopy_signal_server_get_url (server);
  host = client_connect_full (session, url, NULL);
  viewer = client_connect_full (session, url, NULL);
  watcher = client_connect_full (session, url, NULL);
  room = create_room (host, "Jam", TRUE, NULL);
  client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\",\"capacity\":1}",
                room);
  request = client_next (host, "join-request");
  client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = client_next (watcher, "rooms");
  turned_away = client_open (session, url);
  client_expect_error (turned_away, "server-full", NULL);

  g_signal_connect (server, "notify::n-rooms", G_CALLBACK (on_notify), &notified);
  g_signal_connect (server, "notify::n-peers", G_CALLBACK (on_notify), &notified);
  canopy_signal_server_stop (server);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (canopy_signal_server_get_port (server), ==, 0);
  g_assert_null (canopy_signal_server_get_url (server));
  g_assert_finalize_object (g_steal_pointer (&server));

  client_wait_closed (host);
  client_wait_closed (viewer);
  client_wait_closed (watcher);
  client_wait_closed (turned_away);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (host->connection), ==,
                    SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
}

/* --- the canopy-signal binary --- */

static void
die_with_parent (gpointer user_data)
{
  /* A test that fails must not leave a server behind, holding meson's stderr pipe open. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn (const char * const *argv,
       GSubprocessFlags    flags)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr (GError) error = NULL;
  GSubprocess *proc;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return proc;
}

typedef struct {
  char *line;
  GError *error;
  gboolean done;
} LineRead;

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &read->error);
  read->done = TRUE;
}

static void
on_waited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
test_binary (void)
{
  const char *path = g_getenv ("CANOPY_SIGNAL");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (Client) client = NULL;
  g_autofree char *url = NULL;
  LineRead read = { NULL, NULL, FALSE };
  gboolean exited = FALSE;

  if (path == NULL) {
    g_test_skip ("CANOPY_SIGNAL is not set (the signal-server-binary test sets it)");
    return;
  }
  {
    const char *argv[] = { path, "--port", "0", NULL };

    proc = spawn (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  }
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line, &read);
  wait_for (canopy_test_is_true, &read.done, "the \"listening on\" line");
  g_assert_no_error (read.error);
  g_assert_nonnull (read.line);
  g_assert_true (g_str_has_prefix (read.line, "listening on ws://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (read.line, "/ws"));
  url = g_strdup (read.line + strlen ("listening on "));
  g_assert_cmpstr (url, !=, "ws://127.0.0.1:0/ws");
  g_free (read.line);

  session = soup_session_new ();
  client = client_connect_full (session, url, NULL);

  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait_async (proc, NULL, on_waited, &exited);
  wait_for (canopy_test_is_true, &exited, "canopy-signal to exit");
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  client_wait_closed (client);
}

typedef struct {
  char *out;
  char *err;
  GError *error;
  gboolean done;
} Communicated;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicated *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err,
                                        &c->error);
  c->done = TRUE;
}

/* Runs canopy-signal with @args, which must fail: exit status 1 and a message on stderr. */
static void
assert_binary_fails (const char * const *args,
                     const char         *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  Communicated c = { NULL, NULL, NULL, FALSE };

  proc = spawn (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_communicated, &c);
  wait_for (canopy_test_is_true, &c.done, "canopy-signal to fail");
  g_assert_no_error (c.error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_cmpstr (c.out, ==, "");
  g_test_message ("stderr: %s", c.err);
  g_assert_nonnull (strstr (c.err, expected));
  g_free (c.out);
  g_free (c.err);
}

static void
test_binary_errors (Fixture      *f,
                    gconstpointer data)
{
  const char *path = g_getenv ("CANOPY_SIGNAL");
  g_autofree char *port = NULL;
  g_autofree char *bad_config = NULL;

  if (path == NULL) {
    g_test_skip ("CANOPY_SIGNAL is not set (the signal-server-binary test sets it)");
    return;
  }
  port = g_strdup_printf ("%u", canopy_signal_server_get_port (f->server));
  bad_config = write_config ("[server]\nmax-peers=none\n");
  {
    const char *in_use[] = { path, "--port", port, NULL };
    const char *missing[] = { path, "--port", "0", "--config", "/nonexistent/canopy.ini", NULL };
    const char *invalid[] = { path, "--port", "0", "--config", bad_config, NULL };
    const char *bad_port[] = { path, "--port", "70000", NULL };
    const char *bad_bind[] = { path, "--bind", "example.com", "--port", "0", NULL };

    assert_binary_fails (in_use, "Cannot listen on 127.0.0.1 port");
    assert_binary_fails (missing, "/nonexistent/canopy.ini");
    assert_binary_fails (invalid, "max-peers");
    assert_binary_fails (bad_port, "--port");
    assert_binary_fails (bad_bind, "example.com");
  }
  g_unlink (bad_config);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/signal-server/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/signal-server/properties", test_properties);
  g_test_add_func ("/signal-server/room-id-normalize", test_room_id_normalize);
  ADD ("welcome", test_welcome);
  ADD ("config", test_config);
  ADD ("directory", test_directory);
  ADD ("unlisted", test_unlisted);
  ADD ("join-place", test_join_place);
  ADD ("signal-relay", test_signal_relay);
  ADD ("refuse", test_refuse);
  ADD ("close-room", test_close_room);
  ADD ("host-disconnect", test_host_disconnect);
  ADD ("viewer-leaves", test_viewer_leaves);
  ADD ("cover", test_cover);
  ADD ("bad-input", test_bad_input);
  ADD ("binary-frame", test_binary_frame);
  ADD ("oversized-frame", test_oversized_frame);
  ADD ("invalid-utf8-frame", test_invalid_utf8_frame);
  ADD ("fragmented-message", test_fragmented_message);
  ADD ("rate-limit", test_rate_limit);
  ADD ("server-full", test_server_full);
  g_test_add_func ("/signal-server/stop", test_stop);
  g_test_add_func ("/signal-server/binary/run", test_binary);
  ADD ("binary/errors", test_binary_errors);

#undef ADD
  return g_test_run ();
}
