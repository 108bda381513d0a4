/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNewRoomDialog"

#include "canopy-new-room-dialog.h"

#include "canopy-limits.h"

#include <glib/gi18n.h>

/* Asks for what a new room needs: title, summary, cover, whether it is listed, an optional
 * password and how many viewers the host feeds directly. Emits "create"; the window makes the
 * room. */
struct _CanopyNewRoomDialog {
  AdwWindow parent_instance;

  char *cover;                  /* data: URL, or NULL */
  GtkFileChooserNative *chooser;

  GtkButton *create_button;
  AdwEntryRow *title_row;
  AdwEntryRow *summary_row;
  AdwActionRow *cover_row;
  GtkPicture *cover_picture;
  GtkButton *cover_button;
  GtkButton *cover_clear_button;
  GtkSwitch *listed_switch;
  AdwPasswordEntryRow *password_row;
  GtkSpinButton *k1_spin;
};

G_DEFINE_FINAL_TYPE (CanopyNewRoomDialog, canopy_new_room_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_CREATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define COVER_SIDE 320

static char *
trimmed (AdwEntryRow *row,
         glong        max_chars)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  if (g_utf8_strlen (text, -1) > max_chars)
    return g_utf8_substring (text, 0, max_chars);
  return g_steal_pointer (&text);
}

static void
limit_length (AdwEntryRow *row,
              int          max_chars)
{
  GtkEditable *delegate = gtk_editable_get_delegate (GTK_EDITABLE (row));

  if (GTK_IS_TEXT (delegate))
    gtk_text_set_max_length (GTK_TEXT (delegate), max_chars);
}

static GdkPixbuf *
flatten (GdkPixbuf *pixbuf)
{
  int w = gdk_pixbuf_get_width (pixbuf);
  int h = gdk_pixbuf_get_height (pixbuf);
  GdkPixbuf *flat;

  if (!gdk_pixbuf_get_has_alpha (pixbuf))
    return g_object_ref (pixbuf);
  /* JPEG has no alpha: put transparent covers on white. */
  flat = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  gdk_pixbuf_fill (flat, 0xffffffff);
  gdk_pixbuf_composite (pixbuf, flat, 0, 0, w, h, 0, 0, 1, 1, GDK_INTERP_BILINEAR, 255);
  return flat;
}

/**
 * canopy_cover_encode:
 * @pixbuf: an image
 * @error: return location for an error
 *
 * Scales @pixbuf to at most 320 pixels a side and encodes it as JPEG, lowering the quality (and
 * then the size) until it fits the server's 64 KiB cover limit.
 *
 * Returns: (transfer full) (nullable): a `data:image/jpeg;base64,` URL
 */
char *
canopy_cover_encode (GdkPixbuf *pixbuf,
                     GError   **error)
{
  int side = COVER_SIDE;

  g_return_val_if_fail (GDK_IS_PIXBUF (pixbuf), NULL);

  for (; side >= 40; side /= 2) {
    int w = gdk_pixbuf_get_width (pixbuf);
    int h = gdk_pixbuf_get_height (pixbuf);
    double scale = MIN (1.0, (double) side / MAX (w, h));
    g_autoptr (GdkPixbuf) scaled = NULL;
    g_autoptr (GdkPixbuf) flat = NULL;

    scaled = gdk_pixbuf_scale_simple (pixbuf, MAX (1, (int) (w * scale)),
                                      MAX (1, (int) (h * scale)), GDK_INTERP_BILINEAR);
    if (scaled == NULL)
      break;
    flat = flatten (scaled);
    for (int quality = 85; quality >= 25; quality -= 15) {
      g_autofree char *buffer = NULL;
      g_autofree char *q = g_strdup_printf ("%d", quality);
      g_autofree char *b64 = NULL;
      gsize size = 0;

      if (!gdk_pixbuf_save_to_buffer (flat, &buffer, &size, "jpeg", error, "quality", q, NULL))
        return NULL;
      if (size <= CANOPY_COVER_BYTES) {
        b64 = g_base64_encode ((const guchar *) buffer, size);
        return g_strconcat ("data:image/jpeg;base64,", b64, NULL);
      }
    }
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The image cannot be made small enough"));
  return NULL;
}

static void
set_cover (CanopyNewRoomDialog *self,
           char                *cover,
           GdkPixbuf           *preview,
           const char          *name)
{
  g_autofree char *escaped = NULL;

  g_clear_pointer (&self->cover, g_free);
  self->cover = cover;
  if (preview != NULL) {
    g_autoptr (GdkTexture) texture = gdk_texture_new_for_pixbuf (preview);

    gtk_picture_set_paintable (self->cover_picture, GDK_PAINTABLE (texture));
  } else {
    gtk_picture_set_paintable (self->cover_picture, NULL);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->cover_picture), cover != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->cover_clear_button), cover != NULL);
  /* The subtitle is markup; a file name may hold "&" or "<". */
  escaped = g_markup_escape_text (cover != NULL && name ? name : _("None"), -1);
  adw_action_row_set_subtitle (self->cover_row, escaped);
}

