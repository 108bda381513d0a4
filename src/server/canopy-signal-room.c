/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* Rooms and their messages: create, update and close a room; join, place, refuse, signal, leave;
 * names made unique in a room. Placements, reject, report and edge are in canopy-signal-heal.c,
 * resume in canopy-signal-resume.c, kick, lock and who gets in in canopy-signal-moderation.c. */

#include "canopy-signal-server-private.h"

#include "canopy-text.h"

#include <string.h>

#define SECRET_BYTES (CANOPY_SECRET_HEX_CHARS / 2)
#define K1_DEFAULT 4

/* Everything here runs on the server's main context; every member of every message is
 * untrusted. */

typedef CanopySignalRoom Room;
typedef CanopySignalPeer Peer;

/* A display string: at most @max_chars characters, then sanitized and trimmed. */
gboolean
canopy_signal_get_display_string (JsonObject *message,
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
CanopySignalPeer *
canopy_signal_get_room_peer (CanopySignalRoom *room,
                             JsonObject       *message,
                             const char       *member,
                             GError          **error)
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

/* --- names --- */

/* What names are compared as: "Ana", "ANA" and "Ａna" (a fullwidth A) are one name. */
static char *
name_key (const char *name)
{
  g_autofree char *normalized = g_utf8_normalize (name, -1, G_NORMALIZE_NFKC);

  return g_utf8_casefold (normalized != NULL ? normalized : name, -1);
}

static void
names_add (GHashTable *names,
           const char *name,
           int         delta)
{
  char *key = name_key (name);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (names, key));

  g_assert (delta > 0 || n > 0);
  n += delta;
  if (n == 0)
    g_hash_table_remove (names, key);
  else
    g_hash_table_replace (names, g_steal_pointer (&key), GUINT_TO_POINTER (n));
  g_free (key);
}

/**
 * canopy_signal_member_set_name: (skip)
 * @room: @member's room (the room it joins or resumes)
 * @member: a member of @room, or a connection becoming one
 * @name: (transfer full) (nullable): its name from now on, from canopy_signal_room_free_name()
 *
 * Replaces @member's name; @room keeps count of the names in use.
 */
void
canopy_signal_member_set_name (CanopySignalRoom *room,
                               CanopySignalPeer *member,
                               char             *name)
{
  if (member->name != NULL)
    names_add (room->names, member->name, -1);
  g_free (member->name);
  member->name = name;
  if (name != NULL)
    names_add (room->names, name, +1);
}

/**
 * canopy_signal_room_free_name: (skip)
 * @room: a room
 * @member: the member (or joiner) the name is for; its own current name is not in the way
 * @name: a display name, sanitized
 *
 * Settles a clash: a name that is, once compatibility-normalized (NFKC) and case-folded, the
 * host's or another member's gets the first free suffix of " (2)", " (3)", ..., after its base
 * cut to keep the whole within CANOPY_NAME_CHARS characters (on a character boundary, cleaned
 * again, trailing spaces removed).
 *
 * Returns: (transfer full): @name, or a free name made of it
 */
