/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server side of the proxy on one worker: choosing a server from the
 * published snapshot, opening or reusing a connection to it, the
 * keep-alive pool, per-server connection limits with their queue, and
 * the passive-health events sent to the control plane.
 */
#include <errno.h>
#include <string.h>

#include <rte_mempool.h>

#include "proxy_priv.h"

const struct px_snapshot *
px_snapshot(struct dpx_worker *w)
{
	return atomic_load_explicit(&px_w(w)->sh->snap, memory_order_acquire);
}

void
px_server_event(struct dpx_worker *w, unsigned int pool, unsigned int server,
		unsigned int type)
{
	struct dpx_proxy_worker *pw = px_w(w);
	bool *failing = &pw->pools[pool].failing[server];

	/* Passive results matter only with outlier detection on, and a
	 * success only after a failure: one event per request would cost a
	 * ring operation each and flood the control plane. */
	if (type == PX_EV_PASSIVE_OK || type == PX_EV_PASSIVE_FAIL) {
		if (w->cfg->pools[pool].max_fails == 0)
			return;
		if (type == PX_EV_PASSIVE_OK && !*failing)
			return;
		*failing = type == PX_EV_PASSIVE_FAIL;
	}
	if (rte_ring_sp_enqueue(pw->sh->events[w->index],
				(void *)px_event(type, pool, server)) != 0)
		pw->stats.events_dropped++;
}

/* Servers at their per-worker connection limit. */
static uint64_t
px_full_servers(const struct dpx_pool_conf *p, const struct px_pool_worker *pp)
{
	uint64_t full = 0;

	if (pp->limit == 0)
		return 0;
	for (unsigned int i = 0; i < p->n_servers; i++)
		if (pp->lb.active[i] >= pp->limit)
			full |= UINT64_C(1) << i;
	return full;
}

int
px_pick_server(struct dpx_worker *w, struct px_session *s, uint64_t hash,
	       bool *all_full)
{
	const struct dpx_pool_conf *p = &w->cfg->pools[s->pool];
	struct px_pool_worker *pp = &px_w(w)->pools[s->pool];
	const struct dpx_lb_view *v = px_snapshot(w)->view[s->pool];
	uint64_t full = px_full_servers(p, pp);
	int idx = dpx_lb_pick(p, v, &pp->lb, hash, s->tried | full);

	*all_full = false;
	if (idx < 0 && full != 0)
		for (unsigned int i = 0; i < p->n_servers; i++)
			if (v->weight[i] > 0 &&
			    !(s->tried & (UINT64_C(1) << i)))
				*all_full = true;
	return idx;
}

static void
px_srv_free(struct dpx_worker *w, struct px_srv *c)
{
	dpx_timer_cancel(dpx_tcp_wheel(w), &c->timer);
	px_srv_unkick(w, c);
	dpx_tls_conn_free(c->tls);
	px_chain_free(&c->tls_out);
	px_chain_free(&c->in);
	rte_mempool_put(px_w(w)->srvs, c);
}

static void
px_idle_unlink(struct dpx_worker *w, struct px_srv *c)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (!c->idle)
		return;
	TAILQ_REMOVE(&pw->pools[c->pool].idle[c->server], c, link);
	pw->pools[c->pool].n_idle[c->server]--;
	pw->srv_stats[c->pool][c->server].idle--;
	c->idle = false;
	/* The idle timer stays armed: a connection reused on every request
	 * would otherwise cancel and re-arm it each time. It fires for
	 * nothing while the connection is busy. */
}

static void
px_uncount(struct dpx_worker *w, struct px_srv *c)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (!c->counted)
		return;
	c->counted = false;
	pw->pools[c->pool].lb.active[c->server]--;
	pw->srv_stats[c->pool][c->server].active--;
	px_queue_kick(w, c->pool);
}

void
px_srv_abort(struct dpx_worker *w, struct px_srv *c)
{
	px_idle_unlink(w, c);
	if (c->s != NULL && c->s->srv == c)
		c->s->srv = NULL;
	c->s = NULL;
	px_uncount(w, c);
	if (c->tcb != NULL) {
		dpx_tcp_set_user(c->tcb, NULL);
		dpx_tcp_abort(w, c->tcb);
	}
	px_srv_free(w, c);
}

/* An idle connection rested long enough: close it politely. */
static void
px_idle_expired(struct dpx_timer *t, void *arg)
{
	struct px_srv *c = arg;
	struct dpx_worker *w = c->w;

	(void)t;
	if (!c->idle)
		return;         /* in use again since it was armed */
	px_idle_unlink(w, c);
	if (c->tcb != NULL)
		px_srv_close(w, c);     /* freed by the closed callback */
	else
		px_srv_free(w, c);
}

