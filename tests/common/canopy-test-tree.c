/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The tree's integration tests (test-heal, test-heal-room, test-nat): real canopy-node
 * processes in a room (here or after a command prefix), what they print with --events, waits on
 * many of them at once, chat said and checked, maps checked, a room's end. */

#include "canopy-test-tree.h"

#include <signal.h>

/* Frames (30 fps) a node must count after a moment to have been served since then. */
#define FRAMES_AGAIN 15

/* --- the processes ------------------------------------------------------------------------ */

/* Starts @argv after @prefix (NULL-terminated, or NULL for none): e.g. "ip netns exec NS" to
 * run it in a network namespace. */
CanopyTestProc *
canopy_test_tree_spawn_in (const char *const *prefix,
                           const char        *name,
                           const char *const *argv)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  for (guint i = 0; prefix != NULL && prefix[i] != NULL; i++)
    g_ptr_array_add (all, (gpointer) prefix[i]);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (all, (gpointer) argv[i]);
  g_ptr_array_add (all, NULL);
  return canopy_test_proc_spawn (name, (const char **) all->pdata);
}

/* A host, its command line after @prefix (see canopy_test_tree_spawn_in()). */
CanopyTestProc *
canopy_test_tree_spawn_host_in (const char *const *prefix,
                                const char        *url,
                                guint              k1,
                                guint              k,
                                gboolean           listed)
{
  return canopy_test_tree_spawn_host_with (prefix, url, k1, k, listed, NULL);
}

/* The same, with @extra (NULL-terminated, or NULL) after the usual options. */
CanopyTestProc *
canopy_test_tree_spawn_host_with (const char *const *prefix,
                                  const char        *url,
                                  guint              k1,
                                  guint              k,
                                  gboolean           listed,
                                  const char *const *extra)
{
  g_autofree char *k1_text = g_strdup_printf ("%u", k1);
  g_autofree char *k_text = g_strdup_printf ("%u", k);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *args[] = {
    canopy_test_binary ("CANOPY_NODE"), "host", "--server", url, "--title", "Heal room",
    "--name", "host", "--k1", k1_text, "--k", k_text, "--width", "320", "--height", "240",
    "--bitrate", "400", "--events", "--chat-stdin"
  };

  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  if (!listed)
    g_ptr_array_add (argv, "--unlisted");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  return canopy_test_tree_spawn_in (prefix, "host", (const char *const *) argv->pdata);
}

CanopyTestProc *
canopy_test_tree_spawn_host (const char *url,
                             guint       k1,
                             guint       k,
                             gboolean    listed)
{
  return canopy_test_tree_spawn_host_in (NULL, url, k1, k, listed);
}

const char *
canopy_test_tree_room_of (CanopyTestProc *host)
{
  canopy_test_proc_wait_events (host, "room", NULL, NULL, 1, CANOPY_TEST_TREE_WAIT_S);
  return json_object_get_string_member (canopy_test_proc_last_event (host, "room"), "room");
}

/* canopy-node, or canopy-hostile-node when @misbehave names a mode (it misbehaves once sent
 * SIGUSR1), after @prefix (see canopy_test_tree_spawn_in()). */
static CanopyTestProc *
spawn_viewer (const char *const *prefix,
              const char        *url,
              const char        *room,
              const char        *name,
              guint              capacity,
              gboolean           decode,
              const char        *misbehave)
{
  g_autofree char *capacity_text = g_strdup_printf ("%u", capacity);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *args[] = {
    "join", room, "--server", url, "--name", name, "--capacity", capacity_text, "--events",
    "--chat-stdin"
  };

  g_ptr_array_add (argv, (gpointer) canopy_test_binary (misbehave ? "CANOPY_HOSTILE_NODE"
                                                                  : "CANOPY_NODE"));
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  if (!decode)
    g_ptr_array_add (argv, "--no-decode");
  if (misbehave != NULL) {
    g_ptr_array_add (argv, "--misbehave");
    g_ptr_array_add (argv, (gpointer) misbehave);
  }
  g_ptr_array_add (argv, NULL);
  return canopy_test_tree_spawn_in (prefix, name, (const char *const *) argv->pdata);
}

