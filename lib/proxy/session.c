/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client sessions of proxy listeners: accept and connection limits, the
 * session timer, choosing and connecting a server (with retries and the
 * per-server queue), the byte tunnel of "tcp" listeners (also used after
 * an HTTP Upgrade), session end and the access-log record.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>

#include "proxy_priv.h"

static uint32_t
px_ip_slot(unsigned int li, uint32_t addr)
{
	uint32_t key[2] = { li, addr };

	return (uint32_t)dpx_lb_hash(key, sizeof(key)) & (PX_IP_SLOTS - 1);
}

/* Takes the listener and client-address slots; false when over a limit.
 * Only for listeners with a limit: these are shared counters. */
static bool
px_limits_take(struct dpx_proxy_shared *sh, const struct dpx_listener_conf *ls,
	       unsigned int li, uint32_t slot)
{
	unsigned int n = atomic_fetch_add(&sh->listener_conns[li], 1);
	unsigned int m = atomic_fetch_add(&sh->ip_conns[slot], 1);

	if ((ls->max_connections && n >= ls->max_connections) ||
	    (ls->max_connections_per_ip && m >= ls->max_connections_per_ip)) {
		atomic_fetch_sub(&sh->listener_conns[li], 1);
		atomic_fetch_sub(&sh->ip_conns[slot], 1);
		return false;
	}
	return true;
}

static void
px_limits_give(struct dpx_proxy_shared *sh, unsigned int li, uint32_t slot)
{
	atomic_fetch_sub(&sh->listener_conns[li], 1);
	atomic_fetch_sub(&sh->ip_conns[slot], 1);
}

char *
px_hbuf_get(struct dpx_worker *w, struct px_session *s)
{
	void *obj;

	if (s->hbuf == NULL) {
		if (rte_mempool_get(px_w(w)->hbufs, &obj) != 0) {
			px_w(w)->stats.no_memory++;
			return NULL;
		}
		s->hbuf = obj;
		s->hlen = 0;
	}
	return s->hbuf;
}

void
px_hbuf_put(struct dpx_worker *w, struct px_session *s)
{
	if (s->hbuf != NULL)
		rte_mempool_put(px_w(w)->hbufs, s->hbuf);
	s->hbuf = NULL;
	s->hlen = 0;
}

static void px_session_timeout(struct dpx_timer *t, void *arg);

void
px_session_arm(struct dpx_worker *w, struct px_session *s, uint32_t ms)
{
	if (ms == 0) {
		dpx_timer_cancel(dpx_tcp_wheel(w), &s->timer);
		return;
	}
	/* Pushed back on every request: extended in place, not moved. */
	dpx_timer_extend(dpx_tcp_wheel(w), &s->timer, dpx_tcp_now_ms(w) + ms);
}

static void
px_session_free(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (!s->http || s->fwd_tunnel)
		px_session_log(w, s);   /* one line per tcp connection */
	px_fwd_session_end(w, s);
	px_queue_del(w, s);
	px_cache_exchange_end(w, s);
	px_cz_end(w, s);
	dpx_timer_cancel(dpx_tcp_wheel(w), &s->timer);
	px_chain_free(&s->cin);
	px_chain_free(&s->to_srv);
	px_chain_free(&s->to_cli);
	px_chain_free(&s->req_copy);
	px_chain_free(&s->tls_out);
	px_tls_unkick(w, s);
	dpx_tls_conn_free(s->tls);
	s->tls = NULL;
	px_hbuf_put(w, s);
	if (s->fwd_host != NULL)
		rte_mempool_put(pw->fwd_hosts, s->fwd_host);
	if (s->counted)
		px_limits_give(pw->sh, s->li, s->ip_slot);
	pw->stats.sessions_active--;
	rte_mempool_put(pw->sessions, s);
}

