/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoom"

#include "canopy-room.h"
#include "canopy-room-private.h"

#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-statement.h"
#include "canopy-ids.h"

#include <string.h>

/*
 * The room as one node knows it: the node map (the host writes it, from facts it can check:
 * see canopy-room-ledger.c; a viewer holds the last one its parent sent, checked against the
 * host's signature) and the chat. No I/O: the node sends what this returns.
 */

#define CHAT_ORIGINS 4096

G_DEFINE_FINAL_TYPE (CanopyRoom, canopy_room, G_TYPE_OBJECT)

static void
canopy_room_dispose (GObject *object)
{
  CanopyRoom *self = CANOPY_ROOM (object);

  g_clear_object (&self->map);
  g_clear_object (&self->chat);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->mutes, json_object_unref);
  canopy_room_ledger_clear (self);
  G_OBJECT_CLASS (canopy_room_parent_class)->dispose (object);
}

static void
canopy_room_finalize (GObject *object)
{
  CanopyRoom *self = CANOPY_ROOM (object);

  g_free (self->peer_id);
  g_free (self->name);
  g_free (self->room_id);
  g_free (self->host_id);
  g_free (self->map_key);
  g_free (self->map_sig);
  g_hash_table_unref (self->muted);
  G_OBJECT_CLASS (canopy_room_parent_class)->finalize (object);
}

static void
canopy_room_class_init (CanopyRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = canopy_room_dispose;
  object_class->finalize = canopy_room_finalize;
}

static void
canopy_room_init (CanopyRoom *self)
{
  self->muted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * canopy_room_new:
 * @host: whether this node hosts the room (and writes its map)
 * @identity: this node's identity: its peer id, and on the host the key maps are signed with
 * @name: this node's display name
 * @capacity: the children this node takes (the host's k1)
 *
 * Returns: (transfer full): the room state of one node
 */
CanopyRoom *
canopy_room_new (gboolean        host,
                 CanopyIdentity *identity,
                 const char     *name,
                 guint           capacity)
{
  CanopyRoom *self = g_object_new (CANOPY_TYPE_ROOM, NULL);

  g_return_val_if_fail (CANOPY_IS_IDENTITY (identity), self);

  self->host = host;
  self->identity = g_object_ref (identity);
  self->peer_id = g_strdup (canopy_identity_get_id (identity));
  self->name = g_strdup (name);
  self->capacity = capacity;
  self->chat = canopy_chat_new (self->peer_id, CHAT_ORIGINS, CANOPY_CHAT_HISTORY);
  if (host) {
    self->host_id = g_strdup (self->peer_id);
    self->map = canopy_node_map_new (self->peer_id, name, capacity);
    self->map_synced = TRUE;
    canopy_room_ledger_init (self);
  }
  return self;
}

/**
 * canopy_room_set_room_id:
 * @self: a room
 * @room_id: the room's ID
 *
 * Maps and statements are signed for one room; the host signs its map from now on.
 */
void
canopy_room_set_room_id (CanopyRoom *self,
                         const char *room_id)
{
  g_return_if_fail (CANOPY_IS_ROOM (self));
  if (g_strcmp0 (self->room_id, room_id) == 0)
    return;
  g_free (self->room_id);
  self->room_id = g_strdup (room_id);
  if (self->host)
    canopy_room_sign_map (self);
}

const char *
canopy_room_get_room_id (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);
  return self->room_id;
}

/**
 * canopy_room_set_host:
 * @self: a viewer's room
 * @host_id: the host's peer id, as the server told it: only its signature makes a map
 */
void
canopy_room_set_host (CanopyRoom *self,
                      const char *host_id)
{
  g_return_if_fail (CANOPY_IS_ROOM (self));
  if (self->host || g_strcmp0 (self->host_id, host_id) == 0)
    return;
  g_free (self->host_id);
  self->host_id = g_strdup (host_id);
  /* A map another host signed is no map of this room. */
  self->map_synced = FALSE;
}

const char *
canopy_room_get_host (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);
  return self->host_id;
}

/**
 * canopy_room_get_map:
 * @self: a room
 *
 * Returns: (transfer none) (nullable): the room's map as this node knows it
 */
