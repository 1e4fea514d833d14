/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The users file: "user:hash" per line. Only salted, slow hashes are
 * accepted (SHA-512-crypt and bcrypt); anything weaker is refused when
 * the file is loaded, at its line, so that a forgotten MD5 or plain-text
 * entry cannot quietly become a password check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_priv.h"

#define USERS_FILE_MAX (16u << 20)
#define USERS_MAX (1u << 20)
#define LINE_MAX_BYTES 512

struct users_parse {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int users_fail(struct users_parse *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* crypt(3)'s alphabet: "./0-9A-Za-z". */
static bool crypt_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "abcdefghijklmnopqrstuvwxyz", s[i]) == NULL ||
		    s[i] == '\0')
			return false;
	return true;
}

/* "$6$[rounds=N$]salt$" and 86 characters of hash. */
static bool sha512_crypt_ok(const char *h)
{
	const char *s = h + 3, *dollar;
	char *end;
	unsigned long rounds;

	if (strncmp(s, "rounds=", 7) == 0) {
		errno = 0;
		rounds = strtoul(s + 7, &end, 10);
		if (end == s + 7 || *end != '$' || errno != 0 ||
		    rounds < 1000 || rounds > 999999999)
			return false;
		s = end + 1;
	}
	dollar = strchr(s, '$');
	if (dollar == NULL || dollar == s || dollar - s > 16 ||
	    !crypt_chars(s, (size_t)(dollar - s)))
		return false;
	return strlen(dollar + 1) == 86 && crypt_chars(dollar + 1, 86);
}

/* "$2b$NN$" and 53 characters (22 of salt, 31 of hash), cost 4..31. */
static bool bcrypt_ok(const char *h)
{
	const char *s = h + 4;

	if (strlen(h) != 60 || s[0] < '0' || s[0] > '3' || s[1] < '0' ||
	    s[1] > '9' || s[2] != '$')
		return false;
	if ((s[0] - '0') * 10 + (s[1] - '0') < 4 ||
	    (s[0] - '0') * 10 + (s[1] - '0') > 31)
		return false;
	return crypt_chars(s + 3, 53);
}

/* Why a hash is refused, or NULL when it is one dpx verifies. */
static const char *hash_refusal(const char *h)
{
	static const struct { const char *prefix, *what; } weak[] = {
		{ "$1$", "MD5-crypt" }, { "$apr1$", "Apache MD5" },
		{ "{SHA}", "unsalted SHA-1" }, { "$5$", "SHA-256-crypt" },
		{ "$2a$", "bcrypt $2a$ (ambiguous variant)" },
		{ "$y$", "yescrypt" }, { "$7$", "scrypt" },
		{ "$gy$", "gost-yescrypt" }, { "$sha1$", "SHA-1-crypt" },
		{ "$md5", "Sun MD5-crypt" }, { "_", "BSDI DES" },
	};

	if (strncmp(h, "$6$", 3) == 0)
		return sha512_crypt_ok(h) ? NULL :
			"malformed SHA-512-crypt hash";
	if (strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2y$", 4) == 0)
		return bcrypt_ok(h) ? NULL : "malformed bcrypt hash";
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		if (strncmp(h, weak[i].prefix, strlen(weak[i].prefix)) == 0)
			return weak[i].what;
	if (h[0] != '$')
		return "plain text or DES crypt";
	return "an unknown scheme";
}

static bool user_name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7F)
			return false;
	return n > 0;
}

static int add_user(struct users_parse *p, struct dpx_auth_users *u,
		    const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	struct auth_user *e = &u->users[u->n];
	size_t un, hn;
	const char *why;

	if (colon == NULL)
		return users_fail(p, "expected \"user:hash\"");
	un = (size_t)(colon - line);
	hn = n - un - 1;
	if (!user_name_ok(line, un))
		return users_fail(p, "empty user name, or a space or control "
				  "character in it");
	if (un > DPX_AUTH_USER_MAX)
		return users_fail(p, "user name longer than %d bytes",
				  DPX_AUTH_USER_MAX);
	if (hn == 0 || hn > AUTH_HASH_MAX || memchr(colon + 1, '\0', hn))
		return users_fail(p, "user \"%.*s\": missing or oversized "
				  "hash", (int)un, line);
	memcpy(e->name, line, un);
	e->name[un] = '\0';
	memcpy(e->hash, colon + 1, hn);
	e->hash[hn] = '\0';
	why = hash_refusal(e->hash);
	if (why != NULL)
		return users_fail(p, "user \"%s\": %s is refused; use "
				  "SHA-512-crypt ($6$) or bcrypt ($2b$, "
				  "$2y$)", e->name, why);
	e->rule = NULL;
	u->n++;
	return 0;
}