char *
canopy_signal_room_free_name (CanopySignalRoom *room,
                              CanopySignalPeer *member,
                              const char       *name)
{
  g_autofree char *own = member->room == room && member->name ? name_key (member->name) : NULL;

  /* Each number makes another key (it ends the name): one of the first n + 1 of them is free. */
  for (guint n = 1;; n++) {
    g_autofree char *suffix = n > 1 ? g_strdup_printf (" (%u)", n) : g_strdup ("");
    glong room_for = CANOPY_NAME_CHARS - (glong) strlen (suffix);
    g_autofree char *base = NULL;
    g_autofree char *candidate = NULL;
    g_autofree char *key = NULL;
    guint holders;

    if (g_utf8_strlen (name, -1) > room_for) {
      g_autofree char *cut = g_strndup (name, g_utf8_offset_to_pointer (name, room_for) - name);

      /* The cut may have left a joiner or half a flag's tag sequence at the end. */
      base = canopy_text_sanitize (cut);
      g_strchomp (base);
    } else {
      base = g_strdup (name);
    }
    candidate = g_strconcat (base, suffix, NULL);
    key = name_key (candidate);
    holders = GPOINTER_TO_UINT (g_hash_table_lookup (room->names, key));
    if (own != NULL && g_str_equal (own, key))
      holders--;
    if (holders == 0)
      return g_steal_pointer (&candidate);
  }
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

gboolean
canopy_signal_secret_equal (const char *given,
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
  if (!canopy_signal_secret_equal (secret, room->secret)) {
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
  g_queue_clear (&room->pending);
  g_hash_table_unref (room->members);
  g_hash_table_unref (room->children);
  g_hash_table_unref (room->names);
  canopy_signal_id_set_clear (&room->banned);
  canopy_signal_id_set_clear (&room->departed);
  g_free (room->password);
  g_free (room->id);
  g_free (room->secret);
  g_free (room->title);
  g_free (room->summary);
  g_free (room->cover);
  g_free (room->host_name);
  g_free (room->started);
  g_free (room);
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
  GList *members = g_hash_table_get_values (room->members);

  g_debug ("Room %s closed: %s", room->id, reason);
  json_object_set_string_member (message, "room", room->id);
  json_object_set_string_member (message, "reason", reason);
  text = canopy_json_to_string (message);
  for (GList *l = members; l != NULL; l = l->next) {
    canopy_signal_peer_send_text (l->data, text);
    canopy_signal_member_remove (l->data);
  }
  g_list_free (members);
  if (tell_host)
    canopy_signal_peer_send_text (room->host, text);
  room->host->room = NULL;

  if (room->listed) {
    room->listed = FALSE;
    canopy_signal_room_changed (room, TRUE);
  }
  /* A host only lost to us is likely back in a moment: newcomers meanwhile are told to retry. */
  if (g_str_equal (reason, "host-lost")) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->lost_rooms);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (*(gint64 *) value < g_get_monotonic_time ())
        g_hash_table_iter_remove (&iter);
  }
  if (g_str_equal (reason, "host-lost") &&
      g_hash_table_size (self->lost_rooms) < self->max_rooms) {
    gint64 *deadline = g_new (gint64, 1);

    *deadline = g_get_monotonic_time () + CANOPY_HOST_WAIT_MS * (gint64) 1000;
    g_hash_table_replace (self->lost_rooms, g_strdup (room->id), deadline);
  }
  g_hash_table_remove (self->rooms, room->id);
  canopy_signal_server_notify_rooms (self);
}

/* @peer leaves its room: a member is forgotten and the tree around it told, a host closes the
 * room. A peer that was only lost to the server (it answered no pings: the network between us
 * may have failed while the tree streams on) leaves quietly: a member's neighbours are not told
 * (their own heartbeats judge it), and a host's room closes as "host-lost", which members wait
 * out: the host comes back and resumes it. */
static void
room_leave (Peer *peer)
{
  Room *room = peer->room;

  if (room->host == peer) {
    room_close (room, peer->lost ? "host-lost" : "host-left", FALSE);
    return;
  }
  /* It may come back by `resume`, also while the room is locked. */
  canopy_signal_id_set_add (&room->departed, peer->id);
  if (peer->lost)
    canopy_signal_member_remove (peer);
  else
    canopy_signal_member_left (room, peer);
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

/**
 * canopy_signal_room_quota_check: (skip)
 * @self: a server
 * @host: a connection about to open a room
 * @error: return location for a #CanopyError
 *
 * Returns: whether the server may have one more room, and @host's address one more
 *   (`server-full` otherwise)
 */
gboolean
canopy_signal_room_quota_check (CanopySignalServer *self,
                                CanopySignalPeer   *host,
                                GError            **error)
{
  GHashTableIter iter;
  gpointer value;
  guint mine = 0;

  if (g_hash_table_size (self->rooms) >= self->max_rooms) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_SERVER_FULL,
                 "The server already has %u rooms", self->max_rooms);
    return FALSE;
  }
  g_hash_table_iter_init (&iter, self->rooms);
  while (host->address != NULL && g_hash_table_iter_next (&iter, NULL, &value))
    mine += g_strcmp0 (((Room *) value)->host->address, host->address) == 0;
  if (mine >= self->max_rooms_per_address) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_SERVER_FULL,
                 "Your address already hosts %u rooms on this server", mine);
    return FALSE;
  }
  return TRUE;
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

