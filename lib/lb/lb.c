/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server selection and health bookkeeping for one pool (see dpx_lb.h).
 *
 * Weighted Maglev: each eligible server walks its own permutation of the
 * table (offset + j * skip mod M, M prime) and claims the first free slot
 * it meets, as in the paper. Weight decides how often a server gets a
 * turn: every round each server adds its weight to a credit, and takes one
 * turn for each w_max of credit it holds (w_max = largest weight). So the
 * heaviest servers take a turn every round and a server of weight w takes
 * w/w_max of a turn per round; the turns each server gets, hence the slots
 * it owns, are proportional to weight to within one slot. Offset and skip
 * come from the server's name, address and port, never from its index
 * among the eligible servers, so a server leaving changes nobody else's
 * preferences and the table moves little beyond its own slots.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_lb.h"

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

/* Seed used when the caller passes 0: xorshift must never hold 0. */
#define RNG_FALLBACK_SEED 0x9e3779b97f4a7c15ULL

/* Second hash of a server identity (Maglev skip) is the first one remixed. */
#define MAGLEV_SKIP_SALT 0x5bd1e9955bd1e995ULL

static uint64_t
mix64(uint64_t x)
{
	/* splitmix64 finalizer: every input bit reaches every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
fnv1a64(uint64_t h, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t
dpx_lb_hash(const void *key, size_t len)
{
	if (key == NULL)
		len = 0;
	return mix64(fnv1a64(FNV64_OFFSET, key, len));
}

static bool
excluded(uint64_t exclude, unsigned int i)
{
	return i < 64 && (exclude >> i) & 1;
}

static bool
selectable(const struct dpx_lb_view *v, uint64_t exclude, unsigned int i)
{
	return v->weight[i] > 0 && !excluded(exclude, i);
}

/* -------------------------------------------------------------------- */
/* Maglev table */

struct maglev_walk {
	uint32_t pos;		/* next slot of this server's permutation */
	uint32_t skip;		/* 1 .. M-1: M prime, so all M slots are seen */
	uint64_t credit;	/* weight accumulated toward the next turn */
};

/*
 * Hashes what names a server (not its position among the eligible ones),
 * byte by byte in a fixed order so the result does not depend on the host.
 */
static uint64_t
server_identity_hash(const struct dpx_server_conf *srv)
{
	uint8_t tail[7];
	uint64_t h;

	h = fnv1a64(FNV64_OFFSET, (const uint8_t *)srv->name,
		    strnlen(srv->name, sizeof(srv->name)));
	tail[0] = 0;	/* ends the name: no name/address overlap */
	tail[1] = (uint8_t)(srv->addr >> 24);
	tail[2] = (uint8_t)(srv->addr >> 16);
	tail[3] = (uint8_t)(srv->addr >> 8);
	tail[4] = (uint8_t)srv->addr;
	tail[5] = (uint8_t)(srv->port >> 8);
	tail[6] = (uint8_t)srv->port;
	return mix64(fnv1a64(h, tail, sizeof(tail)));
}

/* Claims the next free slot on w's permutation; one must be free. */
static void
maglev_take_turn(uint8_t *table, uint32_t m, struct maglev_walk *w,
		 uint8_t server)
{
	while (table[w->pos] != DPX_LB_NO_SERVER)
		w->pos = (uint32_t)(((uint64_t)w->pos + w->skip) % m);
	table[w->pos] = server;
	w->pos = (uint32_t)(((uint64_t)w->pos + w->skip) % m);
}

static void
maglev_fill(const struct dpx_pool_conf *p, const struct dpx_lb_view *v,
	    uint8_t *table, uint32_t m)
{
	struct maglev_walk walk[DPX_MAX_SERVERS];
	uint32_t w_max = 0;
	uint32_t filled = 0;
	unsigned int i;

	memset(table, DPX_LB_NO_SERVER, m);
	for (i = 0; i < v->n_servers; i++) {
		uint64_t h = server_identity_hash(&p->servers[i]);

		walk[i].pos = (uint32_t)(h % m);
		walk[i].skip = (uint32_t)(mix64(h ^ MAGLEV_SKIP_SALT) % (m - 1))
			       + 1;
		walk[i].credit = 0;
		if (v->weight[i] > w_max)
			w_max = v->weight[i];
	}
	if (w_max == 0)
		return;
	/*
	 * A server of weight w_max takes a turn every round, so each round
	 * fills at least one slot and the loop ends within m rounds.
	 */
	while (filled < m) {
		for (i = 0; i < v->n_servers && filled < m; i++) {
			walk[i].credit += v->weight[i];
			while (walk[i].credit >= w_max && filled < m) {
				walk[i].credit -= w_max;
				maglev_take_turn(table, m, &walk[i],
						 (uint8_t)i);
				filled++;
			}
		}
	}
}

struct dpx_lb_view *
dpx_lb_view_build(const struct dpx_pool_conf *p, const uint32_t *weights)
{
	struct dpx_lb_view *v;
	uint64_t total = 0;
	unsigned int i;

	if (p == NULL || (weights == NULL && p->n_servers > 0) ||
	    p->n_servers > DPX_MAX_SERVERS)
		return NULL;
	for (i = 0; i < p->n_servers; i++)
		total += weights[i];
	if (total > UINT32_MAX)
		return NULL;

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->n_servers = p->n_servers;
	for (i = 0; i < p->n_servers; i++)
		v->weight[i] = weights[i];
	v->total_weight = (uint32_t)total;
	if (p->balance != DPX_LB_HASH)
		return v;

	v->table = malloc(DPX_LB_MAGLEV_SIZE);
	if (v->table == NULL) {
		free(v);
		return NULL;
	}
	v->table_size = DPX_LB_MAGLEV_SIZE;
	maglev_fill(p, v, v->table, v->table_size);
	return v;
}

void
dpx_lb_view_free(struct dpx_lb_view *v)
{
	if (v == NULL)
		return;
	free(v->table);
	free(v);
}

/* -------------------------------------------------------------------- */
/* Per-worker state */

static uint64_t
rng_next(struct dpx_lb_state *s)
{
	uint64_t x = s->rng;

	/* xorshift64*: state never reaches 0 from a non-zero start. */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform-enough integer in [0, bound); bound > 0. */
static uint32_t
rng_below(struct dpx_lb_state *s, uint32_t bound)
{
	/* High 32 bits are the best of xorshift64*; scale, don't take mod. */
	return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)bound) >> 32);
}

