/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 sessions of "mode": "http" listeners. One request is in
 * flight per client connection; pipelined requests wait in the receive
 * queue (and, beyond it, in the client's TCP window) until the response
 * before them is complete. Heads are copied into a head buffer to be
 * parsed (resumably: a head arriving in pieces is examined once) and
 * rewritten; bodies stream through in their mbufs, framed by
 * Content-Length or a strict chunked scanner, never buffered whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_mempool.h>

#include "proxy_priv.h"

static void px_http_response_done(struct dpx_worker *w, struct px_session *s);

/* Error response by dpx; the client connection closes after it. */
void
px_http_error(struct dpx_worker *w, struct px_session *s, int status)
{
	struct dpx_proxy_worker *pw = px_w(w);
	char buf[1024], text[PX_FWD_HOST + 64];
	char fields[DPX_AUTH_CHALLENGE_MAX + 32];
	int n;

	if (s->fwd_deny == PX_FWD_ACL && px_acl_answer(w, s))
		return;
	n = dpx_http_write_error_fields(buf, sizeof(buf), status,
			px_fwd_error_fields(s, status, fields, sizeof(fields)),
			px_fwd_error_text(s, text, sizeof(text)), true);
	if (status >= 500)
		pw->stats.errors_5xx++;
	else
		pw->stats.errors_4xx++;
	s->status = (uint16_t)status;
	if (s->rsp_started || n < 0 ||
	    px_chain_add_bytes(dpx_tcp_pool(w), &s->to_cli, buf,
			       (uint32_t)n) != 0) {
		px_session_log(w, s);
		px_session_end(w, s, true);
		return;
	}
	s->rsp_started = true;
	s->bytes_out += (uint32_t)n;
	px_session_log(w, s);
	px_hbuf_put(w, s);
	px_session_end(w, s, false);
}

/* Host value without a port, lower-case match on name patterns. */
static bool
px_host_match(const char *pattern, const struct dpx_http_str *host)
{
	size_t plen = strlen(pattern);
	uint32_t hlen = host->len;

	if (plen == 0)
		return true;
	for (uint32_t i = 0; i < host->len; i++)
		if (host->p[i] == ':') {
			hlen = i;
			break;
		}
	if (pattern[0] == '*' && pattern[1] == '.') {
		size_t sl = plen - 1;   /* ".example.com" */

		return hlen > sl &&
		       strncasecmp(host->p + hlen - sl, pattern + 1, sl) == 0;
	}
	return hlen == plen && strncasecmp(host->p, pattern, plen) == 0;
}

/* The first route matching host and path; NULL: the listener's pool. */
static const struct dpx_route_conf *
px_route(const struct dpx_config *cfg, const struct dpx_listener_conf *ls,
	 const struct dpx_http_request *req)
{
	for (unsigned int i = 0; i < ls->n_routes; i++) {
		const struct dpx_route_conf *r =
			&cfg->routes[ls->first_route + i];
		size_t pl = strlen(r->path_prefix);

		if (px_host_match(r->host, &req->host) &&
		    (pl == 0 || (req->target.len >= pl &&
				 memcmp(req->target.p, r->path_prefix,
					pl) == 0)))
			return r;
	}
	return NULL;
}

static const struct dpx_http_str *
px_header(const struct dpx_http_request *req, const char *name)
{
	size_t n = strlen(name);

	for (uint32_t i = 0; i < req->n_headers; i++)
		if (req->headers[i].name.len == n &&
		    strncasecmp(req->headers[i].name.p, name, n) == 0)
			return &req->headers[i].value;
	return NULL;
}

/* The value of cookie name in the Cookie field, if present. */
static bool
px_cookie(const struct dpx_http_request *req, const char *name,
	  struct dpx_http_str *out)
{
	const struct dpx_http_str *v = px_header(req, "cookie");
	size_t n = strlen(name);
	uint32_t i = 0;

	if (v == NULL)
		return false;
	while (i < v->len) {
		uint32_t end = i;

		while (end < v->len && v->p[end] != ';')
			end++;
		while (i < end && v->p[i] == ' ')
			i++;
		if (end - i > n && memcmp(v->p + i, name, n) == 0 &&
		    v->p[i + n] == '=') {
			out->p = v->p + i + n + 1;
			out->len = end - i - (uint32_t)n - 1;
			return true;
		}
		i = end + 1;
	}
	return false;
}

static uint64_t
px_request_hash(const struct dpx_pool_conf *p, const struct px_session *s,
		const struct dpx_http_request *req)
{
	const struct dpx_http_str *v = NULL;
	struct dpx_http_str c;

	switch (p->hash_key) {
	case DPX_HASH_URI:
		v = &req->target;
		break;
	case DPX_HASH_HEADER:
		v = px_header(req, p->hash_name);
		break;
	case DPX_HASH_COOKIE:
		if (px_cookie(req, p->hash_name, &c))
			v = &c;
		break;
	default:
		break;
	}
	if (v != NULL)
		return dpx_lb_hash(v->p, v->len);
	return dpx_lb_hash(&s->caddr, sizeof(s->caddr));
}

static bool
px_method_idempotent(const struct dpx_http_str *m)
{
	static const char *const ok[] = {
		"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", NULL
	};

	for (unsigned int i = 0; ok[i]; i++)
		if (m->len == strlen(ok[i]) && !memcmp(m->p, ok[i], m->len))
			return true;
	return false;
}

static void
px_copy_str(char *dst, size_t cap, const struct dpx_http_str *v)
{
	size_t n = RTE_MIN((size_t)v->len, cap - 1);

	memcpy(dst, v->p, n);
	dst[n] = '\0';
}

/*
 * Writes a head with write() into a fresh mbuf when it fits one (the rule:
 * no copy), else into the scratch buffer and from there into as many
 * mbufs as it takes. Returns the head's length and the mbuf it is alone
 * in (*one, NULL when it took several), or -1 (too large: the writer
 * refused) or -2 (no mbuf).
 */
typedef int (*px_head_writer)(char *out, uint32_t cap, const void *msg,
			      const void *rw);

static int
px_write_head(struct dpx_worker *w, struct px_chain *q, px_head_writer write,
	      const void *msg, const void *rw, struct rte_mbuf **one)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpx_tcp_pool(w));
	int n;

	*one = NULL;
	if (m == NULL)
		return -2;
	n = write(rte_pktmbuf_mtod(m, char *), rte_pktmbuf_tailroom(m), msg,
		  rw);
	if (n >= 0) {
		rte_pktmbuf_append(m, (uint16_t)n);
		px_chain_add(q, m);
		*one = m;
		return n;
	}
	rte_pktmbuf_free(m);
	n = write(pw->scratch, pw->hbuf_size + 4096, msg, rw);
	if (n < 0)
		return -1;
	if (px_chain_add_bytes(dpx_tcp_pool(w), q, pw->scratch,
			       (uint32_t)n) != 0)
		return -2;
	return n;
}

