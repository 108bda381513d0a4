/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Rooms on CanopySignalServer: room IDs, the directory, joining, placing, relaying, leaving. */

#include "canopy-test-signal.h"

/* Messages the tests send, completed by printf; UPDATE is the start of one, which the members it
 * changes and "}" complete. */
#define UPDATE "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
#define CLOSE "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}"
#define PLACE "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}"
#define REFUSE "{\"type\":\"refuse\",\"child\":\"%s\"}"

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
test_directory (CanopyTestSignal *f,
                gconstpointer     data)
{
  CanopyTestClient *watcher, *host;
  g_autoptr (JsonObject) added = NULL;
  g_autoptr (JsonObject) updated = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) health = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autoptr (JsonObject) missing = NULL;
  g_autoptr (GDateTime) started = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  JsonObject *e;

  canopy_test_signal_connect_all (f, &watcher, &host, NULL);
  g_assert_false (canopy_test_client_subscribe (watcher, NULL));

  room = canopy_test_client_create_room (host, "Friday jam", TRUE, &secret);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  added = canopy_test_client_next (watcher, "room-added");
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

  canopy_test_client_sendf (host,
                            UPDATE "\"viewers\":6,\"depth\":3,\"title\":\"Friday\\tjam \\u202e2\","
                            "\"cover\":\"https://example.com/c.png\"}",
                            room, secret);
  answer = canopy_test_client_next (host, "room-updated");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer, "room"),
                                                  "room"), ==, room);
  updated = canopy_test_client_next (watcher, "room-updated");
  e = json_object_get_object_member (updated, "room");
  g_assert_cmpint (json_object_get_int_member (e, "viewers"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (e, "depth"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (e, "title"), ==, "Friday jam 2");
  g_assert_cmpstr (json_object_get_string_member (e, "cover"), ==, "https://example.com/c.png");

  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_cmpint (json_object_get_int_member (entry, "viewers"), ==, 6);
  health = canopy_test_signal_http_get (f, "/health", SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (health, "status"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (health, "rooms"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (health, "peers"), ==, 2);
  missing = canopy_test_signal_http_get (f, "/nothing-here", SOUP_STATUS_NOT_FOUND);

  /* Unlisting removes it from the directory; listing again adds it back. */
  canopy_test_client_sendf (host, UPDATE "\"listed\":false}", room, secret);
  canopy_test_client_expect (watcher, "room-removed", "room", room, NULL);
  g_clear_pointer (&entry, json_object_unref);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_null (entry);
  g_clear_pointer (&added, json_object_unref);
  canopy_test_client_sendf (host, UPDATE "\"listed\":true}", room, secret);
  added = canopy_test_client_next (watcher, "room-added");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (added, "room"),
                                                  "room"), ==, room);

  /* After unsubscribe, nothing more arrives; a room closed by its host is removed. */
  canopy_test_client_send (watcher, "{\"type\":\"unsubscribe\"}");
  canopy_test_client_ping (watcher);
  canopy_test_client_sendf (host, CLOSE, room, secret);
  canopy_test_client_expect (host, "room-closed", "reason", "host-ended", NULL);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
  canopy_test_signal_assert_healthy (f, NULL);
  g_assert_false (canopy_test_client_has (watcher, "room-removed"));
}

static void
test_unlisted (CanopyTestSignal *f,
               gconstpointer     data)
{
  CanopyTestClient *host, *watcher, *viewer;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *room = NULL;
  g_autofree char *typed = NULL;

  canopy_test_signal_connect_all (f, &host, &watcher, &viewer, NULL);
  room = canopy_test_client_create_room (host, "Private", FALSE, NULL);
  typed = g_ascii_strup (room, -1);
  g_assert_false (canopy_test_client_subscribe (watcher, room));
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_null (entry);

  /* Joinable by its ID, typed in upper case with a dash. */
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%.4s-%s\",\"name\":\"Bo\","
                            "\"capacity\":2}", typed, typed + 4);
  canopy_test_client_expect (host, "join-request", "peer", viewer->peer, NULL);
  g_assert_false (canopy_test_client_has (watcher, "room-added"));
}

