/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyEdge"

#include "canopy-edge-private.h"

#include "canopy-layers.h"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <string.h>

/*
 * One tree edge: a webrtcbin toward one neighbour. Toward a child it offers and feeds the
 * webrtcbin from the node's tees through leaky queues; toward the parent it answers and feeds
 * the tees. Set up in the order the media-plane notes found; torn down without waiting on any
 * streaming thread. The data channels live in canopy-edge-channels.c.
 */

G_DEFINE_FINAL_TYPE (CanopyEdge, canopy_edge, G_TYPE_OBJECT)

enum {
  SIGNAL_SIGNAL,
  SIGNAL_CHANNEL_OPEN,
  SIGNAL_MESSAGE,
  SIGNAL_GONE,
  SIGNAL_KEYFRAME_WANTED,
  SIGNAL_FILE_FRAME,
  SIGNAL_FILE_DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Everything webrtcbin reports arrives on its own threads; the edge's state and signals
 * live on the main context it was made on, reached with canopy_post(). Every posted function
 * first checks the edge is still open. */

gboolean
canopy_edge_is_closed (CanopyEdge *self)
{
  return g_atomic_int_get (&self->closed) != 0;
}

void
canopy_edge_post (CanopyEdge     *self,
                  CanopyEdgeFunc  func,
                  gpointer        data,
                  GDestroyNotify  destroy)
{
  canopy_post (self->context, self, (CanopyPostFunc) func, data, destroy);
}

void
canopy_edge_emit_message (CanopyEdge *self,
                          const char *label,
                          const char *text)
{
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, label, text);
}

void
canopy_edge_emit_channel_open (CanopyEdge *self,
                               const char *label)
{
  g_signal_emit (self, signals[SIGNAL_CHANNEL_OPEN], 0, label);
}

void
canopy_edge_emit_file_frame (CanopyEdge *self,
                             GBytes     *frame)
{
  g_signal_emit (self, signals[SIGNAL_FILE_FRAME], 0, frame);
}

void
canopy_edge_emit_file_drained (CanopyEdge *self)
{
  g_signal_emit (self, signals[SIGNAL_FILE_DRAINED], 0);
}

void
canopy_edge_emit_gone (CanopyEdge *self,
                       gpointer    data)
{
  if (canopy_edge_is_closed (self) || self->gone_emitted)
    return;
  self->gone_emitted = TRUE;
  g_debug ("edge to %s gone: %s", self->peer_id, (const char *) data);
  g_signal_emit (self, signals[SIGNAL_GONE], 0);
}

static void
emit_signal_object (CanopyEdge *self,
                    gpointer    data)
{
  if (canopy_edge_is_closed (self))
    return;
  g_signal_emit (self, signals[SIGNAL_SIGNAL], 0, (JsonObject *) data);
}

