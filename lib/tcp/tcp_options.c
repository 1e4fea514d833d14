/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP options: parsing is a bounds-checked walk over (kind, length, value)
 * entries; building writes through a cursor that refuses to pass cap.
 */
#include <string.h>

#include "tcp_options.h"

/* Option kinds (IANA "TCP Option Kind Numbers"). */
#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WSCALE    3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK      5
#define TCPOPT_TS        8

#define TCPOLEN_MSS       4
#define TCPOLEN_WSCALE    3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS        10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8

/* ---- parsing ---- */

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Blocks in a SACK option of length olen, or 0 if olen is not 2 + 8n
 * with 1 <= n <= DPX_TCP_MAX_SACK. */
static unsigned
sack_blocks_for_len(unsigned olen)
{
	unsigned body = olen - TCPOLEN_SACK_BASE;

	if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK ||
	    body % TCPOLEN_SACK_BLOCK != 0 ||
	    body / TCPOLEN_SACK_BLOCK > DPX_TCP_MAX_SACK)
		return 0;
	return body / TCPOLEN_SACK_BLOCK;
}

/* Length an option of this kind must have; 0 for kinds with no fixed
 * length (SACK, unknown). */
static unsigned
fixed_len(uint8_t kind)
{
	switch (kind) {
	case TCPOPT_MSS:       return TCPOLEN_MSS;
	case TCPOPT_WSCALE:    return TCPOLEN_WSCALE;
	case TCPOPT_SACK_PERM: return TCPOLEN_SACK_PERM;
	case TCPOPT_TS:        return TCPOLEN_TS;
	default:               return 0;
	}
}

static bool
option_len_valid(uint8_t kind, unsigned olen)
{
	unsigned want = fixed_len(kind);

	if (want != 0)
		return olen == want;
	if (kind == TCPOPT_SACK)
		return sack_blocks_for_len(olen) != 0;
	return true; /* unknown kind: any length >= 2 (checked by the caller) */
}

static void
store_sack(const uint8_t *opt, unsigned olen, struct dpx_tcp_opts *out)
{
	unsigned n = sack_blocks_for_len(olen);
	const uint8_t *b = opt + TCPOLEN_SACK_BASE;

	for (unsigned i = 0; i < n; i++, b += TCPOLEN_SACK_BLOCK) {
		out->sack[i].start = get_be32(b);
		out->sack[i].end = get_be32(b + 4);
	}
	/* A repeated SACK option replaces the earlier one entirely. */
	for (unsigned i = n; i < DPX_TCP_MAX_SACK; i++)
		out->sack[i] = (struct dpx_tcp_sack_block){ 0, 0 };
	out->n_sack = (uint8_t)n;
	out->present |= DPX_TCPOPT_SACK;
}

/* Record one option whose length has been validated. Options outside
 * the segment type they belong to are dropped silently: a peer may send
 * them and RFC 9293 / RFC 7323 say to ignore them. */
static void
store_option(const uint8_t *opt, unsigned olen, bool is_syn,
	     struct dpx_tcp_opts *out)
{
	switch (opt[0]) {
	case TCPOPT_MSS:
		if (is_syn) {
			out->mss = get_be16(opt + 2);
			out->present |= DPX_TCPOPT_MSS;
		}
		break;
	case TCPOPT_WSCALE:
		if (is_syn) {
			out->wscale = opt[2];
			out->present |= DPX_TCPOPT_WSCALE;
		}
		break;
	case TCPOPT_SACK_PERM:
		if (is_syn)
			out->present |= DPX_TCPOPT_SACK_PERM;
		break;
	case TCPOPT_TS:
		out->ts_val = get_be32(opt + 2);
		out->ts_ecr = get_be32(opt + 6);
		out->present |= DPX_TCPOPT_TS;
		break;
	case TCPOPT_SACK:
		if (!is_syn)
			store_sack(opt, olen, out);
		break;
	default:
		break; /* unknown kind: skipped */
	}
}

/* Walk the area; returns -1 at the first malformed entry. */
static int
parse_area(const uint8_t *p, unsigned len, bool is_syn,
	   struct dpx_tcp_opts *out)
{
	unsigned off = 0;

	while (off < len) {
		uint8_t kind = p[off];
		unsigned olen;

		if (kind == TCPOPT_EOL)
			return 0;
		if (kind == TCPOPT_NOP) {
			off++;
			continue;
		}
		if (len - off < 2)
			return -1; /* no room for the length byte */
		olen = p[off + 1];
		if (olen < 2 || olen > len - off)
			return -1;
		if (!option_len_valid(kind, olen))
			return -1;
		store_option(p + off, olen, is_syn, out);
		off += olen;
	}
	return 0;
}

/* NOP NOP TS(10): almost every segment of an established connection
 * carries exactly this (RFC 7323 Appendix A layout). */
static bool
is_aligned_ts(const uint8_t *p, unsigned len)
{
	return len == 12 && p[0] == TCPOPT_NOP && p[1] == TCPOPT_NOP &&
	       p[2] == TCPOPT_TS && p[3] == TCPOLEN_TS;
}

