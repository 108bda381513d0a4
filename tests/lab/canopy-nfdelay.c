/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * canopy-nfdelay: what `tc qdisc add ... netem delay D J loss L rate R` would do, for the test
 * lab, where the kernel has no netem. Packets reach it through an NFQUEUE rule (iptables
 * -j NFQUEUE --queue-num N --queue-bypass; nftables' own `queue` is not built into this
 * kernel either); it drops a share of them at random, holds each of the others for the delay
 * (plus or minus a uniform jitter), then accepts it. Packets leave in the order they came, as
 * from netem without reordering. With --rate it is also a link of that speed: a packet waits
 * for the ones before it to be "sent", and is dropped when more than --backlog ms of them are
 * waiting (a tail-drop queue, like tbf's limit).
 *
 *   canopy-nfdelay --queue 0 --delay 40 --jitter 2 --loss 1 --seed 7 [--rate 2000]
 *
 * It runs in the namespace whose forwarding it impairs (queues are per network namespace);
 * tests/lab/canopy-netlab.sh impair starts it and clear ends it. SIGINT or SIGTERM: the
 * packets held are let through at once and one line of counts goes to stderr (also on
 * SIGUSR1, without ending). The losses are a GRand seeded by --seed (printed when chosen
 * here), so that a run can be repeated with the same pattern of draws.
 *
 * --realtime: netem's timer runs in the kernel; this one is a process. On a 2-core machine
 * with a dozen busy processes it was woken late often enough that a 40 ms delay measured
 * p99 50-139 ms (kernel receive timestamps); as SCHED_FIFO it measured 40.3 ms p99, 40.6 max.
 */
#define G_LOG_DOMAIN "CanopyNfdelay"
/* ppoll */
#define _GNU_SOURCE

#include <glib.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Packets held at once; more than a 40 ms delay of a gigabit link of small packets. */
#define RING_SIZE 65536
/* The kernel's own queue, in packets, before it lets packets through unqueued (fail-open). */
#define KERNEL_QUEUE_MAX 60000
#define RECV_BUFFER_BYTES (16 * 1024 * 1024)
/* Enough of each packet to read its length from the IP header (IPv6: bytes 4-5). */
#define COPY_BYTES 8

typedef struct {
  guint32 id;
  gint64  due_us;
} Held;

typedef struct {
  /* options */
  int    queue;
  double delay_ms;
  double jitter_ms;
  double loss_pct;
  gint64 seed;
  int    rate_kbit;
  int    backlog_ms;
  int    realtime;

  GRand               *rand;
  struct nfq_handle   *handle;
  struct nfq_q_handle *qh;
  Held                *ring;
  guint                head;
  guint                tail;
  gint64               last_due_us;  /* FIFO: nothing leaves before the packet ahead of it */
  gint64               link_free_us; /* --rate: when the link has sent everything accepted so far */

  guint64 n_in;
  guint64 n_lost;    /* the random loss */
  guint64 n_backlog; /* --rate: dropped at the tail of a full backlog */
  guint64 n_full;    /* the ring was full: let through undelayed */
  guint64 n_out;
} Delayer;

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t report_requested;

static void
on_signal (int signum)
{
  if (signum == SIGUSR1)
    report_requested = 1;
  else
    stop_requested = 1;
}

static void
report (const Delayer *d)
{
  g_printerr ("canopy-nfdelay: queue %d: in %" G_GUINT64_FORMAT " lost %" G_GUINT64_FORMAT
              " (%.2f %%) backlog-dropped %" G_GUINT64_FORMAT " undelayed %" G_GUINT64_FORMAT
              " out %" G_GUINT64_FORMAT "\n",
              d->queue, d->n_in, d->n_lost,
              d->n_in > 0 ? 100.0 * (double) d->n_lost / (double) d->n_in : 0.0,
              d->n_backlog, d->n_full, d->n_out);
}

/* The IP packet's length from its first bytes; 0 if they are not an IP header. */
static guint
packet_length (struct nfq_data *nfa)
{
  unsigned char *data = NULL;
  int            len = nfq_get_payload (nfa, &data);

  if (len < 1 || data == NULL)
    return 0;
  if ((data[0] >> 4) == 4 && len >= 4)
    return ((guint) data[2] << 8) | data[3];
  if ((data[0] >> 4) == 6 && len >= 6)
    return 40 + (((guint) data[4] << 8) | data[5]);
  return 0;
}

static void
release (Delayer *d,
         guint32  id)
{
  nfq_set_verdict (d->qh, id, NF_ACCEPT, 0, NULL);
  d->n_out++;
}

static int
on_packet (struct nfq_q_handle *qh,
           struct nfgenmsg     *msg,
           struct nfq_data     *nfa,
           void                *user_data)
{
  Delayer                     *d = user_data;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr (nfa);
  gint64                       now = g_get_monotonic_time ();
  gint64                       due;
  guint32                      id;

  if (header == NULL)
    return 0;
  id = ntohl (header->packet_id);
  d->n_in++;

  if (d->loss_pct > 0 && g_rand_double (d->rand) * 100.0 < d->loss_pct) {
    d->n_lost++;
    return nfq_set_verdict (qh, id, NF_DROP, 0, NULL);
  }

  due = now;
  if (d->rate_kbit > 0) {
    /* bits / (kbit/s) = ms: the time this packet occupies the link. */
    gint64 send_us = (gint64) packet_length (nfa) * 8 * 1000 / d->rate_kbit;
    gint64 start = MAX (now, d->link_free_us);

    if (start - now > (gint64) d->backlog_ms * 1000) {
      d->n_backlog++;
      return nfq_set_verdict (qh, id, NF_DROP, 0, NULL);
    }
    d->link_free_us = start + send_us;
    due = d->link_free_us;
  }
  due += (gint64) (d->delay_ms * 1000.0);
  if (d->jitter_ms > 0)
    due += (gint64) ((g_rand_double (d->rand) * 2.0 - 1.0) * d->jitter_ms * 1000.0);
  due = MAX (due, d->last_due_us);

  if ((d->head + 1) % RING_SIZE == d->tail) {
    /* A full ring: let this one through undelayed (and count it) rather than stall the link. */
    d->n_full++;
    release (d, id);
    return 0;
  }
  d->last_due_us = due;
  d->ring[d->head] = (Held){ id, due };
  d->head = (d->head + 1) % RING_SIZE;
  return 0;
}

static void
release_due (Delayer *d,
             gboolean all)
{
  gint64 now = g_get_monotonic_time ();

  while (d->tail != d->head && (all || d->ring[d->tail].due_us <= now)) {
    release (d, d->ring[d->tail].id);
    d->tail = (d->tail + 1) % RING_SIZE;
  }
}

static gboolean
open_queue (Delayer *d,
            GError **error)
{
  guint8 mode = d->rate_kbit > 0 ? NFQNL_COPY_PACKET : NFQNL_COPY_META;

  d->handle = nfq_open ();
  if (d->handle == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "Cannot open netfilter queues: %s (needs root)", g_strerror (errno));
    return FALSE;
  }
  d->qh = nfq_create_queue (d->handle, d->queue, on_packet, d);
  if (d->qh == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "Cannot bind queue %d: %s (is another delayer on it?)", d->queue,
                 g_strerror (errno));
    return FALSE;
  }
  if (nfq_set_mode (d->qh, mode, COPY_BYTES) < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "Cannot set the copy mode of queue %d: %s", d->queue, g_strerror (errno));
    return FALSE;
  }
  nfq_set_queue_maxlen (d->qh, KERNEL_QUEUE_MAX);
  /* A full kernel queue lets packets through rather than dropping them: the only losses are
   * the ones asked for. */
  nfq_set_queue_flags (d->qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  nfnl_rcvbufsiz (nfq_nfnlh (d->handle), RECV_BUFFER_BYTES);
  return TRUE;
}

