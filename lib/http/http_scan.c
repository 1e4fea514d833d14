/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte scanners of the head parser: the first byte of buf[pos, end) outside
 * a class (field-value bytes, tchar, request-target bytes), and the hot
 * loop over field lines built on them. Three sets, one chosen at start:
 *  - scalar: table lookups, any CPU;
 *  - SSE4.2: PCMPESTRI over the byte ranges of the class, 16 bytes per
 *    instruction;
 *  - AVX2: byte compares (tchar: a nibble-indexed bitmap) into bit masks;
 *    the hot loop keeps the masks of a 64-byte block (32 for heads under
 *    64 bytes) for every line that starts inside it.
 * Vector loads never leave buf[0, end): when fewer than a vector's bytes
 * are left, the last full vector of buf[0, end) is loaded instead and the
 * bytes before pos are shifted out; a buffer shorter than a vector is left
 * to the scalar code. ASan sees only in-bounds reads. Other CPUs than
 * x86-64 build the scalar set only.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#define HAVE_X86_SIMD 1
#include <immintrin.h>
#endif

#include "dpx_http.h"
#include "http_internal.h"

#define SSE42 __attribute__((target("sse4.2")))
#define AVX2 __attribute__((target("avx2")))
#define INLINE static inline __attribute__((always_inline))

/* For AVX2, the masks of the block of 64 or 32 bytes from base (bit k:
 * byte base + k is outside the class). */
struct cursor {
	uint32_t base;
	uint64_t value, token;
};

/* The first byte of buf[from, end) outside tchar, or outside the value
 * class, or end. */
typedef uint32_t (*find_fn)(const char *buf, uint32_t end, struct cursor *c,
			    uint32_t from);

/* The line at *pos when whole (CR LF before end) and clean: 1 with its CR
 * and first token's end, *pos past it. 0: find_line() goes on from *cr. */
INLINE int next_line(find_fn token_at, find_fn value_at, const char *buf,
		     uint32_t end, struct cursor *c, uint32_t *pos,
		     uint32_t *tok, uint32_t *cr)
{
	*tok = token_at(buf, end, c, *pos);
	*cr = value_at(buf, end, c, *tok);
	if (*cr + 1 >= end ||
	    dpx_http_ld16(buf + *cr) != dpx_http_ld16("\r\n"))
		return 0;
	*pos = *cr + 2;
	return 1;
}

/*
 * The hot loop (dpx_http_fields_fn) on an instruction set's finders. A
 * line's first token ends at its first byte outside tchar; every byte
 * outside the value class is outside tchar too, so the search for the CR
 * goes on from there. A line at max_head is never whole before end, so
 * that limit is left to head_lines().
 */
INLINE int fields_loop(find_fn token_at, find_fn value_at,
		       struct dpx_http_parser *ps, const char *buf,
		       uint32_t end, const struct dpx_http_limits *lim,
		       const struct dpx_http_first *first,
		       struct dpx_http_header *hdr, uint32_t *n_hdr)
{
	const struct dpx_http_header *h_end = hdr + dpx_http_header_cap(lim);
	struct dpx_http_header *h = hdr + *n_hdr;
	uint32_t max_line = lim->max_line, pos = ps->pos, seen = 0;
	struct cursor c = { pos - 64, 0, 0 };	/* no block yet */
	uint32_t ls, tok, cr;
	int r = 0;

	while (ps->stage == DPX_HTTP_ST_FIRST_LINE) {
		ls = pos;
		if (!next_line(token_at, value_at, buf, end, &c, &pos, &tok,
			       &cr))
			goto out;
		if (cr - ls > max_line) {	/* LF past ls + max_line + 1 */
			r = first->long_err;
			goto out;
		}
		if (cr == ls && first->skip_empty)
			continue;
		r = first->parse(first->msg, buf, ls, cr, tok);
		if (r < 0)
			goto out;
		ps->stage = DPX_HTTP_ST_FIELDS;
	}
	for (;;) {
		ls = pos;
		if (!next_line(token_at, value_at, buf, end, &c, &pos, &tok,
			       &cr)) {
			r = 0;
			break;
		}
		if (cr - ls > max_line) {
			r = -DPX_HTTP_E_HEADERS_TOO_LARGE;
			break;
		}
		if (cr == ls) {
			r = 1;
			break;
		}
		r = dpx_http_field_line(ps, buf, ls, cr, tok, &h, h_end,
					&seen);
		if (r < 0)
			break;
	}
out:
	*n_hdr = (uint32_t)(h - hdr);
	ps->fields_seen |= seen;
	ps->pos = pos;
	ps->scan = r == 0 ? cr : pos;
	return r;
}