CanopyNodeMap *
canopy_room_get_map (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);
  return self->map;
}

/**
 * canopy_room_has_map:
 * @self: a room
 *
 * Returns: whether the map is a whole, current one (children may be sent it)
 */
gboolean
canopy_room_has_map (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  return self->map != NULL && self->map_synced && self->map_sig != NULL;
}

/**
 * canopy_room_get_chat:
 * @self: a room
 *
 * Returns: (transfer none): the chat: dedupe, per-origin order and history
 */
CanopyChat *
canopy_room_get_chat (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);
  return self->chat;
}

/**
 * canopy_room_get_depth:
 * @self: a room
 *
 * Returns: this node's depth in the map (the host is 0), or -1 when the map lacks it
 */
int
canopy_room_get_depth (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), -1);
  if (self->host)
    return 0;
  return self->map != NULL ? canopy_node_map_get_depth (self->map, self->peer_id) : -1;
}

/**
 * canopy_room_get_map_parent:
 * @self: a room
 *
 * Returns: (nullable): this node's parent as the map shows it
 */
const char *
canopy_room_get_map_parent (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);
  return self->map != NULL ? canopy_node_map_get_parent (self->map, self->peer_id) : NULL;
}

/**
 * canopy_room_in_own_subtree:
 * @self: a room
 * @id: a peer id
 *
 * Returns: whether @id is this node or below it in the map
 */
gboolean
canopy_room_in_own_subtree (CanopyRoom *self,
                            const char *id)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  return g_strcmp0 (id, self->peer_id) == 0 ||
         (self->map != NULL && canopy_node_map_contains (self->map, self->peer_id) &&
          canopy_node_map_contains (self->map, id) &&
          canopy_node_map_is_ancestor (self->map, self->peer_id, id));
}

/**
 * canopy_room_is_ancestor:
 * @self: a room
 * @id: a peer id
 *
 * Returns: whether the map shows @id above this node (taking it as a child makes a cycle)
 */
gboolean
canopy_room_is_ancestor (CanopyRoom *self,
                         const char *id)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  return self->map != NULL && canopy_node_map_contains (self->map, self->peer_id) &&
         canopy_node_map_is_ancestor (self->map, id, self->peer_id);
}

static void
set_signature (CanopyRoom *self,
               JsonObject *message)
{
  g_free (self->map_key);
  self->map_key = g_strdup (json_object_get_string_member (message, "key"));
  g_free (self->map_sig);
  self->map_sig = g_strdup (json_object_get_string_member (message, "sig"));
}

/**
 * canopy_room_full_map_message:
 * @self: a room
 *
 * Returns: (transfer full) (nullable): the whole map as a `map` message for a child, with the
 *   host's signature for its version, or %NULL while this node has no whole, signed map
 */
JsonObject *
canopy_room_full_map_message (CanopyRoom *self)
{
  JsonObject *message;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);

  if (!canopy_room_has_map (self))
    return NULL;
  message = json_object_new ();
  json_object_set_string_member (message, "type", "map");
  json_object_set_int_member (message, "version", (gint64) canopy_node_map_get_version (self->map));
  json_object_set_object_member (message, "nodesMap", canopy_node_map_to_json (self->map, NULL));
  json_object_set_string_member (message, "key", self->map_key);
  json_object_set_string_member (message, "sig", self->map_sig);
  return message;
}

/* Whether @map (at @version) is what the host signed in @message. */
static gboolean
check_signed (CanopyRoom    *self,
              JsonObject    *message,
              CanopyNodeMap *map,
              guint64        version,
              GError       **error)
{
  g_autofree char *digest = NULL;

  if (g_strcmp0 (canopy_node_map_get_root (map), self->host_id) != 0) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN, "The map's root is not the host");
    return FALSE;
  }
  digest = canopy_node_map_digest (map);
  return canopy_host_check (message, CANOPY_DOMAIN_MAP, self->room_id, self->host_id, version,
                            digest, error);
}

