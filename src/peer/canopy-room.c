/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoom"

#include "canopy-room.h"

#include "canopy-error.h"
#include "canopy-json.h"

/*
 * The room as one node knows it: the node map (the host's is authoritative, a viewer's is the
 * last one its parent sent), what this node last reported about its own subtree, the chat, and
 * on the host the places promised to joiners. No I/O: the node sends what this returns.
 */

/* A place the host promised but that never attached is given back after this: longer than a
 * joiner waits for its parent to connect (CANOPY_CONNECT_TIMEOUT_MS). */
#define PENDING_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* A node reported silent gets no newcomers for this long, doubled at each report after the
 * first (a relay that hung once comes back soon, one that stays a black hole gets fewer and
 * fewer children to lose): 10 s, 20 s, ... at most 10 s << AVOID_MAX_DOUBLINGS (~11 min). */
#define AVOID_US (10 * G_USEC_PER_SEC)
#define AVOID_MAX_DOUBLINGS 6
#define CHAT_ORIGINS 4096

typedef struct {
  char *parent;
  gint64 deadline;
} Pending;

typedef struct {
  gint64 deadline;
  guint strikes;               /* silence reports so far */
} Avoided;

struct _CanopyRoom {
  GObject parent_instance;

  gboolean host;
  char *peer_id;
  char *name;
  guint capacity;

  CanopyNodeMap *map;          /* the whole room as last known */
  gboolean map_synced;         /* a viewer's map is a whole one its parent sent */
  CanopyNodeMap *reported;     /* what the parent last heard about our subtree */
  guint64 report_seq;
  GHashTable *pending;         /* host: joiner id -> Pending */
  GHashTable *avoided;         /* host: id -> Avoided, nodes no newcomer goes under */
  CanopyChat *chat;
};

G_DEFINE_FINAL_TYPE (CanopyRoom, canopy_room, G_TYPE_OBJECT)

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_free (pending->parent);
  g_free (pending);
}

static void
canopy_room_dispose (GObject *object)
{
  CanopyRoom *self = CANOPY_ROOM (object);

  g_clear_object (&self->map);
  g_clear_object (&self->reported);
  g_clear_object (&self->chat);
  G_OBJECT_CLASS (canopy_room_parent_class)->dispose (object);
}

