/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http: strict HTTP/1.1 message handling (RFC 9112) for the reverse
 * proxy. Plain C, no DPDK. It owns:
 *  - the parse of request and response heads into spans of the caller's
 *    buffer, and the framing decision (none / Content-Length / chunked /
 *    until close) with the checks that close request-smuggling doors;
 *  - an incremental scanner that finds the end of a chunked body in
 *    arbitrary fragments, so that the body can be passed through unchanged
 *    (or its chunk data kept, and the head rewritten with a Content-Length,
 *    for a cache storing it de-chunked);
 *  - the writers of the heads dpx sends on (hop-by-hop fields removed,
 *    Forwarded/X-Forwarded-*, Via, Server and route header edits applied;
 *    for a forward proxy origin-form, fields dropped by name, User-Agent)
 *    and of its own small error responses;
 *  - the split of a forward proxy's target (absolute-form, CONNECT's
 *    authority-form) into host, port and path, with the reason of a
 *    refusal.
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

/*
 * The same scan for a caller that keeps the payload (a cache storing the
 * body de-chunked): it stops after the first run of chunk data, which is
 * buf[*data_off, *data_off + *data_len) (*data_len 0: no data before
 * *used). Returns and *used as dpx_http_chunked_scan(); call again on
 * buf + *used while 0 comes back with *used < len.
 */
int dpx_http_chunked_data(struct dpx_http_chunked *st, const char *buf,
			  uint32_t len, uint32_t *used, uint32_t *data_off,
			  uint32_t *data_len);

/* rsp's body is chunked with no other transfer coding ("gzip, chunked"
 * would still be gzip'ed once de-chunked). */
bool dpx_http_chunked_only(const struct dpx_http_response *rsp);

/*
 * The head to store for a chunked response once its body of len bytes is
 * in, into out[0, cap): head (rsp's bytes, as parsed into rsp) with every
 * Transfer-Encoding and Trailer line dropped (the trailer fields are not
 * kept) and "Content-Length: len" before the final CRLF; the other lines
 * byte for byte. Returns its length, or -1 when rsp is not chunked only
 * (dpx_http_chunked_only) or cap is too small.
 */
int dpx_http_dechunked_head(const struct dpx_http_response *rsp,
			    const char *head, uint64_t len, char *out,
			    uint32_t cap);

/* Why dpx_http_target_split() refuses a target. */
enum {
	DPX_HTTP_T_OK = 0,
	DPX_HTTP_T_FORM,	/* not absolute-form (origin-form, "*") */
	DPX_HTTP_T_SCHEME,	/* absolute-form with a scheme other than http */
	DPX_HTTP_T_USERINFO,	/* "user:pw@" in the authority */
	DPX_HTTP_T_HOST,	/* not a host name or dotted quad */
	DPX_HTTP_T_HOST_LONG,	/* a name over 253 bytes */
	DPX_HTTP_T_NON_ASCII,	/* bytes >= 0x80 (IDN not encoded) */
	DPX_HTTP_T_PORT,	/* port missing (CONNECT), 0, or over 65535 */
};

/* Where a forward proxy's request goes. */
struct dpx_http_target {
	struct dpx_http_str host;	/* name or dotted quad, no port, no
					 * trailing dot */
	uint16_t port;			/* 80 when absolute-form names none */
	struct dpx_http_str path;	/* path and query after the authority;
					 * may be empty or start with '?' */
};

/*
 * Split a forward proxy's request target p[0, n): the authority-form
 * "host:port" of CONNECT when connect, else the absolute-form
 * "http://host[:port][/path]" (scheme case-insensitive). Host names are
 * letters, digits, '-' and '.' in labels of at most 63 bytes, 253 bytes in
 * all (DNS, RFC 1035 2.3.4); IP literals in brackets are refused (dpx
 * forwards over IPv4 only). Returns DPX_HTTP_T_OK with *t filled, or the
 * reason for a refusal.
 */
