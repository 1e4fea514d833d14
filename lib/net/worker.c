/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-worker receive/transmit loop and Ethernet dispatch. */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "net_priv.h"

const char *const dpx_stage_names[DPX_STAGE_MAX] = {
	[DPX_STAGE_RX] = "rx",
	[DPX_STAGE_NET] = "net",
	[DPX_STAGE_TCP] = "tcp",
	[DPX_STAGE_APP] = "app",
	[DPX_STAGE_TIMERS] = "timers",
	[DPX_STAGE_TX] = "tx",
};

const char *const dpx_drop_names[DPX_DROP_MAX] = {
	[DPX_DROP_ETH_TRUNCATED] = "eth_truncated",
	[DPX_DROP_ETH_NOT_FOR_US] = "eth_not_for_us",
	[DPX_DROP_ETHERTYPE] = "ethertype",
	[DPX_DROP_ARP_MALFORMED] = "arp_malformed",
	[DPX_DROP_ARP_NOT_FOR_US] = "arp_not_for_us",
	[DPX_DROP_IP_TRUNCATED] = "ip_truncated",
	[DPX_DROP_IP_HEADER] = "ip_header",
	[DPX_DROP_IP_CHECKSUM] = "ip_checksum",
	[DPX_DROP_IP_FRAGMENT] = "ip_fragment",
	[DPX_DROP_IP_NOT_LOCAL] = "ip_not_local",
	[DPX_DROP_IP_PROTO] = "ip_proto",
	[DPX_DROP_ICMP_MALFORMED] = "icmp_malformed",
	[DPX_DROP_ICMP_TYPE] = "icmp_type",
	[DPX_DROP_NO_ROUTE] = "no_route",
	[DPX_DROP_TOO_BIG] = "too_big",
	[DPX_DROP_ARP_UNRESOLVED] = "arp_unresolved",
	[DPX_DROP_NO_MBUF] = "no_mbuf",
	[DPX_DROP_TX_FULL] = "tx_full",
	[DPX_DROP_FAULT] = "fault_injected",
	[DPX_DROP_DISPATCH_FULL] = "dispatch_full",
};

static int
worker_fault_init(struct dpx_net_worker *nw, const struct dpx_worker *w,
		  int socket)
{
	const struct dpx_net *net = nw->net;

	for (unsigned int p = 0; p < net->n_ports; p++) {
		const struct dpx_fault_conf *fc = &net->ports[p].conf->fault;
		/* Distinct but reproducible streams per worker, port, way. */
		uint64_t seed = fc->seed * 0x9e3779b97f4a7c15ULL +
				(w->index + 1) * 0x100 + p * 2;

		if (!fc->enabled)
			continue;
		uint64_t delay = nw->tsc_hz / 1000000 * fc->delay_us;

		nw->fault_rx[p] = fault_state_new(&fc->rx, seed, delay, socket);
		nw->fault_tx[p] = fault_state_new(&fc->tx, seed + 1, delay,
						  socket);
		if (nw->fault_rx[p] == NULL || nw->fault_tx[p] == NULL)
			return -ENOMEM;
	}
	return 0;
}

int
dpx_net_worker_init(struct dpx_worker *w, struct dpx_net *net)
{
	int socket = net->worker_socket[w->index];
	struct dpx_net_worker *nw;
	int rc;

	nw = rte_zmalloc_socket("dpx_net_worker", sizeof(*nw),
				RTE_CACHE_LINE_SIZE, socket);
	if (nw == NULL)
		return -ENOMEM;
	w->net = nw;
	nw->net = net;
	nw->pool = net->pools[socket];
	nw->inbox = net->arp_inbox[w->index];
	nw->handoff = net->handoff[w->index];
	nw->tsc_hz = rte_get_tsc_hz();
	nw->next_timer = rte_get_tsc_cycles();
	memset(&w->rt, 0, sizeof(w->rt));
	w->rt.mark = nw->next_timer;
	rc = arp_table_init(&nw->arp, &w->cfg->arp, socket);
	if (rc == 0)
		rc = worker_fault_init(nw, w, socket);
	if (rc == 0)
		rc = net_idle_init(w);
	if (rc != 0)
		dpx_net_worker_fini(w);
	return rc;
}

void
dpx_net_worker_fini(struct dpx_worker *w)
{
	struct dpx_net_worker *nw = w->net;

	if (nw == NULL)
		return;
	rte_pktmbuf_free_bulk(nw->l4_batch, nw->l4_count);
	nw->l4_count = 0;
	for (unsigned int p = 0; p < DPX_MAX_PORTS; p++) {
		rte_pktmbuf_free_bulk(nw->tx[p].pkts, nw->tx[p].count);
		nw->tx[p].count = 0;
		fault_state_free(nw->fault_rx[p]);
		fault_state_free(nw->fault_tx[p]);
	}
	arp_table_fini(&nw->arp);
	net_idle_fini(w);
	rte_free(nw);
	w->net = NULL;
}

