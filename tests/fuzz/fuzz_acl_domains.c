/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/acl's domain lists: the input, copied to an
 * exact-size heap buffer so that ASan sees any overread, is a list
 * file's text. When the list is accepted, the set built from it must
 * find every listed name (in upper case and with a trailing dot too),
 * every subdomain of a ".suffix" entry, and no subdomain of a name
 * listed exact only. Whatever the list, every line is also looked up
 * as a host name, which must not read outside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void upper(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 32);
}

/* A name's flags in the merged set: ORed over its items. */
static uint8_t flags_of(const struct acl_domain_builder *b, size_t k)
{
	const struct acl_domain_slot *it = &b->items[k];
	uint8_t f = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].len == it->len &&
		    !memcmp(b->pool + b->items[i].off, b->pool + it->off,
			    it->len))
			f |= b->items[i].flags;
	return f;
}

static void check_item(const struct acl_domain_set *set,
		       const struct acl_domain_builder *b, size_t k)
{
	const struct acl_domain_slot *it = &b->items[k];
	char name[ACL_DOMAIN_MAX + 8];
	size_t n = it->len;

	memcpy(name, b->pool + it->off, n);
	if (!acl_domain_set_match(set, name, n))
		abort();
	upper(name, n);
	name[n] = '.';
	if (!acl_domain_set_match(set, name, n + 1))
		abort();
	if (n + 2 > ACL_DOMAIN_MAX)
		return;
	memmove(name + 2, b->pool + it->off, n);
	memcpy(name, "q.", 2);
	/* "q.NAME" matches through NAME only when NAME is a suffix entry,
	 * unless the list names q.NAME or one of its suffixes itself:
	 * check only the positive direction then. */
	if ((flags_of(b, k) & ACL_DOMAIN_SUFFIX) &&
	    !acl_domain_set_match(set, name, n + 2))
		abort();
}

static void lookup_lines(const struct acl_domain_set *set, const char *text,
			 size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		char *copy = malloc(n ? n : 1);

		if (copy == NULL)
			return;
		memcpy(copy, p, n);
		(void)acl_domain_set_match(set, copy, n);
		free(copy);
		p += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1), err[512];
	struct acl_domain_builder b;
	struct acl_arena arena = { 0 };
	struct acl_domain_set set = { 0 };
	const struct acl_domain_set none = { 0 };

	if (text == NULL || size > 4096) {
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	acl_domain_builder_init(&b);
	if (acl_domain_builder_add_text(&b, text, size, "fuzz", err,
					sizeof(err)) == 0) {
		if (acl_domain_set_build(&set, &b, &arena) != 0)
			abort();
		if (set.count > b.n)
			abort();
		for (size_t k = 0; k < b.n; k++)
			check_item(&set, &b, k);
		lookup_lines(&set, text, size);
	} else if (strncmp(err, "fuzz:", 5) != 0) {
		abort();
	}
	lookup_lines(&none, text, size);
	acl_domain_builder_release(&b);
	acl_arena_release(&arena);
	free(text);
	return 0;
}
