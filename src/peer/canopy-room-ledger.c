/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoom"

#include "canopy-room.h"
#include "canopy-room-private.h"

#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-statement.h"

/*
 * The host's side of the room: the only writer of the map. It places joiners, and a placed
 * joiner enters the map only when both ends of its edge said so in signed statements (the
 * child "attach", the parent "adopt"); a parent's "drop" and the server's departure notices
 * take nodes out. Nobody can add, rename, move or claim any node but through these facts.
 *
 * The ledger is the host's tree of confirmed edges. A node whose edge broke while it lives
 * (its parent dropped it, or died) keeps its own subtree under a hidden node for a while, so
 * that when it attaches elsewhere its whole subtree comes with it; the published map is the
 * ledger without that hidden part, versioned and signed.
 */

/* A place the host promised but that never attached is given back after this: longer than a
 * joiner waits for its parent to connect (CANOPY_CONNECT_MEDIA_TIMEOUT_MS at the most). */
#define PENDING_TIMEOUT_US ((CANOPY_CONNECT_MEDIA_TIMEOUT_MS + 2000) * (gint64) 1000)
/* A detached subtree that does not attach again within this is forgotten. */
#define LIMBO_US (30 * G_USEC_PER_SEC)
/* A node reported silent gets no newcomers for this long, doubled at each report after the
 * first (a relay that hung once comes back soon, one that stays a black hole gets fewer and
 * fewer children to lose): 10 s, 20 s, ... at most 10 s << AVOID_MAX_DOUBLINGS (~11 min). */
#define AVOID_US (10 * G_USEC_PER_SEC)
#define AVOID_MAX_DOUBLINGS 6
/* A relay's capacity statements count at most once a second each: a relay judges its upload
 * over several seconds, so more is noise or an attempt to make the host publish map after map. */
#define CAPACITY_INTERVAL_US G_USEC_PER_SEC

typedef struct {
  char *parent;
  char *name;
  guint capacity;
  gint64 deadline;
  gboolean child_said;         /* the joiner's "attach" came */
  gboolean parent_said;        /* the parent's "adopt" came */
} Pending;

typedef struct {
  gint64 deadline;
  guint strikes;               /* silence reports so far */
} Avoided;

typedef struct {
  guint capacity;              /* what the relay said its upload sustains */
  gint64 said_at;              /* when (monotonic µs) */
} Measured;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_free (pending->parent);
  g_free (pending->name);
  g_free (pending);
}

void
canopy_room_ledger_init (CanopyRoom *self)
{
  self->ledger = canopy_node_map_copy (self->map);
  canopy_node_map_add (self->ledger, self->peer_id, CANOPY_ROOM_LIMBO, "", 0, NULL);
  self->limbo = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->last_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  self->avoided = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->declared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->measured = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
canopy_room_ledger_clear (CanopyRoom *self)
{
  g_clear_object (&self->ledger);
  g_clear_pointer (&self->limbo, g_hash_table_unref);
  g_clear_pointer (&self->last_seq, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->avoided, g_hash_table_unref);
  g_clear_pointer (&self->declared, g_hash_table_unref);
  g_clear_pointer (&self->measured, g_hash_table_unref);
}

/* The children @id takes: what it declared when it joined (@declared), or fewer when its own
 * measurement said so. */
static guint
effective_capacity (CanopyRoom *self,
                    const char *id,
                    guint       declared)
{
  Measured *measured = g_hash_table_lookup (self->measured, id);

  return measured != NULL ? MIN (declared, measured->capacity) : declared;
}

/* Signs the map's current version (the host's own). */
void
canopy_room_sign_map (CanopyRoom *self)
{
  g_autoptr (JsonObject) signed_ = json_object_new ();
  g_autofree char *digest = NULL;

  if (self->room_id == NULL)
    return;
  digest = canopy_node_map_digest (self->map);
  canopy_host_sign (signed_, self->identity, CANOPY_DOMAIN_MAP, self->room_id,
                    canopy_node_map_get_version (self->map), digest);
  g_free (self->map_key);
  self->map_key = g_strdup (json_object_get_string_member (signed_, "key"));
  g_free (self->map_sig);
  self->map_sig = g_strdup (json_object_get_string_member (signed_, "sig"));
}

/* --- the ledger --- */

static void
to_limbo (CanopyRoom *self,
          const char *id,
          gint64      now)
{
  gint64 *deadline;

  if (!canopy_node_map_move (self->ledger, id, CANOPY_ROOM_LIMBO, NULL))
    return;
  deadline = g_new (gint64, 1);
  *deadline = now + LIMBO_US;
  g_hash_table_replace (self->limbo, g_strdup (id), deadline);
}

static void
expire (CanopyRoom *self,
        gint64      now)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->limbo);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    const char *parent = canopy_node_map_get_parent (self->ledger, key);

    /* Gone meanwhile, or attached again. */
    if (g_strcmp0 (parent, CANOPY_ROOM_LIMBO) != 0) {
      g_hash_table_iter_remove (&iter);
    } else if (*(gint64 *) value < now) {
      canopy_node_map_remove (self->ledger, key, NULL);
      g_hash_table_iter_remove (&iter);
    }
  }
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (((Pending *) value)->deadline < now)
      g_hash_table_iter_remove (&iter);
  }
}