static void
canopy_room_finalize (GObject *object)
{
  CanopyRoom *self = CANOPY_ROOM (object);

  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->avoided);
  g_free (self->peer_id);
  g_free (self->name);
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
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  self->avoided = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * canopy_room_new:
 * @host: whether this node hosts the room (and holds its authoritative map)
 * @peer_id: this node's peer id
 * @name: this node's display name
 * @capacity: the children this node takes (the host's k1)
 *
 * Returns: (transfer full): the room state of one node
 */
CanopyRoom *
canopy_room_new (gboolean    host,
                 const char *peer_id,
                 const char *name,
                 guint       capacity)
{
  CanopyRoom *self = g_object_new (CANOPY_TYPE_ROOM, NULL);

  self->host = host;
  self->peer_id = g_strdup (peer_id);
  self->name = g_strdup (name);
  self->capacity = capacity;
  self->chat = canopy_chat_new (peer_id, CHAT_ORIGINS, CANOPY_CHAT_HISTORY);
  if (host) {
    self->map = canopy_node_map_new (peer_id, name, capacity);
    self->map_synced = TRUE;
  }
  return self;
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
  return self->map != NULL && self->map_synced;
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
 * Returns: whether @id is this node or below it, as last reported to the parent
 */
gboolean
canopy_room_in_own_subtree (CanopyRoom *self,
                            const char *id)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  return g_strcmp0 (id, self->peer_id) == 0 ||
         (self->reported != NULL && canopy_node_map_contains (self->reported, id));
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

/**
 * canopy_room_compose:
 * @self: a room
 * @children: (element-type CanopyLink): the child links, in attach order
 *
 * Returns: (transfer full): this node's subtree as known now: itself plus what every child
 *   reported; a child claiming nodes that are elsewhere keeps its place but not its claims
 */
CanopyNodeMap *
canopy_room_compose (CanopyRoom *self,
                     GPtrArray  *children)
{
  CanopyNodeMap *map;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);

  map = canopy_node_map_new (self->peer_id, self->name, self->capacity);
  for (guint i = 0; i < children->len; i++) {
    CanopyLink *child = g_ptr_array_index (children, i);
    const char *id = canopy_link_get_peer_id (child);
    CanopyNodeMap *subtree = canopy_link_get_subtree (child);
    g_autoptr (JsonObject) json = NULL;
    g_autoptr (GError) error = NULL;

    if (subtree == NULL)
      continue;
    json = canopy_node_map_to_json (subtree, NULL);
    if (!canopy_node_map_graft (map, self->peer_id, json, CANOPY_TREE_NODES_MAX, &error)) {
      g_message ("Ignoring the subtree of %s: %s", id, error->message);
      if (!canopy_node_map_contains (map, id))
        canopy_node_map_add (map, self->peer_id, id, canopy_link_get_name (child),
                             canopy_link_get_capacity (child), NULL);
    }
  }
  return map;
}

/**
 * canopy_room_publish:
 * @self: the host's room
 * @composed: the tree as just composed
 *
 * Makes @composed the room's map. Places the host promised are fulfilled once the child shows
 * up in it.
 *
 * Returns: (transfer full) (nullable): the `map` message with the change as ops and the new
 *   version, or %NULL when nothing changed
 */
JsonObject *
canopy_room_publish (CanopyRoom    *self,
                     CanopyNodeMap *composed)
{
  g_autoptr (JsonArray) ops = NULL;
  JsonObject *message;
  GHashTableIter iter;
  gpointer key;
  guint64 version;

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, NULL);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (canopy_node_map_contains (composed, key))
      g_hash_table_iter_remove (&iter);

  ops = canopy_node_map_diff (self->map, composed);
  if (json_array_get_length (ops) == 0)
    return NULL;
  version = canopy_node_map_get_version (self->map) + 1;
  canopy_node_map_set_version (composed, version);
  g_set_object (&self->map, composed);

  message = json_object_new ();
  json_object_set_string_member (message, "type", "map");
  json_object_set_int_member (message, "version", (gint64) version);
  json_object_set_array_member (message, "ops", g_steal_pointer (&ops));
  return message;
}

/**
 * canopy_room_report:
 * @self: a viewer's room
 * @composed: its subtree as just composed
 *
 * The whole subtree once per parent, then the changes as ops.
 *
 * Returns: (transfer full) (nullable): the `subtree` message for the parent, or %NULL when
 *   nothing changed
 */
JsonObject *
canopy_room_report (CanopyRoom    *self,
                    CanopyNodeMap *composed)
{
  JsonObject *message;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), NULL);

  message = json_object_new ();
  json_object_set_string_member (message, "type", "subtree");
  if (self->reported == NULL) {
    json_object_set_object_member (message, "full", canopy_node_map_to_json (composed, NULL));
  } else {
    g_autoptr (JsonArray) ops = canopy_node_map_diff (self->reported, composed);

    if (json_array_get_length (ops) == 0) {
      json_object_unref (message);
      return NULL;
    }
    json_object_set_array_member (message, "ops", g_steal_pointer (&ops));
  }
  json_object_set_int_member (message, "seq", (gint64) ++self->report_seq);
  g_set_object (&self->reported, composed);
  return message;
}

/**
 * canopy_room_forget_report:
 * @self: a viewer's room
 *
 * The parent is new or asked again: the next report is the whole subtree.
 */
void
canopy_room_forget_report (CanopyRoom *self)
{
  g_return_if_fail (CANOPY_IS_ROOM (self));
  g_clear_object (&self->reported);
  self->report_seq = 0;
}

