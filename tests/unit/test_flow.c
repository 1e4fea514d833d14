/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow ownership and the software dispatcher (lib/net/flow.c): the
 * Toeplitz hash against the published RSS verification vectors, symmetry
 * under our key, owner = RETA lookup, local port selection for active
 * opens, and packets handed from a non-owner worker to the owner through
 * its handoff ring, on a dpx_net with no real device.
 */
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "dpx_test.h"
#include "test_eal.h"
#include "test_net_fixture.h"
#include "net_priv.h"

#define OUR_IP  0xc6120001u /* 198.18.0.1 */
#define PEER_IP 0xc6120002u /* 198.18.0.2 */
#define N_RANDOM_FLOWS 10000
#define HANDOFF_TEST_RING 8 /* holds 7 */

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 1 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 2 }};

static struct dpx_config cfg;
static struct dpx_net net;
static struct rte_mempool *pool;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/*
 * Microsoft's RSS verification suite for IPv4 with TCP, under the standard
 * 40-byte key, as DPDK's app/test/test_thash.c carries it (from the 82599
 * datasheet, 7.1.2.8.3).
 */
static const uint8_t ms_key[40] __rte_aligned(4) = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static const struct {
	uint32_t dst_ip, src_ip;
	uint16_t dst_port, src_port;
	uint32_t hash_l3l4;
} ms_vectors[] = {
	{ RTE_IPV4(161, 142, 100, 80), RTE_IPV4(66, 9, 149, 187),
	  1766, 2794, 0x51ccc178 },
	{ RTE_IPV4(65, 69, 140, 83), RTE_IPV4(199, 92, 111, 2),
	  4739, 14230, 0xc626b0ea },
	{ RTE_IPV4(12, 22, 207, 184), RTE_IPV4(24, 19, 198, 95),
	  38024, 12898, 0x5c2b394a },
	{ RTE_IPV4(209, 142, 163, 6), RTE_IPV4(38, 27, 205, 30),
	  2217, 48228, 0xafc7327f },
	{ RTE_IPV4(202, 188, 127, 2), RTE_IPV4(153, 39, 163, 191),
	  1303, 44251, 0x10e828a2 },
};

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static struct dpx_flow4
random_flow(void)
{
	return (struct dpx_flow4){ .remote_ip = rnd32(), .local_ip = rnd32(),
		.remote_port = (uint16_t)rnd32(),
		.local_port = (uint16_t)rnd32() };
}

/* The same connection seen from the other end. */
static struct dpx_flow4
flow_reversed(const struct dpx_flow4 *f)
{
	return (struct dpx_flow4){ .remote_ip = f->local_ip,
		.local_ip = f->remote_ip, .remote_port = f->local_port,
		.local_port = f->remote_port };
}

/* n workers; port 0 with a RETA of reta_size entries (0: none, software
 * dispatch) filled i % n. */
static void
net_shape(unsigned int n, uint16_t reta_size)
{
	struct dpx_port *p = &net.ports[0];

	net.n_workers = n;
	cfg.n_workers = n;
	p->reta_size = reta_size;
	for (unsigned int i = 0; i < reta_size; i++)
		p->reta[i] = (uint8_t)(i % n);
}

static void
test_toeplitz_ms_vectors(void)
{
	uint32_t key_be[RTE_DIM(ms_key) / 4];

	rte_convert_rss_key((const uint32_t *)ms_key, key_be, sizeof(ms_key));
	for (unsigned int i = 0; i < RTE_DIM(ms_vectors); i++) {
		/* A received packet: its source is the remote end. */
		struct dpx_flow4 f = { .remote_ip = ms_vectors[i].src_ip,
			.local_ip = ms_vectors[i].dst_ip,
			.remote_port = ms_vectors[i].src_port,
			.local_port = ms_vectors[i].dst_port };

		CHECK_EQ(net_flow_toeplitz(key_be, &f), ms_vectors[i].hash_l3l4);
	}
}

