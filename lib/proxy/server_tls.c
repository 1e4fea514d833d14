/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server side of a session, plain or TLS. Modes see one interface,
 * as on the client side (client.c): plaintext from the server arrives in
 * c->in, what they stage in s->to_srv goes out with px_srv_flush(), and
 * consumed input is reported with px_srv_recv_done(). For a pool with
 * "tls" the bytes in between are records:
 *
 *   TCP connected -> handshake (c->tcp_up) -> c->connected: the mode
 *   starts as it would on a plain connect;
 *   TCP data -> dpx_tls_conn_input -> px_srv_tls_run: decrypt up to
 *   PX_STAGE_MAX into c->in -> the mode's response step;
 *   s->to_srv -> dpx_tls_conn_write -> c->tls_out -> TCP.
 *
 * A handshake that fails (the certificate does not verify, the server
 * speaks no TLS) is a failed connect: the request may go to another
 * server, else the client gets a 502. The server's FIN is seen by the
 * mode (c->peer_closed) only once every record before it is read.
 */
#include <errno.h>

#include "proxy_priv.h"

/* The pool sends the client's SNI: connections are kept per SNI. */
uint64_t
px_srv_sni_for(const struct dpx_worker *w, const struct px_session *s)
{
	const struct dpx_tls_client_conf *cc = w->cfg->pools[s->pool].tls;

	if (cc == NULL || !cc->sni_from_client || s->tls == NULL)
		return 0;
	return dpx_tls_sni_hash(dpx_tls_conn_sni(s->tls));
}

int
px_srv_tls_open(struct dpx_worker *w, struct px_srv *c, struct px_session *s)
{
	struct dpx_tls_client *cli = px_w(w)->tls_cli[c->pool];

	if (cli == NULL)
		return 0;
	c->tls = dpx_tls_conn_connect(cli, dpx_tcp_pool(w), c->server,
				      s->tls != NULL ?
				      dpx_tls_conn_sni(s->tls) : NULL);
	if (c->tls == NULL)
		return -ENOMEM;
	c->sni_hash = px_srv_sni_for(w, s);
	return 0;
}

/* Records OpenSSL wrote go towards the server. */
static int
px_srv_out(struct dpx_worker *w, struct px_srv *c)
{
	uint32_t len;

	px_chain_add(&c->tls_out, dpx_tls_conn_output(c->tls, &len));
	if (c->tcb == NULL)
		return 0;
	return px_chain_flush(w, &c->tls_out, c->tcb);
}

int
px_srv_flush(struct dpx_worker *w, struct px_session *s)
{
	struct px_srv *c = s->srv;

	if (c->tls == NULL)
		return px_chain_flush(w, &s->to_srv, c->tcb);
	while (s->to_srv.len > 0 && c->tls_out.len < PX_STAGE_MAX) {
		uint32_t len;

		if (px_tls_write_some(w, c->tls, &s->to_srv) != 0)
			return -1;
		px_chain_add(&c->tls_out, dpx_tls_conn_output(c->tls, &len));
	}
	return px_srv_out(w, c);
}

uint32_t
px_srv_pending(const struct px_srv *c)
{
	return c->tls_out.len;
}

void
px_srv_recv_done(struct dpx_worker *w, struct px_srv *c, uint32_t n)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (c->tls == NULL) {
		if (c->tcb != NULL)
			dpx_tcp_recv_done(w, c->tcb, n);
		return;
	}
	if (!c->tls_kicked) {
		c->tls_kicked = true;
		TAILQ_INSERT_TAIL(&pw->srv_kick, c, klink);
	}
}

void
px_srv_unkick(struct dpx_worker *w, struct px_srv *c)
{
	if (c->tls_kicked) {
		c->tls_kicked = false;
		TAILQ_REMOVE(&px_w(w)->srv_kick, c, klink);
	}
}

/* close_notify, then FIN after it. */
void
px_srv_close(struct dpx_worker *w, struct px_srv *c)
{
	if (c->tls != NULL) {
		dpx_tls_conn_shutdown(c->tls);
		px_srv_out(w, c);
	}
	dpx_tcp_close(w, c->tcb);
}