static struct dpx_auth_users *users_alloc(size_t lines)
{
	struct dpx_auth_users *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->users = calloc(lines ? lines : 1, sizeof(*u->users));
	u->by_name = calloc(lines ? lines : 1, sizeof(*u->by_name));
	if (u->users == NULL || u->by_name == NULL) {
		dpx_auth_users_free(u);
		return NULL;
	}
	return u;
}

static int by_name_cmp(const void *a, const void *b, void *table)
{
	const struct dpx_auth_users *u = table;

	return strcmp(u->users[*(const uint32_t *)a].name,
		      u->users[*(const uint32_t *)b].name);
}

/* Sorted index; a name given twice is an error at its second line. */
static int index_names(struct users_parse *p, struct dpx_auth_users *u,
		       const unsigned int *line_of)
{
	for (unsigned int i = 0; i < u->n; i++)
		u->by_name[i] = i;
	qsort_r(u->by_name, u->n, sizeof(*u->by_name), by_name_cmp, u);
	for (unsigned int i = 1; i < u->n; i++) {
		uint32_t a = u->by_name[i - 1], b = u->by_name[i];

		if (strcmp(u->users[a].name, u->users[b].name) != 0)
			continue;
		p->line = line_of[a > b ? a : b];
		return users_fail(p, "user \"%s\" again (first at line %u)",
				  u->users[a].name, line_of[a < b ? a : b]);
	}
	return 0;
}

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* Each line without its end of line; comments and blanks skipped. */
static int parse_lines(struct users_parse *p, struct dpx_auth_users *u,
		       const char *text, size_t len, unsigned int *line_of)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - text) - pos : len - pos;
		const char *line = text + pos;

		p->line++;
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > LINE_MAX_BYTES)
			return users_fail(p, "line longer than %d bytes",
					  LINE_MAX_BYTES);
		if (n == 0 || line[0] == '#')
			continue;
		if (u->n >= USERS_MAX)
			return users_fail(p, "more than %u users", USERS_MAX);
		line_of[u->n] = p->line;
		if (add_user(p, u, line, n) != 0)
			return -1;
	}
	return 0;
}

struct dpx_auth_users *dpx_auth_users_parse(const char *name,
					    const char *text, size_t len,
					    char *err, size_t errlen)
{
	struct users_parse p = { name, 0, err, errlen };
	size_t lines = count_lines(text, len);
	struct dpx_auth_users *u = users_alloc(lines);
	unsigned int *line_of = calloc(lines, sizeof(*line_of));

	if (u == NULL || line_of == NULL) {
		users_fail(&p, "out of memory");
		goto fail;
	}
	if (parse_lines(&p, u, text, len, line_of) != 0 ||
	    index_names(&p, u, line_of) != 0)
		goto fail;
	free(line_of);
	return u;
fail:
	free(line_of);
	dpx_auth_users_free(u);
	return NULL;
}

static char *read_all(const char *path, size_t *len, char *err,
		      size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
	else if ((unsigned long)size > USERS_FILE_MAX)
		snprintf(err, errlen, "%s: larger than %u bytes", path,
			 USERS_FILE_MAX);
	else if ((buf = malloc((size_t)size + 1)) == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)(size > 0 ? size : 0);
	return buf;
}

struct dpx_auth_users *dpx_auth_users_load(const char *path, char *err,
					   size_t errlen)
{
	struct dpx_auth_users *u;
	size_t len;
	char *text = read_all(path, &len, err, errlen);

	if (text == NULL)
		return NULL;
	u = dpx_auth_users_parse(path, text, len, err, errlen);
	free(text);
	return u;
}

void dpx_auth_users_free(struct dpx_auth_users *u)
{
	if (u == NULL)
		return;
	free(u->users);
	free(u->by_name);
	free(u);
}

unsigned int dpx_auth_users_count(const struct dpx_auth_users *u)
{
	return u->n;
}

int dpx_auth_users_find(const struct dpx_auth_users *u, const char *user,
			size_t len)
{
	unsigned int lo = 0, hi = u->n;

	if (len > DPX_AUTH_USER_MAX)
		return -1;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const char *name = u->users[u->by_name[mid]].name;
		int c = strncmp(name, user, len);

		if (c == 0 && name[len] != '\0')
			c = 1;
		if (c == 0)
			return (int)u->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void auth_users_bind(struct dpx_auth_users *u,
		     const struct dpx_auth_rule *rules, unsigned int n_rules)
{
	const struct dpx_auth_rule *fallback = NULL;
	unsigned int i;
	int k;

	for (i = 0; i < n_rules; i++)
		if (strcmp(rules[i].user, "*") == 0)
			fallback = &rules[i];
	for (i = 0; i < u->n; i++)
		u->users[i].rule = fallback;
	for (i = 0; i < n_rules; i++) {
		k = dpx_auth_users_find(u, rules[i].user,
					strlen(rules[i].user));
		if (k >= 0)
			u->users[k].rule = &rules[i];
	}
}
