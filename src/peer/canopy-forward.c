/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyForward"

#include "canopy-forward.h"

#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <stdatomic.h>
#include <string.h>

#include "canopy-webrtc.h"

/* Sequence numbers remembered per stream to drop repeats (a retransmission of a packet that
 * was only late, the same packet asked for twice): about 10 s of 1 Mbit/s video. */
#define SEEN_WINDOW 1024

struct _CanopyForward {
  gint ref_count;
  GstElement *src[2];
  GstElement *tee[2];
  /* The sink of the tee the parent's ordered video feeds: children's keyframe requests go up
   * from there, through the probe that coalesces them, into the parent's webrtcbin. */
  GstPad *ordered_video_sink;
  /* The payload type of each kind, from the parent webrtcbin's src pad caps; -1 before. The
   * parent offers, so these are the ones every packet carries (RTX is undone before the tap). */
  atomic_int pt[2];
};

/* One per jitterbuffer, so per SSRC; only that jitterbuffer's sink thread touches it. */
typedef struct {
  CanopyForward *forward;
  gboolean started;
  guint16 top;                       /* the highest sequence number seen */
  guint64 seen[SEEN_WINDOW / 64];    /* bit (seq % SEEN_WINDOW): seen, within the window */
} Tap;

static void
tap_free (Tap *tap)
{
  canopy_forward_unref (tap->forward);
  g_free (tap);
}

static void
clear_bit (Tap    *tap,
           guint16 seq)
{
  guint bit = seq % SEEN_WINDOW;

  tap->seen[bit / 64] &= ~(G_GUINT64_CONSTANT (1) << (bit % 64));
}

/* Marks @seq seen; returns whether it already was. */
static gboolean
test_and_set (Tap    *tap,
              guint16 seq)
{
  guint bit = seq % SEEN_WINDOW;
  gboolean was = (tap->seen[bit / 64] >> (bit % 64)) & 1;

  tap->seen[bit / 64] |= G_GUINT64_CONSTANT (1) << (bit % 64);
  return was;
}

/* Whether @seq is new for this stream: the window slides with the highest number seen, and a
 * packet older than the window is not passed on (every child has given it up long ago). */
static gboolean
tap_is_new (Tap    *tap,
            guint16 seq)
{
  gint16 ahead = (gint16) (guint16) (seq - tap->top);

  if (!tap->started || ahead >= SEEN_WINDOW) {
    tap->started = TRUE;
    memset (tap->seen, 0, sizeof tap->seen);
    tap->top = seq;
  } else if (ahead > 0) {
    /* The numbers skipped on the way are not seen yet: they may still come, repaired. */
    for (guint16 s = tap->top + 1;; s++) {
      clear_bit (tap, s);
      if (s == seq)
        break;
    }
    tap->top = seq;
  } else if (-ahead >= SEEN_WINDOW) {
    return FALSE;
  }
  return !test_and_set (tap, seq);
}

static void
tap_buffer (Tap       *tap,
            GstBuffer *buffer)
{
  CanopyForward *self = tap->forward;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *copy;
  guint8 pt;
  guint16 seq;
  guint kind;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  if (pt == atomic_load_explicit (&self->pt[CANOPY_FORWARD_VIDEO], memory_order_relaxed))
    kind = CANOPY_FORWARD_VIDEO;
  else if (pt == CANOPY_ULPFEC_PT &&
           atomic_load_explicit (&self->pt[CANOPY_FORWARD_VIDEO], memory_order_relaxed) >= 0)
    kind = CANOPY_FORWARD_VIDEO;  /* the host's FEC, in the video's sequence numbers */
  else if (pt == atomic_load_explicit (&self->pt[CANOPY_FORWARD_AUDIO], memory_order_relaxed))
    kind = CANOPY_FORWARD_AUDIO;
  else
    return;  /* not negotiated yet, or nothing we forward */
  if (!tap_is_new (tap, seq))
    return;

  /* A new buffer around the same memory: the jitterbuffer keeps its own. Stamped with its
   * arrival, which is what the branch queues measure their length in. */
  copy = gst_buffer_copy (buffer);
  GST_BUFFER_FLAG_UNSET (copy, GST_RTP_BUFFER_FLAG_RETRANSMISSION);
  if (GST_BUFFER_DTS_IS_VALID (copy))
    GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy);
  else
    GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (self->src[kind]), copy);
}

static void
tap_one (GstBuffer *buffer,
         gpointer   user_data)
{
  tap_buffer (user_data, buffer);
}

