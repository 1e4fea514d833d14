/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-by-packet tests of lib/udp: datagrams from a fake peer go in
 * through dpx_net_input(); what dpx queues for TX is read back from the
 * worker's TX buffer and checked byte by byte, checksums with this file's
 * own RFC 1071 sum.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dpx_test.h"
#include "dpx_udp.h"
#include "net_priv.h"
#include "test_eal.h"
#include "test_net_fixture.h"

#define OUR_IP  0xc6120001u /* 198.18.0.1 */
#define PEER_IP 0xc6120002u /* 198.18.0.2 */
#define OUR_PORT 53
#define PEER_PORT 40000
#define FRAME_MAX 2048

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 1 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 2 }};

static struct dpx_config cfg;
static struct dpx_net net;
static struct rte_mempool *pool;

/* What the endpoints saw. */
static struct {
	unsigned int calls;
	uint32_t src_addr, dst_addr;
	uint16_t src_port, dst_port;
	uint8_t data[FRAME_MAX];
	uint32_t len;
	unsigned int worker;        /* index of the worker rx ran on */
	void *arg;
	bool echo;                  /* send the payload back (send_mbuf) */
} seen;

/* How peer_send() builds a datagram. */
struct peer_dgram {
	uint16_t sport, dport;
	const void *data;
	uint16_t len;
	int len_delta;              /* UDP length field = 8 + len + delta */
	bool bad_cksum, zero_cksum;
};

/* RFC 1071 over big-endian 16-bit words, independent of lib/net's. */
static uint32_t
ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The sum of a UDP datagram (header at udp, len bytes) and its pseudo
 * header, not inverted: 0xffff when its checksum is right. */
static uint16_t
ref_udp_sum(uint32_t src, uint32_t dst, const uint8_t *udp, uint16_t len)
{
	uint8_t ph[12] = {
		src >> 24, src >> 16, src >> 8, src, dst >> 24, dst >> 16,
		dst >> 8, dst, 0, IPPROTO_UDP, len >> 8, len & 0xff,
	};

	return ref_fold(ref_sum(udp, len, ref_sum(ph, sizeof(ph), 0)));
}

static void
rx_record(struct dpx_worker *w, void *arg, uint32_t src_addr,
	  uint16_t src_port, uint32_t dst_addr, uint16_t dst_port,
	  struct rte_mbuf *m)
{
	seen.calls++;
	seen.arg = arg;
	seen.worker = w->index;
	seen.src_addr = src_addr;
	seen.src_port = src_port;
	seen.dst_addr = dst_addr;
	seen.dst_port = dst_port;
	seen.len = m->pkt_len;
	if (m->pkt_len <= sizeof(seen.data))
		memcpy(seen.data, rte_pktmbuf_read(m, 0, m->pkt_len, seen.data),
		       m->pkt_len);
	if (seen.echo)
		dpx_udp_send_mbuf(w, dst_addr, dst_port, src_addr, src_port, m);
	else
		rte_pktmbuf_free(m);
}

static void
tx_clear(struct dpx_worker *w)
{
	rte_pktmbuf_free_bulk(w->net->tx[0].pkts, w->net->tx[0].count);
	w->net->tx[0].count = 0;
}

static void
worker_setup(struct dpx_worker *w, unsigned int index)
{
	memset(w, 0, sizeof(*w));
	w->index = index;
	w->cfg = &cfg;
	CHECK_EQ(dpx_net_worker_init(w, &net), 0);
	CHECK_EQ(dpx_udp_worker_init(w), 0);
	test_net_learn_neighbour(w, pool, OUR_IP, PEER_IP, &peer_mac);
	tx_clear(w);
}

static void
worker_teardown(struct dpx_worker *w)
{
	tx_clear(w);
	dpx_udp_worker_fini(w);
	dpx_net_worker_fini(w);
}

static void
setup(struct dpx_worker *w)
{
	memset(&seen, 0, sizeof(seen));
	worker_setup(w, 0);
	CHECK_EQ(dpx_udp_bind(w, OUR_IP, OUR_PORT, rx_record, &seen), 0);
}

