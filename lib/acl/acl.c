/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Evaluation of a compiled ACL, its accessors and its release, and the
 * arena that holds it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "acl_priv.h"

/* ---- Arena ---- */

#define ARENA_BLOCK (64 * 1024)
#define ARENA_ALIGN 16

struct acl_block {
	struct acl_block *next;
	size_t used, size;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

/* Blocks from this size on are 2 MB aligned and offered to transparent
 * huge pages: a lookup in a table of a million domains then costs cache
 * misses but no page walks. */
#define HUGE_PAGE (2u << 20)

static struct acl_block *new_block(struct acl_arena *a, size_t size)
{
	size_t total = sizeof(struct acl_block) + size;
	struct acl_block *b;

	if (total >= HUGE_PAGE) {
		total = (total + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
		b = aligned_alloc(HUGE_PAGE, total);
		if (b != NULL) {
			madvise(b, total, MADV_HUGEPAGE);
			memset(b, 0, total);
		}
	} else {
		b = calloc(1, total);
	}
	if (b == NULL)
		return NULL;
	b->size = size;
	b->next = a->head;
	a->head = b;
	return b;
}

void *acl_arena_alloc(struct acl_arena *a, size_t size)
{
	struct acl_block *b = a->head;
	void *p;

	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (size > ARENA_BLOCK / 4) {
		/* A big one (a domain table) gets a block of its own, put
		 * behind the current one so that its space is not lost. */
		struct acl_block *own = new_block(a, size);

		if (own == NULL)
			return NULL;
		if (b != NULL) {
			a->head = b;
			own->next = b->next;
			b->next = own;
		}
		own->used = size;
		return own->data;
	}
	if (b == NULL || b->size - b->used < size) {
		b = new_block(a, ARENA_BLOCK);
		if (b == NULL)
			return NULL;
	}
	p = b->data + b->used;
	b->used += size;
	return p;
}

char *acl_arena_strndup(struct acl_arena *a, const char *s, size_t n)
{
	char *p = acl_arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void acl_arena_release(struct acl_arena *a)
{
	while (a->head != NULL) {
		struct acl_block *b = a->head;

		a->head = b->next;
		free(b);
	}
}

/* ---- Evaluation ---- */

enum match { NO = 0, YES, UNKNOWN };

static bool in_ranges(const struct acl_matcher *m, uint32_t v)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (v >= m->u.ranges[i].lo && v <= m->u.ranges[i].hi)
			return true;
	return false;
}

/* Times of day are [lo, hi); lo > hi wraps past midnight. */
static bool in_times(const struct acl_matcher *m, uint32_t t)
{
	for (uint32_t i = 0; i < m->n; i++) {
		const struct acl_range *r = &m->u.ranges[i];

		if (r->lo <= r->hi ? t >= r->lo && t < r->hi
				   : t >= r->lo || t < r->hi)
			return true;
	}
	return false;
}

static bool in_strs(const struct acl_matcher *m, const char *s, uint32_t n,
		    bool prefix)
{
	for (uint32_t i = 0; i < m->n; i++) {
		const struct acl_str *e = &m->u.strs[i];

		if ((prefix ? e->len <= n : e->len == n) &&
		    memcmp(e->s, s, e->len) == 0)
			return true;
	}
	return false;
}

static bool regex_match(const struct acl_matcher *m, unsigned int slot,
			const char *path, uint32_t len)
{
	const regex_t *re = m->u.regex + (size_t)slot * m->n;

	for (uint32_t i = 0; i < m->n; i++) {
		regmatch_t span = { .rm_so = 0, .rm_eo = (regoff_t)len };

		if (regexec(&re[i], path ? path : "", 1, &span,
			    REG_STARTEND) == 0)
			return true;
	}
	return false;
}

static bool user_match(const struct acl_matcher *m,
		       const struct dpx_acl_request *rq)
{
	if (rq->user_len == 0)
		return false;
	return m->any_user || in_strs(m, rq->user, rq->user_len, false);
}

static enum match match_one(const struct acl_matcher *m, unsigned int slot,
			    const struct dpx_acl_request *rq)
{
	switch (m->kind) {
	case ACL_SRC:
		return acl_net_set_match(&m->u.nets, ntohl(rq->client_addr));
	case ACL_DST:
		if (rq->dst_addr == 0)
			return UNKNOWN;
		return acl_net_set_match(&m->u.nets, ntohl(rq->dst_addr));
	case ACL_DST_DOMAIN:
		return acl_domain_set_match(&m->u.domains, rq->host,
					    rq->host_len);
	case ACL_PORT:
		return in_ranges(m, rq->port);
	case ACL_METHOD:
		return in_strs(m, rq->method, rq->method_len, false);
	case ACL_PATH_PREFIX:
		return in_strs(m, rq->path, rq->path_len, true);
	case ACL_PATH_REGEX:
		return regex_match(m, slot, rq->path, rq->path_len);
	case ACL_USER:
		return user_match(m, rq);
	case ACL_TIME:
		return in_times(m, rq->time_of_day);
	case ACL_DAYS:
		return rq->weekday < 7 && (m->days >> rq->weekday & 1);
	default:
		return NO;
	}
}

/* YES, NO, or UNKNOWN when only the unresolved destination is missing. */
static enum match rule_match(const struct acl_rule *r, unsigned int slot,
			     const struct dpx_acl_request *rq)
{
	bool unknown = false;

	for (uint32_t i = 0; i < r->n_m; i++) {
		enum match v = match_one(&r->m[i], slot, rq);

		if (v == UNKNOWN)
			unknown = true;
		else if ((v == YES) == r->m[i].negate)
			return NO;
	}
	return unknown ? UNKNOWN : YES;
}

static void set_result(const struct dpx_acl *acl, int rule,
		       enum dpx_acl_action action,
		       struct dpx_acl_result *res)
{
	const struct acl_rule *r = rule >= 0 ? &acl->rules[rule] : NULL;

