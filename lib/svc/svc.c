/* SPDX-License-Identifier: BSD-3-Clause */
/* Echo and static HTTP test services on top of lib/tcp; UDP echo on
 * lib/udp. */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "dpx_svc.h"
#include "dpx_tcp.h"
#include "dpx_udp.h"

#define SVC_MAX_CONNS 8192
#define SVC_BODY_CHUNK 2048

static const char svc_small_body[] = "dpx static service\n";

struct svc_conn {
	uint8_t mode;
	bool peer_closed;
	bool close_after;       /* this response ends the connection */
	struct rte_mbuf *pending; /* echo: received, not yet queued */
	uint32_t req_len;
	uint64_t body_left;
	uint64_t body_off;
	char req[1024];
};

struct dpx_svc_worker {
	struct rte_mempool *conns;
	uint64_t conn_overflow;
	/* The /bytes/N pattern from offset 0 to LEN + CHUNK: any chunk of a
	 * body is one memcpy from offset (body offset mod LEN). A byte loop
	 * with a modulo each capped a bulk transfer near 300 MB/s. */
	uint8_t pattern[DPX_SVC_PATTERN_LEN + SVC_BODY_CHUNK];
};

static void svc_static_run(struct dpx_worker *w, struct dpx_tcb *c,
			   struct svc_conn *s);

static void
svc_accepted(struct dpx_worker *w, struct dpx_tcb *c, void *arg)
{
	struct svc_conn *s;
	void *obj;

	if (rte_mempool_get(w->svc->conns, &obj) != 0) {
		w->svc->conn_overflow++;
		dpx_tcp_abort(w, c);
		return;
	}
	s = obj;
	memset(s, 0, offsetof(struct svc_conn, req));
	s->mode = (uint8_t)(uintptr_t)arg;
	dpx_tcp_set_user(c, s);
}

static void
svc_closed(struct dpx_worker *w, struct dpx_tcb *c, int err)
{
	struct svc_conn *s = dpx_tcp_user(c);

	(void)err;
	if (s == NULL)
		return;
	rte_pktmbuf_free(s->pending);
	rte_mempool_put(w->svc->conns, s);
	dpx_tcp_set_user(c, NULL);
}

/* Echo: queue received segments while they fit; the rest waits, and the
 * bytes it holds keep the receive window closed. */
static void
echo_flush(struct dpx_worker *w, struct dpx_tcb *c, struct svc_conn *s)
{
	while (s->pending != NULL) {
		struct rte_mbuf *m = s->pending, *rest = m->next;
		uint32_t len = m->data_len;

		if (len > dpx_tcp_send_space(c))
			break;
		if (rest != NULL) {
			rest->nb_segs = m->nb_segs - 1;
			rest->pkt_len = m->pkt_len - len;
		}
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = len;
		s->pending = rest;
		if (dpx_tcp_send(w, c, m) != 0) {
			rte_pktmbuf_free(m);
			dpx_tcp_abort(w, c);
			return;
		}
		dpx_tcp_recv_done(w, c, len);
	}
	if (s->pending == NULL && s->peer_closed)
		dpx_tcp_close(w, c);
}

static void
echo_data(struct dpx_worker *w, struct dpx_tcb *c, struct svc_conn *s,
	  struct rte_mbuf *m)
{
	if (s->pending == NULL)
		s->pending = m;
	else if (rte_pktmbuf_chain(s->pending, m) != 0) {
		rte_pktmbuf_free(m);    /* more segments than a chain holds */
		dpx_tcp_abort(w, c);
		return;
	}
	echo_flush(w, c, s);
}

