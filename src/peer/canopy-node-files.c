/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-json.h"

/*
 * Files through the tree (docs/protocol.md, "Files"). An offer (the sender's signed manifest)
 * floods like chat on `ctrl`: checked first, kept in the node's store, passed to every other
 * neighbour. Chunks follow on each edge's `file` channel: each one that matches its hash is
 * kept and at once made due on the lane (which paces it, see CanopyFileLane) of every other
 * neighbour that asked for that file (its `file-want`); repeats and chunks that fail their
 * hash go no further. Every node that takes an offer asks its sender for the file at once, so a
 * neighbour that takes no files (a browser) is never sent a chunk.
 *
 * Cancels (canopy-node-file-cancel.c) and the host's policy (canopy-node-file-policy.c) live
 * apart.
 *
 * Resuming: when a link opens, each side offers the files it keeps (marked `old`) and asks,
 * with `file-want` and a bitmap of what it has, for the rest of every file it holds
 * incomplete; an old offer new to a node is asked for whole. A neighbour answers a want with
 * the chunks it has that the bitmap lacks. So a late joiner gets the files of the last minutes
 * from its parent, a node whose parent crashed gets the rest from its new one, and the new
 * parent gets from the moved subtree what it lacks. A file that makes no progress for a while
 * is asked for again from every neighbour, which also recovers chunks that came before their
 * offer (the two channels are not ordered with each other).
 */

#define PROGRESS_INTERVAL_US (200 * 1000) /* file-progress at most this often per file */
#define STALL_US (2 * G_USEC_PER_SEC)       /* no new chunk this long: ask again */
#define UNKNOWN_MAX 256                     /* ids whose chunks came before their offer */
/* A parent that passes on this many chunks their sender did not sign is left and reported:
 * an honest relay only passes on chunks it checked, so this is no accident. */
#define FORGED_CHUNKS_MAX 8

/**
 * canopy_node_files_links:
 * @self: a node
 *
 * Returns: (transfer container): the parent (if any) and the children, each referenced
 */
GPtrArray *
canopy_node_files_links (CanopyNode *self)
{
  GPtrArray *links = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->parent != NULL)
    g_ptr_array_add (links, g_object_ref (self->parent));
  for (guint i = 0; i < self->children->len; i++)
    g_ptr_array_add (links, g_object_ref (g_ptr_array_index (self->children, i)));
  return links;
}

static void
send_offer (CanopyLink               *link,
            const CanopyFileManifest *manifest,
            gboolean                  old)
{
  g_autoptr (CanopyFileManifest) copy = canopy_file_manifest_copy (manifest);
  g_autoptr (JsonObject) json = NULL;

  copy->hops = MIN (copy->hops + 1, CANOPY_CHAT_HOPS_MAX);
  json = canopy_file_manifest_to_json (copy);
  if (old)
    json_object_set_boolean_member (json, "old", TRUE);
  canopy_link_send (link, json);
}

static void
send_want (CanopyLink         *link,
           CanopyFileTransfer *transfer)
{
  g_autoptr (JsonObject) json = json_object_new ();
  g_autofree char *have = canopy_file_transfer_get_have (transfer);

  json_object_set_string_member (json, "type", "file-want");
  json_object_set_string_member (json, "id", canopy_file_transfer_get_manifest (transfer)->id);
  json_object_set_string_member (json, "have", have);
  canopy_link_send (link, json);
}

/* Progress, throttled; the end is always told. */
static void
tell_progress (CanopyNode         *self,
               CanopyFileTransfer *transfer,
               gboolean            force)
{
  const CanopyFileManifest *manifest = canopy_file_transfer_get_manifest (transfer);
  gint64 now = g_get_monotonic_time ();
  gint64 *told = g_hash_table_lookup (self->file_progress, manifest->id);

  if (told == NULL) {
    told = g_new0 (gint64, 1);
    g_hash_table_insert (self->file_progress, g_strdup (manifest->id), told);
  }
  if (!force && now - *told < PROGRESS_INTERVAL_US)
    return;
  *told = now;
  canopy_node_emit_file_progress (self, manifest->id,
                                  canopy_file_transfer_get_bytes_have (transfer), manifest->size);
}

