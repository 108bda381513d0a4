/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-identity.h"

G_BEGIN_DECLS

/* What is said about files rather than in them (docs/protocol.md, "Files"): a file's cancel,
 * signed by its sender or the room's host, and the host's signed policy (files on or off, the
 * largest file). */
#define CANOPY_DOMAIN_FILE_CANCEL "canopy-file-cancel"
#define CANOPY_DOMAIN_FILE_POLICY "canopy-file-policy"

/**
 * CanopyFileCancel:
 * @id: the file
 * @by: who cancelled it (its signature checked): the file's sender or the room's host
 * @time: the canceller's wall clock, milliseconds since 1970
 */
typedef struct {
  char *id;
  char *by;
  gint64 time;
} CanopyFileCancel;

JsonObject       *canopy_file_cancel_make  (CanopyIdentity *identity,
                                            const char     *room,
                                            const char     *id,
                                            gint64          time);
CanopyFileCancel *canopy_file_cancel_check (JsonObject     *json,
                                            const char     *room,
                                            GError        **error);
void              canopy_file_cancel_free  (CanopyFileCancel *cancel);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyFileCancel, canopy_file_cancel_free)

JsonObject       *canopy_file_policy_make  (CanopyIdentity *host,
                                            const char     *room,
                                            guint64         version,
                                            gboolean        allowed,
                                            guint64         max_size);
gboolean          canopy_file_policy_check (JsonObject     *json,
                                            const char     *room,
                                            const char     *host,
                                            guint64        *version,
                                            gboolean       *allowed,
                                            guint64        *max_size,
                                            GError        **error);

G_END_DECLS