/* Both ends confirmed the edge the host placed: @child (with the subtree the ledger knows
 * under it, wherever it was) goes under @parent. */
static gboolean
commit (CanopyRoom *self,
        const char *child,
        Pending    *pending)
{
  g_autoptr (GError) error = NULL;
  const char *parent = pending->parent;

  if (!canopy_node_map_contains (self->ledger, parent)) {
    g_message ("%s attached to %s, which is gone", child, parent);
    return FALSE;
  }
  if (canopy_node_map_contains (self->ledger, child)) {
    if (g_strcmp0 (canopy_node_map_get_parent (self->ledger, child), parent) != 0 &&
        !canopy_node_map_move (self->ledger, child, parent, &error)) {
      g_message ("Cannot move %s under %s: %s", child, parent, error->message);
      return FALSE;
    }
    g_hash_table_remove (self->limbo, child);
    return canopy_node_map_set (self->ledger, child, pending->name,
                                effective_capacity (self, child, pending->capacity), NULL);
  }
  if (canopy_node_map_get_size (self->ledger) >= CANOPY_TREE_NODES_MAX) {
    g_message ("The room is at its size limit: %s stays out of the map", child);
    return FALSE;
  }
  return canopy_node_map_add (self->ledger, parent, child, pending->name,
                              effective_capacity (self, child, pending->capacity), NULL);
}

/* One end of the placed edge @child -> @parent said it stands. */
static gboolean
confirm (CanopyRoom *self,
         const char *child,
         const char *parent,
         gboolean    from_child)
{
  Pending *pending = g_hash_table_lookup (self->pending, child);
  gboolean changed;

  if (pending == NULL || g_strcmp0 (pending->parent, parent) != 0) {
    g_debug ("%s -> %s was not placed (or is done)", child, parent);
    return FALSE;
  }
  if (from_child)
    pending->child_said = TRUE;
  else
    pending->parent_said = TRUE;
  if (!pending->child_said || !pending->parent_said)
    return FALSE;
  changed = commit (self, child, pending);
  g_hash_table_remove (self->pending, child);
  return changed;
}

/* @parent says @child is no longer its child: the child keeps its subtree, out of the map. */
static gboolean
drop (CanopyRoom *self,
      const char *parent,
      const char *child)
{
  Pending *pending = g_hash_table_lookup (self->pending, child);

  if (pending != NULL && g_strcmp0 (pending->parent, parent) == 0)
    pending->parent_said = FALSE;
  if (g_strcmp0 (canopy_node_map_get_parent (self->ledger, child), parent) != 0)
    return FALSE;
  to_limbo (self, child, g_get_monotonic_time ());
  return TRUE;
}

