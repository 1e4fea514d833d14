/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store: creation, keys, objects, lock-free lookup, the serialized
 * write side (insert, evict, purge, ban) and retirement through the RCU
 * defer queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "cache_priv.h"
#include "dpx_core.h"
#include "dpx_net.h"

_Static_assert(DPX_CACHE_MAX_THREADS == DPX_MAX_WORKERS,
	       "one cache thread id per worker");

/* Tries of the write lock before a write gives up (-EBUSY): a few
 * microseconds, far longer than any critical section. */
#define WLOCK_SPINS 4096
/* Items freed per write, after the lock is released. */
#define RECLAIM_BATCH 32
#define BAN_HOST_MAX 255
#define BAN_PREFIX_MAX 1023

void
dpx_cache_conf_defaults(struct dpx_cache_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->name = "dpx_cache";
	conf->policy = DPX_CACHE_SIEVE;
	conf->budget_bytes = 64ull << 20;
	conf->max_object_bytes = 1u << 20;
	conf->max_entries = 65536;
	conf->max_key_len = 1024;
	conf->max_vary_len = 1024;
	conf->max_head_len = 32768;
	conf->seg_size = 2048;
	conf->fill_slots = 1024;
	conf->fill_timeout_ms = 10000;
	conf->socket_id = SOCKET_ID_ANY;
}

int64_t
dpx_cache_current_age(const struct dpx_cache_meta *m, int64_t now)
{
	int64_t apparent = m->response_time - m->date_value;
	int64_t corrected = m->age_value + (m->response_time - m->request_time);

	if (apparent < 0)
		apparent = 0;
	return RTE_MAX(apparent, corrected) + (now - m->response_time);
}

/* ---------------------------------------------------------------------- */
/* Keys                                                                     */

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

/* Word at a time; the per-store seed makes collisions unpredictable to
 * clients choosing URLs. */
static uint64_t
key_hash(uint64_t seed, const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ ((uint64_t)len * 0x9e3779b97f4a7c15ull);
	uint64_t w;

	for (; len >= 8; b += 8, len -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ mix64(w ^ seed)) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, b, len);
	h = (h ^ mix64(w ^ seed ^ len)) * 0x9e3779b97f4a7c15ull;
	return mix64(h);
}

static inline hash_sig_t
key_sig(uint64_t h)
{
	return (hash_sig_t)(h ^ (h >> 32));
}

void
dpx_cache_key_init(const struct dpx_cache *c, struct dpx_cache_key *k,
		   const void *p, uint32_t len)
{
	k->p = p;
	k->len = len;
	k->hash = key_hash(c->seed, p, len);
}

static bool
cache_key_eq(const struct dpx_cache_obj *o, const struct dpx_cache_key *k)
{
	return o->hash == k->hash && o->key_len == k->len &&
	       memcmp(o->key, k->p, k->len) == 0;
}

/* ---------------------------------------------------------------------- */
/* Retirement: freed after every reader passed a quiescent state          */

static void
retire_free(void *p, void *e, unsigned int n)
{
	struct dpx_cache *c = p;
	struct cache_retire *r = e;

	for (unsigned int i = 0; i < n; i++) {
		if (r[i].type == RETIRE_OBJ)
			dpx_cache_obj_put(r[i].p);  /* the index's reference */
		else
			free(r[i].p);
	}
	atomic_fetch_sub_explicit(&c->dq_pending, n, memory_order_relaxed);
}

static uint32_t
dq_room(const struct dpx_cache *c)
{
	uint32_t pending = atomic_load_explicit(&c->dq_pending,
						memory_order_relaxed);

	return pending >= c->dq_size ? 0 : c->dq_size - pending;
}

/* Under the write lock, after dq_room() said there is room. */
static void
retire(struct dpx_cache *c, unsigned int tid, void *p, uint32_t type)
{
	struct cache_retire r = { .p = p, .type = type };

	atomic_fetch_add_explicit(&c->dq_pending, 1, memory_order_relaxed);
	if (rte_rcu_qsbr_dq_enqueue(c->dq, &r) == 0)
		return;
	/* Unreachable while dq_room() is checked first; stay correct. */
	rte_rcu_qsbr_synchronize(c->conf.qsbr, tid);
	retire_free(c, &r, 1);
}

