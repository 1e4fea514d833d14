/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/proxy internals: sessions, server connections, shared state. */
#ifndef DPX_PROXY_PRIV_H
#define DPX_PROXY_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/queue.h>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "dpx_auth.h"
#include "dpx_acl.h"
#include "dpx_cache.h"
#include "dpx_compress.h"
#include "dpx_dns.h"
#include "dpx_http.h"
#include "dpx_lb.h"
#include "dpx_proxy.h"
#include "dpx_tcp.h"
#include "dpx_timer.h"
#include "dpx_tls.h"

#define PX_IP_SLOTS 65536          /* per-client-address counters (hashed) */
#define PX_EVENT_RING 4096
#define PX_LOG_RING 4096
#define PX_HBUF_COUNT 256          /* heads being received at once, per worker */
#define PX_PROBE_BUF 4096          /* health-check response bytes examined */
#define PX_STAGE_MAX (64u * 1024)  /* bytes staged towards one side */
#define PX_LOG_PATH 160
#define PX_TLS_RECORD 16384        /* plaintext per TLS record, at most */
#define PX_FWD_HOST 254            /* a DNS name, NUL included */
#define PX_FWD_RULE 64             /* the ACL rule that decided, after it */

/* Server state in a snapshot. */
enum { PX_SRV_UP = 0, PX_SRV_DOWN, PX_SRV_EJECTED };

/* Worker -> control plane events (encoded in a ring pointer). */
enum {
	PX_EV_PROBE_PASS = 0,
	PX_EV_PROBE_FAIL,
	PX_EV_PASSIVE_OK,
	PX_EV_PASSIVE_FAIL,
};

static inline uintptr_t
px_event(unsigned int type, unsigned int pool, unsigned int server)
{
	return (uintptr_t)((type << 16) | (pool << 8) | server);
}

/* What workers read: immutable once published. */
struct px_snapshot {
	struct dpx_lb_view *view[DPX_MAX_POOLS];
	uint8_t state[DPX_MAX_POOLS][DPX_MAX_SERVERS];
};

/* Control-plane bookkeeping of one server. */
struct px_server_health {
	struct dpx_health_state active;
	uint32_t passive_fails;
	uint64_t ejected_until;     /* ms; 0: not ejected */
	uint64_t up_since;          /* ms; for slow start */
	uint32_t last_weight;       /* weight in the published view */
};

/* One access-log record, copied into a ring and formatted by the main
 * lcore. */
struct px_log_rec {
	uint32_t caddr;
	uint16_t cport;
	uint16_t status;
	uint8_t listener;
	int8_t pool;
	int8_t server;
	uint8_t pad;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint32_t t_total_ms;
	uint32_t t_server_ms;        /* request sent -> response head */
	char method[16];
	char path[PX_LOG_PATH];
	char tls_version[8];        /* "TLSv1.3"; empty: plain */
	char tls_cipher[40];
	char tls_sni[64];
	uint8_t cache;              /* enum px_cache_status; 0: no cache */
	uint8_t fwd;                /* a forward listener's: dest is set */
	uint16_t dport;
	uint32_t daddr;             /* 0: not resolved */
	uint32_t egress;            /* source address to the origin; 0: - */
	char dest[120];             /* the destination as the client named it */
	char user[DPX_AUTH_USER_MAX + 1];   /* authenticated; "": none */
	char rule[PX_FWD_RULE];     /* the ACL rule that decided; "" none */
};

/* The compiled ACLs of "acls" (acl.c), by index in the section. */
struct px_acl_shared {
	_Atomic(struct dpx_acl *) acl[DPX_ACL_MAX_ACLS];
	unsigned int n;
	pthread_mutex_t lock;       /* reloads and reports, never workers */
	_Atomic uint64_t reloads;
	_Atomic uint64_t reload_failures;
};

struct dpx_proxy_shared {
	const struct dpx_config *cfg;
	unsigned int n_workers;
	struct rte_rcu_qsbr *qsbr;
	_Atomic(struct px_snapshot *) snap;
	struct rte_ring *events[DPX_MAX_WORKERS];
	struct rte_ring *logs[DPX_MAX_WORKERS];
	atomic_uint listener_conns[DPX_MAX_LISTENERS];
	atomic_uint *ip_conns;      /* PX_IP_SLOTS */
	/* Control plane only: */
	struct px_server_health health[DPX_MAX_POOLS][DPX_MAX_SERVERS];
	uint64_t last_publish;
	bool dirty;                 /* health changed: publish now */
	bool ramping;               /* slow start running: publish often */
	FILE *log;
	bool log_owned;
	/* The HTTP cache (cache.c), shared by every worker; NULL when the
	 * config has no "cache" section. */
	struct dpx_cache *cache;
	/* Ticket keys of TLS listeners, read by every worker, rotated by
	 * the control plane. */
	struct dpx_tls_keys *tls_keys[DPX_MAX_LISTENERS];
	/* Certificate reloads (tls_reload.c): each worker's objects, to
	 * build its servers and post them; counts read by telemetry. */
	struct dpx_proxy_worker *workers[DPX_MAX_WORKERS];
	_Atomic uint64_t tls_reloads;
	_Atomic uint64_t tls_reload_failures;
	/* Proxy authentication (fwd_auth.c): the authenticators of the
	 * "auth" section that forward listeners use, by section index
	 * (NULL: unused), each with its verifier thread. */
	struct dpx_auth *auth[DPX_AUTH_MAX];
	struct px_acl_shared acl;
};

