/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-by-packet tests of the TCP state machine: crafted segments from a
 * fake peer go in through dpx_net_input(); the segments dpx queues for TX
 * are parsed and checked field by field. Time is driven by hand.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dpx_test.h"
#include "net_priv.h"
#include "tcp_priv.h"
#include "test_eal.h"
#include "test_net_fixture.h"

#define OUR_IP  0xc6120001u /* 198.18.0.1 */
#define PEER_IP 0xc6120002u /* 198.18.0.2 */
#define OUR_PORT 7
#define PEER_PORT 40000
#define PEER_ISN 1000000u
#define PEER_TS 5000u

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 1 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 2 }};

static uint16_t dst_port = OUR_PORT;   /* where peer_send aims */
static uint16_t src_port = PEER_PORT;  /* and where it comes from */
static bool corrupt_checksum;           /* peer_send breaks its checksum */
static unsigned int zero_copy_frames;   /* chained frames popped */
static struct dpx_config cfg;
static struct dpx_net net;
static struct rte_mempool *pool;

/* What the fake application saw. */
static struct {
	struct dpx_tcb *c;
	uint8_t data[65536];
	uint32_t len;
	int accepted, peer_closed, closed, closed_err;
	bool hold;               /* keep received bytes: no recv_done */
	bool echo;               /* send received mbufs back as they are */
} app;

/* One segment dpx sent, decoded. */
struct out_seg {
	uint8_t flags;
	uint32_t seq, ack, win, len;
	struct dpx_tcp_opts opts;
	uint8_t payload[2048];
};

static void
app_accepted(struct dpx_worker *w, struct dpx_tcb *c, void *arg)
{
	(void)w;
	(void)arg;
	app.c = c;
	app.accepted++;
}

static void
app_data(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	uint32_t n = m->pkt_len;

	if (app.len + n <= sizeof(app.data)) {
		rte_pktmbuf_read(m, 0, n, app.data + app.len);
		memcpy(app.data + app.len,
		       rte_pktmbuf_read(m, 0, n, app.data + app.len), n);
	}
	app.len += n;
	if (!app.echo || dpx_tcp_send(w, c, m) != 0)
		rte_pktmbuf_free(m);
	if (!app.hold)
		dpx_tcp_recv_done(w, c, n);
}

static void
app_peer_closed(struct dpx_worker *w, struct dpx_tcb *c)
{
	(void)w;
	(void)c;
	app.peer_closed++;
}

static void
app_closed(struct dpx_worker *w, struct dpx_tcb *c, int err)
{
	(void)w;
	(void)c;
	app.closed++;
	app.closed_err = err;
	app.c = NULL;
}

static const struct dpx_tcp_callbacks app_cb = {
	.accepted = app_accepted,
	.data = app_data,
	.peer_closed = app_peer_closed,
	.closed = app_closed,
};

static struct dpx_tcp_worker *
tw_of(struct dpx_worker *w)
{
	return w->tcp;
}

static void
tx_clear(struct dpx_worker *w)
{
	rte_pktmbuf_free_bulk(w->net->tx[0].pkts, w->net->tx[0].count);
	w->net->tx[0].count = 0;
}

static void
worker_setup(struct dpx_worker *w)
{
	memset(w, 0, sizeof(*w));
	memset(&app, 0, sizeof(app));
	w->cfg = &cfg;
	CHECK_EQ(dpx_net_worker_init(w, &net), 0);
	CHECK_EQ(dpx_tcp_worker_init(w), 0);
	CHECK_EQ(dpx_tcp_listen(w, OUR_IP, OUR_PORT, 16, &app_cb, NULL), 0);
	/* The peer's MAC, so replies go straight to the TX buffer. */
	test_net_learn_neighbour(w, pool, OUR_IP, PEER_IP, &peer_mac);
	tx_clear(w);
}

static void
worker_teardown(struct dpx_worker *w)
{
	tx_clear(w);
	dpx_tcp_worker_fini(w);
	dpx_net_worker_fini(w);
	CHECK_EQ(rte_mempool_in_use_count(pool), 0);
}

/* The rest of a worker pass after input: the application hears of what
 * arrived, then what it (or TCP) queued goes out. */
static void
pump(struct dpx_worker *w)
{
	dpx_tcp_deliver(w);
	dpx_tcp_output(w);
}

/* Moves the clock and runs due timers. */
static void
advance_ms(struct dpx_worker *w, uint64_t ms)
{
	tw_of(w)->now += ms;
	dpx_timer_advance(&tw_of(w)->wheel, tw_of(w)->now);
	pump(w);
}

/* Sends a segment from the peer; opts may be NULL. */
static void
peer_send(struct dpx_worker *w, uint8_t flags, uint32_t seq, uint32_t ack,
	  uint16_t win, const struct dpx_tcp_opts *opts, const void *data,
	  uint32_t len)
{
	uint8_t optbuf[40];
	int optlen = opts ? dpx_tcp_opts_build(opts, flags & RTE_TCP_SYN_FLAG,
					       optbuf, sizeof(optbuf)) : 0;
	uint32_t l4 = sizeof(struct rte_tcp_hdr) + optlen + len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) +
							  sizeof(*ip) + l4);
	eth->dst_addr = our_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(src_port);
	th->dst_port = rte_cpu_to_be_16(dst_port);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->cksum = 0;
	th->tcp_urp = 0;
	memcpy(th + 1, optbuf, optlen);
	if (len)
		memcpy((uint8_t *)(th + 1) + optlen, data, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	if (corrupt_checksum)
		th->cksum ^= 0x0100;
	dpx_net_input(w, 0, m);
	pump(w);
}

/* Pops the oldest segment dpx queued; returns false when there is none.
 * The frame is read out whole, so chained (zero-copy) frames work too. */
