/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRepair"

#include "canopy-repair.h"

#include <math.h>
#include <string.h>

/* Time to notice a gap and the jitter around it, on top of the round trips. */
#define SLACK_MS 60

/**
 * canopy_repair_init:
 * @self: a repair state
 * @floor_ms: the least latency to use (the node's `latency`)
 */
void
canopy_repair_init (CanopyRepair *self,
                    guint         floor_ms)
{
  memset (self, 0, sizeof *self);
  self->floor_ms = floor_ms;
  self->level = 1;
  self->latency_ms = floor_ms;
  self->retry_ms = -1;
}

/**
 * canopy_repair_init_after:
 * @self: a repair state
 * @floor_ms: the least latency to use (the node's `latency`)
 * @before: (nullable): the repair of the node's last link to a parent
 *
 * A new parent's link starts where the last one ended: the keyframe a new child is sent
 * comes before its first round trip is measured, and at the floor's 60 ms nothing a lossy
 * path loses in it can be repaired, so the child asks for keyframe after keyframe (seen: 4 s
 * more without a picture at 5 % loss). The level of loss it had to repair carries over too;
 * the round trips do not (the path is new).
 */
void
canopy_repair_init_after (CanopyRepair       *self,
                          guint               floor_ms,
                          const CanopyRepair *before)
{
  canopy_repair_init (self, floor_ms);
  if (before == NULL || !before->started)
    return;
  self->level = before->level;
  self->latency_ms = MAX (floor_ms, before->latency_ms);
}

/* The latency and retry time for the round trips and level now; whether to apply them. */
static gboolean
settle (CanopyRepair *self)
{
  double rtt = canopy_repair_get_rtt (self);
  guint latency;
  gint retry;

  if (self->n_rtt == 0)
    return FALSE;

  latency = (guint) lround ((2 + self->level) * rtt) + SLACK_MS;
  latency = CLAMP (latency, self->floor_ms, MAX (self->floor_ms, CANOPY_REPAIR_MAX_LATENCY_MS));
  /* Below a few milliseconds the jitterbuffer's own estimate (packet spacing) is better. */
  retry = rtt < 5 ? -1 : (gint) lround (rtt) + 20;
  /* Small moves are not worth a latency change (each one re-times the playback). */
  if (self->started &&
      ABS ((gint) latency - (gint) self->latency_ms) < MAX (10, (gint) self->latency_ms / 10) &&
      ABS (retry - self->retry_ms) < 10)
    return FALSE;
  self->started = TRUE;
  self->latency_ms = latency;
  self->retry_ms = retry;
  return TRUE;
}

/**
 * canopy_repair_add_rtt:
 * @self: a repair state
 * @rtt_ms: one round trip measured to the parent
 *
 * Returns: whether `latency_ms` and `retry_ms` changed and are to be applied now: only once,
 *   when %CANOPY_REPAIR_FIRST_SAMPLES round trips are known (later ones wait for
 *   canopy_repair_tick())
 */
gboolean
canopy_repair_add_rtt (CanopyRepair *self,
                       double        rtt_ms)
{
  if (!(rtt_ms >= 0) || rtt_ms > 60000)
    return FALSE;
  self->rtt[self->next_rtt] = rtt_ms;
  self->next_rtt = (self->next_rtt + 1) % CANOPY_REPAIR_RTT_SAMPLES;
  self->n_rtt = MIN (self->n_rtt + 1, CANOPY_REPAIR_RTT_SAMPLES);
  return !self->started && self->n_rtt >= CANOPY_REPAIR_FIRST_SAMPLES && settle (self);
}

/**
 * canopy_repair_get_rtt:
 * @self: a repair state
 *
 * The least of the recent round trips: a ping held back by a lost SCTP packet measures the
 * data channel's own repair, not the path.
 *
 * Returns: milliseconds, or 0 before the first sample
 */
double
canopy_repair_get_rtt (CanopyRepair *self)
{
  double least = 0;

  for (guint i = 0; i < self->n_rtt; i++)
    if (i == 0 || self->rtt[i] < least)
      least = self->rtt[i];
  return least;
}

/**
 * canopy_repair_tick:
 * @self: a repair state
 * @lost_total: packets the jitterbuffers gave up so far
 *
 * Once a second. Reads the new values from `latency_ms` and `retry_ms` (-1: the
 * jitterbuffer's own estimate).
 *
 * Returns: whether they changed enough to be applied
 */
gboolean
canopy_repair_tick (CanopyRepair *self,
                    guint64       lost_total)
{
  if (lost_total > self->lost && self->started) {
    self->level = MIN (self->level + 1, CANOPY_REPAIR_MAX_LEVEL);
    self->quiet_s = 0;
  } else if (++self->quiet_s >= CANOPY_REPAIR_QUIET_S && self->level > 0) {
    self->level--;
    self->quiet_s = 0;
  }
  self->lost = lost_total;
  return settle (self);
}
