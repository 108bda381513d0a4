/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* How the tree heals: the server remembers where the host placed each member, so that when a
 * member goes (a `leave`, or its WebSocket closes) its parent and its children hear of it at
 * once; it counts the joins the host has not answered yet; a host ends a join it cannot serve
 * (`reject`); a member tells the host about a peer that let it down (`report`) and about its
 * own edges (`edge`). */

#include "canopy-signal-server-private.h"

#include <string.h>

typedef CanopySignalRoom Room;
typedef CanopySignalPeer Peer;

/* --- placements --- */

/**
 * canopy_signal_member_set_parent: (skip)
 * @room: @member's room
 * @member: a member of @room
 * @parent: (nullable): the id of the host or the member @member was placed under, or %NULL
 *
 * Remembers (or forgets) @member's placement. Every stored parent is the host or a member of
 * @room: a member that leaves takes its children's placements with it.
 */
void
canopy_signal_member_set_parent (CanopySignalRoom *room,
                                 CanopySignalPeer *member,
                                 const char       *parent)
{
  GHashTable *children;

  if (member->parent != NULL) {
    children = g_hash_table_lookup (room->children, member->parent);
    g_assert (children != NULL);
    g_hash_table_remove (children, member);
    if (g_hash_table_size (children) == 0)
      g_hash_table_remove (room->children, member->parent);
    g_clear_pointer (&member->parent, g_free);
  }
  if (parent == NULL)
    return;
  children = g_hash_table_lookup (room->children, parent);
  if (children == NULL) {
    children = g_hash_table_new (NULL, NULL);
    g_hash_table_insert (room->children, g_strdup (parent), children);
  }
  g_hash_table_add (children, member);
  member->parent = g_strdup (parent);
}

/**
 * canopy_signal_member_remove: (skip)
 * @member: a member of a room, not its host
 *
 * Takes @member out of its room without telling anybody, so it may join another.
 */
void
canopy_signal_member_remove (CanopySignalPeer *member)
{
  Room *room = member->room;

  canopy_signal_member_set_parent (room, member, NULL);
  canopy_signal_member_set_pending (member, FALSE);
  canopy_signal_member_set_name (room, member, NULL);
  g_hash_table_remove (room->members, member->id);
  member->room = NULL;
  member->capacity = 0;
}

/* --- joins waiting for the host --- */

/**
 * canopy_signal_member_set_pending: (skip)
 * @member: a member of a room, or a connection in none (then @pending is %FALSE)
 * @pending: whether a join of @member is now waiting for the host's answer
 *
 * Counts @member's join among those its room's host has not answered (replacing any earlier
 * one of it), for CANOPY_PENDING_JOIN_MS at most; or stops counting it (placed, rejected, gone).
 */
void
canopy_signal_member_set_pending (CanopySignalPeer *member,
                                  gboolean          pending)
{
  Room *room = member->room;

  if (member->join_pending_until != 0) {
    g_queue_remove (&room->pending, member);
    member->join_pending_until = 0;
  }
  if (!pending)
    return;
  member->join_pending_until = g_get_monotonic_time () + CANOPY_PENDING_JOIN_MS * (gint64) 1000;
  g_queue_push_tail (&room->pending, member);
}

/**
 * canopy_signal_room_count_pending: (skip)
 * @room: a room
 *
 * Returns: how many joins @room's host has not answered yet, those older than
 *   CANOPY_PENDING_JOIN_MS no longer counted
 */
guint
canopy_signal_room_count_pending (CanopySignalRoom *room)
{
  gint64 now = g_get_monotonic_time ();
  Peer *oldest;

  /* Added with growing deadlines: those past theirs are at the head. */
  while ((oldest = g_queue_peek_head (&room->pending)) != NULL &&
         oldest->join_pending_until <= now) {
    g_queue_pop_head (&room->pending);
    oldest->join_pending_until = 0;
  }
  return g_queue_get_length (&room->pending);
}

/**
 * canopy_signal_member_left: (skip)
 * @room: @member's room
 * @member: a member that leaves @room
 *
 * Takes @member out of @room and tells the tree: the host and @member's parent get `peer-left`,
 * and the members placed under @member get `parent-left`, so that they find another parent at
 * once instead of waiting for the media to stop.
 */
void
canopy_signal_member_left (CanopySignalRoom *room,
                           CanopySignalPeer *member)
{
  g_autoptr (JsonObject) left = canopy_signal_message_new ("peer-left");
  g_autoptr (JsonObject) orphaned = canopy_signal_message_new ("parent-left");
  g_autofree char *left_text = NULL;
  g_autofree char *orphaned_text = NULL;
  g_autofree char *parent_id = g_strdup (member->parent);
  g_autoptr (GHashTable) children = NULL;
  GHashTableIter iter;
  gpointer key = NULL;
  gpointer value = NULL;
  gpointer child;
  Peer *parent;

  canopy_signal_member_remove (member);

  json_object_set_string_member (left, "peer", member->id);
  left_text = canopy_json_to_string (left);
  canopy_signal_peer_send_text (room->host, left_text);
  /* The host already heard; a relay frees the slot of a child whose link has not failed yet. */
  parent = parent_id ? g_hash_table_lookup (room->members, parent_id) : NULL;
  if (parent != NULL)
    canopy_signal_peer_send_text (parent, left_text);

  if (!g_hash_table_steal_extended (room->children, member->id, &key, &value))
    return;
  g_free (key);
  children = value;
  json_object_set_string_member (orphaned, "peer", member->id);
  orphaned_text = canopy_json_to_string (orphaned);
  g_hash_table_iter_init (&iter, children);
  while (g_hash_table_iter_next (&iter, &child, NULL)) {
    g_clear_pointer (&((Peer *) child)->parent, g_free);
    canopy_signal_peer_send_text (child, orphaned_text);
  }
}

