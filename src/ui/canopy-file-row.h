/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "canopy-file.h"

G_BEGIN_DECLS

/* Images shown inline: at most this many bytes, pixels on a side and pixels in all, and
 * scaled down to fit this box. */
#define CANOPY_FILE_ROW_IMAGE_BYTES  (8 * 1024 * 1024)
#define CANOPY_FILE_ROW_IMAGE_SIDE   8192
#define CANOPY_FILE_ROW_IMAGE_PIXELS (40 * 1000 * 1000)
#define CANOPY_FILE_ROW_THUMB_WIDTH  320
#define CANOPY_FILE_ROW_THUMB_HEIGHT 240

/**
 * CanopyFileRowState:
 * @CANOPY_FILE_ROW_INCOMPLETE: offered, chunks coming
 * @CANOPY_FILE_ROW_COMPLETE: all of it, checked: it can be saved
 * @CANOPY_FILE_ROW_FAILED: it will not come (see canopy_file_row_get_note())
 */
typedef enum {
  CANOPY_FILE_ROW_INCOMPLETE,
  CANOPY_FILE_ROW_COMPLETE,
  CANOPY_FILE_ROW_FAILED,
} CanopyFileRowState;

#define CANOPY_TYPE_FILE_ROW (canopy_file_row_get_type ())
G_DECLARE_FINAL_TYPE (CanopyFileRow, canopy_file_row, CANOPY, FILE_ROW, AdwBin)

GtkWidget          *canopy_file_row_new          (const CanopyFileManifest *manifest);
const char         *canopy_file_row_get_id       (CanopyFileRow            *self);
const char         *canopy_file_row_get_name     (CanopyFileRow            *self);
CanopyFileRowState  canopy_file_row_get_state    (CanopyFileRow            *self);
guint64             canopy_file_row_get_bytes    (CanopyFileRow            *self);
const char         *canopy_file_row_get_note     (CanopyFileRow            *self);
GdkPaintable       *canopy_file_row_get_image    (CanopyFileRow            *self);
gboolean            canopy_file_row_is_decoding  (CanopyFileRow            *self);
void                canopy_file_row_set_progress (CanopyFileRow            *self,
                                                  guint64                   bytes);
void                canopy_file_row_set_complete (CanopyFileRow            *self,
                                                  GBytes                   *contents);
void                canopy_file_row_set_failed   (CanopyFileRow            *self,
                                                  const char               *reason);
void                canopy_file_row_allow_cancel (CanopyFileRow            *self,
                                                  const char               *label);
gboolean            canopy_file_row_can_preview  (const char               *mime,
                                                  guint64                   size);

G_END_DECLS
