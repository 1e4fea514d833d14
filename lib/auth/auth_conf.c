/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The top-level "auth" section (docs/config.md#auth): named
 * authenticators, each with its users file, realm, cache, failure limit
 * and per-user rules. Parsed with lib/core's toolkit through the
 * application's hook, like "cache".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_auth.h"
#include "dpx_config_kit.h"

static const char *const auth_keys[] = {
	"users_file", "realm", "cache_ttl_s", "cache_entries",
	"max_failures_per_min", "clients_tracked", "queue_size", "users",
	NULL
};
static const char *const rule_keys[] = {
	"acl", "egress_address", "deny", NULL
};

static void conf_defaults(struct dpx_auth_conf *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->realm, sizeof(a->realm), "dpx");
	a->cache_ttl_s = 300;
	a->cache_entries = 4096;
	a->max_failures_per_min = 10;
	a->clients_tracked = 4096;
	a->queue_size = 64;
}

static int realm_check(struct cfg_ctx *c, const char *s)
{
	char buf[DPX_AUTH_CHALLENGE_MAX];

	if (*s == '\0' || dpx_auth_challenge(s, buf, sizeof(buf)) < 0)
		return cfg_fail(c, false, "a realm is 1..%d bytes without "
				"control characters", DPX_AUTH_REALM_MAX);
	return 0;
}

static int acl_check(struct cfg_ctx *c, const char *s)
{
	if (*s == '\0')
		return cfg_fail(c, false, "an ACL name may not be empty");
	return cfg_check_name_chars(c, s);
}

static int parse_egress(struct cfg_ctx *c, json_t *v, uint32_t *addr)
{
	json_t *e = json_object_get(v, "egress_address");
	struct in_addr in;
	const char *s;

	if (e == NULL)
		return 0;
	cfg_push_key(c, "egress_address");
	if (cfg_want_string(c, e, 15, false, &s) != 0)
		return -1;
	if (inet_pton(AF_INET, s, &in) != 1 || in.s_addr == 0)
		return cfg_fail(c, false, "\"%s\" is not an IPv4 address", s);
	*addr = in.s_addr;
	cfg_pop(c);
	return 0;
}

/* The rule's "acl" to its index in "acls" (the proxy's lookup). */
static int resolve_acl(struct cfg_ctx *c, const struct cfg_acl_names *acls,
		       struct dpx_auth_rule *r)
{
	char q[QUOTE_LEN];

	r->acl_index = -1;
	if (r->acl[0] == '\0')
		return 0;
	cfg_push_key(c, "acl");
	cfg_quote(q, sizeof(q), r->acl);
	if (acls == NULL || acls->section == NULL || acls->find == NULL)
		return cfg_fail(c, false, "%s: there is no \"acls\" section "
				"to name an ACL of", q);
	r->acl_index = acls->find(acls->section, r->acl);
	if (r->acl_index < 0)
		return cfg_fail(c, false, "%s is not an ACL of \"acls\"", q);
	cfg_pop(c);
	return 0;
}

static int parse_rule(struct cfg_ctx *c, const char *user, json_t *v,
		      const struct cfg_acl_names *acls,
		      struct dpx_auth_rule *r)
{
	size_t n = strlen(user);

	memset(r, 0, sizeof(*r));
	if (n == 0 || n > DPX_AUTH_USER_MAX || strpbrk(user, ": \t") != NULL)
		return cfg_fail(c, true, "a user name is 1..%d bytes without "
				"':' or spaces (\"*\": every other user)",
				DPX_AUTH_USER_MAX);
	memcpy(r->user, user, n + 1);
	if (cfg_check_object(c, v, "an object", rule_keys) != 0 ||
	    cfg_opt_string(c, v, "acl", acl_check, r->acl,
			   sizeof(r->acl)) != 0 ||
	    resolve_acl(c, acls, r) != 0 ||
	    parse_egress(c, v, &r->egress_addr) != 0 ||
	    cfg_opt_bool(c, v, "deny", &r->deny) != 0)
		return -1;
	return 0;
}

