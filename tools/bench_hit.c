/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_hit: the cycles of dpx's keep-alive cache-hit path, measured in
 * one process on one lcore with no peer process, so that every run does
 * the same work in the same batches (the memif benchmark's batching
 * follows its peer process's speed). dpx runs the worker pass of app/dpx/main.c on a port whose
 * device is a pair of rte_rings (net_ring); a synthetic peer in this file
 * is both the clients and the backend: it puts a burst of frames on the
 * RX ring, lets the worker run one pass, takes what dpx sent off the TX
 * ring and checks it byte for byte. Any error: a message and exit 1.
 *
 * usage: bench_hit [--conns N] [--requests N] [--size N] [--repeat K]
 *                  [--huge-dir DIR]
 * --huge-dir: EAL memory from hugepages on the hugetlbfs mounted at DIR
 * (the caller reserves and mounts them) instead of --no-huge, as a
 * deployment runs: with 4 KB pages a large response's mbufs, more than
 * the TLB maps, cost page walks a deployment does not pay.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "dpx_cache.h"
#include "dpx_config_kit.h"
#include "dpx_core.h"
#include "dpx_net.h"
#include "dpx_proxy.h"
#include "dpx_tcp.h"
#include "dpx_udp.h"
#include "test_eal.h"
#include "test_net_fixture.h"

#define DPX_IP      0xc6120001u /* 198.18.0.1: listener :81 */
#define CLIENT_IP   0xc6120002u /* 198.18.0.2: ports 10000 + i */
#define BACKEND_IP  0xc6120009u /* 198.18.0.9:8081, pool "web" */
#define LISTEN_PORT 81
#define BACKEND_PORT 8081
#define CLIENT_PORT0 10000
#define PEER_MSS 1460
#define PEER_WINDOW 65535   /* no window scaling: the peer offers none */
#define MAX_CONNS 1000
#define MAX_BACKENDS 64
#define RING_SLOTS 8192
#define HDR_MAX 2048
#define ROUND_LIMIT_S 60    /* a phase that takes longer is stuck */
/* A round that cost more than this many times the median was disturbed
 * (the thread preempted, an interrupt): left out of the clean figure. */
#define DISTURBED_FACTOR 2

static const struct rte_ether_addr dpx_mac = {{ 0x02, 0, 0, 0, 0, 1 }};
static const struct rte_ether_addr client_mac = {{ 0x02, 0, 0, 0, 0, 2 }};
static const struct rte_ether_addr backend_mac = {{ 0x02, 0, 0, 0, 0, 9 }};

static const char dpx_json[] =
	"{\"workers\": 1, \"idle\": \"poll\", \"log_level\": \"warning\",\n"
	" \"cache\": {\"size_mb\": 16, \"max_object_kb\": 1024},\n"
	" \"ports\": [{\"name\": \"bench\", \"device\": \"net_ring0\",\n"
	"   \"addresses\": [\"198.18.0.1/24\"]}],\n"
	" \"listeners\": [{\"name\": \"cweb\", \"address\": \"198.18.0.1\",\n"
	"   \"port\": 81, \"mode\": \"http\", \"pool\": \"web\",\n"
	"   \"cache\": true, \"routes\": [{\"path\": \"/\", \"pool\": \"web\",\n"
	"   \"cache\": {\"ttl_s\": 3600}}]}],\n"
	" \"pools\": [{\"name\": \"web\", \"balance\": \"roundrobin\",\n"
	"   \"keepalive\": {\"max_idle\": 1024},\n"
	"   \"servers\": [{\"name\": \"s1\", \"address\": \"198.18.0.9\",\n"
	"   \"port\": 8081}]}]}\n";

/* One side of a TCP connection the peer plays. */
struct peer_tcb {
	uint32_t peer_ip, dpx_ip;
	uint16_t peer_port, dpx_port;
	const struct rte_ether_addr *peer_mac;
	uint32_t snd_nxt, snd_una, rcv_nxt;
	uint32_t dpx_window;
	bool open, ack_due;
};

/* A client: sends GETs, checks each response whole. */
struct client {
	struct peer_tcb t;
	bool syn_sent;
	bool waiting;               /* a request is out */
	bool in_body;
	uint32_t hdr_len, body_got;
	char hdr[HDR_MAX];
};

/* The backend end of a connection dpx opened: answers each GET. */
struct backend {
	struct peer_tcb t;
	bool used;
	bool closing;               /* dpx closed it: we sent our FIN too */
	uint32_t req_len;
	char req[HDR_MAX];
	uint32_t resp_sent, resp_len; /* of the response being sent */
};

/* What one round cost dpx, for the clean figure. */
struct round_cost {
	uint64_t stage[DPX_STAGE_MAX];
	uint64_t busy, responses;
};

struct opts {
	unsigned int conns, repeat, size;
	uint64_t requests;
	const char *huge_dir;       /* NULL: --no-huge */
};

struct bench {
	struct opts o;
	struct dpx_config cfg;
	struct dpx_net net;
	struct dpx_worker w;
	struct dpx_proxy_shared *proxy;
	struct rte_mempool *pool;
	struct rte_ring *rx, *tx;    /* dpx's view: it receives from rx */
	uint16_t port_id;
	bool port_made, port_started;
	struct client *clients;
	struct backend backends[MAX_BACKENDS];
	uint8_t *body;               /* the object's bytes */
	char *response;              /* the backend's response, whole */
	uint32_t response_len;
	char request[256];
	uint32_t request_len;
	uint64_t to_send, responses; /* of the current phase */
	unsigned int senders;        /* clients 0..senders-1 may send */
	struct rte_mbuf *out[RING_SLOTS];
	unsigned int n_out;
	uint8_t frame[65536];
	struct round_cost *rounds;   /* of the measured loop, when recording */
	size_t n_rounds, max_rounds;
	bool failed;
};

static void
fail(struct bench *b, const char *what, const struct peer_tcb *t)
{
	if (!b->failed && t != NULL)
		fprintf(stderr, "bench_hit: %s (peer port %u, dpx port %u)\n",
			what, t->peer_port, t->dpx_port);
	else if (!b->failed)
		fprintf(stderr, "bench_hit: %s\n", what);
	b->failed = true;
}

/* --- frames the peer sends ------------------------------------------ */

static void
peer_queue(struct bench *b, struct rte_mbuf *m)
{
	if (b->n_out == RING_SLOTS) {
		rte_pktmbuf_free(m);
		fail(b, "peer: too many frames in one burst", NULL);
		return;
	}
	b->out[b->n_out++] = m;
}

static void
peer_segment(struct bench *b, struct peer_tcb *t, uint8_t flags,
	     const void *data, uint32_t len)
{
	uint32_t optlen = (flags & RTE_TCP_SYN_FLAG) ? 4 : 0;
	uint32_t l4 = sizeof(struct rte_tcp_hdr) + optlen + len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(b->pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *opt;

	if (m == NULL) {
		fail(b, "peer: no mbuf", t);
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) +
							  sizeof(*ip) + l4);
	eth->dst_addr = dpx_mac;
	eth->src_addr = *t->peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(t->peer_ip);
	ip->dst_addr = rte_cpu_to_be_32(t->dpx_ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(t->peer_port);
	th->dst_port = rte_cpu_to_be_16(t->dpx_port);
	th->sent_seq = rte_cpu_to_be_32(t->snd_nxt);
	th->recv_ack = rte_cpu_to_be_32(t->rcv_nxt);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(PEER_WINDOW);
	opt = (uint8_t *)(th + 1);
	if (optlen) {           /* MSS only: no window scale, no timestamps */
		opt[0] = 2;
		opt[1] = 4;
		opt[2] = PEER_MSS >> 8;
		opt[3] = PEER_MSS & 0xff;
	}
	if (len)
		memcpy(opt + optlen, data, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	t->snd_nxt += len + ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG))
			     ? 1 : 0);
	t->ack_due = false;
	peer_queue(b, m);
}

