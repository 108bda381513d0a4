/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyThin"

#include "canopy-thin.h"

#include <gst/rtp/rtp.h>
#include <stdatomic.h>
#include <string.h>

#include "canopy-layers.h"

/* Frames whose decision is remembered, by RTP timestamp: every packet of a frame is sent or
 * stood in for alike, in whatever order they come (a repair comes late, on its own). */
#define FRAMES 32
/* Seconds between 1900 (NTP) and 1970. */
#define NTP_UNIX_OFFSET_S G_GINT64_CONSTANT (2208988800)

typedef struct {
  gboolean used;
  guint32 timestamp;
  gboolean send;
} Frame;

struct _CanopyThin {
  gint ref_count;
  char *peer_id;

  /* Set by the judge on the main context, read by the filter. */
  atomic_uint wanted;          /* layers the child's link carries, 1 .. CANOPY_LAYERS_MAX */
  guint fixed;                 /* $CANOPY_LAYERS: this many always, not judged; 0 judged */
  atomic_uint layers;          /* layers seen in the stream (highest TID + 1); 0 none */
  atomic_uint video_ssrc;
  atomic_bool have_ssrc;
  atomic_uint pace_kbps;       /* the pace of the child's video; 0 as it comes */
  atomic_bool fec;             /* the child asked for the host's FEC packets */
  atomic_bool red;             /* the child's packets are wrapped in RED */
  /* Counted by the filter, taken by the judge. */
  atomic_uint_fast64_t layer_bytes[CANOPY_LAYERS_MAX];
  atomic_uint_fast64_t sent_bytes;     /* counted by the pacer, as they leave */

  /* The filter's: only the streaming thread of the child's branch (caps and buffers alike). */
  gboolean is_vp8;
  gint media_pt;               /* the video's payload type (-1 before its caps); any other on
                                * this branch is the host's FEC */
  guint sending;               /* layers actually sent: goes up only at a switching point */
  Frame frames[FRAMES];
  guint next_frame;

  /* The pacer's: the branch queue's streaming thread only. */
  gint64 next_send_us;

  /* The child's reports, from the RTCP thread, under report_lock. */
  GMutex report_lock;
  double window_rtt_ms;        /* the least round trip in this window; < 0 none */
  gboolean have_rb;
  gint32 lost;                 /* the newest report's cumulative loss and highest sequence */
  guint32 highest;

  /* The judge's: main context only. */
  CanopyLayers judge;
  gint64 judged_at;
  gboolean judged_rb;
  gint32 judged_lost;
  guint32 judged_highest;
  guint64 judged_layer_bytes[CANOPY_LAYERS_MAX];
  guint64 judged_sent_bytes;
  double layer_kbps[CANOPY_LAYERS_MAX];   /* smoothed */
};

/* Pacing: what the branch may send ahead of its pace. */
#define PACE_BURST_US 20000

/**
 * canopy_thin_new:
 * @peer_id: the child's, for messages
 *
 * Returns: (transfer full): a filter that sends everything until told otherwise
 */
CanopyThin *
canopy_thin_new (const char *peer_id)
{
  CanopyThin *self = g_new0 (CanopyThin, 1);
  const char *fixed = g_getenv ("CANOPY_LAYERS");

  self->ref_count = 1;
  self->peer_id = g_strdup (peer_id);
  /* For measurements: what a child gets with thinning off (3), or always thinned. */
  if (fixed != NULL && fixed[0] >= '1' && fixed[0] < '1' + CANOPY_LAYERS_MAX && fixed[1] == '\0')
    self->fixed = fixed[0] - '0';
  atomic_init (&self->wanted, self->fixed != 0 ? self->fixed : CANOPY_LAYERS_MAX);
  self->sending = CANOPY_LAYERS_MAX;
  self->media_pt = -1;
  /* Until the child answers: packets wait in the branch queue while webrtcbin negotiates. */
  atomic_init (&self->red, TRUE);
  g_mutex_init (&self->report_lock);
  self->window_rtt_ms = -1;
  canopy_layers_init (&self->judge);
  self->judged_at = g_get_monotonic_time ();
  return self;
}

