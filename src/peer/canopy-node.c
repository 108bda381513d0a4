/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-enums.h"
#include "canopy-json.h"
#include "canopy-webrtc.h"

/*
 * A peer of a room: the host (encodes and is the tree's root) or a viewer (receives from its
 * parent and forwards, without decoding, to its children). The node is the coordinator: its
 * media pipeline is a CanopyMedia, each tree link a CanopyLink, the map, chat and placement a
 * CanopyRoom. This file holds the object, its properties, signals and public API.
 */

G_DEFINE_FINAL_TYPE (CanopyNode, canopy_node, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROLE,
  PROP_SERVER_URL,
  PROP_NAME,
  PROP_CAPACITY,
  PROP_ROOM_ID,
  PROP_TITLE,
  PROP_SUMMARY,
  PROP_COVER,
  PROP_LISTED,
  PROP_K1,
  PROP_K,
  PROP_SOURCE,
  PROP_CODEC,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_FPS,
  PROP_BITRATE,
  PROP_DECODE,
  PROP_LATENCY,
  PROP_FEC,
  PROP_VIDEO_SINK,
  PROP_AUDIO_SINK,
  PROP_PREVIEW_SINK,
  PROP_ICE_ADDRESSES,
  PROP_IDENTITY,
  PROP_STATE,
  PROP_PEER_ID,
  PROP_PARENT_ID,
  PROP_DEPTH,
  PROP_N_CHILDREN,
  PROP_MEASURED_CAPACITY,
  PROP_VIEWERS,
  PROP_VOLUME,
  PROP_MUTED,
  PROP_LAST_ERROR,
  PROP_CONNECTED,
  PROP_FILES_ALLOWED,
  PROP_FILE_MAX_SIZE,
  N_PROPS
};

enum {
  SIGNAL_JOINED,
  SIGNAL_FIRST_FRAME,
  SIGNAL_CHAT,
  SIGNAL_MAP_CHANGED,
  SIGNAL_STATS,
  SIGNAL_LEFT,
  SIGNAL_ERROR,
  SIGNAL_FILE_OFFERED,
  SIGNAL_FILE_PROGRESS,
  SIGNAL_FILE_COMPLETE,
  SIGNAL_FILE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* --- small helpers --- */

void
canopy_node_set_state (CanopyNode      *self,
           CanopyNodeState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string (CanopyNode *self,
            char      **field,
            const char *value,
            guint       prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
canopy_node_emit_error (CanopyNode  *self,
                        CanopyError  code,
                        const char  *message)
{
  g_autoptr (GError) error = g_error_new_literal (CANOPY_ERROR, code, message);

  g_clear_error (&self->last_error);
  self->last_error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

void
canopy_node_apply_volume (CanopyNode *self)
{
  if (self->media != NULL)
    canopy_media_set_volume (self->media, self->volume, self->muted);
}

void
canopy_node_set_source_spec (CanopyNode *self,
                             const char *spec)
{
  set_string (self, &self->source_spec, spec, PROP_SOURCE);
}

void
canopy_node_emit_stats (CanopyNode *self)
{
  g_signal_emit (self, signals[SIGNAL_STATS], 0);
}

void
canopy_node_emit_first_frame (CanopyNode *self,
                              double      ms)
{
  g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0, ms);
}

void
canopy_node_set_peer_id (CanopyNode *self,
                         const char *id)
{
  set_string (self, &self->peer_id, id, PROP_PEER_ID);
}

void
canopy_node_set_room_id (CanopyNode *self,
                         const char *id)
{
  set_string (self, &self->room_id, id, PROP_ROOM_ID);
}

void
canopy_node_set_name (CanopyNode *self,
                      const char *name)
{
  set_string (self, &self->name, name, PROP_NAME);
}

void
canopy_node_set_parent_id (CanopyNode *self,
                           const char *id)
{
  set_string (self, &self->parent_id, id, PROP_PARENT_ID);
}

void
canopy_node_emit_left (CanopyNode      *self,
                       CanopyEndReason  reason)
{
  g_signal_emit (self, signals[SIGNAL_LEFT], 0, reason);
}

void
canopy_node_notify_tree (CanopyNode *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEPTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CHILDREN]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
}

void
canopy_node_notify_capacity (CanopyNode *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEASURED_CAPACITY]);
}