/*
 * Ends the session. abort: RST to both sides. Otherwise the client gets
 * what is staged for it, then FIN; the server connection is closed (a
 * kept-alive one was released before).
 */
void
px_session_end(struct dpx_worker *w, struct px_session *s, bool abort)
{
	if (s->srv != NULL) {
		if (abort)
			px_srv_abort(w, s->srv);
		else
			px_srv_release(w, s, false);
	}
	px_queue_del(w, s);
	if (s->cli != NULL && !abort && px_cli_pending(s) > 0) {
		px_cli_flush(w, s);
		if (px_cli_pending(s) > 0) {
			s->draining = true;
			px_session_arm(w, s, s->ls->client_timeout_ms);
			return;
		}
	}
	if (s->cli != NULL) {
		dpx_tcp_set_user(s->cli, NULL);
		if (abort)
			dpx_tcp_abort(w, s->cli);
		else
			px_cli_close(w, s);
		s->cli = NULL;
	}
	px_session_free(w, s);
}

void
px_session_log(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_log_rec r;
	uint64_t now = dpx_tcp_now_ms(w);

	pw->stats.bytes_in += s->bytes_in;
	pw->stats.bytes_out += s->bytes_out;
	px_egress_account(w, s);
	if (!s->ls->access_log || s->cache_bg)
		return;     /* a line per client request: a refresh is none */
	memset(&r, 0, sizeof(r));
	r.caddr = s->caddr;
	r.cport = s->cport;
	r.status = s->status;
	r.listener = s->li;
	r.pool = (int8_t)s->pool;
	r.server = (int8_t)(s->pool >= 0 ? s->server : -1);
	r.cache = s->cache_status;
	r.bytes_in = s->bytes_in;
	r.bytes_out = s->bytes_out;
	r.t_total_ms = (uint32_t)(now - s->t_start);
	r.t_server_ms = s->t_server;
	memcpy(r.method, s->method, sizeof(r.method));
	memcpy(r.path, s->path, sizeof(r.path));
	if (s->fwd != NULL && s->fwd_host[0] != '\0') {
		r.fwd = 1;
		r.daddr = s->fwd_addr;
		r.dport = s->fwd_port;
		r.egress = s->egress_addr;
		snprintf(r.dest, sizeof(r.dest), "%.100s:%u", s->fwd_host,
			 s->fwd_port);
		memcpy(r.user, s->user, sizeof(r.user));
		snprintf(r.rule, sizeof(r.rule), "%s", px_acl_rule(s));
	}
	if (s->tls != NULL && dpx_tls_conn_established(s->tls)) {
		const char *sni = dpx_tls_conn_sni(s->tls);

		snprintf(r.tls_version, sizeof(r.tls_version), "%s",
			 dpx_tls_conn_version(s->tls));
		snprintf(r.tls_cipher, sizeof(r.tls_cipher), "%s",
			 dpx_tls_conn_cipher(s->tls));
		snprintf(r.tls_sni, sizeof(r.tls_sni), "%s",
			 sni != NULL ? sni : "-");
	}
	if (rte_ring_sp_enqueue_elem(pw->sh->logs[w->index], &r,
				     sizeof(r)) != 0)
		pw->stats.events_dropped++;
}

/*
 * A session without a client, for a request the proxy makes on its own
 * (the cache's background refresh): from's listener, route, pool and
 * balancing key; it ends after one exchange, on the paths every session
 * ends by (server gone, timeouts). NULL when the pool is empty.
 */
struct px_session *
px_session_new_detached(struct dpx_worker *w, const struct px_session *from)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_session *s;
	void *obj;

	if (rte_mempool_get(pw->sessions, &obj) != 0) {
		pw->stats.no_memory++;
		return NULL;
	}
	s = obj;
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->ls = from->ls;
	s->li = from->li;
	s->http = true;
	s->caddr = from->caddr;
	s->cport = from->cport;
	s->pool = from->pool;
	s->route = from->route;
	s->hash = from->hash;
	s->req_idempotent = true;
	s->close_after = true;
	s->req_state = REQ_DONE;
	s->rsp_state = RSP_HEAD;
	s->t_start = dpx_tcp_now_ms(w);
	dpx_timer_init(&s->timer, px_session_timeout, s);
	pw->stats.sessions_active++;
	return s;
}

