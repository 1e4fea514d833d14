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

/*
 * Room for n more bytes: where they go, or NULL when they do not fit (the
 * output is then full for good). A piece of a head is reserved once and
 * filled with copy(), so each field costs one bounds check.
 */
static inline char *reserve(struct out *o, uint32_t n)
{
	char *d;

	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return NULL;
	}
	d = o->p + o->len;
	o->len += n;
	return d;
}

static inline void st64(char *d, uint64_t v)
{
	memcpy(d, &v, sizeof(v));
}

static inline void st32(char *d, uint32_t v)
{
	memcpy(d, &v, sizeof(v));
}

/*
 * Copy n bytes and return the end. Names and values are mostly short: up
 * to 32 bytes take two possibly overlapping loads and stores of one width
 * instead of a call (all loads first: s and d never overlap).
 */
static inline __attribute__((always_inline)) char *
copy(char *d, const char *s, uint32_t n)
{
	if (n > 32) {
		memcpy(d, s, n);
	} else if (n > 16) {
		char a[16], b[16];

		memcpy(a, s, 16);
		memcpy(b, s + n - 16, 16);
		memcpy(d, a, 16);
		memcpy(d + n - 16, b, 16);
	} else if (n >= 8) {
		uint64_t a = dpx_http_ld64(s), b = dpx_http_ld64(s + n - 8);

		st64(d, a);
		st64(d + n - 8, b);
	} else if (n >= 4) {
		uint32_t a = dpx_http_ld32(s), b = dpx_http_ld32(s + n - 4);

		st32(d, a);
		st32(d + n - 4, b);
	} else if (n > 0) {	/* spans may be empty with p == NULL */
		char a = s[0], b = s[n / 2], c = s[n - 1];

		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
	return d + n;
}

static inline __attribute__((always_inline)) void
put(struct out *o, const char *s, uint32_t n)
{
	char *d = reserve(o, n);

	if (d != NULL)
		copy(d, s, n);
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static inline void put_str(struct out *o, struct dpx_http_str s)
{
	put(o, s.p, s.len);
}

static void put_u32(struct out *o, uint32_t v)
{
	uint32_t n = 1;
	char *d;

	for (uint32_t t = v; t >= 10; t /= 10)
		n++;
	d = reserve(o, n);
	if (d == NULL)
		return;
	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (n > 0);
}

/* name ": " value CRLF; inline, so that literal names are a few moves */
static inline __attribute__((always_inline)) void
put_field(struct out *o, struct dpx_http_str name, struct dpx_http_str value)
{
	char *d = reserve(o, name.len + value.len + 4);

	if (d == NULL)
		return;
	d = copy(d, name.p, name.len);
	memcpy(d, ": ", 2);
	d = copy(d + 2, value.p, value.len);
	memcpy(d, "\r\n", 2);
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

#define BIT(f) (1u << (f))

/* Hop-by-hop (RFC 9110 7.6.1) whatever Connection says. */
#define HOP_BY_HOP (BIT(DPX_HTTP_F_CONNECTION) | BIT(DPX_HTTP_F_KEEP_ALIVE) | \
		    BIT(DPX_HTTP_F_PROXY_CONNECTION) | BIT(DPX_HTTP_F_TE) | \
		    BIT(DPX_HTTP_F_TRAILER) | BIT(DPX_HTTP_F_UPGRADE))

/* Fields that frame the message or route it: Connection cannot drop them. */
#define FRAMING (BIT(DPX_HTTP_F_CONTENT_LENGTH) | \
		 BIT(DPX_HTTP_F_TRANSFER_ENCODING) | BIT(DPX_HTTP_F_HOST))

/* Route edits may not touch these: dpx owns them. */
static bool is_reserved(unsigned int f)
{
	return (HOP_BY_HOP | BIT(DPX_HTTP_F_CONTENT_LENGTH) |
		BIT(DPX_HTTP_F_TRANSFER_ENCODING)) >> f & 1;
}

/* The received fields of the message being rewritten. */
struct msg {
	const struct dpx_http_header *hdr;
	uint32_t n_hdr;
	uint32_t seen;		/* fields_seen */
	uint8_t conn_names;	/* DPX_HTTP_CONN_* */
	uint32_t n_conn;
	uint8_t conn[DPX_HTTP_MAX_HEADERS];	/* its Connection fields, if
						 * they name other fields */
};

static inline void msg_init(struct msg *m, const struct dpx_http_header *hdr,
		     uint32_t n_hdr, uint32_t seen, uint8_t conn_names)
{
	m->hdr = hdr;
	m->n_hdr = n_hdr < DPX_HTTP_MAX_HEADERS ? n_hdr : DPX_HTTP_MAX_HEADERS;
	m->seen = seen;
	m->conn_names = conn_names;
	m->n_conn = 0;
	if (!(conn_names & DPX_HTTP_CONN_OTHER))
		return;
	for (uint32_t i = 0; i < m->n_hdr; i++)
		if (hdr[i].field == DPX_HTTP_F_CONNECTION)
			m->conn[m->n_conn++] = (uint8_t)i;
}

/* Some Connection field names name (only when they name other fields). */
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

	if (n.len == 0)
		return false;
	for (uint32_t i = 0; i < n.len; i++)
		if (!dpx_http_tok_tab[(unsigned char)n.p[i]])
			return false;
	if (is_reserved(dpx_http_field_of(n.p, n.len)))
		return false;
	return valid_value(cstr(s->value, sizeof(s->value)));
}

