/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What every edge's ICE agent is given: the local addresses it gathers on (never an IPv6
 * link-local one) and the remote candidates it pairs with (none that no local address of ours
 * can reach). test-nat's /nat/cone-stun shows what both are for: a join through a NAT that
 * does not wait 2 s for pairs that cannot work.
 */
#include <gst/gst.h>
#include <interfaces.h>

#include "canopy-webrtc.h"

static gboolean
reachable (const char *address,
           const char *typ,
           const char *local_csv)
{
  g_autofree char *candidate = g_strdup_printf ("candidate:1 1 UDP 2015363327 %s 43874 typ %s",
                                                address, typ);
  g_auto (GStrv) local = local_csv != NULL ? g_strsplit (local_csv, ",", -1) : NULL;

  return canopy_webrtc_candidate_is_reachable (candidate, (const char *const *) local);
}

/* A parent with public addresses only (the lab's pub, a server): a viewer's private and
 * link-local addresses cannot be reached from it; its public and NAT-mapped ones can. */
static void
test_public_parent (void)
{
  const char *local = "203.0.113.30";

  g_assert_false (reachable ("10.51.0.2", "host", local));
  g_assert_false (reachable ("172.16.5.4", "host", local));
  g_assert_false (reachable ("172.31.255.254", "host", local));
  g_assert_false (reachable ("192.168.1.2", "host", local));
  g_assert_false (reachable ("100.64.0.1", "host", local));
  g_assert_false (reachable ("100.127.255.255", "host", local));
  g_assert_false (reachable ("169.254.3.3", "host", local));
  g_assert_false (reachable ("fe80::ccb1:2ff:feb4:49d2", "host", local));
  g_assert_false (reachable ("fd00::5", "host", local));
  g_assert_true (reachable ("203.0.113.101", "srflx", local));
  g_assert_true (reachable ("203.0.113.10", "relay", local));
  g_assert_true (reachable ("172.32.0.1", "host", local));
  g_assert_true (reachable ("100.128.0.1", "host", local));
  g_assert_true (reachable ("2001:db8::5", "host", local));
}

/* Anyone on a private network keeps every private address of that family: a LAN, a VPN or a
 * routed corporate network may well reach it. */
static void
test_private_network (void)
{
  g_assert_true (reachable ("10.52.0.2", "host", "10.51.0.2"));
  g_assert_true (reachable ("192.168.1.7", "host", "10.51.0.2"));
  g_assert_true (reachable ("100.100.1.1", "host", "203.0.113.30,100.64.0.7"));
  g_assert_true (reachable ("fd34::2", "host", "fd12::1,203.0.113.30"));
  g_assert_false (reachable ("10.0.0.1", "host", "fd12::1,203.0.113.30"));
  g_assert_false (reachable ("fd00::1", "host", "10.51.0.2"));
  /* Link-local only from link-local: never IPv6 ones, as we gather none. */
  g_assert_false (reachable ("169.254.2.2", "host", "10.51.0.2"));
  g_assert_true (reachable ("169.254.2.2", "host", "169.254.1.1"));
  g_assert_false (reachable ("fe80::1", "host", "10.51.0.2,fd12::1,2001:db8::1"));
}

/* What cannot be read, what libnice handles by itself, and unknown local addresses: kept. */
static void
test_kept (void)
{
  g_assert_true (reachable ("127.0.0.1", "host", "127.0.0.1"));
  g_assert_true (reachable ("127.0.0.1", "host", "203.0.113.30"));
  g_assert_true (reachable ("10.51.0.2", "host", NULL));
  g_assert_true (reachable ("fe80::1", "host", NULL));
  g_assert_true (reachable ("4b1c2f0e-6a3d-4e58-9a0b-1c2d3e4f5a6b.local", "host", "203.0.113.30"));
  g_assert_true (reachable ("not-an-address", "host", "203.0.113.30"));
  g_assert_true (canopy_webrtc_candidate_is_reachable ("candidate:", NULL));
  g_assert_true (canopy_webrtc_candidate_is_reachable ("candidate:1 1 UDP", (const char *const[]) {
                                                         "203.0.113.30", NULL }));
  g_assert_true (canopy_webrtc_candidate_is_reachable ("candidate:1 1 UDP 1 10.0.0.1",
                                                       (const char *const[]) { "203.0.113.30",
                                                                               NULL }));
}

static gboolean
is_ipv6_link_local (const char *address)
{
  return g_ascii_strncasecmp (address, "fe8", 3) == 0 ||
         g_ascii_strncasecmp (address, "fe9", 3) == 0 ||
         g_ascii_strncasecmp (address, "fea", 3) == 0 ||
         g_ascii_strncasecmp (address, "feb", 3) == 0;
}

/* Without configured addresses: every one libnice would take itself but IPv6 link-local ones
 * (this machine's and a CI runner's interfaces have one); with them: those. */
