/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyChatView"

#include "canopy-chat-view.h"

#include <glib/gi18n.h>

#include "canopy-file-chooser.h"
#include "canopy-file-row.h"
#include "canopy-person-menu.h"

/* Older rows are dropped past this: a long room must not grow the list without bound. */
#define MAX_ROWS 500
/* Pixels from the end that still count as "at the bottom". */
#define BOTTOM_SLACK 4.0

struct _CanopyChatView
{
  AdwBin             parent_instance;

  GtkScrolledWindow *scroller;
  GtkListBox        *list;
  GtkEntry          *entry;
  GtkButton         *send_button;
  GtkButton         *share_button;

  GHashTable        *muted;    /* peer ids the host muted */
  guint              n_messages;
  gboolean           follow;   /* keep the newest message in view */
  gboolean           entry_sensitive;
  gboolean           can_moderate;
};

G_DEFINE_FINAL_TYPE (CanopyChatView, canopy_chat_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_N_MESSAGES,
  PROP_ENTRY_SENSITIVE,
  PROP_CAN_MODERATE,
  N_PROPS
};

enum {
  SIGNAL_SEND,
  SIGNAL_SHARE_FILE,
  SIGNAL_SAVE_FILE,
  SIGNAL_CANCEL_FILE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static G_DEFINE_QUARK (canopy_chat_row, chat_row)

static gboolean
adjustment_at_bottom (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - BOTTOM_SLACK;
}

static void
scroll_to_bottom (GtkAdjustment *adjustment)
{
  gtk_adjustment_set_value (adjustment,
                            gtk_adjustment_get_upper (adjustment) -
                              gtk_adjustment_get_page_size (adjustment));
}

/* The list grew (or shrank): the new height is only known after layout, so follow it here. */
static void
on_vadjustment_changed (CanopyChatView *self,
                        GtkAdjustment  *adjustment)
{
  if (self->follow && !adjustment_at_bottom (adjustment))
    scroll_to_bottom (adjustment);
}

static void
on_vadjustment_value_changed (CanopyChatView *self,
                              GtkAdjustment  *adjustment)
{
  /* The user scrolled: stop following until they come back to the end. */
  self->follow = adjustment_at_bottom (adjustment);
}

static char *
format_time (gint64 time_ms)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (time_ms / 1000);

  if (when == NULL)
    return g_strdup ("");
  return g_date_time_format (when, "%H:%M");
}

