/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFileRow"

#include "canopy-file-row.h"

#include <glib/gi18n.h>

#include "canopy-file-chooser.h"

/*
 * A file shared in the room, as the chat shows it under its sender's name (the chat view makes
 * the header): its name and size, a progress bar while its chunks come, "Save…" once all of
 * it came and matched its hash, or why it will not come. An image small enough is decoded in a
 * thread and shown scaled down; one that does not decode, or is too large, stays an ordinary
 * file with a note. Everything shown came from the network: labels are plain text only.
 */

/* The decoder is fed this much at a time, so an image refused on its header stops early. */
#define DECODE_PIECE (64 * 1024)
/* Thumbnails are shown at most this wide (the side pane is narrow; the texture is sharper, for
 * scaled displays). */
#define SHOWN_WIDTH 240

struct _CanopyFileRow
{
  AdwBin                parent_instance;

  GtkImage             *icon;
  GtkLabel             *name_label;
  GtkLabel             *detail_label;
  GtkBox               *action_box;
  GtkButton            *save_button;
  GtkButton            *cancel_button;
  GtkProgressBar       *progress_bar;
  GtkPicture           *picture;
  GtkLabel             *note_label;

  char                 *id;
  char                 *name;
  char                 *mime;
  guint64               size;
  guint64               bytes;
  CanopyFileRowState    state;
  gboolean              can_cancel;
  GCancellable         *cancellable;   /* the decoding, while it runs */
};

G_DEFINE_FINAL_TYPE (CanopyFileRow, canopy_file_row, ADW_TYPE_BIN)

enum {
  SIGNAL_SAVE,
  SIGNAL_CANCEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const image_types[] = { "image/png", "image/jpeg", "image/gif", "image/webp",
                                           NULL };

static void
set_note (CanopyFileRow *self,
          const char    *note,
          gboolean       failure)
{
  gtk_label_set_text (self->note_label, note);
  gtk_widget_set_visible (GTK_WIDGET (self->note_label), note != NULL);
  if (failure)
    gtk_widget_add_css_class (GTK_WIDGET (self->note_label), "canopy-file-failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->note_label), "canopy-file-failed");
}

static void
update_detail (CanopyFileRow *self)
{
  g_autofree char *size = g_format_size (self->size);
  g_autofree char *have = NULL;
  g_autofree char *text = NULL;

  if (self->state == CANOPY_FILE_ROW_INCOMPLETE) {
    have = g_format_size (self->bytes);
    /* TRANSLATORS: a file on its way: bytes received so far, of its size ("1.2 MB of 3.4 MB") */
    text = g_strdup_printf (_("%s of %s"), have, size);
    gtk_label_set_text (self->detail_label, text);
  } else {
    gtk_label_set_text (self->detail_label, size);
  }
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 self->size > 0 ? (double) self->bytes / (double) self->size : 0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar),
                          self->state == CANOPY_FILE_ROW_INCOMPLETE);
  gtk_widget_set_visible (GTK_WIDGET (self->save_button),
                          self->state == CANOPY_FILE_ROW_COMPLETE);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button),
                          self->can_cancel && self->state != CANOPY_FILE_ROW_FAILED);
}

static void
on_cancel_button_clicked (CanopyFileRow *self)
{
  if (self->can_cancel && self->state != CANOPY_FILE_ROW_FAILED)
    g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
}

/* --- saving --- */

/* Written where the person chose, and only then (by whoever handles ::save). */
static void
on_save_chosen (GtkWidget *widget,
                GFile     *file)
{
  CanopyFileRow *self = CANOPY_FILE_ROW (widget);

  if (self->state == CANOPY_FILE_ROW_COMPLETE)
    g_signal_emit (self, signals[SIGNAL_SAVE], 0, file);
}

static void
on_save_button_clicked (CanopyFileRow *self)
{
  /* TRANSLATORS: the title of the dialog that saves a file someone shared */
  canopy_file_chooser_open (GTK_WIDGET (self), _("Save File"), GTK_FILE_CHOOSER_ACTION_SAVE,
                            _("_Save"), self->name, on_save_chosen);
}

/* --- images --- */

typedef struct {
  GBytes *contents;
  char *mime;
  gboolean refused;   /* over the pixel limits: not decoded */
  gboolean started;   /* in a thread (else cancelled while it waited) */
} Decode;

static void
decode_free (gpointer data)
{
  Decode *decode = data;

  g_bytes_unref (decode->contents);
  g_free (decode->mime);
  g_free (decode);
}

/* Told the image's size from its header, before a single pixel is decoded: refuse what is too
 * large (a small file may declare a huge image), and ask for a thumbnail of the rest. */