/* edit_set() once it is known that there are sets. */
static const struct dpx_hdr_set *edit_set_any(const struct dpx_hdr_edits *e,
					      struct dpx_http_str name)
{
	for (unsigned int i = 0; i < e->n_set && i < DPX_MAX_HDR_EDITS; i++)
		if (is(cstr(e->set[i].name, sizeof(e->set[i].name)), name) &&
		    valid_set(&e->set[i]))
			return &e->set[i];
	return NULL;
}

/* The route sets name: the value to write instead, else NULL. */
static inline const struct dpx_hdr_set *
edit_set(const struct dpx_hdr_edits *e, struct dpx_http_str name)
{
	return e == NULL || e->n_set == 0 ? NULL : edit_set_any(e, name);
}

/* edit_drops() once it is known that there are edits. */
static bool edit_drops_any(const struct dpx_hdr_edits *e, unsigned int f,
			   struct dpx_http_str name)
{
	if (is_reserved(f))
		return false;
	for (unsigned int i = 0; i < e->n_remove && i < DPX_MAX_HDR_EDITS; i++)
		if (is(cstr(e->remove[i], sizeof(e->remove[i])), name))
			return true;
	return edit_set(e, name) != NULL;
}

/* The route removes or replaces fields called name (field f). */
static inline bool edit_drops(const struct dpx_hdr_edits *e, unsigned int f,
			      struct dpx_http_str name)
{
	return e != NULL && (e->n_remove != 0 || e->n_set != 0) &&
	       edit_drops_any(e, f, name);
}

/*
 * Which received fields a writer drops. drop: the fields it drops by id
 * (hop-by-hop, and what it writes itself); keep: those Connection cannot
 * drop (framing, and Upgrade when upgrading). Only when Connection names
 * fields beyond those are its lists walked; "close" alone can only name a
 * field called Close. Route edits come last, and only if there are any.
 */
struct drops {
	uint32_t drop, keep;
	const struct dpx_hdr_edits *edits;
	bool client_cert;	/* X-SSL-Client-* are dpx's */
	bool age;		/* a stored response's Age: the cache's instead */
	bool x_cache;		/* X-Cache is dpx's */
	bool vary, etag, accept_ranges;	/* rewritten for a compressed body */
	bool type;		/* Content-Type: a multipart answer's own */
	const struct dpx_http_str *names;	/* dropped by name */
	uint32_t n_names;
	bool conditionals;	/* If-*, Range: a cache's own request */
};

