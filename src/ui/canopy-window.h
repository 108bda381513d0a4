/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-application.h"
#include "canopy-node.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_WINDOW (canopy_window_get_type ())
G_DECLARE_FINAL_TYPE (CanopyWindow, canopy_window, CANOPY, WINDOW, AdwApplicationWindow)

CanopyWindow *canopy_window_new            (CanopyApplication *application);
void          canopy_window_show_room      (CanopyWindow      *self,
                                            GtkWidget         *view,
                                            const char        *title);
void          canopy_window_show_index     (CanopyWindow      *self);
void          canopy_window_toast          (CanopyWindow      *self,
                                            const char        *text);
const char   *canopy_window_get_server_url (CanopyWindow      *self);
void          canopy_window_new_room       (CanopyWindow      *self);
void          canopy_window_focus_join     (CanopyWindow      *self);
void          canopy_window_join_room      (CanopyWindow      *self,
                                            const char        *room_id);
void          canopy_window_create_room    (CanopyWindow      *self,
                                            const char        *title,
                                            const char        *summary,
                                            const char        *cover,
                                            gboolean           listed,
                                            guint              k1,
                                            const char        *password);
CanopyNode   *canopy_window_make_node      (CanopyWindow      *self,
                                            CanopyNodeRole     role);
void          canopy_window_open_host      (CanopyWindow      *self,
                                            CanopyNode        *node);
void          canopy_window_open_audience  (CanopyWindow      *self,
                                            CanopyNode        *node);
GtkWidget    *canopy_window_get_room_index (CanopyWindow      *self);
const char   *canopy_window_get_page       (CanopyWindow      *self);
GtkWidget    *canopy_window_get_room_view  (CanopyWindow      *self);

G_END_DECLS
