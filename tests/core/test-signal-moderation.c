/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The server's side of moderation: a host removes a member (`kick`: it is told, the tree around
 * it hears it left, and its key is refused in the room from then on), locks its room against
 * newcomers (`lock`), and gives it a password newcomers must bring, which nobody ever sees again;
 * a host that resumes its room brings all three back. */

#include "canopy-test-signal.h"

#include <string.h>

/* A password with characters of several sizes; its ASCII middle is what the transcripts are
 * searched for, however a message escapes the rest. */
#define PASSWORD "\xce\xa9pen-sesame-7731 \xf0\x9f\x8c\xb1"
#define PASSWORD_PART "sesame-7731"
#define OTHER_PASSWORD "another-0451"

#define KICK "{\"type\":\"kick\",\"peer\":\"%s\"}"
#define LOCK "{\"type\":\"lock\",\"locked\":%s}"
#define SIGNAL_TO "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}"
#define JOIN_WITH "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\",\"capacity\":1%s}"
#define RESUME_MEMBER \
  "{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\",\"name\":\"%s\",\"capacity\":1%s}"
#define RESUME_HOST \
  "{\"type\":\"resume\",\"peer\":\"%s\",\"room\":\"%s\",\"secret\":\"%s\",\"name\":\"Host\"," \
  "\"title\":\"Back\"%s}"

/* --- what a client received, as text --- */

static void
on_logged_message (SoupWebsocketConnection *connection,
                   SoupWebsocketDataType    type,
                   GBytes                  *bytes,
                   gpointer                 user_data)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  g_string_append_len (user_data, data, (gssize) len);
  g_string_append_c (user_data, '\n');
}

static void
log_free (gpointer  data,
          GClosure *closure)
{
  g_string_free (data, TRUE);
}

/* Returns (transfer none) the text of every message @client receives from now on, for as long
 * as its connection lives. */
static GString *
log_client (CanopyTestClient *client)
{
  GString *log = g_string_new (NULL);

  g_signal_connect_data (client->connection, "message", G_CALLBACK (on_logged_message), log,
                         log_free, 0);
  return log;
}

static void
assert_no_password (GString    *log,
                    const char *who)
{
  if (strstr (log->str, PASSWORD_PART) != NULL || strstr (log->str, OTHER_PASSWORD) != NULL)
    g_error ("%s received the password: %s", who, log->str);
}

/* --- short cuts --- */

/* @host creates the listed room "Guarded" with @extra members (",\"password\":..."); returns its
 * ID, and its secret in @secret when given. */
static char *
create_room_with (CanopyTestClient *host,
                  const char       *extra,
                  char            **secret)
{
  g_autoptr (JsonObject) created = NULL;

  canopy_test_client_sendf (host,
                            "{\"type\":\"create-room\",\"title\":\"Guarded\",\"name\":\"Host\","
                            "\"listed\":true%s}", extra);
  created = canopy_test_client_next (host, "room-created");
  if (secret != NULL)
    *secret = g_strdup (json_object_get_string_member (created, "secret"));
  return g_strdup (json_object_get_string_member (created, "room"));
}

static void
send_join_with (CanopyTestClient *client,
                const char       *room,
                const char       *password)
{
  g_autofree char *extra = password ? g_strdup_printf (",\"password\":\"%s\"", password)
                                    : g_strdup ("");

  canopy_test_client_sendf (client, JOIN_WITH, room, "J", extra);
}

/* @client's join of @room (with @password, if any) is refused for @reason, the host hears
 * nothing, and @client is in no room. */
static void
expect_refused (CanopyTestClient *client,
                CanopyTestClient *host,
                const char       *room,
                const char       *password,
                const char       *reason)
{
  send_join_with (client, room, password);
  canopy_test_client_expect (client, "join-rejected", "reason", reason, NULL);
  canopy_test_client_assert_none (host, "join-request");
  canopy_test_client_sendf_error (client, "not-in-room", "leave", "{\"type\":\"leave\"}");
  canopy_test_client_sendf_error (host, "unknown-peer", "signal", SIGNAL_TO, client->peer);
}

/* @client's join of @room (with @password, if any) reaches @host. */
static void
expect_admitted (CanopyTestClient *client,
                 CanopyTestClient *host,
                 const char       *room,
                 const char       *password)
{
  send_join_with (client, room, password);
  canopy_test_client_expect (host, "join-request", "peer", client->peer, NULL);
}

