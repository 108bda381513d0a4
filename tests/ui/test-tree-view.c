/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-tree-item.h"
#include "canopy-tree-view.h"
#include "canopy-shell-test.h"
#include "canopy-test-moderation.h"

/*   h (Host)
 *   ├── a (Ann) ── a1 (Al), a2 (Alma)
 *   └── b (<b>Bob</b>) ── b1 (Bea)
 */
static CanopyNodeMap *
make_map (void)
{
  CanopyNodeMap *map = canopy_node_map_new ("h", "Hana", 2);
  g_autoptr (GError) error = NULL;

  g_assert_true (canopy_node_map_add (map, "h", "a", "Ann", 2, &error));
  g_assert_true (canopy_node_map_add (map, "h", "b", "<b>Bob</b>", 2, &error));
  g_assert_true (canopy_node_map_add (map, "a", "a1", "Al", 2, &error));
  g_assert_true (canopy_node_map_add (map, "a", "a2", "Alma", 2, &error));
  g_assert_true (canopy_node_map_add (map, "b", "b1", "Bea", 3, &error));
  g_assert_no_error (error);
  return map;
}

static CanopyTreeItem *
find_item (CanopyTreeView *view,
           const char     *id)
{
  GListModel *model = canopy_tree_view_get_model (view);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++) {
    g_autoptr (GtkTreeListRow) row = g_list_model_get_item (model, i);
    g_autoptr (CanopyTreeItem) item = gtk_tree_list_row_get_item (row);

    if (g_strcmp0 (canopy_tree_item_get_id (item), id) == 0)
      return item; /* the model keeps it alive */
  }
  return NULL;
}

static void
count_mapped_labels (GtkWidget  *widget,
                     const char *text,
                     guint      *count)
{
  if (canopy_test_is_mapped_label_with_text (widget, text))
    (*count)++;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    count_mapped_labels (child, text, count);
}

/* On screen: one "Host" badge, right after the root's name @host_name, and on no other row. */
static void
assert_host_badge (GtkWidget  *list_view,
                   const char *host_name)
{
  GtkLabel *name = canopy_test_find_mapped_label (list_view, host_name);
  GtkLabel *badge = canopy_test_find_mapped_label (list_view, "Host");
  guint n_badges = 0;

  g_assert_nonnull (name);
  g_assert_nonnull (badge);
  g_assert_true (gtk_widget_get_next_sibling (GTK_WIDGET (name)) == GTK_WIDGET (badge));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (badge), "canopy-host-badge"));
  g_assert_false (gtk_label_get_use_markup (badge));
  count_mapped_labels (list_view, "Host", &n_badges);
  g_assert_cmpuint (n_badges, ==, 1);
}

static void
test_item (void)
{
  CanopyTreeItem *item = canopy_tree_item_new ("x");
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  guint depth, capacity, n_children;
  gboolean is_you, is_host, is_muted;

  g_object_set (item, "name", "Xena", "depth", 3, "capacity", 4, "is-you", TRUE, "is-host", TRUE,
                "is-muted", TRUE, NULL);
  g_object_get (item, "id", &id, "name", &name, "depth", &depth, "capacity", &capacity,
                "is-you", &is_you, "is-host", &is_host, "is-muted", &is_muted,
                "n-children", &n_children, NULL);
  g_assert_cmpstr (id, ==, "x");
  g_assert_cmpstr (name, ==, "Xena");
  g_assert_cmpuint (depth, ==, 3);
  g_assert_cmpuint (capacity, ==, 4);
  g_assert_true (is_you);
  g_assert_true (is_host);
  g_assert_true (is_muted);
  g_assert_cmpuint (n_children, ==, 0);
  canopy_tree_item_set_is_muted (item, FALSE);
  g_assert_false (canopy_tree_item_get_is_muted (item));
  canopy_tree_item_set_is_host (item, FALSE);
  g_assert_false (canopy_tree_item_get_is_host (item));

  g_list_store_append (canopy_tree_item_get_children (item), canopy_tree_item_new ("y"));
  g_assert_cmpuint (canopy_tree_item_get_n_children (item), ==, 1);
  g_assert_finalize_object (item);
}