/* The next @type message to @to is about @peer (in its member @peer_member), called @name,
 * which takes @capacity children: a join-request to the host or an attach to a parent. */
static void
expect_newcomer (CanopyTestClient *to,
                 const char       *type,
                 const char       *peer_member,
                 CanopyTestClient *peer,
                 const char       *name,
                 gint64            capacity)
{
  g_autoptr (JsonObject) message = canopy_test_client_next (to, type);

  g_assert_cmpstr (json_object_get_string_member (message, peer_member), ==, peer->peer);
  g_assert_cmpstr (json_object_get_string_member (message, "name"), ==, name);
  g_assert_cmpint (json_object_get_int_member (message, "capacity"), ==, capacity);
}

static void
test_join_place (CanopyTestSignal *f,
                 gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *other_host;
  g_autofree char *room = NULL;
  g_autofree char *other = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, &other_host, NULL);
  other = canopy_test_client_create_room (other_host, "Other", TRUE, NULL);
  canopy_test_client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"An\\u0007a\\n\","
                            "\"capacity\":2,\"from\":\"pforgedforge\"}", room);
  expect_newcomer (host, "join-request", "peer", a, "Ana", 2);

  /* Only the host places, and only peers of its room. */
  canopy_test_client_sendf_error (a, "forbidden", "place", PLACE, a->peer, host->peer);
  canopy_test_client_sendf_error (host, "unknown-peer", "place", PLACE, b->peer, host->peer);
  canopy_test_client_sendf_error (host, "unknown-peer", "place", PLACE, a->peer,
                                  other_host->peer);
  /* A parent that is not (or no longer, or not yet) here: the joiner is told to ask again. */
  canopy_test_client_expect (a, "join-rejected", "reason", "retry", NULL);
  canopy_test_client_sendf_error (host, "bad-message", "place", PLACE, a->peer, a->peer);
  canopy_test_client_sendf_error (host, "bad-message", "place",
                                  "{\"type\":\"place\",\"peer\":\"%s\"}", a->peer);
  canopy_test_client_sendf_error (b, "not-in-room", "place", PLACE, a->peer, host->peer);

  canopy_test_client_sendf (host, PLACE, a->peer, host->peer);
  canopy_test_client_expect (a, "placed", "room", room, "parent", host->peer, "host", host->peer,
                             "name", "Ana", NULL);
  expect_newcomer (host, "attach", "child", a, "Ana", 2);

  /* A second viewer goes under the first: the first one gets attach. */
  canopy_test_client_join (b, host, room, "Bo", 0);
  canopy_test_client_sendf (host, PLACE, b->peer, a->peer);
  canopy_test_client_expect (b, "placed", "parent", a->peer, "host", host->peer, NULL);
  expect_newcomer (a, "attach", "child", b, "Bo", 0);

  /* One room per connection. */
  canopy_test_client_send_join (a, other, "Ana", 2);
  canopy_test_client_expect_error (a, "already-in-room", "join");
  canopy_test_client_send_join (host, room, "Host", 2);
  canopy_test_client_expect_error (host, "already-in-room", "join");
  canopy_test_client_sendf_error (host, "already-in-room", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"Again\","
                                  "\"name\":\"Host\"}");
  canopy_test_client_sendf_error (a, "already-in-room", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"Mine\",\"name\":\"Ana\"}");
  canopy_test_signal_assert_healthy (f, room);
}