/* The boolean @flag of an entry: FALSE when absent, as the server leaves it out. */
static gboolean
entry_flag (JsonObject *entry,
            const char *flag)
{
  JsonNode *node = json_object_get_member (entry, flag);

  if (node == NULL)
    return FALSE;
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_BOOLEAN);
  /* Only ever true: a room without the flag has no member for it. */
  g_assert_true (json_node_get_boolean (node));
  return TRUE;
}

/* Takes @watcher's room-updated messages about @room until one shows @flag as @value. */
static void
wait_updated (CanopyTestClient *watcher,
              const char       *room,
              const char       *flag,
              gboolean          value)
{
  for (;;) {
    g_autoptr (JsonObject) updated = canopy_test_client_next (watcher, "room-updated");
    JsonObject *entry = json_object_get_object_member (updated, "room");

    if (g_str_equal (json_object_get_string_member (entry, "room"), room) &&
        entry_flag (entry, flag) == value)
      return;
  }
}

/* The directory's HTTP entry of @room shows @flag as @value. */
static void
assert_listed (CanopyTestSignal *f,
               const char       *room,
               const char       *flag,
               gboolean          value)
{
  g_autoptr (JsonObject) entry = canopy_test_signal_directory_entry (f, room);

  g_assert_nonnull (entry);
  g_assert_cmpint (entry_flag (entry, flag), ==, value);
}

/* The host's answer to `lock`: the room's entry. */
static void
lock_room (CanopyTestClient *host,
           gboolean          locked)
{
  g_autoptr (JsonObject) reply = NULL;

  canopy_test_client_sendf (host, LOCK, locked ? "true" : "false");
  reply = canopy_test_client_next (host, "room-updated");
  g_assert_cmpint (entry_flag (json_object_get_object_member (reply, "room"), "locked"), ==,
                   locked);
}

/* --- kick --- */

/* host <- a <- b <- c, and d beside b under a. The host removes b. */
static void
test_kick (CanopyTestSignal *f,
           gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *c, *d, *other_host, *outsider, *b2;
  g_autofree char *room = NULL;
  g_autofree char *other = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, &c, &d, &other_host,
                                       &outsider, NULL);
  canopy_test_client_join_place (a, host, room, "A", 2, host);
  canopy_test_client_join_place (b, host, room, "B", 1, a);
  canopy_test_client_join_place (c, host, room, "C", 0, b);
  canopy_test_client_join_place (d, host, room, "D", 0, a);

  /* Only the host, only a member, not itself. */
  canopy_test_client_sendf_error (a, "forbidden", "kick", KICK, b->peer);
  canopy_test_client_sendf_error (c, "forbidden", "kick", KICK, host->peer);
  canopy_test_client_sendf_error (outsider, "not-in-room", "kick", KICK, b->peer);
  canopy_test_client_sendf_error (host, "bad-message", "kick", KICK, host->peer);
  canopy_test_client_sendf_error (host, "unknown-peer", "kick", KICK, outsider->peer);
  canopy_test_client_sendf_error (host, "unknown-peer", "kick", KICK, "pnobodynobody");
  canopy_test_client_sendf_error (host, "bad-message", "kick", "{\"type\":\"kick\"}");
  canopy_test_client_sendf_error (host, "bad-message", "kick", "{\"type\":\"kick\",\"peer\":5}");
  canopy_test_client_assert_none (b, "kicked");

  /* b is told, then leaves as with `leave`: the host and its parent hear it, its child is
   * orphaned, its sibling hears nothing. */
  canopy_test_client_sendf (host, KICK, b->peer);
  canopy_test_client_expect (b, "kicked", "room", room, NULL);
  canopy_test_client_expect (host, "peer-left", "peer", b->peer, NULL);
  canopy_test_client_expect (a, "peer-left", "peer", b->peer, NULL);
  canopy_test_client_expect (c, "parent-left", "peer", b->peer, NULL);
  canopy_test_client_assert_none (d, "parent-left");
  canopy_test_client_assert_none (d, "peer-left");
  canopy_test_client_assert_none (c, "peer-left");
  canopy_test_client_assert_none (host, "peer-left");
  canopy_test_client_sendf_error (host, "unknown-peer", "kick", KICK, b->peer);
  canopy_test_client_sendf_error (a, "unknown-peer", "signal", SIGNAL_TO, b->peer);

  /* Its connection stays, in no room: it pings, and may not come back, by join or resume. */
  g_assert_false (b->closed);
  canopy_test_client_ping (b);
  canopy_test_client_sendf_error (b, "not-in-room", "leave", "{\"type\":\"leave\"}");
  expect_refused (b, host, room, NULL, "banned");
  canopy_test_client_sendf_error (b, "forbidden", "resume", RESUME_MEMBER, b->peer, room, "B",
                                  "");
  canopy_test_client_assert_none (host, "peer-resumed");

  /* Nor does its key on a new connection. */
  b2 = canopy_test_signal_connect_as (f, b->identity);
  canopy_test_client_wait_closed (b);
  expect_refused (b2, host, room, NULL, "banned");
  canopy_test_client_sendf_error (b2, "forbidden", "resume", RESUME_MEMBER, b2->peer, room, "B",
                                  ",\"parent\":\"pnobodynobody\"");

  /* Another room takes it. */
  other = canopy_test_client_create_room (other_host, "Other", TRUE, NULL);
  canopy_test_client_join_place (b2, other_host, other, "B", 1, other_host);

  /* The others stay, and a newcomer still gets in. */
  canopy_test_client_join_place (c, host, room, "C", 0, a);
  canopy_test_client_join_place (outsider, host, room, "O", 0, d);
  canopy_test_client_sendf (a, SIGNAL_TO, d->peer);
  canopy_test_client_expect (d, "signal", "from", a->peer, NULL);
  canopy_test_signal_assert_healthy (f, room);
}

