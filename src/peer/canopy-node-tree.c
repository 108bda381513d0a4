/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-error.h"
#include "canopy-json.h"

#include <gst/video/video.h>

/*
 * The tree protocol on the data channels: node maps going up (subtree) and down (map), chat
 * flooding, pings and goodbyes. Every message is untrusted: parsed with limits, checked, and
 * dropped with a log line when wrong. Nothing here ever closes an edge over bad input except
 * a parent's explicit bye.
 */

static void
send_ctrl (CanopyEdge *edge,
           JsonObject *message)
{
  g_autofree char *text = canopy_json_to_string (message);

  canopy_edge_send (edge, CANOPY_EDGE_CTRL, text);
}

void
canopy_node_send_bye (CanopyNode *self,
                      CanopyEdge *edge,
                      const char *reason)
{
  g_autoptr (JsonObject) bye = json_object_new ();

  json_object_set_string_member (bye, "type", "bye");
  json_object_set_string_member (bye, "reason", reason);
  send_ctrl (edge, bye);
}

void
canopy_node_send_ping (CanopyNode *self)
{
  g_autoptr (JsonObject) ping = json_object_new ();

  if (self->parent_edge == NULL || !canopy_edge_is_open (self->parent_edge, CANOPY_EDGE_CTRL))
    return;
  json_object_set_string_member (ping, "type", "ping");
  json_object_set_int_member (ping, "t", g_get_monotonic_time ());
  send_ctrl (self->parent_edge, ping);
}

/**
 * canopy_node_request_keyframe:
 * @self: a node
 *
 * A child needs a keyframe. The host asks its encoder (through the coalescing probe on the
 * video tee); a relay asks its parent over the data channel, the fast way up, at most once
 * per interval. Returns %G_SOURCE_REMOVE so the throttle can call it again later.
 */
gboolean
canopy_node_request_keyframe (gpointer user_data)
{
  CanopyNode *self = user_data;

  g_debug ("keyframe requested");
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    g_autoptr (GstPad) sink = gst_element_get_static_pad (self->video_tee, "sink");

    gst_pad_push_event (sink, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                             TRUE, 0));
  } else if (self->parent_edge != NULL && canopy_throttle_ask (self->keyframe_throttle)) {
    g_autoptr (JsonObject) request = json_object_new ();

    json_object_set_string_member (request, "type", "keyframe");
    send_ctrl (self->parent_edge, request);
  }
  return G_SOURCE_REMOVE;
}

/* --- maps --- */

static JsonObject *
full_map_message (CanopyNode *self)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "type", "map");
  json_object_set_int_member (message, "version",
                              (gint64) canopy_node_map_get_version (self->room_map));
  json_object_set_object_member (message, "nodesMap",
                                 canopy_node_map_to_json (self->room_map, NULL));
  return message;
}

static void
send_full_map (CanopyNode  *self,
               CanopyChild *child)
{
  g_autoptr (JsonObject) message = NULL;

  if (self->room_map == NULL || !self->map_synced)
    return;
  message = full_map_message (self);
  send_ctrl (child->edge, message);
  child->map_sent = TRUE;
}

/* Sends @text down to every child that already has a full map; the others get one. */
static void
forward_map_text (CanopyNode *self,
                  const char *text)
{
  for (guint i = 0; i < self->child_order->len; i++) {
    CanopyChild *child = g_hash_table_lookup (self->children,
                                              g_ptr_array_index (self->child_order, i));

    if (!canopy_edge_is_open (child->edge, CANOPY_EDGE_CTRL))
      continue;
    if (child->map_sent)
      canopy_edge_send (child->edge, CANOPY_EDGE_CTRL, text);
    else
      send_full_map (self, child);
  }
}

static guint
own_capacity (CanopyNode *self)
{
  return self->role == CANOPY_NODE_ROLE_HOST ? self->k1 : self->capacity;
}

/* Our subtree as we know it now: ourselves plus what every child reported. */
static CanopyNodeMap *
compose_subtree (CanopyNode *self)
{
  CanopyNodeMap *map = canopy_node_map_new (self->peer_id, self->name, own_capacity (self));

  for (guint i = 0; i < self->child_order->len; i++) {
    const char *id = g_ptr_array_index (self->child_order, i);
    CanopyChild *child = g_hash_table_lookup (self->children, id);
    g_autoptr (JsonObject) json = NULL;
    g_autoptr (GError) error = NULL;

    if (child->subtree == NULL)
      continue;
    json = canopy_node_map_to_json (child->subtree, NULL);
    if (!canopy_node_map_graft (map, self->peer_id, json, CANOPY_TREE_NODES_MAX, &error)) {
      /* A child claiming nodes that are elsewhere: keep the child, not its claims. */
      g_message ("Ignoring the subtree of %s: %s", id, error->message);
      g_clear_error (&error);
      if (!canopy_node_map_contains (map, id))
        canopy_node_map_add (map, self->peer_id, id, child->name, child->capacity, NULL);
    }
  }
  return map;
}

