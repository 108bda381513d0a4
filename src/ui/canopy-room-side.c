/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoomSide"

#include "canopy-room-side.h"

#include <glib/gi18n.h>

#include "canopy-chat-view.h"
#include "canopy-tree-view.h"

/* Chat authors remembered to mark the muted ones who are not in the tree (any more): past this
 * many, the oldest are not looked at again. */
#define MAX_ORIGINS 1024

struct _CanopyRoomSide
{
  AdwBin parent_instance;

  CanopyNode *node;
  GHashTable *origins;       /* chat authors seen: id -> itself */
  GQueue origin_order;       /* the same ids, oldest first: not owned */
  AdwMessageDialog *dialog;  /* "Remove NAME?" */
  GCancellable *cancellable; /* files being read to share, or saved */

  AdwViewStack *stack;
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

static gboolean
is_host (CanopyRoomSide *self)
{
  return self->node != NULL && canopy_node_get_role (self->node) == CANOPY_NODE_ROLE_HOST;
}

/* The host's mute list as this node knows it (the host's own, or the one it signed): whoever
 * the map lists, and the chat authors seen. */
static void
update_muted (CanopyRoomSide *self,
              CanopyNodeMap  *map)
{
  g_autoptr (GPtrArray) muted = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer origin;

  if (self->node != NULL && map != NULL) {
    g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);

    for (guint i = 0; i < ids->len; i++)
      if (canopy_node_is_peer_muted (self->node, g_ptr_array_index (ids, i)))
        g_ptr_array_add (muted, g_ptr_array_index (ids, i));
  }
  g_hash_table_iter_init (&iter, self->origins);
  while (self->node != NULL && g_hash_table_iter_next (&iter, &origin, NULL)) {
    if ((map == NULL || !canopy_node_map_contains (map, origin)) &&
        canopy_node_is_peer_muted (self->node, origin))
      g_ptr_array_add (muted, origin);
  }
  g_ptr_array_add (muted, NULL);
  canopy_tree_view_set_muted (self->tree_view, (const char * const *) muted->pdata);
  canopy_chat_view_set_muted (self->chat_view, (const char * const *) muted->pdata);
}

/* Only the host moderates: its panes offer the menu, its actions are enabled. */
static void
update_moderation (CanopyRoomSide *self)
{
  gboolean host = is_host (self);

  canopy_tree_view_set_can_moderate (self->tree_view, host);
  canopy_chat_view_set_can_moderate (self->chat_view, host);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.kick", host);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.mute", host);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.unmute", host);
}

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
  update_muted (self, map);
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

  if (message->origin != NULL && !g_hash_table_contains (self->origins, message->origin)) {
    char *origin = g_strdup (message->origin);

    if (g_queue_get_length (&self->origin_order) >= MAX_ORIGINS)
      g_hash_table_remove (self->origins, g_queue_pop_head (&self->origin_order));
    g_hash_table_add (self->origins, origin);
    g_queue_push_tail (&self->origin_order, origin);
  }
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

/* --- files --- */

static void
toast (CanopyRoomSide *self,
       const char     *text)
{
  g_signal_emit (self, signals[SIGNAL_TOAST], 0, text);
}

/* What a person reads when a file could not be read, shared or written: the system's own words
 * for a file system error (already translated), ours for the node's. */
static const char *
plain_reason (const GError *error)
{
  if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE))
    return _("it is larger than the room allows");
  if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_FILES_OFF))
    return _("the host turned off files in this room");
  if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE))
    return _("only a file of at least 1 byte can be shared");
  if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_NOT_IN_ROOM))
    return _("you are not in the room any more");
  if (error->domain == CANOPY_ERROR)
    return _("the room did not take it");
  return error->message;
}

