/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control: slow start (RFC 5681, with RFC 3465 byte counting),
 * then NewReno's additive increase or CUBIC (RFC 9438), chosen by
 * tcp.congestion. The loss response (ssthresh) is the algorithm's too;
 * fast recovery itself (RFC 6582) stays in tcp_input.c.
 */
#include <math.h>

#include "tcp_priv.h"

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

static bool
tcp_cc_cubic(const struct dpx_tcp_worker *tw)
{
	return tw->conf->congestion == DPX_CC_CUBIC;
}

/* RFC 9438 4.2-4.3: cwnd follows W(t) = C (t - K)^3 + W_max, but never
 * below what Reno would have reached (the Reno-friendly region). */
static void
cubic_on_ack(struct dpx_tcp_worker *tw, struct dpx_tcb *c, uint32_t acked)
{
	double mss = c->mss, cwnd = c->cwnd / mss, t, target;

	if (c->cubic_epoch == 0) {
		c->cubic_epoch = tw->now ? tw->now : 1;
		c->cubic_k = cwnd < c->cubic_wmax ?
			     cbrt((c->cubic_wmax - cwnd) / CUBIC_C) : 0;
		c->cubic_origin = RTE_MAX(c->cubic_wmax, cwnd);
		c->cubic_west = cwnd;
	}
	t = (double)(tw->now - c->cubic_epoch + (c->srtt8 >> 3)) / 1000.0;
	target = c->cubic_origin + CUBIC_C * pow(t - c->cubic_k, 3);
	/* Reno-friendly estimate: alpha = 3 (1 - beta) / (1 + beta). */
	c->cubic_west += 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) *
			 (acked / mss) / cwnd;
	if (target < c->cubic_west)
		target = c->cubic_west;
	if (target > cwnd) {
		/* At most +50% per RTT (RFC 9438 4.4). */
		double inc = RTE_MIN(target - cwnd, cwnd / 2) / cwnd;

		c->cwnd += (uint32_t)RTE_MAX(1.0, inc * acked);
	}
}

void
tcp_cc_on_ack(struct dpx_tcp_worker *tw, struct dpx_tcb *c, uint32_t acked)
{
	if (c->cwnd < c->ssthresh) {
		c->cwnd += RTE_MIN(acked, 2u * c->mss);
		return;
	}
	if (tcp_cc_cubic(tw)) {
		cubic_on_ack(tw, c, acked);
		return;
	}
	/* RFC 5681 3.1 byte counting: one MSS per cwnd of acked bytes. */
	c->ca_acked += acked;
	if (c->ca_acked >= c->cwnd) {
		c->ca_acked -= c->cwnd;
		c->cwnd += c->mss;
	}
}

uint32_t
tcp_cc_on_loss(struct dpx_tcp_worker *tw, struct dpx_tcb *c)
{
	double cwnd = (double)c->cwnd / c->mss;

	if (!tcp_cc_cubic(tw))
		return RTE_MAX(tcp_inflight(c) / 2, 2u * c->mss);
	/* Fast convergence (RFC 9438 4.7): yield to newer flows. */
	if (cwnd < c->cubic_wmax)
		c->cubic_wmax = cwnd * (1 + CUBIC_BETA) / 2;
	else
		c->cubic_wmax = cwnd;
	c->cubic_epoch = 0;
	return RTE_MAX((uint32_t)(c->cwnd * CUBIC_BETA), 2u * c->mss);
}
