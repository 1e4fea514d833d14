/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/http: the character classes, the byte scanners and the
 * token-list iterator shared by the head parser, the chunked-body scanner
 * and the head writers, so that every part of the module accepts exactly
 * the same bytes.
 */
#ifndef DPX_HTTP_INTERNAL_H
#define DPX_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpx_http.h"

/* tchar (RFC 9110 5.6.2): method and field names, list elements */
extern const uint8_t dpx_http_tok_tab[256];
/* field-value bytes: HTAB, SP, VCHAR, obs-text; no other CTL, no DEL */
extern const uint8_t dpx_http_val_tab[256];
/* request-target bytes: VCHAR except '#' */
extern const uint8_t dpx_http_tgt_tab[256];

/*
 * Byte scanners: the first index in [pos, end) whose byte is outside the
 * class, or end. buf[0, end) must be readable; nothing outside it is read.
 */
typedef uint32_t (*dpx_http_scan_fn)(const char *buf, uint32_t pos,
				     uint32_t end);

/* Where a head parse is (struct dpx_http_parser stage). */
enum { DPX_HTTP_ST_START = 0, DPX_HTTP_ST_FIRST_LINE, DPX_HTTP_ST_FIELDS,
       DPX_HTTP_ST_DONE };

/* The first line of a head: how it is parsed, and its limit's error. */
struct dpx_http_first {
	/* The clean line buf[ls, cr), its first token ending at tok, into
	 * msg: 0 or an error. */
	int (*parse)(void *msg, const char *buf, uint32_t ls, uint32_t cr,
		     uint32_t tok);
	void *msg;
	int long_err;		/* over max_line: 414 or 431 */
	bool skip_empty;	/* requests: empty lines before it are not */
};

/*
 * The hot loop of the head parser, one build per instruction set (see
 * http_scan.c): lines from ps->pos, each whole and clean in buf[0, end),
 * end = min(len, max_head): the first line through first (if ps->stage is
 * DPX_HTTP_ST_FIRST_LINE), then field lines into hdr[*n_hdr...] and ps.
 * Returns 1 after the empty line ending the head (ps->pos past it), an
 * error, or 0 when the line at ps->pos is not whole and clean there: then
 * buf[ps->pos, ps->scan) are value bytes and the resumable find_line()
 * takes over.
 */
typedef int (*dpx_http_fields_fn)(struct dpx_http_parser *ps,
				  const char *buf, uint32_t end,
				  const struct dpx_http_limits *lim,
				  const struct dpx_http_first *first,
				  struct dpx_http_header *hdr,
				  uint32_t *n_hdr);

struct dpx_http_scanners {
	dpx_http_fields_fn fields;
	dpx_http_scan_fn value;		/* dpx_http_val_tab */
	dpx_http_scan_fn token;		/* dpx_http_tok_tab */
	dpx_http_scan_fn target;	/* dpx_http_tgt_tab */
};

/* The set chosen at start (http_scan.c); changed only by set_isa. */
extern const struct dpx_http_scanners *dpx_http_scan;

