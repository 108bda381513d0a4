/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* Rooms and their messages: create, update and close a room; join, place, refuse, signal, leave. */

#include "canopy-signal-server-private.h"

#include <string.h>

#define SECRET_BYTES 16
#define K1_DEFAULT 4

/* Everything here runs on the server's main context; every member of every message is
 * untrusted. */

typedef CanopySignalRoom Room;
typedef CanopySignalPeer Peer;

/* A display string: at most @max_chars characters, then sanitized and trimmed. */
static gboolean
get_display_string (JsonObject *message,
                    const char *member,
                    gsize       max_chars,
                    gboolean    required,
                    gboolean    allow_empty,
                    char      **out,
                    GError    **error)
{
  const char *raw = NULL;
  g_autofree char *clean = NULL;

  if (!canopy_json_get_string (message, member, max_chars, required, &raw, error))
    return FALSE;
  if (raw == NULL)
    return TRUE;
  clean = canopy_text_sanitize (raw);
  g_strstrip (clean);
  if (!allow_empty && *clean == '\0') {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Member \"%s\" must not be empty",
                 member);
    return FALSE;
  }
  *out = g_steal_pointer (&clean);
  return TRUE;
}

/* A peer id from a message, looked up among the host and members of @room. */
static Peer *
get_room_peer (Room       *room,
               JsonObject *message,
               const char *member,
               GError    **error)
{
  const char *id = NULL;
  Peer *peer;

  if (!canopy_json_get_string (message, member, CANOPY_PEER_ID_CHARS, TRUE, &id, error))
    return NULL;
  if (g_str_equal (id, room->host->id))
    return room->host;
  peer = g_hash_table_lookup (room->members, id);
  if (peer == NULL)
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_PEER,
                 "Member \"%s\" names no peer of this room", member);
  return peer;
}

static Room *
get_room (CanopySignalServer *self,
          JsonObject         *message,
          GError            **error)
{
  const char *text = NULL;
  g_autofree char *id = NULL;
  Room *room = NULL;

  if (!canopy_json_get_string (message, "room", CANOPY_ROOM_INPUT_CHARS, TRUE, &text, error))
    return NULL;
  id = canopy_room_id_normalize (text);
  if (id != NULL)
    room = g_hash_table_lookup (self->rooms, id);
  if (room == NULL)
    canopy_signal_set_error (error, CANOPY_ERROR_UNKNOWN_ROOM, "There is no such room");
  return room;
}

static gboolean
secret_equal (const char *given,
              const char *secret)
{
  gsize len = strlen (secret);
  guint8 diff = 0;

  /* The length is no secret; the content is compared in constant time. */
  if (strlen (given) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guint8) (given[i] ^ secret[i]);
  return diff == 0;
}

static Room *
get_room_with_secret (CanopySignalServer *self,
                      JsonObject         *message,
                      GError            **error)
{
  const char *secret = NULL;
  Room *room = get_room (self, message, error);

  if (room == NULL ||
      !canopy_json_get_string (message, "secret", CANOPY_SECRET_CHARS, TRUE, &secret, error))
    return NULL;
  if (!secret_equal (secret, room->secret)) {
    canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN, "Wrong host secret for this room");
    return NULL;
  }
  return room;
}

/* --- rooms --- */

void
canopy_signal_room_free (gpointer data)
{
  Room *room = data;

  canopy_signal_source_clear (&room->broadcast);
  g_hash_table_unref (room->members);
  g_free (room->id);
  g_free (room->secret);
  g_free (room->title);
  g_free (room->summary);
  g_free (room->cover);
  g_free (room->host_name);
  g_free (room->started);
  g_free (room);
}

static void
member_release (Peer *member)
{
  member->room = NULL;
  g_clear_pointer (&member->name, g_free);
  member->capacity = 0;
}

/* Closes @room: members are told why and released, so they may join another room. */
static void
room_close (Room       *room,
            const char *reason,
            gboolean    tell_host)
{
  CanopySignalServer *self = room->server;
  g_autoptr (JsonObject) message = canopy_signal_message_new ("room-closed");
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer member;

  g_debug ("Room %s closed: %s", room->id, reason);
  json_object_set_string_member (message, "room", room->id);
  json_object_set_string_member (message, "reason", reason);
  text = canopy_json_to_string (message);
  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, &member)) {
    canopy_signal_peer_send_text (member, text);
    member_release (member);
  }
  g_hash_table_remove_all (room->members);
  if (tell_host)
    canopy_signal_peer_send_text (room->host, text);
  room->host->room = NULL;

  if (room->listed) {
    room->listed = FALSE;
    canopy_signal_room_changed (room, TRUE);
  }
  g_hash_table_remove (self->rooms, room->id);
  canopy_signal_server_notify_rooms (self);
}

