/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

/*
 * Forward error correction where it pays. The host's encoder adds ULPFEC packets once, before
 * its tee (canopy-source.c); they travel the tree like the video, with its sequence numbers,
 * and each viewer's webrtcbin rebuilds from them what its jitterbuffers gave up as lost.
 * Retransmission repairs nearly everything on a link whose wait is a few of its round trips
 * (canopy-repair.c), so FEC is sent only where it still rebuilds something:
 * - a viewer wants it while, in the last %CANOPY_FEC_HOLD_S seconds, its jitterbuffers gave up
 *   a packet that FEC did not rebuild, or FEC rebuilt one;
 * - a relay wants it while it or any child does, and says so to its parent when that changes
 *   ("fec-on", "fec-off" on ctrl);
 * - each parent sends the FEC packets only to the children that want them (stand-ins, a
 *   header with nothing in it, to the others: their sequence numbers stay whole);
 * - the host encodes %CANOPY_FEC_AUTO_PERCENT while any child wants it (its "fec" property
 *   -1), or always the share it was given, or none (0).
 */

/* Whether this node or its subtree wants FEC now. */
static gboolean
wanted (CanopyNode *self)
{
  if (g_get_monotonic_time () < self->fec_until)
    return TRUE;
  for (guint i = 0; i < self->children->len; i++)
    if (canopy_link_wants_fec (g_ptr_array_index (self->children, i)))
      return TRUE;
  return FALSE;
}

/**
 * canopy_node_fec_update:
 * @self: a node
 *
 * After a child said what it wants, or the host's setting changed: the host's encoder set,
 * or the parent told.
 */
void
canopy_node_fec_update (CanopyNode *self)
{
  gboolean want = wanted (self);

  if (self->role == CANOPY_NODE_ROLE_HOST) {
    if (self->media != NULL)
      canopy_media_set_fec_percentage (self->media,
                                       self->fec >= 0 ? (guint) self->fec :
                                       want ? CANOPY_FEC_AUTO_PERCENT : 0);
    return;
  }
  if (self->parent == NULL || !canopy_link_is_open (self->parent) || want == self->fec_told)
    return;
  g_debug ("FEC %s: told %s", want ? "wanted" : "no longer wanted",
           canopy_link_get_peer_id (self->parent));
  canopy_link_send_request (self->parent, want ? "fec-on" : "fec-off");
  self->fec_told = want;
}

/**
 * canopy_node_fec_tick:
 * @self: a node
 *
 * Once a second: what the jitterbuffers of the link to the parent gave up, and what FEC
 * rebuilt, since the last tick.
 */
void
canopy_node_fec_tick (CanopyNode *self)
{
  if (self->parent != NULL) {
    guint64 lost = canopy_link_get_media_lost (self->parent);
    guint64 rebuilt = canopy_link_get_fec_recovered (self->parent);
    guint64 unrepaired = lost - MIN (lost, rebuilt);

    if (unrepaired > self->fec_unrepaired || rebuilt > self->fec_rebuilt)
      self->fec_until = g_get_monotonic_time () + CANOPY_FEC_HOLD_S * G_USEC_PER_SEC;
    self->fec_unrepaired = unrepaired;
    self->fec_rebuilt = rebuilt;
  }
  canopy_node_fec_update (self);
}

/**
 * canopy_node_fec_new_parent:
 * @self: a node just placed under a new parent
 *
 * The new link's counts start from nothing, and the new parent has been told nothing.
 */
void
canopy_node_fec_new_parent (CanopyNode *self)
{
  self->fec_unrepaired = 0;
  self->fec_rebuilt = 0;
  self->fec_told = FALSE;
}