/* ---- scalar ---- */

INLINE uint32_t scalar_find(const uint8_t *tab, const char *buf, uint32_t pos,
			    uint32_t end)
{
	while (end - pos >= 4) {
		if (!tab[(unsigned char)buf[pos]])
			return pos;
		if (!tab[(unsigned char)buf[pos + 1]])
			return pos + 1;
		if (!tab[(unsigned char)buf[pos + 2]])
			return pos + 2;
		if (!tab[(unsigned char)buf[pos + 3]])
			return pos + 3;
		pos += 4;
	}
	while (pos < end && tab[(unsigned char)buf[pos]])
		pos++;
	return pos;
}

static uint32_t scalar_value(const char *buf, uint32_t pos, uint32_t end)
{
	return scalar_find(dpx_http_val_tab, buf, pos, end);
}

static uint32_t scalar_token(const char *buf, uint32_t pos, uint32_t end)
{
	return scalar_find(dpx_http_tok_tab, buf, pos, end);
}

static uint32_t scalar_target(const char *buf, uint32_t pos, uint32_t end)
{
	return scalar_find(dpx_http_tgt_tab, buf, pos, end);
}

INLINE uint32_t scalar_token_at(const char *buf, uint32_t end,
				struct cursor *c, uint32_t from)
{
	(void)c;
	return scalar_find(dpx_http_tok_tab, buf, from, end);
}

INLINE uint32_t scalar_value_at(const char *buf, uint32_t end,
				struct cursor *c, uint32_t from)
{
	(void)c;
	return scalar_find(dpx_http_val_tab, buf, from, end);
}

static int scalar_fields(struct dpx_http_parser *ps, const char *buf,
			 uint32_t end, const struct dpx_http_limits *lim,
			 const struct dpx_http_first *first,
			 struct dpx_http_header *hdr, uint32_t *n_hdr)
{
	return fields_loop(scalar_token_at, scalar_value_at, ps, buf, end, lim,
			   first, hdr, n_hdr);
}

#ifdef HAVE_X86_SIMD
/* ---- SSE4.2 ---- */

/*
 * Negative polarity: the index of the first byte in none of the ranges.
 * Elements past the data length count as such a byte, so "none found"
 * comes back as the data length. (Valgrind decodes this mode too.)
 */
#define RANGES_MODE (_SIDD_UBYTE_OPS | _SIDD_CMP_RANGES | \
		     _SIDD_NEGATIVE_POLARITY | _SIDD_LEAST_SIGNIFICANT)

/* Loading 16 bytes at shift_bytes + k gives a PSHUFB control that moves
 * bytes k..15 down to 0..15-k and zeroes the rest. */
static const uint8_t shift_bytes[32] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

