/* SPDX-License-Identifier: GPL-3.0-or-later */

/* CanopyNodeMap as a model: building, errors, JSON in and out, copy, graft, placement. */

#include "canopy-test-node-map.h"

/* --- helpers --- */

static JsonObject *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonObject *o = canopy_json_parse_object (text, -1, 1 << 20, &error);

  g_assert_no_error (error);
  return o;
}

/* A chain root -> c1 -> ... -> c@length as nested JSON, built in memory: text would hit the
 * 32-level limit of messages first. */
static JsonObject *
chain_json (guint length)
{
  JsonObject *top = NULL;

  for (guint i = length + 1; i-- > 0;) {
    JsonObject *o = json_object_new ();
    JsonArray *children = json_array_new ();
    g_autofree char *id = g_strdup_printf ("c%u", i);

    json_object_set_string_member (o, "id", id);
    json_object_set_string_member (o, "name", id);
    json_object_set_int_member (o, "capacity", 1);
    if (top != NULL)
      json_array_add_object_element (children, top);
    json_object_set_array_member (o, "childNodes", children);
    top = o;
  }
  return top;
}

/* --- tests --- */

static void
test_new (void)
{
  CanopyNodeMap *map = canopy_node_map_new ("p2x7kq9mzab", "Ana\x01", 3);
  g_autoptr (GPtrArray) children = canopy_node_map_get_children (map, "p2x7kq9mzab");
  g_autoptr (GPtrArray) none = canopy_node_map_get_children (map, "nobody");

  g_assert_cmpstr (canopy_node_map_get_root (map), ==, "p2x7kq9mzab");
  g_assert_cmpstr (canopy_node_map_get_name (map, "p2x7kq9mzab"), ==, "Ana");
  g_assert_cmpuint (canopy_node_map_get_capacity (map, "p2x7kq9mzab"), ==, 3);
  g_assert_cmpuint (canopy_node_map_get_size (map), ==, 1);
  g_assert_cmpuint (canopy_node_map_get_height (map), ==, 0);
  g_assert_cmpint (canopy_node_map_get_depth (map, "p2x7kq9mzab"), ==, 0);
  g_assert_cmpint (canopy_node_map_get_depth (map, "nobody"), ==, -1);
  g_assert_null (canopy_node_map_get_parent (map, "p2x7kq9mzab"));
  g_assert_null (canopy_node_map_get_parent (map, "nobody"));
  g_assert_null (canopy_node_map_get_name (map, "nobody"));
  g_assert_false (canopy_node_map_contains (map, "nobody"));
  g_assert_false (canopy_node_map_contains (map, NULL));
  g_assert_false (canopy_node_map_is_ancestor (map, "nobody", "p2x7kq9mzab"));
  g_assert_cmpuint (children->len, ==, 0);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_null (canopy_node_map_to_json (map, "nobody"));

  g_assert_cmpuint (canopy_node_map_get_version (map), ==, 0);
  canopy_node_map_set_version (map, G_MAXUINT64 - 1);
  g_assert_cmpuint (canopy_node_map_get_version (map), ==, G_MAXUINT64 - 1);
  g_assert_finalize_object (map);
}