static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  Decode          *decode)
{
  double scale;

  if (width <= 0 || height <= 0 || width > CANOPY_FILE_ROW_IMAGE_SIDE ||
      height > CANOPY_FILE_ROW_IMAGE_SIDE ||
      (gint64) width * height > CANOPY_FILE_ROW_IMAGE_PIXELS) {
    decode->refused = TRUE;
    /* 0 x 0 makes the loader stop (what gdk_pixbuf_get_file_info() does). */
    gdk_pixbuf_loader_set_size (loader, 0, 0);
    return;
  }
  scale = MIN (1.0, MIN ((double) CANOPY_FILE_ROW_THUMB_WIDTH / width,
                         (double) CANOPY_FILE_ROW_THUMB_HEIGHT / height));
  gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale + 0.5)),
                              MAX (1, (int) (height * scale + 0.5)));
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Decode *decode = task_data;
  g_autoptr (GdkPixbufLoader) loader = NULL;
  GError *error = NULL;
  const guint8 *data;
  gsize size, offset = 0;
  gboolean ok = TRUE;
  GdkPixbuf *pixbuf;

  loader = gdk_pixbuf_loader_new_with_mime_type (decode->mime, &error);
  if (loader == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), decode);
  data = g_bytes_get_data (decode->contents, &size);
  while (ok && offset < size && !decode->refused && !g_cancellable_is_cancelled (cancellable)) {
    gsize piece = MIN (DECODE_PIECE, size - offset);

    ok = gdk_pixbuf_loader_write (loader, data + offset, piece, &error);
    offset += piece;
  }
  /* Closed in every case (a loader must be); its error matters only if all went well so far. */
  if (ok)
    ok = gdk_pixbuf_loader_close (loader, &error);
  else
    gdk_pixbuf_loader_close (loader, NULL);
  if (decode->refused) {
    g_clear_error (&error);
    g_task_return_new_error (task, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE, "Image too large");
    return;
  }
  if (g_task_return_error_if_cancelled (task)) {
    g_clear_error (&error);
    return;
  }
  pixbuf = ok ? gdk_pixbuf_loader_get_pixbuf (loader) : NULL;
  if (pixbuf == NULL) {
    if (error == NULL)
      error = g_error_new_literal (CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "No image");
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}

/* One image decodes at a time: a PNG is decoded whole before it is scaled, up to 160 MB for 40
 * megapixels, and a room may send many at once. The rest wait here, in order (main thread). */
static GQueue decode_queue = G_QUEUE_INIT; /* GTask, not started */
static gboolean decode_busy;

static void
decode_next (void)
{
  GTask *task;

  while (!decode_busy && (task = g_queue_pop_head (&decode_queue)) != NULL) {
    /* A row gone while it waited: its task ends cancelled, without a thread. */
    if (!g_task_return_error_if_cancelled (task)) {
      ((Decode *) g_task_get_task_data (task))->started = TRUE;
      decode_busy = TRUE;
      g_task_run_in_thread (task, decode_thread);
    }
    g_object_unref (task);
  }
}

static void
on_decoded (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (CanopyFileRow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);
  Decode *decode = g_task_get_task_data (G_TASK (result));
  int width, height;
  double scale;

  /* The next one may start (this one ran, unless it was cancelled while it waited). */
  if (decode->started) {
    decode_busy = FALSE;
    decode_next ();
  }

  /* Cancelled: the row is gone (its children too) or going, or the file was withdrawn. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (self->cancellable) || self->state == CANOPY_FILE_ROW_FAILED)
    return;
  g_clear_object (&self->cancellable);
  if (texture == NULL) {
    g_debug ("Image %s not shown: %s", self->id, error->message);
    set_note (self, g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE)
                      ? _("This image is too large to show here")
                      : _("This image could not be shown"), FALSE);
    return;
  }
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  scale = MIN (1.0, (double) SHOWN_WIDTH / width);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  /* GtkPicture asks for no height of its own in a list row: the size is set here. */
  gtk_widget_set_size_request (GTK_WIDGET (self->picture), MAX (1, (int) (width * scale + 0.5)),
                               MAX (1, (int) (height * scale + 0.5)));
  gtk_widget_set_visible (GTK_WIDGET (self->picture), TRUE);
  gtk_image_set_from_icon_name (self->icon, "image-x-generic-symbolic");
}

