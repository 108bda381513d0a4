/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFile"

#include "canopy-file-control.h"

#include "canopy-error.h"
#include "canopy-file.h"
#include "canopy-ids.h"
#include "canopy-json.h"
#include "canopy-limits.h"
#include "canopy-statement.h"
#include "canopy-text.h"

#include <string.h>

/*
 * A cancel is a peer's signed word that a file is withdrawn: checked here against its own key
 * only; whether that peer may cancel this file (its sender, or the host) is for the node, which
 * holds the manifest and knows the host. The policy is the host's, signed like its map and mute
 * list (canopy_host_sign()), so no relay can turn files on, off, or change the limit.
 */

#define MAX_INT (G_GINT64_CONSTANT (1) << 53)

static void
cancel_fields (const char  *room,
               const char  *id,
               const char  *by,
               const char  *time,
               const char **fields)
{
  fields[0] = room;
  fields[1] = id;
  fields[2] = by;
  fields[3] = time;
  fields[4] = NULL;
}

/**
 * canopy_file_cancel_make:
 * @identity: the canceller: the file's sender or the room's host
 * @room: the room's ID
 * @id: the file's id
 * @time: the wall clock in milliseconds
 *
 * Returns: (transfer full): `{type: "file-cancel", id, by, time, key, sig}`, signed over the
 *   domain "canopy-file-cancel" and the fields room, id, by, time in decimal
 */
JsonObject *
canopy_file_cancel_make (CanopyIdentity *identity,
                         const char     *room,
                         const char     *id,
                         gint64          time)
{
  JsonObject *json;
  char time_text[24];
  const char *fields[5];
  g_autofree char *sig = NULL;

  g_return_val_if_fail (CANOPY_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (room != NULL && id != NULL, NULL);

  g_snprintf (time_text, sizeof time_text, "%" G_GINT64_FORMAT, time);
  cancel_fields (room, id, canopy_identity_get_id (identity), time_text, fields);
  sig = canopy_identity_sign (identity, CANOPY_DOMAIN_FILE_CANCEL, fields);
  json = json_object_new ();
  json_object_set_string_member (json, "type", "file-cancel");
  json_object_set_string_member (json, "id", id);
  json_object_set_string_member (json, "by", canopy_identity_get_id (identity));
  json_object_set_int_member (json, "time", time);
  json_object_set_string_member (json, "key", canopy_identity_get_public_key (identity));
  json_object_set_string_member (json, "sig", sig);
  return json;
}

/**
 * canopy_file_cancel_check:
 * @json: an untrusted `file-cancel`
 * @room: the room's ID
 * @error: return location for a #CanopyError
 *
 * Checks every member (`id` 32 lower-case hex characters, `by` a peer id, `time` 0 to 2^53)
 * and that `key` is `by`'s and its signature holds.
 *
 * Returns: (transfer full) (nullable): the cancel, or %NULL with @error set
 *   (%CANOPY_ERROR_FORBIDDEN when the signature is not `by`'s)
 */
CanopyFileCancel *
canopy_file_cancel_check (JsonObject  *json,
                          const char  *room,
                          GError     **error)
{
  const char *id = NULL, *by = NULL, *key = NULL, *sig = NULL;
  g_autofree char *key_id = NULL;
  gint64 time = 0;
  char time_text[24];
  const char *fields[5];
  CanopyFileCancel *cancel;

  g_return_val_if_fail (json != NULL && room != NULL, NULL);

  if (!canopy_json_get_string (json, "id", CANOPY_FILE_ID_CHARS, TRUE, &id, error) ||
      !canopy_json_get_string (json, "by", CANOPY_PEER_ID_CHARS, TRUE, &by, error) ||
      !canopy_json_get_int (json, "time", 0, MAX_INT, TRUE, &time, error) ||
      !canopy_json_get_string (json, "key", CANOPY_KEY_CHARS, TRUE, &key, error) ||
      !canopy_json_get_string (json, "sig", CANOPY_SIGNATURE_CHARS, TRUE, &sig, error))
    return NULL;
  if (!canopy_file_id_is_valid (id) || !canopy_text_is_id (by, CANOPY_PEER_ID_CHARS)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                         "A file cancel with a bad file or peer id");
    return NULL;
  }
  key_id = canopy_key_to_id (key);
  g_snprintf (time_text, sizeof time_text, "%" G_GINT64_FORMAT, time);
  cancel_fields (room, id, by, time_text, fields);
  if (g_strcmp0 (key_id, by) != 0 ||
      !canopy_signature_verify (key, sig, CANOPY_DOMAIN_FILE_CANCEL, fields)) {
    g_set_error_literal (error, CANOPY_ERROR, CANOPY_ERROR_FORBIDDEN,
                         "A file cancel not signed by the peer it names");
    return NULL;
  }
  cancel = g_new0 (CanopyFileCancel, 1);
  cancel->id = g_strdup (id);
  cancel->by = g_strdup (by);
  cancel->time = time;
  return cancel;
}

