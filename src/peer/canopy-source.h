/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  CANOPY_CODEC_VP8,
  CANOPY_CODEC_H264,
} CanopyCodec;

#define CANOPY_TYPE_SOURCE (canopy_source_get_type ())
G_DECLARE_FINAL_TYPE (CanopySource, canopy_source, CANOPY, SOURCE, GObject)

CanopySource *canopy_source_new              (CanopyCodec   codec,
                                              guint         width,
                                              guint         height,
                                              guint         fps,
                                              guint         bitrate_kbps);
gboolean      canopy_source_attach           (CanopySource *self,
                                              GstBin       *pipeline,
                                              GstElement   *video_tee,
                                              GstElement   *audio_tee,
                                              GstElement   *preview_sink,
                                              GError      **error);
gboolean      canopy_source_set_input        (CanopySource *self,
                                              const char   *spec,
                                              GError      **error);
void          canopy_source_stop             (CanopySource *self);
void          canopy_source_set_fec_percentage (CanopySource *self,
                                                guint         percentage);
gboolean      canopy_source_camera_available (void);
gboolean      canopy_codec_from_string       (const char   *text,
                                              CanopyCodec  *codec);

G_END_DECLS
