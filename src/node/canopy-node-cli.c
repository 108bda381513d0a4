/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyNodeMain"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "canopy-forward.h"
#include "canopy-identity.h"
#include "canopy-json.h"
#include "canopy-node-cli.h"
#include "canopy-source.h"
#include "canopy-webrtc.h"

/*
 * canopy-node's command line: a headless peer. With --events it prints one JSON object per line
 * for each thing that happens (docs/protocol.md lists them); tests and benchmarks read those.
 * canopy-node is this and nothing else; the test suite's hostile peer (tests/hostile) is this
 * with options of its own and a hook that makes the node misbehave.
 */

typedef struct {
  GMainLoop *loop;
  CanopyNode *node;
  gboolean events;
  char *chat_text;
  int chat_every;
  guint chat_id;
  guint chat_count;
  int exit_code;
  GDataInputStream *input;
  GCancellable *cancellable;
  char *share_path;            /* shared once in the room */
  gboolean shared;
  char *save_dir;              /* where files that came are written; NULL: nowhere */
} App;

static void
emit_event (App        *app,
            JsonObject *event)
{
  g_autofree char *text = canopy_json_to_string (event);

  g_print ("%s\n", text);
  fflush (stdout);
}

static JsonObject *
event_new (const char *name)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  return event;
}

static gboolean
send_chat (gpointer user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  app->chat_count++;
  text = app->chat_every > 0 ? g_strdup_printf ("%s #%u", app->chat_text, app->chat_count)
                             : g_strdup (app->chat_text);
  if (!canopy_node_send_chat (app->node, text, &error))
    g_printerr ("Cannot send chat: %s\n", error->message);
  if (app->chat_every > 0)
    return G_SOURCE_CONTINUE;
  app->chat_id = 0;
  return G_SOURCE_REMOVE;
}

static void
share (App        *app,
       const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = canopy_node_share_file (app->node, path, &error);

  if (id == NULL) {
    g_autoptr (JsonObject) event = event_new ("file-failed");

    g_printerr ("Cannot share %s: %s\n", path, error->message);
    if (app->events) {
      json_object_set_string_member (event, "reason", error->message);
      if (error->domain == CANOPY_ERROR)
        json_object_set_string_member (event, "code", canopy_error_code_to_string (error->code));
      emit_event (app, event);
    }
  }
}

static void
cancel_file (App        *app,
             const char *id)
{
  g_autoptr (GError) error = NULL;

  if (!canopy_node_cancel_file (app->node, id, &error))
    g_printerr ("Cannot cancel %s: %s\n", id, error->message);
}

/* The host's file policy, as this node heard it (a host: as it set it). */
static void
on_file_policy (CanopyNode *node,
                GParamSpec *pspec,
                App        *app)
{
  g_autoptr (JsonObject) event = event_new ("file-policy");

  if (!app->events)
    return;
  json_object_set_boolean_member (event, "allowed", canopy_node_get_files_allowed (node));
  json_object_set_int_member (event, "max", (gint64) canopy_node_get_file_max_size (node));
  emit_event (app, event);
}

static void
start_sharing (App *app)
{
  if (app->share_path == NULL || app->shared)
    return;
  app->shared = TRUE;
  share (app, app->share_path);
}

/* Writes a file that came to the save directory under its (clean) name, never over anything:
 * "name", "name (1)", ... */
static char *
save_file (App                      *app,
           const CanopyFileManifest *manifest,
           GBytes                   *contents,
           GError                  **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (contents, &size);

  for (guint n = 0; n < 1000; n++) {
    g_autofree char *name = n == 0 ? g_strdup (manifest->name)
                                   : g_strdup_printf ("%s (%u)", manifest->name, n);
    g_autofree char *path = g_build_filename (app->save_dir, name, NULL);
    int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    gsize done = 0;

    if (fd < 0 && errno == EEXIST)
      continue;
    if (fd < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path,
                   g_strerror (errno));
      return NULL;
    }
    while (done < size) {
      gssize w = write (fd, data + done, size - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path,
                     g_strerror (errno));
        close (fd);
        g_unlink (path);
        return NULL;
      }
      done += (gsize) w;
    }
    if (close (fd) != 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path,
                   g_strerror (errno));
      return NULL;
    }
    return g_steal_pointer (&path);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Too many files named %s", manifest->name);
  return NULL;
}