/* Both directions of a flow hash alike under our key (not under
 * Microsoft's: the check can fail), and the hash is the generic DPDK
 * Toeplitz over the unconverted key. */
static void
test_hash_symmetric_and_deterministic(void)
{
	uint32_t key_be[RTE_DIM(ms_key) / 4];
	unsigned int asymmetric_ms = 0;

	rte_convert_rss_key((const uint32_t *)ms_key, key_be, sizeof(ms_key));
	for (unsigned int i = 0; i < N_RANDOM_FLOWS; i++) {
		struct dpx_flow4 f = random_flow();
		struct dpx_flow4 r = flow_reversed(&f);
		union rte_thash_tuple t = { .v4 = { .src_addr = f.remote_ip,
			.dst_addr = f.local_ip, .sport = f.remote_port,
			.dport = f.local_port } };
		uint32_t h = net_flow_hash(&f);

		CHECK_EQ(h, net_flow_hash(&r));
		CHECK_EQ(h, net_flow_hash(&f));
		CHECK_EQ(h, rte_softrss((uint32_t *)&t.v4, RTE_THASH_V4_L4_LEN,
					net_rss_key));
		asymmetric_ms += net_flow_toeplitz(key_be, &f) !=
				 net_flow_toeplitz(key_be, &r);
	}
	CHECK(asymmetric_ms > N_RANDOM_FLOWS / 2);
}

/* Each of n workers owns 1/n of random flows, within 10%. */
static void
check_distribution(unsigned int n, uint16_t reta_size)
{
	unsigned int count[8] = { 0 };
	unsigned int fair = N_RANDOM_FLOWS / n;

	net_shape(n, reta_size);
	for (unsigned int i = 0; i < N_RANDOM_FLOWS; i++) {
		struct dpx_flow4 f = random_flow();
		unsigned int o = dpx_net_flow_owner(&net, 0, &f);

		CHECK(o < n);
		if (o < n)
			count[o]++;
	}
	for (unsigned int w = 0; w < n; w++) {
		if (count[w] < fair * 9 / 10 || count[w] > fair * 11 / 10)
			fprintf(stderr, "%u workers, RETA %u: worker %u owns "
				"%u of %u\n", n, reta_size, w, count[w],
				N_RANDOM_FLOWS);
		CHECK(count[w] >= fair * 9 / 10 && count[w] <= fair * 11 / 10);
	}
}

static void
test_owner_distribution(void)
{
	for (unsigned int n = 2; n <= 8; n *= 2) {
		check_distribution(n, 0);
		check_distribution(n, 128);
		check_distribution(n, 512);
	}
	net_shape(1, 0);
}

/* Owner = RETA[hash's low bits] (as the NIC), or hash % n without RETA;
 * the same for both directions. */
static void
test_owner_matches_reta(void)
{
	struct dpx_port *p = &net.ports[0];

	net_shape(3, 64);
	for (unsigned int i = 0; i < 64; i++)
		p->reta[i] = (uint8_t)((i * 5 + 1) % 3); /* not i % n */
	for (unsigned int i = 0; i < N_RANDOM_FLOWS; i++) {
		struct dpx_flow4 f = random_flow();
		struct dpx_flow4 r = flow_reversed(&f);
		unsigned int o = dpx_net_flow_owner(&net, 0, &f);

		CHECK_EQ(o, p->reta[net_flow_hash(&f) & 63]);
		CHECK_EQ(o, dpx_net_flow_owner(&net, 0, &r));
	}
	net_shape(3, 0);
	for (unsigned int i = 0; i < N_RANDOM_FLOWS; i++) {
		struct dpx_flow4 f = random_flow();

		CHECK_EQ(dpx_net_flow_owner(&net, 0, &f), net_flow_hash(&f) % 3);
	}
	net_shape(1, 0);
	for (unsigned int i = 0; i < 100; i++) {
		struct dpx_flow4 f = random_flow();

		CHECK_EQ(dpx_net_flow_owner(&net, 0, &f), 0);
	}
}