static void
send_description (CanopyEdge                  *self,
                  GstWebRTCSessionDescription *desc)
{
  JsonObject *data = json_object_new ();
  g_autofree char *text = gst_sdp_message_as_text (desc->sdp);

  g_debug ("edge to %s: local %s ready:\n%s", self->peer_id,
           desc->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer", text);
  canopy_webrtc_trace (desc->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer-sent" : "answer-sent",
                       self->peer_id);
  json_object_set_string_member (data, "sdp", text);
  json_object_set_string_member (data, "sdp_type",
                                 desc->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer");
  canopy_edge_post (self, emit_signal_object, data, (GDestroyNotify) json_object_unref);
}

static GstWebRTCSessionDescription *
take_reply (GstPromise *promise,
            const char *field,
            const char *peer_id)
{
  GstWebRTCSessionDescription *desc = NULL;
  const GstStructure *reply;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return NULL;
  reply = gst_promise_get_reply (promise);
  if (reply == NULL)
    return NULL;
  if (gst_structure_has_field (reply, "error")) {
    g_autoptr (GError) error = NULL;

    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
    g_message ("Negotiation with %s failed: %s", peer_id, error ? error->message : "?");
    return NULL;
  }
  gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  return desc;
}

/* Runs on webrtcbin's thread; self is kept alive by the promise's user data. */
static void
on_offer_created (GstPromise *promise,
                  gpointer    user_data)
{
  CanopyEdge *self = user_data;
  GstWebRTCSessionDescription *offer = take_reply (promise, "offer", self->peer_id);

  gst_promise_unref (promise);
  if (offer == NULL || canopy_edge_is_closed (self)) {
    if (offer != NULL)
      gst_webrtc_session_description_free (offer);
    return;
  }
  /* Relays pass the host's FEC packets on as they are: a child whose edge gave ULPFEC
   * another number would take them for something else. */
  if (canopy_webrtc_find_pt (offer->sdp, "video", "ULPFEC") != CANOPY_ULPFEC_PT)
    g_warning ("Edge to %s: the offer gives ULPFEC payload type %d, not %d", self->peer_id,
               canopy_webrtc_find_pt (offer->sdp, "video", "ULPFEC"), CANOPY_ULPFEC_PT);
  g_signal_emit_by_name (self->webrtcbin, "set-local-description", offer, NULL);
  send_description (self, offer);
  gst_webrtc_session_description_free (offer);
}

static void
start_offer (CanopyEdge *self,
             gpointer    data)
{
  GstPromise *promise;

  if (canopy_edge_is_closed (self))
    return;
  g_debug ("edge to %s: negotiation needed", self->peer_id);
  promise = gst_promise_new_with_change_func (on_offer_created, g_object_ref (self),
                                              g_object_unref);
  g_signal_emit_by_name (self->webrtcbin, "create-offer", NULL, promise);
}

static void
on_negotiation_needed (GstElement *webrtcbin,
                       gpointer    user_data)
{
  CanopyEdge *self = user_data;

  if (self->to_child)
    canopy_edge_post (self, start_offer, NULL, NULL);
}

static void
on_answer_created (GstPromise *promise,
                   gpointer    user_data)
{
  CanopyEdge *self = user_data;
  GstWebRTCSessionDescription *answer = take_reply (promise, "answer", self->peer_id);

  gst_promise_unref (promise);
  if (answer == NULL || canopy_edge_is_closed (self)) {
    if (answer != NULL)
      gst_webrtc_session_description_free (answer);
    return;
  }
  g_signal_emit_by_name (self->webrtcbin, "set-local-description", answer, NULL);
  send_description (self, answer);
  gst_webrtc_session_description_free (answer);
}


/* On webrtcbin's thread, once the child's answer is applied (webrtcbin has just configured its
 * RED encoder from it). With RED in the answer, webrtcbin 1.22 wraps every video packet in RED,
 * and its rtpredenc drops the RTP header extensions on the way ("Ignoring RTP extension"): the
 * ntp-64 capture stamps would be lost below the first hop. RED without redundant blocks buys
 * nothing, so packets go as they are from here on; RED is still negotiated, for the FEC
 * packets' retransmissions (canopy-forward.c) and the child's FEC decoder. */
static void
on_remote_answer_set (GstPromise *promise,
                      gpointer    user_data)
{
  CanopyEdge *self = user_data;
  g_autoptr (GPtrArray) encoders = canopy_webrtc_find_elements (self->webrtcbin, "rtpredenc");

  gst_promise_unref (promise);
  for (guint i = 0; i < encoders->len; i++)
    g_object_set (g_ptr_array_index (encoders, i), "allow-no-red-blocks", FALSE, NULL);
  /* The packets already queued for the child went wrapped until now. */
  if (self->thin != NULL)
    canopy_thin_set_red (self->thin, FALSE);
}

static void
on_remote_offer_set (GstPromise *promise,
                     gpointer    user_data)
{
  CanopyEdge *self = user_data;

  gst_promise_unref (promise);
  if (canopy_edge_is_closed (self))
    return;
  g_signal_emit_by_name (self->webrtcbin, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer_created, g_object_ref (self),
                                                           g_object_unref));
}

/* "local-srflx", "remote-host"...: each candidate, by where it is from and its type. */
static void
trace_candidate (const char *side,
                 const char *candidate,
                 const char *peer_id)
{
  const char *type = strstr (candidate, " typ ");
  g_autofree char *step = NULL;

  if (type == NULL)
    return;
  type += 5;
  step = g_strdup_printf ("%s-%.*s", side, (int) MIN (strcspn (type, " "), 8), type);
  canopy_webrtc_trace (step, peer_id);
}

static void
on_ice_candidate (GstElement *webrtcbin,
                  guint       mline,
                  const char *candidate,
                  gpointer    user_data)
{
  CanopyEdge *self = user_data;
  JsonObject *data;

  if (candidate == NULL || *candidate == '\0')
    return;
  trace_candidate ("local", candidate, self->peer_id);
  data = json_object_new ();
  json_object_set_string_member (data, "candidate", candidate);
  json_object_set_int_member (data, "mline", mline);
  canopy_edge_post (self, emit_signal_object, data, (GDestroyNotify) json_object_unref);
}

static void
emit_keyframe_wanted (CanopyEdge *self,
                      gpointer    data)
{
  if (!canopy_edge_is_closed (self))
    g_signal_emit (self, signals[SIGNAL_KEYFRAME_WANTED], 0);
}

static void
on_connection_state (GstElement *webrtcbin,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  CanopyEdge *self = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtcbin, "connection-state", &state, NULL);
  switch (state) {
  case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
    g_debug ("edge to %s connected", self->peer_id);
    g_atomic_int_set (&self->secured, 1);
    canopy_webrtc_trace ("connected", self->peer_id);
    /* A child can decrypt our video from now on (its side of DTLS ends half a round trip
     * later, before any of this arrives): the keyframe it needs is asked for now, not a round
     * trip later when its own request comes. In netbench's joins at 80 ms round trip, the
     * first frame came ~100 ms sooner. */
    if (self->to_child)
      canopy_edge_post (self, emit_keyframe_wanted, NULL, NULL);
    break;
  case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
    /* 1.22 has no ICE restart: the node replaces the whole edge. */
    canopy_edge_post (self, canopy_edge_emit_gone, (gpointer) "ICE failed", NULL);
    break;
  case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
    canopy_edge_post (self, canopy_edge_emit_gone, (gpointer) "connection closed", NULL);
    break;
  default:
    break;
  }
}

static void
on_ice_connection_state (GstElement *webrtcbin,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  CanopyEdge *self = user_data;
  GstWebRTCICEConnectionState state;
  static const char *const steps[] = {
    "ice-new", "ice-checking", "ice-connected", "ice-completed", "ice-failed",
    "ice-disconnected", "ice-closed",
  };

  g_object_get (webrtcbin, "ice-connection-state", &state, NULL);
  if ((guint) state < G_N_ELEMENTS (steps))
    canopy_webrtc_trace (steps[state], self->peer_id);
}

