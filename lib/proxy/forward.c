/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forward-proxy sessions ("mode": "forward" listeners): clients name the
 * origin in each request, "GET http://host:port/path" (absolute-form,
 * sent on in origin-form with Host from the target) or "CONNECT
 * host:port" (a tunnel: 200, then bytes spliced both ways by the tunnel
 * of session.c). The rest of the exchange is the reverse proxy's: the
 * origin connection counts in the listener's own pool (config), whose one
 * "server" stands for every origin, and a kept-alive connection is reused
 * only for the origin it was made for (upstream.c).
 *
 * A request goes: target checks, authentication, access rules (with the
 * user known), the cache (listeners with "cache": true), name
 * resolution, loop check, connect. Authentication and resolution may
 * finish later than the request step (px_fwd_authenticated(),
 * px_fwd_resolved()), so nothing after them relies on the parsed
 * request: the head to the origin is staged before, and the ACL keeps
 * its own copy of method and path.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy_priv.h"

static bool
px_is_connect(const struct dpx_http_request *req)
{
	return req->method.len == 7 && memcmp(req->method.p, "CONNECT", 7) == 0;
}

/* A refusal of the target: its counter and status. */
static int
px_fwd_target_refused(struct dpx_worker *w, int why)
{
	struct dpx_proxy_stats *st = &px_w(w)->stats;

	switch (why) {
	case DPX_HTTP_T_USERINFO:
		st->fwd_denied_userinfo++;
		return -400;
	case DPX_HTTP_T_HOST:
	case DPX_HTTP_T_HOST_LONG:
	case DPX_HTTP_T_NON_ASCII:
		st->fwd_denied_host++;
		return -400;
	case DPX_HTTP_T_SCHEME:
		/* https:// is the client's TLS to make: CONNECT. */
		st->fwd_denied_target++;
		return -501;
	default:
		st->fwd_denied_target++;
		return -400;
	}
}

void
px_fwd_parse_refused(struct dpx_worker *w, const char *buf, uint32_t len)
{
	struct dpx_http_target t;
	uint32_t i = 0, m, e;
	int why;

	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	for (m = i; m < len && buf[m] != ' '; m++)
		;
	for (e = m + 1; e < len && buf[e] != ' ' && buf[e] != '\r'; e++)
		;
	if (m >= len || e >= len)
		return;
	why = dpx_http_target_split(buf + m + 1, e - m - 1,
				    m - i == 7 && !memcmp(buf + i, "CONNECT", 7),
				    &t);
	if (why != DPX_HTTP_T_OK)
		px_fwd_target_refused(w, why);
}

/* Some Via element was received by dpx: the request has been here. */
static bool
px_fwd_via_loop(const struct dpx_http_request *req)
{
	for (uint32_t i = 0; i < req->n_headers; i++) {
		const struct dpx_http_str *v = &req->headers[i].value;

		if (req->headers[i].field != DPX_HTTP_F_VIA)
			continue;
		/* elements: protocol SP received-by [SP comment], by ',' */
		for (uint32_t k = 0; k + 3 <= v->len; k++) {
			bool start = k > 0 && v->p[k - 1] == ' ';
			bool end = k + 3 == v->len || v->p[k + 3] == ',' ||
				   v->p[k + 3] == ' ';

			if (start && end && strncasecmp(v->p + k, "dpx", 3) == 0)
				return true;
		}
	}
	return false;
}

/* One of dpx's own addresses at the listener's port. */
static bool
px_fwd_is_self(const struct dpx_worker *w, const struct px_session *s)
{
	const struct dpx_config *cfg = w->cfg;

	if (s->fwd_port != s->ls->port)
		return false;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		for (unsigned int j = 0; j < cfg->ports[i].n_addrs; j++)
			if (cfg->ports[i].addrs[j].addr == s->fwd_addr)
				return true;
	return false;
}

static bool
px_fwd_port_allowed(const struct dpx_forward_conf *fc, uint16_t port)
{
	for (unsigned int i = 0; i < fc->n_connect_ports; i++)
		if (fc->connect_ports[i] == port)
			return true;
	return false;
}

