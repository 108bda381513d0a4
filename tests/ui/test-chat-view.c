/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-chat-view.h"
#include "canopy-shell-test.h"
#include "canopy-test-moderation.h"

#define HOSTILE "<b>not bold</b> & <script>"

static GtkWidget *
new_view (void)
{
  return g_object_ref_sink (canopy_chat_view_new ());
}

static void
add (CanopyChatView *view,
     const char     *name,
     const char     *text,
     gint64          time_ms,
     gboolean        from_me)
{
  CanopyChatMessage message = {
    .origin = (char *) "peer-1",
    .seq = 1,
    .name = (char *) name,
    .time = time_ms,
    .text = (char *) text,
  };

  canopy_chat_view_add_message (view, &message, NULL, from_me);
}

/* A message from @origin claiming @name, at 0 ms, shown with @map. */
static GtkWidget *
add_from (CanopyChatView *view,
          CanopyNodeMap  *map,
          const char     *origin,
          const char     *name,
          const char     *text)
{
  GtkListBox *list = GTK_LIST_BOX (canopy_test_find_type (GTK_WIDGET (view), GTK_TYPE_LIST_BOX));
  guint n = canopy_chat_view_get_n_messages (view);
  CanopyChatMessage message = {
    .origin = (char *) origin,
    .seq = 1,
    .name = (char *) name,
    .time = 0,
    .text = (char *) text,
  };

  canopy_chat_view_add_message (view, &message, map, FALSE);
  g_assert_cmpuint (canopy_chat_view_get_n_messages (view), ==, n + 1);
  return GTK_WIDGET (gtk_list_box_get_row_at_index (list, n));
}

static gboolean
is_visible_label_with_text (GtkWidget    *widget,
                            gconstpointer text)
{
  return canopy_test_is_label_with_text (widget, text) && gtk_widget_get_visible (widget);
}

/* The label showing @text in @row, if @row shows one (hidden widgets show nothing). */
static GtkLabel *
find_shown (GtkWidget  *row,
            const char *text)
{
  return GTK_LABEL (canopy_test_find (row, is_visible_label_with_text, text));
}

/* What @row shows of its author: exactly @name, the "Host" badge iff @host, "unverified" (and a
 * dimmed name) iff !@verified, and the screen reader's label saying the same. */
static void
assert_author (GtkWidget  *row,
               const char *name,
               gboolean    host,
               gboolean    verified,
               const char *text)
{
  g_autoptr (GDateTime) local = g_date_time_new_from_unix_local (0);
  g_autofree char *hhmm = g_date_time_format (local, "%H:%M");
  g_autofree char *accessible = NULL;
  GtkLabel *name_label = find_shown (row, name);
  GtkLabel *badge = find_shown (row, "Host");
  GtkLabel *unverified = find_shown (row, "unverified");

  g_assert_nonnull (name_label);
  g_assert_false (gtk_label_get_use_markup (name_label));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (name_label), "heading"));
  g_assert_cmpint (gtk_widget_has_css_class (GTK_WIDGET (name_label), "dim-label"), ==, !verified);
  if (host) {
    g_assert_nonnull (badge);
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (badge), "canopy-host-badge"));
    /* Next to the name. */
    g_assert_true (gtk_widget_get_next_sibling (GTK_WIDGET (name_label)) == GTK_WIDGET (badge));
    accessible = g_strdup_printf ("%s (host) at %s: %s", name, hhmm, text);
  } else {
    g_assert_null (badge);
    accessible = verified ? g_strdup_printf ("%s at %s: %s", name, hhmm, text)
                          : g_strdup_printf ("%s (unverified) at %s: %s", name, hhmm, text);
  }
  if (verified) {
    g_assert_null (unverified);
  } else {
    g_assert_nonnull (unverified);
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (unverified), "dim-label"));
    g_assert_nonnull (gtk_widget_get_tooltip_text (GTK_WIDGET (unverified)));
  }
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       accessible);
}

