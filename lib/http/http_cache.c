/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP caching rules (RFC 9111 and friends) for a shared cache, as pure
 * functions over parsed heads: what may be stored, for how long it is
 * fresh, how old it is, whether it may be served, conditional requests,
 * ranges, Vary and the cache key. Where the RFCs leave a choice, the most
 * restrictive reading is taken (see docs/architecture.md, "HTTP caching
 * rules"), because a cache that serves too much leaks or poisons, while one
 * that serves too little only costs a request to the server.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dpx_http.h"
#include "http_internal.h"

const struct dpx_http_cache_cfg dpx_http_cache_default_cfg = {
	.heuristics = false,
	.heuristic_percent = 10,
	.heuristic_max = 86400,
	.stale_grace = 0,
	.ignore_request_cc = false,
	.max_vary = 32,
	.max_ranges = 16,
};

static const struct dpx_http_cc no_cc;	/* all zero: no directive */

#define CCD_BIT(d) ((uint8_t)(1u << (d)))

static const struct dpx_http_cache_cfg *cfg_or_default(
	const struct dpx_http_cache_cfg *cfg)
{
	return cfg ? cfg : &dpx_http_cache_default_cfg;
}

/* Always inlined: every caller passes a literal, whose strlen() is then a
 * constant that rejects most names by length alone (out of line, it was a
 * strlen() call per field and per name looked for, on every request). */
static inline __attribute__((always_inline)) bool
span_is(struct dpx_http_str s, const char *lit)
{
	uint32_t n = (uint32_t)strlen(lit);

	return s.len == n && dpx_http_name_eq(s.p, s.len, lit, n);
}

static inline __attribute__((always_inline)) bool
exact_is(struct dpx_http_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* ---- Cache-Control ---- */

static const char *const cc_delta_names[DPX_HTTP_CCD_COUNT] = {
	"max-age", "s-maxage", "max-stale", "min-fresh",
	"stale-while-revalidate", "stale-if-error",
};

static const struct {
	const char *name;
	uint32_t flag;
	uint32_t with_names;	/* flag added when it has an argument */
} cc_flag_names[] = {
	{ "no-store", DPX_HTTP_CC_NO_STORE, 0 },
	{ "no-cache", DPX_HTTP_CC_NO_CACHE, DPX_HTTP_CC_NO_CACHE_NAMES },
	{ "private", DPX_HTTP_CC_PRIVATE, DPX_HTTP_CC_PRIVATE_NAMES },
	{ "public", DPX_HTTP_CC_PUBLIC, 0 },
	{ "must-revalidate", DPX_HTTP_CC_MUST_REVALIDATE, 0 },
	{ "proxy-revalidate", DPX_HTTP_CC_PROXY_REVALIDATE, 0 },
	{ "immutable", DPX_HTTP_CC_IMMUTABLE, 0 },
	{ "only-if-cached", DPX_HTTP_CC_ONLY_IF_CACHED, 0 },
	{ "no-transform", DPX_HTTP_CC_NO_TRANSFORM, 0 },
	{ "must-understand", DPX_HTTP_CC_MUST_UNDERSTAND, 0 },
};

void dpx_http_cc_init(struct dpx_http_cc *cc)
{
	memset(cc, 0, sizeof(*cc));
}

bool dpx_http_cc_bad(const struct dpx_http_cc *cc)
{
	return cc->invalid != 0 || cc->syntax_error;
}

/* 1*DIGIT, saturating at 2^31 (RFC 9111 1.2.2) however many digits. */
static bool delta_seconds(struct dpx_http_str s, uint32_t *v)
{
	uint64_t x = 0;

	if (s.len == 0)
		return false;
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		if (x <= DPX_HTTP_DELTA_MAX)
			x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	*v = x > DPX_HTTP_DELTA_MAX ? DPX_HTTP_DELTA_MAX : (uint32_t)x;
	return true;
}

/* A repeat with the same value is harmless; another value, or a bad one,
 * makes the directive invalid for good. */
static void cc_set_delta(struct dpx_http_cc *cc, int d, bool valid,
			 uint32_t v)
{
	uint8_t bit = CCD_BIT(d);

	if (!valid || ((cc->present & bit) && cc->delta[d] != v)) {
		cc->invalid |= bit;
		cc->delta[d] = 0;
	} else if (!(cc->invalid & bit)) {
		cc->delta[d] = v;
	}
	cc->present |= bit;
}

static void cc_apply(struct dpx_http_cc *cc, struct dpx_http_str name,
		     bool has_arg, struct dpx_http_str arg)
{
	for (int d = 0; d < DPX_HTTP_CCD_COUNT; d++) {
		uint32_t v = 0;
		bool valid;

		if (!span_is(name, cc_delta_names[d]))
			continue;
		if (d == DPX_HTTP_CCD_MAX_STALE && !has_arg) {
			v = DPX_HTTP_CC_ANY;
			valid = true;
		} else {
			valid = has_arg && delta_seconds(arg, &v);
		}
		cc_set_delta(cc, d, valid, v);
		return;
	}
	for (size_t i = 0; i < sizeof(cc_flag_names) / sizeof(cc_flag_names[0]);
	     i++) {
		if (span_is(name, cc_flag_names[i].name)) {
			cc->flags |= cc_flag_names[i].flag;
			if (has_arg)
				cc->flags |= cc_flag_names[i].with_names;
			return;
		}
	}
	/* an extension this cache does not know: ignored (RFC 9111 5.2.3) */
}

/* Past the quoted-string opening at s[i]; *ok false if it never closes. */
static uint32_t skip_quoted(const char *s, uint32_t i, uint32_t len,
			    bool *ok)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\') {
			if (++i == len)
				break;
		} else if (s[i] == '"') {
			*ok = true;
			return i + 1;
		}
	}
	*ok = false;
	return len;
}

/* To the next comma outside a quoted-string, or len. */
static uint32_t skip_element(const char *s, uint32_t i, uint32_t len)
{
	bool ok;

	while (i < len && s[i] != ',') {
		if (s[i] == '"')
			i = skip_quoted(s, i, len, &ok);
		else
			i++;
	}
	return i;
}

/* One cache-directive at s[i] (not OWS or comma); returns where it ends. */
static uint32_t cc_element(struct dpx_http_cc *cc, const char *s, uint32_t i,
			   uint32_t len)
{
	struct dpx_http_str name = { s + i, 0 }, arg = { NULL, 0 };
	bool has_arg = false, ok = true;

	name.len = dpx_http_span(dpx_http_tok_tab, s + i, len - i);
	i += name.len;
	if (name.len == 0)
		goto bad;
	if (i < len && s[i] == '=') {
		has_arg = true;
		i++;
		if (i < len && s[i] == '"') {
			uint32_t q = i;

			i = skip_quoted(s, i, len, &ok);
			if (!ok)
				goto bad;
			arg.p = s + q + 1;
			arg.len = i - q - 2;
		} else {
			arg.p = s + i;
			arg.len = dpx_http_span(dpx_http_tok_tab, s + i, len - i);
			i += arg.len;
		}
	}
	while (i < len && dpx_http_is_ows(s[i]))
		i++;
	if (i < len && s[i] != ',')
		goto bad;
	cc_apply(cc, name, has_arg, arg);
	return i;
bad:
	cc->syntax_error = true;
	return skip_element(s, i, len);
}