/* The listener's "acl", or the authenticated user's own (acl.c): 0 to go
 * on (perhaps to be decided once the user is verified, in
 * px_fwd_authenticated(), or once the name resolves, in
 * px_fwd_connect()), -status to refuse or redirect with the ACL's
 * answer. */
static int
px_fwd_access_check(struct dpx_worker *w, struct px_session *s,
		    const struct dpx_http_request *req)
{
	if (s->fwd_auth_wait)
		return px_acl_park(w, s, req, px_is_connect(req));
	return px_acl_check(w, s, req, px_is_connect(req));
}

/* lib/auth on listeners with "auth" (fwd_auth.c): 0 to go on, perhaps
 * parked (s->fwd_auth_wait: px_fwd_go() waits, px_fwd_authenticated()
 * goes on), -status to refuse. The field is never passed to origins
 * either way (px_fwd_rewrite()). */
static int
px_fwd_authenticate(struct dpx_worker *w, struct px_session *s,
		    const struct dpx_http_request *req)
{
	return px_fwd_auth_check(w, s, req);
}

/*
 * Starts resolving s->fwd_host: 0 with s->fwd_addr set, 1 when the answer
 * comes later through px_fwd_resolved(), or -1: not resolved. IP literals
 * and the listener's "hosts" map answer at once; other names go to the
 * worker's resolver when the config has one (fwd_dns.c).
 */
static int
px_fwd_resolve(struct dpx_worker *w, struct px_session *s)
{
	const struct dpx_forward_conf *fc = s->fwd;
	size_t n = strlen(s->fwd_host);

	px_dns_forget(s);
	if (dpx_parse_ipv4(s->fwd_host, &s->fwd_addr) == 0)
		return 0;
	for (unsigned int i = 0; i < fc->n_hosts; i++)
		if (strlen(fc->hosts[i].name) == n &&
		    strcasecmp(fc->hosts[i].name, s->fwd_host) == 0) {
			s->fwd_addr = fc->hosts[i].addr;
			return 0;
		}
	return px_dns_resolve(w, s);
}

/* After resolution: 0 when connecting (or queued), else -status. */
static int
px_fwd_connect(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	int rc;

	if (s->fwd_addr == 0) {
		pw->stats.fwd_unresolved++;
		s->fwd_deny = PX_FWD_UNRESOLVED;
		return -px_dns_http_status(s);
	}
	rc = px_acl_recheck(w, s);     /* a rule needed the address */
	if (rc != 0)
		return rc;
	if (px_fwd_is_self(w, s)) {
		pw->stats.fwd_denied_loop++;
		s->fwd_deny = PX_FWD_LOOP;
		return -508;
	}
	px_egress_pick(w, s);
	if (px_connect_server(w, s) != 0)
		return -503;
	if (s->reused)
		pw->stats.fwd_reused++;
	return 0;
}

void
px_fwd_resolved(struct dpx_worker *w, struct px_session *s, uint32_t addr)
{
	int rc;

	s->fwd_resolving = false;
	s->fwd_addr = addr;
	rc = px_fwd_connect(w, s);
	if (rc != 0) {
		px_http_error(w, s, -rc);
		return;
	}
	if (s->srv != NULL && s->srv->connected)
		px_on_server_ready(w, s);   /* a kept-alive one */
}

/* The target's host and port into the session; 0 or -status. */
static int
px_fwd_target(struct dpx_worker *w, struct px_session *s,
	      const struct dpx_http_request *req, bool connect)
{
	struct dpx_http_target t;
	int why = dpx_http_target_split(req->target.p, req->target.len,
					connect, &t);

	if (why != DPX_HTTP_T_OK)
		return px_fwd_target_refused(w, why);
	memcpy(s->fwd_host, t.host.p, t.host.len);
	s->fwd_host[t.host.len] = '\0';
	s->fwd_port = t.port;
	s->fwd_addr = 0;
	return 0;
}