/* @peer says its upload sustains @capacity children. Only ever lower than what it declared when
 * it joined (a relay cannot talk itself into more children than it asked for), at most once a
 * second; the node's capacity in the map follows when it is in it. */
static gboolean
set_measured (CanopyRoom *self,
              const char *peer,
              guint       capacity)
{
  gpointer declared_value = NULL;
  Measured *measured;
  guint declared;
  gint64 now = g_get_monotonic_time ();
  CanopyNodeMap *ledger = self->ledger;

  if (g_strcmp0 (peer, self->peer_id) == 0 ||
      !g_hash_table_lookup_extended (self->declared, peer, NULL, &declared_value)) {
    g_message ("Ignoring a capacity statement from %s: it never joined", peer);
    return FALSE;
  }
  declared = GPOINTER_TO_UINT (declared_value);
  if (capacity > declared) {
    g_message ("Ignoring %s's capacity %u: more than the %u it declared when it joined", peer,
               capacity, declared);
    return FALSE;
  }
  measured = g_hash_table_lookup (self->measured, peer);
  if (measured != NULL && now - measured->said_at < CAPACITY_INTERVAL_US) {
    g_message ("Ignoring %s's capacity %u: too soon after its last one", peer, capacity);
    return FALSE;
  }
  if (measured == NULL) {
    if (g_hash_table_size (self->measured) >= 2 * CANOPY_AVOIDED_MAX)
      g_hash_table_remove_all (self->measured);
    measured = g_new0 (Measured, 1);
    g_hash_table_insert (self->measured, g_strdup (peer), measured);
  }
  measured->capacity = capacity;
  measured->said_at = now;
  g_message ("%s measured its upload: %u children (declared %u)", peer, capacity, declared);
  if (!canopy_node_map_contains (ledger, peer) ||
      canopy_node_map_get_capacity (ledger, peer) == capacity)
    return FALSE;
  return canopy_node_map_set (ledger, peer, canopy_node_map_get_name (ledger, peer), capacity,
                              NULL);
}

/**
 * canopy_room_set_own_capacity:
 * @self: the host's room
 * @capacity: the children the host's upload sustains (its k1, or fewer when measured)
 *
 * The host's own word about its upload needs no statement: it signs the map.
 *
 * Returns: %TRUE when the ledger changed (publish)
 */
gboolean
canopy_room_set_own_capacity (CanopyRoom *self,
                              guint       capacity)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, FALSE);
  g_return_val_if_fail (capacity <= CANOPY_CAPACITY_MAX, FALSE);

  if (canopy_node_map_get_capacity (self->ledger, self->peer_id) == capacity)
    return FALSE;
  g_message ("Our upload sustains %u children: the map says so", capacity);
  return canopy_node_map_set (self->ledger, self->peer_id,
                              canopy_node_map_get_name (self->ledger, self->peer_id), capacity,
                              NULL);
}

/**
 * canopy_room_attest:
 * @self: the host's room
 * @statement: an untrusted edge statement, as the server passed it on
 * @from: the peer the server got it from
 *
 * Returns: %TRUE when the ledger changed (publish)
 */
