/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/tcp/tcp_options.c: option areas laid out as real stacks
 * send them, malformed areas, and build -> parse round trips, including
 * the exact bytes of the Linux SYN layout and that build never writes
 * past its capacity.
 */
#include <stdint.h>

#include "dpx_test.h"
#include "tcp_options.h"

#define GUARD 0xa5

/* ---- parsing real layouts ---- */

static void
test_parse_linux_syn(void)
{
	/* MSS 1460, SACK_PERM, TS 0x01020304/0, NOP, WS 7 */
	static const uint8_t a[] = {
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x03, 0x03, 0x07 };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_MSS | DPX_TCPOPT_SACK_PERM |
			    DPX_TCPOPT_TS | DPX_TCPOPT_WSCALE);
	CHECK_EQ(o.mss, 1460);
	CHECK_EQ(o.wscale, 7);
	CHECK_EQ(o.ts_val, 0x01020304u);
	CHECK_EQ(o.ts_ecr, 0);
	CHECK_EQ(o.n_sack, 0);
}

static void
test_parse_linux_syn_ack(void)
{
	/* Same layout, TS echoes the SYN, MSS 1400 and WS 9. */
	static const uint8_t a[] = {
		0x02, 0x04, 0x05, 0x78, 0x04, 0x02, 0x08, 0x0a,
		0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
		0x01, 0x03, 0x03, 0x09 };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_MSS | DPX_TCPOPT_SACK_PERM |
			    DPX_TCPOPT_TS | DPX_TCPOPT_WSCALE);
	CHECK_EQ(o.mss, 1400);
	CHECK_EQ(o.wscale, 9);
	CHECK_EQ(o.ts_val, 0xdeadbeefu);
	CHECK_EQ(o.ts_ecr, 0x01020304u);
}

static void
test_parse_windows_syn(void)
{
	/* Windows order, no TS: MSS, NOP, WS 8, NOP, NOP, SACK_PERM. */
	static const uint8_t a[] = {
		0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08,
		0x01, 0x01, 0x04, 0x02 };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE |
			    DPX_TCPOPT_SACK_PERM);
	CHECK_EQ(o.mss, 1460);
	CHECK_EQ(o.wscale, 8);
	CHECK_EQ(o.ts_val, 0);
}

static void
test_parse_data_ts(void)
{
	static const uint8_t a[] = {
		0x01, 0x01, 0x08, 0x0a, 0x80, 0x00, 0x00, 0x01,
		0xff, 0xff, 0xff, 0xfe };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), false, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_TS);
	CHECK_EQ(o.ts_val, 0x80000001u);
	CHECK_EQ(o.ts_ecr, 0xfffffffeu);
}

/* NOP NOP TS, then NOP NOP SACK with n blocks {1000i+1, 1000i+500}. */
static unsigned
make_ts_sack_area(uint8_t *a, unsigned n, bool with_ts)
{
	unsigned len = 0;

	if (with_ts) {
		static const uint8_t ts[] = { 0x01, 0x01, 0x08, 0x0a,
			0, 0, 0, 7, 0, 0, 0, 9 };
		memcpy(a, ts, sizeof(ts));
		len = sizeof(ts);
	}
	a[len++] = 0x01;
	a[len++] = 0x01;
	a[len++] = 0x05;
	a[len++] = (uint8_t)(2 + 8 * n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = 1000 * (i + 1) + 1, e = 1000 * (i + 1) + 500;
		uint8_t blk[8] = { s >> 24, s >> 16, s >> 8, s,
				   e >> 24, e >> 16, e >> 8, e };
		memcpy(a + len, blk, 8);
		len += 8;
	}
	return len;
}

static void
check_sack_blocks(const struct dpx_tcp_opts *o, unsigned n)
{
	CHECK(o->present & DPX_TCPOPT_SACK);
	CHECK_EQ(o->n_sack, n);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(o->sack[i].start, 1000 * (i + 1) + 1);
		CHECK_EQ(o->sack[i].end, 1000 * (i + 1) + 500);
	}
}