/**
 * canopy_signal_room_settings_parse: (skip)
 * @message: a `create-room` or a host's `resume`
 * @settings: (out caller-allocates): where to put what @message asks for
 * @error: return location for a #CanopyError
 *
 * Returns: whether @message's title, summary, cover, password, listed and k1 are all right
 */
gboolean
canopy_signal_room_settings_parse (JsonObject               *message,
                                   CanopySignalRoomSettings *settings,
                                   GError                  **error)
{
  const char *cover = NULL;
  const char *password = NULL;
  gint64 k1 = K1_DEFAULT;

  settings->listed = TRUE;
  if (!canopy_signal_get_display_string (message, "title", CANOPY_TITLE_CHARS, TRUE, FALSE,
                                         &settings->title, error) ||
      !canopy_signal_get_display_string (message, "summary", CANOPY_SUMMARY_CHARS, FALSE, TRUE,
                                         &settings->summary, error) ||
      !canopy_signal_get_cover (message, &cover, error) ||
      !canopy_signal_get_password (message, FALSE, &password, error) ||
      !canopy_json_get_bool (message, "listed", FALSE, &settings->listed, error) ||
      !canopy_json_get_int (message, "k1", 1, CANOPY_CAPACITY_MAX, FALSE, &k1, error))
    return FALSE;
  settings->cover = cover && *cover ? g_strdup (cover) : NULL;
  settings->password = g_strdup (password);
  settings->k1 = (guint) k1;
  return TRUE;
}

void
canopy_signal_room_settings_clear (CanopySignalRoomSettings *settings)
{
  g_clear_pointer (&settings->title, g_free);
  g_clear_pointer (&settings->summary, g_free);
  g_clear_pointer (&settings->cover, g_free);
  g_clear_pointer (&settings->password, g_free);
  g_clear_pointer (&settings->banned, g_ptr_array_unref);
}

/**
 * canopy_signal_room_open: (skip)
 * @self: a server with room for one more room
 * @host: a connection in no room
 * @id: (nullable): the room ID, unused; %NULL for a new random one
 * @secret: (nullable): the host secret; %NULL for a new random one
 * @host_name: (transfer full): the host's display name
 * @settings: the room's settings, taken
 *
 * Opens a room hosted by @host, with the password, lock and removed ids of @settings (a room
 * opened again under its old @id lets every member resume for CANOPY_HOST_WAIT_MS). The caller
 * announces it (canopy_signal_room_announce()) once it has answered @host.
 *
 * Returns: (transfer none): the room
 */
CanopySignalRoom *
canopy_signal_room_open (CanopySignalServer       *self,
                         CanopySignalPeer         *host,
                         const char               *id,
                         const char               *secret,
                         char                     *host_name,
                         CanopySignalRoomSettings *settings)
{
  g_autoptr (GDateTime) now = NULL;
  Room *room = g_new0 (Room, 1);

  g_assert (host->room == NULL);
  g_assert (id == NULL || !g_hash_table_contains (self->rooms, id));
  if (id != NULL)
    g_hash_table_remove (self->lost_rooms, id);
  room->server = self;
  room->id = g_strdup (id);
  while (room->id == NULL || g_hash_table_contains (self->rooms, room->id)) {
    g_free (room->id);
    room->id = canopy_signal_random_id (CANOPY_ROOM_ID_CHARS);
  }
  if (secret != NULL) {
    room->secret = g_strdup (secret);
  } else {
    guint8 bytes[SECRET_BYTES];

    canopy_signal_random_bytes (bytes, sizeof bytes);
    room->secret = g_malloc (SECRET_BYTES * 2 + 1);
    for (guint i = 0; i < SECRET_BYTES; i++)
      g_snprintf (room->secret + 2 * i, 3, "%02x", bytes[i]);
  }
  room->title = g_steal_pointer (&settings->title);
  room->summary = settings->summary ? g_steal_pointer (&settings->summary) : g_strdup ("");
  room->cover = g_steal_pointer (&settings->cover);
  room->host_name = host_name;
  room->host = host;
  room->members = g_hash_table_new (g_str_hash, g_str_equal);
  room->children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_hash_table_unref);
  g_queue_init (&room->pending);
  room->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  names_add (room->names, host_name, +1);
  room->password = g_steal_pointer (&settings->password);
  room->locked = settings->locked;
  canopy_signal_id_set_init (&room->banned, CANOPY_BANNED_MAX);
  for (guint i = 0; settings->banned != NULL && i < settings->banned->len; i++)
    canopy_signal_id_set_add (&room->banned, g_ptr_array_index (settings->banned, i));
  canopy_signal_id_set_init (&room->departed, CANOPY_ROOM_DEPARTED_MAX);
  /* The server knew its members before, and knows none now: they come back by resume. */
  if (id != NULL)
    room->reopened_until = g_get_monotonic_time () + CANOPY_HOST_WAIT_MS * (gint64) 1000;
  room->listed = settings->listed;
  room->k1 = settings->k1;
  room->started_usec = g_get_real_time ();
  now = g_date_time_new_from_unix_utc (room->started_usec / G_USEC_PER_SEC);
  room->started = g_date_time_format_iso8601 (now);
  g_hash_table_insert (self->rooms, room->id, room);
  host->room = room;
  g_debug ("%s opened room %s", host->id, room->id);
  return room;
}

