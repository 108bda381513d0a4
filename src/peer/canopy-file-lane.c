/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFileLane"

#include "canopy-file-lane.h"

/*
 * The chunks one edge's `file` channel has yet to send, and the pace it sends them at. What is
 * due is a bitmap per file, not a queue: a chunk asked for twice (forwarded as it came and
 * wanted again by a neighbour that resumes) is sent once, and however often a neighbour asks,
 * the lane never holds more than the files the node keeps. Files go oldest first, chunks in
 * order.
 *
 * A neighbour is due chunks of a file only once it asked for that file (its `file-want` on this
 * link): a peer that takes no files (a browser) is never sent any, and a node that refused an
 * offer (over the room's limit, cancelled) is not sent its chunks.
 *
 * Two limits keep files behind the video. Backpressure: above CANOPY_FILE_BUFFER_HIGH bytes
 * buffered in the channel the lane pauses, and goes on when the channel says it fell below
 * CANOPY_FILE_BUFFER_LOW (CanopyEdge::file-drained). A rate: at most rate_bytes a second, with
 * a burst of a quarter second, so that a fast link does not fill the path the media shares.
 */

#define RETRY_MS 200         /* a pause is checked again this often even without a drain */

typedef struct {
  CanopyFileTransfer *transfer;
  guint8 *due;
  guint n_due;
  guint lowest;              /* no chunk below this is due */
} LaneFile;

struct _CanopyFileLane {
  GObject parent_instance;

  CanopyEdge *edge;          /* not owned: the link owns both */
  guint64 rate_bytes;
  double tokens;
  gint64 tokens_at;
  GQueue files;              /* LaneFile, oldest first */
  GHashTable *wanted;        /* file ids the neighbour asked for (each one the node holds) */
  guint64 queued;
  guint64 sent;
  guint64 pauses;
  gboolean paused;
  guint timer_id;
  gboolean closed;
};

G_DEFINE_FINAL_TYPE (CanopyFileLane, canopy_file_lane, G_TYPE_OBJECT)

static void
lane_file_free (gpointer data)
{
  LaneFile *file = data;

  g_object_unref (file->transfer);
  g_free (file->due);
  g_free (file);
}

static gboolean
on_timer (gpointer user_data)
{
  CanopyFileLane *self = user_data;

  self->timer_id = 0;
  canopy_file_lane_pump (self);
  return G_SOURCE_REMOVE;
}

static void
wait_ms (CanopyFileLane *self,
         guint           ms)
{
  if (self->timer_id == 0)
    self->timer_id = g_timeout_add (MAX (ms, 1), on_timer, self);
}

static void
canopy_file_lane_dispose (GObject *object)
{
  CanopyFileLane *self = CANOPY_FILE_LANE (object);

  canopy_file_lane_close (self);
  G_OBJECT_CLASS (canopy_file_lane_parent_class)->dispose (object);
}

static void
canopy_file_lane_finalize (GObject *object)
{
  CanopyFileLane *self = CANOPY_FILE_LANE (object);

  g_clear_pointer (&self->wanted, g_hash_table_unref);
  G_OBJECT_CLASS (canopy_file_lane_parent_class)->finalize (object);
}

static void
canopy_file_lane_class_init (CanopyFileLaneClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = canopy_file_lane_dispose;
  G_OBJECT_CLASS (klass)->finalize = canopy_file_lane_finalize;
}

