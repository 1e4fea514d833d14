/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum (RFC 1071) over a buffer, 8 bytes per step. The
 * one's complement sum of 64-bit words folded to 16 bits equals that of
 * 16-bit words (2^16 - 1 divides 2^64 - 1), so a wide accumulator with
 * end-around carry gives the same result as DPDK's rte_raw_cksum(), which
 * adds 16 bits at a time: TCP sums every payload byte it sends and
 * receives on ports without checksum offload (AF_XDP, memif), so this
 * loop is on the per-request path.
 */
#include <string.h>

#include <rte_mbuf_dyn.h>

#include "dpx_net.h"

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#ifdef __x86_64__
/* An add-with-carry chain, 64 bytes a step: the compiler's intrinsic
 * keeps the accumulator in memory, so the chain is written out. */
static uint64_t
sum64(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;

	for (; len >= 64; p += 64, len -= 64)
		__asm__("addq 0(%[p]), %[a]\n\t"
			"adcq 8(%[p]), %[a]\n\t"
			"adcq 16(%[p]), %[a]\n\t"
			"adcq 24(%[p]), %[a]\n\t"
			"adcq 32(%[p]), %[a]\n\t"
			"adcq 40(%[p]), %[a]\n\t"
			"adcq 48(%[p]), %[a]\n\t"
			"adcq 56(%[p]), %[a]\n\t"
			"adcq $0, %[a]"
			: [a] "+r" (acc)
			: [p] "r" (p), "m" (*(const uint8_t (*)[64])p)
			: "cc");
	for (; len >= 8; p += 8, len -= 8)
		__asm__("addq %[v], %[a]\n\t"
			"adcq $0, %[a]"
			: [a] "+r" (acc)
			: [v] "rm" (load64(p))
			: "cc");
	if (len > 0) {
		uint64_t t = 0;

		/* The odd byte lands where rte_raw_cksum puts it. */
		memcpy(&t, p, len);
		__asm__("addq %[v], %[a]\n\t"
			"adcq $0, %[a]"
			: [a] "+r" (acc)
			: [v] "r" (t)
			: "cc");
	}
	return acc;
}
#else
/* Portable: 32-bit words into a 64-bit sum (no carry lost below 16 GB). */
static uint64_t
sum64(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;
	uint32_t w;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, sizeof(w));
		acc += w;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, p, len);
		acc += w;
	}
	return acc;
}
#endif

uint16_t
dpx_cksum(const void *buf, size_t len)
{
	uint64_t s = sum64(buf, len);

	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Known sums of mbuf data. Set once by dpx_mbuf_sum_init() before workers
 * start, read-only afterwards: -1 and 0 while unregistered (then nothing is
 * ever known and every sum is computed).
 */
static int sum_off = -1;
static uint64_t sum_flag;

struct mbuf_sum {
	uint16_t data_off;      /* the view the sum is of */
	uint16_t data_len;
	uint16_t sum;
	uint16_t pad;
};

int
dpx_mbuf_sum_init(void)
{
	static const struct rte_mbuf_dynfield field = {
		.name = "dpx_dynfield_data_sum",
		.size = sizeof(struct mbuf_sum),
		.align = __alignof__(struct mbuf_sum),
	};
	static const struct rte_mbuf_dynflag flag = {
		.name = "dpx_dynflag_data_sum",
	};
	int off = rte_mbuf_dynfield_register(&field);
	int bit = rte_mbuf_dynflag_register(&flag);

	if (off < 0 || bit < 0)
		return -1;
	sum_off = off;
	sum_flag = UINT64_C(1) << bit;
	return 0;
}

void
dpx_mbuf_sum_set(struct rte_mbuf *m, uint16_t sum)
{
	struct mbuf_sum *r;

	if (sum_off < 0)
		return;
	r = RTE_MBUF_DYNFIELD(m, sum_off, struct mbuf_sum *);
	r->data_off = m->data_off;
	r->data_len = m->data_len;
	r->sum = sum;
	m->ol_flags |= sum_flag;
}

void
dpx_mbuf_sum_clear(struct rte_mbuf *m)
{
	m->ol_flags &= ~sum_flag;
}

bool
dpx_mbuf_sum_get(const struct rte_mbuf *m, uint16_t *sum)
{
	const struct mbuf_sum *r;

	if (!(m->ol_flags & sum_flag) || sum_flag == 0)
		return false;
	r = RTE_MBUF_DYNFIELD(m, sum_off, const struct mbuf_sum *);
	if (r->data_off != m->data_off || r->data_len != m->data_len)
		return false;
	*sum = r->sum;
	return true;
}

uint16_t
dpx_cksum_sub(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + (uint16_t)~b;

	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

struct cksum_pseudo {
	rte_be32_t src;
	rte_be32_t dst;
	uint8_t zero;
	uint8_t proto;
	rte_be16_t len;
} __rte_packed;

uint16_t
dpx_cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	struct cksum_pseudo ph = {
		.src = rte_cpu_to_be_32(src),
		.dst = rte_cpu_to_be_32(dst),
		.proto = proto,
		.len = rte_cpu_to_be_16(len),
	};

	return dpx_cksum(&ph, sizeof(ph));
}

/* Not rte_raw_cksum_mbuf(): in DPDK 22.11 it byte-swaps a segment's
 * unfolded 32-bit sum truncated to 16 bits when the segment starts at an
 * odd offset, losing the carries, so zero-copy chains (payload pieces of
 * odd length) got bad checksums. */
uint16_t
dpx_cksum_chain(const struct rte_mbuf *m)
{
	uint32_t sum = 0, done = 0;

	for (; m != NULL; m = m->next) {
		uint16_t part;

		/* Forwarded payload: summed when it arrived. */
		if (!dpx_mbuf_sum_get(m, &part))
			part = dpx_cksum(rte_pktmbuf_mtod(m, const void *),
					 m->data_len);
		sum += done & 1 ? rte_bswap16(part) : part;
		done += m->data_len;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
