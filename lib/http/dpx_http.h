/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http: strict HTTP/1.1 message handling (RFC 9112) for the reverse
 * proxy. Plain C, no DPDK. It owns:
 *  - the parse of request and response heads into spans of the caller's
 *    buffer, and the framing decision (none / Content-Length / chunked /
 *    until close) with the checks that close request-smuggling doors;
 *  - an incremental scanner that finds the end of a chunked body in
 *    arbitrary fragments, so that the body can be passed through unchanged;
 *  - the writers of the heads dpx sends on (hop-by-hop fields removed,
 *    Forwarded/X-Forwarded-*, Via, Server and route header edits applied)
 *    and of its own small error responses.
 * It allocates nothing; the head parsers and the chunked scanner keep their
 * state in structs the caller owns, so that bytes arriving in pieces are
 * examined once. Hot byte scans use SSE4.2 or AVX2 when the CPU has them
 * (chosen once at start, see dpx_http_set_isa()).
 */
#ifndef DPX_HTTP_H
#define DPX_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "dpx_core.h"	/* dpx_hdr_edits, dpx_forwarded, dpx_server_header */

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

/*
 * The fields dpx acts on, recognised once by the parsers (names compare
 * case-insensitively) so that later stages switch on a number instead of
 * comparing strings. DPX_HTTP_F_OTHER: any other name.
 */
enum dpx_http_field {
	DPX_HTTP_F_OTHER = 0,
	DPX_HTTP_F_HOST,
	DPX_HTTP_F_CONNECTION,
	DPX_HTTP_F_KEEP_ALIVE,
	DPX_HTTP_F_PROXY_CONNECTION,
	DPX_HTTP_F_TE,
	DPX_HTTP_F_TRAILER,
	DPX_HTTP_F_UPGRADE,
	DPX_HTTP_F_CONTENT_LENGTH,
	DPX_HTTP_F_TRANSFER_ENCODING,
	DPX_HTTP_F_EXPECT,
	DPX_HTTP_F_VIA,
	DPX_HTTP_F_SERVER,
	DPX_HTTP_F_X_POWERED_BY,
	DPX_HTTP_F_FORWARDED,
	DPX_HTTP_F_X_FORWARDED_FOR,
	DPX_HTTP_F_X_FORWARDED_PROTO,
	DPX_HTTP_F_X_FORWARDED_HOST,
	DPX_HTTP_F_COOKIE,
	DPX_HTTP_F_COUNT
};

/* The field called name[0, len), a token (RFC 9110 5.6.2). */
enum dpx_http_field dpx_http_field_of(const char *name, uint32_t len);

struct dpx_http_header {
	struct dpx_http_str name;	/* token, case as received */
	struct dpx_http_str value;	/* leading/trailing SP/HTAB trimmed */
	uint8_t field;			/* enum dpx_http_field of name */
	/* The received line is exactly name ": " value CRLF, so the
	 * writers may copy it as it is. */
	bool canonical;
};

/*
 * What the Connection fields of a message name besides fields that are
 * hop-by-hop or framing anyway, which decides how much work the writers
 * have with it: nothing (0), "close" (a field called Close is dropped), or
 * other names (each remaining field is looked up in the Connection lists).
 */
#define DPX_HTTP_CONN_CLOSE 1
#define DPX_HTTP_CONN_OTHER 2

struct dpx_http_parser;

enum dpx_http_body {
	DPX_HTTP_BODY_NONE,
	DPX_HTTP_BODY_LENGTH,	/* content_length bytes follow the head */
	DPX_HTTP_BODY_CHUNKED,
	DPX_HTTP_BODY_CLOSE,	/* responses only: delimited by connection close */
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
	uint8_t conn_names;		/* DPX_HTTP_CONN_* bits */
	uint32_t fields_seen;		/* bit (1 << f) per dpx_http_field f */
	uint32_t head_len;		/* bytes of the head incl. CRLFCRLF */
	const struct dpx_http_parser *parsed_by;	/* private */
};

struct dpx_http_response {
	uint16_t status;		/* 100..599 */
	uint8_t version_minor;		/* 0 or 1 */
	struct dpx_http_str reason;	/* may be empty */
	struct dpx_http_header headers[DPX_HTTP_MAX_HEADERS];
	uint32_t n_headers;
	enum dpx_http_body body;	/* NONE, LENGTH, CHUNKED or CLOSE */
	uint64_t content_length;	/* valid if body == DPX_HTTP_BODY_LENGTH */
	/* The server keeps the connection open after this response: false
	 * for Connection: close, HTTP/1.0 without Connection: keep-alive,
	 * BODY_CLOSE and 101. After another 1xx the final response follows
	 * on the same connection. */
	bool keep_alive;
	bool upgrade;			/* 101 Switching Protocols */
	uint8_t conn_names;		/* DPX_HTTP_CONN_* bits */
	uint32_t fields_seen;		/* as for requests */
	uint32_t head_len;		/* bytes of the head incl. CRLFCRLF */
	const struct dpx_http_parser *parsed_by;	/* private */
};

