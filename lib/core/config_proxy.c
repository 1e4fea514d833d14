/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration of the proxy (schema: docs/config.md): "pools" (servers,
 * balancing, health checks, server connection settings), the proxy keys
 * of "listeners" (default pool, routes with header edits, limits,
 * timeouts, HTTP settings) and "access_log".
 *
 * Pools are parsed before the listeners so that listeners and routes can
 * name them; the result refers to pools by index. Routes of all listeners
 * share cfg->routes, each listener owning a contiguous run of it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

#define TIMEOUT_MAX_MS 3600000
#define CONN_LIMIT_MAX 16777216
#define HTTP_MAX_HEADERS 100    /* what lib/http can hold per request */

/* ---------------------------------------------------------------------- */
/* Strings                                                                  */

static char ascii_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Header and cookie names compare without regard to case. */
static bool same_name(const char *a, const char *b)
{
	for (; *a != '\0' && ascii_lower(*a) == ascii_lower(*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

/* RFC 9110 tchar: what a header field name (a token) is made of. */
static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* A token of 1..DPX_NAME_LEN-1 bytes; what names it in messages. */
static int check_token(struct cfg_ctx *c, bool at_key, const char *s,
		       const char *what)
{
	char q[QUOTE_LEN];
	size_t n = strlen(s);

	cfg_quote(q, sizeof(q), s);
	if (n == 0)
		return cfg_fail(c, at_key, "the %s must not be empty", what);
	if (n >= DPX_NAME_LEN)
		return cfg_fail(c, at_key, "%s %s is %zu bytes long, at most "
				"%d allowed", what, q, n, DPX_NAME_LEN - 1);
	for (const char *p = s; *p != '\0'; p++)
		if (!is_tchar(*p))
			return cfg_fail(c, at_key, "%s is not a valid %s "
					"(letters, digits and "
					"!#$%%&'*+-.^_`|~ only)", q, what);
	return 0;
}

/* Visible ASCII only: request targets and Host values. */
static int check_visible(struct cfg_ctx *c, const char *s)
{
	char q[QUOTE_LEN];

	for (const unsigned char *p = (const void *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return cfg_fail(c, false, "%s may only contain visible "
					"ASCII characters (no spaces)",
					cfg_quote(q, sizeof(q), s));
	return 0;
}

/* No control characters except tab; UTF-8 is fine. */
static int check_text(struct cfg_ctx *c, const char *s)
{
	char q[QUOTE_LEN];

	for (const unsigned char *p = (const void *)s; *p != '\0'; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7F)
			return cfg_fail(c, false, "%s contains a control "
					"character (CR, LF, ...)",
					cfg_quote(q, sizeof(q), s));
	return 0;
}

/* A header value: text without blanks at either end (servers would strip
 * them, and a value that differs on the wire confuses everyone). */
static int check_header_value(struct cfg_ctx *c, const char *s)
{
	size_t n = strlen(s);
	char q[QUOTE_LEN];

	if (check_text(c, s) != 0)
		return -1;
	if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
		      s[n - 1] == '\t'))
		return cfg_fail(c, false, "%s starts or ends with a blank",
				cfg_quote(q, sizeof(q), s));
	return 0;
}

/* A request path: "" (when allowed) or "/..." in visible ASCII. Runs at
 * the path of the value, which is copied into out. */
static int want_path(struct cfg_ctx *c, const json_t *v, bool may_be_empty,
		     char *out, size_t size)
{
	char q[QUOTE_LEN];
	const char *s;

	if (cfg_want_string(c, v, size - 1, may_be_empty, &s) != 0)
		return -1;
	if (s[0] != '\0' && s[0] != '/')
		return cfg_fail(c, false, "%s must start with '/'",
				cfg_quote(q, sizeof(q), s));
	if (check_visible(c, s) != 0)
		return -1;
	snprintf(out, size, "%s", s);
	return 0;
}

/* The first key of obj, in document order, that is in keys; or NULL. */
static const char *first_key_in(json_t *obj, const char *const *keys)
{
	for (void *it = json_object_iter(obj); it != NULL;
	     it = json_object_iter_next(obj, it))
		if (cfg_in_list(json_object_iter_key(it), keys))
			return json_object_iter_key(it);
	return NULL;
}

/* Keys that the object's other settings make meaningless are reported
 * like unknown keys: at the key. why completes "only ...". */
static int reject_keys(struct cfg_ctx *c, json_t *obj,
		       const char *const *keys, const char *why)
{
	const char *key = first_key_in(obj, keys);

	if (key == NULL)
		return 0;
	cfg_push_key(c, key);
	return cfg_fail(c, true, "only %s", why);
}

/* ---------------------------------------------------------------------- */
/* Pools                                                                    */

static const char *const pool_keys[] = {
	"name", "balance", "hash_key", "servers", "health", "slow_start_ms",
	"max_fails", "eject_ms", "keepalive", "queue", "retries",
	"connect_timeout_ms", "response_timeout_ms", "tls", NULL
};
static const char *const server_keys[] = {
	"name", "address", "port", "weight", "max_connections", NULL
};
static const char *const health_keys[] = {
	"type", "interval_ms", "timeout_ms", "rise", "fall", "path", "host",
	"expect_status", "expect_body", NULL
};
static const char *const health_http_keys[] = {
	"path", "host", "expect_status", "expect_body", NULL
};
static const char *const pool_keepalive_keys[] = {
	"max_idle", "idle_timeout_ms", NULL
};
static const char *const queue_keys[] = { "max", "timeout_ms", NULL };
/* Indexed by enum dpx_lb_algo and enum dpx_health_type. */
static const char *const balance_names[] = {
	"roundrobin", "leastconn", "random", "hash", NULL
};
static const char *const health_types[] = { "none", "tcp", "http", NULL };

static void pool_defaults(struct dpx_pool_conf *p)
{
	memset(p, 0, sizeof(*p));
	p->balance = DPX_LB_ROUNDROBIN;
	p->hash_key = DPX_HASH_SOURCE;
	p->health.type = DPX_HEALTH_NONE;
	p->health.interval_ms = 2000;
	p->health.timeout_ms = 1000;
	p->health.rise = 2;
	p->health.fall = 3;
	snprintf(p->health.path, sizeof(p->health.path), "/");
	p->slow_start_ms = 0;
	p->max_fails = 3;
	p->eject_ms = 10000;
	p->keepalive_max_idle = 32;
	p->keepalive_idle_ms = 15000;
	p->queue_max = 128;
	p->queue_timeout_ms = 2000;
	p->retries = 1;
	p->connect_timeout_ms = 2000;
	p->response_timeout_ms = 30000;
}

static int parse_pool_name(struct cfg_ctx *c, json_t *v,
			   struct dpx_config *cfg, size_t idx)
{
	json_t *name = cfg_required(c, v, "name");
	char q[QUOTE_LEN];
	const char *s;

	if (name == NULL)
		return -1;
	cfg_push_key(c, "name");
	if (cfg_want_string(c, name, DPX_NAME_LEN - 1, false, &s) != 0 ||
	    cfg_check_name_chars(c, s) != 0)
		return -1;
	for (size_t i = 0; i < idx; i++)
		if (strcmp(cfg->pools[i].name, s) == 0)
			return cfg_fail(c, false, "duplicate pool name %s "
					"(also pools[%zu])",
					cfg_quote(q, sizeof(q), s), i);
	snprintf(cfg->pools[idx].name, DPX_NAME_LEN, "%s", s);
	cfg_pop(c);
	return 0;
}

/* "source", "uri", "header:NAME" or "cookie:NAME"; runs at hash_key. */
static int want_hash_key(struct cfg_ctx *c, const json_t *v,
			 struct dpx_pool_conf *p)
{
	static const char header[] = "header:", cookie[] = "cookie:";
	char q[QUOTE_LEN];
	const char *s, *name = NULL;

	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string");
	s = json_string_value(v);
	if (strcmp(s, "source") == 0) {
		p->hash_key = DPX_HASH_SOURCE;
	} else if (strcmp(s, "uri") == 0) {
		p->hash_key = DPX_HASH_URI;
	} else if (strncmp(s, header, sizeof(header) - 1) == 0) {
		p->hash_key = DPX_HASH_HEADER;
		name = s + sizeof(header) - 1;
	} else if (strncmp(s, cookie, sizeof(cookie) - 1) == 0) {
		p->hash_key = DPX_HASH_COOKIE;
		name = s + sizeof(cookie) - 1;
	} else {
		return cfg_fail(c, false, "%s is not one of source, uri, "
				"header:NAME, cookie:NAME",
				cfg_quote(q, sizeof(q), s));
	}
	if (name == NULL)
		return 0;
	if (check_token(c, false, name, p->hash_key == DPX_HASH_HEADER ?
			"header name" : "cookie name") != 0)
		return -1;
	snprintf(p->hash_name, sizeof(p->hash_name), "%s", name);
	return 0;
}

static int parse_balance(struct cfg_ctx *c, json_t *v,
			 struct dpx_pool_conf *p)
{
	json_t *hk = json_object_get(v, "hash_key");
	int balance = (int)p->balance;

	if (cfg_opt_choice(c, v, "balance", balance_names, &balance) != 0)
		return -1;
	p->balance = (enum dpx_lb_algo)balance;
	if (hk == NULL)
		return 0;
	cfg_push_key(c, "hash_key");
	if (p->balance != DPX_LB_HASH)
		return cfg_fail(c, true, "only with \"balance\": \"hash\"");
	if (want_hash_key(c, hk, p) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* "a.b.c.d" of another host that one of the ports can reach. */
static int want_server_address(struct cfg_ctx *c, const json_t *v,
			       const struct dpx_config *cfg, uint32_t *out)
{
	char q[QUOTE_LEN], net[16];
	bool reachable = false;
	const char *s;
	uint32_t a;

	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string \"a.b.c.d\"");
	s = json_string_value(v);
	cfg_quote(q, sizeof(q), s);
	if (dpx_parse_ipv4(s, &a) != 0)
		return cfg_fail(c, false, "%s is not an IPv4 address", q);
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 0xE)
		return cfg_fail(c, false, "%s is not a unicast host address "
				"(0.0.0.0/8, loopback, multicast and "
				"240.0.0.0/4 cannot be servers)", q);
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct dpx_port_conf *pt = &cfg->ports[i];

		reachable |= pt->gateway != 0;
		for (size_t j = 0; j < pt->n_addrs; j++) {
			const struct dpx_ipv4_prefix *pf = &pt->addrs[j];
			uint32_t host = pf->len == 32 ? 0 :
					0xFFFFFFFFu >> pf->len;

			if (pf->addr == a)
				return cfg_fail(c, false, "%s is an address of "
						"port \"%s\" (dpx itself)",
						q, pt->name);
			if (((a ^ pf->addr) & ~host) != 0)
				continue;
			reachable = true;
			dpx_ipv4_str(pf->addr & ~host, net, sizeof(net));
			if (pf->len <= 30 &&
			    ((a & host) == 0 || (a & host) == host))
				return cfg_fail(c, false, "%s is the network "
						"or broadcast address of "
						"%s/%u (port \"%s\")", q, net,
						pf->len, pt->name);
		}
	}
	if (!reachable)
		return cfg_fail(c, false, "%s is not reachable: it is outside "
				"every port's prefixes and no port has a "
				"gateway", q);
	*out = a;
	return 0;
}

/* Server names may also hold '.' and ':', so that the default form
 * "ADDR:PORT" can be written out. */
static int check_server_name_chars(struct cfg_ctx *c, const char *s)
{
	char q[QUOTE_LEN];

	for (const char *p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p != '\0' &&
						 strchr("_-.:", *p) != NULL))
			continue;
		return cfg_fail(c, false, "%s may only contain letters, "
				"digits, '_', '-', '.' and ':'",
				cfg_quote(q, sizeof(q), s));
	}
	return 0;
}