void dpx_http_cc_parse(struct dpx_http_cc *cc, const char *v, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		if (v[i] == ',' || dpx_http_is_ows(v[i]))
			i++;
		else
			i = cc_element(cc, v, i, len);
	}
}

static bool cc_has(const struct dpx_http_cc *cc, int d)
{
	return (cc->present & CCD_BIT(d)) != 0;
}

static bool cc_valid(const struct dpx_http_cc *cc, int d)
{
	return (cc->present & ~cc->invalid & CCD_BIT(d)) != 0;
}

/* ---- Vary ---- */

static bool name_listed(const struct dpx_http_str *names, uint32_t n,
			struct dpx_http_str t)
{
	for (uint32_t i = 0; i < n; i++)
		if (dpx_http_name_eq(names[i].p, names[i].len, t.p, t.len))
			return true;
	return false;
}

static enum dpx_http_vary vary_line(struct dpx_http_str v, uint32_t max,
				    struct dpx_http_str *names, uint32_t *n)
{
	uint32_t i = 0;

	while (i < v.len) {
		struct dpx_http_str t = { v.p + i, 0 };

		if (v.p[i] == ',' || dpx_http_is_ows(v.p[i])) {
			i++;
			continue;
		}
		t.len = dpx_http_span(dpx_http_tok_tab, v.p + i, v.len - i);
		if (t.len == 0)
			return DPX_HTTP_VARY_INVALID;
		i += t.len;
		while (i < v.len && dpx_http_is_ows(v.p[i]))
			i++;
		if (i < v.len && v.p[i] != ',')
			return DPX_HTTP_VARY_INVALID;
		if (t.len == 1 && t.p[0] == '*')
			return DPX_HTTP_VARY_STAR;
		if (name_listed(names, *n, t))
			continue;
		if (*n == max)
			return DPX_HTTP_VARY_TOO_MANY;
		names[(*n)++] = t;
	}
	return DPX_HTTP_VARY_OK;
}

enum dpx_http_vary dpx_http_vary_parse(const struct dpx_http_header *hdr,
				       uint32_t n, uint32_t max,
				       struct dpx_http_str *names,
				       uint32_t *n_names)
{
	enum dpx_http_vary r = DPX_HTTP_VARY_OK;

	if (max > DPX_HTTP_VARY_MAX)
		max = DPX_HTTP_VARY_MAX;
	*n_names = 0;
	for (uint32_t i = 0; i < n && r == DPX_HTTP_VARY_OK; i++)
		if (span_is(hdr[i].name, "vary"))
			r = vary_line(hdr[i].value, max, names, n_names);
	return r;
}

/* ---- what the rules need of a message ---- */

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 8.8.3) */
static bool etag_parts(struct dpx_http_str t, bool *weak,
		       struct dpx_http_str *opaque)
{
	*weak = t.len >= 2 && t.p[0] == 'W' && t.p[1] == '/';
	if (*weak) {
		t.p += 2;
		t.len -= 2;
	}
	if (t.len < 2 || t.p[0] != '"' || t.p[t.len - 1] != '"')
		return false;
	for (uint32_t i = 1; i + 1 < t.len; i++) {
		unsigned char c = (unsigned char)t.p[i];

		if (c == '"' || c < 0x21 || c == 0x7f)
			return false;
	}
	*opaque = t;
	return true;
}

/* Counts of lines up to 2: one line is used, two mean "ambiguous". */
struct rsp_counts {
	uint8_t date, lm, age, etag, expires;
};

static void bump(uint8_t *c)
{
	if (*c < 2)
		(*c)++;
}

static void rsp_field(struct dpx_http_rsp_cache *rc, struct rsp_counts *k,
		      const struct dpx_http_header *h, int64_t now)
{
	struct dpx_http_str v = h->value, op;
	bool weak;

	if (span_is(h->name, "cache-control")) {
		dpx_http_cc_parse(&rc->cc, v.p, v.len);
	} else if (span_is(h->name, "date")) {
		bump(&k->date);
		rc->has_date = dpx_http_date_parse(v.p, v.len, now, &rc->date);
	} else if (span_is(h->name, "last-modified")) {
		bump(&k->lm);
		rc->has_last_modified = dpx_http_date_parse(v.p, v.len, now,
							    &rc->last_modified);
		rc->last_modified_raw = v;
	} else if (span_is(h->name, "expires")) {
		bump(&k->expires);
		rc->has_expires = true;
		rc->expires_invalid = !dpx_http_date_parse(v.p, v.len, now,
							   &rc->expires);
	} else if (span_is(h->name, "age")) {
		bump(&k->age);
		rc->has_age = delta_seconds(v, &rc->age);
	} else if (span_is(h->name, "etag")) {
		bump(&k->etag);
		rc->has_etag = etag_parts(v, &weak, &op);
		rc->etag = v;
	}
}

void dpx_http_rsp_cache_info(const struct dpx_http_response *rsp,
			     int64_t now, const struct dpx_http_cache_cfg *cfg,
			     struct dpx_http_rsp_cache *rc)
{
	struct rsp_counts k = { 0, 0, 0, 0, 0 };

	cfg = cfg_or_default(cfg);
	memset(rc, 0, sizeof(*rc));
	rc->status = rsp->status;
	for (uint32_t i = 0; i < rsp->n_headers; i++)
		rsp_field(rc, &k, &rsp->headers[i], now);
	/* two lines of a single-valued field: which one is meant is
	 * unknowable, so neither is used (Expires: already expired) */
	if (k.date > 1)
		rc->has_date = false;
	if (k.lm > 1)
		rc->has_last_modified = false;
	if (k.age > 1)
		rc->has_age = false;
	if (k.etag > 1)
		rc->has_etag = false;
	if (k.expires > 1)
		rc->expires_invalid = true;
	if (!rc->has_age)
		rc->age = 0;
	rc->vary = dpx_http_vary_parse(rsp->headers, rsp->n_headers,
				       cfg->max_vary, rc->vary_names,
				       &rc->n_vary);
}

static enum dpx_http_method_class method_class(struct dpx_http_str m)
{
	if (exact_is(m, "GET"))
		return DPX_HTTP_M_GET;
	if (exact_is(m, "HEAD"))
		return DPX_HTTP_M_HEAD;
	if (exact_is(m, "OPTIONS") || exact_is(m, "TRACE"))
		return DPX_HTTP_M_SAFE_OTHER;
	return DPX_HTTP_M_UNSAFE;
}

