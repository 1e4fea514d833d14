/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/compress: Accept-Encoding table, eligibility table, head helpers,
 * the "compression" section, and round trips through each encoder
 * (streaming in random pieces with flushes, and one-shot), decoded with
 * the libraries' own decoders and compared byte for byte; the mbuf pool
 * must be back where it started at the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <rte_mbuf.h>
#include <zlib.h>
#include <zstd.h>

#include "dpx_compress.h"
#include "dpx_test.h"
#include "test_eal.h"

static struct rte_mempool *mp;

/* xorshift64: reproducible pieces and bodies. */
static uint64_t rnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

static struct dpx_http_str S(const char *s)
{
	return (struct dpx_http_str){ s, s ? (uint32_t)strlen(s) : 0 };
}

/* ---- Accept-Encoding ---- */

struct ae_row {
	const char *value;	/* NULL: the field is absent */
	enum dpx_coding want;
};

static const struct ae_row ae_rows[] = {
	{ NULL, DPX_CODING_NONE },
	{ "", DPX_CODING_NONE },
	{ "gzip", DPX_CODING_GZIP },
	{ "br", DPX_CODING_BR },
	{ "zstd", DPX_CODING_ZSTD },
	{ "gzip, deflate, br", DPX_CODING_BR },
	{ "gzip, deflate, br, zstd", DPX_CODING_BR },
	{ "gzip, zstd", DPX_CODING_ZSTD },
	{ "GZIP", DPX_CODING_GZIP },
	{ "Br", DPX_CODING_BR },
	{ "x-gzip", DPX_CODING_GZIP },
	{ "deflate", DPX_CODING_NONE },
	{ "identity", DPX_CODING_NONE },
	{ "*", DPX_CODING_BR },
	{ "*;q=0", DPX_CODING_NONE },
	{ "br;q=0, *", DPX_CODING_ZSTD },
	{ "br;q=0, zstd;q=0, *;q=0.1", DPX_CODING_GZIP },
	{ "gzip;q=1.0, br;q=0.5", DPX_CODING_GZIP },
	{ "gzip;q=0.001, br;q=0", DPX_CODING_GZIP },
	{ "gzip;q=0.001, br;q=1.000", DPX_CODING_BR },
	{ "gzip;q=0.002, zstd;q=0.001", DPX_CODING_GZIP },
	{ "gzip;q=0", DPX_CODING_NONE },
	{ "gzip;q=0.000", DPX_CODING_NONE },
	{ "gzip;q=1.0001", DPX_CODING_NONE },	/* 4 decimals: invalid */
	{ "gzip;q=1.0001, zstd", DPX_CODING_ZSTD },
	{ "gzip;q=1.1", DPX_CODING_NONE },
	{ "gzip;q=2", DPX_CODING_NONE },
	{ "gzip;q=-0.5", DPX_CODING_NONE },
	{ "gzip;q=.5", DPX_CODING_NONE },
	{ "gzip;q=", DPX_CODING_NONE },
	{ "gzip;Q=0.5", DPX_CODING_GZIP },
	{ "gzip ; q=0.5", DPX_CODING_GZIP },
	{ "  gzip\t,\t br  ", DPX_CODING_BR },
	{ ",,, ,gzip,,", DPX_CODING_GZIP },
	{ "gzip, gzip;q=0", DPX_CODING_NONE },	/* duplicate: lowest */
	{ "gzip;q=0, gzip", DPX_CODING_NONE },
	{ "br;q=0.5, identity", DPX_CODING_NONE }, /* identity preferred */
	{ "br;q=0.5, identity;q=0.5", DPX_CODING_BR },
	{ "br, identity;q=0", DPX_CODING_BR },
	{ "identity;q=0", DPX_CODING_NONE },
	{ "gzip;level=1", DPX_CODING_NONE },	/* not a weight: invalid */
	{ "gzip;q=0.5;x=1", DPX_CODING_NONE },
	{ "gz ip", DPX_CODING_NONE },
	{ "\"gzip\"", DPX_CODING_NONE },
	{ "gzip\x01, br", DPX_CODING_BR },
	{ ";q=1, zstd", DPX_CODING_ZSTD },
	{ "gzip;q=0.5, zstd;q=0.5, br;q=0.5", DPX_CODING_BR },
	{ "zstd;q=0.9, br;q=0.8", DPX_CODING_ZSTD },
	{ "compress, gzip;q=0.3", DPX_CODING_GZIP },
};

static void test_accept_encoding(void)
{
	struct dpx_compress_conf conf;
	size_t i;

	dpx_compress_conf_default(&conf);
	for (i = 0; i < RTE_DIM(ae_rows); i++) {
		struct dpx_http_str v = S(ae_rows[i].value);
		enum dpx_coding got = dpx_compress_negotiate(
			&conf, &v, ae_rows[i].value ? 1 : 0);

		if (got != ae_rows[i].want) {
			fprintf(stderr, "row %zu \"%s\": got %s, want %s\n",
				i, ae_rows[i].value ? ae_rows[i].value : "-",
				dpx_coding_name(got),
				dpx_coding_name(ae_rows[i].want));
			dpx_test_failed_checks++;
		}
	}
	CHECK(RTE_DIM(ae_rows) >= 30);
}

