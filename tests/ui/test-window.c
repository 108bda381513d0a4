/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-application.h"
#include "canopy-host-view.h"
#include "canopy-new-room-dialog.h"
/* Only to read what password a node was given: CanopyNode has no getter for it, on purpose. */
#include "canopy-node-private.h"
#include "canopy-preferences-window.h"
#include "canopy-room-index.h"
#include "canopy-room-row.h"
#include "canopy-window.h"

#include "canopy-shell-test.h"
#include "canopy-webrtc.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static GSettings *
settings_reset (void)
{
  GSettings *settings = g_settings_new (CANOPY_APP_ID);
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i]; i++)
    g_settings_reset (settings, keys[i]);
  return settings;
}

static gboolean
index_state_is (gpointer data)
{
  gpointer *pair = data;

  return g_strcmp0 (canopy_room_index_get_state (pair[0]), pair[1]) == 0;
}

static void
assert_accel (GtkApplication *app,
              const char     *action,
              const char     *accel)
{
  g_auto (GStrv) accels = gtk_application_get_accels_for_action (app, action);

  g_assert_true (g_strv_contains ((const char *const *) accels, accel));
}

typedef void (*AppBody) (CanopyApplication *app,
                         CanopyWindow      *window);

static void
on_activate_run_body (CanopyApplication *app,
                      gpointer           body)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  g_assert_true (CANOPY_IS_WINDOW (window));
  ((AppBody) body) (app, CANOPY_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
}

/* Runs @app as main() does, with @args, calling @body once its window is up; a run is the only
 * way through startup and shutdown, after which the application must finalize. */
static void
run_app (AppBody           body,
         const char *const *args)
{
  CanopyApplication *app = canopy_application_new ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status;

  g_ptr_array_add (argv, (gpointer) "canopy");
  for (guint i = 0; args && args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_run_body), body);
  status = g_application_run (G_APPLICATION (app), argv->len - 1, (char **) argv->pdata);
  g_assert_cmpint (status, ==, 0);
  canopy_test_spin (20);
  g_assert_finalize_object (app);
}

static void
explicit_server_body (CanopyApplication *app,
                      CanopyWindow      *window)
{
  g_autoptr (GSettings) settings = g_settings_new (CANOPY_APP_ID);
  CanopyRoomIndex *index;
  GtkWidget *menu;
  gpointer pair[2];
  int w = 0, h = 0;

  g_assert_cmpstr (canopy_application_get_server_url (app), ==, "ws://127.0.0.1:9/ws");
  g_assert_null (canopy_application_get_embedded_server (app));
  g_assert_cmpstr (canopy_window_get_server_url (window), ==, "ws://127.0.0.1:9/ws");
  g_assert_cmpstr (canopy_window_get_page (window), ==, "index");
  gtk_window_get_default_size (GTK_WINDOW (window), &w, &h);
  g_assert_cmpint (w, ==, 800);
  g_assert_cmpint (h, ==, 600);

  index = CANOPY_ROOM_INDEX (canopy_window_get_room_index (window));
  g_assert_cmpstr (canopy_room_index_get_server_url (index), ==, "ws://127.0.0.1:9/ws");
  pair[0] = index;
  pair[1] = "error";
  canopy_test_wait_for (index_state_is, pair, CANOPY_TEST_WAIT_S, "the error state");

  /* Actions and shortcuts. */
  for (guint i = 0; i < 5; i++) {
    static const char *const names[] = { "new-room", "join", "preferences", "about", "quit" };

    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), names[i]));
  }
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "fullscreen"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "show-help-overlay"));
  assert_accel (GTK_APPLICATION (app), "app.new-room", "<Control>n");
  assert_accel (GTK_APPLICATION (app), "app.join", "<Control>j");
  assert_accel (GTK_APPLICATION (app), "app.preferences", "<Control>comma");
  assert_accel (GTK_APPLICATION (app), "app.quit", "<Control>q");
  assert_accel (GTK_APPLICATION (app), "win.fullscreen", "F11");
  assert_accel (GTK_APPLICATION (app), "win.show-help-overlay", "<Control>question");

  /* The main buttons are buttons with names. */
  menu = canopy_test_find_type (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON);
  g_assert_nonnull (menu);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Main menu");

  /* Showing a room and going back; the view is destroyed on the way back. */
  {
    GtkWidget *view = gtk_label_new ("a view");
    GtkWidget *back;

    g_object_ref (view);
    canopy_window_show_room (window, view, "<b>Room</b>");
    g_assert_cmpstr (canopy_window_get_page (window), ==, "room");
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "<b>Room</b>");
    back = canopy_test_find_type (GTK_WIDGET (window), GTK_TYPE_BUTTON);
    g_assert_nonnull (back);
    g_action_group_activate_action (G_ACTION_GROUP (window), "fullscreen", NULL);
    canopy_window_show_index (window);
    g_assert_cmpstr (canopy_window_get_page (window), ==, "index");
    g_assert_null (gtk_widget_get_parent (view));
    g_assert_finalize_object (view);
  }
  canopy_window_toast (window, "A <toast> & more");

  /* app.join focuses the join entry and offers the last room. */
  g_settings_set_string (settings, "last-room-id", "k7m2q9xa");
  g_action_group_activate_action (G_ACTION_GROUP (app), "join", NULL);
  {
    GtkWidget *entry = canopy_test_find_type (GTK_WIDGET (index), GTK_TYPE_ENTRY);

    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "k7m2q9xa");
  }

  /* Closing saves the size. */
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 650);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 650);
}

