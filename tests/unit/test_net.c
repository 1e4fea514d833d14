/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-by-packet tests of lib/net: crafted frames go into
 * dpx_net_input() on a worker with no real device, and the frames dpx
 * queues for TX (or the drop counters) are checked byte by byte.
 */
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dpx_test.h"
#include "test_eal.h"
#include "test_net_fixture.h"
#include "net_priv.h"

#define OUR_IP   0xc6120001u /* 198.18.0.1 */
#define PEER_IP  0xc6120002u /* 198.18.0.2 */
#define OTHER_IP 0xc6120063u /* 198.18.0.99 */
#define FAR_IP   0xc6130105u /* 198.19.1.5, via the gateway */
#define GW_IP    0xc61200feu /* 198.18.0.254 */

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 1 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 2 }};
static const struct rte_ether_addr gw_mac = {{ 0x02, 0, 0, 0, 0, 0xfe }};

static struct dpx_config cfg;
static struct dpx_net net;
static struct rte_mempool *pool;

/* A fresh worker per test: no state leaks from one case to the next. */
static void
worker_setup(struct dpx_worker *w)
{
	memset(w, 0, sizeof(*w));
	w->cfg = &cfg;
	CHECK_EQ(dpx_net_worker_init(w, &net), 0);
}

static void
worker_teardown(struct dpx_worker *w)
{
	dpx_net_worker_fini(w);
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

static struct dpx_tx_buffer *
txq(struct dpx_worker *w)
{
	return &w->net->tx[0];
}

static uint64_t
drops(struct dpx_worker *w, enum dpx_drop_reason why)
{
	return w->net->stats[0].drops[why];
}

static struct rte_mbuf *
frame_new(const struct rte_ether_addr *dst, uint16_t type, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + len);
	memset(eth, 0, sizeof(*eth) + len);
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(&peer_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(type);
	return m;
}

static struct rte_mbuf *
arp_frame(uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
	  uint32_t tip)
{
	struct rte_mbuf *m = frame_new(&(struct rte_ether_addr){{ 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff }}, RTE_ETHER_TYPE_ARP,
			sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
			sizeof(struct rte_ether_hdr));

	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

static struct rte_ipv4_hdr *
ip_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
				       sizeof(struct rte_ether_hdr));
}

/* An ICMP echo request from src to dst with payload_len bytes. */
static struct rte_mbuf *
echo_frame(uint32_t src, uint32_t dst, size_t payload_len)
{
	size_t icmp_len = sizeof(struct rte_icmp_hdr) + payload_len;
	struct rte_mbuf *m = frame_new(&our_mac, RTE_ETHER_TYPE_IPV4,
				       sizeof(struct rte_ipv4_hdr) + icmp_len);
	struct rte_ipv4_hdr *ip = ip_of(m);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	uint8_t *payload = (uint8_t *)(icmp + 1);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + icmp_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = RTE_BE16(0x1234);
	icmp->icmp_seq_nb = RTE_BE16(7);
	for (size_t i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, icmp_len);
	return m;
}

/* Teaches w that PEER_IP is at peer_mac (an ARP request for us). */
static void
learn_peer(struct dpx_worker *w)
{
	dpx_net_input(w, 0, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
				      OUR_IP));
	rte_pktmbuf_free_bulk(txq(w)->pkts, txq(w)->count);
	txq(w)->count = 0;
}

static void
test_arp_request_for_us_gets_reply(void)
{
	struct dpx_worker w;
	struct rte_arp_hdr *a;
	struct rte_ether_hdr *eth;

	worker_setup(&w);
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
				       OUR_IP));
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1) {
		eth = rte_pktmbuf_mtod(txq(&w)->pkts[0], struct rte_ether_hdr *);
		a = (struct rte_arp_hdr *)(eth + 1);
		CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
		CHECK(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
		CHECK_EQ(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
		CHECK(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
		CHECK(rte_is_same_ether_addr(&a->arp_data.arp_tha, &peer_mac));
		CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_sip), OUR_IP);
		CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_tip), PEER_IP);
	}
	CHECK_EQ(w.net->stats[0].arp_replies_sent, 1);
	worker_teardown(&w);
}