static int
px_write_request(char *out, uint32_t cap, const void *msg, const void *rw)
{
	return dpx_http_write_request(out, cap, msg, rw);
}

static int
px_write_response(char *out, uint32_t cap, const void *msg, const void *rw)
{
	return dpx_http_write_response(out, cap, msg, rw);
}

/* The listener sends X-SSL-Client-* (its "tls" says client_cert_headers). */
static bool
px_tls_cert_headers(const struct dpx_listener_conf *ls)
{
	const struct dpx_tls_conf *tc = ls->tls;

	return tc != NULL && tc->client_cert_headers;
}

int
px_http_stage_request_head(struct dpx_worker *w, struct px_session *s,
			   const struct dpx_http_request *req)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_http_conf *hc = &s->ls->http;
	bool https = s->tls != NULL || s->cache_bg_https;
	char addr[16];
	struct dpx_http_req_rewrite rw = {
		.client_addr = dpx_ipv4_str(s->caddr, addr, sizeof(addr)),
		.proto = https ? "https" : "http",
		.forwarded = hc->forwarded,
		.via = hc->via,
		.edits = s->route ? &s->route->request : NULL,
		/* a refresh validates with the store's validators only */
		.drop_conditionals = s->cache_bg,
	};
	struct dpx_http_str drop_names[PX_FWD_DROP_MAX];
	struct rte_mbuf *one, *keep;
	int n;

	if (s->fwd != NULL)
		px_fwd_rewrite(s, &rw, drop_names);
	rw.extra = px_cache_validators(s, &rw.extra_len);
	if (https && px_tls_cert_headers(s->ls)) {
		/* A refresh has no certificate to tell of ("NONE"), and must
		 * not pass on what the client claimed. */
		rw.client_cert = true;
		if (s->tls != NULL) {
			rw.client_s_dn = dpx_tls_conn_client_subject(s->tls);
			rw.client_sha256 = dpx_tls_conn_client_sha256(s->tls);
		}
	}
	n = px_write_head(w, &s->to_srv, px_write_request, req, &rw, &one);
	if (n == -1)
		return -431;
	if (n < 0)
		return -503;
	if (req->body != DPX_HTTP_BODY_NONE || !s->req_idempotent)
		return 0;
	/* Kept for a retry: a reference to the same bytes, not a copy
	 * (a head too big for one mbuf is rare: copied then). */
	keep = one != NULL ? rte_pktmbuf_clone(one, dpx_tcp_pool(w)) : NULL;
	if (keep != NULL)
		px_chain_add(&s->req_copy, keep);
	else if (one != NULL ||
		 px_chain_add_bytes(dpx_tcp_pool(w), &s->req_copy, pw->scratch,
				    (uint32_t)n) != 0)
		px_chain_free(&s->req_copy);
	return 0;
}

