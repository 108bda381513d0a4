/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyLink"

#include "canopy-link.h"

#include "canopy-edge.h"
#include "canopy-error.h"
#include "canopy-file-lane.h"
#include "canopy-json.h"
#include "canopy-parts.h"
#include "canopy-repair.h"

#include <string.h>

/*
 * One tree link: the edge (a webrtcbin) to a parent or a child, and the tree protocol spoken on
 * its data channels. Everything the neighbour sends is untrusted: counted against the flood
 * limits before parsing, parsed with limits, checked against what this kind of link may say,
 * and only then handed to the node as a signal. Runs on the main context only (the edge posts
 * to it).
 */

struct _CanopyLink {
  GObject parent_instance;

  CanopyLinkKind kind;
  CanopyEdge *edge;
  CanopyMedia *media;
  char *peer_id;

  /* liveness, monotonic µs */
  gint64 created_at;
  gint64 opened_at;            /* the ctrl channel opened; 0 before */

  /* a child's */
  char *name;
  guint capacity;
  gboolean map_sent;
  gboolean wants_fec;          /* its last "fec-on" or "fec-off" */

  /* a parent's */
  double rtt_ms;
  CanopyRepair repair;         /* how long to wait for what the parent lost */
  guint64 parent_rx;           /* RTP packets the parent said it received, from its pongs */
  gint64 parent_rx_at;         /* when that last grew */
  guint64 rx;                  /* RTP packets our tees got, as of the last check */
  gint64 rx_at;                /* when that last grew */
  gint64 media_at;             /* when media first arrived on this link; 0 before */

  CanopyParts parts;           /* a long ctrl message coming in parts */
  CanopyFileLane *lane;        /* chunks due on the file channel */

  /* messages this second, for the flood limits */
  guint ctrl_count;
  guint part_count;
  guint chat_count;
  guint chat_allowance;        /* one burst per link: the neighbour's chat history */
  guint frame_count;
};

G_DEFINE_FINAL_TYPE (CanopyLink, canopy_link, G_TYPE_OBJECT)

enum {
  SIGNAL_SIGNAL,
  SIGNAL_OPEN,
  SIGNAL_GONE,
  SIGNAL_KEYFRAME_WANTED,
  SIGNAL_CHAT,
  SIGNAL_BYE,
  SIGNAL_REQUEST,
  SIGNAL_MAP,
  SIGNAL_FILE,
  SIGNAL_FILE_FRAME,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
over_limit (CanopyLink *self,
            guint      *count,
            guint       limit,
            const char *what)
{
  if (++*count == limit + 1)
    g_message ("%s sends more than %u %s messages a second: dropping the rest", self->peer_id,
               limit, what);
  return *count > limit;
}

/* --- from the edge --- */

static void
on_edge_signal (CanopyEdge *edge,
                JsonObject *data,
                gpointer    user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_SIGNAL], 0, data);
}

static void
on_edge_channel_open (CanopyEdge *edge,
                      const char *label,
                      gpointer    user_data)
{
  CanopyLink *self = user_data;

  if (g_str_equal (label, CANOPY_EDGE_CTRL) && self->opened_at == 0) {
    self->opened_at = g_get_monotonic_time ();
    canopy_webrtc_trace ("ctrl-open", self->peer_id);
  }
  if (g_str_equal (label, CANOPY_EDGE_FILE))
    canopy_file_lane_pump (self->lane);
  g_signal_emit (self, signals[SIGNAL_OPEN], 0, label);
}

static void
on_edge_gone (CanopyEdge *edge,
              gpointer    user_data)
{
  CanopyLink *self = g_object_ref (user_data);

  /* The node drops the link in its handler: keep it alive until the emission is over. */
  g_signal_emit (self, signals[SIGNAL_GONE], 0);
  g_object_unref (self);
}

static void
on_edge_keyframe_wanted (CanopyEdge *edge,
                       gpointer    user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_KEYFRAME_WANTED], 0);
}

/* Sends a ctrl message, in `part`s when it is long or longer than the far side takes
 * (canopy_parts_split()). */
static void
send_ctrl_text (CanopyLink *self,
                const char *text)
{
  g_autoptr (GPtrArray) texts = NULL;

  if (strlen (text) > CANOPY_CTRL_WHOLE_BYTES) {
    g_warning ("A control message of %" G_GSIZE_FORMAT " bytes is too long to send", strlen (text));
    return;
  }
  texts = canopy_parts_split (text, canopy_edge_get_max_message_size (self->edge));
  for (guint i = 0; i < texts->len; i++)
    canopy_edge_send (self->edge, CANOPY_EDGE_CTRL, g_ptr_array_index (texts, i));
}

