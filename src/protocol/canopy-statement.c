/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyStatement"

#include "canopy-statement.h"

#include "canopy-error.h"
#include "canopy-ids.h"
#include "canopy-json.h"
#include "canopy-limits.h"

/*
 * Signed facts about the tree. An edge statement is what one end of an edge says about it
 * (attach, adopt, drop): the host builds its map only from such statements, its own placements
 * and the server's departure notices. A map signature is the host's over one version of the
 * map (its digest), so that any relay can hand a child the whole map and nobody can alter it.
 * A capacity statement is a relay's word about itself: how many children its upload was
 * measured to sustain; it is signed like an edge statement, the capacity in decimal where an
 * edge statement has the other end.
 */

static void
statement_fields (const char  *room,
                  const char  *kind,
                  const char  *peer,
                  const char  *other,
                  const char  *seq,
                  const char **fields)
{
  fields[0] = room;
  fields[1] = kind;
  fields[2] = peer;
  fields[3] = other;
  fields[4] = seq;
  fields[5] = NULL;
}

/* A new statement by @identity: `{kind, room, peer, seq, key, sig}`, signed over the domain
 * "canopy-edge" and the fields room, kind, peer, @fourth, seq; the caller adds the member
 * @fourth stands for. */
static JsonObject *
signed_statement (CanopyIdentity *identity,
                  const char     *room,
                  const char     *kind,
                  const char     *fourth,
                  guint64         seq)
{
  JsonObject *json = json_object_new ();
  const char *peer = canopy_identity_get_id (identity);
  char seq_text[24];
  const char *fields[6];
  g_autofree char *sig = NULL;

  g_snprintf (seq_text, sizeof seq_text, "%" G_GUINT64_FORMAT, seq);
  statement_fields (room, kind, peer, fourth, seq_text, fields);
  sig = canopy_identity_sign (identity, "canopy-edge", fields);
  json_object_set_string_member (json, "kind", kind);
  json_object_set_string_member (json, "room", room);
  json_object_set_string_member (json, "peer", peer);
  json_object_set_int_member (json, "seq", (gint64) seq);
  json_object_set_string_member (json, "key", canopy_identity_get_public_key (identity));
  json_object_set_string_member (json, "sig", sig);
  return json;
}

/**
 * canopy_statement_make:
 * @identity: the signer: one end of the edge
 * @room: the room's ID
 * @kind: %CANOPY_STATEMENT_ATTACH, %CANOPY_STATEMENT_ADOPT or %CANOPY_STATEMENT_DROP
 * @other: the other end's peer id
 * @seq: larger than any statement the signer made before
 *
 * Returns: (transfer full): the statement: `{kind, room, peer, other, seq, key, sig}`, signed
 *   over the domain "canopy-edge" and the fields room, kind, peer, other, seq
 */
JsonObject *
canopy_statement_make (CanopyIdentity *identity,
                       const char     *room,
                       const char     *kind,
                       const char     *other,
                       guint64         seq)
{
  JsonObject *json = signed_statement (identity, room, kind, other, seq);

  json_object_set_string_member (json, "other", other);
  return json;
}

/**
 * canopy_statement_make_capacity:
 * @identity: the signer: a relay speaking about itself
 * @room: the room's ID
 * @capacity: the children its upload sustains, at most %CANOPY_CAPACITY_MAX
 * @seq: larger than any statement the signer made before
 *
 * Returns: (transfer full): the statement: `{kind: "capacity", room, peer, capacity, seq, key,
 *   sig}`, signed over the domain "canopy-edge" and the fields room, kind, peer, capacity in
 *   decimal, seq
 */
JsonObject *
canopy_statement_make_capacity (CanopyIdentity *identity,
                                const char     *room,
                                guint           capacity,
                                guint64         seq)
{
  char capacity_text[16];
  JsonObject *json;

  g_return_val_if_fail (capacity <= CANOPY_CAPACITY_MAX, NULL);

  g_snprintf (capacity_text, sizeof capacity_text, "%u", capacity);
  json = signed_statement (identity, room, CANOPY_STATEMENT_CAPACITY, capacity_text, seq);
  json_object_set_int_member (json, "capacity", capacity);
  return json;
}

/**
 * canopy_statement_check:
 * @json: an untrusted statement
 * @room: the room it must be about
 * @error: return location for a #CanopyError
 *
 * Returns: (transfer full) (nullable): the statement when every member is well-formed, its
 *   key's peer id is its `peer` and the signature is that key's; %NULL with @error set
 *   (%CANOPY_ERROR_FORBIDDEN for a statement someone else signed or for another room)
 */
