/* SPDX-License-Identifier: GPL-3.0-or-later */

/* CanopySignalServer as its peers reach it: a real server, three connections made with
 * canopy_signal_server_add_peer() over in-memory streams (what the server sends them is written
 * there and dropped), and each line of the input one text frame from one of them, handled by
 * canopy_signal_server_handle_text() as on_peer_message() does once the rate limit passed:
 * parse with the limits, type lookup, the handler and its member checks. Several messages from
 * several peers reach the deeper states: a room, members, placements, reports, resumes.
 *
 * A line starts with its sender, `a`, `b` or `c` (any other byte picks one too). The peers are
 * bound to the ids "pa", "pb" and "pc" with tokens of 32 "a", "b" and "c", so that messages can
 * name them, and count as identified, as if they had said hello (a fuzzer cannot sign the
 * challenge; without it no room is reached); in the rest of the line `$R` and `$S` stand for the
 * ID and the secret of the first room one of them is in (a, b, c in that order), which the
 * server makes at random. */

#include "canopy-signal-server-private.h"
#include "canopy-fuzz.h"

#include <string.h>

#define N_PEERS 3

static const char *const peer_ids[N_PEERS] = { "pa", "pb", "pc" };

static SoupWebsocketConnection *
connection_new (void)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new ();
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) stream = g_simple_io_stream_new (in, out);
  g_autoptr (GUri) uri = g_uri_parse ("ws://127.0.0.1/ws", G_URI_FLAGS_NONE, NULL);

  return soup_websocket_connection_new (stream, uri, SOUP_WEBSOCKET_CONNECTION_SERVER, NULL, NULL,
                                        NULL);
}

static CanopySignalRoom *
first_room (CanopySignalPeer **peers)
{
  for (guint i = 0; i < N_PEERS; i++)
    if (peers[i]->room != NULL)
      return peers[i]->room;
  return NULL;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  CanopySignalServer *server = canopy_signal_server_new ();
  SoupWebsocketConnection *connections[N_PEERS];
  CanopySignalPeer *peers[N_PEERS];
  const char *line;
  gsize len;

  /* Small enough that "server full" is reached too. */
  g_object_set (server, "max-rooms", 2, NULL);
  for (guint i = 0; i < N_PEERS; i++) {
    connections[i] = connection_new ();
    peers[i] = canopy_signal_server_add_peer (server, connections[i], "fuzz");
    canopy_signal_peer_rebind (server, peers[i], peer_ids[i]);
    memset (peers[i]->token, 'a' + i, CANOPY_TOKEN_CHARS);
    peers[i]->identified = TRUE;
    canopy_signal_peer_settle (peers[i]);
  }

  for (guint n = 0;
       n < CANOPY_FUZZ_MAX_MESSAGES && canopy_fuzz_next_line (&data, &size, &line, &len); n++) {
    CanopySignalPeer *peer;
    CanopySignalRoom *room = first_room (peers);
    g_autoptr (GString) text = NULL;
    g_autofree char *frame = NULL;

    if (len == 0)
      continue;
    peer = peers[(guint8) (line[0] - 'a') % N_PEERS];
    /* A connection the server closed (taken over by a `hello`) is not listened to. */
    if (peer->closing)
      continue;
    text = g_string_new_len (line + 1, (gssize) len - 1);
    if (room != NULL) {
      g_string_replace (text, "$R", room->id, 0);
      g_string_replace (text, "$S", room->secret, 0);
    }
    frame = canopy_fuzz_copy (text->str, text->len);
    canopy_signal_server_handle_text (server, peer, frame, text->len);
  }

  g_object_unref (server);
  for (guint i = 0; i < N_PEERS; i++)
    g_object_unref (connections[i]);
  /* What libsoup left to do for the closed connections. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return 0;
}
