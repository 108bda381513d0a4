/* SPDX-License-Identifier: GPL-3.0-or-later */

/* How CanopySignalServer helps the tree heal: placements remembered and the tree told when a
 * member goes, re-joins that avoid a parent, reject, report, and resume after a reconnect or a
 * server restart. */

#include "canopy-test-signal.h"

#include <string.h>

/* The next message of @type to @client, whose member @member is @value. */
static void
expect_member (CanopyTestClient *client,
               const char       *type,
               const char       *member,
               const char       *value)
{
  g_autoptr (JsonObject) message = canopy_test_client_next (client, type);

  g_assert_cmpstr (json_object_get_string_member_with_default (message, member, NULL), ==,
                   value);
}

static void
test_welcome_token (CanopyTestSignal *f,
                    gconstpointer     data)
{
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);

  /* The fixture checked the form: 32 lower-case hex digits. */
  g_assert_cmpstr (a->token, !=, b->token);
}

/* host <- a <- b <- c, and d beside b under a. */
static void
test_placement_close (CanopyTestSignal *f,
                      gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) c = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) d = canopy_test_signal_connect (f);
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  g_autofree char *a_id = NULL;
  gint64 crashed_at;

  canopy_test_client_join (a, host, room, "A", 2);
  canopy_test_client_place (host, a, host);
  canopy_test_client_join (b, host, room, "B", 1);
  canopy_test_client_place (host, b, a);
  canopy_test_client_join (c, host, room, "C", 0);
  canopy_test_client_place (host, c, b);
  canopy_test_client_join (d, host, room, "D", 0);
  canopy_test_client_place (host, d, a);

  /* b crashes: no closing handshake, and the keepalive (45 s) is far away. */
  crashed_at = g_get_monotonic_time ();
  canopy_test_client_crash (b);
  expect_member (host, "peer-left", "peer", b->peer);
  expect_member (a, "peer-left", "peer", b->peer);
  expect_member (c, "parent-left", "peer", b->peer);
  /* Well before the first keepalive ping (15 s), with room for a slow sanitizer build. */
  g_assert_cmpint (g_get_monotonic_time () - crashed_at, <, 3 * G_USEC_PER_SEC);
  canopy_test_client_assert_none (host, "peer-left");
  canopy_test_client_assert_none (c, "peer-left");
  canopy_test_client_assert_none (d, "parent-left");
  canopy_test_client_assert_none (a, "parent-left");

  /* c's placement went with b: when c goes only the host hears. */
  canopy_test_client_send (c, "{\"type\":\"leave\"}");
  expect_member (host, "peer-left", "peer", c->peer);
  canopy_test_client_assert_none (a, "peer-left");

  /* a closes cleanly: its parent is the host, which hears once; d is orphaned. */
  a_id = g_strdup (a->peer);
  canopy_test_client_free (g_steal_pointer (&a));
  expect_member (host, "peer-left", "peer", a_id);
  expect_member (d, "parent-left", "peer", a_id);
  canopy_test_client_assert_none (host, "peer-left");
}

static void
test_leave_tells_tree (CanopyTestSignal *f,
                       gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) c = canopy_test_signal_connect (f);
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);

  canopy_test_client_join (a, host, room, "A", 2);
  canopy_test_client_place (host, a, host);
  canopy_test_client_join (b, host, room, "B", 1);
  canopy_test_client_place (host, b, a);
  canopy_test_client_join (c, host, room, "C", 0);
  canopy_test_client_place (host, c, b);

  /* A `leave` tells the same peers as a close. */
  canopy_test_client_send (b, "{\"type\":\"leave\"}");
  expect_member (host, "peer-left", "peer", b->peer);
  expect_member (a, "peer-left", "peer", b->peer);
  expect_member (c, "parent-left", "peer", b->peer);

  /* b comes back; a refuses it, so a's leaving is no news to b. */
  canopy_test_client_join (b, host, room, "B", 1);
  canopy_test_client_place (host, b, a);
  canopy_test_client_sendf (a, "{\"type\":\"refuse\",\"child\":\"%s\"}", b->peer);
  expect_member (b, "refused", "parent", a->peer);
  canopy_test_client_send (a, "{\"type\":\"leave\"}");
  expect_member (host, "peer-left", "peer", a->peer);
  canopy_test_client_assert_none (b, "parent-left");

  /* The host leaving closes the room: everyone hears room-closed, nobody parent-left. */
  canopy_test_client_send (host, "{\"type\":\"leave\"}");
  expect_member (b, "room-closed", "reason", "host-left");
  expect_member (c, "room-closed", "reason", "host-left");
  canopy_test_client_assert_none (b, "parent-left");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
}

