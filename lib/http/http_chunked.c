/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Chunked-body scanner (RFC 9112 7.1). dpx forwards chunked bodies as they
 * are, so it only needs to know where one ends and that both sides will
 * agree on it: a byte-driven state machine for the short framing lines and
 * a bulk skip over chunk data, resumable at any byte boundary. The cache
 * stores such a body de-chunked: the same scan then stops at each run of
 * chunk data (dpx_http_chunked_data), and the stored head trades
 * Transfer-Encoding for a Content-Length (dpx_http_dechunked_head).
 *
 * Strictness, where lenient parsers disagree with each other:
 *  - chunk-size is 1*HEXDIG and nothing else: no "0x", sign, whitespace or
 *    BWS before ';', and below 2^63 (larger sizes wrap in signed code);
 *  - every line ends in CRLF; a bare CR or LF is an error;
 *  - chunk data must be followed by CRLF right away (a chunk longer than
 *    its size is an error, not a new size line);
 *  - extensions after ';' and trailer field values may hold only field-value
 *    bytes; a trailer field line is token ":" value (no obs-fold).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dpx_http.h"
#include "http_internal.h"

enum chunked_state {
	CH_SIZE,	/* hex digits of chunk-size */
	CH_EXT,		/* chunk-ext, up to CR */
	CH_SIZE_LF,	/* CR of the size line seen */
	CH_DATA,	/* remaining bytes of chunk data */
	CH_DATA_CR,	/* CRLF after chunk data */
	CH_DATA_LF,
	CH_TRL_START,	/* start of a trailer line, or the final CRLF */
	CH_TRL_NAME,
	CH_TRL_VALUE,
	CH_TRL_LF,
	CH_END_LF,	/* CR of the final empty line seen */
	CH_DONE,
	CH_ERROR,
};

/* hex digit value + 1; 0: not a hex digit */
static const uint8_t hex_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

void dpx_http_chunked_init(struct dpx_http_chunked *st, uint32_t max_line,
			   uint32_t max_trailer_bytes)
{
	memset(st, 0, sizeof(*st));
	st->state = CH_SIZE;
	st->max_line = max_line;
	st->max_trailer_bytes = max_trailer_bytes;
}

uint64_t dpx_http_chunked_body_bytes(const struct dpx_http_chunked *st)
{
	return st->body_bytes;
}

/* One more byte of a size or trailer line (CRLF not counted). */
static bool line_byte(struct dpx_http_chunked *st)
{
	return ++st->line_len <= st->max_line;
}

/* One more byte of the trailer field lines, CRLFs included. */
static bool trailer_byte(struct dpx_http_chunked *st)
{
	return ++st->trailer_bytes <= st->max_trailer_bytes;
}

/* Consume one framing byte c; false if it is invalid here. */
static bool step(struct dpx_http_chunked *st, unsigned char c)
{
	unsigned d;

	switch (st->state) {
	case CH_SIZE:
		d = hex_tab[c];
		if (d != 0) {
			if (st->remaining >> 59)	/* *16 reaches 2^63 */
				return false;
			st->remaining = st->remaining << 4 | (d - 1);
			return line_byte(st);
		}
		if (st->line_len == 0)		/* no digit yet */
			return false;
		if (c == '\r') {
			st->state = CH_SIZE_LF;
			return true;
		}
		st->state = CH_EXT;
		return c == ';' && line_byte(st);
	case CH_EXT:
		if (c == '\r') {
			st->state = CH_SIZE_LF;
			return true;
		}
		return dpx_http_val_tab[c] && line_byte(st);
	case CH_SIZE_LF:
		if (c != '\n')
			return false;
		st->line_len = 0;
		st->state = st->remaining ? CH_DATA : CH_TRL_START;
		return true;
	case CH_DATA_CR:
		st->state = CH_DATA_LF;
		return c == '\r';
	case CH_DATA_LF:
		st->state = CH_SIZE;
		return c == '\n';
	case CH_TRL_START:
		if (c == '\r') {
			st->state = CH_END_LF;
			return true;
		}
		st->state = CH_TRL_NAME;
		return dpx_http_tok_tab[c] && line_byte(st) && trailer_byte(st);
	case CH_TRL_NAME:
		if (c == ':')
			st->state = CH_TRL_VALUE;
		else if (!dpx_http_tok_tab[c])
			return false;
		return line_byte(st) && trailer_byte(st);
	case CH_TRL_VALUE:
		if (c == '\r')
			st->state = CH_TRL_LF;
		else if (!dpx_http_val_tab[c] || !line_byte(st))
			return false;
		return trailer_byte(st);
	case CH_TRL_LF:
		st->line_len = 0;
		st->state = CH_TRL_START;
		return c == '\n' && trailer_byte(st);
	case CH_END_LF:
		st->state = CH_DONE;
		return c == '\n';
	default:
		return false;
	}
}

