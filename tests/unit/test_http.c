/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/http: valid request heads, incremental feeding, and a
 * request-smuggling corpus where each case must fail with an exact status;
 * response framing; the chunked scanner under every fragmentation and on
 * invalid framings; exact bytes of the head writers and their behaviour
 * with too small buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_http.h"
#include "dpx_test.h"

static struct dpx_http_request req;

static int parse_lim(const char *s, const struct dpx_http_limits *lim)
{
	return dpx_http_parse_request(s, (uint32_t)strlen(s), lim, &req);
}

static int parse(const char *s)
{
	return parse_lim(s, NULL);
}

/* 1 if complete, 0 if more needed, else the HTTP status of the error. */
static int status(const char *s)
{
	int r = parse(s);

	return r < 0 ? dpx_http_error_status(r) : r;
}

static bool str_is(struct dpx_http_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void test_simple_get(void)
{
	const char *s = "GET /index.html?a=1 HTTP/1.1\r\nHost: example.com\r\n"
			"User-Agent:  t/1 \t\r\n\r\nBODY";

	CHECK_EQ(parse(s), 1);
	CHECK(str_is(req.method, "GET"));
	CHECK(str_is(req.target, "/index.html?a=1"));
	CHECK(str_is(req.host, "example.com"));
	CHECK_EQ(req.version_minor, 1);
	CHECK_EQ(req.n_headers, 2);
	CHECK(str_is(req.headers[1].name, "User-Agent"));
	CHECK(str_is(req.headers[1].value, "t/1"));
	CHECK_EQ(req.body, DPX_HTTP_BODY_NONE);
	CHECK(req.keep_alive);
	CHECK(!req.expect_continue);
	CHECK(!req.upgrade);
	CHECK_EQ(req.head_len, strlen(s) - 4);
}

static void test_body_framing(void)
{
	CHECK_EQ(parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n"), 1);
	CHECK_EQ(req.body, DPX_HTTP_BODY_LENGTH);
	CHECK_EQ(req.content_length, 42);
	CHECK_EQ(parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n"), 1);
	CHECK(req.content_length == UINT64_MAX);
	CHECK_EQ(parse("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"), 1);
	CHECK_EQ(req.body, DPX_HTTP_BODY_CHUNKED);
	CHECK_EQ(parse("POST /x HTTP/1.0\r\nContent-Length: 0\r\n\r\n"), 1);
	CHECK_EQ(req.body, DPX_HTTP_BODY_LENGTH);
	CHECK_EQ(req.content_length, 0);
	CHECK_EQ(req.host.len, 0);
}

static void test_keep_alive(void)
{
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), 1);
	CHECK(!req.keep_alive);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo , CLOSE\r\n\r\n"), 1);
	CHECK(!req.keep_alive);
	CHECK_EQ(parse("GET / HTTP/1.0\r\n\r\n"), 1);
	CHECK(!req.keep_alive);
	CHECK_EQ(req.version_minor, 0);
	CHECK_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 1);
	CHECK(req.keep_alive);
	CHECK_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"), 1);
	CHECK(!req.keep_alive);
}