static void
test_parse_sack_blocks(void)
{
	uint8_t a[64];
	struct dpx_tcp_opts o;

	for (unsigned n = 1; n <= 3; n++) {
		unsigned len = make_ts_sack_area(a, n, true);

		CHECK(len <= DPX_TCP_MAX_OPT_LEN);
		CHECK_EQ(dpx_tcp_opts_parse(a, len, false, &o), 0);
		CHECK_EQ(o.present, DPX_TCPOPT_TS | DPX_TCPOPT_SACK);
		CHECK_EQ(o.ts_val, 7);
		CHECK_EQ(o.ts_ecr, 9);
		check_sack_blocks(&o, n);
	}
	for (unsigned n = 1; n <= 4; n++) {
		unsigned len = make_ts_sack_area(a, n, false);

		CHECK_EQ(dpx_tcp_opts_parse(a, len, false, &o), 0);
		CHECK_EQ(o.present, DPX_TCPOPT_SACK);
		check_sack_blocks(&o, n);
	}
}

static void
test_parse_empty_and_padding(void)
{
	static const uint8_t nops[] = { 0x01, 0x01, 0x01, 0x01 };
	static const uint8_t eols[] = { 0x00, 0x00, 0x00, 0x00 };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(NULL, 0, true, &o), 0);
	CHECK_EQ(o.present, 0);
	CHECK_EQ(dpx_tcp_opts_parse(nops, sizeof(nops), true, &o), 0);
	CHECK_EQ(o.present, 0);
	CHECK_EQ(dpx_tcp_opts_parse(eols, sizeof(eols), false, &o), 0);
	CHECK_EQ(o.present, 0);
}

static void
test_parse_eol_in_middle(void)
{
	/* MSS, EOL, then bytes that would be malformed if read. */
	static const uint8_t a[] = {
		0x02, 0x04, 0x05, 0xb4, 0x00, 0x02, 0x01, 0xff };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_MSS);
	CHECK_EQ(o.mss, 1460);
}

static void
test_parse_unknown_kinds_skipped(void)
{
	/* MPTCP-ish kind 30 len 4, experimental 254 len 6, MD5 19 len 18,
	 * then WS 5: the unknown ones are stepped over by their length. */
	static const uint8_t a[] = {
		30, 4, 0x10, 0x20,
		254, 6, 0xf9, 0x89, 0xaa, 0xbb,
		19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x03, 0x03, 0x05, 0x01 };
	struct dpx_tcp_opts o;

	CHECK_EQ(sizeof(a), 32);
	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_WSCALE);
	CHECK_EQ(o.wscale, 5);
}

static void
test_parse_syn_only_options_ignored(void)
{
	/* A data segment repeating the SYN options: only TS counts. */
	static const uint8_t a[] = {
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06,
		0x01, 0x03, 0x03, 0x07 };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), false, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_TS);
	CHECK_EQ(o.mss, 0);
	CHECK_EQ(o.wscale, 0);
	CHECK_EQ(o.ts_val, 5);
	CHECK_EQ(o.ts_ecr, 6);
}

static void
test_parse_sack_on_syn_ignored(void)
{
	uint8_t a[64];
	unsigned len = make_ts_sack_area(a, 2, true);
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, len, true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_TS);
	CHECK_EQ(o.n_sack, 0);
	CHECK_EQ(o.sack[0].start, 0);
}

static void
test_parse_odd_values_reported(void)
{
	/* MSS 0 and WS 15 are passed through for the stack to clamp. */
	static const uint8_t a[] = { 0x02, 0x04, 0x00, 0x00, 0x01, 0x03, 0x03, 15 };
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(a, sizeof(a), true, &o), 0);
	CHECK_EQ(o.present, DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE);
	CHECK_EQ(o.mss, 0);
	CHECK_EQ(o.wscale, 15);
}

static void
test_parse_duplicates_last_wins(void)
{
	static const uint8_t mss[] = {
		0x02, 0x04, 0x05, 0xb4, 0x02, 0x04, 0x02, 0x18 };
	uint8_t a[64];
	unsigned len;
	struct dpx_tcp_opts o;

	CHECK_EQ(dpx_tcp_opts_parse(mss, sizeof(mss), true, &o), 0);
	CHECK_EQ(o.mss, 536);

	/* SACK with 3 blocks then SACK with 1: only the second remains. */
	len = make_ts_sack_area(a, 3, false);
	a[len++] = 0x05;
	a[len++] = 10;
	memcpy(a + len, "\x00\x00\x00\x10\x00\x00\x00\x20", 8);
	len += 8;
	CHECK_EQ(dpx_tcp_opts_parse(a, len, false, &o), 0);
	CHECK_EQ(o.n_sack, 1);
	CHECK_EQ(o.sack[0].start, 0x10);
	CHECK_EQ(o.sack[0].end, 0x20);
	CHECK_EQ(o.sack[1].start, 0);
}

