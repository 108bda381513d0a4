/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySource"

#include "canopy-source.h"

#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "canopy-error.h"
#include "canopy-fec.h"
#include "canopy-layers.h"
#include "canopy-webrtc.h"

/*
 * The host's media in two parts. The input (camera, screen, test pattern, file, URL) runs in
 * a pipeline of its own that ends in intervideosink/interaudiosink. The node's pipeline
 * starts at intervideosrc/interaudiosrc, encodes and payloads into the node's tees. Changing
 * the input replaces only the first pipeline: the encoder, its timestamps and every viewer's
 * connection stay as they are (intervideosrc repeats the last frame meanwhile).
 */

struct _CanopySource {
  GObject parent_instance;

  CanopyCodec codec;
  guint width;
  guint height;
  guint fps;
  guint bitrate_kbps;
  guint fec_percentage;
  GstElement *fec;             /* the FEC encoder (CanopyFecEncoder), once attached */
  char *channel;
  char *input;
  GstElement *input_pipeline;
  guint bus_watch;
};

G_DEFINE_FINAL_TYPE (CanopySource, canopy_source, G_TYPE_OBJECT)

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

gboolean
canopy_codec_from_string (const char  *text,
                          CanopyCodec *codec)
{
  if (g_strcmp0 (text, "vp8") == 0)
    *codec = CANOPY_CODEC_VP8;
  else if (g_strcmp0 (text, "h264") == 0)
    *codec = CANOPY_CODEC_H264;
  else
    return FALSE;
  return TRUE;
}

/**
 * canopy_source_camera_available:
 *
 * Returns: whether a V4L2 device node exists
 */
gboolean
canopy_source_camera_available (void)
{
  for (int i = 0; i < 8; i++) {
    g_autofree char *path = g_strdup_printf ("/dev/video%d", i);

    if (g_file_test (path, G_FILE_TEST_EXISTS))
      return TRUE;
  }
  return FALSE;
}

static char *
video_tail (CanopySource *self)
{
  return g_strdup_printf ("videoconvert ! videoscale add-borders=true ! videorate ! "
                          "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1,"
                          "pixel-aspect-ratio=1/1 ! intervideosink channel=%s",
                          self->width, self->height, self->fps, self->channel);
}

static char *
audio_tail (CanopySource *self)
{
  return g_strdup_printf ("audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! "
                          "interaudiosink channel=%s", self->channel);
}

static gboolean
valid_pattern (const char *pattern)
{
  g_autoptr (GstElement) probe = gst_element_factory_make ("videotestsrc", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (probe), "pattern");
  GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;

  return g_enum_get_value_by_nick (klass, pattern) != NULL;
}

/* Builds the description of a fixed input, or NULL for a URI (built by hand: its pads come
 * later). */