/* A kicked joiner whose join the host has not answered, and the host leaving right after. */
static void
test_kick_joining (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *host, *a, *b;
  g_autofree char *room = NULL;

  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, NULL);
  canopy_test_client_join_place (a, host, room, "A", 1, host);
  canopy_test_client_join (b, host, room, "B", 0);
  canopy_test_client_sendf (host, KICK, b->peer);
  canopy_test_client_expect (b, "kicked", "room", room, NULL);
  canopy_test_client_expect (host, "peer-left", "peer", b->peer, NULL);
  canopy_test_client_assert_none (a, "peer-left");
  /* The host's late answer to its join: b is nobody here. */
  canopy_test_client_sendf_error (host, "unknown-peer", "place",
                                  "{\"type\":\"place\",\"peer\":\"%s\",\"parent\":\"%s\"}",
                                  b->peer, a->peer);
  canopy_test_client_assert_none (b, "placed");

  /* The room closes: only its members hear, b is none. */
  canopy_test_client_send (host, "{\"type\":\"leave\"}");
  canopy_test_client_expect (a, "room-closed", "reason", "host-left", NULL);
  canopy_test_client_assert_none (b, "room-closed");
}

/* At most CANOPY_BANNED_MAX ids a room: the oldest goes first. The host brings a full list back
 * (resume), then removes one more. */
static void
test_kick_bounded (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *host, *first, *second, *extra, *host2, *first2, *second2, *extra2;
  g_autoptr (GString) banned = g_string_new ("[");
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *rules = NULL;

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, &first, &second, &extra, NULL);
  canopy_test_signal_restart (f);
  canopy_test_client_wait_closed (host);

  g_string_append_printf (banned, "\"%s\",\"%s\"", first->peer, second->peer);
  for (guint i = 2; i < CANOPY_BANNED_MAX; i++)
    g_string_append_printf (banned, ",\"pfiller%u\"", i);
  g_string_append_c (banned, ']');
  rules = g_strdup_printf (",\"banned\":%s", banned->str);
  host2 = canopy_test_signal_connect_as (f, host->identity);
  canopy_test_client_sendf (host2, RESUME_HOST, host->peer, room, secret, rules);
  canopy_test_client_expect (host2, "resumed", "room", room, NULL);
  first2 = canopy_test_signal_connect_as (f, first->identity);
  second2 = canopy_test_signal_connect_as (f, second->identity);
  extra2 = canopy_test_signal_connect_as (f, extra->identity);
  expect_refused (first2, host2, room, NULL, "banned");
  expect_refused (second2, host2, room, NULL, "banned");

  /* One more: the first of the list is forgotten, the second is not. */
  expect_admitted (extra2, host2, room, NULL);
  canopy_test_client_sendf (host2, KICK, extra2->peer);
  canopy_test_client_expect (extra2, "kicked", "room", room, NULL);
  expect_refused (extra2, host2, room, NULL, "banned");
  expect_refused (second2, host2, room, NULL, "banned");
  expect_admitted (first2, host2, room, NULL);
}

