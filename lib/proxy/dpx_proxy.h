/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy: the reverse-proxy sessions of "mode": "http" and "mode": "tcp"
 * listeners, the forward-proxy sessions of "mode": "forward" listeners
 * (absolute-form requests and CONNECT tunnels to any origin), and
 * everything they share with the control plane.
 *
 * Per worker (no sharing): client sessions, server connections (connect,
 * keep-alive pool, per-server limits and queue), health probes of the
 * servers this worker is responsible for, counters.
 *
 * Shared, read-mostly (struct dpx_proxy_shared): the balancing snapshot
 * (struct dpx_lb_view of each pool, rebuilt from health) that the control
 * plane publishes with an atomic pointer swap and frees once every worker
 * has passed a quiescent point (rte_rcu QSBR); per-worker event rings
 * (probe results and passive failures, worker -> control plane); per-worker
 * access-log rings; the connection counters of listener and client-address
 * limits (atomics, the only shared writes on the data path); the compiled
 * ACLs of forward listeners' "acl" (one atomic pointer each, replaced by
 * a reload and retired through the same QSBR).
 *
 * The control plane calls dpx_proxy_control_tick() periodically: it
 * drains the events, runs rise/fall and outlier ejection, ramps slow
 * start, publishes a new snapshot when anything changed, and writes the
 * access log.
 */
#ifndef DPX_PROXY_H
#define DPX_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dpx_core.h"
#include "dpx_tls.h"

struct dpx_proxy_shared;

/* Per worker counters of the HTTP cache (the store's own are in
 * struct dpx_cache_stats). */
struct dpx_proxy_cache_stats {
	uint64_t lookups;
	uint64_t hits;
	uint64_t stale_served;      /* max-stale, stale-while-revalidate, grace */
	uint64_t stale_if_error;    /* served stale: the server failed */
	uint64_t misses;
	uint64_t revalidated;       /* 304 from the server: stored one sent */
	uint64_t bypass;
	uint64_t not_modified;      /* 304 from the store */
	uint64_t ranges;            /* 206 from the store */
	uint64_t range_unsatisfiable;   /* 416 */
	uint64_t gateway_timeout;   /* only-if-cached, nothing usable */
	uint64_t stored;
	uint64_t not_stored;        /* the rules said no (any reason) */
	uint64_t not_stored_body;   /* until close, too big, cut, HEAD */
	uint64_t not_stored_too_big;    /* of those: over max_object_kb */
	uint64_t stored_chunked;    /* of stored: chunked bodies, de-chunked */
	uint64_t store_failed;      /* the store refused (busy, memory) */
	uint64_t collapsed_waits;
	uint64_t collapsed_served;
	uint64_t collapsed_aborted;
	uint64_t invalidations;     /* unsafe methods */
	uint64_t purges;            /* PURGE requests that purged */
	uint64_t purge_denied;      /* 403 */
	uint64_t no_memory;         /* no key buffer: bypassed */
	/* Compressed variants (cache_variant.c). */
	uint64_t variant_hits;      /* a stored variant answered */
	uint64_t variants_stored;   /* compressed once, published */
	uint64_t variant_refreshed; /* the identity object changed: made again */
	uint64_t variant_waits;     /* another worker was making it: identity */
	uint64_t variant_no_gain;   /* not smaller: identity (remembered) */
	uint64_t variant_errors;    /* compressing or storing failed */
	uint64_t variant_bytes_in;  /* identity bytes compressed once */
	uint64_t variant_bytes_out; /* compressed bytes stored */
	uint64_t bg_refreshes;      /* stale-while-revalidate/grace refreshes
				     * started (one per key at a time) */
	uint64_t bg_refresh_failed; /* ... that stored nothing: server error or
				     * gone, timeout, not storable, no memory */
};