static bool
pop_seg(struct dpx_worker *w, struct out_seg *o)
{
	struct dpx_tx_buffer *b = &w->net->tx[0];
	static uint8_t frame[4096];
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t hlen;

	if (b->count == 0)
		return false;
	m = b->pkts[0];
	memmove(b->pkts, b->pkts + 1, (b->count - 1) * sizeof(b->pkts[0]));
	b->count--;
	memset(o, 0, sizeof(*o));
	CHECK(m->pkt_len <= sizeof(frame));
	if (m->pkt_len > sizeof(frame)) {
		rte_pktmbuf_free(m);
		return false;
	}
	memcpy(frame, rte_pktmbuf_read(m, 0, m->pkt_len, frame), m->pkt_len);
	if (m->nb_segs > 1)
		zero_copy_frames++;
	rte_pktmbuf_free(m);
	ip = (const struct rte_ipv4_hdr *)(frame + 14);
	th = (const struct rte_tcp_hdr *)(ip + 1);
	CHECK_EQ(ip->next_proto_id, IPPROTO_TCP);
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, th), 0);
	hlen = (th->data_off >> 4) * 4;
	o->flags = th->tcp_flags;
	o->seq = rte_be_to_cpu_32(th->sent_seq);
	o->ack = rte_be_to_cpu_32(th->recv_ack);
	o->win = rte_be_to_cpu_16(th->rx_win);
	o->len = rte_be_to_cpu_16(ip->total_length) - 20 - hlen;
	CHECK_EQ(dpx_tcp_opts_parse((const uint8_t *)(th + 1), hlen - 20,
				    o->flags & RTE_TCP_SYN_FLAG, &o->opts), 0);
	if (o->len <= sizeof(o->payload))
		memcpy(o->payload, (const uint8_t *)th + hlen, o->len);
	return true;
}

static unsigned int
tx_count(struct dpx_worker *w)
{
	return w->net->tx[0].count;
}

static struct dpx_tcp_opts
peer_opts(uint32_t ts_val, uint32_t ts_ecr)
{
	struct dpx_tcp_opts o;

	memset(&o, 0, sizeof(o));
	o.present = DPX_TCPOPT_TS;
	o.ts_val = ts_val;
	o.ts_ecr = ts_ecr;
	return o;
}

/* Completes a handshake; returns dpx's ISS. Peer: MSS 1460, wscale 7,
 * SACK, timestamps. */
static uint32_t
handshake(struct dpx_worker *w, uint32_t *our_ts)
{
	struct dpx_tcp_opts o;
	struct out_seg s;

	memset(&o, 0, sizeof(o));
	o.present = DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE | DPX_TCPOPT_SACK_PERM |
		    DPX_TCPOPT_TS;
	o.mss = 1460;
	o.wscale = 7;
	o.ts_val = PEER_TS;
	peer_send(w, RTE_TCP_SYN_FLAG, PEER_ISN, 0, 65535, &o, NULL, 0);
	CHECK(pop_seg(w, &s));
	CHECK_EQ(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, PEER_ISN + 1);
	CHECK(s.opts.present & DPX_TCPOPT_MSS);
	CHECK_EQ(s.opts.mss, 1460);
	CHECK(s.opts.present & DPX_TCPOPT_WSCALE);
	CHECK(s.opts.present & DPX_TCPOPT_SACK_PERM);
	CHECK(s.opts.present & DPX_TCPOPT_TS);
	CHECK_EQ(s.opts.ts_ecr, PEER_TS);
	*our_ts = s.opts.ts_val;
	o = peer_opts(PEER_TS + 1, s.opts.ts_val);
	peer_send(w, RTE_TCP_ACK_FLAG, PEER_ISN + 1, s.seq + 1, 512, &o, NULL, 0);
	CHECK_EQ(app.accepted, 1);
	CHECK(app.c != NULL);
	CHECK_EQ(tx_count(w), 0);
	return s.seq;
}

#define SEQ0 (PEER_ISN + 1)

static void
send_data(struct dpx_worker *w, uint32_t seq, uint32_t iss, uint32_t our_ts,
	  const char *data, uint32_t len, uint8_t extra_flags)
{
	struct dpx_tcp_opts o = peer_opts(PEER_TS + 2, our_ts);

	peer_send(w, RTE_TCP_ACK_FLAG | extra_flags, seq, iss + 1, 512, &o,
		  data, len);
}

static void
test_handshake_and_delayed_ack(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	CHECK_EQ(tw_of(&w)->stats.conns_active, 1);
	send_data(&w, SEQ0, iss, ts, "hello", 5, RTE_TCP_PSH_FLAG);
	CHECK_EQ(app.len, 5);
	CHECK(memcmp(app.data, "hello", 5) == 0);
	CHECK_EQ(tx_count(&w), 0);               /* one segment: ACK waits */
	advance_ms(&w, cfg.tcp.delayed_ack_ms);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, SEQ0 + 5);
	CHECK_EQ(s.len, 0);
	/* Two segments: ACKed at once. */
	send_data(&w, SEQ0 + 5, iss, ts, "abc", 3, 0);
	send_data(&w, SEQ0 + 8, iss, ts, "def", 3, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 11);
	CHECK_EQ(app.len, 11);
	worker_teardown(&w);
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(app.closed_err, -ECONNABORTED);
}

static void
test_out_of_window_and_overlap(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;
	char buf[150];

	for (int i = 0; i < 150; i++)
		buf[i] = (char)('A' + i % 26);
	worker_setup(&w);
	iss = handshake(&w, &ts);
	/* Far beyond the window: ACK with what we expect, no delivery. */
	send_data(&w, SEQ0 + 10000000, iss, ts, buf, 10, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0);
	CHECK_EQ(app.len, 0);
	CHECK_EQ(tw_of(&w)->stats.drop_out_of_window, 1);
	/* [0,100) then an overlapping retransmission [50,150). */
	send_data(&w, SEQ0, iss, ts, buf, 100, 0);
	send_data(&w, SEQ0 + 50, iss, ts, buf + 50, 100, 0);
	CHECK_EQ(app.len, 150);
	CHECK(memcmp(app.data, buf, 150) == 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 150);
	worker_teardown(&w);
}

