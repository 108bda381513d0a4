/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CanopyUpload: whether a relay's (or the host's) upload sustains its children, judged from
 * synthetic sequences of its children's receiver reports (one a second, as the node feeds it).
 */
#include "canopy-upload.h"

#include <string.h>

/* 100 packets of 1000 bytes a second to each child: one stream. */
#define PACKETS 100
#define BYTES 1000

typedef struct {
  CanopyUploadReport report;
  double lost;                 /* fractional packets lost so far */
} Feed;

/* One second for child @i: @loss of what was sent lost, round trip @rtt_ms. */
static void
feed (CanopyUpload *upload,
      Feed         *feeds,
      guint         i,
      double        loss,
      double        rtt_ms)
{
  char id[8];

  g_snprintf (id, sizeof id, "c%u", i);
  feeds[i].report.packets_sent += PACKETS;
  feeds[i].report.bytes_sent += PACKETS * BYTES;
  feeds[i].lost += PACKETS * loss;
  feeds[i].report.packets_lost = (gint64) feeds[i].lost;
  feeds[i].report.rtt_ms = rtt_ms;
  canopy_upload_report (upload, id, &feeds[i].report);
}

/* @seconds in which each of @n children loses @loss[i] at round trip @rtt[i]; returns the
 * tick at which the capacity changed first (1-based), 0 if it never did. */
static guint
run (CanopyUpload *upload,
     Feed         *feeds,
     guint         n,
     guint         seconds,
     const double *loss,
     const double *rtt)
{
  guint changed = 0;

  for (guint s = 1; s <= seconds; s++) {
    for (guint i = 0; i < n; i++)
      feed (upload, feeds, i, loss[i], rtt[i]);
    if (canopy_upload_tick (upload, 0) && changed == 0)
      changed = s;
  }
  return changed;
}

/* Every child's link at its least round trip, no loss: what each knew before its parent's
 * upload filled up. */
static void
warm_up (CanopyUpload *upload,
         Feed         *feeds,
         guint         n)
{
  const double loss[4] = { 0, 0, 0, 0 };
  const double rtt[4] = { 40, 42, 38, 40 };

  g_assert_cmpuint (run (upload, feeds, n, 2, loss, rtt), ==, 0);
}

/* A judge declared @declared (never below @least) after the warm-up of @n children and then
 * CANOPY_UPLOAD_EVIDENCE_S seconds of @loss at @rtt, which must change its capacity in the
 * last of them: the capacity. The caller clears @upload. */
static guint
lowered_after_evidence (CanopyUpload *upload,
                        Feed         *feeds,
                        guint         n,
                        guint         declared,
                        guint         least,
                        const double *loss,
                        const double *rtt)
{
  canopy_upload_init (upload, declared, least);
  warm_up (upload, feeds, n);
  g_assert_cmpuint (run (upload, feeds, n, CANOPY_UPLOAD_EVIDENCE_S, loss, rtt), ==,
                    CANOPY_UPLOAD_EVIDENCE_S);
  return upload->capacity;
}

/* Three children, the relay's upload carries 1.5 streams: every link loses half and queues;
 * after CANOPY_UPLOAD_EVIDENCE_S seconds of that the capacity is 1, not before. */