/* Preference order and enabled codings come from the configuration. */
static void test_accept_encoding_conf(void)
{
	struct dpx_compress_conf conf;
	struct dpx_http_str two[2] = { S("gzip;q=0.5"), S("zstd;q=0.4, br") };
	struct dpx_http_str all = S("br, zstd, gzip");
	const char *ae_text = "gzip;q=0.123, *;q=0.9, junk;;, br";
	struct dpx_accept_encoding ae;

	dpx_compress_conf_default(&conf);
	CHECK_EQ(dpx_compress_negotiate(&conf, two, 2), DPX_CODING_BR);
	conf.codings[0] = DPX_CODING_GZIP;
	conf.codings[1] = DPX_CODING_ZSTD;
	conf.n_codings = 2;
	CHECK_EQ(dpx_compress_negotiate(&conf, &all, 1), DPX_CODING_GZIP);
	CHECK_EQ(dpx_compress_negotiate(&conf, two, 2), DPX_CODING_GZIP);
	conf.enabled = false;
	CHECK_EQ(dpx_compress_negotiate(&conf, &all, 1), DPX_CODING_NONE);
	CHECK_EQ(dpx_compress_negotiate(NULL, &all, 1), DPX_CODING_NONE);

	dpx_accept_encoding_init(&ae);
	dpx_accept_encoding_parse(&ae, ae_text, strlen(ae_text));
	CHECK_EQ(ae.q[DPX_CODING_GZIP], 123);
	CHECK_EQ(ae.q[DPX_CODING_BR], 1000);
	CHECK_EQ(ae.q[DPX_CODING_ZSTD], -1);
	CHECK_EQ(ae.star, 900);
	CHECK_EQ(ae.members, 3);
}

/* ---- eligibility ---- */

struct elig_row {
	uint16_t status;
	const char *ct, *ce, *cc;
	int64_t len;
	bool range;
	enum dpx_compress_why want;
};

static const struct elig_row elig_rows[] = {
	{ 200, "text/html", NULL, NULL, 1000, false, DPX_COMPRESS_YES },
	{ 200, "text/html; charset=utf-8", NULL, NULL, -1, false,
	  DPX_COMPRESS_YES },
	{ 200, "TEXT/HTML;charset=utf-8", NULL, NULL, 256, false,
	  DPX_COMPRESS_YES },
	{ 200, "application/json", NULL, NULL, 300, false, DPX_COMPRESS_YES },
	{ 200, "image/svg+xml", NULL, NULL, 300, false, DPX_COMPRESS_YES },
	{ 404, "text/html", NULL, NULL, 300, false, DPX_COMPRESS_YES },
	{ 503, "text/plain", NULL, NULL, 300, false, DPX_COMPRESS_YES },
	{ 200, "text/html", NULL, NULL, 255, false, DPX_COMPRESS_TOO_SMALL },
	{ 200, "text/html", NULL, NULL, 0, false, DPX_COMPRESS_TOO_SMALL },
	{ 200, "image/png", NULL, NULL, 5000, false, DPX_COMPRESS_TYPE },
	{ 200, "text/htmlx", NULL, NULL, 5000, false, DPX_COMPRESS_TYPE },
	{ 200, "text", NULL, NULL, 5000, false, DPX_COMPRESS_TYPE },
	{ 200, NULL, NULL, NULL, 5000, false, DPX_COMPRESS_TYPE },
	{ 200, "text/html", "gzip", NULL, 5000, false, DPX_COMPRESS_ENCODED },
	{ 200, "text/html", "br", NULL, 5000, false, DPX_COMPRESS_ENCODED },
	{ 200, "text/html", "identity", NULL, 5000, false, DPX_COMPRESS_YES },
	{ 206, "text/html", NULL, NULL, 5000, false, DPX_COMPRESS_RANGE },
	{ 200, "text/html", NULL, NULL, 5000, true, DPX_COMPRESS_RANGE },
	{ 200, "text/html", NULL, "public, no-transform", 5000, false,
	  DPX_COMPRESS_NO_TRANSFORM },
	{ 200, "text/html", NULL, "No-Transform", 5000, false,
	  DPX_COMPRESS_NO_TRANSFORM },
	{ 200, "text/html", NULL, "max-age=60", 5000, false,
	  DPX_COMPRESS_YES },
	{ 204, "text/html", NULL, NULL, -1, false, DPX_COMPRESS_STATUS },
	{ 304, "text/html", NULL, NULL, -1, false, DPX_COMPRESS_STATUS },
	{ 301, "text/html", NULL, NULL, 5000, false, DPX_COMPRESS_STATUS },
	{ 101, "text/html", NULL, NULL, -1, false, DPX_COMPRESS_STATUS },
};

static void test_eligibility(void)
{
	struct dpx_compress_conf conf;
	struct dpx_compress_rsp r;
	size_t i;

	dpx_compress_conf_default(&conf);
	for (i = 0; i < RTE_DIM(elig_rows); i++) {
		const struct elig_row *e = &elig_rows[i];
		enum dpx_compress_why got;

		r = (struct dpx_compress_rsp){
			.status = e->status, .content_type = S(e->ct),
			.content_encoding = S(e->ce),
			.cache_control = S(e->cc), .content_length = e->len,
			.request_range = e->range };
		got = dpx_compress_eligible(&conf, &r);
		if (got != e->want) {
			fprintf(stderr, "eligibility row %zu: got %s, want "
				"%s\n", i, dpx_compress_why_name(got),
				dpx_compress_why_name(e->want));
			dpx_test_failed_checks++;
		}
	}
	r = (struct dpx_compress_rsp){ .status = 200,
		.content_type = S("text/html"), .content_length = 9999 };
	CHECK_EQ(dpx_compress_eligible(NULL, &r), DPX_COMPRESS_DISABLED);
	r.head_request = true;
	CHECK_EQ(dpx_compress_eligible(&conf, &r), DPX_COMPRESS_STATUS);
	/* Wildcards and the configured minimum. */
	strcpy(conf.types[0], "text/*");
	conf.n_types = 1;
	conf.min_size = 0;
	CHECK(dpx_compress_type_listed(&conf, "text/csv", 8));
	CHECK(dpx_compress_type_listed(&conf, " Text/X-Anything ; a=b", 22));
	CHECK(!dpx_compress_type_listed(&conf, "textual/csv", 11));
	CHECK(!dpx_compress_type_listed(&conf, "application/json", 16));
	CHECK(!dpx_compress_type_listed(&conf, "text/", 5));
	r = (struct dpx_compress_rsp){ .status = 200,
		.content_type = S("text/csv"), .content_length = 1 };
	CHECK_EQ(dpx_compress_eligible(&conf, &r), DPX_COMPRESS_YES);
	conf.enabled = false;
	CHECK_EQ(dpx_compress_eligible(&conf, &r), DPX_COMPRESS_DISABLED);
}