	*res = (struct dpx_acl_result){ .action = action, .rule = rule,
		.rule_name = r ? r->name : "default" };
	if (action == DPX_ACL_DENY) {
		res->status = r ? r->status : acl->deny_status;
		res->body = r ? r->body : acl->deny_body;
		res->body_len = r ? r->body_len : acl->deny_body_len;
	} else if (action == DPX_ACL_REDIRECT) {
		res->status = r->status;
		res->location = r->location;
	}
}

enum dpx_acl_action dpx_acl_eval(const struct dpx_acl *acl, unsigned int slot,
				 const struct dpx_acl_request *rq,
				 struct dpx_acl_result *res)
{
	slot %= acl->slots;
	for (uint32_t i = 0; i < acl->n_rules; i++) {
		enum match v = rule_match(&acl->rules[i], slot, rq);

		if (v == NO)
			continue;
		set_result(acl, (int)i, v == UNKNOWN ? DPX_ACL_NEED_DST
				     : acl->rules[i].action, res);
		return res->action;
	}
	set_result(acl, DPX_ACL_RULE_DEFAULT, acl->default_action, res);
	return res->action;
}

/* ---- Accessors ---- */

const char *dpx_acl_action_name(enum dpx_acl_action a)
{
	static const char *const names[] = {
		[DPX_ACL_ALLOW] = "allow", [DPX_ACL_DENY] = "deny",
		[DPX_ACL_REDIRECT] = "redirect",
		[DPX_ACL_NEED_DST] = "need_dst",
	};

	return (unsigned int)a < 4 ? names[a] : NULL;
}

void dpx_acl_clock(const struct dpx_acl *acl, time_t now,
		   uint32_t *time_of_day, uint8_t *weekday)
{
	struct tm tm;

	if ((acl->local_time ? localtime_r(&now, &tm)
			     : gmtime_r(&now, &tm)) == NULL) {
		*time_of_day = 0;
		*weekday = 0;
		return;
	}
	*time_of_day = (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 +
				  (tm.tm_sec > 59 ? 59 : tm.tm_sec));
	*weekday = (uint8_t)tm.tm_wday;
}

const char *dpx_acl_name(const struct dpx_acl *acl)
{
	return acl->name;
}

unsigned int dpx_acl_rule_count(const struct dpx_acl *acl)
{
	return acl->n_rules;
}

const char *dpx_acl_rule_name(const struct dpx_acl *acl, int i)
{
	if (i == DPX_ACL_RULE_DEFAULT)
		return "default";
	if (i < 0 || (uint32_t)i >= acl->n_rules)
		return NULL;
	return acl->rules[i].name;
}

size_t dpx_acl_domain_count(const struct dpx_acl *acl)
{
	return acl->n_domains;
}

void dpx_acl_free(struct dpx_acl *acl)
{
	if (acl == NULL)
		return;
	for (uint32_t r = 0; r < acl->n_rules; r++)
		for (uint32_t i = 0; i < acl->rules[r].n_m; i++) {
			struct acl_matcher *m = &acl->rules[r].m[i];

			if (m->kind != ACL_PATH_REGEX || m->u.regex == NULL)
				continue;
			for (size_t k = 0; k < (size_t)acl->slots * m->n; k++)
				regfree(&m->u.regex[k]);
		}
	acl_arena_release(&acl->arena);
	free(acl);
}