/* Egress rotation puts several addresses on one port: each answers ARP
 * and echo from itself and is local to IPv4; a neighbour is not. */
static void
test_several_addresses(void)
{
	static const uint32_t extra[] = { 0xc612000au, 0xc612000bu };
	const uint32_t unknown = 0xc612000cu;  /* 198.18.0.12 */
	struct dpx_worker w;

	for (unsigned int i = 0; i < RTE_DIM(extra); i++) {
		cfg.ports[0].addrs[1 + i] = (struct dpx_ipv4_prefix){
			extra[i], 24 };
		net.ports[0].masks[1 + i] = 0xffffff00u;
	}
	cfg.ports[0].n_addrs = 3;
	worker_setup(&w);
	for (unsigned int i = 0; i < RTE_DIM(extra); i++) {
		struct rte_arp_hdr *a;

		dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac,
					       PEER_IP, extra[i]));
		CHECK_EQ(txq(&w)->count, i + 1);
		if (txq(&w)->count != i + 1)
			break;
		a = rte_pktmbuf_mtod_offset(txq(&w)->pkts[i],
					    struct rte_arp_hdr *, 14);
		CHECK_EQ(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
		CHECK(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
		CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_sip), extra[i]);
	}
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
				       unknown));
	CHECK_EQ(drops(&w, DPX_DROP_ARP_NOT_FOR_US), 1);
	CHECK_EQ(w.net->stats[0].arp_replies_sent, 2);
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	dpx_net_input(&w, 0, echo_frame(PEER_IP, extra[1], 8));
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1) {
		struct rte_ipv4_hdr *ip = ip_of(txq(&w)->pkts[0]);

		CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), extra[1]);
		CHECK_EQ(rte_be_to_cpu_32(ip->dst_addr), PEER_IP);
	}
	dpx_net_input(&w, 0, echo_frame(PEER_IP, unknown, 8));
	CHECK_EQ(drops(&w, DPX_DROP_IP_NOT_LOCAL), 1);
	CHECK_EQ(w.net->stats[0].icmp_echo_replies, 1);
	worker_teardown(&w);
	cfg.ports[0].n_addrs = 1;
}

static void
test_arp_bad_and_foreign(void)
{
	struct dpx_worker w;
	struct rte_mbuf *m;

	worker_setup(&w);
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP,
				       OTHER_IP));
	CHECK_EQ(drops(&w, DPX_DROP_ARP_NOT_FOR_US), 1);
	m = arp_frame(RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP, OUR_IP);
	rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, 14)->arp_hlen = 5;
	dpx_net_input(&w, 0, m);
	m = arp_frame(RTE_ARP_OP_REQUEST, &peer_mac, PEER_IP, OUR_IP);
	rte_pktmbuf_trim(m, 10);
	dpx_net_input(&w, 0, m);
	m = arp_frame(3, &peer_mac, PEER_IP, OUR_IP); /* RARP op */
	dpx_net_input(&w, 0, m);
	/* A broadcast sender address would poison the cache. */
	m = arp_frame(RTE_ARP_OP_REPLY, &(struct rte_ether_addr){{ 0xff, 0xff,
		      0xff, 0xff, 0xff, 0xff }}, PEER_IP, OUR_IP);
	dpx_net_input(&w, 0, m);
	CHECK_EQ(drops(&w, DPX_DROP_ARP_MALFORMED), 4);
	CHECK_EQ(txq(&w)->count, 0);
	worker_teardown(&w);
}

