/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Across NATs: real canopy-signal, canopy-node and coturn processes in a closed network of
 * namespaces that the test builds and tears down (tests/lab/canopy-netlab.sh: public hosts, a
 * port-restricted cone NAT, a symmetric NAT, a STUN/TURN server; no link to this machine's own
 * network). The ICE servers come only from canopy-signal's configuration file, as in a real
 * deployment. The cases: a viewer that no parent can reach without TURN ends, soon, saying
 * that its network needs a TURN server, and nobody else notices; with TURN the same viewer
 * plays through the relay; a tree edge whose UDP is cut while both ends keep their signalling
 * is replaced; a viewer behind the cone NAT joins a public parent with STUN alone across an
 * 80 ms round trip without waiting on pairs that cannot work; and the same viewer with its
 * parent out of reach ends like the first one; a viewer three hops down plays through 1 % and
 * 5 % loss on every link, and through its relay's crash or stop at 5 %; a relay whose upload
 * cannot carry its children is given fewer, and so is the host (its k1); a child whose link
 * is capped below the stream is sent fewer temporal layers and keeps playing while its sibling
 * gets everything. The times measured are printed (g_test_message). Needs root, ip, nft and
 * turnserver (build-aux/install-deps installs them), and canopy-nfdelay for the delay; each
 * case skips, saying why, without them.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canopy-test-tree.h"

#define WAIT_S CANOPY_TEST_TREE_WAIT_S

/* The lab's public addresses (canopy-netlab.sh). */
#define STUN_ADDR "203.0.113.10"
#define SIG_ADDR "203.0.113.20"
#define PUB_ADDR "203.0.113.30"
#define PUB2_ADDR "203.0.113.31"
#define NATA_ADDR "203.0.113.101"
#define NATB_ADDR "203.0.113.102"

/* Namespaces are named LAB_PREFIX<pid>-ROLE: two runs never meet, and a lab whose test died
 * is recognised and removed by the next run. */
#define LAB_PREFIX "cn"

extern char **environ;

typedef struct {
  char *prefix;
  char *dir;            /* the server's configuration, coturn's pid file, log and user db */
  CanopyTestProc *turn;
  CanopyTestProc *server;
  char *url;
  gint64 started;
} Lab;

/* --- the lab ------------------------------------------------------------------------------ */

/* canopy-netlab.sh down for the lab in use, prepared beforehand: a test that aborts (a failed
 * assertion, g_error, meson's timeout) still removes its namespaces from its signal handler,
 * with nothing but fork, execve and waitpid. */
static char *down_argv[5];

static void
run_down_now (void)
{
  pid_t pid;

  if (down_argv[0] == NULL)
    return;
  pid = fork ();
  if (pid == 0) {
    execve (down_argv[0], down_argv, environ);
    _exit (127);
  }
  if (pid > 0)
    waitpid (pid, NULL, 0);
}

static void
on_fatal_signal (int signum)
{
  run_down_now ();
  /* SA_RESETHAND put the default action back: die of it. */
  raise (signum);
}

static void
arm_down (const char *prefix)
{
  g_clear_pointer (&down_argv[3], g_free);
  down_argv[0] = "/bin/sh";
  down_argv[1] = (char *) canopy_test_binary ("CANOPY_NETLAB");
  down_argv[2] = "down";
  down_argv[3] = g_strdup (prefix);
}

static void
disarm_down (void)
{
  down_argv[0] = NULL;
  g_clear_pointer (&down_argv[3], g_free);
}

static void
catch_fatal_signals (void)
{
  /* SIGTRAP: g_error() breaks into the debugger that is not there. */
  const int signals[] = { SIGABRT, SIGTRAP, SIGSEGV, SIGBUS, SIGTERM, SIGINT, SIGHUP };
  struct sigaction action = { 0 };

  action.sa_handler = on_fatal_signal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset (&action.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &action, NULL);
  atexit (run_down_now);
}

/* canopy-netlab.sh VERB PREFIX [ADDR ADDR]; its messages go to the test's log. */
static void
netlab (const char *verb,
        const char *prefix,
        const char *addr1,
        const char *addr2)
{
  const char *argv[] = {
    "/bin/sh", canopy_test_binary ("CANOPY_NETLAB"), verb, prefix, addr1, addr2, NULL
  };
  g_autoptr (CanopyTestProc) proc = canopy_test_proc_spawn ("netlab", argv);

  canopy_test_wait_exit (proc, 60);
  if (proc->exit_status != 0)
    g_error ("canopy-netlab.sh %s %s failed with status %d (its message is above)", verb, prefix,
             proc->exit_status);
}

/* canopy-netlab.sh impair PREFIX ROLE DELAY_MS LOSS_PCT: every packet @role forwards, both
 * ways, is held @delay_ms by canopy-nfdelay (this kernel has no netem), and @loss_pct % of them
 * dropped at random; down ends it. */
static void
netlab_impair (const char *prefix,
               const char *role,
               const char *delay_ms,
               const char *loss_pct)
{
  const char *argv[] = {
    "/bin/sh", canopy_test_binary ("CANOPY_NETLAB"), "impair", prefix, role, delay_ms, loss_pct,
    NULL
  };
  g_autoptr (CanopyTestProc) proc = canopy_test_proc_spawn ("netlab", argv);

  canopy_test_wait_exit (proc, 60);
  if (proc->exit_status != 0)
    g_error ("canopy-netlab.sh impair %s %s %s %s failed with status %d (its message is above)",
             prefix, role, delay_ms, loss_pct, proc->exit_status);
}

/* Labs of earlier runs that died before they could remove theirs: their process is gone. */
static void
remove_stale_labs (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/run/netns", 0, NULL);
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    char *end = NULL;
    guint64 pid;

    if (!g_str_has_prefix (name, LAB_PREFIX))
      continue;
    pid = g_ascii_strtoull (name + strlen (LAB_PREFIX), &end, 10);
    if (g_strcmp0 (end, "-inet") != 0 || pid == 0 || pid > G_MAXINT ||
        (pid_t) pid == getpid () || kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
      continue;
    g_ptr_array_add (stale, g_strndup (name, end - name));
  }
  for (guint i = 0; i < stale->len; i++) {
    g_test_message ("removing the lab of a run that died: %s",
                    (char *) g_ptr_array_index (stale, i));
    netlab ("down", g_ptr_array_index (stale, i), NULL, NULL);
  }
}

/* Whether the lab can be built here; skips the case, saying why, if not. */
static gboolean
lab_can_run (void)
{
  const char *tools[] = { "ip", "nft", "turnserver" };

  if (geteuid () != 0) {
    g_test_skip ("needs root for network namespaces (the CI runs it as root)");
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (tools); i++) {
    g_autofree char *path = g_find_program_in_path (tools[i]);

    if (path == NULL) {
      g_autofree char *why = g_strdup_printf ("%s is missing (build-aux/install-deps installs "
                                              "iproute2, nftables, iptables and coturn)",
                                              tools[i]);

      g_test_skip (why);
      return FALSE;
    }
  }
  return TRUE;
}

