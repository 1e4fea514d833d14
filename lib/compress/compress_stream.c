/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The encoders: zlib (gzip framing), libbrotlienc and libzstd behind one
 * step function, driven over mbuf chains. Output goes straight into the
 * tailroom of fresh mbufs, so a stream holds no output buffer of its own:
 * its memory is the codec's state, counted through the codecs' allocator
 * hooks (zlib, brotli) or asked of the codec (zstd).
 */
#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/encode.h>
#include <rte_mbuf.h>
#include <zlib.h>
#include <zstd.h>

#include "dpx_compress.h"

/* Streaming windows: 256 KB each, which keeps a stream's state near or
 * below 1 MB and is far inside what every decoder must accept (RFC 8878
 * asks HTTP zstd decoders for 8 MB). One-shot bodies let the codec size
 * the window to the body instead. */
#define GZIP_WBITS (15 + 16)	/* 32 KB window, gzip framing */
#define GZIP_MEMLEVEL 8
#define BR_LGWIN_STREAM 18
#define BR_LGWIN_ONESHOT 22
#define ZSTD_WLOG_STREAM 18
#define ZSTD_HLOG_STREAM 17
#define ZSTD_CLOG_STREAM 18

enum step_op { OP_RUN, OP_FLUSH, OP_FINISH };

struct dpx_compress_stream {
	enum dpx_coding coding;
	int level;
	bool zlib_ready;	/* deflateInit2 succeeded: deflateEnd due */
	bool finished;
	bool failed;
	size_t mem;		/* codec bytes held now (zlib, brotli) */
	size_t mem_peak;
	uint64_t bytes_in;
	uint64_t bytes_out;
	union {
		z_stream z;
		BrotliEncoderState *br;
		ZSTD_CCtx *zs;
	} u;
};

/* ---- allocation: every codec block carries its size for the count ---- */

union mem_hdr {
	size_t size;
	max_align_t align;
};

static void *mem_alloc(struct dpx_compress_stream *s, size_t n)
{
	union mem_hdr *h;

	if (n > SIZE_MAX - sizeof(*h))
		return NULL;
	h = malloc(sizeof(*h) + n);
	if (h == NULL)
		return NULL;
	h->size = n;
	s->mem += n;
	if (s->mem > s->mem_peak)
		s->mem_peak = s->mem;
	return h + 1;
}

