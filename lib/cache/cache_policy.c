/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Eviction policies. Queues are changed only under the write lock; a
 * lookup touches an atomic hint (SIEVE's visited bit, S3-FIFO's 2-bit
 * frequency), so hits stay lock-free. LRU is the exception by nature: a hit
 * must reorder the queue, so it tries the write lock and skips the move
 * when the lock is busy (an approximation under contention, exact alone).
 */
#include <errno.h>
#include <stdlib.h>

#include "cache_priv.h"

#define S3_FREQ_MAX 3

int
policy_init(struct dpx_cache *c)
{
	uint32_t n;

	TAILQ_INIT(&c->q_main);
	TAILQ_INIT(&c->q_small);
	if (c->conf.policy != DPX_CACHE_S3FIFO)
		return 0;
	n = rte_align32pow2(c->conf.max_entries);
	c->ghost = calloc(n, sizeof(*c->ghost));
	c->ghost_time = calloc(n, sizeof(*c->ghost_time));
	if (c->ghost == NULL || c->ghost_time == NULL)
		return -ENOMEM;
	c->ghost_mask = n - 1;
	return 0;
}

void
policy_fini(struct dpx_cache *c)
{
	free(c->ghost);
	free(c->ghost_time);
}

/* The ghost remembers recently evicted hashes, direct-mapped: a newer
 * hash in the same slot pushes the older out early, and only the last
 * `objects` ghost insertions count (the paper sizes the ghost like M). */
static void
ghost_put(struct dpx_cache *c, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & c->ghost_mask;

	c->ghost[i] = hash;
	c->ghost_time[i] = ++c->ghost_clock;
}

static bool
ghost_take(struct dpx_cache *c, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & c->ghost_mask;
	uint64_t window = atomic_load_explicit(&c->objects,
					       memory_order_relaxed) + 1;

	if (c->ghost_time[i] == 0 || c->ghost[i] != hash ||
	    c->ghost_clock - c->ghost_time[i] > window)
		return false;
	c->ghost_time[i] = 0;
	return true;
}

void
policy_add(struct dpx_cache *c, struct dpx_cache_obj *o)
{
	atomic_store_explicit(&o->visited, 0, memory_order_relaxed);
	atomic_store_explicit(&o->freq, 0, memory_order_relaxed);
	if (c->conf.policy == DPX_CACHE_S3FIFO && !ghost_take(c, o->hash)) {
		TAILQ_INSERT_HEAD(&c->q_small, o, link);
		o->queue = CQ_SMALL;
		c->small_bytes += o->charge;
		return;
	}
	TAILQ_INSERT_HEAD(&c->q_main, o, link);
	o->queue = CQ_MAIN;
}

void
policy_remove(struct dpx_cache *c, struct dpx_cache_obj *o)
{
	if (o->queue == CQ_SMALL) {
		TAILQ_REMOVE(&c->q_small, o, link);
		c->small_bytes -= o->charge;
	} else if (o->queue == CQ_MAIN) {
		/* SIEVE's hand moves on towards the head. */
		if (c->hand == o)
			c->hand = TAILQ_PREV(o, cache_objq, link);
		TAILQ_REMOVE(&c->q_main, o, link);
	}
	o->queue = CQ_NONE;
}

/* SIEVE: the hand walks from the tail towards the head, clearing visited
 * bits, and stops at the first unvisited object; new objects go in at the
 * head, survivors stay where they are. */
static struct dpx_cache_obj *
sieve_victim(struct dpx_cache *c)
{
	struct dpx_cache_obj *o = c->hand;
	/* Readers may set bits behind the hand: two laps at most. */
	uint64_t bound = 2 * atomic_load_explicit(&c->objects,
						  memory_order_relaxed) + 2;

	if (o == NULL)
		o = TAILQ_LAST(&c->q_main, cache_objq);
	while (o != NULL && bound-- > 0 &&
	       atomic_load_explicit(&o->visited, memory_order_relaxed)) {
		atomic_store_explicit(&o->visited, 0, memory_order_relaxed);
		o = TAILQ_PREV(o, cache_objq, link);
		if (o == NULL)
			o = TAILQ_LAST(&c->q_main, cache_objq);
	}
	c->hand = o;
	return o;
}

static void
to_main_head(struct dpx_cache *c, struct dpx_cache_obj *o)
{
	policy_remove(c, o);
	TAILQ_INSERT_HEAD(&c->q_main, o, link);
	o->queue = CQ_MAIN;
}

/* S3-FIFO: new objects enter the small FIFO (10% of the budget); at its
 * tail, an object hit at least once moves to the main FIFO, one never hit
 * (a one-hit wonder) leaves and its hash goes to the ghost, whose hits
 * are admitted straight into main. Main is a FIFO with reinsertion while
 * the frequency counter, decremented each time, is non-zero. */
static struct dpx_cache_obj *
s3_victim(struct dpx_cache *c)
{
	uint64_t bound = 4 * atomic_load_explicit(&c->objects,
						  memory_order_relaxed) + 4;
	struct dpx_cache_obj *o = NULL;
	uint8_t f;

	while (bound-- > 0) {
		if (!TAILQ_EMPTY(&c->q_small) &&
		    (c->small_bytes >= c->conf.budget_bytes / 10 ||
		     TAILQ_EMPTY(&c->q_main))) {
			o = TAILQ_LAST(&c->q_small, cache_objq);
			if (atomic_load_explicit(&o->freq,
						 memory_order_relaxed) == 0) {
				ghost_put(c, o->hash);
				return o;
			}
			atomic_store_explicit(&o->freq, 0,
					      memory_order_relaxed);
			to_main_head(c, o);
			continue;
		}
		o = TAILQ_LAST(&c->q_main, cache_objq);
		if (o == NULL)
			return NULL;
		f = atomic_load_explicit(&o->freq, memory_order_relaxed);
		if (f == 0)
			return o;
		atomic_store_explicit(&o->freq, f - 1, memory_order_relaxed);
		to_main_head(c, o);
	}
	return o;
}

struct dpx_cache_obj *
policy_victim(struct dpx_cache *c)
{
	switch (c->conf.policy) {
	case DPX_CACHE_SIEVE:
		return sieve_victim(c);
	case DPX_CACHE_S3FIFO:
		return s3_victim(c);
	case DPX_CACHE_LRU:
		break;
	}
	return TAILQ_LAST(&c->q_main, cache_objq);
}

void
policy_hit(struct dpx_cache *c, struct dpx_cache_obj *o)
{
	uint8_t f;

	switch (c->conf.policy) {
	case DPX_CACHE_SIEVE:
		/* Load first: a hot object's line stays shared. */
		if (!atomic_load_explicit(&o->visited, memory_order_relaxed))
			atomic_store_explicit(&o->visited, 1,
					      memory_order_relaxed);
		return;
	case DPX_CACHE_S3FIFO:
		/* A lost increment between racing readers is harmless. */
		f = atomic_load_explicit(&o->freq, memory_order_relaxed);
		if (f < S3_FREQ_MAX)
			atomic_store_explicit(&o->freq, f + 1,
					      memory_order_relaxed);
		return;
	case DPX_CACHE_LRU:
		if (!rte_spinlock_trylock(&c->wlock))
			return;
		if (o->queue == CQ_MAIN && TAILQ_FIRST(&c->q_main) != o) {
			policy_remove(c, o);
			TAILQ_INSERT_HEAD(&c->q_main, o, link);
			o->queue = CQ_MAIN;
		}
		rte_spinlock_unlock(&c->wlock);
		return;
	}
}
