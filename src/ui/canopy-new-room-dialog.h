/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_NEW_ROOM_DIALOG (canopy_new_room_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CanopyNewRoomDialog, canopy_new_room_dialog, CANOPY, NEW_ROOM_DIALOG,
                      AdwWindow)

CanopyNewRoomDialog *canopy_new_room_dialog_new         (GtkWindow           *parent,
                                                         guint                k1);
gboolean             canopy_new_room_dialog_set_cover_file (CanopyNewRoomDialog *self,
                                                            GFile               *file,
                                                            GError             **error);
const char          *canopy_new_room_dialog_get_cover   (CanopyNewRoomDialog *self);
void                 canopy_new_room_dialog_create      (CanopyNewRoomDialog *self);
char                *canopy_cover_encode                (GdkPixbuf           *pixbuf,
                                                         GError             **error);

G_END_DECLS
