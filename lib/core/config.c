/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration loading and validation (schema: docs/config.md). This file
 * has the walk's helpers (config_priv.h) and the document, ports, workers,
 * arp, listeners and tcp; pools, routes and the proxy settings of listeners
 * are in config_proxy.c.
 *
 * The file is parsed with Jansson (duplicate keys rejected); then the tree
 * is walked while a key path is kept in a small stack. The first problem
 * stops the walk: its position is found by re-scanning the original text
 * along that path (json_locate.c) and one line is written into err:
 * "FILE:LINE:COL: key.path: message". The path of an unknown key includes
 * the key and the position is that of the key (so for a key that the
 * object's other settings rule out); for every other error it is the
 * position of the offending value (of the object for a missing key).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config_priv.h"

#define MAX_FILE_SIZE (16u << 20)
#define MAX_LCORE_ID 127

/* ---------------------------------------------------------------------- */
/* Message helpers                                                          */

struct sbuf {
	char *buf;
	size_t size;
	size_t used;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->used + 1 < b->size) {
		b->buf[b->used++] = c;
		b->buf[b->used] = '\0';
	}
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used + 1 >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->used, b->size - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < b->size - b->used ?
			   (size_t)n : b->size - b->used - 1;
}

/* Append s with control characters, '"' and '\\' escaped; long strings are
 * cut (at a character boundary) and marked with "...". */
static void sb_escaped(struct sbuf *b, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max && (c & 0xC0) != 0x80) {
			sb_printf(b, "...");
			return;
		}
		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7F)
			sb_printf(b, "\\u%04x", c);
		else
			sb_putc(b, (char)c);
	}
}

/* s as a double-quoted, escaped string in buf. */
const char *cfg_quote(char *buf, size_t size, const char *s)
{
	struct sbuf b = { buf, size, 0 };

	buf[0] = '\0';
	sb_putc(&b, '"');
	sb_escaped(&b, s, QUOTE_MAX);
	sb_putc(&b, '"');
	return buf;
}

static void format_path(const struct cfg_ctx *c, char *buf, size_t size)
{
	struct sbuf b = { buf, size, 0 };
	size_t n = c->depth < PATH_DEPTH ? c->depth : PATH_DEPTH;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (c->path[i].key == NULL) {
			sb_printf(&b, "[%zu]", c->path[i].index);
			continue;
		}
		if (i > 0)
			sb_putc(&b, '.');
		sb_escaped(&b, c->path[i].key, QUOTE_MAX);
	}
}

/* Write the error for the current path; always returns -1. */
int cfg_fail(struct cfg_ctx *c, bool at_key, const char *fmt, ...)
{
	char path[384], msg[DPX_ERR_LEN];
	size_t n = c->depth < PATH_DEPTH ? c->depth : PATH_DEPTH;
	unsigned int line, col;
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	dpx_json_locate(c->text, c->len, c->path, n, at_key, &line, &col);
	format_path(c, path, sizeof(path));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path[0] != '\0')
		snprintf(c->err, c->errlen, "%s:%u:%u: %s: %s",
			 c->name, line, col, path, msg);
	else
		snprintf(c->err, c->errlen, "%s:%u:%u: %s",
			 c->name, line, col, msg);
	return -1;
}

void cfg_push_key(struct cfg_ctx *c, const char *key)
{
	if (c->depth < PATH_DEPTH)
		c->path[c->depth] = (struct dpx_json_step){ .key = key };
	c->depth++;
}

void cfg_push_index(struct cfg_ctx *c, size_t index)
{
	if (c->depth < PATH_DEPTH)
		c->path[c->depth] = (struct dpx_json_step){ .index = index };
	c->depth++;
}