static void mem_free(struct dpx_compress_stream *s, void *p)
{
	union mem_hdr *h;

	if (p == NULL)
		return;
	h = (union mem_hdr *)p - 1;
	s->mem -= h->size;
	free(h);
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	if (size != 0 && items > SIZE_MAX / size)
		return Z_NULL;
	return mem_alloc(opaque, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
	mem_free(opaque, p);
}

static void *br_alloc(void *opaque, size_t n)
{
	return mem_alloc(opaque, n);
}

static void br_free(void *opaque, void *p)
{
	mem_free(opaque, p);
}

/* ---- codec set-up ---- */

static bool level_ok(enum dpx_coding c, int level, bool oneshot)
{
	switch (c) {
	case DPX_CODING_GZIP:
		return level >= DPX_COMPRESS_GZIP_MIN &&
		       level <= DPX_COMPRESS_GZIP_MAX;
	case DPX_CODING_BR:
		return level >= DPX_COMPRESS_BR_MIN &&
		       level <= (oneshot ? DPX_COMPRESS_BR_MAX
					 : DPX_COMPRESS_BR_STREAM_MAX);
	case DPX_CODING_ZSTD:
		return level >= DPX_COMPRESS_ZSTD_MIN &&
		       level <= DPX_COMPRESS_ZSTD_MAX;
	default:
		return false;
	}
}

static int default_level(enum dpx_coding c, bool oneshot)
{
	switch (c) {
	case DPX_CODING_GZIP:
		return oneshot ? DPX_COMPRESS_GZIP_CACHE_LEVEL
			       : DPX_COMPRESS_GZIP_LEVEL;
	case DPX_CODING_BR:
		return oneshot ? DPX_COMPRESS_BR_CACHE_LEVEL
			       : DPX_COMPRESS_BR_LEVEL;
	case DPX_CODING_ZSTD:
		return oneshot ? DPX_COMPRESS_ZSTD_CACHE_LEVEL
			       : DPX_COMPRESS_ZSTD_LEVEL;
	default:
		return -1;
	}
}

static int gzip_init(struct dpx_compress_stream *s)
{
	int rc;

	s->u.z.zalloc = z_alloc;
	s->u.z.zfree = z_free;
	s->u.z.opaque = s;
	rc = deflateInit2(&s->u.z, s->level, Z_DEFLATED, GZIP_WBITS,
			  GZIP_MEMLEVEL, Z_DEFAULT_STRATEGY);
	if (rc == Z_MEM_ERROR)
		return DPX_COMPRESS_ENOMEM;
	if (rc != Z_OK)
		return DPX_COMPRESS_ECODEC;
	s->zlib_ready = true;
	return DPX_COMPRESS_OK;
}

/* size_hint 0: streaming (size unknown). */
static int br_init(struct dpx_compress_stream *s, uint64_t size_hint)
{
	BrotliEncoderState *br = BrotliEncoderCreateInstance(br_alloc,
							     br_free, s);

	if (br == NULL)
		return DPX_COMPRESS_ENOMEM;
	s->u.br = br;
	if (!BrotliEncoderSetParameter(br, BROTLI_PARAM_QUALITY,
				       (uint32_t)s->level) ||
	    !BrotliEncoderSetParameter(br, BROTLI_PARAM_LGWIN,
				       size_hint ? BR_LGWIN_ONESHOT
						 : BR_LGWIN_STREAM))
		return DPX_COMPRESS_ECODEC;
	if (size_hint != 0 &&
	    !BrotliEncoderSetParameter(br, BROTLI_PARAM_SIZE_HINT,
				       size_hint > UINT32_MAX
				       ? UINT32_MAX : (uint32_t)size_hint))
		return DPX_COMPRESS_ECODEC;
	return DPX_COMPRESS_OK;
}

static int zstd_init(struct dpx_compress_stream *s, uint64_t size_hint)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();

	if (z == NULL)
		return DPX_COMPRESS_ENOMEM;
	s->u.zs = z;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel,
						s->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1)))
		return DPX_COMPRESS_ECODEC;
	/* A known size puts it in the frame header and lets zstd size its
	 * window and tables to the body. */
	if (size_hint != 0)
		return ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(z, size_hint))
		       ? DPX_COMPRESS_ECODEC : DPX_COMPRESS_OK;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_windowLog,
						ZSTD_WLOG_STREAM)))
		return DPX_COMPRESS_ECODEC;
	/* Above level 3 zstd sizes its match tables for an unknown source
	 * as for a large one, whatever the window (83 MB of state at 19):
	 * tables matching a 256 KB window keep a stream near 2 MB. */
	if (s->level > 3 &&
	    (ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_hashLog,
						 ZSTD_HLOG_STREAM)) ||
	     ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_chainLog,
						 ZSTD_CLOG_STREAM))))
		return DPX_COMPRESS_ECODEC;
	return DPX_COMPRESS_OK;
}

void dpx_compress_stream_free(struct dpx_compress_stream *s)
{
	if (s == NULL)
		return;
	switch (s->coding) {
	case DPX_CODING_GZIP:
		if (s->zlib_ready)
			deflateEnd(&s->u.z);
		break;
	case DPX_CODING_BR:
		if (s->u.br != NULL)
			BrotliEncoderDestroyInstance(s->u.br);
		break;
	case DPX_CODING_ZSTD:
		ZSTD_freeCCtx(s->u.zs);
		break;
	default:
		break;
	}
	free(s);
}

