/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-webrtc.h"

/*
 * The node's conversation with the signalling server: creating the room, joining and
 * re-joining, the host's placement answers, a parent's attach/refuse, and the SDP and ICE
 * relayed for each link. Everything from the server is checked before use.
 */

/* --- signalling --- */

/**
 * canopy_node_server_send:
 * @self: a node
 * @message: a message for the signalling server
 */
void
canopy_node_server_send (CanopyNode *self,
                         JsonObject *message)
{
  if (self->client != NULL)
    canopy_signal_client_send (self->client, message);
}

/**
 * canopy_node_server_say:
 * @self: a node
 * @type: a message with no members ("leave")
 */
void
canopy_node_server_say (CanopyNode *self,
                        const char *type)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  canopy_node_server_send (self, message);
}

static gboolean
retry_join (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->retry_id = 0;
  canopy_node_ask_to_join (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_join (CanopyNode *self)
{
  g_clear_handle_id (&self->answer_id, g_source_remove);
  guint delay = MIN (100 * (1u << MIN (self->join_attempts, 5)), 3000);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_id = g_timeout_add (delay, retry_join, self);
}

static gboolean
on_no_answer (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->answer_id = 0;
  g_message ("No place for us after %u ms: asking again", CANOPY_JOIN_ANSWER_MS);
  canopy_node_ask_to_join (self);
  return G_SOURCE_REMOVE;
}

/**
 * canopy_node_ask_to_join:
 * @self: a viewer
 *
 * Asks the host, through the server, for a place in the tree.
 */
void
canopy_node_ask_to_join (CanopyNode *self)
{
  g_autoptr (JsonObject) message = NULL;

  if (self->join_started == 0)
    self->join_started = g_get_monotonic_time ();
  /* Without the server the request waits for the resume, which asks again. */
  if (!self->connected)
    return;
  self->join_attempts++;
  g_debug ("asking to join %s", self->room_id);
  message = json_object_new ();
  json_object_set_string_member (message, "type", "join");
  json_object_set_string_member (message, "room", self->room_id);
  json_object_set_string_member (message, "name", self->name);
  json_object_set_int_member (message, "capacity", self->capacity);
  if (self->password != NULL)
    json_object_set_string_member (message, "password", self->password);
  if (self->avoid->len > 0) {
    JsonArray *avoid = json_array_new ();

    for (guint i = 0; i < self->avoid->len; i++)
      json_array_add_string_element (avoid, g_ptr_array_index (self->avoid, i));
    json_object_set_array_member (message, "avoid", avoid);
  }
  canopy_node_server_send (self, message);
  canopy_webrtc_trace ("join-sent", NULL);
  /* The host may never answer (it crashed, or placed us under a node that just left): ask
   * again if no place comes. */
  g_clear_handle_id (&self->answer_id, g_source_remove);
  self->answer_id = g_timeout_add (CANOPY_JOIN_ANSWER_MS, on_no_answer, self);
}

/**
 * canopy_node_start_joining:
 * @self: a viewer without a parent
 *
 * Asks for a place, and again after refusals, until %CANOPY_JOIN_TIMEOUT_MS have passed
 * without one (then the node fails with a clear error).
 */
void
canopy_node_start_joining (CanopyNode *self)
{
  canopy_node_set_state (self, self->state == CANOPY_NODE_STATE_CONNECTING ||
                                   self->state == CANOPY_NODE_STATE_JOINING
                                 ? CANOPY_NODE_STATE_JOINING
                                 : CANOPY_NODE_STATE_REJOINING);
  if (self->join_deadline == 0)
    self->join_deadline = g_get_monotonic_time () + CANOPY_JOIN_TIMEOUT_MS * G_GINT64_CONSTANT (1000);
  canopy_node_ask_to_join (self);
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
  if (self->password != NULL)
    json_object_set_string_member (message, "password", self->password);
  canopy_node_server_send (self, message);
}

void
canopy_node_finish (CanopyNode      *self,
                    CanopyEndReason  reason)
{
  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  canopy_node_set_state (self, CANOPY_NODE_STATE_ENDED);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->room_update_id, g_source_remove);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_handle_id (&self->answer_id, g_source_remove);
  canopy_node_close_links (self);
  if (self->media != NULL)
    canopy_media_stop (self->media);
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
  }
  canopy_node_emit_left (self, reason);
}

