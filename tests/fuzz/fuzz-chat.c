/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Chat from a tree neighbour: each line of the input is one message on the `chat` data channel,
 * parsed as CanopyLink does (canopy_json_parse_object() with CANOPY_CHAT_BYTES, then
 * canopy_chat_message_new_from_json()), and what passes goes into two CanopyChat: one that
 * tracks every origin, where each origin's messages must come out in growing `seq` order, and
 * one that tracks two, so that evictions happen too. */

#include "canopy-chat.h"
#include "canopy-json.h"
#include "canopy-fuzz.h"

#include <string.h>

#define SELF_ID "pself"

static void
check_message (const CanopyChatMessage *message)
{
  g_autoptr (JsonObject) json = canopy_chat_message_to_json (message);
  g_autoptr (CanopyChatMessage) again = NULL;
  g_autoptr (GError) error = NULL;

  g_assert (canopy_text_is_id (message->origin, CANOPY_PEER_ID_CHARS));
  g_assert (message->seq >= 1);
  g_assert (*message->name != '\0' && g_utf8_strlen (message->name, -1) <= CANOPY_NAME_CHARS);
  g_assert (*message->text != '\0' &&
            g_utf8_strlen (message->text, -1) <= CANOPY_CHAT_TEXT_CHARS);
  g_assert (message->hops <= CANOPY_CHAT_HOPS_MAX);

  /* What we accept we pass on: the next node must accept it too, unchanged. */
  again = canopy_chat_message_new_from_json (json, &error);
  if (again == NULL)
    g_error ("A chat message passed on is refused: %s", error->message);
  g_assert (g_str_equal (again->origin, message->origin));
  g_assert (again->seq == message->seq);
  g_assert (g_str_equal (again->name, message->name));
  g_assert (again->time == message->time);
  g_assert (g_str_equal (again->text, message->text));
  g_assert (again->hops == message->hops);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (CanopyChat) all = canopy_chat_new (SELF_ID, 4096, CANOPY_CHAT_HISTORY);
  g_autoptr (CanopyChat) few = canopy_chat_new (SELF_ID, 2, 3);
  /* origin -> the last seq @all delivered for it */
  g_autoptr (GHashTable) delivered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            g_free);
  g_autoptr (GPtrArray) history = NULL;
  const char *line;
  gsize len;

  for (guint n = 0;
       n < CANOPY_FUZZ_MAX_MESSAGES && canopy_fuzz_next_line (&data, &size, &line, &len); n++) {
    g_autofree char *text = canopy_fuzz_copy (line, len);
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) json = NULL;
    g_autoptr (CanopyChatMessage) message = NULL;
    g_autoptr (GPtrArray) deliver_all = NULL;
    g_autoptr (GPtrArray) deliver_few = NULL;
    CanopyChatReceive received;

    json = canopy_json_parse_object (text, (gssize) len, CANOPY_CHAT_BYTES, &error);
    if (json == NULL)
      continue;
    message = canopy_chat_message_new_from_json (json, &error);
    if (message == NULL) {
      g_assert (error != NULL);
      continue;
    }
    check_message (message);

    deliver_all = g_ptr_array_new_with_free_func ((GDestroyNotify) canopy_chat_message_free);
    received = canopy_chat_receive (all, message, deliver_all);
    g_assert (received == CANOPY_CHAT_RECEIVE_NEW || deliver_all->len == 0);
    if (g_str_equal (message->origin, SELF_ID))
      g_assert (received == CANOPY_CHAT_RECEIVE_DUPLICATE);
    for (guint i = 0; i < deliver_all->len; i++) {
      CanopyChatMessage *shown = g_ptr_array_index (deliver_all, i);
      guint64 *last = g_hash_table_lookup (delivered, shown->origin);

      g_assert (g_str_equal (shown->origin, message->origin));
      if (last == NULL) {
        last = g_new0 (guint64, 1);
        g_hash_table_insert (delivered, g_strdup (shown->origin), last);
      } else {
        g_assert (shown->seq > *last);
      }
      *last = shown->seq;
    }

    deliver_few = g_ptr_array_new_with_free_func ((GDestroyNotify) canopy_chat_message_free);
    canopy_chat_receive (few, message, deliver_few);
    g_assert (canopy_chat_get_n_origins (few) <= 2);
  }

  history = canopy_chat_get_history (all);
  g_assert (history->len <= CANOPY_CHAT_HISTORY);
  for (guint i = 0; i < history->len; i++)
    check_message (g_ptr_array_index (history, i));
  return 0;
}
