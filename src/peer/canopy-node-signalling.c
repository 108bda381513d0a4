/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-error.h"
#include "canopy-json.h"

/*
 * A node's edges and its conversation with the signalling server: joining and re-joining,
 * the host's placement answers, a parent's attach/refuse, and the SDP and ICE relayed for
 * each edge. Everything from the server is checked before use.
 */

static void start_join (CanopyNode *self);

/* --- edges --- */

void
canopy_node_pending_free (gpointer data)
{
  CanopyPending *pending = data;

  g_free (pending->parent);
  g_free (pending);
}

void
canopy_node_child_free (gpointer data)
{
  CanopyChild *child = data;

  canopy_edge_close (child->edge);
  g_object_unref (child->edge);
  g_clear_object (&child->subtree);
  g_free (child->name);
  g_free (child);
}

static void
on_edge_signal (CanopyEdge *edge,
                JsonObject *data,
                gpointer    user_data)
{
  CanopyNode *self = user_data;
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "signal");
  json_object_set_string_member (message, "to", canopy_edge_get_peer_id (edge));
  json_object_set_object_member (message, "data", json_object_ref (data));
  canopy_node_signal_send (self, message);
}

static void
on_edge_message (CanopyEdge *edge,
                 const char *label,
                 const char *text,
                 gpointer    user_data)
{
  canopy_node_on_message (user_data, edge, label, text);
}

static void
on_edge_channel_open (CanopyEdge *edge,
                      const char *label,
                      gpointer    user_data)
{
  CanopyNode *self = user_data;
  gboolean ctrl = g_str_equal (label, CANOPY_EDGE_CTRL);

  if (edge == self->parent_edge) {
    if (ctrl)
      canopy_node_on_parent_ctrl_open (self);
    return;
  } else {
    CanopyChild *child = g_hash_table_lookup (self->children, canopy_edge_get_peer_id (edge));

    if (child == NULL)
      return;
    if (ctrl)
      canopy_node_on_child_ctrl_open (self, child);
    else
      canopy_node_on_child_chat_open (self, child);
  }
}

static gboolean
drop_child_later (gpointer user_data)
{
  g_autoptr (CanopyEdge) edge = user_data;
  CanopyNode *self = g_object_get_data (G_OBJECT (edge), "canopy-node");

  if (self != NULL)
    canopy_node_drop_child (self, canopy_edge_get_peer_id (edge));
  return G_SOURCE_REMOVE;
}

static gboolean
lose_parent_later (gpointer user_data)
{
  g_autoptr (CanopyEdge) edge = user_data;
  CanopyNode *self = g_object_get_data (G_OBJECT (edge), "canopy-node");

  if (self != NULL && self->parent_edge == edge)
    canopy_node_lose_parent (self, "the connection to the parent was lost");
  return G_SOURCE_REMOVE;
}

static void
on_edge_gone (CanopyEdge *edge,
              gpointer    user_data)
{
  CanopyNode *self = user_data;

  /* Closing an edge inside its own signal would free it under its emitter: go round the
   * main loop first. */
  g_object_set_data (G_OBJECT (edge), "canopy-node", self);
  if (edge == self->parent_edge)
    g_idle_add (lose_parent_later, g_object_ref (edge));
  else
    g_idle_add (drop_child_later, g_object_ref (edge));
}

static void
on_edge_video_started (CanopyEdge *edge,
                       gpointer    user_data)
{
  CanopyNode *self = user_data;

  /* Straight up the data channels: a keyframe in one round trip per hop, not at the pace of
   * RTCP feedback. */
  if (edge == self->parent_edge)
    canopy_node_request_keyframe (self);
}

static void
watch_edge (CanopyNode *self,
            CanopyEdge *edge)
{
  g_signal_connect (edge, "video-started", G_CALLBACK (on_edge_video_started), self);
  g_signal_connect (edge, "signal", G_CALLBACK (on_edge_signal), self);
  g_signal_connect (edge, "message", G_CALLBACK (on_edge_message), self);
  g_signal_connect (edge, "channel-open", G_CALLBACK (on_edge_channel_open), self);
  g_signal_connect (edge, "gone", G_CALLBACK (on_edge_gone), self);
}

void
canopy_node_close_edge (CanopyNode *self,
            CanopyEdge *edge)
{
  g_signal_handlers_disconnect_by_data (edge, self);
  g_object_set_data (G_OBJECT (edge), "canopy-node", NULL);
  canopy_edge_close (edge);
}

