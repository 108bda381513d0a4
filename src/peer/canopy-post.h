/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * The one way from a foreign thread (GStreamer streaming threads, webrtcbin's and libnice's
 * threads, data-channel callbacks) to the main context: post a function, and the main context
 * runs it on its next iteration. See HACKING.md, "Threading".
 */

typedef void (*CanopyPostFunc) (gpointer owner,
                                gpointer data);

void canopy_post (GMainContext   *context,
                  gpointer        owner,
                  CanopyPostFunc  func,
                  gpointer        data,
                  GDestroyNotify  destroy);

G_END_DECLS
