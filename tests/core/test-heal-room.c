/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The room's life, with real canopy-signal and canopy-node processes on 127.0.0.1: the host
 * killed (kill -9) or stalled (SIGSTOP), the signalling server killed and restarted on its
 * port or stalled past its ping timeout, two joins racing for one place, late joiners' chat history, and a join of a room that
 * does not exist (test-heal has the tree healing around a lost relay). Each case asserts what
 * the people in the room would see: the room ending or coming back, video again, every chat
 * message once and in order, joins that end, processes that end cleanly. The times measured
 * are printed (g_test_message) and asserted against generous bounds; most viewers count RTP
 * frames (--no-decode) to spare the machine's two cores, one decodes.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "canopy-limits.h"
#include "canopy-test-tree.h"

#define WAIT_S CANOPY_TEST_TREE_WAIT_S

/* --- 1. the host killed --------------------------------------------------------------------- */

#define N_HOSTLESS 3

static void
test_host_killed (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[N_HOSTLESS] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *ended_text = NULL;
  const char *room;
  double ended[N_HOSTLESS];
  gint64 t0;

  host = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (host);
  for (guint i = 0; i < N_HOSTLESS; i++) {
    g_autofree char *name = g_strdup_printf ("h%u", i);

    viewers[i] = canopy_test_tree_join_viewer (url, room, name, 2, FALSE);
  }
  g_assert_cmpint (canopy_test_tree_depth_of (viewers[N_HOSTLESS - 1]), ==, 2);
  canopy_test_tree_wait_playing (viewers, N_HOSTLESS);

  t0 = g_get_monotonic_time ();
  canopy_test_proc_signal (host, SIGKILL);
  canopy_test_tree_wait_all (viewers, N_HOSTLESS, canopy_test_tree_has_left, NULL, t0, ended,
                             WAIT_S, "the viewers' end");
  ended_text = canopy_test_tree_list_ms (viewers, ended, N_HOSTLESS);
  g_test_message ("after the host's kill -9 every viewer ended: %s", ended_text);
  for (guint i = 0; i < N_HOSTLESS; i++) {
    JsonObject *left;

    canopy_test_wait_exit (viewers[i], WAIT_S);
    left = canopy_test_proc_last_event (viewers[i], "left");
    if (left == NULL)
      g_error ("%s exited (status %d) without a left event, after %u events", viewers[i]->name,
               viewers[i]->exit_status, viewers[i]->events->len);
    g_assert_cmpstr (json_object_get_string_member (left, "reason"), ==, "room-closed");
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
    g_assert_cmpfloat (ended[i], <, 10000);
  }
  canopy_test_wait_exit (host, WAIT_S);
  canopy_test_tree_free_all (viewers, N_HOSTLESS);
}

/* --- 1a. the host leaving while a stopped child's data channels are full --------------------- */

/* A child that acknowledges nothing (stopped, or dead before the server noticed) lets the SCTP
 * send buffer toward it fill up; GStreamer 1.22.0's sctpenc then loops in a streaming thread
 * until a flush, and closing the edge waited for that thread for ever (the main loop stuck,
 * no `left`, the server closing the node for unanswered pings: seen in CI at a room's end).
 * The host says ~2.8 MB of chat to a stopped child, then leaves: it must end at once. */
static void
test_host_leaves_stuck_child (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[1] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *filler = g_strnfill (1900, 'x');
  const char *room;

  host = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (host);
  viewers[0] = canopy_test_tree_join_viewer (url, room, "stuck", 0, FALSE);
  canopy_test_tree_wait_playing (viewers, 1);
  canopy_test_proc_signal (viewers[0], SIGSTOP);
  /* In batches smaller than a pipe's buffer (the write blocks until the host reads it), with
   * everybody's output read between them. */
  for (guint i = 0; i < 60; i++) {
    for (guint j = 0; j < 25; j++) {
      g_autofree char *line = g_strdup_printf ("%u %s", i * 25 + j, filler);

      canopy_test_proc_write_line (host, line);
    }
    canopy_test_spin (30);
  }
  canopy_test_proc_signal (host, SIGTERM);
  canopy_test_wait_exit (host, WAIT_S);
  g_assert_nonnull (canopy_test_proc_last_event (host, "left"));
  g_assert_cmpint (host->exit_status, ==, 0);
  canopy_test_proc_signal (viewers[0], SIGCONT);
  canopy_test_wait_exit (viewers[0], WAIT_S);
  canopy_test_tree_free_all (viewers, 1);
}

/* --- 1b. the host stalled (SIGSTOP) a few seconds, then going on ---------------------------- */

