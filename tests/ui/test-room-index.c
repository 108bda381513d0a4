/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "canopy-identity.h"
#include "canopy-json.h"
#include "canopy-room-index.h"
#include "canopy-room-item.h"
#include "canopy-room-row.h"
#include "canopy-signal-client.h"
#include "canopy-signal-server.h"

#include "canopy-shell-test.h"

#include <string.h>

/* --- a raw client that plays the host (it says hello with a key: only then may it host) --- */

typedef struct {
  CanopySignalClient *client;
  CanopyIdentity *identity;
  gboolean connected;
  gboolean identified;
  char *room;
  char *secret;
} Host;

static void
on_host_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Host *host = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (canopy_signal_client_connect_finish (CANOPY_SIGNAL_CLIENT (source), result, &error));
  g_assert_no_error (error);
  host->connected = TRUE;
}

static void
on_host_message (CanopySignalClient *client,
                 const char         *type,
                 JsonObject         *message,
                 Host               *host)
{
  if (g_str_equal (type, "welcome")) {
    g_autoptr (JsonObject) hello = json_object_new ();
    const char *key = canopy_identity_get_public_key (host->identity);
    const char *fields[] = { json_object_get_string_member (message, "challenge"), key, NULL };
    g_autofree char *signature = canopy_identity_sign (host->identity, "canopy-hello", fields);

    json_object_set_string_member (hello, "type", "hello");
    json_object_set_string_member (hello, "key", key);
    json_object_set_string_member (hello, "signature", signature);
    g_assert_true (canopy_signal_client_send (client, hello));
  } else if (g_str_equal (type, "identified")) {
    host->identified = TRUE;
  } else if (g_str_equal (type, "room-created")) {
    host->room = g_strdup (json_object_get_string_member (message, "room"));
    host->secret = g_strdup (json_object_get_string_member (message, "secret"));
  } else if (g_str_equal (type, "error")) {
    g_error ("Server error: %s", json_object_get_string_member (message, "message"));
  }
}

static gboolean
host_connected (gpointer data)
{
  return ((Host *) data)->connected;
}

static gboolean
host_identified (gpointer data)
{
  return ((Host *) data)->identified;
}

static gboolean
host_has_room (gpointer data)
{
  return ((Host *) data)->room != NULL;
}

static Host *
host_new (const char *url,
          const char *title,
          gboolean    listed)
{
  Host *host = g_new0 (Host, 1);
  g_autoptr (JsonObject) create = json_object_new ();

  host->identity = canopy_identity_new ();
  host->client = canopy_signal_client_new (url);
  g_signal_connect (host->client, "message", G_CALLBACK (on_host_message), host);
  canopy_signal_client_connect_async (host->client, NULL, on_host_connected, host);
  canopy_test_wait_for (host_connected, host, CANOPY_TEST_WAIT_S, "the host to connect");
  canopy_test_wait_for (host_identified, host, CANOPY_TEST_WAIT_S, "the host's hello");

  json_object_set_string_member (create, "type", "create-room");
  json_object_set_string_member (create, "title", title);
  json_object_set_string_member (create, "summary", "Bring <b>your</b> instrument");
  json_object_set_string_member (create, "name", "Ana");
  json_object_set_boolean_member (create, "listed", listed);
  g_assert_true (canopy_signal_client_send (host->client, create));
  canopy_test_wait_for (host_has_room, host, CANOPY_TEST_WAIT_S, "room-created");
  return host;
}

static void
host_send (Host       *host,
           const char *type,
           const char *member,
           gint64      value)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", type);
  json_object_set_string_member (message, "room", host->room);
  json_object_set_string_member (message, "secret", host->secret);
  if (member != NULL)
    json_object_set_int_member (message, member, value);
  g_assert_true (canopy_signal_client_send (host->client, message));
}

static void
host_lock (Host    *host,
           gboolean locked)
{
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_string_member (message, "type", "lock");
  json_object_set_boolean_member (message, "locked", locked);
  g_assert_true (canopy_signal_client_send (host->client, message));
}

static void
host_free (Host *host)
{
  canopy_signal_client_close (host->client);
  g_assert_finalize_object (host->client);
  g_object_unref (host->identity);
  g_free (host->room);
  g_free (host->secret);
  g_free (host);
}

/* --- conditions --- */

typedef struct {
  CanopyRoomIndex *index;
  const char *state;
  guint n;
  guint viewers;
} Expect;

