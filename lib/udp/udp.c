/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-worker set-up, the endpoint table, source port choice, counters. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "udp_priv.h"

_Static_assert((UDP_BUCKETS & (UDP_BUCKETS - 1)) == 0,
	       "UDP_BUCKETS is a power of two");
/* A random start finds a free owned port in a few tries unless nearly
 * every port of the range is bound. */
#define UDP_PICK_TRIES 16

static uint32_t
udp_bucket(uint16_t port)
{
	return port & (UDP_BUCKETS - 1);
}

int
dpx_udp_worker_init(struct dpx_worker *w)
{
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	struct dpx_udp_worker *uw;

	if (socket < 0)
		socket = SOCKET_ID_ANY;
	uw = rte_zmalloc_socket("dpx_udp", sizeof(*uw), RTE_CACHE_LINE_SIZE,
				socket);
	if (uw == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < UDP_BUCKETS; i++)
		uw->buckets[i] = UDP_NONE;
	for (uint32_t i = 0; i < DPX_UDP_MAX_ENDPOINTS; i++)
		uw->eps[i].next = i + 1 < DPX_UDP_MAX_ENDPOINTS ? i + 1 :
				  UDP_NONE;
	uw->free_head = 0;
	uw->tsc_per_token = RTE_MAX(rte_get_tsc_hz() / DPX_UDP_UNREACH_PER_SEC,
				    UINT64_C(1));
	uw->unreach_tokens = DPX_UDP_UNREACH_PER_SEC;
	uw->unreach_tsc = rte_get_tsc_cycles();
	w->udp = uw;
	dpx_net_set_l4_handler(w, IPPROTO_UDP, udp_input);
	return 0;
}

void
dpx_udp_worker_fini(struct dpx_worker *w)
{
	if (w->udp == NULL)
		return;
	if (w->net != NULL)
		dpx_net_set_l4_handler(w, IPPROTO_UDP, NULL);
	rte_free(w->udp);
	w->udp = NULL;
}

const struct udp_endpoint *
udp_lookup(const struct dpx_udp_worker *uw, uint32_t addr, uint16_t port)
{
	const struct udp_endpoint *any = NULL;

	for (uint32_t i = uw->buckets[udp_bucket(port)]; i != UDP_NONE;
	     i = uw->eps[i].next) {
		const struct udp_endpoint *e = &uw->eps[i];

		if (e->port != port)
			continue;
		if (e->addr == addr)
			return e;
		if (e->addr == 0)
			any = e;
	}
	return any;
}

static bool
udp_port_bound(const struct dpx_udp_worker *uw, uint16_t port)
{
	for (uint32_t i = uw->buckets[udp_bucket(port)]; i != UDP_NONE;
	     i = uw->eps[i].next)
		if (uw->eps[i].port == port)
			return true;
	return false;
}

int
dpx_udp_bind(struct dpx_worker *w, uint32_t addr, uint16_t port,
	     dpx_udp_rx_fn rx, void *arg)
{
	struct dpx_udp_worker *uw = w->udp;
	struct udp_endpoint *e;
	uint32_t i, b = udp_bucket(port);

	if (uw == NULL || port == 0 || rx == NULL)
		return -EINVAL;
	for (i = uw->buckets[b]; i != UDP_NONE; i = uw->eps[i].next)
		if (uw->eps[i].port == port && uw->eps[i].addr == addr)
			return -EADDRINUSE;
	if (uw->free_head == UDP_NONE)
		return -ENOSPC;
	i = uw->free_head;
	e = &uw->eps[i];
	uw->free_head = e->next;
	*e = (struct udp_endpoint){ .addr = addr, .port = port,
				    .next = uw->buckets[b], .rx = rx,
				    .arg = arg };
	uw->buckets[b] = i;
	return 0;
}

int
dpx_udp_unbind(struct dpx_worker *w, uint32_t addr, uint16_t port)
{
	struct dpx_udp_worker *uw = w->udp;
	uint32_t *link;

	if (uw == NULL)
		return -ENOENT;
	for (link = &uw->buckets[udp_bucket(port)]; *link != UDP_NONE;
	     link = &uw->eps[*link].next) {
		struct udp_endpoint *e = &uw->eps[*link];
		uint32_t i = *link;

		if (e->port != port || e->addr != addr)
			continue;
		*link = e->next;
		*e = (struct udp_endpoint){ .next = uw->free_head };
		uw->free_head = i;
		return 0;
	}
	return -ENOENT;
}

int
dpx_udp_pick_port(struct dpx_worker *w, uint32_t dst_addr, uint16_t dst_port,
		  uint32_t *src_addr, uint16_t *src_port)
{
	const uint32_t span = DPX_UDP_EPHEMERAL_HI - DPX_UDP_EPHEMERAL_LO + 1;
	unsigned int port;
	uint32_t route_src;

	if (w->udp == NULL)
		return -EINVAL;
	if (dpx_net_route(w, dst_addr, &port, &route_src) != 0)
		return -EHOSTUNREACH;
	if (*src_addr == 0)
		*src_addr = route_src;
	for (int i = 0; i < UDP_PICK_TRIES; i++) {
		/* The first owned port from a random start: about one in
		 * n_workers ports is owned, so the start decides. */
		uint16_t start = (uint16_t)(DPX_UDP_EPHEMERAL_LO +
					    rte_rand_max(span)), p;

		if (dpx_net_pick_local_port(dpx_net_shared(w), port, w->index,
					    *src_addr, dst_addr, dst_port,
					    DPX_UDP_EPHEMERAL_LO,
					    DPX_UDP_EPHEMERAL_HI, start,
					    &p) != 0)
			return -EADDRNOTAVAIL;
		if (!udp_port_bound(w->udp, p)) {
			*src_port = p;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

void
dpx_udp_worker_stats(const struct dpx_worker *w, struct dpx_udp_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (w->udp == NULL)
		return;
	*out = w->udp->stats;
	for (unsigned int p = 0; p < dpx_net_shared(w)->n_ports; p++)
		out->dispatched += dpx_net_worker_stats(w, p)->dispatched_out_udp;
}
