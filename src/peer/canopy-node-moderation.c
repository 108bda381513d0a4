/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNode"

#include "canopy-node-private.h"

#include "canopy-json.h"

/*
 * What a host may do about the people in its room: remove one (the server closes it out and
 * refuses its key in this room from then on), mute one (a list the host signs, which every node
 * enforces: nobody shows or passes on a muted peer's chat), lock the room (no newcomers) and
 * protect it with a password (checked by the server, never in the directory). See
 * docs/protocol.md, "Moderation".
 */

static gboolean
is_live_host (CanopyNode *self)
{
  return self->role == CANOPY_NODE_ROLE_HOST && self->room != NULL && self->room_id != NULL &&
         self->state != CANOPY_NODE_STATE_ENDED;
}

/**
 * canopy_node_kick:
 * @self: the host
 * @peer: a viewer in the room
 *
 * Removes @peer: it ends ("removed"), its children find new parents, and its key cannot join
 * this room again.
 */
void
canopy_node_kick (CanopyNode *self,
                  const char *peer)
{
  g_autoptr (JsonObject) message = NULL;

  g_return_if_fail (CANOPY_IS_NODE (self));
  g_return_if_fail (peer != NULL);

  if (!is_live_host (self) || g_strcmp0 (peer, self->peer_id) == 0)
    return;
  if (self->banned->len < CANOPY_BANNED_MAX &&
      !g_ptr_array_find_with_equal_func (self->banned, peer, g_str_equal, NULL))
    g_ptr_array_add (self->banned, g_strdup (peer));
  message = json_object_new ();
  json_object_set_string_member (message, "type", "kick");
  json_object_set_string_member (message, "peer", peer);
  canopy_node_server_send (self, message);
}

/**
 * canopy_node_mute_peer:
 * @self: the host
 * @peer: a peer id
 * @muted: whether its chat is shown and passed on by nobody
 *
 * Signs the new mute list and sends it down the tree.
 */
void
canopy_node_mute_peer (CanopyNode *self,
                       const char *peer,
                       gboolean    muted)
{
  g_autoptr (JsonObject) message = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (CANOPY_IS_NODE (self));

  if (!is_live_host (self))
    return;
  message = canopy_room_set_muted (self->room, peer, muted);
  if (message == NULL)
    return;
  text = canopy_json_to_string (message);
  for (guint i = 0; i < self->children->len; i++)
    canopy_link_send_text (g_ptr_array_index (self->children, i), text);
  canopy_node_emit_map_changed (self);
}

/**
 * canopy_node_is_peer_muted:
 * @self: a node
 * @peer: a peer id
 *
 * Returns: whether the host muted @peer
 */
gboolean
canopy_node_is_peer_muted (CanopyNode *self,
                           const char *peer)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);
  return self->room != NULL && canopy_room_is_muted (self->room, peer);
}

/**
 * canopy_node_set_locked:
 * @self: the host
 * @locked: whether the room takes newcomers
 *
 * Members already in it keep their places (and may move in the tree).
 */
void
canopy_node_set_locked (CanopyNode *self,
                        gboolean    locked)
{
  g_autoptr (JsonObject) message = NULL;

  g_return_if_fail (CANOPY_IS_NODE (self));

  self->locked = locked;
  if (!is_live_host (self))
    return;
  message = json_object_new ();
  json_object_set_string_member (message, "type", "lock");
  json_object_set_boolean_member (message, "locked", locked);
  canopy_node_server_send (self, message);
}

gboolean
canopy_node_get_locked (CanopyNode *self)
{
  g_return_val_if_fail (CANOPY_IS_NODE (self), FALSE);
  return self->locked;
}

/**
 * canopy_node_set_password:
 * @self: a node that has not started
 * @password: (nullable): the room's password (a host) or the one to join with (a viewer)
 */
void
canopy_node_set_password (CanopyNode *self,
                          const char *password)
{
  g_return_if_fail (CANOPY_IS_NODE (self));
  g_free (self->password);
  self->password = password != NULL && *password != '\0' ? g_strdup (password) : NULL;
}

/* A host taking its room back after losing the server: the room's rules come back with it. */
void
canopy_node_moderation_resume (CanopyNode *self,
                               JsonObject *resume)
{
  JsonArray *banned;

  if (self->password != NULL)
    json_object_set_string_member (resume, "password", self->password);
  json_object_set_boolean_member (resume, "locked", self->locked);
  banned = json_array_new ();
  for (guint i = 0; i < self->banned->len; i++)
    json_array_add_string_element (banned, g_ptr_array_index (self->banned, i));
  json_object_set_array_member (resume, "banned", banned);
}

/* A new child hears whom the host muted, right after the map. */
void
canopy_node_send_mutes (CanopyNode *self,
                        CanopyLink *child)
{
  JsonObject *mutes = canopy_room_get_mutes_message (self->room);

  if (mutes != NULL)
    canopy_link_send (child, mutes);
}