static gboolean
describe_input (CanopySource *self,
                const char   *spec,
                char        **desc,
                char        **uri,
                GError      **error)
{
  g_autofree char *vtail = video_tail (self);
  g_autofree char *atail = audio_tail (self);

  if (g_strcmp0 (spec, "test:motion") == 0) {
    /* A zone plate moving every frame: detail and motion everywhere, like a camera, which
     * vp8enc holds to its bit rate (snow defeats its rate control, ball needs next to
     * nothing). For measuring the media plane at a given rate. */
    *desc = g_strdup_printf ("videotestsrc is-live=true pattern=zone-plate kx2=20 ky2=20 kt=1 ! "
                             "%s audiotestsrc is-live=true wave=ticks volume=0.2 ! %s",
                             vtail, atail);
    return TRUE;
  }
  if (g_strcmp0 (spec, "test") == 0 || g_str_has_prefix (spec, "test:")) {
    const char *pattern = spec[4] == ':' ? spec + 5 : "ball";

    if (!valid_pattern (pattern)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Unknown test pattern \"%s\"",
                   pattern);
      return FALSE;
    }
    *desc = g_strdup_printf ("videotestsrc is-live=true pattern=%s ! %s "
                             "audiotestsrc is-live=true wave=ticks volume=0.2 ! %s",
                             pattern, vtail, atail);
    return TRUE;
  }
  if (g_strcmp0 (spec, "camera") == 0 || g_str_has_prefix (spec, "camera:")) {
    const char *device = spec[6] == ':' ? spec + 7 : "/dev/video0";
    g_autofree char *quoted = g_shell_quote (device);

    if (!g_file_test (device, G_FILE_TEST_EXISTS)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "No camera at %s", device);
      return FALSE;
    }
    *desc = g_strdup_printf ("v4l2src device=%s ! decodebin ! %s", quoted, vtail);
    return TRUE;
  }
  if (g_strcmp0 (spec, "screen") == 0) {
    *desc = g_strdup_printf ("ximagesrc use-damage=false show-pointer=true ! %s", vtail);
    return TRUE;
  }
  if (g_str_has_prefix (spec, "file:") && !g_str_has_prefix (spec, "file://")) {
    g_autoptr (GFile) file = g_file_new_for_commandline_arg (spec + 5);

    if (!g_file_query_exists (file, NULL)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "No such file: %s", spec + 5);
      return FALSE;
    }
    *uri = g_file_get_uri (file);
    return TRUE;
  }
  if (gst_uri_is_valid (spec)) {
    *uri = g_strdup (spec);
    return TRUE;
  }
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA,
               "\"%s\" is not a source (test, camera, screen, file:PATH or a URL)", spec);
  return FALSE;
}

static void
on_decoded_pad (GstElement *decodebin,
                GstPad     *pad,
                gpointer    user_data)
{
  CanopySource *self = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  g_autofree char *tail = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) sink = NULL;
  const char *name;
  GstElement *bin;
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (decodebin));

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_has_prefix (name, "video/"))
    tail = video_tail (self);
  else if (g_str_has_prefix (name, "audio/"))
    tail = audio_tail (self);
  if (tail == NULL || pipeline == NULL) {
    gst_clear_object (&pipeline);
    return;
  }
  bin = gst_parse_bin_from_description (tail, TRUE, &error);
  if (bin == NULL) {
    g_message ("Cannot play %s: %s", name, error->message);
    gst_object_unref (pipeline);
    return;
  }
  gst_bin_add (GST_BIN (pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_is_linked (sink) || gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_message ("Ignoring a second %s stream", name);
  gst_object_unref (pipeline);
}

static gboolean
on_input_bus (GstBus     *bus,
              GstMessage *message,
              gpointer    user_data)
{
  CanopySource *self = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_EOS:
    /* A file plays in a loop; a stream that ends stays on its last frame. */
    if (!gst_element_seek_simple (self->input_pipeline, GST_FORMAT_TIME,
                                  GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT, 0))
      g_message ("Input %s ended", self->input);
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) gst_error = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &gst_error, &debug);
    g_message ("Input %s failed: %s (%s)", self->input, gst_error->message,
               debug ? debug : "");
    error = g_error_new (CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot play %s: %s", self->input,
                         gst_error->message);
    self->bus_watch = 0;
    canopy_source_stop (self);
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
    return G_SOURCE_REMOVE;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

/**
 * canopy_source_set_input:
 * @self: a source
 * @spec: "test", "test:PATTERN", "test:motion", "camera", "camera:DEVICE", "screen", "file:PATH" or a URI
 * @error: return location for a #CanopyError
 *
 * Switches the input while the encoder keeps running: viewers stay connected.
 *
 * Returns: %FALSE with @error set when the input cannot be started
 */