static void
test_local_addresses (void)
{
  g_autoptr (GstElement) any = gst_object_ref_sink (canopy_webrtc_new ("any", NULL, 60));
  const char *const *used = canopy_webrtc_get_local_addresses (any);
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  guint expected = 0;
  char *loopback[] = { "127.0.0.1", NULL };
  CanopyIceConfig ice = { NULL, loopback };
  g_autoptr (GstElement) lo = NULL;

  for (GList *l = ips; l != NULL; l = l->next) {
    g_test_message ("interface address %s", (char *) l->data);
    if (is_ipv6_link_local (l->data))
      continue;
    expected++;
    g_assert_nonnull (used);
    g_assert_true (g_strv_contains (used, l->data));
  }
  g_list_free_full (ips, g_free);
  if (expected == 0)
    g_assert_null (used);
  else
    g_assert_cmpuint (g_strv_length ((GStrv) used), ==, expected);
  for (guint i = 0; used != NULL && used[i] != NULL; i++)
    g_assert_false (is_ipv6_link_local (used[i]));

  lo = gst_object_ref_sink (canopy_webrtc_new ("lo", &ice, 60));
  used = canopy_webrtc_get_local_addresses (lo);
  g_assert_nonnull (used);
  g_assert_cmpstrv (used, loopback);
}

static gsize
max_message_size (const char *application_lines)
{
  g_autofree char *text = g_strdup_printf (
    "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=max-message-size:7\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:5000\r\n%s",
    application_lines);
  GstSDPMessage *sdp = NULL;
  gsize size;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  size = canopy_webrtc_max_message_size (sdp);
  gst_sdp_message_free (sdp);
  return size;
}

/* RFC 8841, as the far side's data channel m-line declares it: Chromium's answers declare
 * nothing (64 KiB), Firefox declares 1 GiB, 0 is any size; only the application m-line
 * counts, and what cannot be read is the default. */
static void
test_max_message_size (void)
{
  g_assert_cmpuint (max_message_size (""), ==, 65536);
  g_assert_cmpuint (max_message_size ("a=max-message-size:262144\r\n"), ==, 262144);
  g_assert_cmpuint (max_message_size ("a=max-message-size:1073741823\r\n"), ==, 1073741823);
  g_assert_cmpuint (max_message_size ("a=max-message-size:1200\r\n"), ==, 1200);
  g_assert_cmpuint (max_message_size ("a=max-message-size:0\r\n"), ==, G_MAXSIZE);
  g_assert_cmpuint (max_message_size ("a=max-message-size:lots\r\n"), ==, 65536);
  g_assert_cmpuint (max_message_size ("a=max-message-size:-5\r\n"), ==, 65536);
}

static gint
find_pt (const char *media_lines,
         const char *media,
         const char *encoding)
{
  g_autofree char *text = g_strconcat ("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
                                       media_lines, NULL);
  GstSDPMessage *sdp = NULL;
  gint pt;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  pt = canopy_webrtc_find_pt (sdp, media, encoding);
  gst_sdp_message_free (sdp);
  return pt;
}

/* The payload type an offer gives an encoding, in its first m-line of a kind; any case, as
 * SDP writes encoding names either way; nothing from a line that is not a plain rtpmap. */
static void
test_find_pt (void)
{
  const char *offer =
    "m=video 9 UDP/TLS/RTP/SAVPF 96 98 99\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:98 red/90000\r\n"
    "a=rtpmap:99 ulpfec/90000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 97 100\r\n"
    "a=rtpmap:97 OPUS/48000/2\r\n"
    "a=rtpmap:100 RED/48000/2\r\n";

  g_assert_cmpint (find_pt (offer, "video", "ULPFEC"), ==, 99);
  g_assert_cmpint (find_pt (offer, "video", "red"), ==, 98);
  g_assert_cmpint (find_pt (offer, "video", "VP8"), ==, 96);
  g_assert_cmpint (find_pt (offer, "audio", "red"), ==, 100);
  g_assert_cmpint (find_pt (offer, "audio", "ulpfec"), ==, -1);
  g_assert_cmpint (find_pt (offer, "application", "red"), ==, -1);
  /* "ulp" is not "ulpfec", nor "VP8" "VP"; numbers out of range or not numbers are skipped */
  g_assert_cmpint (find_pt (offer, "video", "ulp"), ==, -1);
  g_assert_cmpint (find_pt (offer, "video", "VP"), ==, -1);
  g_assert_cmpint (find_pt ("m=video 9 RTP/AVP 96\r\na=rtpmap:300 ulpfec/90000\r\n"
                            "a=rtpmap:x ulpfec/90000\r\na=rtpmap:97ulpfec/90000\r\n",
                            "video", "ulpfec"), ==, -1);
}

int
main (int    argc,
      char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/webrtc/candidate/public-parent", test_public_parent);
  g_test_add_func ("/webrtc/candidate/private-network", test_private_network);
  g_test_add_func ("/webrtc/candidate/kept", test_kept);
  g_test_add_func ("/webrtc/local-addresses", test_local_addresses);
  g_test_add_func ("/webrtc/max-message-size", test_max_message_size);
  g_test_add_func ("/webrtc/find-pt", test_find_pt);
  return g_test_run ();
}
