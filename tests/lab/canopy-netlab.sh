#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# canopy-netlab.sh up|down PREFIX
# canopy-netlab.sh cut|heal PREFIX ADDR1 ADDR2
# canopy-netlab.sh impair PREFIX ROLE DELAY_MS LOSS_PCT [JITTER_MS]
# canopy-netlab.sh clear PREFIX ROLE
# canopy-netlab.sh limit PREFIX ROLE KBIT
# canopy-netlab.sh unlimit PREFIX ROLE
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
#
# impair delays every packet a namespace's link carries by DELAY_MS (+- JITTER_MS, uniform) and
# drops LOSS_PCT % of them at random, in each direction: this kernel has no netem, so an
# NFQUEUE rule hands them to canopy-nfdelay (tests/lab/canopy-nfdelay.c; $CANOPY_NFDELAY, or
# canopy-nfdelay on PATH), which runs in the namespace that forwards them (queues are per
# namespace) and whose pid and counts are kept in $CANOPY_NETLAB_RUN (/run/canopy-netlab).
# It runs as SCHED_FIFO priority $CANOPY_NFDELAY_RT (10; 0: not), or a busy machine stretches
# its delays; $CANOPY_NFDELAY_SEED seeds its losses.
# ROLE is where:
#   nata, natb             the NAT router: whatever it forwards, both ways (the host behind it)
#   stun, sig, pub, pub2   the bridge port of that namespace, both ways (br_netfilter, which
#                          this kernel has built in and which is per namespace)
#   inet                   everything the bridge forwards: every pair of namespaces, once
# Impairments of different roles add up along a path (a port's on the bridge's PREROUTING and
# POSTROUTING, inet's on its FORWARD). impair of an impaired ROLE replaces it. clear ends the
# delayer and prints its counts (in, lost, out); clearing what is not impaired is no error.
#
# limit caps ROLE's link at KBIT kbit/s each way with tc's tbf (no netem needed): a NAT
# router's lan and wan, or the bridge port and eth0 of a public namespace. unlimit removes it.
# down also ends the prefix's delayers.
set -eu

usage() {
  echo "usage: $0 up|down PREFIX" >&2
  echo "       $0 cut|heal PREFIX ADDR1 ADDR2" >&2
  echo "       $0 impair PREFIX ROLE DELAY_MS LOSS_PCT [JITTER_MS]" >&2
  echo "       $0 clear PREFIX ROLE" >&2
  echo "       $0 limit PREFIX ROLE KBIT" >&2
  echo "       $0 unlimit PREFIX ROLE" >&2
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

run_dir=${CANOPY_NETLAB_RUN:-/run/canopy-netlab}

down() {
  for r in $roles; do
    stop_delayer "$r" >/dev/null
    rm -f "$run_dir/$p-$r.log"
  done
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

# --- impair, clear, limit, unlimit -----------------------------------------------------------

has_ns() {
  ip netns list | grep -q "^$1\( \|$\)"
}

# number NAME VALUE MAX: VALUE is a decimal number from 0 to MAX.
number() {
  case "$2" in
    "" | . | *[!0-9.]* | *.*.*) die "$1 must be a number, not '$2'" ;;
  esac
  awk -v v="$2" -v m="$3" 'BEGIN { exit !(v + 0 <= m + 0) }' || die "$1 must be at most $3"
}

# Where ROLE's delayer runs (its namespace), its queue there, and how its packets are picked.
# Sets ns, queue, hooks: "CHAIN MATCH..." lines for iptables' mangle table.
impair_place() {
  case "$1" in
    nata | natb)
      ns="$p-$1"
      queue=0
      hooks="FORWARD"
      ;;
    inet)
      ns="$p-inet"
      queue=0
      hooks="FORWARD"
      ;;
    stun | sig | pub | pub2)
      ns="$p-inet"
      # One queue per port: several ports can be impaired at once.
      case "$1" in stun) queue=1 ;; sig) queue=2 ;; pub) queue=3 ;; pub2) queue=4 ;; esac
      hooks="PREROUTING -m physdev --physdev-in $p$1
POSTROUTING -m physdev --physdev-out $p$1"
      ;;
    *) die "cannot impair '$1': nata, natb, inet, stun, sig, pub or pub2" ;;
  esac
  has_ns "$ns" || die "no lab $p: run up first"
}

# rules -A|-D: adds, or deletes (every copy of), the NFQUEUE rules impair_place described.
rules() {
  echo "$hooks" | while read -r chain match; do
    # shellcheck disable=SC2086 # match is several words on purpose
    if [ "$1" = -A ]; then
      ip netns exec "$ns" iptables -t mangle -A "$chain" $match \
        -j NFQUEUE --queue-num "$queue" --queue-bypass
    else
      while ip netns exec "$ns" iptables -t mangle -C "$chain" $match \
              -j NFQUEUE --queue-num "$queue" --queue-bypass 2>/dev/null; do
        ip netns exec "$ns" iptables -t mangle -D "$chain" $match \
          -j NFQUEUE --queue-num "$queue" --queue-bypass
      done
    fi
  done
}

