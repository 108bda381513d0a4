/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyHostile"

#include <glib-unix.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "canopy-file-control.h"
#include "canopy-json.h"
#include "canopy-node-cli.h"
#include "canopy-node-private.h"
#include "canopy-statement.h"

/*
 * canopy-hostile-node: canopy-node (the same command line, the same --events) with a way to
 * misbehave, for tests only; never installed. `--misbehave MODE` names what it does once it gets
 * SIGUSR1 (until then it is an honest peer, so that a test can build the tree first):
 *
 *   black-hole      keeps its links, answers every ping and heartbeat, forwards no media: a
 *                   hung or malicious relay that looks alive to everything but its children's
 *                   eyes
 *   keyframe-flood  asks its parent for a keyframe 50 times a second on the data channel and
 *                   50 times by RTCP (PLI), past its own node's coalescing
 *   forge-chat      sends its children, 10 times a second, chat "from the host": signed with
 *                   its own key, with no signature, and copies of the host's real messages
 *                   with their text changed
 *   tamper-map      sends its children, 5 times a second, the host's map with a node added
 *                   under itself (the host's signature kept), and changes adding one signed
 *                   with its own key
 *   lie-edges       tells the host through the server, 10 times a second, that it adopted
 *                   50 invented peers and every real node it does not have, and dropped every
 *                   node that is not its child; sends a statement signed by another peer's id;
 *                   and reports an old-style subtree of 5,000 invented children to its parent
 *   nack-flood      asks its parent, 50 times a second, to resend each of the last 100 packets
 *                   of every stream it gets (RTCP NACKs): a child that would turn its relay's
 *                   upload against the relay
 *   tamper-file     passes on to its children every chunk of a file its parent sends, one
 *                   byte changed, and nothing else (its own node no longer hears them)
 *   forge-cancel    sends every neighbour, for every file it holds, cancels nobody may send:
 *                   signed by itself (neither the file's sender nor the host), and in the
 *                   sender's and the host's names with its own key
 *   force-offer     offers every neighbour a file of 2 MiB + 1 of its own, signed as an
 *                   honest sender would, whatever the host's policy says
 */

typedef enum {
  MODE_BLACK_HOLE,
  MODE_KEYFRAME_FLOOD,
  MODE_FORGE_CHAT,
  MODE_TAMPER_MAP,
  MODE_LIE_EDGES,
  MODE_NACK_FLOOD,
  MODE_TAMPER_FILE,
  MODE_FORGE_CANCEL,
  MODE_FORCE_OFFER,
} Mode;

static const char *const mode_names[] = { "black-hole", "keyframe-flood", "forge-chat",
                                          "tamper-map", "lie-edges", "nack-flood",
                                          "tamper-file", "forge-cancel", "force-offer" };

#define FLOOD_INTERVAL_MS 20
#define NACKS_PER_FLOOD 100

/* What a jitterbuffer of the parent edge last received, kept on it as object data. */
typedef struct {
  gint ssrc;
  gint top;                     /* -1 until a packet came */
} Newest;

typedef struct {
  char *mode_text;
  Mode mode;
  CanopyNode *node;
  gulong probes[2];
  guint flood_id;
  guint forged;
  guint64 seq;
  gboolean tampered;
} Hostile;

static GstPadProbeReturn
drop_media (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
start_black_hole (Hostile *hostile)
{
  /* The tees the edges to children take from: what it passes on, not what it plays. */
  GstElement *tees[2] = {
    canopy_media_get_forward_tee (hostile->node->media, CANOPY_FORWARD_VIDEO),
    canopy_media_get_forward_tee (hostile->node->media, CANOPY_FORWARD_AUDIO),
  };

  for (guint i = 0; i < G_N_ELEMENTS (tees); i++) {
    g_autoptr (GstPad) sink = NULL;

    if (tees[i] == NULL || hostile->probes[i] != 0)
      continue;
    sink = gst_element_get_static_pad (tees[i], "sink");
    hostile->probes[i] = gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER |
                                            GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                            drop_media, NULL, NULL);
  }
}