/* Whether the delayer the lab's impair verb starts was built; skips the case if not. */
static gboolean
delay_can_run (void)
{
  const char *nfdelay = g_getenv ("CANOPY_NFDELAY");

  if (nfdelay == NULL || !g_file_test (nfdelay, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip ("canopy-nfdelay is not built (libnetfilter-queue-dev, build-aux/install-deps)");
    return FALSE;
  }
  return TRUE;
}

/* "ip netns exec PREFIX-ROLE": runs what follows in the lab's namespace @role. */
typedef struct {
  char *ns;
  const char *argv[5];
} InNs;

static void
in_ns_init (InNs       *in,
            const Lab  *lab,
            const char *role)
{
  in->ns = g_strdup_printf ("%s-%s", lab->prefix, role);
  in->argv[0] = "ip";
  in->argv[1] = "netns";
  in->argv[2] = "exec";
  in->argv[3] = in->ns;
  in->argv[4] = NULL;
}

static void
in_ns_clear (InNs *in)
{
  g_clear_pointer (&in->ns, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (InNs, in_ns_clear)

static CanopyTestProc *
spawn_in_ns (const Lab   *lab,
             const char  *role,
             const char  *name,
             const char **argv)
{
  g_auto (InNs) in = { 0 };

  in_ns_init (&in, lab, role);
  return canopy_test_tree_spawn_in (in.argv, name, argv);
}

typedef struct {
  CanopyTestProc *proc;
  const char *path;
} PidFile;

/* coturn wrote its pid file, with the pid we will end it by. */
static gboolean
has_pid_file (gpointer user_data)
{
  PidFile *p = user_data;
  g_autofree char *text = NULL;

  if (p->proc->exited)
    return TRUE;
  if (!g_file_get_contents (p->path, &text, NULL, NULL))
    return FALSE;
  return g_strcmp0 (g_strstrip (text), g_subprocess_get_identifier (p->proc->process)) == 0;
}

static void
start_turn (Lab *lab)
{
  g_autofree char *userdb = g_build_filename (lab->dir, "turndb", NULL);
  g_autofree char *pidfile = g_build_filename (lab->dir, "turn.pid", NULL);
  g_autofree char *log = g_build_filename (lab->dir, "turn.log", NULL);
  const char *argv[] = {
    "turnserver", "-n", "--listening-ip", STUN_ADDR, "--relay-ip", STUN_ADDR,
    "--listening-port", "3478", "--min-port", "50000", "--max-port", "50100",
    "--realm", "lab.test", "--lt-cred-mech", "--fingerprint", "--user", "canopy:canopy-lab",
    "--no-tls", "--no-dtls", "--no-cli", "--no-stdout-log", "--userdb", userdb,
    "--pidfile", pidfile, "--log-file", log, "--simple-log", NULL
  };
  PidFile p;

  lab->turn = spawn_in_ns (lab, "stun", "turn", argv);
  p = (PidFile) { lab->turn, pidfile };
  canopy_test_wait_for (has_pid_file, &p, 30, "coturn's pid file");
  if (lab->turn->exited)
    g_error ("turnserver exited with status %d (its log: %s)", lab->turn->exit_status, log);
}

/* What canopy-signal printed after "listening on ": its URL, or NULL before. */
static const char *
url_of (CanopyTestProc *server)
{
  for (guint i = 0; i < server->lines->len; i++) {
    const char *line = g_ptr_array_index (server->lines, i);

    if (g_str_has_prefix (line, "listening on "))
      return line + strlen ("listening on ");
  }
  return NULL;
}

static gboolean
has_url_or_exited (gpointer user_data)
{
  return url_of (user_data) != NULL || ((CanopyTestProc *) user_data)->exited;
}

/* canopy-signal on the lab's signalling address, its ICE servers from a configuration file:
 * the STUN server always, the TURN server if @turn. */
static void
start_server (Lab     *lab,
              gboolean turn)
{
  g_autofree char *config = g_build_filename (lab->dir, "canopy-signal.conf", NULL);
  g_autoptr (GString) text = g_string_new ("[ice-server stun]\nurls=stun:" STUN_ADDR ":3478\n");
  g_autoptr (GError) error = NULL;
  const char *argv[] = {
    canopy_test_binary ("CANOPY_SIGNAL"), "--bind", SIG_ADDR, "--port", "0", "--config", config,
    NULL
  };

  if (turn)
    g_string_append (text, "\n[ice-server relay]\nurls=turn:" STUN_ADDR ":3478\n"
                           "username=canopy\ncredential=canopy-lab\n");
  g_file_set_contents (config, text->str, -1, &error);
  g_assert_no_error (error);
  lab->server = spawn_in_ns (lab, "sig", "signal", argv);
  canopy_test_wait_for (has_url_or_exited, lab->server, 30, "canopy-signal listening");
  g_assert_false (lab->server->exited);
  lab->url = g_strdup (url_of (lab->server));
  g_assert_true (g_str_has_prefix (lab->url, "ws://" SIG_ADDR ":"));
}

static void
lab_free (Lab *lab)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_pointer (&lab->server, canopy_test_proc_free);
  g_clear_pointer (&lab->turn, canopy_test_proc_free);
  netlab ("down", lab->prefix, NULL, NULL);
  disarm_down ();
  g_test_message ("the case took %.1f s, its lab's set-up and removal included",
                  (g_get_monotonic_time () - lab->started) / (double) G_USEC_PER_SEC);
  dir = g_dir_open (lab->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (lab->dir, name, NULL);

    g_remove (path);
  }
  g_rmdir (lab->dir);
  g_free (lab->dir);
  g_free (lab->url);
  g_free (lab->prefix);
  g_free (lab);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Lab, lab_free)

/* A fresh lab with coturn and canopy-signal running, or NULL when the case is skipped. */
static Lab *
lab_new (gboolean turn)
{
  g_autoptr (GError) error = NULL;
  Lab *lab;
  gint64 t0 = g_get_monotonic_time ();

  if (!lab_can_run ())
    return NULL;
  remove_stale_labs ();
  lab = g_new0 (Lab, 1);
  lab->started = t0;
  lab->prefix = g_strdup_printf (LAB_PREFIX "%d", (int) getpid ());
  lab->dir = g_dir_make_tmp ("canopy-nat-XXXXXX", &error);
  g_assert_no_error (error);
  arm_down (lab->prefix);
  /* up first takes down whatever this prefix left. */
  netlab ("up", lab->prefix, NULL, NULL);
  start_turn (lab);
  start_server (lab, turn);
  g_test_message ("lab %s with %s up in %.0f ms; signalling at %s", lab->prefix,
                  turn ? "STUN and TURN" : "STUN only",
                  (g_get_monotonic_time () - t0) / 1000.0, lab->url);
  return lab;
}

/* --- peers in the lab --------------------------------------------------------------------- */

static CanopyTestProc *
spawn_host (Lab        *lab,
            const char *role,
            guint       k1)
{
  g_auto (InNs) in = { 0 };

  in_ns_init (&in, lab, role);
  return canopy_test_tree_spawn_host_in (in.argv, lab->url, k1, 2, FALSE);
}

/* A viewer counting frames without decoding them, in namespace @role. */
static CanopyTestProc *
spawn_viewer (Lab        *lab,
              const char *role,
              const char *room,
              const char *name,
              guint       capacity)
{
  g_auto (InNs) in = { 0 };

  in_ns_init (&in, lab, role);
  return canopy_test_tree_spawn_viewer_in (in.argv, lab->url, room, name, capacity, FALSE);
}

static CanopyTestProc *
join_viewer (Lab        *lab,
             const char *role,
             const char *room,
             const char *name,
             guint       capacity)
{
  CanopyTestProc *viewer = spawn_viewer (lab, role, room, name, capacity);

  canopy_test_proc_wait_events (viewer, "joined", NULL, NULL, 1, WAIT_S);
  return viewer;
}

/* The longest run of stats (one a second) after the @mark-th event in which @proc counted no
 * new frame: 0 while the video flows. */
static guint
longest_stall_s (CanopyTestProc *proc,
                 guint           mark)
{
  gint64 last = -1;
  guint run = 0;
  guint longest = 0;

  for (guint i = mark; i < proc->events->len; i++) {
    JsonObject *o = g_ptr_array_index (proc->events, i);
    gint64 frames;

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "stats") != 0)
      continue;
    frames = json_object_get_int_member (o, "frames");
    run = last >= 0 && frames == last ? run + 1 : 0;
    longest = MAX (longest, run);
    last = frames;
  }
  return longest;
}

static gboolean
has_joined_twice (CanopyTestProc *proc,
                  gpointer        data)
{
  return canopy_test_proc_count_events (proc, "joined") >= 2;
}

/* A room of a host in the public namespace that takes one child (k1 = 1) and a, behind the
 * cone NAT, under it with room for one child, playing. */
static CanopyTestProc *
host_with_a (Lab             *lab,
             CanopyTestProc **a)
{
  CanopyTestProc *host = spawn_host (lab, "pub", 1);

  *a = join_viewer (lab, "a", canopy_test_tree_room_of (host), "a", 1);
  canopy_test_tree_wait_playing (a, 1);
  return host;
}

/* --- 1. no TURN: the viewer behind the symmetric NAT cannot reach its parent --------------- */

/* host (public, k1 = 1) -> a (cone NAT, capacity 1) -> b (symmetric NAT): the only free place
 * is under a, and a cone NAT and a symmetric one cannot reach each other with STUN alone. b
 * must give up after a few parents that never connected (not at the 30 s join limit) with an
 * error that names the cure, and end failed; a and the host see nothing of it. */
