/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP timers on the worker's wheel (1 tick = 1 ms): retransmission
 * (RFC 6298, exponential backoff), zero-window persist, delayed ACK and
 * TIME_WAIT.
 */
#include <errno.h>

#include "tcp_priv.h"

void
tcp_rtt_sample(struct dpx_tcb *c, uint32_t rtt, const struct dpx_tcp_conf *conf)
{
	int32_t delta;

	if (rtt == 0)
		rtt = 1;
	if (c->srtt8 == 0) {
		c->srtt8 = rtt << 3;
		c->rttvar4 = rtt << 1; /* rttvar = rtt / 2 */
	} else {
		delta = (int32_t)rtt - (int32_t)(c->srtt8 >> 3);
		c->srtt8 += delta;                       /* alpha = 1/8 */
		if (delta < 0)
			delta = -delta;
		c->rttvar4 += delta - (int32_t)(c->rttvar4 >> 2); /* beta = 1/4 */
	}
	c->rto = (c->srtt8 >> 3) + RTE_MAX(1u, c->rttvar4);
	c->rto = RTE_MAX(c->rto, conf->rto_min_ms);
	c->rto = RTE_MIN(c->rto, conf->rto_max_ms);
}

static void tcp_tail_loss_probe(struct dpx_worker *w, struct dpx_tcb *c);

static void
tcp_on_rtx(struct dpx_timer *t, void *arg)
{
	struct dpx_tcb *c = arg;
	struct dpx_worker *w = c->w;
	struct dpx_tcp_worker *tw = tcp_w(w);
	unsigned int limit;

	(void)t;
	if (c->state == TCP_CLOSED) {           /* deferred free after abort */
		tcb_destroy(w, c, -ECONNABORTED);
		return;
	}
	if (c->tlp_armed) {
		tcp_tail_loss_probe(w, c);
		return;
	}
	limit = c->state == TCP_SYN_RCVD || c->state == TCP_SYN_SENT ?
		TCP_SYN_RETRIES : TCP_DATA_RETRIES;
	if (++c->retries > limit) {
		if (c->state == TCP_SYN_SENT)
			tw->stats.connect_failed++;
		else
			tcp_send_rst(w, &c->key, c->port, c->snd_nxt,
				     c->rcv_nxt, true);
		tcb_destroy(w, c, -ETIMEDOUT);
		return;
	}
	tw->stats.rto_expired++;
	if (dpx_log_get_level() >= DPX_LOG_DEBUG)
		DPX_DEBUG("tcp rto: state %u una %u nxt +%u max +%u wnd %u "
			  "cwnd %u sacked %u/%u rec %d hrxt +%d rto %u<<%u",
			  c->state, c->snd_una, c->snd_nxt - c->snd_una,
			  c->snd_max - c->snd_una, c->snd_wnd, c->cwnd,
			  c->n_sacked, tcp_sack_bytes(c), c->in_recovery,
			  (int)(c->high_rxt - c->snd_una), c->rto, c->backoff);
	c->backoff = RTE_MIN(c->backoff + 1, 16);
	if (c->snd_wnd == 0 && c->state >= TCP_ESTABLISHED &&
	    tcp_inflight(c) == 0) {
		c->retries = 0;                 /* persist: probe forever */
		tcp_retransmit_head(w, c);
		tcp_arm_rto(w, c);
		return;
	}
	/* RFC 5681 3.1: loss window; RFC 6582: leave fast recovery. */
	c->ssthresh = tcp_cc_on_loss(tw, c);
	c->cwnd = c->mss;
	c->in_recovery = false;
	c->dupacks = 0;
	c->rtt_timing = false;                  /* Karn */
	c->recover = c->snd_max;
	c->n_sacked = 0;                /* go back N: resend it all */
	c->snd_nxt = c->snd_una;
	if (c->state == TCP_SYN_RCVD || c->state == TCP_SYN_SENT)
		tcp_send_syn(w, c);
	else
		tcp_output(w, c);
	tcp_arm_rto(w, c);
}

/*
 * Tail loss probe (RFC 8985 7): when the last segments of a flight are
 * lost no duplicate ACK will ever come; resending the last segment after
 * about two round trips makes the peer SACK it and reveals the hole, which
 * fast recovery then repairs instead of a much later RTO.
 */
static void
tcp_tail_loss_probe(struct dpx_worker *w, struct dpx_tcb *c)
{
	uint32_t len = RTE_MIN(tcp_seg_payload(c), tcp_inflight(c));
	uint32_t data_end = tcp_data_end(c);
	uint32_t seq;

	c->tlp_armed = false;
	tcp_w(w)->stats.tail_loss_probes++;
	if (tcp_unsent(c) > 0 && c->snd_wnd > tcp_inflight(c)) {
		tcp_output(w, c);               /* new data probes as well */
	} else if (len > 0) {
		/* The last data segment (FIN rides along if it is there). */
		seq = seq_lt(c->snd_max, data_end) ? c->snd_max : data_end;
		len = RTE_MIN(len, seq - c->snd_una);
		if (len > 0)
			tcp_retransmit_at(w, c, seq - len, len);
		else
			tcp_retransmit_head(w, c);
	}
	tcp_arm_rto(w, c);
}

static void
tcp_on_delack(struct dpx_timer *t, void *arg)
{
	struct dpx_tcb *c = arg;

	(void)t;
	if (c->unacked_segs)
		tcp_send_ack(c->w, c);
}

