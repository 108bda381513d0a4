/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Moderation with real canopy-signal and canopy-node processes on 127.0.0.1: the host mutes a
 * viewer (every node drops its chat), removes one (it ends, its key cannot come back), locks
 * the room and protects it with a password. Commands go to the host's stdin as its
 * --chat-stdin reads them (/mute, /unmute, /kick, /lock, /unlock).
 */
#include "canopy-test-tree.h"

#define WAIT_S CANOPY_TEST_TREE_WAIT_S

/* canopy-node with the test's usual arguments and @extra (NULL-terminated). */
static CanopyTestProc *
spawn (const char        *name,
       const char        *url,
       const char        *room,
       const char *const *extra)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) canopy_test_binary ("CANOPY_NODE"));
  if (room == NULL) {
    const char *host[] = { "host", "--title", "Moderated", "--name", "host", "--k1", "2", "--k",
                           "2", "--width", "320", "--height", "240", "--bitrate", "400",
                           "--unlisted", NULL };

    for (guint i = 0; host[i] != NULL; i++)
      g_ptr_array_add (argv, (gpointer) host[i]);
  } else {
    const char *viewer[] = { "join", room, "--name", name, "--capacity", "2", "--no-decode",
                             NULL };

    for (guint i = 0; viewer[i] != NULL; i++)
      g_ptr_array_add (argv, (gpointer) viewer[i]);
  }
  g_ptr_array_add (argv, "--server");
  g_ptr_array_add (argv, (gpointer) url);
  g_ptr_array_add (argv, "--events");
  g_ptr_array_add (argv, "--chat-stdin");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  return canopy_test_proc_spawn (name, (const char **) argv->pdata);
}

static guint
count_chat (CanopyTestProc *proc,
            const char     *text)
{
  return canopy_test_proc_count_matching (proc, "chat", "text", text);
}

static gboolean
got_chat (gpointer data)
{
  gpointer *pair = data;

  return count_chat (pair[0], pair[1]) > 0;
}

static void
wait_chat (CanopyTestProc *proc,
           const char     *text)
{
  gpointer pair[2] = { proc, (gpointer) text };

  if (!canopy_test_wait (got_chat, pair, WAIT_S)) {
    for (guint i = 0; i < proc->events->len; i++) {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (),
                                                         g_ptr_array_index (proc->events, i));
      g_autofree char *line = json_to_string (node, FALSE);

      if (strstr (line, "\"stats\"") == NULL)
        g_test_message ("%s: %s", proc->name, line);
    }
    g_error ("%s never showed \"%s\"", proc->name, text);
  }
}

/* The node ended for @reason, after an error whose message has @words (or any, if NULL). */
static void
assert_ended (CanopyTestProc *proc,
              const char     *reason,
              const char     *words)
{
  JsonObject *left;

  canopy_test_proc_wait_events (proc, "left", NULL, NULL, 1, WAIT_S);
  left = canopy_test_proc_last_event (proc, "left");
  g_assert_cmpstr (json_object_get_string_member (left, "reason"), ==, reason);
  if (words != NULL) {
    JsonObject *error = canopy_test_proc_last_event (proc, "error");

    g_assert_nonnull (error);
    g_test_message ("%s: %s", proc->name, json_object_get_string_member (error, "message"));
    g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), words));
  }
  canopy_test_wait_exit (proc, WAIT_S);
}

/* host (k1 = 2) -> a, b, then c. The host mutes a: nobody shows a's chat, b's still goes
 * everywhere; unmuted, a is heard again. The host removes b: b ends "removed", the others stay,
 * and b's key cannot join again. */
