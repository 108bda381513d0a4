/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Files through a real tree: canopy-signal, a host and viewers as separate canopy-node
 * processes on 127.0.0.1. A file shared by a viewer at depth 2 reaches the host and every other
 * viewer with the same bytes (SHA-256 of what each received), each one's progress never going
 * back, and a viewer that joins afterwards gets it from its parent's store; a relay killed
 * (SIGKILL) in the middle of a transfer, and its subtree still completes,
 * resuming rather than starting over; a relay that alters every chunk it passes on, and its
 * children refuse them, leave it and complete the file from an honest relay. A viewer that takes
 * no files is sent no chunk; a cancel by the sender stops the file everywhere, a forged one is
 * refused everywhere, the host's cancel works on anyone's file; the host's policy (off, a
 * limit) reaches every viewer and is enforced against a hostile offer; a stopped relay's subtree
 * completes under a new parent.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "canopy-test-files.h"
#include "canopy-test-tree.h"

#define WAIT_S CANOPY_TEST_TREE_WAIT_S

/* A viewer that shares @path once it joined. */
static CanopyTestProc *
spawn_sharer (const char *url,
              const char *room,
              const char *path)
{
  const char *argv[] = {
    canopy_test_binary ("CANOPY_NODE"), "join", room, "--server", url, "--name", "sharer",
    "--capacity", "2", "--events", "--no-decode", "--share", path, NULL
  };

  return canopy_test_tree_spawn_in (NULL, "sharer", argv);
}

/* Host and four viewers, k1 = k = 2: the sharer joins last, at depth 2. Then a late joiner. */
static void
test_reaches_everyone (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  g_autofree char *path = canopy_test_files_make (3 * 1024 * 1024 + 123, &sha256);
  CanopyTestProc *procs[5] = { NULL };
  CanopyTestProc *sharer;
  const char *room;
  gint64 start;
  double at_ms[4];

  procs[0] = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (procs[0]);
  for (guint i = 1; i < 4; i++) {
    g_autofree char *name = g_strdup_printf ("v%u", i);

    procs[i] = canopy_test_tree_join_viewer (url, room, name, 2, FALSE);
  }
  start = g_get_monotonic_time ();
  procs[4] = sharer = spawn_sharer (url, room, path);
  canopy_test_proc_wait_events (sharer, "joined", NULL, NULL, 1, WAIT_S);
  g_test_message ("sharer at depth %" G_GINT64_FORMAT, canopy_test_tree_depth_of (sharer));
  g_assert_cmpint (canopy_test_tree_depth_of (sharer), ==, 2);

  canopy_test_tree_wait_all (procs, 4, canopy_test_files_has_file, NULL, start, at_ms, WAIT_S,
                             "the file");
  for (guint i = 0; i < 4; i++) {
    JsonObject *offered = canopy_test_proc_last_event (procs[i], "file-offered");

    g_assert_nonnull (offered);
    g_assert_cmpstr (json_object_get_string_member (offered, "name"), ==, "clip.bin");
    canopy_test_files_assert_complete (procs[i], sha256, 3 * 1024 * 1024 + 123);
  }
  {
    g_autofree char *list = canopy_test_tree_list_ms (procs, at_ms, 4);

    g_test_message ("3 MiB complete at (ms from the sharer's start): %s", list);
  }
  /* The files of the last minutes wait in every node's store for whoever comes. */
  {
    g_autoptr (CanopyTestProc) late = canopy_test_tree_join_viewer (url, room, "late", 2, FALSE);
    CanopyTestProc *one[1] = { late };
    double late_ms;

    start = g_get_monotonic_time ();
    canopy_test_tree_wait_all (one, 1, canopy_test_files_has_file, NULL, start, &late_ms, WAIT_S,
                               "the file, joining late");
    canopy_test_files_assert_complete (late, sha256, 3 * 1024 * 1024 + 123);
    g_test_message ("a late joiner at depth %" G_GINT64_FORMAT " had it %.0f ms after joining",
                    canopy_test_tree_depth_of (late), late_ms);
    canopy_test_tree_end_room (procs[0], one, 1);
  }
  for (guint i = 1; i < 5; i++)
    canopy_test_wait_exit (procs[i], WAIT_S);
  canopy_test_tree_free_all (procs, 5);
  canopy_test_files_remove (path);
}

