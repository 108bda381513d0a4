/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyMedia"

#include "canopy-media.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <stdatomic.h>
#include <stdint.h>

#include "canopy-error.h"
#include "canopy-forward.h"
#include "canopy-post.h"
#include "canopy-webrtc.h"

/*
 * A node's media pipeline: the video and audio RTP enter two tees (from the host's source, or
 * from the parent's webrtcbin) and leave through one webrtcbin per child (CanopyEdge adds
 * those) and, on viewers, a local playback branch. It counts what passes: the probes run on
 * streaming threads and write only the atomics below; everything else runs on the main
 * context.
 */

struct _CanopyMedia {
  GObject parent_instance;

  GMainContext *context;
  GstElement *pipeline;
  GstElement *video_tee;
  GstElement *audio_tee;
  CanopySource *source;
  CanopyForward *forward;      /* viewers: what their children get */

  /* playback (viewers) */
  gboolean decode;
  GstElement *video_sink;
  GstElement *volume;
  double volume_level;
  gboolean muted;
  gulong caps_probe;

  /* written on streaming threads */
  atomic_uint_least64_t frames;      /* decoded */
  atomic_uint_least64_t rtp_frames;  /* whole frames received or sent (RTP marker bits) */
  atomic_uint_least64_t bytes;
  atomic_uint_least64_t packets;     /* video and audio RTP packets through the tees */
  atomic_int_least64_t latency_sum_us;
  atomic_uint latency_n;
  atomic_int_least64_t first_frame_us;

  /* main context only: per-second figures from canopy_media_tick() */
  guint64 last_bytes;
  double kbps;
  double latency_ms;
};

G_DEFINE_FINAL_TYPE (CanopyMedia, canopy_media, G_TYPE_OBJECT)