/* --- lock --- */

static void
test_lock (CanopyTestSignal *f,
           gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *newcomer, *outsider, *watcher, *anonymous;
  g_autofree char *room = NULL;

  watcher = canopy_test_signal_connect_anonymous (f);
  g_assert_false (canopy_test_client_subscribe (watcher, NULL));
  room = canopy_test_signal_open_room (f, "Jam", NULL, &host, &a, &b, &newcomer, &outsider,
                                       NULL);
  canopy_test_client_expect (watcher, "room-added", NULL);
  canopy_test_client_join_place (a, host, room, "A", 1, host);
  canopy_test_client_join_place (b, host, room, "B", 0, a);
  assert_listed (f, room, "locked", FALSE);

  /* Only the host, with a boolean. */
  canopy_test_client_sendf_error (a, "forbidden", "lock", LOCK, "true");
  canopy_test_client_sendf_error (outsider, "not-in-room", "lock", LOCK, "true");
  canopy_test_client_sendf_error (host, "bad-message", "lock", LOCK, "\"yes\"");
  canopy_test_client_sendf_error (host, "bad-message", "lock", LOCK, "1");
  canopy_test_client_sendf_error (host, "bad-message", "lock", LOCK, "null");
  canopy_test_client_sendf_error (host, "bad-message", "lock", "{\"type\":\"lock\"}");
  anonymous = canopy_test_signal_connect_anonymous (f);
  canopy_test_client_sendf_error (anonymous, "not-identified", "lock", LOCK, "true");
  canopy_test_client_sendf_error (anonymous, "not-identified", "kick", KICK, a->peer);
  assert_listed (f, room, "locked", FALSE);

  /* Locked: the directory shows it, newcomers are turned away, members still ask for places. */
  lock_room (host, TRUE);
  wait_updated (watcher, room, "locked", TRUE);
  assert_listed (f, room, "locked", TRUE);
  expect_refused (newcomer, host, room, NULL, "locked");
  canopy_test_client_sendf (b, JOIN_WITH, room, "B", "");
  canopy_test_client_expect (host, "join-request", "peer", b->peer, NULL);
  canopy_test_client_place (host, b, host);
  /* Locked twice is still locked. */
  lock_room (host, TRUE);
  expect_refused (newcomer, host, room, NULL, "locked");

  /* A member that leaves is a newcomer again. */
  canopy_test_client_send (a, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", a->peer, NULL);
  expect_refused (a, host, room, NULL, "locked");

  /* Unlocked: the flag is gone, newcomers get in. */
  lock_room (host, FALSE);
  wait_updated (watcher, room, "locked", FALSE);
  assert_listed (f, room, "locked", FALSE);
  expect_admitted (newcomer, host, room, NULL);
  expect_admitted (a, host, room, NULL);
}

/* An unlisted room locks too: nobody but its host hears. */
static void
test_lock_unlisted (CanopyTestSignal *f,
                    gconstpointer     data)
{
  CanopyTestClient *host, *newcomer, *watcher;
  g_autofree char *room = NULL;

  canopy_test_signal_connect_all (f, &host, &newcomer, &watcher, NULL);
  g_assert_false (canopy_test_client_subscribe (watcher, NULL));
  room = canopy_test_client_create_room (host, "Hidden", FALSE, NULL);
  lock_room (host, TRUE);
  expect_refused (newcomer, host, room, NULL, "locked");
  g_assert_null (canopy_test_signal_directory_entry (f, room));
  canopy_test_client_assert_none (watcher, "room-updated");
  canopy_test_client_assert_none (watcher, "room-added");
}

/* --- passwords --- */

static void
test_password (CanopyTestSignal *f,
               gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *newcomer, *guesser, *watcher;
  g_autoptr (JsonObject) added = NULL;
  g_autoptr (JsonObject) listing = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *listing_text = NULL;
  CanopyTestClient *logged[5];
  GString *logs[5];

  watcher = canopy_test_signal_connect_anonymous (f);
  g_assert_false (canopy_test_client_subscribe (watcher, NULL));
  canopy_test_signal_connect_all (f, &host, &a, &b, &newcomer, &guesser, NULL);
  logged[0] = watcher;
  logged[1] = host;
  logged[2] = a;
  logged[3] = b;
  logged[4] = newcomer;
  for (guint i = 0; i < G_N_ELEMENTS (logged); i++)
    logs[i] = log_client (logged[i]);

  room = create_room_with (host, ",\"password\":\"" PASSWORD "\"", &secret);
  added = canopy_test_client_next (watcher, "room-added");
  g_assert_true (entry_flag (json_object_get_object_member (added, "room"), "password"));
  assert_listed (f, room, "password", TRUE);
  assert_listed (f, room, "locked", FALSE);

  /* Without it, with another, with a part of it, with more: refused, and not a member. */
  expect_refused (newcomer, host, room, NULL, "password");
  expect_refused (newcomer, host, room, OTHER_PASSWORD, "password");
  expect_refused (newcomer, host, room, "\xce\xa9pen-sesame-7731", "password");
  expect_refused (newcomer, host, room, PASSWORD "!", "password");
  canopy_test_spin (2100); /* the join budget refills */
  /* The right one gets in; a member asks again without it. */
  expect_admitted (a, host, room, PASSWORD);
  canopy_test_client_place (host, a, host);
  expect_admitted (b, host, room, PASSWORD);
  canopy_test_client_place (host, b, a);
  canopy_test_client_sendf (b, JOIN_WITH, room, "B", "");
  canopy_test_client_expect (host, "join-request", "peer", b->peer, NULL);
  canopy_test_client_sendf (b, JOIN_WITH, room, "B", ",\"password\":\"" OTHER_PASSWORD "\"");
  canopy_test_client_expect (host, "join-request", "peer", b->peer, NULL);

  /* Guesses are joins: 5 at once, then one a second, the right one too. */
  for (guint i = 0; i < CANOPY_JOIN_BURST; i++)
    send_join_with (guesser, room, OTHER_PASSWORD);
  send_join_with (guesser, room, PASSWORD);
  for (guint i = 0; i < CANOPY_JOIN_BURST; i++)
    canopy_test_client_expect (guesser, "join-rejected", "reason", "password", NULL);
  canopy_test_client_expect_error (guesser, "rate-limited", "join");
  canopy_test_client_assert_none (guesser, "join-rejected");
  canopy_test_client_assert_none (host, "join-request");

  /* Changed by update-room: the old one no longer opens it. */
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"password\":\"" OTHER_PASSWORD "\"}", room, secret);
  canopy_test_client_expect (host, "room-updated", NULL);
  canopy_test_spin (2100);
  expect_refused (newcomer, host, room, PASSWORD, "password");
  expect_admitted (newcomer, host, room, OTHER_PASSWORD);
  canopy_test_client_send (newcomer, "{\"type\":\"leave\"}");
  canopy_test_client_expect (host, "peer-left", "peer", newcomer->peer, NULL);
  assert_listed (f, room, "password", TRUE);

  /* Removed: anybody gets in again, and the directory says so. */
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"password\":\"\"}", room, secret);
  canopy_test_client_expect (host, "room-updated", NULL);
  wait_updated (watcher, room, "password", FALSE);
  assert_listed (f, room, "password", FALSE);
  expect_admitted (newcomer, host, room, NULL);

  /* Nobody ever saw it: not the directory, not its subscribers, not the host, not a member. */
  listing = canopy_test_signal_http_get (f, "/rooms", SOUP_STATUS_OK);
  listing_text = canopy_json_to_string (listing);
  g_assert_null (strstr (listing_text, PASSWORD_PART));
  for (guint i = 0; i < G_N_ELEMENTS (logged); i++) {
    canopy_test_client_ping (logged[i]);
    g_assert_cmpuint (logs[i]->len, >, 0);
    assert_no_password (logs[i], "a client");
  }
}