/* --- reject and report --- */

/**
 * canopy_signal_handle_reject: (skip)
 *
 * `reject {peer, reason}`: the host cannot place a joiner ("full") or not yet ("retry"); the
 * joiner gets `join-rejected {reason}`, so that its join ends.
 */
gboolean
canopy_signal_handle_reject (CanopySignalServer *self,
                             CanopySignalPeer   *peer,
                             JsonObject         *message,
                             GError            **error)
{
  const char *reason = NULL;
  const char *id = NULL;
  Room *room = peer->room;
  Peer *joiner;

  if (room == NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_NOT_IN_ROOM,
                                    "This connection is in no room");
  if (room->host != peer)
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Only the room's host rejects a join");
  /* Any string but the two is bad-message, however long (the message's size is bounded). */
  if (!canopy_json_get_string (message, "reason", self->max_message, TRUE, &reason, error) ||
      !canopy_json_get_string (message, "peer", CANOPY_PEER_ID_CHARS, TRUE, &id, error))
    return FALSE;
  if (!g_str_equal (reason, "full") && !g_str_equal (reason, "retry"))
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "Member \"reason\" must be \"full\" or \"retry\"");
  joiner = g_hash_table_lookup (room->members, id);
  if (joiner == NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_UNKNOWN_PEER,
                                    "Member \"peer\" names no member of this room");

  canopy_signal_reject_joiner (joiner, reason);
  return TRUE;
}

/**
 * canopy_signal_reject_joiner: (skip)
 * @joiner: a member waiting for a place
 * @reason: "full" or "retry"
 *
 * Ends @joiner's join: `join-rejected {reason}`.
 */
void
canopy_signal_reject_joiner (CanopySignalPeer *joiner,
                             const char       *reason)
{
  g_autoptr (JsonObject) rejected = canopy_signal_message_new ("join-rejected");

  canopy_signal_member_set_pending (joiner, FALSE);
  json_object_set_string_member (rejected, "reason", reason);
  canopy_signal_peer_send (joiner, rejected);
}

/**
 * canopy_signal_handle_report: (skip)
 *
 * `report {peer, reason}` from a member: the host gets `peer-report {from, peer, reason}` and
 * decides what to do (it holds the map).
 */
gboolean
canopy_signal_handle_report (CanopySignalServer *self,
                             CanopySignalPeer   *peer,
                             JsonObject         *message,
                             GError            **error)
{
  g_autoptr (JsonObject) report = NULL;
  g_autofree char *reason = NULL;
  Room *room = peer->room;
  Peer *about;

  if (room == NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_NOT_IN_ROOM,
                                    "This connection is in no room");
  if (room->host == peer)
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Only the room's members report peers");
  if (!canopy_signal_get_display_string (message, "reason", CANOPY_REPORT_REASON_CHARS, TRUE,
                                         FALSE, &reason, error) ||
      (about = canopy_signal_get_room_peer (room, message, "peer", error)) == NULL)
    return FALSE;
  if (about == peer)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "A peer cannot report itself");

  report = canopy_signal_message_new ("peer-report");
  json_object_set_string_member (report, "from", peer->id);
  json_object_set_string_member (report, "peer", about->id);
  json_object_set_string_member (report, "reason", reason);
  canopy_signal_peer_send (room->host, report);
  return TRUE;
}

/**
 * canopy_signal_handle_edge: (skip)
 *
 * `edge {statement}` from a member: what it signed about one of its tree edges, for the host,
 * which checks the signature (the server does not). The host gets `edge {from, statement}`;
 * the statement's `peer` must be the sender's own id, so nobody speaks for another peer.
 */
gboolean
canopy_signal_handle_edge (CanopySignalServer *self,
                           CanopySignalPeer   *peer,
                           JsonObject         *message,
                           GError            **error)
{
  g_autoptr (JsonObject) edge = NULL;
  g_autofree char *text = NULL;
  JsonObject *statement = NULL;
  const char *signer = NULL;
  Room *room = peer->room;

  if (room == NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_NOT_IN_ROOM,
                                    "This connection is in no room");
  if (room->host == peer)
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "Only the room's members send edges");
  if (!canopy_json_get_object (message, "statement", TRUE, &statement, error))
    return FALSE;
  text = canopy_json_to_string (statement);
  if (strlen (text) > CANOPY_EDGE_STATEMENT_BYTES) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "Member \"statement\" is over %d bytes", CANOPY_EDGE_STATEMENT_BYTES);
    return FALSE;
  }
  /* Any length: a statement of another peer is forbidden, not too large. */
  if (!canopy_json_get_string (statement, "peer", CANOPY_EDGE_STATEMENT_BYTES, TRUE, &signer,
                               error))
    return FALSE;
  if (!g_str_equal (signer, peer->id))
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "A statement's \"peer\" must be the sender");

  edge = canopy_signal_message_new ("edge");
  json_object_set_string_member (edge, "from", peer->id);
  json_object_set_object_member (edge, "statement", json_object_ref (statement));
  canopy_signal_peer_send (room->host, edge);
  return TRUE;
}