static void
host_recompose (CanopyNode    *self,
                CanopyNodeMap *composed)
{
  g_autoptr (JsonArray) ops = canopy_node_map_diff (self->room_map, composed);
  g_autoptr (JsonObject) message = NULL;
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer key;
  guint64 version;

  /* Places the host promised are fulfilled once the child shows up in the map. */
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (canopy_node_map_contains (composed, key))
      g_hash_table_iter_remove (&iter);

  if (json_array_get_length (ops) == 0)
    return;
  version = canopy_node_map_get_version (self->room_map) + 1;
  canopy_node_map_set_version (composed, version);
  g_set_object (&self->room_map, composed);

  message = json_object_new ();
  json_object_set_string_member (message, "type", "map");
  json_object_set_int_member (message, "version", (gint64) version);
  json_object_set_array_member (message, "ops", json_array_ref (ops));
  text = canopy_json_to_string (message);
  forward_map_text (self, text);
  canopy_node_emit_map_changed (self);
}

static void
report_subtree (CanopyNode    *self,
                CanopyNodeMap *composed)
{
  g_autoptr (JsonObject) message = NULL;
  g_autoptr (JsonArray) ops = NULL;

  if (self->parent_edge == NULL || !canopy_edge_is_open (self->parent_edge, CANOPY_EDGE_CTRL))
    return;
  message = json_object_new ();
  json_object_set_string_member (message, "type", "subtree");
  if (self->sent_subtree == NULL) {
    json_object_set_object_member (message, "full", canopy_node_map_to_json (composed, NULL));
  } else {
    ops = canopy_node_map_diff (self->sent_subtree, composed);
    if (json_array_get_length (ops) == 0)
      return;
    json_object_set_array_member (message, "ops", json_array_ref (ops));
  }
  json_object_set_int_member (message, "seq", (gint64) ++self->subtree_seq);
  send_ctrl (self->parent_edge, message);
  g_set_object (&self->sent_subtree, composed);
}

/**
 * canopy_node_recompose:
 * @self: a node
 *
 * Rebuilds our subtree from the children's reports. The host turns a change into a new map
 * version sent down as ops; anyone else sends the change up as ops. Each change costs bytes
 * in proportion to what changed on every edge it crosses, never the whole map per node.
 */
void
canopy_node_recompose (CanopyNode *self)
{
  g_autoptr (CanopyNodeMap) composed = NULL;

  if (self->peer_id == NULL)
    return;
  composed = compose_subtree (self);
  if (self->role == CANOPY_NODE_ROLE_HOST)
    host_recompose (self, composed);
  else
    report_subtree (self, composed);
  canopy_node_notify_tree (self);
}

void
canopy_node_on_child_ctrl_open (CanopyNode  *self,
                                CanopyChild *child)
{
  send_full_map (self, child);
}

void
canopy_node_on_parent_ctrl_open (CanopyNode *self)
{
  g_autoptr (CanopyNodeMap) composed = compose_subtree (self);

  /* A new parent hears our whole subtree once, then changes. */
  g_clear_object (&self->sent_subtree);
  self->subtree_seq = 0;
  report_subtree (self, composed);
  canopy_node_send_ping (self);
}