static void
test_rejoin_avoid (CanopyTestSignal *f,
                   gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) relay = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) viewer = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) plain = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  g_autofree char *nine = NULL;
  JsonArray *avoid;

  canopy_test_client_join (relay, host, room, "R", 2);
  canopy_test_client_place (host, relay, host);
  canopy_test_client_join (viewer, host, room, "V", 0);
  canopy_test_client_place (host, viewer, relay);

  /* The relay went silent: the viewer asks again, avoiding it, and stays a member. */
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":[\"%s\",\"pgonegonegone\"]}",
                            room, relay->peer);
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
  expect_member (host, "peer-left", "peer", relay->peer);
  canopy_test_client_assert_none (viewer, "parent-left");
  canopy_test_client_place (host, viewer, host);

  /* An empty avoid is left out; a bad one is refused. */
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":[]}", room);
  plain = canopy_test_client_next (host, "join-request");
  g_assert_false (json_object_has_member (plain, "avoid"));
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":[5]}", room);
  canopy_test_client_expect_error (viewer, "bad-message", "join");
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":[\"p<script>\"]}", room);
  canopy_test_client_expect_error (viewer, "bad-message", "join");
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":[\"\"]}", room);
  canopy_test_client_expect_error (viewer, "bad-message", "join");
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":\"%s\"}", room, relay->peer);
  canopy_test_client_expect_error (viewer, "bad-message", "join");
  nine = g_strjoin (",", "\"p1\"", "\"p2\"", "\"p3\"", "\"p4\"", "\"p5\"", "\"p6\"", "\"p7\"",
                    "\"p8\"", "\"p9\"", NULL);
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"V\","
                            "\"capacity\":0,\"avoid\":[%s]}", room, nine);
  canopy_test_client_expect_error (viewer, "too-large", "join");
  canopy_test_client_assert_none (host, "join-request");
}

static void
test_reject (CanopyTestSignal *f,
             gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) outsider = canopy_test_signal_connect (f);
  g_autofree char *room = canopy_test_client_create_room (host, "Full", TRUE, NULL);

  canopy_test_client_join (a, host, room, "A", 1);
  canopy_test_client_join (b, host, room, "B", 1);
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                            a->peer);
  expect_member (a, "join-rejected", "reason", "full");
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"retry\"}",
                            b->peer);
  expect_member (b, "join-rejected", "reason", "retry");

  /* Only the host, only its members, only the two reasons. */
  canopy_test_client_sendf (a, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                            b->peer);
  canopy_test_client_expect_error (a, "forbidden", "reject");
  canopy_test_client_sendf (outsider, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                            b->peer);
  canopy_test_client_expect_error (outsider, "not-in-room", "reject");
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                            outsider->peer);
  canopy_test_client_expect_error (host, "unknown-peer", "reject");
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                            host->peer);
  canopy_test_client_expect_error (host, "unknown-peer", "reject");
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"later\"}",
                            a->peer);
  canopy_test_client_expect_error (host, "bad-message", "reject");
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":3}", a->peer);
  canopy_test_client_expect_error (host, "bad-message", "reject");
  canopy_test_client_sendf (host, "{\"type\":\"reject\",\"reason\":\"full\"}");
  canopy_test_client_expect_error (host, "bad-message", "reject");
  canopy_test_client_assert_none (a, "join-rejected");
  canopy_test_client_assert_none (b, "join-rejected");

  /* Rejected, still a member: it may ask again. */
  canopy_test_client_join (b, host, room, "B", 1);
}

