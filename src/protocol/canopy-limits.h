/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Every limit of the wire protocol, in one place: the server, the peers and the app check
 * against these same numbers (docs/protocol.md lists them). A limit is in characters unless its
 * name says bytes.
 */

/* Ids: the server's alphabet (no 0/1/i/l/o to misread), room IDs of 8, peer ids up to 32. */
#define CANOPY_ID_ALPHABET "23456789abcdefghjkmnpqrstuvwxyz"
#define CANOPY_ROOM_ID_CHARS 8
#define CANOPY_ROOM_INPUT_CHARS 64     /* a room ID as typed, spaces and dashes included */
#define CANOPY_PEER_ID_CHARS 32
#define CANOPY_SECRET_CHARS 64
#define CANOPY_TYPE_CHARS 32           /* a message's "type" */
#define CANOPY_SECRET_HEX_CHARS 32     /* a host secret as the server makes it: 128 bits in hex */
#define CANOPY_CHALLENGE_CHARS 43        /* welcome's challenge, signed in hello */
#define CANOPY_TOKEN_CHARS 32          /* a connection's resume token: 128 bits in lower-case hex */
#define CANOPY_REPORT_REASON_CHARS 32  /* a member's report on a peer ("silent") */

/* What people write. */
#define CANOPY_NAME_CHARS 64           /* display names */
#define CANOPY_TITLE_CHARS 120
#define CANOPY_SUMMARY_CHARS 1000
#define CANOPY_CHAT_TEXT_CHARS 2000
#define CANOPY_COVER_BYTES 65536       /* a room cover, decoded */
#define CANOPY_COVER_URL_CHARS 2048
/* The cover as it travels: base64 with room for "data:image/jpeg;base64,". */
#define CANOPY_COVER_CHARS ((((CANOPY_COVER_BYTES + 2) / 3) * 4) + 32)
#define CANOPY_ERROR_MESSAGE_CHARS 1000

/* The tree. */
#define CANOPY_CAPACITY_MAX 32         /* children of one node (k1, k and a viewer's capacity) */
#define CANOPY_TREE_DEPTH_MAX 256
#define CANOPY_TREE_NODES_MAX 100000   /* the largest map a peer accepts */
#define CANOPY_MAP_OPS_MAX 10000       /* ops in one map or subtree message */
#define CANOPY_VIEWERS_MAX 1000000     /* as reported to the directory */
#define CANOPY_DIRECTORY_DEPTH_MAX 1000

/* Chat as it travels. */
#define CANOPY_CHAT_HOPS_MAX 1000
#define CANOPY_CHAT_BUFFERED_MAX 64    /* out-of-order messages kept per origin */
/* The last messages each node keeps and sends to every new neighbour, so a late joiner and a
 * node that re-attached miss nothing younger; a neighbour may send this many beyond
 * CANOPY_CHAT_PER_SECOND once per link. */
#define CANOPY_CHAT_HISTORY 100

/* Data channels between peers. */
#define CANOPY_CTRL_BYTES (256 * 1024)     /* one message as it arrives */
/* A longer ctrl message (a whole map of a large room) travels in `part`s of at most this many
 * bytes of its text, well within the 64 KiB every WebRTC data channel delivers; put together,
 * it is at most CANOPY_CTRL_WHOLE_BYTES (a map of ~100,000 nodes). */
#define CANOPY_CTRL_PART_BYTES (24 * 1024)
#define CANOPY_CTRL_WHOLE_BYTES (16 * 1024 * 1024)
#define CANOPY_CTRL_PARTS_PER_SECOND 1000
/* 2000 characters of up to 4 bytes, a 64-character name and the envelope. */
#define CANOPY_CHAT_BYTES (16 * 1024)
#define CANOPY_CTRL_PER_SECOND 200     /* per neighbour, counted before parsing */
/* Chat floods the whole room, so a flooder must not get far (a new link's history comes on
 * top, once: CANOPY_CHAT_HISTORY). */
#define CANOPY_CHAT_PER_SECOND 60

/* Files shared through the tree (canopy-file.h). A chunk frame (26-byte header and the chunk)
 * stays within the 64 KiB every WebRTC data channel delivers. */
#define CANOPY_FILE_SIZE_DEFAULT_MAX (100 * 1024 * 1024) /* a host's limit unless it says less */
#define CANOPY_FILE_SIZE_MAX (1024 * 1024 * 1024)        /* what any peer accepts at all */
#define CANOPY_FILE_CHUNK_MIN 1024
#define CANOPY_FILE_CHUNK_MAX (60 * 1024)
#define CANOPY_FILE_CHUNK_DEFAULT (32 * 1024)
#define CANOPY_FILE_CHUNKS_MAX 65536       /* chunks in one file: its manifest's hash list */
#define CANOPY_FILE_NAME_CHARS 255
#define CANOPY_FILE_MIME_CHARS 127
#define CANOPY_FILE_FRAME_HEADER_BYTES 26
#define CANOPY_FILE_FRAME_BYTES (CANOPY_FILE_FRAME_HEADER_BYTES + CANOPY_FILE_CHUNK_MAX)
/* The files a node keeps for late joiners and resumes: at most this many bytes, this long. */
#define CANOPY_FILE_STORE_BYTES (256 * 1024 * 1024)
#define CANOPY_FILE_STORE_AGE_S (10 * 60)
#define CANOPY_FILE_STORE_FILES 64
/* A manifest is a ctrl message (in parts when long): its hash list is the most of it. */
#define CANOPY_FILE_OFFER_BYTES (CANOPY_FILE_CHUNKS_MAX * 70 + 4096)
/* Backpressure on each edge's `file` channel: stop sending above HIGH bytes buffered, go on
 * below LOW; and at most RATE bytes a second per edge, so files never crowd out the video (at
 * 4 MiB/s a 15-peer room on one 2-core machine fell to 8 fps while 20 MiB went round; at
 * 1 MiB/s it kept 29.3 fps or more: build-aux/filebench --room 15). */
