/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CanopyFileRow and the chat's file rows, without a network: names shown as plain text,
 * progress, the failure lines, and images decoded in a thread: scaled to a thumbnail, refused
 * when their header declares too many pixels (a decompression bomb), noted when they do not
 * decode. The network end to end is test-files.c.
 */
#include "canopy-chat-view.h"
#include "canopy-file-chooser.h"
#include "canopy-file-row.h"
#include "canopy-shell-test.h"
#include "canopy-test-png.h"

#define HOSTILE "<b>not bold</b> & <script>.png"

/* What the row shows of @have bytes of @size (GLib's sizes have no-break spaces). */
static char *
of_size (guint64 have,
         guint64 size)
{
  g_autofree char *a = g_format_size (have);
  g_autofree char *b = g_format_size (size);

  return g_strdup_printf ("%s of %s", a, b);
}

/* A manifest as the node hands one over; only the fields the row reads. */
static CanopyFileManifest *
manifest_new (const char *id,
              const char *name,
              const char *mime,
              guint64     size)
{
  CanopyFileManifest *manifest = g_new0 (CanopyFileManifest, 1);

  manifest->id = g_strdup (id);
  manifest->sender = g_strdup ("pq8j3m7x2kd9tfa4h");
  manifest->name = g_strdup (name);
  manifest->mime = g_strdup (mime);
  manifest->size = size;
  manifest->chunk_size = 32768;
  manifest->n_chunks = (guint) ((size + 32767) / 32768);
  manifest->sha256 = g_strnfill (CANOPY_FILE_HASH_CHARS, '0');
  return manifest;
}

static GtkWidget *
row_new (const char *name,
         const char *mime,
         guint64     size)
{
  g_autoptr (CanopyFileManifest) manifest = manifest_new ("21eb87b0380537f266254c0ed3d2cf86",
                                                          name, mime, size);

  return g_object_ref_sink (canopy_file_row_new (manifest));
}

static gboolean
is_decoded (gpointer data)
{
  return !canopy_file_row_is_decoding (CANOPY_FILE_ROW (data));
}

/* Completes @row with @contents and waits for its image (or note). */
static void
complete_and_wait (GtkWidget *row,
                   GBytes    *contents)
{
  canopy_file_row_set_complete (CANOPY_FILE_ROW (row), contents);
  canopy_test_wait_for (is_decoded, row, CANOPY_TEST_WAIT_S, "the image to decode");
}

static void
test_new_destroy (void)
{
  GtkWidget *row = row_new ("a.bin", "application/octet-stream", 10);

  g_assert_cmpstr (canopy_file_row_get_id (CANOPY_FILE_ROW (row)), ==,
                   "21eb87b0380537f266254c0ed3d2cf86");
  g_assert_cmpint (canopy_file_row_get_state (CANOPY_FILE_ROW (row)), ==,
                   CANOPY_FILE_ROW_INCOMPLETE);
  g_assert_finalize_object (row);
}

static void
test_plain_text (void)
{
  GtkWidget *row = row_new (HOSTILE, "application/octet-stream", 3 * 1000 * 1000);
  GtkWidget *name = canopy_test_find (row, canopy_test_is_label_with_text, HOSTILE);
  g_autofree char *detail = of_size (0, 3 * 1000 * 1000);

  g_assert_nonnull (name);
  g_assert_false (gtk_label_get_use_markup (GTK_LABEL (name)));
  g_assert_nonnull (canopy_test_find (row, canopy_test_is_label_with_text, detail));
  g_assert_finalize_object (row);
}