/* One reload's servers for one worker, by listener (NULL: not TLS). */
struct px_tls_set {
	struct dpx_tls_server *srv[DPX_MAX_LISTENERS];
};

struct px_session;

/* What a caching listener did with a request (X-Cache, access log). */
enum px_cache_status {
	PX_CS_NONE = 0,             /* not a caching listener */
	PX_CS_MISS,                 /* from the server */
	PX_CS_HIT,
	PX_CS_STALE,
	PX_CS_BYPASS,               /* not eligible */
	PX_CS_REVALIDATED,          /* stored, the server said 304 */
	PX_CS_COUNT
};

/* A cacheable request's key and directives, for its whole exchange
 * (from the worker's creqs pool). */
#define PX_CACHE_KEY_MAX 1024
struct px_creq {
	struct dpx_http_req_cache q;
	struct dpx_cache_key k;
	int64_t request_time;       /* s */
	uint16_t host_off, host_len;    /* within key, for bans */
	uint16_t path_off, path_len;
	uint16_t reval_len;         /* validators sent to revalidate */
	char reval[512];
	char key[PX_CACHE_KEY_MAX];
};

/* Bytes in flight inside dpx: a list of single-segment mbufs. */
struct px_chain {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t len;
};

/* A connection to a server; outlives sessions while kept alive. */
struct px_srv {
	struct dpx_worker *w;       /* owner, for timer callbacks */
	struct dpx_tcb *tcb;
	struct px_session *s;       /* NULL while idle or closing */
	uint8_t pool;
	uint8_t server;
	bool connected;
	bool peer_closed;
	bool idle;
	bool counted;               /* holds an "active" slot */
	struct px_chain in;         /* received, not yet classified */
	struct dpx_timer timer;     /* idle timeout */
	TAILQ_ENTRY(px_srv) link;   /* idle list */
	/* Pools with "tls": connected means the handshake is done too. */
	struct dpx_tls_conn *tls;
	struct px_chain tls_out;    /* records towards the server */
	uint64_t sni_hash;          /* of the SNI sent: reuse only for it */
	uint32_t dst_addr;          /* where it goes: forward pools reuse a */
	uint16_t dst_port;          /* ... connection only for its origin */
	uint32_t src_addr;          /* ... from its egress address (0: route's) */
	bool tcp_up;                /* TCP connected, handshake running */
	bool fin_in;                /* TCP FIN in; peer_closed once read */
	bool tls_kicked;            /* on the worker's srv_kick list */
	TAILQ_ENTRY(px_srv) klink;
};
TAILQ_HEAD(px_srv_list, px_srv);

enum px_req_state { REQ_HEAD = 0, REQ_BODY, REQ_DONE, REQ_TUNNEL };
enum px_rsp_state { RSP_IDLE = 0, RSP_HEAD, RSP_BODY, RSP_TUNNEL };

