/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-edge.h"
#include "canopy-error.h"
#include "canopy-node.h"
#include "canopy-signal-client.h"
#include "canopy-source.h"
#include "canopy-throttle.h"

G_BEGIN_DECLS

/* The largest tree a node accepts from the network. */
/* Flood limits per neighbour and second. Chat is forwarded to the whole room, so a flooder
 * must not get far; the limit still lets a parent's chat history (50 messages) through. */

/* A place the host promised but that never attached is given back after this. */
#define CANOPY_PENDING_TIMEOUT_US (20 * G_USEC_PER_SEC)

/* A child edge and what the child told us about its subtree. */
typedef struct {
  CanopyEdge *edge;
  char *name;
  guint capacity;
  CanopyNodeMap *subtree;
  guint64 subtree_seq;
  gboolean map_sent;
} CanopyChild;

struct _CanopyNode {
  GObject parent_instance;

  /* configuration */
  CanopyNodeRole role;
  char *server_url;
  char *name;
  guint capacity;
  guint k1;
  guint k;
  char *title;
  char *summary;
  char *cover;
  gboolean listed;
  char *source_spec;
  CanopyCodec codec;
  guint width;
  guint height;
  guint fps;
  guint bitrate_kbps;
  gboolean decode;
  guint latency_ms;
  GstElement *video_sink;
  GstElement *audio_sink;
  GstElement *preview_sink;
  double volume;
  gboolean muted;
  char **ice_addresses;

  /* state */
  CanopyNodeState state;
  char *peer_id;
  char *room_id;
  char *secret;
  char *parent_id;
  int depth;
  gboolean joined_emitted;
  JsonArray *ice_servers;
  CanopyIceConfig ice;
  CanopySignalClient *client;
  GCancellable *cancellable;

  /* media */
  GstElement *pipeline;
  GstElement *video_tee;
  GstElement *audio_tee;
  CanopySource *source;
  GstElement *volume_element;  /* viewers: the playback's volume */
  GError *last_error;
  CanopyEdge *parent_edge;
  GHashTable *children;        /* id -> CanopyChild */
  GPtrArray *child_order;      /* ids in attach order */

  /* the tree */
  CanopyNodeMap *room_map;     /* the whole room as last known (host: authoritative) */
  gboolean map_synced;
  CanopyNodeMap *sent_subtree; /* what the parent last heard about our subtree */
  guint64 subtree_seq;
  GHashTable *pending;         /* host: child id -> CanopyPending */
  guint room_update_id;
  gint64 last_room_update;

  /* keyframe requests from children, sent on up at most once per interval (relays) */
  CanopyThrottle *keyframe_throttle;

  /* chat */
  CanopyChat *chat;
  GHashTable *chat_counts;     /* neighbour id -> chat messages this second */
  GHashTable *ctrl_counts;     /* neighbour id -> control messages this second */

  /* measurements (written on streaming threads, under stats_lock) */
  GMutex stats_lock;
  guint64 frames;
  guint64 rtp_frames;
  guint64 bytes;
  double latency_sum_ms;
  guint latency_n;
  double measured_latency_ms;
  double rtt_ms;
  double measured_kbps;
  guint64 last_bytes;
  gint64 join_started;
  gint64 first_frame_us;
  guint stats_id;
  guint first_frame_id;
  guint retry_id;
  guint join_attempts;
  guint leave_id;
};

typedef struct {
  char *parent;
  gint64 deadline;
} CanopyPending;

/* canopy-node.c */
void     canopy_node_set_state         (CanopyNode      *self,
                                        CanopyNodeState  state);
void     canopy_node_set_peer_id       (CanopyNode  *self,
                                        const char  *id);
void     canopy_node_set_room_id       (CanopyNode  *self,
                                        const char  *id);
void     canopy_node_set_parent_id     (CanopyNode  *self,
                                        const char  *id);
void     canopy_node_send_simple       (CanopyNode  *self,
                                        const char  *type,
                                        const char  *member,
                                        const char  *value);
void     canopy_node_emit_left         (CanopyNode      *self,
                                        CanopyEndReason  reason);
void     canopy_node_emit_error        (CanopyNode  *self,
                                        CanopyError  code,
                                        const char  *message);
void     canopy_node_signal_send       (CanopyNode  *self,
                                        JsonObject  *message);
void     canopy_node_drop_child        (CanopyNode  *self,
                                        const char  *id);
void     canopy_node_lose_parent       (CanopyNode  *self,
                                        const char  *why);
void     canopy_node_emit_joined       (CanopyNode  *self);
void     canopy_node_emit_map_changed  (CanopyNode  *self);
void     canopy_node_emit_chat         (CanopyNode  *self,
                                        const CanopyChatMessage *message);
void     canopy_node_notify_tree       (CanopyNode  *self);

/* canopy-node-signalling.c */
void     canopy_node_connect_server    (CanopyNode  *self);
void     canopy_node_finish            (CanopyNode      *self,
                                        CanopyEndReason  reason);
void     canopy_node_close_edge        (CanopyNode  *self,
                                        CanopyEdge  *edge);
void     canopy_node_child_free        (gpointer     data);
void     canopy_node_pending_free      (gpointer     data);

void     canopy_node_apply_volume      (CanopyNode  *self);

/* canopy-node-media.c */
gboolean canopy_node_build_pipeline    (CanopyNode  *self,
                                        GError     **error);

/* canopy-node-tree.c */
void     canopy_node_recompose         (CanopyNode  *self);
void     canopy_node_on_child_ctrl_open (CanopyNode *self,
                                         CanopyChild *child);
void     canopy_node_on_child_chat_open (CanopyNode *self,
                                         CanopyChild *child);
void     canopy_node_on_parent_ctrl_open (CanopyNode *self);
void     canopy_node_on_message        (CanopyNode  *self,
                                        CanopyEdge  *edge,
                                        const char  *label,
                                        const char  *text);
void     canopy_node_send_bye          (CanopyNode  *self,
                                        CanopyEdge  *edge,
                                        const char  *reason);
void     canopy_node_send_ping         (CanopyNode  *self);
gboolean canopy_node_request_keyframe  (gpointer     self);
gboolean canopy_node_count_flood       (GHashTable  *counts,
                                        const char  *key,
                                        guint        limit);
char    *canopy_node_place             (CanopyNode  *self,
                                        const char  *joiner);
void     canopy_node_broadcast_chat    (CanopyNode  *self,
                                        CanopyEdge  *except,
                                        const CanopyChatMessage *message);

G_END_DECLS