static GtkWidget *
make_label (const char *text,
            const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  /* Everything here came from the network: always plain text, never markup. */
  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* What a row needs to show its author again when the room's map changes; the author's own name
 * is shown only while the map does not list them, and then never changes. */
typedef struct
{
  char      *origin;
  char      *shown;
  gboolean   verified;
  gboolean   is_host;
  gboolean   from_me;
  gboolean   muted;
  GtkWidget *name_label; /* the widgets are the row's children: not owned */
  GtkWidget *host_badge;
  GtkWidget *unverified_label;
  GtkWidget *muted_label;
  GtkWidget *menu_button;
  GtkWidget *time_label;
  GtkWidget *text_label; /* a message's text, or NULL */
  GtkWidget *file_row;   /* a file's CanopyFileRow, or NULL */
} ChatRow;

static void
chat_row_free (gpointer data)
{
  ChatRow *chat_row = data;

  g_free (chat_row->origin);
  g_free (chat_row->shown);
  g_free (chat_row);
}

static ChatRow *
get_chat_row (GtkWidget *row)
{
  return g_object_get_qdata (G_OBJECT (row), chat_row_quark ());
}

static const char *
name_or_someone (const char *name)
{
  return name != NULL && *name != '\0' ? name : _("Someone");
}

/* What a screen reader says of @row: author, time, text, and whether the host muted them. */
static void
describe (GtkWidget *row)
{
  ChatRow *chat_row = get_chat_row (row);
  const char *name = chat_row->shown;
  const char *time = gtk_label_get_text (GTK_LABEL (chat_row->time_label));
  g_autofree char *file = NULL;
  const char *text;
  g_autofree char *accessible = NULL;

  if (chat_row->file_row != NULL) {
    /* TRANSLATORS: what a screen reader says of a file shared in chat; %s is its name */
    text = file = g_strdup_printf (_("shared the file %s"),
                                   canopy_file_row_get_name (CANOPY_FILE_ROW (chat_row->file_row)));
  } else {
    text = gtk_label_get_text (GTK_LABEL (chat_row->text_label));
  }

  if (chat_row->is_host) {
    /* TRANSLATORS: how a screen reader reads a chat message by the room's host: name, time, text */
    accessible = g_strdup_printf (_("%s (host) at %s: %s"), name, time, text);
  } else if (!chat_row->verified) {
    /* TRANSLATORS: how a screen reader reads a chat message whose author the room does not list,
     * under the name they gave themselves: name, time, text */
    accessible = g_strdup_printf (_("%s (unverified) at %s: %s"), name, time, text);
  } else {
    /* TRANSLATORS: how a screen reader reads one chat message: name, time, text */
    accessible = g_strdup_printf (_("%s at %s: %s"), name, time, text);
  }
  if (chat_row->muted) {
    g_autofree char *plain = g_steal_pointer (&accessible);

    /* TRANSLATORS: a chat message as a screen reader reads it, then that the host muted its
     * author */
    accessible = g_strdup_printf (_("%s (author muted)"), plain);
  }
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

/* The host's menu on the author's name: never on the host's own messages or the host's. */
static void
update_menu (CanopyChatView *self,
             GtkWidget      *row)
{
  ChatRow *chat_row = get_chat_row (row);

  canopy_person_menu_button_update (chat_row->menu_button, chat_row->origin, chat_row->shown,
                                    chat_row->muted,
                                    self->can_moderate && !chat_row->from_me &&
                                      !chat_row->is_host);
}

static void
set_muted (GtkWidget *row,
           gboolean   muted)
{
  ChatRow *chat_row = get_chat_row (row);

  muted = !!muted;
  if (chat_row->muted == muted)
    return;
  chat_row->muted = muted;
  gtk_widget_set_visible (chat_row->muted_label, muted);
  describe (row);
}

/* Shows @name as the author of @row: @verified when the room's map gave it (and then @is_host
 * when the author is the map's root), otherwise the author's own unconfirmed claim. */
static void
set_author (GtkWidget  *row,
            const char *name,
            gboolean    verified,
            gboolean    is_host)
{
  ChatRow *chat_row = get_chat_row (row);

  is_host = verified && is_host;
  if (chat_row->shown != NULL && g_str_equal (chat_row->shown, name) &&
      chat_row->verified == verified && chat_row->is_host == is_host)
    return;
  g_free (chat_row->shown);
  chat_row->shown = g_strdup (name);
  chat_row->verified = verified;
  chat_row->is_host = is_host;

  gtk_label_set_text (GTK_LABEL (chat_row->name_label), name);
  if (verified)
    gtk_widget_remove_css_class (chat_row->name_label, "dim-label");
  else
    gtk_widget_add_css_class (chat_row->name_label, "dim-label");
  gtk_widget_set_visible (chat_row->host_badge, is_host);
  gtk_widget_set_visible (chat_row->unverified_label, !verified);
  describe (row);
}

/* The room's names win over what a message claims: only the host writes the map (and the
 * server keeps its names unique), while anyone can put any name, the host's too, in a message. */
static gboolean
author_from_map (GtkWidget     *row,
                 CanopyNodeMap *map)
{
  ChatRow *chat_row = get_chat_row (row);

  if (map == NULL || chat_row->origin == NULL || !canopy_node_map_contains (map, chat_row->origin))
    return FALSE;
  set_author (row, name_or_someone (canopy_node_map_get_name (map, chat_row->origin)), TRUE,
              g_strcmp0 (chat_row->origin, canopy_node_map_get_root (map)) == 0);
  return TRUE;
}

/* A row under its author's name, with @body below (a message's text or a file). */
static GtkWidget *
make_row (CanopyChatView *self,
          const char     *origin,
          const char     *claimed_name,
          gint64          time_ms,
          CanopyNodeMap  *map,
          gboolean        from_me,
          GtkWidget      *body)
{
  g_autofree char *time = format_time (time_ms);
  ChatRow *chat_row = g_new0 (ChatRow, 1);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name_label = make_label ("", "heading");
  /* TRANSLATORS: a badge next to the name of the room's host */
  GtkWidget *host_badge = make_label (_("Host"), "canopy-host-badge");
  /* TRANSLATORS: next to a chat author's name that the room does not list (they left, or have
   * not joined the tree yet): the name is only what they call themselves */
  GtkWidget *unverified_label = make_label (_("unverified"), "dim-label");
  GtkWidget *time_label = make_label (time, "dim-label");
  GtkWidget *muted_label = canopy_person_muted_label_new ();
  GtkWidget *menu_button = canopy_person_menu_button_new (box);

  chat_row->origin = g_strdup (origin);
  chat_row->from_me = from_me;
  chat_row->name_label = name_label;
  chat_row->host_badge = host_badge;
  chat_row->unverified_label = unverified_label;
  chat_row->time_label = time_label;
  if (CANOPY_IS_FILE_ROW (body))
    chat_row->file_row = body;
  else
    chat_row->text_label = body;
  chat_row->muted_label = muted_label;
  chat_row->menu_button = menu_button;
  g_object_set_qdata_full (G_OBJECT (row), chat_row_quark (), chat_row, chat_row_free);

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "canopy-chat-row");
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  gtk_label_set_ellipsize (GTK_LABEL (name_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_valign (host_badge, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (host_badge, FALSE);
  gtk_widget_add_css_class (unverified_label, "caption");
  gtk_widget_set_tooltip_text (unverified_label,
                               _("The room does not list this author, so this is the name they "
                                 "gave themselves"));
  gtk_widget_set_visible (unverified_label, FALSE);
  gtk_widget_add_css_class (time_label, "caption");
  if (from_me) {
    gtk_widget_add_css_class (row, "canopy-chat-mine");
    gtk_widget_add_css_class (name_label, "accent");
  }

  gtk_box_append (GTK_BOX (header), name_label);
  gtk_box_append (GTK_BOX (header), host_badge);
  gtk_box_append (GTK_BOX (header), unverified_label);
  gtk_box_append (GTK_BOX (header), muted_label);
  gtk_box_append (GTK_BOX (header), time_label);
  gtk_box_append (GTK_BOX (header), menu_button);
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), body);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  if (!author_from_map (row, map))
    set_author (row, name_or_someone (claimed_name), FALSE, FALSE);
  set_muted (row, chat_row->origin != NULL && g_hash_table_contains (self->muted,
                                                                      chat_row->origin));
  update_menu (self, row);
  return row;
}

static GtkWidget *
make_text (const char *text)
{
  GtkWidget *text_label = make_label (text != NULL ? text : "", NULL);

  gtk_label_set_wrap (GTK_LABEL (text_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text_label), TRUE);
  return text_label;
}

static void
set_n_messages (CanopyChatView *self,
                guint           n_messages)
{
  if (self->n_messages == n_messages)
    return;
  self->n_messages = n_messages;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MESSAGES]);
}