static void
send_ctrl (CanopyLink *self,
           JsonObject *message)
{
  g_autofree char *text = canopy_json_to_string (message);

  send_ctrl_text (self, text);
}

static void
apply_repair (CanopyLink *self)
{
  g_message ("Waiting up to %u ms for what %s lost (round trip %.0f ms, asking again after "
             "%d ms)", self->repair.latency_ms, self->peer_id,
             canopy_repair_get_rtt (&self->repair), self->repair.retry_ms);
  canopy_edge_set_repair (self->edge, self->repair.latency_ms, self->repair.retry_ms);
}

/* Pings are answered by the edge, on the data channel's thread (canopy_edge_answer_pings());
 * one that reaches us is not in the form this project sends, or came too fast: ignored. */
static void
handle_pong (CanopyLink *self,
             JsonObject *message)
{
  gint64 now = g_get_monotonic_time ();
  gint64 t = 0;
  gint64 rx = 0;

  if (self->kind != CANOPY_LINK_TO_PARENT ||
      !canopy_json_get_int (message, "t", 0, now, TRUE, &t, NULL))
    return;
  self->rtt_ms = (now - t) / 1000.0;
  /* The first round trips are applied at once: the first keyframe is on its way. */
  if (canopy_repair_add_rtt (&self->repair, self->rtt_ms))
    apply_repair (self);
  /* How much media the parent itself gets: tells a parent that swallows it from a room whose
   * media stalled upstream. */
  if (canopy_json_get_int (message, "rx", 0, G_MAXINT64, FALSE, &rx, NULL) &&
      (guint64) rx > self->parent_rx) {
    self->parent_rx = (guint64) rx;
    self->parent_rx_at = now;
  }
}

/* What each side may ask of the other. */
static gboolean
is_request (CanopyLink *self,
            const char *type)
{
  return self->kind == CANOPY_LINK_TO_CHILD &&
         (g_str_equal (type, "keyframe") || g_str_equal (type, "map-sync") ||
          g_str_equal (type, "fec-on") || g_str_equal (type, "fec-off"));
}

static void dispatch_ctrl (CanopyLink *self,
                           const char *text,
                           gboolean    whole);

/* One part of a long message; the last hands on the whole. */
static void
handle_part (CanopyLink *self,
             JsonObject *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *whole = canopy_parts_add (&self->parts, message, &error);

  if (error != NULL)
    g_message ("Bad part from %s: %s", self->peer_id, error->message);
  /* The whole counts as one message. */
  if (whole != NULL && !over_limit (self, &self->ctrl_count, CANOPY_CTRL_PER_SECOND, "control"))
    dispatch_ctrl (self, whole, TRUE);
}

static void
handle_ctrl (CanopyLink *self,
             const char *text)
{
  /* Counted before parsing: a flood costs as little as possible. Parts have a budget of their
   * own (a whole map of a large room is hundreds); the whole then counts as one message. */
  if (g_str_has_prefix (text, "{\"type\":\"part\"")) {
    if (!over_limit (self, &self->part_count, CANOPY_CTRL_PARTS_PER_SECOND, "part"))
      dispatch_ctrl (self, text, FALSE);
    return;
  }
  if (!over_limit (self, &self->ctrl_count, CANOPY_CTRL_PER_SECOND, "control"))
    dispatch_ctrl (self, text, FALSE);
}

static void
dispatch_ctrl (CanopyLink *self,
               const char *text,
               gboolean    whole)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  const char *type;

  message = canopy_json_parse_object (text, -1, whole ? CANOPY_CTRL_WHOLE_BYTES : CANOPY_CTRL_BYTES,
                                      &error);
  if (message == NULL || (type = canopy_json_get_type (message, &error)) == NULL) {
    g_message ("Bad control message from %s: %s", self->peer_id, error->message);
    return;
  }
  if (g_str_equal (type, "part")) {
    /* (a whole put together from parts is never a part itself) */
    if (!whole)
      handle_part (self, message);
  } else if (g_str_equal (type, "pong")) {
    handle_pong (self, message);
  } else if (g_str_equal (type, "ping")) {
    /* answered by the edge already, or not at all (see handle_pong) */
  } else if (g_str_equal (type, "bye")) {
    const char *reason = NULL;

    canopy_json_get_string (message, "reason", CANOPY_TYPE_CHARS, FALSE, &reason, NULL);
    g_signal_emit (self, signals[SIGNAL_BYE], 0, reason ? reason : "");
  } else if ((g_str_equal (type, "map") || g_str_equal (type, "mutes")) &&
             self->kind == CANOPY_LINK_TO_PARENT) {
    g_signal_emit (self, signals[SIGNAL_MAP], 0, message, text);
  } else if (g_str_equal (type, "file-offer") || g_str_equal (type, "file-want") ||
             g_str_equal (type, "file-cancel") ||
             (g_str_equal (type, "file-policy") && self->kind == CANOPY_LINK_TO_PARENT)) {
    /* Either neighbour may offer, want or cancel a file; the host's policy comes down from
     * the parent. The node checks the rest. */
    g_signal_emit (self, signals[SIGNAL_FILE], 0, message);
  } else if (is_request (self, type)) {
    /* A child that asks for keyframes too often is not heard (and counted). */
    if (g_str_equal (type, "keyframe") && !canopy_edge_take_keyframe (self->edge))
      return;
    if (g_str_has_prefix (type, "fec-")) {
      self->wants_fec = g_str_equal (type, "fec-on");
      canopy_edge_set_fec (self->edge, self->wants_fec);
    }
    canopy_webrtc_trace (type, self->peer_id);
    g_signal_emit (self, signals[SIGNAL_REQUEST], 0, type);
  } else {
    g_message ("Ignoring control message \"%s\" from %s", type, self->peer_id);
  }
}

