/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyVideoPaintable"

#include "canopy-video-paintable.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <gtk/gtk.h>

/* What the streaming thread and the main thread share. It is reference counted on its own so
 * that neither the appsink's callbacks nor a queued idle source keep the paintable alive (the
 * paintable owns the sink: a strong reference back would be a cycle). */
typedef struct
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  GstSample       *pending;   /* newest sample not yet turned into a texture */
  guint64          received;  /* samples handed over by the appsink */
  gboolean         scheduled; /* an idle source is on its way to the main context */
  GWeakRef         paintable;
  GMainContext    *context;
} Shared;

struct _CanopyVideoPaintable
{
  GObject     parent_instance;

  GstElement *sink;
  Shared     *shared;
  GdkTexture *texture;
  int         width;          /* display size: the frame's size with its pixel aspect ratio */
  int         height;
  guint64     frames;
  gboolean    sync;
};

static void canopy_video_paintable_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CanopyVideoPaintable, canopy_video_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      canopy_video_paintable_paintable_init))

enum {
  PROP_0,
  PROP_FRAMES,
  PROP_SYNC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static Shared *
shared_ref (Shared *shared)
{
  g_atomic_ref_count_inc (&shared->ref_count);
  return shared;
}

static void
shared_unref (gpointer data)
{
  Shared *shared = data;

  if (!g_atomic_ref_count_dec (&shared->ref_count))
    return;
  g_clear_pointer (&shared->pending, gst_sample_unref);
  g_weak_ref_clear (&shared->paintable);
  g_mutex_clear (&shared->lock);
  g_main_context_unref (shared->context);
  g_free (shared);
}

typedef struct
{
  GstVideoFrame frame;
  GstBuffer    *buffer;
} MappedFrame;

static void
mapped_frame_free (gpointer data)
{
  MappedFrame *mapped = data;

  gst_video_frame_unmap (&mapped->frame);
  gst_buffer_unref (mapped->buffer);
  g_free (mapped);
}

/* Wraps the frame's memory without copying: the texture keeps the buffer mapped and alive. */
static GdkTexture *
texture_from_sample (GstSample    *sample,
                     GstVideoInfo *info)
{
  GstCaps *caps = gst_sample_get_caps (sample);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  g_autoptr (GBytes) bytes = NULL;
  MappedFrame *mapped;

  if (caps == NULL || buffer == NULL || !gst_video_info_from_caps (info, caps) ||
      GST_VIDEO_INFO_FORMAT (info) != GST_VIDEO_FORMAT_RGBA ||
      GST_VIDEO_INFO_WIDTH (info) <= 0 || GST_VIDEO_INFO_HEIGHT (info) <= 0)
    return NULL;

  mapped = g_new0 (MappedFrame, 1);
  mapped->buffer = gst_buffer_ref (buffer);
  if (!gst_video_frame_map (&mapped->frame, info, mapped->buffer, GST_MAP_READ)) {
    gst_buffer_unref (mapped->buffer);
    g_free (mapped);
    return NULL;
  }
  bytes = g_bytes_new_with_free_func (GST_VIDEO_FRAME_PLANE_DATA (&mapped->frame, 0),
                                      (gsize) GST_VIDEO_FRAME_PLANE_STRIDE (&mapped->frame, 0) *
                                        GST_VIDEO_FRAME_HEIGHT (&mapped->frame),
                                      mapped_frame_free, mapped);
  /* Video is opaque (alpha 255), so straight and premultiplied alpha are the same bytes; the
   * premultiplied format is the one GTK uploads without converting. */
  return gdk_memory_texture_new (GST_VIDEO_FRAME_WIDTH (&mapped->frame),
                                 GST_VIDEO_FRAME_HEIGHT (&mapped->frame),
                                 GDK_MEMORY_R8G8B8A8_PREMULTIPLIED,
                                 bytes,
                                 GST_VIDEO_FRAME_PLANE_STRIDE (&mapped->frame, 0));
}

static void
swap_in_sample (CanopyVideoPaintable *self,
                GstSample            *sample,
                guint64               received)
{
  GstVideoInfo info;
  g_autoptr (GdkTexture) texture = texture_from_sample (sample, &info);
  int width, height;

  if (texture == NULL) {
    g_debug ("Dropping a frame that is not RGBA video");
    return;
  }
  width = GST_VIDEO_INFO_WIDTH (&info);
  height = GST_VIDEO_INFO_HEIGHT (&info);
  if (GST_VIDEO_INFO_PAR_N (&info) > 0 && GST_VIDEO_INFO_PAR_D (&info) > 0)
    width = (int) gst_util_uint64_scale_int (width, GST_VIDEO_INFO_PAR_N (&info),
                                             GST_VIDEO_INFO_PAR_D (&info));

  g_set_object (&self->texture, texture);
  if (width != self->width || height != self->height) {
    self->width = width;
    self->height = height;
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  }
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));

  if (received != self->frames) {
    self->frames = received;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRAMES]);
  }
}

