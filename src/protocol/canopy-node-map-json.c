/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMap"

/* A CanopyNodeMap as nested JSON nodes: reading untrusted trees and grafts, writing subtrees. */

#include "canopy-node-map.h"
#include "canopy-node-map-private.h"

#include "canopy-json.h"
#include "canopy-text.h"

/* A node of an untrusted tree waiting to be read, breadth-first. */
typedef struct
{
  JsonObject    *json;
  CanopyMapNode *parent;
  guint          depth;
} PendingNode;

/* Reads the members of one untrusted node, not its children. */
static CanopyMapNode *
parse_node_fields (JsonObject *json,
                   GError    **error)
{
  const char *id = NULL;
  const char *name = NULL;
  gint64 capacity = 0;

  if (!canopy_json_get_string (json, "id", CANOPY_PEER_ID_CHARS, TRUE, &id, error))
    return NULL;
  if (!canopy_text_is_id (id, CANOPY_PEER_ID_CHARS)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "Member \"id\" is not a peer id");
    return NULL;
  }
  if (!canopy_json_get_string (json, "name", CANOPY_NAME_CHARS, TRUE, &name, error) ||
      !canopy_json_get_int (json, "capacity", 0, CANOPY_CAPACITY_MAX, TRUE, &capacity,
                            error)) {
    g_prefix_error (error, "Node %s: ", id);
    return NULL;
  }
  return canopy_map_node_new (id, canopy_text_sanitize (name), (guint) capacity);
}

/*
 * Reads an untrusted node and everything below it into @nodes (a fresh table from
 * canopy_map_node_table_new(), which the caller frees on failure). Breadth-first with an
 * explicit queue, and every limit is checked before more is queued, so a hostile tree costs
 * neither stack nor more than @max_nodes entries. @max_depth counts from @json (0).
 */
static CanopyMapNode *
parse_tree (JsonObject *json,
            guint       max_nodes,
            guint       max_depth,
            GHashTable *nodes,
            guint      *height,
            GError    **error)
{
  g_autoptr (GArray) queue = g_array_new (FALSE, FALSE, sizeof (PendingNode));
  PendingNode first = { json, NULL, 0 };
  CanopyMapNode *root = NULL;

  *height = 0;
  if (max_nodes == 0) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE, "No room for more nodes");
    return NULL;
  }
  g_array_append_val (queue, first);
  for (guint i = 0; i < queue->len; i++) {
    PendingNode pending = g_array_index (queue, PendingNode, i);
    JsonArray *children = NULL;
    CanopyMapNode *node;

    node = parse_node_fields (pending.json, error);
    if (node == NULL)
      return NULL;
    if (g_hash_table_contains (nodes, node->id)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                   "Peer %s is in the tree twice", node->id);
      canopy_map_node_free (node);
      return NULL;
    }
    g_hash_table_insert (nodes, node->id, node);
    if (pending.parent != NULL)
      canopy_map_node_attach (pending.parent, node, -1);
    else
      root = node;
    *height = MAX (*height, pending.depth);

    if (!canopy_json_get_array (pending.json, "childNodes", max_nodes, FALSE, &children, error)) {
      g_prefix_error (error, "Node %s: ", node->id);
      return NULL;
    }
    if (children == NULL || json_array_get_length (children) == 0)
      continue;
    if (pending.depth + 1 > max_depth) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                   "The tree is deeper than %d levels", CANOPY_TREE_DEPTH_MAX);
      return NULL;
    }
    if (queue->len + json_array_get_length (children) > max_nodes) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                   "The tree has more than %u nodes", max_nodes);
      return NULL;
    }
    for (guint j = 0; j < json_array_get_length (children); j++) {
      JsonNode *element = json_array_get_element (children, j);
      PendingNode child = { NULL, node, pending.depth + 1 };

      if (!JSON_NODE_HOLDS_OBJECT (element)) {
        g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                     "Node %s: \"childNodes\" must hold objects", node->id);
        return NULL;
      }
      child.json = json_node_get_object (element);
      g_array_append_val (queue, child);
    }
  }
  return root;
}

