/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generator of one worker: client connections on lib/tcp, HTTP/1.1
 * requests, response framing by lib/http (Content-Length, chunked, close),
 * validation (status, exact body length, optionally the body bytes),
 * per-request timeouts, counters and the latency histogram.
 *
 * A connection slot (struct load_conn) lives for the whole run; TCP
 * connections come and go under it. A slot lets go of its TCB (user
 * pointer NULL) the moment it closes or aborts it, so later callbacks for
 * that TCB find nothing and the slot can open the next connection at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dpx_http.h"
#include "dpx_net.h"
#include "dpx_svc.h"
#include "dpx_tcp.h"
#include "dpx_timer.h"
#include "load.h"

#define CONNECT_BURST 64        /* new connections per pass: no SYN storm */
#define HEAD_MAX 8192           /* a response head split across segments */
#define BACKLOG_MAX (1u << 20)  /* --rate: requests waiting for a connection */
#define RETRY_MS 10             /* after a failed connect */
#define CHUNK_LINE_MAX 8192
#define NONE UINT32_MAX
/* An ephemeral port range of lib/tcp (32768..60999) per source address. */
#define PORTS_PER_ADDR 28232
#define SVC_CONN_SLACK 1024     /* TCBs left for the static listeners */

const char *const load_err_names[LOAD_E_MAX] = {
	[LOAD_E_CONNECT_REFUSED] = "connect_refused",
	[LOAD_E_CONNECT_FAILED] = "connect_failed",
	[LOAD_E_TIMEOUT] = "timeout",
	[LOAD_E_RESET] = "reset",
	[LOAD_E_CLOSED] = "closed",
	[LOAD_E_BAD_STATUS] = "bad_status",
	[LOAD_E_PARSE] = "parse_error",
	[LOAD_E_SHORT_BODY] = "short_body",
	[LOAD_E_LONG_BODY] = "long_body",
	[LOAD_E_BODY_MISMATCH] = "body_mismatch",
	[LOAD_E_BACKLOG] = "backlog_full",
};

enum conn_state {
	C_FREE,         /* no connection */
	C_BACKOFF,      /* a connect failed: wait RETRY_MS */
	C_CONNECTING,
	C_IDLE,         /* established, no request (open loop) */
	C_BUSY,         /* request sent, response not complete */
	C_LINGER,       /* response done, waiting for the server's FIN */
	C_CLOSING,      /* the server's FIN came: we close on the next pass */
};

enum rsp_state { R_HEAD, R_BODY, R_DONE };

/* Ramp-up per source address: one probe connection until it got an
 * answer (see may_connect()). */
enum addr_state { A_UNPRIMED, A_PROBING, A_PRIMED };

/* Which list a slot is on; a slot is on at most one. */
enum conn_list { L_NONE, L_CONNECT, L_SPARE, L_IDLE };

struct load_conn {
	struct dpx_tcb *tcb;    /* NULL unless C_CONNECTING..C_LINGER */
	struct load_gen *g;
	struct dpx_timer timer; /* connect/response progress, backoff */
	uint64_t queued;        /* TSC the request was queued; 0: none */
	uint64_t last_ms;       /* last progress (connect, request, bytes) */
	uint64_t body_seen;
	uint64_t body_left;     /* Content-Length framing */
	struct dpx_http_chunked chunk;
	char *head;             /* partial head, allocated on first need */
	uint32_t head_len;      /* bytes in head */
	uint32_t head_bytes;    /* head bytes of this response (1xx too) */
	uint32_t reqs;          /* responses on this connection */
	uint32_t path;
	uint32_t prev, next;    /* idle list links */
	uint8_t state, rsp, framing, list;
	uint8_t addr;           /* index of the source address in laddrs */
	uint8_t err;            /* LOAD_E_MAX: this response is fine so far */
	bool close_queued;      /* on close_q */
	bool last;              /* the request said Connection: close */
	bool keep_alive;        /* the response allows another request */
	bool peer_fin;
};

/* A FIFO of slot indices (connect queue, spare slots) or of due times. */
struct ring {
	uint64_t *v;
	uint32_t cap, head, count;
};

struct load_req {
	char *text[2];          /* [0] keep-alive, [1] Connection: close */
	uint16_t len[2];
};

