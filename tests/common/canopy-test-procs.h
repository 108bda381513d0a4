/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Waits that iterate the main context with a deadline, shared by every test; and real
 * canopy-signal and canopy-node processes for integration tests, their --events lines
 * collected as JSON objects. */

typedef struct {
  char *name;
  GSubprocess *process;
  GDataInputStream *out;
  GOutputStream *in;
  GPtrArray *events; /* JsonObject */
  GPtrArray *lines;  /* char*, lines that are not JSON */
  gboolean eof;
  gboolean exited;
  int exit_status;
} CanopyTestProc;

typedef gboolean (*CanopyTestCheck) (gpointer user_data);

CanopyTestProc *canopy_test_proc_spawn       (const char      *name,
                                              const char     **argv);
void            canopy_test_proc_free        (CanopyTestProc  *proc);
void            canopy_test_proc_signal      (CanopyTestProc  *proc,
                                              int              signum);
void            canopy_test_proc_write_line  (CanopyTestProc  *proc,
                                              const char      *line);
JsonObject     *canopy_test_proc_last_event  (CanopyTestProc  *proc,
                                              const char      *event);
guint           canopy_test_proc_count_events (CanopyTestProc *proc,
                                               const char     *event);
void            canopy_test_wait_for         (CanopyTestCheck  check,
                                              gpointer         user_data,
                                              guint            timeout_s,
                                              const char      *what);
gboolean        canopy_test_is_true          (gpointer         user_data);
gboolean        canopy_test_wait             (CanopyTestCheck  check,
                                              gpointer         user_data,
                                              guint            timeout_s);
void            canopy_test_wait_exit        (CanopyTestProc  *proc,
                                              guint            timeout_s);
char           *canopy_test_start_server     (CanopyTestProc **server);
const char     *canopy_test_binary           (const char      *env_name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyTestProc, canopy_test_proc_free)

G_END_DECLS
