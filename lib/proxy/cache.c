/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP caching on listeners with "cache": true: lib/cache's store (one
 * per process, shared by every worker) and lib/http's RFC 9111 rules,
 * wired into the session.
 *
 *   request  GET/HEAD: key "GET scheme://host/target" (HEAD is served
 *            from the GET entry) -> lookup -> the rules' decision on the
 *            stored head: fresh (HIT), stale but allowed (STALE), or to
 *            the server (MISS; a stale entry is kept for stale-if-error).
 *            Nothing stored: the first miss of a key leads a fill, later
 *            ones (any worker) wait for it and are answered from it.
 *            Unsafe methods invalidate the target; PURGE removes it.
 *   response the rules say whether it may be stored; a Content-Length
 *            body within the size limit is copied into the store as it
 *            passes to the client, and published only when complete, so
 *            a body cut short is never stored or served. A chunked body
 *            passes to the client as it came and is stored de-chunked,
 *            published (with a Content-Length head) once its last chunk
 *            is in.
 *
 * Responses served from the store are written from the stored head (the
 * listener's response rewrite applies as for the server's), with the
 * cache's Age and X-Cache; their bodies are clones of the stored mbufs.
 * Vary: the primary key holds a marker whose head is the Vary names; the
 * response itself is stored under the request's values of those names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "proxy_priv.h"

#define PX_CREQS 1024               /* cacheable requests at once, per worker */
#define PX_CACHE_F_VARY 0x0100      /* a Vary marker, not a response */
#define PX_WAIT_BUDGET 64
#define PX_BG_MAX 64                /* background refreshes at once, per worker */

static const char *const cs_names[PX_CS_COUNT] = {
	"-", "MISS", "HIT", "STALE", "BYPASS", "REVALIDATED"
};

const char *
px_cache_status_name(unsigned int st)
{
	return st < PX_CS_COUNT ? cs_names[st] : "-";
}

static int64_t
px_now_s(void)
{
	return (int64_t)time(NULL);
}

/* The rules' settings for s's request: its route's TTLs, if any. */
static const struct dpx_http_cache_cfg *
px_rules(struct dpx_worker *w, const struct px_session *s)
{
	if (s->route == NULL || s->route->cache_rules == NULL)
		return &px_w(w)->ccfg;
	return &px_w(w)->route_ccfg[s->route - w->cfg->routes];
}

static struct dpx_cache *
px_store(struct dpx_worker *w)
{
	return px_w(w)->sh->cache;
}

static const struct dpx_cache_section *
px_section(struct dpx_worker *w)
{
	return w->cfg->cache;
}

int
px_cache_worker_init(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_cache_section *cs = px_section(w);
	char name[RTE_MEMPOOL_NAMESIZE];

	TAILQ_INIT(&pw->cache_wait);
	TAILQ_INIT(&pw->cache_bg);
	if (pw->sh->cache == NULL)
		return 0;
	pw->ccfg = dpx_http_cache_default_cfg;
	pw->ccfg.heuristics = cs->heuristics;
	pw->ccfg.stale_grace = cs->grace_s;
	pw->ccfg.ignore_request_cc = cs->ignore_request_cc;
	/* Routes with a "cache" object: the same rules with their TTLs. */
	for (unsigned int i = 0; i < w->cfg->n_routes; i++) {
		const struct dpx_cache_route *cr = w->cfg->routes[i].cache_rules;

		pw->route_ccfg[i] = pw->ccfg;
		if (cr != NULL) {
			pw->route_ccfg[i].default_ttl = cr->ttl_s;
			pw->route_ccfg[i].force_ttl = cr->force_ttl;
		}
	}
	pw->head_memo = rte_zmalloc_socket("dpx_head_memo",
			PX_HEAD_MEMOS * sizeof(*pw->head_memo),
			RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(w->lcore_id));
	if (pw->head_memo == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "dpx_pxk_%u", w->index);
	pw->creqs = rte_mempool_create(name, PX_CREQS, sizeof(struct px_creq),
			0, 0, NULL, NULL, NULL, NULL,
			(int)rte_lcore_to_socket_id(w->lcore_id),
			RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	return pw->creqs != NULL ? 0 : -ENOMEM;
}

/* Worker shutdown, after TCP's: a refresh with a server connection ended
 * when it closed; one still queued for a connection is dropped here (the
 * timer wheel is gone: nothing to cancel). */
static void
px_bg_drop_all(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_session *s;

	while ((s = TAILQ_FIRST(&pw->cache_bg)) != NULL) {
		px_queue_del(w, s);
		px_cache_exchange_end(w, s);        /* unlinks it */
		px_chain_free(&s->to_srv);
		px_chain_free(&s->req_copy);
		px_chain_free(&s->to_cli);
		px_hbuf_put(w, s);
		pw->stats.sessions_active--;
		rte_mempool_put(pw->sessions, s);
	}
}

void
px_cache_worker_fini(struct dpx_worker *w)
{
	px_bg_drop_all(w);
	rte_mempool_free(px_w(w)->creqs);
	rte_free(px_w(w)->head_memo);
	px_w(w)->head_memo = NULL;
}

/* ---------------------------------------------------------------------- */
/* Keys                                                                     */

/* Host and path within "GET scheme://host/path?query", for bans; the
 * host starts at a known offset (no search: every lookup pays this). */
static void
px_key_parts(struct px_creq *r, uint32_t len, uint32_t scheme_len)
{
	const uint32_t host_off = 4 + scheme_len + 3;   /* "GET " "://" */
	const char *k = r->key, *p = k + host_off, *slash;

	r->host_off = r->host_len = r->path_off = r->path_len = 0;
	if (len < host_off || memcmp(p - 3, "://", 3) != 0)
		return;
	slash = memchr(p, '/', len - (uint32_t)(p - k));
	r->host_off = (uint16_t)(p - k);
	r->host_len = (uint16_t)((slash ? slash : k + len) - p);
	if (slash != NULL) {
		r->path_off = (uint16_t)(slash - k);
		r->path_len = (uint16_t)(len - r->path_off);
	}
}

/* A forward listener's origins speak plain http whatever the client's
 * connection to dpx is (https:// targets go through CONNECT). */
static const char *
px_key_scheme(const struct px_session *s)
{
	return s->tls != NULL && s->fwd == NULL ? "https" : "http";
}

/*
 * The host a key names: the request's Host, or on a forward listener the
 * target's authority (s->fwd_host and s->fwd_port), since that is what
 * the request goes to and Host may say anything; into buf when built.
 * dpx_http_cache_key_parts() lower-cases it and drops :80, so
 * "http://A/x" and "http://a:80/x" share an entry.
 */
static struct dpx_http_str
px_key_host(const struct px_session *s, const struct dpx_http_request *req,
	    char *buf, size_t cap)
{
	int n;

	if (s->fwd == NULL)
		return req->host;
	n = snprintf(buf, cap, "%s:%u", s->fwd_host, s->fwd_port);
	return (struct dpx_http_str){ buf, n > 0 && (size_t)n < cap ?
				      (uint32_t)n : 0 };
}

/* The GET key of req's target into r; false when it has none. */
static bool
px_key(struct dpx_worker *w, struct px_session *s,
       const struct dpx_http_request *req, struct px_creq *r)
{
	static const struct dpx_http_str get = { "GET", 3 };
	const char *scheme = px_key_scheme(s);
	char hbuf[PX_FWD_HOST + 8];
	int n = dpx_http_cache_key_parts(get, scheme,
					 px_key_host(s, req, hbuf,
						     sizeof(hbuf)),
					 req->target, NULL, r->key,
					 sizeof(r->key));

	if (n <= 0)
		return false;
	dpx_cache_key_init(px_store(w), &r->k, r->key, (uint32_t)n);
	px_key_parts(r, (uint32_t)n, (uint32_t)strlen(scheme));
	return true;
}

/* ---------------------------------------------------------------------- */
/* Answers of the cache's own                                               */

static void
px_served(struct dpx_worker *w, struct px_session *s, uint16_t status)
{
	s->cache_served = true;
	s->status = status;
	s->req_state = REQ_DONE;
	s->rsp_state = RSP_BODY;
	s->rsp_complete = true;
	s->rsp_started = true;
	s->pool = -1;
	(void)w;
}

/* A short text response (PURGE's answers). */
static void
px_cache_reply(struct dpx_worker *w, struct px_session *s, uint16_t status,
	       const char *reason, const char *body)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %u %s\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "%s\r\n%s", status, reason, strlen(body),
			 s->close_after ? "Connection: close\r\n" : "", body);

	if (n > 0 && (size_t)n < sizeof(buf) &&
	    px_chain_add_bytes(dpx_tcp_pool(w), &s->to_cli, buf,
			       (uint32_t)n) == 0)
		s->bytes_out += (uint32_t)n;
	px_served(w, s, status);
}

