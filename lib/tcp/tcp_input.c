/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment arrival (RFC 9293 3.10.7) with the RFC 5961 defences (challenge
 * ACKs for in-window RST and SYN, ACK range check), PAWS (RFC 7323),
 * NewReno loss recovery (RFC 5681, RFC 6582) and the out-of-order queue.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_prefetch.h>

#include "tcp_priv.h"

struct tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t len;       /* payload bytes */
	uint32_t wnd;       /* unscaled window field */
	uint8_t flags;
	bool force_ack;     /* data refused by a zero window: say so */
	struct dpx_tcp_opts opts;
};

/* *data: the sum of the whole segment when software checked it, else
 * left alone (the device vouched for it). */
static bool
tcp_checksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		uint16_t *data, bool *summed)
{
	enum dpx_rx_l4_cksum verdict = dpx_rx_l4_cksum(m);
	uint32_t sum;

	*summed = false;
	if (verdict != DPX_RX_L4_CKSUM_UNKNOWN)
		return verdict == DPX_RX_L4_CKSUM_GOOD;
	/* tcp_parse() made the segment one mbuf. */
	*data = dpx_cksum(rte_pktmbuf_mtod(m, const void *), m->data_len);
	*summed = true;
	/* rte_ipv4_phdr_cksum folds the pseudo header; add and fold. */
	sum = (uint32_t)rte_ipv4_phdr_cksum(ip, 0) + *data;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Parses the header; on success m's data starts at the payload. */
static int
tcp_parse(struct dpx_tcp_worker *tw, struct rte_mbuf *m, struct tcp_key *k,
	  struct tcp_seg *seg)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv4_hdr *, -(int)m->l3_len);
	const struct rte_tcp_hdr *th;
	uint32_t hlen;
	uint16_t data = 0;
	bool summed;

	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		tw->stats.drop_malformed++;
		return -1;
	}
	th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);
	hlen = (uint32_t)(th->data_off >> 4) * 4;
	if (m->pkt_len < sizeof(*th) || hlen < sizeof(*th) ||
	    hlen > m->pkt_len) {
		tw->stats.drop_malformed++;
		return -1;
	}
	if (!tcp_checksum_ok(m, ip, &data, &summed)) {
		tw->stats.drop_checksum++;
		return -1;
	}
	seg->flags = th->tcp_flags;
	if (dpx_tcp_opts_parse((const uint8_t *)(th + 1), hlen - sizeof(*th),
			       seg->flags & RTE_TCP_SYN_FLAG, &seg->opts) != 0) {
		tw->stats.drop_malformed++;
		return -1;
	}
	k->raddr = rte_be_to_cpu_32(ip->src_addr);
	k->laddr = rte_be_to_cpu_32(ip->dst_addr);
	k->rport = rte_be_to_cpu_16(th->src_port);
	k->lport = rte_be_to_cpu_16(th->dst_port);
	seg->seq = rte_be_to_cpu_32(th->sent_seq);
	seg->ack = rte_be_to_cpu_32(th->recv_ack);
	seg->wnd = rte_be_to_cpu_16(th->rx_win);
	seg->len = m->pkt_len - hlen;
	seg->force_ack = false;
	/* The payload's own sum, for output when it is sent on: the
	 * segment's less the header's (hlen is a multiple of 4). */
	summed &= tw->keep_sums;
	if (summed)
		data = dpx_cksum_sub(data, dpx_cksum(th, hlen));
	rte_pktmbuf_adj(m, hlen);
	if (summed)
		dpx_mbuf_sum_set(m, data);
	else
		dpx_mbuf_sum_clear(m);
	return 0;
}

static struct tcp_listener *
tcp_find_listener(struct dpx_tcp_worker *tw, const struct tcp_key *k)
{
	struct tcp_listener *any = NULL;

	for (unsigned int i = 0; i < tw->n_listeners; i++) {
		struct tcp_listener *l = &tw->listeners[i];

		if (l->port != k->lport)
			continue;
		if (l->addr == k->laddr)
			return l;
		if (l->addr == 0)
			any = l;
	}
	return any;
}

/* RFC 6528: a keyed hash of the 4-tuple plus a 4 µs clock. */
uint32_t
tcp_isn(const struct dpx_tcp_worker *tw, const struct tcp_key *k)
{
	uint32_t h = rte_jhash_3words(k->raddr, k->laddr,
				      ((uint32_t)k->rport << 16) | k->lport,
				      tw->isn_secret[0]);

	return h + (uint32_t)(rte_get_tsc_cycles() /
			      (rte_get_tsc_hz() / 250000));
}

uint8_t
tcp_pick_wscale(uint32_t rcvbuf)
{
	uint8_t s = 0;

	while (s < TCP_MAX_WSCALE && (rcvbuf >> s) > 65535)
		s++;
	return s;
}

