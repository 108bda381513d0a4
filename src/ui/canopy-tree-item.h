/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_TREE_ITEM (canopy_tree_item_get_type ())
G_DECLARE_FINAL_TYPE (CanopyTreeItem, canopy_tree_item, CANOPY, TREE_ITEM, GObject)

CanopyTreeItem *canopy_tree_item_new          (const char     *id);
const char     *canopy_tree_item_get_id       (CanopyTreeItem *self);
const char     *canopy_tree_item_get_name     (CanopyTreeItem *self);
void            canopy_tree_item_set_name     (CanopyTreeItem *self,
                                               const char     *name);
guint           canopy_tree_item_get_depth    (CanopyTreeItem *self);
void            canopy_tree_item_set_depth    (CanopyTreeItem *self,
                                               guint           depth);
guint           canopy_tree_item_get_capacity (CanopyTreeItem *self);
void            canopy_tree_item_set_capacity (CanopyTreeItem *self,
                                               guint           capacity);
gboolean        canopy_tree_item_get_is_you   (CanopyTreeItem *self);
void            canopy_tree_item_set_is_you   (CanopyTreeItem *self,
                                               gboolean        is_you);
gboolean        canopy_tree_item_get_is_host  (CanopyTreeItem *self);
void            canopy_tree_item_set_is_host  (CanopyTreeItem *self,
                                               gboolean        is_host);
gboolean        canopy_tree_item_get_is_muted (CanopyTreeItem *self);
void            canopy_tree_item_set_is_muted (CanopyTreeItem *self,
                                               gboolean        is_muted);
guint           canopy_tree_item_get_n_children (CanopyTreeItem *self);
GListStore     *canopy_tree_item_get_children (CanopyTreeItem *self);

G_END_DECLS
