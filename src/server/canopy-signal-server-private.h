/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "canopy-identity.h"
#include "canopy-json.h"
#include "canopy-signal-server.h"

G_BEGIN_DECLS

typedef struct _CanopySignalRoom CanopySignalRoom;

/* A bounded set of peer ids: past its @max, the oldest added is forgotten. */
typedef struct {
  GHashTable *ids;         /* id -> its link in @order */
  GQueue order;            /* the ids (owned), oldest first */
  guint max;
} CanopySignalIdSet;

/* One WebSocket connection. Its id is bound to it: whatever it sends, the server names it. A
 * connection that shows the id's token may take the id over (`resume`). */
typedef struct {
  CanopySignalServer *server;
  SoupWebsocketConnection *connection;
  char *address;           /* the remote host, for the per-address quotas, or NULL */
  char *id;
  char token[CANOPY_TOKEN_CHARS + 1];
  char challenge[CANOPY_CHALLENGE_CHARS + 1];   /* to sign in `hello` */
  gboolean identified;     /* said hello: its id is its key's */
  char key[CANOPY_KEY_CHARS + 1];
  GSource *hello_timeout;  /* closes it unless it says hello or subscribes in time */

  CanopySignalRoom *room;  /* hosted or joined, at most one */
  char *name;              /* as a member: sanitized display name */
  guint capacity;          /* as a member: children it relays to */
  char *parent;            /* as a member: the peer id the host placed it under, or NULL */
  gint64 join_pending_until; /* as a member: its join waits for the host until then, or 0 */

  gboolean closing;        /* closed by the server: its messages are ignored */
  gboolean lost;           /* closed for answering no pings: it may be alive, only cut off */
  gint64 active_at;        /* last message or pong */

  /* token bucket */
  double tokens;
  gint64 refilled_at;
  gint64 rate_error_at;
  gint64 dropped_at;
  guint dropped;
  double join_tokens;      /* joins it may still send now (CANOPY_JOIN_BURST, refilling) */
  gint64 join_refilled_at;
} CanopySignalPeer;

struct _CanopySignalServer {
  GObject parent_instance;

  GMainContext *context;

  guint max_rooms;
  guint max_peers;
  guint max_message;
  guint rate;
  guint burst;
  guint keepalive_s;       /* ping interval; silent for 3 of them: closed */
  guint max_peers_per_address;
  guint max_rooms_per_address;
  guint hello_timeout_s;   /* a connection neither identified nor subscribed this long: closed */
  guint upgrade_timeout_s; /* a TCP connection without a whole request this long: closed */
  GHashTable *per_address; /* remote host -> GUINT_TO_POINTER (connections) */
  JsonNode *ice_servers;   /* array */

  SoupServer *soup;
  char *address;
  guint port;
  GSource *keepalive;

  GHashTable *peers;       /* id -> CanopySignalPeer, owned */
  GHashTable *retired;     /* CanopySignalPeer set, owned: taken over by `resume`, closing */
  GHashTable *turned_away; /* SoupWebsocketConnection set: told server-full, closing */
  GHashTable *rooms;       /* id -> CanopySignalRoom, owned */
  GHashTable *lost_rooms;  /* id -> deadline (gint64, boxed): closed as host-lost, may come back */
  GHashTable *subscribers; /* CanopySignalPeer set, not owned */
  char *directory;         /* cached JSON array of the listed rooms, or NULL */
  char *web_dir;           /* the browser viewer's files, or NULL for none */
};

/* A room: its host, its members and what the directory shows of it. */
struct _CanopySignalRoom {
  CanopySignalServer *server;
  char *id;
  char *secret;
  char *title;
  char *summary;
  char *cover;              /* NULL when the room has none */
  char *host_name;
  CanopySignalPeer *host;
  GHashTable *members;      /* peer id -> CanopySignalPeer, not owned */
  GHashTable *children;     /* parent id -> set of the members placed under it, not owned */
  GQueue pending;           /* members whose join the host has not answered, oldest first */
  GHashTable *names;        /* name key -> GUINT_TO_POINTER (host and members named so) */
  gboolean locked;          /* takes no newcomers */
  char *password;           /* what a newcomer's join must carry, or NULL; never sent or logged */
  CanopySignalIdSet banned; /* peer ids its host removed: refused here for the room's life */
  CanopySignalIdSet departed; /* members that left: may resume while it is locked or guarded */
  gint64 reopened_until;    /* opened again by its host's resume: members resume freely until */
  gboolean listed;
  guint k1;
  guint viewers;
  guint depth;
  gint64 started_usec;      /* wall clock, orders the directory */
  char *started;            /* ISO 8601, UTC */
  GSource *broadcast;       /* a delayed room-updated */
  gint64 broadcast_at;
};

