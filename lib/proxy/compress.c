/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Response compression on http listeners with "compression" (lib/compress
 * does the coding): the request's Accept-Encoding picks a coding, and a
 * response the rules allow, with a Content-Length body, is compressed as
 * it streams: Content-Length goes, the body is framed chunked (HTTP/1.1)
 * or by close (1.0), Vary gains Accept-Encoding, a strong ETag is weakened
 * and Accept-Ranges goes (ranges are of the identity body). An answer
 * left identity (the client takes no coding, HEAD, a Range request, over
 * the stream cap) gains Accept-Encoding in Vary all the same, as the
 * compressed ones do. Output is
 * flushed whenever the server's input runs dry, so a slow server's bytes
 * still reach the client. Streams are capped per worker (each holds a
 * codec state of 0.3 to 4.4 MB); over the cap responses pass as they are.
 *
 * What the cache stores is not streamed: the cache keeps the identity
 * response and compresses it once per coding (cache_variant.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy_priv.h"

#define PX_CZ_MAX 64                /* streams at once, per worker */

void
px_cz_request(struct dpx_worker *w, struct px_session *s,
	      const struct dpx_http_request *req)
{
	const struct dpx_compress_conf *conf = s->ls->compression;
	struct dpx_http_str ae[8];
	unsigned int n = 0;

	(void)w;
	s->ce_coding = DPX_CODING_NONE;
	s->req_range = false;
	s->cv_defer = false;
	if (conf == NULL)
		return;
	for (uint32_t i = 0; i < req->n_headers; i++) {
		const struct dpx_http_header *h = &req->headers[i];

		if (h->name.len == 15 &&
		    strncasecmp(h->name.p, "accept-encoding", 15) == 0 &&
		    n < 8)
			ae[n++] = h->value;
		else if (h->name.len == 5 &&
			 strncasecmp(h->name.p, "range", 5) == 0)
			s->req_range = true;
	}
	s->ce_coding = (uint8_t)dpx_compress_negotiate(conf, ae, n);
}

/* The merged Vary line into buf (its length; 0: rsp's lines stay). */
static uint32_t
px_cz_vary_line(const struct dpx_http_response *rsp, struct px_rsp_extra *x,
		char *buf, uint32_t cap)
{
	int n = dpx_compress_vary_field(rsp, buf, cap);

	if (n <= 0)
		return 0;
	x->drop_vary = true;
	return (uint32_t)n;
}

/* Content-Encoding, framing, Vary and ETag of the compressed response. */
static uint32_t
px_cz_fields(struct px_session *s, const struct dpx_http_response *rsp,
	     struct px_rsp_extra *x, char *buf, uint32_t cap)
{
	const struct dpx_http_str *etag = px_field(rsp->headers, rsp->n_headers,
						   "etag");
	char e[256];
	int n, el = etag != NULL ? dpx_compress_etag(etag, e, sizeof(e)) : 0;

	n = snprintf(buf, cap, "Content-Encoding: %s\r\n%s",
		     dpx_coding_name((enum dpx_coding)s->ce_coding),
		     s->cz_chunked ? "Transfer-Encoding: chunked\r\n" : "");
	if (n > 0 && (uint32_t)n < cap)
		n += (int)px_cz_vary_line(rsp, x, buf + n, cap - (uint32_t)n);
	if (el > 0 && n > 0 && (uint32_t)n < cap)
		n += snprintf(buf + n, cap - (uint32_t)n, "ETag: %s\r\n", e);
	x->drop_length = true;
	x->drop_etag = etag != NULL;
	x->drop_accept_ranges = true;
	return n > 0 && (uint32_t)n < cap ? (uint32_t)n : 0;
}

static enum dpx_compress_why
px_cz_eligible(const struct px_session *s, const struct dpx_http_response *rsp,
	       bool head_request, bool request_range, int64_t length)
{
	const struct dpx_http_str none = { NULL, 0 };
	const struct dpx_http_str *ct, *ce, *cc;
	struct dpx_compress_rsp r;

	ct = px_field(rsp->headers, rsp->n_headers, "content-type");
	ce = px_field(rsp->headers, rsp->n_headers, "content-encoding");
	cc = px_field(rsp->headers, rsp->n_headers, "cache-control");
	r = (struct dpx_compress_rsp){
		.status = rsp->status,
		.content_type = ct ? *ct : none,
		.content_encoding = ce ? *ce : none,
		.cache_control = cc ? *cc : none,
		.content_length = length,
		.request_range = request_range,
		.head_request = head_request,
	};
	return dpx_compress_eligible(s->ls->compression, &r);
}

enum dpx_compress_why
px_cz_check(const struct px_session *s, const struct dpx_http_response *rsp,
	    bool head_request)
{
	return px_cz_eligible(s, rsp, head_request, s->req_range,
			      (int64_t)rsp->content_length);
}

/* A HEAD response's Content-Length (the GET's body); -1: none. The
 * parser checked the digits. */
static int64_t
px_cz_head_length(const struct dpx_http_response *rsp)
{
	const struct dpx_http_str *v = px_field(rsp->headers, rsp->n_headers,
						"content-length");
	int64_t n = 0;

	if (v == NULL || v->len == 0 || v->len > 18)
		return -1;
	for (uint32_t i = 0; i < v->len; i++)
		n = n * 10 + (v->p[i] - '0');
	return n;
}

/*
 * Whether rsp's answers depend on the client's Accept-Encoding: dpx
 * compresses it for a client that takes a coding (a Content-Length body
 * streamed; a stored one, chunked bodies included, as a variant). Asked
 * of the response, not of this request: HEAD as its GET, with the length
 * the server announced, and a request's Range does not matter (a hit's
 * written head is kept for the next hit, whatever it asks).
 */
static bool
px_cz_varies(const struct px_session *s, const struct dpx_http_response *rsp)
{
	int64_t len = (int64_t)rsp->content_length;

	if (s->ls->compression == NULL)
		return false;
	if (rsp->body == DPX_HTTP_BODY_NONE && s->req_head_method)
		len = px_cz_head_length(rsp);
	else if (rsp->body == DPX_HTTP_BODY_CHUNKED && s->cache_obj != NULL)
		return px_cz_eligible(s, rsp, false, false, -1) ==
		       DPX_COMPRESS_YES;
	else if (rsp->body != DPX_HTTP_BODY_LENGTH)
		return false;
	return len >= 0 &&
	       px_cz_eligible(s, rsp, false, false, len) == DPX_COMPRESS_YES;
}

uint32_t
px_cz_vary(const struct px_session *s, const struct dpx_http_response *rsp,
	   struct px_rsp_extra *x, char *buf, uint32_t cap)
{
	return px_cz_varies(s, rsp) ? px_cz_vary_line(rsp, x, buf, cap) : 0;
}

uint32_t
px_cz_response(struct dpx_worker *w, struct px_session *s,
	       const struct dpx_http_response *rsp, struct px_rsp_extra *x,
	       char *buf, uint32_t cap)
{
	struct dpx_proxy_worker *pw = px_w(w);
	const struct dpx_compress_conf *conf = s->ls->compression;
	enum dpx_coding c = (enum dpx_coding)s->ce_coding;
	bool varies;

	if (conf == NULL || s->cache_served)
		return 0;
	varies = px_cz_varies(s, rsp);
	if (c == DPX_CODING_NONE || rsp->body != DPX_HTTP_BODY_LENGTH)
		return varies ? px_cz_vary_line(rsp, x, buf, cap) : 0;
	if (!varies || s->req_head_method || s->req_range) {
		pw->stats.compress_skipped++;
		return varies ? px_cz_vary_line(rsp, x, buf, cap) : 0;
	}
	if (pw->cz_active >= PX_CZ_MAX) {
		pw->stats.compress_busy++;
		return px_cz_vary_line(rsp, x, buf, cap);
	}
	if (dpx_compress_stream_new(c, conf->level[c], &s->cz) != 0) {
		s->cz = NULL;
		pw->stats.compress_errors++;
		return px_cz_vary_line(rsp, x, buf, cap);
	}
	pw->cz_active++;
	pw->stats.compressed++;
	s->cz_chunked = !s->client_http10;
	if (!s->cz_chunked)
		s->close_after = true;      /* the end of the body is the close */
	return px_cz_fields(s, rsp, x, buf, cap);
}

/* out (compressed bytes) to the client, in a chunk when chunked. */
static int
px_cz_emit(struct dpx_worker *w, struct px_session *s,
	   struct dpx_compress_chain *out, bool last)
{
	struct rte_mempool *mp = dpx_tcp_pool(w);
	char line[24];
	int n;

	if (out->len > 0 && s->cz_chunked) {
		n = snprintf(line, sizeof(line), "%x\r\n", out->len);
		if (px_chain_add_bytes(mp, &s->to_cli, line, (uint32_t)n) != 0)
			return -ENOMEM;
	}
	px_w(w)->stats.compress_bytes_out += out->len;
	px_chain_add(&s->to_cli, out->head);
	if (out->len > 0 && s->cz_chunked &&
	    px_chain_add_bytes(mp, &s->to_cli, "\r\n", 2) != 0)
		return -ENOMEM;
	if (last && s->cz_chunked &&
	    px_chain_add_bytes(mp, &s->to_cli, "0\r\n\r\n", 5) != 0)
		return -ENOMEM;
	return 0;
}

int
px_cz_body(struct dpx_worker *w, struct px_session *s, struct px_chain *in,
	   uint32_t n, bool last)
{
	struct rte_mempool *mp = dpx_tcp_pool(w);
	struct dpx_compress_chain out = { NULL, NULL, 0 };
	struct px_chain part = { NULL, NULL, 0 };
	int rc;

	if (px_chain_take(mp, in, n, &part) != 0)
		return -ENOMEM;
	px_w(w)->stats.compress_bytes_in += part.len;
	rc = part.head != NULL ?
	     dpx_compress_feed(s->cz, part.head, mp, &out) : 0;
	px_chain_free(&part);
	if (rc == 0 && last)
		rc = dpx_compress_finish(s->cz, mp, &out);
	else if (rc == 0 && in->len == 0)
		rc = dpx_compress_flush(s->cz, mp, &out);  /* input ran dry */
	if (rc != 0) {
		dpx_compress_chain_free(&out);
		px_w(w)->stats.compress_errors++;
		return -EIO;
	}
	rc = px_cz_emit(w, s, &out, last);
	if (last)
		px_cz_end(w, s);
	return rc;
}

void
px_cz_end(struct dpx_worker *w, struct px_session *s)
{
	if (s->cz == NULL)
		return;
	dpx_compress_stream_free(s->cz);
	s->cz = NULL;
	px_w(w)->cz_active--;
}
