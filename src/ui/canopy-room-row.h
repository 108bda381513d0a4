/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "canopy-room-item.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_ROOM_ROW (canopy_room_row_get_type ())
G_DECLARE_FINAL_TYPE (CanopyRoomRow, canopy_room_row, CANOPY, ROOM_ROW, GtkListBoxRow)

GtkWidget      *canopy_room_row_new             (CanopyRoomItem *item);
CanopyRoomItem *canopy_room_row_get_item        (CanopyRoomRow  *self);
GdkTexture     *canopy_cover_texture_from_data_url (const char  *url,
                                                    GError     **error);

G_END_DECLS