static bool named_in(const struct drops *d, struct dpx_http_str name)
{
	for (uint32_t i = 0; i < d->n_names; i++)
		if (is(d->names[i], name))
			return true;
	return false;
}

/* The fields that tell servers about the client's certificate: a client
 * must never be able to send them itself. */
static bool is_client_cert_field(struct dpx_http_str name)
{
	return name.len >= 17 && (name.p[0] | 0x20) == 'x' &&
	       (is(name, LIT("X-SSL-Client-Verify")) ||
		is(name, LIT("X-SSL-Client-S-DN")) ||
		is(name, LIT("X-SSL-Client-SHA256")));
}

/* Fields that make a request conditional or partial (RFC 9110 13.1,
 * 14.2): If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since,
 * If-Range, Range. */
static bool is_conditional_field(struct dpx_http_str name)
{
	return (name.len > 3 && (name.p[0] | 0x20) == 'i' &&
		(name.p[1] | 0x20) == 'f' && name.p[2] == '-') ||
	       is(name, LIT("Range"));
}

static inline bool drop_field(const struct msg *m, const struct drops *d,
			      const struct dpx_http_header *h)
{
	if (d->drop >> h->field & 1)
		return true;
	if (d->n_names > 0 && named_in(d, h->name))
		return true;
	if (d->client_cert && h->field == DPX_HTTP_F_OTHER &&
	    is_client_cert_field(h->name))
		return true;
	if (h->field == DPX_HTTP_F_OTHER &&
	    ((d->age && is(h->name, LIT("Age"))) ||
	     (d->x_cache && is(h->name, LIT("X-Cache"))) ||
	     (d->vary && is(h->name, LIT("Vary"))) ||
	     (d->etag && is(h->name, LIT("ETag"))) ||
	     (d->accept_ranges && is(h->name, LIT("Accept-Ranges"))) ||
	     (d->type && is(h->name, LIT("Content-Type"))) ||
	     (d->conditionals && is_conditional_field(h->name))))
		return true;
	if (m->conn_names != 0 && !(d->keep >> h->field & 1)) {
		if (m->conn_names & DPX_HTTP_CONN_OTHER) {
			if (named_by_connection(m, h->name))
				return true;
		} else if (h->field == DPX_HTTP_F_OTHER &&
			   DPX_HTTP_TOK_IS(h->name, "close")) {
			return true;
		}
	}
	return edit_drops(d->edits, h->field, h->name);
}