static void
test_progress (void)
{
  GtkWidget *row = row_new ("a.bin", "application/octet-stream", 2000000);
  GtkWidget *save = canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW, "save_button");
  GtkWidget *bar = canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW, "progress_bar");
  g_autofree char *detail = of_size (500000, 2000000);

  g_assert_false (gtk_widget_get_visible (save));
  canopy_file_row_set_progress (CANOPY_FILE_ROW (row), 500000);
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)), ==, 0.25);
  g_assert_nonnull (canopy_test_find (row, canopy_test_is_label_with_text, detail));
  /* Never back, never past the size. */
  canopy_file_row_set_progress (CANOPY_FILE_ROW (row), 100);
  g_assert_cmpuint (canopy_file_row_get_bytes (CANOPY_FILE_ROW (row)), ==, 500000);
  canopy_file_row_set_progress (CANOPY_FILE_ROW (row), 9000000);
  g_assert_cmpuint (canopy_file_row_get_bytes (CANOPY_FILE_ROW (row)), ==, 2000000);

  canopy_file_row_set_complete (CANOPY_FILE_ROW (row), NULL);
  g_assert_cmpint (canopy_file_row_get_state (CANOPY_FILE_ROW (row)), ==,
                   CANOPY_FILE_ROW_COMPLETE);
  g_assert_true (gtk_widget_get_visible (save));
  g_assert_false (gtk_widget_get_visible (bar));
  g_assert_null (canopy_file_row_get_note (CANOPY_FILE_ROW (row)));
  /* A failure after completion changes nothing. */
  canopy_file_row_set_failed (CANOPY_FILE_ROW (row), "hash-mismatch");
  g_assert_cmpint (canopy_file_row_get_state (CANOPY_FILE_ROW (row)), ==,
                   CANOPY_FILE_ROW_COMPLETE);
  g_assert_finalize_object (row);
}

static void
test_failed (void)
{
  static const struct {
    const char *reason;
    const char *note;
  } cases[] = {
    { "hash-mismatch", "This file failed its integrity check and was not kept" },
    { "cancelled", "This file was withdrawn from the room" },
    { "expired", "This file is no longer offered" },
    { "too-large", "This file is larger than the room allows" },
    { "files-off", "The host turned off files in this room" },
    { "<i>odd</i>", "This file did not come (<i>odd</i>)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GtkWidget *row = row_new ("a.bin", "application/octet-stream", 10);
    GtkWidget *note;

    canopy_file_row_set_failed (CANOPY_FILE_ROW (row), cases[i].reason);
    g_assert_cmpint (canopy_file_row_get_state (CANOPY_FILE_ROW (row)), ==,
                     CANOPY_FILE_ROW_FAILED);
    g_assert_cmpstr (canopy_file_row_get_note (CANOPY_FILE_ROW (row)), ==, cases[i].note);
    note = canopy_test_find (row, canopy_test_is_label_with_text, cases[i].note);
    g_assert_nonnull (note);
    g_assert_false (gtk_label_get_use_markup (GTK_LABEL (note)));
    g_assert_false (gtk_widget_get_visible (canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW,
                                                                        "save_button")));
    g_assert_finalize_object (row);
  }
}

/* Scaled to fit 320 x 240, never up. */
static void
test_thumbnail (void)
{
  static const int sizes[][4] = {
    { 640, 480, 320, 240 },
    { 200, 100, 200, 100 },
    { 100, 1000, 24, 240 },
    { 1600, 100, 320, 20 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autoptr (GBytes) png = canopy_test_png_new (sizes[i][0], sizes[i][1]);
    GtkWidget *row = row_new ("photo.png", "image/png", g_bytes_get_size (png));
    GdkPaintable *image;

    complete_and_wait (row, png);
    image = canopy_file_row_get_image (CANOPY_FILE_ROW (row));
    g_assert_nonnull (image);
    g_assert_cmpint (gdk_paintable_get_intrinsic_width (image), ==, sizes[i][2]);
    g_assert_cmpint (gdk_paintable_get_intrinsic_height (image), ==, sizes[i][3]);
    g_assert_null (canopy_file_row_get_note (CANOPY_FILE_ROW (row)));
    g_assert_finalize_object (row);
  }
}

static void
on_cancel (CanopyFileRow *row,
           guint         *count)
{
  (*count)++;
}

/* Stop Sharing / Remove: only where allowed, not once the file failed; withdrawn, a complete
 * image is no longer shown nor saved. */
static void
test_cancel (void)
{
  g_autoptr (GBytes) png = canopy_test_png_new (64, 48);
  GtkWidget *row = row_new ("photo.png", "image/png", g_bytes_get_size (png));
  GtkWidget *cancel = canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW, "cancel_button");
  guint cancels = 0;

  g_signal_connect (row, "cancel", G_CALLBACK (on_cancel), &cancels);
  g_assert_false (gtk_widget_get_visible (cancel));
  canopy_file_row_allow_cancel (CANOPY_FILE_ROW (row), "Remove");
  g_assert_true (gtk_widget_get_visible (cancel));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (cancel)), ==, "Remove");
  complete_and_wait (row, png);
  g_assert_nonnull (canopy_file_row_get_image (CANOPY_FILE_ROW (row)));
  g_assert_true (gtk_widget_get_visible (cancel));
  g_signal_emit_by_name (cancel, "clicked");
  g_assert_cmpuint (cancels, ==, 1);

  canopy_file_row_set_failed (CANOPY_FILE_ROW (row), "cancelled");
  g_assert_cmpint (canopy_file_row_get_state (CANOPY_FILE_ROW (row)), ==, CANOPY_FILE_ROW_FAILED);
  g_assert_null (canopy_file_row_get_image (CANOPY_FILE_ROW (row)));
  g_assert_false (gtk_widget_get_visible (cancel));
  g_assert_false (gtk_widget_get_visible (canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW,
                                                                      "save_button")));
  g_signal_emit_by_name (cancel, "clicked");
  g_assert_cmpuint (cancels, ==, 1);
  g_assert_finalize_object (row);
}