/* Parses o's head into rsp and the rules' view of it into rc. */
static bool
px_parse_stored(struct dpx_worker *w, const struct dpx_cache_obj *o,
		int64_t now, struct dpx_http_response *rsp,
		struct dpx_http_rsp_cache *rc)
{
	struct dpx_http_limits lim = dpx_http_default_limits;
	struct dpx_http_parser hp;
	uint32_t len;
	const char *head = dpx_cache_obj_head(o, &len);

	lim.max_head = len;
	dpx_http_parser_init(&hp);
	if (dpx_http_parse_response_more(&hp, head, len, &lim, false,
					 rsp) != 1)
		return false;
	dpx_http_rsp_cache_info(rsp, now, &px_w(w)->ccfg, rc);
	return true;
}

/* Copies the parts of a parse that are in use: of 100 header slots and
 * 64 Vary names, a stored head fills a few. */
static void
px_rsp_copy(struct dpx_http_response *dst,
	    const struct dpx_http_response *src)
{
	const size_t head = offsetof(struct dpx_http_response, headers);
	const size_t tail = offsetof(struct dpx_http_response, n_headers);

	memcpy(dst, src, head);
	memcpy(dst->headers, src->headers,
	       src->n_headers * sizeof(src->headers[0]));
	memcpy((char *)dst + tail, (const char *)src + tail,
	       sizeof(*dst) - tail);
}

static void
px_crc_copy(struct dpx_http_rsp_cache *dst,
	    const struct dpx_http_rsp_cache *src)
{
	uint32_t n = RTE_MIN(src->n_vary, (uint32_t)DPX_HTTP_VARY_MAX);

	memcpy(dst, src, offsetof(struct dpx_http_rsp_cache, vary_names));
	memcpy(dst->vary_names, src->vary_names,
	       n * sizeof(src->vary_names[0]));
}

/* The same into pw->rsp and pw->crc, which px_serve() writes from: from
 * the worker's memo of o's head when it has one of this second. */
bool
px_stored_head(struct dpx_worker *w, const struct dpx_cache_obj *o,
	       int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	uint64_t seq = dpx_cache_obj_seq(o);
	struct px_head_memo *m;

	if (seq == 0 || pw->head_memo == NULL)
		return px_parse_stored(w, o, now, &pw->rsp, &pw->crc);
	m = &pw->head_memo[seq % PX_HEAD_MEMOS];
	if (m->seq != seq || m->now != now) {
		m->seq = 0;
		m->out.len = 0;
		if (!px_parse_stored(w, o, now, &m->rsp, &m->crc))
			return false;
		m->seq = seq;
		m->now = now;
	}
	px_rsp_copy(&pw->rsp, &m->rsp);
	px_crc_copy(&pw->crc, &m->crc);
	return true;
}

/* What of o a request gets: all, a range (206, 416), several ranges (206
 * multipart/byteranges), or 304. */
struct px_part {
	uint16_t status;
	uint64_t first, last;       /* 206 */
	bool body;
	uint32_t n_ranges;          /* > 1: multipart, ranges[] */
	struct dpx_http_range ranges[DPX_HTTP_RANGES_MAX];
};

static void
px_choose_part(struct dpx_worker *w, struct px_session *s,
	       const struct dpx_http_request *req, uint64_t len, int64_t now,
	       struct px_part *p)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_http_range r[DPX_HTTP_RANGES_MAX];
	uint32_t n = 0;

	p->status = pw->rsp.status;
	p->body = !s->req_head_method;
	p->first = p->last = 0;
	p->n_ranges = 0;
	if (req == NULL)
		return;
	if (dpx_http_not_modified(req, &pw->crc, now)) {
		p->status = 304;
		p->body = false;
		pw->cstats.not_modified++;
		return;
	}
	if (s->req_head_method || pw->rsp.status != 200)
		return;
	switch (dpx_http_request_ranges(req, &pw->crc, len, px_rules(w, s),
					now, r, &n)) {
	case DPX_HTTP_RANGE_OK:
		p->status = 206;
		p->first = r[0].first;
		p->last = r[0].last;
		if (n > 1) {
			p->n_ranges = n;
			memcpy(p->ranges, r, n * sizeof(r[0]));
		}
		pw->cstats.ranges++;
		return;
	case DPX_HTTP_RANGE_UNSATISFIABLE:
		p->status = 416;
		p->body = false;
		pw->cstats.range_unsatisfiable++;
		return;
	default:
		return;
	}
}

/* "NAME: VALUE\r\n" at buf, which has room (px_serve_obj's 256 bytes
 * hold the longest fields); the bytes written. Every hit writes Age and
 * X-Cache: snprintf's format walk cost more than the rest of the head. */
static uint32_t
px_put_field(char *buf, const char *name, uint32_t name_len,
	     const char *value, uint32_t value_len)
{
	memcpy(buf, name, name_len);
	memcpy(buf + name_len, value, value_len);
	memcpy(buf + name_len + value_len, "\r\n", 2);
	return name_len + value_len + 2;
}

static uint32_t
px_put_age(char *buf, int64_t age)
{
	char digits[20];
	uint32_t n = 0;
	uint64_t v = age < 0 ? 0 : (uint64_t)age;

	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return px_put_field(buf, "Age: ", 5, digits + sizeof(digits) - n, n);
}

/* Age, X-Cache and a part's own fields. */
static uint32_t
px_part_fields(struct dpx_worker *w, struct px_session *s,
	       const struct px_part *p, int64_t age, uint64_t len, char *buf,
	       uint32_t cap)
{
	const char *cs = cs_names[s->cache_status];
	int n = 0;

	if (p->status == 206)
		n = snprintf(buf, cap, "Content-Range: bytes %" PRIu64 "-%"
			     PRIu64 "/%" PRIu64 "\r\nContent-Length: %" PRIu64
			     "\r\n", p->first, p->last, len,
			     p->last - p->first + 1);
	else if (p->status == 416)
		n = snprintf(buf, cap, "Content-Range: bytes */%" PRIu64
			     "\r\nContent-Length: 0\r\n", len);
	n += (int)px_put_age(buf + n, age);
	if (px_section(w)->x_cache)
		n += (int)px_put_field(buf + n, "X-Cache: ", 9, cs,
				       (uint32_t)strlen(cs));
	return (uint32_t)n;
}

/* Out of mbufs while answering: s is reset by px_cache_run(), which
 * every caller reaches once it no longer uses s (ending s here would free
 * it under the request step or a server callback that goes on with it). */
static void
px_serve_failed(struct dpx_worker *w, struct px_session *s)
{
	px_served(w, s, 503);
	s->cache_abort = true;
	s->close_after = true;
}

/* The memo entry whose head pw->rsp is (px_stored_head() of o, this
 * second), for its written head; NULL if there is none. */
static struct px_head_out *
px_head_out(struct dpx_worker *w, const struct dpx_cache_obj *o, int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	uint64_t seq = dpx_cache_obj_seq(o);
	struct px_head_memo *m;

	if (seq == 0 || pw->head_memo == NULL)
		return NULL;
	m = &pw->head_memo[seq % PX_HEAD_MEMOS];
	return m->seq == seq && m->now == now ? &m->out : NULL;
}

/* Whether out was written for a session like s, at this age. */
static bool
px_head_out_fits(const struct px_head_out *out, const struct px_session *s,
		 int64_t age, bool close)
{
	return out->len > 0 && out->ls == s->ls && out->route == s->route &&
	       out->age == age && out->cache_status == s->cache_status &&
	       out->close == close && out->http10 == s->client_http10;
}

/* Keeps the n bytes of head just written to s->to_cli for the next hit of
 * out's entry, when they are the tail mbuf's (a head that fit one). */
static void
px_head_out_keep(struct px_head_out *out, const struct px_session *s,
		 uint64_t n, int64_t age, bool close)
{
	const struct rte_mbuf *h = s->to_cli.tail;

	out->len = 0;
	if (h == NULL || h->data_len != n || n > sizeof(out->bytes))
		return;
	memcpy(out->bytes, rte_pktmbuf_mtod(h, const char *), n);
	out->ls = s->ls;
	out->route = s->route;
	out->age = age;
	out->cache_status = s->cache_status;
	out->close = close;
	out->http10 = s->client_http10;
	out->sum = dpx_cksum(out->bytes, n);
	out->len = (uint16_t)n;
}

