/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-chat.h"
#include "canopy-link.h"
#include "canopy-node-map.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_ROOM (canopy_room_get_type ())
G_DECLARE_FINAL_TYPE (CanopyRoom, canopy_room, CANOPY, ROOM, GObject)

CanopyRoom    *canopy_room_new                (gboolean      host,
                                               const char   *peer_id,
                                               const char   *name,
                                               guint         capacity);

CanopyNodeMap *canopy_room_get_map            (CanopyRoom   *self);
gboolean       canopy_room_has_map            (CanopyRoom   *self);
CanopyChat    *canopy_room_get_chat           (CanopyRoom   *self);
int            canopy_room_get_depth          (CanopyRoom   *self);
const char    *canopy_room_get_map_parent     (CanopyRoom   *self);
gboolean       canopy_room_in_own_subtree     (CanopyRoom   *self,
                                               const char   *id);
gboolean       canopy_room_is_ancestor        (CanopyRoom   *self,
                                               const char   *id);

CanopyNodeMap *canopy_room_compose            (CanopyRoom   *self,
                                               GPtrArray    *children);
JsonObject    *canopy_room_publish            (CanopyRoom   *self,
                                               CanopyNodeMap *composed);
JsonObject    *canopy_room_report             (CanopyRoom   *self,
                                               CanopyNodeMap *composed);
void           canopy_room_forget_report      (CanopyRoom   *self);
JsonObject    *canopy_room_full_map_message   (CanopyRoom   *self);
gboolean       canopy_room_apply_map          (CanopyRoom   *self,
                                               JsonObject   *message,
                                               gboolean     *full,
                                               gboolean     *need_sync);
void           canopy_room_lose_map           (CanopyRoom   *self);

char          *canopy_room_place              (CanopyRoom   *self,
                                               const char   *joiner,
                                               guint         k1,
                                               guint         k,
                                               const char * const *avoid);
gboolean       canopy_room_has_pending        (CanopyRoom   *self);
void           canopy_room_avoid              (CanopyRoom   *self,
                                               const char   *id,
                                               gboolean      strike);
gboolean       canopy_room_is_avoided         (CanopyRoom   *self,
                                               const char   *id);
void           canopy_room_forget_place       (CanopyRoom   *self,
                                               const char   *joiner);

gboolean       canopy_room_chat_is_forged     (CanopyRoom   *self,
                                               CanopyLink   *from,
                                               const char   *origin);

G_END_DECLS
