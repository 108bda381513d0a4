/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CanopyLayers: how many temporal layers a relay sends a child, judged on synthetic receiver
 * reports. Random loss with a flat round trip never thins; a queue filling with heavy loss does,
 * as far as the rate that got through says; a quiet link gets its layers back, one at a time,
 * and a try that makes the queue rise is undone.
 */
#include "canopy-layers.h"

#define W CANOPY_LAYERS_WINDOW_MS

/* A 2.5 Mbit/s stream: 750 kbit/s of layer 0 (7.5 fps), 625 of layer 1, 1125 of layer 2. */
static CanopyLayersReport
report (double rtt_ms,
        double loss,
        double sent_kbps)
{
  return (CanopyLayersReport) { rtt_ms, loss, sent_kbps, { 750, 625, 1125 } };
}

/* Feeds @n windows of the same report from *@now on; returns the lowest level seen. */
static guint
feed (CanopyLayers             *layers,
      gint64                   *now,
      guint                     n,
      const CanopyLayersReport *r)
{
  guint lowest = CANOPY_LAYERS_MAX;

  for (guint i = 0; i < n; i++) {
    guint level;

    *now += W;
    level = canopy_layers_judge (layers, *now, r);
    lowest = MIN (lowest, level);
  }
  return lowest;
}

static void
test_starts_full (void)
{
  CanopyLayers layers;
  CanopyLayersReport none = report (-1, -1, 0);
  gint64 now = 0;

  canopy_layers_init (&layers);
  g_assert_cmpuint (layers.level, ==, CANOPY_LAYERS_MAX);
  /* No reports yet: nothing to judge. */
  g_assert_cmpuint (feed (&layers, &now, 20, &none), ==, CANOPY_LAYERS_MAX);
}

/* 1 % and 5 % random loss on an 80 ms round trip that jitters by a few ms, for ten minutes,
 * with a loss rate that swings per window as a few hundred packets do (up to 12 %), and a
 * single late report now and then (a loaded machine): never thinned. */
static void
test_random_loss_stays_full (void)
{
  const double rates[] = { 0.01, 0.05 };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++) {
    CanopyLayers layers;
    g_autoptr (GRand) rand = g_rand_new_with_seed (42 + r);
    gint64 now = 0;

    canopy_layers_init (&layers);
    for (guint i = 0; i < 1200; i++) {
      double loss = CLAMP (rates[r] + g_rand_double_range (rand, -rates[r], rates[r] * 1.4),
                           0, 1);
      double rtt = 80 + g_rand_double_range (rand, 0, 6);
      CanopyLayersReport rep;

      /* One window in 20 a report held up by 60 ms, with the loss at its worst. */
      if (i % 20 == 7) {
        rtt += 60;
        loss = 0.12;
      }
      rep = report (rtt, loss, 2500);
      now += W;
      g_assert_cmpuint (canopy_layers_judge (&layers, now, &rep), ==, CANOPY_LAYERS_MAX);
    }
  }
}

/* A 1 Mbit/s link under 2.5 Mbit/s: the queue (100 ms) fills, 60 % is lost. Thinned within
 * about a second, straight to the base layer (750 kbit/s fits 2500 * 0.4 * 0.85). */
static void
test_congestion_thins (void)
{
  CanopyLayers layers;
  CanopyLayersReport quiet = report (2, 0, 2500);
  CanopyLayersReport full = report (100, 0.6, 2500);
  gint64 now = 0;

  canopy_layers_init (&layers);
  g_assert_cmpuint (feed (&layers, &now, 10, &quiet), ==, 3);
  g_assert_cmpuint (feed (&layers, &now, 1, &full), ==, 3);
  g_assert_cmpuint (feed (&layers, &now, 1, &full), ==, 1);
  g_assert_cmpfloat (layers.rise_ms, >=, 90);
  /* What got through: the link's rate, for pacing. */
  g_assert_cmpfloat_with_epsilon (layers.through_kbps, 1000, 1);
}

/* Heavy loss with no queue at all (a policer) thins too, after three windows. */
static void
test_loss_alone_thins (void)
{
  CanopyLayers layers;
  CanopyLayersReport quiet = report (30, 0, 2500);
  CanopyLayersReport policed = report (30, 0.5, 2500);
  gint64 now = 0;

  canopy_layers_init (&layers);
  feed (&layers, &now, 4, &quiet);
  g_assert_cmpuint (feed (&layers, &now, 2, &policed), ==, 3);
  g_assert_cmpuint (feed (&layers, &now, 1, &policed), <, 3);
}

/* A queue without loss beyond DEEP_RISE (bufferbloat) thins; a small standing rise with some
 * loss does not. */
static void
test_deep_queue (void)
{
  CanopyLayers layers;
  CanopyLayersReport quiet = report (20, 0, 2500);
  CanopyLayersReport shallow = report (45, 0.05, 2500);
  CanopyLayersReport bloat = report (400, 0, 2500);
  gint64 now = 0;

  canopy_layers_init (&layers);
  feed (&layers, &now, 4, &quiet);
  g_assert_cmpuint (feed (&layers, &now, 20, &shallow), ==, 3);
  g_assert_cmpuint (feed (&layers, &now, 2, &bloat), <, 3);
}

/* Thinned, then the link clears: a layer at a time comes back, each after the quiet wait. A try
 * that makes the round trip rise is undone at once, and the next waits twice as long. */
