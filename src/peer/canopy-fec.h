/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Media packets one FEC packet covers at most: RFC 5109's long mask. */
#define CANOPY_FEC_BLOCK_MAX 48

#define CANOPY_TYPE_FEC_ENCODER (canopy_fec_encoder_get_type ())
G_DECLARE_FINAL_TYPE (CanopyFecEncoder, canopy_fec_encoder, CANOPY, FEC_ENCODER, GstElement)

GstElement *canopy_fec_encoder_new            (guint8            pt);
void        canopy_fec_encoder_set_percentage (CanopyFecEncoder *self,
                                               guint             percentage);
guint       canopy_fec_block_size             (guint             percentage);
GstBuffer  *canopy_fec_protect                (GstBuffer *const *packets,
                                               guint             n,
                                               guint8            pt,
                                               guint16           seq);

G_END_DECLS
