/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-identity.h"
#include "canopy-room.h"

G_BEGIN_DECLS

struct _CanopyRoom {
  GObject parent_instance;

  gboolean host;
  CanopyIdentity *identity;
  char *peer_id;
  char *name;
  guint capacity;
  char *room_id;               /* the room's ID, once known */
  char *host_id;               /* whose signature maps carry */

  CanopyNodeMap *map;          /* the whole room as last known */
  gboolean map_synced;         /* a viewer's map is a whole one its parent sent */
  char *map_key;               /* the host's key and signature for the map's version */
  char *map_sig;
  CanopyChat *chat;
  GHashTable *muted;           /* ids whose chat nobody passes on, as the host signed it */
  guint64 mutes_version;
  JsonObject *mutes;           /* the signed `mutes` message, for new children; NULL: none */

  /* the host's: canopy-room-ledger.c */
  CanopyNodeMap *ledger;       /* every edge both ends confirmed, detached subtrees under
                                * the hidden node CANOPY_ROOM_LIMBO */
  GHashTable *limbo;           /* id of a detached subtree's top -> deadline (monotonic µs) */
  GHashTable *last_seq;        /* signer -> the seq of its last statement */
  GHashTable *pending;         /* joiner id -> CanopyRoomPending */
  GHashTable *avoided;         /* id -> CanopyRoomAvoided, nodes no newcomer goes under */
  GHashTable *declared;        /* id -> capacity its last join declared (GUINT_TO_POINTER) */
  GHashTable *measured;        /* id -> CanopyRoomMeasured: capacity its upload sustains, in
                                * its own signed word */
};

/* The hidden node detached subtrees wait under; no peer id has a '_'. */
#define CANOPY_ROOM_LIMBO "_limbo"

void canopy_room_ledger_init     (CanopyRoom *self);
void canopy_room_ledger_clear    (CanopyRoom *self);
void canopy_room_sign_map        (CanopyRoom *self);

G_END_DECLS
