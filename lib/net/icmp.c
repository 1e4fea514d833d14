/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP (RFC 792): echo replies and, for upper layers, port unreachable;
 * every other message is counted and dropped. */
#include <errno.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "net_priv.h"

#define ICMP_REPLY_TTL 64
#define ICMP_DEST_UNREACH 3
#define ICMP_PORT_UNREACH 3
/* What an unreachable quotes of the datagram after its IPv4 header. */
#define ICMP_QUOTE_L4 8

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

int
dpx_icmp_port_unreachable(struct dpx_worker *w, const struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv4_hdr *, -(int)m->l3_len);
	uint32_t l4 = RTE_MIN(m->pkt_len, (uint32_t)ICMP_QUOTE_L4);
	uint32_t len = sizeof(struct rte_icmp_hdr) + m->l3_len + l4;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *r;
	const void *src;
	uint8_t *quote;
	int rc;

	r = rte_pktmbuf_alloc(nw->pool);
	if (r == NULL) {
		nw->stats[m->port].drops[DPX_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	icmp = (struct rte_icmp_hdr *)rte_pktmbuf_append(r, len);
	if (icmp == NULL) {
		net_drop(nw, m->port, r, DPX_DROP_NO_MBUF);
		return -ENOBUFS;
	}
	/* Type, code, checksum, then 4 unused bytes (RFC 792). */
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = ICMP_DEST_UNREACH;
	icmp->icmp_code = ICMP_PORT_UNREACH;
	quote = (uint8_t *)(icmp + 1);
	memcpy(quote, ip, m->l3_len);
	/* Copied to quote only when it spans segments; else a pointer. */
	src = rte_pktmbuf_read(m, 0, l4, quote + m->l3_len);
	if (src != NULL && src != quote + m->l3_len)
		memcpy(quote + m->l3_len, src, l4);
	icmp->icmp_cksum = (uint16_t)~dpx_cksum(icmp, len);
	rc = dpx_ipv4_output(w, r, rte_be_to_cpu_32(ip->dst_addr),
			     rte_be_to_cpu_32(ip->src_addr), IPPROTO_ICMP);
	if (rc == 0)
		nw->stats[m->port].icmp_unreachables_sent++;
	return rc;
}