static gboolean
state_is (gpointer data)
{
  Expect *e = data;

  return g_strcmp0 (canopy_room_index_get_state (e->index), e->state) == 0;
}

static gboolean
n_rooms_is (gpointer data)
{
  Expect *e = data;

  return g_list_model_get_n_items (canopy_room_index_get_rooms (e->index)) == e->n;
}

static gboolean
n_shown_is (gpointer data)
{
  Expect *e = data;

  return g_list_model_get_n_items (canopy_room_index_get_filtered (e->index)) == e->n;
}

static gboolean
viewers_are (gpointer data)
{
  Expect *e = data;
  g_autoptr (CanopyRoomItem) item = g_list_model_get_item (canopy_room_index_get_rooms (e->index), 0);

  return item != NULL && canopy_room_item_get_viewers (item) == e->viewers;
}

typedef struct {
  GtkWidget *root;
  const char *text;
} ShownText;

/* A label under root shows exactly text. */
static gboolean
shows_text (gpointer data)
{
  ShownText *shown = data;

  return canopy_test_find (shown->root, canopy_test_is_label_with_text, shown->text) != NULL;
}

/* --- tests --- */

static void
test_room_index_live (void)
{
  g_autoptr (CanopySignalServer) server = canopy_signal_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  const char *title = "<i>Jam</i> & co";
  GtkWidget *window;
  CanopyRoomIndex *index;
  GtkWidget *label, *search, *retry, *row;
  Expect e = { 0 };
  Host *host, *hidden;

  g_assert_true (canopy_signal_server_listen (server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  url = canopy_signal_server_get_url (server);

  window = gtk_window_new ();
  index = CANOPY_ROOM_INDEX (canopy_room_index_new ());
  g_object_ref (index);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (index));
  gtk_window_present (GTK_WINDOW (window));
  e.index = index;

  canopy_room_index_set_server_url (index, url);
  g_assert_cmpstr (canopy_room_index_get_server_url (index), ==, url);
  e.state = "empty";
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the empty state");

  /* A listed room appears, its title shown as the text it is, not as markup. */
  host = host_new (url, title, TRUE);
  e.n = 1;
  canopy_test_wait_for (n_rooms_is, &e, CANOPY_TEST_WAIT_S, "the room to appear");
  e.state = "list";
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the list");
  label = canopy_test_find (GTK_WIDGET (index), canopy_test_is_label_with_text, title);
  g_assert_nonnull (label);
  g_assert_false (gtk_label_get_use_markup (GTK_LABEL (label)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, title);
  g_assert_nonnull (canopy_test_find (GTK_WIDGET (index), canopy_test_is_label_with_text,
                                      "by Ana · 0 watching"));
  row = canopy_test_find_type (GTK_WIDGET (index), CANOPY_TYPE_ROOM_ROW);
  g_assert_nonnull (row);
  g_assert_cmpstr (canopy_room_item_get_room (canopy_room_row_get_item (CANOPY_ROOM_ROW (row))),
                   ==, host->room);

  /* Live updates. */
  host_send (host, "update-room", "viewers", 3);
  e.viewers = 3;
  canopy_test_wait_for (viewers_are, &e, CANOPY_TEST_WAIT_S, "viewers=3");
  canopy_test_spin (50);
  g_assert_nonnull (canopy_test_find (GTK_WIDGET (index), canopy_test_is_label_with_text,
                                      "by Ana · 3 watching"));

  /* Locked by its host: the row says so; unlocked, it does not. */
  {
    ShownText locked = { GTK_WIDGET (index), "by Ana · 3 watching · locked" };
    ShownText unlocked = { GTK_WIDGET (index), "by Ana · 3 watching" };

    host_lock (host, TRUE);
    canopy_test_wait_for (shows_text, &locked, CANOPY_TEST_WAIT_S, "the locked room's line");
    host_lock (host, FALSE);
    canopy_test_wait_for (shows_text, &unlocked, CANOPY_TEST_WAIT_S, "the unlocked room's line");
  }

  /* The search filters by title and host, ignoring case. */
  search = canopy_test_find_type (GTK_WIDGET (index), GTK_TYPE_SEARCH_ENTRY);
  g_assert_nonnull (search);
  gtk_editable_set_text (GTK_EDITABLE (search), "nothing like it");
  e.n = 0;
  canopy_test_wait_for (n_shown_is, &e, CANOPY_TEST_WAIT_S, "the search to hide the room");
  e.state = "no-results";
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the no-results state");
  gtk_editable_set_text (GTK_EDITABLE (search), "JAM");
  e.n = 1;
  canopy_test_wait_for (n_shown_is, &e, CANOPY_TEST_WAIT_S, "the search to show the room by title");
  gtk_editable_set_text (GTK_EDITABLE (search), "ana");
  canopy_test_wait_for (n_shown_is, &e, CANOPY_TEST_WAIT_S, "the search to show the room by host");
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  e.state = "list";
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the list again");

  /* An unlisted room never shows: once a later change to the listed room arrived, it would
   * have. */
  hidden = host_new (url, "Secret", FALSE);
  host_send (host, "update-room", "viewers", 4);
  e.viewers = 4;
  canopy_test_wait_for (viewers_are, &e, CANOPY_TEST_WAIT_S, "viewers=4");
  g_assert_cmpuint (g_list_model_get_n_items (canopy_room_index_get_rooms (index)), ==, 1);
  host_free (hidden);

  /* Closing removes it. */
  host_send (host, "close-room", NULL, 0);
  e.n = 0;
  canopy_test_wait_for (n_rooms_is, &e, CANOPY_TEST_WAIT_S, "the room to go");
  e.state = "empty";
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the empty state again");
  host_free (host);

  /* A server that goes away shows the error state with a Retry button, which tries again. */
  canopy_signal_server_stop (server);
  e.state = "error";
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the error state");
  retry = canopy_test_find (GTK_WIDGET (index), canopy_test_is_button_with_label, "_Retry");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_is_visible (retry));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (retry), GTK_ACCESSIBLE_ROLE_BUTTON);
  g_assert_nonnull (canopy_test_find (GTK_WIDGET (index), canopy_test_is_label_with_text,
                                      "Cannot reach the server"));
  g_signal_emit_by_name (retry, "clicked");
  g_assert_cmpstr (canopy_room_index_get_state (index), ==, "connecting");
  canopy_test_wait_for (state_is, &e, CANOPY_TEST_WAIT_S, "the error state after a retry");

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (index);
}