/**
 * canopy_edge_is_secured:
 * @self: an edge
 *
 * Returns: whether DTLS went through, so that media can flow (it may since have stopped)
 */
gboolean
canopy_edge_is_secured (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), FALSE);
  return g_atomic_int_get (&self->secured) != 0;
}

/* --- media --- */

static void
request_keyframe (CanopyEdge *self,
                  gpointer    data)
{
  if (canopy_edge_is_closed (self))
    return;
  /* H.264 children never ask for a keyframe at start-up; VP8's depayloader does. One
   * request either way: the relays above coalesce it. */
  gst_pad_send_event (GST_PAD (data), canopy_webrtc_keyframe_request_new ());
  g_signal_emit (self, signals[SIGNAL_KEYFRAME_WANTED], 0);
}

static void
on_pad_added (GstElement *webrtcbin,
              GstPad     *pad,
              gpointer    user_data)
{
  CanopyEdge *self = user_data;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) sink = NULL;
  const GstStructure *s;
  gboolean video;
  GstElement *tee;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC || self->to_child)
    return;
  g_debug ("edge to %s: media pad %s", self->peer_id, GST_PAD_NAME (pad));
  canopy_webrtc_trace ("media-pad", self->peer_id);
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  video = g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;
  tee = video ? self->video_tee : self->audio_tee;
  sink = gst_element_get_static_pad (tee, "sink");
  if (gst_pad_is_linked (sink)) {
    g_autoptr (GstPad) old = gst_pad_get_peer (sink);

    if (old != NULL)
      gst_pad_unlink (old, sink);
  }
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK) {
    g_message ("Could not link %s from %s", video ? "video" : "audio", self->peer_id);
    return;
  }
  g_mutex_lock (&self->lock);
  g_set_object (&self->linked_sinks[video ? 0 : 1], sink);
  g_mutex_unlock (&self->lock);
  if (self->forward != NULL)
    canopy_forward_set_caps (self->forward, video ? CANOPY_FORWARD_VIDEO : CANOPY_FORWARD_AUDIO,
                             caps);
  /* Not from inside pad-added: the event would travel up into the very elements that are
   * emitting it, on their own streaming thread. */
  if (video)
    canopy_edge_post (self, request_keyframe, gst_object_ref (pad), gst_object_unref);
}

/* On the streaming thread that made the stream: one jitterbuffer per stream the parent
 * sends, each tapped for the children and kept for its settings and counts. */
static void
on_new_jitterbuffer (GstElement *rtpbin,
                     GstElement *jitterbuffer,
                     guint       session,
                     guint       ssrc,
                     gpointer    user_data)
{
  CanopyEdge *self = user_data;

  if (self->forward != NULL)
    canopy_forward_tap (self->forward, jitterbuffer);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->jitterbuffers, gst_object_ref (jitterbuffer));
  /* Ask for what is missing, not for what is late: by default a packet not there when the
   * packet spacing says it should be is asked for, and a host whose encoder takes a little
   * longer for one frame draws a retransmission at every hop (~1000 a minute per hop
   * without any loss, in netbench). A gap is still asked for as soon as a later packet
   * shows it. */
  g_object_set (jitterbuffer,
                "rtx-retry-timeout", self->retry_ms,
                "rtx-next-seqnum", FALSE,
                NULL);
  g_mutex_unlock (&self->lock);
}

static GstElement *
make_branch_queue (guint index)
{
  GstElement *queue = gst_element_factory_make ("queue", NULL);

  /* Leaky: one child whose ICE never completes must not freeze the relay's own playback
   * and every other child. The video's holds a paced keyframe for a thin link (a second of
   * its base layer) too. */
  g_object_set (queue,
                "leaky", 2,
                "max-size-time", (guint64) (index == 0 ? 1000 : 300) * GST_MSECOND,
                "max-size-buffers", 0,
                "max-size-bytes", 0,
                NULL);
  return queue;
}

static void
prepare_branch (CanopyEdge *self,
                guint       index)
{
  GstElement *queue = make_branch_queue (index);
  g_autoptr (GstPad) queue_src = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  gst_bin_add (self->pipeline, queue);
  self->queues[index] = gst_object_ref (queue);
  if (index == 0) {
    g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (queue, "sink");

    canopy_thin_attach (self->thin, queue_sink);
  }
  queue_src = gst_element_get_static_pad (queue, "src");
  if (index == 0)
    canopy_thin_attach_pacer (self->thin, queue_src);
  sink = gst_element_request_pad_simple (self->webrtcbin, "sink_%u");
  /* What the child is sent, against what its pings say it got. */
  canopy_edge_count_sent (self, queue_src);
  g_object_get (sink, "transceiver", &transceiver, NULL);
  /* NACK and RTX for video only: with them the audio m-line carries two SSRCs in an
   * ssrc-group:FID, and Chromium's audio engine refuses the whole offer. Opus rides out a
   * lost packet by itself. */
  g_object_set (transceiver,
                "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "do-nack", index == 0,
                "fec-type", index == 0 ? GST_WEBRTC_FEC_TYPE_ULP_RED : GST_WEBRTC_FEC_TYPE_NONE,
                NULL);
  gst_pad_link (queue_src, sink);
}

/* On the tee's pad for a child's video: the child's RTCP keyframe requests (PLI, FIR) come up
 * here as events and draw on its budget, like its `keyframe` requests on ctrl. */
