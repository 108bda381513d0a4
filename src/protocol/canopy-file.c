/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyFile"

#include "canopy-file.h"

#include "canopy-ids.h"
#include "canopy-json.h"
#include "canopy-text.h"

#include <string.h>

/*
 * A file shared through the tree: its signed manifest (`file-offer`), the binary chunk frames
 * of the `file` channel, and the bitmaps of `file-want`. Everything that comes from the network
 * is checked here before anybody uses it: sizes and counts against each other and the limits,
 * hex and base64 formats, the id against what it is derived from, the signature.
 */

#define MAX_INT (G_GINT64_CONSTANT (1) << 53) /* the largest integer JSON carries exactly */
#define HASH_BYTES 32
#define FRAME_VERSION 1
#define FRAME_KIND_CHUNK 1

G_DEFINE_BOXED_TYPE (CanopyFileManifest, canopy_file_manifest, canopy_file_manifest_copy,
                     canopy_file_manifest_free)

static char *
hex_encode (const guint8 *bytes,
            gsize         length)
{
  static const char digits[] = "0123456789abcdef";
  char *text = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++) {
    text[2 * i] = digits[bytes[i] >> 4];
    text[2 * i + 1] = digits[bytes[i] & 0xf];
  }
  text[length * 2] = '\0';
  return text;
}

/* Only lower-case hex of exactly 2 * @length characters. */
static gboolean
hex_decode (const char *text,
            guint8     *bytes,
            gsize       length)
{
  if (strlen (text) != length * 2)
    return FALSE;
  for (gsize i = 0; i < length * 2; i++) {
    char c = text[i];
    int v;

    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else
      return FALSE;
    if (i % 2 == 0)
      bytes[i / 2] = (guint8) (v << 4);
    else
      bytes[i / 2] |= (guint8) v;
  }
  return TRUE;
}

/**
 * canopy_file_id_is_valid:
 * @text: untrusted text
 *
 * Returns: whether @text is a file id: exactly %CANOPY_FILE_ID_CHARS lower-case hex characters
 */
gboolean
canopy_file_id_is_valid (const char *text)
{
  guint8 bytes[CANOPY_FILE_ID_BYTES];

  return text != NULL && hex_decode (text, bytes, sizeof bytes);
}

static void
sha256 (const guint8 *data,
        gsize         length,
        guint8       *out)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize out_len = HASH_BYTES;

  g_checksum_update (checksum, data, length);
  g_checksum_get_digest (checksum, out, &out_len);
}

/* A MIME type as `type/subtype`, each of lower-case letters, digits and RFC 6838's few signs. */
static gboolean
is_mime (const char *text)
{
  const char *slash = strchr (text, '/');
  static const char allowed[] = "abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-";

  if (slash == NULL || slash == text || slash[1] == '\0' || strchr (slash + 1, '/') != NULL)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (*p != '/' && strchr (allowed, *p) == NULL)
      return FALSE;
  return g_ascii_isalnum (text[0]) && g_ascii_isalnum (slash[1]);
}

/**
 * canopy_file_clean_name:
 * @name: a file name as sent or as found on disk
 *
 * Sanitizes @name like every display string, then takes away every path part: `/` and `\`
 * become `_`, and a leading `.` becomes `_` (no hidden files, no `..`). Applying it twice
 * changes nothing more.
 *
 * Returns: (transfer full): the clean name, possibly empty
 */
char *
canopy_file_clean_name (const char *name)
{
  char *clean;

  g_return_val_if_fail (name != NULL, NULL);

  clean = canopy_text_sanitize (name);
  for (char *p = clean; *p; p++)
    if (*p == '/' || *p == '\\')
      *p = '_';
  if (clean[0] == '.')
    clean[0] = '_';
  return clean;
}

/* What the id is derived from and the signature covers, after the room (and the id): each
 * field as its own string. */
typedef struct {
  char size[24];
  char chunk[24];
  char time[24];
  char *chunks_digest;
  const char *fields[12];
} SignedFields;