CanopyTestProc *
canopy_test_tree_spawn_viewer (const char *url,
                               const char *room,
                               const char *name,
                               guint       capacity,
                               gboolean    decode)
{
  return spawn_viewer (NULL, url, room, name, capacity, decode, NULL);
}

/* A viewer, its command line after @prefix (see canopy_test_tree_spawn_in()). */
CanopyTestProc *
canopy_test_tree_spawn_viewer_in (const char *const *prefix,
                                  const char        *url,
                                  const char        *room,
                                  const char        *name,
                                  guint              capacity,
                                  gboolean           decode)
{
  return spawn_viewer (prefix, url, room, name, capacity, decode, NULL);
}

/* A canopy-hostile-node viewer (not decoding) once it joined; it misbehaves as @mode says once
 * sent SIGUSR1. */
CanopyTestProc *
canopy_test_tree_join_hostile (const char *url,
                               const char *room,
                               const char *name,
                               guint       capacity,
                               const char *mode)
{
  CanopyTestProc *viewer = spawn_viewer (NULL, url, room, name, capacity, FALSE, mode);

  canopy_test_proc_wait_events (viewer, "joined", NULL, NULL, 1, CANOPY_TEST_TREE_WAIT_S);
  return viewer;
}

/* A viewer, once it joined. */
CanopyTestProc *
canopy_test_tree_join_viewer (const char *url,
                              const char *room,
                              const char *name,
                              guint       capacity,
                              gboolean    decode)
{
  CanopyTestProc *viewer = canopy_test_tree_spawn_viewer (url, room, name, capacity, decode);

  canopy_test_proc_wait_events (viewer, "joined", NULL, NULL, 1, CANOPY_TEST_TREE_WAIT_S);
  return viewer;
}

const char *
canopy_test_tree_peer_of (CanopyTestProc *viewer)
{
  JsonObject *joined = canopy_test_proc_last_event (viewer, "joined");

  return joined ? json_object_get_string_member (joined, "peer") : NULL;
}

const char *
canopy_test_tree_parent_of (CanopyTestProc *viewer)
{
  JsonObject *joined = canopy_test_proc_last_event (viewer, "joined");

  return joined ? json_object_get_string_member (joined, "parent") : NULL;
}

gint64
canopy_test_tree_depth_of (CanopyTestProc *viewer)
{
  JsonObject *joined = canopy_test_proc_last_event (viewer, "joined");

  return joined ? json_object_get_int_member (joined, "depth") : -1;
}

gint64
canopy_test_tree_frames_of (CanopyTestProc *proc)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");

  return stats ? json_object_get_int_member (stats, "frames") : 0;
}

JsonObject *
canopy_test_tree_map_of (CanopyTestProc *proc)
{
  JsonObject *map = canopy_test_proc_last_event (proc, "map");

  return map ? json_object_get_object_member (map, "nodesMap") : NULL;
}

gint64
canopy_test_tree_map_version (CanopyTestProc *proc)
{
  JsonObject *map = canopy_test_proc_last_event (proc, "map");

  return map ? json_object_get_int_member (map, "version") : -1;
}

/* The node @id in a nodesMap tree, or NULL. */
JsonObject *
canopy_test_tree_find_node (JsonObject *node,
                            const char *id)
{
  JsonArray *children;

  if (node == NULL)
    return NULL;
  if (g_strcmp0 (json_object_get_string_member (node, "id"), id) == 0)
    return node;
  children = json_object_get_array_member (node, "childNodes");
  for (guint i = 0; children != NULL && i < json_array_get_length (children); i++) {
    JsonObject *found = canopy_test_tree_find_node (json_array_get_object_element (children, i),
                                                    id);

    if (found != NULL)
      return found;
  }
  return NULL;
}

/* Adds the ids below @node (not @node's own) to @ids. */
void
canopy_test_tree_collect_below (JsonObject *node,
                                GPtrArray  *ids)
{
  JsonArray *children = json_object_get_array_member (node, "childNodes");

  for (guint i = 0; children != NULL && i < json_array_get_length (children); i++) {
    JsonObject *child = json_array_get_object_element (children, i);

    g_ptr_array_add (ids, (gpointer) json_object_get_string_member (child, "id"));
    canopy_test_tree_collect_below (child, ids);
  }
}