void
dpx_cache_reclaim(struct dpx_cache *c, unsigned int n)
{
	unsigned int freed, pending, avail;

	rte_rcu_qsbr_dq_reclaim(c->dq, n, &freed, &pending, &avail);
}

/* ---------------------------------------------------------------------- */
/* Creation                                                                 */

static int
conf_check(const struct dpx_cache_conf *f)
{
	if (f->qsbr == NULL || f->n_threads == 0 ||
	    f->n_threads > DPX_CACHE_MAX_THREADS || f->name == NULL ||
	    strlen(f->name) > 16 || f->policy > DPX_CACHE_LRU)
		return -EINVAL;
	if (f->budget_bytes == 0 || f->max_object_bytes == 0 ||
	    f->max_object_bytes > f->budget_bytes || f->max_entries < 8 ||
	    f->max_entries > (1u << 30) || f->seg_size < 64 ||
	    f->max_key_len == 0)
		return -EINVAL;
	if (f->fill_slots == 0 || !rte_is_power_of_2(f->fill_slots))
		return -EINVAL;
	return 0;
}

static int
create_hash(struct dpx_cache *c)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		/* Slack for deleted keys waiting for their grace period. */
		.entries = c->conf.max_entries + c->conf.max_entries / 4 + 64,
		.key_len = sizeof(uint64_t),
		.socket_id = c->conf.socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rc = {
		.v = c->conf.qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	snprintf(name, sizeof(name), "%s_h", c->conf.name);
	c->h = rte_hash_create(&hp);
	if (c->h == NULL)
		return -rte_errno;
	return rte_hash_rcu_qsbr_add(c->h, &rc);
}

static int
create_dq(struct dpx_cache *c)
{
	char name[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = name,
		.size = c->dq_size,
		.esize = sizeof(struct cache_retire),
		/* No reclaim inside enqueue: enqueue runs under the write
		 * lock, and freeing bodies is not for under a lock. */
		.trigger_reclaim_limit = c->dq_size + 1,
		.max_reclaim_size = RECLAIM_BATCH,
		.free_fn = retire_free,
		.p = c,
		.v = c->conf.qsbr,
	};

	snprintf(name, sizeof(name), "%s_dq", c->conf.name);
	c->dq = rte_rcu_qsbr_dq_create(&dp);
	return c->dq == NULL ? -rte_errno : 0;
}

static int
create_pool(struct dpx_cache *c)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint64_t n = c->conf.n_mbufs;

	if (n == 0)
		n = c->conf.budget_bytes / c->conf.seg_size * 5 / 4 + 1024;
	if (n > UINT32_MAX)
		return -EINVAL;
	snprintf(name, sizeof(name), "%s_mb", c->conf.name);
	c->mp = rte_pktmbuf_pool_create(name, (unsigned int)n, 64, 0,
					RTE_PKTMBUF_HEADROOM +
					c->conf.seg_size, c->conf.socket_id);
	if (c->mp == NULL)
		return -rte_errno;
	c->elt_size = c->mp->header_size + c->mp->elt_size +
		      c->mp->trailer_size;
	return 0;
}

struct dpx_cache *
dpx_cache_create(const struct dpx_cache_conf *conf)
{
	struct dpx_cache *c;
	int rc = conf_check(conf);

	if (rc != 0) {
		DPX_ERR("cache %s: bad configuration", conf->name);
		rte_errno = -rc;
		return NULL;
	}
	c = rte_zmalloc_socket("dpx_cache", sizeof(*c), RTE_CACHE_LINE_SIZE,
			       conf->socket_id);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c->conf = *conf;
	snprintf(c->name, sizeof(c->name), "%s", conf->name);
	c->conf.name = c->name;         /* the caller's string may go */
	c->seed = rte_rand();
	c->tsc_hz = rte_get_tsc_hz();
	/* Each removal retires an object and at most a node; bans too. */
	c->dq_size = conf->max_entries * 2 + DPX_CACHE_MAX_BANS + 64;
	rte_spinlock_init(&c->wlock);
	rte_spinlock_init(&c->fill_lock);
	rc = create_hash(c);
	if (rc == 0)
		rc = create_dq(c);
	if (rc == 0)
		rc = create_pool(c);
	if (rc == 0)
		rc = policy_init(c);
	if (rc == 0)
		rc = fill_init(c);
	if (rc != 0) {
		DPX_ERR("cache %s: %s", conf->name, strerror(-rc));
		dpx_cache_free(c);
		rte_errno = -rc;
		return NULL;
	}
	return c;
}

