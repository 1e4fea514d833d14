/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/compress throughput and ratio: a ~1 MB HTML-like page and a ~1 MB
 * JSON document (synthetic, seeded, with a vocabulary large enough that
 * the codecs cannot cheat on short repeats), streamed through each coding
 * at a range of levels in 16 KB pieces, as a response arrives; then the
 * one-shot cache defaults. Output mbufs are freed as they come, as if
 * sent. One "BENCH compress ..." line per run:
 *
 *   build/tools/bench_compress [ROUNDS]   (default 1; keep it short)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dpx_compress.h"

#define BODY_LEN (1u << 20)
#define PIECE (16u << 10)

static uint64_t rnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* A word of 2..5 syllables from a fixed seed: ~4000 distinct words. */
static size_t word(uint64_t *st, char *out)
{
	static const char *const syl[] = {
		"ka", "lo", "mi", "ne", "tor", "ver", "sa", "qui", "bel",
		"dra", "po", "zen", "fi", "gu", "ha", "jo", "ret", "wun" };
	uint64_t w = rnd(st) % 4000, n = 2 + w % 4;
	size_t len = 0;

	while (n-- > 0) {
		const char *s = syl[w % 18];

		w = w / 3 + 7;
		memcpy(out + len, s, strlen(s));
		len += strlen(s);
	}
	return len;
}

static size_t emit(char *b, size_t off, const char *s)
{
	size_t n = strlen(s);

	if (off + n > BODY_LEN)
		n = BODY_LEN - off;
	memcpy(b + off, s, n);
	return off + n;
}

static void make_html(char *b, uint64_t st)
{
	size_t off = emit(b, 0, "<!DOCTYPE html><html><head><title>bench"
			  "</title></head><body>\n");
	char w[64], line[256];

	while (off < BODY_LEN) {
		size_t n = word(&st, w);

		w[n] = '\0';
		switch (rnd(&st) % 6) {
		case 0:
			snprintf(line, sizeof(line), "<div class=\"c-%s\" "
				 "id=\"n%u\">\n", w, (unsigned)(rnd(&st) %
								100000));
			break;
		case 1:
			snprintf(line, sizeof(line), "<a href=\"/%s/%u\">%s"
				 "</a> ", w, (unsigned)(rnd(&st) % 1000), w);
			break;
		case 2:
			snprintf(line, sizeof(line), "</div>\n");
			break;
		default:
			snprintf(line, sizeof(line), "%s ", w);
		}
		off = emit(b, off, line);
	}
}

