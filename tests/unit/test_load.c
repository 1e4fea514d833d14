/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dpx-load's plain-C parts: the latency histogram (bucket
 * bounds, quantiles against exact nearest-rank values on several
 * distributions, within 1% and never below the truth; merge; edge values)
 * and the command line (every option, defaults, and the message of each
 * kind of bad input, paths files included).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpx_test.h"
#include "load.h"

static struct load_hist hist_a, hist_b;

/* xorshift64*: reproducible pseudo-random values. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Bucket of v holds v; buckets are ordered and at most 1/128 wide. */
static void
check_bucket(uint64_t v)
{
	unsigned int i = load_hist_index(v);
	uint64_t lo = load_hist_bucket_lo(i), hi = load_hist_bucket_hi(i);

	CHECK(i < LOAD_HIST_BUCKETS);
	CHECK(lo <= v && v <= hi);
	CHECK(load_hist_index(lo) == i && load_hist_index(hi) == i);
	if (lo >= LOAD_HIST_SUB)
		CHECK((hi - lo) <= lo / LOAD_HIST_SUB);
	else
		CHECK(lo == hi);
	if (v > 0)
		CHECK(load_hist_index(v - 1) <= i);
}

static void
test_hist_buckets(void)
{
	for (uint64_t v = 0; v < 70000; v++)
		check_bucket(v);
	for (int b = 1; b < 64; b++) {
		uint64_t p = UINT64_C(1) << b;

		check_bucket(p - 1);
		check_bucket(p);
		check_bucket(p + 1);
	}
	for (int k = 0; k < 100000; k++)
		check_bucket(rng() >> (rng() % 64));
	CHECK_EQ(load_hist_index(UINT64_MAX), LOAD_HIST_BUCKETS - 1);
	CHECK(load_hist_bucket_hi(LOAD_HIST_BUCKETS - 1) == UINT64_MAX);
	CHECK_EQ(load_hist_index(LOAD_HIST_SUB - 1), LOAD_HIST_SUB - 1);
	CHECK_EQ(load_hist_index(LOAD_HIST_SUB), LOAD_HIST_SUB);
}

/* Quantiles of n values from gen() against the sorted truth. */
static void
check_quantiles(uint64_t (*gen)(void), size_t n)
{
	static const double qs[] = { 0.0, 0.001, 0.25, 0.5, 0.9, 0.99,
				     0.999, 0.9999, 1.0 };
	uint64_t *v = malloc(n * sizeof(*v));
	double sum = 0;

	CHECK(v != NULL);
	if (v == NULL)
		return;
	load_hist_reset(&hist_a);
	for (size_t i = 0; i < n; i++) {
		v[i] = gen();
		sum += (double)v[i];
		load_hist_add(&hist_a, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	CHECK(hist_a.count == n);
	CHECK(hist_a.min == v[0] && hist_a.max == v[n - 1]);
	CHECK(hist_a.sum == sum);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		size_t rank = (size_t)ceil(qs[k] * (double)n);
		uint64_t truth = v[rank == 0 ? 0 : rank - 1];
		uint64_t got = load_hist_quantile(&hist_a, qs[k]);

		CHECK(got >= truth);
		CHECK((double)(got - truth) <= 0.01 * (double)truth);
		if (got < truth || (double)(got - truth) > 0.01 * (double)truth)
			fprintf(stderr, "  q=%g: truth %" PRIu64 ", got %" PRIu64
				"\n", qs[k], truth, got);
	}
	free(v);
}

static uint64_t gen_uniform(void) { return 1000 + rng() % 1000000; }
static uint64_t gen_small(void) { return rng() % 300; }
static uint64_t gen_const(void) { return 123456789; }
static uint64_t gen_log(void) { return (rng() >> (rng() % 60)) | 1; }
static uint64_t gen_bimodal(void)
{
	return rng() % 100 < 99 ? 50000 + rng() % 100 : 5000000 + rng() % 1000;
}

static void
test_hist_quantiles(void)
{
	check_quantiles(gen_uniform, 200000);
	check_quantiles(gen_small, 10000);
	check_quantiles(gen_const, 1000);
	check_quantiles(gen_log, 200000);
	check_quantiles(gen_bimodal, 100000);
	check_quantiles(gen_uniform, 1);
	check_quantiles(gen_log, 7);
}

static void
test_hist_edges(void)
{
	load_hist_reset(&hist_a);
	CHECK(load_hist_quantile(&hist_a, 0.5) == 0);
	CHECK(hist_a.min == UINT64_MAX && hist_a.count == 0);
	load_hist_add(&hist_a, 0);
	CHECK(load_hist_quantile(&hist_a, 0.5) == 0);
	load_hist_add(&hist_a, UINT64_MAX);
	CHECK(load_hist_quantile(&hist_a, 1.0) == UINT64_MAX);
	CHECK(load_hist_quantile(&hist_a, 0.5) == 0);
	CHECK(load_hist_quantile(&hist_a, 0.51) == UINT64_MAX);
	CHECK(load_hist_quantile(&hist_a, -1) == 0);
	CHECK(load_hist_quantile(&hist_a, 2) == UINT64_MAX);
}

static void
test_hist_merge(void)
{
	load_hist_reset(&hist_a);
	load_hist_reset(&hist_b);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = gen_log();

		load_hist_add(i % 2 ? &hist_a : &hist_b, x);
	}
	load_hist_merge(&hist_a, &hist_b);
	CHECK_EQ(hist_a.count, 1000);
	load_hist_reset(&hist_b);
	load_hist_merge(&hist_a, &hist_b);      /* empty: no change */
	CHECK_EQ(hist_a.count, 1000);
	CHECK(hist_a.min != UINT64_MAX);
}