static void
finish (CanopyNode         *self,
        CanopyFileTransfer *transfer)
{
  const CanopyFileManifest *manifest = canopy_file_transfer_get_manifest (transfer);
  g_autoptr (GBytes) contents = NULL;

  tell_progress (self, transfer, TRUE);
  g_hash_table_remove (self->file_progress, manifest->id);
  if (canopy_file_transfer_get_state (transfer) == CANOPY_FILE_STATE_FAILED) {
    g_message ("File %s from %s does not match its hash", manifest->id, manifest->sender);
    canopy_node_emit_file_failed (self, manifest->id, "hash-mismatch");
    return;
  }
  contents = canopy_file_transfer_get_contents (transfer);
  canopy_node_emit_file_complete (self, manifest, contents);
}

static void
handle_offer (CanopyNode *self,
              CanopyLink *link,
              JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyFileManifest) manifest = NULL;
  g_autoptr (CanopyFileTransfer) transfer = NULL;
  g_autoptr (GPtrArray) links = NULL;

  if (!self->takes_files)
    return;
  if (!self->files_allowed) {
    g_message ("Dropping a file offer from %s: the host turned files off",
               canopy_link_get_peer_id (link));
    return;
  }
  manifest = canopy_file_manifest_new_from_json (message, self->max_file_size, &error);
  if (manifest == NULL) {
    g_message ("Bad file offer from %s: %s", canopy_link_get_peer_id (link), error->message);
    return;
  }
  if (canopy_file_store_lookup (self->files, manifest->id) != NULL)
    return; /* a repeat: what we lack of it was asked for when the link opened */
  if (canopy_node_files_is_cancelled (self, manifest->id, link))
    return;
  if (!canopy_file_manifest_verify (manifest, self->room_id)) {
    self->files_refused++;
    g_message ("Dropping file offer from %s: not signed by its sender %s",
               canopy_link_get_peer_id (link), manifest->sender);
    return;
  }
  transfer = canopy_file_transfer_new (manifest);
  if (!canopy_file_store_add (self->files, transfer, g_get_monotonic_time (), &error)) {
    g_message ("Not taking file %s: %s", manifest->id, error->message);
    return;
  }
  canopy_node_emit_file_offered (self, manifest);
  links = canopy_node_files_links (self);
  for (guint i = 0; i < links->len; i++)
    if (g_ptr_array_index (links, i) != link)
      send_offer (g_ptr_array_index (links, i), manifest, FALSE);
  /* Nothing comes unasked: the sender makes the chunks due once we want the file. */
  g_hash_table_remove (self->unknown_files, manifest->id);
  send_want (link, transfer);
}

static void
handle_want (CanopyNode *self,
             CanopyLink *link,
             JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) missing = NULL;
  const char *id = NULL, *have = NULL;
  CanopyFileTransfer *transfer;

  if (!canopy_json_get_string (message, "id", CANOPY_FILE_ID_CHARS, TRUE, &id, &error) ||
      !canopy_json_get_string (message, "have", (CANOPY_FILE_CHUNKS_MAX / 8 + 2) / 3 * 4, TRUE,
                               &have, &error)) {
    g_message ("Bad file want from %s: %s", canopy_link_get_peer_id (link), error->message);
    return;
  }
  transfer = canopy_file_store_lookup (self->files, id);
  if (transfer == NULL)
    return;
  missing = canopy_file_transfer_missing_from (transfer, have, &error);
  if (missing == NULL) {
    g_message ("Bad file want from %s: %s", canopy_link_get_peer_id (link), error->message);
    return;
  }
  /* It takes this file: the chunks we get from now on go to it too. */
  canopy_link_want_file (link, id);
  for (guint i = 0; i < missing->len; i++)
    canopy_link_send_chunk (link, transfer, g_array_index (missing, guint, i));
}

static void
on_link_file (CanopyLink *link,
              JsonObject *message,
              CanopyNode *self)
{
  const char *type = json_object_get_string_member (message, "type");

  if (self->room_id == NULL)
    return;
  if (g_str_equal (type, "file-offer"))
    handle_offer (self, link, message);
  else if (g_str_equal (type, "file-want"))
    handle_want (self, link, message);
  else if (g_str_equal (type, "file-cancel"))
    canopy_node_files_handle_cancel (self, link, message);
  else
    canopy_node_files_handle_policy (self, link, message);
}