static void
test_bottleneck (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.5, 0.5, 0.5 };
  const double rtt[3] = { 140, 142, 138 };

  canopy_upload_init (&upload, 3, 0);
  warm_up (&upload, feeds, 3);
  g_assert_cmpuint (run (&upload, feeds, 3, CANOPY_UPLOAD_EVIDENCE_S - 1, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 3);
  g_assert_cmpuint (run (&upload, feeds, 3, 1, loss, rtt), ==, 1);
  g_assert_cmpuint (upload.capacity, ==, 1);
  /* Held while the shed children leave: nothing more is judged for a while. */
  g_assert_cmpuint (run (&upload, feeds, 3, CANOPY_UPLOAD_HOLD_S, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 1);
  canopy_upload_clear (&upload);
}

/* Random loss of 1 % and 5 % on every link, round trip flat: not the upload. */
static void
test_random_loss (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss1[3] = { 0.01, 0.01, 0.01 };
  const double loss5[3] = { 0.05, 0.06, 0.04 };
  const double rtt[3] = { 41, 43, 39 };

  canopy_upload_init (&upload, 3, 0);
  warm_up (&upload, feeds, 3);
  g_assert_cmpuint (run (&upload, feeds, 3, 30, loss1, rtt), ==, 0);
  g_assert_cmpuint (run (&upload, feeds, 3, 30, loss5, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 3);
  canopy_upload_clear (&upload);
}

/* The round trip of every link grows by 150 ms a second (a starved CPU: loopback links swing
 * by hundreds of ms) and each child's count lags by what the longer trip holds on its way: 15
 * of each second's 100 packets look lost, none is. Not the upload (the old judge took it for
 * 15 % loss on a queue and lowered the capacity after its 2 s of evidence). */
static void
test_round_trip_swing (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };

  canopy_upload_init (&upload, 3, 0);
  warm_up (&upload, feeds, 3);
  for (guint s = 1; s <= 6; s++) {
    for (guint i = 0; i < 3; i++)
      feed (&upload, feeds, i, 0.15, 40 + 150.0 * s);
    g_assert_false (canopy_upload_tick (&upload, 0));
  }
  g_assert_cmpuint (upload.judged, ==, 3);
  g_assert_cmpuint (upload.capacity, ==, 3);
  canopy_upload_clear (&upload);
}

/* One thin child: its link alone loses and queues. That is the child's link, not our upload. */
static void
test_one_thin_child (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.6, 0, 0.01 };
  const double rtt[3] = { 300, 42, 38 };

  canopy_upload_init (&upload, 3, 0);
  warm_up (&upload, feeds, 3);
  g_assert_cmpuint (run (&upload, feeds, 3, 30, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 3);
  canopy_upload_clear (&upload);
}

/* Loss on every link with a flat round trip: lost before us, or on the way; and what we never
 * got ourselves (upstream) is not lost by our upload at all. */
static void
test_loss_without_queue (void)
{
  CanopyUpload upload;
  Feed feeds[2] = { 0 };

  canopy_upload_init (&upload, 2, 0);
  warm_up (&upload, feeds, 2);
  for (guint s = 0; s < 30; s++) {
    feed (&upload, feeds, 0, 0.15, 40);
    feed (&upload, feeds, 1, 0.15, 42);
    g_assert_false (canopy_upload_tick (&upload, 0));
  }
  /* Heavier, but all of it upstream of us. */
  for (guint s = 0; s < 30; s++) {
    feed (&upload, feeds, 0, 0.4, 40);
    feed (&upload, feeds, 1, 0.4, 42);
    g_assert_false (canopy_upload_tick (&upload, 0.4));
  }
  g_assert_cmpuint (upload.capacity, ==, 2);
  canopy_upload_clear (&upload);
}

/* One child alone tells nothing: its link or our upload, we cannot say. */
static void
test_one_child (void)
{
  CanopyUpload upload;
  Feed feeds[1] = { 0 };
  const double loss[1] = { 0.5 };
  const double rtt[1] = { 200 };

  canopy_upload_init (&upload, 2, 0);
  warm_up (&upload, feeds, 1);
  g_assert_cmpuint (run (&upload, feeds, 1, 30, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 2);
  canopy_upload_clear (&upload);
}

/* Congestion for less than the evidence time, then a clean second: nothing. */
static void
test_short_burst (void)
{
  CanopyUpload upload;
  Feed feeds[2] = { 0 };
  const double loss[2] = { 0.5, 0.5 };
  const double rtt[2] = { 150, 150 };
  const double clean[2] = { 0, 0 };
  const double flat[2] = { 40, 42 };

  canopy_upload_init (&upload, 2, 0);
  warm_up (&upload, feeds, 2);
  for (guint i = 0; i < 10; i++) {
    g_assert_cmpuint (run (&upload, feeds, 2, CANOPY_UPLOAD_EVIDENCE_S - 1, loss, rtt), ==, 0);
    g_assert_cmpuint (run (&upload, feeds, 2, 1, clean, flat), ==, 0);
  }
  g_assert_cmpuint (upload.capacity, ==, 2);
  canopy_upload_clear (&upload);
}

/* A queue that was full before the children came (their least round trip includes it): heavy
 * loss on every link counts alone. Two children getting 30 % of a stream each: none. */
static void
test_never_below_zero (void)
{
  CanopyUpload upload;
  Feed feeds[2] = { 0 };
  const double loss[2] = { 0.7, 0.7 };
  const double rtt[2] = { 140, 142 };

  canopy_upload_init (&upload, 2, 0);
  g_assert_cmpuint (run (&upload, feeds, 2, CANOPY_UPLOAD_EVIDENCE_S + 1, loss, rtt), ==,
                    CANOPY_UPLOAD_EVIDENCE_S + 1);
  g_assert_cmpuint (upload.capacity, ==, 0);
  /* Still worse later: 0 stays 0. */
  g_assert_cmpuint (run (&upload, feeds, 2, 20, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 0);
  canopy_upload_clear (&upload);
}

/* The host's judge is given a least of 1: the same starving children as above leave it one,
 * where a relay's would go to 0 (the room's only source always keeps a way out). */
static void
test_least (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.8, 0.8, 0.8 };
  const double rtt[3] = { 140, 142, 138 };

  g_assert_cmpuint (lowered_after_evidence (&upload, feeds, 3, 3, 1, loss, rtt), ==, 1);
  /* Still starving, two left: 1 stays 1. */
  g_assert_cmpuint (run (&upload, feeds, 2, 20, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 1);
  canopy_upload_clear (&upload);
}

/* After a quiet while the capacity goes one up, never above the declared one; after a second
 * lowering the next raise waits twice as long. */
static void
test_raise_again (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.5, 0.5, 0.5 };
  const double rtt[3] = { 140, 142, 138 };
  const double clean[3] = { 0, 0, 0 };
  const double flat[3] = { 40, 42, 38 };
  guint at;

  g_assert_cmpuint (lowered_after_evidence (&upload, feeds, 3, 3, 0, loss, rtt), ==, 1);
  /* One child left, its link clean: up by one after the hold and the quiet while. */
  at = run (&upload, feeds, 1, CANOPY_UPLOAD_HOLD_S + CANOPY_UPLOAD_RAISE_S + 1, clean, flat);
  g_assert_cmpuint (at, ==, CANOPY_UPLOAD_HOLD_S + CANOPY_UPLOAD_RAISE_S);
  g_assert_cmpuint (upload.capacity, ==, 2);
  /* A second child again (new to the judge: its first report only starts its counts), both
   * congested: down once more. */
  g_assert_cmpuint (run (&upload, feeds, 2, CANOPY_UPLOAD_EVIDENCE_S + 1, loss, rtt), ==,
                    CANOPY_UPLOAD_EVIDENCE_S + 1);
  g_assert_cmpuint (upload.capacity, ==, 1);
  g_assert_cmpuint (upload.lowered, ==, 2);
  /* Now twice the quiet while. */
  at = run (&upload, feeds, 1, CANOPY_UPLOAD_HOLD_S + 2 * CANOPY_UPLOAD_RAISE_S + 1, clean, flat);
  g_assert_cmpuint (at, ==, CANOPY_UPLOAD_HOLD_S + 2 * CANOPY_UPLOAD_RAISE_S);
  g_assert_cmpuint (upload.capacity, ==, 2);
  /* Up to the declared one, and there it stays. */
  run (&upload, feeds, 1, 20 * CANOPY_UPLOAD_RAISE_S, clean, flat);
  g_assert_cmpuint (upload.capacity, ==, 3);
  canopy_upload_clear (&upload);
}

/* A child that lies in its pings, claiming it got everything at its least round trip (or
 * more than was sent), beside two starving siblings: it cannot keep the capacity from being
 * lowered, nor lift it by its share. It is counted as getting what its siblings got, as it
 * must through the same full upload: 1.5 streams delivered of 3 (at face value its word would
 * have made it 2). */
static void
test_liar_cannot_stop_lowering (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.5, 0.5, 0 };
  const double rtt[3] = { 140, 142, 40 };

  g_assert_cmpuint (lowered_after_evidence (&upload, feeds, 3, 3, 0, loss, rtt), ==, 1);
  canopy_upload_clear (&upload);

  /* Claiming more than was sent: the same. */
  memset (feeds, 0, sizeof feeds);
  canopy_upload_init (&upload, 3, 0);
  warm_up (&upload, feeds, 3);
  for (guint s = 1; s <= CANOPY_UPLOAD_EVIDENCE_S; s++) {
    feed (&upload, feeds, 0, 0.5, 140);
    feed (&upload, feeds, 1, 0.5, 142);
    feed (&upload, feeds, 2, -0.5, 0);
    g_assert_true (canopy_upload_tick (&upload, 0) == (s == CANOPY_UPLOAD_EVIDENCE_S));
  }
  g_assert_cmpuint (upload.capacity, ==, 1);
  canopy_upload_clear (&upload);
}

/* Lowered to 2 (three children each losing a quarter), then the liar and one starving sibling
 * stay: its word never makes the capacity rise, however long; with the sibling well it does. */
static void
test_liar_cannot_raise (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double quarter[3] = { 0.25, 0.25, 0.25 };
  const double queued[3] = { 140, 142, 138 };
  const double loss[2] = { 0.3, 0 };
  const double rtt[2] = { 140, 40 };
  const double clean[2] = { 0, 0 };
  const double flat[2] = { 40, 42 };

  g_assert_cmpuint (lowered_after_evidence (&upload, feeds, 3, 3, 0, quarter, queued), ==, 2);
  g_assert_cmpuint (run (&upload, feeds, 2, 20 * CANOPY_UPLOAD_RAISE_S, loss, rtt), ==, 0);
  g_assert_cmpuint (upload.capacity, ==, 2);
  g_assert_cmpuint (run (&upload, feeds, 2, CANOPY_UPLOAD_RAISE_S, clean, flat), ==,
                    CANOPY_UPLOAD_RAISE_S);
  g_assert_cmpuint (upload.capacity, ==, 3);
  canopy_upload_clear (&upload);
}

/* Two thin children of three, each on a link of its own, and one well: what the judge cannot
 * tell from a full upload with one liar (it takes the word of at most one child), so it is
 * judged a full upload. */
static void
test_two_of_three (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.6, 0.6, 0 };
  const double rtt[3] = { 300, 280, 40 };

  g_assert_cmpuint (lowered_after_evidence (&upload, feeds, 3, 3, 0, loss, rtt), ==, 1);
  canopy_upload_clear (&upload);
}

