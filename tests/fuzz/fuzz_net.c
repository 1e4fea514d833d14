/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the receive path: each input is a flags byte and
 * one Ethernet frame handed to dpx_net_input() on a worker with no real
 * device. The flags ask for valid IPv4/ICMP/UDP checksums, which random
 * bytes almost never have, so that the fuzzer gets past them. UDP port 53
 * is bound to an echo (lib/udp's input and output); other ports answer
 * with ICMP. Whatever dpx queues for TX is freed; the pool must end up
 * full again (no leak).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dpx_udp.h"
#include "net_priv.h"
#include "test_eal.h"
#include "test_net_fixture.h"

static struct dpx_config cfg;
static struct dpx_net net;
static struct dpx_worker worker;
static struct rte_mempool *pool;

static void
udp_echo(struct dpx_worker *w, void *arg, uint32_t src_addr,
	 uint16_t src_port, uint32_t dst_addr, uint16_t dst_port,
	 struct rte_mbuf *payload)
{
	(void)arg;
	dpx_udp_send_mbuf(w, dst_addr, dst_port, src_addr, src_port, payload);
}

static void
setup(void)
{
	if (test_eal_init("fuzz-net") != 0)
		abort();
	/* libFuzzer ends with exit(): remove the EAL runtime dir then. */
	atexit(test_eal_cleanup);
	pool = rte_pktmbuf_pool_create("fuzz_pool", 511, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
	test_net_one_port(&cfg, &net, pool, 0xc6120001u, 0xc61200feu,
			  &(struct rte_ether_addr){{ 0x02, 0, 0, 0, 0, 1 }});
	worker.cfg = &cfg;
	if (dpx_net_worker_init(&worker, &net) != 0 ||
	    dpx_udp_worker_init(&worker) != 0 ||
	    dpx_udp_bind(&worker, 0, 53, udp_echo, NULL) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fix_checksums(struct rte_mbuf *m, uint8_t flags)
{
	struct rte_ipv4_hdr *ip;
	size_t hlen, total;

	if (m->data_len < 14 + sizeof(*ip) ||
	    rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type !=
	    RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	hlen = rte_ipv4_hdr_len(ip);
	total = rte_be_to_cpu_16(ip->total_length);
	if ((flags & 1) && m->data_len >= 14 + hlen) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = ~rte_raw_cksum(ip, hlen);
	}
	if ((flags & 2) && hlen + 4 <= total && m->data_len >= 14 + total) {
		struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)
			((uint8_t *)ip + hlen);

		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = ~rte_raw_cksum(icmp, total - hlen);
	}
	if ((flags & 4) && ip->next_proto_id == IPPROTO_UDP &&
	    hlen + sizeof(struct rte_udp_hdr) <= total &&
	    m->data_len >= 14 + total) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)
			((uint8_t *)ip + hlen);

		uh->dgram_cksum = 0;
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpx_tx_buffer *tx;
	struct rte_mbuf *m;

	if (pool == NULL)
		setup();
	if (size < 1 || size > RTE_MBUF_DEFAULT_DATAROOM)
		return 0;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		abort();
	memcpy(rte_pktmbuf_append(m, size - 1), data + 1, size - 1);
	fix_checksums(m, data[0]);
	dpx_net_input(&worker, 0, m);
	tx = &worker.net->tx[0];
	/* Run ARP timers past every retry so queued packets are released:
	 * after that nothing may still hold an mbuf. */
	for (unsigned int i = 0; i <= cfg.arp.retries; i++) {
		rte_pktmbuf_free_bulk(tx->pkts, tx->count);
		tx->count = 0;
		arp_timer(&worker, UINT64_MAX);
	}
	rte_pktmbuf_free_bulk(tx->pkts, tx->count);
	tx->count = 0;
	if (rte_mempool_in_use_count(pool) != 0)
		abort();
	return 0;
}
