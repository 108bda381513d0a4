/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Rooms on CanopySignalServer: room IDs, the directory, joining, placing, relaying, leaving. */

#include "canopy-test-signal.h"

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
  g_autoptr (CanopyTestClient) watcher = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
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

  canopy_test_client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = canopy_test_client_next (watcher, "rooms");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rooms, "rooms")), ==,
                    0);

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
                            "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"viewers\":6,\"depth\":3,\"title\":\"Friday\\tjam \\u202e2\","
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
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"listed\":false}", room, secret);
  removed = canopy_test_client_next (watcher, "room-removed");
  g_assert_cmpstr (json_object_get_string_member (removed, "room"), ==, room);
  g_clear_pointer (&entry, json_object_unref);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_null (entry);
  g_clear_pointer (&added, json_object_unref);
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"listed\":true}", room, secret);
  added = canopy_test_client_next (watcher, "room-added");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (added, "room"),
                                                  "room"), ==, room);

  /* After unsubscribe, nothing more arrives; a room closed by its host is removed. */
  canopy_test_client_send (watcher, "{\"type\":\"unsubscribe\"}");
  canopy_test_client_send (watcher, "{\"type\":\"ping\"}");
  pong = canopy_test_client_next (watcher, "pong");
  canopy_test_client_sendf (host, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}",
                            room, secret);
  closed = canopy_test_client_next (host, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed, "reason"), ==, "host-ended");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
  canopy_test_signal_assert_healthy (f, NULL);
  g_assert_false (canopy_test_client_has (watcher, "room-removed"));
}

static void
test_unlisted (CanopyTestSignal *f,
               gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) watcher = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) viewer = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) rooms = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Private", FALSE, NULL);
  g_autofree char *typed = g_ascii_strup (room, -1);

  canopy_test_client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = canopy_test_client_next (watcher, "rooms");
  g_assert_null (canopy_test_signal_find_entry (json_object_get_array_member (rooms, "rooms"),
                                                room));
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_null (entry);

  /* Joinable by its ID, typed in upper case with a dash. */
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%.4s-%s\",\"name\":\"Bo\","
                            "\"capacity\":2}", typed, typed + 4);
  request = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request, "peer"), ==, viewer->peer);
  g_assert_false (canopy_test_client_has (watcher, "room-added"));
}

static void
test_join_place (CanopyTestSignal *f,
                 gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) other_host = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) request_b = NULL;
  g_autoptr (JsonObject) placed = NULL;
  g_autoptr (JsonObject) attach = NULL;
  g_autoptr (JsonObject) placed_b = NULL;
  g_autoptr (JsonObject) attach_b = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  g_autofree char *other = canopy_test_client_create_room (other_host, "Other", TRUE, NULL);

  canopy_test_client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"An\\u0007a\\n\","
                            "\"capacity\":2,\"from\":\"pforgedforge\"}", room);
  request = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request, "peer"), ==, a->peer);
  g_assert_cmpstr (json_object_get_string_member (request, "name"), ==, "Ana");
  g_assert_cmpint (json_object_get_int_member (request, "capacity"), ==, 2);

  /* Only the host places, and only peers of its room. */
  canopy_test_client_sendf (a, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                            host->peer);
  canopy_test_client_expect_error (a, "forbidden", "place");
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", b->peer,
                            host->peer);
  canopy_test_client_expect_error (host, "unknown-peer", "place");
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                            other_host->peer);
  canopy_test_client_expect_error (host, "unknown-peer", "place");
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                            a->peer);
  canopy_test_client_expect_error (host, "bad-message", "place");
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\"}", a->peer);
  canopy_test_client_expect_error (host, "bad-message", "place");
  canopy_test_client_sendf (b, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                            host->peer);
  canopy_test_client_expect_error (b, "not-in-room", "place");

  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", a->peer,
                            host->peer);
  placed = canopy_test_client_next (a, "placed");
  g_assert_cmpstr (json_object_get_string_member (placed, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (placed, "parent"), ==, host->peer);
  attach = canopy_test_client_next (host, "attach");
  g_assert_cmpstr (json_object_get_string_member (attach, "child"), ==, a->peer);
  g_assert_cmpstr (json_object_get_string_member (attach, "name"), ==, "Ana");
  g_assert_cmpint (json_object_get_int_member (attach, "capacity"), ==, 2);

  /* A second viewer goes under the first: the first one gets attach. */
  canopy_test_client_sendf (b, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Bo\",\"capacity\":0}",
                            room);
  request_b = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (request_b, "peer"), ==, b->peer);
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", b->peer,
                            a->peer);
  placed_b = canopy_test_client_next (b, "placed");
  g_assert_cmpstr (json_object_get_string_member (placed_b, "parent"), ==, a->peer);
  attach_b = canopy_test_client_next (a, "attach");
  g_assert_cmpstr (json_object_get_string_member (attach_b, "child"), ==, b->peer);
  g_assert_cmpstr (json_object_get_string_member (attach_b, "name"), ==, "Bo");
  g_assert_cmpint (json_object_get_int_member (attach_b, "capacity"), ==, 0);

  /* One room per connection. */
  canopy_test_client_sendf (a,
                            "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Ana\","
                            "\"capacity\":2}", other);
  canopy_test_client_expect_error (a, "already-in-room", "join");
  canopy_test_client_sendf (host, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Host\","
                            "\"capacity\":2}", room);
  canopy_test_client_expect_error (host, "already-in-room", "join");
  canopy_test_client_send (host,
                           "{\"type\":\"create-room\",\"title\":\"Again\",\"name\":\"Host\"}");
  canopy_test_client_expect_error (host, "already-in-room", "create-room");
  canopy_test_client_send (a, "{\"type\":\"create-room\",\"title\":\"Mine\",\"name\":\"Ana\"}");
  canopy_test_client_expect_error (a, "already-in-room", "create-room");
  canopy_test_signal_assert_healthy (f, room);
}

