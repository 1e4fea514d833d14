/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-only fault injection: this kernel has no netem, so loss, duplication,
 * reordering and delay are made here, on a port's RX or TX path, from a
 * seeded generator so that a failing run can be replayed.
 */
#include <rte_debug.h>
#include <rte_malloc.h>

#include "net_priv.h"

struct dpx_fault_state *
fault_state_new(const struct dpx_fault_dir *p, uint64_t seed,
		uint64_t delay_tsc, int socket)
{
	struct dpx_fault_state *st;

	st = rte_zmalloc_socket("dpx_fault", sizeof(*st), RTE_CACHE_LINE_SIZE,
				socket);
	if (st == NULL)
		return NULL;
	st->p = p;
	st->rng = seed ? seed : 1;
	st->delay_tsc = delay_tsc;
	return st;
}

void
fault_state_drain(struct dpx_fault_state *st)
{
	rte_pktmbuf_free(st->reorder_held);
	st->reorder_held = NULL;
	while (st->delay_count) {
		rte_pktmbuf_free(st->delay[st->delay_head].m);
		st->delay_head = (st->delay_head + 1) % DPX_FAULT_DELAY_SLOTS;
		st->delay_count--;
	}
}

void
fault_state_free(struct dpx_fault_state *st)
{
	if (st == NULL)
		return;
	fault_state_drain(st);
	rte_free(st);
}

/* xorshift64*: uniform in [0, 1). */
static double
fault_rand(struct dpx_fault_state *st)
{
	st->rng ^= st->rng >> 12;
	st->rng ^= st->rng << 25;
	st->rng ^= st->rng >> 27;
	return (double)((st->rng * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

static bool
fault_delay_push(struct dpx_fault_state *st, struct rte_mbuf *m, uint64_t now)
{
	uint32_t tail;

	if (st->delay_count == DPX_FAULT_DELAY_SLOTS)
		return false;
	tail = (st->delay_head + st->delay_count) % DPX_FAULT_DELAY_SLOTS;
	st->delay[tail].m = m;
	st->delay[tail].release = now + st->delay_tsc;
	st->delay_count++;
	return true;
}

unsigned int
fault_apply(struct dpx_fault_state *st, struct rte_mempool *mp,
	    struct dpx_port_stats *stats, uint64_t now, struct rte_mbuf **in,
	    unsigned int n, struct rte_mbuf **out, unsigned int cap)
{
	const struct dpx_fault_dir *p = st->p;
	unsigned int k = 0;

	/* Each packet yields at most two: cap >= 2 * n + 1 leaves room. */
	RTE_VERIFY(cap >= 2 * n + 1);
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i], *copy;
		double r = fault_rand(st);

		if (r < p->drop) {
			stats->drops[DPX_DROP_FAULT]++;
			rte_pktmbuf_free(m);
			continue;
		}
		r -= p->drop;
		if (r < p->duplicate) {
			/* A deep copy: the RX path rewrites packets in place. */
			copy = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
			if (copy != NULL) {
				out[k++] = copy;
				stats->fault_duplicated++;
			}
			out[k++] = m;
			continue;
		}
		r -= p->duplicate;
		if (r < p->reorder) {
			/* Hold m back; the packet held before goes out after
			 * the current one, so each hold swaps a pair. */
			struct rte_mbuf *prev = st->reorder_held;

			st->reorder_held = m;
			st->reorder_since = now;
			stats->fault_reordered++;
			if (prev != NULL)
				out[k++] = prev;
			continue;
		}
		r -= p->reorder;
		if (r < p->delay && fault_delay_push(st, m, now)) {
			stats->fault_delayed++;
			continue;
		}
		out[k++] = m;
		if (st->reorder_held != NULL) {
			out[k++] = st->reorder_held;
			st->reorder_held = NULL;
		}
	}
	return k;
}

unsigned int
fault_release(struct dpx_fault_state *st, uint64_t now,
	      struct rte_mbuf **out, unsigned int cap)
{
	unsigned int k = 0;

	while (st->delay_count && k < cap &&
	       now >= st->delay[st->delay_head].release) {
		out[k++] = st->delay[st->delay_head].m;
		st->delay_head = (st->delay_head + 1) % DPX_FAULT_DELAY_SLOTS;
		st->delay_count--;
	}
	/* A held packet with nothing behind it must not wait forever. */
	if (st->reorder_held != NULL && k < cap &&
	    now - st->reorder_since >= st->delay_tsc) {
		out[k++] = st->reorder_held;
		st->reorder_held = NULL;
	}
	return k;
}
