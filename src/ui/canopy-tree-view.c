/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyTreeView"

#include "canopy-tree-view.h"

#include <glib/gi18n.h>

#include "canopy-tree-item.h"

struct _CanopyTreeView
{
  AdwBin            parent_instance;

  GtkStack         *stack;       /* the AdwBin child */
  GtkListView      *list_view;

  GListStore       *root_store;  /* the root's item, or nothing */
  GtkTreeListModel *tree_model;
  char             *self_id;
  guint             n_nodes;
};

G_DEFINE_FINAL_TYPE (CanopyTreeView, canopy_tree_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_N_NODES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Leaves get no child model, so they show no expander arrow; an item whose children appear or
 * vanish is put back into its store (see sync_store) so that this runs again for it. */
static GListModel *
create_child_model (gpointer item,
                    gpointer user_data)
{
  CanopyTreeItem *tree_item = item;

  if (canopy_tree_item_get_n_children (tree_item) == 0)
    return NULL;
  return g_object_ref (G_LIST_MODEL (canopy_tree_item_get_children (tree_item)));
}

/* Makes @store list @ids in order, reusing the items it holds so rows keep their state, and
 * returns how many nodes the subtree holds. */
static guint
sync_store (CanopyTreeView *self,
            GListStore     *store,
            CanopyNodeMap  *map,
            GPtrArray      *ids,
            guint           depth)
{
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (store));
  g_autoptr (GHashTable) old = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                      NULL, g_object_unref);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean same = n_old == ids->len;
  guint count = 0;

  for (guint i = 0; i < n_old; i++) {
    CanopyTreeItem *item = g_list_model_get_item (G_LIST_MODEL (store), i);

    g_hash_table_replace (old, (gpointer) canopy_tree_item_get_id (item), item);
  }

  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    g_autoptr (GPtrArray) children = canopy_node_map_get_children (map, id);
    CanopyTreeItem *item = g_hash_table_lookup (old, id);
    gboolean had_children;

    if (item != NULL) {
      g_object_ref (item);
    } else {
      item = canopy_tree_item_new (id);
      same = FALSE;
    }
    had_children = canopy_tree_item_get_n_children (item) > 0;

    canopy_tree_item_set_name (item, canopy_node_map_get_name (map, id));
    canopy_tree_item_set_depth (item, depth);
    canopy_tree_item_set_capacity (item, canopy_node_map_get_capacity (map, id));
    canopy_tree_item_set_is_you (item, g_strcmp0 (id, self->self_id) == 0);
    canopy_tree_item_set_is_host (item, g_strcmp0 (id, canopy_node_map_get_root (map)) == 0);
    count += 1 + sync_store (self, canopy_tree_item_get_children (item), map, children,
                             depth + 1);

    if (had_children != (children->len > 0))
      same = FALSE;
    if (same) {
      g_autoptr (CanopyTreeItem) at = g_list_model_get_item (G_LIST_MODEL (store), i);

      same = at == item;
    }
    g_ptr_array_add (items, item);
  }

  if (!same)
    g_list_store_splice (store, 0, n_old, items->pdata, items->len);
  return count;
}

static void
update_row (GtkListItem    *list_item,
            CanopyTreeItem *item)
{
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  GtkWidget *box = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  GtkWidget *name_label = gtk_widget_get_first_child (box);
  GtkWidget *host_badge = gtk_widget_get_next_sibling (name_label);
  GtkWidget *you_label = gtk_widget_get_next_sibling (host_badge);
  GtkWidget *relays_label = gtk_widget_get_next_sibling (you_label);
  guint n_children = canopy_tree_item_get_n_children (item);
  const char *name = canopy_tree_item_get_name (item);
  g_autofree char *relays = NULL;

  /* Names come from the network: plain text only. */
  gtk_label_set_text (GTK_LABEL (name_label),
                      name != NULL && *name != '\0' ? name : canopy_tree_item_get_id (item));
  gtk_widget_set_visible (host_badge, canopy_tree_item_get_is_host (item));
  gtk_widget_set_visible (you_label, canopy_tree_item_get_is_you (item));
  if (canopy_tree_item_get_is_you (item))
    gtk_widget_add_css_class (name_label, "canopy-you");
  else
    gtk_widget_remove_css_class (name_label, "canopy-you");

  /* TRANSLATORS: how many viewers a peer forwards the stream to */
  relays = g_strdup_printf (ngettext ("relays to %u", "relays to %u", n_children), n_children);
  gtk_label_set_text (GTK_LABEL (relays_label), relays);
}

static void
on_item_notify (CanopyTreeItem *item,
                GParamSpec     *pspec,
                GtkListItem    *list_item)
{
  update_row (list_item, item);
}