struct load_gen {
	const struct load_opts *o;
	struct dpx_worker *w;
	struct load_conn *conns;
	uint32_t n;             /* this worker's share of --connections */
	double rate;            /* and of --rate */
	unsigned int n_workers;
	struct load_req *reqs;
	uint32_t next_path;
	uint32_t laddrs[DPX_MAX_ADDRS];
	unsigned int n_laddrs, next_laddr;
	uint8_t addr_state[DPX_MAX_ADDRS]; /* enum addr_state, per laddr */
	uint64_t tsc_hz;
	uint64_t timeout_tsc;
	bool open_loop;         /* --rate */
	bool on_demand;         /* open loop, one request per connection */
	struct ring connect_q;  /* slots to connect now */
	struct ring spare;      /* on_demand: slots waiting for a request */
	struct ring close_q;    /* C_CLOSING slots */
	uint32_t idle_head, idle_tail; /* open loop: established, no request */
	struct ring backlog;    /* open loop: due times of unsent requests */
	double next_due;        /* TSC of the next scheduled request */
	uint32_t n_open;        /* slots holding a TCB */
	bool primed;            /* every source address has had a response */
	enum load_phase phase;
	bool measuring;
	struct load_totals run;         /* the whole run, warm-up and drain too */
	uint8_t pattern[2 * DPX_SVC_PATTERN_LEN]; /* /bytes/N body, twice */
	struct load_stats st;
};

static const struct dpx_tcp_callbacks load_tcp_cb;
static void conn_send(struct load_gen *g, struct load_conn *c,
		      uint64_t queued);

/* ---- small containers ----------------------------------------------------- */

static int
ring_init(struct ring *r, uint32_t cap)
{
	r->v = calloc(cap, sizeof(*r->v));
	r->cap = cap;
	r->head = r->count = 0;
	return r->v == NULL ? -ENOMEM : 0;
}

static bool
ring_push(struct ring *r, uint64_t x)
{
	if (r->count == r->cap)
		return false;
	r->v[(r->head + r->count++) % r->cap] = x;
	return true;
}

static uint64_t
ring_front(const struct ring *r)
{
	return r->v[r->head];
}

static void
ring_pop(struct ring *r)
{
	r->head = (r->head + 1) % r->cap;
	r->count--;
}

static void
idle_push(struct load_gen *g, struct load_conn *c)
{
	uint32_t i = (uint32_t)(c - g->conns);

	c->list = L_IDLE;
	c->next = NONE;
	c->prev = g->idle_tail;
	if (g->idle_tail != NONE)
		g->conns[g->idle_tail].next = i;
	else
		g->idle_head = i;
	g->idle_tail = i;
}

static void
idle_remove(struct load_gen *g, struct load_conn *c)
{
	if (c->prev != NONE)
		g->conns[c->prev].next = c->next;
	else
		g->idle_head = c->next;
	if (c->next != NONE)
		g->conns[c->next].prev = c->prev;
	else
		g->idle_tail = c->prev;
	c->list = L_NONE;
}

static uint64_t
now_ms(const struct load_gen *g)
{
	return dpx_tcp_now_ms(g->w);
}

static void
count_err(struct load_gen *g, enum load_err e)
{
	if (g->phase < LOAD_STOP)
		g->run.errors++;
	if (g->measuring)
		g->st.errors[e]++;
}

/* ---- slot life cycle ------------------------------------------------------ */

/* Keeps the progress timer armed; it re-arms itself lazily, so frequent
 * progress costs a store, not a timer operation. */
static void
conn_watch(struct load_gen *g, struct load_conn *c)
{
	c->last_ms = now_ms(g);
	if (!dpx_timer_pending(&c->timer))
		dpx_timer_arm(dpx_tcp_wheel(g->w), &c->timer,
			      c->last_ms + g->o->timeout_ms);
}

/* A free slot goes where it is needed next: the connect queue, or (one
 * request per connection, open loop) the spare slots. */
static void
conn_recycle(struct load_gen *g, struct load_conn *c)
{
	uint32_t i = (uint32_t)(c - g->conns);

	c->state = C_FREE;
	if (g->phase >= LOAD_DRAIN || c->list != L_NONE)
		return;
	if (g->on_demand) {
		c->list = L_SPARE;
		ring_push(&g->spare, i);
	} else {
		c->list = L_CONNECT;
		ring_push(&g->connect_q, i);
	}
}

/* A probe that ends without an answer leaves room for the next one. */
static void
probe_failed(struct load_gen *g, struct load_conn *c)
{
	if (!g->primed && g->addr_state[c->addr] == A_PROBING)
		g->addr_state[c->addr] = A_UNPRIMED;
}