struct px_session {
	struct dpx_worker *w;       /* owner, for timer callbacks */
	const struct dpx_listener_conf *ls;
	uint8_t li;                 /* listener index */
	bool http;
	bool cli_peer_closed;
	bool srv_fin_sent;          /* tcp: FIN passed to the server */
	bool cli_fin_sent;
	bool close_after;           /* close the client after this response */
	bool queued;
	bool counted;               /* holds listener / per-IP slots */
	uint16_t ip_slot;           /* its per-IP counter, when counted */
	bool req_head_method;       /* request is HEAD */
	bool req_idempotent;
	bool req_upgrade;
	bool rsp_started;           /* bytes of a response went to the client */
	bool client_http10;
	bool rsp_keepalive;         /* the server keeps its connection */
	bool rsp_complete;          /* the whole body is staged for the client */
	struct dpx_tcb *cli;
	struct px_srv *srv;
	uint32_t caddr;
	uint16_t cport;
	int pool;                   /* -1 until routed */
	int server;
	uint64_t tried;             /* servers tried for this request */
	uint64_t hash;              /* balancing key (hash pools) */
	bool draining;              /* ending: flushing to_cli, then close */
	unsigned int attempts;
	const struct dpx_route_conf *route;
	struct px_chain cin;        /* client bytes not yet classified */
	struct px_chain to_srv;     /* staged for the server */
	struct px_chain to_cli;     /* staged for the client */
	struct px_chain req_copy;   /* the sent head again, for a retry */
	bool reused;                /* server conn came from the idle pool */
	enum px_req_state req_state;
	enum px_rsp_state rsp_state;
	char *hbuf;                 /* head being received (either side) */
	uint32_t hlen;
	struct dpx_http_parser hp;  /* its parse so far (from hlen == 0) */
	uint64_t req_left;          /* body bytes (LENGTH) */
	uint64_t rsp_left;
	enum dpx_http_body req_body;
	enum dpx_http_body rsp_body;
	struct dpx_http_chunked req_chunked;
	struct dpx_http_chunked rsp_chunked;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t t_start;
	uint64_t t_sent;
	uint32_t t_server;
	uint16_t status;
	char method[16];
	char path[PX_LOG_PATH];
	struct dpx_timer timer;
	TAILQ_ENTRY(px_session) qlink;
	/* TLS listeners: the client side's TLS state and records to send. */
	struct dpx_tls_conn *tls;
	struct px_chain tls_out;
	bool tls_kicked;            /* on the worker's tls_kick list */
	bool tls_flush_due;         /* to_cli is encrypted at the pass's end */
	bool sni_wait;              /* tcp by SNI: reading the ClientHello */
	uint32_t sni_need;          /* ... bytes it needs before a new look */
	TAILQ_ENTRY(px_session) klink;
	/* "cache": true listeners (cache.c), reset with each exchange. */
	uint8_t cache_status;       /* enum px_cache_status */
	bool cache_served;          /* the response is the cache's own */
	bool cache_abort;           /* ... but could not be written: reset */
	bool cache_waiting;         /* on cache_wait for another's fill */
	bool cache_unsafe;          /* unsafe method: its response invalidates */
	bool cache_bg;              /* a background refresh: no client */
	bool cache_bg_https;        /* ... for a client of a TLS listener */
	bool cache_bg_done;         /* ... that stored or freshened the object */
	struct px_creq *creq;
	struct dpx_cache_fill *cache_fill;  /* led or awaited */
	struct dpx_cache_obj *cache_obj;    /* being stored */
	struct dpx_cache_obj *cache_stale;  /* for stale-if-error */
	TAILQ_ENTRY(px_session) cwlink;    /* cache_wait, or cache_bg (bg) */
	/* "compression" (compress.c) */
	uint8_t ce_coding;          /* enum dpx_coding the client accepts */
	bool req_range;             /* the request had Range */
	bool cz_chunked;            /* compressed body framed chunked */
	struct dpx_compress_stream *cz;
	bool cv_defer;              /* the response is being stored: the
				     * client gets its compressed variant
				     * once the body is (cache_variant.c) */
	/* "mode": "forward" (forward.c); fwd NULL on other listeners. */
	const struct dpx_forward_conf *fwd;
	uint32_t fwd_addr;          /* the origin, once resolved */
	uint16_t fwd_port;
	bool fwd_connect;           /* CONNECT: a tunnel once connected */
	bool fwd_tunnel;            /* the tunnel is open (and counted) */
	bool fwd_resolving;         /* waiting for the resolver */
	int8_t egress_idx;          /* in fwd->egress.addrs; -1: none */
	uint32_t egress_addr;       /* source of the origin connection; 0:
				     * the route's (egress.c) */
	uint8_t fwd_deny;           /* enum px_fwd_deny of dpx's answer */
	/* As the client named it: PX_FWD_HOST bytes from pw->fwd_hosts, only
	 * on forward listeners, so other sessions do not carry 254 bytes;
	 * the host of a struct px_fwd_names (with the user, the ACL rule
	 * that decided and the name's lookup). */
	char *fwd_host;
	/* Proxy authentication (fwd_auth.c), set per request on forward
	 * listeners with "auth", read by access rules and egress choice:
	 * user is the name that was verified ("" until then; in the same
	 * pool object as fwd_host, NULL on other listeners), user_index its
	 * line in the users file (-1), auth_rule its rule (acl,
	 * egress_addr; NULL: none applies). */
	char *user;
	int32_t user_index;
	const struct dpx_auth_rule *auth_rule;
	bool fwd_auth_wait;         /* parked until the verifier answers */
	uint32_t fwd_auth_slot;     /* ... in pw->auth.park */
	struct px_acl_pending *acl_pend;    /* a decision awaiting the name */
};
TAILQ_HEAD(px_session_list, px_session);

/* What only forward sessions carry, an element of pw->fwd_hosts, so
 * other sessions do not carry it: the name (s->fwd_host points at host),
 * the user (fwd_auth.c), the ACL rule that decided (acl.c) and the
 * name's lookup by the worker's resolver (fwd_dns.c). */
struct px_fwd_names {
	char host[PX_FWD_HOST];     /* first: s->fwd_host is its address */
	char user[DPX_AUTH_USER_MAX + 1];
	char rule[PX_FWD_RULE];
	uint8_t dns;                /* enum dpx_dns_status of the last lookup */
	struct px_session *s;       /* the waiter's session */
	struct dpx_dns_waiter wait;
};

/* A request waiting for its authenticator's verifier; gen goes into the
 * cookie so that an answer for a slot used since is recognised. */
