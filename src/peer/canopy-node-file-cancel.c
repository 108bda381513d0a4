/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-file-control.h"
#include "canopy-json.h"

/*
 * Withdrawing a file (docs/protocol.md, "Files"): its sender, or the room's host as moderation,
 * signs a `file-cancel` that floods on `ctrl` like the offer. A node takes it only from one of
 * those two (the manifest names the sender, the server named the host), drops the file from its
 * store and every lane, says `file-failed` `cancelled`, and passes it on. It remembers the
 * cancel as long as a store keeps a file, so that a late offer of it (from a neighbour that
 * missed the cancel) is answered with the cancel instead of taken, and late chunks go nowhere.
 */

#define CANCELS_MAX 1024                          /* remembered at once; the oldest go first */
#define CANCEL_KEEP_US ((gint64) CANOPY_FILE_STORE_AGE_S * G_USEC_PER_SEC)

/* When a remembered cancel was taken, kept on its message. */
#define TAKEN_AT "canopy-taken-at"

static gint64
taken_at (JsonObject *message)
{
  return json_object_get_int_member_with_default (message, TAKEN_AT, 0);
}

static void
remember (CanopyNode *self,
          const char *id,
          JsonObject *message)
{
  JsonObject *kept = json_object_new ();
  GList *members = json_object_get_members (message);

  /* The message as it came, plus when we took it (never sent: see send_cancel). */
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (kept, l->data, json_object_dup_member (message, l->data));
  g_list_free (members);
  json_object_set_int_member (kept, TAKEN_AT, g_get_monotonic_time ());
  if (g_hash_table_size (self->cancelled) >= CANCELS_MAX) {
    GHashTableIter iter;
    gpointer key, value;
    const char *oldest = NULL;
    gint64 oldest_at = G_MAXINT64;

    g_hash_table_iter_init (&iter, self->cancelled);
    while (g_hash_table_iter_next (&iter, &key, &value))
      if (taken_at (value) < oldest_at) {
        oldest_at = taken_at (value);
        oldest = key;
      }
    g_hash_table_remove (self->cancelled, oldest);
  }
  g_hash_table_replace (self->cancelled, g_strdup (id), kept);
}

static void
send_cancel (CanopyLink *link,
             JsonObject *kept)
{
  g_autoptr (JsonObject) message = json_object_new ();
  GList *members = json_object_get_members (kept);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, TAKEN_AT))
      json_object_set_member (message, l->data, json_object_dup_member (kept, l->data));
  g_list_free (members);
  canopy_link_send (link, message);
}

/* A cancel that holds: the file goes everywhere, and the cancel on to every other neighbour. */
static void
apply (CanopyNode *self,
       CanopyLink *from,
       const char *id,
       JsonObject *message)
{
  g_autoptr (GPtrArray) links = canopy_node_files_links (self);
  g_autofree char *file_id = g_strdup (id);
  gboolean held;

  remember (self, file_id, message);
  held = canopy_file_store_remove (self->files, file_id);
  canopy_node_files_forget (self, file_id);
  for (guint i = 0; i < links->len; i++)
    if (g_ptr_array_index (links, i) != from)
      send_cancel (g_ptr_array_index (links, i), g_hash_table_lookup (self->cancelled, file_id));
  if (held) {
    g_message ("File %s was cancelled", file_id);
    canopy_node_emit_file_failed (self, file_id, "cancelled");
  }
}

/**
 * canopy_node_files_handle_cancel:
 * @self: a node in a room
 * @link: where it came from
 * @message: an untrusted `file-cancel`
 *
 * Takes a cancel signed by the file's sender or the room's host; refuses (and counts) one
 * signed by anybody else, or not signed by whom it names.
 */