static void
test_out_of_order_and_sack(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;
	char buf[300];

	for (int i = 0; i < 300; i++)
		buf[i] = (char)i;
	worker_setup(&w);
	iss = handshake(&w, &ts);
	send_data(&w, SEQ0 + 200, iss, ts, buf + 200, 100, 0);
	send_data(&w, SEQ0 + 100, iss, ts, buf + 100, 100, 0);
	CHECK_EQ(app.len, 0);
	CHECK(pop_seg(&w, &s));                  /* dup ACK + SACK */
	CHECK_EQ(s.ack, SEQ0);
	CHECK_EQ(s.opts.n_sack, 1);
	CHECK_EQ(s.opts.sack[0].start, SEQ0 + 200);
	CHECK_EQ(s.opts.sack[0].end, SEQ0 + 300);
	CHECK(pop_seg(&w, &s));                  /* blocks merge */
	CHECK_EQ(s.opts.n_sack, 1);
	CHECK_EQ(s.opts.sack[0].start, SEQ0 + 100);
	CHECK_EQ(s.opts.sack[0].end, SEQ0 + 300);
	send_data(&w, SEQ0, iss, ts, buf, 100, 0);  /* fills the hole */
	CHECK_EQ(app.len, 300);
	CHECK(memcmp(app.data, buf, 300) == 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 300);
	CHECK_EQ(s.opts.n_sack, 0);
	CHECK_EQ(tw_of(&w)->stats.ooo_segs, 2);
	worker_teardown(&w);
}

static void
test_rst_handling(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	/* In the window but not exact: challenge ACK, still alive. */
	peer_send(&w, RTE_TCP_RST_FLAG, SEQ0 + 100, 0, 0, NULL, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, SEQ0);
	CHECK_EQ(tw_of(&w)->stats.challenge_acks, 1);
	CHECK_EQ(app.closed, 0);
	/* Outside the window: ignored without a word. */
	peer_send(&w, RTE_TCP_RST_FLAG, SEQ0 - 100000, 0, 0, NULL, NULL, 0);
	CHECK_EQ(tx_count(&w), 0);
	CHECK_EQ(app.closed, 0);
	/* A SYN on an established connection: challenge ACK (RFC 5961). */
	peer_send(&w, RTE_TCP_SYN_FLAG, SEQ0 + 5, 0, 512, NULL, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0);
	CHECK_EQ(app.closed, 0);
	/* Exactly rcv_nxt: the connection is reset. */
	peer_send(&w, RTE_TCP_RST_FLAG, SEQ0, 0, 0, NULL, NULL, 0);
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(app.closed_err, -ECONNRESET);
	CHECK_EQ(tw_of(&w)->stats.conns_active, 0);
	(void)iss;
	worker_teardown(&w);
}

static void
test_fin_with_data_and_passive_close(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	send_data(&w, SEQ0, iss, ts, "0123456789", 10, RTE_TCP_FIN_FLAG);
	CHECK_EQ(app.len, 10);
	CHECK_EQ(app.peer_closed, 1);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 11);
	CHECK_EQ(app.c->state, TCP_CLOSE_WAIT);
	dpx_tcp_close(&w, app.c);
	pump(&w);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG);
	CHECK_EQ(s.seq, iss + 1);
	send_data(&w, SEQ0 + 11, iss + 1, ts, NULL, 0, 0);
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(app.closed_err, 0);
	CHECK_EQ(tw_of(&w)->stats.conns_active, 0);
	worker_teardown(&w);
}

static void
test_zero_window(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss, held;
	char buf[1000];

	memset(buf, 'z', sizeof(buf));
	cfg.tcp.rcvbuf = 4096;
	worker_setup(&w);
	app.hold = true;
	iss = handshake(&w, &ts);
	for (uint32_t off = 0; off < 4000; off += 1000)
		send_data(&w, SEQ0 + off, iss, ts, buf, 1000, 0);
	while (pop_seg(&w, &s))
		;
	send_data(&w, SEQ0 + 4000, iss, ts, buf, 96, 0);  /* fills it */
	advance_ms(&w, cfg.tcp.delayed_ack_ms);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 4096);
	CHECK_EQ(s.win, 0);
	/* More data into a zero window: not delivered, ACKed as is. */
	send_data(&w, SEQ0 + 4096, iss, ts, buf, 100, 0);
	CHECK_EQ(app.len, 4096);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 4096);
	CHECK_EQ(s.win, 0);
	/* The application catches up: a window update goes out. */
	held = app.len;
	dpx_tcp_recv_done(&w, app.c, held);
	pump(&w);
	CHECK(pop_seg(&w, &s));
	CHECK(s.win > 0);
	CHECK_EQ(s.win << 0, (4096u >> 0) >> app.c->rcv_wscale);
	cfg.tcp.rcvbuf = 262144;
	worker_teardown(&w);
}

static void
test_paws(void)
{
	struct dpx_worker w;
	struct out_seg s;
	struct dpx_tcp_opts o;
	uint32_t ts, iss;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	send_data(&w, SEQ0, iss, ts, "new", 3, 0);   /* ts_recent = +2 */
	o = peer_opts(PEER_TS - 100, ts);            /* an old timestamp */
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0 + 3, iss + 1, 512, &o, "old", 3);
	CHECK_EQ(app.len, 3);
	CHECK_EQ(tw_of(&w)->stats.drop_paws, 1);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 3);
	worker_teardown(&w);
}

