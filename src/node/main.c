/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-node-cli.h"

/* canopy-node: a headless Canopy peer (canopy-node-cli.c). */
int
main (int    argc,
      char **argv)
{
  return canopy_node_cli_run (argc, argv, NULL, NULL, NULL);
}
