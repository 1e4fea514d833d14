/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx svc: the built-in test services that listeners in "echo" and
 * "static" mode run on top of lib/tcp ("udp_echo" on lib/udp), so the stack can be tested and
 * measured without the proxy:
 *
 *  - echo: every byte received is sent back, zero copy (the received
 *    mbufs are queued for transmission as they are). Receiving stops,
 *    through the TCP window, while the send buffer is full.
 *  - static: an HTTP/1.1 keep-alive responder. "GET /bytes/N" returns N
 *    bytes of the pattern dpx_svc_pattern_byte() defines; any other path
 *    returns a small fixed body. Requests may be pipelined.
 *  - udp_echo: every datagram is sent back to its sender, from the
 *    address and port it was sent to (lib/udp; the payload's mbuf is
 *    reused).
 *
 * It owns the per-connection service state (one small object per
 * connection from a per-worker pool).
 */
#ifndef DPX_SVC_H
#define DPX_SVC_H

#include <stdint.h>

#include "dpx_core.h"

#define DPX_SVC_PATTERN_LEN 4093 /* prime: block shifts do not line up */
#define DPX_SVC_REQ_MAX 8192     /* request head limit: beyond, 431 */

/* Byte i of a /bytes/N body: ((i mod 4093) * 131 + 17) mod 256. */
static inline uint8_t
dpx_svc_pattern_byte(uint64_t i)
{
	return (uint8_t)((i % DPX_SVC_PATTERN_LEN) * 131 + 17);
}

/* Starts this worker's listeners from the config. Returns 0 or -errno. */
int dpx_svc_worker_start(struct dpx_worker *w);
void dpx_svc_worker_fini(struct dpx_worker *w);

#endif /* DPX_SVC_H */