/* ---- malformed areas ---- */

static void
check_malformed(const uint8_t *a, unsigned len, bool is_syn)
{
	struct dpx_tcp_opts o;

	memset(&o, 0x5a, sizeof(o));
	CHECK_EQ(dpx_tcp_opts_parse(a, len, is_syn, &o), -1);
	CHECK_EQ(o.present, 0); /* no half-parsed state left behind */
}

static void
test_parse_malformed_lengths(void)
{
	static const uint8_t len0[] = { 0x02, 0x00, 0x05, 0xb4 };
	static const uint8_t len1[] = { 0x01, 0x01, 0x1e, 0x01 };
	static const uint8_t past_end[] = { 0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1 };
	static const uint8_t no_len_byte[] = { 0x01, 0x01, 0x01, 0x02 };
	static const uint8_t unknown_past[] = { 0xfe, 0x09, 0, 0, 0, 0, 0, 0 };

	check_malformed(len0, sizeof(len0), true);
	check_malformed(len1, sizeof(len1), true);
	check_malformed(past_end, sizeof(past_end), false);
	check_malformed(no_len_byte, sizeof(no_len_byte), true);
	check_malformed(unknown_past, sizeof(unknown_past), false);
	/* A valid MSS cut short by len: the length byte says 4, 3 remain. */
	check_malformed((const uint8_t *)"\x02\x04\x05\xb4", 3, true);
}

static void
test_parse_malformed_fixed_lengths(void)
{
	static const uint8_t mss3[] = { 0x02, 0x03, 0x05, 0x01 };
	static const uint8_t mss6[] = {
		0x02, 0x06, 0x05, 0xb4, 0x00, 0x00, 0x01, 0x01 };
	static const uint8_t ws4[] = { 0x03, 0x04, 0x07, 0x00 };
	static const uint8_t sackok3[] = { 0x04, 0x03, 0x00, 0x01 };
	static const uint8_t ts8[] = { 0x08, 0x08, 0, 0, 0, 1, 0, 2 };
	static const uint8_t sack2[] = { 0x01, 0x01, 0x05, 0x02 };
	static const uint8_t sack9[] = { 0x05, 0x09, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0 };
	uint8_t sack5[44] = { 0x01, 0x01, 0x05, 42 };

	check_malformed(mss3, sizeof(mss3), true);
	check_malformed(mss6, sizeof(mss6), true);
	check_malformed(ws4, sizeof(ws4), true);
	check_malformed(sackok3, sizeof(sackok3), true);
	check_malformed(ts8, sizeof(ts8), true);
	check_malformed(sack2, sizeof(sack2), false);
	check_malformed(sack9, sizeof(sack9), false);
	/* 5 blocks can't be in a real header; the parser refuses them even
	 * when given a longer area. */
	check_malformed(sack5, sizeof(sack5), false);
	/* Lengths are checked even where the option would be ignored. */
	check_malformed(mss3, sizeof(mss3), false);
	check_malformed(sack9, sizeof(sack9), true);
}

/* ---- building ---- */

static const uint8_t linux_syn[] = {
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07 };

static const struct dpx_tcp_opts linux_syn_opts = {
	.present = DPX_TCPOPT_MSS | DPX_TCPOPT_SACK_PERM | DPX_TCPOPT_TS |
		   DPX_TCPOPT_WSCALE,
	.mss = 1460, .wscale = 7, .ts_val = 0x01020304u, .ts_ecr = 0,
};

static void
test_build_linux_syn_bytes(void)
{
	uint8_t buf[40];

	CHECK_EQ(dpx_tcp_opts_build(&linux_syn_opts, true, buf, sizeof(buf)), 20);
	CHECK(memcmp(buf, linux_syn, sizeof(linux_syn)) == 0);
}

static void
test_build_syn_partial_layouts(void)
{
	static const uint8_t no_ts[] = {
		0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02,
		0x01, 0x03, 0x03, 0x07 };
	static const uint8_t no_sackok[] = {
		0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x08, 0x0a,
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x03, 0x03, 0x07 };
	struct dpx_tcp_opts o = linux_syn_opts;
	uint8_t buf[40];

	o.present &= (uint8_t)~DPX_TCPOPT_TS;
	CHECK_EQ(dpx_tcp_opts_build(&o, true, buf, sizeof(buf)), sizeof(no_ts));
	CHECK(memcmp(buf, no_ts, sizeof(no_ts)) == 0);

	o = linux_syn_opts;
	o.present &= (uint8_t)~DPX_TCPOPT_SACK_PERM;
	CHECK_EQ(dpx_tcp_opts_build(&o, true, buf, sizeof(buf)), sizeof(no_sackok));
	CHECK(memcmp(buf, no_sackok, sizeof(no_sackok)) == 0);
}

