/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Head writers: the request head dpx sends to a server, the response head
 * it sends to a client, and its own error responses. Each builds into a
 * caller buffer with one bounds check per copy and reports -1, never a
 * truncated head, when the buffer is too small.
 *
 * Fields are passed in their received order and case; the ones dpx adds
 * or merges (Host, X-Forwarded-*, Forwarded, Via, Connection, the route's
 * set fields) are written at fixed places so that the output is exactly
 * predictable. Framing fields (Content-Length, Transfer-Encoding) are never
 * dropped, whatever Connection or a route's edits name: dropping one would
 * make dpx and the peer split the stream differently.
 */
#include <string.h>

#include "dpx_http.h"
#include "http_internal.h"

struct out {
	char *p;
	uint32_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, uint32_t n)
{
	if (n == 0)	/* spans may be empty with p == NULL */
		return;
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void put_str(struct out *o, struct dpx_http_str s)
{
	put(o, s.p, s.len);
}

static void put_u32(struct out *o, uint32_t v)
{
	char d[10];
	uint32_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(o, d + sizeof(d) - n, n);
}

static void put_field(struct out *o, struct dpx_http_str name,
		      struct dpx_http_str value)
{
	put_str(o, name);
	PUT_LIT(o, ": ");
	put_str(o, value);
	PUT_LIT(o, "\r\n");
}

static int finish_out(struct out *o)
{
	return o->full ? -1 : (int)o->len;
}

static void out_init(struct out *o, char *p, uint32_t cap)
{
	o->p = p;
	o->cap = cap > INT32_MAX ? INT32_MAX : cap;
	o->len = 0;
	o->full = false;
}

static struct dpx_http_str cstr(const char *s, size_t max)
{
	struct dpx_http_str r = { s, s ? (uint32_t)strnlen(s, max) : 0 };

	return r;
}

#define LIT(s) ((struct dpx_http_str){ (s), sizeof(s) - 1 })

static bool is(struct dpx_http_str a, struct dpx_http_str b)
{
	return dpx_http_name_eq(a.p, a.len, b.p, b.len);
}

static bool is_hop_by_hop(struct dpx_http_str n)
{
	return is(n, LIT("connection")) || is(n, LIT("keep-alive")) ||
	       is(n, LIT("proxy-connection")) || is(n, LIT("te")) ||
	       is(n, LIT("trailer")) || is(n, LIT("upgrade"));
}

/* Fields that frame the message or route it: Connection cannot drop them. */
static bool is_framing(struct dpx_http_str n)
{
	return is(n, LIT("content-length")) ||
	       is(n, LIT("transfer-encoding")) || is(n, LIT("host"));
}

/* Route edits may not touch these: dpx owns them. */
static bool is_reserved(struct dpx_http_str n)
{
	return is_hop_by_hop(n) || is(n, LIT("content-length")) ||
	       is(n, LIT("transfer-encoding"));
}

/* The received fields of the message being rewritten. */
struct msg {
	const struct dpx_http_header *hdr;
	uint32_t n_hdr;
	uint32_t n_conn;
	uint8_t conn[DPX_HTTP_MAX_HEADERS];	/* its Connection fields */
};

static void msg_init(struct msg *m, const struct dpx_http_header *hdr,
		     uint32_t n_hdr)
{
	m->hdr = hdr;
	m->n_hdr = n_hdr < DPX_HTTP_MAX_HEADERS ? n_hdr : DPX_HTTP_MAX_HEADERS;
	m->n_conn = 0;
	for (uint32_t i = 0; i < m->n_hdr; i++)
		if (is(hdr[i].name, LIT("connection")))
			m->conn[m->n_conn++] = (uint8_t)i;
}

static bool named_by_connection(const struct msg *m, struct dpx_http_str name)
{
	for (uint32_t i = 0; i < m->n_conn; i++) {
		struct dpx_http_list_it it;
		struct dpx_http_str tok;

		dpx_http_list_init(&it, m->hdr[m->conn[i]].value);
		while (dpx_http_list_next(&it, &tok) > 0)
			if (is(tok, name))
				return true;
	}
	return false;
}

/* Hop-by-hop (RFC 9110 7.6.1), with Upgrade kept when upgrading. */
static bool drop_hop_by_hop(const struct msg *m, struct dpx_http_str name,
			    bool upgrade)
{
	if (upgrade && is(name, LIT("upgrade")))
		return false;
	if (is_hop_by_hop(name))
		return true;
	return !is_framing(name) && named_by_connection(m, name);
}

/* Bytes that cannot end a field line early or split it in two. */
static bool valid_value(struct dpx_http_str v)
{
	for (uint32_t i = 0; i < v.len; i++)
		if (!dpx_http_val_tab[(unsigned char)v.p[i]])
			return false;
	return true;
}

static bool valid_set(const struct dpx_hdr_set *s)
{
	struct dpx_http_str n = cstr(s->name, sizeof(s->name));

	if (n.len == 0 || is_reserved(n))
		return false;
	for (uint32_t i = 0; i < n.len; i++)
		if (!dpx_http_tok_tab[(unsigned char)n.p[i]])
			return false;
	return valid_value(cstr(s->value, sizeof(s->value)));
}

/* The route sets name: the value to write instead, else NULL. */
static const struct dpx_hdr_set *edit_set(const struct dpx_hdr_edits *e,
					  struct dpx_http_str name)
{
	if (e == NULL)
		return NULL;
	for (unsigned int i = 0; i < e->n_set && i < DPX_MAX_HDR_EDITS; i++)
		if (is(cstr(e->set[i].name, sizeof(e->set[i].name)), name) &&
		    valid_set(&e->set[i]))
			return &e->set[i];
	return NULL;
}

/* The route removes or replaces fields called name. */
static bool edit_drops(const struct dpx_hdr_edits *e, struct dpx_http_str name)
{
	if (e == NULL || is_reserved(name))
		return false;
	for (unsigned int i = 0; i < e->n_remove && i < DPX_MAX_HDR_EDITS; i++)
		if (is(cstr(e->remove[i], sizeof(e->remove[i])), name))
			return true;
	return edit_set(e, name) != NULL;
}

/* The route's set fields, Host excepted (it is written first). */
static void put_sets(struct out *o, const struct dpx_hdr_edits *e)
{
	if (e == NULL)
		return;
	for (unsigned int i = 0; i < e->n_set && i < DPX_MAX_HDR_EDITS; i++) {
		const struct dpx_hdr_set *s = &e->set[i];
		struct dpx_http_str n = cstr(s->name, sizeof(s->name));

		/* the first set of a name wins, as in edit_set() */
		if (is(n, LIT("host")) || edit_set(e, n) != s)
			continue;
		put_field(o, n, cstr(s->value, sizeof(s->value)));
	}
}

/* "name: v1, v2, " from the received fields called name (not the
 * empty ones, nor those Connection names); the caller adds its element. */
static void put_list_start(struct out *o, const struct msg *m,
			   struct dpx_http_str name)
{
	bool conn = named_by_connection(m, name);

	put_str(o, name);
	PUT_LIT(o, ": ");
	for (uint32_t i = 0; i < m->n_hdr && !conn; i++) {
		if (!is(m->hdr[i].name, name) || m->hdr[i].value.len == 0)
			continue;
		put_str(o, m->hdr[i].value);
		PUT_LIT(o, ", ");
	}
}

/* RFC 9110 7.6.3: received-protocol is the version dpx received. */
static void put_via(struct out *o, const struct msg *m, uint8_t version_minor)
{
	char proto[3] = { '1', '.', (char)('0' + (version_minor & 1)) };

	put_list_start(o, m, LIT("Via"));
	put(o, proto, sizeof(proto));
	PUT_LIT(o, " dpx\r\n");
}

/* RFC 7239 4: a value is a token or a quoted-string. */
static void put_fwd_value(struct out *o, struct dpx_http_str v)
{
	bool token = v.len > 0;

	for (uint32_t i = 0; i < v.len && token; i++)
		token = dpx_http_tok_tab[(unsigned char)v.p[i]];
	if (token) {
		put_str(o, v);
		return;
	}
	PUT_LIT(o, "\"");
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.p[i] == '"' || v.p[i] == '\\')
			PUT_LIT(o, "\\");
		put(o, v.p + i, 1);
	}
	PUT_LIT(o, "\"");
}