/* A host frozen for a moment (a laptop swapping, a debugger) looks silent to its children.
 * They wait for it (the host is the room's only source; its crash would end the room through
 * the server), but only for CANOPY_HOST_SILENCE_MS: a host still on the server that says nothing
 * to a child for longer has dropped it (a shed child whose bye was lost sat under it for good),
 * so they ask for a place again. Either way, once it runs again the room must come back:
 * nobody may be kept out of the room because the host itself was silent. @data: how long the
 * host is stopped, in ms. */
static void
test_host_stalled (gconstpointer data)
{
  guint stop_ms = GPOINTER_TO_UINT (data);
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) newcomer = NULL;
  CanopyTestProc *viewers[N_HOSTLESS] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *again_text = NULL;
  g_autofree guint *marks = NULL;
  const char *room;
  double again[N_HOSTLESS];
  gboolean under_host[N_HOSTLESS];
  gint64 t0;

  host = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (host);
  for (guint i = 0; i < N_HOSTLESS; i++) {
    g_autofree char *name = g_strdup_printf ("f%u", i);

    viewers[i] = canopy_test_tree_join_viewer (url, room, name, 2, FALSE);
  }
  canopy_test_tree_wait_playing (viewers, N_HOSTLESS);

  for (guint i = 0; i < N_HOSTLESS; i++)
    under_host[i] = canopy_test_tree_depth_of (viewers[i]) == 1;
  canopy_test_proc_signal (host, SIGSTOP);
  canopy_test_spin (stop_ms);
  marks = canopy_test_tree_mark_events (viewers, N_HOSTLESS);
  t0 = g_get_monotonic_time ();
  canopy_test_proc_signal (host, SIGCONT);
  canopy_test_tree_wait_frames_again (viewers, N_HOSTLESS, marks, t0, again,
                                      "frames after the host went on");
  again_text = canopy_test_tree_list_ms (viewers, again, N_HOSTLESS);
  g_test_message ("after a %u ms SIGSTOP of the host, frames again: %s", stop_ms, again_text);
  for (guint i = 0; i < N_HOSTLESS; i++) {
    guint joined = canopy_test_proc_count_events (viewers[i], "joined");

    g_test_message ("%s: %u joined events", viewers[i]->name, joined);
    /* Past the host's silence limit its children asked for a place again; before it, none. */
    if (under_host[i])
      g_assert_cmpuint (joined, ==, stop_ms > CANOPY_HOST_SILENCE_MS + 1000 ? 2 : 1);
  }
  canopy_test_tree_assert_still_in (viewers, N_HOSTLESS);

  /* And the room takes newcomers again. */
  newcomer = canopy_test_tree_join_viewer (url, room, "newcomer", 2, FALSE);
  canopy_test_tree_wait_playing (&newcomer, 1);
  canopy_test_tree_assert_still_in (viewers, N_HOSTLESS);

  canopy_test_tree_end_room (host, viewers, N_HOSTLESS);
  for (guint i = 0; i < N_HOSTLESS; i++)
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
  canopy_test_wait_exit (newcomer, WAIT_S);
  g_assert_cmpint (newcomer->exit_status, ==, 0);
  canopy_test_tree_free_all (viewers, N_HOSTLESS);
}

/* --- 2. the signalling server killed and restarted on its port ---------------------------- */

#define N_RESTART 3

typedef struct {
  guint port;
  const char *room;
} Listed;

static gboolean
room_listed (gpointer user_data)
{
  Listed *l = user_data;
  g_autofree char *body = canopy_test_http_get (l->port, "/rooms");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *rooms;

  if (body == NULL || !json_parser_load_from_data (parser, body, -1, NULL)) {
    canopy_test_spin (200);
    return FALSE;
  }
  rooms = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "rooms");
  for (guint i = 0; rooms != NULL && i < json_array_get_length (rooms); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (rooms, i),
                                                  "room"), l->room) == 0)
      return TRUE;
  canopy_test_spin (200);
  return FALSE;
}

/* The server is back (restarted, or woken up): the room is listed again under its id, the
 * peers took their ids and places back (nobody joined again), and a newcomer gets in; it is
 * put in @viewers[@n]. Ends the room. */
