/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/http. The first byte picks the mode:
 *  0 request head, 1 response head: the next two bytes pick small limits
 *    (so that the 414/431 paths are reached) and the rewrite options; the
 *    rest is the received data, copied to an exact-size heap buffer so that
 *    ASan sees any overread. Checks: a known status for every error, spans
 *    inside the head, a head ending in CRLFCRLF, the same answer when only
 *    the head, or one byte less, is passed again; then the head writer's
 *    output must parse again with the same framing, and must be refused,
 *    not overflowed, with one byte less of room.
 *    A forward proxy's target split and origin-form rewrite are checked
 *    on every request that parses.
 *    Differential: every instruction set the CPU has (scalar, SSE4.2,
 *    AVX2) must give the scalar one-shot parse's result and message, in
 *    one call, resumed after a split at the point the fifth byte picks,
 *    and resumed byte by byte (each prefix is complete exactly when the
 *    one-shot parse of it is); bytes past a prefix are poisoned for ASan.
 *    A chunked response's head to store (dpx_http_dechunked_head) must
 *    parse back with the Content-Length given and without its framing.
 *  2 chunked body: five bytes pick the limits, a split point and a
 *    fragment size; the outcome (result, bytes used, payload bytes) must be
 *    the same in one call, in two calls split there, and in fragments,
 *    also when dpx_http_chunked_data stops at every run of chunk data
 *    (whose lengths add up to the payload).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dpx_http.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#endif
#endif
#ifndef POISON
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dpx_http_request req, req2;
static struct dpx_http_response rsp, rsp2;
static struct dpx_hdr_edits edits;

static void check_span(struct dpx_http_str s, const char *buf, uint32_t head)
{
	if (s.len == 0)
		return;
	if (s.p < buf || s.p + s.len > buf + head)
		abort();
}

static void check_head(const char *buf, uint32_t len, uint32_t h,
		       const struct dpx_http_limits *lim,
		       const struct dpx_http_header *hdr, uint32_t n_hdr)
{
	if (h < 4 || h > len || h > lim->max_head ||
	    memcmp(buf + h - 4, "\r\n\r\n", 4) != 0)
		abort();
	if (n_hdr > DPX_HTTP_MAX_HEADERS || n_hdr > lim->max_headers)
		abort();
	for (uint32_t i = 0; i < n_hdr; i++) {
		check_span(hdr[i].name, buf, h);
		check_span(hdr[i].value, buf, h);
	}
}

static void set_limits(const uint8_t *d, struct dpx_http_limits *lim)
{
	*lim = dpx_http_default_limits;
	if (d[0] & 1) {
		lim->max_line = 16 + d[1] % 64;
		lim->max_headers = d[0] >> 4;
		lim->max_head = 64 + (uint32_t)d[1] * 2;
		lim->max_body = d[0] & 2 ? 1000 : 0;
	}
}

static void init_edits(uint8_t sel)
{
	memset(&edits, 0, sizeof(edits));
	strcpy(edits.set[edits.n_set].name, "X-Set");
	strcpy(edits.set[edits.n_set++].value, "v");
	if (sel & 1) {
		strcpy(edits.set[edits.n_set].name, "Host");
		strcpy(edits.set[edits.n_set++].value, "backend.example:81");
	}
	/* reserved for dpx: must be ignored */
	strcpy(edits.set[edits.n_set].name, "Content-Length");
	strcpy(edits.set[edits.n_set++].value, "1");
	strcpy(edits.remove[edits.n_remove++], "cookie");
	strcpy(edits.remove[edits.n_remove++], "transfer-encoding");
	if (sel & 2)
		strcpy(edits.remove[edits.n_remove++], "x-forwarded-for");
}

typedef int (*write_fn)(char *out, uint32_t cap, const void *msg,
			const void *rw);

static int write_req(char *out, uint32_t cap, const void *m, const void *rw)
{
	return dpx_http_write_request(out, cap, m, rw);
}

static int write_rsp(char *out, uint32_t cap, const void *m, const void *rw)
{
	return dpx_http_write_response(out, cap, m, rw);
}

/*
 * Write with room to spare, then again with exactly the room needed and
 * one byte less (exact-size buffers): same bytes, then -1. Returns the
 * output (caller frees) and its length in *n.
 */