INLINE SSE42 __m128i load16(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

INLINE SSE42 uint32_t sse42_find(__m128i ranges, int n_ranges,
				 const uint8_t *tab, const char *buf,
				 uint32_t pos, uint32_t end)
{
	uint32_t skip;
	__m128i v;

	for (; end - pos >= 16; pos += 16) {
		int i = _mm_cmpestri(ranges, n_ranges, load16(buf + pos), 16,
				     RANGES_MODE);

		if (i < 16)
			return pos + (uint32_t)i;
	}
	if (pos == end)
		return end;
	if (end < 16)
		return scalar_find(tab, buf, pos, end);
	skip = 16 - (end - pos);
	v = _mm_shuffle_epi8(load16(buf + end - 16),
			     load16((const char *)shift_bytes + skip));
	return pos + (uint32_t)_mm_cmpestri(ranges, n_ranges, v,
					    (int)(end - pos), RANGES_MODE);
}

/* HTAB, SP..'~', obs-text */
static SSE42 uint32_t sse42_value(const char *buf, uint32_t pos, uint32_t end)
{
	const __m128i r = _mm_setr_epi8(0x09, 0x09, 0x20, 0x7e, (char)0x80,
					(char)0xff, 0, 0, 0, 0, 0, 0, 0, 0,
					0, 0);

	return sse42_find(r, 6, dpx_http_val_tab, buf, pos, end);
}

/* Eight ranges hold every tchar but '~': a stop at '~' goes on. */
static SSE42 uint32_t sse42_token(const char *buf, uint32_t pos, uint32_t end)
{
	const __m128i r = _mm_setr_epi8('!', '!', '#', '\'', '*', '+', '-',
					'.', '0', '9', 'A', 'Z', '^', 'z',
					'|', '|');

	for (;;) {
		pos = sse42_find(r, 16, dpx_http_tok_tab, buf, pos, end);
		if (pos == end || buf[pos] != '~')
			return pos;
		pos++;
	}
}

/* VCHAR but '#' */
static SSE42 uint32_t sse42_target(const char *buf, uint32_t pos,
				   uint32_t end)
{
	const __m128i r = _mm_setr_epi8('!', '"', '$', '~', 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0);

	return sse42_find(r, 4, dpx_http_tgt_tab, buf, pos, end);
}

INLINE SSE42 uint32_t sse42_token_at(const char *buf, uint32_t end,
				     struct cursor *c, uint32_t from)
{
	(void)c;
	return sse42_token(buf, from, end);
}

INLINE SSE42 uint32_t sse42_value_at(const char *buf, uint32_t end,
				     struct cursor *c, uint32_t from)
{
	(void)c;
	return sse42_value(buf, from, end);
}

static SSE42 int sse42_fields(struct dpx_http_parser *ps, const char *buf,
			      uint32_t end, const struct dpx_http_limits *lim,
			      const struct dpx_http_first *first,
			      struct dpx_http_header *hdr, uint32_t *n_hdr)
{
	return fields_loop(sse42_token_at, sse42_value_at, ps, buf, end, lim,
			   first, hdr, n_hdr);
}

/* ---- AVX2 ---- */

enum byte_class { CLS_VALUE, CLS_TOKEN, CLS_TARGET };

/*
 * tchar as a bitmap indexed by nibbles: bit h of lo_bits[l] is set when
 * byte 16 * h + l is a tchar (h < 8; obs-text is never one).
 * test_isa_every_byte (test_http) checks it against dpx_http_tok_tab.
 */
#define TCHAR_LO_BITS 0xe8, 0xfc, 0xf8, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, \
		      0xf8, 0xf8, 0xf4, 0x54, 0xd0, 0x54, 0xf4, 0x70
#define TCHAR_HI_BITS 1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0, 0, 0, \
		      0, 0, 0

/* Lanes (bytes) of v outside the class: all ones. */
INLINE AVX2 __m256i outside32(__m256i v, enum byte_class c)
{
	const __m256i lo_bits = _mm256_setr_epi8(TCHAR_LO_BITS, TCHAR_LO_BITS);
	const __m256i hi_bits = _mm256_setr_epi8(TCHAR_HI_BITS, TCHAR_HI_BITS);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i a, b;

	switch (c) {
	case CLS_VALUE:	/* CTL but HTAB, DEL */
		a = _mm256_cmpeq_epi8(
			_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v);
		a = _mm256_andnot_si256(
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x09)), a);
		return _mm256_or_si256(
			a, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7f)));
	case CLS_TARGET: /* CTL, SP, '#', DEL, obs-text */
		a = _mm256_cmpeq_epi8(
			_mm256_min_epu8(v, _mm256_set1_epi8(0x20)), v);
		b = _mm256_cmpeq_epi8(
			_mm256_max_epu8(v, _mm256_set1_epi8(0x7f)), v);
		return _mm256_or_si256(_mm256_or_si256(a, b),
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8('#')));
	default:	/* CLS_TOKEN */
		a = _mm256_shuffle_epi8(lo_bits, _mm256_and_si256(v, nib));
		b = _mm256_shuffle_epi8(hi_bits, _mm256_and_si256(
			_mm256_srli_epi16(v, 4), nib));
		return _mm256_cmpeq_epi8(_mm256_and_si256(a, b),
					 _mm256_setzero_si256());
	}
}

/* outside32() for 16 bytes (VEX-encoded SSE). */
INLINE AVX2 __m128i outside16(__m128i v, enum byte_class c)
{
	const __m128i lo_bits = _mm_setr_epi8(TCHAR_LO_BITS);
	const __m128i hi_bits = _mm_setr_epi8(TCHAR_HI_BITS);
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i a, b;

	switch (c) {
	case CLS_VALUE:
		a = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
		a = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x09)),
				     a);
		return _mm_or_si128(a,
				    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
	case CLS_TARGET:
		a = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
		b = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x7f)), v);
		return _mm_or_si128(_mm_or_si128(a, b),
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('#')));
	default:
		a = _mm_shuffle_epi8(lo_bits, _mm_and_si128(v, nib));
		b = _mm_shuffle_epi8(hi_bits,
				     _mm_and_si128(_mm_srli_epi16(v, 4), nib));
		return _mm_cmpeq_epi8(_mm_and_si128(a, b),
				      _mm_setzero_si128());
	}
}