int dpx_http_target_split(const char *p, uint32_t n, bool connect,
			  struct dpx_http_target *t);

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
	/* Whole field lines to add (a cache's validators); NULL: none. */
	const char *extra;
	uint32_t extra_len;
	/* A forward proxy (listener mode forward): an absolute-form target
	 * goes out in origin-form ("/path?query", "/" when empty), received
	 * fields with these names are dropped, and User-Agent is replaced
	 * when user_agent is set. */
	bool origin_form;
	const struct dpx_http_str *drop_names;
	uint32_t n_drop_names;
	const char *user_agent;
	/* The received If-* and Range fields dropped (a cache's background
	 * refresh: its own validators go in extra). */
	bool drop_conditionals;
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
	/* A caching listener (lib/cache): its own X-Cache replaces any the
	 * server sent; a stored response gets the cache's Age (RFC 9111
	 * 5.1), and a part of one its own status and length. */
	uint16_t status;	/* 0: rsp's; else this status (206, 304) */
	bool drop_age;		/* the stored Age goes: extra has the new one */
	bool drop_length;	/* Content-Length goes: extra has the new one */
	/* A compressed body (lib/compress): these go, extra has their new
	 * values (Vary merged, ETag weakened). */
	bool drop_vary, drop_etag, drop_accept_ranges;
	/* Content-Type goes, extra has the new one (multipart/byteranges) */
	bool drop_type;
	const char *extra;	/* whole field lines added before Via ("X-Cache:
				 * HIT\r\n"); NULL: none, and X-Cache passes */
	uint32_t extra_len;
	/* Received fields with these names are dropped (a forward proxy's
	 * Proxy-Authenticate). */
	const struct dpx_http_str *drop_names;
	uint32_t n_drop_names;
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
 * 407 408 413 414 421 429 431 500 501 502 503 504 505 508. Returns the length, or
 * -1 for another status or if cap is too small.
 */
int dpx_http_write_error(char *out, uint32_t cap, int status, bool close);

/* The same with the body text instead ("dpx: cannot resolve NAME\n");
 * text NULL: as dpx_http_write_error(). */
int dpx_http_write_error_text(char *out, uint32_t cap, int status,
			      const char *text, bool close);

/* The same with more fields after the others (fields NULL: none), each
 * "Name: value\r\n" as written, e.g. Proxy-Authenticate for a 407. */
int dpx_http_write_error_fields(char *out, uint32_t cap, int status,
				const char *fields, const char *text,
				bool close);

/* ==================================================================== *
 * HTTP caching rules (RFC 9111, with RFC 9110 sections 5.6.7, 13 and 14,
 * RFC 5861 and RFC 8246): pure functions for a shared cache, over heads the
 * parsers above filled. No clock is read: the caller passes every time as
 * seconds since 1970-01-01 UTC (int64_t, |t| < 2^40 is plenty). Nothing
 * allocates; outputs go to caller buffers with a size. Work is linear in
 * the bytes examined, with small fixed caps where a sort or a duplicate
 * check is needed (Vary names, ranges, query parameters, 304 merge).
 * ==================================================================== */

/* delta-seconds above this are this (RFC 9111 1.2.2) */
#define DPX_HTTP_DELTA_MAX 2147483648u

/* HTTP-date (RFC 9110 5.6.7): IMF-fixdate, RFC 850 and asctime forms, years
 * 1..9999, case as in the grammar, the weekday name checked for spelling
 * only. RFC 850's two-digit year is the one within 50 years of now (now
 * only matters for that form). false: not a date (*t untouched). */
bool dpx_http_date_parse(const char *s, uint32_t len, int64_t now,
			 int64_t *t);

#define DPX_HTTP_DATE_LEN 29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* t as IMF-fixdate into out[0, cap) (no NUL): 29, or -1 if cap < 29 or t
 * is outside years 1..9999. */
int dpx_http_date_format(int64_t t, char *out, uint32_t cap);

