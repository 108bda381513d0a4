/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyParts"

#include "canopy-parts.h"

#include <string.h>

#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-limits.h"

static char *
part_text (const char *text,
           gsize       pos,
           gsize       end,
           guint       n,
           gsize       of)
{
  g_autofree char *data = g_strndup (text + pos, end - pos);
  g_autoptr (JsonObject) part = json_object_new ();

  json_object_set_string_member (part, "type", "part");
  json_object_set_int_member (part, "n", n);
  json_object_set_int_member (part, "of", (gint64) of);
  json_object_set_string_member (part, "data", data);
  return canopy_json_to_string (part);
}

/* Back from @end to the start of a UTF-8 character; forward to the next one when that would
 * leave nothing after @pos. */
static gsize
char_boundary (const char *text,
               gsize       pos,
               gsize       end,
               gsize       len)
{
  gsize back = end;

  while (back < len && back > pos + 1 && (text[back] & 0xC0) == 0x80)
    back--;
  if (back >= len || (text[back] & 0xC0) != 0x80)
    return back;
  while (end < len && (text[end] & 0xC0) == 0x80)
    end++;
  return end;
}

/**
 * canopy_parts_split:
 * @text: a ctrl message as text, at most %CANOPY_CTRL_WHOLE_BYTES
 * @max_bytes: the longest message the far side takes (its SDP's `a=max-message-size`, 64 KiB
 *   when it declares none)
 *
 * A message longer than %CANOPY_CTRL_PART_BYTES or @max_bytes becomes `part` messages
 * `{"type":"part","n":N,"of":M,"data":"..."}`, each with at most %CANOPY_CTRL_PART_BYTES bytes
 * of @text, cut on UTF-8 character boundaries, in order from n = 0, and each at most
 * @max_bytes long as sent: JSON escaping can double a part's length, so a part is made shorter
 * until it fits (down to one character, for a far side that takes almost nothing).
 *
 * Returns: (transfer full) (element-type utf8): the texts to send: @text alone, or its parts
 */
GPtrArray *
canopy_parts_split (const char *text,
                    gsize       max_bytes)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) cuts = NULL;
  gsize len = strlen (text);
  gsize pos = 0;

  if (len <= CANOPY_CTRL_PART_BYTES && len <= max_bytes) {
    g_ptr_array_add (out, g_strdup (text));
    return out;
  }
  cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  while (pos < len) {
    gsize end = char_boundary (text, pos, MIN (pos + CANOPY_CTRL_PART_BYTES, len), len);

    /* Measured with "of" as long as it can get (len >= the number of parts): the real
     * text is never longer. */
    for (;;) {
      g_autofree char *measured = part_text (text, pos, end, G_MAXINT32, len);

      if (strlen (measured) <= max_bytes || end - pos <= 1)
        break;
      end = char_boundary (text, pos, pos + MAX ((end - pos) / 2, 1), len);
    }
    g_array_append_val (cuts, end);
    pos = end;
  }
  pos = 0;
  for (guint i = 0; i < cuts->len; i++) {
    gsize end = g_array_index (cuts, gsize, i);

    g_ptr_array_add (out, part_text (text, pos, end, i, cuts->len));
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
