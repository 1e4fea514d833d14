/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/auth's parsers. The first byte picks one:
 * even, the Proxy-Authorization value; odd, the users file. The rest,
 * copied to an exact-size heap buffer so that ASan sees any overread, is
 * the input. Checks on an accepted field: the user is 1..64 bytes, no
 * byte of user or password is a control character, the lengths agree
 * with the NULs, and encoding "user:password" again gives back exactly
 * the token (strict base64 has one spelling per value). On the users
 * file: every name it holds is found again by dpx_auth_users_find().
 */
#include <stdlib.h>
#include <string.h>

#include "auth_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned int v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		out[o++] = b64_alphabet[in[i] >> 2];
		out[o++] = b64_alphabet[(in[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned int v = in[i] << 8 | in[i + 1];

		out[o++] = b64_alphabet[v >> 10];
		out[o++] = b64_alphabet[v >> 4 & 63];
		out[o++] = b64_alphabet[(v & 15) << 2];
		out[o++] = '=';
	}
	return o;
}

/* The token as the parser saw it: the last run of non-blanks. */
static void token_of(const char *v, size_t len, const char **tok,
		     size_t *n)
{
	size_t end = len, start;

	while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	start = end;
	while (start > 0 && v[start - 1] != ' ')
		start--;
	*tok = v + start;
	*n = end - start;
}

static void check_field(const char *v, size_t len)
{
	static char again[DPX_AUTH_TOKEN_MAX + 4];
	unsigned char plain[DPX_AUTH_CRED_MAX + 1];
	struct dpx_auth_cred cred;
	const char *tok;
	size_t n, i, total;

	if (dpx_auth_parse_basic(v, len, &cred) != DPX_AUTH_PARSE_OK)
		return;
	total = (size_t)cred.user_len + 1 + cred.pass_len;
	if (cred.user_len == 0 || cred.user_len > DPX_AUTH_USER_MAX ||
	    total > DPX_AUTH_CRED_MAX || cred.text[cred.user_len] != '\0' ||
	    cred.text[total] != '\0')
		abort();
	for (i = 0; i < total; i++)
		if (i != cred.user_len &&
		    ((unsigned char)cred.text[i] < 0x20 ||
		     cred.text[i] == 0x7F))
			abort();
	memcpy(plain, cred.text, total);
	plain[cred.user_len] = ':';
	token_of(v, len, &tok, &n);
	if (b64_encode(plain, total, again) != n || memcmp(again, tok, n) != 0)
		abort();
}

static void check_users(const char *text, size_t len)
{
	struct dpx_auth_users *u;
	char err[256];

	u = dpx_auth_users_parse("f", text, len, err, sizeof(err));
	if (u == NULL)
		return;
	for (unsigned int i = 0; i < u->n; i++)
		if (dpx_auth_users_find(u, u->users[i].name,
					strlen(u->users[i].name)) != (int)i)
			abort();
	dpx_auth_users_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v;

	if (size < 1 || size > 8192)
		return 0;
	v = malloc(size - 1 ? size - 1 : 1);
	if (v == NULL)
		return 0;
	memcpy(v, data + 1, size - 1);
	if (data[0] & 1)
		check_users(v, size - 1);
	else
		check_field(v, size - 1);
	free(v);
	return 0;
}
