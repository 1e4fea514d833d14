/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The top-level "cache" section (docs/config.md#cache): the store's size
 * and policy, the RFC 9111 knobs the rules take, and who may purge.
 * Parsed through the application's config hook, like listeners' "tls".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_cache.h"
#include "dpx_config_kit.h"

static const char *const cache_keys[] = {
	"size_mb", "max_object_kb", "policy", "heuristics", "grace_s",
	"ignore_request_cache_control", "x_cache", "purge_allow", NULL
};
static const char *const policies[] = { "sieve", "s3fifo", "lru", NULL };

/* "a.b.c.d/len" (or a bare address: /32) into network and mask. */
static int parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
	uint32_t addr;
	uint8_t len;

	if (dpx_parse_ipv4_net(s, &addr, &len) != 0)
		return -1;
	*mask = len == 0 ? 0 : htonl(~0u << (32 - len));
	*net = htonl(addr) & *mask;
	return 0;
}

static int parse_purge_allow(struct cfg_ctx *c, json_t *v,
			     struct dpx_cache_section *cs)
{
	json_t *a = json_object_get(v, "purge_allow");
	size_t i;

	if (a == NULL)
		return 0;
	cfg_push_key(c, "purge_allow");
	if (!json_is_array(a))
		return cfg_type_error(c, a, "an array of \"a.b.c.d/len\"");
	if (json_array_size(a) > DPX_CACHE_MAX_PURGE_NETS)
		return cfg_fail(c, false, "at most %d networks",
				DPX_CACHE_MAX_PURGE_NETS);
	for (i = 0; i < json_array_size(a); i++) {
		const char *s;

		cfg_push_index(c, i);
		if (cfg_want_string(c, json_array_get(a, i), 31, false, &s) != 0)
			return -1;
		if (parse_net(s, &cs->purge_net[i], &cs->purge_mask[i]) != 0)
			return cfg_fail(c, false, "\"%s\" is not an IPv4 "
					"network (a.b.c.d/len)", s);
		cfg_pop(c);
	}
	cs->n_purge = (unsigned int)i;
	cfg_pop(c);
	return 0;
}

int dpx_cache_section_parse(struct cfg_ctx *c, json_t *v, void **out)
{
	struct dpx_cache_section *cs = calloc(1, sizeof(*cs));
	uint32_t size_mb = 64, object_kb = 1024;
	int policy = 0;

	if (cs == NULL)
		return cfg_fail(c, false, "out of memory");
	cs->x_cache = true;
	if (cfg_check_object(c, v, "an object", cache_keys) != 0 ||
	    cfg_opt_u32(c, v, "size_mb", 1, 65536, false, &size_mb) != 0 ||
	    cfg_opt_u32(c, v, "max_object_kb", 1, 1048576, false,
			&object_kb) != 0 ||
	    cfg_opt_choice(c, v, "policy", policies, &policy) != 0 ||
	    cfg_opt_bool(c, v, "heuristics", &cs->heuristics) != 0 ||
	    cfg_opt_u32(c, v, "grace_s", 0, 86400 * 30, false,
			&cs->grace_s) != 0 ||
	    cfg_opt_bool(c, v, "ignore_request_cache_control",
			 &cs->ignore_request_cc) != 0 ||
	    cfg_opt_bool(c, v, "x_cache", &cs->x_cache) != 0 ||
	    parse_purge_allow(c, v, cs) != 0) {
		free(cs);
		return -1;
	}
	if ((uint64_t)object_kb * 1024 > (uint64_t)size_mb << 20) {
		cfg_push_key(c, "max_object_kb");
		free(cs);
		return cfg_fail(c, false, "%u KB is more than size_mb (%u MB)",
				object_kb, size_mb);
	}
	cs->size_bytes = (uint64_t)size_mb << 20;
	cs->max_object_bytes = (uint64_t)object_kb * 1024;
	cs->policy = (enum dpx_cache_policy)policy;
	*out = cs;
	return 0;
}

void dpx_cache_section_free(void *cs)
{
	free(cs);
}

/* A year: beyond it, RFC 9111's "a year is plenty" (5.3) applies. */
#define ROUTE_TTL_MAX (365u * 86400)

static const char *const route_keys[] = {
	"enabled", "ttl_s", "force_ttl", NULL
};

int dpx_cache_route_parse(struct cfg_ctx *c, json_t *v, bool *enabled,
			  void **out)
{
	struct dpx_cache_route *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return cfg_fail(c, false, "out of memory");
	r->enabled = true;
	if (cfg_check_object(c, v, "an object", route_keys) != 0 ||
	    cfg_opt_bool(c, v, "enabled", &r->enabled) != 0 ||
	    cfg_opt_u32(c, v, "ttl_s", 1, ROUTE_TTL_MAX, false,
			&r->ttl_s) != 0 ||
	    cfg_opt_bool(c, v, "force_ttl", &r->force_ttl) != 0) {
		free(r);
		return -1;
	}
	if (r->force_ttl && r->ttl_s == 0) {
		free(r);
		cfg_push_key(c, "force_ttl");
		return cfg_fail(c, false, "needs \"ttl_s\" (the TTL to "
				"force)");
	}
	*enabled = r->enabled;
	*out = r;
	return 0;
}

void dpx_cache_route_free(void *r)
{
	free(r);
}

bool dpx_cache_purge_allowed(const struct dpx_cache_section *cs,
			     uint32_t addr)
{
	for (unsigned int i = 0; i < cs->n_purge; i++)
		if ((addr & cs->purge_mask[i]) == cs->purge_net[i])
			return true;
	return false;
}
