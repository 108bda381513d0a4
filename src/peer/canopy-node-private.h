/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-error.h"
#include "canopy-file-store.h"
#include "canopy-identity.h"
#include "canopy-statement.h"
#include "canopy-link.h"
#include "canopy-media.h"
#include "canopy-node.h"
#include "canopy-room.h"
#include "canopy-signal-client.h"
#include "canopy-source.h"
#include "canopy-throttle.h"
#include "canopy-upload.h"

G_BEGIN_DECLS

/*
 * CanopyNode's own fields, shared by its files: canopy-node.c (the object, its
 * properties, signals and getters), canopy-node-life.c (starting, timers, chat and source,
 * leaving and failing), canopy-node-signalling.c (the conversation with the server),
 * canopy-node-tree.c (the links to the parent and the children) and canopy-node-upload.c
 * (whether a relay's upload sustains its children). What the node coordinates
 * keeps its fields to itself: CanopyMedia (the pipeline), CanopyLink (one tree link and its
 * protocol), CanopyRoom (map, chat, placement).
 */
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
  char *password;              /* the room's (host), or to join with (viewer); NULL: none */
  char *source_spec;
  CanopyCodec codec;
  guint width;
  guint height;
  guint fps;
  guint bitrate_kbps;
  gboolean decode;
  guint latency_ms;
  gint fec;                     /* host: see the "fec" property */
  CanopyRepair last_repair;     /* the last parent link's, for the next one to start from */
  GstElement *video_sink;
  GstElement *audio_sink;
  GstElement *preview_sink;
  char **ice_addresses;
  CanopyIdentity *identity;
  double volume;
  gboolean muted;

  /* state */
  CanopyNodeState state;
  char *peer_id;
  char *room_id;
  char *secret;
  char *parent_id;
  int depth;
  gboolean joined_emitted;
  GError *last_error;
  JsonArray *ice_servers;
  CanopyIceConfig ice;
  CanopySignalClient *client;
  GCancellable *cancellable;
  gboolean connected;          /* to the signalling server, welcomed (and resumed) */
  gboolean resuming;           /* reconnected: taking our id and place back */
  guint64 wait_packets;        /* media packets when a member waiting for its host last saw */
  gint64 wait_media_at;        /* new ones (0: not waiting) */
  guint reconnect_attempts;
  GPtrArray *avoid;            /* parents we left for silence, refused in our next joins */
  gint64 avoid_full_since;     /* the host first said "full" to a join refusing them */
  guint connect_failures;      /* parents in a row that never connected */
  gint64 join_deadline;        /* when a join that found no place fails; 0 when placed */
  gint64 full_since;           /* the host first said the room is full */

  /* what it coordinates */
  CanopyMedia *media;
  CanopyRoom *room;            /* from the welcome on */
  CanopyLink *parent;
  GPtrArray *children;         /* CanopyLink, in attach order */
  GPtrArray *departing;        /* CanopyLink: parents left with a bye, closed a moment later */
  CanopyThrottle *keyframe_throttle;
  guint64 chat_forged;         /* chat messages dropped for a bad or missing signature */
  guint64 maps_refused;        /* maps from the parent that were not the host's */
  guint forged_maps;           /* ...from the present parent */
  guint64 statement_seq;       /* of our last edge statement */

  /* a relay's measured upload (canopy-node-upload.c) */
  CanopyUpload upload;
  gboolean upload_ready;
  GPtrArray *shed;             /* CanopyLink: children told to move, closed a moment later */
  guint shed_id;
  gint64 capacity_said_at;     /* when we last told the host our capacity; 0: never */
  guint64 upstream_lost;       /* the parent's packets given up, as of the last second */
  guint64 upstream_packets;    /* ...and received */

  /* FEC where it pays (canopy-node-fec.c) */
  gint64 fec_until;            /* we want it until then (monotonic µs) */
  guint64 fec_unrepaired;      /* the parent link's packets given up and not rebuilt... */
  guint64 fec_rebuilt;         /* ...and rebuilt from FEC, as of the last second */
  gboolean fec_told;           /* what the parent was last told: "fec-on" */

  /* files (canopy-node-files.c) */
  CanopyFileStore *files;      /* what we share and receive, kept for late joiners */
  GHashTable *file_progress;   /* id -> gint64: when its progress was last told */
  GHashTable *unknown_files;   /* id -> peer id: chunks came from it before the offer */
  guint64 files_refused;       /* forged offers and chunks that failed their hash */
  guint forged_chunks;         /* ...of them from the present parent */
  guint64 file_rate;           /* bytes a second on each edge's file channel */
  gboolean takes_files;        /* FALSE: offers are ignored, nothing asked for (--no-files) */
  GHashTable *cancelled;       /* id -> the cancel as taken: its offers and chunks dropped */
  /* the host's policy (canopy-node-file-policy.c) */
  gboolean files_allowed;
  guint64 max_file_size;
  guint64 file_policy_version;
  JsonObject *file_policy;     /* signed by the host, for new children; NULL: the defaults */

  /* moderation (canopy-node-moderation.c) */
  gboolean locked;             /* host: no newcomers */
  GPtrArray *banned;           /* host: ids removed from the room, told the server again on
                                * a resume */
  guint64 keyframes_refused;   /* by children that were dropped since (see the getter) */

  /* timers */
  guint stats_id;
  guint heartbeat_id;
  gint64 last_beat;
  guint reconnect_id;
  guint answer_id;             /* a join request the host has not answered yet */
  guint retry_id;
  guint room_update_id;
  guint leave_id;
  guint departing_id;
  gint64 last_room_update;
  gint64 join_started;
  guint join_attempts;
};

/* canopy-node.c */
void         canopy_node_set_source_spec  (CanopyNode      *self,
                                           const char      *spec);