static void
handle_subtree (CanopyNode  *self,
                CanopyChild *child,
                JsonObject  *message)
{
  g_autoptr (GError) error = NULL;
  JsonObject *full = NULL;
  JsonArray *ops = NULL;
  gint64 seq = 0;
  const char *id = canopy_edge_get_peer_id (child->edge);

  if (!canopy_json_get_int (message, "seq", 1, G_MAXINT64, TRUE, &seq, &error) ||
      !canopy_json_get_object (message, "full", FALSE, &full, &error) ||
      !canopy_json_get_array (message, "ops", 10000, FALSE, &ops, &error))
    goto bad;

  if (full != NULL) {
    g_autoptr (CanopyNodeMap) map = canopy_node_map_new_from_json (full, CANOPY_TREE_NODES_MAX,
                                                                   &error);

    if (map == NULL)
      goto bad;
    if (g_strcmp0 (canopy_node_map_get_root (map), id) != 0) {
      g_set_error (&error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN, "subtree root is not the sender");
      goto bad;
    }
    g_set_object (&child->subtree, map);
  } else if (ops != NULL) {
    if (child->subtree == NULL || (guint64) seq != child->subtree_seq + 1) {
      g_set_error (&error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "subtree ops out of sequence");
      goto bad;
    }
    if (!canopy_node_map_apply (child->subtree, ops, CANOPY_TREE_NODES_MAX, &error))
      goto bad;
  } else {
    g_set_error (&error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "subtree needs full or ops");
    goto bad;
  }
  child->subtree_seq = (guint64) seq;
  canopy_node_recompose (self);
  return;

bad:
  g_message ("Bad subtree from %s: %s", id, error->message);
  /* Ask for the whole subtree again rather than trusting a partial one. */
  {
    g_autoptr (JsonObject) sync = json_object_new ();

    json_object_set_string_member (sync, "type", "subtree-sync");
    send_ctrl (child->edge, sync);
  }
}

static void
update_depth (CanopyNode *self)
{
  int depth = canopy_node_map_get_depth (self->room_map, self->peer_id);

  if (depth >= 0 && depth != self->depth) {
    self->depth = depth;
    canopy_node_notify_tree (self);
  }
  /* Joined (again) once the map shows us under the parent we are attached to now. */
  if (depth >= 0 && !self->joined_emitted && self->parent_id != NULL &&
      g_strcmp0 (canopy_node_map_get_parent (self->room_map, self->peer_id), self->parent_id) == 0)
    canopy_node_emit_joined (self);
}

static void
request_map_sync (CanopyNode *self)
{
  g_autoptr (JsonObject) sync = json_object_new ();

  self->map_synced = FALSE;
  json_object_set_string_member (sync, "type", "map-sync");
  if (self->parent_edge != NULL)
    send_ctrl (self->parent_edge, sync);
}

static void
handle_map (CanopyNode *self,
            JsonObject *message,
            const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonObject *full = NULL;
  JsonArray *ops = NULL;
  gint64 version = 0;

  if (!canopy_json_get_int (message, "version", 0, G_MAXINT64, TRUE, &version, &error) ||
      !canopy_json_get_object (message, "nodesMap", FALSE, &full, &error) ||
      !canopy_json_get_array (message, "ops", 10000, FALSE, &ops, &error)) {
    g_message ("Bad map from the parent: %s", error->message);
    return;
  }
  if (full != NULL) {
    g_autoptr (CanopyNodeMap) map = canopy_node_map_new_from_json (full, CANOPY_TREE_NODES_MAX,
                                                                   &error);

    if (map == NULL) {
      g_message ("Bad map from the parent: %s", error->message);
      return;
    }
    canopy_node_map_set_version (map, (guint64) version);
    g_set_object (&self->room_map, map);
    self->map_synced = TRUE;
    /* Children that already had a map start over from this one. */
    for (guint i = 0; i < self->child_order->len; i++)
      ((CanopyChild *) g_hash_table_lookup (self->children,
                                            g_ptr_array_index (self->child_order, i)))->map_sent =
        FALSE;
  } else if (ops != NULL) {
    if (!self->map_synced ||
        (guint64) version != canopy_node_map_get_version (self->room_map) + 1) {
      request_map_sync (self);
      return;
    }
    /* apply is all-or-nothing: a failed batch leaves the map as it was. */
    if (!canopy_node_map_apply (self->room_map, ops, CANOPY_TREE_NODES_MAX, &error)) {
      g_message ("Map ops from the parent do not apply: %s", error->message);
      request_map_sync (self);
      return;
    }
    canopy_node_map_set_version (self->room_map, (guint64) version);
  } else {
    return;
  }
  forward_map_text (self, text);
  update_depth (self);
  canopy_node_emit_map_changed (self);
}

