/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark for lib/http: parse and rewrite the heads of a keep-alive
 * reverse-proxy exchange, as dpx does per request, and print ns and TSC
 * cycles per operation with each byte scanner the CPU has (scalar, sse4.2,
 * avx2; see dpx_http_set_isa()).
 * Heads: a wrk request (GET / with Host only), an nginx response, and a
 * browser request with 13 fields and cookies, whole and arriving in four
 * segments (one parse call per segment, as the proxy makes them). Rewrites
 * use the listener defaults (X-Forwarded-*, Via, Server hidden).
 *
 *   ninja -C build tools/bench_http && build/tools/bench_http [iterations]
 *
 * Under valgrind it runs each operation 'iterations' times between
 * callgrind client requests instead, so that instruction counts per
 * operation are deterministic (the machine is shared; timings are not):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \
 *       build/tools/bench_http 1000
 *   for f in /tmp/cg.*.[0-9]*; do
 *       awk '/^desc: Trigger/ {n=$NF} /^summary:/ {print n, $2/1000}' $f
 *   done
 *
 * (Valgrind 3.19 runs the SSE4.2 scanners; its CPUID shows AVX2 when the
 * host has it.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#include "dpx_http.h"

static const char req_wrk[] = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n";

static const char rsp_nginx[] =
	"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
	"Date: Mon, 06 May 2024 10:00:00 GMT\r\nContent-Type: text/plain\r\n"
	"Content-Length: 1024\r\nConnection: keep-alive\r\nX-Server: s1\r\n"
	"\r\n";

static const char req_browser[] =
	"GET /assets/app.js?v=3 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) "
	"Gecko/20100101 Firefox/115.0\r\n"
	"Accept: */*\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://www.example.com/index.html\r\n"
	"Connection: keep-alive\r\n"
	"Cookie: session=3f2a9c1e7b8d4a6f; theme=dark; "
	"_ga=GA1.2.1234567890.1700000000\r\n"
	"Sec-Fetch-Dest: script\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"If-None-Match: \"5f3e-1a2b3c\"\r\n"
	"Cache-Control: max-age=0\r\n"
	"\r\n";

#define LEN(s) ((uint32_t)sizeof(s) - 1)

static const struct dpx_http_req_rewrite req_rw = {
	.client_addr = "198.18.0.1", .proto = "http",
	.forwarded = DPX_FWD_XFF, .via = true, .edits = NULL,
};
static const struct dpx_http_rsp_rewrite rsp_rw = {
	.server_header = DPX_SRVHDR_HIDE, .via = true, .edits = NULL,
};

static struct dpx_http_request req;
static struct dpx_http_response rsp;
static char out[8192];
static volatile int sink;

static void fail(const char *what)
{
	fprintf(stderr, "bench_http: %s failed\n", what);
	exit(1);
}

static __attribute__((noinline)) void parse_req(const char *s, uint32_t n)
{
	if (dpx_http_parse_request(s, n, NULL, &req) != 1)
		fail("parse request");
}

/* The head arrives in four segments: one parse call per arrival, each
 * going on where the last stopped, as the proxy makes them. */
static __attribute__((noinline)) void parse_req_split(const char *s,
						      uint32_t n)
{
	uint32_t cut[4] = { n / 4, n / 2, 3 * n / 4, n };
	struct dpx_http_parser ps;

	dpx_http_parser_init(&ps);
	for (int i = 0; i < 3; i++)
		if (dpx_http_parse_request_more(&ps, s, cut[i], NULL,
						&req) != 0)
			fail("split parse");
	if (dpx_http_parse_request_more(&ps, s, cut[3], NULL, &req) != 1)
		fail("split parse");
}

static __attribute__((noinline)) void write_req(void)
{
	sink = dpx_http_write_request(out, sizeof(out), &req, &req_rw);
}

static __attribute__((noinline)) void parse_rsp(void)
{
	if (dpx_http_parse_response(rsp_nginx, LEN(rsp_nginx), NULL, false,
				    &rsp) != 1)
		fail("parse response");
}

static __attribute__((noinline)) void write_rsp(void)
{
	sink = dpx_http_write_response(out, sizeof(out), &rsp, &rsp_rw);
}

enum op {
	OP_WRK_PARSE, OP_WRK_WRITE, OP_NGINX_PARSE, OP_NGINX_WRITE,
	OP_PAIR, OP_BROWSER_PARSE, OP_BROWSER_WRITE, OP_BROWSER_SPLIT, N_OPS
};

static const char *const op_name[N_OPS] = {
	"wrk_req_parse", "wrk_req_write", "nginx_rsp_parse", "nginx_rsp_write",
	"wrk+nginx_parse+write", "browser_req_parse", "browser_req_write",
	"browser_req_parse_4seg",
};

static void run(enum op op, long n)
{
	for (long i = 0; i < n; i++) {
		switch (op) {
		case OP_WRK_PARSE:
			parse_req(req_wrk, LEN(req_wrk));
			break;
		case OP_WRK_WRITE:
			write_req();
			break;
		case OP_NGINX_PARSE:
			parse_rsp();
			break;
		case OP_NGINX_WRITE:
			write_rsp();
			break;
		case OP_PAIR:
			parse_req(req_wrk, LEN(req_wrk));
			write_req();
			parse_rsp();
			write_rsp();
			break;
		case OP_BROWSER_PARSE:
			parse_req(req_browser, LEN(req_browser));
			break;
		case OP_BROWSER_WRITE:
			write_req();
			break;
		case OP_BROWSER_SPLIT:
			parse_req_split(req_browser, LEN(req_browser));
			break;
		default:
			break;
		}
	}
}

/* The message a writer op rewrites. */
static void prepare(enum op op)
{
	if (op == OP_WRK_WRITE)
		parse_req(req_wrk, LEN(req_wrk));
	else if (op == OP_BROWSER_WRITE)
		parse_req(req_browser, LEN(req_browser));
	else if (op == OP_NGINX_WRITE)
		parse_rsp();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Best of five runs: the machine is shared, the minimum is the signal. */
static void time_op(const char *path, enum op op, long n)
{
	double best_ns = 1e30, best_cyc = 1e30;

	prepare(op);
	run(op, n / 10);	/* warm up */
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns();
		uint64_t c0 = __rdtsc();

		run(op, n);
		double cyc = (double)(__rdtsc() - c0) / (double)n;
		double ns = (now_ns() - t0) / (double)n;

		if (ns < best_ns)
			best_ns = ns;
		if (cyc < best_cyc)
			best_cyc = cyc;
	}
	printf("%-7s %-24s %8.1f ns/op %8.1f cycles/op\n", path,
	       op_name[op], best_ns, best_cyc);
}

static void count_op(const char *path, enum op op, long n)
{
	char name[64];

	prepare(op);
	snprintf(name, sizeof(name), "%s/%s", path, op_name[op]);
	CALLGRIND_ZERO_STATS;
	run(op, n);
	CALLGRIND_DUMP_STATS_AT(name);
}

static void bench(const char *path, long n)
{
	for (int op = 0; op < N_OPS; op++) {
		if (RUNNING_ON_VALGRIND)
			count_op(path, (enum op)op, n);
		else
			time_op(path, (enum op)op, n);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;

	if (n <= 0)
		n = RUNNING_ON_VALGRIND ? 1000 : 1000000;
	/* every byte scanner the CPU has, the default (widest) last */
	for (int isa = DPX_HTTP_ISA_SCALAR; isa <= DPX_HTTP_ISA_AVX2; isa++)
		if (dpx_http_set_isa((enum dpx_http_isa)isa) == 0)
			bench(dpx_http_isa_name((enum dpx_http_isa)isa), n);
	return 0;
}