static void
test_needs_turn (void)
{
  g_autoptr (Lab) lab = lab_new (FALSE);
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) a = NULL;
  g_autoptr (CanopyTestProc) b = NULL;
  g_autofree guint *marks = NULL;
  JsonObject *error;
  JsonObject *left;
  CanopyTestTreeMapExpect expect;
  const char *room;
  const char *a_parent;
  double ended_ms;
  double again_ms;
  gint64 a_frames;
  gint64 t0;

  if (lab == NULL)
    return;
  host = host_with_a (lab, &a);
  room = canopy_test_tree_room_of (host);
  a_parent = canopy_test_tree_parent_of (a);
  a_frames = canopy_test_tree_frames_of (a);

  marks = canopy_test_tree_mark_events (&a, 1);
  t0 = g_get_monotonic_time ();
  b = spawn_viewer (lab, "b", room, "b", 1);
  canopy_test_tree_wait_all (&b, 1, canopy_test_tree_has_left, NULL, t0, &ended_ms, WAIT_S,
                             "b to give up");
  canopy_test_wait_exit (b, WAIT_S);
  g_test_message ("b ended %.0f ms after it started; a counted %" G_GINT64_FORMAT " frames "
                  "meanwhile", ended_ms, canopy_test_tree_frames_of (a) - a_frames);

  error = canopy_test_proc_last_event (b, "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "connection");
  g_assert_cmpstr (json_object_get_string_member (error, "message"), ==,
                   "Could not connect to any parent: this network needs a TURN server");
  left = canopy_test_proc_last_event (b, "left");
  g_assert_nonnull (left);
  g_assert_cmpstr (json_object_get_string_member (left, "reason"), ==, "failed");
  g_assert_cmpint (b->exit_status, ==, 1);
  g_assert_cmpuint (canopy_test_proc_count_events (b, "joined"), ==, 0);
  g_assert_cmpuint (canopy_test_proc_count_events (b, "first-frame"), ==, 0);
  /* Three parents that never connected, 8 s each (~25 s measured): the message above, not the
   * 30 s join limit's, says which rule ended it; the time is only printed. */

  /* a kept its place and its video all along; the host's map never lost it. */
  canopy_test_tree_wait_frames_again (&a, 1, marks, t0, &again_ms, "a's frames");
  g_assert_cmpuint (longest_stall_s (a, marks[0]), <, 2);
  g_assert_cmpuint (canopy_test_proc_count_events (a, "joined"), ==, 1);
  g_assert_cmpstr (canopy_test_tree_parent_of (a), ==, a_parent);
  canopy_test_tree_assert_still_in (&a, 1);
  canopy_test_tree_assert_still_in (&host, 1);
  expect = (CanopyTestTreeMapExpect) { &a, 1, NULL };
  canopy_test_tree_wait_all (&host, 1, canopy_test_tree_map_is_right, &expect,
                             g_get_monotonic_time (), NULL, WAIT_S, "the host's map of a alone");

  canopy_test_tree_end_room (host, &a, 1);
  g_assert_cmpint (a->exit_status, ==, 0);
}

/* --- 2. with TURN: the same viewer plays through the relay -------------------------------- */

static void
test_turn (void)
{
  g_autoptr (Lab) lab = lab_new (TRUE);
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) a = NULL;
  g_autoptr (CanopyTestProc) b = NULL;
  g_autofree guint *marks = NULL;
  CanopyTestTreeMapExpect expect;
  CanopyTestProc *viewers[2];
  const char *room;
  double joined_ms;
  double playing_ms;
  double again_ms;
  gint64 t0;

  if (lab == NULL)
    return;
  host = host_with_a (lab, &a);
  room = canopy_test_tree_room_of (host);

  t0 = g_get_monotonic_time ();
  b = spawn_viewer (lab, "b", room, "b", 1);
  canopy_test_proc_wait_events (b, "joined", NULL, NULL, 1, WAIT_S);
  joined_ms = (g_get_monotonic_time () - t0) / 1000.0;
  /* The host is full (k1 = 1): b's only place is under a, behind the other NAT. */
  g_assert_cmpstr (canopy_test_tree_parent_of (b), ==, canopy_test_tree_peer_of (a));
  g_assert_cmpint (canopy_test_tree_depth_of (b), ==, 2);
  canopy_test_tree_wait_playing (&b, 1);
  playing_ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_test_message ("b started, joined under a %.0f ms later, had its first frame %.0f ms after "
                  "its join request and 30 frames by %.0f ms",
                  joined_ms,
                  json_object_get_double_member (canopy_test_proc_last_event (b, "first-frame"),
                                                 "ms"),
                  playing_ms);

  /* No packet goes from one NAT to the other: b's video comes through the relay. */
  netlab ("cut", lab->prefix, NATA_ADDR, NATB_ADDR);
  marks = canopy_test_tree_mark_events (&b, 1);
  t0 = g_get_monotonic_time ();
  canopy_test_tree_wait_frames_again (&b, 1, marks, t0, &again_ms, "b's frames, NATs cut");
  canopy_test_spin (2000);
  g_assert_cmpuint (longest_stall_s (b, marks[0]), <, 2);
  g_assert_cmpuint (canopy_test_proc_count_events (b, "joined"), ==, 1);
  netlab ("heal", lab->prefix, NATA_ADDR, NATB_ADDR);

  viewers[0] = a;
  viewers[1] = b;
  canopy_test_tree_assert_still_in (viewers, 2);
  expect = (CanopyTestTreeMapExpect) { viewers, 2, NULL };
  canopy_test_tree_wait_all (&host, 1, canopy_test_tree_map_is_right, &expect,
                             g_get_monotonic_time (), NULL, WAIT_S, "the host's map of a and b");
  canopy_test_tree_end_room (host, viewers, 2);
  g_assert_cmpint (a->exit_status, ==, 0);
  g_assert_cmpint (b->exit_status, ==, 0);
}

/* --- 3. an edge whose UDP is cut is replaced ---------------------------------------------- */

typedef struct {
  const char *old_parent;
  const char *new_parent;
  const char *peer;
} Moved;

/* The host's map has @peer under its new parent and nothing under the old one. */
static gboolean
map_shows_move (CanopyTestProc *host,
                gpointer        data)
{
  Moved *m = data;
  JsonObject *map = canopy_test_tree_map_of (host);
  JsonObject *old_parent = canopy_test_tree_find_node (map, m->old_parent);

  return old_parent != NULL && canopy_test_tree_find_node (old_parent, m->peer) == NULL &&
         canopy_test_tree_find_node (canopy_test_tree_find_node (map, m->new_parent), m->peer) !=
           NULL;
}

/* host (public, k1 = 2) with c (public) and a (cone NAT) under it, capacity 1 each, and b
 * (symmetric NAT) under c: placed breadth-first, children in the order they attached, c
 * first. Then UDP between b's NAT and c is cut in the "internet"; both keep their TCP to the
 * server, so only the tree's heartbeats can tell. b must leave c (silent), join under a (the
 * host is full), through TURN, and play again; the host's map must follow. */
