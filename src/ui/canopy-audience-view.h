/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-node.h"
#include "canopy-video-paintable.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_AUDIENCE_VIEW (canopy_audience_view_get_type ())
G_DECLARE_FINAL_TYPE (CanopyAudienceView, canopy_audience_view, CANOPY, AUDIENCE_VIEW, AdwBin)

GtkWidget            *canopy_audience_view_new           (CanopyNode         *node);
CanopyNode           *canopy_audience_view_get_node      (CanopyAudienceView *self);
CanopyVideoPaintable *canopy_audience_view_get_paintable (CanopyAudienceView *self);

G_END_DECLS
