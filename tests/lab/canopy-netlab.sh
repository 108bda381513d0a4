#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# canopy-netlab.sh up|down PREFIX
# canopy-netlab.sh cut|heal PREFIX ADDR1 ADDR2
#
# A closed network of namespaces for tests across NATs (tests/core/test-nat.c), rebuilt from
# the shared lab (netlab.sh): nothing is attached to the root namespace, so no packet leaves
# it. Every namespace is named PREFIX-ROLE and every interface the bridge sees PREFIXROLE, so
# that two runs with different prefixes never meet; inside a namespace an interface is named
# by its role (eth0, wan, lan).
#
#   "internet" 203.0.113.0/24 (TEST-NET-3): bridge br0 in PREFIX-inet, which is 203.0.113.1,
#   everyone's default gateway, and forwards nothing (a packet to an unknown address is
#   dropped, as on the internet; without a default route coturn drops its allocations on
#   ENETUNREACH)
#     PREFIX-stun  203.0.113.10, .11   STUN/TURN (coturn)
#     PREFIX-sig   203.0.113.20        signalling server
#     PREFIX-pub   203.0.113.30        a public peer
#     PREFIX-pub2  203.0.113.31        another public peer
#     PREFIX-nata  wan 203.0.113.101, lan 10.51.0.1 -> PREFIX-a 10.51.0.2
#                  nftables masquerade: a port-restricted cone NAT
#     PREFIX-natb  wan 203.0.113.102, lan 10.52.0.1 -> PREFIX-b 10.52.0.2
#                  iptables MASQUERADE --random-fully: a symmetric NAT
#
# cut drops UDP between two public addresses where the bridge forwards it (nftables' bridge
# family: no br_netfilter needed), both ways; TCP (the signalling) still passes. heal undoes
# it. down is idempotent. Needs root, ip (iproute2), nft (nftables) and iptables.
set -eu

usage() {
  echo "usage: $0 up|down PREFIX" >&2
  echo "       $0 cut|heal PREFIX ADDR1 ADDR2" >&2
  exit 2
}

die() {
  echo "canopy-netlab: $*" >&2
  exit 1
}

[ $# -ge 2 ] || usage
verb=$1
p=$2
# Interface names are at most 15 bytes: PREFIX (10) + the longest role (4) fits.
case "$p" in
  "" | *[!a-z0-9]* | [!a-z]*) die "PREFIX must be a lower-case letter, then letters or digits" ;;
esac
[ ${#p} -le 10 ] || die "PREFIX must be at most 10 characters"
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
for tool in ip nft iptables; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is missing (Debian packages iproute2, nftables, iptables; build-aux/install-deps)"
done

roles="inet stun sig pub pub2 nata a natb b"

down() {
  for r in $roles; do
    if ip netns list | grep -q "^$p-$r\( \|$\)"; then
      ip netns del "$p-$r"
    fi
  done
}

# pub ROLE ADDR...: namespace PREFIX-ROLE on the bridge with ADDRs on its eth0.
pub() {
  r=$1
  shift
  ip link add "$p$r" netns "$p-inet" type veth peer name eth0 netns "$p-$r"
  ip -n "$p-inet" link set "$p$r" master br0 up
  for a in "$@"; do
    ip -n "$p-$r" addr add "$a/24" dev eth0
  done
  ip -n "$p-$r" link set eth0 up
  ip -n "$p-$r" route add default via 203.0.113.1
}

# nat ROLE WAN_ADDR LAN_NET BEHIND: namespace PREFIX-ROLE routing between the bridge (wan) and
# namespace PREFIX-BEHIND (lan, LAN_NET.1 | LAN_NET.2); the caller adds the translation.
nat() {
  r=$1
  ip link add "$p$r" netns "$p-inet" type veth peer name wan netns "$p-$r"
  ip -n "$p-inet" link set "$p$r" master br0 up
  ip -n "$p-$r" addr add "$2/24" dev wan
  ip -n "$p-$r" link set wan up
  ip -n "$p-$r" route add default via 203.0.113.1
  ip link add lan netns "$p-$r" type veth peer name eth0 netns "$p-$4"
  ip -n "$p-$r" addr add "$3.1/24" dev lan
  ip -n "$p-$r" link set lan up
  ip -n "$p-$4" addr add "$3.2/24" dev eth0
  ip -n "$p-$4" link set eth0 up
  ip -n "$p-$4" route add default via "$3.1"
  ip netns exec "$p-$r" sysctl -qw net.ipv4.ip_forward=1
}

up() {
  down
  for r in $roles; do
    ip netns add "$p-$r"
    ip -n "$p-$r" link set lo up
  done
  ip -n "$p-inet" link add br0 type bridge
  ip -n "$p-inet" link set br0 up
  ip -n "$p-inet" addr add 203.0.113.1/24 dev br0
  # Where cut puts its address pairs: UDP between them is dropped on the bridge.
  ip netns exec "$p-inet" nft -f - <<'NFT'
table bridge canopy_cut {
  set pairs { type ipv4_addr . ipv4_addr; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    meta protocol ip ip saddr . ip daddr @pairs meta l4proto udp drop
  }
}
NFT
  pub stun 203.0.113.10 203.0.113.11
  pub sig 203.0.113.20
  pub pub 203.0.113.30
  pub pub2 203.0.113.31

  nat nata 203.0.113.101 10.51.0 a
  ip netns exec "$p-nata" nft -f - <<'NFT'
table ip nat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "wan" masquerade; }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
}
NFT

  nat natb 203.0.113.102 10.52.0 b
  ip netns exec "$p-natb" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully
  ip netns exec "$p-natb" iptables -P FORWARD DROP
  ip netns exec "$p-natb" iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ip netns exec "$p-natb" iptables -A FORWARD -i lan -o wan -j ACCEPT
}

# pairs add|delete ADDR1 ADDR2
pairs() {
  case "$2" in *[!0-9.]* | "") die "$2 is not an IPv4 address" ;; esac
  case "$3" in *[!0-9.]* | "") die "$3 is not an IPv4 address" ;; esac
  ip netns list | grep -q "^$p-inet\( \|$\)" || die "no lab $p: run up first"
  if [ "$1" = add ]; then
    ip netns exec "$p-inet" nft add element bridge canopy_cut pairs "{ $2 . $3, $3 . $2 }"
  else
    # Healing what is not cut is no error.
    for pair in "$2 . $3" "$3 . $2"; do
      if ip netns exec "$p-inet" nft get element bridge canopy_cut pairs "{ $pair }" \
           >/dev/null 2>&1; then
        ip netns exec "$p-inet" nft delete element bridge canopy_cut pairs "{ $pair }"
      fi
    done
  fi
}

case "$verb" in
  up)
    [ $# -eq 2 ] || usage
    up
    ;;
  down)
    [ $# -eq 2 ] || usage
    down
    ;;
  cut)
    [ $# -eq 4 ] || usage
    pairs add "$3" "$4"
    ;;
  heal)
    [ $# -eq 4 ] || usage
    pairs delete "$3" "$4"
    ;;
  *)
    usage
    ;;
esac
