/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "CanopyWebrtc"

#include "canopy-webrtc.h"

#include "canopy-forward.h"
#include "canopy-json.h"
#include "canopy-thin.h"
#include "canopy-throttle.h"

#include <agent.h>
#include <interfaces.h>
#include <gio/gio.h>
#include <gst/video/video.h>
#include <gst/webrtc/nice/nice.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

static void
on_new_transceiver (GstElement              *webrtcbin,
                    GstWebRTCRTPTransceiver *transceiver,
                    gpointer                 user_data)
{
  /* Without this the answer carries no "nack": every loss becomes a keyframe for the tree.
   * On every transceiver, audio too, although parents offer no NACK or RTX for audio (see
   * prepare_branch() in canopy-edge.c), so the answer has none there either: webrtcbin 1.22
   * gives each jitterbuffer "do-retransmission" from the transceiver it maps the SSRC to, and
   * a relay forwards SSRCs that are not in its offer; with do-nack off on audio, video at
   * depth 3 went unrepaired (test-nat's /nat/loss-1: 7-14 fps decoded of 29). */
  /* $CANOPY_NACK=0, for measurements: a receiver that asks for nothing to be resent (what FEC
   * alone repairs). */
  g_object_set (transceiver, "do-nack", g_strcmp0 (g_getenv ("CANOPY_NACK"), "0") != 0, NULL);
  /* RED and ULPFEC taken wherever a parent offers them: webrtcbin then unwraps RED before
   * the jitterbuffer and repairs with the host's FEC packets (canopy-node-fec.c). Its own FEC
   * encoder is never used (fec-percentage stays 0): it would renumber the packets on each
   * edge, and relays pass the host's sequence numbers on unchanged. */
  g_object_set (transceiver, "fec-type", GST_WEBRTC_FEC_TYPE_ULP_RED, "fec-percentage", 0, NULL);
}

/* The data on each webrtcbin with the local addresses its agent gathers on (a GStrv), or
 * none when libnice chose them itself. */
#define LOCAL_ADDRESSES_KEY "canopy-ice-local-addresses"

/* libnice writes link-local addresses with their interface: fe80::1%eth0. */
static GInetAddress *
inet_address_parse (const char *text)
{
  g_autofree char *bare = g_strdup (text);
  char *scope = strchr (bare, '%');

  if (scope != NULL)
    *scope = '\0';
  return g_inet_address_new_from_string (bare);
}

typedef enum {
  SCOPE_GLOBAL,
  SCOPE_PRIVATE, /* RFC 1918, the RFC 6598 shared space of carrier NATs, IPv6 fc00::/7 */
  SCOPE_LINK,    /* 169.254/16, fe80::/10 */
  SCOPE_OTHER,   /* loopback, any, multicast: left to libnice */
} Scope;

static Scope
scope_of (GInetAddress *addr)
{
  const guint8 *b = g_inet_address_to_bytes (addr);
  gboolean private;

  if (g_inet_address_get_is_loopback (addr) || g_inet_address_get_is_any (addr) ||
      g_inet_address_get_is_multicast (addr))
    return SCOPE_OTHER;
  if (g_inet_address_get_is_link_local (addr))
    return SCOPE_LINK;
  /* GLib's site-local: 10/8, 172.16/12, 192.168/16 and the old fec0::/10. */
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4)
    private = g_inet_address_get_is_site_local (addr) || (b[0] == 100 && (b[1] & 0xc0) == 64);
  else
    private = g_inet_address_get_is_site_local (addr) || (b[0] & 0xfe) == 0xfc;
  return private ? SCOPE_PRIVATE : SCOPE_GLOBAL;
}

/* Every address libnice would gather on by itself, but IPv6 link-local ones. Every interface
 * with IPv6 on has one, and libnice pairs ours with the other side's whatever link each is on:
 * a pair that can only work when both share a link, and which held every join through a NAT
 * for the 2 s its checks take to fail (the controlling agent nominates only when no check is
 * left pending, see canopy_webrtc_candidate_is_reachable()). NULL when nothing else is
 * left: libnice then chooses, as before. */
