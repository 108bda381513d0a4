/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The tree's `ctrl` channel and the host's map. CanopyLink parses ctrl (canopy-link.c:
 * handle_ctrl(), handle_pong()), but those are static and a CanopyLink needs a CanopyEdge, that
 * is a webrtcbin: they are not reached here. What they call is: this harness dispatches each
 * line as handle_ctrl() does, with the same limits and member checks, and hands it to the same
 * GStreamer-free code:
 *
 *  - `p` first on the line: a message from the parent: `map` goes to canopy_room_apply_map() of
 *    a viewer's CanopyRoom; `pong` and `bye` have their members read;
 *  - `s` first: an edge statement as the server passes it on (`{"from": ..., "statement": ...}`)
 *    goes to the host's canopy_room_attest();
 *  - `o` first: the rest is a script of events the host's ledger lives through, 3 bytes each
 *    (what, a, b; peers by number, 0 the host, signed by their real keys): a placed, a says it
 *    attached to b, b says it adopted a, b drops a, a leaves the server. After each, the host
 *    publishes, and a second viewer, in step from the start, must take the map and hold exactly
 *    the host's (its digest and shape).
 */

#include "canopy-room.h"
#include "canopy-json.h"
#include "canopy-statement.h"
#include "canopy-test-node-map.h"
#include "canopy-fuzz.h"

#include <string.h>

#define ROOM "k7m2q9xa"
#define N_PEERS 9              /* the host and 8 */

static CanopyIdentity *peers[N_PEERS];

static void
make_peers (void)
{
  for (guint i = 0; i < N_PEERS; i++)
    if (peers[i] == NULL)
      peers[i] = canopy_identity_new ();
}

static const char *
id_of (guint i)
{
  return canopy_identity_get_id (peers[i % N_PEERS]);
}

/* @message as the next node gets it: as text, parsed with the ctrl channel's limit. */
static JsonObject *
send_ctrl (JsonObject *message)
{
  g_autofree char *text = canopy_json_to_string (message);
  g_autoptr (GError) error = NULL;
  JsonObject *received = canopy_json_parse_object (text, -1, CANOPY_CTRL_BYTES, &error);

  if (received == NULL)
    g_error ("A ctrl message we send does not parse: %s", error->message);
  return received;
}

static void
check_room (CanopyRoom *room)
{
  CanopyNodeMap *map = canopy_room_get_map (room);

  if (map == NULL)
    return;
  canopy_test_map_assert_consistent (map);
  canopy_room_get_depth (room);
  canopy_room_get_map_parent (room);
  canopy_room_is_ancestor (room, id_of (0));
  canopy_room_in_own_subtree (room, id_of (1));
}

/* The host publishes; the viewer that follows it must take it and agree. */
static void
publish (CanopyRoom *host,
         CanopyRoom *follower)
{
  g_autoptr (JsonObject) published = canopy_room_publish (host);
  g_autoptr (JsonObject) received = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;
  gboolean full = FALSE, need_sync = FALSE, forged = FALSE;

  if (published == NULL)
    return;
  received = send_ctrl (published);
  if (!canopy_room_apply_map (follower, received, &full, &need_sync, &forged))
    g_error ("A map the host publishes is refused");
  canopy_test_map_assert_consistent (canopy_room_get_map (host));
  canopy_test_map_assert_equal (canopy_room_get_map (follower), canopy_room_get_map (host));
  ours = canopy_node_map_digest (canopy_room_get_map (host));
  theirs = canopy_node_map_digest (canopy_room_get_map (follower));
  g_assert (g_str_equal (ours, theirs));
}

static void
state (CanopyRoom *host,
       guint       signer,
       const char *kind,
       guint       other,
       guint64    *seq)
{
  g_autoptr (JsonObject) statement = NULL;

  if (signer % N_PEERS == 0) {
    if (g_str_equal (kind, CANOPY_STATEMENT_ADOPT))
      canopy_room_adopt (host, id_of (other));
    else if (g_str_equal (kind, CANOPY_STATEMENT_DROP))
      canopy_room_drop (host, id_of (other));
    return;
  }
  if (signer % N_PEERS == other % N_PEERS)
    return;
  statement = canopy_statement_make (peers[signer % N_PEERS], ROOM, kind, id_of (other), ++*seq);
  canopy_room_attest (host, statement, id_of (signer));
}