guint
canopy_test_tree_size (JsonObject *node)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();

  if (node == NULL)
    return 0;
  canopy_test_tree_collect_below (node, ids);
  return ids->len + 1;
}

CanopyTestProc *
canopy_test_tree_viewer_with_peer (CanopyTestProc **viewers,
                                   guint            n,
                                   const char      *peer)
{
  for (guint i = 0; i < n; i++)
    if (viewers[i] != NULL && g_strcmp0 (canopy_test_tree_peer_of (viewers[i]), peer) == 0)
      return viewers[i];
  return NULL;
}

/* --- waiting on many processes at once, recording when each got there --------------------- */

typedef struct {
  CanopyTestProc **procs;
  guint n;
  CanopyTestTreeCheck check;
  gpointer data;
  gint64 start;
  gint64 *at; /* µs after start when check first held, -1 until then */
} AllOf;

static gboolean
all_of (gpointer user_data)
{
  AllOf *a = user_data;
  gboolean all = TRUE;

  for (guint i = 0; i < a->n; i++) {
    if (a->at[i] >= 0)
      continue;
    if (a->check (a->procs[i], a->data))
      a->at[i] = g_get_monotonic_time () - a->start;
    else
      all = FALSE;
  }
  return all;
}

/* Waits until @check holds for every one of @procs, failing the test (naming who did not get
 * there) after @timeout_s. Fills @at (n entries) with when each got there, in ms after
 * @start (a g_get_monotonic_time()). */
void
canopy_test_tree_wait_all (CanopyTestProc    **procs,
                           guint               n,
                           CanopyTestTreeCheck check,
                           gpointer            data,
                           gint64              start,
                           double             *at_ms,
                           guint               timeout_s,
                           const char         *what)
{
  g_autofree gint64 *at = g_new (gint64, n);
  AllOf a = { procs, n, check, data, start, at };

  for (guint i = 0; i < n; i++)
    at[i] = -1;
  if (!canopy_test_wait (all_of, &a, timeout_s)) {
    g_autoptr (GString) late = g_string_new (NULL);

    for (guint i = 0; i < n; i++) {
      if (at[i] >= 0)
        continue;
      g_string_append_printf (late, " %s (exited: %d)", procs[i]->name, procs[i]->exited);
      canopy_test_proc_print_stacks (procs[i], what);
    }
    g_error ("Timed out after %u s waiting for %s at:%s", timeout_s, what, late->str);
  }
  for (guint i = 0; at_ms != NULL && i < n; i++)
    at_ms[i] = at[i] / 1000.0;
}

double
canopy_test_tree_max_of (const double *values,
                         guint         n)
{
  double m = 0;

  for (guint i = 0; i < n; i++)
    m = MAX (m, values[i]);
  return m;
}

char *
canopy_test_tree_list_ms (CanopyTestProc **procs,
                          const double    *at_ms,
                          guint            n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s%s %.0f ms", i ? ", " : "", procs[i]->name, at_ms[i]);
  return g_string_free (text, FALSE);
}

/* --- frames ------------------------------------------------------------------------------- */

/* Whether @proc counted FRAMES_AGAIN frames between its first stats event after the
 * @mark-th event and its latest one: frames that reached it after the moment @mark was
 * taken (canopy_test_proc's events->len then). Stats are cumulative, once a second. */
static gboolean
frames_since (CanopyTestProc *proc,
              guint           mark)
{
  JsonObject *first = NULL;
  JsonObject *last = NULL;

  for (guint i = mark; i < proc->events->len; i++) {
    JsonObject *o = g_ptr_array_index (proc->events, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "stats") != 0)
      continue;
    if (first == NULL)
      first = o;
    last = o;
  }
  return first != NULL && json_object_get_int_member (last, "frames") -
                            json_object_get_int_member (first, "frames") >= FRAMES_AGAIN;
}

typedef struct {
  CanopyTestProc **procs;
  guint *marks;
  guint n;
} Marks;

static gboolean
frames_again (CanopyTestProc *proc,
              gpointer        data)
{
  Marks *m = data;

  for (guint i = 0; i < m->n; i++)
    if (m->procs[i] == proc)
      return frames_since (proc, m->marks[i]);
  g_assert_not_reached ();
}

