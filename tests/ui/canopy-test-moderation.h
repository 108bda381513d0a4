/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host's menu on a person's name (src/ui/canopy-person-menu.c) as the tree and chat panes
 * show it: the menu button and the "muted" caption sit in the same box as the name's label. */
#pragma once

#include "canopy-shell-test.h"

/* The menu button beside @name_label if it is offered (visible), or NULL. */
static inline GtkWidget *
canopy_test_person_menu_of (GtkLabel *name_label)
{
  GtkWidget *box = gtk_widget_get_parent (GTK_WIDGET (name_label));

  for (GtkWidget *child = gtk_widget_get_first_child (box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_MENU_BUTTON (child) && gtk_widget_get_visible (child))
      return child;
  return NULL;
}

/* Whether the "muted" caption shows beside @name_label. */
static inline gboolean
canopy_test_shows_muted (GtkLabel *name_label)
{
  GtkWidget *box = gtk_widget_get_parent (GTK_WIDGET (name_label));

  for (GtkWidget *child = gtk_widget_get_first_child (box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (canopy_test_is_label_with_text (child, "muted") && gtk_widget_get_visible (child) &&
        gtk_widget_has_css_class (child, "canopy-muted-badge"))
      return TRUE;
  return FALSE;
}

/* The item labelled @label in @button's menu: its action and target (a peer id), or FALSE. */
static inline gboolean
canopy_test_person_menu_item (GtkWidget  *button,
                              const char *label,
                              char      **action,
                              char      **target)
{
  GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button));

  for (int i = 0; menu != NULL && i < g_menu_model_get_n_items (menu); i++) {
    g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

    for (int j = 0; section != NULL && j < g_menu_model_get_n_items (section); j++) {
      g_autofree char *text = NULL;
      g_autoptr (GVariant) value = NULL;

      if (!g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_LABEL, "s", &text) ||
          g_strcmp0 (text, label) != 0)
        continue;
      g_assert_true (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_ACTION, "s",
                                                      action));
      value = g_menu_model_get_item_attribute_value (section, j, G_MENU_ATTRIBUTE_TARGET,
                                                     G_VARIANT_TYPE_STRING);
      g_assert_nonnull (value);
      *target = g_variant_dup_string (value, NULL);
      return TRUE;
    }
  }
  return FALSE;
}

/* What choosing @label in @button's menu does: its action, activated from the button. */
static inline void
canopy_test_person_menu_activate (GtkWidget  *button,
                                  const char *label)
{
  g_autofree char *action = NULL;
  g_autofree char *target = NULL;

  if (!canopy_test_person_menu_item (button, label, &action, &target))
    g_error ("No \"%s\" in the person's menu", label);
  g_assert_true (gtk_widget_activate_action (button, action, "s", target));
}