static void
handle_chat (CanopyLink *self,
             const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (CanopyChatMessage) message = NULL;

  if (self->chat_count >= CANOPY_CHAT_PER_SECOND && self->chat_allowance > 0) {
    self->chat_allowance--;
  } else if (over_limit (self, &self->chat_count, CANOPY_CHAT_PER_SECOND, "chat")) {
    return;
  }
  json = canopy_json_parse_object (text, -1, CANOPY_CHAT_BYTES, &error);
  if (json == NULL || (message = canopy_chat_message_new_from_json (json, &error)) == NULL) {
    g_message ("Bad chat from %s: %s", self->peer_id, error->message);
    return;
  }
  g_signal_emit (self, signals[SIGNAL_CHAT], 0, message);
}

static void
on_edge_file_frame (CanopyEdge *edge,
                    GBytes     *frame,
                    gpointer    user_data)
{
  CanopyLink *self = g_object_ref (user_data);

  /* Counted before any hashing. */
  if (!over_limit (self, &self->frame_count, CANOPY_FILE_FRAMES_PER_SECOND, "file"))
    g_signal_emit (self, signals[SIGNAL_FILE_FRAME], 0, frame);
  g_object_unref (self);
}

static void
on_edge_file_drained (CanopyEdge *edge,
                      gpointer    user_data)
{
  CanopyLink *self = user_data;

  canopy_file_lane_pump (self->lane);
}

static void
on_edge_message (CanopyEdge *edge,
                 const char *label,
                 const char *text,
                 gpointer    user_data)
{
  CanopyLink *self = g_object_ref (user_data);

  /* A bye may make the node drop this link while it is handled. */
  if (g_str_equal (label, CANOPY_EDGE_CTRL))
    handle_ctrl (self, text);
  else
    handle_chat (self, text);
  g_object_unref (self);
}

/* --- GObject --- */

static void
canopy_link_dispose (GObject *object)
{
  CanopyLink *self = CANOPY_LINK (object);

  if (self->edge != NULL) {
    canopy_link_close (self);
    g_clear_object (&self->edge);
  }
  g_clear_object (&self->media);
  canopy_parts_clear (&self->parts);
  if (self->lane != NULL)
    canopy_file_lane_close (self->lane);
  g_clear_object (&self->lane);
  G_OBJECT_CLASS (canopy_link_parent_class)->dispose (object);
}

static void
canopy_link_finalize (GObject *object)
{
  CanopyLink *self = CANOPY_LINK (object);

  g_free (self->peer_id);
  g_free (self->name);
  G_OBJECT_CLASS (canopy_link_parent_class)->finalize (object);
}

