/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CanopyRoom: the host as the only writer of the map (its placements, both ends' signed edge
 * statements, departures; subtrees that wait out of the map and come back whole), and viewers
 * that take a map only when it is the one the host signed.
 */
#include "canopy-json.h"
#include "canopy-room.h"
#include "canopy-statement.h"

#define ROOM "k7m2q9xa"

typedef struct {
  CanopyIdentity *host_id;
  CanopyRoom *host;
  CanopyIdentity *viewer_id;
  CanopyRoom *viewer;          /* a viewer that gets every map the host publishes */
  CanopyIdentity *peers[6];    /* A..F */
  guint64 seq;
  guint k1;                    /* the host's children */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->k1 = 2;
  f->host_id = canopy_identity_new ();
  f->host = canopy_room_new (TRUE, f->host_id, "H", 2);
  canopy_room_set_room_id (f->host, ROOM);
  for (guint i = 0; i < G_N_ELEMENTS (f->peers); i++)
    f->peers[i] = canopy_identity_new ();
  f->viewer_id = canopy_identity_new ();
  f->viewer = canopy_room_new (FALSE, f->viewer_id, "V", 0);
  canopy_room_set_room_id (f->viewer, ROOM);
  canopy_room_set_host (f->viewer, canopy_identity_get_id (f->host_id));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->host);
  g_clear_object (&f->viewer);
  g_clear_object (&f->host_id);
  g_clear_object (&f->viewer_id);
  for (guint i = 0; i < G_N_ELEMENTS (f->peers); i++)
    g_clear_object (&f->peers[i]);
}

static const char *
id_of (Fixture *f,
       char     letter)
{
  if (letter == 'H')
    return canopy_identity_get_id (f->host_id);
  return canopy_identity_get_id (f->peers[letter - 'A']);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* The map as "child<parent" by name, sorted: "A<H B<A". */
static char *
edges (CanopyNodeMap *map)
{
  g_autoptr (GPtrArray) ids = canopy_node_map_get_ids (map);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    const char *parent = canopy_node_map_get_parent (map, id);

    if (parent != NULL)
      g_ptr_array_add (lines, g_strdup_printf ("%s<%s", canopy_node_map_get_name (map, id),
                                               canopy_node_map_get_name (map, parent)));
  }
  g_ptr_array_sort (lines, compare_strings);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "", (char *) g_ptr_array_index (lines, i));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Publishes what changed and hands it to the viewer, which must take it. */
static void
publish (Fixture *f)
{
  g_autoptr (JsonObject) message = canopy_room_publish (f->host);
  gboolean full, need_sync, forged;
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;

  if (!canopy_room_has_map (f->viewer)) {
    g_autoptr (JsonObject) whole = canopy_room_full_map_message (f->host);

    g_assert_true (canopy_room_apply_map (f->viewer, whole, &full, &need_sync, &forged));
    g_assert_true (full);
    return;
  }
  if (message == NULL)
    return;
  g_assert_true (canopy_room_apply_map (f->viewer, message, &full, &need_sync, &forged));
  g_assert_false (forged);
  ours = canopy_node_map_digest (canopy_room_get_map (f->host));
  theirs = canopy_node_map_digest (canopy_room_get_map (f->viewer));
  g_assert_cmpstr (ours, ==, theirs);
}

static void
assert_map (Fixture    *f,
            const char *expected)
{
  g_autofree char *text = NULL;

  publish (f);
  text = edges (canopy_room_get_map (f->host));
  g_assert_cmpstr (text, ==, expected);
  g_free (text);
  text = edges (canopy_room_get_map (f->viewer));
  g_assert_cmpstr (text, ==, expected);
}

/* @who says @kind about @other; the server passes it on from @from. */
static gboolean
say_from (Fixture    *f,
          char        who,
          const char *kind,
          char        other,
          char        from)
{
  g_autoptr (JsonObject) statement = canopy_statement_make (f->peers[who - 'A'], ROOM, kind,
                                                            id_of (f, other), ++f->seq);

  return canopy_room_attest (f->host, statement, id_of (f, from));
}

static gboolean
say (Fixture    *f,
     char        who,
     const char *kind,
     char        other)
{
  return say_from (f, who, kind, other, who);
}