static void
run_script (CanopyRoom  *host,
            CanopyRoom  *follower,
            const char  *script,
            gsize        len,
            guint64     *seq)
{
  for (gsize i = 0; i + 3 <= len; i += 3) {
    guint what = (guint8) script[i] % 5;
    guint a = (guint8) script[i + 1] % N_PEERS;
    guint b = (guint8) script[i + 2] % N_PEERS;

    switch (what) {
    case 0: {
      g_autofree char *parent = NULL;
      g_autofree char *name = g_strdup_printf ("n%u", a);

      if (a != 0)
        parent = canopy_room_place (host, id_of (a), name, b % 3, 2, 2, NULL);
      break;
    }
    case 1:
      if (a != 0)
        state (host, a, CANOPY_STATEMENT_ATTACH, b, seq);
      break;
    case 2:
      state (host, b, CANOPY_STATEMENT_ADOPT, a, seq);
      break;
    case 3:
      state (host, b, CANOPY_STATEMENT_DROP, a, seq);
      break;
    default:
      canopy_room_depart (host, id_of (a));
      break;
    }
    publish (host, follower);
  }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (CanopyRoom) viewer = NULL;
  g_autoptr (CanopyRoom) host = NULL;
  g_autoptr (CanopyRoom) follower = NULL;
  g_autoptr (CanopyIdentity) viewer_id = canopy_identity_new ();
  g_autoptr (CanopyIdentity) follower_id = canopy_identity_new ();
  g_autoptr (JsonObject) first_map = NULL;
  gboolean full = FALSE, need_sync = FALSE, forged = FALSE;
  guint64 seq = 0;
  const char *line;
  gsize len;

  make_peers ();
  host = canopy_room_new (TRUE, peers[0], "Host", 2);
  canopy_room_set_room_id (host, ROOM);
  viewer = canopy_room_new (FALSE, viewer_id, "Viewer", 2);
  follower = canopy_room_new (FALSE, follower_id, "Follower", 2);
  canopy_room_set_room_id (viewer, ROOM);
  canopy_room_set_room_id (follower, ROOM);
  canopy_room_set_host (viewer, id_of (0));
  canopy_room_set_host (follower, id_of (0));
  first_map = canopy_room_full_map_message (host);
  g_assert (canopy_room_apply_map (follower, first_map, &full, &need_sync, &forged) && full);

  for (guint n = 0;
       n < CANOPY_FUZZ_MAX_MESSAGES && canopy_fuzz_next_line (&data, &size, &line, &len); n++) {
    char kind = len > 0 ? line[0] : '\0';
    g_autofree char *text = len > 0 ? canopy_fuzz_copy (line + 1, len - 1) : NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) message = NULL;
    const char *type = NULL;

    if (kind == 'o') {
      run_script (host, follower, text, len - 1, &seq);
      continue;
    }
    if (len == 0)
      continue;
    message = canopy_json_parse_object (text, (gssize) len - 1, CANOPY_CTRL_BYTES, &error);
    if (message == NULL)
      continue;
    if (kind == 's') {
      const char *from = NULL;
      JsonObject *statement = NULL;

      if (canopy_json_get_string (message, "from", CANOPY_PEER_ID_CHARS, TRUE, &from, NULL) &&
          canopy_json_get_object (message, "statement", TRUE, &statement, NULL) &&
          canopy_room_attest (host, statement, from))
        publish (host, follower);
      continue;
    }
    if (kind != 'p' || (type = canopy_json_get_type (message, &error)) == NULL)
      continue;
    if (g_str_equal (type, "pong")) {
      gint64 t = 0;
      gint64 rx = 0;

      canopy_json_get_int (message, "t", 0, g_get_monotonic_time (), TRUE, &t, NULL);
      canopy_json_get_int (message, "rx", 0, G_MAXINT64, FALSE, &rx, NULL);
    } else if (g_str_equal (type, "bye")) {
      const char *reason = NULL;

      canopy_json_get_string (message, "reason", CANOPY_TYPE_CHARS, FALSE, &reason, NULL);
    } else if (g_str_equal (type, "map")) {
      if (canopy_room_apply_map (viewer, message, &full, &need_sync, &forged))
        g_assert (!need_sync && !forged);
      check_room (viewer);
    }
  }
  return 0;
}
