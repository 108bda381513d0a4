/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-json.h"
#include "canopy-webrtc.h"

/*
 * The node's links: making and dropping the parent and child links, and what the node does
 * with what they report. Each end of an edge tells the host (through the server) when the edge
 * opens and a parent when it drops a child; maps come down from the host, signed and
 * versioned (CanopyRoom checks them); chat floods to every neighbour but the sender, keyframe
 * requests go up.
 */

/* --- maps --- */

static void
send_full_map (CanopyNode *self,
               CanopyLink *child)
{
  g_autoptr (JsonObject) message = canopy_room_full_map_message (self->room);

  if (message == NULL)
    return;
  canopy_link_send (child, message);
  canopy_link_set_map_sent (child, TRUE);
}

/* Sends a map message down to every child that already has a whole map; the others get one. */
static void
forward_map_text (CanopyNode *self,
                  const char *text)
{
  for (guint i = 0; i < self->children->len; i++) {
    CanopyLink *child = g_ptr_array_index (self->children, i);

    if (!canopy_link_is_open (child))
      continue;
    if (canopy_link_get_map_sent (child))
      canopy_link_send_text (child, text);
    else
      send_full_map (self, child);
  }
}

static void
update_depth (CanopyNode *self)
{
  int depth = canopy_room_get_depth (self->room);

  if (depth >= 0 && depth != self->depth) {
    self->depth = depth;
    canopy_node_notify_tree (self);
  }
  /* Joined (again) once the map shows us under the parent we are attached to now. */
  if (depth >= 0 && !self->joined_emitted && self->parent_id != NULL &&
      g_strcmp0 (canopy_room_get_map_parent (self->room), self->parent_id) == 0)
    canopy_node_emit_joined (self);
}

/**
 * canopy_node_publish_map:
 * @self: a node
 *
 * On the host, turns a change of its ledger into a new map version sent down as ops: each
 * change costs bytes in proportion to what changed on every edge it crosses, never the whole
 * map per node. Elsewhere (and after) it only tells the views.
 */
void
canopy_node_publish_map (CanopyNode *self)
{
  if (self->room == NULL)
    return;
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    g_autoptr (JsonObject) message = canopy_room_publish (self->room);

    if (message != NULL) {
      g_autofree char *text = canopy_json_to_string (message);

      forward_map_text (self, text);
      canopy_node_emit_map_changed (self);
    }
  }
  canopy_node_notify_tree (self);
}

/* A parent that hands on maps that are not the host's is left after this many (an honest one
 * passes on only maps it checked itself: none). */
#define FORGED_MAPS_MAX 3

static void
on_parent_map (CanopyLink *link,
               JsonObject *message,
               const char *text,
               CanopyNode *self)
{
  gboolean full = FALSE;
  gboolean need_sync = FALSE;
  gboolean forged = FALSE;

  if (g_strcmp0 (json_object_get_string_member (message, "type"), "mutes") == 0) {
    if (canopy_room_apply_mutes (self->room, message, &forged)) {
      for (guint i = 0; i < self->children->len; i++)
        canopy_link_send_text (g_ptr_array_index (self->children, i), text);
      canopy_node_emit_map_changed (self);
    } else if (forged) {
      self->maps_refused++;
      if (++self->forged_maps >= FORGED_MAPS_MAX)
        canopy_node_leave_parent (self, "forged-map", "the parent alters what the host signed");
    }
    return;
  }
  if (!canopy_room_apply_map (self->room, message, &full, &need_sync, &forged)) {
    if (forged) {
      self->maps_refused++;
      if (++self->forged_maps >= FORGED_MAPS_MAX) {
        canopy_node_leave_parent (self, "forged-map", "the parent alters the host's map");
        return;
      }
    }
    if (need_sync)
      canopy_link_send_request (link, "map-sync");
    return;
  }
  /* Children that already had a map start over from a whole one. */
  for (guint i = 0; full && i < self->children->len; i++)
    canopy_link_set_map_sent (g_ptr_array_index (self->children, i), FALSE);
  forward_map_text (self, text);
  update_depth (self);
  canopy_node_emit_map_changed (self);
}

