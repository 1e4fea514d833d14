/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Negotiation and the head side of compression: Accept-Encoding, whether
 * a response may be compressed, and the head edits. Pure string work on
 * the caller's spans; nothing is allocated.
 */
#include <string.h>
#include <strings.h>

#include "dpx_compress.h"

static const char *const coding_names[DPX_CODING_COUNT] = {
	[DPX_CODING_NONE] = "identity",
	[DPX_CODING_GZIP] = "gzip",
	[DPX_CODING_BR] = "br",
	[DPX_CODING_ZSTD] = "zstd",
};

const char *dpx_coding_name(enum dpx_coding c)
{
	return (unsigned int)c < DPX_CODING_COUNT ? coding_names[c] : NULL;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool span_is(const char *p, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(p, name, len) == 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), the
 * whole of p[0, len); -1 when it is not one. */
static int parse_qvalue(const char *p, size_t len)
{
	int q, scale = 100;
	size_t i;

	if (len == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * 1000;
	if (len == 1)
		return q;
	if (p[1] != '.' || len > 5)
		return -1;
	for (i = 2; i < len; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q <= 1000 ? q : -1;
}

/* One list member, OWS trimmed: codings [ OWS ";" OWS "q=" qvalue ].
 * Returns its weight and sets the name span, or -1 for garbage. */
static int parse_member(const char *p, size_t len, size_t *name_len)
{
	size_t i = 0;

	while (i < len && is_tchar((unsigned char)p[i]))
		i++;
	*name_len = i;
	if (i == 0)
		return -1;
	while (i < len && is_ows(p[i]))
		i++;
	if (i == len)
		return 1000;
	if (p[i++] != ';')
		return -1;
	while (i < len && is_ows(p[i]))
		i++;
	if (len - i < 2 || (p[i] != 'q' && p[i] != 'Q') || p[i + 1] != '=')
		return -1;
	return parse_qvalue(p + i + 2, len - i - 2);
}

static void keep_lowest(int16_t *slot, int q)
{
	if (*slot < 0 || q < *slot)
		*slot = (int16_t)q;
}

static void add_member(struct dpx_accept_encoding *ae, const char *p,
		       size_t len)
{
	size_t name_len;
	int q = parse_member(p, len, &name_len);

	if (q < 0)
		return;
	ae->members++;
	if (span_is(p, name_len, "gzip") || span_is(p, name_len, "x-gzip"))
		keep_lowest(&ae->q[DPX_CODING_GZIP], q);
	else if (span_is(p, name_len, "br"))
		keep_lowest(&ae->q[DPX_CODING_BR], q);
	else if (span_is(p, name_len, "zstd"))
		keep_lowest(&ae->q[DPX_CODING_ZSTD], q);
	else if (span_is(p, name_len, "identity"))
		keep_lowest(&ae->identity, q);
	else if (span_is(p, name_len, "*"))
		keep_lowest(&ae->star, q);
}

void dpx_accept_encoding_init(struct dpx_accept_encoding *ae)
{
	unsigned int i;

	for (i = 0; i < DPX_CODING_COUNT; i++)
		ae->q[i] = -1;
	ae->identity = -1;
	ae->star = -1;
	ae->members = 0;
}

void dpx_accept_encoding_parse(struct dpx_accept_encoding *ae,
			       const char *v, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (is_ows(v[i]) || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && is_ows(v[end - 1]))
			end--;
		if (end > start)
			add_member(ae, v + start, end - start);
	}
}

static int weight_of(const struct dpx_accept_encoding *ae, unsigned int c)
{
	if (ae->q[c] >= 0)
		return ae->q[c];
	return ae->star >= 0 ? ae->star : 0;
}

enum dpx_coding dpx_compress_choose(const struct dpx_compress_conf *conf,
				    const struct dpx_accept_encoding *ae)
{
	enum dpx_coding best = DPX_CODING_NONE;
	int best_q = 0;
	unsigned int i;

	if (conf == NULL || !conf->enabled)
		return DPX_CODING_NONE;
	for (i = 0; i < conf->n_codings && i < DPX_CODING_COUNT; i++) {
		unsigned int c = conf->codings[i];
		int q;

		if (c == DPX_CODING_NONE || c >= DPX_CODING_COUNT)
			continue;
		q = weight_of(ae, c);
		if (q > best_q) {	/* strict: ties keep the earlier */
			best_q = q;
			best = (enum dpx_coding)c;
		}
	}
	/* The client said it prefers the body as it is. */
	if (best != DPX_CODING_NONE && ae->identity > best_q)
		return DPX_CODING_NONE;
	return best;
}

enum dpx_coding dpx_compress_negotiate(const struct dpx_compress_conf *conf,
				       const struct dpx_http_str *values,
				       unsigned int n)
{
	struct dpx_accept_encoding ae;
	unsigned int i;

	if (n == 0)
		return DPX_CODING_NONE;
	dpx_accept_encoding_init(&ae);
	for (i = 0; i < n; i++)
		if (values[i].p != NULL)
			dpx_accept_encoding_parse(&ae, values[i].p,
						  values[i].len);
	return dpx_compress_choose(conf, &ae);
}

/* ---- eligibility ---- */

static const char *const why_names[DPX_COMPRESS_WHY_COUNT] = {
	[DPX_COMPRESS_YES] = "yes",
	[DPX_COMPRESS_DISABLED] = "disabled",
	[DPX_COMPRESS_STATUS] = "status",
	[DPX_COMPRESS_RANGE] = "range",
	[DPX_COMPRESS_ENCODED] = "encoded",
	[DPX_COMPRESS_NO_TRANSFORM] = "no_transform",
	[DPX_COMPRESS_TYPE] = "type",
	[DPX_COMPRESS_TOO_SMALL] = "too_small",
};

const char *dpx_compress_why_name(enum dpx_compress_why why)
{
	return (unsigned int)why < DPX_COMPRESS_WHY_COUNT ? why_names[why]
							  : "?";
}

static bool span_empty(const struct dpx_http_str *s)
{
	return s->p == NULL || s->len == 0;
}

/* The comma-separated list p[0, len) has a member whose first token is
 * name (case-insensitive); "no-transform" and "Accept-Encoding" are
 * looked up this way. */
static bool list_has(const char *p, size_t len, const char *name)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (is_ows(p[i]) || p[i] == ','))
			i++;
		start = i;
		while (i < len && p[i] != ',')
			i++;
		end = start;
		while (end < i && is_tchar((unsigned char)p[end]))
			end++;
		if (span_is(p + start, end - start, name))
			return true;
	}
	return false;
}

