/* SPDX-License-Identifier: BSD-3-Clause */
/* The application API of dpx_tcp.h and the per-worker set-up. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "tcp_priv.h"

int
dpx_tcp_listen(struct dpx_worker *w, uint32_t addr, uint16_t port,
	       uint32_t backlog, const struct dpx_tcp_callbacks *cb, void *arg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct tcp_listener *l;

	if (tw->n_listeners == TCP_MAX_LISTENERS)
		return -ENOSPC;
	for (unsigned int i = 0; i < tw->n_listeners; i++)
		if (tw->listeners[i].port == port &&
		    (tw->listeners[i].addr == addr ||
		     tw->listeners[i].addr == 0 || addr == 0))
			return -EADDRINUSE;
	l = &tw->listeners[tw->n_listeners++];
	memset(l, 0, sizeof(*l));
	l->addr = addr;
	l->port = port;
	l->backlog = backlog;
	l->cb = cb;
	l->arg = arg;
	return 0;
}

#define TCP_EPHEMERAL_LO 32768
#define TCP_EPHEMERAL_HI 60999
#define TCP_CONNECT_TRIES 64

/* A free local port whose replies this worker owns. */
static int
tcp_pick_port(struct dpx_worker *w, unsigned int port, struct tcp_key *k)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	uint16_t start = tw->next_port, p;

	for (int i = 0; i < TCP_CONNECT_TRIES; i++) {
		if (dpx_net_pick_local_port(dpx_net_shared(w), port, w->index,
					    k->laddr, k->raddr, k->rport,
					    TCP_EPHEMERAL_LO, TCP_EPHEMERAL_HI,
					    start, &p) != 0)
			return -EADDRNOTAVAIL;
		k->lport = p;
		start = p == TCP_EPHEMERAL_HI ? TCP_EPHEMERAL_LO : p + 1;
		if (tcb_lookup(tw, k) == NULL) {
			tw->next_port = start;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

struct dpx_tcb *
dpx_tcp_connect(struct dpx_worker *w, uint32_t laddr, uint32_t raddr,
		uint16_t rport, const struct dpx_tcp_callbacks *cb, void *arg,
		int *err)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct tcp_key k = { .raddr = raddr, .rport = rport };
	unsigned int port;
	uint32_t src;
	struct dpx_tcb *c;

	if (dpx_net_route(w, raddr, &port, &src) != 0) {
		*err = -EHOSTUNREACH;
		return NULL;
	}
	k.laddr = laddr ? laddr : src;
	*err = tcp_pick_port(w, port, &k);
	if (*err != 0)
		return NULL;
	c = tcb_new(w, &k, port);
	if (c == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	c->cb = cb;
	c->open_arg = arg;
	c->accepted = true;             /* the caller knows it: report close */
	c->iss = tcp_isn(tw, &k);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_max = c->iss;
	c->recover = c->iss;
	c->adv_mss = tcp_local_mss(w, port);
	c->mss = c->adv_mss;
	c->ssthresh = UINT32_MAX / 2;
	if (tw->conf->window_scaling)
		c->rcv_wscale = tcp_pick_wscale(c->rcvbuf);
	tcb_set_state(w, c, TCP_SYN_SENT);
	tcp_send_syn(w, c);
	tcp_arm_rtx(w, c);
	return c;
}

static bool
tcp_can_queue(const struct dpx_tcb *c)
{
	return (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) &&
	       !c->fin_queued;
}

uint32_t
dpx_tcp_send_space(const struct dpx_tcb *c)
{
	if (!tcp_can_queue(c) || c->sndq_bytes >= c->sndbuf)
		return 0;
	return c->sndbuf - c->sndq_bytes;
}

/* Appends m's segments to the send queue, one queue entry each. */
static void
sndq_append(struct dpx_tcb *c, struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
		} else {
			c->sndq_bytes += m->data_len;
			if (c->sndq_tail)
				c->sndq_tail->next = m;
			else
				c->sndq_head = m;
			c->sndq_tail = m;
		}
		m = next;
	}
}

static int
tcp_queue(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m,
	  bool more)
{
	if (!tcp_can_queue(c))
		return -EPIPE;
	if (m->pkt_len > dpx_tcp_send_space(c))
		return -EAGAIN;
	sndq_append(c, m);
	c->more = more;
	tcp_want_output(tcp_w(w), c);
	return 0;
}