INLINE AVX2 __m256i load32(const char *p)
{
	return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

INLINE AVX2 uint32_t mask32(const char *p, enum byte_class c)
{
	return (uint32_t)_mm256_movemask_epi8(outside32(load32(p), c));
}

INLINE AVX2 uint32_t mask16(const char *p, enum byte_class c)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (uint32_t)_mm_movemask_epi8(outside16(v, c));
}

/* pos + the first set bit of m, or end. */
INLINE uint32_t first_bit(uint32_t pos, uint32_t m, uint32_t end)
{
	return m != 0 ? pos + (uint32_t)__builtin_ctz(m) : end;
}

INLINE AVX2 uint32_t avx2_find(enum byte_class c, const uint8_t *tab,
			       const char *buf, uint32_t pos, uint32_t end)
{
	uint32_t m;

	for (; end - pos >= 32; pos += 32) {
		m = mask32(buf + pos, c);
		if (m != 0)
			return pos + (uint32_t)__builtin_ctz(m);
	}
	if (pos == end)
		return end;
	if (end >= 32)	/* the last 32 bytes, those before pos shifted out */
		return first_bit(pos, mask32(buf + end - 32, c) >>
				      (32 - (end - pos)), end);
	if (end - pos >= 16) {
		m = mask16(buf + pos, c);
		if (m != 0)
			return pos + (uint32_t)__builtin_ctz(m);
		pos += 16;
		if (pos == end)
			return end;
	}
	if (end >= 16)
		return first_bit(pos, mask16(buf + end - 16, c) >>
				      (16 - (end - pos)), end);
	return scalar_find(tab, buf, pos, end);
}

static AVX2 uint32_t avx2_value(const char *buf, uint32_t pos, uint32_t end)
{
	return avx2_find(CLS_VALUE, dpx_http_val_tab, buf, pos, end);
}

static AVX2 uint32_t avx2_token(const char *buf, uint32_t pos, uint32_t end)
{
	return avx2_find(CLS_TOKEN, dpx_http_tok_tab, buf, pos, end);
}

static AVX2 uint32_t avx2_target(const char *buf, uint32_t pos, uint32_t end)
{
	return avx2_find(CLS_TARGET, dpx_http_tgt_tab, buf, pos, end);
}

/* The masks of a block: bit k set when byte base + k is outside the value
 * class, or outside tchar. */
struct masks {
	uint64_t value, token;
};

/*
 * The masks of the 64 (or 32) bytes at p. Out of line: they run once per
 * block, and inlined their vector constants would be rebuilt per line.
 */
static AVX2 __attribute__((noinline)) struct masks block_masks64(const char *p)
{
	__m256i a = load32(p), b = load32(p + 32);
	struct masks m = {
		(uint32_t)_mm256_movemask_epi8(outside32(a, CLS_VALUE)) |
		(uint64_t)(uint32_t)_mm256_movemask_epi8(
			outside32(b, CLS_VALUE)) << 32,
		(uint32_t)_mm256_movemask_epi8(outside32(a, CLS_TOKEN)) |
		(uint64_t)(uint32_t)_mm256_movemask_epi8(
			outside32(b, CLS_TOKEN)) << 32,
	};

	return m;
}

static AVX2 __attribute__((noinline)) struct masks block_masks32(const char *p)
{
	__m256i a = load32(p);
	struct masks m = {
		(uint32_t)_mm256_movemask_epi8(outside32(a, CLS_VALUE)),
		(uint32_t)_mm256_movemask_epi8(outside32(a, CLS_TOKEN)),
	};

	return m;
}

/* The block of w (64 or 32) bytes holding byte from: from on, or the last
 * w of buf[0, end) when fewer are left (end >= w). */
INLINE void block_load(const char *buf, uint32_t end, struct cursor *c,
		       uint32_t from, uint32_t w)
{
	struct masks m;

	c->base = end - from >= w ? from : end - w;
	m = w == 64 ? block_masks64(buf + c->base) :
		      block_masks32(buf + c->base);
	c->value = m.value;
	c->token = m.token;
}

/* The first byte from from on outside the class, from the current block
 * while it holds from: most lines start and end in one. A block never
 * reaches past end, so from >= end is never inside it. */
INLINE uint32_t block_find(const char *buf, uint32_t end, struct cursor *c,
			   bool token, uint32_t from, uint32_t w)
{
	uint64_t m;

	while (from - c->base >= w) {
		if (from >= end)
			return end;
		block_load(buf, end, c, from, w);
	}
	for (;;) {
		m = (token ? c->token : c->value) >> (from - c->base);
		if (m != 0)
			return from + (uint32_t)__builtin_ctzll(m);
		from = c->base + w;
		if (from >= end)
			return end;
		block_load(buf, end, c, from, w);
	}
}