/* Pragma: no-cache among the elements of v. */
static bool pragma_no_cache(struct dpx_http_str v)
{
	uint32_t i = 0;

	while (i < v.len) {
		struct dpx_http_str t = { v.p + i, 0 };

		if (v.p[i] == ',' || dpx_http_is_ows(v.p[i])) {
			i++;
			continue;
		}
		t.len = skip_element(v.p, i, v.len) - i;
		i += t.len;
		while (t.len && dpx_http_is_ows(t.p[t.len - 1]))
			t.len--;
		if (span_is(t, "no-cache"))
			return true;
	}
	return false;
}

void dpx_http_req_cache_info(const struct dpx_http_request *req,
			     struct dpx_http_req_cache *q)
{
	memset(q, 0, sizeof(*q));
	q->method = method_class(req->method);
	for (uint32_t i = 0; i < req->n_headers; i++) {
		const struct dpx_http_header *h = &req->headers[i];

		if (span_is(h->name, "cache-control")) {
			q->has_cc = true;
			dpx_http_cc_parse(&q->cc, h->value.p, h->value.len);
		} else if (span_is(h->name, "pragma")) {
			q->pragma_no_cache |= pragma_no_cache(h->value);
		} else if (span_is(h->name, "authorization")) {
			q->authorization = true;
		}
	}
}

static const struct dpx_http_cc *req_cc(const struct dpx_http_req_cache *q,
					const struct dpx_http_cache_cfg *cfg)
{
	return cfg->ignore_request_cc ? &no_cc : &q->cc;
}

/* RFC 9111 5.4: Pragma: no-cache only counts without Cache-Control. */
static bool req_no_cache(const struct dpx_http_req_cache *q,
			 const struct dpx_http_cache_cfg *cfg)
{
	if (cfg->ignore_request_cc)
		return false;
	return (q->cc.flags & DPX_HTTP_CC_NO_CACHE) ||
	       (!q->has_cc && q->pragma_no_cache);
}

/* ---- storability (RFC 9111 3) ---- */

/* Heuristically cacheable (RFC 9110 15.1), less 206: no ranges stored. */
static bool heuristic_status(uint16_t s)
{
	switch (s) {
	case 200: case 203: case 204: case 300: case 301: case 308:
	case 404: case 405: case 410: case 414: case 501:
		return true;
	default:
		return false;
	}
}

/* Statuses whose caching rules this code implements (must-understand). */
static bool status_understood(uint16_t s)
{
	return heuristic_status(s) || s == 302 || s == 303 || s == 307;
}

static const char *const store_names[DPX_HTTP_NS_COUNT] = {
	"ok", "method", "status", "partial", "req_no_store", "no_store",
	"private", "authorization", "vary_star", "vary_too_many",
	"vary_invalid", "no_freshness", "must_understand",
};

const char *dpx_http_store_name(enum dpx_http_store r)
{
	return (unsigned)r < DPX_HTTP_NS_COUNT ? store_names[r] : "?";
}

/* The directives and fields alone: what no status code changes. */
static enum dpx_http_store store_directives(const struct dpx_http_req_cache *q,
					   const struct dpx_http_rsp_cache *rc,
					   const struct dpx_http_cache_cfg *cfg)
{
	uint32_t f = rc->cc.flags;

	if (req_cc(q, cfg)->flags & DPX_HTTP_CC_NO_STORE)
		return DPX_HTTP_NS_REQ_NO_STORE;
	/* must-understand on a known status overrides no-store (5.2.2.3) */
	if ((f & DPX_HTTP_CC_MUST_UNDERSTAND) && !status_understood(rc->status))
		return DPX_HTTP_NS_MUST_UNDERSTAND;
	if ((f & DPX_HTTP_CC_NO_STORE) && !(f & DPX_HTTP_CC_MUST_UNDERSTAND))
		return DPX_HTTP_NS_NO_STORE;
	if (f & DPX_HTTP_CC_PRIVATE)
		return DPX_HTTP_NS_PRIVATE;
	if (q->authorization &&
	    !(f & (DPX_HTTP_CC_PUBLIC | DPX_HTTP_CC_MUST_REVALIDATE)) &&
	    !cc_has(&rc->cc, DPX_HTTP_CCD_S_MAXAGE))
		return DPX_HTTP_NS_AUTHORIZATION;
	switch (rc->vary) {
	case DPX_HTTP_VARY_STAR:
		return DPX_HTTP_NS_VARY_STAR;
	case DPX_HTTP_VARY_TOO_MANY:
		return DPX_HTTP_NS_VARY_TOO_MANY;
	case DPX_HTTP_VARY_INVALID:
		return DPX_HTTP_NS_VARY_INVALID;
	default:
		return DPX_HTTP_STORE_OK;
	}
}

enum dpx_http_store dpx_http_storable(const struct dpx_http_req_cache *q,
				      const struct dpx_http_rsp_cache *rc,
				      const struct dpx_http_cache_cfg *cfg,
				      int64_t response_time)
{
	enum dpx_http_store r;
	bool explicit_fresh;

	cfg = cfg_or_default(cfg);
	if (q->method != DPX_HTTP_M_GET && q->method != DPX_HTTP_M_HEAD)
		return DPX_HTTP_NS_METHOD;
	if (rc->status < 200 || rc->status == 304 || rc->status > 599)
		return DPX_HTTP_NS_STATUS;
	if (rc->status == 206)
		return DPX_HTTP_NS_PARTIAL;
	r = store_directives(q, rc, cfg);
	if (r != DPX_HTTP_STORE_OK)
		return r;
	explicit_fresh = cc_has(&rc->cc, DPX_HTTP_CCD_MAX_AGE) ||
			 cc_has(&rc->cc, DPX_HTTP_CCD_S_MAXAGE) ||
			 rc->has_expires;
	if (!explicit_fresh && !heuristic_status(rc->status) &&
	    !(rc->cc.flags & DPX_HTTP_CC_PUBLIC))
		return DPX_HTTP_NS_STATUS;
	/* stored but never fresh and never revalidatable is dead weight */
	if (dpx_http_freshness_lifetime(rc, cfg, response_time, NULL) > 0 ||
	    rc->has_etag || rc->has_last_modified)
		return DPX_HTTP_STORE_OK;
	return DPX_HTTP_NS_NO_FRESHNESS;
}

/* ---- freshness and age (RFC 9111 4.2) ---- */

static int64_t heuristic_lifetime(const struct dpx_http_rsp_cache *rc,
				  const struct dpx_http_cache_cfg *cfg,
				  int64_t date)
{
	int64_t since = sat_sub(date, rc->last_modified), l;
	uint32_t pct = cfg->heuristic_percent > 100 ? 100 :
		       cfg->heuristic_percent;

	if (since <= 0)
		return 0;
	l = since / 100 * pct + since % 100 * pct / 100;
	return l > (int64_t)cfg->heuristic_max ? cfg->heuristic_max : l;
}

