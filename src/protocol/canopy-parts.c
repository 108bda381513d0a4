/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyParts"

#include "canopy-parts.h"

#include <string.h>

#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-limits.h"

/**
 * canopy_parts_split:
 * @text: a ctrl message as text, at most %CANOPY_CTRL_WHOLE_BYTES
 *
 * A message longer than %CANOPY_CTRL_PART_BYTES becomes `part` messages
 * `{"type":"part","n":N,"of":M,"data":"..."}`, each with at most that many bytes of @text, cut
 * on UTF-8 character boundaries, in order from n = 0.
 *
 * Returns: (transfer full) (element-type utf8): the texts to send: @text alone, or its parts
 */
GPtrArray *
canopy_parts_split (const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) cuts = NULL;
  gsize len = strlen (text);
  gsize pos = 0;

  if (len <= CANOPY_CTRL_PART_BYTES) {
    g_ptr_array_add (out, g_strdup (text));
    return out;
  }
  cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  while (pos < len) {
    gsize end = MIN (pos + CANOPY_CTRL_PART_BYTES, len);

    while (end < len && end > pos + 1 && (text[end] & 0xC0) == 0x80)
      end--;
    g_array_append_val (cuts, end);
    pos = end;
  }
  pos = 0;
  for (guint i = 0; i < cuts->len; i++) {
    gsize end = g_array_index (cuts, gsize, i);
    g_autofree char *data = g_strndup (text + pos, end - pos);
    g_autoptr (JsonObject) part = json_object_new ();

    json_object_set_string_member (part, "type", "part");
    json_object_set_int_member (part, "n", i);
    json_object_set_int_member (part, "of", cuts->len);
    json_object_set_string_member (part, "data", data);
    g_ptr_array_add (out, canopy_json_to_string (part));
    pos = end;
  }
  return out;
}

/**
 * canopy_parts_add:
 * @self: what came so far
 * @part: an untrusted `part` message
 * @error: return location for a #CanopyError
 *
 * Parts count only in order, from n = 0 (which starts over); anything else drops what came.
 *
 * Returns: (transfer full) (nullable): the whole message once @part was its last; %NULL
 *   before, and with @error set when @part does not fit
 */
char *
canopy_parts_add (CanopyParts  *self,
                  JsonObject   *part,
                  GError      **error)
{
  const char *data = NULL;
  gint64 n = 0, of = 0;

  if (!canopy_json_get_int (part, "n", 0, G_MAXINT32, TRUE, &n, error) ||
      !canopy_json_get_int (part, "of", 2, CANOPY_CTRL_WHOLE_BYTES, TRUE, &of, error) ||
      !canopy_json_get_string (part, "data", CANOPY_CTRL_PART_BYTES, TRUE, &data, error))
    goto reset;
  if (n >= of || (n > 0 && (self->text == NULL || (guint) n != self->next || (guint) of != self->of))) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "Part %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " out of order", n, of);
    goto reset;
  }
  if (n == 0) {
    canopy_parts_clear (self);
    self->text = g_string_new (NULL);
    self->of = (guint) of;
  }
  if (self->text->len + strlen (data) > CANOPY_CTRL_WHOLE_BYTES) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE, "A message in parts is too long");
    goto reset;
  }
  g_string_append (self->text, data);
  self->next = (guint) n + 1;
  if (self->next < self->of)
    return NULL;
  {
    char *whole = g_string_free (g_steal_pointer (&self->text), FALSE);

    canopy_parts_clear (self);
    return whole;
  }

reset:
  canopy_parts_clear (self);
  return NULL;
}

void
canopy_parts_clear (CanopyParts *self)
{
  if (self->text != NULL)
    g_string_free (self->text, TRUE);
  self->text = NULL;
  self->next = self->of = 0;
}