/* Error numbers; the parsers return their negation. */
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
 * dpx_http_error_status() and close). One-shot: each call parses from
 * buf[0]; dpx_http_parse_request_more() continues where the last call
 * stopped.
 */
int dpx_http_parse_request(const char *buf, uint32_t len,
			   const struct dpx_http_limits *lim,
			   struct dpx_http_request *req);

/*
 * State of a head parse that continues over calls, as bytes arrive. The
 * caller owns it; its members are private to lib/http.
 */
struct dpx_http_parser {
	const char *buf;	/* buffer of the last call */
	uint32_t pos;		/* start of the line being parsed */
	uint32_t scan;		/* where the search for its end goes on */
	uint64_t cl;		/* Content-Length value */
	struct dpx_http_str host;	/* the Host field's value */
	uint32_t fields_seen;
	int8_t result;		/* the final return, once stage is done */
	uint8_t stage;
	bool line_bad;		/* the line holds a byte no head line may */
	uint8_t n_host, n_cl, n_te, te_chunked;	/* counts up to 2 */
	bool te_last_chunked, te_unknown;
	bool conn_close, conn_keep_alive, conn_upgrade;
	uint8_t conn_names;
	bool has_upgrade, expect_continue;
};

/* Ready ps for a new head. */
void dpx_http_parser_init(struct dpx_http_parser *ps);

/*
 * Parse the request head in buf[0, len) where the last call on ps stopped:
 * only bytes not examined before are, so a head arriving in pieces costs
 * what it costs in one piece. buf holds the head from its first byte and
 * grows between calls (len never shrinks); lim is the same every time.
 * Returns as dpx_http_parse_request() would for buf[0, len), whatever the
 * earlier calls saw; once it returned 1 or an error it returns the same
 * again. If req was filled by another parse in between (a message shared
 * by several connections) or buf moved, the parse starts again from
 * buf[0]: correct, just not incremental.
 */
int dpx_http_parse_request_more(struct dpx_http_parser *ps, const char *buf,
				uint32_t len, const struct dpx_http_limits *lim,
				struct dpx_http_request *req);

/* HTTP status code for a negative return of dpx_http_parse_request(). */
int dpx_http_error_status(int err);

/*
 * Parse the response head at the start of buf[0, len), with the same return
 * convention as dpx_http_parse_request(). Any negative return means the
 * server's response is unusable (the proxy answers 502): bad syntax, a
 * status outside 100..599, a version other than HTTP/1.0 and 1.1, line or
 * head over lim (max_body is not used), Content-Length malformed or
 * repeated, Content-Length with Transfer-Encoding, "chunked" twice, or
 * Transfer-Encoding in HTTP/1.0. request_was_head: the request was HEAD, so
 * the response has no body whatever its fields say. lim NULL: defaults.
 */
int dpx_http_parse_response(const char *buf, uint32_t len,
			    const struct dpx_http_limits *lim,
			    bool request_was_head,
			    struct dpx_http_response *rsp);

/* dpx_http_parse_response() continued over calls, as for requests. */
int dpx_http_parse_response_more(struct dpx_http_parser *ps, const char *buf,
				 uint32_t len,
				 const struct dpx_http_limits *lim,
				 bool request_was_head,
				 struct dpx_http_response *rsp);

/*
 * Byte scanners of the parsers. At start lib/http picks the widest the CPU
 * has, or the one DPX_HTTP_ISA (scalar, sse4.2, avx2) in the environment
 * names (scalar if the CPU lacks it or the name is unknown). All give the
 * same results; dpx_http_set_isa() switches (tests and benchmarks compare
 * them): only while no other thread parses. Returns 0, or -1 if the CPU
 * lacks it (nothing changes).
 */
enum dpx_http_isa {
	DPX_HTTP_ISA_SCALAR,
	DPX_HTTP_ISA_SSE42,
	DPX_HTTP_ISA_AVX2,
};

int dpx_http_set_isa(enum dpx_http_isa isa);
enum dpx_http_isa dpx_http_get_isa(void);
const char *dpx_http_isa_name(enum dpx_http_isa isa);

/*
 * Incremental scanner of a chunked body (RFC 9112 7.1) for pass-through:
 * it finds where the body ends and checks its framing, without copying and
 * across any fragmentation of the bytes. Chunk extensions and trailer
 * fields are checked for allowed bytes and forwarded as they are. Strict:
 * every line ends in CRLF, the size is bare hex digits (no "0x", sign or
 * whitespace) below 2^63, and the data is followed by CRLF.
 */
struct dpx_http_chunked {
	uint64_t remaining;	/* chunk data left to skip, or size being read */
	uint64_t body_bytes;	/* chunk data seen so far */
	uint32_t line_len;	/* bytes of the current size or trailer line */
	uint32_t trailer_bytes;
	uint32_t max_line;
	uint32_t max_trailer_bytes;
	uint8_t state;
};

/*
 * max_line bounds each chunk-size line (size and extensions) and each
 * trailer field line, without CRLF; max_trailer_bytes bounds the trailer
 * field lines together, with their CRLFs (0: no trailer field allowed).
 */
