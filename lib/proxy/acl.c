/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access control on forward listeners ("acl": NAME, lib/acl's rules).
 *
 * The control plane owns the compiled ACLs: one atomic pointer per entry
 * of "acls", read by workers inside a loop pass, replaced whole by a
 * reload and freed after an RCU grace period (the QSBR of the balancing
 * snapshots). A worker never keeps a pointer past its pass: a decision
 * that waits for the resolver, or for the verifier of a listener with
 * "auth", keeps a copy of the request's method and path instead and
 * evaluates again once the address or the user is known.
 *
 * With "auth", the authenticated user's rule may name an ACL of its own:
 * that one decides the user's requests instead of the listener's.
 *
 * Counters are the worker's: totals, and matches per rule number (index
 * 0 is the default action), summed by dpx_proxy_acl_report().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "dpx_acl.h"
#include "proxy_priv.h"

#define PX_ACL_PENDING 256          /* decisions awaiting a name, per worker,
				     * besides one per authentication park */
#define PX_ACL_PATH 2048            /* path bytes kept for them */

/* What a decision awaiting the destination address, or the user, needs
 * again. */
struct px_acl_pending {
	uint16_t method_len;
	uint16_t path_len;
	char method[16];
	char path[PX_ACL_PATH];
};

/* The ACL clock of one ACL, read at most once a second. */
struct px_acl_clock {
	const struct dpx_acl *acl;
	uint64_t sec;
	uint32_t time_of_day;
	uint8_t weekday;
};

struct px_acl_worker {
	struct dpx_proxy_acl_stats stats;
	struct rte_mempool *pending;
	struct px_acl_clock clock[DPX_ACL_MAX_ACLS];
	/* matches per rule, [0] the default: DPX_ACL_MAX_RULES + 1 each */
	uint64_t *hits[DPX_ACL_MAX_ACLS];
	/* the refusal being answered, valid within the event that decided */
	struct dpx_acl_result answer;
};

static struct dpx_acl_section *
px_acl_section(const struct dpx_proxy_shared *sh)
{
	return sh->cfg->acls;
}

/* ---- Control plane ---- */

int
px_acl_shared_init(struct dpx_proxy_shared *sh)
{
	struct dpx_acl_section *sec = px_acl_section(sh);

	pthread_mutex_init(&sh->acl.lock, NULL);
	if (sec == NULL)
		return 0;
	sh->acl.n = dpx_acl_section_count(sec);
	for (unsigned int i = 0; i < sh->acl.n; i++) {
		struct dpx_acl *a = dpx_acl_section_take(sec, i);

		if (a == NULL) {
			char err[512];

			a = dpx_acl_section_build(sec, i, err, sizeof(err));
			if (a == NULL) {
				DPX_ERR("acl %s: %s",
					dpx_acl_section_name(sec, i), err);
				return -1;
			}
		}
		atomic_store(&sh->acl.acl[i], a);
	}
	return 0;
}

void
px_acl_shared_fini(struct dpx_proxy_shared *sh)
{
	for (unsigned int i = 0; i < sh->acl.n; i++)
		dpx_acl_free(atomic_exchange(&sh->acl.acl[i], NULL));
	sh->acl.n = 0;
	pthread_mutex_destroy(&sh->acl.lock);
}

/* Every ACL built again, or none: 0, or -1 with err. */
static int
px_acl_rebuild(struct dpx_proxy_shared *sh, struct dpx_acl **fresh,
	       char *err, size_t errlen)
{
	struct dpx_acl_section *sec = px_acl_section(sh);
	char why[512];

	for (unsigned int i = 0; i < sh->acl.n; i++) {
		fresh[i] = dpx_acl_section_build(sec, i, why, sizeof(why));
		if (fresh[i] == NULL) {
			snprintf(err, errlen, "acl %s: %s",
				 dpx_acl_section_name(sec, i), why);
			for (unsigned int k = 0; k < i; k++)
				dpx_acl_free(fresh[k]);
			return -1;
		}
	}
	return 0;
}

