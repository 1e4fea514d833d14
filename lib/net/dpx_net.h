/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx net: DPDK ports (queues, mempools, offloads, link), the per-worker
 * receive/transmit path and the IPv4 base: Ethernet, ARP (per-worker cache
 * with aging, pending-packet queues, gratuitous ARP), IPv4 (validation,
 * connected + gateway routing) and ICMP (echo, port unreachable for UDP).
 * Also test-only fault injection (drop, duplicate, reorder, delay) per
 * port and direction.
 *
 * Ownership: struct dpx_net (ports, mempools) belongs to the control plane
 * and is read-only once workers run. Each worker owns its struct
 * dpx_net_worker: one RX and one TX queue per port (queue id = worker
 * index), its TX buffers, ARP cache and counters. Counters are plain
 * per-worker integers that the control plane sums on read.
 *
 * Upper layers (TCP, UDP) hook in with dpx_net_set_l4_handler() and send
 * with dpx_ipv4_output().
 *
 * Flow affinity: every TCP/UDP flow has one owner worker,
 * dpx_net_flow_owner(): the NIC's symmetric RSS (same key, RETA read back
 * into struct dpx_port) on ports where software can reproduce the NIC's
 * choice, otherwise a software dispatcher that hands packets received by
 * another worker to the owner over a lock-free ring. Active opens pick
 * their local port with dpx_net_pick_local_port() so replies come home.
 */
#ifndef DPX_NET_H
#define DPX_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_config.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dpx_core.h"

#define DPX_RX_BURST 32
#define DPX_TX_BUF 64
/* Largest RSS redirection table mirrored in software (ice PF: 2048). */
#define DPX_RETA_MAX 2048

/* Why a packet was dropped; names in dpx_drop_names[] (stats keys). */
enum dpx_drop_reason {
	DPX_DROP_ETH_TRUNCATED,
	DPX_DROP_ETH_NOT_FOR_US,
	DPX_DROP_ETHERTYPE,
	DPX_DROP_ARP_MALFORMED,
	DPX_DROP_ARP_NOT_FOR_US,
	DPX_DROP_IP_TRUNCATED,
	DPX_DROP_IP_HEADER,
	DPX_DROP_IP_CHECKSUM,
	DPX_DROP_IP_FRAGMENT,
	DPX_DROP_IP_NOT_LOCAL,
	DPX_DROP_IP_PROTO,
	DPX_DROP_ICMP_MALFORMED,
	DPX_DROP_ICMP_TYPE,
	DPX_DROP_NO_ROUTE,
	DPX_DROP_TOO_BIG,
	DPX_DROP_ARP_UNRESOLVED,
	DPX_DROP_NO_MBUF,
	DPX_DROP_TX_FULL,
	DPX_DROP_FAULT,
	DPX_DROP_DISPATCH_FULL,
	DPX_DROP_MAX
};

extern const char *const dpx_drop_names[DPX_DROP_MAX];

struct dpx_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t arp_requests_sent;
	uint64_t arp_replies_sent;
	uint64_t arp_evicted;      /* unresolved entries given up for new ones */
	uint64_t icmp_echo_replies;
	uint64_t icmp_unreachables_sent; /* for upper layers (UDP) */
	uint64_t fault_duplicated;
	uint64_t fault_reordered;
	uint64_t fault_delayed;
	uint64_t dispatched_out;  /* handed to the flow's owner worker */
	uint64_t dispatched_in;   /* received from another worker */
	uint64_t dispatched_out_udp; /* UDP datagrams among dispatched_out */
	uint64_t drops[DPX_DROP_MAX];
};

