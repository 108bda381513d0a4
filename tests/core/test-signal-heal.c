/* SPDX-License-Identifier: GPL-3.0-or-later */

/* How CanopySignalServer helps the tree heal: placements remembered and the tree told when a
 * member goes, re-joins that avoid a parent, reject, report, and resume (by a connection that
 * said hello with the peer's key) after a reconnect or a server restart. */

#include "canopy-test-signal.h"

#include <string.h>

/* Messages the tests send, completed by printf. */
#define REJECT "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"%s\"}"
#define REPORT "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"%s\"}"
#define SIGNAL_TO "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}"
#define JOIN_AVOIDING \
  "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\",\"capacity\":0,\"avoid\":%s}"

/* @gone left: the host and @parent (NULL: the host is its parent) hear that it did, and @child
 * that its parent did. */
static void
expect_left (CanopyTestClient *host,
             CanopyTestClient *parent,
             CanopyTestClient *child,
             const char       *gone)
{
  canopy_test_client_expect (host, "peer-left", "peer", gone, NULL);
  if (parent != NULL)
    canopy_test_client_expect (parent, "peer-left", "peer", gone, NULL);
  canopy_test_client_expect (child, "parent-left", "peer", gone, NULL);
}

static void
test_welcome_token (CanopyTestSignal *f,
                    gconstpointer     data)
{
  CanopyTestClient *a, *b;

  canopy_test_signal_connect_all (f, &a, &b, NULL);
  /* The fixture checked the form: 32 lower-case hex digits. */
  g_assert_cmpstr (a->token, !=, b->token);
}

/* host <- a <- b <- c, and d beside b under a. */
static void
test_placement_close (CanopyTestSignal *f,
                      gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *c, *d;
  g_autofree char *room = NULL;
  g_autofree char *a_id = NULL;
  gint64 crashed_at;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, &c, &d, NULL);
  canopy_test_client_join_place (a, host, room, "A", 2, host);
  canopy_test_client_join_place (b, host, room, "B", 1, a);
  canopy_test_client_join_place (c, host, room, "C", 0, b);
  canopy_test_client_join_place (d, host, room, "D", 0, a);

  /* b crashes: no closing handshake, and the keepalive (45 s) is far away. */
  crashed_at = g_get_monotonic_time ();
  canopy_test_client_crash (b);
  expect_left (host, a, c, b->peer);
  /* Well before the first keepalive ping (15 s), with room for a slow sanitizer build. */
  g_assert_cmpint (g_get_monotonic_time () - crashed_at, <, 3 * G_USEC_PER_SEC);
  canopy_test_client_assert_none (host, "peer-left");
  canopy_test_client_assert_none (c, "peer-left");
  canopy_test_client_assert_none (d, "parent-left");
  canopy_test_client_assert_none (a, "parent-left");

  /* c's placement went with b: when c goes only the host hears. */
  canopy_test_client_send (c, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", c->peer, NULL);
  canopy_test_client_assert_none (a, "peer-left");

  /* a closes cleanly: its parent is the host, which hears once; d is orphaned. */
  a_id = g_strdup (a->peer);
  canopy_test_signal_disconnect (f, a);
  expect_left (host, NULL, d, a_id);
  canopy_test_client_assert_none (host, "peer-left");
}

static void
test_leave_tells_tree (CanopyTestSignal *f,
                       gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *c;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, &c, NULL);
  canopy_test_client_join_place (a, host, room, "A", 2, host);
  canopy_test_client_join_place (b, host, room, "B", 1, a);
  canopy_test_client_join_place (c, host, room, "C", 0, b);

  /* A `leave` tells the same peers as a close. */
  canopy_test_client_send (b, "{\"type\":\"leave\"}");
  expect_left (host, a, c, b->peer);

  /* b comes back; a refuses it, so a's leaving is no news to b. */
  canopy_test_client_join_place (b, host, room, "B", 1, a);
  canopy_test_client_sendf (a, "{\"type\":\"refuse\",\"child\":\"%s\"}", b->peer);
  canopy_test_client_expect (b, "refused", "parent", a->peer, NULL);
  canopy_test_client_send (a, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", a->peer, NULL);
  canopy_test_client_assert_none (b, "parent-left");

  /* The host leaving closes the room: everyone hears room-closed, nobody parent-left. */
  canopy_test_client_send (host, "{\"type\":\"leave\"}");
  canopy_test_client_expect (b, "room-closed", "reason", "host-left", NULL);
  canopy_test_client_expect (c, "room-closed", "reason", "host-left", NULL);
  canopy_test_client_assert_none (b, "parent-left");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
}

