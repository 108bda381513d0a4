/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyPersonMenu"

#include "canopy-person-menu.h"

#include <glib/gi18n.h>

/* The peer a button's menu is about, to rebuild the menu only when something changed. */
#define PEER_KEY "canopy-person-peer"
#define MUTED_KEY "canopy-person-muted"

/**
 * canopy_person_menu_new:
 * @peer: a peer id
 * @muted: whether the host muted @peer (the menu offers Unmute then)
 *
 * Returns: (transfer full): "Mute" or "Unmute", and "Remove from Room…", for @peer
 */
GMenuModel *
canopy_person_menu_new (const char *peer,
                        gboolean    muted)
{
  GMenu *menu = g_menu_new ();
  g_autoptr (GMenu) chat = g_menu_new ();
  g_autoptr (GMenu) room = g_menu_new ();
  g_autoptr (GMenuItem) mute = NULL;
  g_autoptr (GMenuItem) kick = NULL;

  g_return_val_if_fail (peer != NULL, NULL);

  /* TRANSLATORS: in the menu on a person's name: their chat is shown by nobody */
  mute = g_menu_item_new (muted ? _("Unmute") : _("Mute"), NULL);
  g_menu_item_set_action_and_target_value (mute, muted ? "room.unmute" : "room.mute",
                                           g_variant_new_string (peer));
  g_menu_append_item (chat, mute);
  /* TRANSLATORS: in the menu on a person's name; a confirmation follows */
  kick = g_menu_item_new (_("Remove from Room…"), NULL);
  g_menu_item_set_action_and_target_value (kick, "room.kick", g_variant_new_string (peer));
  g_menu_append_item (room, kick);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (chat));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (room));
  return G_MENU_MODEL (menu);
}

static void
popup_if_shown (GtkWidget *button)
{
  if (gtk_widget_get_visible (button) && gtk_widget_is_sensitive (button))
    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
}

static void
on_row_secondary_pressed (GtkGestureClick *gesture,
                          int              n_press,
                          double           x,
                          double           y,
                          GtkWidget       *button)
{
  popup_if_shown (button);
}

static void
on_row_long_pressed (GtkGestureLongPress *gesture,
                     double               x,
                     double               y,
                     GtkWidget           *button)
{
  popup_if_shown (button);
}

/**
 * canopy_person_menu_button_new:
 * @row: the widget showing the person's name: a right click or a long press on it opens the menu
 *   too
 *
 * Returns: (transfer floating): a hidden menu button; show it with
 *   canopy_person_menu_button_update()
 */
GtkWidget *
canopy_person_menu_button_new (GtkWidget *row)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *long_press = gtk_gesture_long_press_new ();

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_menu_button_set_has_frame (GTK_MENU_BUTTON (button), FALSE);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_set_hexpand (button, TRUE);
  gtk_widget_set_tooltip_text (button, _("Moderate"));
  gtk_widget_add_css_class (button, "canopy-person-menu");
  gtk_widget_set_visible (button, FALSE);

  /* The button is the row's child: the handlers never outlive it. */
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_row_secondary_pressed), button);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect (long_press, "pressed", G_CALLBACK (on_row_long_pressed), button);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (long_press));
  return button;
}

/**
 * canopy_person_menu_button_update:
 * @button: a button of canopy_person_menu_button_new()
 * @peer: (nullable): the person's peer id
 * @name: the person's name as shown, plain text
 * @muted: whether the host muted them
 * @shown: whether to offer the menu at all (the host, on someone else's name)
 */
void
canopy_person_menu_button_update (GtkWidget  *button,
                                  const char *peer,
                                  const char *name,
                                  gboolean    muted,
                                  gboolean    shown)
{
  g_return_if_fail (GTK_IS_MENU_BUTTON (button));

  shown = shown && peer != NULL;
  gtk_widget_set_visible (button, shown);
  if (!shown) {
    gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
    return;
  }
  if (g_strcmp0 (g_object_get_data (G_OBJECT (button), PEER_KEY), peer) != 0 ||
      GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), MUTED_KEY)) != !!muted ||
      gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button)) == NULL) {
    g_autoptr (GMenuModel) menu = canopy_person_menu_new (peer, muted);

    gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), menu);
    g_object_set_data_full (G_OBJECT (button), PEER_KEY, g_strdup (peer), g_free);
    g_object_set_data (G_OBJECT (button), MUTED_KEY, GINT_TO_POINTER (!!muted));
  }
  {
    /* TRANSLATORS: how a screen reader names the menu button on a person's name */
    g_autofree char *label = g_strdup_printf (_("Moderate %s"), name);

    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                    -1);
  }
}

/**
 * canopy_person_muted_label_new:
 *
 * Returns: (transfer floating): a hidden "muted" caption to put after a muted person's name
 */
GtkWidget *
canopy_person_muted_label_new (void)
{
  /* TRANSLATORS: next to the name of a person the host muted: nobody sees their chat */
  GtkWidget *label = gtk_label_new (_("muted"));

  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "canopy-muted-badge");
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (label, _("The host muted this person: nobody sees their chat"));
  gtk_widget_set_visible (label, FALSE);
  return label;
}

/**
 * canopy_person_set_equals:
 * @set: a set of peer ids (a #GHashTable whose keys are the ids)
 * @ids: (nullable) (array zero-terminated=1): peer ids, without repeats
 *
 * Returns: whether @set holds exactly @ids
 */
gboolean
canopy_person_set_equals (GHashTable         *set,
                          const char * const *ids)
{
  guint n = 0;

  for (; ids != NULL && ids[n] != NULL; n++)
    if (!g_hash_table_contains (set, ids[n]))
      return FALSE;
  return n == g_hash_table_size (set);
}
