/* SPDX-License-Identifier: BSD-3-Clause */
/* Port bring-up and tear-down: devices, queues, mempools, RSS, offloads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "net_priv.h"

#define MBUF_CACHE 256
#define ARP_INBOX_SIZE 1024
/* Per worker, beyond the descriptor rings: TX buffers, ARP queues, fault
 * delay lines and packets in flight inside one poll. */
#define MBUF_WORKER_SLACK 4096

/*
 * A symmetric RSS key (a repeated 16-bit pattern) makes both directions of
 * a flow hash alike, so one worker sees a whole connection.
 */
static uint8_t rss_sym_key[52] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a,
};

static int
port_find(const struct dpx_port_conf *pc, uint16_t *port_id)
{
	char spec[DPX_NAME_LEN + DPX_DEVARGS_LEN + 2];
	int rc;

	if (rte_eth_dev_get_port_by_name(pc->device, port_id) == 0)
		return 0;
	/* Not given on the EAL command line: hot-plug a virtual device. */
	if (strncmp(pc->device, "net_", 4) != 0) {
		DPX_ERR("port %s: device %s not found: is it bound to a DPDK "
			"driver (dpdk-devbind.py) and allowed by EAL -a?",
			pc->name, pc->device);
		return -ENODEV;
	}
	snprintf(spec, sizeof(spec), "%s%s%s", pc->device,
		 pc->devargs[0] ? "," : "", pc->devargs);
	rc = rte_dev_probe(spec);
	if (rc == 0 && rte_eth_dev_get_port_by_name(pc->device, port_id) == 0)
		return 0;
	DPX_ERR("port %s: cannot create virtual device \"%s\" (%s): check the "
		"driver name (net_tap, net_af_xdp, net_memif, net_ring...) and "
		"devargs", pc->name, spec, rte_strerror(-rc));
	return rc ? rc : -ENODEV;
}

static uint16_t
max_frame_mtu(const struct dpx_config *cfg)
{
	uint16_t mtu = 0;

	for (unsigned int i = 0; i < cfg->n_ports; i++)
		mtu = RTE_MAX(mtu, cfg->ports[i].mtu);
	return mtu;
}

static unsigned int
mbufs_per_worker(const struct dpx_config *cfg)
{
	unsigned int n = MBUF_WORKER_SLACK;

	if (cfg->mbufs_per_worker)
		return cfg->mbufs_per_worker;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		n += cfg->ports[i].rx_desc + cfg->ports[i].tx_desc + DPX_TX_BUF;
	return n;
}

static int
pools_create(struct dpx_net *net)
{
	const struct dpx_config *cfg = net->cfg;
	unsigned int per_socket[RTE_MAX_NUMA_NODES] = { 0 };
	uint32_t frame = max_frame_mtu(cfg) + RTE_ETHER_HDR_LEN +
			 RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN;
	uint16_t room = RTE_PKTMBUF_HEADROOM +
			RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_DATAROOM,
				RTE_ALIGN_CEIL(frame, 64));
	char name[RTE_MEMPOOL_NAMESIZE];

	for (unsigned int w = 0; w < net->n_workers; w++)
		per_socket[net->worker_socket[w]] += mbufs_per_worker(cfg);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (per_socket[s] == 0)
			continue;
		snprintf(name, sizeof(name), "dpx_mbuf_s%d", s);
		net->pools[s] = rte_pktmbuf_pool_create(name, per_socket[s],
							MBUF_CACHE, 0, room, s);
		if (net->pools[s] == NULL) {
			DPX_ERR("cannot create mbuf pool of %u on socket %d: %s "
				"(more memory with EAL -m, or fewer descriptors)",
				per_socket[s], s, rte_strerror(rte_errno));
			return -rte_errno;
		}
		DPX_INFO("mbuf pool on socket %d: %u mbufs of %u bytes", s,
			 per_socket[s], room);
	}
	return 0;
}

static void
port_conf_build(struct dpx_net *net, struct dpx_port *p,
		const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->rxmode.mtu = p->mtu;
	if (net->n_workers > 1 && info->flow_type_rss_offloads != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_key = rss_sym_key;
		conf->rx_adv_conf.rss_conf.rss_key_len =
			RTE_MIN(info->hash_key_size, sizeof(rss_sym_key));
		conf->rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		p->rss = conf->rx_adv_conf.rss_conf.rss_hf != 0;
	}
	p->tx_offloads = info->tx_offload_capa &
			 (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			  RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE);
	p->rx_offloads = info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	conf->txmode.offloads = p->tx_offloads;
	conf->rxmode.offloads = p->rx_offloads;
}

