/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment building and the send policy: what may go out now given the peer's
 * window and the congestion window (RFC 5681), with the options negotiated
 * at connection set-up.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>

#include "tcp_priv.h"

uint32_t
tcp_ts_now(const struct dpx_tcp_worker *tw)
{
	return (uint32_t)tw->now + tw->ts_offset;
}

uint32_t
tcp_rcv_window(const struct dpx_tcb *c)
{
	uint32_t used = c->rcv_held + c->ooo_bytes;
	uint32_t cap = RTE_MIN(c->rcv_space, c->rcvbuf);

	return used >= cap ? 0 : cap - used;
}

/*
 * Receive window autotuning (like Linux's dynamic right-sizing): start
 * small and double the window whenever the sender filled more than half
 * of it within one round trip, up to tcp.rcvbuf. Memory then follows what
 * a connection really needs instead of the maximum for every one.
 */
void
tcp_rcv_space_adjust(struct dpx_tcp_worker *tw, struct dpx_tcb *c)
{
	uint64_t rtt = RTE_MAX((uint64_t)(c->srtt8 >> 3), 1ul);

	if (c->rcv_space >= c->rcvbuf || tw->now - c->rcv_space_time < rtt)
		return;
	if (c->rcv_nxt - c->rcv_space_seq > c->rcv_space / 2)
		c->rcv_space = RTE_MIN(2 * c->rcv_space, c->rcvbuf);
	c->rcv_space_seq = c->rcv_nxt;
	c->rcv_space_time = tw->now;
}

/* The window field for a segment; never shrinks the advertised right edge
 * (RFC 9293 3.8.6.2.2). */
static uint16_t
tcp_window_field(struct dpx_tcb *c, bool syn)
{
	uint32_t win = tcp_rcv_window(c), field, edge;
	uint8_t shift = syn ? 0 : c->rcv_wscale;

	if (seq_lt(c->rcv_nxt + win, c->rcv_adv))
		win = c->rcv_adv - c->rcv_nxt;
	field = RTE_MIN(win >> shift, 65535u);
	edge = c->rcv_nxt + (field << shift);
	if (seq_gt(edge, c->rcv_adv))
		c->rcv_adv = edge;
	return (uint16_t)field;
}

/* The pseudo header's sum, not inverted: what a device that completes
 * the TCP checksum expects in the field (DPDK's convention). */
static uint16_t
tcp_pseudo_sum(const struct tcp_key *k, uint16_t len)
{
	return dpx_cksum_pseudo(k->laddr, k->raddr, IPPROTO_TCP, len);
}

/* The checksum of segment m: its header and options (hdr_sum over hdr
 * bytes), then copy bytes whose sum is copy_sum, then the chained
 * references, which carry their own sums or are summed. */
