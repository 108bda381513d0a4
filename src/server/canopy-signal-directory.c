/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* The room directory: the listed rooms as JSON, and the updates its subscribers hear. */

#include "canopy-signal-server-private.h"

#include <string.h>

/* A host may report its viewer count often; subscribers hear about a room at most this often,
 * since every entry can carry a 64 KiB cover. */
#define BROADCAST_INTERVAL_USEC G_USEC_PER_SEC

static JsonObject *
room_entry_new (CanopySignalRoom *room)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "room", room->id);
  json_object_set_string_member (entry, "title", room->title);
  json_object_set_string_member (entry, "summary", room->summary);
  if (room->cover != NULL)
    json_object_set_string_member (entry, "cover", room->cover);
  json_object_set_string_member (entry, "host", room->host_name);
  json_object_set_int_member (entry, "viewers", room->viewers);
  json_object_set_int_member (entry, "depth", room->depth);
  json_object_set_string_member (entry, "started", room->started);
  /* Whether the room takes newcomers, and needs a password from them; never the password. */
  if (room->locked)
    json_object_set_boolean_member (entry, "locked", TRUE);
  if (room->password != NULL)
    json_object_set_boolean_member (entry, "password", TRUE);
  return entry;
}

JsonObject *
canopy_signal_room_message_new (const char       *type,
                                CanopySignalRoom *room)
{
  JsonObject *message = canopy_signal_message_new (type);

  json_object_set_object_member (message, "room", room_entry_new (room));
  return message;
}

static int
compare_rooms (gconstpointer a,
               gconstpointer b)
{
  const CanopySignalRoom *ra = a;
  const CanopySignalRoom *rb = b;

  if (ra->started_usec != rb->started_usec)
    return ra->started_usec < rb->started_usec ? -1 : 1;
  return strcmp (ra->id, rb->id);
}

/**
 * canopy_signal_server_get_directory: (skip)
 * @self: a server
 *
 * Returns: (transfer none): the listed rooms as a JSON array, oldest first
 */
const char *
canopy_signal_server_get_directory (CanopySignalServer *self)
{
  if (self->directory == NULL) {
    g_autoptr (JsonArray) entries = json_array_new ();
    g_autoptr (JsonNode) node = NULL;
    GList *rooms = g_list_sort (g_hash_table_get_values (self->rooms), compare_rooms);

    for (GList *l = rooms; l != NULL; l = l->next) {
      CanopySignalRoom *room = l->data;

      if (room->listed)
        json_array_add_object_element (entries, room_entry_new (room));
    }
    g_list_free (rooms);
    node = json_node_init_array (json_node_alloc (), entries);
    self->directory = json_to_string (node, FALSE);
  }
  return self->directory;
}

static void
broadcast (CanopySignalServer *self,
           JsonObject         *message)
{
  g_autofree char *text = canopy_json_to_string (message);
  GHashTableIter iter;
  gpointer peer;

  g_hash_table_iter_init (&iter, self->subscribers);
  while (g_hash_table_iter_next (&iter, &peer, NULL))
    canopy_signal_peer_send_text (peer, text);
}

static void
room_broadcast_update (CanopySignalRoom *room)
{
  g_autoptr (JsonObject) message = canopy_signal_room_message_new ("room-updated", room);

  room->broadcast_at = g_get_monotonic_time ();
  broadcast (room->server, message);
}

static gboolean
on_room_broadcast (gpointer user_data)
{
  CanopySignalRoom *room = user_data;

  g_clear_pointer (&room->broadcast, g_source_unref);
  room_broadcast_update (room);
  return G_SOURCE_REMOVE;
}

/* Tells subscribers about a change to @room, which was listed or not before it. */
void
canopy_signal_room_changed (CanopySignalRoom *room,
                            gboolean          was_listed)
{
  CanopySignalServer *self = room->server;
  gint64 wait;

  if (!was_listed && !room->listed)
    return;
  g_clear_pointer (&self->directory, g_free);
  if (was_listed != room->listed) {
    g_autoptr (JsonObject) message = NULL;

    canopy_signal_source_clear (&room->broadcast);
    if (room->listed) {
      message = canopy_signal_room_message_new ("room-added", room);
    } else {
      message = canopy_signal_message_new ("room-removed");
      json_object_set_string_member (message, "room", room->id);
    }
    broadcast (self, message);
    return;
  }
  if (room->broadcast != NULL)
    return;
  wait = room->broadcast_at + BROADCAST_INTERVAL_USEC - g_get_monotonic_time ();
  if (wait <= 0)
    room_broadcast_update (room);
  else
    room->broadcast = canopy_signal_server_add_timeout (self, (guint) (wait / 1000) + 1,
                                                        on_room_broadcast, room);
}
