/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The egress address choice itself (egress.h): no state but the caller's
 * round-robin cursor, so that unit tests build it alone.
 */
#include <stdio.h>

#include "egress.h"

#define FNV32_OFFSET 2166136261u
#define FNV32_PRIME 16777619u

static uint32_t
fnv1a_byte(uint32_t h, uint8_t b)
{
	return (h ^ b) * FNV32_PRIME;
}

static uint32_t
hash_client(uint32_t client)
{
	uint32_t h = FNV32_OFFSET;

	for (int shift = 24; shift >= 0; shift -= 8)
		h = fnv1a_byte(h, (uint8_t)(client >> shift));
	return h;
}

static uint32_t
hash_destination(const char *host, uint16_t port)
{
	char digits[8];
	uint32_t h = FNV32_OFFSET;

	for (const char *p = host; *p != '\0'; p++)
		h = fnv1a_byte(h, (uint8_t)(*p >= 'A' && *p <= 'Z' ?
					    *p + 32 : *p));
	snprintf(digits, sizeof(digits), ":%u", port);
	for (const char *p = digits; *p != '\0'; p++)
		h = fnv1a_byte(h, (uint8_t)*p);
	return h;
}

static unsigned int
next_round_robin(unsigned int n, uint32_t *rr)
{
	unsigned int i = *rr % n;

	*rr = i + 1 == n ? 0 : i + 1;
	return i;
}

unsigned int
px_egress_index(const struct dpx_egress_conf *eg,
		const struct px_egress_req *req, uint32_t *rr)
{
	unsigned int n = eg->n_addrs;

	switch (eg->policy) {
	case DPX_EGRESS_RANDOM:
		return (unsigned int)(req->random % n);
	case DPX_EGRESS_STICKY_CLIENT:
		return hash_client(req->client) % n;
	case DPX_EGRESS_STICKY_DEST:
		return hash_destination(req->host, req->port) % n;
	case DPX_EGRESS_PER_USER:
		for (unsigned int i = 0; i < n; i++)
			if (req->user_addr != 0 && eg->addrs[i] == req->user_addr)
				return i;
		return next_round_robin(n, rr);
	default:
		return next_round_robin(n, rr);
	}
}