/*
 * Picks a server and connects (or reuses a kept-alive connection).
 * Returns 0 when connected, connecting or queued, -ENOENT when no server
 * can take the session.
 */
int
px_connect_server(struct dpx_worker *w, struct px_session *s)
{
	const struct dpx_pool_conf *p = &w->cfg->pools[s->pool];
	struct dpx_proxy_worker *pw = px_w(w);

	for (unsigned int i = 0; i <= p->n_servers; i++) {
		bool all_full, reused;
		int idx = px_pick_server(w, s, s->hash, &all_full), err = 0;

		if (idx < 0) {
			if (all_full &&
			    pw->pools[s->pool].n_queued <
			    pw->pools[s->pool].queue_max) {
				px_queue_add(w, s);
				return 0;
			}
			pw->stats.no_server++;
			return -ENOENT;
		}
		s->server = idx;
		s->tried |= UINT64_C(1) << idx;
		s->attempts++;
		pw->srv_stats[s->pool][idx].requests++;
		s->srv = px_srv_get(w, s, &reused, &err);
		if (s->srv == NULL) {
			pw->stats.server_connect_failed++;
			continue;
		}
		s->reused = reused;
		px_session_arm(w, s, reused ? p->response_timeout_ms :
					      p->connect_timeout_ms);
		return 0;   /* a reused one is ready: the caller goes on */
	}
	pw->stats.no_server++;
	return -ENOENT;
}

/* Moves q into stage while stage has room; returns the bytes moved. */
static uint32_t
px_tunnel_stage(struct px_chain *q, struct px_chain *stage, uint64_t *count)
{
	uint32_t n = q->len;

	if (stage->len >= PX_STAGE_MAX || n == 0)
		return 0;
	px_chain_move(q, stage);
	*count += n;
	return n;
}

/* Both directions of a spliced session; FIN follows the last byte. The
 * window of a side opens only for the bytes staged from it. */
void
px_tunnel_run(struct dpx_worker *w, struct px_session *s)
{
	struct px_srv *c = s->srv;
	bool srv_up = c != NULL && c->connected && c->tcb != NULL;
	uint32_t n;

	if (srv_up) {
		n = px_tunnel_stage(&s->cin, &s->to_srv, &s->bytes_in);
		if (n > 0)
			px_cli_recv_done(w, s, n);
		px_srv_flush(w, s);
	}
	if (c != NULL) {
		n = px_tunnel_stage(&c->in, &s->to_cli, &s->bytes_out);
		if (n > 0)
			px_srv_recv_done(w, c, n);
	}
	px_cli_flush(w, s);
	if (srv_up && s->cli_peer_closed && !s->srv_fin_sent &&
	    s->cin.len == 0 && s->to_srv.len == 0 && px_srv_pending(c) == 0) {
		s->srv_fin_sent = true;
		px_srv_close(w, c);
	}
	if (s->cli != NULL && !s->cli_fin_sent && px_cli_pending(s) == 0 &&
	    (c == NULL ? s->srv_fin_sent || s->rsp_state == RSP_TUNNEL :
	     c->peer_closed && c->in.len == 0)) {
		s->cli_fin_sent = true;
		px_cli_close(w, s);
	}
	if (s->cli_fin_sent && s->srv_fin_sent && s->cli == NULL &&
	    s->srv == NULL) {
		px_session_free(w, s);
		return;
	}
	/* tcp: client_timeout_ms is the idle bound of a splice; an HTTP
	 * upgrade waits like a kept-alive connection. */
	px_session_arm(w, s, s->fwd_tunnel ? s->fwd->tunnel_idle_timeout_ms :
			     s->http ? s->ls->idle_timeout_ms :
				       s->ls->client_timeout_ms);
}