static void
peer_arp_reply(struct bench *b, const struct rte_arp_hdr *req)
{
	uint32_t ip = rte_be_to_cpu_32(req->arp_data.arp_tip);
	const struct rte_ether_addr *mac = ip == CLIENT_IP ? &client_mac :
					   ip == BACKEND_IP ? &backend_mac : NULL;
	struct rte_mbuf *m = NULL;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	if (mac == NULL || req->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return;
	m = rte_pktmbuf_alloc(b->pool);
	if (m == NULL) {
		fail(b, "peer: no mbuf", NULL);
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) +
							  sizeof(*a));
	eth->dst_addr = dpx_mac;
	eth->src_addr = *mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	a = (struct rte_arp_hdr *)(eth + 1);
	*a = *req;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_sha = *mac;
	a->arp_data.arp_sip = req->arp_data.arp_tip;
	a->arp_data.arp_tha = req->arp_data.arp_sha;
	a->arp_data.arp_tip = req->arp_data.arp_sip;
	peer_queue(b, m);
}

/* --- clients ----------------------------------------------------------- */

static void
client_init(struct client *c, unsigned int i)
{
	memset(c, 0, sizeof(*c));
	c->t = (struct peer_tcb){ .peer_ip = CLIENT_IP, .dpx_ip = DPX_IP,
		.peer_port = (uint16_t)(CLIENT_PORT0 + i),
		.dpx_port = LISTEN_PORT, .peer_mac = &client_mac,
		.snd_nxt = 1000000u * (i + 1) };
}

/* Its SYN, its next request (which also ACKs what came), or a bare ACK. */
static void
client_step(struct bench *b, struct client *c, bool may_send)
{
	if (!c->syn_sent) {
		c->syn_sent = true;
		peer_segment(b, &c->t, RTE_TCP_SYN_FLAG, NULL, 0);
		return;
	}
	if (!c->t.open)
		return;
	if (!c->waiting && may_send && b->to_send > 0) {
		b->to_send--;
		c->waiting = true;
		peer_segment(b, &c->t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			     b->request, b->request_len);
	} else if (c->t.ack_due) {
		peer_segment(b, &c->t, RTE_TCP_ACK_FLAG, NULL, 0);
	}
}

