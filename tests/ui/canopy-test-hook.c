/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyTestHook"

#include "canopy-test-hook.h"

#include <gio/gunixinputstream.h>
#include <json-glib/json-glib.h>

#include "canopy-audience-view.h"
#include "canopy-file-chooser.h"
#include "canopy-host-view.h"
#include "canopy-room-index.h"
#include "canopy-room-side.h"

#include <stdio.h>
#include <string.h>

/* TEST ONLY: end-to-end tests and build-aux/screenshots drive real app processes with it. It
 * prints one JSON object per line on stdout about what the window shows:
 *   {"event":"room","room":ID}                  the room hosted is live
 *   {"event":"frames","n":N,"view":V}           each second: frames the room view's paintable got
 *   {"event":"chat","name":..,"text":..,"mine":B,"shown":N}  a message added to the chat view
 *   {"event":"tree","nodes":N}                  the tree view's node count changed
 *   {"event":"index","rooms":N}                 each second without a room: rooms listed
 *   {"event":"peer","peer":ID,"role":R}         the room view's node has its peer id
 *   {"event":"page","page":P}                   the audience view shows another page (room,
 *                                               ended, removed, lost)
 *   {"event":"file","id":..,"name":..,"state":S,"bytes":N,"decoding":B,"note":..,
 *    "image_width":W,"image_height":H}           a file row in the chat changed (state
 *                                               incomplete, complete or failed; checked each
 *                                               second; image_* once a thumbnail shows)
 * and types each line read on stdin into the room's chat entry and activates it, so the text
 * takes the path a person's would; except "!kick ID", "!mute ID" and "!unmute ID", which the
 * host's menu on a person's name would do: the room.* action, and for kick "Remove" in the
 * dialog that asks; "!menu ID", which opens that menu on ID's first row shown (for
 * screenshots); "!share PATH", which clicks the chat's Share button and answers its file chooser
 * with PATH; and "!save ID PATH", which clicks Save on file ID's row and answers its chooser with
 * PATH (the chooser's own response, so the app takes the path a person's choice takes); and
 * "!cancel ID", which clicks Stop Sharing (the sender's) or Remove (the host's) on file ID's row. Only canopy-test-app (tests/ui/canopy-test-app.c) links it:
 * the installed `canopy` has no such hook. */

typedef struct {
  CanopyWindow *window;      /* weak */
  GtkWidget *view;           /* weak: the room view bound */
  CanopyRoomSide *side;      /* weak */
  CanopyChatView *chat_view; /* weak */
  CanopyTreeView *tree_view; /* weak */
  CanopyNode *node;          /* weak */
  GtkWidget *stack;          /* weak: the audience view's pages */
  char *room;                /* the room last reported */
  guint tick_id;
  GCancellable *cancellable;
  GDataInputStream *input;
  GQueue pending; /* char *: lines read, not yet sent */
  GHashTable *files; /* file id -> its last event, as text */
} Hook;

static JsonObject *
event_new (const char *name)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  return event;
}

static void
emit (JsonObject *event)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), event);
  g_autofree char *text = json_to_string (node, FALSE);

  json_object_unref (event);
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = find_descendant (child, type);

    if (found != NULL)
      return found;
  }
  return NULL;
}

static CanopyVideoPaintable *
view_paintable (GtkWidget   *view,
                const char **kind)
{
  if (CANOPY_IS_HOST_VIEW (view)) {
    *kind = "host";
    return canopy_host_view_get_paintable (CANOPY_HOST_VIEW (view));
  }
  if (CANOPY_IS_AUDIENCE_VIEW (view)) {
    *kind = "audience";
    return canopy_audience_view_get_paintable (CANOPY_AUDIENCE_VIEW (view));
  }
  return NULL;
}

/* --- moderation: what the host's menu items do --- */

static AdwMessageDialog *
find_dialog_of (CanopyWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr (GObject) toplevel = g_list_model_get_item (toplevels, i);

    if (ADW_IS_MESSAGE_DIALOG (toplevel) &&
        gtk_window_get_transient_for (GTK_WINDOW (toplevel)) == GTK_WINDOW (window))
      return ADW_MESSAGE_DIALOG (toplevel);
  }
  return NULL;
}

