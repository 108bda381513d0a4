/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gdk/gdk.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_VIDEO_PAINTABLE (canopy_video_paintable_get_type ())
G_DECLARE_FINAL_TYPE (CanopyVideoPaintable, canopy_video_paintable, CANOPY, VIDEO_PAINTABLE, GObject)

CanopyVideoPaintable *canopy_video_paintable_new        (gboolean              sync);
GstElement           *canopy_video_paintable_get_sink   (CanopyVideoPaintable *self);
guint64               canopy_video_paintable_get_frames (CanopyVideoPaintable *self);

G_END_DECLS