guint *
canopy_test_tree_mark_events (CanopyTestProc **procs,
                              guint            n)
{
  guint *marks = g_new (guint, n);

  for (guint i = 0; i < n; i++)
    marks[i] = procs[i]->events->len;
  return marks;
}

/* Waits until each of @procs counts frames that reached it after now; returns the ms each
 * took in @at_ms (an upper bound: stats come once a second). */
void
canopy_test_tree_wait_frames_again (CanopyTestProc **procs,
                                    guint            n,
                                    guint           *marks,
                                    gint64           start,
                                    double          *at_ms,
                                    const char      *what)
{
  Marks m = { procs, marks, n };

  canopy_test_tree_wait_all (procs, n, frames_again, &m, start, at_ms, CANOPY_TEST_TREE_WAIT_S,
                             what);
}

static gboolean
has_played (CanopyTestProc *proc,
            gpointer        data)
{
  return canopy_test_tree_frames_of (proc) > GPOINTER_TO_INT (data);
}

void
canopy_test_tree_wait_playing (CanopyTestProc **procs,
                               guint            n)
{
  canopy_test_tree_wait_all (procs, n, has_played, GINT_TO_POINTER (30), g_get_monotonic_time (),
                             NULL, CANOPY_TEST_TREE_WAIT_S, "30 frames");
}

/* --- chat --------------------------------------------------------------------------------- */

/* The id a process's own chat messages carry (its local echo has 0 hops). */
static const char *
origin_of (CanopyTestProc *sender)
{
  for (guint i = 0; i < sender->events->len; i++) {
    JsonObject *o = g_ptr_array_index (sender->events, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "chat") == 0 &&
        json_object_get_int_member (o, "hops") == 0)
      return json_object_get_string_member (o, "origin");
  }
  return NULL;
}

/* The seqs of @origin's messages as @proc printed them, in order. */
static GArray *
chat_seqs (CanopyTestProc *proc,
           const char     *origin)
{
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < proc->events->len; i++) {
    JsonObject *o = g_ptr_array_index (proc->events, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "chat") == 0 &&
        g_strcmp0 (json_object_get_string_member (o, "origin"), origin) == 0) {
      gint64 seq = json_object_get_int_member (o, "seq");

      g_array_append_val (seqs, seq);
    }
  }
  return seqs;
}

/* How many lines each process was told to say since canopy_test_tree_said_reset(), which a
 * test that chats calls first. */
static GHashTable *said;

void
canopy_test_tree_said_reset (void)
{
  if (said == NULL)
    said = g_hash_table_new (NULL, NULL);
  g_hash_table_remove_all (said);
}

static guint
said_by (CanopyTestProc *proc)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (said, proc));
}

void
canopy_test_tree_say (CanopyTestProc *proc,
                      const char     *format,
                      ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  canopy_test_proc_write_line (proc, text);
  g_hash_table_insert (said, proc, GUINT_TO_POINTER (said_by (proc) + 1));
}

typedef struct {
  CanopyTestProc **senders;
  guint n_senders;
} Senders;

static gboolean
has_all_chat (CanopyTestProc *proc,
              gpointer        data)
{
  Senders *s = data;

  for (guint i = 0; i < s->n_senders; i++) {
    const char *origin = origin_of (s->senders[i]);
    g_autoptr (GArray) sent = NULL;
    g_autoptr (GArray) got = NULL;

    /* The sender's own echo of every line it was told to say first. */
    if (origin == NULL)
      return FALSE;
    sent = chat_seqs (s->senders[i], origin);
    got = chat_seqs (proc, origin);
    if (sent->len < said_by (s->senders[i]) || got->len < sent->len)
      return FALSE;
  }
  return TRUE;
}

/* Every one of @receivers printed each message of each of @senders exactly once (the same
 * (origin, seq) set the sender echoed), each origin's in seq order. Waits for them first,
 * then a second and a half for repeats. */