static void
test_ice_cut (void)
{
  g_autoptr (Lab) lab = lab_new (TRUE);
  g_autoptr (CanopyTestProc) host = NULL;
  CanopyTestProc *viewers[3] = { NULL };
  CanopyTestProc *c, *a, *b;
  g_autofree guint *marks = NULL;
  g_autofree char *c_id = NULL;
  CanopyTestTreeMapExpect expect;
  const char *room;
  double rejoined_ms;
  double again_ms[3];
  double map_ms;
  gint64 t0;
  Moved moved;

  if (lab == NULL)
    return;
  host = spawn_host (lab, "pub", 2);
  room = canopy_test_tree_room_of (host);
  c = viewers[0] = join_viewer (lab, "pub2", room, "c", 1);
  a = viewers[1] = join_viewer (lab, "a", room, "a", 1);
  canopy_test_tree_wait_playing (viewers, 2);
  b = viewers[2] = join_viewer (lab, "b", room, "b", 1);
  c_id = g_strdup (canopy_test_tree_peer_of (c));
  g_assert_cmpstr (canopy_test_tree_parent_of (b), ==, c_id);
  canopy_test_tree_wait_playing (&b, 1);
  expect = (CanopyTestTreeMapExpect) { viewers, 3, NULL };
  canopy_test_tree_wait_all (&host, 1, canopy_test_tree_map_is_right, &expect,
                             g_get_monotonic_time (), NULL, WAIT_S, "the host's map of all three");

  marks = canopy_test_tree_mark_events (viewers, 3);
  t0 = g_get_monotonic_time ();
  netlab ("cut", lab->prefix, NATB_ADDR, PUB2_ADDR);
  canopy_test_tree_wait_all (&b, 1, has_joined_twice, NULL, t0, &rejoined_ms, WAIT_S,
                             "b to join again");
  g_assert_cmpstr (canopy_test_tree_parent_of (b), ==, canopy_test_tree_peer_of (a));
  moved = (Moved) { c_id, canopy_test_tree_peer_of (a), canopy_test_tree_peer_of (b) };
  canopy_test_tree_wait_all (&host, 1, map_shows_move, &moved, t0, &map_ms, WAIT_S,
                             "the host's map with b under a");
  /* Everyone counts frames that came after the cut; b's came from its new parent. */
  canopy_test_tree_wait_frames_again (viewers, 3, marks, t0, again_ms, "frames after the cut");
  g_test_message ("UDP between b and c cut: b joined under a %.0f ms later, the host's map had "
                  "it there by %.0f ms, b counted frames again by %.0f ms (stats once a second)",
                  rejoined_ms, map_ms, again_ms[2]);
  /* ~0.5 s of silence, a place and a TURN allocation: ~1.5 s measured, frames by ~2 s; 10 times
   * that. */
  g_assert_cmpfloat (rejoined_ms, <, 15000);
  g_assert_cmpfloat (again_ms[2], <, 20000);

  /* Nobody else moved or left; the map has the three of them. */
  canopy_test_tree_assert_still_in (viewers, 3);
  g_assert_cmpuint (canopy_test_proc_count_events (a, "joined"), ==, 1);
  g_assert_cmpuint (canopy_test_proc_count_events (c, "joined"), ==, 1);
  canopy_test_tree_wait_all (&host, 1, canopy_test_tree_map_is_right, &expect,
                             g_get_monotonic_time (), NULL, WAIT_S, "the host's map of all three");

  netlab ("heal", lab->prefix, NATB_ADDR, PUB2_ADDR);
  canopy_test_tree_end_room (host, viewers, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (viewers, 3);
}

/* --- 4. STUN only, the cone NAT: a join does not wait on pairs that cannot work ---------- */

/* A room of a host in the public namespace, and its room, with the cone NAT holding every
 * packet to and from a 40 ms each way (its signalling too), or NULL when the case is
 * skipped. */
static CanopyTestProc *
host_behind_delay (Lab *lab)
{
  if (!delay_can_run ())
    return NULL;
  netlab_impair (lab->prefix, "nata", "40", "0");
  return spawn_host (lab, "pub", 1);
}

/* host (public) and a (behind the cone NAT, decoding), STUN only, 80 ms round trip through
 * nata. libnice 0.1.21 under webrtcbin's regular nomination lets the parent nominate only once
 * no check is pending; a's private and IPv6 link-local addresses gave it two pairs that cannot
 * work and held every such join ~2 s (first decoded frame 2.7-2.8 s after the join request;
 * 0.76-0.97 s without them, by hand on a quiet machine). Speed is measured by
 * build-aux/netbench --joins; here only a limit ~10 times that. */
static void
test_cone_stun (void)
{
  g_autoptr (Lab) lab = lab_new (FALSE);
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) a = NULL;
  g_auto (InNs) in = { 0 };
  JsonObject *first;
  double first_ms;
  gint64 t0;

  if (lab == NULL || (host = host_behind_delay (lab)) == NULL)
    return;
  canopy_test_proc_wait_events (host, "map", NULL, NULL, 1, WAIT_S);

  in_ns_init (&in, lab, "a");
  t0 = g_get_monotonic_time ();
  a = canopy_test_tree_spawn_viewer_in (in.argv, lab->url, canopy_test_tree_room_of (host), "a",
                                        1, TRUE);
  canopy_test_proc_wait_events (a, "first-frame", NULL, NULL, 1, WAIT_S);
  first = canopy_test_proc_last_event (a, "first-frame");
  first_ms = json_object_get_double_member (first, "ms");
  g_test_message ("a (cone NAT, STUN only, 80 ms round trip) decoded its first frame %.0f ms "
                  "after its join request (%.0f ms after it started)",
                  first_ms, (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpfloat (first_ms, <, 8000);
  /* "joined" waits for the host's map to show a: on a busy machine after its first frame. */
  canopy_test_proc_wait_events (a, "joined", NULL, NULL, 1, WAIT_S);
  g_assert_cmpuint (canopy_test_proc_count_events (a, "joined"), ==, 1);
  g_assert_cmpstr (canopy_test_tree_parent_of (a), ==,
                   json_object_get_string_member (canopy_test_tree_map_of (host), "id"));
  canopy_test_tree_wait_playing (&a, 1);

  canopy_test_tree_end_room (host, &a, 1);
  g_assert_cmpint (a->exit_status, ==, 0);
}

/* --- 5. STUN only, the cone NAT, the parent out of reach: a clear end --------------------- */

/* The same two, UDP between the cone NAT and the host cut (STUN still answers): a, whose only
 * possible parent never connects, must end failed saying its network needs a TURN server,
 * before its 30 s join limit; the host goes on. */
static void
test_cone_unreachable (void)
{
  g_autoptr (Lab) lab = lab_new (FALSE);
  g_autoptr (CanopyTestProc) host = NULL;
  g_autoptr (CanopyTestProc) a = NULL;
  JsonObject *error;
  double ended_ms;
  gint64 frames;
  gint64 t0;

  if (lab == NULL || (host = host_behind_delay (lab)) == NULL)
    return;
  canopy_test_proc_wait_events (host, "map", NULL, NULL, 1, WAIT_S);
  netlab ("cut", lab->prefix, NATA_ADDR, PUB_ADDR);

  t0 = g_get_monotonic_time ();
  a = spawn_viewer (lab, "a", canopy_test_tree_room_of (host), "a", 1);
  canopy_test_tree_wait_all (&a, 1, canopy_test_tree_has_left, NULL, t0, &ended_ms, WAIT_S,
                             "a to give up");
  canopy_test_wait_exit (a, WAIT_S);
  g_test_message ("a ended %.0f ms after it started", ended_ms);

  error = canopy_test_proc_last_event (a, "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "connection");
  g_assert_cmpstr (json_object_get_string_member (error, "message"), ==,
                   "Could not connect to any parent: this network needs a TURN server");
  g_assert_cmpstr (json_object_get_string_member (canopy_test_proc_last_event (a, "left"),
                                                  "reason"), ==, "failed");
  g_assert_cmpint (a->exit_status, ==, 1);
  g_assert_cmpuint (canopy_test_proc_count_events (a, "first-frame"), ==, 0);
  /* Three placements that never connected, 8 s each (~25 s measured): the message above, not
   * the 30 s join limit's, says which rule ended it. */

  frames = canopy_test_tree_frames_of (host);
  canopy_test_spin (2500);
  g_assert_false (host->exited);
  g_assert_cmpint (canopy_test_tree_frames_of (host), >, frames);
  netlab ("heal", lab->prefix, NATA_ADDR, PUB_ADDR);
  canopy_test_tree_end_room (host, NULL, 0);
}

/* --- 6. loss and delay on every edge: the viewer three hops down keeps playing ------------- */

/* host (pub, k1 = 1) -> v1 (behind the cone NAT) -> v2 (pub2) -> v3 (behind the symmetric NAT,
 * decoding), each edge crossing one router that delays every packet 40 ms each way and drops
 * @data % of them at random, as build-aux/netbench does. Before hop-by-hop repair worked (each
 * relay waiting for its own repairs before passing anything on, retransmissions that came
 * after the jitterbuffer had given up) v3 decoded 11 (1 %) and 3 (5 %) of the host's 30 frames
 * a second; netbench now measures 25-29. Here v3 must decode at least half of what the host
 * sends over 20 s, with no stall of 5 s. */
#define LOSS_WINDOW_S 20

/* Delays every packet through nata and natb 40 ms each way and drops @loss % of them, then
 * builds the chain host (pub, k1 = 1, its --fec @fec) -> v1 (a, capacity 1) -> v2 (pub2,
 * capacity 1) -> v3 (b, decoding) in @procs, each playing. */
static void
lossy_chain (Lab             *lab,
             const char      *loss,
             const char      *fec,
             CanopyTestProc **procs)
{
  g_auto (InNs) in = { 0 };
  const char *host_args[] = { "--fec", fec, NULL };
  const char *room;

  netlab_impair (lab->prefix, "nata", "40", loss);
  netlab_impair (lab->prefix, "natb", "40", loss);
  in_ns_init (&in, lab, "pub");
  procs[0] = canopy_test_tree_spawn_host_with (in.argv, lab->url, 1, 2, FALSE, host_args);
  in_ns_clear (&in);
  room = canopy_test_tree_room_of (procs[0]);
  procs[1] = join_viewer (lab, "a", room, "v1", 1);
  canopy_test_tree_wait_playing (&procs[1], 1);
  procs[2] = join_viewer (lab, "pub2", room, "v2", 1);
  canopy_test_tree_wait_playing (&procs[2], 1);
  in_ns_init (&in, lab, "b");
  procs[3] = canopy_test_tree_spawn_viewer_in (in.argv, lab->url, room, "v3", 0, TRUE);
  canopy_test_proc_wait_events (procs[3], "joined", NULL, NULL, 1, WAIT_S);
  canopy_test_tree_wait_playing (&procs[3], 1);
  g_assert_cmpint (canopy_test_tree_depth_of (procs[3]), ==, 3);
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[3]), ==,
                   canopy_test_tree_peer_of (procs[2]));
}

static void
test_loss (gconstpointer data)
{
  const char *loss = data;
  g_autoptr (Lab) lab = NULL;
  CanopyTestProc *procs[4] = { NULL };
  gint64 host0, leaf0, host1, leaf1;
  double host_fps, leaf_fps;
  guint mark, stall;

  if (!delay_can_run () || (lab = lab_new (TRUE)) == NULL)
    return;
  lossy_chain (lab, loss, "auto", procs);

  mark = procs[3]->events->len;
  host0 = canopy_test_tree_frames_of (procs[0]);
  leaf0 = canopy_test_tree_frames_of (procs[3]);
  canopy_test_spin (LOSS_WINDOW_S * 1000);
  host1 = canopy_test_tree_frames_of (procs[0]);
  leaf1 = canopy_test_tree_frames_of (procs[3]);
  host_fps = (host1 - host0) / (double) LOSS_WINDOW_S;
  leaf_fps = (leaf1 - leaf0) / (double) LOSS_WINDOW_S;
  stall = longest_stall_s (procs[3], mark);
  g_test_message ("%s %% loss, 40 ms per link: over %d s the host sent %.1f fps, v3 (depth 3) "
                  "decoded %.1f fps, longest stall %u s", loss, LOSS_WINDOW_S, host_fps,
                  leaf_fps, stall);
  g_assert_cmpint (canopy_test_tree_depth_of (procs[3]), ==, 3);
  g_assert_cmpfloat (host_fps, >, 0);
  g_assert_cmpfloat (leaf_fps, >=, host_fps / 2);
  g_assert_cmpuint (stall, <, 5);

  canopy_test_tree_end_room (procs[0], &procs[1], 3);
  for (guint i = 1; i < G_N_ELEMENTS (procs); i++)
    g_assert_cmpint (procs[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (procs, G_N_ELEMENTS (procs));
}

static gint64
stat_of (CanopyTestProc *proc,
         const char     *member)
{
  JsonObject *stats = canopy_test_proc_last_event (proc, "stats");

  return stats != NULL && json_object_has_member (stats, member) ?
         json_object_get_int_member (stats, member) : 0;
}

/* The chain of test_loss at 5 % loss, its viewers asking for nothing to be resent
 * ($CANOPY_NACK=0): only the host's FEC repairs, end to end through two relays. v3 loses ~14 %
 * of what the host sends; its jitterbuffers' gaps make it ask for FEC, the relays pass the
 * wish up and the FEC down, and v3 rebuilds packets from it (34 in 20 s when measured). The
 * same chain with the host's FEC off rebuilds none. */
static void
test_loss_fec (gconstpointer data)
{
  gboolean fec = g_str_equal (data, "auto");
  g_autoptr (Lab) lab = NULL;
  CanopyTestProc *procs[4] = { NULL };
  gint64 rebuilt0, leaf0, host0;
  double leaf_fps, host_fps;
  gint64 rebuilt;

  if (!delay_can_run () || (lab = lab_new (TRUE)) == NULL)
    return;
  /* Read as each viewer's webrtcbin makes its transceivers; the host offers NACK as always. */
  g_setenv ("CANOPY_NACK", "0", TRUE);
  lossy_chain (lab, "5", fec ? "auto" : "off", procs);
  /* past the first gaps, the wish up the chain and the first FEC down */
  canopy_test_spin (3000);

  rebuilt0 = stat_of (procs[3], "fec_recovered");
  leaf0 = canopy_test_tree_frames_of (procs[3]);
  host0 = canopy_test_tree_frames_of (procs[0]);
  canopy_test_spin (LOSS_WINDOW_S * 1000);
  rebuilt = stat_of (procs[3], "fec_recovered") - rebuilt0;
  leaf_fps = (canopy_test_tree_frames_of (procs[3]) - leaf0) / (double) LOSS_WINDOW_S;
  host_fps = (canopy_test_tree_frames_of (procs[0]) - host0) / (double) LOSS_WINDOW_S;
  g_test_message ("5 %% loss, 40 ms per link, no retransmission, host FEC %s: over %d s v3 "
                  "rebuilt %" G_GINT64_FORMAT " packets from FEC and decoded %.1f fps (the host "
                  "sent %.1f)", fec ? "auto" : "off", LOSS_WINDOW_S, rebuilt, leaf_fps, host_fps);
  g_assert_cmpint (canopy_test_tree_depth_of (procs[3]), ==, 3);
  if (fec)
    g_assert_cmpint (rebuilt, >, 0);
  else
    g_assert_cmpint (rebuilt, ==, 0);

  canopy_test_tree_end_room (procs[0], &procs[1], 3);
  g_unsetenv ("CANOPY_NACK");
  canopy_test_tree_free_all (procs, G_N_ELEMENTS (procs));
}

/* --- 7. a relay killed or stopped while every edge loses packets ------------------------- */

/* The chain of test_loss at 5 % loss: host (pub, k1 = 1) -> v1 (cone NAT) -> v2 (pub2) -> v3
 * (symmetric NAT, decoding). v2 is killed (kill -9) or stopped (SIGSTOP) while repairs are
 * under way. v3 must find the only free place, under v1 (its parent drops a killed or silent
 * child), and play on there through the same loss: at least half the host's frame rate over
 * 15 s from its first frames back, no stall of 5 s. A stopped v2 woken up again takes nobody
 * down. */
#define FAILURE_WINDOW_S 15

static void
test_loss_relay_failure (gconstpointer data)
{
  gboolean kill = g_str_equal (data, "kill");
  g_autoptr (Lab) lab = NULL;
  CanopyTestProc *procs[4] = { NULL };
  CanopyTestProc *others[3];
  g_autofree guint *marks = NULL;
  gint64 t0, host0, leaf0;
  double back_ms, again_ms[3], host_fps, leaf_fps;
  guint mark, stall;

  if (!delay_can_run () || (lab = lab_new (TRUE)) == NULL)
    return;
  lossy_chain (lab, "5", "auto", procs);
  canopy_test_spin (3000);

  marks = canopy_test_tree_mark_events (&procs[3], 1);
  t0 = g_get_monotonic_time ();
  canopy_test_proc_signal (procs[2], kill ? SIGKILL : SIGSTOP);
  canopy_test_tree_wait_frames_again (&procs[3], 1, marks, t0, &back_ms,
                                      "v3's frames after its parent failed");
  canopy_test_proc_wait_events (procs[3], "joined", NULL, NULL, 2, WAIT_S);
  g_assert_cmpstr (canopy_test_tree_parent_of (procs[3]), ==,
                   canopy_test_tree_peer_of (procs[1]));

  mark = procs[3]->events->len;
  host0 = canopy_test_tree_frames_of (procs[0]);
  leaf0 = canopy_test_tree_frames_of (procs[3]);
  canopy_test_spin (FAILURE_WINDOW_S * 1000);
  host_fps = (canopy_test_tree_frames_of (procs[0]) - host0) / (double) FAILURE_WINDOW_S;
  leaf_fps = (canopy_test_tree_frames_of (procs[3]) - leaf0) / (double) FAILURE_WINDOW_S;
  stall = longest_stall_s (procs[3], mark);
  g_test_message ("5 %% loss, 40 ms per link, v2 %s: v3 had frames again within %.0f ms, under "
                  "v1; over %d s the host sent %.1f fps, v3 decoded %.1f fps, longest stall %u s",
                  kill ? "killed" : "stopped", back_ms, FAILURE_WINDOW_S, host_fps, leaf_fps,
                  stall);
  g_assert_cmpfloat (host_fps, >, 0);
  g_assert_cmpfloat (leaf_fps, >=, host_fps / 2);
  g_assert_cmpuint (stall, <, 5);

  others[0] = procs[0];
  others[1] = procs[1];
  others[2] = procs[3];
  if (kill) {
    canopy_test_wait_exit (procs[2], WAIT_S);
    g_assert_cmpint (procs[2]->exit_status, ==, 128 + SIGKILL);
  } else {
    /* Woken up, it finds its place gone; whatever it does, the others play on. */
    g_free (marks);
    marks = canopy_test_tree_mark_events (others, 3);
    canopy_test_proc_signal (procs[2], SIGCONT);
    canopy_test_spin (3000);
    canopy_test_tree_wait_frames_again (others, 3, marks, g_get_monotonic_time (), again_ms,
                                        "frames after SIGCONT");
  }
  canopy_test_tree_assert_still_in (others + 1, 2);

  canopy_test_tree_end_room (procs[0], &procs[1], 3);
  g_assert_cmpint (procs[1]->exit_status, ==, 0);
  g_assert_cmpint (procs[3]->exit_status, ==, 0);
  canopy_test_tree_free_all (procs, G_N_ELEMENTS (procs));
}

/* --- 8. a relay whose upload does not carry its children's streams is given fewer --------- */

/* canopy-netlab.sh limit PREFIX ROLE KBIT: @role's link carries @kbit kbit/s each way. */
static void
netlab_limit (const char *prefix,
              const char *role,
              guint       kbit)
{
  g_autofree char *kbit_text = g_strdup_printf ("%u", kbit);
  const char *argv[] = {
    "/bin/sh", canopy_test_binary ("CANOPY_NETLAB"), "limit", prefix, role, kbit_text, NULL
  };
  g_autoptr (CanopyTestProc) proc = canopy_test_proc_spawn ("netlab", argv);

  canopy_test_wait_exit (proc, 60);
  if (proc->exit_status != 0)
    g_error ("canopy-netlab.sh limit %s %s %u failed with status %d (its message is above)",
             prefix, role, kbit, proc->exit_status);
}

/* The median of @proc's `kbps` stats over the last @n seconds, 0 before any. */
static double
median_kbps (CanopyTestProc *proc,
             guint           n)
{
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = proc->events->len; i > 0 && values->len < n; i--) {
    JsonObject *o = g_ptr_array_index (proc->events, i - 1);
    double kbps;

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "stats") != 0)
      continue;
    kbps = json_object_get_double_member_with_default (o, "kbps", 0);
    g_array_append_val (values, kbps);
  }
  if (values->len == 0)
    return 0;
  for (guint i = 1; i < values->len; i++)
    for (guint j = i; j > 0 && g_array_index (values, double, j - 1) >
                                   g_array_index (values, double, j); j--) {
      double t = g_array_index (values, double, j);

      g_array_index (values, double, j) = g_array_index (values, double, j - 1);
      g_array_index (values, double, j - 1) = t;
    }
  return g_array_index (values, double, values->len / 2);
}

