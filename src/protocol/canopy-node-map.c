/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMap"

#include "canopy-node-map.h"

#include "canopy-json.h"

#include <string.h>

/**
 * CanopyNodeMap:
 *
 * The relay tree of a room: nodes keyed by peer id, each with a display name, a capacity (how
 * many children it accepts), a parent and ordered children. Lookups by id are O(1). Maps from
 * the network are validated completely before anything changes; the map travels as nested
 * nodes (`{"id","name","capacity","childNodes"}`) or as ops (`add`, `remove`, `move`, `set`)
 * between two versions. See docs/protocol.md, "Tree".
 *
 * Nothing here recurses on the shape of the tree, so a deep tree costs no stack.
 */

typedef struct _MapNode MapNode;

struct _MapNode
{
  char      *id;
  char      *name;
  guint      capacity;
  MapNode   *parent;
  GPtrArray *children; /* MapNode, in order; the table owns every node */
};

struct _CanopyNodeMap
{
  GObject     parent_instance;

  GHashTable *nodes; /* id (owned by the node) -> MapNode */
  MapNode    *root;
  guint64     version;
};

G_DEFINE_FINAL_TYPE (CanopyNodeMap, canopy_node_map, G_TYPE_OBJECT)

/* A node of an untrusted tree waiting to be read, breadth-first. */
typedef struct
{
  JsonObject *json;
  MapNode    *parent;
  guint       depth;
} PendingNode;

static MapNode *
map_node_new (const char *id,
              char       *name,
              guint       capacity)
{
  MapNode *node = g_new0 (MapNode, 1);

  node->id = g_strdup (id);
  node->name = name;
  node->capacity = capacity;
  node->children = g_ptr_array_new ();
  return node;
}

static void
map_node_free (gpointer data)
{
  MapNode *node = data;

  g_free (node->id);
  g_free (node->name);
  g_ptr_array_unref (node->children);
  g_free (node);
}

static GHashTable *
node_table_new (void)
{
  /* The key is the node's own id, freed with the node. */
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, map_node_free);
}

static MapNode *
lookup (CanopyNodeMap *self,
        const char    *id)
{
  if (id == NULL)
    return NULL;
  return g_hash_table_lookup (self->nodes, id);
}

static void
attach (MapNode *parent,
        MapNode *child,
        int      position)
{
  child->parent = parent;
  if (position < 0)
    g_ptr_array_add (parent->children, child);
  else
    g_ptr_array_insert (parent->children, position, child);
}

static int
detach (MapNode *child)
{
  guint index = 0;

  g_assert (child->parent != NULL);
  if (!g_ptr_array_find (child->parent->children, child, &index))
    g_assert_not_reached ();
  g_ptr_array_remove_index (child->parent->children, index); /* keeps the order */
  child->parent = NULL;
  return (int) index;
}

/* Appends @top and everything below it to @out, breadth-first, children in order. */
static void
collect_subtree (MapNode   *top,
                 GPtrArray *out)
{
  guint start = out->len;

  g_ptr_array_add (out, top);
  for (guint i = start; i < out->len; i++) {
    MapNode *node = g_ptr_array_index (out, i);

    for (guint j = 0; j < node->children->len; j++)
      g_ptr_array_add (out, g_ptr_array_index (node->children, j));
  }
}

static guint
subtree_height (MapNode *top)
{
  g_autoptr (GPtrArray) level = g_ptr_array_new ();
  guint height = 0;

  g_ptr_array_add (level, top);
  for (;;) {
    g_autoptr (GPtrArray) next = g_ptr_array_new ();

    for (guint i = 0; i < level->len; i++) {
      MapNode *node = g_ptr_array_index (level, i);

      for (guint j = 0; j < node->children->len; j++)
        g_ptr_array_add (next, g_ptr_array_index (node->children, j));
    }
    if (next->len == 0)
      return height;
    height++;
    g_ptr_array_unref (level);
    level = g_steal_pointer (&next);
  }
}

static guint
node_depth (MapNode *node)
{
  guint depth = 0;

  for (MapNode *n = node->parent; n != NULL; n = n->parent)
    depth++;
  return depth;
}