/* --- chat --- */

/**
 * canopy_node_broadcast_chat:
 * @self: a node
 * @except: (nullable): the link @message came from
 * @message: a chat message as delivered here
 *
 * Floods @message to every tree neighbour but @except, one hop further.
 */
void
canopy_node_broadcast_chat (CanopyNode              *self,
                            CanopyLink              *except,
                            const CanopyChatMessage *message)
{
  g_autoptr (CanopyChatMessage) next = canopy_chat_message_copy (message);
  g_autoptr (JsonObject) json = NULL;
  g_autofree char *text = NULL;

  next->hops = MIN (message->hops + 1, CANOPY_CHAT_HOPS_MAX);
  json = canopy_chat_message_to_json (next);
  text = canopy_json_to_string (json);
  if (self->parent != NULL && self->parent != except)
    canopy_link_send_chat (self->parent, text);
  for (guint i = 0; i < self->children->len; i++) {
    CanopyLink *child = g_ptr_array_index (self->children, i);

    if (child != except)
      canopy_link_send_chat (child, text);
  }
}

static void
on_link_chat (CanopyLink              *link,
              const CanopyChatMessage *message,
              CanopyNode              *self)
{
  g_autoptr (GPtrArray) deliver = NULL;

  /* Only its author writes a message, and nobody changes it on the way. */
  if (!canopy_chat_message_verify (message, self->room_id)) {
    self->chat_forged++;
    g_message ("Dropping chat from %s: not signed by its origin %s", canopy_link_get_peer_id (link),
               message->origin);
    return;
  }
  /* The host muted its author: nobody shows or passes it on. */
  if (canopy_room_is_muted (self->room, message->origin))
    return;
  deliver = g_ptr_array_new_with_free_func ((GDestroyNotify) canopy_chat_message_free);
  if (canopy_chat_receive (canopy_room_get_chat (self->room), message, deliver) ==
      CANOPY_CHAT_RECEIVE_DUPLICATE)
    return;
  canopy_node_broadcast_chat (self, link, message);
  for (guint i = 0; i < deliver->len; i++)
    canopy_node_emit_chat (self, g_ptr_array_index (deliver, i));
}

/* A new link starts with each side's last messages, queued before any live message can be:
 * a late joiner gets what was said before it came, a node that re-attached gets what it
 * missed meanwhile and its new parent what its subtree said. The history always arrives
 * before live messages, so per-origin order never drops it as a repeat; what each side has
 * already seen is dropped as a duplicate (and every message is its author's, signed). */
static void
send_chat_history (CanopyNode *self,
                   CanopyLink *link)
{
  g_autoptr (GPtrArray) history = canopy_chat_get_history (canopy_room_get_chat (self->room));

  for (guint i = 0; i < history->len; i++) {
    CanopyChatMessage *said = g_ptr_array_index (history, i);
    g_autoptr (CanopyChatMessage) m = NULL;
    g_autoptr (JsonObject) json = NULL;
    g_autofree char *text = NULL;

    m = canopy_chat_message_copy (said);
    m->hops = MIN (m->hops + 1, CANOPY_CHAT_HOPS_MAX);
    json = canopy_chat_message_to_json (m);
    text = canopy_json_to_string (json);
    canopy_link_send_chat (link, text);
  }
}

/* --- keyframes --- */

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
    canopy_webrtc_trace ("keyframe-forced", NULL);
    canopy_media_force_keyframe (self->media);
  } else if (self->parent != NULL && canopy_throttle_ask (self->keyframe_throttle)) {
    canopy_webrtc_trace ("keyframe-asked", self->parent_id);
    canopy_link_send_request (self->parent, "keyframe");
  }
  return G_SOURCE_REMOVE;
}

/* --- link events --- */

static void
on_link_signal (CanopyLink *link,
                JsonObject *data,
                CanopyNode *self)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "signal");
  json_object_set_string_member (message, "to", canopy_link_get_peer_id (link));
  json_object_set_object_member (message, "data", json_object_ref (data));
  canopy_node_server_send (self, message);
}