CanopyThin *
canopy_thin_ref (CanopyThin *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
canopy_thin_unref (CanopyThin *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_mutex_clear (&self->report_lock);
  g_free (self->peer_id);
  g_free (self);
}

/* --- the filter --------------------------------------------------------------------------- */

/* The temporal layer of a VP8 packet (RFC 7741 payload descriptor) and whether the frame is a
 * switching point up to it (Y); FALSE when the packet carries no layer index. */
static gboolean
parse_layer (const guint8 *data,
             guint         size,
             guint        *tid,
             gboolean     *sync)
{
  guint i = 1;

  if (size < 2 || !(data[0] & 0x80))   /* X: no extension, no TID */
    return FALSE;
  if (!(data[1] & 0x20))               /* T */
    return FALSE;
  i = 2;
  if (data[1] & 0x80) {                /* I: picture id, 7 or 15 bits */
    if (i >= size)
      return FALSE;
    i += (data[i] & 0x80) ? 2 : 1;
  }
  if (data[1] & 0x40)                  /* L: TL0PICIDX */
    i++;
  if (i >= size)
    return FALSE;
  *tid = data[i] >> 6;
  *sync = (data[i] >> 5) & 1;
  return TRUE;
}

/* Whether to send the frame at @timestamp of layer @tid: decided at its first packet. */
static gboolean
decide (CanopyThin *self,
        guint32     timestamp,
        guint       tid,
        gboolean    sync)
{
  guint wanted = atomic_load_explicit (&self->wanted, memory_order_relaxed);
  Frame *frame;
  gboolean send;

  for (guint i = 0; i < FRAMES; i++)
    if (self->frames[i].used && self->frames[i].timestamp == timestamp)
      return self->frames[i].send;

  /* Down at once (nothing above depends on what is left out); up only at a frame that
   * depends on the base layer alone, so the child can decode from it on. The base layer
   * (and every keyframe, which the encoder puts there) always goes. */
  if (wanted < self->sending)
    self->sending = wanted;
  if (tid >= self->sending && tid < wanted && tid == self->sending && sync)
    self->sending = tid + 1;
  send = tid < self->sending;

  frame = &self->frames[self->next_frame];
  self->next_frame = (self->next_frame + 1) % FRAMES;
  *frame = (Frame) { TRUE, timestamp, send };
  return send;
}

/* Only the header of @original, with one byte of padding, or (for a child whose packets are
 * wrapped in RED, which refuses an empty block) one zero byte of payload: the child sees the
 * sequence number and nothing to decode (VP8's depayloader drops a one-byte payload between
 * two frames; one of FEC, 1 byte, is not valid FEC and is left alone). */
static GstBuffer *
make_stand_in (CanopyThin   *self,
               GstRTPBuffer *original)
{
  gboolean red = atomic_load_explicit (&self->red, memory_order_relaxed);
  GstBuffer *stand_in = gst_rtp_buffer_new_allocate (red ? 1 : 0, red ? 0 : 1, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (stand_in, GST_MAP_WRITE, &rtp);
  if (red)
    *(guint8 *) gst_rtp_buffer_get_payload (&rtp) = 0;
  gst_rtp_buffer_set_ssrc (&rtp, gst_rtp_buffer_get_ssrc (original));
  gst_rtp_buffer_set_seq (&rtp, gst_rtp_buffer_get_seq (original));
  gst_rtp_buffer_set_timestamp (&rtp, gst_rtp_buffer_get_timestamp (original));
  gst_rtp_buffer_set_payload_type (&rtp, gst_rtp_buffer_get_payload_type (original));
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_copy_into (stand_in, original->buffer, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  return stand_in;
}

/* Returns @buffer itself or its stand-in, with a reference of its own. */
static GstBuffer *
filter (CanopyThin *self,
        GstBuffer  *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *out = NULL;
  guint tid = 0;
  gboolean sync = FALSE;
  guint payload_len;

  if (self->media_pt < 0 || !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return gst_buffer_ref (buffer);
  if (gst_rtp_buffer_get_payload_type (&rtp) != self->media_pt) {
    /* The host's FEC: only to a child that asked for it, and only while it gets every layer
     * (FEC over packets it does not get would rebuild one from a stand-in). */
    if (!atomic_load_explicit (&self->fec, memory_order_relaxed) ||
        self->sending < atomic_load_explicit (&self->layers, memory_order_relaxed))
      out = make_stand_in (self, &rtp);
    gst_rtp_buffer_unmap (&rtp);
    return out != NULL ? out : gst_buffer_ref (buffer);
  }
  if (!self->is_vp8) {
    gst_rtp_buffer_unmap (&rtp);
    return gst_buffer_ref (buffer);
  }
  if (!atomic_load_explicit (&self->have_ssrc, memory_order_relaxed)) {
    atomic_store (&self->video_ssrc, gst_rtp_buffer_get_ssrc (&rtp));
    atomic_store (&self->have_ssrc, TRUE);
  }
  payload_len = gst_rtp_buffer_get_payload_len (&rtp);
  if (parse_layer (gst_rtp_buffer_get_payload (&rtp), payload_len, &tid, &sync)) {
    guint seen = atomic_load_explicit (&self->layers, memory_order_relaxed);

    tid = MIN (tid, CANOPY_LAYERS_MAX - 1);
    if (tid + 1 > seen)
      atomic_store (&self->layers, tid + 1);
    atomic_fetch_add_explicit (&self->layer_bytes[tid], gst_buffer_get_size (buffer),
                               memory_order_relaxed);
    if (!decide (self, gst_rtp_buffer_get_timestamp (&rtp), tid, sync))
      out = make_stand_in (self, &rtp);
  }
  gst_rtp_buffer_unmap (&rtp);
  if (out == NULL)
    out = gst_buffer_ref (buffer);
  return out;
}

static void
check_caps (CanopyThin *self,
            GstEvent   *event)
{
  const GstStructure *s;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return;
  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  self->is_vp8 = s != NULL &&
                 g_strcmp0 (gst_structure_get_string (s, "encoding-name"), "VP8") == 0;
  if (s == NULL || !gst_structure_get_int (s, "payload", &self->media_pt))
    self->media_pt = -1;
}

static GstPadProbeReturn
on_branch_data (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         user_data)
{
  CanopyThin *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    check_caps (self, GST_PAD_PROBE_INFO_EVENT (info));
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *in = GST_PAD_PROBE_INFO_BUFFER (info);

    GST_PAD_PROBE_INFO_DATA (info) = filter (self, in);
    gst_buffer_unref (in);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    /* The list is the tee's, shared with every other branch: a new one for this child. */
    GstBufferList *in = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint n = gst_buffer_list_length (in);
    GstBufferList *out = gst_buffer_list_new_sized (n);

    for (guint i = 0; i < n; i++)
      gst_buffer_list_add (out, filter (self, gst_buffer_list_get (in, i)));
    GST_PAD_PROBE_INFO_DATA (info) = out;
    gst_buffer_list_unref (in);
  }
  return GST_PAD_PROBE_OK;
}

/**
 * canopy_thin_set_red:
 * @self: a filter
 * @red: whether the child's edge wraps its video in RED (its answer took RED)
 *
 * Any thread.
 */
void
canopy_thin_set_red (CanopyThin *self,
                     gboolean    red)
{
  atomic_store (&self->red, red);
}

/**
 * canopy_thin_set_fec:
 * @self: a filter
 * @fec: whether the child gets the host's FEC packets (otherwise stand-ins for them)
 *
 * Any thread.
 */
void
canopy_thin_set_fec (CanopyThin *self,
                     gboolean    fec)
{
  atomic_store (&self->fec, fec);
}

/**
 * canopy_thin_attach:
 * @self: a filter
 * @pad: the pad of the child's video branch everything passes (its queue's sink)
 */
void
canopy_thin_attach (CanopyThin *self,
                    GstPad     *pad)
{
  gst_pad_add_probe (pad,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                       GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     on_branch_data, canopy_thin_ref (self), (GDestroyNotify) canopy_thin_unref);
}

/* --- the pacer ---------------------------------------------------------------------------- */

/* Holds the queue's thread until @bytes may go at the pace. */
static void
pace (CanopyThin *self,
      gsize       bytes)
{
  guint kbps = atomic_load_explicit (&self->pace_kbps, memory_order_relaxed);
  gint64 now;

  if (kbps == 0) {
    self->next_send_us = 0;
    return;
  }
  now = g_get_monotonic_time ();
  if (self->next_send_us < now - PACE_BURST_US)
    self->next_send_us = now - PACE_BURST_US;
  if (self->next_send_us > now)
    g_usleep (self->next_send_us - now);
  self->next_send_us += (gint64) bytes * 8 * 1000 / kbps;
}

static gboolean
push_one (GstBuffer **buffer,
          guint       idx,
          gpointer    user_data)
{
  /* Through the probe again, one at a time, each at its pace. */
  gst_pad_push (user_data, gst_buffer_ref (*buffer));
  return TRUE;
}

static GstPadProbeReturn
on_branch_output (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  CanopyThin *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    gsize size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));

    pace (self, size);
    atomic_fetch_add_explicit (&self->sent_bytes, size, memory_order_relaxed);
    return GST_PAD_PROBE_OK;
  }
  if (atomic_load_explicit (&self->pace_kbps, memory_order_relaxed) == 0) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      atomic_fetch_add_explicit (&self->sent_bytes, gst_buffer_get_size (gst_buffer_list_get (list, i)),
                                 memory_order_relaxed);
    return GST_PAD_PROBE_OK;
  }
  /* A frame as one list (the host's payloader) would go in one burst: split it. */
  gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), push_one, pad);
  return GST_PAD_PROBE_DROP;
}