static char *write_checked(write_fn wr, const void *msg, const void *rw,
			   uint32_t len, int *n)
{
	uint32_t cap = 2 * len + 4096;
	char *out = malloc(cap), *b;
	int m;

	*n = wr(out, cap, msg, rw);
	if (*n <= 0)
		abort();
	b = malloc((size_t)*n);
	m = wr(b, (uint32_t)*n, msg, rw);
	if (m != *n || memcmp(b, out, (size_t)m) != 0)
		abort();
	free(b);
	b = malloc((size_t)*n - 1 ? (size_t)*n - 1 : 1);
	if (wr(b, (uint32_t)*n - 1, msg, rw) != -1)
		abort();
	free(b);
	return out;
}

static void rewrite_request(uint8_t sel, uint32_t len)
{
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.1", .proto = "http",
		.forwarded = (enum dpx_forwarded)(sel % 4),
		.via = sel & 4, .edits = sel & 8 ? &edits : NULL,
	};
	struct dpx_http_limits lim;
	char *out;
	int n, r;

	init_edits(sel >> 4);
	out = write_checked(write_req, &req, &rw, len, &n);
	lim.max_line = (uint32_t)n;
	lim.max_headers = DPX_HTTP_MAX_HEADERS;
	lim.max_head = (uint32_t)n;
	lim.max_body = 0;
	r = dpx_http_parse_request(out, (uint32_t)n, &lim, &req2);
	if (req.host.len == 0) {
		/* "Host: " with an empty value: the proxy's parser says 400 */
	} else if (r == -DPX_HTTP_E_HEADERS_TOO_LARGE) {
		if (req.n_headers < DPX_HTTP_MAX_HEADERS - 8)
			abort();
	} else if (r != 1 || req2.head_len != (uint32_t)n ||
		   req2.body != req.body ||
		   req2.content_length != req.content_length ||
		   req2.upgrade != req.upgrade ||
		   req2.target.len != req.target.len ||
		   memcmp(req2.target.p, req.target.p, req.target.len) != 0) {
		abort();
	}
	free(out);
}

/* A forward proxy's view: the target split (spans inside it), and an
 * absolute-form request written in origin-form parses again with its
 * path as the target. */
static void forward_request(uint32_t len)
{
	static const struct dpx_http_str drops[] = {
		{ "Proxy-Authorization", 19 }, { "X-Real-IP", 9 }, { "Via", 3 },
	};
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.1", .forwarded = DPX_FWD_NONE,
		.origin_form = true, .drop_names = drops, .n_drop_names = 3,
		.user_agent = "dpx-fuzz",
	};
	bool connect = req.method.len == 7 &&
		       memcmp(req.method.p, "CONNECT", 7) == 0;
	struct dpx_http_target t;
	struct dpx_http_limits lim = dpx_http_default_limits;
	const char *end = req.target.p + req.target.len;
	char *out;
	int n;

	if (dpx_http_target_split(req.target.p, req.target.len, connect,
				  &t) != DPX_HTTP_T_OK)
		return;
	if (t.host.len == 0 || t.host.len > 253 || t.port == 0 ||
	    t.host.p < req.target.p || t.host.p + t.host.len > end ||
	    (t.path.len > 0 && (t.path.p < req.target.p ||
				t.path.p + t.path.len != end)))
		abort();
	if (connect)
		return;
	out = write_checked(write_req, &req, &rw, len, &n);
	lim.max_line = lim.max_head = (uint32_t)n;
	if (req.host.len > 0 &&
	    dpx_http_parse_request(out, (uint32_t)n, &lim, &req2) == 1 &&
	    (req2.target.p[0] != '/' ||
	     (t.path.len > 0 && t.path.p[0] == '/' &&
	      (req2.target.len != t.path.len ||
	       memcmp(req2.target.p, t.path.p, t.path.len) != 0))))
		abort();
	free(out);
}

/* ---- differential: instruction sets, one-shot against resumed ---- */

static struct dpx_http_request dreq;
static struct dpx_http_response drsp;

static bool span_same(struct dpx_http_str a, struct dpx_http_str b)
{
	return a.len == b.len && a.p == b.p;	/* same buffer */
}

