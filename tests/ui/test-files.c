/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Files in the app, end to end: a real canopy-signal, the app (canopy-test-app) hosting a room,
 * and a real canopy-node in it that shares a PNG made here, a larger file that is no image, and
 * a decompression bomb (a valid PNG of a few KiB declaring 30000 x 30000 pixels). The app's
 * chat shows the PNG as a 320 x 240 thumbnail, the other file's row goes from incomplete to
 * complete, Save writes identical bytes where the file chooser's answer said (the test hook
 * answers the real chooser), the bomb is refused with a note and the app lives on. Then the
 * app shares a file through its Share button: its own row shows it, and the node receives it
 * whole. The host's Remove on the node's photo and Stop Sharing on its own file withdraw each
 * from the room: the row says so and shows no image, the node reports it cancelled.
 */
#include <signal.h>
#include <string.h>

#include "canopy-test-png.h"
#include "canopy-test-procs.h"

#define WAIT_S 60

typedef struct {
  CanopyTestProc *proc;
  const char *event;
  const char *name;
  const char *state;  /* or NULL: any */
} FileMatch;

static JsonObject *
find_file (const FileMatch *m)
{
  for (guint i = 0; i < m->proc->events->len; i++) {
    JsonObject *o = g_ptr_array_index (m->proc->events, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), m->event) != 0 ||
        g_strcmp0 (json_object_get_string_member_with_default (o, "name", ""), m->name) != 0)
      continue;
    if (m->state != NULL &&
        g_strcmp0 (json_object_get_string_member_with_default (o, "state", ""), m->state) != 0)
      continue;
    /* A complete image is looked at once it is decoded (or refused). */
    if (json_object_get_boolean_member_with_default (o, "decoding", FALSE))
      continue;
    return o;
  }
  return NULL;
}

static gboolean
has_file (gpointer user_data)
{
  FileMatch *m = user_data;

  return find_file (m) != NULL || m->proc->exited;
}

/* The first @event (the app's "file", the node's "file-complete", ...) for file @name in
 * @state (NULL: any). */
static JsonObject *
wait_file (CanopyTestProc *proc,
           const char     *event,
           const char     *name,
           const char     *state)
{
  FileMatch m = { proc, event, name, state };
  JsonObject *found;

  g_assert_true (canopy_test_wait (has_file, &m, WAIT_S));
  found = find_file (&m);
  if (found == NULL)
    g_error ("%s: no %s for %s %s (exited: %d)", proc->name, event, name, state ? state : "",
             proc->exited);
  return found;
}

static JsonObject *
wait_event (CanopyTestProc *proc,
            const char     *event)
{
  canopy_test_proc_wait_events (proc, event, NULL, NULL, 1, WAIT_S);
  return canopy_test_proc_last_event (proc, event);
}

static char *
write_file (const char *dir,
            const char *name,
            GBytes     *contents)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents),
                       &error);
  g_assert_no_error (error);
  return path;
}

static gboolean
file_is (gpointer user_data)
{
  const char *const *pair = user_data;
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  gsize length = 0, expected_length = 0;

  return g_file_get_contents (pair[0], &contents, &length, NULL) &&
         g_file_get_contents (pair[1], &expected, &expected_length, NULL) &&
         length == expected_length && memcmp (contents, expected, length) == 0;
}

static void
stop (CanopyTestProc *proc)
{
  canopy_test_proc_signal (proc, SIGTERM);
  canopy_test_wait_exit (proc, WAIT_S);
  g_assert_true (proc->exited);
  g_assert_cmpint (proc->exit_status, ==, 0);
}

