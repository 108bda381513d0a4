/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignal"

#include "canopy-signal-server.h"

#include <glib-unix.h>

#include <locale.h>
#include <signal.h>
#include <stdio.h>

#define DEFAULT_PORT 7680

static gboolean
on_unix_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *bind = NULL;
  g_autofree char *config = NULL;
  g_autofree char *web_dir = NULL;
  int port = DEFAULT_PORT;
  GOptionEntry entries[] = {
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind, "Address to listen on (127.0.0.1)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on, 0 for any (7680)", "N" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE" },
    { "web-dir", 0, 0, G_OPTION_ARG_FILENAME, &web_dir,
      "The browser viewer's files (installed ones, or $CANOPY_WEB_DIR)", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopySignalServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *url = NULL;
  guint sigint_id;
  guint sigterm_id;

  setlocale (LC_ALL, "");
  /* stdout carries only the "listening on" line that scripts wait for. */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new ("- Canopy signalling and room directory server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("canopy-signal: %s\n", error->message);
    return 1;
  }
  if (argc > 1) {
    g_printerr ("canopy-signal: unexpected argument \"%s\"\n", argv[1]);
    return 1;
  }
  if (port < 0 || port > G_MAXUINT16) {
    g_printerr ("canopy-signal: --port must be from 0 to 65535\n");
    return 1;
  }

  server = canopy_signal_server_new ();
  if (config != NULL && !canopy_signal_server_load_config (server, config, &error)) {
    g_printerr ("canopy-signal: bad configuration: %s\n", error->message);
    return 1;
  }
  if (web_dir != NULL)
    canopy_signal_server_set_web_dir (server, web_dir);
  if (!canopy_signal_server_listen (server, bind ? bind : "127.0.0.1", (guint) port, &error)) {
    g_printerr ("canopy-signal: %s\n", error->message);
    return 1;
  }

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, loop);
  url = canopy_signal_server_get_url (server);
  g_print ("listening on %s\n", url);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  canopy_signal_server_stop (server);
  /* Lets the close frames just queued get out. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return 0;
}
