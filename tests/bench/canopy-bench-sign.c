/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * canopy-bench-sign: what signing and checking cost on this machine, per chat message, per
 * edge statement and per map change (at the host and at one viewer), with the code that ships.
 * No network: the host's and a viewer's CanopyRoom are driven directly, as in tests/core.
 *
 * Each measurement runs enough iterations for about RUN_NS, RUNS times; stdout gets one JSON
 * object per measurement and nothing else, e.g.
 *   {"what":"chat-sign","us":41.20,"min":40.90,"max":43.10,"n":12000,"runs":5}
 * with "us" the median of the runs' means in microseconds per operation, "min"/"max" the
 * fastest and slowest run. build-aux/bench --sign-only turns them into table rows.
 */
#define G_LOG_DOMAIN "CanopyBench"

#include "canopy-chat.h"
#include "canopy-json.h"
#include "canopy-room.h"
#include "canopy-statement.h"

#include <stdio.h>
#include <time.h>

#define ROOM "k7m2q9xa"
#define RUNS 5
#define RUN_NS G_GINT64_CONSTANT (500000000)
/* Calibration doubles the count until a run takes this long, then scales it to RUN_NS. */
#define CALIBRATE_NS G_GINT64_CONSTANT (50000000)
/* canopy-node's defaults: the host takes 4 children, a viewer 2. */
#define HOST_K1 4
#define VIEWER_K 4
#define VIEWER_CAPACITY 2
/* Placed but not yet attached, at most, while a room is built: pending places expire. */
#define BUILD_BATCH 1024
/* A chat line of a usual length (60 characters). */
#define CHAT_LINE "Hello everyone, the stream looks great from here, thank you!"

/* One run of @n operations: the time each measured part took in all, in ns. */
typedef void (*RunFunc) (gpointer  data,
                         guint     n,
                         gint64   *ns);

#define PARTS_MAX 5

typedef struct {
  double median;
  double fastest;
  double slowest;
} Stat;

typedef struct {
  CanopyIdentity *identity;
  CanopyChat *chat;
  CanopyChatMessage *message;  /* signed, as a neighbour sends it */
  char *text;                  /* the same as it travels on the chat channel */
  JsonObject *statement;       /* a signed "attach" */
  char *other;                 /* the statement's other end */
  guint64 seq;
} Small;

typedef struct {
  CanopyIdentity *host_identity;
  CanopyRoom *host;
  CanopyIdentity *viewer_identity;
  CanopyRoom *viewer;          /* takes every map the host publishes */
  GHashTable *members;         /* peer id -> CanopyIdentity of every viewer in the map */
  CanopyIdentity *joiner;      /* joins and leaves again, once per iteration */
  guint64 seq;                 /* every signer's statements grow with it */
} Room;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* Runs @run with a count calibrated on part 0, then RUNS times; sets each part's median, fastest
 * and slowest run in µs per operation. */
static guint
measure (RunFunc   run,
         gpointer  data,
         guint     n_parts,
         Stat     *stats)
{
  gint64 ns[PARTS_MAX];
  double us[PARTS_MAX][RUNS];
  guint n = 1;

  g_assert (n_parts <= PARTS_MAX);
  /* Also the warm-up: caches, allocator, lazily made tables. */
  for (;;) {
    memset (ns, 0, sizeof ns);
    run (data, n, ns);
    if (ns[0] >= CALIBRATE_NS)
      break;
    n *= 2;
  }
  n = (guint) MAX (1.0, (double) n * RUN_NS / ns[0] + 0.5);
  for (guint r = 0; r < RUNS; r++) {
    memset (ns, 0, sizeof ns);
    run (data, n, ns);
    for (guint p = 0; p < n_parts; p++)
      us[p][r] = ns[p] / 1000.0 / n;
  }
  for (guint p = 0; p < n_parts; p++) {
    qsort (us[p], RUNS, sizeof (double), compare_doubles);
    stats[p].median = us[p][RUNS / 2];
    stats[p].fastest = us[p][0];
    stats[p].slowest = us[p][RUNS - 1];
  }
  return n;
}

static void
print_row (const char *what,
           guint       nodes,
           const Stat *stat,
           guint       n,
           const char *extra)
{
  g_autoptr (GString) line = g_string_new (NULL);

  g_string_append_printf (line, "{\"what\":\"%s\"", what);
  if (nodes > 0)
    g_string_append_printf (line, ",\"nodes\":%u", nodes);
  g_string_append_printf (line, ",\"us\":%.2f,\"min\":%.2f,\"max\":%.2f,\"n\":%u,\"runs\":%d",
                          stat->median, stat->fastest, stat->slowest, n, RUNS);
  if (extra != NULL)
    g_string_append_printf (line, ",%s", extra);
  g_string_append (line, "}\n");
  fputs (line->str, stdout);
  fflush (stdout);
}