static void
teardown(struct dpx_worker *w)
{
	worker_teardown(w);
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

/* A datagram from PEER_IP to OUR_IP as d says, as a frame. */
static struct rte_mbuf *
peer_frame(const struct peer_dgram *d)
{
	uint16_t l4 = (uint16_t)(sizeof(struct rte_udp_hdr) + d->len);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) +
							  sizeof(*ip) + l4);
	eth->dst_addr = our_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh = (struct rte_udp_hdr *)(ip + 1);
	uh->src_port = rte_cpu_to_be_16(d->sport);
	uh->dst_port = rte_cpu_to_be_16(d->dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(l4 + d->len_delta));
	uh->dgram_cksum = 0;
	if (d->len)
		memcpy(uh + 1, d->data, d->len);
	if (!d->zero_cksum) {
		uint16_t c = (uint16_t)~ref_udp_sum(PEER_IP, OUR_IP,
						    (const uint8_t *)uh, l4);

		uh->dgram_cksum = rte_cpu_to_be_16(c == 0 ? 0xffff : c);
	}
	if (d->bad_cksum)
		uh->dgram_cksum ^= RTE_BE16(0x0100);
	return m;
}

static void
peer_send(struct dpx_worker *w, const struct peer_dgram *d)
{
	dpx_net_input(w, 0, peer_frame(d));
}

/* Pops the oldest frame dpx queued into buf; its length, 0 if none. */
static uint32_t
pop_frame(struct dpx_worker *w, uint8_t *buf)
{
	struct dpx_tx_buffer *b = &w->net->tx[0];
	struct rte_mbuf *m;
	uint32_t len;

	if (b->count == 0)
		return 0;
	m = b->pkts[0];
	memmove(b->pkts, b->pkts + 1, (b->count - 1) * sizeof(b->pkts[0]));
	b->count--;
	len = m->pkt_len;
	CHECK(len <= FRAME_MAX);
	if (len > FRAME_MAX)
		len = 0;
	else
		memcpy(buf, rte_pktmbuf_read(m, 0, len, buf), len);
	rte_pktmbuf_free(m);
	return len;
}

/* Checks a UDP frame dpx sent: addresses, ports, lengths, checksum, and
 * that its payload is data[0..len). */
static void
check_udp_frame(const uint8_t *f, uint32_t flen, uint32_t src, uint16_t sport,
		uint32_t dst, uint16_t dport, const uint8_t *data, uint16_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(ip + 1);

	CHECK_EQ(flen, 14 + 20 + 8 + len);
	if (flen != 14u + 20 + 8 + len)
		return;
	CHECK(memcmp(&eth->dst_addr, &peer_mac, 6) == 0);
	CHECK(memcmp(&eth->src_addr, &our_mac, 6) == 0);
	CHECK_EQ(ip->next_proto_id, IPPROTO_UDP);
	CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), src);
	CHECK_EQ(rte_be_to_cpu_32(ip->dst_addr), dst);
	CHECK_EQ(rte_be_to_cpu_16(ip->total_length), 20 + 8 + len);
	CHECK_EQ(ref_fold(ref_sum((const uint8_t *)ip, 20, 0)), 0xffff);
	CHECK_EQ(rte_be_to_cpu_16(uh->src_port), sport);
	CHECK_EQ(rte_be_to_cpu_16(uh->dst_port), dport);
	CHECK_EQ(rte_be_to_cpu_16(uh->dgram_len), 8 + len);
	CHECK(uh->dgram_cksum != 0);
	CHECK_EQ(ref_udp_sum(src, dst, (const uint8_t *)uh, 8 + len), 0xffff);
	CHECK(memcmp(uh + 1, data, len) == 0);
}

static const struct dpx_udp_stats *
stats(const struct dpx_worker *w)
{
	static struct dpx_udp_stats s;

	dpx_udp_worker_stats(w, &s);
	return &s;
}

static void
fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static void
test_good_datagram_delivered(void)
{
	struct dpx_worker w;
	uint8_t data[1000];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = OUR_PORT,
				.data = data, .len = 999 };

	fill(data, sizeof(data), 3);
	setup(&w);
	peer_send(&w, &d);
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(seen.len, 999);
	CHECK(memcmp(seen.data, data, 999) == 0);
	CHECK_EQ(seen.src_addr, PEER_IP);
	CHECK_EQ(seen.src_port, PEER_PORT);
	CHECK_EQ(seen.dst_addr, OUR_IP);
	CHECK_EQ(seen.dst_port, OUR_PORT);
	CHECK(seen.arg == &seen);
	/* An empty datagram is a datagram. */
	d.len = 0;
	peer_send(&w, &d);
	CHECK_EQ(seen.calls, 2);
	CHECK_EQ(seen.len, 0);
	CHECK_EQ(stats(&w)->in, 2);
	CHECK_EQ(stats(&w)->bad_checksum + stats(&w)->bad_length +
		 stats(&w)->no_port, 0);
	teardown(&w);
}