/* CONNECT's own rules: allowed port, no body. 0 or -status. */
static int
px_fwd_connect_rules(struct dpx_worker *w, struct px_session *s,
		     const struct dpx_http_request *req)
{
	struct dpx_proxy_stats *st = &px_w(w)->stats;

	if (req->body == DPX_HTTP_BODY_CHUNKED ||
	    (req->body == DPX_HTTP_BODY_LENGTH && req->content_length > 0)) {
		st->fwd_denied_connect_body++;
		return -400;
	}
	if (!px_fwd_port_allowed(s->fwd, s->fwd_port)) {
		st->fwd_denied_connect_port++;
		return -403;
	}
	return 0;
}

static void
px_fwd_copy(char *dst, size_t cap, const struct dpx_http_str *v)
{
	size_t n = RTE_MIN((size_t)v->len, cap - 1);

	memcpy(dst, v->p, n);
	dst[n] = '\0';
}

int
px_fwd_start(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_http_request *req)
{
	struct dpx_proxy_worker *pw = px_w(w);
	bool connect = px_is_connect(req);
	int rc;

	s->fwd_deny = PX_FWD_OK;
	s->egress_idx = -1;
	s->egress_addr = 0;
	px_acl_rule_clear(s);
	if (s->ls->access_log) {
		px_fwd_copy(s->method, sizeof(s->method), &req->method);
		px_fwd_copy(s->path, sizeof(s->path), &req->target);
	}
	rc = px_fwd_target(w, s, req, connect);
	if (rc == 0 && connect)
		rc = px_fwd_connect_rules(w, s, req);
	if (rc == 0 && px_fwd_via_loop(req)) {
		pw->stats.fwd_denied_loop++;
		s->fwd_deny = PX_FWD_LOOP;
		rc = -508;
	}
	/* as Squid's proxy_auth: no ACL decides before the user is known,
	 * so a request without valid credentials gets 407 whatever the
	 * rules say */
	if (rc == 0)
		rc = px_fwd_authenticate(w, s, req);
	if (rc == 0)
		rc = px_fwd_access_check(w, s, req);
	if (rc != 0)
		return rc;
	s->pool = (int)s->fwd->pool;
	s->fwd_connect = connect;
	s->req_head_method = req->method.len == 4 &&
			     !memcmp(req->method.p, "HEAD", 4);
	s->req_idempotent = false;  /* a retry could reach another origin */
	s->client_http10 = req->version_minor == 0;
	s->close_after = !req->keep_alive || connect;
	s->req_body = connect ? DPX_HTTP_BODY_NONE : req->body;
	s->req_left = req->content_length;
	if (s->req_body == DPX_HTTP_BODY_CHUNKED)
		dpx_http_chunked_init(&s->req_chunked, s->ls->http.max_line,
				      s->ls->http.max_head);
	pw->stats.requests++;
	pw->stats.fwd_requests++;
	return 1;   /* http.c stages the head, then px_fwd_go() */
}

/* The name, then the origin: 0 when connecting or waiting for the
 * resolver, else -status. */
static int
px_fwd_origin(struct dpx_worker *w, struct px_session *s)
{
	int rc = px_fwd_resolve(w, s);

	if (rc > 0) {
		s->fwd_resolving = true;    /* px_fwd_resolved() goes on */
		/* the wait for a name counts as part of the connect */
		px_session_arm(w, s, w->cfg->pools[s->pool].connect_timeout_ms);
		return 0;
	}
	if (rc < 0)
		s->fwd_addr = 0;
	return px_fwd_connect(w, s);
}

/* A parked request's head is gone: the one staged for the origin is
 * parsed again (origin-form, Host from the target: the same key), into
 * s's head buffer, which the caller puts back. NULL: not readable. */
static const struct dpx_http_request *
px_fwd_staged_request(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_http_parser hp;
	uint32_t n;

	if (px_hbuf_get(w, s) == NULL)
		return NULL;
	n = px_chain_copy(&s->to_srv, 0, RTE_MIN(s->to_srv.len, pw->hbuf_size),
			  s->hbuf);
	dpx_http_parser_init(&hp);
	if (n == 0 ||
	    dpx_http_parse_request_more(&hp, s->hbuf, n, NULL, &pw->req) != 1)
		return NULL;
	return &pw->req;
}

/*
 * The lookup found a stale entry to revalidate: its validators go into
 * the head already staged for the origin (to_srv, and the copy kept of
 * it, which the store reads Vary values from). 0, or -1 when they could
 * not be added (the request goes without them: a plain miss), or -503.
 */
