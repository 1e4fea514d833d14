/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the HTTP caching rules of lib/http. The first byte
 * picks the mode, the rest (copied to an exact-size heap buffer so that
 * ASan sees any overread) is the input:
 *  0 Cache-Control value: delta values within their caps, invalid only
 *    where present, and parsing the value twice changes nothing.
 *  1 HTTP-date: a parsed date formats to 29 bytes that parse back to it.
 *  2 Range against a length from the next 8 bytes: ranges sorted, apart
 *    (not even adjacent), inside the length, at most the limit.
 *  3 Vary value inside a response head, then the secondary key of a fixed
 *    request: names are tokens, no more than the limit, the key the same
 *    with exactly its room and refused with one byte less.
 *  4 a response head, a NUL byte, a request head: every rule runs on
 *    them (options picked from the status and the lengths), the cache key
 *    and the 304 merge with exact and short buffers, invalidation targets
 *    are absolute paths, the merged head is a complete head again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_http.h"
#include "http_internal.h"	/* dpx_http_tok_tab */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dpx_http_request req;
static struct dpx_http_response rsp, rsp2;

static void fuzz_cc(const char *s, uint32_t len)
{
	struct dpx_http_cc a, b;

	dpx_http_cc_init(&a);
	dpx_http_cc_parse(&a, s, len);
	for (int d = 0; d < DPX_HTTP_CCD_COUNT; d++) {
		if (a.delta[d] > DPX_HTTP_DELTA_MAX &&
		    !(d == DPX_HTTP_CCD_MAX_STALE && a.delta[d] == DPX_HTTP_CC_ANY))
			abort();
		if ((a.invalid >> d) & 1 && a.delta[d] != 0)
			abort();
		if (!((a.present >> d) & 1) && a.delta[d] != 0)
			abort();
	}
	if (a.invalid & ~a.present)
		abort();
	b = a;
	dpx_http_cc_parse(&b, s, len);
	if (b.flags != a.flags || b.present != a.present ||
	    b.invalid != a.invalid || b.syntax_error != a.syntax_error ||
	    memcmp(b.delta, a.delta, sizeof(a.delta)) != 0)
		abort();
}

static void fuzz_date(const char *s, uint32_t len)
{
	int64_t t = 0, back = 0;
	char out[DPX_HTTP_DATE_LEN];

	if (!dpx_http_date_parse(s, len, 1700000000, &t))
		return;
	if (dpx_http_date_format(t, out, sizeof(out)) != DPX_HTTP_DATE_LEN)
		abort();
	if (!dpx_http_date_parse(out, sizeof(out), 1700000000, &back) ||
	    back != t)
		abort();
}

static void fuzz_range(const char *s, uint32_t len)
{
	struct dpx_http_range out[DPX_HTTP_RANGES_MAX];
	uint64_t length = 0;
	uint32_t n = 0, max;
	enum dpx_http_range_result r;

	if (len < 9)
		return;
	memcpy(&length, s, 8);
	/* small lengths most of the time, so that ranges overlap it */
	if (!(s[8] & 1))
		length %= 1000;
	max = (unsigned char)s[8] >> 1;
	r = dpx_http_range_parse(s + 9, len - 9, length, max, out, &n);
	if (r != DPX_HTTP_RANGE_OK) {
		if (n != 0)
			abort();
		return;
	}
	if (n == 0 || n > max || n > DPX_HTTP_RANGES_MAX)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		if (out[i].first > out[i].last || out[i].last >= length)
			abort();
		if (i && out[i].first <= out[i - 1].last + 1)
			abort();
	}
}

static char *copy_of(const char *s, uint32_t n)
{
	char *p = malloc(n ? n : 1);

	memcpy(p, s, n);
	return p;
}

/* Write with the room it needs, then with one byte less: same bytes, then
 * a refusal (fail is the error value). */
static void exact_room(int (*wr)(const void *, char *, uint32_t),
		       const void *arg, int n, const char *ref, int fail)
{
	char *b;

	if (n <= 0)
		return;
	b = malloc((size_t)n);
	if (wr(arg, b, (uint32_t)n) != n || memcmp(b, ref, (size_t)n) != 0)
		abort();
	if (wr(arg, b, (uint32_t)n - 1) != fail)
		abort();
	free(b);
}

struct vary_arg {
	const struct dpx_http_str *names;
	uint32_t n;
};

static int vary_wr(const void *a, char *out, uint32_t cap)
{
	const struct vary_arg *v = a;

	return dpx_http_vary_key(v->names, v->n, &req, out, cap);
}

static void fuzz_vary(const char *s, uint32_t len)
{
	static const char rq[] = "GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n"
				 "Accept-Encoding: gzip\r\nX-A: \r\n\r\n";
	struct dpx_http_str names[DPX_HTTP_VARY_MAX];
	char head[4200], key[8192];
	struct vary_arg va = { names, 0 };
	uint32_t max = len ? (unsigned char)s[0] % 80 : 0;
	int r, k;

	if (len == 0 || len > 4096)
		return;
	memcpy(head, "HTTP/1.1 200 OK\r\nVary: ", 23);
	memcpy(head + 23, s + 1, len - 1);
	memcpy(head + 22 + len, "\r\n\r\n", 4);
	r = dpx_http_parse_response(head, 26 + len - 1, NULL, false, &rsp);
	if (r != 1)
		return;
	r = dpx_http_vary_parse(rsp.headers, rsp.n_headers, max, names, &va.n);
	if (va.n > max || va.n > DPX_HTTP_VARY_MAX)
		abort();
	if (r == DPX_HTTP_VARY_OK && max < DPX_HTTP_VARY_MAX && va.n > max)
		abort();
	for (uint32_t i = 0; i < va.n; i++)
		for (uint32_t j = 0; j == 0 || j < names[i].len; j++)
			if (names[i].len == 0 ||
			    !dpx_http_tok_tab[(unsigned char)names[i].p[j]])
				abort();
	if (dpx_http_parse_request(rq, sizeof(rq) - 1, NULL, &req) != 1)
		abort();
	k = dpx_http_vary_key(names, va.n, &req, key, sizeof(key));
	if (k < 0)
		abort();
	exact_room(vary_wr, &va, k, key, -1);
}