/* A host (k1 = k = @k) or a viewer (with --no-decode, once joined) with the tree helpers'
 * usual arguments and @extra (NULL-terminated, or NULL). */
static CanopyTestProc *
spawn_with (const char        *url,
            const char        *room,
            const char        *name,
            guint              k,
            const char *const *extra)
{
  g_autofree char *k_text = g_strdup_printf ("%u", k);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  CanopyTestProc *proc;

  g_ptr_array_add (argv, (gpointer) canopy_test_binary ("CANOPY_NODE"));
  if (room == NULL) {
    const char *args[] = { "host", "--server", url, "--title", "Files", "--name", "host",
                           "--k1", k_text, "--k", k_text, "--width", "320", "--height", "240",
                           "--bitrate", "400", "--unlisted", "--events", "--chat-stdin" };

    for (guint i = 0; i < G_N_ELEMENTS (args); i++)
      g_ptr_array_add (argv, (gpointer) args[i]);
  } else {
    const char *args[] = { "join", room, "--server", url, "--name", name, "--capacity", k_text,
                           "--no-decode", "--events", "--chat-stdin" };

    for (guint i = 0; i < G_N_ELEMENTS (args); i++)
      g_ptr_array_add (argv, (gpointer) args[i]);
  }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  proc = canopy_test_tree_spawn_in (NULL, name, (const char *const *) argv->pdata);
  if (room != NULL)
    canopy_test_proc_wait_events (proc, "joined", NULL, NULL, 1, WAIT_S);
  return proc;
}

static void
share_from (CanopyTestProc *proc,
            const char     *path)
{
  g_autofree char *command = g_strdup_printf ("/share %s", path);

  canopy_test_proc_write_line (proc, command);
}

typedef struct {
  CanopyTestProc *proc;
  gint64 bytes;
} BytesAbove;

static gboolean
bytes_above (gpointer user_data)
{
  BytesAbove *b = user_data;

  return canopy_test_files_bytes_of (b->proc) > b->bytes || b->proc->exited;
}

/* A chain host -> relay -> a -> b (k1 = k = 1). The host shares 6 MiB; when b holds an eighth
 * of it the relay is killed (SIGKILL) or stopped (SIGSTOP, resumed at the end); a re-attaches
 * under the host and, with b below it, completes the file from where it was. */
static void
relay_fails (int signum)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  const gint64 size = 6 * 1024 * 1024;
  g_autofree char *path = canopy_test_files_make (size, &sha256);
  CanopyTestProc *procs[4] = { NULL };
  CanopyTestProc *subtree[2];
  BytesAbove some;
  gint64 start, a_before;
  double at_ms[2];
  const char *room;

  procs[0] = spawn_with (url, NULL, "host", 1, NULL);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = spawn_with (url, room, "relay", 1, NULL);
  procs[2] = spawn_with (url, room, "a", 1, NULL);
  procs[3] = spawn_with (url, room, "b", 1, NULL);
  g_assert_cmpint (canopy_test_tree_depth_of (procs[3]), ==, 3);
  subtree[0] = procs[2];
  subtree[1] = procs[3];

  start = g_get_monotonic_time ();
  share_from (procs[0], path);
  some.proc = procs[3];
  some.bytes = size / 8;
  canopy_test_wait_for (bytes_above, &some, WAIT_S, "b holds an eighth of the file");
  a_before = canopy_test_files_bytes_of (procs[2]);
  g_assert_cmpint (a_before, <, size);
  canopy_test_proc_signal (procs[1], signum);

  canopy_test_tree_wait_all (subtree, 2, canopy_test_files_has_file, NULL, start, at_ms, WAIT_S,
                             "the file after the relay failed");
  for (guint i = 0; i < 2; i++)
    canopy_test_files_assert_complete (subtree[i], sha256, size);
  /* a's new parent is the host. */
  g_assert_cmpint (canopy_test_tree_depth_of (procs[2]), ==, 1);
  g_test_message ("6 MiB complete at %.0f and %.0f ms (relay %s at a's %" G_GINT64_FORMAT
                  " bytes)", at_ms[0], at_ms[1], signum == SIGKILL ? "killed" : "stopped",
                  a_before);
  if (signum == SIGKILL) {
    canopy_test_wait_exit (procs[1], WAIT_S);
    canopy_test_tree_end_room (procs[0], subtree, 2);
  } else {
    canopy_test_proc_signal (procs[1], SIGCONT);
    canopy_test_tree_end_room (procs[0], procs + 1, 3);
  }
  canopy_test_tree_free_all (procs, 4);
  canopy_test_files_remove (path);
}