static void
send_resume (CanopyNode *self)
{
  g_autoptr (JsonObject) message = json_object_new ();

  self->resuming = TRUE;
  json_object_set_string_member (message, "type", "resume");
  json_object_set_string_member (message, "peer", self->peer_id);
  json_object_set_string_member (message, "room", self->room_id);
  json_object_set_string_member (message, "name", self->name);
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    json_object_set_string_member (message, "secret", self->secret);
    json_object_set_string_member (message, "title", self->title ? self->title : self->name);
    json_object_set_string_member (message, "summary", self->summary ? self->summary : "");
    if (self->cover != NULL && *self->cover != '\0')
      json_object_set_string_member (message, "cover", self->cover);
    json_object_set_boolean_member (message, "listed", self->listed);
    json_object_set_int_member (message, "k1", self->k1);
    canopy_node_moderation_resume (self, message);
  } else {
    json_object_set_int_member (message, "capacity", self->capacity);
    if (self->parent_id != NULL)
      json_object_set_string_member (message, "parent", self->parent_id);
  }
  /* Sent on the client directly: the node is not "connected" until the server took it. */
  canopy_signal_client_send (self->client, message);
}

static gboolean
retry_resume (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->retry_id = 0;
  if (self->client != NULL && self->resuming)
    send_resume (self);
  return G_SOURCE_REMOVE;
}

static void
on_resumed (CanopyNode *self)
{
  if (!self->resuming)
    return;
  self->resuming = FALSE;
  self->reconnect_attempts = 0;
  self->wait_media_at = 0;
  g_message ("Back on the signalling server as %s in room %s", self->peer_id, self->room_id);
  canopy_node_set_connected (self, TRUE);
  if (self->role == CANOPY_NODE_ROLE_HOST)
    canopy_node_emit_map_changed (self); /* the directory hears the viewer count again */
  else if (self->parent == NULL)
    canopy_node_ask_to_join (self);
}

/* `welcome`: we prove our key (hello) before anything else; `identified` goes on. */
static void
on_welcome (CanopyNode *self,
            JsonObject *message)
{
  g_autoptr (JsonObject) hello = json_object_new ();
  g_autofree char *signature = NULL;
  const char *challenge = NULL;
  JsonArray *servers = NULL;
  const char *fields[3] = { NULL, canopy_identity_get_public_key (self->identity), NULL };

  if (!canopy_json_get_string (message, "challenge", CANOPY_CHALLENGE_CHARS, TRUE, &challenge,
                               NULL) ||
      !canopy_json_get_array (message, "ice_servers", CANOPY_ICE_SERVERS_MAX, FALSE, &servers,
                              NULL)) {
    canopy_node_emit_error (self, CANOPY_ERROR_BAD_MESSAGE, "The server sent a bad welcome");
    return;
  }
  g_clear_pointer (&self->ice_servers, json_array_unref);
  self->ice_servers = servers ? json_array_ref (servers) : NULL;
  self->ice.servers = self->ice_servers;
  fields[0] = challenge;
  signature = canopy_identity_sign (self->identity, "canopy-hello", fields);
  json_object_set_string_member (hello, "type", "hello");
  json_object_set_string_member (hello, "key", fields[1]);
  json_object_set_string_member (hello, "signature", signature);
  /* On the client directly: the node is not "connected" until the server took it. */
  canopy_signal_client_send (self->client, hello);
}

static void
on_identified (CanopyNode *self,
               JsonObject *message)
{
  const char *peer = canopy_identity_get_id (self->identity);
  const char *named = NULL;

  if (!canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &named, NULL) ||
      g_strcmp0 (named, peer) != 0) {
    canopy_node_emit_error (self, CANOPY_ERROR_BAD_MESSAGE, "The server named us wrongly");
    return;
  }
  /* Back after losing the server: take our place back, keep everything else. */
  if (self->room != NULL) {
    send_resume (self);
    return;
  }
  canopy_node_set_peer_id (self, peer);
  canopy_node_set_connected (self, TRUE);
  self->room = canopy_room_new (self->role == CANOPY_NODE_ROLE_HOST, self->identity, self->name,
                                self->role == CANOPY_NODE_ROLE_HOST ? self->k1 : self->capacity);
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    canopy_node_set_state (self, CANOPY_NODE_STATE_JOINING);
    create_room (self);
  } else {
    canopy_node_start_joining (self);
  }
}

