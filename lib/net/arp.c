/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826): a per-worker neighbour cache. ARP frames carry no flow
 * hash, so whichever worker receives a reply tells its peers through their
 * lock-free inboxes; each worker then resolves its own waiting packets.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "net_priv.h"

#define ARP_NONE UINT32_MAX

static inline uint32_t
arp_hash(const struct dpx_arp_table *t, uint32_t ip)
{
	return (ip * 2654435761u) >> 7 & t->mask;
}

static inline uint32_t
arp_index(const struct dpx_arp_table *t, const struct dpx_arp_entry *e)
{
	return (uint32_t)(e - t->entries);
}

static inline struct rte_mbuf **
arp_pending(struct dpx_arp_table *t, const struct dpx_arp_entry *e)
{
	return &t->pending[(size_t)arp_index(t, e) * t->max_pending];
}

int
arp_table_init(struct dpx_arp_table *t, const struct dpx_arp_conf *c,
	       int socket)
{
	memset(t, 0, sizeof(*t));
	t->gen = 1;     /* a zeroed struct dpx_net_path is never current */
	t->max = c->max_entries;
	t->mask = t->max - 1;
	t->max_pending = c->max_pending;
	t->entries = rte_zmalloc_socket("dpx_arp", sizeof(*t->entries) * t->max,
					RTE_CACHE_LINE_SIZE, socket);
	t->buckets = rte_malloc_socket("dpx_arp_b", sizeof(uint32_t) * t->max,
				       0, socket);
	t->pending = rte_zmalloc_socket("dpx_arp_p", sizeof(struct rte_mbuf *) *
					t->max * t->max_pending, 0, socket);
	if (!t->entries || !t->buckets || !t->pending) {
		arp_table_fini(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->max; i++) {
		t->buckets[i] = ARP_NONE;
		t->entries[i].next = i + 1 < t->max ? i + 1 : ARP_NONE;
	}
	t->free_head = 0;
	return 0;
}

static struct dpx_arp_entry *
arp_lookup(struct dpx_arp_table *t, uint32_t ip)
{
	for (uint32_t i = t->buckets[arp_hash(t, ip)]; i != ARP_NONE;
	     i = t->entries[i].next)
		if (t->entries[i].ip == ip)
			return &t->entries[i];
	return NULL;
}

static void arp_delete(struct dpx_net_worker *nw, struct dpx_arp_entry *e);

/* A full table gives up an unresolved entry rather than refuse a new
 * neighbour: spoofed sources (a SYN flood) must not lock real peers out. */
static bool
arp_evict_incomplete(struct dpx_net_worker *nw)
{
	struct dpx_arp_table *t = &nw->arp;

	for (uint32_t n = 0; n < RTE_MIN(t->max, 64u); n++) {
		struct dpx_arp_entry *e = &t->entries[t->evict_cursor];

		t->evict_cursor = (t->evict_cursor + 1) & t->mask;
		if (e->state == DPX_ARP_INCOMPLETE) {
			nw->stats[e->port].arp_evicted++;
			arp_delete(nw, e);
			return true;
		}
	}
	return false;
}

static struct dpx_arp_entry *
arp_insert(struct dpx_net_worker *nw, uint32_t ip, unsigned int port)
{
	struct dpx_arp_table *t = &nw->arp;
	uint32_t h = arp_hash(t, ip), i;
	struct dpx_arp_entry *e;

	if (t->free_head == ARP_NONE && !arp_evict_incomplete(nw))
		return NULL;
	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->port = port;
	e->state = DPX_ARP_INCOMPLETE;
	e->next = t->buckets[h];
	t->buckets[h] = i;
	t->count++;
	return e;
}

/* Unlinks e; its pending packets are dropped and counted. */
static void
arp_delete(struct dpx_net_worker *nw, struct dpx_arp_entry *e)
{
	struct dpx_arp_table *t = &nw->arp;
	uint32_t idx = arp_index(t, e);
	uint32_t *link = &t->buckets[arp_hash(t, e->ip)];
	struct rte_mbuf **pending = arp_pending(t, e);

	while (*link != idx)
		link = &t->entries[*link].next;
	*link = e->next;
	for (unsigned int i = 0; i < e->n_pending; i++)
		net_drop(nw, e->port, pending[i], DPX_DROP_ARP_UNRESOLVED);
	e->state = DPX_ARP_FREE;
	e->n_pending = 0;
	t->gen++;
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
}

void
arp_table_fini(struct dpx_arp_table *t)
{
	if (t->entries && t->pending)
		for (uint32_t i = 0; i < t->max; i++)
			rte_pktmbuf_free_bulk(arp_pending(t, &t->entries[i]),
					      t->entries[i].n_pending);
	rte_free(t->entries);
	rte_free(t->buckets);
	rte_free(t->pending);
	memset(t, 0, sizeof(*t));
}

static void
arp_send_pending(struct dpx_worker *w, struct dpx_arp_entry *e)
{
	struct rte_mbuf **pending = arp_pending(&w->net->arp, e);

	for (unsigned int i = 0; i < e->n_pending; i++) {
		struct rte_ether_hdr *eth =
			rte_pktmbuf_mtod(pending[i], struct rte_ether_hdr *);

		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		net_tx_enqueue(w, e->port, pending[i]);
	}
	e->n_pending = 0;
}

/* Records ip -> mac as reachable; returns true when that is news. */
static bool
arp_learn(struct dpx_worker *w, unsigned int port, uint32_t ip,
	  const struct rte_ether_addr *mac, bool create)
{
	struct dpx_net_worker *nw = w->net;
	struct dpx_arp_entry *e = arp_lookup(&nw->arp, ip);
	bool news;

	if (e == NULL && create)
		e = arp_insert(nw, ip, port);
	if (e == NULL)
		return false;
	news = e->state != DPX_ARP_REACHABLE || e->port != port ||
	       !rte_is_same_ether_addr(&e->mac, mac);
	if (news)
		nw->arp.gen++;
	rte_ether_addr_copy(mac, &e->mac);
	e->port = port;
	e->state = DPX_ARP_REACHABLE;
	e->retries = 0;
	e->deadline = rte_get_tsc_cycles() +
		      nw->tsc_hz / 1000 * w->cfg->arp.timeout_ms;
	arp_send_pending(w, e);
	return news;
}

static void
arp_tell_peers(struct dpx_worker *w, unsigned int port, uint32_t ip,
	       const struct rte_ether_addr *mac)
{
	const struct dpx_net *net = w->net->net;
	struct dpx_arp_note note = { .ip = ip, .port = port };

	rte_ether_addr_copy(mac, &note.mac);
	for (unsigned int i = 0; i < net->n_workers; i++)
		if (i != w->index && net->arp_inbox[i] != NULL) {
			/* A full inbox only costs the peer one more request. */
			(void)rte_ring_mp_enqueue_elem(net->arp_inbox[i],
						       &note, sizeof(note));
			net_kick(net, i);
		}
}

void
arp_inbox_drain(struct dpx_worker *w)
{
	struct dpx_arp_note notes[32];
	unsigned int n;

	if (w->net->inbox == NULL)
		return;
	n = rte_ring_sc_dequeue_burst_elem(w->net->inbox, notes,
					   sizeof(notes[0]), RTE_DIM(notes),
					   NULL);
	for (unsigned int i = 0; i < n; i++)
		arp_learn(w, notes[i].port, notes[i].ip, &notes[i].mac, true);
}

/* Fills an ARP packet; tha NULL means all zeroes. */
static void
arp_fill(struct rte_arp_hdr *a, uint16_t op, const struct rte_ether_addr *sha,
	 uint32_t sip, const struct rte_ether_addr *tha, uint32_t tip)
{
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	if (tha)
		rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	else
		memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
}

static void
arp_send_request(struct dpx_worker *w, unsigned int port, uint32_t sip,
		 uint32_t tip)
{
	struct dpx_net_worker *nw = w->net;
	const struct dpx_port *p = net_port(w, port);
	struct rte_mbuf *m = rte_pktmbuf_alloc(nw->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	if (m == NULL) {
		nw->stats[port].drops[DPX_DROP_NO_MBUF]++;
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m,
					sizeof(*eth) + sizeof(*a));
	a = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp_fill(a, RTE_ARP_OP_REQUEST, &p->mac, sip, NULL, tip);
	nw->stats[port].arp_requests_sent++;
	net_tx_enqueue(w, port, m);
}

void
arp_send_gratuitous(struct dpx_worker *w, unsigned int port, uint32_t ip)
{
	arp_send_request(w, port, ip, ip);
}

/* The port address to speak from when asking for nexthop. */
static uint32_t
arp_source_for(const struct dpx_port *p, uint32_t nexthop)
{
	for (unsigned int i = 0; i < p->conf->n_addrs; i++)
		if (((p->conf->addrs[i].addr ^ nexthop) & p->masks[i]) == 0)
			return p->conf->addrs[i].addr;
	return p->conf->addrs[0].addr;
}

static void
arp_ask(struct dpx_worker *w, struct dpx_arp_entry *e)
{
	const struct dpx_port *p = net_port(w, e->port);

	arp_send_request(w, e->port, arp_source_for(p, e->ip), e->ip);
	e->deadline = rte_get_tsc_cycles() +
		      w->net->tsc_hz / 1000 * w->cfg->arp.retry_ms;
}

bool
arp_reachable(struct dpx_net_worker *nw, unsigned int port, uint32_t ip,
	      struct rte_ether_addr *mac)
{
	const struct dpx_arp_entry *e = arp_lookup(&nw->arp, ip);

	if (e == NULL || e->state != DPX_ARP_REACHABLE || e->port != port)
		return false;
	rte_ether_addr_copy(&e->mac, mac);
	return true;
}

void
arp_resolve_and_send(struct dpx_worker *w, unsigned int port,
		     uint32_t nexthop, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	struct dpx_arp_entry *e = arp_lookup(&nw->arp, nexthop);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (e != NULL && e->state == DPX_ARP_REACHABLE && e->port == port) {
		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		net_tx_enqueue(w, port, m);
		return;
	}
	if (e != NULL && e->port != port)
		arp_delete(nw, e); /* the neighbour moved to another port */
	if (e == NULL || e->state == DPX_ARP_FREE) {
		e = arp_insert(nw, nexthop, port);
		if (e == NULL) {
			net_drop(nw, port, m, DPX_DROP_ARP_UNRESOLVED);
			return;
		}
		arp_ask(w, e);
	}
	if (e->n_pending >= nw->arp.max_pending) {
		net_drop(nw, port, m, DPX_DROP_ARP_UNRESOLVED);
		return;
	}
	arp_pending(&nw->arp, e)[e->n_pending++] = m;
}

void
arp_timer(struct dpx_worker *w, uint64_t now)
{
	struct dpx_net_worker *nw = w->net;
	struct dpx_arp_table *t = &nw->arp;

	for (uint32_t i = 0; i < t->max && t->count; i++) {
		struct dpx_arp_entry *e = &t->entries[i];

		if (e->state == DPX_ARP_FREE || now < e->deadline)
			continue;
		/* An unresolved neighbour gets `retries` requests in all; an
		 * expired one stays usable while we ask again (like Linux's
		 * STALE), so traffic does not stop for a refresh. */
		if (e->retries++ < w->cfg->arp.retries -
				   (e->state == DPX_ARP_INCOMPLETE))
			arp_ask(w, e);
		else
			arp_delete(nw, e);
	}
}

static void
arp_reply(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m,
	  uint32_t our_ip)
{
	const struct dpx_port *p = net_port(w, port);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	struct rte_ether_addr asker = a->arp_data.arp_sha;
	uint32_t asker_ip = rte_be_to_cpu_32(a->arp_data.arp_sip);

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	arp_fill(a, RTE_ARP_OP_REPLY, &p->mac, our_ip, &asker, asker_ip);
	w->net->stats[port].arp_replies_sent++;
	net_tx_enqueue(w, port, m);
}

static bool
arp_valid(const struct rte_mbuf *m)
{
	const struct rte_arp_hdr *a;
	uint16_t op;

	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(*a))
		return false;
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
				    sizeof(struct rte_ether_hdr));
	op = rte_be_to_cpu_16(a->arp_opcode);
	return a->arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
	       a->arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	       a->arp_hlen == RTE_ETHER_ADDR_LEN && a->arp_plen == 4 &&
	       (op == RTE_ARP_OP_REQUEST || op == RTE_ARP_OP_REPLY) &&
	       rte_is_unicast_ether_addr(&a->arp_data.arp_sha) &&
	       !rte_is_zero_ether_addr(&a->arp_data.arp_sha);
}

void
arp_input(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m)
{
	struct dpx_net_worker *nw = w->net;
	const struct rte_arp_hdr *a;
	uint32_t sip, tip;
	bool for_us;

	if (!arp_valid(m)) {
		net_drop(nw, port, m, DPX_DROP_ARP_MALFORMED);
		return;
	}
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
				    sizeof(struct rte_ether_hdr));
	sip = rte_be_to_cpu_32(a->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	for_us = ipv4_is_local(net_port(w, port), tip);
	/* RFC 826: refresh a known sender always, add it only when the
	 * packet is for us. sip 0 is a probe (RFC 5227): nothing to learn. */
	if (sip != 0 && !ipv4_is_local(net_port(w, port), sip) &&
	    arp_learn(w, port, sip, &a->arp_data.arp_sha, for_us))
		arp_tell_peers(w, port, sip, &a->arp_data.arp_sha);
	if (!for_us) {
		net_drop(nw, port, m, DPX_DROP_ARP_NOT_FOR_US);
		return;
	}
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && sip != tip)
		arp_reply(w, port, m, tip);
	else
		rte_pktmbuf_free(m);
}
