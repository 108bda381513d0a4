/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-node.h"

G_BEGIN_DECLS

/* Called with the configured node before it starts; fails with a message for the user. */
typedef gboolean (*CanopyNodeHook) (CanopyNode  *node,
                                    gpointer     data,
                                    GError     **error);

int canopy_node_cli_run (int             argc,
                         char          **argv,
                         GOptionGroup   *extra,
                         CanopyNodeHook  hook,
                         gpointer        hook_data);

G_END_DECLS