void
canopy_node_drop_child (CanopyNode *self,
                        const char *id)
{
  CanopyChild *child = g_hash_table_lookup (self->children, id);

  if (child == NULL)
    return;
  g_debug ("dropping child %s", id);
  canopy_node_close_edge (self, child->edge);
  for (guint i = 0; i < self->child_order->len; i++) {
    if (g_str_equal (g_ptr_array_index (self->child_order, i), id)) {
      g_ptr_array_remove_index (self->child_order, i);
      break;
    }
  }
  g_hash_table_remove (self->children, id);
  canopy_node_recompose (self);
}

static void
accept_child (CanopyNode *self,
              const char *id,
              const char *name,
              guint       capacity)
{
  CanopyChild *child = g_new0 (CanopyChild, 1);

  canopy_node_drop_child (self, id);
  child->edge = canopy_edge_new_to_child (GST_BIN (self->pipeline), id, self->video_tee,
                                          self->audio_tee, &self->ice);
  child->name = g_strdup (name);
  child->capacity = capacity;
  watch_edge (self, child->edge);
  g_hash_table_insert (self->children, g_strdup (id), child);
  g_ptr_array_add (self->child_order, g_strdup (id));
  canopy_node_notify_tree (self);
}

void
canopy_node_lose_parent (CanopyNode *self,
                         const char *why)
{
  if (self->parent_edge == NULL)
    return;
  g_message ("Lost parent %s: %s; finding a new one", self->parent_id, why);
  canopy_node_close_edge (self, self->parent_edge);
  g_clear_object (&self->parent_edge);
  canopy_node_set_parent_id (self, NULL);
  g_clear_object (&self->sent_subtree);
  self->map_synced = FALSE;
  self->joined_emitted = FALSE;
  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  canopy_node_set_state (self, CANOPY_NODE_STATE_REJOINING);
  /* Our children stay: the whole subtree moves with us. The server forgets our old place. */
  canopy_node_send_simple (self, "leave", NULL, NULL);
  start_join (self);
}

/* --- signalling --- */

static gboolean
retry_join (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->retry_id = 0;
  start_join (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_join (CanopyNode *self)
{
  guint delay = MIN (100 * (1u << MIN (self->join_attempts, 5)), 3000);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_id = g_timeout_add (delay, retry_join, self);
}

static void
start_join (CanopyNode *self)
{
  g_autoptr (JsonObject) message = json_object_new ();

  self->join_attempts++;
  g_debug ("asking to join %s", self->room_id);
  if (self->join_started == 0)
    self->join_started = g_get_monotonic_time ();
  json_object_set_string_member (message, "type", "join");
  json_object_set_string_member (message, "room", self->room_id);
  json_object_set_string_member (message, "name", self->name);
  json_object_set_int_member (message, "capacity", self->capacity);
  canopy_node_signal_send (self, message);
}

static void
create_room (CanopyNode *self)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "create-room");
  json_object_set_string_member (message, "title", self->title ? self->title : self->name);
  json_object_set_string_member (message, "summary", self->summary ? self->summary : "");
  if (self->cover != NULL && *self->cover != '\0')
    json_object_set_string_member (message, "cover", self->cover);
  json_object_set_string_member (message, "name", self->name);
  json_object_set_boolean_member (message, "listed", self->listed);
  json_object_set_int_member (message, "k1", self->k1);
  canopy_node_signal_send (self, message);
}

void
canopy_node_finish (CanopyNode      *self,
                    CanopyEndReason  reason)
{
  GHashTableIter iter;
  gpointer value;

  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  canopy_node_set_state (self, CANOPY_NODE_STATE_ENDED);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->first_frame_id, g_source_remove);
  g_clear_handle_id (&self->room_update_id, g_source_remove);
  g_hash_table_iter_init (&iter, self->children);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_signal_handlers_disconnect_by_data (((CanopyChild *) value)->edge, self);
  g_hash_table_remove_all (self->children);
  g_ptr_array_set_size (self->child_order, 0);
  if (self->parent_edge != NULL) {
    canopy_node_close_edge (self, self->parent_edge);
    g_clear_object (&self->parent_edge);
  }
  if (self->source != NULL)
    canopy_source_stop (self->source);
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
  }
  canopy_node_emit_left (self, reason);
}

static void
on_welcome (CanopyNode *self,
            JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  const char *peer = NULL;
  JsonArray *servers = NULL;

  if (!canopy_json_get_string (message, "peer", 32, TRUE, &peer, &error) ||
      !canopy_text_is_id (peer, 32) ||
      !canopy_json_get_array (message, "ice_servers", 32, FALSE, &servers, &error)) {
    canopy_node_emit_error (self, CANOPY_ERROR_BAD_MESSAGE, "The server sent a bad welcome");
    return;
  }
  canopy_node_set_peer_id (self, peer);
  g_clear_pointer (&self->ice_servers, json_array_unref);
  self->ice_servers = servers ? json_array_ref (servers) : NULL;
  self->ice.servers = self->ice_servers;
  self->chat = canopy_chat_new (peer, 4096, 50);
  canopy_node_set_state (self, CANOPY_NODE_STATE_JOINING);
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    self->room_map = canopy_node_map_new (peer, self->name, self->k1);
    self->map_synced = TRUE;
    create_room (self);
  } else {
    start_join (self);
  }
}

