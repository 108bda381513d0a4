/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Node maps from the network. The first line of the input is a node (a `map`'s `nodesMap`, a
 * `subtree`'s `full`) read by canopy_node_map_new_from_json(); if it is not one, a small map of
 * fixed ids stands in, so the ops still run. Each further line is an object whose members act
 * in turn: `full` replaces the map, `ops` goes to canopy_node_map_apply(), `graft` (a node) to
 * canopy_node_map_graft() under `parent`. After every change the map must keep every
 * invariant; at the end it must survive a round trip through JSON, the ops canopy_node_map_diff()
 * makes between it and the first map must apply both ways, and placement must pick a node. */

#include "canopy-node-map.h"
#include "canopy-json.h"
#include "canopy-test-node-map.h"
#include "canopy-fuzz.h"

#include <string.h>

#define MAX_NODES 1000

static CanopyNodeMap *
fallback_map (void)
{
  CanopyNodeMap *map = canopy_node_map_new ("pa", "Host", 4);

  canopy_test_map_add (map, "pa", "pb", 2);
  canopy_test_map_add (map, "pa", "pc", 0);
  canopy_test_map_add (map, "pb", "pd", 1);
  return map;
}

static void
check_map (CanopyNodeMap *map)
{
  canopy_test_map_assert_consistent (map);
  g_assert (canopy_node_map_get_size (map) <= MAX_NODES);
  g_assert (canopy_node_map_get_height (map) <= CANOPY_TREE_DEPTH_MAX);
}

/* @from, changed by the ops canopy_node_map_diff() makes from it to @to, is @to. */
static void
check_diff (CanopyNodeMap *from,
            CanopyNodeMap *to)
{
  g_autoptr (CanopyNodeMap) work = canopy_node_map_copy (from);
  g_autoptr (JsonArray) ops = canopy_node_map_diff (from, to);
  g_autoptr (GError) error = NULL;

  if (!canopy_node_map_apply (work, ops, CANOPY_TREE_NODES_MAX, &error))
    g_error ("The diff of two maps does not apply: %s", error->message);
  canopy_test_map_assert_equal (work, to);
}

static void
act (CanopyNodeMap **map,
     JsonObject     *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *before = canopy_test_map_string (*map);
  JsonObject *full = NULL;
  JsonObject *graft = NULL;
  JsonArray *ops = NULL;
  const char *parent = NULL;

  if (canopy_json_get_object (message, "full", TRUE, &full, NULL)) {
    CanopyNodeMap *replacement = canopy_node_map_new_from_json (full, MAX_NODES, NULL);

    if (replacement != NULL) {
      check_map (replacement);
      g_object_unref (*map);
      *map = replacement;
    }
    return;
  }
  if (canopy_json_get_array (message, "ops", CANOPY_MAP_OPS_MAX, TRUE, &ops, NULL)) {
    if (!canopy_node_map_apply (*map, ops, MAX_NODES, &error))
      /* All or nothing. */
      canopy_test_map_assert_text (*map, before);
    check_map (*map);
    return;
  }
  if (canopy_json_get_object (message, "graft", TRUE, &graft, NULL) &&
      canopy_json_get_string (message, "parent", CANOPY_PEER_ID_CHARS, TRUE, &parent, NULL)) {
    if (!canopy_node_map_graft (*map, parent, graft, MAX_NODES, &error))
      canopy_test_map_assert_text (*map, before);
    check_map (*map);
  }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (CanopyNodeMap) first = NULL;
  g_autoptr (CanopyNodeMap) map = NULL;
  g_autoptr (CanopyNodeMap) again = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (GHashTable) pending = NULL;
  g_autofree char *parent = NULL;
  const char *line;
  gsize len;

  for (guint n = 0;
       n < CANOPY_FUZZ_MAX_MESSAGES && canopy_fuzz_next_line (&data, &size, &line, &len); n++) {
    g_autofree char *text = canopy_fuzz_copy (line, len);
    g_autoptr (JsonObject) message = canopy_json_parse_object (text, (gssize) len,
                                                               CANOPY_CTRL_BYTES, NULL);

    if (n == 0) {
      first = message ? canopy_node_map_new_from_json (message, MAX_NODES, NULL) : NULL;
      if (first == NULL)
        first = fallback_map ();
      check_map (first);
      map = canopy_node_map_copy (first);
      canopy_test_map_assert_equal (map, first);
    } else if (message != NULL) {
      act (&map, message);
    }
  }
  if (map == NULL)
    return 0;

  json = canopy_node_map_to_json (map, NULL);
  again = canopy_node_map_new_from_json (json, MAX_NODES, NULL);
  g_assert (again != NULL);
  canopy_test_map_assert_equal (again, map);

  if (g_str_equal (canopy_node_map_get_root (first), canopy_node_map_get_root (map))) {
    check_diff (first, map);
    check_diff (map, first);
  }

  pending = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (pending, (gpointer) canopy_node_map_get_root (map), GUINT_TO_POINTER (1));
  parent = canopy_node_map_place (map, pending, 4, 2, NULL);
  if (parent != NULL)
    g_assert (canopy_node_map_contains (map, parent));
  return 0;
}
