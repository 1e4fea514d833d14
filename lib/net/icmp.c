/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP (RFC 792): echo replies; every other message is counted and dropped. */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "net_priv.h"

#define ICMP_REPLY_TTL 64

/* RFC 1624 incremental update for a 16-bit field change old -> new. */
static uint16_t
cksum_adjust(uint16_t cksum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~cksum + (uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
icmp_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_icmp_hdr *icmp;
	uint32_t len = m->pkt_len - m->l3_len;
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	uint32_t nexthop, route_src;
	unsigned int out_port;
	rte_be32_t our_addr;
	uint16_t sum = 0;

	/* Echo data may span segments: checksum over the whole message. */
	if (len < sizeof(*icmp) || m->data_len < m->l3_len + sizeof(*icmp) ||
	    rte_raw_cksum_mbuf(m, m->l3_len, len, &sum) != 0 ||
	    sum != 0xffff) {
		net_drop(nw, port, m, DPX_DROP_ICMP_MALFORMED);
		return;
	}
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, m->l3_len);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		net_drop(nw, port, m, DPX_DROP_ICMP_TYPE);
		return;
	}
	if (ipv4_route(nw->net, src, &out_port, &nexthop, &route_src) != 0) {
		net_drop(nw, port, m, DPX_DROP_NO_ROUTE);
		return;
	}
	/* Reply in place: the request's destination is our source. */
	our_addr = ip->dst_addr;
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = cksum_adjust(icmp->icmp_cksum,
					RTE_BE16(RTE_IP_ICMP_ECHO_REQUEST << 8),
					RTE_BE16(RTE_IP_ICMP_ECHO_REPLY << 8));
	ip->dst_addr = ip->src_addr;
	ip->src_addr = our_addr;
	ip->time_to_live = ICMP_REPLY_TTL;
	nw->stats[port].icmp_echo_replies++;
	ipv4_xmit(w, m, out_port, nexthop);
}
