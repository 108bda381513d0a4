/* SPDX-License-Identifier: GPL-3.0-or-later */

/* CanopyNodeMap ops: diff two maps, apply the ops as a receiver would, all or nothing. */

#include "canopy-test-node-map.h"

#include <string.h>

/* --- helpers --- */

static char *
ops_string (JsonArray *ops)
{
  g_autoptr (JsonNode) node = json_node_init_array (json_node_alloc (), ops);

  return json_to_string (node, FALSE);
}

/* The ops as a receiver gets them: through text, without the 32-level limit of messages. */
static JsonArray *
ops_through_text (JsonArray *ops)
{
  g_autofree char *text = ops_string (ops);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

/* A breadth-first tree of @n nodes where everyone but the root takes @k children. */
static CanopyNodeMap *
full_map (guint n,
          guint k)
{
  CanopyNodeMap *map = canopy_node_map_new ("phost000000", "The host", k);

  for (guint i = 1; i < n; i++) {
    g_autofree char *parent = canopy_node_map_place (map, NULL, k, k, NULL);
    g_autofree char *id = g_strdup_printf ("p%010u", i);
    g_autofree char *name = g_strdup_printf ("Viewer number %u", i);

    g_assert_nonnull (parent);
    g_assert_true (canopy_node_map_add (map, parent, id, name, k, NULL));
  }
  return map;
}

/* The diff from @from to @to, which must be one op of @kind; returns (transfer full) the op. */
static JsonObject *
diff_one_op (CanopyNodeMap *from,
             CanopyNodeMap *to,
             const char    *kind)
{
  g_autoptr (JsonArray) ops = canopy_node_map_diff (from, to);
  JsonObject *op;

  g_assert_cmpuint (json_array_get_length (ops), ==, 1);
  op = json_array_get_object_element (ops, 0);
  g_assert_cmpstr (json_object_get_string_member (op, "op"), ==, kind);
  return json_object_ref (op);
}

/* --- tests --- */

/* A random tree over a random part of a small pool of ids, so that two of them share some
 * nodes in unrelated places. */
static CanopyNodeMap *
pool_map (guint pool)
{
  CanopyNodeMap *map = canopy_node_map_new ("root", "Host", 4);

  for (guint i = 0; i < pool; i++) {
    g_autoptr (GPtrArray) ids = NULL;
    g_autofree char *id = NULL;
    g_autofree char *name = NULL;

    if (g_test_rand_bit ())
      continue;
    ids = canopy_node_map_get_ids (map);
    id = g_strdup_printf ("q%u", i);
    name = g_strdup_printf ("n%u", g_test_rand_int_range (0, 2));
    g_assert_true (canopy_node_map_add (map, canopy_test_map_pick (ids, FALSE), id, name,
                                        g_test_rand_int_range (0, 2), NULL));
  }
  return map;
}

static void
check_diff_apply (CanopyNodeMap *from,
                  CanopyNodeMap *to,
                  GHashTable    *kinds)
{
  g_autoptr (CanopyNodeMap) result = canopy_node_map_copy (from);
  g_autoptr (JsonArray) ops = canopy_node_map_diff (from, to);
  g_autoptr (JsonArray) received = ops_through_text (ops);
  g_autoptr (JsonArray) none = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = canopy_test_map_string (to);
  g_autofree char *got = NULL;

  for (guint i = 0; i < json_array_get_length (ops); i++)
    g_hash_table_add (kinds, g_strdup (json_object_get_string_member (
                               json_array_get_object_element (ops, i), "op")));
  g_assert_true (canopy_node_map_apply (result, received, 100000, &error));
  g_assert_no_error (error);
  got = canopy_test_map_string (result);
  if (g_strcmp0 (expected, got) != 0) {
    g_autofree char *text = ops_string (ops);
    g_autofree char *start = canopy_test_map_string (from);

    g_test_message ("from %s\nops %s", start, text);
  }
  g_assert_cmpstr (expected, ==, got);
  canopy_test_map_assert_consistent (result);
  none = canopy_node_map_diff (to, result);
  g_assert_cmpuint (json_array_get_length (none), ==, 0);
}

static void
test_diff_apply_random (void)
{
  g_autoptr (GHashTable) kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counter = 0;

  for (guint iteration = 0; iteration < 200; iteration++) {
    g_autoptr (CanopyNodeMap) from = canopy_test_map_random (g_test_rand_int_range (0, 40),
                                                             &counter);
    g_autoptr (CanopyNodeMap) to = canopy_node_map_copy (from);
    g_autoptr (CanopyNodeMap) a = pool_map (60);
    g_autoptr (CanopyNodeMap) b = pool_map (60);
    g_autoptr (JsonArray) ops = NULL;
    guint changes = g_test_rand_int_range (0, 12);

    for (guint i = 0; i < changes; i++)
      canopy_test_map_mutate (to, &counter);
    check_diff_apply (from, to, kinds);
    /* Every change costs at most one op, plus at most one to restore the children's order. */
    ops = canopy_node_map_diff (from, to);
    g_assert_cmpuint (json_array_get_length (ops), <=, 2 * changes);

    /* Two unrelated trees sharing some ids: everything moves, joins and leaves at once. */
    check_diff_apply (a, b, kinds);
    check_diff_apply (b, a, kinds);
  }
  g_assert_true (g_hash_table_contains (kinds, "add"));
  g_assert_true (g_hash_table_contains (kinds, "remove"));
  g_assert_true (g_hash_table_contains (kinds, "move"));
  g_assert_true (g_hash_table_contains (kinds, "set"));
}

static void
test_diff_small (void)
{
  g_autoptr (CanopyNodeMap) big = full_map (1000, 4);
  g_autoptr (CanopyNodeMap) joined = canopy_node_map_copy (big);
  g_autoptr (CanopyNodeMap) left = canopy_node_map_copy (big);
  g_autoptr (CanopyNodeMap) moved = canopy_node_map_copy (big);
  g_autoptr (CanopyNodeMap) renamed = canopy_node_map_copy (big);
  g_autoptr (JsonArray) ops = NULL;
  g_autoptr (JsonObject) op = NULL;
  g_autofree char *parent = canopy_node_map_place (big, NULL, 4, 4, NULL);
  g_autofree char *full = canopy_test_map_string (big);
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) children = NULL;

  g_assert_cmpuint (canopy_node_map_get_size (big), ==, 1000);
  g_assert_cmpuint (canopy_node_map_get_height (big), ==, 5);

  /* One join: one add op, a few hundred bytes at most, where the map is tens of KiB. */
  g_assert_true (canopy_node_map_add (joined, parent, "pnewcomer00", "Newcomer", 4, NULL));
  op = diff_one_op (big, joined, "add");
  g_assert_cmpstr (json_object_get_string_member (op, "parent"), ==, parent);
  g_clear_pointer (&op, json_object_unref);
  ops = canopy_node_map_diff (big, joined);
  text = ops_string (ops);
  g_test_message ("join: %" G_GSIZE_FORMAT " bytes of ops, full map %" G_GSIZE_FORMAT " bytes",
                  strlen (text), strlen (full));
  g_assert_cmpuint (strlen (text), <, 300);
  g_assert_cmpuint (strlen (full), >, 50000);
  g_clear_pointer (&ops, json_array_unref);
  g_clear_pointer (&text, g_free);

  /* One subtree leaves: one remove op, however big the subtree. */
  g_assert_cmpuint (canopy_node_map_get_n_children (left, "p0000000001"), ==, 4);
  g_assert_true (canopy_node_map_remove (left, "p0000000001", NULL));
  g_assert_cmpuint (canopy_node_map_get_size (left), <, 800);
  op = diff_one_op (big, left, "remove");
  g_assert_cmpstr (json_object_get_string_member (op, "id"), ==, "p0000000001");
  g_clear_pointer (&op, json_object_unref);

  /* A subtree moves: one move op. */
  children = canopy_node_map_get_children (moved, "p0000000002");
  g_assert_true (canopy_node_map_move (moved, g_ptr_array_index (children, 1), "p0000000999",
                                       NULL));
  op = diff_one_op (big, moved, "move");
  g_assert_cmpstr (json_object_get_string_member (op, "parent"), ==, "p0000000999");
  g_clear_pointer (&op, json_object_unref);

  /* A rename: one set op. */
  g_assert_true (canopy_node_map_set (renamed, "p0000000500", "Renamed", 2, NULL));
  op = diff_one_op (big, renamed, "set");
  g_assert_cmpstr (json_object_get_string_member (op, "name"), ==, "Renamed");
  g_assert_cmpint (json_object_get_int_member (op, "capacity"), ==, 2);

  /* No change: no ops. */
  ops = canopy_node_map_diff (big, big);
  g_assert_cmpuint (json_array_get_length (ops), ==, 0);
}