static GstPadProbeReturn
on_jitterbuffer_input (GstPad          *pad,
                       GstPadProbeInfo *info,
                       gpointer         user_data)
{
  canopy_webrtc_probe_buffers (info, tap_one, user_data);
  return GST_PAD_PROBE_OK;
}

/* A child's keyframe request reached our appsrc, where nothing would take it further. */
static GstPadProbeReturn
on_upstream_event (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         user_data)
{
  CanopyForward *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (!canopy_webrtc_is_keyframe_request (event))
    return GST_PAD_PROBE_OK;
  gst_pad_push_event (self->ordered_video_sink, gst_event_ref (event));
  return GST_PAD_PROBE_DROP;
}

static void
make_branch (CanopyForward     *self,
             GstBin            *pipeline,
             CanopyForwardKind  kind)
{
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstElement *tee = gst_element_factory_make ("tee", NULL);

  /* Live, and never in the way: what a stalled branch cannot take is dropped, oldest first,
   * as in the branch queues behind the tee. */
  g_object_set (src,
                "is-live", TRUE,
                "format", GST_FORMAT_TIME,
                "do-timestamp", TRUE,
                "max-bytes", (guint64) 0,
                "max-buffers", (guint64) 0,
                "max-time", (guint64) 300 * GST_MSECOND,
                "leaky-type", GST_APP_LEAKY_TYPE_DOWNSTREAM,
                NULL);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add_many (pipeline, src, tee, NULL);
  gst_element_link (src, tee);
  self->src[kind] = gst_object_ref (src);
  self->tee[kind] = gst_object_ref (tee);
  gst_element_sync_state_with_parent (tee);
  gst_element_sync_state_with_parent (src);
}

/* --- the sending side: retransmissions in any order --- */

/* rtprtxsend keeps what it sent in a GSequence it appends to and then binary-searches by
 * sequence number: a packet that comes after later ones (a repair, forwarded as soon as it
 * arrived) breaks the order, and from then on requests for it, and for its neighbours, find
 * nothing ("has not been transmitted yet"). Sending the packet again as it was is no way
 * out: SRTP refuses to protect one index twice (error 9, replay_fail). So each edge answers
 * its child's requests here, from a history indexed by sequence number, with RTX packets
 * (RFC 4588) of its own. The RTX SSRC is the one webrtcbin negotiated, which rtprtxsend does
 * not let anyone read: the first requests go to rtprtxsend, and once it has sent one RTX
 * packet for a stream, its SSRC and sequence number are known and this takes over for good
 * (rtprtxsend then never sends again, so the RTX sequence numbers do not collide). */
#define HISTORY 512        /* packets per stream: ~5 s of 1 Mbit/s video */
#define STREAMS 4          /* a room sends two, video and audio */
/* srtpenc refuses a packet further behind the newest it protected than its replay window
 * (128), and its refusal is GST_FLOW_ERROR, which stops the child's branch and, through the
 * tee, every branch. A repair that late is dropped before it gets there. */
#define LATEST_BEHIND 100
/* rtprtxsend may still have an RTX packet or two queued when the first one tells us its
 * sequence number: ours start this far beyond, so that none is used twice. */
#define RTX_SEQ_MARGIN 16
/* A child may have at most half as many packets resent as it is sent (a share no honest
 * link needs: 5 % loss asked for ~15 % at depth 3), saved up for at most this many: a NACK
 * costs the child a few bytes and the relay a whole packet of upload. */
#define RTX_CREDIT_MAX 256

typedef struct {
  gboolean used;
  guint32 ssrc;
  guint8 pt;
  guint16 top;                          /* the newest sequence number passed on */
  guint rtx_credit;                     /* in half packets: one per packet sent, two per RTX */
  gboolean rtx_known;
  guint32 rtx_ssrc;
  guint8 rtx_pt;
  gint red_rtx_pt;                      /* RTX of RED (for the host's FEC packets); -1 none */
  guint16 rtx_seq;
  struct {
    guint16 seq;
    GstBuffer *buffer;
  } sent[HISTORY];
} Stream;

/* The repairs of every child edge in the process, for its stats: resent, and refused because the
 * child had no credit left. */
static atomic_uint_least64_t rtx_sent, rtx_refused;

typedef struct {
  GMutex lock;
  GstElement *rtxsend;                  /* not a reference: the probes die with its pads */
  GstPad *src;
  Stream streams[STREAMS];
} Sender;

static void
sender_clear (gpointer data)
{
  Sender *sender = data;

  for (guint i = 0; i < STREAMS; i++)
    for (guint j = 0; j < HISTORY; j++)
      gst_clear_buffer (&sender->streams[i].sent[j].buffer);
  g_mutex_clear (&sender->lock);
}