/* The scan; with data set, it stops after a run of chunk data, which
 * data[0] (offset) and data[1] (length) then locate. */
static int scan(struct dpx_http_chunked *st, const char *buf, uint32_t len,
		uint32_t *used, uint32_t *data)
{
	uint32_t i = 0;

	if (st->state == CH_DONE || st->state == CH_ERROR) {
		*used = 0;
		return st->state == CH_DONE ? 1 : -DPX_HTTP_E_BAD;
	}
	while (i < len) {
		if (st->state == CH_DATA) {
			uint32_t n = len - i;

			if (n > st->remaining)
				n = (uint32_t)st->remaining;
			i += n;
			st->remaining -= n;
			st->body_bytes += n;
			if (st->remaining == 0)
				st->state = CH_DATA_CR;
			if (data != NULL) {
				data[0] = i - n;
				data[1] = n;
				*used = i;
				return 0;
			}
			continue;
		}
		if (!step(st, (unsigned char)buf[i])) {
			st->state = CH_ERROR;
			*used = i;
			return -DPX_HTTP_E_BAD;
		}
		i++;
		if (st->state == CH_DONE) {
			*used = i;
			return 1;
		}
	}
	*used = len;
	return 0;
}

int dpx_http_chunked_scan(struct dpx_http_chunked *st, const char *buf,
			  uint32_t len, uint32_t *used)
{
	return scan(st, buf, len, used, NULL);
}

int dpx_http_chunked_data(struct dpx_http_chunked *st, const char *buf,
			  uint32_t len, uint32_t *used, uint32_t *data_off,
			  uint32_t *data_len)
{
	uint32_t data[2] = { 0, 0 };
	int rc = scan(st, buf, len, used, data);

	*data_off = data[0];
	*data_len = data[1];
	return rc;
}

static bool name_is(const struct dpx_http_str *n, const char *name)
{
	size_t len = strlen(name);

	return n->len == len && strncasecmp(n->p, name, len) == 0;
}

/* head[from, end): the length of the line at from with its CRLF (the
 * parser took only CRLF-ended lines). */
static uint32_t line_len(const char *head, uint32_t end, uint32_t from)
{
	const char *lf = memchr(head + from, '\n', end - from);

	return lf != NULL ? (uint32_t)(lf - head) + 1 - from : end - from;
}

bool dpx_http_chunked_only(const struct dpx_http_response *rsp)
{
	if (rsp->body != DPX_HTTP_BODY_CHUNKED)
		return false;
	for (uint32_t i = 0; i < rsp->n_headers; i++) {
		const struct dpx_http_header *h = &rsp->headers[i];
		struct dpx_http_str v = h->value;

		if (!name_is(&h->name, "transfer-encoding"))
			continue;
		while (v.len > 0 && (v.p[v.len - 1] == ' ' ||
				     v.p[v.len - 1] == '\t'))
			v.len--;
		if (!name_is(&v, "chunked"))
			return false;
	}
	return true;
}

int dpx_http_dechunked_head(const struct dpx_http_response *rsp,
			    const char *head, uint64_t len, char *out,
			    uint32_t cap)
{
	uint32_t end, at;
	int n;

	if (!dpx_http_chunked_only(rsp) || rsp->head_len < 2)
		return -1;
	end = rsp->head_len - 2;	/* the final CRLF */
	at = rsp->n_headers > 0 ? (uint32_t)(rsp->headers[0].name.p - head) :
				  end;
	if (at > cap)
		return -1;
	memcpy(out, head, at);		/* the status line */
	for (uint32_t i = 0; i < rsp->n_headers; i++) {
		const struct dpx_http_str *name = &rsp->headers[i].name;
		uint32_t from = (uint32_t)(name->p - head);
		uint32_t l = line_len(head, end, from);

		if (name_is(name, "transfer-encoding") ||
		    name_is(name, "trailer"))
			continue;
		if (l > cap - at)
			return -1;
		memcpy(out + at, head + from, l);
		at += l;
	}
	n = snprintf(out + at, cap - at, "Content-Length: %" PRIu64
		     "\r\n\r\n", len);
	if (n <= 0 || (uint32_t)n >= cap - at)
		return -1;
	return (int)(at + (uint32_t)n);
}