static void
check_echo_reply(struct rte_mbuf *m, const struct rte_ether_addr *dst_mac,
		 uint32_t dst_ip, size_t payload_len)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = ip_of(m);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	size_t icmp_len = sizeof(*icmp) + payload_len;
	const uint8_t *payload = (const uint8_t *)(icmp + 1);

	CHECK(rte_is_same_ether_addr(&eth->dst_addr, dst_mac));
	CHECK(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	CHECK_EQ(m->pkt_len, sizeof(*eth) + sizeof(*ip) + icmp_len);
	CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), OUR_IP);
	CHECK_EQ(rte_be_to_cpu_32(ip->dst_addr), dst_ip);
	CHECK_EQ(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	CHECK_EQ(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	CHECK_EQ(rte_raw_cksum(icmp, icmp_len), 0xffff);
	CHECK_EQ(icmp->icmp_ident, RTE_BE16(0x1234));
	for (size_t i = 0; i < payload_len; i++)
		if (payload[i] != (uint8_t)(i * 7 + 3)) {
			CHECK(!"payload changed");
			break;
		}
}

static void
test_echo_reply_to_known_peer(void)
{
	struct dpx_worker w;

	worker_setup(&w);
	learn_peer(&w);
	dpx_net_input(&w, 0, echo_frame(PEER_IP, OUR_IP, 56));
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1)
		check_echo_reply(txq(&w)->pkts[0], &peer_mac, PEER_IP, 56);
	CHECK_EQ(w.net->stats[0].icmp_echo_replies, 1);
	worker_teardown(&w);
}

/* Ethernet pads a short frame to 60 bytes; the reply must not echo pad. */
static void
test_echo_padded_frame_trimmed(void)
{
	struct dpx_worker w;
	struct rte_mbuf *m;

	worker_setup(&w);
	learn_peer(&w);
	m = echo_frame(PEER_IP, OUR_IP, 0);
	rte_pktmbuf_append(m, 60 - m->pkt_len);
	dpx_net_input(&w, 0, m);
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1)
		check_echo_reply(txq(&w)->pkts[0], &peer_mac, PEER_IP, 0);
	worker_teardown(&w);
}

/* An unknown neighbour: an ARP request goes out, the reply waits, and the
 * ARP answer releases it. */
static void
test_echo_waits_for_arp(void)
{
	struct dpx_worker w;
	struct rte_arp_hdr *a;

	worker_setup(&w);
	dpx_net_input(&w, 0, echo_frame(PEER_IP, OUR_IP, 8));
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count != 1)
		goto out;
	a = rte_pktmbuf_mtod_offset(txq(&w)->pkts[0], struct rte_arp_hdr *,
				    sizeof(struct rte_ether_hdr));
	CHECK_EQ(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REQUEST);
	CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_tip), PEER_IP);
	CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_sip), OUR_IP);
	rte_pktmbuf_free(txq(&w)->pkts[0]);
	txq(&w)->count = 0;
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REPLY, &peer_mac, PEER_IP,
				       OUR_IP));
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1)
		check_echo_reply(txq(&w)->pkts[0], &peer_mac, PEER_IP, 8);
out:
	worker_teardown(&w);
}

static void
test_arp_pending_bounded_and_expires(void)
{
	struct dpx_worker w;
	uint64_t t;

	worker_setup(&w);
	for (unsigned int i = 0; i < cfg.arp.max_pending + 3; i++)
		dpx_net_input(&w, 0, echo_frame(PEER_IP, OUR_IP, 8));
	CHECK_EQ(drops(&w, DPX_DROP_ARP_UNRESOLVED), 3);
	CHECK_EQ(w.net->stats[0].arp_requests_sent, 1);
	/* Each retry period asks again; after the last, the queue drops. */
	t = rte_get_tsc_cycles();
	for (unsigned int i = 1; i <= cfg.arp.retries; i++)
		arp_timer(&w, t + i * (rte_get_tsc_hz() / 1000 *
				       cfg.arp.retry_ms + 1));
	CHECK_EQ(w.net->stats[0].arp_requests_sent, cfg.arp.retries);
	CHECK_EQ(drops(&w, DPX_DROP_ARP_UNRESOLVED), 3 + cfg.arp.max_pending);
	CHECK_EQ(w.net->arp.count, 0);
	worker_teardown(&w);
}