static void
toast (CanopyNewRoomDialog *self,
       const char          *text)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  GtkWidget *overlay = NULL;
  g_autofree char *escaped = NULL;

  if (ADW_IS_APPLICATION_WINDOW (parent)) {
    GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (parent));

    if (ADW_IS_TOAST_OVERLAY (content))
      overlay = content;
  }
  /* Both are markup in libadwaita 1.2; the text may name the person's file. */
  escaped = g_markup_escape_text (text, -1);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
  else
    adw_action_row_set_subtitle (self->cover_row, escaped);
}

static void
on_chooser_response (CanopyNewRoomDialog *self,
                     int                  response)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (self->chooser));
  g_clear_object (&self->chooser);
  if (file != NULL && !canopy_new_room_dialog_set_cover_file (self, file, &error)) {
    g_autofree char *text = g_strdup_printf (_("Cannot use this image: %s"), error->message);

    toast (self, text);
  }
}

static void
on_cover_button_clicked (CanopyNewRoomDialog *self)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  self->chooser = gtk_file_chooser_native_new (_("Choose a Cover Image"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"),
                                               _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_cover_clear_button_clicked (CanopyNewRoomDialog *self)
{
  set_cover (self, NULL, NULL, NULL);
}

static void
on_title_row_changed (CanopyNewRoomDialog *self)
{
  g_autofree char *title = trimmed (self->title_row, CANOPY_TITLE_CHARS);

  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), *title != '\0');
}

static void
on_create_button_clicked (CanopyNewRoomDialog *self)
{
  canopy_new_room_dialog_create (self);
}

static void
on_cancel_button_clicked (CanopyNewRoomDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
canopy_new_room_dialog_dispose (GObject *object)
{
  CanopyNewRoomDialog *self = CANOPY_NEW_ROOM_DIALOG (object);

  if (self->chooser != NULL) {
    g_signal_handlers_disconnect_by_data (self->chooser, self);
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
    g_clear_object (&self->chooser);
  }
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_NEW_ROOM_DIALOG);
  G_OBJECT_CLASS (canopy_new_room_dialog_parent_class)->dispose (object);
}

static void
canopy_new_room_dialog_finalize (GObject *object)
{
  CanopyNewRoomDialog *self = CANOPY_NEW_ROOM_DIALOG (object);

  g_free (self->cover);
  G_OBJECT_CLASS (canopy_new_room_dialog_parent_class)->finalize (object);
}