/**
 * canopy_thin_attach_pacer:
 * @self: a filter
 * @pad: the pad the child's video leaves its branch queue by (its src)
 *
 * Once the child is thinned, its video leaves at about the rate its link carries, so that a
 * keyframe (several frames' worth at once) waits in our queue instead of overflowing the
 * bottleneck's, where it would be lost and asked for again, and again.
 */
void
canopy_thin_attach_pacer (CanopyThin *self,
                          GstPad     *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_branch_output, canopy_thin_ref (self), (GDestroyNotify) canopy_thin_unref);
}

/* --- the child's reports ------------------------------------------------------------------ */

/* The middle 32 bits of the NTP time now, as rtpsession stamps its sender reports (the wall
 * clock, its default NTP source) and as the receiver echoes them back (LSR). */
static guint32
ntp_short_now (void)
{
  gint64 us = g_get_real_time () + NTP_UNIX_OFFSET_S * G_USEC_PER_SEC;
  guint64 seconds = us / G_USEC_PER_SEC;
  guint64 fraction = ((guint64) (us % G_USEC_PER_SEC) << 16) / G_USEC_PER_SEC;

  return (guint32) (((seconds & 0xffff) << 16) | fraction);
}

/* On the RTCP thread, before rtpsession reads the packet. The child's receiver reports about
 * our video: its round trip (from our last sender report it echoes), cumulative loss and the
 * highest sequence number it got. */