void         canopy_node_apply_volume     (CanopyNode      *self);
void         canopy_node_emit_stats       (CanopyNode      *self);
void         canopy_node_emit_first_frame (CanopyNode      *self,
                                           double           ms);
void         canopy_node_set_state        (CanopyNode      *self,
                                           CanopyNodeState  state);
void         canopy_node_set_peer_id      (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_set_name         (CanopyNode      *self,
                                           const char      *name);
void         canopy_node_set_room_id      (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_set_parent_id    (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_emit_error       (CanopyNode      *self,
                                           CanopyError      code,
                                           const char      *message);
void         canopy_node_emit_left        (CanopyNode      *self,
                                           CanopyEndReason  reason);
void         canopy_node_emit_joined      (CanopyNode      *self);
void         canopy_node_emit_map_changed (CanopyNode      *self);
void         canopy_node_emit_chat        (CanopyNode      *self,
                                           const CanopyChatMessage *message);
void         canopy_node_notify_tree      (CanopyNode      *self);
void         canopy_node_notify_capacity  (CanopyNode      *self);
void         canopy_node_set_connected    (CanopyNode      *self,
                                           gboolean         connected);

void         canopy_node_emit_file_offered (CanopyNode    *self,
                                           const CanopyFileManifest *manifest);
void         canopy_node_emit_file_progress (CanopyNode   *self,
                                           const char      *id,
                                           guint64          bytes,
                                           guint64          size);
void         canopy_node_emit_file_complete (CanopyNode   *self,
                                           const CanopyFileManifest *manifest,
                                           GBytes          *contents);
void         canopy_node_emit_file_failed (CanopyNode     *self,
                                           const char      *id,
                                           const char      *reason);

void         canopy_node_notify_file_policy (CanopyNode   *self,
                                           gboolean         allowed,
                                           gboolean         max_size);

/* canopy-node-files.c */
void         canopy_node_files_init       (CanopyNode      *self);
void         canopy_node_files_clear      (CanopyNode      *self);
GPtrArray   *canopy_node_files_links      (CanopyNode      *self);
void         canopy_node_files_refuse     (CanopyNode      *self,
                                           CanopyLink      *link,
                                           const char      *why);
void         canopy_node_files_forget     (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_files_watch      (CanopyNode      *self,
                                           CanopyLink      *link);
void         canopy_node_files_link_open  (CanopyNode      *self,
                                           CanopyLink      *link);
void         canopy_node_files_tick       (CanopyNode      *self);

/* canopy-node-file-cancel.c */
void         canopy_node_files_handle_cancel (CanopyNode   *self,
                                           CanopyLink      *link,
                                           JsonObject      *message);
gboolean     canopy_node_files_is_cancelled (CanopyNode    *self,
                                           const char      *id,
                                           CanopyLink      *link);
void         canopy_node_files_forget_cancels (CanopyNode  *self,
                                           gint64           now);

/* canopy-node-file-policy.c */
void         canopy_node_files_handle_policy (CanopyNode   *self,
                                           CanopyLink      *link,
                                           JsonObject      *message);
void         canopy_node_files_send_policy (CanopyNode     *self,
                                           CanopyLink      *child);

/* canopy-node-life.c */
void         canopy_node_fail             (CanopyNode      *self,
                                           CanopyError      code,
                                           const char      *message);

/* canopy-node-signalling.c */
void         canopy_node_connect_server   (CanopyNode      *self);
void         canopy_node_server_send      (CanopyNode      *self,
                                           JsonObject      *message);
void         canopy_node_server_say       (CanopyNode      *self,
                                           const char      *type);
void         canopy_node_ask_to_join      (CanopyNode      *self);
void         canopy_node_start_joining    (CanopyNode      *self);
void         canopy_node_finish           (CanopyNode      *self,
                                           CanopyEndReason  reason);
void         canopy_node_update_directory (CanopyNode      *self);
void         canopy_node_state_edge       (CanopyNode      *self,
                                           const char      *kind,
                                           const char      *other);

/* canopy-node-moderation.c */
void         canopy_node_moderation_resume (CanopyNode     *self,
                                           JsonObject      *resume);
void         canopy_node_send_mutes       (CanopyNode      *self,
                                           CanopyLink      *child);

/* canopy-node-tree.c */
CanopyLink  *canopy_node_find_child       (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_add_child        (CanopyNode      *self,
                                           const char      *id,
                                           const char      *name,
                                           guint            capacity);
void         canopy_node_drop_child       (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_shed_child       (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_set_parent       (CanopyNode      *self,
                                           const char      *id);
void         canopy_node_lose_parent      (CanopyNode      *self,
                                           const char      *why);
void         canopy_node_close_links      (CanopyNode      *self);
void         canopy_node_say_goodbye      (CanopyNode      *self);
void         canopy_node_publish_map      (CanopyNode      *self);
void         canopy_node_leave_parent     (CanopyNode      *self,
                                           const char      *report,
                                           const char      *why);
void         canopy_node_broadcast_chat   (CanopyNode      *self,
                                           CanopyLink      *except,
                                           const CanopyChatMessage *message);
gboolean     canopy_node_request_keyframe (gpointer         self);
void         canopy_node_tick_links       (CanopyNode      *self);
void         canopy_node_heartbeat        (CanopyNode      *self);

/* canopy-node-fec.c */
void         canopy_node_fec_update       (CanopyNode      *self);
void         canopy_node_fec_tick         (CanopyNode      *self);
void         canopy_node_fec_new_parent   (CanopyNode      *self);

/* canopy-node-upload.c */
void         canopy_node_judge_upload     (CanopyNode      *self);
void         canopy_node_upload_clear     (CanopyNode      *self);

G_END_DECLS
