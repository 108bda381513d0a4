/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-test-procs.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static void read_next (CanopyTestProc *proc);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  CanopyTestProc *proc = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                    result, NULL, &error);
  g_autoptr (JsonParser) parser = NULL;

  if (line == NULL) {
    proc->eof = TRUE;
    return;
  }
  if (g_getenv ("CANOPY_TEST_VERBOSE"))
    g_printerr ("[%s] %s\n", proc->name, line);
  parser = json_parser_new ();
  if (line[0] == '{' && json_parser_load_from_data (parser, line, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_ptr_array_add (proc->events, json_object_ref (json_node_get_object (
                                     json_parser_get_root (parser))));
  else
    g_ptr_array_add (proc->lines, g_steal_pointer (&line));
  read_next (proc);
}

static void
read_next (CanopyTestProc *proc)
{
  g_data_input_stream_read_line_async (proc->out, G_PRIORITY_DEFAULT, NULL, on_line, proc);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CanopyTestProc *proc = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  /* A signal death (an abort, a sanitizer's report) is not a clean exit either. */
  proc->exit_status = g_subprocess_get_if_exited (G_SUBPROCESS (source))
                        ? g_subprocess_get_exit_status (G_SUBPROCESS (source))
                        : 128 + g_subprocess_get_term_sig (G_SUBPROCESS (source));
  proc->exited = TRUE;
}

const char *
canopy_test_binary (const char *env_name)
{
  const char *path = g_getenv (env_name);

  if (path == NULL)
    g_error ("%s is not set: run this test through meson", env_name);
  return path;
}

static void
die_with_parent (gpointer user_data)
{
  /* A test that aborts mid-way must not leave a host streaming forever. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

CanopyTestProc *
canopy_test_proc_spawn (const char  *name,
                        const char **argv)
{
  CanopyTestProc *proc = g_new0 (CanopyTestProc, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE);

  /* The children report problems as events; warnings from the media stack must not kill
   * them the way they fail the test process. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc->name = g_strdup (name);
  proc->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  proc->lines = g_ptr_array_new_with_free_func (g_free);
  proc->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  proc->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc->process));
  proc->in = g_object_ref (g_subprocess_get_stdin_pipe (proc->process));
  g_subprocess_wait_async (proc->process, NULL, on_exited, proc);
  read_next (proc);
  return proc;
}

void
canopy_test_proc_signal (CanopyTestProc *proc,
                         int             signum)
{
  if (!proc->exited)
    g_subprocess_send_signal (proc->process, signum);
}

static gboolean
stream_is_writable (gpointer user_data)
{
  return g_pollable_output_stream_is_writable (user_data);
}

void
canopy_test_proc_write_line (CanopyTestProc *proc,
                             const char     *line)
{
  g_autofree char *text = g_strdup_printf ("%s\n", line);
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (proc->in);
  gsize len = strlen (text);
  gsize done = 0;

  /* Never blocked on a child that reads nothing: a stuck child (its pipe full) fails the
   * test after a while, and everybody's output is read meanwhile. Pieces of at most PIPE_BUF
   * bytes, which a pipe that polls writable takes whole. */
  while (done < len) {
    g_autoptr (GError) error = NULL;
    gssize n = g_pollable_output_stream_write_nonblocking (out, text + done,
                                                           MIN (len - done, 4096), NULL, &error);

    if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      if (!canopy_test_wait (stream_is_writable, out, 60)) {
        canopy_test_proc_print_stacks (proc, "read nothing on its standard input for 60 s");
        g_error ("%s reads nothing on its standard input", proc->name);
      }
      continue;
    }
    g_assert_no_error (error);
    done += (gsize) n;
  }
}

static gboolean
has_exited (gpointer user_data)
{
  return ((CanopyTestProc *) user_data)->exited && ((CanopyTestProc *) user_data)->eof;
}

/**
 * canopy_test_proc_print_stacks:
 * @proc: a process that is still running when it should not be (or not answering)
 * @why: what it failed to do, for the log
 *
 * A process stuck is a bug of its own: with CANOPY_TEST_GDB set (build-aux/test sets it),
 * every thread's stack goes to stderr, so that a hang seen once in CI can be read afterwards.
 */