int
dpx_proxy_acl_reload(struct dpx_proxy_shared *sh, unsigned int *n_acls,
		     char *err, size_t errlen)
{
	struct dpx_acl *fresh[DPX_ACL_MAX_ACLS], *old[DPX_ACL_MAX_ACLS];
	int rc;

	if (sh == NULL || sh->acl.n == 0) {
		snprintf(err, errlen, "no ACL to reload");
		return -1;
	}
	pthread_mutex_lock(&sh->acl.lock);
	rc = px_acl_rebuild(sh, fresh, err, errlen);
	if (rc == 0) {
		for (unsigned int i = 0; i < sh->acl.n; i++)
			old[i] = atomic_exchange(&sh->acl.acl[i], fresh[i]);
		/* no worker holds an old one past its next loop pass */
		rte_rcu_qsbr_synchronize(sh->qsbr, RTE_QSBR_THRID_INVALID);
		for (unsigned int i = 0; i < sh->acl.n; i++)
			dpx_acl_free(old[i]);
		*n_acls = sh->acl.n;
		atomic_fetch_add(&sh->acl.reloads, 1);
	} else {
		atomic_fetch_add(&sh->acl.reload_failures, 1);
	}
	pthread_mutex_unlock(&sh->acl.lock);
	if (rc == 0)
		DPX_INFO("ACLs reloaded: %u", sh->acl.n);
	else
		DPX_ERR("ACL reload refused, the current rules stay: %s", err);
	return rc;
}

static void
px_acl_sum(const struct dpx_proxy_shared *sh, int worker,
	   struct dpx_proxy_acl_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int w = 0; w < sh->n_workers; w++) {
		const struct dpx_proxy_worker *pw = sh->workers[w];
		const uint64_t *a;
		uint64_t *t = (uint64_t *)sum;

		if (pw == NULL || pw->acl == NULL ||
		    (worker >= 0 && (unsigned int)worker != w))
			continue;
		a = (const uint64_t *)&pw->acl->stats;
		for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
			t[i] += a[i];
	}
}

static uint64_t
px_acl_hits(const struct dpx_proxy_shared *sh, int worker, unsigned int acl,
	    int rule)
{
	uint64_t n = 0;

	for (unsigned int w = 0; w < sh->n_workers; w++) {
		const struct dpx_proxy_worker *pw = sh->workers[w];

		if (pw == NULL || pw->acl == NULL ||
		    (worker >= 0 && (unsigned int)worker != w))
			continue;
		n += pw->acl->hits[acl][rule + 1];
	}
	return n;
}

void
dpx_proxy_acl_report(struct dpx_proxy_shared *sh, int worker,
		     void (*add)(void *ctx, const char *key, uint64_t v),
		     void *ctx)
{
	struct dpx_proxy_acl_stats t;
	char key[DPX_ACL_NAME_LEN * 2 + 2];

	px_acl_sum(sh, worker, &t);
	add(ctx, "allowed", t.allowed);
	add(ctx, "denied", t.denied);
	add(ctx, "redirected", t.redirected);
	add(ctx, "need_dst", t.need_dst);
	add(ctx, "pending_full", t.pending_full);
	add(ctx, "path_too_long", t.path_too_long);
	add(ctx, "reloads", atomic_load(&sh->acl.reloads));
	add(ctx, "reload_failures", atomic_load(&sh->acl.reload_failures));
	/* the lock keeps a reload from freeing the names read here */
	pthread_mutex_lock(&sh->acl.lock);
	for (unsigned int i = 0; i < sh->acl.n; i++) {
		const struct dpx_acl *a = atomic_load(&sh->acl.acl[i]);
		int n = (int)dpx_acl_rule_count(a);

		for (int r = DPX_ACL_RULE_DEFAULT; r < n; r++) {
			snprintf(key, sizeof(key), "%s/%s", dpx_acl_name(a),
				 dpx_acl_rule_name(a, r));
			add(ctx, key, px_acl_hits(sh, worker, i, r));
		}
	}
	pthread_mutex_unlock(&sh->acl.lock);
}

void
dpx_proxy_acl_reload_counts(const struct dpx_proxy_shared *sh,
			    uint64_t *reloads, uint64_t *failures)
{
	*reloads = atomic_load(&sh->acl.reloads);
	*failures = atomic_load(&sh->acl.reload_failures);
}

