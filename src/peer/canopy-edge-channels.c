/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyEdge"

#include "canopy-edge-private.h"

#include <string.h>

/*
 * An edge's four data channels, `ctrl`, `chat`, `file` and `beat`: made by the offerer,
 * announced to the answerer; messages come in on webrtcbin's threads and are posted to the main
 * context, size checked first; what is sent on ctrl or chat before the channel opens waits in
 * order. `file` carries binary chunk frames only, sent when it is open and its buffer has room
 * (the sender paces itself: canopy_edge_get_file_buffered() and CanopyEdge::file-drained).
 *
 * `beat` is unordered and never resent, and carries pings and pongs only. On the ordered,
 * reliable ctrl stream one lost packet holds back every message after it until SCTP resends
 * it (usrsctp: after 1 s at the least, 2 s more if the resend is lost too), so at 5 % loss a
 * live child's pings now and then stopped for longer than its parent waits, and it was
 * dropped with its subtree. A lost beat is just one ping fewer. A peer that does not know the
 * channel (an older one) pings on ctrl, and is answered there.
 */

/* Messages written before a channel opens wait here, up to this many. */
#define PENDING_MAX 512

typedef struct {
  char *label;
  char *text;
} ChannelMessage;

static void
channel_message_free (gpointer data)
{
  ChannelMessage *m = data;

  g_free (m->label);
  g_free (m->text);
  g_free (m);
}

static void
deliver_message (CanopyEdge *self,
                 gpointer    data)
{
  ChannelMessage *m = data;

  if (canopy_edge_is_closed (self))
    return;
  canopy_edge_emit_message (self, m->label, m->text);
}

/* The label a channel was watched with; set before any of its signals can fire, so a message
 * arriving on a streaming thread before the main context has stored the channel is not lost
 * or mislabelled. */
static const char *
label_of (GstWebRTCDataChannel *channel)
{
  return g_object_get_data (G_OBJECT (channel), "canopy-label");
}

static gboolean
is_file (GstWebRTCDataChannel *channel)
{
  return g_strcmp0 (label_of (channel), CANOPY_EDGE_FILE) == 0;
}

static gboolean
is_ctrl (CanopyEdge           *self,
         GstWebRTCDataChannel *channel)
{
  return g_strcmp0 (label_of (channel), CANOPY_EDGE_CTRL) == 0;
}

static gboolean
is_beat (GstWebRTCDataChannel *channel)
{
  return g_strcmp0 (label_of (channel), CANOPY_EDGE_BEAT) == 0;
}

static void
note_heard (CanopyEdge *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 last = atomic_exchange (&self->heard_at, now);
  gint64 gap = atomic_load (&self->gap_us);

  if (last != 0)
    atomic_store (&self->gap_us, MAX (now - last, gap - gap / 20));
}

/* A ping's longest form: {"type":"ping","t":T,"rx":N,"rtt":MS}; a pong's is shorter. */
#define PING_BYTES 96

/* A child's ping answered right here, on the data channel's thread: whether a node answers
 * must depend on it being alive and reachable, not on how busy its main loop is (making an edge
 * holds it for a few hundred milliseconds). This is the only place pings are answered: one in
 * another form, one that came less than 20 ms after the last, or one on an edge that answers
 * none (toward the parent) is passed on like any message, through the flood limits, and the
 * link ignores it. */