/* Cache-Control directives without an argument (bits of dpx_http_cc.flags). */
enum {
	DPX_HTTP_CC_NO_STORE = 1u << 0,
	DPX_HTTP_CC_NO_CACHE = 1u << 1,		/* with or without names */
	DPX_HTTP_CC_NO_CACHE_NAMES = 1u << 2,	/* no-cache="a, b" */
	DPX_HTTP_CC_PRIVATE = 1u << 3,		/* with or without names */
	DPX_HTTP_CC_PRIVATE_NAMES = 1u << 4,
	DPX_HTTP_CC_PUBLIC = 1u << 5,
	DPX_HTTP_CC_MUST_REVALIDATE = 1u << 6,
	DPX_HTTP_CC_PROXY_REVALIDATE = 1u << 7,
	DPX_HTTP_CC_IMMUTABLE = 1u << 8,
	DPX_HTTP_CC_ONLY_IF_CACHED = 1u << 9,
	DPX_HTTP_CC_NO_TRANSFORM = 1u << 10,
	DPX_HTTP_CC_MUST_UNDERSTAND = 1u << 11,
};

/* Directives with a delta-seconds argument (index of dpx_http_cc.delta). */
enum dpx_http_cc_delta {
	DPX_HTTP_CCD_MAX_AGE,
	DPX_HTTP_CCD_S_MAXAGE,
	DPX_HTTP_CCD_MAX_STALE,		/* DPX_HTTP_CC_ANY: without argument */
	DPX_HTTP_CCD_MIN_FRESH,
	DPX_HTTP_CCD_SWR,		/* stale-while-revalidate */
	DPX_HTTP_CCD_SIE,		/* stale-if-error */
	DPX_HTTP_CCD_COUNT
};

#define DPX_HTTP_CC_ANY UINT32_MAX	/* "max-stale" alone */

/*
 * The Cache-Control of one message, all its field lines together. A
 * directive with an argument is present (bit in present) once seen; it is
 * invalid (bit in invalid, value 0) when its argument is missing or not
 * 1*DIGIT (token or quoted form), or when it appears again with another
 * value; the rules below then take the most restrictive reading. Unknown
 * directives are ignored; an element that is no directive at all sets
 * syntax_error and is skipped up to the next top-level comma.
 */
struct dpx_http_cc {
	uint32_t flags;			/* DPX_HTTP_CC_* */
	uint8_t present;		/* bit (1 << dpx_http_cc_delta) */
	uint8_t invalid;		/* same bits */
	bool syntax_error;
	uint32_t delta[DPX_HTTP_CCD_COUNT];	/* <= DPX_HTTP_DELTA_MAX or ANY */
};

void dpx_http_cc_init(struct dpx_http_cc *cc);
/* Add one Cache-Control field value to cc. */
void dpx_http_cc_parse(struct dpx_http_cc *cc, const char *v, uint32_t len);
/* cc->invalid or cc->syntax_error: worth counting. */
bool dpx_http_cc_bad(const struct dpx_http_cc *cc);

/* Configuration of the rules; dpx_http_cache_default_cfg for defaults. */
struct dpx_http_cache_cfg {
	bool heuristics;		/* heuristic freshness (RFC 9111 4.2.2) */
	uint32_t heuristic_percent;	/* of Date - Last-Modified; 10 */
	uint32_t heuristic_max;		/* seconds; 86400 */
	uint32_t stale_grace;		/* serve stale + revalidate this long; 0 */
	bool ignore_request_cc;		/* as CDNs may: request directives and
					 * Pragma are not looked at */
	uint32_t max_vary;		/* names; 32 (at most DPX_HTTP_VARY_MAX) */
	uint32_t max_ranges;		/* range-specs; 16 (DPX_HTTP_RANGES_MAX) */
	/* The operator's freshness (nginx proxy_cache_valid, Varnish
	 * default_ttl): default_ttl seconds for responses without explicit
	 * freshness that may be cached by default (heuristically cacheable
	 * statuses, or public), before any heuristic; 0: none. force_ttl:
	 * default_ttl replaces the server's max-age, s-maxage and Expires
	 * too (Varnish's beresp.ttl); what may be stored does not change. */
	uint32_t default_ttl;
	bool force_ttl;
};