static gboolean
flood_keyframe_requests (gpointer user_data)
{
  Hostile *hostile = user_data;
  g_autoptr (GstPad) tee_sink = NULL;
  g_autoptr (GstPad) from_parent = NULL;

  if (hostile->node->parent == NULL)
    return G_SOURCE_CONTINUE;
  canopy_link_send_request (hostile->node->parent, "keyframe");
  /* Sent into the parent edge's webrtcbin directly (not through our tee's coalescing probe):
   * it leaves as an RTCP PLI. */
  tee_sink = gst_element_get_static_pad (canopy_media_get_video_tee (hostile->node->media), "sink");
  from_parent = gst_pad_get_peer (tee_sink);
  if (from_parent != NULL)
    gst_pad_send_event (from_parent, gst_video_event_new_upstream_force_key_unit (
                                       GST_CLOCK_TIME_NONE, TRUE, 0));
  return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn
note_newest (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  Newest *newest = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  g_atomic_int_set (&newest->ssrc, (gint) gst_rtp_buffer_get_ssrc (&rtp));
  g_atomic_int_set (&newest->top, gst_rtp_buffer_get_seq (&rtp));
  gst_rtp_buffer_unmap (&rtp);
  return GST_PAD_PROBE_OK;
}

/* For each packet of the last NACKS_PER_FLOOD, the request a jitterbuffer sends up when it
 * misses one: the RTP session turns them into NACKs. */
static void
flood_nacks_from (GstElement *jitterbuffer)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (jitterbuffer, "sink");
  Newest *newest = g_object_get_data (G_OBJECT (jitterbuffer), "canopy-hostile-newest");
  gint top;

  if (newest == NULL) {
    newest = g_new0 (Newest, 1);
    newest->top = -1;
    g_object_set_data_full (G_OBJECT (jitterbuffer), "canopy-hostile-newest", newest, g_free);
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, note_newest, newest, NULL);
    return;
  }
  top = g_atomic_int_get (&newest->top);
  if (top < 0)
    return;
  for (guint i = 0; i < NACKS_PER_FLOOD; i++) {
    GstStructure *request = gst_structure_new ("GstRTPRetransmissionRequest",
                                               "seqnum", G_TYPE_UINT, (guint) ((top - i) & 0xffff),
                                               "ssrc", G_TYPE_UINT,
                                               (guint) g_atomic_int_get (&newest->ssrc),
                                               NULL);

    gst_pad_push_event (sink, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, request));
  }
}

static gboolean
flood_nacks (gpointer user_data)
{
  Hostile *hostile = user_data;
  g_autoptr (GstIterator) elements = NULL;
  GValue item = G_VALUE_INIT;

  if (hostile->node->parent == NULL)
    return G_SOURCE_CONTINUE;
  /* A leaf: every jitterbuffer in it is its parent edge's. */
  elements = gst_bin_iterate_recurse (canopy_media_get_bin (hostile->node->media));
  while (gst_iterator_next (elements, &item) == GST_ITERATOR_OK) {
    GstElement *element = g_value_get_object (&item);
    GstElementFactory *factory = gst_element_get_factory (element);

    if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "rtpjitterbuffer"))
      flood_nacks_from (element);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  return G_SOURCE_CONTINUE;
}

static void
send_children (Hostile           *hostile,
               CanopyChatMessage *message)
{
  g_autoptr (JsonObject) json = canopy_chat_message_to_json (message);
  g_autofree char *text = canopy_json_to_string (json);

  for (guint i = 0; i < hostile->node->children->len; i++)
    canopy_link_send_chat (g_ptr_array_index (hostile->node->children, i), text);
}