static void
on_room_created (CanopyNode *self,
                 JsonObject *message)
{
  const char *room = NULL;
  const char *secret = NULL;

  if (!canopy_json_get_string (message, "room", CANOPY_ROOM_ID_CHARS, TRUE, &room, NULL) ||
      !canopy_text_is_id (room, CANOPY_ROOM_ID_CHARS) ||
      !canopy_json_get_string (message, "secret", CANOPY_SECRET_CHARS, TRUE, &secret, NULL) ||
      !canopy_text_is_id (secret, CANOPY_SECRET_CHARS))
    return;
  g_free (self->secret);
  self->secret = g_strdup (secret);
  canopy_node_set_room_id (self, room);
  canopy_room_set_room_id (self->room, room);
  canopy_node_set_state (self, CANOPY_NODE_STATE_LIVE);
  if (self->locked)
    canopy_node_set_locked (self, TRUE);
  canopy_node_emit_map_changed (self);
}

static void
on_join_request (CanopyNode *self,
                 JsonObject *message)
{
  const char *peer = NULL;
  const char *name = NULL;
  gint64 capacity = 0;
  g_autofree char *parent = NULL;
  g_autoptr (JsonObject) place = NULL;
  g_autoptr (GPtrArray) avoid = g_ptr_array_new ();
  JsonArray *avoid_json = NULL;

  if (self->role != CANOPY_NODE_ROLE_HOST ||
      !canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &peer, NULL) ||
      !canopy_text_is_id (peer, CANOPY_PEER_ID_CHARS) ||
      !canopy_json_get_string (message, "name", CANOPY_NAME_CHARS, TRUE, &name, NULL) ||
      !canopy_json_get_int (message, "capacity", 0, CANOPY_CAPACITY_MAX, TRUE, &capacity, NULL))
    return;
  if (!canopy_json_get_array (message, "avoid", CANOPY_AVOID_MAX, FALSE, &avoid_json, NULL))
    return;
  canopy_webrtc_trace ("join-request", peer);
  for (guint i = 0; avoid_json != NULL && i < json_array_get_length (avoid_json); i++) {
    JsonNode *node = json_array_get_element (avoid_json, i);

    if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
        canopy_text_is_id (json_node_get_string (node), CANOPY_PEER_ID_CHARS))
      g_ptr_array_add (avoid, (gpointer) json_node_get_string (node));
  }
  g_ptr_array_add (avoid, NULL);
  parent = canopy_room_place (self->room, peer, name, (guint) capacity, self->k1, self->k,
                              (const char * const *) avoid->pdata);
  if (parent == NULL) {
    g_autoptr (JsonObject) reject = json_object_new ();
    /* Places promised to joiners still connecting may come free: ask again later. (A node
     * moving with its subtree waits for a place whatever it hears.) */
    gboolean retry = canopy_room_has_pending (self->room);

    g_message ("No free place for %s: %s", peer, retry ? "asking it to retry" : "the room is full");
    json_object_set_string_member (reject, "type", "reject");
    json_object_set_string_member (reject, "peer", peer);
    json_object_set_string_member (reject, "reason", retry ? "retry" : "full");
    canopy_node_server_send (self, reject);
    return;
  }
  place = json_object_new ();
  json_object_set_string_member (place, "type", "place");
  json_object_set_string_member (place, "peer", peer);
  json_object_set_string_member (place, "parent", parent);
  canopy_node_server_send (self, place);
}

static void
on_placed (CanopyNode *self,
           JsonObject *message)
{
  const char *parent = NULL;
  const char *host = NULL;
  const char *name = NULL;

  if (self->role != CANOPY_NODE_ROLE_VIEWER ||
      !canopy_json_get_string (message, "parent", CANOPY_PEER_ID_CHARS, TRUE, &parent, NULL) ||
      !canopy_text_is_id (parent, CANOPY_PEER_ID_CHARS) ||
      !canopy_json_get_string (message, "host", CANOPY_PEER_ID_CHARS, TRUE, &host, NULL) ||
      !canopy_text_is_id (host, CANOPY_PEER_ID_CHARS) ||
      !canopy_json_get_string (message, "name", CANOPY_NAME_CHARS, FALSE, &name, NULL))
    return;
  /* Whose signature the room's maps carry, and our name as the server settled it (names are
   * unique in a room). */
  canopy_room_set_room_id (self->room, self->room_id);
  canopy_room_set_host (self->room, host);
  if (name != NULL && *name != '\0')
    canopy_node_set_name (self, name);
  /* Never under ourselves or our own subtree, whatever the host's map says. */
  if (canopy_room_in_own_subtree (self->room, parent) ||
      canopy_node_find_child (self, parent) != NULL) {
    g_message ("Placed under %s, which is in our own subtree: asking again", parent);
    schedule_join (self);
    return;
  }
  g_clear_handle_id (&self->answer_id, g_source_remove);
  canopy_webrtc_trace ("placed", parent);
  canopy_node_set_parent (self, parent);
}

