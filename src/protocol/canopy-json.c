/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyJson"

#include "canopy-json.h"

#include <math.h>
#include <string.h>

/* The value of the 4 hex digits at @data[@at], or -1. */
static int
hex4 (const char *data,
      gsize       len,
      gsize       at)
{
  int value = 0;

  if (at + 4 > len)
    return -1;
  for (gsize i = at; i < at + 4; i++) {
    int digit = g_ascii_xdigit_value (data[i]);

    if (digit < 0)
      return -1;
    value = value * 16 + digit;
  }
  return value;
}

/* Whether the escape at @data[*@at] (a backslash) is one of JSON's: json-glib also takes
 * others, such as octal ones ("\375") that make any byte. A "\u" has 4 hex digits (json-glib
 * also takes fewer, and then swallows the character after them), and is not half of a UTF-16
 * surrogate pair unless the other half follows. Moves *@at to the last character it checked. */
static gboolean
check_escape (const char *data,
              gsize       len,
              gsize      *at)
{
  gsize i = *at;
  int high;
  int low;

  *at = i + 1;
  if (i + 1 >= len)
    return TRUE;
  if (data[i + 1] != 'u')
    return data[i + 1] != '\0' && strchr ("\"\\/bfnrt", data[i + 1]) != NULL;
  high = hex4 (data, len, i + 2);
  *at = i + 5;
  if (high < 0 || (high >= 0xDC00 && high <= 0xDFFF))
    return FALSE;
  if (high < 0xD800 || high > 0xDBFF)
    return TRUE;
  if (i + 7 >= len || data[i + 6] != '\\' || data[i + 7] != 'u')
    return FALSE;
  low = hex4 (data, len, i + 8);
  *at = i + 11;
  return low >= 0xDC00 && low <= 0xDFFF;
}

/* Rejects, before json-glib sees the text, what it must not get. Nesting deeper than
 * CANOPY_JSON_DEPTH_MAX: its parser recurses. An object or array that is not the whole message:
 * json-glib 1.6 reads "{}{}" or "1 {}" as their first value and leaks every value after it,
 * and it takes JavaScript ("var a = {};"). A "\u" escape of half a surrogate pair that is not
 * followed by the other half (or json-glib's reading of a short one, "\ud8", as such a half):
 * it leaks the string read so far. Either leak lets a peer make us grow without end. */
static gboolean
check_shape (const char *data,
             gsize       len,
             GError    **error)
{
  int depth = 0;
  gboolean in_string = FALSE;
  gboolean started = FALSE;
  gboolean ended = FALSE;

  for (gsize i = 0; i < len; i++) {
    char c = data[i];

    if (in_string) {
      if (c == '\\' && !check_escape (data, len, &i)) {
        g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                             "Message holds an escape that is not JSON");
        return FALSE;
      } else if (c == '"') {
        in_string = FALSE;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    /* Outside strings JSON has only its punctuation, numbers and true, false and null; json-glib's
     * scanner also takes comments, quotes and names, and leaks what it built when they leave it
     * lost ("')}\"\"'{}{"). */
    if (strchr ("{}[]:,\"-+.0123456789eEtrufalsn", c) == NULL) {
      g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                           "Message holds a character that is not JSON");
      return FALSE;
    }
    if (ended || (depth == 0 && started && (c == '[' || c == '{'))) {
      g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                           "Message is not one JSON value");
      return FALSE;
    }
    started = TRUE;
    if (c == '"')
      in_string = TRUE;
    else if (c == '[' || c == '{') {
      if (++depth > CANOPY_JSON_DEPTH_MAX) {
        g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                     "Message nests deeper than %d levels", CANOPY_JSON_DEPTH_MAX);
        return FALSE;
      }
    } else if (c == ']' || c == '}') {
      if (--depth < 0) {
        g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                             "Message closes a bracket it never opened");
        return FALSE;
      }
      if (depth == 0)
        ended = TRUE;
    }
  }
  return TRUE;
}

