/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dpx_net with one port and no device, for tests and fuzzers that feed
 * frames to dpx_net_input() and read the worker's TX buffer instead of a
 * NIC: address addr/24, MAC mac, MTU 1500, small ARP limits.
 */
#ifndef DPX_TEST_NET_FIXTURE_H
#define DPX_TEST_NET_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include <rte_arp.h>

#include "dpx_net.h"

static inline void
test_net_one_port(struct dpx_config *cfg, struct dpx_net *net,
		  struct rte_mempool *pool, uint32_t addr, uint32_t gateway,
		  const struct rte_ether_addr *mac)
{
	struct dpx_port_conf *pc = &cfg->ports[0];
	struct dpx_port *p = &net->ports[0];

	cfg->n_ports = 1;
	cfg->n_workers = 1;
	cfg->arp = (struct dpx_arp_conf){ .max_entries = 16,
		.timeout_ms = 60000, .retry_ms = 1000, .retries = 3,
		.max_pending = 4 };
	snprintf(pc->name, sizeof(pc->name), "test");
	pc->addrs[0] = (struct dpx_ipv4_prefix){ addr, 24 };
	pc->n_addrs = 1;
	pc->gateway = gateway;
	pc->mtu = 1500;
	/* As dpx_net_init() does: forwarded payload keeps its sum. */
	if (dpx_mbuf_sum_init() != 0)
		fprintf(stderr, "test_net_one_port: no mbuf dynamic field\n");
	net->cfg = cfg;
	net->n_ports = 1;
	net->n_workers = 1;
	net->pools[0] = pool;
	p->conf = pc;
	for (unsigned int q = 0; q < DPX_MAX_WORKERS; q++)
		p->xdp_fd[q] = -1;      /* no AF_XDP socket to sleep on */
	p->mac = *mac;
	p->masks[0] = 0xffffff00u;
	p->mtu = 1500;
}

/* Teaches w the MAC of peer_ip (an ARP request from it to our_ip on port
 * 0), so that what w sends there goes straight to the TX buffer; the
 * caller empties that of the ARP reply. */
static inline void
test_net_learn_neighbour(struct dpx_worker *w, struct rte_mempool *pool,
			 uint32_t our_ip, uint32_t peer_ip,
			 const struct rte_ether_addr *peer_mac)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) +
							  sizeof(*a));
	memset(eth, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = *peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	a = (struct rte_arp_hdr *)(eth + 1);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = *peer_mac;
	a->arp_data.arp_sip = rte_cpu_to_be_32(peer_ip);
	memset(&a->arp_data.arp_tha, 0, 6);
	a->arp_data.arp_tip = rte_cpu_to_be_32(our_ip);
	dpx_net_input(w, 0, m);
}

#endif /* DPX_TEST_NET_FIXTURE_H */