static void
start_decode (CanopyFileRow *self,
              GBytes        *contents)
{
  GTask *task;
  Decode *decode = g_new0 (Decode, 1);

  decode->contents = g_bytes_ref (contents);
  decode->mime = g_strdup (self->mime);
  self->cancellable = g_cancellable_new ();
  /* The row is kept alive until the result comes (or the cancelled one, after dispose). */
  task = g_task_new (NULL, self->cancellable, on_decoded, g_object_ref (self));
  g_task_set_source_tag (task, start_decode);
  g_task_set_task_data (task, decode, decode_free);
  g_queue_push_tail (&decode_queue, task);
  decode_next ();
}

/* --- the object --- */

static void
canopy_file_row_dispose (GObject *object)
{
  CanopyFileRow *self = CANOPY_FILE_ROW (object);

  g_cancellable_cancel (self->cancellable);
  canopy_file_chooser_close (GTK_WIDGET (self));
  gtk_widget_dispose_template (GTK_WIDGET (object), CANOPY_TYPE_FILE_ROW);
  G_OBJECT_CLASS (canopy_file_row_parent_class)->dispose (object);
}

static void
canopy_file_row_finalize (GObject *object)
{
  CanopyFileRow *self = CANOPY_FILE_ROW (object);

  g_clear_object (&self->cancellable);
  g_free (self->id);
  g_free (self->name);
  g_free (self->mime);
  G_OBJECT_CLASS (canopy_file_row_parent_class)->finalize (object);
}

static void
canopy_file_row_class_init (CanopyFileRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = canopy_file_row_dispose;
  object_class->finalize = canopy_file_row_finalize;

  /**
   * CanopyFileRow::save:
   * @self: the row
   * @destination: where the person chose to save the file (nothing is written elsewhere)
   */
  signals[SIGNAL_SAVE] = g_signal_new ("save", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_FILE);

  /**
   * CanopyFileRow::cancel:
   * @self: the row
   *
   * The person asked to take the file out of the room (canopy_file_row_allow_cancel()).
   */
  signals[SIGNAL_CANCEL] = g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-file-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, action_box);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, save_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, picture);
  gtk_widget_class_bind_template_child (widget_class, CanopyFileRow, note_label);
  gtk_widget_class_bind_template_callback (widget_class, on_save_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked);
}

static void
canopy_file_row_init (CanopyFileRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * canopy_file_row_new:
 * @manifest: a file offered in the room (checked by the node)
 *
 * Returns: (transfer floating): a row for it, waiting for its chunks
 */
GtkWidget *
canopy_file_row_new (const CanopyFileManifest *manifest)
{
  CanopyFileRow *self;
  g_autofree char *described = NULL;

  g_return_val_if_fail (manifest != NULL && manifest->id != NULL, NULL);

  self = g_object_new (CANOPY_TYPE_FILE_ROW, NULL);
  self->id = g_strdup (manifest->id);
  self->name = g_strdup (manifest->name != NULL ? manifest->name : "");
  self->mime = g_strdup (manifest->mime != NULL ? manifest->mime : "application/octet-stream");
  self->size = manifest->size;
  gtk_label_set_text (self->name_label, self->name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), self->name);
  gtk_picture_set_alternative_text (self->picture, self->name);
  /* TRANSLATORS: how a screen reader names the button that saves the file called %s */
  described = g_strdup_printf (_("Save %s"), self->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->save_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, described, -1);
  update_detail (self);
  return GTK_WIDGET (self);
}

const char *
canopy_file_row_get_id (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), NULL);
  return self->id;
}

const char *
canopy_file_row_get_name (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), NULL);
  return self->name;
}

CanopyFileRowState
canopy_file_row_get_state (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), CANOPY_FILE_ROW_INCOMPLETE);
  return self->state;
}

guint64
canopy_file_row_get_bytes (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), 0);
  return self->bytes;
}

/**
 * canopy_file_row_get_note:
 * @self: a row
 *
 * Returns: (nullable): the line under the file: why it failed, or why an image is not shown
 */
const char *
canopy_file_row_get_note (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->note_label))
           ? gtk_label_get_text (self->note_label) : NULL;
}

/**
 * canopy_file_row_get_image:
 * @self: a row
 *
 * Returns: (transfer none) (nullable): the thumbnail shown, once an image decoded
 */
GdkPaintable *
canopy_file_row_get_image (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), NULL);
  return gtk_picture_get_paintable (self->picture);
}

gboolean
canopy_file_row_is_decoding (CanopyFileRow *self)
{
  g_return_val_if_fail (CANOPY_IS_FILE_ROW (self), FALSE);
  return self->cancellable != NULL;
}

/**
 * canopy_file_row_set_progress:
 * @self: a row
 * @bytes: how much of the file came and was checked
 */