/* @peer leaves its room: a member is forgotten and its host told, a host closes the room. */
static void
room_leave (Peer *peer)
{
  Room *room = peer->room;
  g_autoptr (JsonObject) message = NULL;

  if (room->host == peer) {
    room_close (room, "host-left", FALSE);
    return;
  }
  g_hash_table_remove (room->members, peer->id);
  member_release (peer);
  message = canopy_signal_message_new ("peer-left");
  json_object_set_string_member (message, "peer", peer->id);
  canopy_signal_peer_send (room->host, message);
}

/**
 * canopy_signal_server_detach_peer: (skip)
 * @self: a server
 * @peer: a peer that is going away
 *
 * Takes @peer out of the directory's subscribers and out of its room.
 */
void
canopy_signal_server_detach_peer (CanopySignalServer *self,
                                  CanopySignalPeer   *peer)
{
  g_hash_table_remove (self->subscribers, peer);
  if (peer->room != NULL)
    room_leave (peer);
}

/* --- messages --- */

static gboolean
not_in_room (GError **error)
{
  return canopy_signal_set_error (error, CANOPY_ERROR_NOT_IN_ROOM, "This connection is in no room");
}

static gboolean
already_in_room (GError **error)
{
  return canopy_signal_set_error (error, CANOPY_ERROR_ALREADY_IN_ROOM,
                                  "This connection already hosts or joined a room");
}

static gboolean
handle_ping (CanopySignalServer *self,
             Peer               *peer,
             JsonObject         *message,
             GError            **error)
{
  g_autoptr (JsonObject) pong = canopy_signal_message_new ("pong");

  canopy_signal_peer_send (peer, pong);
  return TRUE;
}

static gboolean
handle_create_room (CanopySignalServer *self,
                    Peer               *peer,
                    JsonObject         *message,
                    GError            **error)
{
  g_autofree char *title = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *name = NULL;
  g_autoptr (JsonObject) reply = NULL;
  g_autoptr (GDateTime) now = NULL;
  const char *cover = NULL;
  gboolean listed = TRUE;
  gint64 k1 = K1_DEFAULT;
  guint8 secret[SECRET_BYTES];
  Room *room;

  if (peer->room != NULL)
    return already_in_room (error);
  if (!get_display_string (message, "title", CANOPY_TITLE_CHARS, TRUE, FALSE, &title,
                           error) ||
      !get_display_string (message, "summary", CANOPY_SUMMARY_CHARS, FALSE, TRUE,
                           &summary, error) ||
      !canopy_signal_get_cover (message, &cover, error) ||
      !get_display_string (message, "name", CANOPY_NAME_CHARS, TRUE, FALSE, &name,
                           error) ||
      !canopy_json_get_bool (message, "listed", FALSE, &listed, error) ||
      !canopy_json_get_int (message, "k1", 1, CANOPY_CAPACITY_MAX, FALSE, &k1, error))
    return FALSE;
  if (g_hash_table_size (self->rooms) >= self->max_rooms) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_SERVER_FULL,
                 "The server already has %u rooms", self->max_rooms);
    return FALSE;
  }

  room = g_new0 (Room, 1);
  room->server = self;
  do {
    g_free (room->id);
    room->id = canopy_signal_random_id (CANOPY_ROOM_ID_CHARS);
  } while (g_hash_table_contains (self->rooms, room->id));
  canopy_signal_random_bytes (secret, sizeof secret);
  room->secret = g_malloc (SECRET_BYTES * 2 + 1);
  for (guint i = 0; i < SECRET_BYTES; i++)
    g_snprintf (room->secret + 2 * i, 3, "%02x", secret[i]);
  room->title = g_steal_pointer (&title);
  room->summary = summary ? g_steal_pointer (&summary) : g_strdup ("");
  room->cover = cover && *cover ? g_strdup (cover) : NULL;
  room->host_name = g_steal_pointer (&name);
  room->host = peer;
  room->members = g_hash_table_new (g_str_hash, g_str_equal);
  room->listed = listed;
  room->k1 = (guint) k1;
  room->started_usec = g_get_real_time ();
  now = g_date_time_new_from_unix_utc (room->started_usec / G_USEC_PER_SEC);
  room->started = g_date_time_format_iso8601 (now);
  g_hash_table_insert (self->rooms, room->id, room);
  peer->room = room;
  g_debug ("%s created room %s", peer->id, room->id);

  reply = canopy_signal_message_new ("room-created");
  json_object_set_string_member (reply, "room", room->id);
  json_object_set_string_member (reply, "secret", room->secret);
  canopy_signal_peer_send (peer, reply);
  canopy_signal_server_notify_rooms (self);
  if (room->listed)
    canopy_signal_room_changed (room, FALSE);
  return TRUE;
}

