/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/http: valid request heads, incremental feeding, and a
 * request-smuggling corpus where each case must fail with an exact status.
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
	return TEST_SUMMARY();
}