extern const struct dpx_http_cache_cfg dpx_http_cache_default_cfg;

#define DPX_HTTP_VARY_MAX 64

enum dpx_http_vary {
	DPX_HTTP_VARY_OK,		/* n_vary names (0: no Vary) */
	DPX_HTTP_VARY_STAR,		/* "*": never matches, not stored */
	DPX_HTTP_VARY_TOO_MANY,		/* over cfg->max_vary names */
	DPX_HTTP_VARY_INVALID,		/* not a token list */
};

/*
 * Parse the Vary field lines among hdr[0, n) into names[0, *n_names)
 * (spans of the head; duplicates, compared case-insensitively, kept once;
 * empty list elements skipped), at most max names (capped at
 * DPX_HTTP_VARY_MAX). Stops at the first "*" or the first name too many.
 */
enum dpx_http_vary dpx_http_vary_parse(const struct dpx_http_header *hdr,
				       uint32_t n, uint32_t max,
				       struct dpx_http_str *names,
				       uint32_t *n_names);

/* What the rules need of a response, collected by one walk of its fields. */
struct dpx_http_rsp_cache {
	uint16_t status;
	struct dpx_http_cc cc;
	/* Dates: has_* when exactly one field line held a valid date. */
	bool has_date, has_last_modified, has_age, has_etag;
	/* Expires present (once or more); expires_invalid: bad date or more
	 * than one line, which means already expired (RFC 9111 5.3). */
	bool has_expires, expires_invalid;
	int64_t date, expires, last_modified;
	uint32_t age;			/* capped at DPX_HTTP_DELTA_MAX */
	struct dpx_http_str etag;	/* whole entity-tag, W/ included */
	struct dpx_http_str last_modified_raw;
	enum dpx_http_vary vary;
	uint32_t n_vary;
	struct dpx_http_str vary_names[DPX_HTTP_VARY_MAX];
};

/* now: for RFC 850 dates only. cfg NULL: defaults (max_vary). */
void dpx_http_rsp_cache_info(const struct dpx_http_response *rsp,
			     int64_t now, const struct dpx_http_cache_cfg *cfg,
			     struct dpx_http_rsp_cache *rc);

enum dpx_http_method_class {
	DPX_HTTP_M_GET,
	DPX_HTTP_M_HEAD,
	DPX_HTTP_M_SAFE_OTHER,		/* OPTIONS, TRACE */
	DPX_HTTP_M_UNSAFE,		/* POST, PUT, DELETE, PATCH, others */
};

/* What the rules need of a request. */
struct dpx_http_req_cache {
	enum dpx_http_method_class method;
	struct dpx_http_cc cc;
	bool has_cc;
	bool pragma_no_cache;		/* counts only without Cache-Control */
	bool authorization;
};

void dpx_http_req_cache_info(const struct dpx_http_request *req,
			     struct dpx_http_req_cache *q);

/* Why a response is not stored (DPX_HTTP_STORE_OK: it is). */
enum dpx_http_store {
	DPX_HTTP_STORE_OK,
	DPX_HTTP_NS_METHOD,		/* not GET or HEAD */
	DPX_HTTP_NS_STATUS,		/* 1xx, 304, or not cacheable without
					 * explicit freshness */
	DPX_HTTP_NS_PARTIAL,		/* 206: ranges are not stored */
	DPX_HTTP_NS_REQ_NO_STORE,
	DPX_HTTP_NS_NO_STORE,
	DPX_HTTP_NS_PRIVATE,
	DPX_HTTP_NS_AUTHORIZATION,	/* without public/s-maxage/must-revalidate */
	DPX_HTTP_NS_VARY_STAR,
	DPX_HTTP_NS_VARY_TOO_MANY,
	DPX_HTTP_NS_VARY_INVALID,
	DPX_HTTP_NS_NO_FRESHNESS,	/* no explicit freshness, no heuristic
					 * one and no validator */
	DPX_HTTP_NS_MUST_UNDERSTAND,	/* must-understand on a status not
					 * known here */
	DPX_HTTP_NS_COUNT
};

