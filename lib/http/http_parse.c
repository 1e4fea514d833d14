/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict HTTP/1.1 request- and response-head parser (RFC 9112, RFC 9110).
 * Anything that two parsers could frame differently is rejected rather
 * than repaired:
 *
 *  - every line must end in CRLF: a bare LF, or a CR anywhere else, is 400;
 *  - a field line starting with SP/HTAB (obs-fold) is 400, and so is any
 *    whitespace between a field name and its colon;
 *  - Content-Length must be 1*DIGIT without overflow and appear once: a
 *    second one is 400 even with an equal value (RFC 9110 8.6 allows
 *    merging equal values; a proxy should not);
 *  - Content-Length together with Transfer-Encoding is 400;
 *  - Transfer-Encoding (all its field lines together) must be a plain token
 *    list whose only coding is "chunked": a malformed list, a coding with
 *    parameters, "chunked" more than once or not last is 400; any other
 *    coding (gzip, xchunked, ...) is 501, as this proxy only de-frames
 *    chunked; Transfer-Encoding in HTTP/1.0 is 400;
 *  - HTTP/1.1 needs exactly one Host field, HTTP/1.0 at most one; an empty
 *    Host or one with bytes outside an authority is 400;
 *  - Connection must be a token list (else 400).
 *
 * Responses share the field-line rules, the Content-Length rules and the
 * ban on Content-Length with Transfer-Encoding. Their framing follows RFC
 * 9112 6.3: no body after HEAD, 1xx, 204 and 304; chunked when it is the
 * final coding, else read until close; Transfer-Encoding in an HTTP/1.0
 * response is an error (6.1 calls such framing faulty).
 *
 * How: one pass of the value scanner (SIMD where the CPU has it) finds the
 * end of each line and, in the same pass, whether the line holds a byte no
 * head line may (a CTL other than HTAB, DEL, a CR not before its LF): such
 * a line is 400 whatever else it holds, so a clean line needs no further
 * per-byte check of its value. Names and targets get their own scans, the
 * name is classified once (dpx_http_field_of) and the framing state is
 * kept in struct dpx_http_parser, so a call resumes at the line where the
 * last one stopped, and inside it where the search for its end stopped.
 * Errors come out in the order a whole-head parse meets them, so every
 * split of the bytes gives the same answer.
 */
#include <string.h>

#include "dpx_http.h"
#include "http_internal.h"

/* tchar (RFC 9110 5.6.2): method and field names, list elements */
const uint8_t dpx_http_tok_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* field-value bytes: HTAB, SP, VCHAR, obs-text; no other CTL, no DEL */
const uint8_t dpx_http_val_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* request-target bytes: VCHAR except '#' */
const uint8_t dpx_http_tgt_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* authority bytes (RFC 3986 reg-name/IP-literal/port), no userinfo */
static const uint8_t host_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

const struct dpx_http_limits dpx_http_default_limits = {
	.max_line = 8192, .max_headers = 100, .max_head = 65536, .max_body = 0,
};

#define ERR(e) (-DPX_HTTP_E_##e)

/* A complete line buf[ls, cr) CRLF; tok: where its first token ends. */
struct line {
	uint32_t ls, cr, tok;
};

enum dpx_http_field dpx_http_field_of(const char *name, uint32_t len)
{
	return dpx_http_field_id(name, len);
}

/* Case-insensitive compare with a lower-case literal. */
static bool ieq(const char *p, uint32_t n, const char *lit, uint32_t litlen)
{
	if (n != litlen)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (dpx_http_lower((unsigned char)p[i]) !=
		    (unsigned char)lit[i])
			return false;
	return true;
}

#define IEQ(p, n, lit) ieq((p), (n), lit, sizeof(lit) - 1)

static bool valid_authority(const char *p, uint32_t n)
{
	return n > 0 && dpx_http_span(host_tab, p, n) == n;
}