static void
handle_ping (CanopyNode *self,
             CanopyEdge *edge,
             JsonObject *message,
             gboolean    pong)
{
  g_autoptr (GError) error = NULL;
  gint64 t = 0;

  if (!canopy_json_get_int (message, "t", 0, G_MAXINT64, TRUE, &t, &error))
    return;
  if (pong) {
    gint64 now = g_get_monotonic_time ();

    if (t <= now && edge == self->parent_edge) {
      g_mutex_lock (&self->stats_lock);
      self->rtt_ms = (now - t) / 1000.0;
      g_mutex_unlock (&self->stats_lock);
    }
  } else {
    g_autoptr (JsonObject) reply = json_object_new ();

    json_object_set_string_member (reply, "type", "pong");
    json_object_set_int_member (reply, "t", t);
    send_ctrl (edge, reply);
  }
}

/**
 * canopy_node_count_flood:
 * @counts: key -> messages counted this second (emptied by the stats tick)
 * @key: who sent it
 * @limit: the most accepted per second
 *
 * Returns: %TRUE when @key is over @limit this second and the message must be dropped
 */
gboolean
canopy_node_count_flood (GHashTable *counts,
                         const char *key,
                         guint       limit)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;

  g_hash_table_replace (counts, g_strdup (key), GUINT_TO_POINTER (n));
  if (n == limit + 1)
    g_message ("%s sends more than %u messages a second: dropping the rest", key, limit);
  return n > limit;
}

static void
handle_ctrl (CanopyNode *self,
             CanopyEdge *edge,
             const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  const char *type;
  const char *peer = canopy_edge_get_peer_id (edge);
  gboolean from_parent = edge == self->parent_edge;
  CanopyChild *child = from_parent ? NULL : g_hash_table_lookup (self->children, peer);

  if (canopy_node_count_flood (self->ctrl_counts, peer, CANOPY_CTRL_PER_SECOND))
    return;
  message = canopy_json_parse_object (text, -1, CANOPY_CTRL_BYTES, &error);
  if (message == NULL || (type = canopy_json_get_type (message, &error)) == NULL) {
    g_message ("Bad control message from %s: %s", peer, error->message);
    return;
  }
  if (g_str_equal (type, "ping") || g_str_equal (type, "pong"))
    handle_ping (self, edge, message, g_str_equal (type, "pong"));
  else if (g_str_equal (type, "bye")) {
    const char *reason = NULL;

    canopy_json_get_string (message, "reason", 32, FALSE, &reason, NULL);
    /* The host ending the room is not a parent to replace. */
    if (from_parent && self->parent_edge != NULL &&
        g_strcmp0 (canopy_edge_get_peer_id (self->parent_edge),
                   self->room_map ? canopy_node_map_get_root (self->room_map) : NULL) == 0 &&
        g_strcmp0 (reason, "room-closed") == 0)
      canopy_node_finish (self, CANOPY_END_REASON_ROOM_CLOSED);
    else if (from_parent)
      canopy_node_lose_parent (self, "the parent left");
    else
      canopy_node_drop_child (self, peer);
  } else if (g_str_equal (type, "subtree") && child != NULL)
    handle_subtree (self, child, message);
  else if (g_str_equal (type, "keyframe") && child != NULL)
    canopy_node_request_keyframe (self);
  else if (g_str_equal (type, "map-sync") && child != NULL)
    send_full_map (self, child);
  else if (g_str_equal (type, "map") && from_parent)
    handle_map (self, message, text);
  else if (g_str_equal (type, "subtree-sync") && from_parent) {
    g_clear_object (&self->sent_subtree);
    canopy_node_recompose (self);
  } else
    g_message ("Ignoring control message \"%s\" from %s", type, peer);
}

/* --- chat --- */

/**
 * canopy_node_broadcast_chat:
 * @self: a node
 * @except: (nullable): the edge @message came from
 * @message: a chat message as delivered here
 *
 * Floods @message to every tree neighbour but @except, one hop further.
 */
void
canopy_node_broadcast_chat (CanopyNode              *self,
                            CanopyEdge              *except,
                            const CanopyChatMessage *message)
{
  g_autoptr (CanopyChatMessage) next = canopy_chat_message_copy (message);
  g_autoptr (JsonObject) json = NULL;
  g_autofree char *text = NULL;

  next->hops = MIN (message->hops + 1, 1000);
  json = canopy_chat_message_to_json (next);
  text = canopy_json_to_string (json);
  if (self->parent_edge != NULL && self->parent_edge != except)
    canopy_edge_send (self->parent_edge, CANOPY_EDGE_CHAT, text);
  for (guint i = 0; i < self->child_order->len; i++) {
    CanopyChild *child = g_hash_table_lookup (self->children,
                                              g_ptr_array_index (self->child_order, i));

    if (child->edge != except)
      canopy_edge_send (child->edge, CANOPY_EDGE_CHAT, text);
  }
}

