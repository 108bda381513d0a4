/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-json.h"
#include "canopy-text.h"

#include <string.h>

static void
test_parse_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) o = canopy_json_parse_object ("{\"type\":\"ping\",\"n\":3}", -1, 1024,
                                                       &error);
  const char *type;
  gint64 n = 0;

  g_assert_no_error (error);
  g_assert_nonnull (o);
  type = canopy_json_get_type (o, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (type, ==, "ping");
  g_assert_true (canopy_json_get_int (o, "n", 0, 10, TRUE, &n, &error));
  g_assert_cmpint (n, ==, 3);

  /* A surrogate pair is one character. */
  g_clear_pointer (&o, json_object_unref);
  o = canopy_json_parse_object ("{\"type\":\"\\ud83d\\ude00\\\\u\\\"\"}", -1, 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (canopy_json_get_type (o, NULL), ==, "\xf0\x9f\x98\x80\\u\"");

  /* Whitespace around the one value is fine. */
  g_clear_pointer (&o, json_object_unref);
  o = canopy_json_parse_object (" \r\n{\"type\":\"ping\"}\n\t ", -1, 1024, &error);
  g_assert_no_error (error);
  g_assert_nonnull (o);
}

static void
test_parse_invalid (void)
{
  struct {
    const char *text;
    CanopyError code;
  } cases[] = {
    { "not json", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"type\":", CANOPY_ERROR_MALFORMED_JSON },
    { "[1,2,3]", CANOPY_ERROR_BAD_MESSAGE },
    { "\"just a string\"", CANOPY_ERROR_BAD_MESSAGE },
    { "{\"a\":\"\xff\xfe\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"\\udc00\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"\\ud800\":1}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"\\ud83d\\u0041\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"xyz\\ud83d\\u12\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"\\ud83d\\ud83d\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"\\ud83dx\"}", CANOPY_ERROR_MALFORMED_JSON },
    /* A short \u escape: json-glib reads "\ud8\\" as half a pair, then leaks. */
    { "\"\\ud8\\\\u", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"\\u00e\"}", CANOPY_ERROR_MALFORMED_JSON },
    /* json-glib's own escapes: "\375" would be a byte that is not UTF-8. */
    { "{\"a\":\"\\375\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":\"\\q\"}", CANOPY_ERROR_MALFORMED_JSON },
    /* json-glib reads it as infinity, and would write "inf". */
    { "{\"a\":[1e400]}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":-1e400}", CANOPY_ERROR_MALFORMED_JSON },
    /* json-glib would take the first value and leak the others. */
    { "{}{}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"type\":\"ping\"} [{\"a\":1}]", CANOPY_ERROR_MALFORMED_JSON },
    { "1 {\"type\":\"ping\"}", CANOPY_ERROR_MALFORMED_JSON },
    { "var a = {\"type\":\"ping\"};", CANOPY_ERROR_MALFORMED_JSON },
    /* What json-glib's scanner takes beyond JSON: quotes, comments, names; it leaked on the
     * first (found by fuzz-json). */
    { "')}\"\"'{}{", CANOPY_ERROR_MALFORMED_JSON },
    { "{'type':'ping'}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"type\":\"ping\" /* hi */}", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"type\":\"ping\"} // hi", CANOPY_ERROR_MALFORMED_JSON },
    { "{\"a\":NaN}", CANOPY_ERROR_MALFORMED_JSON },
    { "}{\"type\":\"ping\"}", CANOPY_ERROR_MALFORMED_JSON },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) o = canopy_json_parse_object (cases[i].text, -1, 1024, &error);

    g_assert_null (o);
    g_assert_error (error, CANOPY_ERROR, (gint) cases[i].code);
  }
}

static void
test_parse_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) deep = g_string_new ("{\"a\":");
  g_autoptr (JsonObject) o = NULL;
  g_autoptr (JsonObject) big = NULL;
  g_autofree char *long_text = g_strnfill (2000, 'x');
  g_autofree char *msg = g_strdup_printf ("{\"a\":\"%s\"}", long_text);

  big = canopy_json_parse_object (msg, -1, 100, &error);
  g_assert_null (big);
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);

  for (int i = 0; i < CANOPY_JSON_DEPTH_MAX + 1; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < CANOPY_JSON_DEPTH_MAX + 1; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  o = canopy_json_parse_object (deep->str, -1, 1 << 20, &error);
  g_assert_null (o);
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON);
}

