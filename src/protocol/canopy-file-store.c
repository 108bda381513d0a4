/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFile"

#include "canopy-file-store.h"

#include <string.h>

/*
 * CanopyFileTransfer: one file as a node holds it, whole or in part. A chunk is kept only once
 * it matches the hash its sender signed, so whatever the node holds it may pass on, and any
 * neighbour can resume it from the chunks it lacks. When the last chunk comes the whole is
 * checked too.
 *
 * CanopyFileStore: the files a node keeps for late joiners and for neighbours that resume,
 * bounded by count, bytes and age (oldest forgotten first).
 */

struct _CanopyFileTransfer {
  GObject parent_instance;

  CanopyFileManifest *manifest;
  guint8 *data;                /* manifest->size bytes */
  guint8 *bitmap;              /* chunk i at bit 7 - i % 8 of byte i / 8 */
  guint n_have;
  guint64 bytes_have;
  guint64 bad_chunks;
  CanopyFileState state;
  gint64 added_at;             /* monotonic µs, set by the store */
};

G_DEFINE_FINAL_TYPE (CanopyFileTransfer, canopy_file_transfer, G_TYPE_OBJECT)

struct _CanopyFileStore {
  GObject parent_instance;

  guint64 max_bytes;
  guint max_files;
  gint64 max_age_us;
  GQueue files;                /* CanopyFileTransfer (owned), oldest first */
  GHashTable *by_id;           /* id (the manifest's) -> transfer (the queue's) */
  guint64 bytes;
};

G_DEFINE_FINAL_TYPE (CanopyFileStore, canopy_file_store, G_TYPE_OBJECT)

enum {
  SIGNAL_FORGOTTEN,
  N_STORE_SIGNALS
};

static guint store_signals[N_STORE_SIGNALS];

static gboolean
bit_is_set (const guint8 *bitmap,
            guint         index)
{
  return (bitmap[index / 8] & (0x80 >> (index % 8))) != 0;
}

static void
canopy_file_transfer_finalize (GObject *object)
{
  CanopyFileTransfer *self = CANOPY_FILE_TRANSFER (object);

  g_clear_pointer (&self->manifest, canopy_file_manifest_free);
  g_clear_pointer (&self->data, g_free);
  g_clear_pointer (&self->bitmap, g_free);

  G_OBJECT_CLASS (canopy_file_transfer_parent_class)->finalize (object);
}

static void
canopy_file_transfer_class_init (CanopyFileTransferClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = canopy_file_transfer_finalize;
}

static void
canopy_file_transfer_init (CanopyFileTransfer *self)
{
}

/**
 * canopy_file_transfer_new:
 * @manifest: a manifest, checked (canopy_file_manifest_verify())
 *
 * Returns: (transfer full): a transfer holding no chunk yet
 */
CanopyFileTransfer *
canopy_file_transfer_new (const CanopyFileManifest *manifest)
{
  CanopyFileTransfer *self;

  g_return_val_if_fail (manifest != NULL && manifest->n_chunks > 0, NULL);

  self = g_object_new (CANOPY_TYPE_FILE_TRANSFER, NULL);
  self->manifest = canopy_file_manifest_copy (manifest);
  self->data = g_malloc (manifest->size);
  self->bitmap = g_malloc0 ((manifest->n_chunks + 7) / 8);
  return self;
}

/**
 * canopy_file_transfer_new_complete:
 * @manifest: our own manifest of @contents
 * @contents: the whole file
 * @error: return location for a #CanopyError
 *
 * Returns: (transfer full): a complete transfer (what a sender holds), or %NULL with @error
 *   set when @contents is not what @manifest describes
 */
