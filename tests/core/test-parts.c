/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Long ctrl messages in parts: cut on character boundaries within the part limit, put together
 * again byte for byte, and parts out of order, too many or too long refused. */
#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-limits.h"
#include "canopy-parts.h"

#include <string.h>

/* A map-like message of @n nodes whose names are several-byte characters. */
static char *
long_message (guint n)
{
  g_autoptr (GString) text = g_string_new ("{\"type\":\"map\",\"version\":3,\"names\":[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s\"n%u \xe6\x9c\xa8\xf0\x9f\x8c\xb3 \\\"q\\\"\"", i ? "," : "", i);
  g_string_append (text, "]}");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
put_together (GPtrArray *texts)
{
  CanopyParts parts = { 0 };
  char *whole = NULL;

  for (guint i = 0; i < texts->len; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) part = canopy_json_parse_object (g_ptr_array_index (texts, i), -1,
                                                            CANOPY_CTRL_BYTES, &error);

    g_assert_no_error (error);
    g_assert_null (whole);
    whole = canopy_parts_add (&parts, part, &error);
    g_assert_no_error (error);
  }
  canopy_parts_clear (&parts);
  return whole;
}

static void
test_round_trip (void)
{
  g_autofree char *text = long_message (40000);
  g_autoptr (GPtrArray) texts = canopy_parts_split (text, 64 * 1024);
  g_autofree char *whole = NULL;

  g_test_message ("%zu bytes in %u parts", strlen (text), texts->len);
  g_assert_cmpuint (texts->len, >, 30);
  for (guint i = 0; i < texts->len; i++) {
    /* Each within what every WebRTC data channel delivers. */
    g_assert_cmpuint (strlen (g_ptr_array_index (texts, i)), <, 64 * 1024);
    g_assert_true (g_utf8_validate (g_ptr_array_index (texts, i), -1, NULL));
  }
  whole = put_together (texts);
  g_assert_cmpstr (whole, ==, text);
}

/* A far side that declares a small a=max-message-size still gets every message, in parts that
 * fit, whatever the escaping costs: a text of quotes doubles when it travels as "data". */
static void
test_remote_limit (void)
{
  g_autofree char *text = long_message (3000);
  g_autoptr (GString) quotes = g_string_new ("{\"type\":\"x\",\"q\":\"");
  const gsize limits[] = { 65536, 16384, 1000, 300 };

  for (guint i = 0; i < 30000; i++)
    g_string_append (quotes, "\\\"");
  g_string_append (quotes, "\"}");
  for (guint l = 0; l < G_N_ELEMENTS (limits); l++) {
    const char *inputs[] = { text, quotes->str };

    for (guint k = 0; k < G_N_ELEMENTS (inputs); k++) {
      g_autoptr (GPtrArray) texts = canopy_parts_split (inputs[k], limits[l]);
      g_autofree char *whole = NULL;

      for (guint i = 0; i < texts->len; i++) {
        g_assert_cmpuint (strlen (g_ptr_array_index (texts, i)), <=, limits[l]);
        g_assert_true (g_utf8_validate (g_ptr_array_index (texts, i), -1, NULL));
      }
      whole = texts->len == 1 ? g_strdup (g_ptr_array_index (texts, 0)) : put_together (texts);
      g_assert_cmpstr (whole, ==, inputs[k]);
    }
  }
  /* Short, but longer than the far side takes: in parts too. */
  {
    g_autoptr (GPtrArray) texts = canopy_parts_split ("{\"type\":\"map-sync\",\"pad\":\"....."
                                                      "....................................."
                                                      "..............................\"}", 80);
    g_autofree char *whole = put_together (texts);

    g_assert_cmpuint (texts->len, >, 1);
    g_assert_nonnull (whole);
  }
}

static void
test_short_is_whole (void)
{
  g_autoptr (GPtrArray) texts = canopy_parts_split ("{\"type\":\"map-sync\"}", 64 * 1024);

  g_assert_cmpuint (texts->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (texts, 0), ==, "{\"type\":\"map-sync\"}");
}

static char *
add_text (CanopyParts *parts,
          const char  *text,
          GError     **error)
{
  g_autoptr (JsonObject) part = canopy_json_parse_object (text, -1, CANOPY_CTRL_BYTES, NULL);

  g_assert_nonnull (part);
  return canopy_parts_add (parts, part, error);
}

static void
test_refused (void)
{
  CanopyParts parts = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_strnfill (CANOPY_CTRL_PART_BYTES + 1, 'x');
  g_autofree char *too_long = g_strdup_printf ("{\"type\":\"part\",\"n\":0,\"of\":2,\"data\":\"%s\"}",
                                               big);
  char *whole;

  /* Out of order: 1 before 0, 0 then 2, a different count. */
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":1,\"of\":2,\"data\":\"b\"}", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":0,\"of\":3,\"data\":\"a\"}", &error));
  g_assert_no_error (error);
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":2,\"of\":3,\"data\":\"c\"}", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":0,\"of\":3,\"data\":\"a\"}", &error));
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":1,\"of\":4,\"data\":\"b\"}", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  /* One part alone is no message; n past of; a part over the limit. */
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":0,\"of\":1,\"data\":\"a\"}", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":5,\"of\":2,\"data\":\"a\"}", &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_assert_null (add_text (&parts, too_long, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* More than the whole limit, however it is cut. */
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":0,\"of\":1000,\"data\":\"a\"}", &error));
  for (guint i = 1; i < 1000 && error == NULL; i++) {
    g_autofree char *text = g_strdup_printf ("{\"type\":\"part\",\"n\":%u,\"of\":1000,\"data\":\"%s\"}",
                                             i, big + 1);

    g_assert_null (add_text (&parts, text, &error));
  }
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* After all that, a good one. */
  g_assert_null (add_text (&parts, "{\"type\":\"part\",\"n\":0,\"of\":2,\"data\":\"{\\\"type\\\"\"}", &error));
  whole = add_text (&parts, "{\"type\":\"part\",\"n\":1,\"of\":2,\"data\":\":1}\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (whole, ==, "{\"type\":1}");
  g_free (whole);
  canopy_parts_clear (&parts);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/parts/round-trip", test_round_trip);
  g_test_add_func ("/parts/short-is-whole", test_short_is_whole);
  g_test_add_func ("/parts/remote-limit", test_remote_limit);
  g_test_add_func ("/parts/refused", test_refused);
  return g_test_run ();
}
