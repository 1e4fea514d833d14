/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/compress: response compression (gzip, brotli, zstd) with Debian's
 * zlib, libbrotlienc and libzstd. It owns:
 *  - the "compression" configuration section (schema, defaults, checks),
 *    parsed through a hook like lib/tls's "tls";
 *  - the choice of a coding from Accept-Encoding (RFC 9110 12.5.3) among
 *    those the configuration enables;
 *  - the decision whether a response may be compressed at all, with the
 *    reason when not;
 *  - what the head writer must change (Content-Encoding, length, Vary,
 *    ETag), written into caller buffers;
 *  - encoders over mbuf chains: streaming for what is not cached, and a
 *    one-shot compress of a whole body for cacheable objects.
 * Nothing here touches a connection: the proxy decides where responses
 * flow through it. Chains are those of the proxy (lib/proxy's px_chain):
 * single-segment mbufs linked by next, each with nb_segs 1 and pkt_len ==
 * data_len, released one by one with rte_pktmbuf_free_seg().
 */
#ifndef DPX_COMPRESS_H
#define DPX_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpx_config_kit.h"
#include "dpx_http.h"	/* struct dpx_http_str */

struct rte_mbuf;
struct rte_mempool;

enum dpx_coding {
	DPX_CODING_NONE = 0,	/* identity: send as it is */
	DPX_CODING_GZIP,
	DPX_CODING_BR,
	DPX_CODING_ZSTD,
	DPX_CODING_COUNT
};

/* "gzip", "br", "zstd" ("identity" for NONE); NULL when out of range. */
const char *dpx_coding_name(enum dpx_coding c);

/* Level ranges and defaults. Streaming levels are what a worker can
 * afford per byte on the data path; cache levels are paid once per
 * cached object (docs/architecture.md has the measurements). zstd stops
 * at 19: 20..22 need windows far beyond what a browser must accept. */
#define DPX_COMPRESS_GZIP_MIN 1
#define DPX_COMPRESS_GZIP_MAX 9
#define DPX_COMPRESS_BR_MIN 0
#define DPX_COMPRESS_BR_MAX 11
/* brotli's hash tables grow with the level (38 MB at 9): streams stop at
 * 6 (5.4 MB); higher levels are for one-shot only. */
#define DPX_COMPRESS_BR_STREAM_MAX 6
#define DPX_COMPRESS_ZSTD_MIN 1
#define DPX_COMPRESS_ZSTD_MAX 19
#define DPX_COMPRESS_GZIP_LEVEL 6
#define DPX_COMPRESS_BR_LEVEL 5
#define DPX_COMPRESS_ZSTD_LEVEL 3
#define DPX_COMPRESS_GZIP_CACHE_LEVEL 9
#define DPX_COMPRESS_BR_CACHE_LEVEL 9
#define DPX_COMPRESS_ZSTD_CACHE_LEVEL 12

#define DPX_COMPRESS_MAX_TYPES 32
#define DPX_COMPRESS_TYPE_LEN 64	/* incl. NUL */
#define DPX_COMPRESS_MIN_SIZE 256
#define DPX_COMPRESS_MIN_SIZE_MAX (1u << 30)

/* The "compression" object (docs/config.md). */
struct dpx_compress_conf {
	bool enabled;
	uint8_t n_codings;
	uint8_t codings[DPX_CODING_COUNT];	/* preference order, first best */
	uint32_t n_types;
	/* Lower case "type/subtype", or "type/" and a "*" wildcard; no
	 * parameters. */
	char types[DPX_COMPRESS_MAX_TYPES][DPX_COMPRESS_TYPE_LEN];
	uint32_t min_size;			/* bytes; smaller bodies: identity */
	int level[DPX_CODING_COUNT];		/* streaming */
	int cache_level[DPX_CODING_COUNT];	/* one-shot, cacheable objects */
};

/* The defaults: enabled, br > zstd > gzip, the text types, 256 bytes. */
void dpx_compress_conf_default(struct dpx_compress_conf *conf);

/* The config hook: v is the "compression" value at c's current path;
 * *out a malloc'ed struct dpx_compress_conf, released by conf_free. */
int dpx_compress_conf_parse(struct cfg_ctx *c, json_t *v, void **out);
void dpx_compress_conf_free(void *conf);

/* ---- Accept-Encoding ---- */

/* Weights in thousandths (0..1000); -1: the member was not there. */
struct dpx_accept_encoding {
	int16_t q[DPX_CODING_COUNT];	/* index NONE unused */
	int16_t identity;
	int16_t star;			/* "*" */
	uint32_t members;		/* valid members seen */
};

/* Adds the members of one field value to ae (a request may carry several
 * Accept-Encoding lines: call once per line after dpx_accept_encoding_
 * init). Invalid members are skipped; a name given twice keeps its
 * lowest weight, so that a refusal anywhere is honoured. "x-gzip" is
 * gzip (RFC 9110 12.5.3). */
void dpx_accept_encoding_init(struct dpx_accept_encoding *ae);
void dpx_accept_encoding_parse(struct dpx_accept_encoding *ae,
			       const char *v, size_t len);

/* The enabled coding of highest weight, ties to the configured order;
 * NONE when none has a weight above 0, when identity was named with a
 * higher weight than the best one, or when conf is NULL or disabled. */
enum dpx_coding dpx_compress_choose(const struct dpx_compress_conf *conf,
				    const struct dpx_accept_encoding *ae);

/* Both steps over the request's Accept-Encoding values (n 0: the field
 * is absent, and dpx does not compress for clients that did not ask). */
enum dpx_coding dpx_compress_negotiate(const struct dpx_compress_conf *conf,
				       const struct dpx_http_str *values,
				       unsigned int n);

/* ---- Whether a response may be compressed ---- */

/* What the decision needs from a response and its request. A value that
 * is absent has p NULL or len 0. */
struct dpx_compress_rsp {
	uint16_t status;
	struct dpx_http_str content_type;
	struct dpx_http_str content_encoding;
	struct dpx_http_str cache_control;
	int64_t content_length;		/* -1: not known (chunked, close) */
	bool request_range;		/* the request had a Range field */
	bool head_request;		/* HEAD: no body to compress */
};

enum dpx_compress_why {
	DPX_COMPRESS_YES = 0,
	DPX_COMPRESS_DISABLED,		/* no conf, or "enabled": false */
	DPX_COMPRESS_STATUS,		/* 1xx, 204, 205, 3xx, or no body */
	DPX_COMPRESS_RANGE,		/* 206, or the request had Range */
	DPX_COMPRESS_ENCODED,		/* Content-Encoding already there */
	DPX_COMPRESS_NO_TRANSFORM,	/* Cache-Control: no-transform */
	DPX_COMPRESS_TYPE,		/* Content-Type absent or not listed */
	DPX_COMPRESS_TOO_SMALL,		/* Content-Length below min_size */
	DPX_COMPRESS_WHY_COUNT
};

/* Short name of a reason, for counters and logs ("range", "type"...). */
const char *dpx_compress_why_name(enum dpx_compress_why why);

enum dpx_compress_why dpx_compress_eligible(
	const struct dpx_compress_conf *conf,
	const struct dpx_compress_rsp *rsp);

/* Content-Type media type (parameters ignored, case-insensitive) against
 * the configured list (a "text/" wildcard entry matches every text
 * type). */
bool dpx_compress_type_listed(const struct dpx_compress_conf *conf,
			      const char *ct, size_t len);

/* ---- Head edits ---- */

/* What the writer of a compressed response's head must do. */
struct dpx_compress_head {
	const char *content_encoding;	/* add Content-Encoding: this */
	bool drop_content_length;	/* and any Content-Length... */
	bool chunked;			/* ...then frame chunked (HTTP/1.1)
					 * or by close (1.0) */
	bool set_content_length;	/* one-shot: the new length */
	uint64_t content_length;
	bool drop_accept_ranges;	/* ranges are of the identity body */
	bool vary;			/* merge with dpx_compress_vary() */
	bool weaken_etag;		/* rewrite with dpx_compress_etag() */
};

/* Streaming: length unknown until the end. */
void dpx_compress_head_streaming(enum dpx_coding c,
				 struct dpx_compress_head *h);
/* One-shot: the compressed body is len bytes. */
void dpx_compress_head_oneshot(enum dpx_coding c, uint64_t len,
			       struct dpx_compress_head *h);

/* The Vary value to send: old (NULL or empty: none) with Accept-Encoding
 * added, unless it is there already or old is "*". Writes a NUL-terminated
 * value into buf; returns its length, or -1 when size is too small.
 * A response that is not compressed because of the client's
 * Accept-Encoding must carry it too, so that caches keep both. */
int dpx_compress_vary(const struct dpx_http_str *old, char *buf,
		      size_t size);

/* The Vary line an answer of rsp carries when rsp is eligible for
 * compression (dpx_compress_eligible() said YES) whether or not this
 * client's Accept-Encoding picked a coding: which body a client gets
 * depends on that field, so that a shared cache downstream must not give
 * one client's copy to another (RFC 9110 12.5.5). "Vary: " every Vary
 * line of rsp joined, merged by dpx_compress_vary(), "\r\n" into buf
 * (NUL-terminated; the writer drops rsp's Vary lines for it). Returns
 * its length; 0 when rsp's Vary lists Accept-Encoding or "*" already (its
 * lines go as they are); -1 when the joined lines pass 512 bytes or size
 * is too small. */
int dpx_compress_vary_field(const struct dpx_http_response *rsp, char *buf,
			    size_t size);

/* The ETag to send with a compressed body: "x" becomes W/"x" (the bytes
 * differ, the meaning does not, so weak comparison still matches), a weak
 * one is kept. Returns the length written (NUL-terminated); 0 when the
 * value is not an entity-tag, and the field must be dropped; -1 when
 * size is too small. */
int dpx_compress_etag(const struct dpx_http_str *etag, char *buf,
		      size_t size);

/*
 * The head to store with a one-shot compressed variant of rsp (a parsed
 * identity response with a Content-Length body), into out[0, cap): rsp's
 * status and fields less the hop-by-hop ones (no Connection line: the
 * writer of each answer adds its own) and any Content-Encoding (only
 * "identity" can be there, others are not eligible), Content-Length
 * replaced by len, Accept-Ranges dropped, then "Content-Encoding: CODING",
 * one Vary (every Vary line joined, merged with Accept-Encoding by
 * dpx_compress_vary) and the ETag weakened (dpx_compress_etag; dropped
 * when it is no entity-tag). The length written, or -1: coding out of
 * range, rsp without a Content-Length body, cap too small, or a head
 * that would not parse back (over the parser's field count).
 */
int dpx_compress_variant_head(const struct dpx_http_response *rsp,
			      enum dpx_coding c, uint64_t len, char *out,
			      uint32_t cap);

/* ---- Encoders over mbuf chains ---- */

/* The proxy's chain layout (lib/proxy's px_chain). */
struct dpx_compress_chain {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	uint32_t len;
};

enum dpx_compress_err {
	DPX_COMPRESS_OK = 0,
	DPX_COMPRESS_EINVAL = -1,	/* coding, level, or a stream used
					 * after finish or after a failure */
	DPX_COMPRESS_ENOMEM = -2,	/* codec state could not be had */
	DPX_COMPRESS_ENOBUFS = -3,	/* the mempool had no mbuf left */
	DPX_COMPRESS_ECODEC = -4,	/* the library refused */
	DPX_COMPRESS_ENOGAIN = -5,	/* one-shot: not smaller than input */
	DPX_COMPRESS_E2BIG = -6,	/* one-shot: over 4 GB */
};

const char *dpx_compress_strerror(int err);

/* Free every mbuf of a chain and leave it empty. */
void dpx_compress_chain_free(struct dpx_compress_chain *q);

/*
 * A streaming encoder. Memory is bounded per stream (codec state only;
 * output goes straight into mbufs), measured at the default levels:
 * gzip 261 KB (windowBits 15, memLevel 8), zstd 1.8 MB at level 3
 * (windowLog 18, and match tables capped to that window at every
 * level: at most 3.3 MB at 19), brotli 1.1 to 4.4 MB at level 5 (lgwin
 * 18; it grows its command buffers on large bodies; 5.4 MB at 6, the
 * highest streaming level). dpx_compress_stream_mem() says exactly.
 *
 * feed/flush/finish append compressed bytes to out in fresh mbufs from
 * mp (out may be non-empty: its mbufs are not written to). The input is
 * only read; it stays the caller's. Any error leaves the stream failed:
 * the response cannot be completed, only stream_free() is allowed, and
 * what was appended to out before the error stays there for the caller to
 * free. flush makes everything fed so far decodable by the client (a
 * sync flush), at a small cost in ratio: call it when the input stalls,
 * not per segment.
 */
struct dpx_compress_stream;

/* level < 0: the coding's streaming default. */
int dpx_compress_stream_new(enum dpx_coding c, int level,
			    struct dpx_compress_stream **out);
void dpx_compress_stream_free(struct dpx_compress_stream *s);
/* Every segment of the chain starting at in (linked by next). */
int dpx_compress_feed(struct dpx_compress_stream *s,
		      const struct rte_mbuf *in, struct rte_mempool *mp,
		      struct dpx_compress_chain *out);
int dpx_compress_feed_buf(struct dpx_compress_stream *s, const void *p,
			  size_t len, struct rte_mempool *mp,
			  struct dpx_compress_chain *out);
int dpx_compress_flush(struct dpx_compress_stream *s,
		       struct rte_mempool *mp,
		       struct dpx_compress_chain *out);
int dpx_compress_finish(struct dpx_compress_stream *s,
			struct rte_mempool *mp,
			struct dpx_compress_chain *out);
/* Codec memory now held by the stream, in bytes (highest so far). */
size_t dpx_compress_stream_mem(const struct dpx_compress_stream *s);
uint64_t dpx_compress_stream_in(const struct dpx_compress_stream *s);
uint64_t dpx_compress_stream_out(const struct dpx_compress_stream *s);

/*
 * One-shot: the whole body (the chain starting at in) into out, at level
 * (< 0: the coding's cache default), with the codec told the size so that
 * it sizes its window to the body. DPX_COMPRESS_ENOGAIN when the result
 * would not be smaller than the input: then serve identity. On any error
 * out is left as it was.
 */
int dpx_compress_oneshot(enum dpx_coding c, int level,
			 const struct rte_mbuf *in, struct rte_mempool *mp,
			 struct dpx_compress_chain *out);

#endif /* DPX_COMPRESS_H */