static gboolean
node_is_ancestor (MapNode *ancestor,
                  MapNode *node)
{
  for (MapNode *n = node; n != NULL; n = n->parent)
    if (n == ancestor)
      return TRUE;
  return FALSE;
}

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

/* Reads the members of one untrusted node, not its children. */
static MapNode *
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
  return map_node_new (id, canopy_text_sanitize (name), (guint) capacity);
}

/*
 * Reads an untrusted node and everything below it into @nodes (a fresh table from
 * node_table_new(), which the caller frees on failure). Breadth-first with an explicit queue,
 * and every limit is checked before more is queued, so a hostile tree costs neither stack nor
 * more than @max_nodes entries. @max_depth counts from @json (0).
 */
static MapNode *
parse_tree (JsonObject *json,
            guint       max_nodes,
            guint       max_depth,
            GHashTable *nodes,
            guint      *height,
            GError    **error)
{
  g_autoptr (GArray) queue = g_array_new (FALSE, FALSE, sizeof (PendingNode));
  PendingNode first = { json, NULL, 0 };
  MapNode *root = NULL;

  *height = 0;
  if (max_nodes == 0) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE, "No room for more nodes");
    return NULL;
  }
  g_array_append_val (queue, first);
  for (guint i = 0; i < queue->len; i++) {
    PendingNode pending = g_array_index (queue, PendingNode, i);
    JsonArray *children = NULL;
    MapNode *node;

    node = parse_node_fields (pending.json, error);
    if (node == NULL)
      return NULL;
    if (g_hash_table_contains (nodes, node->id)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                   "Peer %s is in the tree twice", node->id);
      map_node_free (node);
      return NULL;
    }
    g_hash_table_insert (nodes, node->id, node);
    if (pending.parent != NULL)
      attach (pending.parent, node, -1);
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
static gboolean
add_tree (CanopyNodeMap *self,
          const char    *parent_id,
          JsonObject    *json,
          guint          max_nodes,
          gboolean       limit_depth,
          gboolean       replace,
          GError       **error)
{
  g_autoptr (GHashTable) added = node_table_new ();
  g_autoptr (GHashTable) replaced = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) old_nodes = g_ptr_array_new ();
  MapNode *parent = lookup (self, parent_id);
  MapNode *root;
  MapNode *old;
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
  depth = node_depth (parent);
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

  old = lookup (self, root->id);
  if (old != NULL) {
    if (!replace || old->parent != parent) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                   "Peer %s is already in the tree", root->id);
      return FALSE;
    }
    collect_subtree (old, old_nodes);
    for (guint i = 0; i < old_nodes->len; i++)
      g_hash_table_add (replaced, g_ptr_array_index (old_nodes, i));
  }
  g_hash_table_iter_init (&iter, added);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    MapNode *existing = lookup (self, ((MapNode *) value)->id);

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
    position = detach (old);
    for (guint i = 0; i < old_nodes->len; i++)
      g_hash_table_remove (self->nodes, ((MapNode *) g_ptr_array_index (old_nodes, i))->id);
  }
  g_hash_table_iter_init (&iter, added);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    g_hash_table_iter_steal (&iter);
    g_hash_table_insert (self->nodes, ((MapNode *) value)->id, value);
  }
  attach (parent, root, position);
  return TRUE;
}

static gboolean
remove_node (CanopyNodeMap *self,
             const char    *id,
             GError       **error)
{
  g_autoptr (GPtrArray) doomed = g_ptr_array_new ();
  MapNode *node = lookup (self, id);

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
  collect_subtree (node, doomed);
  detach (node);
  for (guint i = 0; i < doomed->len; i++)
    g_hash_table_remove (self->nodes, ((MapNode *) g_ptr_array_index (doomed, i))->id);
  return TRUE;
}