void
canopy_node_set_connected (CanopyNode *self,
                           gboolean    connected)
{
  if (self->connected == connected)
    return;
  self->connected = connected;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

void
canopy_node_notify_file_policy (CanopyNode *self,
                                gboolean    allowed,
                                gboolean    max_size)
{
  if (allowed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILES_ALLOWED]);
  if (max_size)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_MAX_SIZE]);
}

void
canopy_node_emit_joined (CanopyNode *self)
{
  self->joined_emitted = TRUE;
  self->join_deadline = 0;
  self->full_since = 0;
  self->avoid_full_since = 0;
  g_ptr_array_set_size (self->avoid, 0);
  canopy_node_set_state (self, CANOPY_NODE_STATE_LIVE);
  g_signal_emit (self, signals[SIGNAL_JOINED], 0, self->parent_id, self->depth);
}

void
canopy_node_emit_file_offered (CanopyNode               *self,
                               const CanopyFileManifest *manifest)
{
  g_signal_emit (self, signals[SIGNAL_FILE_OFFERED], 0, manifest);
}

void
canopy_node_emit_file_progress (CanopyNode *self,
                                const char *id,
                                guint64     bytes,
                                guint64     size)
{
  g_signal_emit (self, signals[SIGNAL_FILE_PROGRESS], 0, id, bytes, size);
}

void
canopy_node_emit_file_complete (CanopyNode               *self,
                                const CanopyFileManifest *manifest,
                                GBytes                   *contents)
{
  g_signal_emit (self, signals[SIGNAL_FILE_COMPLETE], 0, manifest, contents);
}

void
canopy_node_emit_file_failed (CanopyNode *self,
                              const char *id,
                              const char *reason)
{
  g_signal_emit (self, signals[SIGNAL_FILE_FAILED], 0, id, reason);
}

void
canopy_node_emit_chat (CanopyNode              *self,
                       const CanopyChatMessage *message)
{
  g_signal_emit (self, signals[SIGNAL_CHAT], 0, message);
}

void
canopy_node_emit_map_changed (CanopyNode *self)
{
  if (self->role == CANOPY_NODE_ROLE_HOST)
    canopy_node_update_directory (self);
  canopy_node_notify_tree (self);
  g_signal_emit (self, signals[SIGNAL_MAP_CHANGED], 0);
}

/* --- GObject --- */

