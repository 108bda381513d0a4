/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A child's link counts as congested in a second when it lost at least this share of what was
 * sent to it... */
#define CANOPY_UPLOAD_LOSS_MIN 0.10
/* ...while its round trip stood at least this far above the least one it ever had: packets
 * waiting in a queue on the way, not a lossy radio link (random loss leaves the round trip
 * flat). */
#define CANOPY_UPLOAD_QUEUE_MS 20.0
/* Seconds in a row of evidence (two children's links or more congested, all but at most one)
 * before the capacity is lowered. */
#define CANOPY_UPLOAD_EVIDENCE_S 2
/* Seconds after a change in which nothing is judged: the shed children are still leaving. */
#define CANOPY_UPLOAD_HOLD_S 5
/* Seconds without any evidence before the capacity goes one up again (towards the declared
 * one), doubled after each lowering past the first, up to 16 times. */
#define CANOPY_UPLOAD_RAISE_S 60

/* What a relay knows of one child's stream, from its own counts and the child's pings: all
 * cumulative but the round trip. */
typedef struct {
  guint64 bytes_sent;
  guint64 packets_sent;
  gint64 packets_lost;         /* sent less what the child said it received (an offset of the
                                * packets in flight is fine: only differences count) */
  double rtt_ms;               /* the child's latest round trip to us; < 0 when none yet */
} CanopyUploadReport;

/*
 * Whether a node's upload (a relay's, or the host's) sustains its children, judged from what
 * each received of what was sent to it and its round trip to the node. The signature of the
 * node's own bottleneck is that all its children's links degrade together: heavy loss and a
 * round trip risen from queueing, on every link at once, for several seconds. Each child's
 * report is only its word, so at most one child that says it is well is overruled by two
 * starving siblings or more (and counted as getting what they got). One thin child alone is
 * that child's link; loss with a flat round trip is loss on the way (or upstream, passed on),
 * not a full upload. From the evidence it derives how many streams the upload delivered (the
 * children's received share of what was sent, summed, over one stream's rate) and lowers the
 * capacity to that, never below the least it is given (0 for a relay, 1 for the host: the
 * room's only source keeps a way out) and otherwise always below the children it has. It
 * rises one at a time again after a quiet while, never above the declared one, and not while
 * all children but one starve. Pure arithmetic, driven once a second.
 */
typedef struct {
  guint declared;              /* what the node declared at join: never more */
  guint least;                 /* never fewer */
  guint capacity;              /* what it takes now */
  GHashTable *children;        /* child id -> its state (canopy-upload.c) */
  guint streak;                /* seconds in a row with evidence */
  double delivered;            /* over the streak: streams' bytes the children received */
  double stream;               /* over the streak: one stream's bytes */
  guint quiet_s;               /* seconds without evidence */
  guint lowered;               /* times lowered so far */
  guint hold_s;                /* seconds left in which nothing is judged */
  guint judged;                /* children judged in the last tick */
} CanopyUpload;

void     canopy_upload_init   (CanopyUpload             *self,
                               guint                     declared,
                               guint                     least);
void     canopy_upload_clear  (CanopyUpload             *self);
void     canopy_upload_report (CanopyUpload             *self,
                               const char               *child,
                               const CanopyUploadReport *report);
gboolean canopy_upload_tick   (CanopyUpload             *self,
                               double                    upstream_loss);

G_END_DECLS