/* ---- head helpers ---- */

static void check_vary(const char *old, const char *want)
{
	struct dpx_http_str o = S(old);
	char buf[128];
	int n = dpx_compress_vary(old ? &o : NULL, buf, sizeof(buf));

	CHECK_EQ(n, (int)strlen(want));
	if (n >= 0 && strcmp(buf, want) != 0) {
		fprintf(stderr, "vary \"%s\" -> \"%s\", want \"%s\"\n",
			old ? old : "-", buf, want);
		dpx_test_failed_checks++;
	}
}

static void check_etag(const char *old, int want_n, const char *want)
{
	struct dpx_http_str o = S(old);
	char buf[64];
	int n = dpx_compress_etag(&o, buf, sizeof(buf));

	CHECK_EQ(n, want_n);
	if (n > 0 && strcmp(buf, want) != 0) {
		fprintf(stderr, "etag %s -> %s, want %s\n", old, buf, want);
		dpx_test_failed_checks++;
	}
}

static void test_head_helpers(void)
{
	struct dpx_compress_head h;
	struct dpx_http_str o = S("Cookie");
	char small[8];

	check_vary(NULL, "Accept-Encoding");
	check_vary("", "Accept-Encoding");
	check_vary("Cookie", "Cookie, Accept-Encoding");
	check_vary("Cookie, User-Agent", "Cookie, User-Agent, Accept-Encoding");
	check_vary("accept-encoding", "accept-encoding");
	check_vary("Cookie,Accept-Encoding", "Cookie,Accept-Encoding");
	check_vary("*", "*");
	check_vary("Accept-Encoding-X", "Accept-Encoding-X, Accept-Encoding");
	CHECK_EQ(dpx_compress_vary(&o, small, sizeof(small)), -1);

	check_etag("\"abc\"", 7, "W/\"abc\"");
	check_etag("W/\"abc\"", 7, "W/\"abc\"");
	check_etag("\"\"", 4, "W/\"\"");
	check_etag("abc", 0, "");
	check_etag("\"a\"b\"", 0, "");
	check_etag("W/abc", 0, "");
	check_etag("", 0, "");
	o = S("\"0123456789\"");
	CHECK_EQ(dpx_compress_etag(&o, small, sizeof(small)), -1);

	dpx_compress_head_streaming(DPX_CODING_BR, &h);
	CHECK(strcmp(h.content_encoding, "br") == 0);
	CHECK(h.drop_content_length && h.chunked && !h.set_content_length);
	CHECK(h.vary && h.weaken_etag && h.drop_accept_ranges);
	dpx_compress_head_oneshot(DPX_CODING_ZSTD, 1234, &h);
	CHECK(strcmp(h.content_encoding, "zstd") == 0);
	CHECK(!h.chunked && h.set_content_length);
	CHECK_EQ(h.content_length, 1234);
}

/* The Vary line of an answer left identity: want NULL for none (0),
 * "-" for -1. */
static void check_vary_field(const char *fields, size_t size,
			     const char *want)
{
	struct dpx_http_response rsp;
	char in[1400], buf[600];
	int n = snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n%s"
			 "Content-Length: 0\r\n\r\n", fields);

	CHECK(n > 0 && (size_t)n < sizeof(in));
	CHECK(dpx_http_parse_response(in, (uint32_t)n, NULL, false,
				      &rsp) == 1);
	memset(buf, 'x', sizeof(buf));
	n = dpx_compress_vary_field(&rsp, buf, size);
	if (want == NULL) {
		CHECK_EQ(n, 0);
	} else if (strcmp(want, "-") == 0) {
		CHECK_EQ(n, -1);
	} else {
		CHECK_EQ(n, (int)strlen(want));
		if (n > 0 && strcmp(buf, want) != 0)
			fprintf(stderr, "vary field \"%s\", want \"%s\"\n",
				buf, want);
		CHECK(n > 0 && strcmp(buf, want) == 0);
	}
}

static void test_vary_field(void)
{
	char many[800];
	size_t n = 0;

	check_vary_field("", 600, "Vary: Accept-Encoding\r\n");
	check_vary_field("Vary: Origin\r\n", 600,
			 "Vary: Origin, Accept-Encoding\r\n");
	/* every line joined: the writer drops them all for this one */
	check_vary_field("Vary: Origin\r\nX-A: 1\r\nVary: Cookie\r\n", 600,
			 "Vary: Origin, Cookie, Accept-Encoding\r\n");
	check_vary_field("Vary:\r\n", 600, "Vary: Accept-Encoding\r\n");
	/* there already (any line, any case), or "*": lines stay */
	check_vary_field("Vary: Accept-Encoding\r\n", 600, NULL);
	check_vary_field("Vary: Origin\r\nVary: accept-encoding\r\n", 600,
			 NULL);
	check_vary_field("Vary: *\r\n", 600, NULL);
	check_vary_field("Vary: Origin\r\nVary: *\r\n", 600, NULL);
	check_vary_field("Vary: Accept-Encoding-X\r\n", 600,
			 "Vary: Accept-Encoding-X, Accept-Encoding\r\n");
	/* too small a buffer, or lines joined over 512 bytes */
	check_vary_field("Vary: Origin\r\n", 20, "-");
	for (int i = 0; i < 3; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
				      "Vary: %0200d\r\n", i);
	check_vary_field(many, 600, "-");
}

