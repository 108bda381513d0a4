/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* `resume`: a connection that proved its key (hello) takes back its place in a room, after its
 * own reconnect (hello took the old connection over, as if lost) or after the server restarted
 * (a host's room is opened again under its ID and secret). */

#include "canopy-signal-server-private.h"

typedef CanopySignalRoom Room;
typedef CanopySignalPeer Peer;

/* What a `resume` asks for, every member checked. */
typedef struct {
  const char *id;
  const char *token;
  char *room_id;           /* normalized; NULL when `room` is no room ID */
  const char *secret;      /* NULL for a member */
  const char *parent;
  char *name;
  guint capacity;
  CanopySignalRoomSettings settings;
} Resume;

static void
resume_clear (Resume *resume)
{
  g_free (resume->room_id);
  g_free (resume->name);
  canopy_signal_room_settings_clear (&resume->settings);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Resume, resume_clear)

/**
 * canopy_signal_is_lower_hex: (skip)
 * @text: untrusted text
 * @len: the length it must have
 *
 * Returns: whether @text is @len lower-case hex digits, as tokens and host secrets are made
 */
gboolean
canopy_signal_is_lower_hex (const char *text,
                            gsize       len)
{
  gsize n = 0;

  for (; text[n] != '\0'; n++)
    if (n >= len || !g_ascii_isxdigit (text[n]) || g_ascii_isupper (text[n]))
      return FALSE;
  return n == len;
}

static gboolean
bad_member (GError    **error,
            const char *member,
            const char *expected)
{
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Member \"%s\" must be %s", member,
               expected);
  return FALSE;
}

/* `token` is no longer needed (the key proved the id in hello) but still checked for its form,
 * so that a client that sends one sends a real one. */
static gboolean
resume_parse (JsonObject *message,
              Resume     *resume,
              GError    **error)
{
  const char *room = NULL;
  gint64 capacity = 0;

  if (!canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &resume->id, error) ||
      !canopy_json_get_string (message, "token", CANOPY_TOKEN_CHARS, FALSE, &resume->token,
                               error) ||
      !canopy_json_get_string (message, "room", CANOPY_ROOM_INPUT_CHARS, TRUE, &room, error) ||
      !canopy_json_get_string (message, "secret", CANOPY_SECRET_CHARS, FALSE, &resume->secret,
                               error) ||
      !canopy_json_get_string (message, "parent", CANOPY_PEER_ID_CHARS, FALSE, &resume->parent,
                               error) ||
      !canopy_signal_get_display_string (message, "name", CANOPY_NAME_CHARS, TRUE, FALSE,
                                         &resume->name, error) ||
      !canopy_json_get_int (message, "capacity", 0, CANOPY_CAPACITY_MAX, FALSE, &capacity, error))
    return FALSE;
  if (!canopy_text_is_id (resume->id, CANOPY_PEER_ID_CHARS))
    return bad_member (error, "peer", "a peer id");
  if (resume->token != NULL && !canopy_signal_is_lower_hex (resume->token, CANOPY_TOKEN_CHARS))
    return bad_member (error, "token", "32 lower-case hex digits");
  if (resume->parent != NULL && !canopy_text_is_id (resume->parent, CANOPY_PEER_ID_CHARS))
    return bad_member (error, "parent", "a peer id");
  resume->capacity = (guint) capacity;
  resume->room_id = canopy_room_id_normalize (room);
  /* A host's room may have to be opened again: its settings are checked as in create-room, and
   * it brings its rules back (password, lock, removed ids). */
  if (resume->secret != NULL &&
      (!canopy_signal_room_settings_parse (message, &resume->settings, error) ||
       !canopy_signal_room_rules_parse (message, &resume->settings, error)))
    return FALSE;
  return TRUE;
}

/* Whether @resume may have what it asks for, with @room the room it names, if any. Nothing has
 * changed yet. */