static gboolean
move_node (CanopyNodeMap *self,
           const char    *id,
           const char    *parent_id,
           GError       **error)
{
  MapNode *node = lookup (self, id);
  MapNode *parent = lookup (self, parent_id);

  if (node == NULL || parent == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown peer %s",
                 node == NULL ? (id ? id : "(none)") : (parent_id ? parent_id : "(none)"));
    return FALSE;
  }
  if (node_is_ancestor (node, parent)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_CYCLE,
                 "Moving %s under %s would make a cycle", id, parent_id);
    return FALSE;
  }
  detach (node);
  attach (parent, node, -1);
  return TRUE;
}

static gboolean
set_node (CanopyNodeMap *self,
          const char    *id,
          const char    *name,
          guint          capacity,
          GError       **error)
{
  MapNode *node = lookup (self, id);
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
    return add_tree (self, parent, node, max_nodes, TRUE, FALSE, error);
  }
  if (!canopy_json_get_string (op, "id", CANOPY_PEER_ID_CHARS, TRUE, &id, error))
    return FALSE;
  if (g_str_equal (kind, "remove"))
    return remove_node (self, id, error);
  if (g_str_equal (kind, "move")) {
    if (!canopy_json_get_string (op, "parent", CANOPY_PEER_ID_CHARS, TRUE, &parent, error))
      return FALSE;
    return move_node (self, id, parent, error);
  }
  if (g_str_equal (kind, "set")) {
    MapNode *node = lookup (self, id);
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
    return set_node (self, id, name, (guint) capacity, error);
  }
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Unknown op \"%s\"", kind);
  return FALSE;
}