static GStrv
gather_addresses (void)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  GStrv addresses;

  for (GList *l = ips; l != NULL; l = l->next) {
    g_autoptr (GInetAddress) addr = inet_address_parse (l->data);

    if (addr == NULL || g_inet_address_get_family (addr) != G_SOCKET_FAMILY_IPV6 ||
        scope_of (addr) != SCOPE_LINK)
      g_strv_builder_add (builder, l->data);
  }
  g_list_free_full (ips, g_free);
  addresses = g_strv_builder_end (builder);
  if (addresses[0] == NULL)
    g_clear_pointer (&addresses, g_strfreev);
  return addresses;
}

static void
restrict_agent (GstElement            *webrtcbin,
                const CanopyIceConfig *ice)
{
  g_autoptr (GstWebRTCICE) webrtc_ice = NULL;
  g_auto (GStrv) gathered = NULL;
  const char *const *addresses = NULL;
  GPtrArray *used;
  NiceAgent *agent = NULL;

  g_object_get (webrtcbin, "ice-agent", &webrtc_ice, NULL);
  g_return_if_fail (webrtc_ice != NULL);
  g_object_get (webrtc_ice, "agent", &agent, NULL);
  g_return_if_fail (agent != NULL);

  /* UPnP is on by default: it multicasts SSDP out of the machine and starts an HTTP
   * server per agent. Always off, before any gathering. */
  g_object_set (agent, "upnp", FALSE, NULL);
  g_object_set (webrtc_ice, "ice-tcp", FALSE, NULL);
  /* libnice sends one check per tick of its pacing timer Ta, 20 ms by default, triggered
   * checks too: under webrtcbin's regular nomination the parent waits a tick to answer a
   * child's first check with its own, and another to nominate, and the child's DTLS starts
   * only then. An edge has a handful of pairs at most: the 5 ms RFC 8445 allows as the least
   * (section 14.2) cost nothing in packets. */
  g_object_set (agent, "stun-pacing-timer", CANOPY_ICE_PACING_MS, NULL);

  used = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  if (ice != NULL && ice->addresses != NULL && ice->addresses[0] != NULL)
    addresses = (const char *const *) ice->addresses;
  else
    addresses = (const char *const *) (gathered = gather_addresses ());
  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++) {
    NiceAddress addr;

    nice_address_init (&addr);
    if (nice_address_set_from_string (&addr, addresses[i])) {
      nice_agent_add_local_address (agent, &addr);
      g_ptr_array_add (used, g_strdup (addresses[i]));
    } else {
      g_message ("Ignoring ICE address %s: not an IP address", addresses[i]);
    }
  }
  if (used->len > 0)
    g_object_set_data_full (G_OBJECT (webrtcbin), LOCAL_ADDRESSES_KEY,
                            g_ptr_array_free (used, FALSE), (GDestroyNotify) g_strfreev);
  else
    g_ptr_array_unref (used);
  g_object_unref (agent);
}

/**
 * canopy_webrtc_release_relays:
 * @webrtcbin: a webrtcbin from canopy_webrtc_new(), about to be stopped and dropped
 *
 * Gives back the TURN allocations its ICE agent holds (a refresh with lifetime 0 to each
 * server), which would otherwise stay on the server until they expire, minutes later, one per
 * edge a node ever had. libnice does it in the background on its own thread; its task keeps
 * the agent until it is done. Harmless without TURN.
 */
void
canopy_webrtc_release_relays (GstElement *webrtcbin)
{
  g_autoptr (GstWebRTCICE) webrtc_ice = NULL;
  NiceAgent *agent = NULL;

  g_object_get (webrtcbin, "ice-agent", &webrtc_ice, NULL);
  if (webrtc_ice == NULL)
    return;
  g_object_get (webrtc_ice, "agent", &agent, NULL);
  if (agent == NULL)
    return;
  nice_agent_close_async (agent, NULL, NULL);
  g_object_unref (agent);
}

/**
 * canopy_webrtc_candidate_is_reachable:
 * @candidate: a remote `candidate:` line, untrusted
 * @local_addresses: (nullable): the addresses our agent gathers on; %NULL when unknown
 *
 * Whether a pair with @candidate can work at all. libnice in 0.1.21, under webrtcbin's regular
 * nomination, lets the controlling side (the parent) nominate a valid pair only once it has a
 * host-host one, two valid ones, or no check left pending; a pair that cannot work keeps its
 * check pending for three sends over 2 s. A viewer behind a NAT sends its private address
 * first, and a parent with public addresses only would wait those 2 s with the pair through
 * the NAT already valid. Private addresses (RFC 1918, RFC 6598, fc00::/7) are not routed on
 * the internet, so they are kept only when we have one of the same family ourselves (a LAN, a
 * VPN, a corporate network: then the check may well work); link-local ones only when we are
 * on a link-local address of the same family. Anything we cannot read is kept: libnice
 * decides. The other side's checks still reach us from whatever address they come from (as
 * peer-reflexive candidates), so a path that works is still found.
 *
 * Returns: %FALSE when no local address of ours can reach @candidate's address
 */
