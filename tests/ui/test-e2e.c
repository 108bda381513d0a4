/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The desktop app end to end: a real canopy-signal and two real app processes on one display
 * and 127.0.0.1. A hosts a room from the command line, B joins it; B's audience view paints the
 * video, chat typed into either window's entry (stdin, through the test hook) shows in both,
 * both tree views count two nodes, and both quit cleanly on SIGTERM. Then moderation: the host
 * removes the viewer through its menu's action and the viewer's window shows the removed page. The apps are
 * canopy-test-app (CANOPY_APP): the shipped application plus the hook that reports what the
 * windows show (tests/ui/canopy-test-hook.c).
 */
#include <signal.h>
#include <string.h>

#include "canopy-test-procs.h"

#define WAIT_S 60

typedef struct {
  CanopyTestProc *proc;
  const char *event;
  const char *member;
  const char *text;   /* string member equal to this, or NULL */
  gint64 above;       /* else int member above this */
} EventMatch;

static gboolean
event_matches (JsonObject       *o,
               const EventMatch *m)
{
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), m->event) != 0)
    return FALSE;
  if (m->member == NULL)
    return TRUE;
  if (m->text != NULL)
    return g_strcmp0 (json_object_get_string_member_with_default (o, m->member, ""),
                      m->text) == 0;
  return json_object_get_int_member_with_default (o, m->member, G_MININT64) > m->above;
}

static JsonObject *
find_event (const EventMatch *m)
{
  for (guint i = 0; i < m->proc->events->len; i++) {
    JsonObject *o = g_ptr_array_index (m->proc->events, i);

    if (event_matches (o, m))
      return o;
  }
  return NULL;
}

static gboolean
has_match (gpointer user_data)
{
  EventMatch *m = user_data;

  return find_event (m) != NULL || m->proc->exited;
}

static JsonObject *
wait_for (CanopyTestProc *proc,
          const char     *event,
          const char     *member,
          const char     *text,
          gint64          above)
{
  EventMatch m = { proc, event, member, text, above };
  JsonObject *found;

  g_assert_true (canopy_test_wait (has_match, &m, WAIT_S));
  found = find_event (&m);
  if (found == NULL)
    g_error ("%s: no %s event with %s %s %s (exited: %d)", proc->name, event,
             member ? member : "", text ? "=" : ">",
             text ? text : "", proc->exited);
  return found;
}

/* The last tree event, not any: the count must settle at @nodes. */
typedef struct {
  CanopyTestProc *proc;
  gint64 nodes;
} TreeSize;

static gboolean
tree_has_size (gpointer user_data)
{
  TreeSize *t = user_data;
  JsonObject *tree = canopy_test_proc_last_event (t->proc, "tree");

  return (tree != NULL && json_object_get_int_member (tree, "nodes") == t->nodes) ||
         t->proc->exited;
}

static void
wait_tree (CanopyTestProc *proc,
           gint64          nodes)
{
  TreeSize t = { proc, nodes };
  JsonObject *tree;

  g_assert_true (canopy_test_wait (tree_has_size, &t, WAIT_S));
  tree = canopy_test_proc_last_event (proc, "tree");
  g_assert_nonnull (tree);
  g_assert_cmpint (json_object_get_int_member (tree, "nodes"), ==, nodes);
}

static CanopyTestProc *
spawn_app (const char *name,
           const char *url,
           const char *option,
           const char *value)
{
  g_autofree char *data = canopy_test_data_dir (name);
  g_autofree char *data_env = g_strconcat ("XDG_DATA_HOME=", data, NULL);
  /* Each app its own data directory, so its own key (two apps of one user would share one). */
  const char *argv[] = {
    "env", data_env, canopy_test_binary ("CANOPY_APP"), "--server", url, option, value, NULL
  };

  return canopy_test_proc_spawn (name, argv);
}

