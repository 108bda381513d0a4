/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Quiet logs for the harnesses: libFuzzer runs millions of inputs, and the code under test
 * logs what it refuses (g_debug, g_message). A warning or a critical (a failed precondition)
 * is a bug found: it aborts, and libFuzzer keeps the input. CANOPY_FUZZ_LOG=1 shows the rest
 * too (with G_MESSAGES_DEBUG=all, the debug messages), to see how far a seed gets. */

#include "canopy-fuzz.h"

#include <stdlib.h>
#include <string.h>

static gboolean show_all;

static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
    return show_all ? g_log_writer_default (level, fields, n_fields, user_data)
                    : G_LOG_WRITER_HANDLED;
  g_log_writer_standard_streams (level, fields, n_fields, user_data);
  abort ();
}

void
canopy_fuzz_init (void)
{
  show_all = g_strcmp0 (g_getenv ("CANOPY_FUZZ_LOG"), "1") == 0;
  g_log_set_writer_func (write_log, NULL, NULL);
}

/* Splits the next line (up to '\n', which it leaves out) off @data. */
gboolean
canopy_fuzz_next_line (const guint8 **data,
                       gsize         *size,
                       const char   **line,
                       gsize         *len)
{
  const guint8 *end;

  if (*size == 0)
    return FALSE;
  end = memchr (*data, '\n', *size);
  *line = (const char *) *data;
  *len = end ? (gsize) (end - *data) : *size;
  *data += *len + (end ? 1 : 0);
  *size -= *len + (end ? 1 : 0);
  return TRUE;
}

/* A copy of exactly @len bytes with no NUL after them, so that a read past the end is caught
 * (and not NULL when empty, as g_memdup2() would make it). */
char *
canopy_fuzz_copy (const char *text,
                  gsize       len)
{
  char *copy = g_malloc (MAX (len, 1));

  memcpy (copy, text, len);
  return copy;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  canopy_fuzz_init ();
  return 0;
}
