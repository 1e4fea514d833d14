/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/tcp: the TCP options area (RFC 9293 §3.2) of a segment,
 * parsed into and built from struct dpx_tcp_opts. Handles MSS (RFC 9293),
 * window scale and timestamps (RFC 7323), SACK-permitted and SACK blocks
 * (RFC 2018). Plain C, no DPDK: the unit test and fuzzer link it alone.
 * Parsing never reads outside [p, p + len); building never writes outside
 * [buf, buf + cap).
 */
#ifndef DPX_TCP_OPTIONS_H
#define DPX_TCP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* Room for options in a TCP header: data offset 15 words minus 5. */
#define DPX_TCP_MAX_OPT_LEN 40
/* Most SACK blocks one option can carry: 2 + 8 * 4 = 34 <= 40. */
#define DPX_TCP_MAX_SACK 4

/* Bits of dpx_tcp_opts.present. */
#define DPX_TCPOPT_MSS       0x01
#define DPX_TCPOPT_WSCALE    0x02
#define DPX_TCPOPT_SACK_PERM 0x04
#define DPX_TCPOPT_TS        0x08
#define DPX_TCPOPT_SACK      0x10

struct dpx_tcp_sack_block {
	uint32_t start, end;     /* host order */
};

/* A field is meaningful only when its bit is set in present; the parser
 * leaves absent fields zero. */
struct dpx_tcp_opts {
	uint8_t present;         /* DPX_TCPOPT_* bits */
	uint16_t mss;            /* as received, 0 included: the stack clamps */
	uint8_t wscale;          /* as received; clamp to 14 (RFC 7323 §2.3) */
	uint32_t ts_val, ts_ecr;
	uint8_t n_sack;          /* 1..DPX_TCP_MAX_SACK when SACK is present */
	struct dpx_tcp_sack_block sack[DPX_TCP_MAX_SACK];
};

/*
 * Parse the options area: the bytes after the 20-byte TCP header,
 * len = doff * 4 - 20. Fills *out and returns 0, or returns -1 (and zeroes
 * *out) when the area is malformed, which the caller drops and counts:
 *  - an option other than EOL/NOP without its length byte, or with a
 *    length < 2 or running past len;
 *  - a known kind with a wrong length: MSS 4, WS 3, SACK_PERM 2, TS 10,
 *    SACK 2 + 8n with 1 <= n <= 4. Lengths are checked even where the
 *    option is then ignored, since a bad length is a broken sender.
 * EOL ends parsing (what follows is padding); NOP is skipped; unknown kinds
 * are skipped by their length. MSS, WS and SACK_PERM count only when is_syn
 * (RFC 9293, RFC 7323) and SACK only when !is_syn: otherwise ignored.
 * TS counts on any segment. A repeated option: the last one wins.
 * MSS 0 and WS > 14 are reported as received; the stack decides.
 */
int dpx_tcp_opts_parse(const uint8_t *p, unsigned len, bool is_syn,
		       struct dpx_tcp_opts *out);

/*
 * Write the options *o asks for into buf (capacity cap) and return the
 * number of bytes written, a multiple of 4 (NOP padded) and at most
 * DPX_TCP_MAX_OPT_LEN, or -1 when they don't fit in cap or *o is invalid
 * (SACK with n_sack outside 1..DPX_TCP_MAX_SACK on a non-SYN); buf
 * contents are then unspecified. Layouts follow Linux, which middleboxes
 * know best:
 *  SYN: MSS(4) SACK_PERM(2) TS(10) NOP WS(3) - 20 bytes with all four;
 *       without SACK_PERM, NOP NOP TS; without TS, NOP NOP SACK_PERM.
 *       The SACK bit is ignored.
 *  other segments: NOP NOP TS(10), then NOP NOP SACK(2 + 8n). MSS, WS and
 *       SACK_PERM bits are ignored. SACK sends the first blocks that fit
 *       in 40 bytes (3 with TS, 4 without), so put the newest block first
 *       (RFC 2018 §4).
 */
int dpx_tcp_opts_build(const struct dpx_tcp_opts *o, bool is_syn,
		       uint8_t *buf, unsigned cap);

#endif /* DPX_TCP_OPTIONS_H */
