/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gst/gst.h>

#include "canopy-video-paintable.h"
#include "canopy-shell-test.h"

#define N_FRAMES 30

typedef struct {
  CanopyVideoPaintable *paintable;
  GstBus *bus;
  guint64 frames;
} FramesSeen;

static gboolean
has_frames (gpointer user_data)
{
  FramesSeen *f = user_data;
  g_autoptr (GstMessage) error = NULL;

  if (canopy_video_paintable_get_frames (f->paintable) >= f->frames)
    return TRUE;
  error = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ERROR);
  if (error != NULL) {
    g_autoptr (GError) gerror = NULL;

    gst_message_parse_error (error, &gerror, NULL);
    g_error ("Pipeline error: %s", gerror->message);
  }
  return FALSE;
}

/* Runs the main context until the paintable saw @frames frames or @timeout_s passed. */
static void
wait_for_frames (CanopyVideoPaintable *paintable,
                 GstElement           *pipeline,
                 guint64               frames,
                 guint                 timeout_s)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  FramesSeen f = { paintable, bus, frames };

  /* The bus is looked at whenever the wait's tick wakes the loop. */
  canopy_test_wait (has_frames, &f, timeout_s);
}

static GstElement *
make_pipeline (CanopyVideoPaintable *paintable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) convert = NULL;
  GstElement *pipeline =
    gst_parse_launch ("videotestsrc num-buffers=" G_STRINGIFY (N_FRAMES) " ! "
                      "video/x-raw,width=64,height=48 ! videoconvert name=convert", &error);

  g_assert_no_error (error);
  gst_bin_add (GST_BIN (pipeline), canopy_video_paintable_get_sink (paintable));
  convert = gst_bin_get_by_name (GST_BIN (pipeline), "convert");
  g_assert_true (gst_element_link (convert, canopy_video_paintable_get_sink (paintable)));
  return pipeline;
}

static void
test_new_destroy (void)
{
  CanopyVideoPaintable *paintable = canopy_video_paintable_new (TRUE);
  GstElement *sink = canopy_video_paintable_get_sink (paintable);
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstCaps) rgba = gst_caps_from_string ("video/x-raw,format=RGBA");

  g_assert_true (GST_IS_ELEMENT (sink));
  pad = gst_element_get_static_pad (sink, "sink");
  g_assert_nonnull (pad);
  caps = gst_pad_query_caps (pad, NULL);
  g_assert_true (gst_caps_can_intersect (caps, rgba));

  g_assert_cmpuint (canopy_video_paintable_get_frames (paintable), ==, 0);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (paintable)), ==, 0);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (paintable)), ==, 0);
  g_assert_finalize_object (paintable);
}

static void
test_properties (void)
{
  CanopyVideoPaintable *paintable = canopy_video_paintable_new (FALSE);
  gboolean sync = TRUE;
  gboolean sink_sync = TRUE;
  guint64 frames = 1;

  g_object_get (paintable, "sync", &sync, "frames", &frames, NULL);
  g_assert_false (sync);
  g_assert_cmpuint (frames, ==, 0);
  g_object_get (canopy_video_paintable_get_sink (paintable), "sync", &sink_sync, NULL);
  g_assert_false (sink_sync);
  g_assert_finalize_object (paintable);

  paintable = canopy_video_paintable_new (TRUE);
  g_object_get (paintable, "sync", &sync, NULL);
  g_object_get (canopy_video_paintable_get_sink (paintable), "sync", &sink_sync, NULL);
  g_assert_true (sync);
  g_assert_true (sink_sync);
  g_assert_finalize_object (paintable);
}

static void
on_notify_frames (GObject    *object,
                  GParamSpec *pspec,
                  guint      *count)
{
  (*count)++;
}

static void
on_invalidate_contents (GdkPaintable *paintable,
                        guint        *count)
{
  (*count)++;
}

static void
test_pipeline (void)
{
  CanopyVideoPaintable *paintable = canopy_video_paintable_new (TRUE);
  GstElement *pipeline = make_pipeline (paintable);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (paintable));
  g_autoptr (GdkPaintable) image = NULL;
  GtkSnapshot *snapshot;
  GskRenderNode *node;
  guint notifies = 0;
  guint invalidations = 0;
  guchar pixel[4 * 64 * 48];

  g_signal_connect (paintable, "notify::frames", G_CALLBACK (on_notify_frames), &notifies);
  g_signal_connect (paintable, "invalidate-contents", G_CALLBACK (on_invalidate_contents),
                    &invalidations);
  /* Shown in a window too, so the textures go through a real renderer. */
  gtk_window_set_child (GTK_WINDOW (window), picture);
  gtk_window_present (GTK_WINDOW (window));

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  wait_for_frames (paintable, pipeline, N_FRAMES, 20);

  g_assert_cmpuint (canopy_video_paintable_get_frames (paintable), ==, N_FRAMES);
  g_assert_cmpuint (notifies, >=, 1);
  g_assert_cmpuint (notifies, <=, N_FRAMES);
  g_assert_cmpuint (invalidations, ==, notifies);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (paintable)), ==, 64);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (paintable)), ==, 48);
  g_assert_cmpfloat_with_epsilon (
    gdk_paintable_get_intrinsic_aspect_ratio (GDK_PAINTABLE (paintable)), 64.0 / 48.0, 1e-6);

  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (GDK_PAINTABLE (paintable), snapshot, 64, 48);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  gsk_render_node_unref (node);

  /* The newest frame, with its stride honoured: opaque video, every alpha 255. */
  image = gdk_paintable_get_current_image (GDK_PAINTABLE (paintable));
  g_assert_true (GDK_IS_TEXTURE (image));
  g_assert_cmpint (gdk_texture_get_width (GDK_TEXTURE (image)), ==, 64);
  gdk_texture_download (GDK_TEXTURE (image), pixel, 4 * 64);
  for (guint i = 3; i < sizeof pixel; i += 4)
    g_assert_cmpuint (pixel[i], ==, 255);

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
                   GST_STATE_CHANGE_SUCCESS);
  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&image);
  gst_object_unref (pipeline);
  g_assert_finalize_object (paintable);
}

/* The paintable may go first while the pipeline still streams into its sink: frames in
 * flight find nobody behind the weak reference and are dropped. */
static void
test_paintable_dies_first (void)
{
  CanopyVideoPaintable *paintable = canopy_video_paintable_new (FALSE);
  GstElement *pipeline = make_pipeline (paintable);
  GstElement *sink = gst_object_ref (canopy_video_paintable_get_sink (paintable));

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_frames (paintable, pipeline, 1, 20);
  g_assert_cmpuint (canopy_video_paintable_get_frames (paintable), >=, 1);
  g_assert_finalize_object (paintable);

  canopy_test_spin (200);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_assert_finalize_object (sink);
  /* Idle sources that were queued still hold the shared state: let them run. */
  while (g_main_context_iteration (NULL, FALSE));
}

int
main (int   argc,
      char *argv[])
{
  canopy_test_init_ui (&argc, &argv);
  gst_init (&argc, &argv);

  g_test_add_func ("/video-paintable/new-destroy", test_new_destroy);
  g_test_add_func ("/video-paintable/properties", test_properties);
  g_test_add_func ("/video-paintable/pipeline", test_pipeline);
  g_test_add_func ("/video-paintable/paintable-dies-first", test_paintable_dies_first);

  return g_test_run ();
}
