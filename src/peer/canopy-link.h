/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-chat.h"
#include "canopy-file-store.h"
#include "canopy-media.h"
#include "canopy-node-map.h"
#include "canopy-repair.h"
#include "canopy-upload.h"
#include "canopy-webrtc.h"

G_BEGIN_DECLS

typedef enum {
  CANOPY_LINK_TO_PARENT,
  CANOPY_LINK_TO_CHILD,
} CanopyLinkKind;

/**
 * CanopyLinkHealth:
 * @CANOPY_LINK_OK: nothing to say against the neighbour
 * @CANOPY_LINK_UNCONNECTED: the link did not open in time
 * @CANOPY_LINK_SILENT: the neighbour stopped answering (crashed, hung or cut off)
 * @CANOPY_LINK_NO_MEDIA: the parent answers but passes on no media while it gets some
 */
typedef enum {
  CANOPY_LINK_OK,
  CANOPY_LINK_UNCONNECTED,
  CANOPY_LINK_SILENT,
  CANOPY_LINK_NO_MEDIA,
} CanopyLinkHealth;

#define CANOPY_TYPE_LINK (canopy_link_get_type ())
G_DECLARE_FINAL_TYPE (CanopyLink, canopy_link, CANOPY, LINK, GObject)

CanopyLink     *canopy_link_new_to_child   (CanopyMedia           *media,
                                            const char            *peer_id,
                                            const char            *name,
                                            guint                  capacity,
                                            const CanopyIceConfig *ice);
CanopyLink     *canopy_link_new_to_parent  (CanopyMedia           *media,
                                            const char            *peer_id,
                                            const CanopyIceConfig *ice,
                                            guint                  latency_ms,
                                            const CanopyRepair    *before);

CanopyLinkKind  canopy_link_get_kind       (CanopyLink  *self);
const char     *canopy_link_get_peer_id    (CanopyLink  *self);
const char     *canopy_link_get_name       (CanopyLink  *self);
guint           canopy_link_get_capacity   (CanopyLink  *self);
gboolean        canopy_link_get_map_sent   (CanopyLink  *self);
void            canopy_link_set_map_sent   (CanopyLink  *self,
                                            gboolean     sent);
double          canopy_link_get_rtt_ms     (CanopyLink  *self);
const CanopyRepair *canopy_link_get_repair (CanopyLink  *self);
gint64          canopy_link_get_silence_us (CanopyLink *self,
                                            gint64      now);
gboolean        canopy_link_is_open        (CanopyLink  *self);
gboolean        canopy_link_has_opened     (CanopyLink  *self);
gint64          canopy_link_get_opened_at  (CanopyLink  *self);
guint64         canopy_link_get_keyframes_refused (CanopyLink *self);
guint           canopy_link_get_layers     (CanopyLink  *self);

gboolean        canopy_link_handle_signal  (CanopyLink  *self,
                                            JsonObject  *data,
                                            GError     **error);
void            canopy_link_send           (CanopyLink  *self,
                                            JsonObject  *message);
void            canopy_link_send_text      (CanopyLink  *self,
                                            const char  *text);
void            canopy_link_send_chat      (CanopyLink  *self,
                                            const char  *text);
void            canopy_link_send_request   (CanopyLink  *self,
                                            const char  *type);
void            canopy_link_send_bye       (CanopyLink  *self,
                                            const char  *reason);
void            canopy_link_tick           (CanopyLink  *self);
void            canopy_link_heartbeat      (CanopyLink  *self);
CanopyLinkHealth canopy_link_check         (CanopyLink  *self,
                                            gint64       now);
void            canopy_link_close          (CanopyLink  *self);
void            canopy_link_stop_media     (CanopyLink  *self);
gboolean        canopy_link_take_sent      (CanopyLink         *self,
                                            CanopyUploadReport *report);
guint64         canopy_link_get_media_lost (CanopyLink  *self);
guint64         canopy_link_get_fec_recovered (CanopyLink *self);
gboolean        canopy_link_wants_fec      (CanopyLink  *self);
void            canopy_link_send_chunk     (CanopyLink         *self,
                                            CanopyFileTransfer *transfer,
                                            guint               index);
void            canopy_link_want_file      (CanopyLink         *self,
                                            const char         *id);
void            canopy_link_pass_chunk     (CanopyLink         *self,
                                            CanopyFileTransfer *transfer,
                                            guint               index);
void            canopy_link_forget_file    (CanopyLink         *self,
                                            const char         *id);
void            canopy_link_set_file_rate  (CanopyLink         *self,
                                            guint64             rate_bytes);
void            canopy_link_send_frame     (CanopyLink         *self,
                                            GBytes             *frame);
void            canopy_link_get_file_stats (CanopyLink  *self,
                                            guint64     *sent,
                                            guint64     *queued,
                                            guint64     *pauses);

G_END_DECLS