static void
canopy_file_lane_init (CanopyFileLane *self)
{
  g_queue_init (&self->files);
  self->wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * canopy_file_lane_new:
 * @edge: the edge whose `file` channel it feeds; must outlive the lane or see it closed first
 * @rate_bytes: at most this many bytes a second
 *
 * Returns: (transfer full): an empty lane
 */
CanopyFileLane *
canopy_file_lane_new (CanopyEdge *edge,
                      guint64     rate_bytes)
{
  CanopyFileLane *self;

  g_return_val_if_fail (CANOPY_IS_EDGE (edge), NULL);
  g_return_val_if_fail (rate_bytes > 0, NULL);

  self = g_object_new (CANOPY_TYPE_FILE_LANE, NULL);
  self->edge = edge;
  self->rate_bytes = rate_bytes;
  self->tokens = (double) rate_bytes / 4;
  self->tokens_at = g_get_monotonic_time ();
  return self;
}

static LaneFile *
find_file (CanopyFileLane     *self,
           CanopyFileTransfer *transfer)
{
  for (GList *l = self->files.head; l != NULL; l = l->next)
    if (((LaneFile *) l->data)->transfer == transfer)
      return l->data;
  return NULL;
}

/**
 * canopy_file_lane_push:
 * @self: a lane
 * @transfer: a file the node holds
 * @index: a chunk of it the node holds
 *
 * Makes the chunk due on this edge (once, however often it is pushed before it is sent) and
 * sends what the pace allows.
 */
void
canopy_file_lane_push (CanopyFileLane     *self,
                       CanopyFileTransfer *transfer,
                       guint               index)
{
  const CanopyFileManifest *manifest;
  LaneFile *file;

  g_return_if_fail (CANOPY_IS_FILE_LANE (self));
  manifest = canopy_file_transfer_get_manifest (transfer);
  g_return_if_fail (index < manifest->n_chunks);

  if (self->closed)
    return;
  file = find_file (self, transfer);
  if (file == NULL) {
    file = g_new0 (LaneFile, 1);
    file->transfer = g_object_ref (transfer);
    file->due = g_malloc0 ((manifest->n_chunks + 7) / 8);
    file->lowest = manifest->n_chunks;
    g_queue_push_tail (&self->files, file);
  }
  if (file->due[index / 8] & (0x80 >> (index % 8)))
    return;
  file->due[index / 8] |= 0x80 >> (index % 8);
  file->n_due++;
  file->lowest = MIN (file->lowest, index);
  self->queued++;
  canopy_file_lane_pump (self);
}

/* The next due chunk, taken off the lane; FALSE when none is. */
static gboolean
take_next (CanopyFileLane      *self,
           CanopyFileTransfer **transfer,
           guint               *index)
{
  LaneFile *file;

  while ((file = g_queue_peek_head (&self->files)) != NULL) {
    guint n = canopy_file_transfer_get_manifest (file->transfer)->n_chunks;

    for (guint i = file->lowest; i < n && file->n_due > 0; i++) {
      if (file->due[i / 8] & (0x80 >> (i % 8))) {
        file->due[i / 8] &= ~(0x80 >> (i % 8));
        file->n_due--;
        file->lowest = i + 1;
        self->queued--;
        *transfer = g_object_ref (file->transfer);
        *index = i;
        if (file->n_due == 0)
          lane_file_free (g_queue_pop_head (&self->files));
        return TRUE;
      }
    }
    lane_file_free (g_queue_pop_head (&self->files));
  }
  return FALSE;
}

/**
 * canopy_file_lane_pump:
 * @self: a lane
 *
 * Sends due chunks while the channel is open, its buffer under the high mark and the rate
 * allows; otherwise waits (for the channel to drain, or for the rate). Call it when the
 * `file` channel opens or drains.
 */
void
canopy_file_lane_pump (CanopyFileLane *self)
{
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (CANOPY_IS_FILE_LANE (self));

  if (self->closed || !canopy_edge_is_open (self->edge, CANOPY_EDGE_FILE))
    return;
  /* A quarter second of burst, and never less than a frame: a slow rate still sends. */
  self->tokens = MIN (MAX ((double) self->rate_bytes / 4, CANOPY_FILE_FRAME_BYTES),
                      self->tokens + (double) self->rate_bytes * (now - self->tokens_at) / 1e6);
  self->tokens_at = now;
  while (self->files.length > 0) {
    g_autoptr (CanopyFileTransfer) transfer = NULL;
    g_autoptr (GBytes) frame = NULL;
    guint index;

    if (canopy_edge_get_file_buffered (self->edge) > CANOPY_FILE_BUFFER_HIGH) {
      if (!self->paused)
        self->pauses++;
      self->paused = TRUE;
      wait_ms (self, RETRY_MS);
      return;
    }
    self->paused = FALSE;
    if (self->tokens < CANOPY_FILE_FRAME_BYTES) {
      wait_ms (self, (guint) ((CANOPY_FILE_FRAME_BYTES - self->tokens) * 1000 /
                              self->rate_bytes) + 1);
      return;
    }
    if (!take_next (self, &transfer, &index))
      return;
    frame = canopy_file_transfer_get_frame (transfer, index);
    if (frame == NULL || !canopy_edge_send_frame (self->edge, frame))
      continue;
    self->tokens -= (double) g_bytes_get_size (frame);
    self->sent += g_bytes_get_size (frame);
  }
}

/**
 * canopy_file_lane_close:
 * @self: a lane
 *
 * Forgets everything due and stops for good. Idempotent.
 */
void
canopy_file_lane_close (CanopyFileLane *self)
{
  g_return_if_fail (CANOPY_IS_FILE_LANE (self));

  self->closed = TRUE;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_queue_clear_full (&self->files, lane_file_free);
  g_hash_table_remove_all (self->wanted);
  self->queued = 0;
}

/**
 * canopy_file_lane_want:
 * @self: a lane
 * @id: a file the node holds, which the neighbour asked for
 *
 * From now on the chunks of @id the node gets are due on this edge too
 * (canopy_file_lane_pass()).
 */
void
canopy_file_lane_want (CanopyFileLane *self,
                       const char     *id)
{
  g_return_if_fail (CANOPY_IS_FILE_LANE (self));
  g_return_if_fail (id != NULL);

  if (!self->closed)
    g_hash_table_add (self->wanted, g_strdup (id));
}

/**
 * canopy_file_lane_wants:
 * @self: a lane
 * @id: a file id
 *
 * Returns: whether the neighbour asked for @id on this edge
 */
gboolean
canopy_file_lane_wants (CanopyFileLane *self,
                        const char     *id)
{
  g_return_val_if_fail (CANOPY_IS_FILE_LANE (self), FALSE);
  return id != NULL && g_hash_table_contains (self->wanted, id);
}

/**
 * canopy_file_lane_pass:
 * @self: a lane
 * @transfer: a file the node holds
 * @index: a chunk of it the node just got
 *
 * Makes the chunk due (canopy_file_lane_push()) if the neighbour asked for this file; nothing
 * otherwise.
 */
void
canopy_file_lane_pass (CanopyFileLane     *self,
                       CanopyFileTransfer *transfer,
                       guint               index)
{
  g_return_if_fail (CANOPY_IS_FILE_LANE (self));

  if (canopy_file_lane_wants (self, canopy_file_transfer_get_manifest (transfer)->id))
    canopy_file_lane_push (self, transfer, index);
}

/**
 * canopy_file_lane_forget:
 * @self: a lane
 * @id: a file id
 *
 * Sends nothing more of @id (what was due is dropped) and forgets that the neighbour asked for
 * it: the file was cancelled, or the node no longer keeps it.
 */
void
canopy_file_lane_forget (CanopyFileLane *self,
                         const char     *id)
{
  g_return_if_fail (CANOPY_IS_FILE_LANE (self));
  g_return_if_fail (id != NULL);

  g_hash_table_remove (self->wanted, id);
  for (GList *l = self->files.head; l != NULL; l = l->next) {
    LaneFile *file = l->data;

    if (g_str_equal (canopy_file_transfer_get_manifest (file->transfer)->id, id)) {
      self->queued -= file->n_due;
      g_queue_delete_link (&self->files, l);
      lane_file_free (file);
      return;
    }
  }
}

guint64
canopy_file_lane_get_queued (CanopyFileLane *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_LANE (self), 0);
  return self->queued;
}

guint64
canopy_file_lane_get_sent (CanopyFileLane *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_LANE (self), 0);
  return self->sent;
}

guint64
canopy_file_lane_get_pauses (CanopyFileLane *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_LANE (self), 0);
  return self->pauses;
}

/**
 * canopy_file_lane_set_rate:
 * @self: a lane
 * @rate_bytes: at most this many bytes a second from now on
 */
void
canopy_file_lane_set_rate (CanopyFileLane *self,
                           guint64         rate_bytes)
{
  g_return_if_fail (CANOPY_IS_FILE_LANE (self));
  g_return_if_fail (rate_bytes > 0);

  self->rate_bytes = rate_bytes;
  self->tokens = MIN (self->tokens, (double) rate_bytes / 4);
}