static void
test_window_explicit_server (void)
{
  g_autoptr (GSettings) settings = settings_reset ();

  /* Nothing listens on port 9 of loopback: the index shows the error state. */
  g_settings_set_string (settings, "server-url", "ws://127.0.0.1:9/ws");
  g_settings_set_int (settings, "window-width", 800);
  g_settings_set_int (settings, "window-height", 600);
  run_app (explicit_server_body, NULL);
}

static void
embedded_server_body (CanopyApplication *app,
                      CanopyWindow      *window)
{
  g_autoptr (GSettings) settings = g_settings_new (CANOPY_APP_ID);
  CanopySignalServer *server = NULL;
  g_autofree char *url = NULL;
  gpointer pair[2];
  CanopyPreferencesWindow *prefs;
  GtkWidget *lan_row;

  g_object_get (app, "server-url", &url, "embedded-server", &server, NULL);
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, "ws://127.0.0.1:"));
  g_assert_true (CANOPY_IS_SIGNAL_SERVER (server));
  g_assert_cmpuint (canopy_signal_server_get_port (server), >, 0);
  g_object_unref (server);

  pair[0] = canopy_window_get_room_index (window);
  pair[1] = "empty";
  canopy_test_wait_for (index_state_is, pair, CANOPY_TEST_WAIT_S,
                        "the embedded server's empty index");

  /* The preferences show where others find this computer's server. */
  prefs = canopy_preferences_window_new (GTK_WINDOW (window), settings,
                                         canopy_application_get_embedded_server (app), FALSE);
  lan_row = canopy_test_find (GTK_WIDGET (prefs), canopy_test_is_row_with_title,
                              "Others on your network can use");
  g_assert_nonnull (lan_row);
  g_assert_true (gtk_widget_get_visible (lan_row));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (lan_row)), "--lan"));
  g_object_ref (prefs);
  gtk_window_destroy (GTK_WINDOW (prefs));
  g_assert_finalize_object (prefs);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_embedded_server (void)
{
  g_object_unref (settings_reset ());

  run_app (embedded_server_body, NULL);
}