/* Responses that carry a body worth compressing: 200 and 203, and error
 * pages (4xx, 5xx). 206 is a range of the identity body; 1xx, 204, 205
 * and 304 have no body; redirects' bodies are tiny. */
static bool status_compressible(uint16_t status)
{
	return status == 200 || status == 203 ||
	       (status >= 400 && status <= 599);
}

bool dpx_compress_type_listed(const struct dpx_compress_conf *conf,
			      const char *ct, size_t len)
{
	size_t end = 0, slash;
	unsigned int i;

	while (len > 0 && is_ows(ct[0])) {
		ct++;
		len--;
	}
	while (end < len && ct[end] != ';' && !is_ows(ct[end]))
		end++;
	for (slash = 0; slash < end && ct[slash] != '/'; slash++)
		;
	if (slash == 0 || slash + 1 >= end)
		return false;
	for (i = 0; i < conf->n_types; i++) {
		const char *t = conf->types[i];
		size_t tl = strlen(t);

		if (tl == slash + 2 && t[slash + 1] == '*' &&
		    strncasecmp(t, ct, slash + 1) == 0)
			return true;
		if (tl == end && strncasecmp(t, ct, end) == 0)
			return true;
	}
	return false;
}

static bool has_coding(const struct dpx_http_str *ce)
{
	size_t i = 0, len = ce->len;

	if (span_empty(ce))
		return false;
	while (i < len && (is_ows(ce->p[i]) || ce->p[i] == ','))
		i++;
	/* "identity" alone is no coding (RFC 9110 no longer lists it, old
	 * servers still send it). */
	while (len > i && (is_ows(ce->p[len - 1]) || ce->p[len - 1] == ','))
		len--;
	return len > i && !span_is(ce->p + i, len - i, "identity");
}