void dpx_http_chunked_init(struct dpx_http_chunked *st, uint32_t max_line,
			   uint32_t max_trailer_bytes);

/*
 * Scan buf[0, len), the next bytes of the body. Returns 1 when the body
 * (last chunk, trailers and final CRLF) ended inside buf, with *used the
 * bytes up to and including that CRLF (any later bytes belong to the next
 * message); 0 when all len bytes belong to the body and more are needed
 * (*used = len); -DPX_HTTP_E_BAD on invalid framing (*used = offset of the
 * offending byte). After 1 or an error the state is final: further calls
 * return the same with *used = 0.
 */
int dpx_http_chunked_scan(struct dpx_http_chunked *st, const char *buf,
			  uint32_t len, uint32_t *used);

/* Decoded payload bytes so far (for access logs and limits). */
uint64_t dpx_http_chunked_body_bytes(const struct dpx_http_chunked *st);

/* How dpx_http_write_request() rewrites a request head for the server. */
struct dpx_http_req_rewrite {
	const char *client_addr;	/* the client, e.g. "198.18.0.1" */
	const char *proto;		/* "http" */
	enum dpx_forwarded forwarded;
	bool via;			/* append "1.x dpx" to Via */
	const struct dpx_hdr_edits *edits;	/* route's edits, may be NULL */
	/* X-SSL-Client-Verify/-S-DN/-SHA256: written from these, and the
	 * received ones dropped, when client_cert is set. */
	bool client_cert;
	const char *client_s_dn;	/* NULL: no verified certificate */
	const char *client_sha256;
};

/*
 * Write the head to forward req, as a parser filled it (the writers rely on
 * its field ids and flags), to a server into out[0, cap):
 * "METHOD TARGET HTTP/1.1" (HTTP/1.0 for a 1.0 request, so that the
 * server frames its response for a 1.0 client), then Host if there is one
 * (first; the value is req->host, as RFC 9112 3.2.2 wants for
 * absolute-form, or a route's set Host), the
 * received fields in order less the hop-by-hop ones (Connection, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Upgrade unless req->upgrade, and each field
 * Connection names except Host, Content-Length and Transfer-Encoding),
 * "Connection: upgrade" for an upgrade, then per rw->forwarded
 * X-Forwarded-For (received values, then the client), X-Forwarded-Proto and
 * X-Forwarded-Host (received ones dropped) and/or Forwarded (received
 * values, then "for=..;proto=..;host=.."), with rw->client_cert
 * X-SSL-Client-Verify ("SUCCESS" or "NONE"), X-SSL-Client-S-DN and
 * X-SSL-Client-SHA256 (the last two only with a certificate; received
 * fields of these names always dropped), Via (received values, then
 * "1.x dpx"), and the route's set fields; the route's remove and set names
 * drop received and generated fields alike. Content-Length and
 * Transfer-Encoding pass untouched, and route edits of framing or
 * hop-by-hop fields (or with bytes not allowed in a field) are ignored.
 * Returns the head length, or -1 if it does not fit in cap (out[0, cap)
 * may then hold a partial head; nothing is written past cap).
 */
int dpx_http_write_request(char *out, uint32_t cap,
			   const struct dpx_http_request *req,
			   const struct dpx_http_req_rewrite *rw);

/* How dpx_http_write_response() rewrites a response head for the client. */
struct dpx_http_rsp_rewrite {
	enum dpx_server_header server_header;
	const char *server_value;	/* for REPLACE; NULL or "": as HIDE */
	bool via;
	const struct dpx_hdr_edits *edits;	/* route's edits, may be NULL */
	bool close;	/* client connection closes after it: Connection: close */
	bool client_http10_keepalive;	/* else: Connection: keep-alive */
};

/*
 * Write the head to forward rsp, as a parser filled it, to the client into
 * out[0, cap):
 * "HTTP/1.1 STATUS REASON", Server per rw->server_header (REPLACE puts it
 * first; HIDE also drops X-Powered-By), the received fields in order less
 * the hop-by-hop ones (as for requests; for a 101 Upgrade is kept and
 * "Connection: upgrade" written), then "Connection: close" or
 * "Connection: keep-alive" as rw asks (not for a 101), Via, and the route's
 * edits. Content-Length and Transfer-Encoding pass untouched. Returns the
 * head length, or -1 if it does not fit in cap.
 */
int dpx_http_write_response(char *out, uint32_t cap,
			    const struct dpx_http_response *rsp,
			    const struct dpx_http_rsp_rewrite *rw);

/*
 * Write a complete error response by dpx itself, e.g. "HTTP/1.1 502 Bad
 * Gateway", Content-Type: text/plain, Content-Length, "Connection: close"
 * if close, and the body "502 Bad Gateway\n". status is one of 400 403 404 405
 * 408 413 414 421 429 431 500 501 502 503 504 505. Returns the length, or
 * -1 for another status or if cap is too small.
 */
int dpx_http_write_error(char *out, uint32_t cap, int status, bool close);

#endif /* DPX_HTTP_H */
