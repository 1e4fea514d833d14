/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 (RFC 791, RFC 1122 host requirements): header validation, local
 * delivery to ICMP or a registered L4 handler (on the worker that owns the
 * flow, see flow.c), routing over connected prefixes and per-port
 * gateways, and output. dpx is an end host here: it neither forwards nor
 * reassembles; fragments are counted and dropped.
 */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "net_priv.h"

#define IPV4_DEFAULT_TTL 64

bool
ipv4_is_local(const struct dpx_port *p, uint32_t ip)
{
	for (unsigned int i = 0; i < p->conf->n_addrs; i++)
		if (p->conf->addrs[i].addr == ip)
			return true;
	return false;
}

static bool
ipv4_is_martian_source(uint32_t ip)
{
	return ip == 0 || ip == UINT32_MAX || (ip >> 28) == 0xe ||
	       (ip >> 24) == 127;
}

int
ipv4_route(const struct dpx_net *net, uint32_t dst, unsigned int *port,
	   uint32_t *nexthop, uint32_t *src)
{
	const struct dpx_port *gw_port = NULL;
	uint8_t best_len = 0;
	bool found = false;

	/* Longest connected prefix wins; else the first port's gateway. */
	for (unsigned int p = 0; p < net->n_ports; p++) {
		const struct dpx_port *pp = &net->ports[p];

		for (unsigned int i = 0; i < pp->conf->n_addrs; i++) {
			const struct dpx_ipv4_prefix *a = &pp->conf->addrs[i];

			if (((a->addr ^ dst) & pp->masks[i]) != 0 ||
			    (found && a->len <= best_len))
				continue;
			found = true;
			best_len = a->len;
			*port = p;
			*nexthop = dst;
			*src = a->addr;
		}
		if (gw_port == NULL && pp->conf->gateway != 0)
			gw_port = pp;
	}
	if (found)
		return 0;
	if (gw_port == NULL)
		return -1;
	*port = gw_port->index;
	*nexthop = gw_port->conf->gateway;
	*src = gw_port->conf->addrs[0].addr;
	return 0;
}

static int
ipv4_validate(const struct rte_mbuf *m, enum dpx_drop_reason *why)
{
	const struct rte_ipv4_hdr *ip;
	uint16_t hlen, total;

	if (m->data_len < sizeof(*ip)) {
		*why = DPX_DROP_IP_TRUNCATED;
		return -1;
	}
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	hlen = rte_ipv4_hdr_len(ip);
	total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) ||
	    total < hlen) {
		*why = DPX_DROP_IP_HEADER;
		return -1;
	}
	if (m->data_len < hlen || m->pkt_len < total) {
		*why = DPX_DROP_IP_TRUNCATED;
		return -1;
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
	    RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) !=
	     RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_raw_cksum(ip, hlen) != 0xffff)) {
		*why = DPX_DROP_IP_CHECKSUM;
		return -1;
	}
	if (ipv4_is_martian_source(rte_be_to_cpu_32(ip->src_addr))) {
		*why = DPX_DROP_IP_HEADER;
		return -1;
	}
	if (ip->fragment_offset &
	    RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		*why = DPX_DROP_IP_FRAGMENT;
		return -1;
	}
	return 0;
}

/* True when m went to the worker that owns its flow (software dispatch). */
static inline bool
ipv4_dispatched(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m,
		uint8_t proto)
{
	/* Flows have owners; ICMP and protocols nobody handles do not. */
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    w->net->l4[proto] == NULL)
		return false;
	/*
	 * Where software mirrors the device's RETA (and with one worker) the
	 * packet is already on its owner's queue: same key, same 4-tuple,
	 * same table. Verifying would cost a hash per packet to catch a
	 * device that ignores its own configuration, so the fast path
	 * trusts it and hashes nothing.
	 */
	if (!net_port_dispatches(w->net->net, net_port(w, port)))
		return false;
	return net_flow_handoff(w, port, m);
}

void
ipv4_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	const struct rte_ipv4_hdr *ip;
	enum dpx_drop_reason why;
	uint16_t total;

	if (ipv4_validate(m, &why) != 0) {
		net_drop(nw, port, m, why);
		return;
	}
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (!ipv4_is_local(net_port(w, port), rte_be_to_cpu_32(ip->dst_addr))) {
		net_drop(nw, port, m, DPX_DROP_IP_NOT_LOCAL);
		return;
	}
	/* Ethernet pads short frames: the IP length is the truth. */
	total = rte_be_to_cpu_16(ip->total_length);
	if (m->pkt_len > total)
		rte_pktmbuf_trim(m, m->pkt_len - total);
	m->l3_len = rte_ipv4_hdr_len(ip);
	if (ip->next_proto_id == IPPROTO_ICMP) {
		icmp_input(w, port, m);
		return;
	}
	if (ipv4_dispatched(w, port, m, ip->next_proto_id))
		return;
	ipv4_deliver(w, port, m);
}

void
ipv4_deliver(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint8_t proto = ip->next_proto_id;

	if (nw->l4[proto] == NULL) {
		net_drop(nw, port, m, DPX_DROP_IP_PROTO);
		return;
	}
	rte_pktmbuf_adj(m, m->l3_len);
	/* The handlers run after the whole batch went through IPv4: one
	 * stage change per pass, and TCP sees its segments together. */
	if (nw->l4_count == RTE_DIM(nw->l4_batch))
		net_l4_flush(w);
	m->port = (uint16_t)port;
	nw->l4_proto[nw->l4_count] = proto;
	nw->l4_batch[nw->l4_count++] = m;
}

