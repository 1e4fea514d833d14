/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/cache internals: the store, objects, nodes, policies, fills. */
#ifndef DPX_CACHE_PRIV_H
#define DPX_CACHE_PRIV_H

#include <stdatomic.h>
#include <sys/queue.h>

#include <rte_hash.h>
#include <rte_spinlock.h>

#include "dpx_cache.h"

/* Which policy queue an object is on (writers only). */
enum { CQ_NONE = 0, CQ_MAIN, CQ_SMALL };

struct dpx_cache_obj {
	_Atomic uint32_t refcnt;
	/* Eviction hints written by readers without the lock. */
	_Atomic uint8_t visited;    /* SIEVE */
	_Atomic uint8_t freq;       /* S3-FIFO, 0..3 */
	_Atomic uint8_t dead;       /* matched a ban: lookups miss */
	bool published;             /* immutable from here on */
	uint8_t queue;              /* CQ_*, under the write lock */
	_Atomic uint64_t ban_gen;   /* bans up to this one checked */
	uint64_t hash;
	uint64_t seq;               /* publication order (oldest variant) */
	uint64_t charge;            /* bytes counted against the budget */
	TAILQ_ENTRY(dpx_cache_obj) link;    /* policy queue */
	struct dpx_cache_meta meta;
	struct rte_mbuf *body;      /* single-segment mbufs linked by next */
	struct rte_mbuf *body_tail;
	uint64_t body_len;
	uint32_t nsegs;
	uint32_t key_len, vary_len, host_len, path_len, head_len;
	char *key, *vary, *host, *path, *head;  /* into bytes[] */
	char bytes[];
};
TAILQ_HEAD(cache_objq, dpx_cache_obj);

/* Variants of one primary key: the hash table's data. Readers scan the
 * slots; the writer stores and clears them. Freed after a grace period
 * once removed from the table. */
struct cache_node {
	uint64_t hash;
	uint32_t n;                 /* writer only */
	_Atomic(struct dpx_cache_obj *) v[DPX_CACHE_MAX_VARIANTS];
};

struct cache_ban {
	uint64_t gen;
	uint32_t host_len;
	uint32_t prefix_len;
	char host[256];
	char prefix[1024];
};

struct dpx_cache_fill {
	_Atomic uint32_t refcnt;    /* slot, leader, each waiter */
	_Atomic uint32_t state;     /* enum dpx_cache_fill_state */
	uint64_t hash;
	uint64_t deadline;          /* TSC */
	struct dpx_cache_obj *obj;  /* DONE: a reference, read after state */
	uint32_t slot;
	uint32_t key_len;
	char key[];
};

/* Per thread, written by its owner only; readers sum. */
struct cache_tstats {
	uint64_t hits, misses, stored, replaced, evicted, variants_evicted;
	uint64_t purged, bans, banned_hits;
	uint64_t fills_led, collapsed, fills_bypassed, fills_aborted;
	uint64_t fail[DPX_CACHE_FAIL_MAX];
} __rte_cache_aligned;

/* What the defer queue holds until a grace period has passed. */
enum { RETIRE_OBJ = 1, RETIRE_NODE, RETIRE_BAN };
struct cache_retire {
	void *p;
	uint32_t type;
	uint32_t pad;
};

struct dpx_cache {
	struct dpx_cache_conf conf;
	char name[17];
	uint64_t seed;
	uint64_t tsc_hz;
	struct rte_hash *h;
	struct rte_mempool *mp;     /* body mbufs */
	struct rte_rcu_qsbr_dq *dq;
	uint32_t dq_size;
	_Atomic uint32_t dq_pending;
	uint32_t elt_size;          /* mempool element: charge per segment */

	/* Write side, under wlock. */
	rte_spinlock_t wlock;
	uint64_t seq;
	struct cache_objq q_main;   /* SIEVE, LRU, S3-FIFO's M; head: newest */
	struct cache_objq q_small;  /* S3-FIFO's S */
	struct dpx_cache_obj *hand; /* SIEVE */
	uint64_t small_bytes;
	uint64_t *ghost;            /* S3-FIFO: hash fingerprints ... */
	uint32_t *ghost_time;       /* ... and when they went in */
	uint32_t ghost_mask;
	uint32_t ghost_clock;
	_Atomic uint64_t bytes;
	_Atomic uint64_t objects;
	_Atomic uint64_t keys;

	/* Bans: slot gen % MAX; readers load the pointer. */
	_Atomic uint64_t ban_gen;
	_Atomic(struct cache_ban *) bans[DPX_CACHE_MAX_BANS];

	/* Collapsing. */
	rte_spinlock_t fill_lock;
	uint32_t fill_mask;
	struct dpx_cache_fill **fills;

	struct cache_tstats ts[DPX_CACHE_MAX_THREADS];
};

/* cache_policy.c: under the write lock, except policy_hit. */
void policy_add(struct dpx_cache *c, struct dpx_cache_obj *o);
void policy_remove(struct dpx_cache *c, struct dpx_cache_obj *o);
struct dpx_cache_obj *policy_victim(struct dpx_cache *c);
void policy_hit(struct dpx_cache *c, struct dpx_cache_obj *o);
int policy_init(struct dpx_cache *c);
void policy_fini(struct dpx_cache *c);

/* cache_fill.c */
int fill_init(struct dpx_cache *c);
void fill_fini(struct dpx_cache *c);

#endif /* DPX_CACHE_PRIV_H */
