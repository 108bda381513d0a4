/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Issue 11's big case: a room of 15 real canopy-node processes (the host and 14 viewers, k1 = k
 * = 2, every viewer decoding its video) on 127.0.0.1. A viewer at depth 2 shares 20 MiB of
 * random bytes at the default file rate; every other peer ends with the same bytes (the SHA-256
 * in its file-complete is the sender's), each one's progress never goes back, and every
 * viewer's video plays on at more than 29 frames a second over the whole transfer (decoded
 * frames from the stats lines, timed by the machine's monotonic clock they carry).
 *
 * Heavy: suites "integration" and "room" only (not "core"), run alone.
 */
#include <string.h>

#include "canopy-test-files.h"
#include "canopy-test-tree.h"

#define VIEWERS 14
#define SIZE (20 * 1024 * 1024)
#define FPS_MIN 29.0
#define SETTLE_MS 4000
/* 10x the ~22 s the transfer took here (README, "Files"). */
#define TRANSFER_S 300

typedef struct {
  double fps;            /* over the span */
  double worst_second;   /* the fewest frames between two stats lines a second apart */
  guint lines;
} Rate;

/* Decoded frames a second from @proc's stats lines whose clock is within [@from, @to] ms. */
static Rate
rate_between (CanopyTestProc *proc,
              gint64          from,
              gint64          to)
{
  Rate rate = { 0, G_MAXDOUBLE, 0 };
  gint64 first_at = -1, first_frames = 0, last_at = -1, last_frames = 0;

  for (guint i = 0; i < proc->events->len; i++) {
    JsonObject *event = g_ptr_array_index (proc->events, i);
    gint64 at, frames;

    if (!g_str_equal (json_object_get_string_member (event, "event"), "stats"))
      continue;
    at = json_object_get_int_member (event, "clock_ms");
    frames = json_object_get_int_member (event, "frames");
    if (at < from || at > to)
      continue;
    if (last_at >= 0 && at > last_at)
      rate.worst_second = MIN (rate.worst_second,
                               (double) (frames - last_frames) * 1000 / (double) (at - last_at));
    if (first_at < 0) {
      first_at = at;
      first_frames = frames;
    }
    last_at = at;
    last_frames = frames;
    rate.lines++;
  }
  if (rate.lines < 2 || last_at <= first_at)
    g_error ("%s: %u stats lines between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT " ms",
             proc->name, rate.lines, from, to);
  rate.fps = (double) (last_frames - first_frames) * 1000 / (double) (last_at - first_at);
  return rate;
}

static void
test_twenty_mib (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *sha256 = NULL;
  g_autofree char *path = canopy_test_files_make (SIZE, &sha256);
  g_autofree char *command = g_strdup_printf ("/share %s", path);
  g_autoptr (GString) table = g_string_new (NULL);
  CanopyTestProc *procs[VIEWERS + 1] = { NULL };
  CanopyTestProc *receivers[VIEWERS];
  CanopyTestProc *sharer = NULL;
  double at_ms[VIEWERS];
  double fps[VIEWERS + 1] = { 0 };
  gint64 start, shared_at, done_at, test_start = g_get_monotonic_time ();
  double lowest = G_MAXDOUBLE, lowest_second = G_MAXDOUBLE, host_fps = 0;
  double before_fps[VIEWERS + 1] = { 0 };
  const char *room;
  guint n = 0;

  procs[0] = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (procs[0]);
  for (guint i = 1; i <= VIEWERS; i++) {
    g_autofree char *name = g_strdup_printf ("v%u", i);

    procs[i] = canopy_test_tree_join_viewer (url, room, name, 2, TRUE);
  }
  canopy_test_tree_wait_playing (procs + 1, VIEWERS);
  canopy_test_spin (SETTLE_MS);

  receivers[n++] = procs[0];
  for (guint i = 1; i <= VIEWERS; i++) {
    if (sharer == NULL && canopy_test_tree_depth_of (procs[i]) == 2)
      sharer = procs[i];
    else
      receivers[n++] = procs[i];
  }
  g_assert_nonnull (sharer);
  g_assert_cmpuint (n, ==, VIEWERS);

  start = g_get_monotonic_time ();
  shared_at = start / 1000;
  canopy_test_proc_write_line (sharer, command);
  canopy_test_tree_wait_all (receivers, n, canopy_test_files_has_file, NULL, start, at_ms,
                             TRANSFER_S, "20 MiB at every peer");
  done_at = shared_at + (gint64) canopy_test_tree_max_of (at_ms, n);
  for (guint i = 0; i < n; i++)
    canopy_test_files_assert_complete (receivers[i], sha256, SIZE);
  g_assert_cmpstr (json_object_get_string_member (
                     canopy_test_proc_last_event (sharer, "file-offered"), "sha256"), ==, sha256);
  g_assert_cmpuint (canopy_test_proc_count_events (sharer, "file-failed"), ==, 0);

  /* The stats line after the end closes every viewer's span. */
  for (guint i = 0; i <= VIEWERS; i++)
    canopy_test_proc_wait_events (procs[i], "stats", NULL, NULL,
                                  canopy_test_proc_count_events (procs[i], "stats") + 2,
                                  CANOPY_TEST_TREE_WAIT_S);
  g_string_append (table, "peer depth there(ms) fps-before fps-while worst-second\n");
  for (guint i = 0; i <= VIEWERS; i++) {
    CanopyTestProc *proc = procs[i];
    double there = -1;

    for (guint j = 0; j < n; j++)
      if (receivers[j] == proc)
        there = at_ms[j];
    {
      Rate before = rate_between (proc, shared_at - SETTLE_MS, shared_at);
      /* Over the transfer: from the share to the last peer's file-complete, widened to the
       * stats lines around it. */
      Rate during = rate_between (proc, shared_at - 1000, done_at + 1000);
      g_autofree char *there_text = proc == sharer ? g_strdup ("(sender)")
                                                   : g_strdup_printf ("%.0f", there);

      /* The host's row: the frames it sent, the most any viewer can play. */
      if (i == 0) {
        host_fps = during.fps;
        g_string_append_printf (table, "host 0 %s %.1f %.1f %.1f (sent)\n", there_text,
                                before.fps, during.fps, during.worst_second);
        continue;
      }

      g_string_append_printf (table, "%s %" G_GINT64_FORMAT " %s %.1f %.1f %.1f\n", proc->name,
                              canopy_test_tree_depth_of (proc), there_text, before.fps,
                              during.fps, during.worst_second);
      fps[i] = during.fps;
      before_fps[i] = before.fps;
      lowest = MIN (lowest, during.fps);
      lowest_second = MIN (lowest_second, during.worst_second);
    }
  }
  g_test_message ("20 MiB from %s (depth 2) to %u peers, the last after %.0f ms:\n%s"
                  "lowest fps over the transfer %.1f, lowest one-second window %.1f; "
                  "the room up to the share took %.1f s",
                  sharer->name, n, canopy_test_tree_max_of (at_ms, n), table->str, lowest,
                  lowest_second, (start - test_start) / 1e6);
  for (guint i = 1; i <= VIEWERS; i++)
    if (fps[i] <= FPS_MIN)
      g_error ("%s played %.1f frames a second while the file travelled (%.1f before it; the "
               "host sent %.1f)", procs[i]->name, fps[i], before_fps[i], host_fps);
  canopy_test_tree_end_room (procs[0], procs + 1, VIEWERS);
  canopy_test_tree_free_all (procs, VIEWERS + 1);
  canopy_test_files_remove (path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file-room/twenty-mib", test_twenty_mib);
  return g_test_run ();
}