/* Active close, then the peer's FIN: TIME_WAIT; a new SYN reuses it. */
static void
test_time_wait_reuse(void)
{
	struct dpx_worker w;
	struct out_seg s;
	struct dpx_tcp_opts o;
	uint32_t ts, iss;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	dpx_tcp_close(&w, app.c);
	pump(&w);
	CHECK(pop_seg(&w, &s));
	CHECK(s.flags & RTE_TCP_FIN_FLAG);
	send_data(&w, SEQ0, iss + 1, ts, NULL, 0, 0);    /* ACKs our FIN */
	CHECK_EQ(app.c->state, TCP_FIN_WAIT_2);
	send_data(&w, SEQ0, iss + 1, ts, NULL, 0, RTE_TCP_FIN_FLAG);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 1);
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(tw_of(&w)->stats.conns_time_wait, 1);
	/* A retransmitted FIN is ACKed again. */
	send_data(&w, SEQ0 + 1, iss + 1, ts, NULL, 0, RTE_TCP_FIN_FLAG);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.ack, SEQ0 + 1);
	/* A new SYN with a higher sequence number opens a new connection. */
	memset(&o, 0, sizeof(o));
	o.present = DPX_TCPOPT_MSS | DPX_TCPOPT_TS;
	o.mss = 1460;
	o.ts_val = PEER_TS + 50;
	peer_send(&w, RTE_TCP_SYN_FLAG, SEQ0 + 100000, 0, 65535, &o, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, SEQ0 + 100001);
	CHECK_EQ(tw_of(&w)->stats.conns_time_wait, 0);
	CHECK_EQ(tw_of(&w)->stats.conns_syn_rcvd, 1);
	worker_teardown(&w);
}

/* Without TIME_WAIT (tcp.time_wait_ms 0) the peer's FIN is still ACKed,
 * and the TCB goes at the next timer pass. */
static void
test_no_time_wait(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;

	cfg.tcp.time_wait_ms = 0;
	worker_setup(&w);
	iss = handshake(&w, &ts);
	dpx_tcp_close(&w, app.c);
	pump(&w);
	CHECK(pop_seg(&w, &s));
	CHECK(s.flags & RTE_TCP_FIN_FLAG);
	send_data(&w, SEQ0, iss + 1, ts, NULL, 0, 0);    /* ACKs our FIN */
	send_data(&w, SEQ0, iss + 1, ts, NULL, 0, RTE_TCP_FIN_FLAG);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, SEQ0 + 1);
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(tx_count(&w), 0);
	advance_ms(&w, 1);
	CHECK_EQ(tw_of(&w)->stats.conns_time_wait, 0);
	CHECK_EQ(rte_hash_count(tw_of(&w)->table), 0);
	worker_teardown(&w);
	cfg.tcp.time_wait_ms = 60000;
}

/* A chain of 1000-byte segments holding len bytes of *fill. */
static struct rte_mbuf *
app_mbuf(const char *fill, uint32_t len)
{
	struct rte_mbuf *head = NULL;

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = RTE_MIN(len, 1000u);

		memset(rte_pktmbuf_append(m, n), *fill, n);
		if (head == NULL)
			head = m;
		else
			CHECK_EQ(rte_pktmbuf_chain(head, m), 0);
		len -= n;
	}
	return head;
}

static void
test_rto_and_fast_retransmit(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss, mss;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	mss = app.c->mss;
	CHECK_EQ(mss, 1460 - 12);
	CHECK_EQ(dpx_tcp_send(&w, app.c, app_mbuf("a", 5 * mss)), 0);
	pump(&w);
	for (int i = 0; i < 5; i++) {
		CHECK(pop_seg(&w, &s));
		CHECK_EQ(s.seq, iss + 1 + i * mss);
		CHECK_EQ(s.len, mss);
	}
	CHECK_EQ(tx_count(&w), 0);
	/* Three duplicate ACKs: the first segment again, at once. */
	for (int i = 0; i < 3; i++)
		send_data(&w, SEQ0, iss, ts, NULL, 0, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.seq, iss + 1);
	CHECK_EQ(s.len, mss);
	CHECK_EQ(tw_of(&w)->stats.fast_retransmits, 1);
	/* Full ACK, then new data goes unacknowledged: first a tail loss
	 * probe after about two round trips (RFC 8985), then the RTO. */
	send_data(&w, SEQ0, iss + 5 * mss, ts, NULL, 0, 0);
	CHECK_EQ(dpx_tcp_send(&w, app.c, app_mbuf("b", 100)), 0);
	pump(&w);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.len, 100);
	CHECK_EQ(tx_count(&w), 0);
	advance_ms(&w, 2 * (app.c->srtt8 >> 3) + cfg.tcp.delayed_ack_ms + 10);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.seq, iss + 1 + 5 * mss);
	CHECK_EQ(s.len, 100);
	CHECK_EQ(tw_of(&w)->stats.tail_loss_probes, 1);
	CHECK_EQ(tw_of(&w)->stats.rto_expired, 0);
	advance_ms(&w, app.c->rto);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.seq, iss + 1 + 5 * mss);
	CHECK_EQ(s.len, 100);
	CHECK_EQ(s.payload[0], 'b');
	CHECK_EQ(tw_of(&w)->stats.rto_expired, 1);
	CHECK_EQ(app.c->cwnd, mss);
	worker_teardown(&w);
}

