/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The tree's `ctrl` channel. CanopyLink parses it (canopy-link.c: handle_ctrl(),
 * handle_subtree(), handle_pong()), but those are static and a CanopyLink needs a CanopyEdge,
 * that is a webrtcbin: they are not reached here. What they call is: this harness dispatches
 * each message as handle_ctrl() does, with the same limits and member checks, and hands it to
 * the same GStreamer-free code:
 *
 *  - from the parent (`p` first on the line): `map` goes to canopy_room_apply_map() of a
 *    viewer's CanopyRoom; `pong` and `bye` have their members read;
 *  - from a child (`c` first): `subtree` is checked as handle_subtree() does (its `seq`, `full`
 *    read by canopy_node_map_new_from_json() with the sender as root, `ops` applied in
 *    sequence).
 *
 * What we accept we pass on, and the next node must accept it too: every change of the child's
 * subtree is composed as canopy_room_compose() does into a viewer's subtree, reported up with
 * canopy_room_report() to a parent that checks it the same way, and into a host's map, published
 * with canopy_room_publish() to a second viewer's canopy_room_apply_map(). */

#include "canopy-room.h"
#include "canopy-json.h"
#include "canopy-test-node-map.h"
#include "canopy-fuzz.h"

#include <string.h>

#define CHILD_ID "pc"
#define VIEWER_ID "pv"
#define HOST_ID "ph"

/* What a CanopyLink to a child keeps of the child's reports. */
typedef struct {
  const char *peer_id;
  CanopyNodeMap *subtree;
  guint64 seq;
} ChildLink;

static void
child_link_clear (ChildLink *link)
{
  g_clear_object (&link->subtree);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ChildLink, child_link_clear)

/* handle_subtree() of canopy-link.c, the same checks in the same order. */
static gboolean
handle_subtree (ChildLink  *link,
                JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  JsonObject *full = NULL;
  JsonArray *ops = NULL;
  gint64 seq = 0;

  if (!canopy_json_get_int (message, "seq", 1, G_MAXINT64, TRUE, &seq, &error) ||
      !canopy_json_get_object (message, "full", FALSE, &full, &error) ||
      !canopy_json_get_array (message, "ops", CANOPY_MAP_OPS_MAX, FALSE, &ops, &error))
    return FALSE;
  if (full != NULL) {
    g_autoptr (CanopyNodeMap) map = canopy_node_map_new_from_json (full, CANOPY_TREE_NODES_MAX,
                                                                   &error);

    if (map == NULL || g_strcmp0 (canopy_node_map_get_root (map), link->peer_id) != 0)
      return FALSE;
    g_set_object (&link->subtree, map);
  } else if (ops != NULL) {
    if (link->subtree == NULL || (guint64) seq != link->seq + 1)
      return FALSE;
    if (!canopy_node_map_apply (link->subtree, ops, CANOPY_TREE_NODES_MAX, &error))
      return FALSE;
  } else {
    return FALSE;
  }
  link->seq = (guint64) seq;
  canopy_test_map_assert_consistent (link->subtree);
  return TRUE;
}