enum {
  SIGNAL_FIRST_FRAME,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* --- from streaming threads --- */

static void
emit_first_frame (gpointer owner,
                  gpointer data)
{
  g_signal_emit (owner, signals[SIGNAL_FIRST_FRAME], 0);
}

/* The first frame is announced once, from whichever thread sees it first. */
static void
note_first_frame (CanopyMedia *self)
{
  int_least64_t none = 0;

  if (atomic_load_explicit (&self->first_frame_us, memory_order_relaxed) != 0)
    return;
  if (atomic_compare_exchange_strong (&self->first_frame_us, &none, g_get_monotonic_time ())) {
    canopy_webrtc_trace ("first-frame", NULL);
    canopy_post (self->context, self, emit_first_frame, NULL, NULL);
  }
}

static void
count_rtp_buffer (CanopyMedia *self,
                  GstBuffer   *buffer)
{
  guint8 header[2];

  /* On the forwarding path of every relay: read the two header bytes that hold the version
   * and the marker, nothing more, and no lock. The payloaders set the marker on each frame's
   * last packet. */
  atomic_fetch_add_explicit (&self->bytes, gst_buffer_get_size (buffer), memory_order_relaxed);
  atomic_fetch_add_explicit (&self->packets, 1, memory_order_relaxed);
  if (gst_buffer_extract (buffer, 0, header, 2) == 2 && (header[0] >> 6) == 2 &&
      (header[1] & 0x80) != 0) {
    atomic_fetch_add_explicit (&self->rtp_frames, 1, memory_order_relaxed);
    if (!self->decode)
      note_first_frame (self);
  }
}

static void
count_one (GstBuffer *buffer,
           gpointer   user_data)
{
  count_rtp_buffer (user_data, buffer);
}

static GstPadProbeReturn
on_video_rtp (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  canopy_webrtc_probe_buffers (info, count_one, user_data);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_audio_rtp (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  CanopyMedia *self = user_data;
  guint n = 1;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  atomic_fetch_add_explicit (&self->packets, n, memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_decoded_frame (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  CanopyMedia *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstReferenceTimestampMeta *meta =
    gst_buffer_get_reference_timestamp_meta (buffer, canopy_webrtc_ntp_caps ());

  atomic_fetch_add_explicit (&self->frames, 1, memory_order_relaxed);
  note_first_frame (self);
  if (meta != NULL && meta->timestamp != 0) {
    gint64 stamp_us = (gint64) (meta->timestamp / 1000) -
                      (gint64) CANOPY_NTP_OFFSET_S * G_USEC_PER_SEC;
    gint64 us = g_get_real_time () - stamp_us;

    /* One clock on one machine; anything outside this is a stale or foreign stamp. */
    if (us > -1000 && us < 10 * G_USEC_PER_SEC) {
      atomic_fetch_add_explicit (&self->latency_sum_us, us, memory_order_relaxed);
      atomic_fetch_add_explicit (&self->latency_n, 1, memory_order_relaxed);
    }
  }
  return GST_PAD_PROBE_OK;
}

/* --- playback --- */

static GstElement *
fallback_sink (void)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  return sink;
}

/* Links tee -> @desc -> @sink (taken) into the pipeline. */
static GstElement *
add_branch (CanopyMedia *self,
            GstElement  *tee,
            const char  *desc,
            GstElement  *sink,
            GError     **error)
{
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, error);

  if (bin == NULL) {
    gst_object_unref (sink);
    return NULL;
  }
  gst_bin_add_many (GST_BIN (self->pipeline), bin, sink, NULL);
  if (!gst_element_link_many (tee, bin, sink, NULL)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot link the playback");
    return NULL;
  }
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (bin);
  return bin;
}

#define PLAYBACK_QUEUE \
  "queue max-size-time=500000000 max-size-buffers=0 max-size-bytes=0 leaky=downstream ! "

/* The first (key)frame the depayloader hands the decoder, for canopy_webrtc_trace(). */
static GstPadProbeReturn
on_first_coded_frame (GstPad          *pad,
                      GstPadProbeInfo *info,
                      gpointer         user_data)
{
  canopy_webrtc_trace ("decoder-in", NULL);
  return GST_PAD_PROBE_REMOVE;
}

/* One decoding thread: libvpx's threads wait for each other by spinning, which on a busy
 * machine takes the time they wait for (see canopy-source.c), and our streams' one token
 * partition leaves a second VP8 thread little to do. */
static void
add_video_playback (CanopyMedia *self,
                    gboolean     h264)
{
  const char *desc = h264
    ? PLAYBACK_QUEUE "rtph264depay name=depay request-keyframe=true wait-for-keyframe=true ! "
                     "h264parse ! avdec_h264 name=decoder ! videoconvert"
    : PLAYBACK_QUEUE "rtpvp8depay name=depay request-keyframe=true wait-for-keyframe=true ! "
                     "vp8dec name=decoder threads=1 ! videoconvert";
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) depay = NULL;
  g_autoptr (GstElement) decoder = NULL;
  g_autoptr (GstPad) decoder_src = NULL;
  g_autoptr (GstPad) decoder_sink = NULL;
  g_autoptr (GstRTPHeaderExtension) ntp = NULL;
  GstElement *bin = add_branch (self, self->video_tee, desc,
                                self->video_sink ? gst_object_ref (self->video_sink)
                                                 : fallback_sink (),
                                &error);

  if (bin == NULL) {
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
    return;
  }
  /* The 1.22 answer drops the ntp-64 extmap: map it on the depayloader by hand. */
  depay = gst_bin_get_by_name (GST_BIN (bin), "depay");
  ntp = gst_rtp_header_extension_create_from_uri (CANOPY_NTP64_URI);
  if (ntp != NULL) {
    gst_rtp_header_extension_set_id (ntp, CANOPY_NTP64_ID);
    g_signal_emit_by_name (depay, "add-extension", ntp);
  }
  decoder = gst_bin_get_by_name (GST_BIN (bin), "decoder");
  decoder_sink = gst_element_get_static_pad (decoder, "sink");
  gst_pad_add_probe (decoder_sink, GST_PAD_PROBE_TYPE_BUFFER, on_first_coded_frame, NULL, NULL);
  decoder_src = gst_element_get_static_pad (decoder, "src");
  gst_pad_add_probe (decoder_src, GST_PAD_PROBE_TYPE_BUFFER, on_decoded_frame, self, NULL);
}

static void
build_video_playback (gpointer owner,
                      gpointer data)
{
  CanopyMedia *self = owner;
  g_autoptr (GstPad) tee_sink = NULL;

  if (self->caps_probe == 0 || self->pipeline == NULL)
    return;
  add_video_playback (self, GPOINTER_TO_INT (data));
  /* Unblocks the video: the caps and the first keyframe now reach the decoder too. */
  tee_sink = gst_element_get_static_pad (self->video_tee, "sink");
  gst_pad_remove_probe (tee_sink, self->caps_probe);
  self->caps_probe = 0;
}

/* The decoder is chosen by the first caps the parent sends: viewers need not know the codec.
 * The probe blocks the video right there (for the few milliseconds the main context takes to
 * build the decoder) so the first keyframe is not lost to a decoder linked a moment late. */
static GstPadProbeReturn
on_video_caps (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  CanopyMedia *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  const char *encoding;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_PASS;
  gst_event_parse_caps (event, &caps);
  encoding = gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name");
  if (g_strcmp0 (encoding, "H264") != 0 && g_strcmp0 (encoding, "VP8") != 0)
    return GST_PAD_PROBE_PASS;
  canopy_post (self->context, self, build_video_playback,
               GINT_TO_POINTER (g_str_equal (encoding, "H264")), NULL);
  return GST_PAD_PROBE_OK;
}

static void
apply_volume (CanopyMedia *self)
{
  if (self->volume != NULL)
    g_object_set (self->volume, "volume", self->volume_level, "mute", self->muted, NULL);
}

/* --- the pipeline --- */

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  CanopyMedia *self = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_LATENCY:
    /* Sinks added at run time would otherwise ignore the jitterbuffer latency. */
    gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) gst_error = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &gst_error, &debug);
    g_message ("Pipeline error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               gst_error->message, debug ? debug : "");
    error = g_error_new_literal (CANOPY_ERROR, CANOPY_ERROR_MEDIA, gst_error->message);
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

/* A file or URL that fails while live: whoever shows the room must hear of it. */
static void
on_source_error (CanopySource *source,
                 const GError *error,
                 gpointer      user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_ERROR], 0, error);
}

