/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keys, ids and signatures (canopy-identity.c): the key file, ids derived from keys, and
 * signatures that hold only for their own domain, fields and key. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "canopy-identity.h"
#include "canopy-limits.h"

/* RFC 8032, section 7.1, test 1: the seed and the public key it gives, as URL-safe base64. */
#define RFC_SEED "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC_PUBLIC "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

static char *
temp_path (const char *name)
{
  g_autofree char *dir = g_dir_make_tmp ("canopy-identity-XXXXXX", NULL);

  g_assert_nonnull (dir);
  return g_build_filename (dir, "sub", name, NULL);
}

static void
remove_path (const char *path)
{
  g_autofree char *sub = g_path_get_dirname (path);
  g_autofree char *dir = g_path_get_dirname (sub);

  g_unlink (path);
  g_rmdir (sub);
  g_rmdir (dir);
}

static void
assert_is_key_id (const char *id)
{
  g_assert_cmpuint (strlen (id), ==, CANOPY_KEY_ID_CHARS);
  g_assert_cmpint (id[0], ==, 'p');
  for (const char *p = id + 1; *p; p++)
    g_assert_nonnull (strchr (CANOPY_ID_ALPHABET, *p));
}

static void
test_known_key (void)
{
  g_autofree char *path = temp_path ("rfc.key");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (CanopyIdentity) identity = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "canopy-identity-1 " RFC_SEED "\n", -1, NULL));
  identity = canopy_identity_load (path, FALSE, &error);
  g_assert_no_error (error);
  /* The public key libsodium derives from the RFC's seed is the RFC's. */
  g_assert_cmpstr (canopy_identity_get_public_key (identity), ==, RFC_PUBLIC);
  id = canopy_key_to_id (RFC_PUBLIC);
  g_assert_cmpstr (canopy_identity_get_id (identity), ==, id);
  assert_is_key_id (id);
  remove_path (path);
}

static void
test_file (void)
{
  g_autofree char *path = temp_path ("me.key");
  g_autoptr (CanopyIdentity) made = NULL;
  g_autoptr (CanopyIdentity) again = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  /* Not there: an error, unless asked to create it. */
  g_assert_null (canopy_identity_load (path, FALSE, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);
  made = canopy_identity_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  again = canopy_identity_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (canopy_identity_get_id (again), ==, canopy_identity_get_id (made));
  g_assert_cmpstr (canopy_identity_get_public_key (again), ==,
                   canopy_identity_get_public_key (made));
  assert_is_key_id (canopy_identity_get_id (made));
  g_assert_cmpuint (strlen (canopy_identity_get_public_key (made)), ==, CANOPY_KEY_CHARS);

  /* Anything else in the file is refused, never half-read. */
  for (guint i = 0; i < 4; i++) {
    const char *bad[] = { "", "canopy-identity-1 short", "canopy-identity-2 " RFC_SEED,
                          "canopy-identity-1 " RFC_SEED "AA" };

    g_assert_true (g_file_set_contents (path, bad[i], -1, NULL));
    g_assert_null (canopy_identity_load (path, TRUE, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  remove_path (path);
}

static void
test_ids (void)
{
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Different keys, different ids; the same key, the same id. */
  for (guint i = 0; i < 200; i++) {
    g_autoptr (CanopyIdentity) identity = canopy_identity_new ();
    g_autofree char *id = canopy_key_to_id (canopy_identity_get_public_key (identity));

    g_assert_cmpstr (id, ==, canopy_identity_get_id (identity));
    assert_is_key_id (id);
    g_assert_true (g_hash_table_add (ids, g_steal_pointer (&id)));
  }
  /* Not a key: no id. */
  g_assert_null (canopy_key_to_id (NULL));
  g_assert_null (canopy_key_to_id (""));
  g_assert_null (canopy_key_to_id (RFC_PUBLIC "A"));
  g_assert_null (canopy_key_to_id ("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"));
  g_assert_null (canopy_key_to_id ("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
  g_assert_null (canopy_key_to_id ("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="));
}

static void
test_signatures (void)
{
  g_autoptr (CanopyIdentity) alice = canopy_identity_new ();
  g_autoptr (CanopyIdentity) mallory = canopy_identity_new ();
  const char *fields[] = { "p2x7kq9mzab", "12", "hello", NULL };
  const char *altered[] = { "p2x7kq9mzab", "12", "hellO", NULL };
  const char *shifted[] = { "p2x7kq9mzab", "1", "2hello", NULL };
  const char *fewer[] = { "p2x7kq9mzab", "12", NULL };
  g_autofree char *sig = canopy_identity_sign (alice, "canopy-chat", fields);
  g_autofree char *forged = canopy_identity_sign (mallory, "canopy-chat", fields);
  const char *key = canopy_identity_get_public_key (alice);
  g_autofree char *flipped = g_strdup (sig);

  g_assert_cmpuint (strlen (sig), ==, CANOPY_SIGNATURE_CHARS);
  g_assert_true (canopy_signature_verify (key, sig, "canopy-chat", fields));
  /* Another text, other field boundaries, fewer fields, another domain, another key. */
  g_assert_false (canopy_signature_verify (key, sig, "canopy-chat", altered));
  g_assert_false (canopy_signature_verify (key, sig, "canopy-chat", shifted));
  g_assert_false (canopy_signature_verify (key, sig, "canopy-chat", fewer));
  g_assert_false (canopy_signature_verify (key, sig, "canopy-map", fields));
  g_assert_false (canopy_signature_verify (key, forged, "canopy-chat", fields));
  g_assert_true (canopy_signature_verify (canopy_identity_get_public_key (mallory), forged,
                                          "canopy-chat", fields));
  /* One character of the signature changed; malformed keys and signatures. */
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  g_assert_false (canopy_signature_verify (key, flipped, "canopy-chat", fields));
  g_assert_false (canopy_signature_verify (key, NULL, "canopy-chat", fields));
  g_assert_false (canopy_signature_verify (NULL, sig, "canopy-chat", fields));
  g_assert_false (canopy_signature_verify ("not a key", sig, "canopy-chat", fields));
  g_assert_false (canopy_signature_verify (key, "not a signature", "canopy-chat", fields));
  g_assert_false (canopy_signature_verify (key, "", "canopy-chat", fields));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/identity/known-key", test_known_key);
  g_test_add_func ("/identity/file", test_file);
  g_test_add_func ("/identity/ids", test_ids);
  g_test_add_func ("/identity/signatures", test_signatures);
  return g_test_run ();
}
