/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health probes. Only workers own TCP connections, so each server
 * with checks is probed by one worker (spread by index); results go to
 * the control plane as events, which runs rise/fall and publishes the
 * outcome to every worker. Probes are ordinary connections on the
 * worker's stack: traffic is never paused for them. A pool with "tls"
 * is probed over TLS with its own settings: a "tcp" check passes once
 * the handshake (and so the certificate check) succeeds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "proxy_priv.h"

static void px_probe_done(struct px_probe *pr, bool pass);

static const struct dpx_health_conf *
px_probe_conf(const struct px_probe *pr)
{
	return &pr->w->cfg->pools[pr->pool].health;
}

static void
px_probe_fire(struct dpx_timer *t, void *arg);

/* Records OpenSSL wrote; false when TCP could not take them all. */
static bool
px_probe_tls_out(struct px_probe *pr)
{
	struct px_chain q = { NULL, NULL, 0 };
	uint32_t len;

	px_chain_add(&q, dpx_tls_conn_output(pr->tls, &len));
	if (pr->tcb != NULL)
		px_chain_flush(pr->w, &q, pr->tcb);
	len = q.len;
	px_chain_free(&q);
	return len == 0;
}

static void
px_probe_release(struct px_probe *pr, bool abort)
{
	if (pr->tls != NULL) {
		if (!abort) {
			dpx_tls_conn_shutdown(pr->tls);
			px_probe_tls_out(pr);
		}
		dpx_tls_conn_free(pr->tls);
		pr->tls = NULL;
	}
	if (pr->tcb == NULL)
		return;
	dpx_tcp_set_user(pr->tcb, NULL);
	if (abort)
		dpx_tcp_abort(pr->w, pr->tcb);
	else
		dpx_tcp_close(pr->w, pr->tcb);
	pr->tcb = NULL;
}

static void
px_probe_done(struct px_probe *pr, bool pass)
{
	struct dpx_worker *w = pr->w;
	const struct dpx_health_conf *hc = px_probe_conf(pr);

	if (!pr->busy)
		return;
	pr->busy = false;
	px_probe_release(pr, !pass);
	if (!pass)
		px_w(w)->stats.probes_failed++;
	px_server_event(w, pr->pool, pr->server,
			pass ? PX_EV_PROBE_PASS : PX_EV_PROBE_FAIL);
	dpx_timer_arm(dpx_tcp_wheel(w), &pr->timer,
		      dpx_tcp_now_ms(w) + hc->interval_ms);
}

/* Judges an HTTP probe's response; -1 while undecided. */
static int
px_probe_judge(struct px_probe *pr, bool final)
{
	const struct dpx_health_conf *hc = px_probe_conf(pr);
	struct dpx_http_response *rsp = &px_w(pr->w)->rsp;
	int rc = dpx_http_parse_response_more(&pr->hp, pr->buf, pr->len, NULL,
					      false, rsp);
	bool status_ok;
	size_t need = strlen(hc->expect_body);

	if (rc < 0)
		return 0;
	if (rc == 0)
		return final ? 0 : -1;
	status_ok = hc->expect_status ? rsp->status == hc->expect_status :
		    rsp->status >= 200 && rsp->status < 400;
	if (!status_ok)
		return 0;
	if (need == 0)
		return 1;
	if (memmem(pr->buf + rsp->head_len, pr->len - rsp->head_len,
		   hc->expect_body, need) != NULL)
		return 1;
	return final ? 0 : -1;
}

#define PX_PROBE_REQ (DPX_PATH_LEN + DPX_HOST_LEN + 128)