static GstPadProbeReturn
keyframe_budget_probe (GstPad          *pad,
                       GstPadProbeInfo *info,
                       gpointer         user_data)
{
  if (!canopy_webrtc_is_keyframe_request (GST_PAD_PROBE_INFO_EVENT (info)))
    return GST_PAD_PROBE_OK;
  canopy_webrtc_trace ("keyframe-rtcp", NULL);
  return canopy_budget_take (user_data) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static void
connect_branch (CanopyEdge *self,
                guint       index,
                GstElement *tee)
{
  g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (self->queues[index], "sink");

  gst_element_sync_state_with_parent (self->queues[index]);
  self->tee_pads[index] = gst_element_request_pad_simple (tee, "src_%u");
  if (index == 0)
    gst_pad_add_probe (self->tee_pads[index], GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                       keyframe_budget_probe, canopy_budget_ref (self->keyframes),
                       (GDestroyNotify) canopy_budget_unref);
  gst_pad_link (self->tee_pads[index], queue_sink);
}

/**
 * canopy_edge_take_keyframe:
 * @self: an edge to a child
 *
 * A keyframe request from the child on the data channel: it draws on the same budget as its
 * RTCP requests (%CANOPY_KEYFRAME_CHILD_BURST at once, one more every
 * %CANOPY_KEYFRAME_CHILD_REFILL_MS), so that one child cannot make the whole tree pay for
 * keyframe after keyframe.
 *
 * Returns: whether to pass it on; if not, it was counted
 */
gboolean
canopy_edge_take_keyframe (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), FALSE);
  return canopy_budget_take (self->keyframes);
}

/**
 * canopy_edge_get_keyframes_refused:
 * @self: an edge
 *
 * Returns: the child's keyframe requests refused so far, both ways
 */
guint64
canopy_edge_get_keyframes_refused (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);
  return canopy_budget_get_refused (self->keyframes);
}

static gboolean
on_judge_layers (gpointer user_data)
{
  canopy_thin_judge (user_data);
  return G_SOURCE_CONTINUE;
}

static void
setup_to_child (CanopyEdge *self)
{
  g_autoptr (GstStructure) file_options = NULL;
  g_autoptr (GstStructure) beat_options = NULL;

  /* The order the media-plane notes found: sink pads requested in NULL, channels made in
   * READY, then PLAYING, then the tee linked. The first offer then carries video, audio and
   * SCTP, with no renegotiation. */
  prepare_branch (self, 0);
  prepare_branch (self, 1);
  gst_element_set_state (self->webrtcbin, GST_STATE_READY);
  g_signal_emit_by_name (self->webrtcbin, "create-data-channel", CANOPY_EDGE_CTRL, NULL,
                         &self->ctrl);
  g_signal_emit_by_name (self->webrtcbin, "create-data-channel", CANOPY_EDGE_CHAT, NULL,
                         &self->chat);
  /* Files yield to everything else on the association (SCTP stream priority, where the
   * transport honours it); the sender's pacing is what keeps them from crowding the video. */
  file_options = gst_structure_new ("options", "priority", GST_TYPE_WEBRTC_PRIORITY_TYPE,
                                    GST_WEBRTC_PRIORITY_TYPE_VERY_LOW, NULL);
  g_signal_emit_by_name (self->webrtcbin, "create-data-channel", CANOPY_EDGE_FILE, file_options,
                         &self->file);
  /* Pings and pongs: unordered, never resent (canopy-edge-channels.c). */
  beat_options = gst_structure_new ("options", "ordered", G_TYPE_BOOLEAN, FALSE,
                                    "max-retransmits", G_TYPE_INT, 0, NULL);
  g_signal_emit_by_name (self->webrtcbin, "create-data-channel", CANOPY_EDGE_BEAT, beat_options,
                         &self->beat);
  if (self->file != NULL)
    canopy_edge_watch_channel (self, self->file, CANOPY_EDGE_FILE);
  if (self->beat != NULL)
    canopy_edge_watch_channel (self, self->beat, CANOPY_EDGE_BEAT);
  if (self->ctrl != NULL)
    canopy_edge_watch_channel (self, self->ctrl, CANOPY_EDGE_CTRL);
  if (self->chat != NULL)
    canopy_edge_watch_channel (self, self->chat, CANOPY_EDGE_CHAT);
  gst_element_sync_state_with_parent (self->webrtcbin);
  connect_branch (self, 0, self->video_tee);
  connect_branch (self, 1, self->audio_tee);
  self->judge_source = g_timeout_source_new (CANOPY_LAYERS_WINDOW_MS);
  g_source_set_callback (self->judge_source, on_judge_layers, canopy_thin_ref (self->thin),
                         (GDestroyNotify) canopy_thin_unref);
  g_source_attach (self->judge_source, self->context);
}