/* Limits nata's link, each way, to two streams as @receiver (named @who) gets them: its video
 * (the median over 5 s) and 64 kbit/s more for the audio and RTCP. Returns when (monotonic). */
static gint64
limit_nata_to_two_streams (Lab            *lab,
                           CanopyTestProc *receiver,
                           const char     *who)
{
  double stream_kbps;
  guint kbit;

  canopy_test_spin (3000);
  stream_kbps = median_kbps (receiver, 5);
  g_assert_cmpfloat (stream_kbps, >, 0);
  kbit = (guint) (2 * (stream_kbps + 64));
  g_test_message ("%s receives %.0f kbit/s of video: nata's link limited to %u kbit/s", who,
                  stream_kbps, kbit);
  netlab_limit (lab->prefix, "nata", kbit);
  return g_get_monotonic_time ();
}

typedef struct {
  const char *relay;
  guint declared;
  guint viewers;
} Shed;

/* The host's map: @relay's capacity below what it declared, no more children under it than
 * that, and every viewer in the room. */
static gboolean
map_shows_shed (CanopyTestProc *host,
                gpointer        data)
{
  Shed *shed = data;
  JsonObject *map = canopy_test_tree_map_of (host);
  JsonObject *relay = map != NULL ? canopy_test_tree_find_node (map, shed->relay) : NULL;
  JsonArray *children;
  gint64 capacity;

  if (relay == NULL)
    return FALSE;
  capacity = json_object_get_int_member_with_default (relay, "capacity", -1);
  children = json_object_has_member (relay, "childNodes")
               ? json_object_get_array_member (relay, "childNodes")
               : NULL;
  return capacity >= 0 && capacity < shed->declared &&
         (children == NULL ? 0 : json_array_get_length (children)) <= (guint) capacity &&
         canopy_test_tree_size (map) == shed->viewers + 1;
}

