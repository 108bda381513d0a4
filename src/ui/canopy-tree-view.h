/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-node-map.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_TREE_VIEW (canopy_tree_view_get_type ())
G_DECLARE_FINAL_TYPE (CanopyTreeView, canopy_tree_view, CANOPY, TREE_VIEW, AdwBin)

GtkWidget  *canopy_tree_view_new         (void);
void        canopy_tree_view_set_map     (CanopyTreeView *self,
                                          CanopyNodeMap  *map,
                                          const char     *self_id);
guint       canopy_tree_view_get_n_nodes (CanopyTreeView *self);
GListModel *canopy_tree_view_get_model   (CanopyTreeView *self);
void        canopy_tree_view_set_muted   (CanopyTreeView     *self,
                                          const char * const *muted);
void        canopy_tree_view_set_can_moderate (CanopyTreeView *self,
                                               gboolean        can_moderate);
gboolean    canopy_tree_view_get_can_moderate (CanopyTreeView *self);

G_END_DECLS
