/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * canopy-test-app: the desktop app exactly as installed (the same CanopyApplication from the
 * shipped ui library) plus the test hook on every window it opens, for the end-to-end test and
 * build-aux/screenshots. Built in tests/ui, never installed.
 */
#include "canopy-application.h"
#include "canopy-test-hook.h"
#include "canopy-webrtc.h"

#include <glib/gi18n.h>
#include <gst/gst.h>
#include <locale.h>

/* GtkApplication::window-added is the only way in: the app knows nothing of the hook. */
static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  if (CANOPY_IS_WINDOW (window))
    canopy_test_hook_attach (CANOPY_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (CanopyApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gst_init (&argc, &argv);

  app = canopy_application_new ();
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  g_clear_object (&app);
  /* As the app's main() does: OpenSSL must be done with the DTLS certificate before exit. */
  canopy_webrtc_shutdown ();
  return status;
}
