/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* What the host may do about a person on their name, in the tree and chat panes: the menu's
 * items activate `room.mute`, `room.unmute` and `room.kick` with the peer id, which the room
 * side (canopy-room-side.c) handles. */

GMenuModel *canopy_person_menu_new           (const char *peer,
                                              gboolean    muted);
GtkWidget  *canopy_person_menu_button_new    (GtkWidget  *row);
void        canopy_person_menu_button_update (GtkWidget  *button,
                                              const char *peer,
                                              const char *name,
                                              gboolean    muted,
                                              gboolean    shown);
GtkWidget  *canopy_person_muted_label_new    (void);
gboolean    canopy_person_set_equals         (GHashTable         *set,
                                              const char * const *ids);

G_END_DECLS