gboolean
canopy_room_attest (CanopyRoom *self,
                    JsonObject *statement,
                    const char *from)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyStatement) said = NULL;
  guint64 *last;

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, FALSE);

  if (self->room_id == NULL)
    return FALSE;
  said = canopy_statement_check (statement, self->room_id, &error);
  if (said == NULL || g_strcmp0 (said->peer, from) != 0) {
    g_message ("Ignoring a statement from %s: %s", from,
               error != NULL ? error->message : "signed by someone else");
    return FALSE;
  }
  /* Each signer's statements count in order, once. */
  last = g_hash_table_lookup (self->last_seq, said->peer);
  if (last != NULL && said->seq <= *last)
    return FALSE;
  if (last == NULL) {
    if (g_hash_table_size (self->last_seq) >= 2 * CANOPY_AVOIDED_MAX)
      g_hash_table_remove_all (self->last_seq);
    last = g_new0 (guint64, 1);
    g_hash_table_insert (self->last_seq, g_strdup (said->peer), last);
  }
  *last = said->seq;
  expire (self, g_get_monotonic_time ());
  if (g_str_equal (said->kind, CANOPY_STATEMENT_CAPACITY))
    return set_measured (self, said->peer, (guint) said->capacity);
  if (g_str_equal (said->kind, CANOPY_STATEMENT_ATTACH))
    return confirm (self, said->peer, said->other, TRUE);
  if (g_str_equal (said->kind, CANOPY_STATEMENT_ADOPT))
    return confirm (self, said->other, said->peer, FALSE);
  return drop (self, said->peer, said->other);
}

/**
 * canopy_room_adopt:
 * @self: the host's room
 * @child: a child whose link to the host just opened
 *
 * The host's own "adopt".
 *
 * Returns: %TRUE when the ledger changed (publish)
 */
gboolean
canopy_room_adopt (CanopyRoom *self,
                   const char *child)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, FALSE);
  expire (self, g_get_monotonic_time ());
  return confirm (self, child, self->peer_id, FALSE);
}

/**
 * canopy_room_drop:
 * @self: the host's room
 * @child: a child the host dropped
 *
 * The host's own "drop".
 *
 * Returns: %TRUE when the ledger changed (publish)
 */
gboolean
canopy_room_drop (CanopyRoom *self,
                  const char *child)
{
  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, FALSE);
  return drop (self, self->peer_id, child);
}

/**
 * canopy_room_depart:
 * @self: the host's room
 * @id: a member that left the server (its connection closed or it left)
 *
 * Takes @id out of the map and gives back the place promised to it; its children keep their
 * subtrees, out of the map until they attach again.
 *
 * Returns: %TRUE when the ledger changed (publish)
 */
gboolean
canopy_room_depart (CanopyRoom *self,
                    const char *id)
{
  g_autoptr (GPtrArray) children = NULL;
  gint64 now = g_get_monotonic_time ();

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, FALSE);

  g_hash_table_remove (self->pending, id);
  g_hash_table_remove (self->declared, id);
  g_hash_table_remove (self->measured, id);
  if (g_strcmp0 (id, self->peer_id) == 0 || g_strcmp0 (id, CANOPY_ROOM_LIMBO) == 0 ||
      !canopy_node_map_contains (self->ledger, id))
    return FALSE;
  children = canopy_node_map_get_children (self->ledger, id);
  for (guint i = 0; i < children->len; i++)
    to_limbo (self, g_ptr_array_index (children, i), now);
  canopy_node_map_remove (self->ledger, id, NULL);
  g_hash_table_remove (self->limbo, id);
  return TRUE;
}

/**
 * canopy_room_publish:
 * @self: the host's room
 *
 * Makes the ledger's visible part the room's map: a new version, signed.
 *
 * Returns: (transfer full) (nullable): the `map` message with the change as ops, or %NULL
 *   when the map did not change
 */
JsonObject *
canopy_room_publish (CanopyRoom *self)
{
  g_autoptr (CanopyNodeMap) next = NULL;
  g_autoptr (JsonArray) ops = NULL;
  JsonObject *message;
  guint64 version;

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, NULL);

  next = canopy_node_map_copy (self->ledger);
  canopy_node_map_remove (next, CANOPY_ROOM_LIMBO, NULL);
  ops = canopy_node_map_diff (self->map, next);
  if (json_array_get_length (ops) == 0)
    return NULL;
  version = canopy_node_map_get_version (self->map) + 1;
  canopy_node_map_set_version (next, version);
  g_set_object (&self->map, next);
  canopy_room_sign_map (self);

  message = json_object_new ();
  json_object_set_string_member (message, "type", "map");
  json_object_set_int_member (message, "version", (gint64) version);
  json_object_set_array_member (message, "ops", g_steal_pointer (&ops));
  if (self->map_sig != NULL) {
    json_object_set_string_member (message, "key", self->map_key);
    json_object_set_string_member (message, "sig", self->map_sig);
  }
  return message;
}

