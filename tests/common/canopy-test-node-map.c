/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Tests of CanopyNodeMap: building maps, random ones and random changes, and checking every
 * invariant the accessors promise. */

#include "canopy-test-node-map.h"

char *
canopy_test_map_string (CanopyNodeMap *map)
{
  g_autoptr (JsonObject) json = canopy_node_map_to_json (map, NULL);

  return canopy_json_to_string (json);
}

void
canopy_test_map_add (CanopyNodeMap *map,
                     const char    *parent,
                     const char    *id,
                     guint          capacity)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (canopy_node_map_add (map, parent, id, id, capacity, &error));
  g_assert_no_error (error);
}

/* Adds @prefix1 under @parent, @prefix2 under it, and so on down to @prefix@length; each takes
 * one child. */
void
canopy_test_map_add_chain (CanopyNodeMap *map,
                           const char    *parent,
                           const char    *prefix,
                           guint          length)
{
  g_autofree char *above = g_strdup (parent);

  for (guint i = 1; i <= length; i++) {
    g_autofree char *id = g_strdup_printf ("%s%u", prefix, i);

    canopy_test_map_add (map, above, id, 1);
    g_free (above);
    above = g_steal_pointer (&id);
  }
}

/* @map, as canopy_test_map_string() writes it, is @expected. */
void
canopy_test_map_assert_text (CanopyNodeMap *map,
                             const char    *expected)
{
  g_autofree char *text = canopy_test_map_string (map);

  g_assert_cmpstr (text, ==, expected);
}

/* @map is @expected, as text. */
void
canopy_test_map_assert_equal (CanopyNodeMap *map,
                              CanopyNodeMap *expected)
{
  g_autofree char *text = canopy_test_map_string (expected);

  canopy_test_map_assert_text (map, text);
}

/* Checks every structural invariant the accessors promise. */
void
canopy_test_map_assert_consistent (CanopyNodeMap *map)
{
  g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  int previous_depth = 0;
  guint height = 0;

  g_assert_cmpuint (ids->len, ==, canopy_node_map_get_size (map));
  g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, canopy_node_map_get_root (map));
  g_assert_null (canopy_node_map_get_parent (map, canopy_node_map_get_root (map)));
  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    const char *parent = canopy_node_map_get_parent (map, id);
    int depth = canopy_node_map_get_depth (map, id);
    g_autoptr (GPtrArray) children = canopy_node_map_get_children (map, id);

    g_assert_true (g_hash_table_add (seen, (gpointer) id));
    g_assert_true (canopy_node_map_contains (map, id));
    g_assert_true (canopy_node_map_is_ancestor (map, id, id));
    /* Breadth-first: depths never go down. */
    g_assert_cmpint (depth, >=, previous_depth);
    previous_depth = depth;
    height = MAX (height, (guint) depth);
    if (parent != NULL) {
      g_autoptr (GPtrArray) siblings = canopy_node_map_get_children (map, parent);

      g_assert_cmpint (depth, ==, canopy_node_map_get_depth (map, parent) + 1);
      g_assert_true (g_ptr_array_find_with_equal_func (siblings, id, g_str_equal, NULL));
      g_assert_true (canopy_node_map_is_ancestor (map, parent, id));
      g_assert_false (canopy_node_map_is_ancestor (map, id, parent));
      g_assert_true (canopy_node_map_is_ancestor (map, canopy_node_map_get_root (map), id));
    } else {
      g_assert_cmpint (depth, ==, 0);
    }
    g_assert_cmpuint (children->len, ==, canopy_node_map_get_n_children (map, id));
    for (guint j = 0; j < children->len; j++)
      g_assert_cmpstr (canopy_node_map_get_parent (map, g_ptr_array_index (children, j)), ==, id);
  }
  g_assert_cmpuint (height, ==, canopy_node_map_get_height (map));
}

char *
canopy_test_map_new_id (guint *counter)
{
  return g_strdup_printf ("p%u", ++*counter);
}

const char *
canopy_test_map_pick (GPtrArray *ids,
                      gboolean   skip_root)
{
  guint first = skip_root ? 1 : 0;

  if (ids->len <= first)
    return NULL;
  return g_ptr_array_index (ids, g_test_rand_int_range (first, ids->len));
}

/* One random change: a leaf joins, a subtree leaves, a node moves (maybe to its own parent,
 * which reorders), or a node changes name or capacity. */
void
canopy_test_map_mutate (CanopyNodeMap *map,
                        guint         *counter)
{
  g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);
  g_autoptr (GError) error = NULL;
  const char *id, *parent;

  switch (g_test_rand_int_range (0, 5)) {
  case 0:
  case 1: {
    g_autofree char *fresh = canopy_test_map_new_id (counter);

    parent = canopy_test_map_pick (ids, FALSE);
    g_assert_true (canopy_node_map_add (map, parent, fresh, fresh,
                                        g_test_rand_int_range (0, 5), &error));
    break;
  }
  case 2:
    id = canopy_test_map_pick (ids, TRUE);
    if (id != NULL)
      g_assert_true (canopy_node_map_remove (map, id, &error));
    break;
  case 3:
    id = canopy_test_map_pick (ids, TRUE);
    parent = canopy_test_map_pick (ids, FALSE);
    if (id == NULL)
      break;
    if (canopy_node_map_is_ancestor (map, id, parent)) {
      g_assert_false (canopy_node_map_move (map, id, parent, &error));
      g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_CYCLE);
      g_clear_error (&error);
    } else {
      g_assert_true (canopy_node_map_move (map, id, parent, &error));
    }
    break;
  default: {
    g_autofree char *name = g_strdup_printf ("n%u", g_test_rand_int_range (0, 4));

    id = canopy_test_map_pick (ids, FALSE);
    g_assert_true (canopy_node_map_set (map, id, name, g_test_rand_int_range (0, 5), &error));
    break;
  }
  }
  g_assert_no_error (error);
}

CanopyNodeMap *
canopy_test_map_random (guint  n,
                        guint *counter)
{
  CanopyNodeMap *map = canopy_node_map_new ("root", "Host", 4);

  for (guint i = 0; i < n; i++) {
    g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);
    g_autofree char *id = canopy_test_map_new_id (counter);

    canopy_test_map_add (map, canopy_test_map_pick (ids, FALSE), id, g_test_rand_int_range (0, 5));
  }
  return map;
}