static bool headers_same(const struct dpx_http_header *a,
			 const struct dpx_http_header *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!span_same(a[i].name, b[i].name) ||
		    !span_same(a[i].value, b[i].value) ||
		    a[i].field != b[i].field ||
		    a[i].canonical != b[i].canonical)
			return false;
	return true;
}

static bool req_same(const struct dpx_http_request *a,
		     const struct dpx_http_request *b)
{
	return span_same(a->method, b->method) &&
	       span_same(a->target, b->target) &&
	       span_same(a->host, b->host) &&
	       a->version_minor == b->version_minor &&
	       a->n_headers == b->n_headers &&
	       headers_same(a->headers, b->headers, a->n_headers) &&
	       a->body == b->body && a->content_length == b->content_length &&
	       a->keep_alive == b->keep_alive &&
	       a->expect_continue == b->expect_continue &&
	       a->upgrade == b->upgrade && a->conn_names == b->conn_names &&
	       a->fields_seen == b->fields_seen && a->head_len == b->head_len;
}

static bool rsp_same(const struct dpx_http_response *a,
		     const struct dpx_http_response *b)
{
	return a->status == b->status &&
	       a->version_minor == b->version_minor &&
	       span_same(a->reason, b->reason) &&
	       a->n_headers == b->n_headers &&
	       headers_same(a->headers, b->headers, a->n_headers) &&
	       a->body == b->body && a->content_length == b->content_length &&
	       a->keep_alive == b->keep_alive && a->upgrade == b->upgrade &&
	       a->conn_names == b->conn_names &&
	       a->fields_seen == b->fields_seen && a->head_len == b->head_len;
}

/* What is parsed: a request, or a response (to HEAD or not). */
struct dcase {
	const char *buf;	/* exact-size heap copy */
	uint32_t len;
	const struct dpx_http_limits *lim;
	bool response, to_head;
};

/* One-shot on buf[0, k), the rest poisoned. */
static int donce(const struct dcase *c, uint32_t k)
{
	int r;

	POISON(c->buf + k, c->len - k);
	if (c->response)
		r = dpx_http_parse_response(c->buf, k, c->lim, c->to_head,
					    &drsp);
	else
		r = dpx_http_parse_request(c->buf, k, c->lim, &dreq);
	UNPOISON(c->buf + k, c->len - k);
	return r;
}

/* Resumed on buf[0, k), the rest poisoned. */
static int dmore(struct dpx_http_parser *ps, const struct dcase *c,
		 uint32_t k)
{
	int r;

	POISON(c->buf + k, c->len - k);
	if (c->response)
		r = dpx_http_parse_response_more(ps, c->buf, k, c->lim,
						 c->to_head, &drsp);
	else
		r = dpx_http_parse_request_more(ps, c->buf, k, c->lim, &dreq);
	UNPOISON(c->buf + k, c->len - k);
	return r;
}

/* The last parse's message is the reference one (req or rsp). */
static bool dsame(const struct dcase *c)
{
	return c->response ? rsp_same(&drsp, &rsp) : req_same(&dreq, &req);
}

/*
 * ref: the scalar one-shot result for buf[0, len), whose message is in
 * req or rsp. split: where the two-call parse splits.
 */
static void differential(const struct dcase *c, int ref, uint32_t split)
{
	enum dpx_http_isa start = dpx_http_get_isa();
	struct dpx_http_parser ps;
	uint32_t k;
	int r;

	for (int isa = DPX_HTTP_ISA_SCALAR; isa <= DPX_HTTP_ISA_AVX2; isa++) {
		if (dpx_http_set_isa((enum dpx_http_isa)isa) != 0)
			continue;
		if (donce(c, c->len) != ref || (ref == 1 && !dsame(c)))
			abort();
		dpx_http_parser_init(&ps);
		r = dmore(&ps, c, split);
		if (r != 0 && r != ref)
			abort();	/* errors and completion are final */
		if (dmore(&ps, c, c->len) != ref || (ref == 1 && !dsame(c)))
			abort();
		/* byte by byte: 0 until the prefix one-shot says otherwise */
		dpx_http_parser_init(&ps);
		for (k = 0, r = 0; k <= c->len && r == 0; k++)
			r = dmore(&ps, c, k);
		if (r != ref || (ref == 1 && !dsame(c)))
			abort();
		if (r != 0 && (donce(c, k - 1) != r ||
			       (k > 1 && donce(c, k - 2) != 0)))
			abort();
	}
	dpx_http_set_isa(start);
}