static void test_expect_upgrade(void)
{
	CHECK_EQ(parse("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		       "Expect: 100-Continue\r\n\r\n"), 1);
	CHECK(req.expect_continue);
	CHECK_EQ(parse("PUT /f HTTP/1.0\r\nContent-Length: 5\r\n"
		       "Expect: 100-continue\r\n\r\n"), 1);
	CHECK(!req.expect_continue);
	CHECK_EQ(parse("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
		       "Connection: keep-alive, Upgrade\r\n\r\n"), 1);
	CHECK(req.upgrade);
	CHECK_EQ(parse("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"), 1);
	CHECK(!req.upgrade);
}

static void test_target_forms(void)
{
	CHECK_EQ(parse("GET http://Back.example:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n"), 1);
	CHECK(str_is(req.host, "Back.example:8080"));
	CHECK(str_is(req.target, "http://Back.example:8080/p?q"));
	CHECK_EQ(parse("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n"), 1);
	CHECK(str_is(req.host, "h"));
	CHECK_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
	CHECK_EQ(parse("CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n"), 1);
	CHECK(str_is(req.host, "h.example:443"));
	CHECK_EQ(parse("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n"), 1);
	/* one leading empty line is ignored (RFC 9112 2.2) */
	CHECK_EQ(parse("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
	CHECK_EQ(req.head_len, 29);
}

static void test_incremental(void)
{
	static const char s[] = "POST /up HTTP/1.1\r\nHost: a.b\r\n"
		"Transfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n";
	uint32_t head = (uint32_t)strlen(s) - 10;
	char *copy = malloc(sizeof(s));
	struct dpx_http_request full;
	int r = 0;
	uint32_t n;

	CHECK_EQ(parse(s), 1);
	full = req;
	for (n = 0; n <= sizeof(s) - 1; n++) {
		/* a fresh heap copy of exactly n bytes: ASan catches overreads */
		char *b = malloc(n ? n : 1);

		memcpy(b, s, n);
		r = dpx_http_parse_request(b, n, NULL, &req);
		free(b);
		if (n < head)
			CHECK_EQ(r, 0);
		else
			CHECK_EQ(r, 1);
	}
	memcpy(copy, s, sizeof(s));
	CHECK_EQ(dpx_http_parse_request(copy, head, NULL, &req), 1);
	CHECK_EQ(req.head_len, full.head_len);
	CHECK_EQ(req.head_len, head);
	CHECK_EQ(req.body, full.body);
	CHECK_EQ(req.n_headers, full.n_headers);
	CHECK_EQ(req.headers[2].value.len, 1);
	CHECK_EQ(req.headers[2].value.p - copy, full.headers[2].value.p - s);
	free(copy);
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(parse("\r"), 0);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0);
}

struct bad_case {
	const char *req;
	int status;
};

#define H "Host: a\r\n"
static const struct bad_case bad[] = {
	/* CL.TE / TE.CL */
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\nContent-Length: 6\r\n\r\n", 400 },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	/* TE.TE variants */
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: xchunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunkedx\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: identity\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, gzip\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: \x0b" "chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\x0b\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: \"chunked\"\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked;q=1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding\t: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding:\r\n chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "X: y\r\n\tTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H " Transfer-Encoding: chunked\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Transfer_Encoding: chunked\r\nTransfer-Encoding\r\n\r\n", 400 },
	/* Content-Length */
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: +1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 1a\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 0x10\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 1 2\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 18446744073709551616\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length : 5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n Content-Length: 6\r\n\r\n", 400 },
	/* line endings */
	{ "GET / HTTP/1.1\n" H "\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "X: a\rContent-Length: 5\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\rHost: a\r\n\r\n", 400 },
	{ "GET /\r HTTP/1.1\r\n" H "\r\n", 400 },
	{ "\nGET / HTTP/1.1\r\n" H "\r\n", 400 },
	/* invalid characters */
	{ "G(T / HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET  / HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET / HTTP/1.1 \r\n" H "\r\n", 400 },
	{ " GET / HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET /a b HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET /a#f HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET /\x80 HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "X\x01Y: 1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "X-\xff: 1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "X: a\x01" "b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H ": empty-name\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n" H "NoColon\r\n\r\n", 400 },
	/* Host */
	{ "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400 },
	{ "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400 },
	/* request-target forms */
	{ "GET a/b HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET * HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET ftp://a/ HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET http:// HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET http:///x HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET http://u@h/ HTTP/1.1\r\n" H "\r\n", 400 },
	{ "GET h:80 HTTP/1.1\r\n" H "\r\n", 400 },
	{ "CONNECT / HTTP/1.1\r\n" H "\r\n", 400 },
	{ "CONNECT h HTTP/1.1\r\n" H "\r\n", 400 },
	{ "CONNECT h: HTTP/1.1\r\n" H "\r\n", 400 },
	{ "CONNECT :443 HTTP/1.1\r\n" H "\r\n", 400 },
	{ "CONNECT h:4x HTTP/1.1\r\n" H "\r\n", 400 },
	/* version */
	{ "GET / HTTP/2.0\r\n" H "\r\n", 505 },
	{ "GET / HTTP/0.9\r\n" H "\r\n", 505 },
	{ "GET / HTTP/1.2\r\n" H "\r\n", 505 },
	{ "GET / http/1.1\r\n" H "\r\n", 400 },
	{ "GET / HTTP/1.10\r\n" H "\r\n", 400 },
	{ "GET / HTTP/1\r\n" H "\r\n", 400 },
	{ "GET /\r\n" H "\r\n", 400 },
	{ "GET / HTTP/1.1 x\r\n" H "\r\n", 400 },
};
#undef H

static void test_smuggling_corpus(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = status(bad[i].req);

		if (st != bad[i].status)
			fprintf(stderr, "case %zu: got %d want %d: %s\n",
				i, st, bad[i].status, bad[i].req);
		CHECK_EQ(st, bad[i].status);
	}
	CHECK(sizeof(bad) / sizeof(bad[0]) >= 30);
}

static void test_limits(void)
{
	struct dpx_http_limits lim = {
		.max_line = 32, .max_headers = 3, .max_head = 128,
		.max_body = 1000,
	};
	char big[300];
	int r;

	/* request line: 32 bytes is fine, 33 is 414, even before its CRLF */
	CHECK_EQ(parse_lim("GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n", &lim), 1);
	r = parse_lim("GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n", &lim);
	CHECK_EQ(dpx_http_error_status(r), 414);
	r = parse_lim("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &lim);
	CHECK_EQ(dpx_http_error_status(r), 414);
	CHECK_EQ(parse_lim("GET /aaaaaaaaaaaaaaaaaaaaaaaaaa", &lim), 0);
	/* header line too long */
	r = parse_lim("GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890\r\n\r\n", &lim);
	CHECK_EQ(dpx_http_error_status(r), 431);
	/* too many fields */
	CHECK_EQ(parse_lim("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", &lim), 1);
	r = parse_lim("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &lim);
	CHECK_EQ(dpx_http_error_status(r), 431);
	/* whole head over max_head, complete or not */
	memset(big, 0, sizeof(big));
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 8; i++)
		strcat(big, "X: 0123456789abcdef\r\n");
	lim.max_headers = 100;
	r = parse_lim(big, &lim);
	CHECK_EQ(dpx_http_error_status(r), 431);
	strcat(big, "\r\n");
	r = parse_lim(big, &lim);
	CHECK_EQ(dpx_http_error_status(r), 431);
	/* default max_headers */
	strcpy(big, "GET / HTTP/1.1\r\n");
	r = 0;
	{
		static char huge[8192];
		size_t off;

		strcpy(huge, "GET / HTTP/1.1\r\nHost: a\r\n");
		off = strlen(huge);
		for (int i = 0; i < 100; i++)
			off += (size_t)sprintf(huge + off, "X%d: v\r\n", i);
		strcpy(huge + off, "\r\n");
		r = parse(huge);
		CHECK_EQ(dpx_http_error_status(r), 431);
	}
	/* body limit */
	CHECK_EQ(parse_lim("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n", &lim), 1);
	r = parse_lim("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", &lim);
	CHECK_EQ(dpx_http_error_status(r), 413);
	CHECK_EQ(dpx_http_error_status(-DPX_HTTP_E_BAD), 400);
	CHECK_EQ(dpx_http_error_status(-DPX_HTTP_E_NOT_IMPLEMENTED), 501);
	CHECK_EQ(dpx_http_error_status(-DPX_HTTP_E_VERSION), 505);
}

/* ---- responses ---- */

static struct dpx_http_response rsp;

static int parse_rsp(const char *s, bool head)
{
	return dpx_http_parse_response(s, (uint32_t)strlen(s), NULL, head, &rsp);
}

struct rsp_case {
	const char *rsp;
	bool head;		/* request was HEAD */
	int ret;		/* 1, 0 or -DPX_HTTP_E_* */
	enum dpx_http_body body;
	uint64_t cl;
	bool keep_alive;
};

#define OK200 "HTTP/1.1 200 OK\r\n"
static const struct rsp_case rsp_cases[] = {
	{ OK200 "Content-Length: 5\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 5, true },
	{ OK200 "Content-Length: 0\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 0, true },
	{ OK200 "Content-Length: 5\r\n\r\n", true, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ OK200 "Transfer-Encoding: chunked\r\n\r\n", true, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ "HTTP/1.1 100 Continue\r\n\r\n", false, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", false, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", false, 1, DPX_HTTP_BODY_NONE, 0, true },
	{ OK200 "Transfer-Encoding: chunked\r\n\r\n", false, 1, DPX_HTTP_BODY_CHUNKED, 0, true },
	{ OK200 "Transfer-Encoding: gzip, Chunked\r\n\r\n", false, 1, DPX_HTTP_BODY_CHUNKED, 0, true },
	{ OK200 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", false, 1, DPX_HTTP_BODY_CHUNKED, 0, true },
	{ OK200 "Transfer-Encoding: gzip\r\n\r\n", false, 1, DPX_HTTP_BODY_CLOSE, 0, false },
	{ OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n", false, 1, DPX_HTTP_BODY_CLOSE, 0, false },
	{ OK200 "\r\n", false, 1, DPX_HTTP_BODY_CLOSE, 0, false },
	{ OK200 "Connection: close\r\nContent-Length: 3\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 3, false },
	{ "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 3, false },
	{ "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 3\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 3, true },
	{ "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false, 1, DPX_HTTP_BODY_CLOSE, 0, false },
	{ "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 3\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 3, false },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", false, 1, DPX_HTTP_BODY_NONE, 0, false },
	{ "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 1, true },
	{ "HTTP/1.1 599 \r\nContent-Length: 1\r\n\r\n", false, 1, DPX_HTTP_BODY_LENGTH, 1, true },
	/* incomplete */
	{ "", false, 0, 0, 0, false },
	{ "HTTP/1.1 200 OK\r\n", false, 0, 0, 0, false },
	{ OK200 "Content-Length: 5\r\n\r", false, 0, 0, 0, false },
	/* framing errors */
	{ OK200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length: 5, 5\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length: -1\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length: 18446744073709551616\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Transfer-Encoding: chunked, chunked\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Transfer-Encoding: chunked;x=1\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	/* status line */
	{ "HTTP/1.1 99 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 099 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 600 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 2000 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 20x OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 200OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1  200 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1 200 O\x01K\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "http/1.1 200 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/1.1\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "\r\nHTTP/1.1 200 OK\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ "HTTP/2.0 200 OK\r\n\r\n", false, -DPX_HTTP_E_VERSION, 0, 0, false },
	{ "HTTP/1.2 200 OK\r\n\r\n", false, -DPX_HTTP_E_VERSION, 0, 0, false },
	/* field syntax, as strict as for requests */
	{ "HTTP/1.1 200 OK\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length: 5\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "X: a\r\n b\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Content-Length : 5\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "X: a\rb\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "X\x7f: 1\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
	{ OK200 "Connection: close,,\r\n\r\n", false, -DPX_HTTP_E_BAD, 0, 0, false },
};
#undef OK200

static void test_response_framing(void)
{
	for (size_t i = 0; i < sizeof(rsp_cases) / sizeof(rsp_cases[0]); i++) {
		const struct rsp_case *c = &rsp_cases[i];
		int r = parse_rsp(c->rsp, c->head);
		bool ok = r == c->ret;

		if (ok && r == 1)
			ok = rsp.body == c->body && rsp.content_length == c->cl &&
			     rsp.keep_alive == c->keep_alive &&
			     rsp.head_len == strlen(c->rsp);
		if (!ok)
			fprintf(stderr, "response case %zu: got %d body %d "
				"cl %llu ka %d: %s\n", i, r, (int)rsp.body,
				(unsigned long long)rsp.content_length,
				rsp.keep_alive, c->rsp);
		CHECK(ok);
	}
}

static void test_response_fields(void)
{
	static const char s[] = "HTTP/1.1 404 Not  Found \r\nServer: x\r\n"
				"Content-Length: 2\r\n\r\nhiHTTP/1.1";
	uint32_t head = (uint32_t)sizeof(s) - 1 - 10;

	CHECK_EQ(parse_rsp(s, false), 1);
	CHECK_EQ(rsp.status, 404);
	CHECK_EQ(rsp.version_minor, 1);
	CHECK(str_is(rsp.reason, "Not  Found "));
	CHECK_EQ(rsp.n_headers, 2);
	CHECK(str_is(rsp.headers[0].name, "Server"));
	CHECK(str_is(rsp.headers[0].value, "x"));
	CHECK_EQ(rsp.head_len, head);
	CHECK(!rsp.upgrade);
	/* every prefix is incomplete, each read from an exact-size copy */
	for (uint32_t n = 0; n < head; n++) {
		char *b = malloc(n ? n : 1);

		memcpy(b, s, n);
		CHECK_EQ(dpx_http_parse_response(b, n, NULL, false, &rsp), 0);
		free(b);
	}
	CHECK_EQ(parse_rsp("HTTP/1.1 101 Switching Protocols\r\n"
			   "Upgrade: h2c\r\nConnection: Upgrade\r\n\r\n", false), 1);
	CHECK(rsp.upgrade);
	CHECK_EQ(rsp.status, 101);
	CHECK_EQ(parse_rsp("HTTP/1.1 200\r\n\r\n", false), 1);
	CHECK_EQ(rsp.reason.len, 0);
	CHECK_EQ(rsp.n_headers, 0);
}

static void test_response_limits(void)
{
	struct dpx_http_limits lim = {
		.max_line = 24, .max_headers = 2, .max_head = 80,
	};
	const char *s;

	s = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n";
	CHECK_EQ(dpx_http_parse_response(s, (uint32_t)strlen(s), &lim, false,
					 &rsp), 1);
	s = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	CHECK_EQ(dpx_http_parse_response(s, (uint32_t)strlen(s), &lim, false,
					 &rsp), -DPX_HTTP_E_HEADERS_TOO_LARGE);
	s = "HTTP/1.1 200 A very long reason phrase\r\n\r\n";
	CHECK_EQ(dpx_http_parse_response(s, (uint32_t)strlen(s), &lim, false,
					 &rsp), -DPX_HTTP_E_HEADERS_TOO_LARGE);
	s = "HTTP/1.1 200 OK\r\nX: 0123456789012345678901\r\n\r\n";
	CHECK_EQ(dpx_http_parse_response(s, (uint32_t)strlen(s), &lim, false,
					 &rsp), -DPX_HTTP_E_HEADERS_TOO_LARGE);
}

/* ---- chunked scanner ---- */

#define NEXT_MSG "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"

struct chunked_case {
	const char *body;
	uint64_t payload;
};

static const struct chunked_case good_chunked[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", 5 },
	{ "0\r\n\r\n", 0 },
	{ "000\r\n\r\n", 0 },
	{ "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: v\r\n\r\n", 15 },
	{ "1F;a=\"q s\"\r\n0123456789abcdef0123456789abcde\r\n"
	  "0;last\r\nA: b\r\nC:\r\n\r\n", 31 },
	{ "1\r\n\r\r\n2\r\n\n\n\r\n00000\r\n\r\n", 3 },
	{ "a\r\n0\r\n\r\n0\r\n\r\n\r\n0\r\n\r\n", 10 },
};

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/*
 * Feed s[0, len) in fragments of the sizes cuts[] gives (each copied to an
 * exact-size heap buffer so that ASan sees any overread) until the scanner
 * ends; returns its result and the total bytes used in *total.
 */
static int scan_frags(const char *s, uint32_t len, const uint32_t *cuts,
		      uint32_t n_cuts, uint32_t max_line, uint32_t max_trl,
		      uint32_t *total, uint64_t *payload)
{
	struct dpx_http_chunked st;
	uint32_t off = 0, used = 0;
	int r = 0;

	dpx_http_chunked_init(&st, max_line, max_trl);
	for (uint32_t i = 0; off < len; i++) {
		uint32_t n = i < n_cuts ? cuts[i] : len - off;
		char *b;

		if (n > len - off)
			n = len - off;
		b = malloc(n ? n : 1);
		memcpy(b, s + off, n);
		r = dpx_http_chunked_scan(&st, b, n, &used);
		free(b);
		if (r < 0) {
			*total = off + used;
			return r;
		}
		if (used > n || (r == 0 && used != n))
			return -100;	/* contract broken */
		off += used;
		if (r == 1)
			break;
	}
	*total = off;
	*payload = dpx_http_chunked_body_bytes(&st);
	return r;
}

/* The payloads of good_chunked[], in order. */
static const char *const good_payload[] = {
	"hello", "", "", "hello0123456789",
	"0123456789abcdef0123456789abcde", "\r\n\n", "0\r\n\r\n0\r\n\r\n",
};

/*
 * De-chunk s[0, len) fed in fragments of the sizes cuts[] gives (each in
 * an exact-size heap buffer) with dpx_http_chunked_data into out; the
 * same result and ends as dpx_http_chunked_scan's on the same fragments.
 */
static int data_frags(const char *s, uint32_t len, const uint32_t *cuts,
		      uint32_t n_cuts, char *out, uint32_t *out_len,
		      uint32_t *total)
{
	struct dpx_http_chunked st, ref;
	uint32_t off = 0;
	int r = 0;

	*out_len = 0;
	dpx_http_chunked_init(&st, 64, 64);
	dpx_http_chunked_init(&ref, 64, 64);
	for (uint32_t i = 0; off < len && r == 0; i++) {
		uint32_t n = i < n_cuts ? cuts[i] : len - off, at = 0;
		uint32_t ref_used;
		int ref_r;
		char *b;

		if (n > len - off)
			n = len - off;
		b = malloc(n ? n : 1);
		memcpy(b, s + off, n);
		ref_r = dpx_http_chunked_scan(&ref, b, n, &ref_used);
		do {
			uint32_t used, d_off, d_len;

			r = dpx_http_chunked_data(&st, b + at, n - at, &used,
						  &d_off, &d_len);
			if (r >= 0 && (used > n - at || d_off + d_len > used)) {
				free(b);
				return -100;	/* contract broken */
			}
			if (r < 0)
				used = 0;
			memcpy(out + *out_len, b + at + d_off, d_len);
			*out_len += d_len;
			at += used;
		} while (r == 0 && at < n);
		free(b);
		if (r != ref_r || (r >= 0 && at != ref_used))
			return -101;	/* not the scan's answer */
		off += at;
	}
	*total = off;
	return r;
}

static void test_chunked_data(void)
{
	static uint32_t cuts[512];

	for (size_t c = 0; c < sizeof(good_chunked) / sizeof(good_chunked[0]);
	     c++) {
		const char *want = good_payload[c];
		uint32_t blen = (uint32_t)strlen(good_chunked[c].body);
		uint32_t want_len = (uint32_t)good_chunked[c].payload;
		char buf[256], out[256];
		uint32_t len, total, n;
		int r;

		snprintf(buf, sizeof(buf), "%s%s", good_chunked[c].body,
			 NEXT_MSG);
		len = (uint32_t)strlen(buf);
		CHECK_EQ(strlen(want), want_len);
		r = data_frags(buf, len, NULL, 0, out, &n, &total);
		CHECK_EQ(r, 1);
		CHECK_EQ(total, blen);
		CHECK(n == want_len && memcmp(out, want, n) == 0);
		for (int round = 0; round < 200; round++) {
			for (uint32_t i = 0; i < len; i++)
				cuts[i] = round == 0 ? 1 : rng() % 7;
			r = data_frags(buf, len, cuts, len, out, &n, &total);
			CHECK_EQ(r, 1);
			CHECK_EQ(total, blen);
			CHECK(n == want_len && memcmp(out, want, n) == 0);
		}
	}
	/* bad framing: the scan's error, the data before it kept */
	{
		const char *bad = "5\r\nhello\r\n3\r\nabcd\r\n0\r\n\r\n";
		char out[64];
		uint32_t n, total;

		CHECK_EQ(data_frags(bad, (uint32_t)strlen(bad), NULL, 0, out,
				    &n, &total), -DPX_HTTP_E_BAD);
		CHECK(n == 8 && memcmp(out, "helloabc", 8) == 0);
	}
}

/* The head stored for a chunked response, byte for byte (want NULL: -1). */
static void check_dechunked(const char *in, uint64_t len, const char *want)
{
	struct dpx_http_response rsp, back;
	char out[512];
	int n;

	CHECK(dpx_http_parse_response(in, (uint32_t)strlen(in), NULL, false,
				      &rsp) == 1);
	n = dpx_http_dechunked_head(&rsp, in, len, out, sizeof(out));
	CHECK_EQ(n, want != NULL ? (int)strlen(want) : -1);
	if (want == NULL || n <= 0)
		return;
	CHECK(memcmp(out, want, (size_t)n) == 0);
	if (memcmp(out, want, (size_t)n) != 0)
		fprintf(stderr, "dechunked head:\n%.*s\nwant:\n%s\n", n, out,
			want);
	CHECK(dpx_http_parse_response(out, (uint32_t)n, NULL, false,
				      &back) == 1);
	CHECK(back.body == DPX_HTTP_BODY_LENGTH);
	CHECK_EQ(back.content_length, len);
	CHECK_EQ(back.head_len, n);
	/* every cap below the length is refused, never overrun */
	for (int cap = 0; cap < n; cap++)
		CHECK_EQ(dpx_http_dechunked_head(&rsp, in, len, out,
						 (uint32_t)cap), -1);
}

static void test_dechunked_head(void)
{
	struct dpx_http_response rsp;
	const char *te_gzip = "HTTP/1.1 200 OK\r\n"
		"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";

	check_dechunked("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
			"Transfer-Encoding: chunked\r\nTrailer: X-T\r\n"
			"ETag: \"a\"\r\nX-Empty:\r\n\r\n", 4096,
			"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
			"ETag: \"a\"\r\nX-Empty:\r\n"
			"Content-Length: 4096\r\n\r\n");
	check_dechunked("HTTP/1.1 404 Nope\r\ntransfer-encoding:  Chunked \r\n"
			"\r\n", 0,
			"HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n");
	/* another coding under chunked: de-chunking would not undo it */
	check_dechunked(te_gzip, 10, NULL);
	CHECK(dpx_http_parse_response(te_gzip, (uint32_t)strlen(te_gzip), NULL,
				      false, &rsp) == 1);
	CHECK(rsp.body == DPX_HTTP_BODY_CHUNKED && !dpx_http_chunked_only(&rsp));
	/* not chunked at all */
	check_dechunked("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", 3, NULL);
	check_dechunked("HTTP/1.1 200 OK\r\nX: y\r\n\r\n", 3, NULL);
}

static void test_chunked_splits(void)
{
	static uint32_t cuts[512];

	for (size_t c = 0; c < sizeof(good_chunked) / sizeof(good_chunked[0]);
	     c++) {
		char buf[256];
		uint32_t blen = (uint32_t)strlen(good_chunked[c].body);
		uint32_t len, total;
		uint64_t payload;
		int r;

		snprintf(buf, sizeof(buf), "%s%s", good_chunked[c].body,
			 NEXT_MSG);
		len = (uint32_t)strlen(buf);

		/* one call: the exact end, the next message untouched */
		r = scan_frags(buf, len, NULL, 0, 64, 64, &total, &payload);
		CHECK_EQ(r, 1);
		CHECK_EQ(total, blen);
		CHECK_EQ(payload, good_chunked[c].payload);

		/* byte by byte */
		for (uint32_t i = 0; i < len; i++)
			cuts[i] = 1;
		r = scan_frags(buf, len, cuts, len, 64, 64, &total, &payload);
		CHECK_EQ(r, 1);
		CHECK_EQ(total, blen);
		CHECK_EQ(payload, good_chunked[c].payload);

		/* every two-way split */
		for (uint32_t k = 0; k <= blen; k++) {
			cuts[0] = k;
			r = scan_frags(buf, len, cuts, 1, 64, 64, &total,
				       &payload);
			CHECK_EQ(r, 1);
			CHECK_EQ(total, blen);
			CHECK_EQ(payload, good_chunked[c].payload);
		}

		/* random splits, empty fragments included */
		for (int round = 0; round < 200; round++) {
			for (uint32_t i = 0; i < len; i++)
				cuts[i] = rng() % 7;
			r = scan_frags(buf, len, cuts, len, 64, 64, &total,
				       &payload);
			CHECK_EQ(r, 1);
			CHECK_EQ(total, blen);
			CHECK_EQ(payload, good_chunked[c].payload);
		}

		/* a strict prefix is all body and incomplete */
		for (uint32_t k = 0; k < blen; k++) {
			struct dpx_http_chunked st;
			uint32_t used = 12345;

			dpx_http_chunked_init(&st, 64, 64);
			CHECK_EQ(dpx_http_chunked_scan(&st, buf, k, &used), 0);
			CHECK_EQ(used, k);
		}
	}
}

static void test_chunked_state(void)
{
	struct dpx_http_chunked st;
	static char big[1 << 20];
	uint32_t used = 0;
	const char *s;

	/* the largest size allowed, then data skipped in bulk */
	dpx_http_chunked_init(&st, 64, 0);
	s = "7fffffffffffffff\r\n";
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used), 0);
	CHECK_EQ(used, strlen(s));
	memset(big, '\n', sizeof(big));
	CHECK_EQ(dpx_http_chunked_scan(&st, big, sizeof(big), &used), 0);
	CHECK_EQ(used, sizeof(big));
	CHECK_EQ(dpx_http_chunked_body_bytes(&st), sizeof(big));
	CHECK_EQ(st.remaining, 0x7fffffffffffffffull - sizeof(big));

	/* after the end: 1 and nothing used, whatever follows */
	dpx_http_chunked_init(&st, 64, 0);
	s = "0\r\n\r\nXYZ";
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used), 1);
	CHECK_EQ(used, 5);
	CHECK_EQ(dpx_http_chunked_scan(&st, "garbage", 7, &used), 1);
	CHECK_EQ(used, 0);
	CHECK_EQ(dpx_http_chunked_scan(&st, NULL, 0, &used), 1);

	/* an error sticks, and points at the offending byte */
	dpx_http_chunked_init(&st, 64, 0);
	s = "5\r\nhelloX\r\n";
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used),
		 -DPX_HTTP_E_BAD);
	CHECK_EQ(used, 8);
	CHECK_EQ(dpx_http_chunked_scan(&st, "\r\n0\r\n\r\n", 7, &used),
		 -DPX_HTTP_E_BAD);
	CHECK_EQ(used, 0);

	/* empty input on a fresh state: need more */
	dpx_http_chunked_init(&st, 64, 0);
	used = 99;
	CHECK_EQ(dpx_http_chunked_scan(&st, "", 0, &used), 0);
	CHECK_EQ(used, 0);

	/* max_line counts size and extension, without CRLF */
	dpx_http_chunked_init(&st, 8, 0);
	s = "1;abcdef\r\nx\r\n0\r\n\r\n";
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used), 1);
	CHECK_EQ(dpx_http_chunked_body_bytes(&st), 1);
	dpx_http_chunked_init(&st, 8, 0);
	s = "1;abcdefg";
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used),
		 -DPX_HTTP_E_BAD);
	CHECK_EQ(used, 8);

	/* trailer bytes count field lines with their CRLFs */
	dpx_http_chunked_init(&st, 64, 6);
	s = "0\r\nA: b\r\n\r\n";
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used), 1);
	dpx_http_chunked_init(&st, 64, 5);
	CHECK_EQ(dpx_http_chunked_scan(&st, s, (uint32_t)strlen(s), &used),
		 -DPX_HTTP_E_BAD);
}

struct bad_chunked {
	const char *body;
	uint32_t max_line, max_trailers;
};

static const struct bad_chunked bad_chunked[] = {
	{ "0x10\r\n0123456789abcdef\r\n0\r\n\r\n", 64, 64 },
	{ " 5\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5 \r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5 ;a\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "\t5\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "-1\r\nx\r\n0\r\n\r\n", 64, 64 },
	{ "+1\r\nx\r\n0\r\n\r\n", 64, 64 },
	{ "g\r\n", 64, 64 },
	{ "fffffffffffffffff\r\n", 64, 64 },
	{ "8000000000000000\r\n", 64, 64 },
	{ "10000000000000000\r\n", 64, 64 },
	{ "\r\n5\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ ";a\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "\r\n\r\n", 64, 64 },
	{ ";a\r\n\r\n", 64, 64 },
	{ "5\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5\rhello\r\n0\r\n\r\n", 64, 64 },
	{ "5\r\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5;a\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5\r\nhello0\r\n\r\n", 64, 64 },
	{ "5\r\nhelloXX\r\n0\r\n\r\n", 64, 64 },
	{ "5\r\nhello\n0\r\n\r\n", 64, 64 },
	{ "5\r\nhello\r0\r\n\r\n", 64, 64 },
	{ "5;a\x01\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5;a\x7f\r\nhello\r\n0\r\n\r\n", 64, 64 },
	{ "5;0123456789\r\nhello\r\n0\r\n\r\n", 8, 64 },
	{ "000000000\r\n\r\n", 8, 64 },
	{ "0\r\n\n", 64, 64 },
	{ "0\r\n\rX", 64, 64 },
	{ "0\n\r\n", 64, 64 },
	{ "0\r\nX: y\n\r\n", 64, 64 },
	{ "0\r\nX: y\r\r\n\r\n", 64, 64 },
	{ "0\r\nX: y\rZZ: 1\r\n\r\n", 64, 64 },
	{ "0\r\n X: y\r\n\r\n", 64, 64 },
	{ "0\r\nX: y\r\n\tz\r\n\r\n", 64, 64 },
	{ "0\r\nNoColon\r\n\r\n", 64, 64 },
	{ "0\r\nX y: 1\r\n\r\n", 64, 64 },
	{ "0\r\n: v\r\n\r\n", 64, 64 },
	{ "0\r\nX: \x01\r\n\r\n", 64, 64 },
	{ "0\r\nX: 0123456789\r\n\r\n", 8, 64 },
	{ "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 64, 12 },
	{ "0\r\nA: 1\r\n\r\n", 64, 0 },
};

static void test_chunked_invalid(void)
{
	static uint32_t ones[128];

	for (uint32_t i = 0; i < 128; i++)
		ones[i] = 1;
	for (size_t c = 0; c < sizeof(bad_chunked) / sizeof(bad_chunked[0]);
	     c++) {
		const struct bad_chunked *b = &bad_chunked[c];
		uint32_t len = (uint32_t)strlen(b->body), t1 = 0, t2 = 0;
		uint64_t p;
		int r1 = scan_frags(b->body, len, NULL, 0, b->max_line,
				    b->max_trailers, &t1, &p);
		int r2 = scan_frags(b->body, len, ones, len, b->max_line,
				    b->max_trailers, &t2, &p);

		if (r1 != -DPX_HTTP_E_BAD || r2 != r1 || t1 != t2)
			fprintf(stderr, "bad chunked case %zu: %d/%d at %u/%u\n",
				c, r1, r2, t1, t2);
		CHECK_EQ(r1, -DPX_HTTP_E_BAD);
		CHECK_EQ(r2, r1);
		CHECK_EQ(t1, t2);
	}
	CHECK(sizeof(bad_chunked) / sizeof(bad_chunked[0]) >= 15);
}

/* ---- writers ---- */

static char wbuf[4096];

/*
 * The writer's output must be exactly want, and every smaller cap must give
 * -1 without writing past it (exact-size heap buffers: ASan checks).
 */
static bool check_write_caps(int (*write)(char *, uint32_t, const void *,
					  const void *),
			     const void *msg, const void *rw, const char *want)
{
	uint32_t wl = (uint32_t)strlen(want);
	int n = write(wbuf, sizeof(wbuf), msg, rw);
	bool ok = n == (int)wl && memcmp(wbuf, want, wl) == 0;

	if (!ok)
		fprintf(stderr, "writer: got %d bytes:\n%.*s\nwant %u:\n%s\n",
			n, n > 0 ? n : 0, wbuf, wl, want);
	for (uint32_t cap = 0; cap <= wl && ok; cap++) {
		char *b = malloc(cap ? cap : 1);

		n = write(b, cap, msg, rw);
		if (cap < wl)
			ok = n == -1;
		else
			ok = n == (int)wl && memcmp(b, want, wl) == 0;
		if (!ok)
			fprintf(stderr, "writer: cap %u gave %d\n", cap, n);
		free(b);
	}
	return ok;
}

static int write_req(char *out, uint32_t cap, const void *m, const void *rw)
{
	return dpx_http_write_request(out, cap, m, rw);
}

static int write_rsp(char *out, uint32_t cap, const void *m, const void *rw)
{
	return dpx_http_write_response(out, cap, m, rw);
}

static void edit_set(struct dpx_hdr_edits *e, const char *n, const char *v)
{
	snprintf(e->set[e->n_set].name, DPX_NAME_LEN, "%s", n);
	snprintf(e->set[e->n_set].value, DPX_HDR_VALUE_LEN, "%s", v);
	e->n_set++;
}

static void edit_remove(struct dpx_hdr_edits *e, const char *n)
{
	snprintf(e->remove[e->n_remove++], DPX_NAME_LEN, "%s", n);
}

/* Rewrite request s and check the exact result; the result must parse. */
static bool rewrite_req(const char *s, const struct dpx_http_req_rewrite *rw,
			const char *want)
{
	static struct dpx_http_request again;
	bool ok;

	if (parse(s) != 1)
		return false;
	ok = check_write_caps(write_req, &req, rw, want);
	if (ok && req.host.len > 0)
		ok = dpx_http_parse_request(want, (uint32_t)strlen(want), NULL,
					    &again) == 1 &&
		     again.body == req.body &&
		     again.content_length == req.content_length;
	return ok;
}

static void test_write_request(void)
{
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.9", .proto = "http",
		.forwarded = DPX_FWD_XFF, .via = true,
	};
	struct dpx_hdr_edits ed;

	/* XFF and Via appended, hop-by-hop and Connection-named fields gone,
	 * a received X-Forwarded-Proto replaced */
	CHECK(rewrite_req("GET /p?q=1 HTTP/1.1\r\nUser-Agent: t\r\n"
		"Host: example.com\r\nConnection: keep-alive, X-Secret\r\n"
		"X-Secret: s\r\nKeep-Alive: timeout=5\r\n"
		"X-Forwarded-For: 10.0.0.1\r\nVia: 1.0 fred\r\nTE: trailers\r\n"
		"X-Forwarded-Proto: https\r\nProxy-Connection: x\r\n"
		"Trailer: X\r\nUpgrade: h2c\r\nx-forwarded-for: 10.0.0.2\r\n"
		"Accept: */*\r\n\r\n", &rw,
		"GET /p?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n"
		"Accept: */*\r\n"
		"X-Forwarded-For: 10.0.0.1, 10.0.0.2, 198.18.0.9\r\n"
		"X-Forwarded-Proto: http\r\nX-Forwarded-Host: example.com\r\n"
		"Via: 1.0 fred, 1.1 dpx\r\n\r\n"));

	/* RFC 7239: appended to a received Forwarded, host quoted for ':';
	 * X-Forwarded-For and Via untouched in this mode */
	rw.forwarded = DPX_FWD_RFC7239;
	rw.via = false;
	CHECK(rewrite_req("POST /up HTTP/1.1\r\nHost: example.com:8080\r\n"
		"Forwarded: for=192.0.2.60;proto=https\r\nContent-Length: 3\r\n"
		"Via: 1.1 a\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n", &rw,
		"POST /up HTTP/1.1\r\nHost: example.com:8080\r\n"
		"Content-Length: 3\r\nVia: 1.1 a\r\nX-Forwarded-For: 1.1.1.1\r\n"
		"Forwarded: for=192.0.2.60;proto=https, for=198.18.0.9;"
		"proto=http;host=\"example.com:8080\"\r\n\r\n"));

	/* both modes, HTTP/1.0 client, route edits; Connection cannot drop
	 * Content-Length and edits of framing fields are ignored */
	memset(&ed, 0, sizeof(ed));
	edit_set(&ed, "X-Replace", "new");
	edit_set(&ed, "X-Added", "1");
	edit_set(&ed, "Content-Length", "99");
	edit_remove(&ed, "x-drop");
	edit_remove(&ed, "Transfer-Encoding");
	edit_remove(&ed, "content-length");
	rw.forwarded = DPX_FWD_BOTH;
	rw.via = true;
	rw.edits = &ed;
	CHECK(rewrite_req("PUT /x HTTP/1.0\r\nHost: h\r\n"
		"Connection: Content-Length, Cookie\r\nCookie: a=b\r\n"
		"Content-Length: 2\r\nX-Drop: 1\r\nx-replace: old\r\n"
		"X-Keep: k\r\n\r\n", &rw,
		"PUT /x HTTP/1.0\r\nHost: h\r\nContent-Length: 2\r\n"
		"X-Keep: k\r\nX-Forwarded-For: 198.18.0.9\r\n"
		"X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
		"Forwarded: for=198.18.0.9;proto=http;host=h\r\n"
		"Via: 1.0 dpx\r\nX-Replace: new\r\nX-Added: 1\r\n\r\n"));

	/* edits may remove what dpx adds, but never Host */
	memset(&ed, 0, sizeof(ed));
	edit_remove(&ed, "X-Forwarded-Host");
	edit_remove(&ed, "via");
	edit_remove(&ed, "Host");
	edit_set(&ed, "X-Forwarded-Proto", "https");
	rw.forwarded = DPX_FWD_XFF;
	CHECK(rewrite_req("GET / HTTP/1.1\r\nHost: h\r\nVia: 1.1 x\r\n\r\n",
		&rw,
		"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 198.18.0.9\r\n"
		"X-Forwarded-Proto: https\r\n\r\n"));

	/* upgrade: Upgrade kept, Connection rewritten; a route's Host wins */
	memset(&ed, 0, sizeof(ed));
	edit_set(&ed, "host", "backend.local");
	rw.forwarded = DPX_FWD_NONE;
	rw.via = false;
	CHECK(rewrite_req("GET /ws HTTP/1.1\r\nHost: public.example\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: k\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", &rw,
		"GET /ws HTTP/1.1\r\nHost: backend.local\r\n"
		"Upgrade: websocket\r\nSec-WebSocket-Key: k\r\n"
		"X-Forwarded-For: 1.2.3.4\r\nConnection: upgrade\r\n\r\n"));

	/* Forwarded quoting escapes '"' and '\\' */
	memset(&ed, 0, sizeof(ed));
	edit_set(&ed, "Host", "a\"b\\c");
	rw.forwarded = DPX_FWD_RFC7239;
	rw.client_addr = NULL;
	rw.proto = NULL;
	CHECK(check_write_caps(write_req, &req, &rw,
		"GET /ws HTTP/1.1\r\nHost: a\"b\\c\r\nUpgrade: websocket\r\n"
		"Sec-WebSocket-Key: k\r\nX-Forwarded-For: 1.2.3.4\r\n"
		"Connection: upgrade\r\n"
		"Forwarded: for=unknown;proto=http;host=\"a\\\"b\\\\c\"\r\n\r\n"));
	rw.client_addr = "198.18.0.9";
	rw.proto = "http";

	/* absolute-form: Host comes from the target (RFC 9112 3.2.2) */
	rw.edits = NULL;
	rw.forwarded = DPX_FWD_NONE;
	CHECK(rewrite_req("GET http://a.example/x HTTP/1.1\r\nHost: other\r\n"
		"\r\n", &rw,
		"GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n"));

	/* HTTP/1.0 without Host: forwarded as HTTP/1.0, still without */
	rw.forwarded = DPX_FWD_BOTH;
	CHECK(rewrite_req("GET / HTTP/1.0\r\n\r\n", &rw,
		"GET / HTTP/1.0\r\nX-Forwarded-For: 198.18.0.9\r\n"
		"X-Forwarded-Proto: http\r\n"
		"Forwarded: for=198.18.0.9;proto=http\r\n\r\n"));

	/* chunked request: Transfer-Encoding kept even if Connection names it */
	rw.forwarded = DPX_FWD_NONE;
	CHECK(rewrite_req("POST / HTTP/1.1\r\nHost: h\r\n"
		"Connection: transfer-encoding, host\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", &rw,
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"\r\n"));
}

static bool rewrite_rsp(const char *s, const struct dpx_http_rsp_rewrite *rw,
			const char *want)
{
	static struct dpx_http_response again;
	bool ok;

	if (parse_rsp(s, false) != 1)
		return false;
	ok = check_write_caps(write_rsp, &rsp, rw, want);
	if (ok)
		ok = dpx_http_parse_response(want, (uint32_t)strlen(want), NULL,
					     false, &again) == 1 &&
		     again.body == rsp.body &&
		     again.content_length == rsp.content_length &&
		     again.status == rsp.status;
	return ok;
}

static void test_write_response(void)
{
	struct dpx_http_rsp_rewrite rw = {
		.server_header = DPX_SRVHDR_HIDE, .via = true, .close = true,
	};
	struct dpx_hdr_edits ed;

	/* hide Server and X-Powered-By, append Via, close */
	CHECK(rewrite_rsp("HTTP/1.1 200 OK\r\nServer: Apache/2.4\r\n"
		"X-Powered-By: PHP\r\nContent-Length: 5\r\n"
		"Connection: keep-alive, X-Internal\r\nX-Internal: 1\r\n"
		"Keep-Alive: timeout=5\r\nVia: 1.1 cache\r\n"
		"Set-Cookie: a=b\r\n\r\n", &rw,
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=b\r\n"
		"Connection: close\r\nVia: 1.1 cache, 1.1 dpx\r\n\r\n"));

	/* replace Server, HTTP/1.0 client kept alive, route edits */
	memset(&ed, 0, sizeof(ed));
	edit_remove(&ed, "X-Debug");
	edit_set(&ed, "Cache-Control", "no-store");
	edit_set(&ed, "Connection", "close");	/* reserved: ignored */
	rw.server_header = DPX_SRVHDR_REPLACE;
	rw.server_value = "dpx";
	rw.via = false;
	rw.close = false;
	rw.client_http10_keepalive = true;
	rw.edits = &ed;
	CHECK(rewrite_rsp("HTTP/1.0 404 Not Found\r\nserver: nginx\r\n"
		"X-Powered-By: x\r\nContent-Length: 0\r\n"
		"Connection: keep-alive\r\nX-Debug: 1\r\nCache-Control: max-age=9"
		"\r\n\r\n", &rw,
		"HTTP/1.1 404 Not Found\r\nServer: dpx\r\nX-Powered-By: x\r\n"
		"Content-Length: 0\r\nConnection: keep-alive\r\n"
		"Cache-Control: no-store\r\n\r\n"));

	/* REPLACE without a value hides */
	rw.server_value = "";
	rw.edits = NULL;
	rw.client_http10_keepalive = false;
	CHECK(check_write_caps(write_rsp, &rsp, &rw,
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
		"X-Debug: 1\r\nCache-Control: max-age=9\r\n\r\n"));

	/* pass Server; a 101 keeps Upgrade and says Connection: upgrade */
	rw.server_header = DPX_SRVHDR_PASS;
	rw.via = true;
	rw.close = true;
	CHECK(rewrite_rsp("HTTP/1.1 101 Switching Protocols\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: x\r\nServer: s\r\n\r\n", &rw,
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Sec-WebSocket-Accept: x\r\nServer: s\r\n"
		"Connection: upgrade\r\nVia: 1.1 dpx\r\n\r\n"));

	/* chunked framing kept; empty reason filled in; Trailer dropped */
	rw.server_header = DPX_SRVHDR_HIDE;
	rw.via = false;
	rw.close = false;
	CHECK(rewrite_rsp("HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n"
		"Trailer: X\r\nConnection: Transfer-Encoding\r\n\r\n", &rw,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
	CHECK(rewrite_rsp("HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n", &rw,
		"HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n"));
}

static void test_write_error(void)
{
	static const int statuses[] = {
		400, 403, 404, 408, 413, 414, 421, 429, 431,
		500, 501, 502, 503, 504, 505,
	};
	const char *want = "HTTP/1.1 502 Bad Gateway\r\n"
			   "Content-Type: text/plain\r\nContent-Length: 16\r\n"
			   "Connection: close\r\n\r\n502 Bad Gateway\n";
	uint32_t wl = (uint32_t)strlen(want);

	CHECK_EQ(dpx_http_write_error(wbuf, sizeof(wbuf), 502, true), wl);
	CHECK(memcmp(wbuf, want, wl) == 0);
	for (uint32_t cap = 0; cap < wl; cap++) {
		char *b = malloc(cap ? cap : 1);

		CHECK_EQ(dpx_http_write_error(b, cap, 502, true), -1);
		free(b);
	}
	want = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
	       "Content-Type: text/plain\r\nContent-Length: 36\r\n\r\n"
	       "431 Request Header Fields Too Large\n";
	CHECK_EQ(dpx_http_write_error(wbuf, sizeof(wbuf), 431, false),
		 strlen(want));
	CHECK(memcmp(wbuf, want, strlen(want)) == 0);
	CHECK_EQ(dpx_http_write_error(wbuf, sizeof(wbuf), 200, true), -1);
	CHECK_EQ(dpx_http_write_error(wbuf, sizeof(wbuf), 418, true), -1);
	CHECK_EQ(dpx_http_write_error(wbuf, sizeof(wbuf), -502, true), -1);

	/* each one is a valid response whose body is Content-Length long */
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		int n = dpx_http_write_error(wbuf, sizeof(wbuf), statuses[i],
					     true);

		CHECK(n > 0);
		CHECK_EQ(dpx_http_parse_response(wbuf, (uint32_t)n, NULL,
						 false, &rsp), 1);
		CHECK_EQ(rsp.status, statuses[i]);
		CHECK_EQ(rsp.body, DPX_HTTP_BODY_LENGTH);
		CHECK_EQ(rsp.head_len + rsp.content_length, n);
		CHECK(!rsp.keep_alive);
		CHECK(wbuf[n - 1] == '\n');
	}
}

/* ---- resumable parsing and the instruction sets ---- */

/*
 * Under ASan, the bytes of a buffer past what a call is given are
 * poisoned, so a read beyond buf[0, len) is caught even inside the
 * allocation (the resumable parser is given a growing prefix of one
 * buffer).
 */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static const enum dpx_http_isa all_isas[] = {
	DPX_HTTP_ISA_SCALAR, DPX_HTTP_ISA_SSE42, DPX_HTTP_ISA_AVX2,
};
#define N_ISAS (sizeof(all_isas) / sizeof(all_isas[0]))

/* Same span, as an offset into its own buffer. */
static bool span_same(struct dpx_http_str a, const char *ba,
		      struct dpx_http_str b, const char *bb)
{
	if (a.len != b.len || (a.p == NULL) != (b.p == NULL))
		return false;
	return a.p == NULL || a.p - ba == b.p - bb;
}

static bool headers_same(const struct dpx_http_header *a, const char *ba,
			 const struct dpx_http_header *b, const char *bb,
			 uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!span_same(a[i].name, ba, b[i].name, bb) ||
		    !span_same(a[i].value, ba, b[i].value, bb) ||
		    a[i].field != b[i].field ||
		    a[i].canonical != b[i].canonical)
			return false;
	return true;
}

static bool req_same(const struct dpx_http_request *a, const char *ba,
		     const struct dpx_http_request *b, const char *bb)
{
	return span_same(a->method, ba, b->method, bb) &&
	       span_same(a->target, ba, b->target, bb) &&
	       span_same(a->host, ba, b->host, bb) &&
	       a->version_minor == b->version_minor &&
	       a->n_headers == b->n_headers &&
	       headers_same(a->headers, ba, b->headers, bb, a->n_headers) &&
	       a->body == b->body && a->content_length == b->content_length &&
	       a->keep_alive == b->keep_alive &&
	       a->expect_continue == b->expect_continue &&
	       a->upgrade == b->upgrade && a->conn_names == b->conn_names &&
	       a->fields_seen == b->fields_seen && a->head_len == b->head_len;
}

static bool rsp_same(const struct dpx_http_response *a, const char *ba,
		     const struct dpx_http_response *b, const char *bb)
{
	return a->status == b->status &&
	       a->version_minor == b->version_minor &&
	       span_same(a->reason, ba, b->reason, bb) &&
	       a->n_headers == b->n_headers &&
	       headers_same(a->headers, ba, b->headers, bb, a->n_headers) &&
	       a->body == b->body && a->content_length == b->content_length &&
	       a->keep_alive == b->keep_alive && a->upgrade == b->upgrade &&
	       a->conn_names == b->conn_names &&
	       a->fields_seen == b->fields_seen && a->head_len == b->head_len;
}

/* A head to parse every way: request, or response (to HEAD or not). */
struct head_case {
	const char *s;
	uint32_t len;
	const struct dpx_http_limits *lim;
	bool response, to_head;
};

/* Messages of one parse: the reference, and the one being compared. */
static struct dpx_http_request ref_req, cmp_req;
static struct dpx_http_response ref_rsp, cmp_rsp;

static int parse_once(const struct head_case *c, const char *buf,
		      uint32_t len, bool ref)
{
	if (c->response)
		return dpx_http_parse_response(buf, len, c->lim, c->to_head,
					       ref ? &ref_rsp : &cmp_rsp);
	return dpx_http_parse_request(buf, len, c->lim,
				      ref ? &ref_req : &cmp_req);
}

static int parse_more(struct dpx_http_parser *ps, const struct head_case *c,
		      const char *buf, uint32_t len)
{
	if (c->response)
		return dpx_http_parse_response_more(ps, buf, len, c->lim,
						    c->to_head, &cmp_rsp);
	return dpx_http_parse_request_more(ps, buf, len, c->lim, &cmp_req);
}

/* buf[0, k) only: the call is made with the rest of buf poisoned. */
static int parse_more_prefix(struct dpx_http_parser *ps,
			     const struct head_case *c, char *buf,
			     uint32_t len, uint32_t k)
{
	int r;

	POISON(buf + k, len - k);
	r = parse_more(ps, c, buf, k);
	UNPOISON(buf + k, len - k);
	return r;
}

static bool same_message(const struct head_case *c, const char *ref_buf,
			 const char *buf)
{
	if (c->response)
		return rsp_same(&ref_rsp, ref_buf, &cmp_rsp, buf);
	return req_same(&ref_req, ref_buf, &cmp_req, buf);
}

/*
 * The reference: a one-shot parse with the scalar scanners, of the whole
 * head and of every prefix of it. Then, for every instruction set the CPU
 * has: the one-shot parse, the resumable one split in two at every point,
 * and the resumable one fed one byte at a time, must give the same result
 * for each prefix, and the same message for a complete head.
 */
static bool parse_all_ways(const struct head_case *c)
{
	uint32_t len = c->len;
	char *ref_buf = malloc(len + 1), *buf = malloc(len + 1);
	int *ref = malloc((len + 1) * sizeof(*ref));
	enum dpx_http_isa start = dpx_http_get_isa();
	struct dpx_http_parser ps;
	bool ok = true;
	int r;

	memcpy(ref_buf, c->s, len);
	memcpy(buf, c->s, len);
	dpx_http_set_isa(DPX_HTTP_ISA_SCALAR);
	for (uint32_t k = 0; k <= len; k++) {
		POISON(ref_buf + k, len + 1 - k);
		ref[k] = parse_once(c, ref_buf, k, true);
		UNPOISON(ref_buf + k, len + 1 - k);
	}
	for (size_t i = 0; i < N_ISAS && ok; i++) {
		if (dpx_http_set_isa(all_isas[i]) != 0)
			continue;
		r = parse_once(c, buf, len, false);
		ok = r == ref[len] && (r != 1 || same_message(c, ref_buf, buf));
		for (uint32_t k = 0; k <= len && ok; k++) {
			dpx_http_parser_init(&ps);
			r = parse_more_prefix(&ps, c, buf, len, k);
			ok = r == ref[k];
			r = parse_more_prefix(&ps, c, buf, len, len);
			ok = ok && r == ref[len] &&
			     (r != 1 || same_message(c, ref_buf, buf));
		}
		dpx_http_parser_init(&ps);
		for (uint32_t k = 0; k <= len && ok; k++) {
			r = parse_more_prefix(&ps, c, buf, len, k);
			ok = r == ref[k];
		}
		ok = ok && (ref[len] != 1 || same_message(c, ref_buf, buf));
		if (!ok)
			fprintf(stderr, "%s: %s head differs: %.*s\n",
				dpx_http_isa_name(all_isas[i]),
				c->response ? "response" : "request",
				(int)len, c->s);
	}
	dpx_http_set_isa(start);
	free(ref);
	free(ref_buf);
	free(buf);
	return ok;
}

static const struct dpx_http_limits small_lim = {
	.max_line = 32, .max_headers = 3, .max_head = 128, .max_body = 1000,
};

static const char *const good_requests[] = {
	"GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n",
	"GET /index.html?a=1 HTTP/1.1\r\nHost: example.com\r\n"
	"User-Agent:  t/1 \t\r\n\r\nBODY",
	"GET /assets/app.js?v=3 HTTP/1.1\r\nHost: www.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) "
	"Gecko/20100101 Firefox/115.0\r\nAccept: */*\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://www.example.com/index.html\r\n"
	"Connection: keep-alive\r\n"
	"Cookie: session=3f2a9c1e7b8d4a6f; theme=dark; "
	"_ga=GA1.2.1234567890.1700000000\r\nSec-Fetch-Dest: script\r\n"
	"Sec-Fetch-Mode: no-cors\r\nSec-Fetch-Site: same-origin\r\n"
	"If-None-Match: \"5f3e-1a2b3c\"\r\nCache-Control: max-age=0\r\n\r\n",
	"POST /up HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: chunked\r\n"
	"X-A: 1\r\n\r\n5\r\nhello\r\n",
	"PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	"Expect: 100-Continue\r\n\r\n",
	"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
	"Connection: keep-alive, Upgrade\r\n\r\n",
	"GET http://Back.example:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
	"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"\r\n\r\nGET / HTTP/1.0\r\n\r\n",
	"GET / HTTP/1.0\r\nConnection: keep-alive, close, X-Secret\r\n"
	"X-Secret: 1\r\nClose: 2\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX:a\r\nY:  b \r\nZ:\r\nW: \t\r\n"
	"V: \x80\xff obs\ttext\r\nx-forwarded-for: 1.2.3.4\r\n"
	"VIA: 1.0 a\r\nserver: s\r\nTE: trailers\r\n\r\n",
	"GET /0123456789012345678901234567890123456789012345678901234567"
	"89012345678901234567890123456789 HTTP/1.1\r\nHost: a\r\n"
	"X-Long: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	"abcdef0123456789abcdef\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
	"GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890\r\n"
	"\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX~|: 1\r\nA!#$%&'*+-.^_`|~z: 2\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\n",
};

static const char *const good_responses[] = {
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
	"Date: Mon, 06 May 2024 10:00:00 GMT\r\nContent-Type: text/plain\r\n"
	"Content-Length: 1024\r\nConnection: keep-alive\r\nX-Server: s1\r\n"
	"\r\n",
	"HTTP/1.1 404 Not  Found \r\nServer: x\r\nContent-Length: 2\r\n\r\n"
	"hiHTTP/1.1",
	"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
	"HTTP/1.1 200 A very long reason phrase\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX: 0123456789012345678901\r\n\r\n",
	"HTTP/1.1 200 \x80\tr\r\nSet-Cookie: a=b; Path=/\r\n"
	"Connection: X-Internal, close\r\nX-Internal: 1\r\n\r\n",
};

static void all_ways(const char *s, const struct dpx_http_limits *lim,
		     bool response, bool to_head)
{
	struct head_case c = { s, (uint32_t)strlen(s), lim, response,
			       to_head };

	CHECK(parse_all_ways(&c));
}

static void test_resume_every_split(void)
{
	const struct dpx_http_limits *lims[] = { NULL, &small_lim };

	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < sizeof(good_requests) /
				       sizeof(good_requests[0]); i++)
			all_ways(good_requests[i], lims[l], false, false);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			all_ways(bad[i].req, lims[l], false, false);
		for (size_t i = 0; i < sizeof(rsp_cases) /
				       sizeof(rsp_cases[0]); i++)
			all_ways(rsp_cases[i].rsp, lims[l], true,
				 rsp_cases[i].head);
		for (size_t i = 0; i < sizeof(good_responses) /
				       sizeof(good_responses[0]); i++)
			all_ways(good_responses[i], lims[l], true, false);
	}
}

/*
 * Every byte value at every place of a request line and of field lines,
 * the lines at several offsets against 16- and 32-byte vectors: all
 * instruction sets agree with the scalar tables (and so the SSE4.2 ranges
 * and AVX2 nibble bitmaps with dpx_http_tok_tab and friends), one-shot
 * and resumed across the changed byte.
 */
static void test_isa_every_byte(void)
{
	static const char tmpl[] =
		"GET /p/abcdefghijklmnopqrst HTTP/1.1\r\n"
		"Host: h.example\r\n"
		"Name-Of-A-Field: a value of the field, long enough\r\n"
		"X: y\r\n\r\n";
	uint32_t tl = (uint32_t)sizeof(tmpl) - 1;
	char s[sizeof(tmpl) + 40];
	struct head_case c = { s, 0, NULL, false, false };
	enum dpx_http_isa start = dpx_http_get_isa();
	struct dpx_http_parser ps;
	bool ok = true;

	for (uint32_t pad = 0; pad < 34 && ok; pad += 11) {
		/* pad the target: every later line moves by pad bytes */
		memcpy(s, tmpl, 7);
		memset(s + 7, 'q', pad);
		memcpy(s + 7 + pad, tmpl + 7, tl - 7);
		c.len = tl + pad;
		for (uint32_t p = 0; p < c.len && ok; p++) {
			char keep = s[p];

			for (int b = 0; b < 256 && ok; b++) {
				int ref, r;

				s[p] = (char)b;
				dpx_http_set_isa(DPX_HTTP_ISA_SCALAR);
				ref = parse_once(&c, s, c.len, true);
				for (size_t i = 0; i < N_ISAS && ok; i++) {
					if (dpx_http_set_isa(all_isas[i]) != 0)
						continue;
					r = parse_once(&c, s, c.len, false);
					dpx_http_parser_init(&ps);
					ok = r == ref &&
					     (r != 1 || req_same(&ref_req, s,
								 &cmp_req, s));
					parse_more(&ps, &c, s, p);
					r = parse_more(&ps, &c, s, c.len);
					ok = ok && r == ref &&
					     (r != 1 || req_same(&ref_req, s,
								 &cmp_req, s));
					if (!ok)
						fprintf(stderr, "%s: byte %#x "
							"at %u (pad %u)\n",
							dpx_http_isa_name(
								all_isas[i]),
							b, p, pad);
				}
			}
			s[p] = keep;
		}
	}
	dpx_http_set_isa(start);
	CHECK(ok);
}

/* A message filled by another parse, or a moved buffer: start again. */
static void test_resume_shared_message(void)
{
	static const char a[] = "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n";
	static const char b[] = "GET /bb HTTP/1.1\r\nHost: b\r\n\r\n";
	struct dpx_http_parser pa, pb;
	char copy[sizeof(a)];

	dpx_http_parser_init(&pa);
	dpx_http_parser_init(&pb);
	CHECK_EQ(dpx_http_parse_request_more(&pa, a, 20, NULL, &req), 0);
	CHECK_EQ(dpx_http_parse_request_more(&pb, b, sizeof(b) - 1, NULL,
					     &req), 1);
	CHECK(str_is(req.target, "/bb"));
	CHECK_EQ(dpx_http_parse_request_more(&pa, a, sizeof(a) - 1, NULL,
					     &req), 1);
	CHECK(str_is(req.target, "/a"));
	CHECK_EQ(req.n_headers, 2);
	CHECK(str_is(req.headers[1].name, "X-A"));
	/* done: the same again, and a one-shot parse in between is seen */
	CHECK_EQ(dpx_http_parse_request_more(&pa, a, sizeof(a) - 1, NULL,
					     &req), 1);
	CHECK_EQ(dpx_http_parse_request(b, sizeof(b) - 1, NULL, &req), 1);
	CHECK_EQ(dpx_http_parse_request_more(&pa, a, sizeof(a) - 1, NULL,
					     &req), 1);
	CHECK(str_is(req.target, "/a"));
	/* the bytes moved */
	dpx_http_parser_init(&pa);
	CHECK_EQ(dpx_http_parse_request_more(&pa, a, 20, NULL, &req), 0);
	memcpy(copy, a, sizeof(a));
	CHECK_EQ(dpx_http_parse_request_more(&pa, copy, sizeof(a) - 1, NULL,
					     &req), 1);
	CHECK_EQ(req.target.p - copy, 4);
	CHECK_EQ(req.headers[1].value.p - copy, 31);
}

static void test_isa_choice(void)
{
	enum dpx_http_isa start = dpx_http_get_isa();

	CHECK_EQ(dpx_http_set_isa(DPX_HTTP_ISA_SCALAR), 0);
	CHECK_EQ(dpx_http_get_isa(), DPX_HTTP_ISA_SCALAR);
	CHECK(strcmp(dpx_http_isa_name(DPX_HTTP_ISA_SSE42), "sse4.2") == 0);
	CHECK(strcmp(dpx_http_isa_name((enum dpx_http_isa)7), "?") == 0);
	CHECK_EQ(dpx_http_set_isa((enum dpx_http_isa)7), -1);
	CHECK_EQ(dpx_http_get_isa(), DPX_HTTP_ISA_SCALAR);
	CHECK_EQ(dpx_http_set_isa(start), 0);
}

static void test_field_ids(void)
{
	static const struct {
		const char *name;
		enum dpx_http_field f;
	} ids[] = {
		{ "Host", DPX_HTTP_F_HOST }, { "CONNECTION", DPX_HTTP_F_CONNECTION },
		{ "keep-Alive", DPX_HTTP_F_KEEP_ALIVE },
		{ "Proxy-Connection", DPX_HTTP_F_PROXY_CONNECTION },
		{ "te", DPX_HTTP_F_TE }, { "Trailer", DPX_HTTP_F_TRAILER },
		{ "Upgrade", DPX_HTTP_F_UPGRADE },
		{ "Content-Length", DPX_HTTP_F_CONTENT_LENGTH },
		{ "Transfer-Encoding", DPX_HTTP_F_TRANSFER_ENCODING },
		{ "Expect", DPX_HTTP_F_EXPECT }, { "via", DPX_HTTP_F_VIA },
		{ "Server", DPX_HTTP_F_SERVER },
		{ "X-Powered-By", DPX_HTTP_F_X_POWERED_BY },
		{ "Forwarded", DPX_HTTP_F_FORWARDED },
		{ "X-Forwarded-For", DPX_HTTP_F_X_FORWARDED_FOR },
		{ "x-forwarded-proto", DPX_HTTP_F_X_FORWARDED_PROTO },
		{ "X-Forwarded-Host", DPX_HTTP_F_X_FORWARDED_HOST },
		{ "Cookie", DPX_HTTP_F_COOKIE },
		/* near misses */
		{ "Hosts", DPX_HTTP_F_OTHER }, { "Hos", DPX_HTTP_F_OTHER },
		{ "Content-Lengtx", DPX_HTTP_F_OTHER },
		{ "Content_Length", DPX_HTTP_F_OTHER },
		{ "X-Forwarded-Fo", DPX_HTTP_F_OTHER },
		{ "Xforwarded-Proto", DPX_HTTP_F_OTHER },
		{ "Keep-Alivf", DPX_HTTP_F_OTHER }, { "t", DPX_HTTP_F_OTHER },
		{ "", DPX_HTTP_F_OTHER }, { "Close", DPX_HTTP_F_OTHER },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		enum dpx_http_field f = dpx_http_field_of(ids[i].name,
			(uint32_t)strlen(ids[i].name));

		if (f != ids[i].f)
			fprintf(stderr, "field %s: %d\n", ids[i].name, (int)f);
		CHECK_EQ(f, ids[i].f);
	}
	CHECK_EQ(parse("GET / HTTP/1.1\r\nhost: a\r\nX-Forwarded-FOR: 1\r\n"
		       "Connection: keep-alive, TE, X-A\r\n\r\n"), 1);
	CHECK_EQ(req.headers[0].field, DPX_HTTP_F_HOST);
	CHECK_EQ(req.headers[1].field, DPX_HTTP_F_X_FORWARDED_FOR);
	CHECK_EQ(req.fields_seen, (1u << DPX_HTTP_F_HOST) |
		 (1u << DPX_HTTP_F_X_FORWARDED_FOR) |
		 (1u << DPX_HTTP_F_CONNECTION));
	CHECK_EQ(req.conn_names, DPX_HTTP_CONN_OTHER);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close, te\r\n"
		       "\r\n"), 1);
	CHECK_EQ(req.conn_names, DPX_HTTP_CONN_CLOSE);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, "
		       "keep-alive, content-length, host\r\n\r\n"), 1);
	CHECK_EQ(req.conn_names, 0);
}

