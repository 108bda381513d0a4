/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * Thin links: on the edge to one child, the VP8 video passes through a filter that sends only
 * the temporal layers that child's link carries (canopy-layers.h judges how many, from the
 * child's RTCP receiver reports). A packet not sent is replaced by a padding-only RTP packet
 * with the same sequence number, so that the child sees no gap: its jitterbuffer asks for
 * nothing, its depayloader ignores it, and retransmissions and the next hop work as before.
 * No re-encoding: the host's encoder marks each packet's layer (TID) and the frames one can
 * switch up at (Y) in the VP8 payload descriptor. Any thread.
 */
typedef struct _CanopyThin CanopyThin;

/* The data key on a child edge's webrtcbin that leads its rtpsession to the filter. */
#define CANOPY_THIN_KEY "canopy-thin"

CanopyThin *canopy_thin_new           (const char *peer_id);
CanopyThin *canopy_thin_ref           (CanopyThin *self);
void        canopy_thin_unref         (CanopyThin *self);
void        canopy_thin_set_red       (CanopyThin *self,
                                       gboolean    red);
void        canopy_thin_set_fec       (CanopyThin *self,
                                       gboolean    fec);
void        canopy_thin_attach        (CanopyThin *self,
                                       GstPad     *pad);
void        canopy_thin_attach_pacer  (CanopyThin *self,
                                       GstPad     *pad);
void        canopy_thin_watch_session (CanopyThin *self,
                                       GstElement *rtpsession);
guint       canopy_thin_judge         (CanopyThin *self);
guint       canopy_thin_get_level     (CanopyThin *self);
guint       canopy_thin_get_layers    (CanopyThin *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyThin, canopy_thin_unref)

G_END_DECLS