/* The name, defaulting to "ADDR:PORT"; unique in the pool. Runs after
 * the address and port are known. */
static int parse_server_name(struct cfg_ctx *c, json_t *v,
			     struct dpx_pool_conf *p, size_t idx)
{
	struct dpx_server_conf *sv = &p->servers[idx];
	json_t *name = json_object_get(v, "name");
	char q[QUOTE_LEN], def[DPX_NAME_LEN], ip[16];
	const char *s = def;

	snprintf(def, sizeof(def), "%s:%u",
		 dpx_ipv4_str(sv->addr, ip, sizeof(ip)), sv->port);
	if (name != NULL) {
		cfg_push_key(c, "name");
		if (cfg_want_string(c, name, DPX_NAME_LEN - 1, false,
				    &s) != 0 ||
		    check_server_name_chars(c, s) != 0)
			return -1;
	}
	for (size_t i = 0; i < idx; i++)
		if (strcmp(p->servers[i].name, s) == 0)
			return cfg_fail(c, false, "duplicate server name %s "
					"(also servers[%zu])%s",
					cfg_quote(q, sizeof(q), s), i,
					name != NULL ? "" : "; the name "
					"defaults to \"ADDR:PORT\"");
	snprintf(sv->name, sizeof(sv->name), "%s", s);
	if (name != NULL)
		cfg_pop(c);
	return 0;
}

