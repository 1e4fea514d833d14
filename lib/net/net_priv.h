/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/net: per-worker state and the helpers its files share. */
#ifndef DPX_NET_PRIV_H
#define DPX_NET_PRIV_H

#include <stdbool.h>

#include <rte_ip.h>
#include <rte_ring.h>

#include "dpx_net.h"

#define DPX_FAULT_DELAY_SLOTS 1024
#define DPX_TIMER_PERIOD_MS 100
/* The RSS key every port is configured with, and the least of it the
 * IPv4 4-tuple hash reads (12 bytes of input + 4). */
#define DPX_RSS_KEY_LEN 52
#define DPX_RSS_KEY_MIN 16
/* Mbufs a worker takes from its handoff ring per poll. */
#define DPX_HANDOFF_BURST 64

enum dpx_arp_state {
	DPX_ARP_FREE = 0,
	DPX_ARP_INCOMPLETE,
	DPX_ARP_REACHABLE,
};

struct dpx_arp_entry {
	uint32_t ip;              /* host order */
	uint8_t state;
	uint8_t port;
	uint8_t retries;
	uint8_t n_pending;
	struct rte_ether_addr mac;
	uint32_t next;            /* bucket chain / free list, UINT32_MAX ends */
	uint64_t deadline;        /* REACHABLE: expiry; INCOMPLETE: next retry */
};

/* Message a worker posts to its peers when it learns a neighbour. */
struct dpx_arp_note {
	uint32_t ip;
	uint8_t port;
	uint8_t pad;
	struct rte_ether_addr mac;
};

/* Chained hash over a fixed pool of max entries: no allocation after
 * start, a hard bound on memory, O(1) delete. */
struct dpx_arp_table {
	struct dpx_arp_entry *entries; /* max */
	uint32_t *buckets;             /* max heads, UINT32_MAX: empty */
	uint32_t mask;                 /* max - 1 */
	uint32_t free_head;
	uint32_t count;
	uint32_t max;
	uint32_t max_pending;
	uint32_t evict_cursor;
	/* Bumped whenever a neighbour's MAC or port changes or an entry
	 * goes: a struct dpx_net_path filled at another value is stale. */
	uint32_t gen;
	struct rte_mbuf **pending;     /* max * max_pending, by entry index */
};

struct dpx_fault_held {
	struct rte_mbuf *m;
	uint64_t release;
};

/* Fault injection state for one port and direction. */
struct dpx_fault_state {
	const struct dpx_fault_dir *p;
	uint64_t rng;
	uint64_t delay_tsc;       /* how long delayed/reordered packets wait */
	struct rte_mbuf *reorder_held;
	uint64_t reorder_since;
	struct dpx_fault_held delay[DPX_FAULT_DELAY_SLOTS]; /* FIFO */
	uint32_t delay_head;
	uint32_t delay_count;
};

/* Packets of one pass waiting for their L4 handler (see ipv4_deliver). */
#define DPX_L4_BATCH (DPX_MAX_PORTS * (2 * DPX_RX_BURST + 1) + \
		      DPX_HANDOFF_BURST)


struct dpx_tx_buffer {
	uint16_t count;
	struct rte_mbuf *pkts[DPX_TX_BUF];
};

struct dpx_net_worker {
	struct dpx_net *net;
	struct rte_mempool *pool;
	struct rte_ring *inbox;      /* this worker's dpx_arp_note inbox */
	struct rte_ring *handoff;    /* mbufs other workers dispatched here */
	uint64_t tsc_hz;
	uint64_t next_timer;
	struct dpx_arp_table arp;
	dpx_l4_handler_t l4[256];
	struct dpx_tx_buffer tx[DPX_MAX_PORTS];
	struct dpx_port_stats stats[DPX_MAX_PORTS];
	struct dpx_fault_state *fault_rx[DPX_MAX_PORTS]; /* NULL: no faults */
	struct dpx_fault_state *fault_tx[DPX_MAX_PORTS];
	unsigned int l4_count;
	uint8_t l4_proto[DPX_L4_BATCH];
	struct rte_mbuf *l4_batch[DPX_L4_BATCH]; /* m->port: the port index */
	struct net_idle *idle;       /* adaptive idle; NULL: poll */
};

static inline void
net_drop(struct dpx_net_worker *nw, unsigned int port, struct rte_mbuf *m,
	 enum dpx_drop_reason why)
{
	nw->stats[port].drops[why]++;
	rte_pktmbuf_free(m);
}

static inline const struct dpx_port *
net_port(const struct dpx_worker *w, unsigned int port)
{
	return &w->net->net->ports[port];
}

/* True when packets on p may reach a worker that does not own their flow
 * (no RSS, or RSS software cannot reproduce): the software dispatcher
 * moves them. */
static inline bool
net_port_dispatches(const struct dpx_net *net, const struct dpx_port *p)
{
	return net->n_workers > 1 && p->reta_size == 0;
}

/* Queue a complete frame for TX on port; flushes when the buffer fills. */
void net_tx_enqueue(struct dpx_worker *w, unsigned int port,
		    struct rte_mbuf *m);

/* af_xdp.c: net_af_xdp ports (DPDK's AF_XDP PMD on a kernel interface).
 * Mbufs each RX queue keeps in the PMD's fill ring (DPDK 22.11 reserves
 * XSK_RING_PROD__DEFAULT_NUM_DESCS at queue set-up). */
#define NET_XDP_FILL_MBUFS 2048
/* True for device names the AF_XDP PMD takes (net_af_xdp*). */
bool net_xdp_device(const char *device);
/* After the device of pc could not be created from devargs args, or its
 * queues not set up: logs each cause dpx finds (interface, queues, kernel,
 * privileges, locked memory, MTU, mbufs), or that it found none. */