static void
probe_answered(struct load_gen *g, struct load_conn *c)
{
	if (g->primed)
		return;
	g->addr_state[c->addr] = A_PRIMED;
	for (unsigned int i = 0; i < g->n_laddrs; i++)
		if (g->addr_state[i] != A_PRIMED)
			return;
	g->primed = true;
}

/* Lets go of the TCB: FIN (graceful) or RST. */
static void
conn_release(struct load_gen *g, struct load_conn *c, bool graceful)
{
	struct dpx_tcb *tcb = c->tcb;

	probe_failed(g, c);
	if (c->list == L_IDLE)
		idle_remove(g, c);
	if (tcb != NULL) {
		dpx_tcp_set_user(tcb, NULL);
		c->tcb = NULL;
		g->n_open--;
		if (graceful)
			dpx_tcp_close(g->w, tcb);
		else
			dpx_tcp_abort(g->w, tcb);
	}
	c->head_len = 0;
	conn_recycle(g, c);
}

/*
 * The server closed: our FIN goes out on the next pass, not from inside
 * the peer_closed callback. lib/tcp acknowledges the server's FIN after
 * that callback returns even when our FIN inside it already did; the extra
 * ACK reaches the server in TIME_WAIT, whose ACK we answer with a RST:
 * three packets per connection that no client would cause. Closing a
 * pass later is also what a kernel client does (ACK, then the
 * application's close).
 */
static void
conn_close_later(struct load_gen *g, struct load_conn *c)
{
	c->state = C_CLOSING;
	if (!c->close_queued) {
		c->close_queued = true;
		ring_push(&g->close_q, (uint64_t)(c - g->conns));
	}
}

static unsigned int
close_pending(struct load_gen *g)
{
	unsigned int n = g->close_q.count;

	for (unsigned int i = 0; i < n; i++) {
		struct load_conn *c = &g->conns[ring_front(&g->close_q)];

		ring_pop(&g->close_q);
		c->close_queued = false;
		if (c->state == C_CLOSING && c->tcb != NULL)
			conn_release(g, c, true);
	}
	return n;
}

static void
conn_backoff(struct load_gen *g, struct load_conn *c)
{
	c->state = C_BACKOFF;
	probe_failed(g, c);
	dpx_timer_arm(dpx_tcp_wheel(g->w), &c->timer, now_ms(g) + RETRY_MS);
}

/* The source address of the next connection: round robin once primed,
 * before that an address nobody is probing from. */
static unsigned int
pick_addr(struct load_gen *g)
{
	unsigned int i = g->next_laddr;

	if (!g->primed)
		for (i = 0; g->addr_state[i] != A_UNPRIMED; i++)
			;       /* may_connect() said there is one */
	g->addr_state[i] = g->primed ? A_PRIMED : A_PROBING;
	g->next_laddr = (i + 1) % g->n_laddrs;
	return i;
}

static void
conn_connect(struct load_gen *g, struct load_conn *c, uint64_t queued)
{
	uint32_t laddr;
	int err = 0;

	c->addr = (uint8_t)pick_addr(g);
	laddr = g->laddrs[c->addr];
	g->run.conn_attempts++;
	if (g->measuring)
		g->st.conn_attempts++;
	c->tcb = dpx_tcp_connect(g->w, laddr, g->o->target_addr,
				 g->o->target_port, &load_tcp_cb, c, &err);
	if (c->tcb == NULL) {
		count_err(g, LOAD_E_CONNECT_FAILED);
		conn_backoff(g, c);
		return;
	}
	dpx_tcp_set_user(c->tcb, c);
	g->n_open++;
	c->state = C_CONNECTING;
	c->reqs = 0;
	c->peer_fin = false;
	c->queued = queued;
	conn_watch(g, c);
}

static void
conn_timer(struct dpx_timer *t, void *arg)
{
	struct load_conn *c = arg;
	struct load_gen *g = c->g;
	uint64_t now = now_ms(g), due = c->last_ms + g->o->timeout_ms;

	(void)t;
	if (c->state == C_BACKOFF) {
		conn_recycle(g, c);
		return;
	}
	if (c->state != C_CONNECTING && c->state != C_BUSY &&
	    c->state != C_LINGER)
		return;         /* idle or free: nothing to watch */
	if (now < due) {
		dpx_timer_arm(dpx_tcp_wheel(g->w), &c->timer, due);
		return;
	}
	if (c->state == C_LINGER) {     /* the server kept it open: fine */
		conn_release(g, c, true);
		return;
	}
	count_err(g, LOAD_E_TIMEOUT);
	conn_release(g, c, false);
}

/* ---- responses ------------------------------------------------------------ */