gboolean
canopy_webrtc_candidate_is_reachable (const char        *candidate,
                                      const char *const *local_addresses)
{
  g_auto (GStrv) fields = NULL;
  g_autoptr (GInetAddress) remote = NULL;
  Scope scope;

  g_return_val_if_fail (candidate != NULL, TRUE);

  if (local_addresses == NULL)
    return TRUE;
  /* candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE ... */
  fields = g_strsplit (candidate, " ", 6);
  if (g_strv_length (fields) < 6)
    return TRUE;
  remote = inet_address_parse (fields[4]);
  if (remote == NULL)
    return TRUE;
  scope = scope_of (remote);
  if (scope == SCOPE_GLOBAL || scope == SCOPE_OTHER)
    return TRUE;
  for (guint i = 0; local_addresses[i] != NULL; i++) {
    g_autoptr (GInetAddress) local = inet_address_parse (local_addresses[i]);

    if (local != NULL && g_inet_address_get_family (local) == g_inet_address_get_family (remote) &&
        scope_of (local) == scope)
      return TRUE;
  }
  return FALSE;
}

/**
 * canopy_webrtc_get_local_addresses:
 * @webrtcbin: a webrtcbin made by canopy_webrtc_new()
 *
 * Returns: (transfer none) (nullable): the addresses its ICE agent gathers on, or %NULL when
 *   libnice chooses them itself
 */
const char *const *
canopy_webrtc_get_local_addresses (GstElement *webrtcbin)
{
  return g_object_get_data (G_OBJECT (webrtcbin), LOCAL_ADDRESSES_KEY);
}

/**
 * canopy_webrtc_add_remote_candidate:
 * @webrtcbin: a webrtcbin made by canopy_webrtc_new()
 * @mline: the candidate's media line
 * @candidate: a remote `candidate:` line
 *
 * Hands @candidate to @webrtcbin unless none of its local addresses can reach it (see
 * canopy_webrtc_candidate_is_reachable()).
 *
 * Returns: whether @candidate was added
 */
gboolean
canopy_webrtc_add_remote_candidate (GstElement *webrtcbin,
                                    guint       mline,
                                    const char *candidate)
{
  if (!canopy_webrtc_candidate_is_reachable (candidate,
                                             canopy_webrtc_get_local_addresses (webrtcbin))) {
    g_debug ("%s: not pairing with %s: no local address can reach it",
             GST_OBJECT_NAME (webrtcbin), candidate);
    return FALSE;
  }
  g_signal_emit_by_name (webrtcbin, "add-ice-candidate", mline, candidate);
  return TRUE;
}

/**
 * canopy_webrtc_max_message_size:
 * @sdp: the far side's description, untrusted
 *
 * What the far side takes in one data channel message (RFC 8841): its `a=max-message-size`
 * on the data channel's m-line; 64 KiB when it declares none (Chromium's answers, and
 * webrtcbin's own offers and answers); 0 there means any size. A far side that declares
 * less than our longest chat message is still given what it declares: a message that does not
 * fit is dropped rather than sent (canopy_edge_send()).
 *
 * Returns: the size in bytes, %G_MAXSIZE for no limit
 */
gsize
canopy_webrtc_max_message_size (const GstSDPMessage *sdp)
{
  g_return_val_if_fail (sdp != NULL, CANOPY_DATA_CHANNEL_DEFAULT_BYTES);

  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    const char *value;
    guint64 size = 0;
    char *end = NULL;

    if (g_strcmp0 (gst_sdp_media_get_media (media), "application") != 0)
      continue;
    value = gst_sdp_media_get_attribute_val (media, "max-message-size");
    if (value == NULL || !g_ascii_isdigit (value[0]))
      return CANOPY_DATA_CHANNEL_DEFAULT_BYTES;
    size = g_ascii_strtoull (value, &end, 10);
    if (end == value || *end != '\0')
      return CANOPY_DATA_CHANNEL_DEFAULT_BYTES;
    return size == 0 || size > G_MAXSIZE ? G_MAXSIZE : (gsize) size;
  }
  return CANOPY_DATA_CHANNEL_DEFAULT_BYTES;
}