/* The host places @child (it must land under @parent), and both ends confirm. */
static void
join (Fixture *f,
      char     child,
      char     parent)
{
  char name[2] = { child, '\0' };
  g_autofree char *placed = canopy_room_place (f->host, id_of (f, child), name, 2, f->k1, 2,
                                                NULL);

  g_test_message ("%c joins: placed under %s", child, placed);
  g_assert_cmpstr (placed, ==, id_of (f, parent));
  g_assert_false (say (f, child, CANOPY_STATEMENT_ATTACH, parent));
  if (parent == 'H')
    g_assert_true (canopy_room_adopt (f->host, id_of (f, child)));
  else
    g_assert_true (say (f, parent, CANOPY_STATEMENT_ADOPT, child));
  /* As the node does after every change. */
  publish (f);
}

static void
test_both_ends (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *placed = NULL;

  assert_map (f, "");
  /* Placed: not in the map until both ends say so. */
  placed = canopy_room_place (f->host, id_of (f, 'A'), "A", 2, 2, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'H'));
  g_assert_true (canopy_room_has_pending (f->host));
  g_assert_false (say (f, 'A', CANOPY_STATEMENT_ATTACH, 'H'));
  assert_map (f, "");
  g_assert_true (canopy_room_adopt (f->host, id_of (f, 'A')));
  assert_map (f, "A<H");
  g_assert_false (canopy_room_has_pending (f->host));

  /* The parent first this time. */
  g_free (placed);
  placed = canopy_room_place (f->host, id_of (f, 'B'), "B", 2, 2, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'H'));
  g_free (placed);
  placed = canopy_room_place (f->host, id_of (f, 'C'), "C", 2, 2, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'A'));
  g_assert_false (say (f, 'A', CANOPY_STATEMENT_ADOPT, 'C'));
  g_assert_true (say (f, 'C', CANOPY_STATEMENT_ATTACH, 'A'));
  g_assert_true (canopy_room_adopt (f->host, id_of (f, 'B')) == FALSE);
  g_assert_true (say (f, 'B', CANOPY_STATEMENT_ATTACH, 'H'));
  assert_map (f, "A<H B<H C<A");
}

static void
test_lies (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr (JsonObject) statement = NULL;
  g_autoptr (CanopyIdentity) stranger = canopy_identity_new ();
  g_autofree char *placed = NULL;

  join (f, 'A', 'H');
  join (f, 'B', 'H');
  assert_map (f, "A<H B<H");

  /* A relay adopting children nobody placed, or someone else's child. */
  for (guint i = 0; i < 100; i++) {
    g_autoptr (CanopyIdentity) invented = canopy_identity_new ();
    g_autoptr (JsonObject) adopt = canopy_statement_make (f->peers[0], ROOM, CANOPY_STATEMENT_ADOPT,
                                                          canopy_identity_get_id (invented),
                                                          ++f->seq);
    g_autoptr (JsonObject) attach = canopy_statement_make (invented, ROOM, CANOPY_STATEMENT_ATTACH,
                                                           id_of (f, 'A'), ++f->seq);

    g_assert_false (canopy_room_attest (f->host, adopt, id_of (f, 'A')));
    /* The server passes a statement on only from its signer; even so, unplaced is nothing. */
    g_assert_false (canopy_room_attest (f->host, attach, canopy_identity_get_id (invented)));
  }
  g_assert_false (say (f, 'A', CANOPY_STATEMENT_ADOPT, 'B'));
  g_assert_false (say (f, 'B', CANOPY_STATEMENT_ATTACH, 'A'));
  /* Dropping a child that is someone else's. */
  g_assert_false (say (f, 'A', CANOPY_STATEMENT_DROP, 'B'));
  assert_map (f, "A<H B<H");

  /* Placed under A, but only B says A adopted it: a statement passed on from another peer. */
  placed = canopy_room_place (f->host, id_of (f, 'C'), "C", 2, 2, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'A'));
  g_assert_false (say (f, 'C', CANOPY_STATEMENT_ATTACH, 'A'));
  g_assert_false (say_from (f, 'A', CANOPY_STATEMENT_ADOPT, 'C', 'B'));
  assert_map (f, "A<H B<H");
  /* Signed by a stranger claiming to be A. */
  statement = canopy_statement_make (stranger, ROOM, CANOPY_STATEMENT_ADOPT, id_of (f, 'C'), ++f->seq);
  json_object_set_string_member (statement, "peer", id_of (f, 'A'));
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  /* A's own, for another room; then replayed with an old seq; then altered. */
  statement = canopy_statement_make (f->peers[0], "22222222", CANOPY_STATEMENT_ADOPT,
                                     id_of (f, 'C'), ++f->seq);
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  statement = canopy_statement_make (f->peers[0], ROOM, CANOPY_STATEMENT_ADOPT, id_of (f, 'C'), 1);
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  statement = canopy_statement_make (f->peers[0], ROOM, CANOPY_STATEMENT_ADOPT, id_of (f, 'D'),
                                     ++f->seq);
  json_object_set_string_member (statement, "other", id_of (f, 'C'));
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  assert_map (f, "A<H B<H");
  /* The real one. */
  g_assert_true (say (f, 'A', CANOPY_STATEMENT_ADOPT, 'C'));
  assert_map (f, "A<H B<H C<A");
}

