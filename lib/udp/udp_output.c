/* SPDX-License-Identifier: BSD-3-Clause */
/* UDP output: the header, the checksum (by the device or in software). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "udp_priv.h"

/* IPv4 and UDP headers: what a datagram's payload may not push past
 * IPv4's 65535 bytes. */
#define UDP_MAX_PAYLOAD (UINT16_MAX - sizeof(struct rte_ipv4_hdr) - \
			 sizeof(struct rte_udp_hdr))

/* The device completes the sum from the pseudo header's (DPDK's
 * convention); software sums it all, 0 being "no checksum" (RFC 768). */
static void
udp_set_checksum(struct rte_mbuf *m, struct rte_udp_hdr *uh, uint32_t src,
		 uint32_t dst, uint64_t offloads)
{
	uint16_t pseudo = dpx_cksum_pseudo(src, dst, IPPROTO_UDP,
					   (uint16_t)m->pkt_len);
	uint32_t sum;

	if (offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		uh->dgram_cksum = pseudo;
		m->l4_len = sizeof(*uh);
		m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV4;
		return;
	}
	uh->dgram_cksum = 0;
	sum = (uint32_t)pseudo + dpx_cksum_chain(m);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	uh->dgram_cksum = (uint16_t)~sum == 0 ? 0xffff : (uint16_t)~sum;
}

static int
udp_send_error(struct dpx_udp_worker *uw, struct rte_mbuf *m, int err)
{
	uw->stats.send_errors++;
	rte_pktmbuf_free(m);
	return err;
}

int
dpx_udp_send_mbuf(struct dpx_worker *w, uint32_t src_addr, uint16_t src_port,
		  uint32_t dst_addr, uint16_t dst_port, struct rte_mbuf *m)
{
	struct dpx_udp_worker *uw = w->udp;
	const struct dpx_port *dev;
	struct rte_udp_hdr *uh;
	unsigned int port;
	uint32_t route_src;
	uint64_t offloads;
	int rc;

	if (dpx_net_route(w, dst_addr, &port, &route_src) != 0)
		return udp_send_error(uw, m, -EHOSTUNREACH);
	if (src_addr == 0)
		src_addr = route_src;
	dev = dpx_net_port(w, port);
	offloads = dev->tx_offloads;
	/* No fragments: a datagram the link cannot carry is the caller's
	 * error, said here rather than counted as a drop by IPv4. */
	if (m->pkt_len > UDP_MAX_PAYLOAD ||
	    m->pkt_len + sizeof(struct rte_ipv4_hdr) + sizeof(*uh) > dev->mtu ||
	    (m->nb_segs > 1 && !(offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &&
	     rte_pktmbuf_linearize(m) != 0))
		return udp_send_error(uw, m, -EMSGSIZE);
	uh = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*uh));
	if (uh == NULL)
		return udp_send_error(uw, m, -ENOBUFS);
	/* A received payload sent back keeps its Rx flags and known sum
	 * otherwise; an attached (indirect, external) buffer stays so. */
	m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	uh->src_port = rte_cpu_to_be_16(src_port);
	uh->dst_port = rte_cpu_to_be_16(dst_port);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)m->pkt_len);
	udp_set_checksum(m, uh, src_addr, dst_addr, offloads);
	rc = dpx_ipv4_output(w, m, src_addr, dst_addr, IPPROTO_UDP);
	if (rc != 0) {
		uw->stats.send_errors++;    /* m is gone, counted by IPv4 */
		return rc;
	}
	uw->stats.out++;
	return 0;
}

int
dpx_udp_send(struct dpx_worker *w, uint32_t src_addr, uint16_t src_port,
	     uint32_t dst_addr, uint16_t dst_port, const void *data,
	     uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpx_net_pool(w));
	void *p;

	if (m == NULL) {
		w->udp->stats.send_errors++;
		return -ENOBUFS;
	}
	p = rte_pktmbuf_append(m, len);
	if (p == NULL)
		return udp_send_error(w->udp, m, -EMSGSIZE);
	memcpy(p, data, len);
	return dpx_udp_send_mbuf(w, src_addr, src_port, dst_addr, dst_port, m);
}
