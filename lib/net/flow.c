/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow ownership (core = owner(flow)) and the software dispatcher.
 *
 * The owner of a flow is computed the way the NIC does it: Toeplitz hash of
 * the IPv4 4-tuple under the port's RSS key, then the redirection table.
 * Ports whose queue choice software can reproduce (RSS over the 4-tuple,
 * RETA known) need nothing more. On other ports, with several workers, the
 * worker that receives a TCP/UDP packet it does not own passes it to the
 * owner through the owner's handoff ring (multi-producer, single-consumer),
 * so both directions of every flow are processed by one worker, whatever
 * the device does.
 */
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include "net_priv.h"

_Static_assert(DPX_MAX_WORKERS <= UINT8_MAX + 1,
	       "struct dpx_port.reta holds worker indexes in uint8_t");

/*
 * A symmetric RSS key (a repeated 16-bit pattern) makes both directions of
 * a flow hash alike, so one worker sees a whole connection. port.c gives it
 * to every device; software hashes with the same bytes.
 */
uint8_t net_rss_key[DPX_RSS_KEY_LEN] __rte_aligned(4) = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a,
};

/* net_rss_key in the word order rte_softrss_be() wants, converted once
 * before main() so the data path never converts. */
static uint32_t rss_key_be[DPX_RSS_KEY_LEN / 4];

RTE_INIT(flow_rss_key_convert)
{
	rte_convert_rss_key((const uint32_t *)net_rss_key, rss_key_be,
			    sizeof(net_rss_key));
}

uint32_t
net_flow_toeplitz(const uint32_t *key_be, const struct dpx_flow4 *f)
{
	union rte_thash_tuple t;

	/* What the NIC hashes for a received packet: source is the remote. */
	t.v4.src_addr = f->remote_ip;
	t.v4.dst_addr = f->local_ip;
	t.v4.sport = f->remote_port;
	t.v4.dport = f->local_port;
	return rte_softrss_be((uint32_t *)&t.v4, RTE_THASH_V4_L4_LEN,
			      (const uint8_t *)key_be);
}

uint32_t
net_flow_hash(const struct dpx_flow4 *f)
{
	return net_flow_toeplitz(rss_key_be, f);
}

/* With at least 2 workers (one owns everything otherwise). */
static unsigned int
owner_of_hash(const struct dpx_net *net, const struct dpx_port *p,
	      uint32_t hash)
{
	/* NICs index the table with the hash's low bits; port.c only keeps
	 * power-of-two tables, where that equals the remainder. */
	if (p->reta_size != 0)
		return p->reta[hash & (p->reta_size - 1u)];
	return hash % net->n_workers;
}

unsigned int
dpx_net_flow_owner(const struct dpx_net *net, unsigned int port,
		   const struct dpx_flow4 *f)
{
	if (net->n_workers < 2)
		return 0;
	return owner_of_hash(net, &net->ports[port], net_flow_hash(f));
}

int
dpx_net_pick_local_port(const struct dpx_net *net, unsigned int port,
			unsigned int w, uint32_t local_ip, uint32_t remote_ip,
			uint16_t remote_port, uint16_t lo, uint16_t hi,
			uint16_t start, uint16_t *out)
{
	struct dpx_flow4 f = { .remote_ip = remote_ip, .local_ip = local_ip,
			       .remote_port = remote_port };
	uint32_t span = (uint32_t)hi - lo + 1;
	uint32_t first;

	if (lo > hi || w >= net->n_workers)
		return -1;
	/* "*out + 1" past hi (or past 65535, wrapping to 0) restarts at lo. */
	first = (start < lo || start > hi) ? 0 : (uint32_t)start - lo;
	/* About one port in n_workers fits: the loop is short unless the
	 * range is too small to hold one. */
	for (uint32_t i = 0; i < span; i++) {
		f.local_port = (uint16_t)(lo + (first + i) % span);
		if (dpx_net_flow_owner(net, port, &f) == w) {
			*out = f.local_port;
			return 0;
		}
	}
	return -1;
}

/* The flow hash of a received TCP/UDP packet (data at its IPv4 header);
 * -1 when the packet is too short to hold the ports. */
static int
packet_hash(const struct dpx_port *p, const struct rte_mbuf *m,
	    uint32_t *hash)
{
	const struct rte_ipv4_hdr *ip;
	const rte_be16_t *ports;
	rte_be16_t buf[2];
	struct dpx_flow4 f;

	/* Only a device hashing the same 4-tuple with our key gives the same
	 * value as software; then its hash saves computing one. */
	if (p->rss_l4 && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)) {
		*hash = m->hash.rss;
		return 0;
	}
	/* TCP and UDP both start with source and destination ports. */
	ports = rte_pktmbuf_read(m, m->l3_len, sizeof(buf), buf);
	if (ports == NULL)
		return -1;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	f.remote_ip = rte_be_to_cpu_32(ip->src_addr);
	f.local_ip = rte_be_to_cpu_32(ip->dst_addr);
	f.remote_port = rte_be_to_cpu_16(ports[0]);
	f.local_port = rte_be_to_cpu_16(ports[1]);
	*hash = net_flow_hash(&f);
	return 0;
}

bool
net_flow_handoff(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	const struct dpx_net *net = nw->net;
	const struct dpx_port *p = &net->ports[port];
	unsigned int owner;
	uint32_t hash;
	bool udp;

	/* Too short for ports: the local L4 handler counts it malformed. */
	if (packet_hash(p, m, &hash) != 0)
		return false;
	owner = owner_of_hash(net, p, hash);
	/* No ring: a dpx_net built by hand (tests) without a dispatcher. */
	if (owner == w->index || net->handoff[owner] == NULL)
		return false;
	/* The owner needs our port index; the ethdev id is not used after RX. */
	m->port = (uint16_t)port;
	/* Read before the handoff: m is the owner's once enqueued. */
	udp = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->next_proto_id ==
	      IPPROTO_UDP;
	if (rte_ring_mp_enqueue(net->handoff[owner], m) != 0) {
		net_drop(nw, port, m, DPX_DROP_DISPATCH_FULL);
		return true;
	}
	nw->stats[port].dispatched_out++;
	nw->stats[port].dispatched_out_udp += udp;
	net_kick(net, owner);
	return true;
}

unsigned int
net_handoff_drain(struct dpx_worker *w)
{
	struct dpx_net_worker *nw = w->net;
	struct rte_mbuf *pkts[DPX_HANDOFF_BURST];
	unsigned int n;

	if (nw->handoff == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(nw->handoff, (void **)pkts,
				      RTE_DIM(pkts), NULL);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int port = pkts[i]->port;

		nw->stats[port].dispatched_in++;
		ipv4_deliver(w, port, pkts[i]);
	}
	return n;
}

void
net_handoff_purge(struct rte_ring *r)
{
	void *m;

	if (r == NULL)
		return;
	while (rte_ring_sc_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}