void
canopy_test_proc_print_stacks (CanopyTestProc *proc,
                               const char     *why)
{
  const char *pid = proc->exited ? NULL : g_subprocess_get_identifier (proc->process);
  const char *gdb[] = { "gdb", "-p", NULL, "-batch", "-ex", "thread apply all bt 30", NULL };
  g_autofree char *out = NULL;

  if (g_getenv ("CANOPY_TEST_GDB") == NULL || pid == NULL)
    return;
  gdb[2] = pid;
  g_printerr ("%s (pid %s) %s; its threads:\n", proc->name, pid, why);
  if (g_spawn_sync (NULL, (char **) gdb, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, &out, NULL, NULL, NULL))
    g_printerr ("%s\n", out);
}

void
canopy_test_wait_exit (CanopyTestProc *proc,
                       guint           timeout_s)
{
  if (!canopy_test_wait (has_exited, proc, timeout_s)) {
    g_autofree char *why = g_strdup_printf ("did not exit in %u s", timeout_s);

    canopy_test_proc_print_stacks (proc, why);
    g_subprocess_force_exit (proc->process);
    canopy_test_wait (has_exited, proc, 10);
  }
}

void
canopy_test_proc_free (CanopyTestProc *proc)
{
  if (proc == NULL)
    return;
  /* No process outlives its test. */
  if (!proc->exited) {
    canopy_test_proc_signal (proc, SIGTERM);
    canopy_test_wait_exit (proc, 10);
  }
  g_output_stream_close (proc->in, NULL, NULL);
  g_clear_object (&proc->in);
  g_clear_object (&proc->out);
  g_clear_object (&proc->process);
  g_ptr_array_unref (proc->events);
  g_ptr_array_unref (proc->lines);
  g_free (proc->name);
  g_free (proc);
}

static gboolean
event_is (JsonObject *o,
          const char *event,
          const char *member,
          const char *value)
{
  return g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), event) == 0 &&
         (member == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (o, member, ""), value) == 0);
}

JsonObject *
canopy_test_proc_last_event (CanopyTestProc *proc,
                             const char     *event)
{
  for (guint i = proc->events->len; i > 0; i--) {
    JsonObject *o = g_ptr_array_index (proc->events, i - 1);

    if (event_is (o, event, NULL, NULL))
      return o;
  }
  return NULL;
}

/* The first @event event whose string @member is @value (any @event event if @member is
 * NULL). */
JsonObject *
canopy_test_proc_find_event (CanopyTestProc *proc,
                             const char     *event,
                             const char     *member,
                             const char     *value)
{
  for (guint i = 0; i < proc->events->len; i++) {
    JsonObject *o = g_ptr_array_index (proc->events, i);

    if (event_is (o, event, member, value))
      return o;
  }
  return NULL;
}

/* How many @event events have the string @member @value (all of them if @member is NULL). */
guint
canopy_test_proc_count_matching (CanopyTestProc *proc,
                                 const char     *event,
                                 const char     *member,
                                 const char     *value)
{
  guint n = 0;

  for (guint i = 0; i < proc->events->len; i++)
    if (event_is (g_ptr_array_index (proc->events, i), event, member, value))
      n++;
  return n;
}

guint
canopy_test_proc_count_events (CanopyTestProc *proc,
                               const char     *event)
{
  return canopy_test_proc_count_matching (proc, event, NULL, NULL);
}

typedef struct {
  CanopyTestProc *proc;
  const char *event;
  const char *member;
  const char *value;
  guint n;
} EventCount;

static gboolean
has_events (gpointer user_data)
{
  EventCount *c = user_data;

  return canopy_test_proc_count_matching (c->proc, c->event, c->member, c->value) >= c->n ||
         c->proc->exited;
}

/* Waits until @proc printed @n @event events whose string @member is @value (any @event
 * events if @member is NULL), failing the test if it exits first or @timeout_s passes. */
