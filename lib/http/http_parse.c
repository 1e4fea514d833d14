/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict HTTP/1.1 request- and response-head parser (RFC 9112, RFC 9110).
 * Lines are found with memchr(LF); bytes are then checked with table
 * lookups. Anything that two parsers could frame differently is rejected
 * rather than repaired:
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
static const uint8_t tgt_tab[256] = {
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

int dpx_http_list_next(struct dpx_http_list_it *it, struct dpx_http_str *tok)
{
	const char *p = it->p, *end = it->end, *s;

	if (!it->first) {
		if (p == end)
			return 0;
		while (p < end && dpx_http_is_ows(*p))
			p++;
		if (p == end || *p != ',')
			return -1;
		p++;
		while (p < end && dpx_http_is_ows(*p))
			p++;
	}
	it->first = false;
	s = p;
	while (p < end && dpx_http_tok_tab[(unsigned char)*p])
		p++;
	if (p == s)
		return -1;
	tok->p = s;
	tok->len = (uint32_t)(p - s);
	it->p = p;
	return 1;
}

static bool valid_authority(const char *p, uint32_t n)
{
	if (n == 0)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!host_tab[(unsigned char)p[i]])
			return false;
	return true;
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

static int parse_request_line(const char *line, uint32_t n,
			      struct dpx_http_request *req)
{
	const char *t;
	uint32_t i = 0, s, j, v, tn;

	while (i < n && dpx_http_tok_tab[(unsigned char)line[i]])
		i++;
	if (i == 0 || i == n || line[i] != ' ')
		return ERR(BAD);
	req->method.p = line;
	req->method.len = i;

	s = j = i + 1;
	while (j < n && tgt_tab[(unsigned char)line[j]])
		j++;
	if (j == s || j == n || line[j] != ' ')
		return ERR(BAD);
	t = line + s;
	tn = j - s;
	req->target.p = t;
	req->target.len = tn;

	v = j + 1;
	if (n - v != 8 || memcmp(line + v, "HTTP/", 5) != 0 ||
	    line[v + 5] < '0' || line[v + 5] > '9' || line[v + 6] != '.' ||
	    line[v + 7] < '0' || line[v + 7] > '9')
		return ERR(BAD);
	if (line[v + 5] != '1' || line[v + 7] > '1')
		return ERR(VERSION);
	req->version_minor = (uint8_t)(line[v + 7] - '0');

	req->host.p = NULL;
	req->host.len = 0;
	if (req->method.len == 7 && memcmp(line, "CONNECT", 7) == 0) {
		if (!valid_connect_target(t, tn))
			return ERR(BAD);
		req->host = req->target;
	} else if (t[0] == '/') {
		/* origin-form */
	} else if (tn == 1 && t[0] == '*') {
		if (req->method.len != 7 || memcmp(line, "OPTIONS", 7) != 0)
			return ERR(BAD);
	} else {
		/* absolute-form: "http://" or "https://" authority [path] */
		uint32_t a, e;

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
	}
	return 0;
}

struct field_state {
	uint32_t n_host, n_cl, n_te;
	uint32_t te_chunked;	/* how many "chunked" codings */
	bool te_last_chunked, te_unknown;
	bool conn_close, conn_keep_alive, conn_upgrade;
	bool has_upgrade, expect_continue;
	struct dpx_http_str host;
	uint64_t cl;
};

static int parse_content_length(const char *p, uint32_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return ERR(BAD);
	for (uint32_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return ERR(BAD);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int classify_field(const struct dpx_http_header *h,
			  struct field_state *fs)
{
	const char *np = h->name.p, *vp = h->value.p;
	uint32_t nl = h->name.len, vl = h->value.len;
	struct dpx_http_list_it it = { vp, vp + vl, true };
	struct dpx_http_str tok;
	int r;

	switch (nl) {
	case 4:
		if (IEQ(np, nl, "host")) {
			fs->n_host++;
			fs->host = h->value;
		}
		break;
	case 6:
		if (IEQ(np, nl, "expect") && IEQ(vp, vl, "100-continue"))
			fs->expect_continue = true;
		break;
	case 7:
		if (IEQ(np, nl, "upgrade") && vl > 0)
			fs->has_upgrade = true;
		break;
	case 10:
		if (!IEQ(np, nl, "connection"))
			break;
		while ((r = dpx_http_list_next(&it, &tok)) > 0) {
			if (IEQ(tok.p, tok.len, "close"))
				fs->conn_close = true;
			else if (IEQ(tok.p, tok.len, "keep-alive"))
				fs->conn_keep_alive = true;
			else if (IEQ(tok.p, tok.len, "upgrade"))
				fs->conn_upgrade = true;
		}
		if (r < 0)
			return ERR(BAD);
		break;
	case 14:
		if (!IEQ(np, nl, "content-length"))
			break;
		if (++fs->n_cl > 1)
			return ERR(BAD);
		return parse_content_length(vp, vl, &fs->cl);
	case 17:
		if (!IEQ(np, nl, "transfer-encoding"))
			break;
		fs->n_te++;
		while ((r = dpx_http_list_next(&it, &tok)) > 0) {
			fs->te_last_chunked = IEQ(tok.p, tok.len, "chunked");
			if (fs->te_last_chunked)
				fs->te_chunked++;
			else
				fs->te_unknown = true;
		}
		if (r < 0)
			return ERR(BAD);
		break;
	default:
		break;
	}
	return 0;
}

static int finish(struct dpx_http_request *req, const struct field_state *fs,
		  const struct dpx_http_limits *lim)
{
	bool v11 = req->version_minor == 1;

	if (fs->n_host > 1 || (v11 && fs->n_host == 0))
		return ERR(BAD);
	if (fs->n_host == 1) {
		if (!valid_authority(fs->host.p, fs->host.len))
			return ERR(BAD);
		if (req->host.p == NULL)
			req->host = fs->host;
	}

	req->body = DPX_HTTP_BODY_NONE;
	req->content_length = 0;
	if (fs->n_te > 0) {
		if (!v11 || fs->n_cl > 0)
			return ERR(BAD);
		if (fs->te_chunked > 1 ||
		    (fs->te_chunked == 1 && !fs->te_last_chunked))
			return ERR(BAD);
		if (fs->te_unknown)
			return ERR(NOT_IMPLEMENTED);
		req->body = DPX_HTTP_BODY_CHUNKED;
	} else if (fs->n_cl == 1) {
		if (lim->max_body != 0 && fs->cl > lim->max_body)
			return ERR(BODY_TOO_LARGE);
		req->body = DPX_HTTP_BODY_LENGTH;
		req->content_length = fs->cl;
	}

	if (v11)
		req->keep_alive = !fs->conn_close;
	else
		req->keep_alive = fs->conn_keep_alive && !fs->conn_close;
	req->expect_continue = v11 && fs->expect_continue;
	req->upgrade = v11 && fs->has_upgrade && fs->conn_upgrade;
	return 0;
}

/*
 * Find the LF ending the line that starts at ls, searching no further than
 * the line limit and the head limit allow. Returns the LF index, or
 * UINT32_MAX with *why = 0 (need more bytes) or 1 (line limit hit) or
 * 2 (head limit hit).
 */
static uint32_t find_lf(const char *buf, uint32_t len, uint32_t ls,
			uint32_t max_line, uint32_t max_head, int *why)
{
	uint64_t lend = (uint64_t)ls + max_line + 2;	/* CRLF */
	uint64_t win = len;
	const char *lf;

	if (win > max_head)
		win = max_head;
	if (win > lend)
		win = lend;
	lf = win > ls ? memchr(buf + ls, '\n', (size_t)(win - ls)) : NULL;
	if (lf != NULL)
		return (uint32_t)(lf - buf);
	if (win == lend)
		*why = 1;
	else if (win == max_head)
		*why = 2;
	else
		*why = 0;
	return UINT32_MAX;
}

static uint32_t header_cap(const struct dpx_http_limits *lim)
{
	return lim->max_headers < DPX_HTTP_MAX_HEADERS ?
	       lim->max_headers : DPX_HTTP_MAX_HEADERS;
}

/*
 * Parse the field lines from buf[*pos] up to and including the empty line
 * ending the head, into hdr[0, *n_hdr) and fs. Returns 1 with *pos just past
 * the head, 0 when more bytes are needed, or a negative error.
 */
static int parse_fields(const char *buf, uint32_t len, uint32_t *pos,
			const struct dpx_http_limits *lim,
			struct dpx_http_header *hdr, uint32_t *n_hdr,
			struct field_state *fs)
{
	uint32_t max_hdrs = header_cap(lim), p = *pos, le;
	int why, r;

	memset(fs, 0, sizeof(*fs));
	*n_hdr = 0;
	for (;;) {
		const char *line = buf + p;
		struct dpx_http_header *h;
		uint32_t n, i, v, e;

		if (p >= lim->max_head)
			return ERR(HEADERS_TOO_LARGE);
		le = find_lf(buf, len, p, lim->max_line, lim->max_head, &why);
		if (le == UINT32_MAX)
			return why == 0 ? 0 : ERR(HEADERS_TOO_LARGE);
		if (le == p || buf[le - 1] != '\r')
			return ERR(BAD);
		n = le - 1 - p;
		p = le + 1;
		if (n == 0)
			break;
		if (dpx_http_is_ows(line[0]))		/* obs-fold */
			return ERR(BAD);
		i = 0;
		while (i < n && dpx_http_tok_tab[(unsigned char)line[i]])
			i++;
		if (i == 0 || i == n || line[i] != ':')
			return ERR(BAD);
		v = i + 1;
		while (v < n && dpx_http_is_ows(line[v]))
			v++;
		e = n;
		while (e > v && dpx_http_is_ows(line[e - 1]))
			e--;
		for (uint32_t k = v; k < e; k++)
			if (!dpx_http_val_tab[(unsigned char)line[k]])
				return ERR(BAD);
		if (*n_hdr >= max_hdrs)
			return ERR(HEADERS_TOO_LARGE);
		h = &hdr[(*n_hdr)++];
		h->name.p = line;
		h->name.len = i;
		h->value.p = line + v;
		h->value.len = e - v;
		r = classify_field(h, fs);
		if (r < 0)
			return r;
	}
	*pos = p;
	return 1;
}

int dpx_http_parse_request(const char *buf, uint32_t len,
			   const struct dpx_http_limits *lim,
			   struct dpx_http_request *req)
{
	struct field_state fs;
	uint32_t pos = 0, le;
	int why, r;

	if (lim == NULL)
		lim = &dpx_http_default_limits;

	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while (len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;
	if (pos >= lim->max_head)
		return ERR(HEADERS_TOO_LARGE);

	le = find_lf(buf, len, pos, lim->max_line, lim->max_head, &why);
	if (le == UINT32_MAX)
		return why == 0 ? 0 :
		       why == 1 ? ERR(URI_TOO_LONG) : ERR(HEADERS_TOO_LARGE);
	if (le == pos || buf[le - 1] != '\r')
		return ERR(BAD);
	r = parse_request_line(buf + pos, le - 1 - pos, req);
	if (r < 0)
		return r;
	pos = le + 1;

	r = parse_fields(buf, len, &pos, lim, req->headers, &req->n_headers,
			 &fs);
	if (r <= 0)
		return r;
	r = finish(req, &fs, lim);
	if (r < 0)
		return r;
	req->head_len = pos;
	return 1;
}

/*
 * status-line = HTTP-version SP status-code SP [ reason-phrase ]. The SP
 * after the code is also accepted missing when the reason is empty, as
 * widely deployed servers send "HTTP/1.1 200\r\n"; that cannot change how
 * anything is framed.
 */
static int parse_status_line(const char *line, uint32_t n,
			     struct dpx_http_response *rsp)
{
	uint32_t code = 0;

	if (n < 12 || memcmp(line, "HTTP/", 5) != 0 ||
	    line[5] < '0' || line[5] > '9' || line[6] != '.' ||
	    line[7] < '0' || line[7] > '9' || line[8] != ' ')
		return ERR(BAD);
	for (uint32_t i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return ERR(BAD);
		code = code * 10 + (uint32_t)(line[i] - '0');
	}
	if (code < 100 || code > 599)
		return ERR(BAD);
	if (n > 12 && line[12] != ' ')
		return ERR(BAD);
	for (uint32_t i = 13; i < n; i++)
		if (!dpx_http_val_tab[(unsigned char)line[i]])
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
			   const struct field_state *fs, bool request_was_head)
{
	bool v11 = rsp->version_minor == 1;
	uint16_t st = rsp->status;

	if (fs->n_te > 0) {
		/* RFC 9112 6.1: TE in HTTP/1.0 means faulty framing */
		if (!v11 || fs->n_cl > 0 || fs->te_chunked > 1)
			return ERR(BAD);
	}
	rsp->content_length = 0;
	if (request_was_head || st < 200 || st == 204 || st == 304)
		rsp->body = DPX_HTTP_BODY_NONE;
	else if (fs->n_te > 0)
		rsp->body = fs->te_last_chunked ? DPX_HTTP_BODY_CHUNKED :
						  DPX_HTTP_BODY_CLOSE;
	else if (fs->n_cl == 1)
		rsp->body = DPX_HTTP_BODY_LENGTH;
	else
		rsp->body = DPX_HTTP_BODY_CLOSE;
	if (rsp->body == DPX_HTTP_BODY_LENGTH)
		rsp->content_length = fs->cl;

	rsp->upgrade = st == 101;
	if (v11)
		rsp->keep_alive = !fs->conn_close;
	else
		rsp->keep_alive = fs->conn_keep_alive && !fs->conn_close;
	if (rsp->body == DPX_HTTP_BODY_CLOSE || rsp->upgrade)
		rsp->keep_alive = false;
	return 0;
}

int dpx_http_parse_response(const char *buf, uint32_t len,
			    const struct dpx_http_limits *lim,
			    bool request_was_head,
			    struct dpx_http_response *rsp)
{
	struct field_state fs;
	uint32_t pos = 0, le;
	int why, r;

	if (lim == NULL)
		lim = &dpx_http_default_limits;
	le = find_lf(buf, len, 0, lim->max_line, lim->max_head, &why);
	if (le == UINT32_MAX)
		return why == 0 ? 0 : ERR(HEADERS_TOO_LARGE);
	if (le == 0 || buf[le - 1] != '\r')
		return ERR(BAD);
	r = parse_status_line(buf, le - 1, rsp);
	if (r < 0)
		return r;
	pos = le + 1;

	r = parse_fields(buf, len, &pos, lim, rsp->headers, &rsp->n_headers,
			 &fs);
	if (r <= 0)
		return r;
	r = finish_response(rsp, &fs, request_was_head);
	if (r < 0)
		return r;
	rsp->head_len = pos;
	return 1;
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
