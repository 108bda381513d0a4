/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMap"

/* Local edits of a CanopyNodeMap: add a leaf, remove or move a subtree, set name and capacity. */

#include "canopy-node-map.h"
#include "canopy-node-map-private.h"

#include "canopy-json.h"
#include "canopy-text.h"

/* Checks the fields of a node given through the API, and returns its sanitized name. */
static char *
check_fields (const char *id,
              const char *name,
              guint       capacity,
              GError    **error)
{
  if (!canopy_text_is_id (id, CANOPY_PEER_ID_CHARS)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Invalid peer id");
    return NULL;
  }
  if (!g_utf8_validate (name, -1, NULL)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "The name of %s is not valid UTF-8", id);
    return NULL;
  }
  if (g_utf8_strlen (name, -1) > CANOPY_NAME_CHARS) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "The name of %s is longer than %d characters", id, CANOPY_NAME_CHARS);
    return NULL;
  }
  if (capacity > CANOPY_CAPACITY_MAX) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "The capacity of %s must be between 0 and %d", id, CANOPY_CAPACITY_MAX);
    return NULL;
  }
  return canopy_text_sanitize (name);
}

static gboolean
remove_node (CanopyNodeMap *self,
             const char    *id,
             GError       **error)
{
  g_autoptr (GPtrArray) doomed = g_ptr_array_new ();
  CanopyMapNode *node = canopy_node_map_lookup (self, id);

  if (node == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown peer %s",
                 id ? id : "(none)");
    return FALSE;
  }
  if (node == self->root) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "The root of the tree cannot be removed");
    return FALSE;
  }
  canopy_map_node_collect (node, doomed);
  canopy_map_node_detach (node);
  for (guint i = 0; i < doomed->len; i++)
    g_hash_table_remove (self->nodes, ((CanopyMapNode *) g_ptr_array_index (doomed, i))->id);
  return TRUE;
}

static gboolean
move_node (CanopyNodeMap *self,
           const char    *id,
           const char    *parent_id,
           GError       **error)
{
  CanopyMapNode *node = canopy_node_map_lookup (self, id);
  CanopyMapNode *parent = canopy_node_map_lookup (self, parent_id);

  if (node == NULL || parent == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown peer %s",
                 node == NULL ? (id ? id : "(none)") : (parent_id ? parent_id : "(none)"));
    return FALSE;
  }
  if (canopy_map_node_is_ancestor (node, parent)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_CYCLE,
                 "Moving %s under %s would make a cycle", id, parent_id);
    return FALSE;
  }
  canopy_map_node_detach (node);
  canopy_map_node_attach (parent, node, -1);
  return TRUE;
}

static gboolean
set_node (CanopyNodeMap *self,
          const char    *id,
          const char    *name,
          guint          capacity,
          GError       **error)
{
  CanopyMapNode *node = canopy_node_map_lookup (self, id);
  char *clean;

  if (node == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown peer %s",
                 id ? id : "(none)");
    return FALSE;
  }
  clean = check_fields (id, name, capacity, error);
  if (clean == NULL)
    return FALSE;
  g_free (node->name);
  node->name = clean;
  node->capacity = capacity;
  return TRUE;
}

/**
 * canopy_node_map_add:
 * @self: a map
 * @parent: the parent's id
 * @id: the new node's peer id
 * @name: its display name, at most 64 characters; sanitized
 * @capacity: how many children it accepts, 0 to 32
 * @error: return location for a #CanopyError
 *
 * Adds a leaf as the last child of @parent.
 *
 * Returns: %FALSE with @error set when @parent is unknown (%CANOPY_ERROR_UNKNOWN_PEER), @id is
 *   already in the tree or a field is invalid
 */
gboolean
canopy_node_map_add (CanopyNodeMap *self,
                     const char    *parent,
                     const char    *id,
                     const char    *name,
                     guint          capacity,
                     GError       **error)
{
  CanopyMapNode *parent_node;
  CanopyMapNode *node;
  char *clean;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parent_node = canopy_node_map_lookup (self, parent);
  if (parent_node == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown parent %s",
                 parent ? parent : "(none)");
    return FALSE;
  }
  if (canopy_node_map_lookup (self, id) != NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "Peer %s is already in the tree", id);
    return FALSE;
  }
  clean = check_fields (id, name, capacity, error);
  if (clean == NULL)
    return FALSE;
  node = canopy_map_node_new (id, clean, capacity);
  g_hash_table_insert (self->nodes, node->id, node);
  canopy_map_node_attach (parent_node, node, -1);
  return TRUE;
}

/**
 * canopy_node_map_remove:
 * @self: a map
 * @id: a peer id
 * @error: return location for a #CanopyError
 *
 * Removes the node and its whole subtree.
 *
 * Returns: %FALSE with @error set when @id is unknown (%CANOPY_ERROR_UNKNOWN_PEER) or the
 *   root (%CANOPY_ERROR_BAD_MESSAGE)
 */
gboolean
canopy_node_map_remove (CanopyNodeMap *self,
                        const char    *id,
                        GError       **error)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return remove_node (self, id, error);
}

/**
 * canopy_node_map_move:
 * @self: a map
 * @id: a peer id
 * @new_parent: the id of its new parent
 * @error: return location for a #CanopyError
 *
 * Moves the node with its subtree to the end of @new_parent's children (also when @new_parent
 * is its parent already: that is how children are reordered).
 *
 * Returns: %FALSE with @error set when an id is unknown (%CANOPY_ERROR_UNKNOWN_PEER) or
 *   @new_parent is @id or below it (%CANOPY_ERROR_CYCLE; so is moving the root)
 */
gboolean
canopy_node_map_move (CanopyNodeMap *self,
                      const char    *id,
                      const char    *new_parent,
                      GError       **error)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return move_node (self, id, new_parent, error);
}

/**
 * canopy_node_map_set:
 * @self: a map
 * @id: a peer id
 * @name: the new display name, at most 64 characters; sanitized
 * @capacity: the new capacity, 0 to 32
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when @id is unknown (%CANOPY_ERROR_UNKNOWN_PEER) or a field
 *   is invalid
 */
gboolean
canopy_node_map_set (CanopyNodeMap *self,
                     const char    *id,
                     const char    *name,
                     guint          capacity,
                     GError       **error)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return set_node (self, id, name, capacity, error);
}