/* Appends @row, dropping the oldest past MAX_ROWS; scrolls to it if the list was at the end. */
static void
append_row (CanopyChatView *self,
            GtkWidget      *row)
{
  guint n_messages = self->n_messages;

  /* At the end before adding: follow the new row once layout knows its height. */
  if (adjustment_at_bottom (gtk_scrolled_window_get_vadjustment (self->scroller)))
    self->follow = TRUE;

  gtk_list_box_append (self->list, row);
  n_messages++;
  while (n_messages > MAX_ROWS) {
    gtk_list_box_remove (self->list,
                         GTK_WIDGET (gtk_list_box_get_row_at_index (self->list, 0)));
    n_messages--;
  }
  set_n_messages (self, n_messages);
}

static void
on_file_row_cancel (CanopyFileRow  *file_row,
                    CanopyChatView *self)
{
  g_signal_emit (self, signals[SIGNAL_CANCEL_FILE], 0, canopy_file_row_get_id (file_row));
}

static void
on_file_row_save (CanopyFileRow  *file_row,
                  GFile          *destination,
                  CanopyChatView *self)
{
  g_signal_emit (self, signals[SIGNAL_SAVE_FILE], 0, canopy_file_row_get_id (file_row),
                 destination);
}

static void
on_share_chosen (GtkWidget *widget,
                 GFile     *file)
{
  CanopyChatView *self = CANOPY_CHAT_VIEW (widget);

  if (self->entry_sensitive)
    g_signal_emit (self, signals[SIGNAL_SHARE_FILE], 0, file);
}

