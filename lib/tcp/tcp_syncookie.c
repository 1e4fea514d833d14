/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies (RFC 4987 3.6): when a listener's SYN backlog is full (or
 * always, if configured) dpx answers a SYN without keeping any state; the
 * connection is created when the final ACK proves the peer got our ISN.
 *
 * ISN = t (5 bits, 64 s units) | MSS index (3 bits) | keyed hash (24 bits)
 * over the 4-tuple and t. A cookie is valid for up to two minutes. Window
 * scale and SACK, which the ISN has no room for, ride in the low six bits
 * of our timestamp value when the peer uses timestamps (echoed back to us
 * in its ACK); without timestamps they are lost, as with every SYN cookie.
 */
#include <rte_jhash.h>

#include "tcp_priv.h"

#define COOKIE_PERIOD_MS 64000
#define COOKIE_MAX_AGE 2
#define COOKIE_TS_BITS 6
#define COOKIE_TS_NO_WSCALE 0xf

static const uint16_t cookie_mss[8] = {
	536, 1200, 1360, 1400, 1440, 1460, 4312, 8960,
};

static uint32_t
cookie_hash(const struct dpx_tcp_worker *tw, const struct tcp_key *k,
	    uint32_t t)
{
	return rte_jhash_3words(k->raddr ^ tw->isn_secret[1], k->laddr,
				((uint32_t)k->rport << 16) | k->lport,
				t ^ tw->isn_secret[2]) & 0xffffff;
}

static uint32_t
cookie_period(const struct dpx_tcp_worker *tw)
{
	return (uint32_t)(tw->now / COOKIE_PERIOD_MS);
}

uint32_t
tcp_syncookie_isn(const struct dpx_tcp_worker *tw, const struct tcp_key *k,
		  uint16_t mss)
{
	uint32_t t = cookie_period(tw), idx = 0;

	/* The largest table MSS not above what both sides can do. */
	for (uint32_t i = 0; i < RTE_DIM(cookie_mss); i++)
		if (cookie_mss[i] <= mss)
			idx = i;
	return (t & 0x1f) << 27 | idx << 24 | cookie_hash(tw, k, t);
}

int
tcp_syncookie_check(const struct dpx_tcp_worker *tw, const struct tcp_key *k,
		    uint32_t isn, uint16_t *mss)
{
	uint32_t now = cookie_period(tw);

	for (uint32_t age = 0; age <= COOKIE_MAX_AGE; age++) {
		uint32_t t = now - age;

		if ((t & 0x1f) != isn >> 27 ||
		    cookie_hash(tw, k, t) != (isn & 0xffffff))
			continue;
		*mss = cookie_mss[(isn >> 24) & 7];
		return 0;
	}
	return -1;
}

uint32_t
tcp_syncookie_ts(const struct dpx_tcp_worker *tw, int wscale, bool sack)
{
	/* In the past, so later timestamps never run backwards. */
	uint32_t ts = (tcp_ts_now(tw) - (1u << COOKIE_TS_BITS)) &
		      ~((1u << COOKIE_TS_BITS) - 1);

	return ts | (wscale < 0 ? COOKIE_TS_NO_WSCALE : (uint32_t)wscale) |
	       (sack ? 0x10 : 0);
}

void
tcp_syncookie_ts_decode(uint32_t ts_ecr, int *wscale, bool *sack)
{
	uint32_t ws = ts_ecr & 0xf;

	*wscale = ws == COOKIE_TS_NO_WSCALE ? -1 : (int)RTE_MIN(ws, 14u);
	*sack = ts_ecr & 0x10;
}