static void
on_link_open (CanopyLink *link,
              const char *label,
              CanopyNode *self)
{
  gboolean ctrl = g_str_equal (label, "ctrl");

  if (!ctrl)
    return;
  if (link == self->parent) {
    self->connect_failures = 0;
    canopy_node_state_edge (self, CANOPY_STATEMENT_ATTACH, self->parent_id);
    canopy_link_heartbeat (link);
  } else {
    send_full_map (self, link);
    canopy_node_send_mutes (self, link);
    canopy_node_state_edge (self, CANOPY_STATEMENT_ADOPT, canopy_link_get_peer_id (link));
  }
  canopy_node_files_link_open (self, link);
}

static void
on_link_gone (CanopyLink *link,
              CanopyNode *self)
{
  /* ICE gave up on a parent we never reached (libnice does, ~7 s in, a moment before the
   * connect timeout): the heartbeat judges it unconnected at that timeout and counts it, so
   * that a node no parent can reach fails saying why, rather than coming back to the same
   * parent until the join times out. */
  if (link == self->parent && !canopy_link_has_opened (link))
    return;
  if (link == self->parent)
    canopy_node_lose_parent (self, "the connection to the parent was lost");
  else
    canopy_node_drop_child (self, canopy_link_get_peer_id (link));
}

static void
on_link_keyframe_wanted (CanopyLink *link,
                         CanopyNode *self)
{
  /* Straight up the data channels: a keyframe in one round trip per hop, not at the pace of
   * RTCP feedback. A child's request that comes later anyway is coalesced with this one. */
  canopy_node_request_keyframe (self);
}

static void
on_link_bye (CanopyLink *link,
             const char *reason,
             CanopyNode *self)
{
  CanopyNodeMap *map = canopy_room_get_map (self->room);

  if (link != self->parent) {
    canopy_node_drop_child (self, canopy_link_get_peer_id (link));
  } else if (g_str_equal (reason, "room-closed") && map != NULL &&
             g_strcmp0 (canopy_link_get_peer_id (link), canopy_node_map_get_root (map)) == 0) {
    /* The host ending the room is not a parent to replace. */
    canopy_node_finish (self, CANOPY_END_REASON_ROOM_CLOSED);
  } else {
    canopy_node_lose_parent (self, "the parent left");
  }
}

static void
on_link_request (CanopyLink *link,
                 const char *type,
                 CanopyNode *self)
{
  if (g_str_equal (type, "keyframe")) {
    canopy_node_request_keyframe (self);
  } else if (g_str_equal (type, "map-sync")) {
    send_full_map (self, link);
  } else if (g_str_has_prefix (type, "fec-")) {
    canopy_node_fec_update (self);
  }
}

static void
watch_link (CanopyNode *self,
            CanopyLink *link)
{
  g_signal_connect (link, "signal", G_CALLBACK (on_link_signal), self);
  g_signal_connect (link, "open", G_CALLBACK (on_link_open), self);
  g_signal_connect (link, "gone", G_CALLBACK (on_link_gone), self);
  g_signal_connect (link, "keyframe-wanted", G_CALLBACK (on_link_keyframe_wanted), self);
  g_signal_connect (link, "chat", G_CALLBACK (on_link_chat), self);
  g_signal_connect (link, "bye", G_CALLBACK (on_link_bye), self);
  g_signal_connect (link, "request", G_CALLBACK (on_link_request), self);
  g_signal_connect (link, "map", G_CALLBACK (on_parent_map), self);
  canopy_node_files_watch (self, link);
}

static void
unwatch_and_close (CanopyNode *self,
                   CanopyLink *link)
{
  g_signal_handlers_disconnect_by_data (link, self);
  canopy_link_close (link);
}

/* --- children --- */

/**
 * canopy_node_find_child:
 * @self: a node
 * @id: a peer id
 *
 * Returns: (transfer none) (nullable): the link to child @id
 */