/* A few KiB that declare 30000 x 30000 pixels: refused from the header, no pixel decoded. */
static void
test_bomb (void)
{
  g_autoptr (GBytes) png = canopy_test_png_bomb (30000, 30000);
  g_autoptr (GBytes) wide = canopy_test_png_bomb (9000, 10);
  GtkWidget *row = row_new ("bomb.png", "image/png", g_bytes_get_size (png));

  g_assert_cmpuint (g_bytes_get_size (png), <, 64 * 1024);
  complete_and_wait (row, png);
  g_assert_null (canopy_file_row_get_image (CANOPY_FILE_ROW (row)));
  g_assert_cmpstr (canopy_file_row_get_note (CANOPY_FILE_ROW (row)), ==,
                   "This image is too large to show here");
  g_assert_true (gtk_widget_get_visible (canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW,
                                                                     "save_button")));
  g_assert_finalize_object (row);

  /* Over 8192 on a side, however few pixels in all. */
  row = row_new ("wide.png", "image/png", g_bytes_get_size (wide));
  complete_and_wait (row, wide);
  g_assert_null (canopy_file_row_get_image (CANOPY_FILE_ROW (row)));
  g_assert_cmpstr (canopy_file_row_get_note (CANOPY_FILE_ROW (row)), ==,
                   "This image is too large to show here");
  g_assert_finalize_object (row);
}

/* Not what it says it is: a note, no image, no crash; other types are never decoded. */
static void
test_not_an_image (void)
{
  g_autoptr (GBytes) junk = g_bytes_new_static ("\x89PNG\r\n\x1a\nnot really", 18);
  g_autoptr (GBytes) png = canopy_test_png_new (10, 10);
  GtkWidget *row = row_new ("fake.png", "image/png", g_bytes_get_size (junk));

  complete_and_wait (row, junk);
  g_assert_null (canopy_file_row_get_image (CANOPY_FILE_ROW (row)));
  g_assert_cmpstr (canopy_file_row_get_note (CANOPY_FILE_ROW (row)), ==,
                   "This image could not be shown");
  g_assert_finalize_object (row);

  row = row_new ("drawing.svg", "image/svg+xml", g_bytes_get_size (png));
  canopy_file_row_set_complete (CANOPY_FILE_ROW (row), png);
  g_assert_false (canopy_file_row_is_decoding (CANOPY_FILE_ROW (row)));
  g_assert_null (canopy_file_row_get_image (CANOPY_FILE_ROW (row)));
  g_assert_finalize_object (row);

  g_assert_true (canopy_file_row_can_preview ("image/png", 8 * 1024 * 1024));
  g_assert_true (canopy_file_row_can_preview ("image/jpeg", 1));
  g_assert_false (canopy_file_row_can_preview ("image/png", 8 * 1024 * 1024 + 1));
  g_assert_false (canopy_file_row_can_preview ("image/svg+xml", 100));
  g_assert_false (canopy_file_row_can_preview ("image/tiff", 100));
}

