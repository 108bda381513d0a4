/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The `beat` data channel (canopy-edge-channels.c): a real parent edge and a real child edge,
 * two webrtcbins in one process connected over 127.0.0.1. The parent makes the channel
 * unordered and never resent; the child's pings go on it once it is open and are answered on
 * it; on beat nothing but a ping or a pong is taken, where the same text on ctrl is passed on.
 */
#include "canopy-edge-private.h"
#include "canopy-media.h"
#include "canopy-source.h"
#include "canopy-test-procs.h"

#include <string.h>

/* Under valgrind the DTLS certificate alone takes several seconds. */
#define WAIT_S 60

typedef struct {
  CanopyEdge *parent_side;     /* the parent's edge to its child */
  CanopyEdge *child_side;      /* the child's edge to its parent */
  GPtrArray *child_heard;      /* "label text" of every message the child's edge passed on */
  GPtrArray *parent_heard;
} Pair;

static void
on_signal (CanopyEdge *edge,
           JsonObject *data,
           gpointer    user_data)
{
  CanopyEdge *other = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (canopy_edge_handle_signal (other, data, &error));
  g_assert_no_error (error);
}

static void
on_message (CanopyEdge *edge,
            const char *label,
            const char *text,
            gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strdup_printf ("%s %s", label, text));
}

static guint64
count_nothing (gpointer source)
{
  return 7;
}

static gboolean
heard (GPtrArray  *messages,
       const char *prefix)
{
  for (guint i = 0; i < messages->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (messages, i), prefix))
      return TRUE;
  return FALSE;
}

typedef gboolean (*Condition) (Pair *pair);

static void
spin_until (Pair       *pair,
            Condition   condition,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (!condition (pair) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
  if (!condition (pair))
    g_error ("no %s within %d s", what, WAIT_S);
}

/* Spins for @ms whatever happens. */
static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
}

static gboolean
all_open (Pair *pair)
{
  return canopy_edge_is_open (pair->child_side, CANOPY_EDGE_CTRL) &&
         canopy_edge_is_open (pair->child_side, CANOPY_EDGE_BEAT) &&
         canopy_edge_is_open (pair->parent_side, CANOPY_EDGE_CTRL) &&
         canopy_edge_is_open (pair->parent_side, CANOPY_EDGE_BEAT);
}

static gboolean
child_got_pong (Pair *pair)
{
  return heard (pair->child_heard, "ctrl {\"type\":\"pong\"");
}

static gboolean
child_got_probe (Pair *pair)
{
  return heard (pair->child_heard, "ctrl {\"type\":\"probe\"");
}

static gboolean
parent_got_probe (Pair *pair)
{
  return heard (pair->parent_heard, "ctrl {\"type\":\"probe\"");
}

static void
test_beat (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CanopyMedia) host = canopy_media_new ();
  g_autoptr (CanopyMedia) viewer = canopy_media_new ();
  g_autoptr (CanopySource) source = canopy_source_new (CANOPY_CODEC_VP8, 160, 120, 15, 200);
  g_autoptr (GPtrArray) child_heard = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) parent_heard = g_ptr_array_new_with_free_func (g_free);
  Pair pair = { NULL, NULL, child_heard, parent_heard };
  gboolean ordered = TRUE;
  gint max_retransmits = -1;
  gint64 heard_before, heard_after;

  g_assert_true (canopy_media_start_source (host, source, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (canopy_media_start_playback (viewer, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);

  pair.parent_side = canopy_edge_new_to_child (canopy_media_get_bin (host), "child",
                                               canopy_media_get_video_tee (host),
                                               canopy_media_get_audio_tee (host), NULL);
  pair.child_side = canopy_edge_new_to_parent (canopy_media_get_bin (viewer), "parent",
                                               canopy_media_get_video_tee (viewer),
                                               canopy_media_get_audio_tee (viewer),
                                               canopy_media_get_forward (viewer), NULL, 200);
  canopy_edge_answer_pings (pair.parent_side, count_nothing, G_OBJECT (host));
  g_signal_connect (pair.parent_side, "signal", G_CALLBACK (on_signal), pair.child_side);
  g_signal_connect (pair.child_side, "signal", G_CALLBACK (on_signal), pair.parent_side);
  g_signal_connect (pair.child_side, "message", G_CALLBACK (on_message), child_heard);
  g_signal_connect (pair.parent_side, "message", G_CALLBACK (on_message), parent_heard);
  spin_until (&pair, all_open, "open ctrl and beat channels on both sides");

  /* As the parent made it: unordered, never resent. */
  g_object_get (pair.child_side->beat, "ordered", &ordered, "max-retransmits", &max_retransmits,
                NULL);
  g_assert_false (ordered);
  g_assert_cmpint (max_retransmits, ==, 0);

  /* A ping goes on beat (the parent's ctrl never sees it), its pong comes back on beat and is
   * read as a ctrl message. */
  heard_before = canopy_edge_get_heard (pair.parent_side, NULL);
  canopy_edge_send_ping (pair.child_side, "{\"type\":\"ping\",\"t\":12345,\"rx\":3}");
  spin_until (&pair, child_got_pong, "pong");
  heard_after = canopy_edge_get_heard (pair.parent_side, NULL);
  g_assert_cmpint (heard_after, >, heard_before);
  g_assert_true (heard (child_heard, "ctrl {\"type\":\"pong\",\"t\":12345,\"rx\":7}"));
  g_assert_false (heard (parent_heard, "ctrl {\"type\":\"ping\""));

  /* Anything else on beat is dropped, both ways; the same text on ctrl arrives. */
  g_signal_emit_by_name (pair.parent_side->beat, "send-string", "{\"type\":\"probe\"}");
  g_signal_emit_by_name (pair.child_side->beat, "send-string", "{\"type\":\"probe\"}");
  g_signal_emit_by_name (pair.parent_side->beat, "send-string",
                         "{\"type\":\"pong\",\"t\":1,\"rx\":1,\"pad\":\"" /* too long */
                         "0123456789012345678901234567890123456789012345678901234567890\"}");
  spin_for (1000);
  g_assert_false (child_got_probe (&pair));
  g_assert_false (parent_got_probe (&pair));
  g_assert_false (heard (child_heard, "ctrl {\"type\":\"pong\",\"t\":1,"));
  canopy_edge_send (pair.parent_side, CANOPY_EDGE_CTRL, "{\"type\":\"probe\"}");
  canopy_edge_send (pair.child_side, CANOPY_EDGE_CTRL, "{\"type\":\"probe\"}");
  spin_until (&pair, child_got_probe, "probe on ctrl at the child");
  spin_until (&pair, parent_got_probe, "probe on ctrl at the parent");

  canopy_edge_close (pair.child_side);
  canopy_edge_close (pair.parent_side);
  g_clear_object (&pair.child_side);
  g_clear_object (&pair.parent_side);
  canopy_media_stop (viewer);
  canopy_media_stop (host);
}

int
main (int    argc,
      char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  canopy_test_add_spared ("/edge/beat", test_beat);
  return g_test_run ();
}
