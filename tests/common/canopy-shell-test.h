/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What tests/ui adds to canopy-test-procs.h: start-up, a run with a signalling server in the
 * test process, and the one widget finder with its matchers. Waits are canopy-test-procs.h's, with
 * CANOPY_TEST_WAIT_S for widgets. */
#pragma once

#include <adwaita.h>

#include "canopy-resources.h"
#include "canopy-signal-server.h"
#include "canopy-test-procs.h"

#define CANOPY_TEST_WAIT_S 10

/* gtk_test_init() (it exits without a display), libadwaita, and the app's resources, whose
 * object file, pulled out of the archive here, registers them. */
static inline void
canopy_test_init_ui (int    *argc,
                     char ***argv)
{
  g_autofree char *data = canopy_test_data_dir ("self");

  /* The app keeps the user's key in its data directory: never the tester's own. */
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  g_assert_nonnull (canopy_get_resource ());
}

typedef struct {
  CanopySignalServer *server;
  guint port;
  GError *error;
} CanopyTestListen;

static inline gboolean
canopy_test_try_listen (gpointer data)
{
  CanopyTestListen *l = data;

  g_clear_error (&l->error);
  /* Any free port that fails will not do better later. */
  return canopy_signal_server_listen (l->server, "127.0.0.1", l->port, &l->error) || l->port == 0;
}

/* A signalling server in this process on 127.0.0.1 @port (0: any free port). The port of a
 * server just stopped may take a moment to be free again: it tries until @timeout_s passed. */
static inline CanopySignalServer *
canopy_test_start_local_server (guint port,
                                guint timeout_s)
{
  CanopyTestListen l = { canopy_signal_server_new (), port, NULL };

  if (!canopy_test_wait (canopy_test_try_listen, &l, timeout_s) || l.error != NULL)
    g_error ("Cannot start a signalling server on port %u: %s", port,
             l.error != NULL ? l.error->message : "timed out");
  return l.server;
}

/* Runs the tests added so far with a signalling server in this process on 127.0.0.1 (any free
 * port), whose URL is in @url while they run. */
static inline int
canopy_test_run_with_server (char **url)
{
  g_autoptr (CanopySignalServer) server = canopy_test_start_local_server (0, CANOPY_TEST_WAIT_S);
  int status;

  *url = canopy_signal_server_get_url (server);
  status = g_test_run ();
  canopy_signal_server_stop (server);
  g_clear_pointer (url, g_free);
  return status;
}

/* The child @name of @widget's template of class @type; the test fails if there is none. */
static inline GtkWidget *
canopy_test_template_child (GtkWidget  *widget,
                            GType       type,
                            const char *name)
{
  GObject *object = gtk_widget_get_template_child (widget, type, name);

  if (object == NULL)
    g_error ("%s has no template child \"%s\"", g_type_name (type), name);
  return GTK_WIDGET (object);
}

typedef gboolean (*CanopyTestMatch) (GtkWidget    *widget,
                                     gconstpointer data);

/* The first widget, depth first from @root itself, that @match accepts. */
static inline GtkWidget *
canopy_test_find (GtkWidget      *root,
                  CanopyTestMatch match,
                  gconstpointer   data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = canopy_test_find (child, match, data);

    if (found != NULL)
      return found;
  }
  return NULL;
}

static inline gboolean
canopy_test_is_label_with_text (GtkWidget    *widget,
                                gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

/* List views keep unmapped rows around for reuse, with whatever they showed last. */
static inline gboolean
canopy_test_is_mapped_label_with_text (GtkWidget    *widget,
                                       gconstpointer text)
{
  return canopy_test_is_label_with_text (widget, text) && gtk_widget_get_mapped (widget);
}

static inline gboolean
canopy_test_is_button_with_label (GtkWidget    *widget,
                                  gconstpointer label)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static inline gboolean
canopy_test_is_row_with_title (GtkWidget    *widget,
                               gconstpointer title)
{
  return ADW_IS_PREFERENCES_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* A toast on screen (or queued: AdwToastOverlay keeps one AdwToastWidget for it). */
static inline gboolean
canopy_test_is_toast (GtkWidget    *widget,
                      gconstpointer data)
{
  return g_strcmp0 (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget") == 0;
}

static inline gboolean
canopy_test_is_type (GtkWidget    *widget,
                     gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

#define canopy_test_find_type(root, type) \
  canopy_test_find ((root), canopy_test_is_type, GSIZE_TO_POINTER (type))

#define canopy_test_find_label(root, text) \
  GTK_LABEL (canopy_test_find ((root), canopy_test_is_label_with_text, (text)))

#define canopy_test_find_mapped_label(root, text) \
  GTK_LABEL (canopy_test_find ((root), canopy_test_is_mapped_label_with_text, (text)))