static void
test_recovery_and_undo (void)
{
  CanopyLayers layers;
  /* Layers the pace of the thinned link (what got through, 1000 kbit/s) carries. */
  CanopyLayersReport quiet = { 2, 0, 1000, { 300, 250, 450 } };
  CanopyLayersReport full = report (100, 0.6, 2500);
  CanopyLayersReport risen = report (40, 0.02, 1500);
  gint64 now = 0;
  gint64 t0;

  canopy_layers_init (&layers);
  feed (&layers, &now, 4, &quiet);
  feed (&layers, &now, 2, &full);
  g_assert_cmpuint (layers.level, ==, 1);

  /* Quiet: a try up after 4 s. */
  t0 = now;
  while (canopy_layers_judge (&layers, now += W, &quiet) == 1)
    g_assert_cmpint (now - t0, <=, 5000);
  g_assert_cmpint (now - t0, >=, 4000);
  g_assert_cmpuint (layers.level, ==, 2);
  g_assert_true (layers.probing);

  /* The queue rises: undone in that window. */
  g_assert_cmpuint (feed (&layers, &now, 1, &risen), ==, 1);
  g_assert_false (layers.probing);

  /* The next try waits 8 s of quiet. */
  t0 = now;
  while (canopy_layers_judge (&layers, now += W, &quiet) == 1)
    g_assert_cmpint (now - t0, <=, 9000);
  g_assert_cmpint (now - t0, >=, 8000);

  /* This one holds (3 s without a rise), and the third layer follows 4 s later. */
  g_assert_cmpuint (feed (&layers, &now, 6, &quiet), ==, 2);
  g_assert_false (layers.probing);
  t0 = now;
  while (canopy_layers_judge (&layers, now += W, &quiet) == 2)
    g_assert_cmpint (now - t0, <=, 5000);
  g_assert_cmpuint (layers.level, ==, 3);
  g_assert_cmpuint (feed (&layers, &now, 60, &quiet), ==, 3);
}

/* Thinned, the child is paced at what got through, and a layer up is tried only once that
 * pace, growing slowly while the link keeps up, carries it; a rise of the round trip cuts the
 * pace back, loss alone (the relay's own queue) does not. */
static void
test_pace (void)
{
  CanopyLayers layers;
  CanopyLayersReport quiet = report (2, 0, 1000);
  CanopyLayersReport full = report (100, 0.6, 2500);
  CanopyLayersReport own_loss = report (2, 0.2, 700);
  CanopyLayersReport queue = report (60, 0.05, 900);
  CanopyLayersReport idle = report (2, 0, 600);
  CanopyLayersReport paced = report (2, 0, 5000);
  gint64 now = 0;
  gint64 t0;

  canopy_layers_init (&layers);
  g_assert_cmpfloat (layers.pace_kbps, ==, 0);
  feed (&layers, &now, 4, &quiet);
  feed (&layers, &now, 2, &full);
  g_assert_cmpuint (layers.level, ==, 1);
  g_assert_cmpfloat_with_epsilon (layers.pace_kbps, 1000, 1);
  feed (&layers, &now, 4, &own_loss);
  g_assert_cmpfloat_with_epsilon (layers.pace_kbps, 1000, 1);
  feed (&layers, &now, 1, &queue);
  g_assert_cmpfloat_with_epsilon (layers.pace_kbps, 855, 1);

  /* Two layers need 1375 kbit/s. Sending well below the pace proves nothing: no growth, and
   * a try only after a long quiet while. */
  t0 = now;
  while (canopy_layers_judge (&layers, now += W, &idle) == 1)
    g_assert_cmpint (now - t0, <=, 70000);
  g_assert_cmpint (now - t0, >=, 60000);
  g_assert_cmpfloat_with_epsilon (layers.pace_kbps, 1375 * 1.02, 1);
  /* That try fails (the queue rises); the pace drops to what got through. */
  g_assert_cmpuint (feed (&layers, &now, 1, &queue), ==, 1);
  g_assert_cmpfloat_with_epsilon (layers.pace_kbps, 855, 1);

  /* Sending at the pace without loss or queueing: up 2 % a window, from 855 to 1375 in 24
   * windows, then the try (after twice the quiet wait of the last one). */
  t0 = now;
  while (canopy_layers_judge (&layers, now += W, &paced) == 1)
    g_assert_cmpint (now - t0, <=, 70000);
  g_assert_cmpfloat (layers.pace_kbps, >=, 1375);
}

/* The least round trip forgets slowly: a route that got longer for good is not a queue
 * forever. */
static void
test_base_creeps (void)
{
  CanopyLayers layers;
  CanopyLayersReport short_route = report (10, 0, 2500);
  CanopyLayersReport long_route = report (60, 0.1, 2500);
  CanopyLayersReport long_quiet = report (60, 0.01, 2500);
  gint64 now = 0;

  canopy_layers_init (&layers);
  feed (&layers, &now, 4, &short_route);
  g_assert_cmpuint (feed (&layers, &now, 2, &long_route), <, 3);
  /* ~50 s later the base has caught up: the same reports are clean, and layers come back. */
  feed (&layers, &now, 120, &long_route);
  g_assert_cmpfloat (layers.base_rtt_ms, >=, 59);
  feed (&layers, &now, 60, &long_quiet);
  g_assert_cmpuint (layers.level, ==, 3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layers/starts-full", test_starts_full);
  g_test_add_func ("/layers/random-loss-stays-full", test_random_loss_stays_full);
  g_test_add_func ("/layers/congestion-thins", test_congestion_thins);
  g_test_add_func ("/layers/loss-alone-thins", test_loss_alone_thins);
  g_test_add_func ("/layers/deep-queue", test_deep_queue);
  g_test_add_func ("/layers/recovery-and-undo", test_recovery_and_undo);
  g_test_add_func ("/layers/pace", test_pace);
  g_test_add_func ("/layers/base-creeps", test_base_creeps);
  return g_test_run ();
}