static void
set_err(struct load_conn *c, enum load_err e)
{
	if (c->err == LOAD_E_MAX)       /* the first problem names it */
		c->err = (uint8_t)e;
}

/* Compares body bytes at offset off with the /bytes/N pattern. */
static bool
body_matches(const struct load_gen *g, uint64_t off, const char *p,
	     uint32_t len)
{
	while (len > 0) {
		uint32_t at = (uint32_t)(off % DPX_SVC_PATTERN_LEN);
		uint32_t n = RTE_MIN(len, (uint32_t)DPX_SVC_PATTERN_LEN);

		if (memcmp(p, g->pattern + at, n) != 0)
			return false;
		p += n;
		off += n;
		len -= n;
	}
	return true;
}

static void
body_bytes(struct load_gen *g, struct load_conn *c, const char *p,
	   uint32_t len)
{
	if (g->o->verify_body && c->err == LOAD_E_MAX &&
	    g->o->paths[c->path].expect_len != LOAD_EXPECT_ANY &&
	    strncmp(g->o->paths[c->path].path, "/bytes/", 7) == 0 &&
	    !body_matches(g, c->body_seen, p, len))
		set_err(c, LOAD_E_BODY_MISMATCH);
	c->body_seen += len;
}

/* A complete head: status check and framing. false: unusable. */
static bool
rsp_head_done(struct load_gen *g, struct load_conn *c,
	      const struct dpx_http_response *rsp)
{
	c->head_bytes += rsp->head_len;
	if (rsp->status < 200) {
		if (rsp->status == 101)         /* a tunnel: not HTTP any more */
			return false;
		return true;                    /* 1xx: the final head follows */
	}
	if (rsp->status != g->o->expect_status)
		set_err(c, LOAD_E_BAD_STATUS);
	c->keep_alive = rsp->keep_alive;
	c->framing = (uint8_t)rsp->body;
	c->body_seen = 0;
	c->rsp = R_BODY;
	switch (rsp->body) {
	case DPX_HTTP_BODY_NONE:
		c->rsp = R_DONE;
		break;
	case DPX_HTTP_BODY_LENGTH:
		c->body_left = rsp->content_length;
		if (c->body_left == 0)
			c->rsp = R_DONE;
		break;
	case DPX_HTTP_BODY_CHUNKED:
		dpx_http_chunked_init(&c->chunk, CHUNK_LINE_MAX, CHUNK_LINE_MAX);
		break;
	case DPX_HTTP_BODY_CLOSE:
		break;
	}
	return true;
}

/* Head bytes; returns how many of p belong to the head, or -1. */
static int32_t
rsp_head(struct load_gen *g, struct load_conn *c, const char *p,
	 uint32_t len)
{
	struct dpx_http_response rsp;
	uint32_t before = c->head_len, take;
	int rc;

	if (before == 0) {      /* the usual case: the head in one segment */
		rc = dpx_http_parse_response(p, len, NULL, false, &rsp);
		if (rc == 1)
			return rsp_head_done(g, c, &rsp) ?
			       (int32_t)rsp.head_len : -1;
		if (rc < 0)
			return -1;
	}
	if (c->head == NULL && (c->head = malloc(HEAD_MAX)) == NULL)
		return -1;
	take = RTE_MIN(len, HEAD_MAX - before);
	if (take == 0)
		return -1;      /* a head larger than HEAD_MAX */
	memcpy(c->head + before, p, take);
	c->head_len += take;
	if (before == 0)
		return (int32_t)take;
	rc = dpx_http_parse_response(c->head, c->head_len, NULL, false, &rsp);
	if (rc == 0)
		return (int32_t)take;
	c->head_len = 0;
	if (rc < 0 || !rsp_head_done(g, c, &rsp))
		return -1;
	return (int32_t)(rsp.head_len - before);
}

/* Bytes of the response being received; returns how many of p it took,
 * or -1 on a framing error. */
static int32_t
rsp_consume(struct load_gen *g, struct load_conn *c, const char *p,
	    uint32_t len)
{
	uint32_t used;
	int rc;

	if (c->rsp == R_HEAD)
		return rsp_head(g, c, p, len);
	switch (c->framing) {
	case DPX_HTTP_BODY_LENGTH:
		used = (uint32_t)RTE_MIN((uint64_t)len, c->body_left);
		body_bytes(g, c, p, used);
		c->body_left -= used;
		if (c->body_left == 0)
			c->rsp = R_DONE;
		return (int32_t)used;
	case DPX_HTTP_BODY_CHUNKED:
		rc = dpx_http_chunked_scan(&c->chunk, p, len, &used);
		if (rc < 0)
			return -1;
		c->body_seen = dpx_http_chunked_body_bytes(&c->chunk);
		if (rc == 1)
			c->rsp = R_DONE;
		return (int32_t)used;
	default:                /* until the server closes */
		body_bytes(g, c, p, len);
		return (int32_t)len;
	}
}