/* The newest idle connection made for this SNI (pools that send the
 * client's); stale ones met on the way are closed. */
static struct px_srv *
px_idle_pop(struct dpx_worker *w, unsigned int pool, unsigned int server,
	    uint64_t sni, uint32_t addr, uint16_t port, uint32_t src)
{
	struct px_pool_worker *pp = &px_w(w)->pools[pool];
	struct px_srv *c, *next;

	/* A forward pool's list holds every origin's: bounded by its
	 * keepalive_max_idle. */
	for (c = TAILQ_FIRST(&pp->idle[server]); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->sni_hash != sni || c->dst_addr != addr ||
		    c->dst_port != port || c->src_addr != src)
			continue;
		px_idle_unlink(w, c);
		if (!c->peer_closed && c->tcb != NULL &&
		    dpx_tcp_send_space(c->tcb) > 0)
			return c;
		px_srv_abort(w, c);
	}
	return NULL;
}

struct px_srv *
px_srv_get(struct dpx_worker *w, struct px_session *s, bool *reused, int *err)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_server_conf *sc =
		&w->cfg->pools[s->pool].servers[s->server];
	uint32_t addr = s->fwd != NULL ? s->fwd_addr : sc->addr;
	uint16_t port = s->fwd != NULL ? s->fwd_port : sc->port;
	uint32_t src = s->fwd != NULL ? s->egress_addr : 0;
	/* Only HTTP exchanges reuse connections: a "tcp" session's bytes
	 * (or a CONNECT tunnel's) must start a connection of their own, not
	 * follow HTTP on one an http listener of the same pool left idle. */
	struct px_srv *c = s->http && !s->fwd_connect ?
			   px_idle_pop(w, s->pool, s->server,
				       px_srv_sni_for(w, s), addr, port,
				       src) : NULL;
	void *obj;

	*reused = c != NULL;
	if (c == NULL) {
		if (rte_mempool_get(pw->srvs, &obj) != 0) {
			pw->stats.no_memory++;
			*err = -ENOMEM;
			return NULL;
		}
		c = obj;
		memset(c, 0, sizeof(*c));
		c->w = w;
		c->pool = (uint8_t)s->pool;
		c->server = (uint8_t)s->server;
		c->dst_addr = addr;
		c->dst_port = port;
		c->src_addr = src;
		dpx_timer_init(&c->timer, px_idle_expired, c);
		if (px_srv_tls_open(w, c, s) != 0) {
			rte_mempool_put(pw->srvs, c);
			*err = -ENOMEM;
			return NULL;
		}
		c->tcb = dpx_tcp_connect(w, src, addr, port, &px_srv_cb, c, err);
		if (c->tcb == NULL) {
			dpx_tls_conn_free(c->tls);
			rte_mempool_put(pw->srvs, c);
			return NULL;
		}
		dpx_tcp_set_user(c->tcb, c);
		pw->stats.server_connects++;
		if (s->fwd != NULL)
			px_egress_connected(w, s);
	} else {
		pw->stats.server_reused++;
	}
	c->s = s;
	c->counted = true;
	pw->pools[s->pool].lb.active[s->server]++;
	pw->srv_stats[s->pool][s->server].active++;
	return c;
}

/* Detaches the session's server connection: back to the idle pool when
 * reuse is allowed and possible, else closed. */
void
px_srv_release(struct dpx_worker *w, struct px_session *s, bool reuse)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_srv *c = s->srv;
	const struct dpx_pool_conf *p;
	struct px_pool_worker *pp;

	if (c == NULL)
		return;
	s->srv = NULL;
	c->s = NULL;
	p = &w->cfg->pools[c->pool];
	pp = &pw->pools[c->pool];
	if (reuse && c->connected && !c->peer_closed && c->tcb != NULL &&
	    c->in.len == 0 && pp->n_idle[c->server] < p->keepalive_max_idle) {
		c->idle = true;
		TAILQ_INSERT_HEAD(&pp->idle[c->server], c, link);
		pp->n_idle[c->server]++;
		pw->srv_stats[c->pool][c->server].idle++;
		dpx_timer_extend(dpx_tcp_wheel(w), &c->timer,
				 dpx_tcp_now_ms(w) + p->keepalive_idle_ms);
		px_uncount(w, c);   /* may hand the conn to a queued session */
		return;
	}
	px_uncount(w, c);
	if (c->tcb == NULL) {
		px_srv_free(w, c);
		return;
	}
	px_chain_free(&c->in);
	px_srv_close(w, c);         /* freed by the closed callback */
}