static void
test_bad_checksum_dropped(void)
{
	struct dpx_worker w;
	uint8_t data[33];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = OUR_PORT,
				.data = data, .len = sizeof(data),
				.bad_cksum = true };

	fill(data, sizeof(data), 9);
	setup(&w);
	peer_send(&w, &d);
	CHECK_EQ(seen.calls, 0);
	CHECK_EQ(stats(&w)->bad_checksum, 1);
	CHECK_EQ(stats(&w)->in, 0);
	/* Nothing answers a corrupt datagram, not even ICMP. */
	CHECK_EQ(w.net->tx[0].count, 0);
	teardown(&w);
}

static void
test_zero_checksum_accepted(void)
{
	struct dpx_worker w;
	uint8_t data[17];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = OUR_PORT,
				.data = data, .len = sizeof(data),
				.zero_cksum = true };

	fill(data, sizeof(data), 1);
	setup(&w);
	peer_send(&w, &d);
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(seen.len, sizeof(data));
	CHECK(memcmp(seen.data, data, sizeof(data)) == 0);
	CHECK_EQ(stats(&w)->bad_checksum, 0);
	teardown(&w);
}

static void
test_bad_lengths_dropped(void)
{
	struct dpx_worker w;
	uint8_t data[40];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = OUR_PORT,
				.data = data, .len = sizeof(data),
				.zero_cksum = true };
	const int deltas[] = { -1, 1, -40, -41, -48 };
	struct rte_mbuf *m;

	fill(data, sizeof(data), 5);
	setup(&w);
	/* Length field shorter or longer than IPv4's payload; 8 (header
	 * only) for 40 bytes; under the header's own 8. */
	for (size_t i = 0; i < RTE_DIM(deltas); i++) {
		d.len_delta = deltas[i];
		peer_send(&w, &d);
	}
	/* An IPv4 payload too short for a UDP header. */
	d.len_delta = 0;
	d.len = 0;
	m = peer_frame(&d);
	{
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
				struct rte_ipv4_hdr *, 14);

		ip->total_length = rte_cpu_to_be_16(20 + 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rte_pktmbuf_trim(m, 4);
	}
	dpx_net_input(&w, 0, m);
	CHECK_EQ(seen.calls, 0);
	CHECK_EQ(stats(&w)->bad_length, RTE_DIM(deltas) + 1);
	CHECK_EQ(stats(&w)->in, 0);
	teardown(&w);
}

/* Checks an ICMP port unreachable that answers the datagram orig. */
static void
check_unreachable(const uint8_t *f, uint32_t flen, const uint8_t *orig)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + 14);
	const uint8_t *icmp = (const uint8_t *)(ip + 1);
	const uint32_t icmp_len = 8 + 20 + 8;

	CHECK_EQ(flen, 14 + 20 + icmp_len);
	if (flen != 14 + 20 + icmp_len)
		return;
	CHECK_EQ(ip->next_proto_id, IPPROTO_ICMP);
	CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), OUR_IP);
	CHECK_EQ(rte_be_to_cpu_32(ip->dst_addr), PEER_IP);
	CHECK_EQ(ref_fold(ref_sum((const uint8_t *)ip, 20, 0)), 0xffff);
	CHECK_EQ(icmp[0], 3);           /* destination unreachable */
	CHECK_EQ(icmp[1], 3);           /* port unreachable */
	CHECK_EQ(ref_fold(ref_sum(icmp, icmp_len, 0)), 0xffff);
	CHECK_EQ(icmp[4] | icmp[5] | icmp[6] | icmp[7], 0);
	/* The datagram's IPv4 header and its first 8 bytes, as sent. */
	CHECK(memcmp(icmp + 8, orig + 14, 20 + 8) == 0);
}

