/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopySignalClient"

#include "canopy-signal-client.h"

#include <libsoup/soup.h>

#include "canopy-error.h"
#include "canopy-json.h"

/* The directory can carry many covers; anything past this from a server is refused. */
#define MAX_INCOMING (16 * 1024 * 1024)

struct _CanopySignalClient {
  GObject parent_instance;

  char *url;
  SoupSession *session;
  SoupWebsocketConnection *connection;
};

G_DEFINE_FINAL_TYPE (CanopySignalClient, canopy_signal_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  PROP_CONNECTED,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
on_message (SoupWebsocketConnection *connection,
            SoupWebsocketDataType    type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  CanopySignalClient *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) message = NULL;
  const char *msg_type;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    g_message ("Ignoring a binary frame from the server");
    return;
  }
  message = canopy_json_parse_object (data, (gssize) len, MAX_INCOMING, &error);
  if (message == NULL || (msg_type = canopy_json_get_type (message, &error)) == NULL) {
    g_message ("Ignoring a message from the server: %s", error->message);
    return;
  }
  g_signal_emit (self, signals[SIGNAL_MESSAGE], g_quark_from_string (msg_type), msg_type,
                 message);
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  CanopySignalClient *self = user_data;

  g_signal_handlers_disconnect_by_data (connection, self);
  g_clear_object (&self->connection);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  CanopySignalClient *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *connection;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (connection == NULL) {
    g_task_return_new_error (task, CANOPY_ERROR, CANOPY_ERROR_CONNECTION,
                             "Cannot reach the signalling server at %s: %s", self->url,
                             error->message);
    return;
  }
  self->connection = connection;
  soup_websocket_connection_set_max_incoming_payload_size (connection, MAX_INCOMING);
  soup_websocket_connection_set_keepalive_interval (connection, 15);
  g_signal_connect (connection, "message", G_CALLBACK (on_message), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  g_task_return_boolean (task, TRUE);
}

static void
canopy_signal_client_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CanopySignalClient *self = CANOPY_SIGNAL_CLIENT (object);

  switch (prop_id) {
  case PROP_URL:
    g_value_set_string (value, self->url);
    break;
  case PROP_CONNECTED:
    g_value_set_boolean (value, self->connection != NULL);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_signal_client_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  CanopySignalClient *self = CANOPY_SIGNAL_CLIENT (object);

  switch (prop_id) {
  case PROP_URL:
    g_free (self->url);
    self->url = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
canopy_signal_client_dispose (GObject *object)
{
  CanopySignalClient *self = CANOPY_SIGNAL_CLIENT (object);

  canopy_signal_client_close (self);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (canopy_signal_client_parent_class)->dispose (object);
}

static void
canopy_signal_client_finalize (GObject *object)
{
  CanopySignalClient *self = CANOPY_SIGNAL_CLIENT (object);

  g_free (self->url);
  G_OBJECT_CLASS (canopy_signal_client_parent_class)->finalize (object);
}

static void
canopy_signal_client_class_init (CanopySignalClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = canopy_signal_client_get_property;
  object_class->set_property = canopy_signal_client_set_property;
  object_class->dispose = canopy_signal_client_dispose;
  object_class->finalize = canopy_signal_client_finalize;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CanopySignalClient::message:
   * @type: the message's `type`, also the signal's detail
   * @message: the parsed object (only its `type` has been checked)
   */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
canopy_signal_client_init (CanopySignalClient *self)
{
  self->session = soup_session_new ();
}

CanopySignalClient *
canopy_signal_client_new (const char *url)
{
  return g_object_new (CANOPY_TYPE_SIGNAL_CLIENT, "url", url, NULL);
}

/**
 * canopy_signal_client_connect_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when connected or failed
 * @user_data: data for @callback
 *
 * Opens the WebSocket to the server.
 */
void
canopy_signal_client_connect_async (CanopySignalClient  *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  g_return_if_fail (CANOPY_IS_SIGNAL_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, canopy_signal_client_connect_async);
  if (self->url == NULL || (msg = soup_message_new (SOUP_METHOD_GET, self->url)) == NULL) {
    g_task_return_new_error (task, CANOPY_ERROR, CANOPY_ERROR_CONNECTION,
                             "\"%s\" is not a server address (ws://host:port/ws)",
                             self->url ? self->url : "");
    return;
  }
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        cancellable, on_connected, g_steal_pointer (&task));
}

gboolean
canopy_signal_client_connect_finish (CanopySignalClient *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * canopy_signal_client_send:
 * @self: a client
 * @message: an object with a `type`
 *
 * Returns: whether the message was handed to the connection
 */
gboolean
canopy_signal_client_send (CanopySignalClient *self,
                           JsonObject         *message)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (CANOPY_IS_SIGNAL_CLIENT (self), FALSE);

  if (self->connection == NULL ||
      soup_websocket_connection_get_state (self->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  text = canopy_json_to_string (message);
  soup_websocket_connection_send_text (self->connection, text);
  return TRUE;
}

/**
 * canopy_signal_client_close:
 * @self: a client
 *
 * Closes the connection; #CanopySignalClient::closed is not emitted for a close asked for.
 */
void
canopy_signal_client_close (CanopySignalClient *self)
{
  g_return_if_fail (CANOPY_IS_SIGNAL_CLIENT (self));

  if (self->connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->connection, self);
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->connection);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}