static void
on_receiving_rtcp (GObject   *session,
                   GstBuffer *buffer,
                   gpointer   user_data)
{
  CanopyThin *self = user_data;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint32 video_ssrc;
  guint32 now = ntp_short_now ();

  if (!atomic_load (&self->have_ssrc) || !gst_rtcp_buffer_validate_reduced (buffer) ||
      !gst_rtcp_buffer_map (buffer, GST_MAP_READ, &rtcp))
    return;
  video_ssrc = atomic_load (&self->video_ssrc);
  for (gboolean more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type (&packet);

    if (type != GST_RTCP_TYPE_RR && type != GST_RTCP_TYPE_SR)
      continue;
    for (guint i = 0; i < gst_rtcp_packet_get_rb_count (&packet); i++) {
      guint32 ssrc, highest, jitter, lsr, dlsr;
      guint8 fraction;
      gint32 lost;

      gst_rtcp_packet_get_rb (&packet, i, &ssrc, &fraction, &lost, &highest, &jitter, &lsr,
                              &dlsr);
      if (ssrc != video_ssrc)
        continue;
      g_mutex_lock (&self->report_lock);
      if (lsr != 0) {
        double rtt_ms = (guint32) (now - lsr - dlsr) * 1000.0 / 65536;

        if (rtt_ms < 10000 && (self->window_rtt_ms < 0 || rtt_ms < self->window_rtt_ms))
          self->window_rtt_ms = rtt_ms;
      }
      self->have_rb = TRUE;
      self->lost = lost;
      self->highest = highest;
      g_mutex_unlock (&self->report_lock);
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
}

static void
release_closure_data (gpointer  data,
                      GClosure *closure)
{
  canopy_thin_unref (data);
}

/**
 * canopy_thin_watch_session:
 * @self: a filter
 * @rtpsession: the `rtpsession` of the child edge's webrtcbin, just made
 *
 * Reads the child's receiver reports as they come.
 */
void
canopy_thin_watch_session (CanopyThin *self,
                           GstElement *rtpsession)
{
  g_autoptr (GObject) session = NULL;

  g_object_get (rtpsession, "internal-session", &session, NULL);

  g_return_if_fail (session != NULL);
  g_signal_connect_data (session, "on-receiving-rtcp", G_CALLBACK (on_receiving_rtcp),
                         canopy_thin_ref (self), release_closure_data, 0);
}

/* --- the judge ---------------------------------------------------------------------------- */

static guint64
take_delta (atomic_uint_fast64_t *counter,
            guint64              *seen)
{
  guint64 now = atomic_load_explicit (counter, memory_order_relaxed);
  guint64 delta = now - *seen;

  *seen = now;
  return delta;
}

/**
 * canopy_thin_judge:
 * @self: a filter
 *
 * Every %CANOPY_LAYERS_WINDOW_MS on the main context: judges the window's reports and sets how
 * many layers the child gets.
 *
 * Returns: that number
 */
guint
canopy_thin_judge (CanopyThin *self)
{
  gint64 now = g_get_monotonic_time ();
  double seconds = MAX ((now - self->judged_at) / (double) G_USEC_PER_SEC, 0.001);
  CanopyLayersReport report = { -1, -1, 0, { 0 } };
  guint before = self->judge.level;
  guint level;

  self->judged_at = now;
  for (guint i = 0; i < CANOPY_LAYERS_MAX; i++) {
    double kbps = take_delta (&self->layer_bytes[i], &self->judged_layer_bytes[i]) * 8 / 1000.0 /
                  seconds;

    /* Smoothed over a few seconds: keyframes come in bursts. */
    self->layer_kbps[i] = 0.8 * self->layer_kbps[i] + 0.2 * kbps;
    report.layer_kbps[i] = self->layer_kbps[i];
  }
  report.sent_kbps = take_delta (&self->sent_bytes, &self->judged_sent_bytes) * 8 / 1000.0 /
                     seconds;

  g_mutex_lock (&self->report_lock);
  report.rtt_ms = self->window_rtt_ms;
  self->window_rtt_ms = -1;
  if (self->have_rb) {
    gint32 expected = (gint32) (self->highest - self->judged_highest);

    if (self->judged_rb && expected > 0)
      report.loss = CLAMP ((self->lost - self->judged_lost) / (double) expected, 0, 1);
    self->judged_rb = TRUE;
    self->judged_lost = self->lost;
    self->judged_highest = self->highest;
  }
  g_mutex_unlock (&self->report_lock);

  /* A stream without layers (H.264, or a host that makes none) has nothing to thin. */
  if (atomic_load (&self->layers) < 2)
    return CANOPY_LAYERS_MAX;
  if (self->fixed != 0)
    return self->fixed;
  level = canopy_layers_judge (&self->judge, now / 1000, &report);
  g_debug ("%s: round trip %.1f ms (least %.1f), loss %.3f, sent %.0f kbit/s, layers %.0f %.0f "
           "%.0f kbit/s: %u, pace %u kbit/s", self->peer_id, report.rtt_ms,
           self->judge.base_rtt_ms, report.loss, report.sent_kbps, report.layer_kbps[0],
           report.layer_kbps[1], report.layer_kbps[2], level, atomic_load (&self->pace_kbps));
  atomic_store (&self->pace_kbps, (guint) self->judge.pace_kbps);
  if (level != before) {
    g_message ("Sending %s %u of %u temporal layers (round trip %.0f ms above its least "
               "%.0f ms, %.0f %% lost, %.0f kbit/s sent)", self->peer_id, level,
               CANOPY_LAYERS_MAX, self->judge.rise_ms, self->judge.base_rtt_ms,
               self->judge.loss * 100, report.sent_kbps);
    atomic_store (&self->wanted, level);
  }
  return level;
}

/**
 * canopy_thin_get_level:
 * @self: a filter
 *
 * Returns: how many temporal layers the child is to get
 */
guint
canopy_thin_get_level (CanopyThin *self)
{
  return atomic_load (&self->wanted);
}

/**
 * canopy_thin_get_layers:
 * @self: a filter
 *
 * Returns: how many temporal layers the stream has (0 before any, or when it has none)
 */
guint
canopy_thin_get_layers (CanopyThin *self)
{
  return atomic_load (&self->layers);
}