/* Drops the index's references at once: no reader is left. */
static void
drain_index(struct dpx_cache *c)
{
	struct dpx_cache_obj *o;
	const void *key;
	void *data;
	uint32_t iter = 0;

	while ((o = TAILQ_FIRST(&c->q_small)) != NULL ||
	       (o = TAILQ_FIRST(&c->q_main)) != NULL) {
		policy_remove(c, o);
		dpx_cache_obj_put(o);
	}
	while (rte_hash_iterate(c->h, &key, &data, &iter) >= 0)
		free(data);
}

void
dpx_cache_free(struct dpx_cache *c)
{
	if (c == NULL)
		return;
	fill_fini(c);
	if (c->h != NULL)
		drain_index(c);
	for (unsigned int i = 0; i < DPX_CACHE_MAX_BANS; i++)
		free(atomic_load(&c->bans[i]));
	if (c->dq != NULL && rte_rcu_qsbr_dq_delete(c->dq) != 0)
		DPX_ERR("cache %s: readers still online, retired items leak",
			c->conf.name);
	rte_hash_free(c->h);
	policy_fini(c);
	rte_mempool_free(c->mp);
	rte_free(c);
}

/* ---------------------------------------------------------------------- */
/* Objects                                                                  */

static int
fail(struct dpx_cache *c, unsigned int tid, enum dpx_cache_fail why, int err)
{
	c->ts[tid].fail[why]++;
	return err;
}

static char *
put_bytes(char **at, const void *p, uint32_t len)
{
	char *s = *at;

	if (len > 0)
		memcpy(s, p, len);
	*at += len;
	return s;
}

static bool
args_too_long(const struct dpx_cache_conf *f,
	      const struct dpx_cache_obj_args *a)
{
	return a->key->len == 0 || a->key->len > f->max_key_len ||
	       a->vary_len > f->max_vary_len || a->host_len > BAN_HOST_MAX ||
	       a->path_len > f->max_key_len || a->head_len > f->max_head_len;
}

int
dpx_cache_obj_new(struct dpx_cache *c, unsigned int tid,
		  const struct dpx_cache_obj_args *a, struct dpx_cache_obj **out)
{
	struct dpx_cache_obj *o;
	size_t size;
	char *at;

	*out = NULL;
	if (args_too_long(&c->conf, a))
		return fail(c, tid, DPX_CACHE_FAIL_KEY, -E2BIG);
	if (a->head_len > c->conf.max_object_bytes)
		return fail(c, tid, DPX_CACHE_FAIL_TOO_BIG, -EFBIG);
	size = sizeof(*o) + a->key->len + a->vary_len + a->host_len +
	       a->path_len + a->head_len;
	o = calloc(1, size);
	if (o == NULL)
		return fail(c, tid, DPX_CACHE_FAIL_NOMEM, -ENOMEM);
	atomic_init(&o->refcnt, 1);
	o->hash = a->key->hash;
	if (a->meta != NULL)
		o->meta = *a->meta;
	at = o->bytes;
	o->key = put_bytes(&at, a->key->p, o->key_len = a->key->len);
	o->vary = put_bytes(&at, a->vary, o->vary_len = a->vary_len);
	o->host = put_bytes(&at, a->host, o->host_len = a->host_len);
	o->path = put_bytes(&at, a->path, o->path_len = a->path_len);
	o->head = put_bytes(&at, a->head, o->head_len = a->head_len);
	/* A node per object is an over-estimate that keeps the bound. */
	o->charge = size + sizeof(struct cache_node);
	*out = o;
	return 0;
}

static int
body_grow(struct dpx_cache *c, struct dpx_cache_obj *o)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->mp);

	if (m == NULL) {
		/* Bodies evicted but not yet past their grace period may
		 * be all that is missing. */
		dpx_cache_reclaim(c, 4 * RECLAIM_BATCH);
		m = rte_pktmbuf_alloc(c->mp);
	}
	if (m == NULL)
		return -ENOMEM;
	if (o->body_tail != NULL)
		o->body_tail->next = m;
	else
		o->body = m;
	o->body_tail = m;
	o->nsegs++;
	o->charge += c->elt_size;
	return 0;
}

int
dpx_cache_obj_append(struct dpx_cache *c, unsigned int tid,
		     struct dpx_cache_obj *o, const void *p, uint32_t len)
{
	const char *src = p;

