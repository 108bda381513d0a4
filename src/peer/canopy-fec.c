/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFec"

#include "canopy-fec.h"

#include <gst/rtp/rtp.h>
#include <stdatomic.h>
#include <string.h>

/*
 * The host's ULPFEC encoder (RFC 5109, level 0 only): after every block of consecutive video
 * packets, one FEC packet that is the XOR of them all, in the same SSRC and sequence numbers
 * (every packet after it is numbered one further on). Any one packet lost from a block is
 * rebuilt from the rest and the FEC packet; webrtcbin's rtpulpfecdec does that on every viewer.
 *
 * Not GStreamer's rtpulpfecenc: with "multipacket" it protects each frame's packets on their
 * own and only in some frames (a 20 % share over one-packet frames made one FEC packet every
 * fifth frame, for that frame's single packet: of 150 packets lost in 30 s at 5 % loss, 11 were
 * rebuilt); without it, one packet in each. Blocks across frames cost the same and cover
 * every packet.
 */

/* The 12 bytes of an RTP header without CSRCs; RFC 5109's FEC header; its level 0 header with
 * a short (16-bit) or long (48-bit) mask. */
#define RTP_HEADER 12
#define FEC_HEADER 10
#define LEVEL_HEADER_SHORT 4
#define LEVEL_HEADER_LONG 8

struct _CanopyFecEncoder {
  GstElement parent_instance;

  GstPad *sinkpad;
  GstPad *srcpad;
  guint8 pt;
  atomic_uint percentage;

  /* The streaming thread's. */
  guint16 offset;               /* FEC packets sent: added to each media sequence number */
  gboolean have_ssrc;
  guint32 ssrc;
  GstBuffer *block[CANOPY_FEC_BLOCK_MAX];
  guint n;
};

G_DEFINE_FINAL_TYPE (CanopyFecEncoder, canopy_fec_encoder, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS ("application/x-rtp"));

/**
 * canopy_fec_block_size:
 * @percentage: FEC packets per 100 media packets
 *
 * Returns: the media packets each FEC packet covers (0: none)
 */
guint
canopy_fec_block_size (guint percentage)
{
  if (percentage == 0)
    return 0;
  return CLAMP ((100 + percentage / 2) / percentage, 2, CANOPY_FEC_BLOCK_MAX);
}

/**
 * canopy_fec_protect:
 * @packets: (array length=n): RTP packets of one SSRC, consecutive sequence numbers first to last
 * @n: how many, 1 to %CANOPY_FEC_BLOCK_MAX
 * @pt: the FEC packets' payload type
 * @seq: the FEC packet's own sequence number
 *
 * Returns: (transfer full): the ULPFEC packet that rebuilds any one of @packets from the others,
 *   with the SSRC of the first and the RTP timestamp and buffer times of the last
 */
GstBuffer *
canopy_fec_protect (GstBuffer *const *packets,
                    guint             n,
                    guint8            pt,
                    guint16           seq)
{
  guint8 bits0 = 0, bits1 = 0;
  guint32 ts_recovery = 0;
  guint16 length_recovery = 0;
  gsize protection = 0;
  guint16 base = 0;
  guint32 ssrc = 0;
  guint32 timestamp = 0;
  guint64 mask = 0;
  gboolean long_mask = n > 16;
  gsize headers = FEC_HEADER + (long_mask ? LEVEL_HEADER_LONG : LEVEL_HEADER_SHORT);
  g_autofree guint8 *payload = NULL;
  GstBuffer *fec;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_return_val_if_fail (n >= 1 && n <= CANOPY_FEC_BLOCK_MAX, NULL);

  for (guint i = 0; i < n; i++)
    protection = MAX (protection, gst_buffer_get_size (packets[i]) - RTP_HEADER);
  payload = g_malloc0 (headers + protection);
  for (guint i = 0; i < n; i++) {
    GstMapInfo map;
    guint16 packet_seq;

    if (!gst_buffer_map (packets[i], &map, GST_MAP_READ))
      g_return_val_if_reached (NULL);
    g_assert (map.size >= RTP_HEADER);
    packet_seq = GST_READ_UINT16_BE (map.data + 2);
    if (i == 0) {
      base = packet_seq;
      ssrc = GST_READ_UINT32_BE (map.data + 8);
    }
    timestamp = GST_READ_UINT32_BE (map.data + 4);
    bits0 ^= map.data[0];
    bits1 ^= map.data[1];
    ts_recovery ^= timestamp;
    length_recovery ^= (guint16) (map.size - RTP_HEADER);
    mask |= G_GUINT64_CONSTANT (1) << (47 - (guint16) (packet_seq - base));
    for (gsize j = RTP_HEADER; j < map.size; j++)
      payload[headers + j - RTP_HEADER] ^= map.data[j];
    gst_buffer_unmap (packets[i], &map);
  }

  /* E = 0, L, then the P, X and CC of the packets' first byte; M and PT. */
  payload[0] = (long_mask ? 0x40 : 0) | (bits0 & 0x3f);
  payload[1] = bits1;
  GST_WRITE_UINT16_BE (payload + 2, base);
  GST_WRITE_UINT32_BE (payload + 4, ts_recovery);
  GST_WRITE_UINT16_BE (payload + 8, length_recovery);
  GST_WRITE_UINT16_BE (payload + FEC_HEADER, (guint16) protection);
  if (long_mask) {
    GST_WRITE_UINT16_BE (payload + FEC_HEADER + 2, (guint16) (mask >> 32));
    GST_WRITE_UINT32_BE (payload + FEC_HEADER + 4, (guint32) mask);
  } else {
    GST_WRITE_UINT16_BE (payload + FEC_HEADER + 2, (guint16) (mask >> 32));
  }

  fec = gst_rtp_buffer_new_allocate ((guint) (headers + protection), 0, 0);
  gst_rtp_buffer_map (fec, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, pt);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, timestamp);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  memcpy (gst_rtp_buffer_get_payload (&rtp), payload, headers + protection);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_copy_into (fec, packets[n - 1], GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  return fec;
}

