/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-chat.h"
#include "canopy-identity.h"
#include "canopy-link.h"
#include "canopy-node-map.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_ROOM (canopy_room_get_type ())
G_DECLARE_FINAL_TYPE (CanopyRoom, canopy_room, CANOPY, ROOM, GObject)

CanopyRoom    *canopy_room_new                (gboolean        host,
                                               CanopyIdentity *identity,
                                               const char     *name,
                                               guint           capacity);
void           canopy_room_set_room_id        (CanopyRoom     *self,
                                               const char     *room_id);
const char    *canopy_room_get_room_id        (CanopyRoom     *self);
void           canopy_room_set_host           (CanopyRoom     *self,
                                               const char     *host_id);
const char    *canopy_room_get_host           (CanopyRoom     *self);

CanopyNodeMap *canopy_room_get_map            (CanopyRoom     *self);
gboolean       canopy_room_has_map            (CanopyRoom     *self);
CanopyChat    *canopy_room_get_chat           (CanopyRoom     *self);
int            canopy_room_get_depth          (CanopyRoom     *self);
const char    *canopy_room_get_map_parent     (CanopyRoom     *self);
gboolean       canopy_room_in_own_subtree     (CanopyRoom     *self,
                                               const char     *id);
gboolean       canopy_room_is_ancestor        (CanopyRoom     *self,
                                               const char     *id);

JsonObject    *canopy_room_full_map_message   (CanopyRoom     *self);
gboolean       canopy_room_apply_map          (CanopyRoom     *self,
                                               JsonObject     *message,
                                               gboolean       *full,
                                               gboolean       *need_sync,
                                               gboolean       *forged);
void           canopy_room_lose_map           (CanopyRoom     *self);

JsonObject    *canopy_room_set_muted          (CanopyRoom     *self,
                                               const char     *id,
                                               gboolean        muted);
gboolean       canopy_room_apply_mutes        (CanopyRoom     *self,
                                               JsonObject     *message,
                                               gboolean       *forged);
JsonObject    *canopy_room_get_mutes_message  (CanopyRoom     *self);
gboolean       canopy_room_is_muted           (CanopyRoom     *self,
                                               const char     *id);

/* the host's: canopy-room-ledger.c */
char          *canopy_room_place              (CanopyRoom     *self,
                                               const char     *joiner,
                                               const char     *name,
                                               guint           capacity,
                                               guint           k1,
                                               guint           k,
                                               const char * const *avoid);
gboolean       canopy_room_has_pending        (CanopyRoom     *self);
gboolean       canopy_room_set_own_capacity   (CanopyRoom     *self,
                                               guint           capacity);
gboolean       canopy_room_attest             (CanopyRoom     *self,
                                               JsonObject     *statement,
                                               const char     *from);
gboolean       canopy_room_adopt              (CanopyRoom     *self,
                                               const char     *child);
gboolean       canopy_room_drop               (CanopyRoom     *self,
                                               const char     *child);
gboolean       canopy_room_depart             (CanopyRoom     *self,
                                               const char     *id);
JsonObject    *canopy_room_publish            (CanopyRoom     *self);
void           canopy_room_avoid              (CanopyRoom     *self,
                                               const char     *id,
                                               gboolean        strike);
gboolean       canopy_room_is_avoided         (CanopyRoom     *self,
                                               const char     *id);

G_END_DECLS