INLINE uint32_t avx2_token_at64(const char *buf, uint32_t end,
				struct cursor *c, uint32_t from)
{
	return block_find(buf, end, c, true, from, 64);
}

INLINE uint32_t avx2_value_at64(const char *buf, uint32_t end,
				struct cursor *c, uint32_t from)
{
	return block_find(buf, end, c, false, from, 64);
}

INLINE uint32_t avx2_token_at32(const char *buf, uint32_t end,
				struct cursor *c, uint32_t from)
{
	return block_find(buf, end, c, true, from, 32);
}

INLINE uint32_t avx2_value_at32(const char *buf, uint32_t end,
				struct cursor *c, uint32_t from)
{
	return block_find(buf, end, c, false, from, 32);
}

/* 64-byte blocks where the head has them, else 32; heads shorter than 32
 * bytes go the scalar way. */
static AVX2 int avx2_fields(struct dpx_http_parser *ps, const char *buf,
			    uint32_t end, const struct dpx_http_limits *lim,
			    const struct dpx_http_first *first,
			    struct dpx_http_header *hdr, uint32_t *n_hdr)
{
	if (end >= 64)
		return fields_loop(avx2_token_at64, avx2_value_at64, ps, buf,
				   end, lim, first, hdr, n_hdr);
	if (end >= 32)
		return fields_loop(avx2_token_at32, avx2_value_at32, ps, buf,
				   end, lim, first, hdr, n_hdr);
	return scalar_fields(ps, buf, end, lim, first, hdr, n_hdr);
}

#endif /* HAVE_X86_SIMD */

/* ---- the choice ---- */

#ifdef HAVE_X86_SIMD
static const struct dpx_http_scanners scanners[] = {
	[DPX_HTTP_ISA_SCALAR] = { scalar_fields, scalar_value, scalar_token,
				  scalar_target },
	[DPX_HTTP_ISA_SSE42] = { sse42_fields, sse42_value, sse42_token,
				 sse42_target },
	[DPX_HTTP_ISA_AVX2] = { avx2_fields, avx2_value, avx2_token,
				avx2_target },
};
#else
/* Other CPUs: the portable scanners under every name. */
static const struct dpx_http_scanners scanners[] = {
	[DPX_HTTP_ISA_SCALAR] = { scalar_fields, scalar_value, scalar_token,
				  scalar_target },
	[DPX_HTTP_ISA_SSE42] = { scalar_fields, scalar_value, scalar_token,
				 scalar_target },
	[DPX_HTTP_ISA_AVX2] = { scalar_fields, scalar_value, scalar_token,
				scalar_target },
};
#endif

static const char *const isa_names[] = {
	[DPX_HTTP_ISA_SCALAR] = "scalar",
	[DPX_HTTP_ISA_SSE42] = "sse4.2",
	[DPX_HTTP_ISA_AVX2] = "avx2",
};

/* The one mutable global on the data path: set before main, or by a
 * test between parses. */
const struct dpx_http_scanners *dpx_http_scan = &scanners[DPX_HTTP_ISA_SCALAR];

static bool cpu_has(enum dpx_http_isa isa)
{
	if (isa == DPX_HTTP_ISA_SCALAR)
		return true;
#ifdef HAVE_X86_SIMD
	__builtin_cpu_init();
	if (isa == DPX_HTTP_ISA_SSE42)
		return __builtin_cpu_supports("sse4.2");
	if (isa == DPX_HTTP_ISA_AVX2)
		return __builtin_cpu_supports("avx2");
#endif
	return false;
}

int dpx_http_set_isa(enum dpx_http_isa isa)
{
	if (!cpu_has(isa))
		return -1;
	dpx_http_scan = &scanners[isa];
	return 0;
}

enum dpx_http_isa dpx_http_get_isa(void)
{
	return (enum dpx_http_isa)(dpx_http_scan - scanners);
}

const char *dpx_http_isa_name(enum dpx_http_isa isa)
{
	return (unsigned int)isa <= DPX_HTTP_ISA_AVX2 ? isa_names[isa] : "?";
}

/* Before main: the widest the CPU has, unless DPX_HTTP_ISA names one. */
static __attribute__((constructor)) void http_scan_choose(void)
{
	const char *want = getenv("DPX_HTTP_ISA");

	for (int isa = DPX_HTTP_ISA_AVX2; isa >= DPX_HTTP_ISA_SCALAR; isa--) {
		if (want != NULL && strcmp(want, isa_names[isa]) != 0)
			continue;
		if (dpx_http_set_isa((enum dpx_http_isa)isa) == 0)
			return;
	}
}