static void
test_host_and_audience (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) a = NULL;
  g_autoptr (CanopyTestProc) b = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *room = NULL;
  JsonObject *chat;

  a = spawn_app ("A", url, "--host", "E2E room");
  room = g_strdup (json_object_get_string_member (wait_for (a, "room", NULL, NULL, 0), "room"));
  g_test_message ("room %s on %s", room, url);
  g_assert_cmpuint (strlen (room), >, 0);

  b = spawn_app ("B", url, "--join", room);

  /* The audience view's own paintable gets the video, not just the node. */
  wait_for (b, "frames", "n", NULL, 30);
  g_assert_cmpstr (json_object_get_string_member (canopy_test_proc_last_event (b, "frames"),
                                                  "view"), ==, "audience");
  wait_for (a, "frames", "n", NULL, 30);
  g_assert_cmpstr (json_object_get_string_member (canopy_test_proc_last_event (a, "frames"),
                                                  "view"), ==, "host");

  /* Chat typed into A's entry shows in both chat views. */
  canopy_test_proc_write_line (a, "hello from A");
  chat = wait_for (b, "chat", "text", "hello from A", 0);
  g_assert_false (json_object_get_boolean_member (chat, "mine"));
  g_assert_cmpint (json_object_get_int_member (chat, "shown"), >=, 1);
  chat = wait_for (a, "chat", "text", "hello from A", 0);
  g_assert_true (json_object_get_boolean_member (chat, "mine"));

  /* And the other way. */
  canopy_test_proc_write_line (b, "hello from B");
  chat = wait_for (a, "chat", "text", "hello from B", 0);
  g_assert_false (json_object_get_boolean_member (chat, "mine"));
  chat = wait_for (b, "chat", "text", "hello from B", 0);
  g_assert_true (json_object_get_boolean_member (chat, "mine"));
  g_assert_cmpint (json_object_get_int_member (chat, "shown"), ==, 2);

  /* Both tree views: the host and one viewer. */
  wait_tree (a, 2);
  wait_tree (b, 2);

  /* SIGTERM quits like Ctrl+Q: the rooms are left and the exit status is 0. */
  canopy_test_proc_signal (b, SIGTERM);
  canopy_test_wait_exit (b, WAIT_S);
  g_assert_true (b->exited);
  g_assert_cmpint (b->exit_status, ==, 0);
  canopy_test_proc_signal (a, SIGTERM);
  canopy_test_wait_exit (a, WAIT_S);
  g_assert_true (a->exited);
  g_assert_cmpint (a->exit_status, ==, 0);

  canopy_test_proc_signal (server, SIGTERM);
  canopy_test_wait_exit (server, WAIT_S);
  g_assert_cmpint (server->exit_status, ==, 0);
}

/* A hosts, B joins; A removes B (room.kick, "Remove" in the dialog, as the tree's menu does):
 * B's window shows the removed page, A's tree is back to one, and both quit cleanly. */
static void
test_remove_viewer (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) a = NULL;
  g_autoptr (CanopyTestProc) b = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  g_autofree char *room = NULL;
  g_autofree char *kick = NULL;
  const char *peer;

  a = spawn_app ("A", url, "--host", "E2E moderated room");
  room = g_strdup (json_object_get_string_member (wait_for (a, "room", NULL, NULL, 0), "room"));
  b = spawn_app ("B", url, "--join", room);
  wait_for (b, "frames", "n", NULL, 10);
  wait_tree (a, 2);
  wait_for (b, "page", "page", "room", 0);
  peer = json_object_get_string_member (wait_for (b, "peer", "role", "viewer", 0), "peer");
  g_assert_nonnull (peer);

  kick = g_strconcat ("!kick ", peer, NULL);
  canopy_test_proc_write_line (a, kick);
  wait_for (b, "page", "page", "removed", 0);
  wait_tree (a, 1);
  g_assert_false (b->exited);

  canopy_test_proc_signal (b, SIGTERM);
  canopy_test_wait_exit (b, WAIT_S);
  g_assert_cmpint (b->exit_status, ==, 0);
  canopy_test_proc_signal (a, SIGTERM);
  canopy_test_wait_exit (a, WAIT_S);
  g_assert_cmpint (a->exit_status, ==, 0);
  canopy_test_proc_signal (server, SIGTERM);
  canopy_test_wait_exit (server, WAIT_S);
  g_assert_cmpint (server->exit_status, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/e2e/host-and-audience", test_host_and_audience);
  g_test_add_func ("/e2e/remove-viewer", test_remove_viewer);
  return g_test_run ();
}