static void
test_new_destroy (void)
{
  GtkWidget *view = new_view ();

  g_assert_true (CANOPY_IS_CHAT_VIEW (view));
  g_assert_true (ADW_IS_BIN (view));
  g_assert_cmpuint (canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (view)), ==, 0);
  g_assert_finalize_object (view);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           guint      *count)
{
  (*count)++;
}

static void
test_properties (void)
{
  GtkWidget *view = new_view ();
  GtkWidget *entry = canopy_test_find_type (view, GTK_TYPE_ENTRY);
  gboolean sensitive = FALSE;
  guint n_messages = 1;
  guint notifies = 0;

  g_signal_connect (view, "notify::entry-sensitive", G_CALLBACK (on_notify), &notifies);
  g_object_get (view, "entry-sensitive", &sensitive, "n-messages", &n_messages, NULL);
  g_assert_true (sensitive);
  g_assert_cmpuint (n_messages, ==, 0);

  g_object_set (view, "entry-sensitive", FALSE, NULL);
  g_object_get (view, "entry-sensitive", &sensitive, NULL);
  g_assert_false (sensitive);
  g_assert_false (gtk_widget_get_sensitive (entry));
  g_assert_cmpuint (notifies, ==, 1);
  g_object_set (view, "entry-sensitive", FALSE, NULL);
  g_assert_cmpuint (notifies, ==, 1);
  canopy_chat_view_set_sensitive_entry (CANOPY_CHAT_VIEW (view), TRUE);
  g_object_get (view, "entry-sensitive", &sensitive, NULL);
  g_assert_true (sensitive);
  g_assert_true (gtk_widget_get_sensitive (entry));
  g_assert_cmpuint (notifies, ==, 2);

  notifies = 0;
  g_signal_connect (view, "notify::n-messages", G_CALLBACK (on_notify), &notifies);
  add (CANOPY_CHAT_VIEW (view), "Ann", "hi", 0, FALSE);
  g_object_get (view, "n-messages", &n_messages, NULL);
  g_assert_cmpuint (n_messages, ==, 1);
  g_assert_cmpuint (notifies, ==, 1);
  g_assert_finalize_object (view);
}

static void
test_plain_text (void)
{
  GtkWidget *view = new_view ();
  GtkListBox *list = GTK_LIST_BOX (canopy_test_find_type (view, GTK_TYPE_LIST_BOX));
  /* 2024-05-06 07:08:09.123 UTC: the label shows the local time of the same instant. */
  gint64 time_ms = G_GINT64_CONSTANT (1714979289123);
  g_autoptr (GDateTime) local = g_date_time_new_from_unix_local (time_ms / 1000);
  g_autofree char *hhmm = g_date_time_format (local, "%H:%M");
  GtkWidget *row;
  GtkLabel *label;

  add (CANOPY_CHAT_VIEW (view), "<i>Eve</i>", HOSTILE, time_ms, FALSE);
  add (CANOPY_CHAT_VIEW (view), "Me", "mine", time_ms, TRUE);
  g_assert_cmpuint (canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (view)), ==, 2);

  row = GTK_WIDGET (gtk_list_box_get_row_at_index (list, 0));
  label = canopy_test_find_label (row, HOSTILE);
  g_assert_nonnull (label);
  g_assert_false (gtk_label_get_use_markup (label));
  g_assert_cmpstr (gtk_label_get_label (label), ==, HOSTILE);
  g_assert_true (gtk_label_get_selectable (label));
  g_assert_true (gtk_label_get_wrap (label));
  label = canopy_test_find_label (row, "<i>Eve</i>");
  g_assert_nonnull (label);
  g_assert_false (gtk_label_get_use_markup (label));
  g_assert_nonnull (canopy_test_find_label (row, hhmm));
  g_assert_false (gtk_widget_has_css_class (row, "canopy-chat-mine"));

  row = GTK_WIDGET (gtk_list_box_get_row_at_index (list, 1));
  g_assert_nonnull (canopy_test_find_label (row, "mine"));
  g_assert_true (gtk_widget_has_css_class (row, "canopy-chat-mine"));
  g_assert_finalize_object (view);
}