#define CANOPY_FILE_BUFFER_HIGH (1024 * 1024)
#define CANOPY_FILE_BUFFER_LOW (256 * 1024)
#define CANOPY_FILE_RATE_BYTES (1024 * 1024)
#define CANOPY_FILE_FRAMES_PER_SECOND 2000 /* per neighbour, counted before hashing */

/* Liveness on the tree (see CanopyLink). A child pings its parent every heartbeat; a parent
 * that does not answer, or answers but passes on no media while it gets some, is left; a child
 * that stops pinging is dropped. Times in milliseconds. */
#define CANOPY_HEARTBEAT_MS 100
#define CANOPY_PARENT_SILENCE_MS 500
#define CANOPY_MEDIA_SILENCE_MS 1000
#define CANOPY_MEDIA_START_MS 3000       /* media judged this long after it starts */
#define CANOPY_CHILD_SILENCE_MS 1500
#define CANOPY_SILENCE_MAX_MS 2000       /* silences stretch up to this on a link that lags */
#define CANOPY_CTRL_STALL_MAX_MS 10000   /* a parent whose media flows: its ctrl may stall so long */
#define CANOPY_HOST_SILENCE_MS 8000     /* the host, still on the server, silent to its child */
#define CANOPY_KEYFRAME_CHILD_BURST 3     /* a child's keyframe requests at once... */
#define CANOPY_KEYFRAME_CHILD_REFILL_MS 2000 /* ...and one more every this long; others refused */
#define CANOPY_DEPART_MS 150            /* a parent left with a bye is closed after this */
#define CANOPY_CONNECT_TIMEOUT_MS 8000   /* from placement to an open link, before DTLS is through... */
#define CANOPY_CONNECT_MEDIA_TIMEOUT_MS 16000 /* ...and once it is (media flows; SCTP resends */
                                             /* a lost handshake on a slow timer) */
#define CANOPY_CONFIRM_MS 6000           /* from an open link to the host's map showing it */
#define CANOPY_CONNECT_ATTEMPTS 3        /* parents that never connected before a join fails */
#define CANOPY_JOIN_TIMEOUT_MS 30000     /* from the first join request to a place */
#define CANOPY_JOIN_BURST 5              /* joins a connection may send at once... */
#define CANOPY_JOIN_REFILL_MS 1000       /* ...and one more every this long */
#define CANOPY_AVOID_MAX 8               /* parents a joiner refuses ("avoid") */
#define CANOPY_AVOID_GRACE_MS 3000       /* told "full", it still refuses them this long */
#define CANOPY_AVOIDED_MAX 4096          /* nodes the host remembers as left or silent */
#define CANOPY_JOIN_ANSWER_MS 3000       /* a join request unanswered this long is sent again */
#define CANOPY_FULL_RETRY_MS 10000       /* a newcomer told "full" asks again this long */
#define CANOPY_RECONNECT_MIN_MS 250      /* back to the signalling server: backoff from... */
#define CANOPY_RECONNECT_MAX_MS 2000     /* ...up to this, for as long as the room lives */
#define CANOPY_RESUME_RETRY_MS 500       /* a member waiting for its host to resume the room */
#define CANOPY_HOST_WAIT_MS 30000        /* ...waits this long without media before it ends */

/* Signalling relayed between peers. */
#define CANOPY_SDP_BYTES (64 * 1024)
#define CANOPY_CANDIDATE_BYTES 1024
#define CANOPY_ICE_SERVERS_MAX 32
#define CANOPY_ICE_URLS_MAX 8
#define CANOPY_ICE_URL_CHARS 512
#define CANOPY_ICE_CREDENTIAL_CHARS 256
#define CANOPY_EDGE_STATEMENT_BYTES 1024 /* a member's `edge` statement, as JSON */
#define CANOPY_MUTES_MAX 1024            /* ids on a room's mute list */
#define CANOPY_BANNED_MAX 1024           /* keys removed from one room */
#define CANOPY_PASSWORD_CHARS 64         /* a room's password */

/* Joins the server passed to a room's host and the host has not answered yet (place, reject):
 * beyond this many a joiner is told to retry at once, and each counts this long at most. */
#define CANOPY_ROOM_PENDING_JOINS_MAX 64
#define CANOPY_PENDING_JOIN_MS 15000

/* Members that left a room, remembered for its life (the oldest forgotten first): while the room
 * is locked or has a password, only they (and, after its host opened it again, everyone for
 * CANOPY_HOST_WAIT_MS) may `resume` into it. */
#define CANOPY_ROOM_DEPARTED_MAX 4096

/* Any JSON from the network: json-glib's parser recurses, so a hostile "[[[[..." would reach
 * the stack limit. A map of the deepest tree accepted nests two JSON levels per tree level. */
#define CANOPY_JSON_DEPTH_MAX 600

G_END_DECLS