static bool
client_headers_ok(struct bench *b, struct client *c)
{
	static const char cl[] = "\r\ncontent-length:";
	const char *h = c->hdr;

	c->hdr[c->hdr_len] = '\0';
	if (strncmp(h, "HTTP/1.1 200 ", 13) != 0)
		return false;
	for (; (h = strchr(h, '\r')) != NULL; h++)
		if (strncasecmp(h, cl, sizeof(cl) - 1) == 0)
			return strtoul(h + sizeof(cl) - 1, NULL, 10) ==
			       b->o.size;
	return false;
}

/* Response bytes, in order: headers, then the body against b->body. */
static void
client_receive(struct bench *b, struct client *c, const uint8_t *p,
	       uint32_t len)
{
	while (len > 0 && !b->failed) {
		if (!c->waiting) {
			fail(b, "client: bytes nobody asked for", &c->t);
			return;
		}
		if (!c->in_body) {
			if (c->hdr_len + 1 >= HDR_MAX) {
				fail(b, "client: response header too long",
				     &c->t);
				return;
			}
			c->hdr[c->hdr_len++] = (char)*p++;
			len--;
			if (c->hdr_len >= 4 &&
			    memcmp(c->hdr + c->hdr_len - 4, "\r\n\r\n", 4) == 0) {
				if (!client_headers_ok(b, c)) {
					fprintf(stderr, "%s", c->hdr);
					fail(b, "client: not a 200 with the "
					     "expected Content-Length", &c->t);
				}
				c->in_body = true;
			}
			continue;
		}
		uint32_t n = RTE_MIN(len, b->o.size - c->body_got);

		if (memcmp(p, b->body + c->body_got, n) != 0)
			fail(b, "client: body bytes differ", &c->t);
		c->body_got += n;
		p += n;
		len -= n;
		if (c->body_got == b->o.size) {
			c->waiting = c->in_body = false;
			c->hdr_len = c->body_got = 0;
			b->responses++;
		}
	}
}

/* --- the backend ------------------------------------------------------ */

static struct backend *
backend_find(struct bench *b, uint16_t dpx_port, bool syn)
{
	struct backend *free_one = NULL;

	for (unsigned int i = 0; i < MAX_BACKENDS; i++) {
		struct backend *s = &b->backends[i];

		/* A SYN on a port whose old connection is closing
		 * starts a new one there. */
		if (s->used && s->t.dpx_port == dpx_port && syn && s->closing)
			s->used = false;
		if (s->used && s->t.dpx_port == dpx_port)
			return s;
		if (!s->used && free_one == NULL)
			free_one = s;
	}
	if (!syn || free_one == NULL)
		return NULL;
	memset(free_one, 0, sizeof(*free_one));
	free_one->used = true;
	free_one->t = (struct peer_tcb){ .peer_ip = BACKEND_IP,
		.dpx_ip = DPX_IP, .peer_port = BACKEND_PORT,
		.dpx_port = dpx_port, .peer_mac = &backend_mac,
		.snd_nxt = 77000000u + dpx_port };
	return free_one;
}

static void
backend_receive(struct bench *b, struct backend *s, const uint8_t *p,
		uint32_t len)
{
	if (s->req_len + len >= HDR_MAX) {
		fail(b, "backend: request too long", &s->t);
		return;
	}
	memcpy(s->req + s->req_len, p, len);
	s->req_len += len;
	s->req[s->req_len] = '\0';
	if (strstr(s->req, "\r\n\r\n") == NULL)
		return;
	if (strncmp(s->req, "GET /bytes/", 11) != 0 || s->resp_len != 0) {
		fail(b, "backend: not the GET expected", &s->t);
		return;
	}
	s->req_len = 0;
	s->resp_sent = 0;
	s->resp_len = b->response_len;
}

/* What the window lets out of the response, or a bare ACK. */
static void
backend_step(struct bench *b, struct backend *s)
{
	while (s->resp_sent < s->resp_len && !b->failed) {
		uint32_t in_flight = s->t.snd_nxt - s->t.snd_una;
		uint32_t room = s->t.dpx_window > in_flight ?
				s->t.dpx_window - in_flight : 0;
		uint32_t n = RTE_MIN(RTE_MIN(room, (uint32_t)PEER_MSS),
				     s->resp_len - s->resp_sent);

		if (n == 0)
			break;
		peer_segment(b, &s->t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			     b->response + s->resp_sent, n);
		s->resp_sent += n;
	}
	if (s->resp_len && s->resp_sent == s->resp_len)
		s->resp_len = s->resp_sent = 0;
	if (s->t.ack_due)
		peer_segment(b, &s->t, RTE_TCP_ACK_FLAG, NULL, 0);
}

/* --- frames dpx sent --------------------------------------------------- */

/* Sequence and ACK bookkeeping common to both roles; returns the
 * payload's length, or -1 when the segment is not acceptable. */