static CanopyEdge *
edge_new (GstBin                *pipeline,
          const char            *peer_id,
          gboolean               to_child,
          GstElement            *video_tee,
          GstElement            *audio_tee,
          CanopyForward         *forward,
          const CanopyIceConfig *ice,
          guint                  latency_ms)
{
  static gint serial;
  CanopyEdge *self = g_object_new (CANOPY_TYPE_EDGE, NULL);
  /* Unique: the edge to a parent just left can still be in the pipeline (one left with a bye
   * is closed a moment later) when the node is placed under the same parent again. A bin
   * refuses a second element of the same name without a word, and the new edge would never
   * leave NULL (its answer to the parent's offer fails: "webrtcbin is closed"). */
  g_autofree char *name = g_strdup_printf ("%s-%s-%d", to_child ? "child" : "parent", peer_id,
                                           g_atomic_int_add (&serial, 1));

  self->pipeline = gst_object_ref (pipeline);
  self->peer_id = g_strdup (peer_id);
  self->to_child = to_child;
  self->video_tee = gst_object_ref (video_tee);
  self->audio_tee = gst_object_ref (audio_tee);
  g_debug ("edge to %s: making", peer_id);
  self->webrtcbin = gst_object_ref_sink (canopy_webrtc_new (name, ice, latency_ms));
  if (forward != NULL)
    self->forward = canopy_forward_ref (forward);
  if (to_child) {
    /* Found by the rtpsession webrtcbin makes (canopy_webrtc_watch_pipeline()). */
    self->thin = canopy_thin_new (peer_id);
    g_object_set_data_full (G_OBJECT (self->webrtcbin), CANOPY_THIN_KEY,
                            canopy_thin_ref (self->thin), (GDestroyNotify) canopy_thin_unref);
  } else {
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtcbin), "rtpbin");

    /* Disconnected in close(), under the lock, before the edge can go. */
    g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), self);
  }

  g_signal_connect (self->webrtcbin, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed),
                    self);
  g_signal_connect (self->webrtcbin, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtcbin, "notify::connection-state",
                    G_CALLBACK (on_connection_state), self);
  g_signal_connect (self->webrtcbin, "notify::ice-connection-state",
                    G_CALLBACK (on_ice_connection_state), self);
  g_signal_connect (self->webrtcbin, "on-data-channel",
                    G_CALLBACK (canopy_edge_on_data_channel), self);
  g_signal_connect (self->webrtcbin, "pad-added", G_CALLBACK (on_pad_added), self);
  gst_bin_add (pipeline, self->webrtcbin);
  if (to_child)
    setup_to_child (self);
  else
    gst_element_sync_state_with_parent (self->webrtcbin);
  g_debug ("edge to %s made", peer_id);
  return self;
}

/**
 * canopy_edge_new_to_child:
 * @pipeline: the node's pipeline
 * @peer_id: the child's peer id
 * @video_tee: the tee carrying this node's video RTP
 * @audio_tee: the tee carrying this node's audio RTP
 * @ice: (nullable): ICE configuration
 *
 * Starts forwarding to a child: this side offers (it picks the payload types, so RTP passes
 * through relays untouched). Connect to #CanopyEdge::signal at once: the offer follows.
 *
 * Returns: (transfer full): the edge
 */
CanopyEdge *
canopy_edge_new_to_child (GstBin                *pipeline,
                          const char            *peer_id,
                          GstElement            *video_tee,
                          GstElement            *audio_tee,
                          const CanopyIceConfig *ice)
{
  return edge_new (pipeline, peer_id, TRUE, video_tee, audio_tee, NULL, ice,
                   CANOPY_DEFAULT_LATENCY_MS);
}

/**
 * canopy_edge_new_to_parent:
 * @pipeline: the node's pipeline
 * @peer_id: the parent's peer id
 * @video_tee: the tee to feed with the parent's video RTP
 * @audio_tee: the tee to feed with the parent's audio RTP
 * @forward: (nullable): the forwarder to hand every packet to as it arrives
 * @ice: (nullable): ICE configuration
 * @latency_ms: jitterbuffer latency
 *
 * Returns: (transfer full): an edge waiting for the parent's offer
 */
CanopyEdge *
canopy_edge_new_to_parent (GstBin                *pipeline,
                           const char            *peer_id,
                           GstElement            *video_tee,
                           GstElement            *audio_tee,
                           CanopyForward         *forward,
                           const CanopyIceConfig *ice,
                           guint                  latency_ms)
{
  return edge_new (pipeline, peer_id, FALSE, video_tee, audio_tee, forward, ice, latency_ms);
}