/* Owner of the flow local lip:lport <-> remote rip:rport on port 0. */
static unsigned int
owner_of_port(uint32_t lip, uint32_t rip, uint16_t rport, uint16_t lport)
{
	struct dpx_flow4 f = { .remote_ip = rip, .local_ip = lip,
			       .remote_port = rport, .local_port = lport };

	return dpx_net_flow_owner(&net, 0, &f);
}

/* Random searches: the port found is in range, owned by w, and the first
 * such port from start on (wrapping). */
static void
check_pick_random(unsigned int n)
{
	for (unsigned int i = 0; i < 300; i++) {
		unsigned int w = i % n;
		uint32_t lip = rnd32(), rip = rnd32();
		uint16_t rport = (uint16_t)rnd32();
		uint16_t start = (uint16_t)(1024 + rnd32() % 64512), out = 0;
		int rc = dpx_net_pick_local_port(&net, 0, w, lip, rip, rport,
						 1024, 65535, start, &out);

		CHECK_EQ(rc, 0);
		CHECK(out >= 1024);
		CHECK_EQ(owner_of_port(lip, rip, rport, out), w);
		for (uint32_t p = start; p != out; p = p == 65535 ? 1024 : p + 1)
			if (owner_of_port(lip, rip, rport, (uint16_t)p) == w) {
				CHECK(!"an earlier port fits");
				break;
			}
	}
}

/* Walking a range with "again from *out + 1" visits every port w owns
 * there exactly once. */
static void
check_pick_walk(unsigned int w, uint16_t lo, uint16_t hi)
{
	uint32_t lip = rnd32(), rip = rnd32();
	uint16_t rport = (uint16_t)rnd32(), out = 0;
	unsigned int want = 0, got = 0;
	uint32_t start = lo;

	for (uint32_t p = lo; p <= hi; p++)
		want += owner_of_port(lip, rip, rport, (uint16_t)p) == w;
	while (start <= hi &&
	       dpx_net_pick_local_port(&net, 0, w, lip, rip, rport, lo, hi,
				       (uint16_t)start, &out) == 0 &&
	       out >= start) {
		got++;
		start = (uint32_t)out + 1;
	}
	CHECK(want > 0);
	CHECK_EQ(got, want);
}

static void
test_pick_local_port(void)
{
	for (unsigned int n = 2; n <= 8; n *= 2) {
		net_shape(n, 0);
		check_pick_random(n);
		check_pick_walk(n - 1, 40000, 40999);
		check_pick_walk(0, 64000, 65535);
		net_shape(n, 128);
		check_pick_random(n);
		check_pick_walk(1, 32768, 33767);
	}
	net_shape(1, 0);
}

static void
test_pick_local_port_fails_cleanly(void)
{
	uint16_t out = 7, p = 50000;
	unsigned int o;

	net_shape(4, 0);
	o = owner_of_port(OUR_IP, PEER_IP, 80, p);
	/* A one-port range another worker owns. */
	CHECK_EQ(dpx_net_pick_local_port(&net, 0, (o + 1) % 4, OUR_IP, PEER_IP,
					 80, p, p, p, &out), -1);
	CHECK_EQ(out, 7);
	CHECK_EQ(dpx_net_pick_local_port(&net, 0, o, OUR_IP, PEER_IP, 80, p, p,
					 p, &out), 0);
	CHECK_EQ(out, p);
	CHECK_EQ(dpx_net_pick_local_port(&net, 0, 0, OUR_IP, PEER_IP, 80, 2000,
					 1000, 1500, &out), -1);
	CHECK_EQ(dpx_net_pick_local_port(&net, 0, 4, OUR_IP, PEER_IP, 80, 1000,
					 2000, 1500, &out), -1);
	/* *out + 1 wrapped to 0 (or any start outside): search from lo. */
	CHECK_EQ(dpx_net_pick_local_port(&net, 0, 1, OUR_IP, PEER_IP, 80,
					 60000, 65535, 0, &out), 0);
	CHECK(out >= 60000);
	CHECK_EQ(owner_of_port(OUR_IP, PEER_IP, 80, out), 1);
	/* One worker: the start port itself. */
	net_shape(1, 0);
	CHECK_EQ(dpx_net_pick_local_port(&net, 0, 0, OUR_IP, PEER_IP, 80, 1000,
					 2000, 1234, &out), 0);
	CHECK_EQ(out, 1234);
}