static void
svc_data(struct dpx_worker *w, struct dpx_tcb *c, struct rte_mbuf *m)
{
	struct svc_conn *s = dpx_tcp_user(c);
	uint32_t len = m->pkt_len;
	const void *p;

	if (s == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	if (s->mode == DPX_LISTEN_ECHO) {
		echo_data(w, c, s, m);
		return;
	}
	/* static: requests are small; copy them out and free the mbufs. */
	if (s->req_len + len > sizeof(s->req))
		len = sizeof(s->req) - s->req_len;
	p = rte_pktmbuf_read(m, 0, len, s->req + s->req_len);
	if (p != NULL && p != s->req + s->req_len)
		memcpy(s->req + s->req_len, p, len);
	s->req_len += len;
	dpx_tcp_recv_done(w, c, m->pkt_len);
	rte_pktmbuf_free(m);
	svc_static_run(w, c, s);
}

static void
svc_sendable(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct svc_conn *s = dpx_tcp_user(c);

	if (s == NULL)
		return;
	if (s->mode == DPX_LISTEN_ECHO)
		echo_flush(w, c, s);
	else
		svc_static_run(w, c, s);
}

static void
svc_peer_closed(struct dpx_worker *w, struct dpx_tcb *c)
{
	struct svc_conn *s = dpx_tcp_user(c);

	if (s == NULL) {
		dpx_tcp_close(w, c);
		return;
	}
	s->peer_closed = true;
	if (s->mode == DPX_LISTEN_ECHO)
		echo_flush(w, c, s);
	else
		svc_static_run(w, c, s);
}

static int
svc_send_bytes(struct dpx_worker *w, struct dpx_tcb *c, const char *p,
	       uint32_t len, bool more)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpx_tcp_pool(w));
	char *dst;

	if (m == NULL)
		return -ENOBUFS;
	dst = rte_pktmbuf_append(m, len);
	if (dst == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	memcpy(dst, p, len);
	if ((more ? dpx_tcp_send_more(w, c, m) : dpx_tcp_send(w, c, m)) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

/* Fills send space with the body pattern; true when the body is done. */
static bool
static_body(struct dpx_worker *w, struct dpx_tcb *c, struct svc_conn *s)
{
	while (s->body_left > 0 && dpx_tcp_send_space(c) >= SVC_BODY_CHUNK) {
		uint32_t n = (uint32_t)RTE_MIN(s->body_left,
					       (uint64_t)SVC_BODY_CHUNK);
		struct rte_mbuf *m = rte_pktmbuf_alloc(dpx_tcp_pool(w));
		uint8_t *dst;

		if (m == NULL)
			return false;   /* retried on the next ACK */
		dst = (uint8_t *)rte_pktmbuf_append(m, n);
		if (dst == NULL) {
			rte_pktmbuf_free(m);
			return false;
		}
		memcpy(dst, w->svc->pattern +
		       s->body_off % DPX_SVC_PATTERN_LEN, n);
		if ((n < s->body_left ? dpx_tcp_send_more(w, c, m) :
		     dpx_tcp_send(w, c, m)) != 0) {
			rte_pktmbuf_free(m);
			return false;
		}
		s->body_off += n;
		s->body_left -= n;
	}
	return s->body_left == 0;
}

/* Parses "GET /bytes/N HTTP/1.x"; returns the status to answer. */
static int
static_parse(struct svc_conn *s, const char *head, uint64_t *body_len,
	     bool *small)
{
	char method[8], path[256], version[16];
	char *end;

	if (sscanf(head, "%7s %255s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0)
		return 400;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return 405;
	if (strcmp(version, "HTTP/1.0") == 0 ||
	    strcasestr(head, "\r\nconnection: close") != NULL)
		s->close_after = true;
	*small = strncmp(path, "/bytes/", 7) != 0;
	if (*small)
		return 200;
	errno = 0;
	*body_len = strtoull(path + 7, &end, 10);
	if (errno || *end != '\0' || path[7] < '0' || path[7] > '9' ||
	    *body_len > (1ull << 40))
		return 400;
	return 200;
}

static void
static_respond(struct dpx_worker *w, struct dpx_tcb *c, struct svc_conn *s,
	       uint32_t head_len)
{
	uint64_t body_len = 0;
	bool small = false, head;
	int status;
	char hdr[256];
	int n;

	s->req[head_len - 1] = '\0';
	head = strncmp(s->req, "HEAD ", 5) == 0;
	status = static_parse(s, s->req, &body_len, &small);
	if (status != 200)
		s->close_after = true;
	if (small)
		body_len = sizeof(svc_small_body) - 1;
	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nServer: dpx\r\n"
		     "Content-Type: %s\r\nContent-Length: %" PRIu64 "\r\n%s\r\n",
		     status, status == 200 ? "OK" : status == 405 ?
		     "Method Not Allowed" : "Bad Request",
		     small ? "text/plain" : "application/octet-stream",
		     status == 200 ? body_len : 0,
		     s->close_after ? "Connection: close\r\n" : "");
	bool body = status == 200 && !head && body_len > 0;

	svc_send_bytes(w, c, hdr, (uint32_t)n, body);
	if (body && small)
		svc_send_bytes(w, c, svc_small_body, (uint32_t)body_len, false);
	s->body_off = 0;
	s->body_left = status == 200 && !small && !head ? body_len : 0;
	memmove(s->req, s->req + head_len, s->req_len - head_len);
	s->req_len -= head_len;
}

/* Serves requests in order: one body at a time, the next request only
 * when the previous response has been queued in full. */
static void
svc_static_run(struct dpx_worker *w, struct dpx_tcb *c, struct svc_conn *s)
{
	for (;;) {
		char *end;

		if (!static_body(w, c, s))
			return;
		if (s->close_after) {
			dpx_tcp_close(w, c);
			return;
		}
		end = memmem(s->req, s->req_len, "\r\n\r\n", 4);
		if (end == NULL) {
			if (s->req_len == sizeof(s->req)) {
				static const char too_big[] =
					"HTTP/1.1 431 Request Header Fields Too "
					"Large\r\nContent-Length: 0\r\n"
					"Connection: close\r\n\r\n";

				svc_send_bytes(w, c, too_big, sizeof(too_big) - 1,
					       false);
				dpx_tcp_close(w, c);
			} else if (s->peer_closed) {
				dpx_tcp_close(w, c);
			}
			return;
		}
		/* Headers need send space: wait for it before answering. */
		if (dpx_tcp_send_space(c) < 512)
			return;
		static_respond(w, c, s, (uint32_t)(end - s->req) + 4);
	}
}

static const struct dpx_tcp_callbacks svc_callbacks = {
	.accepted = svc_accepted,
	.data = svc_data,
	.sendable = svc_sendable,
	.peer_closed = svc_peer_closed,
	.closed = svc_closed,
};

/* UDP echo: each datagram goes back as it came (the same mbuf), from
 * the address and port it was sent to. */
static void
svc_udp_echo(struct dpx_worker *w, void *arg, uint32_t src_addr,
	     uint16_t src_port, uint32_t dst_addr, uint16_t dst_port,
	     struct rte_mbuf *payload)
{
	(void)arg;
	/* A failure is counted by lib/udp (send_errors). */
	dpx_udp_send_mbuf(w, dst_addr, dst_port, src_addr, src_port, payload);
}

int
dpx_svc_worker_start(struct dpx_worker *w)
{
	const struct dpx_config *cfg = w->cfg;
	char name[RTE_MEMPOOL_NAMESIZE];
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);

	if (cfg->n_listeners == 0)
		return 0;
	w->svc = rte_zmalloc_socket("dpx_svc", sizeof(*w->svc), 0, socket);
	if (w->svc == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < sizeof(w->svc->pattern); i++)
		w->svc->pattern[i] = dpx_svc_pattern_byte(i);
	snprintf(name, sizeof(name), "dpx_svc_%u", w->index);
	w->svc->conns = rte_mempool_create(name, RTE_MIN(cfg->tcp.max_connections,
				(uint32_t)SVC_MAX_CONNS), sizeof(struct svc_conn),
				0, 0, NULL, NULL, NULL, NULL, socket,
				RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (w->svc->conns == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->n_listeners; i++) {
		const struct dpx_listener_conf *l = &cfg->listeners[i];
		int rc;

		if (l->mode == DPX_LISTEN_UDP_ECHO)
			rc = dpx_udp_bind(w, l->addr, l->port, svc_udp_echo,
					  NULL);
		else if (l->mode == DPX_LISTEN_ECHO ||
			 l->mode == DPX_LISTEN_STATIC)
			rc = dpx_tcp_listen(w, l->addr, l->port, l->backlog,
					    &svc_callbacks,
					    (void *)(uintptr_t)l->mode);
		else
			continue;   /* proxy listeners belong to lib/proxy */

		if (rc != 0)
			return rc;
	}
	return 0;
}

void
dpx_svc_worker_fini(struct dpx_worker *w)
{
	if (w->svc == NULL)
		return;
	rte_mempool_free(w->svc->conns);
	rte_free(w->svc);
	w->svc = NULL;
}
