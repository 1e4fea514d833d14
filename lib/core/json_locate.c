/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Locate a value in JSON text by key path. Only the values along the path
 * are entered; siblings are skipped by counting brackets, so there is no
 * recursion and the work is linear in the input. Every read is checked
 * against the length; malformed input ends the walk early.
 */
#include <limits.h>
#include <stdint.h>

#include "json_locate.h"

struct scan {
	const char *t;
	size_t len;
	size_t pos;
};

static int peek(const struct scan *s)
{
	return s->pos < s->len ? (unsigned char)s->t[s->pos] : -1;
}

static void skip_ws(struct scan *s)
{
	while (s->pos < s->len) {
		char c = s->t[s->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		s->pos++;
	}
}

/* At an opening quote: move past the closing one. 0, or -1 if unended. */
static int skip_string(struct scan *s)
{
	s->pos++;
	while (s->pos < s->len) {
		char c = s->t[s->pos++];

		if (c == '"')
			return 0;
		if (c == '\\') {
			if (s->pos >= s->len)
				return -1;
			s->pos++;
		}
	}
	return -1;
}

static int is_delim(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ':' ||
	       c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip one value (no leading whitespace). 0, or -1 on malformed input. */
static int skip_value(struct scan *s)
{
	int c = peek(s);
	size_t depth = 0, start = s->pos;

	if (c < 0)
		return -1;
	if (c == '"')
		return skip_string(s);
	if (c != '{' && c != '[') {
		while (s->pos < s->len && !is_delim(s->t[s->pos]))
			s->pos++;
		return s->pos > start ? 0 : -1;
	}
	while (s->pos < s->len) {
		c = (unsigned char)s->t[s->pos];
		if (c == '"') {
			if (skip_string(s) != 0)
				return -1;
			continue;
		}
		s->pos++;
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return 0;
	}
	return -1;
}

static int hex4(struct scan *s, unsigned int *out)
{
	unsigned int v = 0;

	if (s->len - s->pos < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s->t[s->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int utf8_encode(unsigned int cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* \uXXXX, possibly a surrogate pair; s->pos is just after the 'u'. */
static int decode_u(struct scan *s, unsigned char out[4])
{
	unsigned int cp, lo;
	size_t save;

	if (hex4(s, &cp) != 0)
		return -1;
	if (cp >= 0xD800 && cp <= 0xDBFF && s->len - s->pos >= 6 &&
	    s->t[s->pos] == '\\' && s->t[s->pos + 1] == 'u') {
		save = s->pos;
		s->pos += 2;
		if (hex4(s, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		else
			s->pos = save;
	}
	return utf8_encode(cp, out);
}

/* Decode the escape after a backslash into UTF-8 bytes; count or -1. */
static int decode_escape(struct scan *s, unsigned char out[4])
{
	char e;

	if (s->pos >= s->len)
		return -1;
	e = s->t[s->pos++];
	switch (e) {
	case '"': case '\\': case '/':
		out[0] = (unsigned char)e;
		return 1;
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u': return decode_u(s, out);
	default: return -1;
	}
}

/*
 * At an opening quote: read the string, comparing its decoded value with
 * key. Returns 1 if equal, 0 if not, -1 if malformed; s->pos ends past the
 * closing quote.
 */
static int scan_key(struct scan *s, const char *key)
{
	size_t k = 0;
	int same = 1;

	s->pos++;
	while (s->pos < s->len) {
		unsigned char buf[4];
		unsigned char c = (unsigned char)s->t[s->pos++];
		int n = 1;

		if (c == '"')
			return same && key[k] == '\0';
		if (c == '\\')
			n = decode_escape(s, buf);
		else
			buf[0] = c;
		if (n < 0)
			return -1;
		for (int i = 0; i < n && same; i++) {
			if (key[k] == '\0' || (unsigned char)key[k] != buf[i])
				same = 0;
			else
				k++;
		}
	}
	return -1;
}

/* At '{': find member key. On success s->pos is at its value. */
static int find_member(struct scan *s, const char *key, size_t *key_pos)
{
	s->pos++;
	for (;;) {
		int eq;

		skip_ws(s);
		if (peek(s) != '"')
			return 0;
		*key_pos = s->pos;
		eq = scan_key(s, key);
		if (eq < 0)
			return 0;
		skip_ws(s);
		if (peek(s) != ':')
			return 0;
		s->pos++;
		skip_ws(s);
		if (eq)
			return 1;
		if (skip_value(s) != 0)
			return 0;
		skip_ws(s);
		if (peek(s) != ',')
			return 0;
		s->pos++;
	}
}

/* At '[': find element index. On success s->pos is at it. */
static int find_element(struct scan *s, size_t index)
{
	s->pos++;
	skip_ws(s);
	if (peek(s) == ']')
		return 0;
	for (size_t i = 0;; i++) {
		skip_ws(s);
		if (s->pos >= s->len)
			return 0;
		if (i == index)
			return 1;
		if (skip_value(s) != 0)
			return 0;
		skip_ws(s);
		if (peek(s) != ',')
			return 0;
		s->pos++;
	}
}

void dpx_json_offset_pos(const char *text, size_t len, size_t off,
			 unsigned int *line, unsigned int *col)
{
	size_t l = 1, c = 1;

	if (text == NULL)
		len = 0;
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l > UINT_MAX ? UINT_MAX : (unsigned int)l;
	*col = c > UINT_MAX ? UINT_MAX : (unsigned int)c;
}

size_t dpx_json_locate(const char *text, size_t len,
		       const struct dpx_json_step *path, size_t n,
		       bool at_key, unsigned int *line, unsigned int *col)
{
	struct scan s = { .t = text, .len = text != NULL ? len : 0, .pos = 0 };
	size_t done, found, key_pos = 0;

	if (path == NULL || n > DPX_JSON_MAX_PATH)
		n = path == NULL ? 0 : DPX_JSON_MAX_PATH;
	skip_ws(&s);
	found = s.pos;
	for (done = 0; done < n; done++) {
		const struct dpx_json_step *st = &path[done];
		int c = peek(&s);
		int ok;

		if (st->key != NULL)
			ok = c == '{' && find_member(&s, st->key, &key_pos);
		else
			ok = c == '[' && find_element(&s, st->index);
		if (!ok)
			break;
		found = s.pos;
	}
	if (at_key && done == n && n > 0 && path[n - 1].key != NULL)
		found = key_pos;
	dpx_json_offset_pos(text, s.len, found, line, col);
	return done;
}