static void
test_closed_port_unreachable_rate_limited(void)
{
	struct dpx_worker w;
	uint8_t data[64], orig[FRAME_MAX], frame[FRAME_MAX];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = 9999,
				.data = data, .len = sizeof(data) };
	struct rte_mbuf *m;
	uint64_t sent;

	fill(data, sizeof(data), 11);
	setup(&w);
	m = peer_frame(&d);
	memcpy(orig, rte_pktmbuf_mtod(m, const void *), m->pkt_len);
	dpx_net_input(&w, 0, m);
	CHECK_EQ(seen.calls, 0);
	CHECK_EQ(stats(&w)->no_port, 1);
	CHECK_EQ(stats(&w)->unreach_sent, 1);
	CHECK_EQ(dpx_net_worker_stats(&w, 0)->icmp_unreachables_sent, 1);
	check_unreachable(frame, pop_frame(&w, frame), orig);
	/* The bucket holds DPX_UDP_UNREACH_PER_SEC; this loop takes well
	 * under 20 ms, in which at most 2 more tokens come. */
	for (int i = 0; i < 2 * DPX_UDP_UNREACH_PER_SEC; i++) {
		peer_send(&w, &d);
		tx_clear(&w);
	}
	sent = stats(&w)->unreach_sent;
	CHECK_EQ(stats(&w)->no_port, 1 + 2 * DPX_UDP_UNREACH_PER_SEC);
	CHECK_EQ(sent + stats(&w)->unreach_limited,
		 1 + 2 * DPX_UDP_UNREACH_PER_SEC);
	CHECK(sent >= DPX_UDP_UNREACH_PER_SEC);
	CHECK(sent <= DPX_UDP_UNREACH_PER_SEC + 2);
	teardown(&w);
}

static void
test_send_builds_header_and_checksum(void)
{
	struct dpx_worker w;
	uint8_t data[1473], frame[FRAME_MAX];
	const uint16_t sizes[] = { 0, 1, 37, 512, 1472 };

	fill(data, sizeof(data), 21);
	setup(&w);
	for (size_t i = 0; i < RTE_DIM(sizes); i++) {
		CHECK_EQ(dpx_udp_send(&w, OUR_IP, 5353, PEER_IP, 40001, data,
				      sizes[i]), 0);
		check_udp_frame(frame, pop_frame(&w, frame), OUR_IP, 5353,
				PEER_IP, 40001, data, sizes[i]);
	}
	/* Source 0: the route's address. */
	CHECK_EQ(dpx_udp_send(&w, 0, 5353, PEER_IP, 40001, data, 10), 0);
	check_udp_frame(frame, pop_frame(&w, frame), OUR_IP, 5353, PEER_IP,
			40001, data, 10);
	CHECK_EQ(stats(&w)->out, RTE_DIM(sizes) + 1);
	/* One byte more than the MTU (1500) carries: no fragments. */
	CHECK_EQ(dpx_udp_send(&w, OUR_IP, 5353, PEER_IP, 40001, data,
			      sizeof(data)), -EMSGSIZE);
	CHECK_EQ(dpx_udp_send(&w, OUR_IP, 5353, 0x0a000001u, 53, data, 10),
		 -EHOSTUNREACH);
	CHECK_EQ(w.net->tx[0].count, 0);
	CHECK_EQ(stats(&w)->send_errors, 2);
	CHECK_EQ(stats(&w)->out, RTE_DIM(sizes) + 1);
	teardown(&w);
}

/* A payload whose sum makes the checksum come out 0: sent as 0xffff,
 * since 0 would mean "no checksum" (RFC 768). */
static void
test_send_checksum_zero_is_ffff(void)
{
	struct dpx_worker w;
	uint8_t frame[FRAME_MAX], hdr[8] = { 0x14, 0xe9, 0x9c, 0x41, 0, 10,
					     0, 0 }, data[2];
	uint8_t ph[12] = { 198, 18, 0, 1, 198, 18, 0, 2, 0, IPPROTO_UDP, 0,
			   10 };
	uint16_t rest = ref_fold(ref_sum(hdr, 8, ref_sum(ph, 12, 0)));
	uint16_t v = (uint16_t)(0xffff - rest);
	const struct rte_udp_hdr *uh;

	data[0] = (uint8_t)(v >> 8);
	data[1] = (uint8_t)v;
	setup(&w);
	/* hdr: ports 5353 -> 40001, length 10. */
	CHECK_EQ(dpx_udp_send(&w, OUR_IP, 5353, PEER_IP, 40001, data, 2), 0);
	CHECK_EQ(pop_frame(&w, frame), 14 + 20 + 10);
	uh = (const struct rte_udp_hdr *)(frame + 14 + 20);
	CHECK_EQ(uh->dgram_cksum, 0xffff);
	teardown(&w);
}