void cfg_pop(struct cfg_ctx *c)
{
	c->depth--;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "real number";
	case JSON_TRUE: return "boolean";
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

int cfg_type_error(struct cfg_ctx *c, const json_t *v, const char *expected)
{
	return cfg_fail(c, false, "expected %s, got %s", expected,
			type_name(v));
}

/* ---------------------------------------------------------------------- */
/* Generic checks; each runs at the current path (the value's own).         */

bool cfg_in_list(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

int cfg_check_keys(struct cfg_ctx *c, json_t *obj, const char *const *allowed)
{
	char q[QUOTE_LEN];

	for (void *it = json_object_iter(obj); it != NULL;
	     it = json_object_iter_next(obj, it)) {
		const char *key = json_object_iter_key(it);

		if (!cfg_in_list(key, allowed)) {
			cfg_push_key(c, key);
			return cfg_fail(c, true, "unknown key %s",
					cfg_quote(q, sizeof(q), key));
		}
	}
	return 0;
}

int cfg_check_object(struct cfg_ctx *c, json_t *v, const char *what,
		     const char *const *allowed)
{
	if (!json_is_object(v))
		return cfg_type_error(c, v, what);
	return cfg_check_keys(c, v, allowed);
}

json_t *cfg_required(struct cfg_ctx *c, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		cfg_fail(c, false, "missing required key \"%s\"", key);
	return v;
}

int cfg_want_int(struct cfg_ctx *c, const json_t *v, long long lo,
		 long long hi, long long *out)
{
	long long x;

	if (!json_is_integer(v))
		return cfg_type_error(c, v, "an integer");
	x = json_integer_value(v);
	if (x < lo && hi == LLONG_MAX)
		return cfg_fail(c, false,
				"%lld is out of range (must be >= %lld)",
				x, lo);
	if (x < lo || x > hi)
		return cfg_fail(c, false, "%lld is out of range %lld..%lld",
				x, lo, hi);
	*out = x;
	return 0;
}

/* Optional integer member; *out keeps its default when absent. */
int cfg_opt_int(struct cfg_ctx *c, json_t *obj, const char *key, long long lo,
		long long hi, bool pow2, long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (cfg_want_int(c, v, lo, hi, out) != 0)
		return -1;
	if (pow2 && (*out & (*out - 1)) != 0)
		return cfg_fail(c, false, "%lld is not a power of two", *out);
	cfg_pop(c);
	return 0;
}

int cfg_opt_u32(struct cfg_ctx *c, json_t *obj, const char *key, long long lo,
		long long hi, bool pow2, uint32_t *out)
{
	long long x = *out;

	if (cfg_opt_int(c, obj, key, lo, hi, pow2, &x) != 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

int cfg_opt_u16(struct cfg_ctx *c, json_t *obj, const char *key, long long lo,
		long long hi, bool pow2, uint16_t *out)
{
	long long x = *out;

	if (cfg_opt_int(c, obj, key, lo, hi, pow2, &x) != 0)
		return -1;
	*out = (uint16_t)x;
	return 0;
}

/* A string of 1..max bytes (0..max when may_be_empty). */
int cfg_want_string(struct cfg_ctx *c, const json_t *v, size_t max,
		    bool may_be_empty, const char **out)
{
	size_t n;

	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string");
	n = json_string_length(v);
	if (n == 0 && !may_be_empty)
		return cfg_fail(c, false, "must not be empty");
	if (n > max)
		return cfg_fail(c, false,
				"is %zu bytes long, at most %zu allowed",
				n, max);
	*out = json_string_value(v);
	return 0;
}

/* Optional string member (may be empty) that passes check (NULL: any),
 * copied into out (size bytes); out keeps its default when absent. */
int cfg_opt_string(struct cfg_ctx *c, json_t *obj, const char *key,
		   int (*check)(struct cfg_ctx *c, const char *s),
		   char *out, size_t size)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (cfg_want_string(c, v, size - 1, true, &s) != 0 ||
	    (check != NULL && check(c, s) != 0))
		return -1;
	snprintf(out, size, "%s", s);
	cfg_pop(c);
	return 0;
}

/* names (NULL-terminated) joined with ", " into buf. */
const char *cfg_join_names(char *buf, size_t size,
			   const char *const *names)
{
	struct sbuf b = { buf, size, 0 };

	buf[0] = '\0';
	for (size_t i = 0; names[i] != NULL; i++)
		sb_printf(&b, "%s%s", i > 0 ? ", " : "", names[i]);
	return buf;
}

/* A string that must be one of names; *out is its index. */
int cfg_want_choice(struct cfg_ctx *c, const json_t *v,
		    const char *const *names, int *out)
{
	char q[QUOTE_LEN], list[256];
	const char *s;

	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string");
	s = json_string_value(v);
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return cfg_fail(c, false, "%s is not one of %s",
			cfg_quote(q, sizeof(q), s),
			cfg_join_names(list, sizeof(list), names));
}

/* Optional choice member; *out keeps its default when absent. */
int cfg_opt_choice(struct cfg_ctx *c, json_t *obj, const char *key,
		   const char *const *names, int *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (cfg_want_choice(c, v, names, out) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

int cfg_opt_bool(struct cfg_ctx *c, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (!json_is_boolean(v))
		return cfg_type_error(c, v, "a boolean");
	*out = json_is_true(v);
	cfg_pop(c);
	return 0;
}

/* A required integer member. */
int cfg_req_int(struct cfg_ctx *c, json_t *obj, const char *key, long long lo,
		long long hi, long long *out)
{
	json_t *v = cfg_required(c, obj, key);

	if (v == NULL)
		return -1;
	cfg_push_key(c, key);
	if (cfg_want_int(c, v, lo, hi, out) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

int cfg_check_name_chars(struct cfg_ctx *c, const char *s)
{
	char q[QUOTE_LEN];

	for (const char *p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
			continue;
		return cfg_fail(c, false, "%s may only contain letters, "
				"digits, '_' and '-'",
				cfg_quote(q, sizeof(q), s));
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* IPv4 parsing                                                             */

/* 1..3 decimal digits, no leading zero, value <= max. */
static int parse_dec(const char **s, unsigned int max, unsigned int *out)
{
	const char *p = *s;
	unsigned int v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (n == 3)
			return -1;
		v = v * 10 + (unsigned int)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || v > max || (n > 1 && **s == '0'))
		return -1;
	*s = p;
	*out = v;
	return 0;
}

static int parse_quad(const char **s, uint32_t *out)
{
	uint32_t a = 0;
	unsigned int part;

	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (**s != '.')
				return -1;
			(*s)++;
		}
		if (parse_dec(s, 255, &part) != 0)
			return -1;
		a = a << 8 | part;
	}
	*out = a;
	return 0;
}

int dpx_parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t a;

	if (s == NULL || out == NULL || parse_quad(&s, &a) != 0 || *s != '\0')
		return -1;
	*out = a;
	return 0;
}

int dpx_parse_ipv4_net(const char *s, uint32_t *addr, uint8_t *len)
{
	uint32_t a;
	unsigned int l = 32;

	if (s == NULL || addr == NULL || len == NULL || parse_quad(&s, &a) != 0)
		return -1;
	if (*s == '/') {
		s++;
		if (parse_dec(&s, 32, &l) != 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	*addr = a;
	*len = (uint8_t)l;
	return 0;
}

int dpx_parse_ipv4_prefix(const char *s, struct dpx_ipv4_prefix *out)
{
	uint32_t a;
	uint8_t len;

	/* A port's address says its prefix length, and it is never 0. */
	if (s == NULL || out == NULL || strchr(s, '/') == NULL ||
	    dpx_parse_ipv4_net(s, &a, &len) != 0 || len < 1)
		return -1;
	out->addr = a;
	out->len = len;
	return 0;
}

/* On the data path (X-Forwarded-For on every request): no printf. */
const char *dpx_ipv4_str(uint32_t addr, char *buf, size_t len)
{
	char tmp[16], *p = tmp;

	if (buf == NULL || len == 0)
		return "";
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned int b = (addr >> shift) & 0xFF;

		if (b >= 100)
			*p++ = (char)('0' + b / 100);
		if (b >= 10)
			*p++ = (char)('0' + b / 10 % 10);
		*p++ = (char)('0' + b % 10);
		*p++ = shift ? '.' : '\0';
	}
	if ((size_t)(p - tmp) > len) {
		memcpy(buf, tmp, len - 1);
		buf[len - 1] = '\0';
	} else {
		memcpy(buf, tmp, (size_t)(p - tmp));
	}
	return buf;
}

static uint32_t prefix_mask(unsigned int len)
{
	return len == 0 ? 0 : 0xFFFFFFFFu << (32 - len);
}

static bool same_net(uint32_t a, uint32_t b, unsigned int len)
{
	return ((a ^ b) & prefix_mask(len)) == 0;
}

/* ---------------------------------------------------------------------- */
/* Ports                                                                    */

static const char *const port_keys[] = {
	"device", "name", "devargs", "addresses", "gateway", "mtu",
	"rx_desc", "tx_desc", "fault", NULL
};
static const char *const fault_keys[] = {
	"seed", "delay_us", "rx", "tx", NULL
};
static const char *const fault_dir_keys[] = {
	"drop", "duplicate", "reorder", "delay", NULL
};

static int opt_prob(struct cfg_ctx *c, json_t *obj, const char *key,
		    double *out)
{
	json_t *v = json_object_get(obj, key);
	double x;

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (!json_is_number(v))
		return cfg_type_error(c, v, "a number in [0, 1]");
	x = json_number_value(v);
	if (!(x >= 0.0 && x <= 1.0))
		return cfg_fail(c, false, "%.10g is out of range 0..1", x);
	*out = x;
	cfg_pop(c);
	return 0;
}

static int parse_fault_dir(struct cfg_ctx *c, json_t *fault, const char *key,
			   struct dpx_fault_dir *d)
{
	json_t *v = json_object_get(fault, key);
	double sum;

	if (v == NULL)
		return 0;
	cfg_push_key(c, key);
	if (cfg_check_object(c, v, "an object", fault_dir_keys) != 0 ||
	    opt_prob(c, v, "drop", &d->drop) != 0 ||
	    opt_prob(c, v, "duplicate", &d->duplicate) != 0 ||
	    opt_prob(c, v, "reorder", &d->reorder) != 0 ||
	    opt_prob(c, v, "delay", &d->delay) != 0)
		return -1;
	sum = d->drop + d->duplicate + d->reorder + d->delay;
	if (sum > 1.0 + 1e-9)
		return cfg_fail(c, false, "probabilities add up to %.10g, "
				"at most 1 allowed", sum);
	cfg_pop(c);
	return 0;
}

static int parse_fault(struct cfg_ctx *c, json_t *port,
		       struct dpx_fault_conf *f)
{
	json_t *v = json_object_get(port, "fault");
	long long seed = 1;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "fault");
	f->enabled = true;
	f->delay_us = 1000;
	if (cfg_check_object(c, v, "an object", fault_keys) != 0 ||
	    cfg_opt_int(c, v, "seed", 0, LLONG_MAX, false, &seed) != 0 ||
	    cfg_opt_u32(c, v, "delay_us", 1, 1000000, false,
			&f->delay_us) != 0 ||
	    parse_fault_dir(c, v, "rx", &f->rx) != 0 ||
	    parse_fault_dir(c, v, "tx", &f->tx) != 0)
		return -1;
	f->seed = (uint64_t)seed;
	cfg_pop(c);
	return 0;
}

static int parse_device(struct cfg_ctx *c, json_t *port,
			const struct dpx_config *cfg, struct dpx_port_conf *p,
			size_t idx)
{
	json_t *v = cfg_required(c, port, "device");
	char q[QUOTE_LEN];
	const char *s;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "device");
	if (cfg_want_string(c, v, DPX_NAME_LEN - 1, false, &s) != 0)
		return -1;
	for (size_t i = 0; i < idx; i++)
		if (strcmp(cfg->ports[i].device, s) == 0)
			return cfg_fail(c, false,
					"duplicate device %s (also ports[%zu])",
					cfg_quote(q, sizeof(q), s), i);
	snprintf(p->device, sizeof(p->device), "%s", s);
	cfg_pop(c);
	return 0;
}

/* The name, defaulting to the device; runs after parse_device. */
static int parse_name(struct cfg_ctx *c, json_t *port,
		      const struct dpx_config *cfg, struct dpx_port_conf *p,
		      size_t idx)
{
	json_t *v = json_object_get(port, "name");
	char q[QUOTE_LEN];
	const char *s = p->device;

	cfg_push_key(c, v != NULL ? "name" : "device");
	if (v != NULL &&
	    (cfg_want_string(c, v, DPX_NAME_LEN - 1, false, &s) != 0 ||
	     cfg_check_name_chars(c, s) != 0))
		return -1;
	for (size_t i = 0; i < idx; i++)
		if (strcmp(cfg->ports[i].name, s) == 0)
			return cfg_fail(c, false, "duplicate port name %s "
					"(also ports[%zu])%s",
					cfg_quote(q, sizeof(q), s), i,
					v != NULL ? "" : "; the name "
					"defaults to the device");
	snprintf(p->name, sizeof(p->name), "%s", s);
	cfg_pop(c);
	return 0;
}

/* Reject addresses that cannot be a host's interface address. */
static int check_usable(struct cfg_ctx *c, const char *s,
			const struct dpx_ipv4_prefix *pf)
{
	uint32_t a = pf->addr, host = ~prefix_mask(pf->len);
	char q[QUOTE_LEN], net[16];

	cfg_quote(q, sizeof(q), s);
	if (a == 0)
		return cfg_fail(c, false, "%s: the unspecified address 0.0.0.0 "
				"cannot be an interface address", q);
	if (a == 0xFFFFFFFFu)
		return cfg_fail(c, false, "%s: the limited broadcast address "
				"cannot be an interface address", q);
	if ((a >> 28) == 0xE)
		return cfg_fail(c, false, "%s: a multicast address "
				"(224.0.0.0/4) cannot be an interface "
				"address", q);
	if ((a >> 24) == 127)
		return cfg_fail(c, false, "%s: a loopback address "
				"(127.0.0.0/8) cannot be an interface "
				"address", q);
	if (pf->len > 30)
		return 0;
	dpx_ipv4_str(a & ~host, net, sizeof(net));
	if ((a & host) == 0)
		return cfg_fail(c, false, "%s is the network address of %s/%u, "
				"not a host address", q, net, pf->len);
	if ((a & host) == host)
		return cfg_fail(c, false, "%s is the broadcast address of "
				"%s/%u, not a host address", q, net, pf->len);
	return 0;
}

/* The same address or overlapping prefixes on an earlier port. */
static int check_other_ports(struct cfg_ctx *c, const struct dpx_config *cfg,
			     size_t idx, const struct dpx_ipv4_prefix *pf,
			     const char *s)
{
	char q[QUOTE_LEN], other[16];

	cfg_quote(q, sizeof(q), s);
	for (size_t i = 0; i < idx; i++) {
		const struct dpx_port_conf *o = &cfg->ports[i];

		for (size_t j = 0; j < o->n_addrs; j++) {
			const struct dpx_ipv4_prefix *x = &o->addrs[j];
			unsigned int len = x->len < pf->len ? x->len : pf->len;

			dpx_ipv4_str(x->addr, other, sizeof(other));
			if (x->addr == pf->addr)
				return cfg_fail(c, false, "%s: address already "
						"used by port \"%s\" "
						"(ports[%zu].addresses[%zu])",
						q, o->name, i, j);
			if (same_net(x->addr, pf->addr, len))
				return cfg_fail(c, false, "%s overlaps "
						"%s/%u of port \"%s\" "
						"(ports[%zu].addresses[%zu])",
						q, other, x->len, o->name,
						i, j);
		}
	}
	return 0;
}

static int parse_address(struct cfg_ctx *c, json_t *v,
			 const struct dpx_config *cfg, size_t idx,
			 struct dpx_port_conf *p, size_t n)
{
	struct dpx_ipv4_prefix pf;
	char q[QUOTE_LEN];
	const char *s;

	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string \"a.b.c.d/len\"");
	s = json_string_value(v);
	if (dpx_parse_ipv4_prefix(s, &pf) != 0)
		return cfg_fail(c, false, "%s is not an IPv4 prefix",
				cfg_quote(q, sizeof(q), s));
	if (check_usable(c, s, &pf) != 0)
		return -1;
	for (size_t j = 0; j < n; j++)
		if (p->addrs[j].addr == pf.addr)
			return cfg_fail(c, false, "%s: duplicate address "
					"(also addresses[%zu])",
					cfg_quote(q, sizeof(q), s), j);
	if (check_other_ports(c, cfg, idx, &pf, s) != 0)
		return -1;
	p->addrs[n] = pf;
	return 0;
}

static int parse_addresses(struct cfg_ctx *c, json_t *port,
			   const struct dpx_config *cfg,
			   struct dpx_port_conf *p, size_t idx)
{
	json_t *v = cfg_required(c, port, "addresses");
	size_t n;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "addresses");
	if (!json_is_array(v))
		return cfg_type_error(c, v,
				      "an array of \"a.b.c.d/len\" strings");
	n = json_array_size(v);
	if (n < 1 || n > DPX_MAX_ADDRS)
		return cfg_fail(c, false, "expected 1..%d addresses, got %zu",
				DPX_MAX_ADDRS, n);
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		if (parse_address(c, json_array_get(v, i), cfg, idx, p, i) != 0)
			return -1;
		cfg_pop(c);
	}
	p->n_addrs = (unsigned int)n;
	cfg_pop(c);
	return 0;
}

/* The gateway must be an on-link host of one of the port's prefixes. */
static int parse_gateway(struct cfg_ctx *c, json_t *port,
			 struct dpx_port_conf *p)
{
	json_t *v = json_object_get(port, "gateway");
	char q[QUOTE_LEN];
	const char *s;
	uint32_t gw;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "gateway");
	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string \"a.b.c.d\"");
	s = json_string_value(v);
	cfg_quote(q, sizeof(q), s);
	if (dpx_parse_ipv4(s, &gw) != 0)
		return cfg_fail(c, false, "%s is not an IPv4 address", q);
	for (size_t i = 0; i < p->n_addrs; i++) {
		const struct dpx_ipv4_prefix *a = &p->addrs[i];
		uint32_t host = ~prefix_mask(a->len);

		if (gw == a->addr)
			return cfg_fail(c, false, "%s is this port's own "
					"address (addresses[%zu])", q, i);
		if (!same_net(gw, a->addr, a->len))
			continue;
		if (a->len <= 30 && ((gw & host) == 0 || (gw & host) == host))
			return cfg_fail(c, false, "%s is the network or "
					"broadcast address of addresses[%zu]",
					q, i);
		p->gateway = gw;
		cfg_pop(c);
		return 0;
	}
	return cfg_fail(c, false,
			"%s is not inside any of this port's prefixes", q);
}