uint16_t
tcp_local_mss(struct dpx_worker *w, unsigned int port)
{
	const struct dpx_tcp_conf *conf = tcp_w(w)->conf;
	uint16_t mss = dpx_net_port(w, port)->mtu - 40;

	return conf->mss_clamp ? RTE_MIN(mss, conf->mss_clamp) : mss;
}

static void
tcp_negotiate(struct dpx_worker *w, struct dpx_tcb *c,
	      const struct tcp_seg *seg)
{
	const struct dpx_tcp_conf *conf = tcp_w(w)->conf;
	const struct dpx_tcp_opts *o = &seg->opts;
	uint16_t peer_mss = (o->present & DPX_TCPOPT_MSS) && o->mss ?
			    o->mss : TCP_MSS_DEFAULT;

	c->ws_ok = conf->window_scaling && (o->present & DPX_TCPOPT_WSCALE);
	if (c->ws_ok) {
		c->snd_wscale = RTE_MIN(o->wscale, TCP_MAX_WSCALE);
		c->rcv_wscale = tcp_pick_wscale(c->rcvbuf);
	}
	c->ts_ok = conf->timestamps && (o->present & DPX_TCPOPT_TS);
	if (c->ts_ok)
		c->ts_recent = o->ts_val;
	c->sack_ok = conf->sack && (o->present & DPX_TCPOPT_SACK_PERM);
	c->mss = RTE_MIN(peer_mss, tcp_local_mss(w, c->port));
	/* The mss we advertise stays the full one; what we send leaves
	 * room for the timestamp option on every segment. */
	c->adv_mss = tcp_local_mss(w, c->port);
	if (c->ts_ok)
		c->mss -= 12;
	c->mss = RTE_MAX(c->mss, (uint16_t)64);
}

/* A SYN-ACK whose ISN is a SYN cookie: nothing is kept. */
static void
tcp_send_cookie_synack(struct dpx_worker *w, unsigned int port,
		       struct tcp_listener *l, const struct tcp_key *k,
		       const struct tcp_seg *seg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct dpx_tcb tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.key = *k;
	tmp.port = port;
	tmp.state = TCP_SYN_RCVD;
	tmp.rcvbuf = tw->conf->rcvbuf;
	tmp.rcv_space = RTE_MIN(tmp.rcvbuf, (uint32_t)TCP_RCV_SPACE_INIT);
	tmp.rcv_nxt = seg->seq + 1;
	tmp.rcv_adv = tmp.rcv_nxt;
	tcp_negotiate(w, &tmp, seg);
	tmp.iss = tcp_syncookie_isn(tw, k, tmp.mss + (tmp.ts_ok ? 12 : 0));
	if (tmp.ts_ok)
		tmp.cookie_ts = tcp_syncookie_ts(tw, tmp.ws_ok ?
						 tmp.snd_wscale : -1, tmp.sack_ok);
	l->last_cookie = tw->now;
	l->cookies_sent = true;
	tw->stats.syn_cookies_sent++;
	tcp_send_syn(w, &tmp);
}

static void
tcp_passive_open(struct dpx_worker *w, unsigned int port,
		 struct tcp_listener *l, const struct tcp_key *k,
		 const struct tcp_seg *seg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	enum dpx_syn_cookies mode = tw->conf->syn_cookies;
	struct dpx_tcb *c;

	if (mode == DPX_SYNCOOKIE_ALWAYS ||
	    (mode == DPX_SYNCOOKIE_AUTO && l->n_syn_rcvd >= l->backlog)) {
		tcp_send_cookie_synack(w, port, l, k, seg);
		return;
	}
	if (l->n_syn_rcvd >= l->backlog) {
		tw->stats.drop_backlog++;
		return;
	}
	c = tcb_new(w, k, port);
	if (c == NULL) {
		tw->stats.drop_backlog++;
		return;
	}
	c->listener = l;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tcp_isn(tw, k);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_max = c->iss;
	c->recover = c->iss;            /* RFC 6582: no recovery yet */
	tcp_negotiate(w, c, seg);
	c->snd_wnd = seg->wnd;          /* never scaled in a SYN */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->cwnd = TCP_INIT_CWND_SEGS * c->mss;
	c->ssthresh = UINT32_MAX / 2;
	tcb_set_state(w, c, TCP_SYN_RCVD);
	tcp_send_syn(w, c);
	tcp_arm_rtx(w, c);
}

/* No connection matches: a SYN may open one; anything else but RST gets
 * RST (RFC 9293 3.10.7.1). */