void
net_l4_flush(struct dpx_worker *w)
{
	struct dpx_net_worker *nw = w->net;
	unsigned int n = nw->l4_count, i = 0;

	/* Handlers may send, never receive: the batch cannot grow here. */
	nw->l4_count = 0;
	/* Runs of one protocol go to its handler together (all TCP, as a
	 * rule); order across protocols is kept. */
	while (i < n) {
		uint8_t proto = nw->l4_proto[i];
		unsigned int j = i + 1;

		while (j < n && nw->l4_proto[j] == proto)
			j++;
		nw->l4[proto](w, nw->l4_batch + i, j - i);
		i = j;
	}
}

static void
ipv4_set_checksum(const struct dpx_port *p, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip)
{
	ip->hdr_checksum = 0;
	m->l3_len = rte_ipv4_hdr_len(ip);
	m->l2_len = sizeof(struct rte_ether_hdr);
	if (p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
}

void
ipv4_xmit(struct dpx_worker *w, struct rte_mbuf *m, unsigned int port,
	  uint32_t nexthop)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	const struct dpx_port *p = net_port(w, port);
	struct rte_ether_hdr *eth;

	if (rte_be_to_cpu_16(ip->total_length) > p->mtu) {
		net_drop(w->net, port, m, DPX_DROP_TOO_BIG);
		return;
	}
	ipv4_set_checksum(p, m, ip);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	if (eth == NULL) {
		net_drop(w->net, port, m, DPX_DROP_NO_MBUF);
		return;
	}
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp_resolve_and_send(w, port, nexthop, m);
}

/* The one's complement sum of the header ipv4_push() writes, without
 * its total_length (and with a zero checksum field). */
static uint32_t
ipv4_fixed_sum(uint32_t src, uint32_t dst, uint8_t proto)
{
	struct rte_ipv4_hdr h = {
		.version_ihl = RTE_IPV4_VHL_DEF,
		.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG),
		.time_to_live = IPV4_DEFAULT_TTL,
		.next_proto_id = proto,
		.src_addr = rte_cpu_to_be_32(src),
		.dst_addr = rte_cpu_to_be_32(dst),
	};

	return rte_raw_cksum(&h, sizeof(h));
}

/* Prepends and fills the IPv4 header of m (payload at its data). */
static struct rte_ipv4_hdr *
ipv4_push(struct rte_mbuf *m, uint32_t src, uint32_t dst, uint8_t proto)
{
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));

	if (ip == NULL)
		return NULL;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(m->pkt_len);
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = IPV4_DEFAULT_TTL;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	return ip;
}

int
dpx_ipv4_output_path(struct dpx_worker *w, struct dpx_net_path *path,
		     struct rte_mbuf *m, uint32_t src, uint32_t dst,
		     uint8_t proto)
{
	struct dpx_net_worker *nw = w->net;
	const struct dpx_port *p;
	struct rte_ipv4_hdr *ip;
	struct rte_ether_hdr *eth;
	uint32_t nexthop, route_src;
	unsigned int port;

	if (path->gen != nw->arp.gen || path->src != src || path->dst != dst) {
		/* Refill: route, and the neighbour's MAC if it is known;
		 * otherwise the slow path resolves and queues. */
		if (ipv4_route(nw->net, dst, &port, &nexthop, &route_src) != 0 ||
		    !arp_reachable(nw, port, nexthop, &path->mac))
			return dpx_ipv4_output(w, m, src, dst, proto);
		path->port = (uint16_t)port;
		path->gen = nw->arp.gen;
		path->src = src;
		path->dst = dst;
		path->ip_sum = ipv4_fixed_sum(src, dst, proto);
	}
	p = net_port(w, path->port);
	if (m->pkt_len + sizeof(*ip) > p->mtu) {
		net_drop(nw, path->port, m, DPX_DROP_TOO_BIG);
		return -EMSGSIZE;
	}
	ip = ipv4_push(m, src, dst, proto);
	eth = ip == NULL ? NULL : (struct rte_ether_hdr *)
	      rte_pktmbuf_prepend(m, sizeof(*eth));
	if (eth == NULL) {
		net_drop(nw, path->port, m, DPX_DROP_NO_MBUF);
		return -ENOBUFS;
	}
	m->l3_len = sizeof(*ip);
	m->l2_len = sizeof(*eth);
	if (p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		ip->hdr_checksum = 0;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		/* Only the length changes from packet to packet. */
		uint32_t sum = path->ip_sum + ip->total_length;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->hdr_checksum = (uint16_t)~sum;
	}
	rte_ether_addr_copy(&path->mac, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	net_tx_enqueue(w, path->port, m);
	return 0;
}

int
dpx_ipv4_output(struct dpx_worker *w, struct rte_mbuf *m, uint32_t src,
		uint32_t dst, uint8_t proto)
{
	struct dpx_net_worker *nw = w->net;
	unsigned int port = 0;
	uint32_t nexthop, route_src;
	struct rte_ipv4_hdr *ip;

	if (ipv4_route(nw->net, dst, &port, &nexthop, &route_src) != 0) {
		net_drop(nw, 0, m, DPX_DROP_NO_ROUTE);
		return -EHOSTUNREACH;
	}
	ip = ipv4_push(m, src ? src : route_src, dst, proto);
	if (ip == NULL) {
		net_drop(nw, port, m, DPX_DROP_NO_MBUF);
		return -ENOBUFS;
	}
	ipv4_xmit(w, m, port, nexthop);
	return 0;
}
