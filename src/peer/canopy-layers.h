/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Temporal layers the host's VP8 encoder makes: 7.5, 15 and 30 frames a second. */
#define CANOPY_LAYERS_MAX 3
/* How often the judge is asked, from what the child's RTCP reports said meanwhile. */
#define CANOPY_LAYERS_WINDOW_MS 500

/*
 * How many of the stream's temporal layers a relay sends one child, judged from that child's
 * RTCP receiver reports. Random loss is not congestion: a link with a steady few per cent of
 * loss and a flat round trip keeps everything (the retransmissions repair it); only a link that
 * shows its queue filling (the round trip well above the least seen) together with heavy loss,
 * or a queue far beyond any jitter, or loss too heavy for any repair, is thinned, as far down as
 * the rate that still got through says. A layer up is tried again after a quiet while (longer
 * after each try that failed) and undone as soon as the round trip rises. Pure arithmetic,
 * driven every CANOPY_LAYERS_WINDOW_MS by the edge to the child.
 */
typedef struct {
  double rtt_ms;                        /* the least round trip in the window; < 0 none */
  double loss;                          /* share of packets lost in the window; < 0 none */
  double sent_kbps;                     /* what the child was sent in the window */
  double layer_kbps[CANOPY_LAYERS_MAX]; /* each layer's own rate in the stream (smoothed) */
} CanopyLayersReport;

typedef struct {
  guint level;                          /* layers sent: 1 .. CANOPY_LAYERS_MAX */
  double base_rtt_ms;                   /* the least round trip seen, creeping up; < 0 none */
  gint64 last_ms;
  guint congested_run;                  /* windows in a row that looked congested */
  guint lossy_run;                      /* windows in a row with loss beyond any repair */
  gint64 changed_ms;                    /* when the level last changed */
  gint64 clean_since_ms;                /* since when every window was clean */
  gboolean probing;                     /* a layer up is being tried */
  guint probe_wait_ms;                  /* quiet time before the next try */
  double through_kbps;                  /* what got through at the last step down; 0 none */
  double pace_kbps;                     /* how fast to send a thinned child; 0 as it comes */
  /* what the judge saw last, for messages */
  double rise_ms;
  double loss;
} CanopyLayers;

void  canopy_layers_init  (CanopyLayers             *self);
guint canopy_layers_judge (CanopyLayers             *self,
                           gint64                    now_ms,
                           const CanopyLayersReport *report);

G_END_DECLS
