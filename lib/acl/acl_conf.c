/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "acls" section (docs/config.md#acls): each ACL's JSON is checked
 * and compiled in one walk, so that the configuration and a reload (the
 * same walk over the kept JSON, files read again) cannot disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl_priv.h"
#include "dpx_config_kit.h"

#define MAX_URL 2048
#define MAX_USER 255
#define MAX_METHOD 32

static const char *const acl_keys[] = {
	"default", "time", "deny_status", "deny_page", "deny_page_file",
	"rules", NULL
};
#define MATCHER_KEYS \
	"src", "dst", "dst_domain", "dst_domain_file", "port", "method", \
	"path_prefix", "path_regex", "user", "time", "days"

static const char *const rule_keys[] = {
	"name", "action", "redirect", "redirect_status", "deny_status",
	"deny_page", "deny_page_file", "not", MATCHER_KEYS, NULL
};
static const char *const matcher_keys[] = { MATCHER_KEYS, NULL };
static const char *const actions[] = { "allow", "deny", "redirect", NULL };
static const char *const clocks[] = { "utc", "local", NULL };

static const char default_page[] =
	"<!DOCTYPE html>\n<html><head><title>Access denied</title></head>"
	"<body><h1>Access denied</h1><p>This request is not allowed by the "
	"proxy's access rules.</p></body></html>\n";

struct build {
	struct cfg_ctx *c;
	struct dpx_acl *acl;
	struct acl_matcher *m;	/* the matcher being filled */
	uint32_t *net_addrs;	/* scratch of a "src" or "dst" list */
	uint8_t *net_lens;
	struct acl_domain_builder *domains;	/* of a dst_domain matcher */
};

/* ---- Lists: a string (one entry) or an array of them ---- */

typedef int (*item_fn)(struct build *b, json_t *item, size_t index);

static size_t list_size(json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : 1;
}

static int for_each(struct build *b, json_t *obj, const char *key,
		    item_fn fn)
{
	struct cfg_ctx *c = b->c;
	json_t *v = json_object_get(obj, key);
	size_t i, n;

	cfg_push_key(c, key);
	n = list_size(v);
	if (json_is_array(v) && (n == 0 || n > DPX_ACL_MAX_ITEMS))
		return cfg_fail(c, false, "1..%d entries", DPX_ACL_MAX_ITEMS);
	for (i = 0; i < n; i++) {
		if (json_is_array(v))
			cfg_push_index(c, i);
		if (fn(b, json_is_array(v) ? json_array_get(v, i) : v, i) != 0)
			return -1;
		if (json_is_array(v))
			cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

static int want_str(struct build *b, json_t *item, size_t max,
		    const char **s)
{
	return cfg_want_string(b->c, item, max, false, s);
}

/* ---- Matchers ---- */

static int net_item(struct build *b, json_t *item, size_t i)
{
	const char *s;

	if (want_str(b, item, 31, &s) != 0)
		return -1;
	if (acl_parse_net(s, &b->net_addrs[i], &b->net_lens[i]) != 0)
		return cfg_fail(b->c, false, "\"%s\" is not an IPv4 network "
				"(a.b.c.d or a.b.c.d/len, host bits zero)", s);
	return 0;
}

static int compile_nets(struct build *b, json_t *obj, const char *key)
{
	size_t n = list_size(json_object_get(obj, key));
	int rc = -1;

	b->net_addrs = malloc((n ? n : 1) * sizeof(*b->net_addrs));
	b->net_lens = malloc(n ? n : 1);
	if (b->net_addrs == NULL || b->net_lens == NULL)
		cfg_fail(b->c, true, "out of memory");
	else if (for_each(b, obj, key, net_item) == 0) {
		rc = acl_net_set_build(&b->m->u.nets, b->net_addrs,
				       b->net_lens, n, &b->acl->arena);
		if (rc != 0)
			cfg_fail(b->c, true, "out of memory");
	}
	free(b->net_addrs);
	free(b->net_lens);
	b->net_addrs = NULL;
	b->net_lens = NULL;
	return rc;
}

static int domain_item(struct build *b, json_t *item, size_t i)
{
	char name[ACL_DOMAIN_MAX];
	const char *s, *why;
	uint8_t flags;
	int len;

	(void)i;
	if (want_str(b, item, ACL_DOMAIN_MAX + 2, &s) != 0)
		return -1;
	len = acl_domain_normalise(s, strlen(s), name, &flags, &why);
	if (len < 0)
		return cfg_fail(b->c, false, "\"%s\" is not a domain: %s", s,
				why);
	if (acl_domain_builder_add(b->domains, name, (size_t)len, flags,
				   &why) != 0)
		return cfg_fail(b->c, false, "%s", why);
	return 0;
}

static int domain_file_item(struct build *b, json_t *item, size_t i)
{
	char err[DPX_ERR_LEN];
	const char *path;

	(void)i;
	if (want_str(b, item, 4095, &path) != 0)
		return -1;
	if (acl_domain_builder_add_file(b->domains, path, err,
					sizeof(err)) != 0)
		return cfg_fail(b->c, false, "%s", err);
	return 0;
}

static int compile_domains(struct build *b, json_t *obj)
{
	struct acl_domain_builder db;
	int rc = 0;

	acl_domain_builder_init(&db);
	b->domains = &db;
	if (json_object_get(obj, "dst_domain") != NULL)
		rc = for_each(b, obj, "dst_domain", domain_item);
	if (rc == 0 && json_object_get(obj, "dst_domain_file") != NULL)
		rc = for_each(b, obj, "dst_domain_file", domain_file_item);
	if (rc == 0) {
		rc = acl_domain_set_build(&b->m->u.domains, &db,
					  &b->acl->arena);
		if (rc != 0)
			cfg_fail(b->c, false, "out of memory");
		else
			b->acl->n_domains += b->m->u.domains.count;
	}
	b->domains = NULL;
	acl_domain_builder_release(&db);
	return rc;
}

/* n digits at s as a number; -1 when one is not a digit. */
static long digits(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int port_item(struct build *b, json_t *item, size_t i)
{
	struct acl_range *r = &b->m->u.ranges[i];
	long long lo, hi;
	bool ok = false;

	if (json_is_integer(item)) {
		if (cfg_want_int(b->c, item, 1, 65535, &lo) != 0)
			return -1;
		*r = (struct acl_range){ (uint32_t)lo, (uint32_t)lo };
		return 0;
	}
	if (json_is_string(item)) {
		const char *s = json_string_value(item);
		const char *dash = strchr(s, '-');

		if (dash != NULL && dash - s <= 5 && strlen(dash + 1) <= 5) {
			lo = digits(s, (size_t)(dash - s));
			hi = digits(dash + 1, strlen(dash + 1));
			ok = dash > s && dash[1] != '\0' && lo >= 1 &&
			     hi <= 65535 && lo <= hi;
		}
	}
	if (!ok)
		return cfg_fail(b->c, false, "expected a port (1..65535) or "
				"a range \"LOW-HIGH\"");
	*r = (struct acl_range){ (uint32_t)lo, (uint32_t)hi };
	return 0;
}

/* "HH:MM" or "HH:MM:SS" (24:00 as an end) into seconds of day. */
static int parse_clock(const char *s, size_t n, uint32_t *out)
{
	long h, m, sec = 0;

	if ((n != 5 && n != 8) || s[2] != ':' || (n == 8 && s[5] != ':'))
		return -1;
	h = digits(s, 2);
	m = digits(s + 3, 2);
	if (n == 8)
		sec = digits(s + 6, 2);
	if (h < 0 || m < 0 || sec < 0 || h > 24 || m > 59 || sec > 59 ||
	    (h == 24 && (m || sec)))
		return -1;
	*out = (uint32_t)(h * 3600 + m * 60 + sec);
	return 0;
}

static int time_item(struct build *b, json_t *item, size_t i)
{
	struct acl_range *r = &b->m->u.ranges[i];
	const char *s, *dash;

	if (want_str(b, item, 17, &s) != 0)
		return -1;
	dash = strchr(s, '-');
	if (dash == NULL || parse_clock(s, (size_t)(dash - s), &r->lo) != 0 ||
	    parse_clock(dash + 1, strlen(dash + 1), &r->hi) != 0 ||
	    r->lo == 86400)
		return cfg_fail(b->c, false, "\"%s\" is not a time range "
				"\"HH:MM-HH:MM\" (24:00 as an end)", s);
	if (r->lo == r->hi)
		return cfg_fail(b->c, false, "\"%s\" is empty; all day is "
				"\"00:00-24:00\"", s);
	return 0;
}

static int weekday_of(const char *s, size_t n)
{
	static const char names[] = "sunmontuewedthufrisat";

	for (int d = 0; n == 3 && d < 7; d++)
		if (strncasecmp(s, names + 3 * d, 3) == 0)
			return d;
	return -1;
}

/* "mon", or "mon-fri" (inclusive; "fri-mon" wraps past Sunday). */
static int days_item(struct build *b, json_t *item, size_t i)
{
	const char *s, *dash;
	int from, to;

	(void)i;
	if (want_str(b, item, 7, &s) != 0)
		return -1;
	dash = strchr(s, '-');
	from = weekday_of(s, dash ? (size_t)(dash - s) : strlen(s));
	to = dash ? weekday_of(dash + 1, strlen(dash + 1)) : from;
	if (from < 0 || to < 0)
		return cfg_fail(b->c, false, "\"%s\" is not a day (\"mon\") "
				"or a range of days (\"mon-fri\")", s);
	for (int d = from;; d = (d + 1) % 7) {
		b->m->days |= (uint8_t)(1u << d);
		if (d == to)
			break;
	}
	return 0;
}

static bool token_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", ch);
}

static int str_item(struct build *b, json_t *item, size_t i)
{
	struct acl_str *e = &b->m->u.strs[i];
	const char *s;

	switch (b->m->kind) {
	case ACL_METHOD:
		if (want_str(b, item, MAX_METHOD, &s) != 0)
			return -1;
		for (const char *p = s; *p; p++)
			if (!token_char((unsigned char)*p))
				return cfg_fail(b->c, false, "\"%s\" is not "
						"a method (an HTTP token)", s);
		break;
	case ACL_PATH_PREFIX:
		if (want_str(b, item, MAX_URL, &s) != 0)
			return -1;
		if (s[0] != '/')
			return cfg_fail(b->c, false, "\"%s\" does not start "
					"with '/'", s);
		break;
	default:	/* ACL_USER */
		if (want_str(b, item, MAX_USER, &s) != 0)
			return -1;
		if (strcmp(s, "*") == 0)
			b->m->any_user = true;
		break;
	}
	e->len = (uint32_t)strlen(s);
	e->s = acl_arena_strndup(&b->acl->arena, s, e->len);
	return e->s == NULL ? cfg_fail(b->c, false, "out of memory") : 0;
}

static int regex_item(struct build *b, json_t *item, size_t i)
{
	const struct dpx_acl *acl = b->acl;
	regex_t *re = b->m->u.regex;
	const char *s;
	char msg[128];
	int rc;

	if (want_str(b, item, MAX_URL, &s) != 0)
		return -1;
	for (unsigned int k = 0; k < acl->slots; k++) {
		rc = regcomp(&re[k * b->m->n + i], s,
			     REG_EXTENDED | REG_NOSUB);
		if (rc == 0)
			continue;
		regerror(rc, &re[k * b->m->n + i], msg, sizeof(msg));
		while (k-- > 0)
			regfree(&re[k * b->m->n + i]);
		return cfg_fail(b->c, false, "\"%s\": %s", s, msg);
	}
	return 0;
}

/* Regexes compiled so far are freed here on failure, since the matcher
 * is counted in its rule only when whole. */
static int compile_regexes(struct build *b, json_t *obj)
{
	struct acl_matcher *m = b->m;
	json_t *v = json_object_get(obj, "path_regex");
	size_t n = list_size(v), done;

	for (done = 0; done < n; done++) {
		json_t *item = json_is_array(v) ? json_array_get(v, done) : v;
		int rc;

		cfg_push_key(b->c, "path_regex");
		if (json_is_array(v))
			cfg_push_index(b->c, done);
		rc = regex_item(b, item, done);
		if (rc != 0)
			break;
		if (json_is_array(v))
			cfg_pop(b->c);
		cfg_pop(b->c);
	}
	if (done == n)
		return 0;
	for (size_t i = 0; i < done; i++)
		for (unsigned int k = 0; k < b->acl->slots; k++)
			regfree(&m->u.regex[k * m->n + i]);
	m->u.regex = NULL;
	return -1;
}

static int compile_entries(struct build *b, json_t *obj, const char *key,
			   size_t elem, item_fn fn)
{
	struct acl_matcher *m = b->m;
	json_t *v = json_object_get(obj, key);
	void *entries;

	m->n = (uint32_t)list_size(v);
	if (json_is_array(v) && (m->n == 0 || m->n > DPX_ACL_MAX_ITEMS)) {
		cfg_push_key(b->c, key);
		return cfg_fail(b->c, false, "1..%d entries",
				DPX_ACL_MAX_ITEMS);
	}
	entries = acl_arena_alloc(&b->acl->arena,
				  elem * m->n * (m->kind == ACL_PATH_REGEX ?
						 b->acl->slots : 1));
	if (entries == NULL)
		return cfg_fail(b->c, false, "out of memory");
	if (m->kind == ACL_PATH_REGEX) {
		m->u.regex = entries;
		return compile_regexes(b, obj);
	}
	if (m->kind == ACL_PORT || m->kind == ACL_TIME)
		m->u.ranges = entries;
	else
		m->u.strs = entries;
	return for_each(b, obj, key, fn);
}

static int compile_matcher(struct build *b, json_t *obj, enum acl_kind kind)
{
	switch (kind) {
	case ACL_SRC:
		return compile_nets(b, obj, "src");
	case ACL_DST:
		return compile_nets(b, obj, "dst");
	case ACL_DST_DOMAIN:
		return compile_domains(b, obj);
	case ACL_PORT:
		return compile_entries(b, obj, "port", sizeof(struct acl_range),
				       port_item);
	case ACL_TIME:
		return compile_entries(b, obj, "time", sizeof(struct acl_range),
				       time_item);
	case ACL_METHOD:
		return compile_entries(b, obj, "method", sizeof(struct acl_str),
				       str_item);
	case ACL_PATH_PREFIX:
		return compile_entries(b, obj, "path_prefix",
				       sizeof(struct acl_str), str_item);
	case ACL_USER:
		return compile_entries(b, obj, "user", sizeof(struct acl_str),
				       str_item);
	case ACL_PATH_REGEX:
		return compile_entries(b, obj, "path_regex", sizeof(regex_t),
				       NULL);
	case ACL_DAYS:
		return for_each(b, obj, "days", days_item);
	default:
		return -1;
	}
}

/* Config key of each kind (dst_domain_file feeds ACL_DST_DOMAIN too). */
static const char *const kind_keys[ACL_KIND_COUNT] = {
	[ACL_SRC] = "src", [ACL_DST] = "dst", [ACL_DST_DOMAIN] = "dst_domain",
	[ACL_PORT] = "port", [ACL_METHOD] = "method",
	[ACL_PATH_PREFIX] = "path_prefix", [ACL_PATH_REGEX] = "path_regex",
	[ACL_USER] = "user", [ACL_TIME] = "time", [ACL_DAYS] = "days",
};

static bool has_kind(json_t *obj, enum acl_kind k)
{
	return json_object_get(obj, kind_keys[k]) != NULL ||
	       (k == ACL_DST_DOMAIN &&
		json_object_get(obj, "dst_domain_file") != NULL);
}

/* The matchers of obj (a rule, or its "not") appended to r. */
static int compile_matchers(struct build *b, json_t *obj, bool negate,
			    struct acl_rule *r)
{
	for (int k = 0; k < ACL_KIND_COUNT; k++) {
		if (!has_kind(obj, (enum acl_kind)k))
			continue;
		b->m = &r->m[r->n_m];
		*b->m = (struct acl_matcher){ .kind = (enum acl_kind)k,
					      .negate = negate };
		if (compile_matcher(b, obj, (enum acl_kind)k) != 0)
			return -1;
		r->n_m++;
	}
	return 0;
}

/* ---- Deny pages, redirects ---- */

static int read_page(struct build *b, const char *path, const char **body,
		     uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = acl_arena_alloc(&b->acl->arena, DPX_ACL_MAX_PAGE + 1);
	size_t n = 0;

	if (f == NULL)
		return cfg_fail(b->c, false, "%s: cannot read: %s", path,
				strerror(errno));
	if (buf != NULL)
		n = fread(buf, 1, DPX_ACL_MAX_PAGE + 1, f);
	if (buf == NULL || ferror(f)) {
		fclose(f);
		return cfg_fail(b->c, false, "%s: cannot read", path);
	}
	fclose(f);
	if (n > DPX_ACL_MAX_PAGE)
		return cfg_fail(b->c, false, "%s: larger than %d bytes", path,
				DPX_ACL_MAX_PAGE);
	*body = buf;
	*len = (uint32_t)n;
	return 0;
}

/* "deny_status", "deny_page", "deny_page_file" of an ACL or a rule. */
static int parse_deny(struct build *b, json_t *obj, uint16_t *status,
		      const char **body, uint32_t *len)
{
	struct cfg_ctx *c = b->c;
	json_t *page = json_object_get(obj, "deny_page");
	json_t *file = json_object_get(obj, "deny_page_file");
	const char *s;

	if (cfg_opt_u16(c, obj, "deny_status", 400, 599, false, status) != 0)
		return -1;
	if (page != NULL && file != NULL) {
		cfg_push_key(c, "deny_page_file");
		return cfg_fail(c, true, "deny_page and deny_page_file "
				"exclude each other");
	}
	if (page != NULL) {
		cfg_push_key(c, "deny_page");
		if (cfg_want_string(c, page, DPX_ACL_MAX_PAGE, true, &s) != 0)
			return -1;
		*len = (uint32_t)strlen(s);
		*body = acl_arena_strndup(&b->acl->arena, s, *len);
		if (*body == NULL)
			return cfg_fail(c, false, "out of memory");
		cfg_pop(c);
	} else if (file != NULL) {
		cfg_push_key(c, "deny_page_file");
		if (cfg_want_string(c, file, 4095, false, &s) != 0 ||
		    read_page(b, s, body, len) != 0)
			return -1;
		cfg_pop(c);
	}
	return 0;
}

static bool url_ok(const char *s)
{
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
	    s[0] != '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int parse_redirect(struct build *b, json_t *obj, struct acl_rule *r)
{
	struct cfg_ctx *c = b->c;
	json_t *v = cfg_required(c, obj, "redirect");
	long long st = 302;
	const char *s;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "redirect");
	if (cfg_want_string(c, v, MAX_URL, false, &s) != 0)
		return -1;
	if (!url_ok(s))
		return cfg_fail(c, false, "expected an http:// or https:// "
				"URL or a path, without spaces or controls");
	r->location = acl_arena_strndup(&b->acl->arena, s, strlen(s));
	if (r->location == NULL)
		return cfg_fail(c, false, "out of memory");
	cfg_pop(c);
	if (cfg_opt_int(c, obj, "redirect_status", 301, 308, false, &st) != 0)
		return -1;
	if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308) {
		cfg_push_key(c, "redirect_status");
		return cfg_fail(c, false, "301, 302, 303, 307 or 308");
	}
	r->status = (uint16_t)st;
	return 0;
}

/* Keys that only some actions take. */
static int check_action_keys(struct cfg_ctx *c, json_t *obj,
			     enum dpx_acl_action a)
{
	static const char *const redirect_only[] = {
		"redirect", "redirect_status", NULL };
	static const char *const deny_only[] = {
		"deny_status", "deny_page", "deny_page_file", NULL };

	for (int i = 0; redirect_only[i]; i++)
		if (a != DPX_ACL_REDIRECT &&
		    json_object_get(obj, redirect_only[i]) != NULL) {
			cfg_push_key(c, redirect_only[i]);
			return cfg_fail(c, true, "only with \"action\": "
					"\"redirect\"");
		}
	for (int i = 0; deny_only[i]; i++)
		if (a != DPX_ACL_DENY &&
		    json_object_get(obj, deny_only[i]) != NULL) {
			cfg_push_key(c, deny_only[i]);
			return cfg_fail(c, true, "only with \"action\": "
					"\"deny\"");
		}
	return 0;
}

/* ---- Rules ---- */

static int rule_name(struct build *b, json_t *obj, uint32_t index,
		     struct acl_rule *r)
{
	struct cfg_ctx *c = b->c;
	char name[DPX_ACL_NAME_LEN];

	snprintf(name, sizeof(name), "rule%u", index);
	if (cfg_opt_string(c, obj, "name", cfg_check_name_chars, name,
			   sizeof(name)) != 0)
		return -1;
	if (name[0] == '\0') {
		cfg_push_key(c, "name");
		return cfg_fail(c, false, "an empty name");
	}
	for (uint32_t i = 0; i < index; i++)
		if (strcmp(b->acl->rules[i].name, name) == 0) {
			cfg_push_key(c, "name");
			return cfg_fail(c, false, "\"%s\" is also rule %u's "
					"name", name, i);
		}
	r->name = acl_arena_strndup(&b->acl->arena, name, strlen(name));
	return r->name == NULL ? cfg_fail(c, false, "out of memory") : 0;
}

static int compile_rule(struct build *b, json_t *obj, uint32_t index)
{
	struct cfg_ctx *c = b->c;
	struct acl_rule *r = &b->acl->rules[index];
	json_t *not = json_object_get(obj, "not");
	int action = 0;

	if (cfg_check_object(c, obj, "a rule object", rule_keys) != 0 ||
	    rule_name(b, obj, index, r) != 0 ||
	    cfg_required(c, obj, "action") == NULL ||
	    cfg_opt_choice(c, obj, "action", actions, &action) != 0 ||
	    check_action_keys(c, obj, (enum dpx_acl_action)action) != 0)
		return -1;
	r->action = (enum dpx_acl_action)action;
	r->status = b->acl->deny_status;
	r->body = b->acl->deny_body;
	r->body_len = b->acl->deny_body_len;
	if ((r->action == DPX_ACL_DENY &&
	     parse_deny(b, obj, &r->status, &r->body, &r->body_len) != 0) ||
	    (r->action == DPX_ACL_REDIRECT && parse_redirect(b, obj, r) != 0))
		return -1;
	r->m = acl_arena_alloc(&b->acl->arena,
			       2 * ACL_KIND_COUNT * sizeof(*r->m));
	if (r->m == NULL)
		return cfg_fail(c, false, "out of memory");
	if (compile_matchers(b, obj, false, r) != 0)
		return -1;
	if (not == NULL)
		return 0;
	cfg_push_key(c, "not");
	if (cfg_check_object(c, not, "an object of matchers",
			     matcher_keys) != 0 ||
	    compile_matchers(b, not, true, r) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

static int compile_rules(struct build *b, json_t *obj)
{
	struct cfg_ctx *c = b->c;
	json_t *rules = json_object_get(obj, "rules");
	size_t n;

	if (rules == NULL)
		return 0;
	cfg_push_key(c, "rules");
	if (!json_is_array(rules))
		return cfg_type_error(c, rules, "an array of rules");
	n = json_array_size(rules);
	if (n > DPX_ACL_MAX_RULES)
		return cfg_fail(c, false, "at most %d rules",
				DPX_ACL_MAX_RULES);
	b->acl->rules = acl_arena_alloc(&b->acl->arena,
					(n ? n : 1) * sizeof(struct acl_rule));
	if (b->acl->rules == NULL)
		return cfg_fail(c, false, "out of memory");
	for (size_t i = 0; i < n; i++) {
		cfg_push_index(c, i);
		/* Counted before it is whole: dpx_acl_free() must see its
		 * regexes, and the arena zeroed the rest. */
		b->acl->n_rules = (uint32_t)i + 1;
		if (compile_rule(b, json_array_get(rules, i), (uint32_t)i) != 0)
			return -1;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* Compile the ACL called name from obj, at the current path. */
static struct dpx_acl *compile_acl(struct cfg_ctx *c, const char *name,
				   json_t *obj, unsigned int slots)
{
	struct dpx_acl *acl = calloc(1, sizeof(*acl));
	struct build b = { .c = c, .acl = acl };
	int def = 1, clock = 0;

	if (acl == NULL) {
		cfg_fail(c, false, "out of memory");
		return NULL;
	}
	acl->slots = slots ? slots : 1;
	acl->deny_status = 403;
	acl->deny_body = default_page;
	acl->deny_body_len = sizeof(default_page) - 1;
	acl->name = acl_arena_strndup(&acl->arena, name, strlen(name));
	if (acl->name == NULL ||
	    cfg_check_object(c, obj, "an ACL object", acl_keys) != 0 ||
	    cfg_opt_choice(c, obj, "default", actions, &def) != 0 ||
	    cfg_opt_choice(c, obj, "time", clocks, &clock) != 0 ||
	    parse_deny(&b, obj, &acl->deny_status, &acl->deny_body,
		       &acl->deny_body_len) != 0 ||
	    compile_rules(&b, obj) != 0) {
		if (acl->name == NULL)
			cfg_fail(c, false, "out of memory");
		dpx_acl_free(acl);
		return NULL;
	}
	if (def == DPX_ACL_REDIRECT) {
		cfg_push_key(c, "default");
		cfg_fail(c, false, "\"allow\" or \"deny\"");
		dpx_acl_free(acl);
		return NULL;
	}
	acl->default_action = (enum dpx_acl_action)def;
	acl->local_time = clock == 1;
	return acl;
}

/* ---- The section ---- */

struct acl_entry {
	char name[DPX_ACL_NAME_LEN];
	json_t *json;			/* kept for dpx_acl_section_build */
	struct dpx_acl *compiled;	/* until taken */
};

struct dpx_acl_section {
	char *cfg_name;		/* the config file, for error positions */
	char *text;
	size_t len;
	unsigned int slots;
	unsigned int n;
	struct acl_entry acls[DPX_ACL_MAX_ACLS];
};

static int keep_source(struct dpx_acl_section *s, const struct cfg_ctx *c)
{
	s->cfg_name = strdup(c->name ? c->name : "<config>");
	s->len = c->text ? c->len : 0;
	s->text = malloc(s->len + 1);
	if (s->cfg_name == NULL || s->text == NULL)
		return -1;
	if (s->len > 0)
		memcpy(s->text, c->text, s->len);
	s->text[s->len] = '\0';
	return 0;
}

static int add_acl(struct cfg_ctx *c, struct dpx_acl_section *s,
		   const char *name, json_t *obj)
{
	struct acl_entry *e = &s->acls[s->n];

	cfg_push_key(c, name);
	if (strlen(name) >= DPX_ACL_NAME_LEN)
		return cfg_fail(c, true, "names are at most %d bytes",
				DPX_ACL_NAME_LEN - 1);
	if (cfg_check_name_chars(c, name) != 0)
		return -1;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->compiled = compile_acl(c, e->name, obj, s->slots);
	if (e->compiled == NULL)
		return -1;
	e->json = json_incref(obj);
	s->n++;
	cfg_pop(c);
	return 0;
}

int dpx_acl_section_parse(struct cfg_ctx *c, json_t *v, unsigned int slots,
			  void **out)
{
	struct dpx_acl_section *s = calloc(1, sizeof(*s));
	const char *name;
	json_t *obj;

	if (s == NULL || keep_source(s, c) != 0) {
		dpx_acl_section_free(s);
		return cfg_fail(c, false, "out of memory");
	}
	s->slots = slots ? slots : 1;
	if (!json_is_object(v)) {
		dpx_acl_section_free(s);
		return cfg_type_error(c, v, "an object of ACLs by name");
	}
	if (json_object_size(v) > DPX_ACL_MAX_ACLS) {
		dpx_acl_section_free(s);
		return cfg_fail(c, false, "at most %d ACLs", DPX_ACL_MAX_ACLS);
	}
	json_object_foreach(v, name, obj) {
		if (add_acl(c, s, name, obj) != 0) {
			dpx_acl_section_free(s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

void dpx_acl_section_free(void *section)
{
	struct dpx_acl_section *s = section;

	if (s == NULL)
		return;
	for (unsigned int i = 0; i < s->n; i++) {
		dpx_acl_free(s->acls[i].compiled);
		json_decref(s->acls[i].json);
	}
	free(s->cfg_name);
	free(s->text);
	free(s);
}

unsigned int dpx_acl_section_count(const struct dpx_acl_section *s)
{
	return s->n;
}

const char *dpx_acl_section_name(const struct dpx_acl_section *s,
				 unsigned int i)
{
	return i < s->n ? s->acls[i].name : NULL;
}

int dpx_acl_section_find(const struct dpx_acl_section *s, const char *name)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (strcmp(s->acls[i].name, name) == 0)
			return (int)i;
	return -1;
}

struct dpx_acl *dpx_acl_section_take(struct dpx_acl_section *s,
				     unsigned int i)
{
	struct dpx_acl *acl;

	if (i >= s->n)
		return NULL;
	acl = s->acls[i].compiled;
	s->acls[i].compiled = NULL;
	return acl;
}

struct dpx_acl *dpx_acl_section_build(const struct dpx_acl_section *s,
				      unsigned int i, char *err,
				      size_t errlen)
{
	struct cfg_ctx c = { .name = s->cfg_name, .text = s->text,
			     .len = s->len, .err = err, .errlen = errlen };

	if (i >= s->n) {
		snprintf(err, errlen, "no ACL %u", i);
		return NULL;
	}
	cfg_push_key(&c, "acls");
	cfg_push_key(&c, s->acls[i].name);
	return compile_acl(&c, s->acls[i].name, s->acls[i].json, s->slots);
}