/* A row going away while its image decodes: the decoding is dropped, nothing crashes. */
static void
test_destroy_while_decoding (void)
{
  g_autoptr (GBytes) png = canopy_test_png_new (2000, 1500);
  GtkWidget *row = row_new ("big.png", "image/png", g_bytes_get_size (png));

  canopy_file_row_set_complete (CANOPY_FILE_ROW (row), png);
  g_assert_true (canopy_file_row_is_decoding (CANOPY_FILE_ROW (row)));
  g_object_run_dispose (G_OBJECT (row));
  g_object_unref (row);
  canopy_test_spin (500);
}

/* Images decode one at a time, in order; one whose row goes while it waits is dropped. */
static void
test_queue (void)
{
  g_autoptr (GBytes) png = canopy_test_png_new (800, 600);
  GtkWidget *rows[3];

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    rows[i] = row_new ("photo.png", "image/png", g_bytes_get_size (png));
    canopy_file_row_set_complete (CANOPY_FILE_ROW (rows[i]), png);
    g_assert_true (canopy_file_row_is_decoding (CANOPY_FILE_ROW (rows[i])));
  }
  g_object_run_dispose (G_OBJECT (rows[1]));
  g_object_unref (rows[1]);
  canopy_test_wait_for (is_decoded, rows[2], CANOPY_TEST_WAIT_S, "the last image");
  g_assert_false (canopy_file_row_is_decoding (CANOPY_FILE_ROW (rows[0])));
  g_assert_nonnull (canopy_file_row_get_image (CANOPY_FILE_ROW (rows[0])));
  g_assert_nonnull (canopy_file_row_get_image (CANOPY_FILE_ROW (rows[2])));
  g_assert_finalize_object (rows[0]);
  g_assert_finalize_object (rows[2]);
}

/* In the chat: under the sender's name, in order with messages, found by id. */
static void
test_in_chat (void)
{
  GtkWidget *view = g_object_ref_sink (canopy_chat_view_new ());
  g_autoptr (CanopyFileManifest) manifest = manifest_new ("0123456789abcdef0123456789abcdef",
                                                          HOSTILE, "text/plain", 5);
  CanopyChatMessage message = {
    .origin = (char *) "peer-1", .seq = 1, .name = (char *) "Ann", .time = 0,
    .text = (char *) "before",
  };
  CanopyFileRow *row;

  canopy_chat_view_add_message (CANOPY_CHAT_VIEW (view), &message, NULL, FALSE);
  row = canopy_chat_view_add_file (CANOPY_CHAT_VIEW (view), manifest, NULL, FALSE);
  g_assert_true (canopy_chat_view_find_file (CANOPY_CHAT_VIEW (view), manifest->id) == row);
  g_assert_null (canopy_chat_view_find_file (CANOPY_CHAT_VIEW (view), "nope"));
  g_assert_cmpuint (canopy_chat_view_get_n_messages (CANOPY_CHAT_VIEW (view)), ==, 2);
  /* A manifest names no one: "Someone", unverified, until the map does. */
  g_assert_nonnull (canopy_test_find (gtk_widget_get_parent (GTK_WIDGET (row)),
                                      canopy_test_is_label_with_text, "Someone"));
  g_assert_nonnull (canopy_test_find (view, canopy_test_is_label_with_text, HOSTILE));
  canopy_chat_view_clear (CANOPY_CHAT_VIEW (view));
  g_assert_null (canopy_chat_view_find_file (CANOPY_CHAT_VIEW (view), manifest->id));
  g_assert_finalize_object (view);
}

/* In a chat pane as narrow as the app's: the thumbnail is laid out at most 240 wide, in its
 * proportions (a GtkPicture left to itself gets no height in a list row). */