static uint16_t
tcp_checksum(const struct tcp_key *k, const struct rte_mbuf *m,
	     uint16_t hdr_sum, uint32_t hdr, uint32_t copy, uint16_t copy_sum)
{
	uint32_t sum, rest = m->next != NULL ? dpx_cksum_chain(m->next) : 0;

	/* hdr is a multiple of 4: the copied bytes start at an even offset */
	sum = (uint32_t)tcp_pseudo_sum(k, (uint16_t)m->pkt_len) + hdr_sum +
	      copy_sum + ((hdr + copy) & 1 ? rte_bswap16((uint16_t)rest) : rest);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The send-queue segment holding the byte off bytes after snd_una;
 * *off becomes the offset inside it. Segments go out in order, so the
 * search starts where the last one ended (snd_cur), not at the head: a
 * walk from the head for every segment was quadratic in the queue (a
 * 256 KB queue is ~180 mbufs, and L4 bulk spent half its cycles here). */
static struct rte_mbuf *
sndq_seek(struct dpx_tcb *c, uint32_t *off)
{
	uint32_t target = c->snd_una + *off, seq;
	struct rte_mbuf *seg;

	if (c->snd_cur != NULL && seq_leq(c->snd_cur_seq, target)) {
		seg = c->snd_cur;
		seq = c->snd_cur_seq;
	} else {
		seg = c->sndq_head;
		seq = c->snd_una - c->sndq_head_off;
	}
	while (seg != NULL && target - seq >= seg->data_len) {
		seq += seg->data_len;
		seg = seg->next;
	}
	if (seg != NULL) {
		c->snd_cur = seg;
		c->snd_cur_seq = seq;
	}
	*off = target - seq;
	return seg;
}

/* Zero copy: chains indirect mbufs that reference len queued bytes
 * starting off bytes after snd_una onto m. Returns 0 or -ENOBUFS. */
static int
sndq_attach(struct dpx_tcb *c, struct dpx_tcp_worker *tw,
	    struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	struct rte_mbuf *seg = sndq_seek(c, &off);

	while (seg != NULL && len > 0) {
		uint32_t n = RTE_MIN(len, (uint32_t)seg->data_len - off);
		struct rte_mbuf *mi = tcp_mbuf_alloc(tw);

		if (mi == NULL)
			return -ENOBUFS;
		uint16_t sum;

		rte_pktmbuf_attach(mi, seg);
		/* attach copied the queue link too: this is a lone segment */
		mi->next = NULL;
		mi->nb_segs = 1;
		/* ... and the flag of a known sum: the sum is the segment's
		 * only when the reference covers all of it. */
		if (off == 0 && n == seg->data_len && dpx_mbuf_sum_get(seg, &sum))
			dpx_mbuf_sum_set(mi, sum);
		else
			dpx_mbuf_sum_clear(mi);
		mi->data_off += off;
		mi->data_len = (uint16_t)n;
		mi->pkt_len = n;
		if (rte_pktmbuf_chain(m, mi) != 0) {
			rte_pktmbuf_free(mi);
			return -ENOBUFS;
		}
		len -= n;
		off = 0;
		seg = seg->next;
	}
	return 0;
}

/* Pieces of the send queue no bigger than this are copied into the
 * segment's header mbuf rather than referenced: a copy of a small piece
 * costs less than an indirect mbuf (an allocation, and an atomic
 * reference count taken on the queued mbuf and released when the device
 * is done). Large pieces are referenced: on a zero-copy link the lines a
 * copy writes were last read by the other side's core. */
#define TCP_COPY_SMALL 256u

/* How many of the len bytes at off to copy: the leading pieces (or what
 * of them the segment takes) while each is small. */
static uint32_t
sndq_copy_lead(struct dpx_tcb *c, uint32_t off, uint32_t len)
{
	const struct rte_mbuf *seg = sndq_seek(c, &off);
	uint32_t lead = 0;

	while (seg != NULL && lead < len) {
		uint32_t n = RTE_MIN(len - lead, (uint32_t)seg->data_len - off);

		if (n > TCP_COPY_SMALL || lead + n > 2 * TCP_COPY_SMALL)
			break;
		lead += n;
		off = 0;
		seg = seg->next;
	}
	return lead;
}

/* Copies len queued bytes starting off bytes after snd_una into dst;
 * returns their sum (as dpx_cksum()), known or taken of the copy. */
static uint16_t
sndq_copy(struct dpx_tcb *c, uint32_t off, uint8_t *dst, uint32_t len)
{
	const struct rte_mbuf *m = sndq_seek(c, &off);
	uint32_t sum = 0, done = 0;

	while (m != NULL && len > 0) {
		uint32_t n = RTE_MIN(len, (uint32_t)m->data_len - off);
		const uint8_t *src = rte_pktmbuf_mtod_offset(m, const uint8_t *,
							     off);
		uint16_t part;

		/* The source is summed, not the copy: on a zero-copy link
		 * dst's lines were last read by the other side's core, and
		 * loads of them would wait for the copy's stores to own
		 * them. */
		if (off != 0 || n != m->data_len || !dpx_mbuf_sum_get(m, &part))
			part = dpx_cksum(src, n);
		memcpy(dst, src, n);
		sum += done & 1 ? rte_bswap16(part) : part;
		done += n;
		dst += n;
		len -= n;
		off = 0;
		m = m->next;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* How many SACK blocks the next segment carries. */
static unsigned int
tcp_sack_count(const struct dpx_tcb *c)
{
	unsigned int n = 0, max = c->ts_ok ? 3 : 4;
	uint32_t end = 0;

	if (!c->sack_ok)
		return 0;
	for (const struct rte_mbuf *m = c->ooo_head; m != NULL && n < max;
	     m = m->next) {
		if (n == 0 || m->hash.usr != end)
			n++;
		end = m->hash.usr + m->data_len;
	}
	return n;
}

/*
 * Payload that fits one segment now: the MSS less the SACK option that
 * rides along while we hold out-of-order data (c->mss already leaves room
 * for timestamps). Without this, full segments would outgrow the MTU.
 */
uint32_t
tcp_seg_payload(const struct dpx_tcb *c)
{
	unsigned int n = tcp_sack_count(c);

	return c->mss - (n ? 4 + 8 * n : 0);
}

/* SACK blocks (RFC 2018): the runs we hold, merged; the one with the
 * newest arrival first, then the rest in sequence order. */
static void
tcp_sack_blocks(const struct dpx_tcb *c, struct dpx_tcp_opts *o)
{
	struct dpx_tcp_sack_block runs[DPX_TCP_MAX_SACK * 2];
	unsigned int n = 0, max = c->ts_ok ? 3 : 4, first = 0;

	for (const struct rte_mbuf *m = c->ooo_head; m != NULL; m = m->next) {
		uint32_t start = m->hash.usr, end = start + m->data_len;

		if (n && runs[n - 1].end == start) {
			runs[n - 1].end = end;
			continue;
		}
		if (n == RTE_DIM(runs))
			break;
		runs[n].start = start;
		runs[n++].end = end;
	}
	for (unsigned int i = 0; i < n; i++)
		if (seq_geq(c->last_ooo_seq, runs[i].start) &&
		    seq_lt(c->last_ooo_seq, runs[i].end))
			first = i;
	o->sack[o->n_sack++] = runs[first];
	for (unsigned int i = 0; i < n && o->n_sack < max; i++)
		if (i != first)
			o->sack[o->n_sack++] = runs[i];
}

static int
tcp_build_options(struct dpx_worker *w, const struct dpx_tcb *c, bool syn,
		  uint8_t *buf)
{
	const struct dpx_tcp_conf *conf = tcp_w(w)->conf;
	struct dpx_tcp_opts o;

	memset(&o, 0, sizeof(o));
	if (syn) {
		o.present |= DPX_TCPOPT_MSS;
		o.mss = c->adv_mss;
		if (c->ws_ok || (c->state == TCP_SYN_SENT &&
				 conf->window_scaling)) {
			o.present |= DPX_TCPOPT_WSCALE;
			o.wscale = c->rcv_wscale;
		}
		if (c->sack_ok || (c->state == TCP_SYN_SENT && conf->sack))
			o.present |= DPX_TCPOPT_SACK_PERM;
	}
	if (c->ts_ok || (syn && c->state == TCP_SYN_SENT && conf->timestamps)) {
		o.present |= DPX_TCPOPT_TS;
		o.ts_val = c->cookie_ts ? c->cookie_ts : tcp_ts_now(tcp_w(w));
		o.ts_ecr = c->ts_recent;
	}
	if (!syn && c->sack_ok && c->ooo_head != NULL)
		tcp_sack_blocks(c, &o);
	if (o.n_sack)
		o.present |= DPX_TCPOPT_SACK;
	return dpx_tcp_opts_build(&o, syn, buf, 40);
}

/*
 * Builds and sends one segment of connection c: seq, flags, and len
 * payload bytes copied from the send queue at off bytes after snd_una.
 */
static int
tcp_emit(struct dpx_worker *w, struct dpx_tcb *c, uint32_t seq,
	 uint8_t flags, uint32_t off, uint32_t len)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	bool syn = flags & RTE_TCP_SYN_FLAG;
	/* Built here and summed before it goes to the mbuf, whose lines
	 * may belong to another core (see sndq_copy()). */
	union {
		struct rte_tcp_hdr th;
		uint8_t b[sizeof(struct rte_tcp_hdr) + 40];
	} h;
	uint64_t offloads = dpx_net_port(w, c->port)->tx_offloads;
	/* Payload by reference when the device sends mbuf chains. */
	bool zero_copy = len > 0 && (offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m = tcp_mbuf_alloc(tw);
	uint32_t copy, hlen;
	uint16_t copy_sum = 0;
	int optlen;

	if (m == NULL) {
		tw->stats.drop_no_mbuf++;
		return -ENOBUFS;
	}
	/* The lines the headers go to (Ethernet and IPv4 are prepended
	 * before the TCP header): fetched while the header is built. */
	rte_prefetch0_write(rte_pktmbuf_mtod_offset(m, char *,
						    -RTE_CACHE_LINE_SIZE));
	rte_prefetch0_write(rte_pktmbuf_mtod(m, char *));
	optlen = tcp_build_options(w, c, syn, h.b + sizeof(h.th));
	if (optlen < 0)
		optlen = 0;
	hlen = sizeof(h.th) + (uint32_t)optlen;
	copy = zero_copy ? sndq_copy_lead(c, off, len) : len;
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, hlen + copy);
	if (th == NULL) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	h.th.src_port = rte_cpu_to_be_16(c->key.lport);
	h.th.dst_port = rte_cpu_to_be_16(c->key.rport);
	h.th.sent_seq = rte_cpu_to_be_32(seq);
	h.th.recv_ack = rte_cpu_to_be_32(c->rcv_nxt);
	h.th.data_off = (uint8_t)((hlen / 4) << 4);
	h.th.tcp_flags = flags;
	h.th.rx_win = rte_cpu_to_be_16(tcp_window_field(c, syn));
	h.th.cksum = 0;
	h.th.tcp_urp = 0;
	memcpy(th, h.b, hlen);
	if (copy)
		copy_sum = sndq_copy(c, off, (uint8_t *)th + hlen, copy);
	if (len > copy &&
	    sndq_attach(c, tw, m, off + copy, len - copy) != 0) {
		tw->stats.drop_no_mbuf++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	if (offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		/* The device sums the segment; it wants the pseudo header's
		 * sum in the field and the header lengths. */
		th->cksum = tcp_pseudo_sum(&c->key, (uint16_t)m->pkt_len);
		m->l4_len = (uint8_t)hlen;
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	} else {
		th->cksum = tcp_checksum(&c->key, m, dpx_cksum(h.b, hlen), hlen,
					 copy, copy_sum);
	}
	if (flags & RTE_TCP_ACK_FLAG) {
		c->last_ack_sent = c->rcv_nxt;
		c->unacked_segs = 0;
		dpx_timer_cancel(&tw->wheel, &c->delack_timer);
	}
	tw->stats.segs_out++;
	return dpx_ipv4_output_path(w, &c->path, m, c->key.laddr, c->key.raddr,
				    IPPROTO_TCP);
}

void
tcp_send_ack(struct dpx_worker *w, struct dpx_tcb *c)
{
	tcp_emit(w, c, c->snd_nxt, RTE_TCP_ACK_FLAG, 0, 0);
}

void
tcp_send_syn(struct dpx_worker *w, struct dpx_tcb *c)
{
	uint8_t flags = RTE_TCP_SYN_FLAG;

	if (c->state == TCP_SYN_RCVD)
		flags |= RTE_TCP_ACK_FLAG;
	tcp_emit(w, c, c->iss, flags, 0, 0);
	c->snd_nxt = c->iss + 1;
	if (seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
}

void
tcp_send_rst(struct dpx_worker *w, const struct tcp_key *k, unsigned int port,
	     uint32_t seq, uint32_t ack, bool with_ack)
{
	struct dpx_tcb tmp;

	/* A throw-away TCB carries the addresses: no options, no window. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.key = *k;
	tmp.port = port;
	tmp.rcv_nxt = ack;
	tcp_w(w)->stats.rst_sent++;
	tcp_emit(w, &tmp, seq, RTE_TCP_RST_FLAG |
		 (with_ack ? RTE_TCP_ACK_FLAG : 0), 0, 0);
}

/* One segment at snd_una again: fast retransmit, or a window probe. */
void
tcp_retransmit_head(struct dpx_worker *w, struct dpx_tcb *c)
{
	if (c->snd_wnd == 0 && tcp_inflight(c) == 0) {
		/* Zero-window probe: an old sequence number makes the peer
		 * answer with its current window. */
		tcp_emit(w, c, c->snd_una - 1, RTE_TCP_ACK_FLAG, 0, 0);
		return;
	}
	tcp_retransmit_at(w, c, c->snd_una,
			  RTE_MIN(tcp_seg_payload(c), c->sndq_bytes));
}

void
tcp_retransmit_at(struct dpx_worker *w, struct dpx_tcb *c, uint32_t seq,
		  uint32_t len)
{
	uint8_t flags = RTE_TCP_ACK_FLAG;

	if (c->fin_queued && seq + len == tcp_data_end(c) &&
	    seq_gt(c->snd_max, tcp_data_end(c)))
		flags |= RTE_TCP_FIN_FLAG;
	tcp_w(w)->stats.retransmits++;
	tcp_emit(w, c, seq, flags, seq - c->snd_una, len);
}

static bool
tcp_can_send_data(const struct dpx_tcb *c)
{
	return c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
	       c->state == TCP_FIN_WAIT_1 || c->state == TCP_CLOSING ||
	       c->state == TCP_LAST_ACK;
}

void
tcp_output(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct dpx_tcp_worker *tw = tcp_w(w);
	uint32_t win = RTE_MIN(c->cwnd, c->snd_wnd);

	if (!tcp_can_send_data(c))
		return;
	for (;;) {
		uint32_t inflight = tcp_inflight(c);
		uint32_t avail = win > inflight ? win - inflight : 0;
		uint32_t len = RTE_MIN(RTE_MIN(tcp_unsent(c), tcp_seg_payload(c)),
				       avail);
		bool fin = c->fin_queued && c->snd_nxt + len == tcp_data_end(c);
		uint8_t flags = RTE_TCP_ACK_FLAG;

		if (len == 0 && !fin)
			break;
		/* A runt while the application is still writing waits for
		 * the rest (or for the next ACK, which sends it anyway). */
		if (c->more && len == tcp_unsent(c) && len < tcp_seg_payload(c) &&
		    tcp_inflight(c) > 0)
			break;
		if (fin)
			flags |= RTE_TCP_FIN_FLAG;
		if (len && len == tcp_unsent(c))
			flags |= RTE_TCP_PSH_FLAG;
		if (seq_lt(c->snd_nxt, c->snd_max))
			tw->stats.retransmits++;
		else if (!c->ts_ok && !c->rtt_timing) {
			c->rtt_timing = true;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = (uint32_t)tw->now;
		}
		if (tcp_emit(w, c, c->snd_nxt, flags, c->snd_nxt - c->snd_una,
			     len) == -ENOBUFS)
			break;
		c->snd_nxt += len + (fin ? 1 : 0);
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		if (!dpx_timer_pending(&c->rtx_timer))
			tcp_arm_rtx(w, c);
		if (fin)
			break;
	}
	/* Data waits behind a zero window: the persist timer probes. */
	if (tcp_unsent(c) && tcp_inflight(c) == 0 &&
	    !dpx_timer_pending(&c->rtx_timer))
		tcp_arm_rtx(w, c);
}