static void
test_relay_killed (void)
{
  relay_fails (SIGKILL);
}

static void
test_relay_stopped (void)
{
  relay_fails (SIGSTOP);
}

static gint64
files_refused_of (CanopyTestProc *proc)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");

  return stats ? json_object_get_int_member (stats, "files_refused") : 0;
}

/* host (k1 = 2) -> tamperer -> c1, c2 and host -> honest. The host shares 4 MiB; the tamperer
 * changes a byte of every chunk. c1 and c2 refuse them, leave it (reporting it), attach under
 * the honest relay and complete the file from there; nobody completes anything else. */
static void
test_tampering_relay (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  const gint64 size = 4 * 1024 * 1024;
  g_autofree char *path = canopy_test_files_make (size, &sha256);
  g_autofree char *command = g_strdup_printf ("/share %s", path);
  CanopyTestProc *procs[5] = { NULL };
  CanopyTestProc *receivers[3];
  const char *tamperer_id, *honest_id;
  gint64 start;
  double at_ms[3];
  const char *room;

  procs[0] = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = canopy_test_tree_join_hostile (url, room, "tamperer", 2, "tamper-file");
  procs[2] = canopy_test_tree_join_viewer (url, room, "honest", 2, FALSE);
  procs[3] = canopy_test_tree_join_viewer (url, room, "c1", 2, FALSE);
  procs[4] = canopy_test_tree_join_viewer (url, room, "c2", 2, FALSE);
  tamperer_id = canopy_test_tree_peer_of (procs[1]);
  honest_id = canopy_test_tree_peer_of (procs[2]);
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[3]), ==, tamperer_id);
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[4]), ==, tamperer_id);
  receivers[0] = procs[2];
  receivers[1] = procs[3];
  receivers[2] = procs[4];

  canopy_test_proc_signal (procs[1], SIGUSR1);
  canopy_test_spin (300);
  start = g_get_monotonic_time ();
  canopy_test_proc_write_line (procs[0], command);
  canopy_test_tree_wait_all (receivers, 3, canopy_test_files_has_file, NULL, start, at_ms, WAIT_S,
                             "the file past a tampering relay");
  for (guint i = 0; i < 3; i++)
    canopy_test_files_assert_complete (receivers[i], sha256, size);
  for (guint i = 1; i < 3; i++) {
    g_assert_cmpstr (canopy_test_tree_parent_of (receivers[i]), ==, honest_id);
    /* Counted once a second: wait for a stats line that has them. */
    canopy_test_proc_wait_events (receivers[i], "stats", NULL, NULL,
                                  canopy_test_proc_count_events (receivers[i], "stats") + 1,
                                  WAIT_S);
    g_assert_cmpint (files_refused_of (receivers[i]), >=, 8);
  }
  g_assert_cmpuint (canopy_test_proc_count_events (procs[1], "file-complete"), ==, 0);
  g_test_message ("4 MiB complete at %.0f (honest), %.0f and %.0f ms (past the tamperer); "
                  "refused %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT " chunks", at_ms[0],
                  at_ms[1], at_ms[2], files_refused_of (receivers[1]),
                  files_refused_of (receivers[2]));
  canopy_test_tree_end_room (procs[0], procs + 1, 4);
  canopy_test_tree_free_all (procs, 5);
  canopy_test_files_remove (path);
}