static bool sends_xff(enum dpx_forwarded f)
{
	return f == DPX_FWD_XFF || f == DPX_FWD_BOTH;
}

static bool sends_rfc7239(enum dpx_forwarded f)
{
	return f == DPX_FWD_RFC7239 || f == DPX_FWD_BOTH;
}

struct fwd_info {
	struct dpx_http_str client, proto, host;
};

static void put_forwarding(struct out *o, const struct msg *m,
			   const struct dpx_http_req_rewrite *rw,
			   const struct fwd_info *fi)
{
	bool xff = sends_xff(rw->forwarded);
	bool rfc = sends_rfc7239(rw->forwarded);

	if (xff && !edit_drops(rw->edits, LIT("x-forwarded-for"))) {
		put_list_start(o, m, LIT("X-Forwarded-For"));
		put_str(o, fi->client);
		PUT_LIT(o, "\r\n");
	}
	if (xff && !edit_drops(rw->edits, LIT("x-forwarded-proto")))
		put_field(o, LIT("X-Forwarded-Proto"), fi->proto);
	if (xff && fi->host.len > 0 &&
	    !edit_drops(rw->edits, LIT("x-forwarded-host")))
		put_field(o, LIT("X-Forwarded-Host"), fi->host);
	if (rfc && !edit_drops(rw->edits, LIT("forwarded"))) {
		put_list_start(o, m, LIT("Forwarded"));
		PUT_LIT(o, "for=");
		put_fwd_value(o, fi->client);
		PUT_LIT(o, ";proto=");
		put_fwd_value(o, fi->proto);
		if (fi->host.len > 0) {
			PUT_LIT(o, ";host=");
			put_fwd_value(o, fi->host);
		}
		PUT_LIT(o, "\r\n");
	}
}

