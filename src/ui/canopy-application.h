/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-identity.h"
#include "canopy-node.h"
#include "canopy-signal-server.h"

G_BEGIN_DECLS

#define CANOPY_TYPE_APPLICATION (canopy_application_get_type ())
G_DECLARE_FINAL_TYPE (CanopyApplication, canopy_application, CANOPY, APPLICATION,
                      AdwApplication)

CanopyApplication  *canopy_application_new                 (void);
GSettings          *canopy_application_get_settings        (CanopyApplication *self);
const char         *canopy_application_get_server_url      (CanopyApplication *self);
CanopySignalServer *canopy_application_get_embedded_server (CanopyApplication *self);
const char         *canopy_application_get_server_error    (CanopyApplication *self);
gboolean            canopy_application_get_lan             (CanopyApplication *self);
CanopyIdentity     *canopy_application_identity_for        (CanopyApplication *self,
                                                            CanopyNode        *node);
void                canopy_application_set_server_option   (CanopyApplication *self,
                                                            const char        *url,
                                                            gboolean           lan);

G_END_DECLS
