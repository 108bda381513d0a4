/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyError"

#include "canopy-error.h"

#include <string.h>

static const char *const error_codes[] = {
  [CANOPY_ERROR_FAILED] = "failed",
  [CANOPY_ERROR_MALFORMED_JSON] = "malformed-json",
  [CANOPY_ERROR_BAD_MESSAGE] = "bad-message",
  [CANOPY_ERROR_TOO_LARGE] = "too-large",
  [CANOPY_ERROR_RATE_LIMITED] = "rate-limited",
  [CANOPY_ERROR_UNKNOWN_TYPE] = "unknown-type",
  [CANOPY_ERROR_UNKNOWN_ROOM] = "unknown-room",
  [CANOPY_ERROR_UNKNOWN_PEER] = "unknown-peer",
  [CANOPY_ERROR_FORBIDDEN] = "forbidden",
  [CANOPY_ERROR_SERVER_FULL] = "server-full",
  [CANOPY_ERROR_NOT_IN_ROOM] = "not-in-room",
  [CANOPY_ERROR_ALREADY_IN_ROOM] = "already-in-room",
  [CANOPY_ERROR_CYCLE] = "cycle",
  [CANOPY_ERROR_ROOM_CLOSED] = "room-closed",
  [CANOPY_ERROR_CONNECTION] = "connection",
  [CANOPY_ERROR_MEDIA] = "media",
  [CANOPY_ERROR_ROOM_FULL] = "room-full",
  [CANOPY_ERROR_NOT_IDENTIFIED] = "not-identified",
  [CANOPY_ERROR_ROOM_LOCKED] = "room-locked",
  [CANOPY_ERROR_PASSWORD_NEEDED] = "password-needed",
  [CANOPY_ERROR_PASSWORD_WRONG] = "password-wrong",
  [CANOPY_ERROR_BANNED] = "banned",
  [CANOPY_ERROR_FILES_OFF] = "files-off",
  [CANOPY_ERROR_UNKNOWN_FILE] = "unknown-file",
};

G_DEFINE_QUARK (canopy-error-quark, canopy_error)

const char *
canopy_error_code_to_string (CanopyError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_codes))
    return error_codes[CANOPY_ERROR_FAILED];
  return error_codes[code];
}

CanopyError
canopy_error_code_from_string (const char *code)
{
  if (code == NULL)
    return CANOPY_ERROR_FAILED;
  for (guint i = 0; i < G_N_ELEMENTS (error_codes); i++)
    if (strcmp (error_codes[i], code) == 0)
      return (CanopyError) i;
  return CANOPY_ERROR_FAILED;
}
