/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "canopy-test-procs.h"

G_BEGIN_DECLS

/* What the tree's integration tests share (test-heal, test-heal-room, test-nat): a room of real
 * canopy-node processes (a host, viewers that join it; the _in variants run them after a
 * command prefix, such as "ip netns exec NS") and what they print with --events, read:
 * a viewer's place (peer, parent, depth), frames counted, maps and the nodes in them. Waits on
 * many processes at once that record when each got there (for frames again after a moment, 30
 * frames played, every chat message), chat said through --chat-stdin and checked to arrive
 * exactly once and in order, maps checked against who is live, and a room's end. Every wait
 * fails the test after CANOPY_TEST_TREE_WAIT_S seconds unless told otherwise. */

#define CANOPY_TEST_TREE_WAIT_S 60

/* A condition on one process (with the data given to the wait). */
typedef gboolean (*CanopyTestTreeCheck) (CanopyTestProc *proc,
                                         gpointer        data);

/* For canopy_test_tree_map_is_right(). */
typedef struct {
  CanopyTestProc **live;      /* live viewers */
  guint n;
  const char *gone;           /* must not be in the map, or NULL */
} CanopyTestTreeMapExpect;

/* For canopy_test_tree_map_agrees(). */
typedef struct {
  CanopyTestProc *host;
  CanopyTestTreeMapExpect *expect;
} CanopyTestTreeAgree;

/* The processes, and what they printed. */
CanopyTestProc *canopy_test_tree_spawn_in                 (const char *const  *prefix,
                                                           const char         *name,
                                                           const char *const  *argv);
CanopyTestProc *canopy_test_tree_spawn_host               (const char         *url,
                                                           guint               k1,
                                                           guint               k,
                                                           gboolean            listed);
CanopyTestProc *canopy_test_tree_spawn_host_in            (const char *const  *prefix,
                                                           const char         *url,
                                                           guint               k1,
                                                           guint               k,
                                                           gboolean            listed);
CanopyTestProc *canopy_test_tree_spawn_host_with          (const char *const  *prefix,
                                                           const char         *url,
                                                           guint               k1,
                                                           guint               k,
                                                           gboolean            listed,
                                                           const char *const  *extra);
const char     *canopy_test_tree_room_of                  (CanopyTestProc     *host);
CanopyTestProc *canopy_test_tree_spawn_viewer             (const char         *url,
                                                           const char         *room,
                                                           const char         *name,
                                                           guint               capacity,
                                                           gboolean            decode);
CanopyTestProc *canopy_test_tree_spawn_viewer_in          (const char *const  *prefix,
                                                           const char         *url,
                                                           const char         *room,
                                                           const char         *name,
                                                           guint               capacity,
                                                           gboolean            decode);
CanopyTestProc *canopy_test_tree_join_viewer              (const char         *url,
                                                           const char         *room,
                                                           const char         *name,
                                                           guint               capacity,
                                                           gboolean            decode);
CanopyTestProc *canopy_test_tree_join_hostile              (const char         *url,
                                                           const char         *room,
                                                           const char         *name,
                                                           guint               capacity,
                                                           const char         *mode);
const char     *canopy_test_tree_peer_of                  (CanopyTestProc     *viewer);
const char     *canopy_test_tree_parent_of                (CanopyTestProc     *viewer);
gint64          canopy_test_tree_depth_of                 (CanopyTestProc     *viewer);
gint64          canopy_test_tree_frames_of                (CanopyTestProc     *proc);
JsonObject     *canopy_test_tree_map_of                   (CanopyTestProc     *proc);
gint64          canopy_test_tree_map_version              (CanopyTestProc     *proc);
JsonObject     *canopy_test_tree_find_node                (JsonObject         *node,
                                                           const char         *id);
void            canopy_test_tree_collect_below            (JsonObject         *node,
                                                           GPtrArray          *ids);
guint           canopy_test_tree_size                     (JsonObject         *node);
CanopyTestProc *canopy_test_tree_viewer_with_peer         (CanopyTestProc    **viewers,
                                                           guint               n,
                                                           const char         *peer);

/* Waiting on many processes at once. */
void            canopy_test_tree_wait_all                 (CanopyTestProc    **procs,
                                                           guint               n,
                                                           CanopyTestTreeCheck check,
                                                           gpointer            data,
                                                           gint64              start,
                                                           double             *at_ms,
                                                           guint               timeout_s,
                                                           const char         *what);
double          canopy_test_tree_max_of                   (const double       *values,
                                                           guint               n);
char           *canopy_test_tree_list_ms                  (CanopyTestProc    **procs,
                                                           const double       *at_ms,
                                                           guint               n);

/* Frames. */
guint          *canopy_test_tree_mark_events              (CanopyTestProc    **procs,
                                                           guint               n);
void            canopy_test_tree_wait_frames_again        (CanopyTestProc    **procs,
                                                           guint               n,
                                                           guint              *marks,
                                                           gint64              start,
                                                           double             *at_ms,
                                                           const char         *what);
void            canopy_test_tree_wait_playing             (CanopyTestProc    **procs,
                                                           guint               n);

/* Chat. */
void            canopy_test_tree_said_reset               (void);
void            canopy_test_tree_say                      (CanopyTestProc     *proc,
                                                           const char         *format,
                                                           ...) G_GNUC_PRINTF (2, 3);
void            canopy_test_tree_assert_chat_exactly_once (CanopyTestProc    **receivers,
                                                           guint               n,
                                                           CanopyTestProc    **senders,
                                                           guint               n_senders);

/* Maps. */
gboolean        canopy_test_tree_map_is_right             (CanopyTestProc     *proc,
                                                           gpointer            data);
gboolean        canopy_test_tree_map_agrees               (CanopyTestProc     *proc,
                                                           gpointer            data);

/* Ending. */
void            canopy_test_tree_end_room                 (CanopyTestProc     *host,
                                                           CanopyTestProc    **viewers,
                                                           guint               n);
void            canopy_test_tree_free_all                 (CanopyTestProc    **procs,
                                                           guint               n);
gboolean        canopy_test_tree_has_left                 (CanopyTestProc     *proc,
                                                           gpointer            data);
void            canopy_test_tree_assert_still_in          (CanopyTestProc    **procs,
                                                           guint               n);

G_END_DECLS