static gboolean
forge_chat (gpointer user_data)
{
  Hostile *hostile = user_data;
  CanopyNodeMap *map = canopy_room_get_map (hostile->node->room);
  g_autoptr (GPtrArray) history = canopy_chat_get_history (canopy_room_get_chat (hostile->node->room));
  CanopyChatMessage forged = { 0 };
  char seq_text[24], time_text[24];
  const char *fields[7];

  if (map == NULL || hostile->node->room_id == NULL)
    return G_SOURCE_CONTINUE;
  hostile->forged++;
  forged.origin = (char *) canopy_node_map_get_root (map);
  forged.seq = 1000000 + hostile->forged;
  forged.name = (char *) "Host";
  forged.time = g_get_real_time () / 1000;
  forged.text = g_strdup_printf ("FORGED %u", hostile->forged);
  forged.hops = 1;
  /* 1. No signature at all. */
  send_children (hostile, &forged);
  /* 2. Signed, by our own key: the right fields, the wrong author. */
  g_snprintf (seq_text, sizeof seq_text, "%" G_GUINT64_FORMAT, forged.seq + 500000);
  g_snprintf (time_text, sizeof time_text, "%" G_GINT64_FORMAT, forged.time);
  fields[0] = hostile->node->room_id;
  fields[1] = forged.origin;
  fields[2] = seq_text;
  fields[3] = forged.name;
  fields[4] = time_text;
  fields[5] = forged.text;
  fields[6] = NULL;
  forged.seq += 500000;
  forged.key = (char *) canopy_identity_get_public_key (hostile->node->identity);
  forged.signature = canopy_identity_sign (hostile->node->identity, "canopy-chat", fields);
  send_children (hostile, &forged);
  g_free (forged.signature);
  g_free (forged.text);
  /* 3. The host's real messages (signed by it), their text changed. */
  for (guint i = 0; i < history->len; i++) {
    CanopyChatMessage *real = g_ptr_array_index (history, i);

    if (g_strcmp0 (real->origin, canopy_node_map_get_root (map)) != 0)
      continue;
    g_free (real->text);
    real->text = g_strdup_printf ("FORGED edit of seq %" G_GUINT64_FORMAT, real->seq);
    real->seq += 1000;
    send_children (hostile, real);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
tamper_map (gpointer user_data)
{
  Hostile *hostile = user_data;
  CanopyNode *node = hostile->node;
  g_autoptr (JsonObject) whole = canopy_room_full_map_message (node->room);
  g_autoptr (JsonObject) ops = json_object_new ();
  g_autoptr (CanopyIdentity) fake = canopy_identity_new ();
  g_autofree char *digest = NULL;
  JsonObject *root, *invented, *add;
  JsonArray *list;
  guint64 version;

  if (whole == NULL)
    return G_SOURCE_CONTINUE;
  hostile->forged++;
  /* 1. The host's whole map and signature, a node added under us. */
  invented = json_object_new ();
  json_object_set_string_member (invented, "id", canopy_identity_get_id (fake));
  json_object_set_string_member (invented, "name", "Invented");
  json_object_set_int_member (invented, "capacity", 2);
  root = json_object_get_object_member (whole, "nodesMap");
  if (json_object_has_member (root, "childNodes"))
    json_array_add_object_element (json_object_get_array_member (root, "childNodes"), invented);
  else
    json_object_unref (invented);
  for (guint i = 0; i < node->children->len; i++)
    canopy_link_send (g_ptr_array_index (node->children, i), whole);
  /* 2. The next version, a node added, signed by us. */
  version = canopy_node_map_get_version (canopy_room_get_map (node->room)) + 1;
  add = json_object_new ();
  invented = json_object_new ();
  json_object_set_string_member (invented, "id", canopy_identity_get_id (fake));
  json_object_set_string_member (invented, "name", "Invented");
  json_object_set_int_member (invented, "capacity", 2);
  json_object_set_string_member (add, "op", "add");
  json_object_set_string_member (add, "parent", node->peer_id);
  json_object_set_object_member (add, "node", invented);
  list = json_array_new ();
  json_array_add_object_element (list, add);
  json_object_set_string_member (ops, "type", "map");
  json_object_set_int_member (ops, "version", (gint64) version);
  json_object_set_array_member (ops, "ops", list);
  digest = g_strnfill (64, 'a');
  canopy_host_sign (ops, node->identity, CANOPY_DOMAIN_MAP, node->room_id, version, digest);
  for (guint i = 0; i < node->children->len; i++)
    canopy_link_send (g_ptr_array_index (node->children, i), ops);
  return G_SOURCE_CONTINUE;
}

static void
send_edge (Hostile    *hostile,
           const char *kind,
           const char *other)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "edge");
  json_object_set_object_member (message, "statement",
                                 canopy_statement_make (hostile->node->identity,
                                                        hostile->node->room_id, kind, other,
                                                        (guint64) g_get_real_time () + ++hostile->seq));
  canopy_node_server_send (hostile->node, message);
}

