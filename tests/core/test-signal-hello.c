/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `hello`: a connection proves its Ed25519 key by signing its welcome's challenge and becomes
 * the key's peer id. Real server, real WebSocket clients: the proof, everything that is not
 * one, what a connection without it may do (browse the directory), a second connection of the
 * same key taking the first one's place, and ids of keys that nobody else can take, not even
 * after a restart.
 */
#include <string.h>

#include "canopy-test-signal.h"

#define RESUME "{\"type\":\"resume\",\"peer\":\"%s\",\"token\":\"%s\",\"room\":\"%s\"," \
               "\"name\":\"X\",\"capacity\":1}"

static void
test_identified (CanopyTestSignal *f,
                 gconstpointer     data)
{
  g_autoptr (CanopyIdentity) alice = canopy_identity_new ();
  g_autoptr (CanopyIdentity) bob = canopy_identity_new ();
  CanopyTestClient *host, *viewer;
  g_autofree char *room = NULL;

  host = canopy_test_signal_connect_anonymous (f);
  viewer = canopy_test_signal_connect_anonymous (f);
  canopy_test_client_hello (host, alice);
  canopy_test_client_hello (viewer, bob);
  g_assert_cmpuint (strlen (host->peer), ==, CANOPY_KEY_ID_CHARS);

  /* The ids are what everybody else sees. */
  room = canopy_test_client_create_room (host, "Keys", TRUE, NULL);
  canopy_test_client_send_join (viewer, room, "Bob", 0);
  canopy_test_client_expect (host, "join-request", "peer", canopy_identity_get_id (bob), NULL);
  /* placed under alice's id, and alice told to attach bob's */
  canopy_test_client_place (host, viewer, host);
  g_assert_cmpstr (host->peer, ==, canopy_identity_get_id (alice));
  g_assert_cmpstr (viewer->peer, ==, canopy_identity_get_id (bob));
}

static void
test_refused (CanopyTestSignal *f,
              gconstpointer     data)
{
  g_autoptr (CanopyIdentity) alice = canopy_identity_new ();
  g_autoptr (CanopyIdentity) mallory = canopy_identity_new ();
  CanopyTestClient *a, *b, *c;
  const char *key = canopy_identity_get_public_key (alice);
  const char *fields[] = { NULL, key, NULL };
  g_autofree char *by_mallory = NULL;

  a = canopy_test_signal_connect_anonymous (f);
  b = canopy_test_signal_connect_anonymous (f);
  c = canopy_test_signal_connect_anonymous (f);

  /* Signed for another connection's challenge, or by another key, or not at all. */
  canopy_test_client_send_hello (a, alice, b->challenge);
  canopy_test_client_expect_error (a, "forbidden", "hello");
  fields[0] = a->challenge;
  by_mallory = canopy_identity_sign (mallory, "canopy-hello", fields);
  canopy_test_client_sendf_error (a, "forbidden", "hello",
                                  "{\"type\":\"hello\",\"key\":\"%s\",\"signature\":\"%s\"}", key,
                                  by_mallory);
  canopy_test_client_sendf_error (a, "bad-message", "hello", "{\"type\":\"hello\",\"key\":\"%s\"}",
                                  key);
  canopy_test_client_sendf_error (a, "bad-message", "hello",
                                  "{\"type\":\"hello\",\"key\":\"not a key\",\"signature\":\"%s\"}",
                                  by_mallory);
  canopy_test_client_sendf_error (a, "too-large", "hello",
                                  "{\"type\":\"hello\",\"key\":\"%s%s\",\"signature\":\"x\"}", key,
                                  key);
  /* None of that made a anybody: it still has its welcome's id, and may say hello now. */
  canopy_test_client_ping (a);
  canopy_test_client_hello (a, alice);

  /* Once only (and so before any room). */
  canopy_test_client_send_hello (a, alice, NULL);
  canopy_test_client_expect_error (a, "bad-message", "hello");
  canopy_test_client_hello (b, mallory);
  g_free (canopy_test_client_create_room (b, "Early", FALSE, NULL));
  canopy_test_client_send_hello (b, mallory, NULL);
  canopy_test_client_expect_error (b, "bad-message", "hello");
  canopy_test_client_ping (c);
}

/* Without hello a connection may browse the directory, and nothing else: every room is made of
 * peers with keys. */