static int
px_fwd_stage_validators(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct rte_mempool *mp = dpx_tcp_pool(w);
	char *buf = pw->scratch;
	uint32_t vlen, n = s->to_srv.len;
	const char *v = px_cache_validators(s, &vlen);

	if (v == NULL)
		return 0;
	if (n < 4 || n + vlen > pw->hbuf_size + 4096 ||
	    px_chain_copy(&s->to_srv, 0, n, buf) != n ||
	    memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
		s->creq->reval_len = 0;
		return -1;
	}
	memmove(buf + n - 2 + vlen, buf + n - 2, 2);
	memcpy(buf + n - 2, v, vlen);
	n += vlen;
	px_chain_free(&s->to_srv);
	px_chain_free(&s->req_copy);
	if (px_chain_add_bytes(mp, &s->to_srv, buf, n) != 0 ||
	    px_chain_add_bytes(mp, &s->req_copy, buf, n) != 0)
		return -503;
	return 0;
}

/*
 * The cache (cache.c) for a request that passed its checks, the ACL and
 * authentication: 1 when answered from the store, or waiting for another
 * request's fill of the key (which answers it, or px_fwd_cache_missed()),
 * 0 to go to the origin, -status. CONNECT never is; nor is a request
 * whose ACL decision waits for the address, as a hit must not pass a
 * rule not yet decided. req NULL: a parked request (its staged head is
 * read again).
 */
static int
px_fwd_cache(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_http_request *req)
{
	bool reparsed = req == NULL;
	int rc;

	if (!s->ls->cache || s->fwd_connect)
		return 0;
	if (s->acl_pend != NULL || (reparsed && s->hbuf != NULL)) {
		px_w(w)->cstats.bypass++;
		s->cache_status = PX_CS_BYPASS;
		return 0;
	}
	if (reparsed)
		req = px_fwd_staged_request(w, s);
	rc = req != NULL ? px_cache_request(w, s, req) : 0;
	if (reparsed)
		px_hbuf_put(w, s);
	if (rc > 0) {
		/* answered: the head staged for the origin goes */
		px_chain_free(&s->to_srv);
		px_chain_free(&s->req_copy);
		return 1;
	}
	if (rc < 0)
		return rc;
	if (s->cache_waiting)
		return 1;
	return px_fwd_stage_validators(w, s) == -503 ? -503 : 0;
}

int
px_fwd_go(struct dpx_worker *w, struct px_session *s,
	  const struct dpx_http_request *req)
{
	int rc;

	if (s->fwd_auth_wait) {
		/* the head is staged: px_fwd_authenticated() goes on */
		px_session_arm(w, s, w->cfg->pools[s->pool].connect_timeout_ms);
		return 0;
	}
	rc = px_fwd_cache(w, s, req);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return px_fwd_origin(w, s);
}

/* A request goes on outside the request step (rc from px_fwd_go() or
 * px_fwd_origin()): the error, the cache's answer, or a kept-alive
 * origin connection to write to. */
static void
px_fwd_resume(struct dpx_worker *w, struct px_session *s, int rc)
{
	if (rc != 0) {
		px_http_error(w, s, -rc);
		return;
	}
	if (s->cache_served) {
		px_cache_run(w, s);         /* may end s */
		return;
	}
	if (s->srv != NULL && s->srv->connected)
		px_on_server_ready(w, s);   /* a kept-alive one */
}

void
px_fwd_authenticated(struct dpx_worker *w, struct px_session *s)
{
	int rc = px_acl_authenticated(w, s);

	if (rc == 0)
		rc = px_fwd_go(w, s, NULL);
	px_fwd_resume(w, s, rc);
}

void
px_fwd_cache_missed(struct dpx_worker *w, struct px_session *s)
{
	px_fwd_resume(w, s, px_fwd_origin(w, s));
}