static void
test_rejoin_avoid (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *host, *relay, *viewer;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) plain = NULL;
  g_autofree char *room = NULL;
  g_autofree char *relay_and_gone = NULL;
  g_autofree char *relay_alone = NULL;
  g_autofree char *nine = g_strjoin (",", "\"p1\"", "\"p2\"", "\"p3\"", "\"p4\"", "\"p5\"",
                                     "\"p6\"", "\"p7\"", "\"p8\"", "\"p9\"", NULL);
  g_autofree char *nine_ids = g_strdup_printf ("[%s]", nine);
  JsonArray *avoid;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &relay, &viewer, NULL);
  canopy_test_client_join_place (relay, host, room, "R", 2, host);
  canopy_test_client_join_place (viewer, host, room, "V", 0, relay);

  /* The relay went silent: the viewer asks again, avoiding it, and stays a member. */
  relay_and_gone = g_strdup_printf ("[\"%s\",\"pgonegonegone\"]", relay->peer);
  canopy_test_client_sendf (viewer, JOIN_AVOIDING, room, relay_and_gone);
  request = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request, "peer"), ==, viewer->peer);
  avoid = json_object_get_array_member (request, "avoid");
  g_assert_nonnull (avoid);
  g_assert_cmpuint (json_array_get_length (avoid), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (avoid, 0), ==, relay->peer);
  g_assert_cmpstr (json_array_get_string_element (avoid, 1), ==, "pgonegonegone");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);

  /* Its placement under the relay is gone: the relay's leaving is no news to it. */
  canopy_test_client_send (relay, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", relay->peer, NULL);
  canopy_test_client_assert_none (viewer, "parent-left");
  canopy_test_client_place (host, viewer, host);

  /* An empty avoid is left out; a bad one is refused. */
  canopy_test_client_sendf (viewer, JOIN_AVOIDING, room, "[]");
  plain = canopy_test_client_next (host, "join-request");
  g_assert_false (json_object_has_member (plain, "avoid"));
  relay_alone = g_strdup_printf ("\"%s\"", relay->peer);
  canopy_test_client_sendf_error (viewer, "bad-message", "join", JOIN_AVOIDING, room, "[5]");
  canopy_test_client_sendf_error (viewer, "bad-message", "join", JOIN_AVOIDING, room,
                                  "[\"p<script>\"]");
  canopy_test_client_sendf_error (viewer, "bad-message", "join", JOIN_AVOIDING, room, "[\"\"]");
  canopy_test_client_sendf_error (viewer, "bad-message", "join", JOIN_AVOIDING, room, relay_alone);
  canopy_test_client_sendf_error (viewer, "too-large", "join", JOIN_AVOIDING, room, nine_ids);
  canopy_test_client_assert_none (host, "join-request");
}

