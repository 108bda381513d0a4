/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyEdge"

#include "canopy-edge-private.h"

/*
 * What an edge to a child knows of the stream it sends. Every packet handed to the child's
 * webrtcbin is counted (a probe behind each branch queue); the child's pings, ten a second,
 * say how many packets it received so far and its last round trip to us. Read together the
 * moment a ping arrives (on the data channel's thread, where pings are answered), the two
 * counts tell what the link lost within a few packets in flight, and the round trip what
 * waits in a queue on the way: the child's RTCP receiver reports come too seldom for this
 * (webrtcbin's statistics showed the same report for many seconds).
 */

struct _CanopyEdgeSent {
  atomic_uint_least64_t packets;
  atomic_uint_least64_t bytes;
};

static void
count_one (GstBuffer *buffer,
           gpointer   data)
{
  CanopyEdgeSent *sent = data;
  guint8 header[2];

  /* Every byte is upload; the host's FEC packets (and their stand-ins) are not counted among
   * the packets, as the child's count is of its tees, which they never reach. */
  atomic_fetch_add_explicit (&sent->bytes, gst_buffer_get_size (buffer), memory_order_relaxed);
  if (gst_buffer_extract (buffer, 0, header, 2) == 2 && (header[1] & 0x7f) == CANOPY_ULPFEC_PT)
    return;
  atomic_fetch_add_explicit (&sent->packets, 1, memory_order_relaxed);
}

static GstPadProbeReturn
count_sent (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  canopy_webrtc_probe_buffers (info, count_one, user_data);
  return GST_PAD_PROBE_OK;
}

/**
 * canopy_edge_count_sent:
 * @self: an edge to a child
 * @pad: where one of its branches hands packets to its webrtcbin
 *
 * Counts every packet that goes there.
 */
void
canopy_edge_count_sent (CanopyEdge *self,
                        GstPad     *pad)
{
  if (self->sent_count == NULL)
    self->sent_count = g_atomic_rc_box_new0 (CanopyEdgeSent);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, count_sent,
                     g_atomic_rc_box_acquire (self->sent_count),
                     (GDestroyNotify) g_atomic_rc_box_release);
}

void
canopy_edge_sent_clear (CanopyEdge *self)
{
  g_clear_pointer (&self->sent_count, g_atomic_rc_box_release);
}

/**
 * canopy_edge_note_ping:
 * @self: an edge to a child
 * @rx: the RTP packets the child said it received so far
 * @rtt_ms: its last round trip to us, or -1
 *
 * On the data channel's thread, as the ping arrives.
 */
void
canopy_edge_note_ping (CanopyEdge *self,
                       gint64      rx,
                       double      rtt_ms)
{
  CanopyUploadReport report = { 0 };

  if (self->sent_count == NULL)
    return;
  report.packets_sent = atomic_load_explicit (&self->sent_count->packets, memory_order_relaxed);
  report.bytes_sent = atomic_load_explicit (&self->sent_count->bytes, memory_order_relaxed);
  /* What never reached it, give or take the packets in flight (a constant in the deltas). */
  report.packets_lost = (gint64) report.packets_sent - rx;
  report.rtt_ms = rtt_ms;
  g_mutex_lock (&self->lock);
  self->sent = report;
  self->sent_fresh = TRUE;
  g_mutex_unlock (&self->lock);
}

/**
 * canopy_edge_take_sent:
 * @self: an edge to a child
 * @report: (out): the stream to the child as of its last ping
 *
 * Returns: whether a ping came since the last call
 */
gboolean
canopy_edge_take_sent (CanopyEdge         *self,
                       CanopyUploadReport *report)
{
  gboolean fresh;

  g_return_val_if_fail (CANOPY_IS_EDGE (self), FALSE);

  g_mutex_lock (&self->lock);
  fresh = self->sent_fresh;
  self->sent_fresh = FALSE;
  *report = self->sent;
  g_mutex_unlock (&self->lock);
  return fresh;
}