static void
signed_fields_init (SignedFields             *f,
                    const CanopyFileManifest *m,
                    const char               *room,
                    gboolean                  with_id)
{
  guint8 digest[HASH_BYTES];
  guint i = 0;

  g_snprintf (f->size, sizeof f->size, "%" G_GUINT64_FORMAT, m->size);
  g_snprintf (f->chunk, sizeof f->chunk, "%u", m->chunk_size);
  g_snprintf (f->time, sizeof f->time, "%" G_GINT64_FORMAT, m->time);
  sha256 (m->chunk_hashes, (gsize) m->n_chunks * HASH_BYTES, digest);
  f->chunks_digest = hex_encode (digest, HASH_BYTES);
  f->fields[i++] = room;
  if (with_id)
    f->fields[i++] = m->id;
  f->fields[i++] = m->sender;
  f->fields[i++] = m->name;
  f->fields[i++] = f->size;
  f->fields[i++] = m->mime;
  f->fields[i++] = f->chunk;
  f->fields[i++] = f->chunks_digest;
  f->fields[i++] = m->sha256;
  f->fields[i++] = f->time;
  f->fields[i] = NULL;
}

static void
signed_fields_clear (SignedFields *f)
{
  g_clear_pointer (&f->chunks_digest, g_free);
}

/* The id: the first 128 bits of SHA-256 over "canopy-file-id", NUL, then the fields as
 * signatures encode them ("LEN:BYTES"), so that no two different offers share an id. */
static char *
derive_id (const CanopyFileManifest *m,
           const char               *room)
{
  static const char domain[] = "canopy-file-id";
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  SignedFields f;
  guint8 digest[HASH_BYTES];
  gsize len = HASH_BYTES;

  signed_fields_init (&f, m, room, FALSE);
  g_checksum_update (checksum, (const guint8 *) domain, sizeof domain); /* with its NUL */
  for (guint i = 0; f.fields[i] != NULL; i++) {
    g_autofree char *prefix = g_strdup_printf ("%zu:", strlen (f.fields[i]));

    g_checksum_update (checksum, (const guint8 *) prefix, -1);
    g_checksum_update (checksum, (const guint8 *) f.fields[i], strlen (f.fields[i]));
  }
  signed_fields_clear (&f);
  g_checksum_get_digest (checksum, digest, &len);
  return hex_encode (digest, CANOPY_FILE_ID_BYTES);
}

/**
 * canopy_file_manifest_new_for_bytes:
 * @identity: the sender
 * @room: the room's ID
 * @name: the file's name (cleaned here: canopy_file_clean_name())
 * @mime: its MIME type (lower-cased here)
 * @contents: the whole file, 1 byte to %CANOPY_FILE_SIZE_MAX
 * @chunk_size: %CANOPY_FILE_CHUNK_MIN to %CANOPY_FILE_CHUNK_MAX
 * @time: the wall clock in milliseconds
 * @error: return location for a #CanopyError
 *
 * Hashes every chunk and the whole, derives the id and signs.
 *
 * Returns: (transfer full): the signed manifest, or %NULL with @error set
 */
CanopyFileManifest *
canopy_file_manifest_new_for_bytes (CanopyIdentity *identity,
                                    const char     *room,
                                    const char     *name,
                                    const char     *mime,
                                    GBytes         *contents,
                                    guint           chunk_size,
                                    gint64          time,
                                    GError        **error)
{
  g_autoptr (CanopyFileManifest) m = NULL;
  const guint8 *data;
  gsize size;
  guint8 whole[HASH_BYTES];
  SignedFields f;

  g_return_val_if_fail (CANOPY_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (room != NULL && name != NULL && mime != NULL && contents != NULL, NULL);

  data = g_bytes_get_data (contents, &size);
  if (size == 0 || size > CANOPY_FILE_SIZE_MAX) {
    g_set_error (error, CANOPY_ERROR, size == 0 ? CANOPY_ERROR_BAD_MESSAGE : CANOPY_ERROR_TOO_LARGE,
                 "A file must have 1 to %u bytes", (guint) CANOPY_FILE_SIZE_MAX);
    return NULL;
  }
  if (chunk_size < CANOPY_FILE_CHUNK_MIN || chunk_size > CANOPY_FILE_CHUNK_MAX ||
      (size + chunk_size - 1) / chunk_size > CANOPY_FILE_CHUNKS_MAX) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE,
                 "A chunk size of %u does not fit a file of %zu bytes", chunk_size, size);
    return NULL;
  }

  m = g_new0 (CanopyFileManifest, 1);
  m->sender = g_strdup (canopy_identity_get_id (identity));
  m->name = canopy_file_clean_name (name);
  if (*m->name == '\0' || g_utf8_strlen (m->name, -1) > CANOPY_FILE_NAME_CHARS) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Not a name to share: %s", name);
    return NULL;
  }
  m->mime = g_ascii_strdown (mime, -1);
  if (strlen (m->mime) > CANOPY_FILE_MIME_CHARS || !is_mime (m->mime)) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Not a MIME type: %s", mime);
    return NULL;
  }
  m->size = size;
  m->chunk_size = chunk_size;
  m->n_chunks = (guint) ((size + chunk_size - 1) / chunk_size);
  m->chunk_hashes = g_malloc ((gsize) m->n_chunks * HASH_BYTES);
  for (guint i = 0; i < m->n_chunks; i++)
    sha256 (data + (gsize) i * chunk_size, canopy_file_manifest_chunk_length (m, i),
            m->chunk_hashes + (gsize) i * HASH_BYTES);
  sha256 (data, size, whole);
  m->sha256 = hex_encode (whole, HASH_BYTES);
  m->time = time;
  m->id = derive_id (m, room);
  m->key = g_strdup (canopy_identity_get_public_key (identity));
  signed_fields_init (&f, m, room, TRUE);
  m->signature = canopy_identity_sign (identity, "canopy-file", f.fields);
  signed_fields_clear (&f);
  return g_steal_pointer (&m);
}

