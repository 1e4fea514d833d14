/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP input: length and checksum checks, then the endpoint bound to the
 * destination gets the payload; a datagram to a closed port is answered
 * with ICMP port unreachable, at most DPX_UDP_UNREACH_PER_SEC a second.
 */
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "udp_priv.h"

/* The device's verdict when it gave one, else the sum of the datagram
 * (whose length was checked) and its pseudo header. */
static bool
udp_checksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	enum dpx_rx_l4_cksum verdict = dpx_rx_l4_cksum(m);
	uint32_t sum;

	if (verdict != DPX_RX_L4_CKSUM_UNKNOWN)
		return verdict == DPX_RX_L4_CKSUM_GOOD;
	sum = (uint32_t)dpx_cksum_pseudo(rte_be_to_cpu_32(ip->src_addr),
					 rte_be_to_cpu_32(ip->dst_addr),
					 IPPROTO_UDP, (uint16_t)m->pkt_len) +
	      dpx_cksum_chain(m);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Token bucket: DPX_UDP_UNREACH_PER_SEC tokens a second, as many at most. */
static bool
udp_unreach_allowed(struct dpx_udp_worker *uw)
{
	uint64_t now = rte_get_tsc_cycles();
	uint64_t earned = (now - uw->unreach_tsc) / uw->tsc_per_token;

	if (earned > 0) {
		uw->unreach_tsc += earned * uw->tsc_per_token;
		uw->unreach_tokens += earned;
		if (uw->unreach_tokens >= DPX_UDP_UNREACH_PER_SEC) {
			uw->unreach_tokens = DPX_UDP_UNREACH_PER_SEC;
			uw->unreach_tsc = now;
		}
	}
	if (uw->unreach_tokens == 0)
		return false;
	uw->unreach_tokens--;
	return true;
}

static void
udp_no_port(struct dpx_worker *w, struct rte_mbuf *m)
{
	struct dpx_udp_worker *uw = w->udp;

	uw->stats.no_port++;
	if (!udp_unreach_allowed(uw))
		uw->stats.unreach_limited++;
	else if (dpx_icmp_port_unreachable(w, m) == 0)
		uw->stats.unreach_sent++;
	rte_pktmbuf_free(m);
}

/* Returns whether the datagram went to an endpoint's rx (so the
 * application ran). */
static bool
udp_input_one(struct dpx_worker *w, struct rte_mbuf *m, bool app)
{
	struct dpx_udp_worker *uw = w->udp;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv4_hdr *, -(int)m->l3_len);
	const struct rte_udp_hdr *uh = rte_pktmbuf_mtod(m,
			const struct rte_udp_hdr *);
	const struct udp_endpoint *e;
	uint32_t src, dst;
	uint16_t sport, dport;

	/* Strict: a length field that disagrees with IPv4's either way is
	 * a malformed datagram, not one to trim. */
	if (m->data_len < sizeof(*uh) ||
	    rte_be_to_cpu_16(uh->dgram_len) != m->pkt_len) {
		uw->stats.bad_length++;
		rte_pktmbuf_free(m);
		return false;
	}
	/* 0: the sender computed no checksum (allowed over IPv4). */
	if (uh->dgram_cksum != 0 && !udp_checksum_ok(m, ip)) {
		uw->stats.bad_checksum++;
		rte_pktmbuf_free(m);
		return false;
	}
	src = rte_be_to_cpu_32(ip->src_addr);
	dst = rte_be_to_cpu_32(ip->dst_addr);
	sport = rte_be_to_cpu_16(uh->src_port);
	dport = rte_be_to_cpu_16(uh->dst_port);
	e = udp_lookup(uw, dst, dport);
	if (e == NULL) {
		udp_no_port(w, m);
		return false;
	}
	uw->stats.in++;
	rte_pktmbuf_adj(m, sizeof(*uh));
	if (!app)
		dpx_stage_enter(w, DPX_STAGE_APP);
	e->rx(w, e->arg, src, sport, dst, dport, m);
	return true;
}

void
udp_input(struct dpx_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	bool app = false;

	for (unsigned int i = 0; i < n; i++)
		app |= udp_input_one(w, pkts[i], app);
	/* Back to the L4 stage the worker loop was in. */
	if (app)
		dpx_stage_enter(w, DPX_STAGE_TCP);
}