/* ---- Worker ---- */

int
px_acl_worker_init(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_acl_worker *aw;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (pw->sh->acl.n == 0)
		return 0;
	aw = rte_zmalloc("dpx_acl_worker", sizeof(*aw), RTE_CACHE_LINE_SIZE);
	if (aw == NULL)
		return -ENOMEM;
	pw->acl = aw;
	for (unsigned int i = 0; i < pw->sh->acl.n; i++) {
		aw->hits[i] = rte_zmalloc("dpx_acl_hits", (DPX_ACL_MAX_RULES +
					  1) * sizeof(uint64_t), 0);
		if (aw->hits[i] == NULL)
			return -ENOMEM;
	}
	snprintf(name, sizeof(name), "dpx_acl_%u", w->index);
	aw->pending = rte_mempool_create(name, PX_ACL_PENDING + pw->auth.n_park,
			sizeof(struct px_acl_pending), 0, 0, NULL, NULL, NULL,
			NULL, (int)rte_socket_id(),
			RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	return aw->pending == NULL ? -ENOMEM : 0;
}

void
px_acl_worker_fini(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_acl_worker *aw = pw->acl;

	if (aw == NULL)
		return;
	pw->acl = NULL;
	rte_mempool_free(aw->pending);
	for (unsigned int i = 0; i < DPX_ACL_MAX_ACLS; i++)
		rte_free(aw->hits[i]);
	rte_free(aw);
}

const struct dpx_proxy_acl_stats *
dpx_proxy_worker_acl_stats(const struct dpx_worker *w)
{
	return w->proxy != NULL && w->proxy->acl != NULL ?
	       &w->proxy->acl->stats : NULL;
}

static void
px_acl_clock(struct dpx_worker *w, struct px_acl_clock *c,
	     const struct dpx_acl *acl, struct dpx_acl_request *rq)
{
	uint64_t sec = dpx_tcp_now_ms(w) / 1000;

	if (c->acl != acl || c->sec != sec) {
		dpx_acl_clock(acl, time(NULL), &c->time_of_day, &c->weekday);
		c->acl = acl;
		c->sec = sec;
	}
	rq->time_of_day = c->time_of_day;
	rq->weekday = c->weekday;
}

static char *
px_acl_rule_slot(struct px_session *s)
{
	return ((struct px_fwd_names *)(void *)s->fwd_host)->rule;
}

void
px_acl_release(struct dpx_worker *w, struct px_session *s)
{
	if (s->acl_pend == NULL)
		return;
	rte_mempool_put(px_w(w)->acl->pending, s->acl_pend);
	s->acl_pend = NULL;
}

/* The outcome counted and kept for the answer: 0, or -status. */
static int
px_acl_decided(struct dpx_worker *w, struct px_session *s, unsigned int idx,
	       const struct dpx_acl_result *res)
{
	struct px_acl_worker *aw = px_w(w)->acl;

	aw->hits[idx][res->rule + 1]++;
	snprintf(px_acl_rule_slot(s), PX_FWD_RULE, "%s", res->rule_name);
	switch (res->action) {
	case DPX_ACL_ALLOW:
		aw->stats.allowed++;
		return 0;
	case DPX_ACL_REDIRECT:
		aw->stats.redirected++;
		break;
	default:
		aw->stats.denied++;
		break;
	}
	aw->answer = *res;
	s->fwd_deny = PX_FWD_ACL;
	return -(int)res->status;
}

/* Keeps what a second evaluation needs; 0, or -status. */
static int
px_acl_store(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_acl_request *rq)
{
	struct px_acl_worker *aw = px_w(w)->acl;
	struct px_acl_pending *p;
	void *obj;

	if (rq->path_len > PX_ACL_PATH || rq->method_len > sizeof(p->method)) {
		aw->stats.path_too_long++;
		return -414;
	}
	if (rte_mempool_get(aw->pending, &obj) != 0) {
		aw->stats.pending_full++;
		return -503;
	}
	p = obj;
	p->method_len = (uint16_t)rq->method_len;
	p->path_len = (uint16_t)rq->path_len;
	memcpy(p->method, rq->method, rq->method_len);
	if (rq->path_len > 0)       /* CONNECT has no path: NULL */
		memcpy(p->path, rq->path, rq->path_len);
	s->acl_pend = p;
	return 0;
}

/* ... for a decision that waits for the destination address. */
static int
px_acl_keep(struct dpx_worker *w, struct px_session *s,
	    const struct dpx_acl_request *rq)
{
	px_w(w)->acl->stats.need_dst++;
	return px_acl_store(w, s, rq);
}

/* The ACL that decides s's request, by index in "acls": the
 * authenticated user's own (the "acl" of its auth rule) replaces the
 * listener's; -1: none. */
static int
px_acl_index(const struct px_session *s)
{
	if (s->auth_rule != NULL && s->auth_rule->acl_index >= 0)
		return s->auth_rule->acl_index;
	return s->fwd->acl;
}

/* The request's destination as known before resolution. */
static void
px_acl_dest(const struct px_session *s, struct dpx_acl_request *rq)
{
	uint32_t lit;

	rq->port = s->fwd_port;
	if (dpx_parse_ipv4(s->fwd_host, &lit) == 0) {
		rq->dst_addr = rte_cpu_to_be_32(lit);
		return;
	}
	rq->host = s->fwd_host;
	rq->host_len = (uint32_t)strlen(s->fwd_host);
	if (s->fwd_addr != 0)
		rq->dst_addr = rte_cpu_to_be_32(s->fwd_addr);
}

static enum dpx_acl_action
px_acl_eval(struct dpx_worker *w, struct px_session *s, unsigned int idx,
	    struct dpx_acl_request *rq, struct dpx_acl_result *res)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_acl *acl = atomic_load_explicit(&pw->sh->acl.acl[idx],
							memory_order_acquire);

	rq->client_addr = rte_cpu_to_be_32(s->caddr);
	rq->user = s->user;
	rq->user_len = (uint32_t)strlen(s->user);
	px_acl_clock(w, &pw->acl->clock[idx], acl, rq);
	return dpx_acl_eval(acl, w->index, rq, res);
}

