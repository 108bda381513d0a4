/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Untrusted input to CanopySignalServer: covers, bad messages, and frames a raw socket sends. */

#include "canopy-test-signal.h"

#include <string.h>

static char *
cover_data_url (const char *type,
                const char *magic,
                gsize       magic_len,
                gsize       size)
{
  g_autofree guchar *image = g_malloc0 (size);
  g_autofree char *encoded = NULL;

  memcpy (image, magic, MIN (magic_len, size));
  encoded = g_base64_encode (image, size);
  return g_strdup_printf ("data:image/%s;base64,%s", type, encoded);
}

static void
test_cover (CanopyTestSignal *f,
            gconstpointer     data)
{
  CanopyTestClient *host = canopy_test_signal_connect (f);
  g_autofree char *png = cover_data_url ("png", "\x89PNG\r\n\x1a\n", 8, 65536);
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonObject) entry = NULL;
  const char *room;

  /* The largest cover allowed, in a message under max-message. */
  canopy_test_client_sendf (host,
                            "{\"type\":\"create-room\",\"title\":\"Art\",\"name\":\"H\","
                            "\"cover\":\"%s\"}", png);
  created = canopy_test_client_next (host, "room-created");
  room = json_object_get_string_member (created, "room");
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_cmpstr (json_object_get_string_member (entry, "cover"), ==, png);
}

typedef struct {
  char *text;
  const char *code;
  const char *ref;
} BadCase;