/* The same address and port as an earlier server of the pool; runs at
 * the later server's port. */
static int check_server_conflict(struct cfg_ctx *c,
				 const struct dpx_pool_conf *p, size_t idx)
{
	const struct dpx_server_conf *sv = &p->servers[idx];
	char ip[16];

	for (size_t i = 0; i < idx; i++)
		if (p->servers[i].addr == sv->addr &&
		    p->servers[i].port == sv->port)
			return cfg_fail(c, false, "%s:%u is already in this "
					"pool as servers[%zu] (\"%s\")",
					dpx_ipv4_str(sv->addr, ip, sizeof(ip)),
					sv->port, i, p->servers[i].name);
	return 0;
}

static int parse_server(struct cfg_ctx *c, json_t *v,
			const struct dpx_config *cfg, struct dpx_pool_conf *p,
			size_t idx)
{
	struct dpx_server_conf *sv = &p->servers[idx];
	json_t *addr;
	long long port;

	sv->weight = 1;
	if (cfg_check_object(c, v, "a server object", server_keys) != 0)
		return -1;
	addr = cfg_required(c, v, "address");
	if (addr == NULL)
		return -1;
	cfg_push_key(c, "address");
	if (want_server_address(c, addr, cfg, &sv->addr) != 0)
		return -1;
	cfg_pop(c);
	if (cfg_req_int(c, v, "port", 1, 65535, &port) != 0)
		return -1;
	sv->port = (uint16_t)port;
	cfg_push_key(c, "port");
	if (check_server_conflict(c, p, idx) != 0)
		return -1;
	cfg_pop(c);
	if (parse_server_name(c, v, p, idx) != 0 ||
	    cfg_opt_u32(c, v, "weight", 1, 256, false, &sv->weight) != 0 ||
	    cfg_opt_u32(c, v, "max_connections", 0, CONN_LIMIT_MAX, false,
			&sv->max_connections) != 0)
		return -1;
	return 0;
}

static int parse_servers(struct cfg_ctx *c, json_t *v,
			 const struct dpx_config *cfg, struct dpx_pool_conf *p)
{
	json_t *list = cfg_required(c, v, "servers");
	size_t n;

	if (list == NULL)
		return -1;
	cfg_push_key(c, "servers");
	if (!json_is_array(list))
		return cfg_type_error(c, list, "an array of server objects");
	n = json_array_size(list);
	if (n < 1 || n > DPX_MAX_SERVERS)
		return cfg_fail(c, false, "expected 1..%d servers, got %zu",
				DPX_MAX_SERVERS, n);
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		if (parse_server(c, json_array_get(list, i), cfg, p, i) != 0)
			return -1;
		cfg_pop(c);
	}
	p->n_servers = (unsigned int)n;
	cfg_pop(c);
	return 0;
}

/* The check must give up before the next one is due; reported at the
 * explicit key (timeout_ms when both are). */
static int check_health_timing(struct cfg_ctx *c, json_t *v,
			       const struct dpx_health_conf *h)
{
	if (h->timeout_ms < h->interval_ms)
		return 0;
	if (json_object_get(v, "timeout_ms") != NULL) {
		cfg_push_key(c, "timeout_ms");
		return cfg_fail(c, false, "%u is not less than interval_ms "
				"(%u)", h->timeout_ms, h->interval_ms);
	}
	cfg_push_key(c, "interval_ms");
	return cfg_fail(c, false, "%u is not more than timeout_ms (%u)",
			h->interval_ms, h->timeout_ms);
}

static int parse_expect_status(struct cfg_ctx *c, json_t *v,
			       struct dpx_health_conf *h)
{
	json_t *st = json_object_get(v, "expect_status");
	long long x;

	if (st == NULL)
		return 0;
	cfg_push_key(c, "expect_status");
	if (!json_is_integer(st))
		return cfg_type_error(c, st, "an integer");
	x = json_integer_value(st);
	if (x != 0 && (x < 100 || x > 599))
		return cfg_fail(c, false, "%lld is out of range 100..599 "
				"(or 0: any 2xx or 3xx)", x);
	h->expect_status = (uint16_t)x;
	cfg_pop(c);
	return 0;
}

/* The HTTP check's own keys: path, host, expect_status, expect_body. */
static int parse_health_http(struct cfg_ctx *c, json_t *v,
			     struct dpx_health_conf *h)
{
	json_t *path = json_object_get(v, "path");

	if (path != NULL) {
		cfg_push_key(c, "path");
		if (want_path(c, path, false, h->path, sizeof(h->path)) != 0)
			return -1;
		cfg_pop(c);
	}
	if (cfg_opt_string(c, v, "host", check_visible, h->host,
		       sizeof(h->host)) != 0 ||
	    parse_expect_status(c, v, h) != 0 ||
	    cfg_opt_string(c, v, "expect_body", check_text, h->expect_body,
		       sizeof(h->expect_body)) != 0)
		return -1;
	return 0;
}

