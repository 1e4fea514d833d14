/* SPDX-License-Identifier: BSD-3-Clause */
/* Port bring-up and tear-down: devices, queues, mempools, RSS, offloads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "net_priv.h"

#define MBUF_CACHE 256
#define ARP_INBOX_SIZE 1024
/* Mbufs in flight from other workers to one worker (software dispatch). */
#define HANDOFF_RING_SIZE 1024
/* Per worker, beyond the descriptor rings: TX buffers, ARP queues, fault
 * delay lines and packets in flight inside one poll. */
#define MBUF_WORKER_SLACK 4096
/* Hash types whose input is the 4-tuple software hashes for TCP and UDP. */
#define RSS_HF_L4 (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP)

/* The devargs EAL was given for device with --vdev; NULL if none. */
static const struct rte_devargs *
eal_devargs(const char *device)
{
	struct rte_devargs *da;

	RTE_EAL_DEVARGS_FOREACH("vdev", da)
		if (strcmp(da->name, device) == 0)
			return da;
	return NULL;
}

/* "device,devargs" to hot-plug pc's device with. An af_xdp port gets
 * queue_count=<workers> unless its devargs say: one queue per worker is
 * the only set-up dpx runs, and the PMD's default is one. */
static void
port_spec(const struct dpx_net *net, const struct dpx_port_conf *pc,
	  char *spec, size_t len)
{
	int n = snprintf(spec, len, "%s%s%s", pc->device,
			 pc->devargs[0] ? "," : "", pc->devargs);

	if (n > 0 && (size_t)n < len && net_xdp_device(pc->device) &&
	    strstr(pc->devargs, "queue_count=") == NULL)
		snprintf(spec + n, len - (size_t)n, ",queue_count=%u",
			 net->n_workers);
}

static int
port_find(const struct dpx_net *net, const struct dpx_port_conf *pc,
	  uint16_t *port_id)
{
	char spec[DPX_NAME_LEN + DPX_DEVARGS_LEN + 32];
	const struct rte_devargs *da;
	int rc;

	if (rte_eth_dev_get_port_by_name(pc->device, port_id) == 0)
		return 0;
	/* Given with --vdev but not there: EAL's probe failed. Say so,
	 * rather than try again without the --vdev's arguments. */
	da = eal_devargs(pc->device);
	if (da != NULL) {
		DPX_ERR("port %s: EAL could not create %s from --vdev "
			"%s%s%s (see the driver's messages above)", pc->name,
			pc->device, pc->device, da->args[0] ? "," : "",
			da->args);
		if (net_xdp_device(pc->device))
			net_xdp_explain(net, pc, da->args);
		return -ENODEV;
	}
	/* Not given on the EAL command line: hot-plug a virtual device. */
	if (strncmp(pc->device, "net_", 4) != 0) {
		DPX_ERR("port %s: device %s not found: is it bound to a DPDK "
			"driver (dpdk-devbind.py) and allowed by EAL -a?",
			pc->name, pc->device);
		return -ENODEV;
	}
	port_spec(net, pc, spec, sizeof(spec));
	rc = rte_dev_probe(spec);
	if (rc == 0 && rte_eth_dev_get_port_by_name(pc->device, port_id) == 0)
		return 0;
	if (net_xdp_device(pc->device)) {
		/* The PMD fails with -1 whatever the cause: its errno would
		 * mislead. */
		DPX_ERR("port %s: cannot create virtual device \"%s\"",
			pc->name, spec);
		net_xdp_explain(net, pc, strchr(spec, ',') + 1);
		return -ENODEV;
	}
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
mbufs_per_worker(const struct dpx_net *net)
{
	const struct dpx_config *cfg = net->cfg;
	unsigned int n = MBUF_WORKER_SLACK;

	if (cfg->mbufs_per_worker)
		return cfg->mbufs_per_worker;
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct dpx_port_conf *pc = &cfg->ports[i];
		unsigned int rx = pc->rx_desc;

		/* The AF_XDP PMD keeps its fill ring full of mbufs; its RX
		 * ring holds mbufs taken from there. */
		if (net_xdp_device(pc->device))
			rx = RTE_MAX(rx, (unsigned int)NET_XDP_FILL_MBUFS);
		n += rx + pc->tx_desc + DPX_TX_BUF;
	}
	/* A worker's handoff ring can hold packets its peers received. */
	if (net->n_workers > 1)
		n += HANDOFF_RING_SIZE;
	return n;
}