static void
record(struct load_gen *g, struct load_conn *c)
{
	int64_t want = g->o->paths[c->path].expect_len;

	if (want != LOAD_EXPECT_ANY && c->body_seen < (uint64_t)want)
		set_err(c, LOAD_E_SHORT_BODY);
	else if (want != LOAD_EXPECT_ANY && c->body_seen > (uint64_t)want)
		set_err(c, LOAD_E_LONG_BODY);
	if (c->err != LOAD_E_MAX) {
		count_err(g, c->err);
		return;
	}
	g->run.completed++;
	if (!g->measuring)
		return;
	g->st.completed++;
	g->st.rsp_bytes += c->head_bytes + c->body_seen;
	g->st.body_bytes += c->body_seen;
	load_hist_add(&g->st.latency, rte_rdtsc() - c->queued);
}

/* The response ended: count it, then the next request, or close. */
static void
conn_complete(struct load_gen *g, struct load_conn *c)
{
	record(g, c);
	c->reqs++;
	probe_answered(g, c);
	if (!c->keep_alive) {   /* the server closes: no TIME_WAIT here */
		if (c->peer_fin)
			conn_close_later(g, c);
		else
			c->state = C_LINGER;
		return;
	}
	if (c->last || g->phase >= LOAD_DRAIN) {
		conn_release(g, c, true);
		return;
	}
	if (!g->open_loop) {
		conn_send(g, c, rte_rdtsc());
		return;
	}
	c->state = C_IDLE;
	c->queued = 0;
	idle_push(g, c);
}

static void
conn_input(struct load_gen *g, struct load_conn *c, const struct rte_mbuf *m)
{
	if (g->measuring)
		g->st.rx_bytes += m->pkt_len;
	c->last_ms = now_ms(g);
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const char *p = rte_pktmbuf_mtod(s, const char *);
		uint32_t len = s->data_len;

		while (len > 0) {
			int32_t used = -1;

			/* Bytes nobody asked for are a framing error too. */
			if (c->state == C_BUSY && c->rsp != R_DONE)
				used = rsp_consume(g, c, p, len);
			if (used < 0) {
				count_err(g, LOAD_E_PARSE);
				conn_release(g, c, false);
				return;
			}
			p += used;
			len -= (uint32_t)used;
		}
	}
	if (c->state == C_BUSY && c->rsp == R_DONE)
		conn_complete(g, c);
}

/* ---- requests ------------------------------------------------------------- */

static void
conn_send(struct load_gen *g, struct load_conn *c, uint64_t queued)
{
	uint32_t p = g->next_path;
	bool last = g->o->reqs_per_conn != 0 &&
		    c->reqs + 1 >= g->o->reqs_per_conn;
	const struct load_req *rq = &g->reqs[p];
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpx_tcp_pool(g->w));
	char *dst = m ? rte_pktmbuf_append(m, rq->len[last]) : NULL;

	g->next_path = p + 1 == g->o->n_paths ? 0 : p + 1;
	if (dst != NULL)
		memcpy(dst, rq->text[last], rq->len[last]);
	if (dst == NULL || dpx_tcp_send(g->w, c->tcb, m) != 0) {
		rte_pktmbuf_free(m);
		count_err(g, LOAD_E_RESET);     /* no mbuf or no send space */
		conn_release(g, c, false);
		return;
	}
	g->run.sent++;
	if (g->measuring)
		g->st.sent++;
	c->state = C_BUSY;
	c->rsp = R_HEAD;
	c->err = LOAD_E_MAX;
	c->path = p;
	c->last = last;
	c->queued = queued;
	c->head_len = 0;
	c->head_bytes = 0;
	c->body_seen = 0;
	conn_watch(g, c);
}

/* ---- TCP callbacks -------------------------------------------------------- */

