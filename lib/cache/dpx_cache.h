/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/cache: the HTTP object store, one per process, shared by every worker
 * (a per-worker cache would divide the hit ratio by the number of workers).
 * It owns the index (keys, variants), the stored objects (head bytes,
 * metadata, body as mbufs from its own pool), the memory budget and the
 * eviction policy (SIEVE, S3-FIFO or LRU), purges and bans, and request
 * collapsing. It decides nothing about HTTP: what may be stored, for how
 * long, and which request headers make the variant key are the caller's
 * (lib/http's RFC 9111 rules).
 *
 * Concurrency (docs/architecture.md, "Cache store"):
 *  - Lookups are lock-free: a DPDK rte_hash in RW_CONCURRENCY_LF mode maps
 *    a 64-bit key hash to a node of up to DPX_CACHE_MAX_VARIANTS atomic
 *    object pointers; removed nodes, objects and bans are freed after an
 *    RCU QSBR grace period on the caller's QSBR variable (the proxy's: one
 *    thread id per worker, quiescent once per loop pass). A hit takes a
 *    reference on the object, so it may be held past quiescent states.
 *  - Writes (insert, evict, purge, ban) are serialized by one spinlock
 *    that is only tried for a bounded time (a busy store refuses the write,
 *    counted, rather than make a worker wait); nothing slow runs under it:
 *    no allocation, no mbuf freeing (that happens after the grace period,
 *    outside the lock).
 *  - A published object is immutable, except for its eviction hints (an
 *    atomic visited bit / frequency counter) and ban bookkeeping.
 *
 * Every function taking `tid` must be called by the thread registered with
 * the QSBR variable under that id (its per-thread counters are plain).
 */
#ifndef DPX_CACHE_H
#define DPX_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#define DPX_CACHE_MAX_THREADS 64        /* = DPX_MAX_WORKERS */
#define DPX_CACHE_MAX_VARIANTS 16       /* per primary key; oldest replaced */
#define DPX_CACHE_MAX_BANS 64           /* live lazy bans (see dpx_cache_ban) */

enum dpx_cache_policy {
	DPX_CACHE_SIEVE = 0,    /* NSDI '24: FIFO + visited bit + moving hand */
	DPX_CACHE_S3FIFO = 1,   /* SOSP '23: small, main and ghost FIFOs */
	DPX_CACHE_LRU = 2,      /* baseline: a hit moves to the front */
};

struct dpx_cache_conf {
	const char *name;           /* prefix of DPDK object names; unique */
	enum dpx_cache_policy policy;   /* default SIEVE */
	uint64_t budget_bytes;      /* heads + bodies + overhead; 64 MiB */
	uint64_t max_object_bytes;  /* head + body of one object; 1 MiB */
	uint32_t max_entries;       /* objects (variants count); 65536 */
	uint32_t max_key_len;       /* primary key bytes; 1024 */
	uint32_t max_vary_len;      /* secondary key bytes; 1024 */
	uint32_t max_head_len;      /* stored header block; 32 KiB */
	uint16_t seg_size;          /* body bytes per mbuf; 2048 */
	uint32_t n_mbufs;           /* body pool; 0: budget / seg_size * 5/4
				     * + 1024 (fills in flight, and bodies
				     * waiting for a grace period or held by
				     * senders, are outside the budget) */
	uint32_t fill_slots;        /* collapsing table, power of two; 1024 */
	uint32_t fill_timeout_ms;   /* a fill older than this is abandoned;
				     * 10000 */
	int socket_id;              /* SOCKET_ID_ANY */
	struct rte_rcu_qsbr *qsbr;  /* required; readers' thread ids */
	unsigned int n_threads;     /* thread ids 0..n-1 (<= MAX_THREADS) */
};

/* RFC 9111 bookkeeping the rules fill in; the store keeps it as is.
 * Times are seconds since the epoch, like the HTTP dates they come from. */
