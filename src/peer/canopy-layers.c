/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyLayers"

#include "canopy-layers.h"

#include <string.h>

/* A queue filling: the least round trip of a window this far above the least ever seen, with
 * this much loss, two windows in a row. A loaded machine delays single reports by tens of
 * milliseconds, but rarely every report of a whole second; random loss (5 % per link, ~10 %
 * at a child three hops down before repair) alone never gets there. */
#define RISE_MS 40.0
#define LOSS_WITH_RISE 0.10
#define CONGESTED_WINDOWS 2
/* A deep buffer: queueing this long is congestion whatever the loss. */
#define DEEP_RISE_MS 150.0
/* Loss no retransmission can repair (a relay resends at most half of what it sends), with or
 * without queueing (a policer), for this many windows. */
#define LOSS_ALONE 0.30
#define LOSSY_WINDOWS 3
/* After a change, the queue drains and the reports catch up before the next step down. */
#define HOLD_MS 1500
/* A clean window: no queue to speak of, loss a repair handles. */
#define CLEAN_RISE_MS 20.0
#define CLEAN_LOSS 0.10
/* Trying a layer up: after this much clean time (doubled after each try that failed, up to
 * the max), undone if the round trip rises this much within PROBE_MS. */
#define PROBE_WAIT_MIN_MS 4000
#define PROBE_WAIT_MAX_MS 64000
#define PROBE_MS 3000
#define UNDO_RISE_MS 25.0
/* The least round trip forgets slowly (a route that changed): +1 ms a second. */
#define BASE_CREEP_MS_PER_S 1.0
/* Step down to the layers whose rate fits this share of what got through. */
#define HEADROOM 0.85

/**
 * canopy_layers_init:
 * @self: a judge
 *
 * Starts with every layer sent and nothing measured.
 */
void
canopy_layers_init (CanopyLayers *self)
{
  memset (self, 0, sizeof *self);
  self->level = CANOPY_LAYERS_MAX;
  self->base_rtt_ms = -1;
  self->last_ms = -1;
  self->changed_ms = G_MININT64 / 2;
  self->clean_since_ms = -1;
  self->probe_wait_ms = PROBE_WAIT_MIN_MS;
}

/* Pacing a thinned child: never slower than this, never faster than that; up by this share
 * in each clean window in which it sent at least PACE_USED of the pace (a slow search for the
 * link's rate), and down to what got through in one that queued. */
#define PACE_MIN_KBPS 100.0
#define PACE_MAX_KBPS 20000.0
#define PACE_STEP 1.02
#define PACE_USED 0.9

/* The rate of the lowest @level layers. */
static double
rate_of (const CanopyLayersReport *report,
         guint                     level)
{
  double rate = 0;

  for (guint i = 0; i < level && i < CANOPY_LAYERS_MAX; i++)
    rate += report->layer_kbps[i];
  return rate;
}

/* The level after a step down: at least one less, and as few as the rate that got through
 * (what was sent, less what was lost) carries with some headroom, when the rates are known. */
static guint
step_down (CanopyLayers             *self,
           const CanopyLayersReport *report,
           double                    loss)
{
  double through = report->sent_kbps * (1 - loss) * HEADROOM;
  guint level = self->level - 1;

  self->through_kbps = report->sent_kbps * (1 - loss);
  while (level > 1 && through > 0 && rate_of (report, level) > through)
    level--;
  return level;
}

static void
set_level (CanopyLayers *self,
           guint         level,
           gint64        now_ms)
{
  self->level = level;
  self->changed_ms = now_ms;
  self->clean_since_ms = now_ms;
  self->congested_run = 0;
  self->lossy_run = 0;
}

/**
 * canopy_layers_judge:
 * @self: a judge
 * @now_ms: a monotonic time
 * @report: what the child's reports said over the last window
 *
 * Also sets @self's pace_kbps: how fast to send the thinned child its video (0: as it comes).
 *
 * Returns: how many layers to send the child from now on
 */