static int
tcb_input(struct bench *b, struct peer_tcb *t, const struct rte_tcp_hdr *th,
	  uint32_t len)
{
	uint8_t f = th->tcp_flags;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);

	if (f & RTE_TCP_RST_FLAG) {
		fail(b, "dpx reset a connection", t);
		return -1;
	}
	if (f & RTE_TCP_SYN_FLAG) {
		t->rcv_nxt = seq + 1;
		t->open = true;
		t->ack_due = true;
		seq++;
	}
	if (f & RTE_TCP_ACK_FLAG) {
		if ((int32_t)(ack - t->snd_una) > 0 || t->snd_una == 0)
			t->snd_una = ack;
		t->dpx_window = rte_be_to_cpu_16(th->rx_win);
	}
	if (len > 0 && seq != t->rcv_nxt) {
		fail(b, "dpx sent out of order", t);
		return -1;
	}
	t->rcv_nxt += len;
	if (len > 0)
		t->ack_due = true;
	if (f & RTE_TCP_FIN_FLAG)
		t->rcv_nxt++;
	return (int)len;
}

/* A pooled connection dpx closes (idle) is closed back; its last ACK
 * frees the slot. */
static void
backend_input(struct bench *b, struct backend *s, const struct rte_tcp_hdr *th,
	      const uint8_t *p, uint32_t len)
{
	uint8_t f = th->tcp_flags;

	if (s->closing) {
		if (!(f & RTE_TCP_FIN_FLAG) &&
		    rte_be_to_cpu_32(th->recv_ack) == s->t.snd_nxt)
			s->used = false;
		return;
	}
	if (f & RTE_TCP_SYN_FLAG)
		s->t.snd_una = s->t.snd_nxt;
	if (tcb_input(b, &s->t, th, len) > 0)
		backend_receive(b, s, p, len);
	if (f & RTE_TCP_SYN_FLAG)
		peer_segment(b, &s->t, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
			     NULL, 0);
	if (f & RTE_TCP_FIN_FLAG) {
		s->closing = true;
		s->resp_len = s->resp_sent = 0;
		peer_segment(b, &s->t, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG,
			     NULL, 0);
	}
}

static void
tcp_frame(struct bench *b, const struct rte_ipv4_hdr *ip)
{
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + 1);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	uint16_t dport = rte_be_to_cpu_16(th->dst_port);
	uint16_t sport = rte_be_to_cpu_16(th->src_port);
	uint32_t hlen = (th->data_off >> 4) * 4u;
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip) - hlen;
	const uint8_t *p = (const uint8_t *)th + hlen;

	if (rte_ipv4_udptcp_cksum_verify(ip, th) != 0) {
		fail(b, "bad TCP checksum from dpx", NULL);
		return;
	}
	if (dst == CLIENT_IP && dport >= CLIENT_PORT0 &&
	    dport < CLIENT_PORT0 + b->o.conns && sport == LISTEN_PORT) {
		struct client *c = &b->clients[dport - CLIENT_PORT0];

		if (th->tcp_flags & RTE_TCP_FIN_FLAG)
			fail(b, "dpx closed a keep-alive client", &c->t);
		else if (tcb_input(b, &c->t, th, len) > 0)
			client_receive(b, c, p, len);
	} else if (dst == BACKEND_IP && dport == BACKEND_PORT) {
		struct backend *s = backend_find(b, sport, th->tcp_flags &
						 RTE_TCP_SYN_FLAG);

		if (s == NULL) {
			fail(b, "backend: segment of no connection", NULL);
			return;
		}
		backend_input(b, s, th, p, len);
	} else {
		fail(b, "dpx sent to an unknown address", NULL);
	}
}

static void
peer_input(struct bench *b, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;

	if (m->pkt_len > sizeof(b->frame) || m->pkt_len < sizeof(*eth)) {
		fail(b, "dpx sent a frame of a bad size", NULL);
		return;
	}
	eth = rte_pktmbuf_read(m, 0, m->pkt_len, b->frame);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		peer_arp_reply(b, (const struct rte_arp_hdr *)(eth + 1));
		return;
	}
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    m->pkt_len < sizeof(*eth) + sizeof(*ip) +
			 sizeof(struct rte_tcp_hdr) ||
	    ip->next_proto_id != IPPROTO_TCP ||
	    rte_raw_cksum(ip, sizeof(*ip)) != 0xffff) {
		fail(b, "dpx sent something that is not a valid TCP frame",
		     NULL);
		return;
	}
	tcp_frame(b, ip);
}

/* --- the worker -------------------------------------------------------- */

/* One pass of app/dpx/main.c's worker loop. */
static void
worker_pass(struct dpx_worker *w)
{
	dpx_net_worker_poll(w);         /* rx (the ring), net, tcp input */
	dpx_tcp_deliver(w);
	dpx_tcp_worker_poll(w);
	dpx_proxy_worker_run(w);
	dpx_tcp_output(w);
	dpx_net_flush(w);
	dpx_proxy_worker_quiescent(w);
	dpx_net_pass_end(w);
}

static void
round_cost_take(const struct bench *b, struct round_cost *r)
{
	r->busy = 0;
	for (unsigned int i = 0; i < DPX_STAGE_MAX; i++) {
		r->stage[i] = b->w.rt.cycles[i];
		r->busy += r->stage[i];
	}
	r->responses = b->responses;
}