/* The scalar one-shot parse into req or rsp, checked against the others;
 * sel picks the split point. */
static int reference(const struct dcase *c, uint8_t sel)
{
	enum dpx_http_isa start = dpx_http_get_isa();
	int r;

	dpx_http_set_isa(DPX_HTTP_ISA_SCALAR);
	if (c->response)
		r = dpx_http_parse_response(c->buf, c->len, c->lim, c->to_head,
					    &rsp);
	else
		r = dpx_http_parse_request(c->buf, c->len, c->lim, &req);
	dpx_http_set_isa(start);
	differential(c, r, (uint32_t)(((uint64_t)sel * c->len) / 255));
	return r;
}

static void fuzz_request(const uint8_t *d, const char *buf, uint32_t len)
{
	struct dpx_http_limits lim;
	int r, r2;

	set_limits(d, &lim);
	r = reference(&(struct dcase){ buf, len, &lim, false, false }, d[4]);
	if (r < 0) {
		int st = dpx_http_error_status(r);

		if (st != 400 && st != 413 && st != 414 && st != 431 &&
		    st != 501 && st != 505)
			abort();
	} else if (r == 1) {
		uint32_t h = req.head_len;

		check_head(buf, len, h, &lim, req.headers, req.n_headers);
		if (req.version_minor > 1)
			abort();
		if (req.method.len == 0 || req.target.len == 0)
			abort();
		check_span(req.method, buf, h);
		check_span(req.target, buf, h);
		check_span(req.host, buf, h);
		if (req.body == DPX_HTTP_BODY_CHUNKED && req.version_minor != 1)
			abort();
		if (req.body == DPX_HTTP_BODY_CLOSE)
			abort();
		/* only the head: same result */
		r2 = dpx_http_parse_request(buf, h, &lim, &req2);
		if (r2 != 1 || req2.head_len != h || req2.body != req.body ||
		    req2.content_length != req.content_length ||
		    req2.n_headers != req.n_headers ||
		    req2.keep_alive != req.keep_alive)
			abort();
		/* one byte short of the head: never complete */
		r2 = dpx_http_parse_request(buf, h - 1, &lim, &req2);
		if (r2 == 1)
			abort();
		rewrite_request(d[2], len);
		forward_request(len);
	} else if (r != 0) {
		abort();
	}
	if (r == 0 && len > 0) {
		/* a prefix of an incomplete head is incomplete too */
		if (dpx_http_parse_request(buf, len - 1, &lim, &req2) != 0)
			abort();
	}
}

static void rewrite_response(uint8_t sel, bool head, uint32_t len)
{
	struct dpx_http_rsp_rewrite rw = {
		.server_header = (enum dpx_server_header)(sel % 3),
		.server_value = sel & 4 ? "dpx/1" : NULL,
		.via = sel & 8, .edits = sel & 16 ? &edits : NULL,
		.close = sel & 32, .client_http10_keepalive = sel & 64,
	};
	struct dpx_http_limits lim;
	char *out;
	int n, r;

	init_edits(sel >> 6);
	out = write_checked(write_rsp, &rsp, &rw, len, &n);
	lim.max_line = (uint32_t)n;
	lim.max_headers = DPX_HTTP_MAX_HEADERS;
	lim.max_head = (uint32_t)n;
	lim.max_body = 0;
	r = dpx_http_parse_response(out, (uint32_t)n, &lim, head, &rsp2);
	if (r == -DPX_HTTP_E_HEADERS_TOO_LARGE) {
		if (rsp.n_headers < DPX_HTTP_MAX_HEADERS - 8)
			abort();
	} else if (r != 1 || rsp2.head_len != (uint32_t)n ||
		   rsp2.status != rsp.status || rsp2.body != rsp.body ||
		   rsp2.content_length != rsp.content_length ||
		   rsp2.upgrade != rsp.upgrade) {
		abort();
	}
	free(out);
}