static void
on_node_file_offered (CanopyNode               *node,
                      const CanopyFileManifest *manifest,
                      CanopyRoomSide           *self)
{
  gboolean from_me = g_strcmp0 (manifest->sender, canopy_node_get_peer_id (node)) == 0;
  CanopyFileRow *row;

  /* A rejoin offers again what the room still keeps: one row per file. */
  if (canopy_chat_view_find_file (self->chat_view, manifest->id) != NULL)
    return;
  row = canopy_chat_view_add_file (self->chat_view, manifest, canopy_node_get_map (node),
                                   from_me);
  /* Its sender may withdraw it, and the host any file (moderation). */
  if (from_me)
    canopy_file_row_allow_cancel (row, _("Stop Sharing"));
  else if (canopy_node_get_role (node) == CANOPY_NODE_ROLE_HOST)
    canopy_file_row_allow_cancel (row, _("Remove"));
  if (from_me) {
    g_autoptr (GBytes) contents = canopy_node_dup_file_contents (node, manifest->id);

    if (contents != NULL)
      canopy_file_row_set_complete (row, contents);
  }
}

static void
on_node_file_progress (CanopyNode     *node,
                       const char     *id,
                       guint64         bytes,
                       guint64         size,
                       CanopyRoomSide *self)
{
  CanopyFileRow *row = canopy_chat_view_find_file (self->chat_view, id);

  if (row != NULL)
    canopy_file_row_set_progress (row, bytes);
}

static void
on_node_file_complete (CanopyNode               *node,
                       const CanopyFileManifest *manifest,
                       GBytes                   *contents,
                       CanopyRoomSide           *self)
{
  CanopyFileRow *row = canopy_chat_view_find_file (self->chat_view, manifest->id);

  if (row != NULL)
    canopy_file_row_set_complete (row, contents);
}

static void
on_node_file_failed (CanopyNode     *node,
                     const char     *id,
                     const char     *reason,
                     CanopyRoomSide *self)
{
  CanopyFileRow *row = canopy_chat_view_find_file (self->chat_view, id);

  if (row != NULL)
    canopy_file_row_set_failed (row, reason);
}

typedef struct {
  CanopyRoomSide *self;
  char *name;
} ShareRequest;

static void
on_file_shared (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ShareRequest *request = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = canopy_node_share_file_finish (CANOPY_NODE (source), result, &error);

  if (id == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* TRANSLATORS: a file could not be shared; the first %s is its name, the second why */
    g_autofree char *text = g_strdup_printf (_("“%s” was not shared: %s"), request->name,
                                             plain_reason (error));

    toast (request->self, text);
  }
  g_object_unref (request->self);
  g_free (request->name);
  g_free (request);
}

static void
on_chat_view_share_file (CanopyChatView *chat_view,
                         GFile          *file,
                         CanopyRoomSide *self)
{
  g_autofree char *path = g_file_get_path (file);
  ShareRequest *request;

  if (self->node == NULL)
    return;
  if (path == NULL) {
    toast (self, _("Only files on this computer can be shared"));
    return;
  }
  /* Read and hashed in a thread: a large file does not stop the window. */
  request = g_new0 (ShareRequest, 1);
  request->self = g_object_ref (self);
  request->name = g_file_get_basename (file);
  canopy_node_share_file_async (self->node, path, self->cancellable, on_file_shared, request);
}

static void
on_file_saved (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (CanopyRoomSide) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (source));
  g_autofree char *text = NULL;

  if (g_file_replace_contents_finish (G_FILE (source), result, NULL, &error)) {
    /* TRANSLATORS: a file was saved where the person chose; %s is its name */
    text = g_strdup_printf (_("Saved “%s”"), name);
  } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* TRANSLATORS: a file could not be saved; the first %s is its name, the second why */
    text = g_strdup_printf (_("“%s” was not saved: %s"), name, error->message);
  }
  if (text != NULL)
    toast (self, text);
}

static void
on_chat_view_save_file (CanopyChatView *chat_view,
                        const char     *id,
                        GFile          *destination,
                        CanopyRoomSide *self)
{
  g_autoptr (GBytes) contents = self->node ? canopy_node_dup_file_contents (self->node, id) : NULL;

  if (contents == NULL) {
    toast (self, _("This file is no longer kept in the room, so it cannot be saved"));
    return;
  }
  g_file_replace_contents_bytes_async (destination, contents, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION, self->cancellable,
                                       on_file_saved, g_object_ref (self));
}

static void
on_chat_view_cancel_file (CanopyChatView *chat_view,
                          const char     *id,
                          CanopyRoomSide *self)
{
  g_autoptr (GError) error = NULL;

  if (self->node != NULL && canopy_node_cancel_file (self->node, id, &error))
    return;
  if (g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_UNKNOWN_FILE))
    toast (self, _("This file is no longer kept in the room"));
  else
    toast (self, _("This file could not be withdrawn"));
  g_debug ("Cancelling %s: %s", id, error != NULL ? error->message : "no room");
}

