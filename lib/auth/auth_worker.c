/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's side of an authenticator: the verified-credentials cache,
 * the failure limiter, and its two rings to the verifier thread (requests
 * out, answers back; one producer and one consumer each, lock-free).
 * Requests travel as slots from a fixed array, so memory is bounded and
 * the queue is full exactly when no slot is free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_common.h>
#include <rte_ring.h>

#include "auth_priv.h"

#define CACHE_WAYS 4
#define POLL_BURST 32

struct cache_entry {
	uint8_t mac[AUTH_MAC_LEN];
	uint64_t generation;	/* 0: free */
	uint64_t expires_ms;
	int32_t user_index;
	const struct dpx_auth_rule *rule;
};

struct dpx_auth_worker {
	struct dpx_auth *auth;
	struct rte_ring *requests;	/* worker -> verifier */
	struct rte_ring *answers;	/* verifier -> worker */
	struct auth_slot *slots;
	uint32_t *free_slots;
	uint32_t n_free;
	uint32_t n_slots;
	struct cache_entry *cache;
	uint32_t cache_set_mask;
	struct dpx_auth_limiter *limiter;
	struct dpx_auth_counters counters;
};

struct rte_ring *auth_worker_requests(struct dpx_auth_worker *aw)
{
	return aw->requests;
}

struct rte_ring *auth_worker_answers(struct dpx_auth_worker *aw)
{
	return aw->answers;
}

/* rte_ring_init() on our own memory: no EAL memzone, so the module and
 * its tests work before (or without) rte_eal_init(). */
