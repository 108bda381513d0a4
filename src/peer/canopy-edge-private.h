/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-edge.h"

#include <stdatomic.h>
#include <stdint.h>

#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-post.h"
#include "canopy-thin.h"
#include "canopy-throttle.h"
#include "canopy-upload.h"

G_BEGIN_DECLS

/*
 * CanopyEdge's own fields, shared by its files: canopy-edge.c (the webrtcbin, negotiation,
 * media branches and teardown), canopy-edge-channels.c (the data channels) and
 * canopy-edge-stats.c (what a child is sent and reports of it).
 */
typedef struct _CanopyEdgeSent CanopyEdgeSent;

struct _CanopyEdge {
  GObject parent_instance;

  GMainContext *context;
  GstBin *pipeline;
  GstElement *webrtcbin;
  char *peer_id;
  gboolean to_child;
  gint closed;                 /* atomic: read on webrtcbin's threads */
  gint secured;                /* atomic: DTLS went through once */
  gboolean have_remote;
  /* the longest data channel message the far side takes (canopy_webrtc_max_message_size()),
   * set from its description on the main context */
  gsize remote_max_message;
  guint64 oversized_dropped;
  gboolean gone_emitted;

  /* to a child: the branches tee -> queue -> webrtcbin */
  GstElement *video_tee;
  GstElement *audio_tee;
  GstElement *queues[2];
  GstPad *tee_pads[2];
  CanopyBudget *keyframes;     /* the child's keyframe requests, by RTCP or on ctrl */
  CanopyThin *thin;            /* the temporal layers its link carries */
  GSource *judge_source;       /* judges them every CANOPY_LAYERS_WINDOW_MS */

  /* to the parent: what the webrtcbin's src pads feed, and who takes its packets as they
   * come (nullable) */
  GstPad *linked_sinks[2];
  CanopyForward *forward;
  GPtrArray *jitterbuffers;    /* under lock: one per stream the parent sends */
  gint retry_ms;               /* under lock: their rtx-retry-timeout, -1 automatic */

  GstWebRTCDataChannel *ctrl;
  GstWebRTCDataChannel *chat;
  GstWebRTCDataChannel *file;
  GstWebRTCDataChannel *beat;
  /* lock guards watched, linked_sinks and jitterbuffers: pad-added, on-data-channel and
   * new-jitterbuffer fill them on webrtcbin's threads, close() empties them on the main
   * context. */
  GMutex lock;
  GPtrArray *watched;          /* every channel whose signals point at us */
  GQueue pending_ctrl;
  GQueue pending_chat;

  /* Pings are answered on the data channel's own thread (see canopy_edge_answer_pings()):
   * read there, set once under lock. */
  CanopyEdgeCountFunc pong_count;
  GObject *pong_source;
  gint64 pong_at;              /* when one was last answered: that thread's alone */

  /* When the neighbour last sent anything on a data channel, and the longest recent wait
   * between two messages (fading by 5 % a message): written on the channel's thread, read on
   * the main context. */
  atomic_int_least64_t heard_at;
  atomic_int_least64_t gap_us;

  /* to a child: what was handed to its webrtcbin (counted on the streaming threads) and, under
   * lock, that count and the child's as of its last ping (canopy-edge-stats.c) */
  CanopyEdgeSent *sent_count;
  CanopyUploadReport sent;
  gboolean sent_fresh;
};


typedef void (*CanopyEdgeFunc) (CanopyEdge *self, gpointer data);

/* canopy-edge.c */
gboolean canopy_edge_is_closed         (CanopyEdge     *self);
void     canopy_edge_post              (CanopyEdge     *self,
                                        CanopyEdgeFunc  func,
                                        gpointer        data,
                                        GDestroyNotify  destroy);
void     canopy_edge_emit_message      (CanopyEdge     *self,
                                        const char     *label,
                                        const char     *text);
void     canopy_edge_emit_channel_open (CanopyEdge     *self,
                                        const char     *label);
void     canopy_edge_emit_file_frame   (CanopyEdge     *self,
                                        GBytes         *frame);
void     canopy_edge_emit_file_drained (CanopyEdge     *self);
void     canopy_edge_emit_gone         (CanopyEdge     *self,
                                        gpointer        why);

/* canopy-edge-channels.c */
void     canopy_edge_watch_channel     (CanopyEdge           *self,
                                        GstWebRTCDataChannel *channel,
                                        const char           *label);
void     canopy_edge_on_data_channel   (GstElement           *webrtcbin,
                                        GstWebRTCDataChannel *channel,
                                        gpointer              user_data);
void     canopy_edge_release_channels  (CanopyEdge           *self);

/* canopy-edge-stats.c */
void     canopy_edge_count_sent        (CanopyEdge           *self,
                                        GstPad               *pad);
void     canopy_edge_note_ping         (CanopyEdge           *self,
                                        gint64                rx,
                                        double                rtt_ms);
void     canopy_edge_sent_clear        (CanopyEdge           *self);

G_END_DECLS
