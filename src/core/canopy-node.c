/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <string.h>

#include "canopy-enums.h"
#include "canopy-error.h"
#include "canopy-json.h"
#include "canopy-webrtc.h"

/*
 * A peer of a room: the host (encodes and is the tree's root) or a viewer (receives from its
 * parent and forwards, without decoding, to its children). One GstPipeline per node: the
 * video and audio RTP enter two tees (from the encoder, or from the parent's webrtcbin) and
 * leave through one webrtcbin per child and, on viewers, a local decode branch.
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
  PROP_VIDEO_SINK,
  PROP_AUDIO_SINK,
  PROP_PREVIEW_SINK,
  PROP_ICE_ADDRESSES,
  PROP_STATE,
  PROP_PEER_ID,
  PROP_PARENT_ID,
  PROP_DEPTH,
  PROP_N_CHILDREN,
  PROP_VIEWERS,
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
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_join (CanopyNode *self);

/* --- small helpers --- */

static void
set_state (CanopyNode      *self,
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

  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

void
canopy_node_signal_send (CanopyNode *self,
                         JsonObject *message)
{
  if (self->client != NULL)
    canopy_signal_client_send (self->client, message);
}

static void
send_simple (CanopyNode *self,
             const char *type,
             const char *member,
             const char *value)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  if (member != NULL)
    json_object_set_string_member (message, member, value);
  canopy_node_signal_send (self, message);
}

void
canopy_node_notify_tree (CanopyNode *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEPTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CHILDREN]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWERS]);
}

void
canopy_node_emit_joined (CanopyNode *self)
{
  self->joined_emitted = TRUE;
  set_state (self, CANOPY_NODE_STATE_LIVE);
  g_signal_emit (self, signals[SIGNAL_JOINED], 0, self->parent_id, self->depth);
}

void
canopy_node_emit_chat (CanopyNode              *self,
                       const CanopyChatMessage *message)
{
  g_signal_emit (self, signals[SIGNAL_CHAT], 0, message);
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
  json_object_set_int_member (message, "depth", canopy_node_map_get_height (self->room_map));
  canopy_node_signal_send (self, message);
  return G_SOURCE_REMOVE;
}

void
canopy_node_emit_map_changed (CanopyNode *self)
{
  if (self->role == CANOPY_NODE_ROLE_HOST && self->room_id != NULL &&
      self->room_update_id == 0) {
    /* The directory hears about the tree at most once a second. */
    gint64 wait_ms = 1000 - (g_get_monotonic_time () - self->last_room_update) / 1000;

    self->room_update_id = g_timeout_add (CLAMP (wait_ms, 0, 1000), send_room_update, self);
  }
  canopy_node_notify_tree (self);
  g_signal_emit (self, signals[SIGNAL_MAP_CHANGED], 0);
}

/* --- measurement probes (streaming threads) --- */

static void
count_rtp_buffer (CanopyNode *self,
                  GstBuffer  *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean marker = FALSE;

  if (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp)) {
    marker = gst_rtp_buffer_get_marker (&rtp);
    gst_rtp_buffer_unmap (&rtp);
  }
  g_mutex_lock (&self->stats_lock);
  self->bytes += gst_buffer_get_size (buffer);
  /* The payloaders set the marker on the last packet of each frame. */
  if (marker)
    self->rtp_frames++;
  if (marker && !self->decode && self->first_frame_us == 0)
    self->first_frame_us = g_get_monotonic_time ();
  g_mutex_unlock (&self->stats_lock);
}

static gboolean
count_rtp_in_list (GstBuffer **buffer,
                   guint       idx,
                   gpointer    user_data)
{
  count_rtp_buffer (user_data, *buffer);
  return TRUE;
}