static bool drop_request_field(const struct msg *m, bool upgrade,
			       const struct dpx_http_req_rewrite *rw,
			       struct dpx_http_str name)
{
	bool xff = sends_xff(rw->forwarded);
	bool rfc = sends_rfc7239(rw->forwarded);

	if (is(name, LIT("host")))
		return true;
	if (drop_hop_by_hop(m, name, upgrade))
		return true;
	if (xff && (is(name, LIT("x-forwarded-for")) ||
		    is(name, LIT("x-forwarded-proto")) ||
		    is(name, LIT("x-forwarded-host"))))
		return true;
	if (rfc && is(name, LIT("forwarded")))
		return true;
	if (rw->via && is(name, LIT("via")))
		return true;
	return edit_drops(rw->edits, name);
}

int dpx_http_write_request(char *out, uint32_t cap,
			   const struct dpx_http_request *req,
			   const struct dpx_http_req_rewrite *rw)
{
	const struct dpx_hdr_set *set_host = edit_set(rw->edits, LIT("host"));
	struct fwd_info fi = {
		.client = rw->client_addr ? cstr(rw->client_addr, 64) :
			  LIT("unknown"),
		.proto = rw->proto ? cstr(rw->proto, 16) : LIT("http"),
		.host = set_host ? cstr(set_host->value,
					sizeof(set_host->value)) : req->host,
	};
	struct out o;
	struct msg m;

	msg_init(&m, req->headers, req->n_headers);
	out_init(&o, out, cap);
	put_str(&o, req->method);
	PUT_LIT(&o, " ");
	put_str(&o, req->target);
	/* An HTTP/1.0 client cannot take a chunked response: the server is
	 * asked in HTTP/1.0 too, so it frames by length or close. */
	if (req->version_minor == 0)
		PUT_LIT(&o, " HTTP/1.0\r\n");
	else
		PUT_LIT(&o, " HTTP/1.1\r\n");
	/* RFC 9112 3.2: Host first. An HTTP/1.0 request may have none; an
	 * empty Host would make it invalid (the proxy forwards such requests
	 * as HTTP/1.0). */
	if (fi.host.len > 0)
		put_field(&o, LIT("Host"), fi.host);
	for (uint32_t i = 0; i < m.n_hdr; i++) {
		const struct dpx_http_header *h = &m.hdr[i];

		if (!drop_request_field(&m, req->upgrade, rw, h->name))
			put_field(&o, h->name, h->value);
	}
	if (req->upgrade)
		PUT_LIT(&o, "Connection: upgrade\r\n");
	put_forwarding(&o, &m, rw, &fi);
	if (rw->via && !edit_drops(rw->edits, LIT("via")))
		put_via(&o, &m, req->version_minor);
	put_sets(&o, rw->edits);
	PUT_LIT(&o, "\r\n");
	return finish_out(&o);
}

struct status_text {
	uint16_t status;
	const char *reason;
};