static struct rte_ring *ring_new(const char *what, unsigned int worker,
				 unsigned int count)
{
	ssize_t size = rte_ring_get_memsize(count);
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	if (size < 0)
		return NULL;
	r = aligned_alloc(RTE_CACHE_LINE_SIZE,
			  RTE_ALIGN_CEIL((size_t)size, RTE_CACHE_LINE_SIZE));
	if (r == NULL)
		return NULL;
	snprintf(name, sizeof(name), "auth_%s_%u", what, worker);
	if (rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static int alloc_slots(struct dpx_auth_worker *aw, uint32_t n)
{
	aw->slots = calloc(n, sizeof(*aw->slots));
	aw->free_slots = calloc(n, sizeof(*aw->free_slots));
	if (aw->slots == NULL || aw->free_slots == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		aw->slots[i].index = i;
		aw->free_slots[i] = n - 1 - i;
	}
	aw->n_slots = aw->n_free = n;
	return 0;
}

struct dpx_auth_worker *auth_worker_create(struct dpx_auth *a,
					   unsigned int index)
{
	const struct dpx_auth_conf *c = &a->conf;
	/* Its own cache lines: workers write their counters all the time. */
	struct dpx_auth_worker *aw = aligned_alloc(RTE_CACHE_LINE_SIZE,
		RTE_ALIGN_CEIL(sizeof(*aw), RTE_CACHE_LINE_SIZE));

	if (aw == NULL)
		return NULL;
	memset(aw, 0, sizeof(*aw));
	aw->auth = a;
	/* Twice the slots: a ring of 2^k holds 2^k - 1. */
	aw->requests = ring_new("req", index, 2 * c->queue_size);
	aw->answers = ring_new("ans", index, 2 * c->queue_size);
	aw->cache = calloc(c->cache_entries, sizeof(*aw->cache));
	aw->cache_set_mask = c->cache_entries / CACHE_WAYS - 1;
	if (c->max_failures_per_min > 0)
		aw->limiter = dpx_auth_limiter_create(c->clients_tracked,
						      c->max_failures_per_min);
	if (aw->requests == NULL || aw->answers == NULL || aw->cache == NULL ||
	    (c->max_failures_per_min > 0 && aw->limiter == NULL) ||
	    alloc_slots(aw, c->queue_size) != 0) {
		auth_worker_free(aw);
		return NULL;
	}
	return aw;
}

void auth_worker_free(struct dpx_auth_worker *aw)
{
	if (aw == NULL)
		return;
	free(aw->requests);
	free(aw->answers);
	if (aw->slots != NULL)
		OPENSSL_cleanse(aw->slots, aw->n_slots * sizeof(*aw->slots));
	free(aw->slots);
	free(aw->free_slots);
	free(aw->cache);
	dpx_auth_limiter_free(aw->limiter);
	free(aw);
}

/* Keyed hash of "user\0password": the cache never holds a password, and
 * without the process's key nobody can aim at an entry. */
static void cred_mac(const struct dpx_auth_worker *aw,
		     const struct dpx_auth_cred *cred, uint8_t *mac)
{
	size_t n = (size_t)cred->user_len + 1 + cred->pass_len;

	auth_siphash128(aw->auth->mac_key, cred->text, n, mac);
}

static struct cache_entry *cache_set(struct dpx_auth_worker *aw,
				     const uint8_t *mac)
{
	uint32_t h;

	memcpy(&h, mac, sizeof(h));
	return &aw->cache[(size_t)(h & aw->cache_set_mask) * CACHE_WAYS];
}

/* An entry counts only under the table it was verified against. */
static const struct cache_entry *cache_find(struct dpx_auth_worker *aw,
					    const uint8_t *mac,
					    uint64_t generation,
					    uint64_t now_ms)
{
	const struct cache_entry *set = cache_set(aw, mac);

	for (unsigned int i = 0; i < CACHE_WAYS; i++)
		if (set[i].generation == generation &&
		    set[i].expires_ms > now_ms &&
		    memcmp(set[i].mac, mac, AUTH_MAC_LEN) == 0)
			return &set[i];
	return NULL;
}

static bool entry_live(const struct cache_entry *e, uint64_t generation,
		       uint64_t now_ms)
{
	return e->generation == generation && e->expires_ms > now_ms;
}

/* The same key, else a dead way, else the way expiring first. */
static struct cache_entry *cache_way(struct dpx_auth_worker *aw,
				     const uint8_t *mac, uint64_t generation,
				     uint64_t now_ms)
{
	struct cache_entry *set = cache_set(aw, mac), *v = NULL;

	for (unsigned int i = 0; i < CACHE_WAYS; i++) {
		if (memcmp(set[i].mac, mac, AUTH_MAC_LEN) == 0 ||
		    !entry_live(&set[i], generation, now_ms))
			return &set[i];
		if (v == NULL || set[i].expires_ms < v->expires_ms)
			v = &set[i];
	}
	aw->counters.cache_evictions++;
	return v;
}

static void cache_insert(struct dpx_auth_worker *aw,
			 const struct auth_slot *s, uint64_t now_ms)
{
	struct cache_entry *e;
	uint32_t ttl_s = aw->auth->conf.cache_ttl_s;

	if (ttl_s == 0)
		return;
	e = cache_way(aw, s->mac, s->generation, now_ms);
	memcpy(e->mac, s->mac, AUTH_MAC_LEN);
	e->generation = s->generation;
	e->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	e->user_index = s->user_index;
	e->rule = s->rule;
}

static uint64_t current_generation(const struct dpx_auth_worker *aw)
{
	return atomic_load_explicit(&aw->auth->generation,
				    memory_order_acquire);
}

static enum dpx_auth_status refuse(struct dpx_auth_worker *aw,
				   enum dpx_auth_parse why, uint32_t client,
				   uint64_t now_ms,
				   struct dpx_auth_result *res)
{
	aw->counters.malformed[why]++;
	dpx_auth_limiter_fail(aw->limiter, client, now_ms);
	res->malformed = why;
	return res->status = DPX_AUTH_MALFORMED;
}

static enum dpx_auth_status submit(struct dpx_auth_worker *aw,
				   const struct dpx_auth_cred *cred,
				   const uint8_t *mac, uint32_t client,
				   uint64_t cookie)
{
	struct auth_slot *s;
	size_t n = (size_t)cred->user_len + cred->pass_len + 2;

	if (aw->n_free == 0) {
		aw->counters.queue_full++;
		return DPX_AUTH_BUSY;
	}
	s = &aw->slots[aw->free_slots[--aw->n_free]];
	s->cookie = cookie;
	s->client = client;
	memcpy(s->mac, mac, AUTH_MAC_LEN);
	memcpy(s->cred.text, cred->text, n);
	s->cred.user_len = cred->user_len;
	s->cred.pass_len = cred->pass_len;
	/* Cannot fail: the ring holds more than all the slots. */
	rte_ring_enqueue(aw->requests, s);
	return DPX_AUTH_PENDING;
}

static void set_user(struct dpx_auth_result *res,
		     const struct dpx_auth_cred *cred)
{
	memcpy(res->user, cred->text, (size_t)cred->user_len + 1);
}

static enum dpx_auth_status answer_ok(struct dpx_auth_worker *aw,
				      int32_t user_index,
				      const struct dpx_auth_rule *rule,
				      struct dpx_auth_result *res)
{
	aw->counters.ok++;
	res->user_index = user_index;
	res->rule = rule;
	return res->status = DPX_AUTH_OK;
}

/* Parsed credentials: from the cache, or off to the verifier. */
static enum dpx_auth_status check_cred(struct dpx_auth_worker *aw,
				       const struct dpx_auth_cred *cred,
				       uint32_t client, uint64_t now_ms,
				       struct dpx_auth_result *res)
{
	const struct cache_entry *e;
	uint8_t mac[AUTH_MAC_LEN];

	cred_mac(aw, cred, mac);
	e = cache_find(aw, mac, current_generation(aw), now_ms);
	if (e != NULL) {
		aw->counters.cache_hits++;
		return answer_ok(aw, e->user_index, e->rule, res);
	}
	if (dpx_auth_limited(aw->limiter, client, now_ms)) {
		aw->counters.rate_limited++;
		return res->status = DPX_AUTH_RATE_LIMITED;
	}
	res->status = submit(aw, cred, mac, client, res->cookie);
	/* Charged now, given back if the password is right. */
	if (res->status == DPX_AUTH_PENDING)
		dpx_auth_limiter_fail(aw->limiter, client, now_ms);
	return res->status;
}

enum dpx_auth_status dpx_auth_check(struct dpx_auth_worker *aw,
				    const char *v, size_t len,
				    unsigned int n_fields, uint32_t client,
				    uint64_t cookie, uint64_t now_ms,
				    struct dpx_auth_result *res)
{
	struct dpx_auth_cred cred;
	enum dpx_auth_parse why;
	enum dpx_auth_status st;

	*res = (struct dpx_auth_result){ .cookie = cookie, .user_index = -1 };
	if (n_fields == 0) {
		aw->counters.missing++;
		return res->status = DPX_AUTH_MISSING;
	}
	why = n_fields > 1 ? DPX_AUTH_PARSE_DUPLICATE :
			     dpx_auth_parse_basic(v, len, &cred);
	if (why != DPX_AUTH_PARSE_OK)
		return refuse(aw, why, client, now_ms, res);
	set_user(res, &cred);
	st = check_cred(aw, &cred, client, now_ms, res);
	OPENSSL_cleanse(cred.text, (size_t)cred.user_len + cred.pass_len + 2);
	return st;
}

static void release_slot(struct dpx_auth_worker *aw, struct auth_slot *s)
{
	OPENSSL_cleanse(s->cred.text,
			(size_t)s->cred.user_len + s->cred.pass_len + 2);
	aw->free_slots[aw->n_free++] = s->index;
}

/* The verifier's answer, counted and cached; false when it was checked
 * against a table that has been replaced since (sent again instead). */
static bool take_answer(struct dpx_auth_worker *aw, struct auth_slot *s,
			uint64_t now_ms, struct dpx_auth_result *out)
{
	if (s->generation != current_generation(aw)) {
		aw->counters.requeued++;
		rte_ring_enqueue(aw->requests, s);
		return false;
	}
	aw->counters.verifications++;
	*out = (struct dpx_auth_result){ .cookie = s->cookie,
		.status = s->status, .user_index = -1 };
	set_user(out, &s->cred);
	/* The failure charged at submission stands unless it was right. */
	switch (s->status) {
	case DPX_AUTH_OK:
		dpx_auth_limiter_refund(aw->limiter, s->client);
		cache_insert(aw, s, now_ms);
		answer_ok(aw, s->user_index, s->rule, out);
		break;
	case DPX_AUTH_DENIED:
		dpx_auth_limiter_refund(aw->limiter, s->client);
		aw->counters.denied++;
		out->user_index = s->user_index;
		break;
	case DPX_AUTH_UNKNOWN_USER:
		aw->counters.unknown_user++;
		break;
	default:
		aw->counters.bad_password++;
		break;
	}
	release_slot(aw, s);
	return true;
}

unsigned int dpx_auth_poll(struct dpx_auth_worker *aw, uint64_t now_ms,
			   struct dpx_auth_result *out, unsigned int n)
{
	void *got[POLL_BURST];
	unsigned int k, i, done = 0;

	if (n > POLL_BURST)
		n = POLL_BURST;
	k = rte_ring_dequeue_burst(aw->answers, got, n, NULL);
	for (i = 0; i < k; i++)
		done += take_answer(aw, got[i], now_ms, &out[done]);
	return done;
}

unsigned int dpx_auth_in_flight(const struct dpx_auth_worker *aw)
{
	return aw->n_slots - aw->n_free;
}

_Static_assert(sizeof(struct dpx_auth_counters) % sizeof(uint64_t) == 0,
	       "dpx_auth_counters: uint64_t counters only");

void dpx_auth_counters_add(struct dpx_auth_counters *sum,
			   const struct dpx_auth_worker *aw)
{
	const uint64_t *from = (const uint64_t *)&aw->counters;
	uint64_t *to = (uint64_t *)sum;

	for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
		to[i] += from[i];
}

const struct dpx_auth_counters *dpx_auth_worker_counters(
	const struct dpx_auth_worker *aw)
{
	return &aw->counters;
}