/**
 * canopy_webrtc_find_elements:
 * @bin: a bin, such as a webrtcbin
 * @factory: a factory name
 *
 * Returns: (transfer full) (element-type GstElement): the elements made by @factory inside @bin,
 *   at any depth
 */
GPtrArray *
canopy_webrtc_find_elements (GstElement *bin,
                             const char *factory)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (bin));
  GPtrArray *found = g_ptr_array_new_with_free_func (gst_object_unref);
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *element = g_value_get_object (&item);
    GstElementFactory *made_by = gst_element_get_factory (element);

    if (made_by != NULL &&
        g_str_equal (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (made_by)), factory))
      g_ptr_array_add (found, gst_object_ref (element));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  return found;
}

/**
 * canopy_webrtc_find_pt:
 * @sdp: an offer or answer
 * @media: the kind of m-line: "video" or "audio"
 * @encoding: the encoding name in its `a=rtpmap` (any case): "ULPFEC", "red"
 *
 * Returns: the payload type @sdp gives @encoding in its first @media m-line, or -1
 */
gint
canopy_webrtc_find_pt (const GstSDPMessage *sdp,
                       const char          *media,
                       const char          *encoding)
{
  g_return_val_if_fail (sdp != NULL, -1);

  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
    gsize len = strlen (encoding);

    if (g_strcmp0 (gst_sdp_media_get_media (m), media) != 0)
      continue;
    for (guint j = 0; j < gst_sdp_media_attributes_len (m); j++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (m, j);
      const char *name;
      guint64 pt;
      char *end = NULL;

      if (g_strcmp0 (attr->key, "rtpmap") != 0 || attr->value == NULL ||
          !g_ascii_isdigit (attr->value[0]))
        continue;
      pt = g_ascii_strtoull (attr->value, &end, 10);
      if (*end != ' ' || pt > 127)
        continue;
      name = end + 1;
      if (g_ascii_strncasecmp (name, encoding, len) == 0 && name[len] == '/')
        return (gint) pt;
    }
    return -1;
  }
  return -1;
}

/**
 * canopy_webrtc_server_url:
 * @url: a `stun:` or `turn:`/`turns:` URL as in the protocol's `ice_servers`
 * @username: (nullable): TURN user name
 * @credential: (nullable): TURN password
 *
 * Returns: (transfer full) (nullable): the form webrtcbin wants (`stun://host:port`,
 *   `turn://user:pass@host:port`), or %NULL when @url is not one of those schemes
 */
char *
canopy_webrtc_server_url (const char *url,
                          const char *username,
                          const char *credential)
{
  const char *rest;
  const char *scheme;

  if (g_str_has_prefix (url, "stun:"))
    scheme = "stun", rest = url + 5;
  else if (g_str_has_prefix (url, "turns:"))
    scheme = "turns", rest = url + 6;
  else if (g_str_has_prefix (url, "turn:"))
    scheme = "turn", rest = url + 5;
  else
    return NULL;
  while (*rest == '/')
    rest++;
  if (*rest == '\0')
    return NULL;
  if (g_str_equal (scheme, "stun"))
    return g_strdup_printf ("stun://%s", rest);
  {
    g_autofree char *user = g_uri_escape_string (username ? username : "", NULL, FALSE);
    g_autofree char *pass = g_uri_escape_string (credential ? credential : "", NULL, FALSE);

    return g_strdup_printf ("%s://%s:%s@%s", scheme, user, pass, rest);
  }
}

/* The servers handed out by the signalling server, in the form webrtcbin wants. The list is
 * network input: every member is checked, and a server entry that is not right is skipped
 * whole. */