/* One port as the data path sees it: read-only once workers run. */
struct dpx_port {
	uint16_t port_id;              /* DPDK ethdev id */
	uint16_t index;                /* position in the config */
	const struct dpx_port_conf *conf;
	struct rte_ether_addr mac;
	uint32_t masks[DPX_MAX_ADDRS]; /* host order, per conf->addrs[] */
	uint16_t mtu;
	uint16_t n_queues;
	int socket_id;
	uint64_t tx_offloads;          /* RTE_ETH_TX_OFFLOAD_* in use */
	uint64_t rx_offloads;
	bool started;                  /* needs stop + close at exit */
	bool rss;                      /* the device spreads flows by RSS */
	/* The device's hash is the Toeplitz hash of the IPv4 TCP and UDP
	 * 4-tuple under our key: m->hash.rss is worth trusting. */
	bool rss_l4;
	/* Copy of the device's redirection table (hash -> queue); 0 when
	 * software cannot predict the device's queue choice, in which case
	 * the software dispatcher moves packets to their owner. */
	uint16_t reta_size;
	uint8_t reta[DPX_RETA_MAX];
	/* What an idle worker can sleep on for this port's queue q: the
	 * PMD's Rx interrupt (rx_intr), or the AF_XDP socket of the queue
	 * (xdp_fd[q], -1 if none). */
	bool rx_intr;
	int xdp_fd[DPX_MAX_WORKERS];
};

struct dpx_net {
	const struct dpx_config *cfg;
	struct dpx_port ports[DPX_MAX_PORTS];
	unsigned int n_ports;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES]; /* per socket in use */
	unsigned int n_workers;
	int worker_socket[DPX_MAX_WORKERS];
	struct rte_ring *arp_inbox[DPX_MAX_WORKERS]; /* learned neighbours */
	struct rte_ring *handoff[DPX_MAX_WORKERS];   /* dispatched mbufs */
	/* Adaptive idle: a worker that sleeps says so, and peers that give
	 * it work through a ring write its eventfd (-1: none). */
	atomic_bool sleeping[DPX_MAX_WORKERS];
	int kick_fd[DPX_MAX_WORKERS];
};

/*
 * Control plane. dpx_net_init: probe/configure/start every configured port
 * with n_workers queue pairs, and one mempool per NUMA socket that has
 * workers or ports. worker_sockets[i] is the socket of worker i. Returns 0 or a
 * negative errno with a logged message. dpx_net_fini stops and closes ports
 * and frees pools; it is safe on a partly initialised dpx_net.
 */
int dpx_net_init(struct dpx_net *net, const struct dpx_config *cfg,
		 unsigned int n_workers, const int *worker_sockets);
void dpx_net_fini(struct dpx_net *net);

/* Per worker. init allocates the worker's state on its socket. */
int dpx_net_worker_init(struct dpx_worker *w, struct dpx_net *net);
void dpx_net_worker_fini(struct dpx_worker *w);

/*
 * The worker loop. A pass is, in this order:
 *
 *   dpx_net_worker_poll()  RX bursts on every port and the packets peers
 *                          dispatched here (rx), Ethernet/ARP/IPv4 over
 *                          the whole batch (net), then the batch's L4
 *                          packets to their handlers (tcp);
 *   upper layers           deliver what arrived to the application (app),
 *                          run due timers (timers), send what the
 *                          application queued (tcp);
 *   dpx_net_flush()        TX bursts (tx);
 *   dpx_net_pass_end()     closes the pass's cycle accounting.
 *
 * Work is done per batch, not per packet, so each stage pays its set-up
 * once per pass and the TSC is read once per stage change. A layer that has
 * nothing to do in a pass does not change stage, so an empty pass costs one
 * TSC read and counts as idle.
 */
extern const char *const dpx_stage_names[DPX_STAGE_MAX];

/* Charges the cycles since the last change to the current stage and
 * makes s current; the pass counts as busy. */
static inline void
dpx_stage_enter(struct dpx_worker *w, enum dpx_stage s)
{
	struct dpx_runtime *rt = &w->rt;
	uint64_t now = rte_rdtsc();

	rt->cycles[rt->stage] += now - rt->mark;
	rt->mark = now;
	rt->stage = (uint8_t)s;
	rt->busy = true;
}

/* The TSC at the start of this pass or its last stage change: the loop's
 * clock, so that layers need not read the TSC themselves. */
static inline uint64_t
dpx_worker_tsc(const struct dpx_worker *w)
{
	return w->rt.mark;
}

/* Before the first pass: the accounting starts now. */
void dpx_net_loop_begin(struct dpx_worker *w);

/* Returns the number of packets received from ports and peers. */
unsigned int dpx_net_worker_poll(struct dpx_worker *w);

/* Ends a pass: its cycles go to the stage that ran last, or to idle when
 * nothing was done. Returns whether the pass did any work. */
bool dpx_net_pass_end(struct dpx_worker *w);