static inline unsigned char dpx_http_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool dpx_http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive compare of two spans. */
static inline bool dpx_http_name_eq(const char *a, uint32_t alen,
				    const char *b, uint32_t blen)
{
	if (alen != blen)
		return false;
	for (uint32_t i = 0; i < alen; i++)
		if (dpx_http_lower((unsigned char)a[i]) !=
		    dpx_http_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* The first byte of p[0, n) not in the class tab, or n; four bytes a
 * round (for the short spans not worth a vector scan). */
static inline uint32_t dpx_http_span(const uint8_t *tab, const char *p,
				     uint32_t n)
{
	uint32_t i = 0;

	for (; n - i >= 4; i += 4) {
		if (!tab[(unsigned char)p[i]])
			return i;
		if (!tab[(unsigned char)p[i + 1]])
			return i + 1;
		if (!tab[(unsigned char)p[i + 2]])
			return i + 2;
		if (!tab[(unsigned char)p[i + 3]])
			return i + 3;
	}
	while (i < n && tab[(unsigned char)p[i]])
		i++;
	return i;
}

static inline uint64_t dpx_http_ld64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t dpx_http_ld32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t dpx_http_ld16(const char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * tok[0, n) equals the literal lit (n bytes, lower-case letters and '-'
 * only) ignoring case, for a token tok: OR-ing 0x20 into a tchar gives a
 * lower-case letter only for a letter and '-' only for '-', so whole words
 * compare at once. Inlined with constant n and lit, it is a few loads and
 * compares against immediates.
 */
static inline __attribute__((always_inline)) bool
dpx_http_tok_is(const char *tok, const char *lit, uint32_t n)
{
	const uint64_t l8 = 0x2020202020202020ull;
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8)
		if ((dpx_http_ld64(tok + i) | l8) != dpx_http_ld64(lit + i))
			return false;
	if (i == n)
		return true;
	if (n > 8)
		return (dpx_http_ld64(tok + n - 8) | l8) ==
		       dpx_http_ld64(lit + n - 8);
	if (n >= 4)
		return (dpx_http_ld32(tok) | 0x20202020u) ==
		       dpx_http_ld32(lit) &&
		       (dpx_http_ld32(tok + n - 4) | 0x20202020u) ==
		       dpx_http_ld32(lit + n - 4);
	if (n >= 2)
		return (uint16_t)(dpx_http_ld16(tok) | 0x2020u) ==
		       dpx_http_ld16(lit) &&
		       (uint16_t)(dpx_http_ld16(tok + n - 2) | 0x2020u) ==
		       dpx_http_ld16(lit + n - 2);
	return ((unsigned char)tok[0] | 0x20) == (unsigned char)lit[0];
}

/* Token span s is the literal lit (see dpx_http_tok_is). */
#define DPX_HTTP_TOK_IS(s, lit) \
	((s).len == sizeof(lit) - 1 && \
	 dpx_http_tok_is((s).p, lit, sizeof(lit) - 1))

/*
 * The field a token names: a switch on the length, then at most two
 * word-wise compares. Inline: it runs once per received field line.
 */
static inline __attribute__((always_inline)) enum dpx_http_field
dpx_http_field_id(const char *p, uint32_t n)
{
#define IS(lit, f) if (dpx_http_tok_is(p, lit, sizeof(lit) - 1)) return (f)
	switch (n) {
	case 2:
		IS("te", DPX_HTTP_F_TE);
		break;
	case 3:
		IS("via", DPX_HTTP_F_VIA);
		break;
	case 4:
		IS("host", DPX_HTTP_F_HOST);
		break;
	case 6:
		IS("cookie", DPX_HTTP_F_COOKIE);
		IS("server", DPX_HTTP_F_SERVER);
		IS("expect", DPX_HTTP_F_EXPECT);
		break;
	case 7:
		IS("upgrade", DPX_HTTP_F_UPGRADE);
		IS("trailer", DPX_HTTP_F_TRAILER);
		break;
	case 9:
		IS("forwarded", DPX_HTTP_F_FORWARDED);
		break;
	case 10:
		IS("connection", DPX_HTTP_F_CONNECTION);
		IS("keep-alive", DPX_HTTP_F_KEEP_ALIVE);
		break;
	case 12:
		IS("x-powered-by", DPX_HTTP_F_X_POWERED_BY);
		break;
	case 14:
		IS("content-length", DPX_HTTP_F_CONTENT_LENGTH);
		break;
	case 15:
		IS("x-forwarded-for", DPX_HTTP_F_X_FORWARDED_FOR);
		break;
	case 16:
		IS("x-forwarded-host", DPX_HTTP_F_X_FORWARDED_HOST);
		IS("proxy-connection", DPX_HTTP_F_PROXY_CONNECTION);
		break;
	case 17:
		IS("transfer-encoding", DPX_HTTP_F_TRANSFER_ENCODING);
		IS("x-forwarded-proto", DPX_HTTP_F_X_FORWARDED_PROTO);
		break;
	default:
		break;
	}
	return DPX_HTTP_F_OTHER;
#undef IS
}

/* Strict token list: token *( OWS "," OWS token ), no empty elements. */
struct dpx_http_list_it {
	const char *p, *end;
	bool first;
};

static inline void dpx_http_list_init(struct dpx_http_list_it *it,
				      struct dpx_http_str s)
{
	it->p = s.p;
	it->end = s.p + s.len;
	it->first = true;
}

/* 1: *tok set; 0: end of list; -1: malformed. */
static inline int dpx_http_list_next(struct dpx_http_list_it *it,
				     struct dpx_http_str *tok)
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
	p += dpx_http_span(dpx_http_tok_tab, p, (uint32_t)(end - p));
	if (p == s)
		return -1;
	tok->p = s;
	tok->len = (uint32_t)(p - s);
	it->p = p;
	return 1;
}

/* What a field means for framing and connection handling (http_parse.c):
 * 0 or an error. */
int dpx_http_field_effects(struct dpx_http_parser *ps,
			   const struct dpx_http_header *h);

/* The fields dpx_http_field_effects() acts on. */
#define DPX_HTTP_EFFECT_FIELDS ((1u << DPX_HTTP_F_HOST) | \
				(1u << DPX_HTTP_F_EXPECT) | \
				(1u << DPX_HTTP_F_UPGRADE) | \
				(1u << DPX_HTTP_F_CONNECTION) | \
				(1u << DPX_HTTP_F_CONTENT_LENGTH) | \
				(1u << DPX_HTTP_F_TRANSFER_ENCODING))