static GPtrArray *
ice_server_urls (JsonArray *servers)
{
  GPtrArray *converted = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; servers != NULL && i < json_array_get_length (servers); i++) {
    JsonNode *node = json_array_get_element (servers, i);
    JsonArray *urls = NULL;
    const char *username = NULL;
    const char *credential = NULL;

    if (!JSON_NODE_HOLDS_OBJECT (node) ||
        !canopy_json_get_array (json_node_get_object (node), "urls", CANOPY_ICE_URLS_MAX, TRUE,
                                &urls, NULL) ||
        !canopy_json_get_string (json_node_get_object (node), "username",
                                 CANOPY_ICE_CREDENTIAL_CHARS, FALSE, &username, NULL) ||
        !canopy_json_get_string (json_node_get_object (node), "credential",
                                 CANOPY_ICE_CREDENTIAL_CHARS, FALSE, &credential, NULL)) {
      g_message ("Ignoring a malformed ICE server entry");
      continue;
    }
    for (guint j = 0; j < json_array_get_length (urls); j++) {
      JsonNode *url_node = json_array_get_element (urls, j);
      char *url;

      if (!JSON_NODE_HOLDS_VALUE (url_node) ||
          json_node_get_value_type (url_node) != G_TYPE_STRING ||
          strlen (json_node_get_string (url_node)) > CANOPY_ICE_URL_CHARS)
        continue;
      url = canopy_webrtc_server_url (json_node_get_string (url_node), username, credential);
      if (url != NULL)
        g_ptr_array_add (converted, url);
    }
  }
  return converted;
}

static void
apply_ice_servers (GstElement *webrtcbin,
                   JsonArray  *servers)
{
  g_autoptr (GPtrArray) urls = ice_server_urls (servers);
  gboolean have_stun = FALSE;

  for (guint i = 0; i < urls->len; i++) {
    const char *url = g_ptr_array_index (urls, i);
    gboolean ok = FALSE;

    if (g_str_has_prefix (url, "stun://")) {
      /* webrtcbin takes one STUN server; the first one configured wins. */
      if (!have_stun)
        g_object_set (webrtcbin, "stun-server", url, NULL);
      have_stun = TRUE;
    } else {
      g_signal_emit_by_name (webrtcbin, "add-turn-server", url, &ok);
      if (!ok)
        g_message ("webrtcbin refused a TURN server");
    }
  }
}

/**
 * canopy_webrtc_has_turn:
 * @ice: (nullable): a node's ICE configuration
 *
 * Returns: whether a usable TURN server is configured (without one, peers behind symmetric
 *   NATs cannot reach each other)
 */
gboolean
canopy_webrtc_has_turn (const CanopyIceConfig *ice)
{
  g_autoptr (GPtrArray) urls = ice_server_urls (ice != NULL ? ice->servers : NULL);

  for (guint i = 0; i < urls->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (urls, i), "turn"))
      return TRUE;
  return FALSE;
}

/**
 * canopy_webrtc_new:
 * @name: element name
 * @ice: (nullable): servers and local addresses for ICE
 * @latency_ms: jitterbuffer latency for what this webrtcbin receives
 *
 * Makes a webrtcbin the way every tree edge needs it: max-bundle, NACK on every
 * transceiver it creates, libnice UPnP off, ICE servers only from the configuration.
 *
 * Returns: (transfer floating): the webrtcbin
 */
GstElement *
canopy_webrtc_new (const char            *name,
                   const CanopyIceConfig *ice,
                   guint                  latency_ms)
{
  GstElement *webrtcbin = gst_element_factory_make ("webrtcbin", name);

  g_return_val_if_fail (webrtcbin != NULL, NULL);
  g_object_set (webrtcbin,
                "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", latency_ms,
                NULL);
  g_signal_connect (webrtcbin, "on-new-transceiver", G_CALLBACK (on_new_transceiver), NULL);
  restrict_agent (webrtcbin, ice);
  if (ice != NULL)
    apply_ice_servers (webrtcbin, ice->servers);
  return webrtcbin;
}