static void
test_echo_with_send_mbuf(void)
{
	struct dpx_worker w;
	uint8_t data[777], frame[FRAME_MAX];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = OUR_PORT,
				.data = data, .len = sizeof(data) };
	struct dpx_port *p = &net.ports[0];
	const struct rte_udp_hdr *uh;
	struct rte_mbuf *m;

	fill(data, sizeof(data), 17);
	setup(&w);
	seen.echo = true;
	peer_send(&w, &d);
	CHECK_EQ(seen.calls, 1);
	check_udp_frame(frame, pop_frame(&w, frame), OUR_IP, OUR_PORT,
			PEER_IP, PEER_PORT, data, sizeof(data));
	/* With the device's checksum offload: the pseudo header's sum in
	 * the field, the offload flags and lengths for the PMD. */
	p->tx_offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	peer_send(&w, &d);
	p->tx_offloads &= ~RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	CHECK_EQ(w.net->tx[0].count, 1);
	if (w.net->tx[0].count == 1) {
		m = w.net->tx[0].pkts[0];
		uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
					     14 + 20);
		CHECK(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
		CHECK_EQ(m->l4_len, 8);
		CHECK_EQ(m->l3_len, 20);
		CHECK_EQ(m->l2_len, 14);
		CHECK_EQ(rte_be_to_cpu_16(uh->dgram_cksum),
			 ref_fold(ref_sum((const uint8_t[]){
				198, 18, 0, 1, 198, 18, 0, 2, 0, IPPROTO_UDP,
				(8 + sizeof(data)) >> 8,
				(8 + sizeof(data)) & 0xff }, 12, 0)));
	}
	CHECK_EQ(stats(&w)->in, 2);
	CHECK_EQ(stats(&w)->out, 2);
	teardown(&w);
}