static void
test_shown_size (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = canopy_chat_view_new ();
  g_autoptr (GBytes) png = canopy_test_png_new (640, 400);
  g_autoptr (CanopyFileManifest) manifest = manifest_new ("0123456789abcdef0123456789abcdef",
                                                          "stage.png", "image/png",
                                                          g_bytes_get_size (png));
  CanopyFileRow *row;
  GtkWidget *picture;

  gtk_window_set_default_size (GTK_WINDOW (window), 280, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  row = canopy_chat_view_add_file (CANOPY_CHAT_VIEW (view), manifest, NULL, FALSE);
  complete_and_wait (GTK_WIDGET (row), png);
  picture = canopy_test_template_child (GTK_WIDGET (row), CANOPY_TYPE_FILE_ROW, "picture");
  canopy_test_spin (300);
  g_assert_true (gtk_widget_get_mapped (picture));
  g_assert_cmpint (gtk_widget_get_width (picture), ==, 240);
  g_assert_cmpint (gtk_widget_get_height (picture), ==, 150);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_save (CanopyFileRow *row,
         GFile         *file,
         GFile        **saved)
{
  g_set_object (saved, file);
}

/* Whether the chooser (data[0]) would answer data[1]; if not, chooses it again: the fallback
 * dialog loads its first folder asynchronously, and that may undo a folder chosen before. */
static gboolean
chooser_has (gpointer user_data)
{
  gpointer *data = user_data;
  GtkFileChooser *chooser = data[0];
  g_autoptr (GFile) file = g_file_new_for_path (data[1]);
  g_autoptr (GFile) folder = g_file_get_parent (file);
  g_autoptr (GFile) chosen = gtk_file_chooser_get_file (chooser);
  g_autoptr (GFile) current = gtk_file_chooser_get_current_folder (chooser);
  g_autofree char *name = g_file_get_basename (file);

  if (chosen != NULL && g_file_equal (chosen, file))
    return TRUE;
  if (current == NULL || !g_file_equal (current, folder))
    gtk_file_chooser_set_current_folder (chooser, folder, NULL);
  gtk_file_chooser_set_current_name (chooser, name);
  return FALSE;
}

/* Save… opens a chooser for the file's name; its answer is what the row asks to write to. */
static void
test_save_chooser (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = row_new ("notes.txt", "text/plain", 5);
  GtkWidget *save = canopy_test_template_child (row, CANOPY_TYPE_FILE_ROW, "save_button");
  g_autofree char *dir = canopy_test_data_dir ("save");
  g_autofree char *path = g_build_filename (dir, "chosen.txt", NULL);
  g_autoptr (GFile) saved = NULL;
  GtkNativeDialog *chooser;

  gtk_window_set_child (GTK_WINDOW (window), row);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (row, "save", G_CALLBACK (on_save), &saved);
  canopy_file_row_set_complete (CANOPY_FILE_ROW (row), NULL);
  g_signal_emit_by_name (save, "clicked");
  chooser = canopy_file_chooser_get (row);
  g_assert_nonnull (chooser);
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==,
                   GTK_FILE_CHOOSER_ACTION_SAVE);
  canopy_test_wait_for (chooser_has, (gpointer[]) { chooser, path }, CANOPY_TEST_WAIT_S,
                        "the chooser to take the path");
  g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_ACCEPT);
  g_assert_null (canopy_file_chooser_get (row));
  g_assert_nonnull (saved);
  g_assert_cmpstr (g_file_peek_path (saved), ==, path);
  /* Nothing is written by the row itself. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Cancelled: nothing asked. */
  g_clear_object (&saved);
  g_signal_emit_by_name (save, "clicked");
  g_signal_emit_by_name (canopy_file_chooser_get (row), "response",
                         GTK_RESPONSE_CANCEL);
  g_assert_null (saved);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (row);
}

int
main (int   argc,
      char *argv[])
{
  canopy_test_init_ui (&argc, &argv);

  g_test_add_func ("/file-row/new-destroy", test_new_destroy);
  g_test_add_func ("/file-row/plain-text", test_plain_text);
  g_test_add_func ("/file-row/progress", test_progress);
  g_test_add_func ("/file-row/failed", test_failed);
  g_test_add_func ("/file-row/cancel", test_cancel);
  g_test_add_func ("/file-row/thumbnail", test_thumbnail);
  g_test_add_func ("/file-row/bomb", test_bomb);
  g_test_add_func ("/file-row/not-an-image", test_not_an_image);
  g_test_add_func ("/file-row/destroy-while-decoding", test_destroy_while_decoding);
  g_test_add_func ("/file-row/queue", test_queue);
  g_test_add_func ("/file-row/in-chat", test_in_chat);
  g_test_add_func ("/file-row/shown-size", test_shown_size);
  g_test_add_func ("/file-row/save-chooser", test_save_chooser);

  return g_test_run ();
}