static GstPadProbeReturn
on_video_rtp (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    count_rtp_buffer (user_data, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_rtp_in_list, user_data);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_decoded_frame (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  CanopyNode *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstReferenceTimestampMeta *meta =
    gst_buffer_get_reference_timestamp_meta (buffer, canopy_webrtc_ntp_caps ());
  gint64 now = g_get_real_time ();

  g_mutex_lock (&self->stats_lock);
  self->frames++;
  if (self->first_frame_us == 0)
    self->first_frame_us = g_get_monotonic_time ();
  if (meta != NULL && meta->timestamp != 0) {
    double stamp_us = meta->timestamp / 1000.0 - (double) CANOPY_NTP_OFFSET_S * G_USEC_PER_SEC;
    double ms = (now - stamp_us) / 1000.0;

    /* One clock on one machine; anything outside this is a stale or foreign stamp. */
    if (ms > -1.0 && ms < 10000.0) {
      self->latency_sum_ms += ms;
      self->latency_n++;
    }
  }
  g_mutex_unlock (&self->stats_lock);
  return GST_PAD_PROBE_OK;
}

/* --- media --- */

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  CanopyNode *self = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_LATENCY:
    /* Sinks added at run time would otherwise ignore the jitterbuffer latency. */
    gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &error, &debug);
    g_message ("Pipeline error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               error->message, debug ? debug : "");
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static GstElement *
make_tee (GstBin     *bin,
          const char *name)
{
  GstElement *tee = gst_element_factory_make ("tee", name);

  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (bin, tee);
  return tee;
}

static GstElement *
fallback_sink (void)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  return sink;
}

static GstElement *
add_branch (CanopyNode *self,
            GstElement *tee,
            const char *desc,
            GstElement *sink)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &error);

  if (bin == NULL) {
    g_message ("Cannot build the decoder: %s", error->message);
    gst_object_unref (sink);
    return NULL;
  }
  gst_bin_add_many (GST_BIN (self->pipeline), bin, sink, NULL);
  if (!gst_element_link_many (tee, bin, sink, NULL)) {
    g_message ("Cannot link the decoder");
    return NULL;
  }
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (bin);
  return bin;
}

#define PLAYBACK_QUEUE \
  "queue max-size-time=500000000 max-size-buffers=0 max-size-bytes=0 leaky=downstream ! "

static void
add_video_playback (CanopyNode *self,
                    gboolean    h264)
{
  const char *desc = h264
    ? PLAYBACK_QUEUE "rtph264depay name=depay request-keyframe=true wait-for-keyframe=true ! "
                     "h264parse ! avdec_h264 name=decoder ! videoconvert"
    : PLAYBACK_QUEUE "rtpvp8depay name=depay request-keyframe=true wait-for-keyframe=true ! "
                     "vp8dec name=decoder ! videoconvert";
  g_autoptr (GstElement) depay = NULL;
  g_autoptr (GstElement) decoder = NULL;
  g_autoptr (GstPad) decoder_src = NULL;
  g_autoptr (GstRTPHeaderExtension) ntp = NULL;
  GstElement *bin = add_branch (self, self->video_tee, desc,
                                self->video_sink ? gst_object_ref (self->video_sink)
                                                 : fallback_sink ());

  if (bin == NULL)
    return;
  /* The 1.22 answer drops the ntp-64 extmap: map it on the depayloader by hand. */
  depay = gst_bin_get_by_name (GST_BIN (bin), "depay");
  ntp = gst_rtp_header_extension_create_from_uri (CANOPY_NTP64_URI);
  if (ntp != NULL) {
    gst_rtp_header_extension_set_id (ntp, CANOPY_NTP64_ID);
    g_signal_emit_by_name (depay, "add-extension", ntp);
  }
  decoder = gst_bin_get_by_name (GST_BIN (bin), "decoder");
  decoder_src = gst_element_get_static_pad (decoder, "src");
  gst_pad_add_probe (decoder_src, GST_PAD_PROBE_TYPE_BUFFER, on_decoded_frame, self, NULL);
}