static int stream_new(enum dpx_coding c, int level, bool oneshot,
		      uint64_t size_hint, struct dpx_compress_stream **out)
{
	struct dpx_compress_stream *s;
	int rc;

	*out = NULL;
	if (level < 0)
		level = default_level(c, oneshot);
	if (!level_ok(c, level, oneshot))
		return DPX_COMPRESS_EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return DPX_COMPRESS_ENOMEM;
	s->coding = c;
	s->level = level;
	if (c == DPX_CODING_GZIP)
		rc = gzip_init(s);
	else if (c == DPX_CODING_BR)
		rc = br_init(s, size_hint);
	else
		rc = zstd_init(s, size_hint);
	if (rc != DPX_COMPRESS_OK) {
		dpx_compress_stream_free(s);
		return rc;
	}
	*out = s;
	return DPX_COMPRESS_OK;
}

int dpx_compress_stream_new(enum dpx_coding c, int level,
			    struct dpx_compress_stream **out)
{
	return stream_new(c, level, false, 0, out);
}

size_t dpx_compress_stream_mem(const struct dpx_compress_stream *s)
{
	if (s->coding == DPX_CODING_ZSTD)
		return ZSTD_sizeof_CCtx(s->u.zs);
	return s->mem_peak;
}

uint64_t dpx_compress_stream_in(const struct dpx_compress_stream *s)
{
	return s->bytes_in;
}

uint64_t dpx_compress_stream_out(const struct dpx_compress_stream *s)
{
	return s->bytes_out;
}

/* ---- one codec call ---- */

/* A step consumes from in (advancing it) and writes into out (advancing
 * it); *done tells whether the operation is complete: for OP_RUN all the
 * input taken and nothing held back for lack of room, for the others
 * everything pending written out. */
struct step_io {
	const uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len;
	bool done;
};

static int gzip_step(struct dpx_compress_stream *s, enum step_op op,
		     struct step_io *io)
{
	static const int flush_of[] = { Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FINISH };
	z_stream *z = &s->u.z;
	int rc;

	/* zlib counts in uInt: feed at most 1 GB a call. */
	z->next_in = (Bytef *)(uintptr_t)io->in;
	z->avail_in = (uInt)(io->in_len < (1u << 30) ? io->in_len : 1u << 30);
	z->next_out = io->out;
	z->avail_out = (uInt)io->out_len;
	rc = deflate(z, flush_of[op]);
	io->in_len -= (size_t)(z->next_in - io->in);
	io->in = z->next_in;
	io->out_len = z->avail_out;
	io->out = z->next_out;
	/* Z_BUF_ERROR: no progress possible, e.g. a second sync flush with
	 * nothing new; not an error for a stream. */
	if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
		return DPX_COMPRESS_ECODEC;
	if (op == OP_FINISH)
		io->done = rc == Z_STREAM_END;
	else
		io->done = io->in_len == 0 &&
			   (z->avail_out != 0 || rc == Z_BUF_ERROR);
	return DPX_COMPRESS_OK;
}

static int br_step(struct dpx_compress_stream *s, enum step_op op,
		   struct step_io *io)
{
	static const BrotliEncoderOperation op_of[] = {
		BROTLI_OPERATION_PROCESS, BROTLI_OPERATION_FLUSH,
		BROTLI_OPERATION_FINISH };

	if (!BrotliEncoderCompressStream(s->u.br, op_of[op], &io->in_len,
					 &io->in, &io->out_len, &io->out,
					 NULL))
		return DPX_COMPRESS_ECODEC;
	if (op == OP_FINISH)
		io->done = BrotliEncoderIsFinished(s->u.br);
	else
		io->done = io->in_len == 0 &&
			   !BrotliEncoderHasMoreOutput(s->u.br);
	return DPX_COMPRESS_OK;
}