static void
test_closed_port_and_bad_checksum(void)
{
	struct dpx_worker w;
	struct out_seg s;

	worker_setup(&w);
	dst_port = OUR_PORT + 1;
	/* A SYN to a closed port: RST|ACK acknowledging the SYN. */
	peer_send(&w, RTE_TCP_SYN_FLAG, 777, 0, 512, NULL, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.seq, 0);
	CHECK_EQ(s.ack, 778);
	/* An ACK for no connection: RST with its ACK number as sequence. */
	peer_send(&w, RTE_TCP_ACK_FLAG, 777, 4242, 512, NULL, "x", 1);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_RST_FLAG);
	CHECK_EQ(s.seq, 4242);
	/* A RST for no connection: silence. */
	peer_send(&w, RTE_TCP_RST_FLAG, 777, 0, 0, NULL, NULL, 0);
	CHECK_EQ(tx_count(&w), 0);
	CHECK_EQ(tw_of(&w)->stats.drop_no_listener, 2);
	dst_port = OUR_PORT;
	/* A corrupted checksum: dropped and counted, no answer. */
	corrupt_checksum = true;
	peer_send(&w, RTE_TCP_SYN_FLAG, 777, 0, 512, NULL, NULL, 0);
	corrupt_checksum = false;
	CHECK_EQ(tx_count(&w), 0);
	CHECK_EQ(tw_of(&w)->stats.drop_checksum, 1);
	CHECK_EQ(tw_of(&w)->stats.conns_syn_rcvd, 0);
	worker_teardown(&w);
}

static void
test_synack_retransmit(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t iss;

	worker_setup(&w);
	peer_send(&w, RTE_TCP_SYN_FLAG, PEER_ISN, 0, 512, NULL, NULL, 0);
	CHECK(pop_seg(&w, &s));
	iss = s.seq;
	advance_ms(&w, cfg.tcp.rto_initial_ms);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.seq, iss);
	/* No options from the peer: none from us but MSS. */
	CHECK_EQ(s.opts.present, DPX_TCPOPT_MSS);
	worker_teardown(&w);
}

/* The same with payload sent by reference from the send queue: the
 * full-sized data segments are chains (the 100-byte one is copied into
 * its header mbuf: pieces up to 256 bytes are), and every mbuf comes back
 * (teardown checks). */
static void
test_zero_copy_retransmit(void)
{
	net.ports[0].tx_offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	zero_copy_frames = 0;
	test_rto_and_fast_retransmit();
	CHECK_EQ(zero_copy_frames, 5 + 1);
	net.ports[0].tx_offloads &= ~RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
}

static void
test_syn_cookies(void)
{
	struct dpx_worker w;
	struct out_seg s;
	struct dpx_tcp_opts o;

	cfg.tcp.syn_cookies = DPX_SYNCOOKIE_ALWAYS;
	worker_setup(&w);
	memset(&o, 0, sizeof(o));
	o.present = DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE | DPX_TCPOPT_SACK_PERM |
		    DPX_TCPOPT_TS;
	o.mss = 1460;
	o.wscale = 9;
	o.ts_val = PEER_TS;
	peer_send(&w, RTE_TCP_SYN_FLAG, PEER_ISN, 0, 65535, &o, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, PEER_ISN + 1);
	CHECK_EQ(s.win, 65535);                  /* an open window, unscaled */
	CHECK(s.opts.present & DPX_TCPOPT_WSCALE);
	CHECK_EQ(tw_of(&w)->stats.syn_cookies_sent, 1);
	CHECK_EQ(tw_of(&w)->stats.conns_syn_rcvd, 0);   /* no state kept */
	/* A forged ACK (wrong cookie) is refused with RST. */
	o = peer_opts(PEER_TS + 1, s.opts.ts_val);
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0, s.seq + 2, 512, &o, NULL, 0);
	CHECK(pop_seg(&w, (struct out_seg[]){ 0 }));
	CHECK_EQ(app.accepted, 0);
	/* The real one opens the connection, options restored. */
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0, s.seq + 1, 512, &o, "hi", 2);
	CHECK_EQ(tw_of(&w)->stats.syn_cookies_ok, 1);
	CHECK_EQ(app.accepted, 1);
	CHECK_EQ(app.len, 2);
	if (app.c != NULL) {
		CHECK_EQ(app.c->snd_wscale, 9);
		CHECK(app.c->sack_ok);
		CHECK(app.c->ts_ok);
		CHECK_EQ(app.c->mss, 1460 - 12);
		CHECK_EQ(app.c->state, TCP_ESTABLISHED);
	}
	cfg.tcp.syn_cookies = DPX_SYNCOOKIE_AUTO;
	worker_teardown(&w);
}

/* auto: cookies only once the backlog (16 here) is full. */
static void
test_syn_cookies_when_backlog_full(void)
{
	struct dpx_worker w;
	struct out_seg s;

	worker_setup(&w);
	for (int i = 0; i < 17; i++) {
		dst_port = OUR_PORT;
		src_port = (uint16_t)(PEER_PORT + 1 + i);
		peer_send(&w, RTE_TCP_SYN_FLAG, PEER_ISN, 0, 512, NULL, NULL, 0);
		CHECK(pop_seg(&w, &s));
	}
	src_port = PEER_PORT;
	CHECK_EQ(tw_of(&w)->stats.conns_syn_rcvd, 16);
	CHECK_EQ(tw_of(&w)->stats.syn_cookies_sent, 1);
	worker_teardown(&w);
}

/* Active open: SYN with our options, SYN-ACK, ACK, established. */
static void
test_active_open(void)
{
	struct dpx_worker w;
	struct out_seg s;
	struct dpx_tcp_opts o;
	struct dpx_tcb *c;
	int err = 0;

	worker_setup(&w);
	c = dpx_tcp_connect(&w, 0, PEER_IP, 8080, &app_cb, NULL, &err);
	CHECK(c != NULL);
	CHECK_EQ(err, 0);
	if (c == NULL)
		goto out;
	CHECK(c->key.lport >= 32768 && c->key.lport <= 60999);
	CHECK_EQ(c->key.laddr, OUR_IP);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_SYN_FLAG);
	CHECK_EQ(s.opts.present, DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE |
		 DPX_TCPOPT_SACK_PERM | DPX_TCPOPT_TS);
	/* The peer answers from 8080 to our port. */
	src_port = 8080;
	dst_port = c->key.lport;
	memset(&o, 0, sizeof(o));
	o.present = DPX_TCPOPT_MSS | DPX_TCPOPT_TS;
	o.mss = 1400;
	o.ts_val = PEER_TS;
	o.ts_ecr = s.opts.ts_val;
	peer_send(&w, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, PEER_ISN, s.seq + 1,
		  65535, &o, NULL, 0);
	CHECK_EQ(app.accepted, 1);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.ack, PEER_ISN + 1);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK_EQ(c->mss, 1400 - 12);
	CHECK(!c->ws_ok);                        /* the peer did not offer it */
	CHECK_EQ(tw_of(&w)->stats.connected, 1);