static gboolean
bad (GError    **error,
     CanopyError code,
     const char *message)
{
  g_set_error_literal (error, CANOPY_ERROR, code, message);
  return FALSE;
}

/**
 * canopy_file_manifest_new_from_json:
 * @object: an untrusted `file-offer`
 * @max_size: the largest file taken (the room's limit), at most %CANOPY_FILE_SIZE_MAX
 * @error: return location for a #CanopyError
 *
 * Checks every member: `id` 32 lower-case hex characters, `sender` a peer id, `name` 1 to
 * %CANOPY_FILE_NAME_CHARS characters and not empty once cleaned, `size` 1 to @max_size,
 * `mime` a lower-case MIME type, `chunk` %CANOPY_FILE_CHUNK_MIN to %CANOPY_FILE_CHUNK_MAX,
 * `chunks` exactly ceil (size / chunk) hashes of 64 lower-case hex characters, `sha256` one
 * such hash, `time` >= 0, `hops` 0 to 1000, `key` and `sig` strings. The signature is not
 * checked here: canopy_file_manifest_verify().
 *
 * Returns: (transfer full): the manifest, or %NULL with @error set (%CANOPY_ERROR_TOO_LARGE for
 *   a file over @max_size or a field over its limit, %CANOPY_ERROR_BAD_MESSAGE otherwise)
 */