	if (o->published)
		return -EINVAL;
	if (o->head_len + o->body_len + len > c->conf.max_object_bytes)
		return fail(c, tid, DPX_CACHE_FAIL_TOO_BIG, -EFBIG);
	while (len > 0) {
		struct rte_mbuf *m = o->body_tail;
		uint32_t n = m != NULL ? rte_pktmbuf_tailroom(m) : 0;

		if (n == 0) {
			if (body_grow(c, o) != 0)
				return fail(c, tid, DPX_CACHE_FAIL_NOMEM,
					    -ENOMEM);
			continue;
		}
		n = RTE_MIN(n, len);
		memcpy(rte_pktmbuf_mtod_offset(m, char *, m->data_len), src,
		       n);
		m->data_len += n;
		m->pkt_len = m->data_len;
		o->body_len += n;
		src += n;
		len -= n;
	}
	return 0;
}

int
dpx_cache_obj_rehead(struct dpx_cache *c, unsigned int tid,
		     struct dpx_cache_obj *o, const void *head,
		     uint32_t head_len, const struct dpx_cache_meta *meta,
		     struct dpx_cache_obj **out)
{
	struct dpx_cache_key k = { o->key, o->key_len, o->hash };
	struct dpx_cache_obj_args a = {
		.key = &k, .vary = o->vary, .vary_len = o->vary_len,
		.host = o->host, .host_len = o->host_len,
		.path = o->path, .path_len = o->path_len,
		.head = head, .head_len = head_len, .meta = meta,
	};
	struct dpx_cache_obj *n;
	int rc;

	*out = NULL;
	if (o->published)
		return -EINVAL;
	if ((uint64_t)head_len + o->body_len > c->conf.max_object_bytes)
		return fail(c, tid, DPX_CACHE_FAIL_TOO_BIG, -EFBIG);
	rc = dpx_cache_obj_new(c, tid, &a, &n);
	if (rc != 0)
		return rc;
	/* The body moves over with its charge: o keeps none. */
	n->body = o->body;
	n->body_tail = o->body_tail;
	n->body_len = o->body_len;
	n->nsegs = o->nsegs;
	n->charge += (uint64_t)o->nsegs * c->elt_size;
	o->body = o->body_tail = NULL;
	o->charge -= (uint64_t)o->nsegs * c->elt_size;
	o->body_len = 0;
	o->nsegs = 0;
	*out = n;
	return 0;
}

void
dpx_cache_obj_get(struct dpx_cache_obj *o)
{
	atomic_fetch_add_explicit(&o->refcnt, 1, memory_order_relaxed);
}

void
dpx_cache_obj_put(struct dpx_cache_obj *o)
{
	struct rte_mbuf *m, *next;

	if (o == NULL ||
	    atomic_fetch_sub_explicit(&o->refcnt, 1,
				      memory_order_acq_rel) != 1)
		return;
	/* Segments with clones attached only lose a reference here; the
	 * last clone's detach returns them to the pool. */
	for (m = o->body; m != NULL; m = next) {
		next = m->next;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
	}
	free(o);
}

const struct dpx_cache_meta *
dpx_cache_obj_meta(const struct dpx_cache_obj *o)
{
	return &o->meta;
}

const void *
dpx_cache_obj_head(const struct dpx_cache_obj *o, uint32_t *len)
{
	*len = o->head_len;
	return o->head;
}

uint64_t
dpx_cache_obj_body_len(const struct dpx_cache_obj *o)
{
	return o->body_len;
}

const void *
dpx_cache_obj_vary(const struct dpx_cache_obj *o, uint32_t *len)
{
	*len = o->vary_len;
	return o->vary;
}

uint64_t
dpx_cache_obj_seq(const struct dpx_cache_obj *o)
{
	return o->published ? o->seq : 0;
}

/* Clones made a burst at a time: a large object's hit takes as many
 * mbufs as it has segments, more than the mempool's per-core cache keeps
 * warm, so the next clones' headers, and the next stored segment's, are
 * prefetched while the current one is attached. */
#define CLONE_BURST 32u
#define CLONE_AHEAD 4u

