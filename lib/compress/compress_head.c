/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stored head of a compressed variant: the identity response's head
 * with the one-shot edits applied, written once when the variant is made
 * so that every hit sends it as it is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dpx_compress.h"

static const struct dpx_http_str *
field_of(const struct dpx_http_response *rsp, const char *name, size_t len)
{
	for (uint32_t i = 0; i < rsp->n_headers; i++) {
		const struct dpx_http_header *h = &rsp->headers[i];

		if (h->name.len == len && strncasecmp(h->name.p, name, len) == 0)
			return &h->value;
	}
	return NULL;
}

/* Every Vary line's value joined into one list (they all go). */
static int
vary_joined(const struct dpx_http_response *rsp, char *buf, size_t size)
{
	size_t n = 0;

	for (uint32_t i = 0; i < rsp->n_headers; i++) {
		const struct dpx_http_header *h = &rsp->headers[i];

		if (h->name.len != 4 || strncasecmp(h->name.p, "vary", 4) != 0 ||
		    h->value.len == 0)
			continue;
		if (n + 2 + h->value.len >= size)
			return -1;
		if (n > 0) {
			memcpy(buf + n, ", ", 2);
			n += 2;
		}
		memcpy(buf + n, h->value.p, h->value.len);
		n += h->value.len;
	}
	return (int)n;
}

int dpx_compress_vary_field(const struct dpx_http_response *rsp, char *buf,
			    size_t size)
{
	char old[512], merged[540];
	int ol = vary_joined(rsp, old, sizeof(old));
	struct dpx_http_str ov = { old, ol > 0 ? (uint32_t)ol : 0 };
	int vl = ol < 0 ? -1 : dpx_compress_vary(&ov, merged, sizeof(merged));
	int n;

	if (vl < 0)
		return -1;
	if (vl == ol)
		return 0;	/* merging added nothing */
	n = snprintf(buf, size, "Vary: %s\r\n", merged);
	return n > 0 && (size_t)n < size ? n : -1;
}

/* Content-Encoding, Content-Length, Vary and ETag lines into buf. */
static int
variant_fields(const struct dpx_http_response *rsp, enum dpx_coding c,
	       uint64_t len, char *buf, size_t size)
{
	const struct dpx_http_str *etag = field_of(rsp, "etag", 4);
	char old[512], vary[540], weak[256];
	int ol = vary_joined(rsp, old, sizeof(old));
	struct dpx_http_str ov = { old, ol > 0 ? (uint32_t)ol : 0 };
	int vl = ol < 0 ? -1 : dpx_compress_vary(&ov, vary, sizeof(vary));
	int el = etag != NULL ? dpx_compress_etag(etag, weak, sizeof(weak)) : 0;
	int n;

	if (vl <= 0 || el < 0)
		return -1;
	n = snprintf(buf, size, "Content-Encoding: %s\r\nContent-Length: %"
		     PRIu64 "\r\nVary: %s\r\n", dpx_coding_name(c), len, vary);
	if (n > 0 && el > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "ETag: %s\r\n", weak);
	return n > 0 && (size_t)n < size ? n : -1;
}

/* What is stored must parse back as the proxy parses stored heads (the
 * fields added may take it over the parser's field count). */
static bool
parses_back(const char *head, int n)
{
	struct dpx_http_limits lim = dpx_http_default_limits;
	struct dpx_http_response r;

	lim.max_head = (uint32_t)n;
	return dpx_http_parse_response(head, (uint32_t)n, &lim, false, &r) == 1;
}

/* "Content-Encoding: identity" is no coding (and allowed through): it
 * goes, so that the variant names one coding only. */
static const struct dpx_hdr_edits drop_identity = {
	.remove = { "content-encoding" },
	.n_remove = 1,
};

int dpx_compress_variant_head(const struct dpx_http_response *rsp,
			      enum dpx_coding c, uint64_t len, char *out,
			      uint32_t cap)
{
	char fields[1024];
	int n;
	struct dpx_http_rsp_rewrite rw = {
		.server_header = DPX_SRVHDR_PASS,
		.drop_length = true,
		.drop_vary = true,
		.drop_etag = true,
		.drop_accept_ranges = true,
		.edits = &drop_identity,
	};

	if (c <= DPX_CODING_NONE || c >= DPX_CODING_COUNT ||
	    rsp->body != DPX_HTTP_BODY_LENGTH)
		return -1;
	n = variant_fields(rsp, c, len, fields, sizeof(fields));
	if (n < 0)
		return -1;
	rw.extra = fields;
	rw.extra_len = (uint32_t)n;
	n = dpx_http_write_response(out, cap, rsp, &rw);
	return n > 0 && parses_back(out, n) ? n : -1;
}