/* The id of the file @proc was last offered (or shared). */
static const char *
offered_id (CanopyTestProc *proc)
{
  canopy_test_proc_wait_events (proc, "file-offered", NULL, NULL, 1, WAIT_S);
  return json_object_get_string_member (canopy_test_proc_last_event (proc, "file-offered"), "id");
}

/* The bytes of chunk frames @proc sent @peer so far, as its last stats line says. */
static gint64
sent_to (CanopyTestProc *proc,
         const char     *peer)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");
  JsonObject *sent = stats ? json_object_get_object_member (stats, "files_sent") : NULL;

  return sent != NULL && json_object_has_member (sent, peer) ?
         json_object_get_int_member (sent, peer) : -1;
}

/* Every neighbour's bytes together, as @proc's last stats line says. */
static gint64
sent_total (CanopyTestProc *proc)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");
  JsonObject *sent = stats ? json_object_get_object_member (stats, "files_sent") : NULL;
  g_autoptr (GList) members = sent ? json_object_get_members (sent) : NULL;
  gint64 total = 0;

  for (GList *l = members; l != NULL; l = l->next)
    total += json_object_get_int_member (sent, l->data);
  return total;
}

static void
next_stats (CanopyTestProc *proc)
{
  canopy_test_proc_wait_events (proc, "stats", NULL, NULL,
                                canopy_test_proc_count_events (proc, "stats") + 1, WAIT_S);
}

/* host (k1 = 2) -> taker, refuser (--no-files: like a browser, it never asks for a file). The
 * host shares 1 MiB: the taker gets it, and the host's link to the refuser carries no chunk. */
static void
test_no_files (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  const gint64 size = 1024 * 1024 + 7;
  g_autofree char *path = canopy_test_files_make (size, &sha256);
  const char *const no_files[] = { "--no-files", NULL };
  CanopyTestProc *procs[3] = { NULL };
  const char *room;

  procs[0] = spawn_with (url, NULL, "host", 2, NULL);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = spawn_with (url, room, "taker", 2, NULL);
  procs[2] = spawn_with (url, room, "refuser", 2, no_files);
  share_from (procs[0], path);
  canopy_test_tree_wait_all (procs + 1, 1, canopy_test_files_has_file, NULL,
                             g_get_monotonic_time (), NULL, WAIT_S, "the file at the taker");
  canopy_test_files_assert_complete (procs[1], sha256, size);
  /* A second more: whatever was due anywhere went. */
  canopy_test_spin (1000);
  next_stats (procs[0]);
  g_test_message ("the host sent %" G_GINT64_FORMAT " bytes of chunks to the taker, %"
                  G_GINT64_FORMAT " to the refuser",
                  sent_to (procs[0], canopy_test_tree_peer_of (procs[1])),
                  sent_to (procs[0], canopy_test_tree_peer_of (procs[2])));
  g_assert_cmpint (sent_to (procs[0], canopy_test_tree_peer_of (procs[1])), >=, size);
  g_assert_cmpint (sent_to (procs[0], canopy_test_tree_peer_of (procs[2])), ==, 0);
  g_assert_cmpuint (canopy_test_proc_count_events (procs[2], "file-offered"), ==, 0);
  g_assert_cmpuint (canopy_test_proc_count_events (procs[2], "file-progress"), ==, 0);
  canopy_test_tree_end_room (procs[0], procs + 1, 2);
  canopy_test_tree_free_all (procs, 3);
  canopy_test_files_remove (path);
}

static gboolean
has_failed (CanopyTestProc *proc,
            gpointer        data)
{
  return canopy_test_proc_count_events (proc, "file-failed") > 0 || proc->exited;
}