static void
round_record(struct bench *b, const struct round_cost *before)
{
	struct round_cost *r;

	if (b->rounds == NULL)
		return;
	if (b->n_rounds == b->max_rounds) {
		size_t n = b->max_rounds * 2;

		r = realloc(b->rounds, n * sizeof(*r));
		if (r == NULL) {
			fail(b, "no memory for the rounds", NULL);
			return;
		}
		b->rounds = r;
		b->max_rounds = n;
	}
	r = &b->rounds[b->n_rounds++];
	round_cost_take(b, r);
	for (unsigned int i = 0; i < DPX_STAGE_MAX; i++)
		r->stage[i] -= before->stage[i];
	r->busy -= before->busy;
	r->responses -= before->responses;
}

/* The peer's frames of this round onto the RX ring, as one burst. */
static void
peer_burst(struct bench *b)
{
	for (unsigned int i = 0; i < b->o.conns; i++)
		client_step(b, &b->clients[i], i < b->senders);
	for (unsigned int i = 0; i < MAX_BACKENDS; i++)
		if (b->backends[i].used && !b->backends[i].closing)
			backend_step(b, &b->backends[i]);
	if (rte_ring_enqueue_burst(b->rx, (void **)b->out, b->n_out, NULL) !=
	    b->n_out) {
		rte_pktmbuf_free_bulk(b->out, b->n_out);
		fail(b, "RX ring full", NULL);
	}
	b->n_out = 0;
}

/* Everything dpx sent, checked and freed. */
static void
peer_take(struct bench *b)
{
	struct rte_mbuf *got[64];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(b->tx, (void **)got, RTE_DIM(got),
					   NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++)
			peer_input(b, got[i]);
		rte_pktmbuf_free_bulk(got, n);
	}
}

/* One round: the peer's burst in, worker passes until dpx took all of it
 * (one pass for up to DPX_RX_BURST frames), dpx's frames out and checked. */
static void
round_trip(struct bench *b)
{
	struct round_cost before;

	peer_burst(b);
	round_cost_take(b, &before);
	/* The peer's time since the last pass is no stage's. */
	dpx_net_loop_begin(&b->w);
	do
		worker_pass(&b->w);
	while (rte_ring_count(b->rx) > 0);
	peer_take(b);
	round_record(b, &before);
}

static bool
clients_open(const struct bench *b)
{
	for (unsigned int i = 0; i < b->o.conns; i++)
		if (!b->clients[i].t.open || b->clients[i].t.ack_due)
			return false;
	return true;
}

/* Rounds until `requests` more responses came from clients
 * 0..senders-1; with none asked, until every client is open. */
static int
run_phase(struct bench *b, uint64_t requests, unsigned int senders,
	  const char *name)
{
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() * ROUND_LIMIT_S;
	uint64_t want = b->responses + requests;

	b->to_send = requests;
	b->senders = senders;
	while (!b->failed && (b->responses < want ||
			      (requests == 0 && !clients_open(b)))) {
		round_trip(b);
		if (rte_rdtsc() > deadline) {
			fprintf(stderr, "bench_hit: %s: %llu of %llu responses "
				"after %d s\n", name,
				(unsigned long long)(b->responses + requests -
						     want),
				(unsigned long long)requests, ROUND_LIMIT_S);
			fail(b, "stuck", NULL);
		}
	}
	return b->failed ? -1 : 0;
}

/* --- set-up ------------------------------------------------------------- */

