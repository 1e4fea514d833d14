/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/acl: access control for the forward proxy. It owns:
 *  - the top-level "acls" configuration section (schema, checks, docs in
 *    docs/config.md#acls), parsed through the application's config hook;
 *  - compiled rule sets (struct dpx_acl): ordered rules, first match
 *    wins, a default action; built on the control plane, immutable and
 *    self-contained afterwards, so that the proxy can publish one with an
 *    atomic pointer swap and free the old one after an RCU grace period;
 *  - evaluation of a request against a rule set on a worker: no lock, no
 *    allocation (path_regex aside, see dpx_acl_eval);
 *  - domain sets (exact and Squid-like ".suffix" names, inline or from
 *    files of any size, O(labels) lookups), IPv4 network sets, ports,
 *    methods, path prefixes and regexes, users, times of day and days of
 *    the week.
 * Counters per rule belong to the caller (per worker): rules are numbered
 * 0..dpx_acl_rule_count()-1, and the default action counts as
 * DPX_ACL_RULE_DEFAULT.
 */
#ifndef DPX_ACL_H
#define DPX_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DPX_ACL_MAX_ACLS 64
#define DPX_ACL_MAX_RULES 1024
#define DPX_ACL_NAME_LEN 64		/* incl. NUL */
#define DPX_ACL_MAX_ITEMS 4096		/* entries of one inline list */
#define DPX_ACL_MAX_PAGE (64 * 1024)	/* deny page bytes */
#define DPX_ACL_RULE_DEFAULT (-1)	/* result.rule of the default */

enum dpx_acl_action {
	DPX_ACL_ALLOW = 0,
	DPX_ACL_DENY,
	DPX_ACL_REDIRECT,
	/* Undecided: the first rule that may match needs the destination
	 * address (dst_addr was 0). Resolve the name, then evaluate again. */
	DPX_ACL_NEED_DST,
};

/* "allow", "deny", "redirect", "need_dst". */
const char *dpx_acl_action_name(enum dpx_acl_action a);

/*
 * What the proxy knows of a request. Strings are (pointer, length), not
 * NUL-terminated; a NULL pointer is an empty string.
 */
struct dpx_acl_request {
	uint32_t client_addr;	/* network byte order */
	/* Destination address, network byte order; 0 while the host name is
	 * not resolved yet: rules with "dst" (or "not": {"dst"}) then
	 * answer DPX_ACL_NEED_DST if every other matcher of theirs matches,
	 * so no rule is skipped and name-only rules before them decide
	 * without DNS. */
	uint32_t dst_addr;
	/* Destination host name, without port; empty when the request named
	 * an IP literal (dst_domain never matches it; "dst" does). Case and
	 * one trailing dot do not matter. */
	const char *host;
	uint32_t host_len;
	uint16_t port;		/* destination port */
	const char *method;	/* "GET", "CONNECT": case-sensitive */
	uint32_t method_len;
	const char *path;	/* origin-form path and query ("/a?b") */
	uint32_t path_len;
	const char *user;	/* authenticated user; empty: none */
	uint32_t user_len;
	/* Seconds since midnight, 0..86399, and the day of the week, 0
	 * (Sunday) to 6, on the ACL's clock ("time": "utc" or "local");
	 * dpx_acl_clock() computes them. */
	uint32_t time_of_day;
	uint8_t weekday;
};

struct dpx_acl_result {
	enum dpx_acl_action action;
	int rule;		/* rule index, DPX_ACL_RULE_DEFAULT */
	const char *rule_name;	/* "default" for the default */
	/* DENY: the status and page; REDIRECT: the status (301, 302, 303,
	 * 307, 308) and location. Owned by the ACL. */
	uint16_t status;
	const char *body;	/* DENY: page bytes, to be sent as text/html */
	uint32_t body_len;
	const char *location;	/* REDIRECT: NUL-terminated URL */
};

struct dpx_acl;

/*
 * Evaluate rq on a worker. slot picks the worker's copy of the compiled
 * regexes (glibc's regexec() locks its regex_t, so each worker has its
 * own): the worker index, below the slot count the ACL was built with
 * (taken modulo otherwise). Rules are tried in order; within a rule every
 * matcher must match (a negated one must not), within a matcher one entry
 * is enough. Returns res->action. Cost: O(labels of host) per domain
 * matcher, O(log n) per network length present, linear in the short
 * lists; path_regex runs glibc's regexec(), which allocates: avoid it on
 * hot paths or put cheaper rules first.
 */
enum dpx_acl_action dpx_acl_eval(const struct dpx_acl *acl, unsigned int slot,
				 const struct dpx_acl_request *rq,
				 struct dpx_acl_result *res);

/* Seconds of day and day of the week of now on the ACL's clock. For
 * "local" this calls localtime_r(), which takes glibc's time-zone lock:
 * call it once a second per worker (a timer), never per request. */
void dpx_acl_clock(const struct dpx_acl *acl, time_t now,
		   uint32_t *time_of_day, uint8_t *weekday);

const char *dpx_acl_name(const struct dpx_acl *acl);
unsigned int dpx_acl_rule_count(const struct dpx_acl *acl);
/* Rule i's name ("rule<i>" when the config gave none); "default" for
 * DPX_ACL_RULE_DEFAULT; NULL out of range. */
const char *dpx_acl_rule_name(const struct dpx_acl *acl, int i);
/* Domains in every domain set of the ACL (inline and files), after
 * duplicates within a set were merged. */
size_t dpx_acl_domain_count(const struct dpx_acl *acl);
void dpx_acl_free(struct dpx_acl *acl);

/*
 * The "acls" section: {"NAME": {ACL}, ...}. Parsing checks every key and
 * compiles every ACL (reading its files) with `slots` regex copies; the
 * section keeps each ACL's JSON so that it can be built again.
 */
struct dpx_acl_section;
struct cfg_ctx;
typedef struct json_t json_t;

int dpx_acl_section_parse(struct cfg_ctx *c, json_t *v, unsigned int slots,
			  void **out);
void dpx_acl_section_free(void *section);
unsigned int dpx_acl_section_count(const struct dpx_acl_section *s);
const char *dpx_acl_section_name(const struct dpx_acl_section *s,
				 unsigned int i);
/* Index of the ACL called name, or -1. */
int dpx_acl_section_find(const struct dpx_acl_section *s, const char *name);
/* The ACL compiled at parse time; the caller owns it from now on (free it
 * with dpx_acl_free); NULL when already taken. */
struct dpx_acl *dpx_acl_section_take(struct dpx_acl_section *s,
				     unsigned int i);
/*
 * Control plane: compile ACL i again from its JSON, re-reading its files
 * (a reload of block lists). NULL and a message in err ("FILE:LINE: ..."
 * for a bad line of a list) when it fails; the running ACL stays as it
 * is. Not thread-safe against itself: one reload at a time.
 */
struct dpx_acl *dpx_acl_section_build(const struct dpx_acl_section *s,
				      unsigned int i, char *err,
				      size_t errlen);

#endif /* DPX_ACL_H */