static void
measure_and_print (const char *what,
                   RunFunc     run,
                   gpointer    data,
                   const char *extra)
{
  Stat stat;
  guint n = measure (run, data, 1, &stat);

  print_row (what, 0, &stat, n, extra);
}

/* --- chat and statements --- */

/* The author's cost: sanitize, number, sign, keep in the history. */
static void
run_chat_sign (gpointer  data,
               guint     n,
               gint64   *ns)
{
  Small *s = data;
  gint64 start = now_ns ();

  for (guint i = 0; i < n; i++) {
    g_autoptr (CanopyChatMessage) message = canopy_chat_compose (s->chat, "Bench", CHAT_LINE,
                                                                 NULL);

    if (message == NULL || message->signature == NULL)
      g_error ("canopy_chat_compose made no signed message");
  }
  ns[0] = now_ns () - start;
}

static void
run_chat_verify (gpointer  data,
                 guint     n,
                 gint64   *ns)
{
  Small *s = data;
  gint64 start = now_ns ();

  for (guint i = 0; i < n; i++) {
    if (!canopy_chat_message_verify (s->message, ROOM))
      g_error ("A signed chat message did not verify");
  }
  ns[0] = now_ns () - start;
}

/* What a relay does with each message that arrives: parse it, read it, check it. */
static void
run_chat_parse_verify (gpointer  data,
                       guint     n,
                       gint64   *ns)
{
  Small *s = data;
  gint64 start = now_ns ();

  for (guint i = 0; i < n; i++) {
    g_autoptr (JsonObject) json = canopy_json_parse_object (s->text, -1, CANOPY_CHAT_BYTES, NULL);
    g_autoptr (CanopyChatMessage) message = NULL;

    if (json != NULL)
      message = canopy_chat_message_new_from_json (json, NULL);
    if (message == NULL || !canopy_chat_message_verify (message, ROOM))
      g_error ("A signed chat message as text did not verify");
  }
  ns[0] = now_ns () - start;
}

static void
run_statement_make (gpointer  data,
                    guint     n,
                    gint64   *ns)
{
  Small *s = data;
  gint64 start = now_ns ();

  for (guint i = 0; i < n; i++) {
    g_autoptr (JsonObject) statement = canopy_statement_make (s->identity, ROOM,
                                                              CANOPY_STATEMENT_ATTACH, s->other,
                                                              ++s->seq);

    if (statement == NULL)
      g_error ("canopy_statement_make made nothing");
  }
  ns[0] = now_ns () - start;
}

static void
run_statement_check (gpointer  data,
                     guint     n,
                     gint64   *ns)
{
  Small *s = data;
  gint64 start = now_ns ();

  for (guint i = 0; i < n; i++) {
    g_autoptr (CanopyStatement) said = canopy_statement_check (s->statement, ROOM, NULL);

    if (said == NULL)
      g_error ("A signed statement did not check");
  }
  ns[0] = now_ns () - start;
}

static void
bench_small (void)
{
  g_autoptr (CanopyIdentity) other = canopy_identity_new ();
  g_autoptr (JsonObject) json = NULL;
  g_autofree char *bytes = NULL;
  Small s = { 0 };

  s.identity = canopy_identity_new ();
  s.chat = canopy_chat_new (canopy_identity_get_id (s.identity), 4096, CANOPY_CHAT_HISTORY);
  canopy_chat_set_signer (s.chat, s.identity, ROOM);
  s.message = canopy_chat_compose (s.chat, "Bench", CHAT_LINE, NULL);
  /* As a relay one hop down gets it. */
  s.message->hops = 1;
  json = canopy_chat_message_to_json (s.message);
  s.text = canopy_json_to_string (json);
  s.other = g_strdup (canopy_identity_get_id (other));
  s.statement = canopy_statement_make (s.identity, ROOM, CANOPY_STATEMENT_ATTACH, s.other, 1);
  s.seq = 1;

  bytes = g_strdup_printf ("\"bytes\":%zu", strlen (s.text));

  measure_and_print ("chat-sign", run_chat_sign, &s, NULL);
  measure_and_print ("chat-verify", run_chat_verify, &s, NULL);
  measure_and_print ("chat-parse-verify", run_chat_parse_verify, &s, bytes);
  measure_and_print ("statement-make", run_statement_make, &s, NULL);
  measure_and_print ("statement-check", run_statement_check, &s, NULL);

  g_clear_pointer (&s.statement, json_object_unref);
  g_clear_pointer (&s.message, canopy_chat_message_free);
  g_clear_object (&s.chat);
  g_clear_object (&s.identity);
  g_free (s.text);
  g_free (s.other);
}