void net_xdp_explain(const struct dpx_net *net,
		     const struct dpx_port_conf *pc, const char *args);
/* After the probe, before configure: queue count against the workers and
 * the interface's queues, MTU against the PMD and the interface, the
 * interface up. 0, or -errno with the reason logged. */
struct rte_eth_dev_info;
int net_xdp_check(const struct dpx_net *net, const struct dpx_port *p,
		  const struct rte_eth_dev_info *info);
/* 0 if the AF_XDP PMD can register mp as UMEM as it is laid out; else
 * -EINVAL with the reason logged (DPDK 22.11's PMD assumes its objects
 * back to back). */
struct rte_mempool;
int net_xdp_pool_check(struct rte_mempool *mp);
/* The devargs a device was created with ("" if none). */
const char *net_dev_args(const struct rte_eth_dev_info *info);
/* After start: logs the link (interface, driver, queues, copy or zero
 * copy, busy polling). */
void net_xdp_describe(const struct dpx_net *net, const struct dpx_port *p);

/* arp.c */
int arp_table_init(struct dpx_arp_table *t, const struct dpx_arp_conf *c,
		   int socket);
void arp_table_fini(struct dpx_arp_table *t);
void arp_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m);
/* The MAC of neighbour ip on port into *mac when it is resolved. */
bool arp_reachable(struct dpx_net_worker *nw, unsigned int port, uint32_t ip,
		   struct rte_ether_addr *mac);
void arp_resolve_and_send(struct dpx_worker *w, unsigned int port,
			  uint32_t nexthop, struct rte_mbuf *m);
void arp_timer(struct dpx_worker *w, uint64_t now);
void arp_inbox_drain(struct dpx_worker *w);
void arp_send_gratuitous(struct dpx_worker *w, unsigned int port,
			 uint32_t ip);

/* ipv4.c */
void ipv4_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m);
/* True when ip is one of port's addresses. */
bool ipv4_is_local(const struct dpx_port *p, uint32_t ip);
/* Route dst: picks port, next hop and source; returns 0 or -1. */
int ipv4_route(const struct dpx_net *net, uint32_t dst, unsigned int *port,
	       uint32_t *nexthop, uint32_t *src);
/* m starts at a complete IPv4 header (checksum not yet set) routed to
 * port/nexthop: fills the checksum (or offload flags), resolves, queues. */
void ipv4_xmit(struct dpx_worker *w, struct rte_mbuf *m, unsigned int port,
	       uint32_t nexthop);

/* Queues m (data at its IPv4 header, l3_len set) for the L4 handler of
 * its protocol, or drops it when there is none; net_l4_flush() runs the
 * handlers. */
void ipv4_deliver(struct dpx_worker *w, unsigned int port,
		  struct rte_mbuf *m);
/* Hands the queued L4 packets to their handlers, in arrival order. */
void net_l4_flush(struct dpx_worker *w);

/* flow.c */
extern uint8_t net_rss_key[DPX_RSS_KEY_LEN];
/* Toeplitz hash of f as the NIC computes it for a received packet (source
 * = remote), under key_be: an RSS key of at least DPX_RSS_KEY_MIN bytes
 * converted by rte_convert_rss_key(). */
uint32_t net_flow_toeplitz(const uint32_t *key_be, const struct dpx_flow4 *f);
/* The same under net_rss_key, the key of every port. */
uint32_t net_flow_hash(const struct dpx_flow4 *f);
/* Software dispatch of a TCP/UDP packet (data at the IPv4 header, l3_len
 * set) received by w on a port where net_port_dispatches(): returns true
 * when m went to (or was dropped on the way to) another worker's handoff
 * ring, false when w owns it. */
bool net_flow_handoff(struct dpx_worker *w, unsigned int port,
		      struct rte_mbuf *m);
/* Queues up to DPX_HANDOFF_BURST mbufs from w's handoff ring for their
 * L4 handlers; returns how many. */
unsigned int net_handoff_drain(struct dpx_worker *w);
/* Frees whatever is left in a handoff ring (shutdown). */
void net_handoff_purge(struct rte_ring *r);

/* idle.c */
struct net_idle;
int net_idle_init(struct dpx_worker *w);
void net_idle_fini(struct dpx_worker *w);
/* A busy pass: naps start small again. */
void net_idle_busy(struct dpx_worker *w);
/* After giving worker `to` work through one of its rings: wakes it if it
 * sleeps. */
void net_kick(const struct dpx_net *net, unsigned int to);
/* AF_XDP sockets of this process (at most max fds into out); for port.c to
 * tell which socket the PMD opened for a queue. Returns how many. */
unsigned int net_xdp_sockets(int *out, unsigned int max);

/* icmp.c */
void icmp_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m);

/* fault.c */
struct dpx_fault_state *fault_state_new(const struct dpx_fault_dir *p,
					uint64_t seed, uint64_t delay_tsc,
					int socket);
void fault_state_free(struct dpx_fault_state *st);
/* Applies faults to in[0..n): survivors, copies and released packets go to
 * out (capacity cap >= 2 * n + 1); returns how many. */
unsigned int fault_apply(struct dpx_fault_state *st, struct rte_mempool *mp,
			 struct dpx_port_stats *stats, uint64_t now,
			 struct rte_mbuf **in,
			 unsigned int n, struct rte_mbuf **out,
			 unsigned int cap);
/* Releases packets whose delay has passed; returns how many. */
unsigned int fault_release(struct dpx_fault_state *st, uint64_t now,
			   struct rte_mbuf **out,
			   unsigned int cap);
void fault_state_drain(struct dpx_fault_state *st);

#endif /* DPX_NET_PRIV_H */