/* Nothing about the file after it failed: no progress, no completion. */
static void
assert_cancelled (CanopyTestProc *proc,
                  gint64          size)
{
  gboolean failed = FALSE;

  for (guint i = 0; i < proc->events->len; i++) {
    JsonObject *event = g_ptr_array_index (proc->events, i);
    const char *name = json_object_get_string_member (event, "event");

    if (g_str_equal (name, "file-failed")) {
      g_assert_cmpstr (json_object_get_string_member (event, "reason"), ==, "cancelled");
      failed = TRUE;
    } else if (failed && g_str_equal (name, "file-progress")) {
      g_error ("%s: progress after the cancel", proc->name);
    }
  }
  g_assert_true (failed);
  g_assert_cmpuint (canopy_test_proc_count_events (proc, "file-complete"), ==, 0);
  g_assert_cmpint (canopy_test_files_bytes_of (proc), <, size);
}

/* A chain host -> r -> sharer -> b (k1 = k = 1). The sharer shares 8 MiB and cancels it when b
 * holds an eighth: every node says cancelled, none completes, and no chunk moves after. */
static void
test_cancel (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  const gint64 size = 8 * 1024 * 1024;
  g_autofree char *path = canopy_test_files_make (size, &sha256);
  g_autofree char *command = NULL;
  CanopyTestProc *procs[4] = { NULL };
  CanopyTestProc *receivers[3];
  BytesAbove some;
  gint64 totals[4];
  double at_ms[3];
  gint64 start;
  const char *room;

  procs[0] = spawn_with (url, NULL, "host", 1, NULL);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = spawn_with (url, room, "r", 1, NULL);
  procs[2] = spawn_with (url, room, "sharer", 1, NULL);
  procs[3] = spawn_with (url, room, "b", 1, NULL);
  g_assert_cmpint (canopy_test_tree_depth_of (procs[3]), ==, 3);
  receivers[0] = procs[0];
  receivers[1] = procs[1];
  receivers[2] = procs[3];

  share_from (procs[2], path);
  some.proc = procs[3];
  some.bytes = size / 8;
  canopy_test_wait_for (bytes_above, &some, WAIT_S, "b holds an eighth of the file");
  command = g_strdup_printf ("/cancel %s", offered_id (procs[2]));
  start = g_get_monotonic_time ();
  canopy_test_proc_write_line (procs[2], command);
  canopy_test_tree_wait_all (receivers, 3, has_failed, NULL, start, at_ms, WAIT_S,
                             "the cancel");
  for (guint i = 0; i < 3; i++)
    assert_cancelled (receivers[i], size);
  canopy_test_proc_wait_events (procs[2], "file-failed", "reason", "cancelled", 1, WAIT_S);
  {
    g_autofree char *list = canopy_test_tree_list_ms (receivers, at_ms, 3);

    g_test_message ("cancelled at b's %" G_GINT64_FORMAT " bytes; told (ms): %s",
                    canopy_test_files_bytes_of (procs[3]), list);
  }
  /* Sending stopped: two stats lines later, nobody sent a byte more. */
  for (guint i = 0; i < 4; i++) {
    next_stats (procs[i]);
    totals[i] = sent_total (procs[i]);
  }
  canopy_test_spin (2000);
  for (guint i = 0; i < 4; i++) {
    next_stats (procs[i]);
    g_assert_cmpint (sent_total (procs[i]), ==, totals[i]);
  }
  g_test_message ("chunk bytes sent in all: host %" G_GINT64_FORMAT ", r %" G_GINT64_FORMAT
                  ", sharer %" G_GINT64_FORMAT ", b %" G_GINT64_FORMAT " (of %" G_GINT64_FORMAT
                  " per link)", totals[0], totals[1], totals[2], totals[3], size);
  g_assert_cmpint (totals[2], <, 2 * size);
  canopy_test_tree_end_room (procs[0], procs + 1, 3);
  canopy_test_tree_free_all (procs, 4);
  canopy_test_files_remove (path);
}