static const struct status_text status_texts[] = {
	{ 100, "Continue" }, { 101, "Switching Protocols" },
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 206, "Partial Content" },
	{ 301, "Moved Permanently" }, { 302, "Found" },
	{ 303, "See Other" }, { 304, "Not Modified" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 421, "Misdirected Request" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
};

static const char *reason_of(int status)
{
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]);
	     i++)
		if (status_texts[i].status == status)
			return status_texts[i].reason;
	return NULL;
}

static bool drop_response_field(const struct msg *m, bool upgrade,
				const struct dpx_http_rsp_rewrite *rw,
				bool hide, struct dpx_http_str name)
{
	if (drop_hop_by_hop(m, name, upgrade))
		return true;
	if (rw->server_header != DPX_SRVHDR_PASS && is(name, LIT("server")))
		return true;
	if (hide && is(name, LIT("x-powered-by")))
		return true;
	if (rw->via && is(name, LIT("via")))
		return true;
	return edit_drops(rw->edits, name);
}

int dpx_http_write_response(char *out, uint32_t cap,
			    const struct dpx_http_response *rsp,
			    const struct dpx_http_rsp_rewrite *rw)
{
	struct dpx_http_str server = cstr(rw->server_value, DPX_HDR_VALUE_LEN);
	bool replace = rw->server_header == DPX_SRVHDR_REPLACE &&
		       server.len > 0 && valid_value(server);
	bool hide = rw->server_header == DPX_SRVHDR_HIDE ||
		    (rw->server_header == DPX_SRVHDR_REPLACE && !replace);
	const char *reason = reason_of(rsp->status);
	struct out o;
	struct msg m;

	if (rsp->status < 100 || rsp->status > 999)
		return -1;
	msg_init(&m, rsp->headers, rsp->n_headers);
	out_init(&o, out, cap);
	PUT_LIT(&o, "HTTP/1.1 ");
	put_u32(&o, rsp->status);
	PUT_LIT(&o, " ");
	if (rsp->reason.len > 0)
		put_str(&o, rsp->reason);
	else if (reason != NULL)
		put(&o, reason, (uint32_t)strlen(reason));
	PUT_LIT(&o, "\r\n");
	if (replace && !edit_drops(rw->edits, LIT("server")))
		put_field(&o, LIT("Server"), server);
	for (uint32_t i = 0; i < m.n_hdr; i++) {
		const struct dpx_http_header *h = &m.hdr[i];

		if (!drop_response_field(&m, rsp->upgrade, rw, hide, h->name))
			put_field(&o, h->name, h->value);
	}
	if (rsp->upgrade)
		PUT_LIT(&o, "Connection: upgrade\r\n");
	else if (rw->close)
		PUT_LIT(&o, "Connection: close\r\n");
	else if (rw->client_http10_keepalive)
		PUT_LIT(&o, "Connection: keep-alive\r\n");
	if (rw->via && !edit_drops(rw->edits, LIT("via")))
		put_via(&o, &m, rsp->version_minor);
	put_sets(&o, rw->edits);
	PUT_LIT(&o, "\r\n");
	return finish_out(&o);
}

static const uint16_t error_statuses[] = {
	400, 403, 404, 405, 408, 413, 414, 421, 429, 431,
	500, 501, 502, 503, 504, 505,
};

int dpx_http_write_error(char *out, uint32_t cap, int status, bool close)
{
	size_t n_err = sizeof(error_statuses) / sizeof(error_statuses[0]);
	const char *reason = NULL;
	uint32_t rlen, blen;
	struct out o;

	for (size_t i = 0; i < n_err; i++)
		if (error_statuses[i] == status)
			reason = reason_of(status);
	if (reason == NULL)
		return -1;
	rlen = (uint32_t)strlen(reason);
	blen = 3 + 1 + rlen + 1;	/* "502 Bad Gateway\n" */

	out_init(&o, out, cap);
	PUT_LIT(&o, "HTTP/1.1 ");
	put_u32(&o, (uint32_t)status);
	PUT_LIT(&o, " ");
	put(&o, reason, rlen);
	PUT_LIT(&o, "\r\nContent-Type: text/plain\r\nContent-Length: ");
	put_u32(&o, blen);
	PUT_LIT(&o, "\r\n");
	if (close)
		PUT_LIT(&o, "Connection: close\r\n");
	PUT_LIT(&o, "\r\n");
	put_u32(&o, (uint32_t)status);
	PUT_LIT(&o, " ");
	put(&o, reason, rlen);
	PUT_LIT(&o, "\n");
	return finish_out(&o);
}