struct px_auth_park {
	struct px_session *s;       /* NULL: the client went meanwhile */
	uint32_t gen;
};

/* A worker's side of the authenticators (fwd_auth.c). */
struct px_auth_worker {
	struct dpx_auth_worker *aw[DPX_AUTH_MAX];   /* NULL: unused */
	unsigned int n;             /* authenticators in use */
	struct px_auth_park *park;  /* n_park: every queue's slots */
	uint32_t *park_free;
	uint32_t n_park;
	uint32_t n_free;
	uint64_t abandoned;         /* answers for sessions that had gone */
};

/* Per worker, per pool: balancing state, idle conns, queue. */
struct px_pool_worker {
	struct dpx_lb_state lb;
	struct px_srv_list idle[DPX_MAX_SERVERS];
	uint32_t n_idle[DPX_MAX_SERVERS];
	bool failing[DPX_MAX_SERVERS];  /* last passive event was a failure */
	uint32_t limit;             /* per-server connection limit here */
	uint32_t queue_max;
	uint32_t n_queued;
	struct px_session_list queue;
};

/* A health probe this worker runs for one server. */
struct px_probe {
	struct dpx_worker *w;
	uint8_t pool;
	uint8_t server;
	bool busy;
	struct dpx_tcb *tcb;
	struct dpx_tls_conn *tls;   /* pools with "tls" */
	struct dpx_timer timer;     /* next probe, or the running one's timeout */
	uint32_t len;
	struct dpx_http_parser hp;  /* parse of buf so far */
	char buf[PX_PROBE_BUF];
};

/*
 * A stored head as parsed for a hit, found by the object's publication
 * number (never reused, so a match is the very object whose head the
 * spans point into) and valid for the second it was parsed in (RFC 850
 * dates depend on the clock): a hot object's hits skip the parse.
 */
/* The head a whole answer from the entry last got (px_serve_obj), and
 * what it was written for: the next hit that matches copies the bytes
 * instead of running the response writer again. */
#define PX_HEAD_OUT_MAX 1024

struct px_head_out {
	const struct dpx_listener_conf *ls;
	const void *route;
	int64_t age;
	uint8_t cache_status;
	bool close;
	bool http10;
	uint16_t len;                   /* 0: none */
	uint16_t sum;                   /* dpx_cksum() of bytes, for TCP */
	char bytes[PX_HEAD_OUT_MAX];
};

struct px_head_memo {
	uint64_t seq;                   /* 0: empty */
	int64_t now;
	struct dpx_http_response rsp;
	struct dpx_http_rsp_cache crc;
	struct px_head_out out;
};

#define PX_HEAD_MEMOS 16                /* direct-mapped by seq */

struct dpx_proxy_worker {
	struct dpx_proxy_shared *sh;
	struct rte_mempool *sessions;
	struct rte_mempool *srvs;
	struct rte_mempool *hbufs;
	struct rte_mempool *fwd_hosts;  /* NULL without forward listeners */
	struct px_acl_worker *acl;      /* NULL without "acls" */
	struct dpx_dns *dns;            /* NULL without "resolver" (fwd_dns.c) */
	uint32_t hbuf_size;
	struct px_pool_worker pools[DPX_MAX_POOLS];
	struct px_probe *probes;
	struct dpx_proxy_stats stats;
	struct dpx_proxy_server_stats srv_stats[DPX_MAX_POOLS][DPX_MAX_SERVERS];
	/* Forward listeners' egress addresses (egress.c). */
	uint32_t egress_rr[DPX_MAX_LISTENERS];
	struct dpx_proxy_egress_stats
		egress_stats[DPX_MAX_LISTENERS][DPX_EGRESS_MAX];
	struct dpx_tls_server *tls[DPX_MAX_LISTENERS];
	/* A reload posted by the control plane, taken by px_tls_adopt(). */
	_Atomic(struct px_tls_set *) tls_next;
	struct dpx_tls_stats tls_stats;
	/* TLS sessions whose plaintext was consumed: they read on in
	 * dpx_proxy_worker_run(), once per pass. */
	struct px_session_list tls_kick;
	bool tls_direct;                /* serving tls_kick: encrypt now */
	/* TLS server connections whose plaintext was consumed. */
	struct px_srv_list srv_kick;
	struct dpx_tls_client *tls_cli[DPX_MAX_POOLS];
	struct dpx_tls_stats tls_origin_stats;  /* TLS to servers */
	uint64_t tls_warn_ms;           /* next handshake failure logged */
	uint8_t hello[DPX_TLS_HELLO_MAX];   /* a ClientHello, read for SNI */
	uint8_t tls_rec[PX_TLS_RECORD];     /* plaintext gathered for a record */
	/* The HTTP cache: sessions waiting for a fill, request keys, rules'
	 * settings, scratch for a stored head's parse and a Vary key. */
	struct px_session_list cache_wait;
	struct px_session_list cache_bg;    /* background refreshes running */
	uint32_t n_cache_bg;
	uint32_t cz_active;             /* compression streams */
	struct rte_mempool *creqs;
	struct dpx_http_cache_cfg ccfg;
	struct dpx_http_cache_cfg route_ccfg[DPX_MAX_ROUTES];  /* their TTLs */
	struct dpx_http_rsp_cache crc;
	struct px_head_memo *head_memo;     /* PX_HEAD_MEMOS (cache.c) */
	struct dpx_proxy_cache_stats cstats;
	char cache_scratch[PX_CACHE_KEY_MAX + 1024];
	struct px_auth_worker auth;
	struct dpx_http_request req;    /* scratch: one parse at a time */
	struct dpx_http_response rsp;
	char scratch[];                 /* hbuf_size + 4096: outgoing heads */
};