/* host (k1 = 2) -> forger, honest; forger -> c1, c2. Once its children hold some of the host's
 * 4 MiB, the forger sends everyone cancels nobody may send: every one is refused and counted,
 * and everybody completes. Then the host, as moderation, cancels it: everybody says so. */
static void
test_forged_cancel (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  const gint64 size = 4 * 1024 * 1024;
  g_autofree char *path = canopy_test_files_make (size, &sha256);
  g_autofree char *command = NULL;
  CanopyTestProc *procs[5] = { NULL };
  CanopyTestProc *receivers[4];
  BytesAbove some;
  double at_ms[4];
  const char *room;

  procs[0] = spawn_with (url, NULL, "host", 2, NULL);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = canopy_test_tree_join_hostile (url, room, "forger", 2, "forge-cancel");
  procs[2] = spawn_with (url, room, "honest", 2, NULL);
  procs[3] = spawn_with (url, room, "c1", 2, NULL);
  procs[4] = spawn_with (url, room, "c2", 2, NULL);
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[3]), ==, canopy_test_tree_peer_of (procs[1]));
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[4]), ==, canopy_test_tree_peer_of (procs[1]));
  for (guint i = 0; i < 4; i++)
    receivers[i] = procs[i + 1];

  share_from (procs[0], path);
  some.proc = procs[4];
  some.bytes = 0;
  canopy_test_wait_for (bytes_above, &some, WAIT_S, "c2 holds some of the file");
  canopy_test_proc_signal (procs[1], SIGUSR1);
  canopy_test_tree_wait_all (receivers, 4, canopy_test_files_has_file, NULL,
                             g_get_monotonic_time (), at_ms, WAIT_S, "the file past forged cancels");
  for (guint i = 0; i < 4; i++)
    canopy_test_files_assert_complete (receivers[i], sha256, size);
  for (guint i = 0; i < 3; i++) {
    CanopyTestProc *proc = i == 0 ? procs[0] : procs[i + 2];

    next_stats (proc);
    g_test_message ("%s refused %" G_GINT64_FORMAT, proc->name, files_refused_of (proc));
    g_assert_cmpint (files_refused_of (proc), >=, 3);
  }
  /* c1 and c2 still under the forger: three refusals do not make a forger of a parent. */
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[3]), ==, canopy_test_tree_peer_of (procs[1]));

  command = g_strdup_printf ("/cancel %s", offered_id (procs[0]));
  canopy_test_proc_write_line (procs[0], command);
  canopy_test_tree_wait_all (receivers, 4, has_failed, NULL, g_get_monotonic_time (), at_ms,
                             WAIT_S, "the host's cancel");
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (json_object_get_string_member (
                       canopy_test_proc_last_event (receivers[i], "file-failed"), "reason"),
                     ==, "cancelled");
  canopy_test_tree_end_room (procs[0], procs + 1, 4);
  canopy_test_tree_free_all (procs, 5);
  canopy_test_files_remove (path);
}

typedef struct {
  gboolean allowed;
  gint64 max;
} Policy;

static gboolean
has_policy (CanopyTestProc *proc,
            gpointer        data)
{
  Policy *policy = data;

  for (guint i = 0; i < proc->events->len; i++) {
    JsonObject *event = g_ptr_array_index (proc->events, i);

    if (g_str_equal (json_object_get_string_member (event, "event"), "file-policy") &&
        json_object_get_boolean_member (event, "allowed") == policy->allowed &&
        json_object_get_int_member (event, "max") == policy->max)
      return TRUE;
  }
  return proc->exited;
}

static void
assert_share_refused (CanopyTestProc *proc,
                      const char     *path,
                      const char     *code)
{
  share_from (proc, path);
  canopy_test_proc_wait_events (proc, "file-failed", "code", code, 1, WAIT_S);
  g_test_message ("%s: %s", code, json_object_get_string_member (
                    canopy_test_proc_find_event (proc, "file-failed", "code", code), "reason"));
}

