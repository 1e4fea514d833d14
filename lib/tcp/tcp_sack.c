/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SACK-based loss recovery (RFC 2018, RFC 6675, simplified): a scoreboard
 * of the ranges the peer holds above snd_una, and retransmission of the
 * holes below the highest of them, each at most once per recovery.
 */
#include <string.h>

#include "tcp_priv.h"

/* Merges the peer's SACK blocks into the scoreboard (RFC 2018, 6675). */
/* Bytes the scoreboard holds. */
uint32_t
tcp_sack_bytes(const struct dpx_tcb *c)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < c->n_sacked; i++)
		n += c->sacked[i].end - c->sacked[i].start;
	return n;
}

void
tcp_sack_update(struct dpx_tcb *c, const struct dpx_tcp_opts *o)
{
	for (unsigned int i = 0; i < o->n_sack; i++) {
		uint32_t start = o->sack[i].start;
		uint32_t end = o->sack[i].end;
		unsigned int j = 0, k;

		if (!seq_lt(start, end) || seq_leq(end, c->snd_una) ||
		    seq_gt(end, c->snd_max))
			continue;               /* stale or bogus */
		if (seq_lt(start, c->snd_una))
			start = c->snd_una;
		while (j < c->n_sacked && seq_lt(c->sacked[j].end, start))
			j++;
		/* Absorb every range the new one touches. */
		for (k = j; k < c->n_sacked && seq_leq(c->sacked[k].start, end);
		     k++) {
			if (seq_lt(c->sacked[k].start, start))
				start = c->sacked[k].start;
			if (seq_gt(c->sacked[k].end, end))
				end = c->sacked[k].end;
		}
		if (k == j && c->n_sacked == TCP_SACK_SCORE)
			continue;               /* full: forget the newcomer */
		memmove(&c->sacked[j + 1], &c->sacked[k],
			(c->n_sacked - k) * sizeof(c->sacked[0]));
		c->n_sacked = (uint8_t)(c->n_sacked - (k - j) + 1);
		c->sacked[j].start = start;
		c->sacked[j].end = end;
	}
}

/* Drops what snd_una has passed. */
void
tcp_sack_prune(struct dpx_tcb *c)
{
	unsigned int j = 0;

	while (j < c->n_sacked && seq_leq(c->sacked[j].end, c->snd_una))
		j++;
	memmove(c->sacked, &c->sacked[j], (c->n_sacked - j) *
		sizeof(c->sacked[0]));
	c->n_sacked = (uint8_t)(c->n_sacked - j);
	if (c->n_sacked && seq_lt(c->sacked[0].start, c->snd_una))
		c->sacked[0].start = c->snd_una;
}

/* Resends up to budget segments from the holes below the highest SACKed
 * byte that this recovery has not resent yet. */
void
tcp_sack_retransmit(struct dpx_worker *w, struct dpx_tcb *c, int budget)
{
	uint32_t pos = seq_gt(c->high_rxt, c->snd_una) ? c->high_rxt :
		       c->snd_una;

	for (unsigned int i = 0; i < c->n_sacked && budget > 0; i++) {
		if (seq_geq(pos, c->sacked[i].end))
			continue;
		while (seq_lt(pos, c->sacked[i].start) && budget-- > 0) {
			uint32_t len = RTE_MIN(tcp_seg_payload(c),
					       c->sacked[i].start - pos);

			tcp_retransmit_at(w, c, pos, len);
			pos += len;
			c->high_rxt = pos;
		}
		pos = c->sacked[i].end;
	}
}