/* A forward listener's request: its checks, the head for the origin,
 * then the origin (after the resolver, which may answer later). */
static int
px_fwd_request(struct dpx_worker *w, struct px_session *s,
	       const struct dpx_http_request *req)
{
	int rc = px_fwd_start(w, s, req);

	if (rc < 0)
		return rc;
	s->req_idempotent = px_method_idempotent(&req->method);
	s->req_upgrade = req->upgrade;
	if (!s->fwd_connect) {
		rc = px_http_stage_request_head(w, s, req);
		if (rc != 0)
			return rc;
	}
	s->req_state = s->fwd_connect || req->body == DPX_HTTP_BODY_NONE ||
		       (req->body == DPX_HTTP_BODY_LENGTH && s->req_left == 0) ?
		       REQ_DONE : REQ_BODY;
	s->rsp_state = RSP_HEAD;
	return px_fwd_go(w, s, req);
}

/* Routing, framing and the server connection for a parsed request. */
static int
px_start_request(struct dpx_worker *w, struct px_session *s,
		 const struct dpx_http_request *req)
{
	const struct dpx_config *cfg = w->cfg;
	int rc;

	if (s->fwd != NULL)
		return px_fwd_request(w, s, req);
	/* A reverse proxy has no tunnels to offer (the forward proxy does). */
	if (req->method.len == 7 && memcmp(req->method.p, "CONNECT", 7) == 0)
		return -405;
	s->route = px_route(cfg, s->ls, req);
	s->pool = s->route ? (int)s->route->pool : s->ls->pool;
	if (s->pool < 0)
		return -404;
	if (s->ls->access_log) {        /* only the log line needs them */
		px_copy_str(s->method, sizeof(s->method), &req->method);
		px_copy_str(s->path, sizeof(s->path), &req->target);
	}
	s->req_head_method = req->method.len == 4 &&
			     !memcmp(req->method.p, "HEAD", 4);
	s->req_idempotent = px_method_idempotent(&req->method);
	s->req_upgrade = req->upgrade;
	s->client_http10 = req->version_minor == 0;
	s->close_after = !req->keep_alive;
	s->req_body = req->body;
	s->req_left = req->content_length;
	if (req->body == DPX_HTTP_BODY_CHUNKED)
		dpx_http_chunked_init(&s->req_chunked, s->ls->http.max_line,
				      s->ls->http.max_head);
	s->hash = px_request_hash(&cfg->pools[s->pool], s, req);
	px_cz_request(w, s, req);
	rc = px_cache_request(w, s, req);
	if (rc != 0) {
		px_w(w)->stats.requests++;
		return rc < 0 ? rc : 0;     /* answered by the cache */
	}
	rc = px_http_stage_request_head(w, s, req);
	if (rc != 0)
		return rc;
	s->req_state = req->body == DPX_HTTP_BODY_NONE ||
		       (req->body == DPX_HTTP_BODY_LENGTH && s->req_left == 0) ?
		       REQ_DONE : REQ_BODY;
	s->rsp_state = RSP_HEAD;
	px_w(w)->stats.requests++;
	if (s->cache_waiting)
		return 0;   /* another request's fill answers, or it goes on */
	if (px_connect_server(w, s) != 0)
		return -503;
	return 0;
}

/* Parses the request head from cin. 1: started, 0: need more, -1: the
 * session ended. */