static gboolean
lie_edges (gpointer user_data)
{
  Hostile *hostile = user_data;
  CanopyNode *node = hostile->node;
  CanopyNodeMap *map = canopy_room_get_map (node->room);
  g_autoptr (GPtrArray) ids = NULL;

  if (map == NULL || node->room_id == NULL)
    return G_SOURCE_CONTINUE;
  hostile->forged++;
  for (guint i = 0; i < 50; i++) {
    g_autoptr (CanopyIdentity) invented = canopy_identity_new ();

    send_edge (hostile, CANOPY_STATEMENT_ADOPT, canopy_identity_get_id (invented));
  }
  ids = canopy_node_map_get_ids (map);
  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);

    if (g_str_equal (id, node->peer_id) || canopy_node_find_child (node, id) != NULL)
      continue;
    send_edge (hostile, CANOPY_STATEMENT_ADOPT, id);
    send_edge (hostile, CANOPY_STATEMENT_DROP, id);
  }
  /* A statement in another peer's name (the server refuses it). */
  if (ids->len > 2) {
    g_autoptr (JsonObject) message = json_object_new ();
    JsonObject *statement = canopy_statement_make (node->identity, node->room_id,
                                                   CANOPY_STATEMENT_DROP, node->peer_id,
                                                   (guint64) g_get_real_time () + ++hostile->seq);

    json_object_set_string_member (statement, "peer",
                                   g_ptr_array_index (ids, g_str_equal (g_ptr_array_index (ids, 1),
                                                                        node->peer_id) ? 2 : 1));
    json_object_set_string_member (message, "type", "edge");
    json_object_set_object_member (message, "statement", statement);
    canopy_node_server_send (node, message);
  }
  /* The old way: a subtree report full of invented children, once a second. */
  if (node->parent != NULL && hostile->forged % 10 == 1) {
    g_autoptr (JsonObject) report = json_object_new ();
    JsonObject *full = json_object_new ();
    JsonArray *children = json_array_new ();

    for (guint i = 0; i < 5000; i++) {
      JsonObject *child = json_object_new ();
      g_autofree char *id = g_strdup_printf ("pinvented%u", i);

      json_object_set_string_member (child, "id", id);
      json_object_set_string_member (child, "name", "Invented");
      json_object_set_int_member (child, "capacity", 2);
      json_array_add_object_element (children, child);
    }
    json_object_set_string_member (full, "id", node->peer_id);
    json_object_set_string_member (full, "name", node->name);
    json_object_set_int_member (full, "capacity", 2);
    json_object_set_array_member (full, "childNodes", children);
    json_object_set_string_member (report, "type", "subtree");
    json_object_set_int_member (report, "seq", 1);
    json_object_set_object_member (report, "full", full);
    canopy_link_send (node->parent, report);
  }
  return G_SOURCE_CONTINUE;
}

static void
on_parent_file_frame (CanopyLink *link,
                      GBytes     *frame,
                      gpointer    user_data)
{
  Hostile *hostile = user_data;
  gsize size = g_bytes_get_size (frame);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (frame, NULL), size);
  g_autoptr (GBytes) bad = NULL;

  if (size > 26)
    copy[size - 1] ^= 0x55; /* the chunk's last byte; the header stays right */
  bad = g_bytes_new_take (g_steal_pointer (&copy), size);
  for (guint i = 0; i < hostile->node->children->len; i++)
    canopy_link_send_frame (g_ptr_array_index (hostile->node->children, i), bad);
}

static void
start_tamper_file (Hostile *hostile)
{
  CanopyLink *parent = hostile->node->parent;

  if (parent == NULL || hostile->tampered)
    return;
  hostile->tampered = TRUE;
  /* The node's own handler no longer hears the parent's chunks: nothing honest goes on, and a
   * child asking for what it lacks gets nothing either. */
  g_signal_handlers_block_matched (parent, G_SIGNAL_MATCH_ID | G_SIGNAL_MATCH_DATA,
                                   g_signal_lookup ("file-frame", CANOPY_TYPE_LINK), 0, NULL,
                                   NULL, hostile->node);
  g_signal_connect (parent, "file-frame", G_CALLBACK (on_parent_file_frame), hostile);
}

static void
send_everyone (CanopyNode *node,
               JsonObject *message)
{
  if (node->parent != NULL)
    canopy_link_send (node->parent, message);
  for (guint i = 0; i < node->children->len; i++)
    canopy_link_send (g_ptr_array_index (node->children, i), message);
}