/* The HTTP probe's request; its length, or -1. */
static int
px_probe_request(const struct px_probe *pr, char *req)
{
	const struct dpx_health_conf *hc = px_probe_conf(pr);
	const struct dpx_server_conf *sc =
		&pr->w->cfg->pools[pr->pool].servers[pr->server];
	char host[32], addr[16];
	int n;

	if (hc->host[0] == '\0')
		snprintf(host, sizeof(host), "%s:%u",
			 dpx_ipv4_str(sc->addr, addr, sizeof(addr)), sc->port);
	n = snprintf(req, PX_PROBE_REQ, "GET %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: dpx-health\r\nConnection: close\r\n\r\n",
		     hc->path, hc->host[0] ? hc->host : host);
	return n < 0 || n >= PX_PROBE_REQ ? -1 : n;
}

/* Over TLS: the handshake, then the request, then the response read
 * into buf as plaintext. */
static void
px_probe_tls_run(struct dpx_worker *w, struct px_probe *pr, bool final)
{
	bool was_up = dpx_tls_conn_established(pr->tls);
	struct px_chain q = { NULL, NULL, 0 };
	enum dpx_tls_status st;
	char req[PX_PROBE_REQ];
	uint32_t n;
	int verdict, len;

	st = dpx_tls_conn_read(pr->tls, sizeof(pr->buf) - pr->len, &q.head,
			       &q.tail, &q.len);
	n = dpx_tls_conn_consumed(pr->tls);
	if (n > 0 && pr->tcb != NULL)
		dpx_tcp_recv_done(w, pr->tcb, n);
	pr->len += px_chain_copy(&q, 0, q.len, pr->buf + pr->len);
	px_chain_free(&q);
	if (st == DPX_TLS_ERROR || !px_probe_tls_out(pr) ||
	    (!dpx_tls_conn_established(pr->tls) && final)) {
		px_probe_done(pr, false);
		return;
	}
	if (!dpx_tls_conn_established(pr->tls))
		return;
	if (!was_up) {
		if (px_probe_conf(pr)->type == DPX_HEALTH_TCP) {
			px_probe_done(pr, true);
			return;
		}
		len = px_probe_request(pr, req);
		if (len < 0 ||
		    dpx_tls_conn_write(pr->tls, req, (uint32_t)len) != 0 ||
		    !px_probe_tls_out(pr))
			px_probe_done(pr, false);
		return;
	}
	verdict = px_probe_judge(pr, final || st == DPX_TLS_CLOSED ||
				     pr->len == sizeof(pr->buf));
	if (verdict >= 0)
		px_probe_done(pr, verdict == 1);
}

static void
px_probe_accepted(struct dpx_worker *w, struct dpx_tcb *c, void *arg)
{
	struct px_probe *pr = arg;
	struct dpx_tls_client *cli = px_w(w)->tls_cli[pr->pool];
	char req[PX_PROBE_REQ];
	struct px_chain q = { NULL, NULL, 0 };
	int n;

	(void)c;
	if (cli != NULL) {
		pr->tls = dpx_tls_conn_connect(cli, dpx_tcp_pool(w),
					       pr->server, NULL);
		if (pr->tls == NULL)
			px_probe_done(pr, false);
		else
			px_probe_tls_run(w, pr, false);  /* the ClientHello */
		return;
	}
	if (px_probe_conf(pr)->type == DPX_HEALTH_TCP) {
		px_probe_done(pr, true);
		return;
	}
	n = px_probe_request(pr, req);
	if (n < 0 ||
	    px_chain_add_bytes(dpx_tcp_pool(w), &q, req, (uint32_t)n) != 0 ||
	    px_chain_flush(w, &q, pr->tcb) != 0 || q.len != 0) {
		px_chain_free(&q);
		px_probe_done(pr, false);
	}
}