/* "ok", "method", "status", ... for logs; "?" out of range. */
const char *dpx_http_store_name(enum dpx_http_store r);

/*
 * May a shared cache store the response rc, received at response_time, to
 * request q? The first reason found, in the order of the enum. A response
 * is stored only when it can be of use: fresh for some time, or with a
 * validator to revalidate it. cfg NULL: defaults.
 */
enum dpx_http_store dpx_http_storable(const struct dpx_http_req_cache *q,
				      const struct dpx_http_rsp_cache *rc,
				      const struct dpx_http_cache_cfg *cfg,
				      int64_t response_time);

/* Where a freshness lifetime came from. */
enum dpx_http_fresh_src {
	DPX_HTTP_FRESH_NONE,		/* 0: nothing says it is fresh */
	DPX_HTTP_FRESH_S_MAXAGE,
	DPX_HTTP_FRESH_MAX_AGE,
	DPX_HTTP_FRESH_EXPIRES,
	DPX_HTTP_FRESH_HEURISTIC,
	DPX_HTTP_FRESH_INVALID,		/* 0: invalid max-age, s-maxage or
					 * Expires */
	DPX_HTTP_FRESH_CONFIG,		/* cfg->default_ttl */
};

/*
 * Freshness lifetime in seconds (RFC 9111 4.2.1): cfg->default_ttl when
 * cfg->force_ttl; else s-maxage, else max-age, else Expires - Date (at
 * most DPX_HTTP_DELTA_MAX), else (for heuristically cacheable statuses or
 * public) cfg->default_ttl, else with cfg->heuristics and a Last-Modified,
 * heuristic_percent of Date - Last-Modified up to heuristic_max. An invalid max-age or s-maxage (even beside a valid other
 * one) or Expires gives 0. response_time stands in for a missing Date.
 * src may be NULL.
 */
int64_t dpx_http_freshness_lifetime(const struct dpx_http_rsp_cache *rc,
				    const struct dpx_http_cache_cfg *cfg,
				    int64_t response_time,
				    enum dpx_http_fresh_src *src);

/* When the stored response was requested and received, and now. */
struct dpx_http_cache_times {
	int64_t request_time, response_time, now;
};

/* current_age (RFC 9111 4.2.3), Date missing: response_time; Age
 * missing: 0; negative response delay or resident time: 0. */
int64_t dpx_http_current_age(const struct dpx_http_rsp_cache *rc,
			     const struct dpx_http_cache_times *t);

enum dpx_http_serve {
	DPX_HTTP_SERVE_FRESH,
	DPX_HTTP_SERVE_STALE,		/* request max-stale allows it */
	DPX_HTTP_SERVE_STALE_REVALIDATE,	/* serve, revalidate in the
						 * background (SWR or grace) */
	DPX_HTTP_SERVE_REVALIDATE,	/* send a conditional request first */
	DPX_HTTP_SERVE_GATEWAY_TIMEOUT,	/* only-if-cached, nothing usable: 504 */
};

/* Why a stored response is not served as it is. */
enum dpx_http_reval {
	DPX_HTTP_RV_NONE,
	DPX_HTTP_RV_STALE,
	DPX_HTTP_RV_NO_CACHE,		/* response no-cache */
	DPX_HTTP_RV_REQ_NO_CACHE,	/* request no-cache or Pragma */
	DPX_HTTP_RV_REQ_MAX_AGE,	/* older than request max-age, or 0 */
	DPX_HTTP_RV_REQ_MIN_FRESH,
	DPX_HTTP_RV_MUST_REVALIDATE,	/* stale and must-/proxy-revalidate
					 * or s-maxage */
};

/*
 * How to answer request q from the stored response rc. cfg NULL:
 * defaults. why (may be NULL) says why it is not FRESH.
 */
