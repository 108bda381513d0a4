/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Files shared through the tree: the signed manifest and its checks, chunk frames, the
 * receiving side's chunk checks and completion, resuming, the bounded store (and what it tells
 * when it forgets a file), the signed cancel and the host's signed policy. Hostile input
 * throughout: wrong hashes, truncated frames, oversized fields, inconsistent counts, forged
 * signatures, unknown ids, repeats. */
#include "canopy-error.h"
#include "canopy-file-control.h"
#include "canopy-file-store.h"
#include "canopy-file.h"
#include "canopy-json.h"

#include <string.h>

#define ROOM "k7m2q9xa"
#define CHUNK 4096

static GBytes *
make_contents (gsize size)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) size);
  guint8 *data = g_malloc (size);

  /* No two chunks alike. */
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  return g_bytes_new_take (data, size);
}

static CanopyFileManifest *
make_manifest (CanopyIdentity *identity,
               GBytes         *contents)
{
  g_autoptr (GError) error = NULL;
  CanopyFileManifest *m = canopy_file_manifest_new_for_bytes (identity, ROOM, "../holiday.png",
                                                              "Image/PNG", contents, CHUNK,
                                                              1764650000123, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

/* The manifest as it arrives: to JSON text and back. */
static JsonObject *
round_trip_json (const CanopyFileManifest *m)
{
  g_autoptr (JsonObject) json = canopy_file_manifest_to_json (m);
  g_autofree char *text = canopy_json_to_string (json);

  return canopy_json_parse_object (text, -1, CANOPY_FILE_OFFER_BYTES, NULL);
}

static void
test_manifest_round_trip (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (GBytes) contents = make_contents (3 * CHUNK + 100);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);
  g_autoptr (JsonObject) json = round_trip_json (m);
  g_autoptr (CanopyFileManifest) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *whole = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, contents);

  g_assert_cmpuint (m->n_chunks, ==, 4);
  g_assert_cmpuint (canopy_file_manifest_chunk_length (m, 3), ==, 100);
  g_assert_cmpstr (m->name, ==, "_._holiday.png");
  g_assert_cmpstr (m->mime, ==, "image/png");
  g_assert_cmpstr (m->sha256, ==, whole);
  g_assert_cmpuint (strlen (m->id), ==, CANOPY_FILE_ID_CHARS);
  g_assert_true (canopy_file_manifest_verify (m, ROOM));
  /* Another room: another file altogether. */
  g_assert_false (canopy_file_manifest_verify (m, "k7m2q9xb"));

  back = canopy_file_manifest_new_from_json (json, CANOPY_FILE_SIZE_DEFAULT_MAX, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, m->id);
  g_assert_cmpstr (back->name, ==, m->name);
  g_assert_cmpuint (back->size, ==, m->size);
  g_assert_cmpint (memcmp (back->chunk_hashes, m->chunk_hashes, 4 * 32), ==, 0);
  g_assert_true (canopy_file_manifest_verify (back, ROOM));
}