static void
sender_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, sender_clear);
}

/* Under the lock. With @first_seq >= 0, a stream not known yet is added, starting there. */
static Stream *
sender_stream (Sender  *sender,
               guint32  ssrc,
               gint     first_seq)
{
  Stream *free_slot = NULL;

  for (guint i = 0; i < STREAMS; i++) {
    Stream *stream = &sender->streams[i];

    if (stream->used && stream->ssrc == ssrc)
      return stream;
    if (!stream->used && free_slot == NULL)
      free_slot = stream;
  }
  if (free_slot == NULL || first_seq < 0)
    return NULL;
  free_slot->used = TRUE;
  free_slot->ssrc = ssrc;
  free_slot->top = first_seq;
  return free_slot;
}

static GstPadProbeReturn
on_rtx_sender_input (GstPad          *pad,
                     GstPadProbeInfo *info,
                     gpointer         user_data)
{
  Sender *sender = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  Stream *stream;
  guint32 ssrc;
  guint16 seq;
  guint8 pt;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  seq = gst_rtp_buffer_get_seq (&rtp);
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  g_mutex_lock (&sender->lock);
  stream = sender_stream (sender, ssrc, seq);
  if (stream != NULL) {
    gint16 ahead = (gint16) (guint16) (seq - stream->top);

    if (ahead < -LATEST_BEHIND) {
      g_mutex_unlock (&sender->lock);
      return GST_PAD_PROBE_DROP;
    }
    if (ahead > 0)
      stream->top = seq;
    /* The media's: FEC packets have no RTX payload type of their own (see make_rtx). */
    if (pt != CANOPY_ULPFEC_PT)
      stream->pt = pt;
    stream->rtx_credit = MIN (stream->rtx_credit + 1, RTX_CREDIT_MAX);
    stream->sent[seq % HISTORY].seq = seq;
    gst_buffer_replace (&stream->sent[seq % HISTORY].buffer, buffer);
  }
  g_mutex_unlock (&sender->lock);
  return GST_PAD_PROBE_OK;
}

/* rtprtxsend's RTX packets: the first one of a stream tells its RTX SSRC and sequence. */
static GstPadProbeReturn
on_rtx_sender_output (GstPad          *pad,
                      GstPadProbeInfo *info,
                      gpointer         user_data)
{
  Sender *sender = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstStructure) pts = NULL;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint32 rtx_ssrc;
  guint16 rtx_seq;
  guint8 rtx_pt;

  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_RTP_BUFFER_FLAG_RETRANSMISSION) ||
      !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  rtx_ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  rtx_seq = gst_rtp_buffer_get_seq (&rtp);
  rtx_pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  g_object_get (sender->rtxsend, "payload-type-map", &pts, NULL);
  if (pts == NULL)
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&sender->lock);
  for (guint i = 0; i < STREAMS; i++) {
    Stream *stream = &sender->streams[i];
    char key[4];
    guint value;

    /* The map goes from each payload type to its RTX payload type. */
    g_snprintf (key, sizeof key, "%u", stream->pt);
    if (stream->used && !stream->rtx_known && gst_structure_get_uint (pts, key, &value) &&
        value == rtx_pt) {
      stream->rtx_known = TRUE;
      stream->rtx_ssrc = rtx_ssrc;
      stream->rtx_pt = rtx_pt;
      stream->red_rtx_pt = gst_structure_get_uint (pts, G_STRINGIFY (CANOPY_RED_PT), &value) ?
                           (gint) value : -1;
      stream->rtx_seq = rtx_seq + RTX_SEQ_MARGIN;
      break;
    }
  }
  g_mutex_unlock (&sender->lock);
  return GST_PAD_PROBE_OK;
}

/* The RTX form of @original: its fixed header and extensions, then the original sequence
 * number and payload, under the RTX SSRC, payload type and a sequence number of its own. A
 * host's FEC packet goes as RED (RFC 2198: one primary block of payload type
 * CANOPY_ULPFEC_PT) under the RTX payload type of RED (@red_rtx_pt): RTX is negotiated only
 * for the video and for RED, and webrtcbin unwraps RED after RTX. */