static void
assert_room_back (CanopyTestProc  *host,
                  CanopyTestProc **viewers,
                  guint            n,
                  const char      *url,
                  const char      *room,
                  gint64           t0)
{
  guint port = canopy_test_url_port (url);
  Listed listed = { port, room };
  CanopyTestTreeMapExpect expect;
  CanopyTestProc *newcomer;

  g_assert_true (canopy_test_wait (room_listed, &listed, WAIT_S));
  g_test_message ("room listed again %.0f ms after the server came back",
                  (g_get_monotonic_time () - t0) / 1000.0);

  viewers[n] = newcomer = canopy_test_tree_spawn_viewer (url, room, "newcomer", 2, FALSE);
  canopy_test_proc_wait_events (newcomer, "joined", NULL, NULL, 1, WAIT_S);
  g_test_message ("a newcomer joined %.0f ms after the server came back",
                  (g_get_monotonic_time () - t0) / 1000.0);
  canopy_test_proc_wait_events (newcomer, "first-frame", NULL, NULL, 1, WAIT_S);
  canopy_test_tree_wait_playing (&newcomer, 1);
  expect = (CanopyTestTreeMapExpect) { viewers, n + 1, NULL };
  canopy_test_tree_wait_all (&host, 1, canopy_test_tree_map_is_right, &expect, t0, NULL, WAIT_S,
                             "the host's map of everyone and the newcomer");
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (canopy_test_proc_count_events (viewers[i], "joined"), ==, 1);
  canopy_test_tree_assert_still_in (viewers, n + 1);
  {
    g_autofree char *health = canopy_test_http_get (port, "/health");
    g_autofree char *peers = g_strdup_printf ("\"peers\":%u", n + 2);

    g_test_message ("health: %s", health);
    g_assert_nonnull (health);
    g_assert_nonnull (strstr (health, peers));
  }

  canopy_test_tree_end_room (host, viewers, n + 1);
  for (guint i = 0; i < n + 1; i++)
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (viewers, n + 1);
}

/* A room of a host and N_RESTART viewers, playing and listed on @url's server. */
static char *
start_listed_room (const char      *url,
                   CanopyTestProc **host,
                   CanopyTestProc **viewers)
{
  Listed listed = { canopy_test_url_port (url), NULL };
  char *room;

  *host = canopy_test_tree_spawn_host (url, 2, 2, TRUE);
  room = g_strdup (canopy_test_tree_room_of (*host));
  for (guint i = 0; i < N_RESTART; i++) {
    g_autofree char *name = g_strdup_printf ("r%u", i);

    viewers[i] = canopy_test_tree_join_viewer (url, room, name, 2, i == 0);
  }
  canopy_test_tree_wait_playing (viewers, N_RESTART);
  listed.room = room;
  g_assert_true (canopy_test_wait (room_listed, &listed, WAIT_S));
  return room;
}

/* Each viewer counts at least @min frames between now and @ms later, and nobody ended. */
static void
assert_streams_on (CanopyTestProc  *host,
                   CanopyTestProc **viewers,
                   guint            ms,
                   gint64           min,
                   const char      *what)
{
  gint64 before[N_RESTART];

  for (guint i = 0; i < N_RESTART; i++)
    before[i] = canopy_test_tree_frames_of (viewers[i]);
  canopy_test_spin (ms);
  for (guint i = 0; i < N_RESTART; i++) {
    g_test_message ("%s: %" G_GINT64_FORMAT " frames %s", viewers[i]->name,
                    canopy_test_tree_frames_of (viewers[i]) - before[i], what);
    g_assert_cmpint (canopy_test_tree_frames_of (viewers[i]) - before[i], >=, min);
  }
  canopy_test_tree_assert_still_in (viewers, N_RESTART);
  g_assert_false (host->exited);
}

static void
test_server_restarted (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) again = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[N_RESTART + 1] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *url_again = NULL;
  g_autofree char *room = start_listed_room (url, &host, viewers);
  g_autofree guint *marks = NULL;
  gint64 t0;

  /* The server dies: the tree streams on. */
  canopy_test_proc_signal (server, SIGKILL);
  canopy_test_wait_exit (server, WAIT_S);
  marks = canopy_test_tree_mark_events (viewers, N_RESTART);
  t0 = g_get_monotonic_time ();
  canopy_test_tree_wait_frames_again (viewers, N_RESTART, marks, t0, NULL,
                                      "frames without the server");
  /* 90 frames at 30 fps; the decoding one may fall behind on a loaded machine, but it plays. */
  assert_streams_on (host, viewers, 3000, 30, "in 3 s without the server");

  /* Back on the same port. */
  t0 = g_get_monotonic_time ();
  url_again = canopy_test_start_server_at (&again, canopy_test_url_port (url));
  g_assert_cmpstr (url_again, ==, url);
  assert_room_back (host, viewers, N_RESTART, url, room, t0);
  canopy_test_proc_signal (again, SIGTERM);
  canopy_test_wait_exit (again, WAIT_S);
  g_assert_cmpint (again->exit_status, ==, 0);
}

/* --- 2b. the signalling server unreachable for longer than its ping timeout --------------- */