/* Whether @button is the person menu of @peer: its Remove item targets @peer. */
static gboolean
is_menu_of (GtkWidget  *button,
            const char *peer)
{
  GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button));

  for (int i = 0; menu != NULL && i < g_menu_model_get_n_items (menu); i++) {
    g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

    for (int j = 0; section != NULL && j < g_menu_model_get_n_items (section); j++) {
      g_autofree char *action = NULL;
      g_autofree char *target = NULL;

      if (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_ACTION, "s", &action) &&
          g_str_equal (action, "room.kick") &&
          g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_TARGET, "s", &target))
        return g_str_equal (target, peer);
    }
  }
  return FALSE;
}

static GtkWidget *
find_menu_of (GtkWidget  *widget,
              const char *peer)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_widget_get_mapped (widget) && is_menu_of (widget, peer))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child)) {
    GtkWidget *found = find_menu_of (child, peer);

    if (found != NULL)
      return found;
  }
  return NULL;
}

typedef struct {
  GtkNativeDialog *chooser; /* weak */
  GFile *file;
  guint tries;
} Answer;

static gboolean
answer_done (Answer *answer)
{
  g_clear_weak_pointer (&answer->chooser);
  g_object_unref (answer->file);
  g_free (answer);
  return G_SOURCE_REMOVE;
}

/* Until @chooser would answer the file: the fallback dialog loads its first folder
 * asynchronously, which may undo a folder chosen before it came; then its response. */
static gboolean
answer_chooser_tick (gpointer user_data)
{
  Answer *answer = user_data;
  GtkFileChooser *chooser = GTK_FILE_CHOOSER (answer->chooser);
  g_autoptr (GFile) folder = g_file_get_parent (answer->file);
  g_autoptr (GFile) chosen = NULL;
  g_autoptr (GFile) current = NULL;
  g_autofree char *name = NULL;

  if (chooser == NULL)
    return answer_done (answer);
  if (++answer->tries > 200) {
    g_warning ("The file chooser did not take %s", g_file_peek_path (answer->file));
    return answer_done (answer);
  }
  chosen = gtk_file_chooser_get_file (chooser);
  if (chosen != NULL && g_file_equal (chosen, answer->file)) {
    /* What its button does: the app's response handler takes it from here. */
    g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_ACCEPT);
    return answer_done (answer);
  }
  if (gtk_file_chooser_get_action (chooser) != GTK_FILE_CHOOSER_ACTION_SAVE) {
    gtk_file_chooser_set_file (chooser, answer->file, NULL);
    return G_SOURCE_CONTINUE;
  }
  current = gtk_file_chooser_get_current_folder (chooser);
  if (current == NULL || !g_file_equal (current, folder))
    gtk_file_chooser_set_current_folder (chooser, folder, NULL);
  name = g_file_get_basename (answer->file);
  gtk_file_chooser_set_current_name (chooser, name);
  return G_SOURCE_CONTINUE;
}

/* Answers @chooser, open, with @path as a person picking it and pressing its button would. */
static void
answer_chooser (GtkNativeDialog *chooser,
                const char      *path)
{
  Answer *answer;

  if (chooser == NULL) {
    g_warning ("No file chooser open for %s", path);
    return;
  }
  answer = g_new0 (Answer, 1);
  g_set_weak_pointer (&answer->chooser, chooser);
  answer->file = g_file_new_for_path (path);
  g_timeout_add (50, answer_chooser_tick, answer);
}