void
canopy_test_proc_wait_events (CanopyTestProc *proc,
                              const char     *event,
                              const char     *member,
                              const char     *value,
                              guint           n,
                              guint           timeout_s)
{
  EventCount c = { proc, event, member, value, n };
  guint seen;

  canopy_test_wait (has_events, &c, timeout_s);
  seen = canopy_test_proc_count_matching (proc, event, member, value);
  if (seen < n) {
    JsonObject *error = canopy_test_proc_last_event (proc, "error");
    g_autofree char *why = NULL;

    if (proc->exited)
      why = g_strdup_printf ("it exited with status %d", proc->exit_status);
    else
      why = g_strdup_printf ("%u s passed", timeout_s);
    g_error ("%s: %u of %u \"%s\" events%s%s%s%s when %s (last error event: %s)", proc->name,
             seen, n, event, member ? " with " : "", member ? member : "", member ? " = " : "",
             member ? value : "", why,
             error ? json_object_get_string_member_with_default (error, "message", "?") : "none");
  }
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* The one wait loop of every test: iterates the default main context until @check holds or
 * @timeout_ms passed. @check runs once per iteration, never again after it holds: it may
 * consume what it waits for. */
static gboolean
wait_ms (CanopyTestCheck check,
         gpointer        user_data,
         guint           timeout_ms)
{
  gboolean expired = FALSE;
  gboolean done;
  guint id = g_timeout_add (timeout_ms, on_deadline, &expired);
  /* Wakes the loop every 50 ms, so that a check on what sends no event to the main context (a
   * port free again, a GStreamer bus) runs too. */
  guint tick = g_timeout_add (50, on_tick, NULL);

  while (!(done = check (user_data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_source_remove (tick);
  return done;
}

gboolean
canopy_test_wait (CanopyTestCheck check,
                  gpointer        user_data,
                  guint           timeout_s)
{
  return wait_ms (check, user_data, timeout_s * 1000);
}

/* canopy_test_wait(), failing the test after @timeout_s. */
void
canopy_test_wait_for (CanopyTestCheck check,
                      gpointer        user_data,
                      guint           timeout_s,
                      const char     *what)
{
  if (!canopy_test_wait (check, user_data, timeout_s))
    g_error ("Timed out after %u s waiting for %s", timeout_s, what);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

/* Runs the main context for @ms milliseconds: for what has no condition to wait on, such as
 * layout or a message that must not arrive. */
void
canopy_test_spin (guint ms)
{
  wait_ms (never, NULL, ms);
}

/* GStreamer 1.22.0's rtpsession, making its reports on its "rtpsession-rtcp" thread, lets go of
 * its lock in the middle of a g_hash_table_foreach() over its sources (to ask for a payload's
 * clock rate); a report coming in meanwhile adds a source, and GLib says so as a critical
 * warning, which G_DEBUG=fatal-warnings makes an abort. The loop only ends early: the next
 * report is whole. Fixed in 1.22.4 ("rtpmanager/rtsession: data race leading to critical
 * warnings"). Only that message on that thread is spared; every other warning stays fatal. */
static gboolean
is_upstream_race (const char *log_domain,
                  const char *message)
{
  char thread[16] = "";

  prctl (PR_GET_NAME, thread, 0, 0, 0);
  return g_strcmp0 (log_domain, "GLib") == 0 && g_str_equal (thread, "rtpsession-rtcp") &&
         strstr (message, "g_hash_table_foreach: assertion 'version == hash_table->version'") !=
           NULL;
}

/* GLib's default handler would print the fatal message as the test's "Bail out!". */
static void
log_glib (const char     *log_domain,
          GLogLevelFlags  log_level,
          const char     *message,
          gpointer        user_data)
{
  if (is_upstream_race (log_domain, message))
    g_printerr ("Spared (GStreamer 1.22.0's rtpsession race): %s\n", message);
  else
    g_log_default_handler (log_domain, log_level, message, user_data);
}

static gboolean
is_fatal (const char     *log_domain,
          GLogLevelFlags  log_level,
          const char     *message,
          gpointer        user_data)
{
  return !is_upstream_race (log_domain, message);
}

/* GLib forgets the fatal handler as each test case starts: it is set again there. */
static void
spare_upstream_race (gpointer      fixture,
                     gconstpointer data)
{
  static gsize once;

  if (g_once_init_enter (&once)) {
    g_log_set_handler ("GLib", G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                       log_glib, NULL);
    g_once_init_leave (&once, 1);
  }
  g_test_log_set_fatal_handler (is_fatal, NULL);
}

static void
run_test_func (gpointer      fixture,
               gconstpointer data)
{
  ((GTestFunc) data) ();
}

/**
 * canopy_test_add_spared:
 * @path: the test case's path
 * @func: the test case
 *
 * g_test_add_func() for a test that runs webrtcbin in its own process: the one critical warning
 * of GStreamer 1.22.0's that our code cannot prevent is logged, not fatal, while it runs.
 */
void
canopy_test_add_spared (const char *path,
                        GTestFunc   func)
{
  g_test_add_vtable (path, 0, (gconstpointer) func, spare_upstream_race, run_test_func, NULL);
}

gboolean
canopy_test_is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static gboolean
server_listening (gpointer user_data)
{
  CanopyTestProc *proc = user_data;

  for (guint i = 0; i < proc->lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (proc->lines, i), "listening on "))
      return TRUE;
  return proc->exited;
}

/* Starts canopy-signal on 127.0.0.1 @port (0: any free port), e.g. again on the port a killed
 * one used; returns its WebSocket URL. */
char *
canopy_test_start_server_at (CanopyTestProc **server,
                             guint            port)
{
  return canopy_test_start_server_with (server, port, NULL);
}

/* Starts canopy-signal on 127.0.0.1 @port (0: any free one), with the configuration file
 * @config when given; returns its WebSocket URL. */
char *
canopy_test_start_server_with (CanopyTestProc **server,
                               guint            port,
                               const char      *config)
{
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  const char *argv[] = { canopy_test_binary ("CANOPY_SIGNAL"), "--port", port_text,
                         config ? "--config" : NULL, config, NULL };

  *server = canopy_test_proc_spawn ("signal", argv);
  g_assert_true (canopy_test_wait (server_listening, *server, 30));
  g_assert_false ((*server)->exited);
  for (guint i = 0; i < (*server)->lines->len; i++) {
    const char *line = g_ptr_array_index ((*server)->lines, i);

    if (g_str_has_prefix (line, "listening on "))
      return g_strdup (line + strlen ("listening on "));
  }
  g_assert_not_reached ();
}

/* Starts canopy-signal on 127.0.0.1, any free port; returns its WebSocket URL. */
char *
canopy_test_start_server (CanopyTestProc **server)
{
  return canopy_test_start_server_at (server, 0);
}

/* The port of a ws://HOST:PORT/... URL, 0 if it has none. */
guint
canopy_test_url_port (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 0;
}

/* GET @path (HTTP/1.0: no chunks) from 127.0.0.1 @port: the body of a 200 answer, or NULL (no
 * server, another status). Blocking, for a test's short requests to a local server. */
char *
canopy_test_http_get (guint       port,
                      const char *path)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autofree char *request = NULL;
  g_autoptr (GByteArray) answer = g_byte_array_new ();
  g_autofree char *text = NULL;
  const char *body;
  guint8 buffer[4096];
  gssize n;

  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL)
    return NULL;
  request = g_strdup_printf ("GET %s HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n",
                             path, port);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request, strlen (request), NULL, NULL, NULL))
    return NULL;
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, NULL)) > 0)
    g_byte_array_append (answer, buffer, n);
  text = g_strndup ((const char *) answer->data, answer->len);
  if (!g_str_has_prefix (text, "HTTP/1.1 200") && !g_str_has_prefix (text, "HTTP/1.0 200"))
    return NULL;
  body = strstr (text, "\r\n\r\n");
  return body != NULL ? g_strdup (body + 4) : NULL;
}

/* --- data directories --------------------------------------------------------------------- */

static char *data_root;

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      remove_tree (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
remove_data_root (void)
{
  remove_tree (data_root);
  g_clear_pointer (&data_root, g_free);
}

/* A data directory of its own for @name (the app keeps its key there), under one temporary
 * directory for this test process that is removed when it exits. */
char *
canopy_test_data_dir (const char *name)
{
  char *dir;

  if (data_root == NULL) {
    data_root = g_dir_make_tmp ("canopy-data-XXXXXX", NULL);
    g_assert_nonnull (data_root);
    atexit (remove_data_root);
  }
  dir = g_build_filename (data_root, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}
