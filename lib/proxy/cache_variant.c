/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compressed variants of stored responses: a cacheable object is
 * compressed once per coding, one-shot at the coding's cache_level, and
 * the result is stored as an object of its own; later clients of that
 * coding get it as stored, without compressing anything.
 *
 *   key      the identity object's primary key; secondary key "\x01",
 *            the coding, "\x01", the identity's own secondary key (no Vary
 *            key starts with a control byte). Sharing the primary key
 *            makes a purge, an invalidation and a ban take the variants
 *            with the identity object.
 *   freshness decided on the identity object, always looked up first;
 *            a variant records the identity's publication number
 *            (meta.source_seq) and is made again when that object was
 *            replaced (new response, 304 merge), so it never outlives the
 *            bytes it was made from.
 *   head     the identity head with Content-Encoding, the compressed
 *            Content-Length, Vary: Accept-Encoding, a weak ETag and no
 *            Accept-Ranges (dpx_compress_variant_head()).
 *   no gain  a body that does not shrink leaves a marker variant without
 *            a body, so it is not compressed again on every hit.
 *   collapse one worker makes a variant: the store's fill collapsing on a
 *            key of its own (primary key, "\x01", coding); a worker that
 *            finds the fill taken answers with the identity object this
 *            once rather than wait or compress twice.
 *
 * A response that is being stored and qualifies is held back from the
 * client (head and body go only into the store); once the body is in, the
 * client is answered from the store like a hit, with the variant made then
 * (cache.c's px_cache_body_done). Range requests and clients without an
 * acceptable coding get the identity object.
 */
#include <stdio.h>
#include <string.h>

#include "proxy_priv.h"

#define PX_CV_F_VARIANT 0x0200      /* cache.c's Vary marker is 0x0100 */
#define PX_CV_F_NO_GAIN 0x0400      /* a marker: identity is smaller */

static struct dpx_cache *
px_cv_store(struct dpx_worker *w)
{
	return px_w(w)->sh->cache;
}

/* The variant's secondary key for coding c of o, into buf. */
static int
px_cv_vary(const struct dpx_cache_obj *o, enum dpx_coding c, char *buf,
	   uint32_t cap)
{
	uint32_t len;
	const char *v = dpx_cache_obj_vary(o, &len);
	int n = snprintf(buf, cap, "\x01%s\x01", dpx_coding_name(c));

	if (n <= 0 || (uint32_t)n + len > cap)
		return -1;
	memcpy(buf + n, v, len);
	return n + (int)len;
}

/* Leads the making of s's variant in coding c: LEADER with *f, BYPASS
 * (make it uncollapsed) or WAIT (another worker makes it). */
static enum dpx_cache_fill_role
px_cv_fill_begin(struct dpx_worker *w, struct px_session *s,
		 enum dpx_coding c, struct dpx_cache_fill **f)
{
	const struct px_creq *r = s->creq;
	char key[PX_CACHE_KEY_MAX + 8];
	struct dpx_cache_key k;
	int n = snprintf(key, sizeof(key), "%.*s\x01%s", (int)r->k.len,
			 r->key, dpx_coding_name(c));
	enum dpx_cache_fill_role role;

	*f = NULL;
	if (n <= 0 || (size_t)n >= sizeof(key))
		return DPX_CACHE_FILL_BYPASS;
	dpx_cache_key_init(px_cv_store(w), &k, key, (uint32_t)n);
	role = dpx_cache_fill_begin(px_cv_store(w), w->index, &k, f);
	if (role == DPX_CACHE_FILL_WAIT) {
		dpx_cache_fill_put(px_cv_store(w), *f);
		*f = NULL;
	}
	return role;
}

/* A new, unpublished object under s's key: head, meta, then body. */
static struct dpx_cache_obj *
px_cv_obj(struct dpx_worker *w, struct px_session *s, const char *vary,
	  uint32_t vary_len, const char *head, uint32_t head_len,
	  const struct dpx_cache_meta *m, const struct dpx_compress_chain *body)
{
	const struct px_creq *r = s->creq;
	struct dpx_cache *c = px_cv_store(w);
	struct dpx_cache_obj_args a = {
		.key = &r->k, .vary = vary, .vary_len = vary_len,
		.host = r->key + r->host_off, .host_len = r->host_len,
		.path = r->key + r->path_off, .path_len = r->path_len,
		.head = head, .head_len = head_len, .meta = m,
	};
	struct dpx_cache_obj *o;
	int rc = 0;

	if (dpx_cache_obj_new(c, w->index, &a, &o) != 0)
		return NULL;
	for (const struct rte_mbuf *seg = body ? body->head : NULL;
	     seg != NULL && rc == 0; seg = seg->next)
		rc = dpx_cache_obj_append(c, w->index, o,
					  rte_pktmbuf_mtod(seg, const void *),
					  seg->data_len);
	if (rc != 0) {
		dpx_cache_obj_put(o);
		return NULL;
	}
	return o;
}

/* o's body compressed one-shot into out (fresh mbufs from the worker's
 * pool); the codec's result. */
static int
px_cv_compress(struct dpx_worker *w, const struct px_session *s,
	       const struct dpx_cache_obj *o, enum dpx_coding c,
	       struct dpx_compress_chain *out)
{
	const struct dpx_compress_conf *conf = s->ls->compression;
	struct rte_mempool *mp = dpx_tcp_pool(w);
	struct rte_mbuf *body = dpx_cache_body_clone(o, mp), *next;
	int rc;

	if (body == NULL)
		return DPX_COMPRESS_ENOBUFS;
	rc = dpx_compress_oneshot(c, conf->cache_level[c], body, mp, out);
	for (; body != NULL; body = next) {
		next = body->next;
		body->next = NULL;
		rte_pktmbuf_free_seg(body);
	}
	return rc;
}

/* The variant of o in coding c (pw->rsp: o's head), made now; seq is
 * o's publication number. NULL on failure. */
static struct dpx_cache_obj *
px_cv_build(struct dpx_worker *w, struct px_session *s,
	    const struct dpx_cache_obj *o, enum dpx_coding c,
	    const char *vary, uint32_t vary_len, uint64_t seq, int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_compress_chain out = { NULL, NULL, 0 };
	struct dpx_cache_meta m = *dpx_cache_obj_meta(o);
	struct dpx_cache_obj *v = NULL;
	char *head = pw->scratch;
	int rc = px_cv_compress(w, s, o, c, &out), n;

	m.source_seq = seq;
	m.flags |= PX_CV_F_VARIANT;
	if (rc == DPX_COMPRESS_ENOGAIN) {
		pw->cstats.variant_no_gain++;
		m.flags |= PX_CV_F_NO_GAIN;
		m.content_length = 0;
		m.etag_len = m.last_modified_len = 0;
		return px_cv_obj(w, s, vary, vary_len, "", 0, &m, NULL);
	}
	if (rc != 0) {
		pw->cstats.variant_errors++;
		return NULL;
	}
	pw->cstats.variant_bytes_in += dpx_cache_obj_body_len(o);
	pw->cstats.variant_bytes_out += out.len;
	n = dpx_compress_variant_head(&pw->rsp, c, out.len, head,
				      pw->hbuf_size + 4096);
	if (n > 0) {
		m.content_length = out.len;
		px_meta_offsets(w, head, (uint32_t)n, now, &m);
		v = px_cv_obj(w, s, vary, vary_len, head, (uint32_t)n, &m, &out);
	}
	dpx_compress_chain_free(&out);
	if (v == NULL)
		pw->cstats.variant_errors++;
	return v;
}

/* o's variant in the store, if it was made from o as it is now. */
static struct dpx_cache_obj *
px_cv_lookup(struct dpx_worker *w, struct px_session *s,
	     const struct dpx_cache_obj *o, const char *vary, uint32_t vary_len)
{
	struct dpx_cache_obj *v = dpx_cache_lookup(px_cv_store(w), w->index,
						   &s->creq->k, vary, vary_len);

	if (v != NULL &&
	    dpx_cache_obj_meta(v)->source_seq != dpx_cache_obj_seq(o)) {
		dpx_cache_obj_put(v);
		v = NULL;
		px_w(w)->cstats.variant_refreshed++;
	}
	return v;
}

/* Makes o's variant once: published when o is (a variant of an object
 * that is not in the store would never be found again). */
static struct dpx_cache_obj *
px_cv_make(struct dpx_worker *w, struct px_session *s,
	   const struct dpx_cache_obj *o, enum dpx_coding c,
	   const char *vary, uint32_t vary_len, int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct dpx_cache *store = px_cv_store(w);
	uint64_t seq = dpx_cache_obj_seq(o);
	enum dpx_cache_fill_role role = DPX_CACHE_FILL_BYPASS;
	struct dpx_cache_fill *f = NULL;
	struct dpx_cache_obj *v;
	int rc = -1;

	if (seq != 0) {
		role = px_cv_fill_begin(w, s, c, &f);
		if (role == DPX_CACHE_FILL_WAIT) {
			pw->cstats.variant_waits++;
			return NULL;
		}
	}
	if (role == DPX_CACHE_FILL_LEADER) {
		/* another worker's fill may have ended between our lookup
		 * and our fill_begin: its variant is in the store then */
		v = px_cv_lookup(w, s, o, vary, vary_len);
		if (v != NULL) {
			dpx_cache_fill_abort(store, w->index, f);
			if (!(dpx_cache_obj_meta(v)->flags & PX_CV_F_NO_GAIN))
				pw->cstats.variant_hits++;
			return v;
		}
	}
	v = px_cv_build(w, s, o, c, vary, vary_len, seq, now);
	if (role == DPX_CACHE_FILL_LEADER && v == NULL)
		dpx_cache_fill_abort(store, w->index, f);
	else if (role == DPX_CACHE_FILL_LEADER)
		rc = dpx_cache_fill_commit(store, w->index, f, v);
	else if (v != NULL && seq != 0)
		rc = dpx_cache_insert(store, w->index, v);
	if (rc == 0)
		pw->cstats.variants_stored++;
	return v;
}

/* s takes a coding, and did not ask intermediaries to leave the content
 * alone (RFC 9111 5.2.1.6). */
static bool
px_cv_wanted(const struct px_session *s)
{
	return s->ce_coding != DPX_CODING_NONE && s->ls->compression != NULL &&
	       s->creq != NULL &&
	       !(s->creq->q.cc.flags & DPX_HTTP_CC_NO_TRANSFORM);
}

struct dpx_cache_obj *
px_cv_get(struct dpx_worker *w, struct px_session *s,
	  const struct dpx_cache_obj *o, int64_t now)
{
	struct dpx_proxy_worker *pw = px_w(w);
	enum dpx_coding c = (enum dpx_coding)s->ce_coding;
	char *vary = pw->cache_scratch;
	struct dpx_cache_obj *v;
	int vlen;

	if (!px_cv_wanted(s) ||
	    dpx_cache_obj_meta(o)->flags & PX_CV_F_VARIANT ||
	    px_cz_check(s, &pw->rsp, false) != DPX_COMPRESS_YES)
		return NULL;
	vlen = px_cv_vary(o, c, vary, sizeof(pw->cache_scratch));
	if (vlen < 0)
		return NULL;
	v = px_cv_lookup(w, s, o, vary, (uint32_t)vlen);
	if (v == NULL)
		v = px_cv_make(w, s, o, c, vary, (uint32_t)vlen, now);
	else if (!(dpx_cache_obj_meta(v)->flags & PX_CV_F_NO_GAIN))
		pw->cstats.variant_hits++;
	if (v == NULL)
		return NULL;
	if (dpx_cache_obj_meta(v)->flags & PX_CV_F_NO_GAIN ||
	    !px_stored_head(w, v, now)) {
		dpx_cache_obj_put(v);
		px_stored_head(w, o, now);      /* pw->rsp: o's again */
		return NULL;
	}
	return v;
}

bool
px_cv_defer(struct dpx_worker *w, struct px_session *s,
	    const struct dpx_http_response *rsp)
{
	(void)w;
	if (s->cache_obj == NULL || !px_cv_wanted(s) ||
	    rsp->body != DPX_HTTP_BODY_LENGTH ||
	    px_cz_check(s, rsp, s->req_head_method) != DPX_COMPRESS_YES)
		return false;
	s->cv_defer = true;
	return true;
}
