/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoomSide"

#include "canopy-room-side.h"

#include <glib/gi18n.h>

#include "canopy-chat-view.h"
#include "canopy-tree-view.h"

struct _CanopyRoomSide
{
  AdwBin parent_instance;

  CanopyNode *node;

  CanopyChatView *chat_view;
  CanopyTreeView *tree_view;
};

G_DEFINE_FINAL_TYPE (CanopyRoomSide, canopy_room_side, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_NODE,
  N_PROPS
};

enum {
  SIGNAL_TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Both panes show the room's names: the tree, and the authors of the chat messages. */
static void
update_map (CanopyRoomSide *self)
{
  CanopyNodeMap *map = NULL;

  if (self->node != NULL)
    map = canopy_node_get_map (self->node);
  canopy_tree_view_set_map (self->tree_view, map,
                            self->node ? canopy_node_get_peer_id (self->node) : NULL);
  canopy_chat_view_update_names (self->chat_view, map);
}

static void
update_entry (CanopyRoomSide *self)
{
  gboolean live = self->node != NULL &&
                  canopy_node_get_state (self->node) == CANOPY_NODE_STATE_LIVE;

  canopy_chat_view_set_sensitive_entry (self->chat_view, live);
}

static void
on_node_chat (CanopyNode              *node,
              const CanopyChatMessage *message,
              CanopyRoomSide          *self)
{
  gboolean from_me = g_strcmp0 (message->origin, canopy_node_get_peer_id (node)) == 0;

  canopy_chat_view_add_message (self->chat_view, message, canopy_node_get_map (node), from_me);
}

static void
on_node_map_changed (CanopyNode     *node,
                     CanopyRoomSide *self)
{
  update_map (self);
}

static void
on_node_state_notify (CanopyNode     *node,
                      GParamSpec     *pspec,
                      CanopyRoomSide *self)
{
  update_entry (self);
}

static void
on_chat_view_send (CanopyChatView *chat_view,
                   const char     *text,
                   CanopyRoomSide *self)
{
  g_autoptr (GError) error = NULL;

  if (self->node == NULL)
    return;
  if (!canopy_node_send_chat (self->node, text, &error)) {
    g_autofree char *message = g_strdup_printf (_("Message not sent: %s"), error->message);

    g_signal_emit (self, signals[SIGNAL_TOAST], 0, message);
  }
}

static void
canopy_room_side_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CanopyRoomSide *self = CANOPY_ROOM_SIDE (object);

  switch (prop_id) {
  case PROP_NODE:
    g_value_set_object (value, self->node);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_side_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CanopyRoomSide *self = CANOPY_ROOM_SIDE (object);

  switch (prop_id) {
  case PROP_NODE:
    canopy_room_side_set_node (self, g_value_get_object (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_side_dispose (GObject *object)
{
  CanopyRoomSide *self = CANOPY_ROOM_SIDE (object);

  if (self->node != NULL)
    g_signal_handlers_disconnect_by_data (self->node, self);
  g_clear_object (&self->node);
  /* GTK 4.8 unparents a bound direct child behind AdwBin's back: let the bin drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_ROOM_SIDE);
  G_OBJECT_CLASS (canopy_room_side_parent_class)->dispose (object);
}

static void
canopy_room_side_class_init (CanopyRoomSideClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_room_side_get_property;
  object_class->set_property = canopy_room_side_set_property;
  object_class->dispose = canopy_room_side_dispose;

  properties[PROP_NODE] =
    g_param_spec_object ("node", NULL, NULL, CANOPY_TYPE_NODE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyRoomSide::toast:
   * @text: something the person should read, translated
   */
  signals[SIGNAL_TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-room-side.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomSide, chat_view);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomSide, tree_view);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_view_send);
}

static void
canopy_room_side_init (CanopyRoomSide *self)
{
  g_type_ensure (CANOPY_TYPE_CHAT_VIEW);
  g_type_ensure (CANOPY_TYPE_TREE_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));
  update_entry (self);
}

GtkWidget *
canopy_room_side_new (void)
{
  return g_object_new (CANOPY_TYPE_ROOM_SIDE, NULL);
}

/**
 * canopy_room_side_set_node:
 * @self: a side pane
 * @node: (nullable): the node whose chat and tree to show
 *
 * A new node (a rejoin) keeps the chat history shown so far.
 */
void
canopy_room_side_set_node (CanopyRoomSide *self,
                           CanopyNode     *node)
{
  g_return_if_fail (CANOPY_IS_ROOM_SIDE (self));
  g_return_if_fail (node == NULL || CANOPY_IS_NODE (node));

  if (self->node == node)
    return;
  if (self->node != NULL)
    g_signal_handlers_disconnect_by_data (self->node, self);
  g_set_object (&self->node, node);
  if (node != NULL) {
    g_signal_connect (node, "chat", G_CALLBACK (on_node_chat), self);
    g_signal_connect (node, "map-changed", G_CALLBACK (on_node_map_changed), self);
    g_signal_connect (node, "notify::state", G_CALLBACK (on_node_state_notify), self);
  }
  update_map (self);
  update_entry (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NODE]);
}

CanopyNode *
canopy_room_side_get_node (CanopyRoomSide *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_SIDE (self), NULL);
  return self->node;
}

CanopyChatView *
canopy_room_side_get_chat_view (CanopyRoomSide *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_SIDE (self), NULL);
  return self->chat_view;
}

CanopyTreeView *
canopy_room_side_get_tree_view (CanopyRoomSide *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_SIDE (self), NULL);
  return self->tree_view;
}