static void
canopy_link_class_init (CanopyLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = canopy_link_dispose;
  object_class->finalize = canopy_link_finalize;

  /**
   * CanopyLink::signal:
   * @data: a description or candidate to send to the neighbour through the server
   */
  signals[SIGNAL_SIGNAL] = g_signal_new ("signal", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /**
   * CanopyLink::open:
   * @label: "ctrl" or "chat": that data channel opened
   */
  signals[SIGNAL_OPEN] = g_signal_new ("open", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * CanopyLink::gone:
   * The connection failed or the neighbour closed it.
   */
  signals[SIGNAL_GONE] = g_signal_new ("gone", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 0);
  /**
   * CanopyLink::keyframe-wanted:
   * The parent's video reached the node's tee, or a child's DTLS is up: it needs a keyframe.
   */
  signals[SIGNAL_KEYFRAME_WANTED] = g_signal_new ("keyframe-wanted", type, G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CanopyLink::chat:
   * @message: a well-formed chat message, its signature not checked yet
   */
  signals[SIGNAL_CHAT] = g_signal_new ("chat", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1,
                                       CANOPY_TYPE_CHAT_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * CanopyLink::bye:
   * @reason: what the neighbour said ("leaving", "room-closed", or anything)
   */
  signals[SIGNAL_BYE] = g_signal_new ("bye", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * CanopyLink::request:
   * @type: "keyframe", "map-sync", "fec-on" or "fec-off" from a child
   */
  signals[SIGNAL_REQUEST] = g_signal_new ("request", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * CanopyLink::map:
   * @message: a `map` or `mutes` message from the parent, parsed but not yet checked
   * @text: the same as it came, to pass on unchanged
   */
  signals[SIGNAL_MAP] = g_signal_new ("map", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 2, JSON_TYPE_OBJECT, G_TYPE_STRING);
  /**
   * CanopyLink::file:
   * @message: a `file-offer`, `file-want`, `file-cancel` or (from the parent) `file-policy`,
   *   parsed, nothing else checked
   */
  signals[SIGNAL_FILE] = g_signal_new ("file", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /**
   * CanopyLink::file-frame:
   * @frame: a binary message of the `file` channel within the flood limit, unparsed
   */
  signals[SIGNAL_FILE_FRAME] = g_signal_new ("file-frame", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                             NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);
}

static void
canopy_link_init (CanopyLink *self)
{
}

static CanopyLink *
link_new (CanopyLinkKind kind,
          CanopyMedia   *media,
          const char    *peer_id,
          CanopyEdge    *edge)
{
  CanopyLink *self = g_object_new (CANOPY_TYPE_LINK, NULL);

  self->kind = kind;
  self->media = g_object_ref (media);
  self->created_at = self->rx_at = self->parent_rx_at = g_get_monotonic_time ();
  self->rx = canopy_media_get_packets (media);
  self->chat_allowance = CANOPY_CHAT_HISTORY;
  self->peer_id = g_strdup (peer_id);
  self->edge = edge;
  g_signal_connect (edge, "signal", G_CALLBACK (on_edge_signal), self);
  g_signal_connect (edge, "channel-open", G_CALLBACK (on_edge_channel_open), self);
  g_signal_connect (edge, "message", G_CALLBACK (on_edge_message), self);
  g_signal_connect (edge, "gone", G_CALLBACK (on_edge_gone), self);
  g_signal_connect (edge, "keyframe-wanted", G_CALLBACK (on_edge_keyframe_wanted), self);
  g_signal_connect (edge, "file-frame", G_CALLBACK (on_edge_file_frame), self);
  g_signal_connect (edge, "file-drained", G_CALLBACK (on_edge_file_drained), self);
  self->lane = canopy_file_lane_new (edge, CANOPY_FILE_RATE_BYTES);
  return self;
}

/**
 * canopy_link_new_to_child:
 * @media: the node's media
 * @peer_id: the child
 * @name: the child's display name, as the server gave it
 * @capacity: how many children the child takes
 * @ice: (nullable): ICE configuration
 *
 * Starts forwarding to a child; this side offers. Connect to #CanopyLink::signal at once.
 *
 * Returns: (transfer full): the link
 */
CanopyLink *
canopy_link_new_to_child (CanopyMedia           *media,
                          const char            *peer_id,
                          const char            *name,
                          guint                  capacity,
                          const CanopyIceConfig *ice)
{
  CanopyLink *self;

  g_return_val_if_fail (CANOPY_IS_MEDIA (media), NULL);

  self = link_new (CANOPY_LINK_TO_CHILD, media, peer_id,
                   canopy_edge_new_to_child (canopy_media_get_bin (media), peer_id,
                                             canopy_media_get_forward_tee (media,
                                                                           CANOPY_FORWARD_VIDEO),
                                             canopy_media_get_forward_tee (media,
                                                                           CANOPY_FORWARD_AUDIO),
                                             ice));
  self->name = g_strdup (name);
  self->capacity = capacity;
  canopy_edge_answer_pings (self->edge, (CanopyEdgeCountFunc) canopy_media_get_packets,
                            G_OBJECT (media));
  return self;
}

/**
 * canopy_link_new_to_parent:
 * @media: the node's media
 * @peer_id: the parent
 * @ice: (nullable): ICE configuration
 * @latency_ms: the least jitterbuffer latency
 * @before: (nullable): the repair of the node's last link to a parent, to start from
 *
 * Returns: (transfer full): a link waiting for the parent's offer
 */
CanopyLink *
canopy_link_new_to_parent (CanopyMedia           *media,
                           const char            *peer_id,
                           const CanopyIceConfig *ice,
                           guint                  latency_ms,
                           const CanopyRepair    *before)
{
  CanopyRepair repair;
  CanopyLink *self;

  g_return_val_if_fail (CANOPY_IS_MEDIA (media), NULL);

  canopy_repair_init_after (&repair, latency_ms, before);
  self = link_new (CANOPY_LINK_TO_PARENT, media, peer_id,
                   canopy_edge_new_to_parent (canopy_media_get_bin (media), peer_id,
                                              canopy_media_get_video_tee (media),
                                              canopy_media_get_audio_tee (media),
                                              canopy_media_get_forward (media), ice,
                                              repair.latency_ms));
  self->repair = repair;
  return self;
}

/**
 * canopy_link_get_repair:
 * @self: a link to the parent
 *
 * Returns: (transfer none): how long it waits for what the parent lost, and why
 */
const CanopyRepair *
canopy_link_get_repair (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), NULL);
  return &self->repair;
}

CanopyLinkKind
canopy_link_get_kind (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), CANOPY_LINK_TO_CHILD);
  return self->kind;
}

const char *
canopy_link_get_peer_id (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), NULL);
  return self->peer_id;
}

const char *
canopy_link_get_name (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), NULL);
  return self->name;
}

