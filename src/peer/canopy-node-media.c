/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "canopy-error.h"
#include "canopy-webrtc.h"

/*
 * A node's media: one pipeline whose video and audio RTP enter two tees (from the host's
 * encoder, or from the parent's webrtcbin) and leave through one webrtcbin per child and, on
 * viewers, a local decode branch. The probes here run on streaming threads and touch only
 * the counters under stats_lock.
 */

/* --- measurement probes (streaming threads) --- */

static void
count_rtp_buffer (CanopyNode *self,
                  GstBuffer  *buffer)
{
  guint8 header[2];
  gboolean marker;

  /* On the forwarding path of every relay: read the two header bytes that hold the version
   * and the marker, nothing more. The payloaders set the marker on each frame's last packet. */
  marker = gst_buffer_extract (buffer, 0, header, 2) == 2 && (header[0] >> 6) == 2 &&
           (header[1] & 0x80) != 0;
  g_mutex_lock (&self->stats_lock);
  self->bytes += gst_buffer_get_size (buffer);
  if (marker) {
    self->rtp_frames++;
    if (!self->decode && self->first_frame_us == 0)
      self->first_frame_us = g_get_monotonic_time ();
  }
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
    canopy_node_emit_error (self, CANOPY_ERROR_MEDIA, error->message);
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

  GstElement *audio = add_branch (self, self->audio_tee,
                                  PLAYBACK_QUEUE "rtpopusdepay ! opusdec plc=true ! audioconvert ! "
                                                 "audioresample ! volume name=volume",
                                  self->audio_sink ? gst_object_ref (self->audio_sink)
                                                   : fallback_sink ());

  if (audio != NULL) {
    self->volume_element = gst_bin_get_by_name (GST_BIN (audio), "volume");
    canopy_node_apply_volume (self);
  }
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_video_caps, self, NULL);
}

/* A file or URL that fails while live: the host must hear of it. */
static void
on_source_error (CanopySource *source,
                 const GError *error,
                 gpointer      user_data)
{
  canopy_node_emit_error (user_data, CANOPY_ERROR_MEDIA, error->message);
}

/**
 * canopy_node_build_pipeline:
 * @self: a node about to start
 * @error: return location for a #CanopyError
 *
 * Builds the node's pipeline: the two tees, the host's encoder or a viewer's playback, and
 * the probes that count frames and bytes.
 *
 * Returns: %FALSE with @error set when an element is missing
 */
gboolean
canopy_node_build_pipeline (CanopyNode *self,
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
    g_signal_connect (self->source, "error", G_CALLBACK (on_source_error), self);
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

