/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyTreeView"

#include "canopy-tree-view.h"

#include <glib/gi18n.h>

#include "canopy-person-menu.h"
#include "canopy-tree-item.h"

struct _CanopyTreeView
{
  AdwBin            parent_instance;

  GtkStack         *stack;       /* the AdwBin child */
  GtkListView      *list_view;

  GListStore       *root_store;  /* the root's item, or nothing */
  GtkTreeListModel *tree_model;
  char             *self_id;
  GHashTable       *muted;       /* peer ids the host muted */
  guint             n_nodes;
  gboolean          can_moderate;
};

G_DEFINE_FINAL_TYPE (CanopyTreeView, canopy_tree_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_N_NODES,
  PROP_CAN_MODERATE,
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
    canopy_tree_item_set_is_muted (item, g_hash_table_contains (self->muted, id));
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

/* The widgets of one row, made in setup: the expander's child box holds them in this order. */
typedef struct
{
  GtkWidget *name_label;
  GtkWidget *host_badge;
  GtkWidget *you_label;
  GtkWidget *muted_label;
  GtkWidget *relays_label;
  GtkWidget *menu_button;
} TreeRow;

static G_DEFINE_QUARK (canopy_tree_row, tree_row)

static void
update_row (CanopyTreeView *self,
            GtkListItem    *list_item,
            CanopyTreeItem *item)
{
  TreeRow *row = g_object_get_qdata (G_OBJECT (list_item), tree_row_quark ());
  guint n_children = canopy_tree_item_get_n_children (item);
  const char *name = canopy_tree_item_get_name (item);
  gboolean is_you = canopy_tree_item_get_is_you (item);
  gboolean is_host = canopy_tree_item_get_is_host (item);
  g_autofree char *relays = NULL;

  if (name == NULL || *name == '\0')
    name = canopy_tree_item_get_id (item);
  /* Names come from the network: plain text only. */
  gtk_label_set_text (GTK_LABEL (row->name_label), name);
  gtk_widget_set_visible (row->host_badge, is_host);
  gtk_widget_set_visible (row->you_label, is_you);
  gtk_widget_set_visible (row->muted_label, canopy_tree_item_get_is_muted (item));
  if (is_you)
    gtk_widget_add_css_class (row->name_label, "canopy-you");
  else
    gtk_widget_remove_css_class (row->name_label, "canopy-you");

  /* TRANSLATORS: how many viewers a peer forwards the stream to */
  relays = g_strdup_printf (ngettext ("relays to %u", "relays to %u", n_children), n_children);
  gtk_label_set_text (GTK_LABEL (row->relays_label), relays);

  /* Only the host moderates, and never itself. */
  canopy_person_menu_button_update (row->menu_button, canopy_tree_item_get_id (item), name,
                                    canopy_tree_item_get_is_muted (item),
                                    self->can_moderate && !is_you && !is_host);
}

static void
on_item_notify (CanopyTreeItem *item,
                GParamSpec     *pspec,
                GtkListItem    *list_item)
{
  CanopyTreeView *self = g_object_get_data (G_OBJECT (list_item), "canopy-tree-view");

  update_row (self, list_item, item);
}

static void
on_can_moderate_notify (CanopyTreeView *self,
                        GParamSpec     *pspec,
                        GtkListItem    *list_item)
{
  GtkTreeListRow *list_row = gtk_list_item_get_item (list_item);
  g_autoptr (CanopyTreeItem) item = list_row != NULL ? gtk_tree_list_row_get_item (list_row)
                                                     : NULL;

  if (item != NULL)
    update_row (self, list_item, item);
}

static void
on_factory_setup (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  CanopyTreeView           *self)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  TreeRow *row = g_new0 (TreeRow, 1);

  row->name_label = gtk_label_new (NULL);
  /* TRANSLATORS: a badge next to the name of the room's host */
  row->host_badge = gtk_label_new (_("Host"));
  row->you_label = gtk_label_new (_("(you)"));
  row->muted_label = canopy_person_muted_label_new ();
  row->relays_label = gtk_label_new (NULL);
  row->menu_button = canopy_person_menu_button_new (box);
  g_object_set_qdata_full (G_OBJECT (list_item), tree_row_quark (), row, g_free);
  /* The view outlives its rows: they go with its list view. */
  g_object_set_data (G_OBJECT (list_item), "canopy-tree-view", self);

  gtk_label_set_use_markup (GTK_LABEL (row->name_label), FALSE);
  gtk_label_set_xalign (GTK_LABEL (row->name_label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (row->name_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (row->host_badge, "canopy-host-badge");
  gtk_widget_set_valign (row->host_badge, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (row->you_label, "canopy-you");
  gtk_widget_add_css_class (row->relays_label, "dim-label");
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  gtk_box_append (GTK_BOX (box), row->name_label);
  gtk_box_append (GTK_BOX (box), row->host_badge);
  gtk_box_append (GTK_BOX (box), row->you_label);
  gtk_box_append (GTK_BOX (box), row->muted_label);
  gtk_box_append (GTK_BOX (box), row->relays_label);
  gtk_box_append (GTK_BOX (box), row->menu_button);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_list_item_set_child (list_item, expander);
  g_signal_connect_object (self, "notify::can-moderate", G_CALLBACK (on_can_moderate_notify),
                           list_item, 0);
}

static void
on_factory_bind (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 CanopyTreeView           *self)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  g_autoptr (CanopyTreeItem) item = gtk_tree_list_row_get_item (row);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  update_row (self, list_item, item);
  g_signal_connect_object (item, "notify", G_CALLBACK (on_item_notify), list_item, 0);
}

static void
on_factory_unbind (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   CanopyTreeView           *self)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  g_autoptr (CanopyTreeItem) item = row != NULL ? gtk_tree_list_row_get_item (row) : NULL;

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, on_item_notify, list_item);
  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), NULL);
}

