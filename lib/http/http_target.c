/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request target of a forward proxy, split into where to go: the
 * absolute-form "http://host[:port][/path][?query]" of a request and the
 * authority-form "host:port" of CONNECT (RFC 9112 3.2.2 and 3.2.3). The
 * head parser has already checked the bytes of the target; this decides
 * what a forward proxy may act on, and says why it may not, so that the
 * refusals can be counted by reason.
 */
#include <string.h>

#include "dpx_http.h"

#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* A host name (letters, digits, '-' and '.', labels of 1..63 bytes not
 * starting or ending in '-', one trailing dot allowed) or a dotted quad.
 * Anything else, percent-encoding and IP literals in brackets included,
 * is not a name dpx can resolve. */
static int check_host(const char *p, uint32_t n)
{
	uint32_t label = 0;

	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0)
		return DPX_HTTP_T_HOST;
	if (n > DNS_NAME_MAX)
		return DPX_HTTP_T_HOST_LONG;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80)
			return DPX_HTTP_T_NON_ASCII;
		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return DPX_HTTP_T_HOST;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && !(c == '-' && label > 0))
			return DPX_HTTP_T_HOST;
		if (++label > DNS_LABEL_MAX)
			return DPX_HTTP_T_HOST;
	}
	return p[n - 1] == '-' ? DPX_HTTP_T_HOST : DPX_HTTP_T_OK;
}

/* p starts with the lower-case literal lit, ignoring case. */
static bool starts_with(const char *p, uint32_t n, const char *lit)
{
	uint32_t k = (uint32_t)strlen(lit);

	if (n < k)
		return false;
	for (uint32_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* 1..65535 in decimal, no sign, at most 5 digits. */
static int parse_port(const char *p, uint32_t n, uint16_t *port)
{
	uint32_t v = 0;

	if (n == 0 || n > 5)
		return DPX_HTTP_T_PORT;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return DPX_HTTP_T_PORT;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return DPX_HTTP_T_PORT;
	*port = (uint16_t)v;
	return DPX_HTTP_T_OK;
}

/* authority = [userinfo "@"] host [":" port], userinfo refused. */
static int split_authority(const char *p, uint32_t n, bool port_required,
			   struct dpx_http_target *t)
{
	uint32_t colon = n;
	int rc;

	if (memchr(p, '@', n) != NULL)
		return DPX_HTTP_T_USERINFO;
	for (uint32_t i = 0; i < n; i++)
		if (p[i] == ':') {
			colon = i;
			break;
		}
	rc = check_host(p, colon);
	if (rc != DPX_HTTP_T_OK)
		return rc;
	t->host.p = p;
	t->host.len = colon;
	if (t->host.len > 0 && p[t->host.len - 1] == '.')
		t->host.len--;
	if (colon == n)
		return port_required ? DPX_HTTP_T_PORT : DPX_HTTP_T_OK;
	return parse_port(p + colon + 1, n - colon - 1, &t->port);
}

int dpx_http_target_split(const char *p, uint32_t n, bool connect,
			  struct dpx_http_target *t)
{
	uint32_t a, e;

	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return DPX_HTTP_T_NON_ASCII;
	if (connect)
		return split_authority(p, n, true, t);
	if (starts_with(p, n, "https://"))
		return DPX_HTTP_T_SCHEME;
	if (!starts_with(p, n, "http://"))
		return DPX_HTTP_T_FORM;
	a = 7;
	e = a;
	while (e < n && p[e] != '/' && p[e] != '?' && p[e] != '#')
		e++;
	t->port = 80;
	t->path.p = p + e;
	t->path.len = n - e;
	return split_authority(p + a, e - a, false, t);
}
