/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lets a request through at most once per interval; one that comes too soon is not lost but
 * fires once at the end of the interval (the requester who came late still gets served). */
typedef struct _CanopyThrottle CanopyThrottle;

CanopyThrottle *canopy_throttle_new  (guint           interval_ms,
                                      GSourceFunc     fire,
                                      gpointer        data,
                                      GDestroyNotify  destroy);
gboolean        canopy_throttle_ask  (CanopyThrottle *self);
void            canopy_throttle_free (CanopyThrottle *self);

G_END_DECLS
