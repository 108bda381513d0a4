/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

/* What the libFuzzer harnesses share. An input to a multi-message harness is a series of lines,
 * one message each; the seeds in tests/fuzz/corpus are written that way. */

#define CANOPY_FUZZ_MAX_MESSAGES 64

/* libFuzzer's entry points: each harness defines the second, canopy-fuzz.c the first (it calls
 * canopy_fuzz_init()). */
int LLVMFuzzerInitialize   (int          *argc,
                            char       ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

void     canopy_fuzz_init      (void);
gboolean canopy_fuzz_next_line (const guint8 **data,
                                gsize         *size,
                                const char   **line,
                                gsize         *len);
char    *canopy_fuzz_copy      (const char    *text,
                                gsize          len);

G_END_DECLS
