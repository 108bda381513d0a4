/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyAudienceView"

#include "canopy-audience-view.h"

#include <glib/gi18n.h>

#include "canopy-error.h"
#include "canopy-room-side.h"

struct _CanopyAudienceView
{
  AdwBin parent_instance;

  CanopyNode *node;
  CanopyVideoPaintable *paintable;
  GBinding *volume_binding; /* node "volume" <-> the scale; unbound in detach_node() */
  GBinding *muted_binding;  /* node "muted" <-> the mute button; likewise */
  gboolean joined;
  gboolean was_connected; /* "connected" was TRUE once: FALSE now means reconnecting */
  gboolean leaving;
  gboolean closed;

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  GtkLabel *status_label;
  GtkToggleButton *mute_button;
  GtkScale *volume_scale;
  GtkButton *leave_button;
  GtkPicture *picture;
  CanopyRoomSide *side;
  AdwStatusPage *ended_page;
  AdwStatusPage *lost_page;
  GtkButton *rejoin_button;
  GtkButton *back_button;
};

G_DEFINE_FINAL_TYPE (CanopyAudienceView, canopy_audience_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_NODE,
  N_PROPS
};

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
emit_closed (CanopyAudienceView *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

/* A plain audio sink, or NULL (the node then discards the audio) when there is no audio output
 * or CANOPY_NO_AUDIO=1. The node applies volume and mute itself. */
static GstElement *
make_audio_sink (void)
{
  GstElement *sink;

  if (g_strcmp0 (g_getenv ("CANOPY_NO_AUDIO"), "1") == 0)
    return NULL;
  sink = gst_element_factory_make ("autoaudiosink", NULL);
  if (sink == NULL)
    g_message ("No audio output: autoaudiosink is missing");
  return sink;
}

static void
update_mute_button (CanopyAudienceView *self)
{
  gboolean muted = gtk_toggle_button_get_active (self->mute_button);

  gtk_button_set_icon_name (GTK_BUTTON (self->mute_button),
                            muted ? "audio-volume-muted-symbolic"
                                  : "audio-volume-high-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->mute_button), muted ? _("Unmute") : _("Mute"));
}

static void
show_toast (CanopyAudienceView *self,
            const char         *text)
{
  /* Toast titles are markup in libadwaita 1.2; the text may carry a server's words. */
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

static void
update_status (CanopyAudienceView *self)
{
  CanopyNodeState state = canopy_node_get_state (self->node);
  gboolean ended = state == CANOPY_NODE_STATE_ENDED || state == CANOPY_NODE_STATE_FAILED;
  gboolean connected = FALSE;

  /* The room goes on without the server; only a move to a new parent waits for it, so this
   * says more than "moving you" would while both hold. */
  g_object_get (self->node, "connected", &connected, NULL);
  if (self->was_connected && !ended && !connected) {
    gtk_label_set_text (self->status_label, _("Reconnecting to the server…"));
    return;
  }

  switch (state) {
  case CANOPY_NODE_STATE_LIVE: {
    CanopyNodeMap *map = canopy_node_get_map (self->node);
    const char *parent_id = canopy_node_get_parent_id (self->node);
    const char *parent_name = NULL;
    g_autofree char *text = NULL;

    if (map != NULL && parent_id != NULL)
      parent_name = canopy_node_map_get_name (map, parent_id);
    /* Names come from the network: the label shows them as plain text. */
    text = g_strdup_printf (_("Depth %d · watching via %s · relaying to %u"),
                            canopy_node_get_depth (self->node),
                            parent_name ? parent_name : _("an unknown peer"),
                            canopy_node_get_n_children (self->node));
    gtk_label_set_text (self->status_label, text);
    break;
  }
  case CANOPY_NODE_STATE_REJOINING:
    /* The node moves with its subtree on its own; the video resumes when it is placed. */
    gtk_label_set_text (self->status_label, _("Your relay left — moving you…"));
    break;
  case CANOPY_NODE_STATE_ENDED:
  case CANOPY_NODE_STATE_FAILED:
    gtk_label_set_text (self->status_label, _("Disconnected"));
    break;
  case CANOPY_NODE_STATE_IDLE:
  case CANOPY_NODE_STATE_CONNECTING:
  case CANOPY_NODE_STATE_JOINING:
  default:
    gtk_label_set_text (self->status_label, _("Connecting…"));
    break;
  }
}

static void
show_lost (CanopyAudienceView *self,
           const char         *why)
{
  /* The status page's description is markup; error messages may come from the network. */
  g_autofree char *escaped = g_markup_escape_text (why, -1);

  adw_status_page_set_description (self->lost_page, escaped);
  gtk_stack_set_visible_child_name (self->stack, "lost");
}

/* --- node --- */

static void
on_node_changed (CanopyAudienceView *self)
{
  update_status (self);
}

static void
on_node_connected_notify (CanopyAudienceView *self)
{
  gboolean connected = FALSE;

  g_object_get (self->node, "connected", &connected, NULL);
  if (connected)
    self->was_connected = TRUE;
  update_status (self);
}

static void
on_node_joined (CanopyNode         *node,
                const char         *parent,
                int                 depth,
                CanopyAudienceView *self)
{
  self->joined = TRUE;
  update_status (self);
}

static void
on_node_error (CanopyNode         *node,
               const GError       *error,
               CanopyAudienceView *self)
{
  CanopyNodeState state = canopy_node_get_state (node);

  if (self->leaving)
    return;
  /* A lost server or parent the node heals itself: the status line says so while it lasts
   * (one lost server is one error, but no toast is needed beside the line). The ones that end
   * the node (no parent reachable, no place in time, a full room) are followed by "left",
   * which shows them on the lost page. */
  if ((g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_CONNECTION) ||
       g_error_matches (error, CANOPY_ERROR, CANOPY_ERROR_ROOM_FULL)) &&
      state != CANOPY_NODE_STATE_ENDED && state != CANOPY_NODE_STATE_FAILED) {
    update_status (self);
    return;
  }
  /* Before joining there is nothing to watch: say so. Later errors are passing news. */
  if (!self->joined)
    show_lost (self, error->message);
  else
    show_toast (self, error->message);
}

static void
on_node_left (CanopyNode         *node,
              CanopyEndReason     reason,
              CanopyAudienceView *self)
{
  const GError *last = canopy_node_get_last_error (node);

  update_status (self);
  if (self->leaving || reason == CANOPY_END_REASON_LEFT)
    emit_closed (self);
  else if (reason == CANOPY_END_REASON_ROOM_CLOSED)
    gtk_stack_set_visible_child_name (self->stack, "ended");
  /* A failure says why in the node's own words ("The room is full", "... needs a TURN
   * server"); the generic line is for a node that gave none. */
  else if (reason == CANOPY_END_REASON_FAILED && last != NULL && last->message[0] != '\0')
    show_lost (self, last->message);
  else if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "lost") != 0)
    show_lost (self, reason == CANOPY_END_REASON_SERVER_LOST
                       ? _("The connection to the server was lost.")
                       : _("Could not join the room."));
}