/* A copy of out's bytes, with their known sum: TCP then reads the new
 * mbuf's lines only to copy them (on a zero-copy link they were last
 * another core's, and a load that follows the stores waits for them). */
static int
px_head_out_add(struct dpx_worker *w, struct px_session *s,
		const struct px_head_out *out)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpx_tcp_pool(w));
	/* It fits: out holds only heads that were one mbuf's data. */
	char *p = m != NULL ? rte_pktmbuf_append(m, out->len) : NULL;

	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(p, out->bytes, out->len);
	dpx_mbuf_sum_set(m, out->sum);
	px_chain_add(&s->to_cli, m);
	return 0;
}

/* o's whole head for s: the bytes written for the last hit like it, or
 * through the response writer (and kept). 0, or -1 out of mbufs. */
static int
px_write_whole_head(struct dpx_worker *w, struct px_session *s,
		    const struct dpx_cache_obj *o, int64_t now, int64_t age,
		    const struct px_part *p, uint64_t len)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_head_out *out = s->fwd == NULL ? px_head_out(w, o, now) :
				  NULL;
	bool close = s->close_after || pw->rsp.body == DPX_HTTP_BODY_CLOSE;
	uint64_t before = s->bytes_out;
	char fields[256 + PX_VARY_FIELD];
	struct px_rsp_extra x = { .drop_age = true, .fields = fields };

	if (out != NULL && px_head_out_fits(out, s, age, close)) {
		if (px_head_out_add(w, s, out) != 0)
			return -1;
		/* What px_http_write_head() does besides writing. */
		if (close && pw->rsp.status >= 200)
			s->close_after = true;
		s->rsp_started = true;
		s->bytes_out += out->len;
		return 0;
	}
	x.len = px_part_fields(w, s, p, age, len, fields,
			       (uint32_t)sizeof(fields) - PX_VARY_FIELD);
	/* An identity object a coding is made from (a variant's head says
	 * Accept-Encoding already): its answers vary on it too. Decided by
	 * the listener and the object alone, so the kept bytes stay right
	 * for the next hit that fits. */
	x.len += px_cz_vary(s, &pw->rsp, &x, fields + x.len, PX_VARY_FIELD);
	if (px_http_write_head(w, s, &pw->rsp, &x) != 0)
		return -1;
	if (out != NULL)
		px_head_out_keep(out, s, s->bytes_out - before, age, close);
	return 0;
}

/* The delimiter and fields before part i of a multipart answer (RFC 9110
 * 14.6) into buf (room: PX_PART_HEAD); its length. */
#define PX_PART_HEAD 512

static uint32_t
px_part_head(char *buf, const char *boundary, struct dpx_http_str type,
	     const struct dpx_http_range *r, uint64_t len)
{
	int n = snprintf(buf, PX_PART_HEAD, "\r\n--%s\r\n%s%.*s%s"
			 "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%"
			 PRIu64 "\r\n\r\n", boundary,
			 type.len ? "Content-Type: " : "", (int)type.len,
			 type.p, type.len ? "\r\n" : "", r->first, r->last,
			 len);

	return n > 0 && n < PX_PART_HEAD ? (uint32_t)n : 0;
}

/*
 * Several ranges of o as one multipart/byteranges answer: each part's
 * fields, then its bytes referenced from the store, and the closing
 * delimiter; Content-Length is known before the first byte goes. -1 out
 * of mbufs; -2, nothing written, when a part's fields do not fit (a
 * Content-Type of hundreds of bytes): the whole is answered instead.
 */
static int
px_serve_multipart(struct dpx_worker *w, struct px_session *s,
		   const struct dpx_cache_obj *o, const struct px_part *p,
		   int64_t age, uint64_t len)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct rte_mempool *mp = dpx_tcp_pool(w);
	const struct dpx_http_str *ct = px_field(pw->rsp.headers,
						 pw->rsp.n_headers,
						 "content-type");
	struct dpx_http_str type = ct != NULL ? *ct :
				   (struct dpx_http_str){ "", 0 };
	struct px_part whole = { .status = 200 };
	char boundary[24], fields[512 + PX_VARY_FIELD], part[PX_PART_HEAD];
	char end[40];
	uint64_t total = 0;
	uint32_t n_end;
	struct px_rsp_extra x = {
		.status = 206, .drop_age = true, .drop_length = true,
		.drop_type = true, .fields = fields,
	};

	snprintf(boundary, sizeof(boundary), "dpx%016" PRIx64, rte_rand());
	for (uint32_t i = 0; i < p->n_ranges; i++) {
		uint32_t h = px_part_head(part, boundary, type, &p->ranges[i],
					  len);

		if (h == 0)
			return -2;
		total += h + p->ranges[i].last - p->ranges[i].first + 1;
	}
	n_end = (uint32_t)snprintf(end, sizeof(end), "\r\n--%s--\r\n",
				   boundary);
	total += n_end;
	x.len = (uint32_t)snprintf(fields, sizeof(fields), "Content-Type: "
				   "multipart/byteranges; boundary=%s\r\n"
				   "Content-Length: %" PRIu64 "\r\n", boundary,
				   total);
	x.len += px_part_fields(w, s, &whole, age, len, fields + x.len,
				(uint32_t)sizeof(fields) - PX_VARY_FIELD -
				x.len);
	x.len += px_cz_vary(s, &pw->rsp, &x, fields + x.len, PX_VARY_FIELD);
	if (px_http_write_head(w, s, &pw->rsp, &x) != 0)
		return -1;
	for (uint32_t i = 0; i < p->n_ranges; i++) {
		const struct dpx_http_range *r = &p->ranges[i];
		uint32_t h = px_part_head(part, boundary, type, r, len);
		struct rte_mbuf *body = dpx_cache_body_clone_range(o, mp,
							r->first, r->last);

		if (body == NULL ||
		    px_chain_add_bytes(mp, &s->to_cli, part, h) != 0) {
			rte_pktmbuf_free(body);
			pw->stats.no_memory++;
			return -1;
		}
		px_chain_add(&s->to_cli, body);
	}
	if (px_chain_add_bytes(mp, &s->to_cli, end, n_end) != 0)
		return -1;
	s->bytes_out += total;
	return 0;
}

static void
px_serve_obj(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_http_request *req, const struct dpx_cache_obj *o,
	     int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_cache_meta *m = dpx_cache_obj_meta(o);
	uint64_t len = dpx_cache_obj_body_len(o);
	int64_t age = dpx_cache_current_age(m, now);
	struct px_part p;               /* ranges[] only when n_ranges > 1 */
	char fields[256 + PX_VARY_FIELD];
	struct px_rsp_extra x;
	struct rte_mbuf *body;
	int rc;

	px_choose_part(w, s, req, len, now, &p);
	if (p.n_ranges > 1) {
		rc = px_serve_multipart(w, s, o, &p, age, len);
		if (rc == -1) {
			px_serve_failed(w, s);
			return;
		}
		if (rc == 0) {
			px_served(w, s, 206);
			s->close_after = s->close_after ||
					 pw->rsp.body == DPX_HTTP_BODY_CLOSE;
			return;
		}
		p.status = pw->rsp.status;      /* the whole, as allowed */
	}
	if (p.status == pw->rsp.status) {
		rc = px_write_whole_head(w, s, o, now, age, &p, len);
	} else {
		x = (struct px_rsp_extra){
			.status = p.status,
			.drop_age = true,
			.drop_length = p.status == 206 || p.status == 416,
			.fields = fields,
			.len = px_part_fields(w, s, &p, age, len, fields,
					      (uint32_t)sizeof(fields) -
					      PX_VARY_FIELD),
		};
		x.len += px_cz_vary(s, &pw->rsp, &x, fields + x.len,
				    PX_VARY_FIELD);
		rc = px_http_write_head(w, s, &pw->rsp, &x);
	}
	if (rc != 0) {
		px_serve_failed(w, s);
		return;
	}
	if (p.body && len > 0) {
		body = p.status == 206 ?
		       dpx_cache_body_clone_range(o, dpx_tcp_pool(w), p.first,
						  p.last) :
		       dpx_cache_body_clone(o, dpx_tcp_pool(w));
		if (body == NULL) {
			pw->stats.no_memory++;
			px_serve_failed(w, s);
			return;
		}
		s->bytes_out += p.status == 206 ? p.last - p.first + 1 : len;
		px_chain_add(&s->to_cli, body);
	}
	px_served(w, s, p.status);
	s->close_after = s->close_after || pw->rsp.body == DPX_HTTP_BODY_CLOSE;
}