static void
on_share_button_clicked (CanopyChatView *self)
{
  if (!self->entry_sensitive)
    return;
  /* TRANSLATORS: the title of the dialog that picks a file to share with the room */
  canopy_file_chooser_open (GTK_WIDGET (self), _("Share File"), GTK_FILE_CHOOSER_ACTION_OPEN,
                            _("_Share"), NULL, on_share_chosen);
}

static void
send_entry_text (CanopyChatView *self)
{
  g_autofree char *text = NULL;

  if (!self->entry_sensitive)
    return;
  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));
  if (*text == '\0')
    return;
  /* Cleared first, so a handler that fails to send may put the text back. */
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  g_signal_emit (self, signals[SIGNAL_SEND], 0, text);
}

static void
on_entry_activate (CanopyChatView *self)
{
  send_entry_text (self);
}

static void
on_send_button_clicked (CanopyChatView *self)
{
  send_entry_text (self);
}

static void
canopy_chat_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CanopyChatView *self = CANOPY_CHAT_VIEW (object);

  switch (prop_id) {
  case PROP_N_MESSAGES:
    g_value_set_uint (value, self->n_messages);
    break;
  case PROP_ENTRY_SENSITIVE:
    g_value_set_boolean (value, self->entry_sensitive);
    break;
  case PROP_CAN_MODERATE:
    g_value_set_boolean (value, self->can_moderate);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_chat_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CanopyChatView *self = CANOPY_CHAT_VIEW (object);

  switch (prop_id) {
  case PROP_ENTRY_SENSITIVE:
    canopy_chat_view_set_sensitive_entry (self, g_value_get_boolean (value));
    break;
  case PROP_CAN_MODERATE:
    canopy_chat_view_set_can_moderate (self, g_value_get_boolean (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_chat_view_dispose (GObject *object)
{
  canopy_file_chooser_close (GTK_WIDGET (object));
  gtk_widget_dispose_template (GTK_WIDGET (object), CANOPY_TYPE_CHAT_VIEW);

  G_OBJECT_CLASS (canopy_chat_view_parent_class)->dispose (object);
}

static void
canopy_chat_view_finalize (GObject *object)
{
  CanopyChatView *self = CANOPY_CHAT_VIEW (object);

  g_clear_pointer (&self->muted, g_hash_table_unref);

  G_OBJECT_CLASS (canopy_chat_view_parent_class)->finalize (object);
}

static void
canopy_chat_view_class_init (CanopyChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_chat_view_get_property;
  object_class->set_property = canopy_chat_view_set_property;
  object_class->dispose = canopy_chat_view_dispose;
  object_class->finalize = canopy_chat_view_finalize;

  properties[PROP_N_MESSAGES] =
    g_param_spec_uint ("n-messages", NULL, NULL, 0, MAX_ROWS, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ENTRY_SENSITIVE] =
    g_param_spec_boolean ("entry-sensitive", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* Whether rows offer the host's menu (mute, remove) on everyone else's messages. */
  properties[PROP_CAN_MODERATE] =
    g_param_spec_boolean ("can-moderate", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyChatView::send:
   * @self: the chat view
   * @text: what the user typed, stripped of surrounding white space, never empty
   *
   * The user asked to send @text; the entry is already cleared.
   */
  signals[SIGNAL_SEND] =
    g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * CanopyChatView::share-file:
   * @self: the chat view
   * @file: what the person chose to share with the room
   */
  signals[SIGNAL_SHARE_FILE] =
    g_signal_new ("share-file", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_FILE);
  /**
   * CanopyChatView::save-file:
   * @self: the chat view
   * @id: a file shown, complete
   * @destination: where the person chose to save it
   */
  signals[SIGNAL_SAVE_FILE] =
    g_signal_new ("save-file", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_FILE);
  /**
   * CanopyChatView::cancel-file:
   * @self: the chat view
   * @id: a file shown, which the person asked to take out of the room
   */
  signals[SIGNAL_CANCEL_FILE] =
    g_signal_new ("cancel-file", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, CanopyChatView, list);
  gtk_widget_class_bind_template_child (widget_class, CanopyChatView, entry);
  gtk_widget_class_bind_template_child (widget_class, CanopyChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyChatView, share_button);
  gtk_widget_class_bind_template_callback (widget_class, on_share_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_send_button_clicked);
}

static void
canopy_chat_view_init (CanopyChatView *self)
{
  GtkAdjustment *adjustment;

  g_type_ensure (CANOPY_TYPE_FILE_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->muted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->follow = TRUE;
  self->entry_sensitive = TRUE;
  gtk_entry_set_max_length (self->entry, CANOPY_CHAT_TEXT_CHARS);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (adjustment, "changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "value-changed",
                           G_CALLBACK (on_vadjustment_value_changed), self, G_CONNECT_SWAPPED);
}

GtkWidget *
canopy_chat_view_new (void)
{
  return g_object_new (CANOPY_TYPE_CHAT_VIEW, NULL);
}

/**
 * canopy_chat_view_add_message:
 * @self: a chat view
 * @message: the message; its name and text are shown as plain text
 * @map: (nullable): the room's map as this peer knows it now
 * @from_me: whether this peer wrote it (styled apart)
 *
 * Appends @message, drops the oldest past 500, and scrolls to it if the list was at the end.
 * The author is shown under the name @map gives its origin, with a "Host" badge when that is
 * @map's root; an origin @map does not list is shown under the message's own name, marked
 * unverified. The view does not keep @map (see canopy_chat_view_update_names()).
 */
void
canopy_chat_view_add_message (CanopyChatView          *self,
                              const CanopyChatMessage *message,
                              CanopyNodeMap           *map,
                              gboolean                 from_me)
{
  g_return_if_fail (CANOPY_IS_CHAT_VIEW (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail (map == NULL || CANOPY_IS_NODE_MAP (map));

  append_row (self, make_row (self, message->origin, message->name, message->time, map, from_me,
                              make_text (message->text)));
}

/**
 * canopy_chat_view_add_file:
 * @self: a chat view
 * @manifest: a file offered in the room
 * @map: (nullable): the room's map as this peer knows it now
 * @from_me: whether this peer shared it
 *
 * Appends a row for the file under its sender's name, as canopy_chat_view_add_message() does
 * for a message (the sender's name is the one @map gives, or none: a manifest claims no name).
 *
 * Returns: (transfer none): the file's part of the row, to follow its progress
 */
CanopyFileRow *
canopy_chat_view_add_file (CanopyChatView           *self,
                           const CanopyFileManifest *manifest,
                           CanopyNodeMap            *map,
                           gboolean                  from_me)
{
  GtkWidget *file_row;

  g_return_val_if_fail (CANOPY_IS_CHAT_VIEW (self), NULL);
  g_return_val_if_fail (manifest != NULL, NULL);
  g_return_val_if_fail (map == NULL || CANOPY_IS_NODE_MAP (map), NULL);

  file_row = canopy_file_row_new (manifest);
  g_signal_connect_object (file_row, "save", G_CALLBACK (on_file_row_save), self, 0);
  g_signal_connect_object (file_row, "cancel", G_CALLBACK (on_file_row_cancel), self, 0);
  append_row (self, make_row (self, manifest->sender, NULL, manifest->time, map, from_me,
                              file_row));
  return CANOPY_FILE_ROW (file_row);
}

/**
 * canopy_chat_view_find_file:
 * @self: a chat view
 * @id: a file id
 *
 * Returns: (transfer none) (nullable): the row of file @id, unless it was never shown or
 *   dropped with the oldest rows
 */
CanopyFileRow *
canopy_chat_view_find_file (CanopyChatView *self,
                            const char     *id)
{
  g_return_val_if_fail (CANOPY_IS_CHAT_VIEW (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  /* Newest first: progress is mostly for the files just offered. */
  for (GtkWidget *row = gtk_widget_get_last_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_prev_sibling (row)) {
    ChatRow *chat_row = get_chat_row (row);

    if (chat_row != NULL && chat_row->file_row != NULL &&
        g_strcmp0 (canopy_file_row_get_id (CANOPY_FILE_ROW (chat_row->file_row)), id) == 0)
      return CANOPY_FILE_ROW (chat_row->file_row);
  }
  return NULL;
}

/**
 * canopy_chat_view_update_names:
 * @self: a chat view
 * @map: (nullable): the room's map, changed
 *
 * Shows the messages of every origin @map lists under the name @map gives it now, with the
 * "Host" badge on its root's (a message that came before its author reached the map is verified
 * this way). Messages of origins @map does not list keep what they showed: whoever left spoke
 * under the name the room gave them then. The view does not keep @map.
 */
void
canopy_chat_view_update_names (CanopyChatView *self,
                               CanopyNodeMap  *map)
{
  g_return_if_fail (CANOPY_IS_CHAT_VIEW (self));
  g_return_if_fail (map == NULL || CANOPY_IS_NODE_MAP (map));

  if (map == NULL)
    return;
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row)) {
    if (get_chat_row (row) != NULL && author_from_map (row, map))
      update_menu (self, row);
  }
}

guint
canopy_chat_view_get_n_messages (CanopyChatView *self)
{
  g_return_val_if_fail (CANOPY_IS_CHAT_VIEW (self), 0);

  return self->n_messages;
}

/**
 * canopy_chat_view_clear:
 * @self: a chat view
 *
 * Removes every message (the entry keeps its text).
 */
void
canopy_chat_view_clear (CanopyChatView *self)
{
  GtkWidget *child;

  g_return_if_fail (CANOPY_IS_CHAT_VIEW (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  self->follow = TRUE;
  set_n_messages (self, 0);
}

/**
 * canopy_chat_view_set_sensitive_entry:
 * @self: a chat view
 * @sensitive: whether the user can type and send (off while not in a room)
 */
void
canopy_chat_view_set_sensitive_entry (CanopyChatView *self,
                                      gboolean        sensitive)
{
  g_return_if_fail (CANOPY_IS_CHAT_VIEW (self));

  sensitive = !!sensitive;
  if (self->entry_sensitive == sensitive)
    return;
  self->entry_sensitive = sensitive;
  gtk_widget_set_sensitive (GTK_WIDGET (self->entry), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), sensitive);
  gtk_widget_set_sensitive (GTK_WIDGET (self->share_button), sensitive);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENTRY_SENSITIVE]);
}

/**
 * canopy_chat_view_set_muted:
 * @self: a chat view
 * @muted: (nullable) (array zero-terminated=1): the peer ids the host muted
 *
 * Marks the messages of those authors "muted" (also later ones), and no others.
 */
void
canopy_chat_view_set_muted (CanopyChatView     *self,
                            const char * const *muted)
{
  g_return_if_fail (CANOPY_IS_CHAT_VIEW (self));

  /* Called on every change of the room's map: most change nothing here. */
  if (canopy_person_set_equals (self->muted, muted))
    return;
  g_hash_table_remove_all (self->muted);
  for (guint i = 0; muted != NULL && muted[i] != NULL; i++)
    g_hash_table_add (self->muted, g_strdup (muted[i]));
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row)) {
    ChatRow *chat_row = get_chat_row (row);

    if (chat_row == NULL)
      continue;
    set_muted (row, chat_row->origin != NULL && g_hash_table_contains (self->muted,
                                                                        chat_row->origin));
    update_menu (self, row);
  }
}

/**
 * canopy_chat_view_set_can_moderate:
 * @self: a chat view
 * @can_moderate: whether this peer is the host: messages of everyone else offer its menu
 *
 * The menu's items activate `room.mute`, `room.unmute` and `room.kick` with the author's peer
 * id.
 */
void
canopy_chat_view_set_can_moderate (CanopyChatView *self,
                                   gboolean        can_moderate)
{
  g_return_if_fail (CANOPY_IS_CHAT_VIEW (self));

  can_moderate = !!can_moderate;
  if (self->can_moderate == can_moderate)
    return;
  self->can_moderate = can_moderate;
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row)) {
    if (get_chat_row (row) != NULL)
      update_menu (self, row);
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_MODERATE]);
}

gboolean
canopy_chat_view_get_can_moderate (CanopyChatView *self)
{
  g_return_val_if_fail (CANOPY_IS_CHAT_VIEW (self), FALSE);

  return self->can_moderate;
}
