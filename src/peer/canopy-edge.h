/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>

#include "canopy-forward.h"
#include "canopy-limits.h"
#include "canopy-upload.h"
#include "canopy-webrtc.h"

G_BEGIN_DECLS

#define CANOPY_EDGE_CTRL "ctrl"
#define CANOPY_EDGE_CHAT "chat"
#define CANOPY_EDGE_FILE "file"
#define CANOPY_EDGE_BEAT "beat"

/* Counts something that may be read from any thread (a node's received packets). */
typedef guint64 (*CanopyEdgeCountFunc) (gpointer source);

#define CANOPY_TYPE_EDGE (canopy_edge_get_type ())
G_DECLARE_FINAL_TYPE (CanopyEdge, canopy_edge, CANOPY, EDGE, GObject)

CanopyEdge *canopy_edge_new_to_child  (GstBin                *pipeline,
                                       const char            *peer_id,
                                       GstElement            *video_tee,
                                       GstElement            *audio_tee,
                                       const CanopyIceConfig *ice);
CanopyEdge *canopy_edge_new_to_parent (GstBin                *pipeline,
                                       const char            *peer_id,
                                       GstElement            *video_tee,
                                       GstElement            *audio_tee,
                                       CanopyForward         *forward,
                                       const CanopyIceConfig *ice,
                                       guint                  latency_ms);
const char *canopy_edge_get_peer_id   (CanopyEdge            *self);
gboolean    canopy_edge_is_secured    (CanopyEdge            *self);
gboolean    canopy_edge_is_open       (CanopyEdge            *self,
                                       const char            *label);
gsize       canopy_edge_get_max_message_size  (CanopyEdge    *self);
guint64     canopy_edge_get_oversized_dropped (CanopyEdge    *self);
gboolean    canopy_edge_handle_signal (CanopyEdge            *self,
                                       JsonObject            *data,
                                       GError               **error);
void        canopy_edge_send          (CanopyEdge            *self,
                                       const char            *label,
                                       const char            *text);
void        canopy_edge_send_ping     (CanopyEdge            *self,
                                       const char            *text);
gboolean    canopy_edge_send_frame    (CanopyEdge            *self,
                                       GBytes                *frame);
guint64     canopy_edge_get_file_buffered (CanopyEdge        *self);
void        canopy_edge_answer_pings  (CanopyEdge            *self,
                                       CanopyEdgeCountFunc    count,
                                       GObject               *source);
gint64      canopy_edge_get_heard     (CanopyEdge            *self,
                                       gint64                *gap_us);
void        canopy_edge_close         (CanopyEdge            *self);
void        canopy_edge_stop_media    (CanopyEdge            *self);
gboolean    canopy_edge_take_keyframe (CanopyEdge            *self);
guint64     canopy_edge_get_keyframes_refused (CanopyEdge    *self);
void        canopy_edge_set_repair    (CanopyEdge            *self,
                                       guint                  latency_ms,
                                       gint                   retry_ms);
guint64     canopy_edge_get_media_lost (CanopyEdge           *self);
guint64     canopy_edge_get_fec_recovered (CanopyEdge        *self);
void        canopy_edge_set_fec        (CanopyEdge           *self,
                                        gboolean              fec);
gboolean    canopy_edge_take_sent     (CanopyEdge            *self,
                                       CanopyUploadReport    *report);
guint       canopy_edge_get_layers     (CanopyEdge           *self);

G_END_DECLS