/* What Connection names is dropped, with or without the list walk. */
static void test_write_connection_names(void)
{
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.9", .proto = "http",
		.forwarded = DPX_FWD_NONE, .via = false,
	};
	struct dpx_http_rsp_rewrite srw = {
		.server_header = DPX_SRVHDR_PASS,
	};

	CHECK(rewrite_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
		"Close: 1\r\nX-Close: 2\r\n\r\n", &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nX-Close: 2\r\n\r\n"));
	CHECK(rewrite_req("GET / HTTP/1.1\r\nHost: h\r\nClose: 1\r\n\r\n", &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nClose: 1\r\n\r\n"));
	CHECK(rewrite_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: x-a\r\n"
		"Connection: close, cookie\r\nX-A: 1\r\nCookie: c\r\nClose: 3\r\n"
		"Via: v\r\n\r\n", &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nVia: v\r\n\r\n"));
	rw.via = true;
	rw.forwarded = DPX_FWD_XFF;
	CHECK(rewrite_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: via, "
		"x-forwarded-for\r\nVia: 1.0 a\r\nX-Forwarded-For: 1.1.1.1\r\n"
		"\r\n", &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 198.18.0.9\r\n"
		"X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n"
		"Via: 1.1 dpx\r\n\r\n"));
	CHECK(rewrite_rsp("HTTP/1.1 200 OK\r\nConnection: close\r\nClose: 1\r\n"
		"Content-Length: 0\r\n\r\n", &srw,
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
}

/* A cache's background refresh: the client's conditionals and ranges go,
 * the cache's own validators (extra) come instead. */
static void test_write_drop_conditionals(void)
{
	static const char *const in = "GET /r HTTP/1.1\r\nHost: h\r\n"
		"If-None-Match: \"c\"\r\nA: 1\r\nif-modified-since: x\r\n"
		"Range: bytes=0-1\r\nIf-Range: \"c\"\r\nIf-Match: *\r\n"
		"If-Unmodified-Since: y\r\nIfx: keep\r\nRanges: keep\r\n\r\n";
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.9", .proto = "http",
		.forwarded = DPX_FWD_NONE,
		.extra = "If-None-Match: \"s\"\r\n", .extra_len = 20,
		.drop_conditionals = true,
	};

	CHECK(rewrite_req(in, &rw,
		"GET /r HTTP/1.1\r\nHost: h\r\nA: 1\r\nIfx: keep\r\n"
		"Ranges: keep\r\nIf-None-Match: \"s\"\r\n\r\n"));
	rw.drop_conditionals = false;
	rw.extra = NULL;
	rw.extra_len = 0;
	CHECK(rewrite_req(in, &rw, in));
}

/* X-SSL-Client-*: dpx's when asked (received ones of any case dropped,
 * even without a certificate), passed untouched when not. */
static void test_write_client_cert(void)
{
	static const char *const in = "GET / HTTP/1.1\r\nHost: h\r\n"
		"X-SSL-Client-S-DN: forged\r\nx-ssl-client-verify: SUCCESS\r\n"
		"A: 1\r\nX-SSL-CLIENT-SHA256: 00\r\nX-SSL-Client-Other: o\r\n"
		"\r\n";
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.9", .proto = "https",
		.forwarded = DPX_FWD_NONE, .client_cert = true,
		.client_s_dn = "CN=c\\, d,O=o",
		.client_sha256 = "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef",
	};
	struct dpx_hdr_edits ed;

	CHECK(rewrite_req(in, &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nX-SSL-Client-Other: o\r\n"
		"X-SSL-Client-Verify: SUCCESS\r\n"
		"X-SSL-Client-S-DN: CN=c\\, d,O=o\r\n"
		"X-SSL-Client-SHA256: 0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef\r\n\r\n"));
	rw.client_s_dn = NULL;
	rw.client_sha256 = NULL;
	CHECK(rewrite_req(in, &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nX-SSL-Client-Other: o\r\n"
		"X-SSL-Client-Verify: NONE\r\n\r\n"));
	/* a route's remove drops dpx's own too */
	memset(&ed, 0, sizeof(ed));
	edit_remove(&ed, "x-ssl-client-verify");
	rw.edits = &ed;
	CHECK(rewrite_req(in, &rw,
		"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nX-SSL-Client-Other: o\r\n"
		"\r\n"));
	rw.edits = NULL;
	rw.client_cert = false;
	CHECK(rewrite_req(in, &rw,
		"GET / HTTP/1.1\r\nHost: h\r\n"
		"X-SSL-Client-S-DN: forged\r\nx-ssl-client-verify: SUCCESS\r\n"
		"A: 1\r\nX-SSL-CLIENT-SHA256: 00\r\nX-SSL-Client-Other: o\r\n"
		"\r\n"));
}

/* Received lines go out as they came only when written exactly as dpx
 * writes them; the others are normalised, runs or not. */
static void test_write_line_copies(void)
{
	struct dpx_http_req_rewrite rw = {
		.client_addr = "198.18.0.9", .proto = "http",
		.forwarded = DPX_FWD_NONE, .via = false,
	};
	struct dpx_http_rsp_rewrite srw = {
		.server_header = DPX_SRVHDR_HIDE, .via = true,
	};

	CHECK(rewrite_req("GET / HTTP/1.1\r\nA: 1\r\nB:2\r\nC: 3 \r\nD:  4\r\n"
		"E:\t5\r\nF: 6\r\nG: \r\nH:\r\nHost: h\r\nI: 9\r\nJ: 10\r\n\r\n",
		&rw,
		"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"
		"E: 5\r\nF: 6\r\nG: \r\nH: \r\nI: 9\r\nJ: 10\r\n\r\n"));
	CHECK(rewrite_rsp("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
		"Date: Mon, 06 May 2024 10:00:00 GMT\r\n"
		"Content-Type: text/plain\r\nContent-Length: 1024\r\n"
		"Connection: keep-alive\r\nX-Server: s1\r\n\r\n", &srw,
		"HTTP/1.1 200 OK\r\nDate: Mon, 06 May 2024 10:00:00 GMT\r\n"
		"Content-Type: text/plain\r\nContent-Length: 1024\r\n"
		"X-Server: s1\r\nVia: 1.1 dpx\r\n\r\n"));
	CHECK(rewrite_rsp("HTTP/1.0 200 OK\r\nVia: 1.0 a\r\nvia: \r\n"
		"VIA: 1.1 b\r\n\r\n", &srw,
		"HTTP/1.1 200 OK\r\nVia: 1.0 a, 1.1 b, 1.0 dpx\r\n\r\n"));
}

/* dpx_http_target_split(): what a forward proxy acts on, and why not. */
static int split(const char *t, bool connect, struct dpx_http_target *out)
{
	return dpx_http_target_split(t, (uint32_t)strlen(t), connect, out);
}

static void test_target_split(void)
{
	struct dpx_http_target t;
	char name[300];

	CHECK_EQ(split("http://Alpha.Test:8081/p?q", false, &t), DPX_HTTP_T_OK);
	CHECK(str_is(t.host, "Alpha.Test"));
	CHECK_EQ(t.port, 8081);
	CHECK(str_is(t.path, "/p?q"));
	CHECK_EQ(split("HTTP://h.example", false, &t), DPX_HTTP_T_OK);
	CHECK(str_is(t.host, "h.example"));
	CHECK_EQ(t.port, 80);
	CHECK_EQ(t.path.len, 0);
	CHECK_EQ(split("http://h.example.?x", false, &t), DPX_HTTP_T_OK);
	CHECK(str_is(t.host, "h.example"));     /* trailing dot dropped */
	CHECK(str_is(t.path, "?x"));
	CHECK_EQ(split("http://198.18.1.2:1/", false, &t), DPX_HTTP_T_OK);
	CHECK_EQ(t.port, 1);
	CHECK_EQ(split("tls.test:443", true, &t), DPX_HTTP_T_OK);
	CHECK(str_is(t.host, "tls.test"));
	CHECK_EQ(t.port, 443);
	CHECK_EQ(split("h:65535", true, &t), DPX_HTTP_T_OK);

	CHECK_EQ(split("/p", false, &t), DPX_HTTP_T_FORM);
	CHECK_EQ(split("*", false, &t), DPX_HTTP_T_FORM);
	CHECK_EQ(split("ftp://h/", false, &t), DPX_HTTP_T_FORM);
	CHECK_EQ(split("https://h/", false, &t), DPX_HTTP_T_SCHEME);
	CHECK_EQ(split("http://u:pw@h/", false, &t), DPX_HTTP_T_USERINFO);
	CHECK_EQ(split("u@h:443", true, &t), DPX_HTTP_T_USERINFO);
	CHECK_EQ(split("http:///p", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://-h/", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://h-/", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://a..b/", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://a_b/", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://[::1]/", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://h%41/", false, &t), DPX_HTTP_T_HOST);
	CHECK_EQ(split("http://b\xc3\xbc" "cher.test/", false, &t),
		 DPX_HTTP_T_NON_ASCII);
	CHECK_EQ(split("http://h:0/", false, &t), DPX_HTTP_T_PORT);
	CHECK_EQ(split("http://h:65536/", false, &t), DPX_HTTP_T_PORT);
	CHECK_EQ(split("http://h:/", false, &t), DPX_HTTP_T_PORT);
	CHECK_EQ(split("http://h:8x/", false, &t), DPX_HTTP_T_PORT);
	CHECK_EQ(split("h", true, &t), DPX_HTTP_T_PORT);
	CHECK_EQ(split("h:", true, &t), DPX_HTTP_T_PORT);

	/* 63-byte labels, 253 bytes in all: the most DNS takes */
	memset(name, 'a', sizeof(name));
	memcpy(name, "http://", 7);
	for (int i = 7 + 63; i < 7 + 253; i += 64)
		name[i] = '.';
	name[7 + 253] = '\0';
	CHECK_EQ(split(name, false, &t), DPX_HTTP_T_OK);
	CHECK_EQ(t.host.len, 253);
	name[7 + 253] = 'a';
	name[7 + 254] = '\0';
	CHECK_EQ(split(name, false, &t), DPX_HTTP_T_HOST_LONG);
	name[7 + 63] = 'a';     /* a 64-byte label */
	name[7 + 100] = '\0';
	CHECK_EQ(split(name, false, &t), DPX_HTTP_T_HOST);
}

/* A forward proxy's rewrite: origin-form, fields dropped by name, a
 * replaced User-Agent. */
static void test_write_forward(void)
{
	static const struct dpx_http_str drops[] = {
		{ "Proxy-Authorization", 19 }, { "X-Real-IP", 9 },
	};
	struct dpx_http_req_rewrite rw = {
		.forwarded = DPX_FWD_NONE, .via = true, .origin_form = true,
		.drop_names = drops, .n_drop_names = 2,
	};

	CHECK(rewrite_req("GET http://a.example:8080/x?y HTTP/1.1\r\n"
		"Host: other\r\nProxy-Connection: keep-alive\r\n"
		"proxy-authorization: Basic dTpw\r\nX-Real-IP: 1.2.3.4\r\n"
		"User-Agent: curl\r\n\r\n", &rw,
		"GET /x?y HTTP/1.1\r\nHost: a.example:8080\r\n"
		"User-Agent: curl\r\nVia: 1.1 dpx\r\n\r\n"));
	/* no path: "/"; only a query: "/?q" */
	CHECK(rewrite_req("GET http://a.example HTTP/1.1\r\nHost: a\r\n\r\n",
		&rw, "GET / HTTP/1.1\r\nHost: a.example\r\nVia: 1.1 dpx\r\n\r\n"));
	CHECK(rewrite_req("HEAD http://a.example?q HTTP/1.0\r\n\r\n",
		&rw, "HEAD /?q HTTP/1.0\r\nHost: a.example\r\nVia: 1.0 dpx\r\n\r\n"));
	/* origin-form stays as it is */
	CHECK(rewrite_req("GET /p HTTP/1.1\r\nHost: a\r\n\r\n",
		&rw, "GET /p HTTP/1.1\r\nHost: a\r\nVia: 1.1 dpx\r\n\r\n"));
	/* elite-like: Via dropped by name, not added; User-Agent replaced */
	rw.via = false;
	rw.n_drop_names = 1;
	rw.drop_names = (const struct dpx_http_str[]){ { "Via", 3 } };
	rw.user_agent = "dpx-test/1";
	CHECK(rewrite_req("GET http://a.example/ HTTP/1.1\r\nHost: a\r\n"
		"Via: 1.0 corp\r\nUser-Agent: curl\r\nAccept: */*\r\n\r\n", &rw,
		"GET / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n"
		"User-Agent: dpx-test/1\r\n\r\n"));
}

/* A forward proxy's responses: Proxy-Authenticate is not the client's. */
static void test_write_forward_response(void)
{
	static const struct dpx_http_str drops[] = {
		{ "Proxy-Authenticate", 18 },
	};
	struct dpx_http_rsp_rewrite rw = {
		.server_header = DPX_SRVHDR_PASS, .via = true,
		.drop_names = drops, .n_drop_names = 1,
	};

	CHECK(rewrite_rsp("HTTP/1.1 407 Proxy Authentication Required\r\n"
		"Server: origin\r\nproxy-authenticate: Basic realm=x\r\n"
		"Content-Length: 0\r\n\r\n", &rw,
		"HTTP/1.1 407 Proxy Authentication Required\r\n"
		"Server: origin\r\nContent-Length: 0\r\n"
		"Via: 1.1 dpx\r\n\r\n"));
	rw.via = false;     /* elite */
	CHECK(rewrite_rsp("HTTP/1.1 200 OK\r\nVia: 1.1 cdn\r\n"
		"Content-Length: 2\r\n\r\nok", &rw,
		"HTTP/1.1 200 OK\r\nVia: 1.1 cdn\r\n"
		"Content-Length: 2\r\n\r\n"));
}

static void test_write_error_text(void)
{
	const char *want = "HTTP/1.1 502 Bad Gateway\r\n"
			   "Content-Type: text/plain\r\nContent-Length: 30\r\n"
			   "Connection: close\r\n\r\ndpx: cannot resolve nowhere.t\n";
	uint32_t wl = (uint32_t)strlen(want);

	CHECK_EQ(dpx_http_write_error_text(wbuf, sizeof(wbuf), 502,
			"dpx: cannot resolve nowhere.t\n", true), wl);
	CHECK(memcmp(wbuf, want, wl) == 0);
	CHECK_EQ(dpx_http_write_error_text(wbuf, wl - 1, 502,
			"dpx: cannot resolve nowhere.t\n", true), -1);
	want = "HTTP/1.1 508 Loop Detected\r\n"
	       "Content-Type: text/plain\r\nContent-Length: 18\r\n\r\n"
	       "508 Loop Detected\n";
	CHECK_EQ(dpx_http_write_error(wbuf, sizeof(wbuf), 508, false),
		 strlen(want));
	CHECK(memcmp(wbuf, want, strlen(want)) == 0);
}

/* 407 with its challenge: the fields come after Connection, as given. */
static void test_write_error_fields(void)
{
	const char *f = "Proxy-Authenticate: Basic realm=\"p\", "
			"charset=\"UTF-8\"\r\n";
	const char *want = "HTTP/1.1 407 Proxy Authentication Required\r\n"
			   "Content-Type: text/plain\r\nContent-Length: 34\r\n"
			   "Connection: close\r\n"
			   "Proxy-Authenticate: Basic realm=\"p\", "
			   "charset=\"UTF-8\"\r\n\r\n"
			   "407 Proxy Authentication Required\n";
	uint32_t wl = (uint32_t)strlen(want);

	CHECK_EQ(dpx_http_write_error_fields(wbuf, sizeof(wbuf), 407, f, NULL,
					     true), wl);
	CHECK(memcmp(wbuf, want, wl) == 0);
	CHECK_EQ(dpx_http_write_error_fields(wbuf, wl - 1, 407, f, NULL,
					     true), -1);
	CHECK_EQ(dpx_http_write_error_fields(wbuf, sizeof(wbuf), 406, NULL,
					     NULL, true), -1);
}

int main(void)
{
	RUN_TEST(test_simple_get);
	RUN_TEST(test_body_framing);
	RUN_TEST(test_keep_alive);
	RUN_TEST(test_expect_upgrade);
	RUN_TEST(test_target_forms);
	RUN_TEST(test_incremental);
	RUN_TEST(test_smuggling_corpus);
	RUN_TEST(test_limits);
	RUN_TEST(test_response_framing);
	RUN_TEST(test_response_fields);
	RUN_TEST(test_response_limits);
	RUN_TEST(test_chunked_splits);
	RUN_TEST(test_chunked_data);
	RUN_TEST(test_dechunked_head);
	RUN_TEST(test_chunked_state);
	RUN_TEST(test_chunked_invalid);
	RUN_TEST(test_write_request);
	RUN_TEST(test_write_response);
	RUN_TEST(test_write_error);
	RUN_TEST(test_resume_every_split);
	RUN_TEST(test_isa_every_byte);
	RUN_TEST(test_resume_shared_message);
	RUN_TEST(test_isa_choice);
	RUN_TEST(test_field_ids);
	RUN_TEST(test_write_connection_names);
	RUN_TEST(test_write_line_copies);
	RUN_TEST(test_write_client_cert);
	RUN_TEST(test_target_split);
	RUN_TEST(test_write_forward);
	RUN_TEST(test_write_forward_response);
	RUN_TEST(test_write_error_text);
	RUN_TEST(test_write_error_fields);
	RUN_TEST(test_write_drop_conditionals);
	return TEST_SUMMARY();
}
