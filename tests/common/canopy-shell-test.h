/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for the application shell's tests: waiting on the main context and finding widgets. */
#pragma once

#include <adwaita.h>

#define CANOPY_TEST_TIMEOUT_SECONDS 10

typedef gboolean (*CanopyTestCondition) (gpointer data);

static inline gboolean
canopy_test_on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context until @done holds, failing after the timeout. */
static inline void
canopy_test_wait (CanopyTestCondition done,
                  gpointer            data,
                  const char         *what)
{
  gboolean expired = FALSE;
  gboolean finished;
  guint id = g_timeout_add_seconds (CANOPY_TEST_TIMEOUT_SECONDS, canopy_test_on_deadline, &expired);

  while (!(finished = done (data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  if (!finished)
    g_error ("Timed out waiting for %s", what);
}

/* Runs the main context for @ms milliseconds. */
static inline void
canopy_test_spin (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, canopy_test_on_deadline, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

typedef gboolean (*CanopyTestMatch) (GtkWidget *widget, gconstpointer data);

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

static inline gboolean
canopy_test_is_button_with_label (GtkWidget    *widget,
                                  gconstpointer label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static inline gboolean
canopy_test_is_row_with_title (GtkWidget    *widget,
                               gconstpointer title)
{
  return ADW_IS_PREFERENCES_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static inline gboolean
canopy_test_is_type (GtkWidget    *widget,
                     gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

#define canopy_test_find_type(root, type) \
  canopy_test_find ((root), canopy_test_is_type, GSIZE_TO_POINTER (type))