/* The decoder is chosen by the first caps the parent sends: viewers need not know the codec. */
static GstPadProbeReturn
on_video_caps (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  CanopyNode *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  const char *encoding;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  encoding = gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name");
  if (g_strcmp0 (encoding, "H264") != 0 && g_strcmp0 (encoding, "VP8") != 0)
    return GST_PAD_PROBE_OK;
  /* Right here on the streaming thread, before the caps and the first keyframe pass the tee:
   * a decoder linked a moment later would miss that keyframe and wait for the next. */
  add_video_playback (self, g_str_equal (encoding, "H264"));
  return GST_PAD_PROBE_REMOVE;
}

static void
add_playback (CanopyNode *self)
{
  g_autoptr (GstPad) tee_sink = gst_element_get_static_pad (self->video_tee, "sink");

  add_branch (self, self->audio_tee,
              PLAYBACK_QUEUE "rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample",
              self->audio_sink ? gst_object_ref (self->audio_sink) : fallback_sink ());
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_video_caps, self, NULL);
}

static gboolean
build_pipeline (CanopyNode *self,
                GError    **error)
{
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) tee_sink = NULL;

  self->pipeline = gst_object_ref_sink (gst_pipeline_new (NULL));
  canopy_webrtc_watch_pipeline (GST_BIN (self->pipeline));
  bus = gst_element_get_bus (self->pipeline);
  gst_bus_add_watch (bus, on_bus_message, self);
  self->video_tee = gst_object_ref (make_tee (GST_BIN (self->pipeline), "video"));
  self->audio_tee = gst_object_ref (make_tee (GST_BIN (self->pipeline), "audio"));

  tee_sink = gst_element_get_static_pad (self->video_tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_video_rtp, self, NULL);
  /* Joins and losses below us all ask for keyframes: let one through per interval. */
  canopy_webrtc_coalesce_keyframe_requests (tee_sink);

  if (self->role == CANOPY_NODE_ROLE_HOST) {
    self->source = canopy_source_new (self->codec, self->width, self->height, self->fps,
                                      self->bitrate_kbps);
    if (!canopy_source_attach (self->source, GST_BIN (self->pipeline), self->video_tee,
                               self->audio_tee, self->preview_sink, error) ||
        !canopy_source_set_input (self->source, self->source_spec, error))
      return FALSE;
  } else if (self->decode) {
    add_playback (self);
  }
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot start the media pipeline");
    return FALSE;
  }
  return TRUE;
}

/* --- edges --- */

static void
pending_free (gpointer data)
{
  CanopyPending *pending = data;

  g_free (pending->parent);
  g_free (pending);
}

static void
child_free (gpointer data)
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