# The pid in ROLE's pid file if that process is still our delayer in ROLE's namespace.
delayer_pid() {
  f="$run_dir/$p-$1.pid"
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  case "$pid" in "" | *[!0-9]*) return 0 ;; esac
  # A pid reused since is not ours: ours runs canopy-nfdelay in that namespace (ip netns
  # identify names it; nothing, once the namespace was deleted under it).
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q canopy-nfdelay ||
    return 0
  where=$(ip netns identify "$pid" 2>/dev/null || true)
  if [ "$where" = "$2" ] || { [ -z "$where" ] && ! has_ns "$2"; }; then
    echo "$pid"
  fi
}

# stop_delayer ROLE: SIGTERM to ROLE's delayer, by its pid; waits for it; prints its counts.
stop_delayer() {
  case "$1" in
    nata | natb) dns="$p-$1" ;;
    *) dns="$p-inet" ;;
  esac
  pid=$(delayer_pid "$1" "$dns")
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while [ -d "/proc/$pid" ] && [ $i -lt 50 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    if [ -d "/proc/$pid" ]; then
      echo "canopy-netlab: delayer $pid of $p-$1 did not end: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    # Its last line: "canopy-nfdelay: queue N: in .. lost .. out ..".
    tail -n 1 "$run_dir/$p-$1.log" | sed "s/^canopy-nfdelay:/$p-$1:/"
  fi
  rm -f "$run_dir/$p-$1.pid"
}

impair() {
  role=$1
  impair_place "$role"
  number DELAY_MS "$2" 10000
  number LOSS_PCT "$3" 100
  number JITTER_MS "$4" "$2"
  nfdelay=${CANOPY_NFDELAY:-canopy-nfdelay}
  command -v "$nfdelay" >/dev/null 2>&1 ||
    die "$nfdelay not found: build it (libnetfilter-queue-dev; meson builds tests/lab/canopy-nfdelay) and set CANOPY_NFDELAY"
  unimpair "$role" >/dev/null
  mkdir -p "$run_dir"
  log="$run_dir/$p-$role.log"
  : >"$log"
  # Bridged IPv4 through iptables' hooks: the default, but say so.
  if [ "$ns" = "$p-inet" ]; then
    ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1
  fi
  # Its own session, its output to the log: it outlives this script and holds none of its pipes.
  setsid ip netns exec "$ns" "$nfdelay" --queue "$queue" --delay "$2" --loss "$3" \
    --jitter "$4" --realtime "${CANOPY_NFDELAY_RT:-10}" \
    ${CANOPY_NFDELAY_SEED:+--seed "$CANOPY_NFDELAY_SEED"} </dev/null >"$log" 2>&1 &
  echo $! >"$run_dir/$p-$role.pid"
  # Bound to its queue once it printed its settings; only then do packets go there.
  i=0
  until grep -q "^canopy-nfdelay: queue" "$log"; do
    if ! kill -0 "$(cat "$run_dir/$p-$role.pid")" 2>/dev/null || [ $i -ge 100 ]; then
      cat "$log" >&2
      rm -f "$run_dir/$p-$role.pid"
      die "the delayer for $p-$role did not start"
    fi
    sleep 0.05
    i=$((i + 1))
  done
  rules -A
}

# unimpair ROLE: its rules out, its delayer ended (its counts printed).
unimpair() {
  impair_place "$1"
  rules -D
  stop_delayer "$1"
}

# The interfaces that carry ROLE's link, as "NAMESPACE DEVICE" lines.
limit_devices() {
  case "$1" in
    nata | natb)
      echo "$p-$1 lan"
      echo "$p-$1 wan"
      ;;
    stun | sig | pub | pub2)
      echo "$p-inet $p$1"
      echo "$p-$1 eth0"
      ;;
    *) die "cannot limit '$1': nata, natb, stun, sig, pub or pub2" ;;
  esac
}

limit() {
  number KBIT "$2" 10000000
  command -v tc >/dev/null 2>&1 || die "tc is missing (Debian package iproute2)"
  kbit=$(awk -v v="$2" 'BEGIN { printf "%d", v }')
  [ "$kbit" -ge 8 ] || die "KBIT must be at least 8"
  # A burst of 10 ms at the rate, at least four full-size packets; at most 100 ms queued.
  burst=$(awk -v k="$kbit" 'BEGIN { b = k * 1000 / 8 / 100; printf "%d", b < 6056 ? 6056 : b }')
  limit_devices "$1" | while read -r lns dev; do
    has_ns "$lns" || die "no lab $p: run up first"
    ip netns exec "$lns" tc qdisc replace dev "$dev" root tbf rate "${kbit}kbit" \
      burst "$burst" latency 100ms
  done
}

unlimit() {
  limit_devices "$1" | while read -r lns dev; do
    has_ns "$lns" || continue
    if ip netns exec "$lns" tc qdisc show dev "$dev" root | grep -q "^qdisc tbf"; then
      ip netns exec "$lns" tc qdisc del dev "$dev" root
    fi
  done
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
  impair)
    [ $# -eq 5 ] || [ $# -eq 6 ] || usage
    impair "$3" "$4" "$5" "${6:-0}"
    ;;
  clear)
    [ $# -eq 3 ] || usage
    unimpair "$3"
    ;;
  limit)
    [ $# -eq 4 ] || usage
    limit "$3" "$4"
    ;;
  unlimit)
    [ $# -eq 3 ] || usage
    unlimit "$3"
    ;;
  *)
    usage
    ;;
esac