static void
on_file_offered (CanopyNode               *node,
                 const CanopyFileManifest *manifest,
                 App                      *app)
{
  g_autoptr (JsonObject) event = event_new ("file-offered");

  if (!app->events) {
    g_print ("%s offers %s (%" G_GUINT64_FORMAT " bytes)\n", manifest->sender, manifest->name,
             manifest->size);
    return;
  }
  json_object_set_string_member (event, "id", manifest->id);
  json_object_set_string_member (event, "sender", manifest->sender);
  json_object_set_string_member (event, "name", manifest->name);
  json_object_set_int_member (event, "size", (gint64) manifest->size);
  json_object_set_string_member (event, "mime", manifest->mime);
  json_object_set_int_member (event, "chunks", manifest->n_chunks);
  json_object_set_string_member (event, "sha256", manifest->sha256);
  json_object_set_int_member (event, "hops", manifest->hops);
  emit_event (app, event);
}

static void
on_file_progress (CanopyNode *node,
                  const char *id,
                  guint64     bytes,
                  guint64     size,
                  App        *app)
{
  g_autoptr (JsonObject) event = event_new ("file-progress");

  if (!app->events)
    return;
  json_object_set_string_member (event, "id", id);
  json_object_set_int_member (event, "bytes", (gint64) bytes);
  json_object_set_int_member (event, "size", (gint64) size);
  json_object_set_int_member (event, "received", g_get_real_time ());
  emit_event (app, event);
}

static void
on_file_complete (CanopyNode               *node,
                  const CanopyFileManifest *manifest,
                  GBytes                   *contents,
                  App                      *app)
{
  g_autoptr (JsonObject) event = event_new ("file-complete");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  /* Told as computed here from the bytes, not as the manifest says. */
  g_autofree char *hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, contents);

  if (app->save_dir != NULL) {
    path = save_file (app, manifest, contents, &error);
    if (path == NULL)
      g_printerr ("Cannot save %s: %s\n", manifest->name, error->message);
  }
  if (!app->events) {
    g_print ("received %s (%s)\n", manifest->name, path ? path : "not saved");
    return;
  }
  json_object_set_string_member (event, "id", manifest->id);
  json_object_set_string_member (event, "name", manifest->name);
  json_object_set_int_member (event, "size", (gint64) manifest->size);
  json_object_set_string_member (event, "sha256", hash);
  json_object_set_int_member (event, "received", g_get_real_time ());
  if (path != NULL)
    json_object_set_string_member (event, "path", path);
  emit_event (app, event);
  if (error != NULL) {
    g_autoptr (JsonObject) failed = event_new ("file-failed");

    json_object_set_string_member (failed, "id", manifest->id);
    json_object_set_string_member (failed, "reason", "save-failed");
    emit_event (app, failed);
  }
}

static void
on_file_failed (CanopyNode *node,
                const char *id,
                const char *reason,
                App        *app)
{
  g_autoptr (JsonObject) event = event_new ("file-failed");

  if (!app->events) {
    g_print ("file %s failed: %s\n", id, reason);
    return;
  }
  json_object_set_string_member (event, "id", id);
  json_object_set_string_member (event, "reason", reason);
  emit_event (app, event);
}

static void
start_chatting (App *app)
{
  if (app->chat_text == NULL || app->chat_id != 0 || app->chat_count > 0)
    return;
  if (app->chat_every > 0)
    app->chat_id = g_timeout_add_seconds (app->chat_every, send_chat, app);
  else
    send_chat (app);
}

/* A line on stdin that starts with '/' is a command (a line to say that starts with '/' is
 * written with two): /share PATH, /cancel FILE-ID, and the host's /kick PEER, /mute PEER,
 * /unmute PEER, /lock, /unlock, /files on|off, /file-limit MIB. */
