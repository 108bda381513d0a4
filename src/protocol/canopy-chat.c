/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyChat"

#include "canopy-chat.h"

#include "canopy-json.h"
#include "canopy-text.h"

/**
 * CanopyChat:
 *
 * The chat state of one peer: which messages it has seen (to drop the repeats a flood brings)
 * and which it has delivered, per origin in `seq` order, plus the last messages for a child
 * that attaches. Everything is bounded: origins (least recently active evicted first),
 * buffered out-of-order messages per origin, and the history.
 */

/* The largest integer a JavaScript peer can hold exactly. */
#define MAX_SEQ (G_GINT64_CONSTANT (1) << 53)

typedef struct
{
  char      *id;
  guint64    delivered; /* highest seq delivered; everything at or below is a repeat */
  GPtrArray *buffer;    /* CanopyChatMessage ahead of a gap, sorted by seq, owned */
  GList      link;      /* in CanopyChat.lru, data = this */
} Origin;

struct _CanopyChat
{
  GObject     parent_instance;

  char       *self_id;
  guint       max_origins;
  guint       history_length;
  guint64     last_seq;
  GHashTable *origins; /* id (owned by the origin) -> Origin */
  GQueue      lru;     /* Origin, most recently active first */
  GQueue      history; /* CanopyChatMessage, oldest first */
  CanopyIdentity *signer;  /* signs what we compose, for signer_room */
  char       *signer_room;
};

G_DEFINE_BOXED_TYPE (CanopyChatMessage, canopy_chat_message, canopy_chat_message_copy,
                     canopy_chat_message_free)

G_DEFINE_FINAL_TYPE (CanopyChat, canopy_chat, G_TYPE_OBJECT)

static Origin *
origin_new (const char *id,
            guint64     delivered)
{
  Origin *origin = g_new0 (Origin, 1);

  origin->id = g_strdup (id);
  origin->delivered = delivered;
  origin->buffer = g_ptr_array_new_with_free_func ((GDestroyNotify) canopy_chat_message_free);
  origin->link.data = origin;
  return origin;
}

static void
origin_free (gpointer data)
{
  Origin *origin = data;

  g_free (origin->id);
  g_ptr_array_unref (origin->buffer);
  g_free (origin);
}

/* Checks a name or a text against its limit, then sanitizes it; what is empty once cleaned
 * is refused rather than shown as a blank line. */
static char *
clean_text (const char *member,
            const char *value,
            guint       max_chars,
            GError    **error)
{
  char *clean;

  if (!g_utf8_validate (value, -1, NULL)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "Member \"%s\" is not valid UTF-8", member);
    return NULL;
  }
  if (g_utf8_strlen (value, -1) > (glong) max_chars) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "Member \"%s\" is longer than %u characters", member, max_chars);
    return NULL;
  }
  clean = canopy_text_sanitize (value);
  if (*clean == '\0') {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Member \"%s\" is empty", member);
    g_free (clean);
    return NULL;
  }
  return clean;
}

static void
remember (CanopyChat              *self,
          const CanopyChatMessage *message)
{
  if (self->history_length == 0)
    return;
  g_queue_push_tail (&self->history, canopy_chat_message_copy (message));
  while (self->history.length > self->history_length)
    canopy_chat_message_free (g_queue_pop_head (&self->history));
}

/* Delivers @message (taking it), the next one of @origin. */
static void
deliver_take (CanopyChat        *self,
              Origin            *origin,
              CanopyChatMessage *message,
              GPtrArray         *deliver)
{
  g_assert (message->seq > origin->delivered);

  origin->delivered = message->seq;
  remember (self, message);
  g_ptr_array_add (deliver, message);
}

/* Delivers the buffered messages that now follow on without a gap. */
static void
drain (CanopyChat *self,
       Origin     *origin,
       GPtrArray  *deliver)
{
  while (origin->buffer->len > 0) {
    CanopyChatMessage *first = g_ptr_array_index (origin->buffer, 0);

    if (first->seq != origin->delivered + 1)
      break;
    deliver_take (self, origin, g_ptr_array_steal_index (origin->buffer, 0), deliver);
  }
}

