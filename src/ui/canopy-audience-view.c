/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyAudienceView"

#include "canopy-audience-view.h"

#include <glib/gi18n.h>

#include "canopy-error.h"
#include "canopy-limits.h"
#include "canopy-room-side.h"

#include <string.h>

/* Which of the room's rules refused the join: these failures need their own words and ways on. */
typedef enum {
  REFUSAL_NONE,
  REFUSAL_LOCKED,
  REFUSAL_PASSWORD_NEEDED,
  REFUSAL_PASSWORD_WRONG,
  REFUSAL_BANNED,
} Refusal;

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
  Refusal refusal;          /* of the current node's join, if one was refused */
  char *password;           /* the one the person typed: every rejoin uses it; memory only */
  AdwMessageDialog *dialog; /* asking for the password */

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  GtkLabel *status_label;
  GtkToggleButton *mute_button;
  GtkScale *volume_scale;
  GtkButton *leave_button;
  GtkPicture *picture;
  CanopyRoomSide *side;
  AdwStatusPage *ended_page;
  AdwStatusPage *removed_page;
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

/* The lost page, under @title and @icon_name, says @why; Rejoin tries again. */
static void
show_lost_as (CanopyAudienceView *self,
              const char         *icon_name,
              const char         *title,
              const char         *why)
{
  /* The status page's title and description are markup; errors may come from the network. */
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped = g_markup_escape_text (why, -1);

  adw_status_page_set_icon_name (self->lost_page, icon_name);
  adw_status_page_set_title (self->lost_page, escaped_title);
  adw_status_page_set_description (self->lost_page, escaped);
  gtk_stack_set_visible_child_name (self->stack, "lost");
}

static void
show_lost (CanopyAudienceView *self,
           const char         *why)
{
  show_lost_as (self, "network-offline-symbolic", _("Connection lost"), why);
}

/* Which of the room's rules refused the join, by the node's error code. */
static Refusal
refusal_of (const GError *error)
{
  static const struct {
    CanopyError code;
    Refusal refusal;
  } refusals[] = {
    { CANOPY_ERROR_ROOM_LOCKED, REFUSAL_LOCKED },
    { CANOPY_ERROR_PASSWORD_NEEDED, REFUSAL_PASSWORD_NEEDED },
    { CANOPY_ERROR_PASSWORD_WRONG, REFUSAL_PASSWORD_WRONG },
    { CANOPY_ERROR_BANNED, REFUSAL_BANNED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    if (g_error_matches (error, CANOPY_ERROR, refusals[i].code))
      return refusals[i].refusal;
  return REFUSAL_NONE;
}

static void
forget_password (CanopyAudienceView *self)
{
  /* Not left lying around in freed memory either. */
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
}

/* A cycle: attaching a node connects "left", whose password dialog may attach a new one. */
static void attach_node (CanopyAudienceView *self,
                         CanopyNode         *node);
static void detach_node (CanopyAudienceView *self);

/* A new node for the same room (with the password typed, if any) in place of the current one. */
static void
rejoin (CanopyAudienceView *self)
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
on_password_entry_changed (GtkEditable      *entry,
                           AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "join",
                                           *gtk_editable_get_text (entry) != '\0');
}

/* GTK 4.8's GtkPasswordEntry leaves a focus handler on its text behind: a window destroyed with
 * the focus in it calls that handler on the disposed entry. Taking the focus away first avoids
 * it. */
static void
unfocus_and_destroy (AdwMessageDialog *dialog)
{
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
on_password_dialog_response (AdwMessageDialog   *dialog,
                             const char         *response,
                             CanopyAudienceView *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *password = gtk_editable_get_text (entry);

  /* The dialog closes itself after this. */
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);
  if (self->dialog == dialog)
    self->dialog = NULL;
  if (g_strcmp0 (response, "join") != 0 || *password == '\0')
    return;
  forget_password (self);
  self->password = g_strdup (password);
  gtk_editable_set_text (entry, "");
  rejoin (self);
}

/* Asks for the room's password and joins again with it; cancelled, the lost page stays. */
static void
ask_password (CanopyAudienceView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  gboolean wrong = self->refusal == REFUSAL_PASSWORD_WRONG;
  GtkWidget *dialog;
  GtkWidget *entry;
  GtkEditable *text;

  if (self->dialog != NULL)
    unfocus_and_destroy (g_steal_pointer (&self->dialog));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   wrong ? _("Wrong Password") : _("Password Needed"),
                                   wrong ? _("This is not the room's password. Try again.")
                                         : _("This room needs a password. Ask the host for it."));
  entry = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  g_object_set (entry, "activates-default", TRUE, NULL);
  text = gtk_editable_get_delegate (GTK_EDITABLE (entry));
  if (GTK_IS_TEXT (text))
    gtk_text_set_max_length (GTK_TEXT (text), CANOPY_PASSWORD_CHARS);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Room password"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "join", _("_Join"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "join",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "join", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "join");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (on_password_entry_changed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_password_dialog_response), self,
                           0);
  self->dialog = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* A join the room's rules refused: the words for it, and the way on (a password, later). */
static void
show_refusal (CanopyAudienceView *self)
{
  switch (self->refusal) {
  case REFUSAL_LOCKED:
    show_lost_as (self, "changes-prevent-symbolic", _("The room is locked"),
                  _("The host lets no newcomers in right now. Try again later."));
    break;
  case REFUSAL_BANNED:
    gtk_stack_set_visible_child_name (self->stack, "removed");
    break;
  case REFUSAL_PASSWORD_NEEDED:
    show_lost_as (self, "dialog-password-symbolic", _("This room needs a password"),
                  _("Ask the host for it, then join again."));
    ask_password (self);
    break;
  case REFUSAL_PASSWORD_WRONG:
    show_lost_as (self, "dialog-password-symbolic", _("Wrong password for this room"),
                  _("Ask the host for it, then join again."));
    ask_password (self);
    break;
  case REFUSAL_NONE:
  default:
    g_assert_not_reached ();
  }
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
  /* The room's rules refused the join: "left" follows, and shows it with its own words. */
  if (refusal_of (error) != REFUSAL_NONE) {
    self->refusal = refusal_of (error);
    return;
  }
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
  else if (reason == CANOPY_END_REASON_REMOVED)
    gtk_stack_set_visible_child_name (self->stack, "removed");
  else if (reason == CANOPY_END_REASON_FAILED && self->refusal != REFUSAL_NONE)
    show_refusal (self);
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
  self->refusal = REFUSAL_NONE;
  /* Set before the start: the node sends it with each join. */
  if (self->password != NULL)
    canopy_node_set_password (node, self->password);

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
  /* The same password would be refused again: ask for one. */
  if (self->refusal == REFUSAL_PASSWORD_NEEDED || self->refusal == REFUSAL_PASSWORD_WRONG)
    ask_password (self);
  else
    rejoin (self);
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
  if (self->dialog != NULL)
    unfocus_and_destroy (g_steal_pointer (&self->dialog));
  forget_password (self);
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
  gtk_widget_class_bind_template_child (widget_class, CanopyAudienceView, removed_page);
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