/*
 * Adaptive idle (config "idle": "adaptive"). After a pass that did
 * nothing, dpx_net_idle_due() tells whether the worker has been idle for
 * idle_spin_us; if so the caller may sleep with dpx_net_sleep(), which
 * returns when a packet reaches one of the worker's queues, a peer hands it
 * packets, or max_us passed (the caller's next timer). Ports that offer
 * something to wait on (TAP Rx interrupts, AF_XDP sockets) are slept on;
 * otherwise the worker naps in growing steps and polls.
 */
bool dpx_net_idle_due(const struct dpx_worker *w);
void dpx_net_sleep(struct dpx_worker *w, uint64_t max_us);

/* Sends a gratuitous ARP for every address of every port. */
void dpx_net_announce(struct dpx_worker *w);

/* Route to dst: the port and the local source address to use.
 * Returns 0, or -1 when no connected prefix or gateway reaches it. */
int dpx_net_route(const struct dpx_worker *w, uint32_t dst,
		  unsigned int *port, uint32_t *src);
/* The control-plane view of ports shared by every worker. */
const struct dpx_net *dpx_net_shared(const struct dpx_worker *w);

/* Port p as the data path sees it, and the worker's mbuf pool. */
const struct dpx_port *dpx_net_port(const struct dpx_worker *w,
				    unsigned int port);
struct rte_mempool *dpx_net_pool(const struct dpx_worker *w);

/* Per-worker counters of port p (for the control plane's sums). */
const struct dpx_port_stats *dpx_net_worker_stats(const struct dpx_worker *w,
						  unsigned int port);

/* Processes one received frame on port p at once, L4 handler included
 * (tests and fuzzing; the worker loop goes by batches). */
void dpx_net_input(struct dpx_worker *w, unsigned int port,
		   struct rte_mbuf *m);

/* Flush every port's TX buffer now. */
void dpx_net_flush(struct dpx_worker *w);

/*
 * Upper-layer hook: called once per pass with the pass's packets of its
 * protocol, in arrival order, after the whole batch went through IPv4
 * (so a handler can look its connections up and prefetch them together).
 * Each packet's data points at its L4 header, with m->l3_len set, the
 * IPv4 header still in front of it and m->port the index of the port it
 * came in on. The handler owns the packets.
 */
typedef void (*dpx_l4_handler_t)(struct dpx_worker *w, struct rte_mbuf **pkts,
				 unsigned int n);
void dpx_net_set_l4_handler(struct dpx_worker *w, uint8_t proto,
			    dpx_l4_handler_t fn);

/*
 * Send an IPv4 packet whose payload (L4 header + data) starts at m's data
 * pointer: prepends the IPv4 and Ethernet headers, picks the route, resolves
 * the next hop (queueing on ARP when needed) and buffers for TX. Consumes m.
 * src 0 picks the outgoing port's first address. Returns 0 or -errno
 * (m is freed and the drop counted in that case).
 */
int dpx_ipv4_output(struct dpx_worker *w, struct rte_mbuf *m,
		    uint32_t src, uint32_t dst, uint8_t proto);

/*
 * ICMP destination unreachable, code port unreachable (RFC 792, RFC 1122
 * 4.1.3.1), for a datagram no one receives: m as an L4 handler gets it
 * (data at the L4 header, the IPv4 header in front, m->port the port
 * index). The answer quotes the IPv4 header and 8 bytes of the datagram;
 * m is not consumed. Rate limiting is the caller's. Returns 0 or -errno.
 */
int dpx_icmp_port_unreachable(struct dpx_worker *w, const struct rte_mbuf *m);

/* The 16-bit one's complement sum of buf, not inverted: what
 * rte_raw_cksum() returns, several times faster (8 bytes per step). */
uint16_t dpx_cksum(const void *buf, size_t len);
/* The sum (as dpx_cksum()) of a whole mbuf chain's data, segments of any
 * length, using the known sums of dpx_mbuf_sum_get() where set. */
uint16_t dpx_cksum_chain(const struct rte_mbuf *m);
/* a - b in one's complement arithmetic: the sum of a buffer without a
 * part of it (at an even offset; byte-swap for an odd one). */
uint16_t dpx_cksum_sub(uint16_t a, uint16_t b);
/* The IPv4 pseudo header's sum (RFC 9293 3.1, RFC 768), not inverted, for
 * an L4 segment of len bytes of protocol proto (IPPROTO_TCP, IPPROTO_UDP)
 * from src to dst (host order): what a device that completes the L4
 * checksum expects in the field (DPDK's convention). */