int
dpx_net_route(const struct dpx_worker *w, uint32_t dst, unsigned int *port,
	      uint32_t *src)
{
	uint32_t nexthop;

	return ipv4_route(w->net->net, dst, port, &nexthop, src);
}

const struct dpx_net *
dpx_net_shared(const struct dpx_worker *w)
{
	return w->net->net;
}

const struct dpx_port *
dpx_net_port(const struct dpx_worker *w, unsigned int port)
{
	return net_port(w, port);
}

struct rte_mempool *
dpx_net_pool(const struct dpx_worker *w)
{
	return w->net->pool;
}

const struct dpx_port_stats *
dpx_net_worker_stats(const struct dpx_worker *w, unsigned int port)
{
	return &w->net->stats[port];
}

void
dpx_net_set_l4_handler(struct dpx_worker *w, uint8_t proto,
		       dpx_l4_handler_t fn)
{
	w->net->l4[proto] = fn;
}

static void
tx_burst(struct dpx_worker *w, unsigned int port, struct rte_mbuf **pkts,
	 uint16_t n)
{
	struct dpx_port_stats *st = &w->net->stats[port];
	uint16_t sent = 0;

	/* A full TX ring rarely stays full: retry a few times, then drop. */
	for (int tries = 0; tries < 4 && sent < n; tries++)
		sent += rte_eth_tx_burst(net_port(w, port)->port_id, w->index,
					 pkts + sent, n - sent);
	for (uint16_t i = 0; i < sent; i++) {
		st->tx_packets++;
		st->tx_bytes += pkts[i]->pkt_len;
	}
	if (sent < n) {
		st->drops[DPX_DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

static void
tx_flush_port(struct dpx_worker *w, unsigned int port, uint64_t now)
{
	struct dpx_net_worker *nw = w->net;
	struct dpx_tx_buffer *b = &nw->tx[port];
	struct rte_mbuf *out[2 * DPX_TX_BUF + 1];
	unsigned int n;

	if (nw->fault_tx[port] == NULL) {
		if (b->count)
			tx_burst(w, port, b->pkts, b->count);
		b->count = 0;
		return;
	}
	n = fault_apply(nw->fault_tx[port], nw->pool, &nw->stats[port], now,
			b->pkts, b->count, out,
			RTE_DIM(out));
	b->count = 0;
	n += fault_release(nw->fault_tx[port], now, out + n, RTE_DIM(out) - n);
	if (n)
		tx_burst(w, port, out, n);
}

void
dpx_net_flush(struct dpx_worker *w)
{
	struct dpx_net_worker *nw = w->net;
	unsigned int n_ports = nw->net->n_ports;
	bool work = false;

	/* Fault injection holds packets back: its queues count as work. */
	for (unsigned int p = 0; p < n_ports && !work; p++)
		work = nw->tx[p].count || nw->fault_tx[p] != NULL;
	if (!work)
		return;
	dpx_stage_enter(w, DPX_STAGE_TX);
	for (unsigned int p = 0; p < n_ports; p++)
		tx_flush_port(w, p, dpx_worker_tsc(w));
}

void
dpx_net_loop_begin(struct dpx_worker *w)
{
	w->rt.mark = rte_rdtsc();
	w->rt.last_busy = w->rt.mark;
	w->rt.stage = DPX_STAGE_RX;
}

bool
dpx_net_pass_end(struct dpx_worker *w)
{
	struct dpx_runtime *rt = &w->rt;
	uint64_t now = rte_rdtsc();
	bool busy = rt->busy;

	if (busy) {
		rt->cycles[rt->stage] += now - rt->mark;
		rt->busy_loops++;
		rt->last_busy = now;
		net_idle_busy(w);
	} else {
		rt->idle_cycles += now - rt->mark;
	}
	rt->loops++;
	rt->mark = now;
	rt->stage = DPX_STAGE_RX;
	rt->busy = false;
	return busy;
}

void
net_tx_enqueue(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_tx_buffer *b = &w->net->tx[port];

	if (b->count == DPX_TX_BUF)
		tx_flush_port(w, port, dpx_worker_tsc(w));
	b->pkts[b->count++] = m;
}

/* Ethernet: one frame of the batch; L4 packets wait in nw->l4. */
static void
net_frame_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	const struct dpx_port *p = net_port(w, port);
	const struct rte_ether_hdr *eth;

	nw->stats[port].rx_packets++;
	nw->stats[port].rx_bytes += m->pkt_len;
	if (m->data_len < sizeof(*eth)) {
		net_drop(nw, port, m, DPX_DROP_ETH_TRUNCATED);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eth->dst_addr, &p->mac) &&
	    !rte_is_broadcast_ether_addr(&eth->dst_addr)) {
		net_drop(nw, port, m, DPX_DROP_ETH_NOT_FOR_US);
		return;
	}
	m->l2_len = sizeof(*eth);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		rte_pktmbuf_adj(m, sizeof(*eth));
		ipv4_input(w, port, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		arp_input(w, port, m);
		break;
	default:
		net_drop(nw, port, m, DPX_DROP_ETHERTYPE);
	}
}

void
dpx_net_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	net_frame_input(w, port, m);
	net_l4_flush(w);
}