/**
 * canopy_room_apply_map:
 * @self: a viewer's room
 * @message: an untrusted `map` message from the parent
 * @full: (out): whether it was a whole map (children start over from it)
 * @need_sync: (out): whether the parent must be asked for the whole map
 * @forged: (out): whether it is not what the host signed (the parent altered it)
 *
 * Applies @message only when the map it makes is the one the host signed for its version.
 *
 * Returns: %TRUE when the map changed (pass @message on to the children)
 */
gboolean
canopy_room_apply_map (CanopyRoom *self,
                       JsonObject *message,
                       gboolean   *full,
                       gboolean   *need_sync,
                       gboolean   *forged)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyNodeMap) map = NULL;
  JsonObject *nodes = NULL;
  JsonArray *ops = NULL;
  gint64 version = 0;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);

  *full = FALSE;
  *need_sync = FALSE;
  *forged = FALSE;
  if (!canopy_json_get_int (message, "version", 0, G_MAXINT64, TRUE, &version, &error) ||
      !canopy_json_get_object (message, "nodesMap", FALSE, &nodes, &error) ||
      !canopy_json_get_array (message, "ops", CANOPY_MAP_OPS_MAX, FALSE, &ops, &error)) {
    g_message ("Bad map from the parent: %s", error->message);
    return FALSE;
  }
  if (nodes != NULL) {
    map = canopy_node_map_new_from_json (nodes, CANOPY_TREE_NODES_MAX, &error);
    if (map == NULL) {
      g_message ("Bad map from the parent: %s", error->message);
      return FALSE;
    }
  } else if (ops != NULL) {
    if (!self->map_synced || self->map == NULL ||
        (guint64) version != canopy_node_map_get_version (self->map) + 1) {
      self->map_synced = FALSE;
      *need_sync = TRUE;
      return FALSE;
    }
    /* Changed on a copy: ours stays as it was unless the result is the host's. */
    map = canopy_node_map_copy (self->map);
    if (!canopy_node_map_apply (map, ops, CANOPY_TREE_NODES_MAX, &error)) {
      g_message ("Map ops from the parent do not apply: %s", error->message);
      self->map_synced = FALSE;
      *need_sync = TRUE;
      return FALSE;
    }
  } else {
    return FALSE;
  }
  if (!check_signed (self, message, map, (guint64) version, &error)) {
    g_message ("Refusing a map from the parent: %s", error->message);
    *forged = TRUE;
    if (ops != NULL) {
      self->map_synced = FALSE;
      *need_sync = TRUE;
    }
    return FALSE;
  }
  canopy_node_map_set_version (map, (guint64) version);
  g_set_object (&self->map, map);
  set_signature (self, message);
  if (nodes != NULL) {
    self->map_synced = TRUE;
    *full = TRUE;
  }
  return TRUE;
}

/**
 * canopy_room_lose_map:
 * @self: a viewer's room
 *
 * The parent is gone: until the next one sends a whole map, ours is only for show.
 */
void
canopy_room_lose_map (CanopyRoom *self)
{
  g_return_if_fail (CANOPY_IS_ROOM (self));
  if (!self->host)
    self->map_synced = FALSE;
}

/* --- the mute list --- */

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* SHA-256 over the ids, sorted, each followed by a NUL byte: what the host signs. */
static char *
mutes_digest (GPtrArray *ids)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_ptr_array_sort (ids, compare_ids);
  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);

    g_checksum_update (checksum, (const guchar *) id, (gssize) strlen (id) + 1);
  }
  return g_strdup (g_checksum_get_string (checksum));
}

/**
 * canopy_room_set_muted:
 * @self: the host's room
 * @id: a peer id
 * @muted: whether nobody passes on its chat from now on
 *
 * Returns: (transfer full) (nullable): the new `mutes` message for the children (the whole
 *   list, versioned and signed), or %NULL when nothing changed or the list is full
 */