/**
 * canopy_node_files_refuse:
 * @self: a node
 * @link: where it came from
 * @why: what was wrong
 *
 * A chunk that is not what its sender signed, or a cancel or policy nobody with the right
 * signed: counted, and a parent that keeps sending them is left for another (its subtree
 * resumes there).
 */
void
canopy_node_files_refuse (CanopyNode *self,
                          CanopyLink *link,
                          const char *why)
{
  /* Logged at 1, 2, 4, 8... so that a flood of them does not flood the log too. */
  self->files_refused++;
  if ((self->files_refused & (self->files_refused - 1)) == 0)
    g_message ("Refusing a file message from %s: %s (%" G_GUINT64_FORMAT " so far)",
               canopy_link_get_peer_id (link), why, self->files_refused);
  if (link == self->parent && ++self->forged_chunks == FORGED_CHUNKS_MAX)
    canopy_node_leave_parent (self, "forged-file", "the parent alters files");
}

static void
on_link_file_frame (CanopyLink *link,
                    GBytes     *frame,
                    CanopyNode *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) links = NULL;
  char id[CANOPY_FILE_ID_CHARS + 1];
  guint32 index;
  const guint8 *data;
  gsize length;
  CanopyFileTransfer *transfer;

  if (!canopy_file_frame_parse (frame, id, &index, &data, &length, &error)) {
    canopy_node_files_refuse (self, link, error->message);
    return;
  }
  transfer = canopy_file_store_lookup (self->files, id);
  if (transfer == NULL && canopy_node_files_is_cancelled (self, id, NULL))
    return;
  if (transfer == NULL) {
    /* Its offer may still be on its way on ctrl: ask for what we missed once it comes. */
    if (g_hash_table_size (self->unknown_files) >= UNKNOWN_MAX)
      g_hash_table_remove_all (self->unknown_files);
    g_hash_table_replace (self->unknown_files, g_strdup (id),
                          g_strdup (canopy_link_get_peer_id (link)));
    return;
  }
  switch (canopy_file_transfer_add_chunk (transfer, index, data, length)) {
  case CANOPY_FILE_CHUNK_NEW:
    break;
  case CANOPY_FILE_CHUNK_DUPLICATE:
    return;
  case CANOPY_FILE_CHUNK_BAD_HASH:
  case CANOPY_FILE_CHUNK_OUT_OF_RANGE:
  default:
    canopy_node_files_refuse (self, link, "not the chunk its sender signed");
    return;
  }
  g_object_set_data (G_OBJECT (transfer), "canopy-chunk-at",
                     GSIZE_TO_POINTER ((gsize) (g_get_monotonic_time () / 1000)));
  links = canopy_node_files_links (self);
  for (guint i = 0; i < links->len; i++)
    if (g_ptr_array_index (links, i) != link)
      canopy_link_pass_chunk (g_ptr_array_index (links, i), transfer, index);
  if (canopy_file_transfer_get_state (transfer) != CANOPY_FILE_STATE_INCOMPLETE)
    finish (self, transfer);
  else
    tell_progress (self, transfer, FALSE);
}

/**
 * canopy_node_files_watch:
 * @self: a node
 * @link: a new link
 *
 * Listens to @link's file offers, wants and chunks.
 */
void
canopy_node_files_watch (CanopyNode *self,
                         CanopyLink *link)
{
  g_signal_connect (link, "file", G_CALLBACK (on_link_file), self);
  g_signal_connect (link, "file-frame", G_CALLBACK (on_link_file_frame), self);
  canopy_link_set_file_rate (link, self->file_rate);
}

/**
 * canopy_node_files_link_open:
 * @self: a node
 * @link: a link whose ctrl channel just opened
 *
 * Offers the neighbour every file we keep and asks it for the rest of those we hold
 * incomplete.
 */
void
canopy_node_files_link_open (CanopyNode *self,
                             CanopyLink *link)
{
  g_autoptr (GPtrArray) files = canopy_file_store_list (self->files);

  if (link != self->parent)
    canopy_node_files_send_policy (self, link);
  for (guint i = 0; i < files->len; i++) {
    CanopyFileTransfer *transfer = g_ptr_array_index (files, i);

    send_offer (link, canopy_file_transfer_get_manifest (transfer), TRUE);
    if (canopy_file_transfer_get_state (transfer) == CANOPY_FILE_STATE_INCOMPLETE)
      send_want (link, transfer);
  }
}