static gboolean
map_shows_capacity_below (CanopyTestProc *host,
                          gpointer        data)
{
  Shed *shed = data;
  JsonObject *map = canopy_test_tree_map_of (host);
  JsonObject *relay = map != NULL ? canopy_test_tree_find_node (map, shed->relay) : NULL;

  return relay != NULL &&
         json_object_get_int_member_with_default (relay, "capacity", -1) < shed->declared;
}

/* host (pub, k1 = 2) with r (behind the cone NAT, declared capacity 3) and p (pub, capacity
 * 2) under it, r first; c1, c2, c3 (pub2, decoding) join: the host is full, so they go under
 * r. Then nata's link is limited to about twice the stream r receives: r's upload carries two
 * of its children's three streams. r must measure that (every child's link
 * losing and queueing together), tell the host, whose map must show r's capacity lowered, and
 * move its newest children away; the host places them under p; every viewer decodes again
 * and r keeps no more children than its capacity. The time from the limit to the map showing
 * it all is printed; the limits are generous (a loaded machine). */
static void
test_upload_capacity (void)
{
  g_autoptr (Lab) lab = NULL;
  CanopyTestProc *viewers[5] = { NULL };
  CanopyTestProc *host = NULL;
  g_autofree char *relay_id = NULL;
  g_autofree guint *marks = NULL;
  g_auto (InNs) in = { 0 };
  JsonObject *capacity_event;
  const char *room;
  double lowered_ms, shed_ms, again_ms[5];
  guint under_r = 0;
  gint64 t0;
  Shed shed;

  if ((lab = lab_new (FALSE)) == NULL)
    return;
  /* k = 4: a viewer's own capacity is its limit. */
  in_ns_init (&in, lab, "pub");
  host = canopy_test_tree_spawn_host_in (in.argv, lab->url, 2, 4, FALSE);
  in_ns_clear (&in);
  room = canopy_test_tree_room_of (host);
  viewers[0] = join_viewer (lab, "a", room, "r", 3);
  relay_id = g_strdup (canopy_test_tree_peer_of (viewers[0]));
  canopy_test_tree_wait_playing (&viewers[0], 1);
  viewers[1] = join_viewer (lab, "pub", room, "p", 2);
  canopy_test_tree_wait_playing (&viewers[1], 1);

  in_ns_init (&in, lab, "pub2");
  for (guint i = 2; i < 5; i++) {
    g_autofree char *name = g_strdup_printf ("c%u", i - 1);

    viewers[i] = canopy_test_tree_spawn_viewer_in (in.argv, lab->url, room, name, 0, TRUE);
    canopy_test_proc_wait_events (viewers[i], "joined", NULL, NULL, 1, WAIT_S);
    g_test_message ("%s joined under %s (r is %s, p %s)", name,
                    canopy_test_tree_parent_of (viewers[i]), relay_id,
                    canopy_test_tree_peer_of (viewers[1]));
    if (g_strcmp0 (canopy_test_tree_parent_of (viewers[i]), relay_id) == 0)
      under_r++;
  }
  /* r's three places came first: the host was full. */
  g_assert_cmpuint (under_r, ==, 3);
  canopy_test_tree_wait_playing (viewers, 5);

  /* A link for two of the three streams r sends. */
  t0 = limit_nata_to_two_streams (lab, viewers[0], "r");

  shed = (Shed) { relay_id, 3, 5 };
  canopy_test_tree_wait_all (&host, 1, map_shows_capacity_below, &shed, t0, &lowered_ms,
                             2 * WAIT_S, "the host's map with r's capacity lowered");
  canopy_test_tree_wait_all (&host, 1, map_shows_shed, &shed, t0, &shed_ms, 2 * WAIT_S,
                             "the host's map with r's excess children elsewhere");
  capacity_event = canopy_test_proc_last_event (viewers[0], "capacity");
  g_assert_nonnull (capacity_event);
  g_test_message ("r measured its upload: %" G_GINT64_FORMAT " children of %" G_GINT64_FORMAT
                  " declared; the host's map showed its capacity lowered %.0f ms after the "
                  "link was limited, its excess children elsewhere by %.0f ms",
                  json_object_get_int_member (capacity_event, "capacity"),
                  json_object_get_int_member (capacity_event, "declared"), lowered_ms, shed_ms);
  g_assert_cmpint (json_object_get_int_member (capacity_event, "capacity"), <, 3);

  /* Everyone decodes again, from wherever it is now. */
  marks = canopy_test_tree_mark_events (viewers, 5);
  canopy_test_tree_wait_frames_again (viewers, 5, marks, g_get_monotonic_time (), again_ms,
                                      "frames after r shed its children");
  canopy_test_tree_wait_playing (viewers, 5);
  canopy_test_tree_assert_still_in (viewers, 5);
  g_assert_true (map_shows_shed (host, &shed));

  canopy_test_tree_end_room (host, viewers, 5);
  for (guint i = 0; i < G_N_ELEMENTS (viewers); i++)
    g_assert_cmpint (viewers[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (viewers, G_N_ELEMENTS (viewers));
  canopy_test_proc_free (host);
}

/* --- 9. the host's own upload: its k1 is lowered and its newest children go below ------- */

typedef struct {
  CanopyTestProc **children;   /* the host's, in the order they joined */
  guint n;
  guint kept;                  /* the first @kept stay under the host */
  const char *relay;
} HostShed;

/* The capacity of the root of the host's map (the host's k1 as the map says it), or -1. */
static gint64
map_root_capacity (CanopyTestProc *host)
{
  JsonObject *map = canopy_test_tree_map_of (host);

  return map != NULL ? json_object_get_int_member_with_default (map, "capacity", -1) : -1;
}

static gboolean
map_shows_k1_below (CanopyTestProc *host,
                    gpointer        data)
{
  gint64 capacity = map_root_capacity (host);

  return capacity >= 0 && capacity < GPOINTER_TO_INT (data);
}

/* @child's latest join put it under @parent, and it decoded frames since. */
static gboolean
decodes_under (CanopyTestProc *child,
               const char     *parent)
{
  gboolean joined = FALSE;
  gint64 first = -1;
  gint64 last = -1;

  for (guint i = 0; i < child->events->len; i++) {
    JsonObject *o = g_ptr_array_index (child->events, i);
    const char *event = json_object_get_string_member_with_default (o, "event", "");

    if (g_str_equal (event, "joined")) {
      joined = TRUE;
      first = last = -1;
    } else if (g_str_equal (event, "stats") && joined) {
      last = json_object_get_int_member (o, "frames");
      if (first < 0)
        first = last;
    }
  }
  return joined && g_strcmp0 (canopy_test_tree_parent_of (child), parent) == 0 &&
         first >= 0 && last - first >= 30;
}

/* The host's map: every child beyond the kept ones under the relay, decoding there. */
static gboolean
excess_decodes_below (CanopyTestProc *host,
                      gpointer        data)
{
  HostShed *shed = data;
  JsonObject *map = canopy_test_tree_map_of (host);
  JsonObject *relay = map != NULL ? canopy_test_tree_find_node (map, shed->relay) : NULL;

  if (relay == NULL || canopy_test_tree_size (map) != shed->n + 1)
    return FALSE;
  for (guint i = shed->kept; i < shed->n; i++) {
    const char *id = canopy_test_tree_peer_of (shed->children[i]);

    if (canopy_test_proc_count_events (shed->children[i], "joined") < 2 ||
        canopy_test_tree_find_node (relay, id) == NULL ||
        !decodes_under (shed->children[i], shed->relay))
      return FALSE;
  }
  return TRUE;
}

/* The host (behind the cone NAT, k1 = 3) with p (pub, capacity 2) first, then c1 and c2
 * (pub2, decoding) under it. Then nata's link is limited as r's in the case above: about two
 * of the three streams the host sends. The host must measure that with the same judge as a
 * relay, lower its own capacity in the map it signs (to 1 or 2: what the link delivered while
 * it was full, bursts and overhead included), and say `bye` `moving` to its newest children
 * beyond it, which join again under p and decode; the older ones never leave. The times from
 * the limit to the map showing the lowered k1 and to the moved children decoding under p are
 * printed. */
static void
test_upload_capacity_host (void)
{
  g_autoptr (Lab) lab = NULL;
  CanopyTestProc *children[3] = { NULL };
  CanopyTestProc *host = NULL;
  g_autofree char *host_id = NULL;
  g_autofree char *relay_id = NULL;
  g_auto (InNs) in = { 0 };
  JsonObject *capacity_event;
  JsonObject *map;
  const char *room;
  double lowered_ms, moved_ms;
  gint64 t0, measured;
  HostShed shed;

  if ((lab = lab_new (FALSE)) == NULL)
    return;
  host = spawn_host (lab, "a", 3);
  room = canopy_test_tree_room_of (host);
  children[0] = join_viewer (lab, "pub", room, "p", 2);
  relay_id = g_strdup (canopy_test_tree_peer_of (children[0]));
  host_id = g_strdup (canopy_test_tree_parent_of (children[0]));
  canopy_test_tree_wait_playing (&children[0], 1);
  in_ns_init (&in, lab, "pub2");
  for (guint i = 1; i < 3; i++) {
    g_autofree char *name = g_strdup_printf ("c%u", i);

    children[i] = canopy_test_tree_spawn_viewer_in (in.argv, lab->url, room, name, 0, TRUE);
    canopy_test_proc_wait_events (children[i], "joined", NULL, NULL, 1, WAIT_S);
    canopy_test_tree_wait_playing (&children[i], 1);
  }
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (canopy_test_tree_parent_of (children[i]), ==, host_id);
  g_assert_cmpint (map_root_capacity (host), ==, 3);

  /* A link for two of the three streams the host sends. */
  t0 = limit_nata_to_two_streams (lab, children[0], "p");

  canopy_test_tree_wait_all (&host, 1, map_shows_k1_below, GINT_TO_POINTER (3), t0,
                             &lowered_ms, 2 * WAIT_S, "the host's map with its k1 lowered");
  /* Printed right after the map that shows it. */
  canopy_test_proc_wait_events (host, "capacity", NULL, NULL, 1, WAIT_S);
  capacity_event = canopy_test_proc_last_event (host, "capacity");
  measured = json_object_get_int_member (capacity_event, "capacity");
  g_assert_cmpint (json_object_get_int_member (capacity_event, "declared"), ==, 3);
  /* p, the oldest, stays: the newest go first, and under p is where they can go. */
  g_assert_cmpint (measured, >=, 1);
  g_assert_cmpint (measured, <, 3);
  shed = (HostShed) { children, 3, (guint) measured, relay_id };
  canopy_test_tree_wait_all (&host, 1, excess_decodes_below, &shed, t0, &moved_ms, 2 * WAIT_S,
                             "the host's newest children decoding under p");
  g_test_message ("the host measured its upload: %" G_GINT64_FORMAT " children of 3; its map "
                  "showed k1 lowered %.0f ms after the link was limited, its %" G_GINT64_FORMAT
                  " newest children decoding under p by %.0f ms", measured, lowered_ms,
                  3 - measured, moved_ms);

  /* Everyone plays on; the older children never left the host, and its map says k1 with no
   * more children than that. */
  canopy_test_tree_wait_playing (children, 3);
  canopy_test_tree_assert_still_in (children, 3);
  for (guint i = 0; i < (guint) measured; i++) {
    g_assert_cmpuint (canopy_test_proc_count_events (children[i], "joined"), ==, 1);
    g_assert_cmpstr (canopy_test_tree_parent_of (children[i]), ==, host_id);
  }
  map = canopy_test_tree_map_of (host);
  g_assert_cmpint (map_root_capacity (host), ==, measured);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (map, "childNodes")),
                    ==, (guint) measured);

  canopy_test_tree_end_room (host, children, 3);
  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    g_assert_cmpint (children[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (children, G_N_ELEMENTS (children));
  canopy_test_proc_free (host);
}

/* --- 10. a thin link: the child behind it gets fewer temporal layers, its sibling all ------ */

/* The layers the host's stats (after its @mark-th event) said it sent @peer: how many said
 * fewer than all, of how many that named it. */
static guint
count_thinned (CanopyTestProc *host,
               guint           mark,
               const char     *peer,
               guint          *named)
{
  guint thinned = 0;

  *named = 0;
  for (guint i = mark; i < host->events->len; i++) {
    JsonObject *o = g_ptr_array_index (host->events, i);
    JsonObject *layers;

    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "stats") != 0 ||
        !json_object_has_member (o, "layers"))
      continue;
    layers = json_object_get_object_member (o, "layers");
    if (layers == NULL || !json_object_has_member (layers, peer))
      continue;
    (*named)++;
    if (json_object_get_int_member (layers, peer) < 3)
      thinned++;
  }
  return thinned;
}

