/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stored head of a compressed variant: the identity response's head
 * with the one-shot edits applied, written once when the variant is made
 * so that every hit sends it as it is.
 */
#include <inttypes.h>
#include <stdio.h>
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

/* Content-Encoding, Content-Length, Vary and ETag lines into buf. */
static int
variant_fields(const struct dpx_http_response *rsp, enum dpx_coding c,
	       uint64_t len, char *buf, size_t size)
{
	const struct dpx_http_str *etag = field_of(rsp, "etag", 4);
	char vary[512], weak[256];
	int vl = dpx_compress_vary(field_of(rsp, "vary", 4), vary, sizeof(vary));
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
	};

	if (c <= DPX_CODING_NONE || c >= DPX_CODING_COUNT ||
	    rsp->body != DPX_HTTP_BODY_LENGTH)
		return -1;
	n = variant_fields(rsp, c, len, fields, sizeof(fields));
	if (n < 0)
		return -1;
	rw.extra = fields;
	rw.extra_len = (uint32_t)n;
	return dpx_http_write_response(out, cap, rsp, &rw);
}
