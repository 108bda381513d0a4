/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-application.h"
#include "canopy-webrtc.h"

#include <glib/gi18n.h>
#include <gst/gst.h>
#include <locale.h>

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
  status = g_application_run (G_APPLICATION (app), argc, argv);
  g_clear_object (&app);
  canopy_webrtc_shutdown ();
  return status;
}
