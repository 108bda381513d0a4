/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A real canopy-signal, a host and seven viewers (k1 = k = 2, so depth 3), all separate
 * processes on 127.0.0.1 with real webrtcbin edges: video decoded everywhere, a chat from the
 * deepest viewer reaching all eight peers exactly once, the host's map right, and a relay's
 * children re-attached and receiving after it leaves.
 */
#include <signal.h>
#include <string.h>

#include "canopy-test-procs.h"

#define N_VIEWERS 7
#define WAIT_S 60

static const char *
peer_of (CanopyTestProc *viewer)
{
  JsonObject *joined = canopy_test_proc_last_event (viewer, "joined");

  g_assert_nonnull (joined);
  return json_object_get_string_member (joined, "peer");
}

static gint64
frames_of (CanopyTestProc *proc)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");

  return stats ? json_object_get_int_member (stats, "frames") : 0;
}

typedef struct {
  CanopyTestProc *proc;
  gint64 frames;
} FramesAbove;

static gboolean
frames_above (gpointer user_data)
{
  FramesAbove *f = user_data;

  return frames_of (f->proc) > f->frames || f->proc->exited;
}

static void
wait_frames_above (CanopyTestProc *proc,
                   gint64          frames)
{
  FramesAbove f = { proc, frames };

  g_assert_true (canopy_test_wait (frames_above, &f, WAIT_S));
  g_assert_cmpint (frames_of (proc), >, frames);
}

/* Finds @id in a nodesMap tree; returns its parent's id through @parent. */
static gboolean
find_node (JsonObject  *node,
           const char  *parent_id,
           const char  *id,
           const char **parent)
{
  JsonArray *children = json_object_get_array_member (node, "childNodes");

  if (g_strcmp0 (json_object_get_string_member (node, "id"), id) == 0) {
    *parent = parent_id;
    return TRUE;
  }
  for (guint i = 0; children != NULL && i < json_array_get_length (children); i++)
    if (find_node (json_array_get_object_element (children, i),
                   json_object_get_string_member (node, "id"), id, parent))
      return TRUE;
  return FALSE;
}

typedef struct {
  CanopyTestProc *host;
  gint64 nodes;
} MapSize;

static gboolean
map_has_size (gpointer user_data)
{
  MapSize *m = user_data;
  JsonObject *map = canopy_test_proc_last_event (m->host, "map");

  return map != NULL && json_object_get_int_member (map, "nodes") == m->nodes;
}

typedef struct {
  CanopyTestProc **procs;
  guint n;
  const char *text;
} ChatSeen;

static guint
count_chats (CanopyTestProc *proc,
             const char     *text)
{
  return canopy_test_proc_count_matching (proc, "chat", "text", text);
}

static JsonObject *
find_chat (CanopyTestProc *proc,
           const char     *text)
{
  return canopy_test_proc_find_event (proc, "chat", "text", text);
}

static gboolean
chat_everywhere (gpointer user_data)
{
  ChatSeen *c = user_data;

  for (guint i = 0; i < c->n; i++)
    if (count_chats (c->procs[i], c->text) == 0)
      return FALSE;
  return TRUE;
}

static CanopyTestProc *
spawn_viewer (const char *url,
              const char *room,
              guint       index)
{
  g_autofree char *name = g_strdup_printf ("v%u", index);
  const char *argv[] = {
    canopy_test_binary ("CANOPY_NODE"), "join", room, "--server", url, "--name", name,
    "--capacity", "2", "--events", "--chat-stdin", NULL
  };

  return canopy_test_proc_spawn (name, argv);
}