static void
test_reject (CanopyTestSignal *f,
             gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *outsider;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Full", NULL, &host, &a, &b, &outsider, NULL);
  canopy_test_client_join (a, host, room, "A", 1);
  canopy_test_client_join (b, host, room, "B", 1);
  canopy_test_client_sendf (host, REJECT, a->peer, "full");
  canopy_test_client_expect (a, "join-rejected", "reason", "full", NULL);
  canopy_test_client_sendf (host, REJECT, b->peer, "retry");
  canopy_test_client_expect (b, "join-rejected", "reason", "retry", NULL);

  /* Only the host, only its members, only the two reasons. */
  canopy_test_client_sendf_error (a, "forbidden", "reject", REJECT, b->peer, "full");
  canopy_test_client_sendf_error (outsider, "not-in-room", "reject", REJECT, b->peer, "full");
  canopy_test_client_sendf_error (host, "unknown-peer", "reject", REJECT, outsider->peer, "full");
  canopy_test_client_sendf_error (host, "unknown-peer", "reject", REJECT, host->peer, "full");
  canopy_test_client_sendf_error (host, "bad-message", "reject", REJECT, a->peer, "later");
  canopy_test_client_sendf_error (host, "bad-message", "reject",
                                  "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":3}", a->peer);
  canopy_test_client_sendf_error (host, "bad-message", "reject",
                                  "{\"type\":\"reject\",\"reason\":\"full\"}");
  canopy_test_client_assert_none (a, "join-rejected");
  canopy_test_client_assert_none (b, "join-rejected");

  /* Rejected, still a member: it may ask again. */
  canopy_test_client_join (b, host, room, "B", 1);
}

static void
test_report (CanopyTestSignal *f,
             gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *outsider;
  g_autofree char *room = NULL;
  g_autofree char *long_reason = g_strnfill (33, 's');

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, &outsider, NULL);
  canopy_test_client_join_place (a, host, room, "A", 1, host);
  canopy_test_client_join_place (b, host, room, "B", 1, a);

  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\","
                            "\"from\":\"%s\"}", a->peer, host->peer);
  canopy_test_client_expect (host, "peer-report", "from", b->peer, "peer", a->peer, "reason",
                             "silent", NULL);
  canopy_test_client_sendf (a, REPORT, host->peer, "silent");
  canopy_test_client_expect (host, "peer-report", "peer", host->peer, NULL);

  canopy_test_client_sendf_error (outsider, "not-in-room", "report", REPORT, a->peer, "silent");
  canopy_test_client_sendf_error (host, "forbidden", "report", REPORT, a->peer, "silent");
  canopy_test_client_sendf_error (b, "unknown-peer", "report", REPORT, outsider->peer, "silent");
  canopy_test_client_sendf_error (b, "bad-message", "report", REPORT, b->peer, "silent");
  canopy_test_client_sendf_error (b, "too-large", "report", REPORT, a->peer, long_reason);
  canopy_test_client_sendf_error (b, "bad-message", "report", REPORT, a->peer, "\\u0007");
  canopy_test_client_sendf_error (b, "bad-message", "report",
                                  "{\"type\":\"report\",\"peer\":\"%s\"}", a->peer);
  canopy_test_client_sendf_error (b, "bad-message", "report",
                                  "{\"type\":\"report\",\"peer\":[],\"reason\":\"silent\"}");
  canopy_test_client_assert_none (host, "peer-report");
}

/* A `resume` of @old's id and place in @room, on @client (which said hello with @old's key, to
 * succeed). */
static void
send_resume (CanopyTestClient *client,
             CanopyTestClient *old,
             const char       *room,
             const char       *parent)
{
  g_autofree char *parent_member = parent ? g_strdup_printf (",\"parent\":\"%s\"", parent)
                                          : g_strdup ("");

  canopy_test_client_sendf (client, "{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\","
                            "\"name\":\"Again\",\"capacity\":2%s}",
                            old->peer, room, parent_member);
}

static void
send_host_resume (CanopyTestClient *client,
                  CanopyTestClient *old,
                  const char       *room,
                  const char       *secret)
{
  canopy_test_client_sendf (client, "{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\","
                            "\"secret\":\"%s\",\"name\":\"Host\","
                            "\"title\":\"Jam again\",\"summary\":\"Back\",\"k1\":3}",
                            old->peer, room, secret);
}

/* The next `resumed` to @client names @peer and @room; @client is @peer from now on. */
static void
expect_resumed (CanopyTestClient *client,
                const char       *peer,
                const char       *room)
{
  canopy_test_client_expect (client, "resumed", "peer", peer, "room", room, NULL);
  if (peer != client->peer) {
    g_free (client->peer);
    client->peer = g_strdup (peer);
  }
}