/* The stored head of a compressed variant, byte for byte. */
static void check_variant_head(const char *in, enum dpx_coding c,
			       uint64_t len, const char *want)
{
	struct dpx_http_response rsp;
	char out[1024];
	int n;

	CHECK(dpx_http_parse_response(in, (uint32_t)strlen(in), NULL, false,
				      &rsp) == 1);
	n = dpx_compress_variant_head(&rsp, c, len, out, sizeof(out));
	CHECK_EQ(n, want != NULL ? (long long)strlen(want) : -1);
	if (want != NULL && n > 0) {
		out[n] = '\0';
		if (strcmp(out, want) != 0)
			fprintf(stderr, "variant head:\n%s\nwant:\n%s\n", out,
				want);
		CHECK(strcmp(out, want) == 0);
	}
}

static void test_variant_head(void)
{
	struct dpx_http_response rsp;
	char small[40];
	const char *plain = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

	check_variant_head(
		"HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 19:00:00 GMT\r\n"
		"Content-Type: text/html\r\nContent-Length: 20000\r\n"
		"ETag: \"v1\"\r\nAccept-Ranges: bytes\r\nVary: Cookie\r\n"
		"Cache-Control: max-age=60\r\nConnection: keep-alive\r\n\r\n",
		DPX_CODING_GZIP, 1234,
		"HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 19:00:00 GMT\r\n"
		"Content-Type: text/html\r\nCache-Control: max-age=60\r\n"
		"Content-Encoding: gzip\r\nContent-Length: 1234\r\n"
		"Vary: Cookie, Accept-Encoding\r\nETag: W/\"v1\"\r\n\r\n");
	/* A weak ETag stays; Vary: Accept-Encoding is not doubled; an ETag
	 * that is no entity-tag goes. */
	check_variant_head(
		"HTTP/1.1 404 Not Found\r\nContent-Length: 300\r\n"
		"ETag: W/\"x\"\r\nVary: accept-encoding\r\n\r\n",
		DPX_CODING_BR, 99,
		"HTTP/1.1 404 Not Found\r\nContent-Encoding: br\r\n"
		"Content-Length: 99\r\nVary: accept-encoding\r\n"
		"ETag: W/\"x\"\r\n\r\n");
	check_variant_head(
		"HTTP/1.1 200 OK\r\nETag: bare\r\nContent-Length: 300\r\n\r\n",
		DPX_CODING_ZSTD, 7,
		"HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\n"
		"Content-Length: 7\r\nVary: Accept-Encoding\r\n\r\n");
	check_variant_head(
		"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n"
		"Content-Length: 300\r\n\r\n", DPX_CODING_BR, 9,
		"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n"
		"Content-Length: 9\r\nVary: Accept-Encoding\r\n\r\n");
	/* Several Vary lines: one, naming them all. */
	check_variant_head(
		"HTTP/1.1 200 OK\r\nVary: Cookie\r\nContent-Length: 300\r\n"
		"Vary: User-Agent\r\n\r\n", DPX_CODING_GZIP, 8,
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		"Content-Length: 8\r\nVary: Cookie, User-Agent, "
		"Accept-Encoding\r\n\r\n");
	check_variant_head(plain, DPX_CODING_NONE, 5, NULL);
	check_variant_head(plain, DPX_CODING_COUNT, 5, NULL);
	check_variant_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
			   DPX_CODING_GZIP, 5, NULL);
	CHECK(dpx_http_parse_response(plain, (uint32_t)strlen(plain), NULL,
				      false, &rsp) == 1);
	CHECK_EQ(dpx_compress_variant_head(&rsp, DPX_CODING_GZIP, 3, small,
					   sizeof(small)), -1);
	/* At the parser's field count: the added fields would take the
	 * stored head over it, so no head (it would never parse back). */
	{
		static char big[DPX_HTTP_MAX_HEADERS * 16 + 64], out[8192];
		int n = snprintf(big, sizeof(big),
				 "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n");

		for (int i = 1; i < DPX_HTTP_MAX_HEADERS; i++)
			n += snprintf(big + n, sizeof(big) - (size_t)n,
				      "X-F%d: v\r\n", i);
		n += snprintf(big + n, sizeof(big) - (size_t)n, "\r\n");
		CHECK(dpx_http_parse_response(big, (uint32_t)n, NULL, false,
					      &rsp) == 1);
		CHECK_EQ(dpx_compress_variant_head(&rsp, DPX_CODING_GZIP, 3, out,
						   sizeof(out)), -1);
	}
}

/* ---- the "compression" section ---- */

static int parse_text(const char *text, struct dpx_compress_conf **out,
		      char *err, size_t errlen)
{
	struct cfg_ctx c = { .name = "t.json", .text = text,
			     .len = strlen(text), .err = err,
			     .errlen = errlen };
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	void *conf = NULL;
	int rc;

	err[0] = '\0';
	if (root == NULL)
		return -2;
	cfg_push_key(&c, "compression");
	rc = dpx_compress_conf_parse(&c, json_object_get(root, "compression"),
				     &conf);
	json_decref(root);
	*out = conf;
	return rc;
}