static GstBuffer *
make_rtx (GstBuffer *original,
          guint32    rtx_ssrc,
          guint8     rtx_pt,
          gint       red_rtx_pt,
          guint16    rtx_seq)
{
  gboolean fec;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *rtx;
  GstMemory *header;
  GstMemory *payload;
  GstMapInfo map;

  if (!gst_rtp_buffer_map (original, GST_MAP_READ, &rtp))
    return NULL;
  fec = gst_rtp_buffer_get_payload_type (&rtp) == CANOPY_ULPFEC_PT;
  if (fec && red_rtx_pt < 0) {
    gst_rtp_buffer_unmap (&rtp);
    return NULL;
  }
  rtx = gst_buffer_new ();
  gst_rtp_buffer_get_payload (&rtp);  /* maps the payload too */
  header = gst_memory_copy (rtp.map[0].memory, 0, rtp.size[0]);
  /* The retransmission carries no padding: a thin link's stand-ins are padding only, and with
   * their P bit left on the last byte of the OSN would read as a padding length. */
  gst_memory_map (header, &map, GST_MAP_WRITE);
  map.data[0] &= ~0x20;
  gst_memory_unmap (header, &map);
  gst_buffer_append_memory (rtx, header);
  if (rtp.size[1] > 0) {
    gpointer extensions = g_memdup2 (rtp.data[1], rtp.size[1]);

    gst_buffer_append_memory (rtx, gst_memory_new_wrapped (0, extensions, rtp.size[1], 0,
                                                           rtp.size[1], extensions, g_free));
  }
  payload = gst_allocator_alloc (NULL, 2 + (fec ? 1 : 0) + rtp.size[2], NULL);
  gst_memory_map (payload, &map, GST_MAP_WRITE);
  GST_WRITE_UINT16_BE (map.data, gst_rtp_buffer_get_seq (&rtp));
  if (fec)
    map.data[2] = CANOPY_ULPFEC_PT;   /* F = 0: the primary, and only, block */
  if (rtp.size[2] > 0)
    memcpy (map.data + 2 + (fec ? 1 : 0), rtp.data[2], rtp.size[2]);
  gst_memory_unmap (payload, &map);
  gst_buffer_append_memory (rtx, payload);
  gst_rtp_buffer_unmap (&rtp);

  if (!gst_rtp_buffer_map (rtx, GST_MAP_WRITE, &rtp)) {
    gst_buffer_unref (rtx);
    return NULL;
  }
  gst_rtp_buffer_set_ssrc (&rtp, rtx_ssrc);
  gst_rtp_buffer_set_seq (&rtp, rtx_seq);
  gst_rtp_buffer_set_payload_type (&rtp, fec ? (guint8) red_rtx_pt : rtx_pt);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_copy_into (rtx, original, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GST_BUFFER_FLAG_SET (rtx, GST_RTP_BUFFER_FLAG_RETRANSMISSION);
  return rtx;
}

static GstPadProbeReturn
on_rtx_request (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         user_data)
{
  Sender *sender = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s;
  GstBuffer *rtx = NULL;
  guint seqnum, ssrc;
  Stream *stream;
  gboolean ours, held;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  s = gst_event_get_structure (event);
  if (!gst_structure_has_name (s, "GstRTPRetransmissionRequest") ||
      !gst_structure_get_uint (s, "seqnum", &seqnum) ||
      !gst_structure_get_uint (s, "ssrc", &ssrc))
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&sender->lock);
  stream = sender_stream (sender, ssrc, -1);
  ours = stream != NULL && stream->rtx_known;
  held = ours && stream->sent[seqnum % HISTORY].buffer != NULL &&
         stream->sent[seqnum % HISTORY].seq == seqnum;
  if (held && stream->rtx_credit >= 2) {
    rtx = make_rtx (stream->sent[seqnum % HISTORY].buffer, stream->rtx_ssrc, stream->rtx_pt,
                    stream->red_rtx_pt, stream->rtx_seq);
    if (rtx != NULL) {
      stream->rtx_seq++;
      stream->rtx_credit -= 2;
    }
  }
  g_mutex_unlock (&sender->lock);
  if (!ours)
    return GST_PAD_PROBE_OK;
  if (rtx != NULL)
    atomic_fetch_add_explicit (&rtx_sent, 1, memory_order_relaxed);
  else if (held)
    atomic_fetch_add_explicit (&rtx_refused, 1, memory_order_relaxed);
  /* From the RTCP thread, as rtprtxsend's own task pushes its RTX packets. Not sent yet,
   * forgotten, or over the child's budget: nothing to send. */
  if (rtx != NULL)
    gst_pad_push (sender->src, rtx);
  return GST_PAD_PROBE_DROP;
}

/**
 * canopy_forward_watch_rtx_sender:
 * @rtxsend: an `rtprtxsend` inside a webrtcbin, just made
 *
 * Answers the retransmission requests that reach @rtxsend in its place, see above.
 */
