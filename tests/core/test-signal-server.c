/* SPDX-License-Identifier: GPL-3.0-or-later */

/* CanopySignalServer itself: properties, welcome, config, rate limit, limits, stop, the binary. */

#include "canopy-test-signal.h"

#include <glib/gstdio.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

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
  guint max_rooms, max_peers, max_message, rate, burst, keepalive, rooms, peers;
  guint hello_timeout, upgrade_timeout;
  guint notified = 0;

  g_object_get (server, "max-rooms", &max_rooms, "max-peers", &max_peers, "max-message",
                &max_message, "rate", &rate, "burst", &burst, "keepalive", &keepalive, "n-rooms",
                &rooms, "n-peers", &peers, "hello-timeout", &hello_timeout, "upgrade-timeout",
                &upgrade_timeout, NULL);
  g_assert_cmpuint (hello_timeout, ==, 10);
  g_assert_cmpuint (upgrade_timeout, ==, 5);
  g_assert_cmpuint (max_rooms, ==, 1000);
  g_assert_cmpuint (max_peers, ==, 10000);
  g_assert_cmpuint (max_message, ==, 131072);
  g_assert_cmpuint (rate, ==, 50);
  g_assert_cmpuint (burst, ==, 200);
  g_assert_cmpuint (keepalive, ==, 15);
  g_assert_cmpuint (rooms, ==, 0);
  g_assert_cmpuint (peers, ==, 0);

  g_signal_connect (server, "notify", G_CALLBACK (on_notify), &notified);
  g_object_set (server, "max-rooms", 7, "max-peers", 8, "max-message", 4096, "rate", 9,
                "burst", 10, "keepalive", 2, NULL);
  g_assert_cmpuint (notified, ==, 6);
  g_object_set (server, "max-rooms", 7, NULL);
  g_assert_cmpuint (notified, ==, 6);
  g_object_get (server, "max-rooms", &max_rooms, "max-peers", &max_peers, "max-message",
                &max_message, "rate", &rate, "burst", &burst, "keepalive", &keepalive, NULL);
  g_assert_cmpuint (max_rooms, ==, 7);
  g_assert_cmpuint (max_peers, ==, 8);
  g_assert_cmpuint (max_message, ==, 4096);
  g_assert_cmpuint (rate, ==, 9);
  g_assert_cmpuint (burst, ==, 10);
  g_assert_cmpuint (keepalive, ==, 2);

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
test_welcome (CanopyTestSignal *f,
              gconstpointer     data)
{
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (CanopyTestClient) a = canopy_test_client_connect_full (f->session, f->url, &welcome);
  CanopyTestClient *b = canopy_test_signal_connect (f);
  JsonObject *limits;

  g_assert_cmpstr (a->peer, !=, b->peer);
  g_assert_cmpuint (canopy_test_signal_n_peers (f), ==, 2);
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

static void
test_config (CanopyTestSignal *f,
             gconstpointer     data)
{
  const char *bad[] = {
    "[server]\nmax-rooms=0\n",
    "[server]\nmax-rooms=lots\n",
    "[server]\nkeepalive=0\n",
    "[server]\nkeepalive=3601\n",
    "[server]\nhello-timeout=0\n",
    "[server]\nupgrade-timeout=3601\n",
    "[server]\nmax_rooms=10\n",
    "[mystery]\nkey=1\n",
    "[ice-server relay]\nurls=turn:203.0.113.10:3478\n",
    "[ice-server web]\nurls=http://example.com\n",
    "[ice-server stun]\nurl=stun:203.0.113.10:3478\n",
    "this is not a key file\n",
  };
  g_autofree char *path = canopy_test_write_config (
    "[server]\nmax-rooms=5\nrate=20\nkeepalive=30\nhello-timeout=20\nupgrade-timeout=3\n\n"
    "[ice-server stun]\nurls=stun:203.0.113.10:3478\n\n"
    "[ice-server relay]\n"
    "urls=turn:203.0.113.10:3478;turn:203.0.113.10:3478?transport=tcp\n"
    "username=alice\ncredential=alicepw\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (CanopyTestClient) client = NULL;
  JsonArray *servers;
  JsonObject *relay;
  JsonArray *urls;
  guint max_rooms = 0, rate = 0, burst = 0, keepalive = 0, hello_timeout = 0, upgrade_timeout = 0;

  g_assert_true (canopy_signal_server_load_config (f->server, path, &error));
  g_assert_no_error (error);
  g_object_get (f->server, "max-rooms", &max_rooms, "rate", &rate, "burst", &burst, "keepalive",
                &keepalive, "hello-timeout", &hello_timeout, "upgrade-timeout", &upgrade_timeout,
                NULL);
  g_assert_cmpuint (hello_timeout, ==, 20);
  g_assert_cmpuint (upgrade_timeout, ==, 3);
  g_assert_cmpuint (keepalive, ==, 30);
  g_assert_cmpuint (max_rooms, ==, 5);
  g_assert_cmpuint (rate, ==, 20);
  g_assert_cmpuint (burst, ==, 200);

  client = canopy_test_client_connect_full (f->session, f->url, &welcome);
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
    g_autofree char *bad_path = canopy_test_write_config (bad[i]);

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
test_rate_limit (CanopyTestSignal *f,
                 gconstpointer     data)
{
  CanopyTestClient *host, *flooder;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  guint n_errors = 0;
  gint64 flood_start;

  g_object_set (f->server, "rate", 2, "burst", 5, NULL);
  room = canopy_test_signal_open_room (f, "Steady", &secret, &host, &flooder, NULL);

  flood_start = g_get_monotonic_time ();
  for (guint i = 0; i < 30; i++)
    canopy_test_client_send (flooder, "{\"type\":\"ping\"}");
  canopy_test_client_expect_error (flooder, "rate-limited", NULL);

  /* Another connection's room is untouched and it is served as usual. */
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"viewers\":4}", room, secret);
  canopy_test_client_expect (host, "room-updated", NULL);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_cmpint (json_object_get_int_member (entry, "viewers"), ==, 4);

  /* A connection that keeps flooding is closed with 1008; errors stayed rare. */
  for (guint i = 0; i < 1100; i++)
    canopy_test_client_send (flooder, "{\"type\":\"ping\"}");
  canopy_test_client_wait_closed (flooder);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (flooder->connection), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  for (GList *l = flooder->messages.head; l != NULL; l = l->next)
    n_errors += g_str_equal (json_object_get_string_member (l->data, "type"), "error");
  /* One rate-limited error a second at most, the first one already taken above (the flood
   * can take seconds under valgrind: count them). */
  g_assert_cmpuint (n_errors, <=, (g_get_monotonic_time () - flood_start) / G_USEC_PER_SEC);

  /* The host's own traffic, however much, never closes it (the room would end for all): it is
   * dropped with an error, and it stays. */
  for (guint i = 0; i < 1100; i++)
    canopy_test_client_send (host, "{\"type\":\"ping\"}");
  canopy_test_client_expect_error (host, "rate-limited", NULL);
  g_object_set (f->server, "rate", 50, "burst", 200, NULL);
  canopy_test_spin (300);
  canopy_test_client_ping (host);
  g_assert_false (host->closed);
  canopy_test_signal_assert_healthy (f, room);
}

/* Each join costs the host work: five at once, then one a second; the rest are dropped with
 * rate-limited and never reach the host. */
static void
test_join_rate (CanopyTestSignal *f,
                gconstpointer     data)
{
  CanopyTestClient *host, *member;
  g_autofree char *room = NULL;
  guint requests = 0, limited = 0;

  room = canopy_test_signal_open_room (f, "Joins", NULL, &host, &member, NULL);
  for (guint i = 0; i < 12; i++)
    canopy_test_client_send_join (member, room, "M", 1);
  canopy_test_client_ping (member);
  canopy_test_client_ping (host);
  for (GList *l = host->messages.head; l != NULL; l = l->next)
    requests += g_str_equal (json_object_get_string_member (l->data, "type"), "join-request");
  for (GList *l = member->messages.head; l != NULL; l = l->next)
    limited += g_str_equal (json_object_get_string_member (l->data, "type"), "error");
  g_test_message ("12 joins at once: %u reached the host, %u were refused", requests, limited);
  g_assert_cmpuint (requests, >=, 5);
  g_assert_cmpuint (requests, <=, 6);
  g_assert_cmpuint (requests + limited, ==, 12);
}

static void
test_server_full (CanopyTestSignal *f,
                  gconstpointer     data)
{
  CanopyTestClient *a = canopy_test_signal_connect (f);
  CanopyTestClient *b;
  g_autoptr (CanopyTestClient) turned_away = NULL;
  g_autofree char *room = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room2 = NULL;

  g_object_set (f->server, "max-rooms", 1, "max-peers", 2, NULL);
  b = canopy_test_signal_connect (f);
  room = canopy_test_client_create_room (a, "Only", TRUE, &secret);
  canopy_test_client_send (b, "{\"type\":\"create-room\",\"title\":\"Second\",\"name\":\"B\"}");
  canopy_test_client_expect_error (b, "server-full", "create-room");

  turned_away = canopy_test_client_open (f->session, f->url);
  canopy_test_client_expect_error (turned_away, "server-full", NULL);
  canopy_test_client_wait_closed (turned_away);
  g_assert_false (canopy_test_client_has (turned_away, "welcome"));
  g_assert_cmpuint (canopy_test_signal_n_peers (f), ==, 2);

  /* Room for more once others are gone. */
  canopy_test_client_sendf (a, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room,
                            secret);
  canopy_test_client_expect (a, "room-closed", NULL);
  room2 = canopy_test_client_create_room (b, "Second", TRUE, NULL);
  canopy_test_signal_disconnect (f, a);
  g_object_set (f->server, "max-peers", 10, NULL);
  canopy_test_signal_assert_healthy (f, room2);
}

/* One address cannot take every room or every connection (every client here is 127.0.0.1). */
static void
test_address_quotas (CanopyTestSignal *f,
                     gconstpointer     data)
{
  CanopyTestClient *a, *b, *c;
  g_autoptr (CanopyTestClient) turned_away = NULL;
  g_autoptr (JsonObject) error = NULL;
  g_autofree char *room = NULL;

  g_object_set (f->server, "max-peers-per-address", 3, "max-rooms-per-address", 1, NULL);
  canopy_test_signal_connect_all (f, &a, &b, &c, NULL);
  room = canopy_test_client_create_room (a, "Mine", TRUE, NULL);
  canopy_test_client_send (b, "{\"type\":\"create-room\",\"title\":\"Also\",\"name\":\"B\"}");
  error = canopy_test_client_next (b, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "server-full");
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "address"));

  turned_away = canopy_test_client_open (f->session, f->url);
  canopy_test_client_expect_error (turned_away, "server-full", NULL);
  canopy_test_client_wait_closed (turned_away);
  g_assert_cmpuint (canopy_test_signal_n_peers (f), ==, 3);

  /* A connection gone frees its place. */
  canopy_test_signal_disconnect (f, c);
  c = canopy_test_signal_connect (f);
  g_object_set (f->server, "max-peers-per-address", 256, "max-rooms-per-address", 16, NULL);
  canopy_test_signal_assert_healthy (f, room);
}