static void
test_arp_table_full(void)
{
	struct dpx_worker w;

	worker_setup(&w);
	/* Every address of 198.18.0.0/24 but ours: more than max_entries. */
	for (uint32_t h = 2; h < 2 + cfg.arp.max_entries + 5; h++)
		dpx_net_input(&w, 0, echo_frame(0xc6120000u | h, OUR_IP, 0));
	CHECK_EQ(w.net->arp.count, cfg.arp.max_entries);
	CHECK(drops(&w, DPX_DROP_ARP_UNRESOLVED) >= 5);
	worker_teardown(&w);
}

/* An expired neighbour is still used while it is asked again; a full
 * table of unresolved entries gives one up for a neighbour that talks. */
static void
test_arp_stale_and_eviction(void)
{
	struct dpx_worker w;
	struct rte_arp_hdr *a;
	uint64_t later;

	worker_setup(&w);
	learn_peer(&w);
	later = rte_get_tsc_cycles() +
		rte_get_tsc_hz() / 1000 * (cfg.arp.timeout_ms + 1);
	arp_timer(&w, later);
	CHECK_EQ(txq(&w)->count, 1);             /* a refresh request */
	if (txq(&w)->count == 1) {
		a = rte_pktmbuf_mtod_offset(txq(&w)->pkts[0],
					    struct rte_arp_hdr *, 14);
		CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_tip), PEER_IP);
	}
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	dpx_net_input(&w, 0, echo_frame(PEER_IP, OUR_IP, 8));
	CHECK_EQ(txq(&w)->count, 1);             /* answered at once */
	if (txq(&w)->count == 1)
		check_echo_reply(txq(&w)->pkts[0], &peer_mac, PEER_IP, 8);
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	/* Fill the table with unresolved sources (a spoofed flood). */
	for (uint32_t h = 10; h < 10 + cfg.arp.max_entries - 1; h++)
		dpx_net_input(&w, 0, echo_frame(0xc6120000u | h, OUR_IP, 0));
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	CHECK_EQ(w.net->arp.count, cfg.arp.max_entries);
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REQUEST, &peer_mac,
				       OTHER_IP, OUR_IP));
	CHECK_EQ(w.net->stats[0].arp_evicted, 1);
	CHECK_EQ(txq(&w)->count, 1);             /* and its reply */
	worker_teardown(&w);
}

static void
expect_drop(struct rte_mbuf *m, enum dpx_drop_reason why)
{
	struct dpx_worker w;

	worker_setup(&w);
	learn_peer(&w);
	dpx_net_input(&w, 0, m);
	if (drops(&w, why) != 1)
		fprintf(stderr, "expected drop %s\n", dpx_drop_names[why]);
	CHECK_EQ(drops(&w, why), 1);
	CHECK_EQ(txq(&w)->count, 0);
	worker_teardown(&w);
}

static void
test_ip_drops(void)
{
	struct rte_mbuf *m;

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->hdr_checksum ^= 0x0101;
	expect_drop(m, DPX_DROP_IP_CHECKSUM);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	rte_pktmbuf_trim(m, m->pkt_len - 14 - 12);
	expect_drop(m, DPX_DROP_IP_TRUNCATED);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->total_length = RTE_BE16(200);
	ip_of(m)->hdr_checksum = 0;
	ip_of(m)->hdr_checksum = rte_ipv4_cksum(ip_of(m));
	expect_drop(m, DPX_DROP_IP_TRUNCATED);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->version_ihl = 0x44;
	expect_drop(m, DPX_DROP_IP_HEADER);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->version_ihl = 0x65;
	expect_drop(m, DPX_DROP_IP_HEADER);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	ip_of(m)->hdr_checksum = 0;
	ip_of(m)->hdr_checksum = rte_ipv4_cksum(ip_of(m));
	expect_drop(m, DPX_DROP_IP_FRAGMENT);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->fragment_offset = RTE_BE16(185);
	ip_of(m)->hdr_checksum = 0;
	ip_of(m)->hdr_checksum = rte_ipv4_cksum(ip_of(m));
	expect_drop(m, DPX_DROP_IP_FRAGMENT);

	expect_drop(echo_frame(PEER_IP, OTHER_IP, 8), DPX_DROP_IP_NOT_LOCAL);
	expect_drop(echo_frame(0x7f000001u, OUR_IP, 8), DPX_DROP_IP_HEADER);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	ip_of(m)->next_proto_id = IPPROTO_UDP;
	ip_of(m)->hdr_checksum = 0;
	ip_of(m)->hdr_checksum = rte_ipv4_cksum(ip_of(m));
	expect_drop(m, DPX_DROP_IP_PROTO);
}