static void
attach_node (CanopyAudienceView *self,
             CanopyNode         *node)
{
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->volume_scale));

  if (self->node != node) {
    g_assert (self->node == NULL);
    self->node = g_object_ref (node);
  }
  self->joined = FALSE;
  self->was_connected = FALSE;
  self->leaving = FALSE;

  g_clear_object (&self->paintable);
  self->paintable = canopy_video_paintable_new (TRUE);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (self->paintable));
  g_object_set (node,
                "video-sink", canopy_video_paintable_get_sink (self->paintable),
                "audio-sink", make_audio_sink (),
                NULL);
  /* The node owns volume and mute (a rejoin's node keeps them): the controls show its values. */
  self->volume_binding = g_object_bind_property (node, "volume", adjustment, "value",
                                                 G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  self->muted_binding = g_object_bind_property (node, "muted", self->mute_button, "active",
                                                G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);

  g_signal_connect_swapped (node, "notify::state", G_CALLBACK (on_node_changed), self);
  g_signal_connect_swapped (node, "notify::depth", G_CALLBACK (on_node_changed), self);
  g_signal_connect_swapped (node, "notify::parent-id", G_CALLBACK (on_node_changed), self);
  g_signal_connect_swapped (node, "notify::n-children", G_CALLBACK (on_node_changed), self);
  g_signal_connect_swapped (node, "map-changed", G_CALLBACK (on_node_changed), self);
  g_signal_connect_swapped (node, "notify::connected", G_CALLBACK (on_node_connected_notify),
                            self);
  g_signal_connect (node, "joined", G_CALLBACK (on_node_joined), self);
  g_signal_connect (node, "error", G_CALLBACK (on_node_error), self);
  g_signal_connect (node, "left", G_CALLBACK (on_node_left), self);
  canopy_room_side_set_node (self->side, node);
  gtk_stack_set_visible_child_name (self->stack, "room");
  on_node_connected_notify (self);
  if (canopy_node_get_state (node) == CANOPY_NODE_STATE_IDLE)
    canopy_node_start (node);
}

static void
detach_node (CanopyAudienceView *self)
{
  if (self->node == NULL)
    return;
  g_clear_pointer (&self->volume_binding, g_binding_unbind);
  g_clear_pointer (&self->muted_binding, g_binding_unbind);
  g_signal_handlers_disconnect_by_data (self->node, self);
  g_clear_object (&self->node);
}

/* --- controls --- */

static void
on_mute_button_toggled (GtkToggleButton    *button,
                        CanopyAudienceView *self)
{
  update_mute_button (self);
}

static void
on_picture_pressed (GtkGestureClick    *gesture,
                    int                 n_press,
                    double              x,
                    double              y,
                    CanopyAudienceView *self)
{
  if (n_press == 2)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.fullscreen", NULL);
}