static void
test_diff_new_subtree (void)
{
  g_autoptr (CanopyNodeMap) from = canopy_node_map_new ("h", "Host", 4);
  g_autoptr (CanopyNodeMap) to = NULL;
  g_autoptr (CanopyNodeMap) result = NULL;
  g_autoptr (JsonArray) ops = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *node;

  canopy_test_map_add (from, "h", "x", 2);
  to = canopy_node_map_copy (from);
  result = canopy_node_map_copy (from);
  /* A whole new subtree with an old node in the middle of its children. */
  canopy_test_map_add (to, "h", "n", 3);
  canopy_test_map_add (to, "n", "n1", 1);
  canopy_test_map_add (to, "n1", "n11", 1);
  g_assert_true (canopy_node_map_move (to, "x", "n", NULL));
  canopy_test_map_add (to, "n", "n2", 1);

  ops = canopy_node_map_diff (from, to);
  node = json_object_get_object_member (json_array_get_object_element (ops, 0), "node");
  g_assert_cmpstr (json_object_get_string_member (node, "id"), ==, "n");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (node, "childNodes")),
                    ==, 2);
  g_assert_true (canopy_node_map_apply (result, ops, 100, &error));
  g_assert_no_error (error);
  canopy_test_map_assert_equal (result, to);
}