static void
tcp_no_tcb(struct dpx_worker *w, unsigned int port, const struct tcp_key *k,
	   const struct tcp_seg *seg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct tcp_listener *l;
	uint32_t seglen = seg->len + !!(seg->flags & RTE_TCP_SYN_FLAG) +
			  !!(seg->flags & RTE_TCP_FIN_FLAG);

	if (seg->flags & RTE_TCP_RST_FLAG) {
		tw->stats.drop_no_tcb++;
		return;
	}
	l = tcp_find_listener(tw, k);
	if ((seg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
	    RTE_TCP_SYN_FLAG && l != NULL) {
		tcp_passive_open(w, port, l, k, seg);
		return;
	}
	if (l == NULL)
		tw->stats.drop_no_listener++;
	else
		tw->stats.drop_no_tcb++;
	if (seg->flags & RTE_TCP_ACK_FLAG)
		tcp_send_rst(w, k, port, seg->ack, 0, false);
	else
		tcp_send_rst(w, k, port, 0, seg->seq + seglen, true);
}

static void
tcp_challenge_ack(struct dpx_worker *w, struct dpx_tcb *c)
{
	tcp_w(w)->stats.challenge_acks++;
	tcp_send_ack(w, c);
}

/* RFC 9293 3.10.7.4, first check: is any of the segment in our window? */
static bool
tcp_acceptable(const struct dpx_tcb *c, const struct tcp_seg *seg)
{
	uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t len = seg->len + !!(seg->flags & RTE_TCP_SYN_FLAG) +
		       !!(seg->flags & RTE_TCP_FIN_FLAG);
	uint32_t end = c->rcv_nxt + wnd;

	if (len == 0)
		return wnd == 0 ? seg->seq == c->rcv_nxt :
		       seq_geq(seg->seq, c->rcv_nxt) && seq_lt(seg->seq, end);
	if (wnd == 0)
		return false;
	return (seq_geq(seg->seq, c->rcv_nxt) && seq_lt(seg->seq, end)) ||
	       (seq_geq(seg->seq + len - 1, c->rcv_nxt) &&
		seq_lt(seg->seq + len - 1, end));
}

static void
sndq_drop(struct dpx_tcb *c, uint32_t n)
{
	c->sndq_bytes -= n;
	n += c->sndq_head_off;
	while (c->sndq_head != NULL && n >= c->sndq_head->data_len) {
		struct rte_mbuf *m = c->sndq_head;

		if (m == c->snd_cur)
			c->snd_cur = NULL;
		n -= m->data_len;
		c->sndq_head = m->next;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
	}
	if (c->sndq_head == NULL)
		c->sndq_tail = NULL;
	c->sndq_head_off = n;
}

static void
tcp_ack_rtt(struct dpx_worker *w, struct dpx_tcb *c, const struct tcp_seg *seg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	if (c->ts_ok && (seg->opts.present & DPX_TCPOPT_TS) &&
	    seg->opts.ts_ecr != 0)
		tcp_rtt_sample(c, tcp_ts_now(tw) - seg->opts.ts_ecr, tw->conf);
	else if (c->rtt_timing && seq_gt(seg->ack, c->rtt_seq)) {
		tcp_rtt_sample(c, (uint32_t)tw->now - c->rtt_start, tw->conf);
		c->rtt_timing = false;
	}
}

/* New data acknowledged: free it, time it, grow or deflate cwnd. */
static void
tcp_ack_advance(struct dpx_worker *w, struct dpx_tcb *c,
		const struct tcp_seg *seg)
{
	uint32_t acked = seg->ack - c->snd_una;
	uint32_t data = RTE_MIN(acked, c->sndq_bytes);

	if (acked > c->sndq_bytes)
		c->fin_acked = true;
	sndq_drop(c, data);
	c->snd_una = seg->ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	tcp_ack_rtt(w, c, seg);
	c->backoff = 0;
	c->retries = 0;
	if (c->in_recovery) {
		if (seq_geq(seg->ack, c->recover)) {
			c->in_recovery = false;     /* full ACK */
			c->cwnd = c->ssthresh;
		} else if (c->sack_ok && c->n_sacked) {
			tcp_sack_prune(c);
			tcp_sack_retransmit(w, c, 2);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked + c->mss :
				  c->mss;
		} else {
			/* Partial ACK (RFC 6582 3.2): the next hole. */
			tcp_retransmit_head(w, c);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked + c->mss :
				  c->mss;
		}
	} else {
		tcp_cc_on_ack(tcp_w(w), c, acked);
	}
	c->dupacks = 0;
	if (tcp_inflight(c) == 0)
		dpx_timer_cancel(&tcp_w(w)->wheel, &c->rtx_timer);
	else
		tcp_arm_rtx(w, c);
	if (data) {
		c->events |= TCP_EV_SENDABLE;
		tcp_want_deliver(tcp_w(w), c);
	}
}

/*
 * Is the segment at snd_una lost? Three duplicate ACKs (RFC 5681); more
 * than three segments' worth SACKed above it (RFC 6675 IsLost); or, when
 * nothing new is left to send and so no more duplicates will come, any
 * SACK above it (early retransmit, RFC 5827).
 */
static bool
tcp_loss_detected(const struct dpx_tcb *c)
{
	uint32_t sacked = tcp_sack_bytes(c);

	if (c->dupacks >= TCP_DUPACK_THRESH ||
	    sacked > TCP_DUPACK_THRESH * (uint32_t)c->mss)
		return true;
	return sacked > 0 && (tcp_unsent(c) == 0 ||
			      tcp_inflight(c) >= RTE_MIN(c->cwnd, c->snd_wnd));
}

static void
tcp_dupack(struct dpx_worker *w, struct dpx_tcb *c)
{
	if (c->in_recovery) {
		c->cwnd += c->mss;              /* inflate: a segment left */
		if (c->sack_ok)
			tcp_sack_retransmit(w, c, 1);
		return;
	}
	++c->dupacks;
	if (!tcp_loss_detected(c) || seq_lt(c->snd_una, c->recover))
		return;
	c->ssthresh = tcp_cc_on_loss(tcp_w(w), c);
	c->recover = c->snd_max;
	c->in_recovery = true;
	c->rtt_timing = false;
	tcp_w(w)->stats.fast_retransmits++;
	c->high_rxt = c->snd_una;
	if (c->sack_ok && c->n_sacked)
		tcp_sack_retransmit(w, c, 1);
	else
		tcp_retransmit_head(w, c);
	c->cwnd = c->ssthresh + TCP_DUPACK_THRESH * c->mss;
}

static void
tcp_window_update(struct dpx_tcb *c, const struct tcp_seg *seg)
{
	if (seq_lt(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, seg->ack))) {
		c->snd_wnd = seg->wnd << c->snd_wscale;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		c->max_snd_wnd = RTE_MAX(c->max_snd_wnd, c->snd_wnd);
	}
}

