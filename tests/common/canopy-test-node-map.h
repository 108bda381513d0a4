/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-json.h"
#include "canopy-node-map.h"

G_BEGIN_DECLS

/* What the node-map tests share: maps as text and compared as text, leaves and chains added or
 * the test fails, every invariant checked, and random maps and changes (from g_test_rand, so a
 * failing --seed repeats). Node ids made here count up through @counter. */

char          *canopy_test_map_string            (CanopyNodeMap *map);
void           canopy_test_map_add               (CanopyNodeMap *map,
                                                  const char    *parent,
                                                  const char    *id,
                                                  guint          capacity);
void           canopy_test_map_add_chain         (CanopyNodeMap *map,
                                                  const char    *parent,
                                                  const char    *prefix,
                                                  guint          length);
void           canopy_test_map_assert_text       (CanopyNodeMap *map,
                                                  const char    *expected);
void           canopy_test_map_assert_equal      (CanopyNodeMap *map,
                                                  CanopyNodeMap *expected);
void           canopy_test_map_assert_consistent (CanopyNodeMap *map);
char          *canopy_test_map_new_id            (guint         *counter);
const char    *canopy_test_map_pick              (GPtrArray     *ids,
                                                  gboolean       skip_root);
void           canopy_test_map_mutate            (CanopyNodeMap *map,
                                                  guint         *counter);
CanopyNodeMap *canopy_test_map_random            (guint          n,
                                                  guint         *counter);

G_END_DECLS