/* ---- software dispatcher ---- */

/* What the test L4 handler saw last. */
static struct {
	unsigned int calls;
	unsigned int worker;
	unsigned int port;
	uint16_t sport;
	uint16_t l3_len;
} seen;

static void
record_l4(struct dpx_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		seen.calls++;
		seen.worker = w->index;
		seen.port = m->port;
		seen.l3_len = m->l3_len;
		seen.sport = m->data_len >= 2 ?
			rte_be_to_cpu_16(*rte_pktmbuf_mtod(m, rte_be16_t *)) :
			0;
		rte_pktmbuf_free(m);
	}
}

/* A frame from PEER_IP:sport to OUR_IP:dport carrying l4_len bytes of
 * proto (ports first, the rest zero). */
static struct rte_mbuf *
l4_frame(uint8_t proto, uint16_t sport, uint16_t dport, uint16_t l4_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	size_t len = sizeof(struct rte_ether_hdr) +
		     sizeof(struct rte_ipv4_hdr) + l4_len;
	struct rte_ether_hdr *eth =
		(struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	rte_be16_t *ports = (rte_be16_t *)(ip + 1);

	memset(eth, 0, len);
	rte_ether_addr_copy(&our_mac, &eth->dst_addr);
	rte_ether_addr_copy(&peer_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4_len);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (l4_len >= 4) {
		ports[0] = rte_cpu_to_be_16(sport);
		ports[1] = rte_cpu_to_be_16(dport);
	}
	return m;
}

static struct rte_mbuf *
tcp_frame(uint16_t sport)
{
	return l4_frame(IPPROTO_TCP, sport, 80, sizeof(struct rte_tcp_hdr));
}

/* A source port whose flow to OUR_IP:80 worker `owner` owns. */
static uint16_t
sport_owned_by(unsigned int owner)
{
	uint16_t sport = 40000;

	while (owner_of_port(OUR_IP, PEER_IP, sport, 80) != owner)
		sport++;
	return sport;
}

static void
dispatch_setup(struct dpx_worker *w)
{
	net_shape(2, 0);
	for (unsigned int i = 0; i < 2; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "test_handoff%u", i);
		net.handoff[i] = rte_ring_create(name, HANDOFF_TEST_RING,
						 SOCKET_ID_ANY, RING_F_SC_DEQ);
		CHECK(net.handoff[i] != NULL);
		memset(&w[i], 0, sizeof(w[i]));
		w[i].index = i;
		w[i].cfg = &cfg;
		CHECK_EQ(dpx_net_worker_init(&w[i], &net), 0);
		dpx_net_set_l4_handler(&w[i], IPPROTO_TCP, record_l4);
		dpx_net_set_l4_handler(&w[i], IPPROTO_UDP, record_l4);
	}
	memset(&seen, 0, sizeof(seen));
}

