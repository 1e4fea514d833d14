/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/tcp: the TCB, the per-worker TCP state, shared helpers. */
#ifndef DPX_TCP_PRIV_H
#define DPX_TCP_PRIV_H

#include <stdbool.h>
#include <sys/queue.h>

#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dpx_net.h"
#include "dpx_tcp.h"
#include "dpx_timer.h"
#include "tcp_options.h"

#define TCP_MAX_LISTENERS 64
#define TCP_MSS_DEFAULT 536          /* RFC 9293 3.7.1: when none is given */
#define TCP_MAX_WSCALE 14
#define TCP_HDR_ROOM 128             /* eth + ip + tcp + options */
#define TCP_INIT_CWND_SEGS 10        /* RFC 6928 */
#define TCP_DUPACK_THRESH 3
#define TCP_SYN_RETRIES 5
#define TCP_DATA_RETRIES 15
#define TCP_TICK_MS 1
#define TCP_SACK_SCORE 8             /* SACKed ranges remembered */
#define TCP_RCV_SPACE_INIT 65536     /* autotuning starts here */

enum tcp_state {
	TCP_CLOSED = 0,
	TCP_SYN_SENT,
	TCP_SYN_RCVD,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/* Hash key: the connection as seen from this host. */
struct tcp_key {
	uint32_t raddr;
	uint32_t laddr;
	uint16_t rport;
	uint16_t lport;
};

struct tcp_listener {
	uint32_t addr;      /* 0: any local address */
	uint16_t port;
	uint32_t backlog;
	uint32_t n_syn_rcvd;
	uint64_t last_cookie;     /* when we last answered with a SYN cookie */
	bool cookies_sent;
	const struct dpx_tcp_callbacks *cb;
	void *arg;
};

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

struct dpx_tcb {
	struct tcp_key key;
	uint8_t state;
	uint8_t port;               /* net port the connection lives on */
	uint8_t snd_wscale;         /* peer's shift: applied to its windows */
	uint8_t rcv_wscale;         /* ours */
	bool ts_ok, sack_ok, ws_ok;
	bool fin_queued;            /* the application closed: FIN after data */
	bool fin_acked;
	bool peer_fin;
	bool in_recovery;
	bool accepted;              /* reported to the application */
	bool closing_reported;
	uint8_t dupacks;
	uint8_t backoff;
	uint8_t retries;
	uint16_t mss;               /* payload per segment we send */
	uint16_t adv_mss;           /* the MSS option we announce */
	uint16_t unacked_segs;      /* received since our last ACK */

	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	uint32_t cwnd, ssthresh, recover;
	uint32_t ca_acked;          /* NewReno: bytes acked toward +1 MSS */
	uint32_t high_rxt;          /* SACK recovery: retransmitted up to */
	uint8_t n_sacked;
	struct dpx_tcp_sack_block sacked[TCP_SACK_SCORE]; /* sorted, > snd_una */
	uint64_t cubic_epoch;       /* tick the current CUBIC epoch began */
	double cubic_wmax, cubic_k, cubic_origin, cubic_west; /* segments */
	uint32_t sndbuf;
	uint32_t sndq_bytes;        /* queued data: acked bytes leave at once */
	uint32_t sndq_head_off;     /* bytes of sndq_head already acked */
	struct rte_mbuf *sndq_head, *sndq_tail; /* single segs, linked by next */
	struct rte_mbuf *snd_cur;   /* a queued seg where output last was */
	uint32_t snd_cur_seq;       /* ... and the sequence of its first byte */

	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv;
	uint32_t rcvbuf;
	uint32_t rcv_space;         /* autotuned window cap, <= rcvbuf */
	uint32_t rcv_space_seq;     /* rcv_nxt when this measurement began */
	uint64_t rcv_space_time;
	uint32_t rcv_held;          /* delivered, not yet dpx_tcp_recv_done */
	uint32_t ooo_bytes;
	uint32_t ooo_count;
	struct rte_mbuf *ooo_head;  /* sorted; seq in hash.usr, linked by next */
	uint32_t ts_recent, last_ack_sent;
	uint32_t cookie_ts;         /* non-zero: our TS value in a cookie SYN-ACK */

	/* round-trip time, in ms (RFC 6298), scaled like BSD: srtt << 3 */
	uint32_t srtt8, rttvar4, rto;
	uint32_t rtt_seq, rtt_start; /* Karn timing when no timestamps */
	bool rtt_timing;
	bool tlp_armed;             /* rtx_timer is a tail loss probe */
	bool more;                  /* the application is still writing */