static void
canopy_node_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CanopyNode *self = CANOPY_NODE (object);

  switch (prop_id) {
  case PROP_ROLE:
    g_value_set_enum (value, self->role);
    break;
  case PROP_SERVER_URL:
    g_value_set_string (value, self->server_url);
    break;
  case PROP_NAME:
    g_value_set_string (value, self->name);
    break;
  case PROP_CAPACITY:
    g_value_set_uint (value, self->capacity);
    break;
  case PROP_ROOM_ID:
    g_value_set_string (value, self->room_id);
    break;
  case PROP_TITLE:
    g_value_set_string (value, self->title);
    break;
  case PROP_SUMMARY:
    g_value_set_string (value, self->summary);
    break;
  case PROP_COVER:
    g_value_set_string (value, self->cover);
    break;
  case PROP_LISTED:
    g_value_set_boolean (value, self->listed);
    break;
  case PROP_K1:
    g_value_set_uint (value, self->k1);
    break;
  case PROP_K:
    g_value_set_uint (value, self->k);
    break;
  case PROP_SOURCE:
    g_value_set_string (value, self->source_spec);
    break;
  case PROP_CODEC:
    g_value_set_enum (value, self->codec);
    break;
  case PROP_WIDTH:
    g_value_set_uint (value, self->width);
    break;
  case PROP_HEIGHT:
    g_value_set_uint (value, self->height);
    break;
  case PROP_FPS:
    g_value_set_uint (value, self->fps);
    break;
  case PROP_BITRATE:
    g_value_set_uint (value, self->bitrate_kbps);
    break;
  case PROP_DECODE:
    g_value_set_boolean (value, self->decode);
    break;
  case PROP_LATENCY:
    g_value_set_uint (value, self->latency_ms);
    break;
  case PROP_FEC:
    g_value_set_int (value, self->fec);
    break;
  case PROP_VIDEO_SINK:
    g_value_set_object (value, self->video_sink);
    break;
  case PROP_AUDIO_SINK:
    g_value_set_object (value, self->audio_sink);
    break;
  case PROP_PREVIEW_SINK:
    g_value_set_object (value, self->preview_sink);
    break;
  case PROP_ICE_ADDRESSES:
    g_value_set_boxed (value, self->ice_addresses);
    break;
  case PROP_IDENTITY:
    g_value_set_object (value, self->identity);
    break;
  case PROP_STATE:
    g_value_set_enum (value, self->state);
    break;
  case PROP_PEER_ID:
    g_value_set_string (value, self->peer_id);
    break;
  case PROP_PARENT_ID:
    g_value_set_string (value, self->parent_id);
    break;
  case PROP_DEPTH:
    g_value_set_int (value, canopy_node_get_depth (self));
    break;
  case PROP_N_CHILDREN:
    g_value_set_uint (value, canopy_node_get_n_children (self));
    break;
  case PROP_MEASURED_CAPACITY:
    g_value_set_uint (value, canopy_node_get_measured_capacity (self));
    break;
  case PROP_VIEWERS:
    g_value_set_uint (value, canopy_node_get_viewers (self));
    break;
  case PROP_VOLUME:
    g_value_set_double (value, self->volume);
    break;
  case PROP_MUTED:
    g_value_set_boolean (value, self->muted);
    break;
  case PROP_LAST_ERROR:
    g_value_set_boxed (value, self->last_error);
    break;
  case PROP_CONNECTED:
    g_value_set_boolean (value, self->connected);
    break;
  case PROP_FILES_ALLOWED:
    g_value_set_boolean (value, self->files_allowed);
    break;
  case PROP_FILE_MAX_SIZE:
    g_value_set_uint64 (value, self->max_file_size);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
replace_element (GstElement **field,
                 GstElement  *element)
{
  if (element != NULL)
    gst_object_ref_sink (element);
  gst_clear_object (field);
  *field = element;
}

static void
canopy_node_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  CanopyNode *self = CANOPY_NODE (object);

  switch (prop_id) {
  case PROP_ROLE:
    self->role = g_value_get_enum (value);
    break;
  case PROP_SERVER_URL:
    set_string (self, &self->server_url, g_value_get_string (value), prop_id);
    break;
  case PROP_NAME:
    set_string (self, &self->name, g_value_get_string (value), prop_id);
    break;
  case PROP_CAPACITY:
    self->capacity = g_value_get_uint (value);
    break;
  case PROP_ROOM_ID:
    set_string (self, &self->room_id, g_value_get_string (value), prop_id);
    break;
  case PROP_TITLE:
    set_string (self, &self->title, g_value_get_string (value), prop_id);
    break;
  case PROP_SUMMARY:
    set_string (self, &self->summary, g_value_get_string (value), prop_id);
    break;
  case PROP_COVER:
    set_string (self, &self->cover, g_value_get_string (value), prop_id);
    break;
  case PROP_LISTED:
    self->listed = g_value_get_boolean (value);
    break;
  case PROP_K1:
    self->k1 = g_value_get_uint (value);
    break;
  case PROP_K:
    self->k = g_value_get_uint (value);
    break;
  case PROP_SOURCE:
    set_string (self, &self->source_spec, g_value_get_string (value), prop_id);
    break;
  case PROP_CODEC:
    self->codec = g_value_get_enum (value);
    break;
  case PROP_WIDTH:
    self->width = g_value_get_uint (value);
    break;
  case PROP_HEIGHT:
    self->height = g_value_get_uint (value);
    break;
  case PROP_FPS:
    self->fps = g_value_get_uint (value);
    break;
  case PROP_BITRATE:
    self->bitrate_kbps = g_value_get_uint (value);
    break;
  case PROP_DECODE:
    self->decode = g_value_get_boolean (value);
    break;
  case PROP_LATENCY:
    self->latency_ms = g_value_get_uint (value);
    break;
  case PROP_FEC:
    self->fec = g_value_get_int (value);
    canopy_node_fec_update (self);
    break;
  case PROP_VIDEO_SINK:
    replace_element (&self->video_sink, g_value_get_object (value));
    break;
  case PROP_AUDIO_SINK:
    replace_element (&self->audio_sink, g_value_get_object (value));
    break;
  case PROP_PREVIEW_SINK:
    replace_element (&self->preview_sink, g_value_get_object (value));
    break;
  case PROP_VOLUME:
    canopy_node_set_volume (self, g_value_get_double (value));
    break;
  case PROP_MUTED:
    canopy_node_set_muted (self, g_value_get_boolean (value));
    break;
  case PROP_ICE_ADDRESSES:
    g_strfreev (self->ice_addresses);
    self->ice_addresses = g_value_dup_boxed (value);
    self->ice.addresses = self->ice_addresses;
    break;
  case PROP_IDENTITY:
    g_return_if_fail (self->state == CANOPY_NODE_STATE_IDLE);
    g_set_object (&self->identity, g_value_get_object (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_node_dispose (GObject *object)
{
  CanopyNode *self = CANOPY_NODE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->stats_id, g_source_remove);
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_handle_id (&self->answer_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->room_update_id, g_source_remove);
  g_clear_handle_id (&self->leave_id, g_source_remove);
  g_clear_handle_id (&self->departing_id, g_source_remove);
  g_clear_handle_id (&self->shed_id, g_source_remove);
  if (self->children != NULL)
    canopy_node_close_links (self);
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
    g_clear_object (&self->client);
  }
  if (self->media != NULL) {
    g_signal_handlers_disconnect_by_data (self->media, self);
    g_clear_object (&self->media);
  }
  gst_clear_object (&self->video_sink);
  gst_clear_object (&self->audio_sink);
  gst_clear_object (&self->preview_sink);
  g_clear_object (&self->room);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->keyframe_throttle, canopy_throttle_free);
  canopy_node_upload_clear (self);
  canopy_node_files_clear (self);
  G_OBJECT_CLASS (canopy_node_parent_class)->dispose (object);
}

static void
canopy_node_finalize (GObject *object)
{
  CanopyNode *self = CANOPY_NODE (object);

  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_clear_pointer (&self->departing, g_ptr_array_unref);
  g_clear_pointer (&self->shed, g_ptr_array_unref);
  g_clear_pointer (&self->avoid, g_ptr_array_unref);
  g_clear_pointer (&self->ice_servers, json_array_unref);
  g_strfreev (self->ice_addresses);
  g_free (self->server_url);
  g_free (self->name);
  g_free (self->room_id);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->cover);
  g_free (self->password);
  g_clear_pointer (&self->banned, g_ptr_array_unref);
  g_free (self->source_spec);
  g_free (self->peer_id);
  g_free (self->secret);
  g_free (self->parent_id);
  g_clear_error (&self->last_error);
  G_OBJECT_CLASS (canopy_node_parent_class)->finalize (object);
}