guint
canopy_link_get_capacity (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->capacity;
}

/**
 * canopy_link_get_map_sent:
 * @self: a child link
 *
 * Returns: whether the child has a full room map, so changes can go as ops
 */
gboolean
canopy_link_get_map_sent (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), FALSE);
  return self->map_sent;
}

void
canopy_link_set_map_sent (CanopyLink *self,
                          gboolean    sent)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  self->map_sent = sent;
}

/**
 * canopy_link_get_rtt_ms:
 * @self: a parent link
 *
 * Returns: the last round trip of a ping over the `ctrl` channel (0 before the first)
 */
double
canopy_link_get_rtt_ms (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->rtt_ms;
}

/**
 * canopy_link_is_open:
 * @self: a link
 *
 * Returns: whether its `ctrl` channel is open
 */
gboolean
canopy_link_is_open (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), FALSE);
  return self->edge != NULL && canopy_edge_is_open (self->edge, CANOPY_EDGE_CTRL);
}

/**
 * canopy_link_get_keyframes_refused:
 * @self: a link to a child
 *
 * Returns: the child's keyframe requests refused so far (over its budget), on ctrl or by RTCP
 */
guint64
canopy_link_get_keyframes_refused (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->edge != NULL ? canopy_edge_get_keyframes_refused (self->edge) : 0;
}

/**
 * canopy_link_get_layers:
 * @self: a link to a child
 *
 * Returns: how many temporal layers the child is sent; 0 when the stream has none
 */
guint
canopy_link_get_layers (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->edge != NULL ? canopy_edge_get_layers (self->edge) : 0;
}

/**
 * canopy_link_has_opened:
 * @self: a link
 *
 * Returns: whether its `ctrl` channel ever opened (the neighbour was reached once)
 */
gboolean
canopy_link_has_opened (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), FALSE);
  return self->opened_at != 0;
}

/**
 * canopy_link_get_opened_at:
 * @self: a link
 *
 * Returns: when its ctrl channel opened (monotonic µs), or 0 while it has not
 */
gint64
canopy_link_get_opened_at (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->opened_at;
}

/**
 * canopy_link_handle_signal:
 * @self: a link
 * @data: the untrusted `data` of a `signal` message from this link's neighbour
 * @error: return location for a #CanopyError
 *
 * Returns: %FALSE with @error set when @data is not a valid description or candidate
 */
gboolean
canopy_link_handle_signal (CanopyLink *self,
                           JsonObject *data,
                           GError    **error)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), FALSE);
  return canopy_edge_handle_signal (self->edge, data, error);
}

/**
 * canopy_link_send:
 * @self: a link
 * @message: a control message
 *
 * Sends @message on the `ctrl` channel, or keeps it until the channel opens.
 */
void
canopy_link_send (CanopyLink *self,
                  JsonObject *message)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  send_ctrl (self, message);
}

/**
 * canopy_link_send_text:
 * @self: a link
 * @text: a control message as text (a map passed on unchanged)
 */
void
canopy_link_send_text (CanopyLink *self,
                       const char *text)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  send_ctrl_text (self, text);
}

/**
 * canopy_link_send_chat:
 * @self: a link
 * @text: a chat message as text
 */