static void
test_password_input (CanopyTestSignal *f,
                     gconstpointer     data)
{
  CanopyTestClient *host, *other_host, *joiner;
  g_autoptr (JsonObject) entry = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *other = NULL;
  g_autofree char *longest = g_strnfill (CANOPY_PASSWORD_CHARS, 'x');
  g_autofree char *too_long = g_strnfill (CANOPY_PASSWORD_CHARS + 1, 'x');
  g_autoptr (GString) omegas = g_string_new (NULL);
  g_autofree char *too_long_member = g_strdup_printf (",\"password\":\"%s\"", too_long);

  canopy_test_signal_connect_all (f, &host, &other_host, &joiner, NULL);
  for (guint i = 0; i < CANOPY_PASSWORD_CHARS; i++)
    g_string_append (omegas, "\xce\xa9");

  /* create-room: 1 to 64 characters (not bytes), a string. */
  canopy_test_client_sendf_error (host, "too-large", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"T\",\"name\":\"H\","
                                  "\"password\":\"%s\"}", too_long);
  canopy_test_client_sendf_error (host, "too-large", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"T\",\"name\":\"H\","
                                  "\"password\":\"%sx\"}", omegas->str);
  canopy_test_client_sendf_error (host, "bad-message", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"T\",\"name\":\"H\","
                                  "\"password\":\"\"}");
  canopy_test_client_sendf_error (host, "bad-message", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"T\",\"name\":\"H\","
                                  "\"password\":42}");
  canopy_test_client_sendf_error (host, "bad-message", "create-room",
                                  "{\"type\":\"create-room\",\"title\":\"T\",\"name\":\"H\","
                                  "\"password\":[\"x\"]}");
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);
  {
    g_autofree char *extra = g_strdup_printf (",\"password\":\"%s\"", omegas->str);

    room = create_room_with (host, extra, &secret);
  }
  {
    g_autofree char *extra = g_strdup_printf (",\"password\":\"%s\"", longest);

    other = create_room_with (other_host, extra, NULL);
  }

  /* join: the same checks; a wrong one is refused without a word to the host. */
  canopy_test_client_sendf_error (joiner, "too-large", "join", JOIN_WITH, room, "J",
                                  too_long_member);
  canopy_test_client_sendf_error (joiner, "bad-message", "join", JOIN_WITH, room, "J",
                                  ",\"password\":\"\"");
  canopy_test_client_sendf_error (joiner, "bad-message", "join", JOIN_WITH, room, "J",
                                  ",\"password\":true");
  canopy_test_client_assert_none (host, "join-request");
  expect_admitted (joiner, host, room, omegas->str);
  canopy_test_client_send (joiner, "{\"type\":\"leave\"}");
  expect_admitted (joiner, other_host, other, longest);

  /* update-room: the same checks, and nothing applied if one fails. */
  canopy_test_client_sendf_error (host, "too-large", "update-room",
                                  "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                                  "\"title\":\"Changed\",\"password\":\"%s\"}", room, secret,
                                  too_long);
  canopy_test_client_sendf_error (host, "bad-message", "update-room",
                                  "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                                  "\"title\":\"Changed\",\"password\":false}", room, secret);
  canopy_test_client_sendf_error (host, "forbidden", "update-room",
                                  "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                                  "\"password\":\"\"}", room, "00000000000000000000000000000000");
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Guarded");
  g_assert_true (entry_flag (entry, "password"));
}