static void
px_session_timeout(struct dpx_timer *t, void *arg)
{
	struct px_session *s = arg;
	struct dpx_worker *w = s->w;

	(void)t;
	if (s->draining) {
		px_session_end(w, s, true);
		return;
	}
	if (s->tls != NULL && !dpx_tls_conn_established(s->tls)) {
		px_w(w)->tls_stats.handshake_timeouts++;
		px_session_end(w, s, true);
		return;
	}
	if (s->queued) {
		px_queue_del(w, s);
		px_w(w)->stats.queue_timeouts++;
		px_on_queue_timeout(w, s);
		return;
	}
	if (s->http) {
		px_http_timeout(w, s);
		return;
	}
	/* tcp: connect timeout (the server is at fault) or idle. */
	if (s->srv != NULL && !s->srv->connected) {
		px_server_event(w, s->pool, s->server, PX_EV_PASSIVE_FAIL);
		px_srv_abort(w, s->srv);
		px_on_server_gone(w, s, -ETIMEDOUT, false);
		return;
	}
	px_w(w)->stats.timeouts_client++;
	px_session_end(w, s, true);
}

/* Mode dispatch for events of the server connection. */
void
px_on_server_ready(struct dpx_worker *w, struct px_session *s)
{
	if (s->fwd_connect && !s->fwd_tunnel) {
		px_fwd_tunnel_open(w, s);
		return;
	}
	if (s->http) {
		px_http_client_run(w, s);
		return;
	}
	px_server_event(w, s->pool, s->server, PX_EV_PASSIVE_OK);
	px_tunnel_run(w, s);
}

/* Moves what the client sent towards the server: after client data or
 * FIN, and when the server connection takes more. */
void
px_run_request_mode(struct dpx_worker *w, struct px_session *s)
{
	if (s->http && s->req_state != REQ_TUNNEL)
		px_http_client_run(w, s);
	else
		px_tunnel_run(w, s);
}

void
px_run_request(struct dpx_worker *w, struct px_session *s)
{
	if (s->tls != NULL)
		px_tls_run(w, s);
	else if (!s->sni_wait ||
		 (px_sni_route(w, s) && !s->sni_wait))
		px_run_request_mode(w, s);
}

/* Moves what the server sent towards the client: after server data or
 * FIN, and when the client connection takes more. */
void
px_run_response(struct dpx_worker *w, struct px_session *s)
{
	if (!px_cli_ready(s)) {
		/* Handshake records may be on their way; no mode runs yet. */
		px_cli_flush(w, s);
		return;
	}
	if (s->http && s->rsp_state != RSP_TUNNEL)
		px_http_server_run(w, s);
	else
		px_tunnel_run(w, s);
}

/* tcp: try another server while connects fail; then give up. */
static void
px_tcp_server_gone(struct dpx_worker *w, struct px_session *s, int err,
		   bool connected)
{
	const struct dpx_pool_conf *p = &w->cfg->pools[s->pool];

	if (connected) {
		if (err != 0) {
			px_session_end(w, s, true);
			return;
		}
		/* Orderly: both directions of the server side are done. */
		s->srv_fin_sent = true;
		px_tunnel_run(w, s);
		return;
	}
	if (err != -EHOSTUNREACH) {
		px_w(w)->stats.server_connect_failed++;
		if (err != -ETIMEDOUT)  /* the timer reported it already */
			px_server_event(w, s->pool, s->server,
					PX_EV_PASSIVE_FAIL);
		px_w(w)->srv_stats[s->pool][s->server].failures++;
	}
	if (s->attempts <= p->retries && s->cli != NULL) {
		px_w(w)->stats.retries++;
		if (px_connect_server(w, s) == 0)
			return;
	}
	px_session_end(w, s, true);
}