/* Tells the n-rooms property and the directory about a room just opened. */
void
canopy_signal_room_announce (CanopySignalRoom *room)
{
  canopy_signal_server_notify_rooms (room->server);
  if (room->listed)
    canopy_signal_room_changed (room, FALSE);
}

static gboolean
handle_create_room (CanopySignalServer *self,
                    Peer               *peer,
                    JsonObject         *message,
                    GError            **error)
{
  g_auto (CanopySignalRoomSettings) settings = { 0 };
  g_autofree char *name = NULL;
  g_autoptr (JsonObject) reply = NULL;
  Room *room;

  if (peer->room != NULL)
    return already_in_room (error);
  if (!canopy_signal_room_settings_parse (message, &settings, error) ||
      !canopy_signal_get_display_string (message, "name", CANOPY_NAME_CHARS, TRUE, FALSE, &name,
                                         error))
    return FALSE;
  if (!canopy_signal_room_quota_check (self, peer, error))
    return FALSE;

  room = canopy_signal_room_open (self, peer, NULL, NULL, g_steal_pointer (&name), &settings);
  reply = canopy_signal_message_new ("room-created");
  json_object_set_string_member (reply, "room", room->id);
  json_object_set_string_member (reply, "secret", room->secret);
  canopy_signal_peer_send (peer, reply);
  canopy_signal_room_announce (room);
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
  const char *password = NULL;
  gint64 viewers = -1;
  gint64 depth = -1;
  gboolean listed;
  gboolean was_listed;
  gboolean changed = FALSE;
  Room *room = get_room_with_secret (self, message, error);

  if (room == NULL)
    return FALSE;
  listed = room->listed;
  if (!canopy_signal_get_display_string (message, "title", CANOPY_TITLE_CHARS, FALSE, FALSE,
                                         &title, error) ||
      !canopy_signal_get_display_string (message, "summary", CANOPY_SUMMARY_CHARS, FALSE, TRUE,
                                         &summary, error) ||
      !canopy_signal_get_cover (message, &cover, error) ||
      !canopy_signal_get_password (message, TRUE, &password, error) ||
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
  if (password != NULL) {
    /* The directory shows only whether there is one. */
    changed |= (*password != '\0') != (room->password != NULL);
    g_free (room->password);
    room->password = *password ? g_strdup (password) : NULL;
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

  canopy_signal_peer_settle (peer);
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

/* `avoid`: the parents a joiner refuses, each a well-formed peer id. Sets @out to a copy, or
 * to NULL when there are none. */
static gboolean
get_avoid (JsonObject *message,
           JsonArray **out,
           GError    **error)
{
  g_autoptr (JsonArray) avoid = NULL;
  JsonArray *given = NULL;

  if (!canopy_json_get_array (message, "avoid", CANOPY_AVOID_MAX, FALSE, &given, error))
    return FALSE;
  for (guint i = 0; given != NULL && i < json_array_get_length (given); i++) {
    JsonNode *node = json_array_get_element (given, i);
    const char *id;

    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
        !canopy_text_is_id ((id = json_node_get_string (node)), CANOPY_PEER_ID_CHARS))
      return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                      "Member \"avoid\" must hold peer ids only");
    if (avoid == NULL)
      avoid = json_array_new ();
    json_array_add_string_element (avoid, id);
  }
  *out = g_steal_pointer (&avoid);
  return TRUE;
}

/* Each join that reaches the host costs it work, and each password tried could be the right one:
 * CANOPY_JOIN_BURST at once, then one a second. */
static gboolean
take_join_token (Peer    *peer,
                 GError **error)
{
  gint64 now = g_get_monotonic_time ();

  peer->join_tokens = MIN ((double) CANOPY_JOIN_BURST,
                           peer->join_tokens + (double) (now - peer->join_refilled_at) /
                                                 (CANOPY_JOIN_REFILL_MS * 1000.0));
  peer->join_refilled_at = now;
  if (peer->join_tokens < 1.0) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_RATE_LIMITED,
                 "More than %d joins at once or one a second: join dropped", CANOPY_JOIN_BURST);
    return FALSE;
  }
  peer->join_tokens -= 1.0;
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
  g_autoptr (JsonArray) avoid = NULL;
  const char *password = NULL;
  const char *refusal;
  gint64 capacity = 0;
  guint waiting;
  Room *room = get_room (self, message, error);

  if (room == NULL) {
    const char *text = NULL;
    g_autofree char *id = NULL;
    gint64 *deadline;

    /* A room whose host was lost a moment ago: not gone, not back yet. */
    canopy_json_get_string (message, "room", CANOPY_ROOM_INPUT_CHARS, TRUE, &text, NULL);
    id = text ? canopy_room_id_normalize (text) : NULL;
    deadline = id ? g_hash_table_lookup (self->lost_rooms, id) : NULL;
    if (deadline != NULL && *deadline > g_get_monotonic_time () && peer->room == NULL) {
      g_clear_error (error);
      canopy_signal_reject_joiner (peer, "retry");
      return TRUE;
    }
    return FALSE;
  }
  /* A member may ask again for a place in its own room (after `refused`, or when its parent
   * left or went silent); nothing else. */
  if (peer->room != NULL && (peer->room != room || room->host == peer))
    return already_in_room (error);
  if (!canopy_signal_get_display_string (message, "name", CANOPY_NAME_CHARS, TRUE, FALSE, &name,
                                         error) ||
      !canopy_json_get_int (message, "capacity", 0, CANOPY_CAPACITY_MAX, TRUE, &capacity, error) ||
      !get_avoid (message, &avoid, error) ||
      !canopy_signal_get_password (message, FALSE, &password, error))
    return FALSE;
  /* The room's rules, before anything else, and so without a word to its host: a removed key,
   * then a locked room (neither tells a joiner anything it does not know). The password only
   * after the join budget, which bounds how fast anybody can guess it. */
  refusal = canopy_signal_room_refusal (room, peer);
  if (refusal != NULL) {
    g_debug ("%s: join of room %s refused (%s)", peer->id, room->id, refusal);
    canopy_signal_reject_joiner (peer, refusal);
    return TRUE;
  }
  if (!take_join_token (peer, error))
    return FALSE;
  if (!canopy_signal_room_password_ok (room, peer, password)) {
    g_debug ("%s: join of room %s refused (password)", peer->id, room->id);
    canopy_signal_reject_joiner (peer, "password");
    return TRUE;
  }
  /* The host answers joins one by one: a flood of joiners (many connections, few joins each)
   * waits outside the room rather than in its host's queue. A member's join replaces its own. */
  waiting = canopy_signal_room_count_pending (room);
  if (peer->join_pending_until != 0)
    waiting--;
  if (waiting >= CANOPY_ROOM_PENDING_JOINS_MAX) {
    g_debug ("%s: room %s has %u joins waiting for its host", peer->id, room->id, waiting);
    canopy_signal_reject_joiner (peer, "retry");
    return TRUE;
  }

  canopy_signal_member_set_name (room, peer, canopy_signal_room_free_name (room, peer, name));
  peer->capacity = (guint) capacity;
  if (peer->room == NULL) {
    peer->room = room;
    g_hash_table_insert (room->members, peer->id, peer);
    g_debug ("%s joins room %s", peer->id, room->id);
  } else {
    /* Placed again: until the host answers, it is under nobody (its children stay with it). */
    canopy_signal_member_set_parent (room, peer, NULL);
  }
  canopy_signal_member_set_pending (peer, TRUE);
  request = canopy_signal_message_new ("join-request");
  json_object_set_string_member (request, "peer", peer->id);
  json_object_set_string_member (request, "name", peer->name);
  json_object_set_int_member (request, "capacity", peer->capacity);
  if (avoid != NULL)
    json_object_set_array_member (request, "avoid", g_steal_pointer (&avoid));
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
  if ((child = canopy_signal_get_room_peer (room, message, "peer", error)) == NULL)
    return FALSE;
  if ((parent = canopy_signal_get_room_peer (room, message, "parent", error)) == NULL) {
    /* The host's map is ahead of us (the parent has not resumed yet) or behind (it left):
     * the joiner asks again rather than wait for an answer that will not come. */
    if (child != room->host)
      canopy_signal_reject_joiner (child, "retry");
    return FALSE;
  }
  if (child == room->host)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE, "The host cannot be placed");
  if (child == parent)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "A peer cannot be its own parent");

  canopy_signal_member_set_parent (room, child, parent->id);
  canopy_signal_member_set_pending (child, FALSE);
  /* The host's id: whose signature the room's maps carry. The name: the child's, settled. */
  placed = canopy_signal_message_new ("placed");
  json_object_set_string_member (placed, "room", room->id);
  json_object_set_string_member (placed, "parent", parent->id);
  json_object_set_string_member (placed, "host", room->host->id);
  json_object_set_string_member (placed, "name", child->name);
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
  if ((child = canopy_signal_get_room_peer (room, message, "child", error)) == NULL)
    return FALSE;
  if (child == peer || child == room->host)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "Member \"child\" cannot be refused");
  /* Only the parent the host placed it under may refuse a child (nobody may shake a viewer
   * loose from a parent that is not theirs). */
  if (g_strcmp0 (child->parent, peer->id) != 0)
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Only the child's parent refuses it");
  /* The placement did not happen: the refuser's leaving is no news to the child. */
  canopy_signal_member_set_parent (room, child, NULL);
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
      (to = canopy_signal_get_room_peer (room, message, "to", error)) == NULL)
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