static int
px_read_request(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_http_conf *hc = &s->ls->http;
	struct dpx_http_limits lim = {
		.max_line = hc->max_line, .max_headers = hc->max_headers,
		.max_head = hc->max_head, .max_body = hc->max_body,
	};
	uint32_t want;
	int rc = 0;

	if (s->hlen == 0) {
		/* Most heads arrive whole in one segment: parsed where they
		 * are, not copied. An incomplete one goes to the head buffer,
		 * where the parser starts again. */
		dpx_http_parser_init(&s->hp);
		rc = dpx_http_parse_request_more(&s->hp,
				rte_pktmbuf_mtod(s->cin.head, const char *),
				s->cin.head->data_len, &lim, &pw->req);
	}
	if (rc == 0) {
		if (px_hbuf_get(w, s) == NULL) {
			px_http_error(w, s, 503);
			return -1;
		}
		want = RTE_MIN(s->cin.len, pw->hbuf_size);
		if (want > s->hlen)
			s->hlen += px_chain_copy(&s->cin, s->hlen,
						 want - s->hlen,
						 s->hbuf + s->hlen);
		/* Only the bytes new since the last call are examined. */
		rc = dpx_http_parse_request_more(&s->hp, s->hbuf, s->hlen,
						 &lim, &pw->req);
	}
	if (rc == 0) {
		if (s->cli_peer_closed) {
			px_http_error(w, s, 400);
			return -1;
		}
		return 0;
	}
	if (rc < 0) {
		if (s->fwd != NULL)
			px_fwd_parse_refused(w, s->hlen ? s->hbuf :
				rte_pktmbuf_mtod(s->cin.head, const char *),
				s->hlen ? s->hlen : s->cin.head->data_len);
		px_http_error(w, s, dpx_http_error_status(rc));
		return -1;
	}
	/* The request points into its bytes: they go once it is staged. */
	rc = px_start_request(w, s, &pw->req);
	px_hbuf_put(w, s);
	if (rc != 0) {
		px_http_error(w, s, -rc);
		return -1;
	}
	px_chain_take(dpx_tcp_pool(w), &s->cin, pw->req.head_len, NULL);
	px_cli_recv_done(w, s, pw->req.head_len);
	s->bytes_in += pw->req.head_len;
	return 1;
}

/* Moves request body bytes from cin to to_srv within the framing. */
static int
px_stage_request_body(struct dpx_worker *w, struct px_session *s)
{
	struct rte_mempool *mp = dpx_tcp_pool(w);
	uint32_t moved = 0;

	while (s->req_state == REQ_BODY && s->cin.len > 0 &&
	       s->to_srv.len < PX_STAGE_MAX) {
		if (s->req_body == DPX_HTTP_BODY_LENGTH) {
			uint32_t n = (uint32_t)RTE_MIN((uint64_t)s->cin.len,
						       s->req_left);

			if (px_chain_take(mp, &s->cin, n, &s->to_srv) != 0)
				return -ENOMEM;
			s->req_left -= n;
			moved += n;
			if (s->req_left == 0)
				s->req_state = REQ_DONE;
		} else {
			struct rte_mbuf *m = s->cin.head;
			uint32_t used;
			int rc = dpx_http_chunked_scan(&s->req_chunked,
					rte_pktmbuf_mtod(m, const char *),
					m->data_len, &used);

			if (rc < 0)
				return -EBADMSG;
			if (px_chain_take(mp, &s->cin, used, &s->to_srv) != 0)
				return -ENOMEM;
			moved += used;
			if (rc == 1)
				s->req_state = REQ_DONE;
			if (s->ls->http.max_body &&
			    dpx_http_chunked_body_bytes(&s->req_chunked) >
			    s->ls->http.max_body)
				return -EFBIG;
		}
	}
	if (moved > 0) {
		px_cli_recv_done(w, s, moved);
		s->bytes_in += moved;
		/* client_timeout_ms bounds a stall, not the whole body. */
		px_session_arm(w, s, s->ls->client_timeout_ms);
	}
	return 0;
}

static void
px_request_body_error(struct dpx_worker *w, struct px_session *s, int err)
{
	if (s->rsp_started) {
		px_session_end(w, s, true);
		return;
	}
	px_http_error(w, s, err == -EFBIG ? 413 : err == -ENOMEM ? 503 : 400);
}