static void
test_signal_relay (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *host, *viewer, *stranger, *outsider;
  g_autoptr (JsonObject) to_viewer = NULL;
  g_autoptr (JsonObject) to_host = NULL;
  g_autofree char *room = NULL;
  g_autofree char *other = NULL;
  JsonObject *data_member;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &viewer, &stranger, &outsider, NULL);
  other = canopy_test_client_create_room (stranger, "Elsewhere", TRUE, NULL);
  canopy_test_client_send_join (viewer, room, "Vi", 1);
  canopy_test_client_expect (host, "join-request", NULL);

  /* `from` is the sender's connection whatever the sender claims. */
  canopy_test_client_sendf (host, "{\"type\":\"signal\",\"to\":\"%s\",\"from\":\"%s\","
                            "\"data\":{\"sdp\":\"v=0\","
                            "\"sdp_type\":\"offer\"}}", viewer->peer, stranger->peer);
  to_viewer = canopy_test_client_next (viewer, "signal");
  g_assert_cmpstr (json_object_get_string_member (to_viewer, "from"), ==, host->peer);
  data_member = json_object_get_object_member (to_viewer, "data");
  g_assert_cmpstr (json_object_get_string_member (data_member, "sdp"), ==, "v=0");
  g_assert_cmpstr (json_object_get_string_member (data_member, "sdp_type"), ==, "offer");
  g_assert_false (json_object_has_member (to_viewer, "to"));

  canopy_test_client_sendf (viewer, "{\"type\":\"signal\",\"to\":\"%s\",\"from\":\"pforgedforge\","
                            "\"data\":{\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ host\","
                            "\"mline\":0}}",
                            host->peer);
  to_host = canopy_test_client_next (host, "signal");
  g_assert_cmpstr (json_object_get_string_member (to_host, "from"), ==, viewer->peer);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (to_host, "data"),
                                               "mline"), ==, 0);

  /* Nobody signals across rooms, or without a room. */
  {
    struct {
      CanopyTestClient *from;
      const char *to;
      const char *data;
      const char *code;
    } cases[] = {
      { viewer, stranger->peer, "{}", "unknown-peer" },
      { stranger, host->peer, "{}", "unknown-peer" },
      { outsider, host->peer, "{}", "not-in-room" },
      { viewer, host->peer, "\"offer\"", "bad-message" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      canopy_test_client_sendf_error (cases[i].from, cases[i].code, "signal",
                                      "{\"type\":\"signal\",\"to\":\"%s\",\"data\":%s}",
                                      cases[i].to, cases[i].data);
  }
  canopy_test_client_sendf_error (viewer, "bad-message", "signal",
                                  "{\"type\":\"signal\",\"to\":7,\"data\":{}}");
  g_assert_false (canopy_test_client_has (stranger, "signal"));

  /* The outsider is welcome in another room, and still cannot reach this one. */
  canopy_test_client_send_join (outsider, other, "Out", 1);
  canopy_test_client_expect (stranger, "join-request", NULL);
  canopy_test_client_sendf_error (outsider, "unknown-peer", "signal",
                                  "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", viewer->peer);
  canopy_test_signal_assert_healthy (f, room);
}

static void
test_refuse (CanopyTestSignal *f,
             gconstpointer     data)
{
  CanopyTestClient *host, *viewer, *outsider, *member;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &viewer, &outsider, &member, NULL);
  canopy_test_client_join_place (member, host, room, "Me", 1, host);
  canopy_test_client_send_join (viewer, room, "Vi", 1);
  canopy_test_client_expect (host, "join-request", NULL);
  /* Only the parent it was placed under refuses a child: not before it is placed, not another
   * member. */
  canopy_test_client_sendf_error (host, "forbidden", "refuse", REFUSE, viewer->peer);
  canopy_test_client_place (host, viewer, host);
  canopy_test_client_sendf_error (member, "forbidden", "refuse", REFUSE, viewer->peer);
  canopy_test_client_assert_none (viewer, "refused");
  canopy_test_client_sendf (host, REFUSE, viewer->peer);
  canopy_test_client_expect (viewer, "refused", "parent", host->peer, NULL);

  /* A refused child asks again in the same room. */
  canopy_test_client_send_join (viewer, room, "Vi 2", 3);
  expect_newcomer (host, "join-request", "peer", viewer, "Vi 2", 3);

  canopy_test_client_sendf_error (host, "unknown-peer", "refuse", REFUSE, outsider->peer);
  canopy_test_client_sendf_error (outsider, "not-in-room", "refuse", REFUSE, viewer->peer);
  canopy_test_client_sendf_error (viewer, "bad-message", "refuse", REFUSE, viewer->peer);
}