int64_t dpx_http_freshness_lifetime(const struct dpx_http_rsp_cache *rc,
				    const struct dpx_http_cache_cfg *cfg,
				    int64_t response_time,
				    enum dpx_http_fresh_src *src)
{
	const struct dpx_http_cc *cc = &rc->cc;
	int64_t date = rc->has_date ? rc->date : response_time, l;
	enum dpx_http_fresh_src dummy;

	cfg = cfg_or_default(cfg);
	if (!src)
		src = &dummy;
	if (cfg->force_ttl && cfg->default_ttl > 0) {
		*src = DPX_HTTP_FRESH_CONFIG;
		return cfg->default_ttl;
	}
	*src = DPX_HTTP_FRESH_INVALID;
	if (cc->invalid & (CCD_BIT(DPX_HTTP_CCD_MAX_AGE) |
			   CCD_BIT(DPX_HTTP_CCD_S_MAXAGE)))
		return 0;
	if (cc_has(cc, DPX_HTTP_CCD_S_MAXAGE)) {
		*src = DPX_HTTP_FRESH_S_MAXAGE;
		return cc->delta[DPX_HTTP_CCD_S_MAXAGE];
	}
	if (cc_has(cc, DPX_HTTP_CCD_MAX_AGE)) {
		*src = DPX_HTTP_FRESH_MAX_AGE;
		return cc->delta[DPX_HTTP_CCD_MAX_AGE];
	}
	if (rc->has_expires) {
		if (rc->expires_invalid)
			return 0;
		*src = DPX_HTTP_FRESH_EXPIRES;
		l = sat_sub(rc->expires, date);
		return l < 0 ? 0 : l > DPX_HTTP_DELTA_MAX ? DPX_HTTP_DELTA_MAX : l;
	}
	*src = DPX_HTTP_FRESH_NONE;
	if (!heuristic_status(rc->status) && !(cc->flags & DPX_HTTP_CC_PUBLIC))
		return 0;
	if (cfg->default_ttl > 0) {
		*src = DPX_HTTP_FRESH_CONFIG;
		return cfg->default_ttl;
	}
	if (!cfg->heuristics || !rc->has_last_modified)
		return 0;
	*src = DPX_HTTP_FRESH_HEURISTIC;
	return heuristic_lifetime(rc, cfg, date);
}

int64_t dpx_http_current_age(const struct dpx_http_rsp_cache *rc,
			     const struct dpx_http_cache_times *t)
{
	int64_t date = rc->has_date ? rc->date : t->response_time;
	int64_t apparent_age = max64(0, sat_sub(t->response_time, date));
	int64_t response_delay = max64(0, sat_sub(t->response_time,
						  t->request_time));
	int64_t corrected_age_value = sat_add(rc->age, response_delay);
	int64_t corrected_initial_age = max64(apparent_age,
					      corrected_age_value);
	int64_t resident_time = max64(0, sat_sub(t->now, t->response_time));

	return sat_add(corrected_initial_age, resident_time);
}

/* ---- serving (RFC 9111 4, 4.2.4; RFC 5861) ---- */

/* Stale responses are forbidden by these (RFC 9111 4.2.4, 5.2.2). */
static bool stale_forbidden(const struct dpx_http_rsp_cache *rc)
{
	return (rc->cc.flags & (DPX_HTTP_CC_MUST_REVALIDATE |
				DPX_HTTP_CC_PROXY_REVALIDATE |
				DPX_HTTP_CC_NO_CACHE)) ||
	       cc_has(&rc->cc, DPX_HTTP_CCD_S_MAXAGE);
}

/* Within the window of directive d of cc (invalid: no window). */
static bool within(const struct dpx_http_cc *cc, int d, int64_t stale)
{
	return cc_valid(cc, d) && (cc->delta[d] == DPX_HTTP_CC_ANY ||
				   stale <= (int64_t)cc->delta[d]);
}

static enum dpx_http_serve stale_choice(const struct dpx_http_rsp_cache *rc,
					const struct dpx_http_cc *qc,
					const struct dpx_http_cache_cfg *cfg,
					int64_t stale, enum dpx_http_reval *why)
{
	if (stale_forbidden(rc)) {
		*why = DPX_HTTP_RV_MUST_REVALIDATE;
		return DPX_HTTP_SERVE_REVALIDATE;
	}
	*why = DPX_HTTP_RV_STALE;
	if (within(qc, DPX_HTTP_CCD_MAX_STALE, stale))
		return DPX_HTTP_SERVE_STALE;
	if (within(&rc->cc, DPX_HTTP_CCD_SWR, stale) ||
	    (cfg->stale_grace && stale <= (int64_t)cfg->stale_grace))
		return DPX_HTTP_SERVE_STALE_REVALIDATE;
	return DPX_HTTP_SERVE_REVALIDATE;
}

/* What in the request forces a revalidation, whatever the age. */
static enum dpx_http_reval req_forces(const struct dpx_http_req_cache *q,
				      const struct dpx_http_cache_cfg *cfg,
				      int64_t age, int64_t lifetime)
{
	const struct dpx_http_cc *qc = req_cc(q, cfg);

	if (req_no_cache(q, cfg))
		return DPX_HTTP_RV_REQ_NO_CACHE;
	/* max-age=0 (or invalid, read as 0) is a reload: revalidate */
	if (cc_has(qc, DPX_HTTP_CCD_MAX_AGE) &&
	    (qc->delta[DPX_HTTP_CCD_MAX_AGE] == 0 ||
	     age > (int64_t)qc->delta[DPX_HTTP_CCD_MAX_AGE]))
		return DPX_HTTP_RV_REQ_MAX_AGE;
	if (cc_has(qc, DPX_HTTP_CCD_MIN_FRESH) &&
	    (!cc_valid(qc, DPX_HTTP_CCD_MIN_FRESH) ||
	     lifetime - age < (int64_t)qc->delta[DPX_HTTP_CCD_MIN_FRESH]))
		return DPX_HTTP_RV_REQ_MIN_FRESH;
	return DPX_HTTP_RV_NONE;
}

enum dpx_http_serve dpx_http_serve_decision(const struct dpx_http_rsp_cache *rc,
					    const struct dpx_http_req_cache *q,
					    const struct dpx_http_cache_times *t,
					    const struct dpx_http_cache_cfg *cfg,
					    enum dpx_http_reval *why)
{
	int64_t lifetime, age;
	enum dpx_http_reval dummy;
	enum dpx_http_serve s;