JsonObject *
canopy_room_set_muted (CanopyRoom *self,
                       const char *id,
                       gboolean    muted)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  g_autofree char *digest = NULL;
  JsonArray *list = json_array_new ();
  JsonObject *message;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, NULL);

  if (self->room_id == NULL || g_strcmp0 (id, self->peer_id) == 0 ||
      muted == g_hash_table_contains (self->muted, id) ||
      (muted && g_hash_table_size (self->muted) >= CANOPY_MUTES_MAX)) {
    json_array_unref (list);
    return NULL;
  }
  if (muted) {
    g_hash_table_add (self->muted, g_strdup (id));
  } else {
    g_hash_table_remove (self->muted, id);
    /* What it said while muted went nowhere: its next message starts its stream again. */
    canopy_chat_forget_origin (self->chat, id);
  }
  self->mutes_version++;
  g_hash_table_iter_init (&iter, self->muted);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, key);
  digest = mutes_digest (ids);
  for (guint i = 0; i < ids->len; i++)
    json_array_add_string_element (list, g_ptr_array_index (ids, i));
  message = json_object_new ();
  json_object_set_string_member (message, "type", "mutes");
  json_object_set_int_member (message, "version", (gint64) self->mutes_version);
  json_object_set_array_member (message, "ids", list);
  canopy_host_sign (message, self->identity, CANOPY_DOMAIN_MUTES, self->room_id,
                    self->mutes_version, digest);
  g_clear_pointer (&self->mutes, json_object_unref);
  self->mutes = json_object_ref (message);
  return message;
}

/**
 * canopy_room_apply_mutes:
 * @self: a viewer's room
 * @message: an untrusted `mutes` message from the parent
 * @forged: (out): whether it is not what the host signed
 *
 * Returns: %TRUE when it is the host's and newer than ours (pass it on to the children)
 */
gboolean
canopy_room_apply_mutes (CanopyRoom *self,
                         JsonObject *message,
                         gboolean   *forged)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  g_autofree char *digest = NULL;
  JsonArray *list = NULL;
  gint64 version = 0;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);

  *forged = FALSE;
  if (self->host ||
      !canopy_json_get_int (message, "version", 1, G_MAXINT64, TRUE, &version, &error) ||
      !canopy_json_get_array (message, "ids", CANOPY_MUTES_MAX, TRUE, &list, &error)) {
    if (error != NULL)
      g_message ("Bad mute list from the parent: %s", error->message);
    return FALSE;
  }
  for (guint i = 0; i < json_array_get_length (list); i++) {
    JsonNode *node = json_array_get_element (list, i);

    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
        !canopy_text_is_id (json_node_get_string (node), CANOPY_PEER_ID_CHARS)) {
      g_message ("Bad mute list from the parent: not peer ids");
      return FALSE;
    }
    g_ptr_array_add (ids, (gpointer) json_node_get_string (node));
  }
  digest = mutes_digest (ids);
  if (!canopy_host_check (message, CANOPY_DOMAIN_MUTES, self->room_id, self->host_id,
                          (guint64) version, digest, &error)) {
    g_message ("Refusing a mute list from the parent: %s", error->message);
    *forged = TRUE;
    return FALSE;
  }
  if ((guint64) version <= self->mutes_version)
    return FALSE;
  self->mutes_version = (guint64) version;
  {
    g_autoptr (GHashTable) before = g_steal_pointer (&self->muted);
    GHashTableIter iter;
    gpointer key;

    self->muted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < ids->len; i++)
      g_hash_table_add (self->muted, g_strdup (g_ptr_array_index (ids, i)));
    /* Unmuted: what it said meanwhile went nowhere, its next message starts its stream. */
    g_hash_table_iter_init (&iter, before);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_hash_table_contains (self->muted, key))
        canopy_chat_forget_origin (self->chat, key);
  }
  g_clear_pointer (&self->mutes, json_object_unref);
  self->mutes = json_object_ref (message);
  return TRUE;
}

/**
 * canopy_room_get_mutes_message:
 * @self: a room
 *
 * Returns: (transfer none) (nullable): the host's signed mute list as last known, for a new
 *   child; %NULL when the host never muted anybody
 */
JsonObject *
canopy_room_get_mutes_message (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);
  return self->mutes;
}

/**
 * canopy_room_is_muted:
 * @self: a room
 * @id: a peer id
 *
 * Returns: whether the host muted @id: its chat is neither shown nor passed on
 */
gboolean
canopy_room_is_muted (CanopyRoom *self,
                      const char *id)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  return id != NULL && g_hash_table_contains (self->muted, id);
}
