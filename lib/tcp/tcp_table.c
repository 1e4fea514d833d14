/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-worker connection table and the TCB life cycle. */
#include <errno.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>

#include "tcp_priv.h"

struct dpx_tcb *
tcb_lookup(struct dpx_tcp_worker *tw, const struct tcp_key *k)
{
	void *data;

	if (rte_hash_lookup_data(tw->table, k, &data) < 0)
		return NULL;
	return data;
}

struct dpx_tcb *
tcb_new(struct dpx_worker *w, const struct tcp_key *k, unsigned int port)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct dpx_tcb *c;
	void *obj;

	if (rte_mempool_get(tw->tcb_pool, &obj) != 0)
		return NULL;
	c = obj;
	memset(c, 0, sizeof(*c));
	c->key = *k;
	c->port = port;
	c->w = w;
	c->state = TCP_CLOSED;
	c->sndbuf = tw->conf->sndbuf;
	c->rcvbuf = tw->conf->rcvbuf;
	c->rcv_space = RTE_MIN(c->rcvbuf, (uint32_t)TCP_RCV_SPACE_INIT);
	c->rcv_space_time = tw->now;
	c->rto = tw->conf->rto_initial_ms;
	c->mss = TCP_MSS_DEFAULT;
	tcp_timers_init(c);
	if (rte_hash_add_key_data(tw->table, k, c) != 0) {
		rte_mempool_put(tw->tcb_pool, c);
		return NULL;
	}
	return c;
}

static void
mbuf_list_free(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
}

static void
gauge_move(struct dpx_tcp_stats *st, uint8_t from, uint8_t to)
{
	if (from == TCP_SYN_RCVD)
		st->conns_syn_rcvd--;
	else if (from == TCP_TIME_WAIT)
		st->conns_time_wait--;
	else if (from != TCP_CLOSED)
		st->conns_active--;
	if (to == TCP_SYN_RCVD)
		st->conns_syn_rcvd++;
	else if (to == TCP_TIME_WAIT)
		st->conns_time_wait++;
	else if (to != TCP_CLOSED)
		st->conns_active++;
}

void
tcb_set_state(struct dpx_worker *w, struct dpx_tcb *c, uint8_t state)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	gauge_move(&tw->stats, c->state, state);
	if (c->state == TCP_TIME_WAIT)
		TAILQ_REMOVE(&tw->time_wait, c, tw_link);
	if (state == TCP_TIME_WAIT)
		TAILQ_INSERT_TAIL(&tw->time_wait, c, tw_link);
	if (c->state == TCP_SYN_RCVD && c->listener != NULL)
		c->listener->n_syn_rcvd--;
	if (state == TCP_SYN_RCVD && c->listener != NULL)
		c->listener->n_syn_rcvd++;
	c->state = state;
}

void
tcb_free(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	tcb_set_state(w, c, TCP_CLOSED);
	tcp_timers_stop(w, c);
	rte_hash_del_key(tw->table, &c->key);
	if (c->on_deliver)
		TAILQ_REMOVE(&tw->deliver_q, c, deliver_link);
	if (c->on_output)
		TAILQ_REMOVE(&tw->output_q, c, output_link);
	rte_pktmbuf_free(c->rx_head);
	mbuf_list_free(c->sndq_head);
	mbuf_list_free(c->ooo_head);
	rte_mempool_put(tw->tcb_pool, c);
	tw->tcb_frees++;
}

void
tcb_report_closed(struct dpx_worker *w, struct dpx_tcb *c, int err)
{
	/* An orderly end may come in the pass that brought the last data
	 * (data and FIN together while we are in FIN_WAIT_2): the
	 * application gets the data before it hears of the close. */
	if (err == 0 && c->on_deliver)
		tcp_deliver_one(w, c);
	if (c->accepted && !c->closing_reported && c->cb && c->cb->closed) {
		c->closing_reported = true;
		c->cb->closed(w, c, err);
	}
}

void
tcb_destroy(struct dpx_worker *w, struct dpx_tcb *c, int err)
{
	tcb_report_closed(w, c, err);
	tcb_free(w, c);
}