/* ---- options ------------------------------------------------------------ */

static struct load_opts opts;
static char err[512];

/* Parses a NULL-terminated list after a program name; returns the code. */
static int
parse(const char *first, ...)
{
	char *argv[64] = { (char *)(uintptr_t)"dpx-load" };
	int argc = 1, rc;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 63;
	     a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	load_opts_free(&opts);
	rc = load_opts_parse(&opts, argc, argv, err, sizeof(err));
	return rc;
}

#define C "--config", "x.json"

static void
test_target(void)
{
	uint32_t a;
	uint16_t p;

	CHECK(load_parse_target("198.18.0.1:80", &a, &p) == 0);
	CHECK(a == 0xc6120001 && p == 80);
	CHECK(load_parse_target("10.0.0.1:65535", &a, &p) == 0 && p == 65535);
	CHECK(load_parse_target("198.18.0.1", &a, &p) != 0);
	CHECK(load_parse_target(":80", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.1:", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.1:0", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.1:65536", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.1:8a", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.1:+80", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.1: 80", &a, &p) != 0);
	CHECK(load_parse_target("198.18.0.256:80", &a, &p) != 0);
	CHECK(load_parse_target("0.0.0.0:80", &a, &p) != 0);
	CHECK(load_parse_target("host:80", &a, &p) != 0);
	CHECK(load_parse_target("1.2.3.4.5:80", &a, &p) != 0);
	CHECK(load_parse_target("", &a, &p) != 0);
}

static void
test_opts_defaults(void)
{
	CHECK_EQ(parse(C, "--target", "198.18.0.1:80", NULL), 0);
	CHECK(opts.have_target);
	CHECK_EQ(opts.connections, 10);
	CHECK(opts.duration_s == 10 && opts.warmup_s == 1);
	CHECK_EQ(opts.reqs_per_conn, 0);
	CHECK(opts.rate == 0);
	CHECK_EQ(opts.timeout_ms, 5000);
	CHECK_EQ(opts.expect_status, 200);
	CHECK_EQ(opts.n_paths, 1);
	CHECK(strcmp(opts.paths[0].path, "/") == 0);
	CHECK(opts.paths[0].expect_len == LOAD_EXPECT_ANY);
	CHECK(strcmp(opts.host, "198.18.0.1") == 0);

	CHECK_EQ(parse(C, "--target", "198.18.0.1:8080", NULL), 0);
	CHECK(strcmp(opts.host, "198.18.0.1:8080") == 0);

	CHECK_EQ(parse(C, NULL), 0);            /* serve only */
	CHECK(!opts.have_target);
	CHECK(opts.duration_s == 0);
}