out:
	src_port = PEER_PORT;
	dst_port = OUR_PORT;
	worker_teardown(&w);
}

static void
test_active_open_refused_and_timeout(void)
{
	struct dpx_worker w;
	struct out_seg s;
	struct dpx_tcb *c;
	int err = 0;

	worker_setup(&w);
	c = dpx_tcp_connect(&w, 0, PEER_IP, 8080, &app_cb, NULL, &err);
	CHECK(c != NULL && pop_seg(&w, &s));
	src_port = 8080;
	dst_port = c ? c->key.lport : 0;
	peer_send(&w, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, s.seq + 1, 0,
		  NULL, NULL, 0);
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(app.closed_err, -ECONNREFUSED);
	/* No answer at all: SYN retries with backoff, then -ETIMEDOUT. */
	c = dpx_tcp_connect(&w, 0, PEER_IP, 8080, &app_cb, NULL, &err);
	CHECK(c != NULL);
	for (int i = 0; i < 8 && app.closed < 2; i++) {
		while (pop_seg(&w, &s))
			CHECK_EQ(s.flags, RTE_TCP_SYN_FLAG);
		advance_ms(&w, 130000);
	}
	CHECK_EQ(app.closed, 2);
	CHECK_EQ(app.closed_err, -ETIMEDOUT);
	CHECK_EQ(tw_of(&w)->stats.connect_failed, 1);
	CHECK_EQ(tw_of(&w)->stats.conns_active, 0);
	CHECK_EQ(dpx_tcp_connect(&w, 0, 0xc613ff01u, 80, &app_cb, NULL, &err) ==
		 NULL, 1);
	CHECK_EQ(err, -EHOSTUNREACH);
	src_port = PEER_PORT;
	dst_port = OUR_PORT;
	worker_teardown(&w);
}

static void
test_keepalive(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;

	cfg.tcp.keepalive = true;
	worker_setup(&w);
	iss = handshake(&w, &ts);
	advance_ms(&w, cfg.tcp.keepalive_idle_ms - 1);
	CHECK_EQ(tx_count(&w), 0);               /* not idle long enough */
	advance_ms(&w, 1);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.flags, RTE_TCP_ACK_FLAG);
	CHECK_EQ(s.seq, iss);                    /* snd_nxt - 1 */
	/* An answer resets the count; silence then ends the connection. */
	send_data(&w, SEQ0, iss, ts, NULL, 0, 0);
	CHECK_EQ(app.c->ka_probes, 0);
	for (uint32_t i = 0; i <= cfg.tcp.keepalive_probes + 1 && !app.closed;
	     i++) {
		while (pop_seg(&w, &s))
			;
		advance_ms(&w, cfg.tcp.keepalive_idle_ms);
	}
	CHECK_EQ(app.closed, 1);
	CHECK_EQ(app.closed_err, -ETIMEDOUT);
	CHECK_EQ(tw_of(&w)->stats.keepalive_probes,
		 1 + cfg.tcp.keepalive_probes);
	cfg.tcp.keepalive = false;
	worker_teardown(&w);
}

/* Two connections close actively; with room for one TIME_WAIT entry the
 * older is recycled. */
static void
test_time_wait_bound(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;

	cfg.tcp.max_time_wait = 1;
	worker_setup(&w);
	for (int i = 0; i < 2; i++) {
		src_port = (uint16_t)(PEER_PORT + i);
		app.accepted = 0;
		iss = handshake(&w, &ts);
		dpx_tcp_close(&w, app.c);
		pump(&w);
		send_data(&w, SEQ0, iss + 1, ts, NULL, 0, RTE_TCP_FIN_FLAG);
		while (pop_seg(&w, &s))
			;
		CHECK_EQ(tw_of(&w)->stats.conns_time_wait, 1);
	}
	CHECK_EQ(tw_of(&w)->stats.time_wait_recycled, 1);
	src_port = PEER_PORT;
	cfg.tcp.max_time_wait = 64;
	worker_teardown(&w);
}

/* RFC 2018: the block holding the newest arrival comes first. */
static void
test_sack_block_order(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss;
	char buf[100];

	memset(buf, 's', sizeof(buf));
	worker_setup(&w);
	iss = handshake(&w, &ts);
	send_data(&w, SEQ0 + 200, iss, ts, buf, 100, 0);
	send_data(&w, SEQ0 + 600, iss, ts, buf, 100, 0);
	send_data(&w, SEQ0 + 400, iss, ts, buf, 100, 0);
	while (tx_count(&w) > 1)
		pop_seg(&w, &s);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.opts.n_sack, 3);
	CHECK_EQ(s.opts.sack[0].start, SEQ0 + 400);
	CHECK_EQ(s.opts.sack[1].start, SEQ0 + 200);
	CHECK_EQ(s.opts.sack[2].start, SEQ0 + 600);
	worker_teardown(&w);
}

/* CUBIC: beta 0.7 on loss, back to W_max after K seconds, concave below
 * and convex above it; NewReno halves and grows one MSS per RTT. */