/* A chunked response's head to store (head: rsp's bytes): it parses back
 * with a Content-Length body of the length given, no Transfer-Encoding or
 * Trailer, the same status and fields otherwise; refused, not overrun,
 * with one byte less of room; refused for anything not chunked only. */
static void dechunked_head(const char *head, uint8_t sel)
{
	static char out[70000];
	uint64_t len = (uint64_t)sel * 1000003;
	uint32_t dropped = 0;
	char *small;
	int n = dpx_http_dechunked_head(&rsp, head, len, out, sizeof(out));

	if (!dpx_http_chunked_only(&rsp)) {
		if (n != -1)
			abort();
		return;
	}
	if (n <= 0 || dpx_http_parse_response(out, (uint32_t)n, NULL, false,
					      &rsp2) != 1 ||
	    rsp2.head_len != (uint32_t)n || rsp2.status != rsp.status ||
	    rsp2.body != DPX_HTTP_BODY_LENGTH || rsp2.content_length != len)
		abort();
	for (uint32_t i = 0; i < rsp.n_headers; i++) {
		const struct dpx_http_str *nm = &rsp.headers[i].name;

		if ((nm->len == 17 && strncasecmp(nm->p, "transfer-encoding",
						  17) == 0) ||
		    (nm->len == 7 && strncasecmp(nm->p, "trailer", 7) == 0))
			dropped++;
	}
	if (rsp2.n_headers != rsp.n_headers - dropped + 1)
		abort();
	small = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);
	if (dpx_http_dechunked_head(&rsp, head, len, small,
				    (uint32_t)n - 1) != -1)
		abort();
	free(small);
}

static void fuzz_response(const uint8_t *d, const char *buf, uint32_t len)
{
	struct dpx_http_limits lim;
	bool head = d[0] & 4;
	int r, r2;

	set_limits(d, &lim);
	r = reference(&(struct dcase){ buf, len, &lim, true, head }, d[4]);
	if (r < 0) {
		if (r != -DPX_HTTP_E_BAD && r != -DPX_HTTP_E_VERSION &&
		    r != -DPX_HTTP_E_HEADERS_TOO_LARGE)
			abort();
	} else if (r == 1) {
		uint32_t h = rsp.head_len;

		check_head(buf, len, h, &lim, rsp.headers, rsp.n_headers);
		check_span(rsp.reason, buf, h);
		if (rsp.version_minor > 1 || rsp.status < 100 ||
		    rsp.status > 599)
			abort();
		if (rsp.upgrade != (rsp.status == 101))
			abort();
		if ((head || rsp.status < 200 || rsp.status == 204 ||
		     rsp.status == 304) && rsp.body != DPX_HTTP_BODY_NONE)
			abort();
		if (rsp.body == DPX_HTTP_BODY_CLOSE && rsp.keep_alive)
			abort();
		if (rsp.body != DPX_HTTP_BODY_LENGTH && rsp.content_length)
			abort();
		r2 = dpx_http_parse_response(buf, h, &lim, head, &rsp2);
		if (r2 != 1 || rsp2.head_len != h || rsp2.body != rsp.body ||
		    rsp2.content_length != rsp.content_length ||
		    rsp2.n_headers != rsp.n_headers ||
		    rsp2.keep_alive != rsp.keep_alive)
			abort();
		if (dpx_http_parse_response(buf, h - 1, &lim, head, &rsp2) == 1)
			abort();
		rewrite_response(d[3], head, len);
		dechunked_head(buf, d[2]);
	} else if (r != 0) {
		abort();
	}
	if (r == 0 && len > 0 &&
	    dpx_http_parse_response(buf, len - 1, &lim, head, &rsp2) != 0)
		abort();
}

struct scan_result {
	int r;
	uint32_t used;		/* bytes used, or offset of the error */
	uint64_t payload;
};

