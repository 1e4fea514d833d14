/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for dpx_compress_variant_head(), the head stored with a
 * cached compressed variant. The first byte picks the coding, the next
 * four the compressed length; the rest, copied to an exact-size heap
 * buffer so that ASan sees any overread, is a response head from a
 * server. When the parser takes it with a Content-Length body and the
 * writer writes a head (it refuses one that would not parse back, over
 * the parser's field count), that head must parse as the proxy parses
 * stored heads, with the same status, exactly one Content-Length equal to
 * the length given, one Content-Encoding naming the coding (an identity
 * one is dropped), one Vary that names Accept-Encoding (or is "*"), no
 * Accept-Ranges, no Connection field, and an ETag (if any) that is weak.
 * dpx_compress_vary_field() on the same head writes one CRLF-ended Vary
 * line naming Accept-Encoding, or nothing, or refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dpx_compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool name_is(const struct dpx_http_header *h, const char *n)
{
	size_t len = strlen(n);

	return h->name.len == len && strncasecmp(h->name.p, n, len) == 0;
}

static bool has_word(const struct dpx_http_str *v, const char *w)
{
	size_t len = strlen(w);

	for (uint32_t i = 0; i + len <= v->len; i++)
		if (strncasecmp(v->p + i, w, len) == 0)
			return true;
	return false;
}

static void check_variant(const struct dpx_http_response *in,
			  enum dpx_coding c, uint64_t len, const char *out,
			  int n)
{
	static struct dpx_http_response r;
	struct dpx_http_limits lim = dpx_http_default_limits;
	const char *coding = dpx_coding_name(c);
	unsigned int n_ce = 0, n_vary = 0;

	lim.max_head = (uint32_t)n;     /* as the proxy parses stored heads */
	if (dpx_http_parse_response(out, (uint32_t)n, &lim, false, &r) != 1 ||
	    (int)r.head_len != n || r.status != in->status ||
	    r.body != DPX_HTTP_BODY_LENGTH || r.content_length != len)
		abort();
	for (uint32_t i = 0; i < r.n_headers; i++) {
		const struct dpx_http_header *h = &r.headers[i];

		if (name_is(h, "accept-ranges") || name_is(h, "connection"))
			abort();
		if (name_is(h, "content-encoding")) {
			if (h->value.len != strlen(coding) ||
			    memcmp(h->value.p, coding, h->value.len) != 0)
				abort();
			n_ce++;
		}
		if (name_is(h, "vary")) {
			if (!has_word(&h->value, "accept-encoding") &&
			    !has_word(&h->value, "*"))
				abort();
			n_vary++;
		}
		if (name_is(h, "etag") &&
		    (h->value.len < 2 || memcmp(h->value.p, "W/", 2) != 0))
			abort();
	}
	if (n_ce != 1 || n_vary != 1)
		abort();
}

/* The Vary line of an identity answer: one line naming Accept-Encoding
 * and ending in CRLF, or nothing (already there, "*"), or -1. */
static void check_vary_field(const struct dpx_http_response *in)
{
	static char buf[600];
	int n = dpx_compress_vary_field(in, buf, sizeof(buf));
	struct dpx_http_str v = { buf, n > 0 ? (uint32_t)n : 0 };

	if (n < -1 || n >= (int)sizeof(buf))
		abort();
	if (n > 0 && (n < 8 || memcmp(buf, "Vary: ", 6) != 0 ||
		      memcmp(buf + n - 2, "\r\n", 2) != 0 || buf[n] != '\0' ||
		      !has_word(&v, "accept-encoding") ||
		      memchr(buf, '\n', (size_t)n - 1) != NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dpx_http_response in;
	static char out[65536];
	enum dpx_coding c;
	uint64_t len;
	char *head;
	int n;

	if (size < 5)
		return 0;
	c = (enum dpx_coding)(1 + data[0] % (DPX_CODING_COUNT - 1));
	len = (uint64_t)data[1] << 24 | (uint64_t)data[2] << 16 |
	      (uint64_t)data[3] << 8 | data[4];
	head = malloc(size - 5 ? size - 5 : 1);
	if (head == NULL)
		return 0;
	memcpy(head, data + 5, size - 5);
	if (dpx_http_parse_response(head, (uint32_t)(size - 5), NULL, false,
				    &in) == 1 &&
	    in.body == DPX_HTTP_BODY_LENGTH) {
		check_vary_field(&in);
		n = dpx_compress_variant_head(&in, c, len, out, sizeof(out));
		if (n > 0)
			check_variant(&in, c, len, out, n);
		/* A cap too small is refused, never overrun. */
		if (n > 1 && dpx_compress_variant_head(&in, c, len, out,
						       (uint32_t)n - 1) != -1)
			abort();
	}
	free(head);
	return 0;
}