/*
 * Answers from o (pw->rsp and pw->crc already describe its head), or from
 * its compressed variant when the client takes one (cache_variant.c). req
 * is NULL for a waiter, whose request is gone: it gets the whole response.
 */
static void
px_serve(struct dpx_worker *w, struct px_session *s,
	 const struct dpx_http_request *req, const struct dpx_cache_obj *o,
	 int64_t now)
{
	struct dpx_cache_obj *v = px_cv_get(w, s, o, now);

	px_serve_obj(w, s, req, v != NULL ? v : o, now);
	if (v != NULL)
		dpx_cache_obj_put(v);
}

/* o answers instead of the server the request was staged for (a waiter's
 * fill, a stale response for an error): the staged request goes. o stays
 * the caller's; s may end. */
static void
px_serve_instead(struct dpx_worker *w, struct px_session *s,
		 const struct dpx_cache_obj *o, int64_t now)
{
	px_chain_free(&s->to_srv);
	px_chain_free(&s->req_copy);
	px_serve(w, s, NULL, o, now);
}

void
px_cache_run(struct dpx_worker *w, struct px_session *s)
{
	if (s->cache_abort) {
		px_session_end(w, s, true);
		return;
	}
	if (s->cli == NULL || s->draining)
		return;
	px_cli_flush(w, s);
	if (s->to_cli.len == 0)
		px_http_exchange_done(w, s);
}

/* ---------------------------------------------------------------------- */
/* Requests                                                                 */

/* The stored response for r (through a Vary marker); a reference. */
static struct dpx_cache_obj *
px_lookup(struct dpx_worker *w, const struct dpx_http_request *req,
	  struct px_creq *r)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache *c = px_store(w);
	struct dpx_cache_obj *o = dpx_cache_lookup(c, w->index, &r->k, "", 0);
	struct dpx_http_str names[DPX_HTTP_VARY_MAX];
	uint32_t n = 0, len;
	const char *head;
	int vlen;

	if (o == NULL || !(dpx_cache_obj_meta(o)->flags & PX_CACHE_F_VARY))
		return o;
	/* The marker's head is the response's Vary names, one a line. */
	head = dpx_cache_obj_head(o, &len);
	for (uint32_t i = 0; i < len && n < DPX_HTTP_VARY_MAX;) {
		const char *e = memchr(head + i, '\n', len - i);
		uint32_t l = e ? (uint32_t)(e - head - i) : len - i;

		names[n++] = (struct dpx_http_str){ head + i, l };
		i += l + 1;
	}
	vlen = dpx_http_vary_key(names, n, req, pw->cache_scratch,
				 sizeof(pw->cache_scratch));
	dpx_cache_obj_put(o);
	if (vlen < 0)
		return NULL;
	return dpx_cache_lookup(c, w->index, &r->k, pw->cache_scratch,
				(uint32_t)vlen);
}

/* PURGE target: 200, 404 or 403. */
static int
px_purge(struct dpx_worker *w, struct px_session *s,
	 const struct dpx_http_request *req)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_creq r;
	char body[64];
	int n;

	if (!dpx_cache_purge_allowed(px_section(w),
				     rte_cpu_to_be_32(s->caddr))) {
		pw->cstats.purge_denied++;
		return -403;
	}
	if (!px_key(w, s, req, &r))
		return -400;
	n = dpx_cache_purge(px_store(w), w->index, &r.k);
	if (n < 0)
		return -503;
	if (n == 0) {
		px_cache_reply(w, s, 404, "Not Found", "not in the cache\n");
		return 1;
	}
	pw->cstats.purges++;
	snprintf(body, sizeof(body), "purged %d\n", n);
	px_cache_reply(w, s, 200, "OK", body);
	return 1;
}

static bool
px_method_is(const struct dpx_http_request *req, const char *m)
{
	size_t n = strlen(m);

	return req->method.len == n && memcmp(req->method.p, m, n) == 0;
}

/* Removes what the GET of target on host stored. */
static void
px_purge_target(struct dpx_worker *w, struct px_session *s,
		struct dpx_http_str host, struct dpx_http_str target)
{
	static const struct dpx_http_str get = { "GET", 3 };
	char key[PX_CACHE_KEY_MAX];
	struct dpx_cache_key k;
	int n = dpx_http_cache_key_parts(get, px_key_scheme(s), host, target,
					 NULL, key, sizeof(key));

	if (n <= 0)
		return;
	dpx_cache_key_init(px_store(w), &k, key, (uint32_t)n);
	if (dpx_cache_purge(px_store(w), w->index, &k) > 0)
		px_w(w)->cstats.invalidations++;
}

/*
 * Unsafe methods invalidate what the target's GET stored (RFC 9111 4.4):
 * once when the request goes (early, so no hit is served meanwhile), and
 * after the response (px_invalidate_after) with its Location and
 * Content-Location. The key stays in a creq for that; without one (the
 * pool is empty) only the early invalidation is done.
 */
static void
px_invalidate(struct dpx_worker *w, struct px_session *s,
	      const struct dpx_http_request *req)
{
	struct dpx_proxy_worker *pw = px_w(w);
	char hbuf[PX_FWD_HOST + 8];
	void *obj;

	px_purge_target(w, s, px_key_host(s, req, hbuf, sizeof(hbuf)),
			req->target);
	if (rte_mempool_get(pw->creqs, &obj) != 0)
		return;
	s->creq = obj;
	s->creq->reval_len = 0;
	if (!px_key(w, s, req, s->creq)) {
		rte_mempool_put(pw->creqs, s->creq);
		s->creq = NULL;
		return;
	}
	s->cache_unsafe = true;
}

/* A non-error response to an unsafe request: its target again, and the
 * Location and Content-Location on the same host (never another's). */
static void
px_invalidate_after(struct dpx_worker *w, struct px_session *s,
		    const struct dpx_http_response *rsp)
{
	const struct px_creq *r = s->creq;
	/* The request's method is gone; any unsafe one reads the same. */
	struct dpx_http_uri_base base = {
		.method = { "POST", 4 },
		.scheme = px_key_scheme(s),
		.host = { r->key + r->host_off, r->host_len },
		.target = { r->key + r->path_off, r->path_len },
	};
	struct dpx_http_str t[3];
	char *buf = px_w(w)->cache_scratch;
	uint32_t n = dpx_http_invalidation_targets(&base, rsp, t, buf,
					sizeof(px_w(w)->cache_scratch));

	for (uint32_t i = 0; i < n; i++)
		px_purge_target(w, s, base.host, t[i]);
}

static bool
px_has_conditionals(const struct dpx_http_request *req)
{
	for (uint32_t i = 0; i < req->n_headers; i++) {
		const struct dpx_http_str *n = &req->headers[i].name;

		if (n->len >= 8 && strncasecmp(n->p, "if-", 3) == 0)
			return true;
	}
	return false;
}

const char *
px_cache_validators(const struct px_session *s, uint32_t *len)
{
	if (s->creq == NULL || s->creq->reval_len == 0) {
		*len = 0;
		return NULL;
	}
	*len = s->creq->reval_len;
	return s->creq->reval;
}

/*
 * stale-while-revalidate (RFC 5861) and grace: s is served the stale
 * object o at once, and o is refreshed in the background, once per key
 * across all workers. The claim is the store's fill of the key: LEADER,
 * this worker refreshes; WAIT, a refresh (or a miss's fetch) runs already
 * on some worker; BYPASS, the slot is busy with another key and the next
 * stale hit tries again. The store abandons a fill after fill_timeout_ms,
 * so a lost claim cannot block refreshes for good.
 *
 * The refresh is a session without a client (px_session_new_detached):
 * req goes to the server with o's validators instead of the client's
 * conditionals and range, through the normal upstream code; its response
 * goes only to the store: a storable 200 replaces o through the fill, a
 * 304 freshens o (px_revalidated), anything else leaves o as it is. It
 * ends like any exchange (response done, server gone, timeouts) and, if
 * still queued for a connection at shutdown, in px_bg_drop_all().
 */
