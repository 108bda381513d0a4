/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-error.h"
#include "canopy-identity.h"
#include "canopy-limits.h"

G_BEGIN_DECLS

/**
 * CanopyChatMessage:
 * @origin: the peer id of the author
 * @seq: the author's message number, from 1, one more per message
 * @name: the author's display name, sanitized
 * @time: the author's wall clock, milliseconds since 1970
 * @text: the message, sanitized
 * @hops: how many tree edges it crossed
 * @key: (nullable): the author's public key, whose id @origin is
 * @signature: (nullable): the author's signature (canopy_chat_message_sign())
 *
 * One chat message (docs/protocol.md, "chat").
 */
typedef struct
{
  char   *origin;
  guint64 seq;
  char   *name;
  gint64  time;
  char   *text;
  guint   hops;
  char   *key;
  char   *signature;
} CanopyChatMessage;

#define CANOPY_TYPE_CHAT_MESSAGE (canopy_chat_message_get_type ())

GType              canopy_chat_message_get_type      (void) G_GNUC_CONST;
CanopyChatMessage *canopy_chat_message_new_from_json (JsonObject              *object,
                                                      GError                 **error);
JsonObject        *canopy_chat_message_to_json       (const CanopyChatMessage *message);
CanopyChatMessage *canopy_chat_message_copy          (const CanopyChatMessage *message);
void               canopy_chat_message_free          (CanopyChatMessage       *message);
void               canopy_chat_message_sign          (CanopyChatMessage       *message,
                                                      CanopyIdentity          *identity,
                                                      const char              *room);
gboolean           canopy_chat_message_verify        (const CanopyChatMessage *message,
                                                      const char              *room);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyChatMessage, canopy_chat_message_free)

/**
 * CanopyChatReceive:
 * @CANOPY_CHAT_RECEIVE_NEW: seen for the first time: forward it to the other neighbours
 * @CANOPY_CHAT_RECEIVE_DUPLICATE: seen before (or our own): drop it
 */
typedef enum {
  CANOPY_CHAT_RECEIVE_NEW,
  CANOPY_CHAT_RECEIVE_DUPLICATE,
} CanopyChatReceive;

#define CANOPY_TYPE_CHAT (canopy_chat_get_type ())
G_DECLARE_FINAL_TYPE (CanopyChat, canopy_chat, CANOPY, CHAT, GObject)

CanopyChat        *canopy_chat_new             (const char              *self_id,
                                                guint                    max_origins,
                                                guint                    history_length);
CanopyChatMessage *canopy_chat_compose         (CanopyChat              *self,
                                                const char              *name,
                                                const char              *text,
                                                GError                 **error);
void               canopy_chat_set_signer      (CanopyChat              *self,
                                                CanopyIdentity          *identity,
                                                const char              *room);
CanopyChatReceive  canopy_chat_receive         (CanopyChat              *self,
                                                const CanopyChatMessage *message,
                                                GPtrArray               *deliver);
void               canopy_chat_forget_origin         (CanopyChat              *self,
                                                      const char              *id);
GPtrArray         *canopy_chat_get_history     (CanopyChat              *self);
guint              canopy_chat_get_n_origins   (CanopyChat              *self);

G_END_DECLS
