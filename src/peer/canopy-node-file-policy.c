/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-file-control.h"

/*
 * The host's word on files (docs/protocol.md, "Files"): whether members may share them, and
 * the largest one. The host signs it like its map and mute list, and it comes down the tree
 * from parent to child (a new child gets it when its link opens), so no relay can forge or
 * alter it. Every node enforces it: an offer while files are off, or over the limit, is dropped
 * and goes no further, and a member's own share fails at once. Files already taken go on.
 */

/* The policy changed: tell whoever watches. */
static void
set_policy (CanopyNode *self,
            gboolean    allowed,
            guint64     max_size)
{
  gboolean changed_allowed = self->files_allowed != allowed;
  gboolean changed_max = self->max_file_size != max_size;

  self->files_allowed = allowed;
  self->max_file_size = max_size;
  if (changed_allowed || changed_max)
    canopy_node_notify_file_policy (self, changed_allowed, changed_max);
}

/**
 * canopy_node_files_handle_policy:
 * @self: a viewer in a room
 * @link: its parent
 * @message: an untrusted `file-policy`
 *
 * Takes the host's newer policy and passes it on; one the host did not sign is refused and
 * counted (canopy_node_files_refuse()).
 */
void
canopy_node_files_handle_policy (CanopyNode *self,
                                 CanopyLink *link,
                                 JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  const char *host = self->room != NULL ? canopy_room_get_host (self->room) : NULL;
  guint64 version = 0, max_size = 0;
  gboolean allowed = TRUE;

  if (self->role == CANOPY_NODE_ROLE_HOST || link != self->parent)
    return;
  if (!canopy_file_policy_check (message, self->room_id, host, &version, &allowed, &max_size,
                                 &error)) {
    if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN))
      canopy_node_files_refuse (self, link, "a file policy the host did not sign");
    else
      g_message ("Bad file policy from the parent: %s", error->message);
    return;
  }
  if (version <= self->file_policy_version)
    return;
  self->file_policy_version = version;
  g_clear_pointer (&self->file_policy, json_object_unref);
  self->file_policy = json_object_ref (message);
  g_message ("The host's file policy %" G_GUINT64_FORMAT ": files %s, at most %" G_GUINT64_FORMAT
             " bytes", version, allowed ? "on" : "off", max_size);
  for (guint i = 0; i < self->children->len; i++)
    canopy_node_files_send_policy (self, g_ptr_array_index (self->children, i));
  set_policy (self, allowed, max_size);
}

/**
 * canopy_node_files_send_policy:
 * @self: a node
 * @child: a child whose link opened
 *
 * Sends the host's policy, if the host ever set one (otherwise the defaults hold).
 */
void
canopy_node_files_send_policy (CanopyNode *self,
                               CanopyLink *child)
{
  if (self->file_policy == NULL && self->role == CANOPY_NODE_ROLE_HOST &&
      self->file_policy_version > 0 && self->room_id != NULL && self->identity != NULL)
    self->file_policy = canopy_file_policy_make (self->identity, self->room_id,
                                                 self->file_policy_version, self->files_allowed,
                                                 self->max_file_size);
  if (self->file_policy != NULL)
    canopy_link_send (child, self->file_policy);
}

/**
 * canopy_node_set_file_policy:
 * @self: the host
 * @allowed: whether members may share files
 * @max_size: the largest file they may share, in bytes: 1 to 1 GiB (%CANOPY_FILE_SIZE_MAX;
 *   clamped); the default is 100 MiB (%CANOPY_FILE_SIZE_DEFAULT_MAX)
 *
 * Signs the policy and sends it down the tree; every member enforces it from then on (offers
 * that break it go nowhere, and a member's own share fails at once). Files already on their way
 * go on. Before the room exists, it goes to the first children.
 */
void
canopy_node_set_file_policy (CanopyNode *self,
                             gboolean    allowed,
                             guint64     max_size)
{
  g_return_if_fail (CANOPY_IS_NODE (self));
  g_return_if_fail (self->role == CANOPY_NODE_ROLE_HOST);

  allowed = !!allowed;
  max_size = CLAMP (max_size, 1, (guint64) CANOPY_FILE_SIZE_MAX);
  if (allowed == self->files_allowed && max_size == self->max_file_size)
    return;
  self->file_policy_version++;
  g_clear_pointer (&self->file_policy, json_object_unref);
  set_policy (self, allowed, max_size);
  for (guint i = 0; self->room_id != NULL && i < self->children->len; i++)
    canopy_node_files_send_policy (self, g_ptr_array_index (self->children, i));
}

/**
 * canopy_node_get_files_allowed:
 * @self: a node
 *
 * Returns: whether the host lets members share files (as this node last heard;
 *   #CanopyNode:files-allowed)
 */
gboolean
canopy_node_get_files_allowed (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);
  return self->files_allowed;
}

/**
 * canopy_node_get_file_max_size:
 * @self: a node
 *
 * Returns: the largest file the host lets members share, in bytes (#CanopyNode:file-max-size)
 */
guint64
canopy_node_get_file_max_size (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  return self->max_file_size;
}