static void
on_attach (CanopyNode *self,
           JsonObject *message)
{
  const char *child = NULL;
  const char *name = NULL;
  gint64 capacity = 0;
  /* Our declared capacity (the host's k1), or fewer when our upload was measured not to
   * sustain it. */
  guint limit = canopy_node_get_measured_capacity (self);
  gboolean known = FALSE;

  if (!canopy_json_get_string (message, "child", CANOPY_PEER_ID_CHARS, TRUE, &child, NULL) ||
      !canopy_text_is_id (child, CANOPY_PEER_ID_CHARS) ||
      !canopy_json_get_string (message, "name", CANOPY_NAME_CHARS, TRUE, &name, NULL) ||
      !canopy_json_get_int (message, "capacity", 0, CANOPY_CAPACITY_MAX, TRUE, &capacity, NULL))
    return;
  canopy_webrtc_trace ("attach", child);
  known = canopy_node_find_child (self, child) != NULL;
  /* Refuse when full, or when the child is one of our ancestors (that would be a cycle). */
  if ((!known && self->children->len >= limit) || g_str_equal (child, self->peer_id) ||
      g_strcmp0 (child, self->parent_id) == 0 || canopy_room_is_ancestor (self->room, child)) {
    g_autoptr (JsonObject) refuse = json_object_new ();

    json_object_set_string_member (refuse, "type", "refuse");
    json_object_set_string_member (refuse, "child", child);
    canopy_node_server_send (self, refuse);
    return;
  }
  canopy_node_add_child (self, child, name, (guint) capacity);
}

static void
on_signal (CanopyNode *self,
           JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  const char *from = NULL;
  JsonObject *data = NULL;
  CanopyLink *link = NULL;

  if (!canopy_json_get_string (message, "from", CANOPY_PEER_ID_CHARS, TRUE, &from, NULL) ||
      !canopy_json_get_object (message, "data", TRUE, &data, NULL))
    return;
  if (self->parent != NULL && g_strcmp0 (from, self->parent_id) == 0)
    link = self->parent;
  else
    link = canopy_node_find_child (self, from);
  if (link == NULL) {
    g_debug ("signal from %s, who is not a neighbour", from);
    return;
  }
  if (!canopy_link_handle_signal (link, data, &error))
    g_message ("Bad signal from %s: %s", from, error->message);
}

/* A member whose room the server does not know (it restarted, or the host lost it) waits for
 * the host to resume it for as long as media still comes through the tree, and
 * %CANOPY_HOST_WAIT_MS after it stopped: a host that is cut off from the server but streams
 * keeps its room, one that is gone ends it. */
static gboolean
host_may_come_back (CanopyNode *self)
{
  gint64 now = g_get_monotonic_time ();
  guint64 packets = canopy_media_get_packets (self->media);

  if (self->wait_media_at == 0 || packets != self->wait_packets) {
    self->wait_packets = packets;
    self->wait_media_at = now;
  }
  return now - self->wait_media_at < CANOPY_HOST_WAIT_MS * (gint64) 1000;
}

/* `room-closed`: the room ended, unless its host only lost the server ("host-lost": it answered
 * no pings there, while it may well be streaming to us); then we wait for it to resume. */
static void
on_room_closed (CanopyNode *self,
                JsonObject *message)
{
  const char *reason = NULL;

  canopy_json_get_string (message, "reason", CANOPY_TYPE_CHARS, FALSE, &reason, NULL);
  if (g_strcmp0 (reason, "host-lost") == 0 && self->role == CANOPY_NODE_ROLE_VIEWER &&
      self->room != NULL && self->client != NULL && !self->resuming) {
    g_message ("The host lost the signalling server; waiting for it to take the room back");
    canopy_node_set_connected (self, FALSE);
    send_resume (self);
    return;
  }
  canopy_node_finish (self, CANOPY_END_REASON_ROOM_CLOSED);
}

