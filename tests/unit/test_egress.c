/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The egress address choice of forward listeners (lib/proxy/egress_pick.c):
 * round robin exactly balanced, sticky policies stable and as documented
 * (FNV-1a 32 modulo the number of addresses), random roughly even,
 * per_user with and without a user's address.
 */
#include <string.h>

#include "dpx_test.h"
#include "egress.h"

static struct dpx_egress_conf
three(enum dpx_egress_policy policy)
{
	return (struct dpx_egress_conf){
		.addrs = { 0xc612010au, 0xc612010bu, 0xc612010cu },
		.n_addrs = 3, .policy = policy };
}

static void
test_round_robin_exact(void)
{
	struct dpx_egress_conf eg = three(DPX_EGRESS_ROUND_ROBIN);
	struct px_egress_req req = { .client = 0xc6120002u, .host = "a",
				     .port = 80 };
	unsigned int count[3] = { 0, 0, 0 };
	uint32_t rr = 0;

	for (unsigned int i = 0; i < 3000; i++) {
		unsigned int k = px_egress_index(&eg, &req, &rr);

		CHECK(k < 3);
		CHECK_EQ(k, i % 3);
		if (k < 3)
			count[k]++;
	}
	CHECK_EQ(count[0], 1000);
	CHECK_EQ(count[1], 1000);
	CHECK_EQ(count[2], 1000);
	rr = 7;                         /* a cursor out of range wraps */
	CHECK_EQ(px_egress_index(&eg, &req, &rr), 1);
	CHECK_EQ(rr, 2);
}

/* The documented hash, computed here independently. */
static uint32_t
fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void
test_sticky_client(void)
{
	struct dpx_egress_conf eg = three(DPX_EGRESS_STICKY_CLIENT);
	struct px_egress_req req = { .host = "a", .port = 80 };
	uint32_t rr = 0;
	bool seen[3] = { false, false, false };

	for (uint32_t c = 0xc6120002u; c < 0xc6120002u + 64; c++) {
		const uint8_t be[4] = { (uint8_t)(c >> 24), (uint8_t)(c >> 16),
					(uint8_t)(c >> 8), (uint8_t)c };
		unsigned int k;

		req.client = c;
		k = px_egress_index(&eg, &req, &rr);
		CHECK_EQ(k, fnv1a(be, 4) % 3);
		for (int again = 0; again < 5; again++)
			CHECK_EQ(px_egress_index(&eg, &req, &rr), k);
		if (k < 3)
			seen[k] = true;
	}
	CHECK(seen[0] && seen[1] && seen[2]);
	CHECK_EQ(rr, 0);                /* sticky choices leave the cursor */
}

static void
test_sticky_destination(void)
{
	struct dpx_egress_conf eg = three(DPX_EGRESS_STICKY_DEST);
	struct px_egress_req req = { .client = 1, .port = 8080 };
	uint32_t rr = 0;
	const char *s = "origin.example:8080";

	req.host = "origin.example";
	CHECK_EQ(px_egress_index(&eg, &req, &rr),
		 fnv1a((const uint8_t *)s, strlen(s)) % 3);
	/* the client does not matter, the host's case does not either */
	req.client = 2;
	req.host = "Origin.EXAMPLE";
	CHECK_EQ(px_egress_index(&eg, &req, &rr),
		 fnv1a((const uint8_t *)s, strlen(s)) % 3);
	req.port = 8081;
	s = "origin.example:8081";
	CHECK_EQ(px_egress_index(&eg, &req, &rr),
		 fnv1a((const uint8_t *)s, strlen(s)) % 3);
}

static void
test_random(void)
{
	struct dpx_egress_conf eg = three(DPX_EGRESS_RANDOM);
	struct px_egress_req req = { .host = "a", .port = 80 };
	uint32_t rr = 0;

	for (uint64_t r = 0; r < 9; r++) {
		req.random = r * 0x9e3779b97f4a7c15ull;
		CHECK_EQ(px_egress_index(&eg, &req, &rr),
			 (unsigned int)(req.random % 3));
	}
}

static void
test_per_user(void)
{
	struct dpx_egress_conf eg = three(DPX_EGRESS_PER_USER);
	struct px_egress_req req = { .host = "a", .port = 80,
				     .user_addr = 0xc612010cu };
	uint32_t rr = 0;

	CHECK_EQ(px_egress_index(&eg, &req, &rr), 2);
	CHECK_EQ(px_egress_index(&eg, &req, &rr), 2);
	CHECK_EQ(rr, 0);
	req.user_addr = 0;              /* no user address: round robin */
	CHECK_EQ(px_egress_index(&eg, &req, &rr), 0);
	CHECK_EQ(px_egress_index(&eg, &req, &rr), 1);
	req.user_addr = 0xc6120163u;    /* not the listener's: the same */
	CHECK_EQ(px_egress_index(&eg, &req, &rr), 2);
	CHECK_EQ(rr, 0);
}

int
main(void)
{
	RUN_TEST(test_round_robin_exact);
	RUN_TEST(test_sticky_client);
	RUN_TEST(test_sticky_destination);
	RUN_TEST(test_random);
	RUN_TEST(test_per_user);
	return TEST_SUMMARY();
}