static gboolean
handle_description (CanopyEdge *self,
                    const char *sdp_text,
                    const char *sdp_type,
                    GError    **error)
{
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *desc;
  gboolean offer = g_str_equal (sdp_type, "offer");

  if (!offer && !g_str_equal (sdp_type, "answer")) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Unknown sdp_type \"%s\"",
                 sdp_type);
    return FALSE;
  }
  /* The parent always offers and the child always answers, once. */
  if (offer == self->to_child || self->have_remote) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN, "Unexpected %s from %s", sdp_type,
                 self->peer_id);
    return FALSE;
  }
  if (gst_sdp_message_new_from_text (sdp_text, &sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len (sdp) == 0) {
    if (sdp != NULL)
      gst_sdp_message_free (sdp);
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Invalid SDP from %s",
                 self->peer_id);
    return FALSE;
  }
  self->have_remote = TRUE;
  canopy_webrtc_trace (offer ? "offer-received" : "answer-received", self->peer_id);
  self->remote_max_message = canopy_webrtc_max_message_size (sdp);
  g_debug ("edge to %s: remote %s, messages up to %" G_GSIZE_FORMAT " bytes", self->peer_id,
           sdp_type, self->remote_max_message);
  desc = gst_webrtc_session_description_new (offer ? GST_WEBRTC_SDP_TYPE_OFFER
                                                   : GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  if (offer) {
    g_signal_emit_by_name (self->webrtcbin, "set-remote-description", desc,
                           gst_promise_new_with_change_func (on_remote_offer_set,
                                                             g_object_ref (self), g_object_unref));
  } else {
    g_signal_emit_by_name (self->webrtcbin, "set-remote-description", desc,
                           gst_promise_new_with_change_func (on_remote_answer_set,
                                                             g_object_ref (self), g_object_unref));
  }
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

/**
 * canopy_edge_handle_signal:
 * @self: an edge
 * @data: the untrusted `data` of a `signal` message from this edge's peer
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when @data is not a valid description or candidate
 */
gboolean
canopy_edge_handle_signal (CanopyEdge *self,
                           JsonObject *data,
                           GError    **error)
{
  const char *sdp = NULL;
  const char *sdp_type = NULL;
  const char *candidate = NULL;
  gint64 mline = 0;

  g_return_val_if_fail (CANOPY_IS_EDGE (self), FALSE);

  if (canopy_edge_is_closed (self))
    return TRUE;
  if (!canopy_json_get_string (data, "sdp", CANOPY_SDP_BYTES, FALSE, &sdp, error) ||
      !canopy_json_get_string (data, "candidate", CANOPY_CANDIDATE_BYTES, FALSE, &candidate, error))
    return FALSE;
  if (sdp != NULL) {
    if (!canopy_json_get_string (data, "sdp_type", 16, TRUE, &sdp_type, error))
      return FALSE;
    return handle_description (self, sdp, sdp_type, error);
  }
  if (candidate != NULL) {
    if (!canopy_json_get_int (data, "mline", 0, 63, TRUE, &mline, error))
      return FALSE;
    if (!g_str_has_prefix (candidate, "candidate:")) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Invalid ICE candidate");
      return FALSE;
    }
    trace_candidate ("remote", candidate, self->peer_id);
    canopy_webrtc_add_remote_candidate (self->webrtcbin, (guint) mline, candidate);
    return TRUE;
  }
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
               "A signal needs \"sdp\" or \"candidate\"");
  return FALSE;
}

const char *
canopy_edge_get_peer_id (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), NULL);
  return self->peer_id;
}

static void
flush_pad (const GValue *item,
           gpointer      user_data)
{
  gst_pad_send_event (g_value_get_object (item), gst_event_new_flush_start ());
}

static GstPadProbeReturn
drop_data (GstPad          *pad,
           GstPadProbeInfo *info,
           gpointer         user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
close_pad (const GValue *item,
           gpointer      user_data)
{
  GstPad *pad = g_value_get_object (item);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_data,
                     NULL, NULL);
  /* A buffer already past the probe finishes under the stream lock: wait for it. */
  GST_PAD_STREAM_LOCK (pad);
  GST_PAD_STREAM_UNLOCK (pad);
}

/* Readies a webrtcbin to be stopped, around two races in GStreamer 1.22.0 that later releases
 * fixed:
 * - sctpenc retries a send that the association refuses (its send buffer full: a peer that
 *   died and acknowledges nothing; or a stream being reset) in a loop on the data channel's
 *   streaming thread that only a flush ends, and going from PAUSED to READY does not flush it:
 *   setting the webrtcbin to NULL then waits for that thread for good, and the main loop with
 *   it (1.22.4, "sctpenc: Fix potential shutdown deadlock"). Flushing its sink pads ends the
 *   loop.
 * - srtpdec, given its first RTCP packet while going to NULL has already cleared its RTP
 *   source pad, asks gst_pad_create_stream_id() for an id, which is a critical warning on an
 *   element with two sink pads (1.22.5, "srtpdec: fix assertion 'parent->numsinkpads <= 1'
 *   failed"); seen at the end of an edge. Its sink pads drop every packet from now on. */