/* --- placing --- */

/**
 * canopy_room_place:
 * @self: the host's room
 * @joiner: the peer asking to join
 * @name: its name, as the server settled it
 * @capacity: the children it takes
 * @k1: children the host takes (at most its capacity in the map: fewer when its upload was
 *   measured not to sustain them, see canopy_room_set_own_capacity())
 * @k: the most children any viewer takes
 * @avoid: (nullable) (array zero-terminated=1): parents the joiner refuses (they went silent)
 *
 * Returns: (transfer full) (nullable): the parent for @joiner: the shallowest node with a
 *   free slot, counting places promised but not attached yet, outside the joiner's own
 *   subtree, the subtrees of the parents it refuses and, while any other place is free, the
 *   subtrees of nodes reported silent; %NULL when there is none
 */
char *
canopy_room_place (CanopyRoom         *self,
                   const char         *joiner,
                   const char         *name,
                   guint               capacity,
                   guint               k1,
                   guint               k,
                   const char * const *avoid)
{
  g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) exclude = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) exclude_avoided = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  char *parent;

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, NULL);

  expire (self, now);
  g_hash_table_remove (self->pending, joiner);
  /* What a capacity statement may lower, never raise. */
  if (!g_hash_table_contains (self->declared, joiner) &&
      g_hash_table_size (self->declared) >= 2 * CANOPY_AVOIDED_MAX)
    g_hash_table_remove_all (self->declared);
  g_hash_table_replace (self->declared, g_strdup (joiner), GUINT_TO_POINTER (capacity));
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Pending *p = value;

    g_hash_table_insert (counts, p->parent,
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                                                                                  p->parent)) +
                                           1));
  }
  g_hash_table_add (exclude, (gpointer) joiner);
  for (guint i = 0; avoid != NULL && avoid[i] != NULL; i++)
    g_hash_table_add (exclude, (gpointer) avoid[i]);
  /* The host never is: a joiner cannot refuse the room's source. */
  g_hash_table_remove (exclude, self->peer_id);
  g_hash_table_add (exclude_avoided, (gpointer) joiner);
  g_hash_table_iter_init (&iter, exclude);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (exclude_avoided, key);
  g_hash_table_iter_init (&iter, self->avoided);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (((Avoided *) value)->deadline >= now && g_strcmp0 (key, self->peer_id) != 0)
      g_hash_table_add (exclude_avoided, key);
  }
  /* Reported nodes only when nothing else is free (on a machine so busy that many looked
   * silent at once, a place under one beats no place at all). */
  k1 = MIN (k1, canopy_node_map_get_capacity (self->map, self->peer_id));
  parent = canopy_node_map_place_excluding (self->map, counts, k1, k, exclude_avoided);
  if (parent == NULL)
    parent = canopy_node_map_place_excluding (self->map, counts, k1, k, exclude);
  if (parent != NULL) {
    Pending *p = g_new0 (Pending, 1);

    p->parent = g_strdup (parent);
    p->name = g_strdup (name);
    p->capacity = capacity;
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
  return self->pending != NULL && g_hash_table_size (self->pending) > 0;
}

/**
 * canopy_room_avoid:
 * @self: the host's room
 * @id: a node that was reported silent by one of its children
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

  g_return_if_fail (CANOPY_IS_ROOM (self) && self->host);

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

  g_return_val_if_fail (CANOPY_IS_ROOM (self) && self->host, FALSE);
  avoided = g_hash_table_lookup (self->avoided, id);
  return avoided != NULL && avoided->deadline >= g_get_monotonic_time ();
}
