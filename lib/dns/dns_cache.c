/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The resolver's cache: fixed size, O(1) lookup through a chained hash of
 * entry indices, CLOCK eviction (a hit only sets a bit, the hand clears
 * bits until it finds an entry not hit since its last pass). Expired
 * entries are dropped when looked up or when the hand meets them. Static
 * hosts are pinned entries the hand skips.
 */
#include <stdlib.h>
#include <string.h>

#include "dns_priv.h"

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int dns_cache_init(struct dns_cache *c, uint32_t entries, uint32_t pinned,
		   uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->n_entries = entries + pinned;
	c->mask = pow2_at_least(c->n_entries) - 1;
	c->entries = calloc(c->n_entries, sizeof(*c->entries));
	c->buckets = malloc(((size_t)c->mask + 1) * sizeof(*c->buckets));
	if (c->entries == NULL || c->buckets == NULL) {
		dns_cache_fini(c);
		return -1;
	}
	memset(c->buckets, 0xff, ((size_t)c->mask + 1) * sizeof(*c->buckets));
	for (uint32_t i = 0; i < c->n_entries; i++)
		c->entries[i].next = i + 1 < c->n_entries ? i + 1 : DNS_NIL;
	c->free_head = 0;
	c->seed = seed;
	return 0;
}

void dns_cache_fini(struct dns_cache *c)
{
	free(c->entries);
	free(c->buckets);
	c->entries = NULL;
	c->buckets = NULL;
}

/* FNV-1a from a secret start, then a final mix (splitmix64's). */
uint32_t dns_cache_hash(const struct dns_cache *c, const char *name)
{
	uint64_t h = c->seed ^ 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	return (uint32_t)(h ^ (h >> 31));
}

static uint32_t *chain_of(struct dns_cache *c, uint32_t hash)
{
	return &c->buckets[hash & c->mask];
}

static void unlink_entry(struct dns_cache *c, uint32_t idx)
{
	struct dns_entry *e = &c->entries[idx];
	uint32_t *link = chain_of(c, e->hash);

	while (*link != idx)
		link = &c->entries[*link].next;
	*link = e->next;
	e->used = false;
	e->next = c->free_head;
	c->free_head = idx;
}

static bool expired(const struct dns_entry *e, uint64_t now_ms)
{
	return e->expires_ms != DNS_PINNED && now_ms >= e->expires_ms;
}

struct dns_entry *dns_cache_find(struct dns_cache *c, const char *name,
				 uint32_t hash, uint64_t now_ms)
{
	for (uint32_t i = *chain_of(c, hash); i != DNS_NIL;
	     i = c->entries[i].next) {
		struct dns_entry *e = &c->entries[i];

		if (e->hash != hash || strcmp(e->name, name) != 0)
			continue;
		if (expired(e, now_ms)) {
			unlink_entry(c, i);
			return NULL;
		}
		if (!e->referenced)     /* keep a hot entry's line clean */
			e->referenced = true;
		return e;
	}
	return NULL;
}

/* Frees one entry: the first expired or unreferenced one the hand finds;
 * two turns at most, as the first clears every bit it passes. */
static bool clock_evict(struct dns_cache *c, uint64_t now_ms)
{
	for (uint64_t step = 0; step < 2ull * c->n_entries; step++) {
		uint32_t idx = c->hand;
		struct dns_entry *e = &c->entries[idx];

		c->hand = idx + 1 < c->n_entries ? idx + 1 : 0;
		if (!e->used || e->expires_ms == DNS_PINNED)
			continue;
		if (e->referenced && !expired(e, now_ms)) {
			e->referenced = false;
			continue;
		}
		unlink_entry(c, idx);
		return !expired(e, now_ms);
	}
	return false;
}

struct dns_entry *dns_cache_put(struct dns_cache *c, const char *name,
				uint32_t hash, uint64_t now_ms, bool *evicted)
{
	struct dns_entry *e = dns_cache_find(c, name, hash, now_ms);
	uint32_t idx;

	*evicted = false;
	if (e != NULL)
		return e;
	if (c->free_head == DNS_NIL)
		*evicted = clock_evict(c, now_ms);
	idx = c->free_head;
	if (idx == DNS_NIL)
		return NULL;    /* all pinned: cannot happen with entries >= 1 */
	e = &c->entries[idx];
	c->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->hash = hash;
	strcpy(e->name, name);
	e->next = *chain_of(c, hash);
	*chain_of(c, hash) = idx;
	return e;
}
