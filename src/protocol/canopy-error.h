/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CANOPY_ERROR (canopy_error_quark ())

/**
 * CanopyError:
 * Errors of the Canopy core. Each has a stable wire code (see
 * canopy_error_code_to_string()) used in the protocol's `error` messages.
 */
typedef enum {
  CANOPY_ERROR_FAILED,          /* "failed" */
  CANOPY_ERROR_MALFORMED_JSON,  /* "malformed-json" */
  CANOPY_ERROR_BAD_MESSAGE,     /* "bad-message": missing member or wrong type */
  CANOPY_ERROR_TOO_LARGE,       /* "too-large": message or field over its limit */
  CANOPY_ERROR_RATE_LIMITED,    /* "rate-limited" */
  CANOPY_ERROR_UNKNOWN_TYPE,    /* "unknown-type" */
  CANOPY_ERROR_UNKNOWN_ROOM,    /* "unknown-room" */
  CANOPY_ERROR_UNKNOWN_PEER,    /* "unknown-peer" */
  CANOPY_ERROR_FORBIDDEN,       /* "forbidden" */
  CANOPY_ERROR_SERVER_FULL,     /* "server-full" */
  CANOPY_ERROR_NOT_IN_ROOM,     /* "not-in-room" */
  CANOPY_ERROR_ALREADY_IN_ROOM, /* "already-in-room" */
  CANOPY_ERROR_CYCLE,           /* "cycle": a tree change would make a cycle */
  CANOPY_ERROR_ROOM_CLOSED,     /* "room-closed" */
  CANOPY_ERROR_CONNECTION,      /* "connection": cannot reach a server or peer */
  CANOPY_ERROR_MEDIA,           /* "media": a GStreamer element or pipeline failed */
  CANOPY_ERROR_ROOM_FULL,       /* "room-full": no place in the tree for a joiner */
  CANOPY_ERROR_NOT_IDENTIFIED,  /* "not-identified": the message needs `hello` first */
  /* A join refused under the room's rules (`join-rejected`'s reason, told apart locally): */
  CANOPY_ERROR_ROOM_LOCKED,     /* "room-locked": it takes no newcomers */
  CANOPY_ERROR_PASSWORD_NEEDED, /* "password-needed": none was given */
  CANOPY_ERROR_PASSWORD_WRONG,  /* "password-wrong" */
  CANOPY_ERROR_BANNED,          /* "banned": the host removed this peer from the room */
  /* Files (docs/protocol.md, "Files"): */
  CANOPY_ERROR_FILES_OFF,       /* "files-off": the host turned sharing files off */
  CANOPY_ERROR_UNKNOWN_FILE,    /* "unknown-file": no such file is kept here */
} CanopyError;

GQuark       canopy_error_quark          (void);
const char  *canopy_error_code_to_string (CanopyError code);
CanopyError  canopy_error_code_from_string (const char *code);

G_END_DECLS