/* authority-form (CONNECT): host ":" port, port 1*DIGIT. */
static bool valid_connect_target(const char *p, uint32_t n)
{
	uint32_t colon = n;

	if (!valid_authority(p, n))
		return false;
	while (colon > 0 && p[colon - 1] != ':')
		colon--;
	if (colon < 2 || colon == n)	/* no ':', empty host or port */
		return false;
	for (uint32_t i = colon; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* The Host a request's target names, if any (RFC 9112 3.2.2). */
static int target_host(struct dpx_http_request *req)
{
	const char *t = req->target.p;
	uint32_t tn = req->target.len, a, e;

	req->host.p = NULL;
	req->host.len = 0;
	if (req->method.len == 7 && memcmp(req->method.p, "CONNECT", 7) == 0) {
		if (!valid_connect_target(t, tn))
			return ERR(BAD);
		req->host = req->target;
		return 0;
	}
	if (t[0] == '/')	/* origin-form */
		return 0;
	if (tn == 1 && t[0] == '*')
		return req->method.len == 7 &&
		       memcmp(req->method.p, "OPTIONS", 7) == 0 ? 0 : ERR(BAD);
	/* absolute-form: "http://" or "https://" authority [path] */
	if (tn > 7 && IEQ(t, 7, "http://"))
		a = 7;
	else if (tn > 8 && IEQ(t, 8, "https://"))
		a = 8;
	else
		return ERR(BAD);
	e = a;
	while (e < tn && t[e] != '/' && t[e] != '?')
		e++;
	if (!valid_authority(t + a, e - a))
		return ERR(BAD);
	req->host.p = t + a;
	req->host.len = e - a;
	return 0;
}

/*
 * The request line buf[ls, cr), free of CTLs but HTAB, the method ending
 * at tok (its first byte outside tchar); a dpx_http_first parse.
 */
static int parse_request_line(void *msg, const char *buf, uint32_t ls,
			      uint32_t cr, uint32_t tok)
{
	struct dpx_http_request *req = msg;
	uint32_t i = tok, j;
	const char *v;

	if (i == ls || buf[i] != ' ')
		return ERR(BAD);
	req->method.p = buf + ls;
	req->method.len = i - ls;

	/* a short target in place, a long one by the vector scanner; both
	 * stop at cr at the latest */
	j = i + 1 + dpx_http_span(dpx_http_tgt_tab, buf + i + 1,
				  cr - i < 16 ? cr - i : 16);
	if (j == i + 17)
		j = dpx_http_scan->target(buf, j, cr + 1);
	if (j == i + 1 || buf[j] != ' ')
		return ERR(BAD);
	req->target.p = buf + i + 1;
	req->target.len = j - i - 1;

	v = buf + j + 1;
	if (cr - (j + 1) != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return ERR(BAD);
	if (v[5] != '1' || v[7] > '1')
		return ERR(VERSION);
	req->version_minor = (uint8_t)(v[7] - '0');
	return target_host(req);
}

static int parse_content_length(const char *p, uint32_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return ERR(BAD);
	if (n <= 19) {		/* below 10^19: no overflow to check for */
		for (uint32_t i = 0; i < n; i++) {
			unsigned d = (unsigned char)p[i] - '0';

			if (d > 9)
				return ERR(BAD);
			v = v * 10 + d;
		}
		*out = v;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return ERR(BAD);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static void count_to_2(uint8_t *n)
{
	if (*n < 2)
		(*n)++;
}

/* Connection: its options, and what else it names (DPX_HTTP_CONN_*). */
static int connection_tokens(struct dpx_http_parser *ps, struct dpx_http_str v)
{
	struct dpx_http_list_it it;
	struct dpx_http_str tok;
	int r;

	/* The usual single option needs no list walk (the value holds no
	 * CTL, so the word compare is exact). */
	if (DPX_HTTP_TOK_IS(v, "keep-alive")) {
		ps->conn_keep_alive = true;
		return 0;
	}
	dpx_http_list_init(&it, v);
	while ((r = dpx_http_list_next(&it, &tok)) > 0) {
		if (DPX_HTTP_TOK_IS(tok, "close")) {
			ps->conn_close = true;
			ps->conn_names |= DPX_HTTP_CONN_CLOSE;
			continue;
		}
		switch (dpx_http_field_id(tok.p, tok.len)) {
		case DPX_HTTP_F_KEEP_ALIVE:
			ps->conn_keep_alive = true;
			break;
		case DPX_HTTP_F_UPGRADE:
			ps->conn_upgrade = true;
			break;
		/* dropped, or kept, whatever Connection says */
		case DPX_HTTP_F_CONNECTION:
		case DPX_HTTP_F_PROXY_CONNECTION:
		case DPX_HTTP_F_TE:
		case DPX_HTTP_F_TRAILER:
		case DPX_HTTP_F_CONTENT_LENGTH:
		case DPX_HTTP_F_TRANSFER_ENCODING:
		case DPX_HTTP_F_HOST:
			break;
		default:
			ps->conn_names |= DPX_HTTP_CONN_OTHER;
			break;
		}
	}
	return r < 0 ? ERR(BAD) : 0;
}

static int te_tokens(struct dpx_http_parser *ps, struct dpx_http_str v)
{
	struct dpx_http_list_it it;
	struct dpx_http_str tok;
	int r;

	count_to_2(&ps->n_te);
	dpx_http_list_init(&it, v);
	while ((r = dpx_http_list_next(&it, &tok)) > 0) {
		ps->te_last_chunked = DPX_HTTP_TOK_IS(tok, "chunked");
		if (ps->te_last_chunked)
			count_to_2(&ps->te_chunked);
		else
			ps->te_unknown = true;
	}
	return r < 0 ? ERR(BAD) : 0;
}

/*
 * What a field means for framing and connection handling. Values hold no
 * CTL (find_line), so the word-wise compare of DPX_HTTP_TOK_IS is exact
 * for "100-continue" too: OR-ing 0x20 maps no other non-CTL byte onto a
 * letter, digit or '-'.
 */
int dpx_http_field_effects(struct dpx_http_parser *ps,
			   const struct dpx_http_header *h)
{
	switch (h->field) {
	case DPX_HTTP_F_HOST:
		count_to_2(&ps->n_host);
		ps->host = h->value;
		return 0;
	case DPX_HTTP_F_EXPECT:
		if (DPX_HTTP_TOK_IS(h->value, "100-continue"))
			ps->expect_continue = true;
		return 0;
	case DPX_HTTP_F_UPGRADE:
		if (h->value.len > 0)
			ps->has_upgrade = true;
		return 0;
	case DPX_HTTP_F_CONNECTION:
		return connection_tokens(ps, h->value);
	case DPX_HTTP_F_CONTENT_LENGTH:
		count_to_2(&ps->n_cl);
		if (ps->n_cl > 1)
			return ERR(BAD);
		return parse_content_length(h->value.p, h->value.len, &ps->cl);
	case DPX_HTTP_F_TRANSFER_ENCODING:
		return te_tokens(ps, h->value);
	default:
		return 0;
	}
}

enum { LINE_FOUND, LINE_MORE, LINE_LONG, LINE_FULL };


/*
 * Look for the LF ending the line at ps->pos, no further than the line
 * limit and the head limit allow, resuming at ps->scan. LINE_FOUND sets
 * *lf, and ps->line_bad if a byte before it may not be in a head line
 * (then only the LF is looked for any more); otherwise the LF is not in
 * reach yet (LINE_MORE), or the line (LINE_LONG) or head (LINE_FULL) limit
 * cut the search short. A CR ends the scan only if its LF follows.
 */
static int find_line(struct dpx_http_parser *ps, const char *buf,
		     uint32_t len, const struct dpx_http_limits *lim,
		     uint32_t *lf)
{
	uint64_t lend = (uint64_t)ps->pos + lim->max_line + 2;	/* CRLF */
	uint32_t win = len, i = ps->scan;
	const char *p;

	if (win > lim->max_head)
		win = lim->max_head;
	if (win > lend)
		win = (uint32_t)lend;
	while (!ps->line_bad && i < win) {
		i = dpx_http_scan->value(buf, i, win);
		if (i == win)
			break;
		if (buf[i] == '\n' ||
		    (buf[i] == '\r' && i + 1 < win && buf[i + 1] == '\n')) {
			*lf = buf[i] == '\n' ? i : i + 1;
			return LINE_FOUND;
		}
		if (buf[i] == '\r' && i + 1 == win)
			break;		/* its LF may still come */
		ps->line_bad = true;
		i++;
	}
	if (ps->line_bad && i < win) {
		p = memchr(buf + i, '\n', win - i);
		if (p != NULL) {
			*lf = (uint32_t)(p - buf);
			return LINE_FOUND;
		}
		i = win;
	}
	ps->scan = i;
	if (win == lend)
		return LINE_LONG;
	return win == lim->max_head ? LINE_FULL : LINE_MORE;
}

static void next_line(struct dpx_http_parser *ps, uint32_t pos)
{
	ps->pos = pos;
	ps->scan = pos;
	ps->line_bad = false;
}

/*
 * The line at ps->pos, once complete and well terminated: 1 with *l set
 * and ps moved past it, 0 for more bytes, or an error; long_err is the one
 * for a line over max_line. Resumes where the last call (or the hot loop)
 * stopped; for the first line, and for field lines the hot loop leaves
 * (not all there yet, or holding a stray byte).
 */
static int take_line(struct dpx_http_parser *ps, const char *buf,
		     uint32_t len, const struct dpx_http_limits *lim,
		     int long_err, struct line *l)
{
	uint32_t ls = ps->pos, lf;
	int st = find_line(ps, buf, len, lim, &lf);

	if (st == LINE_MORE)
		return 0;
	if (st == LINE_LONG)
		return long_err;
	if (st == LINE_FULL)
		return ERR(HEADERS_TOO_LARGE);
	if (lf == ls || buf[lf - 1] != '\r' || ps->line_bad)
		return ERR(BAD);
	next_line(ps, lf + 1);
	l->ls = ls;
	l->cr = lf - 1;
	l->tok = dpx_http_scan->token(buf, ls, lf);	/* stops at cr */
	return 1;
}

/*
 * The lines of the head from ps->pos up to and including the empty line
 * ending it: the first line through first, then the field lines into
 * hdr[*n_hdr...] and ps; the instruction set's hot loop while lines come
 * whole and clean, take_line() for one that does not. Returns 1 with
 * ps->pos just past the head, 0 when more bytes are needed, or a negative
 * error.
 */
static inline __attribute__((always_inline)) int
head_lines(struct dpx_http_parser *ps, const char *buf,
		      uint32_t len, const struct dpx_http_limits *lim,
		      const struct dpx_http_first *first,
		      struct dpx_http_header *hdr, uint32_t *n_hdr)
{
	uint32_t end = len < lim->max_head ? len : lim->max_head;
	uint32_t cap = dpx_http_header_cap(lim);
	struct line l = { 0, 0, 0 };
	struct dpx_http_header *h;
	bool in_first;
	int r;

	for (;;) {
		if (ps->scan == ps->pos) {
			r = dpx_http_scan->fields(ps, buf, end, lim, first, hdr,
						  n_hdr);
			if (r != 0)
				return r;
		}
		if (ps->pos >= lim->max_head)
			return ERR(HEADERS_TOO_LARGE);
		in_first = ps->stage == DPX_HTTP_ST_FIRST_LINE;
		r = take_line(ps, buf, len, lim, in_first ? first->long_err :
				  ERR(HEADERS_TOO_LARGE), &l);
		if (r <= 0)
			return r;
		if (in_first) {
			if (l.cr == l.ls && first->skip_empty)
				continue;
			r = first->parse(first->msg, buf, l.ls, l.cr, l.tok);
			if (r < 0)
				return r;
			ps->stage = DPX_HTTP_ST_FIELDS;
			continue;
		}
		if (l.cr == l.ls)
			return 1;
		h = hdr + *n_hdr;
		r = dpx_http_field_line(ps, buf, l.ls, l.cr, l.tok, &h,
					hdr + cap, &ps->fields_seen);
		*n_hdr = (uint32_t)(h - hdr);
		if (r < 0)
			return r;
	}
}

static int finish_request(struct dpx_http_request *req,
			  const struct dpx_http_parser *ps,
			  const struct dpx_http_limits *lim)
{
	bool v11 = req->version_minor == 1;

	if (ps->n_host > 1 || (v11 && ps->n_host == 0))
		return ERR(BAD);
	if (ps->n_host == 1) {
		if (!valid_authority(ps->host.p, ps->host.len))
			return ERR(BAD);
		if (req->host.p == NULL)
			req->host = ps->host;
	}

	req->body = DPX_HTTP_BODY_NONE;
	req->content_length = 0;
	if (ps->n_te > 0) {
		if (!v11 || ps->n_cl > 0)
			return ERR(BAD);
		if (ps->te_chunked > 1 ||
		    (ps->te_chunked == 1 && !ps->te_last_chunked))
			return ERR(BAD);
		if (ps->te_unknown)
			return ERR(NOT_IMPLEMENTED);
		req->body = DPX_HTTP_BODY_CHUNKED;
	} else if (ps->n_cl == 1) {
		if (lim->max_body != 0 && ps->cl > lim->max_body)
			return ERR(BODY_TOO_LARGE);
		req->body = DPX_HTTP_BODY_LENGTH;
		req->content_length = ps->cl;
	}

	if (v11)
		req->keep_alive = !ps->conn_close;
	else
		req->keep_alive = ps->conn_keep_alive && !ps->conn_close;
	req->expect_continue = v11 && ps->expect_continue;
	req->upgrade = v11 && ps->has_upgrade && ps->conn_upgrade;
	req->conn_names = ps->conn_names;
	req->fields_seen = ps->fields_seen;
	req->head_len = ps->pos;
	return 1;
}

void dpx_http_parser_init(struct dpx_http_parser *ps)
{
	memset(ps, 0, sizeof(*ps));
}

/*
 * Start or resume ps on buf, which fills a message whose parsed_by is
 * *owner. Returns true if the parse starts from buf[0] (the message's
 * fields are to be reset): first call, or the message was filled by
 * another parse since, or the bytes moved.
 */
static bool parse_begin(struct dpx_http_parser *ps, const char *buf,
			const struct dpx_http_parser **owner)
{
	if (ps->stage != DPX_HTTP_ST_START && (*owner != ps || ps->buf != buf))
		dpx_http_parser_init(ps);
	*owner = ps;
	if (ps->stage != DPX_HTTP_ST_START)
		return false;
	ps->buf = buf;
	ps->stage = DPX_HTTP_ST_FIRST_LINE;
	return true;
}

/* A non-zero result is final: kept for later calls. */
static int parse_end(struct dpx_http_parser *ps, int r)
{
	if (r != 0) {
		ps->stage = DPX_HTTP_ST_DONE;
		ps->result = (int8_t)r;
	}
	return r;
}

int dpx_http_parse_request_more(struct dpx_http_parser *ps, const char *buf,
				uint32_t len, const struct dpx_http_limits *lim,
				struct dpx_http_request *req)
{
	const struct dpx_http_first first = {
		parse_request_line, req, ERR(URI_TOO_LONG), true,
	};
	int r;

	if (lim == NULL)
		lim = &dpx_http_default_limits;
	if (parse_begin(ps, buf, &req->parsed_by))
		req->n_headers = 0;
	if (ps->stage == DPX_HTTP_ST_DONE)
		return ps->result;
	r = head_lines(ps, buf, len, lim, &first, req->headers,
		       &req->n_headers);
	if (r == 1)
		r = finish_request(req, ps, lim);
	return parse_end(ps, r);
}

int dpx_http_parse_request(const char *buf, uint32_t len,
			   const struct dpx_http_limits *lim,
			   struct dpx_http_request *req)
{
	struct dpx_http_parser ps;
	int r;

	dpx_http_parser_init(&ps);
	r = dpx_http_parse_request_more(&ps, buf, len, lim, req);
	req->parsed_by = NULL;	/* ps dies here */
	return r;
}

/*
 * status-line = HTTP-version SP status-code SP [ reason-phrase ]. The SP
 * after the code is also accepted missing when the reason is empty, as
 * widely deployed servers send "HTTP/1.1 200\r\n"; that cannot change how
 * anything is framed. The line holds no CTL but HTAB (find_line), so the
 * reason needs no further check.
 */
static int parse_status_line(void *msg, const char *buf, uint32_t ls,
			     uint32_t cr, uint32_t tok)
{
	struct dpx_http_response *rsp = msg;
	const char *line = buf + ls;
	uint32_t n = cr - ls, code = 0;

	(void)tok;
	if (n < 12 || memcmp(line, "HTTP/", 5) != 0 ||
	    line[5] < '0' || line[5] > '9' || line[6] != '.' ||
	    line[7] < '0' || line[7] > '9' || line[8] != ' ')
		return ERR(BAD);
	for (uint32_t i = 9; i < 12; i++) {
		unsigned d = (unsigned char)line[i] - '0';

		if (d > 9)
			return ERR(BAD);
		code = code * 10 + d;
	}
	if (code < 100 || code > 599)
		return ERR(BAD);
	if (n > 12 && line[12] != ' ')
		return ERR(BAD);
	if (line[5] != '1' || line[7] > '1')
		return ERR(VERSION);
	rsp->version_minor = (uint8_t)(line[7] - '0');
	rsp->status = (uint16_t)code;
	rsp->reason.p = line + (n > 12 ? 13 : 12);
	rsp->reason.len = n > 12 ? n - 13 : 0;
	return 0;
}

/* Message body length of a response: RFC 9112 6.3, strictly. */
static int finish_response(struct dpx_http_response *rsp,
			   const struct dpx_http_parser *ps,
			   bool request_was_head)
{
	bool v11 = rsp->version_minor == 1;
	uint16_t st = rsp->status;

	if (ps->n_te > 0) {
		/* RFC 9112 6.1: TE in HTTP/1.0 means faulty framing */
		if (!v11 || ps->n_cl > 0 || ps->te_chunked > 1)
			return ERR(BAD);
	}
	rsp->content_length = 0;
	if (request_was_head || st < 200 || st == 204 || st == 304)
		rsp->body = DPX_HTTP_BODY_NONE;
	else if (ps->n_te > 0)
		rsp->body = ps->te_last_chunked ? DPX_HTTP_BODY_CHUNKED :
						  DPX_HTTP_BODY_CLOSE;
	else if (ps->n_cl == 1)
		rsp->body = DPX_HTTP_BODY_LENGTH;
	else
		rsp->body = DPX_HTTP_BODY_CLOSE;
	if (rsp->body == DPX_HTTP_BODY_LENGTH)
		rsp->content_length = ps->cl;

	rsp->upgrade = st == 101;
	if (v11)
		rsp->keep_alive = !ps->conn_close;
	else
		rsp->keep_alive = ps->conn_keep_alive && !ps->conn_close;
	if (rsp->body == DPX_HTTP_BODY_CLOSE || rsp->upgrade)
		rsp->keep_alive = false;
	rsp->conn_names = ps->conn_names;
	rsp->fields_seen = ps->fields_seen;
	rsp->head_len = ps->pos;
	return 1;
}

int dpx_http_parse_response_more(struct dpx_http_parser *ps, const char *buf,
				 uint32_t len,
				 const struct dpx_http_limits *lim,
				 bool request_was_head,
				 struct dpx_http_response *rsp)
{
	const struct dpx_http_first first = {
		parse_status_line, rsp, ERR(HEADERS_TOO_LARGE), false,
	};
	int r;

	if (lim == NULL)
		lim = &dpx_http_default_limits;
	if (parse_begin(ps, buf, &rsp->parsed_by))
		rsp->n_headers = 0;
	if (ps->stage == DPX_HTTP_ST_DONE)
		return ps->result;
	r = head_lines(ps, buf, len, lim, &first, rsp->headers,
		       &rsp->n_headers);
	if (r == 1)
		r = finish_response(rsp, ps, request_was_head);
	return parse_end(ps, r);
}

int dpx_http_parse_response(const char *buf, uint32_t len,
			    const struct dpx_http_limits *lim,
			    bool request_was_head,
			    struct dpx_http_response *rsp)
{
	struct dpx_http_parser ps;
	int r;

	dpx_http_parser_init(&ps);
	r = dpx_http_parse_response_more(&ps, buf, len, lim, request_was_head,
					 rsp);
	rsp->parsed_by = NULL;	/* ps dies here */
	return r;
}

int dpx_http_error_status(int err)
{
	switch (-err) {
	case DPX_HTTP_E_BAD:
		return 400;
	case DPX_HTTP_E_URI_TOO_LONG:
		return 414;
	case DPX_HTTP_E_HEADERS_TOO_LARGE:
		return 431;
	case DPX_HTTP_E_BODY_TOO_LARGE:
		return 413;
	case DPX_HTTP_E_NOT_IMPLEMENTED:
		return 501;
	case DPX_HTTP_E_VERSION:
		return 505;
	default:
		return 500;
	}
}
