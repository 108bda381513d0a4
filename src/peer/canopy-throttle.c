/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyThrottle"

#include "canopy-throttle.h"

struct _CanopyThrottle {
  GMutex lock;
  GMainContext *context;
  gint64 interval_us;
  gint64 last;
  GSource *trailing;
  GSourceFunc fire;
  gpointer data;
  GDestroyNotify destroy;
};

static gboolean
on_trailing (gpointer user_data)
{
  CanopyThrottle *self = user_data;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->trailing, g_source_unref);
  g_mutex_unlock (&self->lock);
  /* The callback asks again, and now passes. */
  self->fire (self->data);
  return G_SOURCE_REMOVE;
}

/**
 * canopy_throttle_new:
 * @interval_ms: the shortest time between two requests let through
 * @fire: makes the request again; called on the creating thread's main context
 * @data: data for @fire
 * @destroy: (nullable): frees @data with the throttle
 *
 * Returns: (transfer full): a throttle, usable from any thread
 */
CanopyThrottle *
canopy_throttle_new (guint          interval_ms,
                     GSourceFunc    fire,
                     gpointer       data,
                     GDestroyNotify destroy)
{
  CanopyThrottle *self = g_new0 (CanopyThrottle, 1);

  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->interval_us = (gint64) interval_ms * 1000;
  self->fire = fire;
  self->data = data;
  self->destroy = destroy;
  return self;
}

/**
 * canopy_throttle_ask:
 * @self: a throttle
 *
 * Returns: %TRUE to go ahead now; %FALSE when too soon (a trailing call is then scheduled)
 */
gboolean
canopy_throttle_ask (CanopyThrottle *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean go = FALSE;

  g_mutex_lock (&self->lock);
  if (self->last == 0 || now - self->last >= self->interval_us) {
    self->last = now;
    go = TRUE;
  } else if (self->trailing == NULL) {
    self->trailing = g_timeout_source_new ((guint) ((self->interval_us - (now - self->last)) /
                                                    1000 + 1));
    g_source_set_callback (self->trailing, on_trailing, self, NULL);
    g_source_attach (self->trailing, self->context);
  }
  g_mutex_unlock (&self->lock);
  return go;
}

void
canopy_throttle_free (CanopyThrottle *self)
{
  if (self == NULL)
    return;
  if (self->trailing != NULL) {
    g_source_destroy (self->trailing);
    g_source_unref (self->trailing);
  }
  if (self->destroy != NULL)
    self->destroy (self->data);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* --- CanopyBudget --- */

struct _CanopyBudget {
  GMutex lock;
  double tokens;
  double burst;
  gint64 refill_us;            /* one token back every this long */
  gint64 refilled_at;
  guint64 refused;
};

/**
 * canopy_budget_new:
 * @burst: requests allowed at once (and at first)
 * @refill_ms: one more is allowed every this long, up to @burst
 *
 * A token bucket that any thread may draw on, and that counts what it refused. Reference
 * counted: a pad probe and its edge may share one.
 *
 * Returns: (transfer full): a full budget
 */
CanopyBudget *
canopy_budget_new (guint burst,
                   guint refill_ms)
{
  CanopyBudget *self = g_atomic_rc_box_new0 (CanopyBudget);

  g_mutex_init (&self->lock);
  self->burst = self->tokens = burst;
  self->refill_us = (gint64) refill_ms * 1000;
  self->refilled_at = g_get_monotonic_time ();
  return self;
}

CanopyBudget *
canopy_budget_ref (CanopyBudget *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
budget_clear (gpointer data)
{
  g_mutex_clear (&((CanopyBudget *) data)->lock);
}

void
canopy_budget_unref (CanopyBudget *self)
{
  g_atomic_rc_box_release_full (self, budget_clear);
}

/**
 * canopy_budget_take:
 * @self: a budget
 *
 * Returns: whether a request may go now (it used one token); if not, it was counted
 */
gboolean
canopy_budget_take (CanopyBudget *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean ok;

  g_mutex_lock (&self->lock);
  self->tokens = MIN (self->burst,
                      self->tokens + (double) (now - self->refilled_at) / (double) self->refill_us);
  self->refilled_at = now;
  ok = self->tokens >= 1.0;
  if (ok)
    self->tokens -= 1.0;
  else
    self->refused++;
  g_mutex_unlock (&self->lock);
  return ok;
}

/**
 * canopy_budget_get_refused:
 * @self: a budget
 *
 * Returns: the requests refused so far
 */
guint64
canopy_budget_get_refused (CanopyBudget *self)
{
  guint64 refused;

  g_mutex_lock (&self->lock);
  refused = self->refused;
  g_mutex_unlock (&self->lock);
  return refused;
}