static void
clear_block (CanopyFecEncoder *self)
{
  for (guint i = 0; i < self->n; i++)
    gst_buffer_unref (self->block[i]);
  self->n = 0;
}

static GstFlowReturn
on_chain (GstPad    *pad,
          GstObject *parent,
          GstBuffer *buffer)
{
  CanopyFecEncoder *self = CANOPY_FEC_ENCODER (parent);
  guint size = canopy_fec_block_size (atomic_load (&self->percentage));
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstFlowReturn ret;
  guint32 ssrc;
  guint16 seq;

  if (size == 0 && self->offset == 0) {
    clear_block (self);
    return gst_pad_push (self->srcpad, buffer);
  }
  buffer = gst_buffer_make_writable (buffer);
  if (!gst_rtp_buffer_map (buffer, GST_MAP_READWRITE, &rtp))
    return gst_pad_push (self->srcpad, buffer);
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  seq = gst_rtp_buffer_get_seq (&rtp) + self->offset;
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_unmap (&rtp);
  if (!self->have_ssrc || ssrc != self->ssrc || size == 0 || size < self->n)
    clear_block (self);
  self->have_ssrc = TRUE;
  self->ssrc = ssrc;
  if (size == 0)
    return gst_pad_push (self->srcpad, buffer);

  self->block[self->n++] = gst_buffer_ref (buffer);
  ret = gst_pad_push (self->srcpad, buffer);
  if (self->n >= size) {
    GstBuffer *fec = canopy_fec_protect (self->block, self->n, self->pt, seq + 1);

    clear_block (self);
    self->offset++;
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (self->srcpad, fec);
    else
      gst_buffer_unref (fec);
  }
  return ret;
}

static gboolean
on_sink_event (GstPad    *pad,
               GstObject *parent,
               GstEvent  *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    clear_block (CANOPY_FEC_ENCODER (parent));
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
canopy_fec_encoder_change_state (GstElement     *element,
                                 GstStateChange  transition)
{
  GstStateChangeReturn ret =
    GST_ELEMENT_CLASS (canopy_fec_encoder_parent_class)->change_state (element, transition);

  /* The streaming thread has stopped. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    clear_block (CANOPY_FEC_ENCODER (element));
  return ret;
}

static void
canopy_fec_encoder_finalize (GObject *object)
{
  clear_block (CANOPY_FEC_ENCODER (object));
  G_OBJECT_CLASS (canopy_fec_encoder_parent_class)->finalize (object);
}

static void
canopy_fec_encoder_class_init (CanopyFecEncoderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->finalize = canopy_fec_encoder_finalize;
  element_class->change_state = canopy_fec_encoder_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Canopy FEC encoder",
                                         "Codec/Encoder/Network/RTP",
                                         "ULPFEC (RFC 5109) over blocks of consecutive packets",
                                         "Canopy");
}

static void
canopy_fec_encoder_init (CanopyFecEncoder *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_chain);
  gst_pad_set_event_function (self->sinkpad, on_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/**
 * canopy_fec_encoder_new:
 * @pt: the FEC packets' payload type
 *
 * Returns: (transfer floating): an encoder that adds nothing until given a percentage
 */
GstElement *
canopy_fec_encoder_new (guint8 pt)
{
  CanopyFecEncoder *self = g_object_new (CANOPY_TYPE_FEC_ENCODER, NULL);

  self->pt = pt;
  return GST_ELEMENT (self);
}

/**
 * canopy_fec_encoder_set_percentage:
 * @self: an encoder
 * @percentage: FEC packets per 100 media packets (one after every block of
 *   canopy_fec_block_size() packets), 0 for none
 *
 * Any thread; the next packet goes by it.
 */
void
canopy_fec_encoder_set_percentage (CanopyFecEncoder *self,
                                   guint             percentage)
{
  g_return_if_fail (CANOPY_IS_FEC_ENCODER (self));
  atomic_store (&self->percentage, percentage);
}