struct dpx_cache_meta {
	uint16_t status;
	uint16_t flags;             /* DPX_CACHE_F_* */
	int64_t request_time;       /* when the request was sent (§4.2.3) */
	int64_t response_time;      /* when the response was received */
	int64_t date_value;         /* Date header; response_time if none */
	int64_t age_value;          /* Age header; 0 if none */
	int64_t freshness_lifetime; /* §4.2.1, computed by the rules */
	int64_t stale_while_revalidate; /* RFC 5861 windows; 0: none */
	int64_t stale_if_error;
	uint32_t etag_off;          /* ETag value within the head; len 0: none */
	uint32_t etag_len;
	uint32_t last_modified_off; /* Last-Modified value within the head */
	uint32_t last_modified_len;
	uint64_t content_length;    /* as announced; the body length is
				     * dpx_cache_obj_body_len() */
	uint64_t source_seq;        /* an object derived from another (a
				     * compressed variant): the source's
				     * dpx_cache_obj_seq(); 0: none */
};

#define DPX_CACHE_F_MUST_REVALIDATE 0x0001  /* must-revalidate/proxy-... */
#define DPX_CACHE_F_NO_CACHE        0x0002  /* stored, revalidate each use */
#define DPX_CACHE_F_IMMUTABLE       0x0004
#define DPX_CACHE_F_HEURISTIC       0x0008  /* lifetime is heuristic */

/* RFC 9111 §4.2.3 current_age at `now` (seconds). */
int64_t dpx_cache_current_age(const struct dpx_cache_meta *m, int64_t now);

/* A primary key (e.g. "GET https example.com /path?q") and its hash. */
struct dpx_cache_key {
	const void *p;
	uint32_t len;
	uint64_t hash;
};

enum dpx_cache_fail {
	DPX_CACHE_FAIL_TOO_BIG = 0, /* object over max_object_bytes or budget */
	DPX_CACHE_FAIL_KEY,         /* key, vary, host, path or head too long */
	DPX_CACHE_FAIL_NOMEM,       /* mbufs, allocation, or nothing to evict */
	DPX_CACHE_FAIL_BUSY,        /* write lock or retire queue busy */
	DPX_CACHE_FAIL_MAX
};

/* Sums over threads; bytes/objects/keys are the index's current size. */
struct dpx_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t stored;            /* objects published */
	uint64_t replaced;          /* same key and variant published again */
	uint64_t evicted;           /* by the policy (budget, entries) */
	uint64_t variants_evicted;  /* over DPX_CACHE_MAX_VARIANTS */
	uint64_t purged;            /* objects removed by dpx_cache_purge */
	uint64_t bans;              /* dpx_cache_ban calls */
	uint64_t banned_hits;       /* lookups that found a banned object */
	uint64_t fills_led;         /* fill_begin -> LEADER */
	uint64_t collapsed;         /* fill_begin -> WAIT */
	uint64_t fills_bypassed;    /* fill_begin -> BYPASS */
	uint64_t fills_aborted;     /* aborted or abandoned (timeout) */
	uint64_t fail[DPX_CACHE_FAIL_MAX];
	uint64_t bytes;             /* charged to the budget */
	uint64_t objects;
	uint64_t keys;
	uint64_t mbufs_in_use;      /* body pool, including held clones */
};

struct dpx_cache;
struct dpx_cache_obj;
struct dpx_cache_fill;

void dpx_cache_conf_defaults(struct dpx_cache_conf *conf);
/* NULL on bad conf or no memory (rte_errno says which). */
struct dpx_cache *dpx_cache_create(const struct dpx_cache_conf *conf);
/* Once no thread uses it: workers offline or unregistered, every object
 * reference and body clone released. */
void dpx_cache_free(struct dpx_cache *c);

/* Fills k->hash (keyed per store, so peers cannot aim collisions). */
void dpx_cache_key_init(const struct dpx_cache *c, struct dpx_cache_key *k,
			const void *p, uint32_t len);

/* Lock-free. A reference on the object (dpx_cache_obj_put() it), or NULL:
 * a miss, which includes a banned object. vary: the secondary key ("" when
 * the response has no Vary). */
struct dpx_cache_obj *dpx_cache_lookup(struct dpx_cache *c, unsigned int tid,
				       const struct dpx_cache_key *k,
				       const void *vary, uint32_t vary_len);

/* What a new object is made of; every byte is copied. host and path are
 * kept for bans (host compared case-insensitively, path by prefix). */
struct dpx_cache_obj_args {
	const struct dpx_cache_key *key;
	const void *vary;
	uint32_t vary_len;
	const char *host;
	uint32_t host_len;
	const char *path;
	uint32_t path_len;
	const void *head;
	uint32_t head_len;
	const struct dpx_cache_meta *meta;
};

