/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * Cut-through forwarding on a viewer: the RTP its parent sends is passed on to its children
 * as each packet arrives, taken in front of the receiving jitterbuffer, not after it. The
 * jitterbuffer holds everything behind a lost packet until the retransmission comes; a relay
 * that forwarded its output would make every child wait for each of its losses too, and the
 * waits would add up hop by hop. Here a repaired packet simply goes down late, on its own,
 * and each child's jitterbuffer puts it back in its place.
 *
 * Two appsrc -> tee pairs (video, audio) that the edges to children hang off; the parent's
 * webrtcbin is tapped with canopy_forward_tap(). Usable from any thread.
 */
typedef struct _CanopyForward CanopyForward;

typedef enum {
  CANOPY_FORWARD_VIDEO,
  CANOPY_FORWARD_AUDIO,
} CanopyForwardKind;

CanopyForward *canopy_forward_new       (GstBin            *pipeline,
                                         GstElement        *ordered_video_tee);
CanopyForward *canopy_forward_ref       (CanopyForward     *self);
void           canopy_forward_unref     (CanopyForward     *self);
GstElement    *canopy_forward_get_tee   (CanopyForward     *self,
                                         CanopyForwardKind  kind);
void           canopy_forward_tap       (CanopyForward     *self,
                                         GstElement        *jitterbuffer);
void           canopy_forward_set_caps  (CanopyForward     *self,
                                         CanopyForwardKind  kind,
                                         GstCaps           *caps);

void           canopy_forward_watch_rtx_sender (GstElement *rtxsend);
void           canopy_forward_get_rtx_counts   (guint64    *sent,
                                                guint64    *refused);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyForward, canopy_forward_unref)

G_END_DECLS