/* canopy_room_compose() with one child link. */
static CanopyNodeMap *
compose (const char *id,
         ChildLink  *child)
{
  CanopyNodeMap *map = canopy_node_map_new (id, id, 4);
  g_autoptr (JsonObject) json = NULL;

  if (child->subtree == NULL)
    return map;
  json = canopy_node_map_to_json (child->subtree, NULL);
  if (!canopy_node_map_graft (map, id, json, CANOPY_TREE_NODES_MAX, NULL) &&
      !canopy_node_map_contains (map, child->peer_id))
    canopy_node_map_add (map, id, child->peer_id, child->peer_id, 2, NULL);
  canopy_test_map_assert_consistent (map);
  return map;
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

/* The viewer's map is the one its parent sent: a map it may pass on to its children. */
static void
check_room (CanopyRoom *room)
{
  CanopyNodeMap *map = canopy_room_get_map (room);

  if (map == NULL)
    return;
  canopy_test_map_assert_consistent (map);
  canopy_room_get_depth (room);
  canopy_room_get_map_parent (room);
  canopy_room_is_ancestor (room, HOST_ID);
  canopy_room_in_own_subtree (room, CHILD_ID);
}

static void
pass_on (CanopyRoom *viewer,
         ChildLink  *parent_of_viewer,
         CanopyRoom *host,
         CanopyRoom *host_child,
         ChildLink  *child)
{
  g_autoptr (CanopyNodeMap) up = compose (VIEWER_ID, child);
  g_autoptr (CanopyNodeMap) down = compose (HOST_ID, child);
  g_autoptr (JsonObject) report = canopy_room_report (viewer, up);
  g_autoptr (JsonObject) published = canopy_room_publish (host, down);

  if (report != NULL) {
    g_autoptr (JsonObject) received = send_ctrl (report);

    if (!handle_subtree (parent_of_viewer, received))
      g_error ("A subtree report we send is refused");
    canopy_test_map_assert_equal (parent_of_viewer->subtree, up);
  }
  if (published != NULL) {
    g_autoptr (JsonObject) received = send_ctrl (published);
    gboolean full = FALSE;
    gboolean need_sync = FALSE;

    if (!canopy_room_apply_map (host_child, received, &full, &need_sync))
      g_error ("A map the host publishes is refused");
    g_assert (!need_sync);
    canopy_test_map_assert_equal (canopy_room_get_map (host_child), canopy_room_get_map (host));
  }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr (CanopyRoom) viewer = canopy_room_new (FALSE, VIEWER_ID, "Viewer", 2);
  g_autoptr (CanopyRoom) host = canopy_room_new (TRUE, HOST_ID, "Host", 4);
  g_autoptr (CanopyRoom) host_child = canopy_room_new (FALSE, "pw", "W", 2);
  g_autoptr (JsonObject) first_map = canopy_room_full_map_message (host);
  g_auto (ChildLink) child = { CHILD_ID, NULL, 0 };
  g_auto (ChildLink) parent_of_viewer = { VIEWER_ID, NULL, 0 };
  gboolean full = FALSE;
  gboolean need_sync = FALSE;
  const char *line;
  gsize len;

  g_assert (canopy_room_apply_map (host_child, first_map, &full, &need_sync) && full);

  for (guint n = 0;
       n < CANOPY_FUZZ_MAX_MESSAGES && canopy_fuzz_next_line (&data, &size, &line, &len); n++) {
    gboolean from_parent = len > 0 && line[0] == 'p';
    g_autofree char *text = len > 0 ? canopy_fuzz_copy (line + 1, len - 1) : NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) message = NULL;
    const char *type;

    if (len == 0)
      continue;
    message = canopy_json_parse_object (text, (gssize) len - 1, CANOPY_CTRL_BYTES, &error);
    if (message == NULL || (type = canopy_json_get_type (message, &error)) == NULL)
      continue;

    if (g_str_equal (type, "pong") && from_parent) {
      gint64 t = 0;
      gint64 rx = 0;

      canopy_json_get_int (message, "t", 0, g_get_monotonic_time (), TRUE, &t, NULL);
      canopy_json_get_int (message, "rx", 0, G_MAXINT64, FALSE, &rx, NULL);
    } else if (g_str_equal (type, "bye")) {
      const char *reason = NULL;

      canopy_json_get_string (message, "reason", CANOPY_TYPE_CHARS, FALSE, &reason, NULL);
    } else if (g_str_equal (type, "subtree") && !from_parent) {
      if (handle_subtree (&child, message))
        pass_on (viewer, &parent_of_viewer, host, host_child, &child);
    } else if (g_str_equal (type, "map") && from_parent) {
      if (canopy_room_apply_map (viewer, message, &full, &need_sync))
        g_assert (!need_sync);
      check_room (viewer);
    }
  }
  return 0;
}
