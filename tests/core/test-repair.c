/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CanopyRepair: how long a viewer waits for what its parent lost, from the round trips it
 * measured and the packets its jitterbuffers gave up.
 */
#include "canopy-repair.h"

static void
test_no_rtt_no_change (void)
{
  CanopyRepair repair;

  canopy_repair_init (&repair, 60);
  g_assert_false (canopy_repair_tick (&repair, 0));
  g_assert_cmpuint (repair.latency_ms, ==, 60);
  g_assert_cmpint (repair.retry_ms, ==, -1);
}

static void
test_from_round_trip (void)
{
  CanopyRepair repair;

  canopy_repair_init (&repair, 60);
  /* The first few round trips are applied at once, the least of them: a ping held back by
   * the data channel's own repair (or its start) does not count. */
  g_assert_false (canopy_repair_add_rtt (&repair, 400));
  g_assert_false (canopy_repair_add_rtt (&repair, 95));
  g_assert_cmpuint (repair.latency_ms, ==, 60);
  g_assert_true (canopy_repair_add_rtt (&repair, 120));
  g_assert_cmpuint (repair.latency_ms, ==, 3 * 95 + 60);
  g_assert_cmpint (repair.retry_ms, ==, 115);
  /* Later ones wait for the tick. */
  g_assert_false (canopy_repair_add_rtt (&repair, 80));
  g_assert_cmpuint (repair.latency_ms, ==, 3 * 95 + 60);
  g_assert_cmpfloat (canopy_repair_get_rtt (&repair), ==, 80);
  g_assert_true (canopy_repair_tick (&repair, 0));
  /* Three round trips and the slack. */
  g_assert_cmpuint (repair.latency_ms, ==, 3 * 80 + 60);
  g_assert_cmpint (repair.retry_ms, ==, 100);
  /* Nothing new: nothing to apply. */
  g_assert_false (canopy_repair_tick (&repair, 0));
}

static void
test_loopback_keeps_floor (void)
{
  CanopyRepair repair;

  canopy_repair_init (&repair, 60);
  canopy_repair_add_rtt (&repair, 0.4);
  g_assert_true (canopy_repair_tick (&repair, 0));
  g_assert_cmpuint (repair.latency_ms, ==, 61);
  g_assert_cmpint (repair.retry_ms, ==, -1);
  /* A few milliseconds either way change nothing. */
  canopy_repair_add_rtt (&repair, 3);
  for (guint i = 0; i < CANOPY_REPAIR_RTT_SAMPLES; i++)
    canopy_repair_add_rtt (&repair, 3);
  g_assert_false (canopy_repair_tick (&repair, 0));
}

static void
test_losses_raise_then_quiet_lowers (void)
{
  CanopyRepair repair;
  guint64 lost = 0;
  guint before;

  canopy_repair_init (&repair, 60);
  canopy_repair_add_rtt (&repair, 80);
  g_assert_true (canopy_repair_tick (&repair, lost));
  before = repair.latency_ms;
  /* Each second with packets given up adds a round trip, up to the most. */
  for (guint i = 0; i < 10; i++) {
    lost += 3;
    canopy_repair_tick (&repair, lost);
  }
  g_assert_cmpuint (repair.level, ==, CANOPY_REPAIR_MAX_LEVEL);
  g_assert_cmpuint (repair.latency_ms, ==, (2 + CANOPY_REPAIR_MAX_LEVEL) * 80 + 60);
  g_assert_cmpuint (repair.latency_ms, >, before);
  /* Quiet seconds step it down again, one round trip per quiet spell, to none beyond two. */
  for (guint i = 0; i < CANOPY_REPAIR_QUIET_S * (CANOPY_REPAIR_MAX_LEVEL + 2); i++)
    canopy_repair_tick (&repair, lost);
  g_assert_cmpuint (repair.level, ==, 0);
  g_assert_cmpuint (repair.latency_ms, ==, 2 * 80 + 60);
}

static void
test_floor_and_ceiling (void)
{
  CanopyRepair repair;

  canopy_repair_init (&repair, 500);
  canopy_repair_add_rtt (&repair, 20);
  g_assert_true (canopy_repair_tick (&repair, 0));
  g_assert_cmpuint (repair.latency_ms, ==, 500);

  canopy_repair_init (&repair, 60);
  canopy_repair_add_rtt (&repair, 5000);
  g_assert_true (canopy_repair_tick (&repair, 0));
  g_assert_cmpuint (repair.latency_ms, ==, CANOPY_REPAIR_MAX_LATENCY_MS);
  /* Nonsense samples are ignored. */
  canopy_repair_init (&repair, 60);
  g_assert_false (canopy_repair_add_rtt (&repair, -1));
  g_assert_false (canopy_repair_add_rtt (&repair, 1e9));
  g_assert_cmpuint (repair.n_rtt, ==, 0);
}

/* A new parent's link starts with the last one's latency and loss level, not at the floor;
 * its own first round trip then sets it. */
static void
test_after_last_parent (void)
{
  CanopyRepair before;
  CanopyRepair repair;
  guint64 lost = 0;

  /* No last link, or one that never measured anything: the floor. */
  canopy_repair_init_after (&repair, 60, NULL);
  g_assert_cmpuint (repair.latency_ms, ==, 60);
  g_assert_cmpuint (repair.level, ==, 1);
  canopy_repair_init (&before, 60);
  canopy_repair_init_after (&repair, 60, &before);
  g_assert_cmpuint (repair.latency_ms, ==, 60);

  /* A lossy parent 80 ms away: the level rose to the most. */
  canopy_repair_add_rtt (&before, 80);
  for (guint i = 0; i < 10; i++) {
    lost += 3;
    canopy_repair_tick (&before, lost);
  }
  g_assert_cmpuint (before.latency_ms, ==, (2 + CANOPY_REPAIR_MAX_LEVEL) * 80 + 60);

  canopy_repair_init_after (&repair, 60, &before);
  g_assert_cmpuint (repair.latency_ms, ==, before.latency_ms);
  g_assert_cmpuint (repair.level, ==, CANOPY_REPAIR_MAX_LEVEL);
  g_assert_cmpuint (repair.n_rtt, ==, 0);
  g_assert_false (repair.started);
  /* Nothing to apply before the new path's round trip... */
  g_assert_false (canopy_repair_tick (&repair, 0));
  /* ...which is applied at once, with the level carried over. */
  g_assert_false (canopy_repair_add_rtt (&repair, 160));
  g_assert_false (canopy_repair_add_rtt (&repair, 170));
  g_assert_cmpuint (repair.latency_ms, ==, before.latency_ms);
  g_assert_true (canopy_repair_add_rtt (&repair, 165));
  g_assert_cmpuint (repair.latency_ms, ==, (2 + CANOPY_REPAIR_MAX_LEVEL) * 160 + 60);
  g_assert_cmpint (repair.retry_ms, ==, 180);
  /* The floor still holds. */
  canopy_repair_init_after (&repair, 1000, &before);
  g_assert_cmpuint (repair.latency_ms, ==, 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/repair/no-rtt-no-change", test_no_rtt_no_change);
  g_test_add_func ("/repair/from-round-trip", test_from_round_trip);
  g_test_add_func ("/repair/loopback-keeps-floor", test_loopback_keeps_floor);
  g_test_add_func ("/repair/losses-raise-then-quiet-lowers", test_losses_raise_then_quiet_lowers);
  g_test_add_func ("/repair/after-last-parent", test_after_last_parent);
  g_test_add_func ("/repair/floor-and-ceiling", test_floor_and_ceiling);
  return g_test_run ();
}