static void
px_bg_refresh(struct dpx_worker *w, struct px_session *s,
	      const struct dpx_http_request *req, struct dpx_cache_obj *o)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache *c = px_store(w);
	struct dpx_cache_fill *fill;
	struct px_session *b;
	void *obj;
	int n;

	if (pw->n_cache_bg >= PX_BG_MAX)
		return;
	switch (dpx_cache_fill_begin(c, w->index, &s->creq->k, &fill)) {
	case DPX_CACHE_FILL_LEADER:
		break;
	case DPX_CACHE_FILL_WAIT:
		dpx_cache_fill_put(c, fill);
		return;
	default:
		return;
	}
	pw->cstats.bg_refreshes++;
	b = px_session_new_detached(w, s);
	if (b == NULL || rte_mempool_get(pw->creqs, &obj) != 0) {
		pw->cstats.bg_refresh_failed++;
		dpx_cache_fill_abort(c, w->index, fill);
		if (b != NULL)
			px_session_end(w, b, true);
		return;
	}
	b->cache_bg = true;
	b->cache_bg_https = s->tls != NULL;
	b->cache_status = PX_CS_MISS;
	b->cache_fill = fill;
	b->cache_stale = o;
	dpx_cache_obj_get(o);
	b->creq = obj;
	memcpy(b->creq, s->creq, sizeof(*b->creq));
	b->creq->k.p = b->creq->key;
	n = dpx_http_revalidation_fields(&pw->crc, b->creq->reval,
					 sizeof(b->creq->reval));
	b->creq->reval_len = (uint16_t)(n > 0 ? n : 0);
	TAILQ_INSERT_TAIL(&pw->cache_bg, b, cwlink);
	pw->n_cache_bg++;
	if (px_http_stage_request_head(w, b, req) != 0 ||
	    px_connect_server(w, b) != 0) {
		px_session_end(w, b, true);
		return;
	}
	if (b->srv != NULL && b->srv->connected)
		px_http_client_run(w, b);   /* a kept-alive connection */
}

static int
px_cache_hit(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_http_request *req, struct dpx_cache_obj *o,
	     int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_cache_meta *m = dpx_cache_obj_meta(o);
	struct dpx_http_cache_times t = {
		m->request_time, m->response_time, now
	};
	enum dpx_http_reval why;

	if (!px_stored_head(w, o, now)) {
		dpx_cache_obj_put(o);
		return 0;
	}
	switch (dpx_http_serve_decision(&pw->crc, &s->creq->q, &t,
					px_rules(w, s), &why)) {
	case DPX_HTTP_SERVE_FRESH:
		s->cache_status = PX_CS_HIT;
		pw->cstats.hits++;
		break;
	case DPX_HTTP_SERVE_STALE_REVALIDATE:
		/* pw->crc is o's: the refresh's validators come from it.
		 * A forward listener's origin is not resolved yet: no
		 * refresh; the entry is revalidated once it is past the
		 * stale window. */
		if (s->fwd == NULL)
			px_bg_refresh(w, s, req, o);
		/* fall through */
	case DPX_HTTP_SERVE_STALE:
		s->cache_status = PX_CS_STALE;
		pw->cstats.stale_served++;
		break;
	case DPX_HTTP_SERVE_GATEWAY_TIMEOUT:
		dpx_cache_obj_put(o);
		pw->cstats.gateway_timeout++;
		return -504;
	default:
		/* To the server, with the stored validators unless the client
		 * has its own: a 304 then renews the stored response. The
		 * entry is kept for that, and for stale-if-error. */
		s->cache_stale = o;
		if (!px_has_conditionals(req)) {
			int n = dpx_http_revalidation_fields(&pw->crc,
					s->creq->reval, sizeof(s->creq->reval));

			s->creq->reval_len = (uint16_t)(n > 0 ? n : 0);
		}
		return 0;
	}
	px_serve(w, s, req, o, now);
	dpx_cache_obj_put(o);
	return 1;
}

/* Nothing usable stored: lead the fill, or wait for another's. */
static int
px_cache_miss(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (s->creq->q.cc.flags & DPX_HTTP_CC_ONLY_IF_CACHED &&
	    !pw->ccfg.ignore_request_cc) {
		pw->cstats.gateway_timeout++;
		return -504;
	}
	s->cache_status = PX_CS_MISS;
	if (s->cache_stale != NULL)
		return 0;   /* a MISS or REVALIDATED: counted with the answer */
	switch (dpx_cache_fill_begin(px_store(w), w->index, &s->creq->k,
				     &s->cache_fill)) {
	case DPX_CACHE_FILL_WAIT:
		/* A HIT or, if the fill fails, a MISS: counted then. */
		s->cache_waiting = true;
		TAILQ_INSERT_TAIL(&pw->cache_wait, s, cwlink);
		pw->cstats.collapsed_waits++;
		return 0;
	case DPX_CACHE_FILL_LEADER:
		break;
	default:
		s->cache_fill = NULL;
		break;
	}
	pw->cstats.misses++;
	return 0;
}

int
px_cache_request(struct dpx_worker *w, struct px_session *s,
		 const struct dpx_http_request *req)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache_obj *o;
	void *obj;
	int64_t now;

	bool on = s->route != NULL && s->route->cache >= 0 ? s->route->cache :
		  s->ls->cache;

	if (!on || pw->sh->cache == NULL)
		return 0;
	s->cache_status = PX_CS_BYPASS;
	if (px_method_is(req, "PURGE"))
		return px_purge(w, s, req);
	if (!px_method_is(req, "GET") && !px_method_is(req, "HEAD")) {
		if (!px_method_is(req, "OPTIONS") &&
		    !px_method_is(req, "TRACE"))
			px_invalidate(w, s, req);
		pw->cstats.bypass++;
		return 0;
	}
	if (req->body != DPX_HTTP_BODY_NONE || req->upgrade) {
		pw->cstats.bypass++;
		return 0;
	}
	if (rte_mempool_get(pw->creqs, &obj) != 0) {
		pw->cstats.no_memory++;
		return 0;
	}
	s->creq = obj;
	s->creq->reval_len = 0;
	if (!px_key(w, s, req, s->creq)) {
		px_cache_exchange_end(w, s);
		s->cache_status = PX_CS_BYPASS;
		pw->cstats.bypass++;
		return 0;
	}
	dpx_http_req_cache_info(req, &s->creq->q);
	if (s->creq->q.cc.flags & DPX_HTTP_CC_NO_STORE &&
	    !pw->ccfg.ignore_request_cc) {
		px_cache_exchange_end(w, s);
		s->cache_status = PX_CS_BYPASS;
		pw->cstats.bypass++;
		return 0;
	}
	now = px_now_s();
	s->creq->request_time = now;
	pw->cstats.lookups++;
	o = px_lookup(w, req, s->creq);
	if (o != NULL) {
		int rc = px_cache_hit(w, s, req, o, now);

		if (rc != 0)
			return rc;
	}
	return px_cache_miss(w, s);
}

/* ---------------------------------------------------------------------- */
/* Waiters                                                                  */

static void
px_unwait(struct dpx_worker *w, struct px_session *s)
{
	if (s->cache_waiting) {
		s->cache_waiting = false;
		TAILQ_REMOVE(&px_w(w)->cache_wait, s, cwlink);
	}
}

/* The fill s waited for is done: serve it, or go to the server. */
static void
px_wait_over(struct dpx_worker *w, struct px_session *s,
	     enum dpx_cache_fill_state st, struct dpx_cache_obj *o)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache *c = px_store(w);
	int64_t now = px_now_s();

	px_unwait(w, s);
	dpx_cache_fill_put(c, s->cache_fill);
	s->cache_fill = NULL;
	if (st == DPX_CACHE_FILL_DONE && o != NULL &&
	    px_stored_head(w, o, now)) {
		pw->cstats.collapsed_served++;
		pw->cstats.hits++;
		s->cache_status = PX_CS_HIT;
		px_serve_instead(w, s, o, now);
		dpx_cache_obj_put(o);
		px_cache_run(w, s);             /* may end s */
		return;
	}
	if (o != NULL)
		dpx_cache_obj_put(o);
	pw->cstats.collapsed_aborted++;
	pw->cstats.misses++;
	if (s->fwd != NULL) {
		px_fwd_cache_missed(w, s);  /* the name, then the origin */
		return;
	}
	if (px_connect_server(w, s) != 0) {
		px_http_error(w, s, 503);
		return;
	}
	if (s->srv != NULL && s->srv->connected)
		px_http_client_run(w, s);
}