/* H (one child) -> A -> B -> C. A dies: B keeps C, out of the map, and brings it back when it
 * attaches under H. Then H drops B: B and its subtree are out until B is placed again. */
static void
test_subtrees_move_whole (Fixture       *f,
                          gconstpointer  data)
{
  f->k1 = 1;
  join (f, 'A', 'H');
  join (f, 'B', 'A');
  join (f, 'E', 'A');
  join (f, 'C', 'B');
  assert_map (f, "A<H B<A C<B E<A");

  g_assert_true (canopy_room_depart (f->host, id_of (f, 'A')));
  assert_map (f, "");
  join (f, 'B', 'H');
  assert_map (f, "B<H C<B");
  join (f, 'E', 'B');
  assert_map (f, "B<H C<B E<B");

  g_assert_true (canopy_room_drop (f->host, id_of (f, 'B')));
  assert_map (f, "");
  join (f, 'B', 'H');
  assert_map (f, "B<H C<B E<B");

  /* C moves under E without anybody dropping it first. */
  join (f, 'C', 'E');
  assert_map (f, "B<H C<E E<B");
  /* B's late drop of C changes nothing. */
  g_assert_false (say (f, 'B', CANOPY_STATEMENT_DROP, 'C'));
  assert_map (f, "B<H C<E E<B");
}

/* A reported node gets no newcomer while another place is free, and one when it is the only
 * place left (a room is not "full" because a busy moment made its relays look silent). */
static void
test_avoided_last (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *placed = NULL;
  const char *avoid[] = { NULL, NULL };

  join (f, 'A', 'H');
  join (f, 'B', 'H');
  assert_map (f, "A<H B<H");
  canopy_room_avoid (f->host, id_of (f, 'A'), TRUE);
  /* A comes first among the free places, but it was reported. */
  join (f, 'C', 'B');
  join (f, 'D', 'B');
  assert_map (f, "A<H B<H C<B D<B");
  /* Every place left is under a reported node: the first of them rather than none. */
  canopy_room_avoid (f->host, id_of (f, 'B'), TRUE);
  placed = canopy_room_place (f->host, id_of (f, 'E'), "E", 2, f->k1, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'A'));
  g_clear_pointer (&placed, g_free);
  /* What the joiner itself refuses stays refused. */
  avoid[0] = id_of (f, 'A');
  placed = canopy_room_place (f->host, id_of (f, 'E'), "E", 2, f->k1, 2, avoid);
  g_assert_cmpstr (placed, ==, id_of (f, 'C'));
}