void
canopy_test_tree_assert_chat_exactly_once (CanopyTestProc **receivers,
                                           guint            n,
                                           CanopyTestProc **senders,
                                           guint            n_senders)
{
  Senders s = { senders, n_senders };
  g_autofree double *at_ms = g_new (double, n);

  canopy_test_tree_wait_all (receivers, n, has_all_chat, &s, g_get_monotonic_time (), at_ms,
                             CANOPY_TEST_TREE_WAIT_S, "every chat message");
  canopy_test_spin (1500);
  for (guint j = 0; j < n_senders; j++) {
    const char *origin = origin_of (senders[j]);
    g_autoptr (GArray) sent = chat_seqs (senders[j], origin);

    g_assert_nonnull (origin);
    for (guint i = 0; i < n; i++) {
      g_autoptr (GArray) got = chat_seqs (receivers[i], origin);

      if (got->len != sent->len)
        g_error ("%s printed %u messages of %s's %u (duplicates)", receivers[i]->name, got->len,
                 senders[j]->name, sent->len);
      /* The same set, in order: equal to the sender's own sequence, which only grows. */
      for (guint k = 0; k < got->len; k++) {
        if (g_array_index (got, gint64, k) != g_array_index (sent, gint64, k))
          g_error ("%s: message %u of %s is seq %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT
                   " (lost, repeated or out of order)", receivers[i]->name, k, senders[j]->name,
                   g_array_index (got, gint64, k), g_array_index (sent, gint64, k));
        if (k > 0)
          g_assert_cmpint (g_array_index (sent, gint64, k), >, g_array_index (sent, gint64, k - 1));
      }
    }
  }
}

/* --- maps --------------------------------------------------------------------------------- */

/* @proc's last map has exactly the host and the live viewers, without the dead one. */
gboolean
canopy_test_tree_map_is_right (CanopyTestProc *proc,
                               gpointer        data)
{
  CanopyTestTreeMapExpect *e = data;
  JsonObject *map = canopy_test_tree_map_of (proc);

  if (map == NULL || canopy_test_tree_size (map) != e->n + 1)
    return FALSE;
  if (e->gone != NULL && canopy_test_tree_find_node (map, e->gone) != NULL)
    return FALSE;
  for (guint i = 0; i < e->n; i++)
    if (canopy_test_tree_find_node (map, canopy_test_tree_peer_of (e->live[i])) == NULL)
      return FALSE;
  return TRUE;
}

/* @proc's last map is right and has the host's version (the host's map being right too). */
gboolean
canopy_test_tree_map_agrees (CanopyTestProc *proc,
                             gpointer        data)
{
  CanopyTestTreeAgree *a = data;

  return canopy_test_tree_map_is_right (a->host, a->expect) &&
         canopy_test_tree_map_is_right (proc, a->expect) &&
         canopy_test_tree_map_version (proc) == canopy_test_tree_map_version (a->host);
}

/* --- ending ------------------------------------------------------------------------------- */

/* Ends a room: the host leaves, everyone still there ends cleanly. */
void
canopy_test_tree_end_room (CanopyTestProc  *host,
                           CanopyTestProc **viewers,
                           guint            n)
{
  canopy_test_proc_signal (host, SIGTERM);
  canopy_test_wait_exit (host, CANOPY_TEST_TREE_WAIT_S);
  g_assert_cmpint (host->exit_status, ==, 0);
  for (guint i = 0; i < n; i++) {
    if (viewers[i] == NULL)
      continue;
    canopy_test_wait_exit (viewers[i], CANOPY_TEST_TREE_WAIT_S);
  }
}

void
canopy_test_tree_free_all (CanopyTestProc **procs,
                           guint            n)
{
  for (guint i = 0; i < n; i++)
    g_clear_pointer (&procs[i], canopy_test_proc_free);
}

gboolean
canopy_test_tree_has_left (CanopyTestProc *proc,
                           gpointer        data)
{
  return canopy_test_proc_count_events (proc, "left") > 0 || proc->exited;
}

void
canopy_test_tree_assert_still_in (CanopyTestProc **procs,
                                  guint            n)
{
  for (guint i = 0; i < n; i++) {
    if (procs[i]->exited || canopy_test_proc_count_events (procs[i], "left") > 0)
      g_error ("%s ended (exit %d)", procs[i]->name, procs[i]->exit_status);
  }
}