static void
test_eth_and_icmp_drops(void)
{
	struct rte_mbuf *m;
	struct rte_icmp_hdr *icmp;

	expect_drop(frame_new(&peer_mac, RTE_ETHER_TYPE_IPV4, 40),
		    DPX_DROP_ETH_NOT_FOR_US);
	expect_drop(frame_new(&our_mac, RTE_ETHER_TYPE_IPV6, 40),
		    DPX_DROP_ETHERTYPE);
	m = frame_new(&our_mac, RTE_ETHER_TYPE_IPV4, 0);
	rte_pktmbuf_trim(m, 4);
	expect_drop(m, DPX_DROP_ETH_TRUNCATED);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	((struct rte_icmp_hdr *)(ip_of(m) + 1))->icmp_cksum ^= 0x0400;
	expect_drop(m, DPX_DROP_ICMP_MALFORMED);

	m = echo_frame(PEER_IP, OUR_IP, 8);
	icmp = (struct rte_icmp_hdr *)(ip_of(m) + 1);
	icmp->icmp_type = 13; /* timestamp request */
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, sizeof(*icmp) + 8);
	expect_drop(m, DPX_DROP_ICMP_TYPE);
}

static void
test_route_and_output(void)
{
	struct dpx_worker w;
	unsigned int port = 9;
	uint32_t nexthop = 0, src = 0;
	struct rte_mbuf *m;
	struct rte_udp_hdr *udp;

	CHECK_EQ(ipv4_route(&net, PEER_IP, &port, &nexthop, &src), 0);
	CHECK_EQ(port, 0);
	CHECK_EQ(nexthop, PEER_IP);
	CHECK_EQ(src, OUR_IP);
	CHECK_EQ(ipv4_route(&net, FAR_IP, &port, &nexthop, &src), 0);
	CHECK_EQ(nexthop, GW_IP);

	worker_setup(&w);
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REQUEST, &gw_mac, GW_IP,
				       OUR_IP));
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	m = rte_pktmbuf_alloc(pool);
	udp = (struct rte_udp_hdr *)rte_pktmbuf_append(m, sizeof(*udp) + 4);
	memset(udp, 0xab, sizeof(*udp) + 4);
	CHECK_EQ(dpx_ipv4_output(&w, m, 0, FAR_IP, IPPROTO_UDP), 0);
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1) {
		m = txq(&w)->pkts[0];
		CHECK(rte_is_same_ether_addr(
			&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr,
			&gw_mac));
		CHECK_EQ(rte_be_to_cpu_32(ip_of(m)->dst_addr), FAR_IP);
		CHECK_EQ(rte_be_to_cpu_32(ip_of(m)->src_addr), OUR_IP);
		CHECK_EQ(rte_be_to_cpu_16(ip_of(m)->total_length), 20 + 12);
		CHECK_EQ(rte_raw_cksum(ip_of(m), 20), 0xffff);
	}
	worker_teardown(&w);
}

/* A UDP-sized payload of n bytes sent through path. */
static int
path_send(struct dpx_worker *w, struct dpx_net_path *path, uint16_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	memset(rte_pktmbuf_append(m, n), 0xab, n);
	return dpx_ipv4_output_path(w, path, m, OUR_IP, FAR_IP, IPPROTO_UDP);
}

/* The cached path sends the same frames as the full lookup, with a valid
 * header checksum for every length, and follows a neighbour's new MAC. */
