/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-chat-view.h"
#include "canopy-node.h"
#include "canopy-tree-view.h"

G_BEGIN_DECLS

/* The side pane both room views share: chat and the relay tree of one node. */
#define CANOPY_TYPE_ROOM_SIDE (canopy_room_side_get_type ())
G_DECLARE_FINAL_TYPE (CanopyRoomSide, canopy_room_side, CANOPY, ROOM_SIDE, AdwBin)

GtkWidget      *canopy_room_side_new           (void);
void            canopy_room_side_set_node      (CanopyRoomSide *self,
                                                CanopyNode     *node);
CanopyNode     *canopy_room_side_get_node      (CanopyRoomSide *self);
CanopyChatView *canopy_room_side_get_chat_view (CanopyRoomSide *self);
CanopyTreeView *canopy_room_side_get_tree_view (CanopyRoomSide *self);

G_END_DECLS