bool
px_cache_waiters_run(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_session *s, *next;
	unsigned int budget = PX_WAIT_BUDGET;

	for (s = TAILQ_FIRST(&pw->cache_wait); s != NULL && budget-- > 0;
	     s = next) {
		struct dpx_cache_obj *o = NULL;
		enum dpx_cache_fill_state st;

		next = TAILQ_NEXT(s, cwlink);
		st = dpx_cache_fill_poll(px_store(w), s->cache_fill, &o);
		if (st == DPX_CACHE_FILL_PENDING)
			continue;
		/* px_wait_over may end sessions, but only s: next stays. */
		px_wait_over(w, s, st, o);
	}
	return !TAILQ_EMPTY(&pw->cache_wait);
}

/* ---------------------------------------------------------------------- */
/* Responses                                                                */

uint32_t
px_cache_fields(const struct px_session *s, char *buf, uint32_t cap)
{
	int n;

	if (s->cache_status == PX_CS_NONE ||
	    !((const struct dpx_cache_section *)
	      s->w->cfg->cache)->x_cache)
		return 0;
	n = snprintf(buf, cap, "X-Cache: %s\r\n", cs_names[s->cache_status]);
	return n > 0 && (uint32_t)n < cap ? (uint32_t)n : 0;
}

/* The leader's fill ends without a response to hand over. */
static void
px_fill_abort(struct dpx_worker *w, struct px_session *s)
{
	if (s->cache_fill != NULL && !s->cache_waiting) {
		dpx_cache_fill_abort(px_store(w), w->index, s->cache_fill);
		s->cache_fill = NULL;
	}
}

/* The stale entry may stand in for a failed server (stale-if-error).
 * Parsed aside: pw->rsp may hold the server's response meanwhile. */
static bool
px_stale_usable(struct dpx_worker *w, struct px_session *s, int64_t now)
{
	struct dpx_cache_obj *o = s->cache_stale;
	struct dpx_http_response rsp;
	struct dpx_http_rsp_cache rc;
	const struct dpx_cache_meta *m;
	struct dpx_http_cache_times t;

	if (o == NULL || s->cli == NULL || s->rsp_started)
		return false;
	m = dpx_cache_obj_meta(o);
	t = (struct dpx_http_cache_times){ m->request_time, m->response_time,
					   now };
	return px_parse_stored(w, o, now, &rsp, &rc) &&
	       dpx_http_stale_if_error_ok(&rc, &s->creq->q, &t,
					  px_rules(w, s));
}

/* The server failed: the stale entry, when stale-if-error allows it. */
static bool
px_serve_stale(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache_obj *o = s->cache_stale;
	int64_t now = px_now_s();

	if (!px_stale_usable(w, s, now) || !px_stored_head(w, o, now))
		return false;
	s->cache_stale = NULL;
	pw->cstats.stale_if_error++;
	s->cache_status = PX_CS_STALE;
	px_serve_instead(w, s, o, now);
	dpx_cache_obj_put(o);
	px_cache_run(w, s);
	return true;
}

bool
px_cache_server_failed(struct dpx_worker *w, struct px_session *s)
{
	if (s->cache_status == PX_CS_NONE)
		return false;
	px_fill_abort(w, s);
	return px_serve_stale(w, s);
}

/* What a new object of s's key is made of. */
static struct dpx_cache_obj_args
px_obj_args(const struct px_session *s, const char *vary, uint32_t vary_len,
	    const char *head, uint32_t head_len,
	    const struct dpx_cache_meta *m)
{
	const struct px_creq *r = s->creq;

	return (struct dpx_cache_obj_args){
		.key = &r->k, .vary = vary, .vary_len = vary_len,
		.host = r->key + r->host_off, .host_len = r->host_len,
		.path = r->key + r->path_off, .path_len = r->path_len,
		.head = head, .head_len = head_len, .meta = m,
	};
}

/* RFC 9111 bookkeeping of the response about to be stored. */
static void
px_meta(struct dpx_worker *w, struct px_session *s,
	const struct dpx_http_response *rsp, const char *head,
	struct dpx_cache_meta *m)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_http_rsp_cache *rc = &pw->crc;
	enum dpx_http_fresh_src src;
	int64_t now = px_now_s();

	memset(m, 0, sizeof(*m));
	m->status = rsp->status;
	m->request_time = s->creq->request_time;
	m->response_time = now;
	m->date_value = rc->has_date ? rc->date : now;
	m->age_value = rc->has_age ? rc->age : 0;
	m->freshness_lifetime = dpx_http_freshness_lifetime(rc, px_rules(w, s),
							    now, &src);
	if (src == DPX_HTTP_FRESH_HEURISTIC)
		m->flags |= DPX_CACHE_F_HEURISTIC;
	if (rc->cc.flags & (DPX_HTTP_CC_MUST_REVALIDATE |
			    DPX_HTTP_CC_PROXY_REVALIDATE))
		m->flags |= DPX_CACHE_F_MUST_REVALIDATE;
	if (rc->cc.flags & DPX_HTTP_CC_NO_CACHE)
		m->flags |= DPX_CACHE_F_NO_CACHE;
	if (rc->cc.present & (1u << DPX_HTTP_CCD_SWR))
		m->stale_while_revalidate = rc->cc.delta[DPX_HTTP_CCD_SWR];
	if (rc->cc.present & (1u << DPX_HTTP_CCD_SIE))
		m->stale_if_error = rc->cc.delta[DPX_HTTP_CCD_SIE];
	if (rc->has_etag) {
		m->etag_off = (uint32_t)(rc->etag.p - head);
		m->etag_len = rc->etag.len;
	}
	if (rc->has_last_modified) {
		m->last_modified_off = (uint32_t)(rc->last_modified_raw.p -
						  head);
		m->last_modified_len = rc->last_modified_raw.len;
	}
	m->content_length = rsp->content_length;
}

void
px_meta_offsets(struct dpx_worker *w, const char *head, uint32_t len,
		int64_t now, struct dpx_cache_meta *m)
{
	struct dpx_http_limits lim = dpx_http_default_limits;
	struct dpx_http_response r;
	struct dpx_http_rsp_cache rc;

	m->etag_off = m->etag_len = 0;
	m->last_modified_off = m->last_modified_len = 0;
	lim.max_head = len;
	if (dpx_http_parse_response(head, len, &lim, false, &r) != 1)
		return;
	dpx_http_rsp_cache_info(&r, now, &px_w(w)->ccfg, &rc);
	if (rc.has_etag) {
		m->etag_off = (uint32_t)(rc.etag.p - head);
		m->etag_len = rc.etag.len;
	}
	if (rc.has_last_modified) {
		m->last_modified_off = (uint32_t)(rc.last_modified_raw.p - head);
		m->last_modified_len = rc.last_modified_raw.len;
	}
}

/* The request's values of the response's Vary names (from the head sent
 * to the server, parsed again: the request itself is gone). */
static int
px_vary_key(struct dpx_worker *w, struct px_session *s, char *out,
	    uint32_t cap)
{
	struct dpx_proxy_worker *pw = px_w(w);
	char *buf = (char *)pw->tls_rec;        /* free between flushes */
	struct dpx_http_parser hp;
	uint32_t n = px_chain_copy(&s->req_copy, 0,
				   RTE_MIN(s->req_copy.len,
					   (uint32_t)sizeof(pw->tls_rec)),
				   buf);

	dpx_http_parser_init(&hp);
	if (n == 0 || dpx_http_parse_request_more(&hp, buf, n, NULL,
						  &pw->req) != 1)
		return -1;
	return dpx_http_vary_key(pw->crc.vary_names, pw->crc.n_vary,
				 &pw->req, out, cap);
}

/* The Vary names, one a line, stored under the primary key. */
static void
px_vary_marker(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache *c = px_store(w);
	struct dpx_cache_meta m = { .flags = PX_CACHE_F_VARY };
	char names[1024];
	uint32_t len = 0;
	struct dpx_cache_obj *o;
	struct dpx_cache_obj_args a;

	for (uint32_t i = 0; i < pw->crc.n_vary; i++) {
		const struct dpx_http_str *v = &pw->crc.vary_names[i];

		if (len + v->len + 1 > sizeof(names))
			return;
		memcpy(names + len, v->p, v->len);
		len += v->len;
		names[len++] = '\n';
	}
	a = px_obj_args(s, "", 0, names, len ? len - 1 : 0, &m);
	if (dpx_cache_obj_new(c, w->index, &a, &o) != 0)
		return;
	dpx_cache_insert(c, w->index, o);
	dpx_cache_obj_put(o);
}