CanopyLink *
canopy_node_find_child (CanopyNode *self,
                        const char *id)
{
  for (guint i = 0; i < self->children->len; i++) {
    CanopyLink *child = g_ptr_array_index (self->children, i);

    if (g_strcmp0 (canopy_link_get_peer_id (child), id) == 0)
      return child;
  }
  return NULL;
}

void
canopy_node_drop_child (CanopyNode *self,
                        const char *id)
{
  CanopyLink *child = canopy_node_find_child (self, id);

  if (child == NULL)
    return;
  g_debug ("dropping child %s", id);
  self->keyframes_refused += canopy_link_get_keyframes_refused (child);
  if (canopy_link_has_opened (child))
    canopy_node_state_edge (self, CANOPY_STATEMENT_DROP, id);
  unwatch_and_close (self, child);
  g_ptr_array_remove (self->children, child);
  canopy_node_notify_tree (self);
}

void
canopy_node_add_child (CanopyNode *self,
                       const char *id,
                       const char *name,
                       guint       capacity)
{
  CanopyLink *child;

  canopy_node_drop_child (self, id);
  child = canopy_link_new_to_child (self->media, id, name, capacity, &self->ice);
  watch_link (self, child);
  send_chat_history (self, child);
  g_ptr_array_add (self->children, child);
  canopy_node_notify_tree (self);
}

/* --- the parent --- */

static void
clear_parent (CanopyNode *self)
{
  if (self->parent == NULL)
    return;
  self->last_repair = *canopy_link_get_repair (self->parent);
  unwatch_and_close (self, self->parent);
  g_clear_object (&self->parent);
}

void
canopy_node_set_parent (CanopyNode *self,
                        const char *id)
{
  clear_parent (self);
  g_debug ("placed under %s", id);
  canopy_node_set_parent_id (self, id);
  self->parent = canopy_link_new_to_parent (self->media, id, &self->ice, self->latency_ms,
                                            &self->last_repair);
  watch_link (self, self->parent);
  canopy_node_fec_new_parent (self);
  send_chat_history (self, self->parent);
}

static gboolean
close_departing (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->departing_id = 0;
  for (guint i = 0; i < self->departing->len; i++)
    canopy_link_close (g_ptr_array_index (self->departing, i));
  g_ptr_array_set_size (self->departing, 0);
  return G_SOURCE_REMOVE;
}

/* A shed child's link stays open this long after its bye (its media stopped at once): on the
 * upload that could not carry it, the bye may wait behind other messages. */
#define SHED_CLOSE_MS 1000

static gboolean
close_shed (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->shed_id = 0;
  for (guint i = 0; i < self->shed->len; i++)
    canopy_link_close (g_ptr_array_index (self->shed, i));
  g_ptr_array_set_size (self->shed, 0);
  return G_SOURCE_REMOVE;
}

/**
 * canopy_node_shed_child:
 * @self: a relay
 * @id: a child its upload does not carry
 *
 * Sends the child no more media and says "moving" to it: it finds another place with its
 * subtree. The link is closed a moment later, once the bye had time to go out; the host hears
 * the drop at once.
 */
void
canopy_node_shed_child (CanopyNode *self,
                        const char *id)
{
  CanopyLink *child = canopy_node_find_child (self, id);

  if (child == NULL)
    return;
  self->keyframes_refused += canopy_link_get_keyframes_refused (child);
  canopy_link_stop_media (child);
  canopy_link_send_bye (child, "moving");
  if (canopy_link_has_opened (child))
    canopy_node_state_edge (self, CANOPY_STATEMENT_DROP, id);
  g_signal_handlers_disconnect_by_data (child, self);
  if (self->shed == NULL)
    self->shed = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->shed, g_object_ref (child));
  g_ptr_array_remove (self->children, child);
  if (self->shed_id == 0)
    self->shed_id = g_timeout_add (SHED_CLOSE_MS, close_shed, self);
  canopy_node_notify_tree (self);
}

