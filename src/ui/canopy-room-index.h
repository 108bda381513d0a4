/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_ROOM_INDEX (canopy_room_index_get_type ())
G_DECLARE_FINAL_TYPE (CanopyRoomIndex, canopy_room_index, CANOPY, ROOM_INDEX, AdwBin)

GtkWidget  *canopy_room_index_new            (void);
void        canopy_room_index_set_server_url (CanopyRoomIndex *self,
                                              const char      *url);
const char *canopy_room_index_get_server_url (CanopyRoomIndex *self);
void        canopy_room_index_reconnect      (CanopyRoomIndex *self);
GListModel *canopy_room_index_get_rooms      (CanopyRoomIndex *self);
GListModel *canopy_room_index_get_filtered   (CanopyRoomIndex *self);
const char *canopy_room_index_get_state      (CanopyRoomIndex *self);
void        canopy_room_index_focus_join     (CanopyRoomIndex *self);
void        canopy_room_index_set_join_text  (CanopyRoomIndex *self,
                                              const char      *text);

G_END_DECLS