/* Stops waiting for the gap before the first buffered message. */
static void
skip_gap (CanopyChat *self,
          Origin     *origin,
          GPtrArray  *deliver)
{
  CanopyChatMessage *first = g_ptr_array_index (origin->buffer, 0);

  g_debug ("Giving up on %" G_GUINT64_FORMAT " messages from %s",
           first->seq - origin->delivered - 1, origin->id);
  origin->delivered = first->seq - 1;
  drain (self, origin, deliver);
}

static void
evict_oldest (CanopyChat *self,
              GPtrArray  *deliver)
{
  Origin *oldest = g_queue_peek_tail (&self->lru);

  /* What it was still holding back is delivered now rather than lost. */
  while (oldest->buffer->len > 0)
    skip_gap (self, oldest, deliver);
  g_queue_unlink (&self->lru, &oldest->link);
  g_hash_table_remove (self->origins, oldest->id);
}

static void
canopy_chat_finalize (GObject *object)
{
  CanopyChat *self = CANOPY_CHAT (object);

  /* The links are embedded in the origins: forget them, never free them as a list. */
  g_queue_init (&self->lru);
  g_clear_pointer (&self->origins, g_hash_table_unref);
  g_queue_clear_full (&self->history, (GDestroyNotify) canopy_chat_message_free);
  g_clear_pointer (&self->self_id, g_free);
  g_clear_object (&self->signer);
  g_clear_pointer (&self->signer_room, g_free);

  G_OBJECT_CLASS (canopy_chat_parent_class)->finalize (object);
}

static void
canopy_chat_class_init (CanopyChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = canopy_chat_finalize;
}

static void
canopy_chat_init (CanopyChat *self)
{
  self->origins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, origin_free);
  g_queue_init (&self->lru);
  g_queue_init (&self->history);
}

/**
 * canopy_chat_new:
 * @self_id: our own peer id: messages from it are ours
 * @max_origins: how many authors to keep track of (e.g. 4096), at least 1
 * @history_length: how many delivered messages to keep (e.g. 50)
 *
 * Returns: (transfer full): a new chat state
 */
CanopyChat *
canopy_chat_new (const char *self_id,
                 guint       max_origins,
                 guint       history_length)
{
  CanopyChat *self;

  g_return_val_if_fail (self_id != NULL, NULL);
  g_return_val_if_fail (max_origins > 0, NULL);

  self = g_object_new (CANOPY_TYPE_CHAT, NULL);
  self->self_id = g_strdup (self_id);
  self->max_origins = max_origins;
  self->history_length = history_length;
  return self;
}

/**
 * canopy_chat_message_new_from_json:
 * @object: an untrusted `chat` message
 * @error: return location for a #CanopyError
 *
 * Checks every member: `type` "chat", `origin` a peer id, `seq` 1 to 2^53, `name` 1 to 64
 * characters, `time` an integer >= 0, `text` 1 to %CANOPY_CHAT_TEXT_CHARS characters, `hops` 0
 * to 1000. Name and text are sanitized after their length is checked; one that is empty
 * afterwards is refused.
 *
 * Returns: (transfer full): the message, or %NULL with @error set (%CANOPY_ERROR_TOO_LARGE
 *   for a name or text over its limit, %CANOPY_ERROR_BAD_MESSAGE otherwise)
 */
CanopyChatMessage *
canopy_chat_message_new_from_json (JsonObject *object,
                                   GError    **error)
{
  g_autoptr (CanopyChatMessage) message = NULL;
  const char *type;
  const char *origin = NULL;
  const char *name = NULL;
  const char *text = NULL;
  const char *key = NULL;
  const char *signature = NULL;
  gint64 seq = 0, time = 0, hops = 0;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  type = canopy_json_get_type (object, error);
  if (type == NULL)
    return NULL;
  if (!g_str_equal (type, "chat")) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Not a chat message: %s", type);
    return NULL;
  }
  if (!canopy_json_get_string (object, "origin", 32, TRUE, &origin, error))
    return NULL;
  if (!canopy_text_is_id (origin, 32)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "Member \"origin\" is not a peer id");
    return NULL;
  }
  if (!canopy_json_get_string (object, "key", CANOPY_KEY_CHARS, FALSE, &key, error) ||
      !canopy_json_get_string (object, "sig", CANOPY_SIGNATURE_CHARS, FALSE, &signature, error))
    return NULL;
  if (!canopy_json_get_int (object, "seq", 1, MAX_SEQ, TRUE, &seq, error) ||
      !canopy_json_get_string (object, "name", CANOPY_NAME_CHARS, TRUE, &name, error) ||
      !canopy_json_get_int (object, "time", 0, G_MAXINT64, TRUE, &time, error) ||
      !canopy_json_get_string (object, "text", CANOPY_CHAT_TEXT_CHARS, TRUE, &text, error) ||
      !canopy_json_get_int (object, "hops", 0, CANOPY_CHAT_HOPS_MAX, TRUE, &hops, error))
    return NULL;

  message = g_new0 (CanopyChatMessage, 1);
  message->origin = g_strdup (origin);
  message->seq = (guint64) seq;
  message->time = time;
  message->hops = (guint) hops;
  message->key = g_strdup (key);
  message->signature = g_strdup (signature);
  message->name = clean_text ("name", name, CANOPY_NAME_CHARS, error);
  if (message->name == NULL)
    return NULL;
  message->text = clean_text ("text", text, CANOPY_CHAT_TEXT_CHARS, error);
  if (message->text == NULL)
    return NULL;
  return g_steal_pointer (&message);
}