CanopyFileManifest *
canopy_file_manifest_new_from_json (JsonObject *object,
                                    guint64     max_size,
                                    GError    **error)
{
  g_autoptr (CanopyFileManifest) m = NULL;
  const char *type, *id = NULL, *sender = NULL, *name = NULL, *mime = NULL, *whole = NULL;
  const char *key = NULL, *signature = NULL;
  gint64 size = 0, chunk = 0, time = 0, hops = 0;
  JsonArray *chunks = NULL;
  guint8 scratch[HASH_BYTES];
  guint64 n_chunks;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  max_size = MIN (max_size, (guint64) CANOPY_FILE_SIZE_MAX);
  type = canopy_json_get_type (object, error);
  if (type == NULL)
    return NULL;
  if (!g_str_equal (type, "file-offer")) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE, "Not a file offer: %s", type);
    return NULL;
  }
  if (!canopy_json_get_string (object, "id", CANOPY_FILE_ID_CHARS, TRUE, &id, error) ||
      !canopy_json_get_string (object, "sender", CANOPY_PEER_ID_CHARS, TRUE, &sender, error) ||
      !canopy_json_get_string (object, "name", CANOPY_FILE_NAME_CHARS, TRUE, &name, error) ||
      !canopy_json_get_string (object, "mime", CANOPY_FILE_MIME_CHARS, TRUE, &mime, error) ||
      !canopy_json_get_string (object, "sha256", CANOPY_FILE_HASH_CHARS, TRUE, &whole, error) ||
      !canopy_json_get_string (object, "key", CANOPY_KEY_CHARS, FALSE, &key, error) ||
      !canopy_json_get_string (object, "sig", CANOPY_SIGNATURE_CHARS, FALSE, &signature, error) ||
      !canopy_json_get_int (object, "size", 1, MAX_INT, TRUE, &size, error) ||
      !canopy_json_get_int (object, "chunk", CANOPY_FILE_CHUNK_MIN, CANOPY_FILE_CHUNK_MAX, TRUE,
                            &chunk, error) ||
      !canopy_json_get_int (object, "time", 0, MAX_INT, TRUE, &time, error) ||
      !canopy_json_get_int (object, "hops", 0, CANOPY_CHAT_HOPS_MAX, FALSE, &hops, error) ||
      !canopy_json_get_array (object, "chunks", CANOPY_FILE_CHUNKS_MAX, TRUE, &chunks, error))
    return NULL;
  if (!hex_decode (id, scratch, CANOPY_FILE_ID_BYTES)) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"id\" is not 32 hex digits");
    return NULL;
  }
  if (!canopy_text_is_id (sender, CANOPY_PEER_ID_CHARS)) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"sender\" is not a peer id");
    return NULL;
  }
  if (!hex_decode (whole, scratch, HASH_BYTES)) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"sha256\" is not 64 hex digits");
    return NULL;
  }
  if (strlen (mime) == 0 || !is_mime (mime)) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"mime\" is not a MIME type");
    return NULL;
  }
  if ((guint64) size > max_size) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "A file of %" G_GINT64_FORMAT " bytes is over this room's %" G_GUINT64_FORMAT,
                 size, max_size);
    return NULL;
  }
  n_chunks = ((guint64) size + (guint64) chunk - 1) / (guint64) chunk;
  if (n_chunks > CANOPY_FILE_CHUNKS_MAX || json_array_get_length (chunks) != n_chunks) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"chunks\" does not match size and chunk");
    return NULL;
  }

  m = g_new0 (CanopyFileManifest, 1);
  m->n_chunks = (guint) n_chunks;
  m->chunk_hashes = g_malloc (n_chunks * HASH_BYTES);
  for (guint i = 0; i < m->n_chunks; i++) {
    JsonNode *node = json_array_get_element (chunks, i);

    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
        !hex_decode (json_node_get_string (node), m->chunk_hashes + (gsize) i * HASH_BYTES,
                     HASH_BYTES)) {
      bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"chunks\" holds something but hashes");
      return NULL;
    }
  }
  m->id = g_strdup (id);
  m->sender = g_strdup (sender);
  m->name = canopy_file_clean_name (name);
  if (*m->name == '\0') {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "Member \"name\" is empty");
    return NULL;
  }
  m->size = (guint64) size;
  m->mime = g_strdup (mime);
  m->chunk_size = (guint) chunk;
  m->sha256 = g_strdup (whole);
  m->time = time;
  m->hops = (guint) hops;
  m->key = g_strdup (key);
  m->signature = g_strdup (signature);
  return g_steal_pointer (&m);
}

/**
 * canopy_file_manifest_to_json:
 * @manifest: a manifest
 *
 * Returns: (transfer full): the `file-offer` message, as sent on the `ctrl` channel
 */
JsonObject *
canopy_file_manifest_to_json (const CanopyFileManifest *manifest)
{
  JsonObject *object;
  JsonArray *chunks;

  g_return_val_if_fail (manifest != NULL, NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "type", "file-offer");
  json_object_set_string_member (object, "id", manifest->id);
  json_object_set_string_member (object, "sender", manifest->sender);
  json_object_set_string_member (object, "name", manifest->name);
  json_object_set_int_member (object, "size", (gint64) manifest->size);
  json_object_set_string_member (object, "mime", manifest->mime);
  json_object_set_int_member (object, "chunk", manifest->chunk_size);
  chunks = json_array_sized_new (manifest->n_chunks);
  for (guint i = 0; i < manifest->n_chunks; i++) {
    g_autofree char *hex = hex_encode (manifest->chunk_hashes + (gsize) i * HASH_BYTES, HASH_BYTES);

    json_array_add_string_element (chunks, hex);
  }
  json_object_set_array_member (object, "chunks", chunks);
  json_object_set_string_member (object, "sha256", manifest->sha256);
  json_object_set_int_member (object, "time", manifest->time);
  json_object_set_int_member (object, "hops", manifest->hops);
  if (manifest->key != NULL)
    json_object_set_string_member (object, "key", manifest->key);
  if (manifest->signature != NULL)
    json_object_set_string_member (object, "sig", manifest->signature);
  return object;
}

/**
 * canopy_file_manifest_copy:
 * @manifest: a manifest
 *
 * Returns: (transfer full): a deep copy
 */