/* A child that stops being reported (it left) is forgotten: the others alone are judged. */
static void
test_child_leaves (void)
{
  CanopyUpload upload;
  Feed feeds[3] = { 0 };
  const double loss[3] = { 0.5, 0.5, 0.5 };
  const double rtt[3] = { 140, 142, 138 };

  canopy_upload_init (&upload, 3, 0);
  warm_up (&upload, feeds, 3);
  /* Only c0 and c1 from now on: judged at once on what they report. */
  g_assert_cmpuint (run (&upload, feeds, 2, CANOPY_UPLOAD_EVIDENCE_S, loss, rtt), ==,
                    CANOPY_UPLOAD_EVIDENCE_S);
  g_assert_cmpuint (upload.judged, ==, 2);
  g_assert_cmpuint (upload.capacity, ==, 1);
  canopy_upload_clear (&upload);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/upload/bottleneck", test_bottleneck);
  g_test_add_func ("/upload/random-loss", test_random_loss);
  g_test_add_func ("/upload/round-trip-swing", test_round_trip_swing);
  g_test_add_func ("/upload/one-thin-child", test_one_thin_child);
  g_test_add_func ("/upload/loss-without-queue", test_loss_without_queue);
  g_test_add_func ("/upload/one-child", test_one_child);
  g_test_add_func ("/upload/short-burst", test_short_burst);
  g_test_add_func ("/upload/never-below-zero", test_never_below_zero);
  g_test_add_func ("/upload/least", test_least);
  g_test_add_func ("/upload/raise-again", test_raise_again);
  g_test_add_func ("/upload/child-leaves", test_child_leaves);
  g_test_add_func ("/upload/liar-cannot-stop-lowering", test_liar_cannot_stop_lowering);
  g_test_add_func ("/upload/liar-cannot-raise", test_liar_cannot_raise);
  g_test_add_func ("/upload/two-of-three", test_two_of_three);
  return g_test_run ();
}
