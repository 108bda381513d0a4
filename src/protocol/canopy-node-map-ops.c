/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMap"

/* CanopyNodeMap changes as ops (add, remove, move, set): diff two maps, apply untrusted ops. */

#include "canopy-node-map.h"
#include "canopy-node-map-private.h"

#include "canopy-json.h"

static JsonObject *
op_new (const char *kind,
        const char *id)
{
  JsonObject *op = json_object_new ();

  json_object_set_string_member (op, "op", kind);
  if (id != NULL)
    json_object_set_string_member (op, "id", id);
  return op;
}

/* Applies one untrusted op. Every helper checks everything before it changes anything, so a
 * failed op leaves @self as it was. */
static gboolean
apply_op (CanopyNodeMap *self,
          JsonNode      *element,
          guint          max_nodes,
          GError       **error)
{
  JsonObject *op;
  const char *kind = NULL;
  const char *id = NULL;
  const char *parent = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (element)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "An op must be an object");
    return FALSE;
  }
  op = json_node_get_object (element);
  if (!canopy_json_get_string (op, "op", 16, TRUE, &kind, error))
    return FALSE;

  if (g_str_equal (kind, "add")) {
    JsonObject *node = NULL;

    if (!canopy_json_get_string (op, "parent", CANOPY_PEER_ID_CHARS, TRUE, &parent, error) ||
        !canopy_json_get_object (op, "node", TRUE, &node, error))
      return FALSE;
    return canopy_node_map_add_tree (self, parent, node, max_nodes, TRUE, FALSE, error);
  }
  if (!canopy_json_get_string (op, "id", CANOPY_PEER_ID_CHARS, TRUE, &id, error))
    return FALSE;
  if (g_str_equal (kind, "remove"))
    return canopy_node_map_remove (self, id, error);
  if (g_str_equal (kind, "move")) {
    if (!canopy_json_get_string (op, "parent", CANOPY_PEER_ID_CHARS, TRUE, &parent, error))
      return FALSE;
    return canopy_node_map_move (self, id, parent, error);
  }
  if (g_str_equal (kind, "set")) {
    CanopyMapNode *node = canopy_node_map_lookup (self, id);
    const char *name;
    gint64 capacity;

    if (node == NULL) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown peer %s", id);
      return FALSE;
    }
    /* Either member may be left out: it keeps its value. */
    name = node->name;
    capacity = node->capacity;
    if (!canopy_json_get_string (op, "name", CANOPY_NAME_CHARS, FALSE, &name, error) ||
        !canopy_json_get_int (op, "capacity", 0, CANOPY_CAPACITY_MAX, FALSE, &capacity,
                              error))
      return FALSE;
    return canopy_node_map_set (self, id, name, (guint) capacity, error);
  }
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Unknown op \"%s\"", kind);
  return FALSE;
}

/**
 * canopy_node_map_diff:
 * @from: a map
 * @to: a map with the same root id
 *
 * Computes the ops that turn @from into @to (see canopy_node_map_apply()), costing bytes in
 * proportion to what changed: a new subtree is one `add` with the nodes nested, a node that
 * changed parents one `move`, a subtree that left one `remove`, a node whose name or capacity
 * changed one `set`. Children reordered under the same parent cost a `move` each to the end.
 *
 * Returns: (transfer full): the ops, in order; empty when the trees are equal
 */
