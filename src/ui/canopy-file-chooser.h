/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Called with what the person chose; never when they cancelled. */
typedef void (*CanopyFileChosenFunc) (GtkWidget *owner,
                                      GFile     *file);

void             canopy_file_chooser_open  (GtkWidget            *owner,
                                            const char           *title,
                                            GtkFileChooserAction  action,
                                            const char           *accept_label,
                                            const char           *current_name,
                                            CanopyFileChosenFunc  chosen);
GtkNativeDialog *canopy_file_chooser_get   (GtkWidget            *owner);
void             canopy_file_chooser_close (GtkWidget            *owner);

G_END_DECLS