static int zstd_step(struct dpx_compress_stream *s, enum step_op op,
		     struct step_io *io)
{
	static const ZSTD_EndDirective dir_of[] = {
		ZSTD_e_continue, ZSTD_e_flush, ZSTD_e_end };
	ZSTD_inBuffer in = { io->in, io->in_len, 0 };
	ZSTD_outBuffer out = { io->out, io->out_len, 0 };
	size_t left = ZSTD_compressStream2(s->u.zs, &out, &in, dir_of[op]);

	io->in += in.pos;
	io->in_len -= in.pos;
	io->out += out.pos;
	io->out_len -= out.pos;
	if (ZSTD_isError(left))
		return DPX_COMPRESS_ECODEC;
	if (op == OP_RUN)
		io->done = io->in_len == 0 && out.pos < out.size;
	else
		io->done = left == 0;
	return DPX_COMPRESS_OK;
}

static int step(struct dpx_compress_stream *s, enum step_op op,
		struct step_io *io)
{
	if (s->coding == DPX_CODING_GZIP)
		return gzip_step(s, op, io);
	if (s->coding == DPX_CODING_BR)
		return br_step(s, op, io);
	return zstd_step(s, op, io);
}

/* ---- chains ---- */

static void chain_add(struct dpx_compress_chain *q, struct rte_mbuf *m)
{
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	if (q->tail != NULL)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->len += m->data_len;
}

void dpx_compress_chain_free(struct dpx_compress_chain *q)
{
	struct rte_mbuf *m = q->head;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	q->head = q->tail = NULL;
	q->len = 0;
}

/* Runs op over in[0, len) until done, one fresh mbuf per codec call; an
 * mbuf the codec wrote nothing into goes straight back. */
static int pump(struct dpx_compress_stream *s, enum step_op op,
		const uint8_t *in, size_t len, struct rte_mempool *mp,
		struct dpx_compress_chain *out)
{
	struct step_io io = { .in = in, .in_len = len };

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t room;
		int rc;

		if (m == NULL)
			return DPX_COMPRESS_ENOBUFS;
		room = rte_pktmbuf_tailroom(m);
		io.out = rte_pktmbuf_mtod(m, uint8_t *);
		io.out_len = room;
		rc = step(s, op, &io);
		m->data_len = (uint16_t)(room - io.out_len);
		if (m->data_len == 0) {
			rte_pktmbuf_free_seg(m);
		} else {
			if ((uint64_t)out->len + m->data_len > UINT32_MAX) {
				rte_pktmbuf_free_seg(m);
				return DPX_COMPRESS_E2BIG;
			}
			chain_add(out, m);
			s->bytes_out += m->data_len;
		}
		if (rc != DPX_COMPRESS_OK)
			return rc;
		if (room == 0)
			return DPX_COMPRESS_ENOBUFS; /* pool without data room */
	} while (!io.done);
	s->bytes_in += len;
	return DPX_COMPRESS_OK;
}

/* Every public entry: refuse a finished or failed stream, and fail it
 * for good on any error. */
static int run(struct dpx_compress_stream *s, enum step_op op,
	       const uint8_t *in, size_t len, struct rte_mempool *mp,
	       struct dpx_compress_chain *out)
{
	int rc;

	if (s == NULL || s->failed || s->finished || mp == NULL ||
	    out == NULL)
		return DPX_COMPRESS_EINVAL;
	rc = pump(s, op, in, len, mp, out);
	if (rc != DPX_COMPRESS_OK)
		s->failed = true;
	else if (op == OP_FINISH)
		s->finished = true;
	return rc;
}

int dpx_compress_feed_buf(struct dpx_compress_stream *s, const void *p,
			  size_t len, struct rte_mempool *mp,
			  struct dpx_compress_chain *out)
{
	if (len == 0)
		return s != NULL && !s->failed && !s->finished
		       ? DPX_COMPRESS_OK : DPX_COMPRESS_EINVAL;
	return run(s, OP_RUN, p, len, mp, out);
}