/* @client takes @old's id and place in @room back, under @parent; @host hears of it. */
static void
resume_place (CanopyTestClient *client,
              CanopyTestClient *old,
              const char       *room,
              const char       *parent,
              CanopyTestClient *host)
{
  send_resume (client, old, room, parent);
  expect_resumed (client, old->peer, room);
  canopy_test_client_expect (host, "peer-resumed", "peer", old->peer, "parent", parent, NULL);
}

static void
test_resume_restart (CanopyTestSignal *f,
                     gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *host2, *a2, *b2, *early, *watcher;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *a_welcome = NULL;

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, &a, &b, NULL);
  canopy_test_client_join_place (a, host, room, "A", 2, host);
  canopy_test_client_join_place (b, host, room, "B", 0, a);

  canopy_test_signal_restart (f);
  canopy_test_client_wait_closed (host);
  canopy_test_client_wait_closed (a);
  canopy_test_client_wait_closed (b);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);

  /* A member that comes back before its host is told to try again later. */
  early = canopy_test_signal_connect_as (f, a->identity);
  send_resume (early, a, room, host->peer);
  canopy_test_client_expect_error (early, "unknown-room", "resume");

  /* The host opens the room again with its ID and secret; the directory shows it (also to a
   * connection without a key). */
  watcher = canopy_test_signal_connect_anonymous (f);
  host2 = canopy_test_signal_connect_as (f, host->identity);
  send_host_resume (host2, host, room, secret);
  expect_resumed (host2, host->peer, room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Jam again");
  g_assert_cmpstr (json_object_get_string_member (entry, "host"), ==, "Host");
  g_assert_true (canopy_test_client_subscribe (watcher, room));

  /* The members come back under their parents, the host hears of each (a2's key takes its id
   * from the early connection, which was in no room). */
  a2 = canopy_test_signal_connect_anonymous (f);
  a_welcome = g_strdup (a2->peer);
  canopy_test_client_hello (a2, a->identity);
  canopy_test_client_wait_closed (early);
  resume_place (a2, a, room, host->peer, host2);
  b2 = canopy_test_signal_connect_as (f, b->identity);
  resume_place (b2, b, room, a->peer, host2);

  /* The ids work as before; the welcome id a2 got is nobody's. */
  canopy_test_client_sendf (b2, SIGNAL_TO, a->peer);
  canopy_test_client_expect (a2, "signal", "from", b->peer, NULL);
  canopy_test_client_sendf_error (host2, "unknown-peer", "signal", SIGNAL_TO, a_welcome);

  /* The placements are known again: a's crash reaches its parent and its child at once. */
  canopy_test_client_crash (a2);
  expect_left (host2, NULL, b2, a->peer);
}

static void
test_resume_wrong_key (CanopyTestSignal *f,
                       gconstpointer     data)
{
  CanopyTestClient *host, *a, *thief;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, &a, &thief, NULL);
  canopy_test_client_join_place (a, host, room, "A", 1, host);

  /* The thief knows the ids, the tokens, even the host secret, but not the keys. */
  canopy_test_client_sendf_error (thief, "forbidden", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                                  "\"room\":\"%s\",\"name\":\"A\",\"parent\":\"%s\"}",
                                  a->peer, a->token, room, host->peer);
  canopy_test_client_sendf_error (thief, "forbidden", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                                  "\"room\":\"%s\",\"secret\":\"%s\",\"name\":\"Host\","
                                  "\"title\":\"Mine now\"}",
                                  host->peer, host->token, room, secret);

  /* Nothing changed: the old connections are still theirs, in their places. */
  g_assert_false (a->closed);
  g_assert_false (host->closed);
  canopy_test_client_assert_none (host, "peer-resumed");
  canopy_test_client_sendf (host, SIGNAL_TO, a->peer);
  canopy_test_client_expect (a, "signal", "from", host->peer, NULL);
  canopy_test_client_sendf_error (thief, "not-in-room", "signal", SIGNAL_TO, a->peer);
}