void
canopy_link_send_chat (CanopyLink *self,
                       const char *text)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  canopy_edge_send (self->edge, CANOPY_EDGE_CHAT, text);
}

/**
 * canopy_link_send_request:
 * @self: a link
 * @type: "keyframe", "map-sync", "fec-on" or "fec-off" (to the parent)
 */
void
canopy_link_send_request (CanopyLink *self,
                          const char *type)
{
  g_autoptr (JsonObject) request = json_object_new ();

  g_return_if_fail (CANOPY_IS_LINK (self));

  json_object_set_string_member (request, "type", type);
  send_ctrl (self, request);
}

/**
 * canopy_link_send_bye:
 * @self: a link
 * @reason: "leaving", "moving" (a child leaving a parent that failed it) or "room-closed"
 */
void
canopy_link_send_bye (CanopyLink *self,
                      const char *reason)
{
  g_autoptr (JsonObject) bye = json_object_new ();

  g_return_if_fail (CANOPY_IS_LINK (self));

  json_object_set_string_member (bye, "type", "bye");
  json_object_set_string_member (bye, "reason", reason);
  send_ctrl (self, bye);
}

/**
 * canopy_link_tick:
 * @self: a link
 *
 * Once a second: starts a new flood-limit window.
 */
void
canopy_link_tick (CanopyLink *self)
{
  g_return_if_fail (CANOPY_IS_LINK (self));

  self->ctrl_count = 0;
  self->part_count = 0;
  self->frame_count = 0;
  self->chat_count = 0;
  if (self->kind == CANOPY_LINK_TO_PARENT) {
    guint64 lost = canopy_edge_get_media_lost (self->edge);
    guint64 rebuilt = canopy_edge_get_fec_recovered (self->edge);

    /* What the host's FEC rebuilt cost no frame: the wait need not grow for it. */
    if (canopy_repair_tick (&self->repair, lost - MIN (lost, rebuilt)))
      apply_repair (self);
  }
}

/**
 * canopy_link_heartbeat:
 * @self: a link
 *
 * Every %CANOPY_HEARTBEAT_MS: a child pings its parent, whose pong says how much media the
 * parent gets; the pings tell the parent its child is alive, and how much of what it sends
 * arrives (canopy-node-upload.c).
 */
void
canopy_link_heartbeat (CanopyLink *self)
{
  g_autoptr (JsonObject) ping = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (CANOPY_IS_LINK (self));

  if (self->kind != CANOPY_LINK_TO_PARENT || !canopy_link_is_open (self))
    return;
  ping = json_object_new ();
  json_object_set_string_member (ping, "type", "ping");
  json_object_set_int_member (ping, "t", g_get_monotonic_time ());
  /* What we got so far and how long the parent takes to answer: how its upload serves us. */
  json_object_set_int_member (ping, "rx", (gint64) canopy_media_get_packets (self->media));
  if (self->rtt_ms > 0)
    json_object_set_int_member (ping, "rtt", MIN ((gint64) (self->rtt_ms + 0.5), 60000));
  text = canopy_json_to_string (ping);
  canopy_edge_send_ping (self->edge, text);
}

/* How long the neighbour may be silent: the base limit, or more on a link whose messages have
 * lately come with long gaps (a loaded machine answers late now and then), up to
 * CANOPY_SILENCE_MAX_MS. Silence is measured where messages arrive, on the data channel's
 * thread, so a busy main loop here does not count against the neighbour. */
static gboolean
is_silent (CanopyLink *self,
           gint64      now,
           gint64     *silent_us)
{
  gint64 base = self->kind == CANOPY_LINK_TO_PARENT ? CANOPY_PARENT_SILENCE_MS
                                                    : CANOPY_CHILD_SILENCE_MS;
  gint64 gap_us = 0;
  gint64 heard = MAX (canopy_edge_get_heard (self->edge, &gap_us), self->opened_at);
  gint64 limit_ms = CLAMP (3 * gap_us / 1000, base, MAX (base, CANOPY_SILENCE_MAX_MS));

  *silent_us = now - heard;
  return now - heard > limit_ms * 1000;
}

/**
 * canopy_link_get_silence_us:
 * @self: a link
 * @now: the monotonic time
 *
 * Returns: how long the neighbour has said nothing, in microseconds; 0 before the link opened
 */
gint64
canopy_link_get_silence_us (CanopyLink *self,
                            gint64      now)
{
  gint64 silent_us = 0;

  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  if (self->opened_at == 0)
    return 0;
  is_silent (self, now, &silent_us);
  return silent_us;
}

