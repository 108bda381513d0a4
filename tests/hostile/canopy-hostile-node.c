/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyHostile"

#include <glib-unix.h>

#include "canopy-node-cli.h"
#include "canopy-node-private.h"

/*
 * canopy-hostile-node: canopy-node (the same command line, the same --events) with a way to
 * misbehave, for tests only; never installed. `--misbehave MODE` names what it does once it gets
 * SIGUSR1 (until then it is an honest peer, so that a test can build the tree first):
 *
 *   black-hole   keeps its links, answers every ping and heartbeat, forwards no media: a hung
 *                or malicious relay that looks alive to everything but its children's eyes
 */

typedef enum {
  MODE_BLACK_HOLE,
} Mode;

static const char *const mode_names[] = { "black-hole" };

typedef struct {
  char *mode_text;
  Mode mode;
  CanopyNode *node;
  gulong probes[2];
} Hostile;

static GstPadProbeReturn
drop_media (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
start_black_hole (Hostile *hostile)
{
  GstElement *tees[2] = { canopy_media_get_video_tee (hostile->node->media),
                          canopy_media_get_audio_tee (hostile->node->media) };

  for (guint i = 0; i < G_N_ELEMENTS (tees); i++) {
    g_autoptr (GstPad) sink = NULL;

    if (tees[i] == NULL || hostile->probes[i] != 0)
      continue;
    sink = gst_element_get_static_pad (tees[i], "sink");
    hostile->probes[i] = gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER |
                                            GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                            drop_media, NULL, NULL);
  }
}

static gboolean
on_usr1 (gpointer user_data)
{
  Hostile *hostile = user_data;

  g_printerr ("canopy-hostile-node: now %s\n", mode_names[hostile->mode]);
  switch (hostile->mode) {
  case MODE_BLACK_HOLE:
    start_black_hole (hostile);
    break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
setup (CanopyNode  *node,
       gpointer     data,
       GError     **error)
{
  Hostile *hostile = data;
  gboolean known = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++) {
    if (g_strcmp0 (hostile->mode_text, mode_names[i]) == 0) {
      hostile->mode = (Mode) i;
      known = TRUE;
    }
  }
  if (!known) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--misbehave: unknown mode %s", hostile->mode_text ? hostile->mode_text : "");
    return FALSE;
  }
  hostile->node = node;
  g_unix_signal_add (SIGUSR1, on_usr1, hostile);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  Hostile hostile = { 0 };
  const GOptionEntry entries[] = {
    { "misbehave", 0, 0, G_OPTION_ARG_STRING, &hostile.mode_text,
      "What to do on SIGUSR1: black-hole", "MODE" },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("hostile", "Misbehaving", "Show misbehaving options",
                                            NULL, NULL);
  int status;

  g_option_group_add_entries (group, entries);
  status = canopy_node_cli_run (argc, argv, group, setup, &hostile);
  g_free (hostile.mode_text);
  return status;
}