int
dpx_tcp_opts_parse(const uint8_t *p, unsigned len, bool is_syn,
		   struct dpx_tcp_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (is_aligned_ts(p, len)) {
		out->present = DPX_TCPOPT_TS;
		out->ts_val = get_be32(p + 4);
		out->ts_ecr = get_be32(p + 8);
		return 0;
	}
	if (parse_area(p, len, is_syn, out) != 0) {
		/* Don't leave half-parsed values for a careless caller. */
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* ---- building ---- */

/* Output cursor: writes past cap are refused and remembered, so the
 * layout code below needs no size arithmetic of its own. */
struct opt_writer {
	uint8_t *buf;
	unsigned cap;
	unsigned len;
	bool overflow;
};

static void
put_u8(struct opt_writer *w, uint8_t v)
{
	if (w->len >= w->cap) {
		w->overflow = true;
		return;
	}
	w->buf[w->len++] = v;
}

static void
put_be16(struct opt_writer *w, uint16_t v)
{
	put_u8(w, (uint8_t)(v >> 8));
	put_u8(w, (uint8_t)v);
}

static void
put_be32(struct opt_writer *w, uint32_t v)
{
	put_be16(w, (uint16_t)(v >> 16));
	put_be16(w, (uint16_t)v);
}

/* Two leading bytes, then TS: "NOP NOP" normally, or SACK_PERM folded in
 * on a SYN so the TS values stay 4-byte aligned (Linux does the same). */
static void
put_ts(struct opt_writer *w, const struct dpx_tcp_opts *o, bool sack_perm)
{
	if (sack_perm) {
		put_u8(w, TCPOPT_SACK_PERM);
		put_u8(w, TCPOLEN_SACK_PERM);
	} else {
		put_u8(w, TCPOPT_NOP);
		put_u8(w, TCPOPT_NOP);
	}
	put_u8(w, TCPOPT_TS);
	put_u8(w, TCPOLEN_TS);
	put_be32(w, o->ts_val);
	put_be32(w, o->ts_ecr);
}

/* MSS(4) [SACK_PERM(2) | NOP NOP] TS(10) NOP WS(3): Linux's SYN layout. */
static void
build_syn(struct opt_writer *w, const struct dpx_tcp_opts *o)
{
	bool sack_perm = o->present & DPX_TCPOPT_SACK_PERM;

	if (o->present & DPX_TCPOPT_MSS) {
		put_u8(w, TCPOPT_MSS);
		put_u8(w, TCPOLEN_MSS);
		put_be16(w, o->mss);
	}
	if (o->present & DPX_TCPOPT_TS) {
		put_ts(w, o, sack_perm);
	} else if (sack_perm) {
		put_u8(w, TCPOPT_NOP);
		put_u8(w, TCPOPT_NOP);
		put_u8(w, TCPOPT_SACK_PERM);
		put_u8(w, TCPOLEN_SACK_PERM);
	}
	if (o->present & DPX_TCPOPT_WSCALE) {
		put_u8(w, TCPOPT_NOP);
		put_u8(w, TCPOPT_WSCALE);
		put_u8(w, TCPOLEN_WSCALE);
		put_u8(w, o->wscale);
	}
}

/* NOP NOP SACK with as many of the first blocks as the 40-byte option
 * space still holds (RFC 2018 §3: 3 with TS, 4 without). */
static void
put_sack(struct opt_writer *w, const struct dpx_tcp_opts *o)
{
	unsigned room = (DPX_TCP_MAX_OPT_LEN - w->len - 2 - TCPOLEN_SACK_BASE) /
			TCPOLEN_SACK_BLOCK;
	unsigned n = o->n_sack < room ? o->n_sack : room;

	put_u8(w, TCPOPT_NOP);
	put_u8(w, TCPOPT_NOP);
	put_u8(w, TCPOPT_SACK);
	put_u8(w, (uint8_t)(TCPOLEN_SACK_BASE + n * TCPOLEN_SACK_BLOCK));
	for (unsigned i = 0; i < n; i++) {
		put_be32(w, o->sack[i].start);
		put_be32(w, o->sack[i].end);
	}
}

/* NOP NOP TS(10) NOP NOP SACK(2 + 8n): Linux's established layout. */
static void
build_data(struct opt_writer *w, const struct dpx_tcp_opts *o)
{
	if (o->present & DPX_TCPOPT_TS)
		put_ts(w, o, false);
	if (o->present & DPX_TCPOPT_SACK)
		put_sack(w, o);
}

static bool
sack_request_valid(const struct dpx_tcp_opts *o, bool is_syn)
{
	if (is_syn || !(o->present & DPX_TCPOPT_SACK))
		return true;
	return o->n_sack >= 1 && o->n_sack <= DPX_TCP_MAX_SACK;
}

int
dpx_tcp_opts_build(const struct dpx_tcp_opts *o, bool is_syn,
		   uint8_t *buf, unsigned cap)
{
	struct opt_writer w = {
		.buf = buf,
		.cap = cap < DPX_TCP_MAX_OPT_LEN ? cap : DPX_TCP_MAX_OPT_LEN,
	};

	if (!sack_request_valid(o, is_syn))
		return -1;
	/* The established-connection case, written in one go (the same
	 * bytes build_data() writes). */
	if (!is_syn && o->present == DPX_TCPOPT_TS && cap >= 12) {
		buf[0] = TCPOPT_NOP;
		buf[1] = TCPOPT_NOP;
		buf[2] = TCPOPT_TS;
		buf[3] = TCPOLEN_TS;
		for (unsigned i = 0; i < 4; i++) {
			buf[4 + i] = (uint8_t)(o->ts_val >> (24 - 8 * i));
			buf[8 + i] = (uint8_t)(o->ts_ecr >> (24 - 8 * i));
		}
		return 12;
	}
	if (is_syn)
		build_syn(&w, o);
	else
		build_data(&w, o);
	/* The layouts above are already aligned; padding keeps the
	 * data offset exact should one change. */
	while (w.len % 4 != 0 && !w.overflow)
		put_u8(&w, TCPOPT_NOP);
	return w.overflow ? -1 : (int)w.len;
}