static void conf_bad(const char *text, const char *msg)
{
	struct dpx_compress_conf *conf;
	char err[DPX_ERR_LEN];

	CHECK_EQ(parse_text(text, &conf, err, sizeof(err)), -1);
	CHECK(conf == NULL);
	CHECK_STR_CONTAINS(err, msg);
}

static void test_conf(void)
{
	struct dpx_compress_conf *conf, def;
	char err[DPX_ERR_LEN];

	dpx_compress_conf_default(&def);
	CHECK_EQ(parse_text("{\"compression\": {}}", &conf, err,
			    sizeof(err)), 0);
	CHECK(conf != NULL && memcmp(conf, &def, sizeof(def)) == 0);
	dpx_compress_conf_free(conf);

	CHECK_EQ(parse_text("{\"compression\": {\"enabled\": false, "
			    "\"codings\": [\"gzip\", \"br\"], "
			    "\"types\": [\"Text/*\", \"application/json\"], "
			    "\"min_size\": 0, \"level\": {\"br\": 4}, "
			    "\"cache_level\": {\"gzip\": 8, \"zstd\": 19}}}",
			    &conf, err, sizeof(err)), 0);
	if (conf == NULL) {
		fprintf(stderr, "%s\n", err);
		dpx_test_failed_checks++;
		return;
	}
	CHECK(!conf->enabled);
	CHECK_EQ(conf->n_codings, 2);
	CHECK_EQ(conf->codings[0], DPX_CODING_GZIP);
	CHECK_EQ(conf->codings[1], DPX_CODING_BR);
	CHECK_EQ(conf->n_types, 2);
	CHECK(strcmp(conf->types[0], "text/*") == 0);
	CHECK_EQ(conf->min_size, 0);
	CHECK_EQ(conf->level[DPX_CODING_BR], 4);
	CHECK_EQ(conf->level[DPX_CODING_GZIP], DPX_COMPRESS_GZIP_LEVEL);
	CHECK_EQ(conf->cache_level[DPX_CODING_GZIP], 8);
	CHECK_EQ(conf->cache_level[DPX_CODING_ZSTD], 19);
	CHECK_EQ(conf->cache_level[DPX_CODING_BR],
		 DPX_COMPRESS_BR_CACHE_LEVEL);
	dpx_compress_conf_free(conf);

	conf_bad("{\"compression\": []}", "compression: expected an object");
	conf_bad("{\"compression\": {\"level\": 3}}",
		 "compression.level: expected an object");
	conf_bad("{\"compression\": {\"levels\": {}}}", "levels");
	conf_bad("{\"compression\": {\"codings\": []}}",
		 "compression.codings: expected a non-empty array");
	conf_bad("{\"compression\": {\"codings\": [\"gzip\", \"lz4\"]}}",
		 "compression.codings[1]: \"lz4\" is not one of");
	conf_bad("{\"compression\": {\"codings\": [\"gzip\", \"gzip\"]}}",
		 "compression.codings[1]: \"gzip\" is listed twice");
	conf_bad("{\"compression\": {\"codings\": [\"identity\"]}}",
		 "always allowed");
	conf_bad("{\"compression\": {\"types\": [\"text/html\", \"html\"]}}",
		 "compression.types[1]: \"html\" is not a media type");
	conf_bad("{\"compression\": {\"types\": [\"*/*\"]}}",
		 "compression.types[0]: \"*/*\" is not a media type");
	conf_bad("{\"compression\": {\"types\": [\"text/h*\"]}}",
		 "is not a media type");
	conf_bad("{\"compression\": {\"types\": [\"text/html; q=1\"]}}",
		 "is not a media type");
	conf_bad("{\"compression\": {\"types\": [\"a/b\", \"A/B\"]}}",
		 "compression.types[1]: \"A/B\" is listed twice");
	conf_bad("{\"compression\": {\"types\": 5}}",
		 "compression.types: expected a non-empty array");
	conf_bad("{\"compression\": {\"min_size\": -1}}",
		 "compression.min_size");
	conf_bad("{\"compression\": {\"level\": {\"gzip\": 10}}}",
		 "compression.level.gzip");
	conf_bad("{\"compression\": {\"level\": {\"br\": 7}}}",
		 "compression.level.br");
	conf_bad("{\"compression\": {\"cache_level\": {\"br\": 12}}}",
		 "compression.cache_level.br");
	conf_bad("{\"compression\": {\"cache_level\": {\"zstd\": 22}}}",
		 "compression.cache_level.zstd");
	conf_bad("{\"compression\": {\"level\": {\"deflate\": 1}}}",
		 "deflate");
	conf_bad("{\"compression\": {\"enabled\": \"yes\"}}",
		 "compression.enabled");
}

/* ---- round trips ---- */

static size_t chain_copy(const struct dpx_compress_chain *q, uint8_t *dst,
			 size_t cap)
{
	const struct rte_mbuf *m;
	size_t n = 0;

	for (m = q->head; m != NULL; m = m->next) {
		/* The proxy's layout: single segments. */
		CHECK_EQ(m->nb_segs, 1);
		CHECK_EQ(m->pkt_len, m->data_len);
		CHECK(m->data_len > 0);
		if (n + m->data_len > cap)
			return SIZE_MAX;
		memcpy(dst + n, rte_pktmbuf_mtod(m, const uint8_t *),
		       m->data_len);
		n += m->data_len;
	}
	return n;
}