static void
quiet_before_stop (GstElement *webrtcbin)
{
  GstIterator *elements = gst_bin_iterate_recurse (GST_BIN (webrtcbin));
  GValue item = G_VALUE_INIT;
  gboolean done = FALSE;

  while (!done) {
    switch (gst_iterator_next (elements, &item)) {
    case GST_ITERATOR_OK: {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);
      const char *name = factory != NULL ? GST_OBJECT_NAME (factory) : "";
      GstIteratorForeachFunction each = g_str_equal (name, "sctpenc") ? flush_pad :
                                        g_str_equal (name, "srtpdec") ? close_pad : NULL;

      if (each != NULL) {
        GstIterator *pads = gst_element_iterate_sink_pads (element);

        while (gst_iterator_foreach (pads, each, NULL) == GST_ITERATOR_RESYNC)
          gst_iterator_resync (pads);
        gst_iterator_free (pads);
      }
      g_value_reset (&item);
      break;
    }
    case GST_ITERATOR_RESYNC:
      gst_iterator_resync (elements);
      break;
    default:
      done = TRUE;
      break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (elements);
}

/* A child's branches off the node's tees: it is sent nothing more. */
static void
unhook_tees (CanopyEdge *self)
{
  for (guint i = 0; i < 2; i++) {
    GstElement *tee = i == 0 ? self->video_tee : self->audio_tee;

    if (self->tee_pads[i] != NULL) {
      g_autoptr (GstPad) peer = gst_pad_get_peer (self->tee_pads[i]);

      if (peer != NULL)
        gst_pad_unlink (self->tee_pads[i], peer);
      gst_element_release_request_pad (tee, self->tee_pads[i]);
      g_clear_object (&self->tee_pads[i]);
    }
  }
}

/**
 * canopy_edge_stop_media:
 * @self: an edge to a child
 *
 * Sends the child no more media (its data channels stay until the edge is closed): what a
 * relay does first with a child its upload does not carry, so that the rest, its `bye`
 * among it, gets through.
 */
void
canopy_edge_stop_media (CanopyEdge *self)
{
  g_return_if_fail (CANOPY_IS_EDGE (self));
  if (!canopy_edge_is_closed (self))
    unhook_tees (self);
}

/**
 * canopy_edge_close:
 * @self: an edge
 *
 * Unhooks the edge from the node's tees and stops its webrtcbin. Idempotent; no signal is
 * emitted after this.
 */
void
canopy_edge_close (CanopyEdge *self)
{
  GstPad *linked[2];

  g_return_if_fail (CANOPY_IS_EDGE (self));

  if (canopy_edge_is_closed (self))
    return;
  g_atomic_int_set (&self->closed, 1);
  if (self->judge_source != NULL) {
    g_source_destroy (self->judge_source);
    g_clear_pointer (&self->judge_source, g_source_unref);
  }
  g_signal_handlers_disconnect_by_data (self->webrtcbin, self);
  {
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtcbin), "rtpbin");

    g_mutex_lock (&self->lock);
    if (rtpbin != NULL)
      g_signal_handlers_disconnect_by_data (rtpbin, self);
    g_ptr_array_set_size (self->jitterbuffers, 0);
    g_mutex_unlock (&self->lock);
  }

  unhook_tees (self);
  /* The handlers are gone: no pad-added can fill linked_sinks any more. */
  g_mutex_lock (&self->lock);
  memcpy (linked, self->linked_sinks, sizeof linked);
  memset (self->linked_sinks, 0, sizeof self->linked_sinks);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < 2; i++) {
    g_autoptr (GstPad) sink = linked[i];
    g_autoptr (GstPad) peer = sink != NULL ? gst_pad_get_peer (sink) : NULL;

    /* Unlink only if this edge's webrtcbin still feeds the tee. */
    if (peer != NULL && GST_OBJECT_PARENT (peer) != NULL &&
        (GstElement *) GST_OBJECT_PARENT (peer) == self->webrtcbin)
      gst_pad_unlink (peer, sink);
  }
  quiet_before_stop (self->webrtcbin);
  canopy_webrtc_release_relays (self->webrtcbin);
  gst_element_set_state (self->webrtcbin, GST_STATE_NULL);
  for (guint i = 0; i < 2; i++) {
    if (self->queues[i] != NULL) {
      gst_element_set_state (self->queues[i], GST_STATE_NULL);
      gst_bin_remove (self->pipeline, self->queues[i]);
      gst_clear_object (&self->queues[i]);
    }
  }
  canopy_edge_release_channels (self);
  gst_bin_remove (self->pipeline, self->webrtcbin);
  g_queue_clear_full (&self->pending_ctrl, g_free);
  g_queue_clear_full (&self->pending_chat, g_free);
}

static void
canopy_edge_dispose (GObject *object)
{
  CanopyEdge *self = CANOPY_EDGE (object);

  if (self->webrtcbin != NULL)
    canopy_edge_close (self);
  gst_clear_object (&self->webrtcbin);
  gst_clear_object (&self->video_tee);
  gst_clear_object (&self->audio_tee);
  g_clear_pointer (&self->forward, canopy_forward_unref);
  g_clear_pointer (&self->thin, canopy_thin_unref);
  gst_clear_object (&self->pipeline);
  G_OBJECT_CLASS (canopy_edge_parent_class)->dispose (object);
}

static void
canopy_edge_finalize (GObject *object)
{
  CanopyEdge *self = CANOPY_EDGE (object);

  g_free (self->peer_id);
  g_ptr_array_unref (self->watched);
  g_ptr_array_unref (self->jitterbuffers);
  g_clear_object (&self->pong_source);
  g_mutex_clear (&self->lock);
  canopy_budget_unref (self->keyframes);
  canopy_edge_sent_clear (self);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (canopy_edge_parent_class)->finalize (object);
}

