/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-edge.h"
#include "canopy-file-store.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_FILE_LANE (canopy_file_lane_get_type ())
G_DECLARE_FINAL_TYPE (CanopyFileLane, canopy_file_lane, CANOPY, FILE_LANE, GObject)

CanopyFileLane *canopy_file_lane_new        (CanopyEdge         *edge,
                                             guint64             rate_bytes);
void            canopy_file_lane_push       (CanopyFileLane     *self,
                                             CanopyFileTransfer *transfer,
                                             guint               index);
void            canopy_file_lane_want       (CanopyFileLane     *self,
                                             const char         *id);
gboolean        canopy_file_lane_wants      (CanopyFileLane     *self,
                                             const char         *id);
void            canopy_file_lane_pass       (CanopyFileLane     *self,
                                             CanopyFileTransfer *transfer,
                                             guint               index);
void            canopy_file_lane_forget     (CanopyFileLane     *self,
                                             const char         *id);
void            canopy_file_lane_pump       (CanopyFileLane     *self);
void            canopy_file_lane_close      (CanopyFileLane     *self);
void            canopy_file_lane_set_rate   (CanopyFileLane     *self,
                                             guint64             rate_bytes);
guint64         canopy_file_lane_get_queued (CanopyFileLane     *self);
guint64         canopy_file_lane_get_sent   (CanopyFileLane     *self);
guint64         canopy_file_lane_get_pauses (CanopyFileLane     *self);

G_END_DECLS
