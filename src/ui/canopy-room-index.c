/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyRoomIndex"

#include "canopy-room-index.h"

#include "canopy-json.h"
#include "canopy-room-item.h"
#include "canopy-room-row.h"
#include "canopy-signal-client.h"
#include "canopy-ids.h"

#include <glib/gi18n.h>
#include <string.h>

/* The start page: the live rooms of the signalling server's directory, kept up to date through a
 * subscription, plus joining by ID and starting a new room. */
struct _CanopyRoomIndex {
  AdwBin parent_instance;

  char *server_url;
  CanopySignalClient *client;
  GCancellable *cancellable;
  gboolean subscribed;
  gboolean failed;

  GListStore *rooms;              /* CanopyRoomItem */
  GHashTable *by_id;              /* room id -> CanopyRoomItem (borrowed from rooms) */
  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  char *query;                    /* casefolded, or NULL */

  GtkEntry *join_entry;
  GtkButton *join_button;
  GtkButton *new_room_button;
  GtkSearchEntry *search_entry;
  GtkStack *stack;
  AdwStatusPage *error_page;
  GtkButton *retry_button;
  GtkListBox *list_box;
};

G_DEFINE_FINAL_TYPE (CanopyRoomIndex, canopy_room_index, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_STATE,
  N_PROPS
};

enum {
  SIGNAL_JOIN_ROOM,
  SIGNAL_NEW_ROOM,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* No server gets to make us hold more rooms than a person could ever scroll through. */
#define MAX_ROOMS 5000

static void
update_state (CanopyRoomIndex *self)
{
  const char *page;

  if (self->failed)
    page = "error";
  else if (!self->subscribed)
    page = "connecting";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->rooms)) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0)
    page = "no-results";
  else
    page = "list";

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), page) != 0) {
    gtk_stack_set_visible_child_name (self->stack, page);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  }
}

static void
clear_rooms (CanopyRoomIndex *self)
{
  g_hash_table_remove_all (self->by_id);
  g_list_store_remove_all (self->rooms);
}

static void
add_or_update (CanopyRoomIndex *self,
               JsonObject      *entry)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyRoomItem) item = canopy_room_item_new_from_json (entry, &error);
  CanopyRoomItem *existing;

  if (item == NULL) {
    g_debug ("Ignoring a room entry: %s", error->message);
    return;
  }
  existing = g_hash_table_lookup (self->by_id, canopy_room_item_get_room (item));
  if (existing != NULL) {
    /* The filter does not watch items: a new title may change whether it matches. */
    if (canopy_room_item_update (existing, item) && self->query != NULL)
      gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
    return;
  }
  if (g_hash_table_size (self->by_id) >= MAX_ROOMS)
    return;
  g_hash_table_insert (self->by_id, g_strdup (canopy_room_item_get_room (item)), item);
  g_list_store_append (self->rooms, item);
}

static void
remove_room (CanopyRoomIndex *self,
             const char      *room)
{
  g_autofree char *id = canopy_room_id_normalize (room);
  CanopyRoomItem *item;
  guint position;

  if (id == NULL || (item = g_hash_table_lookup (self->by_id, id)) == NULL)
    return;
  if (g_list_store_find (self->rooms, item, &position))
    g_list_store_remove (self->rooms, position);
  g_hash_table_remove (self->by_id, id);
}

static void
on_client_message (CanopyRoomIndex *self,
                   const char      *type,
                   JsonObject      *message)
{
  g_autoptr (GError) error = NULL;

  if (g_str_equal (type, "rooms")) {
    JsonArray *array = NULL;

    if (!canopy_json_get_array (message, "rooms", MAX_ROOMS, TRUE, &array, &error)) {
      g_debug ("Bad rooms message: %s", error->message);
      return;
    }
    clear_rooms (self);
    for (guint i = 0; i < json_array_get_length (array); i++) {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        add_or_update (self, json_node_get_object (node));
    }
    self->subscribed = TRUE;
  } else if (g_str_equal (type, "room-added") || g_str_equal (type, "room-updated")) {
    JsonObject *entry = NULL;

    if (!canopy_json_get_object (message, "room", TRUE, &entry, &error)) {
      g_debug ("Bad %s message: %s", type, error->message);
      return;
    }
    /* Only a subscriber gets room-added; a stray room-updated is not a directory entry. */
    if (self->subscribed)
      add_or_update (self, entry);
  } else if (g_str_equal (type, "room-removed")) {
    const char *room = NULL;

    if (!canopy_json_get_string (message, "room", CANOPY_ROOM_INPUT_CHARS, TRUE, &room, &error)) {
      g_debug ("Bad room-removed message: %s", error->message);
      return;
    }
    remove_room (self, room);
  } else if (g_str_equal (type, "error")) {
    const char *text = NULL;

    if (canopy_json_get_string (message, "message", 500, FALSE, &text, NULL) && text != NULL)
      g_debug ("Server error: %s", text);
  }
  update_state (self);
}