static void
px_probe_data(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	struct px_probe *pr = dpx_tcp_user(c);
	uint32_t n;
	int verdict;

	if (pr != NULL && pr->tls != NULL) {
		dpx_tls_conn_input(pr->tls, m);
		px_probe_tls_run(w, pr, false);
		return;
	}
	dpx_tcp_recv_done(w, c, m->pkt_len);
	if (pr == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	n = RTE_MIN(m->pkt_len, (uint32_t)sizeof(pr->buf) - pr->len);
	if (n > 0) {
		const void *p = rte_pktmbuf_read(m, 0, n, pr->buf + pr->len);

		if (p != pr->buf + pr->len)
			memcpy(pr->buf + pr->len, p, n);
		pr->len += n;
	}
	rte_pktmbuf_free(m);
	verdict = px_probe_judge(pr, pr->len == sizeof(pr->buf));
	if (verdict >= 0)
		px_probe_done(pr, verdict == 1);
}

static void
px_probe_peer_closed(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct px_probe *pr = dpx_tcp_user(c);

	if (pr == NULL) {
		dpx_tcp_close(w, c);
		return;
	}
	if (pr->tls != NULL) {
		px_probe_tls_run(w, pr, true);
		return;
	}
	px_probe_done(pr, px_probe_judge(pr, true) == 1);
}

static void
px_probe_closed(struct dpx_worker *w, struct dpx_tcb *c, int err)
{
	struct px_probe *pr = dpx_tcp_user(c);

	(void)w;
	(void)err;
	if (pr == NULL)
		return;
	pr->tcb = NULL;
	px_probe_done(pr, false);
}

static const struct dpx_tcp_callbacks px_probe_cb = {
	.accepted = px_probe_accepted,
	.data = px_probe_data,
	.peer_closed = px_probe_peer_closed,
	.closed = px_probe_closed,
};

/* Timer: start a probe, or fail the running one on timeout. */
static void
px_probe_fire(struct dpx_timer *t, void *arg)
{
	struct px_probe *pr = arg;
	struct dpx_worker *w = pr->w;
	const struct dpx_server_conf *sc =
		&w->cfg->pools[pr->pool].servers[pr->server];
	int err = 0;

	(void)t;
	if (pr->busy) {
		px_probe_done(pr, false);
		return;
	}
	px_w(w)->stats.probes++;
	pr->busy = true;
	pr->len = 0;
	dpx_http_parser_init(&pr->hp);
	dpx_timer_arm(dpx_tcp_wheel(w), &pr->timer,
		      dpx_tcp_now_ms(w) + px_probe_conf(pr)->timeout_ms);
	pr->tcb = dpx_tcp_connect(w, 0, sc->addr, sc->port, &px_probe_cb, pr,
				  &err);
	if (pr->tcb == NULL)
		px_probe_done(pr, false);
	else
		dpx_tcp_set_user(pr->tcb, pr);
}

int
px_probes_start(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_config *cfg = w->cfg;
	unsigned int n = 0, k = 0, nw = pw->sh->n_workers;

	for (unsigned int p = 0; p < cfg->n_pools; p++)
		if (cfg->pools[p].health.type != DPX_HEALTH_NONE)
			n += cfg->pools[p].n_servers;
	if (n == 0)
		return 0;
	pw->probes = rte_zmalloc("dpx_probes", sizeof(*pw->probes) * n, 0);
	if (pw->probes == NULL)
		return -ENOMEM;
	for (unsigned int p = 0; p < cfg->n_pools; p++) {
		if (cfg->pools[p].health.type == DPX_HEALTH_NONE)
			continue;
		for (unsigned int s = 0; s < cfg->pools[p].n_servers; s++) {
			struct px_probe *pr;

			if ((p * DPX_MAX_SERVERS + s) % nw != w->index)
				continue;
			pr = &pw->probes[k++];
			pr->w = w;
			pr->pool = (uint8_t)p;
			pr->server = (uint8_t)s;
			dpx_timer_init(&pr->timer, px_probe_fire, pr);
			/* Spread the first probes over 100 ms. */
			dpx_timer_arm(dpx_tcp_wheel(w), &pr->timer,
				      dpx_tcp_now_ms(w) + 10 + (k * 7) % 100);
		}
	}
	return 0;
}

void
px_probes_stop(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);

	/* The TCP worker is gone by now: its connections and timers with
	 * it; only the memory is left to release. */
	rte_free(pw->probes);
	pw->probes = NULL;
}