static void
test_mute_and_remove (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) again = NULL;
  CanopyTestProc *viewers[3] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *dir = canopy_test_data_dir ("moderation");
  g_autofree char *b_key = g_build_filename (dir, "b.key", NULL);
  const char *b_extra[] = { "--identity", b_key, NULL };
  const char *room;
  g_autofree char *a_id = NULL;
  g_autofree char *b_id = NULL;

  host = spawn ("host", url, NULL, NULL);
  room = canopy_test_tree_room_of (host);
  viewers[0] = spawn ("a", url, room, NULL);
  viewers[1] = spawn ("b", url, room, b_extra);
  viewers[2] = spawn ("c", url, room, NULL);
  canopy_test_tree_wait_playing (viewers, 3);
  a_id = g_strdup (canopy_test_tree_peer_of (viewers[0]));
  b_id = g_strdup (canopy_test_tree_peer_of (viewers[1]));

  /* Muted: a's chat reaches nobody (a itself shows what it said). */
  canopy_test_proc_write_line (viewers[0], "a before");
  wait_chat (viewers[2], "a before");
  {
    g_autofree char *line = g_strdup_printf ("/mute %s", a_id);

    canopy_test_proc_write_line (host, line);
  }
  canopy_test_spin (1500);
  canopy_test_proc_write_line (viewers[0], "a muted");
  canopy_test_proc_write_line (viewers[1], "b while a is muted");
  wait_chat (viewers[2], "b while a is muted");
  wait_chat (host, "b while a is muted");
  canopy_test_spin (1500);
  g_assert_cmpuint (count_chat (host, "a muted"), ==, 0);
  g_assert_cmpuint (count_chat (viewers[1], "a muted"), ==, 0);
  g_assert_cmpuint (count_chat (viewers[2], "a muted"), ==, 0);
  {
    g_autofree char *line = g_strdup_printf ("/unmute %s", a_id);

    canopy_test_proc_write_line (host, line);
  }
  canopy_test_spin (1500);
  canopy_test_proc_write_line (viewers[0], "a again");
  wait_chat (viewers[2], "a again");
  wait_chat (host, "a again");

  /* Removed: b ends, the others stay, b's key is refused. */
  {
    g_autofree char *line = g_strdup_printf ("/kick %s", b_id);

    canopy_test_proc_write_line (host, line);
  }
  assert_ended (viewers[1], "removed", NULL);
  canopy_test_spin (2000);
  g_assert_null (canopy_test_proc_last_event (viewers[0], "left"));
  g_assert_null (canopy_test_proc_last_event (viewers[2], "left"));
  again = spawn ("b-again", url, room, b_extra);
  assert_ended (again, "failed", "removed you");
  /* A newcomer still gets in, and plays. */
  canopy_test_proc_free (viewers[1]);
  viewers[1] = spawn ("d", url, room, NULL);
  canopy_test_tree_wait_playing (viewers + 1, 1);

  canopy_test_tree_end_room (host, viewers, 3);
  canopy_test_tree_free_all (viewers, 3);
}

/* A room with a password: no password, or a wrong one, is refused with words that say so; the
 * right one gets in. Locked, even the right password is refused; unlocked, it gets in again. */
static void
test_lock_and_password (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) none = NULL;
  g_autoptr (CanopyTestProc) wrong = NULL;
  g_autoptr (CanopyTestProc) locked_out = NULL;
  CanopyTestProc *viewers[2] = { NULL };
  g_autofree char *url = canopy_test_start_server (&server);
  const char *host_extra[] = { "--password", "open sesame", NULL };
  const char *right[] = { "--password", "open sesame", NULL };
  const char *bad[] = { "--password", "open sesame!", NULL };
  const char *room;

  host = spawn ("host", url, NULL, host_extra);
  room = canopy_test_tree_room_of (host);
  none = spawn ("none", url, room, NULL);
  assert_ended (none, "failed", "needs a password");
  wrong = spawn ("wrong", url, room, bad);
  assert_ended (wrong, "failed", "Wrong password");
  viewers[0] = spawn ("right", url, room, right);
  canopy_test_tree_wait_playing (viewers, 1);

  canopy_test_proc_write_line (host, "/lock");
  canopy_test_spin (1000);
  locked_out = spawn ("locked-out", url, room, right);
  assert_ended (locked_out, "failed", "locked");
  canopy_test_proc_write_line (host, "/unlock");
  canopy_test_spin (1000);
  viewers[1] = spawn ("after", url, room, right);
  canopy_test_tree_wait_playing (viewers + 1, 1);

  canopy_test_tree_end_room (host, viewers, 2);
  canopy_test_tree_free_all (viewers, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/moderation/mute-and-remove", test_mute_and_remove);
  g_test_add_func ("/moderation/lock-and-password", test_lock_and_password);
  return g_test_run ();
}