static void
test_congestion_control(void)
{
	struct dpx_worker w;
	struct dpx_tcp_worker *tw;
	struct dpx_tcb *c;
	uint32_t ts, mss, wmax, at_k;
	double k;

	cfg.tcp.congestion = DPX_CC_CUBIC;
	worker_setup(&w);
	handshake(&w, &ts);
	tw = tw_of(&w);
	c = app.c;
	mss = c->mss;
	c->srtt8 = 100 << 3;                   /* 100 ms: CUBIC's own region */
	c->cwnd = 100 * mss;
	c->ssthresh = c->cwnd;
	c->ssthresh = tcp_cc_on_loss(tw, c);
	CHECK_EQ(c->ssthresh, (uint32_t)(100 * mss * 0.7));
	wmax = 100 * mss;
	c->cwnd = c->ssthresh;
	k = cbrt(100 * 0.3 / 0.4);             /* seconds to W_max */
	/* A window of ACKs per 100 ms round trip, up to K. */
	for (double t = 0; t < k; t += 0.1) {
		tw->now += 100;
		for (uint32_t i = 0, n = c->cwnd / mss; i < n; i++)
			tcp_cc_on_ack(tw, c, mss);
	}
	at_k = c->cwnd;
	CHECK(at_k > wmax * 0.95 && at_k < wmax * 1.05);
	for (int r = 0; r < 20; r++) {
		tw->now += 100;
		for (uint32_t i = 0, n = c->cwnd / mss; i < n; i++)
			tcp_cc_on_ack(tw, c, mss);
	}
	CHECK(c->cwnd > at_k + 2 * mss);       /* probing beyond W_max */
	/* NewReno: half the flight, then +1 MSS per window of ACKs. */
	cfg.tcp.congestion = DPX_CC_NEWRENO;
	c->cwnd = 100 * mss;
	c->ssthresh = 50 * mss;
	for (int i = 0; i < 100; i++)
		tcp_cc_on_ack(tw, c, mss);
	CHECK_EQ(c->cwnd, 101 * mss);
	worker_teardown(&w);
}

/* Segments 0..5 out; the peer holds 1 and 3..5: the first hole goes
 * again at once, the next duplicate sends the second. */
static void
test_sack_recovery(void)
{
	struct dpx_worker w;
	struct out_seg s;
	struct dpx_tcp_opts o;
	uint32_t ts, iss, mss, base;

	worker_setup(&w);
	iss = handshake(&w, &ts);
	mss = app.c->mss;
	base = iss + 1;
	CHECK_EQ(dpx_tcp_send(&w, app.c, app_mbuf("q", 6 * mss)), 0);
	pump(&w);
	while (pop_seg(&w, &s))
		;
	o = peer_opts(PEER_TS + 3, ts);
	o.present |= DPX_TCPOPT_SACK;
	o.n_sack = 2;
	o.sack[0] = (struct dpx_tcp_sack_block){ base + 3 * mss, base + 6 * mss };
	o.sack[1] = (struct dpx_tcp_sack_block){ base + mss, base + 2 * mss };
	/* Four segments SACKed above snd_una: loss is certain at once
	 * (RFC 6675 IsLost), no need to wait for three duplicates. */
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0, base, 512, &o, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.seq, base);
	CHECK_EQ(s.len, mss);
	CHECK_EQ(app.c->n_sacked, 2);
	CHECK_EQ(tx_count(&w), 0);
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0, base, 512, &o, NULL, 0);
	CHECK(pop_seg(&w, &s));
	CHECK_EQ(s.seq, base + 2 * mss);
	/* Nothing left to repair below the highest SACKed byte. */
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0, base, 512, &o, NULL, 0);
	CHECK_EQ(tx_count(&w), 0);
	/* Both holes filled: one cumulative ACK ends recovery. */
	peer_send(&w, RTE_TCP_ACK_FLAG, SEQ0, base + 6 * mss, 512,
		  (struct dpx_tcp_opts[]){ peer_opts(PEER_TS + 4, ts) }, NULL, 0);
	CHECK(!app.c->in_recovery);
	CHECK_EQ(app.c->n_sacked, 0);
	worker_teardown(&w);
}

/* While out-of-order data is held, every segment carries SACK blocks:
 * full-size data segments must shrink to stay within the MTU. */
static void
test_sack_segments_fit_mtu(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss, sent = 0;
	char buf[100];

	memset(buf, 'o', sizeof(buf));
	worker_setup(&w);
	iss = handshake(&w, &ts);
	for (int i = 0; i < 3; i++)            /* three SACK blocks */
		send_data(&w, SEQ0 + 200 + 200 * i, iss, ts, buf, 100, 0);
	while (pop_seg(&w, &s))
		;
	CHECK_EQ(dpx_tcp_send(&w, app.c, app_mbuf("m", 4 * 1448)), 0);
	pump(&w);
	while (pop_seg(&w, &s)) {
		CHECK_EQ(s.opts.n_sack, 3);
		CHECK(20 + 20 + 12 + 4 + 8 * 3 + s.len <= 1500);
		sent += s.len;
	}
	CHECK_EQ(sent, 4 * 1448);
	CHECK_EQ(w.net->stats[0].drops[DPX_DROP_TOO_BIG], 0);
	worker_teardown(&w);
}

static uint8_t
stream_byte(uint32_t i)
{
	return i < 97 ? 'h' : (uint8_t)((i - 97) * 7 + 1);
}

/* Zero copy across mbuf boundaries: a 97-byte head, then 2048-byte
 * chunks, as the static service writes; every byte of every segment on
 * the wire must be the stream's, through many ACKs. */
