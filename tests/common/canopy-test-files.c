/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the file tests share (test-file-tree, test-file-room): files of random bytes, and what
 * canopy-node --events says of a file, checked: complete with the sender's hash, progress never
 * going back.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "canopy-test-files.h"

/* A file of @size random bytes in a fresh directory; its SHA-256 through @sha256. */
char *
canopy_test_files_make (gsize   size,
                        char  **sha256)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("canopy-file-XXXXXX", &error);
  g_autofree guint8 *data = g_malloc (size);
  char *path;

  g_assert_no_error (error);
  for (gsize i = 0; i < size; i += 4) {
    guint32 r = g_random_int ();

    memcpy (data + i, &r, MIN (4, size - i));
  }
  path = g_build_filename (dir, "clip.bin", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, &error));
  *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  return path;
}

void
canopy_test_files_remove (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_remove (path);
  g_rmdir (dir);
}

gboolean
canopy_test_files_has_file (CanopyTestProc *proc,
                            gpointer        data)
{
  return canopy_test_proc_count_events (proc, "file-complete") > 0 ||
         canopy_test_proc_count_events (proc, "file-failed") > 0 || proc->exited;
}

/* Every file-progress of @proc is no less than the one before, and the last is the size;
 * returns how many there were. */
guint
canopy_test_files_assert_progress (CanopyTestProc *proc,
                                   gint64          size)
{
  gint64 last = -1;
  guint n = 0;

  for (guint i = 0; i < proc->events->len; i++) {
    JsonObject *event = g_ptr_array_index (proc->events, i);

    if (g_strcmp0 (json_object_get_string_member (event, "event"), "file-progress") != 0)
      continue;
    n++;
    if (json_object_get_int_member (event, "bytes") < last)
      g_error ("%s: progress went back from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
               proc->name, last, json_object_get_int_member (event, "bytes"));
    last = json_object_get_int_member (event, "bytes");
    g_assert_cmpint (json_object_get_int_member (event, "size"), ==, size);
  }
  g_assert_cmpint (last, ==, size);
  return n;
}

void
canopy_test_files_assert_complete (CanopyTestProc *proc,
                                   const char     *sha256,
                                   gint64          size)
{
  JsonObject *complete = canopy_test_proc_last_event (proc, "file-complete");

  if (complete == NULL)
    g_error ("%s did not get the file", proc->name);
  g_assert_cmpstr (json_object_get_string_member (complete, "sha256"), ==, sha256);
  g_assert_cmpint (json_object_get_int_member (complete, "size"), ==, size);
  g_assert_cmpuint (canopy_test_proc_count_events (proc, "file-failed"), ==, 0);
  canopy_test_files_assert_progress (proc, size);
}

gint64
canopy_test_files_bytes_of (CanopyTestProc *proc)
{
  JsonObject *progress = canopy_test_proc_last_event (proc, "file-progress");

  return progress ? json_object_get_int_member (progress, "bytes") : 0;
}