static void
load_accepted(struct dpx_worker *w, struct dpx_tcb *tcb, void *arg)
{
	struct load_conn *c = arg;
	struct load_gen *g = c->g;

	if (dpx_tcp_user(tcb) != c) {   /* let go of while connecting */
		dpx_tcp_close(w, tcb);
		return;
	}
	g->run.conn_established++;
	if (g->measuring)
		g->st.conn_established++;
	c->last_ms = now_ms(g);
	if (g->phase >= LOAD_DRAIN) {
		conn_release(g, c, true);
		return;
	}
	if (c->queued != 0) {
		conn_send(g, c, c->queued);
		return;
	}
	c->state = C_IDLE;
	idle_push(g, c);
}

static void
load_data(struct dpx_worker *w, struct dpx_tcb *tcb, struct rte_mbuf *m)
{
	struct load_conn *c = dpx_tcp_user(tcb);

	/* Consumed at once: the window reopens before we even look. */
	dpx_tcp_recv_done(w, tcb, m->pkt_len);
	if (c != NULL)
		conn_input(c->g, c, m);
	rte_pktmbuf_free(m);
}

static void
load_peer_closed(struct dpx_worker *w, struct dpx_tcb *tcb)
{
	struct load_conn *c = dpx_tcp_user(tcb);
	struct load_gen *g;

	if (c == NULL) {
		dpx_tcp_close(w, tcb);
		return;
	}
	g = c->g;
	c->peer_fin = true;
	if (c->state == C_BUSY) {
		if (c->rsp == R_BODY && c->framing == DPX_HTTP_BODY_CLOSE) {
			c->keep_alive = false;
			conn_complete(g, c);    /* closes: peer_fin is set */
			return;
		}
		count_err(g, c->rsp == R_HEAD ? LOAD_E_CLOSED :
			  LOAD_E_SHORT_BODY);
	}
	/* A keep-alive connection the server ended is simply replaced. */
	if (c->list == L_IDLE)
		idle_remove(g, c);
	conn_close_later(g, c);
}

static void
load_closed(struct dpx_worker *w, struct dpx_tcb *tcb, int err)
{
	struct load_conn *c = dpx_tcp_user(tcb);
	struct load_gen *g;

	(void)w;
	if (c == NULL)
		return;
	g = c->g;
	dpx_tcp_set_user(tcb, NULL);
	c->tcb = NULL;          /* gone after this callback */
	g->n_open--;
	if (c->state == C_CONNECTING) {
		count_err(g, err == -ECONNREFUSED ? LOAD_E_CONNECT_REFUSED :
			  LOAD_E_CONNECT_FAILED);
		conn_backoff(g, c);
		return;
	}
	if (c->state == C_BUSY || (c->state == C_IDLE && err != 0))
		count_err(g, err == -ETIMEDOUT ? LOAD_E_TIMEOUT : LOAD_E_RESET);
	conn_release(g, c, true);       /* no TCB left: just recycles */
}

static const struct dpx_tcp_callbacks load_tcp_cb = {
	.accepted = load_accepted,
	.data = load_data,
	.peer_closed = load_peer_closed,
	.closed = load_closed,
};

/* ---- the pass ------------------------------------------------------------- */

/*
 * Until each source address has had an answer, one connection per
 * address is open: it resolves ARP on both sides of the proxy for that
 * address, and dpx keeps only a few packets per unresolved neighbour, so
 * a burst of SYNs (or SYN-ACKs) from an unknown address would be dropped
 * and retried a second later.
 */
static bool
may_connect(const struct load_gen *g)
{
	if (g->primed)
		return true;
	for (unsigned int i = 0; i < g->n_laddrs; i++)
		if (g->addr_state[i] == A_UNPRIMED)
			return true;
	return false;
}

static unsigned int
connect_some(struct load_gen *g, uint64_t now)
{
	unsigned int done = 0;

	while (done < CONNECT_BURST && g->connect_q.count > 0 &&
	       may_connect(g)) {
		struct load_conn *c = &g->conns[ring_front(&g->connect_q)];

		ring_pop(&g->connect_q);
		c->list = L_NONE;
		conn_connect(g, c, g->open_loop ? 0 : now);
		done++;
	}
	return done;
}

/* Open loop: requests fall due every 1/rate s whether or not answers
 * come; each waits for a connection, and its latency counts from when it
 * fell due (no coordinated omission). */
