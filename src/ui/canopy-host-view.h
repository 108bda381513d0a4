/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-node.h"
#include "canopy-video-paintable.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_HOST_VIEW (canopy_host_view_get_type ())
G_DECLARE_FINAL_TYPE (CanopyHostView, canopy_host_view, CANOPY, HOST_VIEW, AdwBin)

GtkWidget            *canopy_host_view_new           (CanopyNode     *node);
CanopyNode           *canopy_host_view_get_node      (CanopyHostView *self);
CanopyVideoPaintable *canopy_host_view_get_paintable (CanopyHostView *self);

G_END_DECLS