static void
test_cap (void)
{
  GtkWidget *view = new_view ();
  GtkListBox *list = GTK_LIST_BOX (canopy_test_find_type (view, GTK_TYPE_LIST_BOX));

  for (guint i = 0; i < 510; i++) {
    g_autofree char *text = g_strdup_printf ("message %u", i);

    add (CANOPY_CHAT_VIEW (view), "Ann", text, 0, FALSE);
  }
  g_assert_cmpuint (canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (view)), ==, 500);
  g_assert_nonnull (gtk_list_box_get_row_at_index (list, 499));
  g_assert_null (gtk_list_box_get_row_at_index (list, 500));
  /* The oldest went first. */
  g_assert_nonnull (canopy_test_find_label (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 0)),
                                            "message 10"));
  g_assert_nonnull (
    canopy_test_find_label (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 499)), "message 509"));

  canopy_chat_view_clear (CANOPY_CHAT_VIEW (view));
  g_assert_cmpuint (canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (view)), ==, 0);
  g_assert_null (gtk_list_box_get_row_at_index (list, 0));
  add (CANOPY_CHAT_VIEW (view), "Ann", "again", 0, FALSE);
  g_assert_cmpuint (canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (view)), ==, 1);
  g_assert_finalize_object (view);
}

static void
on_send (CanopyChatView *view,
         const char     *text,
         GPtrArray      *sent)
{
  g_ptr_array_add (sent, g_strdup (text));
}

static void
test_send (void)
{
  GtkWidget *view = new_view ();
  GtkWidget *entry = canopy_test_find_type (view, GTK_TYPE_ENTRY);
  /* The first button is Share: Send is after the entry. */
  GtkWidget *button = canopy_test_template_child (view, CANOPY_TYPE_CHAT_VIEW, "send_button");
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (view, "send", G_CALLBACK (on_send), sent);
  g_assert_cmpint (gtk_entry_get_max_length (GTK_ENTRY (entry)), ==, 2000);
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (entry)), ==, "Say something…");

  gtk_editable_set_text (GTK_EDITABLE (entry), "  hello there \n");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (sent, 0), ==, "hello there");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");

  /* Nothing but white space: nothing sent. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "   ");
  g_signal_emit_by_name (entry, "activate");
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpuint (sent->len, ==, 1);

  gtk_editable_set_text (GTK_EDITABLE (entry), "by button");
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (sent->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (sent, 1), ==, "by button");

  /* Out of a room: nothing leaves. */
  canopy_chat_view_set_sensitive_entry (CANOPY_CHAT_VIEW (view), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (entry), "not now");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpuint (sent->len, ==, 2);
  g_assert_finalize_object (view);
}

static void
test_accessible (void)
{
  GtkWidget *view = new_view ();
  GtkWidget *entry = canopy_test_find_type (view, GTK_TYPE_ENTRY);
  GtkWidget *list = canopy_test_find_type (view, GTK_TYPE_LIST_BOX);
  GtkWidget *button = canopy_test_template_child (view, CANOPY_TYPE_CHAT_VIEW, "send_button");
  GtkWidget *share = canopy_test_template_child (view, CANOPY_TYPE_CHAT_VIEW, "share_button");
  GtkWidget *row;

  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_ROLE_TEXT_BOX);
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (entry),
                                                   GTK_ACCESSIBLE_PROPERTY_LABEL));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Chat message");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_ROLE_LIST);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Chat messages");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Send");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (share), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Share a File");

  add (CANOPY_CHAT_VIEW (view), "Ann", "hi", 0, FALSE);
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_ROLE_LIST_ITEM);
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (row),
                                                   GTK_ACCESSIBLE_PROPERTY_LABEL));
  g_assert_finalize_object (view);
}