static unsigned int
open_loop(struct load_gen *g, uint64_t now)
{
	unsigned int done = 0;

	while (g->next_due <= (double)now) {
		if (!ring_push(&g->backlog, (uint64_t)g->next_due))
			count_err(g, LOAD_E_BACKLOG);
		g->next_due += (double)g->tsc_hz / g->rate;
	}
	while (g->backlog.count > 0 && done < CONNECT_BURST) {
		uint64_t due = ring_front(&g->backlog);
		struct load_conn *c;

		if (now - due > g->timeout_tsc) {
			ring_pop(&g->backlog);
			count_err(g, LOAD_E_TIMEOUT);
			continue;
		}
		if (g->on_demand) {
			if (g->spare.count == 0 || !may_connect(g))
				break;
			c = &g->conns[ring_front(&g->spare)];
			ring_pop(&g->spare);
			c->list = L_NONE;
			ring_pop(&g->backlog);
			conn_connect(g, c, due);
		} else {
			if (g->idle_head == NONE)
				break;
			c = &g->conns[g->idle_head];
			idle_remove(g, c);
			ring_pop(&g->backlog);
			conn_send(g, c, due);
		}
		done++;
	}
	return done;
}

/* No new requests; what is idle closes, requests in flight finish
 * (uncounted) and then close, connections in their handshake close once
 * established (a RST would show in the peer's counters as an error). */
static void
start_drain(struct load_gen *g)
{
	g->connect_q.count = 0;
	g->spare.count = 0;
	g->backlog.count = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		struct load_conn *c = &g->conns[i];

		if (c->list == L_CONNECT || c->list == L_SPARE)
			c->list = L_NONE;
		if (c->state == C_IDLE)
			conn_release(g, c, true);
		else if (c->state == C_BACKOFF)
			c->state = C_FREE;
	}
}

static void
set_phase(struct load_gen *g, enum load_phase phase, uint64_t now)
{
	enum load_phase from = g->phase;

	g->phase = phase;
	if (phase == LOAD_MEASURE && from == LOAD_WARMUP) {
		memset(&g->st, 0, sizeof(g->st));
		load_hist_reset(&g->st.latency);
		g->st.t_start = now;
		g->measuring = true;
	}
	if (phase >= LOAD_DRAIN && from < LOAD_DRAIN) {
		if (from == LOAD_WARMUP)        /* stopped before measuring */
			g->st.t_start = now;
		g->st.t_end = now;
		g->measuring = false;
		start_drain(g);
	}
}

unsigned int
load_gen_tick(struct load_gen *g, struct dpx_worker *w, enum load_phase phase,
	      uint64_t now)
{
	unsigned int work;

	(void)w;
	if (phase != g->phase)
		set_phase(g, phase, now);
	work = close_pending(g);
	if (g->phase >= LOAD_DRAIN)
		return work;
	if (g->open_loop && g->next_due == 0)
		g->next_due = (double)now;      /* the schedule starts now */
	if (g->open_loop)
		work += open_loop(g, now);
	work += connect_some(g, now);
	return work;
}

void
load_gen_account(struct load_gen *g, uint64_t cycles, bool busy)
{
	if (!g->measuring)
		return;
	g->st.loop_cycles += cycles;
	if (busy)
		g->st.busy_cycles += cycles;
}

bool
load_gen_drained(const struct load_gen *g)
{
	return g->n_open == 0;
}

const struct load_stats *
load_gen_stats(struct load_gen *g)
{
	g->st.run = g->run;
	return &g->st;
}

/* ---- set-up and teardown -------------------------------------------------- */

static int
build_requests(struct load_gen *g)
{
	const struct load_opts *o = g->o;

	g->reqs = calloc(o->n_paths, sizeof(*g->reqs));
	if (g->reqs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < o->n_paths; i++) {
		for (int last = 0; last < 2; last++) {
			char *t;
			int n = asprintf(&t, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
					 o->paths[i].path, o->host,
					 last ? "Connection: close\r\n" : "");

			if (n < 0)
				return -ENOMEM;
			g->reqs[i].text[last] = t;
			g->reqs[i].len[last] = (uint16_t)n;
		}
	}
	return 0;
}

/* Source addresses: every address of the outgoing port on the target's
 * prefix (all of its addresses when a gateway reaches the target), so
 * more than one port range of connections fit. */
