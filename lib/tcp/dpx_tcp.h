/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx tcp: the user-space TCP stack (RFC 9293) of one worker. It owns the
 * worker's connection table (struct dpx_tcb, keyed by 4-tuple), its
 * listeners, the TCP timers on the worker's timer wheel and the TCP
 * counters. Nothing here is shared between workers.
 *
 * Application API: non-blocking and callback-driven, on the worker that
 * owns the connection.
 *
 *  - dpx_tcp_listen() registers a listener; each new connection is
 *    reported by cb->accepted once the handshake completes.
 *  - dpx_tcp_connect() opens a connection (for backends); cb->accepted
 *    reports it established, cb->closed with -ECONNREFUSED or -ETIMEDOUT
 *    that it failed. Its local port is chosen so that the replies hash to
 *    this worker (see dpx_net_pick_local_port()).
 *  - Received in-order data arrives as an mbuf chain in cb->data (what
 *    came in during one pass, chained); the callee owns the chain. Those bytes count against the receive window
 *    until the application calls dpx_tcp_recv_done(), so an application
 *    that cannot forward data yet simply holds it and the peer is slowed
 *    down by the window: flow control end to end, no copy.
 *  - dpx_tcp_send() queues an mbuf chain (zero copy: the chain is kept
 *    and transmitted by reference until acknowledged). It refuses, with
 *    -EAGAIN and without taking the chain, when the send buffer is full;
 *    cb->sendable reports when space returns.
 *  - cb->peer_closed: the peer sent FIN (no more data will arrive).
 *  - dpx_tcp_close() sends FIN after queued data; dpx_tcp_abort() sends
 *    RST. cb->closed is the last callback for a connection: after it the
 *    struct dpx_tcb is gone. err is 0 for an orderly close, else
 *    -ECONNRESET, -ETIMEDOUT or -ECONNABORTED.
 *
 * When things happen, per pass of the worker loop (see dpx_net.h):
 * segments are processed as they arrive, but the application hears of
 * them in dpx_tcp_deliver() (accepted, data, sendable, peer_closed, in
 * that order per connection; closed and timer events come when they
 * happen), and what it sends or closes goes out in dpx_tcp_output(),
 * together with the ACKs that are due. So an answer leaves with the ACK
 * of the request it answers, and many segments of a burst cost one ACK.
 */
#ifndef DPX_TCP_H
#define DPX_TCP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dpx_core.h"
#include "dpx_net.h"

struct dpx_tcb;

struct dpx_tcp_callbacks {
	void (*accepted)(struct dpx_worker *w, struct dpx_tcb *c, void *arg);
	void (*data)(struct dpx_worker *w, struct dpx_tcb *c,
		     struct rte_mbuf *m);
	void (*sendable)(struct dpx_worker *w, struct dpx_tcb *c);
	void (*peer_closed)(struct dpx_worker *w, struct dpx_tcb *c);
	void (*closed)(struct dpx_worker *w, struct dpx_tcb *c, int err);
};

/* Counters of one worker; the control plane sums them on read. */
struct dpx_tcp_stats {
	uint64_t segs_in;
	uint64_t segs_out;
	uint64_t retransmits;
	uint64_t fast_retransmits;
	uint64_t rto_expired;
	uint64_t tail_loss_probes;
	uint64_t ooo_segs;
	uint64_t dup_segs;
	uint64_t challenge_acks;
	uint64_t rst_sent;
	uint64_t rst_received;
	uint64_t accepted;
	uint64_t connected;          /* active opens established */
	uint64_t connect_failed;
	uint64_t keepalive_probes;
	uint64_t time_wait_recycled;
	uint64_t syn_cookies_sent;
	uint64_t syn_cookies_ok;
	uint64_t drop_checksum;
	uint64_t drop_malformed;
	uint64_t drop_no_listener;
	uint64_t drop_backlog;
	uint64_t drop_no_tcb;
	uint64_t drop_out_of_window;
	uint64_t drop_paws;
	uint64_t drop_ooo_full;
	uint64_t drop_no_mbuf;
	uint64_t conns_active;       /* gauges: current values */
	uint64_t conns_syn_rcvd;
	uint64_t conns_time_wait;
};

int dpx_tcp_worker_init(struct dpx_worker *w);
void dpx_tcp_worker_fini(struct dpx_worker *w);
/* The worker loop's TCP steps, each once per pass, in this order after
 * dpx_net_worker_poll(): deliver events and data to the application;
 * run due timers (TCP's and those upper layers arm on the wheel); send
 * what is queued and the ACKs that are due. */
void dpx_tcp_deliver(struct dpx_worker *w);
void dpx_tcp_worker_poll(struct dpx_worker *w);
void dpx_tcp_output(struct dpx_worker *w);
const struct dpx_tcp_stats *dpx_tcp_worker_stats(const struct dpx_worker *w);

/* addr 0: every local address. Returns 0 or -errno. */
int dpx_tcp_listen(struct dpx_worker *w, uint32_t addr, uint16_t port,
		   uint32_t backlog, const struct dpx_tcp_callbacks *cb,
		   void *arg);

/* Opens a connection to raddr:rport from this worker; laddr 0 takes the
 * route's source address. Returns the connection or NULL with *err set
 * (-EHOSTUNREACH, -EADDRNOTAVAIL when no local port is free, -ENOMEM). */
struct dpx_tcb *dpx_tcp_connect(struct dpx_worker *w, uint32_t laddr,
				uint32_t raddr, uint16_t rport,
				const struct dpx_tcp_callbacks *cb, void *arg,
				int *err);

int dpx_tcp_send(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m);
/* Like dpx_tcp_send(), but more data follows at once: only full segments
 * go out now (no trailing runt), like MSG_MORE. */
int dpx_tcp_send_more(struct dpx_worker *w, struct dpx_tcb *c,
		      struct rte_mbuf *m);
uint32_t dpx_tcp_send_space(const struct dpx_tcb *c);
void dpx_tcp_recv_done(struct dpx_worker *w, struct dpx_tcb *c, uint32_t n);
void dpx_tcp_close(struct dpx_worker *w, struct dpx_tcb *c);
void dpx_tcp_abort(struct dpx_worker *w, struct dpx_tcb *c);

void dpx_tcp_set_user(struct dpx_tcb *c, void *user);
void *dpx_tcp_user(const struct dpx_tcb *c);
/* The mempool to allocate data mbufs from on this worker. */
struct rte_mempool *dpx_tcp_pool(const struct dpx_worker *w);

/* The remote and local ends of c, host byte order. */
void dpx_tcp_endpoints(const struct dpx_tcb *c, uint32_t *raddr,
		       uint16_t *rport, uint32_t *laddr, uint16_t *lport);

struct dpx_timer_wheel;
/* The worker's timer wheel (millisecond ticks) that TCP advances in
 * dpx_tcp_worker_poll(); upper layers arm their own timers on it. */
struct dpx_timer_wheel *dpx_tcp_wheel(struct dpx_worker *w);
/* The wheel's current time in milliseconds. */
uint64_t dpx_tcp_now_ms(const struct dpx_worker *w);
/* How long an idle worker may sleep before a timer is due, in µs
 * (0: one is due; UINT64_MAX: none is armed). */
uint64_t dpx_tcp_timer_slack_us(const struct dpx_worker *w);

#endif /* DPX_TCP_H */