/* host (--files off, k1 = k = 2) -> v1, forcer (a hostile node) -> v2. Every viewer hears the
 * host's policy; v1's share fails at once (files-off), and an offer the forcer makes anyway goes
 * nowhere. Then the host turns files on with a 1 MiB limit: v1's 2 MiB fails (too-large), the
 * forcer's 2 MiB goes nowhere, and v2's 512 KiB reaches everybody. */
static void
test_policy (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *small_sha = NULL, *big_sha = NULL;
  g_autofree char *small = canopy_test_files_make (512 * 1024, &small_sha);
  g_autofree char *big = canopy_test_files_make (2 * 1024 * 1024, &big_sha);
  const char *const files_off[] = { "--files", "off", NULL };
  CanopyTestProc *procs[4] = { NULL };
  CanopyTestProc *others[3];
  Policy off = { FALSE, 100 * 1024 * 1024 }, limited = { TRUE, 1024 * 1024 };
  const char *room;

  procs[0] = spawn_with (url, NULL, "host", 2, files_off);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = spawn_with (url, room, "v1", 2, NULL);
  procs[2] = canopy_test_tree_join_hostile (url, room, "forcer", 2, "force-offer");
  procs[3] = spawn_with (url, room, "v2", 2, NULL);
  g_assert_cmpint (canopy_test_tree_depth_of (procs[3]), ==, 2);
  canopy_test_tree_wait_all (procs + 1, 3, has_policy, &off, g_get_monotonic_time (), NULL,
                             WAIT_S, "the host's policy: files off");
  assert_share_refused (procs[1], small, "files-off");
  canopy_test_proc_signal (procs[2], SIGUSR1);
  canopy_test_spin (2000);
  for (guint i = 0; i < 4; i++)
    if (i != 2)
      g_assert_cmpuint (canopy_test_proc_count_events (procs[i], "file-offered"), ==, 0);

  canopy_test_proc_write_line (procs[0], "/file-limit 1");
  canopy_test_proc_write_line (procs[0], "/files on");
  canopy_test_tree_wait_all (procs + 1, 3, has_policy, &limited, g_get_monotonic_time (), NULL,
                             WAIT_S, "the host's policy: 1 MiB");
  assert_share_refused (procs[1], big, "too-large");
  canopy_test_proc_signal (procs[2], SIGUSR1);
  canopy_test_spin (2000);
  for (guint i = 0; i < 4; i++)
    if (i != 2)
      g_assert_cmpuint (canopy_test_proc_count_events (procs[i], "file-offered"), ==, 0);

  share_from (procs[3], small);
  others[0] = procs[0];
  others[1] = procs[1];
  others[2] = procs[2];
  canopy_test_tree_wait_all (others, 3, canopy_test_files_has_file, NULL, g_get_monotonic_time (),
                             NULL, WAIT_S, "512 KiB under the limit");
  for (guint i = 0; i < 3; i++) {
    JsonObject *complete = canopy_test_proc_last_event (others[i], "file-complete");

    /* (v1's own shares failed before, as they should) */
    g_assert_nonnull (complete);
    g_assert_cmpstr (json_object_get_string_member (complete, "sha256"), ==, small_sha);
    canopy_test_files_assert_progress (others[i], 512 * 1024);
  }
  canopy_test_tree_end_room (procs[0], procs + 1, 3);
  canopy_test_tree_free_all (procs, 4);
  canopy_test_files_remove (small);
  canopy_test_files_remove (big);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file-tree/reaches-everyone", test_reaches_everyone);
  g_test_add_func ("/file-tree/relay-killed", test_relay_killed);
  g_test_add_func ("/file-tree/tampering-relay", test_tampering_relay);
  g_test_add_func ("/file-tree/no-files", test_no_files);
  g_test_add_func ("/file-tree/cancel", test_cancel);
  g_test_add_func ("/file-tree/forged-cancel", test_forged_cancel);
  g_test_add_func ("/file-tree/policy", test_policy);
  g_test_add_func ("/file-tree/relay-stopped", test_relay_stopped);
  return g_test_run ();
}