/**
 * canopy_node_files_tick:
 * @self: a node
 *
 * Once a second: forgets files past the store's age, and asks every neighbour again for the
 * files that made no progress lately.
 */
void
canopy_node_files_tick (CanopyNode *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GPtrArray) links = NULL;

  canopy_file_store_expire (self->files, now);
  canopy_node_files_forget_cancels (self, now);
  files = canopy_file_store_list (self->files);
  links = canopy_node_files_links (self);
  for (guint i = 0; i < files->len; i++) {
    CanopyFileTransfer *transfer = g_ptr_array_index (files, i);
    gint64 at = (gint64) GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (transfer),
                                                              "canopy-chunk-at")) * 1000;

    if (canopy_file_transfer_get_state (transfer) != CANOPY_FILE_STATE_INCOMPLETE)
      continue;
    at = MAX (at, canopy_file_transfer_get_added_at (transfer));
    if (now - at < STALL_US)
      continue;
    g_object_set_data (G_OBJECT (transfer), "canopy-chunk-at", GSIZE_TO_POINTER ((gsize) (now / 1000)));
    for (guint j = 0; j < links->len; j++)
      if (canopy_link_is_open (g_ptr_array_index (links, j)))
        send_want (g_ptr_array_index (links, j), transfer);
  }
}

/* The part of sharing that touches no node state, so that it may run in a thread: reads @path,
 * hashes it, signs its manifest. */
static CanopyFileTransfer *
prepare_share (CanopyIdentity *identity,
               const char     *room_id,
               guint64         max_size,
               const char     *path,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GBytes) contents = NULL;
  g_autoptr (CanopyFileManifest) manifest = NULL;
  g_autofree char *mime = NULL;
  g_autofree char *basename = NULL;
  const char *content_type;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE, cancellable,
                            error);
  if (info == NULL)
    return NULL;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR || g_file_info_get_size (info) < 1) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "Only a regular file of at least 1 byte can be shared");
    return NULL;
  }
  if ((guint64) g_file_info_get_size (info) > max_size) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "The file is larger than this room's limit of %" G_GUINT64_FORMAT " bytes",
                 max_size);
    return NULL;
  }
  contents = g_file_load_bytes (file, cancellable, NULL, error);
  if (contents == NULL)
    return NULL;
  content_type = g_file_info_get_content_type (info);
  mime = content_type != NULL ? g_content_type_get_mime_type (content_type) : NULL;
  basename = g_file_get_basename (file);
  manifest = canopy_file_manifest_new_for_bytes (identity, room_id, basename,
                                                 mime != NULL ? mime : "application/octet-stream",
                                                 contents, CANOPY_FILE_CHUNK_DEFAULT,
                                                 g_get_real_time () / 1000, error);
  if (manifest == NULL)
    return NULL;
  return canopy_file_transfer_new_complete (manifest, contents, error);
}

/* Whether the node may share now: in a room, files on. */
static gboolean
check_can_share (CanopyNode *self,
                 GError    **error)
{
  if (self->room_id == NULL || self->identity == NULL) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM, "Not in a room");
    return FALSE;
  }
  if (!self->files_allowed) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_FILES_OFF,
                         "The host turned sharing files off in this room");
    return FALSE;
  }
  return TRUE;
}

/* The rest, on the node's main context: keep it and offer it to every neighbour. */
static char *
offer_share (CanopyNode         *self,
             CanopyFileTransfer *transfer,
             GError            **error)
{
  const CanopyFileManifest *manifest = canopy_file_transfer_get_manifest (transfer);
  g_autoptr (GPtrArray) links = NULL;

  if (!canopy_file_store_add (self->files, transfer, g_get_monotonic_time (), error))
    return NULL;
  canopy_node_emit_file_offered (self, manifest);
  /* Each neighbour that takes it answers with a want: its chunks go then. */
  links = canopy_node_files_links (self);
  for (guint i = 0; i < links->len; i++)
    send_offer (g_ptr_array_index (links, i), manifest, FALSE);
  return g_strdup (manifest->id);
}