static void
test_signal_relay (CanopyTestSignal *f,
                   gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) viewer = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) stranger = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) outsider = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) request2 = NULL;
  g_autoptr (JsonObject) to_viewer = NULL;
  g_autoptr (JsonObject) to_host = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  g_autofree char *other = canopy_test_client_create_room (stranger, "Elsewhere", TRUE, NULL);
  JsonObject *data_member;

  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\","
                            "\"capacity\":1}", room);
  request = canopy_test_client_next (host, "join-request");

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
  canopy_test_client_sendf (viewer, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}",
                            stranger->peer);
  canopy_test_client_expect_error (viewer, "unknown-peer", "signal");
  canopy_test_client_sendf (stranger, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}",
                            host->peer);
  canopy_test_client_expect_error (stranger, "unknown-peer", "signal");
  canopy_test_client_sendf (outsider, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}",
                            host->peer);
  canopy_test_client_expect_error (outsider, "not-in-room", "signal");
  canopy_test_client_sendf (viewer, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":\"offer\"}",
                            host->peer);
  canopy_test_client_expect_error (viewer, "bad-message", "signal");
  canopy_test_client_sendf (viewer, "{\"type\":\"signal\",\"to\":7,\"data\":{}}");
  canopy_test_client_expect_error (viewer, "bad-message", "signal");
  g_assert_false (canopy_test_client_has (stranger, "signal"));

  /* The outsider is welcome in another room, and still cannot reach this one. */
  canopy_test_client_sendf (outsider, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Out\","
                            "\"capacity\":1}", other);
  request2 = canopy_test_client_next (stranger, "join-request");
  canopy_test_client_sendf (outsider, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}",
                            viewer->peer);
  canopy_test_client_expect_error (outsider, "unknown-peer", "signal");
  canopy_test_signal_assert_healthy (f, room);
}

static void
test_refuse (CanopyTestSignal *f,
             gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) viewer = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) outsider = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) refused = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);

  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\","
                            "\"capacity\":1}", room);
  request = canopy_test_client_next (host, "join-request");
  canopy_test_client_sendf (host, "{\"type\":\"refuse\",\"child\":\"%s\"}", viewer->peer);
  refused = canopy_test_client_next (viewer, "refused");
  g_assert_cmpstr (json_object_get_string_member (refused, "parent"), ==, host->peer);

  /* A refused child asks again in the same room. */
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi 2\","
                            "\"capacity\":3}", room);
  again = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (again, "peer"), ==, viewer->peer);
  g_assert_cmpstr (json_object_get_string_member (again, "name"), ==, "Vi 2");
  g_assert_cmpint (json_object_get_int_member (again, "capacity"), ==, 3);

  canopy_test_client_sendf (host, "{\"type\":\"refuse\",\"child\":\"%s\"}", outsider->peer);
  canopy_test_client_expect_error (host, "unknown-peer", "refuse");
  canopy_test_client_sendf (outsider, "{\"type\":\"refuse\",\"child\":\"%s\"}", viewer->peer);
  canopy_test_client_expect_error (outsider, "not-in-room", "refuse");
  canopy_test_client_sendf (viewer, "{\"type\":\"refuse\",\"child\":\"%s\"}", viewer->peer);
  canopy_test_client_expect_error (viewer, "bad-message", "refuse");
}

