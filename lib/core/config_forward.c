/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keys of "mode": "forward" listeners (HTTP forward proxy): the static
 * "hosts" map that resolves names until lib/dns does, the ports CONNECT
 * may reach, the anonymity level and header changes, the tunnel idle
 * timeout, the egress addresses and the policy that picks among them,
 * and the authenticator ("auth") that guards it.
 * Each forward listener also gets a pool of its own, with no
 * fixed server, in which its connections to origins are counted and kept
 * alive (/dpx/pool_stats shows it as "forward-NAME").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

#define FWD_MAX_HOSTS 4096
#define FWD_NAME_MAX 253

static const char *const anonymity_names[] = {
	"transparent", "anonymous", "elite", NULL
};
/* Indexed by enum dpx_egress_policy. */
static const char *const egress_policy_names[] = {
	"round_robin", "random", "sticky_client", "sticky_destination",
	"per_user", NULL
};
static const char *const egress_keys[] = { "addresses", "policy", NULL };

/* A host name as dpx_http_target_split() accepts one: letters, digits,
 * '-' and '.', labels of 1..63 bytes; stored in lower case. */
static int want_host_name(struct cfg_ctx *c, const char *s, char *out)
{
	size_t n = strlen(s), label = 0;
	char q[QUOTE_LEN];

	cfg_quote(q, sizeof(q), s);
	if (n == 0 || n > FWD_NAME_MAX)
		return cfg_fail(c, true, "%s is not a host name (1 to %d "
				"bytes)", q, FWD_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') ||
			     (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');

		if (ch == '.' && label > 0 && s[i - 1] != '-' && i + 1 < n) {
			label = 0;
		} else if (alnum || (ch == '-' && label > 0)) {
			if (++label > 63)
				return cfg_fail(c, true, "%s has a label over "
						"63 bytes", q);
		} else {
			return cfg_fail(c, true, "%s is not a host name "
					"(letters, digits, '-' and '.')", q);
		}
		out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	if (s[n - 1] == '-')
		return cfg_fail(c, true, "%s is not a host name", q);
	out[n] = '\0';
	return 0;
}

/* "hosts": {"name": "198.18.x.y", ...} */
static int parse_hosts(struct cfg_ctx *c, json_t *l,
		       struct dpx_forward_conf **fc)
{
	json_t *v = json_object_get(l, "hosts"), *a;
	struct dpx_forward_conf *f;
	const char *name;
	size_t n;

	n = v != NULL ? json_object_size(v) : 0;
	if (v != NULL) {
		cfg_push_key(c, "hosts");
		if (!json_is_object(v))
			return cfg_type_error(c, v, "an object of \"name\": "
					      "\"IPv4 address\" pairs");
		if (n > FWD_MAX_HOSTS)
			return cfg_fail(c, false, "at most %d names, got %zu",
					FWD_MAX_HOSTS, n);
	}
	f = calloc(1, sizeof(*f) + n * sizeof(f->hosts[0]));
	if (f == NULL)
		return cfg_fail(c, false, "out of memory");
	*fc = f;
	if (v == NULL)
		return 0;
	json_object_foreach(v, name, a) {
		struct dpx_forward_host *h = &f->hosts[f->n_hosts];
		const char *s;

		cfg_push_key(c, name);
		if (want_host_name(c, name, h->name) != 0 ||
		    cfg_want_string(c, a, 15, false, &s) != 0)
			return -1;
		if (dpx_parse_ipv4(s, &h->addr) != 0)
			return cfg_fail(c, false, "\"%s\" is not an IPv4 "
					"address", s);
		for (unsigned int i = 0; i < f->n_hosts; i++)
			if (strcmp(f->hosts[i].name, h->name) == 0)
				return cfg_fail(c, true, "\"%s\" is listed "
						"twice (names ignore case)",
						h->name);
		f->n_hosts++;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

static int parse_connect_ports(struct cfg_ctx *c, json_t *l,
			       struct dpx_forward_conf *f)
{
	json_t *v = json_object_get(l, "connect_ports"), *e;
	size_t i;

	if (v == NULL) {
		f->connect_ports[0] = 443;
		f->n_connect_ports = 1;
		return 0;
	}
	cfg_push_key(c, "connect_ports");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of ports");
	if (json_array_size(v) > DPX_FWD_MAX_PORTS)
		return cfg_fail(c, false, "at most %d ports, got %zu",
				DPX_FWD_MAX_PORTS, json_array_size(v));
	json_array_foreach(v, i, e) {
		long long port;

		cfg_push_index(c, i);
		if (cfg_want_int(c, e, 1, 65535, &port) != 0)
			return -1;
		f->connect_ports[f->n_connect_ports++] = (uint16_t)port;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

static int parse_strip_headers(struct cfg_ctx *c, json_t *l,
			       struct dpx_forward_conf *f)
{
	json_t *v = json_object_get(l, "strip_headers"), *e;
	size_t i;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "strip_headers");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of header names");
	if (json_array_size(v) > DPX_FWD_MAX_STRIP)
		return cfg_fail(c, false, "at most %d names, got %zu",
				DPX_FWD_MAX_STRIP, json_array_size(v));
	json_array_foreach(v, i, e) {
		const char *s;

		cfg_push_index(c, i);
		if (cfg_want_string(c, e, DPX_NAME_LEN - 1, false, &s) != 0 ||
		    cfg_check_header_name(c, s) != 0)
			return -1;
		snprintf(f->strip_headers[f->n_strip_headers++],
			 DPX_NAME_LEN, "%s", s);
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* "acl": the name of an entry of the top-level "acls" (parsed before
 * the listeners). */
static int parse_acl(struct cfg_ctx *c, json_t *l, const struct dpx_config *cfg,
		     struct dpx_forward_conf *f)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(l, "acl");
	const char *name;
	char q[QUOTE_LEN];

	f->acl = -1;
	if (v == NULL)
		return 0;
	cfg_push_key(c, "acl");
	if (cfg_want_string(c, v, 63, false, &name) != 0)
		return -1;
	cfg_quote(q, sizeof(q), name);
	if (cfg->acls == NULL || ext == NULL || ext->acl_find == NULL)
		return cfg_fail(c, true, "%s: there is no \"acls\" section "
				"to name an ACL of", q);
	f->acl = ext->acl_find(cfg->acls, name);
	if (f->acl < 0)
		return cfg_fail(c, true, "%s is not an ACL of \"acls\"", q);
	cfg_pop(c);
	return 0;
}

/* The port that has address a, or -1. */
static int port_of_address(const struct dpx_config *cfg, uint32_t a)
{
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		for (unsigned int j = 0; j < cfg->ports[i].n_addrs; j++)
			if (cfg->ports[i].addrs[j].addr == a)
				return (int)i;
	return -1;
}

/* One of "egress"."addresses": a port's own, all on the same port (the
 * one that routes to the origins), none twice. */
static int parse_egress_address(struct cfg_ctx *c, const struct dpx_config *cfg,
				json_t *e, struct dpx_egress_conf *eg)
{
	uint32_t a;
	const char *s;
	int port;

	if (cfg_want_string(c, e, 15, false, &s) != 0)
		return -1;
	if (dpx_parse_ipv4(s, &a) != 0)
		return cfg_fail(c, false, "\"%s\" is not an IPv4 address", s);
	port = port_of_address(cfg, a);
	if (port < 0)
		return cfg_fail(c, false, "%s is not an address of any port "
				"(ports[].addresses)", s);
	if (eg->n_addrs > 0 && (unsigned int)port != eg->port)
		return cfg_fail(c, false, "%s is on ports[%d], the addresses "
				"before it on ports[%u]: egress addresses must "
				"all be on the port that routes to the origins",
				s, port, eg->port);
	for (unsigned int i = 0; i < eg->n_addrs; i++)
		if (eg->addrs[i] == a)
			return cfg_fail(c, false, "%s is listed twice", s);
	eg->port = (unsigned int)port;
	eg->addrs[eg->n_addrs++] = a;
	return 0;
}

/* "egress": {"addresses": [...], "policy": "round_robin"} */
static int parse_egress(struct cfg_ctx *c, json_t *l,
			const struct dpx_config *cfg, struct dpx_forward_conf *f)
{
	json_t *v = json_object_get(l, "egress"), *a, *e;
	int policy = DPX_EGRESS_ROUND_ROBIN;
	size_t i;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "egress");
	if (cfg_check_object(c, v, "an object", egress_keys) != 0 ||
	    cfg_opt_choice(c, v, "policy", egress_policy_names, &policy) != 0)
		return -1;
	a = cfg_required(c, v, "addresses");
	if (a == NULL)
		return -1;
	cfg_push_key(c, "addresses");
	if (!json_is_array(a))
		return cfg_type_error(c, a, "an array of IPv4 addresses");
	if (json_array_size(a) < 1 || json_array_size(a) > DPX_EGRESS_MAX)
		return cfg_fail(c, false, "1 to %d addresses, got %zu",
				DPX_EGRESS_MAX, json_array_size(a));
	json_array_foreach(a, i, e) {
		cfg_push_index(c, i);
		if (parse_egress_address(c, cfg, e, &f->egress) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg_pop(c);
	cfg_pop(c);
	f->egress.policy = (enum dpx_egress_policy)policy;
	return 0;
}

/* "auth": "NAME", an authenticator of the top-level "auth" section
 * (parsed before the listeners). */
static int parse_auth_name(struct cfg_ctx *c, json_t *l,
			   const struct dpx_config *cfg,
			   struct dpx_forward_conf *f)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(l, "auth");
	const char *name;

	f->auth = -1;
	if (v == NULL)
		return 0;
	cfg_push_key(c, "auth");
	if (cfg_want_string(c, v, 31, false, &name) != 0)
		return -1;
	if (cfg->auth == NULL || ext == NULL || ext->auth_index == NULL)
		return cfg_fail(c, false, "\"%s\" needs the top-level \"auth\" "
				"section, which has its users file", name);
	f->auth = ext->auth_index(cfg->auth, name);
	if (f->auth < 0)
		return cfg_fail(c, false, "no authenticator \"%s\" in the "
				"top-level \"auth\" section", name);
	cfg_pop(c);
	return 0;
}

/* The pool the listener's origin connections count in: one "server"
 * standing for every destination, no health checks, no passive ejection,
 * no retry on another server (there is none). */
static int add_forward_pool(struct cfg_ctx *c, struct dpx_config *cfg,
			    const struct dpx_listener_conf *ls,
			    struct dpx_forward_conf *f)
{
	struct dpx_pool_conf *p;

	if (cfg->n_pools >= DPX_MAX_POOLS)
		return cfg_fail(c, false, "a forward listener needs a pool of "
				"its own, and there are %d pools already",
				DPX_MAX_POOLS);
	char name[DPX_NAME_LEN];

	snprintf(name, sizeof(name), "forward-%.50s", ls->name);
	p = &cfg->pools[cfg->n_pools];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, sizeof(p->name));
	for (unsigned int i = 0; i < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, p->name) == 0)
			return cfg_fail(c, false, "the pool of this forward "
					"listener would be called \"%s\", the "
					"name of pools[%u]", p->name, i);
	snprintf(p->servers[0].name, sizeof(p->servers[0].name), "origins");
	p->servers[0].weight = 1;
	p->n_servers = 1;
	p->balance = DPX_LB_ROUNDROBIN;
	p->health.type = DPX_HEALTH_NONE;
	p->retries = 1;     /* a kept-alive connection found closed */
	p->keepalive_max_idle = 64;
	p->keepalive_idle_ms = 15000;
	p->connect_timeout_ms = 5000;
	p->response_timeout_ms = 30000;
	p->queue_timeout_ms = 2000;
	f->pool = cfg->n_pools++;
	return 0;
}

int cfg_parse_listener_forward(struct cfg_ctx *c, json_t *l,
			       struct dpx_config *cfg, size_t idx)
{
	struct dpx_listener_conf *ls = &cfg->listeners[idx];
	struct dpx_forward_conf *f = NULL;
	int anon = DPX_ANON_ANONYMOUS;

	if (parse_hosts(c, l, &ls->forward) != 0)
		return -1;
	f = ls->forward;
	f->tunnel_idle_timeout_ms = 300000;
	if (parse_connect_ports(c, l, f) != 0 ||
	    cfg_opt_choice(c, l, "anonymity", anonymity_names, &anon) != 0 ||
	    cfg_opt_string(c, l, "user_agent", cfg_check_header_value,
			   f->user_agent, sizeof(f->user_agent)) != 0 ||
	    parse_strip_headers(c, l, f) != 0 ||
	    parse_acl(c, l, cfg, f) != 0 ||
	    parse_egress(c, l, cfg, f) != 0 ||
	    parse_auth_name(c, l, cfg, f) != 0 ||
	    cfg_opt_u32(c, l, "tunnel_idle_timeout_ms", 100, 86400000, false,
			&f->tunnel_idle_timeout_ms) != 0 ||
	    add_forward_pool(c, cfg, ls, f) != 0)
		return -1;
	f->anonymity = (enum dpx_anonymity)anon;
	ls->pool = -1;
	return 0;
}