static void
close_edge (CanopyNode *self,
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
  close_edge (self, child->edge);
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
  close_edge (self, self->parent_edge);
  g_clear_object (&self->parent_edge);
  set_string (self, &self->parent_id, NULL, PROP_PARENT_ID);
  g_clear_object (&self->sent_subtree);
  self->map_synced = FALSE;
  self->joined_emitted = FALSE;
  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  set_state (self, CANOPY_NODE_STATE_REJOINING);
  /* Our children stay: the whole subtree moves with us. The server forgets our old place. */
  send_simple (self, "leave", NULL, NULL);
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

static void
finish (CanopyNode *self,
        const char *reason)
{
  GHashTableIter iter;
  gpointer value;

  if (self->state == CANOPY_NODE_STATE_ENDED)
    return;
  set_state (self, CANOPY_NODE_STATE_ENDED);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->first_frame_id, g_source_remove);
  g_clear_handle_id (&self->room_update_id, g_source_remove);
  g_hash_table_iter_init (&iter, self->children);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_signal_handlers_disconnect_by_data (((CanopyChild *) value)->edge, self);
  g_hash_table_remove_all (self->children);
  g_ptr_array_set_size (self->child_order, 0);
  if (self->parent_edge != NULL) {
    close_edge (self, self->parent_edge);
    g_clear_object (&self->parent_edge);
  }
  if (self->source != NULL)
    canopy_source_stop (self->source);
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
  }
  g_signal_emit (self, signals[SIGNAL_LEFT], 0, reason);
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
  set_string (self, &self->peer_id, peer, PROP_PEER_ID);
  g_clear_pointer (&self->ice_servers, json_array_unref);
  self->ice_servers = servers ? json_array_ref (servers) : NULL;
  self->ice.servers = self->ice_servers;
  self->chat = canopy_chat_new (peer, 4096, 50);
  set_state (self, CANOPY_NODE_STATE_JOINING);
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
      !canopy_json_get_string (message, "secret", 64, TRUE, &secret, NULL))
    return;
  g_free (self->secret);
  self->secret = g_strdup (secret);
  set_string (self, &self->room_id, room, PROP_ROOM_ID);
  set_state (self, CANOPY_NODE_STATE_LIVE);
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
    send_simple (self, "leave", NULL, NULL);
    schedule_join (self);
    return;
  }
  if (self->parent_edge != NULL) {
    close_edge (self, self->parent_edge);
    g_clear_object (&self->parent_edge);
  }
  g_debug ("placed under %s", parent);
  set_string (self, &self->parent_id, parent, PROP_PARENT_ID);
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
  /* Failing to get into the room at all ends this node. */
  if ((g_strcmp0 (ref, "join") == 0 && self->state == CANOPY_NODE_STATE_JOINING &&
       error_code != CANOPY_ERROR_RATE_LIMITED) ||
      g_strcmp0 (ref, "create-room") == 0) {
    set_state (self, CANOPY_NODE_STATE_FAILED);
    finish (self, "failed");
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
    finish (self, "room-closed");
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
    finish (self, "server-lost");
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
    set_state (self, CANOPY_NODE_STATE_FAILED);
    finish (self, "failed");
  }
}

/* --- stats --- */

static gboolean
on_stats_tick (gpointer user_data)
{
  CanopyNode *self = user_data;

  g_mutex_lock (&self->stats_lock);
  self->measured_kbps = (self->bytes - self->last_bytes) * 8.0 / 1000.0;
  self->last_bytes = self->bytes;
  if (self->latency_n > 0)
    self->measured_latency_ms = self->latency_sum_ms / self->latency_n;
  self->latency_sum_ms = 0;
  self->latency_n = 0;
  g_mutex_unlock (&self->stats_lock);
  g_signal_emit (self, signals[SIGNAL_STATS], 0);
  canopy_node_send_ping (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_first_frame_check (gpointer user_data)
{
  CanopyNode *self = user_data;
  gint64 first;

  g_mutex_lock (&self->stats_lock);
  first = self->first_frame_us;
  g_mutex_unlock (&self->stats_lock);
  if (first == 0 || self->join_started == 0)
    return G_SOURCE_CONTINUE;
  self->first_frame_id = 0;
  g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0,
                 (first - self->join_started) / 1000.0);
  return G_SOURCE_REMOVE;
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
  case PROP_VIEWERS:
    g_value_set_uint (value, canopy_node_get_viewers (self));
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
  case PROP_VIDEO_SINK:
    replace_element (&self->video_sink, g_value_get_object (value));
    break;
  case PROP_AUDIO_SINK:
    replace_element (&self->audio_sink, g_value_get_object (value));
    break;
  case PROP_PREVIEW_SINK:
    replace_element (&self->preview_sink, g_value_get_object (value));
    break;
  case PROP_ICE_ADDRESSES:
    g_strfreev (self->ice_addresses);
    self->ice_addresses = g_value_dup_boxed (value);
    self->ice.addresses = self->ice_addresses;
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
  g_clear_handle_id (&self->first_frame_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->room_update_id, g_source_remove);
  g_clear_handle_id (&self->leave_id, g_source_remove);
  if (self->children != NULL)
    g_hash_table_remove_all (self->children);
  if (self->parent_edge != NULL) {
    close_edge (self, self->parent_edge);
    g_clear_object (&self->parent_edge);
  }
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
    g_clear_object (&self->client);
  }
  g_clear_object (&self->source);
  if (self->pipeline != NULL) {
    g_autoptr (GstBus) bus = gst_element_get_bus (self->pipeline);

    gst_bus_remove_watch (bus);
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  }
  gst_clear_object (&self->video_tee);
  gst_clear_object (&self->audio_tee);
  gst_clear_object (&self->pipeline);
  gst_clear_object (&self->video_sink);
  gst_clear_object (&self->audio_sink);
  gst_clear_object (&self->preview_sink);
  g_clear_object (&self->room_map);
  g_clear_object (&self->sent_subtree);
  g_clear_object (&self->chat);
  g_clear_pointer (&self->keyframe_throttle, canopy_throttle_free);
  G_OBJECT_CLASS (canopy_node_parent_class)->dispose (object);
}