/* --- moderation: the host's menu on a person's name --- */

static const char *
person_name (CanopyRoomSide *self,
             const char     *peer)
{
  CanopyNodeMap *map = canopy_node_get_map (self->node);
  const char *name = map != NULL && canopy_node_map_contains (map, peer)
                       ? canopy_node_map_get_name (map, peer)
                       : NULL;

  return name != NULL && *name != '\0' ? name : _("Someone");
}

static void
on_kick_dialog_response (AdwMessageDialog *dialog,
                         const char       *response,
                         CanopyRoomSide   *self)
{
  const char *peer = g_object_get_data (G_OBJECT (dialog), "canopy-peer");

  if (self->dialog == dialog)
    self->dialog = NULL;
  if (g_strcmp0 (response, "remove") == 0 && is_host (self) && peer != NULL)
    canopy_node_kick (self->node, peer);
}

static void
kick_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CanopyRoomSide *self = CANOPY_ROOM_SIDE (widget);
  const char *peer = g_variant_get_string (parameter, NULL);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (!is_host (self) || g_strcmp0 (peer, canopy_node_get_peer_id (self->node)) == 0)
    return;
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->dialog)));
  /* TRANSLATORS: asked before the host removes a person from the room; %s is their name */
  heading = g_strdup_printf (_("Remove %s?"), person_name (self, peer));
  /* Heading and body are plain text (their use-markup properties are off): names are safe. */
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   _("They cannot join this room again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "canopy-peer", g_strdup (peer), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_kick_dialog_response), self, 0);
  self->dialog = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
mute_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CanopyRoomSide *self = CANOPY_ROOM_SIDE (widget);

  if (!is_host (self))
    return;
  /* The node signs the new list, sends it down the tree and says map-changed: the panes follow. */
  canopy_node_mute_peer (self->node, g_variant_get_string (parameter, NULL),
                         g_str_equal (action_name, "room.mute"));
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
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->dialog)));
  /* GTK 4.8 unparents a bound direct child behind AdwBin's back: let the bin drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_ROOM_SIDE);
  G_OBJECT_CLASS (canopy_room_side_parent_class)->dispose (object);
}

static void
canopy_room_side_finalize (GObject *object)
{
  CanopyRoomSide *self = CANOPY_ROOM_SIDE (object);

  g_queue_clear (&self->origin_order);
  g_clear_pointer (&self->origins, g_hash_table_unref);
  G_OBJECT_CLASS (canopy_room_side_parent_class)->finalize (object);
}

static void
canopy_room_side_class_init (CanopyRoomSideClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_room_side_get_property;
  object_class->set_property = canopy_room_side_set_property;
  object_class->dispose = canopy_room_side_dispose;
  object_class->finalize = canopy_room_side_finalize;

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

  /* The host's menu on a person's name (canopy-person-menu.c): the parameter is a peer id. */
  gtk_widget_class_install_action (widget_class, "room.kick", "s", kick_activated);
  gtk_widget_class_install_action (widget_class, "room.mute", "s", mute_activated);
  gtk_widget_class_install_action (widget_class, "room.unmute", "s", mute_activated);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-room-side.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomSide, stack);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomSide, chat_view);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomSide, tree_view);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_view_send);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_view_share_file);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_view_save_file);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_view_cancel_file);
}

static void
canopy_room_side_init (CanopyRoomSide *self)
{
  g_type_ensure (CANOPY_TYPE_CHAT_VIEW);
  g_type_ensure (CANOPY_TYPE_TREE_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->origin_order);
  update_entry (self);
  update_moderation (self);
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
    g_signal_connect (node, "file-offered", G_CALLBACK (on_node_file_offered), self);
    g_signal_connect (node, "file-progress", G_CALLBACK (on_node_file_progress), self);
    g_signal_connect (node, "file-complete", G_CALLBACK (on_node_file_complete), self);
    g_signal_connect (node, "file-failed", G_CALLBACK (on_node_file_failed), self);
  }
  update_moderation (self);
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