/* Why what json-glib made of text check_shape() let through is still unfit, or NULL: a string
 * that is not UTF-8 (check_shape() refuses the lone surrogates it would decode into such bytes),
 * or a number beyond a double, which it reads as infinity and would write back as "inf", which
 * is not JSON (the server passes `signal` data on as it came). */
static const char *
node_flaw (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node)) {
  case JSON_NODE_OBJECT: {
    JsonObjectIter iter;
    const char *name;
    const char *flaw;
    JsonNode *member;

    json_object_iter_init (&iter, json_node_get_object (node));
    while (json_object_iter_next (&iter, &name, &member)) {
      if (!g_utf8_validate (name, -1, NULL))
        return "Message holds a name that is not valid UTF-8";
      if ((flaw = node_flaw (member)) != NULL)
        return flaw;
    }
    return NULL;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *array = json_node_get_array (node);
    const char *flaw;

    for (guint i = 0; i < json_array_get_length (array); i++)
      if ((flaw = node_flaw (json_array_get_element (array, i))) != NULL)
        return flaw;
    return NULL;
  }
  case JSON_NODE_VALUE:
    if (json_node_get_value_type (node) == G_TYPE_STRING &&
        !g_utf8_validate (json_node_get_string (node), -1, NULL))
      return "Message holds a string that is not valid UTF-8";
    if (json_node_get_value_type (node) == G_TYPE_DOUBLE && !isfinite (json_node_get_double (node)))
      return "Message holds a number beyond the range of a double";
    return NULL;
  case JSON_NODE_NULL:
  default:
    return NULL;
  }
}

/**
 * canopy_json_parse_object:
 * @data: text received from the network
 * @len: its length, or -1 when NUL-terminated
 * @max_len: the largest length accepted
 * @error: return location for a #CanopyError
 *
 * Parses untrusted text that must hold one JSON object.
 *
 * Returns: (transfer full): the object, or %NULL with @error set
 */
JsonObject *
canopy_json_parse_object (const char  *data,
                          gssize       len,
                          gsize        max_len,
                          GError     **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *flaw;
  JsonNode *root;
  gsize n;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  n = len < 0 ? strlen (data) : (gsize) len;
  if (n > max_len) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "Message of %" G_GSIZE_FORMAT " bytes is over the limit of %" G_GSIZE_FORMAT,
                 n, max_len);
    return NULL;
  }
  if (!g_utf8_validate (data, n, NULL)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                         "Message is not valid UTF-8");
    return NULL;
  }
  if (!check_shape (data, n, error))
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) n, &local_error)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON,
                 "Message is not JSON: %s", local_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root != NULL && (flaw = node_flaw (root)) != NULL) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MALFORMED_JSON, flaw);
    return NULL;
  }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "Message is not a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

/**
 * canopy_json_to_string:
 * @object: an object
 *
 * Returns: (transfer full): compact JSON text for @object
 */
char *
canopy_json_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

static JsonNode *
get_member (JsonObject *object,
            const char *member,
            gboolean    required,
            GError    **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
    if (required)
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                   "Member \"%s\" is missing", member);
    return NULL;
  }
  return node;
}

static gboolean
wrong_type (const char *member,
            const char *expected,
            GError    **error)
{
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
               "Member \"%s\" must be %s", member, expected);
  return FALSE;
}

/**
 * canopy_json_get_type:
 * @object: a message
 * @error: return location for a #CanopyError
 *
 * Returns: (transfer none): the message's "type" member, or %NULL with @error set
 */
const char *
canopy_json_get_type (JsonObject *object,
                      GError    **error)
{
  const char *type = NULL;

  if (!canopy_json_get_string (object, "type", 32, TRUE, &type, error))
    return NULL;
  return type;
}

/**
 * canopy_json_get_string:
 * @object: an untrusted object
 * @member: the member's name
 * @max_chars: the most characters (not bytes) accepted
 * @required: whether a missing or null member is an error
 * @out: (out) (transfer none): the string, left alone when absent
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when the member is missing but required, not a
 *   string, or too long
 */
