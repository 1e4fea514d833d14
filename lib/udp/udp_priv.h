/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/udp: the per-worker state its files share. */
#ifndef DPX_UDP_PRIV_H
#define DPX_UDP_PRIV_H

#include <stdbool.h>

#include "dpx_net.h"
#include "dpx_udp.h"

/* Hash chains by port; ends of chains and of the free list. */
#define UDP_BUCKETS 1024
#define UDP_NONE UINT32_MAX

struct udp_endpoint {
	uint32_t addr;          /* host order; 0: every local address */
	uint16_t port;
	uint32_t next;          /* bucket chain, or free list */
	dpx_udp_rx_fn rx;
	void *arg;
};

/* Fixed pool with chained buckets: no allocation after start, O(1)
 * bind and unbind (as lib/net's ARP table). */
struct dpx_udp_worker {
	struct dpx_udp_stats stats;
	/* ICMP port unreachable token bucket: tokens, and the TSC they
	 * were counted up to. */
	uint64_t unreach_tokens;
	uint64_t unreach_tsc;
	uint64_t tsc_per_token;
	uint32_t free_head;
	uint32_t buckets[UDP_BUCKETS];
	struct udp_endpoint eps[DPX_UDP_MAX_ENDPOINTS];
};

/* udp.c: the endpoint for a datagram to addr:port (exact address first,
 * then the wildcard), or NULL. */
const struct udp_endpoint *udp_lookup(const struct dpx_udp_worker *uw,
				      uint32_t addr, uint16_t port);

/* udp_input.c: the IPPROTO_UDP handler. */
void udp_input(struct dpx_worker *w, struct rte_mbuf **pkts, unsigned int n);

#endif /* DPX_UDP_PRIV_H */
