/* SPDX-License-Identifier: BSD-3-Clause */
/* Log-linear latency histogram (see load.h): O(1) add, exact count,
 * min, max and mean, quantiles within 1/128 of the true value. */
#include <math.h>
#include <string.h>

#include "load.h"

void
load_hist_reset(struct load_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int
load_hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < LOAD_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - LOAD_HIST_SUB_BITS;
	/* v >> shift keeps the top SUB_BITS + 1 bits: SUB..2*SUB-1. */
	return (shift + 1) * LOAD_HIST_SUB +
	       (unsigned int)((v >> shift) - LOAD_HIST_SUB);
}

uint64_t
load_hist_bucket_lo(unsigned int idx)
{
	unsigned int shift;

	if (idx < LOAD_HIST_SUB)
		return idx;
	shift = idx / LOAD_HIST_SUB - 1;
	return (uint64_t)(idx % LOAD_HIST_SUB + LOAD_HIST_SUB) << shift;
}

uint64_t
load_hist_bucket_hi(unsigned int idx)
{
	unsigned int shift;

	if (idx < LOAD_HIST_SUB)
		return idx;
	shift = idx / LOAD_HIST_SUB - 1;
	return load_hist_bucket_lo(idx) + ((UINT64_C(1) << shift) - 1);
}

void
load_hist_add(struct load_hist *h, uint64_t v)
{
	h->buckets[load_hist_index(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
load_hist_merge(struct load_hist *dst, const struct load_hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned int i = 0; i < LOAD_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
load_hist_quantile(const struct load_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (!(q > 0))                   /* also NaN */
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (unsigned int i = 0; i < LOAD_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t v = load_hist_bucket_hi(i);

			return v > h->max ? h->max : v < h->min ? h->min : v;
		}
	}
	return h->max;
}
