/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx net: DPDK ports (queues, mempools, offloads, link), the per-worker
 * receive/transmit path and the IPv4 base: Ethernet, ARP (per-worker cache
 * with aging, pending-packet queues, gratuitous ARP), IPv4 (validation,
 * connected + gateway routing) and ICMP echo. Also test-only fault injection
 * (drop, duplicate, reorder, delay) per port and direction.
 *
 * Ownership: struct dpx_net (ports, mempools) belongs to the control plane
 * and is read-only once workers run. Each worker owns its struct
 * dpx_net_worker: one RX and one TX queue per port (queue id = worker
 * index), its TX buffers, ARP cache and counters. Counters are plain
 * per-worker integers that the control plane sums on read.
 *
 * Upper layers (TCP, UDP) hook in with dpx_net_set_l4_handler() and send
 * with dpx_ipv4_output().
 */
#ifndef DPX_NET_H
#define DPX_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_config.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dpx_core.h"

#define DPX_RX_BURST 32
#define DPX_TX_BUF 64

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
	uint64_t icmp_echo_replies;
	uint64_t fault_duplicated;
	uint64_t fault_reordered;
	uint64_t fault_delayed;
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
};

struct dpx_net {
	const struct dpx_config *cfg;
	struct dpx_port ports[DPX_MAX_PORTS];
	unsigned int n_ports;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES]; /* per socket in use */
	unsigned int n_workers;
	int worker_socket[DPX_MAX_WORKERS];
	struct rte_ring *arp_inbox[DPX_MAX_WORKERS]; /* learned neighbours */
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

/* One pass of the worker loop: RX bursts on every port, protocol
 * processing, timers, TX flush. Returns the number of packets received
 * (0 lets the caller back off). */
unsigned int dpx_net_worker_poll(struct dpx_worker *w);

/* Sends a gratuitous ARP for every address of every port. */
void dpx_net_announce(struct dpx_worker *w);

/* Per-worker counters of port p (for the control plane's sums). */
const struct dpx_port_stats *dpx_net_worker_stats(const struct dpx_worker *w,
						  unsigned int port);

/* Process one received frame on port p (RX path entry; also for tests). */
void dpx_net_input(struct dpx_worker *w, unsigned int port,
		   struct rte_mbuf *m);

/* Flush every port's TX buffer now. */
void dpx_net_flush(struct dpx_worker *w);

/*
 * Upper-layer hook: called with m's data pointing at the L4 header,
 * m->l3_len set and the IPv4 header still in front of it.
 * The handler owns m.
 */
typedef void (*dpx_l4_handler_t)(struct dpx_worker *w, unsigned int port,
				 struct rte_mbuf *m);
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

#endif /* DPX_NET_H */