static gboolean
answer_ping (CanopyEdge           *self,
             GstWebRTCDataChannel *channel,
             const char           *text)
{
  g_autoptr (JsonObject) ping = NULL;
  g_autoptr (JsonObject) pong = NULL;
  g_autofree char *reply = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 t = 0;
  gint64 child_rx = -1;
  gint64 child_rtt = -1;
  guint64 rx = 0;
  gboolean answers;

  if (!g_str_has_prefix (text, "{\"type\":\"ping\"") || strlen (text) > PING_BYTES ||
      now - self->pong_at < 20000)
    return FALSE;
  ping = canopy_json_parse_object (text, -1, PING_BYTES, NULL);
  if (ping == NULL || !canopy_json_get_int (ping, "t", 0, G_MAXINT64, TRUE, &t, NULL))
    return FALSE;
  /* What the child got so far, and its round trip: how our upload serves it. */
  if (canopy_json_get_int (ping, "rx", 0, G_MAXINT64, FALSE, &child_rx, NULL) && child_rx >= 0 &&
      self->to_child) {
    if (!canopy_json_get_int (ping, "rtt", 0, 60000, FALSE, &child_rtt, NULL))
      child_rtt = -1;
    canopy_edge_note_ping (self, child_rx, (double) child_rtt);
  }
  g_mutex_lock (&self->lock);
  if (self->pong_count != NULL)
    rx = self->pong_count (self->pong_source);
  answers = self->pong_count != NULL;
  g_mutex_unlock (&self->lock);
  if (!answers)
    return FALSE;
  self->pong_at = now;
  pong = json_object_new ();
  json_object_set_string_member (pong, "type", "pong");
  json_object_set_int_member (pong, "t", t);
  json_object_set_int_member (pong, "rx", (gint64) rx);
  reply = canopy_json_to_string (pong);
  g_signal_emit_by_name (channel, "send-string", reply);
  return TRUE;
}

static void
on_message_string (GstWebRTCDataChannel *channel,
                   const char           *text,
                   gpointer              user_data)
{
  CanopyEdge *self = user_data;
  gboolean beat = is_beat (channel);
  gboolean ctrl = is_ctrl (self, channel);
  gsize max = beat ? PING_BYTES : ctrl ? CANOPY_CTRL_BYTES : CANOPY_CHAT_BYTES;
  ChannelMessage *m;

  if (is_file (channel)) {
    g_message ("Dropping a text message on the file channel from %s", self->peer_id);
    return;
  }
  if (text == NULL || strlen (text) > max) {
    g_message ("Dropping an oversized message from %s", self->peer_id);
    return;
  }
  /* On beat, only a ping (answered here) or a pong (read by the link as if on ctrl). */
  if (beat && !g_str_has_prefix (text, "{\"type\":\"ping\"") &&
      !g_str_has_prefix (text, "{\"type\":\"pong\""))
    return;
  note_heard (self);
  if ((ctrl || beat) && answer_ping (self, channel, text))
    return;
  if (beat && !g_str_has_prefix (text, "{\"type\":\"pong\""))
    return;
  m = g_new0 (ChannelMessage, 1);
  m->label = g_strdup (ctrl || beat ? CANOPY_EDGE_CTRL : CANOPY_EDGE_CHAT);
  m->text = g_strdup (text);
  canopy_edge_post (self, deliver_message, m, channel_message_free);
}

static void
deliver_frame (CanopyEdge *self,
               gpointer    data)
{
  if (canopy_edge_is_closed (self))
    return;
  canopy_edge_emit_file_frame (self, data);
}

/* A chunk frame: only its size is checked here, on the channel's thread. */
static void
on_message_data (GstWebRTCDataChannel *channel,
                 GBytes               *data,
                 gpointer              user_data)
{
  CanopyEdge *self = user_data;

  if (!is_file (channel) || data == NULL || g_bytes_get_size (data) > CANOPY_FILE_FRAME_BYTES) {
    g_message ("Dropping a binary message from %s", self->peer_id);
    return;
  }
  note_heard (self);
  canopy_edge_post (self, deliver_frame, g_bytes_ref (data), (GDestroyNotify) g_bytes_unref);
}

static void
file_drained (CanopyEdge *self,
              gpointer    data)
{
  if (canopy_edge_is_closed (self))
    return;
  canopy_edge_emit_file_drained (self);
}

