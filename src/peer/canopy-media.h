/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

#include "canopy-forward.h"
#include "canopy-source.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_MEDIA (canopy_media_get_type ())
G_DECLARE_FINAL_TYPE (CanopyMedia, canopy_media, CANOPY, MEDIA, GObject)

CanopyMedia *canopy_media_new               (void);
gboolean     canopy_media_start_source      (CanopyMedia  *self,
                                             CanopySource *source,
                                             const char   *spec,
                                             GstElement   *preview_sink,
                                             GError      **error);
gboolean     canopy_media_start_playback    (CanopyMedia  *self,
                                             gboolean      decode,
                                             GstElement   *video_sink,
                                             GstElement   *audio_sink,
                                             GError      **error);
gboolean     canopy_media_set_input         (CanopyMedia  *self,
                                             const char   *spec,
                                             GError      **error);
void         canopy_media_set_volume        (CanopyMedia  *self,
                                             double        volume,
                                             gboolean      muted);
void         canopy_media_force_keyframe    (CanopyMedia  *self);
void         canopy_media_set_fec_percentage (CanopyMedia *self,
                                              guint        percentage);
void         canopy_media_stop              (CanopyMedia  *self);

GstBin      *canopy_media_get_bin           (CanopyMedia  *self);
GstElement  *canopy_media_get_video_tee     (CanopyMedia  *self);
GstElement  *canopy_media_get_audio_tee     (CanopyMedia  *self);
GstElement  *canopy_media_get_forward_tee   (CanopyMedia       *self,
                                             CanopyForwardKind  kind);
CanopyForward *canopy_media_get_forward     (CanopyMedia  *self);

void         canopy_media_tick              (CanopyMedia  *self);
guint64      canopy_media_get_frames        (CanopyMedia  *self);
guint64      canopy_media_get_packets       (CanopyMedia  *self);
guint64      canopy_media_get_bytes         (CanopyMedia  *self);
double       canopy_media_get_latency_ms    (CanopyMedia  *self);
double       canopy_media_get_bitrate_kbps  (CanopyMedia  *self);
gint64       canopy_media_get_first_frame_us (CanopyMedia *self);

G_END_DECLS
