/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyUpload"

#include "canopy-upload.h"

#include <math.h>

/* Loss this heavy on every child's link at once counts without a risen round trip: a queue
 * that was full before the child came (its least round trip already includes it), or a
 * policer that drops without queueing. */
#define HEAVY_LOSS 0.20
/* A child not reported for this many ticks in a row is gone. */
#define MISSES_MAX 5

typedef struct {
  CanopyUploadReport last;     /* as of the tick before */
  CanopyUploadReport now;
  gboolean have_last;
  gboolean fresh;              /* reported since the last tick */
  guint misses;
  double min_rtt;              /* the least round trip it ever had; < 0 before one */
} Child;

/**
 * canopy_upload_init:
 * @self: an upload judge
 * @declared: the children the node declared it takes
 * @least: never fewer than this, whatever the upload (at most @declared)
 */
void
canopy_upload_init (CanopyUpload *self,
                    guint         declared,
                    guint         least)
{
  *self = (CanopyUpload) { 0 };
  self->declared = declared;
  self->least = MIN (least, declared);
  self->capacity = declared;
  self->children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
canopy_upload_clear (CanopyUpload *self)
{
  g_clear_pointer (&self->children, g_hash_table_unref);
}

/**
 * canopy_upload_report:
 * @self: an upload judge
 * @child: the child's peer id
 * @report: what the relay knows of its stream to @child now
 */
void
canopy_upload_report (CanopyUpload             *self,
                      const char               *child,
                      const CanopyUploadReport *report)
{
  Child *c = g_hash_table_lookup (self->children, child);

  if (c == NULL) {
    c = g_new0 (Child, 1);
    c->min_rtt = -1;
    g_hash_table_insert (self->children, g_strdup (child), c);
  }
  c->now = *report;
  c->fresh = TRUE;
  if (report->rtt_ms >= 0 && (c->min_rtt < 0 || report->rtt_ms < c->min_rtt))
    c->min_rtt = report->rtt_ms;
}

/* Goes one up after a quiet while that doubles with each lowering past the first. */
static gboolean
maybe_raise (CanopyUpload *self)
{
  guint wait_s = CANOPY_UPLOAD_RAISE_S << MIN (self->lowered > 0 ? self->lowered - 1 : 0, 4);

  if (self->capacity >= self->declared || ++self->quiet_s < wait_s)
    return FALSE;
  self->capacity++;
  self->quiet_s = 0;
  return TRUE;
}

/**
 * canopy_upload_tick:
 * @self: an upload judge
 * @upstream_loss: the share of its parent's packets the node itself never got in the last
 *   second (0-1): its children cannot get those either, whatever its upload
 *
 * Once a second, after the reports of every child.
 *
 * Returns: whether `capacity` changed
 */
gboolean
canopy_upload_tick (CanopyUpload *self,
                    double        upstream_loss)
{
  GHashTableIter iter;
  gpointer value;
  guint judged = 0;
  guint congested = 0;
  double delivered = 0;        /* by the congested children's links */
  double shares = 0;           /* their received shares, summed */
  double unhurt = 0;           /* the rate of the others */
  double stream = 0;
  guint measured;

  upstream_loss = CLAMP (upstream_loss, 0, 1);
  g_hash_table_iter_init (&iter, self->children);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Child *c = value;

    if (!c->fresh) {
      if (++c->misses >= MISSES_MAX)
        g_hash_table_iter_remove (&iter);
      continue;
    }
    c->fresh = FALSE;
    c->misses = 0;
    if (c->have_last && c->now.packets_sent > c->last.packets_sent &&
        c->now.bytes_sent >= c->last.bytes_sent) {
      double sent = (double) (c->now.packets_sent - c->last.packets_sent);
      double rate = (double) (c->now.bytes_sent - c->last.bytes_sent);
      double lost = (double) (c->now.packets_lost - c->last.packets_lost);
      double loss = CLAMP (lost / sent, 0, 1);
      /* What the child lacks that we had: lost after us. */
      double excess = MAX (0, loss - upstream_loss);
      double arriving = 0;
      gboolean queued = c->now.rtt_ms >= 0 && c->min_rtt >= 0 &&
                        c->now.rtt_ms - c->min_rtt >= CANOPY_UPLOAD_QUEUE_MS;
      gboolean lossy;

      /* "Lost" is what we sent and the child had not counted when it pinged: a round trip's
       * worth is only on its way. When the round trip grows, more is on its way; whether the
       * link is congested is judged without it (on a starved CPU the round trip of a loopback
       * link swings by hundreds of ms, and nothing is lost). What it delivered is counted as
       * before: a queue that grows is filling, and what fills it is mostly dropped later. */
      if (c->now.rtt_ms > c->last.rtt_ms && c->last.rtt_ms >= 0)
        arriving = CLAMP ((c->now.rtt_ms - c->last.rtt_ms) / 1000.0, 0, 1);  /* of a second sent */
      lossy = excess - arriving >= CANOPY_UPLOAD_LOSS_MIN;

      judged++;
      if ((lossy && queued) || excess - arriving >= HEAVY_LOSS) {
        congested++;
        delivered += rate * (1 - excess);
        shares += 1 - excess;
      } else {
        unhurt += rate;
      }
      stream = MAX (stream, rate);
    }
    c->last = c->now;
    c->have_last = TRUE;
  }
  self->judged = judged;

  if (self->hold_s > 0) {
    self->hold_s--;
    self->streak = 0;
    return FALSE;
  }
  /* Evidence: two children or more congested, and at most one not. A child's pings are only
   * its word: one child alone can neither lower the capacity (claiming loss) nor, beside two
   * starving siblings, keep it from being lowered (claiming it got everything). */
  if (judged < 2 || congested < 2 || congested + 1 < judged || stream <= 0) {
    self->streak = 0;
    self->delivered = self->stream = 0;
    /* No rise while all children but one starve: the one may be lying (with two children,
     * one starving is enough to wait). */
    if (judged >= 2 && congested >= 1 && congested + 1 >= judged) {
      self->quiet_s = 0;
      return FALSE;
    }
    return maybe_raise (self);
  }
  /* The one that is not congested shares the same upload: counted as getting what its
   * siblings got, whatever it says. */
  delivered += unhurt * shares / congested;
  self->quiet_s = 0;
  self->streak++;
  self->delivered += delivered;
  self->stream += stream;
  if (self->streak < CANOPY_UPLOAD_EVIDENCE_S)
    return FALSE;

  /* The streams the upload delivered, whole ones; fewer than it has, since it fails those. */
  measured = (guint) floor (self->delivered / self->stream);
  measured = MAX (MIN (measured, judged - 1), self->least);
  self->streak = 0;
  self->delivered = self->stream = 0;
  if (measured >= self->capacity)
    return FALSE;
  self->capacity = measured;
  self->lowered++;
  self->hold_s = CANOPY_UPLOAD_HOLD_S;
  return TRUE;
}
