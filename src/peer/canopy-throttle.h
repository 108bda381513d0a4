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

/* A token bucket shared across threads that counts what it refused (a child's keyframe
 * requests). */
typedef struct _CanopyBudget CanopyBudget;

CanopyBudget   *canopy_budget_new          (guint           burst,
                                            guint           refill_ms);
CanopyBudget   *canopy_budget_ref          (CanopyBudget   *self);
void            canopy_budget_unref        (CanopyBudget   *self);
gboolean        canopy_budget_take         (CanopyBudget   *self);
guint64         canopy_budget_get_refused  (CanopyBudget   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyBudget, canopy_budget_unref)

G_END_DECLS
