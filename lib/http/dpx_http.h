/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http: strict HTTP/1.1 request-head parsing (RFC 9112) for the reverse
 * proxy. Plain C, no DPDK: it owns only the parse of a request line and its
 * header fields into spans of the caller's buffer, and the framing decision
 * (no body / Content-Length / chunked) with the checks that close
 * request-smuggling doors. It allocates nothing and keeps no state between
 * calls.
 */
#ifndef DPX_HTTP_H
#define DPX_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#define DPX_HTTP_MAX_HEADERS 100	/* hard cap of dpx_http_request */

struct dpx_http_limits {
	uint32_t max_line;	/* request line (and each header line), no CRLF */
	uint32_t max_headers;	/* header fields; capped at DPX_HTTP_MAX_HEADERS */
	uint32_t max_head;	/* whole head incl. the final CRLFCRLF */
	uint64_t max_body;	/* Content-Length above this: 413; 0 = no limit */
};

/* Defaults used when lim is NULL: 8192, 100, 65536, no body limit. */
extern const struct dpx_http_limits dpx_http_default_limits;

/* A span of the caller's buffer (not NUL-terminated). */
struct dpx_http_str {
	const char *p;
	uint32_t len;
};

struct dpx_http_header {
	struct dpx_http_str name;	/* token, case as received */
	struct dpx_http_str value;	/* leading/trailing SP/HTAB trimmed */
};

enum dpx_http_body {
	DPX_HTTP_BODY_NONE,
	DPX_HTTP_BODY_LENGTH,	/* content_length bytes follow the head */
	DPX_HTTP_BODY_CHUNKED,
};

struct dpx_http_request {
	struct dpx_http_str method;
	struct dpx_http_str target;
	/* The Host field value; for absolute-form the authority of the
	 * target instead (RFC 9112 3.2.2); for CONNECT the target. */
	struct dpx_http_str host;
	uint8_t version_minor;		/* 0 or 1 (HTTP/1.x only) */
	struct dpx_http_header headers[DPX_HTTP_MAX_HEADERS];
	uint32_t n_headers;
	enum dpx_http_body body;
	uint64_t content_length;	/* valid if body == DPX_HTTP_BODY_LENGTH */
	bool keep_alive;
	bool expect_continue;		/* HTTP/1.1 "Expect: 100-continue" */
	bool upgrade;			/* Upgrade field + "Connection: upgrade" */
	uint32_t head_len;		/* bytes of the head incl. CRLFCRLF */
};

/* Error numbers; dpx_http_parse_request() returns their negation. */
enum {
	DPX_HTTP_E_BAD = 1,		/* 400 */
	DPX_HTTP_E_URI_TOO_LONG,	/* 414: request line over max_line */
	DPX_HTTP_E_HEADERS_TOO_LARGE,	/* 431 */
	DPX_HTTP_E_BODY_TOO_LARGE,	/* 413: Content-Length over max_body */
	DPX_HTTP_E_NOT_IMPLEMENTED,	/* 501: transfer coding other than chunked */
	DPX_HTTP_E_VERSION,		/* 505: HTTP/x.y other than 1.0 and 1.1 */
};

/*
 * Parse the request head at the start of buf[0, len), the bytes received so
 * far. Returns 1 when the head is complete (req filled, req->head_len set;
 * any bytes after it are body or a pipelined request), 0 when more bytes are
 * needed (req contents unspecified), or -DPX_HTTP_E_* (respond with
 * dpx_http_error_status() and close). Not resumable: each call re-parses
 * from buf[0]; the cost is one memchr pass plus table lookups over at most
 * max_head bytes, so call it again only when new bytes arrived.
 */
int dpx_http_parse_request(const char *buf, uint32_t len,
			   const struct dpx_http_limits *lim,
			   struct dpx_http_request *req);

/* HTTP status code for a negative return of dpx_http_parse_request(). */
int dpx_http_error_status(int err);

#endif /* DPX_HTTP_H */