static int parse_port(struct cfg_ctx *c, json_t *port, struct dpx_config *cfg,
		      size_t idx)
{
	struct dpx_port_conf *p = &cfg->ports[idx];

	p->mtu = 1500;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	if (cfg_check_object(c, port, "a port object", port_keys) != 0 ||
	    parse_device(c, port, cfg, p, idx) != 0 ||
	    parse_name(c, port, cfg, p, idx) != 0 ||
	    cfg_opt_string(c, port, "devargs", NULL, p->devargs,
			   sizeof(p->devargs)) != 0 ||
	    parse_addresses(c, port, cfg, p, idx) != 0 ||
	    parse_gateway(c, port, p) != 0 ||
	    cfg_opt_u16(c, port, "mtu", 68, 9000, false, &p->mtu) != 0 ||
	    cfg_opt_u16(c, port, "rx_desc", 64, 4096, true, &p->rx_desc) != 0 ||
	    cfg_opt_u16(c, port, "tx_desc", 64, 4096, true, &p->tx_desc) != 0 ||
	    parse_fault(c, port, &p->fault) != 0)
		return -1;
	return 0;
}

static int parse_ports(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	json_t *v = cfg_required(c, root, "ports");
	size_t n;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "ports");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of port objects");
	n = json_array_size(v);
	if (n < 1 || n > DPX_MAX_PORTS)
		return cfg_fail(c, false, "expected 1..%d ports, got %zu",
				DPX_MAX_PORTS, n);
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		if (parse_port(c, json_array_get(v, i), cfg, i) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg->n_ports = (unsigned int)n;
	cfg_pop(c);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Top level                                                                */

static int parse_lcore(struct cfg_ctx *c, json_t *v, struct dpx_config *cfg,
		       size_t i)
{
	long long id;

	if (json_is_integer(v) && json_integer_value(v) == 0)
		return cfg_fail(c, false, "lcore 0 is the main (control) lcore "
				"and cannot run a worker");
	if (cfg_want_int(c, v, 1, MAX_LCORE_ID, &id) != 0)
		return -1;
	for (size_t j = 0; j < i; j++)
		if (cfg->lcore_ids[j] == (unsigned int)id)
			return cfg_fail(c, false, "lcore %lld is listed twice "
					"(also workers[%zu])", id, j);
	cfg->lcore_ids[i] = (unsigned int)id;
	return 0;
}

static int parse_workers(struct cfg_ctx *c, json_t *root,
			 struct dpx_config *cfg)
{
	json_t *v = json_object_get(root, "workers");
	long long n;
	size_t len;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "workers");
	if (json_is_integer(v)) {
		if (cfg_want_int(c, v, 1, DPX_MAX_WORKERS, &n) != 0)
			return -1;
		cfg->n_workers = (unsigned int)n;
		cfg_pop(c);
		return 0;
	}
	if (!json_is_array(v))
		return cfg_type_error(c, v,
				      "an integer or an array of lcore ids");
	len = json_array_size(v);
	if (len == 0)
		return cfg_fail(c, false, "the lcore list must not be empty");
	if (len > DPX_MAX_WORKERS)
		return cfg_fail(c, false, "at most %d lcores allowed, got %zu",
				DPX_MAX_WORKERS, len);
	for (size_t i = 0; i < len; i++) {
		cfg_push_index(c, i);
		if (parse_lcore(c, json_array_get(v, i), cfg, i) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg->n_workers = (unsigned int)len;
	cfg->lcores_explicit = true;
	cfg_pop(c);
	return 0;
}

static int parse_idle(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	json_t *v = json_object_get(root, "idle");
	char q[QUOTE_LEN];
	const char *s;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "idle");
	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string");
	s = json_string_value(v);
	if (strcmp(s, "poll") == 0)
		cfg->idle = DPX_IDLE_POLL;
	else if (strcmp(s, "adaptive") == 0)
		cfg->idle = DPX_IDLE_ADAPTIVE;
	else
		return cfg_fail(c, false, "%s is not one of poll, adaptive",
				cfg_quote(q, sizeof(q), s));
	cfg_pop(c);
	return 0;
}

static int parse_log_level(struct cfg_ctx *c, json_t *root,
			   struct dpx_config *cfg)
{
	json_t *v = json_object_get(root, "log_level");
	char q[QUOTE_LEN];

	if (v == NULL)
		return 0;
	cfg_push_key(c, "log_level");
	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string");
	if (dpx_log_level_parse(json_string_value(v), &cfg->log_level) != 0)
		return cfg_fail(c, false, "%s is not one of error, warning, "
				"info, debug", cfg_quote(q, sizeof(q),
				json_string_value(v)));
	cfg_pop(c);
	return 0;
}

static const char *const arp_keys[] = {
	"max_entries", "timeout_ms", "retry_ms", "retries", "max_pending", NULL
};

static int parse_arp(struct cfg_ctx *c, json_t *root, struct dpx_arp_conf *a)
{
	json_t *v = json_object_get(root, "arp");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "arp");
	if (cfg_check_object(c, v, "an object", arp_keys) != 0 ||
	    cfg_opt_u32(c, v, "max_entries", 16, 65536, true,
			&a->max_entries) != 0 ||
	    cfg_opt_u32(c, v, "timeout_ms", 1000, 3600000, false,
			&a->timeout_ms) != 0 ||
	    cfg_opt_u32(c, v, "retry_ms", 10, 60000, false,
			&a->retry_ms) != 0 ||
	    cfg_opt_u32(c, v, "retries", 1, 10, false, &a->retries) != 0 ||
	    cfg_opt_u32(c, v, "max_pending", 1, 64, false,
			&a->max_pending) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Listeners                                                                */

/* The proxy keys (from "pool" on) are checked against the mode by
 * cfg_parse_listener_proxy(). */
static const char *const listener_keys[] = {
	"name", "address", "port", "mode", "backlog",
	"pool", "routes", "max_connections", "max_connections_per_ip",
	"client_timeout_ms", "idle_timeout_ms", "access_log", "http", "tls",
	"sni_routes", "cache", "compression", "hosts", "connect_ports",
	"anonymity", "user_agent", "strip_headers", "tunnel_idle_timeout_ms",
	"acl", "egress", "auth", NULL
};
/* Indexed by enum dpx_listener_mode. */
const char *const cfg_listener_modes[] = {
	"echo", "static", "http", "tcp", "forward", "udp_echo", NULL
};

static bool is_port_address(const struct dpx_config *cfg, uint32_t a)
{
	for (size_t i = 0; i < cfg->n_ports; i++)
		for (size_t j = 0; j < cfg->ports[i].n_addrs; j++)
			if (cfg->ports[i].addrs[j].addr == a)
				return true;
	return false;
}

/* The name, defaulting to "listener<index>"; unique among listeners. */
static int parse_listener_name(struct cfg_ctx *c, json_t *l,
			       struct dpx_config *cfg, size_t idx)
{
	json_t *v = json_object_get(l, "name");
	char q[QUOTE_LEN], def[DPX_NAME_LEN];
	const char *s = def;

	snprintf(def, sizeof(def), "listener%zu", idx);
	if (v != NULL) {
		cfg_push_key(c, "name");
		if (cfg_want_string(c, v, DPX_NAME_LEN - 1, false, &s) != 0 ||
		    cfg_check_name_chars(c, s) != 0)
			return -1;
	}
	for (size_t i = 0; i < idx; i++)
		if (strcmp(cfg->listeners[i].name, s) == 0)
			return cfg_fail(c, false, "duplicate listener name %s "
					"(also listeners[%zu])%s",
					cfg_quote(q, sizeof(q), s), i,
					v != NULL ? "" : "; the name "
					"defaults to \"listener<index>\"");
	snprintf(cfg->listeners[idx].name, DPX_NAME_LEN, "%s", s);
	if (v != NULL)
		cfg_pop(c);
	return 0;
}

/* One of the ports' addresses, or 0.0.0.0 for all of them. */
static int parse_listener_address(struct cfg_ctx *c, json_t *l,
				  const struct dpx_config *cfg,
				  struct dpx_listener_conf *ls)
{
	json_t *v = cfg_required(c, l, "address");
	char q[QUOTE_LEN];
	const char *s;
	uint32_t a;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "address");
	if (!json_is_string(v))
		return cfg_type_error(c, v, "a string \"a.b.c.d\"");
	s = json_string_value(v);
	cfg_quote(q, sizeof(q), s);
	if (dpx_parse_ipv4(s, &a) != 0)
		return cfg_fail(c, false, "%s is not an IPv4 address", q);
	if (a != 0 && !is_port_address(cfg, a))
		return cfg_fail(c, false, "%s is not an address of any port "
				"(use a port's address, or \"0.0.0.0\" for "
				"all)", q);
	ls->addr = a;
	cfg_pop(c);
	return 0;
}

static int parse_listener_mode(struct cfg_ctx *c, json_t *l,
			       struct dpx_listener_conf *ls)
{
	json_t *v = cfg_required(c, l, "mode");
	int mode;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "mode");
	if (cfg_want_choice(c, v, cfg_listener_modes, &mode) != 0)
		return -1;
	ls->mode = (enum dpx_listener_mode)mode;
	cfg_pop(c);
	return 0;
}

