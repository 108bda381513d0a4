/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-identity.h"

G_BEGIN_DECLS

/* Signed facts about the tree: what one end of an edge says about it, and what the host signs
 * for every peer (the map, the mute list); see docs/protocol.md, "The host's map". */
#define CANOPY_DOMAIN_MAP "canopy-map"
#define CANOPY_DOMAIN_MUTES "canopy-mutes"

#define CANOPY_STATEMENT_ATTACH "attach" /* a child: "I am attached to other" */
#define CANOPY_STATEMENT_ADOPT "adopt"   /* a parent: "other is my child" */
#define CANOPY_STATEMENT_DROP "drop"     /* a parent: "other is no longer my child" */
#define CANOPY_STATEMENT_CAPACITY "capacity" /* a relay: "my upload sustains this many children" */

typedef struct {
  char *kind;    /* one of the CANOPY_STATEMENT_* */
  char *peer;    /* who signed it */
  char *other;   /* the other end of the edge; NULL in a capacity statement */
  guint64 seq;   /* grows with every statement of its signer */
  gint capacity; /* a capacity statement's children (0-CANOPY_CAPACITY_MAX); -1 otherwise */
} CanopyStatement;

JsonObject      *canopy_statement_make    (CanopyIdentity  *identity,
                                           const char      *room,
                                           const char      *kind,
                                           const char      *other,
                                           guint64          seq);
JsonObject      *canopy_statement_make_capacity (CanopyIdentity *identity,
                                                 const char     *room,
                                                 guint           capacity,
                                                 guint64         seq);
CanopyStatement *canopy_statement_check   (JsonObject      *json,
                                           const char      *room,
                                           GError         **error);
void             canopy_statement_free    (CanopyStatement *statement);

void             canopy_host_sign         (JsonObject      *message,
                                           CanopyIdentity  *host,
                                           const char      *domain,
                                           const char      *room,
                                           guint64          version,
                                           const char      *digest);
gboolean         canopy_host_check        (JsonObject      *message,
                                           const char      *domain,
                                           const char      *room,
                                           const char      *host,
                                           guint64          version,
                                           const char      *digest,
                                           GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyStatement, canopy_statement_free)

G_END_DECLS