static void
test_opts_all(void)
{
	CHECK_EQ(parse(C, "--target", "198.18.0.1:80", "--connections",
		       "100000", "--duration", "2.5", "--warmup", "0",
		       "--requests-per-conn", "1", "--path", "/bytes/1024",
		       "--host", "example.com", "--rate", "50000",
		       "--timeout-ms", "250", "--expect-status", "404",
		       "--verify-body", "--json", "--ready-file", "/tmp/r",
		       "--log-level", "debug", NULL), 0);
	CHECK_EQ(opts.connections, 100000);
	CHECK(opts.duration_s == 2.5 && opts.warmup_s == 0);
	CHECK_EQ(opts.reqs_per_conn, 1);
	CHECK(opts.rate == 50000);
	CHECK_EQ(opts.timeout_ms, 250);
	CHECK_EQ(opts.expect_status, 404);
	CHECK(opts.verify_body && opts.json);
	CHECK(strcmp(opts.host, "example.com") == 0);
	CHECK(strcmp(opts.ready_file, "/tmp/r") == 0);
	CHECK(strcmp(opts.log_level, "debug") == 0);
	CHECK(opts.paths[0].expect_len == 1024);

	CHECK_EQ(parse(C, "--target", "198.18.0.1:9000", "--bulk",
		       "100000000", NULL), 0);
	CHECK_EQ(opts.connections, 1);
	CHECK(strcmp(opts.paths[0].path, "/bytes/100000000") == 0);
	CHECK(opts.paths[0].expect_len == 100000000);
	CHECK(opts.bulk_bytes == 100000000);
	CHECK_EQ(parse(C, "--target", "198.18.0.1:9000", "--bulk", "10",
		       "--connections", "4", NULL), 0);
	CHECK_EQ(opts.connections, 4);

	CHECK_EQ(parse(C, "--target", "198.18.0.1:80", "--path", "/bytes/7",
		       "--expect-length", "any", NULL), 0);
	CHECK(opts.paths[0].expect_len == LOAD_EXPECT_ANY);
	CHECK_EQ(parse(C, "--target", "198.18.0.1:80", "--path", "/x",
		       "--expect-length", "19", NULL), 0);
	CHECK(opts.paths[0].expect_len == 19);
	CHECK_EQ(parse(C, "--target", "198.18.0.1:80", "--path",
		       "/bytes/12x", NULL), 0);
	CHECK(opts.paths[0].expect_len == LOAD_EXPECT_ANY);
	CHECK_EQ(parse(C, "--target=198.18.0.1:80", "--connections=3", NULL),
		 0);
	CHECK_EQ(opts.connections, 3);
	CHECK(opts.linger_s == 0);
	CHECK_EQ(parse(C, "--target", "198.18.0.1:80", "--linger", "30", NULL), 0);
	CHECK(opts.linger_s == 30);
	CHECK_EQ(parse(C, "--linger", "5", NULL), 0);   /* serve only too */
}

/* parse(...) fails, and its message contains what. */
#define BAD(what, ...) do { \
	CHECK_EQ(parse(__VA_ARGS__, NULL), -1); \
	CHECK_STR_CONTAINS(err, what); \
} while (0)
#define T "--target", "198.18.0.1:80"

