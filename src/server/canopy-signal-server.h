/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_SIGNAL_SERVER (canopy_signal_server_get_type ())
G_DECLARE_FINAL_TYPE (CanopySignalServer, canopy_signal_server, CANOPY, SIGNAL_SERVER, GObject)

CanopySignalServer *canopy_signal_server_new         (void);
gboolean            canopy_signal_server_load_config (CanopySignalServer  *self,
                                                      const char          *path,
                                                      GError             **error);
gboolean            canopy_signal_server_listen      (CanopySignalServer  *self,
                                                      const char          *address,
                                                      guint                port,
                                                      GError             **error);
void                canopy_signal_server_set_web_dir (CanopySignalServer  *self,
                                                      const char          *dir);
guint               canopy_signal_server_get_port    (CanopySignalServer  *self);
char               *canopy_signal_server_get_url     (CanopySignalServer  *self);
void                canopy_signal_server_stop        (CanopySignalServer  *self);

G_END_DECLS
