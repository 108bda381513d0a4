/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/* Room covers from the network: an http(s) URL, or a PNG, JPEG or WebP data URL. */

#include "canopy-signal-server-private.h"

#include <string.h>

#define COVER_BASE64_CHARS (((CANOPY_COVER_BYTES + 2) / 3) * 4)

static gboolean
check_base64_image (const char *type,
                    const char *data,
                    GError    **error)
{
  gsize len = strlen (data);
  gsize padding = 0;
  gsize size;
  guchar head[12] = { 0 };
  g_autofree char *head_text = NULL;
  g_autofree guchar *decoded = NULL;
  gsize decoded_len = 0;

  if (len > COVER_BASE64_CHARS)
    goto too_large;
  if (len == 0 || len % 4 != 0)
    goto invalid;
  for (gsize i = 0; i < len; i++) {
    char c = data[i];

    if (c == '=') {
      if (i < len - 2)
        goto invalid;
      padding++;
    } else if (padding > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/')) {
      goto invalid;
    }
  }
  size = len / 4 * 3 - padding;
  if (size > CANOPY_COVER_BYTES)
    goto too_large;

  /* The declared type must match the image's signature, so a cover is at least plausibly
   * the image it claims to be. */
  head_text = g_strndup (data, MIN (len, 16));
  decoded = g_base64_decode (head_text, &decoded_len);
  memcpy (head, decoded, MIN (decoded_len, sizeof head));
  if ((g_str_equal (type, "png") && memcmp (head, "\x89PNG\r\n\x1a\n", 8) == 0) ||
      (g_str_equal (type, "jpeg") && memcmp (head, "\xff\xd8\xff", 3) == 0) ||
      (g_str_equal (type, "webp") && memcmp (head, "RIFF", 4) == 0 &&
       memcmp (head + 8, "WEBP", 4) == 0))
    return TRUE;
  return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                  "Member \"cover\" does not hold the image type it declares");

invalid:
  return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                  "Member \"cover\" is not valid base64");
too_large:
  g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
               "Member \"cover\" holds an image over %d bytes", CANOPY_COVER_BYTES);
  return FALSE;
}

static gboolean
check_cover_url (const char *cover,
                 GError    **error)
{
  g_autoptr (GUri) uri = NULL;

  if (strlen (cover) > CANOPY_COVER_URL_CHARS) {
    g_set_error (error, CANOPY_ERROR, CANOPY_ERROR_TOO_LARGE,
                 "Member \"cover\" is a URL longer than %d characters", CANOPY_COVER_URL_CHARS);
    return FALSE;
  }
  for (const char *p = cover; *p; p++)
    if (*p <= 0x20 || *p >= 0x7f)
      return canopy_signal_set_error (
        error, CANOPY_ERROR_BAD_MESSAGE,
        "Member \"cover\" holds spaces or characters that are not ASCII");
  uri = g_uri_parse (cover, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return canopy_signal_set_error (error, CANOPY_ERROR_BAD_MESSAGE,
                                    "Member \"cover\" is not a valid URL");
  return TRUE;
}

/* @out is "" when the member is an empty string (no cover), left alone when absent. */
gboolean
canopy_signal_get_cover (JsonObject  *message,
                         const char **out,
                         GError     **error)
{
  static const char *const types[] = { "png", "jpeg", "webp" };
  const char *cover = NULL;

  if (!canopy_json_get_string (message, "cover", CANOPY_COVER_CHARS, FALSE, &cover, error))
    return FALSE;
  if (cover == NULL)
    return TRUE;
  if (*cover == '\0') {
    *out = cover;
    return TRUE;
  }
  if (g_ascii_strncasecmp (cover, "http://", 7) == 0 ||
      g_ascii_strncasecmp (cover, "https://", 8) == 0) {
    if (!check_cover_url (cover, error))
      return FALSE;
    *out = cover;
    return TRUE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    g_autofree char *prefix = g_strdup_printf ("data:image/%s;base64,", types[i]);

    if (g_str_has_prefix (cover, prefix)) {
      if (!check_base64_image (types[i], cover + strlen (prefix), error))
        return FALSE;
      *out = cover;
      return TRUE;
    }
  }
  return canopy_signal_set_error (
    error, CANOPY_ERROR_BAD_MESSAGE,
    "Member \"cover\" must be an http(s) URL or a PNG, JPEG or WebP data URL");
}