/* What a host chooses for its room in `create-room` (and `resume`), checked. */
typedef struct {
  char *title;
  char *summary;
  char *cover;              /* NULL when the room has none */
  char *password;           /* NULL when the room has none */
  gboolean listed;
  guint k1;
  gboolean locked;          /* resume only */
  GPtrArray *banned;        /* resume only: peer ids, or NULL */
} CanopySignalRoomSettings;

/* canopy-signal-server.c: helpers for all the files */
void        canopy_signal_random_bytes             (guint8                  *buffer,
                                                    gsize                    len);
char       *canopy_signal_random_id                (gsize                    n_chars);
GSource    *canopy_signal_server_add_timeout       (CanopySignalServer      *self,
                                                    guint                    interval_ms,
                                                    GSourceFunc              func,
                                                    gpointer                 data);
void        canopy_signal_source_clear             (GSource                **source);
JsonObject *canopy_signal_message_new              (const char              *type);
gboolean    canopy_signal_set_error                (GError                 **error,
                                                    CanopyError              code,
                                                    const char              *text);
void        canopy_signal_peer_send_text           (CanopySignalPeer        *peer,
                                                    const char              *text);
void        canopy_signal_peer_send                (CanopySignalPeer        *peer,
                                                    JsonObject              *message);
void        canopy_signal_server_notify_rooms      (CanopySignalServer      *self);
void        canopy_signal_server_notify_peers      (CanopySignalServer      *self);
void        canopy_signal_server_upgraded          (CanopySignalServer      *self,
                                                    SoupServerMessage       *msg);

/* canopy-signal-peer.c: connections */
void        canopy_signal_server_on_websocket      (SoupServer              *server,
                                                    SoupServerMessage       *msg,
                                                    const char              *path,
                                                    SoupWebsocketConnection *connection,
                                                    gpointer                 user_data);
CanopySignalPeer *canopy_signal_server_add_peer    (CanopySignalServer      *self,
                                                    SoupWebsocketConnection *connection,
                                                    const char              *remote);
void        canopy_signal_server_handle_text       (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    const char              *data,
                                                    gsize                    len);
void        canopy_signal_server_limit_frames      (CanopySignalServer      *self);
void        canopy_signal_server_start_keepalive   (CanopySignalServer      *self);
void        canopy_signal_server_restart_keepalive (CanopySignalServer      *self);
void        canopy_signal_peer_free                (gpointer                 peer);
void        canopy_signal_peer_rebind              (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    const char              *id);
void        canopy_signal_peer_retire              (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer);
void        canopy_signal_peer_settle              (CanopySignalPeer        *peer);
void        canopy_signal_turned_away_free         (gpointer                 connection);

/* canopy-signal-directory.c: the room directory */
const char *canopy_signal_server_get_directory     (CanopySignalServer      *self);
JsonObject *canopy_signal_room_message_new         (const char              *type,
                                                    CanopySignalRoom        *room);
void        canopy_signal_room_changed             (CanopySignalRoom        *room,
                                                    gboolean                 was_listed);

/* canopy-signal-cover.c: room covers */
gboolean    canopy_signal_get_cover                (JsonObject              *message,
                                                    const char             **out,
                                                    GError                 **error);

/* canopy-signal-room.c: rooms and their messages */
gboolean    canopy_signal_get_display_string       (JsonObject              *message,
                                                    const char              *member,
                                                    gsize                    max_chars,
                                                    gboolean                 required,
                                                    gboolean                 allow_empty,
                                                    char                   **out,
                                                    GError                 **error);
CanopySignalPeer *canopy_signal_get_room_peer      (CanopySignalRoom        *room,
                                                    JsonObject              *message,
                                                    const char              *member,
                                                    GError                 **error);