static gboolean
handle_update_room (CanopySignalServer *self,
                    Peer               *peer,
                    JsonObject         *message,
                    GError            **error)
{
  g_autofree char *title = NULL;
  g_autofree char *summary = NULL;
  g_autoptr (JsonObject) reply = NULL;
  const char *cover = NULL;
  gint64 viewers = -1;
  gint64 depth = -1;
  gboolean listed;
  gboolean was_listed;
  gboolean changed = FALSE;
  Room *room = get_room_with_secret (self, message, error);

  if (room == NULL)
    return FALSE;
  listed = room->listed;
  if (!get_display_string (message, "title", CANOPY_TITLE_CHARS, FALSE, FALSE, &title,
                           error) ||
      !get_display_string (message, "summary", CANOPY_SUMMARY_CHARS, FALSE, TRUE,
                           &summary, error) ||
      !canopy_signal_get_cover (message, &cover, error) ||
      !canopy_json_get_bool (message, "listed", FALSE, &listed, error) ||
      !canopy_json_get_int (message, "viewers", 0, CANOPY_VIEWERS_MAX, FALSE, &viewers, error) ||
      !canopy_json_get_int (message, "depth", 0, CANOPY_DIRECTORY_DEPTH_MAX, FALSE, &depth, error))
    return FALSE;

  /* Nothing is applied until every member has been checked. */
  if (title != NULL && !g_str_equal (title, room->title)) {
    g_free (room->title);
    room->title = g_steal_pointer (&title);
    changed = TRUE;
  }
  if (summary != NULL && !g_str_equal (summary, room->summary)) {
    g_free (room->summary);
    room->summary = g_steal_pointer (&summary);
    changed = TRUE;
  }
  if (cover != NULL && g_strcmp0 (*cover ? cover : NULL, room->cover) != 0) {
    g_free (room->cover);
    room->cover = *cover ? g_strdup (cover) : NULL;
    changed = TRUE;
  }
  if (viewers >= 0 && (guint) viewers != room->viewers) {
    room->viewers = (guint) viewers;
    changed = TRUE;
  }
  if (depth >= 0 && (guint) depth != room->depth) {
    room->depth = (guint) depth;
    changed = TRUE;
  }
  was_listed = room->listed;
  room->listed = listed;
  if (changed || was_listed != listed)
    canopy_signal_room_changed (room, was_listed);

  reply = canopy_signal_room_message_new ("room-updated", room);
  canopy_signal_peer_send (peer, reply);
  return TRUE;
}

static gboolean
handle_close_room (CanopySignalServer *self,
                   Peer               *peer,
                   JsonObject         *message,
                   GError            **error)
{
  Room *room = get_room_with_secret (self, message, error);
  g_autoptr (JsonObject) reply = NULL;
  gboolean outsider;

  if (room == NULL)
    return FALSE;
  /* Whoever holds the secret may close the room, and always hears back. */
  outsider = peer->room != room;
  if (outsider) {
    reply = canopy_signal_message_new ("room-closed");
    json_object_set_string_member (reply, "room", room->id);
    json_object_set_string_member (reply, "reason", "host-ended");
  }
  room_close (room, "host-ended", TRUE);
  if (outsider)
    canopy_signal_peer_send (peer, reply);
  return TRUE;
}

static gboolean
handle_subscribe (CanopySignalServer *self,
                  Peer               *peer,
                  JsonObject         *message,
                  GError            **error)
{
  g_autofree char *text = NULL;

  g_hash_table_add (self->subscribers, peer);
  text = g_strdup_printf ("{\"type\":\"rooms\",\"rooms\":%s}",
                          canopy_signal_server_get_directory (self));
  canopy_signal_peer_send_text (peer, text);
  return TRUE;
}

static gboolean
handle_unsubscribe (CanopySignalServer *self,
                    Peer               *peer,
                    JsonObject         *message,
                    GError            **error)
{
  g_hash_table_remove (self->subscribers, peer);
  return TRUE;
}

static gboolean
handle_join (CanopySignalServer *self,
             Peer               *peer,
             JsonObject         *message,
             GError            **error)
{
  g_autofree char *name = NULL;
  g_autoptr (JsonObject) request = NULL;
  gint64 capacity = 0;
  Room *room = get_room (self, message, error);

  if (room == NULL)
    return FALSE;
  /* A member may ask again for a place in its own room (after `refused`); nothing else. */
  if (peer->room != NULL && (peer->room != room || room->host == peer))
    return already_in_room (error);
  if (!get_display_string (message, "name", CANOPY_NAME_CHARS, TRUE, FALSE, &name, error) ||
      !canopy_json_get_int (message, "capacity", 0, CANOPY_CAPACITY_MAX, TRUE, &capacity, error))
    return FALSE;

  g_free (peer->name);
  peer->name = g_steal_pointer (&name);
  peer->capacity = (guint) capacity;
  if (peer->room == NULL) {
    peer->room = room;
    g_hash_table_insert (room->members, peer->id, peer);
    g_debug ("%s joins room %s", peer->id, room->id);
  }
  request = canopy_signal_message_new ("join-request");
  json_object_set_string_member (request, "peer", peer->id);
  json_object_set_string_member (request, "name", peer->name);
  json_object_set_int_member (request, "capacity", peer->capacity);
  canopy_signal_peer_send (room->host, request);
  return TRUE;
}