/* Adds to @self the untrusted tree @json under @parent_id. With @replace, a subtree of the same
 * root id under the same parent is replaced in place; any other id already in @self is an
 * error. Nothing changes on error. */
gboolean
canopy_node_map_add_tree (CanopyNodeMap *self,
                          const char    *parent_id,
                          JsonObject    *json,
                          guint          max_nodes,
                          gboolean       limit_depth,
                          gboolean       replace,
                          GError       **error)
{
  g_autoptr (GHashTable) added = canopy_map_node_table_new ();
  g_autoptr (GHashTable) replaced = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) old_nodes = g_ptr_array_new ();
  CanopyMapNode *parent = canopy_node_map_lookup (self, parent_id);
  CanopyMapNode *root;
  CanopyMapNode *old;
  GHashTableIter iter;
  gpointer value;
  guint max_depth = G_MAXUINT;
  guint depth, height;
  int position = -1;

  if (parent == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown parent %s",
                 parent_id ? parent_id : "(none)");
    return FALSE;
  }
  depth = canopy_map_node_depth (parent);
  if (limit_depth) {
    if (depth + 1 > CANOPY_TREE_DEPTH_MAX) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                   "The tree would be deeper than %d levels", CANOPY_TREE_DEPTH_MAX);
      return FALSE;
    }
    max_depth = CANOPY_TREE_DEPTH_MAX - depth - 1;
  }
  root = parse_tree (json, max_nodes, max_depth, added, &height, error);
  if (root == NULL)
    return FALSE;

  old = canopy_node_map_lookup (self, root->id);
  if (old != NULL) {
    if (!replace || old->parent != parent) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                   "Peer %s is already in the tree", root->id);
      return FALSE;
    }
    canopy_map_node_collect (old, old_nodes);
    for (guint i = 0; i < old_nodes->len; i++)
      g_hash_table_add (replaced, g_ptr_array_index (old_nodes, i));
  }
  g_hash_table_iter_init (&iter, added);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    CanopyMapNode *existing = canopy_node_map_lookup (self, ((CanopyMapNode *) value)->id);

    if (existing != NULL && !g_hash_table_contains (replaced, existing)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                   "Peer %s is already in the tree", existing->id);
      return FALSE;
    }
  }
  if ((guint64) g_hash_table_size (self->nodes) - old_nodes->len + g_hash_table_size (added) >
      max_nodes) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "The tree would have more than %u nodes", max_nodes);
    return FALSE;
  }

  /* Checked: now change. */
  if (old != NULL) {
    position = canopy_map_node_detach (old);
    for (guint i = 0; i < old_nodes->len; i++)
      g_hash_table_remove (self->nodes, ((CanopyMapNode *) g_ptr_array_index (old_nodes, i))->id);
  }
  g_hash_table_iter_init (&iter, added);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    g_hash_table_iter_steal (&iter);
    g_hash_table_insert (self->nodes, ((CanopyMapNode *) value)->id, value);
  }
  canopy_map_node_attach (parent, root, position);
  return TRUE;
}

/* A node's own members, with an empty "childNodes" returned through @children. */
static JsonObject *
node_to_json (CanopyMapNode *node,
              JsonArray    **children)
{
  JsonObject *object = json_object_new ();

  *children = json_array_new ();
  json_object_set_string_member (object, "id", node->id);
  json_object_set_string_member (object, "name", node->name);
  json_object_set_int_member (object, "capacity", node->capacity);
  json_object_set_array_member (object, "childNodes", *children);
  return object;
}

/* @top and its subtree as nested nodes, leaving out (with their subtrees) the nodes below @top
 * whose ids are in @skip. */
