/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the HTTP/1.1 request-head parser. The first two
 * bytes pick small limits (so that the 414/431 paths are reached); the rest
 * is the received data, copied to an exact-size heap buffer so that ASan
 * sees any overread. Checks: a known status for every error, spans inside
 * the head, a head ending in CRLFCRLF, and the same answer when only the
 * head, or one byte less, is passed again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dpx_http_request req, req2;

static void check_span(struct dpx_http_str s, const char *buf, uint32_t head)
{
	if (s.len == 0)
		return;
	if (s.p < buf || s.p + s.len > buf + head)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpx_http_limits lim = dpx_http_default_limits;
	uint32_t len;
	char *buf;
	int r, r2;

	if (size < 2 || size > 200000)
		return 0;
	if (data[0] & 1) {
		lim.max_line = 16 + data[1] % 64;
		lim.max_headers = data[0] >> 4;
		lim.max_head = 64 + (uint32_t)data[1] * 2;
		lim.max_body = data[0] & 2 ? 1000 : 0;
	}
	data += 2;
	len = (uint32_t)(size - 2);
	buf = malloc(len ? len : 1);
	memcpy(buf, data, len);

	r = dpx_http_parse_request(buf, len, &lim, &req);
	if (r < 0) {
		int st = dpx_http_error_status(r);

		if (st != 400 && st != 413 && st != 414 && st != 431 &&
		    st != 501 && st != 505)
			abort();
	} else if (r == 1) {
		uint32_t h = req.head_len;

		if (h < 4 || h > len || h > lim.max_head ||
		    memcmp(buf + h - 4, "\r\n\r\n", 4) != 0)
			abort();
		if (req.version_minor > 1 || req.n_headers > DPX_HTTP_MAX_HEADERS ||
		    req.n_headers > lim.max_headers)
			abort();
		if (req.method.len == 0 || req.target.len == 0)
			abort();
		check_span(req.method, buf, h);
		check_span(req.target, buf, h);
		check_span(req.host, buf, h);
		for (uint32_t i = 0; i < req.n_headers; i++) {
			check_span(req.headers[i].name, buf, h);
			check_span(req.headers[i].value, buf, h);
		}
		if (req.body == DPX_HTTP_BODY_CHUNKED && req.version_minor != 1)
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
	} else if (r != 0) {
		abort();
	}
	if (r == 0 && len > 0) {
		/* a prefix of an incomplete head is incomplete too */
		if (dpx_http_parse_request(buf, len - 1, &lim, &req2) != 0)
			abort();
	}
	free(buf);
	return 0;
}