enum dpx_http_serve dpx_http_serve_decision(const struct dpx_http_rsp_cache *rc,
					    const struct dpx_http_req_cache *q,
					    const struct dpx_http_cache_times *t,
					    const struct dpx_http_cache_cfg *cfg,
					    enum dpx_http_reval *why);

/*
 * The server failed (5xx or unreachable) on revalidation: may rc be served
 * stale (RFC 5861 stale-if-error, of the response or the request)? Fresh:
 * yes. Never when no-cache, must-revalidate, proxy-revalidate or s-maxage
 * forbid stale responses.
 */
bool dpx_http_stale_if_error_ok(const struct dpx_http_rsp_cache *rc,
				const struct dpx_http_req_cache *q,
				const struct dpx_http_cache_times *t,
				const struct dpx_http_cache_cfg *cfg);

/* Weak comparison of two entity-tags (RFC 9110 8.8.3.2); strong when
 * strong is set (both must then be strong). Invalid tags match nothing. */
bool dpx_http_etag_match(struct dpx_http_str a, struct dpx_http_str b,
			 bool strong);

/*
 * Conditional request req against the stored response rc (RFC 9110 13.2.2
 * steps 3 and 4): true when a 304 answers it. If-None-Match (any lines;
 * weak comparison; "*" matches) decides when present; only then is
 * If-Modified-Since looked at, for GET and HEAD, a single valid date
 * compared with Last-Modified (else Date). Non-GET/HEAD: never 304 (what
 * to do about a false If-None-Match on them is the origin's business).
 */
bool dpx_http_not_modified(const struct dpx_http_request *req,
			   const struct dpx_http_rsp_cache *rc, int64_t now);

/* The validator lines of a revalidation request for rc into out[0, cap):
 * "If-None-Match: <etag>\r\n" if it has an ETag, else
 * "If-Modified-Since: <Last-Modified>\r\n", else nothing. Returns the
 * length (0: nothing to validate with) or -1 if cap is too small. */
int dpx_http_revalidation_fields(const struct dpx_http_rsp_cache *rc,
				 char *out, uint32_t cap);

/*
 * The stored head updated by a 304 (RFC 9111 4.3.4) into out[0, cap):
 * status line "HTTP/1.1 <stored status> <reason>", the stored fields the
 * 304 has no line of (by name), then the 304's fields, except that
 * Content-Length, Transfer-Encoding and hop-by-hop fields (Connection,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade) always come from the
 * stored head. Ends with the empty line. Returns the length or -1.
 */
int dpx_http_merge_304(const struct dpx_http_response *stored,
		       const struct dpx_http_response *nm, char *out,
		       uint32_t cap);

#define DPX_HTTP_RANGES_MAX 64

/* An inclusive byte range of a representation. */
struct dpx_http_range {
	uint64_t first, last;
};

enum dpx_http_range_result {
	DPX_HTTP_RANGE_IGNORE,		/* serve 200: invalid, other unit, or
					 * too many specs (DoS guard) */
	DPX_HTTP_RANGE_OK,		/* 206 with out[0, *n) */
	DPX_HTTP_RANGE_UNSATISFIABLE,	/* 416 */
};

/*
 * A Range value v (RFC 9110 14.2) against a representation of length
 * bytes: out[0, *n) sorted, overlapping and adjacent ranges coalesced,
 * last clipped to length - 1. More than max range-specs (capped at
 * DPX_HTTP_RANGES_MAX): IGNORE; out needs room for that many. A spec
 * with last < first, or no spec at all, is invalid: IGNORE.
 */
enum dpx_http_range_result dpx_http_range_parse(const char *v, uint32_t len,
						uint64_t length, uint32_t max,
						struct dpx_http_range *out,
						uint32_t *n);

/*
 * The Range of req against rc (length bytes): IGNORE without Range, with
 * more than one Range line, for other than GET, or when an If-Range does
 * not match (strong ETag comparison, or a date equal to Last-Modified).
 */