static int join_count;
static char *joined;

static void
on_join_room (CanopyRoomIndex *index,
              const char      *room)
{
  join_count++;
  g_free (joined);
  joined = g_strdup (room);
}

static void
test_room_index_join_by_id (void)
{
  CanopyRoomIndex *index = g_object_ref_sink (CANOPY_ROOM_INDEX (canopy_room_index_new ()));
  GtkWidget *join = canopy_test_find (GTK_WIDGET (index), canopy_test_is_button_with_label, "_Join");
  GtkWidget *new_room = canopy_test_find (GTK_WIDGET (index), canopy_test_is_button_with_label,
                                          "_New Room");

  g_assert_nonnull (join);
  g_assert_nonnull (new_room);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (join), GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (join), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Join by room ID");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (new_room), GTK_ACCESSIBLE_ROLE_BUTTON);
  g_assert_true (gtk_widget_has_css_class (new_room, "suggested-action"));

  g_signal_connect (index, "join-room", G_CALLBACK (on_join_room), NULL);
  canopy_room_index_set_join_text (index, "not a room!");
  g_signal_emit_by_name (join, "clicked");
  g_assert_cmpint (join_count, ==, 0);

  canopy_room_index_set_join_text (index, " K7M2-Q9XA ");
  g_signal_emit_by_name (join, "clicked");
  g_assert_cmpint (join_count, ==, 1);
  g_assert_cmpstr (joined, ==, "k7m2q9xa");
  g_clear_pointer (&joined, g_free);

  g_assert_finalize_object (index);
}