/**
 * canopy_room_full_map_message:
 * @self: a room
 *
 * Returns: (transfer full) (nullable): the whole map as a `map` message for a child, or %NULL
 *   while this node has no whole map
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
  return message;
}

/**
 * canopy_room_apply_map:
 * @self: a viewer's room
 * @message: an untrusted `map` message from the parent
 * @full: (out): whether it was a whole map (children start over from it)
 * @need_sync: (out): whether the parent must be asked for the whole map
 *
 * Returns: %TRUE when the map changed (pass @message on to the children)
 */
gboolean
canopy_room_apply_map (CanopyRoom *self,
                       JsonObject *message,
                       gboolean   *full,
                       gboolean   *need_sync)
{
  g_autoptr (GError) error = NULL;
  JsonObject *nodes = NULL;
  JsonArray *ops = NULL;
  gint64 version = 0;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);

  *full = FALSE;
  *need_sync = FALSE;
  if (!canopy_json_get_int (message, "version", 0, G_MAXINT64, TRUE, &version, &error) ||
      !canopy_json_get_object (message, "nodesMap", FALSE, &nodes, &error) ||
      !canopy_json_get_array (message, "ops", CANOPY_MAP_OPS_MAX, FALSE, &ops, &error)) {
    g_message ("Bad map from the parent: %s", error->message);
    return FALSE;
  }
  if (nodes != NULL) {
    g_autoptr (CanopyNodeMap) map = canopy_node_map_new_from_json (nodes, CANOPY_TREE_NODES_MAX,
                                                                   &error);

    if (map == NULL) {
      g_message ("Bad map from the parent: %s", error->message);
      return FALSE;
    }
    canopy_node_map_set_version (map, (guint64) version);
    g_set_object (&self->map, map);
    self->map_synced = TRUE;
    *full = TRUE;
    return TRUE;
  }
  if (ops == NULL)
    return FALSE;
  if (!self->map_synced || (guint64) version != canopy_node_map_get_version (self->map) + 1) {
    self->map_synced = FALSE;
    *need_sync = TRUE;
    return FALSE;
  }
  /* apply is all-or-nothing: a failed batch leaves the map as it was. */
  if (!canopy_node_map_apply (self->map, ops, CANOPY_TREE_NODES_MAX, &error)) {
    g_message ("Map ops from the parent do not apply: %s", error->message);
    self->map_synced = FALSE;
    *need_sync = TRUE;
    return FALSE;
  }
  canopy_node_map_set_version (self->map, (guint64) version);
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

/**
 * canopy_room_place:
 * @self: the host's room
 * @joiner: the peer asking to join
 * @k1: children the host takes
 * @k: the most children any viewer takes
 * @avoid: (nullable) (array zero-terminated=1): parents the joiner refuses (they went silent)
 *
 * Returns: (transfer full) (nullable): the parent for @joiner: the shallowest node with a
 *   free slot, counting places promised but not attached yet, outside the joiner's own
 *   subtree and the subtrees of nodes reported silent; %NULL when there is none
 */
char *
canopy_room_place (CanopyRoom         *self,
                   const char         *joiner,
                   guint               k1,
                   guint               k,
                   const char * const *avoid)
{
  g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) exclude = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  char *parent;

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, NULL);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Pending *p = value;

    if (p->deadline < now || g_str_equal (key, joiner)) {
      g_hash_table_iter_remove (&iter);
      continue;
    }
    g_hash_table_insert (counts, p->parent,
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                                                                                  p->parent)) +
                                           1));
  }
  g_hash_table_add (exclude, (gpointer) joiner);
  for (guint i = 0; avoid != NULL && avoid[i] != NULL; i++)
    g_hash_table_add (exclude, (gpointer) avoid[i]);
  g_hash_table_iter_init (&iter, self->avoided);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (((Avoided *) value)->deadline >= now)
      g_hash_table_add (exclude, key);
  }
  /* The host never is: a joiner cannot refuse the room's source. */
  g_hash_table_remove (exclude, self->peer_id);
  parent = canopy_node_map_place_excluding (self->map, counts, k1, k, exclude);
  if (parent != NULL) {
    Pending *p = g_new0 (Pending, 1);

    p->parent = g_strdup (parent);
    p->deadline = now + PENDING_TIMEOUT_US;
    g_hash_table_replace (self->pending, g_strdup (joiner), p);
  }
  return parent;
}