static void
on_server_error (CanopyNode *self,
                 JsonObject *message)
{
  const char *code = NULL;
  const char *text = NULL;
  const char *ref = NULL;
  CanopyError error_code;

  canopy_json_get_string (message, "code", CANOPY_TYPE_CHARS * 2, FALSE, &code, NULL);
  canopy_json_get_string (message, "message", CANOPY_ERROR_MESSAGE_CHARS, FALSE, &text, NULL);
  canopy_json_get_string (message, "ref", CANOPY_TYPE_CHARS, FALSE, &ref, NULL);
  error_code = canopy_error_code_from_string (code);
  /* A report or a rejection about a peer that left meanwhile, a refusal of a child that
   * asked for another place meanwhile: nothing to do. */
  if ((error_code == CANOPY_ERROR_UNKNOWN_PEER &&
       (g_strcmp0 (ref, "report") == 0 || g_strcmp0 (ref, "reject") == 0)) ||
      g_strcmp0 (ref, "refuse") == 0)
    return;
  if (g_strcmp0 (ref, "resume") == 0 && self->resuming) {
    /* The host has not taken its room back yet: ask again soon. */
    if (error_code == CANOPY_ERROR_UNKNOWN_ROOM && self->role == CANOPY_NODE_ROLE_VIEWER) {
      if (!host_may_come_back (self)) {
        canopy_node_emit_error (self, CANOPY_ERROR_UNKNOWN_ROOM,
                                "The host did not come back to the signalling server");
        canopy_node_finish (self, CANOPY_END_REASON_ROOM_CLOSED);
        return;
      }
      g_clear_handle_id (&self->retry_id, g_source_remove);
      self->retry_id = g_timeout_add (CANOPY_RESUME_RETRY_MS, retry_resume, self);
      return;
    }
    canopy_node_emit_error (self, error_code, text ? text : "The server refused our return");
    canopy_node_finish (self, CANOPY_END_REASON_SERVER_LOST);
    return;
  }
  /* Joins come too fast (retries on a busy server): ask again a little later. */
  if (g_strcmp0 (ref, "join") == 0 && error_code == CANOPY_ERROR_RATE_LIMITED) {
    schedule_join (self);
    return;
  }
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

/* A member's connection closed or it left: the host frees its promised place, its parent drops
 * it at once (not after the child-silence timeout). */
static void
on_peer_left (CanopyNode *self,
              JsonObject *message)
{
  const char *peer = NULL;

  if (self->room == NULL ||
      !canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &peer, NULL) ||
      !canopy_text_is_id (peer, CANOPY_PEER_ID_CHARS))
    return;
  canopy_node_drop_child (self, peer);
  /* The map follows at once: its children keep their subtrees until they attach again. */
  if (self->role == CANOPY_NODE_ROLE_HOST && canopy_room_depart (self->room, peer))
    canopy_node_publish_map (self);
}

/* Our parent's connection to the server closed: it crashed or lost the network. */
static void
on_parent_left (CanopyNode *self,
                JsonObject *message)
{
  const char *peer = NULL;

  if (canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &peer, NULL) &&
      self->parent != NULL && g_strcmp0 (peer, self->parent_id) == 0)
    canopy_node_lose_parent (self, "the parent left the server");
}