static inline struct dpx_proxy_worker *
px_w(struct dpx_worker *w)
{
	return w->proxy;
}

/* pipe.c */
void px_chain_add(struct px_chain *q, struct rte_mbuf *m);
void px_chain_free(struct px_chain *q);
struct rte_mbuf *px_chain_pop(struct px_chain *q);
int px_chain_take(struct rte_mempool *mp, struct px_chain *from,
		  uint32_t n, struct px_chain *to);
void px_chain_move(struct px_chain *from, struct px_chain *to);
uint32_t px_chain_copy(const struct px_chain *q, uint32_t off, uint32_t len,
		       char *dst);
int px_chain_add_bytes(struct rte_mempool *mp, struct px_chain *q,
		       const char *p, uint32_t len);
int px_chain_flush(struct dpx_worker *w, struct px_chain *q,
		   struct dpx_tcb *dst);

/* upstream.c: server connections */
extern const struct dpx_tcp_callbacks px_srv_cb;
const struct px_snapshot *px_snapshot(struct dpx_worker *w);
int px_pick_server(struct dpx_worker *w, struct px_session *s, uint64_t hash,
		   bool *all_full);
struct px_srv *px_srv_get(struct dpx_worker *w, struct px_session *s,
			  bool *reused, int *err);
void px_srv_release(struct dpx_worker *w, struct px_session *s, bool reuse);
void px_srv_abort(struct dpx_worker *w, struct px_srv *c);
void px_server_event(struct dpx_worker *w, unsigned int pool,
		     unsigned int server, unsigned int type);
void px_queue_add(struct dpx_worker *w, struct px_session *s);
void px_queue_del(struct dpx_worker *w, struct px_session *s);
void px_queue_kick(struct dpx_worker *w, unsigned int pool);

/* server_tls.c: the server side, plain or TLS (pools with "tls") */
int px_srv_tls_open(struct dpx_worker *w, struct px_srv *c,
		    struct px_session *s);
void px_srv_tls_run(struct dpx_worker *w, struct px_srv *c);
int px_srv_flush(struct dpx_worker *w, struct px_session *s);
void px_srv_recv_done(struct dpx_worker *w, struct px_srv *c, uint32_t n);
uint32_t px_srv_pending(const struct px_srv *c);
void px_srv_close(struct dpx_worker *w, struct px_srv *c);
void px_srv_unkick(struct dpx_worker *w, struct px_srv *c);
bool px_srv_kicks_run(struct dpx_worker *w);
uint64_t px_srv_sni_for(const struct dpx_worker *w, const struct px_session *s);

/* session.c: shared by both modes */
extern const struct dpx_tcp_callbacks px_cli_cb;
void px_session_arm(struct dpx_worker *w, struct px_session *s, uint32_t ms);
void px_session_end(struct dpx_worker *w, struct px_session *s, bool abort);
void px_session_log(struct dpx_worker *w, struct px_session *s);
int px_connect_server(struct dpx_worker *w, struct px_session *s);
struct px_session *px_session_new_detached(struct dpx_worker *w,
					   const struct px_session *from);
char *px_hbuf_get(struct dpx_worker *w, struct px_session *s);
void px_hbuf_put(struct dpx_worker *w, struct px_session *s);
void px_tunnel_run(struct dpx_worker *w, struct px_session *s);
/* The client side, plain or TLS: send what is staged in to_cli; the
 * application consumed n bytes of cin; bytes not yet on the wire. */
void px_cli_flush(struct dpx_worker *w, struct px_session *s);
void px_cli_recv_done(struct dpx_worker *w, struct px_session *s,
		      uint32_t n);
uint32_t px_cli_pending(const struct px_session *s);
/* The client side is through its preliminaries (TLS handshake, reading
 * the ClientHello for SNI): the session's mode may run. */
bool px_cli_ready(const struct px_session *s);
/* close_notify (TLS), then FIN. */
void px_cli_close(struct dpx_worker *w, struct px_session *s);
/* Encrypts the head of q into t's output: up to one full record. */
int px_tls_write_some(struct dpx_worker *w, struct dpx_tls_conn *t,
		      struct px_chain *q);
/* TLS: handshake, decrypt, and run the mode when there is something new. */
void px_tls_run(struct dpx_worker *w, struct px_session *s);
void px_tls_unkick(struct dpx_worker *w, struct px_session *s);
/* The kicked sessions; true when some are left for the next pass. */
bool px_tls_kicks_run(struct dpx_worker *w);