static int
pick_sources(struct load_gen *g, char *err, size_t errlen)
{
	const struct dpx_port *p;
	unsigned int port;
	uint32_t src;
	char ip[16];

	if (dpx_net_route(g->w, g->o->target_addr, &port, &src) != 0) {
		snprintf(err, errlen, "--target %s: no port of the config "
			 "reaches it", dpx_ipv4_str(g->o->target_addr, ip,
						    sizeof(ip)));
		return -1;
	}
	p = dpx_net_port(g->w, port);
	for (unsigned int i = 0; i < p->conf->n_addrs; i++)
		if (((p->conf->addrs[i].addr ^ g->o->target_addr) &
		     p->masks[i]) == 0)
			g->laddrs[g->n_laddrs++] = p->conf->addrs[i].addr;
	if (g->n_laddrs == 0) {         /* through the gateway */
		for (unsigned int i = 0; i < p->conf->n_addrs; i++)
			g->laddrs[i] = p->conf->addrs[i].addr;
		g->n_laddrs = p->conf->n_addrs;
	}
	/* Each worker may use the local ports whose flows it owns. */
	if ((uint64_t)g->n * g->n_workers >
	    (uint64_t)g->n_laddrs * PORTS_PER_ADDR) {
		snprintf(err, errlen, "--connections %u: port \"%s\" has %u "
			 "source address(es) for the target, %u connections "
			 "each; add addresses to it", g->o->connections,
			 p->conf->name, g->n_laddrs, PORTS_PER_ADDR);
		return -1;
	}
	return 0;
}

static int
check_limits(const struct load_gen *g, char *err, size_t errlen)
{
	uint64_t need = (uint64_t)g->n + SVC_CONN_SLACK;

	if (g->w->cfg->tcp.max_connections < need) {
		snprintf(err, errlen, "--connections %u: the config's "
			 "tcp.max_connections (%u, per worker) must be at least "
			 "%lu (this worker's %u connections + %u for the "
			 "listeners)", g->o->connections,
			 g->w->cfg->tcp.max_connections, (unsigned long)need,
			 g->n, SVC_CONN_SLACK);
		return -1;
	}
	return 0;
}

static int
gen_init(struct load_gen *g, char *err, size_t errlen)
{
	const struct load_opts *o = g->o;

	g->tsc_hz = rte_get_tsc_hz();
	g->timeout_tsc = g->tsc_hz / 1000 * o->timeout_ms;
	g->open_loop = g->rate > 0;
	g->on_demand = g->open_loop && o->reqs_per_conn == 1;
	g->idle_head = g->idle_tail = NONE;
	g->phase = LOAD_WARMUP;
	load_hist_reset(&g->st.latency);
	for (uint32_t i = 0; i < sizeof(g->pattern); i++)
		g->pattern[i] = dpx_svc_pattern_byte(i);
	if (check_limits(g, err, errlen) != 0 ||
	    pick_sources(g, err, errlen) != 0)
		return -1;
	g->conns = calloc(g->n, sizeof(*g->conns));
	if (g->conns == NULL || build_requests(g) != 0 ||
	    ring_init(&g->connect_q, g->n) != 0 ||
	    ring_init(&g->spare, g->n) != 0 ||
	    ring_init(&g->close_q, g->n) != 0 ||
	    (g->open_loop && ring_init(&g->backlog, BACKLOG_MAX) != 0)) {
		snprintf(err, errlen, "out of memory for %u connections", g->n);
		return -1;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		g->conns[i].g = g;
		g->conns[i].prev = g->conns[i].next = NONE;
		dpx_timer_init(&g->conns[i].timer, conn_timer, &g->conns[i]);
		conn_recycle(g, &g->conns[i]);
	}
	return 0;
}

struct load_gen *
load_gen_create(struct dpx_worker *w, const struct load_opts *o,
		const struct load_share *share, char *err, size_t errlen)
{
	struct load_gen *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->o = o;
	g->w = w;
	g->n = share->connections;
	g->rate = share->rate;
	g->n_workers = share->n_workers;
	if (gen_init(g, err, errlen) != 0) {
		load_gen_free(g);
		return NULL;
	}
	return g;
}

void
load_gen_stop(struct load_gen *g, struct dpx_worker *w)
{
	if (g == NULL)
		return;
	g->phase = LOAD_STOP;
	g->measuring = false;
	for (uint32_t i = 0; i < g->n; i++) {
		struct load_conn *c = &g->conns[i];

		dpx_timer_cancel(dpx_tcp_wheel(w), &c->timer);
		if (c->tcb != NULL)
			conn_release(g, c, false);
	}
}

void
load_gen_free(struct load_gen *g)
{
	if (g == NULL)
		return;
	for (uint32_t i = 0; g->conns != NULL && i < g->n; i++)
		free(g->conns[i].head);
	for (uint32_t i = 0; g->reqs != NULL && i < g->o->n_paths; i++) {
		free(g->reqs[i].text[0]);
		free(g->reqs[i].text[1]);
	}
	free(g->reqs);
	free(g->conns);
	free(g->connect_q.v);
	free(g->spare.v);
	free(g->close_q.v);
	free(g->backlog.v);
	free(g);
}
