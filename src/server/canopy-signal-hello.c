/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* `hello`: a connection proves that it holds an Ed25519 key by signing the challenge of its
 * `welcome`, and takes the peer id derived from that key (see canopy-identity.c). */

#include "canopy-signal-server-private.h"

#include "canopy-identity.h"

typedef CanopySignalPeer Peer;

/**
 * canopy_signal_peer_new_challenge: (skip)
 * @peer: a new connection
 *
 * Fills @peer's challenge: 32 random bytes, as unpadded URL-safe base64 (sent in `welcome`).
 */
void
canopy_signal_peer_new_challenge (CanopySignalPeer *peer)
{
  static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  guint8 bytes[CANOPY_CHALLENGE_CHARS];

  /* One random byte per character, six bits of it used: 43 characters, 258 bits. */
  canopy_signal_random_bytes (bytes, sizeof bytes);
  for (guint i = 0; i < CANOPY_CHALLENGE_CHARS; i++)
    peer->challenge[i] = b64[bytes[i] & 63];
  peer->challenge[CANOPY_CHALLENGE_CHARS] = '\0';
}

/**
 * canopy_signal_handle_hello: (skip)
 *
 * `hello {key, signature}`: @signature is the key's over "canopy-hello" and the fields
 * (challenge, key). The connection then is the key's peer id, answered with
 * `identified {peer}`. A connection already bound to that id is taken over as if it had only
 * been lost: it leaves its room quietly and is closed (4000, "resumed"), and this one may
 * `resume` its place without a token. Only a connection in no room says hello, once.
 */
gboolean
canopy_signal_handle_hello (CanopySignalServer *self,
                            CanopySignalPeer   *peer,
                            JsonObject         *message,
                            GError            **error)
{
  g_autoptr (JsonObject) reply = NULL;
  g_autofree char *id = NULL;
  const char *key = NULL;
  const char *signature = NULL;
  const char *fields[3] = { peer->challenge, NULL, NULL };
  Peer *bound;

  if (peer->identified)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "This connection said hello already");
  if (peer->room != NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_ALREADY_IN_ROOM,
                                    "Say hello before hosting or joining");
  if (!canopy_json_get_string (message, "key", CANOPY_KEY_CHARS, TRUE, &key, error) ||
      !canopy_json_get_string (message, "signature", CANOPY_SIGNATURE_CHARS, TRUE, &signature,
                               error))
    return FALSE;
  id = canopy_key_to_id (key);
  if (id == NULL)
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "Member \"key\" is not an Ed25519 public key");
  fields[1] = key;
  if (!canopy_signature_verify (key, signature, "canopy-hello", fields))
    return canopy_signal_set_error (error, CANOPY_ERROR_FORBIDDEN,
                                    "The signature is not this key's over the challenge");

  bound = g_hash_table_lookup (self->peers, id);
  if (bound != NULL && bound != peer) {
    /* The same key again (a new connection of the same peer): the old one goes as if lost. */
    g_debug ("%s takes over %s by its key", peer->id, id);
    bound->lost = TRUE;
    canopy_signal_server_detach_peer (self, bound);
    canopy_signal_peer_retire (self, bound);
  }
  canopy_signal_peer_rebind (self, peer, id);
  peer->identified = TRUE;
  g_strlcpy (peer->key, key, sizeof peer->key);
  canopy_signal_peer_settle (peer);

  reply = canopy_signal_message_new ("identified");
  json_object_set_string_member (reply, "peer", peer->id);
  canopy_signal_peer_send (peer, reply);
  return TRUE;
}
