/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress address choice of forward listeners, as a pure function so that
 * unit tests see exactly what the data path does (egress.c).
 */
#ifndef DPX_PROXY_EGRESS_H
#define DPX_PROXY_EGRESS_H

#include <stdint.h>

#include "dpx_core.h"

/* What one request brings to the choice. */
struct px_egress_req {
	uint32_t client;            /* client IPv4, host order */
	const char *host;           /* the origin as the client named it */
	uint16_t port;
	uint32_t user_addr;         /* the user's egress address; 0: none */
	uint64_t random;            /* a fresh random number (policy random) */
};

/*
 * Index into eg->addrs for req. *rr is the caller's round-robin cursor
 * (per worker and listener), advanced by round_robin and by per_user
 * when it falls back. Sticky choices are FNV-1a 32 modulo n_addrs: of the
 * client address's 4 bytes in network order, or of "host:port" with the
 * host in lower case. per_user: the user's address when it is one of
 * eg->addrs, else round robin.
 */
unsigned int px_egress_index(const struct dpx_egress_conf *eg,
			     const struct px_egress_req *req, uint32_t *rr);

#endif