static void
test_apply_atomic (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 4);
  g_autofree char *before = NULL;
  struct {
    const char *ops;
    guint max_nodes;
    CanopyError code;
  } cases[] = {
    { "[{\"op\":\"add\",\"parent\":\"h\",\"node\":{\"id\":\"n\",\"name\":\"N\",\"capacity\":1}},"
      "{\"op\":\"remove\",\"id\":\"nobody\"}]", 100, CANOPY_ERROR_UNKNOWN_PEER },
    { "[{\"op\":\"move\",\"id\":\"b\",\"parent\":\"a\"},{\"op\":\"move\",\"id\":\"a\","
      "\"parent\":\"b\"}]", 100, CANOPY_ERROR_CYCLE },
    { "[{\"op\":\"set\",\"id\":\"a\",\"name\":\"Changed\"},{\"op\":\"explode\",\"id\":\"a\"}]",
      100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"remove\",\"id\":\"b\"},42]", 100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"remove\",\"id\":\"b\"},{\"op\":\"remove\",\"id\":\"h\"}]", 100,
      CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"remove\",\"id\":\"b\"},{\"op\":\"remove\"}]", 100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"add\",\"parent\":\"h\",\"node\":{\"id\":\"a1\",\"name\":\"N\",\"capacity\":1}}]",
      100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"add\",\"parent\":\"nobody\",\"node\":{\"id\":\"n\",\"name\":\"N\","
      "\"capacity\":1}}]", 100, CANOPY_ERROR_UNKNOWN_PEER },
    { "[{\"op\":\"add\",\"parent\":\"h\",\"node\":{\"id\":\"n\",\"name\":\"N\",\"capacity\":1}},"
      "{\"op\":\"add\",\"parent\":\"h\",\"node\":{\"id\":\"m\",\"name\":\"M\",\"capacity\":1}}]",
      5, CANOPY_ERROR_TOO_LARGE },
    { "[{\"op\":\"add\",\"parent\":\"h\",\"node\":{\"id\":\"n\",\"name\":\"N\",\"capacity\":99}}]",
      100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"set\",\"id\":\"a\",\"capacity\":33}]", 100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"op\":\"move\",\"id\":\"a\",\"parent\":\"nobody\"}]", 100, CANOPY_ERROR_UNKNOWN_PEER },
    { "[{\"op\":\"move\",\"id\":\"h\",\"parent\":\"a\"}]", 100, CANOPY_ERROR_CYCLE },
    { "[{\"op\":\"add\",\"parent\":\"h\",\"node\":\"n\"}]", 100, CANOPY_ERROR_BAD_MESSAGE },
    { "[{\"id\":\"a\"}]", 100, CANOPY_ERROR_BAD_MESSAGE },
  };

  canopy_test_map_add (map, "h", "a", 2);
  canopy_test_map_add (map, "h", "b", 2);
  canopy_test_map_add (map, "a", "a1", 2);
  canopy_node_map_set_version (map, 7);
  before = canopy_test_map_string (map);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, cases[i].ops, -1, NULL));
    g_assert_false (canopy_node_map_apply (map, json_node_get_array (json_parser_get_root (parser)),
                                           cases[i].max_nodes, &error));
    if (!g_error_matches (error, CANOPY_ERROR, (gint) cases[i].code))
      g_test_message ("case %u: %s", i, cases[i].ops);
    g_assert_error (error, CANOPY_ERROR, (gint) cases[i].code);
    canopy_test_map_assert_text (map, before);
    g_assert_cmpuint (canopy_node_map_get_version (map), ==, 7);
  }

  /* A good batch does apply; a set may leave a member out. */
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (GError) error = NULL;

    g_assert_true (json_parser_load_from_data (
      parser,
      "[{\"op\":\"set\",\"id\":\"a\",\"capacity\":3},"
      "{\"op\":\"move\",\"id\":\"b\",\"parent\":\"a1\"},"
      "{\"op\":\"add\",\"parent\":\"b\","
      "\"node\":{\"id\":\"n\",\"name\":\"N\\u0001\",\"capacity\":1}},"
      "{\"op\":\"remove\",\"id\":\"n\"},{\"op\":\"set\",\"id\":\"h\",\"name\":\"Hôte\"}]",
      -1, NULL));
    g_assert_true (canopy_node_map_apply (map, json_node_get_array (json_parser_get_root (parser)),
                                          5, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (canopy_node_map_get_capacity (map, "a"), ==, 3);
    g_assert_cmpstr (canopy_node_map_get_name (map, "a"), ==, "a");
    g_assert_cmpstr (canopy_node_map_get_name (map, "h"), ==, "Hôte");
    g_assert_cmpstr (canopy_node_map_get_parent (map, "b"), ==, "a1");
    g_assert_false (canopy_node_map_contains (map, "n"));
    g_assert_cmpuint (canopy_node_map_get_version (map), ==, 7);
    canopy_test_map_assert_consistent (map);
  }
}

static void
test_apply_depth (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 2);
  g_autoptr (JsonArray) ops = json_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  JsonObject *op = json_object_new ();

  /* Two chains of 200 and 100: each fine, one under the other too deep. */
  canopy_test_map_add_chain (map, "h", "a", 200);
  canopy_test_map_add_chain (map, "h", "b", 100);
  before = canopy_test_map_string (map);
  json_object_set_string_member (op, "op", "move");
  json_object_set_string_member (op, "id", "b1");
  json_object_set_string_member (op, "parent", "a200");
  json_array_add_object_element (ops, op);
  g_assert_false (canopy_node_map_apply (map, ops, 100000, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  canopy_test_map_assert_text (map, before);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node-map/diff-apply-random", test_diff_apply_random);
  g_test_add_func ("/node-map/diff-small", test_diff_small);
  g_test_add_func ("/node-map/diff-new-subtree", test_diff_new_subtree);
  g_test_add_func ("/node-map/apply-atomic", test_apply_atomic);
  g_test_add_func ("/node-map/apply-depth", test_apply_depth);
  return g_test_run ();
}