enum dpx_compress_why dpx_compress_eligible(
	const struct dpx_compress_conf *conf,
	const struct dpx_compress_rsp *rsp)
{
	if (conf == NULL || !conf->enabled)
		return DPX_COMPRESS_DISABLED;
	if (rsp->status == 206 || rsp->request_range)
		return DPX_COMPRESS_RANGE;
	if (!status_compressible(rsp->status) || rsp->head_request)
		return DPX_COMPRESS_STATUS;
	if (has_coding(&rsp->content_encoding))
		return DPX_COMPRESS_ENCODED;
	if (!span_empty(&rsp->cache_control) &&
	    list_has(rsp->cache_control.p, rsp->cache_control.len,
		     "no-transform"))
		return DPX_COMPRESS_NO_TRANSFORM;
	if (span_empty(&rsp->content_type) ||
	    !dpx_compress_type_listed(conf, rsp->content_type.p,
				      rsp->content_type.len))
		return DPX_COMPRESS_TYPE;
	if (rsp->content_length >= 0 &&
	    (uint64_t)rsp->content_length < conf->min_size)
		return DPX_COMPRESS_TOO_SMALL;
	return DPX_COMPRESS_YES;
}

/* ---- head edits ---- */

void dpx_compress_head_streaming(enum dpx_coding c,
				 struct dpx_compress_head *h)
{
	memset(h, 0, sizeof(*h));
	h->content_encoding = dpx_coding_name(c);
	h->drop_content_length = true;
	h->chunked = true;
	h->drop_accept_ranges = true;
	h->vary = true;
	h->weaken_etag = true;
}

void dpx_compress_head_oneshot(enum dpx_coding c, uint64_t len,
			       struct dpx_compress_head *h)
{
	dpx_compress_head_streaming(c, h);
	h->chunked = false;
	h->set_content_length = true;
	h->content_length = len;
}

static int put(char *buf, size_t size, const char *a, size_t alen,
	       const char *b)
{
	size_t blen = strlen(b);

	if (alen + blen + 1 > size || alen + blen > (size_t)INT32_MAX)
		return -1;
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen + 1);
	return (int)(alen + blen);
}

int dpx_compress_vary(const struct dpx_http_str *old, char *buf,
		      size_t size)
{
	if (old == NULL || span_empty(old))
		return put(buf, size, "", 0, "Accept-Encoding");
	if (list_has(old->p, old->len, "*") ||
	    list_has(old->p, old->len, "accept-encoding"))
		return put(buf, size, old->p, old->len, "");
	return put(buf, size, old->p, old->len, ", Accept-Encoding");
}

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE */
static bool is_opaque_tag(const char *p, size_t len)
{
	size_t i;

	if (len < 2 || p[0] != '"' || p[len - 1] != '"')
		return false;
	for (i = 1; i + 1 < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '"' || ch < 0x21 || ch == 0x7f)
			return false;
	}
	return true;
}

int dpx_compress_etag(const struct dpx_http_str *etag, char *buf,
		      size_t size)
{
	if (etag == NULL || span_empty(etag))
		return 0;
	if (etag->len > 2 && etag->p[0] == 'W' && etag->p[1] == '/')
		return is_opaque_tag(etag->p + 2, etag->len - 2)
		       ? put(buf, size, etag->p, etag->len, "") : 0;
	if (!is_opaque_tag(etag->p, etag->len))
		return 0;
	if (etag->len + 3 > size)
		return -1;
	memcpy(buf, "W/", 2);
	return put(buf + 2, size - 2, etag->p, etag->len, "") + 2;
}