static void
server_option_body (CanopyApplication *app,
                    CanopyWindow      *window)
{
  g_assert_cmpstr (canopy_application_get_server_url (app), ==, "ws://192.0.2.1:7680/ws");
  g_assert_null (canopy_application_get_embedded_server (app));
  g_assert_cmpstr (canopy_room_index_get_server_url (
                     CANOPY_ROOM_INDEX (canopy_window_get_room_index (window))),
                   ==, "ws://192.0.2.1:7680/ws");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_server_option (void)
{
  g_autoptr (GSettings) settings = settings_reset ();
  static const char *const args[] = { "--server", "ws://192.0.2.1:7680/ws", NULL };

  /* --server wins over the setting and over the embedded server. */
  g_settings_set_string (settings, "server-url", "ws://127.0.0.1:9/ws");
  run_app (server_option_body, args);
}

static void
test_preferences_round_trip (void)
{
  g_autoptr (GSettings) settings = settings_reset ();
  CanopyPreferencesWindow *prefs = canopy_preferences_window_new (NULL, settings, NULL, FALSE);
  GtkWidget *name, *server, *codec, *resolution, *lan;
  GtkWidget *spin;

  g_object_ref (prefs);
  name = canopy_test_find (GTK_WIDGET (prefs), canopy_test_is_row_with_title, "Display name");
  codec = canopy_test_find (GTK_WIDGET (prefs), canopy_test_is_row_with_title, "Codec");
  resolution = canopy_test_find (GTK_WIDGET (prefs), canopy_test_is_row_with_title, "Resolution");
  server = canopy_test_find (GTK_WIDGET (prefs), canopy_test_is_row_with_title,
                             "Signalling server (empty: run one on this computer)");
  lan = canopy_test_find (GTK_WIDGET (prefs), canopy_test_is_row_with_title,
                          "Others on your network can use");
  g_assert_nonnull (name);
  g_assert_nonnull (codec);
  g_assert_nonnull (resolution);
  g_assert_nonnull (server);
  g_assert_false (gtk_widget_get_visible (lan));

  /* Widget to setting and setting to widget. */
  gtk_editable_set_text (GTK_EDITABLE (name), "Zoë");
  g_assert_cmpstr (g_settings_get_string (settings, "display-name"), ==, "Zoë");
  g_settings_set_string (settings, "server-url", "ws://example.org:7680/ws");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (server)), ==, "ws://example.org:7680/ws");

  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (codec)), ==, 0);
  g_settings_set_string (settings, "video-codec", "h264");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (codec)), ==, 1);
  adw_combo_row_set_selected (ADW_COMBO_ROW (codec), 0);
  g_assert_cmpstr (g_settings_get_string (settings, "video-codec"), ==, "vp8");

  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (resolution)), ==, 1);
  adw_combo_row_set_selected (ADW_COMBO_ROW (resolution), 2);
  g_assert_cmpuint (g_settings_get_uint (settings, "video-width"), ==, 1920);
  g_assert_cmpuint (g_settings_get_uint (settings, "video-height"), ==, 1080);
  g_settings_set_uint (settings, "video-width", 640);
  g_settings_set_uint (settings, "video-height", 360);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (resolution)), ==, 0);

  g_settings_set_uint (settings, "video-fps", 25);
  spin = canopy_test_find_type (GTK_WIDGET (prefs), GTK_TYPE_SPIN_BUTTON);
  g_assert_nonnull (spin);
  /* The first spin button is the relay capacity. */
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 5);
  g_assert_cmpuint (g_settings_get_uint (settings, "relay-capacity"), ==, 5);

  gtk_window_destroy (GTK_WINDOW (prefs));
  g_assert_finalize_object (prefs);
}

typedef struct {
  int count;
  char *title;
  char *summary;
  char *cover;
  gboolean listed;
  guint k1;
  char *password;
} Created;

static void
on_create (CanopyNewRoomDialog *dialog,
           const char          *title,
           const char          *summary,
           const char          *cover,
           gboolean             listed,
           guint                k1,
           const char          *password,
           Created             *created)
{
  created->count++;
  created->title = g_strdup (title);
  created->summary = g_strdup (summary);
  created->cover = g_strdup (cover);
  created->listed = listed;
  created->k1 = k1;
  created->password = g_strdup (password);
}