static void
on_deep_element_added (GstBin     *bin,
                       GstBin     *sub_bin,
                       GstElement *element,
                       gpointer    user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  /* webrtcbin puts "clocksync sync=true" before every send stream. On forwarded streams
   * it re-times packets by the receiving jitterbuffer's PTS: standing 15-255 ms per hop.
   * On the host it only holds each frame back until its running time. Off everywhere. */
  if (factory == NULL)
    return;
  if (g_str_equal (GST_OBJECT_NAME (factory), "clocksync"))
    g_object_set (element, "sync", FALSE, NULL);
  /* rtpsession sizes its RTCP for 64 kbit/s of RTP when it is not told better, which spaces
   * reports ~330 ms apart, and it may send feedback early only once per report interval:
   * most retransmission requests waited for the next report (measured at 5 % loss and 80 ms
   * round trips: requests answered after 140-210 ms, p50). Room for a report every ~40 ms
   * lets every request go out at once. Regular reports every ~CANOPY_RTCP_REPORT_MS tell
   * each relay its children's loss and round trips (canopy-thin.c). */
  else if (g_str_equal (GST_OBJECT_NAME (factory), "rtpsession")) {
    g_autoptr (GstObject) webrtcbin = gst_object_get_parent (GST_OBJECT (sub_bin));
    CanopyThin *thin = webrtcbin != NULL ? g_object_get_data (G_OBJECT (webrtcbin),
                                                              CANOPY_THIN_KEY)
                                         : NULL;

    g_object_set (element,
                  "rtcp-rr-bandwidth", CANOPY_RTCP_BANDWIDTH_BPS / 2,
                  "rtcp-rs-bandwidth", CANOPY_RTCP_BANDWIDTH_BPS / 2,
                  "rtcp-min-interval", (guint64) CANOPY_RTCP_REPORT_MS * GST_MSECOND,
                  NULL);
    /* On an edge to a child: its receiver reports judge how many layers it gets. */
    if (thin != NULL)
      canopy_thin_watch_session (thin, element);
  } else if (g_str_equal (GST_OBJECT_NAME (factory), "rtprtxsend"))
    canopy_forward_watch_rtx_sender (element);
}

/**
 * canopy_webrtc_watch_pipeline:
 * @pipeline: the node's pipeline
 *
 * Applies the pipeline-wide fixes of the media-plane notes to every webrtcbin that will
 * ever be added to @pipeline.
 */
void
canopy_webrtc_watch_pipeline (GstBin *pipeline)
{
  g_signal_connect (pipeline, "deep-element-added", G_CALLBACK (on_deep_element_added), NULL);
}

/**
 * canopy_webrtc_ntp_caps:
 *
 * Returns: (transfer none): the `timestamp/x-ntp` caps of capture stamps
 */
GstCaps *
canopy_webrtc_ntp_caps (void)
{
  static GstCaps *caps;

  if (g_once_init_enter (&caps)) {
    GstCaps *c = gst_caps_new_empty_simple ("timestamp/x-ntp");

    GST_MINI_OBJECT_FLAG_SET (c, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&caps, c);
  }
  return caps;
}

static gboolean
call_on_item (GstBuffer **buffer,
              guint       idx,
              gpointer    user_data)
{
  gpointer *call = user_data;

  ((CanopyBufferFunc) call[0]) (*buffer, call[1]);
  return TRUE;
}

/**
 * canopy_webrtc_probe_buffers:
 * @info: what a buffer (or buffer list) probe got
 * @func: (scope call): called for each buffer, which it must not keep without a reference
 * @data: data for @func
 *
 * For the RTP probes on the forwarding path, which see single buffers and lists alike.
 */
void
canopy_webrtc_probe_buffers (GstPadProbeInfo  *info,
                             CanopyBufferFunc  func,
                             gpointer          data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    func (GST_PAD_PROBE_INFO_BUFFER (info), data);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    gpointer call[2] = { (gpointer) func, data };

    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), call_on_item, call);
  }
}

/**
 * canopy_webrtc_is_keyframe_request:
 * @event: an event
 *
 * Returns: whether @event is an upstream ForceKeyUnit
 */
gboolean
canopy_webrtc_is_keyframe_request (GstEvent *event)
{
  return GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
         gst_video_event_is_force_key_unit (event);
}

static gboolean
request_again (gpointer user_data)
{
  GstPad *pad = user_data;

  /* Pushed from the sink pad it travels upstream through the probe, which now lets it by. */
  gst_pad_push_event (pad, canopy_webrtc_keyframe_request_new ());
  return G_SOURCE_REMOVE;
}

/**
 * canopy_webrtc_keyframe_request_new:
 *
 * The one form of upstream keyframe request this project makes: without `all-headers`.
 * rtph264pay (config-interval=-1) puts SPS and PPS in front of every IDR anyway; `all-headers`
 * makes it send them once more, on the next frame, and in 1.22.0 that can be a packet of SPS
 * and PPS alone with the marker bit set, which Chromium takes for a broken frame (and asks for
 * another keyframe).
 *
 * Returns: (transfer full): an upstream GstForceKeyUnit event
 */
GstEvent *
canopy_webrtc_keyframe_request_new (void)
{
  return gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, FALSE, 0);
}

