/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-error.h"
#include "canopy-identity.h"
#include "canopy-limits.h"

G_BEGIN_DECLS

/* A file id: 128 bits as 32 lower-case hex characters; 16 raw bytes in a chunk frame. */
#define CANOPY_FILE_ID_CHARS 32
#define CANOPY_FILE_ID_BYTES 16
#define CANOPY_FILE_HASH_CHARS 64

/**
 * CanopyFileManifest:
 * @id: the file id, derived from everything else the sender signs
 * @sender: the sender's peer id
 * @name: the file's name, sanitized, no path parts
 * @size: its length in bytes, at least 1
 * @mime: its MIME type, lower case
 * @chunk_size: every chunk's length but the last's
 * @n_chunks: ceil (@size / @chunk_size)
 * @chunk_hashes: @n_chunks SHA-256 hashes, 32 bytes each, in order
 * @sha256: the whole file's SHA-256 as 64 lower-case hex characters
 * @time: the sender's wall clock, milliseconds since 1970
 * @hops: how many tree edges it crossed (not signed)
 * @key: (nullable): the sender's public key
 * @signature: (nullable): its signature over the domain "canopy-file"
 *
 * A `file-offer`: what a receiver needs to check every chunk and the whole (docs/protocol.md,
 * "Files").
 */
typedef struct {
  char    *id;
  char    *sender;
  char    *name;
  guint64  size;
  char    *mime;
  guint    chunk_size;
  guint    n_chunks;
  guint8  *chunk_hashes;
  char    *sha256;
  gint64   time;
  guint    hops;
  char    *key;
  char    *signature;
} CanopyFileManifest;

#define CANOPY_TYPE_FILE_MANIFEST (canopy_file_manifest_get_type ())

GType               canopy_file_manifest_get_type      (void) G_GNUC_CONST;
CanopyFileManifest *canopy_file_manifest_new_for_bytes (CanopyIdentity           *identity,
                                                        const char               *room,
                                                        const char               *name,
                                                        const char               *mime,
                                                        GBytes                   *contents,
                                                        guint                     chunk_size,
                                                        gint64                    time,
                                                        GError                  **error);
CanopyFileManifest *canopy_file_manifest_new_from_json (JsonObject               *object,
                                                        guint64                   max_size,
                                                        GError                  **error);
JsonObject         *canopy_file_manifest_to_json       (const CanopyFileManifest *manifest);
CanopyFileManifest *canopy_file_manifest_copy          (const CanopyFileManifest *manifest);
void                canopy_file_manifest_free          (CanopyFileManifest       *manifest);
gboolean            canopy_file_manifest_verify        (const CanopyFileManifest *manifest,
                                                        const char               *room);
gsize               canopy_file_manifest_chunk_length  (const CanopyFileManifest *manifest,
                                                        guint                     index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyFileManifest, canopy_file_manifest_free)

char               *canopy_file_clean_name             (const char               *name);
gboolean            canopy_file_id_is_valid            (const char               *text);

/* Chunk frames: the binary messages of the `file` channel. */
GBytes             *canopy_file_frame_new              (const char               *file_id,
                                                        guint32                   index,
                                                        const guint8             *data,
                                                        gsize                     length);
gboolean            canopy_file_frame_parse            (GBytes                   *frame,
                                                        char                     *file_id,
                                                        guint32                  *index,
                                                        const guint8            **data,
                                                        gsize                    *length,
                                                        GError                  **error);

/* Which chunks a node has, as it travels in `file-want`: unpadded base64 of a bitmap. */
char               *canopy_file_bitmap_encode          (const guint8             *bitmap,
                                                        guint                     n_chunks);
guint8             *canopy_file_bitmap_decode          (const char               *text,
                                                        guint                     n_chunks,
                                                        GError                  **error);

G_END_DECLS