static void
test_build_data_bytes(void)
{
	uint8_t want[64];
	unsigned want_len = make_ts_sack_area(want, 2, true);
	struct dpx_tcp_opts o = {
		.present = DPX_TCPOPT_TS | DPX_TCPOPT_SACK,
		.ts_val = 7, .ts_ecr = 9, .n_sack = 2,
		.sack = { { 1001, 1500 }, { 2001, 2500 } },
	};
	uint8_t buf[40];

	CHECK_EQ(dpx_tcp_opts_build(&o, false, buf, sizeof(buf)), want_len);
	CHECK(memcmp(buf, want, want_len) == 0);
}

static void
test_build_nothing(void)
{
	struct dpx_tcp_opts o = { 0 };
	uint8_t buf[1] = { GUARD };

	CHECK_EQ(dpx_tcp_opts_build(&o, true, buf, 0), 0);
	CHECK_EQ(dpx_tcp_opts_build(&o, false, buf, 0), 0);
	/* SYN-only options on a data segment are left out. */
	o.present = DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE | DPX_TCPOPT_SACK_PERM;
	CHECK_EQ(dpx_tcp_opts_build(&o, false, buf, 0), 0);
	CHECK_EQ(buf[0], GUARD);
}

static void
test_build_invalid_sack_count(void)
{
	struct dpx_tcp_opts o = { .present = DPX_TCPOPT_SACK, .n_sack = 0 };
	uint8_t buf[40];

	CHECK_EQ(dpx_tcp_opts_build(&o, false, buf, sizeof(buf)), -1);
	o.n_sack = DPX_TCP_MAX_SACK + 1;
	CHECK_EQ(dpx_tcp_opts_build(&o, false, buf, sizeof(buf)), -1);
	/* On a SYN the SACK bit is ignored, so the count doesn't matter. */
	CHECK_EQ(dpx_tcp_opts_build(&o, true, buf, sizeof(buf)), 0);
}

/* Every cap below the needed size fails without touching buf[cap..]. */
static void
check_cap_boundary(const struct dpx_tcp_opts *o, bool is_syn, int need)
{
	uint8_t buf[48];

	for (int cap = 0; cap <= need; cap++) {
		int ret;

		memset(buf, GUARD, sizeof(buf));
		ret = dpx_tcp_opts_build(o, is_syn, buf, (unsigned)cap);
		CHECK_EQ(ret, cap < need ? -1 : need);
		for (unsigned i = (unsigned)cap; i < sizeof(buf); i++)
			CHECK_EQ(buf[i], GUARD);
	}
}

static void
test_build_cap_too_small(void)
{
	struct dpx_tcp_opts data = {
		.present = DPX_TCPOPT_TS | DPX_TCPOPT_SACK, .n_sack = 3,
		.sack = { { 1, 2 }, { 3, 4 }, { 5, 6 } },
	};

	check_cap_boundary(&linux_syn_opts, true, 20);
	check_cap_boundary(&data, false, 12 + 4 + 24);
}

/* ---- round trips ---- */

static void
fill_opts(struct dpx_tcp_opts *o, uint8_t present, unsigned n_sack,
	  unsigned seed)
{
	memset(o, 0, sizeof(*o));
	o->present = present;
	o->mss = (uint16_t)(536 + seed * 97);
	o->wscale = (uint8_t)(seed % 15);
	o->ts_val = 0x9e3779b9u * (seed + 1);
	o->ts_ecr = 0x85ebca6bu * (seed + 3);
	o->n_sack = (uint8_t)n_sack;
	for (unsigned i = 0; i < n_sack; i++) {
		o->sack[i].start = 0xfffff000u + seed * 131 + i * 4096;
		o->sack[i].end = o->sack[i].start + 1448 * (i + 1);
	}
}