CanopyStatement *
canopy_statement_check (JsonObject  *json,
                        const char  *room,
                        GError     **error)
{
  const char *kind = NULL, *peer = NULL, *other = NULL, *key = NULL, *sig = NULL;
  const char *in_room = NULL;
  g_autofree char *key_id = NULL;
  gint64 seq = 0;
  gint64 capacity = -1;
  char seq_text[24];
  char capacity_text[24];
  const char *fields[6];
  gboolean about_self;
  CanopyStatement *statement;

  g_return_val_if_fail (room != NULL, NULL);

  if (!canopy_json_get_string (json, "kind", CANOPY_TYPE_CHARS, TRUE, &kind, error))
    return NULL;
  about_self = g_str_equal (kind, CANOPY_STATEMENT_CAPACITY);
  if (!canopy_json_get_string (json, "room", CANOPY_ROOM_ID_CHARS, TRUE, &in_room, error) ||
      !canopy_json_get_string (json, "peer", CANOPY_PEER_ID_CHARS, TRUE, &peer, error) ||
      (!about_self &&
       !canopy_json_get_string (json, "other", CANOPY_PEER_ID_CHARS, TRUE, &other, error)) ||
      (about_self &&
       !canopy_json_get_int (json, "capacity", 0, CANOPY_CAPACITY_MAX, TRUE, &capacity, error)) ||
      !canopy_json_get_int (json, "seq", 1, G_MAXINT64, TRUE, &seq, error) ||
      !canopy_json_get_string (json, "key", CANOPY_KEY_CHARS, TRUE, &key, error) ||
      !canopy_json_get_string (json, "sig", CANOPY_SIGNATURE_CHARS, TRUE, &sig, error))
    return NULL;
  if (!about_self && !g_str_equal (kind, CANOPY_STATEMENT_ATTACH) &&
      !g_str_equal (kind, CANOPY_STATEMENT_ADOPT) && !g_str_equal (kind, CANOPY_STATEMENT_DROP)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Unknown statement kind");
    return NULL;
  }
  if (!canopy_text_is_id (peer, CANOPY_PEER_ID_CHARS) ||
      (!about_self &&
       (!canopy_text_is_id (other, CANOPY_PEER_ID_CHARS) || g_str_equal (peer, other)))) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Bad peer ids in a statement");
    return NULL;
  }
  key_id = canopy_key_to_id (key);
  g_snprintf (seq_text, sizeof seq_text, "%" G_GINT64_FORMAT, seq);
  g_snprintf (capacity_text, sizeof capacity_text, "%" G_GINT64_FORMAT, capacity);
  statement_fields (room, kind, peer, about_self ? capacity_text : other, seq_text, fields);
  if (!g_str_equal (in_room, room) || g_strcmp0 (key_id, peer) != 0 ||
      !canopy_signature_verify (key, sig, "canopy-edge", fields)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN,
                 "A statement not signed by its peer for this room");
    return NULL;
  }
  statement = g_new0 (CanopyStatement, 1);
  statement->kind = g_strdup (kind);
  statement->peer = g_strdup (peer);
  statement->other = g_strdup (other);
  statement->seq = (guint64) seq;
  statement->capacity = (gint) capacity;
  return statement;
}

void
canopy_statement_free (CanopyStatement *statement)
{
  if (statement == NULL)
    return;
  g_free (statement->kind);
  g_free (statement->peer);
  g_free (statement->other);
  g_free (statement);
}

static void
host_fields (const char  *room,
             const char  *version,
             const char  *digest,
             const char **fields)
{
  fields[0] = room;
  fields[1] = version;
  fields[2] = digest;
  fields[3] = NULL;
}

/**
 * canopy_host_sign:
 * @message: a message the host sends down the tree (`map`, `mutes`)
 * @host: the room's host
 * @domain: what it is: "canopy-map", "canopy-mutes"
 * @room: the room's ID
 * @version: the version of what it brings
 * @digest: the digest of what it brings at @version (canopy_node_map_digest(), ...)
 *
 * Sets @message's `key` and `sig`: the host's signature over @domain and the fields room,
 * version, digest. It holds for any message that brings the state to @version: the whole, or
 * the changes from the version before.
 */
void
canopy_host_sign (JsonObject     *message,
                  CanopyIdentity *host,
                  const char     *domain,
                  const char     *room,
                  guint64         version,
                  const char     *digest)
{
  char version_text[24];
  const char *fields[4];
  g_autofree char *sig = NULL;

  g_snprintf (version_text, sizeof version_text, "%" G_GUINT64_FORMAT, version);
  host_fields (room, version_text, digest, fields);
  sig = canopy_identity_sign (host, domain, fields);
  json_object_set_string_member (message, "key", canopy_identity_get_public_key (host));
  json_object_set_string_member (message, "sig", sig);
}

/**
 * canopy_host_check:
 * @message: an untrusted message from the parent
 * @domain: what it must be
 * @room: the room's ID
 * @host: the room host's peer id, as the server told it
 * @version: the version the state has once @message is applied
 * @digest: the state's digest once @message is applied
 * @error: return location for a #CanopyError
 *
 * Returns: whether @message carries the host's key and its signature over exactly this state
 */
gboolean
canopy_host_check (JsonObject  *message,
                   const char  *domain,
                   const char  *room,
                   const char  *host,
                   guint64      version,
                   const char  *digest,
                   GError     **error)
{
  const char *key = NULL, *sig = NULL;
  g_autofree char *key_id = NULL;
  char version_text[24];
  const char *fields[4];

  if (!canopy_json_get_string (message, "key", CANOPY_KEY_CHARS, TRUE, &key, error) ||
      !canopy_json_get_string (message, "sig", CANOPY_SIGNATURE_CHARS, TRUE, &sig, error))
    return FALSE;
  key_id = canopy_key_to_id (key);
  g_snprintf (version_text, sizeof version_text, "%" G_GUINT64_FORMAT, version);
  host_fields (room, version_text, digest, fields);
  if (host == NULL || room == NULL || g_strcmp0 (key_id, host) != 0 ||
      !canopy_signature_verify (key, sig, domain, fields)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN, "Not signed by the host");
    return FALSE;
  }
  return TRUE;
}