/**
 * canopy_chat_message_to_json:
 * @message: a message
 *
 * Returns: (transfer full): the `chat` message as sent on the `chat` data channel
 */
JsonObject *
canopy_chat_message_to_json (const CanopyChatMessage *message)
{
  JsonObject *object;

  g_return_val_if_fail (message != NULL, NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "type", "chat");
  json_object_set_string_member (object, "origin", message->origin);
  json_object_set_int_member (object, "seq", (gint64) message->seq);
  json_object_set_string_member (object, "name", message->name);
  json_object_set_int_member (object, "time", message->time);
  json_object_set_string_member (object, "text", message->text);
  json_object_set_int_member (object, "hops", message->hops);
  if (message->key != NULL)
    json_object_set_string_member (object, "key", message->key);
  if (message->signature != NULL)
    json_object_set_string_member (object, "sig", message->signature);
  return object;
}

/**
 * canopy_chat_message_copy:
 * @message: a message
 *
 * Returns: (transfer full): a deep copy of @message
 */
CanopyChatMessage *
canopy_chat_message_copy (const CanopyChatMessage *message)
{
  CanopyChatMessage *copy;

  g_return_val_if_fail (message != NULL, NULL);

  copy = g_new0 (CanopyChatMessage, 1);
  copy->origin = g_strdup (message->origin);
  copy->seq = message->seq;
  copy->name = g_strdup (message->name);
  copy->time = message->time;
  copy->text = g_strdup (message->text);
  copy->hops = message->hops;
  copy->key = g_strdup (message->key);
  copy->signature = g_strdup (message->signature);
  return copy;
}

/**
 * canopy_chat_message_free:
 * @message: (nullable): a message
 */
void
canopy_chat_message_free (CanopyChatMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->origin);
  g_free (message->name);
  g_free (message->text);
  g_free (message->key);
  g_free (message->signature);
  g_free (message);
}

/* What a chat signature covers: the room, then everything but the hops (which relays count),
 * each as a field of its own. */
static void
signed_fields (const CanopyChatMessage *message,
               const char              *room,
               char                    *seq,
               char                    *time,
               const char             **fields)
{
  g_snprintf (seq, 24, "%" G_GUINT64_FORMAT, message->seq);
  g_snprintf (time, 24, "%" G_GINT64_FORMAT, message->time);
  fields[0] = room;
  fields[1] = message->origin;
  fields[2] = seq;
  fields[3] = message->name;
  fields[4] = time;
  fields[5] = message->text;
  fields[6] = NULL;
}

/**
 * canopy_chat_message_sign:
 * @message: our own message (canopy_chat_compose())
 * @identity: our identity, whose id is @message's origin
 * @room: the room's ID
 *
 * Sets @message's key and signature: domain "canopy-chat", fields room, origin, seq, name,
 * time, text. A message signed for one room is no message in another.
 */
void
canopy_chat_message_sign (CanopyChatMessage *message,
                          CanopyIdentity    *identity,
                          const char        *room)
{
  char seq[24], time[24];
  const char *fields[7];

  g_return_if_fail (message != NULL && room != NULL);
  g_return_if_fail (g_strcmp0 (canopy_identity_get_id (identity), message->origin) == 0);

  signed_fields (message, room, seq, time, fields);
  g_free (message->key);
  message->key = g_strdup (canopy_identity_get_public_key (identity));
  g_free (message->signature);
  message->signature = canopy_identity_sign (identity, "canopy-chat", fields);
}