static void
test_bad_input (CanopyTestSignal *f,
                gconstpointer     data)
{
  g_autofree char *secret = NULL;
  g_autofree char *room = canopy_test_signal_open_room (f, "Steady", &secret, NULL);
  g_autofree char *long_title = g_strnfill (121, 't');
  g_autofree char *max_title = g_strnfill (120, 't');
  g_autofree char *long_summary = g_strnfill (1001, 's');
  g_autofree char *long_name = g_strnfill (65, 'n');
  g_autofree char *big_png = cover_data_url ("png", "\x89PNG\r\n\x1a\n", 8, 65537);
  g_autofree char *jpeg_as_png = cover_data_url ("png", "\xff\xd8\xff\xe0", 4, 100);
  g_autofree char *long_url_tail = g_strnfill (2040, 'a');
  g_autofree char *padding = g_strnfill (131072, 'x');
  g_autoptr (GString) deep = g_string_new ("{\"type\":\"ping\",\"a\":");
  g_autoptr (JsonObject) entry = NULL;
  BadCase cases[] = {
    { g_strdup ("not json"), "malformed-json", NULL },
    { g_strdup ("{\"type\":\"ping\""), "malformed-json", NULL },
    { g_strdup ("[1,2,3]"), "bad-message", NULL },
    { g_strdup ("\"ping\""), "bad-message", NULL },
    { g_strdup ("{\"room\":\"k7m2q9xa\"}"), "bad-message", NULL },
    { g_strdup ("{\"type\":42}"), "bad-message", NULL },
    { g_strdup ("{\"type\":\"frobnicate\"}"), "unknown-type", "frobnicate" },
    { g_strdup ("{\"type\":\"\\udc00\"}"), "malformed-json", NULL },
    { g_strdup ("{\"type\":\"join\",\"room\":5,\"name\":\"x\",\"capacity\":1}"), "bad-message",
      "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"x\",\"capacity\":\"2\"}",
                       room), "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"x\",\"capacity\":33}", room),
      "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"x\",\"capacity\":1.5}", room),
      "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":[],\"capacity\":1}", room),
      "bad-message", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\",\"capacity\":1}", room,
                       long_name), "too-large", "join" },
    { g_strdup_printf ("{\"type\":\"join\",\"room\":\"%s\",\"name\":\"\\u0001 \",\"capacity\":1}",
                       room), "bad-message", "join" },
    { g_strdup ("{\"type\":\"join\",\"room\":\"zzzzzzzz\",\"name\":\"x\",\"capacity\":1}"),
      "unknown-room", "join" },
    { g_strdup ("{\"type\":\"join\",\"room\":\"not a room!\",\"name\":\"x\",\"capacity\":1}"),
      "unknown-room", "join" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":true,\"name\":\"x\"}"), "bad-message",
      "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"listed\":\"yes\"}"),
      "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"k1\":0}"),
      "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"\",\"name\":\"x\"}"), "bad-message",
      "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"name\":\"x\"}"), "bad-message", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"%s\",\"name\":\"x\"}", long_title),
      "too-large", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"summary\":\"%s\","
                       "\"name\":\"x\"}", long_summary), "too-large", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"cover\":\"%s\"}",
                       big_png), "too-large", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"data:image/png;base64,iVBO!!!!\"}"), "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"data:image/png;base64,iVBORw0KGgo=AAA\"}"), "bad-message",
      "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\",\"cover\":\"%s\"}",
                       jpeg_as_png), "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"data:image/svg+xml;base64,PHN2Zz4=\"}"), "bad-message",
      "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"javascript:alert(1)\"}"), "bad-message", "create-room" },
    { g_strdup ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                "\"cover\":\"https://exa mple.com/\"}"), "bad-message", "create-room" },
    { g_strdup_printf ("{\"type\":\"create-room\",\"title\":\"t\",\"name\":\"x\","
                       "\"cover\":\"https://e.com/%s\"}", long_url_tail), "too-large",
      "create-room" },
    { g_strdup_printf ("{\"type\":\"ping\",\"pad\":\"%s\"}", padding), "too-large", NULL },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                       "\"title\":\"%s\",\"depth\":1001}", room, secret, max_title),
      "bad-message", "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                       "\"viewers\":-1}", room, secret), "bad-message", "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"%s\","
                       "\"summary\":\"%s\"}", room, secret, long_summary), "too-large",
      "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":\"wrong\"}", room),
      "forbidden", "update-room" },
    { g_strdup_printf ("{\"type\":\"update-room\",\"room\":\"%s\",\"secret\":5}", room),
      "bad-message", "update-room" },
    { g_strdup ("{\"type\":\"update-room\",\"room\":\"zzzzzzzz\",\"secret\":\"x\"}"),
      "unknown-room", "update-room" },
    { g_strdup ("{\"type\":\"close-room\",\"room\":\"zzzzzzzz\",\"secret\":\"x\"}"),
      "unknown-room", "close-room" },
    { g_strdup ("{\"type\":\"place\",\"peer\":\"p2222222222\",\"parent\":\"p3333333333\"}"),
      "not-in-room", "place" },
    { g_strdup ("{\"type\":\"leave\"}"), "not-in-room", "leave" },
    { NULL, "malformed-json", NULL }, /* deep, below */
  };

  for (int i = 0; i < CANOPY_JSON_DEPTH_MAX + 1; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < CANOPY_JSON_DEPTH_MAX + 1; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  cases[G_N_ELEMENTS (cases) - 1].text = g_strdup (deep->str);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    CanopyTestClient *bad = canopy_test_signal_connect (f);

    g_test_message ("bad input %u: %.80s", i, cases[i].text);
    canopy_test_client_send (bad, cases[i].text);
    canopy_test_client_expect_error (bad, cases[i].code, cases[i].ref);
    /* The sender itself is still served, and so is everybody else. */
    canopy_test_client_ping (bad);
    canopy_test_signal_assert_healthy (f, room);
    g_free (cases[i].text);
    canopy_test_signal_disconnect (f, bad);
  }

  /* Nothing of a rejected update was applied. */
  entry = canopy_test_signal_directory_entry (f, room);
  g_assert_cmpstr (json_object_get_string_member (entry, "title"), ==, "Steady");
  g_assert_cmpint (json_object_get_int_member (entry, "depth"), ==, 0);
  g_assert_cmpuint (canopy_test_signal_n_rooms (f), ==, 1);
}

static void
test_binary_frame (CanopyTestSignal *f,
                   gconstpointer     data)
{
  CanopyTestClient *bad = canopy_test_signal_connect (f);
  const char bytes[] = "{\"type\":\"ping\"}";

  soup_websocket_connection_send_binary (bad->connection, bytes, sizeof bytes - 1);
  canopy_test_client_expect_error (bad, "bad-message", NULL);
  canopy_test_client_ping (bad);
}

static void
test_oversized_frame (CanopyTestSignal *f,
                      gconstpointer     data)
{
  CanopyTestClient *bad = canopy_test_signal_connect (f);
  g_autofree char *padding = g_strnfill (1024 * 1024, 'x');

  /* Far over max-message: libsoup itself refuses the frame and drops the connection. */
  canopy_test_client_sendf (bad, "{\"type\":\"ping\",\"pad\":\"%s\"}", padding);
  canopy_test_client_wait_closed (bad);
  g_assert_false (canopy_test_client_has (bad, "pong"));
}