static void
canopy_new_room_dialog_class_init (CanopyNewRoomDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = canopy_new_room_dialog_dispose;
  object_class->finalize = canopy_new_room_dialog_finalize;

  /**
   * CanopyNewRoomDialog::create:
   * @title: the room's title, 1-120 characters
   * @summary: its summary, 0-1000 characters
   * @cover: (nullable): a `data:image/jpeg;base64,` cover of at most 64 KiB, or %NULL
   * @listed: whether the room index shows it
   * @k1: how many viewers the host feeds directly
   * @password: (nullable): the password joiners need (up to 64 characters, as typed), or %NULL
   *   for none; keep it out of logs and settings
   */
  signals[SIGNAL_CREATE] = g_signal_new ("create", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 6,
                                         G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                         G_TYPE_BOOLEAN, G_TYPE_UINT,
                                         G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-new-room-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, summary_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, cover_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, cover_picture);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, cover_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, cover_clear_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, listed_switch);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, CanopyNewRoomDialog, k1_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cover_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cover_clear_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_title_row_changed);
}

static void
canopy_new_room_dialog_init (CanopyNewRoomDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  limit_length (self->title_row, CANOPY_TITLE_CHARS);
  limit_length (self->summary_row, CANOPY_SUMMARY_CHARS);
  limit_length (ADW_ENTRY_ROW (self->password_row), CANOPY_PASSWORD_CHARS);
}

/**
 * canopy_new_room_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @k1: the initial number of direct viewers, 1-32
 *
 * Returns: (transfer none): a new dialog; it is destroyed once it emitted "create" or was
 *   cancelled
 */
CanopyNewRoomDialog *
canopy_new_room_dialog_new (GtkWindow *parent,
                            guint      k1)
{
  CanopyNewRoomDialog *self = g_object_new (CANOPY_TYPE_NEW_ROOM_DIALOG,
                                            "transient-for", parent, NULL);

  gtk_spin_button_set_value (self->k1_spin, CLAMP (k1, 1, 32));
  return self;
}

/**
 * canopy_new_room_dialog_set_cover_file:
 * @self: a dialog
 * @file: an image
 * @error: return location for an error
 *
 * Loads, scales and encodes @file as the room's cover.
 */
gboolean
canopy_new_room_dialog_set_cover_file (CanopyNewRoomDialog *self,
                                       GFile               *file,
                                       GError             **error)
{
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GFileInfo) info = NULL;
  char *cover;

  g_return_val_if_fail (CANOPY_IS_NEW_ROOM_DIALOG (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  /* Decoded at a bounded size: a huge photo never becomes a huge pixbuf. */
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return FALSE;
  pixbuf = gdk_pixbuf_new_from_stream_at_scale (G_INPUT_STREAM (stream), COVER_SIDE, COVER_SIDE,
                                                TRUE, NULL, error);
  if (pixbuf == NULL)
    return FALSE;
  cover = canopy_cover_encode (pixbuf, error);
  if (cover == NULL)
    return FALSE;
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME, 0, NULL, NULL);
  set_cover (self, cover, pixbuf, info ? g_file_info_get_display_name (info) : NULL);
  return TRUE;
}

/**
 * canopy_new_room_dialog_get_cover:
 * @self: a dialog
 *
 * Returns: (nullable): the cover as a `data:` URL
 */
const char *
canopy_new_room_dialog_get_cover (CanopyNewRoomDialog *self)
{
  g_return_val_if_fail (CANOPY_IS_NEW_ROOM_DIALOG (self), NULL);
  return self->cover;
}

/**
 * canopy_new_room_dialog_create:
 * @self: a dialog
 *
 * Emits "create" with what was entered, when there is a title, and closes the dialog.
 */
void
canopy_new_room_dialog_create (CanopyNewRoomDialog *self)
{
  g_autofree char *title = NULL;
  g_autofree char *summary = NULL;
  const char *password;

  g_return_if_fail (CANOPY_IS_NEW_ROOM_DIALOG (self));

  title = trimmed (self->title_row, CANOPY_TITLE_CHARS);
  summary = trimmed (self->summary_row, CANOPY_SUMMARY_CHARS);
  if (*title == '\0') {
    gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
    return;
  }
  /* As typed, spaces too: the joiner's dialog takes it as typed as well. */
  password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CREATE], 0, title, summary, self->cover,
                 gtk_switch_get_active (self->listed_switch),
                 (guint) gtk_spin_button_get_value_as_int (self->k1_spin),
                 *password != '\0' ? password : NULL);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}
