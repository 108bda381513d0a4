/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-file.h"

G_BEGIN_DECLS

/**
 * CanopyFileChunkResult:
 * @CANOPY_FILE_CHUNK_NEW: verified against its hash and kept: forward it
 * @CANOPY_FILE_CHUNK_DUPLICATE: already held: drop it
 * @CANOPY_FILE_CHUNK_BAD_HASH: not the chunk the manifest names: refused and counted
 * @CANOPY_FILE_CHUNK_OUT_OF_RANGE: an index past the last chunk or a length not the chunk's
 */
typedef enum {
  CANOPY_FILE_CHUNK_NEW,
  CANOPY_FILE_CHUNK_DUPLICATE,
  CANOPY_FILE_CHUNK_BAD_HASH,
  CANOPY_FILE_CHUNK_OUT_OF_RANGE,
} CanopyFileChunkResult;

/**
 * CanopyFileState:
 * @CANOPY_FILE_STATE_INCOMPLETE: chunks are missing
 * @CANOPY_FILE_STATE_COMPLETE: every chunk, and the whole matches its hash
 * @CANOPY_FILE_STATE_FAILED: every chunk, but the whole does not match (its sender lied)
 */
typedef enum {
  CANOPY_FILE_STATE_INCOMPLETE,
  CANOPY_FILE_STATE_COMPLETE,
  CANOPY_FILE_STATE_FAILED,
} CanopyFileState;

#define CANOPY_TYPE_FILE_TRANSFER (canopy_file_transfer_get_type ())
G_DECLARE_FINAL_TYPE (CanopyFileTransfer, canopy_file_transfer, CANOPY, FILE_TRANSFER, GObject)

CanopyFileTransfer       *canopy_file_transfer_new          (const CanopyFileManifest *manifest);
CanopyFileTransfer       *canopy_file_transfer_new_complete (const CanopyFileManifest *manifest,
                                                             GBytes                   *contents,
                                                             GError                  **error);
const CanopyFileManifest *canopy_file_transfer_get_manifest (CanopyFileTransfer *self);
CanopyFileChunkResult     canopy_file_transfer_add_chunk    (CanopyFileTransfer *self,
                                                             guint32             index,
                                                             const guint8       *data,
                                                             gsize               length);
gboolean                  canopy_file_transfer_has_chunk    (CanopyFileTransfer *self,
                                                             guint               index);
GBytes                   *canopy_file_transfer_get_frame    (CanopyFileTransfer *self,
                                                             guint               index);
guint                     canopy_file_transfer_get_n_have   (CanopyFileTransfer *self);
guint64                   canopy_file_transfer_get_bytes_have (CanopyFileTransfer *self);
guint64                   canopy_file_transfer_get_bad_chunks (CanopyFileTransfer *self);
CanopyFileState           canopy_file_transfer_get_state    (CanopyFileTransfer *self);
GBytes                   *canopy_file_transfer_get_contents (CanopyFileTransfer *self);
char                     *canopy_file_transfer_get_have     (CanopyFileTransfer *self);
GArray                   *canopy_file_transfer_missing_from (CanopyFileTransfer *self,
                                                             const char         *have,
                                                             GError            **error);
gint64                    canopy_file_transfer_get_added_at (CanopyFileTransfer *self);

#define CANOPY_TYPE_FILE_STORE (canopy_file_store_get_type ())
G_DECLARE_FINAL_TYPE (CanopyFileStore, canopy_file_store, CANOPY, FILE_STORE, GObject)

CanopyFileStore    *canopy_file_store_new      (guint64             max_bytes,
                                                guint               max_files,
                                                gint64              max_age_us);
gboolean            canopy_file_store_add      (CanopyFileStore    *self,
                                                CanopyFileTransfer *transfer,
                                                gint64              now,
                                                GError            **error);
gboolean            canopy_file_store_remove   (CanopyFileStore    *self,
                                                const char         *id);
CanopyFileTransfer *canopy_file_store_lookup   (CanopyFileStore    *self,
                                                const char         *id);
GPtrArray          *canopy_file_store_list     (CanopyFileStore    *self);
void                canopy_file_store_expire   (CanopyFileStore    *self,
                                                gint64              now);
guint64             canopy_file_store_get_bytes (CanopyFileStore   *self);

G_END_DECLS