/* tls_reload.c */
void px_tls_adopt_slow(struct dpx_proxy_worker *pw);
void px_tls_set_free(struct px_tls_set *set);

/* Takes up a certificate reload, if one was posted: a relaxed load per
 * call, the exchange only when there is one. */
static inline void
px_tls_adopt(struct dpx_proxy_worker *pw)
{
	if (atomic_load_explicit(&pw->tls_next, memory_order_relaxed) != NULL)
		px_tls_adopt_slow(pw);
}
/* tcp listeners with sni_routes: picks the pool once the ClientHello is
 * in; false when the session ended. */
bool px_sni_route(struct dpx_worker *w, struct px_session *s);
/* The mode's request step, without the TLS layer. */
void px_run_request_mode(struct dpx_worker *w, struct px_session *s);

/* Hooks from the server side into the session's mode. */
void px_on_server_ready(struct dpx_worker *w, struct px_session *s);
void px_run_request(struct dpx_worker *w, struct px_session *s);
void px_run_response(struct dpx_worker *w, struct px_session *s);
void px_on_server_gone(struct dpx_worker *w, struct px_session *s, int err,
		       bool connected);
void px_on_queue_timeout(struct dpx_worker *w, struct px_session *s);

/* http.c */
void px_http_client_run(struct dpx_worker *w, struct px_session *s);
void px_http_server_run(struct dpx_worker *w, struct px_session *s);
void px_http_server_gone(struct dpx_worker *w, struct px_session *s, int err,
			 bool connected);
void px_http_error(struct dpx_worker *w, struct px_session *s, int status);
void px_http_timeout(struct dpx_worker *w, struct px_session *s);
/* Writes the request head for the server into to_srv (and keeps it for a
 * retry when the request has no body); 0 or -status. */
int px_http_stage_request_head(struct dpx_worker *w, struct px_session *s,
			       const struct dpx_http_request *req);

/* cache.c */
const char *px_cache_status_name(unsigned int st);
int px_cache_worker_init(struct dpx_worker *w);
void px_cache_worker_fini(struct dpx_worker *w);
/* 0: go to the server; 1: answered from the cache, or waiting for
 * another request's fill; <0: -status to answer with. */
int px_cache_request(struct dpx_worker *w, struct px_session *s,
		     const struct dpx_http_request *req);
/* The server's response head arrived (head: its bytes). true when the
 * cache answered instead (stale-if-error) and the server is dropped. */
bool px_cache_response(struct dpx_worker *w, struct px_session *s,
		       const struct dpx_http_response *rsp, const char *head);
/* Validators to send when revalidating a stored response; NULL: none. */
const char *px_cache_validators(const struct px_session *s, uint32_t *len);
/* The X-Cache field of a forwarded response into buf; its length. */
uint32_t px_cache_fields(const struct px_session *s, char *buf, uint32_t cap);
/* n body bytes at the head of q go to the client: a copy is stored. */
void px_cache_body(struct dpx_worker *w, struct px_session *s,
		   const struct px_chain *q, uint32_t n);
/* A chunked body's next bytes p[0, len), as dpx_http_chunked_scan() on
 * s->rsp_chunked (its result and *used), with the chunk data copied
 * into the object being stored, if any (de-chunked). */
int px_cache_chunked(struct dpx_worker *w, struct px_session *s,
		     const char *p, uint32_t len, uint32_t *used);
/* The whole body went to the client: publish what was stored (a chunked
 * one with a Content-Length head instead of its framing). */
void px_cache_body_done(struct dpx_worker *w, struct px_session *s);
/* The body of a response held back (s->cv_defer) is in: answer from the
 * store. May end s. */
void px_cache_deferred(struct dpx_worker *w, struct px_session *s);
/* The server failed before a response (502/504 next): true when a stale
 * response was served instead. */
bool px_cache_server_failed(struct dpx_worker *w, struct px_session *s);
/* A response of the cache's own: flush, and end it once sent. */
void px_cache_run(struct dpx_worker *w, struct px_session *s);
/* pw->rsp and pw->crc from o's head; false when it does not parse. */
bool px_stored_head(struct dpx_worker *w, const struct dpx_cache_obj *o,
		    int64_t now);
/* m's ETag and Last-Modified offsets within head, a head to store. */
void px_meta_offsets(struct dpx_worker *w, const char *head, uint32_t len,
		     int64_t now, struct dpx_cache_meta *m);
/* Releases the exchange's cache state (its end, or the session's). */
void px_cache_exchange_end(struct dpx_worker *w, struct px_session *s);
/* Waiting sessions whose fill ended; true when some still wait. */
bool px_cache_waiters_run(struct dpx_worker *w);

/* cache_variant.c: compressed variants of stored responses */
/* The variant of o (an identity response, pw->rsp parsed from its head)
 * in s's coding, found or made now; a reference, with pw->rsp and
 * pw->crc parsed from its head. NULL: o is the answer (no coding, not
 * eligible, no gain, or being made by another worker). */