/* --- map changes --- */

/* Both ends of the placed edge @child -> @parent say it stands, as the server passes their
 * statements on (the host's own adoption needs none). Returns whether the ledger changed. */
static gboolean
confirm_edge (Room           *room,
              CanopyIdentity *child,
              const char     *parent)
{
  const char *child_id = canopy_identity_get_id (child);
  CanopyIdentity *parent_identity = g_hash_table_lookup (room->members, parent);
  g_autoptr (JsonObject) attach = NULL;
  g_autoptr (JsonObject) adopt = NULL;

  attach = canopy_statement_make (child, ROOM, CANOPY_STATEMENT_ATTACH, parent, ++room->seq);
  if (canopy_room_attest (room->host, attach, child_id))
    g_error ("The ledger changed on a child's word alone");
  if (parent_identity == NULL)
    return canopy_room_adopt (room->host, child_id);
  adopt = canopy_statement_make (parent_identity, ROOM, CANOPY_STATEMENT_ADOPT, child_id,
                                 ++room->seq);
  return canopy_room_attest (room->host, adopt, parent);
}

static void
viewer_takes (Room       *room,
              JsonObject *message)
{
  gboolean full, need_sync, forged;

  if (!canopy_room_apply_map (room->viewer, message, &full, &need_sync, &forged))
    g_error ("The viewer refused the host's map (need sync %d, forged %d)", need_sync, forged);
}

/* A room of @size nodes (the host and @size - 1 viewers) as joins build it, and a viewer that
 * holds its map. */
static void
room_build (Room *room,
            guint size)
{
  g_autoptr (JsonObject) whole = NULL;
  guint count = 1;
  gboolean full, need_sync, forged;

  room->host_identity = canopy_identity_new ();
  room->host = canopy_room_new (TRUE, room->host_identity, "Host", HOST_K1);
  canopy_room_set_room_id (room->host, ROOM);
  room->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  room->joiner = canopy_identity_new ();

  while (count < size) {
    g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr (GPtrArray) parents = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (JsonObject) message = NULL;

    /* All placed before any is confirmed: a placement counts only what the published map shows
     * and the places still pending. */
    while (count + batch->len < size && batch->len < BUILD_BATCH) {
      g_autoptr (CanopyIdentity) viewer = canopy_identity_new ();
      g_autofree char *name = g_strdup_printf ("viewer %u", count + batch->len);
      char *parent = canopy_room_place (room->host, canopy_identity_get_id (viewer), name,
                                        VIEWER_CAPACITY, HOST_K1, VIEWER_K, NULL);

      if (parent == NULL)
        break;
      g_ptr_array_add (batch, g_steal_pointer (&viewer));
      g_ptr_array_add (parents, parent);
    }
    if (batch->len == 0)
      g_error ("No place for viewer %u", count);
    for (guint i = 0; i < batch->len; i++) {
      CanopyIdentity *viewer = g_ptr_array_index (batch, i);

      g_hash_table_insert (room->members, g_strdup (canopy_identity_get_id (viewer)),
                           g_object_ref (viewer));
      if (!confirm_edge (room, viewer, g_ptr_array_index (parents, i)))
        g_error ("Viewer %u did not enter the map", count + i);
    }
    count += batch->len;
    /* The next batch is placed in the map as published. */
    message = canopy_room_publish (room->host);
  }
  if (canopy_node_map_get_size (canopy_room_get_map (room->host)) != size)
    g_error ("The room has %u nodes, not %u",
             canopy_node_map_get_size (canopy_room_get_map (room->host)), size);

  room->viewer_identity = canopy_identity_new ();
  room->viewer = canopy_room_new (FALSE, room->viewer_identity, "Viewer", 0);
  canopy_room_set_room_id (room->viewer, ROOM);
  canopy_room_set_host (room->viewer, canopy_identity_get_id (room->host_identity));
  whole = canopy_room_full_map_message (room->host);
  if (!canopy_room_apply_map (room->viewer, whole, &full, &need_sync, &forged) || !full)
    g_error ("The viewer refused the whole map");
}