int dpx_compress_feed(struct dpx_compress_stream *s,
		      const struct rte_mbuf *in, struct rte_mempool *mp,
		      struct dpx_compress_chain *out)
{
	int rc = DPX_COMPRESS_OK;

	for (; in != NULL && rc == DPX_COMPRESS_OK; in = in->next)
		rc = dpx_compress_feed_buf(s, rte_pktmbuf_mtod(in,
						const uint8_t *),
					   in->data_len, mp, out);
	return rc;
}

int dpx_compress_flush(struct dpx_compress_stream *s,
		       struct rte_mempool *mp, struct dpx_compress_chain *out)
{
	return run(s, OP_FLUSH, NULL, 0, mp, out);
}

int dpx_compress_finish(struct dpx_compress_stream *s,
			struct rte_mempool *mp,
			struct dpx_compress_chain *out)
{
	return run(s, OP_FINISH, NULL, 0, mp, out);
}

/* ---- one-shot ---- */

static uint64_t chain_bytes(const struct rte_mbuf *m)
{
	uint64_t n = 0;

	for (; m != NULL; m = m->next)
		n += m->data_len;
	return n;
}

/* Compresses into res, giving up as soon as the output reaches the
 * input's size: a body that does not shrink is not worth finishing. */
static int oneshot_run(struct dpx_compress_stream *s,
		       const struct rte_mbuf *in, uint64_t total,
		       struct rte_mempool *mp, struct dpx_compress_chain *res)
{
	int rc = DPX_COMPRESS_OK;

	for (; in != NULL; in = in->next) {
		rc = dpx_compress_feed_buf(s, rte_pktmbuf_mtod(in,
						const uint8_t *),
					   in->data_len, mp, res);
		if (rc != DPX_COMPRESS_OK)
			return rc;
		if (res->len >= total)
			return DPX_COMPRESS_ENOGAIN;
	}
	rc = dpx_compress_finish(s, mp, res);
	if (rc == DPX_COMPRESS_OK && res->len >= total)
		rc = DPX_COMPRESS_ENOGAIN;
	return rc;
}

int dpx_compress_oneshot(enum dpx_coding c, int level,
			 const struct rte_mbuf *in, struct rte_mempool *mp,
			 struct dpx_compress_chain *out)
{
	struct dpx_compress_chain res = { NULL, NULL, 0 };
	struct dpx_compress_stream *s;
	uint64_t total = chain_bytes(in);
	int rc;

	if (out == NULL || mp == NULL)
		return DPX_COMPRESS_EINVAL;
	if (total > UINT32_MAX)
		return DPX_COMPRESS_E2BIG;
	if (total == 0)
		return DPX_COMPRESS_ENOGAIN;	/* nothing gets smaller */
	rc = stream_new(c, level, true, total, &s);
	if (rc != DPX_COMPRESS_OK)
		return rc;
	rc = oneshot_run(s, in, total, mp, &res);
	dpx_compress_stream_free(s);
	if (rc != DPX_COMPRESS_OK) {
		dpx_compress_chain_free(&res);
		return rc;
	}
	if (out->tail != NULL)
		out->tail->next = res.head;
	else
		out->head = res.head;
	out->tail = res.tail;
	out->len += res.len;
	return DPX_COMPRESS_OK;
}

const char *dpx_compress_strerror(int err)
{
	switch (err) {
	case DPX_COMPRESS_OK: return "ok";
	case DPX_COMPRESS_EINVAL: return "invalid coding, level or state";
	case DPX_COMPRESS_ENOMEM: return "out of memory for codec state";
	case DPX_COMPRESS_ENOBUFS: return "no mbuf left in the pool";
	case DPX_COMPRESS_ECODEC: return "compression library error";
	case DPX_COMPRESS_ENOGAIN: return "output not smaller than input";
	case DPX_COMPRESS_E2BIG: return "body over 4 GB";
	default: return "unknown error";
	}
}