/* The server stopped (SIGSTOP) for longer than its keepalive closes silent connections (the
 * config makes that 3 s instead of 45, the same code): to the server every peer went silent,
 * as in a network outage, and when it runs again it closes them all, the host's too. The room
 * must stream on meanwhile and come back as after a restart. */
static void
test_server_stalled (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[N_RESTART + 1] = { NULL };
  g_autofree char *dir = g_dir_make_tmp ("canopy-stall-XXXXXX", NULL);
  g_autofree char *config = g_build_filename (dir, "signal.conf", NULL);
  g_autofree char *url = NULL;
  g_autofree char *room = NULL;
  gint64 t0;

  g_assert_true (g_file_set_contents (config, "[server]\nkeepalive=1\n", -1, NULL));
  url = canopy_test_start_server_with (&server, 0, config);
  room = start_listed_room (url, &host, viewers);

  canopy_test_proc_signal (server, SIGSTOP);
  assert_streams_on (host, viewers, 6000, 60, "in 6 s with the server stopped");
  t0 = g_get_monotonic_time ();
  canopy_test_proc_signal (server, SIGCONT);
  /* The server wakes up to connections silent past its limit (those that sent nothing during
   * the stall) and closes them within a keepalive period: until then the room may still be
   * listed from before. */
  canopy_test_spin (4000);
  assert_room_back (host, viewers, N_RESTART, url, room, t0);
  g_assert_false (server->exited);
  canopy_test_proc_signal (server, SIGTERM);
  canopy_test_wait_exit (server, WAIT_S);
  g_assert_cmpint (server->exit_status, ==, 0);
  g_unlink (config);
  g_rmdir (dir);
}

/* --- 3. two joins racing for a promised place --------------------------------------------- */

static gboolean
join_ended (CanopyTestProc *proc,
            gpointer        data)
{
  return canopy_test_proc_count_events (proc, "joined") > 0 || proc->exited;
}

static void
race_once (const char *url,
           guint       capacity,
           guint       round)
{
  g_autoptr (CanopyTestProc) host = canopy_test_tree_spawn_host (url, 1, 1, FALSE);
  CanopyTestProc *viewers[2] = { NULL };
  const char *room = canopy_test_tree_room_of (host);
  g_autofree char *ended_text = NULL;
  double ended[2];
  gint64 t0;
  guint placed = 0;

  canopy_test_proc_wait_events (host, "map", NULL, NULL, 1, WAIT_S);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < 2; i++) {
    g_autofree char *name = g_strdup_printf ("race%u-%c", round, 'a' + i);

    viewers[i] = canopy_test_tree_spawn_viewer (url, room, name, capacity, FALSE);
  }
  canopy_test_tree_wait_all (viewers, 2, join_ended, NULL, t0, ended, WAIT_S,
                             "a placement or an error");
  ended_text = canopy_test_tree_list_ms (viewers, ended, 2);
  g_test_message ("capacity %u, round %u: %s", capacity, round, ended_text);
  for (guint i = 0; i < 2; i++) {
    g_assert_cmpfloat (ended[i], <, 40000);
    if (canopy_test_proc_count_events (viewers[i], "joined") > 0) {
      placed++;
      continue;
    }
    /* Not placed: a clear error, a "failed" end, exit code 1. */
    {
      JsonObject *error = canopy_test_proc_last_event (viewers[i], "error");
      JsonObject *left = canopy_test_proc_last_event (viewers[i], "left");

      canopy_test_wait_exit (viewers[i], WAIT_S);
      g_assert_nonnull (error);
      g_test_message ("%s: error %s: %s", viewers[i]->name,
                      json_object_get_string_member (error, "code"),
                      json_object_get_string_member (error, "message"));
      g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "room-full");
      g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, "The room is full");
      g_assert_nonnull (left);
      g_assert_cmpstr (json_object_get_string_member (left, "reason"), ==, "failed");
      g_assert_cmpint (viewers[i]->exit_status, ==, 1);
    }
  }
  /* A chain has room for both when the first relays; a host with one place and two viewers
   * that relay nothing has room for one. */
  g_assert_cmpuint (placed, ==, capacity > 0 ? 2 : 1);
  for (guint i = 0; i < 2; i++)
    if (!viewers[i]->exited)
      canopy_test_tree_wait_playing (&viewers[i], 1);
  canopy_test_tree_end_room (host, viewers, 2);
  canopy_test_tree_free_all (viewers, 2);
}

static void
test_join_race (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);

  for (guint round = 0; round < 3; round++) {
    race_once (url, 1, round);
    race_once (url, 0, round);
  }
}