/* Why a handshake failed, at most once a second per worker: a server
 * with a bad certificate under load must not flood the log. */
static void
px_srv_tls_warn(struct dpx_worker *w, struct px_srv *c)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_pool_conf *p = &w->cfg->pools[c->pool];
	const char *why = dpx_tls_conn_verify_error(c->tls);
	uint64_t now = dpx_tcp_now_ms(w);

	if (now < pw->tls_warn_ms)
		return;
	pw->tls_warn_ms = now + 1000;
	DPX_WARN("pool %s, server %s: TLS handshake failed: %s", p->name,
		 p->servers[c->server].name,
		 why != NULL ? why : c->fin_in ? "closed by the server" :
		 "protocol error");
}

/*
 * The handshake failed, or a record did, or the server closed during the
 * handshake. The alert is on its way; the session (if any) hears of a
 * failed connect, or of a server gone mid-exchange.
 */
static void
px_srv_tls_failed(struct dpx_worker *w, struct px_srv *c)
{
	struct px_session *s = c->s;
	bool connected = c->connected;

	if (!connected)
		px_srv_tls_warn(w, c);
	if (s == NULL) {
		px_srv_abort(w, c);
		return;
	}
	c->connected = false;       /* never back to the idle pool */
	px_srv_release(w, s, false);
	px_on_server_gone(w, s, -EPROTO, connected);
}

/* Every record before the server's FIN (or its close_notify) is read. */
static bool
px_srv_tls_drained(const struct px_srv *c, enum dpx_tls_status st)
{
	return st == DPX_TLS_CLOSED ||
	       (c->fin_in && !dpx_tls_conn_has_input(c->tls));
}

void
px_srv_tls_run(struct dpx_worker *w, struct px_srv *c)
{
	bool was_up = dpx_tls_conn_established(c->tls);
	uint32_t before = c->in.len, room = PX_STAGE_MAX, n;
	bool was_closed = c->peer_closed;
	enum dpx_tls_status st;

	/* An idle connection reads all there is: plaintext there is out of
	 * turn, anything else (TLS 1.3 tickets) is welcome. */
	if (c->s != NULL)
		room = c->in.len < PX_STAGE_MAX ? PX_STAGE_MAX - c->in.len : 0;
	st = dpx_tls_conn_read(c->tls, room, &c->in.head, &c->in.tail,
			       &c->in.len);
	n = dpx_tls_conn_consumed(c->tls);
	if (n > 0 && c->tcb != NULL)
		dpx_tcp_recv_done(w, c->tcb, n);
	px_srv_out(w, c);
	if (st != DPX_TLS_ERROR && !dpx_tls_conn_established(c->tls) &&
	    c->fin_in) {
		px_w(w)->tls_origin_stats.handshake_failed++;
		st = DPX_TLS_ERROR;
	}
	if (st == DPX_TLS_ERROR) {
		px_srv_tls_failed(w, c);
		return;
	}
	if (!dpx_tls_conn_established(c->tls))
		return;
	if (px_srv_tls_drained(c, st))
		c->peer_closed = true;
	if (!was_up) {
		c->connected = true;
		if (c->s != NULL)
			px_on_server_ready(w, c->s);  /* may free c */
		else
			px_srv_close(w, c);
		return;
	}
	if (c->s == NULL) {         /* idle: out of turn, or closed */
		if (c->in.len > 0 || c->peer_closed)
			px_srv_abort(w, c);
		return;
	}
	if (c->in.len != before || c->peer_closed != was_closed)
		px_run_response(w, c->s);
}

/* Connections whose plaintext was consumed read on; a few per pass. */
bool
px_srv_kicks_run(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	unsigned int budget = 256;
	struct px_srv *c;

	while (budget-- > 0 && (c = TAILQ_FIRST(&pw->srv_kick)) != NULL) {
		px_srv_unkick(w, c);
		px_srv_tls_run(w, c);
	}
	return !TAILQ_EMPTY(&pw->srv_kick);
}