static void
test_zero_copy_stream(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss, off = 0, acked = 0, total = 97 + 40 * 2048;

	net.ports[0].tx_offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	worker_setup(&w);
	iss = handshake(&w, &ts);
	for (uint32_t q = 0; q < total; ) {
		uint32_t n = q == 0 ? 97 : 2048;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, n);

		for (uint32_t i = 0; i < n; i++)
			p[i] = stream_byte(q + i);
		if (dpx_tcp_send_space(app.c) < n) {
			rte_pktmbuf_free(m);
			break;
		}
		CHECK_EQ(dpx_tcp_send_more(&w, app.c, m), 0);
		q += n;
		off = q;
	}
	pump(&w);
	for (int round = 0; round < 200 && acked < off; round++) {
		uint32_t bad = 0;

		while (pop_seg(&w, &s)) {
			uint32_t rel = s.seq - (iss + 1);

			for (uint32_t i = 0; i < s.len && i < sizeof(s.payload); i++)
				bad += s.payload[i] != stream_byte(rel + i);
			if (seq_gt(s.seq + s.len, iss + 1 + acked))
				acked = s.seq + s.len - (iss + 1);
		}
		CHECK_EQ(bad, 0);
		send_data(&w, SEQ0, iss + acked, ts, NULL, 0, 0);
	}
	CHECK_EQ(acked, off);
	net.ports[0].tx_offloads &= ~RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	worker_teardown(&w);
}

/* Received payload sent back by reference keeps the sum TCP computed
 * when it arrived: the segments out (odd and even sizes, several per
 * segment) carry valid checksums (pop_seg() verifies) and the bytes. */
static void
test_echo_reuses_payload_sums(void)
{
	static const uint32_t sizes[] = { 1, 7, 1000, 1448, 333, 2, 1447 };
	static uint8_t buf[1448];
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss, seq = SEQ0, got = 0, bad = 0;

	net.ports[0].tx_offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	worker_setup(&w);
	iss = handshake(&w, &ts);
	app.echo = true;
	for (size_t k = 0; k < RTE_DIM(sizes); k++) {
		for (uint32_t i = 0; i < sizes[k]; i++)
			buf[i] = (uint8_t)stream_byte(seq - SEQ0 + i);
		send_data(&w, seq, iss + got, ts, (const char *)buf,
			  sizes[k], 0);
		seq += sizes[k];
		while (pop_seg(&w, &s)) {
			for (uint32_t i = 0; i < s.len; i++)
				bad += s.payload[i] !=
				       (uint8_t)stream_byte(s.seq - iss - 1 + i);
			if (seq_gt(s.seq + s.len, iss + 1 + got))
				got = s.seq + s.len - iss - 1;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(got, seq - SEQ0);
	CHECK(zero_copy_frames > 0);
	app.echo = false;
	net.ports[0].tx_offloads &= ~RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	worker_teardown(&w);
}

/* The window starts at 64 KB and doubles while the sender fills more
 * than half of it per round trip, never beyond tcp.rcvbuf. */
static void
test_receive_window_autotuning(void)
{
	struct dpx_worker w;
	struct out_seg s;
	uint32_t ts, iss, seq = SEQ0, last_win = 0;
	static char buf[1400];

	worker_setup(&w);
	iss = handshake(&w, &ts);
	CHECK_EQ(tcp_rcv_window(app.c), 65536);
	for (int rtt = 0; rtt < 6; rtt++) {
		uint32_t win = tcp_rcv_window(app.c);

		for (uint32_t sent = 0; sent < win * 3 / 4; sent += sizeof(buf)) {
			send_data(&w, seq, iss, ts, buf, sizeof(buf), 0);
			seq += sizeof(buf);
			while (pop_seg(&w, &s))  /* the TX buffer has no device */
				last_win = s.win << app.c->rcv_wscale;
		}
		advance_ms(&w, (app.c->srtt8 >> 3) + 1);
		send_data(&w, seq, iss, ts, buf, sizeof(buf), 0);
		seq += sizeof(buf);
		while (pop_seg(&w, &s))
			last_win = s.win << app.c->rcv_wscale;
	}
	CHECK_EQ(tcp_rcv_window(app.c), cfg.tcp.rcvbuf);
	CHECK(last_win > 65536);
	worker_teardown(&w);
}

static void
config_setup(void)
{
	test_net_one_port(&cfg, &net, pool, OUR_IP, 0, &our_mac);
	cfg.tcp = (struct dpx_tcp_conf){ .rcvbuf = 262144, .sndbuf = 262144,
		.max_connections = 64, .time_wait_ms = 60000,
		.max_time_wait = 64, .rto_min_ms = 200, .rto_max_ms = 120000,
		.rto_initial_ms = 1000, .delayed_ack_ms = 40,
		.ooo_max_segments = 64, .sack = true, .timestamps = true,
		.window_scaling = true, .keepalive_idle_ms = 7200000,
		.keepalive_interval_ms = 75000, .keepalive_probes = 9 };
}

int
main(void)
{
	if (test_eal_init("unit-tcp") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	config_setup();
	RUN_TEST(test_handshake_and_delayed_ack);
	RUN_TEST(test_out_of_window_and_overlap);
	RUN_TEST(test_out_of_order_and_sack);
	RUN_TEST(test_rst_handling);
	RUN_TEST(test_fin_with_data_and_passive_close);
	RUN_TEST(test_zero_window);
	RUN_TEST(test_paws);
	RUN_TEST(test_time_wait_reuse);
	RUN_TEST(test_no_time_wait);
	RUN_TEST(test_rto_and_fast_retransmit);
	RUN_TEST(test_zero_copy_retransmit);
	RUN_TEST(test_closed_port_and_bad_checksum);
	RUN_TEST(test_synack_retransmit);
	RUN_TEST(test_syn_cookies);
	RUN_TEST(test_syn_cookies_when_backlog_full);
	RUN_TEST(test_active_open);
	RUN_TEST(test_active_open_refused_and_timeout);
	RUN_TEST(test_keepalive);
	RUN_TEST(test_time_wait_bound);
	RUN_TEST(test_sack_block_order);
	RUN_TEST(test_congestion_control);
	RUN_TEST(test_sack_recovery);
	RUN_TEST(test_sack_segments_fit_mtu);
	RUN_TEST(test_zero_copy_stream);
	RUN_TEST(test_echo_reuses_payload_sums);
	RUN_TEST(test_receive_window_autotuning);
	rte_mempool_free(pool);
	test_eal_cleanup();
	return TEST_SUMMARY();
}
