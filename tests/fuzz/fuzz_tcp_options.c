/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/tcp/tcp_options.c. Input: one control byte
 * (bit 7: is_syn; bits 0-5: options length, cut to what follows), then
 * the options area. The area is copied to a buffer of exactly that length
 * so ASan catches any read past len. When the parse succeeds, the result
 * is built and parsed again; that must succeed and give back every field
 * a build carries, else abort():
 *  - SYN: present (MSS, WSCALE, SACK_PERM, TS), mss, wscale, ts_val,
 *    ts_ecr; a SYN's SACK option is ignored by parse, so never present;
 *  - other segments: present (TS, SACK), ts_val, ts_ecr, and the first
 *    min(n_sack, 3 with TS / 4 without) SACK blocks, since build keeps
 *    only what fits in 40 bytes.
 * Build must also fail, and stay inside its buffer, when given one byte
 * less than it needs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_options.h"

/* Options areas longer than 40 bytes never occur on the wire, but the
 * parser takes any len: let the fuzzer reach a bit past that. */
#define FUZZ_MAX_AREA 63

static void
expect(bool ok)
{
	if (!ok)
		abort();
}

static unsigned
sack_kept(const struct dpx_tcp_opts *o)
{
	unsigned room = (o->present & DPX_TCPOPT_TS) ? 3 : 4;

	return o->n_sack < room ? o->n_sack : room;
}

static void
check_same(const struct dpx_tcp_opts *a, const struct dpx_tcp_opts *b)
{
	unsigned n = sack_kept(a);

	expect(b->present == a->present);
	expect(b->mss == a->mss);
	expect(b->wscale == a->wscale);
	expect(b->ts_val == a->ts_val && b->ts_ecr == a->ts_ecr);
	if (a->present & DPX_TCPOPT_SACK) {
		expect(b->n_sack == n);
		expect(memcmp(b->sack, a->sack, n * sizeof(a->sack[0])) == 0);
	} else {
		expect(b->n_sack == 0);
	}
}

/* One byte less than the real size must fail; exact-size heap buffer so
 * ASan sees a write past cap. */
static void
check_short_cap(const struct dpx_tcp_opts *o, bool is_syn, int need)
{
	uint8_t *buf;

	if (need == 0)
		return;
	buf = malloc((size_t)need - 1); /* need is a multiple of 4: >= 3 */
	expect(buf != NULL);
	expect(dpx_tcp_opts_build(o, is_syn, buf, (unsigned)need - 1) == -1);
	free(buf);
}

static void
round_trip(const struct dpx_tcp_opts *parsed, bool is_syn)
{
	uint8_t *buf = malloc(DPX_TCP_MAX_OPT_LEN);
	struct dpx_tcp_opts again;
	int n;

	expect(buf != NULL);
	n = dpx_tcp_opts_build(parsed, is_syn, buf, DPX_TCP_MAX_OPT_LEN);
	expect(n >= 0 && n % 4 == 0 && n <= DPX_TCP_MAX_OPT_LEN);
	expect(dpx_tcp_opts_parse(buf, (unsigned)n, is_syn, &again) == 0);
	check_same(parsed, &again);
	free(buf);
	check_short_cap(parsed, is_syn, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpx_tcp_opts parsed;
	unsigned len;
	bool is_syn;
	uint8_t *area;

	if (size < 1)
		return 0;
	is_syn = data[0] & 0x80;
	len = data[0] & FUZZ_MAX_AREA;
	if (len > size - 1)
		len = (unsigned)(size - 1);
	/* Exactly len bytes, so even p[len] is out of bounds for ASan;
	 * malloc(0) may return NULL, which is fine with len 0. */
	area = malloc(len);
	expect(area != NULL || len == 0);
	if (len != 0)
		memcpy(area, data + 1, len);
	if (dpx_tcp_opts_parse(area, len, is_syn, &parsed) == 0)
		round_trip(&parsed, is_syn);
	else
		expect(parsed.present == 0);
	free(area);
	return 0;
}