void
canopy_forward_watch_rtx_sender (GstElement *rtxsend)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (rtxsend, "sink");
  g_autoptr (GstPad) src = gst_element_get_static_pad (rtxsend, "src");
  Sender *sender;

  g_return_if_fail (sink != NULL && src != NULL);
  sender = g_atomic_rc_box_new0 (Sender);
  g_mutex_init (&sender->lock);
  sender->rtxsend = rtxsend;
  sender->src = src;
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, on_rtx_sender_input,
                     g_atomic_rc_box_acquire (sender), sender_release);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_rtx_sender_output,
                     g_atomic_rc_box_acquire (sender), sender_release);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_rtx_request,
                     g_atomic_rc_box_acquire (sender), sender_release);
  sender_release (sender);
}

/**
 * canopy_forward_new:
 * @pipeline: a viewer's pipeline
 * @ordered_video_tee: the tee the parent's (jitterbuffered) video feeds
 *
 * Returns: (transfer full): the forwarder, its elements in @pipeline
 */
CanopyForward *
canopy_forward_new (GstBin     *pipeline,
                    GstElement *ordered_video_tee)
{
  CanopyForward *self = g_new0 (CanopyForward, 1);
  g_autoptr (GstPad) video_src = NULL;

  self->ref_count = 1;
  atomic_init (&self->pt[CANOPY_FORWARD_VIDEO], -1);
  atomic_init (&self->pt[CANOPY_FORWARD_AUDIO], -1);
  self->ordered_video_sink = gst_element_get_static_pad (ordered_video_tee, "sink");
  make_branch (self, pipeline, CANOPY_FORWARD_VIDEO);
  make_branch (self, pipeline, CANOPY_FORWARD_AUDIO);
  video_src = gst_element_get_static_pad (self->src[CANOPY_FORWARD_VIDEO], "src");
  gst_pad_add_probe (video_src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event,
                     canopy_forward_ref (self), (GDestroyNotify) canopy_forward_unref);
  return self;
}

CanopyForward *
canopy_forward_ref (CanopyForward *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

/* The probe on the video appsrc holds a reference: the owner's last unref is not the last.
 * The elements are freed with the pipeline, and their probes with them. */
void
canopy_forward_unref (CanopyForward *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  for (guint i = 0; i < 2; i++) {
    gst_clear_object (&self->src[i]);
    gst_clear_object (&self->tee[i]);
  }
  gst_clear_object (&self->ordered_video_sink);
  g_free (self);
}

/**
 * canopy_forward_get_tee:
 * @self: a forwarder
 * @kind: video or audio
 *
 * Returns: (transfer none): the tee the edges to children take @kind from
 */
GstElement *
canopy_forward_get_tee (CanopyForward     *self,
                        CanopyForwardKind  kind)
{
  return self->tee[kind];
}

/**
 * canopy_forward_tap:
 * @self: a forwarder
 * @jitterbuffer: a jitterbuffer of the edge to the parent, just made (one per stream)
 *
 * Passes on every packet that reaches @jitterbuffer as it arrives (repeats dropped), once the
 * kind's caps are known. Any thread.
 */
void
canopy_forward_tap (CanopyForward *self,
                    GstElement    *jitterbuffer)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (jitterbuffer, "sink");
  Tap *tap = g_new0 (Tap, 1);

  tap->forward = canopy_forward_ref (self);
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_jitterbuffer_input, tap, (GDestroyNotify) tap_free);
}

/**
 * canopy_forward_set_caps:
 * @self: a forwarder
 * @kind: video or audio
 * @caps: the caps of the parent webrtcbin's src pad for @kind
 *
 * From now on @kind's packets (by the payload type in @caps) go to the children, with
 * @caps; any thread.
 */
void
canopy_forward_set_caps (CanopyForward     *self,
                         CanopyForwardKind  kind,
                         GstCaps           *caps)
{
  int pt = -1;

  if (gst_caps_get_size (caps) > 0 &&
      !gst_structure_get_int (gst_caps_get_structure (caps, 0), "payload", &pt))
    pt = -1;
  gst_app_src_set_caps (GST_APP_SRC (self->src[kind]), caps);
  atomic_store_explicit (&self->pt[kind], pt, memory_order_relaxed);
}

/**
 * canopy_forward_get_rtx_counts:
 * @sent: (out): the packets resent to children
 * @refused: (out): the requests refused because the child had asked for too many
 *
 * Counts the repairs of every child edge of this process since it started (any thread).
 */
void
canopy_forward_get_rtx_counts (guint64 *sent,
                               guint64 *refused)
{
  *sent = atomic_load (&rtx_sent);
  *refused = atomic_load (&rtx_refused);
}