int
dpx_tcp_send(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	return tcp_queue(w, c, m, false);
}

int
dpx_tcp_send_more(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	return tcp_queue(w, c, m, true);
}

void
dpx_tcp_recv_done(struct dpx_worker *w, struct dpx_tcb *c, uint32_t n)
{
	uint32_t now_adv, open;

	c->rcv_held -= RTE_MIN(n, c->rcv_held);
	if (c->state == TCP_CLOSED || c->state == TCP_TIME_WAIT)
		return;
	/* Receiver SWS avoidance (RFC 9293 3.8.6.2.2): a window update only
	 * when the window we announced has nearly closed (the sender may be
	 * stalled) and has reopened by a useful amount; otherwise the next
	 * ACK carries the new window anyway. */
	now_adv = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	open = tcp_rcv_window(c);
	if (now_adv <= c->rcvbuf / 8 && open >= 2 * now_adv &&
	    open - now_adv >= c->mss) {
		c->ack_now = true;
		tcp_want_output(tcp_w(w), c);
	}
}

void
dpx_tcp_close(struct dpx_worker *w, struct dpx_tcb *c)
{
	if (c->fin_queued || c->state == TCP_CLOSED)
		return;
	if (c->state == TCP_ESTABLISHED)
		tcb_set_state(w, c, TCP_FIN_WAIT_1);
	else if (c->state == TCP_CLOSE_WAIT)
		tcb_set_state(w, c, TCP_LAST_ACK);
	else
		return;
	c->fin_queued = true;
	tcp_want_output(tcp_w(w), c);
}

void
dpx_tcp_abort(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	if (c->state == TCP_CLOSED)
		return;
	if (c->state != TCP_TIME_WAIT)
		tcp_send_rst(w, &c->key, c->port, c->snd_nxt, c->rcv_nxt, true);
	/* The caller may be inside one of our callbacks, with the TCB still
	 * in use below it: free it from the timer wheel instead. */
	c->closing_reported = true;
	tcb_set_state(w, c, TCP_CLOSED);
	dpx_timer_cancel(&tw->wheel, &c->delack_timer);
	dpx_timer_cancel(&tw->wheel, &c->life_timer);
	dpx_timer_arm(&tw->wheel, &c->rtx_timer, tw->now);
}

void
dpx_tcp_set_user(struct dpx_tcb *c, void *user)
{
	c->user = user;
}

void *
dpx_tcp_user(const struct dpx_tcb *c)
{
	return c->user;
}

struct rte_mempool *
dpx_tcp_pool(const struct dpx_worker *w)
{
	return w->tcp->pool;
}

void
dpx_tcp_endpoints(const struct dpx_tcb *c, uint32_t *raddr, uint16_t *rport,
		  uint32_t *laddr, uint16_t *lport)
{
	if (raddr)
		*raddr = c->key.raddr;
	if (rport)
		*rport = c->key.rport;
	if (laddr)
		*laddr = c->key.laddr;
	if (lport)
		*lport = c->key.lport;
}

struct dpx_timer_wheel *
dpx_tcp_wheel(struct dpx_worker *w)
{
	return &w->tcp->wheel;
}

uint64_t
dpx_tcp_now_ms(const struct dpx_worker *w)
{
	return w->tcp->now;
}

uint64_t
dpx_tcp_timer_slack_us(const struct dpx_worker *w)
{
	const struct dpx_tcp_worker *tw = w->tcp;
	uint64_t next = dpx_timer_next_expiry(&tw->wheel);
	uint64_t tsc = rte_rdtsc();

	if (next == UINT64_MAX)
		return UINT64_MAX;
	/* The wheel's clock moves once per pass; count from the TSC. */
	if (next * tw->tsc_per_tick <= tsc)
		return 0;
	return (next * tw->tsc_per_tick - tsc) * 1000 * TCP_TICK_MS /
	       tw->tsc_per_tick;
}

const struct dpx_tcp_stats *
dpx_tcp_worker_stats(const struct dpx_worker *w)
{
	return &w->tcp->stats;
}