static int
port_check_caps(const struct dpx_net *net, const struct dpx_port *p,
		const struct rte_eth_dev_info *info)
{
	const char *name = p->conf->name;

	if (info->max_rx_queues < net->n_workers ||
	    info->max_tx_queues < net->n_workers) {
		DPX_ERR("port %s: device has %u RX / %u TX queues, %u workers "
			"need one each; use fewer workers", name,
			info->max_rx_queues, info->max_tx_queues,
			net->n_workers);
		return -EINVAL;
	}
	if (p->mtu > info->max_mtu || p->mtu < info->min_mtu) {
		DPX_ERR("port %s: mtu %u outside the device's %u..%u", name,
			p->mtu, info->min_mtu, info->max_mtu);
		return -EINVAL;
	}
	return 0;
}

static int
port_queues_setup(struct dpx_net *net, struct dpx_port *p)
{
	uint16_t nb_rxd = p->conf->rx_desc, nb_txd = p->conf->tx_desc;
	int rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);

	for (uint16_t q = 0; rc == 0 && q < net->n_workers; q++) {
		int s = net->worker_socket[q];

		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, s, NULL,
					    net->pools[s]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, s,
						    NULL);
	}
	if (rc != 0)
		DPX_ERR("port %s: queue setup failed: %s", p->conf->name,
			rte_strerror(-rc));
	return rc;
}

static int
port_start(struct dpx_net *net, struct dpx_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	char link_str[RTE_ETH_LINK_MAX_STR_LEN];
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc == 0)
		rc = port_check_caps(net, p, &info);
	if (rc != 0)
		return rc;
	p->socket_id = rte_eth_dev_socket_id(p->port_id);
	port_conf_build(net, p, &info, &conf);
	rc = rte_eth_dev_configure(p->port_id, net->n_workers, net->n_workers,
				   &conf);
	if (rc != 0) {
		DPX_ERR("port %s: configure failed: %s", p->conf->name,
			rte_strerror(-rc));
		return rc;
	}
	rc = port_queues_setup(net, p);
	if (rc == 0)
		rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		DPX_ERR("port %s: start failed: %s", p->conf->name,
			rte_strerror(-rc));
		return rc;
	}
	p->started = true;
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0)
		rte_eth_link_to_str(link_str, sizeof(link_str), &link);
	else
		snprintf(link_str, sizeof(link_str), "unknown");
	DPX_INFO("port %s (%s, %s): %s, %u queue pairs, RSS %s, "
		 "IPv4 checksum offload rx %s tx %s, %s", p->conf->name,
		 p->conf->device, info.driver_name, mac, net->n_workers,
		 p->rss ? "on" : "off", p->rx_offloads ? "on" : "off",
		 (p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) ? "on" : "off",
		 link_str);
	return 0;
}

static int
arp_inboxes_create(struct dpx_net *net)
{
	char name[RTE_RING_NAMESIZE];

	if (net->n_workers < 2)
		return 0;
	for (unsigned int w = 0; w < net->n_workers; w++) {
		snprintf(name, sizeof(name), "dpx_arp_in%u", w);
		net->arp_inbox[w] = rte_ring_create_elem(name,
				sizeof(struct dpx_arp_note), ARP_INBOX_SIZE,
				net->worker_socket[w], RING_F_SC_DEQ);
		if (net->arp_inbox[w] == NULL) {
			DPX_ERR("cannot create ARP inbox: %s",
				rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

int
dpx_net_init(struct dpx_net *net, const struct dpx_config *cfg,
	     unsigned int n_workers, const int *worker_sockets)
{
	int rc;

	memset(net, 0, sizeof(*net));
	net->cfg = cfg;
	net->n_workers = n_workers;
	for (unsigned int w = 0; w < n_workers; w++)
		net->worker_socket[w] = worker_sockets[w] < 0 ? 0 :
					worker_sockets[w];
	rc = pools_create(net);
	if (rc == 0)
		rc = arp_inboxes_create(net);
	for (unsigned int i = 0; rc == 0 && i < cfg->n_ports; i++) {
		struct dpx_port *p = &net->ports[i];

		p->index = i;
		p->conf = &cfg->ports[i];
		p->mtu = p->conf->mtu;
		for (unsigned int a = 0; a < p->conf->n_addrs; a++)
			p->masks[a] = p->conf->addrs[a].len == 0 ? 0 :
				UINT32_MAX << (32 - p->conf->addrs[a].len);
		net->n_ports = i + 1;
		rc = port_find(p->conf, &p->port_id);
		if (rc == 0)
			rc = port_start(net, p);
	}
	return rc;
}

void
dpx_net_fini(struct dpx_net *net)
{
	for (unsigned int i = 0; i < net->n_ports; i++) {
		struct dpx_port *p = &net->ports[i];

		if (!p->started)
			continue;
		if (rte_eth_dev_stop(p->port_id) != 0)
			DPX_WARN("port %s: stop failed", p->conf->name);
		rte_eth_dev_close(p->port_id);
		p->started = false;
	}
	for (unsigned int w = 0; w < DPX_MAX_WORKERS; w++) {
		rte_ring_free(net->arp_inbox[w]);
		net->arp_inbox[w] = NULL;
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(net->pools[s]);
		net->pools[s] = NULL;
	}
}