/**
 * canopy_link_check:
 * @self: a link
 * @now: the monotonic time
 *
 * Judges the neighbour. A child's parent must connect within %CANOPY_CONNECT_TIMEOUT_MS
 * (%CANOPY_CONNECT_MEDIA_TIMEOUT_MS once DTLS went through),
 * answer within %CANOPY_PARENT_SILENCE_MS, and pass on media: when ours stops for
 * %CANOPY_MEDIA_SILENCE_MS while the parent says it still gets its own, it swallows it. A
 * parent's child must connect in time and say something (its pings) every
 * %CANOPY_CHILD_SILENCE_MS.
 *
 * Returns: the verdict
 */
CanopyLinkHealth
canopy_link_check (CanopyLink *self,
                   gint64      now)
{
  gboolean parent;
  guint64 rx;
  gint64 silent_us = 0;

  g_return_val_if_fail (CANOPY_IS_LINK (self), CANOPY_LINK_OK);

  parent = self->kind == CANOPY_LINK_TO_PARENT;
  /* Once DTLS is through the media flows, but the data channels wait for SCTP's own handshake,
   * which resends a lost packet only on a slow timer: at 5 % loss on two links a new child's
   * ctrl channel once opened more than 4 s after its video, and leaving a link that plays
   * costs a picture. Before DTLS, waiting longer does not pay: a handshake still stuck after
   * 8 s once stayed stuck for 16 s, where starting over took ~3 s. */
  if (self->opened_at == 0)
    return now - self->created_at > (canopy_edge_is_secured (self->edge)
                                       ? CANOPY_CONNECT_MEDIA_TIMEOUT_MS
                                       : CANOPY_CONNECT_TIMEOUT_MS) * (gint64) 1000
             ? CANOPY_LINK_UNCONNECTED
             : CANOPY_LINK_OK;
  if (parent) {
    rx = canopy_media_get_packets (self->media);
    if (rx != self->rx) {
      self->rx = rx;
      self->rx_at = now;
      if (self->media_at == 0)
        self->media_at = now;
    }
  }
  /* A parent whose media still comes is alive: its ctrl channel is only held up behind a lost
   * packet (an ordered, reliable SCTP stream; usrsctp resends after 1 s at the least, more after
   * a second loss), which at 1-5 % loss happens every few seconds. Waited for up to
   * CANOPY_CTRL_STALL_MAX_MS, as long as the media flows. */
  if (is_silent (self, now, &silent_us) &&
      (!parent || now - self->rx_at > CANOPY_PARENT_SILENCE_MS * 1000 ||
       silent_us > CANOPY_CTRL_STALL_MAX_MS * 1000))
    return CANOPY_LINK_SILENT;
  if (!parent)
    return CANOPY_LINK_OK;
  /* Media starts in fits (DTLS, then a pad per stream, then the decoder is linked while the
   * video waits): judge it once it has had time to flow. */
  if (now - (self->media_at != 0 ? self->media_at : self->opened_at) <
      CANOPY_MEDIA_START_MS * 1000)
    return CANOPY_LINK_OK;
  if (now - self->rx_at > CANOPY_MEDIA_SILENCE_MS * 1000 &&
      now - self->parent_rx_at < CANOPY_MEDIA_SILENCE_MS * 1000) {
    g_message ("No media from %s for %" G_GINT64_FORMAT " ms while it gets its own",
               self->peer_id, (now - self->rx_at) / 1000);
    return CANOPY_LINK_NO_MEDIA;
  }
  return CANOPY_LINK_OK;
}

/**
 * canopy_link_close:
 * @self: a link
 *
 * Stops the edge; no signal is emitted after this. Idempotent.
 */
void
canopy_link_close (CanopyLink *self)
{
  g_return_if_fail (CANOPY_IS_LINK (self));

  if (self->edge == NULL)
    return;
  canopy_file_lane_close (self->lane);
  g_signal_handlers_disconnect_by_data (self->edge, self);
  canopy_edge_close (self->edge);
}

/**
 * canopy_link_stop_media:
 * @self: a link to a child
 *
 * Sends the child no more media; messages still go both ways until the link is closed.
 */
void
canopy_link_stop_media (CanopyLink *self)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  if (self->kind == CANOPY_LINK_TO_CHILD && self->edge != NULL)
    canopy_edge_stop_media (self->edge);
}

/**
 * canopy_link_take_sent:
 * @self: a link to a child
 * @report: (out): what it was sent, and what its last ping said it got
 *
 * Returns: whether a ping came since the last call
 */
gboolean
canopy_link_take_sent (CanopyLink         *self,
                       CanopyUploadReport *report)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), FALSE);
  return self->kind == CANOPY_LINK_TO_CHILD && canopy_edge_take_sent (self->edge, report);
}

