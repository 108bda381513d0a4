/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-chat.h"
#include "canopy-file-row.h"
#include "canopy-node-map.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_CHAT_VIEW (canopy_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (CanopyChatView, canopy_chat_view, CANOPY, CHAT_VIEW, AdwBin)

GtkWidget *canopy_chat_view_new                 (void);
void       canopy_chat_view_add_message         (CanopyChatView          *self,
                                                 const CanopyChatMessage *message,
                                                 CanopyNodeMap           *map,
                                                 gboolean                 from_me);
CanopyFileRow *canopy_chat_view_add_file       (CanopyChatView           *self,
                                              const CanopyFileManifest *manifest,
                                              CanopyNodeMap            *map,
                                              gboolean                  from_me);
CanopyFileRow *canopy_chat_view_find_file      (CanopyChatView           *self,
                                              const char               *id);
void       canopy_chat_view_update_names        (CanopyChatView          *self,
                                                 CanopyNodeMap           *map);
guint      canopy_chat_view_get_n_messages      (CanopyChatView          *self);
void       canopy_chat_view_clear               (CanopyChatView          *self);
void       canopy_chat_view_set_sensitive_entry (CanopyChatView          *self,
                                                 gboolean                 sensitive);
void       canopy_chat_view_set_muted           (CanopyChatView          *self,
                                                 const char * const      *muted);
void       canopy_chat_view_set_can_moderate    (CanopyChatView          *self,
                                                 gboolean                 can_moderate);
gboolean   canopy_chat_view_get_can_moderate    (CanopyChatView          *self);

G_END_DECLS