CanopyFileManifest *
canopy_file_manifest_copy (const CanopyFileManifest *manifest)
{
  CanopyFileManifest *copy;

  g_return_val_if_fail (manifest != NULL, NULL);

  copy = g_new0 (CanopyFileManifest, 1);
  *copy = *manifest;
  copy->id = g_strdup (manifest->id);
  copy->sender = g_strdup (manifest->sender);
  copy->name = g_strdup (manifest->name);
  copy->mime = g_strdup (manifest->mime);
  copy->chunk_hashes = g_memdup2 (manifest->chunk_hashes, (gsize) manifest->n_chunks * HASH_BYTES);
  copy->sha256 = g_strdup (manifest->sha256);
  copy->key = g_strdup (manifest->key);
  copy->signature = g_strdup (manifest->signature);
  return copy;
}

/**
 * canopy_file_manifest_free:
 * @manifest: (nullable): a manifest
 */
void
canopy_file_manifest_free (CanopyFileManifest *manifest)
{
  if (manifest == NULL)
    return;
  g_free (manifest->id);
  g_free (manifest->sender);
  g_free (manifest->name);
  g_free (manifest->mime);
  g_free (manifest->chunk_hashes);
  g_free (manifest->sha256);
  g_free (manifest->key);
  g_free (manifest->signature);
  g_free (manifest);
}

/**
 * canopy_file_manifest_verify:
 * @manifest: a manifest from a neighbour
 * @room: the room's ID
 *
 * Returns: whether @manifest carries a key whose id is its sender, its id is the one derived
 *   from its fields in @room, and the key's signature over the domain "canopy-file" holds:
 *   nobody but its sender offered it, and nobody changed a hash on the way
 */
gboolean
canopy_file_manifest_verify (const CanopyFileManifest *manifest,
                             const char               *room)
{
  g_autofree char *key_id = NULL;
  g_autofree char *id = NULL;
  SignedFields f;
  gboolean ok;

  g_return_val_if_fail (manifest != NULL, FALSE);

  if (room == NULL || manifest->key == NULL || manifest->signature == NULL)
    return FALSE;
  key_id = canopy_key_to_id (manifest->key);
  if (g_strcmp0 (key_id, manifest->sender) != 0)
    return FALSE;
  id = derive_id (manifest, room);
  if (!g_str_equal (id, manifest->id))
    return FALSE;
  signed_fields_init (&f, manifest, room, TRUE);
  ok = canopy_signature_verify (manifest->key, manifest->signature, "canopy-file", f.fields);
  signed_fields_clear (&f);
  return ok;
}

/**
 * canopy_file_manifest_chunk_length:
 * @manifest: a manifest
 * @index: a chunk, below its n_chunks
 *
 * Returns: that chunk's length: chunk_size, or what is left for the last
 */
gsize
canopy_file_manifest_chunk_length (const CanopyFileManifest *manifest,
                                   guint                     index)
{
  guint64 start;

  g_return_val_if_fail (manifest != NULL && index < manifest->n_chunks, 0);

  start = (guint64) index * manifest->chunk_size;
  return (gsize) MIN ((guint64) manifest->chunk_size, manifest->size - start);
}

/**
 * canopy_file_frame_new:
 * @file_id: a file id (32 hex characters)
 * @index: the chunk's index
 * @data: (array length=length): the chunk
 * @length: its length, at most %CANOPY_FILE_CHUNK_MAX
 *
 * Builds a chunk frame: version 1, kind 1, the id's 16 bytes, the index and the length as
 * big-endian 32-bit numbers, then the chunk (docs/protocol.md, "Files").
 *
 * Returns: (transfer full): the frame
 */
GBytes *
canopy_file_frame_new (const char   *file_id,
                       guint32       index,
                       const guint8 *data,
                       gsize         length)
{
  guint8 id[CANOPY_FILE_ID_BYTES];
  guint8 *frame;
  guint32 be;

  g_return_val_if_fail (file_id != NULL && length <= CANOPY_FILE_CHUNK_MAX, NULL);
  g_return_val_if_fail (hex_decode (file_id, id, sizeof id), NULL);

  frame = g_malloc (CANOPY_FILE_FRAME_HEADER_BYTES + length);
  frame[0] = FRAME_VERSION;
  frame[1] = FRAME_KIND_CHUNK;
  memcpy (frame + 2, id, sizeof id);
  be = GUINT32_TO_BE (index);
  memcpy (frame + 18, &be, 4);
  be = GUINT32_TO_BE ((guint32) length);
  memcpy (frame + 22, &be, 4);
  if (length > 0)
    memcpy (frame + CANOPY_FILE_FRAME_HEADER_BYTES, data, length);
  return g_bytes_new_take (frame, CANOPY_FILE_FRAME_HEADER_BYTES + length);
}