static void
on_factory_setup (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name_label = gtk_label_new (NULL);
  /* TRANSLATORS: a badge next to the name of the room's host */
  GtkWidget *host_badge = gtk_label_new (_("Host"));
  GtkWidget *you_label = gtk_label_new (_("(you)"));
  GtkWidget *relays_label = gtk_label_new (NULL);

  gtk_label_set_use_markup (GTK_LABEL (name_label), FALSE);
  gtk_label_set_xalign (GTK_LABEL (name_label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (name_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (host_badge, "canopy-host-badge");
  gtk_widget_set_valign (host_badge, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (you_label, "canopy-you");
  gtk_widget_add_css_class (relays_label, "dim-label");
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  gtk_box_append (GTK_BOX (box), name_label);
  gtk_box_append (GTK_BOX (box), host_badge);
  gtk_box_append (GTK_BOX (box), you_label);
  gtk_box_append (GTK_BOX (box), relays_label);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_list_item_set_child (list_item, expander);
}

static void
on_factory_bind (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  g_autoptr (CanopyTreeItem) item = gtk_tree_list_row_get_item (row);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  update_row (list_item, item);
  g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), list_item, 0);
}

static void
on_factory_unbind (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   gpointer                  user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  g_autoptr (CanopyTreeItem) item = row != NULL ? gtk_tree_list_row_get_item (row) : NULL;

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, on_item_notify, list_item);
  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), NULL);
}

static void
canopy_tree_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CanopyTreeView *self = CANOPY_TREE_VIEW (object);

  switch (prop_id) {
  case PROP_N_NODES:
    g_value_set_uint (value, self->n_nodes);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_tree_view_dispose (GObject *object)
{
  CanopyTreeView *self = CANOPY_TREE_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), CANOPY_TYPE_TREE_VIEW);
  g_clear_object (&self->tree_model);
  g_clear_object (&self->root_store);

  G_OBJECT_CLASS (canopy_tree_view_parent_class)->dispose (object);
}

static void
canopy_tree_view_finalize (GObject *object)
{
  CanopyTreeView *self = CANOPY_TREE_VIEW (object);

  g_clear_pointer (&self->self_id, g_free);

  G_OBJECT_CLASS (canopy_tree_view_parent_class)->finalize (object);
}

static void
canopy_tree_view_class_init (CanopyTreeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_tree_view_get_property;
  object_class->dispose = canopy_tree_view_dispose;
  object_class->finalize = canopy_tree_view_finalize;

  /* Nodes in the model, all levels: the size of the last map set. */
  properties[PROP_N_NODES] =
    g_param_spec_uint ("n-nodes", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-tree-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyTreeView, list_view);
}

static void
canopy_tree_view_init (CanopyTreeView *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkNoSelection) selection = NULL;

  g_type_ensure (CANOPY_TYPE_TREE_ITEM);
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Not a bound template child: gtk_widget_dispose_template() would unparent it behind
   * AdwBin's back, and AdwBin unparents its child again in its own dispose. */
  self->stack = GTK_STACK (adw_bin_get_child (ADW_BIN (self)));

  self->root_store = g_list_store_new (CANOPY_TYPE_TREE_ITEM);
  self->tree_model = gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (self->root_store)),
                                              FALSE, TRUE, create_child_model, NULL, NULL);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->tree_model)));

  g_signal_connect (factory, "setup", G_CALLBACK (on_factory_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (on_factory_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_factory_unbind), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  gtk_stack_set_visible_child_name (self->stack, "empty");
}

GtkWidget *
canopy_tree_view_new (void)
{
  return g_object_new (CANOPY_TYPE_TREE_VIEW, NULL);
}

/**
 * canopy_tree_view_set_map:
 * @self: a tree view
 * @map: (nullable): the room's tree; %NULL shows the empty state
 * @self_id: (nullable): this peer's id, marked "(you)"
 *
 * Shows @map, its root (the host) with a "Host" badge, updating the rows in place: items of
 * nodes still there are kept. The view does not keep @map; call again when it changes.
 */
void
canopy_tree_view_set_map (CanopyTreeView *self,
                          CanopyNodeMap  *map,
                          const char     *self_id)
{
  g_autoptr (GPtrArray) roots = g_ptr_array_new ();
  guint n_nodes = 0;

  g_return_if_fail (CANOPY_IS_TREE_VIEW (self));
  g_return_if_fail (map == NULL || CANOPY_IS_NODE_MAP (map));

  if (g_strcmp0 (self->self_id, self_id) != 0) {
    g_free (self->self_id);
    self->self_id = g_strdup (self_id);
  }
  if (map != NULL)
    g_ptr_array_add (roots, (gpointer) canopy_node_map_get_root (map));
  n_nodes = sync_store (self, self->root_store, map, roots, 0);

  gtk_stack_set_visible_child_name (self->stack, map != NULL ? "tree" : "empty");
  if (self->n_nodes != n_nodes) {
    self->n_nodes = n_nodes;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_NODES]);
  }
}

guint
canopy_tree_view_get_n_nodes (CanopyTreeView *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_VIEW (self), 0);

  return self->n_nodes;
}

/**
 * canopy_tree_view_get_model:
 * @self: a tree view
 *
 * Returns: (transfer none): the GtkTreeListModel of GtkTreeListRows holding CanopyTreeItems
 */
GListModel *
canopy_tree_view_get_model (CanopyTreeView *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_VIEW (self), NULL);

  return G_LIST_MODEL (self->tree_model);
}