/* A private, unpublished object with one reference (the caller's); then
 * append the body and publish it with dpx_cache_insert() or
 * dpx_cache_fill_commit(). 0 or -E2BIG (key..head too long), -EFBIG,
 * -ENOMEM; failures are counted. */
int dpx_cache_obj_new(struct dpx_cache *c, unsigned int tid,
		      const struct dpx_cache_obj_args *a,
		      struct dpx_cache_obj **out);
/* Copies body bytes into the store's mbufs (the body arrives in the
 * worker's RX mbufs, which must go back to its pool). Unpublished objects
 * only. 0, -EFBIG (over max_object_bytes), -ENOMEM, -EINVAL. */
int dpx_cache_obj_append(struct dpx_cache *c, unsigned int tid,
			 struct dpx_cache_obj *o, const void *p, uint32_t len);
/* A new unpublished object under o's key, variant, host and path with
 * another head and meta, which takes o's body over (o, unpublished, is
 * left without one: put it). For a head known only once the body is in:
 * a chunked body stored with its Content-Length. 0, -EINVAL (o is
 * published), or dpx_cache_obj_new()'s errors; -EFBIG also when head and
 * body pass max_object_bytes. */
int dpx_cache_obj_rehead(struct dpx_cache *c, unsigned int tid,
			 struct dpx_cache_obj *o, const void *head,
			 uint32_t head_len, const struct dpx_cache_meta *meta,
			 struct dpx_cache_obj **out);
/* Publishes o (it becomes immutable), evicting as the budget requires; a
 * published object with the same key and variant is replaced. The
 * caller keeps its reference. 0, -EFBIG, -ENOMEM, -EBUSY, -EINVAL
 * (already published). */
int dpx_cache_insert(struct dpx_cache *c, unsigned int tid,
		     struct dpx_cache_obj *o);

void dpx_cache_obj_get(struct dpx_cache_obj *o);
/* The last reference frees the object; its body mbufs live on while
 * clones of them do. */
void dpx_cache_obj_put(struct dpx_cache_obj *o);

const struct dpx_cache_meta *dpx_cache_obj_meta(const struct dpx_cache_obj *o);
const void *dpx_cache_obj_head(const struct dpx_cache_obj *o, uint32_t *len);
uint64_t dpx_cache_obj_body_len(const struct dpx_cache_obj *o);
/* The secondary key o was stored under ("" without Vary). */
const void *dpx_cache_obj_vary(const struct dpx_cache_obj *o, uint32_t *len);
/* o's publication number: unique within the store and increasing, so a
 * derived object can tell whether its source was replaced since; 0 while
 * o is unpublished (or its insert failed). */
uint64_t dpx_cache_obj_seq(const struct dpx_cache_obj *o);

/* The body without copying it: single-segment indirect mbufs from mp,
 * linked by `next` (a px_chain), each attached to a stored segment, whose
 * refcount keeps it alive after the object is gone. NULL when the body is
 * empty or mp ran out (nothing is left allocated then). */
struct rte_mbuf *dpx_cache_body_clone(const struct dpx_cache_obj *o,
				      struct rte_mempool *mp);

/* The same for bytes [first, last] of the body only (a Range): just the
 * stored segments that hold them are referenced. NULL when the range is
 * empty or outside the body, or mp ran out. */
struct rte_mbuf *dpx_cache_body_clone_range(const struct dpx_cache_obj *o,
					    struct rte_mempool *mp,
					    uint64_t first, uint64_t last);

/* Removes every variant of k; the number removed, or -EBUSY. */
int dpx_cache_purge(struct dpx_cache *c, unsigned int tid,
		    const struct dpx_cache_key *k);
/* Lazy ban: objects stored before now whose host equals host (any case)
 * and whose path starts with path_prefix miss from now on; each lookup
 * checks the bans newer than what the object was last checked against.
 * An object that missed more than DPX_CACHE_MAX_BANS bans (never looked up
 * meanwhile) counts as banned. 0, -E2BIG, -ENOMEM, -EBUSY. */
int dpx_cache_ban(struct dpx_cache *c, unsigned int tid, const char *host,
		  const char *path_prefix);

