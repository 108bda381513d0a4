/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CANOPY_TYPE_SIGNAL_CLIENT (canopy_signal_client_get_type ())
G_DECLARE_FINAL_TYPE (CanopySignalClient, canopy_signal_client, CANOPY, SIGNAL_CLIENT, GObject)

CanopySignalClient *canopy_signal_client_new            (const char          *url);
void                canopy_signal_client_connect_async  (CanopySignalClient  *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean            canopy_signal_client_connect_finish (CanopySignalClient  *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
gboolean            canopy_signal_client_send           (CanopySignalClient  *self,
                                                         JsonObject          *message);
void                canopy_signal_client_close          (CanopySignalClient  *self);

G_END_DECLS