/* The request's destination, method and path (none for CONNECT). */
static void
px_acl_request(const struct px_session *s, const struct dpx_http_request *req,
	       bool connect, struct dpx_acl_request *rq)
{
	struct dpx_http_target t;

	px_acl_dest(s, rq);
	rq->method = req->method.p;
	rq->method_len = req->method.len;
	if (!connect && dpx_http_target_split(req->target.p, req->target.len,
					      false, &t) == DPX_HTTP_T_OK) {
		rq->path = t.path.p;
		rq->path_len = t.path.len;
	}
}

/* The same from the copy kept in s->acl_pend. */
static void
px_acl_request_kept(const struct px_session *s, struct dpx_acl_request *rq)
{
	const struct px_acl_pending *p = s->acl_pend;

	px_acl_dest(s, rq);
	rq->method = p->method;
	rq->method_len = p->method_len;
	rq->path = p->path;
	rq->path_len = p->path_len;
}

int
px_acl_check(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_http_request *req, bool connect)
{
	struct dpx_acl_request rq = { 0 };
	struct dpx_acl_result res;
	int idx = px_acl_index(s);

	px_acl_release(w, s);
	if (idx < 0 || px_w(w)->acl == NULL)
		return 0;
	px_acl_request(s, req, connect, &rq);
	if (px_acl_eval(w, s, (unsigned int)idx, &rq, &res) ==
	    DPX_ACL_NEED_DST)
		return px_acl_keep(w, s, &rq);
	return px_acl_decided(w, s, (unsigned int)idx, &res);
}

int
px_acl_park(struct dpx_worker *w, struct px_session *s,
	    const struct dpx_http_request *req, bool connect)
{
	struct dpx_acl_request rq = { 0 };

	px_acl_release(w, s);
	if (px_w(w)->acl == NULL ||
	    (s->fwd->acl < 0 && !px_fwd_auth_names_acls(w, s)))
		return 0;
	px_acl_request(s, req, connect, &rq);
	return px_acl_store(w, s, &rq);
}

/* The copy in s->acl_pend against the ACL that decides now: 0 to go on,
 * or -status. A rule that still needs the address keeps the copy for
 * px_acl_recheck() when the name is yet to be resolved (dst_later), else
 * it denies. */