/* What parse(build(o)) must give back. */
static void
expected_round_trip(const struct dpx_tcp_opts *o, bool is_syn,
		    struct dpx_tcp_opts *want)
{
	uint8_t keep = is_syn ? DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE |
				DPX_TCPOPT_SACK_PERM | DPX_TCPOPT_TS :
				DPX_TCPOPT_TS | DPX_TCPOPT_SACK;
	unsigned room = (o->present & DPX_TCPOPT_TS) ? 3 : 4;

	memset(want, 0, sizeof(*want));
	want->present = o->present & keep;
	if (want->present & DPX_TCPOPT_MSS)
		want->mss = o->mss;
	if (want->present & DPX_TCPOPT_WSCALE)
		want->wscale = o->wscale;
	if (want->present & DPX_TCPOPT_TS) {
		want->ts_val = o->ts_val;
		want->ts_ecr = o->ts_ecr;
	}
	if (want->present & DPX_TCPOPT_SACK) {
		want->n_sack = (uint8_t)(o->n_sack < room ? o->n_sack : room);
		memcpy(want->sack, o->sack, want->n_sack * sizeof(o->sack[0]));
	}
}

static void
check_round_trip(const struct dpx_tcp_opts *o, bool is_syn)
{
	uint8_t buf[DPX_TCP_MAX_OPT_LEN];
	struct dpx_tcp_opts got, want;
	int n = dpx_tcp_opts_build(o, is_syn, buf, sizeof(buf));

	CHECK(n >= 0 && n % 4 == 0 && n <= DPX_TCP_MAX_OPT_LEN);
	if (n < 0)
		return;
	CHECK_EQ(dpx_tcp_opts_parse(buf, (unsigned)n, is_syn, &got), 0);
	expected_round_trip(o, is_syn, &want);
	CHECK_EQ(got.present, want.present);
	CHECK_EQ(got.mss, want.mss);
	CHECK_EQ(got.wscale, want.wscale);
	CHECK_EQ(got.ts_val, want.ts_val);
	CHECK_EQ(got.ts_ecr, want.ts_ecr);
	CHECK_EQ(got.n_sack, want.n_sack);
	CHECK(memcmp(got.sack, want.sack, sizeof(got.sack)) == 0);
}

static void
test_round_trips(void)
{
	struct dpx_tcp_opts o;
	unsigned seed = 0;

	for (unsigned present = 0; present < 32; present++) {
		for (unsigned n_sack = 1; n_sack <= DPX_TCP_MAX_SACK; n_sack++) {
			fill_opts(&o, (uint8_t)present, n_sack, seed++);
			check_round_trip(&o, true);
			check_round_trip(&o, false);
		}
	}
}

static void
test_round_trip_extremes(void)
{
	struct dpx_tcp_opts o = {
		.present = DPX_TCPOPT_MSS | DPX_TCPOPT_WSCALE |
			   DPX_TCPOPT_SACK_PERM | DPX_TCPOPT_TS,
		.mss = 0xffff, .wscale = 0xff,
		.ts_val = 0xffffffffu, .ts_ecr = 0xffffffffu,
	};

	check_round_trip(&o, true);
	o.mss = 0;
	o.wscale = 0;
	o.ts_val = 0;
	o.ts_ecr = 0;
	check_round_trip(&o, true);
}

int
main(void)
{
	RUN_TEST(test_parse_linux_syn);
	RUN_TEST(test_parse_linux_syn_ack);
	RUN_TEST(test_parse_windows_syn);
	RUN_TEST(test_parse_data_ts);
	RUN_TEST(test_parse_sack_blocks);
	RUN_TEST(test_parse_empty_and_padding);
	RUN_TEST(test_parse_eol_in_middle);
	RUN_TEST(test_parse_unknown_kinds_skipped);
	RUN_TEST(test_parse_syn_only_options_ignored);
	RUN_TEST(test_parse_sack_on_syn_ignored);
	RUN_TEST(test_parse_odd_values_reported);
	RUN_TEST(test_parse_duplicates_last_wins);
	RUN_TEST(test_parse_malformed_lengths);
	RUN_TEST(test_parse_malformed_fixed_lengths);
	RUN_TEST(test_build_linux_syn_bytes);
	RUN_TEST(test_build_syn_partial_layouts);
	RUN_TEST(test_build_data_bytes);
	RUN_TEST(test_build_nothing);
	RUN_TEST(test_build_invalid_sack_count);
	RUN_TEST(test_build_cap_too_small);
	RUN_TEST(test_round_trips);
	RUN_TEST(test_round_trip_extremes);
	return TEST_SUMMARY();
}
