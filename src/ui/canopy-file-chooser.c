/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFileChooser"

#include "canopy-file-chooser.h"

#include <glib/gi18n.h>

/*
 * The one way the app asks for a file (to share one, to save one): a GtkFileChooserNative
 * (GTK 4.8 has no GtkFileDialog), modal on the owner's window, at most one open per owner, kept
 * on the owner until it answers or the owner closes it (in its dispose). Tests reach the open
 * chooser with canopy_file_chooser_get() and answer it through its own response.
 */

static G_DEFINE_QUARK (canopy-file-chooser, chooser)

static void
destroy_chooser (gpointer data)
{
  gtk_native_dialog_destroy (data);
  g_object_unref (data);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     GtkWidget       *owner)
{
  CanopyFileChosenFunc chosen = g_object_get_data (G_OBJECT (chooser), "canopy-chosen");
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  /* The chooser is gone from here on. */
  canopy_file_chooser_close (owner);
  if (file != NULL)
    chosen (owner, file);
}

/**
 * canopy_file_chooser_open:
 * @owner: the widget asking (its window is the chooser's parent)
 * @title: the chooser's title
 * @action: open or save
 * @accept_label: its accept button, with a mnemonic
 * @current_name: (nullable): the name suggested when saving
 * @chosen: called with the file chosen, on the main context
 *
 * Shows the chooser (again, if @owner has one open already).
 */
void
canopy_file_chooser_open (GtkWidget            *owner,
                          const char           *title,
                          GtkFileChooserAction  action,
                          const char           *accept_label,
                          const char           *current_name,
                          CanopyFileChosenFunc  chosen)
{
  GtkRoot *root = gtk_widget_get_root (owner);
  GtkFileChooserNative *chooser;

  g_return_if_fail (GTK_IS_WIDGET (owner));
  g_return_if_fail (chosen != NULL);

  chooser = g_object_get_qdata (G_OBJECT (owner), chooser_quark ());
  if (chooser != NULL) {
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
    return;
  }
  chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         action, accept_label, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (current_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), current_name);
  g_object_set_data (G_OBJECT (chooser), "canopy-chosen", chosen);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response), owner, 0);
  g_object_set_qdata_full (G_OBJECT (owner), chooser_quark (), chooser, destroy_chooser);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/**
 * canopy_file_chooser_get:
 * @owner: a widget
 *
 * Returns: (transfer none) (nullable): the chooser @owner has open
 */
GtkNativeDialog *
canopy_file_chooser_get (GtkWidget *owner)
{
  g_return_val_if_fail (GTK_IS_WIDGET (owner), NULL);
  return g_object_get_qdata (G_OBJECT (owner), chooser_quark ());
}

/**
 * canopy_file_chooser_close:
 * @owner: a widget
 *
 * Closes the chooser @owner has open, if any, without an answer.
 */
void
canopy_file_chooser_close (GtkWidget *owner)
{
  g_return_if_fail (GTK_IS_WIDGET (owner));
  g_object_set_qdata (G_OBJECT (owner), chooser_quark (), NULL);
}