static int
px_acl_decide_kept(struct dpx_worker *w, struct px_session *s, bool dst_later)
{
	struct dpx_acl_request rq = { 0 };
	struct dpx_acl_result res;
	int idx = px_acl_index(s);
	int rc;

	if (s->acl_pend == NULL)
		return 0;
	if (idx < 0) {
		px_acl_release(w, s);
		return 0;
	}
	px_acl_request_kept(s, &rq);
	if (px_acl_eval(w, s, (unsigned int)idx, &rq, &res) ==
	    DPX_ACL_NEED_DST) {
		if (dst_later) {
			px_w(w)->acl->stats.need_dst++;
			return 0;
		}
		/* a reload put a dst rule first and there is no address */
		res.action = DPX_ACL_DENY;
		res.status = 403;
		res.rule = DPX_ACL_RULE_DEFAULT;
		res.rule_name = "unresolved";
		res.body = NULL;
		res.body_len = 0;
	}
	rc = px_acl_decided(w, s, (unsigned int)idx, &res);
	px_acl_release(w, s);
	return rc;
}

int
px_acl_authenticated(struct dpx_worker *w, struct px_session *s)
{
	return px_acl_decide_kept(w, s, true);
}

int
px_acl_recheck(struct dpx_worker *w, struct px_session *s)
{
	return px_acl_decide_kept(w, s, false);
}

const char *
px_acl_rule(const struct px_session *s)
{
	if (s->fwd == NULL || s->fwd_host == NULL)
		return "";
	return ((struct px_fwd_names *)(void *)s->fwd_host)->rule;
}

void
px_acl_rule_clear(struct px_session *s)
{
	if (s->fwd_host != NULL)
		((struct px_fwd_names *)(void *)s->fwd_host)->rule[0] = '\0';
}

static const char *
px_acl_reason(uint16_t status)
{
	static const struct { uint16_t status; const char *reason; } r[] = {
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 303, "See Other" }, { 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 407, "Proxy Authentication Required" },
		{ 429, "Too Many Requests" },
		{ 451, "Unavailable For Legal Reasons" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
	};

	for (size_t i = 0; i < RTE_DIM(r); i++)
		if (r[i].status == status)
			return r[i].reason;
	return status < 400 ? "Redirect" : "Denied";
}

/* The head of a refusal or a redirect; its length, or -1. */
static int
px_acl_head(char *buf, size_t cap, const struct dpx_acl_result *res)
{
	bool redirect = res->action == DPX_ACL_REDIRECT;
	int n = snprintf(buf, cap, "HTTP/1.1 %u %s\r\n%s%s%sContent-Type: "
			 "text/html\r\nContent-Length: %u\r\nConnection: "
			 "close\r\n\r\n", res->status,
			 px_acl_reason(res->status),
			 redirect ? "Location: " : "",
			 redirect ? res->location : "", redirect ? "\r\n" : "",
			 redirect ? 0 : res->body_len);

	return n > 0 && (size_t)n < cap ? n : -1;
}

bool
px_acl_answer(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_acl_result *res = &pw->acl->answer;
	struct rte_mempool *mp = dpx_tcp_pool(w);
	int n = px_acl_head(pw->scratch, pw->hbuf_size + 4096, res);
	uint32_t body = res->action == DPX_ACL_DENY ? res->body_len : 0;

	s->fwd_deny = PX_FWD_OK;
	s->status = res->status;
	if (res->status >= 500)
		pw->stats.errors_5xx++;
	else if (res->status >= 400)
		pw->stats.errors_4xx++;
	if (s->rsp_started || n < 0 ||
	    px_chain_add_bytes(mp, &s->to_cli, pw->scratch, (uint32_t)n) != 0 ||
	    (body > 0 && px_chain_add_bytes(mp, &s->to_cli, res->body,
					    body) != 0)) {
		px_session_log(w, s);
		px_session_end(w, s, true);
		return true;
	}
	s->rsp_started = true;
	s->bytes_out += (uint32_t)n + body;
	px_session_log(w, s);
	px_hbuf_put(w, s);
	px_session_end(w, s, false);
	return true;
}