static void make_json(char *b, uint64_t st)
{
	size_t off = emit(b, 0, "{\"items\": [\n");
	char w[64], line[256];

	while (off < BODY_LEN) {
		size_t n = word(&st, w);

		w[n] = '\0';
		snprintf(line, sizeof(line), "{\"id\": %u, \"name\": \"%s\", "
			 "\"score\": %u.%02u, \"active\": %s, \"tags\": "
			 "[\"%s\"]},\n", (unsigned)(rnd(&st) % 1000000), w,
			 (unsigned)(rnd(&st) % 100), (unsigned)(rnd(&st) % 100),
			 rnd(&st) & 1 ? "true" : "false", w);
		off = emit(b, off, line);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void drain(struct dpx_compress_chain *out, uint64_t *bytes)
{
	*bytes += out->len;
	dpx_compress_chain_free(out);
}

/* Streams body in PIECE-sized feeds; returns compressed bytes, 0 on
 * error. */
static uint64_t stream_once(enum dpx_coding c, int level, const char *body,
			    struct rte_mempool *mp, size_t *mem)
{
	struct dpx_compress_chain out = { 0 };
	struct dpx_compress_stream *s;
	uint64_t bytes = 0;
	size_t off;
	int rc;

	if (dpx_compress_stream_new(c, level, &s) != 0)
		return 0;
	for (off = 0, rc = 0; off < BODY_LEN && rc == 0; off += PIECE) {
		rc = dpx_compress_feed_buf(s, body + off, PIECE, mp, &out);
		drain(&out, &bytes);
	}
	if (rc == 0)
		rc = dpx_compress_finish(s, mp, &out);
	drain(&out, &bytes);
	*mem = dpx_compress_stream_mem(s);
	dpx_compress_stream_free(s);
	return rc == 0 ? bytes : 0;
}

static void bench_stream(const char *name, const char *body,
			 enum dpx_coding c, int level, int rounds,
			 struct rte_mempool *mp)
{
	uint64_t out = 0;
	size_t mem = 0;
	double t0 = now_s(), dt;
	int i;

	for (i = 0; i < rounds; i++)
		out = stream_once(c, level, body, mp, &mem);
	dt = now_s() - t0;
	if (out == 0) {
		printf("BENCH compress %s %s %d: failed\n", name,
		       dpx_coding_name(c), level);
		return;
	}
	printf("BENCH compress %s stream %s %d: %.1f MB/s in, ratio %.2f "
	       "(%u -> %lu), state %zu KB\n", name, dpx_coding_name(c),
	       level, (double)BODY_LEN * rounds / dt / 1e6,
	       (double)BODY_LEN / (double)out, BODY_LEN, (unsigned long)out,
	       mem >> 10);
}

static void bench_oneshot(const char *name, const char *body,
			  enum dpx_coding c, int level, struct rte_mempool *mp)
{
	struct dpx_compress_chain in = { 0 }, out = { 0 };
	size_t off;
	double t0, dt;
	int rc;

	/* The body as the cache would hold it: a chain of full mbufs. */
	for (off = 0; off < BODY_LEN; off += 2000) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t n = (uint16_t)(BODY_LEN - off < 2000 ? BODY_LEN - off
							     : 2000);

		if (m == NULL)
			break;
		memcpy(rte_pktmbuf_append(m, n), body + off, n);
		if (in.tail)
			in.tail->next = m;
		else
			in.head = m;
		in.tail = m;
		in.len += n;
	}
	t0 = now_s();
	rc = dpx_compress_oneshot(c, level, in.head, mp, &out);
	dt = now_s() - t0;
	if (rc == 0)
		printf("BENCH compress %s oneshot %s %d: %.1f "
		       "MB/s in, ratio %.2f (%u -> %u)\n", name,
		       dpx_coding_name(c), level, (double)in.len / dt / 1e6,
		       (double)in.len / out.len, in.len, out.len);
	else
		printf("BENCH compress %s oneshot %s: %s\n", name,
		       dpx_coding_name(c), dpx_compress_strerror(rc));
	dpx_compress_chain_free(&out);
	dpx_compress_chain_free(&in);
}

int main(int argc, char **argv)
{
	static const struct { enum dpx_coding c; int level; } runs[] = {
		{ DPX_CODING_GZIP, 1 }, { DPX_CODING_GZIP, 4 },
		{ DPX_CODING_GZIP, 6 }, { DPX_CODING_GZIP, 9 },
		{ DPX_CODING_BR, 1 }, { DPX_CODING_BR, 4 },
		{ DPX_CODING_BR, 5 }, { DPX_CODING_BR, 6 },
		{ DPX_CODING_ZSTD, 1 }, { DPX_CODING_ZSTD, 3 },
		{ DPX_CODING_ZSTD, 6 }, { DPX_CODING_ZSTD, 12 },
		{ DPX_CODING_ZSTD, 15 }, { DPX_CODING_ZSTD, 19 },
	};
	/* Cache levels: one-shot only (brotli above 6 never streams). */
	static const struct { enum dpx_coding c; int level; } oneshots[] = {
		{ DPX_CODING_GZIP, 9 }, { DPX_CODING_BR, 9 },
		{ DPX_CODING_BR, 11 }, { DPX_CODING_ZSTD, 12 },
		{ DPX_CODING_ZSTD, 15 }, { DPX_CODING_ZSTD, 19 },
	};
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf",
			"--no-telemetry", "-m", "64", "-l", "0",
			"--log-level", "*:error", "--file-prefix",
			"bench-compress" };
	int rounds = argc > 1 ? atoi(argv[1]) : 1;
	char *html = malloc(BODY_LEN), *json = malloc(BODY_LEN);
	struct rte_mempool *mp;
	unsigned int i;

	if (rounds < 1 || html == NULL || json == NULL ||
	    rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bench_cmp", 2048, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	make_html(html, 42);
	make_json(json, 43);
	for (i = 0; i < RTE_DIM(runs); i++) {
		bench_stream("html", html, runs[i].c, runs[i].level, rounds,
			     mp);
		bench_stream("json", json, runs[i].c, runs[i].level, rounds,
			     mp);
	}
	for (i = 0; i < RTE_DIM(oneshots); i++) {
		bench_oneshot("html", html, oneshots[i].c, oneshots[i].level,
			      mp);
		bench_oneshot("json", json, oneshots[i].c, oneshots[i].level,
			      mp);
	}
	rte_mempool_free(mp);
	rte_eal_cleanup();
	free(html);
	free(json);
	return 0;
}
