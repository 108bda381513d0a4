/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-error.h"
#include "canopy-limits.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_NODE_MAP (canopy_node_map_get_type ())
G_DECLARE_FINAL_TYPE (CanopyNodeMap, canopy_node_map, CANOPY, NODE_MAP, GObject)

CanopyNodeMap *canopy_node_map_new            (const char     *root_id,
                                               const char     *root_name,
                                               guint           root_capacity);
CanopyNodeMap *canopy_node_map_new_from_json  (JsonObject     *node,
                                               guint           max_nodes,
                                               GError        **error);
CanopyNodeMap *canopy_node_map_copy           (CanopyNodeMap  *self);
JsonObject    *canopy_node_map_to_json        (CanopyNodeMap  *self,
                                               const char     *id);

const char    *canopy_node_map_get_root       (CanopyNodeMap  *self);
guint64        canopy_node_map_get_version    (CanopyNodeMap  *self);
void           canopy_node_map_set_version    (CanopyNodeMap  *self,
                                               guint64         version);
guint          canopy_node_map_get_size       (CanopyNodeMap  *self);
guint          canopy_node_map_get_height     (CanopyNodeMap  *self);

gboolean       canopy_node_map_contains       (CanopyNodeMap  *self,
                                               const char     *id);
const char    *canopy_node_map_get_parent     (CanopyNodeMap  *self,
                                               const char     *id);
const char    *canopy_node_map_get_name       (CanopyNodeMap  *self,
                                               const char     *id);
guint          canopy_node_map_get_capacity   (CanopyNodeMap  *self,
                                               const char     *id);
guint          canopy_node_map_get_n_children (CanopyNodeMap  *self,
                                               const char     *id);
GPtrArray     *canopy_node_map_get_children   (CanopyNodeMap  *self,
                                               const char     *id);
int            canopy_node_map_get_depth      (CanopyNodeMap  *self,
                                               const char     *id);
gboolean       canopy_node_map_is_ancestor    (CanopyNodeMap  *self,
                                               const char     *ancestor,
                                               const char     *id);
GPtrArray     *canopy_node_map_get_ids        (CanopyNodeMap  *self);
char          *canopy_node_map_digest         (CanopyNodeMap  *self);

gboolean       canopy_node_map_add            (CanopyNodeMap  *self,
                                               const char     *parent,
                                               const char     *id,
                                               const char     *name,
                                               guint           capacity,
                                               GError        **error);
gboolean       canopy_node_map_remove         (CanopyNodeMap  *self,
                                               const char     *id,
                                               GError        **error);
gboolean       canopy_node_map_move           (CanopyNodeMap  *self,
                                               const char     *id,
                                               const char     *new_parent,
                                               GError        **error);
gboolean       canopy_node_map_set            (CanopyNodeMap  *self,
                                               const char     *id,
                                               const char     *name,
                                               guint           capacity,
                                               GError        **error);
gboolean       canopy_node_map_graft          (CanopyNodeMap  *self,
                                               const char     *parent,
                                               JsonObject     *node,
                                               guint           max_nodes,
                                               GError        **error);

JsonArray     *canopy_node_map_diff           (CanopyNodeMap  *from,
                                               CanopyNodeMap  *to);
gboolean       canopy_node_map_apply          (CanopyNodeMap  *self,
                                               JsonArray      *ops,
                                               guint           max_nodes,
                                               GError        **error);

char          *canopy_node_map_place          (CanopyNodeMap  *self,
                                               GHashTable     *pending,
                                               guint           k1,
                                               guint           k,
                                               const char     *exclude);
char          *canopy_node_map_place_excluding (CanopyNodeMap *self,
                                               GHashTable     *pending,
                                               guint           k1,
                                               guint           k,
                                               GHashTable     *exclude);

G_END_DECLS
