/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a parent puts on the wire for a standard WebRTC endpoint (a browser) to accept: the
 * offer of a real edge to a child, and the H.264 packets a host sends when keyframes are asked
 * for. See "Media profile" in docs/protocol.md.
 */
#include "canopy-edge.h"
#include "canopy-media.h"
#include "canopy-source.h"
#include "canopy-test-procs.h"
#include "canopy-webrtc.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <string.h>

static void
on_signal (CanopyEdge *edge,
           JsonObject *data,
           gpointer    user_data)
{
  char **sdp = user_data;

  if (*sdp == NULL && json_object_has_member (data, "sdp"))
    *sdp = g_strdup (json_object_get_string_member (data, "sdp"));
}

/* The lines of the m-section of @kind ("audio", "video", "application"). */
static GStrv
section_of (const char *sdp,
            const char *kind)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *start = g_strdup_printf ("m=%s ", kind);
  gboolean inside = FALSE;

  for (guint i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "m="))
      inside = g_str_has_prefix (lines[i], start);
    if (inside)
      g_strv_builder_add (builder, lines[i]);
  }
  return g_strv_builder_end (builder);
}

static gboolean
section_has (GStrv       section,
             const char *needle)
{
  for (guint i = 0; section[i] != NULL; i++)
    if (strstr (section[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static CanopyMedia *
host_media (CanopyCodec codec)
{
  g_autoptr (GError) error = NULL;
  CanopyMedia *media = canopy_media_new ();
  g_autoptr (CanopySource) source = canopy_source_new (codec, 320, 240, 15, 300);

  g_assert_true (canopy_media_start_source (media, source, "test", NULL, &error));
  g_assert_no_error (error);
  return media;
}

static void
test_offer (gconstpointer data)
{
  CanopyCodec codec = GPOINTER_TO_INT (data);
  g_autoptr (CanopyMedia) media = host_media (codec);
  g_autoptr (CanopyEdge) edge = NULL;
  g_autofree char *sdp = NULL;
  g_auto (GStrv) audio = NULL;
  g_auto (GStrv) video = NULL;
  g_auto (GStrv) application = NULL;
  /* Under valgrind the DTLS certificate alone takes several seconds. */
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  edge = canopy_edge_new_to_child (canopy_media_get_bin (media), "child",
                                   canopy_media_get_video_tee (media),
                                   canopy_media_get_audio_tee (media), NULL);
  g_signal_connect (edge, "signal", G_CALLBACK (on_signal), &sdp);
  while (sdp == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (sdp);
  g_test_message ("offer:\n%s", sdp);

  audio = section_of (sdp, "audio");
  video = section_of (sdp, "video");
  application = section_of (sdp, "application");
  g_assert_nonnull (audio[0]);
  g_assert_nonnull (video[0]);
  g_assert_nonnull (application[0]);
  /* Chromium's audio engine takes one SSRC per audio stream and refuses the whole offer
   * otherwise. */
  g_assert_false (section_has (audio, "ssrc-group:FID"));
  g_assert_false (section_has (audio, " rtx/"));
  g_assert_false (section_has (audio, " nack"));
  g_assert_true (section_has (audio, " OPUS/48000/2"));
  g_assert_true (section_has (video, "ssrc-group:FID"));
  g_assert_true (section_has (video, " rtx/90000"));
  g_assert_true (section_has (video, " nack pli"));
  g_assert_true (section_has (video, codec == CANOPY_CODEC_H264 ? " H264/90000" : " VP8/90000"));
  g_assert_true (section_has (video, "urn:ietf:params:rtp-hdrext:ntp-64"));
  g_assert_true (section_has (video, "a=sendonly"));
  g_assert_true (section_has (audio, "a=sendonly"));
  /* RED and the host's ULPFEC at the payload types every edge gives them (relays pass the
   * FEC packets on unchanged), on video only. */
  g_assert_true (section_has (video, ":" G_STRINGIFY (CANOPY_ULPFEC_PT) " ulpfec/90000"));
  g_assert_true (section_has (video, ":98 red/90000"));
  g_assert_false (section_has (audio, " ulpfec/"));
  g_assert_false (section_has (audio, " red/"));
  if (codec == CANOPY_CODEC_H264) {
    g_assert_true (section_has (video, "packetization-mode=1"));
    g_assert_true (section_has (video, "profile-level-id=42"));
  }

  canopy_edge_close (edge);
  canopy_media_stop (media);
}

/* Counted on the streaming thread, read on the main one. */
typedef struct {
  gint packets;
  gint keyframes;         /* packets that carry (the start of) an IDR */
  gint header_only;       /* packets with the marker bit and nothing but SPS/PPS */
  gint headers_with_idr;  /* STAP-As that carry SPS/PPS and the IDR's first slice */
} H264Count;

static void
count_packet (GstBuffer *buffer,
              gpointer   user_data)
{
  H264Count *count = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  const guint8 *payload;
  guint size;
  gboolean marker;
  gboolean headers = FALSE;
  gboolean other = FALSE;
  gboolean idr = FALSE;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;
  payload = gst_rtp_buffer_get_payload (&rtp);
  size = gst_rtp_buffer_get_payload_len (&rtp);
  marker = gst_rtp_buffer_get_marker (&rtp);
  if (size > 0) {
    guint type = payload[0] & 0x1f;

    if (type == 24) {
      /* STAP-A: 16-bit sizes, each followed by a NAL unit. */
      for (guint pos = 1; pos + 2 < size;) {
        guint len = (payload[pos] << 8) | payload[pos + 1];
        guint inner = payload[pos + 2] & 0x1f;

        if (inner == 7 || inner == 8)
          headers = TRUE;
        else if (inner == 5)
          idr = TRUE, other = TRUE;
        else
          other = TRUE;
        pos += 2 + len;
      }
    } else if (type == 28 && size > 1) {
      /* FU-A: the start bit and the fragmented unit's type. */
      other = TRUE;
      idr = (payload[1] & 0x80) && (payload[1] & 0x1f) == 5;
    } else if (type == 7 || type == 8) {
      headers = TRUE;
    } else {
      other = TRUE;
      idr = type == 5;
    }
  }
  g_atomic_int_inc (&count->packets);
  g_atomic_int_add (&count->keyframes, idr);
  g_atomic_int_add (&count->header_only, marker && headers && !other);
  g_atomic_int_add (&count->headers_with_idr, headers && idr);
  gst_rtp_buffer_unmap (&rtp);
}

static GstPadProbeReturn
on_rtp (GstPad          *pad,
        GstPadProbeInfo *info,
        gpointer         user_data)
{
  canopy_webrtc_probe_buffers (info, count_packet, user_data);
  return GST_PAD_PROBE_OK;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
run_for (guint ms)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
}

/* Runs the main loop until @count has seen @n keyframes, for at most 60 s. */
static void
wait_keyframes (H264Count *count,
                gint       n)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_atomic_int_get (&count->keyframes) < n && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10000);
  }
  g_assert_cmpint (g_atomic_int_get (&count->keyframes), >=, n);
}

/* Keyframe requests as they reach a host: from a child's FIR through rtpsession (with
 * all-headers), from an H.264 child at start-up and from `keyframe` on ctrl. None may make the
 * payloader send SPS/PPS alone in a packet with the marker bit: Chromium takes that packet for a
 * broken frame and asks again, a keyframe for the whole tree every 500 ms. */
static void
test_keyframe_headers (void)
{
  g_autoptr (CanopyMedia) media = host_media (CANOPY_CODEC_H264);
  g_autoptr (GstPad) tee_sink = gst_element_get_static_pad (canopy_media_get_video_tee (media),
                                                            "sink");
  H264Count count = { 0 };
  gulong probe;

  probe = gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                             on_rtp, &count, NULL);
  /* Each request waits for the keyframe before it (under valgrind the encoder makes a few
   * frames a second), then for the coalescing interval to pass. */
  wait_keyframes (&count, 1);
  for (guint i = 0; i < 5; i++) {
    gint before = g_atomic_int_get (&count.keyframes);

    run_for (CANOPY_KEYFRAME_MIN_INTERVAL_MS + 150);
    if (i < 4)
      gst_pad_push_event (tee_sink,
                          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                       i % 2 == 0, 0));
    else
      canopy_media_force_keyframe (media);
    wait_keyframes (&count, before + 1);
  }
  run_for (200);
  gst_pad_remove_probe (tee_sink, probe);
  g_test_message ("%d packets, %d keyframes, %d header-only with marker, %d STAP-A with IDR",
                  g_atomic_int_get (&count.packets), g_atomic_int_get (&count.keyframes),
                  g_atomic_int_get (&count.header_only), g_atomic_int_get (&count.headers_with_idr));
  g_assert_cmpint (g_atomic_int_get (&count.packets), >, 0);
  /* The first one and each of the five asked for. */
  g_assert_cmpint (g_atomic_int_get (&count.keyframes), >=, 6);
  g_assert_cmpint (g_atomic_int_get (&count.header_only), ==, 0);
  canopy_media_stop (media);
}

static void
test_offer_vp8 (void)
{
  test_offer (GINT_TO_POINTER (CANOPY_CODEC_VP8));
}

static void
test_offer_h264 (void)
{
  test_offer (GINT_TO_POINTER (CANOPY_CODEC_H264));
}

int
main (int    argc,
      char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  canopy_test_add_spared ("/media-profile/offer/vp8", test_offer_vp8);
  canopy_test_add_spared ("/media-profile/offer/h264", test_offer_h264);
  canopy_test_add_spared ("/media-profile/keyframe-headers", test_keyframe_headers);
  return g_test_run ();
}