/* The hop-by-hop part of drops, with Upgrade kept when upgrading. */
static inline struct drops hop_drops(bool upgrade,
				     const struct dpx_hdr_edits *edits)
{
	struct drops d = { HOP_BY_HOP, FRAMING, edits, false, false, false,
			   false, false, false, false, NULL, 0, false };

	if (upgrade) {
		d.drop &= ~BIT(DPX_HTTP_F_UPGRADE);
		d.keep |= BIT(DPX_HTTP_F_UPGRADE);
	}
	return d;
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

/*
 * Received field lines are copied as they came when they are canonical
 * (name ": " value CRLF) and follow each other: a run of kept lines is one
 * copy. Any other kept line is written field by field.
 */
struct run {
	const char *p, *end;
};

static inline void run_flush(struct out *o, struct run *r)
{
	if (r->p != NULL)
		put(o, r->p, (uint32_t)(r->end - r->p));
	r->p = NULL;
}

static inline void keep_field(struct out *o, struct run *r,
		       const struct dpx_http_header *h)
{
	const char *end;

	if (!h->canonical) {
		run_flush(o, r);
		put_field(o, h->name, h->value);
		return;
	}
	end = h->value.p + h->value.len + 2;	/* CRLF */
	if (r->p == NULL || r->end != h->name.p) {
		run_flush(o, r);
		r->p = h->name.p;
	}
	r->end = end;
}

/* "name: v1, v2, " from the received fields f (not the empty ones, nor
 * those Connection names); the caller adds its element. */
static void put_list_start(struct out *o, const struct msg *m,
			   unsigned int f, struct dpx_http_str name)
{
	bool conn = named_by_connection(m, name);

	put_str(o, name);
	PUT_LIT(o, ": ");
	if (conn || !(m->seen & (1u << f)))
		return;
	for (uint32_t i = 0; i < m->n_hdr; i++) {
		if (m->hdr[i].field != f || m->hdr[i].value.len == 0)
			continue;
		put_str(o, m->hdr[i].value);
		PUT_LIT(o, ", ");
	}
}

/* The received fields f go into the field dpx writes for them: some are
 * there, have a value, and Connection does not name them. */
static bool list_has_values(const struct msg *m, unsigned int f,
			    struct dpx_http_str name)
{
	return (m->seen & (1u << f)) && !named_by_connection(m, name);
}

/* RFC 9110 7.6.3: received-protocol is the version dpx received. */
static inline void put_via(struct out *o, const struct msg *m,
			   uint8_t version_minor)
{
	char *d;

	if (list_has_values(m, DPX_HTTP_F_VIA, LIT("Via"))) {
		char proto[3] = { '1', '.', (char)('0' + (version_minor & 1)) };

		put_list_start(o, m, DPX_HTTP_F_VIA, LIT("Via"));
		put(o, proto, sizeof(proto));
		PUT_LIT(o, " dpx\r\n");
		return;
	}
	d = reserve(o, sizeof("Via: 1.1 dpx\r\n") - 1);
	if (d != NULL) {
		memcpy(d, "Via: 1.1 dpx\r\n", sizeof("Via: 1.1 dpx\r\n") - 1);
		d[7] = (char)('0' + (version_minor & 1));
	}
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
	const struct dpx_hdr_edits *e = rw->edits;
	bool xff = sends_xff(rw->forwarded);
	bool rfc = sends_rfc7239(rw->forwarded);

	if (xff && !edit_drops(e, DPX_HTTP_F_X_FORWARDED_FOR,
			       LIT("x-forwarded-for"))) {
		if (list_has_values(m, DPX_HTTP_F_X_FORWARDED_FOR,
				    LIT("X-Forwarded-For"))) {
			put_list_start(o, m, DPX_HTTP_F_X_FORWARDED_FOR,
				       LIT("X-Forwarded-For"));
			put_str(o, fi->client);
			PUT_LIT(o, "\r\n");
		} else {
			put_field(o, LIT("X-Forwarded-For"), fi->client);
		}
	}
	if (xff && !edit_drops(e, DPX_HTTP_F_X_FORWARDED_PROTO,
			       LIT("x-forwarded-proto")))
		put_field(o, LIT("X-Forwarded-Proto"), fi->proto);
	if (xff && fi->host.len > 0 &&
	    !edit_drops(e, DPX_HTTP_F_X_FORWARDED_HOST,
			LIT("x-forwarded-host")))
		put_field(o, LIT("X-Forwarded-Host"), fi->host);
	if (rfc && !edit_drops(e, DPX_HTTP_F_FORWARDED, LIT("forwarded"))) {
		put_list_start(o, m, DPX_HTTP_F_FORWARDED, LIT("Forwarded"));
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

/* What the request writer drops: Host (written first), hop-by-hop, and
 * what it generates. */
static inline struct drops request_drops(const struct dpx_http_request *req,
				  const struct dpx_http_req_rewrite *rw)
{
	struct drops d = hop_drops(req->upgrade, rw->edits);

	d.drop |= BIT(DPX_HTTP_F_HOST);
	if (sends_xff(rw->forwarded))
		d.drop |= BIT(DPX_HTTP_F_X_FORWARDED_FOR) |
			  BIT(DPX_HTTP_F_X_FORWARDED_PROTO) |
			  BIT(DPX_HTTP_F_X_FORWARDED_HOST);
	if (sends_rfc7239(rw->forwarded))
		d.drop |= BIT(DPX_HTTP_F_FORWARDED);
	if (rw->via)
		d.drop |= BIT(DPX_HTTP_F_VIA);
	d.client_cert = rw->client_cert;
	d.names = rw->drop_names;
	d.n_names = rw->drop_names != NULL ? rw->n_drop_names : 0;
	d.conditionals = rw->drop_conditionals;
	return d;
}

/* A route may still remove or set them: the operator's choice. */
static void put_client_cert(struct out *o,
			    const struct dpx_http_req_rewrite *rw)
{
	const struct dpx_hdr_edits *e = rw->edits;
	bool verified = rw->client_s_dn != NULL && rw->client_sha256 != NULL;

	if (!rw->client_cert)
		return;
	if (!edit_drops(e, DPX_HTTP_F_OTHER, LIT("x-ssl-client-verify")))
		put_field(o, LIT("X-SSL-Client-Verify"), verified ?
			  LIT("SUCCESS") : LIT("NONE"));
	if (!verified)
		return;
	if (!edit_drops(e, DPX_HTTP_F_OTHER, LIT("x-ssl-client-s-dn")))
		put_field(o, LIT("X-SSL-Client-S-DN"),
			  cstr(rw->client_s_dn, 16384));
	if (!edit_drops(e, DPX_HTTP_F_OTHER, LIT("x-ssl-client-sha256")))
		put_field(o, LIT("X-SSL-Client-SHA256"),
			  cstr(rw->client_sha256, 64));
}

/* What follows the authority of an absolute-form target (RFC 9112
 * 3.2.2); other forms as they are. */
static struct dpx_http_str origin_target(struct dpx_http_str t)
{
	const char *p = t.len > 0 ? memchr(t.p, ':', t.len) : NULL;
	uint32_t i;

	if (t.len == 0 || t.p[0] == '/' || p == NULL ||
	    (uint32_t)(p - t.p) + 3 > t.len || p[1] != '/' || p[2] != '/')
		return t;
	i = (uint32_t)(p - t.p) + 3;
	while (i < t.len && t.p[i] != '/' && t.p[i] != '?')
		i++;
	return (struct dpx_http_str){ t.p + i, t.len - i };
}

/* "METHOD TARGET HTTP/1.x": an HTTP/1.0 client cannot take a chunked
 * response, so the server is asked in HTTP/1.0 too and frames by length
 * or close. */
static void put_request_line(struct out *o, const struct dpx_http_request *req,
			     bool origin_form)
{
	struct dpx_http_str t = origin_form ? origin_target(req->target) :
				req->target;
	bool slash = origin_form && (t.len == 0 || t.p[0] != '/');
	uint32_t n = req->method.len + t.len + slash;
	char *d = reserve(o, n + 1 + sizeof(" HTTP/1.1\r\n") - 1);

	if (d == NULL)
		return;
	d = copy(d, req->method.p, req->method.len);
	*d++ = ' ';
	if (slash)
		*d++ = '/';
	d = copy(d, t.p, t.len);
	memcpy(d, " HTTP/1.1\r\n", sizeof(" HTTP/1.1\r\n") - 1);
	d[8] = req->version_minor == 0 ? '0' : '1';
}

/* Bytes the caller formatted (whole field lines). */
static void put_bytes(struct out *o, const char *p, uint32_t n)
{
	char *d = reserve(o, n);

	if (d != NULL)
		memcpy(d, p, n);
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
	struct drops d = request_drops(req, rw);
	struct run run = { NULL, NULL };
	struct out o;
	struct msg m;

	struct dpx_http_str ua_names[DPX_HTTP_MAX_HEADERS + 1];

	if (rw->user_agent != NULL) {
		/* the replaced User-Agent goes with the other drops */
		uint32_t k = d.n_names < DPX_HTTP_MAX_HEADERS ? d.n_names :
			     DPX_HTTP_MAX_HEADERS;

		if (k > 0)
			memcpy(ua_names, d.names, k * sizeof(ua_names[0]));
		ua_names[k] = LIT("User-Agent");
		d.names = ua_names;
		d.n_names = k + 1;
	}
	msg_init(&m, req->headers, req->n_headers, req->fields_seen,
		 req->conn_names);
	out_init(&o, out, cap);
	put_request_line(&o, req, rw->origin_form);
	/* RFC 9112 3.2: Host first. An HTTP/1.0 request may have none; an
	 * empty Host would make it invalid (the proxy forwards such requests
	 * as HTTP/1.0). */
	if (fi.host.len > 0)
		put_field(&o, LIT("Host"), fi.host);
	for (uint32_t i = 0; i < m.n_hdr; i++) {
		const struct dpx_http_header *h = &m.hdr[i];

		if (drop_field(&m, &d, h))
			run_flush(&o, &run);
		else
			keep_field(&o, &run, h);
	}
	run_flush(&o, &run);
	if (rw->user_agent != NULL)
		put_field(&o, LIT("User-Agent"), cstr(rw->user_agent,
						       DPX_HDR_VALUE_LEN));
	if (req->upgrade)
		PUT_LIT(&o, "Connection: upgrade\r\n");
	put_forwarding(&o, &m, rw, &fi);
	put_client_cert(&o, rw);
	if (rw->extra != NULL)
		put_bytes(&o, rw->extra, rw->extra_len);
	if (rw->via && !edit_drops(rw->edits, DPX_HTTP_F_VIA, LIT("via")))
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
	{ 405, "Method Not Allowed" },
	{ 407, "Proxy Authentication Required" }, { 408, "Request Timeout" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 421, "Misdirected Request" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	{ 508, "Loop Detected" },
};

static const char *reason_of(int status)
{
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]);
	     i++)
		if (status_texts[i].status == status)
			return status_texts[i].reason;
	return NULL;
}

/* "HTTP/1.1 STATUS REASON", the reason filled in when empty; status is
 * 100..999. */
/* status: rsp's when 0, else this one with its standard reason. */
static void put_status_line(struct out *o, const struct dpx_http_response *rsp,
			    uint16_t status)
{
	struct dpx_http_str reason = status ? (struct dpx_http_str){ NULL, 0 } :
				     rsp->reason;
	uint32_t st = status ? status : rsp->status;
	char *d;

	if (reason.len == 0) {
		reason.p = reason_of((int)st);
		reason.len = reason.p != NULL ? (uint32_t)strlen(reason.p) : 0;
	}
	d = reserve(o, sizeof("HTTP/1.1 200 \r\n") - 1 + reason.len);
	if (d == NULL)
		return;
	memcpy(d, "HTTP/1.1 ", 9);
	d[9] = (char)('0' + st / 100);
	d[10] = (char)('0' + st / 10 % 10);
	d[11] = (char)('0' + st % 10);
	d[12] = ' ';
	d = copy(d + 13, reason.p, reason.len);
	memcpy(d, "\r\n", 2);
}

int dpx_http_write_response(char *out, uint32_t cap,
			    const struct dpx_http_response *rsp,
			    const struct dpx_http_rsp_rewrite *rw)
{
	struct drops d = hop_drops(rsp->upgrade, rw->edits);
	struct dpx_http_str server = { NULL, 0 };
	struct run run = { NULL, NULL };
	bool replace = false;
	struct out o;
	struct msg m;

	if (rsp->status < 100 || rsp->status > 999)
		return -1;
	if (rw->server_header == DPX_SRVHDR_REPLACE) {
		server = cstr(rw->server_value, DPX_HDR_VALUE_LEN);
		replace = server.len > 0 && valid_value(server);
	}
	/* Server when not passed, X-Powered-By too when hidden */
	if (rw->server_header != DPX_SRVHDR_PASS)
		d.drop |= BIT(DPX_HTTP_F_SERVER);
	if (rw->server_header == DPX_SRVHDR_HIDE ||
	    (rw->server_header == DPX_SRVHDR_REPLACE && !replace))
		d.drop |= BIT(DPX_HTTP_F_X_POWERED_BY);
	if (rw->via)
		d.drop |= BIT(DPX_HTTP_F_VIA);
	if (rw->drop_length)
		d.drop |= BIT(DPX_HTTP_F_CONTENT_LENGTH);
	d.age = rw->drop_age;
	d.x_cache = rw->extra != NULL;
	d.vary = rw->drop_vary;
	d.etag = rw->drop_etag;
	d.accept_ranges = rw->drop_accept_ranges;
	d.type = rw->drop_type;
	d.names = rw->drop_names;
	d.n_names = rw->drop_names != NULL ? rw->n_drop_names : 0;
	msg_init(&m, rsp->headers, rsp->n_headers, rsp->fields_seen,
		 rsp->conn_names);
	out_init(&o, out, cap);
	put_status_line(&o, rsp, rw->status);
	if (replace && !edit_drops(rw->edits, DPX_HTTP_F_SERVER, LIT("server")))
		put_field(&o, LIT("Server"), server);
	for (uint32_t i = 0; i < m.n_hdr; i++) {
		const struct dpx_http_header *h = &m.hdr[i];

		if (drop_field(&m, &d, h))
			run_flush(&o, &run);
		else
			keep_field(&o, &run, h);
	}
	run_flush(&o, &run);
	if (rsp->upgrade)
		PUT_LIT(&o, "Connection: upgrade\r\n");
	else if (rw->close)
		PUT_LIT(&o, "Connection: close\r\n");
	else if (rw->client_http10_keepalive)
		PUT_LIT(&o, "Connection: keep-alive\r\n");
	if (rw->extra != NULL)
		put_bytes(&o, rw->extra, rw->extra_len);
	if (rw->via && !edit_drops(rw->edits, DPX_HTTP_F_VIA, LIT("via")))
		put_via(&o, &m, rsp->version_minor);
	put_sets(&o, rw->edits);
	PUT_LIT(&o, "\r\n");
	return finish_out(&o);
}

static const uint16_t error_statuses[] = {
	400, 403, 404, 405, 407, 408, 413, 414, 421, 429, 431,
	500, 501, 502, 503, 504, 505, 508,
};

int dpx_http_write_error(char *out, uint32_t cap, int status, bool close)
{
	return dpx_http_write_error_text(out, cap, status, NULL, close);
}

int dpx_http_write_error_text(char *out, uint32_t cap, int status,
			      const char *text, bool close)
{
	return dpx_http_write_error_fields(out, cap, status, NULL, text,
					   close);
}

int dpx_http_write_error_fields(char *out, uint32_t cap, int status,
				const char *fields, const char *text,
				bool close)
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
	blen = text != NULL ? (uint32_t)strnlen(text, 4096) :
	       3 + 1 + rlen + 1;	/* "502 Bad Gateway\n" */

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
	if (fields != NULL)
		put(&o, fields, (uint32_t)strnlen(fields, 4096));
	PUT_LIT(&o, "\r\n");
	if (text != NULL) {
		put(&o, text, blen);
		return finish_out(&o);
	}
	put_u32(&o, (uint32_t)status);
	PUT_LIT(&o, " ");
	put(&o, reason, rlen);
	PUT_LIT(&o, "\n");
	return finish_out(&o);
}