static void
test_report (CanopyTestSignal *f,
             gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) outsider = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) report = NULL;
  g_autoptr (JsonObject) about_host = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  g_autofree char *long_reason = g_strnfill (33, 's');

  canopy_test_client_join (a, host, room, "A", 1);
  canopy_test_client_place (host, a, host);
  canopy_test_client_join (b, host, room, "B", 1);
  canopy_test_client_place (host, b, a);

  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\","
                            "\"from\":\"%s\"}", a->peer, host->peer);
  report = canopy_test_client_next (host, "peer-report");
  g_assert_cmpstr (json_object_get_string_member (report, "from"), ==, b->peer);
  g_assert_cmpstr (json_object_get_string_member (report, "peer"), ==, a->peer);
  g_assert_cmpstr (json_object_get_string_member (report, "reason"), ==, "silent");
  canopy_test_client_sendf (a, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\"}",
                            host->peer);
  about_host = canopy_test_client_next (host, "peer-report");
  g_assert_cmpstr (json_object_get_string_member (about_host, "peer"), ==, host->peer);

  canopy_test_client_sendf (outsider, "{\"type\":\"report\",\"peer\":\"%s\","
                            "\"reason\":\"silent\"}", a->peer);
  canopy_test_client_expect_error (outsider, "not-in-room", "report");
  canopy_test_client_sendf (host, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\"}",
                            a->peer);
  canopy_test_client_expect_error (host, "forbidden", "report");
  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\"}",
                            outsider->peer);
  canopy_test_client_expect_error (b, "unknown-peer", "report");
  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\"}",
                            b->peer);
  canopy_test_client_expect_error (b, "bad-message", "report");
  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"%s\"}", a->peer,
                            long_reason);
  canopy_test_client_expect_error (b, "too-large", "report");
  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"\\u0007\"}",
                            a->peer);
  canopy_test_client_expect_error (b, "bad-message", "report");
  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":\"%s\"}", a->peer);
  canopy_test_client_expect_error (b, "bad-message", "report");
  canopy_test_client_sendf (b, "{\"type\":\"report\",\"peer\":[],\"reason\":\"silent\"}");
  canopy_test_client_expect_error (b, "bad-message", "report");
  canopy_test_client_assert_none (host, "peer-report");
}

/* A `resume` of @old's id and place in @room, on @client. */
static void
send_resume (CanopyTestClient *client,
             CanopyTestClient *old,
             const char       *room,
             const char       *parent)
{
  g_autofree char *parent_member = parent ? g_strdup_printf (",\"parent\":\"%s\"", parent)
                                          : g_strdup ("");

  canopy_test_client_sendf (client, "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                            "\"room\":\"%s\",\"name\":\"Again\",\"capacity\":2%s}",
                            old->peer, old->token, room, parent_member);
}

static void
send_host_resume (CanopyTestClient *client,
                  CanopyTestClient *old,
                  const char       *room,
                  const char       *secret)
{
  canopy_test_client_sendf (client, "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                            "\"room\":\"%s\",\"secret\":\"%s\",\"name\":\"Host\","
                            "\"title\":\"Jam again\",\"summary\":\"Back\",\"k1\":3}",
                            old->peer, old->token, room, secret);
}

/* The next `resumed` to @client names @peer and @room; @client is @peer from now on. */
static void
expect_resumed (CanopyTestClient *client,
                const char       *peer,
                const char       *room)
{
  g_autoptr (JsonObject) resumed = canopy_test_client_next (client, "resumed");

  g_assert_cmpstr (json_object_get_string_member (resumed, "peer"), ==, peer);
  g_assert_cmpstr (json_object_get_string_member (resumed, "room"), ==, room);
  if (peer != client->peer) {
    g_free (client->peer);
    client->peer = g_strdup (peer);
  }
}