CanopyFileTransfer *
canopy_file_transfer_new_complete (const CanopyFileManifest *manifest,
                                   GBytes                   *contents,
                                   GError                  **error)
{
  g_autoptr (CanopyFileTransfer) self = NULL;
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (manifest != NULL && contents != NULL, NULL);

  data = g_bytes_get_data (contents, &size);
  self = canopy_file_transfer_new (manifest);
  if (size != manifest->size) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "The file is not the size its manifest says");
    return NULL;
  }
  for (guint i = 0; i < manifest->n_chunks; i++)
    canopy_file_transfer_add_chunk (self, i, data + (gsize) i * manifest->chunk_size,
                                    canopy_file_manifest_chunk_length (manifest, i));
  if (self->state != CANOPY_FILE_STATE_COMPLETE) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "The file does not match its manifest");
    return NULL;
  }
  return g_steal_pointer (&self);
}

const CanopyFileManifest *
canopy_file_transfer_get_manifest (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), NULL);
  return self->manifest;
}

static void
check_whole (CanopyFileTransfer *self)
{
  g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, self->data,
                                                       self->manifest->size);

  self->state = g_str_equal (hash, self->manifest->sha256) ? CANOPY_FILE_STATE_COMPLETE
                                                           : CANOPY_FILE_STATE_FAILED;
}

/**
 * canopy_file_transfer_add_chunk:
 * @self: a transfer
 * @index: untrusted: the chunk's index
 * @data: (array length=length): untrusted: the chunk
 * @length: its length
 *
 * Keeps the chunk if it is the one the manifest names (its length and SHA-256); when it is the
 * last one missing, checks the whole file's hash (canopy_file_transfer_get_state()).
 *
 * Returns: what became of it; %CANOPY_FILE_CHUNK_BAD_HASH is counted
 */
CanopyFileChunkResult
canopy_file_transfer_add_chunk (CanopyFileTransfer *self,
                                guint32             index,
                                const guint8       *data,
                                gsize               length)
{
  guint8 hash[32];
  gsize hash_len = sizeof hash;
  g_autoptr (GChecksum) checksum = NULL;

  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), CANOPY_FILE_CHUNK_OUT_OF_RANGE);

  if (index >= self->manifest->n_chunks ||
      length != canopy_file_manifest_chunk_length (self->manifest, index))
    return CANOPY_FILE_CHUNK_OUT_OF_RANGE;
  /* A repeat costs no hashing. */
  if (bit_is_set (self->bitmap, index))
    return CANOPY_FILE_CHUNK_DUPLICATE;
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, data, length);
  g_checksum_get_digest (checksum, hash, &hash_len);
  if (memcmp (hash, self->manifest->chunk_hashes + (gsize) index * 32, 32) != 0) {
    self->bad_chunks++;
    return CANOPY_FILE_CHUNK_BAD_HASH;
  }
  memcpy (self->data + (gsize) index * self->manifest->chunk_size, data, length);
  self->bitmap[index / 8] |= 0x80 >> (index % 8);
  self->n_have++;
  self->bytes_have += length;
  if (self->n_have == self->manifest->n_chunks)
    check_whole (self);
  return CANOPY_FILE_CHUNK_NEW;
}

gboolean
canopy_file_transfer_has_chunk (CanopyFileTransfer *self,
                                guint               index)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), FALSE);
  return index < self->manifest->n_chunks && bit_is_set (self->bitmap, index);
}

/**
 * canopy_file_transfer_get_frame:
 * @self: a transfer
 * @index: a chunk it holds
 *
 * Returns: (transfer full) (nullable): the chunk's frame, or %NULL when it does not hold it
 */
GBytes *
canopy_file_transfer_get_frame (CanopyFileTransfer *self,
                                guint               index)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), NULL);

  if (!canopy_file_transfer_has_chunk (self, index))
    return NULL;
  return canopy_file_frame_new (self->manifest->id, index,
                                self->data + (gsize) index * self->manifest->chunk_size,
                                canopy_file_manifest_chunk_length (self->manifest, index));
}

guint
canopy_file_transfer_get_n_have (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), 0);
  return self->n_have;
}

guint64
canopy_file_transfer_get_bytes_have (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), 0);
  return self->bytes_have;
}

guint64
canopy_file_transfer_get_bad_chunks (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), 0);
  return self->bad_chunks;
}