static void
dispatch_teardown(struct dpx_worker *w)
{
	for (unsigned int i = 0; i < 2; i++) {
		dpx_net_worker_fini(&w[i]);
		net_handoff_purge(net.handoff[i]);
		rte_ring_free(net.handoff[i]);
		net.handoff[i] = NULL;
	}
	net_shape(1, 0);
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

/* What a worker pass does with its handoff ring: take the packets, then
 * run their L4 handlers with the rest of the batch. */
static unsigned int
drain(struct dpx_worker *w)
{
	unsigned int n = net_handoff_drain(w);

	net_l4_flush(w);
	return n;
}

static const struct dpx_port_stats *
st(struct dpx_worker *w)
{
	return &w->net->stats[0];
}

/* TCP and UDP received by the non-owner wait in the owner's ring and reach
 * the owner's handler, data at the L4 header, when the owner polls. */
static void
test_dispatch_to_owner(void)
{
	struct dpx_worker w[2];
	uint16_t sport;

	dispatch_setup(w);
	sport = sport_owned_by(1);
	dpx_net_input(&w[0], 0, tcp_frame(sport));
	CHECK_EQ(seen.calls, 0);
	CHECK_EQ(st(&w[0])->dispatched_out, 1);
	CHECK_EQ(rte_ring_count(net.handoff[1]), 1);
	CHECK_EQ(drain(&w[0]), 0);
	CHECK_EQ(drain(&w[1]), 1);
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(seen.worker, 1);
	CHECK_EQ(seen.port, 0);
	CHECK_EQ(seen.sport, sport);
	CHECK_EQ(seen.l3_len, sizeof(struct rte_ipv4_hdr));
	CHECK_EQ(st(&w[1])->dispatched_in, 1);

	dpx_net_input(&w[0], 0, l4_frame(IPPROTO_UDP, sport, 80, 8));
	CHECK_EQ(st(&w[0])->dispatched_out, 2);
	CHECK_EQ(drain(&w[1]), 1);
	CHECK_EQ(seen.calls, 2);
	CHECK_EQ(seen.worker, 1);
	dispatch_teardown(w);
}

/* The owner keeps its packets; ICMP, unhandled protocols and packets too
 * short for ports stay with the receiving worker. */
static void
test_dispatch_stays_local(void)
{
	struct dpx_worker w[2];

	dispatch_setup(w);
	dpx_net_input(&w[0], 0, tcp_frame(sport_owned_by(0)));
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(seen.worker, 0);

	/* A TCP "header" of 2 bytes: no ports to hash. */
	dpx_net_input(&w[1], 0, l4_frame(IPPROTO_TCP, 0, 0, 2));
	CHECK_EQ(seen.calls, 2);
	CHECK_EQ(seen.worker, 1);

	dpx_net_set_l4_handler(&w[0], IPPROTO_UDP, NULL);
	dpx_net_input(&w[0], 0, l4_frame(IPPROTO_UDP, sport_owned_by(1), 80,
					 8));
	CHECK_EQ(st(&w[0])->drops[DPX_DROP_IP_PROTO], 1);

	/* ICMP echo (answered here: an ARP request for the peer goes out). */
	for (unsigned int i = 0; i < 2; i++) {
		struct rte_mbuf *m = l4_frame(IPPROTO_ICMP, 0, 0,
					      sizeof(struct rte_icmp_hdr));
		struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m,
			struct rte_icmp_hdr *, sizeof(struct rte_ether_hdr) +
			sizeof(struct rte_ipv4_hdr));

		icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
		icmp->icmp_cksum = ~rte_raw_cksum(icmp, sizeof(*icmp));
		dpx_net_input(&w[i], 0, m);
		CHECK_EQ(st(&w[i])->drops[DPX_DROP_ICMP_MALFORMED], 0);
		CHECK_EQ(st(&w[i])->drops[DPX_DROP_ICMP_TYPE], 0);
	}
	CHECK_EQ(st(&w[0])->dispatched_out + st(&w[1])->dispatched_out, 0);
	CHECK_EQ(rte_ring_count(net.handoff[0]) +
		 rte_ring_count(net.handoff[1]), 0);
	dispatch_teardown(w);
}