/* Scan s[0, len) in fragments of at most frag bytes, from a fresh state. */
static struct scan_result scan(const char *s, uint32_t len, uint32_t frag,
			       uint32_t max_line, uint32_t max_trl)
{
	struct dpx_http_chunked st;
	struct scan_result res = { 0, 0, 0 };
	uint32_t off = 0;

	dpx_http_chunked_init(&st, max_line, max_trl);
	do {
		uint32_t n = len - off < frag ? len - off : frag, used = 0;

		res.r = dpx_http_chunked_scan(&st, s + off, n, &used);
		if (used > n || (res.r == 0 && used != n))
			abort();
		off += used;
	} while (res.r == 0 && off < len);
	res.used = off;
	res.payload = dpx_http_chunked_body_bytes(&st);
	return res;
}

/* The same in fragments with dpx_http_chunked_data: the scan's outcome,
 * data runs inside what each call used, adding up to the payload. */
static void dechunk(const char *s, uint32_t len, uint32_t frag,
		    uint32_t max_line, uint32_t max_trl,
		    const struct scan_result *want)
{
	struct dpx_http_chunked st;
	uint64_t data = 0;
	uint32_t off = 0;
	int r = 0;

	dpx_http_chunked_init(&st, max_line, max_trl);
	do {
		uint32_t n = len - off < frag ? len - off : frag, at = 0;

		do {
			uint32_t used = 0, d_off = 0, d_len = 0;

			r = dpx_http_chunked_data(&st, s + off + at, n - at,
						  &used, &d_off, &d_len);
			if (used > n - at || d_off + d_len > used ||
			    (r < 0 && d_len != 0))
				abort();
			data += d_len;
			at += used;
		} while (r == 0 && at < n);
		off += at;
	} while (r == 0 && off < len);
	if (r != want->r || off != want->used ||
	    (r >= 0 && data != want->payload))
		abort();
}

static void fuzz_chunked(const uint8_t *d, const char *buf, uint32_t len)
{
	uint32_t max_line = d[0], max_trl = (uint32_t)d[1] * 4;
	uint32_t k = ((uint32_t)d[2] | (uint32_t)d[3] << 8) % (len + 1);
	uint32_t frag = d[4] % 16 + 1, u1 = 0, u2 = 0;
	struct scan_result whole, frags;
	struct dpx_http_chunked st;
	char *a, *b;
	int r1, r2 = 0;

	whole = scan(buf, len, len ? len : 1, max_line, max_trl);
	if (whole.r != 1 && whole.r != 0 && whole.r != -DPX_HTTP_E_BAD)
		abort();
	if (whole.r == 1 && (whole.used < 5 || whole.used > len ||
			     memcmp(buf + whole.used - 2, "\r\n", 2) != 0))
		abort();
	if (whole.payload > len)
		abort();

	/* two halves, each in its own exact-size buffer */
	a = malloc(k ? k : 1);
	b = malloc(len - k ? len - k : 1);
	memcpy(a, buf, k);
	memcpy(b, buf + k, len - k);
	dpx_http_chunked_init(&st, max_line, max_trl);
	r1 = dpx_http_chunked_scan(&st, a, k, &u1);
	if (r1 == 0) {
		if (u1 != k)
			abort();
		r2 = dpx_http_chunked_scan(&st, b, len - k, &u2);
		u1 += u2;
		r1 = r2;
	}
	if (r1 != whole.r || u1 != whole.used)
		abort();
	if (r1 >= 0 && dpx_http_chunked_body_bytes(&st) != whole.payload)
		abort();
	free(a);
	free(b);

	frags = scan(buf, len, frag, max_line, max_trl);
	if (frags.r != whole.r || frags.used != whole.used ||
	    (whole.r >= 0 && frags.payload != whole.payload))
		abort();
	dechunk(buf, len, frag, max_line, max_trl, &whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t hdr = 6;	/* mode byte, then five parameter bytes */
	uint32_t len;
	char *buf;

	if (size < hdr || size > 200000)
		return 0;
	len = (uint32_t)(size - hdr);
	buf = malloc(len ? len : 1);
	memcpy(buf, data + hdr, len);
	switch (data[0] % 3) {
	case 0:
		fuzz_request(data + 1, buf, len);
		break;
	case 1:
		fuzz_response(data + 1, buf, len);
		break;
	default:
		fuzz_chunked(data + 1, buf, len);
		break;
	}
	free(buf);
	return 0;
}