static void
tcp_established(struct dpx_worker *w, struct dpx_tcb *c,
		 const struct tcp_seg *seg)
{
	struct tcp_listener *l = c->listener;
	const struct dpx_tcp_callbacks *cb = l ? l->cb : c->cb;

	c->snd_una = seg->ack;
	c->snd_wnd = seg->wnd << c->snd_wscale;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->max_snd_wnd = c->snd_wnd;
	tcp_ack_rtt(w, c, seg);
	c->backoff = 0;
	c->retries = 0;
	dpx_timer_cancel(&tcp_w(w)->wheel, &c->rtx_timer);
	tcb_set_state(w, c, TCP_ESTABLISHED);
	tcp_keepalive_start(w, c);
	c->rcv_space_seq = c->rcv_nxt;
	c->rcv_space_time = tcp_w(w)->now;
	if (l != NULL)
		tcp_w(w)->stats.accepted++;
	else
		tcp_w(w)->stats.connected++;
	c->cb = cb;
	/* Reported with the pass's other events; a passive open counts as
	 * known to the application (closes are reported) from then on. */
	c->events |= TCP_EV_ACCEPTED;
	tcp_want_deliver(tcp_w(w), c);
}

/* Returns false when the segment must not be processed further. */
static bool
tcp_process_ack(struct dpx_worker *w, struct dpx_tcb *c,
		const struct tcp_seg *seg)
{
	uint32_t sacked_before;

	if (c->state == TCP_SYN_RCVD) {
		if (seq_leq(seg->ack, c->snd_una) || seq_gt(seg->ack, c->snd_nxt)) {
			tcp_send_rst(w, &c->key, c->port, seg->ack, 0, false);
			return false;
		}
		tcp_established(w, c, seg);
		return true;
	}
	if (seq_gt(seg->ack, c->snd_max)) {
		tcp_send_ack(w, c);             /* acks what we never sent */
		return false;
	}
	if (seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
		tcp_challenge_ack(w, c);        /* RFC 5961 5.2 */
		return false;
	}
	sacked_before = tcp_sack_bytes(c);
	if (c->sack_ok && seg->opts.n_sack)
		tcp_sack_update(c, &seg->opts);
	if (seq_gt(seg->ack, c->snd_una)) {
		tcp_ack_advance(w, c, seg);
		tcp_sack_prune(c);
	} else if (seg->ack == c->snd_una && tcp_inflight(c) > 0 &&
		   (tcp_sack_bytes(c) > sacked_before ||
		    (seg->len == 0 && !(seg->flags & RTE_TCP_FIN_FLAG) &&
		     (seg->wnd << c->snd_wscale) == c->snd_wnd))) {
		/* A duplicate ACK (RFC 5681), or one with news in its SACK
		 * blocks even if it carries data (RFC 6675): the peer holds
		 * something beyond a hole. */
		tcp_dupack(w, c);
	}
	tcp_window_update(c, seg);
	if (!c->fin_acked)
		return true;
	switch (c->state) {
	case TCP_FIN_WAIT_1:
		tcb_set_state(w, c, TCP_FIN_WAIT_2);
		break;
	case TCP_CLOSING:
		tcp_enter_time_wait(w, c);
		return false;
	case TCP_LAST_ACK:
		tcb_destroy(w, c, 0);
		return false;
	}
	return true;
}