static uint64_t
tcp_ticks(const struct dpx_tcp_worker *tw, uint64_t tsc)
{
	return tsc / tw->tsc_per_tick;
}

void
dpx_tcp_worker_poll(struct dpx_worker *w)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	uint64_t tsc = dpx_worker_tsc(w);

	/* Most passes fall within the current tick: one compare. */
	if (tsc < tw->next_tick_tsc)
		return;
	tw->now = tcp_ticks(tw, tsc);
	tw->next_tick_tsc = (tw->now + 1) * tw->tsc_per_tick;
	if (dpx_timer_next_expiry(&tw->wheel) > tw->now) {
		/* Nothing fires: the clock still moves (what is armed from
		 * now on is relative to it). */
		dpx_timer_advance(&tw->wheel, tw->now);
		return;
	}
	dpx_stage_enter(w, DPX_STAGE_TIMERS);
	dpx_timer_advance(&tw->wheel, tw->now);
}

/* Hands c's pending events to the application, in the order they would
 * have happened: connected, data, send space, the peer's FIN. Stops when
 * the application aborts the connection on the way. */
void
tcp_deliver_one(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	const struct dpx_tcp_callbacks *cb = c->cb;
	uint8_t ev = c->events;
	struct rte_mbuf *m = c->rx_head;

	if (c->on_deliver) {
		TAILQ_REMOVE(&tw->deliver_q, c, deliver_link);
		c->on_deliver = false;
	}
	c->events = 0;
	c->rx_head = c->rx_tail = NULL;
	if (cb == NULL) {               /* never: events need an open */
		rte_pktmbuf_free(m);
		return;
	}
	if (ev & TCP_EV_ACCEPTED) {
		c->accepted = true;
		if (cb->accepted)
			cb->accepted(w, c, c->listener ? c->listener->arg :
					   c->open_arg);
	}
	if (m != NULL) {
		if (c->state == TCP_CLOSED)
			rte_pktmbuf_free(m);
		else
			cb->data(w, c, m);
	}
	if ((ev & TCP_EV_SENDABLE) && c->state != TCP_CLOSED && cb->sendable)
		cb->sendable(w, c);
	if ((ev & TCP_EV_PEER_CLOSED) && c->state != TCP_CLOSED &&
	    cb->peer_closed)
		cb->peer_closed(w, c);
}

void
dpx_tcp_deliver(struct dpx_worker *w)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct dpx_tcb *c;

	if (TAILQ_EMPTY(&tw->deliver_q))
		return;
	dpx_stage_enter(w, DPX_STAGE_APP);
	while ((c = TAILQ_FIRST(&tw->deliver_q)) != NULL) {
		struct dpx_tcb *next = TAILQ_NEXT(c, deliver_link);

		/* The application state comes next: start loading it. */
		if (next != NULL)
			rte_prefetch0(next->user);
		tcp_deliver_one(w, c);
	}
}

/* Sends what c has to send; an ACK that is due rides on data, or goes
 * alone, or waits for the delayed-ACK timer. */
static void
tcp_output_one(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	uint64_t segs_before = tw->stats.segs_out;
	bool ack_now = c->ack_now;

	c->ack_now = false;
	if (c->state < TCP_ESTABLISHED || c->state == TCP_TIME_WAIT)
		return;
	tcp_output(w, c);
	if (ack_now && tw->stats.segs_out == segs_before)
		tcp_send_ack(w, c);
	else if (c->last_ack_sent != c->rcv_nxt)
		tcp_arm_delack(w, c);
}

void
dpx_tcp_output(struct dpx_worker *w)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct dpx_tcb *c;

	if (TAILQ_EMPTY(&tw->output_q))
		return;
	dpx_stage_enter(w, DPX_STAGE_TCP);
	while ((c = TAILQ_FIRST(&tw->output_q)) != NULL) {
		TAILQ_REMOVE(&tw->output_q, c, output_link);
		c->on_output = false;
		tcp_output_one(w, c);
	}
}