void
px_http_client_run(struct dpx_worker *w, struct px_session *s)
{
	for (unsigned int round = 0; round < 64; round++) {
		bool srv_up = s->srv != NULL && s->srv->connected &&
			      s->srv->tcb != NULL;
		int rc;

		if (s->draining || (s->cli == NULL && !s->cache_bg))
			return;
		if (s->cache_served) {
			/* After the request's bytes were taken: what follows
			 * them is the next request. */
			px_cache_run(w, s);
			return;
		}
		if (s->req_state == REQ_TUNNEL) {
			px_tunnel_run(w, s);
			return;
		}
		if (s->req_state == REQ_HEAD) {
			if (s->rsp_state != RSP_IDLE)
				return;     /* pipelined: after the response */
			if (s->cin.len == 0) {
				if (s->cli_peer_closed && px_cli_pending(s) == 0)
					px_session_end(w, s, false);
				return;
			}
			px_session_arm(w, s, s->ls->client_timeout_ms);
			rc = px_read_request(w, s);
			if (rc <= 0)
				return;
			continue;
		}
		if (s->req_state == REQ_BODY) {
			rc = px_stage_request_body(w, s);
			if (rc != 0) {
				px_request_body_error(w, s, rc);
				return;
			}
			if (s->req_state == REQ_BODY && s->cli_peer_closed &&
			    s->cin.len == 0) {
				/* The client gave up mid-body. */
				px_session_end(w, s, true);
				return;
			}
		}
		if (srv_up && px_srv_flush(w, s) != 0) {
			px_session_end(w, s, true);
			return;
		}
		if (srv_up && s->req_state == REQ_DONE &&
		    s->to_srv.len == 0 && s->t_sent == 0) {
			s->t_sent = dpx_tcp_now_ms(w) + 1;
			px_session_arm(w, s, w->cfg->pools[s->pool].
					      response_timeout_ms);
		}
		if (s->req_state == REQ_BODY && s->to_srv.len < PX_STAGE_MAX &&
		    s->cin.len > 0 && srv_up)
			continue;
		return;
	}
}

/* Ends the current exchange: logs it, releases the server and readies
 * the client connection for the next request (or closes it). */
static void
px_http_response_done(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	bool reuse = s->srv != NULL && s->srv->connected &&
		     !s->srv->peer_closed && s->req_state == REQ_DONE &&
		     s->rsp_body != DPX_HTTP_BODY_CLOSE && s->srv->in.len == 0 &&
		     s->rsp_keepalive;

	if (!s->cache_bg)
		pw->stats.responses++;
	px_session_log(w, s);
	px_cache_exchange_end(w, s);
	px_cz_end(w, s);
	if (s->status >= 500 && s->pool >= 0) {
		pw->srv_stats[s->pool][s->server].failures++;
		px_server_event(w, s->pool, s->server, PX_EV_PASSIVE_FAIL);
	} else if (s->pool >= 0) {
		px_server_event(w, s->pool, s->server, PX_EV_PASSIVE_OK);
	}
	px_srv_release(w, s, reuse);
	if (s->close_after || s->req_state != REQ_DONE) {
		px_session_end(w, s, false);
		return;
	}
	px_chain_free(&s->req_copy);
	s->req_state = REQ_HEAD;
	s->rsp_state = RSP_IDLE;
	s->pool = -1;
	s->route = NULL;
	s->tried = 0;
	s->attempts = 0;
	s->status = 0;
	s->fwd_deny = PX_FWD_OK;
	if (s->fwd_host != NULL) {
		s->fwd_host[0] = '\0'; /* the log names no stale origin */
		s->user[0] = '\0';     /* ... nor user */
	}
	s->rsp_started = false;
	s->bytes_in = s->bytes_out = 0;
	s->t_sent = 0;
	s->t_start = dpx_tcp_now_ms(w);
	px_session_arm(w, s, s->ls->idle_timeout_ms);
	if (s->cin.len > 0)
		px_http_client_run(w, s);
	else if (s->cli_peer_closed)
		px_session_end(w, s, false);
}

void
px_http_exchange_done(struct dpx_worker *w, struct px_session *s)
{
	px_http_response_done(w, s);
}

const struct dpx_http_str *
px_field(const struct dpx_http_header *h, uint32_t n, const char *name)
{
	size_t len = strlen(name);

	for (uint32_t i = 0; i < n; i++)
		if (h[i].name.len == len &&
		    strncasecmp(h[i].name.p, name, len) == 0)
			return &h[i].value;
	return NULL;
}

/* Writes the rewritten response head to to_cli; x: a cache's changes. */
int
px_http_write_head(struct dpx_worker *w, struct px_session *s,
		   const struct dpx_http_response *rsp,
		   const struct px_rsp_extra *x)
{
	const struct dpx_http_conf *hc = &s->ls->http;
	bool close = s->close_after || rsp->body == DPX_HTTP_BODY_CLOSE;
	struct dpx_http_rsp_rewrite rw = {
		.server_header = hc->server_header,
		.server_value = hc->server_header_value,
		.via = hc->via,
		.edits = s->route ? &s->route->response : NULL,
		.close = close && rsp->status >= 200,
		.client_http10_keepalive = s->client_http10 && !close,
		.status = x->status,
		.drop_age = x->drop_age,
		.drop_length = x->drop_length,
		.drop_vary = x->drop_vary,
		.drop_etag = x->drop_etag,
		.drop_accept_ranges = x->drop_accept_ranges,
		.drop_type = x->drop_type,
		.extra = x->len > 0 ? x->fields : NULL,
		.extra_len = x->len,
	};
	struct rte_mbuf *one;
	int n;

	if (s->fwd != NULL)
		px_fwd_rsp_rewrite(s, &rw);
	n = px_write_head(w, &s->to_cli, px_write_response, rsp, &rw, &one);
	if (n < 0)
		return -1;
	if (rsp->status >= 200 && close)
		s->close_after = true;
	s->rsp_started = true;
	s->bytes_out += (uint32_t)n;
	return 0;
}