/* Same (address, port) as an earlier listener; 0.0.0.0 covers them all.
 * Runs at the path of the later listener's port. */
static int check_listener_conflict(struct cfg_ctx *c,
				   const struct dpx_config *cfg, size_t idx)
{
	const struct dpx_listener_conf *ls = &cfg->listeners[idx];
	char a[16], b[16];

	dpx_ipv4_str(ls->addr, a, sizeof(a));
	for (size_t i = 0; i < idx; i++) {
		const struct dpx_listener_conf *o = &cfg->listeners[i];

		/* TCP and UDP ports are separate spaces. */
		if (o->port != ls->port ||
		    (o->mode == DPX_LISTEN_UDP_ECHO) !=
		    (ls->mode == DPX_LISTEN_UDP_ECHO))
			continue;
		dpx_ipv4_str(o->addr, b, sizeof(b));
		if (o->addr == ls->addr)
			return cfg_fail(c, false, "%s:%u is already used by "
					"listener \"%s\" (listeners[%zu])",
					a, ls->port, o->name, i);
		if (o->addr == 0 || ls->addr == 0)
			return cfg_fail(c, false, "%s:%u conflicts with "
					"%s:%u of listener \"%s\" "
					"(listeners[%zu]); "
					"0.0.0.0 covers every address",
					a, ls->port, b, o->port, o->name, i);
	}
	return 0;
}