static inline uint32_t dpx_http_header_cap(const struct dpx_http_limits *lim)
{
	return lim->max_headers < DPX_HTTP_MAX_HEADERS ?
	       lim->max_headers : DPX_HTTP_MAX_HEADERS;
}

/*
 * The field line buf[ls, cr), free of CTLs but HTAB, its name ending at
 * tok (the first byte outside tchar), into **h (then *h moves on; h_end
 * is the end of the room), *seen (fields_seen) and ps: 0 or an error, in
 * the order a line-by-line parse meets them (bad syntax 400, then too
 * many fields 431, then what the field means).
 */
static inline __attribute__((always_inline)) int
dpx_http_field_line(struct dpx_http_parser *ps, const char *buf, uint32_t ls,
		    uint32_t cr, uint32_t tok, struct dpx_http_header **h,
		    const struct dpx_http_header *h_end, uint32_t *seen)
{
	struct dpx_http_header *x = *h;
	uint32_t v, e, f;
	bool canonical;

	/* an empty name; also obs-fold, as SP and HTAB are no tchar */
	if (tok == ls || buf[tok] != ':')
		return -DPX_HTTP_E_BAD;
	/* the usual ": " then no OWS (tok < cr: buf[tok + 2] is in the line
	 * or its LF) */
	canonical = dpx_http_ld16(buf + tok) == dpx_http_ld16(": ") &&
		    !dpx_http_is_ows(buf[tok + 2]);
	v = tok + 1 + canonical;
	if (!canonical)
		while (v < cr && dpx_http_is_ows(buf[v]))
			v++;
	e = cr;
	if (dpx_http_is_ows(buf[e - 1]))	/* rare: trailing OWS */
		while (e > v && dpx_http_is_ows(buf[e - 1]))
			e--;
	if (x == h_end)
		return -DPX_HTTP_E_HEADERS_TOO_LARGE;
	f = dpx_http_field_id(buf + ls, tok - ls);
	x->name.p = buf + ls;
	x->name.len = tok - ls;
	x->value.p = buf + v;
	x->value.len = e - v;
	x->field = (uint8_t)f;
	x->canonical = canonical && e == cr;
	*h = x + 1;
	*seen |= 1u << f;
	if ((DPX_HTTP_EFFECT_FIELDS >> f) & 1)
		return dpx_http_field_effects(ps, x);
	return 0;
}

#endif /* DPX_HTTP_INTERNAL_H */