static gboolean
run_command (App        *app,
             const char *line)
{
  g_auto (GStrv) words = NULL;
  gboolean host = canopy_node_get_role (app->node) == CANOPY_NODE_ROLE_HOST;

  if (line[0] != '/' || line[1] == '/')
    return FALSE;
  words = g_strsplit (line + 1, " ", 2);
  if (g_strv_length (words) == 2 && g_str_equal (words[0], "kick"))
    canopy_node_kick (app->node, words[1]);
  else if (g_strv_length (words) == 2 && g_str_equal (words[0], "mute"))
    canopy_node_mute_peer (app->node, words[1], TRUE);
  else if (g_strv_length (words) == 2 && g_str_equal (words[0], "unmute"))
    canopy_node_mute_peer (app->node, words[1], FALSE);
  else if (g_strv_length (words) == 1 && g_str_equal (words[0], "lock"))
    canopy_node_set_locked (app->node, TRUE);
  else if (g_strv_length (words) == 1 && g_str_equal (words[0], "unlock"))
    canopy_node_set_locked (app->node, FALSE);
  else if (g_strv_length (words) == 2 && g_str_equal (words[0], "share"))
    share (app, words[1]);
  else if (g_strv_length (words) == 2 && g_str_equal (words[0], "cancel"))
    cancel_file (app, words[1]);
  else if (g_strv_length (words) == 2 && g_str_equal (words[0], "files") && host &&
           (g_str_equal (words[1], "on") || g_str_equal (words[1], "off")))
    canopy_node_set_file_policy (app->node, g_str_equal (words[1], "on"),
                                 canopy_node_get_file_max_size (app->node));
  else if (g_strv_length (words) == 2 && g_str_equal (words[0], "file-limit") && host &&
           atoi (words[1]) >= 1 && atoi (words[1]) <= 1024)
    canopy_node_set_file_policy (app->node, canopy_node_get_files_allowed (app->node),
                                 (guint64) atoi (words[1]) * 1024 * 1024);
  else
    g_printerr ("Unknown command: %s\n", line);
  return TRUE;
}

static void
on_read_line (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                    result, NULL, &error);

  if (line == NULL) {
    if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_printerr ("Cannot read standard input: %s\n", error->message);
    return;
  }
  if (!run_command (app, line) && *line != '\0' &&
      !canopy_node_send_chat (app->node, g_str_has_prefix (line, "//") ? line + 1 : line,
                              &error)) {
    g_autoptr (JsonObject) event = event_new ("error");

    json_object_set_string_member (event, "code", "chat");
    json_object_set_string_member (event, "message", error->message);
    emit_event (app, event);
  }
  g_data_input_stream_read_line_async (app->input, G_PRIORITY_DEFAULT, app->cancellable,
                                       on_read_line, app);
}

static void
on_room (CanopyNode *node,
         GParamSpec *pspec,
         App        *app)
{
  const char *room = canopy_node_get_room_id (node);
  g_autoptr (JsonObject) event = NULL;

  if (room == NULL || canopy_node_get_role (node) != CANOPY_NODE_ROLE_HOST)
    return;
  if (app->events) {
    event = event_new ("room");
    json_object_set_string_member (event, "room", room);
    emit_event (app, event);
  } else {
    g_print ("%s\n", room);
    fflush (stdout);
  }
  start_chatting (app);
  start_sharing (app);
}

static void
on_joined (CanopyNode *node,
           const char *parent,
           int         depth,
           App        *app)
{
  g_autoptr (JsonObject) event = event_new ("joined");

  json_object_set_string_member (event, "peer", canopy_node_get_peer_id (node));
  json_object_set_string_member (event, "parent", parent);
  json_object_set_int_member (event, "depth", depth);
  if (app->events)
    emit_event (app, event);
  else
    g_print ("joined under %s at depth %d\n", parent, depth);
  start_chatting (app);
  start_sharing (app);
}

static void
on_first_frame (CanopyNode *node,
                double      ms,
                App        *app)
{
  g_autoptr (JsonObject) event = event_new ("first-frame");

  json_object_set_double_member (event, "ms", ms);
  if (app->events)
    emit_event (app, event);
  else
    g_print ("first frame after %.1f ms\n", ms);
}