/* Main thread: take whatever is newest; older samples were already replaced. */
static gboolean
on_frame_ready (gpointer user_data)
{
  Shared *shared = user_data;
  g_autoptr (CanopyVideoPaintable) self = g_weak_ref_get (&shared->paintable);
  g_autoptr (GstSample) sample = NULL;
  guint64 received;

  g_mutex_lock (&shared->lock);
  sample = g_steal_pointer (&shared->pending);
  received = shared->received;
  shared->scheduled = FALSE;
  g_mutex_unlock (&shared->lock);

  if (self != NULL && sample != NULL)
    swap_in_sample (self, sample, received);
  return G_SOURCE_REMOVE;
}

/* Streaming thread: never waits for the main thread, only swaps a pointer under a short lock. */
static GstFlowReturn
on_new_sample (GstAppSink *sink,
               gpointer    user_data)
{
  Shared *shared = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstSample *old;
  gboolean schedule;

  if (sample == NULL)
    return GST_FLOW_OK;

  g_mutex_lock (&shared->lock);
  old = shared->pending;
  shared->pending = sample;
  shared->received++;
  schedule = !shared->scheduled;
  shared->scheduled = TRUE;
  g_mutex_unlock (&shared->lock);

  if (old != NULL)
    gst_sample_unref (old);
  if (schedule) {
    g_autoptr (GSource) source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_callback (source, on_frame_ready, shared_ref (shared), shared_unref);
    g_source_set_static_name (source, "[canopy] video frame");
    g_source_attach (source, shared->context);
  }
  return GST_FLOW_OK;
}

static GstElement *
make_sink (Shared  *shared,
           gboolean sync)
{
  g_autoptr (GstCaps) caps = gst_caps_new_simple ("video/x-raw",
                                                  "format", G_TYPE_STRING, "RGBA",
                                                  NULL);
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  GstElement *sink = gst_element_factory_make ("appsink", NULL);

  g_assert (sink != NULL);
  gst_object_ref_sink (sink);
  /* Only the newest frame matters: a slow main thread drops frames instead of queueing them.
   * No QoS events upstream: the sink is never late on our account (it only swaps a pointer),
   * and QoS would make videoconvert and the decoder skip frames under load. */
  g_object_set (sink,
                "caps", caps,
                "sync", sync,
                "max-buffers", 1,
                "drop", TRUE,
                "enable-last-sample", FALSE,
                "qos", FALSE,
                NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, shared_ref (shared), shared_unref);
  return sink;
}

static void
canopy_video_paintable_snapshot (GdkPaintable *paintable,
                                 GdkSnapshot  *snapshot,
                                 double        width,
                                 double        height)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (paintable);

  if (self->texture != NULL)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
canopy_video_paintable_get_current_image (GdkPaintable *paintable)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (paintable);

  if (self->texture != NULL)
    return g_object_ref (GDK_PAINTABLE (self->texture));
  return gdk_paintable_new_empty (self->width, self->height);
}

static int
canopy_video_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return CANOPY_VIDEO_PAINTABLE (paintable)->width;
}

static int
canopy_video_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return CANOPY_VIDEO_PAINTABLE (paintable)->height;
}

static double
canopy_video_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (paintable);

  if (self->width <= 0 || self->height <= 0)
    return 0.0;
  return (double) self->width / self->height;
}