enum dpx_http_range_result dpx_http_request_ranges(
	const struct dpx_http_request *req, const struct dpx_http_rsp_cache *rc,
	uint64_t length, const struct dpx_http_cache_cfg *cfg, int64_t now,
	struct dpx_http_range *out, uint32_t *n);

/*
 * The secondary key of req for a response varying on names[0, n) into
 * out[0, cap): per name, lower-cased, "name:value\n" with the request's
 * lines of it joined by "," (values as the parser trimmed them), or
 * "name\n" when the request has none, so that absent and empty differ.
 * Returns the length or -1.
 */
int dpx_http_vary_key(const struct dpx_http_str *names, uint32_t n,
		      const struct dpx_http_request *req, char *out,
		      uint32_t cap);

/* How the primary key is built from the request target. */
struct dpx_http_key_opts {
	bool ignore_query;
	bool sort_query;		/* parameters in byte order */
	const struct dpx_http_str *drop;	/* parameter names dropped */
	uint32_t n_drop;
};

#define DPX_HTTP_KEY_MAX_PARAMS 64
#define DPX_HTTP_KEY_E_SPACE (-1)	/* out too small */
#define DPX_HTTP_KEY_E_TARGET (-2)	/* no key: "*" or authority form, no
					 * host, or over DPX_HTTP_KEY_MAX_PARAMS
					 * parameters with sort_query or drop */

/*
 * The primary cache key "METHOD scheme://host/path?query" into out[0, cap)
 * from its parts: host lower-cased with the scheme's default port (:80,
 * :443) and an empty port removed; target origin-form or absolute-form
 * (whose own scheme and authority are then skipped: host is the request's
 * host); path and query as received. Only these parts are keyed: fields
 * such as X-Forwarded-Host or X-Forwarded-Proto never are unless the
 * caller puts them in host or scheme itself, which is what keeps a client
 * from poisoning the entry other clients get with an unkeyed field the
 * server reflects. Returns the length or DPX_HTTP_KEY_E_*. o NULL: none.
 */
int dpx_http_cache_key_parts(struct dpx_http_str method, const char *scheme,
			     struct dpx_http_str host,
			     struct dpx_http_str target,
			     const struct dpx_http_key_opts *o, char *out,
			     uint32_t cap);

/* The same from req (method, req->host, target). */
int dpx_http_cache_key(const struct dpx_http_request *req, const char *scheme,
		       const struct dpx_http_key_opts *o, char *out,
		       uint32_t cap);

/* What URI references in a response resolve against: the request's
 * method, scheme ("http", "https"), Host and target. */
struct dpx_http_uri_base {
	struct dpx_http_str method;
	const char *scheme;
	struct dpx_http_str host;
	struct dpx_http_str target;
};

/*
 * A Location or Content-Location value v resolved against base (RFC 3986
 * 5.2: relative references merged with the target's directory, dot
 * segments removed, the fragment dropped) into an origin-form target in
 * out[0, cap), when it is on base's host: relative references always;
 * absolute URIs (http, https) and network-path references ("//host/p")
 * when their host is base's, default ports ignored. Returns its length,
 * 0 for another host (or another scheme, or an empty reference), -1 when
 * cap is too small.
 */
int dpx_http_resolve_same_host(const struct dpx_http_uri_base *base,
			       struct dpx_http_str v, char *out, uint32_t cap);

/*
 * The URIs an unsafe request's 2xx/3xx response invalidates (RFC 9111
 * 4.4), as origin-form targets on base's host into out[0, 3): the target,
 * then the first Location and the first Content-Location when
 * dpx_http_resolve_same_host() resolves them (never another host's).
 * Resolved targets are written into buf[0, cap) (out points there, or
 * into base's target). Returns how many (0 for safe methods and other
 * statuses).
 */
uint32_t dpx_http_invalidation_targets(const struct dpx_http_uri_base *base,
				       const struct dpx_http_response *rsp,
				       struct dpx_http_str out[3], char *buf,
				       uint32_t cap);

#endif /* DPX_HTTP_H */