static void
test_output_path(void)
{
	static const struct rte_ether_addr gw_mac2 = {{ 0x02, 0, 0, 0, 0, 9 }};
	struct dpx_net_path path;
	struct dpx_worker w;
	struct rte_mbuf *m;

	memset(&path, 0, sizeof(path));
	worker_setup(&w);
	/* Unresolved: queued on ARP like dpx_ipv4_output(), nothing cached. */
	CHECK_EQ(path_send(&w, &path, 8), 0);
	CHECK(path.gen == 0);
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REPLY, &gw_mac, GW_IP,
				       OUR_IP));
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	for (uint16_t n = 8; n < 1400; n += 131) {
		CHECK_EQ(path_send(&w, &path, n), 0);
		CHECK_EQ(txq(&w)->count, 1);
		if (txq(&w)->count != 1)
			break;
		m = txq(&w)->pkts[0];
		CHECK(rte_is_same_ether_addr(
			&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr,
			&gw_mac));
		CHECK_EQ(rte_be_to_cpu_16(ip_of(m)->total_length), 20 + n);
		CHECK_EQ(rte_raw_cksum(ip_of(m), 20), 0xffff);
		rte_pktmbuf_free(m);
		txq(&w)->count = 0;
	}
	CHECK(path.gen != 0);
	/* The gateway answers from a new MAC: the next frame goes there. */
	dpx_net_input(&w, 0, arp_frame(RTE_ARP_OP_REPLY, &gw_mac2, GW_IP,
				       OUR_IP));
	rte_pktmbuf_free_bulk(txq(&w)->pkts, txq(&w)->count);
	txq(&w)->count = 0;
	CHECK_EQ(path_send(&w, &path, 8), 0);
	CHECK_EQ(txq(&w)->count, 1);
	if (txq(&w)->count == 1)
		CHECK(rte_is_same_ether_addr(&rte_pktmbuf_mtod(txq(&w)->pkts[0],
				struct rte_ether_hdr *)->dst_addr, &gw_mac2));
	worker_teardown(&w);
}

static unsigned int
fault_run(const struct dpx_fault_dir *p, uint64_t seed, unsigned int n,
	  struct rte_mbuf **out, struct dpx_port_stats *st)
{
	struct dpx_fault_state *fs = fault_state_new(p, seed, 1000, SOCKET_ID_ANY);
	struct rte_mbuf *in[32];
	unsigned int k;

	for (unsigned int i = 0; i < n; i++) {
		in[i] = rte_pktmbuf_alloc(pool);
		*(uint32_t *)rte_pktmbuf_append(in[i], 4) = i;
	}
	k = fault_apply(fs, pool, st, 0, in, n, out, 2 * n + 1);
	k += fault_release(fs, UINT64_MAX, out + k, 2 * n + 1 - k);
	fault_state_free(fs);
	return k;
}

static void
test_fault_injection(void)
{
	struct rte_mbuf *out[65];
	struct dpx_port_stats st;
	unsigned int k, k2, seen = 0, inversions = 0;

	memset(&st, 0, sizeof(st));
	k = fault_run(&(struct dpx_fault_dir){ .drop = 1 }, 1, 32, out, &st);
	CHECK_EQ(k, 0);
	CHECK_EQ(st.drops[DPX_DROP_FAULT], 32);

	memset(&st, 0, sizeof(st));
	k = fault_run(&(struct dpx_fault_dir){ .duplicate = 1 }, 1, 32, out, &st);
	CHECK_EQ(k, 64);
	CHECK_EQ(st.fault_duplicated, 32);
	for (unsigned int i = 0; i + 1 < k; i += 2)
		CHECK_EQ(*rte_pktmbuf_mtod(out[i], uint32_t *),
			 *rte_pktmbuf_mtod(out[i + 1], uint32_t *));
	rte_pktmbuf_free_bulk(out, k);

	/* Half reordered: every packet still arrives exactly once. */
	memset(&st, 0, sizeof(st));
	k = fault_run(&(struct dpx_fault_dir){ .reorder = 0.5 }, 7, 32, out, &st);
	CHECK_EQ(k, 32);
	for (unsigned int i = 0; i < k; i++) {
		uint32_t v = *rte_pktmbuf_mtod(out[i], uint32_t *);

		seen |= 1u << v;
		if (i && v < *rte_pktmbuf_mtod(out[i - 1], uint32_t *))
			inversions++;
	}
	CHECK_EQ(seen, UINT32_MAX);
	CHECK(inversions > 0);
	CHECK(st.fault_reordered > 0);
	rte_pktmbuf_free_bulk(out, k);

	/* The same seed replays the same losses. */
	memset(&st, 0, sizeof(st));
	k = fault_run(&(struct dpx_fault_dir){ .drop = 0.5 }, 42, 32, out, &st);
	rte_pktmbuf_free_bulk(out, k);
	k2 = fault_run(&(struct dpx_fault_dir){ .drop = 0.5 }, 42, 32, out, &st);
	rte_pktmbuf_free_bulk(out, k2);
	CHECK_EQ(k, k2);
	CHECK(k > 0 && k < 32);
}