void
canopy_node_on_child_chat_open (CanopyNode  *self,
                                CanopyChild *child)
{
  g_autoptr (GPtrArray) history = canopy_chat_get_history (self->chat);

  /* A late joiner gets the last messages from its parent. */
  for (guint i = 0; i < history->len; i++) {
    g_autoptr (CanopyChatMessage) m = canopy_chat_message_copy (g_ptr_array_index (history, i));
    g_autoptr (JsonObject) json = NULL;
    g_autofree char *text = NULL;

    m->hops = MIN (m->hops + 1, 1000);
    json = canopy_chat_message_to_json (m);
    text = canopy_json_to_string (json);
    canopy_edge_send (child->edge, CANOPY_EDGE_CHAT, text);
  }
}

/* A chat whose origin the tree shows on the other side of the edge it came through is
 * forged: a child can only speak for its own subtree, a parent for the rest of the room. */
static gboolean
is_forged (CanopyNode *self,
           CanopyEdge *edge,
           const char *origin)
{
  if (edge == self->parent_edge) {
    return g_strcmp0 (origin, self->peer_id) == 0 ||
           (self->sent_subtree != NULL && canopy_node_map_contains (self->sent_subtree, origin));
  } else {
    const char *id = canopy_edge_get_peer_id (edge);
    CanopyChild *child = g_hash_table_lookup (self->children, id);

    if (g_strcmp0 (origin, id) == 0)
      return FALSE;
    if (child != NULL && child->subtree != NULL && canopy_node_map_contains (child->subtree, origin))
      return FALSE;
    return self->room_map != NULL && canopy_node_map_contains (self->room_map, origin);
  }
}

static void
handle_chat (CanopyNode *self,
             CanopyEdge *edge,
             const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (CanopyChatMessage) message = NULL;
  g_autoptr (GPtrArray) deliver = NULL;

  /* Counted before parsing: a flood costs us as little as possible. */
  if (canopy_node_count_flood (self->chat_counts, canopy_edge_get_peer_id (edge),
                               CANOPY_CHAT_PER_SECOND))
    return;
  json = canopy_json_parse_object (text, -1, CANOPY_CHAT_BYTES, &error);
  if (json == NULL ||
      (message = canopy_chat_message_new_from_json (json, &error)) == NULL) {
    g_message ("Bad chat from %s: %s", canopy_edge_get_peer_id (edge), error->message);
    return;
  }
  if (is_forged (self, edge, message->origin)) {
    g_message ("Dropping chat from %s claiming origin %s", canopy_edge_get_peer_id (edge),
               message->origin);
    return;
  }
  deliver = g_ptr_array_new_with_free_func ((GDestroyNotify) canopy_chat_message_free);
  if (canopy_chat_receive (self->chat, message, deliver) == CANOPY_CHAT_RECEIVE_DUPLICATE)
    return;
  canopy_node_broadcast_chat (self, edge, message);
  for (guint i = 0; i < deliver->len; i++)
    canopy_node_emit_chat (self, g_ptr_array_index (deliver, i));
}

void
canopy_node_on_message (CanopyNode *self,
                        CanopyEdge *edge,
                        const char *label,
                        const char *text)
{
  if (g_str_equal (label, CANOPY_EDGE_CTRL))
    handle_ctrl (self, edge, text);
  else
    handle_chat (self, edge, text);
}

/* --- placement (host) --- */

/**
 * canopy_node_place:
 * @self: the host
 * @joiner: the peer asking to join
 *
 * Returns: (transfer full) (nullable): the parent for @joiner: the shallowest node with a
 *   free slot, counting places promised but not attached yet
 */
char *
canopy_node_place (CanopyNode *self,
                   const char *joiner)
{
  g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  char *parent;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    CanopyPending *p = value;

    if (p->deadline < now || g_str_equal (key, joiner)) {
      g_hash_table_iter_remove (&iter);
      continue;
    }
    g_hash_table_insert (counts, p->parent,
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                                                                                  p->parent)) +
                                           1));
  }
  parent = canopy_node_map_place (self->room_map, counts, self->k1, self->k, joiner);
  if (parent != NULL) {
    CanopyPending *p = g_new0 (CanopyPending, 1);

    p->parent = g_strdup (parent);
    p->deadline = now + CANOPY_PENDING_TIMEOUT_US;
    g_hash_table_replace (self->pending, g_strdup (joiner), p);
  }
  return parent;
}