static GParamSpec *
string_prop (const char *name,
             GParamFlags extra)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                              G_PARAM_EXPLICIT_NOTIFY | extra);
}

static GParamSpec *
uint_prop (const char *name,
           guint       min,
           guint       max,
           guint       def)
{
  return g_param_spec_uint (name, NULL, NULL, min, max, def,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
element_prop (const char *name)
{
  return g_param_spec_object (name, NULL, NULL, GST_TYPE_ELEMENT,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                              G_PARAM_EXPLICIT_NOTIFY);
}

static void
canopy_node_class_init (CanopyNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = canopy_node_get_property;
  object_class->set_property = canopy_node_set_property;
  object_class->dispose = canopy_node_dispose;
  object_class->finalize = canopy_node_finalize;

  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, CANOPY_TYPE_NODE_ROLE, CANOPY_NODE_ROLE_VIEWER,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_URL] = string_prop ("server-url", G_PARAM_CONSTRUCT_ONLY);
  properties[PROP_NAME] = string_prop ("name", 0);
  properties[PROP_CAPACITY] = uint_prop ("capacity", 0, 32, 2);
  properties[PROP_ROOM_ID] = string_prop ("room-id", 0);
  properties[PROP_TITLE] = string_prop ("title", 0);
  properties[PROP_SUMMARY] = string_prop ("summary", 0);
  properties[PROP_COVER] = string_prop ("cover", 0);
  properties[PROP_LISTED] =
    g_param_spec_boolean ("listed", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_K1] = uint_prop ("k1", 1, 32, 4);
  properties[PROP_K] = uint_prop ("k", 1, 32, 4);
  properties[PROP_SOURCE] = string_prop ("source", 0);
  properties[PROP_CODEC] =
    g_param_spec_enum ("codec", NULL, NULL, CANOPY_TYPE_CODEC, CANOPY_CODEC_VP8,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_WIDTH] = uint_prop ("width", 16, 3840, 640);
  properties[PROP_HEIGHT] = uint_prop ("height", 16, 2160, 360);
  properties[PROP_FPS] = uint_prop ("fps", 1, 60, 30);
  properties[PROP_BITRATE] = uint_prop ("bitrate", 50, 20000, 1000);
  properties[PROP_DECODE] =
    g_param_spec_boolean ("decode", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LATENCY] = uint_prop ("latency", 0, 5000, CANOPY_DEFAULT_LATENCY_MS);
  /**
   * CanopyNode:fec:
   *
   * The host's forward error correction: FEC packets per 100 video packets, 0 for none, or -1
   * (the default) for %CANOPY_FEC_AUTO_PERCENT while a viewer asks for it (see
   * canopy-node-fec.c) and none otherwise.
   */
  properties[PROP_FEC] =
    g_param_spec_int ("fec", NULL, NULL, -1, CANOPY_FEC_MAX_PERCENT, -1,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_VIDEO_SINK] = element_prop ("video-sink");
  properties[PROP_AUDIO_SINK] = element_prop ("audio-sink");
  properties[PROP_PREVIEW_SINK] = element_prop ("preview-sink");
  /**
   * CanopyNode:ice-addresses:
   * The local addresses ICE gathers on. %NULL (the default) chooses: loopback only when the
   * server is on loopback (everyone is on this machine), every interface otherwise; an empty
   * list means every interface.
   */
  properties[PROP_ICE_ADDRESSES] =
    g_param_spec_boxed ("ice-addresses", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * CanopyNode:identity:
   *
   * The key pair this node proves to the server and signs its chat with; its peer id is the
   * key's. A new one is made at start when none is set.
   */
  properties[PROP_IDENTITY] =
    g_param_spec_object ("identity", NULL, NULL, CANOPY_TYPE_IDENTITY,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CANOPY_TYPE_NODE_STATE, CANOPY_NODE_STATE_IDLE, ro);
  properties[PROP_PEER_ID] = g_param_spec_string ("peer-id", NULL, NULL, NULL, ro);
  properties[PROP_PARENT_ID] = g_param_spec_string ("parent-id", NULL, NULL, NULL, ro);
  properties[PROP_DEPTH] = g_param_spec_int ("depth", NULL, NULL, -1, G_MAXINT, -1, ro);
  properties[PROP_N_CHILDREN] = g_param_spec_uint ("n-children", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * CanopyNode:measured-capacity:
   *
   * The children the node takes now: a viewer's declared #CanopyNode:capacity or the host's
   * #CanopyNode:k1, or fewer when its upload was measured not to sustain them.
   */
  properties[PROP_MEASURED_CAPACITY] =
    g_param_spec_uint ("measured-capacity", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_VIEWERS] = g_param_spec_uint ("viewers", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL, 0.0, 1.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * CanopyNode:last-error:
   * The last #CanopyNode::error, for a person to see (a source that stopped, a lost server).
   */
  properties[PROP_LAST_ERROR] = g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR, ro);
  /**
   * CanopyNode:connected:
   * Whether the node is on the signalling server now. A room goes on without it (the tree
   * streams, chat flows) while the node reconnects; only new joins and moves wait.
   */
  properties[PROP_CONNECTED] = g_param_spec_boolean ("connected", NULL, NULL, FALSE, ro);
  /**
   * CanopyNode:files-allowed:
   * Whether the host lets members share files, as this node last heard from it (a host: what
   * it set with canopy_node_set_file_policy()).
   */
  properties[PROP_FILES_ALLOWED] = g_param_spec_boolean ("files-allowed", NULL, NULL, TRUE, ro);
  /**
   * CanopyNode:file-max-size:
   * The largest file, in bytes, the host lets members share.
   */
  properties[PROP_FILE_MAX_SIZE] = g_param_spec_uint64 ("file-max-size", NULL, NULL, 1,
                                                        CANOPY_FILE_SIZE_MAX,
                                                        CANOPY_FILE_SIZE_DEFAULT_MAX, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyNode::joined:
   * @parent: the parent's peer id
   * @depth: our depth in the tree (the host is 0)
   */
  signals[SIGNAL_JOINED] = g_signal_new ("joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                         G_TYPE_INT);
  /**
   * CanopyNode::first-frame:
   * @ms: milliseconds from the first join request to the first frame (decoded, or received
   *   when not decoding)
   */
  signals[SIGNAL_FIRST_FRAME] = g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_DOUBLE);
  signals[SIGNAL_CHAT] = g_signal_new ("chat", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       CANOPY_TYPE_CHAT_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_MAP_CHANGED] = g_signal_new ("map-changed", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
  /**
   * CanopyNode::stats:
   * Once a second; read frames, bytes, rtt-ms and latency-ms with the getters.
   */
  signals[SIGNAL_STATS] = g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CanopyNode::left:
   * @reason: a #CanopyEndReason
   */
  signals[SIGNAL_LEFT] = g_signal_new ("left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       CANOPY_TYPE_END_REASON);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  /**
   * CanopyNode::file-offered:
   * @manifest: a file offered in the room, its signature checked (or our own)
   */
  signals[SIGNAL_FILE_OFFERED] = g_signal_new ("file-offered", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1,
                                               CANOPY_TYPE_FILE_MANIFEST |
                                               G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * CanopyNode::file-progress:
   * @id: the file
   * @bytes: how many of its bytes the node holds, verified; never less than before
   * @size: its size
   */
  signals[SIGNAL_FILE_PROGRESS] = g_signal_new ("file-progress", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64,
                                                G_TYPE_UINT64);
  /**
   * CanopyNode::file-complete:
   * @manifest: the file
   * @contents: all of it; its SHA-256 is the manifest's
   */
  signals[SIGNAL_FILE_COMPLETE] = g_signal_new ("file-complete", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2,
                                                CANOPY_TYPE_FILE_MANIFEST |
                                                G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_BYTES);
  /**
   * CanopyNode::file-failed:
   * @id: the file
   * @reason: "hash-mismatch": every chunk came, but the whole is not what its sender signed
   */
  signals[SIGNAL_FILE_FAILED] = g_signal_new ("file-failed", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
canopy_node_init (CanopyNode *self)
{
  self->name = g_strdup ("Anonymous");
  self->capacity = 2;
  self->k1 = 4;
  self->k = 4;
  self->listed = TRUE;
  self->source_spec = g_strdup ("test");
  self->width = 640;
  self->height = 360;
  self->fps = 30;
  self->bitrate_kbps = 1000;
  self->decode = TRUE;
  self->latency_ms = CANOPY_DEFAULT_LATENCY_MS;
  self->fec = -1;
  self->depth = -1;
  self->volume = 1.0;
  self->children = g_ptr_array_new_with_free_func (g_object_unref);
  self->departing = g_ptr_array_new_with_free_func (g_object_unref);
  self->avoid = g_ptr_array_new_with_free_func (g_free);
  self->banned = g_ptr_array_new_with_free_func (g_free);
  self->keyframe_throttle = canopy_throttle_new (CANOPY_KEYFRAME_MIN_INTERVAL_MS,
                                                 canopy_node_request_keyframe, self, NULL);
  canopy_node_files_init (self);
}

/**
 * canopy_node_new:
 * @role: host or viewer
 * @server_url: the signalling server, `ws://host:port/ws`
 *
 * Set the other properties, then call canopy_node_start().
 *
 * Returns: (transfer full): a node
 */
CanopyNode *
canopy_node_new (CanopyNodeRole  role,
                 const char     *server_url)
{
  return g_object_new (CANOPY_TYPE_NODE, "role", role, "server-url", server_url, NULL);
}

CanopyNodeRole
canopy_node_get_role (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), CANOPY_NODE_ROLE_VIEWER);
  return self->role;
}

CanopyNodeState
canopy_node_get_state (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), CANOPY_NODE_STATE_IDLE);
  return self->state;
}

const char *
canopy_node_get_peer_id (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  return self->peer_id;
}

const char *
canopy_node_get_room_id (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  return self->room_id;
}

const char *
canopy_node_get_parent_id (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  return self->parent_id;
}

int
canopy_node_get_depth (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), -1);
  if (self->role == CANOPY_NODE_ROLE_HOST)
    return 0;
  return self->depth;
}

guint
canopy_node_get_n_children (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->children->len;
}

/**
 * canopy_node_get_viewers:
 * @self: a node
 *
 * Returns: how many viewers the room map lists
 */
guint
canopy_node_get_viewers (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  if (self->room == NULL || canopy_room_get_map (self->room) == NULL)
    return 0;
  return canopy_node_map_get_size (canopy_room_get_map (self->room)) - 1;
}

/**
 * canopy_node_get_map:
 * @self: a node
 *
 * Returns: (transfer none) (nullable): the room's node map as this node knows it
 */
CanopyNodeMap *
canopy_node_get_map (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  return self->room != NULL ? canopy_room_get_map (self->room) : NULL;
}

guint64
canopy_node_get_frames (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->media != NULL ? canopy_media_get_frames (self->media) : 0;
}

/**
 * canopy_node_get_packets:
 * @self: a node
 *
 * Returns: the video and audio RTP packets it received (a host: it sent) so far
 */
guint64
canopy_node_get_packets (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->media != NULL ? canopy_media_get_packets (self->media) : 0;
}

guint64
canopy_node_get_bytes (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->media != NULL ? canopy_media_get_bytes (self->media) : 0;
}

/**
 * canopy_node_get_rtt_ms:
 * @self: a viewer
 *
 * Returns: the round trip to the parent over the data channel (0 without a parent)
 */
double
canopy_node_get_rtt_ms (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->parent != NULL ? canopy_link_get_rtt_ms (self->parent) : 0;
}

/**
 * canopy_node_get_fec_recovered:
 * @self: a viewer
 *
 * Returns: the packets from the current parent rebuilt from the host's FEC (0 without one)
 */
guint64
canopy_node_get_fec_recovered (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->parent != NULL ? canopy_link_get_fec_recovered (self->parent) : 0;
}

/**
 * canopy_node_get_latency_ms:
 * @self: a decoding viewer
 *
 * Returns: the mean capture-to-decoded delay over the last second, from the ntp-64 stamps
 *   (0 when none were seen)
 */
double
canopy_node_get_latency_ms (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->media != NULL ? canopy_media_get_latency_ms (self->media) : 0;
}

double
canopy_node_get_bitrate_kbps (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->media != NULL ? canopy_media_get_bitrate_kbps (self->media) : 0;
}

/**
 * canopy_node_get_chat_refused:
 * @self: a node
 *
 * Returns: the chat messages from neighbours dropped so far because they were not signed by
 *   their origin (forged or altered on the way)
 */
guint64
canopy_node_get_chat_refused (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->chat_forged;
}

/**
 * canopy_node_set_file_rate:
 * @self: a node
 * @rate_bytes: the most bytes of files a second it sends on each edge, at least 1024
 *
 * For links made from now on (the default is %CANOPY_FILE_RATE_BYTES).
 */
void
canopy_node_set_file_rate (CanopyNode *self,
                           guint64     rate_bytes)
{
  g_return_if_fail (CANOPY_IS_NODE (self));
  g_return_if_fail (rate_bytes >= 1024);
  self->file_rate = rate_bytes;
}

/**
 * canopy_node_get_files_refused:
 * @self: a node
 *
 * Returns: file offers whose signature failed and chunks that did not match their hash, from
 *   neighbours, so far
 */
guint64
canopy_node_get_files_refused (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->files_refused;
}

/**
 * canopy_node_get_maps_refused:
 * @self: a node
 *
 * Returns: maps from a parent that were not the host's (altered on the way), dropped
 */
guint64
canopy_node_get_maps_refused (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->maps_refused;
}

/**
 * canopy_node_get_keyframes_refused:
 * @self: a node
 *
 * Returns: the keyframe requests of its children, present and past, that were over their
 *   budget and not passed on
 */
guint64
canopy_node_get_keyframes_refused (CanopyNode *self)
{
  guint64 refused;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  refused = self->keyframes_refused;
  for (guint i = 0; self->children != NULL && i < self->children->len; i++)
    refused += canopy_link_get_keyframes_refused (g_ptr_array_index (self->children, i));
  return refused;
}

/**
 * canopy_node_get_child_layers:
 * @self: a node
 *
 * Returns: (transfer full): each child's peer id and how many temporal layers of the video it
 *   is sent (fewer than all when its link is too thin for the stream); empty when the stream has
 *   no layers
 */
JsonObject *
canopy_node_get_child_layers (CanopyNode *self)
{
  JsonObject *layers = json_object_new ();

  g_return_val_if_fail (CANOPY_IS_NODE (self), layers);
  for (guint i = 0; self->children != NULL && i < self->children->len; i++) {
    CanopyLink *child = g_ptr_array_index (self->children, i);
    guint n = canopy_link_get_layers (child);

    if (n > 0)
      json_object_set_int_member (layers, canopy_link_get_peer_id (child), n);
  }
  return layers;
}

/**
 * canopy_node_new_rejoin:
 * @self: a viewer, usually one that ended
 *
 * Returns: (transfer full): a new idle viewer for the same room, server, name, capacity and
 *   ICE addresses, with the same volume; set its sinks, then canopy_node_start()
 */
CanopyNode *
canopy_node_new_rejoin (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);

  return g_object_new (CANOPY_TYPE_NODE,
                       "role", CANOPY_NODE_ROLE_VIEWER,
                       "server-url", self->server_url,
                       "name", self->name,
                       "capacity", self->capacity,
                       "room-id", self->room_id,
                       "ice-addresses", self->ice_addresses,
                       "identity", self->identity,
                       "decode", self->decode,
                       "latency", self->latency_ms,
                       "volume", self->volume,
                       "muted", self->muted,
                       NULL);
}

/**
 * canopy_node_set_volume:
 * @self: a node
 * @volume: 0 (silent) to 1 (as received)
 */
void
canopy_node_set_volume (CanopyNode *self,
                        double      volume)
{
  g_return_if_fail (CANOPY_IS_NODE (self));

  volume = CLAMP (volume, 0.0, 1.0);
  if (self->volume == volume)
    return;
  self->volume = volume;
  canopy_node_apply_volume (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOLUME]);
}

double
canopy_node_get_volume (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->volume;
}

void
canopy_node_set_muted (CanopyNode *self,
                       gboolean    muted)
{
  g_return_if_fail (CANOPY_IS_NODE (self));

  muted = !!muted;
  if (self->muted == muted)
    return;
  self->muted = muted;
  canopy_node_apply_volume (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

gboolean
canopy_node_get_muted (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);
  return self->muted;
}

/**
 * canopy_node_get_last_error:
 * @self: a node
 *
 * Returns: (nullable) (transfer none): the last error reported by #CanopyNode::error
 */
const GError *
canopy_node_get_last_error (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  return self->last_error;
}

/**
 * canopy_end_reason_to_string:
 * @reason: why a node ended
 *
 * Returns: the reason's nick: "left", "room-closed", "server-lost", "failed" or "removed"
 */
const char *
canopy_end_reason_to_string (CanopyEndReason reason)
{
  GEnumClass *klass = g_type_class_ref (CANOPY_TYPE_END_REASON);
  GEnumValue *value = g_enum_get_value (klass, reason);

  g_type_class_unref (klass);
  return value != NULL ? value->value_nick : "failed";
}
