/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* An Ed25519 public key and a signature as they travel: unpadded URL-safe base64. */
#define CANOPY_KEY_CHARS 43
#define CANOPY_SIGNATURE_CHARS 86
/* A peer id derived from a key: "p" and 16 characters of the id alphabet (~79 bits). */
#define CANOPY_KEY_ID_CHARS 17

#define CANOPY_TYPE_IDENTITY (canopy_identity_get_type ())
G_DECLARE_FINAL_TYPE (CanopyIdentity, canopy_identity, CANOPY, IDENTITY, GObject)

CanopyIdentity *canopy_identity_new             (void);
CanopyIdentity *canopy_identity_load            (const char          *path,
                                                 gboolean             create,
                                                 GError             **error);
gboolean        canopy_identity_save            (CanopyIdentity      *self,
                                                 const char          *path,
                                                 GError             **error);
const char     *canopy_identity_get_id          (CanopyIdentity      *self);
const char     *canopy_identity_get_public_key  (CanopyIdentity      *self);
char           *canopy_identity_sign            (CanopyIdentity      *self,
                                                 const char          *domain,
                                                 const char * const  *fields);

char           *canopy_key_to_id                (const char          *public_key);
gboolean        canopy_signature_verify         (const char          *public_key,
                                                 const char          *signature,
                                                 const char          *domain,
                                                 const char * const  *fields);

G_END_DECLS