	cfg = cfg_or_default(cfg);
	if (!why)
		why = &dummy;
	lifetime = dpx_http_freshness_lifetime(rc, cfg, t->response_time,
					       NULL);
	age = dpx_http_current_age(rc, t);
	*why = DPX_HTTP_RV_NONE;
	if (rc->cc.flags & DPX_HTTP_CC_NO_CACHE)
		*why = DPX_HTTP_RV_NO_CACHE;
	else
		*why = req_forces(q, cfg, age, lifetime);
	if (*why != DPX_HTTP_RV_NONE)
		s = DPX_HTTP_SERVE_REVALIDATE;
	else if (age < lifetime)
		s = DPX_HTTP_SERVE_FRESH;
	else
		s = stale_choice(rc, req_cc(q, cfg), cfg,
				 sat_sub(age, lifetime), why);
	if (s == DPX_HTTP_SERVE_REVALIDATE &&
	    (req_cc(q, cfg)->flags & DPX_HTTP_CC_ONLY_IF_CACHED))
		s = DPX_HTTP_SERVE_GATEWAY_TIMEOUT;
	return s;
}

bool dpx_http_stale_if_error_ok(const struct dpx_http_rsp_cache *rc,
				const struct dpx_http_req_cache *q,
				const struct dpx_http_cache_times *t,
				const struct dpx_http_cache_cfg *cfg)
{
	int64_t lifetime, age, stale;

	cfg = cfg_or_default(cfg);
	if (stale_forbidden(rc))
		return false;
	lifetime = dpx_http_freshness_lifetime(rc, cfg, t->response_time,
					       NULL);
	age = dpx_http_current_age(rc, t);
	if (age < lifetime)
		return true;
	stale = sat_sub(age, lifetime);
	return within(&rc->cc, DPX_HTTP_CCD_SIE, stale) ||
	       within(req_cc(q, cfg), DPX_HTTP_CCD_SIE, stale);
}

/* ---- conditional requests (RFC 9110 13) ---- */

bool dpx_http_etag_match(struct dpx_http_str a, struct dpx_http_str b,
			 bool strong)
{
	struct dpx_http_str oa, ob;
	bool wa, wb;

	if (!etag_parts(a, &wa, &oa) || !etag_parts(b, &wb, &ob))
		return false;
	if (strong && (wa || wb))
		return false;
	return oa.len == ob.len && memcmp(oa.p, ob.p, oa.len) == 0;
}

/* An If-None-Match line matches the stored ETag (malformed: no). */
static bool inm_matches(struct dpx_http_str v,
			const struct dpx_http_rsp_cache *rc)
{
	uint32_t i = 0;

	if (v.len == 1 && v.p[0] == '*')
		return true;
	while (i < v.len) {
		struct dpx_http_str t = { v.p + i, 0 };
		uint32_t j = i;

		if (v.p[i] == ',' || dpx_http_is_ows(v.p[i])) {
			i++;
			continue;
		}
		if (v.len - j >= 2 && v.p[j] == 'W' && v.p[j + 1] == '/')
			j += 2;
		if (j >= v.len || v.p[j] != '"')
			return false;
		for (j++; j < v.len && v.p[j] != '"'; j++)
			;
		if (j == v.len)
			return false;
		t.len = j + 1 - i;
		if (rc->has_etag && dpx_http_etag_match(t, rc->etag, false))
			return true;
		i = j + 1;
	}
	return false;
}

bool dpx_http_not_modified(const struct dpx_http_request *req,
			   const struct dpx_http_rsp_cache *rc, int64_t now)
{
	enum dpx_http_method_class m = method_class(req->method);
	const struct dpx_http_header *ims = NULL;
	bool inm = false, match = false;
	uint32_t n_ims = 0;
	int64_t since, lm;

	if (m != DPX_HTTP_M_GET && m != DPX_HTTP_M_HEAD)
		return false;
	for (uint32_t i = 0; i < req->n_headers; i++) {
		const struct dpx_http_header *h = &req->headers[i];

		if (span_is(h->name, "if-none-match")) {
			inm = true;
			match = match || inm_matches(h->value, rc);
		} else if (span_is(h->name, "if-modified-since")) {
			ims = h;
			n_ims++;
		}
	}
	if (inm)
		return match;
	if (n_ims != 1 ||
	    !dpx_http_date_parse(ims->value.p, ims->value.len, now, &since))
		return false;
	/* RFC 9111 4.3.2: Last-Modified, else the Date of the stored one */
	if (rc->has_last_modified)
		lm = rc->last_modified;
	else if (rc->has_date)
		lm = rc->date;
	else
		return false;
	return lm <= since;
}

/* Output with a bound: once something does not fit, nothing more is
 * written and the result is -1. */
struct wbuf {
	char *p;
	uint32_t cap, len;
	bool over;
};