static int
px_forward_response_head(struct dpx_worker *w, struct px_session *s,
			 const struct dpx_http_response *rsp)
{
	char fields[1024];     /* X-Cache, coding, framing, Vary, ETag */
	struct px_rsp_extra x = { .fields = fields };

	if (px_cv_defer(w, s, rsp))
		return 0;   /* the store answers once it has the body */
	x.len = px_cache_fields(s, fields, sizeof(fields));
	x.len += px_cz_response(w, s, rsp, &x, fields + x.len,
				(uint32_t)sizeof(fields) - x.len);
	return px_http_write_head(w, s, rsp, &x);
}

/* Parses a response head from the server's bytes. 1: forwarded, 0: need
 * more, -1: the session ended or moved on. */
static int
px_read_response(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_srv *c = s->srv;
	struct dpx_http_limits lim = dpx_http_default_limits;
	uint32_t want;
	int rc = 0;

	lim.max_head = pw->hbuf_size;
	if (s->hlen == 0) {
		/* As for requests: in place when the head is in one segment
		 * (it usually comes with the start of the body). */
		dpx_http_parser_init(&s->hp);
		rc = dpx_http_parse_response_more(&s->hp,
				rte_pktmbuf_mtod(c->in.head, const char *),
				c->in.head->data_len, &lim, s->req_head_method,
				&pw->rsp);
	}
	if (rc == 0) {
		if (px_hbuf_get(w, s) == NULL) {
			px_http_error(w, s, 503);
			return -1;
		}
		want = RTE_MIN(c->in.len, pw->hbuf_size);
		if (want > s->hlen)
			s->hlen += px_chain_copy(&c->in, s->hlen,
						 want - s->hlen,
						 s->hbuf + s->hlen);
		rc = dpx_http_parse_response_more(&s->hp, s->hbuf, s->hlen,
						  &lim, s->req_head_method,
						  &pw->rsp);
	}
	if (rc == 0 && !c->peer_closed)
		return 0;
	if (rc <= 0) {
		px_srv_abort(w, c);
		px_http_error(w, s, 502);
		return -1;
	}
	if (s->status == 0 && s->t_sent)
		s->t_server = (uint32_t)(dpx_tcp_now_ms(w) + 1 - s->t_sent);
	if (s->creq != NULL &&
	    px_cache_response(w, s, &pw->rsp, s->hlen ? s->hbuf :
			      rte_pktmbuf_mtod(c->in.head, const char *)))
		return -1;      /* a stale response stood in for an error */
	s->status = pw->rsp.status;
	s->rsp_keepalive = pw->rsp.keep_alive;
	/* The response points into its bytes: they go once it is written. */
	if (px_forward_response_head(w, s, &pw->rsp) != 0) {
		px_hbuf_put(w, s);
		px_session_end(w, s, true);
		return -1;
	}
	px_hbuf_put(w, s);
	px_chain_take(dpx_tcp_pool(w), &c->in, pw->rsp.head_len, NULL);
	px_srv_recv_done(w, c, pw->rsp.head_len);
	px_chain_free(&s->req_copy);    /* answered: no retry any more */
	if (pw->rsp.status == 101 && s->req_upgrade) {
		s->req_state = REQ_TUNNEL;
		s->rsp_state = RSP_TUNNEL;
		px_tunnel_run(w, s);
		return -1;
	}
	if (pw->rsp.status < 200)
		return 1;               /* 100 Continue etc.: the final follows */
	s->rsp_body = pw->rsp.body;
	s->rsp_left = pw->rsp.content_length;
	s->rsp_complete = false;
	s->rsp_state = RSP_BODY;
	if (s->rsp_body == DPX_HTTP_BODY_CHUNKED)
		dpx_http_chunked_init(&s->rsp_chunked, 8192, 65536);
	return 1;
}

/* Moves response body bytes from the server's queue to to_cli. Returns
 * 1 when the body is complete, 0 when more is to come, <0 on bad framing. */