#define THIN_WINDOW_S 20
#define THIN_SETTLE_S 6

/* host (pub, k1 = 2) sending ~2.5 Mbit/s of VP8 in three temporal layers (320x240 test snow,
 * which vp8enc cannot squeeze below that), "full" (pub2) and "thin" (behind the cone NAT)
 * under it, both decoding; then thin's link is capped at 1 Mbit/s. Without thinning, thin
 * decodes next to nothing (every frame loses packets in the full queue). With it, the host
 * sends thin the base layer (7.5 of 30 fps, ~30 % of the rate) and stand-ins for the rest,
 * and keeps sending full everything. Relative to what the host encoded over 20 s, after 6 s to
 * settle: full decodes at least 60 %, thin at least 12 % (the base layer is 25 %) with no
 * stall of 4 s, the host's stats show thin thinned most of the time and full never. The
 * frame rates are printed. */
static void
test_thin_link (void)
{
  g_autoptr (Lab) lab = NULL;
  g_auto (InNs) in_pub = { 0 };
  g_auto (InNs) in_a = { 0 };
  g_auto (InNs) in_pub2 = { 0 };
  CanopyTestProc *procs[3] = { NULL };
  CanopyTestProc *host, *full, *thin;
  const char *room;
  gint64 host0, full0, thin0, host1, full1, thin1;
  double host_fps, full_fps, thin_fps;
  guint mark_host, mark_thin, stall;
  guint thin_named, full_named, thin_thinned, full_thinned;
  g_autofree char *thin_id = NULL;
  g_autofree char *full_id = NULL;

  if ((lab = lab_new (FALSE)) == NULL)
    return;
  in_ns_init (&in_pub, lab, "pub");
  {
    const char *argv[] = {
      canopy_test_binary ("CANOPY_NODE"), "host", "--server", lab->url, "--title", "Thin room",
      "--name", "host", "--k1", "2", "--k", "2", "--source", "test:motion", "--width", "640",
      "--height", "360", "--bitrate", "2500", "--events", "--unlisted", NULL
    };

    host = procs[0] = canopy_test_tree_spawn_in (in_pub.argv, "host", argv);
  }
  room = canopy_test_tree_room_of (host);
  in_ns_init (&in_pub2, lab, "pub2");
  full = procs[1] = canopy_test_tree_spawn_viewer_in (in_pub2.argv, lab->url, room, "full", 0,
                                                      TRUE);
  canopy_test_proc_wait_events (full, "joined", NULL, NULL, 1, WAIT_S);
  in_ns_init (&in_a, lab, "a");
  thin = procs[2] = canopy_test_tree_spawn_viewer_in (in_a.argv, lab->url, room, "thin", 0,
                                                      TRUE);
  canopy_test_proc_wait_events (thin, "joined", NULL, NULL, 1, WAIT_S);
  canopy_test_tree_wait_playing (&procs[1], 2);
  full_id = g_strdup (canopy_test_tree_peer_of (full));
  thin_id = g_strdup (canopy_test_tree_peer_of (thin));
  g_assert_cmpint (canopy_test_tree_depth_of (full), ==, 1);
  g_assert_cmpint (canopy_test_tree_depth_of (thin), ==, 1);

  netlab_limit (lab->prefix, "nata", 1000);
  canopy_test_spin (THIN_SETTLE_S * 1000);

  mark_host = host->events->len;
  mark_thin = thin->events->len;
  host0 = canopy_test_tree_frames_of (host);
  full0 = canopy_test_tree_frames_of (full);
  thin0 = canopy_test_tree_frames_of (thin);
  canopy_test_spin (THIN_WINDOW_S * 1000);
  host1 = canopy_test_tree_frames_of (host);
  full1 = canopy_test_tree_frames_of (full);
  thin1 = canopy_test_tree_frames_of (thin);
  host_fps = (host1 - host0) / (double) THIN_WINDOW_S;
  full_fps = (full1 - full0) / (double) THIN_WINDOW_S;
  thin_fps = (thin1 - thin0) / (double) THIN_WINDOW_S;
  stall = longest_stall_s (thin, mark_thin);
  thin_thinned = count_thinned (host, mark_host, thin_id, &thin_named);
  full_thinned = count_thinned (host, mark_host, full_id, &full_named);
  g_test_message ("thin's link at 1 Mbit/s: over %d s the host encoded %.1f fps, full decoded "
                  "%.1f fps, thin %.1f fps (longest stall %u s); the host sent thin fewer "
                  "layers in %u of %u seconds, full in %u of %u", THIN_WINDOW_S, host_fps,
                  full_fps, thin_fps, stall, thin_thinned, thin_named, full_thinned,
                  full_named);
  g_assert_cmpfloat (host_fps, >, 0);
  g_assert_cmpfloat (full_fps, >=, host_fps * 0.6);
  g_assert_cmpfloat (thin_fps, >=, host_fps * 0.12);
  g_assert_cmpuint (stall, <, 4);
  g_assert_cmpuint (thin_named, >, 0);
  g_assert_cmpuint (thin_thinned * 2, >=, thin_named);
  g_assert_cmpuint (full_thinned, ==, 0);
  /* Both are where they were: nobody left or moved. */
  g_assert_cmpuint (canopy_test_proc_count_events (thin, "joined"), ==, 1);
  g_assert_cmpuint (canopy_test_proc_count_events (full, "joined"), ==, 1);

  canopy_test_tree_end_room (host, &procs[1], 2);
  for (guint i = 1; i < G_N_ELEMENTS (procs); i++)
    g_assert_cmpint (procs[i]->exit_status, ==, 0);
  canopy_test_tree_free_all (procs, G_N_ELEMENTS (procs));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  catch_fatal_signals ();
  g_test_add_func ("/nat/needs-turn", test_needs_turn);
  g_test_add_func ("/nat/turn", test_turn);
  g_test_add_func ("/nat/ice-cut", test_ice_cut);
  g_test_add_func ("/nat/cone-stun", test_cone_stun);
  g_test_add_func ("/nat/cone-unreachable", test_cone_unreachable);
  g_test_add_data_func ("/nat/loss-1", "1", test_loss);
  g_test_add_data_func ("/nat/loss-5", "5", test_loss);
  g_test_add_data_func ("/nat/loss-fec", "auto", test_loss_fec);
  g_test_add_data_func ("/nat/loss-no-fec", "off", test_loss_fec);
  g_test_add_data_func ("/nat/loss-relay-killed", "kill", test_loss_relay_failure);
  g_test_add_data_func ("/nat/loss-relay-stopped", "stop", test_loss_relay_failure);
  g_test_add_func ("/nat/upload-capacity", test_upload_capacity);
  g_test_add_func ("/nat/upload-capacity-host", test_upload_capacity_host);
  g_test_add_func ("/nat/thin-link", test_thin_link);
  return g_test_run ();
}