/* Says "moving" to the parent we are leaving and closes its link a moment later, when the bye
 * has gone out: a parent that is alive (a black hole, or one that lags) drops us at once rather
 * than after the child-silence time, and the host's map follows sooner. */
static void
depart (CanopyNode *self)
{
  if (self->parent == NULL)
    return;
  canopy_link_send_bye (self->parent, "moving");
  g_signal_handlers_disconnect_by_data (self->parent, self);
  g_ptr_array_add (self->departing, g_steal_pointer (&self->parent));
  if (self->departing_id == 0)
    self->departing_id = g_timeout_add (CANOPY_DEPART_MS, close_departing, self);
}

static void
lose_parent (CanopyNode *self,
             const char *why,
             gboolean    say_bye)
{
  if (self->parent == NULL)
    return;
  g_message ("Lost parent %s: %s; finding a new one", self->parent_id, why);
  if (say_bye)
    depart (self);
  else
    clear_parent (self);
  canopy_node_set_parent_id (self, NULL);
  canopy_room_lose_map (self->room);
  self->joined_emitted = FALSE;
  self->forged_maps = 0;
  self->forged_chunks = 0;
  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  /* Our children stay: the whole subtree moves with us. */
  canopy_node_start_joining (self);
}

void
canopy_node_lose_parent (CanopyNode *self,
                         const char *why)
{
  lose_parent (self, why, FALSE);
}

/**
 * canopy_node_leave_parent:
 * @self: a node
 * @report: (nullable): what to report to the host about the parent ("silent", "no-media",
 *   "forged-map", "unconfirmed"), or %NULL
 * @why: for the log
 *
 * Leaves a parent that failed us; one that went silent, swallows the media or lies is refused
 * in the next joins and reported to the host, which then places nobody under it for a while.
 */
void
canopy_node_leave_parent (CanopyNode *self,
                          const char *report,
                          const char *why)
{
  g_autofree char *parent = g_strdup (self->parent_id);

  if (report != NULL && parent != NULL) {
    g_autoptr (JsonObject) message = json_object_new ();

    if (self->avoid->len >= CANOPY_AVOID_MAX)
      g_ptr_array_remove_index (self->avoid, 0);
    g_ptr_array_add (self->avoid, g_strdup (parent));
    self->avoid_full_since = 0;
    json_object_set_string_member (message, "type", "report");
    json_object_set_string_member (message, "peer", parent);
    json_object_set_string_member (message, "reason", report);
    canopy_node_server_send (self, message);
  }
  lose_parent (self, why, TRUE);
}

/**
 * canopy_node_heartbeat:
 * @self: a node
 *
 * Every %CANOPY_HEARTBEAT_MS: pings the parent and judges every link. A parent that does not
 * connect, answer or pass on media is left (the subtree moves with us); a child that stops
 * answering is dropped; a join that finds no place in time fails.
 */