/* --- a raw WebSocket client, for frames libsoup will not send --- */

typedef struct {
  GSocketConnection *connection;
  GCancellable *cancellable;
  GByteArray *received;  /* server frames, once the HTTP response is taken off */
  guint8 buffer[4096];
  gboolean reading;
  gboolean eof;
} Raw;

static void
on_raw_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Raw *raw = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  raw->reading = FALSE;
  if (n <= 0)
    raw->eof = TRUE;
  else
    g_byte_array_append (raw->received, raw->buffer, (guint) n);
}

static void
raw_pump (Raw *raw)
{
  if (!raw->reading && !raw->eof) {
    raw->reading = TRUE;
    g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (raw->connection)),
                               raw->buffer, sizeof raw->buffer, G_PRIORITY_DEFAULT,
                               raw->cancellable, on_raw_read, raw);
  }
}

static gboolean
raw_has_headers (gpointer data)
{
  Raw *raw = data;

  raw_pump (raw);
  return raw->eof || (raw->received->len > 0 &&
                      g_strstr_len ((char *) raw->received->data, raw->received->len,
                                    "\r\n\r\n") != NULL);
}

/* Writes asynchronously: the server reads on this same main context. */
static void
raw_write (Raw          *raw,
           const guint8 *data,
           gsize         len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT, NULL,
                                   canopy_test_signal_ready, &result);
  g_output_stream_write_all_finish (out, canopy_test_signal_await (&result, "a raw write"), NULL,
                                    &error);
  g_assert_no_error (error);
}

/* Sends one masked client frame. */
static void
raw_send_frame (Raw          *raw,
                guint8        first_byte,
                const guint8 *payload,
                gsize         len)
{
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  guint8 header[10];
  gsize header_len;

  header[0] = first_byte;
  if (len < 126) {
    header[1] = 0x80 | (guint8) len;
    header_len = 2;
  } else if (len < 65536) {
    header[1] = 0x80 | 126;
    header[2] = (guint8) (len >> 8);
    header[3] = (guint8) len;
    header_len = 4;
  } else {
    header[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++)
      header[2 + i] = (guint8) (((guint64) len) >> (8 * (7 - i)));
    header_len = 10;
  }
  g_byte_array_append (frame, header, (guint) header_len);
  g_byte_array_append (frame, mask, 4);
  g_byte_array_set_size (frame, (guint) (header_len + 4 + len));
  for (gsize i = 0; i < len; i++)
    frame->data[header_len + 4 + i] = payload[i] ^ mask[i % 4];
  raw_write (raw, frame->data, frame->len);
}

/* Finds the first complete server frame of @opcode received; points @payload at it. */
static gboolean
raw_find_frame (Raw           *raw,
                guint8         opcode,
                const guint8 **payload,
                gsize         *payload_len)
{
  gsize at = 0;

  while (at + 2 <= raw->received->len) {
    const guint8 *p = raw->received->data + at;
    gsize len = p[1] & 0x7f;
    gsize header = 2;

    if (len == 126) {
      if (at + 4 > raw->received->len)
        return FALSE;
      len = ((gsize) p[2] << 8) | p[3];
      header = 4;
    } else if (len == 127) {
      if (at + 10 > raw->received->len)
        return FALSE;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | p[2 + i];
      header = 10;
    }
    if (at + header + len > raw->received->len)
      return FALSE;
    if ((p[0] & 0x0f) == opcode) {
      *payload = p + header;
      *payload_len = len;
      return TRUE;
    }
    at += header + len;
  }
  return FALSE;
}

typedef struct {
  Raw *raw;
  guint8 opcode;
} RawWait;

static gboolean
raw_has_frame (gpointer data)
{
  RawWait *wait = data;
  const guint8 *payload;
  gsize len;

  raw_pump (wait->raw);
  return wait->raw->eof || raw_find_frame (wait->raw, wait->opcode, &payload, &len);
}

/* Waits for a server frame of @opcode and points @payload at the first one. */
static void
raw_wait_frame (Raw           *raw,
                guint8         opcode,
                const guint8 **payload,
                gsize         *len,
                const char    *what)
{
  RawWait wait = { raw, opcode };

  canopy_test_signal_wait (raw_has_frame, &wait, what);
  g_assert_true (raw_find_frame (raw, opcode, payload, len));
}