static void
test_new_destroy (void)
{
  GtkWidget *view = g_object_ref_sink (canopy_tree_view_new ());
  guint n_nodes = 1;

  g_assert_true (CANOPY_IS_TREE_VIEW (view));
  g_assert_true (GTK_IS_TREE_LIST_MODEL (canopy_tree_view_get_model (CANOPY_TREE_VIEW (view))));
  g_object_get (view, "n-nodes", &n_nodes, NULL);
  g_assert_cmpuint (n_nodes, ==, 0);
  g_assert_finalize_object (view);
}

static void
test_map (void)
{
  GtkWidget *view = g_object_ref_sink (canopy_tree_view_new ());
  CanopyTreeView *tree = CANOPY_TREE_VIEW (view);
  GListModel *model = canopy_tree_view_get_model (tree);
  g_autoptr (CanopyNodeMap) map = make_map ();
  g_autoptr (GError) error = NULL;
  CanopyTreeItem *item;
  CanopyTreeItem *a;
  guint n_nodes;

  canopy_tree_view_set_map (tree, map, "a1");
  g_assert_cmpuint (canopy_tree_view_get_n_nodes (tree), ==, canopy_node_map_get_size (map));
  g_assert_cmpuint (canopy_tree_view_get_n_nodes (tree), ==, 6);
  g_object_get (view, "n-nodes", &n_nodes, NULL);
  g_assert_cmpuint (n_nodes, ==, 6);
  /* Expanded all the way down. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 6);

  item = find_item (tree, "a1");
  g_assert_nonnull (item);
  g_assert_true (canopy_tree_item_get_is_you (item));
  g_assert_cmpuint (canopy_tree_item_get_depth (item), ==, 2);
  g_assert_cmpstr (canopy_tree_item_get_name (item), ==, "Al");
  for (guint i = 0; i < g_list_model_get_n_items (model); i++) {
    g_autoptr (GtkTreeListRow) row = g_list_model_get_item (model, i);
    g_autoptr (CanopyTreeItem) other = gtk_tree_list_row_get_item (row);

    g_assert_cmpint (canopy_tree_item_get_is_you (other), ==,
                     g_str_equal (canopy_tree_item_get_id (other), "a1"));
    g_assert_cmpint (canopy_tree_item_get_is_host (other), ==,
                     g_str_equal (canopy_tree_item_get_id (other), "h"));
    g_assert_cmpuint (gtk_tree_list_row_get_depth (row), ==,
                      canopy_tree_item_get_depth (other));
  }
  a = find_item (tree, "a");
  g_assert_cmpuint (canopy_tree_item_get_n_children (a), ==, 2);
  g_assert_cmpuint (canopy_tree_item_get_capacity (a), ==, 2);
  g_assert_cmpuint (canopy_tree_item_get_depth (find_item (tree, "h")), ==, 0);
  g_assert_cmpuint (canopy_tree_item_get_capacity (find_item (tree, "b1")), ==, 3);

  /* Smaller: the items of nodes still there are kept. */
  g_assert_true (canopy_node_map_remove (map, "a2", &error));
  g_assert_true (canopy_node_map_remove (map, "b1", &error));
  g_assert_no_error (error);
  canopy_tree_view_set_map (tree, map, "b");
  g_assert_cmpuint (canopy_tree_view_get_n_nodes (tree), ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 4);
  g_assert_true (find_item (tree, "a") == a);
  g_assert_cmpuint (canopy_tree_item_get_n_children (a), ==, 1);
  g_assert_null (find_item (tree, "a2"));
  g_assert_false (canopy_tree_item_get_is_you (find_item (tree, "a1")));
  g_assert_true (canopy_tree_item_get_is_you (find_item (tree, "b")));

  /* A leaf gains a child and a name: both show. */
  g_assert_true (canopy_node_map_add (map, "a1", "c", "Cy", 2, &error));
  g_assert_true (canopy_node_map_set (map, "a", "Anne", 2, &error));
  g_assert_no_error (error);
  canopy_tree_view_set_map (tree, map, "b");
  g_assert_cmpuint (canopy_tree_view_get_n_nodes (tree), ==, 5);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 5);
  g_assert_cmpuint (canopy_tree_item_get_depth (find_item (tree, "c")), ==, 3);
  g_assert_cmpstr (canopy_tree_item_get_name (find_item (tree, "a")), ==, "Anne");

  canopy_tree_view_set_map (tree, NULL, NULL);
  g_assert_cmpuint (canopy_tree_view_get_n_nodes (tree), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  canopy_tree_view_set_map (tree, map, NULL);
  g_assert_cmpuint (canopy_tree_view_get_n_nodes (tree), ==, 5);
  g_assert_false (canopy_tree_item_get_is_you (find_item (tree, "b")));
  g_assert_finalize_object (view);
}