static int parse_health(struct cfg_ctx *c, json_t *pool,
			struct dpx_health_conf *h)
{
	json_t *v = json_object_get(pool, "health");
	int type = (int)h->type;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "health");
	if (cfg_check_object(c, v, "an object", health_keys) != 0 ||
	    cfg_opt_choice(c, v, "type", health_types, &type) != 0)
		return -1;
	h->type = (enum dpx_health_type)type;
	if ((h->type != DPX_HEALTH_HTTP &&
	     reject_keys(c, v, health_http_keys,
			 "with \"type\": \"http\"") != 0) ||
	    cfg_opt_u32(c, v, "interval_ms", 100, TIMEOUT_MAX_MS, false,
			&h->interval_ms) != 0 ||
	    cfg_opt_u32(c, v, "timeout_ms", 10, TIMEOUT_MAX_MS, false,
			&h->timeout_ms) != 0 ||
	    cfg_opt_u32(c, v, "rise", 1, 100, false, &h->rise) != 0 ||
	    cfg_opt_u32(c, v, "fall", 1, 100, false, &h->fall) != 0 ||
	    check_health_timing(c, v, h) != 0 ||
	    parse_health_http(c, v, h) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* "keepalive" and "queue": the server connections of a pool. */
static int parse_pool_conns(struct cfg_ctx *c, json_t *pool,
			    struct dpx_pool_conf *p)
{
	json_t *ka = json_object_get(pool, "keepalive");
	json_t *q = json_object_get(pool, "queue");

	if (ka != NULL) {
		cfg_push_key(c, "keepalive");
		if (cfg_check_object(c, ka, "an object",
				     pool_keepalive_keys) != 0 ||
		    cfg_opt_u32(c, ka, "max_idle", 0, 4096, false,
				&p->keepalive_max_idle) != 0 ||
		    cfg_opt_u32(c, ka, "idle_timeout_ms", 100, TIMEOUT_MAX_MS,
				false, &p->keepalive_idle_ms) != 0)
			return -1;
		cfg_pop(c);
	}
	if (q != NULL) {
		cfg_push_key(c, "queue");
		if (cfg_check_object(c, q, "an object", queue_keys) != 0 ||
		    cfg_opt_u32(c, q, "max", 0, 65536, false,
				&p->queue_max) != 0 ||
		    cfg_opt_u32(c, q, "timeout_ms", 10, TIMEOUT_MAX_MS, false,
				&p->queue_timeout_ms) != 0)
			return -1;
		cfg_pop(c);
	}
	return 0;
}

static int parse_pool_timers(struct cfg_ctx *c, json_t *v,
			     struct dpx_pool_conf *p)
{
	if (cfg_opt_u32(c, v, "slow_start_ms", 0, TIMEOUT_MAX_MS, false,
			&p->slow_start_ms) != 0 ||
	    cfg_opt_u32(c, v, "max_fails", 0, 100, false,
			&p->max_fails) != 0 ||
	    cfg_opt_u32(c, v, "eject_ms", 100, TIMEOUT_MAX_MS, false,
			&p->eject_ms) != 0 ||
	    cfg_opt_u32(c, v, "retries", 0, 10, false, &p->retries) != 0 ||
	    cfg_opt_u32(c, v, "connect_timeout_ms", 10, 600000, false,
			&p->connect_timeout_ms) != 0 ||
	    cfg_opt_u32(c, v, "response_timeout_ms", 10, TIMEOUT_MAX_MS,
			false, &p->response_timeout_ms) != 0)
		return -1;
	return 0;
}

/* "tls": lib/tls's section, through the application's hook. */
static int parse_pool_tls(struct cfg_ctx *c, json_t *pool,
			  struct dpx_pool_conf *p)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(pool, "tls");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "tls");
	if (ext == NULL || ext->pool_tls == NULL)
		return cfg_fail(c, true, "TLS is not supported by this program");
	if (ext->pool_tls(c, v, &p->tls) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

static int parse_pool(struct cfg_ctx *c, json_t *v, struct dpx_config *cfg,
		      size_t idx)
{
	struct dpx_pool_conf *p = &cfg->pools[idx];

	pool_defaults(p);
	if (cfg_check_object(c, v, "a pool object", pool_keys) != 0 ||
	    parse_pool_name(c, v, cfg, idx) != 0 ||
	    parse_balance(c, v, p) != 0 ||
	    parse_servers(c, v, cfg, p) != 0 ||
	    parse_health(c, v, &p->health) != 0 ||
	    parse_pool_timers(c, v, p) != 0 ||
	    parse_pool_conns(c, v, p) != 0 ||
	    parse_pool_tls(c, v, p) != 0)
		return -1;
	return 0;
}

int cfg_parse_pools(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	json_t *v = json_object_get(root, "pools");
	size_t n;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "pools");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of pool objects");
	n = json_array_size(v);
	if (n > DPX_MAX_POOLS)
		return cfg_fail(c, false, "at most %d pools allowed, got %zu",
				DPX_MAX_POOLS, n);
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		if (parse_pool(c, json_array_get(v, i), cfg, i) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg->n_pools = (unsigned int)n;
	cfg_pop(c);
	return 0;
}

/* A pool name at the current path (a listener's or a route's "pool");
 * the error lists the pools there are. */
static int want_pool(struct cfg_ctx *c, const json_t *v,
		     const struct dpx_config *cfg, unsigned int *out)
{
	const char *names[DPX_MAX_POOLS + 1];
	char q[QUOTE_LEN], list[DPX_MAX_POOLS * DPX_NAME_LEN];
	const char *s;

	if (cfg_want_string(c, v, DPX_NAME_LEN - 1, false, &s) != 0)
		return -1;
	for (unsigned int i = 0; i < cfg->n_pools; i++) {
		if (strcmp(cfg->pools[i].name, s) == 0) {
			*out = i;
			return 0;
		}
		names[i] = cfg->pools[i].name;
	}
	names[cfg->n_pools] = NULL;
	cfg_quote(q, sizeof(q), s);
	if (cfg->n_pools == 0)
		return cfg_fail(c, false, "no pool named %s (no pools are "
				"defined)", q);
	return cfg_fail(c, false, "no pool named %s (pools: %s)", q,
			cfg_join_names(list, sizeof(list), names));
}

/* ---------------------------------------------------------------------- */
/* Routes                                                                   */

static const char *const route_keys[] = {
	"host", "path", "pool", "request_headers", "response_headers", "cache",
	NULL
};
static const char *const edit_keys[] = { "set", "remove", NULL };
/*
 * Headers that dpx itself manages on each hop (connection handling,
 * message framing, the Host it routes by): a route may neither set nor
 * remove them.
 */
static const char *const managed_headers[] = {
	"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
	"TE", "Trailer", "Upgrade", "Content-Length", "Host",
	"Proxy-Authenticate", "Proxy-Authorization", NULL
};

/* A header name a route may edit; at_key for the keys of "set". */
static int check_edit_name(struct cfg_ctx *c, bool at_key, const char *s)
{
	char q[QUOTE_LEN];

	if (check_token(c, at_key, s, "header name") != 0)
		return -1;
	for (size_t i = 0; managed_headers[i] != NULL; i++)
		if (same_name(s, managed_headers[i]))
			return cfg_fail(c, at_key, "%s is managed by dpx "
					"(hop-by-hop or message framing) and "
					"cannot be set or removed",
					cfg_quote(q, sizeof(q), s));
	return 0;
}

static int parse_edit_set(struct cfg_ctx *c, json_t *v,
			  struct dpx_hdr_edits *e)
{
	char q[QUOTE_LEN];
	unsigned int n = 0;

	if (!json_is_object(v))
		return cfg_type_error(c, v, "an object of header names and "
				      "values");
	if (json_object_size(v) > DPX_MAX_HDR_EDITS)
		return cfg_fail(c, false, "at most %d headers to set, got %zu",
				DPX_MAX_HDR_EDITS, json_object_size(v));
	for (void *it = json_object_iter(v); it != NULL;
	     it = json_object_iter_next(v, it), n++) {
		const char *name = json_object_iter_key(it), *value;

		cfg_push_key(c, name);
		if (check_edit_name(c, true, name) != 0)
			return -1;
		for (unsigned int i = 0; i < n; i++)
			if (same_name(e->set[i].name, name))
				return cfg_fail(c, true, "%s is set twice "
						"(header names ignore case)",
						cfg_quote(q, sizeof(q), name));
		if (cfg_want_string(c, json_object_iter_value(it),
				    DPX_HDR_VALUE_LEN - 1, true, &value) != 0 ||
		    check_header_value(c, value) != 0)
			return -1;
		snprintf(e->set[n].name, DPX_NAME_LEN, "%s", name);
		snprintf(e->set[n].value, DPX_HDR_VALUE_LEN, "%s", value);
		cfg_pop(c);
	}
	e->n_set = n;
	return 0;
}

static int want_remove_name(struct cfg_ctx *c, const json_t *v,
			    const struct dpx_hdr_edits *e, unsigned int n)
{
	char q[QUOTE_LEN];
	const char *s;

	if (!json_is_string(v))
		return cfg_type_error(c, v, "a header name");
	s = json_string_value(v);
	if (check_edit_name(c, false, s) != 0)
		return -1;
	cfg_quote(q, sizeof(q), s);
	for (unsigned int i = 0; i < n; i++)
		if (same_name(e->remove[i], s))
			return cfg_fail(c, false, "%s is listed twice (also "
					"remove[%u]; header names ignore "
					"case)", q, i);
	for (unsigned int i = 0; i < e->n_set; i++)
		if (same_name(e->set[i].name, s))
			return cfg_fail(c, false, "%s is both set and removed",
					q);
	return 0;
}

static int parse_edit_remove(struct cfg_ctx *c, json_t *v,
			     struct dpx_hdr_edits *e)
{
	size_t n;

	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of header names");
	n = json_array_size(v);
	if (n > DPX_MAX_HDR_EDITS)
		return cfg_fail(c, false, "at most %d headers to remove, got "
				"%zu", DPX_MAX_HDR_EDITS, n);
	for (size_t i = 0; i < n; i++) {
		json_t *name = json_array_get(v, i);

		cfg_push_index(c, i);
		if (want_remove_name(c, name, e, (unsigned int)i) != 0)
			return -1;
		snprintf(e->remove[i], DPX_NAME_LEN, "%s",
			 json_string_value(name));
		cfg_pop(c);
	}
	e->n_remove = (unsigned int)n;
	return 0;
}

/* "request_headers" or "response_headers" of a route. */
static int parse_edits(struct cfg_ctx *c, json_t *route, const char *key,
		       struct dpx_hdr_edits *e)
{
	json_t *v = json_object_get(route, key), *set, *remove;

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (cfg_check_object(c, v, "an object", edit_keys) != 0)
		return -1;
	set = json_object_get(v, "set");
	remove = json_object_get(v, "remove");
	if (set != NULL) {
		cfg_push_key(c, "set");
		if (parse_edit_set(c, set, e) != 0)
			return -1;
		cfg_pop(c);
	}
	if (remove != NULL) {
		cfg_push_key(c, "remove");
		if (parse_edit_remove(c, remove, e) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* "", "www.example.com" or "*.example.com": non-empty labels of letters,
 * digits and '-'. Stored in lower case (Host and SNI matching ignore
 * case). At the current path. */
static int want_host_pattern(struct cfg_ctx *c, json_t *v, bool may_be_empty,
			     char *out)
{
	char q[QUOTE_LEN];
	const char *s, *p;
	size_t label = 0;

	if (cfg_want_string(c, v, DPX_HOST_LEN - 1, may_be_empty, &s) != 0)
		return -1;
	cfg_quote(q, sizeof(q), s);
	p = strncmp(s, "*.", 2) == 0 ? s + 2 : s;
	for (; *s != '\0' && *p != '\0'; p++) {
		if (*p == '.' && label > 0) {
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-') || label == 63)
			break;
		label++;
	}
	if (*s != '\0' && (*p != '\0' || label == 0))
		return cfg_fail(c, false, "%s is not a host name or "
				"\"*.domain\" pattern (labels of 1..63 "
				"letters, digits and '-', joined by '.'; no "
				"port)", q);
	for (size_t i = 0; s[i] != '\0'; i++)
		out[i] = ascii_lower(s[i]);
	return 0;
}

static int parse_route_host(struct cfg_ctx *c, json_t *route,
			    struct dpx_route_conf *r)
{
	json_t *v = json_object_get(route, "host");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "host");
	if (want_host_pattern(c, v, true, r->host) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

static int parse_route_path(struct cfg_ctx *c, json_t *route,
			    struct dpx_route_conf *r)
{
	json_t *v = json_object_get(route, "path");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "path");
	if (want_path(c, v, true, r->path_prefix,
		      sizeof(r->path_prefix)) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* A route after one that takes every request it could match can never
 * be used: a mistake worth an error. Only the sure cases are caught
 * (same or empty host, same or empty path). Runs at the later route. */
static int check_route_shadowed(struct cfg_ctx *c,
				const struct dpx_config *cfg,
				unsigned int first, unsigned int idx)
{
	const struct dpx_route_conf *r = &cfg->routes[idx];
	char host[QUOTE_LEN], path[QUOTE_LEN];

	for (unsigned int i = first; i < idx; i++) {
		const struct dpx_route_conf *o = &cfg->routes[i];

		if ((o->host[0] != '\0' && strcmp(o->host, r->host) != 0) ||
		    (o->path_prefix[0] != '\0' &&
		     strcmp(o->path_prefix, r->path_prefix) != 0))
			continue;
		return cfg_fail(c, false, "this route is never used: "
				"routes[%u] (host %s, path %s) matches every "
				"request it would", i - first,
				cfg_quote(host, sizeof(host), o->host),
				cfg_quote(path, sizeof(path),
					  o->path_prefix));
	}
	return 0;
}

/* "cache": the route's own choice, else the listener's (-1): true, false,
 * or lib/cache's object (TTLs) through the application's hook. */
static int parse_route_cache(struct cfg_ctx *c, json_t *v,
			     const struct dpx_config *cfg,
			     struct dpx_route_conf *r)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *o = json_object_get(v, "cache");
	bool on = false;

	r->cache = -1;
	if (o == NULL)
		return 0;
	if (json_is_object(o)) {
		cfg_push_key(c, "cache");
		if (ext == NULL || ext->route_cache == NULL)
			return cfg_fail(c, true, "caching is not supported by "
					"this program");
		if (ext->route_cache(c, o, &on, &r->cache_rules) != 0)
			return -1;
		cfg_pop(c);
	} else if (json_is_boolean(o)) {
		on = json_is_true(o);
	} else {
		cfg_push_key(c, "cache");
		return cfg_type_error(c, o, "true, false or an object");
	}
	if (on && cfg->cache == NULL) {
		cfg_push_key(c, "cache");
		return cfg_fail(c, false, "needs the top-level \"cache\" "
				"section (the store's size and rules)");
	}
	r->cache = on ? 1 : 0;
	return 0;
}

static int parse_route(struct cfg_ctx *c, json_t *v, struct dpx_config *cfg,
		       unsigned int first, unsigned int idx)
{
	struct dpx_route_conf *r = &cfg->routes[idx];
	json_t *pool;

	memset(r, 0, sizeof(*r));
	if (cfg_check_object(c, v, "a route object", route_keys) != 0 ||
	    parse_route_host(c, v, r) != 0 ||
	    parse_route_path(c, v, r) != 0)
		return -1;
	pool = cfg_required(c, v, "pool");
	if (pool == NULL)
		return -1;
	cfg_push_key(c, "pool");
	if (want_pool(c, pool, cfg, &r->pool) != 0)
		return -1;
	cfg_pop(c);
	if (parse_edits(c, v, "request_headers", &r->request) != 0 ||
	    parse_edits(c, v, "response_headers", &r->response) != 0 ||
	    parse_route_cache(c, v, cfg, r) != 0 ||
	    check_route_shadowed(c, cfg, first, idx) != 0)
		return -1;
	return 0;
}

static int parse_routes(struct cfg_ctx *c, json_t *l, struct dpx_config *cfg,
			struct dpx_listener_conf *ls)
{
	json_t *v = json_object_get(l, "routes");
	unsigned int first = cfg->n_routes;
	size_t n;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "routes");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of route objects");
	n = json_array_size(v);
	if (n > DPX_MAX_ROUTES - first)
		return cfg_fail(c, false, "too many routes: %zu here and %u in "
				"earlier listeners, at most %d in all", n,
				first, DPX_MAX_ROUTES);
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		if (parse_route(c, json_array_get(v, i), cfg, first,
				first + (unsigned int)i) != 0)
			return -1;
		cfg_pop(c);
	}
	ls->first_route = first;
	ls->n_routes = (unsigned int)n;
	cfg->n_routes = first + (unsigned int)n;
	cfg_pop(c);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Listeners                                                                */

static const char *const proxy_keys[] = {
	"pool", "routes", "max_connections", "max_connections_per_ip",
	"client_timeout_ms", "idle_timeout_ms", "access_log", "http", "tls",
	"sni_routes", "cache", "compression", NULL
};
/* The proxy keys that mean nothing without HTTP requests. */
static const char *const http_only_keys[] = {
	"routes", "idle_timeout_ms", "http", "cache", "compression", NULL
};
/* ... and those that only a tcp listener has. */
static const char *const tcp_only_keys[] = { "sni_routes", NULL };
/* ... and those that only a forward listener has. */
static const char *const forward_only_keys[] = {
	"hosts", "connect_ports", "anonymity", "user_agent", "strip_headers",
	"tunnel_idle_timeout_ms", "egress", "auth", "acl", NULL
};
/* The proxy keys a forward listener has no use for: it has no pools. */
static const char *const not_forward_keys[] = {
	"pool", "routes", "sni_routes", "compression", "tls", NULL
};
static const char *const sni_route_keys[] = { "sni", "pool", NULL };
static const char *const http_keys[] = {
	"max_line", "max_headers", "max_head", "max_body", "forwarded", "via",
	"server_header", NULL
};
/* Indexed by enum dpx_forwarded. */
static const char *const forwarded_names[] = {
	"x-forwarded-for", "forwarded", "both", "none", NULL
};

static void listener_proxy_defaults(struct dpx_listener_conf *ls,
				    unsigned int n_routes)
{
	struct dpx_http_conf *h = &ls->http;

	ls->pool = -1;
	ls->first_route = n_routes;
	ls->n_routes = 0;
	ls->max_connections = 0;
	ls->max_connections_per_ip = 0;
	ls->client_timeout_ms = 10000;
	ls->idle_timeout_ms = 60000;
	ls->access_log = false;
	memset(h, 0, sizeof(*h));
	h->max_line = 8192;
	h->max_headers = HTTP_MAX_HEADERS;
	h->max_head = 65536;
	h->max_body = 0;
	h->forwarded = DPX_FWD_XFF;
	h->via = true;
	h->server_header = DPX_SRVHDR_HIDE;
}

/* A tcp listener has no request to take a hash key from. */
static int check_tcp_hash(struct cfg_ctx *c, const struct dpx_pool_conf *p)
{
	char q[QUOTE_LEN];

	if (p->balance != DPX_LB_HASH || p->hash_key == DPX_HASH_SOURCE)
		return 0;
	if (p->hash_key == DPX_HASH_URI)
		return cfg_fail(c, false, "pool \"%s\" hashes on the URI: a "
				"tcp listener has no URI (use hash_key "
				"\"source\")", p->name);
	cfg_quote(q, sizeof(q), p->hash_name);
	return cfg_fail(c, false, "pool \"%s\" hashes on %s %s: a tcp "
			"listener has no %s (use hash_key \"source\")",
			p->name, p->hash_key == DPX_HASH_HEADER ? "header" :
			"cookie", q, p->hash_key == DPX_HASH_HEADER ?
			"headers" : "cookies");
}

static int parse_listener_pool(struct cfg_ctx *c, json_t *l,
			       const struct dpx_config *cfg,
			       struct dpx_listener_conf *ls)
{
	json_t *v = json_object_get(l, "pool");
	unsigned int pool;

	if (v == NULL) {
		if (ls->mode == DPX_LISTEN_TCP &&
		    json_object_get(l, "sni_routes") == NULL)
			return cfg_fail(c, false, "missing required key "
					"\"pool\" (a tcp listener forwards "
					"every connection to it)");
		return 0;
	}
	cfg_push_key(c, "pool");
	if (want_pool(c, v, cfg, &pool) != 0 ||
	    (ls->mode == DPX_LISTEN_TCP &&
	     check_tcp_hash(c, &cfg->pools[pool]) != 0))
		return -1;
	ls->pool = (int)pool;
	cfg_pop(c);
	return 0;
}

/* "hide", "pass", or any other header value: sent instead. */
static int parse_server_header(struct cfg_ctx *c, json_t *http,
			       struct dpx_http_conf *h)
{
	json_t *v = json_object_get(http, "server_header");
	const char *s;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "server_header");
	if (cfg_want_string(c, v, DPX_HDR_VALUE_LEN - 1, false, &s) != 0)
		return -1;
	if (strcmp(s, "hide") == 0) {
		h->server_header = DPX_SRVHDR_HIDE;
	} else if (strcmp(s, "pass") == 0) {
		h->server_header = DPX_SRVHDR_PASS;
	} else {
		if (check_header_value(c, s) != 0)
			return -1;
		h->server_header = DPX_SRVHDR_REPLACE;
		snprintf(h->server_header_value,
			 sizeof(h->server_header_value), "%s", s);
	}
	cfg_pop(c);
	return 0;
}

/* A head must hold at least one line of max_line bytes. The default
 * max_head is the largest max_line, so only an explicit max_head fails. */
static int check_http_sizes(struct cfg_ctx *c, const struct dpx_http_conf *h)
{
	if (h->max_head >= h->max_line)
		return 0;
	cfg_push_key(c, "max_head");
	return cfg_fail(c, false, "%u is less than max_line (%u)",
			h->max_head, h->max_line);
}

static int parse_http(struct cfg_ctx *c, json_t *l, struct dpx_http_conf *h)
{
	json_t *v = json_object_get(l, "http");
	int fwd = (int)h->forwarded;
	long long body = (long long)h->max_body;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "http");
	if (cfg_check_object(c, v, "an object", http_keys) != 0 ||
	    cfg_opt_u32(c, v, "max_line", 256, 65536, false,
			&h->max_line) != 0 ||
	    cfg_opt_u32(c, v, "max_headers", 1, HTTP_MAX_HEADERS, false,
			&h->max_headers) != 0 ||
	    cfg_opt_u32(c, v, "max_head", 1024, 1048576, false,
			&h->max_head) != 0 ||
	    cfg_opt_int(c, v, "max_body", 0, LLONG_MAX, false, &body) != 0 ||
	    cfg_opt_choice(c, v, "forwarded", forwarded_names, &fwd) != 0 ||
	    cfg_opt_bool(c, v, "via", &h->via) != 0 ||
	    parse_server_header(c, v, h) != 0 ||
	    check_http_sizes(c, h) != 0)
		return -1;
	h->max_body = (uint64_t)body;
	h->forwarded = (enum dpx_forwarded)fwd;
	cfg_pop(c);
	return 0;
}

/* Keys the listener's mode has no use for. */
static int check_mode_keys(struct cfg_ctx *c, json_t *l,
			   enum dpx_listener_mode mode)
{
	char why[96];

	if (mode == DPX_LISTEN_FORWARD)
		return reject_keys(c, l, not_forward_keys,
				   "for mode http or tcp (this listener is "
				   "mode forward)");
	if (reject_keys(c, l, forward_only_keys, mode == DPX_LISTEN_HTTP ?
			"for mode forward (this listener is mode http)" :
			mode == DPX_LISTEN_TCP ? "for mode forward (this "
			"listener is mode tcp)" : "for mode forward") != 0)
		return -1;
	snprintf(why, sizeof(why), "for mode %s (this listener is mode %s)",
		 mode == DPX_LISTEN_TCP ? "http" : "http or tcp",
		 cfg_listener_modes[mode]);
	if (mode == DPX_LISTEN_TCP)
		return reject_keys(c, l, http_only_keys, why);
	if (mode != DPX_LISTEN_HTTP)
		return reject_keys(c, l, proxy_keys, why);
	return reject_keys(c, l, tcp_only_keys,
			   "for mode tcp (this listener is mode http)");
}

/* "sni_routes": [{"sni": NAME, "pool": POOL}]: tcp listeners that read
 * the ClientHello's SNI and pass the bytes on untouched. */
static int parse_sni_routes(struct cfg_ctx *c, json_t *l,
			    const struct dpx_config *cfg,
			    struct dpx_listener_conf *ls)
{
	json_t *v = json_object_get(l, "sni_routes"), *r;
	size_t i;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "sni_routes");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cfg_type_error(c, v, "a non-empty array of "
				      "{\"sni\", \"pool\"} objects");
	if (json_array_size(v) > DPX_MAX_SNI_ROUTES)
		return cfg_fail(c, false, "at most %d SNI routes, got %zu",
				DPX_MAX_SNI_ROUTES, json_array_size(v));
	if (json_object_get(l, "tls") != NULL)
		return cfg_fail(c, true, "routes by SNI without terminating "
				"TLS: not with \"tls\" on the same listener");
	json_array_foreach(v, i, r) {
		struct dpx_sni_route *sr = &ls->sni_routes[i];
		json_t *e;

		cfg_push_index(c, i);
		if (cfg_check_object(c, r, "an object with \"sni\" and "
				     "\"pool\"", sni_route_keys) != 0 ||
		    (e = cfg_required(c, r, "sni")) == NULL)
			return -1;
		cfg_push_key(c, "sni");
		if (want_host_pattern(c, e, false, sr->name) != 0)
			return -1;
		cfg_pop(c);
		if ((e = cfg_required(c, r, "pool")) == NULL)
			return -1;
		cfg_push_key(c, "pool");
		if (want_pool(c, e, cfg, &sr->pool) != 0 ||
		    check_tcp_hash(c, &cfg->pools[sr->pool]) != 0)
			return -1;
		cfg_pop(c);
		cfg_pop(c);
	}
	ls->n_sni_routes = (unsigned int)i;
	cfg_pop(c);
	return 0;
}

/* "compression": lib/compress's section, through the application's hook. */
static int parse_listener_compression(struct cfg_ctx *c, json_t *l,
				      struct dpx_listener_conf *ls)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(l, "compression");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "compression");
	if (ext == NULL || ext->compression == NULL)
		return cfg_fail(c, true, "compression is not supported by "
				"this program");
	if (ext->compression(c, v, &ls->compression) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* "tls": lib/tls's section, through the application's hook. */
static int parse_listener_tls(struct cfg_ctx *c, json_t *l,
			      struct dpx_listener_conf *ls)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(l, "tls");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "tls");
	if (ext == NULL || ext->listener_tls == NULL)
		return cfg_fail(c, true, "TLS is not supported by this program");
	if (ext->listener_tls(c, v, ls->mode == DPX_LISTEN_HTTP,
			      &ls->tls) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* Limits, timeouts, the access log and "http": http, tcp and forward. */
static int parse_listener_common(struct cfg_ctx *c, json_t *l,
				 struct dpx_listener_conf *ls)
{
	return cfg_opt_u32(c, l, "max_connections", 0, CONN_LIMIT_MAX, false,
			   &ls->max_connections) != 0 ||
	       cfg_opt_u32(c, l, "max_connections_per_ip", 0, CONN_LIMIT_MAX,
			   false, &ls->max_connections_per_ip) != 0 ||
	       cfg_opt_u32(c, l, "client_timeout_ms", 100, TIMEOUT_MAX_MS,
			   false, &ls->client_timeout_ms) != 0 ||
	       cfg_opt_u32(c, l, "idle_timeout_ms", 100, TIMEOUT_MAX_MS,
			   false, &ls->idle_timeout_ms) != 0 ||
	       cfg_opt_bool(c, l, "access_log", &ls->access_log) != 0 ||
	       parse_http(c, l, &ls->http) != 0 ? -1 : 0;
}

/* "cache": true stores through the top-level section (http, forward). */
static int parse_listener_cache(struct cfg_ctx *c, json_t *l,
				const struct dpx_config *cfg,
				struct dpx_listener_conf *ls)
{
	if (cfg_opt_bool(c, l, "cache", &ls->cache) != 0)
		return -1;
	if (ls->cache && cfg->cache == NULL) {
		cfg_push_key(c, "cache");
		return cfg_fail(c, false, "needs the top-level \"cache\" "
				"section (the store's size and rules)");
	}
	return 0;
}

int cfg_parse_listener_proxy(struct cfg_ctx *c, json_t *l,
			     struct dpx_config *cfg, size_t idx)
{
	struct dpx_listener_conf *ls = &cfg->listeners[idx];

	listener_proxy_defaults(ls, cfg->n_routes);
	if (check_mode_keys(c, l, ls->mode) != 0)
		return -1;
	if (ls->mode == DPX_LISTEN_FORWARD) {
		/* the origins' Server is the client's business */
		ls->http.server_header = DPX_SRVHDR_PASS;
		return parse_listener_common(c, l, ls) != 0 ||
		       parse_listener_cache(c, l, cfg, ls) != 0 ||
		       cfg_parse_listener_forward(c, l, cfg, idx) != 0 ? -1 : 0;
	}
	if (ls->mode != DPX_LISTEN_HTTP && ls->mode != DPX_LISTEN_TCP)
		return 0;
	if (parse_listener_pool(c, l, cfg, ls) != 0 ||
	    parse_sni_routes(c, l, cfg, ls) != 0 ||
	    parse_routes(c, l, cfg, ls) != 0 ||
	    parse_listener_common(c, l, ls) != 0 ||
	    parse_listener_cache(c, l, cfg, ls) != 0 ||
	    parse_listener_compression(c, l, ls) != 0 ||
	    parse_listener_tls(c, l, ls) != 0)
		return -1;
	if (ls->mode == DPX_LISTEN_HTTP && ls->pool < 0 && ls->n_routes == 0)
		return cfg_fail(c, false, "mode http needs a \"pool\", "
				"\"routes\", or both");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Access log                                                               */

static const char *const access_log_keys[] = { "path", NULL };

int cfg_parse_access_log(struct cfg_ctx *c, json_t *root,
			 struct dpx_config *cfg)
{
	struct dpx_access_log_conf *a = &cfg->access_log;
	json_t *v = json_object_get(root, "access_log");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "access_log");
	if (cfg_check_object(c, v, "an object", access_log_keys) != 0 ||
	    cfg_opt_string(c, v, "path", check_text, a->path,
		       sizeof(a->path)) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Shared with config_forward.c                                             */

int cfg_check_header_name(struct cfg_ctx *c, const char *s)
{
	return check_token(c, false, s, "header name");
}

int cfg_check_header_value(struct cfg_ctx *c, const char *s)
{
	return check_header_value(c, s);
}