static GstElement *
make_tee (GstBin     *bin,
          const char *name)
{
  GstElement *tee = gst_element_factory_make ("tee", name);

  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (bin, tee);
  return gst_object_ref (tee);
}

static gboolean
play (CanopyMedia *self,
      GError     **error)
{
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot start the media pipeline");
    return FALSE;
  }
  return TRUE;
}

static void
canopy_media_dispose (GObject *object)
{
  CanopyMedia *self = CANOPY_MEDIA (object);

  if (self->source != NULL) {
    g_signal_handlers_disconnect_by_data (self->source, self);
    g_clear_object (&self->source);
  }
  if (self->pipeline != NULL) {
    g_autoptr (GstBus) bus = gst_element_get_bus (self->pipeline);

    gst_bus_remove_watch (bus);
    /* Deactivating the pads also releases a still-blocked caps probe. */
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  }
  g_clear_pointer (&self->forward, canopy_forward_unref);
  gst_clear_object (&self->volume);
  gst_clear_object (&self->video_sink);
  gst_clear_object (&self->video_tee);
  gst_clear_object (&self->audio_tee);
  gst_clear_object (&self->pipeline);
  G_OBJECT_CLASS (canopy_media_parent_class)->dispose (object);
}

static void
canopy_media_finalize (GObject *object)
{
  CanopyMedia *self = CANOPY_MEDIA (object);

  g_main_context_unref (self->context);
  G_OBJECT_CLASS (canopy_media_parent_class)->finalize (object);
}

static void
canopy_media_class_init (CanopyMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = canopy_media_dispose;
  object_class->finalize = canopy_media_finalize;

  /**
   * CanopyMedia::first-frame:
   * The first frame was decoded (or, without decoding, received or sent whole).
   */
  signals[SIGNAL_FIRST_FRAME] = g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 0);
  /**
   * CanopyMedia::error:
   * @error: the source stopped or an element failed
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
canopy_media_init (CanopyMedia *self)
{
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) tee_sink = NULL;
  g_autoptr (GstPad) audio_sink = NULL;

  self->context = g_main_context_ref_thread_default ();
  self->volume_level = 1.0;
  self->decode = TRUE;
  self->pipeline = gst_object_ref_sink (gst_pipeline_new (NULL));
  canopy_webrtc_watch_pipeline (GST_BIN (self->pipeline));
  bus = gst_element_get_bus (self->pipeline);
  gst_bus_add_watch (bus, on_bus_message, self);
  self->video_tee = make_tee (GST_BIN (self->pipeline), "video");
  self->audio_tee = make_tee (GST_BIN (self->pipeline), "audio");

  tee_sink = gst_element_get_static_pad (self->video_tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_video_rtp, self, NULL);
  /* Joins and losses below us all ask for keyframes: let one through per interval. */
  canopy_webrtc_coalesce_keyframe_requests (tee_sink);
  audio_sink = gst_element_get_static_pad (self->audio_tee, "sink");
  gst_pad_add_probe (audio_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_audio_rtp, self, NULL);
}