static void
on_stats (CanopyNode *node,
          App        *app)
{
  g_autoptr (JsonObject) event = event_new ("stats");
  guint64 rtx_sent, rtx_refused;

  if (!app->events)
    return;
  /* When, on the machine's monotonic clock: frame rates over a span between processes. */
  json_object_set_int_member (event, "clock_ms", g_get_monotonic_time () / 1000);
  json_object_set_int_member (event, "frames", (gint64) canopy_node_get_frames (node));
  json_object_set_int_member (event, "packets", (gint64) canopy_node_get_packets (node));
  json_object_set_int_member (event, "bytes", (gint64) canopy_node_get_bytes (node));
  json_object_set_double_member (event, "rtt_ms", canopy_node_get_rtt_ms (node));
  json_object_set_double_member (event, "latency_ms", canopy_node_get_latency_ms (node));
  json_object_set_double_member (event, "kbps", canopy_node_get_bitrate_kbps (node));
  json_object_set_int_member (event, "depth", canopy_node_get_depth (node));
  json_object_set_int_member (event, "children", canopy_node_get_n_children (node));
  json_object_set_int_member (event, "keyframes_refused",
                              (gint64) canopy_node_get_keyframes_refused (node));
  json_object_set_int_member (event, "chat_refused", (gint64) canopy_node_get_chat_refused (node));
  json_object_set_int_member (event, "maps_refused", (gint64) canopy_node_get_maps_refused (node));
  json_object_set_int_member (event, "files_refused",
                              (gint64) canopy_node_get_files_refused (node));
  json_object_set_object_member (event, "files_sent", canopy_node_get_files_sent (node));
  canopy_forward_get_rtx_counts (&rtx_sent, &rtx_refused);
  json_object_set_int_member (event, "rtx_sent", (gint64) rtx_sent);
  json_object_set_int_member (event, "rtx_refused", (gint64) rtx_refused);
  json_object_set_int_member (event, "fec_recovered", (gint64) canopy_node_get_fec_recovered (node));
  json_object_set_int_member (event, "capacity", canopy_node_get_measured_capacity (node));
  json_object_set_object_member (event, "layers", canopy_node_get_child_layers (node));
  emit_event (app, event);
}

/* A relay's upload (or the host's) was measured to sustain a different number of children. */
static void
on_capacity (CanopyNode *node,
             GParamSpec *pspec,
             App        *app)
{
  g_autoptr (JsonObject) event = event_new ("capacity");
  guint declared = 0;

  g_object_get (node, canopy_node_get_role (node) == CANOPY_NODE_ROLE_HOST ? "k1" : "capacity",
                &declared, NULL);
  if (!app->events) {
    g_print ("our upload sustains %u children (declared %u)\n",
             canopy_node_get_measured_capacity (node), declared);
    return;
  }
  json_object_set_int_member (event, "capacity", canopy_node_get_measured_capacity (node));
  json_object_set_int_member (event, "declared", declared);
  json_object_set_int_member (event, "children", canopy_node_get_n_children (node));
  emit_event (app, event);
}

static void
on_chat (CanopyNode              *node,
         const CanopyChatMessage *message,
         App                     *app)
{
  g_autoptr (JsonObject) event = event_new ("chat");

  if (!app->events) {
    g_print ("<%s> %s\n", message->name, message->text);
    return;
  }
  json_object_set_string_member (event, "origin", message->origin);
  json_object_set_int_member (event, "seq", (gint64) message->seq);
  json_object_set_string_member (event, "name", message->name);
  json_object_set_string_member (event, "text", message->text);
  json_object_set_int_member (event, "time", message->time);
  json_object_set_int_member (event, "hops", message->hops);
  json_object_set_int_member (event, "received", g_get_real_time ());
  emit_event (app, event);
}

static void
on_map_changed (CanopyNode *node,
                App        *app)
{
  CanopyNodeMap *map = canopy_node_get_map (node);
  g_autoptr (JsonObject) event = NULL;

  if (!app->events || map == NULL)
    return;
  event = event_new ("map");
  json_object_set_int_member (event, "version", (gint64) canopy_node_map_get_version (map));
  json_object_set_int_member (event, "nodes", canopy_node_map_get_size (map));
  json_object_set_int_member (event, "height", canopy_node_map_get_height (map));
  json_object_set_object_member (event, "nodesMap", canopy_node_map_to_json (map, NULL));
  emit_event (app, event);
}

static void
on_left (CanopyNode      *node,
         CanopyEndReason  reason,
         App             *app)
{
  g_autoptr (JsonObject) event = event_new ("left");
  const char *text = canopy_end_reason_to_string (reason);

  json_object_set_string_member (event, "reason", text);
  if (app->events)
    emit_event (app, event);
  else
    g_print ("left: %s\n", text);
  if (reason == CANOPY_END_REASON_FAILED)
    app->exit_code = 1;
  g_main_loop_quit (app->loop);
}

