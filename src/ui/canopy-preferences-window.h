/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-signal-server.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_PREFERENCES_WINDOW (canopy_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (CanopyPreferencesWindow, canopy_preferences_window, CANOPY,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

CanopyPreferencesWindow *canopy_preferences_window_new (GtkWindow          *parent,
                                                        GSettings          *settings,
                                                        CanopySignalServer *embedded_server,
                                                        gboolean            lan);
char                    *canopy_lan_address            (void);

G_END_DECLS