/* Some port is af_xdp: with IOVA as VA, the pool's objects are packed
 * back to back, and the pool is checked. DPDK 22.11's af_xdp PMD
 * registers a pool as AF_XDP UMEM as if its objects lay so, from the
 * first one on (fixed upstream by 97039941b2, DPDK 24.07); by default a
 * pool keeps each object within one page (4 KB with --no-huge), and the
 * kernel refuses the objects past the PMD's computed end: their fill-ring
 * entries and packets vanish until RX stalls. Objects may cross pages
 * only where no device needs them IOVA-contiguous: with IOVA as VA. */
static bool
pools_have_xdp(const struct dpx_net *net)
{
	bool xdp = false;

	for (unsigned int i = 0; i < net->cfg->n_ports; i++)
		xdp |= net_xdp_device(net->cfg->ports[i].device);
	return xdp;
}

/* rte_pktmbuf_pool_create(), with mempool flags. */
static struct rte_mempool *
pool_create(const char *name, unsigned int n, uint16_t room, int socket,
	    unsigned int flags)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = room,
	};
	struct rte_mempool *mp;

	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + room,
				      MBUF_CACHE,
				      sizeof(struct rte_pktmbuf_pool_private),
				      socket, flags);
	if (mp == NULL)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
				       NULL) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	rte_errno = ENOMEM;
	return NULL;
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
	bool xdp = pools_have_xdp(net);
	unsigned int flags = xdp && rte_eal_iova_mode() == RTE_IOVA_VA ?
			     RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0;
	char name[RTE_MEMPOOL_NAMESIZE];

	for (unsigned int w = 0; w < net->n_workers; w++)
		per_socket[net->worker_socket[w]] += mbufs_per_worker(net);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (per_socket[s] == 0)
			continue;
		snprintf(name, sizeof(name), "dpx_mbuf_s%d", s);
		net->pools[s] = pool_create(name, per_socket[s], room, s, flags);
		if (net->pools[s] == NULL) {
			DPX_ERR("cannot create mbuf pool of %u on socket %d: %s "
				"(more memory with EAL -m, or fewer descriptors)",
				per_socket[s], s, rte_strerror(rte_errno));
			return -rte_errno;
		}
		DPX_INFO("mbuf pool on socket %d: %u mbufs of %u bytes%s", s,
			 per_socket[s], room, flags ? ", packed (af_xdp)" : "");
		if (xdp && net_xdp_pool_check(net->pools[s]) != 0)
			return -EINVAL;
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
		conf->rx_adv_conf.rss_conf.rss_key = net_rss_key;
		conf->rx_adv_conf.rss_conf.rss_key_len =
			RTE_MIN(info->hash_key_size, sizeof(net_rss_key));
		conf->rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		p->rss = conf->rx_adv_conf.rss_conf.rss_hf != 0;
		p->rss_l4 = (conf->rx_adv_conf.rss_conf.rss_hf & RSS_HF_L4) ==
			    RSS_HF_L4 && info->hash_key_size >= DPX_RSS_KEY_MIN;
	}
	/* Chains let TCP send payload by reference (zero copy); that rules
	 * out MBUF_FAST_FREE, which assumes direct mbufs with refcnt 1. */
	uint64_t tcp_tx = RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	uint64_t tcp_rx = RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	uint64_t udp_tx = RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	uint64_t udp_rx = RTE_ETH_RX_OFFLOAD_UDP_CKSUM;

	/* The TAP PMD's TCP "offload" is its own software sum, and in DPDK
	 * 22.11 it adds the segments of a chain without minding odd
	 * lengths: zero-copy segments came out with bad checksums. dpx sums
	 * them better itself (and keeps received payload's sums). */
	if (strcmp(info->driver_name, "net_tap") == 0)
		tcp_tx = tcp_rx = udp_tx = udp_rx = 0;
	p->tx_offloads = info->tx_offload_capa &
			 (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | tcp_tx | udp_tx |
			  RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	p->rx_offloads = info->rx_offload_capa &
			 (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | tcp_rx | udp_rx);
	conf->txmode.offloads = p->tx_offloads;
	conf->rxmode.offloads = p->rx_offloads;
	/* An idle worker sleeps on Rx interrupts where the PMD has them
	 * without hardware set-up (TAP: the queue's fd). */
	p->rx_intr = net->cfg->idle == DPX_IDLE_ADAPTIVE &&
		     strcmp(info->driver_name, "net_tap") == 0;
	conf->intr_conf.rxq = p->rx_intr;
}