/* --- a host that resumes brings its room's rules back --- */

static void
test_resume_rules (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *host2, *a2, *b2, *newcomer, *watcher;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *rules = NULL;
  g_autofree char *parent = NULL;
  g_autoptr (JsonObject) entry = NULL;
  GString *logs[3];

  canopy_test_signal_connect_all (f, &host, &a, &b, NULL);
  room = create_room_with (host, ",\"password\":\"" PASSWORD "\"", &secret);
  expect_admitted (a, host, room, PASSWORD);
  canopy_test_client_place (host, a, host);
  expect_admitted (b, host, room, PASSWORD);
  canopy_test_client_sendf (host, KICK, b->peer);
  canopy_test_client_expect (b, "kicked", "room", room, NULL);
  lock_room (host, TRUE);

  /* The server restarts: it knows nothing. The host comes back first, with its rules. */
  canopy_test_signal_restart (f);
  canopy_test_client_wait_closed (host);
  watcher = canopy_test_signal_connect_anonymous (f);
  g_assert_false (canopy_test_client_subscribe (watcher, NULL));
  logs[0] = log_client (watcher);
  host2 = canopy_test_signal_connect_as (f, host->identity);
  logs[1] = log_client (host2);
  rules = g_strdup_printf (",\"password\":\"" PASSWORD "\",\"locked\":true,\"banned\":[\"%s\"]",
                           b->peer);
  canopy_test_client_sendf (host2, RESUME_HOST, host->peer, room, secret, rules);
  canopy_test_client_expect (host2, "resumed", "peer", host->peer, "room", room, NULL);
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_nonnull (entry);
  g_assert_true (entry_flag (entry, "locked"));
  g_assert_true (entry_flag (entry, "password"));
  canopy_test_client_expect (watcher, "room-added", NULL);

  /* Its member comes back (no password in a resume); the removed one does not, by any way. */
  a2 = canopy_test_signal_connect_as (f, a->identity);
  logs[2] = log_client (a2);
  parent = g_strdup_printf (",\"parent\":\"%s\"", host->peer);
  canopy_test_client_sendf (a2, RESUME_MEMBER, a->peer, room, "A", parent);
  canopy_test_client_expect (a2, "resumed", "room", room, NULL);
  canopy_test_client_expect (host2, "peer-resumed", "peer", a->peer, "parent", host->peer, NULL);
  b2 = canopy_test_signal_connect_as (f, b->identity);
  canopy_test_client_sendf_error (b2, "forbidden", "resume", RESUME_MEMBER, b->peer, room, "B",
                                  parent);
  expect_refused (b2, host2, room, PASSWORD, "banned");

  /* Locked: newcomers are turned away, even with the password; a member still asks. */
  newcomer = canopy_test_signal_connect (f);
  expect_refused (newcomer, host2, room, PASSWORD, "locked");
  canopy_test_client_sendf (a2, JOIN_WITH, room, "A", "");
  canopy_test_client_expect (host2, "join-request", "peer", a->peer, NULL);

  /* Unlocked: the password is still needed. */
  lock_room (host2, FALSE);
  expect_refused (newcomer, host2, room, NULL, "password");
  expect_admitted (newcomer, host2, room, PASSWORD);
  for (guint i = 0; i < G_N_ELEMENTS (logs); i++)
    assert_no_password (logs[i], "a client after the restart");
}