/* Stopping closes everything at once, even a connection being turned away, and the server can
 * go while its connections finish closing. */
static void
test_stop (void)
{
  g_autoptr (CanopySignalServer) server = canopy_signal_server_new ();
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyTestClient) host = NULL;
  g_autoptr (CanopyTestClient) viewer = NULL;
  g_autoptr (CanopyTestClient) watcher = NULL;
  g_autoptr (CanopyTestClient) turned_away = NULL;
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  guint notified = 0;

  g_object_set (server, "max-peers", 3, NULL);
  g_assert_true (canopy_signal_server_listen (server, "127.0.0.1", 0, &error));
  url = canopy_signal_server_get_url (server);
  host = canopy_test_client_connect_full (session, url, NULL);
  viewer = canopy_test_client_connect_full (session, url, NULL);
  watcher = canopy_test_client_connect_full (session, url, NULL);
  room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  canopy_test_client_send_join (viewer, room, "Vi", 1);
  canopy_test_client_expect (host, "join-request", NULL);
  canopy_test_client_subscribe (watcher, NULL);
  turned_away = canopy_test_client_open (session, url);
  canopy_test_client_expect_error (turned_away, "server-full", NULL);

  g_signal_connect (server, "notify::n-rooms", G_CALLBACK (on_notify), &notified);
  g_signal_connect (server, "notify::n-peers", G_CALLBACK (on_notify), &notified);
  canopy_signal_server_stop (server);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (canopy_signal_server_get_port (server), ==, 0);
  g_assert_null (canopy_signal_server_get_url (server));
  g_assert_finalize_object (g_steal_pointer (&server));

  canopy_test_client_wait_closed (host);
  canopy_test_client_wait_closed (viewer);
  canopy_test_client_wait_closed (watcher);
  canopy_test_client_wait_closed (turned_away);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (host->connection), ==,
                    SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GBytes **bytes = user_data;

  *bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  if (*bytes == NULL)
    *bytes = g_bytes_new (NULL, 0);
}