struct rte_mbuf *
dpx_cache_body_clone(const struct dpx_cache_obj *o, struct rte_mempool *mp)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *batch[CLONE_BURST], *s;
	uint32_t left = o->nsegs;

	/* nsegs sizes the bursts; the chain, not the count, ends the walk */
	for (s = o->body; s != NULL;) {
		unsigned int n = RTE_MIN(RTE_MAX(left, 1u), CLONE_BURST), i;

		if (rte_mempool_get_bulk(mp, (void **)batch, n) != 0) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		for (i = 0; i < RTE_MIN(n, CLONE_AHEAD); i++)
			dpx_mbuf_prefetch_w(batch[i]);
		for (i = 0; i < n && s != NULL; i++, s = s->next) {
			struct rte_mbuf *mi = batch[i];

			if (i + CLONE_AHEAD < n)
				dpx_mbuf_prefetch_w(batch[i + CLONE_AHEAD]);
			if (s->next != NULL)
				dpx_mbuf_prefetch_w(s->next);
			rte_pktmbuf_reset(mi);
			/* Takes a reference on s: the clone keeps the bytes
			 * even after the object and the index let go. */
			rte_pktmbuf_attach(mi, s);
			if (tail != NULL)
				tail->next = mi;
			else
				head = mi;
			tail = mi;
		}
		if (i < n)      /* fewer segments than counted: unused back */
			rte_mempool_put_bulk(mp, (void **)(batch + i), n - i);
		left -= RTE_MIN(left, (uint32_t)i);
	}
	return head;
}

struct rte_mbuf *
dpx_cache_body_clone_range(const struct dpx_cache_obj *o,
			   struct rte_mempool *mp, uint64_t first,
			   uint64_t last)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *s, *mi;
	uint64_t off = 0;

	if (last < first || last >= o->body_len)
		return NULL;
	for (s = o->body; s != NULL && off <= last; s = s->next) {
		uint64_t a = off, b = off + s->data_len;     /* [a, b) */

		off = b;
		if (b <= first)
			continue;
		mi = rte_pktmbuf_alloc(mp);
		if (mi == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		rte_pktmbuf_attach(mi, s);
		if (first > a)
			rte_pktmbuf_adj(mi, (uint16_t)(first - a));
		if (last + 1 < b)
			rte_pktmbuf_trim(mi, (uint16_t)(b - last - 1));
		if (tail != NULL)
			tail->next = mi;
		else
			head = mi;
		tail = mi;
	}
	return head;
}

/* ---------------------------------------------------------------------- */
/* Lookup (lock-free)                                                       */

static bool
ban_matches(const struct cache_ban *b, const struct dpx_cache_obj *o)
{
	return o->host_len == b->host_len &&
	       strncasecmp(o->host, b->host, b->host_len) == 0 &&
	       o->path_len >= b->prefix_len &&
	       memcmp(o->path, b->prefix, b->prefix_len) == 0;
}

/* Checks the bans newer than the object's mark; a ban that already left
 * the ring counts as a match, which is safe (a miss) and rare. */
static bool
obj_banned(struct dpx_cache *c, struct dpx_cache_obj *o)
{
	uint64_t now, seen, g;

	if (atomic_load_explicit(&o->dead, memory_order_relaxed))
		return true;
	now = atomic_load_explicit(&c->ban_gen, memory_order_acquire);
	seen = atomic_load_explicit(&o->ban_gen, memory_order_relaxed);
	if (seen >= now)
		return false;
	if (now - seen > DPX_CACHE_MAX_BANS)
		goto dead;
	for (g = seen + 1; g <= now; g++) {
		const struct cache_ban *b = atomic_load_explicit(
			&c->bans[g % DPX_CACHE_MAX_BANS], memory_order_acquire);

		if (b == NULL || b->gen != g || ban_matches(b, o))
			goto dead;
	}
	atomic_store_explicit(&o->ban_gen, now, memory_order_relaxed);
	return false;
dead:
	atomic_store_explicit(&o->dead, 1, memory_order_relaxed);
	return true;
}

static struct cache_node *
node_find(const struct dpx_cache *c, uint64_t hash)
{
	void *data;

	if (rte_hash_lookup_with_hash_data(c->h, &hash, key_sig(hash),
					   &data) < 0)
		return NULL;
	return data;
}