/* Decodes src with the library of c; the decoded length, or SIZE_MAX. */
static size_t decode(enum dpx_coding c, const uint8_t *src, size_t n,
		     uint8_t *dst, size_t cap)
{
	if (c == DPX_CODING_GZIP) {
		z_stream z = { 0 };
		int rc;
		size_t out;

		if (inflateInit2(&z, 15 + 16) != Z_OK)
			return SIZE_MAX;
		z.next_in = (Bytef *)(uintptr_t)src;
		z.avail_in = (uInt)n;
		z.next_out = dst;
		z.avail_out = (uInt)cap;
		rc = inflate(&z, Z_FINISH);
		out = z.total_out;
		/* All input used: nothing after the gzip member. */
		if (rc != Z_STREAM_END || z.avail_in != 0)
			out = SIZE_MAX;
		inflateEnd(&z);
		return out;
	}
	if (c == DPX_CODING_BR) {
		size_t out = cap;

		return BrotliDecoderDecompress(n, src, &out, dst) ==
		       BROTLI_DECODER_RESULT_SUCCESS ? out : SIZE_MAX;
	}
	{
		size_t out = ZSTD_decompress(dst, cap, src, n);

		return ZSTD_isError(out) ? SIZE_MAX : out;
	}
}

/* 0..255 noise, or HTML-ish text with repeats, the kind of body that is
 * compressed in practice. */
static void make_body(uint8_t *b, size_t n, bool text, uint64_t seed)
{
	static const char *const words[] = {
		"<div class=\"item\">", "</div>\n", "<a href=\"/p/", "\">",
		"</a>", "proxy ", "the ", "compression ", "of ", "bytes ",
		"<span>", "</span>", "{\"id\": ", ", \"name\": \"", "\"}, ",
	};
	uint64_t st = seed | 1;
	size_t i = 0;

	while (i < n) {
		if (!text) {
			b[i++] = (uint8_t)rnd(&st);
			continue;
		}
		const char *w = words[rnd(&st) % RTE_DIM(words)];
		size_t k = strlen(w);

		if (k > n - i)
			k = n - i;
		memcpy(b + i, w, k);
		i += k;
		if (i < n && rnd(&st) % 7 == 0)
			b[i++] = (uint8_t)('0' + rnd(&st) % 10);
	}
}

/* A copy of p[0, n) as a chain of mbufs of at most 1000 bytes, as TCP
 * would hand it over. */