guint
canopy_layers_judge (CanopyLayers             *self,
                     gint64                    now_ms,
                     const CanopyLayersReport *report)
{
  gboolean have_rtt = report->rtt_ms >= 0;
  gboolean have_loss = report->loss >= 0;
  double loss = have_loss ? CLAMP (report->loss, 0, 1) : 0;
  double got_through = MAX (PACE_MIN_KBPS, report->sent_kbps * (1 - loss));
  double rise = 0;
  gboolean congested, clean, queueing;

  if (have_rtt) {
    if (self->base_rtt_ms < 0 || report->rtt_ms < self->base_rtt_ms)
      self->base_rtt_ms = report->rtt_ms;
    else if (self->last_ms >= 0)
      self->base_rtt_ms += BASE_CREEP_MS_PER_S * (now_ms - self->last_ms) / 1000.0;
    rise = report->rtt_ms - self->base_rtt_ms;
  }
  self->last_ms = now_ms;
  self->rise_ms = rise;
  self->loss = loss;
  if (self->clean_since_ms < 0)
    self->clean_since_ms = now_ms;

  congested = have_rtt && ((rise >= RISE_MS && loss >= LOSS_WITH_RISE) || rise >= DEEP_RISE_MS);
  self->congested_run = congested ? self->congested_run + 1 : 0;
  self->lossy_run = loss >= LOSS_ALONE ? self->lossy_run + 1 : 0;
  clean = have_rtt && have_loss && rise < CLEAN_RISE_MS && loss < CLEAN_LOSS;
  queueing = congested || (have_rtt && rise >= UNDO_RISE_MS) || loss >= LOSS_ALONE;

  if (self->probing) {
    /* The layer tried is too much: back at once, and wait longer before the next try. */
    if (queueing) {
      self->probing = FALSE;
      self->probe_wait_ms = MIN (self->probe_wait_ms * 2, PROBE_WAIT_MAX_MS);
      if (have_rtt && rise >= UNDO_RISE_MS)
        self->pace_kbps = MIN (self->pace_kbps, got_through);
      set_level (self, self->level - 1, now_ms);
      return self->level;
    }
    if (now_ms - self->changed_ms >= PROBE_MS) {
      self->probing = FALSE;
      self->probe_wait_ms = PROBE_WAIT_MIN_MS;
      self->clean_since_ms = now_ms;
      if (self->level == CANOPY_LAYERS_MAX) {
        self->through_kbps = 0;
        self->pace_kbps = 0;
      }
    }
    return self->level;
  }

  if ((self->congested_run >= CONGESTED_WINDOWS || self->lossy_run >= LOSSY_WINDOWS) &&
      self->level > 1 && now_ms - self->changed_ms >= HOLD_MS) {
    set_level (self, step_down (self, report, loss), now_ms);
    self->pace_kbps = MAX (got_through, rate_of (report, self->level));
    return self->level;
  }

  /* Thinned: the pace follows the link, up slowly while it keeps up, down to what got through
   * when the bottleneck queues again (loss with a flat round trip is our own queue's, at a
   * pace below what the layers need: cutting the pace would only make it worse). */
  if (self->level < CANOPY_LAYERS_MAX) {
    /* Up only when the pace was what held the child back: a link that carried less than the
     * pace proves nothing about it. */
    if (clean && report->sent_kbps >= PACE_USED * self->pace_kbps)
      self->pace_kbps = MIN (self->pace_kbps * PACE_STEP, PACE_MAX_KBPS);
    else if (have_rtt && rise >= UNDO_RISE_MS)
      self->pace_kbps = MIN (self->pace_kbps, got_through);
    /* Slower than the layers sent come, our own queue overflows: no better than the link's. */
    self->pace_kbps = MAX (self->pace_kbps, rate_of (report, self->level));
  }

  if (!clean) {
    self->clean_since_ms = now_ms;
  } else if (self->level < CANOPY_LAYERS_MAX &&
             now_ms - self->clean_since_ms >= self->probe_wait_ms &&
             now_ms - self->changed_ms >= self->probe_wait_ms &&
             (rate_of (report, self->level + 1) <= self->pace_kbps ||
              now_ms - self->clean_since_ms >= PROBE_WAIT_MAX_MS)) {
    /* Only once the pace the link kept up with would carry the next layer (or after a long
     * quiet while): a try that cannot work costs the child its playback for a moment. */
    set_level (self, self->level + 1, now_ms);
    self->pace_kbps = MAX (self->pace_kbps, rate_of (report, self->level) * PACE_STEP);
    self->probing = TRUE;
  }
  return self->level;
}
