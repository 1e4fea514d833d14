/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte queues between the two TCP connections of a session. Payload
 * stays in the mbufs it arrived in: forwarding re-links segments, and a
 * split inside a segment (a body ending where the next request begins)
 * takes an indirect clone instead of copying.
 */
#include <errno.h>
#include <string.h>

#include "proxy_priv.h"

void
px_chain_add(struct px_chain *q, struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
		} else {
			if (q->tail)
				q->tail->next = m;
			else
				q->head = m;
			q->tail = m;
			q->len += m->data_len;
		}
		m = next;
	}
}

struct rte_mbuf *
px_chain_pop(struct px_chain *q)
{
	struct rte_mbuf *m = q->head;

	if (m == NULL)
		return NULL;
	q->head = m->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->len -= m->data_len;
	m->next = NULL;
	return m;
}

void
px_chain_free(struct px_chain *q)
{
	struct rte_mbuf *m;

	while ((m = px_chain_pop(q)) != NULL)
		rte_pktmbuf_free_seg(m);
}

void
px_chain_move(struct px_chain *from, struct px_chain *to)
{
	if (from->head == NULL)
		return;
	if (to->tail)
		to->tail->next = from->head;
	else
		to->head = from->head;
	to->tail = from->tail;
	to->len += from->len;
	from->head = from->tail = NULL;
	from->len = 0;
}

/* Keeps the known sum of a segment cut in two (see dpx_mbuf_sum_set()):
 * head is the sum of the first n bytes, now c's; the rest is m's, byte
 * swapped when it starts at an odd offset of the old segment. The clone
 * inherited the flag of a known sum: it must be set or cleared here. */
static void
px_split_sums(struct rte_mbuf *m, struct rte_mbuf *c, bool known,
	      uint16_t sum, uint16_t head, uint32_t n)
{
	uint16_t tail;

	if (!known) {
		dpx_mbuf_sum_clear(m);
		dpx_mbuf_sum_clear(c);
		return;
	}
	tail = dpx_cksum_sub(sum, head);
	dpx_mbuf_sum_set(c, head);
	dpx_mbuf_sum_set(m, n & 1 ? rte_bswap16(tail) : tail);
}

/* Moves the first n bytes of from to to (to may be NULL: they are freed).
 * Returns 0, or -ENOMEM when a split needed an mbuf and none was left. */
int
px_chain_take(struct rte_mempool *mp, struct px_chain *from, uint32_t n,
	      struct px_chain *to)
{
	while (n > 0 && from->head != NULL) {
		struct rte_mbuf *m = from->head;

		if (m->data_len > n) {
			struct rte_mbuf *c = rte_pktmbuf_clone(m, mp);
			uint16_t sum, head = 0;
			bool known;

			if (c == NULL)
				return -ENOMEM;
			known = dpx_mbuf_sum_get(m, &sum);
			if (known)
				head = dpx_cksum(rte_pktmbuf_mtod(m, void *), n);
			/* m keeps the tail (stays in from); c carries the
			 * first n bytes. */
			rte_pktmbuf_adj(m, (uint16_t)n);
			rte_pktmbuf_trim(c, (uint16_t)(c->data_len - n));
			px_split_sums(m, c, known, sum, head, n);
			from->len -= n;
			if (to)
				px_chain_add(to, c);
			else
				rte_pktmbuf_free(c);
			return 0;
		}
		n -= m->data_len;
		m = px_chain_pop(from);
		if (to)
			px_chain_add(to, m);
		else
			rte_pktmbuf_free_seg(m);
	}
	return 0;
}

uint32_t
px_chain_copy(const struct px_chain *q, uint32_t off, uint32_t len, char *dst)
{
	uint32_t done = 0;

	for (const struct rte_mbuf *m = q->head; m && done < len; m = m->next) {
		uint32_t n;

		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		n = RTE_MIN((uint32_t)m->data_len - off, len - done);
		memcpy(dst + done, rte_pktmbuf_mtod_offset(m, char *, off), n);
		done += n;
		off = 0;
	}
	return done;
}

int
px_chain_add_bytes(struct rte_mempool *mp, struct px_chain *q, const char *p,
		   uint32_t len)
{
	struct px_chain tmp = { NULL, NULL, 0 };

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t n;

		if (m == NULL) {
			px_chain_free(&tmp);
			return -ENOMEM;
		}
		n = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), p, n);
		px_chain_add(&tmp, m);
		p += n;
		len -= n;
	}
	px_chain_move(&tmp, q);
	return 0;
}

/* Queues as much of q as dst's send buffer takes. Returns 0, or -EPIPE
 * when dst no longer accepts data. */
int
px_chain_flush(struct dpx_worker *w, struct px_chain *q, struct dpx_tcb *dst)
{
	while (q->head != NULL) {
		struct rte_mbuf *m = q->head;
		bool last = m->next == NULL;
		int rc;

		if (m->data_len > dpx_tcp_send_space(dst))
			return 0;
		m = px_chain_pop(q);
		rc = last ? dpx_tcp_send(w, dst, m) :
			    dpx_tcp_send_more(w, dst, m);
		if (rc != 0) {
			rte_pktmbuf_free_seg(m);
			return -EPIPE;
		}
	}
	return 0;
}
