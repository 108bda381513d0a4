/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The insides of CanopyNodeMap, shared by canopy-node-map*.c and by nothing else. */

#include "canopy-node-map.h"

G_BEGIN_DECLS

typedef struct _CanopyMapNode CanopyMapNode;

struct _CanopyMapNode
{
  char          *id;
  char          *name;
  guint          capacity;
  CanopyMapNode *parent;
  GPtrArray     *children; /* CanopyMapNode, in order; the table owns every node */
};

struct _CanopyNodeMap
{
  GObject        parent_instance;

  GHashTable    *nodes; /* id (owned by the node) -> CanopyMapNode */
  CanopyMapNode *root;
  guint64        version;
};

/* canopy-node-map.c: nodes and links */
CanopyMapNode *canopy_map_node_new          (const char    *id,
                                             char          *name,
                                             guint          capacity);
void           canopy_map_node_free         (gpointer       data);
GHashTable    *canopy_map_node_table_new    (void);
CanopyMapNode *canopy_node_map_lookup       (CanopyNodeMap *self,
                                             const char    *id);
void           canopy_map_node_attach       (CanopyMapNode *parent,
                                             CanopyMapNode *child,
                                             int            position);
int            canopy_map_node_detach       (CanopyMapNode *child);
void           canopy_map_node_collect      (CanopyMapNode *top,
                                             GPtrArray     *out);
guint          canopy_map_node_height       (CanopyMapNode *top);
guint          canopy_map_node_depth        (CanopyMapNode *node);
gboolean       canopy_map_node_is_ancestor  (CanopyMapNode *ancestor,
                                             CanopyMapNode *node);

/* canopy-node-map-json.c: untrusted nested nodes in, nested nodes out */
gboolean       canopy_node_map_add_tree     (CanopyNodeMap *self,
                                             const char    *parent_id,
                                             JsonObject    *json,
                                             guint          max_nodes,
                                             gboolean       limit_depth,
                                             gboolean       replace,
                                             GError       **error);
JsonObject    *canopy_map_node_to_json_tree (CanopyMapNode *top,
                                             GHashTable    *skip);

G_END_DECLS