CanopyFileState
canopy_file_transfer_get_state (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), CANOPY_FILE_STATE_FAILED);
  return self->state;
}

gint64
canopy_file_transfer_get_added_at (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), 0);
  return self->added_at;
}

/**
 * canopy_file_transfer_get_contents:
 * @self: a transfer
 *
 * Returns: (transfer full) (nullable): the whole file once complete, else %NULL
 */
GBytes *
canopy_file_transfer_get_contents (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), NULL);

  if (self->state != CANOPY_FILE_STATE_COMPLETE)
    return NULL;
  return g_bytes_new (self->data, self->manifest->size);
}

/**
 * canopy_file_transfer_get_have:
 * @self: a transfer
 *
 * Returns: (transfer full): the chunks it holds, as `file-want` carries them
 *   (canopy_file_bitmap_encode())
 */
char *
canopy_file_transfer_get_have (CanopyFileTransfer *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), NULL);
  return canopy_file_bitmap_encode (self->bitmap, self->manifest->n_chunks);
}

/**
 * canopy_file_transfer_missing_from:
 * @self: a transfer
 * @have: untrusted: what a neighbour holds of the same file (canopy_file_transfer_get_have())
 * @error: return location for a #CanopyError
 *
 * Returns: (transfer full) (element-type guint): the chunks @self holds and the neighbour
 *   lacks, in order, or %NULL with @error set when @have is malformed
 */
GArray *
canopy_file_transfer_missing_from (CanopyFileTransfer *self,
                                   const char         *have,
                                   GError            **error)
{
  g_autofree guint8 *theirs = NULL;
  GArray *missing;

  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (self), NULL);
  g_return_val_if_fail (have != NULL, NULL);

  theirs = canopy_file_bitmap_decode (have, self->manifest->n_chunks, error);
  if (theirs == NULL)
    return NULL;
  missing = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < self->manifest->n_chunks; i++)
    if (bit_is_set (self->bitmap, i) && !bit_is_set (theirs, i))
      g_array_append_val (missing, i);
  return missing;
}

/* --- the store --- */