static void
canopy_node_finalize (GObject *object)
{
  CanopyNode *self = CANOPY_NODE (object);

  g_clear_pointer (&self->children, g_hash_table_unref);
  g_clear_pointer (&self->child_order, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->ice_servers, json_array_unref);
  g_strfreev (self->ice_addresses);
  g_free (self->server_url);
  g_free (self->name);
  g_free (self->room_id);
  g_free (self->title);
  g_free (self->summary);
  g_free (self->cover);
  g_free (self->source_spec);
  g_free (self->peer_id);
  g_free (self->secret);
  g_free (self->parent_id);
  g_mutex_clear (&self->stats_lock);
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
  properties[PROP_VIDEO_SINK] = element_prop ("video-sink");
  properties[PROP_AUDIO_SINK] = element_prop ("audio-sink");
  properties[PROP_PREVIEW_SINK] = element_prop ("preview-sink");
  properties[PROP_ICE_ADDRESSES] =
    g_param_spec_boxed ("ice-addresses", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CANOPY_TYPE_NODE_STATE, CANOPY_NODE_STATE_IDLE, ro);
  properties[PROP_PEER_ID] = g_param_spec_string ("peer-id", NULL, NULL, NULL, ro);
  properties[PROP_PARENT_ID] = g_param_spec_string ("parent-id", NULL, NULL, NULL, ro);
  properties[PROP_DEPTH] = g_param_spec_int ("depth", NULL, NULL, -1, G_MAXINT, -1, ro);
  properties[PROP_N_CHILDREN] = g_param_spec_uint ("n-children", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_VIEWERS] = g_param_spec_uint ("viewers", NULL, NULL, 0, G_MAXUINT, 0, ro);
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
   * @reason: "left", "room-closed", "server-lost" or "failed"
   */
  signals[SIGNAL_LEFT] = g_signal_new ("left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
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
  self->depth = -1;
  self->children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, child_free);
  self->child_order = g_ptr_array_new_with_free_func (g_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  g_mutex_init (&self->stats_lock);
  self->keyframe_throttle = canopy_throttle_new (CANOPY_KEYFRAME_MIN_INTERVAL_MS,
                                                 canopy_node_request_keyframe, self, NULL);
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

  g_return_if_fail (CANOPY_IS_NODE (self));
  g_return_if_fail (self->state == CANOPY_NODE_STATE_IDLE);

  if (self->role == CANOPY_NODE_ROLE_VIEWER && self->room_id == NULL) {
    canopy_node_emit_error (self, CANOPY_ERROR_UNKNOWN_ROOM, "No room to join");
    set_state (self, CANOPY_NODE_STATE_FAILED);
    return;
  }
  canopy_webrtc_prepare ();
  if (!build_pipeline (self, &error)) {
    canopy_node_emit_error (self, CANOPY_ERROR_MEDIA, error->message);
    set_state (self, CANOPY_NODE_STATE_FAILED);
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
  set_state (self, CANOPY_NODE_STATE_CONNECTING);
  self->cancellable = g_cancellable_new ();
  self->client = canopy_signal_client_new (self->server_url);
  g_signal_connect (self->client, "message", G_CALLBACK (on_client_message), self);
  g_signal_connect (self->client, "closed", G_CALLBACK (on_client_closed), self);
  canopy_signal_client_connect_async (self->client, self->cancellable, on_client_connected, self);
  self->stats_id = g_timeout_add_seconds (1, on_stats_tick, self);
  if (self->role == CANOPY_NODE_ROLE_VIEWER)
    self->first_frame_id = g_timeout_add (20, on_first_frame_check, self);
}

static gboolean
finish_leave (gpointer user_data)
{
  CanopyNode *self = user_data;

  self->leave_id = 0;
  finish (self, "left");
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
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (CANOPY_IS_NODE (self));

  if (self->state == CANOPY_NODE_STATE_ENDED || self->leave_id != 0)
    return;
  if (self->parent_edge != NULL)
    canopy_node_send_bye (self, self->parent_edge, "leaving");
  g_hash_table_iter_init (&iter, self->children);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    canopy_node_send_bye (self, ((CanopyChild *) value)->edge, "leaving");
  if (self->role == CANOPY_NODE_ROLE_HOST && self->room_id != NULL && self->secret != NULL) {
    g_autoptr (JsonObject) close = json_object_new ();

    json_object_set_string_member (close, "type", "close-room");
    json_object_set_string_member (close, "room", self->room_id);
    json_object_set_string_member (close, "secret", self->secret);
    canopy_node_signal_send (self, close);
  }
  send_simple (self, "leave", NULL, NULL);
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

  if (self->chat == NULL || self->state == CANOPY_NODE_STATE_ENDED) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM, "Not in a room");
    return FALSE;
  }
  message = canopy_chat_compose (self->chat, self->name, text, error);
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

  if (self->source == NULL) {
    set_string (self, &self->source_spec, spec, PROP_SOURCE);
    return TRUE;
  }
  if (!canopy_source_set_input (self->source, spec, error))
    return FALSE;
  set_string (self, &self->source_spec, spec, PROP_SOURCE);
  return TRUE;
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
  return g_hash_table_size (self->children);
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
  if (self->room_map == NULL)
    return 0;
  return canopy_node_map_get_size (self->room_map) - 1;
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
  return self->room_map;
}