/* The server answers on this thread's main context: the request must not block it. */
static guint
http_get (SoupSession *session,
          const char  *method,
          const char  *url,
          char       **body)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &bytes);
  while (bytes == NULL)
    g_main_context_iteration (NULL, TRUE);

  if (body != NULL)
    *body = bytes != NULL ? g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes))
                          : NULL;
  return soup_message_get_status (msg);
}

/* The browser viewer's pages: the two pages and the files named in the server, from the web
 * directory; nothing else in it, nothing outside it; none without one. */
static void
test_web (void)
{
  g_autoptr (CanopySignalServer) server = canopy_signal_server_new ();
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("canopy-web-XXXXXX", &error);
  g_autofree char *http = NULL;
  g_autofree char *ws = NULL;
  const char *files[] = { "index.html", "room.html", "room.js", "secret.txt" };
  char *body = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *path = g_build_filename (dir, files[i], NULL);

    g_assert_true (g_file_set_contents (path, files[i], -1, NULL));
  }
  canopy_signal_server_set_web_dir (server, dir);
  g_assert_true (canopy_signal_server_listen (server, "127.0.0.1", 0, &error));
  ws = canopy_signal_server_get_url (server);
  /* ws://127.0.0.1:PORT/ws -> http://127.0.0.1:PORT */
  http = g_strdup_printf ("http%.*s", (int) (strlen (ws) - 5), ws + 2);