static void
show_error (CanopyRoomIndex *self)
{
  g_autofree char *escaped = NULL;
  g_autofree char *description = NULL;

  /* The status page's description is markup; the address is not ours. */
  escaped = g_markup_escape_text (self->server_url ? self->server_url : "", -1);
  description = g_strdup_printf (_("Nobody answers at %s. Check the address in Preferences, or try again."),
                                 escaped);
  adw_status_page_set_description (self->error_page, description);
  self->failed = TRUE;
  self->subscribed = FALSE;
  clear_rooms (self);
  update_state (self);
}

static void
on_client_closed (CanopyRoomIndex *self)
{
  show_error (self);
}

static void
on_client_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  CanopyRoomIndex *self;
  g_autoptr (JsonObject) subscribe = NULL;

  if (!canopy_signal_client_connect_finish (CANOPY_SIGNAL_CLIENT (source), result, &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return;
    self = CANOPY_ROOM_INDEX (user_data);
    g_debug ("Cannot connect to %s: %s", self->server_url, error->message);
    show_error (self);
    return;
  }
  self = CANOPY_ROOM_INDEX (user_data);
  subscribe = json_object_new ();
  json_object_set_string_member (subscribe, "type", "subscribe");
  if (!canopy_signal_client_send (self->client, subscribe))
    show_error (self);
}

static void
disconnect (CanopyRoomIndex *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client != NULL) {
    g_signal_handlers_disconnect_by_data (self->client, self);
    canopy_signal_client_close (self->client);
    g_clear_object (&self->client);
  }
  self->subscribed = FALSE;
}

static gboolean
filter_room (gpointer item,
             gpointer user_data)
{
  CanopyRoomIndex *self = user_data;
  g_autofree char *title = NULL;
  g_autofree char *host = NULL;

  if (self->query == NULL)
    return TRUE;
  title = g_utf8_casefold (canopy_room_item_get_title (item), -1);
  host = g_utf8_casefold (canopy_room_item_get_host (item), -1);
  return strstr (title, self->query) != NULL || strstr (host, self->query) != NULL;
}

static void
on_search_entry_search_changed (CanopyRoomIndex *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_clear_pointer (&self->query, g_free);
  if (*stripped != '\0')
    self->query = g_utf8_casefold (stripped, -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_state (self);
}

static void
on_row_join (CanopyRoomIndex *self,
             CanopyRoomRow   *row)
{
  g_autofree char *room = g_strdup (canopy_room_item_get_room (canopy_room_row_get_item (row)));

  g_signal_emit (self, signals[SIGNAL_JOIN_ROOM], 0, room);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  GtkWidget *row = canopy_room_row_new (item);

  g_signal_connect_object (row, "join", G_CALLBACK (on_row_join), user_data, G_CONNECT_SWAPPED);
  return row;
}

static void
toast (CanopyRoomIndex *self,
       const char      *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
on_join_button_clicked (CanopyRoomIndex *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->join_entry));
  g_autofree char *room = canopy_room_id_normalize (text);

  if (room == NULL) {
    gtk_widget_add_css_class (GTK_WIDGET (self->join_entry), "error");
    toast (self, _("That is not a room ID: it has 8 letters and digits, like k7m2-q9xa"));
    return;
  }
  gtk_widget_remove_css_class (GTK_WIDGET (self->join_entry), "error");
  g_signal_emit (self, signals[SIGNAL_JOIN_ROOM], 0, room);
}

static void
on_join_entry_activate (CanopyRoomIndex *self)
{
  on_join_button_clicked (self);
}

static void
on_new_room_button_clicked (CanopyRoomIndex *self)
{
  g_signal_emit (self, signals[SIGNAL_NEW_ROOM], 0);
}

static void
on_retry_button_clicked (CanopyRoomIndex *self)
{
  canopy_room_index_reconnect (self);
}