void
dpx_lb_state_init(struct dpx_lb_state *s, uint64_t seed)
{
	if (s == NULL)
		return;
	memset(s, 0, sizeof(*s));
	s->rng = mix64(seed);
	if (s->rng == 0)
		s->rng = RNG_FALLBACK_SEED;
}

/* -------------------------------------------------------------------- */
/* Algorithms */

static int
pick_roundrobin(const struct dpx_lb_view *v, struct dpx_lb_state *s,
		uint64_t exclude)
{
	int64_t total = 0;
	int best = -1;
	unsigned int i;

	/* Skipped servers keep their counters: they rejoin where they were. */
	for (i = 0; i < v->n_servers; i++) {
		if (!selectable(v, exclude, i))
			continue;
		s->current[i] += v->weight[i];
		total += v->weight[i];
		if (best < 0 || s->current[i] > s->current[best])
			best = (int)i;
	}
	if (best >= 0)
		s->current[best] -= total;
	return best;
}

/* active_a / weight_a < active_b / weight_b, without division. */
static bool
less_loaded(const struct dpx_lb_view *v, const struct dpx_lb_state *s,
	    unsigned int a, unsigned int b)
{
	return (uint64_t)s->active[a] * v->weight[b] <
	       (uint64_t)s->active[b] * v->weight[a];
}

static int
pick_leastconn(const struct dpx_lb_view *v, struct dpx_lb_state *s,
	       uint64_t exclude)
{
	unsigned int n = v->n_servers;
	unsigned int start = s->rr_next < n ? s->rr_next : 0;
	int best = -1;
	unsigned int k;

	/* Scan from the rotation point: the first of equals wins. */
	for (k = 0; k < n; k++) {
		unsigned int i = (start + k) % n;

		if (!selectable(v, exclude, i))
			continue;
		if (best < 0 || less_loaded(v, s, i, (unsigned int)best))
			best = (int)i;
	}
	if (best >= 0)
		s->rr_next = ((unsigned int)best + 1) % n;
	return best;
}