static void
test_close_room (CanopyTestSignal *f,
                 gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) a = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) b = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) watcher = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) other_host = canopy_test_signal_connect (f);
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
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, &secret);
  g_autofree char *other = canopy_test_client_create_room (other_host, "Other", TRUE,
                                                           &other_secret);

  canopy_test_client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = canopy_test_client_next (watcher, "rooms");
  canopy_test_client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"A\",\"capacity\":1}",
                            room);
  r1 = canopy_test_client_next (host, "join-request");
  canopy_test_client_sendf (b, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"B\",\"capacity\":1}",
                            room);
  r2 = canopy_test_client_next (host, "join-request");

  canopy_test_client_sendf (a, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room,
                            other_secret);
  canopy_test_client_expect_error (a, "forbidden", "close-room");
  canopy_test_client_sendf (a, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"\"}", room);
  canopy_test_client_expect_error (a, "forbidden", "close-room");
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"viewers\":1}", room, other_secret);
  canopy_test_client_expect_error (host, "forbidden", "update-room");
  canopy_test_client_sendf (host, "{\"type\":\"close-room\",\"room\":\"%s\"}", room);
  canopy_test_client_expect_error (host, "bad-message", "close-room");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 2);

  canopy_test_client_sendf (host, "{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}",
                            room, secret);
  closed_a = canopy_test_client_next (a, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed_a, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (closed_a, "reason"), ==, "host-ended");
  closed_b = canopy_test_client_next (b, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed_b, "reason"), ==, "host-ended");
  closed_host = canopy_test_client_next (host, "room-closed");
  removed = canopy_test_client_next (watcher, "room-removed");
  g_assert_cmpstr (json_object_get_string_member (removed, "room"), ==, room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);

  /* Released members may join another room; the closed room is gone. */
  canopy_test_client_sendf (a, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"A\",\"capacity\":1}",
                            other);
  again = canopy_test_client_next (other_host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (again, "peer"), ==, a->peer);
  canopy_test_client_sendf (b, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"B\",\"capacity\":1}",
                            room);
  canopy_test_client_expect_error (b, "unknown-room", "join");
  canopy_test_client_send (b, "{\"type\":\"leave\"}");
  canopy_test_client_expect_error (b, "not-in-room", "leave");
  canopy_test_signal_assert_healthy (f, other);
}

static void
test_host_disconnect (CanopyTestSignal *f,
                      gconstpointer     data)
{
  CanopyTestClient *host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) viewer = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) watcher = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) rooms = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (JsonObject) closed = NULL;
  g_autoptr (JsonObject) removed = NULL;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);

  canopy_test_client_send (watcher, "{\"type\":\"subscribe\"}");
  rooms = canopy_test_client_next (watcher, "rooms");
  g_assert_nonnull (canopy_test_signal_find_entry (json_object_get_array_member (rooms, "rooms"),
                                                   room));
  canopy_test_client_sendf (viewer, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Vi\","
                            "\"capacity\":1}", room);
  request = canopy_test_client_next (host, "join-request");

  canopy_test_client_free (host);
  closed = canopy_test_client_next (viewer, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed, "room"), ==, room);
  g_assert_cmpstr (json_object_get_string_member (closed, "reason"), ==, "host-left");
  removed = canopy_test_client_next (watcher, "room-removed");
  g_assert_cmpstr (json_object_get_string_member (removed, "room"), ==, room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_null (entry);
}

static void
test_viewer_leaves (CanopyTestSignal *f,
                    gconstpointer     data)
{
  g_autoptr (CanopyTestClient) host = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) stays = canopy_test_signal_connect (f);
  g_autoptr (CanopyTestClient) quits = canopy_test_signal_connect (f);
  CanopyTestClient *drops = canopy_test_signal_connect (f);
  g_autoptr (JsonObject) r1 = NULL;
  g_autoptr (JsonObject) r2 = NULL;
  g_autoptr (JsonObject) r3 = NULL;
  g_autoptr (JsonObject) left1 = NULL;
  g_autoptr (JsonObject) left2 = NULL;
  g_autoptr (JsonObject) rejoin = NULL;
  g_autofree char *room = canopy_test_client_create_room (host, "Jam", TRUE, NULL);
  g_autofree char *dropped = g_strdup (drops->peer);

  canopy_test_client_sendf (stays, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"S\","
                            "\"capacity\":1}", room);
  r1 = canopy_test_client_next (host, "join-request");
  canopy_test_client_sendf (quits, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Q\","
                            "\"capacity\":1}", room);
  r2 = canopy_test_client_next (host, "join-request");
  canopy_test_client_sendf (drops, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"D\","
                            "\"capacity\":1}", room);
  r3 = canopy_test_client_next (host, "join-request");

  canopy_test_client_send (quits, "{\"type\":\"leave\"}");
  left1 = canopy_test_client_next (host, "peer-left");
  g_assert_cmpstr (json_object_get_string_member (left1, "peer"), ==, quits->peer);
  canopy_test_client_free (drops);
  left2 = canopy_test_client_next (host, "peer-left");
  g_assert_cmpstr (json_object_get_string_member (left2, "peer"), ==, dropped);

  /* The room lives on; whoever left may come back. */
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
  canopy_test_client_sendf (quits, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"Q\","
                            "\"capacity\":1}", room);
  rejoin = canopy_test_client_next (host, "join-request");
  g_assert_cmpstr (json_object_get_string_member (rejoin, "peer"), ==, quits->peer);
  canopy_test_client_sendf (host, "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", dropped,
                            host->peer);
  canopy_test_client_expect_error (host, "unknown-peer", "place");
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