static void
config_setup(void)
{
	test_net_one_port(&cfg, &net, pool, OUR_IP, GW_IP, &our_mac);
}

/* dpx_cksum() agrees with DPDK's 16-bit loop for every length and
 * alignment, including odd ones and sums that need end-around carries. */
static void
test_cksum_matches_dpdk(void)
{
	static uint8_t buf[2100];
	unsigned int bad = 0;
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += len < 80 ? 1 : 37)
			bad += dpx_cksum(buf + off, len) !=
			       rte_raw_cksum(buf + off, len);
	/* All ones: the carries wrap around on every word. */
	memset(buf, 0xff, sizeof(buf));
	for (size_t len = 0; len <= 64; len++)
		bad += dpx_cksum(buf, len) != rte_raw_cksum(buf, len);
	CHECK_EQ(bad, 0);
}

/* One's complement sums compare modulo 0xffff: 0 and 0xffff agree. */
static bool
sum_eq(uint16_t a, uint16_t b)
{
	return a == b || (a % 0xffff == 0 && b % 0xffff == 0);
}

/* The sum of a segment's tail after a cut at n, as pipe.c derives it from
 * the whole's and the head's (byte-swapped after an odd cut), equals the
 * tail's own sum, for every cut. */
static void
test_cksum_split(void)
{
	static uint8_t buf[1500];
	unsigned int bad = 0;
	uint32_t x = 777;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t len = 1; len <= sizeof(buf); len += len < 40 ? 1 : 97) {
		uint16_t total = dpx_cksum(buf, len);

		for (size_t n = 0; n <= len; n++) {
			uint16_t head = dpx_cksum(buf, n);
			uint16_t tail = dpx_cksum_sub(total, head);

			if (n & 1)
				tail = rte_bswap16(tail);
			bad += !sum_eq(tail, dpx_cksum(buf + n, len - n));
		}
	}
	CHECK_EQ(bad, 0);
}

int
main(void)
{
	if (test_eal_init("unit-net") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_pool", 1023, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	config_setup();
	RUN_TEST(test_arp_request_for_us_gets_reply);
	RUN_TEST(test_arp_bad_and_foreign);
	RUN_TEST(test_several_addresses);
	RUN_TEST(test_echo_reply_to_known_peer);
	RUN_TEST(test_echo_padded_frame_trimmed);
	RUN_TEST(test_echo_waits_for_arp);
	RUN_TEST(test_arp_pending_bounded_and_expires);
	RUN_TEST(test_arp_table_full);
	RUN_TEST(test_arp_stale_and_eviction);
	RUN_TEST(test_ip_drops);
	RUN_TEST(test_eth_and_icmp_drops);
	RUN_TEST(test_route_and_output);
	RUN_TEST(test_output_path);
	RUN_TEST(test_fault_injection);
	RUN_TEST(test_cksum_matches_dpdk);
	RUN_TEST(test_cksum_split);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return TEST_SUMMARY();
}
