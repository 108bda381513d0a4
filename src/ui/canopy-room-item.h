/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_ROOM_ITEM (canopy_room_item_get_type ())
G_DECLARE_FINAL_TYPE (CanopyRoomItem, canopy_room_item, CANOPY, ROOM_ITEM, GObject)

CanopyRoomItem *canopy_room_item_new_from_json (JsonObject      *entry,
                                                GError         **error);
gboolean        canopy_room_item_update        (CanopyRoomItem  *self,
                                                CanopyRoomItem  *from);
const char     *canopy_room_item_get_room      (CanopyRoomItem  *self);
const char     *canopy_room_item_get_title     (CanopyRoomItem  *self);
const char     *canopy_room_item_get_summary   (CanopyRoomItem  *self);
const char     *canopy_room_item_get_cover     (CanopyRoomItem  *self);
const char     *canopy_room_item_get_host      (CanopyRoomItem  *self);
guint           canopy_room_item_get_viewers   (CanopyRoomItem  *self);
guint           canopy_room_item_get_depth     (CanopyRoomItem  *self);
const char     *canopy_room_item_get_started   (CanopyRoomItem  *self);
gboolean        canopy_room_item_get_locked    (CanopyRoomItem  *self);
gboolean        canopy_room_item_get_needs_password (CanopyRoomItem *self);

G_END_DECLS
