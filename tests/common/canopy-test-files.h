/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-test-procs.h"

G_BEGIN_DECLS

/* Files through a room of canopy-node processes (test-file-tree, test-file-room). */
char    *canopy_test_files_make            (gsize           size,
                                            char          **sha256);
void     canopy_test_files_remove          (const char     *path);
gboolean canopy_test_files_has_file        (CanopyTestProc *proc,
                                            gpointer        data);
guint    canopy_test_files_assert_progress (CanopyTestProc *proc,
                                            gint64          size);
void     canopy_test_files_assert_complete (CanopyTestProc *proc,
                                            const char     *sha256,
                                            gint64          size);
gint64   canopy_test_files_bytes_of        (CanopyTestProc *proc);

G_END_DECLS