static int
ring_port_start(struct bench *b)
{
	struct rte_eth_conf conf;
	int port;

	b->rx = rte_ring_create("bench_hit_rx", RING_SLOTS, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	b->tx = rte_ring_create("bench_hit_tx", RING_SLOTS, SOCKET_ID_ANY,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (b->rx == NULL || b->tx == NULL)
		return -1;
	port = rte_eth_from_rings("net_ring_bench", &b->rx, 1, &b->tx, 1,
				  (unsigned int)rte_socket_id());
	if (port < 0)
		return -1;
	b->port_id = (uint16_t)port;
	b->port_made = true;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(b->port_id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(b->port_id, 0, RING_SLOTS, SOCKET_ID_ANY,
				   NULL, b->pool) != 0 ||
	    rte_eth_tx_queue_setup(b->port_id, 0, RING_SLOTS, SOCKET_ID_ANY,
				   NULL) != 0 ||
	    rte_eth_dev_start(b->port_id) != 0)
		return -1;
	b->port_started = true;
	return 0;
}

static int
config_load(struct bench *b)
{
	static const struct dpx_config_ext ext = {
		.cache = dpx_cache_section_parse,
		.release_cache = dpx_cache_section_free,
		.route_cache = dpx_cache_route_parse,
		.release_route_cache = dpx_cache_route_free,
	};
	char err[DPX_ERR_LEN];

	dpx_config_set_ext(&ext);
	if (dpx_config_load_buffer("bench_hit.json", dpx_json,
				   sizeof(dpx_json) - 1, &b->cfg, err,
				   sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	dpx_log_set_level(b->cfg.log_level);
	return 0;
}

/* dpx as app/dpx/main.c starts one worker, on the net_ring port. */
static int
dpx_start(struct bench *b)
{
	struct dpx_worker *w = &b->w;
	int rc;

	b->pool = rte_pktmbuf_pool_create("bench_hit_mbufs", 65535, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (b->pool == NULL || config_load(b) != 0 || ring_port_start(b) != 0)
		return -1;
	test_net_one_port(&b->cfg, &b->net, b->pool, DPX_IP, 0, &dpx_mac);
	b->net.ports[0].port_id = b->port_id;
	/* As on memif: chained mbufs, no checksum offload. */
	b->net.ports[0].tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	b->proxy = dpx_proxy_shared_create(&b->cfg, 1);
	if (b->proxy == NULL)
		return -1;
	w->cfg = &b->cfg;
	w->lcore_id = rte_lcore_id();
	rc = dpx_net_worker_init(w, &b->net);
	if (rc == 0)
		rc = dpx_tcp_worker_init(w);
	if (rc == 0)
		rc = dpx_udp_worker_init(w);
	if (rc == 0)
		rc = dpx_proxy_worker_start(w, b->proxy);
	if (rc != 0)
		return rc;
	test_net_learn_neighbour(w, b->pool, DPX_IP, CLIENT_IP, &client_mac);
	test_net_learn_neighbour(w, b->pool, DPX_IP, BACKEND_IP, &backend_mac);
	dpx_net_flush(w);       /* the ARP replies, dropped below */
	dpx_net_loop_begin(w);
	return 0;
}

static void
tx_ring_drain(struct bench *b)
{
	struct rte_mbuf *m = NULL;

	while (b->tx != NULL && rte_ring_dequeue(b->tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (b->rx != NULL && rte_ring_dequeue(b->rx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

/* Returns -1 when an mbuf outlived dpx: a leak. */
static int
dpx_stop(struct bench *b)
{
	struct dpx_worker *w = &b->w;
	int leak = 0;

	if (w->net != NULL) {
		dpx_proxy_worker_stop(w);
		dpx_tcp_output(w);
		dpx_net_flush(w);
	}
	dpx_tcp_worker_fini(w);
	dpx_proxy_worker_fini(w);
	dpx_udp_worker_fini(w);
	dpx_net_worker_fini(w);
	dpx_proxy_shared_free(b->proxy);
	tx_ring_drain(b);
	if (b->port_started)
		rte_eth_dev_stop(b->port_id);
	if (b->port_made)
		rte_eth_dev_close(b->port_id);
	rte_ring_free(b->rx);
	rte_ring_free(b->tx);
	if (b->pool != NULL && rte_mempool_in_use_count(b->pool) != 0) {
		fprintf(stderr, "bench_hit: %u mbufs not freed at exit\n",
			rte_mempool_in_use_count(b->pool));
		leak = -1;
	}
	rte_mempool_free(b->pool);
	dpx_config_release(&b->cfg);
	return leak;
}

/* The object (a byte pattern) and the backend's whole response. */
static int
content_build(struct bench *b)
{
	int hl;

	b->body = malloc(b->o.size);
	b->response = malloc(b->o.size + 256);
	if (b->body == NULL || b->response == NULL)
		return -1;
	for (uint32_t i = 0; i < b->o.size; i++)
		b->body[i] = (uint8_t)('a' + (i * 7 + i / 251) % 26);
	hl = snprintf(b->response, 256, "HTTP/1.1 200 OK\r\nContent-Length: "
		      "%u\r\nContent-Type: application/octet-stream\r\n\r\n",
		      b->o.size);
	memcpy(b->response + hl, b->body, b->o.size);
	b->response_len = (uint32_t)hl + b->o.size;
	b->request_len = (uint32_t)snprintf(b->request, sizeof(b->request),
		"GET /bytes/%u HTTP/1.1\r\nHost: 198.18.0.1:81\r\n"
		"User-Agent: bench_hit\r\nAccept: */*\r\n\r\n", b->o.size);
	return 0;
}

/* --- measuring ------------------------------------------------------ */

struct sample {
	uint64_t requests, hits, wall, busy_loops, rx_packets, rx_bursts;
	uint64_t busy, idle;
	uint64_t stage[DPX_STAGE_MAX];
};

static uint64_t
cache_hits(const struct bench *b)
{
	const struct dpx_proxy_cache_stats *cs =
		dpx_proxy_worker_cache_stats(&b->w);

	return cs ? cs->hits : 0;
}

static uint64_t
cache_misses(const struct bench *b)
{
	const struct dpx_proxy_cache_stats *cs =
		dpx_proxy_worker_cache_stats(&b->w);

	return cs ? cs->misses : 0;
}

static void
sample_take(const struct bench *b, struct sample *s)
{
	const struct dpx_runtime *rt = &b->w.rt;

	s->busy = 0;
	for (unsigned int i = 0; i < DPX_STAGE_MAX; i++) {
		s->stage[i] = rt->cycles[i];
		s->busy += rt->cycles[i];
	}
	s->idle = rt->idle_cycles;
	s->busy_loops = rt->busy_loops;
	s->rx_packets = rt->rx_packets;
	s->rx_bursts = rt->rx_bursts;
	s->hits = cache_hits(b);
	s->requests = b->responses;
	s->wall = rte_rdtsc();
}

static void
sample_delta(struct sample *d, const struct sample *a)
{
	d->busy -= a->busy;
	d->idle -= a->idle;
	for (unsigned int i = 0; i < DPX_STAGE_MAX; i++)
		d->stage[i] -= a->stage[i];
	d->busy_loops -= a->busy_loops;
	d->rx_packets -= a->rx_packets;
	d->rx_bursts -= a->rx_bursts;
	d->hits -= a->hits;
	d->requests -= a->requests;
	d->wall -= a->wall;
}

static int
busy_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The rounds' costs without the disturbed ones: into clean (its busy,
 * stage[] and requests), and the median round's busy cycles; returns how
 * many were left out. */
static size_t
rounds_clean(const struct bench *b, struct sample *clean, uint64_t *median,
	     uint64_t *p10)
{
	uint64_t *busy = malloc(b->n_rounds * sizeof(*busy)), limit;
	size_t out = 0;

	memset(clean, 0, sizeof(*clean));
	if (busy == NULL || b->n_rounds == 0) {
		free(busy);
		return 0;
	}
	for (size_t i = 0; i < b->n_rounds; i++)
		busy[i] = b->rounds[i].busy;
	qsort(busy, b->n_rounds, sizeof(*busy), busy_cmp);
	*median = busy[b->n_rounds / 2];
	*p10 = busy[b->n_rounds / 10];
	limit = *median * DISTURBED_FACTOR;
	free(busy);
	for (size_t i = 0; i < b->n_rounds; i++) {
		const struct round_cost *r = &b->rounds[i];

		if (r->busy > limit) {
			out++;
			continue;
		}
		for (unsigned int s = 0; s < DPX_STAGE_MAX; s++)
			clean->stage[s] += r->stage[s];
		clean->busy += r->busy;
		clean->requests += r->responses;
	}
	return out;
}

static int
measure(struct bench *b, struct sample *d, struct sample *clean,
	size_t *disturbed, uint64_t *median, uint64_t *p10)
{
	struct sample a;

	b->max_rounds = b->o.requests / b->o.conns + 16;
	b->n_rounds = 0;
	b->rounds = malloc(b->max_rounds * sizeof(*b->rounds));
	if (b->rounds == NULL)
		return -1;
	sample_take(b, &a);
	if (run_phase(b, b->o.requests, b->o.conns, "measured loop") != 0) {
		free(b->rounds);
		b->rounds = NULL;
		return -1;
	}
	sample_take(b, d);
	sample_delta(d, &a);
	*disturbed = rounds_clean(b, clean, median, p10);
	free(b->rounds);
	b->rounds = NULL;
	if (d->hits != d->requests) {
		fprintf(stderr, "bench_hit: %llu hits for %llu requests\n",
			(unsigned long long)d->hits,
			(unsigned long long)d->requests);
		return -1;
	}
	return 0;
}

static double
per_req(uint64_t c, const struct sample *d)
{
	return (double)c / (double)d->requests;
}

/* One measured loop: every round (as dpx_runtime.py would count) and
 * the undisturbed ones. */
struct run {
	struct sample all, clean;
	size_t disturbed;
	uint64_t median_round;      /* busy cycles of the median round */
	uint64_t p10_round;         /* ... and of the 10th percentile */
};

static void
run_print(const struct run *r, unsigned int run, unsigned int of)
{
	const struct sample *d = &r->all, *c = &r->clean;

	printf("run %u/%u: %llu requests, %llu cache hits; %zu of %llu rounds "
	       "disturbed (> %dx the median)\n", run, of,
	       (unsigned long long)d->requests, (unsigned long long)d->hits,
	       r->disturbed, (unsigned long long)d->busy_loops,
	       DISTURBED_FACTOR);
	printf("  %-8s %14s %7s %12s %12s\n", "stage", "cycles", "busy%",
	       "per request", "undisturbed");
	for (unsigned int s = 0; s < DPX_STAGE_MAX; s++)
		printf("  %-8s %14llu %6.1f%% %12.0f %12.0f\n",
		       dpx_stage_names[s], (unsigned long long)d->stage[s],
		       100.0 * (double)d->stage[s] / (double)d->busy,
		       per_req(d->stage[s], d), per_req(c->stage[s], c));
	printf("  %-8s %14llu %6.1f%% %12.0f %12.0f\n", "busy",
	       (unsigned long long)d->busy, 100.0, per_req(d->busy, d),
	       per_req(c->busy, c));
	printf("  busy passes %llu (%.2f requests per pass), rx packets %llu "
	       "in %llu bursts\n", (unsigned long long)d->busy_loops,
	       (double)d->requests / (double)d->busy_loops,
	       (unsigned long long)d->rx_packets,
	       (unsigned long long)d->rx_bursts);
	printf("  wall clock %.0f cycles per request: dpx busy %.0f, dpx idle "
	       "passes %.0f, synthetic peer and harness %.0f\n",
	       per_req(d->wall, d), per_req(d->busy, d), per_req(d->idle, d),
	       per_req(d->wall - d->busy - d->idle, d));
}

static void
bench_line(const struct bench *b, const struct run *r)
{
	const struct sample *c = &r->clean;

	printf("BENCH hit size=%u conns=%u requests=%llu cyc_req=%.0f",
	       b->o.size, b->o.conns, (unsigned long long)r->all.requests,
	       per_req(c->busy, c));
	for (unsigned int s = 0; s < DPX_STAGE_MAX; s++)
		printf(" %s=%.0f", dpx_stage_names[s], per_req(c->stage[s], c));
	printf(" median_round_req=%.0f p10_round_req=%.0f all_cyc_req=%.0f "
	       "disturbed=%zu wall_req=%.0f\n",
	       (double)r->median_round / b->o.conns,
	       (double)r->p10_round / b->o.conns,
	       per_req(r->all.busy, &r->all), r->disturbed,
	       per_req(r->all.wall, &r->all));
}

static int
bench_run(struct bench *b)
{
	struct run r, best = { 0 };

	for (unsigned int i = 0; i < b->o.conns; i++)
		client_init(&b->clients[i], i);
	/* Connect, one MISS fills the cache, then one hit per connection. */
	if (run_phase(b, 0, 0, "connect") != 0 ||
	    run_phase(b, 1, 1, "warm-up miss") != 0 ||
	    run_phase(b, b->o.conns, b->o.conns, "warm-up hits") != 0)
		return -1;
	printf("bench_hit: size=%u conns=%u requests=%llu repeat=%u, "
	       "warm-up: %llu miss(es), %llu hits\n", b->o.size, b->o.conns,
	       (unsigned long long)b->o.requests, b->o.repeat,
	       (unsigned long long)cache_misses(b),
	       (unsigned long long)cache_hits(b));
	for (unsigned int i = 0; i < b->o.repeat; i++) {
		if (measure(b, &r.all, &r.clean, &r.disturbed,
			    &r.median_round, &r.p10_round) != 0)
			return -1;
		run_print(&r, i + 1, b->o.repeat);
		if (i == 0 || per_req(r.clean.busy, &r.clean) <
			      per_req(best.clean.busy, &best.clean))
			best = r;
	}
	if (b->o.repeat > 1)
		printf("minimum over %u runs: %.0f cycles per request "
		       "(undisturbed rounds)\n", b->o.repeat,
		       per_req(best.clean.busy, &best.clean));
	bench_line(b, &best);
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "conns", required_argument, NULL, 'c' },
		{ "requests", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "huge-dir", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .conns = 10, .requests = 200000, .size = 1024,
			    .repeat = 1 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;

		switch (c) {
		case 'c': o->conns = (unsigned int)v; break;
		case 'n': o->requests = v; break;
		case 's': o->size = (unsigned int)v; break;
		case 'r': o->repeat = (unsigned int)v; break;
		case 'h': o->huge_dir = optarg; break;
		default: return -1;
		}
	}
	if (optind < argc || o->conns == 0 || o->conns > MAX_CONNS ||
	    o->requests == 0 || o->size == 0 || o->size > 1024 * 1024 ||
	    o->repeat == 0)
		return -1;
	return 0;
}

static int
eal_start(const struct opts *o)
{
	char prefix[64];
	char *eal[] = { "bench_hit", "--no-pci", "--no-shconf",
			"--no-telemetry", "-m", "512", "-l", "0",
			"--log-level", "*:error", "--file-prefix", prefix,
			"--no-huge", NULL, NULL };

	/* --huge-unlink: no page files are left in DIR after the run */
	if (o->huge_dir != NULL) {
		eal[RTE_DIM(eal) - 3] = "--huge-unlink";
		eal[RTE_DIM(eal) - 2] = "--huge-dir";
		eal[RTE_DIM(eal) - 1] = (char *)(uintptr_t)o->huge_dir;
	}

	snprintf(prefix, sizeof(prefix), "dpx-bench_hit-%d", (int)getpid());
	if (rte_eal_init(o->huge_dir != NULL ? RTE_DIM(eal) : RTE_DIM(eal) - 2,
			 eal) < 0)
		return -1;
	snprintf(test_eal_run_dir, sizeof(test_eal_run_dir), "%s",
		 rte_eal_get_runtime_dir());
	return 0;
}

int
main(int argc, char **argv)
{
	static struct bench b;  /* large: keep it off the stack */
	int rc = 1;

	if (parse_args(argc, argv, &b.o) != 0) {
		fprintf(stderr, "usage: bench_hit [--conns N (1-%d, 10)] "
			"[--requests N (200000)] [--size BYTES (1024)] "
			"[--repeat K (1)] [--huge-dir DIR]\n", MAX_CONNS);
		return 2;
	}
	if (eal_start(&b.o) != 0) {
		fprintf(stderr, "bench_hit: EAL init failed\n");
		return 1;
	}
	b.clients = calloc(b.o.conns, sizeof(*b.clients));
	if (b.clients != NULL && content_build(&b) == 0 && dpx_start(&b) == 0)
		rc = bench_run(&b) == 0 ? 0 : 1;
	else
		fprintf(stderr, "bench_hit: cannot set dpx up\n");
	if (dpx_stop(&b) != 0)
		rc = 1;
	free(b.clients);
	free(b.body);
	free(b.response);
	test_eal_cleanup();
	return rc;
}