/* The room's map names the authors: the host (its root) gets the badge, a claimed name loses to
 * the map's, and an author the map does not list shows its own name as unverified. */
static void
test_names (void)
{
  GtkWidget *view = new_view ();
  CanopyChatView *chat = CANOPY_CHAT_VIEW (view);
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Ana", 2);
  g_autoptr (GError) error = NULL;
  GtkWidget *host_row, *viewer_row, *liar_row, *gone_row, *empty_row, *no_map_row;

  g_assert_true (canopy_node_map_add (map, "h", "v", "Vic", 2, &error));
  g_assert_true (canopy_node_map_add (map, "h", "m", "Mo", 2, &error));
  g_assert_no_error (error);

  host_row = add_from (chat, map, "h", "Ana", "welcome");
  assert_author (host_row, "Ana", TRUE, TRUE, "welcome");

  viewer_row = add_from (chat, map, "v", "Vic", "hi");
  assert_author (viewer_row, "Vic", FALSE, TRUE, "hi");

  /* Mo claims the host's name: the map's name shows, without the badge. */
  liar_row = add_from (chat, map, "m", "Ana", "I am the host");
  assert_author (liar_row, "Mo", FALSE, TRUE, "I am the host");
  g_assert_null (canopy_test_find_label (liar_row, "Ana"));

  /* Not in the map (left, or not there yet): its own name, marked, and never the badge. */
  gone_row = add_from (chat, map, "x", "Ana", "me again");
  assert_author (gone_row, "Ana", FALSE, FALSE, "me again");
  empty_row = add_from (chat, map, "y", "", "nameless");
  assert_author (empty_row, "Someone", FALSE, FALSE, "nameless");
  no_map_row = add_from (chat, NULL, "h", "Ana", "before the map");
  assert_author (no_map_row, "Ana", FALSE, FALSE, "before the map");

  /* The map changes: listed authors follow it, the others keep what they showed. */
  g_assert_true (canopy_node_map_add (map, "h", "x", "Xia", 2, &error));
  g_assert_true (canopy_node_map_set (map, "m", "Moe", 2, &error));
  g_assert_true (canopy_node_map_remove (map, "v", &error));
  g_assert_no_error (error);
  canopy_chat_view_update_names (chat, map);
  canopy_chat_view_update_names (chat, NULL);
  assert_author (host_row, "Ana", TRUE, TRUE, "welcome");
  assert_author (viewer_row, "Vic", FALSE, TRUE, "hi");
  assert_author (liar_row, "Moe", FALSE, TRUE, "I am the host");
  assert_author (gone_row, "Xia", FALSE, TRUE, "me again");
  assert_author (empty_row, "Someone", FALSE, FALSE, "nameless");
  assert_author (no_map_row, "Ana", TRUE, TRUE, "before the map");
  g_assert_finalize_object (view);
}

/* A message from @origin, @from_me or not, shown with @map. */
static GtkWidget *
add_as (CanopyChatView *view,
        CanopyNodeMap  *map,
        const char     *origin,
        const char     *name,
        const char     *text,
        gboolean        from_me)
{
  GtkListBox *list = GTK_LIST_BOX (canopy_test_find_type (GTK_WIDGET (view), GTK_TYPE_LIST_BOX));
  guint n = canopy_chat_view_get_n_messages (view);
  CanopyChatMessage message = {
    .origin = (char *) origin,
    .seq = 1,
    .name = (char *) name,
    .time = 0,
    .text = (char *) text,
  };

  canopy_chat_view_add_message (view, &message, map, from_me);
  return GTK_WIDGET (gtk_list_box_get_row_at_index (list, n));
}

static GtkWidget *
row_menu (GtkWidget  *row,
          const char *name)
{
  GtkLabel *label = find_shown (row, name);

  g_assert_nonnull (label);
  return canopy_test_person_menu_of (label);
}

