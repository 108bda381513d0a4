/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyIdentity"

#include "canopy-identity.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "canopy-error.h"
#include "canopy-limits.h"

/*
 * A peer's identity: an Ed25519 key pair (libsodium). The peer id is derived from the public
 * key, so an id cannot be claimed without the key: the server makes each connection sign a
 * challenge before it gets its id, and chat and maps carry signatures every receiver checks.
 *
 * What is signed is never JSON text (which has many spellings) but a domain string and a list
 * of fields, each written as its length in decimal, ':' and its bytes: "canopy-chat\0" then
 * "11:p2x7kq9mzab" "2:12" ... A signature for one purpose can never pass for another, and no
 * two lists of fields encode alike.
 *
 * The key file holds one line, "canopy-identity-1 " and the 32-byte seed in base64, and is
 * written with mode 0600.
 */

#define FILE_TAG "canopy-identity-1 "
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

struct _CanopyIdentity {
  GObject parent_instance;

  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
  char public_text[CANOPY_KEY_CHARS + 1];
  char *id;
};

G_DEFINE_FINAL_TYPE (CanopyIdentity, canopy_identity, G_TYPE_OBJECT)

static void
init_sodium (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    if (sodium_init () < 0)
      g_error ("libsodium could not be initialized");
    g_once_init_leave (&done, 1);
  }
}

static void
canopy_identity_finalize (GObject *object)
{
  CanopyIdentity *self = CANOPY_IDENTITY (object);

  sodium_memzero (self->secret_key, sizeof self->secret_key);
  g_free (self->id);
  G_OBJECT_CLASS (canopy_identity_parent_class)->finalize (object);
}

static void
canopy_identity_class_init (CanopyIdentityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = canopy_identity_finalize;
}

static void
canopy_identity_init (CanopyIdentity *self)
{
}

/* Decodes exactly @len bytes of unpadded URL-safe base64 (@text must be nothing else). */
static gboolean
decode_exact (const char *text,
              guint8     *out,
              gsize       len)
{
  gsize got = 0;
  const char *end = NULL;

  if (text == NULL)
    return FALSE;
  if (sodium_base642bin (out, len, text, strlen (text), NULL, &got, &end, B64_VARIANT) != 0)
    return FALSE;
  return got == len && end != NULL && *end == '\0';
}

static char *
encode (const guint8 *bytes,
        gsize         len)
{
  gsize size = sodium_base64_ENCODED_LEN (len, B64_VARIANT);
  char *text = g_malloc (size);

  sodium_bin2base64 (text, size, bytes, len, B64_VARIANT);
  return text;
}

/* "p" and 16 characters of the id alphabet: the first 80 bits of BLAKE2b(key) as a number,
 * written in base 31, most significant digit first. */
static char *
id_for_key_bytes (const guint8 *public_key)
{
  static const char alphabet[] = CANOPY_ID_ALPHABET;
  const guint base = sizeof alphabet - 1;
  guint8 number[10];
  char *id = g_malloc (CANOPY_KEY_ID_CHARS + 1);

  crypto_generichash (number, sizeof number, public_key, crypto_sign_PUBLICKEYBYTES, NULL, 0);
  id[0] = 'p';
  for (guint i = CANOPY_KEY_ID_CHARS - 1; i >= 1; i--) {
    guint rem = 0;

    /* number /= base, long division a byte at a time; the remainder is the digit. */
    for (guint j = 0; j < sizeof number; j++) {
      guint value = (rem << 8) | number[j];

      number[j] = (guint8) (value / base);
      rem = value % base;
    }
    id[i] = alphabet[rem];
  }
  id[CANOPY_KEY_ID_CHARS] = '\0';
  return id;
}

static CanopyIdentity *
identity_from_seed (const guint8 *seed)
{
  CanopyIdentity *self = g_object_new (CANOPY_TYPE_IDENTITY, NULL);
  g_autofree char *text = NULL;

  crypto_sign_seed_keypair (self->public_key, self->secret_key, seed);
  text = encode (self->public_key, sizeof self->public_key);
  g_strlcpy (self->public_text, text, sizeof self->public_text);
  self->id = id_for_key_bytes (self->public_key);
  return self;
}

/**
 * canopy_identity_new:
 *
 * Returns: (transfer full): a new random identity, kept in memory only
 */
CanopyIdentity *
canopy_identity_new (void)
{
  guint8 seed[crypto_sign_SEEDBYTES];
  CanopyIdentity *self;

  init_sodium ();
  randombytes_buf (seed, sizeof seed);
  self = identity_from_seed (seed);
  sodium_memzero (seed, sizeof seed);
  return self;
}

/**
 * canopy_identity_load:
 * @path: a key file
 * @create: make a new identity and save it at @path when there is no file there
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the identity in @path
 */