static void
test_clean_name (void)
{
  const char *cases[][2] = {
    { "a/b\\c.txt", "a_b_c.txt" },
    { "..", "_." },
    { ".bashrc", "_bashrc" },
    { "r\xe2\x80\xaegnp.exe", "rgnp.exe" },   /* a right-to-left override removed */
    { "line\nbreak", "line break" },
    { "\xe6\x9c\xa8.txt", "\xe6\x9c\xa8.txt" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *clean = canopy_file_clean_name (cases[i][0]);
    g_autofree char *twice = canopy_file_clean_name (clean);

    g_assert_cmpstr (clean, ==, cases[i][1]);
    g_assert_cmpstr (twice, ==, clean);
  }
}

/* Sets @member of a good offer to @value (JSON), or removes it when NULL, and expects @code. */
static void
expect_refused (const CanopyFileManifest *m,
                const char               *member,
                const char               *value,
                guint64                   max_size,
                CanopyError               code)
{
  g_autoptr (JsonObject) json = round_trip_json (m);
  g_autoptr (CanopyFileManifest) back = NULL;
  g_autoptr (GError) error = NULL;

  if (value == NULL) {
    json_object_remove_member (json, member);
  } else {
    g_autoptr (JsonNode) node = json_from_string (value, NULL);

    g_assert_nonnull (node);
    json_object_set_member (json, member, g_steal_pointer (&node));
  }
  back = canopy_file_manifest_new_from_json (json, max_size, &error);
  if (back != NULL)
    g_error ("%s = %s was taken", member, value ? value : "(none)");
  g_assert_error (error, CANOPY_ERROR, (gint) code);
}

static void
test_manifest_refused (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (GBytes) contents = make_contents (3 * CHUNK + 100);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);
  g_autofree char *long_name = g_strnfill (CANOPY_FILE_NAME_CHARS + 1, 'n');
  g_autofree char *long_name_json = g_strdup_printf ("\"%s\"", long_name);
  g_autofree char *five = NULL;
  g_autofree char *three = NULL;
  const char *h = "\"0000000000000000000000000000000000000000000000000000000000000000\"";

  five = g_strdup_printf ("[%s,%s,%s,%s,%s]", h, h, h, h, h);
  three = g_strdup_printf ("[%s,%s,%s]", h, h, h);

  /* Missing members. */
  for (guint i = 0; i < 8; i++) {
    const char *required[] = { "id", "sender", "name", "size", "mime", "chunk", "chunks",
                               "sha256" };

    expect_refused (m, required[i], NULL, CANOPY_FILE_SIZE_DEFAULT_MAX,
                    CANOPY_ERROR_BAD_MESSAGE);
  }
  /* Formats. */
  expect_refused (m, "id", "\"0123456789ABCDEF0123456789abcdef\"", G_MAXUINT64,
                  CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "id", "\"0123456789abcdef\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "sha256", "\"xyz\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "sender", "\"not an id\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "mime", "\"image\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "mime", "\"Image/PNG\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "mime", "\"a/b/c\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "name", "\"\\u202e\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "size", "\"12\"", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "size", "0", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "size", "-5", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "time", "-1", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "chunks", "[1,2,3,4]", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "chunks", "[[],{},null,\"\"]", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  /* Oversized fields and files. */
  expect_refused (m, "name", long_name_json, G_MAXUINT64, CANOPY_ERROR_TOO_LARGE);
  expect_refused (m, "size", "3000", 2999, CANOPY_ERROR_TOO_LARGE);
  expect_refused (m, "chunk", "1048576", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "chunk", "16", G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  /* Counts that do not match size / chunk. */
  expect_refused (m, "chunks", five, G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "chunks", three, G_MAXUINT64, CANOPY_ERROR_BAD_MESSAGE);
  expect_refused (m, "size", "1073741825", G_MAXUINT64, CANOPY_ERROR_TOO_LARGE);
  /* A file of 1 GiB in chunks of 1 KiB would be 2^20 hashes. */
  {
    g_autoptr (JsonObject) json = round_trip_json (m);
    g_autoptr (GError) error = NULL;

    json_object_set_int_member (json, "size", 1024 * 1024 * 1024);
    json_object_set_int_member (json, "chunk", 1024);
    g_assert_null (canopy_file_manifest_new_from_json (json, G_MAXUINT64, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  }
}

/* Well-formed but not the sender's: every signed field changed, a key that is not the sender's,
 * a signature of another domain. */
static void
test_manifest_forged (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (CanopyIdentity) mallory = canopy_identity_new ();
  g_autoptr (GBytes) contents = make_contents (2 * CHUNK);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);
  g_autoptr (CanopyFileManifest) copy = NULL;
  const char *fields[] = { "x", NULL };

  copy = canopy_file_manifest_copy (m);
  g_free (copy->name);
  copy->name = g_strdup ("other.png");
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  copy = canopy_file_manifest_copy (m);
  copy->chunk_hashes[5] ^= 1;
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  copy = canopy_file_manifest_copy (m);
  copy->size--;
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  copy = canopy_file_manifest_copy (m);
  copy->time++;
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  /* Mallory re-signs Ana's file under Ana's id: her key is not Ana's. */
  copy = canopy_file_manifest_copy (m);
  g_free (copy->key);
  copy->key = g_strdup (canopy_identity_get_public_key (mallory));
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  /* ...nor can anyone keep the signature and change the id. */
  copy = canopy_file_manifest_copy (m);
  copy->id[0] = copy->id[0] == 'a' ? 'b' : 'a';
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  copy = canopy_file_manifest_copy (m);
  g_free (copy->signature);
  copy->signature = canopy_identity_sign (identity, "canopy-chat", fields);
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  copy = canopy_file_manifest_copy (m);
  g_clear_pointer (&copy->signature, g_free);
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
  g_clear_pointer (&copy, canopy_file_manifest_free);

  copy = canopy_file_manifest_copy (m);
  g_free (copy->key);
  copy->key = g_strdup ("short");
  g_assert_false (canopy_file_manifest_verify (copy, ROOM));
}

static void
test_frame (void)
{
  const char *id = "00112233445566778899aabbccddeeff";
  guint8 chunk[100];
  g_autoptr (GBytes) frame = NULL;
  const guint8 *bytes, *data = NULL;
  gsize size, length = 0;
  guint32 index = 0;
  char parsed[CANOPY_FILE_ID_CHARS + 1];
  g_autoptr (GError) error = NULL;

  memset (chunk, 0x5a, sizeof chunk);
  frame = canopy_file_frame_new (id, 0x01020304, chunk, sizeof chunk);
  bytes = g_bytes_get_data (frame, &size);
  /* The header, byte for byte. */
  g_assert_cmpuint (size, ==, 26 + 100);
  g_assert_cmpuint (bytes[0], ==, 1);
  g_assert_cmpuint (bytes[1], ==, 1);
  g_assert_cmpuint (bytes[2], ==, 0x00);
  g_assert_cmpuint (bytes[17], ==, 0xff);
  g_assert_cmpuint (bytes[18], ==, 0x01);
  g_assert_cmpuint (bytes[21], ==, 0x04);
  g_assert_cmpuint (bytes[24], ==, 0);
  g_assert_cmpuint (bytes[25], ==, 100);

  g_assert_true (canopy_file_frame_parse (frame, parsed, &index, &data, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (parsed, ==, id);
  g_assert_cmpuint (index, ==, 0x01020304);
  g_assert_cmpuint (length, ==, 100);
  g_assert_cmpint (memcmp (data, chunk, 100), ==, 0);

  /* Truncated anywhere, one byte too many, another version, a length not its own. */
  for (gsize cut = 0; cut < size; cut += 7) {
    g_autoptr (GBytes) truncated = g_bytes_new (bytes, cut);

    g_assert_false (canopy_file_frame_parse (truncated, parsed, &index, &data, &length, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
    g_clear_error (&error);
  }
  {
    g_autofree guint8 *longer = g_malloc0 (size + 1);
    g_autoptr (GBytes) b = NULL;

    memcpy (longer, bytes, size);
    b = g_bytes_new (longer, size + 1);
    g_assert_false (canopy_file_frame_parse (b, parsed, &index, &data, &length, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
    g_clear_error (&error);
  }
  {
    g_autofree guint8 *copy = g_memdup2 (bytes, size);
    g_autoptr (GBytes) b = NULL;

    copy[0] = 2;
    b = g_bytes_new (copy, size);
    g_assert_false (canopy_file_frame_parse (b, parsed, &index, &data, &length, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
    g_clear_error (&error);
  }
  {
    /* A header claiming 4 GiB. */
    g_autofree guint8 *copy = g_memdup2 (bytes, size);
    g_autoptr (GBytes) b = NULL;

    copy[22] = 0xff;
    b = g_bytes_new (copy, size);
    g_assert_false (canopy_file_frame_parse (b, parsed, &index, &data, &length, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
    g_clear_error (&error);
  }
  {
    g_autofree guint8 *huge = g_malloc0 (CANOPY_FILE_FRAME_BYTES + 1);
    g_autoptr (GBytes) b = g_bytes_new_take (g_steal_pointer (&huge), CANOPY_FILE_FRAME_BYTES + 1);

    g_assert_false (canopy_file_frame_parse (b, parsed, &index, &data, &length, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
    g_clear_error (&error);
  }
  {
    /* An empty chunk is no chunk. */
    g_autoptr (GBytes) empty = canopy_file_frame_new (id, 0, NULL, 0);

    g_assert_false (canopy_file_frame_parse (empty, parsed, &index, &data, &length, &error));
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  }
}

/* Feeds @frame to @transfer as a node does: parse, then match the id. */
static CanopyFileChunkResult
feed (CanopyFileTransfer *transfer,
      GBytes             *frame)
{
  char id[CANOPY_FILE_ID_CHARS + 1];
  guint32 index;
  const guint8 *data;
  gsize length;

  g_assert_true (canopy_file_frame_parse (frame, id, &index, &data, &length, NULL));
  g_assert_cmpstr (id, ==, canopy_file_transfer_get_manifest (transfer)->id);
  return canopy_file_transfer_add_chunk (transfer, index, data, length);
}

static void
test_transfer (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (GBytes) contents = make_contents (5 * CHUNK + 1);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyFileTransfer) sender = canopy_file_transfer_new_complete (m, contents, &error);
  g_autoptr (CanopyFileTransfer) receiver = canopy_file_transfer_new (m);
  g_autoptr (GBytes) got = NULL;
  g_autofree guint8 *bad = g_malloc (CHUNK);
  guint64 last = 0;

  g_assert_no_error (error);
  g_assert_cmpint (canopy_file_transfer_get_state (sender), ==, CANOPY_FILE_STATE_COMPLETE);
  g_assert_cmpuint (m->n_chunks, ==, 6);

  /* A wrong chunk (right length, wrong bytes) is refused and counted. */
  memset (bad, 0, CHUNK);
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 0, bad, CHUNK), ==,
                   CANOPY_FILE_CHUNK_BAD_HASH);
  g_assert_cmpuint (canopy_file_transfer_get_bad_chunks (receiver), ==, 1);
  g_assert_false (canopy_file_transfer_has_chunk (receiver, 0));
  /* Chunk 1's bytes sent as chunk 0. */
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 0, g_bytes_get_data (contents, NULL) +
                                                   CHUNK, CHUNK), ==, CANOPY_FILE_CHUNK_BAD_HASH);
  /* Out of range: an index past the end, a length not the chunk's. */
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 6, bad, 1), ==,
                   CANOPY_FILE_CHUNK_OUT_OF_RANGE);
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, G_MAXUINT32, bad, 1), ==,
                   CANOPY_FILE_CHUNK_OUT_OF_RANGE);
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 5, bad, 2), ==,
                   CANOPY_FILE_CHUNK_OUT_OF_RANGE);
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 0, bad, CHUNK - 1), ==,
                   CANOPY_FILE_CHUNK_OUT_OF_RANGE);

  /* Out of order, with repeats: each kept once, progress only grows. */
  for (guint round = 0; round < 2; round++) {
    for (gint i = 5; i >= 0; i--) {
      g_autoptr (GBytes) frame = canopy_file_transfer_get_frame (sender, (guint) i);
      CanopyFileChunkResult r = feed (receiver, frame);

      g_assert_cmpint (r, ==, round == 0 ? CANOPY_FILE_CHUNK_NEW : CANOPY_FILE_CHUNK_DUPLICATE);
      g_assert_cmpuint (canopy_file_transfer_get_bytes_have (receiver), >=, last);
      last = canopy_file_transfer_get_bytes_have (receiver);
      if (round == 0 && i > 0)
        g_assert_cmpint (canopy_file_transfer_get_state (receiver), ==,
                         CANOPY_FILE_STATE_INCOMPLETE);
    }
  }
  g_assert_cmpuint (last, ==, 5 * CHUNK + 1);
  g_assert_cmpint (canopy_file_transfer_get_state (receiver), ==, CANOPY_FILE_STATE_COMPLETE);
  got = canopy_file_transfer_get_contents (receiver);
  g_assert_true (g_bytes_equal (got, contents));
  g_assert_cmpuint (canopy_file_transfer_get_bad_chunks (receiver), ==, 2);

  /* A sender's manifest that does not describe its file. */
  {
    g_autoptr (GBytes) other = make_contents (5 * CHUNK);
    CanopyFileTransfer *t = canopy_file_transfer_new_complete (m, other, &error);

    g_assert_null (t);
    g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  }
}

/* A sender whose chunk hashes are right but whose whole-file hash is not: complete, failed. */
static void
test_transfer_whole_mismatch (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (GBytes) contents = make_contents (2 * CHUNK);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);
  g_autoptr (CanopyFileTransfer) receiver = NULL;
  const guint8 *data = g_bytes_get_data (contents, NULL);

  m->sha256[0] = m->sha256[0] == '0' ? '1' : '0';
  receiver = canopy_file_transfer_new (m);
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 0, data, CHUNK), ==,
                   CANOPY_FILE_CHUNK_NEW);
  g_assert_cmpint (canopy_file_transfer_add_chunk (receiver, 1, data + CHUNK, CHUNK), ==,
                   CANOPY_FILE_CHUNK_NEW);
  g_assert_cmpint (canopy_file_transfer_get_state (receiver), ==, CANOPY_FILE_STATE_FAILED);
  g_assert_null (canopy_file_transfer_get_contents (receiver));
}