guint64
canopy_node_get_frames (CanopyNode *self)
{
  guint64 frames;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  g_mutex_lock (&self->stats_lock);
  frames = self->decode && self->role == CANOPY_NODE_ROLE_VIEWER ? self->frames
                                                                 : self->rtp_frames;
  g_mutex_unlock (&self->stats_lock);
  return frames;
}

guint64
canopy_node_get_bytes (CanopyNode *self)
{
  guint64 bytes;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  g_mutex_lock (&self->stats_lock);
  bytes = self->bytes;
  g_mutex_unlock (&self->stats_lock);
  return bytes;
}

double
canopy_node_get_rtt_ms (CanopyNode *self)
{
  double rtt;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  g_mutex_lock (&self->stats_lock);
  rtt = self->rtt_ms;
  g_mutex_unlock (&self->stats_lock);
  return rtt;
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
  double latency;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  g_mutex_lock (&self->stats_lock);
  latency = self->measured_latency_ms;
  g_mutex_unlock (&self->stats_lock);
  return latency;
}

double
canopy_node_get_bitrate_kbps (CanopyNode *self)
{
  double rate;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  g_mutex_lock (&self->stats_lock);
  rate = self->measured_kbps;
  g_mutex_unlock (&self->stats_lock);
  return rate;
}
