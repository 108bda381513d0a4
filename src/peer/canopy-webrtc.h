/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The receiving jitterbuffer latency for live rooms (media-plane notes: 50-100 ms). */
#define CANOPY_DEFAULT_LATENCY_MS 60

/* RTCP per edge, both ways together: enough for a report (and so a retransmission request)
 * every ~40 ms; ~3 % of a 2 Mbit/s stream. */
#define CANOPY_RTCP_BANDWIDTH_BPS 64000
/* Regular RTCP reports (with report blocks) at least this often, 0.5-1.5 times it: the
 * feedback profile's default (5 s) leaves a relay blind to a child's loss and round trip
 * between early packets that carry only NACKs and PLIs. */
#define CANOPY_RTCP_REPORT_MS 100

/* libnice's pacing timer Ta: one connectivity check (or STUN request) per tick. */
#define CANOPY_ICE_PACING_MS 5

/* At most one keyframe request passes a relay (or reaches the encoder) per this interval. */
#define CANOPY_KEYFRAME_MIN_INTERVAL_MS 500

/* The ntp-64 RTP header extension that carries the capture wall clock end to end. */
#define CANOPY_NTP64_URI "urn:ietf:params:rtp-hdrext:ntp-64"
#define CANOPY_NTP64_ID 1
#define CANOPY_NTP_OFFSET_S G_GUINT64_CONSTANT (2208988800)

/* The payload type of the host's ULPFEC packets (RFC 5109), made once before its tee and
 * passed down the tree like the video, and of RED (RFC 2198), negotiated with it but used only
 * to resend FEC packets (see canopy-edge.c). Every parent offers the same m-lines in the same
 * order (VP8 or H.264 at 96, Opus at 97), so webrtcbin 1.22 picks RED 98 and ULPFEC 99 on
 * every edge; each offer is checked. */
#define CANOPY_ULPFEC_PT 99
#define CANOPY_RED_PT 98
/* FEC packets per 100 video packets: what the host sends while a viewer asks for FEC (the
 * node's "fec" -1, automatic), and the most it may be set to. */
#define CANOPY_FEC_AUTO_PERCENT 20
#define CANOPY_FEC_MAX_PERCENT 50
/* A viewer asks for FEC while its jitterbuffers gave up a packet that no repair brought, or
 * FEC rebuilt one, in the last this many seconds. */
#define CANOPY_FEC_HOLD_S 30
/* How much longer than its jitterbuffer's wait a viewer keeps packets for FEC to rebuild from:
 * a block of packets can span several frames. */
#define CANOPY_FEC_STORAGE_EXTRA_MS 1000

/* What a data channel message may be when the far side's SDP declares no a=max-message-size
 * (RFC 8841). */
#define CANOPY_DATA_CHANNEL_DEFAULT_BYTES 65536

/**
 * CanopyIceConfig:
 * @servers: (nullable): the `ice_servers` array handed out by the signalling server
 * @addresses: (nullable): local addresses ICE may gather on; %NULL for every interface
 *
 * How every webrtcbin of a node finds its way to the others.
 */
typedef struct {
  JsonArray *servers;
  char     **addresses;
} CanopyIceConfig;

typedef void (*CanopyBufferFunc) (GstBuffer *buffer,
                                  gpointer   data);

GstElement *canopy_webrtc_new                 (const char            *name,
                                               const CanopyIceConfig *ice,
                                               guint                  latency_ms);
void        canopy_webrtc_prepare             (void);
void        canopy_webrtc_shutdown            (void);
void        canopy_webrtc_watch_pipeline      (GstBin                *pipeline);
GstCaps    *canopy_webrtc_ntp_caps            (void);
gboolean    canopy_webrtc_is_keyframe_request (GstEvent              *event);
GstEvent   *canopy_webrtc_keyframe_request_new (void);
gsize       canopy_webrtc_max_message_size (const GstSDPMessage   *sdp);
GPtrArray  *canopy_webrtc_find_elements       (GstElement            *bin,
                                               const char            *factory);
gint        canopy_webrtc_find_pt             (const GstSDPMessage   *sdp,
                                               const char            *media,
                                               const char            *encoding);
void        canopy_webrtc_probe_buffers       (GstPadProbeInfo       *info,
                                               CanopyBufferFunc       func,
                                               gpointer               data);
void        canopy_webrtc_coalesce_keyframe_requests (GstPad         *pad);
char       *canopy_webrtc_server_url          (const char            *url,
                                               const char            *username,
                                               const char            *credential);
gboolean    canopy_webrtc_has_turn            (const CanopyIceConfig *ice);
void        canopy_webrtc_release_relays      (GstElement            *webrtcbin);
gboolean    canopy_webrtc_candidate_is_reachable (const char        *candidate,
                                                  const char *const *local_addresses);
const char *const *canopy_webrtc_get_local_addresses (GstElement *webrtcbin);
gboolean    canopy_webrtc_add_remote_candidate (GstElement          *webrtcbin,
                                                guint                mline,
                                                const char          *candidate);
gboolean    canopy_address_is_loopback        (const char            *host);
void        canopy_webrtc_trace               (const char            *step,
                                               const char            *peer);

G_END_DECLS
