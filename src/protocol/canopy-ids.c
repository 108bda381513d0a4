/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyIds"

#include "canopy-ids.h"

#include <string.h>

#include "canopy-limits.h"

/* Ids as they travel (peer ids, secrets) and as people type them (room IDs). */

/**
 * canopy_text_is_id:
 * @text: (nullable): untrusted text
 * @max_len: the longest id accepted
 *
 * Returns: whether @text is a non-empty id of ASCII letters, digits, '-' and '_'
 */
gboolean
canopy_text_is_id (const char *text,
                   gsize       max_len)
{
  gsize n = 0;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p; p++, n++) {
    if (n >= max_len)
      return FALSE;
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  }
  return TRUE;
}

/**
 * canopy_room_id_normalize:
 * @text: (nullable): a room ID as a person typed or pasted it
 *
 * Accepts upper case, spaces and dashes ("K7M2-Q9XA"), as room IDs are read aloud and typed.
 *
 * Returns: (transfer full) (nullable): the 8-character lower-case room ID, or %NULL when @text
 *   is not one
 */
char *
canopy_room_id_normalize (const char *text)
{
  char id[CANOPY_ROOM_ID_CHARS + 1];
  gsize n = 0;

  if (text == NULL)
    return NULL;
  for (const char *p = text; *p; p++) {
    char c = g_ascii_tolower (*p);

    if (c == '-' || g_ascii_isspace (c))
      continue;
    if (n == CANOPY_ROOM_ID_CHARS || strchr (CANOPY_ID_ALPHABET, c) == NULL)
      return NULL;
    id[n++] = c;
  }
  if (n != CANOPY_ROOM_ID_CHARS)
    return NULL;
  id[n] = '\0';
  return g_strdup (id);
}