/* A node that lost its parent half way asks the new one for what it lacks, and gets exactly
 * that. */
static void
test_resume (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (GBytes) contents = make_contents (20 * CHUNK + 10);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);
  g_autoptr (CanopyFileTransfer) parent = canopy_file_transfer_new_complete (m, contents, NULL);
  g_autoptr (CanopyFileTransfer) child = canopy_file_transfer_new (m);
  g_autoptr (GArray) missing = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *have = NULL;
  g_autofree char *empty = NULL;

  g_assert_cmpuint (m->n_chunks, ==, 21);
  for (guint i = 0; i < 21; i += 3) {
    g_autoptr (GBytes) frame = canopy_file_transfer_get_frame (parent, i);

    g_assert_cmpint (feed (child, frame), ==, CANOPY_FILE_CHUNK_NEW);
  }
  have = canopy_file_transfer_get_have (child);
  g_assert_cmpuint (strlen (have), ==, 4); /* 3 bytes of bitmap */
  missing = canopy_file_transfer_missing_from (parent, have, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (missing->len, ==, 21 - 7);
  for (guint i = 0; i < missing->len; i++) {
    guint index = g_array_index (missing, guint, i);
    g_autoptr (GBytes) frame = canopy_file_transfer_get_frame (parent, index);

    g_assert_cmpuint (index % 3, !=, 0);
    g_assert_cmpint (feed (child, frame), ==, CANOPY_FILE_CHUNK_NEW);
  }
  g_assert_cmpint (canopy_file_transfer_get_state (child), ==, CANOPY_FILE_STATE_COMPLETE);
  /* The child has nothing the parent lacks. */
  g_clear_pointer (&have, g_free);
  have = canopy_file_transfer_get_have (parent);
  g_clear_pointer (&missing, g_array_unref);
  missing = canopy_file_transfer_missing_from (child, have, &error);
  g_assert_cmpuint (missing->len, ==, 0);

  /* Malformed bitmaps: wrong length, not base64, bits past the last chunk. */
  {
    const char *bad[] = { "", "AAAAAA==", "AA=A", "AA!A", "AAAB", "////" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      GArray *none = canopy_file_transfer_missing_from (parent, bad[i], &error);

      if (none != NULL)
        g_error ("bitmap %s was taken", bad[i]);
      g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
      g_clear_error (&error);
    }
  }
  empty = canopy_file_bitmap_encode ((const guint8 *) "\0\0\0", 21);
  g_clear_pointer (&missing, g_array_unref);
  missing = canopy_file_transfer_missing_from (parent, empty, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (missing->len, ==, 21);
}

static CanopyFileTransfer *
transfer_of_size (CanopyIdentity *identity,
                  gsize           size)
{
  g_autoptr (GBytes) contents = make_contents (size);
  g_autoptr (CanopyFileManifest) m = make_manifest (identity, contents);

  return canopy_file_transfer_new (m);
}

static void
test_store (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (CanopyFileStore) store = canopy_file_store_new (10 * CHUNK, 3, 60 * G_USEC_PER_SEC);
  g_autoptr (CanopyFileTransfer) a = transfer_of_size (identity, 4 * CHUNK);
  g_autoptr (CanopyFileTransfer) b = transfer_of_size (identity, 4 * CHUNK + 1);
  g_autoptr (CanopyFileTransfer) c = transfer_of_size (identity, 4 * CHUNK + 2);
  g_autoptr (CanopyFileTransfer) huge = transfer_of_size (identity, 11 * CHUNK);
  g_autoptr (CanopyFileTransfer) d = transfer_of_size (identity, 1);
  g_autoptr (CanopyFileTransfer) e = transfer_of_size (identity, 2);
  g_autoptr (CanopyFileTransfer) f = transfer_of_size (identity, 3);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  const char *id_a = canopy_file_transfer_get_manifest (a)->id;

  g_assert_true (canopy_file_store_add (store, a, 1000, &error));
  g_assert_true (canopy_file_store_lookup (store, id_a) == a);
  g_assert_null (canopy_file_store_lookup (store, "00000000000000000000000000000000"));
  g_assert_null (canopy_file_store_lookup (store, NULL));
  /* The same id twice. */
  g_assert_false (canopy_file_store_add (store, a, 1000, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  /* Larger than the whole store. */
  g_assert_false (canopy_file_store_add (store, huge, 1000, &error));
  g_assert_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* By bytes: c pushes a out. */
  g_assert_true (canopy_file_store_add (store, b, 2000, NULL));
  g_assert_true (canopy_file_store_add (store, c, 3000, NULL));
  g_assert_null (canopy_file_store_lookup (store, id_a));
  g_assert_cmpuint (canopy_file_store_get_bytes (store), ==, 8 * CHUNK + 3);
  /* By count: 3 at most. */
  g_assert_true (canopy_file_store_add (store, d, 4000, NULL));
  g_assert_true (canopy_file_store_add (store, e, 5000, NULL));
  list = canopy_file_store_list (store);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_true (g_ptr_array_index (list, 0) == c);
  g_assert_true (g_ptr_array_index (list, 2) == e);
  /* By age. */
  canopy_file_store_expire (store, 3000 + 60 * G_USEC_PER_SEC + 1);
  g_assert_null (canopy_file_store_lookup (store, canopy_file_transfer_get_manifest (c)->id));
  g_assert_nonnull (canopy_file_store_lookup (store, canopy_file_transfer_get_manifest (d)->id));
  g_assert_true (canopy_file_store_add (store, f, 4000 + 60 * G_USEC_PER_SEC + 1, NULL));
  g_assert_null (canopy_file_store_lookup (store, canopy_file_transfer_get_manifest (d)->id));
  g_assert_cmpuint (canopy_file_store_get_bytes (store), ==, 5);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_clear_object (&store);
  g_assert_finalize_object (g_steal_pointer (&a));
  g_assert_finalize_object (g_steal_pointer (&f));
}

static void
on_forgotten (CanopyFileStore    *store,
              CanopyFileTransfer *transfer,
              gpointer            user_data)
{
  g_ptr_array_add (user_data, g_strdup (canopy_file_transfer_get_manifest (transfer)->id));
}

/* The store says what it forgets (by age or for room), but not what is taken out on purpose. */
static void
test_store_forgotten (void)
{
  g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
  g_autoptr (CanopyFileStore) store = canopy_file_store_new (10 * CHUNK, 2, 60 * G_USEC_PER_SEC);
  g_autoptr (CanopyFileTransfer) a = transfer_of_size (identity, 10);
  g_autoptr (CanopyFileTransfer) b = transfer_of_size (identity, 11);
  g_autoptr (CanopyFileTransfer) c = transfer_of_size (identity, 12);
  g_autoptr (GPtrArray) forgotten = g_ptr_array_new_with_free_func (g_free);
  const char *id_a = canopy_file_transfer_get_manifest (a)->id;
  const char *id_b = canopy_file_transfer_get_manifest (b)->id;
  const char *id_c = canopy_file_transfer_get_manifest (c)->id;

  g_signal_connect (store, "forgotten", G_CALLBACK (on_forgotten), forgotten);
  g_assert_true (canopy_file_store_add (store, a, 1000, NULL));
  g_assert_true (canopy_file_store_add (store, b, 2000, NULL));
  g_assert_true (canopy_file_store_add (store, c, 3000, NULL));
  g_assert_cmpuint (forgotten->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (forgotten, 0), ==, id_a);
  /* Taken out on purpose (a cancel): no signal, the bytes freed, a second time nothing. */
  g_assert_true (canopy_file_store_remove (store, id_b));
  g_assert_false (canopy_file_store_remove (store, id_b));
  g_assert_false (canopy_file_store_remove (store, "00000000000000000000000000000000"));
  g_assert_null (canopy_file_store_lookup (store, id_b));
  g_assert_cmpuint (canopy_file_store_get_bytes (store), ==, 12);
  g_assert_cmpuint (forgotten->len, ==, 1);
  canopy_file_store_expire (store, 3000 + 60 * G_USEC_PER_SEC + 1);
  g_assert_cmpuint (forgotten->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (forgotten, 1), ==, id_c);
  g_assert_cmpuint (canopy_file_store_get_bytes (store), ==, 0);
  g_clear_object (&store);
  g_assert_finalize_object (g_steal_pointer (&a));
  g_assert_finalize_object (g_steal_pointer (&b));
  g_assert_finalize_object (g_steal_pointer (&c));
}

#define FILE_ID "21eb87b0380537f266254c0ed3d2cf86"

static CanopyFileCancel *
check_cancel (JsonObject *json,
              const char *room,
              CanopyError expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = canopy_json_to_string (json);
  g_autoptr (JsonObject) parsed = canopy_json_parse_object (text, -1, 4096, &error);
  CanopyFileCancel *cancel;

  g_assert_no_error (error);
  cancel = canopy_file_cancel_check (parsed, room, &error);
  if (expected == CANOPY_ERROR_FAILED) {
    g_assert_no_error (error);
    g_assert_nonnull (cancel);
  } else {
    g_assert_error (error, CANOPY_ERROR, (gint) expected);
    g_assert_null (cancel);
  }
  return cancel;
}

/* A cancel holds for its signer's key only: in this room, for this id, named by its signer. */
static void
test_cancel (void)
{
  g_autoptr (CanopyIdentity) sender = canopy_identity_new ();
  g_autoptr (CanopyIdentity) other = canopy_identity_new ();
  g_autoptr (JsonObject) json = canopy_file_cancel_make (sender, ROOM, FILE_ID, 1764650000123);
  g_autoptr (CanopyFileCancel) cancel = NULL;

  g_assert_cmpstr (json_object_get_string_member (json, "type"), ==, "file-cancel");
  cancel = check_cancel (json, ROOM, CANOPY_ERROR_FAILED);
  g_assert_cmpstr (cancel->id, ==, FILE_ID);
  g_assert_cmpstr (cancel->by, ==, canopy_identity_get_id (sender));
  g_assert_cmpint (cancel->time, ==, 1764650000123);
  /* Another room. */
  check_cancel (json, "otherroo", CANOPY_ERROR_FORBIDDEN);
  /* Another file, the signature kept. */
  json_object_set_string_member (json, "id", "31eb87b0380537f266254c0ed3d2cf86");
  check_cancel (json, ROOM, CANOPY_ERROR_FORBIDDEN);
  json_object_set_string_member (json, "id", FILE_ID);
  /* Another time. */
  json_object_set_int_member (json, "time", 1764650000124);
  check_cancel (json, ROOM, CANOPY_ERROR_FORBIDDEN);
  json_object_set_int_member (json, "time", 1764650000123);
  /* Signed by one peer in another's name: the key is not `by`'s. */
  json_object_set_string_member (json, "by", canopy_identity_get_id (other));
  check_cancel (json, ROOM, CANOPY_ERROR_FORBIDDEN);
  {
    g_autoptr (JsonObject) forged = canopy_file_cancel_make (other, ROOM, FILE_ID, 1);

    /* ...or `by` and key the other's, the signature the sender's. */
    json_object_set_string_member (forged, "sig", json_object_get_string_member (json, "sig"));
    check_cancel (forged, ROOM, CANOPY_ERROR_FORBIDDEN);
  }
  json_object_set_string_member (json, "by", canopy_identity_get_id (sender));
  canopy_file_cancel_free (check_cancel (json, ROOM, CANOPY_ERROR_FAILED));
  /* Malformed members. */
  json_object_set_string_member (json, "id", "21EB87B0380537F266254C0ED3D2CF86");
  check_cancel (json, ROOM, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_string_member (json, "id", "../../etc/passwd");
  check_cancel (json, ROOM, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_string_member (json, "id", FILE_ID);
  json_object_set_int_member (json, "time", -1);
  check_cancel (json, ROOM, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_int_member (json, "time", 1764650000123);
  json_object_remove_member (json, "sig");
  check_cancel (json, ROOM, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_int_member (json, "sig", 5);
  check_cancel (json, ROOM, CANOPY_ERROR_BAD_MESSAGE);
}

static gboolean
check_policy (JsonObject *json,
              const char *host,
              gboolean   *allowed,
              guint64    *max_size,
              CanopyError expected)
{
  g_autoptr (GError) error = NULL;
  guint64 version = 0;
  gboolean ok = canopy_file_policy_check (json, ROOM, host, &version, allowed, max_size, &error);

  if (expected == CANOPY_ERROR_FAILED) {
    g_assert_no_error (error);
    g_assert_true (ok);
    g_assert_cmpuint (version, ==, 7);
  } else {
    g_assert_error (error, CANOPY_ERROR, (gint) expected);
    g_assert_false (ok);
  }
  return ok;
}

/* The host's policy holds for the host's key only, exactly as signed, within 1 GiB. */
static void
test_policy (void)
{
  g_autoptr (CanopyIdentity) host = canopy_identity_new ();
  g_autoptr (CanopyIdentity) relay = canopy_identity_new ();
  const char *host_id = canopy_identity_get_id (host);
  g_autoptr (JsonObject) json = canopy_file_policy_make (host, ROOM, 7, FALSE, 5 * 1024 * 1024);
  g_autoptr (JsonObject) forged = canopy_file_policy_make (relay, ROOM, 7, TRUE,
                                                           CANOPY_FILE_SIZE_MAX);
  gboolean allowed = TRUE;
  guint64 max_size = 0;

  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_FAILED);
  g_assert_false (allowed);
  g_assert_cmpuint (max_size, ==, 5 * 1024 * 1024);
  /* Not the host's key, or the host's key for another host. */
  check_policy (forged, host_id, &allowed, &max_size, CANOPY_ERROR_FORBIDDEN);
  check_policy (json, canopy_identity_get_id (relay), &allowed, &max_size,
                CANOPY_ERROR_FORBIDDEN);
  check_policy (json, NULL, &allowed, &max_size, CANOPY_ERROR_FORBIDDEN);
  /* A relay that turns files on, or raises the limit, under the host's signature. */
  json_object_set_boolean_member (json, "allowed", TRUE);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_FORBIDDEN);
  json_object_set_boolean_member (json, "allowed", FALSE);
  json_object_set_int_member (json, "max", 6 * 1024 * 1024);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_FORBIDDEN);
  json_object_set_int_member (json, "max", 5 * 1024 * 1024);
  json_object_set_int_member (json, "version", 8);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_FORBIDDEN);
  json_object_set_int_member (json, "version", 7);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_FAILED);
  /* Out of range, or of the wrong type. */
  json_object_set_int_member (json, "max", (gint64) CANOPY_FILE_SIZE_MAX + 1);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_int_member (json, "max", 0);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_int_member (json, "max", 5 * 1024 * 1024);
  json_object_set_string_member (json, "allowed", "no");
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_BAD_MESSAGE);
  json_object_set_boolean_member (json, "allowed", FALSE);
  json_object_set_int_member (json, "version", 0);
  check_policy (json, host_id, &allowed, &max_size, CANOPY_ERROR_BAD_MESSAGE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file/manifest-round-trip", test_manifest_round_trip);
  g_test_add_func ("/file/clean-name", test_clean_name);
  g_test_add_func ("/file/manifest-refused", test_manifest_refused);
  g_test_add_func ("/file/manifest-forged", test_manifest_forged);
  g_test_add_func ("/file/frame", test_frame);
  g_test_add_func ("/file/transfer", test_transfer);
  g_test_add_func ("/file/transfer-whole-mismatch", test_transfer_whole_mismatch);
  g_test_add_func ("/file/resume", test_resume);
  g_test_add_func ("/file/store", test_store);
  g_test_add_func ("/file/store-forgotten", test_store_forgotten);
  g_test_add_func ("/file/cancel", test_cancel);
  g_test_add_func ("/file/policy", test_policy);
  return g_test_run ();
}