/* A viewer takes only what the host signed: a relay cannot add, remove or rename anything. */
static void
test_forged_maps (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (JsonObject) whole = NULL;
  g_autoptr (CanopyIdentity) relay = canopy_identity_new ();
  g_autofree char *before = NULL;
  gboolean full, need_sync, forged;
  JsonObject *nodes;

  join (f, 'A', 'H');
  assert_map (f, "A<H");
  before = edges (canopy_room_get_map (f->viewer));

  /* The whole map with a name changed, then with a node added, the signature kept. */
  whole = canopy_room_full_map_message (f->host);
  nodes = json_object_get_object_member (whole, "nodesMap");
  json_object_set_string_member (nodes, "name", "Not the host");
  g_assert_false (canopy_room_apply_map (f->viewer, whole, &full, &need_sync, &forged));
  g_assert_true (forged);
  g_clear_pointer (&whole, json_object_unref);
  whole = canopy_room_full_map_message (f->host);
  json_object_set_int_member (whole, "version", 99);
  g_assert_false (canopy_room_apply_map (f->viewer, whole, &full, &need_sync, &forged));
  g_assert_true (forged);

  /* Ops signed by the relay's key, not the host's. */
  {
    g_autoptr (JsonObject) ops = json_object_new ();
    g_autoptr (CanopyNodeMap) next = canopy_node_map_copy (canopy_room_get_map (f->viewer));
    g_autofree char *digest = NULL;
    JsonArray *list = json_array_new ();
    JsonObject *add = json_object_new ();
    JsonObject *node = json_object_new ();
    guint64 version = canopy_node_map_get_version (next) + 1;

    json_object_set_string_member (node, "id", "pinvented");
    json_object_set_string_member (node, "name", "Invented");
    json_object_set_int_member (node, "capacity", 2);
    json_object_set_array_member (node, "childNodes", json_array_new ());
    json_object_set_string_member (add, "op", "add");
    json_object_set_string_member (add, "parent", id_of (f, 'A'));
    json_object_set_object_member (add, "node", node);
    json_array_add_object_element (list, add);
    json_object_set_string_member (ops, "type", "map");
    json_object_set_int_member (ops, "version", (gint64) version);
    json_object_set_array_member (ops, "ops", list);
    g_assert_true (canopy_node_map_apply (next, json_object_get_array_member (ops, "ops"), 100, NULL));
    digest = canopy_node_map_digest (next);
    canopy_host_sign (ops, relay, CANOPY_DOMAIN_MAP, ROOM, version, digest);
    g_assert_false (canopy_room_apply_map (f->viewer, ops, &full, &need_sync, &forged));
    g_assert_true (forged);
  }
  {
    g_autofree char *after = edges (canopy_room_get_map (f->viewer));

    g_assert_cmpstr (after, ==, before);
  }
  /* Still in step with the host: the next real change applies (after a whole map). */
  join (f, 'B', 'H');
  if (!canopy_room_has_map (f->viewer)) {
    g_autoptr (JsonObject) again = canopy_room_full_map_message (f->host);

    g_assert_true (canopy_room_apply_map (f->viewer, again, &full, &need_sync, &forged));
  }
  assert_map (f, "A<H B<H");
}

/* @who says its upload sustains @capacity children; the server passes it on from @from. */
static gboolean
say_capacity (Fixture *f,
              char     who,
              gint64   capacity,
              char     from)
{
  g_autoptr (JsonObject) statement = canopy_statement_make_capacity (f->peers[who - 'A'], ROOM,
                                                                     MIN (capacity, 32), ++f->seq);

  /* Out of range: what a hostile relay could send, signed or not. */
  if (capacity > 32)
    json_object_set_int_member (statement, "capacity", capacity);
  return canopy_room_attest (f->host, statement, id_of (f, from));
}

static guint
capacity_of (Fixture *f,
             char     who)
{
  publish (f);
  g_assert_cmpuint (canopy_node_map_get_capacity (canopy_room_get_map (f->viewer), id_of (f, who)),
                    ==, canopy_node_map_get_capacity (canopy_room_get_map (f->host), id_of (f, who)));
  return canopy_node_map_get_capacity (canopy_room_get_map (f->host), id_of (f, who));
}

/* A relay's measured capacity: its own signed word lowers its capacity in the map (placement
 * follows), never above what it declared at join, once a second at most; nobody else's word
 * counts. */