static void
test_bind_rules(void)
{
	struct dpx_worker w;
	uint8_t data[4] = { 1, 2, 3, 4 };
	struct peer_dgram d = { .sport = PEER_PORT, .dport = 7000,
				.data = data, .len = sizeof(data) };
	int marker_any, rc = 0;
	unsigned int n = 1;   /* OUR_PORT is bound by setup() */

	setup(&w);
	CHECK_EQ(dpx_udp_bind(&w, OUR_IP, OUR_PORT, rx_record, NULL),
		 -EADDRINUSE);
	CHECK_EQ(dpx_udp_bind(&w, OUR_IP, 0, rx_record, NULL), -EINVAL);
	CHECK_EQ(dpx_udp_bind(&w, OUR_IP, 1, NULL, NULL), -EINVAL);
	CHECK_EQ(dpx_udp_unbind(&w, OUR_IP, 7000), -ENOENT);
	/* The exact address wins over the wildcard, whichever came first. */
	CHECK_EQ(dpx_udp_bind(&w, 0, 7000, rx_record, &marker_any), 0);
	peer_send(&w, &d);
	CHECK(seen.arg == &marker_any);
	CHECK_EQ(dpx_udp_bind(&w, OUR_IP, 7000, rx_record, &seen), 0);
	peer_send(&w, &d);
	CHECK(seen.arg == &seen);
	CHECK_EQ(dpx_udp_unbind(&w, OUR_IP, 7000), 0);
	peer_send(&w, &d);
	CHECK(seen.arg == &marker_any);
	CHECK_EQ(dpx_udp_unbind(&w, 0, 7000), 0);
	peer_send(&w, &d);
	CHECK_EQ(seen.calls, 3);
	CHECK_EQ(stats(&w)->no_port, 1);
	tx_clear(&w);
	/* The table is bounded, and unbinding frees its slots. */
	for (uint16_t port = 10000; rc == 0; port++) {
		rc = dpx_udp_bind(&w, 0, port, rx_record, NULL);
		n += rc == 0;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK_EQ(n, DPX_UDP_MAX_ENDPOINTS);
	CHECK_EQ(dpx_udp_unbind(&w, 0, 10000), 0);
	CHECK_EQ(dpx_udp_bind(&w, 0, 20000, rx_record, NULL), 0);
	teardown(&w);
}

/* Two workers, software dispatch (no RETA): each picks only ports whose
 * replies it owns, never one bound, and spreads its picks. */
static void
test_pick_port_owned_and_random(void)
{
	struct dpx_worker w[2];
	static bool picked[65536];
	uint16_t first = 0;
	bool varied = false;

	net.n_workers = 2;
	cfg.n_workers = 2;
	for (unsigned int i = 0; i < 2; i++) {
		unsigned int distinct = 0;

		worker_setup(&w[i], i);
		memset(picked, 0, sizeof(picked));
		for (int k = 0; k < 300; k++) {
			struct dpx_flow4 f = { .remote_ip = PEER_IP,
					       .remote_port = 53 };
			uint32_t src = 0;
			uint16_t port = 0;

			CHECK_EQ(dpx_udp_pick_port(&w[i], PEER_IP, 53, &src,
						   &port), 0);
			CHECK_EQ(src, OUR_IP);
			CHECK(port >= DPX_UDP_EPHEMERAL_LO &&
			      port <= DPX_UDP_EPHEMERAL_HI);
			f.local_ip = src;
			f.local_port = port;
			CHECK_EQ(dpx_net_flow_owner(&net, 0, &f), i);
			CHECK(!picked[port]);        /* never a bound port */
			picked[port] = true;
			distinct++;
			if (k == 0)
				first = port;
			else if (port != first)
				varied = true;
			/* Bound: a later pick must avoid it. */
			CHECK_EQ(dpx_udp_bind(&w[i], 0, port, rx_record,
					      NULL), 0);
		}
		CHECK_EQ(distinct, 300);
		CHECK(varied);
		CHECK_EQ(dpx_udp_pick_port(&w[i], 0x0a000001u, 53,
					   &(uint32_t){ 0 }, &first),
			 -EHOSTUNREACH);
	}
	for (unsigned int i = 0; i < 2; i++)
		worker_teardown(&w[i]);
	net.n_workers = 1;
	cfg.n_workers = 1;
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

/* Two workers, software dispatch: a datagram worker 0 receives for a flow
 * worker 1 owns goes through 1's handoff ring and is delivered there. */
static void
test_dispatch_to_owner(void)
{
	struct dpx_worker w[2];
	uint8_t data[100];
	struct peer_dgram d = { .sport = PEER_PORT, .dport = OUR_PORT,
				.data = data, .len = sizeof(data) };
	struct rte_ring *ring = rte_ring_create("test_udp_handoff", 64,
						SOCKET_ID_ANY,
						RING_F_SC_DEQ);
	struct dpx_flow4 f = { .remote_ip = PEER_IP, .local_ip = OUR_IP,
			       .local_port = OUR_PORT };

	CHECK(ring != NULL);
	if (ring == NULL)
		return;
	fill(data, sizeof(data), 2);
	memset(&seen, 0, sizeof(seen));
	net.n_workers = 2;
	cfg.n_workers = 2;
	net.handoff[1] = ring;
	net.kick_fd[0] = net.kick_fd[1] = -1;
	for (unsigned int i = 0; i < 2; i++) {
		worker_setup(&w[i], i);
		CHECK_EQ(dpx_udp_bind(&w[i], 0, OUR_PORT, rx_record, NULL),
			 0);
	}
	/* A source port whose flow worker 1 owns. */
	for (d.sport = PEER_PORT; ; d.sport++) {
		f.remote_port = d.sport;
		if (dpx_net_flow_owner(&net, 0, &f) == 1)
			break;
	}
	peer_send(&w[0], &d);
	CHECK_EQ(seen.calls, 0);
	CHECK_EQ(rte_ring_count(ring), 1);
	CHECK_EQ(stats(&w[0])->dispatched, 1);
	CHECK_EQ(net_handoff_drain(&w[1]), 1);
	net_l4_flush(&w[1]);
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(seen.worker, 1);
	CHECK_EQ(seen.len, sizeof(data));
	CHECK(memcmp(seen.data, data, sizeof(data)) == 0);
	CHECK_EQ(stats(&w[1])->in, 1);
	CHECK_EQ(stats(&w[0])->in, 0);
	for (unsigned int i = 0; i < 2; i++)
		worker_teardown(&w[i]);
	net.handoff[1] = NULL;
	rte_ring_free(ring);
	net.n_workers = 1;
	cfg.n_workers = 1;
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

int
main(void)
{
	if (test_eal_init("unit-udp") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	test_net_one_port(&cfg, &net, pool, OUR_IP, 0, &our_mac);
	RUN_TEST(test_good_datagram_delivered);
	RUN_TEST(test_bad_checksum_dropped);
	RUN_TEST(test_zero_checksum_accepted);
	RUN_TEST(test_bad_lengths_dropped);
	RUN_TEST(test_closed_port_unreachable_rate_limited);
	RUN_TEST(test_send_builds_header_and_checksum);
	RUN_TEST(test_send_checksum_zero_is_ffff);
	RUN_TEST(test_echo_with_send_mbuf);
	RUN_TEST(test_bind_rules);
	RUN_TEST(test_pick_port_owned_and_random);
	RUN_TEST(test_dispatch_to_owner);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return TEST_SUMMARY();
}