/**
 * canopy_node_share_file:
 * @self: a node in a room
 * @path: a file of 1 byte to the room's limit (100 MiB unless the host said less)
 * @error: return location for a #GError
 *
 * Offers the file to the room: signs its manifest, keeps it in the store for late joiners and
 * sends it to every neighbour, chunk by chunk. It reads and hashes the file before it returns:
 * an app calls canopy_node_share_file_async() instead.
 *
 * Returns: (transfer full): the file's id, or %NULL with @error set
 */
char *
canopy_node_share_file (CanopyNode *self,
                        const char *path,
                        GError    **error)
{
  g_autoptr (CanopyFileTransfer) transfer = NULL;

  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (!check_can_share (self, error))
    return NULL;
  transfer = prepare_share (self->identity, self->room_id, self->max_file_size, path, NULL,
                            error);
  if (transfer == NULL)
    return NULL;
  return offer_share (self, transfer, error);
}

typedef struct {
  CanopyIdentity *identity;
  char *room_id;
  guint64 max_size;
  char *path;
} ShareData;

static void
share_data_free (gpointer data)
{
  ShareData *share = data;

  g_clear_object (&share->identity);
  g_free (share->room_id);
  g_free (share->path);
  g_free (share);
}

static void
share_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ShareData *share = task_data;
  GError *error = NULL;
  CanopyFileTransfer *transfer = prepare_share (share->identity, share->room_id,
                                                share->max_size, share->path, cancellable,
                                                &error);

  if (transfer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, transfer, g_object_unref);
}

/**
 * canopy_node_share_file_async:
 * @self: a node in a room
 * @path: a file of 1 byte to the room's limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the caller's main context when the file is offered or could not be
 * @user_data: for @callback
 *
 * What canopy_node_share_file() does, but the file is read, hashed and signed in a thread, so
 * the main loop goes on while a large file is read. Call canopy_node_share_file_finish().
 */
void
canopy_node_share_file_async (CanopyNode          *self,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  GError *error = NULL;
  ShareData *share;

  g_return_if_fail (CANOPY_IS_NODE (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, canopy_node_share_file_async);
  if (!check_can_share (self, &error)) {
    g_task_return_error (task, error);
    return;
  }
  share = g_new0 (ShareData, 1);
  share->identity = g_object_ref (self->identity);
  share->room_id = g_strdup (self->room_id);
  share->max_size = self->max_file_size;
  share->path = g_strdup (path);
  g_task_set_task_data (task, share, share_data_free);
  g_task_run_in_thread (task, share_thread);
}

/**
 * canopy_node_share_file_finish:
 * @self: a node
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Offers the file read in the thread to the room, unless the node left that room meanwhile or
 * the host's policy changed against it.
 *
 * Returns: (transfer full): the file's id, or %NULL with @error set
 */
char *
canopy_node_share_file_finish (CanopyNode    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr (CanopyFileTransfer) transfer = NULL;
  ShareData *share;

  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  transfer = g_task_propagate_pointer (G_TASK (result), error);
  if (transfer == NULL || !check_can_share (self, error))
    return NULL;
  share = g_task_get_task_data (G_TASK (result));
  if (g_strcmp0 (share->room_id, self->room_id) != 0) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM,
                         "Left the room before the file was read");
    return NULL;
  }
  if (canopy_file_transfer_get_manifest (transfer)->size > self->max_file_size) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "The file is larger than this room's limit of %" G_GUINT64_FORMAT " bytes",
                 self->max_file_size);
    return NULL;
  }
  return offer_share (self, transfer, error);
}

/**
 * canopy_node_dup_file_contents:
 * @self: a node
 * @id: a file id
 *
 * The bytes of a file the node holds complete, shared by it or received: what a person may save
 * or see again after #CanopyNode::file-complete (or after sharing it).
 *
 * Returns: (transfer full) (nullable): the file, or %NULL when the node does not hold it
 *   complete (unknown, incomplete, failed, cancelled or forgotten)
 */