/* In-order data: chained onto what the application gets this pass. */
static void
tcp_deliver(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len;

	c->rcv_nxt += len;
	c->rcv_held += len;
	tcp_rcv_space_adjust(tcp_w(w), c);
	if (c->cb == NULL || c->cb->data == NULL || c->peer_fin) {
		rte_pktmbuf_free(m);
		return;
	}
	if (c->rx_head == NULL) {
		c->rx_head = m;
	} else {
		c->rx_tail->next = m;
		c->rx_head->nb_segs += m->nb_segs;
		c->rx_head->pkt_len += len;
	}
	c->rx_tail = rte_pktmbuf_lastseg(m);
	tcp_want_deliver(tcp_w(w), c);
}

static void
ooo_unlink_head(struct dpx_tcb *c)
{
	struct rte_mbuf *m = c->ooo_head;

	c->ooo_head = m->next;
	m->next = NULL;
	c->ooo_bytes -= m->data_len;
	c->ooo_count--;
}

/* Delivers queued segments that the hole just filled now reaches. */
static void
ooo_pull(struct dpx_worker *w, struct dpx_tcb *c)
{
	while (c->ooo_head != NULL && seq_leq(c->ooo_head->hash.usr, c->rcv_nxt)) {
		struct rte_mbuf *m = c->ooo_head;
		uint32_t seq = m->hash.usr, end = seq + m->data_len;

		ooo_unlink_head(c);
		if (seq_leq(end, c->rcv_nxt)) {
			rte_pktmbuf_free(m);
			continue;
		}
		rte_pktmbuf_adj(m, c->rcv_nxt - seq);
		tcp_deliver(w, c, m);
		if (c->state == TCP_CLOSED)
			return;
	}
}

/* Queues an out-of-order segment, trimmed against its neighbours. */
static void
ooo_insert(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m,
	   uint32_t seq)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct rte_mbuf **link = &c->ooo_head, *prev = NULL;
	uint32_t end = seq + m->data_len;

	if (c->ooo_count >= tw->conf->ooo_max_segments) {
		tw->stats.drop_ooo_full++;
		rte_pktmbuf_free(m);
		return;
	}
	while (*link != NULL && seq_lt((*link)->hash.usr, seq)) {
		prev = *link;
		link = &prev->next;
	}
	if (prev != NULL && seq_gt(prev->hash.usr + prev->data_len, seq)) {
		uint32_t overlap = prev->hash.usr + prev->data_len - seq;

		if (overlap >= m->data_len) {
			tw->stats.dup_segs++;
			rte_pktmbuf_free(m);
			return;
		}
		rte_pktmbuf_adj(m, overlap);
		seq += overlap;
	}
	while (*link != NULL && seq_lt((*link)->hash.usr, end)) {
		struct rte_mbuf *next = *link;
		uint32_t next_end = next->hash.usr + next->data_len;

		if (seq_gt(next_end, end)) {
			rte_pktmbuf_trim(m, end - next->hash.usr);
			break;
		}
		*link = next->next;             /* fully covered: replace */
		next->next = NULL;
		c->ooo_bytes -= next->data_len;
		c->ooo_count--;
		rte_pktmbuf_free(next);
	}
	m->hash.usr = seq;
	c->last_ooo_seq = seq;
	m->next = *link;
	*link = m;
	c->ooo_bytes += m->data_len;
	c->ooo_count++;
	tw->stats.ooo_segs++;
}

static bool
tcp_can_receive(const struct dpx_tcb *c)
{
	return c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	       c->state == TCP_FIN_WAIT_2;
}

/* Payload handling; consumes m. Returns true when an ACK is due now. */
static bool
tcp_process_data(struct dpx_worker *w, struct dpx_tcb *c,
		 const struct tcp_seg *seg, struct rte_mbuf *m)
{
	uint32_t seq = seg->seq, len = seg->len;
	bool had_ooo = c->ooo_head != NULL;

	if (len == 0 || !tcp_can_receive(c)) {
		rte_pktmbuf_free(m);
		return false;
	}
	if (seq_lt(seq, c->rcv_nxt)) {          /* old bytes at the front */
		rte_pktmbuf_adj(m, c->rcv_nxt - seq);
		len -= c->rcv_nxt - seq;
		seq = c->rcv_nxt;
	}
	if (seq != c->rcv_nxt) {
		ooo_insert(w, c, m, seq);
		return true;                    /* dup ACK with SACK now */
	}
	c->unacked_segs++;
	tcp_deliver(w, c, m);
	if (c->state == TCP_CLOSED)
		return false;
	ooo_pull(w, c);
	return had_ooo || c->unacked_segs >= 2 ||
	       tcp_w(w)->conf->delayed_ack_ms == 0;
}