JsonObject *
canopy_map_node_to_json_tree (CanopyMapNode *top,
                              GHashTable    *skip)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr (GPtrArray) arrays = g_ptr_array_new ();
  JsonArray *array;
  JsonObject *result = node_to_json (top, &array);

  g_ptr_array_add (nodes, top);
  g_ptr_array_add (arrays, array);
  for (guint i = 0; i < nodes->len; i++) {
    CanopyMapNode *node = g_ptr_array_index (nodes, i);
    JsonArray *target = g_ptr_array_index (arrays, i);

    for (guint j = 0; j < node->children->len; j++) {
      CanopyMapNode *child = g_ptr_array_index (node->children, j);

      if (skip != NULL && g_hash_table_contains (skip, child->id))
        continue;
      /* The array owns the object, which owns its childNodes: both outlive this loop. */
      json_array_add_object_element (target, node_to_json (child, &array));
      g_ptr_array_add (nodes, child);
      g_ptr_array_add (arrays, array);
    }
  }
  return result;
}

/**
 * canopy_node_map_new_from_json:
 * @node: an untrusted node, `{"id","name","capacity","childNodes":[...]}`
 * @max_nodes: the most nodes accepted
 * @error: return location for a #CanopyError
 *
 * Reads a whole tree received from the network. Every node is checked: a peer id, a name of at
 * most 64 characters (sanitized), a capacity of 0 to 32, children that are nodes; no id twice,
 * at most @max_nodes nodes, no node deeper than %CANOPY_TREE_DEPTH_MAX. "childNodes" may be
 * left out for a leaf.
 *
 * Returns: (transfer full): the map, version 0, or %NULL with @error set
 */
CanopyNodeMap *
canopy_node_map_new_from_json (JsonObject *node,
                               guint       max_nodes,
                               GError    **error)
{
  g_autoptr (GHashTable) nodes = canopy_map_node_table_new ();
  CanopyNodeMap *self;
  CanopyMapNode *root;
  guint height;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = parse_tree (node, max_nodes, CANOPY_TREE_DEPTH_MAX, nodes, &height, error);
  if (root == NULL)
    return NULL;
  self = g_object_new (CANOPY_TYPE_NODE_MAP, NULL);
  g_hash_table_unref (self->nodes);
  self->nodes = g_steal_pointer (&nodes);
  self->root = root;
  return self;
}

/**
 * canopy_node_map_to_json:
 * @self: a map
 * @id: (nullable): the top of the subtree, or %NULL for the root
 *
 * Returns: (transfer full) (nullable): `{"id","name","capacity","childNodes":[...]}` for the
 *   subtree at @id, or %NULL when @id is unknown
 */
JsonObject *
canopy_node_map_to_json (CanopyNodeMap *self,
                         const char    *id)
{
  CanopyMapNode *top;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  top = id == NULL ? self->root : canopy_node_map_lookup (self, id);
  if (top == NULL)
    return NULL;
  return canopy_map_node_to_json_tree (top, NULL);
}

/**
 * canopy_node_map_graft:
 * @self: a map
 * @parent: the id of the node to graft under
 * @node: an untrusted node with its subtree (see canopy_node_map_new_from_json())
 * @max_nodes: the most nodes @self may hold afterwards
 * @error: return location for a #CanopyError
 *
 * Adds a whole subtree. A subtree with the same root id under @parent is replaced, keeping its
 * place among @parent's children; otherwise the subtree becomes @parent's last child. Nothing
 * changes on error.
 *
 * Returns: %FALSE with @error set when @parent is unknown, @node is invalid, an id of @node is
 *   elsewhere in @self, or the map would hold more than @max_nodes nodes or be deeper than
 *   %CANOPY_TREE_DEPTH_MAX
 */
gboolean
canopy_node_map_graft (CanopyNodeMap *self,
                       const char    *parent,
                       JsonObject    *node,
                       guint          max_nodes,
                       GError       **error)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return canopy_node_map_add_tree (self, parent, node, max_nodes, TRUE, TRUE, error);
}