static gboolean
resume_check (CanopySignalServer *self,
              Peer               *peer,
              const Resume       *resume,
              Room               *room,
              GError            **error)
{
  if (resume->secret == NULL) {
    if (room == NULL)
      return canopy_signal_set_error (error, CANOPY_ERROR_UNKNOWN_ROOM, "There is no such room");
    return canopy_signal_room_may_resume (room, peer, error);
  }
  if (room != NULL) {
    if (!canopy_signal_secret_equal (resume->secret, room->secret))
      return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                      "Wrong host secret for this room");
    /* A host that came back said hello with its key, which took its old connection over and
     * closed the room as host-lost: a room still open is another connection's. */
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Another peer hosts this room");
  }
  if (resume->room_id == NULL)
    return bad_member (error, "room", "a room ID");
  if (!canopy_signal_is_lower_hex (resume->secret, CANOPY_SECRET_HEX_CHARS))
    return bad_member (error, "secret", "32 lower-case hex digits");
  return canopy_signal_room_quota_check (self, peer, error);
}

/* @peer becomes a member of @room again, under its old name unless that is taken now. */
static void
resume_member (Room   *room,
               Peer   *peer,
               Resume *resume)
{
  g_autoptr (JsonObject) resumed = canopy_signal_message_new ("peer-resumed");
  const char *parent = resume->parent;

  canopy_signal_member_set_name (room, peer, canopy_signal_room_free_name (room, peer,
                                                                           resume->name));
  peer->capacity = resume->capacity;
  peer->room = room;
  g_hash_table_insert (room->members, peer->id, peer);
  /* Only a parent that is here: every stored parent hears when it leaves. */
  if (parent != NULL && !g_str_equal (parent, peer->id) &&
      (g_str_equal (parent, room->host->id) || g_hash_table_contains (room->members, parent)))
    canopy_signal_member_set_parent (room, peer, parent);

  json_object_set_string_member (resumed, "peer", peer->id);
  if (peer->parent != NULL)
    json_object_set_string_member (resumed, "parent", peer->parent);
  canopy_signal_peer_send (room->host, resumed);
}

/**
 * canopy_signal_handle_resume: (skip)
 *
 * `resume {peer, room, name, capacity?, parent?}`, and for a host `secret` and the room's
 * settings, from a connection that said hello as `peer`: see docs/protocol.md. Everything is
 * checked before anything changes.
 */
gboolean
canopy_signal_handle_resume (CanopySignalServer *self,
                             CanopySignalPeer   *peer,
                             JsonObject         *message,
                             GError            **error)
{
  g_auto (Resume) resume = { 0 };
  g_autoptr (JsonObject) reply = NULL;
  Room *room;

  g_assert (peer->identified);
  if (peer->room != NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_ALREADY_IN_ROOM,
                                    "Only a connection in no room resumes");
  if (!resume_parse (message, &resume, error))
    return FALSE;
  /* A key's id is only ever its key holder's, also after a restart: a connection resumes the id
   * it proved in hello (which took over any connection that held it). */
  if (!g_str_equal (resume.id, peer->id))
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Only the holder of this id's key resumes it");
  room = resume.room_id ? g_hash_table_lookup (self->rooms, resume.room_id) : NULL;
  if (!resume_check (self, peer, &resume, room, error))
    return FALSE;

  reply = canopy_signal_message_new ("resumed");
  if (resume.secret == NULL) {
    resume_member (room, peer, &resume);
    json_object_set_string_member (reply, "name", peer->name);
  } else {
    room = canopy_signal_room_open (self, peer, resume.room_id, resume.secret,
                                    g_steal_pointer (&resume.name), &resume.settings);
  }
  g_debug ("%s resumed in room %s", peer->id, room->id);

  json_object_set_string_member (reply, "peer", peer->id);
  json_object_set_string_member (reply, "room", room->id);
  canopy_signal_peer_send (peer, reply);
  if (resume.secret != NULL)
    canopy_signal_room_announce (room);
  return TRUE;
}