/**
 * canopy_chat_message_verify:
 * @message: a message from a neighbour
 * @room: the room's ID
 *
 * Returns: whether @message carries a key whose id is its origin and that key's signature
 *   over it in @room: nobody but its author wrote it, and nobody changed it on the way
 */
gboolean
canopy_chat_message_verify (const CanopyChatMessage *message,
                            const char              *room)
{
  g_autofree char *id = NULL;
  char seq[24], time[24];
  const char *fields[7];

  g_return_val_if_fail (message != NULL, FALSE);

  if (room == NULL || message->key == NULL || message->signature == NULL)
    return FALSE;
  id = canopy_key_to_id (message->key);
  if (g_strcmp0 (id, message->origin) != 0)
    return FALSE;
  signed_fields (message, room, seq, time, fields);
  return canopy_signature_verify (message->key, message->signature, "canopy-chat", fields);
}

/**
 * canopy_chat_compose:
 * @self: a chat
 * @name: our display name, 1 to 64 characters
 * @text: what we say, 1 to %CANOPY_CHAT_TEXT_CHARS characters
 * @error: return location for a #CanopyError
 *
 * Makes our next message: the next `seq` (the first is 1), the wall clock in milliseconds,
 * 0 hops. It goes into the history at once; our own messages coming back are repeats.
 *
 * Returns: (transfer full): the message to send, or %NULL with @error set
 *   (%CANOPY_ERROR_TOO_LARGE when over its limit, %CANOPY_ERROR_BAD_MESSAGE when empty once
 *   sanitized)
 */