static GstPadProbeReturn
coalesce_probe (GstPad          *pad,
                GstPadProbeInfo *info,
                gpointer         user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean all_headers = FALSE;

  if (!canopy_webrtc_is_keyframe_request (event))
    return GST_PAD_PROBE_OK;
  if (!canopy_throttle_ask (user_data))
    return GST_PAD_PROBE_DROP;
  /* rtpsession turns a child's FIR into a request with all-headers: take it out here, at the
   * one place every request to the encoder passes (see canopy_webrtc_keyframe_request_new()). */
  if (gst_video_event_parse_upstream_force_key_unit (event, NULL, &all_headers, NULL) &&
      all_headers) {
    gst_event_unref (event);
    GST_PAD_PROBE_INFO_DATA (info) = canopy_webrtc_keyframe_request_new ();
  }
  return GST_PAD_PROBE_OK;
}

/**
 * canopy_webrtc_coalesce_keyframe_requests:
 * @pad: the sink pad upstream keyframe requests pass through (a node's video tee sink)
 *
 * Every join and every unrepaired loss below a node asks for a keyframe; let at most one
 * through per %CANOPY_KEYFRAME_MIN_INTERVAL_MS, and one more at the end of the interval for
 * those that came too soon.
 */
void
canopy_webrtc_coalesce_keyframe_requests (GstPad *pad)
{
  /* The throttle holds no reference on the pad: the pad owns the probe that owns it. */
  CanopyThrottle *throttle = canopy_throttle_new (CANOPY_KEYFRAME_MIN_INTERVAL_MS, request_again,
                                                  pad, NULL);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, coalesce_probe, throttle,
                     (GDestroyNotify) canopy_throttle_free);
}

static gpointer
make_certificate (gpointer data)
{
  /* dtlsdec generates the process's DTLS certificate once, on first use, and every webrtcbin
   * shares it. Making one here moves those few hundred milliseconds of RSA key generation
   * off the first join's critical path. */
  GstElement *dec = gst_element_factory_make ("dtlsdec", NULL);

  if (dec != NULL)
    gst_object_unref (gst_object_ref_sink (dec));
  return NULL;
}

/**
 * canopy_webrtc_prepare:
 *
 * Starts the one-time set-up of the DTLS certificate in a thread of its own.
 */
static GThread *certificate_thread;

void
canopy_webrtc_prepare (void)
{
  static gsize started;

  if (g_once_init_enter (&started)) {
    certificate_thread = g_thread_new ("canopy-dtls-cert", make_certificate, NULL);
    g_once_init_leave (&started, 1);
  }
}

/**
 * canopy_webrtc_shutdown:
 *
 * Waits for the certificate thread, if one runs: a process that returns from main() while it
 * is inside OpenSSL crashes in OpenSSL's exit handlers. Call before exiting; harmless twice.
 */
void
canopy_webrtc_shutdown (void)
{
  g_autoptr (GThread) thread = g_atomic_pointer_exchange (&certificate_thread, NULL);

  if (thread != NULL)
    g_thread_join (g_steal_pointer (&thread));
}

/**
 * canopy_address_is_loopback:
 * @host: a host name or address
 *
 * Returns: whether @host names this machine's loopback
 */
gboolean
canopy_address_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) addr = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr != NULL && g_inet_address_get_is_loopback (addr);
}

/**
 * canopy_webrtc_trace:
 * @step: what just happened ("offer-sent", "connected", ...)
 * @peer: (nullable): the neighbour it concerns
 *
 * Logs a step of a join, on either end, with the monotonic clock (one clock for every
 * process on the machine, whatever their network namespaces) to the GStreamer debug category
 * `canopy` at INFO: `GST_DEBUG=canopy:4` shows where a join's time goes (build-aux/netbench
 * --joins --steps reads it). Costs nothing while that category is off.
 */
GST_DEBUG_CATEGORY_STATIC (trace_debug);

void
canopy_webrtc_trace (const char *step,
                     const char *peer)
{
  static gsize once;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (trace_debug, "canopy", 0, "Canopy: the steps of each join");
    g_once_init_leave (&once, 1);
  }
  GST_CAT_INFO (trace_debug, "step %s peer %s at %" G_GINT64_FORMAT, step,
                peer != NULL ? peer : "-", g_get_monotonic_time ());
}