#define GET(path, status, expected)                                                      \
  G_STMT_START {                                                                         \
    g_autofree char *u = g_strconcat (http, path, NULL);                                 \
    g_assert_cmpuint (http_get (session, "GET", u, &body), ==, status);                  \
    if (expected != NULL)                                                                \
      g_assert_cmpstr (body, ==, expected);                                              \
    g_clear_pointer (&body, g_free);                                                     \
  } G_STMT_END
  GET ("/", 200, "index.html");
  GET ("/r/k7m2q9xa", 200, "room.html");
  GET ("/web/room.js", 200, "room.js");
  GET ("/web/secret.txt", 404, NULL);
  GET ("/web/%2e%2e/secret.txt", 404, NULL);
  GET ("/web/canopy.css", 404, NULL);     /* named, but not in this directory */
  GET ("/r/k7m2q9xa/x", 404, NULL);
  GET ("/secret.txt", 404, NULL);
  GET ("/rooms", 200, "{\"rooms\":[]}");
  {
    g_autofree char *u = g_strconcat (http, "/", NULL);

    g_assert_cmpuint (http_get (session, "POST", u, NULL), ==, 405);
  }
  canopy_signal_server_set_web_dir (server, NULL);
  GET ("/", 404, NULL);
#undef GET

  canopy_signal_server_stop (server);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *path = g_build_filename (dir, files[i], NULL);

    g_unlink (path);
  }
  g_rmdir (dir);
}

