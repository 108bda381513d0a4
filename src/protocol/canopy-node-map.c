/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMap"

/* The CanopyNodeMap type: its node table and tree links, construction, copying and queries. */

#include "canopy-node-map.h"
#include "canopy-node-map-private.h"

#include "canopy-json.h"
#include "canopy-text.h"

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

G_DEFINE_FINAL_TYPE (CanopyNodeMap, canopy_node_map, G_TYPE_OBJECT)

CanopyMapNode *
canopy_map_node_new (const char *id,
                     char       *name,
                     guint       capacity)
{
  CanopyMapNode *node = g_new0 (CanopyMapNode, 1);

  node->id = g_strdup (id);
  node->name = name;
  node->capacity = capacity;
  node->children = g_ptr_array_new ();
  return node;
}

void
canopy_map_node_free (gpointer data)
{
  CanopyMapNode *node = data;

  g_free (node->id);
  g_free (node->name);
  g_ptr_array_unref (node->children);
  g_free (node);
}

GHashTable *
canopy_map_node_table_new (void)
{
  /* The key is the node's own id, freed with the node. */
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, canopy_map_node_free);
}

CanopyMapNode *
canopy_node_map_lookup (CanopyNodeMap *self,
                        const char    *id)
{
  if (id == NULL)
    return NULL;
  return g_hash_table_lookup (self->nodes, id);
}

void
canopy_map_node_attach (CanopyMapNode *parent,
                        CanopyMapNode *child,
                        int            position)
{
  child->parent = parent;
  if (position < 0)
    g_ptr_array_add (parent->children, child);
  else
    g_ptr_array_insert (parent->children, position, child);
}

int
canopy_map_node_detach (CanopyMapNode *child)
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
void
canopy_map_node_collect (CanopyMapNode *top,
                         GPtrArray     *out)
{
  guint start = out->len;

  g_ptr_array_add (out, top);
  for (guint i = start; i < out->len; i++) {
    CanopyMapNode *node = g_ptr_array_index (out, i);

    for (guint j = 0; j < node->children->len; j++)
      g_ptr_array_add (out, g_ptr_array_index (node->children, j));
  }
}

guint
canopy_map_node_height (CanopyMapNode *top)
{
  g_autoptr (GPtrArray) level = g_ptr_array_new ();
  guint height = 0;

  g_ptr_array_add (level, top);
  for (;;) {
    g_autoptr (GPtrArray) next = g_ptr_array_new ();

    for (guint i = 0; i < level->len; i++) {
      CanopyMapNode *node = g_ptr_array_index (level, i);

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

guint
canopy_map_node_depth (CanopyMapNode *node)
{
  guint depth = 0;

  for (CanopyMapNode *n = node->parent; n != NULL; n = n->parent)
    depth++;
  return depth;
}

gboolean
canopy_map_node_is_ancestor (CanopyMapNode *ancestor,
                             CanopyMapNode *node)
{
  for (CanopyMapNode *n = node; n != NULL; n = n->parent)
    if (n == ancestor)
      return TRUE;
  return FALSE;
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
  self->nodes = canopy_map_node_table_new ();
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
  self->root = canopy_map_node_new (root_id, g_strndup (clean, end - clean), root_capacity);
  g_hash_table_insert (self->nodes, self->root->id, self->root);
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
  canopy_map_node_collect (self->root, order);
  for (guint i = 0; i < order->len; i++) {
    CanopyMapNode *node = g_ptr_array_index (order, i);
    CanopyMapNode *twin = canopy_map_node_new (node->id, g_strdup (node->name), node->capacity);

    g_hash_table_insert (copy->nodes, twin->id, twin);
    if (node->parent != NULL)
      canopy_map_node_attach (canopy_node_map_lookup (copy, node->parent->id), twin, -1);
    else
      copy->root = twin;
  }
  return copy;
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

  return canopy_map_node_height (self->root);
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

  return canopy_node_map_lookup (self, id) != NULL;
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
  CanopyMapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  node = canopy_node_map_lookup (self, id);
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
  CanopyMapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  node = canopy_node_map_lookup (self, id);
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
  CanopyMapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  node = canopy_node_map_lookup (self, id);
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
  CanopyMapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), 0);

  node = canopy_node_map_lookup (self, id);
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
  CanopyMapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  node = canopy_node_map_lookup (self, id);
  ids = g_ptr_array_sized_new (node != NULL ? node->children->len : 0);
  for (guint i = 0; node != NULL && i < node->children->len; i++)
    g_ptr_array_add (ids, ((CanopyMapNode *) g_ptr_array_index (node->children, i))->id);
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
  CanopyMapNode *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), -1);

  node = canopy_node_map_lookup (self, id);
  return node != NULL ? (int) canopy_map_node_depth (node) : -1;
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
  CanopyMapNode *a, *node;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), FALSE);

  a = canopy_node_map_lookup (self, ancestor);
  node = canopy_node_map_lookup (self, id);
  return a != NULL && node != NULL && canopy_map_node_is_ancestor (a, node);
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

  canopy_map_node_collect (self->root, order);
  ids = g_ptr_array_sized_new (order->len);
  for (guint i = 0; i < order->len; i++)
    g_ptr_array_add (ids, ((CanopyMapNode *) g_ptr_array_index (order, i))->id);
  return ids;
}

static int
compare_nodes_by_id (gconstpointer a,
                     gconstpointer b)
{
  const CanopyMapNode *x = *(CanopyMapNode * const *) a;
  const CanopyMapNode *y = *(CanopyMapNode * const *) b;

  return strcmp (x->id, y->id);
}

/**
 * canopy_node_map_digest:
 * @self: a map
 *
 * What the host signs for each version: SHA-256 over every node sorted by id, each as its id,
 * its parent's id (empty for the root), its name and its capacity in decimal, every field
 * followed by a NUL byte. The order of children does not count, so any peer holding the same
 * tree computes the same digest, whatever order its changes arrived in.
 *
 * Returns: (transfer full): the digest as 64 lower-case hex characters
 */
char *
canopy_node_map_digest (CanopyNodeMap *self)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (CANOPY_IS_NODE_MAP (self), NULL);

  g_hash_table_iter_init (&iter, self->nodes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (nodes, value);
  g_ptr_array_sort (nodes, compare_nodes_by_id);
  for (guint i = 0; i < nodes->len; i++) {
    CanopyMapNode *node = g_ptr_array_index (nodes, i);
    const char *parent = node->parent != NULL ? node->parent->id : "";
    char capacity[16];

    g_snprintf (capacity, sizeof capacity, "%u", node->capacity);
    g_checksum_update (checksum, (const guchar *) node->id, (gssize) strlen (node->id) + 1);
    g_checksum_update (checksum, (const guchar *) parent, (gssize) strlen (parent) + 1);
    g_checksum_update (checksum, (const guchar *) node->name, (gssize) strlen (node->name) + 1);
    g_checksum_update (checksum, (const guchar *) capacity, (gssize) strlen (capacity) + 1);
  }
  return g_strdup (g_checksum_get_string (checksum));
}
