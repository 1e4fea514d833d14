/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/dns internals shared by its files: the per-worker cache (a chained
 * hash over a fixed array of entries, CLOCK eviction) that the resolver
 * keeps its answers and static hosts in.
 */
#ifndef DPX_DNS_PRIV_H
#define DPX_DNS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "dpx_dns.h"

#define DNS_NIL UINT32_MAX
#define DNS_PINNED UINT64_MAX   /* expires_ms of a static host */

struct dns_entry {
	uint32_t next;          /* hash chain, or free list */
	uint32_t hash;
	uint64_t expires_ms;
	uint8_t status;         /* OK, NXDOMAIN or NODATA */
	uint8_t n_addrs;
	bool used;
	bool referenced;        /* CLOCK: hit since the hand last passed */
	uint32_t addrs[DPX_DNS_MAX_ADDRS];
	char name[DPX_DNS_NAME_MAX + 1];
};

struct dns_cache {
	struct dns_entry *entries;
	uint32_t n_entries;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t hand;
	uint32_t free_head;
	uint64_t seed;          /* keyed hash: clients choose the names */
};

/* Room for entries answers plus pinned static hosts. */
int dns_cache_init(struct dns_cache *c, uint32_t entries, uint32_t pinned,
		   uint64_t seed);
void dns_cache_fini(struct dns_cache *c);
uint32_t dns_cache_hash(const struct dns_cache *c, const char *name);
/* The live entry for name; an expired one is dropped and not returned. */
struct dns_entry *dns_cache_find(struct dns_cache *c, const char *name,
				 uint32_t hash, uint64_t now_ms);
/*
 * The entry to (re)write for name: its own, a free one or the CLOCK
 * victim's (*evicted set when a live entry was pushed out). Its name and
 * hash are set and it is linked; the caller fills the rest.
 */
struct dns_entry *dns_cache_put(struct dns_cache *c, const char *name,
				uint32_t hash, uint64_t now_ms, bool *evicted);

#endif /* DPX_DNS_PRIV_H */