void
canopy_node_heartbeat (CanopyNode *self)
{
  g_autoptr (GPtrArray) silent = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_monotonic_time ();
  gboolean late = self->last_beat != 0 && now - self->last_beat > 3 * CANOPY_HEARTBEAT_MS * 1000;

  self->last_beat = now;
  if (self->parent != NULL)
    canopy_link_heartbeat (self->parent);
  /* Our own main loop was held up: the silence we would see is ours. Judge next time. */
  if (late)
    return;

  if (self->join_deadline != 0 && now > self->join_deadline) {
    canopy_node_fail (self, CANOPY_ERROR_CONNECTION, "Could not get a place in the room in time");
    return;
  }
  if (self->parent != NULL) {
    CanopyLinkHealth health = canopy_link_check (self->parent, now);
    CanopyNodeMap *map = canopy_room_get_map (self->room);

    /* The host is the room's only source: a silent host is waited for, not left (its crash
     * ends the room through the server). But not for ever: a host that is still on the server
     * and says nothing to us for CANOPY_HOST_SILENCE_MS has dropped us (a child it shed, whose
     * bye was lost on the very upload that could not carry it, sat there for good), and we ask
     * for a place again, without reporting it. */
    if (health != CANOPY_LINK_UNCONNECTED && map != NULL &&
        g_strcmp0 (self->parent_id, canopy_node_map_get_root (map)) == 0) {
      if (health != CANOPY_LINK_OK &&
          canopy_link_get_silence_us (self->parent, now) > CANOPY_HOST_SILENCE_MS * 1000) {
        canopy_node_leave_parent (self, NULL, "the host stopped answering us");
        return;
      }
      health = CANOPY_LINK_OK;
    }
    switch (health) {
    case CANOPY_LINK_UNCONNECTED:
      if (++self->connect_failures >= CANOPY_CONNECT_ATTEMPTS) {
        canopy_node_fail (self, CANOPY_ERROR_CONNECTION,
                          canopy_webrtc_has_turn (&self->ice)
                            ? "Could not connect to any parent"
                            : "Could not connect to any parent: this network needs a TURN server");
        return;
      }
      canopy_node_leave_parent (self, NULL, "the parent could not be reached");
      break;
    case CANOPY_LINK_SILENT:
      canopy_node_leave_parent (self, "silent", "the parent stopped answering");
      break;
    case CANOPY_LINK_NO_MEDIA:
      canopy_node_leave_parent (self, "no-media", "the parent passes on no media");
      break;
    case CANOPY_LINK_OK:
      /* Open, but the host's map does not show us under it: the parent never told the host
       * it took us (or its map never reaches us). */
      if (!self->joined_emitted && canopy_link_has_opened (self->parent) &&
          now - canopy_link_get_opened_at (self->parent) > CANOPY_CONFIRM_MS * 1000)
        canopy_node_leave_parent (self, "unconfirmed", "the host never confirmed this parent");
      break;
    }
  }
  for (guint i = 0; i < self->children->len; i++) {
    CanopyLink *child = g_ptr_array_index (self->children, i);

    if (canopy_link_check (child, now) != CANOPY_LINK_OK)
      g_ptr_array_add (silent, g_strdup (canopy_link_get_peer_id (child)));
  }
  for (guint i = 0; i < silent->len; i++) {
    g_message ("Child %s stopped answering: dropping it", (char *) g_ptr_array_index (silent, i));
    canopy_node_drop_child (self, g_ptr_array_index (silent, i));
  }
}

/**
 * canopy_node_close_links:
 * @self: a node that ends
 *
 * Closes every link without a word; see canopy_node_say_goodbye() for the polite way.
 */
void
canopy_node_close_links (CanopyNode *self)
{
  for (guint i = 0; i < self->children->len; i++)
    unwatch_and_close (self, g_ptr_array_index (self->children, i));
  g_ptr_array_set_size (self->children, 0);
  clear_parent (self);
  g_clear_handle_id (&self->departing_id, g_source_remove);
  close_departing (self);
  g_clear_handle_id (&self->shed_id, g_source_remove);
  if (self->shed != NULL)
    close_shed (self);
}

/**
 * canopy_node_say_goodbye:
 * @self: a node about to leave
 *
 * Tells the parent and the children; a host's children hear that the room closed.
 */
void
canopy_node_say_goodbye (CanopyNode *self)
{
  if (self->parent != NULL)
    canopy_link_send_bye (self->parent, "leaving");
  for (guint i = 0; i < self->children->len; i++)
    canopy_link_send_bye (g_ptr_array_index (self->children, i),
                          self->role == CANOPY_NODE_ROLE_HOST ? "room-closed" : "leaving");
}

/**
 * canopy_node_tick_links:
 * @self: a node
 *
 * Once a second: new flood-limit windows on every link, and a ping to the parent.
 */
void
canopy_node_tick_links (CanopyNode *self)
{
  if (self->parent != NULL)
    canopy_link_tick (self->parent);
  for (guint i = 0; i < self->children->len; i++)
    canopy_link_tick (g_ptr_array_index (self->children, i));
  canopy_node_judge_upload (self);
  canopy_node_fec_tick (self);
  canopy_node_files_tick (self);
}
