/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyTreeItem"

#include "canopy-tree-item.h"

/* One node of the room's tree as the tree view lists it; its children are CanopyTreeItems too. */
struct _CanopyTreeItem
{
  GObject     parent_instance;

  char       *id;
  char       *name;
  guint       depth;
  guint       capacity;
  gboolean    is_you;
  gboolean    is_host;
  gboolean    is_muted;
  GListStore *children;
};

G_DEFINE_FINAL_TYPE (CanopyTreeItem, canopy_tree_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_DEPTH,
  PROP_CAPACITY,
  PROP_N_CHILDREN,
  PROP_IS_YOU,
  PROP_IS_HOST,
  PROP_IS_MUTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
on_children_items_changed (CanopyTreeItem *self,
                           guint           position,
                           guint           removed,
                           guint           added)
{
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CHILDREN]);
}

static void
canopy_tree_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CanopyTreeItem *self = CANOPY_TREE_ITEM (object);

  switch (prop_id) {
  case PROP_ID:
    g_value_set_string (value, self->id);
    break;
  case PROP_NAME:
    g_value_set_string (value, self->name);
    break;
  case PROP_DEPTH:
    g_value_set_uint (value, self->depth);
    break;
  case PROP_CAPACITY:
    g_value_set_uint (value, self->capacity);
    break;
  case PROP_N_CHILDREN:
    g_value_set_uint (value, canopy_tree_item_get_n_children (self));
    break;
  case PROP_IS_YOU:
    g_value_set_boolean (value, self->is_you);
    break;
  case PROP_IS_HOST:
    g_value_set_boolean (value, self->is_host);
    break;
  case PROP_IS_MUTED:
    g_value_set_boolean (value, self->is_muted);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_tree_item_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CanopyTreeItem *self = CANOPY_TREE_ITEM (object);

  switch (prop_id) {
  case PROP_ID:
    self->id = g_value_dup_string (value);
    break;
  case PROP_NAME:
    canopy_tree_item_set_name (self, g_value_get_string (value));
    break;
  case PROP_DEPTH:
    canopy_tree_item_set_depth (self, g_value_get_uint (value));
    break;
  case PROP_CAPACITY:
    canopy_tree_item_set_capacity (self, g_value_get_uint (value));
    break;
  case PROP_IS_YOU:
    canopy_tree_item_set_is_you (self, g_value_get_boolean (value));
    break;
  case PROP_IS_HOST:
    canopy_tree_item_set_is_host (self, g_value_get_boolean (value));
    break;
  case PROP_IS_MUTED:
    canopy_tree_item_set_is_muted (self, g_value_get_boolean (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_tree_item_dispose (GObject *object)
{
  CanopyTreeItem *self = CANOPY_TREE_ITEM (object);

  g_clear_object (&self->children);

  G_OBJECT_CLASS (canopy_tree_item_parent_class)->dispose (object);
}

static void
canopy_tree_item_finalize (GObject *object)
{
  CanopyTreeItem *self = CANOPY_TREE_ITEM (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (canopy_tree_item_parent_class)->finalize (object);
}

static void
canopy_tree_item_class_init (CanopyTreeItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = canopy_tree_item_get_property;
  object_class->set_property = canopy_tree_item_set_property;
  object_class->dispose = canopy_tree_item_dispose;
  object_class->finalize = canopy_tree_item_finalize;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DEPTH] =
    g_param_spec_uint ("depth", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CAPACITY] =
    g_param_spec_uint ("capacity", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* How many items canopy_tree_item_get_children() holds. */
  properties[PROP_N_CHILDREN] =
    g_param_spec_uint ("n-children", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_IS_YOU] =
    g_param_spec_boolean ("is-you", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The map's root: the room's host. */
  properties[PROP_IS_HOST] =
    g_param_spec_boolean ("is-host", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The host muted it: nobody shows its chat. */
  properties[PROP_IS_MUTED] =
    g_param_spec_boolean ("is-muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
canopy_tree_item_init (CanopyTreeItem *self)
{
  self->children = g_list_store_new (CANOPY_TYPE_TREE_ITEM);
  g_signal_connect_object (self->children, "items-changed",
                           G_CALLBACK (on_children_items_changed), self, G_CONNECT_SWAPPED);
}

CanopyTreeItem *
canopy_tree_item_new (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (CANOPY_TYPE_TREE_ITEM, "id", id, NULL);
}

const char *
canopy_tree_item_get_id (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), NULL);

  return self->id;
}

const char *
canopy_tree_item_get_name (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), NULL);

  return self->name;
}

void
canopy_tree_item_set_name (CanopyTreeItem *self,
                           const char     *name)
{
  g_return_if_fail (CANOPY_IS_TREE_ITEM (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

guint
canopy_tree_item_get_depth (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), 0);

  return self->depth;
}

void
canopy_tree_item_set_depth (CanopyTreeItem *self,
                            guint           depth)
{
  g_return_if_fail (CANOPY_IS_TREE_ITEM (self));

  if (self->depth == depth)
    return;
  self->depth = depth;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEPTH]);
}

guint
canopy_tree_item_get_capacity (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), 0);

  return self->capacity;
}

void
canopy_tree_item_set_capacity (CanopyTreeItem *self,
                               guint           capacity)
{
  g_return_if_fail (CANOPY_IS_TREE_ITEM (self));

  if (self->capacity == capacity)
    return;
  self->capacity = capacity;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
}

gboolean
canopy_tree_item_get_is_you (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), FALSE);

  return self->is_you;
}

void
canopy_tree_item_set_is_you (CanopyTreeItem *self,
                             gboolean        is_you)
{
  g_return_if_fail (CANOPY_IS_TREE_ITEM (self));

  is_you = !!is_you;
  if (self->is_you == is_you)
    return;
  self->is_you = is_you;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_YOU]);
}

gboolean
canopy_tree_item_get_is_host (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), FALSE);

  return self->is_host;
}

void
canopy_tree_item_set_is_host (CanopyTreeItem *self,
                              gboolean        is_host)
{
  g_return_if_fail (CANOPY_IS_TREE_ITEM (self));

  is_host = !!is_host;
  if (self->is_host == is_host)
    return;
  self->is_host = is_host;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_HOST]);
}

gboolean
canopy_tree_item_get_is_muted (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), FALSE);

  return self->is_muted;
}

void
canopy_tree_item_set_is_muted (CanopyTreeItem *self,
                               gboolean        is_muted)
{
  g_return_if_fail (CANOPY_IS_TREE_ITEM (self));

  is_muted = !!is_muted;
  if (self->is_muted == is_muted)
    return;
  self->is_muted = is_muted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_MUTED]);
}

guint
canopy_tree_item_get_n_children (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->children));
}

/**
 * canopy_tree_item_get_children:
 * @self: an item
 *
 * Returns: (transfer none): the item's children, a store of CanopyTreeItem
 */
GListStore *
canopy_tree_item_get_children (CanopyTreeItem *self)
{
  g_return_val_if_fail (CANOPY_IS_TREE_ITEM (self), NULL);

  return self->children;
}
