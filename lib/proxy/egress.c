/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress addresses of forward listeners: which of the listener's source
 * addresses an origin connection leaves from, per policy, and the
 * per-worker counters per address. The address goes to dpx_tcp_connect(),
 * whose local port choice hashes the 4-tuple with it, so replies come
 * back to this worker; kept-alive connections are reused only from the
 * address chosen (upstream.c).
 */
#include <rte_random.h>

#include "egress.h"
#include "proxy_priv.h"

/*
 * The authenticated user's egress address (its rule's egress_addr in the
 * "auth" section, network order there), host order; 0 when the session
 * has no user or the user's rule names none (per_user then falls back to
 * round robin).
 */
static uint32_t
px_egress_user_addr(const struct px_session *s)
{
	if (s->auth_rule == NULL || s->auth_rule->egress_addr == 0)
		return 0;
	return rte_be_to_cpu_32(s->auth_rule->egress_addr);
}

/* Leaving from another port than the route's would send the origin a
 * source it cannot answer: the route's own address is used instead. */
static bool
px_egress_on_route(struct dpx_worker *w, const struct dpx_egress_conf *eg,
		   uint32_t dst)
{
	unsigned int port;
	uint32_t src;

	return dpx_net_route(w, dst, &port, &src) == 0 && port == eg->port;
}

void
px_egress_pick(struct dpx_worker *w, struct px_session *s)
{
	const struct dpx_egress_conf *eg = &s->fwd->egress;
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_egress_req req = {
		.client = s->caddr,
		.host = s->fwd_host,
		.port = s->fwd_port,
	};
	unsigned int i;

	s->egress_addr = 0;
	s->egress_idx = -1;
	if (eg->n_addrs == 0)
		return;
	if (!px_egress_on_route(w, eg, s->fwd_addr)) {
		pw->stats.fwd_egress_off_route++;
		return;
	}
	if (eg->policy == DPX_EGRESS_RANDOM)
		req.random = rte_rand();
	if (eg->policy == DPX_EGRESS_PER_USER)
		req.user_addr = px_egress_user_addr(s);
	i = px_egress_index(eg, &req, &pw->egress_rr[s->li]);
	s->egress_idx = (int8_t)i;
	s->egress_addr = eg->addrs[i];
}

void
px_egress_connected(struct dpx_worker *w, const struct px_session *s)
{
	if (s->egress_idx >= 0)
		px_w(w)->egress_stats[s->li][s->egress_idx].connections++;
}

void
px_egress_account(struct dpx_worker *w, const struct px_session *s)
{
	struct dpx_proxy_egress_stats *es;

	if (s->fwd == NULL || s->egress_idx < 0)
		return;
	es = &px_w(w)->egress_stats[s->li][s->egress_idx];
	es->requests++;
	es->bytes_in += s->bytes_in;
	es->bytes_out += s->bytes_out;
}