struct dpx_cache_obj *
dpx_cache_lookup(struct dpx_cache *c, unsigned int tid,
		 const struct dpx_cache_key *k, const void *vary,
		 uint32_t vary_len)
{
	struct cache_tstats *ts = &c->ts[tid];
	struct cache_node *n = node_find(c, k->hash);

	for (unsigned int i = 0; n != NULL && i < DPX_CACHE_MAX_VARIANTS;
	     i++) {
		struct dpx_cache_obj *o = atomic_load_explicit(
			&n->v[i], memory_order_acquire);

		if (o == NULL || o->vary_len != vary_len ||
		    (vary_len > 0 && memcmp(o->vary, vary, vary_len) != 0) ||
		    !cache_key_eq(o, k))
			continue;
		if (obj_banned(c, o)) {
			ts->banned_hits++;
			break;
		}
		policy_hit(c, o);
		/* Safe without "increment if not zero": the index's own
		 * reference is dropped only after this thread's next
		 * quiescent state. */
		dpx_cache_obj_get(o);
		ts->hits++;
		return o;
	}
	ts->misses++;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Write side: under c->wlock                                              */

static bool
wlock_try(struct dpx_cache *c)
{
	for (unsigned int i = 0; i < WLOCK_SPINS; i++) {
		if (rte_spinlock_trylock(&c->wlock))
			return true;
		rte_pause();
	}
	return false;
}

/* Takes o out of the index, the policy and the budget; needs room for two
 * retirements. */
static void
unindex(struct dpx_cache *c, unsigned int tid, struct dpx_cache_obj *o)
{
	struct cache_node *n = node_find(c, o->hash);

	for (unsigned int i = 0; n != NULL && i < DPX_CACHE_MAX_VARIANTS;
	     i++) {
		if (atomic_load_explicit(&n->v[i], memory_order_relaxed) != o)
			continue;
		atomic_store_explicit(&n->v[i], NULL, memory_order_release);
		if (--n->n == 0) {
			rte_hash_del_key_with_hash(c->h, &n->hash,
						   key_sig(n->hash));
			atomic_fetch_sub_explicit(&c->keys, 1,
						  memory_order_relaxed);
			retire(c, tid, n, RETIRE_NODE);
		}
		break;
	}
	policy_remove(c, o);
	atomic_fetch_sub_explicit(&c->bytes, o->charge, memory_order_relaxed);
	atomic_fetch_sub_explicit(&c->objects, 1, memory_order_relaxed);
	retire(c, tid, o, RETIRE_OBJ);
}

static struct dpx_cache_obj *
node_any(struct cache_node *n)
{
	for (unsigned int i = 0; i < DPX_CACHE_MAX_VARIANTS; i++) {
		struct dpx_cache_obj *o = atomic_load_explicit(
			&n->v[i], memory_order_relaxed);

		if (o != NULL)
			return o;
	}
	return NULL;
}

/* Unindexes every variant of n (n is retired with the last); the number
 * removed, or -EBUSY when the retire queue is full. */
static int
node_clear(struct dpx_cache *c, unsigned int tid, struct cache_node *n)
{
	struct dpx_cache_obj *o;
	int count = 0;

	while (n->n > 0 && (o = node_any(n)) != NULL) {
		if (dq_room(c) < 2)
			return -EBUSY;
		unindex(c, tid, o);
		count++;
	}
	return count;
}

/* Unindexes the published object with o's key and variant, if any. */
static int
unindex_same(struct dpx_cache *c, unsigned int tid,
	     const struct dpx_cache_obj *o)
{
	struct cache_node *n = node_find(c, o->hash);

	for (unsigned int i = 0; n != NULL && i < DPX_CACHE_MAX_VARIANTS;
	     i++) {
		struct dpx_cache_obj *v = atomic_load_explicit(
			&n->v[i], memory_order_relaxed);

		if (v == NULL || v->key_len != o->key_len ||
		    v->vary_len != o->vary_len ||
		    memcmp(v->key, o->key, o->key_len) != 0 ||
		    memcmp(v->vary, o->vary, o->vary_len) != 0)
			continue;
		if (dq_room(c) < 2)
			return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
		unindex(c, tid, v);
		c->ts[tid].replaced++;
		break;
	}
	return 0;
}

/* A free slot in n, or the oldest variant's (evicted; n stays non-empty
 * since it was full). */
static int
node_slot(struct dpx_cache *c, unsigned int tid, struct cache_node *n)
{
	struct dpx_cache_obj *oldest = NULL;
	unsigned int at = 0;

	for (unsigned int i = 0; i < DPX_CACHE_MAX_VARIANTS; i++) {
		struct dpx_cache_obj *v = atomic_load_explicit(
			&n->v[i], memory_order_relaxed);

		if (v == NULL)
			return (int)i;
		if (oldest == NULL || v->seq < oldest->seq) {
			oldest = v;
			at = i;
		}
	}
	if (dq_room(c) < 2)
		return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
	unindex(c, tid, oldest);
	c->ts[tid].variants_evicted++;
	return (int)at;
}

/* Evicts until o fits the budget and the entry bound. */
static int
make_room(struct dpx_cache *c, unsigned int tid, const struct dpx_cache_obj *o)
{
	while (atomic_load_explicit(&c->bytes, memory_order_relaxed) +
	       o->charge > c->conf.budget_bytes ||
	       atomic_load_explicit(&c->objects, memory_order_relaxed) >=
	       c->conf.max_entries) {
		struct dpx_cache_obj *v;

		if (dq_room(c) < 2)
			return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
		v = policy_victim(c);
		if (v == NULL)
			return fail(c, tid, DPX_CACHE_FAIL_NOMEM, -ENOMEM);
		unindex(c, tid, v);
		c->ts[tid].evicted++;
	}
	return 0;
}

/* The node for o's key, made from *spare when new (a different key with
 * the same 64-bit hash loses its node). -EAGAIN: a spare is needed. */
static int
node_for(struct dpx_cache *c, unsigned int tid, struct dpx_cache_obj *o,
	 struct cache_node **spare, struct cache_node **out)
{
	struct cache_node *n = node_find(c, o->hash);
	struct dpx_cache_obj *any;
	int rc;

	if (n != NULL) {
		any = node_any(n);
		if (any != NULL && any->key_len == o->key_len &&
		    memcmp(any->key, o->key, o->key_len) == 0) {
			*out = n;
			return 0;
		}
		rc = node_clear(c, tid, n);
		if (rc < 0)
			return fail(c, tid, DPX_CACHE_FAIL_BUSY, rc);
		c->ts[tid].evicted += (uint64_t)rc;
	}
	if (*spare == NULL)
		return -EAGAIN;
	n = *spare;
	n->hash = o->hash;
	if (rte_hash_add_key_with_hash_data(c->h, &n->hash, key_sig(n->hash),
					    n) < 0)
		return fail(c, tid, DPX_CACHE_FAIL_NOMEM, -ENOMEM);
	*spare = NULL;
	atomic_fetch_add_explicit(&c->keys, 1, memory_order_relaxed);
	*out = n;
	return 0;
}

static int
insert_locked(struct dpx_cache *c, unsigned int tid, struct dpx_cache_obj *o,
	      struct cache_node **spare)
{
	struct cache_node *n;
	int rc, slot;

	/* Order matters: each step may delete the node the next looks up. */
	rc = unindex_same(c, tid, o);
	if (rc == 0)
		rc = make_room(c, tid, o);
	if (rc == 0)
		rc = node_for(c, tid, o, spare, &n);
	if (rc != 0)
		return rc;
	slot = node_slot(c, tid, n);
	if (slot < 0)
		return slot;
	o->published = true;
	o->seq = ++c->seq;
	atomic_store_explicit(&o->ban_gen,
			      atomic_load_explicit(&c->ban_gen,
						   memory_order_relaxed),
			      memory_order_relaxed);
	dpx_cache_obj_get(o);   /* the index's reference */
	n->n++;
	policy_add(c, o);
	atomic_fetch_add_explicit(&c->bytes, o->charge, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->objects, 1, memory_order_relaxed);
	/* Release: readers that see the pointer see the whole object. */
	atomic_store_explicit(&n->v[slot], o, memory_order_release);
	c->ts[tid].stored++;
	return 0;
}

/* Every hit's segments are summed by TCP: the body's share is summed
 * once here, and travels with each clone (dpx_mbuf_sum_set()). */
static void
body_sums(struct dpx_cache_obj *o)
{
	for (struct rte_mbuf *m = o->body; m != NULL; m = m->next)
		dpx_mbuf_sum_set(m, dpx_cksum(rte_pktmbuf_mtod(m, void *),
					      m->data_len));
}

int
dpx_cache_insert(struct dpx_cache *c, unsigned int tid,
		 struct dpx_cache_obj *o)
{
	struct cache_node *spare = NULL;
	int rc;

	if (o == NULL || o->published)
		return -EINVAL;
	if (o->charge > c->conf.budget_bytes)
		return fail(c, tid, DPX_CACHE_FAIL_TOO_BIG, -EFBIG);
	body_sums(o);
	dpx_cache_reclaim(c, RECLAIM_BATCH);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0 || node_find(c, o->hash) == NULL) {
			spare = calloc(1, sizeof(*spare));
			if (spare == NULL)
				return fail(c, tid, DPX_CACHE_FAIL_NOMEM,
					    -ENOMEM);
		}
		if (!wlock_try(c)) {
			free(spare);
			return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
		}
		rc = insert_locked(c, tid, o, &spare);
		rte_spinlock_unlock(&c->wlock);
		free(spare);
		spare = NULL;
		if (rc != -EAGAIN)
			break;
	}
	dpx_cache_reclaim(c, RECLAIM_BATCH);
	return rc;
}

