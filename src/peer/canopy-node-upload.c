/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

/*
 * A node's upload, measured, on a relay and on the host alike: once a second what each
 * child's last ping said it received and its round trip to us, against what we handed its
 * webrtcbin (canopy-edge-stats.c), go to the judge (CanopyUpload). When it finds that the
 * upload does not sustain the children, the node says so where placement reads it (a relay
 * tells the host its measured capacity in a signed statement and the host lowers it in the
 * map; the host lowers its own k1 in the map it signs) and says `bye` `moving` to its newest
 * children beyond it: they join again and the host places them elsewhere (below, for the
 * host's own), while the others' streams go on untouched.
 */

/* Say our capacity again when the host's map still does not show it after this. */
#define SAY_AGAIN_US (5 * G_USEC_PER_SEC)

/* What the node offers: a viewer its --capacity, the host its k1. */
static guint
declared_capacity (CanopyNode *self)
{
  return self->role == CANOPY_NODE_ROLE_HOST ? self->k1 : self->capacity;
}

static void
ensure_upload (CanopyNode *self)
{
  if (self->upload_ready)
    return;
  /* The host keeps one child whatever its upload: the room's only source needs a way out. */
  canopy_upload_init (&self->upload, declared_capacity (self),
                      self->role == CANOPY_NODE_ROLE_HOST ? 1 : 0);
  self->upload_ready = TRUE;
}

/**
 * canopy_node_get_measured_capacity:
 * @self: a node
 *
 * Returns: the children the node takes now: a viewer's declared capacity or the host's k1, or
 *   fewer when its upload was measured not to sustain them
 */
guint
canopy_node_get_measured_capacity (CanopyNode *self)
{
  guint declared;

  g_return_val_if_fail (CANOPY_IS_NODE (self), 0);
  declared = declared_capacity (self);
  return self->upload_ready ? MIN (self->upload.capacity, declared) : declared;
}

/* Says how many children our upload sustains where placement reads it: a relay tells the host
 * in its own signed word, the host writes its own k1 into the map it signs. */
static void
tell_capacity (CanopyNode *self)
{
  g_autoptr (JsonObject) message = NULL;
  guint capacity = canopy_node_get_measured_capacity (self);

  if (self->room_id == NULL)
    return;
  self->capacity_said_at = g_get_monotonic_time ();
  if (self->role == CANOPY_NODE_ROLE_HOST) {
    if (canopy_room_set_own_capacity (self->room, capacity))
      canopy_node_publish_map (self);
    return;
  }
  self->statement_seq = MAX (self->statement_seq + 1, (guint64) g_get_real_time ());
  message = json_object_new ();
  json_object_set_string_member (message, "type", "edge");
  json_object_set_object_member (message, "statement",
                                 canopy_statement_make_capacity (self->identity, self->room_id,
                                                                 capacity, self->statement_seq));
  canopy_node_server_send (self, message);
}

/* The share of the parent's packets we never got in the last second: our children cannot get
 * those either, whatever our upload. */
static double
upstream_loss (CanopyNode *self)
{
  guint64 lost = self->parent != NULL ? canopy_link_get_media_lost (self->parent) : 0;
  guint64 packets = canopy_media_get_packets (self->media);
  double share = 0;

  if (lost >= self->upstream_lost && packets >= self->upstream_packets &&
      lost - self->upstream_lost + packets - self->upstream_packets > 0)
    share = (double) (lost - self->upstream_lost) /
            (double) (lost - self->upstream_lost + packets - self->upstream_packets);
  self->upstream_lost = lost;
  self->upstream_packets = packets;
  return share;
}

/* Newest first, the children beyond our capacity go elsewhere, at once: on an upload that does
 * not carry them every second counts (the data channels to our own parent suffer too). The
 * host has our capacity before any of them can ask it for a place: the statement went out
 * first, on the same connection as the drops that free them, and one that comes back to us
 * anyway is refused (on_attach). */
static void
shed (CanopyNode *self)
{
  guint limit = canopy_node_get_measured_capacity (self);

  while (self->children->len > limit) {
    CanopyLink *child = g_ptr_array_index (self->children, self->children->len - 1);

    g_message ("Our upload sustains %u children: moving %s elsewhere", limit,
               canopy_link_get_peer_id (child));
    canopy_node_shed_child (self, canopy_link_get_peer_id (child));
  }
}

/**
 * canopy_node_judge_upload:
 * @self: a node
 *
 * Once a second on a relay and on the host: the children's reports of the last second to the
 * judge; a changed capacity told to the host (or, on the host, written into its map) and the
 * views; children beyond it shed.
 */
void
canopy_node_judge_upload (CanopyNode *self)
{
  gint64 now = g_get_monotonic_time ();
  CanopyNodeMap *map;
  guint before;

  if (self->media == NULL || self->room == NULL)
    return;
  ensure_upload (self);
  before = canopy_node_get_measured_capacity (self);
  for (guint i = 0; i < self->children->len; i++) {
    CanopyLink *child = g_ptr_array_index (self->children, i);
    CanopyUploadReport report;

    if (canopy_link_take_sent (child, &report)) {
      g_debug ("%s: sent %" G_GUINT64_FORMAT ", not received %" G_GINT64_FORMAT ", round trip "
               "%.0f ms",
               canopy_link_get_peer_id (child), report.packets_sent, report.packets_lost,
               report.rtt_ms);
      canopy_upload_report (&self->upload, canopy_link_get_peer_id (child), &report);
    }
  }
  if (canopy_upload_tick (&self->upload, upstream_loss (self)) &&
      canopy_node_get_measured_capacity (self) != before) {
    g_message ("Measured our upload: it sustains %u children (declared %u, %u now)",
               canopy_node_get_measured_capacity (self), declared_capacity (self),
               self->children->len);
    tell_capacity (self);
    canopy_node_notify_capacity (self);
  }
  /* The host missed it (or rate-limited it): once more. */
  map = canopy_room_get_map (self->room);
  if (self->capacity_said_at != 0 && now - self->capacity_said_at > SAY_AGAIN_US &&
      map != NULL && canopy_node_map_contains (map, self->peer_id) &&
      canopy_node_map_get_capacity (map, self->peer_id) != canopy_node_get_measured_capacity (self))
    tell_capacity (self);
  shed (self);
}

void
canopy_node_upload_clear (CanopyNode *self)
{
  if (self->upload_ready)
    canopy_upload_clear (&self->upload);
  self->upload_ready = FALSE;
}