static void
test_new_room_dialog (void)
{
  CanopyNewRoomDialog *dialog = canopy_new_room_dialog_new (NULL, 6);
  Created created = { 0 };
  GtkWidget *title, *summary, *sw, *spin, *create;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *long_title = g_strnfill (200, 'x');
  int fd;

  g_object_ref (dialog);
  title = canopy_test_find (GTK_WIDGET (dialog), canopy_test_is_row_with_title, "Title");
  summary = canopy_test_find (GTK_WIDGET (dialog), canopy_test_is_row_with_title,
                              "Summary (optional)");
  sw = canopy_test_find_type (GTK_WIDGET (dialog), GTK_TYPE_SWITCH);
  spin = canopy_test_find_type (GTK_WIDGET (dialog), GTK_TYPE_SPIN_BUTTON);
  create = canopy_test_find (GTK_WIDGET (dialog), canopy_test_is_button_with_label, "C_reate");
  g_assert_nonnull (title);
  g_assert_nonnull (summary);
  g_assert_nonnull (sw);
  g_assert_nonnull (spin);
  g_assert_nonnull (create);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (create), GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_ROLE_SWITCH);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Listed in the room index");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 6);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (sw)));

  /* No title, no room. */
  g_assert_false (gtk_widget_get_sensitive (create));
  g_signal_connect (dialog, "create", G_CALLBACK (on_create), &created);
  canopy_new_room_dialog_create (dialog);
  g_assert_cmpint (created.count, ==, 0);

  /* A title over 120 characters is cut by the entry. */
  gtk_editable_set_text (GTK_EDITABLE (title), long_title);
  g_assert_cmpint (g_utf8_strlen (gtk_editable_get_text (GTK_EDITABLE (title)), -1), ==, 120);

  /* A cover from a large image file fits the server's limit. */
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 1600, 1200);
  {
    guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);
    gsize n = (gsize) gdk_pixbuf_get_rowstride (pixbuf) * 1200;

    /* Noise compresses badly: the encoder has to try lower qualities. */
    for (gsize i = 0; i < n; i++)
      pixels[i] = g_random_int_range (0, 256);
  }
  fd = g_file_open_tmp ("canopy-cover-XXXXXX.png", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  file = g_file_new_for_path (path);
  g_assert_true (canopy_new_room_dialog_set_cover_file (dialog, file, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (canopy_new_room_dialog_get_cover (dialog),
                                   "data:image/jpeg;base64,"));
  {
    g_autoptr (GdkTexture) texture =
      canopy_cover_texture_from_data_url (canopy_new_room_dialog_get_cover (dialog), &error);

    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_width (texture), ==, 320);
    g_assert_cmpint (gdk_texture_get_height (texture), ==, 240);
  }
  g_unlink (path);

  gtk_editable_set_text (GTK_EDITABLE (title), "  <b>Jam</b> & co ");
  g_assert_true (gtk_widget_get_sensitive (create));
  gtk_editable_set_text (GTK_EDITABLE (summary), "Friday");
  gtk_switch_set_active (GTK_SWITCH (sw), FALSE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 8);
  /* The password is optional, taken as typed (spaces and all), and at most 64 characters. */
  {
    GtkWidget *password = canopy_test_find (GTK_WIDGET (dialog), canopy_test_is_row_with_title,
                                            "Password (optional)");
    g_autofree char *long_password = g_strnfill (100, 'p');

    g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (password));
    gtk_editable_set_text (GTK_EDITABLE (password), long_password);
    g_assert_cmpint (g_utf8_strlen (gtk_editable_get_text (GTK_EDITABLE (password)), -1), ==, 64);
    gtk_editable_set_text (GTK_EDITABLE (password), " open <b>sesame</b> ");
  }
  g_signal_emit_by_name (create, "clicked");

  g_assert_cmpint (created.count, ==, 1);
  g_assert_cmpstr (created.title, ==, "<b>Jam</b> & co");
  g_assert_cmpstr (created.summary, ==, "Friday");
  g_assert_true (g_str_has_prefix (created.cover, "data:image/jpeg;base64,"));
  g_assert_false (created.listed);
  g_assert_cmpuint (created.k1, ==, 8);
  g_assert_cmpstr (created.password, ==, " open <b>sesame</b> ");
  g_free (created.password);
  g_free (created.title);
  g_free (created.summary);
  g_free (created.cover);

  /* It closed itself. */
  g_assert_finalize_object (dialog);
}

static CanopyNewRoomDialog *
find_new_room_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++) {
    g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

    if (CANOPY_IS_NEW_ROOM_DIALOG (window))
      return CANOPY_NEW_ROOM_DIALOG (window);
  }
  return NULL;
}

