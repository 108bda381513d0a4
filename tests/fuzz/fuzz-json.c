/* SPDX-License-Identifier: GPL-3.0-or-later */

/* canopy_json_parse_object() with its limits, then every typed getter on every member, down to
 * a few levels: the one way every message from the network enters. The input is one message,
 * as a WebSocket frame or a data-channel message brings it. What parses must survive a round
 * trip through canopy_json_to_string(), as the server relays objects it parsed (`signal`). */

#include "canopy-json.h"
#include "canopy-fuzz.h"

#include <string.h>

#define MAX_LEN (256 * 1024)
#define WALK_DEPTH 4

static void
check_member (JsonObject *object,
              const char *member,
              guint       depth)
{
  const char *string = NULL;
  gint64 number = 0;
  gboolean flag = FALSE;
  JsonObject *child = NULL;
  JsonArray *array = NULL;

  /* Each getter, required or not, with a limit the member may or may not meet. */
  for (int required = 0; required <= 1; required++) {
    g_autoptr (GError) e1 = NULL;
    g_autoptr (GError) e2 = NULL;
    g_autoptr (GError) e3 = NULL;
    g_autoptr (GError) e4 = NULL;
    g_autoptr (GError) e5 = NULL;
    g_autoptr (GError) e6 = NULL;

    if (canopy_json_get_string (object, member, 8, required, &string, &e1) && string != NULL)
      g_assert (g_utf8_strlen (string, -1) <= 8);
    canopy_json_get_string (object, member, CANOPY_CHAT_TEXT_CHARS, required, &string, &e2);
    if (canopy_json_get_int (object, member, -5, 40, required, &number, &e3))
      g_assert (number >= -5 && number <= 40);
    canopy_json_get_bool (object, member, required, &flag, &e4);
    canopy_json_get_object (object, member, required, &child, &e5);
    if (canopy_json_get_array (object, member, 3, required, &array, &e6) && array != NULL)
      g_assert (json_array_get_length (array) <= 3);
    /* Every refusal is one a peer can be told about. */
    if (e1 != NULL) {
      g_autoptr (JsonObject) reply = canopy_json_error_new (e1, member);
      g_autofree char *text = canopy_json_to_string (reply);
      g_autoptr (JsonObject) back = canopy_json_parse_object (text, -1, G_MAXSIZE, NULL);

      g_assert (back != NULL);
    }
  }
  if (string != NULL) {
    g_autofree char *room = canopy_room_id_normalize (string);

    canopy_text_is_id (string, CANOPY_PEER_ID_CHARS);
    if (room != NULL)
      g_assert (strlen (room) == CANOPY_ROOM_ID_CHARS);
  }
  if (depth >= WALK_DEPTH)
    return;
  if (child != NULL) {
    g_autoptr (GList) names = json_object_get_members (child);

    for (GList *l = names; l != NULL; l = l->next)
      check_member (child, l->data, depth + 1);
  }
}

static gboolean
holds_double (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    g_autoptr (GList) members = json_object_get_values (json_node_get_object (node));

    for (GList *l = members; l != NULL; l = l->next)
      if (holds_double (l->data))
        return TRUE;
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      if (holds_double (json_array_get_element (array, i)))
        return TRUE;
  } else if (JSON_NODE_HOLDS_VALUE (node)) {
    return json_node_get_value_type (node) == G_TYPE_DOUBLE;
  }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) type_error = NULL;
  g_autoptr (GError) again_error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (GList) names = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *terminated = g_strndup ((const char *) data, size);
  const char *type;

  /* libFuzzer's buffer is exactly @size bytes: a read past the length is caught. */
  object = canopy_json_parse_object ((const char *) data, (gssize) size, MAX_LEN, &error);
  if (object == NULL) {
    g_assert (error != NULL && error->domain == CANOPY_ERROR);
    return 0;
  }
  root = json_node_init_object (json_node_alloc (), object);
  /* NUL-terminated (-1), the same text unless it holds a NUL. */
  if (strlen (terminated) == size) {
    g_autoptr (JsonObject) same = canopy_json_parse_object (terminated, -1, MAX_LEN, NULL);

    g_assert (same != NULL);
  }

  type = canopy_json_get_type (object, &type_error);
  g_assert ((type == NULL) == (type_error != NULL));
  names = json_object_get_members (object);
  for (GList *l = names; l != NULL; l = l->next)
    check_member (object, l->data, 0);

  /* json-glib 1.6 writes some doubles as text that is not JSON ("1e+22.0"): known, and
   * harmless as long as no message needs a number that is not an integer. */
  text = canopy_json_to_string (object);
  again = canopy_json_parse_object (text, -1, G_MAXSIZE, &again_error);
  if (again == NULL && !holds_double (root))
    g_error ("Parsed, but its JSON text does not parse again: %s\n%s", again_error->message,
             text);
  return 0;
}
