/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/http: the character classes and the token-list iterator
 * shared by the head parser, the chunked-body scanner and the head writers,
 * so that every part of the module accepts exactly the same bytes.
 */
#ifndef DPX_HTTP_INTERNAL_H
#define DPX_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dpx_http.h"

/* tchar (RFC 9110 5.6.2): method and field names, list elements */
extern const uint8_t dpx_http_tok_tab[256];
/* field-value bytes: HTAB, SP, VCHAR, obs-text; no other CTL, no DEL */
extern const uint8_t dpx_http_val_tab[256];

static inline unsigned char dpx_http_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool dpx_http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive compare of two spans. */
static inline bool dpx_http_name_eq(const char *a, uint32_t alen,
				    const char *b, uint32_t blen)
{
	if (alen != blen)
		return false;
	for (uint32_t i = 0; i < alen; i++)
		if (dpx_http_lower((unsigned char)a[i]) !=
		    dpx_http_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Strict token list: token *( OWS "," OWS token ), no empty elements. */
struct dpx_http_list_it {
	const char *p, *end;
	bool first;
};

static inline void dpx_http_list_init(struct dpx_http_list_it *it,
				      struct dpx_http_str s)
{
	it->p = s.p;
	it->end = s.p + s.len;
	it->first = true;
}

/* 1: *tok set; 0: end of list; -1: malformed. */
int dpx_http_list_next(struct dpx_http_list_it *it, struct dpx_http_str *tok);

#endif /* DPX_HTTP_INTERNAL_H */