gboolean
canopy_json_get_string (JsonObject  *object,
                        const char  *member,
                        gsize        max_chars,
                        gboolean     required,
                        const char **out,
                        GError     **error)
{
  JsonNode *node = get_member (object, member, required, error);
  const char *s;

  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (member, "a string", error);
  s = json_node_get_string (node);
  /* Cheap byte check first: a string of max_chars characters has at most 4 bytes each. */
  if (strlen (s) > max_chars * 4 || g_utf8_strlen (s, -1) > (glong) max_chars) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "Member \"%s\" is longer than %" G_GSIZE_FORMAT " characters", member, max_chars);
    return FALSE;
  }
  *out = s;
  return TRUE;
}

/**
 * canopy_json_get_int:
 * @object: an untrusted object
 * @member: the member's name
 * @min: the smallest value accepted
 * @max: the largest value accepted
 * @required: whether a missing member is an error
 * @out: (out): the value, left alone when absent
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when missing but required, not an integer, or out of range
 */
gboolean
canopy_json_get_int (JsonObject *object,
                     const char *member,
                     gint64      min,
                     gint64      max,
                     gboolean    required,
                     gint64     *out,
                     GError    **error)
{
  JsonNode *node = get_member (object, member, required, error);
  gint64 v;

  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (member, "an integer", error);
  v = json_node_get_int (node);
  if (v < min || v > max) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "Member \"%s\" must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                 member, min, max);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/**
 * canopy_json_get_bool:
 * @object: an untrusted object
 * @member: the member's name
 * @required: whether a missing member is an error
 * @out: (out): the value, left alone when absent
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when missing but required, or not a boolean
 */
gboolean
canopy_json_get_bool (JsonObject *object,
                      const char *member,
                      gboolean    required,
                      gboolean   *out,
                      GError    **error)
{
  JsonNode *node = get_member (object, member, required, error);

  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (member, "true or false", error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

/**
 * canopy_json_get_object:
 * @object: an untrusted object
 * @member: the member's name
 * @required: whether a missing member is an error
 * @out: (out) (transfer none): the member, left alone when absent
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when missing but required, or not an object
 */
gboolean
canopy_json_get_object (JsonObject  *object,
                        const char  *member,
                        gboolean     required,
                        JsonObject **out,
                        GError     **error)
{
  JsonNode *node = get_member (object, member, required, error);

  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (member, "an object", error);
  *out = json_node_get_object (node);
  return TRUE;
}

/**
 * canopy_json_get_array:
 * @object: an untrusted object
 * @member: the member's name
 * @max_len: the most elements accepted
 * @required: whether a missing member is an error
 * @out: (out) (transfer none): the member, left alone when absent
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when missing but required, not an array, or too long
 */
gboolean
canopy_json_get_array (JsonObject *object,
                       const char *member,
                       guint       max_len,
                       gboolean    required,
                       JsonArray **out,
                       GError    **error)
{
  JsonNode *node = get_member (object, member, required, error);
  JsonArray *array;

  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (member, "an array", error);
  array = json_node_get_array (node);
  if (json_array_get_length (array) > max_len) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "Member \"%s\" has more than %u elements", member, max_len);
    return FALSE;
  }
  *out = array;
  return TRUE;
}

/**
 * canopy_json_error_new:
 * @error: a #CanopyError (other domains are sent as "failed")
 * @ref: (nullable): the type of the message that caused it
 *
 * Returns: (transfer full): `{"type":"error","code":...,"message":...,"ref":...}`
 */
JsonObject *
canopy_json_error_new (const GError *error,
                       const char   *ref)
{
  JsonObject *o = json_object_new ();
  g_autofree char *message = g_utf8_make_valid (error->message, -1);
  CanopyError code = CANOPY_ERROR_FAILED;

  if (error->domain == CANOPY_ERROR)
    code = (CanopyError) error->code;
  json_object_set_string_member (o, "type", "error");
  json_object_set_string_member (o, "code", canopy_error_code_to_string (code));
  /* libsoup sends no text that is not UTF-8, and json-glib's errors may quote any byte. */
  json_object_set_string_member (o, "message", message);
  if (ref != NULL)
    json_object_set_string_member (o, "ref", ref);
  return o;
}