gboolean
canopy_source_set_input (CanopySource *self,
                         const char   *spec,
                         GError      **error)
{
  g_autofree char *desc = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (CANOPY_IS_SOURCE (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);

  if (!describe_input (self, spec, &desc, &uri, error))
    return FALSE;
  if (desc != NULL) {
    pipeline = gst_parse_launch (desc, &local_error);
    if (pipeline == NULL) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot start %s: %s", spec,
                   local_error->message);
      return FALSE;
    }
    gst_object_ref_sink (pipeline);
  } else {
    GstElement *decode = gst_element_factory_make ("uridecodebin", NULL);

    pipeline = gst_object_ref_sink (gst_pipeline_new (NULL));
    g_object_set (decode, "uri", uri, NULL);
    g_signal_connect (decode, "pad-added", G_CALLBACK (on_decoded_pad), self);
    gst_bin_add (GST_BIN (pipeline), decode);
  }

  canopy_source_stop (self);
  self->input_pipeline = g_steal_pointer (&pipeline);
  g_free (self->input);
  self->input = g_strdup (spec);
  bus = gst_element_get_bus (self->input_pipeline);
  self->bus_watch = gst_bus_add_watch (bus, on_input_bus, self);
  if (gst_element_set_state (self->input_pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    canopy_source_stop (self);
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot start %s", spec);
    return FALSE;
  }
  return TRUE;
}

/**
 * canopy_source_set_fec_percentage:
 * @self: a source
 * @percentage: FEC packets per 100 video packets, 0 for none (at most %CANOPY_FEC_MAX_PERCENT)
 *
 * Takes effect at once, also while streaming.
 */
void
canopy_source_set_fec_percentage (CanopySource *self,
                                  guint         percentage)
{
  g_return_if_fail (CANOPY_IS_SOURCE (self));

  percentage = MIN (percentage, CANOPY_FEC_MAX_PERCENT);
  if (percentage == self->fec_percentage)
    return;
  g_debug ("FEC: %u %%", percentage);
  self->fec_percentage = percentage;
  if (self->fec != NULL)
    canopy_fec_encoder_set_percentage (CANOPY_FEC_ENCODER (self->fec), percentage);
}

/**
 * canopy_source_stop:
 * @self: a source
 *
 * Stops the input; the encoder goes on with the last frame, then black.
 */
void
canopy_source_stop (CanopySource *self)
{
  g_return_if_fail (CANOPY_IS_SOURCE (self));

  if (self->bus_watch != 0) {
    g_autoptr (GstBus) bus = gst_element_get_bus (self->input_pipeline);

    gst_bus_remove_watch (bus);
    self->bus_watch = 0;
  }
  if (self->input_pipeline != NULL) {
    gst_element_set_state (self->input_pipeline, GST_STATE_NULL);
    gst_clear_object (&self->input_pipeline);
  }
}