struct key_arg {
	const struct dpx_http_key_opts *o;
};

static int key_wr(const void *a, char *out, uint32_t cap)
{
	const struct key_arg *k = a;

	return dpx_http_cache_key(&req, "https", k->o, out, cap);
}

struct merge_arg {
	const struct dpx_http_response *a, *b;
};

static int merge_wr(const void *a, char *out, uint32_t cap)
{
	const struct merge_arg *m = a;

	return dpx_http_merge_304(m->a, m->b, out, cap);
}

/* Every rule on a response head and a request head. */
static void fuzz_messages(const char *s, uint32_t len)
{
	static const struct dpx_http_str drop[] = { { "utm", 3 } };
	const char *nul = memchr(s, 0, len);
	struct dpx_http_key_opts o = { false, false, drop, 0 };
	struct dpx_http_cache_cfg cfg = dpx_http_cache_default_cfg;
	struct dpx_http_cache_times t;
	struct dpx_http_rsp_cache rc;
	struct dpx_http_req_cache q;
	struct dpx_http_range rg[DPX_HTTP_RANGES_MAX];
	struct dpx_http_str inv[3];
	char *rh, *qh, out[16384];
	uint32_t rl, ql, n;
	int k;

	if (!nul || len < 1)
		return;
	rl = (uint32_t)(nul - s);
	ql = len - rl - 1;
	rh = copy_of(s, rl);
	qh = copy_of(nul + 1, ql);
	if (dpx_http_parse_response(rh, rl, NULL, false, &rsp) != 1 ||
	    dpx_http_parse_request(qh, ql, NULL, &req) != 1)
		goto out;
	/* options from the status's last digit and the head lengths */
	cfg.heuristics = rsp.status & 1;
	cfg.ignore_request_cc = rl & 1;
	cfg.stale_grace = ql % 7 * 10;
	o.ignore_query = rsp.status & 2;
	o.sort_query = rsp.status & 4;
	o.n_drop = (rsp.status >> 3) & 1;
	t.request_time = 1700000000 - (int64_t)(rl % 5);
	t.response_time = 1700000000;
	t.now = 1700000000 + (int64_t)ql * 37;
	dpx_http_rsp_cache_info(&rsp, t.now, &cfg, &rc);
	dpx_http_req_cache_info(&req, &q);
	if ((unsigned)dpx_http_storable(&q, &rc, &cfg, t.response_time) >=
	    DPX_HTTP_NS_COUNT)
		abort();
	if (dpx_http_freshness_lifetime(&rc, &cfg, t.response_time, NULL) < 0 ||
	    dpx_http_current_age(&rc, &t) < 0)
		abort();
	if ((unsigned)dpx_http_serve_decision(&rc, &q, &t, &cfg, NULL) >
	    DPX_HTTP_SERVE_GATEWAY_TIMEOUT)
		abort();
	(void)dpx_http_stale_if_error_ok(&rc, &q, &t, &cfg);
	(void)dpx_http_not_modified(&req, &rc, t.now);
	(void)dpx_http_revalidation_fields(&rc, out, sizeof(out));
	(void)dpx_http_request_ranges(&req, &rc, ql * 3, &cfg, t.now, rg, &n);
	n = dpx_http_invalidation_targets(&(struct dpx_http_uri_base){
			req.method, "http", req.host, req.target }, &rsp, inv,
			out, sizeof(out));
	for (uint32_t i = 0; i < n; i++)
		if (inv[i].len == 0 || inv[i].p[0] != '/')
			abort();
	k = dpx_http_cache_key(&req, "https", &o, out, sizeof(out));
	if (k < DPX_HTTP_KEY_E_TARGET)
		abort();
	exact_room(key_wr, &(struct key_arg){ &o }, k, out,
		   DPX_HTTP_KEY_E_SPACE);
	k = dpx_http_merge_304(&rsp, &rsp, out, sizeof(out));
	if (k > 0) {
		exact_room(merge_wr, &(struct merge_arg){ &rsp, &rsp }, k, out,
			   -1);
		if (dpx_http_parse_response(out, (uint32_t)k,
					    &(struct dpx_http_limits){
						    65536, 200, 65536, 0 },
					    false, &rsp2) == 0)
			abort();	/* complete, if perhaps refused */
	}
out:
	free(rh);
	free(qh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len;
	char *buf;

	if (size < 1 || size > 65536)
		return 0;
	len = (uint32_t)(size - 1);
	buf = copy_of((const char *)data + 1, len);
	switch (data[0] % 5) {
	case 0:
		fuzz_cc(buf, len);
		break;
	case 1:
		fuzz_date(buf, len);
		break;
	case 2:
		fuzz_range(buf, len);
		break;
	case 3:
		fuzz_vary(buf, len);
		break;
	default:
		fuzz_messages(buf, len);
		break;
	}
	free(buf);
	return 0;
}