static void
on_buffered_amount_low (GstWebRTCDataChannel *channel,
                        gpointer              user_data)
{
  canopy_edge_post (user_data, file_drained, NULL, NULL);
}

static GQueue *
pending_for (CanopyEdge *self,
             const char *label)
{
  return g_str_equal (label, CANOPY_EDGE_CTRL) ? &self->pending_ctrl : &self->pending_chat;
}

static GstWebRTCDataChannel *
channel_for (CanopyEdge *self,
             const char *label)
{
  if (g_str_equal (label, CANOPY_EDGE_FILE))
    return self->file;
  if (g_str_equal (label, CANOPY_EDGE_BEAT))
    return self->beat;
  return g_str_equal (label, CANOPY_EDGE_CTRL) ? self->ctrl : self->chat;
}

static gboolean
channel_is_open (GstWebRTCDataChannel *channel)
{
  GstWebRTCDataChannelState state;

  if (channel == NULL)
    return FALSE;
  g_object_get (channel, "ready-state", &state, NULL);
  return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
}

/* Nothing longer than the far side declared it takes: an SCTP stack refuses (Chromium closes
 * the channel) or truncates what is longer. The link cuts ctrl messages to fit
 * (canopy_parts_split()); chat is at most CANOPY_CHAT_BYTES, within the 64 KiB any side that
 * declares nothing takes. */
static void
send_text (CanopyEdge           *self,
           GstWebRTCDataChannel *channel,
           const char           *text)
{
  gsize len = strlen (text);

  if (len > self->remote_max_message) {
    self->oversized_dropped++;
    g_message ("Not sending a message of %" G_GSIZE_FORMAT " bytes to %s: it takes at most %"
               G_GSIZE_FORMAT, len, self->peer_id, self->remote_max_message);
    return;
  }
  g_signal_emit_by_name (channel, "send-string", text);
}

static void
channel_opened (CanopyEdge *self,
                gpointer    data)
{
  const char *label = data;
  GstWebRTCDataChannel *channel = channel_for (self, label);
  GQueue *pending = pending_for (self, label);
  char *text;

  if (canopy_edge_is_closed (self))
    return;
  while (!g_str_equal (label, CANOPY_EDGE_FILE) && !g_str_equal (label, CANOPY_EDGE_BEAT) &&
         (text = g_queue_pop_head (pending)) != NULL) {
    send_text (self, channel, text);
    g_free (text);
  }
  canopy_edge_emit_channel_open (self, label);
}

static void
on_channel_open (GstWebRTCDataChannel *channel,
                 gpointer              user_data)
{
  CanopyEdge *self = user_data;

  canopy_edge_post (self, channel_opened, (gpointer) label_of (channel), NULL);
}

static void
on_channel_close (GstWebRTCDataChannel *channel,
                  gpointer              user_data)
{
  canopy_edge_post (user_data, canopy_edge_emit_gone, (gpointer) "data channel closed", NULL);
}

static void
on_channel_error (GstWebRTCDataChannel *channel,
                  GError               *error,
                  gpointer              user_data)
{
  CanopyEdge *self = user_data;

  g_message ("Data channel error with %s: %s", self->peer_id, error ? error->message : "?");
}

void
canopy_edge_watch_channel (CanopyEdge           *self,
               GstWebRTCDataChannel *channel,
               const char           *label)
{
  g_object_set_data (G_OBJECT (channel), "canopy-label", (gpointer) label);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->watched, g_object_ref (channel));
  g_mutex_unlock (&self->lock);
  g_signal_connect (channel, "on-message-string", G_CALLBACK (on_message_string), self);
  g_signal_connect (channel, "on-open", G_CALLBACK (on_channel_open), self);
  g_signal_connect (channel, "on-close", G_CALLBACK (on_channel_close), self);
  g_signal_connect (channel, "on-error", G_CALLBACK (on_channel_error), self);
  if (g_str_equal (label, CANOPY_EDGE_FILE)) {
    g_object_set (channel, "buffered-amount-low-threshold", (guint64) CANOPY_FILE_BUFFER_LOW,
                  NULL);
    g_signal_connect (channel, "on-message-data", G_CALLBACK (on_message_data), self);
    g_signal_connect (channel, "on-buffered-amount-low", G_CALLBACK (on_buffered_amount_low),
                      self);
  }
}