/**
 * canopy_link_get_media_lost:
 * @self: a link to the parent
 *
 * Returns: the packets from the parent given up as lost so far, all streams together
 */
guint64
canopy_link_get_media_lost (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->kind == CANOPY_LINK_TO_PARENT ? canopy_edge_get_media_lost (self->edge) : 0;
}

/**
 * canopy_link_wants_fec:
 * @self: a link to a child
 *
 * Returns: whether the child's last word was that its subtree wants the host's FEC
 */
gboolean
canopy_link_wants_fec (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), FALSE);
  return self->kind == CANOPY_LINK_TO_CHILD && self->wants_fec;
}

/**
 * canopy_link_get_fec_recovered:
 * @self: a link to the parent
 *
 * Returns: the packets from the parent rebuilt from FEC so far
 */
guint64
canopy_link_get_fec_recovered (CanopyLink *self)
{
  g_return_val_if_fail (CANOPY_IS_LINK (self), 0);
  return self->kind == CANOPY_LINK_TO_PARENT ? canopy_edge_get_fec_recovered (self->edge) : 0;
}

/**
 * canopy_link_send_chunk:
 * @self: a link
 * @transfer: a file the node holds
 * @index: a chunk of it the node holds
 *
 * Makes the chunk due on the `file` channel: it goes as the channel's backpressure and the
 * file rate allow (CanopyFileLane), once however often it is asked for meanwhile.
 */
void
canopy_link_send_chunk (CanopyLink         *self,
                        CanopyFileTransfer *transfer,
                        guint               index)
{
  g_return_if_fail (CANOPY_IS_LINK (self));

  if (self->edge == NULL)
    return;
  canopy_file_lane_push (self->lane, transfer, index);
}

/**
 * canopy_link_want_file:
 * @self: a link
 * @id: a file the node holds, which the neighbour asked for (`file-want`)
 *
 * From now on the chunks of @id the node gets go to the neighbour too
 * (canopy_link_pass_chunk()).
 */
void
canopy_link_want_file (CanopyLink *self,
                       const char *id)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  canopy_file_lane_want (self->lane, id);
}

/**
 * canopy_link_pass_chunk:
 * @self: a link
 * @transfer: a file the node holds
 * @index: a chunk of it the node just got
 *
 * Like canopy_link_send_chunk(), but only if the neighbour asked for this file: a neighbour
 * that takes no files (a browser) or refused this one is sent nothing.
 */
void
canopy_link_pass_chunk (CanopyLink         *self,
                        CanopyFileTransfer *transfer,
                        guint               index)
{
  g_return_if_fail (CANOPY_IS_LINK (self));

  if (self->edge != NULL)
    canopy_file_lane_pass (self->lane, transfer, index);
}

/**
 * canopy_link_forget_file:
 * @self: a link
 * @id: a file id
 *
 * Sends nothing more of @id on this link.
 */
void
canopy_link_forget_file (CanopyLink *self,
                         const char *id)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  canopy_file_lane_forget (self->lane, id);
}

/**
 * canopy_link_get_file_stats:
 * @self: a link
 * @sent: (out) (optional): bytes of chunk frames sent
 * @queued: (out) (optional): chunks due
 * @pauses: (out) (optional): times the file channel's buffer went over its high mark
 */
void
canopy_link_get_file_stats (CanopyLink *self,
                            guint64    *sent,
                            guint64    *queued,
                            guint64    *pauses)
{
  g_return_if_fail (CANOPY_IS_LINK (self));

  if (sent != NULL)
    *sent = canopy_file_lane_get_sent (self->lane);
  if (queued != NULL)
    *queued = canopy_file_lane_get_queued (self->lane);
  if (pauses != NULL)
    *pauses = canopy_file_lane_get_pauses (self->lane);
}

/**
 * canopy_link_send_frame:
 * @self: a link
 * @frame: a chunk frame, or anything
 *
 * Sends @frame on the `file` channel at once, past the lane and its pacing. The node never
 * does (canopy_link_send_chunk()); the test suite's hostile peer does, to send what no honest
 * node would.
 */
void
canopy_link_send_frame (CanopyLink *self,
                        GBytes     *frame)
{
  g_return_if_fail (CANOPY_IS_LINK (self));

  if (self->edge != NULL)
    canopy_edge_send_frame (self->edge, frame);
}

/**
 * canopy_link_set_file_rate:
 * @self: a link
 * @rate_bytes: the most bytes of chunk frames a second it sends
 */
void
canopy_link_set_file_rate (CanopyLink *self,
                           guint64     rate_bytes)
{
  g_return_if_fail (CANOPY_IS_LINK (self));
  canopy_file_lane_set_rate (self->lane, rate_bytes);
}