int
dpx_cache_purge(struct dpx_cache *c, unsigned int tid,
		const struct dpx_cache_key *k)
{
	struct cache_node *n;
	struct dpx_cache_obj *any;
	int rc = 0;

	dpx_cache_reclaim(c, RECLAIM_BATCH);
	if (!wlock_try(c))
		return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
	n = node_find(c, k->hash);
	if (n != NULL && (any = node_any(n)) != NULL && cache_key_eq(any, k))
		rc = node_clear(c, tid, n);
	rte_spinlock_unlock(&c->wlock);
	if (rc > 0)
		c->ts[tid].purged += (uint64_t)rc;
	dpx_cache_reclaim(c, RECLAIM_BATCH);
	return rc;
}

int
dpx_cache_ban(struct dpx_cache *c, unsigned int tid, const char *host,
	      const char *path_prefix)
{
	size_t hl = strlen(host), pl = strlen(path_prefix);
	struct cache_ban *b, *old;
	uint64_t g;

	if (hl > BAN_HOST_MAX || pl > BAN_PREFIX_MAX)
		return fail(c, tid, DPX_CACHE_FAIL_KEY, -E2BIG);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return fail(c, tid, DPX_CACHE_FAIL_NOMEM, -ENOMEM);
	memcpy(b->host, host, hl);
	memcpy(b->prefix, path_prefix, pl);
	b->host_len = (uint32_t)hl;
	b->prefix_len = (uint32_t)pl;
	dpx_cache_reclaim(c, RECLAIM_BATCH);
	if (!wlock_try(c)) {
		free(b);
		return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
	}
	if (dq_room(c) < 1) {
		rte_spinlock_unlock(&c->wlock);
		free(b);
		return fail(c, tid, DPX_CACHE_FAIL_BUSY, -EBUSY);
	}
	g = atomic_load_explicit(&c->ban_gen, memory_order_relaxed) + 1;
	b->gen = g;
	old = atomic_exchange_explicit(&c->bans[g % DPX_CACHE_MAX_BANS], b,
				       memory_order_release);
	if (old != NULL)
		retire(c, tid, old, RETIRE_BAN);
	atomic_store_explicit(&c->ban_gen, g, memory_order_release);
	rte_spinlock_unlock(&c->wlock);
	c->ts[tid].bans++;
	return 0;
}

void
dpx_cache_stats(const struct dpx_cache *c, struct dpx_cache_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < c->conf.n_threads; i++) {
		const struct cache_tstats *t = &c->ts[i];

		s->hits += t->hits;
		s->misses += t->misses;
		s->stored += t->stored;
		s->replaced += t->replaced;
		s->evicted += t->evicted;
		s->variants_evicted += t->variants_evicted;
		s->purged += t->purged;
		s->bans += t->bans;
		s->banned_hits += t->banned_hits;
		s->fills_led += t->fills_led;
		s->collapsed += t->collapsed;
		s->fills_bypassed += t->fills_bypassed;
		s->fills_aborted += t->fills_aborted;
		for (unsigned int j = 0; j < DPX_CACHE_FAIL_MAX; j++)
			s->fail[j] += t->fail[j];
	}
	s->bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
	s->objects = atomic_load_explicit(&c->objects, memory_order_relaxed);
	s->keys = atomic_load_explicit(&c->keys, memory_order_relaxed);
	s->mbufs_in_use = rte_mempool_in_use_count(c->mp);
}