static GstPadProbeReturn
stamp_capture_time (GstPad          *pad,
                    GstPadProbeInfo *info,
                    gpointer         user_data)
{
  GstBuffer *buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  guint64 now_us = (guint64) g_get_real_time ();

  /* Wall clock since 1900 in ns, as rtphdrextntp64 wants it: receivers subtract it from
   * their own clock after decoding (same machine, same clock). */
  gst_buffer_add_reference_timestamp_meta (buffer, canopy_webrtc_ntp_caps (),
                                           (now_us + CANOPY_NTP_OFFSET_S * G_USEC_PER_SEC) * 1000,
                                           GST_CLOCK_TIME_NONE);
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* libvpx's threads wait for each other by spinning: on a machine whose cores are all busy the
 * spinning thread eats the time its partner needs. With threads=2, a host on a 2-core machine
 * with one core taken by another program sent 9-19 of its 30 frames a second while a file
 * went round a room of 15 (tests/core/test-file-room.c); with one thread, 30. One thread
 * encodes up to 1280x720 in real time; only larger frames get two. */
#define ENCODER_ONE_THREAD_PIXELS (1280 * 720)

static char *
encoder_description (CanopySource *self)
{
  guint key_dist = self->fps * 10;
  guint vpx_threads = self->width * self->height > ENCODER_ONE_THREAD_PIXELS ? 2 : 1;

  if (self->codec == CANOPY_CODEC_H264)
    return g_strdup_printf (
      "x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate=%u key-int-max=%u "
      "threads=2 ! video/x-h264,profile=constrained-baseline ! "
      "rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200 ! "
      "capsfilter name=rtpcaps",
      self->bitrate_kbps, key_dist);
  /* error-resilient "default" as well: a frame left out (a thinned layer) must not leave the
   * decoder's probability tables behind. A keyframe at most 3 times an average frame, and a
   * rate buffer of 1 s as real-time encoders use (libvpx's defaults are 4-6 s): a link only a
   * little wider than the base layer cannot take a keyframe ten times a frame (on 320x240 test
   * snow it was 40 times, over a second of a 1 Mbit/s link) and would drop every one. */
  return g_strdup_printf (
    "vp8enc name=encoder deadline=1 cpu-used=8 end-usage=cbr target-bitrate=%u "
    "keyframe-max-dist=%u lag-in-frames=0 threads=%u error-resilient=default+partitions "
    "max-intra-bitrate=300 buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600 ! "
    "rtpvp8pay picture-id-mode=15-bit mtu=1200 ! capsfilter name=rtpcaps",
    self->bitrate_kbps * 1000, key_dist, vpx_threads);
}

/* Cumulative share of the bit rate up to each temporal layer, in per cent: the base layer
 * (7.5 fps) gets a fifth, so that a link with 40 % of the stream's rate still carries it
 * with its keyframes, the stand-ins, the audio and some repair. */
static const guint layer_share[CANOPY_LAYERS_MAX] = { 20, 45, 100 };

static void
set_int_array (GstElement  *enc,
               const char  *property,
               const gint  *values,
               guint        n)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *array = g_value_array_new (n);
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  for (guint i = 0; i < n; i++) {
    g_value_set_int (&value, values[i]);
    g_value_array_append (array, &value);
  }
  g_object_set (enc, property, array, NULL);
  g_value_array_free (array);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

/* Three temporal layers (RFC 7741 TID): 7.5, 15 and 30 frames a second, the pattern of libvpx's
 * and GStreamer's own three-layer example. Layer 0 refers only to layer 0 (the "last" buffer),
 * layer 1 updates "golden", layer 2 updates nothing, and the first frame of layers 1 and 2 in
 * each cycle of eight refers to layer 0 alone (a switching point, Y in the descriptor). A relay
 * can leave out layer 2, or 1 and 2, for a child whose link is too thin, and the child still
 * decodes; rtpvp8pay writes each packet's layer from the encoder's meta. */
static void
set_temporal_layers (CanopySource *self,
                     GstElement   *enc)
{
  const gint decimators[CANOPY_LAYERS_MAX] = { 4, 2, 1 };
  const gint ids[] = { 0, 2, 1, 2 };
  gint bitrates[CANOPY_LAYERS_MAX];

  for (guint i = 0; i < CANOPY_LAYERS_MAX; i++)
    bitrates[i] = (gint) (self->bitrate_kbps * 10 * layer_share[i]);
  set_int_array (enc, "temporal-scalability-rate-decimator", decimators, CANOPY_LAYERS_MAX);
  set_int_array (enc, "temporal-scalability-layer-id", ids, G_N_ELEMENTS (ids));
  set_int_array (enc, "temporal-scalability-target-bitrate", bitrates, CANOPY_LAYERS_MAX);
  gst_util_set_object_arg (G_OBJECT (enc), "temporal-scalability-layer-flags",
                           "<no-ref-golden+no-upd-golden+no-upd-alt,"
                           "no-ref-golden+no-upd-last+no-upd-golden+no-upd-alt+no-upd-entropy,"
                           "no-ref-golden+no-upd-last+no-upd-alt,"
                           "no-upd-last+no-upd-golden+no-upd-alt+no-upd-entropy,"
                           "no-ref-golden+no-upd-golden+no-upd-alt,"
                           "no-upd-last+no-upd-golden+no-upd-alt+no-upd-entropy,"
                           "no-upd-last+no-upd-alt,"
                           "no-upd-last+no-upd-golden+no-upd-alt+no-upd-entropy>");
  /* vp8enc 1.22 divides by the length of this one: always set it with the pattern. */
  gst_util_set_object_arg (G_OBJECT (enc), "temporal-scalability-layer-sync-flags",
                           "<false,true,true,false,false,false,false,false>");
  g_object_set (enc,
                "temporal-scalability-number-layers", CANOPY_LAYERS_MAX,
                "temporal-scalability-periodicity", (gint) G_N_ELEMENTS (ids),
                NULL);
}

static GstElement *
add_bin (GstBin     *pipeline,
         const char *desc,
         GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &local_error);

  if (bin == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot build the encoder: %s",
                 local_error->message);
    return NULL;
  }
  gst_bin_add (pipeline, bin);
  return bin;
}