static void
on_error (CanopyNode   *node,
          const GError *error,
          App          *app)
{
  g_autoptr (JsonObject) event = event_new ("error");

  json_object_set_string_member (event, "code", canopy_error_code_to_string (error->code));
  json_object_set_string_member (event, "message", error->message);
  if (app->events)
    emit_event (app, event);
  else
    g_printerr ("error: %s\n", error->message);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  App *app = user_data;

  canopy_node_leave (app->node);
  return G_SOURCE_CONTINUE;
}

/**
 * canopy_node_cli_run:
 * @argc: the arguments' count
 * @argv: the arguments
 * @extra: (nullable) (transfer full): more options, parsed with the node's
 * @hook: (nullable): called with the configured node before it starts
 * @hook_data: for @hook
 *
 * Parses the command line, runs one node until it ends and shuts WebRTC down.
 *
 * Returns: the process's exit status: 0 when the node ended normally, 1 when it failed, 2 for a
 *   bad command line
 */
int
canopy_node_cli_run (int             argc,
                     char          **argv,
                     GOptionGroup   *extra,
                     CanopyNodeHook  hook,
                     gpointer        hook_data)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *title = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *name = NULL;
  g_autofree char *source = NULL;
  g_autofree char *codec_text = NULL;
  g_autofree char *identity_path = NULL;
  g_autoptr (CanopyIdentity) identity = NULL;
  g_auto (GStrv) ice_addresses = NULL;
  gboolean unlisted = FALSE;
  gboolean no_decode = FALSE;
  gboolean chat_stdin = FALSE;
  g_autofree char *password = NULL;
  int k1 = 4, k = 4, capacity = 2, width = 640, height = 360, fps = 30, bitrate = 1000;
  int latency = -1;
  int file_rate = 0;
  int file_limit = 0;
  gboolean no_files = FALSE;
  g_autofree char *files_text = NULL;
  g_autofree char *fec_text = NULL;
  gint fec = -1;
  CanopyCodec codec = CANOPY_CODEC_VP8;
  CanopyNodeRole role;
  App app = { 0 };
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, "Signalling server", "ws://HOST:PORT/ws" },
    { "title", 't', 0, G_OPTION_ARG_STRING, &title, "Room title (host)", "TITLE" },
    { "summary", 0, 0, G_OPTION_ARG_STRING, &summary, "Room summary (host)", "TEXT" },
    { "unlisted", 0, 0, G_OPTION_ARG_NONE, &unlisted, "Keep the room out of the index", NULL },
    { "source", 0, 0, G_OPTION_ARG_STRING, &source,
      "What to stream: test, test:PATTERN, test:motion, camera, screen, file:PATH or a URL", "SOURCE" },
    { "codec", 0, 0, G_OPTION_ARG_STRING, &codec_text, "Video codec: vp8 or h264", "CODEC" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Video width (host)", "PIXELS" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Video height (host)", "PIXELS" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second (host)", "N" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "Video bit rate (host)", "KBPS" },
    { "k1", 0, 0, G_OPTION_ARG_INT, &k1, "Most direct children of the host", "N" },
    { "k", 0, 0, G_OPTION_ARG_INT, &k, "Most children of any viewer", "N" },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, "Display name", "NAME" },
    { "capacity", 'c', 0, G_OPTION_ARG_INT, &capacity, "Viewers this node relays to", "K" },
    { "no-decode", 0, 0, G_OPTION_ARG_NONE, &no_decode, "Forward and count, do not decode",
      NULL },
    { "latency", 0, 0, G_OPTION_ARG_INT, &latency, "Jitterbuffer latency", "MS" },
    { "fec", 0, 0, G_OPTION_ARG_STRING, &fec_text,
      "Forward error correction (host): auto (where viewers lose packets), off, or FEC packets "
      "per 100 video packets", "auto|off|PERCENT" },
    { "chat", 0, 0, G_OPTION_ARG_STRING, &app.chat_text, "Say this once joined", "TEXT" },
    { "chat-every", 0, 0, G_OPTION_ARG_INT, &app.chat_every, "Repeat --chat", "SECONDS" },
    { "chat-stdin", 0, 0, G_OPTION_ARG_NONE, &chat_stdin,
      "Say each line read on stdin (/share PATH, /cancel FILE-ID and a host's /kick PEER, "
      "/mute PEER, /unmute PEER, /lock, /unlock are commands)", NULL },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password,
      "The room's password (host), or the one to join with", "PASSWORD" },
    { "ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ice_addresses,
      "Gather ICE candidates only on this local address (repeatable)", "ADDR" },
    { "events", 0, 0, G_OPTION_ARG_NONE, &app.events, "Print one JSON object per event", NULL },
    { "share", 0, 0, G_OPTION_ARG_FILENAME, &app.share_path,
      "Share this file with the room once in it", "PATH" },
    { "save-dir", 0, 0, G_OPTION_ARG_FILENAME, &app.save_dir,
      "Write the files others share into this directory", "DIR" },
    { "file-rate", 0, 0, G_OPTION_ARG_INT, &file_rate,
      "Send files at most this fast on each edge (default 1024)", "KIB_PER_S" },
    { "no-files", 0, 0, G_OPTION_ARG_NONE, &no_files,
      "Take no files others share (like a browser viewer)", NULL },
    { "files", 0, 0, G_OPTION_ARG_STRING, &files_text,
      "Whether members may share files (host; default on)", "on|off" },
    { "file-limit", 0, 0, G_OPTION_ARG_INT, &file_limit,
      "The largest file members may share (host; default 100, at most 1024)", "MIB" },
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &identity_path,
      "Key file (made if missing, mode 0600); without it, a new key for this run", "FILE" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("host | join ROOM - a headless Canopy peer");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (extra != NULL)
    g_option_context_add_group (context, extra);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (argc >= 2 && g_str_equal (argv[1], "host") && argc == 2)
    role = CANOPY_NODE_ROLE_HOST;
  else if (argc == 3 && g_str_equal (argv[1], "join"))
    role = CANOPY_NODE_ROLE_VIEWER;
  else {
    g_printerr ("Usage: canopy-node host --server URL --title TITLE [options]\n"
                "       canopy-node join ROOM --server URL [options]\n");
    return 2;
  }
  if (server == NULL) {
    g_printerr ("--server is required\n");
    return 2;
  }
  if (codec_text != NULL && !canopy_codec_from_string (codec_text, &codec)) {
    g_printerr ("Unknown codec %s: use vp8 or h264\n", codec_text);
    return 2;
  }
  if (files_text != NULL && !g_str_equal (files_text, "on") && !g_str_equal (files_text, "off")) {
    g_printerr ("--files takes on or off\n");
    return 2;
  }
  if ((files_text != NULL || file_limit != 0) && role != CANOPY_NODE_ROLE_HOST) {
    g_printerr ("--files and --file-limit are the host's\n");
    return 2;
  }
  if (file_limit < 0 || file_limit > 1024) {
    g_printerr ("--file-limit must be 1-1024 MiB\n");
    return 2;
  }
  if (fec_text != NULL) {
    guint64 percent = 0;

    if (role != CANOPY_NODE_ROLE_HOST) {
      g_printerr ("--fec is the host's\n");
      return 2;
    }
    if (g_str_equal (fec_text, "off")) {
      fec = 0;
    } else if (g_str_equal (fec_text, "auto")) {
      fec = -1;
    } else if (g_ascii_string_to_unsigned (fec_text, 10, 1, CANOPY_FEC_MAX_PERCENT, &percent,
                                           NULL)) {
      fec = (gint) percent;
    } else {
      g_printerr ("--fec takes auto, off or 1-%d\n", CANOPY_FEC_MAX_PERCENT);
      return 2;
    }
  }
  if (capacity < 0 || capacity > 32 || k1 < 1 || k1 > 32 || k < 1 || k > 32) {
    g_printerr ("--capacity must be 0-32, --k1 and --k 1-32\n");
    return 2;
  }

  if (identity_path != NULL) {
    identity = canopy_identity_load (identity_path, TRUE, &error);
    if (identity == NULL) {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  app.node = canopy_node_new (role, server);
  g_object_set (app.node,
                "name", name ? name : (role == CANOPY_NODE_ROLE_HOST ? "Host" : "Viewer"),
                "capacity", (guint) capacity,
                "k1", (guint) k1,
                "k", (guint) k,
                "listed", !unlisted,
                "codec", codec,
                "width", (guint) CLAMP (width, 16, 3840),
                "height", (guint) CLAMP (height, 16, 2160),
                "fps", (guint) CLAMP (fps, 1, 60),
                "bitrate", (guint) CLAMP (bitrate, 50, 20000),
                "decode", !no_decode,
                NULL);
  if (latency >= 0)
    g_object_set (app.node, "latency", (guint) MIN (latency, 5000), NULL);
  g_object_set (app.node, "fec", fec, NULL);
  if (file_rate > 0)
    canopy_node_set_file_rate (app.node, (guint64) MIN (file_rate, 1024 * 1024) * 1024);
  canopy_node_set_takes_files (app.node, !no_files);
  if (files_text != NULL || file_limit != 0)
    canopy_node_set_file_policy (app.node, g_strcmp0 (files_text, "off") != 0,
                                 file_limit != 0 ? (guint64) file_limit * 1024 * 1024
                                                 : CANOPY_FILE_SIZE_DEFAULT_MAX);
  if (title != NULL)
    g_object_set (app.node, "title", title, NULL);
  if (summary != NULL)
    g_object_set (app.node, "summary", summary, NULL);
  if (source != NULL)
    g_object_set (app.node, "source", source, NULL);
  if (ice_addresses != NULL)
    g_object_set (app.node, "ice-addresses", ice_addresses, NULL);
  if (identity != NULL)
    g_object_set (app.node, "identity", identity, NULL);
  if (role == CANOPY_NODE_ROLE_VIEWER)
    g_object_set (app.node, "room-id", argv[2], NULL);
  canopy_node_set_password (app.node, password);

  g_signal_connect (app.node, "notify::room-id", G_CALLBACK (on_room), &app);
  g_signal_connect (app.node, "joined", G_CALLBACK (on_joined), &app);
  g_signal_connect (app.node, "first-frame", G_CALLBACK (on_first_frame), &app);
  g_signal_connect (app.node, "stats", G_CALLBACK (on_stats), &app);
  g_signal_connect (app.node, "notify::measured-capacity", G_CALLBACK (on_capacity), &app);
  g_signal_connect (app.node, "chat", G_CALLBACK (on_chat), &app);
  g_signal_connect (app.node, "map-changed", G_CALLBACK (on_map_changed), &app);
  g_signal_connect (app.node, "left", G_CALLBACK (on_left), &app);
  g_signal_connect (app.node, "error", G_CALLBACK (on_error), &app);
  g_signal_connect (app.node, "file-offered", G_CALLBACK (on_file_offered), &app);
  g_signal_connect (app.node, "file-progress", G_CALLBACK (on_file_progress), &app);
  g_signal_connect (app.node, "file-complete", G_CALLBACK (on_file_complete), &app);
  g_signal_connect (app.node, "file-failed", G_CALLBACK (on_file_failed), &app);
  g_signal_connect (app.node, "notify::files-allowed", G_CALLBACK (on_file_policy), &app);
  g_signal_connect (app.node, "notify::file-max-size", G_CALLBACK (on_file_policy), &app);
  if (hook != NULL && !hook (app.node, hook_data, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_object (&app.node);
    g_main_loop_unref (app.loop);
    g_free (app.chat_text);
    g_free (app.share_path);
    g_free (app.save_dir);
    return 2;
  }
  g_unix_signal_add (SIGINT, on_unix_signal, &app);
  g_unix_signal_add (SIGTERM, on_unix_signal, &app);

  if (chat_stdin) {
    g_autoptr (GInputStream) in = g_unix_input_stream_new (0, FALSE);

    app.cancellable = g_cancellable_new ();
    app.input = g_data_input_stream_new (in);
    g_data_input_stream_read_line_async (app.input, G_PRIORITY_DEFAULT, app.cancellable,
                                         on_read_line, &app);
  }

  canopy_node_start (app.node);
  if (canopy_node_get_state (app.node) == CANOPY_NODE_STATE_FAILED)
    app.exit_code = 1;
  else
    g_main_loop_run (app.loop);

  if (app.cancellable != NULL)
    g_cancellable_cancel (app.cancellable);
  g_clear_object (&app.input);
  g_clear_object (&app.cancellable);
  g_clear_handle_id (&app.chat_id, g_source_remove);
  g_clear_object (&app.node);
  g_main_loop_unref (app.loop);
  g_free (app.chat_text);
  g_free (app.share_path);
  g_free (app.save_dir);
  canopy_webrtc_shutdown ();
  return app.exit_code;
}