/* The session's server connection is gone (closed, failed, timed out,
 * or none could be had: -EHOSTUNREACH); s->srv is already detached. */
void
px_on_server_gone(struct dpx_worker *w, struct px_session *s, int err,
		  bool connected)
{
	/* A CONNECT tunnel ends as a tcp splice does: the origin's FIN
	 * closes one direction only. */
	if (s->http && !s->fwd_tunnel)
		px_http_server_gone(w, s, err, connected);
	else
		px_tcp_server_gone(w, s, err, connected);
}

void
px_on_queue_timeout(struct dpx_worker *w, struct px_session *s)
{
	if (s->http)
		px_http_error(w, s, 503);
	else
		px_session_end(w, s, true);
}

static void
px_reject(struct dpx_worker *w, struct dpx_tcb *c, bool http, bool tls)
{
	char buf[256];
	int n;

	px_w(w)->stats.limit_rejected++;
	if (!http || tls) {   /* no TLS session to say 503 in */
		dpx_tcp_abort(w, c);
		return;
	}
	n = dpx_http_write_error(buf, sizeof(buf), 503, true);
	if (n > 0) {
		struct px_chain q = { NULL, NULL, 0 };

		if (px_chain_add_bytes(dpx_tcp_pool(w), &q, buf,
				       (uint32_t)n) == 0)
			px_chain_flush(w, &q, c);
		px_chain_free(&q);
	}
	dpx_tcp_close(w, c);
}

static void
px_cli_accepted(struct dpx_worker *w, struct dpx_tcb *c, void *arg)
{
	struct dpx_proxy_worker *pw = px_w(w);
	unsigned int li = (unsigned int)(uintptr_t)arg;
	const struct dpx_listener_conf *ls = &w->cfg->listeners[li];
	bool http = ls->mode == DPX_LISTEN_HTTP ||
		    ls->mode == DPX_LISTEN_FORWARD;
	bool limited = ls->max_connections || ls->max_connections_per_ip;
	struct px_session *s;
	uint32_t caddr, slot = 0;
	uint16_t cport;
	void *obj;

	dpx_tcp_endpoints(c, &caddr, &cport, NULL, NULL);
	if (limited) {
		slot = px_ip_slot(li, caddr);
		if (!px_limits_take(pw->sh, ls, li, slot)) {
			px_reject(w, c, http, pw->tls[li] != NULL);
			return;
		}
	}
	if (rte_mempool_get(pw->sessions, &obj) != 0) {
		pw->stats.no_memory++;
		if (limited)
			px_limits_give(pw->sh, li, slot);
		dpx_tcp_abort(w, c);
		return;
	}
	s = obj;
	memset(s, 0, sizeof(*s));
	if (ls->forward != NULL) {
		if (rte_mempool_get(pw->fwd_hosts, &obj) != 0) {
			rte_mempool_put(pw->sessions, s);
			pw->stats.no_memory++;
			if (limited)
				px_limits_give(pw->sh, li, slot);
			dpx_tcp_abort(w, c);
			return;
		}
		s->fwd_host = ((struct px_fwd_names *)obj)->host;
		s->fwd_host[0] = '\0';
		s->user = ((struct px_fwd_names *)obj)->user;
		s->user_index = -1;
		px_acl_rule_clear(s);
	}
	s->w = w;
	s->ls = ls;
	s->li = (uint8_t)li;
	s->http = http;
	s->fwd = ls->forward;
	s->cli = c;
	s->caddr = caddr;
	s->cport = cport;
	s->pool = -1;
	s->counted = limited;
	s->ip_slot = (uint16_t)slot;
	s->t_start = dpx_tcp_now_ms(w);
	dpx_timer_init(&s->timer, px_session_timeout, s);
	dpx_tcp_set_user(c, s);
	pw->stats.sessions++;
	pw->stats.sessions_active++;
	if (pw->tls[li] != NULL) {
		/* A reload posted since this pass began applies already. */
		px_tls_adopt(pw);
		s->tls = dpx_tls_conn_new(pw->tls[li], dpx_tcp_pool(w));
		if (s->tls == NULL) {
			px_session_end(w, s, true);
			return;
		}
		s->pool = http ? -1 : ls->pool;
		if (!http) {
			s->req_state = REQ_TUNNEL;
			s->rsp_state = RSP_TUNNEL;
			s->hash = dpx_lb_hash(&caddr, sizeof(caddr));
		}
		px_session_arm(w, s, ((const struct dpx_tls_conf *)ls->tls)->
				     handshake_timeout_ms);
		return;
	}
	if (http) {
		px_session_arm(w, s, ls->client_timeout_ms);
		return;
	}
	s->pool = ls->pool;
	s->req_state = REQ_TUNNEL;
	s->rsp_state = RSP_TUNNEL;
	s->hash = dpx_lb_hash(&caddr, sizeof(caddr));
	if (ls->n_sni_routes > 0) {
		/* The server depends on the ClientHello: wait for it. */
		s->sni_wait = true;
		s->pool = -1;
		px_session_arm(w, s, ls->client_timeout_ms);
		return;
	}
	if (px_connect_server(w, s) != 0)
		px_session_end(w, s, true);
}