static int
px_stage_response_body(struct dpx_worker *w, struct px_session *s)
{
	struct px_srv *c = s->srv;
	struct rte_mempool *mp = dpx_tcp_pool(w);
	uint32_t moved = 0;
	int done = 0;

	if (s->rsp_complete)
		return 1;       /* all staged; waiting for the client to take it */
	switch (s->rsp_body) {
	case DPX_HTTP_BODY_NONE:
		return 1;
	case DPX_HTTP_BODY_LENGTH:
		if (s->rsp_left == 0)
			return 1;
		break;
	default:
		break;
	}
	while (!done && c->in.len > 0 && s->to_cli.len < PX_STAGE_MAX) {
		if (s->rsp_body == DPX_HTTP_BODY_LENGTH) {
			uint32_t n = (uint32_t)RTE_MIN((uint64_t)c->in.len,
						       s->rsp_left);

			px_cache_body(w, s, &c->in, n);
			if (s->cv_defer) {
				/* Copied into the store, which answers. */
				if (s->cache_obj == NULL)
					return -ENOMEM;
				px_chain_take(mp, &c->in, n, NULL);
			} else if (s->cz != NULL) {
				if (px_cz_body(w, s, &c->in, n,
					       n == s->rsp_left) != 0)
					return -ENOMEM;
			} else if (px_chain_take(mp, &c->in, n,
						 &s->to_cli) != 0) {
				return -ENOMEM;
			}
			s->rsp_left -= n;
			moved += n;
			done = s->rsp_left == 0;
		} else if (s->rsp_body == DPX_HTTP_BODY_CHUNKED) {
			struct rte_mbuf *m = c->in.head;
			uint32_t used;
			int rc = px_cache_chunked(w, s,
					rte_pktmbuf_mtod(m, const char *),
					m->data_len, &used);

			if (rc < 0)
				return -EBADMSG;
			if (px_chain_take(mp, &c->in, used, &s->to_cli) != 0)
				return -ENOMEM;
			moved += used;
			done = rc == 1;
		} else {
			moved += c->in.len;
			px_chain_move(&c->in, &s->to_cli);
		}
	}
	if (moved > 0)
		px_srv_recv_done(w, c, moved);
	if (!s->cv_defer)
		s->bytes_out += moved;
	if (!done && s->rsp_body == DPX_HTTP_BODY_CLOSE && c->peer_closed &&
	    c->in.len == 0)
		done = 1;
	if (done)
		px_cache_body_done(w, s);
	s->rsp_complete = done;
	return done;
}

void
px_http_server_run(struct dpx_worker *w, struct px_session *s)
{
	if (s->cache_served) {
		px_cache_run(w, s);
		return;
	}
	for (unsigned int round = 0; round < 64; round++) {
		struct px_srv *c = s->srv;
		int rc;

		if (s->draining || (s->cli == NULL && !s->cache_bg))
			return;
		if (s->rsp_state == RSP_TUNNEL) {
			px_tunnel_run(w, s);
			return;
		}
		if (s->rsp_state == RSP_HEAD && c != NULL && c->in.len > 0) {
			rc = px_read_response(w, s);
			if (rc < 0)
				return;
			if (rc == 0)
				break;
			continue;
		}
		if (s->rsp_state == RSP_BODY && c != NULL) {
			rc = px_stage_response_body(w, s);
			if (rc < 0) {
				px_session_end(w, s, true);
				return;
			}
			if (rc == 1 && s->cv_defer) {
				px_cache_deferred(w, s);    /* may end s */
				return;
			}
			px_cli_flush(w, s);
			if (rc == 1 && s->to_cli.len == 0) {
				px_http_response_done(w, s);
				return;
			}
			if (rc == 1 || c->in.len == 0 ||
			    s->to_cli.len >= PX_STAGE_MAX)
				break;
			px_session_arm(w, s, w->cfg->pools[s->pool].
					      response_timeout_ms);
			continue;
		}
		break;
	}
	if (s->cli != NULL || s->cache_bg)
		px_cli_flush(w, s);
	if (s->srv == NULL || !s->srv->peer_closed || s->srv->in.len > 0)
		return;
	if (s->rsp_state == RSP_HEAD && s->hlen == 0) {
		px_http_server_gone(w, s, 0, true);     /* no response: retry? */
	} else if (s->rsp_state == RSP_BODY && !s->rsp_complete &&
		   s->rsp_body != DPX_HTTP_BODY_CLOSE) {
		/* The server closed inside a framed body: the client must
		 * not take the truncated response for a whole one. (A whole
		 * one may still wait for the client: a TLS client's records
		 * are made at the end of the pass, a slow client's window
		 * may be full. The server leaving is then its own business.) */
		px_w(w)->stats.truncated++;
		px_session_end(w, s, true);
	}
}