static void
test_dispatch_ring_full(void)
{
	struct dpx_worker w[2];
	uint16_t sport;

	dispatch_setup(w);
	sport = sport_owned_by(1);
	for (unsigned int i = 0; i < HANDOFF_TEST_RING + 2; i++)
		dpx_net_input(&w[0], 0, tcp_frame(sport));
	CHECK_EQ(st(&w[0])->dispatched_out, HANDOFF_TEST_RING - 1);
	CHECK_EQ(st(&w[0])->drops[DPX_DROP_DISPATCH_FULL], 3);
	CHECK_EQ(seen.calls, 0);
	CHECK_EQ(strcmp(dpx_drop_names[DPX_DROP_DISPATCH_FULL],
			"dispatch_full"), 0);
	/* Left for shutdown: purged by dispatch_teardown, no leak. */
	dispatch_teardown(w);
}

/* A device hash over our 4-tuple and key is used as is; any other
 * device's hash is ignored; a mirrored RETA means the NIC chose. */
static void
test_dispatch_hash_sources(void)
{
	struct dpx_port *p = &net.ports[0];
	struct dpx_worker w[2];
	struct rte_mbuf *m;
	uint16_t sport;

	dispatch_setup(w);
	sport = sport_owned_by(0);
	p->rss = true;
	p->rss_l4 = true;
	m = tcp_frame(sport);
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	m->hash.rss = 1; /* worker 1, whatever software says */
	dpx_net_input(&w[0], 0, m);
	CHECK_EQ(st(&w[0])->dispatched_out, 1);
	CHECK_EQ(drain(&w[1]), 1);

	p->rss_l4 = false;
	m = tcp_frame(sport);
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	m->hash.rss = 1;
	dpx_net_input(&w[0], 0, m);
	CHECK_EQ(st(&w[0])->dispatched_out, 1);
	CHECK_EQ(seen.calls, 2);
	CHECK_EQ(seen.worker, 0);

	p->rss_l4 = true;
	net_shape(2, 64);
	dpx_net_input(&w[0], 0, tcp_frame(sport_owned_by(1)));
	CHECK_EQ(st(&w[0])->dispatched_out, 1);
	CHECK_EQ(seen.calls, 3);
	CHECK_EQ(seen.worker, 0);
	p->rss = false;
	p->rss_l4 = false;
	dispatch_teardown(w);
}

/* A dpx_net built without handoff rings has no dispatcher: packets stay
 * with the worker that received them. */
static void
test_dispatch_without_rings(void)
{
	struct dpx_worker w;

	net_shape(2, 0);
	memset(&w, 0, sizeof(w));
	w.cfg = &cfg;
	CHECK_EQ(dpx_net_worker_init(&w, &net), 0);
	dpx_net_set_l4_handler(&w, IPPROTO_TCP, record_l4);
	memset(&seen, 0, sizeof(seen));
	dpx_net_input(&w, 0, tcp_frame(sport_owned_by(1)));
	CHECK_EQ(seen.calls, 1);
	CHECK_EQ(st(&w)->dispatched_out, 0);
	CHECK_EQ(drain(&w), 0);
	dpx_net_worker_fini(&w);
	net_shape(1, 0);
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

static void
config_setup(void)
{
	test_net_one_port(&cfg, &net, pool, OUR_IP, 0, &our_mac);
	net_shape(1, 0);
}

int
main(void)
{
	if (test_eal_init("unit-flow") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_pool", 511, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	config_setup();
	RUN_TEST(test_toeplitz_ms_vectors);
	RUN_TEST(test_hash_symmetric_and_deterministic);
	RUN_TEST(test_owner_distribution);
	RUN_TEST(test_owner_matches_reta);
	RUN_TEST(test_pick_local_port);
	RUN_TEST(test_pick_local_port_fails_cleanly);
	RUN_TEST(test_dispatch_to_owner);
	RUN_TEST(test_dispatch_stays_local);
	RUN_TEST(test_dispatch_ring_full);
	RUN_TEST(test_dispatch_hash_sources);
	RUN_TEST(test_dispatch_without_rings);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return TEST_SUMMARY();
}
