/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy-Authorization: Basic (RFC 7617) and the Proxy-Authenticate value.
 * Strict on purpose: whatever a client sends that could be read two ways
 * (whitespace in the token, missing padding, stray bits) is refused with
 * its own reason rather than guessed at.
 */
#include <string.h>

#include "dpx_auth.h"

static const char *const parse_names[DPX_AUTH_PARSE_COUNT] = {
	[DPX_AUTH_PARSE_OK] = "ok",
	[DPX_AUTH_PARSE_SCHEME] = "scheme",
	[DPX_AUTH_PARSE_SYNTAX] = "syntax",
	[DPX_AUTH_PARSE_TOO_LONG] = "too_long",
	[DPX_AUTH_PARSE_BASE64_CHAR] = "base64_char",
	[DPX_AUTH_PARSE_BASE64_PAD] = "base64_pad",
	[DPX_AUTH_PARSE_NO_COLON] = "no_colon",
	[DPX_AUTH_PARSE_EMPTY_USER] = "empty_user",
	[DPX_AUTH_PARSE_USER_TOO_LONG] = "user_too_long",
	[DPX_AUTH_PARSE_CONTROL] = "control_char",
	[DPX_AUTH_PARSE_DUPLICATE] = "duplicate",
};

const char *dpx_auth_parse_name(enum dpx_auth_parse r)
{
	if ((unsigned int)r >= DPX_AUTH_PARSE_COUNT)
		return "?";
	return parse_names[r];
}

/* 0..63, 64 for '=', -1 for anything else. */
static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	if (ch == '=')
		return 64;
	return -1;
}

/* One quantum of 4 characters; pads only in the last one, and the bits
 * that padding drops must be zero (RFC 4648 3.5: canonical encoding). */
static enum dpx_auth_parse b64_quantum(const unsigned char *s, bool last,
				       unsigned char *out, size_t *n)
{
	int v[4];
	unsigned int pads = 0, i;

	for (i = 0; i < 4; i++) {
		v[i] = b64_value(s[i]);
		if (v[i] < 0)
			return DPX_AUTH_PARSE_BASE64_CHAR;
		if (v[i] == 64)
			pads++;
		else if (pads > 0)
			return DPX_AUTH_PARSE_BASE64_PAD;
	}
	if (pads > 2 || (pads > 0 && !last))
		return DPX_AUTH_PARSE_BASE64_PAD;
	if ((pads == 1 && (v[2] & 3) != 0) || (pads == 2 && (v[1] & 15) != 0))
		return DPX_AUTH_PARSE_BASE64_PAD;
	out[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
	if (pads < 2)
		out[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
	if (pads < 1)
		out[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	*n = 3 - pads;
	return DPX_AUTH_PARSE_OK;
}

static enum dpx_auth_parse b64_decode(const char *s, size_t len,
				      unsigned char *out, size_t *out_len)
{
	size_t i, n, total = 0;
	enum dpx_auth_parse r;

	for (i = 0; i < len; i++)
		if (b64_value((unsigned char)s[i]) < 0)
			return DPX_AUTH_PARSE_BASE64_CHAR;
	if (len % 4 != 0)
		return DPX_AUTH_PARSE_BASE64_PAD;
	/* *out_len is what was written, also on failure (to wipe it). */
	for (i = 0; i < len; i += 4) {
		r = b64_quantum((const unsigned char *)s + i, i + 4 == len,
				out + total, &n);
		if (r != DPX_AUTH_PARSE_OK)
			return r;
		total += n;
		*out_len = total;
	}
	return DPX_AUTH_PARSE_OK;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool scheme_is_basic(const char *s, size_t n)
{
	static const char basic[] = "basic";

	if (n != sizeof(basic) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != basic[i])
			return false;
	return true;
}

/* "user:password" into out, checked. */
static enum dpx_auth_parse split_cred(const unsigned char *d, size_t n,
				      struct dpx_auth_cred *out)
{
	const unsigned char *colon = memchr(d, ':', n);
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] == 0x7F)
			return DPX_AUTH_PARSE_CONTROL;
	if (colon == NULL)
		return DPX_AUTH_PARSE_NO_COLON;
	if (colon == d)
		return DPX_AUTH_PARSE_EMPTY_USER;
	if ((size_t)(colon - d) > DPX_AUTH_USER_MAX)
		return DPX_AUTH_PARSE_USER_TOO_LONG;
	memcpy(out->text, d, n);
	out->user_len = (uint16_t)(colon - d);
	out->pass_len = (uint16_t)(n - out->user_len - 1);
	out->text[out->user_len] = '\0';
	out->text[n] = '\0';
	return DPX_AUTH_PARSE_OK;
}

enum dpx_auth_parse dpx_auth_parse_basic(const char *v, size_t len,
					 struct dpx_auth_cred *out)
{
	unsigned char decoded[DPX_AUTH_CRED_MAX];
	size_t start = 0, end = len, sp, tok, n;
	enum dpx_auth_parse r;

	while (start < end && is_ows(v[start]))
		start++;
	while (end > start && is_ows(v[end - 1]))
		end--;
	for (sp = start; sp < end && !is_ows(v[sp]); sp++)
		;
	if (!scheme_is_basic(v + start, sp - start))
		return DPX_AUTH_PARSE_SCHEME;
	/* RFC 9110 11.4: the scheme, then 1*SP (no tab), then the token. */
	if (sp == end || v[sp] != ' ')
		return DPX_AUTH_PARSE_SYNTAX;
	for (tok = sp; tok < end && v[tok] == ' '; tok++)
		;
	for (n = tok; n < end; n++)
		if (is_ows(v[n]))
			return DPX_AUTH_PARSE_SYNTAX;
	if (end - tok > DPX_AUTH_TOKEN_MAX)
		return DPX_AUTH_PARSE_TOO_LONG;
	n = 0;
	r = b64_decode(v + tok, end - tok, decoded, &n);
	if (r == DPX_AUTH_PARSE_OK)
		r = split_cred(decoded, n, out);
	/* A password must not linger on the worker's stack. */
	explicit_bzero(decoded, n);
	return r;
}

int dpx_auth_challenge(const char *realm, char *buf, size_t size)
{
	static const char head[] = "Basic realm=\"";
	static const char tail[] = "\", charset=\"UTF-8\"";
	size_t n = sizeof(head) - 1;

	if (size < n)
		return -1;
	memcpy(buf, head, n);
	for (const char *p = realm; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch < 0x20 || ch == 0x7F)
			return -1;
		if (n + 2 >= size)
			return -1;
		if (ch == '"' || ch == '\\')
			buf[n++] = '\\';
		buf[n++] = (char)ch;
	}
	if (n + sizeof(tail) > size)
		return -1;
	memcpy(buf + n, tail, sizeof(tail));
	return (int)(n + sizeof(tail) - 1);
}