GBytes *
canopy_node_dup_file_contents (CanopyNode *self,
                               const char *id)
{
  CanopyFileTransfer *transfer;

  g_return_val_if_fail (CANOPY_IS_NODE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  transfer = canopy_file_store_lookup (self->files, id);
  if (transfer == NULL || canopy_file_transfer_get_state (transfer) != CANOPY_FILE_STATE_COMPLETE)
    return NULL;
  return canopy_file_transfer_get_contents (transfer);
}

/**
 * canopy_node_files_forget:
 * @self: a node
 * @id: a file it no longer keeps
 *
 * Sends nothing more of @id on any link, and forgets what the node noted about it.
 */
void
canopy_node_files_forget (CanopyNode *self,
                          const char *id)
{
  g_autoptr (GPtrArray) links = canopy_node_files_links (self);
  g_autofree char *copy = g_strdup (id); /* @id may be the forgotten manifest's */

  for (guint i = 0; i < links->len; i++)
    canopy_link_forget_file (g_ptr_array_index (links, i), copy);
  g_hash_table_remove (self->file_progress, copy);
  g_hash_table_remove (self->unknown_files, copy);
}

/* The store forgot a file (too old, or room for a newer one): a file we were still receiving
 * will not complete, and says so. */
static void
on_file_forgotten (CanopyFileStore    *store,
                   CanopyFileTransfer *transfer,
                   CanopyNode         *self)
{
  const CanopyFileManifest *manifest = canopy_file_transfer_get_manifest (transfer);

  canopy_node_files_forget (self, manifest->id);
  if (canopy_file_transfer_get_state (transfer) == CANOPY_FILE_STATE_INCOMPLETE) {
    g_message ("File %s expired before it completed", manifest->id);
    canopy_node_emit_file_failed (self, manifest->id, "expired");
  }
}

/**
 * canopy_node_files_init:
 * @self: a new node
 *
 * Its store, the defaults of the host's policy (files on, %CANOPY_FILE_SIZE_DEFAULT_MAX), and
 * the cancels it remembers.
 */
void
canopy_node_files_init (CanopyNode *self)
{
  self->files = canopy_file_store_new (CANOPY_FILE_STORE_BYTES, CANOPY_FILE_STORE_FILES,
                                       (gint64) CANOPY_FILE_STORE_AGE_S * G_USEC_PER_SEC);
  g_signal_connect (self->files, "forgotten", G_CALLBACK (on_file_forgotten), self);
  self->file_progress = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->unknown_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cancelled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) json_object_unref);
  self->takes_files = TRUE;
  self->files_allowed = TRUE;
  self->max_file_size = CANOPY_FILE_SIZE_DEFAULT_MAX;
  self->file_rate = CANOPY_FILE_RATE_BYTES;
}

/**
 * canopy_node_files_clear:
 * @self: a node being disposed
 */
void
canopy_node_files_clear (CanopyNode *self)
{
  if (self->files != NULL)
    g_signal_handlers_disconnect_by_data (self->files, self);
  g_clear_object (&self->files);
  g_clear_pointer (&self->file_progress, g_hash_table_unref);
  g_clear_pointer (&self->unknown_files, g_hash_table_unref);
  g_clear_pointer (&self->cancelled, g_hash_table_unref);
  g_clear_pointer (&self->file_policy, json_object_unref);
}

/**
 * canopy_node_set_takes_files:
 * @self: a node that has not started
 * @takes: whether it takes files others share (the default); a node that does not ignores
 *   every offer and is sent no chunk, like a browser viewer
 */
void
canopy_node_set_takes_files (CanopyNode *self,
                             gboolean    takes)
{
  g_return_if_fail (CANOPY_IS_NODE (self));
  self->takes_files = takes;
}

/**
 * canopy_node_get_files_sent:
 * @self: a node
 *
 * Returns: (transfer full): each neighbour's peer id (parent and children) and the bytes of
 *   chunk frames sent to it on the present link so far
 */
JsonObject *
canopy_node_get_files_sent (CanopyNode *self)
{
  JsonObject *sent = json_object_new ();
  g_autoptr (GPtrArray) links = NULL;

  g_return_val_if_fail (CANOPY_IS_NODE (self), sent);
  links = canopy_node_files_links (self);
  for (guint i = 0; i < links->len; i++) {
    CanopyLink *link = g_ptr_array_index (links, i);
    guint64 bytes = 0;

    canopy_link_get_file_stats (link, &bytes, NULL, NULL);
    json_object_set_int_member (sent, canopy_link_get_peer_id (link), (gint64) bytes);
  }
  return sent;
}
