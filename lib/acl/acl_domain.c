/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain sets: name normalisation, list files, and the open-addressing
 * table. A suffix lookup hashes the name once, right to left, and takes
 * the hash of every label suffix on the way, so a lookup costs one probe
 * per label whatever the size of the list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl_priv.h"

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline unsigned char lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
}

/* FNV-1a leaves the low bits (the table index) weak: mix them. */
static inline uint64_t finish(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t acl_domain_hash(const char *s, size_t n)
{
	uint64_t h = FNV_BASIS;

	while (n > 0)
		h = (h ^ lower((unsigned char)s[--n])) * FNV_PRIME;
	return finish(h);
}

static bool label_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

int acl_domain_normalise(const char *s, size_t n, char *out, uint8_t *flags,
			 const char **why)
{
	size_t i, label = 0, len = 0;

	*flags = ACL_DOMAIN_EXACT;
	if (n > 1 && s[0] == '*' && s[1] == '.') {
		*why = "no wildcards: \".name\" is the name and its "
		       "subdomains";
		return -1;
	}
	if (n > 0 && s[0] == '.') {
		*flags = ACL_DOMAIN_SUFFIX;
		s++;
		n--;
	}
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0) {
		*why = "empty name";
		return -1;
	}
	if (n > ACL_DOMAIN_MAX) {
		*why = "longer than 253 bytes";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = lower((unsigned char)s[i]);

		if (ch == '.') {
			if (label == 0) {
				*why = "empty label";
				return -1;
			}
			label = 0;
		} else if (!label_char(ch)) {
			*why = "only letters, digits, '-', '_' and dots";
			return -1;
		} else if (++label > ACL_LABEL_MAX) {
			*why = "a label longer than 63 bytes";
			return -1;
		}
		out[len++] = (char)ch;
	}
	if (label == 0) {	/* "a..": one trailing dot only */
		*why = "empty label";
		return -1;
	}
	return (int)len;
}

void acl_domain_builder_init(struct acl_domain_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void acl_domain_builder_release(struct acl_domain_builder *b)
{
	free(b->pool);
	free(b->items);
	acl_domain_builder_init(b);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 1024;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

int acl_domain_builder_add(struct acl_domain_builder *b, const char *name,
			   size_t len, uint8_t flags, const char **why)
{
	if (grow((void **)&b->pool, &b->pool_cap, b->pool_len + len, 1) != 0 ||
	    grow((void **)&b->items, &b->cap, b->n + 1,
		 sizeof(*b->items)) != 0 ||
	    b->pool_len + len > UINT32_MAX) {
		*why = "out of memory";
		return -1;
	}
	memcpy(b->pool + b->pool_len, name, len);
	b->items[b->n++] = (struct acl_domain_slot){
		.off = (uint32_t)b->pool_len, .len = (uint8_t)len,
		.flags = flags };
	b->pool_len += len;
	return 0;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/* One line without its newline: 0 (a name added or nothing there), or
 * -1 with the reason in *why. */
static int add_line(struct acl_domain_builder *b, const char *p, size_t n,
		    const char **why)
{
	const char *hash = memchr(p, '#', n);
	char name[ACL_DOMAIN_MAX];
	uint8_t flags;
	size_t i;
	int len;

	if (hash != NULL)
		n = (size_t)(hash - p);
	while (n > 0 && blank(p[n - 1]))
		n--;
	while (n > 0 && blank(*p)) {
		p++;
		n--;
	}
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (blank(p[i])) {
			*why = "one domain per line (hosts files are not "
			       "read)";
			return -1;
		}
	len = acl_domain_normalise(p, n, name, &flags, why);
	if (len < 0)
		return -1;
	return acl_domain_builder_add(b, name, (size_t)len, flags, why);
}

int acl_domain_builder_add_text(struct acl_domain_builder *b,
				const char *text, size_t len,
				const char *fname, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *why;
	unsigned long line = 1;

	for (; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (memchr(p, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%lu: a NUL byte", fname,
				 line);
			return -1;
		}
		if (add_line(b, p, n, &why) != 0) {
			snprintf(err, errlen, "%s:%lu: \"%.*s\" is not a "
				 "domain: %s", fname, line,
				 (int)(n < 80 ? n : 80), p, why);
			return -1;
		}
		p += n + 1;
	}
	return 0;
}

static char *read_whole(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap), *q;

	while (buf != NULL &&
	       (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		q = realloc(buf, cap * 2);
		if (q == NULL)
			free(buf);
		buf = q;
		cap *= 2;
	}
	if (buf != NULL && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	*len = n;
	return buf;
}

int acl_domain_builder_add_file(struct acl_domain_builder *b,
				const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t len;
	char *text;
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		return -1;
	}
	errno = 0;
	text = read_whole(f, &len);
	if (text == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 errno ? strerror(errno) : "out of memory");
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = acl_domain_builder_add_text(b, text, len, path, err, errlen);
	free(text);
	return rc;
}

static bool same_name(const char *stored, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (stored[i] != (char)lower((unsigned char)s[i]))
			return false;
	return true;
}

/* The slot holding name, or the empty slot where it would go. */
static struct acl_domain_slot *probe(const struct acl_domain_set *set,
				     uint64_t h, const char *s, size_t n)
{
	uint64_t i = h & set->mask;
	uint32_t tag = (uint32_t)(h >> 32);

	for (;; i = (i + 1) & set->mask) {
		struct acl_domain_slot *sl = &set->slots[i];

		if (sl->len == 0)
			return sl;
		if (sl->hash == tag && sl->len == n &&
		    same_name(set->pool + sl->off, s, n))
			return sl;
	}
}

int acl_domain_set_build(struct acl_domain_set *set,
			 const struct acl_domain_builder *b,
			 struct acl_arena *a)
{
	uint64_t cap = 16;
	char *pool;

	while (cap < 2 * (uint64_t)b->n)
		cap *= 2;
	set->slots = acl_arena_alloc(a, cap * sizeof(*set->slots));
	pool = acl_arena_alloc(a, b->pool_len + 1);
	if (set->slots == NULL || pool == NULL)
		return -1;
	if (b->pool_len > 0)
		memcpy(pool, b->pool, b->pool_len);
	set->pool = pool;
	set->mask = cap - 1;
	set->count = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct acl_domain_slot *it = &b->items[i];
		const char *s = pool + it->off;
		uint64_t h = acl_domain_hash(s, it->len);
		struct acl_domain_slot *sl = probe(set, h, s, it->len);

		if (sl->len == 0) {
			*sl = *it;
			sl->hash = (uint32_t)(h >> 32);
			set->count++;
		} else {
			sl->flags |= it->flags;
		}
	}
	return 0;
}

static bool has(const struct acl_domain_set *set, uint64_t h, const char *s,
		size_t n, uint8_t want)
{
	const struct acl_domain_slot *sl = probe(set, h, s, n);

	return sl->len != 0 && (sl->flags & want) != 0;
}

bool acl_domain_set_match(const struct acl_domain_set *set, const char *host,
			  size_t len)
{
	uint64_t h = FNV_BASIS;
	size_t i;

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > ACL_DOMAIN_MAX || set->count == 0)
		return false;
	for (i = len; i-- > 0;) {
		unsigned char ch = lower((unsigned char)host[i]);

		if (ch == '.' && i + 1 < len &&
		    has(set, finish(h), host + i + 1, len - i - 1,
			ACL_DOMAIN_SUFFIX))
			return true;
		h = (h ^ ch) * FNV_PRIME;
	}
	return has(set, finish(h), host, len,
		   ACL_DOMAIN_EXACT | ACL_DOMAIN_SUFFIX);
}