static void
test_close_room (CanopyTestSignal *f,
                 gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *watcher, *other_host;
  g_autofree char *secret = NULL;
  g_autofree char *other_secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *other = NULL;

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, &a, &b, &watcher, &other_host,
                                       NULL);
  other = canopy_test_client_create_room (other_host, "Other", TRUE, &other_secret);
  canopy_test_client_subscribe (watcher, NULL);
  canopy_test_client_send_join (a, room, "A", 1);
  canopy_test_client_expect (host, "join-request", NULL);
  canopy_test_client_send_join (b, room, "B", 1);
  canopy_test_client_expect (host, "join-request", NULL);

  canopy_test_client_sendf_error (a, "forbidden", "close-room", CLOSE, room, other_secret);
  canopy_test_client_sendf_error (a, "forbidden", "close-room", CLOSE, room, "");
  canopy_test_client_sendf_error (host, "forbidden", "update-room", UPDATE "\"viewers\":1}", room,
                                  other_secret);
  canopy_test_client_sendf_error (host, "bad-message", "close-room",
                                  "{\"type\":\"close-room\",\"room\":\"%s\"}", room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 2);

  canopy_test_client_sendf (host, CLOSE, room, secret);
  canopy_test_client_expect (a, "room-closed", "room", room, "reason", "host-ended", NULL);
  canopy_test_client_expect (b, "room-closed", "reason", "host-ended", NULL);
  canopy_test_client_expect (host, "room-closed", NULL);
  canopy_test_client_expect (watcher, "room-removed", "room", room, NULL);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);

  /* Released members may join another room; the closed room is gone. */
  canopy_test_client_join (a, other_host, other, "A", 1);
  canopy_test_client_send_join (b, room, "B", 1);
  canopy_test_client_expect_error (b, "unknown-room", "join");
  canopy_test_client_sendf_error (b, "not-in-room", "leave", "{\"type\":\"leave\"}");
  canopy_test_signal_assert_healthy (f, other);
}

static void
test_host_disconnect (CanopyTestSignal *f,
                      gconstpointer     data)
{
  CanopyTestClient *host, *viewer, *watcher;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &viewer, &watcher, NULL);
  g_assert_true (canopy_test_client_subscribe (watcher, room));
  canopy_test_client_send_join (viewer, room, "Vi", 1);
  canopy_test_client_expect (host, "join-request", NULL);

  canopy_test_signal_disconnect (f, host);
  canopy_test_client_expect (viewer, "room-closed", "room", room, "reason", "host-left", NULL);
  canopy_test_client_expect (watcher, "room-removed", "room", room, NULL);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_null (entry);
}

static void
test_viewer_leaves (CanopyTestSignal *f,
                    gconstpointer     data)
{
  CanopyTestClient *host, *stays, *quits, *drops;
  g_autofree char *room = NULL;
  g_autofree char *dropped = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &stays, &quits, &drops, NULL);
  dropped = g_strdup (drops->peer);
  canopy_test_client_send_join (stays, room, "S", 1);
  canopy_test_client_expect (host, "join-request", NULL);
  canopy_test_client_send_join (quits, room, "Q", 1);
  canopy_test_client_expect (host, "join-request", NULL);
  canopy_test_client_send_join (drops, room, "D", 1);
  canopy_test_client_expect (host, "join-request", NULL);

  canopy_test_client_send (quits, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", quits->peer, NULL);
  canopy_test_signal_disconnect (f, drops);
  canopy_test_client_expect (host, "peer-left", "peer", dropped, NULL);

  /* The room lives on; whoever left may come back. */
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  canopy_test_client_join (quits, host, room, "Q", 1);
  canopy_test_client_sendf_error (host, "unknown-peer", "place", PLACE, dropped, host->peer);
  g_assert_false (canopy_test_client_has (stays, "room-closed"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signal-server/room-id-normalize", test_room_id_normalize);
  canopy_test_signal_add ("directory", test_directory);
  canopy_test_signal_add ("unlisted", test_unlisted);
  canopy_test_signal_add ("join-place", test_join_place);
  canopy_test_signal_add ("signal-relay", test_signal_relay);
  canopy_test_signal_add ("refuse", test_refuse);
  canopy_test_signal_add ("close-room", test_close_room);
  canopy_test_signal_add ("host-disconnect", test_host_disconnect);
  canopy_test_signal_add ("viewer-leaves", test_viewer_leaves);

  return g_test_run ();
}