static int to_chain(const uint8_t *p, size_t n,
		    struct dpx_compress_chain *q)
{
	while (n > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t k = (uint16_t)(n < 1000 ? n : 1000);

		if (m == NULL)
			return -1;
		memcpy(rte_pktmbuf_append(m, k), p, k);
		if (q->tail)
			q->tail->next = m;
		else
			q->head = m;
		q->tail = m;
		q->len += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* Feeds body in random pieces (1..9000 bytes), through mbuf chains and
 * plain buffers alternately, flushing now and then. */
static int stream_body(struct dpx_compress_stream *s, const uint8_t *body,
		       size_t n, uint64_t *st, struct dpx_compress_chain *out)
{
	size_t off = 0;
	int rc = 0;

	while (off < n && rc == 0) {
		size_t k = 1 + rnd(st) % 9000;

		if (k > n - off)
			k = n - off;
		if (rnd(st) & 1) {
			struct dpx_compress_chain in = { 0 };

			rc = to_chain(body + off, k, &in) == 0
			     ? dpx_compress_feed(s, in.head, mp, out)
			     : -100;
			dpx_compress_chain_free(&in);
		} else {
			rc = dpx_compress_feed_buf(s, body + off, k, mp, out);
		}
		off += k;
		if (rc == 0 && rnd(st) % 8 == 0)
			rc = dpx_compress_flush(s, mp, out);
	}
	return rc == 0 ? dpx_compress_finish(s, mp, out) : rc;
}

/* Codec memory per stream at the default levels, measured (gzip 268 KB,
 * zstd 1.8 MB, brotli 1.1 MB to 4.5 MB as it grows its buffers on 1 MB
 * bodies) with some room: a change of window or level that blows them
 * fails. */
static const size_t mem_bound[DPX_CODING_COUNT] = {
	[DPX_CODING_GZIP] = 300u << 10,
	[DPX_CODING_BR] = 6u << 20,
	[DPX_CODING_ZSTD] = 2u << 20,
};

static void round_trip(enum dpx_coding c, size_t n, bool text,
		       uint8_t *body, uint8_t *comp, uint8_t *dec)
{
	struct dpx_compress_chain out = { 0 };
	struct dpx_compress_stream *s;
	uint64_t st = 0x9e3779b97f4a7c15ull ^ (n * 31 + c);
	size_t clen, dlen;

	make_body(body, n, text, st);
	CHECK_EQ(dpx_compress_stream_new(c, -1, &s), DPX_COMPRESS_OK);
	if (s == NULL)
		return;
	CHECK_EQ(stream_body(s, body, n, &st, &out), DPX_COMPRESS_OK);
	CHECK_EQ(dpx_compress_stream_in(s), n);
	CHECK_EQ(dpx_compress_stream_out(s), out.len);
	/* Bounded state: the figures in dpx_compress.h. */
	CHECK(dpx_compress_stream_mem(s) > 0);
	CHECK(dpx_compress_stream_mem(s) < mem_bound[c]);
	/* Finished: nothing more is accepted. */
	CHECK_EQ(dpx_compress_feed_buf(s, "x", 1, mp, &out),
		 DPX_COMPRESS_EINVAL);
	dpx_compress_stream_free(s);
	clen = chain_copy(&out, comp, (2u << 20));
	CHECK_EQ(clen, out.len);
	dlen = decode(c, comp, clen, dec, n + 1);
	if (dlen != n || memcmp(dec, body, n) != 0) {
		fprintf(stderr, "%s %s %zu bytes: round trip failed (%zu)\n",
			dpx_coding_name(c), text ? "text" : "random", n, dlen);
		dpx_test_failed_checks++;
	}
	if (text && n >= 4095)
		CHECK(clen < n / 2);
	dpx_compress_chain_free(&out);
}

static void test_stream_round_trips(void)
{
	static const size_t sizes[] = { 0, 1, 100, 4095, 1u << 20 };
	uint8_t *body = malloc(1u << 20), *comp = malloc(2u << 20),
		*dec = malloc((1u << 20) + 1);
	unsigned int c;
	size_t i;

	CHECK(body && comp && dec);
	for (c = DPX_CODING_GZIP; body && comp && dec &&
	     c < DPX_CODING_COUNT; c++)
		for (i = 0; i < RTE_DIM(sizes); i++) {
			round_trip(c, sizes[i], false, body, comp, dec);
			round_trip(c, sizes[i], true, body, comp, dec);
		}
	free(body);
	free(comp);
	free(dec);
}

/* After a flush, everything fed so far must be decodable from what was
 * emitted: that is what lets the client see progress. */
static size_t decode_prefix(enum dpx_coding c, const uint8_t *src, size_t n,
			    uint8_t *dst, size_t cap)
{
	size_t out = SIZE_MAX;

	if (c == DPX_CODING_GZIP) {
		z_stream z = { 0 };

		if (inflateInit2(&z, 15 + 16) != Z_OK)
			return SIZE_MAX;
		z.next_in = (Bytef *)(uintptr_t)src;
		z.avail_in = (uInt)n;
		z.next_out = dst;
		z.avail_out = (uInt)cap;
		if (inflate(&z, Z_SYNC_FLUSH) == Z_OK)
			out = z.total_out;
		inflateEnd(&z);
	} else if (c == DPX_CODING_BR) {
		BrotliDecoderState *d = BrotliDecoderCreateInstance(NULL, NULL,
								    NULL);
		size_t in_left = n, out_left = cap;
		const uint8_t *ip = src;
		uint8_t *op = dst;

		if (BrotliDecoderDecompressStream(d, &in_left, &ip, &out_left,
						  &op, NULL) ==
		    BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
			out = cap - out_left;
		BrotliDecoderDestroyInstance(d);
	} else {
		ZSTD_DCtx *d = ZSTD_createDCtx();
		ZSTD_inBuffer in = { src, n, 0 };
		ZSTD_outBuffer o = { dst, cap, 0 };

		if (!ZSTD_isError(ZSTD_decompressStream(d, &o, &in)))
			out = o.pos;
		ZSTD_freeDCtx(d);
	}
	return out;
}

static void test_flush_progress(void)
{
	uint8_t body[5000], comp[8192], dec[8192];
	unsigned int c;

	make_body(body, sizeof(body), true, 7);
	for (c = DPX_CODING_GZIP; c < DPX_CODING_COUNT; c++) {
		struct dpx_compress_chain out = { 0 };
		struct dpx_compress_stream *s;
		size_t clen;

		CHECK_EQ(dpx_compress_stream_new(c, -1, &s), 0);
		if (s == NULL)
			continue;
		CHECK_EQ(dpx_compress_feed_buf(s, body, 3000, mp, &out), 0);
		CHECK_EQ(dpx_compress_flush(s, mp, &out), 0);
		CHECK_EQ(dpx_compress_flush(s, mp, &out), 0); /* idle: fine */
		clen = chain_copy(&out, comp, sizeof(comp));
		CHECK_EQ(decode_prefix(c, comp, clen, dec, sizeof(dec)), 3000);
		CHECK(memcmp(dec, body, 3000) == 0);
		CHECK_EQ(dpx_compress_feed_buf(s, body + 3000, 2000, mp, &out),
			 0);
		CHECK_EQ(dpx_compress_finish(s, mp, &out), 0);
		CHECK_EQ(dpx_compress_flush(s, mp, &out), DPX_COMPRESS_EINVAL);
		dpx_compress_stream_free(s);
		clen = chain_copy(&out, comp, sizeof(comp));
		CHECK_EQ(decode(c, comp, clen, dec, sizeof(dec)), 5000);
		CHECK(memcmp(dec, body, 5000) == 0);
		dpx_compress_chain_free(&out);
	}
}

static void test_oneshot(void)
{
	static const size_t sizes[] = { 300, 4095, 200000 };
	uint8_t *body = malloc(200000), *comp = malloc(400000),
		*dec = malloc(200001);
	unsigned int c;
	size_t i;

	for (c = DPX_CODING_GZIP; body && comp && dec &&
	     c < DPX_CODING_COUNT; c++) {
		for (i = 0; i < RTE_DIM(sizes); i++) {
			struct dpx_compress_chain in = { 0 }, out = { 0 };
			size_t clen;

			make_body(body, sizes[i], true, i + 1);
			CHECK_EQ(to_chain(body, sizes[i], &in), 0);
			CHECK_EQ(dpx_compress_oneshot(c, -1, in.head, mp, &out),
				 DPX_COMPRESS_OK);
			CHECK(out.len > 0 && out.len < sizes[i]);
			clen = chain_copy(&out, comp, 400000);
			CHECK_EQ(decode(c, comp, clen, dec, sizes[i] + 1),
				 sizes[i]);
			CHECK(memcmp(dec, body, sizes[i]) == 0);
			dpx_compress_chain_free(&out);
			dpx_compress_chain_free(&in);
		}
	}
	free(body);
	free(comp);
	free(dec);
}

/* Noise does not shrink: identity must be served, and out is untouched. */
static void test_oneshot_no_gain(void)
{
	uint8_t body[3000];
	unsigned int c;

	make_body(body, sizeof(body), false, 99);
	for (c = DPX_CODING_GZIP; c < DPX_CODING_COUNT; c++) {
		struct dpx_compress_chain in = { 0 }, out = { 0 };

		CHECK_EQ(to_chain(body, sizeof(body), &in), 0);
		CHECK_EQ(dpx_compress_oneshot(c, -1, in.head, mp, &out),
			 DPX_COMPRESS_ENOGAIN);
		CHECK(out.head == NULL && out.tail == NULL && out.len == 0);
		CHECK_EQ(dpx_compress_oneshot(c, -1, NULL, mp, &out),
			 DPX_COMPRESS_ENOGAIN);
		dpx_compress_chain_free(&in);
	}
}

/* Every streaming level stays bounded: zstd's tables follow its window,
 * brotli stops at 6. */
static void test_stream_mem_all_levels(void)
{
	static const uint8_t text[] = "<p>bounded state per stream</p>\n";
	unsigned int c;
	int level;

	for (c = DPX_CODING_GZIP; c < DPX_CODING_COUNT; c++) {
		for (level = 0; level <= DPX_COMPRESS_ZSTD_MAX; level++) {
			struct dpx_compress_chain out = { 0 };
			struct dpx_compress_stream *s;
			size_t i;

			if (dpx_compress_stream_new(c, level, &s) != 0)
				continue;
			for (i = 0; i < 4000; i++)
				CHECK_EQ(dpx_compress_feed_buf(s, text,
					 sizeof(text) - 1, mp, &out), 0);
			CHECK_EQ(dpx_compress_finish(s, mp, &out), 0);
			if (dpx_compress_stream_mem(s) > (6u << 20)) {
				fprintf(stderr, "%s %d: %zu bytes\n",
					dpx_coding_name(c), level,
					dpx_compress_stream_mem(s));
				dpx_test_failed_checks++;
			}
			dpx_compress_stream_free(s);
			dpx_compress_chain_free(&out);
		}
	}
}

static void test_errors(void)
{
	struct dpx_compress_stream *s = (void *)1;
	struct dpx_compress_chain out = { 0 };

	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_NONE, -1, &s),
		 DPX_COMPRESS_EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_GZIP, 10, &s),
		 DPX_COMPRESS_EINVAL);
	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_BR, 7, &s),
		 DPX_COMPRESS_EINVAL);
	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_ZSTD, 20, &s),
		 DPX_COMPRESS_EINVAL);
	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_COUNT, 1, &s),
		 DPX_COMPRESS_EINVAL);
	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_BR, 0, &s), 0);
	CHECK_EQ(dpx_compress_flush(s, NULL, &out), DPX_COMPRESS_EINVAL);
	dpx_compress_stream_free(s);
	dpx_compress_stream_free(NULL);
	CHECK_EQ(dpx_compress_oneshot(DPX_CODING_NONE, -1, NULL, mp, &out),
		 DPX_COMPRESS_ENOGAIN);
	CHECK(strcmp(dpx_compress_strerror(DPX_COMPRESS_ENOBUFS),
		     "unknown error") != 0);
	CHECK(dpx_coding_name(DPX_CODING_COUNT) == NULL);
}