/* --- the canopy-signal binary --- */

static gboolean
has_line (gpointer data)
{
  CanopyTestProc *proc = data;

  return proc->lines->len > 0 || proc->exited;
}

static void
test_binary (void)
{
  const char *path = g_getenv ("CANOPY_SIGNAL");
  const char *debug = g_getenv ("G_DEBUG");
  g_autoptr (CanopyTestProc) proc = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (CanopyTestClient) client = NULL;
  g_autofree char *strict = NULL;
  const char *line;
  const char *url;

  if (path == NULL) {
    g_test_skip ("CANOPY_SIGNAL is not set (the signal-server-binary test sets it)");
    return;
  }
  /* canopy_test_proc_spawn() clears G_DEBUG, for canopy-node's media stack; env gives the server
   * the test's own again, so that a warning of the server still fails the test. */
  strict = g_strconcat ("G_DEBUG=", debug != NULL ? debug : "", NULL);
  {
    const char *argv[] = { "env", strict, path, "--port", "0", NULL };

    proc = canopy_test_proc_spawn ("signal", argv);
  }
  canopy_test_signal_wait (has_line, proc, "the \"listening on\" line");
  g_assert_cmpuint (proc->lines->len, >, 0);
  line = g_ptr_array_index (proc->lines, 0);
  g_assert_true (g_str_has_prefix (line, "listening on ws://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, "/ws"));
  url = line + strlen ("listening on ");
  g_assert_cmpstr (url, !=, "ws://127.0.0.1:0/ws");

  session = soup_session_new ();
  client = canopy_test_client_connect_full (session, url, NULL);

  canopy_test_proc_signal (proc, SIGTERM);
  canopy_test_wait_exit (proc, CANOPY_TEST_SIGNAL_TIMEOUT);
  g_assert_true (proc->exited);
  g_assert_cmpint (proc->exit_status, ==, 0);
  canopy_test_client_wait_closed (client);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

/* Runs canopy-signal with @args, which must fail: exit status 1 and a message on stderr. */
static void
assert_binary_fails (const char * const *args,
                     const char         *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  proc = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, canopy_test_signal_ready, &result);
  /* One that runs on instead is ended here, not left behind. */
  if (!canopy_test_wait (is_set, &result, CANOPY_TEST_SIGNAL_TIMEOUT)) {
    g_subprocess_force_exit (proc);
    g_error ("Timed out after %u s waiting for canopy-signal to fail",
             CANOPY_TEST_SIGNAL_TIMEOUT);
  }
  g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_test_message ("stderr: %s", err);
  g_assert_nonnull (strstr (err, expected));
}

static void
test_binary_errors (CanopyTestSignal *f,
                    gconstpointer     data)
{
  const char *path = g_getenv ("CANOPY_SIGNAL");
  g_autofree char *port = NULL;
  g_autofree char *bad_config = NULL;

  if (path == NULL) {
    g_test_skip ("CANOPY_SIGNAL is not set (the signal-server-binary test sets it)");
    return;
  }
  port = g_strdup_printf ("%u", canopy_signal_server_get_port (f->server));
  bad_config = canopy_test_write_config ("[server]\nmax-peers=none\n");
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

  g_test_add_func ("/signal-server/properties", test_properties);
  canopy_test_signal_add ("welcome", test_welcome);
  canopy_test_signal_add ("config", test_config);
  canopy_test_signal_add ("rate-limit", test_rate_limit);
  canopy_test_signal_add ("join-rate", test_join_rate);
  canopy_test_signal_add ("server-full", test_server_full);
  canopy_test_signal_add ("address-quotas", test_address_quotas);
  g_test_add_func ("/signal-server/stop", test_stop);
  g_test_add_func ("/signal-server/web", test_web);
  g_test_add_func ("/signal-server/binary/run", test_binary);
  canopy_test_signal_add ("binary/errors", test_binary_errors);

  return g_test_run ();
}