static void
on_join_rejected (CanopyNode *self,
                  JsonObject *message)
{
  const char *reason = NULL;

  if (!canopy_json_get_string (message, "reason", CANOPY_TYPE_CHARS, TRUE, &reason, NULL))
    return;
  /* The room's rules: no waiting changes these. */
  if (g_str_equal (reason, "locked")) {
    canopy_node_fail (self, CANOPY_ERROR_ROOM_LOCKED, "The room is locked: it takes no newcomers");
    return;
  }
  if (g_str_equal (reason, "password")) {
    if (self->password != NULL)
      canopy_node_fail (self, CANOPY_ERROR_PASSWORD_WRONG, "Wrong password for this room");
    else
      canopy_node_fail (self, CANOPY_ERROR_PASSWORD_NEEDED, "This room needs a password");
    return;
  }
  if (g_str_equal (reason, "banned")) {
    canopy_node_fail (self, CANOPY_ERROR_BANNED, "The host removed you from this room");
    return;
  }
  /* The parents we left may be the only places: one that only stalled (a busy machine, a
   * moment of loss) is better than none, and one that is a black hole gets left again. But
   * not at once: the place we left is most likely freed within a second or two, when our
   * silent parent's own parent drops it and the host's map follows. */
  if (g_str_equal (reason, "full") && self->avoid->len > 0) {
    gint64 now = g_get_monotonic_time ();

    if (self->avoid_full_since == 0)
      self->avoid_full_since = now;
    if (now - self->avoid_full_since >= CANOPY_AVOID_GRACE_MS * 1000) {
      g_message ("No place but under the parents we left: asking without refusing them");
      g_ptr_array_set_size (self->avoid, 0);
      self->avoid_full_since = 0;
    }
  }
  /* A node moving with its subtree waits for a place (until the join deadline); a newcomer
   * asks again for a moment, as the host's map may lag a node that just left. */
  if (g_str_equal (reason, "full") && self->state != CANOPY_NODE_STATE_REJOINING) {
    gint64 now = g_get_monotonic_time ();

    if (self->full_since == 0)
      self->full_since = now;
    if (now - self->full_since > CANOPY_FULL_RETRY_MS * 1000) {
      canopy_node_fail (self, CANOPY_ERROR_ROOM_FULL, "The room is full");
      return;
    }
  }
  schedule_join (self);
}

/* What one end of an edge says about it, passed on by the server: the host's map follows. */
static void
on_edge (CanopyNode *self,
         JsonObject *message)
{
  const char *from = NULL;
  JsonObject *statement = NULL;

  if (self->role != CANOPY_NODE_ROLE_HOST || self->room == NULL ||
      !canopy_json_get_string (message, "from", CANOPY_PEER_ID_CHARS, TRUE, &from, NULL) ||
      !canopy_json_get_object (message, "statement", TRUE, &statement, NULL))
    return;
  if (canopy_room_attest (self->room, statement, from))
    canopy_node_publish_map (self);
}

/**
 * canopy_node_state_edge:
 * @self: a node
 * @kind: %CANOPY_STATEMENT_ATTACH (to our parent), %CANOPY_STATEMENT_ADOPT or
 *   %CANOPY_STATEMENT_DROP (of a child)
 * @other: the other end of the edge
 *
 * Tells the host, the map's only writer: a signed statement through the server, or on the
 * host itself straight into its ledger.
 */
void
canopy_node_state_edge (CanopyNode *self,
                        const char *kind,
                        const char *other)
{
  g_autoptr (JsonObject) message = NULL;

  if (self->room == NULL || self->room_id == NULL)
    return;
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    gboolean changed = g_str_equal (kind, CANOPY_STATEMENT_ADOPT)
                         ? canopy_room_adopt (self->room, other)
                         : canopy_room_drop (self->room, other);

    if (changed)
      canopy_node_publish_map (self);
    return;
  }
  /* Larger than any before, also after a restart with the same key. */
  self->statement_seq = MAX (self->statement_seq + 1, (guint64) g_get_real_time ());
  message = json_object_new ();
  json_object_set_string_member (message, "type", "edge");
  json_object_set_object_member (message, "statement",
                                 canopy_statement_make (self->identity, self->room_id, kind, other,
                                                        self->statement_seq));
  canopy_node_server_send (self, message);
}

/* A child says its parent went silent: no newcomers under it for a while. */
static void
on_peer_report (CanopyNode *self,
                JsonObject *message)
{
  const char *peer = NULL;
  const char *from = NULL;

  if (self->role != CANOPY_NODE_ROLE_HOST || self->room == NULL ||
      !canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &peer, NULL) ||
      !canopy_text_is_id (peer, CANOPY_PEER_ID_CHARS) ||
      !canopy_json_get_string (message, "from", CANOPY_PEER_ID_CHARS, TRUE, &from, NULL) ||
      !canopy_text_is_id (from, CANOPY_PEER_ID_CHARS))
    return;
  if (g_strcmp0 (peer, self->peer_id) == 0)
    return;
  g_message ("%s reports %s", from, peer);
  canopy_room_avoid (self->room, peer, TRUE);
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
  else if (g_str_equal (type, "peer-left"))
    on_peer_left (self, message);
  else if (g_str_equal (type, "parent-left"))
    on_parent_left (self, message);
  else if (g_str_equal (type, "join-rejected"))
    on_join_rejected (self, message);
  else if (g_str_equal (type, "peer-report"))
    on_peer_report (self, message);
  else if (g_str_equal (type, "edge"))
    on_edge (self, message);
  else if (g_str_equal (type, "kicked") && self->role == CANOPY_NODE_ROLE_VIEWER)
    canopy_node_finish (self, CANOPY_END_REASON_REMOVED);
  else if (g_str_equal (type, "identified"))
    on_identified (self, message);
  else if (g_str_equal (type, "resumed"))
    on_resumed (self);
  else if (g_str_equal (type, "room-closed"))
    on_room_closed (self, message);
  else if (g_str_equal (type, "error"))
    on_server_error (self, message);
}