static void
test_getters (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) o = canopy_json_parse_object (
    "{\"s\":\"héllo\",\"i\":7,\"f\":1.5,\"b\":true,\"o\":{},\"a\":[1,2,3],\"n\":null}", -1, 1024,
    &error);
  const char *s = NULL;
  gint64 i = 0;
  gboolean b = FALSE;
  JsonObject *obj = NULL;
  JsonArray *arr = NULL;

  g_assert_no_error (error);
  g_assert_true (canopy_json_get_string (o, "s", 5, TRUE, &s, &error));
  g_assert_cmpstr (s, ==, "héllo");
  g_assert_false (canopy_json_get_string (o, "s", 4, TRUE, &s, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (canopy_json_get_string (o, "i", 5, TRUE, &s, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  g_assert_true (canopy_json_get_int (o, "i", 0, 7, TRUE, &i, &error));
  g_assert_cmpint (i, ==, 7);
  g_assert_false (canopy_json_get_int (o, "i", 0, 6, TRUE, &i, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_false (canopy_json_get_int (o, "f", 0, 6, TRUE, &i, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  g_assert_true (canopy_json_get_bool (o, "b", TRUE, &b, &error));
  g_assert_true (b);
  g_assert_true (canopy_json_get_object (o, "o", TRUE, &obj, &error));
  g_assert_nonnull (obj);
  g_assert_true (canopy_json_get_array (o, "a", 3, TRUE, &arr, &error));
  g_assert_cmpuint (json_array_get_length (arr), ==, 3);
  g_assert_false (canopy_json_get_array (o, "a", 2, TRUE, &arr, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* Absent or null members: fine when optional, an error when required. */
  s = "unchanged";
  g_assert_true (canopy_json_get_string (o, "n", 5, FALSE, &s, &error));
  g_assert_cmpstr (s, ==, "unchanged");
  g_assert_false (canopy_json_get_string (o, "missing", 5, TRUE, &s, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
}

static void
test_error_object (void)
{
  g_autoptr (GError) error = g_error_new_literal (CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_ROOM, "No room");
  g_autoptr (JsonObject) o = canopy_json_error_new (error, "join");

  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (o, "code"), ==, "unknown-room");
  g_assert_cmpstr (json_object_get_string_member (o, "ref"), ==, "join");
  g_assert_cmpint (canopy_error_code_from_string ("unknown-room"), ==, CANOPY_ERROR_UNKNOWN_ROOM);
}

/* json-glib's errors may quote a byte that is not UTF-8; libsoup would send no such text. */
static void
test_error_object_utf8 (void)
{
  g_autoptr (GError) error = g_error_new_literal (CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                                                  "unexpected \xfd");
  g_autoptr (JsonObject) o = canopy_json_error_new (error, NULL);

  g_assert_true (g_utf8_validate (json_object_get_string_member (o, "message"), -1, NULL));
}

static void
test_sanitize (void)
{
  g_autofree char *a = canopy_text_sanitize ("hi\x01 there\nnew\x1b[31mline");
  g_autofree char *b = canopy_text_sanitize ("evil \xe2\x80\xae" "txt.exe");
  g_autofree char *c = canopy_text_sanitize ("bad \xff utf8");

  g_assert_cmpstr (a, ==, "hi there new[31mline");
  g_assert_cmpstr (b, ==, "evil txt.exe");
  g_assert_true (g_utf8_validate (c, -1, NULL));
  g_assert_true (canopy_text_is_id ("p2x7kq9mzab", 32));
  g_assert_false (canopy_text_is_id ("", 32));
  g_assert_false (canopy_text_is_id ("a b", 32));
  g_assert_false (canopy_text_is_id ("<script>", 32));
  g_assert_false (canopy_text_is_id ("abcdef", 5));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/parse-valid", test_parse_valid);
  g_test_add_func ("/json/parse-invalid", test_parse_invalid);
  g_test_add_func ("/json/parse-limits", test_parse_limits);
  g_test_add_func ("/json/getters", test_getters);
  g_test_add_func ("/json/error-object", test_error_object);
  g_test_add_func ("/json/error-object-utf8", test_error_object_utf8);
  g_test_add_func ("/json/sanitize", test_sanitize);
  return g_test_run ();
}