static void
adopt_channel (CanopyEdge *self,
               gpointer    data)
{
  GstWebRTCDataChannel *channel = data;
  const char *label = label_of (channel);
  GstWebRTCDataChannel **slot = is_file (channel)           ? &self->file
                                : is_beat (channel)         ? &self->beat
                                : is_ctrl (self, channel)   ? &self->ctrl
                                                            : &self->chat;

  if (canopy_edge_is_closed (self))
    return;
  if (*slot != NULL)
    return;
  *slot = g_object_ref (channel);
  /* The answerer's channels usually open before they are announced. */
  if (channel_is_open (channel))
    channel_opened (self, (gpointer) label);
}

void
canopy_edge_on_data_channel (GstElement           *webrtcbin,
                 GstWebRTCDataChannel *channel,
                 gpointer              user_data)
{
  CanopyEdge *self = user_data;
  g_autofree char *label = NULL;

  g_object_get (channel, "label", &label, NULL);
  /* Watched right here, on webrtcbin's thread: the parent may already be sending. */
  if (g_strcmp0 (label, CANOPY_EDGE_CTRL) == 0)
    canopy_edge_watch_channel (self, channel, CANOPY_EDGE_CTRL);
  else if (g_strcmp0 (label, CANOPY_EDGE_CHAT) == 0)
    canopy_edge_watch_channel (self, channel, CANOPY_EDGE_CHAT);
  else if (g_strcmp0 (label, CANOPY_EDGE_FILE) == 0)
    canopy_edge_watch_channel (self, channel, CANOPY_EDGE_FILE);
  else if (g_strcmp0 (label, CANOPY_EDGE_BEAT) == 0)
    canopy_edge_watch_channel (self, channel, CANOPY_EDGE_BEAT);
  else {
    g_message ("Ignoring data channel \"%s\" from %s", label ? label : "", self->peer_id);
    return;
  }
  canopy_edge_post (self, adopt_channel, g_object_ref (channel), g_object_unref);
}

/**
 * canopy_edge_send:
 * @self: an edge
 * @label: %CANOPY_EDGE_CTRL or %CANOPY_EDGE_CHAT
 * @text: the message
 *
 * Sends @text on a data channel, or keeps it until the channel opens.
 */
void
canopy_edge_send (CanopyEdge *self,
                  const char *label,
                  const char *text)
{
  GstWebRTCDataChannel *channel;
  GQueue *pending;

  g_return_if_fail (CANOPY_IS_EDGE (self));
  g_return_if_fail (g_str_equal (label, CANOPY_EDGE_CTRL) || g_str_equal (label, CANOPY_EDGE_CHAT));

  if (canopy_edge_is_closed (self))
    return;
  channel = channel_for (self, label);
  pending = pending_for (self, label);
  if (channel_is_open (channel) && g_queue_is_empty (pending)) {
    send_text (self, channel, text);
    return;
  }
  if (g_queue_get_length (pending) >= PENDING_MAX)
    g_free (g_queue_pop_head (pending));
  g_queue_push_tail (pending, g_strdup (text));
}

/**
 * canopy_edge_send_ping:
 * @self: an edge to a parent
 * @text: a ping
 *
 * Sends @text on `beat` if the parent made one and it is open (a lost ping is not resent and
 * holds nothing up), otherwise on ctrl.
 */
void
canopy_edge_send_ping (CanopyEdge *self,
                       const char *text)
{
  g_return_if_fail (CANOPY_IS_EDGE (self));

  if (canopy_edge_is_open (self, CANOPY_EDGE_BEAT))
    send_text (self, self->beat, text);
  else
    canopy_edge_send (self, CANOPY_EDGE_CTRL, text);
}

