/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/core: the state of one configuration walk and the checks
 * shared by the loader's files (config.c: document, ports, workers, arp,
 * listeners, tcp; config_proxy.c: pools, routes, the proxy settings of
 * listeners, access_log).
 *
 * Every check runs at the current key path (cfg_push_key/cfg_push_index
 * before looking at a member, cfg_pop once it is accepted), and the first
 * problem is reported through cfg_fail(), which returns -1: callers return
 * at once and never pop after a failure, so the path still names the
 * offending value.
 */
#ifndef DPX_CONFIG_PRIV_H
#define DPX_CONFIG_PRIV_H

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

/* Names of enum dpx_listener_mode, NULL-terminated. */
extern const char *const cfg_listener_modes[];

/* config_proxy.c, called by config.c. Pools are parsed before listeners
 * so that listeners and routes can name them. */
int cfg_parse_pools(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg);
int cfg_parse_access_log(struct cfg_ctx *c, json_t *root,
			 struct dpx_config *cfg);
/* Proxy keys of listener idx (defaults for every mode), after its mode
 * is known. */
int cfg_parse_listener_proxy(struct cfg_ctx *c, json_t *l,
			     struct dpx_config *cfg, size_t idx);

#endif /* DPX_CONFIG_PRIV_H */