static void
expect_peer_resumed (CanopyTestClient *host,
                     const char       *peer,
                     const char       *parent)
{
  g_autoptr (JsonObject) resumed = canopy_test_client_next (host, "peer-resumed");

  g_assert_cmpstr (json_object_get_string_member (resumed, "peer"), ==, peer);
  g_assert_cmpstr (json_object_get_string_member_with_default (resumed, "parent", NULL), ==,
                   parent);
}

static void
test_resume_restart (CanopyTestSignal *f,
                     gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) host2 = NULL;
  g_autoptr (CanopyTestClient) a2 = NULL;
  g_autoptr (CanopyTestClient) b2 = NULL;
  g_autoptr (CanopyTestClient) early = NULL;
  g_autoptr (CanopyTestClient) watcher = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autoptr (JsonObject) rooms = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, &secret);
  g_autofree char *a_welcome = NULL;

  canopy_test_client_join (a, host, room, "A", 2);
  canopy_test_client_place (host, a, host);
  canopy_test_client_join (b, host, room, "B", 0);
  canopy_test_client_place (host, b, a);

  canopy_test_signal_restart (f);
  canopy_test_client_wait_closed (host);
  canopy_test_client_wait_closed (a);
  canopy_test_client_wait_closed (b);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);

  /* A member that comes back before its host is told to try again later. */
  early = canopy_test_signal_connect (f);
  send_resume (early, a, room, host->peer);
  canopy_test_client_expect_error (early, "unknown-room", "resume");

  /* The host opens the room again with its ID and secret; the directory shows it. */
  watcher = canopy_test_signal_connect (f);
  host2 = canopy_test_signal_connect (f);
  send_host_resume (host2, host, room, secret);
  expect_resumed (host2, host->peer, room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Jam again");
  g_assert_cmpstr (json_object_get_string_member (entry, "host"), ==, "Host");
  canopy_test_client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = canopy_test_client_next (watcher, "rooms");
  g_assert_nonnull (canopy_test_signal_find_entry (json_object_get_array_member (rooms, "rooms"),
                                                   room));

  /* The members come back under their parents, the host hears of each. */
  a2 = canopy_test_signal_connect (f);
  a_welcome = g_strdup (a2->peer);
  send_resume (a2, a, room, host->peer);
  expect_resumed (a2, a->peer, room);
  expect_peer_resumed (host2, a->peer, host->peer);
  b2 = canopy_test_signal_connect (f);
  send_resume (b2, b, room, a->peer);
  expect_resumed (b2, b->peer, room);
  expect_peer_resumed (host2, b->peer, a->peer);

  /* The ids work as before; the welcome id a2 got is nobody's. */
  canopy_test_client_sendf (b2, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", a->peer);
  expect_member (a2, "signal", "from", b->peer);
  canopy_test_client_sendf (host2, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", a_welcome);
  canopy_test_client_expect_error (host2, "unknown-peer", "signal");

  /* The placements are known again: a's crash reaches its parent and its child at once. */
  canopy_test_client_crash (a2);
  expect_member (host2, "peer-left", "peer", a->peer);
  expect_member (b2, "parent-left", "peer", a->peer);
}

static void
test_resume_wrong_token (CanopyTestSignal *f,
                         gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) thief = canopy_test_signal_connect (f);
  g_autofree char *secret = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, &secret);
  g_autofree char *real_token = NULL;

  canopy_test_client_join (a, host, room, "A", 1);
  canopy_test_client_place (host, a, host);

  /* The thief knows the ids, not the tokens (its own token is a real one, of another id). */
  real_token = g_steal_pointer (&a->token);
  a->token = g_strdup (thief->token);
  send_resume (thief, a, room, host->peer);
  canopy_test_client_expect_error (thief, "forbidden", "resume");
  g_free (host->token);
  host->token = g_strdup (thief->token);
  send_host_resume (thief, host, room, secret);
  canopy_test_client_expect_error (thief, "forbidden", "resume");
  g_free (a->token);
  a->token = g_steal_pointer (&real_token);

  /* Nothing changed: the old connections are still theirs, in their places. */
  g_assert_false (a->closed);
  g_assert_false (host->closed);
  canopy_test_client_assert_none (host, "peer-resumed");
  canopy_test_client_sendf (host, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", a->peer);
  expect_member (a, "signal", "from", host->peer);
  canopy_test_client_sendf (thief, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", a->peer);
  canopy_test_client_expect_error (thief, "not-in-room", "signal");
}

static void
expect_taken_over (CanopyTestClient *old)
{
  canopy_test_client_wait_closed (old);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (old->connection), ==, 4000);
  g_assert_cmpstr (soup_websocket_connection_get_close_data (old->connection), ==, "resumed");
}

static void
test_resume_takeover (CanopyTestSignal *f,
                      gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a2 = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) host2 = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) late = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, &secret);

  canopy_test_client_join (a, host, room, "A", 2);
  canopy_test_client_place (host, a, host);
  canopy_test_client_join (b, host, room, "B", 0);
  canopy_test_client_place (host, b, a);

  /* a reconnected before the server saw its old connection go: it takes that one over. */
  send_resume (a2, a, room, host->peer);
  expect_resumed (a2, a->peer, room);
  expect_peer_resumed (host, a->peer, host->peer);
  expect_taken_over (a);
  canopy_test_client_assert_none (host, "peer-left");
  canopy_test_client_assert_none (b, "parent-left");
  canopy_test_client_sendf (b, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", a->peer);
  expect_member (a2, "signal", "from", b->peer);

  /* So does the host: the room is handed over, not closed. */
  send_host_resume (host2, host, room, secret);
  expect_resumed (host2, host->peer, room);
  expect_taken_over (host);
  canopy_test_client_assert_none (a2, "room-closed");
  canopy_test_client_assert_none (b, "room-closed");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Jam");
  canopy_test_client_join (late, host2, room, "L", 0);
  canopy_test_client_place (host2, late, b);

  /* b still knows a2 as its parent: a2 leaving tells b, and the new host. */
  canopy_test_client_send (a2, "{\"type\":\"leave\"}");
  expect_member (host2, "peer-left", "peer", a->peer);
  expect_member (b, "parent-left", "peer", a->peer);
  g_assert_cmpuint (canopy_test_signal_n_peers (f), ==, 4);
}