void
px_fwd_tunnel_open(struct dpx_worker *w, struct px_session *s)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct dpx_proxy_worker *pw = px_w(w);

	if (px_chain_add_bytes(dpx_tcp_pool(w), &s->to_cli, ok,
			       sizeof(ok) - 1) != 0) {
		px_session_end(w, s, true);
		return;
	}
	s->status = 200;
	s->rsp_started = true;
	s->req_state = REQ_TUNNEL;
	s->rsp_state = RSP_TUNNEL;
	s->fwd_tunnel = true;
	s->t_server = (uint32_t)(dpx_tcp_now_ms(w) - s->t_start);
	pw->stats.fwd_tunnels++;
	pw->stats.fwd_tunnels_active++;
	px_tunnel_run(w, s);
}

/* The session goes while its name is being resolved: lib/dns must not
 * answer into a freed session (the query goes on and fills the cache). */
static void
px_fwd_resolve_cancel(struct dpx_worker *w, struct px_session *s)
{
	px_dns_cancel(w, s);
	s->fwd_resolving = false;
}

void
px_fwd_session_end(struct dpx_worker *w, struct px_session *s)
{
	struct dpx_proxy_worker *pw = px_w(w);

	if (s->fwd_resolving)
		px_fwd_resolve_cancel(w, s);
	if (s->fwd_auth_wait)
		px_fwd_auth_cancel(w, s);
	px_acl_release(w, s);
	if (!s->fwd_tunnel)
		return;
	s->fwd_tunnel = false;
	pw->stats.fwd_tunnels_active--;
	pw->stats.fwd_tunnel_bytes += s->bytes_in + s->bytes_out;
}

const char *
px_fwd_error_text(const struct px_session *s, char *buf, size_t cap)
{
	const char *why;

	if (s->fwd == NULL || s->fwd_deny != PX_FWD_UNRESOLVED)
		return NULL;
	why = px_dns_failure_text(s);
	snprintf(buf, cap, "dpx: cannot resolve %s%s%s\n", s->fwd_host,
		 why != NULL ? ": " : "", why != NULL ? why : "");
	return buf;
}

#define STR(lit) ((struct dpx_http_str){ (lit), sizeof(lit) - 1 })

/* transparent: X-Forwarded-For and Forwarded, not the -Proto and -Host
 * that go with X-Forwarded-For elsewhere. */
static const struct dpx_hdr_edits px_fwd_transparent_edits = {
	.remove = { "x-forwarded-proto", "x-forwarded-host" },
	.n_remove = 2,
};

void
px_fwd_rewrite(const struct px_session *s, struct dpx_http_req_rewrite *rw,
	       struct dpx_http_str *names)
{
	const struct dpx_forward_conf *fc = s->fwd;
	uint32_t n = 0;

	rw->origin_form = true;
	rw->edits = NULL;
	names[n++] = STR("Proxy-Authorization");
	switch (fc->anonymity) {
	case DPX_ANON_TRANSPARENT:
		rw->forwarded = DPX_FWD_BOTH;
		rw->via = true;
		rw->edits = &px_fwd_transparent_edits;
		break;
	case DPX_ANON_ANONYMOUS:
		rw->forwarded = DPX_FWD_NONE;
		rw->via = true;
		break;
	default:
		rw->forwarded = DPX_FWD_NONE;
		rw->via = false;
		names[n++] = STR("Via");
		break;
	}
	if (fc->anonymity != DPX_ANON_TRANSPARENT) {
		names[n++] = STR("X-Forwarded-For");
		names[n++] = STR("Forwarded");
		names[n++] = STR("X-Real-IP");
	}
	for (unsigned int i = 0; i < fc->n_strip_headers; i++)
		names[n++] = (struct dpx_http_str){ fc->strip_headers[i],
			(uint32_t)strlen(fc->strip_headers[i]) };
	rw->drop_names = names;
	rw->n_drop_names = n;
	rw->user_agent = fc->user_agent[0] != '\0' ? fc->user_agent : NULL;
}

static const struct dpx_http_str px_fwd_rsp_drops[] = {
	STR("Proxy-Authenticate"),
};

void
px_fwd_rsp_rewrite(const struct px_session *s, struct dpx_http_rsp_rewrite *rw)
{
	rw->via = s->fwd->anonymity != DPX_ANON_ELITE;
	rw->edits = NULL;
	rw->drop_names = px_fwd_rsp_drops;
	rw->n_drop_names = 1;
}
