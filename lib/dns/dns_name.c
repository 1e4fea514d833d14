/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host name validation: what the forward proxy may look up. Strict on
 * purpose: a name that is not LDH never reaches a DNS server, so a client
 * cannot smuggle dots, NULs or Unicode look-alikes into a query.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dpx_dns.h"

static bool is_ldh(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-';
}

/* A dotted quad exactly as inet_pton() takes it (no octal, no shorthand). */
static bool ipv4_literal(const char *s, size_t len, uint32_t *addr)
{
	char buf[16];
	struct in_addr a;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	if (addr != NULL)
		*addr = ntohl(a.s_addr);
	return true;
}

static bool looks_ipv6(const char *s, size_t len)
{
	return len > 0 && (s[0] == '[' || memchr(s, ':', len) != NULL);
}

static enum dpx_dns_name_check check_label(const char *s, size_t len,
					   bool *all_digits)
{
	if (len == 0)
		return DPX_DNS_NAME_EMPTY_LABEL;
	if (len > 63)
		return DPX_DNS_NAME_LABEL_TOO_LONG;
	*all_digits = true;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x80)
			return DPX_DNS_NAME_NON_ASCII;
		if (!is_ldh(ch))
			return DPX_DNS_NAME_BAD_CHAR;
		if (ch < '0' || ch > '9')
			*all_digits = false;
	}
	if (s[0] == '-' || s[len - 1] == '-')
		return DPX_DNS_NAME_HYPHEN_EDGE;
	return DPX_DNS_NAME_OK;
}

static void copy_lower(char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	out[len] = '\0';
}

enum dpx_dns_name_check dpx_dns_name_check(const char *name, size_t len,
					   char *out, uint32_t *ipv4)
{
	enum dpx_dns_name_check c = DPX_DNS_NAME_OK;
	bool all_digits = false;
	size_t start = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return DPX_DNS_NAME_EMPTY;
	if (ipv4_literal(name, len, ipv4))
		return DPX_DNS_NAME_IPV4;
	if (looks_ipv6(name, len))
		return DPX_DNS_NAME_IPV6;
	if (len > DPX_DNS_NAME_MAX)
		return DPX_DNS_NAME_TOO_LONG;
	for (size_t i = 0; i <= len && c == DPX_DNS_NAME_OK; i++) {
		if (i < len && name[i] != '.')
			continue;
		c = check_label(name + start, i - start, &all_digits);
		start = i + 1;
	}
	if (c != DPX_DNS_NAME_OK)
		return c;
	if (all_digits)
		return DPX_DNS_NAME_NUMERIC_TLD;
	if (out != NULL)
		copy_lower(out, name, len);
	return DPX_DNS_NAME_OK;
}

const char *dpx_dns_name_reason(enum dpx_dns_name_check c)
{
	static const char *const reasons[DPX_DNS_NAME_CHECK_COUNT] = {
		[DPX_DNS_NAME_OK] = "a host name",
		[DPX_DNS_NAME_IPV4] = "an IPv4 address, not a name",
		[DPX_DNS_NAME_IPV6] = "an IPv6 address, not a name",
		[DPX_DNS_NAME_EMPTY] = "empty",
		[DPX_DNS_NAME_TOO_LONG] = "longer than 253 bytes",
		[DPX_DNS_NAME_EMPTY_LABEL] = "an empty label",
		[DPX_DNS_NAME_LABEL_TOO_LONG] = "a label longer than 63 bytes",
		[DPX_DNS_NAME_NON_ASCII] = "not ASCII (send IDNs as xn--)",
		[DPX_DNS_NAME_BAD_CHAR] =
			"a character other than a letter, digit, '-' or '.'",
		[DPX_DNS_NAME_HYPHEN_EDGE] =
			"a label that starts or ends with '-'",
		[DPX_DNS_NAME_NUMERIC_TLD] = "an all-numeric last label",
	};

	return (unsigned int)c < DPX_DNS_NAME_CHECK_COUNT ? reasons[c] : "?";
}