/* An in-order FIN (RFC 9293 3.10.7.4, eighth step). */
static void
tcp_process_fin(struct dpx_worker *w, struct dpx_tcb *c)
{
	c->rcv_nxt++;
	c->peer_fin = true;
	switch (c->state) {
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		tcb_set_state(w, c, TCP_CLOSE_WAIT);
		c->events |= TCP_EV_PEER_CLOSED;
		tcp_want_deliver(tcp_w(w), c);
		break;
	case TCP_FIN_WAIT_1:
		if (c->fin_acked)
			tcp_enter_time_wait(w, c);
		else
			tcb_set_state(w, c, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT_2:
		tcp_enter_time_wait(w, c);
		break;
	default:
		break;
	}
}

static void
tcp_time_wait_segment(struct dpx_worker *w, unsigned int port,
		      struct dpx_tcb *c, const struct tcp_key *k,
		      const struct tcp_seg *seg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	/* A new SYN beyond the old sequence space may reuse the tuple
	 * (RFC 9293 3.6.1, RFC 6191 with timestamps). */
	if ((seg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
	    RTE_TCP_SYN_FLAG &&
	    (seq_gt(seg->seq, c->rcv_nxt) ||
	     (c->ts_ok && (seg->opts.present & DPX_TCPOPT_TS) &&
	      seq_gt(seg->opts.ts_val, c->ts_recent)))) {
		tcb_free(w, c);
		tcp_no_tcb(w, port, k, seg);
		return;
	}
	if (seg->flags & RTE_TCP_RST_FLAG)
		return;                         /* RFC 1337 */
	if (seg->flags & RTE_TCP_FIN_FLAG)      /* our ACK was lost */
		dpx_timer_arm(&tw->wheel, &c->life_timer,
			      tw->now + tw->conf->time_wait_ms);
	tcp_send_ack(w, c);
}

static bool
tcp_paws_reject(struct dpx_tcb *c, const struct tcp_seg *seg)
{
	return c->ts_ok && (seg->opts.present & DPX_TCPOPT_TS) &&
	       !(seg->flags & RTE_TCP_RST_FLAG) &&
	       seq_lt(seg->opts.ts_val, c->ts_recent);
}

/* RFC 7323 4.3: remember the newest timestamp of in-order segments. */
static void
tcp_update_ts_recent(struct dpx_tcb *c, const struct tcp_seg *seg)
{
	if (c->ts_ok && (seg->opts.present & DPX_TCPOPT_TS) &&
	    seq_leq(seg->seq, c->last_ack_sent) &&
	    seq_geq(seg->opts.ts_val, c->ts_recent))
		c->ts_recent = seg->opts.ts_val;
}

/* The checks before ACK processing; false: stop here. */
static bool
tcp_precheck(struct dpx_worker *w, struct dpx_tcb *c, struct tcp_seg *seg,
	     struct rte_mbuf *m)
{
	struct dpx_tcp_worker *tw = tcp_w(w);

	if (c->state == TCP_SYN_RCVD && (seg->flags & RTE_TCP_SYN_FLAG) &&
	    !(seg->flags & RTE_TCP_ACK_FLAG) && seg->seq == c->irs) {
		tcp_send_syn(w, c);             /* our SYN-ACK was lost */
		return false;
	}
	if (tcp_paws_reject(c, seg)) {
		tw->stats.drop_paws++;
		tcp_send_ack(w, c);
		return false;
	}
	if (!tcp_acceptable(c, seg)) {
		if (seg->seq == c->rcv_nxt && seg->len > 0) {
			/* Zero window: the data waits, the ACK still counts. */
			rte_pktmbuf_trim(m, seg->len);
			seg->len = 0;
			seg->flags &= ~RTE_TCP_FIN_FLAG;
			seg->force_ack = true;
			return true;
		}
		if (!(seg->flags & RTE_TCP_RST_FLAG)) {
			tw->stats.drop_out_of_window++;
			tcp_send_ack(w, c);
		}
		return false;
	}
	if (seg->flags & RTE_TCP_RST_FLAG) {
		if (seg->seq != c->rcv_nxt) {
			tcp_challenge_ack(w, c);        /* RFC 5961 3.2 */
			return false;
		}
		tw->stats.rst_received++;
		tcb_destroy(w, c, -ECONNRESET);
		return false;
	}
	if (seg->flags & RTE_TCP_SYN_FLAG) {
		tcp_challenge_ack(w, c);                /* RFC 5961 4.2 */
		return false;
	}
	return (seg->flags & RTE_TCP_ACK_FLAG) != 0;
}

static void
tcp_process(struct dpx_worker *w, struct dpx_tcb *c, struct tcp_seg *seg,
	    struct rte_mbuf *m)
{
	uint32_t fin_seq = seg->seq + seg->len;
	bool fin, ack_now;

	c->last_rx = tcp_w(w)->now;
	c->ka_probes = 0;
	if (!tcp_precheck(w, c, seg, m) || !tcp_process_ack(w, c, seg)) {
		rte_pktmbuf_free(m);
		return;
	}
	tcp_update_ts_recent(c, seg);
	fin = seg->flags & RTE_TCP_FIN_FLAG;
	ack_now = tcp_process_data(w, c, seg, m) || seg->force_ack;
	if (c->state == TCP_CLOSED)
		return;
	/* FIN counts only when every byte before it has arrived. */
	if (fin && fin_seq == c->rcv_nxt && !c->peer_fin && c->ooo_head == NULL) {
		tcp_process_fin(w, c);
		ack_now = true;
	}
	if (c->state == TCP_CLOSED || c->state == TCP_TIME_WAIT) {
		if (c->state == TCP_TIME_WAIT)
			tcp_send_ack(w, c);
		return;
	}
	/* Output waits for the application's turn in this pass: what it
	 * answers leaves with the ACK, and a burst of segments gets one. */
	c->more = false;                /* an ACK came: send what we have */
	c->ack_now |= ack_now;
	tcp_want_output(tcp_w(w), c);
}

/* Our SYN is out (RFC 9293 3.10.7.3). */
static void
tcp_syn_sent(struct dpx_worker *w, struct dpx_tcb *c, const struct tcp_seg *seg)
{
	bool ack = seg->flags & RTE_TCP_ACK_FLAG;

	if (ack && (seq_leq(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_max))) {
		if (!(seg->flags & RTE_TCP_RST_FLAG))
			tcp_send_rst(w, &c->key, c->port, seg->ack, 0, false);
		return;
	}
	if (seg->flags & RTE_TCP_RST_FLAG) {
		if (ack) {
			tcp_w(w)->stats.rst_received++;
			tcb_destroy(w, c, -ECONNREFUSED);
		}
		return;
	}
	if (!(seg->flags & RTE_TCP_SYN_FLAG))
		return;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	tcp_negotiate(w, c, seg);
	c->cwnd = TCP_INIT_CWND_SEGS * c->mss;
	if (!ack) {                     /* simultaneous open */
		tcb_set_state(w, c, TCP_SYN_RCVD);
		tcp_send_syn(w, c);
		return;
	}
	tcp_established(w, c, seg);
	/* The handshake's last ACK rides on the first data when the
	 * application sends at once (dpx_tcp_output() of this pass). */
	c->ack_now = true;
	tcp_want_output(tcp_w(w), c);
}

/* An ACK for no connection may complete a SYN-cookie handshake. */
static struct dpx_tcb *
tcp_cookie_open(struct dpx_worker *w, unsigned int port,
		const struct tcp_key *k, const struct tcp_seg *seg)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	struct tcp_listener *l;
	struct tcp_seg first = *seg;
	struct dpx_tcb *c;
	uint16_t mss;
	int wscale = -1;
	bool sack = false;

	if ((seg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG |
			   RTE_TCP_ACK_FLAG)) != RTE_TCP_ACK_FLAG)
		return NULL;
	l = tcp_find_listener(tw, k);
	/* Only shortly after cookies went out: no ACK guessing otherwise. */
	if (l == NULL || !l->cookies_sent ||
	    tw->now - l->last_cookie > 2 * 64000 ||
	    tcp_syncookie_check(tw, k, seg->ack - 1, &mss) != 0)
		return NULL;
	c = tcb_new(w, k, port);
	if (c == NULL) {
		tw->stats.drop_backlog++;
		return NULL;
	}
	c->listener = l;
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	/* What the cookie SYN-ACK offered: its window is never scaled. */
	c->rcv_adv = c->rcv_nxt + RTE_MIN(c->rcvbuf, 65535u);
	c->iss = seg->ack - 1;
	c->snd_una = c->iss;
	c->snd_nxt = seg->ack;
	c->snd_max = seg->ack;
	c->recover = c->iss;
	c->ts_ok = tw->conf->timestamps && (seg->opts.present & DPX_TCPOPT_TS);
	if (c->ts_ok) {
		c->ts_recent = seg->opts.ts_val;
		tcp_syncookie_ts_decode(seg->opts.ts_ecr, &wscale, &sack);
	}
	c->ws_ok = wscale >= 0 && tw->conf->window_scaling;
	if (c->ws_ok) {
		c->snd_wscale = (uint8_t)wscale;
		c->rcv_wscale = tcp_pick_wscale(c->rcvbuf);
	}
	c->sack_ok = sack && tw->conf->sack;
	c->adv_mss = tcp_local_mss(w, port);
	c->mss = RTE_MIN(mss, c->adv_mss) - (c->ts_ok ? 12 : 0);
	c->cwnd = TCP_INIT_CWND_SEGS * c->mss;
	c->ssthresh = UINT32_MAX / 2;
	tw->stats.syn_cookies_ok++;
	tcb_set_state(w, c, TCP_SYN_RCVD);
	first.opts.ts_ecr = 0;          /* encoded, not a time: no RTT */
	tcp_established(w, c, &first);
	return c;
}