/* Counters of one worker; the control plane sums them on read. */
struct dpx_proxy_stats {
	uint64_t sessions;          /* client connections accepted */
	uint64_t sessions_active;   /* gauge */
	uint64_t requests;          /* HTTP requests forwarded */
	uint64_t responses;         /* responses passed to clients */
	uint64_t errors_4xx;        /* error responses dpx generated */
	uint64_t errors_5xx;
	uint64_t server_connects;
	uint64_t server_connect_failed;
	uint64_t server_reused;     /* requests sent on a kept-alive conn */
	uint64_t retries;
	uint64_t queued;
	uint64_t queue_timeouts;
	uint64_t no_server;         /* no eligible server: 503 / close */
	uint64_t timeouts_client;
	uint64_t timeouts_server;
	uint64_t limit_rejected;    /* listener or per-IP connection limits */
	uint64_t bytes_in;          /* client -> server payload */
	uint64_t bytes_out;         /* server -> client payload */
	uint64_t probes;
	uint64_t probes_failed;
	uint64_t truncated;         /* server closed inside a response body */
	uint64_t events_dropped;    /* event or log ring full */
	uint64_t no_memory;
	uint64_t sni_routed;        /* tcp: a route matched the SNI */
	uint64_t sni_default;       /* ... none did (or no SNI): pool */
	uint64_t sni_no_route;      /* ... and no pool: reset */
	uint64_t sni_bad_hello;     /* not a ClientHello, or too long */
	uint64_t compressed;        /* responses compressed */
	uint64_t compress_skipped;  /* not eligible (type, size, range...) */
	uint64_t compress_busy;     /* over the streams per worker */
	uint64_t compress_errors;
	uint64_t compress_bytes_in;
	uint64_t compress_bytes_out;
	/* mode forward */
	uint64_t fwd_requests;      /* requests and CONNECTs taken on */
	uint64_t fwd_reused;        /* sent on a kept-alive origin conn */
	uint64_t fwd_tunnels;       /* CONNECT tunnels opened */
	uint64_t fwd_tunnels_active;    /* gauge */
	uint64_t fwd_tunnel_bytes;  /* both ways, counted as tunnels end */
	uint64_t fwd_tunnel_timeouts;
	uint64_t fwd_denied_target; /* not absolute-form, bad port, https:// */
	uint64_t fwd_denied_userinfo;
	uint64_t fwd_denied_host;   /* bad, too long or non-ASCII name */
	uint64_t fwd_denied_connect_port;
	uint64_t fwd_denied_connect_body;
	uint64_t fwd_denied_loop;   /* dpx itself, or its Via token */
	uint64_t fwd_unresolved;
	uint64_t fwd_egress_off_route; /* origin not behind the egress port */
};

/* Per egress address of a forward listener, one worker's. */
struct dpx_proxy_egress_stats {
	uint64_t connections;       /* origin connections opened from it */
	uint64_t requests;          /* requests and tunnels that picked it */
	uint64_t bytes_in;          /* from the clients of those requests */
	uint64_t bytes_out;         /* to those clients */
};

/* Per-server counters of one worker. */
struct dpx_proxy_server_stats {
	uint64_t requests;          /* requests (http) or connections (tcp) */
	uint64_t failures;          /* connect failures, bad responses, 5xx */
	uint64_t active;            /* gauge: connections in use */
	uint64_t idle;              /* gauge: kept-alive connections */
};

/* Control plane: built once before the workers start. */
struct dpx_proxy_shared *dpx_proxy_shared_create(const struct dpx_config *cfg,
						 unsigned int n_workers);
void dpx_proxy_shared_free(struct dpx_proxy_shared *sh);
/* Opens the access log (cfg->access_log.path); returns 0 or -errno. */
int dpx_proxy_open_log(struct dpx_proxy_shared *sh);
/* Runs health state, publishes snapshots, writes logs; now in ms. */
void dpx_proxy_control_tick(struct dpx_proxy_shared *sh, uint64_t now_ms);

/* Worker side. start() listens on the proxy listeners of the config. */
int dpx_proxy_worker_start(struct dpx_worker *w, struct dpx_proxy_shared *sh);
/* Once per loop pass, after the timers and before TCP output: work that
 * sessions deferred (TLS sessions reading on after their plaintext was
 * consumed). True when some is left for the next pass. */
bool dpx_proxy_worker_run(struct dpx_worker *w);
/* Once per loop pass: reports a quiescent state for snapshot reclaim. */
void dpx_proxy_worker_quiescent(struct dpx_worker *w);
/* The worker left its loop: the control plane no longer waits for it. */
void dpx_proxy_worker_stop(struct dpx_worker *w);
/* Around an idle sleep: the control plane does not wait for a sleeper
 * (it holds no snapshot while asleep). */
void dpx_proxy_worker_offline(struct dpx_worker *w);
void dpx_proxy_worker_online(struct dpx_worker *w);
void dpx_proxy_worker_fini(struct dpx_worker *w);

const struct dpx_proxy_stats *dpx_proxy_worker_stats(const struct dpx_worker *w);
/* TLS counters of the worker's listeners (struct dpx_tls_stats). */
const struct dpx_tls_stats *
dpx_proxy_worker_tls_stats(const struct dpx_worker *w);
/* ... and of its connections to pools with "tls". */
const struct dpx_tls_stats *
dpx_proxy_worker_tls_origin_stats(const struct dpx_worker *w);
/* The counters of the worker's DNS resolver (struct dpx_dns_stats of
 * lib/dns), NULL when it has none: no "resolver" section, or no forward
 * listener to use it. */