static void put(struct wbuf *w, const char *s, uint32_t n)
{
	if (n == 0)
		return;         /* s may be NULL: an absent part */
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void puts_(struct wbuf *w, const char *s)
{
	put(w, s, (uint32_t)strlen(s));
}

/* s[0, n) lower-cased to d; past the copy. Writes through d only: a
 * loop storing to w->p[] reloaded *w (which a char store may alias) for
 * every byte. */
static inline char *copy_lower(char *d, const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		d[i] = (char)dpx_http_lower((unsigned char)s[i]);
	return d + n;
}

static void put_lower(struct wbuf *w, const char *s, uint32_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	copy_lower(w->p + w->len, s, n);
	w->len += n;
}

static int wresult(const struct wbuf *w)
{
	return w->over ? -1 : (int)w->len;
}

int dpx_http_revalidation_fields(const struct dpx_http_rsp_cache *rc,
				 char *out, uint32_t cap)
{
	struct wbuf w = { out, cap, 0, false };

	if (rc->has_etag) {
		puts_(&w, "If-None-Match: ");
		put(&w, rc->etag.p, rc->etag.len);
		puts_(&w, "\r\n");
	} else if (rc->has_last_modified) {
		puts_(&w, "If-Modified-Since: ");
		put(&w, rc->last_modified_raw.p, rc->last_modified_raw.len);
		puts_(&w, "\r\n");
	}
	return wresult(&w);
}

/* Fields a 304 never replaces: framing, and hop-by-hop ones that describe
 * the 304's own connection. */
static bool kept_from_stored(const struct dpx_http_header *h)
{
	switch (h->field) {
	case DPX_HTTP_F_CONTENT_LENGTH:
	case DPX_HTTP_F_TRANSFER_ENCODING:
	case DPX_HTTP_F_CONNECTION:
	case DPX_HTTP_F_KEEP_ALIVE:
	case DPX_HTTP_F_PROXY_CONNECTION:
	case DPX_HTTP_F_TE:
	case DPX_HTTP_F_TRAILER:
	case DPX_HTTP_F_UPGRADE:
		return true;
	default:
		return false;
	}
}

static bool has_field(const struct dpx_http_response *m,
		      struct dpx_http_str name)
{
	for (uint32_t i = 0; i < m->n_headers; i++)
		if (dpx_http_name_eq(m->headers[i].name.p,
				     m->headers[i].name.len, name.p, name.len))
			return true;
	return false;
}

static void put_field(struct wbuf *w, const struct dpx_http_header *h)
{
	put(w, h->name.p, h->name.len);
	puts_(w, ": ");
	put(w, h->value.p, h->value.len);
	puts_(w, "\r\n");
}

int dpx_http_merge_304(const struct dpx_http_response *stored,
		       const struct dpx_http_response *nm, char *out,
		       uint32_t cap)
{
	struct wbuf w = { out, cap, 0, false };
	char status[4];

	status[0] = (char)('0' + stored->status / 100 % 10);
	status[1] = (char)('0' + stored->status / 10 % 10);
	status[2] = (char)('0' + stored->status % 10);
	status[3] = ' ';
	puts_(&w, "HTTP/1.1 ");
	put(&w, status, 4);
	put(&w, stored->reason.p, stored->reason.len);
	puts_(&w, "\r\n");
	/* quadratic in field counts, both capped at DPX_HTTP_MAX_HEADERS */
	for (uint32_t i = 0; i < stored->n_headers; i++) {
		const struct dpx_http_header *h = &stored->headers[i];

		if (kept_from_stored(h) || !has_field(nm, h->name))
			put_field(&w, h);
	}
	for (uint32_t i = 0; i < nm->n_headers; i++)
		if (!kept_from_stored(&nm->headers[i]))
			put_field(&w, &nm->headers[i]);
	puts_(&w, "\r\n");
	return wresult(&w);
}

/* ---- ranges (RFC 9110 14) ---- */

/* 1*DIGIT at s[*i], saturating; false if no digit. */
static bool range_num(const char *s, uint32_t len, uint32_t *i, uint64_t *v)
{
	uint32_t start = *i;
	uint64_t x = 0;

	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		unsigned d = (unsigned)(s[*i] - '0');

		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*v = x;
	return *i > start;
}

/* One range-spec at s[*i]: 1 satisfiable (into *r), 0 not, -1 invalid. */
static int range_spec(const char *s, uint32_t len, uint32_t *i,
		      uint64_t length, struct dpx_http_range *r)
{
	uint64_t a, b = UINT64_MAX;

	if (s[*i] == '-') {
		(*i)++;
		if (!range_num(s, len, i, &a))
			return -1;
		if (a == 0 || length == 0)
			return 0;
		r->first = length - (a < length ? a : length);
		r->last = length - 1;
		return 1;
	}
	if (!range_num(s, len, i, &a) || *i == len || s[*i] != '-')
		return -1;
	(*i)++;
	if (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		range_num(s, len, i, &b);
		if (b < a)
			return -1;
	}
	if (a >= length)
		return 0;
	r->first = a;
	r->last = b < length - 1 ? b : length - 1;
	return 1;
}

/* Sort by first (insertion: n is at most DPX_HTTP_RANGES_MAX) and merge
 * overlapping or adjacent ranges; returns the new count. */
static uint32_t coalesce(struct dpx_http_range *r, uint32_t n)
{
	uint32_t k = 0;

	for (uint32_t i = 1; i < n; i++) {
		struct dpx_http_range x = r[i];
		uint32_t j = i;

		for (; j > 0 && r[j - 1].first > x.first; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	for (uint32_t i = 1; i < n; i++) {
		if (r[i].first <= r[k].last + 1) {
			if (r[i].last > r[k].last)
				r[k].last = r[i].last;
		} else {
			r[++k] = r[i];
		}
	}
	return n ? k + 1 : 0;
}

enum dpx_http_range_result dpx_http_range_parse(const char *v, uint32_t len,
						uint64_t length, uint32_t max,
						struct dpx_http_range *out,
						uint32_t *n)
{
	uint32_t i = 6, specs = 0, sat = 0;

	*n = 0;
	if (max > DPX_HTTP_RANGES_MAX)
		max = DPX_HTTP_RANGES_MAX;
	if (len < 6 || !dpx_http_name_eq(v, 6, "bytes=", 6))
		return DPX_HTTP_RANGE_IGNORE;
	while (i < len) {
		int r;

		if (v[i] == ',' || dpx_http_is_ows(v[i])) {
			i++;
			continue;
		}
		if (++specs > max)
			return DPX_HTTP_RANGE_IGNORE;
		r = range_spec(v, len, &i, length, &out[sat]);
		while (r >= 0 && i < len && dpx_http_is_ows(v[i]))
			i++;
		if (r < 0 || (i < len && v[i] != ','))
			return DPX_HTTP_RANGE_IGNORE;
		sat += (uint32_t)r;
	}
	if (specs == 0)
		return DPX_HTTP_RANGE_IGNORE;
	if (sat == 0)
		return DPX_HTTP_RANGE_UNSATISFIABLE;
	*n = coalesce(out, sat);
	return DPX_HTTP_RANGE_OK;
}

/* If-Range (RFC 9110 13.1.5): a strong ETag match, or the exact date of a
 * Last-Modified. */
static bool if_range_holds(struct dpx_http_str v,
			   const struct dpx_http_rsp_cache *rc, int64_t now)
{
	int64_t t;

	if ((v.len > 0 && v.p[0] == '"') ||
	    (v.len > 1 && v.p[0] == 'W' && v.p[1] == '/'))
		return rc->has_etag && dpx_http_etag_match(v, rc->etag, true);
	return rc->has_last_modified &&
	       dpx_http_date_parse(v.p, v.len, now, &t) &&
	       t == rc->last_modified;
}

enum dpx_http_range_result dpx_http_request_ranges(
	const struct dpx_http_request *req, const struct dpx_http_rsp_cache *rc,
	uint64_t length, const struct dpx_http_cache_cfg *cfg, int64_t now,
	struct dpx_http_range *out, uint32_t *n)
{
	const struct dpx_http_header *range = NULL, *if_range = NULL;
	uint32_t n_range = 0, n_if_range = 0;

	cfg = cfg_or_default(cfg);
	*n = 0;
	if (method_class(req->method) != DPX_HTTP_M_GET)
		return DPX_HTTP_RANGE_IGNORE;
	for (uint32_t i = 0; i < req->n_headers; i++) {
		if (span_is(req->headers[i].name, "range")) {
			range = &req->headers[i];
			n_range++;
		} else if (span_is(req->headers[i].name, "if-range")) {
			if_range = &req->headers[i];
			n_if_range++;
		}
	}
	if (n_range != 1 || n_if_range > 1)
		return DPX_HTTP_RANGE_IGNORE;
	if (if_range && !if_range_holds(if_range->value, rc, now))
		return DPX_HTTP_RANGE_IGNORE;
	return dpx_http_range_parse(range->value.p, range->value.len, length,
				    cfg->max_ranges, out, n);
}

/* ---- Vary secondary key ---- */

int dpx_http_vary_key(const struct dpx_http_str *names, uint32_t n,
		      const struct dpx_http_request *req, char *out,
		      uint32_t cap)
{
	struct wbuf w = { out, cap, 0, false };

	for (uint32_t k = 0; k < n; k++) {
		bool first = true;

		put_lower(&w, names[k].p, names[k].len);
		for (uint32_t i = 0; i < req->n_headers; i++) {
			const struct dpx_http_header *h = &req->headers[i];

			if (!dpx_http_name_eq(h->name.p, h->name.len,
					      names[k].p, names[k].len))
				continue;
			put(&w, first ? ":" : ",", 1);
			put(&w, h->value.p, h->value.len);
			first = false;
		}
		put(&w, "\n", 1);
	}
	return wresult(&w);
}

/* ---- primary key ---- */

/* The origin-form part of target: itself, or what follows the authority
 * of an absolute-form one. false for "*" and authority-form. */
static bool target_path(struct dpx_http_str t, struct dpx_http_str *host,
			struct dpx_http_str *path)
{
	uint32_t i = 0, a;

	host->p = NULL;
	host->len = 0;
	if (t.len > 0 && t.p[0] == '/') {
		*path = t;
		return true;
	}
	while (i < t.len && t.p[i] != ':' && t.p[i] != '/')
		i++;
	if (i == 0 || t.len - i < 3 || memcmp(t.p + i, "://", 3) != 0)
		return false;
	a = i += 3;
	while (i < t.len && t.p[i] != '/' && t.p[i] != '?')
		i++;
	host->p = t.p + a;
	host->len = i - a;
	path->p = t.p + i;
	path->len = t.len - i;
	return true;
}

/* host less an empty or the scheme's default port. */
static struct dpx_http_str host_sans_port(struct dpx_http_str h,
					  struct dpx_http_str scheme)
{
	uint32_t c = h.len, n;
	const char *port;

	while (c > 0 && h.p[c - 1] != ':' && h.p[c - 1] != ']')
		c--;
	if (c == 0 || h.p[c - 1] != ':')
		return h;
	port = h.p + c;
	n = h.len - c;
	if (n == 0 || (span_is(scheme, "https") ?
		       n == 3 && memcmp(port, "443", 3) == 0 :
		       n == 2 && memcmp(port, "80", 2) == 0))
		h.len = c - 1;
	return h;
}

static bool param_dropped(struct dpx_http_str p,
			  const struct dpx_http_key_opts *o)
{
	struct dpx_http_str name = p;

	for (uint32_t i = 0; i < p.len; i++) {
		if (p.p[i] == '=') {
			name.len = i;
			break;
		}
	}
	for (uint32_t i = 0; i < o->n_drop; i++)
		if (name.len == o->drop[i].len &&
		    memcmp(name.p, o->drop[i].p, name.len) == 0)
			return true;
	return false;
}

static bool param_before(struct dpx_http_str a, struct dpx_http_str b)
{
	uint32_t n = a.len < b.len ? a.len : b.len;
	int c = memcmp(a.p, b.p, n);

	return c < 0 || (c == 0 && a.len < b.len);
}

/* The query q (without '?') as the options want it; false if it has too
 * many parameters to sort or filter. */
static bool put_query(struct wbuf *w, struct dpx_http_str q,
		      const struct dpx_http_key_opts *o)
{
	struct dpx_http_str p[DPX_HTTP_KEY_MAX_PARAMS];
	uint32_t n = 0, i = 0;

	while (i <= q.len) {
		uint32_t s = i;

		while (i < q.len && q.p[i] != '&')
			i++;
		if (i > s) {
			struct dpx_http_str x = { q.p + s, i - s };

			if (n == DPX_HTTP_KEY_MAX_PARAMS)
				return false;
			if (!param_dropped(x, o))
				p[n++] = x;
		}
		i++;
	}
	for (uint32_t a = 1; o->sort_query && a < n; a++) {
		struct dpx_http_str x = p[a];
		uint32_t b = a;

		for (; b > 0 && param_before(x, p[b - 1]); b--)
			p[b] = p[b - 1];
		p[b] = x;
	}
	for (uint32_t k = 0; k < n; k++) {
		put(w, k ? "&" : "?", 1);
		put(w, p[k].p, p[k].len);
	}
	return true;
}

/* Short pieces (a method, a host) byte by byte: a call to memcpy() costs
 * more than the copy. */
static inline char *key_copy(char *d, const char *s, uint32_t n)
{
	if (n > 32) {
		memcpy(d, s, n);
		return d + n;
	}
	for (uint32_t i = 0; i < n; i++)
		d[i] = s[i];
	return d + n;
}

/*
 * One pass over the parts, into out once the whole is known to fit: every
 * lookup builds a key (the query's sorting and filtering, rare, go through
 * the bounded writer instead).
 */
int dpx_http_cache_key_parts(struct dpx_http_str method, const char *scheme,
			     struct dpx_http_str host,
			     struct dpx_http_str target,
			     const struct dpx_http_key_opts *o, char *out,
			     uint32_t cap)
{
	static const struct dpx_http_key_opts none;
	struct dpx_http_str path, tgt_host, query = { NULL, 0 };
	const char *q;
	uint32_t slen;
	uint64_t need;
	bool plain_query, filtered_query;
	char *d = out;

	if (!o)
		o = &none;
	if (!target_path(target, &tgt_host, &path) || host.len == 0)
		return DPX_HTTP_KEY_E_TARGET;
	q = path.len > 0 ? memchr(path.p, '?', path.len) : NULL;
	if (q != NULL) {
		query.p = q + 1;
		query.len = path.len - (uint32_t)(q + 1 - path.p);
		path.len = (uint32_t)(q - path.p);
	}
	plain_query = q != NULL && !o->ignore_query && !o->sort_query &&
		      o->n_drop == 0;
	filtered_query = q != NULL && !o->ignore_query && !plain_query;
	slen = (uint32_t)strlen(scheme);
	host = host_sans_port(host, (struct dpx_http_str){ scheme, slen });
	need = (uint64_t)method.len + 1 + slen + 3 + host.len +
	       (path.len > 0 ? path.len : 1) + (plain_query ? 1 + query.len : 0);
	if (need > cap)
		return DPX_HTTP_KEY_E_SPACE;
	d = key_copy(d, method.p, method.len);
	*d++ = ' ';
	d = copy_lower(d, scheme, slen);
	memcpy(d, "://", 3);
	d = copy_lower(d + 3, host.p, host.len);
	if (path.len == 0)
		*d++ = '/';
	d = key_copy(d, path.p, path.len);
	if (plain_query) {
		*d++ = '?';
		d = key_copy(d, query.p, query.len);
	} else if (filtered_query) {
		struct wbuf w = { out, cap, (uint32_t)(d - out), false };

		if (!put_query(&w, query, o))
			return DPX_HTTP_KEY_E_TARGET;
		return w.over ? DPX_HTTP_KEY_E_SPACE : (int)w.len;
	}
	return (int)(d - out);
}

int dpx_http_cache_key(const struct dpx_http_request *req, const char *scheme,
		       const struct dpx_http_key_opts *o, char *out,
		       uint32_t cap)
{
	return dpx_http_cache_key_parts(req->method, scheme, req->host,
					req->target, o, out, cap);
}

/* ---- invalidation (RFC 9111 4.4) ---- */

/* RFC 3986 5.2.4 on an absolute path p[0, n): "." and ".." segments go. */
static void put_path_resolved(struct wbuf *w, const char *p, uint32_t n)
{
	uint32_t start = w->len, i = 0;

	while (i < n && !w->over) {
		uint32_t j = i + 1;
		struct dpx_http_str seg;
		bool last;

		while (j < n && p[j] != '/')
			j++;
		seg = (struct dpx_http_str){ p + i + 1, j - i - 1 };
		last = j >= n;
		if (exact_is(seg, "..")) {
			while (w->len > start && w->p[w->len - 1] != '/')
				w->len--;
			if (w->len > start)
				w->len--;
		}
		if (exact_is(seg, ".") || exact_is(seg, "..")) {
			if (last)
				put(w, "/", 1);
		} else {
			put(w, "/", 1);
			put(w, seg.p, seg.len);
		}
		i = j;
	}
	if (w->len == start)
		put(w, "/", 1);
}

/* target's path and query, split at '?' (query with its '?'). */
static void split_query(struct dpx_http_str t, struct dpx_http_str *path,
			struct dpx_http_str *query)
{
	const char *q = memchr(t.p, '?', t.len);

	*path = t;
	query->p = q;
	query->len = q ? t.len - (uint32_t)(q - t.p) : 0;
	if (q)
		path->len = (uint32_t)(q - t.p);
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "http:" or "https:" at the start of v, as a scheme name; the length
 * of v's scheme with its ':' in *skip (0: v has none). */
static const char *uri_scheme(struct dpx_http_str v, uint32_t *skip)
{
	uint32_t i = 0;

	*skip = 0;
	if (v.len == 0 || !is_alpha(v.p[0]))
		return NULL;
	while (i < v.len && (is_alpha(v.p[i]) ||
			     (v.p[i] >= '0' && v.p[i] <= '9') ||
			     v.p[i] == '+' || v.p[i] == '-' || v.p[i] == '.'))
		i++;
	if (i == v.len || v.p[i] != ':')
		return NULL;
	*skip = i + 1;
	if (dpx_http_name_eq(v.p, i, "http", 4))
		return "http";
	if (dpx_http_name_eq(v.p, i, "https", 5))
		return "https";
	return "";
}

/* Same host, default ports (of each side's scheme) ignored. */
static bool same_host(struct dpx_http_str a, const char *a_scheme,
		      struct dpx_http_str b, const char *b_scheme)
{
	a = host_sans_port(a, (struct dpx_http_str){
				a_scheme, (uint32_t)strlen(a_scheme) });
	b = host_sans_port(b, (struct dpx_http_str){
				b_scheme, (uint32_t)strlen(b_scheme) });
	return a.len > 0 && dpx_http_name_eq(a.p, a.len, b.p, b.len);
}

int dpx_http_resolve_same_host(const struct dpx_http_uri_base *base,
			       struct dpx_http_str v, char *out, uint32_t cap)
{
	struct wbuf w = { out, cap, 0, false };
	struct dpx_http_str bpath, bquery, path, query;
	const char *scheme = base->scheme;
	const char *hash = memchr(v.p, '#', v.len);
	bool authority = false;
	uint32_t skip;

	if (hash)
		v.len = (uint32_t)(hash - v.p);
	if (v.len == 0)
		return 0;       /* the base itself: invalidated already */
	scheme = uri_scheme(v, &skip);
	if (scheme != NULL && scheme[0] == '\0')
		return 0;       /* mailto:, urn:...: not on any host */
	v.p += skip;
	v.len -= skip;
	if (skip == 0)
		scheme = base->scheme;
	if (v.len >= 2 && v.p[0] == '/' && v.p[1] == '/') {
		struct dpx_http_str auth = { v.p + 2, 0 };

		while (2 + auth.len < v.len && v.p[2 + auth.len] != '/' &&
		       v.p[2 + auth.len] != '?')
			auth.len++;
		if (!same_host(auth, scheme, base->host, base->scheme))
			return 0;
		v.p += 2 + auth.len;
		v.len -= 2 + auth.len;
		authority = true;
	} else if (skip != 0) {
		return 0;       /* "http:path": no authority, nothing to key */
	}
	split_query(base->target, &bpath, &bquery);
	split_query(v, &path, &query);
	if (authority) {
		put_path_resolved(&w, path.p, path.len);  /* "": "/" */
	} else if (path.len == 0) {
		/* "?q": the base's path with another query */
		put_path_resolved(&w, bpath.p, bpath.len);
	} else if (path.p[0] != '/') {
		/* relative path: merged with the base's directory */
		char merged[2048];
		struct wbuf m = { merged, sizeof(merged), 0, false };
		uint32_t dir = bpath.len;

		while (dir > 0 && bpath.p[dir - 1] != '/')
			dir--;
		if (dir == 0)
			put(&m, "/", 1);
		put(&m, bpath.p, dir);
		put(&m, path.p, path.len);
		if (m.over)
			return -1;
		put_path_resolved(&w, merged, m.len);
	} else {
		put_path_resolved(&w, path.p, path.len);
	}
	put(&w, query.p, query.len);
	return wresult(&w);
}

uint32_t dpx_http_invalidation_targets(const struct dpx_http_uri_base *base,
				       const struct dpx_http_response *rsp,
				       struct dpx_http_str out[3], char *buf,
				       uint32_t cap)
{
	struct dpx_http_str h;
	bool loc = false, cloc = false;
	uint32_t n = 0, used = 0;

	if (method_class(base->method) != DPX_HTTP_M_UNSAFE ||
	    rsp->status < 200 || rsp->status > 399)
		return 0;
	if (!target_path(base->target, &h, &out[0]))
		return 0;
	n = 1;
	for (uint32_t i = 0; i < rsp->n_headers; i++) {
		const struct dpx_http_header *x = &rsp->headers[i];
		bool *seen = span_is(x->name, "location") ? &loc :
			     span_is(x->name, "content-location") ? &cloc :
			     NULL;
		struct dpx_http_uri_base b = *base;
		int len;

		if (seen == NULL || *seen)
			continue;
		*seen = true;
		b.target = out[0];
		len = dpx_http_resolve_same_host(&b, x->value, buf + used,
						 cap - used);
		if (len > 0) {
			out[n++] = (struct dpx_http_str){ buf + used,
							  (uint32_t)len };
			used += (uint32_t)len;
		}
	}
	return n;
}