typedef struct {
  const char *peer;
  const char *token;
  const char *room;
  const char *extra;
  const char *code;
} ResumeCase;

static void
test_resume_hostile (CanopyTestSignal *f,
                     gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) other_host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) member = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) c = canopy_test_signal_connect (f);
  g_autofree char *secret = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, &secret);
  g_autofree char *other = canopy_test_client_create_room (other_host, "Other", TRUE, NULL);
  g_autofree char *long_id = g_strnfill (33, 'p');
  g_autofree char *member_secret = g_strdup_printf (",\"secret\":\"%s\",\"title\":\"T\"", secret);
  const char *token = "0123456789abcdef0123456789abcdef";
  const char *secret_ok = "00112233445566778899aabbccddeeff";
  g_autofree char *secret_member = g_strdup_printf (",\"secret\":\"%s\",\"title\":\"T\"",
                                                    secret_ok);
  ResumeCase cases[] = {
    { "p!!", token, room, "", "bad-message" },
    { "", token, room, "", "bad-message" },
    { long_id, token, room, "", "too-large" },
    { "pfreshfresh", "0123", room, "", "bad-message" },
    { "pfreshfresh", "0123456789ABCDEF0123456789ABCDEF", room, "", "bad-message" },
    { "pfreshfresh", "0123456789abcdef0123456789abcdeg", room, "", "bad-message" },
    { "pfreshfresh", token, room, ",\"parent\":\"p x\"", "bad-message" },
    { "pfreshfresh", token, room, ",\"capacity\":99", "bad-message" },
    { "pfreshfresh", token, room, ",\"capacity\":\"2\"", "bad-message" },
    { "pfreshfresh", token, "k7m2q9xa", "", "unknown-room" },
    { "pfreshfresh", token, "nonsense", "", "unknown-room" },
    /* A host: the room's secret, or a room ID and a secret it could be opened with again. */
    { "pfreshfresh", token, room, secret_member, "forbidden" },
    { "pfreshfresh", token, room, member_secret, "forbidden" },
    { "pfreshfresh", token, "k7m2q9x0", secret_member, "bad-message" },
    { "pfreshfresh", token, "k7m2q9xa", ",\"secret\":\"xyz\",\"title\":\"T\"", "bad-message" },
    { "pfreshfresh", token, "k7m2q9xa", ",\"secret\":\"00\"", "bad-message" },
    { "pfreshfresh", token, "k7m2q9xa", ",\"secret\":7,\"title\":\"T\"", "bad-message" },
  };
  g_autoptr (JsonObject) r = NULL;

  canopy_test_client_join (member, host, room, "M", 1);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("case %u: %s %s", i, cases[i].peer, cases[i].extra);
    canopy_test_client_sendf (c, "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                              "\"room\":\"%s\",\"name\":\"N\"%s}", cases[i].peer,
                              cases[i].token, cases[i].room, cases[i].extra);
    canopy_test_client_expect_error (c, cases[i].code, "resume");
  }
  canopy_test_client_sendf (c, "{\"type\":\"resume\",\"peer\":\"pfreshfresh\",\"token\":\"%s\","
                            "\"room\":\"%s\"}", token, room);
  canopy_test_client_expect_error (c, "bad-message", "resume");
  canopy_test_client_sendf (c, "{\"type\":\"resume\",\"peer\":\"pfreshfresh\",\"token\":\"%s\","
                            "\"room\":\"%s\",\"name\":\"N\",\"secret\":\"%s\"}", token, room,
                            secret);
  canopy_test_client_expect_error (c, "bad-message", "resume");

  /* The right token, but the member's place is in this room: not in another, not as a host. */
  send_resume (c, member, other, NULL);
  canopy_test_client_expect_error (c, "forbidden", "resume");
  canopy_test_client_sendf (c, "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                            "\"room\":\"%s\",\"name\":\"N\",\"secret\":\"%s\",\"title\":\"T\"}",
                            member->peer, member->token, room, secret);
  canopy_test_client_expect_error (c, "forbidden", "resume");
  canopy_test_client_assert_none (host, "peer-resumed");
  g_assert_false (member->closed);

  /* While in a room, and twice. */
  send_resume (host, member, room, NULL);
  canopy_test_client_expect_error (host, "already-in-room", "resume");
  send_resume (c, c, room, NULL);
  expect_resumed (c, c->peer, room);
  expect_peer_resumed (host, c->peer, NULL);
  send_resume (c, c, room, NULL);
  canopy_test_client_expect_error (c, "already-in-room", "resume");

  /* No room for one more room. */
  g_object_set (f->server, "max-rooms", 2, NULL);
  canopy_test_client_send (c, "{\"type\":\"leave\"}");
  canopy_test_client_sendf (c, "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\","
                            "\"room\":\"k7m2q9xa\",\"name\":\"N\"%s}", c->peer, c->token,
                            secret_member);
  canopy_test_client_expect_error (c, "server-full", "resume");
  r = canopy_test_client_next (host, "peer-left");
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
  canopy_test_signal_add ("resume-wrong-token", test_resume_wrong_token);
  canopy_test_signal_add ("resume-takeover", test_resume_takeover);
  canopy_test_signal_add ("resume-hostile", test_resume_hostile);

  return g_test_run ();
}