static gboolean
handle_place (CanopySignalServer *self,
              Peer               *peer,
              JsonObject         *message,
              GError            **error)
{
  g_autoptr (JsonObject) placed = NULL;
  g_autoptr (JsonObject) attach = NULL;
  Room *room = peer->room;
  Peer *child;
  Peer *parent;

  if (room == NULL)
    return not_in_room (error);
  if (room->host != peer)
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Only the room's host places peers");
  if ((child = get_room_peer (room, message, "peer", error)) == NULL ||
      (parent = get_room_peer (room, message, "parent", error)) == NULL)
    return FALSE;
  if (child == room->host)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE, "The host cannot be placed");
  if (child == parent)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "A peer cannot be its own parent");

  placed = canopy_signal_message_new ("placed");
  json_object_set_string_member (placed, "room", room->id);
  json_object_set_string_member (placed, "parent", parent->id);
  canopy_signal_peer_send (child, placed);
  attach = canopy_signal_message_new ("attach");
  json_object_set_string_member (attach, "child", child->id);
  json_object_set_string_member (attach, "name", child->name);
  json_object_set_int_member (attach, "capacity", child->capacity);
  canopy_signal_peer_send (parent, attach);
  return TRUE;
}

static gboolean
handle_refuse (CanopySignalServer *self,
               Peer               *peer,
               JsonObject         *message,
               GError            **error)
{
  g_autoptr (JsonObject) refused = NULL;
  Room *room = peer->room;
  Peer *child;

  if (room == NULL)
    return not_in_room (error);
  if ((child = get_room_peer (room, message, "child", error)) == NULL)
    return FALSE;
  if (child == peer || child == room->host)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "Member \"child\" cannot be refused");
  refused = canopy_signal_message_new ("refused");
  json_object_set_string_member (refused, "parent", peer->id);
  canopy_signal_peer_send (child, refused);
  return TRUE;
}

static gboolean
handle_signal (CanopySignalServer *self,
               Peer               *peer,
               JsonObject         *message,
               GError            **error)
{
  g_autoptr (JsonObject) relayed = NULL;
  JsonObject *data = NULL;
  Room *room = peer->room;
  Peer *to;

  if (room == NULL)
    return not_in_room (error);
  if (!canopy_json_get_object (message, "data", TRUE, &data, error) ||
      (to = get_room_peer (room, message, "to", error)) == NULL)
    return FALSE;
  /* Only `data` is passed on; `from` is always the sender's connection. */
  relayed = canopy_signal_message_new ("signal");
  json_object_set_string_member (relayed, "from", peer->id);
  json_object_set_object_member (relayed, "data", json_object_ref (data));
  canopy_signal_peer_send (to, relayed);
  return TRUE;
}

static gboolean
handle_leave (CanopySignalServer *self,
              Peer               *peer,
              JsonObject         *message,
              GError            **error)
{
  if (peer->room == NULL)
    return not_in_room (error);
  room_leave (peer);
  return TRUE;
}

typedef gboolean (*Handler) (CanopySignalServer *self,
                  Peer                          *peer,
                  JsonObject                    *message,
                  GError                       **error);

static const struct {
  const char *type;
  Handler handle;
} handlers[] = {
  { "ping", handle_ping },
  { "create-room", handle_create_room },
  { "update-room", handle_update_room },
  { "close-room", handle_close_room },
  { "subscribe", handle_subscribe },
  { "unsubscribe", handle_unsubscribe },
  { "join", handle_join },
  { "place", handle_place },
  { "refuse", handle_refuse },
  { "signal", handle_signal },
  { "leave", handle_leave },
};

/**
 * canopy_signal_server_dispatch: (skip)
 * @self: a server
 * @peer: the sender
 * @type: the message's type
 * @message: the parsed message, otherwise unchecked
 * @error: return location for a #CanopyError to send back
 *
 * Returns: whether the message was valid and acted on
 */
gboolean
canopy_signal_server_dispatch (CanopySignalServer *self,
                               CanopySignalPeer   *peer,
                               const char         *type,
                               JsonObject         *message,
                               GError            **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (g_str_equal (handlers[i].type, type))
      return handlers[i].handle (self, peer, message, error);
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_TYPE, "Unknown message type \"%s\"",
               type);
  return FALSE;
}