static gboolean
run (Delayer *d)
{
  int fd = nfq_fd (d->handle);
  /* Aligned for the netlink headers libnetfilter_queue reads out of it. */
  static char buffer[65536] __attribute__ ((aligned));
  sigset_t    blocked;
  sigset_t    waiting;

  /* The signals arrive only inside ppoll: no flag is missed between the check and the wait. */
  sigemptyset (&blocked);
  sigaddset (&blocked, SIGINT);
  sigaddset (&blocked, SIGTERM);
  sigaddset (&blocked, SIGUSR1);
  sigprocmask (SIG_BLOCK, &blocked, &waiting);
  sigdelset (&waiting, SIGINT);
  sigdelset (&waiting, SIGTERM);
  sigdelset (&waiting, SIGUSR1);

  while (!stop_requested) {
    struct pollfd    pfd = { .fd = fd, .events = POLLIN };
    struct timespec  timeout;
    struct timespec *wait = NULL;

    if (report_requested) {
      report_requested = 0;
      report (d);
    }
    if (d->tail != d->head) {
      gint64 left = MAX (0, d->ring[d->tail].due_us - g_get_monotonic_time ());

      timeout.tv_sec = left / G_USEC_PER_SEC;
      timeout.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
      wait = &timeout;
    }
    if (ppoll (&pfd, 1, wait, &waiting) > 0) {
      for (;;) {
        ssize_t len = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

        if (len > 0) {
          nfq_handle_packet (d->handle, buffer, (int) len);
          continue;
        }
        /* ENOBUFS: the socket overflowed and those packets' messages are gone; the kernel
         * still holds them (fail-open lets later ones through), so read on. */
        if (len < 0 && (errno == ENOBUFS || errno == EINTR))
          continue;
        if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
          break;
        /* Anything else would have this loop spin, in real time: stop instead. */
        g_printerr ("canopy-nfdelay: queue %d: reading failed: %s\n", d->queue,
                    len < 0 ? g_strerror (errno) : "end of stream");
        release_due (d, TRUE);
        return FALSE;
      }
    }
    release_due (d, FALSE);
  }
  release_due (d, TRUE);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  Delayer            d = { .queue = 0, .backlog_ms = 100 };
  const GOptionEntry entries[] = {
    { "queue", 'q', 0, G_OPTION_ARG_INT, &d.queue, "NFQUEUE number (0)", "N" },
    { "delay", 'd', 0, G_OPTION_ARG_DOUBLE, &d.delay_ms, "Delay (0)", "MS" },
    { "jitter", 'j', 0, G_OPTION_ARG_DOUBLE, &d.jitter_ms, "Uniform jitter, +-; at most the "
                                                           "delay (0)",
      "MS" },
    { "loss", 'l', 0, G_OPTION_ARG_DOUBLE, &d.loss_pct, "Random loss (0)", "PERCENT" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &d.seed, "Seed of the random draws; 0 or none: "
                                                   "chosen and printed",
      "N" },
    { "rate", 'r', 0, G_OPTION_ARG_INT, &d.rate_kbit, "Link speed; 0 is unlimited (0)",
      "KBIT" },
    { "backlog", 'b', 0, G_OPTION_ARG_INT, &d.backlog_ms,
      "With --rate: most queued before the tail is dropped (100)", "MS" },
    { "realtime", 't', 0, G_OPTION_ARG_INT, &d.realtime,
      "Run as SCHED_FIFO at this priority (1-99); 0: not (0)", "PRIO" },
    { NULL }
  };
  struct sigaction action = { 0 };
  guint32          seed_words[2];
  gboolean         ok;

  context = g_option_context_new ("- delay, jitter, loss and a rate limit through NFQUEUE");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("canopy-nfdelay: %s\n", error->message);
    return 2;
  }
  if (argc > 1) {
    g_printerr ("canopy-nfdelay: unexpected argument %s\n", argv[1]);
    return 2;
  }
  if (d.queue < 0 || d.queue > 65535 || d.delay_ms < 0 || d.delay_ms > 10000 ||
      d.jitter_ms < 0 || d.jitter_ms > d.delay_ms || d.loss_pct < 0 || d.loss_pct > 100 ||
      d.rate_kbit < 0 || d.backlog_ms < 1 || d.backlog_ms > 10000 || d.realtime < 0 ||
      d.realtime > 99) {
    g_printerr ("canopy-nfdelay: --queue 0-65535, --delay 0-10000, --jitter 0-delay, "
                "--loss 0-100, --rate >= 0, --backlog 1-10000, --realtime 0-99\n");
    return 2;
  }
  if (d.seed == 0)
    d.seed = g_get_real_time () ^ ((gint64) getpid () << 16);
  seed_words[0] = (guint32) d.seed;
  seed_words[1] = (guint32) ((guint64) d.seed >> 32);
  d.rand = g_rand_new_with_seed_array (seed_words, 2);
  d.ring = g_new (Held, RING_SIZE);

  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGUSR1, &action, NULL);

  if (d.realtime > 0) {
    struct sched_param param = { .sched_priority = d.realtime };

    if (sched_setscheduler (0, SCHED_FIFO, &param) != 0)
      g_printerr ("canopy-nfdelay: cannot run in real time (%s): the delays will stretch "
                  "when the machine is busy\n",
                  g_strerror (errno));
  }
  if (!open_queue (&d, &error)) {
    g_printerr ("canopy-nfdelay: %s\n", error->message);
    return 1;
  }
  g_printerr ("canopy-nfdelay: queue %d: delay %.1f ms +- %.1f ms, loss %.2f %% ", d.queue,
              d.delay_ms, d.jitter_ms, d.loss_pct);
  g_printerr ("(seed %" G_GINT64_FORMAT "), ", d.seed);
  if (d.rate_kbit > 0)
    g_printerr ("rate %d kbit/s, backlog %d ms", d.rate_kbit, d.backlog_ms);
  else
    g_printerr ("rate unlimited");
  g_printerr (", %s\n", sched_getscheduler (0) == SCHED_FIFO ? "real time" : "not real time");
  ok = run (&d);
  report (&d);

  nfq_destroy_queue (d.qh);
  nfq_close (d.handle);
  g_rand_free (d.rand);
  g_free (d.ring);
  return ok ? 0 : 1;
}