/* Into a locked room, or one with a password, `resume` (which carries no password) takes back
 * only a place that was the peer's: a member lost to the server comes back, a stranger does not
 * walk in. After the host's own return every member comes back. */
static void
test_resume_guarded (CanopyTestSignal *f,
                     gconstpointer     data)
{
  CanopyTestClient *host, *a, *b, *stranger, *a2, *host2, *late;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *parent = NULL;

  canopy_test_signal_connect_all (f, &host, &a, &b, &stranger, &late, NULL);
  room = create_room_with (host, "", &secret);
  canopy_test_client_join_place (a, host, room, "A", 1, host);
  canopy_test_client_join_place (b, host, room, "B", 0, a);
  lock_room (host, TRUE);
  parent = g_strdup_printf (",\"parent\":\"%s\"", host->peer);

  /* a reconnects (its key takes its old connection over) and resumes its place. */
  a2 = canopy_test_signal_connect_as (f, a->identity);
  canopy_test_client_wait_closed (a);
  canopy_test_client_sendf (a2, RESUME_MEMBER, a->peer, room, "A", parent);
  canopy_test_client_expect (a2, "resumed", "room", room, NULL);
  canopy_test_client_expect (host, "peer-resumed", "peer", a->peer, NULL);

  /* A stranger cannot. */
  canopy_test_client_sendf_error (stranger, "forbidden", "resume", RESUME_MEMBER, stranger->peer,
                                  room, "S", parent);
  canopy_test_client_assert_none (host, "peer-resumed");

  /* With a password instead of the lock, the same. */
  lock_room (host, FALSE);
  canopy_test_client_sendf (host, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"password\":\"" PASSWORD "\"}", room, secret);
  canopy_test_client_expect (host, "room-updated", NULL);
  canopy_test_client_sendf_error (stranger, "forbidden", "resume", RESUME_MEMBER, stranger->peer,
                                  room, "S", parent);

  /* The host is lost and back: its members come back to the room opened again. */
  host2 = canopy_test_signal_connect_as (f, host->identity);
  canopy_test_client_wait_closed (host);
  canopy_test_client_expect (a2, "room-closed", "reason", "host-lost", NULL);
  canopy_test_client_expect (b, "room-closed", "reason", "host-lost", NULL);
  canopy_test_client_sendf (host2, RESUME_HOST, host->peer, room, secret,
                            ",\"password\":\"" PASSWORD "\",\"locked\":true");
  canopy_test_client_expect (host2, "resumed", "room", room, NULL);
  canopy_test_client_sendf (a2, RESUME_MEMBER, a->peer, room, "A", parent);
  canopy_test_client_expect (a2, "resumed", "room", room, NULL);
  canopy_test_client_sendf (b, RESUME_MEMBER, b->peer, room, "B", "");
  canopy_test_client_expect (b, "resumed", "room", room, NULL);
  expect_refused (late, host2, room, PASSWORD, "locked");

  /* Open again: anybody resumes, as before there were rules. */
  lock_room (host2, FALSE);
  canopy_test_client_sendf (host2, "{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                            "\"password\":\"\"}", room, secret);
  canopy_test_client_expect (host2, "room-updated", NULL);
  canopy_test_client_sendf (stranger, RESUME_MEMBER, stranger->peer, room, "S", "");
  canopy_test_client_expect (stranger, "resumed", "room", room, NULL);
}