CanopyIdentity *
canopy_identity_load (const char *path,
                      gboolean    create,
                      GError    **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  guint8 seed[crypto_sign_SEEDBYTES];
  CanopyIdentity *self;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  init_sodium ();

  if (!g_file_get_contents (path, &contents, &len, &local_error)) {
    if (create && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_autoptr (CanopyIdentity) fresh = canopy_identity_new ();
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0700) != 0) {
        g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FAILED, "Cannot create %s: %s", dir,
                     g_strerror (errno));
        return NULL;
      }
      if (!canopy_identity_save (fresh, path, error))
        return NULL;
      return g_steal_pointer (&fresh);
    }
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  g_strchomp (contents);
  if (!g_str_has_prefix (contents, FILE_TAG) ||
      !decode_exact (contents + strlen (FILE_TAG), seed, sizeof seed)) {
    sodium_memzero (contents, len);
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_FAILED, "%s is not a Canopy identity file",
                 path);
    return NULL;
  }
  sodium_memzero (contents, len);
  self = identity_from_seed (seed);
  sodium_memzero (seed, sizeof seed);
  return self;
}

/**
 * canopy_identity_save:
 * @self: an identity
 * @path: where to write it (replaced atomically, mode 0600)
 * @error: return location for a #GError
 *
 * Returns: whether it was written
 */
gboolean
canopy_identity_save (CanopyIdentity *self,
                      const char     *path,
                      GError        **error)
{
  g_autofree char *seed_text = NULL;
  g_autofree char *contents = NULL;
  gboolean ok;

  g_return_val_if_fail (CANOPY_IS_IDENTITY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* libsodium's secret key is the seed followed by the public key. */
  seed_text = encode (self->secret_key, crypto_sign_SEEDBYTES);
  contents = g_strconcat (FILE_TAG, seed_text, "\n", NULL);
  ok = g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                 0600, error);
  sodium_memzero (seed_text, strlen (seed_text));
  sodium_memzero (contents, strlen (contents));
  return ok;
}

/**
 * canopy_identity_get_id:
 * @self: an identity
 *
 * Returns: the peer id derived from the public key (canopy_key_to_id())
 */
const char *
canopy_identity_get_id (CanopyIdentity *self)
{
  g_return_val_if_fail (CANOPY_IS_IDENTITY (self), NULL);
  return self->id;
}

/**
 * canopy_identity_get_public_key:
 * @self: an identity
 *
 * Returns: the public key as it travels (43 characters of URL-safe base64)
 */
const char *
canopy_identity_get_public_key (CanopyIdentity *self)
{
  g_return_val_if_fail (CANOPY_IS_IDENTITY (self), NULL);
  return self->public_text;
}

/* domain '\0', then each field as "LEN:BYTES". */
static GByteArray *
signed_bytes (const char         *domain,
              const char * const *fields)
{
  GByteArray *bytes = g_byte_array_new ();

  g_byte_array_append (bytes, (const guint8 *) domain, strlen (domain) + 1);
  for (guint i = 0; fields != NULL && fields[i] != NULL; i++) {
    g_autofree char *len = g_strdup_printf ("%zu:", strlen (fields[i]));

    g_byte_array_append (bytes, (const guint8 *) len, strlen (len));
    g_byte_array_append (bytes, (const guint8 *) fields[i], strlen (fields[i]));
  }
  return bytes;
}

/**
 * canopy_identity_sign:
 * @self: an identity
 * @domain: what the signature is for, e.g. "canopy-chat"
 * @fields: (array zero-terminated=1): the signed fields, in order
 *
 * Returns: (transfer full): the signature (86 characters of URL-safe base64)
 */
char *
canopy_identity_sign (CanopyIdentity     *self,
                      const char         *domain,
                      const char * const *fields)
{
  g_autoptr (GByteArray) bytes = NULL;
  guint8 signature[crypto_sign_BYTES];

  g_return_val_if_fail (CANOPY_IS_IDENTITY (self), NULL);
  g_return_val_if_fail (domain != NULL, NULL);

  bytes = signed_bytes (domain, fields);
  crypto_sign_detached (signature, NULL, bytes->data, bytes->len, self->secret_key);
  return encode (signature, sizeof signature);
}

/**
 * canopy_key_to_id:
 * @public_key: (nullable): untrusted text
 *
 * Returns: (transfer full) (nullable): the peer id of @public_key, or %NULL when it is not a
 *   well-formed Ed25519 public key
 */
char *
canopy_key_to_id (const char *public_key)
{
  guint8 key[crypto_sign_PUBLICKEYBYTES];

  init_sodium ();
  if (!decode_exact (public_key, key, sizeof key))
    return NULL;
  return id_for_key_bytes (key);
}

/**
 * canopy_signature_verify:
 * @public_key: (nullable): untrusted text: the signer's public key
 * @signature: (nullable): untrusted text
 * @domain: what the signature must be for
 * @fields: (array zero-terminated=1): the fields, in order
 *
 * Returns: whether @signature is @public_key's over @domain and @fields
 */
gboolean
canopy_signature_verify (const char         *public_key,
                         const char         *signature,
                         const char         *domain,
                         const char * const *fields)
{
  guint8 key[crypto_sign_PUBLICKEYBYTES];
  guint8 sig[crypto_sign_BYTES];
  g_autoptr (GByteArray) bytes = NULL;

  g_return_val_if_fail (domain != NULL, FALSE);
  init_sodium ();

  if (!decode_exact (public_key, key, sizeof key) || !decode_exact (signature, sig, sizeof sig))
    return FALSE;
  bytes = signed_bytes (domain, fields);
  return crypto_sign_verify_detached (sig, bytes->data, bytes->len, key) == 0;
}