static void
px_srv_accepted(struct dpx_worker *w, struct dpx_tcb *tcb, void *arg)
{
	struct px_srv *c = arg;

	(void)tcb;
	if (c->tls != NULL) {
		c->tcp_up = true;
		if (c->s != NULL)
			px_srv_tls_run(w, c);   /* the ClientHello */
		else
			dpx_tcp_close(w, c->tcb);
		return;
	}
	c->connected = true;
	if (c->s != NULL)
		px_on_server_ready(w, c->s);
	else
		dpx_tcp_close(w, c->tcb);
}

static void
px_srv_data(struct dpx_worker *w, struct dpx_tcb *tcb, struct rte_mbuf *m)
{
	struct px_srv *c = dpx_tcp_user(tcb);

	if (c != NULL && c->tls != NULL && (c->s != NULL || c->idle)) {
		/* Records: plaintext or not, only OpenSSL can tell. */
		dpx_tls_conn_input(c->tls, m);
		px_srv_tls_run(w, c);
		return;
	}
	if (c == NULL || c->s == NULL) {
		/* Nobody to deliver to (idle or closing): drop it, and an
		 * idle connection that talks out of turn is not reusable. */
		dpx_tcp_recv_done(w, tcb, m->pkt_len);
		rte_pktmbuf_free(m);
		if (c != NULL && c->idle)
			px_srv_abort(w, c);
		return;
	}
	px_chain_add(&c->in, m);
	px_run_response(w, c->s);
}

static void
px_srv_sendable(struct dpx_worker *w, struct dpx_tcb *tcb)
{
	struct px_srv *c = dpx_tcp_user(tcb);

	if (c != NULL && c->tls != NULL && c->tls_out.len > 0)
		px_chain_flush(w, &c->tls_out, tcb);
	if (c != NULL && c->s != NULL)
		px_run_request(w, c->s);
}

static void
px_srv_peer_closed(struct dpx_worker *w, struct dpx_tcb *tcb)
{
	struct px_srv *c = dpx_tcp_user(tcb);

	if (c == NULL) {
		dpx_tcp_close(w, tcb);
		return;
	}
	if (c->tls != NULL && (c->s != NULL || c->idle)) {
		c->fin_in = true;
		px_srv_tls_run(w, c);
		return;
	}
	c->peer_closed = true;
	if (c->s != NULL) {
		px_run_response(w, c->s);
		return;
	}
	px_idle_unlink(w, c);
	dpx_tcp_close(w, tcb);
}

static void
px_srv_closed(struct dpx_worker *w, struct dpx_tcb *tcb, int err)
{
	struct px_srv *c = dpx_tcp_user(tcb);
	struct px_session *s;

	if (c == NULL)
		return;
	c->tcb = NULL;
	px_idle_unlink(w, c);
	s = c->s;
	c->s = NULL;
	/* A tunnel's last bytes may still wait here (the client was slow)
	 * when the close completes: they belong to the client. */
	if (s != NULL && s->rsp_state == RSP_TUNNEL)
		px_chain_move(&c->in, &s->to_cli);
	if (s != NULL && s->srv == c)
		s->srv = NULL;
	px_uncount(w, c);
	if (s != NULL)
		px_on_server_gone(w, s, err, c->connected);
	px_srv_free(w, c);
}

const struct dpx_tcp_callbacks px_srv_cb = {
	.accepted = px_srv_accepted,
	.data = px_srv_data,
	.sendable = px_srv_sendable,
	.peer_closed = px_srv_peer_closed,
	.closed = px_srv_closed,
};

void
px_queue_add(struct dpx_worker *w, struct px_session *s)
{
	struct px_pool_worker *pp = &px_w(w)->pools[s->pool];

	TAILQ_INSERT_TAIL(&pp->queue, s, qlink);
	pp->n_queued++;
	s->queued = true;
	px_w(w)->stats.queued++;
	px_session_arm(w, s, w->cfg->pools[s->pool].queue_timeout_ms);
}

void
px_queue_del(struct dpx_worker *w, struct px_session *s)
{
	struct px_pool_worker *pp;

	if (!s->queued)
		return;
	pp = &px_w(w)->pools[s->pool];
	TAILQ_REMOVE(&pp->queue, s, qlink);
	pp->n_queued--;
	s->queued = false;
}

/* A connection slot of the pool freed up: the oldest waiting session
 * tries again. */
void
px_queue_kick(struct dpx_worker *w, unsigned int pool)
{
	struct px_session *s = TAILQ_FIRST(&px_w(w)->pools[pool].queue);

	if (s == NULL)
		return;
	px_queue_del(w, s);
	if (px_connect_server(w, s) != 0)
		px_on_server_gone(w, s, -EHOSTUNREACH, false);
	else if (s->srv != NULL && s->srv->connected)
		px_on_server_ready(w, s);
}