static void
on_leave_button_clicked (GtkButton          *button,
                         CanopyAudienceView *self)
{
  CanopyNodeState state = canopy_node_get_state (self->node);

  self->leaving = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->leave_button), FALSE);
  if (state == CANOPY_NODE_STATE_ENDED || state == CANOPY_NODE_STATE_FAILED)
    emit_closed (self);
  else
    canopy_node_leave (self->node); /* "closed" follows "left" */
}

static void
on_back_button_clicked (GtkButton          *button,
                        CanopyAudienceView *self)
{
  emit_closed (self);
}

static void
on_rejoin_button_clicked (GtkButton          *button,
                          CanopyAudienceView *self)
{
  g_autoptr (CanopyNode) old = g_object_ref (self->node);
  g_autoptr (CanopyNode) node = canopy_node_new_rejoin (old);

  detach_node (self);
  canopy_node_leave (old);
  gtk_widget_set_sensitive (GTK_WIDGET (self->leave_button), TRUE);
  attach_node (self, node);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NODE]);
}

static void
on_side_toast (CanopyRoomSide     *side,
               const char         *text,
               CanopyAudienceView *self)
{
  show_toast (self, text);
}

/* --- GObject --- */

static void
canopy_audience_view_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CanopyAudienceView *self = CANOPY_AUDIENCE_VIEW (object);

  switch (prop_id) {
  case PROP_NODE:
    g_value_set_object (value, self->node);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_audience_view_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  CanopyAudienceView *self = CANOPY_AUDIENCE_VIEW (object);

  switch (prop_id) {
  case PROP_NODE:
    self->node = g_value_dup_object (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_audience_view_constructed (GObject *object)
{
  CanopyAudienceView *self = CANOPY_AUDIENCE_VIEW (object);

  G_OBJECT_CLASS (canopy_audience_view_parent_class)->constructed (object);

  g_assert (CANOPY_IS_NODE (self->node));
  attach_node (self, self->node);
}

static void
canopy_audience_view_dispose (GObject *object)
{
  CanopyAudienceView *self = CANOPY_AUDIENCE_VIEW (object);

  detach_node (self);
  /* GTK 4.8 unparents a bound direct child behind AdwBin's back: let the bin drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CANOPY_TYPE_AUDIENCE_VIEW);
  g_clear_object (&self->paintable);
  G_OBJECT_CLASS (canopy_audience_view_parent_class)->dispose (object);
}

static void
canopy_audience_view_class_init (CanopyAudienceViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = canopy_audience_view_get_property;
  object_class->set_property = canopy_audience_view_set_property;
  object_class->constructed = canopy_audience_view_constructed;
  object_class->dispose = canopy_audience_view_dispose;

  /* Construct-only for callers; a rejoin replaces it and notifies. */
  properties[PROP_NODE] =
    g_param_spec_object ("node", NULL, NULL, CANOPY_TYPE_NODE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopyAudienceView::closed:
   * The person left, or read that the room is gone: show something else.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/canopy/Canopy/ui/canopy-audience-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, stack);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, status_label);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, mute_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, volume_scale);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, leave_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, picture);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, side);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, ended_page);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, lost_page);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, rejoin_button);
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, back_button);
  gtk_widget_class_bind_template_callback (widget_class, on_mute_button_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_picture_pressed);
  gtk_widget_class_bind_template_callback (widget_class, on_leave_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_back_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_rejoin_button_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_side_toast);
}

static void
canopy_audience_view_init (CanopyAudienceView *self)
{
  g_type_ensure (CANOPY_TYPE_ROOM_SIDE);
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * canopy_audience_view_new:
 * @node: a viewer with its room-id set that has not started
 *
 * The view gives the viewer its sinks and starts it.
 *
 * Returns: (transfer floating): an audience view
 */
GtkWidget *
canopy_audience_view_new (CanopyNode *node)
{
  g_return_val_if_fail (CANOPY_IS_NODE (node), NULL);
  g_return_val_if_fail (canopy_node_get_role (node) == CANOPY_NODE_ROLE_VIEWER, NULL);

  return g_object_new (CANOPY_TYPE_AUDIENCE_VIEW, "node", node, NULL);
}

CanopyNode *
canopy_audience_view_get_node (CanopyAudienceView *self)
{
  g_return_val_if_fail (CANOPY_IS_AUDIENCE_VIEW (self), NULL);
  return self->node;
}

/**
 * canopy_audience_view_get_paintable:
 * @self: an audience view
 *
 * Returns: (transfer none): the paintable showing the current node's video
 */
CanopyVideoPaintable *
canopy_audience_view_get_paintable (CanopyAudienceView *self)
{
  g_return_val_if_fail (CANOPY_IS_AUDIENCE_VIEW (self), NULL);
  return self->paintable;
}