/* The AF_XDP socket the PMD opened while setting up an Rx queue: the one
 * in the process's sockets now that was not there before. */
static int
xdp_new_socket(const int *before, unsigned int n_before)
{
	int now[2 * DPX_MAX_PORTS * DPX_MAX_WORKERS];
	unsigned int n = net_xdp_sockets(now, RTE_DIM(now));

	for (unsigned int i = 0; i < n; i++) {
		bool old = false;

		for (unsigned int j = 0; j < n_before && !old; j++)
			old = now[i] == before[j];
		if (!old)
			return now[i];
	}
	return -1;
}

static bool
port_is_xdp(const struct rte_eth_dev_info *info)
{
	return strcmp(info->driver_name, "net_af_xdp") == 0;
}

/* The largest MTU the device takes: its max_mtu, unless its largest
 * frame says less (memif leaves max_mtu at the ethdev default, 65535, and
 * then refuses anything over 1500 at configure). */
static uint16_t
port_max_mtu(const struct rte_eth_dev_info *info)
{
	uint32_t overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	uint32_t by_frame = info->max_rx_pktlen > overhead ?
			    info->max_rx_pktlen - overhead : 0;

	return (uint16_t)RTE_MIN((uint32_t)info->max_mtu, by_frame);
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
	if (p->mtu > port_max_mtu(info) || p->mtu < info->min_mtu) {
		DPX_ERR("port %s: mtu %u outside the device's %u..%u", name,
			p->mtu, info->min_mtu, port_max_mtu(info));
		return -EINVAL;
	}
	return 0;
}

static int
port_queues_setup(struct dpx_net *net, struct dpx_port *p,
		  const struct rte_eth_dev_info *info)
{
	uint16_t nb_rxd = p->conf->rx_desc, nb_txd = p->conf->tx_desc;
	int rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	bool xdp = port_is_xdp(info);
	int before[2 * DPX_MAX_PORTS * DPX_MAX_WORKERS];

	for (uint16_t q = 0; q < DPX_MAX_WORKERS; q++)
		p->xdp_fd[q] = -1;
	for (uint16_t q = 0; rc == 0 && q < net->n_workers; q++) {
		int s = net->worker_socket[q];
		unsigned int n_before = xdp ? net_xdp_sockets(before,
						RTE_DIM(before)) : 0;

		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, s, NULL,
					    net->pools[s]);
		/* The queue's socket: what its idle worker sleeps on, and
		 * what tells how the kernel bound it. */
		if (rc == 0 && xdp)
			p->xdp_fd[q] = xdp_new_socket(before, n_before);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, s,
						    NULL);
	}
	if (rc != 0) {
		DPX_ERR("port %s: queue setup failed: %s", p->conf->name,
			rte_strerror(-rc));
		/* The AF_XDP socket, its UMEM and the XDP program come
		 * to life here: most af_xdp set-up problems show now. */
		if (xdp)
			net_xdp_explain(net, p->conf, net_dev_args(info));
	}
	return rc;
}