static void
px_cli_data(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	struct px_session *s = dpx_tcp_user(c);

	if (s == NULL || (s->tls != NULL && s->draining)) {
		dpx_tcp_recv_done(w, c, m->pkt_len);
		rte_pktmbuf_free(m);
		return;
	}
	if (s->tls != NULL) {
		dpx_tls_conn_input(s->tls, m);
		px_run_request(w, s);
		return;
	}
	px_chain_add(&s->cin, m);
	if (s->draining) {
		/* Ending: what the client still sends is discarded. */
		dpx_tcp_recv_done(w, c, s->cin.len);
		px_chain_free(&s->cin);
		return;
	}
	px_run_request(w, s);
}

static void
px_cli_sendable(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct px_session *s = dpx_tcp_user(c);

	if (s == NULL)
		return;
	if (s->draining) {
		px_cli_flush(w, s);
		if (px_cli_pending(s) == 0) {
			s->draining = false;
			px_session_end(w, s, false);
		}
		return;
	}
	px_run_response(w, s);
}

static void
px_cli_peer_closed(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct px_session *s = dpx_tcp_user(c);

	if (s == NULL) {
		dpx_tcp_close(w, c);
		return;
	}
	s->cli_peer_closed = true;
	if (s->draining)
		return;
	px_run_request(w, s);
}

static void
px_cli_closed(struct dpx_worker *w, struct dpx_tcb *c, int err)
{
	struct px_session *s = dpx_tcp_user(c);

	if (s == NULL)
		return;
	s->cli = NULL;
	s->cli_fin_sent = true;
	if (err != 0 || s->http || s->draining) {
		if (s->http && s->status != 0 && !s->draining &&
		    !s->fwd_tunnel)
			px_session_log(w, s);
		px_session_end(w, s, err != 0);
		return;
	}
	/* tcp: the client side finished in order; let the server side
	 * drain what is staged for it, then the session goes. */
	if (s->srv != NULL && (s->to_srv.len > 0 || s->cin.len > 0 ||
			       !s->srv_fin_sent)) {
		px_tunnel_run(w, s);
		return;
	}
	if (s->srv != NULL)
		px_srv_release(w, s, false);
	px_session_free(w, s);
}

const struct dpx_tcp_callbacks px_cli_cb = {
	.accepted = px_cli_accepted,
	.data = px_cli_data,
	.sendable = px_cli_sendable,
	.peer_closed = px_cli_peer_closed,
	.closed = px_cli_closed,
};