/* The server connection went away before the exchange completed. */
void
px_http_server_gone(struct dpx_worker *w, struct px_session *s, int err,
		    bool connected)
{
	const struct dpx_pool_conf *p = &w->cfg->pools[s->pool];
	struct dpx_proxy_worker *pw = px_w(w);
	bool fresh = !s->rsp_started && s->hlen == 0;

	if (s->srv != NULL) {
		/* Called with the connection still attached (FIN before
		 * any response): drop it. */
		px_srv_abort(w, s->srv);
	}
	if (s->rsp_state == RSP_BODY &&
	    (s->rsp_complete ||
	     (s->rsp_body == DPX_HTTP_BODY_CLOSE && err == 0))) {
		px_http_server_run(w, s);
		if (s->rsp_state == RSP_BODY && s->to_cli.len == 0)
			px_http_response_done(w, s);
		return;
	}
	if (!connected && err != -EHOSTUNREACH) {
		pw->stats.server_connect_failed++;
		pw->srv_stats[s->pool][s->server].failures++;
		if (err != -ETIMEDOUT)
			px_server_event(w, s->pool, s->server,
					PX_EV_PASSIVE_FAIL);
	}
	/* Retry when nothing of the request can have been processed: the
	 * connect failed, or a reused connection closed without a byte of
	 * response to a request that is safe to repeat. */
	if (fresh && err != -EHOSTUNREACH && s->cli != NULL &&
	    (!connected || s->req_copy.len > 0) && s->attempts <= p->retries) {
		if (connected) {
			px_chain_free(&s->to_srv);
			for (struct rte_mbuf *m = s->req_copy.head; m;
			     m = m->next)
				if (px_chain_add_bytes(dpx_tcp_pool(w),
					&s->to_srv,
					rte_pktmbuf_mtod(m, const char *),
					m->data_len) != 0)
					goto fail;
			if (s->reused) {
				/* A stale kept-alive conn: not the server's
				 * fault, and not a try of its own. */
				s->tried &= ~(UINT64_C(1) << s->server);
				s->attempts--;
			}
		}
		pw->stats.retries++;
		s->t_sent = 0;
		if (px_connect_server(w, s) == 0) {
			/* A kept-alive connection is ready at once. */
			if (s->srv != NULL && s->srv->connected)
				px_http_client_run(w, s);
			return;
		}
	}
fail:
	if (s->cli == NULL) {
		px_session_end(w, s, true);
		return;
	}
	if (px_cache_server_failed(w, s))
		return;
	if (!s->rsp_started) {
		px_http_error(w, s, err == -EHOSTUNREACH ? 503 :
				    err == -ETIMEDOUT && connected ? 504 : 502);
		return;
	}
	px_session_end(w, s, true);   /* truncated response */
}

void
px_http_timeout(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (s->fwd_tunnel) {
		pw->stats.fwd_tunnel_timeouts++;
		px_session_end(w, s, true);
		return;
	}
	if (s->fwd_resolving) {
		pw->stats.timeouts_server++;    /* the resolver's */
		px_http_error(w, s, 504);
		return;
	}
	if (s->fwd_auth_wait) {
		pw->stats.timeouts_server++;    /* the verifier's */
		px_http_error(w, s, 503);
		return;
	}
	if (s->req_state == REQ_HEAD && s->rsp_state == RSP_IDLE) {
		if (s->cin.len > 0 || s->hlen > 0) {
			pw->stats.timeouts_client++;
			px_http_error(w, s, 408);
		} else {
			px_session_end(w, s, false);    /* keep-alive idle */
		}
		return;
	}
	if (s->srv != NULL && !s->srv->connected) {
		px_server_event(w, s->pool, s->server, PX_EV_PASSIVE_FAIL);
		px_srv_abort(w, s->srv);
		px_http_server_gone(w, s, -ETIMEDOUT, false);
		return;
	}
	if (s->req_state == REQ_BODY && s->t_sent == 0) {
		pw->stats.timeouts_client++;
		px_http_error(w, s, 408);
		return;
	}
	pw->stats.timeouts_server++;
	if (s->srv != NULL)
		px_srv_abort(w, s->srv);
	if (!s->rsp_started)
		px_http_error(w, s, 504);
	else
		px_session_end(w, s, true);
}