/* Marks the items of @store and their subtrees muted or not, as the host's list says. */
static void
update_muted (CanopyTreeView *self,
              GListStore     *store)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (store)); i++) {
    g_autoptr (CanopyTreeItem) item = g_list_model_get_item (G_LIST_MODEL (store), i);

    canopy_tree_item_set_is_muted (item, g_hash_table_contains (self->muted,
                                                                canopy_tree_item_get_id (item)));
    update_muted (self, canopy_tree_item_get_children (item));
  }
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
  case PROP_CAN_MODERATE:
    g_value_set_boolean (value, self->can_moderate);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_tree_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CanopyTreeView *self = CANOPY_TREE_VIEW (object);

  switch (prop_id) {
  case PROP_CAN_MODERATE:
    canopy_tree_view_set_can_moderate (self, g_value_get_boolean (value));
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
  g_clear_pointer (&self->muted, g_hash_table_unref);

  G_OBJECT_CLASS (canopy_tree_view_parent_class)->finalize (object);
}

static void
canopy_tree_view_class_init (CanopyTreeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_tree_view_get_property;
  object_class->set_property = canopy_tree_view_set_property;
  object_class->dispose = canopy_tree_view_dispose;
  object_class->finalize = canopy_tree_view_finalize;

  /* Nodes in the model, all levels: the size of the last map set. */
  properties[PROP_N_NODES] =
    g_param_spec_uint ("n-nodes", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Whether rows offer the host's menu (mute, remove) on everyone but the host. */
  properties[PROP_CAN_MODERATE] =
    g_param_spec_boolean ("can-moderate", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
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
  self->muted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Not a bound template child: gtk_widget_dispose_template() would unparent it behind
   * AdwBin's back, and AdwBin unparents its child again in its own dispose. */
  self->stack = GTK_STACK (adw_bin_get_child (ADW_BIN (self)));

  self->root_store = g_list_store_new (CANOPY_TYPE_TREE_ITEM);
  self->tree_model = gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (self->root_store)),
                                              FALSE, TRUE, create_child_model, NULL, NULL);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->tree_model)));

  g_signal_connect (factory, "setup", G_CALLBACK (on_factory_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (on_factory_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_factory_unbind), self);
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

/**
 * canopy_tree_view_set_muted:
 * @self: a tree view
 * @muted: (nullable) (array zero-terminated=1): the peer ids the host muted
 *
 * Marks those rows "muted" (also the ones of later maps), and no others.
 */
void
canopy_tree_view_set_muted (CanopyTreeView     *self,
                            const char * const *muted)
{
  g_return_if_fail (CANOPY_IS_TREE_VIEW (self));

  /* Called on every change of the room's map: most change nothing here. */
  if (canopy_person_set_equals (self->muted, muted))
    return;
  g_hash_table_remove_all (self->muted);
  for (guint i = 0; muted != NULL && muted[i] != NULL; i++)
    g_hash_table_add (self->muted, g_strdup (muted[i]));
  update_muted (self, self->root_store);
}

/**
 * canopy_tree_view_set_can_moderate:
 * @self: a tree view
 * @can_moderate: whether this peer is the host: the rows of everyone else offer its menu
 *
 * The menu's items activate `room.mute`, `room.unmute` and `room.kick` with the row's peer id.
 */
void
canopy_tree_view_set_can_moderate (CanopyTreeView *self,
                                   gboolean        can_moderate)
{
  g_return_if_fail (CANOPY_IS_TREE_VIEW (self));

  can_moderate = !!can_moderate;
  if (self->can_moderate == can_moderate)
    return;
  self->can_moderate = can_moderate;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_MODERATE]);
}

gboolean
canopy_tree_view_get_can_moderate (CanopyTreeView *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_VIEW (self), FALSE);

  return self->can_moderate;
}