static void
test_build (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) children = NULL;
  g_autoptr (GPtrArray) ids = NULL;

  canopy_test_map_add (map, "h", "a", 2);
  canopy_test_map_add (map, "h", "b", 2);
  canopy_test_map_add (map, "a", "a1", 1);
  canopy_test_map_add (map, "a", "a2", 0);
  canopy_test_map_add (map, "a1", "a11", 0);
  canopy_test_map_assert_consistent (map);
  g_assert_cmpuint (canopy_node_map_get_size (map), ==, 6);
  g_assert_cmpuint (canopy_node_map_get_height (map), ==, 3);
  g_assert_cmpint (canopy_node_map_get_depth (map, "a11"), ==, 3);
  g_assert_cmpstr (canopy_node_map_get_parent (map, "a11"), ==, "a1");
  g_assert_true (canopy_node_map_is_ancestor (map, "a", "a11"));
  g_assert_false (canopy_node_map_is_ancestor (map, "b", "a11"));
  ids = canopy_node_map_get_ids (map);
  g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, "h");
  g_assert_cmpstr (g_ptr_array_index (ids, 1), ==, "a");
  g_assert_cmpstr (g_ptr_array_index (ids, 2), ==, "b");
  g_assert_cmpstr (g_ptr_array_index (ids, 3), ==, "a1");
  g_assert_cmpstr (g_ptr_array_index (ids, 5), ==, "a11");

  /* A move takes the subtree along and appends it. */
  g_assert_true (canopy_node_map_move (map, "a1", "b", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (canopy_node_map_get_parent (map, "a11"), ==, "a1");
  g_assert_cmpint (canopy_node_map_get_depth (map, "a11"), ==, 3);
  g_assert_true (canopy_node_map_is_ancestor (map, "b", "a11"));
  g_assert_cmpuint (canopy_node_map_get_n_children (map, "a"), ==, 1);
  canopy_test_map_assert_consistent (map);

  /* Moving to the same parent puts a child last. */
  canopy_test_map_add (map, "h", "c", 0);
  g_assert_true (canopy_node_map_move (map, "a", "h", &error));
  children = canopy_node_map_get_children (map, "h");
  g_assert_cmpuint (children->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (children, 0), ==, "b");
  g_assert_cmpstr (g_ptr_array_index (children, 1), ==, "c");
  g_assert_cmpstr (g_ptr_array_index (children, 2), ==, "a");

  g_assert_true (canopy_node_map_set (map, "b", "Bo\x1b", 3, &error));
  g_assert_cmpstr (canopy_node_map_get_name (map, "b"), ==, "Bo");
  g_assert_cmpuint (canopy_node_map_get_capacity (map, "b"), ==, 3);

  /* Removing takes the whole subtree. */
  g_assert_true (canopy_node_map_remove (map, "b", &error));
  g_assert_no_error (error);
  g_assert_false (canopy_node_map_contains (map, "b"));
  g_assert_false (canopy_node_map_contains (map, "a1"));
  g_assert_false (canopy_node_map_contains (map, "a11"));
  g_assert_cmpuint (canopy_node_map_get_size (map), ==, 4);
  g_assert_cmpuint (canopy_node_map_get_height (map), ==, 2);
  canopy_test_map_assert_consistent (map);
}

static void
test_errors (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 2);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *long_name = g_strnfill (65, 'x');
  g_autofree char *long_id = g_strnfill (33, 'x');

  canopy_test_map_add (map, "h", "a", 2);
  canopy_test_map_add (map, "a", "a1", 2);
  canopy_test_map_add (map, "a1", "a11", 2);
  before = canopy_test_map_string (map);

  g_assert_false (canopy_node_map_add (map, "nobody", "x", "X", 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_add (map, "h", "a11", "X", 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_add (map, "h", "h", "X", 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_add (map, "h", "a b", "X", 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_add (map, "h", long_id, "X", 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_add (map, "h", "x", long_name, 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_add (map, "h", "x", "X", 33, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  g_assert_false (canopy_node_map_remove (map, "h", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_remove (map, "nobody", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);

  g_assert_false (canopy_node_map_move (map, "a", "a11", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_CYCLE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_move (map, "a", "a", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_CYCLE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_move (map, "h", "a", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_CYCLE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_move (map, "nobody", "a", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_move (map, "a1", "nobody", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);

  g_assert_false (canopy_node_map_set (map, "nobody", "X", 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_set (map, "a", long_name, 1, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_set (map, "a", "X", 33, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  /* None of it changed anything. */
  canopy_test_map_assert_text (map, before);
  canopy_test_map_assert_consistent (map);
}

static void
test_json_round_trip (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("p2x7kq9mzab", "Ana", 2);
  g_autoptr (CanopyNodeMap) back = NULL;
  g_autoptr (CanopyNodeMap) leafy = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (JsonObject) sub = NULL;
  g_autoptr (JsonObject) reparsed = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *sub_text = NULL;
  JsonArray *children;
  JsonObject *first;

  g_assert_true (canopy_node_map_add (map, "p2x7kq9mzab", "pbo", "Bo", 1, NULL));
  g_assert_true (canopy_node_map_add (map, "p2x7kq9mzab", "pcy", "Cy", 0, NULL));
  g_assert_true (canopy_node_map_add (map, "pbo", "pdi", "Dî \"quoted\"", 3, NULL));

  json = canopy_node_map_to_json (map, NULL);
  g_assert_cmpstr (json_object_get_string_member (json, "id"), ==, "p2x7kq9mzab");
  g_assert_cmpstr (json_object_get_string_member (json, "name"), ==, "Ana");
  g_assert_cmpint (json_object_get_int_member (json, "capacity"), ==, 2);
  children = json_object_get_array_member (json, "childNodes");
  g_assert_cmpuint (json_array_get_length (children), ==, 2);
  first = json_array_get_object_element (children, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "id"), ==, "pbo");
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (first,
                                                                                  "childNodes"),
                                                    0),
                     "name"),
                   ==, "Dî \"quoted\"");

  /* Through text and back, as over a data channel. */
  text = canopy_json_to_string (json);
  reparsed = parse (text);
  back = canopy_node_map_new_from_json (reparsed, 100, &error);
  g_assert_no_error (error);
  canopy_test_map_assert_text (back, text);
  g_assert_cmpuint (canopy_node_map_get_size (back), ==, 4);
  g_assert_cmpuint (canopy_node_map_get_version (back), ==, 0);
  canopy_test_map_assert_consistent (back);

  /* A subtree alone. */
  sub = canopy_node_map_to_json (map, "pbo");
  sub_text = canopy_json_to_string (sub);
  g_assert_cmpstr (sub_text, ==,
                   "{\"id\":\"pbo\",\"name\":\"Bo\",\"capacity\":1,\"childNodes\":[{\"id\":\"pdi\","
                   "\"name\":\"D\xc3\xae \\\"quoted\\\"\",\"capacity\":3,\"childNodes\":[]}]}");

  /* Leaves may leave "childNodes" out; names are sanitized on the way in. */
  g_clear_pointer (&reparsed, json_object_unref);
  reparsed = parse ("{\"id\":\"r\",\"name\":\"R\\u0007oot\",\"capacity\":1,"
                    "\"childNodes\":[{\"id\":\"s\",\"name\":\"\",\"capacity\":0}]}");
  leafy = canopy_node_map_new_from_json (reparsed, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (canopy_node_map_get_name (leafy, "r"), ==, "Root");
  g_assert_cmpstr (canopy_node_map_get_name (leafy, "s"), ==, "");
  g_assert_cmpstr (canopy_node_map_get_parent (leafy, "s"), ==, "r");
}

static void
test_json_invalid (void)
{
  g_autofree char *long_name = g_strnfill (65, 'n');
  g_autofree char *name_64 = g_strnfill (64, 'n');
  g_autofree char *long_id = g_strnfill (33, 'i');
  g_autofree char *case_long_name = g_strdup_printf (
    "{\"id\":\"a\",\"name\":\"%s\",\"capacity\":1}", long_name);
  g_autofree char *case_long_id = g_strdup_printf (
    "{\"id\":\"%s\",\"name\":\"x\",\"capacity\":1}", long_id);
  g_autofree char *case_name_64 = g_strdup_printf (
    "{\"id\":\"a\",\"name\":\"%s\",\"capacity\":32}", name_64);
  struct {
    const char *text;
    CanopyError code;
  } cases[] = {
    /* wrong types */
    { "{\"id\":7,\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":7,\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":\"1\"}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1.5}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":true}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1,\"childNodes\":{}}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1,\"childNodes\":[3]}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1,\"childNodes\":[[]]}",
      CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1,\"childNodes\":[{\"id\":\"b\",\"name\":\"y\","
      "\"capacity\":\"x\"}]}", CANOPY_ERROR_BAD_MESSAGE },
    /* missing members */
    { "{\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":null,\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\"}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1,\"childNodes\":[{\"name\":\"y\","
      "\"capacity\":1}]}", CANOPY_ERROR_BAD_MESSAGE },
    /* bad ids */
    { "{\"id\":\"\",\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a b\",\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"<script>\",\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"p\\u00e9\",\"name\":\"x\",\"capacity\":1}", CANOPY_ERROR_BAD_MESSAGE },
    { case_long_id, CANOPY_ERROR_TOO_LARGE },
    /* duplicate ids */
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":1,\"childNodes\":[{\"id\":\"a\",\"name\":\"y\","
      "\"capacity\":1}]}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":2,\"childNodes\":[{\"id\":\"b\",\"name\":\"y\","
      "\"capacity\":1},{\"id\":\"c\",\"name\":\"z\",\"capacity\":1,\"childNodes\":[{\"id\":\"b\","
      "\"name\":\"w\",\"capacity\":0}]}]}", CANOPY_ERROR_BAD_MESSAGE },
    /* ranges */
    { case_long_name, CANOPY_ERROR_TOO_LARGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":33}", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":-1}", CANOPY_ERROR_BAD_MESSAGE },
    /* too many nodes (the limit here is 4) */
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":5,\"childNodes\":[{\"id\":\"b\",\"name\":\"y\","
      "\"capacity\":1},{\"id\":\"c\",\"name\":\"y\",\"capacity\":1},{\"id\":\"d\",\"name\":\"y\","
      "\"capacity\":1},{\"id\":\"e\",\"name\":\"y\",\"capacity\":1}]}", CANOPY_ERROR_TOO_LARGE },
    { "{\"id\":\"a\",\"name\":\"x\",\"capacity\":5,\"childNodes\":[{\"id\":\"b\",\"name\":\"y\","
      "\"capacity\":1,\"childNodes\":[{\"id\":\"c\",\"name\":\"y\",\"capacity\":1,"
      "\"childNodes\":[{\"id\":\"d\",\"name\":\"y\",\"capacity\":1,\"childNodes\":[{\"id\":\"e\","
      "\"name\":\"y\",\"capacity\":1}]}]}]}]}", CANOPY_ERROR_TOO_LARGE },
  };
  g_autoptr (JsonObject) ok_json = parse (case_name_64);
  g_autoptr (CanopyNodeMap) ok = canopy_node_map_new_from_json (ok_json, 4, NULL);

  g_assert_nonnull (ok);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) json = parse (cases[i].text);
    g_autoptr (CanopyNodeMap) map = canopy_node_map_new_from_json (json, 4, &error);

    if (map != NULL || !g_error_matches (error, CANOPY_ERROR, (gint) cases[i].code))
      g_test_message ("case %u: %s", i, cases[i].text);
    g_assert_null (map);
    g_assert_error (error, CANOPY_ERROR, (gint) cases[i].code);
  }
}

static void
test_json_depth (void)
{
  g_autoptr (JsonObject) deepest = chain_json (CANOPY_TREE_DEPTH_MAX);
  g_autoptr (JsonObject) too_deep = chain_json (CANOPY_TREE_DEPTH_MAX + 1);
  g_autoptr (JsonObject) very_deep = chain_json (1000);
  g_autoptr (CanopyNodeMap) map = NULL;
  g_autoptr (CanopyNodeMap) bad = NULL;
  g_autoptr (GError) error = NULL;

  map = canopy_node_map_new_from_json (deepest, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (canopy_node_map_get_height (map), ==, CANOPY_TREE_DEPTH_MAX);
  g_assert_cmpuint (canopy_node_map_get_size (map), ==, CANOPY_TREE_DEPTH_MAX + 1);

  bad = canopy_node_map_new_from_json (too_deep, 10000, &error);
  g_assert_null (bad);
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  bad = canopy_node_map_new_from_json (very_deep, 10000, &error);
  g_assert_null (bad);
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* A deep local tree (depth is only checked on the way in) costs no stack to walk. */
  {
    g_autoptr (CanopyNodeMap) chain = canopy_node_map_new ("c0", "c0", 1);
    g_autoptr (CanopyNodeMap) copy = NULL;
    g_autoptr (CanopyNodeMap) shorter = NULL;
    g_autoptr (JsonArray) ops = NULL;
    g_autoptr (GPtrArray) ids = NULL;

    canopy_test_map_add_chain (chain, "c0", "c", 20000);
    g_assert_cmpuint (canopy_node_map_get_height (chain), ==, 20000);
    copy = canopy_node_map_copy (chain);
    g_assert_cmpint (canopy_node_map_get_depth (copy, "c20000"), ==, 20000);
    g_assert_true (canopy_node_map_is_ancestor (copy, "c0", "c20000"));
    ids = canopy_node_map_get_ids (copy);
    g_assert_cmpuint (ids->len, ==, 20001);
    shorter = canopy_node_map_copy (chain);
    g_assert_true (canopy_node_map_remove (shorter, "c10000", NULL));
    ops = canopy_node_map_diff (chain, shorter);
    g_assert_cmpuint (json_array_get_length (ops), ==, 1);
    g_assert_true (canopy_node_map_remove (chain, "c1", NULL));
    g_assert_cmpuint (canopy_node_map_get_size (chain), ==, 1);
  }
}

static void
test_copy (void)
{
  guint counter = 0;
  g_autoptr (CanopyNodeMap) map = canopy_test_map_random (50, &counter);
  g_autoptr (CanopyNodeMap) copy = NULL;
  g_autofree char *a = NULL;

  canopy_node_map_set_version (map, 42);
  copy = canopy_node_map_copy (map);
  a = canopy_test_map_string (map);
  canopy_test_map_assert_text (copy, a);
  g_assert_cmpuint (canopy_node_map_get_version (copy), ==, 42);
  canopy_test_map_assert_consistent (copy);

  canopy_test_map_add (copy, "root", "extra", 1);
  canopy_test_map_assert_text (map, a);
  g_assert_false (canopy_node_map_contains (map, "extra"));
}

static void
test_graft (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 3);
  g_autoptr (JsonObject) sub = parse (
    "{\"id\":\"a\",\"name\":\"A\",\"capacity\":2,\"childNodes\":[{\"id\":\"a1\",\"name\":\"A1\","
    "\"capacity\":1}]}");
  g_autoptr (JsonObject) sub2 = parse (
    "{\"id\":\"a\",\"name\":\"A again\",\"capacity\":2,\"childNodes\":[{\"id\":\"a2\","
    "\"name\":\"A2\",\"capacity\":1},{\"id\":\"a3\",\"name\":\"A3\",\"capacity\":1}]}");
  g_autoptr (JsonObject) dup = parse (
    "{\"id\":\"x\",\"name\":\"X\",\"capacity\":2,\"childNodes\":[{\"id\":\"b\",\"name\":\"B\","
    "\"capacity\":1}]}");
  g_autoptr (JsonObject) root_dup = parse ("{\"id\":\"h\",\"name\":\"H\",\"capacity\":1}");
  g_autoptr (JsonObject) big = parse (
    "{\"id\":\"y\",\"name\":\"Y\",\"capacity\":2,\"childNodes\":[{\"id\":\"y1\",\"name\":\"Y\","
    "\"capacity\":1},{\"id\":\"y2\",\"name\":\"Y\",\"capacity\":1}]}");
  g_autoptr (GPtrArray) children = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;

  canopy_test_map_add (map, "h", "b", 1);
  g_assert_true (canopy_node_map_graft (map, "h", sub, 100, &error));
  g_assert_no_error (error);
  canopy_test_map_add (map, "h", "c", 1);
  g_assert_cmpstr (canopy_node_map_get_parent (map, "a1"), ==, "a");
  g_assert_cmpuint (canopy_node_map_get_size (map), ==, 5);

  /* The same root under the same parent: replaced in place. */
  g_assert_true (canopy_node_map_graft (map, "h", sub2, 100, &error));
  g_assert_no_error (error);
  g_assert_false (canopy_node_map_contains (map, "a1"));
  g_assert_cmpstr (canopy_node_map_get_parent (map, "a3"), ==, "a");
  g_assert_cmpstr (canopy_node_map_get_name (map, "a"), ==, "A again");
  children = canopy_node_map_get_children (map, "h");
  g_assert_cmpstr (g_ptr_array_index (children, 0), ==, "b");
  g_assert_cmpstr (g_ptr_array_index (children, 1), ==, "a");
  g_assert_cmpstr (g_ptr_array_index (children, 2), ==, "c");
  canopy_test_map_assert_consistent (map);

  before = canopy_test_map_string (map);
  /* An id that is elsewhere in the map. */
  g_assert_false (canopy_node_map_graft (map, "h", dup, 100, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_graft (map, "a", root_dup, 100, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  /* The same root under another parent is a duplicate, not a replacement. */
  g_assert_false (canopy_node_map_graft (map, "b", sub, 100, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  /* 6 nodes now; 3 more would make 9. */
  g_assert_false (canopy_node_map_graft (map, "h", big, 8, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (canopy_node_map_graft (map, "nobody", big, 100, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);
  canopy_test_map_assert_text (map, before);

  /* Replacing counts what goes as well as what comes: 6 - 3 + 2 nodes. */
  g_assert_true (canopy_node_map_graft (map, "h", sub, 5, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (canopy_node_map_get_size (map), ==, 5);
}

static void
test_graft_depth (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 3);
  g_autoptr (JsonObject) chain = chain_json (CANOPY_TREE_DEPTH_MAX - 2);
  g_autoptr (JsonObject) leaf = parse ("{\"id\":\"z\",\"name\":\"Z\",\"capacity\":1}");
  g_autoptr (GError) error = NULL;
  g_autofree char *last = g_strdup_printf ("c%d", CANOPY_TREE_DEPTH_MAX - 2);

  canopy_test_map_add (map, "h", "a", 1);
  /* Under a (depth 1) the chain reaches exactly the limit... */
  g_assert_true (canopy_node_map_graft (map, "a", chain, 10000, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (canopy_node_map_get_height (map), ==, CANOPY_TREE_DEPTH_MAX);
  /* ...and nothing goes below it. */
  g_assert_false (canopy_node_map_graft (map, last, leaf, 10000, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
}

/* Children of every node within its limit. */
static void
assert_within_limits (CanopyNodeMap *map,
                      guint          k1,
                      guint          k)
{
  g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);

  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    guint limit = i == 0 ? k1 : MIN (canopy_node_map_get_capacity (map, id), k);

    g_assert_cmpuint (canopy_node_map_get_n_children (map, id), <=, limit);
  }
}

static void
test_place (void)
{
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Host", 32);
  g_autoptr (GHashTable) pending = g_hash_table_new (g_str_hash, g_str_equal);
  char *parent;

  /* The root takes k1, whatever its capacity says. */
  parent = canopy_node_map_place (map, NULL, 2, 3, NULL);
  g_assert_cmpstr (parent, ==, "h");
  g_free (parent);
  canopy_test_map_add (map, "h", "a", 1); /* a takes only one child, below k */
  canopy_test_map_add (map, "h", "b", 8); /* b takes k = 3 */
  parent = canopy_node_map_place (map, NULL, 2, 3, NULL);
  g_assert_cmpstr (parent, ==, "a");
  g_free (parent);
  parent = canopy_node_map_place (map, NULL, 3, 3, NULL);
  g_assert_cmpstr (parent, ==, "h");
  g_free (parent);

  /* Shallowest first, then in order: a is full after one child. */
  canopy_test_map_add (map, "a", "a1", 3);
  parent = canopy_node_map_place (map, NULL, 2, 3, NULL);
  g_assert_cmpstr (parent, ==, "b");
  g_free (parent);

  /* Promised places count as taken. */
  g_hash_table_insert (pending, "b", GUINT_TO_POINTER (2));
  parent = canopy_node_map_place (map, pending, 2, 3, NULL);
  g_assert_cmpstr (parent, ==, "b");
  g_free (parent);
  g_hash_table_insert (pending, "b", GUINT_TO_POINTER (3));
  parent = canopy_node_map_place (map, pending, 2, 3, NULL);
  g_assert_cmpstr (parent, ==, "a1");
  g_free (parent);
  /* More promised than the limit (capacity shrank) is simply full. */
  g_hash_table_insert (pending, "b", GUINT_TO_POINTER (30));
  parent = canopy_node_map_place (map, pending, 2, 3, NULL);
  g_assert_cmpstr (parent, ==, "a1");
  g_free (parent);

  /* A node coming back with its subtree is never placed under itself. */
  parent = canopy_node_map_place (map, pending, 2, 3, "a");
  g_assert_null (parent);
  parent = canopy_node_map_place (map, pending, 2, 3, "a1");
  g_assert_null (parent);
  g_hash_table_remove (pending, "b");
  parent = canopy_node_map_place (map, pending, 2, 3, "b");
  g_assert_cmpstr (parent, ==, "a1");
  g_free (parent);
  parent = canopy_node_map_place (map, NULL, 2, 3, "h");
  g_assert_null (parent);

  /* Full: nobody takes children. */
  g_assert_true (canopy_node_map_set (map, "a1", "a1", 0, NULL));
  g_assert_true (canopy_node_map_set (map, "b", "b", 0, NULL));
  parent = canopy_node_map_place (map, NULL, 2, 3, NULL);
  g_assert_null (parent);
  parent = canopy_node_map_place (map, NULL, 2, 0, NULL);
  g_assert_null (parent);
}

static void
test_place_property (void)
{
  for (guint round = 0; round < 20; round++) {
    guint k1 = g_test_rand_int_range (1, 6);
    guint k = g_test_rand_int_range (1, 5);
    g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("root", "Host", k1);
    g_autoptr (GHashTable) pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    guint counter = 0;

    for (guint step = 0; step < 150; step++) {
      g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);
      g_autoptr (GError) error = NULL;
      char *parent;

      if (ids->len > 1 && g_test_rand_bit ()) {
        /* Someone re-joins with their subtree: place it anywhere but under itself. */
        const char *id = canopy_test_map_pick (ids, TRUE);

        parent = canopy_node_map_place (map, pending, k1, k, id);
        if (parent != NULL) {
          g_assert_false (canopy_node_map_is_ancestor (map, id, parent));
          g_assert_true (canopy_node_map_move (map, id, parent, &error));
          g_assert_no_error (error);
        }
      } else {
        g_autofree char *id = canopy_test_map_new_id (&counter);

        parent = canopy_node_map_place (map, pending, k1, k, NULL);
        if (parent != NULL) {
          g_assert_true (canopy_node_map_add (map, parent, id, id, g_test_rand_int_range (0, 6),
                                              &error));
          g_assert_no_error (error);
        } else {
          /* Full: every node is at its limit, counting promises. */
          for (guint i = 0; i < ids->len; i++) {
            const char *n = g_ptr_array_index (ids, i);
            guint limit = i == 0 ? k1 : MIN (canopy_node_map_get_capacity (map, n), k);

            g_assert_cmpuint (canopy_node_map_get_n_children (map, n) +
                                GPOINTER_TO_UINT (g_hash_table_lookup (pending, n)),
                              >=, limit);
          }
        }
      }
      /* Now and then a place is promised for a while. */
      if (parent != NULL && g_test_rand_int_range (0, 8) == 0) {
        g_hash_table_insert (pending, g_strdup (parent), GUINT_TO_POINTER (1));
      } else if (g_test_rand_int_range (0, 4) == 0) {
        g_hash_table_remove_all (pending);
      }
      g_free (parent);
      assert_within_limits (map, k1, k);
      canopy_test_map_assert_consistent (map);
    }
  }
}

static void
test_height_depth_property (void)
{
  guint counter = 0;

  for (guint round = 0; round < 50; round++) {
    g_autoptr (CanopyNodeMap) map = canopy_test_map_random (g_test_rand_int_range (0, 80),
                                                            &counter);

    for (guint i = 0; i < 20; i++) {
      canopy_test_map_mutate (map, &counter);
      canopy_test_map_assert_consistent (map);
    }
  }
}
int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node-map/new", test_new);
  g_test_add_func ("/node-map/build", test_build);
  g_test_add_func ("/node-map/errors", test_errors);
  g_test_add_func ("/node-map/json-round-trip", test_json_round_trip);
  g_test_add_func ("/node-map/json-invalid", test_json_invalid);
  g_test_add_func ("/node-map/json-depth", test_json_depth);
  g_test_add_func ("/node-map/copy", test_copy);
  g_test_add_func ("/node-map/graft", test_graft);
  g_test_add_func ("/node-map/graft-depth", test_graft_depth);
  g_test_add_func ("/node-map/place", test_place);
  g_test_add_func ("/node-map/place-property", test_place_property);
  g_test_add_func ("/node-map/height-depth-property", test_height_depth_property);
  return g_test_run ();
}