static void
test_opts_bad(void)
{
	BAD("--config FILE is required", T);
	BAD("--target: \"198.18.0.1\" is not ADDR:PORT", C, "--target",
	    "198.18.0.1");
	BAD("--connections: \"0\"", C, T, "--connections", "0");
	BAD("--connections: \"100001\"", C, T, "--connections", "100001");
	BAD("--connections: \"10x\"", C, T, "--connections", "10x");
	BAD("--connections: \"-1\"", C, T, "--connections", "-1");
	BAD("--connections: \"\"", C, T, "--connections", "");
	BAD("--duration: \"0\"", C, T, "--duration", "0");
	BAD("--duration: \"1e3\"", C, T, "--duration", "1e3");
	BAD("--duration: \"inf\"", C, T, "--duration", "inf");
	BAD("--duration: \"99999\"", C, T, "--duration", "99999");
	BAD("--warmup: \"-1\"", C, T, "--warmup", "-1");
	BAD("--requests-per-conn: \"x\"", C, T, "--requests-per-conn", "x");
	BAD("--rate: \"0\"", C, T, "--rate", "0");
	BAD("--rate: \"0.5\"", C, T, "--rate", "0.5");
	BAD("--timeout-ms: \"0\"", C, T, "--timeout-ms", "0");
	BAD("--expect-status: \"99\"", C, T, "--expect-status", "99");
	BAD("--expect-length: \"some\"", C, T, "--expect-length", "some");
	BAD("--bulk: \"0\"", C, T, "--bulk", "0");
	BAD("--linger: \"x\"", C, T, "--linger", "x");
	BAD("--path: \"x\" is not a request target", C, T, "--path", "x");
	BAD("--path: \"/a b\"", C, T, "--path", "/a b");
	BAD("--host: \"a b\"", C, T, "--host", "a b");
	BAD("exclude each other", C, T, "--path", "/", "--bulk", "5");
	BAD("exclude each other", C, T, "--path", "/", "--paths-file", "f");
	BAD("unknown option \"--bogus\"", C, T, "--bogus");
	BAD("option \"--duration\" needs a value", C, T, "--duration");
	BAD("option \"--json=1\" takes no value", C, T, "--json=1");
	BAD("unexpected argument \"extra\"", C, T, "extra");
	BAD("client options need --target", C, "--connections", "5");
	BAD("client options need --target", C, "--path", "/");
	BAD("--paths-file /nonexistent/p: No such file", C, T,
	    "--paths-file", "/nonexistent/p");
}

/* Writes text to a temp file; returns its name (static buffer). */
static const char *
temp_file(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/test_load.XXXXXX");
	fd = mkstemp(name);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
		close(fd);
	}
	return name;
}

static void
test_paths_file(void)
{
	const char *f;

	f = temp_file("# paths\n/bytes/10\n\n  /a?b=c  \r\n/bytes/0\n");
	CHECK_EQ(parse(C, T, "--paths-file", f, NULL), 0);
	CHECK_EQ(opts.n_paths, 3);
	if (opts.n_paths == 3) {
		CHECK(strcmp(opts.paths[0].path, "/bytes/10") == 0);
		CHECK(opts.paths[0].expect_len == 10);
		CHECK(strcmp(opts.paths[1].path, "/a?b=c") == 0);
		CHECK(opts.paths[1].expect_len == LOAD_EXPECT_ANY);
		CHECK(opts.paths[2].expect_len == 0);
	}
	unlink(f);
	f = temp_file("/ok\nnot-a-path\n");
	BAD(":2: \"not-a-path\" is not a request target", C, T,
	    "--paths-file", f);
	unlink(f);
	f = temp_file("# nothing\n\n");
	BAD("no paths in it", C, T, "--paths-file", f);
	unlink(f);
}

int
main(void)
{
	RUN_TEST(test_hist_buckets);
	RUN_TEST(test_hist_quantiles);
	RUN_TEST(test_hist_edges);
	RUN_TEST(test_hist_merge);
	RUN_TEST(test_target);
	RUN_TEST(test_opts_defaults);
	RUN_TEST(test_opts_all);
	RUN_TEST(test_opts_bad);
	RUN_TEST(test_paths_file);
	load_opts_free(&opts);
	return TEST_SUMMARY();
}
