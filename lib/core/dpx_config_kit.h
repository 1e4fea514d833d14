/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/core's JSON toolkit for configuration sections: the state of one
 * configuration walk (key path, source text for positions, the error
 * buffer) and typed checks. lib/core parses the sections it owns with it;
 * other modules parse theirs (lib/tls its "tls" objects) with the same
 * calls, through the hooks that the application sets with
 * dpx_config_set_ext() before it loads a file, so that no lower module
 * calls a higher one.
 *
 * Every check runs at the current key path (cfg_push_key/cfg_push_index
 * before looking at a member, cfg_pop once it is accepted), and the first
 * problem is reported through cfg_fail(), which returns -1: callers return
 * at once and never pop after a failure, so the path still names the
 * offending value.
 */
#ifndef DPX_CONFIG_KIT_H
#define DPX_CONFIG_KIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dpx_core.h"
#include "json_locate.h"

#define PATH_DEPTH 8      /* deepest key path the messages name */
#define QUOTE_MAX 96      /* bytes of a string value quoted in a message */
#define QUOTE_LEN (QUOTE_MAX + 8) /* buffer for cfg_quote() */

struct cfg_ctx {
	const char *name;
	const char *text;
	size_t len;
	struct dpx_json_step path[PATH_DEPTH];
	size_t depth;
	char *err;
	size_t errlen;
};

/* Write "FILE:LINE:COL: key.path: message" for the current path (at the
 * last key itself when at_key, else at its value); always returns -1. */
int cfg_fail(struct cfg_ctx *c, bool at_key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cfg_type_error(struct cfg_ctx *c, const json_t *v, const char *expected);

void cfg_push_key(struct cfg_ctx *c, const char *key);
void cfg_push_index(struct cfg_ctx *c, size_t index);
void cfg_pop(struct cfg_ctx *c);

/* s as a double-quoted, escaped string (long ones cut) in buf. */
const char *cfg_quote(char *buf, size_t size, const char *s);
/* names (NULL-terminated) joined with ", " into buf. */
const char *cfg_join_names(char *buf, size_t size, const char *const *names);
bool cfg_in_list(const char *key, const char *const *list);

/* obj must have only keys from allowed (NULL-terminated). */
int cfg_check_keys(struct cfg_ctx *c, json_t *obj,
		   const char *const *allowed);
/* v must be an object ("expected WHAT") with only allowed keys. */
int cfg_check_object(struct cfg_ctx *c, json_t *v, const char *what,
		     const char *const *allowed);
/* Member key of obj, or NULL after reporting it missing. */
json_t *cfg_required(struct cfg_ctx *c, json_t *obj, const char *key);

int cfg_want_int(struct cfg_ctx *c, const json_t *v, long long lo,
		 long long hi, long long *out);
int cfg_req_int(struct cfg_ctx *c, json_t *obj, const char *key,
		long long lo, long long hi, long long *out);
/* Optional members: *out keeps its default when the key is absent. */
int cfg_opt_int(struct cfg_ctx *c, json_t *obj, const char *key,
		long long lo, long long hi, bool pow2, long long *out);
int cfg_opt_u32(struct cfg_ctx *c, json_t *obj, const char *key,
		long long lo, long long hi, bool pow2, uint32_t *out);
int cfg_opt_u16(struct cfg_ctx *c, json_t *obj, const char *key,
		long long lo, long long hi, bool pow2, uint16_t *out);
int cfg_opt_bool(struct cfg_ctx *c, json_t *obj, const char *key,
		 bool *out);
int cfg_opt_choice(struct cfg_ctx *c, json_t *obj, const char *key,
		   const char *const *names, int *out);

/* A string of 1..max bytes (0..max when may_be_empty). */
int cfg_want_string(struct cfg_ctx *c, const json_t *v, size_t max,
		    bool may_be_empty, const char **out);
int cfg_opt_string(struct cfg_ctx *c, json_t *obj, const char *key,
		   int (*check)(struct cfg_ctx *c, const char *s),
		   char *out, size_t size);
/* A string that must be one of names; *out is its index. */
int cfg_want_choice(struct cfg_ctx *c, const json_t *v,
		    const char *const *names, int *out);
/* Names of ports, listeners and pools: letters, digits, '_' and '-'. */
int cfg_check_name_chars(struct cfg_ctx *c, const char *s);

/* The ACL names of a parsed "acls" section, for the sections that refer
 * to them: find returns an ACL's index, or -1; section is NULL without
 * "acls". */
struct cfg_acl_names {
	const void *section;
	int (*find)(const void *section, const char *name);
};

/*
 * Sections owned by modules above lib/core. Each parser is called at the
 * member's path with its value; it returns 0 and its result in *out, or
 * -1 after cfg_fail(). Results are kept in the config (e.g.
 * dpx_listener_conf.tls) and handed back to release() by
 * dpx_config_release(). Without a hook the key is refused ("not
 * supported by this program").
 */
struct dpx_config_ext {
	/* A listener's "tls" object; http: the listener is mode http. */
	int (*listener_tls)(struct cfg_ctx *c, json_t *v, bool http,
			    void **out);
	void (*release_tls)(void *conf);
	/* A pool's "tls" object (TLS to its servers); released by
	 * release_tls too. */
	int (*pool_tls)(struct cfg_ctx *c, json_t *v, void **out);
	/* The top-level "cache" section (HTTP caching), and its release. */
	int (*cache)(struct cfg_ctx *c, json_t *v, void **out);
	void (*release_cache)(void *conf);
	/* A route's "cache" object (its TTLs): *enabled says whether the
	 * route caches; released by release_route_cache. */
	int (*route_cache)(struct cfg_ctx *c, json_t *v, bool *enabled,
			   void **out);
	void (*release_route_cache)(void *conf);
	/* An http listener's "compression" object, and its release. */
	int (*compression)(struct cfg_ctx *c, json_t *v, void **out);
	void (*release_compression)(void *conf);
	/* The top-level "resolver" section (lib/dns), and its release. */
	int (*resolver)(struct cfg_ctx *c, json_t *v, void **out);
	void (*release_resolver)(void *conf);
	/* The top-level "acls" section (access control), compiled with one
	 * copy of its regexes per worker, and its release. */
	int (*acls)(struct cfg_ctx *c, json_t *v, unsigned int n_workers,
		    void **out);
	void (*release_acls)(void *conf);
	/* The index of the ACL called name in the parsed "acls", or -1. */
	int (*acl_find)(const void *acls, const char *name);
	/* The top-level "auth" section (proxy authentication), and its
	 * release. Its per-user rules name ACLs of "acls" (parsed before
	 * it): acls resolves those names. */
	int (*auth)(struct cfg_ctx *c, json_t *v,
		    const struct cfg_acl_names *acls, void **out);
	void (*release_auth)(void *conf);
	/* The index of the authenticator called name in that section, or
	 * -1 (a forward listener's "auth"). */
	int (*auth_index)(const void *section, const char *name);
};

/* Control plane, before loading: the hooks stay in use until replaced. */
void dpx_config_set_ext(const struct dpx_config_ext *ext);
const struct dpx_config_ext *dpx_config_get_ext(void);

#endif /* DPX_CONFIG_KIT_H */