/**
 * canopy_media_new:
 *
 * Returns: (transfer full): a pipeline with its two tees, not playing yet; start it with
 *   canopy_media_start_source() (host) or canopy_media_start_playback() (viewer)
 */
CanopyMedia *
canopy_media_new (void)
{
  return g_object_new (CANOPY_TYPE_MEDIA, NULL);
}

/**
 * canopy_media_start_source:
 * @self: a new media pipeline
 * @source: (transfer none): the host's encoder
 * @spec: the first input, see canopy_source_set_input()
 * @preview_sink: (nullable): where the host sees what it sends
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when an element is missing or the input cannot start
 */
gboolean
canopy_media_start_source (CanopyMedia  *self,
                           CanopySource *source,
                           const char   *spec,
                           GstElement   *preview_sink,
                           GError      **error)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), FALSE);
  g_return_val_if_fail (self->source == NULL, FALSE);

  self->source = g_object_ref (source);
  self->decode = FALSE;
  g_signal_connect (source, "error", G_CALLBACK (on_source_error), self);
  return canopy_source_attach (source, GST_BIN (self->pipeline), self->video_tee,
                               self->audio_tee, preview_sink, error) &&
         canopy_source_set_input (source, spec, error) && play (self, error);
}

/**
 * canopy_media_start_playback:
 * @self: a new media pipeline
 * @decode: whether to decode and play at all (relays for tests and benchmarks do not)
 * @video_sink: (nullable): where decoded video goes
 * @audio_sink: (nullable): where decoded audio goes, after a volume element
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when an element is missing
 */
gboolean
canopy_media_start_playback (CanopyMedia *self,
                             gboolean     decode,
                             GstElement  *video_sink,
                             GstElement  *audio_sink,
                             GError     **error)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), FALSE);

  self->decode = decode;
  self->forward = canopy_forward_new (GST_BIN (self->pipeline), self->video_tee);
  if (decode) {
    g_autoptr (GstPad) tee_sink = gst_element_get_static_pad (self->video_tee, "sink");
    GstElement *audio;

    if (video_sink != NULL)
      self->video_sink = gst_object_ref (video_sink);
    audio = add_branch (self, self->audio_tee,
                        PLAYBACK_QUEUE "rtpopusdepay ! opusdec plc=true ! audioconvert ! "
                                       "audioresample ! volume name=volume",
                        audio_sink ? gst_object_ref (audio_sink) : fallback_sink (), error);
    if (audio == NULL)
      return FALSE;
    self->volume = gst_bin_get_by_name (GST_BIN (audio), "volume");
    apply_volume (self);
    self->caps_probe = gst_pad_add_probe (tee_sink,
                                          GST_PAD_PROBE_TYPE_BLOCK |
                                          GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                                          on_video_caps, self, NULL);
  }
  return play (self, error);
}

/**
 * canopy_media_set_input:
 * @self: a host's media
 * @spec: see canopy_source_set_input()
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when the input cannot start (the old one keeps playing)
 */
gboolean
canopy_media_set_input (CanopyMedia *self,
                        const char  *spec,
                        GError     **error)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), FALSE);

  if (self->source == NULL) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Only a host has a source");
    return FALSE;
  }
  return canopy_source_set_input (self->source, spec, error);
}

/**
 * canopy_media_set_volume:
 * @self: a viewer's media
 * @volume: 0 to 1
 * @muted: whether to play silence
 */
void
canopy_media_set_volume (CanopyMedia *self,
                         double       volume,
                         gboolean     muted)
{
  g_return_if_fail (CANOPY_IS_MEDIA (self));

  self->volume_level = volume;
  self->muted = muted;
  apply_volume (self);
}

/**
 * canopy_media_set_fec_percentage:
 * @self: a host's media
 * @percentage: see canopy_source_set_fec_percentage()
 */
void
canopy_media_set_fec_percentage (CanopyMedia *self,
                                 guint        percentage)
{
  g_return_if_fail (CANOPY_IS_MEDIA (self));

  if (self->source != NULL)
    canopy_source_set_fec_percentage (self->source, percentage);
}

/**
 * canopy_media_force_keyframe:
 * @self: a host's media
 *
 * Asks the encoder for a keyframe, through the probe that coalesces requests.
 */
void
canopy_media_force_keyframe (CanopyMedia *self)
{
  g_autoptr (GstPad) sink = NULL;

  g_return_if_fail (CANOPY_IS_MEDIA (self));

  sink = gst_element_get_static_pad (self->video_tee, "sink");
  gst_pad_push_event (sink, canopy_webrtc_keyframe_request_new ());
}

