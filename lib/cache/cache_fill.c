/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request collapsing: one fill per primary key at a time, in a slot table
 * indexed by the key's hash. The table is guarded by a spinlock held for a
 * few loads and stores (no allocation or freeing inside); a fill handle is
 * reference-counted (slot, leader, each waiter) and waiters poll its state
 * with one atomic load per loop pass, so nobody blocks on a fetch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "cache_priv.h"

/* Tries of the fill lock before fill_begin gives up (BYPASS). */
#define FILL_LOCK_SPINS 1024

int
fill_init(struct dpx_cache *c)
{
	c->fills = calloc(c->conf.fill_slots, sizeof(*c->fills));
	if (c->fills == NULL)
		return -ENOMEM;
	c->fill_mask = c->conf.fill_slots - 1;
	return 0;
}

static void
fill_release(struct dpx_cache_fill *f)
{
	if (atomic_fetch_sub_explicit(&f->refcnt, 1,
				      memory_order_acq_rel) != 1)
		return;
	dpx_cache_obj_put(f->obj);
	free(f);
}

void
fill_fini(struct dpx_cache *c)
{
	if (c->fills == NULL)
		return;
	for (uint32_t i = 0; i <= c->fill_mask; i++)
		if (c->fills[i] != NULL)
			fill_release(c->fills[i]);
	free(c->fills);
}

static bool
fill_live(const struct dpx_cache_fill *f)
{
	return atomic_load_explicit(&f->state, memory_order_acquire) ==
	       DPX_CACHE_FILL_PENDING && rte_get_tsc_cycles() < f->deadline;
}

static struct dpx_cache_fill *
fill_new(struct dpx_cache *c, const struct dpx_cache_key *k)
{
	struct dpx_cache_fill *f = malloc(sizeof(*f) + k->len);

	if (f == NULL)
		return NULL;
	atomic_init(&f->refcnt, 2);     /* the slot's and the leader's */
	atomic_init(&f->state, DPX_CACHE_FILL_PENDING);
	f->hash = k->hash;
	f->deadline = rte_get_tsc_cycles() +
		      c->tsc_hz * c->conf.fill_timeout_ms / 1000;
	f->obj = NULL;
	f->slot = (uint32_t)k->hash & c->fill_mask;
	f->key_len = k->len;
	memcpy(f->key, k->p, k->len);
	return f;
}

static bool
fill_lock_try(struct dpx_cache *c)
{
	for (unsigned int i = 0; i < FILL_LOCK_SPINS; i++) {
		if (rte_spinlock_trylock(&c->fill_lock))
			return true;
		rte_pause();
	}
	return false;
}

/* Under the fill lock: the role of a miss whose fill would be nf. */
static enum dpx_cache_fill_role
fill_claim(struct dpx_cache *c, struct dpx_cache_fill *nf,
	   struct dpx_cache_fill **out, struct dpx_cache_fill **old)
{
	struct dpx_cache_fill *cur = c->fills[nf->slot];

	*old = NULL;
	if (cur != NULL && fill_live(cur)) {
		if (cur->hash != nf->hash || cur->key_len != nf->key_len ||
		    memcmp(cur->key, nf->key, nf->key_len) != 0)
			return DPX_CACHE_FILL_BYPASS;
		atomic_fetch_add_explicit(&cur->refcnt, 1,
					  memory_order_relaxed);
		*out = cur;
		return DPX_CACHE_FILL_WAIT;
	}
	/* Empty, or a fill its leader abandoned (timed out). */
	*old = cur;
	c->fills[nf->slot] = nf;
	*out = nf;
	return DPX_CACHE_FILL_LEADER;
}

enum dpx_cache_fill_role
dpx_cache_fill_begin(struct dpx_cache *c, unsigned int tid,
		     const struct dpx_cache_key *k, struct dpx_cache_fill **out)
{
	struct cache_tstats *ts = &c->ts[tid];
	struct dpx_cache_fill *nf, *old;
	enum dpx_cache_fill_role role;

	*out = NULL;
	if (k->len == 0 || k->len > c->conf.max_key_len) {
		ts->fail[DPX_CACHE_FAIL_KEY]++;
		ts->fills_bypassed++;
		return DPX_CACHE_FILL_BYPASS;
	}
	nf = fill_new(c, k);
	if (nf == NULL || !fill_lock_try(c)) {
		if (nf == NULL)
			ts->fail[DPX_CACHE_FAIL_NOMEM]++;
		free(nf);
		ts->fills_bypassed++;
		return DPX_CACHE_FILL_BYPASS;
	}
	role = fill_claim(c, nf, out, &old);
	rte_spinlock_unlock(&c->fill_lock);
	if (role != DPX_CACHE_FILL_LEADER)
		free(nf);
	if (old != NULL) {
		ts->fills_aborted++;
		fill_release(old);      /* the slot's reference */
	}
	if (role == DPX_CACHE_FILL_LEADER)
		ts->fills_led++;
	else if (role == DPX_CACHE_FILL_WAIT)
		ts->collapsed++;
	else
		ts->fills_bypassed++;
	return role;
}

enum dpx_cache_fill_state
dpx_cache_fill_poll(struct dpx_cache *c, struct dpx_cache_fill *f,
		    struct dpx_cache_obj **obj)
{
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);

	(void)c;
	*obj = NULL;
	if (s == DPX_CACHE_FILL_DONE) {
		dpx_cache_obj_get(f->obj);
		*obj = f->obj;
		return DPX_CACHE_FILL_DONE;
	}
	if (s == DPX_CACHE_FILL_ABORTED || rte_get_tsc_cycles() >= f->deadline)
		return DPX_CACHE_FILL_ABORTED;
	return DPX_CACHE_FILL_PENDING;
}

/* Ends the fill: the state for waiters, then the slot and the leader's
 * reference. The slot is cleared under the lock: fill_begin takes a
 * reference on what it finds there. */
static void
fill_end(struct dpx_cache *c, struct dpx_cache_fill *f, uint32_t state)
{
	bool unslot;

	atomic_store_explicit(&f->state, state, memory_order_release);
	rte_spinlock_lock(&c->fill_lock);
	unslot = c->fills[f->slot] == f;
	if (unslot)
		c->fills[f->slot] = NULL;
	rte_spinlock_unlock(&c->fill_lock);
	if (unslot)
		fill_release(f);
	fill_release(f);
}

int
dpx_cache_fill_commit(struct dpx_cache *c, unsigned int tid,
		      struct dpx_cache_fill *f, struct dpx_cache_obj *obj)
{
	int rc;

	if (obj == NULL) {
		dpx_cache_fill_abort(c, tid, f);
		return -EINVAL;
	}
	rc = dpx_cache_insert(c, tid, obj);
	dpx_cache_obj_get(obj);         /* the fill's, for its waiters */
	f->obj = obj;
	fill_end(c, f, DPX_CACHE_FILL_DONE);
	return rc;
}

void
dpx_cache_fill_abort(struct dpx_cache *c, unsigned int tid,
		     struct dpx_cache_fill *f)
{
	c->ts[tid].fills_aborted++;
	fill_end(c, f, DPX_CACHE_FILL_ABORTED);
}

void
dpx_cache_fill_put(struct dpx_cache *c, struct dpx_cache_fill *f)
{
	(void)c;
	if (f != NULL)
		fill_release(f);
}