JsonArray *
canopy_node_map_diff (CanopyNodeMap *from,
                      CanopyNodeMap *to)
{
  g_autoptr (CanopyNodeMap) work = NULL;
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  g_autoptr (GPtrArray) present = g_ptr_array_new ();
  g_autoptr (GPtrArray) gone = g_ptr_array_new ();
  JsonArray *ops;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (from), NULL);
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (to), NULL);
  g_return_val_if_fail (g_str_equal (from->root->id, to->root->id), NULL);

  /* Every op is also applied to a working copy of @from, so the later ops see the tree as a
   * receiver will have it. */
  work = canopy_node_map_copy (from);
  ops = json_array_new ();
  canopy_map_node_collect (to->root, order);

  /* 1. Breadth-first over @to, so a node's parent is always in place before the node. */
  for (guint i = 0; i < order->len; i++) {
    CanopyMapNode *t = g_ptr_array_index (order, i);
    CanopyMapNode *w = canopy_node_map_lookup (work, t->id);

    if (w == NULL) {
      /* A new node: one add, with whatever is new below it nested. Nodes of @from that moved
       * under it are moved when the loop reaches them. */
      JsonObject *op = op_new ("add", NULL);
      JsonObject *node = canopy_map_node_to_json_tree (t, work->nodes);

      json_object_set_string_member (op, "parent", t->parent->id);
      json_object_set_object_member (op, "node", node);
      json_array_add_object_element (ops, op);
      if (!canopy_node_map_add_tree (work, t->parent->id, node, G_MAXUINT, FALSE, FALSE, NULL))
        g_assert_not_reached ();
      continue;
    }
    if (t->parent != NULL && !g_str_equal (w->parent->id, t->parent->id)) {
      JsonObject *op = op_new ("move", t->id);

      json_object_set_string_member (op, "parent", t->parent->id);
      json_array_add_object_element (ops, op);
      /* No cycle: the new parent's whole ancestry is already as in @to. */
      if (!canopy_node_map_move (work, t->id, t->parent->id, NULL))
        g_assert_not_reached ();
    }
    if (w->capacity != t->capacity || !g_str_equal (w->name, t->name)) {
      JsonObject *op = op_new ("set", t->id);

      json_object_set_string_member (op, "name", t->name);
      json_object_set_int_member (op, "capacity", t->capacity);
      json_array_add_object_element (ops, op);
      if (!canopy_node_map_set (work, t->id, t->name, t->capacity, NULL))
        g_assert_not_reached ();
    }
  }

  /* 2. Every node of @to now has its parent of @to, so what is left under a node of @to and
   * not in @to is a whole subtree that left. */
  canopy_map_node_collect (work->root, present);
  for (guint i = 0; i < present->len; i++) {
    CanopyMapNode *w = g_ptr_array_index (present, i);

    if (w->parent != NULL && canopy_node_map_lookup (to, w->id) == NULL &&
        canopy_node_map_lookup (to, w->parent->id) != NULL)
      g_ptr_array_add (gone, w->id);
  }
  for (guint i = 0; i < gone->len; i++) {
    /* The op copies the id before the node that owns it is freed. */
    json_array_add_object_element (ops, op_new ("remove", g_ptr_array_index (gone, i)));
    if (!canopy_node_map_remove (work, g_ptr_array_index (gone, i), NULL))
      g_assert_not_reached ();
  }

  /* 3. Order: same children, maybe in another order. Keep the longest prefix of @to's order
   * that is already in sequence, and move the rest to the end one by one. */
  for (guint i = 0; i < order->len; i++) {
    CanopyMapNode *t = g_ptr_array_index (order, i);
    CanopyMapNode *w = canopy_node_map_lookup (work, t->id);
    guint kept = 0;

    g_assert (w->children->len == t->children->len);
    for (guint j = 0; j < w->children->len && kept < t->children->len; j++)
      if (g_str_equal (((CanopyMapNode *) g_ptr_array_index (w->children, j))->id,
                       ((CanopyMapNode *) g_ptr_array_index (t->children, kept))->id))
        kept++;
    for (guint j = kept; j < t->children->len; j++) {
      const char *id = ((CanopyMapNode *) g_ptr_array_index (t->children, j))->id;
      JsonObject *op = op_new ("move", id);

      json_object_set_string_member (op, "parent", t->id);
      json_array_add_object_element (ops, op);
      if (!canopy_node_map_move (work, id, t->id, NULL))
        g_assert_not_reached ();
    }
  }
  return ops;
}

/**
 * canopy_node_map_apply:
 * @self: a map
 * @ops: untrusted ops, as made by canopy_node_map_diff()
 * @max_nodes: the most nodes @self may hold afterwards
 * @error: return location for a #CanopyError
 *
 * Applies ops in order: `{"op":"add","parent":P,"node":{...}}` (every id in the node must be
 * new), `{"op":"remove","id":I}` (with its subtree), `{"op":"move","id":I,"parent":P}` (to the
 * end of P's children) and `{"op":"set","id":I,"name":N,"capacity":C}` (either member may be
 * left out). All or nothing: on error @self is unchanged. The version is not touched.
 *
 * Returns: %FALSE with @error set when an op is invalid, names an unknown peer
 *   (%CANOPY_ERROR_UNKNOWN_PEER), would make a cycle (%CANOPY_ERROR_CYCLE), or the map would be
 *   over @max_nodes nodes or %CANOPY_TREE_DEPTH_MAX levels (%CANOPY_ERROR_TOO_LARGE)
 */
gboolean
canopy_node_map_apply (CanopyNodeMap *self,
                       JsonArray     *ops,
                       guint          max_nodes,
                       GError       **error)
{
  g_autoptr (CanopyNodeMap) work = NULL;
  GHashTable *nodes;
  CanopyMapNode *root;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (ops != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (json_array_get_length (ops) == 0)
    return TRUE;
  work = canopy_node_map_copy (self);
  for (guint i = 0; i < json_array_get_length (ops); i++) {
    if (!apply_op (work, json_array_get_element (ops, i), max_nodes, error)) {
      g_prefix_error (error, "Op %u: ", i);
      return FALSE;
    }
  }
  /* Adds are checked as they go; moves can only deepen the tree, checked once here. */
  if (canopy_map_node_height (work->root) > CANOPY_TREE_DEPTH_MAX) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "The tree would be deeper than %d levels", CANOPY_TREE_DEPTH_MAX);
    return FALSE;
  }
  nodes = self->nodes;
  root = self->root;
  self->nodes = work->nodes;
  self->root = work->root;
  work->nodes = nodes;
  work->root = root;
  return TRUE;
}
