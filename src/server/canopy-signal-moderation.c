/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* What a host does about the people in its room, as far as the server is concerned: `kick` (the
 * member goes, its key is refused in the room from then on), `lock` (no newcomers) and a
 * password newcomers must give. See docs/protocol.md, "Moderation". The password is compared
 * here and nowhere else; it is never sent, listed or logged. */

#include "canopy-signal-server-private.h"

#include "canopy-text.h"

#include <string.h>

typedef CanopySignalRoom Room;
typedef CanopySignalPeer Peer;

/* --- bounded sets of ids --- */

void
canopy_signal_id_set_init (CanopySignalIdSet *set,
                           guint              max)
{
  set->ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&set->order);
  set->max = max;
}

void
canopy_signal_id_set_clear (CanopySignalIdSet *set)
{
  g_clear_pointer (&set->ids, g_hash_table_unref);
  g_queue_clear_full (&set->order, g_free);
}

void
canopy_signal_id_set_remove (CanopySignalIdSet *set,
                             const char        *id)
{
  GList *link = g_hash_table_lookup (set->ids, id);

  if (link == NULL)
    return;
  g_hash_table_remove (set->ids, id);
  g_free (link->data);
  g_queue_delete_link (&set->order, link);
}

/* Adds @id as the newest (an id already there becomes the newest); past the set's size the
 * oldest goes. */
void
canopy_signal_id_set_add (CanopySignalIdSet *set,
                          const char        *id)
{
  char *copy;

  canopy_signal_id_set_remove (set, id);
  if (g_queue_get_length (&set->order) >= set->max) {
    char *oldest = g_queue_pop_head (&set->order);

    g_hash_table_remove (set->ids, oldest);
    g_free (oldest);
  }
  copy = g_strdup (id);
  g_queue_push_tail (&set->order, copy);
  g_hash_table_insert (set->ids, copy, set->order.tail);
}

gboolean
canopy_signal_id_set_contains (CanopySignalIdSet *set,
                               const char        *id)
{
  return g_hash_table_contains (set->ids, id);
}

/* --- passwords --- */

/**
 * canopy_signal_get_password: (skip)
 * @message: an untrusted message
 * @allow_empty: whether "" is accepted (`update-room`: no password from now on)
 * @out: (out) (transfer none): the password, left alone when absent
 * @error: return location for a #CanopyError
 *
 * Returns: whether `password` is absent or a string of 1 (0 with @allow_empty) to
 *   CANOPY_PASSWORD_CHARS characters
 */
gboolean
canopy_signal_get_password (JsonObject  *message,
                            gboolean     allow_empty,
                            const char **out,
                            GError     **error)
{
  const char *password = NULL;

  if (!canopy_json_get_string (message, "password", CANOPY_PASSWORD_CHARS, FALSE, &password,
                               error))
    return FALSE;
  if (password != NULL && *password == '\0' && !allow_empty)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "Member \"password\" must not be empty");
  if (password != NULL)
    *out = password;
  return TRUE;
}

/* Whether @given is @password, in a time that tells nothing of either: every byte up to the
 * longest password accepted is compared, and the lengths too. */
static gboolean
password_equal (const char *given,
                const char *password)
{
  const gsize max = CANOPY_PASSWORD_CHARS * 4;
  gsize given_len = strnlen (given, max + 1);
  gsize len = strnlen (password, max + 1);
  guint diff = (guint) (given_len != len);

  for (gsize i = 0; i < max; i++) {
    guint8 a = i < given_len ? (guint8) given[i] : 0;
    guint8 b = i < len ? (guint8) password[i] : 0;

    diff |= a ^ b;
  }
  return diff == 0;
}

/* --- resume's rules --- */

/**
 * canopy_signal_room_rules_parse: (skip)
 * @message: a host's `resume`
 * @settings: where to put what it asks for
 * @error: return location for a #CanopyError
 *
 * The rules a host brings back with its room: `locked` (a boolean) and `banned` (at most
 * CANOPY_BANNED_MAX peer ids); `password` is read with the other settings.
 *
 * Returns: whether both are absent or right
 */
gboolean
canopy_signal_room_rules_parse (JsonObject               *message,
                                CanopySignalRoomSettings *settings,
                                GError                  **error)
{
  g_autoptr (GPtrArray) banned = NULL;
  JsonArray *given = NULL;

  if (!canopy_json_get_bool (message, "locked", FALSE, &settings->locked, error) ||
      !canopy_json_get_array (message, "banned", CANOPY_BANNED_MAX, FALSE, &given, error))
    return FALSE;
  for (guint i = 0; given != NULL && i < json_array_get_length (given); i++) {
    JsonNode *node = json_array_get_element (given, i);
    const char *id;

    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
        !canopy_text_is_id ((id = json_node_get_string (node)), CANOPY_PEER_ID_CHARS))
      return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                      "Member \"banned\" must hold peer ids only");
    if (banned == NULL)
      banned = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (banned, g_strdup (id));
  }
  settings->banned = g_steal_pointer (&banned);
  return TRUE;
}

/* --- who gets in --- */