/* Packets whose headers are prefetched ahead of the one being parsed. */
#define RX_PREFETCH 4u

/* The room a port's burst may need in the pass's array: the burst, plus
 * what fault injection duplicates and releases. */
#define RX_PORT_ROOM (2 * DPX_RX_BURST + 1)

/* One RX burst of port into out[] (room: RX_PORT_ROOM), each mbuf tagged
 * with the port index; returns how many. */
static unsigned int
rx_port(struct dpx_worker *w, unsigned int port, uint64_t now,
	struct rte_mbuf **out)
{
	struct dpx_net_worker *nw = w->net;
	struct dpx_fault_state *fs = nw->fault_rx[port];
	struct rte_mbuf *pkts[DPX_RX_BURST];
	unsigned int n;

	if (fs == NULL) {
		n = rte_eth_rx_burst(net_port(w, port)->port_id, w->index,
				     out, DPX_RX_BURST);
	} else {
		n = rte_eth_rx_burst(net_port(w, port)->port_id, w->index,
				     pkts, DPX_RX_BURST);
		n = fault_apply(fs, nw->pool, &nw->stats[port], now, pkts, n,
				out, RX_PORT_ROOM);
		n += fault_release(fs, now, out + n, RX_PORT_ROOM - n);
	}
	if (n > 0)
		w->rt.rx_bursts++;
	for (unsigned int i = 0; i < n; i++)
		out[i]->port = (uint16_t)port;
	return n;
}

unsigned int
dpx_net_worker_poll(struct dpx_worker *w)
{
	struct dpx_net_worker *nw = w->net;
	uint64_t now = dpx_worker_tsc(w);
	struct rte_mbuf *pkts[DPX_MAX_PORTS * RX_PORT_ROOM];
	unsigned int n = 0, handed;

	for (unsigned int p = 0; p < nw->net->n_ports; p++)
		n += rx_port(w, p, now, pkts + n);
	handed = nw->handoff ? rte_ring_count(nw->handoff) : 0;
	if (n + handed > 0) {
		dpx_stage_enter(w, DPX_STAGE_NET);
		w->rt.rx_packets += n;
		/* Before new RX: these packets have already waited on a
		 * peer. */
		handed = net_handoff_drain(w);
		w->rt.rx_packets += handed;
		/* Headers arrive cold (written by the device or, on memif,
		 * by the other process's core): keep a few loads in flight
		 * ahead of the packet being processed. */
		for (unsigned int i = 0; i < RTE_MIN(n, RX_PREFETCH); i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		for (unsigned int i = 0; i < n; i++) {
			if (i + RX_PREFETCH < n)
				rte_prefetch0(rte_pktmbuf_mtod(
					pkts[i + RX_PREFETCH], void *));
			net_frame_input(w, pkts[i]->port, pkts[i]);
		}
	}
	if (nw->inbox != NULL && rte_ring_count(nw->inbox) > 0) {
		dpx_stage_enter(w, DPX_STAGE_NET);
		arp_inbox_drain(w);
	}
	if (nw->l4_count > 0) {
		dpx_stage_enter(w, DPX_STAGE_TCP);
		net_l4_flush(w);
	}
	if (now >= nw->next_timer) {
		dpx_stage_enter(w, DPX_STAGE_TIMERS);
		arp_timer(w, now);
		nw->next_timer = now + nw->tsc_hz / 1000 * DPX_TIMER_PERIOD_MS;
	}
	return n + handed;
}

void
dpx_net_announce(struct dpx_worker *w)
{
	const struct dpx_net *net = w->net->net;

	for (unsigned int p = 0; p < net->n_ports; p++)
		for (unsigned int a = 0; a < net->ports[p].conf->n_addrs; a++)
			arp_send_gratuitous(w, p,
					    net->ports[p].conf->addrs[a].addr);
	dpx_net_flush(w);
}
