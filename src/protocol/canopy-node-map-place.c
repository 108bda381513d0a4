/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMap"

/* Placement: the shallowest node of a CanopyNodeMap with a free slot takes the newcomer. */

#include "canopy-node-map.h"
#include "canopy-node-map-private.h"

/**
 * canopy_node_map_place_excluding:
 * @self: a map
 * @pending: (nullable) (element-type utf8 guint): id -> GUINT_TO_POINTER (children promised
 *   to that node but not attached yet)
 * @k1: how many children the root takes
 * @k: the most children any other node takes (each also at most its own capacity)
 * @exclude: (nullable) (element-type utf8 utf8): a set of nodes that must not be the parent,
 *   nor anything in their subtrees
 *
 * Finds a parent for a newcomer: breadth-first from the root, children in order, the first
 * (so the shallowest) node with a free slot, never inside an excluded subtree (the joiner's
 * own, or one whose root went silent).
 *
 * Returns: (transfer full) (nullable): the parent's id, or %NULL when the tree is full
 */
char *
canopy_node_map_place_excluding (CanopyNodeMap *self,
                                 GHashTable    *pending,
                                 guint          k1,
                                 guint          k,
                                 GHashTable    *exclude)
{
  g_autoptr (GPtrArray) queue = g_ptr_array_new ();

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  if (exclude == NULL || !g_hash_table_contains (exclude, self->root->id))
    g_ptr_array_add (queue, self->root);
  for (guint i = 0; i < queue->len; i++) {
    CanopyMapNode *node = g_ptr_array_index (queue, i);
    guint limit = node == self->root ? k1 : MIN (node->capacity, k);
    guint64 used = node->children->len;

    if (pending != NULL)
      used += GPOINTER_TO_UINT (g_hash_table_lookup (pending, node->id));
    if (used < limit)
      return g_strdup (node->id);
    for (guint j = 0; j < node->children->len; j++) {
      CanopyMapNode *child = g_ptr_array_index (node->children, j);

      if (exclude == NULL || !g_hash_table_contains (exclude, child->id))
        g_ptr_array_add (queue, child);
    }
  }
  return NULL;
}

/**
 * canopy_node_map_place:
 * @self: a map
 * @pending: (nullable) (element-type utf8 guint): as for canopy_node_map_place_excluding()
 * @k1: how many children the root takes
 * @k: the most children any other node takes
 * @exclude: (nullable): a node that must not get itself or its subtree as a parent (a node
 *   re-joining with its subtree is never placed under itself)
 *
 * Returns: (transfer full) (nullable): the parent's id, or %NULL when the tree is full
 */
char *
canopy_node_map_place (CanopyNodeMap *self,
                       GHashTable    *pending,
                       guint          k1,
                       guint          k,
                       const char    *exclude)
{
  g_autoptr (GHashTable) set = g_hash_table_new (g_str_hash, g_str_equal);

  if (exclude != NULL)
    g_hash_table_add (set, (gpointer) exclude);
  return canopy_node_map_place_excluding (self, pending, k1, k, set);
}
