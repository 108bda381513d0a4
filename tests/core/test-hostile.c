/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A peer that attacks its room (canopy-hostile-node, tests/hostile) among real canopy-signal
 * and canopy-node processes on 127.0.0.1: whatever it does, the honest viewers keep their video
 * and the room keeps working. One case per attack.
 */
#include <signal.h>

#include "canopy-test-tree.h"

#define WAIT_S CANOPY_TEST_TREE_WAIT_S

static gint64
stat_of (CanopyTestProc *proc,
         const char     *member)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");

  return stats != NULL ? json_object_get_int_member_with_default (stats, member, 0) : 0;
}

/* --- a child asking for keyframes 100 times a second --------------------------------------- */

/* host (k1 = 2) -> the flooder h, and v, an honest viewer that decodes. h asks the host for a
 * keyframe 50 times a second on the data channel and 50 times by RTCP: the host hears at most
 * its budget (3 at once, one more every 2 s) and counts the rest; v keeps its frame rate. */
static void
test_keyframe_flood (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[2] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  const char *room;
  gint64 baseline, frames, refused_before, refused;

  host = canopy_test_tree_spawn_host (url, 2, 2, FALSE);
  room = canopy_test_tree_room_of (host);
  viewers[0] = canopy_test_tree_join_hostile (url, room, "h", 0, "keyframe-flood");
  viewers[1] = canopy_test_tree_join_viewer (url, room, "v", 0, TRUE);
  canopy_test_tree_wait_playing (viewers, 2);
  g_assert_cmpstr (canopy_test_tree_parent_of (viewers[0]), ==,
                   canopy_test_tree_parent_of (viewers[1]));

  /* v's frames in 10 s before the flood, and in 10 s of it. */
  canopy_test_spin (1500);
  baseline = canopy_test_tree_frames_of (viewers[1]);
  canopy_test_spin (10000);
  baseline = canopy_test_tree_frames_of (viewers[1]) - baseline;
  refused_before = stat_of (host, "keyframes_refused");
  frames = canopy_test_tree_frames_of (viewers[1]);
  canopy_test_proc_signal (viewers[0], SIGUSR1);
  canopy_test_spin (10000);
  refused = stat_of (host, "keyframes_refused") - refused_before;
  frames = canopy_test_tree_frames_of (viewers[1]) - frames;
  g_test_message ("in 10 s: v played %" G_GINT64_FORMAT " frames before the flood and %"
                  G_GINT64_FORMAT " during it; the host refused %" G_GINT64_FORMAT
                  " keyframe requests", baseline, frames, refused);
  /* 500 asked on the data channel (RTCP ones are coalesced by h's own RTP session), at most
   * 3 + 10 / 2 heard. */
  g_assert_cmpint (refused, >=, 400);
  /* v's frame rate holds (stats come once a second: +-1 s of frames). */
  g_assert_cmpint (frames, >=, baseline * 8 / 10);
  canopy_test_tree_assert_still_in (viewers, 2);

  canopy_test_tree_end_room (host, viewers, 2);
  g_assert_cmpint (viewers[1]->exit_status, ==, 0);
  canopy_test_tree_free_all (viewers, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hostile/keyframe-flood", test_keyframe_flood);
  return g_test_run ();
}
