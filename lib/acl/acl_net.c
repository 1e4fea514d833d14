/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 network sets for "src" and "dst": sorted networks grouped by
 * prefix length. rte_lpm would need EAL memory (so no --check-config and
 * no plain unit tests) and gives a next hop we do not need; lists of a
 * few thousand networks have few distinct lengths, so a binary search
 * per length present is as good here.
 */
#include <stdlib.h>
#include <string.h>

#include "acl_priv.h"
#include "dpx_core.h"

static uint32_t mask_of(uint8_t len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

int acl_parse_net(const char *s, uint32_t *net, uint8_t *len)
{
	if (dpx_parse_ipv4_net(s, net, len) != 0)
		return -1;
	return (*net & ~mask_of(*len)) == 0 ? 0 : -1;
}

struct net_item {
	uint32_t net;
	uint8_t len;
};

static int by_len_then_net(const void *a, const void *b)
{
	const struct net_item *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->net < y->net ? -1 : x->net > y->net;
}

int acl_net_set_build(struct acl_net_set *set, const uint32_t *nets,
		      const uint8_t *lens, size_t n, struct acl_arena *a)
{
	struct net_item *it = malloc((n ? n : 1) * sizeof(*it));
	size_t i;

	set->nets = acl_arena_alloc(a, (n ? n : 1) * sizeof(uint32_t));
	if (it == NULL || set->nets == NULL) {
		free(it);
		return -1;
	}
	for (i = 0; i < n; i++)
		it[i] = (struct net_item){ nets[i], lens[i] };
	qsort(it, n, sizeof(*it), by_len_then_net);
	set->n_groups = 0;
	for (i = 0; i < n; i++) {
		struct acl_net_group *g;

		set->nets[i] = it[i].net;
		if (i == 0 || it[i].len != it[i - 1].len) {
			g = &set->groups[set->n_groups++];
			*g = (struct acl_net_group){ it[i].len, (uint32_t)i, 0 };
		} else {
			g = &set->groups[set->n_groups - 1];
		}
		g->count++;
	}
	free(it);
	return 0;
}

static bool search(const uint32_t *v, uint32_t n, uint32_t key)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid] == key)
			return true;
		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool acl_net_set_match(const struct acl_net_set *set, uint32_t addr)
{
	for (uint32_t g = 0; g < set->n_groups; g++) {
		const struct acl_net_group *gr = &set->groups[g];

		if (search(set->nets + gr->first, gr->count,
			   addr & mask_of(gr->len)))
			return true;
	}
	return false;
}
