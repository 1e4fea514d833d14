/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's DNS resolver (lib/dns) on dpx's UDP (lib/udp), for the
 * forward listeners: lib/dns knows nothing of lib/udp, so the three io
 * callbacks and the receive path that feeds it live here. It exists only
 * when the config has a "resolver" section and a forward listener.
 *
 * Each query's source port comes from dpx_udp_pick_port(), so the answer
 * hashes back to this worker, and is bound (wildcard address) only while
 * the query waits for it.
 */
#include <string.h>

#include <rte_common.h>
#include <rte_random.h>

#include "dpx_udp.h"
#include "proxy_priv.h"

/* An answer is at most the EDNS size we advertise; a bigger datagram
 * is cut here and refused by the parser as malformed. */
#define PX_DNS_RX_MAX 2048

static void
px_dns_rx(struct dpx_worker *w, void *arg, uint32_t src_addr,
	  uint16_t src_port, uint32_t dst_addr, uint16_t dst_port,
	  struct rte_mbuf *payload)
{
	struct dpx_dns *r = px_w(w)->dns;
	uint8_t copy[PX_DNS_RX_MAX];
	uint32_t len = RTE_MIN(payload->pkt_len, (uint32_t)sizeof(copy));
	const uint8_t *p = rte_pktmbuf_read(payload, 0, len, copy);

	(void)arg;
	(void)dst_addr;
	if (r != NULL && p != NULL)
		dpx_dns_input(r, src_addr, src_port, dst_port, p, len);
	rte_pktmbuf_free(payload);
}

static uint16_t
px_dns_pick_port(void *ctx, uint32_t server, uint16_t server_port,
		 uint32_t random)
{
	struct dpx_worker *w = ctx;
	uint32_t src_addr = 0;
	uint16_t port;

	(void)random;   /* dpx_udp_pick_port() randomises on its own */
	if (dpx_udp_pick_port(w, server, server_port, &src_addr, &port) != 0)
		return 0;
	if (dpx_udp_bind(w, 0, port, px_dns_rx, NULL) != 0)
		return 0;
	return port;
}

static void
px_dns_release_port(void *ctx, uint16_t port)
{
	dpx_udp_unbind(ctx, 0, port);
}

static int
px_dns_send(void *ctx, uint32_t server, uint16_t server_port,
	    uint16_t src_port, const uint8_t *data, size_t len)
{
	return dpx_udp_send(ctx, 0, src_port, server, server_port, data,
			    (uint16_t)len) == 0 ? 0 : -1;
}

int
px_dns_worker_init(struct dpx_worker *w, bool forward)
{
	const struct dpx_dns_io io = {
		.pick_port = px_dns_pick_port,
		.release_port = px_dns_release_port,
		.send = px_dns_send,
		.ctx = w,
	};
	struct dpx_proxy_worker *pw = px_w(w);

	if (w->cfg->resolver == NULL || !forward)
		return 0;
	pw->dns = dpx_dns_create(w->cfg->resolver, dpx_tcp_wheel(w), &io,
				 rte_rand());
	if (pw->dns == NULL) {
		DPX_ERR("worker %u: cannot create the DNS resolver", w->index);
		return -ENOMEM;
	}
	return 0;
}

void
px_dns_worker_fini(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);

	dpx_dns_destroy(pw->dns);   /* unbinds the ports of live queries */
	pw->dns = NULL;
}

static struct px_fwd_names *
px_fwd_name(const struct px_session *s)
{
	return container_of(s->fwd_host, struct px_fwd_names, host[0]);
}

void
px_dns_forget(struct px_session *s)
{
	px_fwd_name(s)->dns = DPX_DNS_OK;
}

static void
px_dns_done(struct dpx_dns_waiter *wt, const struct dpx_dns_result *res)
{
	struct px_fwd_names *n = container_of(wt, struct px_fwd_names, wait);

	n->dns = (uint8_t)res->status;
	px_fwd_resolved(n->s->w, n->s,
			res->status == DPX_DNS_OK ? res->addrs[0] : 0);
}

int
px_dns_resolve(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_dns *r = px_w(w)->dns;
	struct px_fwd_names *n = px_fwd_name(s);
	struct dpx_dns_result res;
	enum dpx_dns_status st;

	if (r == NULL)
		return -1;
	n->s = s;
	dpx_dns_waiter_init(&n->wait, px_dns_done, s);
	st = dpx_dns_lookup(r, n->host, strlen(n->host), &n->wait, &res);
	n->dns = (uint8_t)st;
	if (st == DPX_DNS_PENDING)
		return 1;
	if (st != DPX_DNS_OK)
		return -1;
	s->fwd_addr = res.addrs[0];
	return 0;
}

void
px_dns_cancel(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_dns *r = px_w(w)->dns;

	if (r != NULL)
		dpx_dns_cancel(r, &px_fwd_name(s)->wait);
}

int
px_dns_http_status(const struct px_session *s)
{
	enum dpx_dns_status st = px_fwd_name(s)->dns;

	switch (st) {
	case DPX_DNS_TIMEOUT:
	case DPX_DNS_OVERLOAD:
	case DPX_DNS_BAD_NAME:
	case DPX_DNS_SERVFAIL:
		return dpx_dns_http_status(st);
	default:        /* no resolver, NXDOMAIN, NODATA, no servers */
		return 502;
	}
}

const char *
px_dns_failure_text(const struct px_session *s)
{
	enum dpx_dns_status st = px_fwd_name(s)->dns;

	return px_dns_http_status(s) == 502 && st != DPX_DNS_SERVFAIL ? NULL :
	       dpx_dns_status_text(st);
}

const struct dpx_dns_stats *
dpx_proxy_worker_dns_stats(const struct dpx_worker *w)
{
	return w->proxy != NULL && w->proxy->dns != NULL ?
	       dpx_dns_stats(w->proxy->dns) : NULL;
}
