/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <string.h>

/* Test images made on the spot: a real PNG drawn with gdk-pixbuf, and a "decompression bomb",
 * a small valid PNG whose header declares a huge image. Header-only helpers for tests/ui. */

/* A @width x @height RGB PNG of a gradient (so its bytes are not all alike). */
static inline GBytes *
canopy_test_png_new (int width,
                     int height)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  g_autoptr (GError) error = NULL;
  char *buffer = NULL;
  gsize size = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      guint8 *p = pixels + y * stride + x * 3;

      p[0] = (guint8) (x * 255 / MAX (1, width - 1));
      p[1] = (guint8) (y * 255 / MAX (1, height - 1));
      p[2] = 160;
    }
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static inline guint32
canopy_test_crc32 (const guint8 *data,
                   gsize         length,
                   guint32       crc)
{
  crc = ~crc;
  for (gsize i = 0; i < length; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static inline void
canopy_test_png_chunk (GByteArray   *png,
                       const char   *type,
                       const guint8 *data,
                       guint32       length)
{
  guint8 be[4] = { length >> 24, length >> 16, length >> 8, length };
  guint32 crc = canopy_test_crc32 ((const guint8 *) type, 4, 0);

  crc = canopy_test_crc32 (data, length, crc);
  g_byte_array_append (png, be, 4);
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, length);
  be[0] = crc >> 24, be[1] = crc >> 16, be[2] = crc >> 8, be[3] = crc;
  g_byte_array_append (png, be, 4);
}

/* A valid PNG declaring @width x @height RGB pixels whose IDAT is 4 MiB of zero rows, deflated
 * (a few KiB): decoded, it would want width * height * 3 bytes. */
static inline GBytes *
canopy_test_png_bomb (guint32 width,
                      guint32 height)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 ihdr[13] = { width >> 24, width >> 16, width >> 8, width,
                      height >> 24, height >> 16, height >> 8, height,
                      8, 2, 0, 0, 0 };
  g_autoptr (GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB,
                                                                 9);
  gsize zeros_size = 4 * 1024 * 1024, out_size = 1024 * 1024, read = 0, written = 0;
  g_autofree guint8 *zeros = g_malloc0 (zeros_size);
  g_autofree guint8 *deflated = g_malloc (out_size);
  g_autoptr (GError) error = NULL;
  GByteArray *png = g_byte_array_new ();

  g_assert_cmpint (g_converter_convert (G_CONVERTER (compressor), zeros, zeros_size, deflated,
                                        out_size, G_CONVERTER_INPUT_AT_END, &read, &written,
                                        &error), ==, G_CONVERTER_FINISHED);
  g_assert_no_error (error);
  g_byte_array_append (png, signature, sizeof signature);
  canopy_test_png_chunk (png, "IHDR", ihdr, sizeof ihdr);
  canopy_test_png_chunk (png, "IDAT", deflated, (guint32) written);
  canopy_test_png_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (png);
}