static void
test_tree (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[N_VIEWERS] = { NULL };
  CanopyTestProc *everyone[N_VIEWERS + 1];
  g_autofree char *url = canopy_test_start_server (&server);
  const char *host_argv[] = {
    canopy_test_binary ("CANOPY_NODE"), "host", "--server", url, "--title", "Test room",
    "--name", "host", "--k1", "2", "--k", "2", "--width", "320", "--height", "240",
    "--bitrate", "400", "--events", "--chat-stdin", NULL
  };
  const char *room;
  guint per_depth[8] = { 0 };
  CanopyTestProc *deepest = NULL;
  CanopyTestProc *relay = NULL;
  g_autoptr (GPtrArray) orphans = g_ptr_array_new ();
  MapSize full = { NULL, N_VIEWERS + 1 };
  MapSize after = { NULL, N_VIEWERS };
  ChatSeen seen;
  JsonObject *map;
  JsonObject *host_chat;
  g_autofree char *relay_id = NULL;

  host = canopy_test_proc_spawn ("host", host_argv);
  canopy_test_proc_wait_events (host, "room", NULL, NULL, 1, WAIT_S);
  room = json_object_get_string_member (canopy_test_proc_last_event (host, "room"), "room");
  g_test_message ("room %s on %s", room, url);

  /* One at a time, so the breadth-first shape is known: 2 at depth 1, 4 at 2, 1 at 3. */
  for (guint i = 0; i < N_VIEWERS; i++) {
    JsonObject *joined;
    gint64 depth;

    viewers[i] = spawn_viewer (url, room, i);
    canopy_test_proc_wait_events (viewers[i], "joined", NULL, NULL, 1, WAIT_S);
    joined = canopy_test_proc_last_event (viewers[i], "joined");
    depth = json_object_get_int_member (joined, "depth");
    g_assert_cmpint (depth, >=, 1);
    g_assert_cmpint (depth, <=, 3);
    per_depth[depth]++;
    if (depth == 3)
      deepest = viewers[i];
  }
  g_assert_cmpuint (per_depth[1], ==, 2);
  g_assert_cmpuint (per_depth[2], ==, 4);
  g_assert_cmpuint (per_depth[3], ==, 1);
  g_assert_nonnull (deepest);

  /* Every viewer decodes video forwarded hop by hop. */
  for (guint i = 0; i < N_VIEWERS; i++) {
    canopy_test_proc_wait_events (viewers[i], "first-frame", NULL, NULL, 1, WAIT_S);
    wait_frames_above (viewers[i], 30);
  }

  /* The host's map lists all seven with the parents they joined under. */
  full.host = host;
  g_assert_true (canopy_test_wait (map_has_size, &full, WAIT_S));
  map = json_object_get_object_member (canopy_test_proc_last_event (host, "map"), "nodesMap");
  for (guint i = 0; i < N_VIEWERS; i++) {
    const char *parent = NULL;
    JsonObject *joined = canopy_test_proc_last_event (viewers[i], "joined");

    g_assert_true (find_node (map, NULL, peer_of (viewers[i]), &parent));
    g_assert_cmpstr (parent, ==, json_object_get_string_member (joined, "parent"));
  }

  /* A chat from the deepest viewer reaches all eight peers exactly once. */
  everyone[0] = host;
  for (guint i = 0; i < N_VIEWERS; i++)
    everyone[i + 1] = viewers[i];
  seen = (ChatSeen) { everyone, N_VIEWERS + 1, "hello from depth 3" };
  canopy_test_proc_write_line (deepest, seen.text);
  g_assert_true (canopy_test_wait (chat_everywhere, &seen, WAIT_S));
  /* A second for repeats to arrive, if there were any. */
  canopy_test_spin (1000);
  for (guint i = 0; i < N_VIEWERS + 1; i++)
    g_assert_cmpuint (count_chats (everyone[i], seen.text), ==, 1);
  host_chat = find_chat (host, seen.text);
  g_assert_cmpstr (json_object_get_string_member (host_chat, "origin"), ==, peer_of (deepest));
  g_assert_cmpint (json_object_get_int_member (host_chat, "hops"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (find_chat (deepest, seen.text), "hops"), ==, 0);

  /* A relay at depth 1 leaves: its children attach elsewhere and get video again. */
  for (guint i = 0; i < N_VIEWERS && relay == NULL; i++)
    if (json_object_get_int_member (canopy_test_proc_last_event (viewers[i], "joined"),
                                    "depth") == 1)
      relay = viewers[i];
  relay_id = g_strdup (peer_of (relay));
  for (guint i = 0; i < N_VIEWERS; i++)
    if (g_strcmp0 (json_object_get_string_member (
                     canopy_test_proc_last_event (viewers[i], "joined"), "parent"),
                   relay_id) == 0)
      g_ptr_array_add (orphans, viewers[i]);
  g_assert_cmpuint (orphans->len, ==, 2);

  canopy_test_proc_signal (relay, SIGTERM);
  canopy_test_wait_exit (relay, WAIT_S);
  g_assert_nonnull (canopy_test_proc_last_event (relay, "left"));
  g_assert_cmpint (relay->exit_status, ==, 0);
  for (guint i = 0; i < orphans->len; i++) {
    CanopyTestProc *orphan = g_ptr_array_index (orphans, i);
    gint64 frames;

    canopy_test_proc_wait_events (orphan, "joined", NULL, NULL, 2, WAIT_S);
    g_assert_cmpstr (json_object_get_string_member (canopy_test_proc_last_event (orphan,
                                                                                 "joined"),
                                                    "parent"), !=, relay_id);
    frames = frames_of (orphan);
    wait_frames_above (orphan, frames + 30);
  }
  after.host = host;
  g_assert_true (canopy_test_wait (map_has_size, &after, WAIT_S));
  {
    const char *parent = NULL;

    map = json_object_get_object_member (canopy_test_proc_last_event (host, "map"), "nodesMap");
    g_assert_false (find_node (map, NULL, relay_id, &parent));
  }

  /* The host ends the room: everyone is told and exits cleanly. */
  canopy_test_proc_signal (host, SIGTERM);
  canopy_test_wait_exit (host, WAIT_S);
  g_assert_cmpint (host->exit_status, ==, 0);
  for (guint i = 0; i < N_VIEWERS; i++) {
    if (viewers[i] == relay)
      continue;
    canopy_test_wait_exit (viewers[i], WAIT_S);
    /* Clean exits only: under AddressSanitizer a leak or bad access shows up here. */
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
    g_assert_cmpstr (json_object_get_string_member (canopy_test_proc_last_event (viewers[i],
                                                                                 "left"),
                                                    "reason"), ==, "room-closed");
  }
  for (guint i = 0; i < N_VIEWERS; i++)
    canopy_test_proc_free (viewers[i]);
  canopy_test_proc_signal (server, SIGTERM);
  canopy_test_wait_exit (server, WAIT_S);
  g_assert_cmpint (server->exit_status, ==, 0);
}

#define FLOOD 300

/* H.264 through a relay (the child asks for its start-up keyframe itself), and a late joiner
 * getting the chat history from its parent. */
static void
test_h264_history (void)
{
  g_autoptr (CanopyTestProc) server = NULL;
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) relay = NULL;
  g_autoptr (CanopyTestProc) leaf = NULL;
  g_autofree char *url = canopy_test_start_server (&server);
  const char *host_argv[] = {
    canopy_test_binary ("CANOPY_NODE"), "host", "--server", url, "--title", "H.264 room",
    "--name", "host", "--codec", "h264", "--k1", "1", "--k", "1", "--width", "320",
    "--height", "240", "--bitrate", "400", "--events", "--chat-stdin", NULL
  };
  const char *room;

  host = canopy_test_proc_spawn ("host", host_argv);
  canopy_test_proc_wait_events (host, "room", NULL, NULL, 1, WAIT_S);
  room = json_object_get_string_member (canopy_test_proc_last_event (host, "room"), "room");
  canopy_test_proc_write_line (host, "said before anyone came");
  canopy_test_proc_wait_events (host, "chat", NULL, NULL, 1, WAIT_S);

  relay = spawn_viewer (url, room, 1);
  canopy_test_proc_wait_events (relay, "joined", NULL, NULL, 1, WAIT_S);
  leaf = spawn_viewer (url, room, 2);
  canopy_test_proc_wait_events (leaf, "joined", NULL, NULL, 1, WAIT_S);
  g_assert_cmpint (json_object_get_int_member (canopy_test_proc_last_event (leaf, "joined"),
                                               "depth"), ==, 2);
  wait_frames_above (relay, 30);
  wait_frames_above (leaf, 30);

  /* Both got the message sent before they joined, once, from the host. */
  g_assert_cmpuint (count_chats (relay, "said before anyone came"), ==, 1);
  g_assert_cmpuint (count_chats (leaf, "said before anyone came"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (find_chat (leaf, "said before anyone came"),
                                               "hops"), ==, 2);

  /* A leaf floods the chat: its parent passes on at most 60 a second, the rest of the room
   * keeps working. */
  {
    guint at_host;

    for (guint i = 0; i < FLOOD; i++)
      canopy_test_proc_write_line (leaf, "flood");
    canopy_test_proc_wait_events (leaf, "chat", "text", "flood", FLOOD, WAIT_S);
    canopy_test_proc_wait_events (host, "chat", "text", "flood", 1, WAIT_S);
    canopy_test_proc_write_line (host, "still here");
    canopy_test_proc_wait_events (leaf, "chat", "text", "still here", 1, WAIT_S);
    at_host = count_chats (host, "flood");
    g_test_message ("%u of %u flood messages reached the host", at_host, FLOOD);
    g_assert_cmpuint (at_host, <, FLOOD);
    g_assert_cmpuint (count_chats (relay, "flood"), <, FLOOD);
  }

  canopy_test_proc_signal (host, SIGTERM);
  canopy_test_wait_exit (host, WAIT_S);
  canopy_test_wait_exit (relay, WAIT_S);
  canopy_test_wait_exit (leaf, WAIT_S);
  g_assert_cmpint (host->exit_status, ==, 0);
  g_assert_cmpint (relay->exit_status, ==, 0);
  g_assert_cmpint (leaf->exit_status, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tree/seven-viewers-depth-three", test_tree);
  g_test_add_func ("/tree/h264-and-chat-history", test_h264_history);
  return g_test_run ();
}
