/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalServer"

/*
 * The browser viewer: `/` (the room directory) and `/r/ROOMID` (a room), plain files from the
 * web directory. Only the files named here are ever served, whatever the path asks for.
 */

#include "canopy-signal-server-private.h"

#include <string.h>

#include "canopy-limits.h"

typedef struct {
  const char *name;
  const char *type;
} WebFile;

static const WebFile web_files[] = {
  { "index.html", "text/html; charset=utf-8" },
  { "room.html", "text/html; charset=utf-8" },
  { "canopy.css", "text/css; charset=utf-8" },
  { "common.js", "text/javascript; charset=utf-8" },
  { "index.js", "text/javascript; charset=utf-8" },
  { "room.js", "text/javascript; charset=utf-8" },
  { "identity.js", "text/javascript; charset=utf-8" },
  { "tweetnacl.js", "text/javascript; charset=utf-8" },
};

/**
 * canopy_signal_server_default_web_dir:
 *
 * Returns: (transfer none): where the browser viewer's files are: `$CANOPY_WEB_DIR` when set
 *   (tests, and running from the source tree), else where they are installed
 */
const char *
canopy_signal_server_default_web_dir (void)
{
  const char *env = g_getenv ("CANOPY_WEB_DIR");

  return env != NULL && *env != '\0' ? env : CANOPY_WEB_DIR;
}

static const WebFile *
web_file_for (const char *path)
{
  const char *name = NULL;

  if (g_str_equal (path, "/"))
    name = "index.html";
  else if (g_str_has_prefix (path, "/r/") && strlen (path + 3) > 0 &&
           strlen (path + 3) <= CANOPY_ROOM_INPUT_CHARS && strchr (path + 3, '/') == NULL)
    name = "room.html";
  else if (g_str_has_prefix (path, "/web/"))
    name = path + 5;
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (web_files); i++)
    if (g_str_equal (web_files[i].name, name))
      return &web_files[i];
  return NULL;
}

/**
 * canopy_signal_server_handle_web:
 * @self: a server
 * @msg: a request
 * @path: its path
 *
 * Answers @msg when @path is one of the browser viewer's.
 *
 * Returns: whether it did
 */
gboolean
canopy_signal_server_handle_web (CanopySignalServer *self,
                                 SoupServerMessage  *msg,
                                 const char         *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const WebFile *file = web_file_for (path);
  g_autofree char *full = NULL;
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (file == NULL || self->web_dir == NULL)
    return FALSE;
  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD")) {
    soup_message_headers_replace (headers, "Allow", "GET, HEAD");
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return TRUE;
  }
  full = g_build_filename (self->web_dir, file->name, NULL);
  if (!g_file_get_contents (full, &contents, &length, &error)) {
    g_message ("Cannot serve %s: %s", path, error->message);
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return TRUE;
  }
  /* Everything the pages load is ours; covers are data: or http(s) URLs; media come over
   * WebRTC. No inline script, no framing. */
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data: https: http:; "
                                "connect-src 'self' ws: wss:; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, file->type, SOUP_MEMORY_TAKE, contents, length);
  return TRUE;
}