static int parse_rules(struct cfg_ctx *c, json_t *obj,
		       const struct cfg_acl_names *acls,
		       struct dpx_auth_conf *a)
{
	json_t *v = json_object_get(obj, "users"), *e;
	const char *user;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "users");
	if (!json_is_object(v))
		return cfg_type_error(c, v, "an object of rules by user name");
	if (json_object_size(v) > DPX_AUTH_MAX_RULES)
		return cfg_fail(c, false, "at most %d rules",
				DPX_AUTH_MAX_RULES);
	a->rules = calloc(json_object_size(v) ? json_object_size(v) : 1,
			  sizeof(*a->rules));
	if (a->rules == NULL)
		return cfg_fail(c, false, "out of memory");
	json_object_foreach(v, user, e) {
		cfg_push_key(c, user);
		if (parse_rule(c, user, e, acls, &a->rules[a->n_rules]) != 0)
			return -1;
		a->n_rules++;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* Loaded once here so that --check-config reports a bad users file. */
static int parse_users_file(struct cfg_ctx *c, json_t *obj,
			    struct dpx_auth_conf *a)
{
	json_t *v = cfg_required(c, obj, "users_file");
	struct dpx_auth_users *u;
	char err[512];
	const char *s;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "users_file");
	if (cfg_want_string(c, v, sizeof(a->users_file) - 1, false, &s) != 0)
		return -1;
	snprintf(a->users_file, sizeof(a->users_file), "%s", s);
	u = dpx_auth_users_load(s, err, sizeof(err));
	if (u == NULL)
		return cfg_fail(c, false, "%s", err);
	dpx_auth_users_free(u);
	cfg_pop(c);
	return 0;
}

static int parse_one(struct cfg_ctx *c, const char *name, json_t *v,
		     const struct cfg_acl_names *acls, struct dpx_auth_conf *a)
{
	conf_defaults(a);
	if (strlen(name) == 0 || strlen(name) >= sizeof(a->name))
		return cfg_fail(c, true, "a name is 1..%zu characters",
				sizeof(a->name) - 1);
	if (cfg_check_name_chars(c, name) != 0)
		return -1;
	snprintf(a->name, sizeof(a->name), "%s", name);
	return cfg_check_object(c, v, "an object", auth_keys) != 0 ||
	       parse_users_file(c, v, a) != 0 ||
	       cfg_opt_string(c, v, "realm", realm_check, a->realm,
			      sizeof(a->realm)) != 0 ||
	       cfg_opt_u32(c, v, "cache_ttl_s", 0, 86400, false,
			   &a->cache_ttl_s) != 0 ||
	       cfg_opt_u32(c, v, "cache_entries", 16, 1 << 20, true,
			   &a->cache_entries) != 0 ||
	       cfg_opt_u32(c, v, "max_failures_per_min", 0, 100000, false,
			   &a->max_failures_per_min) != 0 ||
	       cfg_opt_u32(c, v, "clients_tracked", 16, 1 << 20, true,
			   &a->clients_tracked) != 0 ||
	       cfg_opt_u32(c, v, "queue_size", 4, 4096, true,
			   &a->queue_size) != 0 ||
	       parse_rules(c, v, acls, a) != 0 ? -1 : 0;
}

int dpx_auth_section_parse(struct cfg_ctx *c, json_t *v,
			   const struct cfg_acl_names *acls, void **out)
{
	struct dpx_auth_section *s = calloc(1, sizeof(*s));
	const char *name;
	json_t *e;

	*out = NULL;
	if (s == NULL)
		return cfg_fail(c, false, "out of memory");
	if (!json_is_object(v) || json_object_size(v) > DPX_AUTH_MAX) {
		dpx_auth_section_free(s);
		return json_is_object(v) ?
			cfg_fail(c, false, "at most %d authenticators",
				 DPX_AUTH_MAX) :
			cfg_type_error(c, v, "an object of authenticators "
				       "by name");
	}
	json_object_foreach(v, name, e) {
		cfg_push_key(c, name);
		if (parse_one(c, name, e, acls, &s->auth[s->n++]) != 0) {
			dpx_auth_section_free(s);
			return -1;
		}
		cfg_pop(c);
	}
	*out = s;
	return 0;
}

void dpx_auth_section_free(void *section)
{
	struct dpx_auth_section *s = section;

	if (s == NULL)
		return;
	for (unsigned int i = 0; i < s->n; i++)
		free(s->auth[i].rules);
	free(s);
}

const struct dpx_auth_conf *dpx_auth_section_find(
	const struct dpx_auth_section *s, const char *name)
{
	for (unsigned int i = 0; s != NULL && i < s->n; i++)
		if (strcmp(s->auth[i].name, name) == 0)
			return &s->auth[i];
	return NULL;
}

int dpx_auth_section_index(const void *section, const char *name)
{
	const struct dpx_auth_conf *a = dpx_auth_section_find(section, name);

	return a != NULL ?
	       (int)(a - ((const struct dpx_auth_section *)section)->auth) : -1;
}