void
canopy_file_cancel_free (CanopyFileCancel *cancel)
{
  if (cancel == NULL)
    return;
  g_free (cancel->id);
  g_free (cancel->by);
  g_free (cancel);
}

/* What the host signs of a policy in place of a digest: "on" or "off", ':', the limit. */
static char *
policy_text (gboolean allowed,
             guint64  max_size)
{
  return g_strdup_printf ("%s:%" G_GUINT64_FORMAT, allowed ? "on" : "off", max_size);
}

/**
 * canopy_file_policy_make:
 * @host: the room's host
 * @room: the room's ID
 * @version: larger than the host's last policy's
 * @allowed: whether members may share files
 * @max_size: the largest file, 1 to %CANOPY_FILE_SIZE_MAX bytes
 *
 * Returns: (transfer full): `{type: "file-policy", version, allowed, max, key, sig}`, signed
 *   by the host over the domain "canopy-file-policy" and the fields room, version, and
 *   "on:MAX" or "off:MAX"
 */
JsonObject *
canopy_file_policy_make (CanopyIdentity *host,
                         const char     *room,
                         guint64         version,
                         gboolean        allowed,
                         guint64         max_size)
{
  JsonObject *json;
  g_autofree char *text = NULL;

  g_return_val_if_fail (CANOPY_IS_IDENTITY (host) && room != NULL, NULL);
  g_return_val_if_fail (max_size >= 1 && max_size <= CANOPY_FILE_SIZE_MAX, NULL);

  text = policy_text (allowed, max_size);
  json = json_object_new ();
  json_object_set_string_member (json, "type", "file-policy");
  json_object_set_int_member (json, "version", (gint64) version);
  json_object_set_boolean_member (json, "allowed", allowed);
  json_object_set_int_member (json, "max", (gint64) max_size);
  canopy_host_sign (json, host, CANOPY_DOMAIN_FILE_POLICY, room, version, text);
  return json;
}

/**
 * canopy_file_policy_check:
 * @json: an untrusted `file-policy` from the parent
 * @room: the room's ID
 * @host: the room host's peer id
 * @version: (out): its version
 * @allowed: (out): whether files are on
 * @max_size: (out): the largest file
 * @error: return location for a #CanopyError
 *
 * Returns: whether every member is well-formed (`version` >= 1, `allowed` a boolean, `max` 1
 *   to %CANOPY_FILE_SIZE_MAX) and the host signed exactly this (%CANOPY_ERROR_FORBIDDEN when
 *   not)
 */
gboolean
canopy_file_policy_check (JsonObject  *json,
                          const char  *room,
                          const char  *host,
                          guint64     *version,
                          gboolean    *allowed,
                          guint64     *max_size,
                          GError     **error)
{
  gint64 v = 0, max = 0;
  gboolean on = FALSE;
  g_autofree char *text = NULL;

  g_return_val_if_fail (json != NULL, FALSE);

  if (!canopy_json_get_int (json, "version", 1, G_MAXINT64, TRUE, &v, error) ||
      !canopy_json_get_bool (json, "allowed", TRUE, &on, error) ||
      !canopy_json_get_int (json, "max", 1, CANOPY_FILE_SIZE_MAX, TRUE, &max, error))
    return FALSE;
  text = policy_text (on, (guint64) max);
  if (!canopy_host_check (json, CANOPY_DOMAIN_FILE_POLICY, room, host, (guint64) v, text, error))
    return FALSE;
  *version = (guint64) v;
  *allowed = on;
  *max_size = (guint64) max;
  return TRUE;
}