/* A pool that runs dry mid-stream: an explicit error, the stream failed
 * for good, the partial output still the caller's to free. */
static void test_pool_exhausted(void)
{
	struct rte_mempool *tiny = rte_pktmbuf_pool_create("cmp_tiny", 8, 0,
		0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct dpx_compress_chain out = { 0 };
	struct dpx_compress_stream *s;
	uint8_t *body = malloc(400000);

	CHECK(tiny != NULL && body != NULL);
	if (tiny == NULL || body == NULL) {
		free(body);
		return;
	}
	make_body(body, 400000, false, 5);
	CHECK_EQ(dpx_compress_stream_new(DPX_CODING_ZSTD, 1, &s), 0);
	CHECK_EQ(dpx_compress_feed_buf(s, body, 400000, tiny, &out),
		 DPX_COMPRESS_ENOBUFS);
	CHECK_EQ(dpx_compress_finish(s, tiny, &out), DPX_COMPRESS_EINVAL);
	CHECK(out.len > 0);
	dpx_compress_chain_free(&out);
	dpx_compress_stream_free(s);
	CHECK_EQ(rte_mempool_in_use_count(tiny), 0);
	rte_mempool_free(tiny);
	free(body);
}

static void test_no_mbuf_leak(void)
{
	CHECK_EQ(rte_mempool_in_use_count(mp), 0);
}

int main(void)
{
	int rc;

	if (test_eal_init("test_compress") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("cmp_test", 4096, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	RUN_TEST(test_accept_encoding);
	RUN_TEST(test_accept_encoding_conf);
	RUN_TEST(test_eligibility);
	RUN_TEST(test_head_helpers);
	RUN_TEST(test_vary_field);
	RUN_TEST(test_variant_head);
	RUN_TEST(test_conf);
	RUN_TEST(test_stream_round_trips);
	RUN_TEST(test_flush_progress);
	RUN_TEST(test_oneshot);
	RUN_TEST(test_oneshot_no_gain);
	RUN_TEST(test_stream_mem_all_levels);
	RUN_TEST(test_errors);
	RUN_TEST(test_pool_exhausted);
	RUN_TEST(test_no_mbuf_leak);
	rc = TEST_SUMMARY();
	rte_mempool_free(mp);
	test_eal_cleanup();
	return rc;
}
