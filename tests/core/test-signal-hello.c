/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `hello`: a connection proves its Ed25519 key by signing its welcome's challenge and becomes
 * the key's peer id. Real server, real WebSocket clients: the proof, everything that is not
 * one, a second connection of the same key taking the first one's place, and ids of keys that
 * nobody else can take, not even after a restart.
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

  canopy_test_signal_connect_all (f, &host, &viewer, NULL);
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
  g_autofree char *other_challenge = NULL;

  canopy_test_signal_connect_all (f, &a, &b, &c, NULL);

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

  /* Once only, and before a room. */
  canopy_test_client_send_hello (a, alice, NULL);
  canopy_test_client_expect_error (a, "bad-message", "hello");
  g_free (canopy_test_client_create_room (b, "Early", FALSE, NULL));
  canopy_test_client_send_hello (b, mallory, NULL);
  canopy_test_client_expect_error (b, "already-in-room", "hello");
  canopy_test_client_ping (c);
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

  canopy_test_signal_connect_all (f, &host, &viewer, NULL);
  canopy_test_client_hello (host, alice);
  room = canopy_test_client_create_room (host, "Mine", TRUE, &secret);
  canopy_test_client_join_place (viewer, host, room, "V", 0, host);

  again = canopy_test_signal_connect (f);
  canopy_test_client_hello (again, alice);
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

  a = canopy_test_signal_connect (f);
  canopy_test_client_hello (a, alice);
  room = canopy_test_client_create_room (a, "Restart", FALSE, &secret);
  canopy_test_signal_restart (f);
  canopy_test_client_wait_closed (a);

  /* Not identified, or identified as someone else: no. */
  thief = canopy_test_signal_connect (f);
  canopy_test_client_sendf_error (thief, "forbidden", "resume", RESUME,
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
  canopy_test_signal_add ("/hello/takeover", test_takeover);
  canopy_test_signal_add ("/hello/key-ids", test_key_ids);
  return g_test_run ();
}
