/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CanopyThin's filter on a child's video branch, fed real RTP buffers through a real pad: the
 * host's FEC packets reach the child only when it asked for them and gets every layer;
 * otherwise a stand-in keeps their sequence numbers. A stand-in carries one byte for a child
 * whose packets are wrapped in RED (an empty RED block is invalid and would be dropped), none
 * for one whose are not; video packets of a layer the child is sent pass unchanged.
 */
#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "canopy-thin.h"
#include "canopy-webrtc.h"

#define MEDIA_PT 96

typedef struct {
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
  CanopyThin *thin;
} Branch;

static void
branch_start (Branch     *branch,
              const char *layers)
{
  g_autoptr (GstCaps) caps = gst_caps_new_simple ("application/x-rtp",
                                                  "media", G_TYPE_STRING, "video",
                                                  "encoding-name", G_TYPE_STRING, "VP8",
                                                  "payload", G_TYPE_INT, MEDIA_PT,
                                                  "clock-rate", G_TYPE_INT, 90000, NULL);
  g_autoptr (GstPad) pad = NULL;

  /* $CANOPY_LAYERS fixes the layers the child is sent, as for measurements. */
  if (layers != NULL)
    g_setenv ("CANOPY_LAYERS", layers, TRUE);
  else
    g_unsetenv ("CANOPY_LAYERS");
  branch->thin = canopy_thin_new ("child");
  branch->pipeline = gst_pipeline_new (NULL);
  branch->src = gst_element_factory_make ("appsrc", NULL);
  branch->sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (branch->src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  g_object_set (branch->sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (branch->pipeline), branch->src, branch->sink, NULL);
  g_assert_true (gst_element_link (branch->src, branch->sink));
  pad = gst_element_get_static_pad (branch->sink, "sink");
  canopy_thin_attach (branch->thin, pad);
  g_assert_cmpint (gst_element_set_state (branch->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

static void
branch_stop (Branch *branch)
{
  gst_element_set_state (branch->pipeline, GST_STATE_NULL);
  gst_object_unref (branch->pipeline);
  canopy_thin_unref (branch->thin);
  g_unsetenv ("CANOPY_LAYERS");
}

/* A packet of @payload_len bytes; for VP8, the payload descriptor of a frame of layer @tid. */
static GstBuffer *
packet (guint8  pt,
        guint16 seq,
        guint32 timestamp,
        guint   tid,
        guint   payload_len)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (payload_len, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, pt);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, timestamp);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0xab, payload_len);
  if (pt == MEDIA_PT) {
    payload[0] = 0x90;            /* X, S */
    payload[1] = 0x20;            /* T: a TID byte follows */
    payload[2] = (guint8) (tid << 6) | 0x20;  /* TID, Y (a switching point) */
  }
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buffer) = 0;
  return buffer;
}

typedef struct {
  guint8 pt;
  guint16 seq;
  guint payload_len;
  guint padding;
} Seen;

/* Pushes @buffer through the filter; what came out. */
static Seen
push (Branch    *branch,
      GstBuffer *buffer)
{
  g_autoptr (GstSample) sample = NULL;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  Seen seen;

  g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (branch->src), buffer), ==, GST_FLOW_OK);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (branch->sink), 10 * GST_SECOND);
  g_assert_nonnull (sample);
  g_assert_true (gst_rtp_buffer_map (gst_sample_get_buffer (sample), GST_MAP_READ, &rtp));
  seen.pt = gst_rtp_buffer_get_payload_type (&rtp);
  seen.seq = gst_rtp_buffer_get_seq (&rtp);
  seen.payload_len = gst_rtp_buffer_get_payload_len (&rtp);
  seen.padding = gst_rtp_buffer_get_padding (&rtp) ? 1 : 0;
  gst_rtp_buffer_unmap (&rtp);
  return seen;
}

/* A child that did not ask for FEC gets stand-ins in its place: same sequence number and
 * payload type, one byte (its packets are wrapped in RED, as until its answer says otherwise),
 * then none with padding once it answered without RED; one that asked gets the FEC packets
 * as they are. Video passes unchanged throughout. */
static void
test_fec_gate (void)
{
  Branch branch;
  Seen seen;

  branch_start (&branch, NULL);
  seen = push (&branch, packet (MEDIA_PT, 100, 3000, 0, 500));
  g_assert_cmpuint (seen.payload_len, ==, 500);

  seen = push (&branch, packet (CANOPY_ULPFEC_PT, 101, 3000, 0, 400));
  g_assert_cmpuint (seen.pt, ==, CANOPY_ULPFEC_PT);
  g_assert_cmpuint (seen.seq, ==, 101);
  g_assert_cmpuint (seen.payload_len, ==, 1);

  canopy_thin_set_red (branch.thin, FALSE);
  seen = push (&branch, packet (CANOPY_ULPFEC_PT, 102, 3000, 0, 400));
  g_assert_cmpuint (seen.seq, ==, 102);
  g_assert_cmpuint (seen.payload_len, ==, 0);
  g_assert_cmpuint (seen.padding, ==, 1);

  canopy_thin_set_red (branch.thin, TRUE);
  canopy_thin_set_fec (branch.thin, TRUE);
  seen = push (&branch, packet (CANOPY_ULPFEC_PT, 103, 3000, 0, 400));
  g_assert_cmpuint (seen.seq, ==, 103);
  g_assert_cmpuint (seen.payload_len, ==, 400);
  seen = push (&branch, packet (MEDIA_PT, 104, 6000, 1, 500));
  g_assert_cmpuint (seen.payload_len, ==, 500);

  canopy_thin_set_fec (branch.thin, FALSE);
  seen = push (&branch, packet (CANOPY_ULPFEC_PT, 105, 6000, 0, 400));
  g_assert_cmpuint (seen.payload_len, ==, 1);
  branch_stop (&branch);
}

/* A thinned child (sent one layer of two) gets no FEC even though it asked: the FEC covers
 * packets it is not sent, and its decoder would rebuild one from a stand-in. */
static void
test_fec_thinned (void)
{
  Branch branch;
  Seen seen;

  branch_start (&branch, "1");
  canopy_thin_set_fec (branch.thin, TRUE);
  seen = push (&branch, packet (MEDIA_PT, 200, 3000, 0, 500));
  g_assert_cmpuint (seen.payload_len, ==, 500);
  seen = push (&branch, packet (MEDIA_PT, 201, 6000, 1, 500));
  g_assert_cmpuint (seen.seq, ==, 201);
  g_assert_cmpuint (seen.pt, ==, MEDIA_PT);
  g_assert_cmpuint (seen.payload_len, ==, 1);          /* the layer-1 frame is stood in for */
  seen = push (&branch, packet (CANOPY_ULPFEC_PT, 202, 6000, 0, 400));
  g_assert_cmpuint (seen.pt, ==, CANOPY_ULPFEC_PT);
  g_assert_cmpuint (seen.payload_len, ==, 1);
  branch_stop (&branch);
}

int
main (int    argc,
      char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thin/fec-gate", test_fec_gate);
  g_test_add_func ("/thin/fec-thinned", test_fec_thinned);
  return g_test_run ();
}
