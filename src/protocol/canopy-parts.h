/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A long ctrl message in `part`s, and putting one together again; see docs/protocol.md. */
typedef struct {
  GString *text;
  guint next;
  guint of;
} CanopyParts;

GPtrArray *canopy_parts_split  (const char   *text,
                                gsize         max_bytes);
char      *canopy_parts_add    (CanopyParts  *self,
                                JsonObject   *part,
                                GError      **error);
void       canopy_parts_clear  (CanopyParts  *self);

G_END_DECLS
