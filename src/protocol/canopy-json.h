/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "canopy-error.h"
#include "canopy-ids.h"
#include "canopy-limits.h"

G_BEGIN_DECLS

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

G_END_DECLS