/* Keepalive (RFC 1122 4.2.3.6): after idle_ms without a segment, probe
 * every interval_ms; give up after `probes` unanswered ones. */
static void
tcp_keepalive(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	const struct dpx_tcp_conf *conf = tw->conf;
	uint64_t idle_end = c->last_rx + conf->keepalive_idle_ms;

	if (c->ka_probes == 0 && tw->now < idle_end) {
		dpx_timer_arm(&tw->wheel, &c->life_timer, idle_end);
		return;
	}
	if (c->ka_probes >= conf->keepalive_probes) {
		tcp_send_rst(w, &c->key, c->port, c->snd_nxt, c->rcv_nxt, true);
		tcb_destroy(w, c, -ETIMEDOUT);
		return;
	}
	c->ka_probes++;
	tw->stats.keepalive_probes++;
	/* An old sequence number makes the peer answer with an ACK. */
	c->snd_nxt--;
	tcp_send_ack(w, c);
	c->snd_nxt++;
	dpx_timer_arm(&tw->wheel, &c->life_timer,
		      tw->now + conf->keepalive_interval_ms);
}

static void
tcp_on_life(struct dpx_timer *t, void *arg)
{
	struct dpx_tcb *c = arg;

	(void)t;
	if (c->state == TCP_TIME_WAIT)
		tcb_destroy(c->w, c, 0);
	else if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
		 c->state == TCP_FIN_WAIT_2)
		tcp_keepalive(c->w, c);
}

void
tcp_keepalive_start(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	c->last_rx = tw->now;
	if (tw->conf->keepalive)
		dpx_timer_arm(&tw->wheel, &c->life_timer,
			      tw->now + tw->conf->keepalive_idle_ms);
}

void
tcp_timers_init(struct dpx_tcb *c)
{
	dpx_timer_init(&c->rtx_timer, tcp_on_rtx, c);
	dpx_timer_init(&c->delack_timer, tcp_on_delack, c);
	dpx_timer_init(&c->life_timer, tcp_on_life, c);
}

void
tcp_timers_stop(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_timer_wheel *wh = &tcp_w(w)->wheel;

	dpx_timer_cancel(wh, &c->rtx_timer);
	dpx_timer_cancel(wh, &c->delack_timer);
	dpx_timer_cancel(wh, &c->life_timer);
}

void
tcp_arm_rto(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	uint64_t rto = (uint64_t)c->rto << c->backoff;

	c->tlp_armed = false;
	rto = RTE_MIN(rto, (uint64_t)tw->conf->rto_max_ms);
	/* Pushed back by every ACK while data flows: extend in place. */
	dpx_timer_extend(&tw->wheel, &c->rtx_timer, tw->now + rto);
}

/* The retransmission timer: a tail loss probe first when one can help
 * (an RTT estimate, data in flight, no recovery or backoff under way). */
void
tcp_arm_rtx(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	uint64_t pto;

	if (c->srtt8 == 0 || c->in_recovery || c->backoff ||
	    c->state != TCP_ESTABLISHED || tcp_inflight(c) == 0) {
		tcp_arm_rto(w, c);
		return;
	}
	/* PTO = 2 SRTT (+ a delayed ACK's worth with one segment out). */
	pto = 2 * (c->srtt8 >> 3) + (tcp_inflight(c) <= c->mss ?
				     tw->conf->delayed_ack_ms : 0);
	pto = RTE_MAX(pto, 10u);
	if (pto >= (uint64_t)c->rto) {
		tcp_arm_rto(w, c);
		return;
	}
	c->tlp_armed = true;
	dpx_timer_extend(&tw->wheel, &c->rtx_timer, tw->now + pto);
}

void
tcp_arm_delack(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	if (!dpx_timer_pending(&c->delack_timer))
		dpx_timer_arm(&tw->wheel, &c->delack_timer,
			      tw->now + tw->conf->delayed_ack_ms);
}

void
tcp_enter_time_wait(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	struct dpx_tcb *oldest;

	tcb_report_closed(w, c, 0);
	if (tw->conf->time_wait_ms == 0 || tw->conf->max_time_wait == 0) {
		/* No TIME_WAIT, but the caller still sends the last ACK with
		 * this TCB: it goes at the next timer pass. */
		tcb_set_state(w, c, TCP_TIME_WAIT);
		dpx_timer_cancel(&tw->wheel, &c->rtx_timer);
		dpx_timer_cancel(&tw->wheel, &c->delack_timer);
		dpx_timer_arm(&tw->wheel, &c->life_timer, tw->now);
		return;
	}
	/* Bounded: beyond max_time_wait the oldest entry makes room. */
	if (tw->stats.conns_time_wait >= tw->conf->max_time_wait &&
	    (oldest = TAILQ_FIRST(&tw->time_wait)) != NULL) {
		tw->stats.time_wait_recycled++;
		tcb_free(w, oldest);
	}
	tcb_set_state(w, c, TCP_TIME_WAIT);
	dpx_timer_cancel(&tw->wheel, &c->rtx_timer);
	dpx_timer_cancel(&tw->wheel, &c->delack_timer);
	dpx_timer_arm(&tw->wheel, &c->life_timer,
		      tw->now + tw->conf->time_wait_ms);
}