/* Programs the device's redirection table with entries i % n_workers
 * and, on success, keeps the copy. */
static int
reta_write(const struct dpx_net *net, struct dpx_port *p, uint16_t size)
{
	struct rte_eth_rss_reta_entry64 conf[DPX_RETA_MAX /
					     RTE_ETH_RETA_GROUP_SIZE];
	int rc;

	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < size; i++) {
		struct rte_eth_rss_reta_entry64 *g =
			&conf[i / RTE_ETH_RETA_GROUP_SIZE];

		g->mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
		g->reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % net->n_workers;
	}
	rc = rte_eth_dev_rss_reta_update(p->port_id, conf, size);
	if (rc != 0)
		return rc;
	for (uint16_t i = 0; i < size; i++)
		p->reta[i] = (uint8_t)(i % net->n_workers);
	return 0;
}

/* Reads the device's redirection table into the copy. */
static int
reta_read(const struct dpx_net *net, struct dpx_port *p, uint16_t size)
{
	struct rte_eth_rss_reta_entry64 conf[DPX_RETA_MAX /
					     RTE_ETH_RETA_GROUP_SIZE];
	int rc;

	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < size; i += RTE_ETH_RETA_GROUP_SIZE)
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask = UINT64_MAX;
	rc = rte_eth_dev_rss_reta_query(p->port_id, conf, size);
	if (rc != 0)
		return rc;
	for (uint16_t i = 0; i < size; i++)
		if (conf[i / RTE_ETH_RETA_GROUP_SIZE]
			    .reta[i % RTE_ETH_RETA_GROUP_SIZE] >= net->n_workers)
			return -ERANGE;
	for (uint16_t i = 0; i < size; i++)
		p->reta[i] = (uint8_t)conf[i / RTE_ETH_RETA_GROUP_SIZE]
				     .reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return 0;
}

/* False when the device reports a key or hash types other than those we
 * configured (some ignore the key); a device that cannot tell is taken at
 * its word, since configure accepted them. */
static bool
rss_conf_is_ours(const struct dpx_port *p,
		 const struct rte_eth_dev_info *info)
{
	uint8_t key[DPX_RSS_KEY_LEN];
	struct rte_eth_rss_conf rc = {
		.rss_key = key,
		.rss_key_len = RTE_MIN(info->hash_key_size, sizeof(key)),
	};

	if (rte_eth_dev_rss_hash_conf_get(p->port_id, &rc) != 0)
		return true;
	return memcmp(key, net_rss_key, rc.rss_key_len) == 0 &&
	       (rc.rss_hf & RSS_HF_L4) == RSS_HF_L4;
}

/*
 * Mirrors the device's queue choice in software (p->reta) when it can be
 * reproduced exactly: RSS over the IPv4 4-tuple with our key and a table
 * we can set or read. Otherwise p->reta_size stays 0 and the software
 * dispatcher enforces flow ownership on this port.
 */