static void connect_client (CanopyNode *self);

static gboolean
reconnect (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->reconnect_id = 0;
  connect_client (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (CanopyNode *self)
{
  guint delay = MIN (CANOPY_RECONNECT_MIN_MS << MIN (self->reconnect_attempts, 5),
                     CANOPY_RECONNECT_MAX_MS);

  self->reconnect_attempts++;
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
    g_clear_object (&self->client);
  }
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  self->reconnect_id = g_timeout_add (delay, reconnect, self);
}

static void
on_client_closed (CanopySignalClient *client,
                  gpointer            user_data)
{
  CanopyNode *self = user_data;

  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  /* Never in the room: nothing to keep. */
  if (self->room == NULL || self->room_id == NULL) {
    canopy_node_emit_error (self, CANOPY_ERROR_CONNECTION,
                            "The connection to the signalling server was lost");
    canopy_node_set_state (self, CANOPY_NODE_STATE_FAILED);
    canopy_node_finish (self, CANOPY_END_REASON_SERVER_LOST);
    return;
  }
  /* The tree streams on without the server; we come back and take our place again. */
  if (self->connected)
    canopy_node_emit_error (self, CANOPY_ERROR_CONNECTION,
                            "Lost the signalling server; reconnecting");
  canopy_node_set_connected (self, FALSE);
  self->resuming = FALSE;
  schedule_reconnect (self);
}

static void
on_client_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CanopyNode *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!canopy_signal_client_connect_finish (CANOPY_SIGNAL_CLIENT (source), result, &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
        CANOPY_SIGNAL_CLIENT (source) != self->client)
      return;
    /* Already in a room: keep trying, the room goes on meanwhile. */
    if (self->room != NULL && self->room_id != NULL) {
      schedule_reconnect (self);
      return;
    }
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
static void
connect_client (CanopyNode *self)
{
  self->client = canopy_signal_client_new (self->server_url);
  g_signal_connect (self->client, "message", G_CALLBACK (on_client_message), self);
  g_signal_connect (self->client, "closed", G_CALLBACK (on_client_closed), self);
  canopy_signal_client_connect_async (self->client, self->cancellable, on_client_connected, self);
}

void
canopy_node_connect_server (CanopyNode *self)
{
  self->cancellable = g_cancellable_new ();
  connect_client (self);
}


static gboolean
send_room_update (gpointer user_data)
{
  CanopyNode *self = user_data;
  g_autoptr (JsonObject) message = json_object_new ();

  self->room_update_id = 0;
  self->last_room_update = g_get_monotonic_time ();
  json_object_set_string_member (message, "type", "update-room");
  json_object_set_string_member (message, "room", self->room_id);
  json_object_set_string_member (message, "secret", self->secret);
  json_object_set_int_member (message, "viewers", canopy_node_get_viewers (self));
  json_object_set_int_member (message, "depth",
                              canopy_node_map_get_height (canopy_room_get_map (self->room)));
  canopy_node_server_send (self, message);
  return G_SOURCE_REMOVE;
}

/**
 * canopy_node_update_directory:
 * @self: the host
 *
 * The directory hears about the tree (viewers, depth) at most once a second.
 */
void
canopy_node_update_directory (CanopyNode *self)
{
  gint64 wait_ms;

  if (self->room_id == NULL || self->room_update_id != 0)
    return;
  wait_ms = 1000 - (g_get_monotonic_time () - self->last_room_update) / 1000;
  self->room_update_id = g_timeout_add (CLAMP (wait_ms, 0, 1000), send_room_update, self);
}