static void
forge_cancels (Hostile *hostile)
{
  CanopyNode *node = hostile->node;
  g_autoptr (GPtrArray) files = canopy_file_store_list (node->files);
  const char *names[2] = { canopy_room_get_host (node->room), NULL };

  for (guint i = 0; i < files->len; i++) {
    const CanopyFileManifest *manifest =
      canopy_file_transfer_get_manifest (g_ptr_array_index (files, i));
    g_autoptr (JsonObject) own = canopy_file_cancel_make (node->identity, node->room_id,
                                                          manifest->id, g_get_real_time () / 1000);

    /* 1. Signed by us, in our own name: neither the file's sender nor the host. */
    send_everyone (node, own);
    /* 2. In the sender's name and the host's, with our key and signature. */
    names[1] = manifest->sender;
    for (guint n = 0; n < G_N_ELEMENTS (names); n++) {
      g_autoptr (JsonObject) forged = canopy_file_cancel_make (node->identity, node->room_id,
                                                               manifest->id,
                                                               g_get_real_time () / 1000);

      json_object_set_string_member (forged, "by", names[n]);
      send_everyone (node, forged);
    }
    hostile->forged += 3;
  }
  g_printerr ("canopy-hostile-node: %u forged cancels sent\n", hostile->forged);
}

static void
force_offer (Hostile *hostile)
{
  CanopyNode *node = hostile->node;
  g_autoptr (GError) error = NULL;
  gsize size = 2 * 1024 * 1024 + 1;
  guint8 *data = g_malloc (size);
  g_autoptr (GBytes) contents = NULL;
  g_autoptr (CanopyFileManifest) manifest = NULL;
  g_autoptr (JsonObject) offer = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_random_int ();
  contents = g_bytes_new_take (data, size);
  manifest = canopy_file_manifest_new_for_bytes (node->identity, node->room_id, "forced.bin",
                                                 "application/octet-stream", contents,
                                                 CANOPY_FILE_CHUNK_DEFAULT,
                                                 g_get_real_time () / 1000, &error);
  g_assert_no_error (error);
  manifest->hops = 1;
  offer = canopy_file_manifest_to_json (manifest);
  send_everyone (node, offer);
  g_printerr ("canopy-hostile-node: forced offer %s\n", manifest->id);
}

static gboolean
on_usr1 (gpointer user_data)
{
  Hostile *hostile = user_data;

  g_printerr ("canopy-hostile-node: now %s\n", mode_names[hostile->mode]);
  switch (hostile->mode) {
  case MODE_BLACK_HOLE:
    start_black_hole (hostile);
    break;
  case MODE_KEYFRAME_FLOOD:
    if (hostile->flood_id == 0)
      hostile->flood_id = g_timeout_add (FLOOD_INTERVAL_MS, flood_keyframe_requests, hostile);
    break;
  case MODE_FORGE_CHAT:
    if (hostile->flood_id == 0)
      hostile->flood_id = g_timeout_add (100, forge_chat, hostile);
    break;
  case MODE_TAMPER_MAP:
    if (hostile->flood_id == 0)
      hostile->flood_id = g_timeout_add (200, tamper_map, hostile);
    break;
  case MODE_LIE_EDGES:
    if (hostile->flood_id == 0)
      hostile->flood_id = g_timeout_add (100, lie_edges, hostile);
    break;
  case MODE_NACK_FLOOD:
    if (hostile->flood_id == 0)
      hostile->flood_id = g_timeout_add (FLOOD_INTERVAL_MS, flood_nacks, hostile);
    break;
  case MODE_TAMPER_FILE:
    start_tamper_file (hostile);
    break;
  case MODE_FORGE_CANCEL:
    forge_cancels (hostile);
    break;
  case MODE_FORCE_OFFER:
    force_offer (hostile);
    break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
setup (CanopyNode  *node,
       gpointer     data,
       GError     **error)
{
  Hostile *hostile = data;
  gboolean known = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++) {
    if (g_strcmp0 (hostile->mode_text, mode_names[i]) == 0) {
      hostile->mode = (Mode) i;
      known = TRUE;
    }
  }
  if (!known) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--misbehave: unknown mode %s", hostile->mode_text ? hostile->mode_text : "");
    return FALSE;
  }
  hostile->node = node;
  g_unix_signal_add (SIGUSR1, on_usr1, hostile);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  Hostile hostile = { 0 };
  const GOptionEntry entries[] = {
    { "misbehave", 0, 0, G_OPTION_ARG_STRING, &hostile.mode_text,
      "What to do on SIGUSR1: black-hole, keyframe-flood, forge-chat, tamper-map, lie-edges, "
      "nack-flood, tamper-file, forge-cancel, force-offer", "MODE" },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("hostile", "Misbehaving", "Show misbehaving options",
                                            NULL, NULL);
  int status;

  g_option_group_add_entries (group, entries);
  status = canopy_node_cli_run (argc, argv, group, setup, &hostile);
  g_clear_handle_id (&hostile.flood_id, g_source_remove);
  g_free (hostile.mode_text);
  return status;
}