static void
canopy_room_index_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CanopyRoomIndex *self = CANOPY_ROOM_INDEX (object);

  switch (prop_id) {
  case PROP_SERVER_URL:
    g_value_set_string (value, self->server_url);
    break;
  case PROP_STATE:
    g_value_set_string (value, canopy_room_index_get_state (self));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_index_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CanopyRoomIndex *self = CANOPY_ROOM_INDEX (object);

  switch (prop_id) {
  case PROP_SERVER_URL:
    canopy_room_index_set_server_url (self, g_value_get_string (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_room_index_dispose (GObject *object)
{
  CanopyRoomIndex *self = CANOPY_ROOM_INDEX (object);

  disconnect (self);
  if (self->list_box != NULL)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_ROOM_INDEX);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->rooms);
  G_OBJECT_CLASS (canopy_room_index_parent_class)->dispose (object);
}

static void
canopy_room_index_finalize (GObject *object)
{
  CanopyRoomIndex *self = CANOPY_ROOM_INDEX (object);

  g_free (self->server_url);
  g_free (self->query);
  G_OBJECT_CLASS (canopy_room_index_parent_class)->finalize (object);
}

static void
canopy_room_index_class_init (CanopyRoomIndexClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_room_index_get_property;
  object_class->set_property = canopy_room_index_set_property;
  object_class->dispose = canopy_room_index_dispose;
  object_class->finalize = canopy_room_index_finalize;

  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* "connecting", "empty", "no-results", "error" or "list" */
  properties[PROP_STATE] =
    g_param_spec_string ("state", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyRoomIndex::join-room:
   * @room_id: a normalised room ID
   */
  signals[SIGNAL_JOIN_ROOM] = g_signal_new ("join-room", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_NEW_ROOM] = g_signal_new ("new-room", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);

  g_type_ensure (CANOPY_TYPE_ROOM_ROW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-room-index.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, join_entry);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, join_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, new_room_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, stack);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, error_page);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, retry_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyRoomIndex, list_box);
  gtk_widget_class_bind_template_callback (widget_class, on_join_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_join_entry_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_new_room_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_search_entry_search_changed);
}

static void
canopy_room_index_init (CanopyRoomIndex *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->rooms = g_list_store_new (CANOPY_TYPE_ROOM_ITEM);
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->filter = gtk_custom_filter_new (filter_room, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->rooms)),
                                              GTK_FILTER (g_object_ref (self->filter)));
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->filtered), create_row, self, NULL);
  gtk_stack_set_visible_child_name (self->stack, "connecting");
}

GtkWidget *
canopy_room_index_new (void)
{
  return g_object_new (CANOPY_TYPE_ROOM_INDEX, NULL);
}

/**
 * canopy_room_index_set_server_url:
 * @self: an index
 * @url: (nullable): the signalling server, `ws://HOST:PORT/ws`
 *
 * Connects to @url and subscribes to its room directory, dropping any previous connection.
 */
void
canopy_room_index_set_server_url (CanopyRoomIndex *self,
                                  const char      *url)
{
  g_return_if_fail (CANOPY_IS_ROOM_INDEX (self));

  if (g_strcmp0 (self->server_url, url) == 0)
    return;
  g_free (self->server_url);
  self->server_url = g_strdup (url);
  canopy_room_index_reconnect (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URL]);
}

const char *
canopy_room_index_get_server_url (CanopyRoomIndex *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_INDEX (self), NULL);
  return self->server_url;
}

/**
 * canopy_room_index_reconnect:
 * @self: an index
 *
 * Drops the connection, if any, and connects and subscribes again.
 */
void
canopy_room_index_reconnect (CanopyRoomIndex *self)
{
  g_return_if_fail (CANOPY_IS_ROOM_INDEX (self));

  disconnect (self);
  clear_rooms (self);
  self->failed = FALSE;
  if (self->server_url == NULL) {
    update_state (self);
    return;
  }
  self->cancellable = g_cancellable_new ();
  self->client = canopy_signal_client_new (self->server_url);
  g_signal_connect_object (self->client, "message", G_CALLBACK (on_client_message), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "closed", G_CALLBACK (on_client_closed), self,
                           G_CONNECT_SWAPPED);
  update_state (self);
  canopy_signal_client_connect_async (self->client, self->cancellable, on_client_connected, self);
}

/**
 * canopy_room_index_get_rooms:
 * @self: an index
 *
 * Returns: (transfer none): every listed room, #CanopyRoomItem
 */
GListModel *
canopy_room_index_get_rooms (CanopyRoomIndex *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_INDEX (self), NULL);
  return G_LIST_MODEL (self->rooms);
}

/**
 * canopy_room_index_get_filtered:
 * @self: an index
 *
 * Returns: (transfer none): the rooms the search lets through, as shown
 */
GListModel *
canopy_room_index_get_filtered (CanopyRoomIndex *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_INDEX (self), NULL);
  return G_LIST_MODEL (self->filtered);
}

/**
 * canopy_room_index_get_state:
 * @self: an index
 *
 * Returns: the page shown: "connecting", "empty", "no-results", "error" or "list"
 */
const char *
canopy_room_index_get_state (CanopyRoomIndex *self)
{
  g_return_val_if_fail (CANOPY_IS_ROOM_INDEX (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

void
canopy_room_index_focus_join (CanopyRoomIndex *self)
{
  g_return_if_fail (CANOPY_IS_ROOM_INDEX (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->join_entry));
}

void
canopy_room_index_set_join_text (CanopyRoomIndex *self,
                                 const char      *text)
{
  g_return_if_fail (CANOPY_IS_ROOM_INDEX (self));
  gtk_editable_set_text (GTK_EDITABLE (self->join_entry), text ? text : "");
}