/**
 * canopy_file_frame_parse:
 * @frame: an untrusted binary message
 * @file_id: (out caller-allocates): room for %CANOPY_FILE_ID_CHARS + 1 characters
 * @index: (out): the chunk's index
 * @data: (out) (transfer none): the chunk, inside @frame
 * @length: (out): its length
 * @error: return location for a #CanopyError
 *
 * Returns: whether @frame is a whole chunk frame of this version: no shorter or longer than
 *   its header says, a chunk of 1 to %CANOPY_FILE_CHUNK_MAX bytes. Index and length are not
 *   checked against any manifest here.
 */
gboolean
canopy_file_frame_parse (GBytes        *frame,
                         char          *file_id,
                         guint32       *index,
                         const guint8 **data,
                         gsize         *length,
                         GError       **error)
{
  const guint8 *bytes;
  gsize size;
  guint32 be, len;
  g_autofree char *hex = NULL;

  g_return_val_if_fail (frame != NULL && file_id != NULL && index != NULL, FALSE);

  bytes = g_bytes_get_data (frame, &size);
  if (size < CANOPY_FILE_FRAME_HEADER_BYTES)
    return bad (error, CANOPY_ERROR_BAD_MESSAGE, "A chunk frame shorter than its header");
  if (size > CANOPY_FILE_FRAME_BYTES)
    return bad (error, CANOPY_ERROR_TOO_LARGE, "A chunk frame over the limit");
  if (bytes[0] != FRAME_VERSION || bytes[1] != FRAME_KIND_CHUNK)
    return bad (error, CANOPY_ERROR_BAD_MESSAGE, "Not a chunk frame of version 1");
  memcpy (&be, bytes + 18, 4);
  *index = GUINT32_FROM_BE (be);
  memcpy (&be, bytes + 22, 4);
  len = GUINT32_FROM_BE (be);
  if (len == 0 || len > CANOPY_FILE_CHUNK_MAX ||
      (gsize) len != size - CANOPY_FILE_FRAME_HEADER_BYTES)
    return bad (error, CANOPY_ERROR_BAD_MESSAGE, "A chunk frame whose length is not its own");
  hex = hex_encode (bytes + 2, CANOPY_FILE_ID_BYTES);
  memcpy (file_id, hex, CANOPY_FILE_ID_CHARS + 1);
  *data = bytes + CANOPY_FILE_FRAME_HEADER_BYTES;
  *length = len;
  return TRUE;
}

/**
 * canopy_file_bitmap_encode:
 * @bitmap: (array): ceil (@n_chunks / 8) bytes, chunk i at bit 7 - i % 8 of byte i / 8
 * @n_chunks: how many chunks it covers
 *
 * Returns: (transfer full): the bitmap in standard base64, padded
 */
char *
canopy_file_bitmap_encode (const guint8 *bitmap,
                           guint         n_chunks)
{
  return g_base64_encode (bitmap, (n_chunks + 7) / 8);
}

/**
 * canopy_file_bitmap_decode:
 * @text: untrusted base64
 * @n_chunks: how many chunks the file has
 * @error: return location for a #CanopyError
 *
 * Returns: (transfer full): the bitmap, or %NULL with @error set when @text is not exactly the
 *   padded base64 of ceil (@n_chunks / 8) bytes whose bits past @n_chunks are 0
 */
guint8 *
canopy_file_bitmap_decode (const char *text,
                           guint       n_chunks,
                           GError    **error)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  gsize n_bytes = (n_chunks + 7) / 8;
  gsize expected = ((n_bytes + 2) / 3) * 4;
  gsize len = strlen (text), out_len = 0;
  g_autofree guint8 *bitmap = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (len != expected) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "A bitmap of the wrong length");
    return NULL;
  }
  for (gsize i = 0; i < len; i++) {
    gboolean pad_ok = i >= len - 2 && text[i] == '=' && (i == len - 1 || text[i + 1] == '=');

    if (strchr (alphabet, text[i]) == NULL && !pad_ok) {
      bad (error, CANOPY_ERROR_BAD_MESSAGE, "A bitmap that is not base64");
      return NULL;
    }
  }
  if (len == 0)
    return g_malloc0 (1);
  bitmap = g_base64_decode (text, &out_len);
  if (out_len != n_bytes ||
      (n_chunks % 8 != 0 && (bitmap[n_bytes - 1] & (0xff >> (n_chunks % 8))) != 0)) {
    bad (error, CANOPY_ERROR_BAD_MESSAGE, "A bitmap that does not fit the file");
    return NULL;
  }
  return g_steal_pointer (&bitmap);
}
