/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The helpers every test shares (tests/core and tests/ui; tests/ui adds canopy-shell-test.h):
 *
 * - waits: the one loop that iterates the default main context until a check holds or a
 *   deadline passes (canopy_test_wait(), failing with canopy_test_wait_for()), and
 *   canopy_test_spin() for a fixed time;
 * - real canopy-signal, canopy-node and app processes whose stdout is read all the time (a
 *   child blocked on a full pipe would stall), their --events lines collected as JSON objects
 *   and their other lines as text. A child dies with the test process. */

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

gboolean        canopy_test_wait                (CanopyTestCheck  check,
                                                 gpointer         user_data,
                                                 guint            timeout_s);
void            canopy_test_wait_for            (CanopyTestCheck  check,
                                                 gpointer         user_data,
                                                 guint            timeout_s,
                                                 const char      *what);
void            canopy_test_spin                (guint            ms);
gboolean        canopy_test_is_true             (gpointer         user_data);
void            canopy_test_add_spared          (const char      *path,
                                                 GTestFunc        func);

CanopyTestProc *canopy_test_proc_spawn          (const char      *name,
                                                 const char     **argv);
void            canopy_test_proc_free           (CanopyTestProc  *proc);
void            canopy_test_proc_signal         (CanopyTestProc  *proc,
                                                 int              signum);
void            canopy_test_proc_write_line     (CanopyTestProc  *proc,
                                                 const char      *line);
JsonObject     *canopy_test_proc_last_event     (CanopyTestProc  *proc,
                                                 const char      *event);
JsonObject     *canopy_test_proc_find_event     (CanopyTestProc  *proc,
                                                 const char      *event,
                                                 const char      *member,
                                                 const char      *value);
guint           canopy_test_proc_count_events   (CanopyTestProc  *proc,
                                                 const char      *event);
guint           canopy_test_proc_count_matching (CanopyTestProc  *proc,
                                                 const char      *event,
                                                 const char      *member,
                                                 const char      *value);
void            canopy_test_proc_wait_events    (CanopyTestProc  *proc,
                                                 const char      *event,
                                                 const char      *member,
                                                 const char      *value,
                                                 guint            n,
                                                 guint            timeout_s);
void            canopy_test_wait_exit           (CanopyTestProc  *proc,
                                                 guint            timeout_s);
void            canopy_test_proc_print_stacks   (CanopyTestProc  *proc,
                                                 const char      *why);
char           *canopy_test_start_server        (CanopyTestProc **server);
const char     *canopy_test_binary              (const char      *env_name);
char           *canopy_test_start_server_at     (CanopyTestProc **server,
                                                 guint            port);
char           *canopy_test_data_dir            (const char      *name);
char           *canopy_test_start_server_with   (CanopyTestProc **server,
                                                 guint            port,
                                                 const char      *config);
guint           canopy_test_url_port            (const char      *url);
char           *canopy_test_http_get            (guint            port,
                                                 const char      *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyTestProc, canopy_test_proc_free)

G_END_DECLS