/* A node's own members, with an empty "childNodes" returned through @children. */
static JsonObject *
node_to_json (MapNode    *node,
              JsonArray **children)
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
static JsonObject *
tree_to_json (MapNode    *top,
              GHashTable *skip)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr (GPtrArray) arrays = g_ptr_array_new ();
  JsonArray *array;
  JsonObject *result = node_to_json (top, &array);

  g_ptr_array_add (nodes, top);
  g_ptr_array_add (arrays, array);
  for (guint i = 0; i < nodes->len; i++) {
    MapNode *node = g_ptr_array_index (nodes, i);
    JsonArray *target = g_ptr_array_index (arrays, i);

    for (guint j = 0; j < node->children->len; j++) {
      MapNode *child = g_ptr_array_index (node->children, j);

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

static void
canopy_node_map_finalize (GObject *object)
{
  CanopyNodeMap *self = CANOPY_NODE_MAP (object);

  g_clear_pointer (&self->nodes, g_hash_table_unref);
  self->root = NULL;

  G_OBJECT_CLASS (canopy_node_map_parent_class)->finalize (object);
}

static void
canopy_node_map_class_init (CanopyNodeMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = canopy_node_map_finalize;
}

static void
canopy_node_map_init (CanopyNodeMap *self)
{
  self->nodes = node_table_new ();
}

/**
 * canopy_node_map_new:
 * @root_id: the root's peer id (see canopy_text_is_id())
 * @root_name: the root's display name; sanitized, and cut to 64 characters
 * @root_capacity: how many children the root accepts, 0 to 32
 *
 * Returns: (transfer full): a map holding only the root, version 0
 */
CanopyNodeMap *
canopy_node_map_new (const char *root_id,
                     const char *root_name,
                     guint       root_capacity)
{
  CanopyNodeMap *self;
  g_autofree char *clean = NULL;
  const char *end;

  g_return_val_if_fail (canopy_text_is_id (root_id, CANOPY_PEER_ID_CHARS), NULL);
  g_return_val_if_fail (root_name != NULL, NULL);
  g_return_val_if_fail (root_capacity <= CANOPY_CAPACITY_MAX, NULL);

  clean = canopy_text_sanitize (root_name);
  end = g_utf8_offset_to_pointer (clean, MIN (g_utf8_strlen (clean, -1),
                                               CANOPY_NAME_CHARS));
  self = g_object_new (CANOPY_TYPE_NODE_MAP, NULL);
  self->root = map_node_new (root_id, g_strndup (clean, end - clean), root_capacity);
  g_hash_table_insert (self->nodes, self->root->id, self->root);
  return self;
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
  g_autoptr (GHashTable) nodes = node_table_new ();
  CanopyNodeMap *self;
  MapNode *root;
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
 * canopy_node_map_copy:
 * @self: a map
 *
 * Returns: (transfer full): an independent copy of @self, version included
 */
CanopyNodeMap *
canopy_node_map_copy (CanopyNodeMap *self)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  CanopyNodeMap *copy;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  copy = g_object_new (CANOPY_TYPE_NODE_MAP, NULL);
  copy->version = self->version;
  /* Breadth-first: every parent is copied before its children, which keep their order. */
  collect_subtree (self->root, order);
  for (guint i = 0; i < order->len; i++) {
    MapNode *node = g_ptr_array_index (order, i);
    MapNode *twin = map_node_new (node->id, g_strdup (node->name), node->capacity);

    g_hash_table_insert (copy->nodes, twin->id, twin);
    if (node->parent != NULL)
      attach (lookup (copy, node->parent->id), twin, -1);
    else
      copy->root = twin;
  }
  return copy;
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
  MapNode *top;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  top = id == NULL ? self->root : lookup (self, id);
  if (top == NULL)
    return NULL;
  return tree_to_json (top, NULL);
}

/**
 * canopy_node_map_get_root:
 * @self: a map
 *
 * Returns: (transfer none): the root's id
 */
const char *
canopy_node_map_get_root (CanopyNodeMap *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  return self->root->id;
}

/**
 * canopy_node_map_get_version:
 * @self: a map
 *
 * Returns: the version last set with canopy_node_map_set_version(), 0 at first
 */
guint64
canopy_node_map_get_version (CanopyNodeMap *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  return self->version;
}

/**
 * canopy_node_map_set_version:
 * @self: a map
 * @version: the map's version; the map itself never changes it
 */
void
canopy_node_map_set_version (CanopyNodeMap *self,
                             guint64        version)
{
  g_return_if_fail (CANOPY_IS_NODE_MAP (self));

  self->version = version;
}

/**
 * canopy_node_map_get_size:
 * @self: a map
 *
 * Returns: the number of nodes, the root included
 */
guint
canopy_node_map_get_size (CanopyNodeMap *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  return g_hash_table_size (self->nodes);
}

/**
 * canopy_node_map_get_height:
 * @self: a map
 *
 * Walks the whole tree: O(size).
 *
 * Returns: the depth of the deepest node; 0 for the root alone
 */
guint
canopy_node_map_get_height (CanopyNodeMap *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  return subtree_height (self->root);
}

/**
 * canopy_node_map_contains:
 * @self: a map
 * @id: (nullable): a peer id
 *
 * Returns: whether @id is in the tree
 */
gboolean
canopy_node_map_contains (CanopyNodeMap *self,
                          const char    *id)
{
  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);

  return lookup (self, id) != NULL;
}

/**
 * canopy_node_map_get_parent:
 * @self: a map
 * @id: a peer id
 *
 * Returns: (transfer none) (nullable): the parent's id; %NULL for the root or an unknown id
 */
const char *
canopy_node_map_get_parent (CanopyNodeMap *self,
                            const char    *id)
{
  MapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  node = lookup (self, id);
  return node != NULL && node->parent != NULL ? node->parent->id : NULL;
}

/**
 * canopy_node_map_get_name:
 * @self: a map
 * @id: a peer id
 *
 * Returns: (transfer none) (nullable): the node's sanitized display name; %NULL when unknown
 */
const char *
canopy_node_map_get_name (CanopyNodeMap *self,
                          const char    *id)
{
  MapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  node = lookup (self, id);
  return node != NULL ? node->name : NULL;
}

/**
 * canopy_node_map_get_capacity:
 * @self: a map
 * @id: a peer id
 *
 * Returns: how many children the node accepts; 0 when unknown
 */
guint
canopy_node_map_get_capacity (CanopyNodeMap *self,
                              const char    *id)
{
  MapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  node = lookup (self, id);
  return node != NULL ? node->capacity : 0;
}

/**
 * canopy_node_map_get_n_children:
 * @self: a map
 * @id: a peer id
 *
 * Returns: the number of children of the node; 0 when unknown
 */
guint
canopy_node_map_get_n_children (CanopyNodeMap *self,
                                const char    *id)
{
  MapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  node = lookup (self, id);
  return node != NULL ? node->children->len : 0;
}

/**
 * canopy_node_map_get_children:
 * @self: a map
 * @id: a peer id
 *
 * Returns: (transfer container) (element-type utf8): the children's ids in order, owned by
 *   the map; empty when @id is unknown
 */
GPtrArray *
canopy_node_map_get_children (CanopyNodeMap *self,
                              const char    *id)
{
  GPtrArray *ids;
  MapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  node = lookup (self, id);
  ids = g_ptr_array_sized_new (node != NULL ? node->children->len : 0);
  for (guint i = 0; node != NULL && i < node->children->len; i++)
    g_ptr_array_add (ids, ((MapNode *) g_ptr_array_index (node->children, i))->id);
  return ids;
}

/**
 * canopy_node_map_get_depth:
 * @self: a map
 * @id: a peer id
 *
 * Returns: the number of edges between the root and the node (the root is 0), or -1 when
 *   @id is unknown
 */
int
canopy_node_map_get_depth (CanopyNodeMap *self,
                           const char    *id)
{
  MapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), -1);

  node = lookup (self, id);
  return node != NULL ? (int) node_depth (node) : -1;
}