CanopyChatMessage *
canopy_chat_compose (CanopyChat *self,
                     const char *name,
                     const char *text,
                     GError    **error)
{
  g_autofree char *clean_name = NULL;
  g_autofree char *clean = NULL;
  CanopyChatMessage *message;

  g_return_val_if_fail (CANOPY_IS_CHAT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  clean_name = clean_text ("name", name, CANOPY_NAME_CHARS, error);
  if (clean_name == NULL)
    return NULL;
  clean = clean_text ("text", text, CANOPY_CHAT_TEXT_CHARS, error);
  if (clean == NULL)
    return NULL;

  message = g_new0 (CanopyChatMessage, 1);
  message->origin = g_strdup (self->self_id);
  message->seq = ++self->last_seq;
  message->name = g_steal_pointer (&clean_name);
  message->time = g_get_real_time () / 1000;
  message->text = g_steal_pointer (&clean);
  message->hops = 0;
  if (self->signer != NULL)
    canopy_chat_message_sign (message, self->signer, self->signer_room);
  remember (self, message);
  return message;
}

/**
 * canopy_chat_set_signer:
 * @self: a chat
 * @identity: our identity (its id is this chat's own)
 * @room: the room's ID
 *
 * From now on what canopy_chat_compose() makes is signed (canopy_chat_message_sign()).
 */
void
canopy_chat_set_signer (CanopyChat     *self,
                        CanopyIdentity *identity,
                        const char     *room)
{
  g_return_if_fail (CANOPY_IS_CHAT (self));
  g_return_if_fail (CANOPY_IS_IDENTITY (identity) && room != NULL);
  g_return_if_fail (g_strcmp0 (canopy_identity_get_id (identity), self->self_id) == 0);

  g_set_object (&self->signer, identity);
  g_free (self->signer_room);
  self->signer_room = g_strdup (room);
}

/**
 * canopy_chat_receive:
 * @self: a chat
 * @message: a message from a tree neighbour, already checked
 * @deliver: (element-type CanopyChatMessage): an array freeing its elements with
 *   canopy_chat_message_free(); copies of the messages to show now are appended, in order
 *
 * Records @message. The first message from an origin we do not know sets where its stream
 * starts (a late joiner starts mid-stream). After that each origin's messages are delivered in
 * `seq` order: one that arrives early waits (up to %CANOPY_CHAT_BUFFERED_MAX per origin; when
 * that many wait, the gap before them is given up). So a call may deliver 0, 1 or several
 * messages. Our own messages are always repeats.
 *
 * Returns: %CANOPY_CHAT_RECEIVE_NEW the first time (forward it to the other neighbours),
 *   %CANOPY_CHAT_RECEIVE_DUPLICATE for a repeat (drop it)
 */
CanopyChatReceive
canopy_chat_receive (CanopyChat              *self,
                     const CanopyChatMessage *message,
                     GPtrArray               *deliver)
{
  Origin *origin;
  guint index;

  g_return_val_if_fail (CANOPY_IS_CHAT (self), CANOPY_CHAT_RECEIVE_DUPLICATE);
  g_return_val_if_fail (message != NULL && message->origin != NULL, CANOPY_CHAT_RECEIVE_DUPLICATE);
  g_return_val_if_fail (message->seq > 0, CANOPY_CHAT_RECEIVE_DUPLICATE);
  g_return_val_if_fail (deliver != NULL, CANOPY_CHAT_RECEIVE_DUPLICATE);

  if (g_str_equal (message->origin, self->self_id))
    return CANOPY_CHAT_RECEIVE_DUPLICATE;

  origin = g_hash_table_lookup (self->origins, message->origin);
  if (origin == NULL) {
    if (g_hash_table_size (self->origins) >= self->max_origins)
      evict_oldest (self, deliver);
    origin = origin_new (message->origin, message->seq - 1);
    g_hash_table_insert (self->origins, origin->id, origin);
  } else {
    g_queue_unlink (&self->lru, &origin->link);
  }
  g_queue_push_head_link (&self->lru, &origin->link);

  if (message->seq <= origin->delivered)
    return CANOPY_CHAT_RECEIVE_DUPLICATE;
  if (message->seq == origin->delivered + 1) {
    deliver_take (self, origin, canopy_chat_message_copy (message), deliver);
    drain (self, origin, deliver);
    return CANOPY_CHAT_RECEIVE_NEW;
  }

  /* Early: keep it in order until the gap fills. */
  for (index = 0; index < origin->buffer->len; index++) {
    CanopyChatMessage *waiting = g_ptr_array_index (origin->buffer, index);

    if (waiting->seq == message->seq)
      return CANOPY_CHAT_RECEIVE_DUPLICATE;
    if (waiting->seq > message->seq)
      break;
  }
  g_ptr_array_insert (origin->buffer, (int) index, canopy_chat_message_copy (message));
  if (origin->buffer->len >= CANOPY_CHAT_BUFFERED_MAX)
    skip_gap (self, origin, deliver);
  return CANOPY_CHAT_RECEIVE_NEW;
}

/**
 * canopy_chat_forget_origin:
 * @self: a chat
 * @id: an origin
 *
 * Forgets where @id's stream stands, and what of it waits for a gap: its next message starts
 * it again. For an origin the host muted and unmuted, whose messages meanwhile went nowhere
 * (nothing would ever fill that gap).
 */
void
canopy_chat_forget_origin (CanopyChat *self,
                           const char *id)
{
  Origin *origin;

  g_return_if_fail (CANOPY_IS_CHAT (self));

  origin = id != NULL ? g_hash_table_lookup (self->origins, id) : NULL;
  if (origin == NULL)
    return;
  g_queue_unlink (&self->lru, &origin->link);
  g_hash_table_remove (self->origins, id);
}

/**
 * canopy_chat_get_history:
 * @self: a chat
 *
 * Returns: (transfer full) (element-type CanopyChatMessage): copies of the last delivered
 *   messages, ours included, oldest first, in an array that frees them
 */
GPtrArray *
canopy_chat_get_history (CanopyChat *self)
{
  GPtrArray *history;

  g_return_val_if_fail (CANOPY_IS_CHAT (self), NULL);

  history = g_ptr_array_new_full (self->history.length,
                                  (GDestroyNotify) canopy_chat_message_free);
  for (GList *l = self->history.head; l != NULL; l = l->next)
    g_ptr_array_add (history, canopy_chat_message_copy (l->data));
  return history;
}

/**
 * canopy_chat_get_n_origins:
 * @self: a chat
 *
 * Returns: how many origins are tracked now, at most the @max_origins given to
 *   canopy_chat_new()
 */
guint
canopy_chat_get_n_origins (CanopyChat *self)
{
  g_return_val_if_fail (CANOPY_IS_CHAT (self), 0);

  return g_hash_table_size (self->origins);
}