	struct dpx_net_path path;     /* route and next-hop MAC, cached */
	struct dpx_timer rtx_timer;   /* RTO, SYN-ACK retransmit, persist */
	struct dpx_timer delack_timer;
	struct dpx_timer life_timer;  /* TIME_WAIT, keepalive */
	uint64_t last_rx;             /* tick of the last segment received */
	uint8_t ka_probes;            /* keepalive probes unanswered */
	uint32_t last_ooo_seq;        /* newest out-of-order arrival: SACK 1st */
	TAILQ_ENTRY(dpx_tcb) tw_link; /* TIME_WAIT age order */
	struct dpx_worker *w;

	struct tcp_listener *listener;  /* passive opens */
	const struct dpx_tcp_callbacks *cb;
	void *open_arg;                 /* active opens: cb->accepted's arg */
	void *user;

	/* Work for later stages of the pass (see dpx_tcp_deliver() and
	 * dpx_tcp_output()): events and in-order data not yet handed to the
	 * application, and whether output or an ACK is due. */
	uint8_t events;                 /* TCP_EV_* */
	bool ack_now;
	bool on_deliver, on_output;
	struct rte_mbuf *rx_head, *rx_tail; /* chained, rx_head->pkt_len */
	TAILQ_ENTRY(dpx_tcb) deliver_link;
	TAILQ_ENTRY(dpx_tcb) output_link;
};

/* Events waiting in dpx_tcb.events, delivered in this order after data. */
enum {
	TCP_EV_ACCEPTED = 1 << 0,       /* before the data */
	TCP_EV_SENDABLE = 1 << 1,
	TCP_EV_PEER_CLOSED = 1 << 2,
};

TAILQ_HEAD(tcp_tcb_list, dpx_tcb);

struct dpx_tcp_worker {
	struct rte_hash *table;       /* tcp_key -> struct dpx_tcb * */
	struct rte_mempool *tcb_pool;
	struct rte_mempool *pool;     /* data and header mbufs */
	struct dpx_timer_wheel wheel;
	uint64_t tsc_per_tick;
	uint64_t now;                 /* ms ticks */
	uint32_t ts_offset;
	uint32_t isn_secret[4];
	struct tcp_listener listeners[TCP_MAX_LISTENERS];
	unsigned int n_listeners;
	uint16_t next_port;           /* where the next active open searches */
	TAILQ_HEAD(, dpx_tcb) time_wait; /* oldest first */
	struct tcp_tcb_list deliver_q;  /* events for the application */
	struct tcp_tcb_list output_q;   /* data or ACKs to send */
	uint64_t next_tick_tsc;         /* when now moves on by a tick */
	bool keep_sums;                 /* some port sends payload by
					 * reference: remember its sums */
	uint64_t tcb_frees;             /* TCBs freed: lookups made before
					 * a free may point to freed memory */
	struct dpx_tcp_stats stats;
	const struct dpx_tcp_conf *conf;
	/* Raw mbufs taken from pool a burst at a time (tcp_mbuf_alloc());
	 * the ones about to be used have their headers prefetched. */
	unsigned int n_stash;
	struct rte_mbuf *stash[32];
};

/* How many stashed mbufs ahead of use are prefetched. */
#define TCP_STASH_AHEAD 4

/*
 * An mbuf for a segment, as rte_pktmbuf_alloc(). A large response has
 * more mbufs in flight (a header and one or two references per segment)
 * than the mempool's per-core cache holds, so the pool hands back mbufs
 * whose headers left the CPU's caches long ago; each reset then waited
 * for a miss. Taken in bursts, the next few are prefetched for writing
 * while the current one is filled.
 */
static inline struct rte_mbuf *
tcp_mbuf_alloc(struct dpx_tcp_worker *tw)
{
	struct rte_mbuf *m;

	if (tw->n_stash == 0) {
		if (rte_mempool_get_bulk(tw->pool, (void **)tw->stash,
					 RTE_DIM(tw->stash)) != 0)
			return rte_pktmbuf_alloc(tw->pool);
		tw->n_stash = RTE_DIM(tw->stash);
		for (unsigned int i = 1; i <= TCP_STASH_AHEAD; i++)
			dpx_mbuf_prefetch_w(tw->stash[tw->n_stash - i]);
	}
	m = tw->stash[--tw->n_stash];
	if (tw->n_stash >= TCP_STASH_AHEAD)
		dpx_mbuf_prefetch_w(tw->stash[tw->n_stash - TCP_STASH_AHEAD]);
	rte_pktmbuf_reset(m);
	return m;
}

static inline struct dpx_tcp_worker *
tcp_w(struct dpx_worker *w)
{
	return w->tcp;
}

/* c has an event or data for the application: dpx_tcp_deliver(). */
static inline void
tcp_want_deliver(struct dpx_tcp_worker *tw, struct dpx_tcb *c)
{
	if (!c->on_deliver) {
		c->on_deliver = true;
		TAILQ_INSERT_TAIL(&tw->deliver_q, c, deliver_link);
	}
}

/* c may have data, a FIN or an ACK to send: dpx_tcp_output(). */
static inline void
tcp_want_output(struct dpx_tcp_worker *tw, struct dpx_tcb *c)
{
	if (!c->on_output) {
		c->on_output = true;
		TAILQ_INSERT_TAIL(&tw->output_q, c, output_link);
	}
}

/* tcp_table.c */
struct dpx_tcb *tcb_lookup(struct dpx_tcp_worker *tw, const struct tcp_key *k);
struct dpx_tcb *tcb_new(struct dpx_worker *w, const struct tcp_key *k,
			unsigned int port);
void tcb_free(struct dpx_worker *w, struct dpx_tcb *c);
/* Ends the connection: tells the application (once) and frees it. */
void tcb_destroy(struct dpx_worker *w, struct dpx_tcb *c, int err);
/* Tells the application, once, that c is gone (err 0: in order, after
 * what is still to be delivered). */
void tcb_report_closed(struct dpx_worker *w, struct dpx_tcb *c, int err);
/* Hands c's pending events and data to the application now. */
void tcp_deliver_one(struct dpx_worker *w, struct dpx_tcb *c);
void tcb_set_state(struct dpx_worker *w, struct dpx_tcb *c, uint8_t state);

/* tcp_output.c */
void tcp_output(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_send_ack(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_send_syn(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_send_rst(struct dpx_worker *w, const struct tcp_key *k,
		  unsigned int port, uint32_t seq, uint32_t ack, bool with_ack);
void tcp_retransmit_head(struct dpx_worker *w, struct dpx_tcb *c);
/* Resends len bytes at seq (seq within the unacknowledged data). */
void tcp_retransmit_at(struct dpx_worker *w, struct dpx_tcb *c, uint32_t seq,
		       uint32_t len);
uint32_t tcp_rcv_window(const struct dpx_tcb *c);
uint32_t tcp_seg_payload(const struct dpx_tcb *c);
void tcp_rcv_space_adjust(struct dpx_tcp_worker *tw, struct dpx_tcb *c);
uint32_t tcp_ts_now(const struct dpx_tcp_worker *tw);

/* tcp_input.c */
void tcp_input(struct dpx_worker *w, struct rte_mbuf **pkts, unsigned int n);
uint32_t tcp_isn(const struct dpx_tcp_worker *tw, const struct tcp_key *k);
uint8_t tcp_pick_wscale(uint32_t rcvbuf);
uint16_t tcp_local_mss(struct dpx_worker *w, unsigned int port);

/* tcp_sack.c */
void tcp_sack_update(struct dpx_tcb *c, const struct dpx_tcp_opts *o);
void tcp_sack_prune(struct dpx_tcb *c);
uint32_t tcp_sack_bytes(const struct dpx_tcb *c);
void tcp_sack_retransmit(struct dpx_worker *w, struct dpx_tcb *c, int budget);

/* tcp_cc.c */
void tcp_cc_on_ack(struct dpx_tcp_worker *tw, struct dpx_tcb *c,
		   uint32_t acked);
/* A loss: updates the algorithm's state, returns the new ssthresh. */
uint32_t tcp_cc_on_loss(struct dpx_tcp_worker *tw, struct dpx_tcb *c);

/* tcp_syncookie.c */
uint32_t tcp_syncookie_isn(const struct dpx_tcp_worker *tw,
			   const struct tcp_key *k, uint16_t mss);
int tcp_syncookie_check(const struct dpx_tcp_worker *tw,
			const struct tcp_key *k, uint32_t isn, uint16_t *mss);
uint32_t tcp_syncookie_ts(const struct dpx_tcp_worker *tw, int wscale,
			  bool sack);
void tcp_syncookie_ts_decode(uint32_t ts_ecr, int *wscale, bool *sack);

/* tcp_timer.c */
void tcp_timers_init(struct dpx_tcb *c);
void tcp_timers_stop(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_arm_rtx(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_arm_rto(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_arm_delack(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_enter_time_wait(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_keepalive_start(struct dpx_worker *w, struct dpx_tcb *c);
void tcp_rtt_sample(struct dpx_tcb *c, uint32_t rtt_ms,
		    const struct dpx_tcp_conf *conf);

/* Sequence number just after the last queued data byte: where FIN goes. */
static inline uint32_t
tcp_data_end(const struct dpx_tcb *c)
{
	return c->snd_una + c->sndq_bytes;
}

/* Queued data bytes not yet sent (FIN excluded). */
static inline uint32_t
tcp_unsent(const struct dpx_tcb *c)
{
	uint32_t end = tcp_data_end(c);

	return seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
}

static inline uint32_t
tcp_inflight(const struct dpx_tcb *c)
{
	return c->snd_nxt - c->snd_una;
}

#endif /* DPX_TCP_PRIV_H */