static void
test_required (CanopyTestSignal *f,
               gconstpointer     data)
{
  g_autoptr (CanopyIdentity) key = canopy_identity_new ();
  CanopyTestClient *host, *anonymous;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;

  host = canopy_test_signal_connect (f);
  room = canopy_test_client_create_room (host, "Keys only", TRUE, &secret);
  anonymous = canopy_test_signal_connect_anonymous (f);
  canopy_test_client_ping (anonymous);
  g_assert_true (canopy_test_client_subscribe (anonymous, room));
  canopy_test_client_send (anonymous, "{\"type\":\"unsubscribe\"}");
  canopy_test_client_ping (anonymous);

  {
    /* Well-formed or not, with the host secret or not: say hello first. */
    struct {
      char *text;
      const char *ref;
    } cases[] = {
      { g_strdup ("{\"type\":\"create-room\",\"title\":\"Mine\",\"name\":\"N\"}"),
        "create-room" },
      { g_strdup ("{\"type\":\"create-room\"}"), "create-room" },
      { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"N\",\"capacity\":1}",
                         room), "join" },
      { g_strdup_printf ("{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\",\"name\":\"N\"}",
                         host->peer, room), "resume" },
      { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                         "\"title\":\"Taken\"}", room, secret), "update-room" },
      { g_strdup_printf ("{\"type\":\"close-room\",\"room\":\"%s\",\"secret\":\"%s\"}", room,
                         secret), "close-room" },
      { g_strdup_printf ("{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}", host->peer,
                         host->peer), "place" },
      { g_strdup_printf ("{\"type\":\"refuse\",\"child\":\"%s\"}", host->peer), "refuse" },
      { g_strdup_printf ("{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", host->peer),
        "signal" },
      { g_strdup ("{\"type\":\"leave\"}"), "leave" },
      { g_strdup_printf ("{\"type\":\"reject\",\"peer\":\"%s\",\"reason\":\"full\"}",
                         host->peer), "reject" },
      { g_strdup_printf ("{\"type\":\"report\",\"peer\":\"%s\",\"reason\":\"silent\"}",
                         host->peer), "report" },
      { g_strdup ("{\"type\":\"edge\",\"statement\":{}}"), "edge" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
      g_test_message ("%s", cases[i].text);
      canopy_test_client_send (anonymous, cases[i].text);
      canopy_test_client_expect_error (anonymous, "not-identified", cases[i].ref);
      g_free (cases[i].text);
    }
  }
  /* An unknown type is still that. */
  canopy_test_client_sendf_error (anonymous, "unknown-type", "jump", "{\"type\":\"jump\"}");
  canopy_test_client_assert_none (host, "join-request");
  g_assert_false (canopy_test_client_has (host, "room-closed"));
  canopy_test_signal_assert_healthy (f, room);

  /* Once it has said hello, all of it. */
  canopy_test_client_hello (anonymous, key);
  canopy_test_client_join (anonymous, host, room, "N", 1);
}

/* A second connection of the same key takes the id and may resume the first one's room without
 * a token; the first one is closed. */
static void
test_takeover (CanopyTestSignal *f,
               gconstpointer     data)
{
  g_autoptr (CanopyIdentity) alice = canopy_identity_new ();
  CanopyTestClient *host, *viewer, *again, *newcomer;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autoptr (JsonObject) entry = NULL;
  JsonObject *closed;

  host = canopy_test_signal_connect_as (f, alice);
  viewer = canopy_test_signal_connect (f);
  room = canopy_test_client_create_room (host, "Mine", TRUE, &secret);
  canopy_test_client_join_place (viewer, host, room, "V", 0, host);

  again = canopy_test_signal_connect_as (f, alice);
  canopy_test_client_wait_closed (host);
  g_assert_cmpint (soup_websocket_connection_get_close_code (host->connection), ==, 4000);
  /* As if the host had only been lost: its members wait for it. */
  closed = canopy_test_client_next (viewer, "room-closed");
  g_assert_cmpstr (json_object_get_string_member (closed, "reason"), ==, "host-lost");
  json_object_unref (closed);
  /* Meanwhile a newcomer is asked to retry, not told the room does not exist. */
  newcomer = canopy_test_signal_connect (f);
  canopy_test_client_send_join (newcomer, room, "N", 0);
  canopy_test_client_expect (newcomer, "join-rejected", "reason", "retry", NULL);

  canopy_test_client_sendf (again, "{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\","
                            "\"secret\":\"%s\",\"name\":\"Alice\",\"title\":\"Mine\"}",
                            again->peer, room, secret);
  canopy_test_client_expect (again, "resumed", "peer", canopy_identity_get_id (alice), "room", room,
                             NULL);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  canopy_test_client_send_join (newcomer, room, "N", 0);
  canopy_test_client_expect (again, "join-request", "peer", newcomer->peer, NULL);
  /* A room that was never there stays unknown. */
  canopy_test_client_send_join (viewer, "zzzzzzzz", "V", 0);
  canopy_test_client_expect_error (viewer, "unknown-room", "join");
}

/* After a restart every id is free, but a key's id only for the key's holder. */
static void
test_key_ids (CanopyTestSignal *f,
              gconstpointer     data)
{
  g_autoptr (CanopyIdentity) alice = canopy_identity_new ();
  g_autoptr (CanopyIdentity) bob = canopy_identity_new ();
  CanopyTestClient *a, *thief;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;

  a = canopy_test_signal_connect_as (f, alice);
  room = canopy_test_client_create_room (a, "Restart", FALSE, &secret);
  canopy_test_signal_restart (f);
  canopy_test_client_wait_closed (a);

  /* Not identified, or identified as someone else: no. */
  thief = canopy_test_signal_connect_anonymous (f);
  canopy_test_client_sendf_error (thief, "not-identified", "resume", RESUME,
                                  canopy_identity_get_id (alice), thief->token, room);
  canopy_test_client_hello (thief, bob);
  canopy_test_client_sendf_error (thief, "forbidden", "resume", RESUME,
                                  canopy_identity_get_id (alice), thief->token, room);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  canopy_test_signal_add ("/hello/identified", test_identified);
  canopy_test_signal_add ("/hello/refused", test_refused);
  canopy_test_signal_add ("/hello/required", test_required);
  canopy_test_signal_add ("/hello/takeover", test_takeover);
  canopy_test_signal_add ("/hello/key-ids", test_key_ids);
  return g_test_run ();
}