/* Server whose weight interval holds r, skipping excluded and `not`. */
static int
weighted_draw(const struct dpx_lb_view *v, uint64_t exclude, int not,
	      uint32_t r)
{
	unsigned int i;

	for (i = 0; i < v->n_servers; i++) {
		if (!selectable(v, exclude, i) || (int)i == not)
			continue;
		if (r < v->weight[i])
			return (int)i;
		r -= v->weight[i];
	}
	return -1;
}

static int
pick_random(const struct dpx_lb_view *v, struct dpx_lb_state *s,
	    uint64_t exclude)
{
	uint32_t total = 0;
	unsigned int n_eligible = 0;
	unsigned int i;
	int a, b;

	for (i = 0; i < v->n_servers; i++) {
		if (selectable(v, exclude, i)) {
			total += v->weight[i];
			n_eligible++;
		}
	}
	if (n_eligible == 0)
		return -1;
	a = weighted_draw(v, exclude, -1, rng_below(s, total));
	if (n_eligible == 1)
		return a;
	b = weighted_draw(v, exclude, a,
			  rng_below(s, total - v->weight[a]));
	return less_loaded(v, s, (unsigned int)b, (unsigned int)a) ? b : a;
}

static int
pick_hash(const struct dpx_lb_view *v, uint64_t hash, uint64_t exclude)
{
	uint32_t m = v->table_size;
	uint32_t pos, k;
	unsigned int i;

	if (v->table == NULL || m == 0)
		return -1;
	/* Nothing to find: do not walk the whole table to learn that. */
	for (i = 0; i < v->n_servers; i++) {
		if (selectable(v, exclude, i))
			break;
	}
	if (i == v->n_servers)
		return -1;
	/*
	 * Entries interleave servers by weight, so the walk past an excluded
	 * owner is short: about total/(selectable weight) entries.
	 */
	pos = (uint32_t)(hash % m);
	for (k = 0; k < m; k++) {
		uint8_t e = v->table[pos];

		if (e < v->n_servers && selectable(v, exclude, e))
			return e;
		pos = pos + 1 == m ? 0 : pos + 1;
	}
	return -1;
}

int
dpx_lb_pick(const struct dpx_pool_conf *p, const struct dpx_lb_view *v,
	    struct dpx_lb_state *s, uint64_t hash, uint64_t exclude)
{
	if (p == NULL || v == NULL || s == NULL ||
	    v->n_servers > DPX_MAX_SERVERS)
		return -1;
	switch (p->balance) {
	case DPX_LB_ROUNDROBIN:
		return pick_roundrobin(v, s, exclude);
	case DPX_LB_LEASTCONN:
		return pick_leastconn(v, s, exclude);
	case DPX_LB_RANDOM:
		return pick_random(v, s, exclude);
	case DPX_LB_HASH:
		return pick_hash(v, hash, exclude);
	}
	return -1;
}

/* -------------------------------------------------------------------- */
/* Slow start and health */

uint32_t
dpx_lb_slow_start_weight(uint32_t weight, uint64_t since_up_ms,
			 uint32_t slow_start_ms)
{
	uint32_t start;

	if (slow_start_ms == 0 || since_up_ms >= slow_start_ms || weight == 0)
		return weight;
	start = weight / 10 > 0 ? weight / 10 : 1;
	/* (weight - start) < 2^32 and since_up_ms < 2^32: no overflow. */
	return start + (uint32_t)((uint64_t)(weight - start) * since_up_ms /
				  slow_start_ms);
}

void
dpx_health_init(struct dpx_health_state *h)
{
	if (h == NULL)
		return;
	h->up = true;
	h->passes = 0;
	h->fails = 0;
}

bool
dpx_health_record(struct dpx_health_state *h, bool pass, uint32_t rise,
		  uint32_t fall)
{
	if (h == NULL)
		return false;
	/* 0 would mean "never change": treat it as a single result. */
	if (rise == 0)
		rise = 1;
	if (fall == 0)
		fall = 1;
	if (h->up) {
		h->passes = 0;
		if (pass) {
			h->fails = 0;
			return false;
		}
		if (++h->fails < fall)
			return false;
		h->up = false;
		h->fails = 0;
		return true;
	}
	h->fails = 0;
	if (!pass) {
		h->passes = 0;
		return false;
	}
	if (++h->passes < rise)
		return false;
	h->up = true;
	h->passes = 0;
	return true;
}