/*
 * Request collapsing. A miss calls fill_begin with the primary key:
 *  LEADER: fetch, then fill_commit(obj) or fill_abort();
 *  WAIT:   someone fetches; poll the handle on later loop passes (one
 *          atomic load), then fill_put() it;
 *  BYPASS: the collapsing slot is taken by another key: fetch, uncollapsed.
 * begin takes a spinlock guarding the slot table for a few loads and
 * stores (bounded try; BYPASS when busy); poll, commit and abort do not.
 */
enum dpx_cache_fill_role {
	DPX_CACHE_FILL_LEADER = 0,
	DPX_CACHE_FILL_WAIT,
	DPX_CACHE_FILL_BYPASS,
};
enum dpx_cache_fill_state {
	DPX_CACHE_FILL_PENDING = 0,
	DPX_CACHE_FILL_DONE,        /* *obj: a reference to the response */
	DPX_CACHE_FILL_ABORTED,     /* aborted or older than fill_timeout_ms:
				     * fetch on your own */
};

enum dpx_cache_fill_role dpx_cache_fill_begin(struct dpx_cache *c,
					      unsigned int tid,
					      const struct dpx_cache_key *k,
					      struct dpx_cache_fill **out);
enum dpx_cache_fill_state dpx_cache_fill_poll(struct dpx_cache *c,
					      struct dpx_cache_fill *f,
					      struct dpx_cache_obj **obj);
/* Leader: publishes obj (dpx_cache_insert) and hands it to the waiters
 * even if the insert failed; releases the leader's handle. The insert's
 * result. The caller keeps its reference on obj. */
int dpx_cache_fill_commit(struct dpx_cache *c, unsigned int tid,
			  struct dpx_cache_fill *f, struct dpx_cache_obj *obj);
/* Leader: uncacheable or failed; waiters fetch on their own. */
void dpx_cache_fill_abort(struct dpx_cache *c, unsigned int tid,
			  struct dpx_cache_fill *f);
/* Waiter: done with the handle. */
void dpx_cache_fill_put(struct dpx_cache *c, struct dpx_cache_fill *f);

void dpx_cache_stats(const struct dpx_cache *c, struct dpx_cache_stats *s);
/* Frees what passed its grace period, at most n items; the writers do
 * some after each write, the control plane may call it on a timer. */
void dpx_cache_reclaim(struct dpx_cache *c, unsigned int n);

/*
 * The top-level "cache" section of the configuration (docs/config.md):
 * parsed through the application's config hook (struct dpx_config_ext);
 * the proxy builds the store and the rules' settings from it.
 */
#define DPX_CACHE_MAX_PURGE_NETS 16

struct dpx_cache_section {
	uint64_t size_bytes;            /* "size_mb": the store's budget */
	uint64_t max_object_bytes;      /* "max_object_kb" */
	enum dpx_cache_policy policy;
	bool heuristics;                /* RFC 9111 4.2.2, off by default */
	uint32_t grace_s;               /* serve this much past stale */
	bool ignore_request_cc;         /* clients' Cache-Control ignored */
	bool x_cache;                   /* X-Cache on responses */
	unsigned int n_purge;           /* "purge_allow" networks */
	uint32_t purge_net[DPX_CACHE_MAX_PURGE_NETS];   /* network order */
	uint32_t purge_mask[DPX_CACHE_MAX_PURGE_NETS];
};

/* A route's "cache" object: whether it caches, and the freshness the
 * operator gives its responses (the rules' default_ttl and force_ttl). */
struct dpx_cache_route {
	bool enabled;                   /* "enabled", default true */
	uint32_t ttl_s;                 /* "ttl_s": for responses without
					 * explicit freshness; 0: none */
	bool force_ttl;                 /* "force_ttl": over the server's */
};

struct cfg_ctx;
typedef struct json_t json_t;
int dpx_cache_section_parse(struct cfg_ctx *c, json_t *v, void **out);
void dpx_cache_section_free(void *cs);
/* The config hook for a route's "cache" object (struct dpx_cache_route). */
int dpx_cache_route_parse(struct cfg_ctx *c, json_t *v, bool *enabled,
			  void **out);
void dpx_cache_route_free(void *r);
/* addr (network order) may PURGE. */
bool dpx_cache_purge_allowed(const struct dpx_cache_section *cs,
			     uint32_t addr);

#endif /* DPX_CACHE_H */