static void
on_room_created (CanopyNode *self,
                 JsonObject *message)
{
  const char *room = NULL;
  const char *secret = NULL;

  if (!canopy_json_get_string (message, "room", 16, TRUE, &room, NULL) ||
      !canopy_text_is_id (room, 16) ||
      !canopy_json_get_string (message, "secret", 64, TRUE, &secret, NULL) ||
      !canopy_text_is_id (secret, 64))
    return;
  g_free (self->secret);
  self->secret = g_strdup (secret);
  canopy_node_set_room_id (self, room);
  canopy_node_set_state (self, CANOPY_NODE_STATE_LIVE);
  canopy_node_emit_map_changed (self);
}

static void
on_join_request (CanopyNode *self,
                 JsonObject *message)
{
  const char *peer = NULL;
  g_autofree char *parent = NULL;
  g_autoptr (JsonObject) place = NULL;

  if (self->role != CANOPY_NODE_ROLE_HOST ||
      !canopy_json_get_string (message, "peer", 32, TRUE, &peer, NULL) ||
      !canopy_text_is_id (peer, 32))
    return;
  parent = canopy_node_place (self, peer);
  if (parent == NULL) {
    g_message ("No free place for %s: the tree is full", peer);
    return;
  }
  place = json_object_new ();
  json_object_set_string_member (place, "type", "place");
  json_object_set_string_member (place, "peer", peer);
  json_object_set_string_member (place, "parent", parent);
  canopy_node_signal_send (self, place);
}

static void
on_placed (CanopyNode *self,
           JsonObject *message)
{
  const char *parent = NULL;

  if (self->role != CANOPY_NODE_ROLE_VIEWER ||
      !canopy_json_get_string (message, "parent", 32, TRUE, &parent, NULL) ||
      !canopy_text_is_id (parent, 32))
    return;
  /* Never under ourselves or our own subtree, whatever the host's map says. */
  if (g_str_equal (parent, self->peer_id) ||
      (self->sent_subtree != NULL && canopy_node_map_contains (self->sent_subtree, parent)) ||
      g_hash_table_contains (self->children, parent)) {
    g_message ("Placed under %s, which is in our own subtree: asking again", parent);
    canopy_node_send_simple (self, "leave", NULL, NULL);
    schedule_join (self);
    return;
  }
  if (self->parent_edge != NULL) {
    canopy_node_close_edge (self, self->parent_edge);
    g_clear_object (&self->parent_edge);
  }
  g_debug ("placed under %s", parent);
  canopy_node_set_parent_id (self, parent);
  self->parent_edge = canopy_edge_new_to_parent (GST_BIN (self->pipeline), parent,
                                                 self->video_tee, self->audio_tee, &self->ice,
                                                 self->latency_ms);
  watch_edge (self, self->parent_edge);
}

static void
on_attach (CanopyNode *self,
           JsonObject *message)
{
  const char *child = NULL;
  const char *name = NULL;
  gint64 capacity = 0;
  guint limit = self->role == CANOPY_NODE_ROLE_HOST ? self->k1 : self->capacity;
  gboolean known = FALSE;

  if (!canopy_json_get_string (message, "child", 32, TRUE, &child, NULL) ||
      !canopy_text_is_id (child, 32) ||
      !canopy_json_get_string (message, "name", 64, TRUE, &name, NULL) ||
      !canopy_json_get_int (message, "capacity", 0, 32, TRUE, &capacity, NULL))
    return;
  known = g_hash_table_contains (self->children, child);
  /* Refuse when full, or when the child is one of our ancestors (that would be a cycle). */
  if ((!known && g_hash_table_size (self->children) >= limit) ||
      g_str_equal (child, self->peer_id) || g_strcmp0 (child, self->parent_id) == 0 ||
      (self->room_map != NULL && canopy_node_map_contains (self->room_map, self->peer_id) &&
       canopy_node_map_is_ancestor (self->room_map, child, self->peer_id))) {
    g_autoptr (JsonObject) refuse = json_object_new ();

    json_object_set_string_member (refuse, "type", "refuse");
    json_object_set_string_member (refuse, "child", child);
    canopy_node_signal_send (self, refuse);
    return;
  }
  accept_child (self, child, name, (guint) capacity);
}

