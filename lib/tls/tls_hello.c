/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ClientHello reader for routing without termination: the SNI and
 * ALPN of the first handshake message, read from the bytes a client sent
 * (TLS records, possibly several, possibly split anywhere), nothing
 * decrypted. Plain C: no OpenSSL, no DPDK, so that the fuzzer sees only
 * this file.
 *
 * RFC 8446 4.1.2 (and 5246 7.4.1.2): record type 22, legacy version 3.x;
 * handshake type 1 with a 24-bit length; legacy_version, random,
 * session_id <0..32>, cipher_suites <2..2^16-2> (even), compression
 * methods <1..255>, extensions <0..2^16-1>. server_name (RFC 6066 3):
 * a list of (type, name), host_name = 0, at most one host name; ALPN
 * (RFC 7301): a list of 8-bit-length names.
 */
#include <errno.h>
#include <string.h>

#include "dpx_tls.h"

#define REC_HDR 5
#define HS_HDR 4
#define REC_MAX 16384          /* TLSPlaintext.length limit */

struct rd {
	const uint8_t *p;
	size_t n;
};

static bool take(struct rd *r, size_t k, const uint8_t **out)
{
	if (r->n < k)
		return false;
	*out = r->p;
	r->p += k;
	r->n -= k;
	return true;
}

static bool u8(struct rd *r, unsigned int *v)
{
	const uint8_t *b;

	if (!take(r, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool u16(struct rd *r, unsigned int *v)
{
	const uint8_t *b;

	if (!take(r, 2, &b))
		return false;
	*v = (unsigned int)b[0] << 8 | b[1];
	return true;
}

/* A vector with a 1- or 2-byte length prefix, as a sub-reader. */
static bool vec(struct rd *r, int lenbytes, struct rd *sub)
{
	unsigned int n;
	const uint8_t *b;

	if (!(lenbytes == 1 ? u8(r, &n) : u16(r, &n)) || !take(r, n, &b))
		return false;
	sub->p = b;
	sub->n = n;
	return true;
}

/* Letters, digits, '-', '_' and '.', not starting or ending with '.',
 * no empty label. Stored lower case. */
static int host_name(struct dpx_tls_hello *h, const uint8_t *s, size_t n)
{
	if (n == 0 || n >= sizeof(h->sni) || s[0] == '.' || s[n - 1] == '.')
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_' || c == '.'))
			return -EBADMSG;
		if (c == '.' && s[i - 1] == '.')
			return -EBADMSG;
		h->sni[i] = (char)c;
	}
	h->sni[n] = '\0';
	h->has_sni = true;
	return 0;
}

static int ext_server_name(struct dpx_tls_hello *h, struct rd *e)
{
	struct rd list, name;
	unsigned int type;

	if (h->has_sni || !vec(e, 2, &list) || e->n != 0 || list.n == 0)
		return -EBADMSG;
	while (list.n > 0) {
		if (!u8(&list, &type) || !vec(&list, 2, &name))
			return -EBADMSG;
		if (type != 0)
			continue;       /* unknown name types are skipped */
		if (h->has_sni)
			return -EBADMSG; /* one host_name only */
		if (host_name(h, name.p, name.n) != 0)
			return -EBADMSG;
	}
	return 0;
}

static int ext_alpn(struct dpx_tls_hello *h, struct rd *e)
{
	struct rd list, proto;

	if (h->n_alpn > 0 || !vec(e, 2, &list) || e->n != 0 || list.n < 2)
		return -EBADMSG;
	while (list.n > 0) {
		if (!vec(&list, 1, &proto) || proto.n == 0)
			return -EBADMSG;
		if (h->n_alpn < DPX_TLS_HELLO_ALPN &&
		    proto.n < sizeof(h->alpn[0])) {
			memcpy(h->alpn[h->n_alpn], proto.p, proto.n);
			h->alpn[h->n_alpn][proto.n] = '\0';
			h->n_alpn++;
		}
	}
	return 0;
}

/* The ClientHello body (after the handshake header). */
static int client_hello(struct dpx_tls_hello *h, struct rd *r)
{
	struct rd sid, suites, comp, exts, e;
	unsigned int ver, type, seen_sni = 0, seen_alpn = 0;
	const uint8_t *random;

	if (!u16(r, &ver) || !take(r, 32, &random) || !vec(r, 1, &sid) ||
	    sid.n > 32 || !vec(r, 2, &suites) || suites.n < 2 ||
	    suites.n % 2 != 0 || !vec(r, 1, &comp) || comp.n < 1)
		return -EBADMSG;
	h->legacy_version = (uint16_t)ver;
	if (ver >> 8 != 3)
		return -EBADMSG;
	if (r->n == 0)
		return 1;               /* no extensions (old clients) */
	if (!vec(r, 2, &exts) || r->n != 0)
		return -EBADMSG;
	while (exts.n > 0) {
		int rc = 0;

		if (!u16(&exts, &type) || !vec(&exts, 2, &e))
			return -EBADMSG;
		if (type == 0) {
			rc = seen_sni++ ? -EBADMSG : ext_server_name(h, &e);
		} else if (type == 16) {
			rc = seen_alpn++ ? -EBADMSG : ext_alpn(h, &e);
		}
		if (rc != 0)
			return rc;
	}
	return 1;
}

int dpx_tls_hello_parse(const uint8_t *p, size_t len, size_t max,
			struct dpx_tls_hello *h, size_t *need)
{
	/* The handshake message, gathered from its records. */
	uint8_t msg[DPX_TLS_HELLO_MAX];
	size_t got = 0, want = 0, off = 0;

	memset(h, 0, sizeof(*h));
	*need = REC_HDR;
	if (max > DPX_TLS_HELLO_MAX)
		max = DPX_TLS_HELLO_MAX;
	for (;;) {
		size_t rl, k;

		if (len - off < REC_HDR) {
			*need = off + REC_HDR;
			return 0;
		}
		if (p[off] != 22 || p[off + 1] != 3)
			return -EBADMSG;   /* not a TLS handshake record */
		rl = (size_t)p[off + 3] << 8 | p[off + 4];
		if (rl == 0 || rl > REC_MAX)
			return -EBADMSG;
		if (len - off - REC_HDR < rl) {
			*need = off + REC_HDR + rl;
			return 0;
		}
		k = rl;
		if (got + k > max)
			k = max - got;
		memcpy(msg + got, p + off + REC_HDR, k);
		got += k;
		off += REC_HDR + rl;
		if (want == 0 && got >= HS_HDR) {
			if (msg[0] != 1)
				return -EBADMSG;   /* not a ClientHello */
			want = HS_HDR + ((size_t)msg[1] << 16 |
					 (size_t)msg[2] << 8 | msg[3]);
			if (want > max)
				return -EMSGSIZE;
		}
		if (want != 0 && got >= want) {
			struct rd r = { msg + HS_HDR, want - HS_HDR };

			h->hello_len = off;
			return client_hello(h, &r);
		}
		if (got >= max)
			return -EMSGSIZE;
	}
}

bool dpx_tls_name_matches(const char *pattern, const char *host)
{
	const char *dot;

	if (strcmp(pattern, host) == 0)
		return true;
	if (pattern[0] != '*' || pattern[1] != '.')
		return false;
	dot = strchr(host, '.');
	return dot != NULL && dot != host && strcmp(dot, pattern + 1) == 0;
}