/* Only what browses the directory is open to a connection that did not say hello: every room
 * is made of peers with keys. */
static const struct {
  const char *type;
  Handler handle;
  gboolean anonymous;
} handlers[] = {
  { "ping", handle_ping, TRUE },
  { "hello", canopy_signal_handle_hello, TRUE },
  { "subscribe", handle_subscribe, TRUE },
  { "unsubscribe", handle_unsubscribe, TRUE },
  { "create-room", handle_create_room, FALSE },
  { "update-room", handle_update_room, FALSE },
  { "close-room", handle_close_room, FALSE },
  { "join", handle_join, FALSE },
  { "place", handle_place, FALSE },
  { "refuse", handle_refuse, FALSE },
  { "signal", handle_signal, FALSE },
  { "leave", handle_leave, FALSE },
  { "reject", canopy_signal_handle_reject, FALSE },
  { "report", canopy_signal_handle_report, FALSE },
  { "edge", canopy_signal_handle_edge, FALSE },
  { "resume", canopy_signal_handle_resume, FALSE },
  { "kick", canopy_signal_handle_kick, FALSE },
  { "lock", canopy_signal_handle_lock, FALSE },
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
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++) {
    if (!g_str_equal (handlers[i].type, type))
      continue;
    if (!handlers[i].anonymous && !peer->identified)
      return canopy_signal_set_error (error, CANOPY_ERROR_NOT_IDENTIFIED, "Say hello first");
    return handlers[i].handle (self, peer, message, error);
  }
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_TYPE, "Unknown message type \"%s\"",
               type);
  return FALSE;
}
