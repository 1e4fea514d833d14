/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/acl: the compiled form of an ACL, its arena, domain sets
 * and network sets.
 */
#ifndef ACL_PRIV_H
#define ACL_PRIV_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpx_acl.h"

#define ACL_DOMAIN_MAX 253	/* without the trailing dot */
#define ACL_LABEL_MAX 63

/* Every allocation of a compiled ACL but its regexes lives in one arena
 * of chained blocks, released at once by acl_arena_release(). */
struct acl_block;
struct acl_arena {
	struct acl_block *head;
};

void *acl_arena_alloc(struct acl_arena *a, size_t size);
char *acl_arena_strndup(struct acl_arena *a, const char *s, size_t n);
void acl_arena_release(struct acl_arena *a);

/* ---- Domain sets ---- */

#define ACL_DOMAIN_EXACT 1u	/* "example.com": that name only */
#define ACL_DOMAIN_SUFFIX 2u	/* ".example.com": it and its subdomains */

/* Open addressing, power-of-two capacity, load at most 1/2, linear
 * probing; each slot keeps the name's full hash so that probes compare
 * bytes only on a hash match. Names are lower case, without the leading
 * or trailing dot, in one character pool. */
struct acl_domain_slot {
	uint32_t hash;		/* upper half of the 64-bit hash */
	uint32_t off;		/* into pool */
	uint8_t len;		/* 0: empty slot */
	uint8_t flags;		/* ACL_DOMAIN_* */
};

struct acl_domain_set {
	struct acl_domain_slot *slots;
	uint64_t mask;		/* capacity - 1 */
	size_t count;
	const char *pool;
};

/* Collects names (inline and from files) before the set is sized. */
struct acl_domain_builder {
	char *pool;
	size_t pool_len, pool_cap;
	struct acl_domain_slot *items;	/* off, len, flags; hash unused */
	size_t n, cap;
};

/*
 * Normalise a domain as written in a list: lower case, one trailing dot
 * dropped, a leading dot meaning ACL_DOMAIN_SUFFIX. Labels of letters,
 * digits, '-' and '_' (found in real block lists), 1..63 bytes, 253 in
 * all. Writes the name into out (ACL_DOMAIN_MAX bytes), returns its length
 * and sets *flags; -1 with a reason in *why when it is not a domain.
 */
int acl_domain_normalise(const char *s, size_t n, char *out, uint8_t *flags,
			 const char **why);
/* The hash of a normalised name, as lookups compute it (right to left). */
uint64_t acl_domain_hash(const char *s, size_t n);

void acl_domain_builder_init(struct acl_domain_builder *b);
void acl_domain_builder_release(struct acl_domain_builder *b);
/* 0, or -1 with a reason (out of memory) in *why. */
int acl_domain_builder_add(struct acl_domain_builder *b, const char *name,
			   size_t len, uint8_t flags, const char **why);
/*
 * A list file's text: one domain per line, blank lines and '#' comments
 * (whole lines or after the name) skipped, CR LF accepted. On a bad line
 * writes "FNAME:LINE: message" into err and returns -1.
 */
int acl_domain_builder_add_text(struct acl_domain_builder *b,
				const char *text, size_t len,
				const char *fname, char *err, size_t errlen);
/* Read file path into b; errors as above, or "FNAME: cannot read: ...". */
int acl_domain_builder_add_file(struct acl_domain_builder *b,
				const char *path, char *err, size_t errlen);
/* The set, allocated in a (duplicates merged: flags ORed); -1 when out
 * of memory. */
int acl_domain_set_build(struct acl_domain_set *set,
			 const struct acl_domain_builder *b,
			 struct acl_arena *a);
/* Does host (any case, one trailing dot allowed) match the set? */
bool acl_domain_set_match(const struct acl_domain_set *set, const char *host,
			  size_t len);

/* ---- IPv4 network sets ---- */

/* Entries sorted by prefix length (longest first), then network; one
 * group per length present. A lookup masks the address once per group
 * and binary-searches it: O(lengths x log n), no DPDK memory needed. */
struct acl_net_group {
	uint8_t len;
	uint32_t first, count;
};

struct acl_net_set {
	uint32_t *nets;		/* host byte order, masked */
	struct acl_net_group groups[33];
	uint32_t n_groups;
};

/* "a.b.c.d/len" or "a.b.c.d" into host-order network and length; host
 * bits must be zero. -1 when it is not such a network. */
int acl_parse_net(const char *s, uint32_t *net, uint8_t *len);
/* Set from nets[i] with lens[i], n entries, in a. -1: out of memory. */
int acl_net_set_build(struct acl_net_set *set, const uint32_t *nets,
		      const uint8_t *lens, size_t n, struct acl_arena *a);
/* addr in host byte order. */
bool acl_net_set_match(const struct acl_net_set *set, uint32_t addr);

/* ---- Rules ---- */

enum acl_kind {
	ACL_SRC = 0,
	ACL_DST,
	ACL_DST_DOMAIN,
	ACL_PORT,
	ACL_METHOD,
	ACL_PATH_PREFIX,
	ACL_PATH_REGEX,
	ACL_USER,
	ACL_TIME,
	ACL_DAYS,
	ACL_KIND_COUNT
};

struct acl_str {
	const char *s;
	uint32_t len;
};

struct acl_range {
	uint32_t lo, hi;	/* ports: inclusive; times: [lo, hi) */
};

struct acl_matcher {
	enum acl_kind kind;
	bool negate;
	uint32_t n;		/* entries of strs, ranges or regex per slot */
	bool any_user;		/* ACL_USER: "*" was listed */
	uint8_t days;		/* ACL_DAYS: bit 0 Sunday .. bit 6 Saturday */
	union {
		struct acl_domain_set domains;
		struct acl_net_set nets;
		struct acl_str *strs;		/* methods, prefixes, users */
		struct acl_range *ranges;	/* ports, times */
		regex_t *regex;			/* [slot * n + i] */
	} u;
};

struct acl_rule {
	const char *name;
	enum dpx_acl_action action;
	uint16_t status;
	const char *body;	/* deny page */
	uint32_t body_len;
	const char *location;
	struct acl_matcher *m;
	uint32_t n_m;
};

struct dpx_acl {
	const char *name;
	bool local_time;
	enum dpx_acl_action default_action;
	uint16_t deny_status;
	const char *deny_body;
	uint32_t deny_body_len;
	struct acl_rule *rules;
	uint32_t n_rules;
	unsigned int slots;	/* regex copies */
	size_t n_domains;
	struct acl_arena arena;
};

#endif /* ACL_PRIV_H */