/* Starts loading a received segment's bytes (checksum, then parse). */
static inline void
tcp_prefetch_segment(const struct rte_mbuf *m)
{
	const char *p = rte_pktmbuf_mtod(m, const char *);

	for (uint32_t off = 0; off < m->data_len; off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(p + off);
}

/* One parsed segment, with its connection (NULL: none matched). */
static void
tcp_input_one(struct dpx_worker *w, unsigned int port, struct rte_mbuf *m,
	      const struct tcp_key *k, struct tcp_seg *seg, struct dpx_tcb *c)
{
	if (c == NULL)
		c = tcp_cookie_open(w, port, k, seg);
	if (c == NULL) {
		tcp_no_tcb(w, port, k, seg);
		rte_pktmbuf_free(m);
		return;
	}
	if (c->state == TCP_TIME_WAIT || c->state == TCP_SYN_SENT) {
		if (c->state == TCP_TIME_WAIT)
			tcp_time_wait_segment(w, port, c, k, seg);
		else
			tcp_syn_sent(w, c, seg);
		rte_pktmbuf_free(m);
		return;
	}
	tcp_process(w, c, seg, m);
}

/* The segments of one pass, TCP_INPUT_BULK at a time: parsed (and their
 * checksums verified) first, then their connections looked up together
 * and prefetched, then processed in order. Loads of packets, hash buckets
 * and TCBs overlap instead of waiting one after the other. */
#define TCP_INPUT_BULK 32u
#define TCP_BULK_MIN 4u

static void
tcp_input_bulk(struct dpx_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	/* rte_hash_crc() loads the key 8 bytes at a time: each key on an
	 * 8-byte boundary (a 12-byte stride misaligns every other one). */
	union { struct tcp_key k; uint64_t align[2]; } keys[TCP_INPUT_BULK];
	struct tcp_seg segs[TCP_INPUT_BULK];
	const void *kp[TCP_INPUT_BULK];
	void *tcbs[TCP_INPUT_BULK];
	struct rte_mbuf *ok[TCP_INPUT_BULK];
	uint64_t hits = 0, frees;
	unsigned int m = 0;

	tw->stats.segs_in += n;
	for (unsigned int i = 0; i < n; i++) {
		/* Summing a segment reads every byte of it, and the bytes
		 * are cold (the device, or memif's other process, wrote them):
		 * have the next segment's lines on their way meanwhile. */
		if (i + 1 < n)
			tcp_prefetch_segment(pkts[i + 1]);
		if (tcp_parse(tw, pkts[i], &keys[m].k, &segs[m]) != 0) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		kp[m] = &keys[m].k;
		ok[m++] = pkts[i];
	}
	if (m == 0)
		return;
	/* The bulk lookup pays for itself from a few keys on. */
	if (m < TCP_BULK_MIN) {
		for (unsigned int i = 0; i < m; i++)
			if ((tcbs[i] = tcb_lookup(tw, &keys[i].k)) != NULL)
				hits |= UINT64_C(1) << i;
	} else if (rte_hash_lookup_bulk_data(tw->table, kp, m, &hits,
					     tcbs) < 0) {
		hits = 0;
	}
	for (unsigned int i = 0; i < m; i++)
		if (hits & (UINT64_C(1) << i))
			rte_prefetch0(tcbs[i]);
	/* A segment may end a connection whose TCB a later one of the
	 * batch was looked up to: after a free, look up again. */
	frees = tw->tcb_frees;
	for (unsigned int i = 0; i < m; i++) {
		struct dpx_tcb *c = hits & (UINT64_C(1) << i) ? tcbs[i] : NULL;

		if (c == NULL || tw->tcb_frees != frees)
			c = tcb_lookup(tw, &keys[i].k);
		tcp_input_one(w, ok[i]->port, ok[i], &keys[i].k, &segs[i], c);
	}
}

void
tcp_input(struct dpx_worker *w, struct rte_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i += TCP_INPUT_BULK)
		tcp_input_bulk(w, pkts + i, RTE_MIN(n - i, TCP_INPUT_BULK));
}
