/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The top-level "resolver" section (docs/config.md#resolver): servers,
 * timeouts, cache bounds and static hosts. Parsed through the
 * application's config hook, like "cache".
 */
#include <stdlib.h>
#include <string.h>

#include "dpx_config_kit.h"
#include "dpx_dns.h"

#define MAX_HOSTS 1024

static const char *const resolver_keys[] = {
	"servers", "port", "timeout_ms", "retries", "cache_entries",
	"min_ttl_s", "max_ttl_s", "negative_ttl_s", "max_pending", "edns",
	"hosts", NULL
};

void dpx_dns_conf_defaults(struct dpx_dns_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->port = 53;
	conf->timeout_ms = 1000;
	conf->retries = 2;
	conf->cache_entries = 4096;
	conf->max_ttl_s = 3600;
	conf->negative_ttl_s = 30;
	conf->max_pending = 1024;
	conf->edns = true;
}

static int want_address(struct cfg_ctx *c, const json_t *v, uint32_t *out)
{
	const char *s;

	if (cfg_want_string(c, v, 15, false, &s) != 0)
		return -1;
	if (dpx_parse_ipv4(s, out) != 0)
		return cfg_fail(c, false, "\"%s\" is not an IPv4 address", s);
	return 0;
}

static int parse_servers(struct cfg_ctx *c, json_t *v,
			 struct dpx_dns_conf *conf)
{
	json_t *a = json_object_get(v, "servers");
	size_t i;

	if (a == NULL)
		return 0;
	cfg_push_key(c, "servers");
	if (!json_is_array(a))
		return cfg_type_error(c, a, "an array of IPv4 addresses");
	if (json_array_size(a) > DPX_DNS_MAX_SERVERS)
		return cfg_fail(c, false, "at most %d servers",
				DPX_DNS_MAX_SERVERS);
	for (i = 0; i < json_array_size(a); i++) {
		cfg_push_index(c, i);
		if (want_address(c, json_array_get(a, i),
				 &conf->servers[i]) != 0)
			return -1;
		cfg_pop(c);
	}
	conf->n_servers = (unsigned int)i;
	cfg_pop(c);
	return 0;
}

/* One address, or an array of 1..DPX_DNS_MAX_ADDRS. */
static int parse_host_addrs(struct cfg_ctx *c, json_t *v,
			    struct dpx_dns_host *h)
{
	size_t i;

	if (json_is_string(v)) {
		h->n_addrs = 1;
		return want_address(c, v, &h->addrs[0]);
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cfg_type_error(c, v, "an IPv4 address or a non-empty "
				      "array of them");
	if (json_array_size(v) > DPX_DNS_MAX_ADDRS)
		return cfg_fail(c, false, "at most %d addresses",
				DPX_DNS_MAX_ADDRS);
	for (i = 0; i < json_array_size(v); i++) {
		cfg_push_index(c, i);
		if (want_address(c, json_array_get(v, i), &h->addrs[i]) != 0)
			return -1;
		cfg_pop(c);
	}
	h->n_addrs = (uint8_t)i;
	return 0;
}

static bool host_seen(const struct dpx_dns_conf *conf, const char *name)
{
	for (unsigned int i = 0; i < conf->n_hosts; i++)
		if (strcmp(conf->hosts[i].name, name) == 0)
			return true;
	return false;
}

static int parse_host(struct cfg_ctx *c, const char *name, json_t *v,
		      struct dpx_dns_conf *conf)
{
	struct dpx_dns_host *h = &conf->hosts[conf->n_hosts];
	enum dpx_dns_name_check check;

	cfg_push_key(c, name);
	check = dpx_dns_name_check(name, strlen(name), h->name, NULL);
	if (check != DPX_DNS_NAME_OK)
		return cfg_fail(c, true, "not a host name: %s",
				dpx_dns_name_reason(check));
	if (host_seen(conf, h->name))
		return cfg_fail(c, true, "\"%s\" is already listed (names "
				"are case-insensitive)", h->name);
	if (parse_host_addrs(c, v, h) != 0)
		return -1;
	conf->n_hosts++;
	cfg_pop(c);
	return 0;
}

static int parse_hosts(struct cfg_ctx *c, json_t *v, struct dpx_dns_conf *conf)
{
	json_t *o = json_object_get(v, "hosts"), *addr;
	const char *name;

	if (o == NULL)
		return 0;
	cfg_push_key(c, "hosts");
	if (!json_is_object(o))
		return cfg_type_error(c, o, "an object of name: address");
	if (json_object_size(o) > MAX_HOSTS)
		return cfg_fail(c, false, "at most %d hosts", MAX_HOSTS);
	conf->hosts = calloc(json_object_size(o) + 1, sizeof(*conf->hosts));
	if (conf->hosts == NULL)
		return cfg_fail(c, false, "out of memory");
	json_object_foreach(o, name, addr)
		if (parse_host(c, name, addr, conf) != 0)
			return -1;
	cfg_pop(c);
	return 0;
}

static int check_ttls(struct cfg_ctx *c, const struct dpx_dns_conf *conf)
{
	if (conf->min_ttl_s <= conf->max_ttl_s)
		return 0;
	cfg_push_key(c, "min_ttl_s");
	return cfg_fail(c, false, "%u is more than max_ttl_s (%u)",
			conf->min_ttl_s, conf->max_ttl_s);
}

int dpx_dns_conf_parse(struct cfg_ctx *c, json_t *v, void **out)
{
	struct dpx_dns_conf *conf = malloc(sizeof(*conf));

	if (conf == NULL)
		return cfg_fail(c, false, "out of memory");
	dpx_dns_conf_defaults(conf);
	if (cfg_check_object(c, v, "an object", resolver_keys) != 0 ||
	    parse_servers(c, v, conf) != 0 ||
	    cfg_opt_u16(c, v, "port", 1, 65535, false, &conf->port) != 0 ||
	    cfg_opt_u32(c, v, "timeout_ms", 10, 60000, false,
			&conf->timeout_ms) != 0 ||
	    cfg_opt_u32(c, v, "retries", 0, 10, false, &conf->retries) != 0 ||
	    cfg_opt_u32(c, v, "cache_entries", 0, 1048576, false,
			&conf->cache_entries) != 0 ||
	    cfg_opt_u32(c, v, "min_ttl_s", 0, 86400, false,
			&conf->min_ttl_s) != 0 ||
	    cfg_opt_u32(c, v, "max_ttl_s", 0, 604800, false,
			&conf->max_ttl_s) != 0 ||
	    cfg_opt_u32(c, v, "negative_ttl_s", 0, 86400, false,
			&conf->negative_ttl_s) != 0 ||
	    cfg_opt_u32(c, v, "max_pending", 1, 65536, false,
			&conf->max_pending) != 0 ||
	    cfg_opt_bool(c, v, "edns", &conf->edns) != 0 ||
	    check_ttls(c, conf) != 0 ||
	    parse_hosts(c, v, conf) != 0) {
		dpx_dns_conf_free(conf);
		return -1;
	}
	*out = conf;
	return 0;
}

void dpx_dns_conf_free(void *p)
{
	struct dpx_dns_conf *conf = p;

	if (conf == NULL)
		return;
	free(conf->hosts);
	free(conf);
}