/* A host's resume with rules that are wrong opens nothing. */
static void
test_resume_rules_input (CanopyTestSignal *f,
                         gconstpointer     data)
{
  CanopyTestClient *host, *host2;
  g_autofree char *secret = NULL;
  g_autofree char *room = NULL;
  g_autofree char *too_long_password = g_strnfill (CANOPY_PASSWORD_CHARS + 1, 'x');
  g_autofree char *too_long = g_strdup_printf (",\"password\":\"%s\"", too_long_password);
  g_autoptr (GString) too_many = g_string_new (",\"banned\":[\"pfiller0\"");
  const char *bad_message[] = {
    ",\"password\":\"\"",
    ",\"password\":7",
    ",\"locked\":\"yes\"",
    ",\"locked\":1",
    ",\"banned\":\"pabc\"",
    ",\"banned\":{}",
    ",\"banned\":[5]",
    ",\"banned\":[\"p!\"]",
    ",\"banned\":[\"\"]",
    ",\"banned\":[\"pok\",null]",
    ",\"banned\":[[\"pabc\"]]",
  };

  for (guint i = 1; i <= CANOPY_BANNED_MAX; i++)
    g_string_append_printf (too_many, ",\"pfiller%u\"", i);
  g_string_append_c (too_many, ']');

  room = canopy_test_signal_open_room (f, "Jam", &secret, &host, NULL);
  host2 = canopy_test_signal_connect_as (f, host->identity);
  canopy_test_client_wait_closed (host);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad_message); i++) {
    g_test_message ("case %u: %s", i, bad_message[i]);
    canopy_test_client_sendf_error (host2, "bad-message", "resume", RESUME_HOST, host->peer, room,
                                    secret, bad_message[i]);
  }
  canopy_test_client_sendf_error (host2, "too-large", "resume", RESUME_HOST, host->peer, room,
                                  secret, too_long);
  canopy_test_client_sendf_error (host2, "too-large", "resume", RESUME_HOST, host->peer, room,
                                  secret, too_many->str);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 0);

  /* Right, the room is back (an empty list, locked false: no rules). */
  canopy_test_client_sendf (host2, RESUME_HOST, host->peer, room, secret,
                            ",\"locked\":false,\"banned\":[]");
  canopy_test_client_expect (host2, "resumed", "room", room, NULL);
  assert_listed (f, room, "locked", FALSE);
  assert_listed (f, room, "password", FALSE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  canopy_test_signal_add ("kick", test_kick);
  canopy_test_signal_add ("kick-joining", test_kick_joining);
  canopy_test_signal_add ("kick-bounded", test_kick_bounded);
  canopy_test_signal_add ("lock", test_lock);
  canopy_test_signal_add ("lock-unlisted", test_lock_unlisted);
  canopy_test_signal_add ("password", test_password);
  canopy_test_signal_add ("password-input", test_password_input);
  canopy_test_signal_add ("resume-rules", test_resume_rules);
  canopy_test_signal_add ("resume-guarded", test_resume_guarded);
  canopy_test_signal_add ("resume-rules-input", test_resume_rules_input);

  return g_test_run ();
}