/* "!share PATH", "!save ID PATH": TRUE when @line was one (done or not). */
static gboolean
file_command (Hook       *hook,
              const char *line)
{
  g_auto (GStrv) words = NULL;

  if (!g_str_has_prefix (line, "!share ") && !g_str_has_prefix (line, "!save ") &&
      !g_str_has_prefix (line, "!cancel "))
    return FALSE;
  words = g_strsplit (line, " ", 3);
  if (g_str_equal (words[0], "!cancel")) {
    CanopyFileRow *row = canopy_chat_view_find_file (hook->chat_view, words[1]);
    GtkWidget *button;

    if (row == NULL) {
      g_warning ("No file %s shown", words[1]);
      return TRUE;
    }
    button = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (row), CANOPY_TYPE_FILE_ROW,
                                                        "cancel_button"));
    if (!gtk_widget_get_visible (button))
      g_warning ("File %s offers no Stop Sharing or Remove", words[1]);
    else
      g_signal_emit_by_name (button, "clicked");
    return TRUE;
  }
  if (g_str_equal (words[0], "!share")) {
    GtkWidget *button = GTK_WIDGET (gtk_widget_get_template_child (
                                      GTK_WIDGET (hook->chat_view), CANOPY_TYPE_CHAT_VIEW,
                                      "share_button"));

    g_signal_emit_by_name (button, "clicked");
    answer_chooser (canopy_file_chooser_get (GTK_WIDGET (hook->chat_view)), words[1]);
  } else if (g_strv_length (words) == 3) {
    CanopyFileRow *row = canopy_chat_view_find_file (hook->chat_view, words[1]);
    GtkWidget *button;

    if (row == NULL) {
      g_warning ("No file %s shown", words[1]);
      return TRUE;
    }
    button = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (row), CANOPY_TYPE_FILE_ROW,
                                                        "save_button"));
    if (!gtk_widget_get_visible (button)) {
      g_warning ("File %s cannot be saved yet", words[1]);
      return TRUE;
    }
    g_signal_emit_by_name (button, "clicked");
    answer_chooser (canopy_file_chooser_get (GTK_WIDGET (row)), words[2]);
  }
  return TRUE;
}

static void
collect_file_rows (GtkWidget *widget,
                   GPtrArray *rows)
{
  if (CANOPY_IS_FILE_ROW (widget)) {
    g_ptr_array_add (rows, widget);
    return;
  }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_file_rows (child, rows);
}

/* One event for each file row that changed since the last look. */
static void
emit_files (Hook *hook)
{
  static const char *const states[] = { "incomplete", "complete", "failed" };
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();

  if (hook->chat_view == NULL)
    return;
  collect_file_rows (GTK_WIDGET (hook->chat_view), rows);
  for (guint i = 0; i < rows->len; i++) {
    CanopyFileRow *row = g_ptr_array_index (rows, i);
    GdkPaintable *image = canopy_file_row_get_image (row);
    JsonObject *event = event_new ("file");
    g_autoptr (JsonNode) node = NULL;
    char *text;

    json_object_set_string_member (event, "id", canopy_file_row_get_id (row));
    json_object_set_string_member (event, "name", canopy_file_row_get_name (row));
    json_object_set_string_member (event, "state", states[canopy_file_row_get_state (row)]);
    json_object_set_int_member (event, "bytes", (gint64) canopy_file_row_get_bytes (row));
    json_object_set_boolean_member (event, "decoding", canopy_file_row_is_decoding (row));
    if (canopy_file_row_get_note (row) != NULL)
      json_object_set_string_member (event, "note", canopy_file_row_get_note (row));
    if (image != NULL) {
      json_object_set_int_member (event, "image_width", gdk_paintable_get_intrinsic_width (image));
      json_object_set_int_member (event, "image_height",
                                  gdk_paintable_get_intrinsic_height (image));
    }
    node = json_node_init_object (json_node_alloc (), event);
    text = json_to_string (node, FALSE);
    if (g_strcmp0 (g_hash_table_lookup (hook->files, canopy_file_row_get_id (row)), text) == 0) {
      g_free (text);
      json_object_unref (event);
      continue;
    }
    g_hash_table_replace (hook->files, g_strdup (canopy_file_row_get_id (row)), text);
    emit (event);
  }
}