static void
expect_taken_over (CanopyTestClient *old)
{
  canopy_test_client_wait_closed (old);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (old->connection), ==, 4000);
  g_assert_cmpstr (soup_websocket_connection_get_close_data (old->connection), ==, "resumed");
}

/* A peer reconnected before the server saw its old connection go: its key takes that one over
 * (as if it had only been lost), and it resumes its place. */
static void
test_resume_takeover (CanopyTestSignal *f,
                      gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *a2, *host2, *late;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, &a, &b, NULL);
  canopy_test_client_join_place (a, host, room, "A", 2, host);
  canopy_test_client_join_place (b, host, room, "B", 0, a);

  /* A member: nobody hears it left, its child stays placed under its id. */
  a2 = canopy_test_signal_connect_as (f, a->identity);
  expect_taken_over (a);
  resume_place (a2, a, room, host->peer, host);
  canopy_test_client_assert_none (host, "peer-left");
  canopy_test_client_assert_none (b, "parent-left");
  canopy_test_client_sendf (b, SIGNAL_TO, a->peer);
  canopy_test_client_expect (a2, "signal", "from", b->peer, NULL);

  /* The host: its room closes as host-lost, which members wait out, and it opens it again. */
  host2 = canopy_test_signal_connect_as (f, host->identity);
  expect_taken_over (host);
  canopy_test_client_expect (a2, "room-closed", "reason", "host-lost", NULL);
  canopy_test_client_expect (b, "room-closed", "reason", "host-lost", NULL);
  send_host_resume (host2, host, room, secret);
  expect_resumed (host2, host->peer, room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Jam again");
  resume_place (a2, a, room, host->peer, host2);
  resume_place (b, b, room, a->peer, host2);
  late = canopy_test_signal_connect (f);
  canopy_test_client_join_place (late, host2, room, "L", 0, b);

  /* b knows a2 as its parent again: a2 leaving tells b, and the new host. */
  canopy_test_client_send (a2, "{\"type\":\"leave\"}");
  expect_left (host2, NULL, b, a->peer);
  g_assert_cmpuint (canopy_test_signal_n_peers (f), ==, 4);
}

typedef struct {
  const char *peer;
  const char *token;
  const char *room;
  const char *extra;
  const char *code;
} ResumeCase;

/* @c sends `resume`s of its own id, each wrong in one way, for the room @room whose secret is
 * @secret. */
