/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include "canopy-chat.h"
#include "canopy-file.h"
#include "canopy-node-map.h"

G_BEGIN_DECLS

typedef enum {
  CANOPY_NODE_ROLE_HOST,
  CANOPY_NODE_ROLE_VIEWER,
} CanopyNodeRole;

/**
 * CanopyNodeState:
 * @CANOPY_NODE_STATE_IDLE: not started
 * @CANOPY_NODE_STATE_CONNECTING: reaching the signalling server
 * @CANOPY_NODE_STATE_JOINING: asking for a room or a place in the tree
 * @CANOPY_NODE_STATE_LIVE: hosting, or attached to a parent
 * @CANOPY_NODE_STATE_REJOINING: lost the parent, finding a new one (children stay)
 * @CANOPY_NODE_STATE_ENDED: left, or the room closed
 * @CANOPY_NODE_STATE_FAILED: could not start or lost the server before joining
 */
typedef enum {
  CANOPY_NODE_STATE_IDLE,
  CANOPY_NODE_STATE_CONNECTING,
  CANOPY_NODE_STATE_JOINING,
  CANOPY_NODE_STATE_LIVE,
  CANOPY_NODE_STATE_REJOINING,
  CANOPY_NODE_STATE_ENDED,
  CANOPY_NODE_STATE_FAILED,
} CanopyNodeState;

/**
 * CanopyEndReason:
 * @CANOPY_END_REASON_LEFT: this node left (canopy_node_leave())
 * @CANOPY_END_REASON_ROOM_CLOSED: the host ended the room, or it is gone
 * @CANOPY_END_REASON_SERVER_LOST: the signalling server could not be reached any more
 * @CANOPY_END_REASON_FAILED: the node could not start, create or join the room
 * @CANOPY_END_REASON_REMOVED: the host removed this viewer from the room
 *
 * Why a node ended (#CanopyNode::left). The enum's nicks ("left", "room-closed", ...) are
 * what `canopy-node --events` prints.
 */
typedef enum {
  CANOPY_END_REASON_LEFT,
  CANOPY_END_REASON_ROOM_CLOSED,
  CANOPY_END_REASON_SERVER_LOST,
  CANOPY_END_REASON_FAILED,
  CANOPY_END_REASON_REMOVED,
} CanopyEndReason;

#define CANOPY_TYPE_NODE (canopy_node_get_type ())
G_DECLARE_FINAL_TYPE (CanopyNode, canopy_node, CANOPY, NODE, GObject)

CanopyNode      *canopy_node_new            (CanopyNodeRole  role,
                                             const char     *server_url);
void             canopy_node_start          (CanopyNode     *self);
void             canopy_node_leave          (CanopyNode     *self);
gboolean         canopy_node_send_chat      (CanopyNode     *self,
                                             const char     *text,
                                             GError        **error);
gboolean         canopy_node_set_source     (CanopyNode     *self,
                                             const char     *spec,
                                             GError        **error);

CanopyNode      *canopy_node_new_rejoin     (CanopyNode     *self);
void             canopy_node_set_volume     (CanopyNode     *self,
                                             double          volume);
double           canopy_node_get_volume     (CanopyNode     *self);
void             canopy_node_set_muted      (CanopyNode     *self,
                                             gboolean        muted);
gboolean         canopy_node_get_muted      (CanopyNode     *self);
const GError    *canopy_node_get_last_error (CanopyNode     *self);

CanopyNodeRole   canopy_node_get_role       (CanopyNode     *self);
CanopyNodeState  canopy_node_get_state      (CanopyNode     *self);
const char      *canopy_node_get_peer_id    (CanopyNode     *self);
const char      *canopy_node_get_room_id    (CanopyNode     *self);
const char      *canopy_node_get_parent_id  (CanopyNode     *self);
int              canopy_node_get_depth      (CanopyNode     *self);
guint            canopy_node_get_n_children (CanopyNode     *self);
guint            canopy_node_get_measured_capacity (CanopyNode *self);
guint            canopy_node_get_viewers    (CanopyNode     *self);
CanopyNodeMap   *canopy_node_get_map        (CanopyNode     *self);
guint64          canopy_node_get_frames     (CanopyNode     *self);
guint64          canopy_node_get_packets    (CanopyNode     *self);
guint64          canopy_node_get_bytes      (CanopyNode     *self);
double           canopy_node_get_rtt_ms     (CanopyNode     *self);
guint64          canopy_node_get_fec_recovered (CanopyNode  *self);
double           canopy_node_get_latency_ms (CanopyNode     *self);
double           canopy_node_get_bitrate_kbps (CanopyNode   *self);
guint64          canopy_node_get_keyframes_refused (CanopyNode *self);
JsonObject      *canopy_node_get_child_layers      (CanopyNode *self);
guint64          canopy_node_get_chat_refused (CanopyNode      *self);
guint64          canopy_node_get_maps_refused (CanopyNode      *self);
guint64          canopy_node_get_files_refused (CanopyNode     *self);
void             canopy_node_set_file_rate  (CanopyNode     *self,
                                             guint64         rate_bytes);
char            *canopy_node_share_file     (CanopyNode     *self,
                                             const char     *path,
                                             GError        **error);
void             canopy_node_share_file_async (CanopyNode          *self,
                                               const char          *path,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
char            *canopy_node_share_file_finish (CanopyNode         *self,
                                                GAsyncResult       *result,
                                                GError            **error);
GBytes          *canopy_node_dup_file_contents (CanopyNode         *self,
                                                const char         *id);
gboolean         canopy_node_cancel_file    (CanopyNode     *self,
                                             const char     *id,
                                             GError        **error);
void             canopy_node_set_takes_files (CanopyNode    *self,
                                             gboolean        takes);
JsonObject      *canopy_node_get_files_sent (CanopyNode     *self);
void             canopy_node_set_file_policy (CanopyNode    *self,
                                             gboolean        allowed,
                                             guint64         max_size);
gboolean         canopy_node_get_files_allowed (CanopyNode  *self);
guint64          canopy_node_get_file_max_size (CanopyNode  *self);

void             canopy_node_kick           (CanopyNode     *self,
                                             const char     *peer);
void             canopy_node_mute_peer      (CanopyNode     *self,
                                             const char     *peer,
                                             gboolean        muted);
gboolean         canopy_node_is_peer_muted  (CanopyNode     *self,
                                             const char     *peer);
void             canopy_node_set_locked     (CanopyNode     *self,
                                             gboolean        locked);
gboolean         canopy_node_get_locked     (CanopyNode     *self);
void             canopy_node_set_password   (CanopyNode     *self,
                                             const char     *password);

const char      *canopy_end_reason_to_string (CanopyEndReason reason);

G_END_DECLS