void
canopy_file_row_set_progress (CanopyFileRow *self,
                              guint64        bytes)
{
  g_return_if_fail (CANOPY_IS_FILE_ROW (self));

  if (self->state != CANOPY_FILE_ROW_INCOMPLETE)
    return;
  self->bytes = MIN (MAX (self->bytes, bytes), self->size);
  update_detail (self);
}

/**
 * canopy_file_row_can_preview:
 * @mime: a MIME type, as the sender said
 * @size: the file's size
 *
 * Returns: whether a file of @mime and @size is decoded to show inline: PNG, JPEG, GIF or WebP
 *   (when a loader for it is installed) of at most 8 MiB
 */
gboolean
canopy_file_row_can_preview (const char *mime,
                             guint64     size)
{
  g_autoptr (GSList) formats = NULL;
  gboolean found = FALSE;

  if (mime == NULL || size == 0 || size > CANOPY_FILE_ROW_IMAGE_BYTES ||
      !g_strv_contains (image_types, mime))
    return FALSE;
  /* Only the loaders installed: Debian 12 has none for WebP unless webp-pixbuf-loader is. */
  formats = gdk_pixbuf_get_formats ();
  for (GSList *l = formats; l != NULL && !found; l = l->next) {
    g_auto (GStrv) types = gdk_pixbuf_format_get_mime_types (l->data);

    found = types != NULL && g_strv_contains ((const char * const *) types, mime);
  }
  return found;
}

/**
 * canopy_file_row_set_complete:
 * @self: a row
 * @contents: (nullable): the whole file, checked; read only to show an image, not kept
 *
 * The file came: "Save…" is offered, and an image is decoded in a thread and shown.
 */
void
canopy_file_row_set_complete (CanopyFileRow *self,
                              GBytes        *contents)
{
  g_return_if_fail (CANOPY_IS_FILE_ROW (self));

  if (self->state != CANOPY_FILE_ROW_INCOMPLETE)
    return;
  self->state = CANOPY_FILE_ROW_COMPLETE;
  self->bytes = self->size;
  update_detail (self);
  if (contents != NULL && g_bytes_get_size (contents) == self->size &&
      canopy_file_row_can_preview (self->mime, self->size))
    start_decode (self, contents);
}

/**
 * canopy_file_row_set_failed:
 * @self: a row
 * @reason: why, as #CanopyNode::file-failed says ("hash-mismatch", "cancelled", ...)
 */
void
canopy_file_row_set_failed (CanopyFileRow *self,
                            const char    *reason)
{
  g_autofree char *other = NULL;
  const char *note;

  g_return_if_fail (CANOPY_IS_FILE_ROW (self));

  /* Withdrawn (by its sender, or removed by the host) goes for a complete file too: nothing of
   * it stays on show or to save. */
  if (self->state == CANOPY_FILE_ROW_FAILED ||
      (self->state == CANOPY_FILE_ROW_COMPLETE && g_strcmp0 (reason, "cancelled") != 0))
    return;
  self->state = CANOPY_FILE_ROW_FAILED;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->picture), FALSE);
  if (g_strcmp0 (reason, "hash-mismatch") == 0)
    note = _("This file failed its integrity check and was not kept");
  else if (g_strcmp0 (reason, "cancelled") == 0)
    note = _("This file was withdrawn from the room");
  else if (g_strcmp0 (reason, "expired") == 0)
    note = _("This file is no longer offered");
  else if (g_strcmp0 (reason, "too-large") == 0)
    note = _("This file is larger than the room allows");
  else if (g_strcmp0 (reason, "files-off") == 0)
    note = _("The host turned off files in this room");
  else {
    /* An unknown word from the node: shown as it is, plain text, and short. */
    g_autofree char *valid = g_utf8_make_valid (reason != NULL ? reason : "", -1);
    g_autofree char *word = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), 64));

    /* TRANSLATORS: a file that did not come; %s is the reason as a short word */
    note = other = g_strdup_printf (_("This file did not come (%s)"), word);
  }
  update_detail (self);
  set_note (self, note, TRUE);
}

/**
 * canopy_file_row_allow_cancel:
 * @self: a row
 * @label: what the button says ("Stop Sharing" for the sender, "Remove" for the host)
 *
 * Offers a button that emits #CanopyFileRow::cancel while the file has not failed.
 */
void
canopy_file_row_allow_cancel (CanopyFileRow *self,
                              const char    *label)
{
  g_return_if_fail (CANOPY_IS_FILE_ROW (self));
  g_return_if_fail (label != NULL);

  self->can_cancel = TRUE;
  gtk_button_set_label (self->cancel_button, label);
  update_detail (self);
}