/* Opens a WebSocket by hand and waits for `welcome`, then forgets what was received. */
static Raw *
raw_connect (CanopyTestSignal *f)
{
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *request = NULL;
  Raw *raw = g_new0 (Raw, 1);
  RawWait welcome = { raw, 0x1 };
  const char *end;

  raw->received = g_byte_array_new ();
  raw->cancellable = g_cancellable_new ();
  g_socket_client_connect_to_host_async (socket_client, "127.0.0.1",
                                         (guint16) canopy_signal_server_get_port (f->server),
                                         NULL, canopy_test_signal_ready, &result);
  raw->connection = g_socket_client_connect_to_host_finish (
    socket_client, canopy_test_signal_await (&result, "a TCP connection"), &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             canopy_signal_server_get_port (f->server));
  raw_write (raw, (const guint8 *) request, strlen (request));
  canopy_test_signal_wait (raw_has_headers, raw, "the handshake response");
  g_assert_false (raw->eof);
  g_assert_true (g_str_has_prefix ((char *) raw->received->data, "HTTP/1.1 101"));
  end = g_strstr_len ((char *) raw->received->data, raw->received->len, "\r\n\r\n");
  g_byte_array_remove_range (raw->received, 0, (guint) (end + 4 - (char *) raw->received->data));
  canopy_test_signal_wait (raw_has_frame, &welcome, "welcome");
  g_assert_false (raw->eof);
  g_byte_array_set_size (raw->received, 0);
  return raw;
}

static gboolean
raw_is_idle (gpointer data)
{
  return !((Raw *) data)->reading;
}

static void
raw_free (Raw *raw)
{
  g_autoptr (GError) error = NULL;

  /* The pending read must finish before its buffer goes. */
  g_cancellable_cancel (raw->cancellable);
  canopy_test_signal_wait (raw_is_idle, raw, "the raw read to stop");
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, &error);
  g_assert_no_error (error);
  g_object_unref (raw->connection);
  g_object_unref (raw->cancellable);
  g_byte_array_unref (raw->received);
  g_free (raw);
}

static void
test_invalid_utf8_frame (CanopyTestSignal *f,
                         gconstpointer     data)
{
  Raw *raw = raw_connect (f);
  const char text[] = "{\"type\":\"ping\",\"x\":\"\xff\xfe\"}";
  const guint8 *payload = NULL;
  gsize len = 0;

  /* libsoup validates text frames before the server sees them: it closes with 1007. */
  raw_send_frame (raw, 0x81, (const guint8 *) text, sizeof text - 1);
  raw_wait_frame (raw, 0x8, &payload, &len, "a close frame");
  g_assert_cmpuint (len, >=, 2);
  g_assert_cmpuint (((guint) payload[0] << 8) | payload[1], ==, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
  raw_free (raw);
}

static void
test_fragmented_message (CanopyTestSignal *f,
                         gconstpointer     data)
{
  Raw *raw = raw_connect (f);
  const char head[] = "{\"type\":\"ping\",\"pad\":\"";
  g_autofree char *middle = g_strnfill (100000, 'x');
  const char tail[] = "\"}";
  const guint8 *payload = NULL;
  gsize len = 0;
  g_autoptr (GByteArray) seen = g_byte_array_new ();

  /* Each frame is under the frame limit; the message they make is over max-message. */
  raw_send_frame (raw, 0x01, (const guint8 *) head, sizeof head - 1);
  raw_send_frame (raw, 0x00, (const guint8 *) middle, strlen (middle));
  raw_send_frame (raw, 0x00, (const guint8 *) middle, strlen (middle));
  raw_send_frame (raw, 0x80, (const guint8 *) tail, sizeof tail - 1);
  raw_wait_frame (raw, 0x1, &payload, &len, "an error");
  g_byte_array_append (seen, payload, (guint) len);
  g_byte_array_append (seen, (const guint8 *) "", 1);
  g_assert_nonnull (strstr ((char *) seen->data, "\"too-large\""));
  raw_free (raw);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  canopy_test_signal_add ("cover", test_cover);
  canopy_test_signal_add ("bad-input", test_bad_input);
  canopy_test_signal_add_steady ("binary-frame", test_binary_frame);
  canopy_test_signal_add_steady ("oversized-frame", test_oversized_frame);
  canopy_test_signal_add_steady ("invalid-utf8-frame", test_invalid_utf8_frame);
  canopy_test_signal_add_steady ("fragmented-message", test_fragmented_message);

  return g_test_run ();
}
