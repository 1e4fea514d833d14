/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/lb: server selection for a pool, and the health bookkeeping that
 * decides which servers may be selected. Plain C, no DPDK.
 *
 * It owns two kinds of state:
 *  - struct dpx_lb_view: an immutable picture of one pool built by the
 *    control plane (effective weights after health, ejection and slow
 *    start; the Maglev lookup table for "hash" pools). Workers read it
 *    through the config snapshot and never write it.
 *  - struct dpx_lb_state: the mutable per-worker, per-pool part (smooth
 *    weighted round robin counters, this worker's active connection
 *    counts, its random generator). Each worker has its own: no sharing.
 *
 * Algorithms (enum dpx_lb_algo in dpx_core.h):
 *  - ROUNDROBIN: smooth weighted round robin (nginx's): with equal weights
 *    it is plain rotation; weights 3:1:1 give a,a,b,a,c-like interleaving.
 *  - LEASTCONN: fewest active connections relative to weight on this
 *    worker (ties broken by rotation).
 *  - RANDOM: power of two random choices: two distinct eligible servers
 *    drawn with probability proportional to weight, the less loaded one
 *    (active/weight) wins.
 *  - HASH: Maglev consistent hashing over the eligible servers, weighted;
 *    a server leaving the eligible set remaps only the keys it owned.
 */
#ifndef DPX_LB_H
#define DPX_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpx_core.h"

/* Maglev table size: a prime well above 100 x DPX_MAX_SERVERS. */
#define DPX_LB_MAGLEV_SIZE 65537
/* Maglev table entry when no server is eligible (indexes are < 64). */
#define DPX_LB_NO_SERVER 0xff

struct dpx_lb_view {
	unsigned int n_servers;
	/* Effective weight of each server; 0: not eligible (down, ejected). */
	uint32_t weight[DPX_MAX_SERVERS];
	uint32_t total_weight;		/* sum of weight[] */
	uint32_t table_size;		/* DPX_LB_MAGLEV_SIZE for HASH, else 0 */
	uint8_t *table;			/* table_size server indexes, or NULL */
};

/*
 * Builds the view of pool p with the given effective weights (p->n_servers
 * entries, 0 = not eligible). The Maglev table is built only when
 * p->balance is DPX_LB_HASH; with no eligible server it is still allocated,
 * all DPX_LB_NO_SERVER. A server's place in the table follows from its
 * name, addr and port, so the same inputs give the same table bytes and a
 * server leaving moves few keys it did not own. Returns NULL when out of
 * memory or on bad input (NULL, more than DPX_MAX_SERVERS, weights summing
 * past UINT32_MAX). Runs on the control plane; cost O(DPX_LB_MAGLEV_SIZE).
 */
struct dpx_lb_view *dpx_lb_view_build(const struct dpx_pool_conf *p,
				      const uint32_t *weights);
void dpx_lb_view_free(struct dpx_lb_view *v);

struct dpx_lb_state {
	int64_t current[DPX_MAX_SERVERS];	/* SWRR current weights */
	uint32_t active[DPX_MAX_SERVERS];	/* caller counts conns here */
	unsigned int rr_next;			/* leastconn tie rotation */
	uint64_t rng;				/* xorshift state, never 0 */
};

void dpx_lb_state_init(struct dpx_lb_state *s, uint64_t seed);

/*
 * Picks a server of pool p: returns its index, or -1 when no eligible
 * server is left. Servers whose bit is set in exclude are skipped (already
 * tried, or at their connection limit). hash is used only by DPX_LB_HASH:
 * for it the table entry of hash is taken, and when that server is
 * excluded the following entries are walked (bounded by the table size).
 * The caller increments s->active[i] when it uses server i and decrements
 * it when done (LEASTCONN and RANDOM read it).
 */
int dpx_lb_pick(const struct dpx_pool_conf *p, const struct dpx_lb_view *v,
		struct dpx_lb_state *s, uint64_t hash, uint64_t exclude);

/* Stable 64-bit hash of a key (same value on every worker and run). */
uint64_t dpx_lb_hash(const void *key, size_t len);

/*
 * Weight of a server slow_start_ms after it came back: grows linearly
 * from about weight/10 (at least 1) to weight over slow_start_ms.
 * since_up_ms >= slow_start_ms or slow_start_ms == 0 gives weight.
 */
uint32_t dpx_lb_slow_start_weight(uint32_t weight, uint64_t since_up_ms,
				  uint32_t slow_start_ms);

/* Rise/fall state of one server's active health check. */
struct dpx_health_state {
	bool up;
	uint32_t passes;	/* consecutive passes while down */
	uint32_t fails;		/* consecutive failures while up */
};

/* Servers start up (traffic flows before the first check completes). */
void dpx_health_init(struct dpx_health_state *h);

/*
 * Records one check result. Returns true when h->up changed: down after
 * `fall` consecutive failures, up after `rise` consecutive passes.
 */
bool dpx_health_record(struct dpx_health_state *h, bool pass, uint32_t rise,
		       uint32_t fall);

#endif /* DPX_LB_H */