static void
test_measured_capacity (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (JsonObject) statement = NULL;
  g_autoptr (CanopyIdentity) stranger = canopy_identity_new ();
  g_autofree char *placed = NULL;

  join (f, 'A', 'H');
  join (f, 'B', 'H');
  join (f, 'C', 'A');
  assert_map (f, "A<H B<H C<A");
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 2);

  /* Lies first: more than A declared, out of range, in A's name from B, signed by a stranger,
   * for another room, altered after signing, about another node (an edge statement's other). */
  g_assert_false (say_capacity (f, 'A', 3, 'A'));
  g_assert_false (say_capacity (f, 'A', 33, 'A'));
  g_assert_false (say_capacity (f, 'A', 0, 'B'));
  statement = canopy_statement_make_capacity (stranger, ROOM, 0, ++f->seq);
  json_object_set_string_member (statement, "peer", id_of (f, 'A'));
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  statement = canopy_statement_make_capacity (f->peers[0], "22222222", 0, ++f->seq);
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  statement = canopy_statement_make_capacity (f->peers[0], ROOM, 1, ++f->seq);
  json_object_set_int_member (statement, "capacity", 0);
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  statement = canopy_statement_make_capacity (f->peers[0], ROOM, 1, ++f->seq);
  json_object_remove_member (statement, "capacity");
  json_object_set_string_member (statement, "other", id_of (f, 'B'));
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_clear_pointer (&statement, json_object_unref);
  /* Nobody but a member that joined speaks of its capacity. */
  statement = canopy_statement_make_capacity (stranger, ROOM, 0, ++f->seq);
  g_assert_false (canopy_room_attest (f->host, statement, canopy_identity_get_id (stranger)));
  g_clear_pointer (&statement, json_object_unref);
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 2);
  g_assert_cmpuint (capacity_of (f, 'B'), ==, 2);

  /* A's own word: one child. The map shows it, and the next joiner goes under B. */
  g_assert_true (say_capacity (f, 'A', 1, 'A'));
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 1);
  placed = canopy_room_place (f->host, id_of (f, 'D'), "D", 2, f->k1, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'B'));
  g_clear_pointer (&placed, g_free);
  /* Again within the second: not counted. */
  g_assert_false (say_capacity (f, 'A', 0, 'A'));
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 1);
  /* A replay of an old statement counts for nothing either. */
  statement = canopy_statement_make_capacity (f->peers[0], ROOM, 0, 1);
  g_usleep (1100 * 1000);
  g_assert_false (canopy_room_attest (f->host, statement, id_of (f, 'A')));
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 1);

  /* Up again, to what it declared but no further. */
  g_usleep (1100 * 1000);
  g_assert_true (say_capacity (f, 'A', 2, 'A'));
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 2);
  g_usleep (1100 * 1000);
  g_assert_false (say_capacity (f, 'A', 3, 'A'));
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 2);

  /* Down to none; moving (placed elsewhere, confirmed) keeps what it measured. */
  g_assert_true (say_capacity (f, 'A', 0, 'A'));
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 0);
  placed = canopy_room_place (f->host, id_of (f, 'A'), "A", 2, f->k1, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'B'));
  g_assert_false (say (f, 'A', CANOPY_STATEMENT_ATTACH, 'B'));
  g_assert_true (say (f, 'B', CANOPY_STATEMENT_ADOPT, 'A'));
  assert_map (f, "A<B B<H C<A");
  g_assert_cmpuint (capacity_of (f, 'A'), ==, 0);
}

/* The host's own measured upload: no statement, its capacity (k1) in the map it signs; the
 * child it sheds is placed below, whatever k1 the node passes, until it rises again. */
static void
test_host_capacity (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *placed = NULL;

  join (f, 'A', 'H');
  join (f, 'B', 'H');
  g_assert_cmpuint (capacity_of (f, 'H'), ==, 2);
  g_assert_false (canopy_room_set_own_capacity (f->host, 2));

  g_assert_true (canopy_room_set_own_capacity (f->host, 1));
  g_assert_cmpuint (capacity_of (f, 'H'), ==, 1);
  /* The host sheds B, its newest; B asks again and goes under A. */
  g_assert_true (canopy_room_drop (f->host, id_of (f, 'B')));
  publish (f);
  placed = canopy_room_place (f->host, id_of (f, 'B'), "B", 2, f->k1, 2, NULL);
  g_assert_cmpstr (placed, ==, id_of (f, 'A'));
  g_clear_pointer (&placed, g_free);
  g_assert_false (say (f, 'B', CANOPY_STATEMENT_ATTACH, 'A'));
  g_assert_true (say (f, 'A', CANOPY_STATEMENT_ADOPT, 'B'));
  assert_map (f, "A<H B<A");
  g_assert_cmpuint (capacity_of (f, 'H'), ==, 1);

  /* Up again: the next joiner is the host's. */
  g_assert_true (canopy_room_set_own_capacity (f->host, 2));
  g_assert_cmpuint (capacity_of (f, 'H'), ==, 2);
  join (f, 'C', 'H');
  assert_map (f, "A<H B<A C<H");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/room/both-ends", Fixture, NULL, fixture_set_up, test_both_ends, fixture_tear_down);
  g_test_add ("/room/measured-capacity", Fixture, NULL, fixture_set_up, test_measured_capacity,
              fixture_tear_down);
  g_test_add ("/room/host-capacity", Fixture, NULL, fixture_set_up, test_host_capacity,
              fixture_tear_down);
  g_test_add ("/room/lies", Fixture, NULL, fixture_set_up, test_lies, fixture_tear_down);
  g_test_add ("/room/subtrees-move-whole", Fixture, NULL, fixture_set_up,
              test_subtrees_move_whole, fixture_tear_down);
  g_test_add ("/room/forged-maps", Fixture, NULL, fixture_set_up, test_forged_maps,
              fixture_tear_down);
  g_test_add ("/room/avoided-last", Fixture, NULL, fixture_set_up, test_avoided_last,
              fixture_tear_down);
  return g_test_run ();
}