static void
port_rss_mirror(const struct dpx_net *net, struct dpx_port *p,
		const struct rte_eth_dev_info *info)
{
	uint16_t size = info->reta_size;
	int wrc;

	p->reta_size = 0;
	if (net->n_workers < 2 || !p->rss)
		return;
	if (!p->rss_l4 || !rss_conf_is_ours(p, info)) {
		p->rss_l4 = false;
		DPX_INFO("port %s: RSS does not hash the TCP/UDP 4-tuple with "
			 "our key", p->conf->name);
		return;
	}
	if (size == 0 || size > DPX_RETA_MAX || !rte_is_power_of_2(size)) {
		DPX_INFO("port %s: RSS table of %u entries cannot be "
			 "mirrored (none, too large or not a power of two)",
			 p->conf->name, size);
		return;
	}
	/* The device's own word is final: read back even after a write. */
	wrc = reta_write(net, p, size);
	if (reta_read(net, p, size) != 0 && wrc != 0) {
		DPX_INFO("port %s: RSS table can be neither set (%s) nor read",
			 p->conf->name, rte_strerror(-wrc));
		return;
	}
	p->reta_size = size;
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
	/* af_xdp first: it says what to change on the interface. */
	if (rc == 0 && port_is_xdp(&info))
		rc = net_xdp_check(net, p, &info);
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
	rc = port_queues_setup(net, p, &info);
	if (rc != 0)
		return rc;
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		DPX_ERR("port %s: start failed: %s", p->conf->name,
			rte_strerror(-rc));
		return rc;
	}
	p->started = true;
	port_rss_mirror(net, p, &info);
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0)
		rte_eth_link_to_str(link_str, sizeof(link_str), &link);
	else
		snprintf(link_str, sizeof(link_str), "unknown");
	DPX_INFO("port %s (%s, %s): %s, %u queue pairs, RSS %s%s, "
		 "checksum offload rx %s%s%s tx %s%s%s, zero-copy TX %s, %s",
		 p->conf->name,
		 p->conf->device, info.driver_name, mac, net->n_workers,
		 p->rss ? "on" : "off",
		 net_port_dispatches(net, p) ? ", software dispatch" : "",
		 (p->rx_offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) ? "ipv4" : "-",
		 (p->rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) ? "+tcp" : "",
		 (p->rx_offloads & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) ? "+udp" : "",
		 (p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) ? "ipv4" : "-",
		 (p->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) ? "+tcp" : "",
		 (p->tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) ? "+udp" : "",
		 (p->tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ? "on" : "off",
		 link_str);
	if (port_is_xdp(&info))
		net_xdp_describe(net, p);
	return 0;
}

/* Per worker, with several workers: the ARP inbox and the handoff ring
 * of the software dispatcher (whether a port needs it is known only once
 * ports run). Both are multi-producer, single-consumer. */
static int
worker_rings_create(struct dpx_net *net)
{
	char name[RTE_RING_NAMESIZE];

	if (net->n_workers < 2)
		return 0;
	for (unsigned int w = 0; w < net->n_workers; w++) {
		snprintf(name, sizeof(name), "dpx_arp_in%u", w);
		net->arp_inbox[w] = rte_ring_create_elem(name,
				sizeof(struct dpx_arp_note), ARP_INBOX_SIZE,
				net->worker_socket[w], RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "dpx_handoff%u", w);
		if (net->arp_inbox[w] != NULL)
			net->handoff[w] = rte_ring_create(name,
					HANDOFF_RING_SIZE,
					net->worker_socket[w], RING_F_SC_DEQ);
		if (net->handoff[w] == NULL) {
			DPX_ERR("cannot create worker rings: %s",
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
	if (dpx_mbuf_sum_init() != 0)
		DPX_INFO("mbuf dynamic field unavailable: forwarded payload is "
			 "checksummed again on output");
	net->n_workers = n_workers;
	for (unsigned int w = 0; w < n_workers; w++)
		net->worker_socket[w] = worker_sockets[w] < 0 ? 0 :
					worker_sockets[w];
	rc = pools_create(net);
	if (rc == 0)
		rc = worker_rings_create(net);
	for (unsigned int i = 0; rc == 0 && i < cfg->n_ports; i++) {
		struct dpx_port *p = &net->ports[i];

		p->index = i;
		p->conf = &cfg->ports[i];
		p->mtu = p->conf->mtu;
		for (unsigned int a = 0; a < p->conf->n_addrs; a++)
			p->masks[a] = p->conf->addrs[a].len == 0 ? 0 :
				UINT32_MAX << (32 - p->conf->addrs[a].len);
		net->n_ports = i + 1;
		rc = port_find(net, p->conf, &p->port_id);
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
		/* Workers have stopped: what they did not take goes back. */
		net_handoff_purge(net->handoff[w]);
		rte_ring_free(net->handoff[w]);
		net->handoff[w] = NULL;
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(net->pools[s]);
		net->pools[s] = NULL;
	}
}