struct dpx_dns_stats;
const struct dpx_dns_stats *
dpx_proxy_worker_dns_stats(const struct dpx_worker *w);
const struct dpx_proxy_server_stats *
dpx_proxy_worker_server_stats(const struct dpx_worker *w, unsigned int pool,
			      unsigned int server);
/* The counters of listener's egress.addrs[addr]; NULL out of range. */
const struct dpx_proxy_egress_stats *
dpx_proxy_worker_egress_stats(const struct dpx_worker *w,
			      unsigned int listener, unsigned int addr);

/*
 * Control plane: re-reads every TLS listener's certificate, key and OCSP
 * files and posts new servers to each worker, which takes them up between
 * two events; connections already open keep the certificates they have.
 * Ticket keys stay. All or nothing: 0 with the number of TLS listeners,
 * or -1 with err ("listener NAME: certificates[i].cert: FILE: reason")
 * and nothing changed. Logged and counted either way. A reload posted
 * before a worker took the previous one replaces it.
 */
int dpx_proxy_tls_reload(struct dpx_proxy_shared *sh, unsigned int *listeners,
			 char *err, size_t errlen);
/* Reloads done and refused so far; any thread. */
void dpx_proxy_tls_reload_counts(const struct dpx_proxy_shared *sh,
				 uint64_t *reloads, uint64_t *failures);

/*
 * Access control of forward listeners with "acl" (lib/acl). Each ACL of
 * "acls" is published to workers through an atomic pointer; a reload
 * rebuilds them all from the config, re-reading their list files, and
 * swaps them in, freeing the old ones after an RCU grace period. All or
 * nothing: 0 with the number of ACLs, or -1 with err ("acl NAME: FILE:
 * LINE: reason") and the current rules kept. Logged and counted; one
 * reload at a time (control plane or telemetry thread).
 */
int dpx_proxy_acl_reload(struct dpx_proxy_shared *sh, unsigned int *n_acls,
			 char *err, size_t errlen);
void dpx_proxy_acl_reload_counts(const struct dpx_proxy_shared *sh,
				 uint64_t *reloads, uint64_t *failures);

/* Per worker decisions of the ACLs. */
struct dpx_proxy_acl_stats {
	uint64_t allowed;
	uint64_t denied;
	uint64_t redirected;
	uint64_t need_dst;          /* decided only once the name resolved */
	uint64_t pending_full;      /* ... no room to wait: 503 */
	uint64_t path_too_long;     /* ... path over 2048 bytes: 414 */
};
const struct dpx_proxy_acl_stats *
dpx_proxy_worker_acl_stats(const struct dpx_worker *w);
/* The totals above, the reload counts, and the matches of each rule as
 * "ACL/RULE" ("ACL/default" for the default action), of one worker or
 * all (worker -1), through add(). */
void dpx_proxy_acl_report(struct dpx_proxy_shared *sh, int worker,
			  void (*add)(void *ctx, const char *key, uint64_t v),
			  void *ctx);

/* Health as last published: "up", "down", "ejected" (passive). */
/* The HTTP cache (NULL without a "cache" section): the store's counters
 * and this worker's; purge by absolute URL ("http://host/path?q": the
 * number of objects removed, or -errno); ban a host's path prefix. Called
 * by the control plane (telemetry), with the control plane's thread id. */
struct dpx_cache;
struct dpx_cache *dpx_proxy_cache(const struct dpx_proxy_shared *sh);
const struct dpx_proxy_cache_stats *
dpx_proxy_worker_cache_stats(const struct dpx_worker *w);
int dpx_proxy_cache_purge_url(struct dpx_proxy_shared *sh, const char *url);
int dpx_proxy_cache_ban(struct dpx_proxy_shared *sh, const char *host,
			const char *prefix);

/* Proxy authentication: the authenticator of entry i of the top-level
 * "auth" section, started when a forward listener names it (NULL
 * otherwise); for telemetry (dpx_auth_counters_add() of each worker's
 * dpx_auth_worker()) and reloads (dpx_auth_reload()), control plane only.
 * A worker's requests waiting for a verifier now (a plain read: a
 * gauge) and the answers that came for clients that had gone. */
struct dpx_auth;
struct dpx_auth *dpx_proxy_auth(const struct dpx_proxy_shared *sh,
				unsigned int i);
void dpx_proxy_worker_auth_waits(const struct dpx_worker *w,
				 uint64_t *parked, uint64_t *abandoned);

const char *dpx_proxy_server_state(struct dpx_proxy_shared *sh,
				   unsigned int pool, unsigned int server);

#endif /* DPX_PROXY_H */
