/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "canopy-identity.h"
#include "canopy-json.h"
#include "canopy-signal-server.h"
#include "canopy-test-procs.h"

G_BEGIN_DECLS

/* What the signal-server tests share: a CanopySignalServer on a free port of 127.0.0.1 (the
 * fixture), WebSocket clients that queue every message they receive (each says hello with a key
 * of its own, unless it is made anonymous), short cuts for the directory and for rooms (create,
 * join, place), and a wait for any async call. Every wait fails the test after
 * CANOPY_TEST_SIGNAL_TIMEOUT seconds. */

#define CANOPY_TEST_SIGNAL_TIMEOUT 5

typedef struct {
  SoupWebsocketConnection *connection;
  GQueue messages; /* JsonObject */
  gboolean closed;
  char *peer;
  char *token;
  char *challenge;  /* from welcome, for hello */
  CanopyIdentity *identity; /* the key it said hello with, or NULL */
} CanopyTestClient;

typedef struct {
  CanopySignalServer *server;
  SoupSession *session;
  char *url;
  char *http;
  GPtrArray *clients; /* CanopyTestClient, from canopy_test_signal_connect() */
  char *room;         /* the room open during a test of canopy_test_signal_add_steady() */
} CanopyTestSignal;

typedef void (*CanopyTestSignalFunc) (CanopyTestSignal *f,
                                      gconstpointer     data);

void              canopy_test_signal_wait            (CanopyTestCheck       done,
                                                      gpointer              data,
                                                      const char           *what);
void              canopy_test_signal_ready           (GObject              *source,
                                                      GAsyncResult         *result,
                                                      gpointer              user_data);
GAsyncResult     *canopy_test_signal_await           (GAsyncResult        **result,
                                                      const char           *what);

CanopyTestClient *canopy_test_client_open            (SoupSession          *session,
                                                      const char           *url);
CanopyTestClient *canopy_test_client_connect_anonymous (SoupSession        *session,
                                                        const char         *url,
                                                        JsonObject        **welcome_out);
CanopyTestClient *canopy_test_client_connect_full    (SoupSession          *session,
                                                      const char           *url,
                                                      JsonObject          **welcome_out);
void              canopy_test_client_free            (CanopyTestClient     *client);
void              canopy_test_client_send_hello      (CanopyTestClient     *client,
                                                      CanopyIdentity       *identity,
                                                      const char           *challenge);
void              canopy_test_client_hello           (CanopyTestClient     *client,
                                                      CanopyIdentity       *identity);
JsonObject       *canopy_test_client_next            (CanopyTestClient     *client,
                                                      const char           *type);
void              canopy_test_client_expect          (CanopyTestClient     *client,
                                                      const char           *type,
                                                      ...) G_GNUC_NULL_TERMINATED;
gboolean          canopy_test_client_has             (CanopyTestClient     *client,
                                                      const char           *type);
void              canopy_test_client_send            (CanopyTestClient     *client,
                                                      const char           *text);
void              canopy_test_client_sendf           (CanopyTestClient     *client,
                                                      const char           *format,
                                                      ...) G_GNUC_PRINTF (2, 3);
void              canopy_test_client_expect_error    (CanopyTestClient     *client,
                                                      const char           *code,
                                                      const char           *ref);
void              canopy_test_client_sendf_error     (CanopyTestClient     *client,
                                                      const char           *code,
                                                      const char           *ref,
                                                      const char           *format,
                                                      ...) G_GNUC_PRINTF (4, 5);
void              canopy_test_client_ping            (CanopyTestClient     *client);
void              canopy_test_client_wait_closed     (CanopyTestClient     *client);
void              canopy_test_client_crash           (CanopyTestClient     *client);
void              canopy_test_client_assert_none     (CanopyTestClient     *client,
                                                      const char           *type);
gboolean          canopy_test_client_subscribe       (CanopyTestClient     *client,
                                                      const char           *room);
void              canopy_test_client_send_join       (CanopyTestClient     *client,
                                                      const char           *room,
                                                      const char           *name,
                                                      guint                 capacity);
void              canopy_test_client_join            (CanopyTestClient     *client,
                                                      CanopyTestClient     *host,
                                                      const char           *room,
                                                      const char           *name,
                                                      guint                 capacity);
void              canopy_test_client_place           (CanopyTestClient     *host,
                                                      CanopyTestClient     *child,
                                                      CanopyTestClient     *parent);
void              canopy_test_client_join_place      (CanopyTestClient     *client,
                                                      CanopyTestClient     *host,
                                                      const char           *room,
                                                      const char           *name,
                                                      guint                 capacity,
                                                      CanopyTestClient     *parent);
char             *canopy_test_client_create_room     (CanopyTestClient     *host,
                                                      const char           *title,
                                                      gboolean              listed,
                                                      char                **secret);

void              canopy_test_signal_add             (const char           *name,
                                                      CanopyTestSignalFunc  func);
void              canopy_test_signal_add_steady      (const char           *name,
                                                      CanopyTestSignalFunc  func);
void              canopy_test_signal_setup           (CanopyTestSignal     *f,
                                                      gconstpointer         data);
void              canopy_test_signal_teardown        (CanopyTestSignal     *f,
                                                      gconstpointer         data);
CanopyTestClient *canopy_test_signal_connect         (CanopyTestSignal     *f);
CanopyTestClient *canopy_test_signal_connect_anonymous (CanopyTestSignal   *f);
CanopyTestClient *canopy_test_signal_connect_as      (CanopyTestSignal     *f,
                                                      CanopyIdentity       *identity);
void              canopy_test_signal_connect_all     (CanopyTestSignal     *f,
                                                      CanopyTestClient    **client,
                                                      ...) G_GNUC_NULL_TERMINATED;
void              canopy_test_signal_disconnect      (CanopyTestSignal     *f,
                                                      CanopyTestClient     *client);
char             *canopy_test_signal_open_room       (CanopyTestSignal     *f,
                                                      const char           *title,
                                                      char                **secret,
                                                      ...) G_GNUC_NULL_TERMINATED;
void              canopy_test_signal_restart         (CanopyTestSignal     *f);
guint             canopy_test_signal_n_peers         (CanopyTestSignal     *f);
guint             canopy_test_signal_n_rooms         (CanopyTestSignal     *f);
JsonObject       *canopy_test_signal_http_get        (CanopyTestSignal     *f,
                                                      const char           *path,
                                                      guint                 expected_status);
JsonObject       *canopy_test_signal_directory_entry (CanopyTestSignal     *f,
                                                      const char           *room);
void              canopy_test_signal_assert_healthy  (CanopyTestSignal     *f,
                                                      const char           *room);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CanopyTestClient, canopy_test_client_free)

char             *canopy_test_write_config           (const char           *text);

G_END_DECLS