static void
test_room_item_validation (void)
{
  static const char *const bad[] = {
    "{\"title\": \"x\"}",
    "{\"room\": \"k7m2q9xa\"}",
    "{\"room\": \"k7m2q9xa\", \"title\": 5}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"   \"}",
    "{\"room\": \"no\", \"title\": \"x\"}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"viewers\": -1}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"viewers\": \"3\"}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"depth\": 100000}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"host\": []}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"locked\": 1}",
    "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"password\": \"open sesame\"}",
  };
  g_autofree char *long_title = NULL;
  g_autofree char *json = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (JsonObject) object = canopy_json_parse_object (bad[i], -1, 4096, NULL);
    g_autoptr (CanopyRoomItem) item = NULL;

    g_assert_nonnull (object);
    item = canopy_room_item_new_from_json (object, NULL);
    g_assert_null (item);
  }

  long_title = g_strnfill (121, 'a');
  json = g_strdup_printf ("{\"room\": \"k7m2q9xa\", \"title\": \"%s\"}", long_title);
  {
    g_autoptr (JsonObject) object = canopy_json_parse_object (json, -1, 4096, NULL);
    g_autoptr (CanopyRoomItem) item = canopy_room_item_new_from_json (object, NULL);

    g_assert_null (item);
  }
  {
    g_autoptr (JsonObject) object = canopy_json_parse_object (
      "{\"room\": \"K7M2Q9XA\", \"title\": \"a\\u0007b\", \"host\": \"Ana\", \"viewers\": 6,"
      " \"cover\": \"javascript:alert(1)\", \"extra\": true}", -1, 4096, NULL);
    g_autoptr (CanopyRoomItem) item = canopy_room_item_new_from_json (object, NULL);

    g_assert_nonnull (item);
    g_assert_cmpstr (canopy_room_item_get_room (item), ==, "k7m2q9xa");
    g_assert_cmpstr (canopy_room_item_get_title (item), ==, "ab");
    g_assert_cmpstr (canopy_room_item_get_summary (item), ==, "");
    g_assert_null (canopy_room_item_get_cover (item));
    g_assert_cmpuint (canopy_room_item_get_viewers (item), ==, 6);
    g_assert_false (canopy_room_item_get_locked (item));
    g_assert_false (canopy_room_item_get_needs_password (item));
    g_assert_finalize_object (g_steal_pointer (&item));
  }
  /* The room's rules: locked, and a password needed (never the password itself). */
  {
    g_autoptr (JsonObject) object = canopy_json_parse_object (
      "{\"room\": \"k7m2q9xa\", \"title\": \"x\", \"locked\": true, \"password\": true}", -1,
      4096, NULL);
    g_autoptr (CanopyRoomItem) item = canopy_room_item_new_from_json (object, NULL);
    gboolean locked = FALSE, needs_password = FALSE;

    g_assert_nonnull (item);
    g_object_get (item, "locked", &locked, "needs-password", &needs_password, NULL);
    g_assert_true (locked);
    g_assert_true (needs_password);
    g_assert_true (canopy_room_item_get_locked (item));
    g_assert_true (canopy_room_item_get_needs_password (item));
  }
}

static char *
png_data_url (int width,
              int height)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autofree char *buffer = NULL;
  g_autofree char *b64 = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", NULL, NULL));
  b64 = g_base64_encode ((guchar *) buffer, size);
  return g_strconcat ("data:image/png;base64,", b64, NULL);
}

static void
test_cover_decoding (void)
{
  g_autofree char *good = png_data_url (40, 30);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  /* A valid PNG header that claims 100000 x 100000 pixels. */
  static const guint8 huge[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
    0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0, 0, 0, 0, 0,
  };
  g_autofree char *huge_b64 = g_base64_encode (huge, sizeof huge);
  g_autofree char *huge_url = g_strconcat ("data:image/png;base64,", huge_b64, NULL);
  static const char *const bad[] = {
    "https://example.com/cover.png",
    "data:image/png;base64,",
    "data:image/png;base64,!!!!",
    "data:image/png;base64,aGVsbG8gd29ybGQ=",
    "data:image/svg+xml;base64,PHN2Zy8+",
  };

  texture = canopy_cover_texture_from_data_url (good, &error);
  g_assert_no_error (error);
  g_assert_nonnull (texture);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 40);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 30);

  g_assert_null (canopy_cover_texture_from_data_url (huge_url, NULL));
  g_assert_null (canopy_cover_texture_from_data_url (NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_null (canopy_cover_texture_from_data_url (bad[i], NULL));
}

int
main (int   argc,
      char *argv[])
{
  canopy_test_init_ui (&argc, &argv);

  g_test_add_func ("/room-index/live", test_room_index_live);
  g_test_add_func ("/room-index/join-by-id", test_room_index_join_by_id);
  g_test_add_func ("/room-index/item-validation", test_room_item_validation);
  g_test_add_func ("/room-index/cover-decoding", test_cover_decoding);
  return g_test_run ();
}
