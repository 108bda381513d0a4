/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-json.h"
#include "canopy-webrtc.h"

/*
 * A node's life: starting (the media pipeline, then the server), its timers (stats every
 * second, heartbeats every CANOPY_HEARTBEAT_MS), what it does when asked (chat, another source),
 * and its end: leaving politely, or failing with the reason.
 */

static gboolean
on_stats_tick (gpointer user_data)
{
  CanopyNode *self = user_data;

  canopy_media_tick (self->media);
  canopy_node_tick_links (self);
  canopy_node_emit_stats (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_heartbeat (gpointer user_data)
{
  canopy_node_heartbeat (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_media_first_frame (CanopyMedia *media,
                      CanopyNode  *self)
{
  gint64 first = canopy_media_get_first_frame_us (media);

  if (self->role != CANOPY_NODE_ROLE_VIEWER || self->join_started == 0)
    return;
  canopy_node_emit_first_frame (self, (first - self->join_started) / 1000.0);
}

static void
on_media_error (CanopyMedia  *media,
                const GError *error,
                CanopyNode   *self)
{
  canopy_node_emit_error (self, CANOPY_ERROR_MEDIA, error->message);
}

/* Ends a node that cannot get (back) into the room, saying why. */
void
canopy_node_fail (CanopyNode  *self,
                  CanopyError  code,
                  const char  *message)
{
  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  canopy_node_emit_error (self, code, message);
  canopy_node_say_goodbye (self);
  canopy_node_server_say (self, "leave");
  canopy_node_set_state (self, CANOPY_NODE_STATE_FAILED);
  canopy_node_finish (self, CANOPY_END_REASON_FAILED);
}

/**
 * canopy_node_start:
 * @self: a node
 *
 * Builds the media pipeline, connects to the server and creates (host) or joins (viewer) the
 * room. Progress and failures arrive as signals and property notifications.
 */
void
canopy_node_start (CanopyNode *self)
{
  g_autoptr (GError) error = NULL;
  gboolean started;

  g_return_if_fail (CANOPY_IS_NODE (self));
  g_return_if_fail (self->state == CANOPY_NODE_STATE_IDLE);

  if (self->role == CANOPY_NODE_ROLE_VIEWER && self->room_id == NULL) {
    canopy_node_emit_error (self, CANOPY_ERROR_UNKNOWN_ROOM, "No room to join");
    canopy_node_set_state (self, CANOPY_NODE_STATE_FAILED);
    return;
  }
  if (self->identity == NULL)
    self->identity = canopy_identity_new ();
  canopy_webrtc_prepare ();
  self->media = canopy_media_new ();
  g_signal_connect (self->media, "first-frame", G_CALLBACK (on_media_first_frame), self);
  g_signal_connect (self->media, "error", G_CALLBACK (on_media_error), self);
  canopy_node_apply_volume (self);
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    g_autoptr (CanopySource) source = canopy_source_new (self->codec, self->width, self->height,
                                                         self->fps, self->bitrate_kbps);

    started = canopy_media_start_source (self->media, source, self->source_spec,
                                         self->preview_sink, &error);
  } else {
    started = canopy_media_start_playback (self->media, self->decode, self->video_sink,
                                           self->audio_sink, &error);
  }
  if (!started) {
    canopy_node_emit_error (self, CANOPY_ERROR_MEDIA, error->message);
    canopy_node_set_state (self, CANOPY_NODE_STATE_FAILED);
    return;
  }
  if (self->ice_addresses == NULL) {
    g_autoptr (GUri) uri = g_uri_parse (self->server_url, G_URI_FLAGS_NONE, NULL);

    /* Everyone on this machine: gather loopback only, so no test or local session ever
     * sends a packet to another address. */
    if (uri != NULL && canopy_address_is_loopback (g_uri_get_host (uri))) {
      self->ice_addresses = g_strsplit ("127.0.0.1", ",", -1);
      self->ice.addresses = self->ice_addresses;
    }
  }
  canopy_node_set_state (self, CANOPY_NODE_STATE_CONNECTING);
  canopy_node_connect_server (self);
  self->stats_id = g_timeout_add_seconds (1, on_stats_tick, self);
  self->heartbeat_id = g_timeout_add (CANOPY_HEARTBEAT_MS, on_heartbeat, self);
}

static gboolean
finish_leave (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->leave_id = 0;
  canopy_node_finish (self, CANOPY_END_REASON_LEFT);
  return G_SOURCE_REMOVE;
}

/**
 * canopy_node_leave:
 * @self: a node
 *
 * Says goodbye to the parent, the children and the server, then stops (#CanopyNode::left).
 * Children re-attach elsewhere; a host's leaving closes the room.
 */
void
canopy_node_leave (CanopyNode *self)
{
  g_return_if_fail (CANOPY_IS_NODE (self));

  if (self->state == CANOPY_NODE_STATE_ENDED || self->leave_id != 0)
    return;
  canopy_node_say_goodbye (self);
  if (self->role == CANOPY_NODE_ROLE_HOST && self->room_id != NULL && self->secret != NULL) {
    g_autoptr (JsonObject) close = json_object_new ();

    json_object_set_string_member (close, "type", "close-room");
    json_object_set_string_member (close, "room", self->room_id);
    json_object_set_string_member (close, "secret", self->secret);
    canopy_node_server_send (self, close);
  }
  canopy_node_server_say (self, "leave");
  /* Give the goodbyes a moment on the wire before the channels close. */
  self->leave_id = g_timeout_add (150, finish_leave, self);
}

/**
 * canopy_node_send_chat:
 * @self: a node in a room
 * @text: what to say (at most 2000 characters)
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when @text is not acceptable or we are in no room
 */
gboolean
canopy_node_send_chat (CanopyNode *self,
                       const char *text,
                       GError    **error)
{
  g_autoptr (CanopyChatMessage) message = NULL;

  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);

  if (self->room == NULL || self->state == CANOPY_NODE_STATE_ENDED) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM, "Not in a room");
    return FALSE;
  }
  if (self->room_id == NULL) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM, "Not in a room yet");
    return FALSE;
  }
  canopy_chat_set_signer (canopy_room_get_chat (self->room), self->identity, self->room_id);
  message = canopy_chat_compose (canopy_room_get_chat (self->room), self->name, text, error);
  if (message == NULL)
    return FALSE;
  canopy_node_emit_chat (self, message);
  canopy_node_broadcast_chat (self, NULL, message);
  return TRUE;
}

/**
 * canopy_node_set_source:
 * @self: a host
 * @spec: see canopy_source_set_input()
 * @error: return location for a #CanopyError
 *
 * Switches what the room shows without disconnecting anyone.
 *
 * Returns: %FALSE with @error set when the input cannot start
 */
gboolean
canopy_node_set_source (CanopyNode *self,
                        const char *spec,
                        GError    **error)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);

  if (self->media == NULL) {
    canopy_node_set_source_spec (self, spec);
    return TRUE;
  }
  if (!canopy_media_set_input (self->media, spec, error))
    return FALSE;
  canopy_node_set_source_spec (self, spec);
  return TRUE;
}

