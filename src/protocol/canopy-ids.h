/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  canopy_text_is_id        (const char *text,
                                    gsize       max_len);
char     *canopy_room_id_normalize (const char *text);

G_END_DECLS
