/* SPDX-License-Identifier: GPL-3.0-or-later */

/* What no peer (nor a crowd of them) may do to a room or to the server, and what the server
 * does instead: connections that never say hello, and TCP connections that never finish a
 * request, are closed; a room's host hears of a bounded number of joins at once; names in a room
 * stay distinct; a member's edge statements reach the host only as its own. */

#include "canopy-test-signal.h"

#include <glib/gstdio.h>

#include <string.h>
#include <unistd.h>

/* A connection the server must close is waited for this long: far above the timeouts set here,
 * since only that it closes is checked, never how fast. */
#define CLOSED_WITHIN_S 30

#define EDGE "{\"type\":\"edge\",\"statement\":%s}"
#define PLACE "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}"

static gboolean
client_closed (gpointer data)
{
  return ((CanopyTestClient *) data)->closed;
}

/* --- connections that never say who they are --- */

static void
test_hello_timeout (CanopyTestSignal *f,
                    gconstpointer     data)
{
  g_autoptr (CanopyIdentity) key = canopy_identity_new ();
  CanopyTestClient *idle, *browser, *peer;
  g_autofree char *room = NULL;

  g_object_set (f->server, "hello-timeout", 1, NULL);
  idle = canopy_test_signal_connect_anonymous (f);
  browser = canopy_test_signal_connect_anonymous (f);
  g_assert_false (canopy_test_client_subscribe (browser, NULL));
  peer = canopy_test_signal_connect (f);

  canopy_test_wait_for (client_closed, idle, CLOSED_WITHIN_S, "the idle connection to close");
  g_assert_cmpint (soup_websocket_connection_get_close_code (idle->connection), ==,
                   SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_cmpstr (soup_websocket_connection_get_close_data (idle->connection), ==,
                   "hello-timeout");

  /* The other two are past the same time, and stay: one browses, one said hello. */
  canopy_test_spin (1500);
  canopy_test_client_ping (browser);
  canopy_test_client_ping (peer);
  g_assert_false (browser->closed);
  g_assert_false (peer->closed);
  g_assert_cmpuint (canopy_test_signal_n_peers (f), ==, 2);

  /* A browser may still say hello later, and host. */
  canopy_test_client_hello (browser, key);
  room = canopy_test_client_create_room (browser, "Late key", TRUE, NULL);
  canopy_test_client_join (peer, browser, room, "P", 0);
}

/* --- TCP connections that never finish a request --- */

typedef struct {
  GSocketConnection *connection;
  GByteArray *received;
  guint8 buffer[1024];
  gboolean reading;
  gboolean ended;
  guint drip;  /* sends one more byte of headers now and then */
} Tcp;

static void
on_tcp_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Tcp *tcp = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  tcp->reading = FALSE;
  /* The end of the stream, or a reset: closed either way. */
  if (n <= 0)
    tcp->ended = TRUE;
  else
    g_byte_array_append (tcp->received, tcp->buffer, (guint) n);
}

static gboolean
tcp_ended (gpointer data)
{
  Tcp *tcp = data;

  if (!tcp->reading && !tcp->ended) {
    tcp->reading = TRUE;
    g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (tcp->connection)),
                               tcp->buffer, sizeof tcp->buffer, G_PRIORITY_DEFAULT, NULL,
                               on_tcp_read, tcp);
  }
  return tcp->ended;
}

/* Sends @text at once on @tcp (the socket's buffer takes it whole: no wait on the server). */
static void
tcp_send (Tcp        *tcp,
          const char *text)
{
  GSocket *socket = g_socket_connection_get_socket (tcp->connection);

  /* No error check: the server may have shut the connection down already. */
  if (*text != '\0')
    g_socket_send (socket, text, strlen (text), NULL, NULL);
}

/* A client that starts a request and never ends it, sending a byte at a time. */
static gboolean
on_tcp_drip (gpointer user_data)
{
  tcp_send (user_data, "x");
  return G_SOURCE_CONTINUE;
}