static int
tcp_tables_create(struct dpx_worker *w, struct dpx_tcp_worker *tw, int socket)
{
	uint32_t n = RTE_MAX(tw->conf->max_connections, 64u);
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_hash_parameters hp = {
		.entries = n,
		.key_len = sizeof(struct tcp_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.name = name,
	};

	snprintf(name, sizeof(name), "dpx_tcp_%u", w->index);
	tw->table = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "dpx_tcb_%u", w->index);
	tw->tcb_pool = rte_mempool_create(name, n, sizeof(struct dpx_tcb), 0, 0,
					  NULL, NULL, NULL, NULL, socket,
					  RTE_MEMPOOL_F_SP_PUT |
					  RTE_MEMPOOL_F_SC_GET);
	if (tw->table == NULL || tw->tcb_pool == NULL) {
		DPX_ERR("worker %u: cannot allocate a TCP table for %u "
			"connections (tcp.max_connections): %s", w->index, n,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int
dpx_tcp_worker_init(struct dpx_worker *w)
{
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	struct dpx_tcp_worker *tw;

	if (socket < 0)
		socket = SOCKET_ID_ANY;
	tw = rte_zmalloc_socket("dpx_tcp", sizeof(*tw), RTE_CACHE_LINE_SIZE,
				socket);
	if (tw == NULL)
		return -ENOMEM;
	w->tcp = tw;
	tw->conf = &w->cfg->tcp;
	tw->pool = dpx_net_pool(w);
	/* A payload's sum only pays when it can be sent on by reference
	 * (otherwise it is copied and summed with the copy). */
	for (unsigned int p = 0; p < dpx_net_shared(w)->n_ports; p++)
		tw->keep_sums |= (dpx_net_port(w, p)->tx_offloads &
				  RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	tw->tsc_per_tick = RTE_MAX(rte_get_tsc_hz() / 1000 * TCP_TICK_MS, 1ul);
	tw->next_port = TCP_EPHEMERAL_LO +
			(uint16_t)(rte_rand() % (TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO));
	tw->now = tcp_ticks(tw, rte_get_tsc_cycles());
	tw->next_tick_tsc = (tw->now + 1) * tw->tsc_per_tick;
	tw->ts_offset = (uint32_t)rte_rand();
	for (unsigned int i = 0; i < RTE_DIM(tw->isn_secret); i++)
		tw->isn_secret[i] = (uint32_t)rte_rand();
	TAILQ_INIT(&tw->time_wait);
	TAILQ_INIT(&tw->deliver_q);
	TAILQ_INIT(&tw->output_q);
	if (dpx_timer_wheel_init(&tw->wheel, tw->now) != 0 ||
	    tcp_tables_create(w, tw, socket) != 0) {
		dpx_tcp_worker_fini(w);
		return -ENOMEM;
	}
	dpx_net_set_l4_handler(w, IPPROTO_TCP, tcp_input);
	return 0;
}

/* Ends every connection; the application hears of each and releases its
 * state. Collected first: deleting while iterating would restart the scan
 * after each connection, quadratic with many of them. */
static void
tcp_destroy_all(struct dpx_worker *w, struct dpx_tcp_worker *tw)
{
	int32_t n = rte_hash_count(tw->table), k = 0;
	struct dpx_tcb **all = n > 0 ? malloc(sizeof(*all) * n) : NULL;
	const void *key;
	uint32_t iter = 0;
	void *data;

	if (all == NULL) {              /* slow but needs no memory */
		while (rte_hash_iterate(tw->table, &key, &data, &iter) >= 0) {
			tcb_destroy(w, data, -ECONNABORTED);
			iter = 0;
		}
		return;
	}
	while (k < n && rte_hash_iterate(tw->table, &key, &data, &iter) >= 0)
		all[k++] = data;
	for (int32_t i = 0; i < k; i++)
		tcb_destroy(w, all[i], -ECONNABORTED);
	free(all);
}

void
dpx_tcp_worker_fini(struct dpx_worker *w)
{
	struct dpx_tcp_worker *tw = w->tcp;

	if (tw == NULL)
		return;
	if (tw->table != NULL)
		tcp_destroy_all(w, tw);
	if (tw->n_stash > 0)
		rte_mempool_put_bulk(tw->pool, (void **)tw->stash, tw->n_stash);
	tw->n_stash = 0;
	rte_hash_free(tw->table);
	rte_mempool_free(tw->tcb_pool);
	rte_free(tw);
	w->tcp = NULL;
}