static void
test_files (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) app = NULL;
  g_autoptr (CanopyTestProc) node = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *app_data = canopy_test_data_dir ("app");
  g_autofree char *app_env = g_strconcat ("XDG_DATA_HOME=", app_data, NULL);
  g_autofree char *dir = canopy_test_data_dir ("files");
  g_autoptr (GBytes) photo = canopy_test_png_new (640, 480);
  g_autoptr (GBytes) mine = canopy_test_png_new (200, 100);
  g_autoptr (GBytes) bomb = canopy_test_png_bomb (30000, 30000);
  g_autoptr (GBytes) notes = NULL;
  g_autofree char *photo_path = write_file (dir, "photo.png", photo);
  g_autofree char *mine_path = write_file (dir, "mine.png", mine);
  g_autofree char *bomb_path = write_file (dir, "bomb.png", bomb);
  g_autofree char *notes_path = NULL;
  g_autofree char *saved_path = g_build_filename (dir, "saved-notes.bin", NULL);
  g_autofree char *save = NULL;
  g_autofree char *share = NULL;
  g_autofree char *room = NULL;
  g_autofree char *mine_sha = NULL;
  const char *pair[] = { saved_path, NULL };
  JsonObject *o;
  guint8 *data;

  /* 1.5 MB that is no image: with the node sending 256 KiB/s, some seconds on its way. */
  data = g_malloc (1500000);
  for (guint i = 0; i < 1500000; i++)
    data[i] = (guint8) g_test_rand_int ();
  notes = g_bytes_new_take (data, 1500000);
  notes_path = write_file (dir, "notes.bin", notes);
  pair[1] = notes_path;

  {
    const char *argv[] = {
      "env", app_env, canopy_test_binary ("CANOPY_APP"), "--server", url, "--host",
      "Files room", NULL
    };
    app = canopy_test_proc_spawn ("app", argv);
  }
  room = g_strdup (json_object_get_string_member (wait_event (app, "room"), "room"));
  {
    const char *argv[] = {
      canopy_test_binary ("CANOPY_NODE"), "join", room, "--server", url, "--name", "Nia",
      "--no-decode", "--events", "--chat-stdin", "--file-rate", "256", "--share", photo_path,
      NULL
    };
    node = canopy_test_proc_spawn ("node", argv);
  }
  wait_event (node, "joined");

  /* The PNG: a thumbnail scaled to fit 320 x 240. */
  o = wait_file (app, "file", "photo.png", "complete");
  g_assert_cmpint (json_object_get_int_member (o, "bytes"), ==, g_bytes_get_size (photo));
  g_assert_cmpint (json_object_get_int_member_with_default (o, "image_width", 0), ==, 320);
  g_assert_cmpint (json_object_get_int_member_with_default (o, "image_height", 0), ==, 240);
  g_assert_false (json_object_has_member (o, "note"));

  /* The other file: a row that fills and completes, no image. */
  share = g_strconcat ("/share ", notes_path, NULL);
  canopy_test_proc_write_line (node, share);
  o = wait_file (app, "file", "notes.bin", "incomplete");
  g_assert_cmpint (json_object_get_int_member (o, "bytes"), <, g_bytes_get_size (notes));
  o = wait_file (app, "file", "notes.bin", "complete");
  g_assert_cmpint (json_object_get_int_member (o, "bytes"), ==, g_bytes_get_size (notes));
  g_assert_false (json_object_has_member (o, "image_width"));

  /* Save, answered through the chooser: those bytes, there and nowhere else. */
  g_assert_false (g_file_test (saved_path, G_FILE_TEST_EXISTS));
  save = g_strdup_printf ("!save %s %s", json_object_get_string_member (o, "id"), saved_path);
  canopy_test_proc_write_line (app, save);
  canopy_test_wait_for (file_is, pair, WAIT_S, "the saved file");

  /* The bomb: refused from its header, noted, the app goes on. */
  g_free (share);
  share = g_strconcat ("/share ", bomb_path, NULL);
  canopy_test_proc_write_line (node, share);
  o = wait_file (app, "file", "bomb.png", "complete");
  g_assert_cmpstr (json_object_get_string_member_with_default (o, "note", ""), ==,
                   "This image is too large to show here");
  g_assert_false (json_object_has_member (o, "image_width"));
  g_assert_false (app->exited);

  /* The host removes the photo the node shared: the node is told (it is the sender, and held
   * it), the app's row says so and shows no image any more. */
  o = wait_file (app, "file", "photo.png", "complete");
  g_free (share);
  share = g_strdup_printf ("!cancel %s", json_object_get_string_member (o, "id"));
  canopy_test_proc_write_line (app, share);
  o = wait_file (app, "file", "photo.png", "failed");
  g_assert_cmpstr (json_object_get_string_member_with_default (o, "note", ""), ==,
                   "This file was withdrawn from the room");
  g_assert_false (json_object_has_member (o, "image_width"));
  canopy_test_proc_wait_events (node, "file-failed", "reason", "cancelled", 1, WAIT_S);

  /* The app's own file, through its Share button: its row, and the node gets it whole. */
  g_free (share);
  share = g_strconcat ("!share ", mine_path, NULL);
  canopy_test_proc_write_line (app, share);
  o = wait_file (app, "file", "mine.png", "complete");
  g_assert_cmpint (json_object_get_int_member_with_default (o, "image_width", 0), ==, 200);
  g_assert_cmpint (json_object_get_int_member_with_default (o, "image_height", 0), ==, 100);
  o = wait_file (node, "file-complete", "mine.png", NULL);
  mine_sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, mine);
  g_assert_cmpstr (json_object_get_string_member (o, "sha256"), ==, mine_sha);

  /* Its sender withdraws it: gone at the node too. */
  g_free (share);
  share = g_strdup_printf ("!cancel %s", json_object_get_string_member (o, "id"));
  canopy_test_proc_write_line (app, share);
  o = wait_file (app, "file", "mine.png", "failed");
  g_assert_false (json_object_has_member (o, "image_width"));
  canopy_test_proc_wait_events (node, "file-failed", "reason", "cancelled", 2, WAIT_S);

  stop (node);
  stop (app);
  stop (server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/files/share-show-save", test_files);
  return g_test_run ();
}