/* No password typed: none reaches the node. */
static void
create_room_through_dialog (CanopyWindow *window,
                            const char   *title,
                            const char   *password)
{
  CanopyNewRoomDialog *dialog;
  GtkWidget *row;

  canopy_window_new_room (window);
  dialog = find_new_room_dialog ();
  g_assert_nonnull (dialog);
  row = canopy_test_find (GTK_WIDGET (dialog), canopy_test_is_row_with_title, "Title");
  gtk_editable_set_text (GTK_EDITABLE (row), title);
  row = canopy_test_find (GTK_WIDGET (dialog), canopy_test_is_row_with_title,
                          "Password (optional)");
  gtk_editable_set_text (GTK_EDITABLE (row), password);
  canopy_new_room_dialog_create (dialog);
  g_assert_null (find_new_room_dialog ());
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Back to the index: the host view leaves the room; its node is let go once it ended (a node
 * still at work when the process exits races the TLS library's own exit). */
static void
leave_room (CanopyWindow *window)
{
  CanopyNode *node = canopy_host_view_get_node (
    CANOPY_HOST_VIEW (canopy_window_get_room_view (window)));

  g_object_add_weak_pointer (G_OBJECT (node), (gpointer *) &node);
  canopy_window_show_index (window);
  canopy_test_wait_for (is_null, &node, CANOPY_TEST_WAIT_S, "the host node to be let go");
}

static void
new_room_password_body (CanopyApplication *app,
                        CanopyWindow      *window)
{
  g_autoptr (GSettings) settings = g_settings_new (CANOPY_APP_ID);
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) keys = NULL;
  GtkWidget *view;
  CanopyNode *node;

  /* The dialog's password is the host node's before it starts. */
  create_room_through_dialog (window, "Private jam", "open sesame");
  g_assert_cmpstr (canopy_window_get_page (window), ==, "room");
  view = canopy_window_get_room_view (window);
  g_assert_true (CANOPY_IS_HOST_VIEW (view));
  node = canopy_host_view_get_node (CANOPY_HOST_VIEW (view));
  g_assert_cmpint (canopy_node_get_role (node), ==, CANOPY_NODE_ROLE_HOST);
  g_assert_cmpstr (node->password, ==, "open sesame");

  /* It is in no setting. */
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++) {
    g_autoptr (GVariant) value = g_settings_get_value (settings, keys[i]);
    g_autofree char *text = g_variant_print (value, FALSE);

    g_assert_null (strstr (text, "sesame"));
  }

  leave_room (window);
  create_room_through_dialog (window, "Open jam", "");
  view = canopy_window_get_room_view (window);
  g_assert_true (CANOPY_IS_HOST_VIEW (view));
  g_assert_null (canopy_host_view_get_node (CANOPY_HOST_VIEW (view))->password);
  leave_room (window);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_new_room_password (void)
{
  g_object_unref (settings_reset ());

  run_app (new_room_password_body, NULL);
}

int
main (int   argc,
      char *argv[])
{
  /* No session bus: a registered GApplication exports itself there and stays referenced, and
   * two instances in one process would collide on the object path. Non-unique applications
   * run without one. */
  int status;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/canopy-test-bus", TRUE);
  /* The password test hosts a room: its node has a pipeline, with no sound card. */
  g_setenv ("CANOPY_NO_AUDIO", "1", TRUE);
  canopy_test_init_ui (&argc, &argv);
  gst_init (NULL, NULL);

  g_test_add_func ("/window/explicit-server", test_window_explicit_server);
  g_test_add_func ("/window/embedded-server", test_window_embedded_server);
  g_test_add_func ("/window/server-option", test_window_server_option);
  g_test_add_func ("/window/preferences", test_preferences_round_trip);
  g_test_add_func ("/window/new-room-dialog", test_new_room_dialog);
  g_test_add_func ("/window/new-room-password", test_window_new_room_password);
  status = g_test_run ();
  /* A host node started the DTLS certificate's thread: OpenSSL must be done before exit. */
  canopy_webrtc_shutdown ();
  return status;
}
