/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyPost"

#include "canopy-post.h"

typedef struct {
  GObject *owner;
  CanopyPostFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Post;

static gboolean
post_dispatch (gpointer user_data)
{
  Post *post = user_data;

  post->func (post->owner, post->data);
  return G_SOURCE_REMOVE;
}

static void
post_free (gpointer user_data)
{
  Post *post = user_data;

  if (post->destroy != NULL && post->data != NULL)
    post->destroy (post->data);
  g_object_unref (post->owner);
  g_free (post);
}

/**
 * canopy_post:
 * @context: the main context that owns @owner's state
 * @owner: (type GObject): the object @func acts on; kept alive until @func has run
 * @func: runs on @context with @owner and @data; it checks @owner is still in use
 * @data: (nullable): what @func needs, owned by the post
 * @destroy: (nullable): frees @data after @func ran, or when @context is destroyed first
 *
 * Posts @func to @context from any thread, always through a new idle source, never
 * g_main_context_invoke(): for the global default context that would run @func right here on
 * the calling thread whenever the main thread is between two iterations, and a node closing an
 * edge from a streaming thread deadlocks. Posts run in the order they were made.
 */
void
canopy_post (GMainContext   *context,
             gpointer        owner,
             CanopyPostFunc  func,
             gpointer        data,
             GDestroyNotify  destroy)
{
  Post *post = g_new0 (Post, 1);
  GSource *source = g_idle_source_new ();

  g_return_if_fail (G_IS_OBJECT (owner));

  post->owner = g_object_ref (owner);
  post->func = func;
  post->data = data;
  post->destroy = destroy;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, post_dispatch, post, post_free);
  g_source_attach (source, context);
  g_source_unref (source);
}