/**
 * canopy_signal_room_refusal: (skip)
 * @room: the room @joiner asks to join
 * @joiner: a connection in no room, or a member of @room asking again
 *
 * The room's rules that depend on nobody's secret: a removed key is refused, and a locked room
 * takes no newcomers (its members still ask for new places).
 *
 * Returns: (nullable): the `join-rejected` reason, "banned" or "locked", or %NULL
 */
const char *
canopy_signal_room_refusal (CanopySignalRoom *room,
                            CanopySignalPeer *joiner)
{
  if (canopy_signal_id_set_contains (&room->banned, joiner->id))
    return "banned";
  if (room->locked && joiner->room != room)
    return "locked";
  return NULL;
}

/**
 * canopy_signal_room_password_ok: (skip)
 * @room: the room @joiner asks to join
 * @joiner: a connection in no room, or a member of @room asking again
 * @password: (nullable): the password its join carries
 *
 * Returns: whether @joiner needs no password (the room has none, or it is a member already) or
 *   gave the room's
 */
gboolean
canopy_signal_room_password_ok (CanopySignalRoom *room,
                                CanopySignalPeer *joiner,
                                const char       *password)
{
  if (room->password == NULL || joiner->room == room)
    return TRUE;
  return password != NULL && password_equal (password, room->password);
}

/**
 * canopy_signal_room_may_resume: (skip)
 * @room: the room @member resumes into
 * @member: a connection in no room, identified as the id it resumes
 * @error: return location for a #CanopyError
 *
 * A removed key never comes back. Into a locked room, or one with a password, only a member that
 * left it (its connection lost, or closed) comes back by `resume`, which carries no password:
 * anybody else would walk past the lock. After its host opened the room again (the server
 * restarted or lost the host), the server knows none of its members: for CANOPY_HOST_WAIT_MS,
 * while they come back, every id may.
 *
 * Returns: whether @member may take a place in @room again (`forbidden` otherwise)
 */
gboolean
canopy_signal_room_may_resume (CanopySignalRoom *room,
                               CanopySignalPeer *member,
                               GError          **error)
{
  if (canopy_signal_id_set_contains (&room->banned, member->id))
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "The host removed this peer from the room");
  if ((room->locked || room->password != NULL) &&
      !canopy_signal_id_set_contains (&room->departed, member->id) &&
      g_get_monotonic_time () >= room->reopened_until)
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "This peer was not a member of the room: join it");
  return TRUE;
}

/* --- the host's messages --- */

static Room *
get_hosted_room (Peer       *peer,
                 const char *what,
                 GError    **error)
{
  if (peer->room == NULL) {
    canopy_signal_set_error (error, CANOPY_ERROR_NOT_IN_ROOM, "This connection is in no room");
    return NULL;
  }
  if (peer->room->host != peer) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN, "Only the room's host %s", what);
    return NULL;
  }
  return peer->room;
}

/**
 * canopy_signal_handle_kick: (skip)
 *
 * `kick {peer}` from a host: the member gets `kicked {room}` and leaves as if it had sent
 * `leave` (the tree around it hears so); its id (its key's) is refused in this room from then
 * on. Its connection stays open, in no room.
 */
gboolean
canopy_signal_handle_kick (CanopySignalServer *self,
                           CanopySignalPeer   *peer,
                           JsonObject         *message,
                           GError            **error)
{
  g_autoptr (JsonObject) kicked = NULL;
  const char *id = NULL;
  Room *room = get_hosted_room (peer, "removes peers", error);
  Peer *member;

  if (room == NULL ||
      !canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &id, error))
    return FALSE;
  if (g_str_equal (id, peer->id))
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "The host cannot remove itself");
  member = g_hash_table_lookup (room->members, id);
  if (member == NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_UNKNOWN_PEER,
                                    "Member \"peer\" names no member of this room");

  g_debug ("%s removes %s from room %s", peer->id, member->id, room->id);
  kicked = canopy_signal_message_new ("kicked");
  json_object_set_string_member (kicked, "room", room->id);
  canopy_signal_peer_send (member, kicked);
  /* Not a departed member: it does not come back by resume either. */
  canopy_signal_id_set_remove (&room->departed, member->id);
  canopy_signal_id_set_add (&room->banned, member->id);
  canopy_signal_member_left (room, member);
  return TRUE;
}

/**
 * canopy_signal_handle_lock: (skip)
 *
 * `lock {locked}` from a host: while locked, the room takes no newcomers. The directory shows
 * it; the host gets `room-updated {room: entry}` as for `update-room`.
 */
gboolean
canopy_signal_handle_lock (CanopySignalServer *self,
                           CanopySignalPeer   *peer,
                           JsonObject         *message,
                           GError            **error)
{
  g_autoptr (JsonObject) reply = NULL;
  gboolean locked = FALSE;
  Room *room = get_hosted_room (peer, "locks the room", error);

  if (room == NULL || !canopy_json_get_bool (message, "locked", TRUE, &locked, error))
    return FALSE;
  if (room->locked != locked) {
    g_debug ("Room %s %s", room->id, locked ? "locked" : "unlocked");
    room->locked = locked;
    canopy_signal_room_changed (room, room->listed);
  }
  reply = canopy_signal_room_message_new ("room-updated", room);
  canopy_signal_peer_send (peer, reply);
  return TRUE;
}
