/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CANOPY_REPAIR_RTT_SAMPLES 16
/* Round trips measured on a new link before they are applied without waiting for the tick:
 * the very first ping of a link can be held up while its data channel starts. */
#define CANOPY_REPAIR_FIRST_SAMPLES 3
#define CANOPY_REPAIR_MAX_LEVEL 4
/* Seconds without a packet given up before the repair time steps down again. */
#define CANOPY_REPAIR_QUIET_S 30
#define CANOPY_REPAIR_MAX_LATENCY_MS 2000

/*
 * How long a node waits for what its parent lost, from the link's round trip and from what
 * the jitterbuffers had to give up: a retransmission takes one round trip (plus the time the
 * gap takes to be noticed), and each one can be lost too, so the jitterbuffer must wait a few
 * round trips; the more packets it still gives up, the more it waits. Pure arithmetic, driven
 * once a second by the link to the parent, and at once by its first few round trips.
 */
typedef struct {
  guint floor_ms;                       /* the node's configured latency: never less */
  double rtt[CANOPY_REPAIR_RTT_SAMPLES];
  guint n_rtt;
  guint next_rtt;
  guint level;                          /* round trips beyond two */
  guint quiet_s;
  guint64 lost;                         /* the jitterbuffers' total at the last tick */
  gboolean started;
  guint latency_ms;                     /* what was last set */
  gint retry_ms;
} CanopyRepair;

void     canopy_repair_init    (CanopyRepair *self,
                                guint         floor_ms);
void     canopy_repair_init_after (CanopyRepair       *self,
                                   guint               floor_ms,
                                   const CanopyRepair *before);
gboolean canopy_repair_add_rtt (CanopyRepair *self,
                                double        rtt_ms);
double   canopy_repair_get_rtt (CanopyRepair *self);
gboolean canopy_repair_tick    (CanopyRepair *self,
                                guint64       lost_total);

G_END_DECLS
