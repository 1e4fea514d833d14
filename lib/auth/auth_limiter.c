/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failed attempts per client address, one table per worker: the generic
 * cell rate algorithm, one timestamp per address. Each failure pushes the
 * address's theoretical arrival time (tat) on by 60 s / max; the address
 * is refused while tat is more than a minute's worth of failures ahead of
 * now, so max failures pass at once and then one per 60 s / max. The
 * table is 4-way set associative and bounded: when a set is full, the
 * address with the least debt is forgotten. The worker charges a failure
 * when it sends a check to the verifier and gives it back when the
 * password was right, so that checks in flight count too: a client
 * cannot get a queue's worth of guesses hashed before the first answer.
 */
#include <stdlib.h>

#include "dpx_auth.h"

#define WAYS 4
#define MINUTE_US 60000000ull

struct limiter_entry {
	uint32_t client;
	uint64_t tat_us;	/* 0: free */
};

struct dpx_auth_limiter {
	uint32_t set_mask;
	uint64_t interval_us;	/* 60 s / max */
	struct limiter_entry *entries;
};

struct dpx_auth_limiter *dpx_auth_limiter_create(uint32_t entries,
						 uint32_t max_per_min)
{
	struct dpx_auth_limiter *l;

	if (entries < WAYS || max_per_min == 0 || (entries & (entries - 1)))
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->entries = calloc(entries, sizeof(*l->entries));
	if (l->entries == NULL) {
		free(l);
		return NULL;
	}
	l->set_mask = entries / WAYS - 1;
	l->interval_us = MINUTE_US / max_per_min;
	return l;
}

void dpx_auth_limiter_free(struct dpx_auth_limiter *l)
{
	if (l == NULL)
		return;
	free(l->entries);
	free(l);
}

static struct limiter_entry *set_of(const struct dpx_auth_limiter *l,
				    uint32_t client)
{
	/* Fibonacci hashing: neighbouring addresses land in far sets. */
	uint32_t h = (uint32_t)(client * 2654435761u);

	return &l->entries[(size_t)(h >> 8 & l->set_mask) * WAYS];
}

static struct limiter_entry *find(const struct dpx_auth_limiter *l,
				  uint32_t client)
{
	struct limiter_entry *set = set_of(l, client);

	for (unsigned int i = 0; i < WAYS; i++)
		if (set[i].tat_us != 0 && set[i].client == client)
			return &set[i];
	return NULL;
}

bool dpx_auth_limited(const struct dpx_auth_limiter *l, uint32_t client,
		      uint64_t now_ms)
{
	const struct limiter_entry *e;

	if (l == NULL || (e = find(l, client)) == NULL)
		return false;
	return e->tat_us + l->interval_us > now_ms * 1000 + MINUTE_US;
}

/* The way with the smallest tat: free ones (0) and paid-off ones first. */
static struct limiter_entry *victim(struct limiter_entry *set)
{
	struct limiter_entry *v = &set[0];

	for (unsigned int i = 1; i < WAYS; i++)
		if (set[i].tat_us < v->tat_us)
			v = &set[i];
	return v;
}

void dpx_auth_limiter_fail(struct dpx_auth_limiter *l, uint32_t client,
			   uint64_t now_ms)
{
	struct limiter_entry *e;
	uint64_t now_us = now_ms * 1000;

	if (l == NULL)
		return;
	e = find(l, client);
	if (e == NULL) {
		e = victim(set_of(l, client));
		e->client = client;
		e->tat_us = 0;
	}
	e->tat_us = (e->tat_us > now_us ? e->tat_us : now_us) +
		    l->interval_us;
}

void dpx_auth_limiter_refund(struct dpx_auth_limiter *l, uint32_t client)
{
	struct limiter_entry *e;

	if (l == NULL || (e = find(l, client)) == NULL)
		return;
	/* Never 0: that marks a free way. */
	e->tat_us = e->tat_us > l->interval_us ? e->tat_us - l->interval_us :
						 1;
}