/**
 * canopy_source_attach:
 * @self: a source
 * @pipeline: the host node's pipeline
 * @video_tee: where the video RTP goes
 * @audio_tee: where the audio RTP goes
 * @preview_sink: (nullable): a sink for a local preview (raw video)
 * @error: return location for a #CanopyError
 *
 * Adds the encoding half to the host's pipeline.
 *
 * Returns: %FALSE with @error set when an element is missing
 */
gboolean
canopy_source_attach (CanopySource *self,
                      GstBin       *pipeline,
                      GstElement   *video_tee,
                      GstElement   *audio_tee,
                      GstElement   *preview_sink,
                      GError      **error)
{
  g_autofree char *encoder = encoder_description (self);
  g_autofree char *video_desc = NULL;
  g_autofree char *audio_desc = NULL;
  g_autoptr (GstElement) enc = NULL;
  g_autoptr (GstPad) enc_sink = NULL;
  g_autoptr (GstElement) rtpcaps = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstElement *video;
  GstElement *audio;

  g_return_val_if_fail (CANOPY_IS_SOURCE (self), FALSE);

  video_desc = g_strdup_printf (
    "intervideosrc channel=%s ! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! "
    "tee name=preview ! queue max-size-buffers=2 leaky=downstream ! %s",
    self->channel, self->width, self->height, self->fps, encoder);
  audio_desc = g_strdup_printf (
    "interaudiosrc channel=%s ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! "
    "opusenc frame-size=20 bitrate=64000 ! rtpopuspay pt=97 ! "
    "capsfilter caps=\"application/x-rtp,media=audio,encoding-name=OPUS,payload=97,"
    "clock-rate=48000\"",
    self->channel);
  if ((video = add_bin (pipeline, video_desc, error)) == NULL ||
      (audio = add_bin (pipeline, audio_desc, error)) == NULL)
    return FALSE;

  enc = gst_bin_get_by_name (GST_BIN (video), "encoder");
  /* Keyframe requests from the whole tree reach this encoder: one every 500 ms at most. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (enc), "min-force-key-unit-interval"))
    g_object_set (enc, "min-force-key-unit-interval",
                  (guint64) CANOPY_KEYFRAME_MIN_INTERVAL_MS * GST_MSECOND, NULL);
  if (self->codec == CANOPY_CODEC_VP8)
    set_temporal_layers (self, enc);
  enc_sink = gst_element_get_static_pad (enc, "sink");
  rtpcaps = gst_bin_get_by_name (GST_BIN (video), "rtpcaps");
  /* The payloader writes the ntp-64 extension because these caps ask for it. */
  caps = gst_caps_new_simple ("application/x-rtp",
                              "media", G_TYPE_STRING, "video",
                              "encoding-name", G_TYPE_STRING,
                              self->codec == CANOPY_CODEC_H264 ? "H264" : "VP8",
                              "payload", G_TYPE_INT, 96,
                              "clock-rate", G_TYPE_INT, 90000,
                              "extmap-" G_STRINGIFY (CANOPY_NTP64_ID), G_TYPE_STRING,
                              CANOPY_NTP64_URI,
                              NULL);
  g_object_set (rtpcaps, "caps", caps, NULL);
  gst_pad_add_probe (enc_sink, GST_PAD_PROBE_TYPE_BUFFER, stamp_capture_time, NULL, NULL);

  /* The FEC is made once, for the whole tree, between the payloader and the tee. */
  gst_clear_object (&self->fec);
  self->fec = gst_object_ref (canopy_fec_encoder_new (CANOPY_ULPFEC_PT));
  canopy_fec_encoder_set_percentage (CANOPY_FEC_ENCODER (self->fec), self->fec_percentage);
  gst_bin_add (pipeline, self->fec);
  gst_element_sync_state_with_parent (self->fec);
  if (!gst_element_link_many (video, self->fec, video_tee, NULL) ||
      !gst_element_link (audio, audio_tee)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot link the encoder");
    return FALSE;
  }
  if (preview_sink != NULL) {
    g_autoptr (GstElement) tee = gst_bin_get_by_name (GST_BIN (video), "preview");
    GstElement *convert = add_bin (pipeline, "queue max-size-buffers=2 leaky=downstream ! "
                                             "videoconvert", error);
    g_autoptr (GstPad) tee_src = gst_element_request_pad_simple (tee, "src_%u");
    g_autoptr (GstPad) ghost = NULL;

    if (convert == NULL)
      return FALSE;
    /* The tee is inside the video bin: ghost one of its pads out. */
    ghost = gst_ghost_pad_new ("preview_src", tee_src);
    gst_pad_set_active (ghost, TRUE);
    gst_element_add_pad (video, gst_object_ref (ghost));
    gst_bin_add (pipeline, preview_sink);
    if (!gst_element_link_pads (video, "preview_src", convert, NULL) ||
        !gst_element_link (convert, preview_sink)) {
      g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_MEDIA, "Cannot link the preview");
      return FALSE;
    }
  }
  return TRUE;
}

