/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx udp: UDP (RFC 768) on dpx's own IPv4 stack, per worker, shared
 * nothing. It owns the worker's table of bound local ports (endpoints),
 * the UDP input path (length and checksum checks, demultiplexing, ICMP
 * port unreachable for closed ports, rate-limited), UDP output and the
 * UDP counters.
 *
 * Flow affinity: a datagram is processed by the worker that owns its
 * 4-tuple (dpx_net_flow_owner(); lib/net's dispatcher moves those that
 * land elsewhere). A server port is bound on every worker that serves it;
 * a client picks its source port with dpx_udp_pick_port() so that the
 * replies come back to the worker that sent the request.
 *
 * Receiving: dpx_udp_bind() registers rx for a local address and port;
 * rx runs in the worker's L4 stage, once per datagram, with the payload
 * in an mbuf (data at the first payload byte, pkt_len its length; the
 * headers stay in front of it, so it can be answered in place with
 * dpx_udp_send_mbuf()). rx owns the payload: it frees it or sends it.
 * rx may send, bind and unbind (itself included).
 */
#ifndef DPX_UDP_H
#define DPX_UDP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dpx_core.h"

/* Bound ports per worker. */
#define DPX_UDP_MAX_ENDPOINTS 1024
/* Where dpx_udp_pick_port() looks (as Linux's ip_local_port_range). */
#define DPX_UDP_EPHEMERAL_LO 32768
#define DPX_UDP_EPHEMERAL_HI 60999
/* ICMP port unreachables a worker sends per second, at most (burst too). */
#define DPX_UDP_UNREACH_PER_SEC 100

/* Counters of one worker; the control plane sums them on read. */
struct dpx_udp_stats {
	uint64_t in;             /* datagrams delivered to an endpoint */
	uint64_t out;            /* datagrams handed to IPv4 */
	uint64_t bad_checksum;
	uint64_t bad_length;     /* shorter than 8, or length field != IP's */
	uint64_t no_port;        /* no endpoint bound: dropped */
	uint64_t unreach_sent;   /* ... and answered with ICMP */
	uint64_t unreach_limited; /* ... not answered: over the rate */
	uint64_t dispatched;     /* handed by this worker to the owner */
	uint64_t send_errors;    /* dpx_udp_send*() failed */
};

typedef void (*dpx_udp_rx_fn)(struct dpx_worker *w, void *arg,
			      uint32_t src_addr, uint16_t src_port,
			      uint32_t dst_addr, uint16_t dst_port,
			      struct rte_mbuf *payload);

/* Registers the IPPROTO_UDP handler of w (after dpx_net_worker_init()).
 * Returns 0 or -ENOMEM. fini is safe without init. */
int dpx_udp_worker_init(struct dpx_worker *w);
void dpx_udp_worker_fini(struct dpx_worker *w);

/*
 * Binds addr:port (host order; addr 0: every local address) to rx on this
 * worker. A datagram goes to the exact address's endpoint, else to the
 * port's wildcard one. Returns 0, -EINVAL (port 0, rx NULL), -EADDRINUSE
 * or -ENOSPC (DPX_UDP_MAX_ENDPOINTS bound).
 */
int dpx_udp_bind(struct dpx_worker *w, uint32_t addr, uint16_t port,
		 dpx_udp_rx_fn rx, void *arg);
/* Returns 0 or -ENOENT. */
int dpx_udp_unbind(struct dpx_worker *w, uint32_t addr, uint16_t port);

/*
 * For a client: a local port, free on this worker (no endpoint with that
 * port), whose flow to dst_addr:dst_port is owned by this worker, chosen
 * at random among those of the ephemeral range (source-port
 * randomisation, RFC 5452). *src_addr 0 becomes the route's source
 * address. Returns 0, -EHOSTUNREACH (no route) or -EADDRNOTAVAIL. The
 * caller binds the port.
 */
int dpx_udp_pick_port(struct dpx_worker *w, uint32_t dst_addr,
		      uint16_t dst_port, uint32_t *src_addr,
		      uint16_t *src_port);

/*
 * Sends len bytes of data (copied into one mbuf) from src to dst; src_addr
 * 0 takes the route's source address. Returns 0 or -errno: -EMSGSIZE
 * (more than the route's MTU or one mbuf holds: dpx does not fragment),
 * -ENOBUFS, -EHOSTUNREACH. 0 means handed to IPv4, which may still queue
 * it behind ARP resolution or drop it (counted in lib/net).
 */
int dpx_udp_send(struct dpx_worker *w, uint32_t src_addr, uint16_t src_port,
		 uint32_t dst_addr, uint16_t dst_port, const void *data,
		 uint16_t len);
/* The same with the payload in m (data at its first byte, a chain if the
 * port sends chains); consumes m, even on error. A received payload can
 * be sent back as it is. */
int dpx_udp_send_mbuf(struct dpx_worker *w, uint32_t src_addr,
		      uint16_t src_port, uint32_t dst_addr, uint16_t dst_port,
		      struct rte_mbuf *m);

/* The worker's counters, dispatched included (lib/net counts those). */
void dpx_udp_worker_stats(const struct dpx_worker *w,
			  struct dpx_udp_stats *out);

#endif /* DPX_UDP_H */