static void
canopy_file_store_finalize (GObject *object)
{
  CanopyFileStore *self = CANOPY_FILE_STORE (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_queue_clear_full (&self->files, g_object_unref);

  G_OBJECT_CLASS (canopy_file_store_parent_class)->finalize (object);
}

static void
canopy_file_store_class_init (CanopyFileStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = canopy_file_store_finalize;

  /**
   * CanopyFileStore::forgotten:
   * @transfer: a file the store no longer keeps: too old, or the oldest when a new one needed
   *   room (not one taken out with canopy_file_store_remove())
   */
  store_signals[SIGNAL_FORGOTTEN] = g_signal_new ("forgotten", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 1, CANOPY_TYPE_FILE_TRANSFER);
}

static void
canopy_file_store_init (CanopyFileStore *self)
{
  g_queue_init (&self->files);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * canopy_file_store_new:
 * @max_bytes: the most bytes of files kept (their sizes, whole or not)
 * @max_files: the most files kept
 * @max_age_us: how long a file is kept after it was added
 *
 * Returns: (transfer full): an empty store
 */
CanopyFileStore *
canopy_file_store_new (guint64 max_bytes,
                       guint   max_files,
                       gint64  max_age_us)
{
  CanopyFileStore *self;

  g_return_val_if_fail (max_files > 0 && max_age_us > 0, NULL);

  self = g_object_new (CANOPY_TYPE_FILE_STORE, NULL);
  self->max_bytes = max_bytes;
  self->max_files = max_files;
  self->max_age_us = max_age_us;
  return self;
}

static void
drop_oldest (CanopyFileStore *self)
{
  CanopyFileTransfer *oldest = g_queue_pop_head (&self->files);

  g_debug ("Forgetting file %s", oldest->manifest->id);
  g_hash_table_remove (self->by_id, oldest->manifest->id);
  self->bytes -= oldest->manifest->size;
  g_signal_emit (self, store_signals[SIGNAL_FORGOTTEN], 0, oldest);
  g_object_unref (oldest);
}

/**
 * canopy_file_store_remove:
 * @self: a store
 * @id: a file id
 *
 * Forgets @id at once (a cancelled file), without #CanopyFileStore::forgotten.
 *
 * Returns: whether the store held it
 */
gboolean
canopy_file_store_remove (CanopyFileStore *self,
                          const char      *id)
{
  CanopyFileTransfer *transfer;

  g_return_val_if_fail (CANOPY_IS_FILE_STORE (self), FALSE);

  transfer = canopy_file_store_lookup (self, id);
  if (transfer == NULL)
    return FALSE;
  g_hash_table_remove (self->by_id, id);
  g_queue_remove (&self->files, transfer);
  self->bytes -= transfer->manifest->size;
  g_object_unref (transfer);
  return TRUE;
}

/**
 * canopy_file_store_expire:
 * @self: a store
 * @now: monotonic µs
 *
 * Forgets the files older than the store's age limit.
 */
void
canopy_file_store_expire (CanopyFileStore *self,
                          gint64           now)
{
  CanopyFileTransfer *oldest;

  g_return_if_fail (CANOPY_IS_FILE_STORE (self));

  while ((oldest = g_queue_peek_head (&self->files)) != NULL &&
         now - oldest->added_at > self->max_age_us)
    drop_oldest (self);
}

/**
 * canopy_file_store_add:
 * @self: a store
 * @transfer: a file new to the store
 * @now: monotonic µs
 * @error: return location for a #CanopyError
 *
 * Keeps @transfer (a reference), forgetting the oldest files as needed to stay within the
 * limits.
 *
 * Returns: %FALSE with @error set when the store already holds that id or the file alone is
 *   over its bytes
 */
gboolean
canopy_file_store_add (CanopyFileStore    *self,
                       CanopyFileTransfer *transfer,
                       gint64              now,
                       GError            **error)
{
  guint64 size;

  g_return_val_if_fail (CANOPY_IS_FILE_STORE (self), FALSE);
  g_return_val_if_fail (CANOPY_IS_FILE_TRANSFER (transfer), FALSE);

  size = transfer->manifest->size;
  if (g_hash_table_contains (self->by_id, transfer->manifest->id)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "A file known already");
    return FALSE;
  }
  if (size > self->max_bytes) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                         "A file larger than this node keeps");
    return FALSE;
  }
  canopy_file_store_expire (self, now);
  while (self->files.length > 0 &&
         (self->bytes + size > self->max_bytes || self->files.length >= self->max_files))
    drop_oldest (self);
  transfer->added_at = now;
  g_queue_push_tail (&self->files, g_object_ref (transfer));
  g_hash_table_insert (self->by_id, transfer->manifest->id, transfer);
  self->bytes += size;
  return TRUE;
}

/**
 * canopy_file_store_lookup:
 * @self: a store
 * @id: untrusted: a file id
 *
 * Returns: (transfer none) (nullable): the file, if the store holds it
 */
CanopyFileTransfer *
canopy_file_store_lookup (CanopyFileStore *self,
                          const char      *id)
{
  g_return_val_if_fail (CANOPY_IS_FILE_STORE (self), NULL);
  return id != NULL ? g_hash_table_lookup (self->by_id, id) : NULL;
}

/**
 * canopy_file_store_list:
 * @self: a store
 *
 * Returns: (transfer container) (element-type CanopyFileTransfer): the files, oldest first
 */
GPtrArray *
canopy_file_store_list (CanopyFileStore *self)
{
  GPtrArray *list;

  g_return_val_if_fail (CANOPY_IS_FILE_STORE (self), NULL);

  list = g_ptr_array_new_with_free_func (g_object_unref);
  for (GList *l = self->files.head; l != NULL; l = l->next)
    g_ptr_array_add (list, g_object_ref (l->data));
  return list;
}

guint64
canopy_file_store_get_bytes (CanopyFileStore *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_STORE (self), 0);
  return self->bytes;
}