static gboolean
row_shows_muted (GtkWidget  *row,
                 const char *name)
{
  GtkLabel *label = find_shown (row, name);

  g_assert_nonnull (label);
  return canopy_test_shows_muted (label);
}

/* The host's chat offers its menu on everyone else's messages (unverified authors too), never
 * on its own; a viewer's on none. Muted authors are marked, for the screen reader too. */
static void
test_moderation (void)
{
  GtkWidget *view = new_view ();
  CanopyChatView *chat = CANOPY_CHAT_VIEW (view);
  g_autoptr (CanopyNodeMap) map = canopy_node_map_new ("h", "Ana", 2);
  g_autoptr (GError) error = NULL;
  const char *const muted[] = { "v", "x", NULL };
  g_autofree char *action = NULL;
  g_autofree char *target = NULL;
  GtkWidget *mine, *vic, *stranger, *later, *menu;
  gboolean can_moderate = TRUE;
  g_autoptr (GDateTime) local = g_date_time_new_from_unix_local (0);
  g_autofree char *hhmm = g_date_time_format (local, "%H:%M");
  g_autofree char *said = g_strdup_printf ("Vic at %s: hi", hhmm);
  g_autofree char *said_muted = g_strdup_printf ("Vic at %s: hi (author muted)", hhmm);

  g_assert_true (canopy_node_map_add (map, "h", "v", "Vic", 2, &error));
  g_assert_no_error (error);

  /* The host's own message, a viewer's, and one from an author the map does not list. */
  g_object_get (view, "can-moderate", &can_moderate, NULL);
  g_assert_false (can_moderate);
  mine = add_as (chat, map, "h", "Ana", "welcome", TRUE);
  vic = add_as (chat, map, "v", "Vic", "hi", FALSE);
  stranger = add_as (chat, map, "x", "Xu", "hello?", FALSE);
  g_assert_null (row_menu (mine, "Ana"));
  g_assert_null (row_menu (vic, "Vic"));
  g_assert_null (row_menu (stranger, "Xu"));

  g_object_set (view, "can-moderate", TRUE, NULL);
  g_assert_true (canopy_chat_view_get_can_moderate (chat));
  g_assert_null (row_menu (mine, "Ana"));
  menu = row_menu (vic, "Vic");
  g_assert_nonnull (menu);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Moderate Vic");
  g_assert_true (canopy_test_person_menu_item (menu, "Mute", &action, &target));
  g_assert_cmpstr (action, ==, "room.mute");
  g_assert_cmpstr (target, ==, "v");
  g_clear_pointer (&action, g_free);
  g_clear_pointer (&target, g_free);
  g_assert_true (canopy_test_person_menu_item (menu, "Remove from Room…", &action, &target));
  g_assert_cmpstr (action, ==, "room.kick");
  g_assert_cmpstr (target, ==, "v");
  g_clear_pointer (&action, g_free);
  g_clear_pointer (&target, g_free);
  g_assert_nonnull (row_menu (stranger, "Xu"));
  g_assert_false (row_shows_muted (vic, "Vic"));

  /* Muted: marked, with Unmute in the menu, later messages too; the others are not. */
  canopy_chat_view_set_muted (chat, muted);
  g_assert_true (row_shows_muted (vic, "Vic"));
  g_assert_true (row_shows_muted (stranger, "Xu"));
  g_assert_false (row_shows_muted (mine, "Ana"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (vic), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       said_muted);
  g_assert_true (canopy_test_person_menu_item (row_menu (vic, "Vic"), "Unmute", &action,
                                               &target));
  g_assert_cmpstr (action, ==, "room.unmute");
  g_assert_cmpstr (target, ==, "v");
  later = add_as (chat, map, "v", "Vic", "still here", FALSE);
  g_assert_true (row_shows_muted (later, "Vic"));
  g_assert_nonnull (row_menu (later, "Vic"));

  /* A viewer's chat: marks, no menus. */
  canopy_chat_view_set_can_moderate (chat, FALSE);
  g_assert_null (row_menu (vic, "Vic"));
  g_assert_null (row_menu (later, "Vic"));
  g_assert_null (row_menu (stranger, "Xu"));
  g_assert_true (row_shows_muted (later, "Vic"));

  canopy_chat_view_set_muted (chat, NULL);
  g_assert_false (row_shows_muted (vic, "Vic"));
  g_assert_false (row_shows_muted (later, "Vic"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (vic), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       said);
  g_assert_finalize_object (view);
}

static gboolean
at_bottom (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 1.0;
}

static gboolean
scrollable (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_upper (adjustment) > gtk_adjustment_get_page_size (adjustment) + 1.0;
}

typedef struct {
  GtkAdjustment *adjustment;
  double upper;
} UpperAbove;

static gboolean
upper_above (gpointer data)
{
  UpperAbove *u = data;

  return gtk_adjustment_get_upper (u->adjustment) > u->upper && scrollable (u->adjustment);
}

/* Layout happens on frame clock ticks: wait for it, generously (valgrind is slow). */
static void
wait_for_upper_above (GtkAdjustment *adjustment,
                      double         upper)
{
  UpperAbove u = { adjustment, upper };

  canopy_test_wait (upper_above, &u, 10);
  /* Let the scroll that follows the new height happen too. */
  canopy_test_spin (100);
}

static void
test_autoscroll (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_chat_view_new ();
  GtkScrolledWindow *scroller =
    GTK_SCROLLED_WINDOW (canopy_test_find_type (view, GTK_TYPE_SCROLLED_WINDOW));
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroller);

  gtk_window_set_default_size (GTK_WINDOW (window), 320, 240);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  canopy_test_spin (200);

  for (guint i = 0; i < 40; i++)
    add (CANOPY_CHAT_VIEW (view), "Ann", "a line of chat", 0, FALSE);
  wait_for_upper_above (adjustment, 0.0);
  g_assert_true (scrollable (adjustment));
  g_assert_true (at_bottom (adjustment));

  add (CANOPY_CHAT_VIEW (view), "Ann", "one more", 0, FALSE);
  wait_for_upper_above (adjustment, gtk_adjustment_get_upper (adjustment));
  g_assert_true (at_bottom (adjustment));

  /* Scrolled up to read: new messages leave the view where it is. */
  gtk_adjustment_set_value (adjustment, 0.0);
  canopy_test_spin (100);
  add (CANOPY_CHAT_VIEW (view), "Ann", "while reading", 0, FALSE);
  wait_for_upper_above (adjustment, gtk_adjustment_get_upper (adjustment));
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0.0);
  g_assert_false (at_bottom (adjustment));

  /* Back at the end: following again. */
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                          gtk_adjustment_get_page_size (adjustment));
  canopy_test_spin (100);
  add (CANOPY_CHAT_VIEW (view), "Ann", "and again", 0, FALSE);
  wait_for_upper_above (adjustment, gtk_adjustment_get_upper (adjustment));
  g_assert_true (at_bottom (adjustment));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  canopy_test_init_ui (&argc, &argv);

  g_test_add_func ("/chat-view/new-destroy", test_new_destroy);
  g_test_add_func ("/chat-view/properties", test_properties);
  g_test_add_func ("/chat-view/plain-text", test_plain_text);
  g_test_add_func ("/chat-view/cap", test_cap);
  g_test_add_func ("/chat-view/send", test_send);
  g_test_add_func ("/chat-view/accessible", test_accessible);
  g_test_add_func ("/chat-view/names", test_names);
  g_test_add_func ("/chat-view/moderation", test_moderation);
  g_test_add_func ("/chat-view/autoscroll", test_autoscroll);

  return g_test_run ();
}