/* --- 4. late joiners' chat history ---------------------------------------------------------- */

#define N_EARLY 20

static void
test_history (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[4] = { NULL };
  g_autofree char *url = (canopy_test_tree_said_reset (), canopy_test_start_server (&server));
  const char *room;
  CanopyTestProc *senders[2];

  host = canopy_test_tree_spawn_host (url, 1, 2, FALSE);
  room = canopy_test_tree_room_of (host);
  for (guint i = 1; i <= N_EARLY; i++)
    canopy_test_tree_say (host, "early %u", i);
  canopy_test_proc_wait_events (host, "chat", NULL, NULL, N_EARLY, WAIT_S);

  /* The first comes after all twenty; it says some of its own before the next comes. */
  viewers[0] = canopy_test_tree_join_viewer (url, room, "late0", 2, FALSE);
  senders[0] = host;
  canopy_test_tree_assert_chat_exactly_once (viewers, 1, senders, 1);
  for (guint i = 1; i <= 10; i++)
    canopy_test_tree_say (viewers[0], "late0 says %u", i);
  canopy_test_proc_wait_events (host, "chat", "text", "late0 says 10", 1, WAIT_S);
  for (guint i = 1; i <= 5; i++)
    canopy_test_tree_say (host, "between %u", i);

  /* Three more, at depth 2 and 3 (k1 = 1): history through the relays' own history. */
  for (guint i = 1; i < 4; i++) {
    g_autofree char *name = g_strdup_printf ("late%u", i);

    viewers[i] = canopy_test_tree_join_viewer (url, room, name, 2, FALSE);
    g_assert_cmpint (canopy_test_tree_depth_of (viewers[i]), >=, 2);
  }
  senders[1] = viewers[0];
  canopy_test_tree_assert_chat_exactly_once (viewers, 4, senders, 2);
  {
    CanopyTestProc *everyone[5] = { host, viewers[0], viewers[1], viewers[2], viewers[3] };

    canopy_test_tree_assert_chat_exactly_once (everyone, 5, senders, 2);
  }
  /* In order of saying, within each origin: the host's text numbers too. */
  for (guint i = 0; i < 4; i++) {
    guint early = 0;

    for (guint j = 0; j < viewers[i]->events->len; j++) {
      JsonObject *o = g_ptr_array_index (viewers[i]->events, j);
      const char *text = json_object_get_string_member_with_default (o, "text", "");
      g_autofree char *expected = NULL;

      if (!g_str_has_prefix (text, "early "))
        continue;
      early++;
      expected = g_strdup_printf ("early %u", early);
      g_assert_cmpstr (text, ==, expected);
    }
    g_assert_cmpuint (early, ==, N_EARLY);
  }

  canopy_test_tree_end_room (host, viewers, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (viewers, 4);
}

/* --- 5. a room that does not exist ---------------------------------------------------------- */

static void
test_unknown_room (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);

  for (guint i = 0; i < 10; i++) {
    g_autoptr (CanopyTestProc) viewer = canopy_test_tree_spawn_viewer (url, "zzzzzzzz", "lost", 2,
                                                                       FALSE);
    JsonObject *error;

    canopy_test_wait_exit (viewer, WAIT_S);
    g_assert_true (viewer->exited);
    /* 1, not a signal's 128 + N (a crash in the exit handlers). */
    g_assert_cmpint (viewer->exit_status, ==, 1);
    error = canopy_test_proc_last_event (viewer, "error");
    g_assert_nonnull (error);
    g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unknown-room");
    g_assert_cmpstr (json_object_get_string_member (canopy_test_proc_last_event (viewer, "left"),
                                                    "reason"), ==, "failed");
  }
  canopy_test_proc_signal (server, SIGTERM);
  canopy_test_wait_exit (server, WAIT_S);
  g_assert_cmpint (server->exit_status, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heal/host-killed", test_host_killed);
  g_test_add_func ("/heal/host-leaves-stuck-child", test_host_leaves_stuck_child);
  g_test_add_data_func ("/heal/host-stalled", GUINT_TO_POINTER (3000), test_host_stalled);
  g_test_add_data_func ("/heal/host-silent", GUINT_TO_POINTER (CANOPY_HOST_SILENCE_MS + 3000),
                        test_host_stalled);
  g_test_add_func ("/heal/server-restarted", test_server_restarted);
  g_test_add_func ("/heal/server-stalled", test_server_stalled);
  g_test_add_func ("/heal/join-race", test_join_race);
  g_test_add_func ("/heal/late-joiners-history", test_history);
  g_test_add_func ("/heal/unknown-room", test_unknown_room);
  return g_test_run ();
}