/**
 * canopy_edge_get_max_message_size:
 * @self: an edge
 *
 * Returns: the longest data channel message the far side takes, as its description declares
 *   it (64 KiB until it came, or when it declares nothing; %G_MAXSIZE for any size)
 */
gsize
canopy_edge_get_max_message_size (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), CANOPY_DATA_CHANNEL_DEFAULT_BYTES);
  return self->remote_max_message;
}

/**
 * canopy_edge_get_oversized_dropped:
 * @self: an edge
 *
 * Returns: messages not sent because they were longer than the far side takes
 */
guint64
canopy_edge_get_oversized_dropped (CanopyEdge *self)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);
  return self->oversized_dropped;
}

/**
 * canopy_edge_is_open:
 * @self: an edge
 * @label: a channel label
 *
 * Returns: whether that data channel is open
 */
gboolean
canopy_edge_is_open (CanopyEdge *self,
                     const char *label)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), FALSE);
  return !canopy_edge_is_closed (self) && channel_is_open (channel_for (self, label));
}

void
canopy_edge_release_channels (CanopyEdge *self)
{
  g_autoptr (GPtrArray) watched = NULL;

  g_mutex_lock (&self->lock);
  watched = g_steal_pointer (&self->watched);
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < watched->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (watched, i), self);
  g_clear_object (&self->ctrl);
  g_clear_object (&self->chat);
  g_clear_object (&self->file);
  g_clear_object (&self->beat);
}

/**
 * canopy_edge_send_frame:
 * @self: an edge
 * @frame: a chunk frame
 *
 * Sends @frame on the `file` channel, at once: the caller paces itself
 * (canopy_edge_get_file_buffered()).
 *
 * Returns: whether the channel was open to take it
 */
gboolean
canopy_edge_send_frame (CanopyEdge *self,
                        GBytes     *frame)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), FALSE);

  if (!canopy_edge_is_open (self, CANOPY_EDGE_FILE))
    return FALSE;
  g_signal_emit_by_name (self->file, "send-data", frame);
  return TRUE;
}

/**
 * canopy_edge_get_file_buffered:
 * @self: an edge
 *
 * Returns: the bytes sent on the `file` channel that the transport has not taken yet
 */
guint64
canopy_edge_get_file_buffered (CanopyEdge *self)
{
  guint64 amount = 0;

  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);

  if (self->file != NULL)
    g_object_get (self->file, "buffered-amount", &amount, NULL);
  return amount;
}


/**
 * canopy_edge_answer_pings:
 * @self: an edge toward a child
 * @count: what a pong reports as "rx"; called on the data channel's thread
 * @source: (transfer none): passed to @count; the edge keeps a reference
 *
 * From now on the edge answers the child's pings itself, on the data channel's thread.
 */
void
canopy_edge_answer_pings (CanopyEdge          *self,
                          CanopyEdgeCountFunc  count,
                          GObject             *source)
{
  g_return_if_fail (CANOPY_IS_EDGE (self));

  g_mutex_lock (&self->lock);
  self->pong_count = count;
  g_set_object (&self->pong_source, source);
  g_mutex_unlock (&self->lock);
}

/**
 * canopy_edge_get_heard:
 * @self: an edge
 * @gap_us: (out) (optional): the longest recent wait between two messages, fading
 *
 * Returns: when the neighbour last sent anything on a data channel (monotonic µs), or 0
 */
gint64
canopy_edge_get_heard (CanopyEdge *self,
                       gint64     *gap_us)
{
  g_return_val_if_fail (CANOPY_IS_EDGE (self), 0);

  if (gap_us != NULL)
    *gap_us = atomic_load (&self->gap_us);
  return atomic_load (&self->heard_at);
}