static void
canopy_source_dispose (GObject *object)
{
  canopy_source_stop (CANOPY_SOURCE (object));
  gst_clear_object (&CANOPY_SOURCE (object)->fec);
  G_OBJECT_CLASS (canopy_source_parent_class)->dispose (object);
}

static void
canopy_source_finalize (GObject *object)
{
  CanopySource *self = CANOPY_SOURCE (object);

  g_free (self->channel);
  g_free (self->input);
  G_OBJECT_CLASS (canopy_source_parent_class)->finalize (object);
}

static void
canopy_source_class_init (CanopySourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = canopy_source_dispose;
  object_class->finalize = canopy_source_finalize;

  /**
   * CanopySource::error:
   * @error: what went wrong with the input; the encoder keeps running on black
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
canopy_source_init (CanopySource *self)
{
  static gint counter;

  /* Inter channels are process-wide: one per source. */
  self->channel = g_strdup_printf ("canopy-%d-%d", (int) getpid (),
                                   g_atomic_int_add (&counter, 1));
}

/**
 * canopy_source_new:
 * @codec: the video codec
 * @width: frame width
 * @height: frame height
 * @fps: frames per second
 * @bitrate_kbps: video bit rate
 *
 * Returns: (transfer full): a source with no input yet
 */
CanopySource *
canopy_source_new (CanopyCodec codec,
                   guint       width,
                   guint       height,
                   guint       fps,
                   guint       bitrate_kbps)
{
  CanopySource *self = g_object_new (CANOPY_TYPE_SOURCE, NULL);

  self->codec = codec;
  self->width = CLAMP (width, 16, 3840) & ~1u;
  self->height = CLAMP (height, 16, 2160) & ~1u;
  self->fps = CLAMP (fps, 1, 60);
  self->bitrate_kbps = CLAMP (bitrate_kbps, 50, 20000);
  return self;
}