static void
on_signal (CanopyNode *self,
           JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  const char *from = NULL;
  JsonObject *data = NULL;
  CanopyEdge *edge = NULL;

  if (!canopy_json_get_string (message, "from", 32, TRUE, &from, NULL) ||
      !canopy_json_get_object (message, "data", TRUE, &data, NULL))
    return;
  if (self->parent_edge != NULL && g_strcmp0 (from, self->parent_id) == 0) {
    edge = self->parent_edge;
  } else {
    CanopyChild *child = g_hash_table_lookup (self->children, from);

    edge = child ? child->edge : NULL;
  }
  if (edge == NULL) {
    g_debug ("signal from %s, who is not a neighbour", from);
    return;
  }
  if (!canopy_edge_handle_signal (edge, data, &error))
    g_message ("Bad signal from %s: %s", from, error->message);
}

static void
on_server_error (CanopyNode *self,
                 JsonObject *message)
{
  const char *code = NULL;
  const char *text = NULL;
  const char *ref = NULL;
  CanopyError error_code;

  canopy_json_get_string (message, "code", 64, FALSE, &code, NULL);
  canopy_json_get_string (message, "message", 1000, FALSE, &text, NULL);
  canopy_json_get_string (message, "ref", 32, FALSE, &ref, NULL);
  error_code = canopy_error_code_from_string (code);
  canopy_node_emit_error (self, error_code, text ? text : "The server reported an error");
  /* A room that is gone by the time we ask for a new parent has ended. */
  if (g_strcmp0 (ref, "join") == 0 && self->state == CANOPY_NODE_STATE_REJOINING &&
      error_code == CANOPY_ERROR_UNKNOWN_ROOM) {
    canopy_node_finish (self, CANOPY_END_REASON_ROOM_CLOSED);
    return;
  }
  /* Failing to get into the room at all ends this node. */
  if ((g_strcmp0 (ref, "join") == 0 && self->state == CANOPY_NODE_STATE_JOINING &&
       error_code != CANOPY_ERROR_RATE_LIMITED) ||
      g_strcmp0 (ref, "create-room") == 0) {
    canopy_node_set_state (self, CANOPY_NODE_STATE_FAILED);
    canopy_node_finish (self, CANOPY_END_REASON_FAILED);
  }
}

static void
on_client_message (CanopySignalClient *client,
                   const char         *type,
                   JsonObject         *message,
                   gpointer            user_data)
{
  CanopyNode *self = user_data;

  if (g_str_equal (type, "welcome"))
    on_welcome (self, message);
  else if (g_str_equal (type, "room-created"))
    on_room_created (self, message);
  else if (g_str_equal (type, "join-request"))
    on_join_request (self, message);
  else if (g_str_equal (type, "placed"))
    on_placed (self, message);
  else if (g_str_equal (type, "refused"))
    schedule_join (self);
  else if (g_str_equal (type, "attach"))
    on_attach (self, message);
  else if (g_str_equal (type, "signal"))
    on_signal (self, message);
  else if (g_str_equal (type, "peer-left")) {
    const char *peer = NULL;

    if (canopy_json_get_string (message, "peer", 32, TRUE, &peer, NULL))
      g_hash_table_remove (self->pending, peer);
  } else if (g_str_equal (type, "room-closed"))
    canopy_node_finish (self, CANOPY_END_REASON_ROOM_CLOSED);
  else if (g_str_equal (type, "error"))
    on_server_error (self, message);
}

static void
on_client_closed (CanopySignalClient *client,
                  gpointer            user_data)
{
  CanopyNode *self = user_data;

  canopy_node_emit_error (self, CANOPY_ERROR_CONNECTION,
                          "The connection to the signalling server was lost");
  /* Without the server a host's room is gone; a viewer keeps playing until its parent goes. */
  if (self->role == CANOPY_NODE_ROLE_HOST || self->state != CANOPY_NODE_STATE_LIVE)
    canopy_node_finish (self, CANOPY_END_REASON_SERVER_LOST);
}

static void
on_client_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CanopyNode *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!canopy_signal_client_connect_finish (CANOPY_SIGNAL_CLIENT (source), result, &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return;
    canopy_node_emit_error (self, CANOPY_ERROR_CONNECTION, error->message);
    canopy_node_set_state (self, CANOPY_NODE_STATE_FAILED);
    canopy_node_finish (self, CANOPY_END_REASON_FAILED);
  }
}

/**
 * canopy_node_connect_server:
 * @self: a node starting
 *
 * Opens the signalling connection; the welcome sets everything else going.
 */
void
canopy_node_connect_server (CanopyNode *self)
{
  self->cancellable = g_cancellable_new ();
  self->client = canopy_signal_client_new (self->server_url);
  g_signal_connect (self->client, "message", G_CALLBACK (on_client_message), self);
  g_signal_connect (self->client, "closed", G_CALLBACK (on_client_closed), self);
  canopy_signal_client_connect_async (self->client, self->cancellable, on_client_connected, self);
}