void
canopy_node_files_handle_cancel (CanopyNode *self,
                                 CanopyLink *link,
                                 JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyFileCancel) cancel = NULL;
  CanopyFileTransfer *transfer;
  const char *host = self->room != NULL ? canopy_room_get_host (self->room) : NULL;
  gboolean by_host, by_sender;

  cancel = canopy_file_cancel_check (message, self->room_id, &error);
  if (cancel == NULL) {
    if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN))
      canopy_node_files_refuse (self, link, error->message);
    else
      g_message ("Bad file cancel from %s: %s", canopy_link_get_peer_id (link), error->message);
    return;
  }
  if (g_hash_table_contains (self->cancelled, cancel->id))
    return; /* a repeat */
  transfer = canopy_file_store_lookup (self->files, cancel->id);
  by_host = host != NULL && g_str_equal (cancel->by, host);
  by_sender = transfer != NULL &&
              g_str_equal (cancel->by, canopy_file_transfer_get_manifest (transfer)->sender);
  if (!by_host && !by_sender) {
    /* A file we do not hold: whose it was we cannot tell, and it needs no cancelling here. */
    if (transfer != NULL)
      canopy_node_files_refuse (self, link, "a file cancel by neither its sender nor the host");
    return;
  }
  apply (self, link, cancel->id, message);
}

/**
 * canopy_node_files_is_cancelled:
 * @self: a node
 * @id: a file id
 * @link: (nullable): a neighbour that offered @id: told of the cancel when there is one
 *
 * Returns: whether @id was cancelled lately (its offers and chunks are dropped)
 */
gboolean
canopy_node_files_is_cancelled (CanopyNode *self,
                                const char *id,
                                CanopyLink *link)
{
  JsonObject *kept = g_hash_table_lookup (self->cancelled, id);

  if (kept == NULL)
    return FALSE;
  if (link != NULL)
    send_cancel (link, kept);
  return TRUE;
}

/**
 * canopy_node_files_forget_cancels:
 * @self: a node
 * @now: monotonic µs
 *
 * Forgets the cancels older than any store keeps a file.
 */
void
canopy_node_files_forget_cancels (CanopyNode *self,
                                  gint64      now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->cancelled);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - taken_at (value) > CANCEL_KEEP_US)
      g_hash_table_iter_remove (&iter);
}

/**
 * canopy_node_cancel_file:
 * @self: a node in a room
 * @id: a file it shared, or, for the host, any file shared in the room
 * @error: return location for a #GError
 *
 * Withdraws the file from the whole room: every node drops it (what is still on its way
 * stops), and says #CanopyNode::file-failed with the reason "cancelled" (this node too).
 * Bytes already saved somewhere stay there.
 *
 * Returns: %TRUE when the cancel went out (or the file was cancelled already); %FALSE with
 *   @error set (%CANOPY_ERROR_NOT_IN_ROOM, %CANOPY_ERROR_UNKNOWN_FILE, or
 *   %CANOPY_ERROR_FORBIDDEN for somebody else's file)
 */
gboolean
canopy_node_cancel_file (CanopyNode *self,
                         const char *id,
                         GError    **error)
{
  g_autoptr (JsonObject) message = NULL;
  CanopyFileTransfer *transfer;
  gboolean host;

  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (self->room_id == NULL || self->identity == NULL || self->peer_id == NULL) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM, "Not in a room");
    return FALSE;
  }
  if (g_hash_table_contains (self->cancelled, id))
    return TRUE;
  transfer = canopy_file_store_lookup (self->files, id);
  host = self->role == CANOPY_NODE_ROLE_HOST;
  if (transfer == NULL) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_FILE, "No file %s is kept here", id);
    return FALSE;
  }
  if (!host && !g_str_equal (canopy_file_transfer_get_manifest (transfer)->sender,
                             self->peer_id)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN,
                         "Only its sender or the host can cancel a file");
    return FALSE;
  }
  message = canopy_file_cancel_make (self->identity, self->room_id, id,
                                     g_get_real_time () / 1000);
  apply (self, NULL, id, message);
  return TRUE;
}