static void
canopy_edge_class_init (CanopyEdgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = canopy_edge_dispose;
  object_class->finalize = canopy_edge_finalize;

  /**
   * CanopyEdge::signal:
   * @data: a description or candidate for the peer, to send through the server
   */
  signals[SIGNAL_SIGNAL] = g_signal_new ("signal", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         JSON_TYPE_OBJECT);
  signals[SIGNAL_CHANNEL_OPEN] = g_signal_new ("channel-open", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                          G_TYPE_STRING);
  /**
   * CanopyEdge::gone:
   * The connection failed or the peer closed it: the node drops this edge.
   */
  /**
   * CanopyEdge::keyframe-wanted:
   * Time to ask for a keyframe: the parent's video reached our tee, or the child's DTLS is up
   * (its video can be decrypted from now on).
   */
  signals[SIGNAL_KEYFRAME_WANTED] = g_signal_new ("keyframe-wanted", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 0);
  /**
   * CanopyEdge::file-frame:
   * @frame: a binary message on the `file` channel, at most %CANOPY_FILE_FRAME_BYTES, unparsed
   */
  signals[SIGNAL_FILE_FRAME] = g_signal_new ("file-frame", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, G_TYPE_BYTES);
  /**
   * CanopyEdge::file-drained:
   * The `file` channel's buffer fell below %CANOPY_FILE_BUFFER_LOW: send more.
   */
  signals[SIGNAL_FILE_DRAINED] = g_signal_new ("file-drained", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);
  signals[SIGNAL_GONE] = g_signal_new ("gone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
canopy_edge_init (CanopyEdge *self)
{
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->lock);
  self->keyframes = canopy_budget_new (CANOPY_KEYFRAME_CHILD_BURST, CANOPY_KEYFRAME_CHILD_REFILL_MS);
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  self->jitterbuffers = g_ptr_array_new_with_free_func (gst_object_unref);
  self->retry_ms = -1;
  self->remote_max_message = CANOPY_DATA_CHANNEL_DEFAULT_BYTES;
  g_queue_init (&self->pending_ctrl);
  g_queue_init (&self->pending_chat);
}

/* webrtcbin has just sized its rtpstorage to keep packets 50 ms longer than @latency_ms: FEC
 * rebuilds a packet only when its jitterbuffer gives it up, a whole wait after it was due, and
 * by then the first packets of its block were already gone (netbench, no retransmission, 5 %
 * loss: 7 of 19 rebuildable packets were not, each with its block stored 0.51-0.58 s before,
 * at a wait of ~0.5 s). */
static void
size_fec_storage (CanopyEdge *self,
                  guint       latency_ms)
{
  g_autoptr (GPtrArray) storages = canopy_webrtc_find_elements (self->webrtcbin, "rtpstorage");

  for (guint i = 0; i < storages->len; i++)
    g_object_set (g_ptr_array_index (storages, i), "size-time",
                  (guint64) (latency_ms + CANOPY_FEC_STORAGE_EXTRA_MS) * GST_MSECOND, NULL);
}

/**
 * canopy_edge_set_repair:
 * @self: an edge to the parent
 * @latency_ms: how long a packet may be waited for (the jitterbuffer latency)
 * @retry_ms: how long to wait for a retransmission before asking again; -1 automatic
 *
 * Sizes the repair of what the parent sends to the link's round trip and loss.
 */
void
canopy_edge_set_repair (CanopyEdge *self,
                        guint       latency_ms,
                        gint        retry_ms)
{
  g_return_if_fail (CANOPY_IS_EDGE (self));

  if (canopy_edge_is_closed (self))
    return;
  g_object_set (self->webrtcbin, "latency", latency_ms, NULL);
  size_fec_storage (self, latency_ms);
  g_mutex_lock (&self->lock);
  self->retry_ms = retry_ms;
  for (guint i = 0; i < self->jitterbuffers->len; i++)
    g_object_set (g_ptr_array_index (self->jitterbuffers, i), "rtx-retry-timeout", retry_ms, NULL);
  g_mutex_unlock (&self->lock);
}

/**
 * canopy_edge_get_media_lost:
 * @self: an edge to the parent
 *
 * Returns: the packets its jitterbuffers gave up as lost, on the streams that are repaired
 *   (video: audio has no NACK or RTX, and its losses say nothing about how long repairs take)
 */
guint64
canopy_edge_get_media_lost (CanopyEdge *self)
{
  guint64 lost = 0;

  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->jitterbuffers->len; i++) {
    GstElement *jitterbuffer = g_ptr_array_index (self->jitterbuffers, i);
    g_autoptr (GstPad) sink = gst_element_get_static_pad (jitterbuffer, "sink");
    g_autoptr (GstCaps) caps = sink != NULL ? gst_pad_get_current_caps (sink) : NULL;
    g_autoptr (GstStructure) stats = NULL;
    guint64 n = 0;

    /* By the stream's caps, not by "do-retransmission": webrtcbin 1.22 sets that from the
     * transceiver it maps the SSRC to, and forwarded SSRCs are not in the parent's SDP. */
    if (caps != NULL && !gst_caps_is_empty (caps) &&
        g_strcmp0 (gst_structure_get_string (gst_caps_get_structure (caps, 0), "media"),
                   "audio") == 0)
      continue;
    g_object_get (jitterbuffer, "stats", &stats, NULL);
    if (stats != NULL && gst_structure_get_uint64 (stats, "num-lost", &n))
      lost += n;
  }
  g_mutex_unlock (&self->lock);
  return lost;
}

/**
 * canopy_edge_set_fec:
 * @self: an edge to a child
 * @fec: whether the child is sent the host's FEC packets (stand-ins for them otherwise)
 */
void
canopy_edge_set_fec (CanopyEdge *self,
                     gboolean    fec)
{
  g_return_if_fail (CANOPY_IS_EDGE (self));

  if (self->thin != NULL)
    canopy_thin_set_fec (self->thin, fec);
}

/**
 * canopy_edge_get_fec_recovered:
 * @self: an edge to the parent
 *
 * Returns: the packets rebuilt from the host's FEC packets on this edge (after its
 *   jitterbuffers had given them up as lost: those counted them in canopy_edge_get_media_lost())
 */
guint64
canopy_edge_get_fec_recovered (CanopyEdge *self)
{
  g_autoptr (GPtrArray) decoders = NULL;
  guint64 recovered = 0;

  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);

  decoders = canopy_webrtc_find_elements (self->webrtcbin, "rtpulpfecdec");
  for (guint i = 0; i < decoders->len; i++) {
    guint n = 0;

    g_object_get (g_ptr_array_index (decoders, i), "recovered", &n, NULL);
    recovered += n;
  }
  return recovered;
}

/**
 * canopy_edge_get_layers:
 * @self: an edge
 *
 * Returns: how many temporal layers a child is sent (0 on an edge to the parent, or when the
 *   stream has no layers)
 */
guint
canopy_edge_get_layers (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);

  if (self->thin == NULL || canopy_thin_get_layers (self->thin) < 2)
    return 0;
  return canopy_thin_get_level (self->thin);
}