/* A body the store can take (counted when not): a Content-Length one
 * within max_object_kb, or a chunked one (no other transfer coding; its
 * size is checked as it comes, and it is stored de-chunked). */
static bool
px_body_storable(struct dpx_worker *w, const struct px_session *s,
		 const struct dpx_http_response *rsp)
{
	struct dpx_proxy_worker *pw = px_w(w);
	bool chunked = dpx_http_chunked_only(rsp);
	uint64_t announced = chunked ? 0 : rsp->content_length;

	if (s->req_head_method ||
	    (rsp->body != DPX_HTTP_BODY_LENGTH && !chunked)) {
		pw->cstats.not_stored_body++;
		return false;
	}
	if (announced + rsp->head_len > px_section(w)->max_object_bytes) {
		pw->cstats.not_stored_body++;
		pw->cstats.not_stored_too_big++;
		return false;
	}
	return true;
}

/* Starts storing rsp when the rules and the body allow it. */
static void
px_store_begin(struct dpx_worker *w, struct px_session *s,
	       const struct dpx_http_response *rsp, const char *head)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache_meta m;
	char *vary = pw->cache_scratch;
	int vlen = 0;
	struct dpx_cache_obj_args a;

	dpx_http_rsp_cache_info(rsp, px_now_s(), &pw->ccfg, &pw->crc);
	if (dpx_http_storable(&s->creq->q, &pw->crc, px_rules(w, s),
			      px_now_s()) != DPX_HTTP_STORE_OK) {
		pw->cstats.not_stored++;
		return;
	}
	if (!px_body_storable(w, s, rsp))
		return;
	if (pw->crc.n_vary > 0) {
		vlen = px_vary_key(w, s, vary, sizeof(pw->cache_scratch));
		if (vlen < 0) {
			pw->cstats.not_stored++;
			return;
		}
	}
	px_meta(w, s, rsp, head, &m);
	a = px_obj_args(s, vary, (uint32_t)vlen, head, rsp->head_len, &m);
	if (dpx_cache_obj_new(px_store(w), w->index, &a, &s->cache_obj) != 0) {
		s->cache_obj = NULL;
		pw->cstats.store_failed++;
		return;
	}
	if (pw->crc.n_vary > 0)
		px_vary_marker(w, s);
}

/* Publishes o for s: through the fill s leads (its waiters get o), or
 * straight into the store. 0 or -errno (counted store_failed). */
static int
px_publish(struct dpx_worker *w, struct px_session *s,
	   struct dpx_cache_obj *o)
{
	struct dpx_cache *c = px_store(w);
	int rc;

	if (s->cache_fill != NULL && !s->cache_waiting) {
		rc = dpx_cache_fill_commit(c, w->index, s->cache_fill, o);
		s->cache_fill = NULL;
	} else {
		rc = dpx_cache_insert(c, w->index, o);
	}
	if (rc != 0)
		px_w(w)->cstats.store_failed++;
	else if (s->cache_bg)
		s->cache_bg_done = true;
	return rc;
}

/* A copy of old with the merged head (RFC 9111 4.3.4), published in its
 * place; NULL when the store refused it (old is sent all the same). */
static struct dpx_cache_obj *
px_restore(struct dpx_worker *w, struct px_session *s,
	   const struct dpx_cache_obj *old, const char *head, uint32_t len,
	   int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache *c = px_store(w);
	struct dpx_http_limits lim = dpx_http_default_limits;
	struct dpx_http_response r;
	struct dpx_http_parser hp;
	struct dpx_cache_meta m;
	struct dpx_cache_obj_args a;
	struct dpx_cache_obj *o;
	struct rte_mbuf *body, *seg;
	char *vary = pw->cache_scratch;
	int vlen = 0, rc = 0;

	lim.max_head = len;
	dpx_http_parser_init(&hp);
	if (dpx_http_parse_response_more(&hp, head, len, &lim, false, &r) != 1)
		return NULL;
	dpx_http_rsp_cache_info(&r, now, &pw->ccfg, &pw->crc);
	if (pw->crc.n_vary > 0)
		vlen = px_vary_key(w, s, vary, sizeof(pw->cache_scratch));
	if (vlen < 0)
		return NULL;
	px_meta(w, s, &r, head, &m);
	m.content_length = dpx_cache_obj_body_len(old);
	a = px_obj_args(s, vary, (uint32_t)vlen, head, len, &m);
	if (dpx_cache_obj_new(c, w->index, &a, &o) != 0)
		return NULL;
	body = dpx_cache_body_clone(old, dpx_tcp_pool(w));
	for (seg = body; seg != NULL && rc == 0; seg = seg->next)
		rc = dpx_cache_obj_append(c, w->index, o,
					  rte_pktmbuf_mtod(seg, void *),
					  seg->data_len);
	while (body != NULL) {
		seg = body->next;
		body->next = NULL;
		rte_pktmbuf_free_seg(body);
		body = seg;
	}
	if (rc != 0 || dpx_cache_obj_body_len(o) != m.content_length) {
		pw->cstats.store_failed++;
		dpx_cache_obj_put(o);
		return NULL;
	}
	if (px_publish(w, s, o) != 0) {
		dpx_cache_obj_put(o);
		return NULL;
	}
	return o;
}

/*
 * The server answered the stored validators with 304: the stored response
 * is still good. Its head is merged with the 304's fields and stored
 * again, and the client gets it (REVALIDATED). false when the stored head
 * cannot be merged: the 304 goes to the client as it is.
 */
static bool
px_revalidated(struct dpx_worker *w, struct px_session *s,
	       const struct dpx_http_response *nm)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache_obj *old = s->cache_stale, *o;
	struct px_srv *c = s->srv;
	struct dpx_http_response stored;
	struct dpx_http_rsp_cache rc;
	char *head = pw->scratch;
	uint32_t head_len = nm->head_len;
	enum dpx_http_body body = nm->body;
	bool keepalive = nm->keep_alive;
	int64_t now = px_now_s();
	int len;

	if (c == NULL || !px_parse_stored(w, old, now, &stored, &rc))
		return false;
	len = dpx_http_merge_304(&stored, nm, head, pw->hbuf_size + 4096);
	if (len <= 0)
		return false;
	/* The 304 is done with: its head leaves the connection. */
	px_chain_take(dpx_tcp_pool(w), &c->in, head_len, NULL);
	px_srv_recv_done(w, c, head_len);
	px_hbuf_put(w, s);
	s->rsp_body = body;
	s->rsp_keepalive = keepalive;
	px_chain_free(&s->req_copy);
	o = px_restore(w, s, old, head, (uint32_t)len, now);
	if (s->cache_bg) {
		/* Nobody to send it to: the store has it (or keeps old). */
		if (o != NULL)
			dpx_cache_obj_put(o);
		px_http_exchange_done(w, s);
		return true;
	}
	s->cache_status = PX_CS_REVALIDATED;
	pw->cstats.revalidated++;
	if (!px_stored_head(w, o != NULL ? o : old, now)) {
		if (o != NULL)
			dpx_cache_obj_put(o);
		px_session_end(w, s, true);
		return true;
	}
	px_serve(w, s, NULL, o != NULL ? o : old, now);
	if (o != NULL)
		dpx_cache_obj_put(o);
	px_cache_run(w, s);
	return true;
}

bool
px_cache_response(struct dpx_worker *w, struct px_session *s,
		  const struct dpx_http_response *rsp, const char *head)
{
	if (s->creq == NULL || rsp->status < 200)
		return false;
	if (s->cache_unsafe) {
		px_invalidate_after(w, s, rsp);
		return false;
	}
	if (rsp->status == 304 && s->creq->reval_len > 0 &&
	    s->cache_stale != NULL && px_revalidated(w, s, rsp))
		return true;
	if (rsp->status >= 500 && s->cache_stale != NULL) {
		struct px_srv *c = s->srv;

		/* The server's answer is an error: a stale one may do. */
		if (px_stale_usable(w, s, px_now_s())) {
			if (c != NULL)
				px_srv_abort(w, c);
			px_fill_abort(w, s);
			px_hbuf_put(w, s);  /* the next request may need it */
			return px_serve_stale(w, s);
		}
	}
	if (s->cache_stale != NULL && !s->cache_bg)
		px_w(w)->cstats.misses++;
	px_store_begin(w, s, rsp, head);
	if (s->cache_obj == NULL)
		px_fill_abort(w, s);
	return false;
}