/**
 * canopy_room_has_pending:
 * @self: the host's room
 *
 * Returns: whether places are promised to joiners still connecting (a full room may have a
 *   place again soon)
 */
gboolean
canopy_room_has_pending (CanopyRoom *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  return g_hash_table_size (self->pending) > 0;
}

/**
 * canopy_room_avoid:
 * @self: the host's room
 * @id: a node that left, or was reported silent by one of its children
 * @strike: whether this is a silence report (each one doubles the time)
 *
 * Places no newcomer under @id or its subtree for a while: 10 s, and after repeated silence
 * reports twice as long each time (the count is kept for the room's life, a few bytes a node).
 */
void
canopy_room_avoid (CanopyRoom *self,
                   const char *id,
                   gboolean    strike)
{
  Avoided *avoided;
  gint64 until;

  g_return_if_fail (CANOPY_IS_ROOM (self));

  avoided = g_hash_table_lookup (self->avoided, id);
  if (avoided == NULL) {
    if (g_hash_table_size (self->avoided) >= CANOPY_AVOIDED_MAX)
      return;
    avoided = g_new0 (Avoided, 1);
    g_hash_table_insert (self->avoided, g_strdup (id), avoided);
  }
  until = g_get_monotonic_time () + (AVOID_US << MIN (avoided->strikes, AVOID_MAX_DOUBLINGS));
  avoided->deadline = MAX (avoided->deadline, until);
  if (strike)
    avoided->strikes++;
}

/**
 * canopy_room_is_avoided:
 * @self: the host's room
 * @id: a node
 *
 * Returns: whether no newcomer goes under @id now
 */
gboolean
canopy_room_is_avoided (CanopyRoom *self,
                        const char *id)
{
  Avoided *avoided;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), FALSE);
  avoided = g_hash_table_lookup (self->avoided, id);
  return avoided != NULL && avoided->deadline >= g_get_monotonic_time ();
}

/**
 * canopy_room_forget_place:
 * @self: the host's room
 * @joiner: a peer that left the server
 *
 * Gives back the place promised to @joiner, if any.
 */
void
canopy_room_forget_place (CanopyRoom *self,
                          const char *joiner)
{
  g_return_if_fail (CANOPY_IS_ROOM (self));
  g_hash_table_remove (self->pending, joiner);
}

/**
 * canopy_room_chat_is_forged:
 * @self: a room
 * @from: the link a chat message came through
 * @origin: the origin it claims
 *
 * A child can only speak for its own subtree, a parent for the rest of the room.
 *
 * Returns: whether the tree shows @origin on the other side of @from
 */
gboolean
canopy_room_chat_is_forged (CanopyRoom *self,
                            CanopyLink *from,
                            const char *origin)
{
  CanopyNodeMap *subtree;

  g_return_val_if_fail (CANOPY_IS_ROOM (self), TRUE);

  if (canopy_link_get_kind (from) == CANOPY_LINK_TO_PARENT)
    return canopy_room_in_own_subtree (self, origin);
  if (g_strcmp0 (origin, canopy_link_get_peer_id (from)) == 0)
    return FALSE;
  subtree = canopy_link_get_subtree (from);
  if (subtree != NULL && canopy_node_map_contains (subtree, origin))
    return FALSE;
  return self->map != NULL && canopy_node_map_contains (self->map, origin);
}