char       *canopy_signal_room_free_name           (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *member,
                                                    const char              *name);
void        canopy_signal_member_set_name          (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *member,
                                                    char                    *name);
gboolean    canopy_signal_secret_equal             (const char              *given,
                                                    const char              *secret);
gboolean    canopy_signal_room_settings_parse      (JsonObject              *message,
                                                    CanopySignalRoomSettings *settings,
                                                    GError                 **error);
void        canopy_signal_room_settings_clear      (CanopySignalRoomSettings *settings);
CanopySignalRoom *canopy_signal_room_open          (CanopySignalServer      *self,
                                                    CanopySignalPeer        *host,
                                                    const char              *id,
                                                    const char              *secret,
                                                    char                    *host_name,
                                                    CanopySignalRoomSettings *settings);
void        canopy_signal_room_announce            (CanopySignalRoom        *room);
gboolean    canopy_signal_server_dispatch          (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    const char              *type,
                                                    JsonObject              *message,
                                                    GError                 **error);
void        canopy_signal_server_detach_peer       (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer);
void        canopy_signal_room_free                (gpointer                 room);

/* canopy-signal-heal.c: placements, what a leave tells the tree, reject, report */
void        canopy_signal_member_set_parent        (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *member,
                                                    const char              *parent);
void        canopy_signal_member_remove            (CanopySignalPeer        *member);
void        canopy_signal_member_set_pending       (CanopySignalPeer        *member,
                                                    gboolean                 pending);
guint       canopy_signal_room_count_pending       (CanopySignalRoom        *room);
void        canopy_signal_reject_joiner            (CanopySignalPeer        *joiner,
                                                    const char              *reason);
void        canopy_signal_member_left              (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *member);
gboolean    canopy_signal_handle_reject            (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);
gboolean    canopy_signal_handle_report            (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);
gboolean    canopy_signal_handle_edge              (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);

/* canopy-signal-moderation.c: kick, lock, passwords, the ids a room refuses */
void        canopy_signal_id_set_init              (CanopySignalIdSet       *set,
                                                    guint                    max);
void        canopy_signal_id_set_clear             (CanopySignalIdSet       *set);
void        canopy_signal_id_set_add               (CanopySignalIdSet       *set,
                                                    const char              *id);
void        canopy_signal_id_set_remove            (CanopySignalIdSet       *set,
                                                    const char              *id);
gboolean    canopy_signal_id_set_contains          (CanopySignalIdSet       *set,
                                                    const char              *id);
gboolean    canopy_signal_get_password             (JsonObject              *message,
                                                    gboolean                 allow_empty,
                                                    const char             **out,
                                                    GError                 **error);
gboolean    canopy_signal_room_rules_parse         (JsonObject              *message,
                                                    CanopySignalRoomSettings *settings,
                                                    GError                 **error);
const char *canopy_signal_room_refusal             (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *joiner);
gboolean    canopy_signal_room_password_ok         (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *joiner,
                                                    const char              *password);
gboolean    canopy_signal_room_may_resume          (CanopySignalRoom        *room,
                                                    CanopySignalPeer        *member,
                                                    GError                 **error);
gboolean    canopy_signal_handle_kick              (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);
gboolean    canopy_signal_handle_lock              (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);

/* canopy-signal-resume.c: taking an id and its place back */
gboolean    canopy_signal_is_lower_hex             (const char              *text,
                                                    gsize                    len);
void        canopy_signal_peer_new_challenge       (CanopySignalPeer        *peer);
gboolean    canopy_signal_room_quota_check         (CanopySignalServer      *self,
                                                    CanopySignalPeer        *host,
                                                    GError                 **error);
gboolean    canopy_signal_handle_hello             (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);
gboolean    canopy_signal_handle_resume            (CanopySignalServer      *self,
                                                    CanopySignalPeer        *peer,
                                                    JsonObject              *message,
                                                    GError                 **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CanopySignalRoomSettings, canopy_signal_room_settings_clear)

const char *canopy_signal_server_default_web_dir (void);
gboolean    canopy_signal_server_handle_web      (CanopySignalServer *self,
                                                  SoupServerMessage  *msg,
                                                  const char         *path);

G_END_DECLS