/* Opens a TCP connection to the fixture's server and sends @text on it. */
static Tcp *
tcp_connect (CanopyTestSignal *f,
             const char       *text)
{
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Tcp *tcp = g_new0 (Tcp, 1);

  tcp->received = g_byte_array_new ();
  g_socket_client_connect_to_host_async (socket_client, "127.0.0.1",
                                         (guint16) canopy_signal_server_get_port (f->server),
                                         NULL, canopy_test_signal_ready, &result);
  tcp->connection = g_socket_client_connect_to_host_finish (
    socket_client, canopy_test_signal_await (&result, "a TCP connection"), &error);
  g_assert_no_error (error);
  tcp_send (tcp, text);
  return tcp;
}

static void
tcp_wait_closed (Tcp        *tcp,
                 const char *what)
{
  canopy_test_wait_for (tcp_ended, tcp, CLOSED_WITHIN_S, what);
}

static void
tcp_free (Tcp *tcp)
{
  g_clear_handle_id (&tcp->drip, g_source_remove);
  g_assert_true (tcp->ended && !tcp->reading);
  g_io_stream_close (G_IO_STREAM (tcp->connection), NULL, NULL);
  g_object_unref (tcp->connection);
  g_byte_array_unref (tcp->received);
  g_free (tcp);
}

