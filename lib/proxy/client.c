/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of a session, plain or TLS. The HTTP and tcp modes see
 * one interface: plaintext arrives in s->cin, what they stage in s->to_cli
 * goes out through px_cli_flush(), consumed input is reported with
 * px_cli_recv_done(). On a TLS listener the bytes in between are records:
 *
 *   TCP data -> dpx_tls_conn_input -> px_tls_run: handshake, decrypt up to
 *   PX_STAGE_MAX into cin -> the mode's request step;
 *   to_cli -> dpx_tls_conn_write -> records in tls_out -> TCP.
 *
 * The TCP window is opened for ciphertext as OpenSSL consumes it, and
 * OpenSSL reads only while cin has room, so a client that sends faster
 * than the server takes is slowed by its window, as on plain listeners.
 * Plaintext the mode consumes puts the session on the worker's tls_kick
 * list (whatever path consumed it), and dpx_proxy_worker_run() reads on
 * for it later in the same pass.
 *
 * tcp listeners with sni_routes hold the client's first bytes until the
 * ClientHello's server name picks the pool (px_sni_route()).
 */
#include <string.h>

#include "proxy_priv.h"

uint32_t
px_cli_pending(const struct px_session *s)
{
	return s->to_cli.len + s->tls_out.len;
}

bool
px_cli_ready(const struct px_session *s)
{
	return !s->sni_wait &&
	       (s->tls == NULL || dpx_tls_conn_established(s->tls));
}

/* Records OpenSSL wrote (handshake, data, alerts) towards the client. */
static void
px_tls_take_output(struct px_session *s)
{
	uint32_t len;
	struct rte_mbuf *m = dpx_tls_conn_output(s->tls, &len);

	px_chain_add(&s->tls_out, m);
}

static void
px_tls_kick(struct dpx_worker *w, struct px_session *s)
{
	if (!s->tls_kicked) {
		s->tls_kicked = true;
		TAILQ_INSERT_TAIL(&px_w(w)->tls_kick, s, klink);
	}
}

void
px_cli_flush(struct dpx_worker *w, struct px_session *s)
{
	if (s->cache_bg) {
		/* No client: the response went to the store only. */
		px_chain_free(&s->to_cli);
		return;
	}
	if (s->tls == NULL) {
		if (s->cli != NULL)
			px_chain_flush(w, &s->to_cli, s->cli);
		return;
	}
	/* Less than a record staged: the rest of this pass's packets may
	 * bring more for the same record, so it is encrypted when the pass
	 * serves tls_kick (before TCP output: no added latency). */
	if (s->to_cli.len > 0 && s->to_cli.len < PX_TLS_RECORD &&
	    !px_w(w)->tls_direct && dpx_tls_conn_established(s->tls)) {
		s->tls_flush_due = true;
		px_tls_kick(w, s);
		if (s->cli != NULL)
			px_chain_flush(w, &s->tls_out, s->cli);
		return;
	}
	while (s->to_cli.len > 0 && s->tls_out.len < PX_STAGE_MAX &&
	       dpx_tls_conn_established(s->tls)) {
		if (px_tls_write_some(w, s->tls, &s->to_cli) != 0) {
			px_chain_free(&s->to_cli);
			break;
		}
		px_tls_take_output(s);
	}
	px_tls_take_output(s);
	if (s->cli != NULL)
		px_chain_flush(w, &s->tls_out, s->cli);
}

void
px_cli_recv_done(struct dpx_worker *w, struct px_session *s, uint32_t n)
{
	if (s->tls == NULL) {
		if (s->cli != NULL)
			dpx_tcp_recv_done(w, s->cli, n);
		return;
	}
	(void)n;
	px_tls_kick(w, s);
}

void
px_tls_unkick(struct dpx_worker *w, struct px_session *s)
{
	if (s->tls_kicked) {
		s->tls_kicked = false;
		TAILQ_REMOVE(&px_w(w)->tls_kick, s, klink);
	}
}

/*
 * What is staged goes out in records of up to 16 KB: one record per
 * segment-sized mbuf would pay the record's header, tag and OpenSSL's
 * per-write costs (a buffer allocated and freed with
 * SSL_MODE_RELEASE_BUFFERS) ten times over. Only bytes already staged
 * are gathered, so nothing waits for more. A lone mbuf is encrypted in
 * place, without the copy.
 */
int
px_tls_write_some(struct dpx_worker *w, struct dpx_tls_conn *t,
		  struct px_chain *q)
{
	uint8_t *buf = px_w(w)->tls_rec;
	struct rte_mbuf *m = q->head;
	uint32_t n = 0;
	int rc;

	if (m->next == NULL ||
	    (uint32_t)m->data_len + m->next->data_len > PX_TLS_RECORD) {
		m = px_chain_pop(q);
		rc = dpx_tls_conn_write(t, rte_pktmbuf_mtod(m, void *),
					m->data_len);
		rte_pktmbuf_free_seg(m);
		return rc;
	}
	while (q->head != NULL &&
	       n + q->head->data_len <= PX_TLS_RECORD) {
		m = px_chain_pop(q);
		memcpy(buf + n, rte_pktmbuf_mtod(m, void *), m->data_len);
		n += m->data_len;
		rte_pktmbuf_free_seg(m);
	}
	return dpx_tls_conn_write(t, buf, n);
}

/* close_notify, then FIN after it. */
void
px_cli_close(struct dpx_worker *w, struct px_session *s)
{
	if (s->tls != NULL) {
		dpx_tls_conn_shutdown(s->tls);
		px_cli_flush(w, s);
	}
	dpx_tcp_close(w, s->cli);
}