/* "!kick ID", "!mute ID", "!unmute ID", "!menu ID": TRUE when @line was one (done or not). */
static gboolean
moderate (Hook       *hook,
          const char *line)
{
  static const char *const commands[] = { "kick", "mute", "unmute" };

  if (line[0] != '!')
    return FALSE;
  if (g_str_has_prefix (line, "!menu ")) {
    GtkWidget *button = hook->side ? find_menu_of (GTK_WIDGET (hook->side), line + 6) : NULL;

    if (button != NULL)
      gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    else
      g_warning ("No menu shown for %s", line + 6);
    return TRUE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_autofree char *prefix = g_strdup_printf ("!%s ", commands[i]);
    g_autofree char *action = g_strdup_printf ("room.%s", commands[i]);
    AdwMessageDialog *dialog;

    if (!g_str_has_prefix (line, prefix))
      continue;
    if (hook->side == NULL) {
      g_warning ("No room to %s in", commands[i]);
      return TRUE;
    }
    gtk_widget_activate_action (GTK_WIDGET (hook->side), action, "s", line + strlen (prefix));
    /* Remove asks first: what a click on its button does. */
    if (i == 0 && (dialog = find_dialog_of (hook->window)) != NULL) {
      adw_message_dialog_response (dialog, "remove");
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
    return TRUE;
  }
  return FALSE;
}

/* --- chat input --- */

static void
flush_pending (Hook *hook)
{
  gboolean sensitive = FALSE;
  GtkWidget *entry;

  if (hook->chat_view == NULL)
    return;
  g_object_get (hook->chat_view, "entry-sensitive", &sensitive, NULL);
  if (!sensitive)
    return;
  entry = find_descendant (GTK_WIDGET (hook->chat_view), GTK_TYPE_ENTRY);
  while (!g_queue_is_empty (&hook->pending)) {
    g_autofree char *line = g_queue_pop_head (&hook->pending);

    if (moderate (hook, line) || file_command (hook, line))
      continue;
    if (entry != NULL) {
      /* What Enter in the entry does (GtkEntry has no activate_signal for
       * gtk_widget_activate() to use). */
      gtk_editable_set_text (GTK_EDITABLE (entry), line);
      g_signal_emit_by_name (entry, "activate");
    } else {
      g_signal_emit_by_name (hook->chat_view, "send", line);
    }
  }
}

static void
on_read_line (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                         NULL, &error);
  Hook *hook = user_data;

  /* Cancelled: the hook is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    return;
  g_queue_push_tail (&hook->pending, line);
  flush_pending (hook);
  g_data_input_stream_read_line_async (hook->input, G_PRIORITY_DEFAULT, hook->cancellable,
                                       on_read_line, hook);
}

/* --- node --- */

static void
check_room (Hook *hook)
{
  const char *room;
  JsonObject *event;

  if (hook->node == NULL || canopy_node_get_role (hook->node) != CANOPY_NODE_ROLE_HOST ||
      canopy_node_get_state (hook->node) != CANOPY_NODE_STATE_LIVE)
    return;
  room = canopy_node_get_room_id (hook->node);
  if (room == NULL || g_strcmp0 (room, hook->room) == 0)
    return;
  g_free (hook->room);
  hook->room = g_strdup (room);
  event = event_new ("room");
  json_object_set_string_member (event, "room", room);
  emit (event);
}

static void
on_node_notify (CanopyNode *node,
                GParamSpec *pspec,
                Hook       *hook)
{
  check_room (hook);
}

/* Connected after the room side's own handler: the message is in the chat view by now. */
static void
on_node_chat (CanopyNode              *node,
              const CanopyChatMessage *message,
              Hook                    *hook)
{
  JsonObject *event = event_new ("chat");

  json_object_set_string_member (event, "name", message->name);
  json_object_set_string_member (event, "text", message->text);
  json_object_set_boolean_member (event, "mine",
                                  g_strcmp0 (message->origin,
                                             canopy_node_get_peer_id (node)) == 0);
  json_object_set_int_member (event, "shown",
                              hook->chat_view
                                ? canopy_chat_view_get_n_messages (hook->chat_view) : 0);
  emit (event);
}

static void
emit_peer (Hook *hook)
{
  JsonObject *event;

  if (hook->node == NULL || canopy_node_get_peer_id (hook->node) == NULL)
    return;
  event = event_new ("peer");
  json_object_set_string_member (event, "peer", canopy_node_get_peer_id (hook->node));
  json_object_set_string_member (event, "role",
                                 canopy_node_get_role (hook->node) == CANOPY_NODE_ROLE_HOST
                                   ? "host" : "viewer");
  emit (event);
}

static void
on_node_peer_id_notify (CanopyNode *node,
                        GParamSpec *pspec,
                        Hook       *hook)
{
  emit_peer (hook);
}

static void
bind_node (Hook       *hook,
           CanopyNode *node)
{
  if (hook->node == node)
    return;
  if (hook->node != NULL) {
    g_signal_handlers_disconnect_by_data (hook->node, hook);
    g_clear_weak_pointer (&hook->node);
  }
  if (node == NULL)
    return;
  g_set_weak_pointer (&hook->node, node);
  g_signal_connect (node, "chat", G_CALLBACK (on_node_chat), hook);
  g_signal_connect (node, "notify::state", G_CALLBACK (on_node_notify), hook);
  g_signal_connect (node, "notify::room-id", G_CALLBACK (on_node_notify), hook);
  g_signal_connect (node, "notify::peer-id", G_CALLBACK (on_node_peer_id_notify), hook);
  check_room (hook);
  emit_peer (hook);
}

/* --- view --- */

static void
on_side_node_notify (CanopyRoomSide *side,
                     GParamSpec     *pspec,
                     Hook           *hook)
{
  /* A rejoin brings a new node. */
  bind_node (hook, canopy_room_side_get_node (side));
}

static void
emit_tree (Hook *hook)
{
  JsonObject *event = event_new ("tree");

  json_object_set_int_member (event, "nodes", canopy_tree_view_get_n_nodes (hook->tree_view));
  emit (event);
}

static void
on_tree_view_n_nodes_notify (CanopyTreeView *tree_view,
                             GParamSpec     *pspec,
                             Hook           *hook)
{
  emit_tree (hook);
}

static void
on_chat_view_entry_sensitive_notify (CanopyChatView *chat_view,
                                     GParamSpec     *pspec,
                                     Hook           *hook)
{
  flush_pending (hook);
}

static void
on_stack_page_notify (GtkStack   *stack,
                      GParamSpec *pspec,
                      Hook       *hook)
{
  JsonObject *event = event_new ("page");

  json_object_set_string_member (event, "page", gtk_stack_get_visible_child_name (stack));
  emit (event);
}

static void
unbind_view (Hook *hook)
{
  bind_node (hook, NULL);
  if (hook->stack != NULL)
    g_signal_handlers_disconnect_by_data (hook->stack, hook);
  g_clear_weak_pointer (&hook->stack);
  if (hook->side != NULL)
    g_signal_handlers_disconnect_by_data (hook->side, hook);
  if (hook->chat_view != NULL)
    g_signal_handlers_disconnect_by_data (hook->chat_view, hook);
  if (hook->tree_view != NULL)
    g_signal_handlers_disconnect_by_data (hook->tree_view, hook);
  g_clear_weak_pointer (&hook->side);
  g_clear_weak_pointer (&hook->chat_view);
  g_clear_weak_pointer (&hook->tree_view);
  g_clear_weak_pointer (&hook->view);
}

static void
rebind (Hook *hook)
{
  GtkWidget *view = hook->window ? canopy_window_get_room_view (hook->window) : NULL;
  GtkWidget *side;

  if (view == hook->view)
    return;
  unbind_view (hook);
  if (view == NULL)
    return;
  g_set_weak_pointer (&hook->view, view);
  if (CANOPY_IS_AUDIENCE_VIEW (view)) {
    g_set_weak_pointer (&hook->stack, GTK_WIDGET (gtk_widget_get_template_child (
                                        view, CANOPY_TYPE_AUDIENCE_VIEW, "stack")));
    g_signal_connect (hook->stack, "notify::visible-child-name",
                      G_CALLBACK (on_stack_page_notify), hook);
    on_stack_page_notify (GTK_STACK (hook->stack), NULL, hook);
  }
  side = find_descendant (view, CANOPY_TYPE_ROOM_SIDE);
  if (side == NULL)
    return;
  g_set_weak_pointer (&hook->side, CANOPY_ROOM_SIDE (side));
  g_set_weak_pointer (&hook->chat_view, canopy_room_side_get_chat_view (hook->side));
  g_set_weak_pointer (&hook->tree_view, canopy_room_side_get_tree_view (hook->side));
  g_signal_connect (side, "notify::node", G_CALLBACK (on_side_node_notify), hook);
  g_signal_connect (hook->chat_view, "notify::entry-sensitive",
                    G_CALLBACK (on_chat_view_entry_sensitive_notify), hook);
  g_signal_connect (hook->tree_view, "notify::n-nodes",
                    G_CALLBACK (on_tree_view_n_nodes_notify), hook);
  emit_tree (hook);
  bind_node (hook, canopy_room_side_get_node (hook->side));
  flush_pending (hook);
}

static gboolean
on_tick (gpointer user_data)
{
  Hook *hook = user_data;
  CanopyVideoPaintable *paintable;
  const char *kind = NULL;
  JsonObject *event;

  rebind (hook);
  emit_files (hook);
  if (hook->view == NULL && hook->window != NULL) {
    GtkWidget *index = canopy_window_get_room_index (hook->window);

    event = event_new ("index");
    json_object_set_int_member (event, "rooms", g_list_model_get_n_items (
                                  canopy_room_index_get_filtered (CANOPY_ROOM_INDEX (index))));
    emit (event);
    return G_SOURCE_CONTINUE;
  }
  if (hook->view == NULL || (paintable = view_paintable (hook->view, &kind)) == NULL)
    return G_SOURCE_CONTINUE;
  event = event_new ("frames");
  json_object_set_int_member (event, "n", (gint64) canopy_video_paintable_get_frames (paintable));
  json_object_set_string_member (event, "view", kind);
  emit (event);
  flush_pending (hook);
  return G_SOURCE_CONTINUE;
}

/* The window changes its title whenever it shows another page. */
static void
on_window_title_notify (CanopyWindow *window,
                        GParamSpec   *pspec,
                        Hook         *hook)
{
  rebind (hook);
}

static void
on_window_destroy (CanopyWindow *window,
                   Hook         *hook)
{
  g_cancellable_cancel (hook->cancellable);
  g_clear_object (&hook->cancellable);
  g_clear_object (&hook->input);
  g_clear_handle_id (&hook->tick_id, g_source_remove);
  unbind_view (hook);
  g_signal_handlers_disconnect_by_data (window, hook);
  g_clear_weak_pointer (&hook->window);
  g_queue_clear_full (&hook->pending, g_free);
  g_clear_pointer (&hook->files, g_hash_table_unref);
  g_free (hook->room);
  g_free (hook);
}

/**
 * canopy_test_hook_attach:
 * @window: the application's window
 *
 * Test only: reports what @window shows on stdout and chats what stdin says, until @window is
 * destroyed.
 */
void
canopy_test_hook_attach (CanopyWindow *window)
{
  Hook *hook;
  g_autoptr (GInputStream) in = NULL;

  g_return_if_fail (CANOPY_IS_WINDOW (window));

  hook = g_new0 (Hook, 1);
  g_queue_init (&hook->pending);
  hook->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_set_weak_pointer (&hook->window, window);
  g_signal_connect (window, "notify::title", G_CALLBACK (on_window_title_notify), hook);
  g_signal_connect (window, "destroy", G_CALLBACK (on_window_destroy), hook);
  hook->tick_id = g_timeout_add_seconds (1, on_tick, hook);

  in = g_unix_input_stream_new (0, FALSE);
  hook->cancellable = g_cancellable_new ();
  hook->input = g_data_input_stream_new (in);
  g_data_input_stream_read_line_async (hook->input, G_PRIORITY_DEFAULT, hook->cancellable,
                                       on_read_line, hook);
  rebind (hook);
}