static void
test_upgrade_timeout (CanopyTestSignal *f,
                      gconstpointer     data)
{
  g_autofree char *path = canopy_test_write_config ("[server]\nupgrade-timeout=1\nhello-timeout=1\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) health = NULL;
  g_autoptr (GByteArray) text = g_byte_array_new ();
  Tcp *silent, *half, *dripping, *finished;

  g_assert_true (canopy_signal_server_load_config (f->server, path, &error));
  g_assert_no_error (error);
  g_unlink (path);

  silent = tcp_connect (f, "");
  half = tcp_connect (f, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
  dripping = tcp_connect (f, "GET /rooms HTTP/1.1\r\nX-Slow: ");
  dripping->drip = g_timeout_add (100, on_tcp_drip, dripping);
  /* A whole request is answered; the connection is then kept for the next one only as long. */
  finished = tcp_connect (f, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

  tcp_wait_closed (silent, "a silent connection to be closed");
  tcp_wait_closed (half, "a half request's connection to be closed");
  tcp_wait_closed (dripping, "a dripping request's connection to be closed");
  tcp_wait_closed (finished, "an idle connection to be closed");
  g_assert_cmpuint (silent->received->len, ==, 0);
  g_byte_array_append (text, finished->received->data, finished->received->len);
  g_byte_array_append (text, (const guint8 *) "", 1);
  g_assert_true (g_str_has_prefix ((const char *) text->data, "HTTP/1.1 200"));
  g_assert_nonnull (strstr ((const char *) text->data, "\"status\":\"ok\""));
  tcp_free (silent);
  tcp_free (half);
  tcp_free (dripping);
  tcp_free (finished);

  /* Everybody else is served as before. */
  health = canopy_test_signal_http_get (f, "/health", SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (health, "status"), ==, "ok");
  canopy_test_signal_assert_healthy (f, NULL);
}

/* --- joins waiting for the host --- */

typedef struct {
  CanopyTestClient *joiner;
  CanopyTestClient *host;
} JoinAnswer;

/* The host heard @joiner's join, or @joiner was told to retry. */
static gboolean
join_answered (gpointer data)
{
  JoinAnswer *answer = data;

  for (GList *l = answer->host->messages.head; l != NULL; l = l->next)
    if (g_str_equal (json_object_get_string_member (l->data, "type"), "join-request") &&
        g_strcmp0 (json_object_get_string_member_with_default (l->data, "peer", NULL),
                   answer->joiner->peer) == 0)
      return TRUE;
  return canopy_test_client_has (answer->joiner, "join-rejected") ||
         canopy_test_client_has (answer->joiner, "error");
}

/* @joiner asks to join @room, which holds the most joins the host has not answered: it is told
 * to retry, and the host hears nothing. */
static void
expect_turned_back (CanopyTestClient *joiner,
                    CanopyTestClient *host,
                    const char       *room)
{
  canopy_test_client_send_join (joiner, room, "Late", 0);
  canopy_test_client_expect (joiner, "join-rejected", "reason", "retry", NULL);
  canopy_test_client_assert_none (host, "join-request");
}

static void
test_pending_joins (CanopyTestSignal *f,
                    gconstpointer     data)
{
  CanopyTestClient *host, *late, *late2, *late3, *patient;
  CanopyTestClient *joiners[CANOPY_ROOM_PENDING_JOINS_MAX];
  g_autofree char *room = NULL;
  JoinAnswer answer;
  gboolean heard = FALSE;
  guint attempts = 0;

  /* The host answers nothing. */
  room = canopy_test_signal_open_room (f, "Crowded", NULL, &host, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (joiners); i++) {
    g_autofree char *name = g_strdup_printf ("J%u", i);

    joiners[i] = canopy_test_signal_connect (f);
    canopy_test_client_join (joiners[i], host, room, name, 1);
  }
  canopy_test_signal_connect_all (f, &late, &late2, &late3, &patient, NULL);
  expect_turned_back (late, host, room);
  /* Turned back, it is no member: it reaches nobody in the room. */
  canopy_test_client_sendf_error (late, "not-in-room", "signal",
                                  "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", host->peer);

  /* A member asking again replaces its own join. */
  canopy_test_client_join (joiners[0], host, room, "J0", 1);
  expect_turned_back (late, host, room);

  /* Each answer makes room for one more: a reject, a place, a joiner that leaves. */
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                            joiners[1]->peer);
  canopy_test_client_expect (joiners[1], "join-rejected", "reason", "full", NULL);
  canopy_test_client_join (late, host, room, "Late", 0);
  expect_turned_back (late2, host, room);
  canopy_test_client_place (host, joiners[2], host);
  canopy_test_client_join (late2, host, room, "Late 2", 0);
  expect_turned_back (late3, host, room);
  canopy_test_client_send (joiners[3], "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", joiners[3]->peer, NULL);
  canopy_test_client_join (late3, host, room, "Late 3", 0);
  expect_turned_back (patient, host, room);

  /* A join the host leaves unanswered stops counting after CANOPY_PENDING_JOIN_MS: the patient
   * one asks once a second until the host hears it (not before the oldest join's time). */
  answer.joiner = patient;
  answer.host = host;
  while (!heard && attempts < 4 * CANOPY_PENDING_JOIN_MS / 1000) {
    canopy_test_spin (1000);
    canopy_test_client_send_join (patient, room, "Patient", 0);
    attempts++;
    canopy_test_signal_wait (join_answered, &answer, "an answer to the patient join");
    g_assert_false (canopy_test_client_has (patient, "error"));
    heard = !canopy_test_client_has (patient, "join-rejected");
    if (!heard)
      json_object_unref (canopy_test_client_next (patient, "join-rejected"));
  }
  g_test_message ("the patient joiner was heard at its attempt %u, one a second", attempts);
  g_assert_true (heard);
  canopy_test_client_expect (host, "join-request", "peer", patient->peer, NULL);
}

/* --- names --- */

/* The host hears of @joiner's join under @name. */
static void
expect_named (CanopyTestClient *host,
              CanopyTestClient *joiner,
              const char       *name)
{
  canopy_test_client_expect (host, "join-request", "peer", joiner->peer, "name", name, NULL);
}

static void
join_as (CanopyTestClient *joiner,
         CanopyTestClient *host,
         const char       *room,
         const char       *sent,
         const char       *settled)
{
  canopy_test_client_send_join (joiner, room, sent, 1);
  expect_named (host, joiner, settled);
}

static void
test_unique_names (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *c, *d, *e, *g, *h, *i, *j;
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (GString) accents = g_string_new (NULL);
  g_autoptr (GString) accents_cut = g_string_new (NULL);
  /* 58 characters, then two emoji joined with a ZWJ (the 60th character), then 3 more. */
  g_autofree char *head = g_strnfill (CANOPY_NAME_CHARS - 6, 'a');
  g_autofree char *joined = NULL;
  g_autofree char *joined_cut = NULL;
  const char *room;

  host = canopy_test_signal_connect (f);
  canopy_test_client_send (host, "{\"type\":\"create-room\",\"title\":\"Names\",\"name\":\"Ana\"}");
  created = canopy_test_client_next (host, "room-created");
  room = json_object_get_string_member (created, "room");
  canopy_test_signal_connect_all (f, &a, &b, &c, &d, &e, &g, &h, &i, &j, NULL);

  /* The same name in any case, or in compatibility forms (fullwidth letters), is taken. */
  join_as (a, host, room, "Ana", "Ana (2)");
  join_as (b, host, room, "ana", "ana (3)");
  join_as (c, host, room, "ANA", "ANA (4)");
  join_as (d, host, room, "\xef\xbc\xa1\xef\xbd\x8e\xef\xbd\x81",
           "\xef\xbc\xa1\xef\xbd\x8e\xef\xbd\x81 (5)");

  /* The settled name is the one the joiner, its parent and the host all see. */
  canopy_test_client_sendf (host, PLACE, a->peer, host->peer);
  canopy_test_client_expect (a, "placed", "parent", host->peer, "host", host->peer, "name",
                             "Ana (2)", NULL);
  canopy_test_client_expect (host, "attach", "child", a->peer, "name", "Ana (2)", NULL);

  /* A member's own name is not in its way; a name given up is free again. */
  join_as (a, host, room, "Ana", "Ana (2)");
  join_as (b, host, room, "Bo", "Bo");
  join_as (c, host, room, "ana", "ana (3)");

  /* At the limit of 64 characters the base is cut, on a character boundary... */
  for (guint n = 0; n < CANOPY_NAME_CHARS; n++)
    g_string_append (accents, "\xc3\xa9");
  for (guint n = 0; n < CANOPY_NAME_CHARS - 4; n++)
    g_string_append (accents_cut, "\xc3\xa9");
  g_string_append (accents_cut, " (2)");
  join_as (e, host, room, accents->str, accents->str);
  join_as (g, host, room, accents->str, accents_cut->str);
  /* ...and cleaned again: a joiner left at the cut goes. */
  joined = g_strconcat (head, "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9", "bbb", NULL);
  joined_cut = g_strconcat (head, "\xf0\x9f\x91\xa9 (2)", NULL);
  g_assert_cmpint (g_utf8_strlen (joined, -1), ==, CANOPY_NAME_CHARS);
  join_as (h, host, room, joined, joined);
  join_as (i, host, room, joined, joined_cut);

  /* A member that resumes its place takes a free name too, and hears which. */
  join_as (j, host, room, "Cy", "Cy");
  canopy_test_client_send (j, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", j->peer, NULL);
  canopy_test_client_sendf (j, "{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\","
                            "\"name\":\"bo\"}", j->peer, room);
  canopy_test_client_expect (j, "resumed", "peer", j->peer, "room", room, "name", "bo (2)", NULL);
  canopy_test_client_expect (host, "peer-resumed", "peer", j->peer, NULL);
}

/* --- edge statements --- */

static guint
count_type (CanopyTestClient *client,
            const char       *type)
{
  guint n = 0;

  for (GList *l = client->messages.head; l != NULL; l = l->next)
    n += g_str_equal (json_object_get_string_member (l->data, "type"), type);
  return n;
}

static void
test_edge (CanopyTestSignal *f,
           gconstpointer     data)
{
  CanopyTestClient *host, *member, *other, *outsider;
  g_autofree char *room = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *padding = g_strnfill (CANOPY_EDGE_STATEMENT_BYTES, 'x');
  g_autofree char *large = NULL;
  g_autoptr (JsonObject) edge = NULL;
  JsonObject *statement;
  guint relayed;

  room = canopy_test_signal_open_room (f, "Edges", NULL, &host, &member, &other, &outsider, NULL);
  canopy_test_client_join_place (member, host, room, "M", 1, host);
  canopy_test_client_join (other, host, room, "O", 1);

  /* Passed on as sent, with the sender's id; the server does not check the signature. */
  mine = g_strdup_printf ("{\"kind\":\"attach\",\"peer\":\"%s\",\"other\":\"%s\",\"seq\":1,"
                          "\"sig\":\"not checked here\"}", member->peer, host->peer);
  canopy_test_client_sendf (member, "{\"type\":\"edge\",\"from\":\"%s\",\"statement\":%s}",
                            other->peer, mine);
  edge = canopy_test_client_next (host, "edge");
  g_assert_cmpstr (json_object_get_string_member (edge, "from"), ==, member->peer);
  statement = json_object_get_object_member (edge, "statement");
  g_assert_cmpstr (json_object_get_string_member (statement, "peer"), ==, member->peer);
  g_assert_cmpstr (json_object_get_string_member (statement, "kind"), ==, "attach");
  g_assert_cmpstr (json_object_get_string_member (statement, "other"), ==, host->peer);
  g_assert_cmpint (json_object_get_int_member (statement, "seq"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (statement, "sig"), ==, "not checked here");

  /* Nobody speaks for another peer, the host sends none, outsiders none. */
  canopy_test_client_sendf_error (other, "forbidden", "edge", EDGE, mine);
  forged = g_strdup_printf ("{\"peer\":\"%s\"}", host->peer);
  canopy_test_client_sendf_error (host, "forbidden", "edge", EDGE, forged);
  canopy_test_client_sendf_error (outsider, "not-in-room", "edge", EDGE, mine);
  canopy_test_client_sendf_error (member, "bad-message", "edge", EDGE, "\"statement\"");
  canopy_test_client_sendf_error (member, "bad-message", "edge", EDGE, "[]");
  canopy_test_client_sendf_error (member, "bad-message", "edge", "{\"type\":\"edge\"}");
  canopy_test_client_sendf_error (member, "bad-message", "edge", EDGE, "{\"kind\":\"attach\"}");
  canopy_test_client_sendf_error (member, "bad-message", "edge", EDGE, "{\"peer\":7}");
  large = g_strdup_printf ("{\"peer\":\"%s\",\"pad\":\"%s\"}", member->peer, padding);
  canopy_test_client_sendf_error (member, "too-large", "edge", EDGE, large);
  canopy_test_client_assert_none (host, "edge");

  /* Edges count against the message rate like everything else. */
  g_object_set (f->server, "rate", 1, "burst", 3, NULL);
  for (guint n = 0; n < 20; n++)
    canopy_test_client_sendf (member, EDGE, mine);
  canopy_test_client_expect_error (member, "rate-limited", NULL);
  g_object_set (f->server, "rate", 50, "burst", 200, NULL);
  canopy_test_spin (200);
  canopy_test_client_ping (member);
  canopy_test_client_ping (host);
  relayed = count_type (host, "edge");
  g_test_message ("20 edges at a rate of 1 a second after a burst of 3: %u relayed", relayed);
  g_assert_cmpuint (relayed, >=, 1);
  g_assert_cmpuint (relayed, <, 20);
  canopy_test_signal_assert_healthy (f, room);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  canopy_test_signal_add ("abuse/hello-timeout", test_hello_timeout);
  canopy_test_signal_add ("abuse/upgrade-timeout", test_upgrade_timeout);
  canopy_test_signal_add ("abuse/pending-joins", test_pending_joins);
  canopy_test_signal_add ("abuse/unique-names", test_unique_names);
  canopy_test_signal_add ("abuse/edge", test_edge);

  return g_test_run ();
}