struct dpx_cache_obj *px_cv_get(struct dpx_worker *w, struct px_session *s,
				const struct dpx_cache_obj *o, int64_t now);
/* rsp, being stored, qualifies for a compressed variant: its head and
 * body are held back and the client is answered from the store once the
 * body is in (s->cv_defer). */
bool px_cv_defer(struct dpx_worker *w, struct px_session *s,
		 const struct dpx_http_response *rsp);

/* compress.c */
/* Whether rsp may be compressed for s (s->req_range included). */
enum dpx_compress_why px_cz_check(const struct px_session *s,
				  const struct dpx_http_response *rsp,
				  bool head_request);
void px_cz_request(struct dpx_worker *w, struct px_session *s,
		   const struct dpx_http_request *req);
struct px_rsp_extra;
/* Starts compressing rsp's body when allowed: fields for the head into
 * buf (their length; 0: not compressed) and x's drops. */
uint32_t px_cz_response(struct dpx_worker *w, struct px_session *s,
			const struct dpx_http_response *rsp,
			struct px_rsp_extra *x, char *buf, uint32_t cap);
/* An answer of rsp whose body dpx may send compressed to other clients
 * (a compression listener, rsp eligible): its Vary line with
 * Accept-Encoding merged into buf (its length; 0: none to add) and x's
 * drop of the old lines. */
#define PX_VARY_FIELD 560           /* room for px_cz_vary()'s line */
uint32_t px_cz_vary(const struct px_session *s,
		    const struct dpx_http_response *rsp,
		    struct px_rsp_extra *x, char *buf, uint32_t cap);
/* n bytes at the head of in, compressed to to_cli; last: the body ends. */
int px_cz_body(struct dpx_worker *w, struct px_session *s, struct px_chain *in,
	       uint32_t n, bool last);
void px_cz_end(struct dpx_worker *w, struct px_session *s);

/* http.c: used by cache.c */
struct px_rsp_extra {
	uint16_t status;            /* 0: the response's */
	bool drop_age;
	bool drop_length;
	bool drop_vary, drop_etag, drop_accept_ranges;  /* compression */
	bool drop_type;             /* multipart/byteranges */
	const char *fields;
	uint32_t len;
};
/* The value of the first of h[0, n) called name (any case), or NULL. */
const struct dpx_http_str *px_field(const struct dpx_http_header *h,
				    uint32_t n, const char *name);
int px_http_write_head(struct dpx_worker *w, struct px_session *s,
		       const struct dpx_http_response *rsp,
		       const struct px_rsp_extra *x);
void px_http_exchange_done(struct dpx_worker *w, struct px_session *s);

/* acl.c: access control of forward listeners */
int px_acl_shared_init(struct dpx_proxy_shared *sh);
void px_acl_shared_fini(struct dpx_proxy_shared *sh);
int px_acl_worker_init(struct dpx_worker *w);
void px_acl_worker_fini(struct dpx_worker *w);
/* The ACL on a request, with the user authenticated (s->user; the
 * user's own ACL, its auth rule's "acl", replaces the listener's): 0
 * allowed (or decided only once the name resolves: px_acl_recheck()),
 * else -status with the answer kept for px_acl_answer() (s->fwd_deny
 * PX_FWD_ACL). */
int px_acl_check(struct dpx_worker *w, struct px_session *s,
		 const struct dpx_http_request *req, bool connect);
/* The request parks for its verifier (s->fwd_auth_wait): its method and
 * path are kept when an ACL may decide it; 0 or -status. */
int px_acl_park(struct dpx_worker *w, struct px_session *s,
		const struct dpx_http_request *req, bool connect);
/* The parked request authenticated: px_acl_check() on the kept copy. */
int px_acl_authenticated(struct dpx_worker *w, struct px_session *s);
/* After resolution, for a decision that waited: 0 or -status. */
int px_acl_recheck(struct dpx_worker *w, struct px_session *s);
/* The copy a waiting decision kept goes (session end, next request). */
void px_acl_release(struct dpx_worker *w, struct px_session *s);
/* The ACL's refusal page or redirect, sent; the session closes. In the
 * event that decided (the ACL may go after the worker's pass). */
bool px_acl_answer(struct dpx_worker *w, struct px_session *s);
/* The rule that decided the session's request; "" when none. */
const char *px_acl_rule(const struct px_session *s);
void px_acl_rule_clear(struct px_session *s);

/* forward.c: "mode": "forward" listeners */
enum px_fwd_deny {
	PX_FWD_OK = 0,
	PX_FWD_UNRESOLVED,          /* 502 "dpx: cannot resolve NAME" */
	PX_FWD_LOOP,
	PX_FWD_ACL,                 /* an ACL's refusal or redirect (acl.c) */
};
/* A parsed request on a forward listener: 1 when allowed (the session
 * is set up for it: stage the head, then px_fwd_go()), else -status to
 * answer with (counted by reason). */
