/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-error.h"

G_BEGIN_DECLS

/* Deepest nesting accepted in any message from the network: json-glib's parser recurses, so a
 * hostile "[[[[..." would otherwise reach the stack limit. A node map of the deepest tree
 * accepted (256 levels) nests two JSON levels per tree level. */
#define CANOPY_JSON_MAX_DEPTH 600

JsonObject *canopy_json_parse_object (const char  *data,
                                      gssize       len,
                                      gsize        max_len,
                                      GError     **error);
char       *canopy_json_to_string    (JsonObject  *object);

const char *canopy_json_get_type     (JsonObject  *object,
                                      GError     **error);
gboolean    canopy_json_get_string   (JsonObject  *object,
                                      const char  *member,
                                      gsize        max_chars,
                                      gboolean     required,
                                      const char **out,
                                      GError     **error);
gboolean    canopy_json_get_int      (JsonObject  *object,
                                      const char  *member,
                                      gint64       min,
                                      gint64       max,
                                      gboolean     required,
                                      gint64      *out,
                                      GError     **error);
gboolean    canopy_json_get_bool     (JsonObject  *object,
                                      const char  *member,
                                      gboolean     required,
                                      gboolean    *out,
                                      GError     **error);
gboolean    canopy_json_get_object   (JsonObject  *object,
                                      const char  *member,
                                      gboolean     required,
                                      JsonObject **out,
                                      GError     **error);
gboolean    canopy_json_get_array    (JsonObject  *object,
                                      const char  *member,
                                      guint        max_len,
                                      gboolean     required,
                                      JsonArray  **out,
                                      GError     **error);

JsonObject *canopy_json_error_new    (const GError *error,
                                      const char   *ref);

char       *canopy_text_sanitize     (const char  *text);
gboolean    canopy_text_is_id        (const char  *text,
                                      gsize        max_len);

G_END_DECLS