/* A fatal TLS error: the alert goes out, nothing else, then FIN. */
static void
px_tls_failed(struct dpx_worker *w, struct px_session *s)
{
	px_chain_free(&s->to_cli);
	px_cli_flush(w, s);
	px_session_end(w, s, false);
}

/* The handshake just completed. Returns false when the session ended. */
static bool
px_tls_established(struct dpx_worker *w, struct px_session *s)
{
	px_session_arm(w, s, s->ls->client_timeout_ms);
	if (s->http || s->srv != NULL)
		return true;
	/* tcp: the server is connected once the client proved itself. */
	if (px_connect_server(w, s) != 0) {
		px_session_end(w, s, true);
		return false;
	}
	return true;
}

/* One step: decrypt what fits; -1 when the session ended (or drains),
 * 1 when the mode has something new to look at, 0 when not. */
static int
px_tls_step(struct dpx_worker *w, struct px_session *s)
{
	bool was_up = dpx_tls_conn_established(s->tls);
	uint32_t before = s->cin.len, n;
	uint32_t room = s->cin.len < PX_STAGE_MAX ? PX_STAGE_MAX - s->cin.len : 0;
	enum dpx_tls_status st;

	st = dpx_tls_conn_read(s->tls, room, &s->cin.head, &s->cin.tail,
			       &s->cin.len);
	n = dpx_tls_conn_consumed(s->tls);
	if (n > 0 && s->cli != NULL)
		dpx_tcp_recv_done(w, s->cli, n);
	px_cli_flush(w, s);
	if (st == DPX_TLS_ERROR) {
		px_tls_failed(w, s);
		return -1;
	}
	if (!dpx_tls_conn_established(s->tls)) {
		if (!s->cli_peer_closed)
			return 0;
		/* FIN inside the handshake: the client gave up. */
		px_w(w)->tls_stats.handshake_failed++;
		px_session_end(w, s, false);
		return -1;
	}
	if (!was_up && !px_tls_established(w, s))
		return -1;
	if (st == DPX_TLS_CLOSED && !s->cli_peer_closed) {
		s->cli_peer_closed = true;
		return 1;
	}
	return s->cin.len != before || !was_up;
}

void
px_tls_run(struct dpx_worker *w, struct px_session *s)
{
	int rc = px_tls_step(w, s);

	/* Established: the mode runs even without new plaintext, since the
	 * caller may be the server side taking more of what is staged. */
	if (rc > 0 || (rc == 0 && dpx_tls_conn_established(s->tls)))
		px_run_request_mode(w, s);  /* may end s */
}

/* Sessions whose plaintext was consumed read on; each gets a few rounds
 * per pass so that one fast client cannot hold the worker. */
bool
px_tls_kicks_run(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	unsigned int budget = 256;
	struct px_session *s;

	pw->tls_direct = true;
	while (budget-- > 0 && (s = TAILQ_FIRST(&pw->tls_kick)) != NULL) {
		px_tls_unkick(w, s);
		if (s->tls_flush_due) {
			s->tls_flush_due = false;
			px_cli_flush(w, s);
		}
		px_tls_run(w, s);
	}
	pw->tls_direct = false;
	return !TAILQ_EMPTY(&pw->tls_kick);
}

/* ---------------------------------------------------------------------- */
/* Routing by SNI without termination                                       */

static int
px_sni_pool(const struct dpx_listener_conf *ls, const char *sni)
{
	int wild = -1;

	for (unsigned int i = 0; i < ls->n_sni_routes; i++) {
		const struct dpx_sni_route *r = &ls->sni_routes[i];

		if (strcmp(r->name, sni) == 0)
			return (int)r->pool;
		if (wild < 0 && dpx_tls_name_matches(r->name, sni))
			wild = (int)r->pool;
	}
	return wild;
}

/*
 * The ClientHello's SNI picks the pool; its bytes stay in cin and go to
 * the server unchanged once connected. The hello is looked at again only
 * when as many bytes as it said it needs are in, so a hello in 1-byte
 * segments costs one parse per record, not per byte.
 */
bool
px_sni_route(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_tls_hello h;
	uint32_t n = RTE_MIN(s->cin.len, (uint32_t)DPX_TLS_HELLO_MAX);
	size_t need;
	int rc, pool;

	if (s->cin.len < s->sni_need && !s->cli_peer_closed)
		return true;
	px_chain_copy(&s->cin, 0, n, (char *)pw->hello);
	rc = dpx_tls_hello_parse(pw->hello, n, DPX_TLS_HELLO_MAX, &h, &need);
	if (rc == 0 && !s->cli_peer_closed) {
		s->sni_need = (uint32_t)need;
		return true;
	}
	if (rc != 1) {
		pw->stats.sni_bad_hello++;
		px_session_end(w, s, true);
		return false;
	}
	pool = h.has_sni ? px_sni_pool(s->ls, h.sni) : -1;
	if (pool >= 0) {
		pw->stats.sni_routed++;
	} else if (s->ls->pool >= 0) {
		pw->stats.sni_default++;
		pool = s->ls->pool;
	} else {
		pw->stats.sni_no_route++;
		px_session_end(w, s, true);
		return false;
	}
	s->sni_wait = false;
	s->pool = pool;
	if (px_connect_server(w, s) != 0) {
		px_session_end(w, s, true);
		return false;
	}
	return true;
}