static void
room_clear (Room *room)
{
  g_clear_object (&room->host);
  g_clear_object (&room->viewer);
  g_clear_object (&room->host_identity);
  g_clear_object (&room->viewer_identity);
  g_clear_object (&room->joiner);
  g_clear_pointer (&room->members, g_hash_table_unref);
}

/* One join into the room at the host, timed: place, both ends' statements checked (their
 * signing is the peers' cost, not timed), the new map published (diff, digest, signature).
 * Then at the viewer, timed: the ops applied on a copy, digested and verified. The joiner then
 * leaves again (not timed), so that every change is made on a room of the same size.
 * Parts: 0 the host's whole cost, 1 the viewer's, 2-4 the host's place, statements, publish. */
static void
run_map_change (gpointer  data,
                guint     n,
                gint64   *ns)
{
  Room *room = data;
  const char *joiner = canopy_identity_get_id (room->joiner);

  for (guint i = 0; i < n; i++) {
    g_autoptr (JsonObject) join = NULL;
    g_autoptr (JsonObject) leave = NULL;
    g_autofree char *parent = NULL;
    gint64 t0, t1, t2, t3, t4;
    gboolean changed;

    t0 = now_ns ();
    parent = canopy_room_place (room->host, joiner, "Joiner", VIEWER_CAPACITY, HOST_K1, VIEWER_K,
                                NULL);
    t1 = now_ns ();
    if (parent == NULL)
      g_error ("No place for the joiner");
    /* The ends sign their statements (their cost, not the host's: not timed). */
    {
      CanopyIdentity *parent_identity = g_hash_table_lookup (room->members, parent);
      g_autoptr (JsonObject) attach = canopy_statement_make (room->joiner, ROOM,
                                                             CANOPY_STATEMENT_ATTACH, parent,
                                                             ++room->seq);
      g_autoptr (JsonObject) adopt = NULL;

      if (parent_identity != NULL)
        adopt = canopy_statement_make (parent_identity, ROOM, CANOPY_STATEMENT_ADOPT, joiner,
                                       ++room->seq);
      t2 = now_ns ();
      if (canopy_room_attest (room->host, attach, joiner))
        g_error ("The ledger changed on a child's word alone");
      changed = adopt != NULL ? canopy_room_attest (room->host, adopt, parent)
                              : canopy_room_adopt (room->host, joiner);
    }
    t3 = now_ns ();
    join = canopy_room_publish (room->host);
    t4 = now_ns ();
    if (!changed || join == NULL)
      g_error ("The join did not change the map");
    ns[0] += (t1 - t0) + (t4 - t2);
    ns[2] += t1 - t0;
    ns[3] += t3 - t2;
    ns[4] += t4 - t3;

    t0 = now_ns ();
    viewer_takes (room, join);
    ns[1] += now_ns () - t0;

    if (!canopy_room_depart (room->host, joiner))
      g_error ("The joiner's departure changed nothing");
    leave = canopy_room_publish (room->host);
    viewer_takes (room, leave);
  }
}

static void
bench_map (guint size)
{
  Room room = { 0 };
  Stat stats[5];
  g_autofree char *host_extra = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;
  guint n;

  room_build (&room, size);
  n = measure (run_map_change, &room, G_N_ELEMENTS (stats), stats);
  ours = canopy_node_map_digest (canopy_room_get_map (room.host));
  theirs = canopy_node_map_digest (canopy_room_get_map (room.viewer));
  if (g_strcmp0 (ours, theirs) != 0)
    g_error ("The viewer's map is not the host's after the runs");

  host_extra = g_strdup_printf ("\"k1\":%d,\"capacity\":%d,\"height\":%u,\"place\":%.2f,"
                                "\"statements\":%.2f,\"publish\":%.2f",
                                HOST_K1, VIEWER_CAPACITY,
                                canopy_node_map_get_height (canopy_room_get_map (room.host)),
                                stats[2].median, stats[3].median, stats[4].median);
  print_row ("map-host-join", size, &stats[0], n, host_extra);
  print_row ("map-viewer-apply", size, &stats[1], n, NULL);
  room_clear (&room);
}

int
main (int    argc,
      char **argv)
{
  static const guint sizes[] = { 10, 100, 1000, 10000 };

  if (argc > 1) {
    fprintf (stderr, "usage: %s\n(no options: prints one JSON object per measurement)\n",
             argv[0]);
    return 2;
  }
  bench_small ();
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    bench_map (sizes[i]);
  return 0;
}