/**
 * canopy_node_map_is_ancestor:
 * @self: a map
 * @ancestor: a peer id
 * @id: a peer id
 *
 * Returns: %TRUE when both are known and @ancestor is @id or above it
 */
gboolean
canopy_node_map_is_ancestor (CanopyNodeMap *self,
                             const char    *ancestor,
                             const char    *id)
{
  MapNode *a, *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);

  a = lookup (self, ancestor);
  node = lookup (self, id);
  return a != NULL && node != NULL && node_is_ancestor (a, node);
}

/**
 * canopy_node_map_get_ids:
 * @self: a map
 *
 * Returns: (transfer container) (element-type utf8): every id, owned by the map,
 *   breadth-first from the root, children in order
 */
GPtrArray *
canopy_node_map_get_ids (CanopyNodeMap *self)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  GPtrArray *ids;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  collect_subtree (self->root, order);
  ids = g_ptr_array_sized_new (order->len);
  for (guint i = 0; i < order->len; i++)
    g_ptr_array_add (ids, ((MapNode *) g_ptr_array_index (order, i))->id);
  return ids;
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
  MapNode *parent_node;
  MapNode *node;
  char *clean;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parent_node = lookup (self, parent);
  if (parent_node == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER, "Unknown parent %s",
                 parent ? parent : "(none)");
    return FALSE;
  }
  if (lookup (self, id) != NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "Peer %s is already in the tree", id);
    return FALSE;
  }
  clean = check_fields (id, name, capacity, error);
  if (clean == NULL)
    return FALSE;
  node = map_node_new (id, clean, capacity);
  g_hash_table_insert (self->nodes, node->id, node);
  attach (parent_node, node, -1);
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

  return add_tree (self, parent, node, max_nodes, TRUE, TRUE, error);
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
  collect_subtree (to->root, order);

  /* 1. Breadth-first over @to, so a node's parent is always in place before the node. */
  for (guint i = 0; i < order->len; i++) {
    MapNode *t = g_ptr_array_index (order, i);
    MapNode *w = lookup (work, t->id);

    if (w == NULL) {
      /* A new node: one add, with whatever is new below it nested. Nodes of @from that moved
       * under it are moved when the loop reaches them. */
      JsonObject *op = op_new ("add", NULL);
      JsonObject *node = tree_to_json (t, work->nodes);

      json_object_set_string_member (op, "parent", t->parent->id);
      json_object_set_object_member (op, "node", node);
      json_array_add_object_element (ops, op);
      if (!add_tree (work, t->parent->id, node, G_MAXUINT, FALSE, FALSE, NULL))
        g_assert_not_reached ();
      continue;
    }
    if (t->parent != NULL && !g_str_equal (w->parent->id, t->parent->id)) {
      JsonObject *op = op_new ("move", t->id);

      json_object_set_string_member (op, "parent", t->parent->id);
      json_array_add_object_element (ops, op);
      /* No cycle: the new parent's whole ancestry is already as in @to. */
      if (!move_node (work, t->id, t->parent->id, NULL))
        g_assert_not_reached ();
    }
    if (w->capacity != t->capacity || !g_str_equal (w->name, t->name)) {
      JsonObject *op = op_new ("set", t->id);

      json_object_set_string_member (op, "name", t->name);
      json_object_set_int_member (op, "capacity", t->capacity);
      json_array_add_object_element (ops, op);
      if (!set_node (work, t->id, t->name, t->capacity, NULL))
        g_assert_not_reached ();
    }
  }

  /* 2. Every node of @to now has its parent of @to, so what is left under a node of @to and
   * not in @to is a whole subtree that left. */
  collect_subtree (work->root, present);
  for (guint i = 0; i < present->len; i++) {
    MapNode *w = g_ptr_array_index (present, i);

    if (w->parent != NULL && lookup (to, w->id) == NULL && lookup (to, w->parent->id) != NULL)
      g_ptr_array_add (gone, w->id);
  }
  for (guint i = 0; i < gone->len; i++) {
    /* The op copies the id before the node that owns it is freed. */
    json_array_add_object_element (ops, op_new ("remove", g_ptr_array_index (gone, i)));
    if (!remove_node (work, g_ptr_array_index (gone, i), NULL))
      g_assert_not_reached ();
  }

  /* 3. Order: same children, maybe in another order. Keep the longest prefix of @to's order
   * that is already in sequence, and move the rest to the end one by one. */
  for (guint i = 0; i < order->len; i++) {
    MapNode *t = g_ptr_array_index (order, i);
    MapNode *w = lookup (work, t->id);
    guint kept = 0;

    g_assert (w->children->len == t->children->len);
    for (guint j = 0; j < w->children->len && kept < t->children->len; j++)
      if (g_str_equal (((MapNode *) g_ptr_array_index (w->children, j))->id,
                       ((MapNode *) g_ptr_array_index (t->children, kept))->id))
        kept++;
    for (guint j = kept; j < t->children->len; j++) {
      const char *id = ((MapNode *) g_ptr_array_index (t->children, j))->id;
      JsonObject *op = op_new ("move", id);

      json_object_set_string_member (op, "parent", t->id);
      json_array_add_object_element (ops, op);
      if (!move_node (work, id, t->id, NULL))
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
  MapNode *root;

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
  if (subtree_height (work->root) > CANOPY_TREE_DEPTH_MAX) {
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

/**
 * canopy_node_map_place:
 * @self: a map
 * @pending: (nullable) (element-type utf8 guint): id -> GUINT_TO_POINTER (children promised
 *   to that node but not attached yet)
 * @k1: how many children the root takes
 * @k: the most children any other node takes (each also at most its own capacity)
 * @exclude: (nullable): a node that must not get itself or its subtree as a parent
 *
 * Finds a parent for a newcomer: breadth-first from the root, children in order, the first
 * (so the shallowest) node with a free slot. A node re-joining with its subtree is passed as
 * @exclude so that it is never placed under itself.
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
  g_autoptr (GPtrArray) queue = g_ptr_array_new ();

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  if (g_strcmp0 (self->root->id, exclude) != 0)
    g_ptr_array_add (queue, self->root);
  for (guint i = 0; i < queue->len; i++) {
    MapNode *node = g_ptr_array_index (queue, i);
    guint limit = node == self->root ? k1 : MIN (node->capacity, k);
    guint64 used = node->children->len;

    if (pending != NULL)
      used += GPOINTER_TO_UINT (g_hash_table_lookup (pending, node->id));
    if (used < limit)
      return g_strdup (node->id);
    for (guint j = 0; j < node->children->len; j++) {
      MapNode *child = g_ptr_array_index (node->children, j);

      if (g_strcmp0 (child->id, exclude) != 0)
        g_ptr_array_add (queue, child);
    }
  }
  return NULL;
}