static void
test_shown (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_tree_view_new ();
  g_autoptr (CanopyNodeMap) map = make_map ();
  g_autoptr (GError) error = NULL;
  GtkWidget *list_view = canopy_test_find_type (view, GTK_TYPE_LIST_VIEW);
  GtkWidget *status = canopy_test_find_type (view, ADW_TYPE_STATUS_PAGE);
  GtkLabel *label;

  gtk_window_set_default_size (GTK_WINDOW (window), 320, 480);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  canopy_test_spin (200);
  g_assert_true (gtk_widget_get_mapped (status));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "No tree yet");

  canopy_tree_view_set_map (CANOPY_TREE_VIEW (view), map, "a1");
  canopy_test_spin (300);
  g_assert_false (gtk_widget_get_mapped (status));
  g_assert_true (gtk_widget_get_mapped (list_view));
  assert_host_badge (list_view, "Hana");
  /* Names are plain text. */
  label = canopy_test_find_mapped_label (list_view, "<b>Bob</b>");
  g_assert_nonnull (label);
  g_assert_false (gtk_label_get_use_markup (label));
  g_assert_nonnull (canopy_test_find_mapped_label (list_view, "relays to 2"));
  g_assert_nonnull (canopy_test_find_mapped_label (list_view, "(you)"));
  label = canopy_test_find_mapped_label (list_view, "Al");
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (label), "canopy-you"));

  /* Rows follow changes of their item. */
  g_assert_true (canopy_node_map_set (map, "h", "Hannah", 2, &error));
  g_assert_no_error (error);
  canopy_tree_view_set_map (CANOPY_TREE_VIEW (view), map, "b");
  canopy_test_spin (300);
  assert_host_badge (list_view, "Hannah");
  label = canopy_test_find_mapped_label (list_view, "Al");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (label), "canopy-you"));

  canopy_tree_view_set_map (CANOPY_TREE_VIEW (view), NULL, NULL);
  canopy_test_spin (200);
  g_assert_true (gtk_widget_get_mapped (status));

  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (list_view), GTK_ACCESSIBLE_ROLE_LIST);
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (list_view),
                                                   GTK_ACCESSIBLE_PROPERTY_LABEL));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (list_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Viewer tree");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* What the room.* actions were asked, as "action target". */
static void
on_room_action (GSimpleAction *action,
                GVariant      *parameter,
                GPtrArray     *calls)
{
  g_ptr_array_add (calls, g_strdup_printf ("%s %s", g_action_get_name (G_ACTION (action)),
                                           g_variant_get_string (parameter, NULL)));
}

static GtkWidget *
menu_of (GtkWidget  *list_view,
         const char *name)
{
  GtkLabel *label = canopy_test_find_mapped_label (list_view, name);

  g_assert_nonnull (label);
  return canopy_test_person_menu_of (label);
}

static gboolean
shows_muted (GtkWidget  *list_view,
             const char *name)
{
  GtkLabel *label = canopy_test_find_mapped_label (list_view, name);

  g_assert_nonnull (label);
  return canopy_test_shows_muted (label);
}

/* The host's rows offer its menu on everyone but itself; a viewer's offer none; muted people
 * are marked in both, and the menu's items reach the room.* actions with the peer id. */
static void
test_moderation (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_tree_view_new ();
  CanopyTreeView *tree = CANOPY_TREE_VIEW (view);
  g_autoptr (CanopyNodeMap) map = make_map ();
  g_autoptr (GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr (GPtrArray) calls = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *list_view = canopy_test_find_type (view, GTK_TYPE_LIST_VIEW);
  const char *const muted[] = { "a", NULL };
  g_autofree char *action = NULL;
  g_autofree char *target = NULL;
  gboolean can_moderate = TRUE;
  GtkWidget *menu;

  for (guint i = 0; i < 3; i++) {
    static const char *const names[] = { "kick", "mute", "unmute" };
    g_autoptr (GSimpleAction) room_action = g_simple_action_new (names[i], G_VARIANT_TYPE_STRING);

    g_signal_connect (room_action, "activate", G_CALLBACK (on_room_action), calls);
    g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (room_action));
  }
  gtk_widget_insert_action_group (window, "room", G_ACTION_GROUP (group));
  gtk_window_set_default_size (GTK_WINDOW (window), 320, 480);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));

  /* The host's tree before it knows it moderates: no menus. */
  g_object_get (view, "can-moderate", &can_moderate, NULL);
  g_assert_false (can_moderate);
  canopy_tree_view_set_map (tree, map, "h");
  canopy_test_spin (300);
  g_assert_null (menu_of (list_view, "Hana"));
  g_assert_null (menu_of (list_view, "Ann"));

  g_object_set (view, "can-moderate", TRUE, NULL);
  g_assert_true (canopy_tree_view_get_can_moderate (tree));
  canopy_test_spin (100);
  /* Never on the host's own row. */
  g_assert_null (menu_of (list_view, "Hana"));
  for (guint i = 0; i < 5; i++) {
    static const char *const names[] = { "Ann", "<b>Bob</b>", "Al", "Alma", "Bea" };

    g_assert_nonnull (menu_of (list_view, names[i]));
    g_assert_false (shows_muted (list_view, names[i]));
  }
  menu = menu_of (list_view, "<b>Bob</b>");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Moderate <b>Bob</b>");
  g_assert_true (canopy_test_person_menu_item (menu, "Remove from Room…", &action, &target));
  g_assert_cmpstr (action, ==, "room.kick");
  g_assert_cmpstr (target, ==, "b");
  g_clear_pointer (&action, g_free);
  g_clear_pointer (&target, g_free);
  g_assert_true (canopy_test_person_menu_item (menu, "Mute", &action, &target));
  g_assert_cmpstr (action, ==, "room.mute");
  g_assert_cmpstr (target, ==, "b");
  g_assert_false (canopy_test_person_menu_item (menu, "Unmute", &action, &target));

  /* The items reach the actions with the row's peer id. */
  canopy_test_person_menu_activate (menu, "Mute");
  canopy_test_person_menu_activate (menu_of (list_view, "Al"), "Remove from Room…");
  g_assert_cmpuint (calls->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (calls, 0), ==, "mute b");
  g_assert_cmpstr (g_ptr_array_index (calls, 1), ==, "kick a1");

  /* Muted: the row says so, and its menu offers Unmute. */
  canopy_tree_view_set_muted (tree, muted);
  canopy_test_spin (100);
  g_assert_true (canopy_tree_item_get_is_muted (find_item (tree, "a")));
  g_assert_false (canopy_tree_item_get_is_muted (find_item (tree, "b")));
  g_assert_true (shows_muted (list_view, "Ann"));
  g_assert_false (shows_muted (list_view, "<b>Bob</b>"));
  menu = menu_of (list_view, "Ann");
  g_assert_nonnull (menu);
  g_assert_false (canopy_test_person_menu_item (menu, "Mute", &action, &target));
  canopy_test_person_menu_activate (menu, "Unmute");
  g_assert_cmpstr (g_ptr_array_index (calls, 2), ==, "unmute a");
  /* A later map keeps the mark. */
  canopy_tree_view_set_map (tree, map, "h");
  canopy_test_spin (100);
  g_assert_true (shows_muted (list_view, "Ann"));

  /* A viewer's tree: the same marks, no menus, not even on the host's row. */
  g_object_set (view, "can-moderate", FALSE, NULL);
  canopy_tree_view_set_map (tree, map, "a1");
  canopy_test_spin (100);
  g_assert_null (menu_of (list_view, "Hana"));
  g_assert_null (menu_of (list_view, "Ann"));
  g_assert_null (menu_of (list_view, "Al"));
  g_assert_true (shows_muted (list_view, "Ann"));

  canopy_tree_view_set_muted (tree, NULL);
  canopy_test_spin (100);
  g_assert_false (shows_muted (list_view, "Ann"));
  g_assert_false (canopy_tree_item_get_is_muted (find_item (tree, "a")));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  canopy_test_init_ui (&argc, &argv);

  g_test_add_func ("/tree-view/item", test_item);
  g_test_add_func ("/tree-view/new-destroy", test_new_destroy);
  g_test_add_func ("/tree-view/map", test_map);
  g_test_add_func ("/tree-view/shown", test_shown);
  g_test_add_func ("/tree-view/moderation", test_moderation);

  return g_test_run ();
}