static void
send_hostile_resumes (CanopyTestClient *c,
                      const char       *room,
                      const char       *secret)
{
  const char *me = c->peer;
  g_autofree char *long_id = g_strnfill (33, 'p');
  g_autofree char *member_secret = g_strdup_printf (",\"secret\":\"%s\",\"title\":\"T\"", secret);
  const char *token = "0123456789abcdef0123456789abcdef";
  const char *secret_member = ",\"secret\":\"00112233445566778899aabbccddeeff\",\"title\":\"T\"";
  ResumeCase cases[] = {
    { "p!!", token, room, "", "bad-message" },
    { "", token, room, "", "bad-message" },
    { long_id, token, room, "", "too-large" },
    { me, "0123", room, "", "bad-message" },
    { me, "0123456789ABCDEF0123456789ABCDEF", room, "", "bad-message" },
    { me, "0123456789abcdef0123456789abcdeg", room, "", "bad-message" },
    { me, token, room, ",\"parent\":\"p x\"", "bad-message" },
    { me, token, room, ",\"capacity\":99", "bad-message" },
    { me, token, room, ",\"capacity\":\"2\"", "bad-message" },
    { me, token, "k7m2q9xa", "", "unknown-room" },
    { me, token, "nonsense", "", "unknown-room" },
    /* A host: the room's secret, or a room ID and a secret it could be opened with again. */
    { me, token, room, secret_member, "forbidden" },
    { me, token, room, member_secret, "forbidden" },
    { me, token, "k7m2q9x0", secret_member, "bad-message" },
    { me, token, "k7m2q9xa", ",\"secret\":\"xyz\",\"title\":\"T\"", "bad-message" },
    { me, token, "k7m2q9xa", ",\"secret\":\"00\"", "bad-message" },
    { me, token, "k7m2q9xa", ",\"secret\":7,\"title\":\"T\"", "bad-message" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("case %u: %s %s", i, cases[i].peer, cases[i].extra);
    canopy_test_client_sendf_error (c, cases[i].code, "resume",
                                    "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                                    "\"room\":\"%s\",\"name\":\"N\"%s}", cases[i].peer,
                                    cases[i].token, cases[i].room, cases[i].extra);
  }
  canopy_test_client_sendf_error (c, "bad-message", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"%s\","
                                  "\"token\":\"%s\",\"room\":\"%s\"}", me, token, room);
  canopy_test_client_sendf_error (c, "bad-message", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"%s\","
                                  "\"token\":\"%s\",\"room\":\"%s\",\"name\":\"N\","
                                  "\"secret\":\"%s\"}", me, token, room, secret);
  /* Another peer's id, however well-formed. */
  canopy_test_client_sendf_error (c, "forbidden", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"pfreshfresh\","
                                  "\"room\":\"%s\",\"name\":\"N\"}", room);
}

static void
test_resume_hostile (CanopyTestSignal *f,
                     gconstpointer     data)
{
  CanopyTestClient *host, *other_host, *member, *c;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *other = NULL;

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, &other_host, &member, &c, NULL);
  other = canopy_test_client_create_room (other_host, "Other", TRUE, NULL);
  canopy_test_client_join (member, host, room, "M", 1);
  send_hostile_resumes (c, room, secret);

  /* Another member's place, with its token: not without its key. */
  send_resume (c, member, other, NULL);
  canopy_test_client_expect_error (c, "forbidden", "resume");
  canopy_test_client_sendf_error (c, "forbidden", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                                  "\"room\":\"%s\",\"name\":\"N\",\"secret\":\"%s\","
                                  "\"title\":\"T\"}", member->peer, member->token, room, secret);
  canopy_test_client_assert_none (host, "peer-resumed");
  g_assert_false (member->closed);

  /* While in a room, and twice. */
  send_resume (host, member, room, NULL);
  canopy_test_client_expect_error (host, "already-in-room", "resume");
  resume_place (c, c, room, NULL, host);
  send_resume (c, c, room, NULL);
  canopy_test_client_expect_error (c, "already-in-room", "resume");

  /* No room for one more room. */
  g_object_set (f->server, "max-rooms", 2, NULL);
  canopy_test_client_send (c, "{\"type\":\"leave\"}");
  canopy_test_client_sendf_error (c, "server-full", "resume",
                                  "{\"type\":\"resume\",\"peer\":\"%s\","
                                  "\"room\":\"k7m2q9xa\",\"name\":\"N\",\"secret\":"
                                  "\"00112233445566778899aabbccddeeff\",\"title\":\"T\"}",
                                  c->peer);
  canopy_test_client_expect (host, "peer-left", NULL);
  canopy_test_signal_assert_healthy (f, room);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  canopy_test_signal_add ("welcome-token", test_welcome_token);
  canopy_test_signal_add ("placement-close", test_placement_close);
  canopy_test_signal_add ("leave-tells-tree", test_leave_tells_tree);
  canopy_test_signal_add ("rejoin-avoid", test_rejoin_avoid);
  canopy_test_signal_add ("reject", test_reject);
  canopy_test_signal_add ("report", test_report);
  canopy_test_signal_add ("resume-restart", test_resume_restart);
  canopy_test_signal_add ("resume-wrong-key", test_resume_wrong_key);
  canopy_test_signal_add ("resume-takeover", test_resume_takeover);
  canopy_test_signal_add ("resume-hostile", test_resume_hostile);

  return g_test_run ();
}