/**
 * canopy_media_stop:
 * @self: media
 *
 * Stops the host's input; the pipeline itself stops when @self is disposed.
 */
void
canopy_media_stop (CanopyMedia *self)
{
  g_return_if_fail (CANOPY_IS_MEDIA (self));

  if (self->source != NULL)
    canopy_source_stop (self->source);
}

/**
 * canopy_media_get_bin:
 * @self: media
 *
 * Returns: (transfer none): the pipeline, where edges add their webrtcbins
 */
GstBin *
canopy_media_get_bin (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), NULL);
  return GST_BIN (self->pipeline);
}

/**
 * canopy_media_get_video_tee:
 * @self: media
 *
 * Returns: (transfer none): the tee carrying the room's video RTP in order: the host's
 *   encoder or the parent's jitterbuffer feeds it, playback takes from it
 */
GstElement *
canopy_media_get_video_tee (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), NULL);
  return self->video_tee;
}

/**
 * canopy_media_get_audio_tee:
 * @self: media
 *
 * Returns: (transfer none): the tee carrying the room's audio RTP
 */
GstElement *
canopy_media_get_audio_tee (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), NULL);
  return self->audio_tee;
}

/**
 * canopy_media_get_forward:
 * @self: a viewer's media, playing
 *
 * Returns: (transfer none) (nullable): the viewer's forwarder; %NULL on the host
 */
CanopyForward *
canopy_media_get_forward (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), NULL);
  return self->forward;
}

/**
 * canopy_media_get_forward_tee:
 * @self: media
 * @kind: video or audio
 *
 * Returns: (transfer none): the tee that edges to children take @kind from: the host's
 *   encoder output, or on a viewer the packets from its parent as they arrive
 */
GstElement *
canopy_media_get_forward_tee (CanopyMedia       *self,
                              CanopyForwardKind  kind)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), NULL);
  if (self->forward != NULL)
    return canopy_forward_get_tee (self->forward, kind);
  return kind == CANOPY_FORWARD_VIDEO ? self->video_tee : self->audio_tee;
}

/**
 * canopy_media_tick:
 * @self: media
 *
 * Closes a one-second window: the bit rate and mean latency read afterwards are this one's.
 */
void
canopy_media_tick (CanopyMedia *self)
{
  guint64 bytes;
  gint64 sum;
  guint n;

  g_return_if_fail (CANOPY_IS_MEDIA (self));

  bytes = atomic_load_explicit (&self->bytes, memory_order_relaxed);
  self->kbps = (bytes - self->last_bytes) * 8.0 / 1000.0;
  self->last_bytes = bytes;
  /* Not one atomic snapshot of both: a frame counted between the two reads moves to the next
   * window, which a one-second mean does not notice. */
  n = atomic_exchange_explicit (&self->latency_n, 0, memory_order_relaxed);
  sum = atomic_exchange_explicit (&self->latency_sum_us, 0, memory_order_relaxed);
  if (n > 0)
    self->latency_ms = sum / 1000.0 / n;
}

/**
 * canopy_media_get_frames:
 * @self: media
 *
 * Returns: frames decoded by a decoding viewer; otherwise whole frames passed on
 */
guint64
canopy_media_get_frames (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), 0);
  return self->decode ? atomic_load (&self->frames) : atomic_load (&self->rtp_frames);
}

/**
 * canopy_media_get_packets:
 * @self: media
 *
 * Returns: the video and audio RTP packets that entered the tees so far (any thread)
 */
guint64
canopy_media_get_packets (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), 0);
  return atomic_load (&self->packets);
}

guint64
canopy_media_get_bytes (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), 0);
  return atomic_load (&self->bytes);
}

/**
 * canopy_media_get_latency_ms:
 * @self: a decoding viewer's media
 *
 * Returns: the mean capture-to-decoded delay in the last window, from the ntp-64 stamps (0
 *   before any was seen)
 */
double
canopy_media_get_latency_ms (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), 0);
  return self->latency_ms;
}

double
canopy_media_get_bitrate_kbps (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), 0);
  return self->kbps;
}

/**
 * canopy_media_get_first_frame_us:
 * @self: media
 *
 * Returns: the monotonic time of the first frame, or 0
 */
gint64
canopy_media_get_first_frame_us (CanopyMedia *self)
{
  g_return_val_if_fail (CANOPY_IS_MEDIA (self), 0);
  return atomic_load (&self->first_frame_us);
}