/* Body bytes into the object being stored; when the store refuses
 * them (over max_object_kb, no memory), the object goes. */
static void
px_store_bytes(struct dpx_worker *w, struct px_session *s, const void *p,
	       uint32_t len)
{
	struct dpx_proxy_worker *pw = px_w(w);
	int rc = dpx_cache_obj_append(px_store(w), w->index, s->cache_obj, p,
				      len);

	if (rc == 0)
		return;
	pw->cstats.not_stored_body++;
	if (rc == -EFBIG)
		pw->cstats.not_stored_too_big++;
	dpx_cache_obj_put(s->cache_obj);
	s->cache_obj = NULL;
	px_fill_abort(w, s);
}

void
px_cache_body(struct dpx_worker *w, struct px_session *s,
	      const struct px_chain *q, uint32_t n)
{
	struct rte_mbuf *m;

	for (m = q->head; m != NULL && n > 0 && s->cache_obj != NULL;
	     m = m->next) {
		uint32_t k = RTE_MIN(n, (uint32_t)m->data_len);

		px_store_bytes(w, s, rte_pktmbuf_mtod(m, void *), k);
		n -= k;
	}
}

int
px_cache_chunked(struct dpx_worker *w, struct px_session *s, const char *p,
		 uint32_t len, uint32_t *used)
{
	uint32_t at = 0, n = 0, off, dlen;
	int rc = 0;

	while (s->cache_obj != NULL && rc == 0 && at < len) {
		rc = dpx_http_chunked_data(&s->rsp_chunked, p + at, len - at,
					   &n, &off, &dlen);
		if (rc >= 0 && dlen > 0)
			px_store_bytes(w, s, p + at + off, dlen);
		at += n;
	}
	if (rc == 0 && at < len) {      /* not stored (any more): skim */
		rc = dpx_http_chunked_scan(&s->rsp_chunked, p + at, len - at,
					   &n);
		at += n;
	}
	*used = at;
	return rc;
}

/* The object to publish for a chunked response whose body is all in
 * (trailers seen): o's head with Content-Length for Transfer-Encoding
 * (dpx_http_dechunked_head), o's body moved over, never copied. Takes
 * o; NULL when it could not be made (counted). */
static struct dpx_cache_obj *
px_dechunked(struct dpx_worker *w, struct dpx_cache_obj *o)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_http_limits lim = dpx_http_default_limits;
	struct dpx_cache_meta m = *dpx_cache_obj_meta(o);
	uint64_t len = dpx_cache_obj_body_len(o);
	struct dpx_cache_obj *n = NULL;
	struct dpx_http_response r;
	char *head = pw->scratch;
	const char *old;
	uint32_t old_len;
	int k = -1, rc = -EINVAL;

	old = dpx_cache_obj_head(o, &old_len);
	lim.max_head = old_len;
	if (dpx_http_parse_response(old, old_len, &lim, false, &r) == 1)
		k = dpx_http_dechunked_head(&r, old, len, head,
					    pw->hbuf_size + 4096);
	if (k > 0) {
		m.content_length = len;
		px_meta_offsets(w, head, (uint32_t)k, px_now_s(), &m);
		rc = dpx_cache_obj_rehead(px_store(w), w->index, o, head,
					  (uint32_t)k, &m, &n);
	}
	dpx_cache_obj_put(o);
	if (rc != 0) {
		pw->cstats.not_stored_body++;
		if (rc == -EFBIG)
			pw->cstats.not_stored_too_big++;
	}
	return n;
}

void
px_cache_body_done(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache_obj *o = s->cache_obj;

	if (o == NULL)
		return;
	s->cache_obj = NULL;
	if (s->rsp_body == DPX_HTTP_BODY_CHUNKED) {
		o = px_dechunked(w, o);
		if (o == NULL) {
			px_fill_abort(w, s);
			return;
		}
	} else if (dpx_cache_obj_body_len(o) !=
		   dpx_cache_obj_meta(o)->content_length) {
		pw->cstats.not_stored_body++;   /* cut short: never stored */
		dpx_cache_obj_put(o);
		px_fill_abort(w, s);
		return;
	}
	if (px_publish(w, s, o) == 0) {
		pw->cstats.stored++;
		if (s->rsp_body == DPX_HTTP_BODY_CHUNKED)
			pw->cstats.stored_chunked++;
	}
	if (s->cv_defer)
		s->cache_obj = o;   /* px_cache_deferred() answers from it */
	else
		dpx_cache_obj_put(o);
}

void
px_cache_deferred(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_cache_obj *o = s->cache_obj;
	int64_t now = px_now_s();

	s->cv_defer = false;
	s->cache_obj = NULL;
	/* Whole even when publishing failed: it answers all the same. */
	if (o == NULL || dpx_cache_obj_body_len(o) !=
			 dpx_cache_obj_meta(o)->content_length ||
	    !px_stored_head(w, o, now)) {
		if (o != NULL)
			dpx_cache_obj_put(o);
		px_session_end(w, s, true);     /* nothing sent, nothing to send */
		return;
	}
	px_serve_instead(w, s, o, now);
	dpx_cache_obj_put(o);
	px_cache_run(w, s);
}

/* A background refresh's exchange ends (once: with its creq). */
static void
px_bg_over(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (!s->cache_bg_done)
		pw->cstats.bg_refresh_failed++;
	TAILQ_REMOVE(&pw->cache_bg, s, cwlink);
	pw->n_cache_bg--;
}

void
px_cache_exchange_end(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (s->cache_status == PX_CS_NONE && s->creq == NULL)
		return;
	if (s->cache_waiting) {
		px_unwait(w, s);
		dpx_cache_fill_put(pw->sh->cache, s->cache_fill);
		s->cache_fill = NULL;
	}
	px_fill_abort(w, s);
	if (s->cache_obj != NULL) {
		dpx_cache_obj_put(s->cache_obj);    /* incomplete */
		s->cache_obj = NULL;
	}
	if (s->cache_stale != NULL) {
		dpx_cache_obj_put(s->cache_stale);
		s->cache_stale = NULL;
	}
	if (s->creq != NULL) {
		if (s->cache_bg)
			px_bg_over(w, s);
		rte_mempool_put(pw->creqs, s->creq);
		s->creq = NULL;
	}
	s->cache_served = false;
	s->cache_abort = false;
	s->cache_unsafe = false;
	s->cache_status = PX_CS_NONE;
}

/* ---------------------------------------------------------------------- */
/* Control plane                                                            */

struct dpx_cache *
dpx_proxy_cache(const struct dpx_proxy_shared *sh)
{
	return sh != NULL ? sh->cache : NULL;
}

const struct dpx_proxy_cache_stats *
dpx_proxy_worker_cache_stats(const struct dpx_worker *w)
{
	return w->proxy != NULL ? &w->proxy->cstats : NULL;
}

int
dpx_proxy_cache_purge_url(struct dpx_proxy_shared *sh, const char *url)
{
	static const struct dpx_http_str get = { "GET", 3 };
	const char *p = strstr(url, "://"), *slash;
	struct dpx_http_str host, target;
	char scheme[8], key[PX_CACHE_KEY_MAX];
	struct dpx_cache_key k;
	int n;

	if (sh->cache == NULL)
		return -ENOENT;
	if (p == NULL || p - url >= (long)sizeof(scheme))
		return -EINVAL;
	memcpy(scheme, url, (size_t)(p - url));
	scheme[p - url] = '\0';
	p += 3;
	slash = strchr(p, '/');
	host = (struct dpx_http_str){ p, (uint32_t)(slash ? slash - p :
						       (long)strlen(p)) };
	target = slash ? (struct dpx_http_str){ slash, (uint32_t)strlen(slash) }
		       : (struct dpx_http_str){ "/", 1 };
	n = dpx_http_cache_key_parts(get, scheme, host, target, NULL, key,
				     sizeof(key));
	if (n <= 0)
		return -EINVAL;
	dpx_cache_key_init(sh->cache, &k, key, (uint32_t)n);
	return dpx_cache_purge(sh->cache, sh->n_workers, &k);
}

int
dpx_proxy_cache_ban(struct dpx_proxy_shared *sh, const char *host,
		    const char *prefix)
{
	if (sh->cache == NULL)
		return -ENOENT;
	return dpx_cache_ban(sh->cache, sh->n_workers, host, prefix);
}