static int parse_listener(struct cfg_ctx *c, json_t *l, struct dpx_config *cfg,
			  size_t idx)
{
	struct dpx_listener_conf *ls = &cfg->listeners[idx];
	long long port;

	ls->backlog = 1024;
	if (cfg_check_object(c, l, "a listener object", listener_keys) != 0 ||
	    parse_listener_name(c, l, cfg, idx) != 0 ||
	    parse_listener_address(c, l, cfg, ls) != 0 ||
	    cfg_req_int(c, l, "port", 1, 65535, &port) != 0 ||
	    parse_listener_mode(c, l, ls) != 0 ||
	    cfg_opt_u32(c, l, "backlog", 1, 65535, false, &ls->backlog) != 0)
		return -1;
	ls->port = (uint16_t)port;
	cfg_push_key(c, "port");
	if (check_listener_conflict(c, cfg, idx) != 0)
		return -1;
	cfg_pop(c);
	return cfg_parse_listener_proxy(c, l, cfg, idx);
}

static int parse_listeners(struct cfg_ctx *c, json_t *root,
			   struct dpx_config *cfg)
{
	json_t *v = json_object_get(root, "listeners");
	size_t n;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "listeners");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of listener objects");
	n = json_array_size(v);
	if (n > DPX_MAX_LISTENERS)
		return cfg_fail(c, false,
				"at most %d listeners allowed, got %zu",
				DPX_MAX_LISTENERS, n);
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		if (parse_listener(c, json_array_get(v, i), cfg, i) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg->n_listeners = (unsigned int)n;
	cfg_pop(c);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* TCP                                                                      */

static const char *const tcp_keys[] = {
	"congestion", "rcvbuf", "sndbuf", "max_connections", "syn_cookies",
	"time_wait_ms", "max_time_wait", "rto_min_ms", "rto_max_ms",
	"rto_initial_ms", "delayed_ack_ms", "keepalive", "ooo_max_segments",
	"sack", "timestamps", "window_scaling", "mss_clamp", NULL
};
static const char *const keepalive_keys[] = {
	"enabled", "idle_ms", "interval_ms", "probes", NULL
};
/* Indexed by enum dpx_cc_algo and enum dpx_syn_cookies. */
static const char *const cc_names[] = { "newreno", "cubic", NULL };
static const char *const syn_cookie_names[] = {
	"auto", "always", "never", NULL
};

#define MSS_MIN 536
#define MSS_MAX 9000
#define TCPIP_HEADERS 40   /* IPv4 + TCP headers without options */

static int parse_tcp_limits(struct cfg_ctx *c, json_t *tcp,
			    struct dpx_tcp_conf *t)
{
	if (cfg_opt_u32(c, tcp, "rcvbuf", 4096, 67108864, false,
			&t->rcvbuf) != 0 ||
	    cfg_opt_u32(c, tcp, "sndbuf", 4096, 67108864, false,
			&t->sndbuf) != 0 ||
	    cfg_opt_u32(c, tcp, "max_connections", 1, 4194304, false,
			&t->max_connections) != 0 ||
	    cfg_opt_u32(c, tcp, "max_time_wait", 0, 4194304, false,
			&t->max_time_wait) != 0 ||
	    cfg_opt_u32(c, tcp, "ooo_max_segments", 0, 65536, false,
			&t->ooo_max_segments) != 0)
		return -1;
	return 0;
}

static int parse_tcp_timers(struct cfg_ctx *c, json_t *tcp,
			    struct dpx_tcp_conf *t)
{
	if (cfg_opt_u32(c, tcp, "time_wait_ms", 0, 240000, false,
			&t->time_wait_ms) != 0 ||
	    cfg_opt_u32(c, tcp, "rto_min_ms", 1, 60000, false,
			&t->rto_min_ms) != 0 ||
	    cfg_opt_u32(c, tcp, "rto_max_ms", 1, 600000, false,
			&t->rto_max_ms) != 0 ||
	    cfg_opt_u32(c, tcp, "rto_initial_ms", 1, 60000, false,
			&t->rto_initial_ms) != 0 ||
	    cfg_opt_u32(c, tcp, "delayed_ack_ms", 0, 500, false,
			&t->delayed_ack_ms) != 0)
		return -1;
	if (t->rto_max_ms >= t->rto_min_ms)
		return 0;
	/* rto_min_ms is at most 60000 < the default rto_max_ms: an explicit
	 * rto_max_ms is what makes this fail. */
	cfg_push_key(c, "rto_max_ms");
	return cfg_fail(c, false, "%u is less than rto_min_ms (%u)",
			t->rto_max_ms, t->rto_min_ms);
}

static int parse_keepalive(struct cfg_ctx *c, json_t *tcp,
			   struct dpx_tcp_conf *t)
{
	json_t *v = json_object_get(tcp, "keepalive");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "keepalive");
	if (cfg_check_object(c, v, "an object", keepalive_keys) != 0 ||
	    cfg_opt_bool(c, v, "enabled", &t->keepalive) != 0 ||
	    cfg_opt_u32(c, v, "idle_ms", 1000, 86400000, false,
			&t->keepalive_idle_ms) != 0 ||
	    cfg_opt_u32(c, v, "interval_ms", 1000, 3600000, false,
			&t->keepalive_interval_ms) != 0 ||
	    cfg_opt_u32(c, v, "probes", 1, 100, false,
			&t->keepalive_probes) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

static int parse_tcp_options(struct cfg_ctx *c, json_t *tcp,
			     struct dpx_tcp_conf *t)
{
	if (cfg_opt_bool(c, tcp, "sack", &t->sack) != 0 ||
	    cfg_opt_bool(c, tcp, "timestamps", &t->timestamps) != 0 ||
	    cfg_opt_bool(c, tcp, "window_scaling", &t->window_scaling) != 0)
		return -1;
	return 0;
}

/* 0, or MSS_MIN..MSS_MAX and at most the smallest port MTU - 40; runs
 * after the ports are parsed. */
static int parse_mss_clamp(struct cfg_ctx *c, json_t *tcp,
			   const struct dpx_config *cfg,
			   struct dpx_tcp_conf *t)
{
	json_t *v = json_object_get(tcp, "mss_clamp");
	const struct dpx_port_conf *low = &cfg->ports[0];
	long long x;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "mss_clamp");
	if (!json_is_integer(v))
		return cfg_type_error(c, v, "an integer");
	x = json_integer_value(v);
	if (x != 0 && (x < MSS_MIN || x > MSS_MAX))
		return cfg_fail(c, false, "%lld is out of range %d..%d "
				"(or 0: derive from the port MTU)",
				x, MSS_MIN, MSS_MAX);
	for (size_t i = 1; i < cfg->n_ports; i++)
		if (cfg->ports[i].mtu < low->mtu)
			low = &cfg->ports[i];
	if (x > (long long)low->mtu - TCPIP_HEADERS)
		return cfg_fail(c, false, "%lld is more than the smallest "
				"port MTU minus %d (%d: port \"%s\" has "
				"MTU %d)", x,
				TCPIP_HEADERS, low->mtu - TCPIP_HEADERS,
				low->name, low->mtu);
	t->mss_clamp = (uint16_t)x;
	cfg_pop(c);
	return 0;
}

static int parse_tcp(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	json_t *v = json_object_get(root, "tcp");
	struct dpx_tcp_conf *t = &cfg->tcp;
	int cc = (int)t->congestion, sc = (int)t->syn_cookies;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "tcp");
	if (cfg_check_object(c, v, "an object", tcp_keys) != 0 ||
	    cfg_opt_choice(c, v, "congestion", cc_names, &cc) != 0 ||
	    cfg_opt_choice(c, v, "syn_cookies", syn_cookie_names, &sc) != 0 ||
	    parse_tcp_limits(c, v, t) != 0 ||
	    parse_tcp_timers(c, v, t) != 0 ||
	    parse_keepalive(c, v, t) != 0 ||
	    parse_tcp_options(c, v, t) != 0 ||
	    parse_mss_clamp(c, v, cfg, t) != 0)
		return -1;
	t->congestion = (enum dpx_cc_algo)cc;
	t->syn_cookies = (enum dpx_syn_cookies)sc;
	cfg_pop(c);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Root                                                                     */

static const char *const top_keys[] = {
	"ports", "workers", "idle", "idle_spin_us", "log_level", "arp",
	"mbufs_per_worker", "tcp", "pools", "listeners", "access_log", "cache",
	"resolver", "acls", "auth", NULL
};

/* "cache": lib/cache's section, through the application's hook. */
static int parse_cache(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(root, "cache");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "cache");
	if (ext == NULL || ext->cache == NULL)
		return cfg_fail(c, true, "caching is not supported by this "
				"program");
	if (ext->cache(c, v, &cfg->cache) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* "resolver": lib/dns's section, through the application's hook. */
static int parse_resolver(struct cfg_ctx *c, json_t *root,
			  struct dpx_config *cfg)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(root, "resolver");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "resolver");
	if (ext == NULL || ext->resolver == NULL)
		return cfg_fail(c, true, "a DNS resolver is not supported by "
				"this program");
	if (ext->resolver(c, v, &cfg->resolver) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* "acls": lib/acl's section, after "workers" (one regex copy each). */
static int parse_acls(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(root, "acls");

	if (v == NULL)
		return 0;
	cfg_push_key(c, "acls");
	if (ext == NULL || ext->acls == NULL)
		return cfg_fail(c, true, "access control is not supported by "
				"this program");
	if (ext->acls(c, v, cfg->n_workers, &cfg->acls) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

/* "auth": lib/auth's authenticators, through the application's hook. */
static int parse_auth(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	const struct dpx_config_ext *ext = dpx_config_get_ext();
	json_t *v = json_object_get(root, "auth");
	struct cfg_acl_names acls;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "auth");
	if (ext == NULL || ext->auth == NULL)
		return cfg_fail(c, true, "proxy authentication is not "
				"supported by this program");
	acls.section = cfg->acls;
	acls.find = ext->acl_find;
	if (ext->auth(c, v, &acls, &cfg->auth) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

static int parse_root(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg)
{
	if (!json_is_object(root))
		return cfg_fail(c, false,
				"the top level must be an object, got %s",
				type_name(root));
	if (cfg_check_keys(c, root, top_keys) != 0 ||
	    parse_ports(c, root, cfg) != 0 ||
	    parse_workers(c, root, cfg) != 0 ||
	    parse_idle(c, root, cfg) != 0 ||
	    cfg_opt_u32(c, root, "idle_spin_us", 0, 1000000, false,
			&cfg->idle_spin_us) != 0 ||
	    parse_log_level(c, root, cfg) != 0 ||
	    parse_arp(c, root, &cfg->arp) != 0 ||
	    cfg_opt_u32(c, root, "mbufs_per_worker", 1024, 1048576, false,
			&cfg->mbufs_per_worker) != 0 ||
	    parse_tcp(c, root, cfg) != 0 ||
	    parse_cache(c, root, cfg) != 0 ||
	    parse_resolver(c, root, cfg) != 0 ||
	    parse_acls(c, root, cfg) != 0 ||
	    parse_auth(c, root, cfg) != 0 ||
	    cfg_parse_pools(c, root, cfg) != 0 ||
	    parse_listeners(c, root, cfg) != 0 ||
	    cfg_parse_access_log(c, root, cfg) != 0)
		return -1;
	return 0;
}

static void tcp_defaults(struct dpx_tcp_conf *t)
{
	t->congestion = DPX_CC_CUBIC;
	t->rcvbuf = 262144;
	t->sndbuf = 262144;
	t->max_connections = 65536;
	t->syn_cookies = DPX_SYNCOOKIE_AUTO;
	t->time_wait_ms = 60000;
	t->max_time_wait = 16384;
	t->rto_min_ms = 200;
	t->rto_max_ms = 120000;
	t->rto_initial_ms = 1000;
	t->delayed_ack_ms = 40;
	t->keepalive = false;
	t->keepalive_idle_ms = 7200000;
	t->keepalive_interval_ms = 75000;
	t->keepalive_probes = 9;
	t->ooo_max_segments = 1024;
	t->sack = true;
	t->timestamps = true;
	t->window_scaling = true;
	t->mss_clamp = 0;
}

static void set_defaults(struct dpx_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg->n_workers = 1;
	cfg->idle = DPX_IDLE_ADAPTIVE;
	cfg->idle_spin_us = 50;
	cfg->log_level = DPX_LOG_INFO;
	cfg->arp.max_entries = 1024;
	cfg->arp.timeout_ms = 60000;
	cfg->arp.retry_ms = 1000;
	cfg->arp.retries = 3;
	cfg->arp.max_pending = 8;
	cfg->mbufs_per_worker = 0;
	tcp_defaults(&cfg->tcp);
}

/* Jansson's message, kept on one line. */
static void json_syntax_error(const char *name, const json_error_t *je,
			      char *err, size_t errlen)
{
	char text[sizeof(je->text)];
	size_t i;

	for (i = 0; i + 1 < sizeof(text) && je->text[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)je->text[i];

		text[i] = ch < 0x20 || ch == 0x7F ? '?' : (char)ch;
	}
	text[i] = '\0';
	snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", name,
		 je->line > 0 ? je->line : 1, je->column > 0 ? je->column : 1,
		 text);
}

int dpx_config_load_buffer(const char *name, const char *text, size_t len,
			   struct dpx_config *cfg, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	struct cfg_ctx c;
	int rc;

	if (name == NULL)
		name = "<config>";
	if (text == NULL)
		text = "";
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (err != NULL && errlen > 0)
			json_syntax_error(name, &je, err, errlen);
		return -1;
	}
	set_defaults(cfg, name);
	c = (struct cfg_ctx){ .name = name, .text = text, .len = len,
			  .err = err, .errlen = errlen };
	rc = parse_root(&c, root, cfg);
	json_decref(root);
	if (rc != 0)
		dpx_config_release(cfg);
	return rc;
}

/* Set by the control plane before loading; never on the data path. */
static const struct dpx_config_ext *cfg_ext;

void dpx_config_set_ext(const struct dpx_config_ext *ext)
{
	cfg_ext = ext;
}

const struct dpx_config_ext *dpx_config_get_ext(void)
{
	return cfg_ext;
}

void dpx_config_release(struct dpx_config *cfg)
{
	for (size_t i = 0; i < DPX_MAX_LISTENERS; i++) {
		free(cfg->listeners[i].forward);
		cfg->listeners[i].forward = NULL;
		if (cfg->listeners[i].compression != NULL && cfg_ext != NULL &&
		    cfg_ext->release_compression != NULL)
			cfg_ext->release_compression(
				cfg->listeners[i].compression);
		cfg->listeners[i].compression = NULL;
		if (cfg->listeners[i].tls == NULL)
			continue;
		if (cfg_ext != NULL && cfg_ext->release_tls != NULL)
			cfg_ext->release_tls(cfg->listeners[i].tls);
		cfg->listeners[i].tls = NULL;
	}
	if (cfg->cache != NULL && cfg_ext != NULL &&
	    cfg_ext->release_cache != NULL)
		cfg_ext->release_cache(cfg->cache);
	cfg->cache = NULL;
	if (cfg->resolver != NULL && cfg_ext != NULL &&
	    cfg_ext->release_resolver != NULL)
		cfg_ext->release_resolver(cfg->resolver);
	cfg->resolver = NULL;
	if (cfg->acls != NULL && cfg_ext != NULL &&
	    cfg_ext->release_acls != NULL)
		cfg_ext->release_acls(cfg->acls);
	cfg->acls = NULL;
	if (cfg->auth != NULL && cfg_ext != NULL &&
	    cfg_ext->release_auth != NULL)
		cfg_ext->release_auth(cfg->auth);
	cfg->auth = NULL;
	for (size_t i = 0; i < DPX_MAX_ROUTES; i++) {
		if (cfg->routes[i].cache_rules != NULL && cfg_ext != NULL &&
		    cfg_ext->release_route_cache != NULL)
			cfg_ext->release_route_cache(cfg->routes[i].cache_rules);
		cfg->routes[i].cache_rules = NULL;
	}
	for (size_t i = 0; i < DPX_MAX_POOLS; i++) {
		if (cfg->pools[i].tls == NULL)
			continue;
		if (cfg_ext != NULL && cfg_ext->release_tls != NULL)
			cfg_ext->release_tls(cfg->pools[i].tls);
		cfg->pools[i].tls = NULL;
	}
}

static int read_error(const char *file, const char *why, char *err,
		      size_t errlen)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: cannot read: %s", file, why);
	return -1;
}

/* Whole file into a malloc'd buffer. */
static int read_file(const char *file, char **out, size_t *out_len,
		     char *err, size_t errlen)
{
	FILE *f = fopen(file, "rb");
	size_t len = 0, cap = 0, got;
	char *buf = NULL, *nb;
	int e;

	if (f == NULL)
		return read_error(file, strerror(errno), err, errlen);
	do {
		if (len == cap) {
			if (cap >= MAX_FILE_SIZE) {
				free(buf);
				fclose(f);
				return read_error(file, "file too large",
						  err, errlen);
			}
			cap = cap == 0 ? 4096 : cap * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return read_error(file, strerror(ENOMEM),
						  err, errlen);
			}
			buf = nb;
		}
		errno = 0;
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	e = errno != 0 ? errno : EIO;
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return read_error(file, strerror(e), err, errlen);
	}
	fclose(f);
	*out = buf;
	*out_len = len;
	return 0;
}

int dpx_config_load(const char *file, struct dpx_config *cfg,
		    char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	if (file == NULL)
		return read_error("(null)", strerror(EINVAL), err, errlen);
	if (read_file(file, &text, &len, err, errlen) != 0)
		return -1;
	rc = dpx_config_load_buffer(file, text, len, cfg, err, errlen);
	free(text);
	return rc;
}