static void
canopy_video_paintable_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = canopy_video_paintable_snapshot;
  iface->get_current_image = canopy_video_paintable_get_current_image;
  iface->get_intrinsic_width = canopy_video_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = canopy_video_paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = canopy_video_paintable_get_intrinsic_aspect_ratio;
}

static void
canopy_video_paintable_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (object);

  switch (prop_id) {
  case PROP_FRAMES:
    g_value_set_uint64 (value, self->frames);
    break;
  case PROP_SYNC:
    g_value_set_boolean (value, self->sync);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_video_paintable_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (object);

  switch (prop_id) {
  case PROP_SYNC:
    self->sync = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_video_paintable_constructed (GObject *object)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (object);

  G_OBJECT_CLASS (canopy_video_paintable_parent_class)->constructed (object);

  self->sink = make_sink (self->shared, self->sync);
}

static void
canopy_video_paintable_dispose (GObject *object)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (object);

  /* The owner sets its pipeline to NULL first; the sink may still be in that pipeline, which
   * keeps it alive, and its callbacks then find no paintable behind the weak reference. */
  gst_clear_object (&self->sink);
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (canopy_video_paintable_parent_class)->dispose (object);
}

static void
canopy_video_paintable_finalize (GObject *object)
{
  CanopyVideoPaintable *self = CANOPY_VIDEO_PAINTABLE (object);

  g_clear_pointer (&self->shared, shared_unref);

  G_OBJECT_CLASS (canopy_video_paintable_parent_class)->finalize (object);
}

static void
canopy_video_paintable_class_init (CanopyVideoPaintableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = canopy_video_paintable_get_property;
  object_class->set_property = canopy_video_paintable_set_property;
  object_class->constructed = canopy_video_paintable_constructed;
  object_class->dispose = canopy_video_paintable_dispose;
  object_class->finalize = canopy_video_paintable_finalize;

  /**
   * CanopyVideoPaintable:frames:
   *
   * How many frames the sink has handed over so far, counting those a newer frame replaced
   * before the main thread drew them. Updated and notified on the main thread each time a
   * new frame is swapped in (so at most once per new frame, usually once per video frame).
   */
  properties[PROP_FRAMES] =
    g_param_spec_uint64 ("frames", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * CanopyVideoPaintable:sync:
   *
   * The appsink's sync: %TRUE to show frames at their running time (audience), %FALSE to
   * show them as they come (a host's preview).
   */
  properties[PROP_SYNC] =
    g_param_spec_boolean ("sync", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
canopy_video_paintable_init (CanopyVideoPaintable *self)
{
  self->sync = TRUE;
  self->shared = g_new0 (Shared, 1);
  g_atomic_ref_count_init (&self->shared->ref_count);
  g_mutex_init (&self->shared->lock);
  g_weak_ref_init (&self->shared->paintable, self);
  self->shared->context = g_main_context_ref_thread_default ();
}

/**
 * canopy_video_paintable_new:
 * @sync: the appsink's sync property: %TRUE for the audience, %FALSE for a host preview
 *
 * Returns: (transfer full): a paintable showing the newest frame its sink received
 */
CanopyVideoPaintable *
canopy_video_paintable_new (gboolean sync)
{
  return g_object_new (CANOPY_TYPE_VIDEO_PAINTABLE, "sync", sync, NULL);
}

/**
 * canopy_video_paintable_get_sink:
 * @self: a paintable
 *
 * Returns: (transfer none): an appsink accepting RGBA raw video; link a videoconvert to it
 */
GstElement *
canopy_video_paintable_get_sink (CanopyVideoPaintable *self)
{
  g_return_val_if_fail (CANOPY_IS_VIDEO_PAINTABLE (self), NULL);

  return self->sink;
}

/**
 * canopy_video_paintable_get_frames:
 * @self: a paintable
 *
 * Returns: how many frames the sink received, as of the last frame swapped in
 */
guint64
canopy_video_paintable_get_frames (CanopyVideoPaintable *self)
{
  g_return_val_if_fail (CANOPY_IS_VIDEO_PAINTABLE (self), 0);

  return self->frames;
}