int px_fwd_start(struct dpx_worker *w, struct px_session *s,
		 const struct dpx_http_request *req);
/* The cache, then resolve and connect: 0 when under way (or answered
 * from the cache: s->cache_served), else -status. req: the parsed
 * request, NULL once it is gone (a parked one). */
int px_fwd_go(struct dpx_worker *w, struct px_session *s,
	      const struct dpx_http_request *req);
/* The head parser refused a request: count why, when the target says. */
void px_fwd_parse_refused(struct dpx_worker *w, const char *buf,
			  uint32_t len);
/* The resolver answered (addr 0: not resolved, px_dns_http_status());
 * runs later than px_fwd_start() when lib/dns had to ask a server. */
void px_fwd_resolved(struct dpx_worker *w, struct px_session *s,
		     uint32_t addr);
/* CONNECT: the origin accepted; 200 and the tunnel. */
void px_fwd_tunnel_open(struct dpx_worker *w, struct px_session *s);
/* The session goes: a pending resolution cancelled, tunnel gauges and
 * bytes. */
void px_fwd_session_end(struct dpx_worker *w, struct px_session *s);
/* The body of dpx's own error answer, or NULL for the standard one. */
const char *px_fwd_error_text(const struct px_session *s, char *buf,
			      size_t cap);
/* The request writer's settings for the listener's anonymity; names:
 * room for the dropped names (PX_FWD_DROP_MAX). */
#define PX_FWD_DROP_MAX (DPX_FWD_MAX_STRIP + 8)
void px_fwd_rewrite(const struct px_session *s,
		    struct dpx_http_req_rewrite *rw, struct dpx_http_str *names);
/* ... and the response writer's. */
void px_fwd_rsp_rewrite(const struct px_session *s,
			struct dpx_http_rsp_rewrite *rw);

/* egress.c: the source address of a forward request's origin connection
 * into s->egress_addr / egress_idx (before px_connect_server()); a new
 * connection from it; a finished request's bytes. */
void px_egress_pick(struct dpx_worker *w, struct px_session *s);
void px_egress_connected(struct dpx_worker *w, const struct px_session *s);
void px_egress_account(struct dpx_worker *w, const struct px_session *s);

/* fwd_auth.c: "auth" on forward listeners (lib/auth) */
int px_auth_create(struct dpx_proxy_shared *sh);
void px_auth_destroy(struct dpx_proxy_shared *sh);
int px_auth_worker_init(struct dpx_worker *w);
void px_auth_worker_fini(struct dpx_worker *w);
/* A request's Proxy-Authorization: 0 to go on (s->user and the rule set,
 * or no "auth"), -status to refuse, or 0 with s->fwd_auth_wait: parked
 * until px_auth_run() has the verifier's answer. */
int px_fwd_auth_check(struct dpx_worker *w, struct px_session *s,
		      const struct dpx_http_request *req);
/* The session goes while parked: its answer will be dropped. */
void px_fwd_auth_cancel(struct dpx_worker *w, struct px_session *s);
/* Some rule of the listener's authenticator names an ACL of its own. */
bool px_fwd_auth_names_acls(const struct dpx_worker *w,
			    const struct px_session *s);
/* Once per loop pass: the verifiers' answers resume their requests
 * (px_fwd_authenticated()). True while requests are parked. */
bool px_auth_run(struct dpx_worker *w);
/* The Proxy-Authenticate field of a 407 ("NAME: value\r\n") in buf, or
 * NULL. */
const char *px_fwd_error_fields(const struct px_session *s, int status,
				char *buf, size_t cap);

/* forward.c: a parked request was let through: the cache, then resolve
 * and connect. */
void px_fwd_authenticated(struct dpx_worker *w, struct px_session *s);
/* forward.c: the fill a request waited for failed: resolve and connect. */
void px_fwd_cache_missed(struct dpx_worker *w, struct px_session *s);

/* fwd_dns.c: the worker's resolver for forward listeners */
/* Creates it when the config has a "resolver" and forward listeners. */
int px_dns_worker_init(struct dpx_worker *w, bool forward);
void px_dns_worker_fini(struct dpx_worker *w);
/* Looks s->fwd_host up: 0 with s->fwd_addr set, 1 when px_fwd_resolved()
 * follows, -1 on failure (or no resolver); the status is kept for
 * px_dns_http_status(). px_dns_forget() clears it (no lookup made). */
int px_dns_resolve(struct dpx_worker *w, struct px_session *s);
void px_dns_forget(struct px_session *s);
void px_dns_cancel(struct dpx_worker *w, struct px_session *s);
/* A failed resolution's status (502 without a resolver), and the reason
 * to add to "dpx: cannot resolve NAME" (NULL: none). */
int px_dns_http_status(const struct px_session *s);
const char *px_dns_failure_text(const struct px_session *s);

/* health.c */
int px_probes_start(struct dpx_worker *w);
void px_probes_stop(struct dpx_worker *w);

#endif /* DPX_PROXY_PRIV_H */