uint16_t dpx_cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
			  uint16_t len);

/* Prefetches both lines of mbuf m's header for writing: an mbuf about
 * to be reset or attached, whose header may have left the caches (a
 * large response has more in flight than the mempool's per-core cache). */
static inline void
dpx_mbuf_prefetch_w(const struct rte_mbuf *m)
{
	rte_prefetch0_write(m);
	rte_prefetch0_write(RTE_PTR_ADD(m, RTE_CACHE_LINE_SIZE));
}

/* What the receiving device said of a packet's L4 checksum. */
enum dpx_rx_l4_cksum {
	DPX_RX_L4_CKSUM_GOOD,
	DPX_RX_L4_CKSUM_BAD,
	DPX_RX_L4_CKSUM_UNKNOWN,        /* software has to sum it */
};

static inline enum dpx_rx_l4_cksum
dpx_rx_l4_cksum(const struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	/* NONE: the data is intact though the field is not (a partial
	 * checksum a virtual device passed on), as good as GOOD. */
	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD || f == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return DPX_RX_L4_CKSUM_GOOD;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return DPX_RX_L4_CKSUM_BAD;
	return DPX_RX_L4_CKSUM_UNKNOWN;
}

/*
 * The known sum of an mbuf segment's data (dpx_cksum() of it), so that
 * payload TCP received and verified is not read again when it is sent on:
 * TCP sets it on received payload, whoever cuts a segment in two keeps
 * both halves' sums, TCP output uses it. A sum is valid only for the
 * segment's view it was set for (data_off, data_len) and only while a flag
 * in ol_flags is set, which every allocation and receive clears; a clone
 * inherits the flag, so whoever clones sets or clears the sum. init
 * registers the mbuf dynamic field (control plane, before workers run);
 * without it no sum is ever known. Returns 0 or -1.
 */
int dpx_mbuf_sum_init(void);
void dpx_mbuf_sum_set(struct rte_mbuf *m, uint16_t sum);
void dpx_mbuf_sum_clear(struct rte_mbuf *m);
bool dpx_mbuf_sum_get(const struct rte_mbuf *m, uint16_t *sum);

/*
 * A connection's way out, filled by the first packet sent on it: the
 * port, the source address and the next hop's MAC. While the worker's
 * neighbours do not change (gen), dpx_ipv4_output_path() skips the route
 * and ARP lookups. Zero it to start; a stale one is refilled on use.
 */
struct dpx_net_path {
	uint32_t gen;
	uint16_t port;
	struct rte_ether_addr mac;
	uint32_t src, dst;          /* what ip_sum was computed for */
	uint32_t ip_sum;            /* IPv4 header sum but for total_length */
};

/* dpx_ipv4_output() through path (see above); src must be given. */
int dpx_ipv4_output_path(struct dpx_worker *w, struct dpx_net_path *path,
			 struct rte_mbuf *m, uint32_t src, uint32_t dst,
			 uint8_t proto);

/* An IPv4 TCP or UDP flow as this host sees it, in host byte order. */
struct dpx_flow4 {
	uint32_t remote_ip, local_ip;
	uint16_t remote_port, local_port;
};

/*
 * The worker that owns flow f on port p: the same answer the NIC's RSS gives
 * for packets of this flow, or, on a device without RSS, the software
 * dispatcher's. Both directions of a flow have the same owner.
 */
unsigned int dpx_net_flow_owner(const struct dpx_net *net, unsigned int port,
				const struct dpx_flow4 *f);

/*
 * For active opens: a local port in [lo, hi], searched from start (wrapping
 * to lo), whose flow to remote_ip:remote_port on port is owned by worker w.
 * Returns 0 and *out, or -1 if no port of the range fits. The caller checks
 * its own table for conflicts and calls again from *out + 1.
 */
int dpx_net_pick_local_port(const struct dpx_net *net, unsigned int port,
			    unsigned int w, uint32_t local_ip,
			    uint32_t remote_ip, uint16_t remote_port,
			    uint16_t lo, uint16_t hi, uint16_t start,
			    uint16_t *out);

#endif /* DPX_NET_H */
