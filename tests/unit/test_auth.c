/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/auth: the Proxy-Authorization parser (a table of good and bad
 * fields), the challenge, the users file and its errors by line, the
 * "auth" config section, and an authenticator end to end: SHA-512-crypt
 * and bcrypt through the verifier thread, cache hits that do not hash,
 * TTL expiry on a fake clock, the failure limit, the full queue, reload
 * and per-user rules. Hashes are made here with crypt_gensalt_rn().
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auth_priv.h"	/* auth_users_bind */
#include "dpx_acl.h"
#include "dpx_auth.h"
#include "dpx_config_kit.h"
#include "dpx_test.h"

/* ---- Proxy-Authorization ---- */

struct parse_row {
	const char *field;
	enum dpx_auth_parse want;
	const char *user, *pass;	/* when OK */
};

static const struct parse_row parse_rows[] = {
	/* "alice:secret" */
	{ "Basic YWxpY2U6c2VjcmV0", DPX_AUTH_PARSE_OK, "alice", "secret" },
	{ "basic YWxpY2U6c2VjcmV0", DPX_AUTH_PARSE_OK, "alice", "secret" },
	{ "BASIC YWxpY2U6c2VjcmV0", DPX_AUTH_PARSE_OK, "alice", "secret" },
	{ "  Basic   YWxpY2U6c2VjcmV0 \t", DPX_AUTH_PARSE_OK, "alice",
	  "secret" },
	/* "a:" (empty password), "ab:c", "u:p:q" (colon in password) */
	{ "Basic YTo=", DPX_AUTH_PARSE_OK, "a", "" },
	{ "Basic YWI6Yw==", DPX_AUTH_PARSE_OK, "ab", "c" },
	{ "Basic dTpwOnE=", DPX_AUTH_PARSE_OK, "u", "p:q" },
	/* "j\xc3\xb6rg:pw" (UTF-8 is fine) */
	{ "Basic asO2cmc6cHc=", DPX_AUTH_PARSE_OK, "j\xc3\xb6rg", "pw" },
	{ "Bearer YWxpY2U6c2VjcmV0", DPX_AUTH_PARSE_SCHEME, NULL, NULL },
	{ "Digest username=\"a\"", DPX_AUTH_PARSE_SCHEME, NULL, NULL },
	{ "Basicx YWxpY2U6c2VjcmV0", DPX_AUTH_PARSE_SCHEME, NULL, NULL },
	{ "", DPX_AUTH_PARSE_SCHEME, NULL, NULL },
	{ "Basic", DPX_AUTH_PARSE_SYNTAX, NULL, NULL },
	{ "Basic ", DPX_AUTH_PARSE_SYNTAX, NULL, NULL },
	{ "Basic\tYWxpY2U6c2VjcmV0", DPX_AUTH_PARSE_SYNTAX, NULL, NULL },
	{ "Basic YWxp Y2U6c2VjcmV0", DPX_AUTH_PARSE_SYNTAX, NULL, NULL },
	{ "Basic YWxpY2U6c2VjcmV0 extra", DPX_AUTH_PARSE_SYNTAX, NULL, NULL },
	{ "Basic YWxpY2U6c2VjcmV0*", DPX_AUTH_PARSE_BASE64_CHAR, NULL, NULL },
	{ "Basic YWxpY2U-c2VjcmV0", DPX_AUTH_PARSE_BASE64_CHAR, NULL, NULL },
	{ "Basic YWxpY2U6c2VjcmV0\r", DPX_AUTH_PARSE_BASE64_CHAR, NULL, NULL },
	/* unpadded, padding inside, three '=', stray bits */
	{ "Basic YTo", DPX_AUTH_PARSE_BASE64_PAD, NULL, NULL },
	{ "Basic YT=6YTo=", DPX_AUTH_PARSE_BASE64_PAD, NULL, NULL },
	{ "Basic YTo=YTo=", DPX_AUTH_PARSE_BASE64_PAD, NULL, NULL },
	{ "Basic Y===", DPX_AUTH_PARSE_BASE64_PAD, NULL, NULL },
	{ "Basic YTp=", DPX_AUTH_PARSE_BASE64_PAD, NULL, NULL },
	{ "Basic YWI6Yx==", DPX_AUTH_PARSE_BASE64_PAD, NULL, NULL },
	/* "alice" (no colon), ":pw", "a\tb:c", "a:b\x7f" */
	{ "Basic YWxpY2U=", DPX_AUTH_PARSE_NO_COLON, NULL, NULL },
	{ "Basic OnB3", DPX_AUTH_PARSE_EMPTY_USER, NULL, NULL },
	{ "Basic YQliOmM=", DPX_AUTH_PARSE_CONTROL, NULL, NULL },
	{ "Basic YTpifw==", DPX_AUTH_PARSE_CONTROL, NULL, NULL },
	/* "a\0:b" */
	{ "Basic YQA6Yg==", DPX_AUTH_PARSE_CONTROL, NULL, NULL },
};

static void test_parse_table(void)
{
	struct dpx_auth_cred cred;

	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]);
	     i++) {
		const struct parse_row *r = &parse_rows[i];
		enum dpx_auth_parse got = dpx_auth_parse_basic(
			r->field, strlen(r->field), &cred);

		if (got != r->want)
			fprintf(stderr, "row %zu \"%s\": got %s, want %s\n",
				i, r->field, dpx_auth_parse_name(got),
				dpx_auth_parse_name(r->want));
		CHECK_EQ(got, r->want);
		if (got != DPX_AUTH_PARSE_OK || r->user == NULL)
			continue;
		CHECK(strcmp(dpx_auth_cred_user(&cred), r->user) == 0);
		CHECK(strcmp(dpx_auth_cred_pass(&cred), r->pass) == 0);
		CHECK_EQ(cred.user_len, strlen(r->user));
		CHECK_EQ(cred.pass_len, strlen(r->pass));
	}
}

/* Base64 of n bytes of text, built here for the length bounds. */
static void b64(const unsigned char *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				"qrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned int v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		out[o++] = a[in[i] >> 2];
		out[o++] = a[(in[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned int v = in[i] << 8 | in[i + 1];

		out[o++] = a[v >> 10];
		out[o++] = a[v >> 4 & 63];
		out[o++] = a[(v & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static enum dpx_auth_parse parse_plain(const char *user_pass)
{
	static char field[2 * DPX_AUTH_TOKEN_MAX];
	struct dpx_auth_cred cred;

	strcpy(field, "Basic ");
	b64((const unsigned char *)user_pass, strlen(user_pass), field + 6);
	return dpx_auth_parse_basic(field, strlen(field), &cred);
}

static void test_parse_bounds(void)
{
	char s[DPX_AUTH_CRED_MAX + 8];

	/* 768 bytes encode to exactly 1024 characters; 769 to 1028. */
	memset(s, 'p', sizeof(s));
	memcpy(s, "u:", 2);
	s[DPX_AUTH_CRED_MAX] = '\0';
	CHECK_EQ(parse_plain(s), DPX_AUTH_PARSE_OK);
	s[DPX_AUTH_CRED_MAX] = 'p';
	s[DPX_AUTH_CRED_MAX + 1] = '\0';
	CHECK_EQ(parse_plain(s), DPX_AUTH_PARSE_TOO_LONG);
	/* A user of 64 bytes passes, 65 does not. */
	memset(s, 'u', 64);
	strcpy(s + 64, ":pw");
	CHECK_EQ(parse_plain(s), DPX_AUTH_PARSE_OK);
	memset(s, 'u', 65);
	strcpy(s + 65, ":pw");
	CHECK_EQ(parse_plain(s), DPX_AUTH_PARSE_USER_TOO_LONG);
	CHECK(strcmp(dpx_auth_parse_name(DPX_AUTH_PARSE_BASE64_PAD),
		     "base64_pad") == 0);
	CHECK(strcmp(dpx_auth_parse_name(DPX_AUTH_PARSE_COUNT), "?") == 0);
}

static void test_challenge(void)
{
	char buf[DPX_AUTH_CHALLENGE_MAX];
	const char *want = "Basic realm=\"a \\\"b\\\" \\\\c\", "
			   "charset=\"UTF-8\"";

	CHECK_EQ(dpx_auth_challenge("a \"b\" \\c", buf, sizeof(buf)),
		 strlen(want));
	CHECK(strcmp(buf, want) == 0);
	CHECK_EQ(dpx_auth_challenge("dpx", buf, sizeof(buf)),
		 strlen("Basic realm=\"dpx\", charset=\"UTF-8\""));
	CHECK_EQ(dpx_auth_challenge("bad\nrealm", buf, sizeof(buf)), -1);
	CHECK_EQ(dpx_auth_challenge("dpx", buf, 20), -1);
	/* Exactly fitting: length + NUL. */
	CHECK_EQ(dpx_auth_challenge("dpx", buf, 35), 34);
	CHECK_EQ(dpx_auth_challenge("dpx", buf, 34), -1);
}

/* ---- The cache key ---- */

/* Our SipHash-2-4-128 against OpenSSL's, lengths 0..99 and keys that
 * change with them; and the paper's 64-bit vector's key and message
 * give a 128-bit answer that differs from the same with one bit off. */
static void test_siphash(void)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	uint8_t key[16], msg[100], ours[16], theirs[16];
	size_t len;
	int same = 0;

	CHECK(ctx != NULL);
	if (ctx == NULL) {
		EVP_MAC_free(m);
		return;
	}
	for (size_t n = 0; n < sizeof(msg); n++) {
		for (size_t i = 0; i < 16; i++)
			key[i] = (uint8_t)(i * 7 + n);
		for (size_t i = 0; i < n; i++)
			msg[i] = (uint8_t)(i * 13 + n * 3);
		auth_siphash128(key, msg, n, ours);
		len = 0;
		if (EVP_MAC_init(ctx, key, 16, NULL) != 1 ||
		    EVP_MAC_update(ctx, msg, n) != 1 ||
		    EVP_MAC_final(ctx, theirs, &len, 16) != 1 || len != 16)
			break;
		same += memcmp(ours, theirs, 16) == 0;
	}
	CHECK_EQ(same, sizeof(msg));
	msg[0] ^= 1;
	auth_siphash128(key, msg, 50, theirs);
	CHECK(memcmp(ours, theirs, 16) != 0);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
}

/* ---- Hashes and files ---- */

static char tmp_dir[] = "/tmp/dpx-test-auth.XXXXXX";

static void make_hash(const char *prefix, unsigned long cost,
		      const char *pass, char *out, size_t size)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h = NULL;

	if (cd != NULL && crypt_gensalt_rn(prefix, cost, NULL, 0, setting,
					   sizeof(setting)) != NULL)
		h = crypt_rn(pass, setting, cd, sizeof(*cd));
	CHECK(h != NULL && h[0] == '$');
	snprintf(out, size, "%s", h != NULL ? h : "*");
	free(cd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

struct users_row {
	const char *text;
	const char *want;	/* NULL: loads; else part of the error */
};

/* openssl passwd -6 -salt saltsalt x */
#define H6 "$6$saltsalt$8RWsOfwR6M6PpnoeQiEiWzNTPo1f0HjVYjDnLZhGx16aBFRk" \
	"eqiHAzfXP/LgrOWMBMXqiU2pLrXsSOHNUyUm91"

static void test_users_errors(void)
{
	static const struct users_row rows[] = {
		{ "# users\n\nalice:" H6 "\r\nbob:" H6 "\n", NULL },
		{ "alice:" H6 "\nbob\n", "f:2: expected \"user:hash\"" },
		{ "alice:" H6 "\n:x\n", "f:2: empty user name" },
		{ "al ice:" H6 "\n", "f:1: empty user name, or a space" },
		{ "alice:secret\n", "f:1: user \"alice\": plain text or DES" },
		{ "#\nalice:abJnggxhB/yWI\n", "f:2: user \"alice\": plain" },
		{ "\n\nalice:$1$salt$hash\n", "f:3: user \"alice\": MD5-crypt" },
		{ "a:$apr1$x$y\n", "f:1: user \"a\": Apache MD5" },
		{ "a:$5$salt$hash\n", "f:1: user \"a\": SHA-256-crypt" },
		{ "a:{SHA}abc=\n", "f:1: user \"a\": unsalted SHA-1" },
		{ "a:$y$j9T$salt$hash\n", "f:1: user \"a\": yescrypt" },
		{ "a:$6$salt$short\n", "f:1: user \"a\": malformed SHA-512" },
		{ "a:$2b$03$" "0123456789012345678901234567890123456789012345678"
		  "9012\n", "f:1: user \"a\": malformed bcrypt" },
		{ "a:\n", "f:1: user \"a\": missing or oversized hash" },
		{ "alice:" H6 "\nbob:" H6 "\nalice:" H6 "\n",
		  "f:3: user \"alice\" again (first at line 1)" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dpx_auth_users *u = dpx_auth_users_parse(
			"f", rows[i].text, strlen(rows[i].text), err,
			sizeof(err));

		if (rows[i].want == NULL) {
			CHECK(u != NULL);
			if (u != NULL) {
				CHECK_EQ(dpx_auth_users_count(u), 2);
				CHECK_EQ(dpx_auth_users_find(u, "bob", 3), 1);
				CHECK_EQ(dpx_auth_users_find(u, "bo", 2), -1);
				CHECK_EQ(dpx_auth_users_find(u, "bobb", 4), -1);
			}
		} else {
			CHECK(u == NULL);
			if (u == NULL)
				CHECK_STR_CONTAINS(err, rows[i].want);
		}
		dpx_auth_users_free(u);
	}
	CHECK(dpx_auth_users_load("/nonexistent/users", err,
				  sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(err, "/nonexistent/users: cannot open");
}

/* Own rule, else "*", else none; rules for absent users are ignored. */
static void test_rule_binding(void)
{
	static const char text[] = "alice:" H6 "\nbob:" H6 "\ncarol:" H6 "\n";
	struct dpx_auth_rule rules[3] = {
		{ .user = "carol", .acl = "c" },
		{ .user = "*", .acl = "everyone" },
		{ .user = "zed", .deny = true },
	};
	char err[256];
	struct dpx_auth_users *u = dpx_auth_users_parse("f", text,
							strlen(text), err,
							sizeof(err));

	CHECK(u != NULL);
	if (u == NULL)
		return;
	auth_users_bind(u, rules, 3);
	CHECK(u->users[0].rule == &rules[1]);
	CHECK(u->users[1].rule == &rules[1]);
	CHECK(u->users[2].rule == &rules[0]);
	auth_users_bind(u, rules, 1);
	CHECK(u->users[0].rule == NULL);
	CHECK(u->users[2].rule == &rules[0]);
	dpx_auth_users_free(u);
}

/* ---- The "auth" section ---- */

static int acl_find(const void *acls, const char *name)
{
	return dpx_acl_section_find(acls, name);
}

static const struct dpx_config_ext ext = {
	.acls = dpx_acl_section_parse,
	.release_acls = dpx_acl_section_free,
	.acl_find = acl_find,
	.auth = dpx_auth_section_parse,
	.release_auth = dpx_auth_section_free,
};

#define ACLS "\"acls\": {\"open\": {\"default\": \"allow\"}, " \
	"\"staff\": {\"default\": \"deny\"}}, "

#define PORTS "\"ports\": [{\"device\": \"net_tap0\", " \
	"\"addresses\": [\"198.18.0.1/24\"]}], "

static int load_conf(const char *json, struct dpx_config *cfg, char *err,
		     size_t errlen)
{
	return dpx_config_load_buffer("t.json", json, strlen(json), cfg, err,
				      errlen);
}

static void test_config(void)
{
	static struct dpx_config cfg;
	char json[2048], err[512], users[512];
	const struct dpx_auth_section *s;
	const struct dpx_auth_conf *a;

	snprintf(users, sizeof(users), "%s/conf_users", tmp_dir);
	write_file(users, "alice:" H6 "\n");
	dpx_config_set_ext(&ext);
	snprintf(json, sizeof(json),
		 "{" PORTS ACLS "\"auth\": {\"fwd\": {\"users_file\": \"%s\", "
		 "\"realm\": \"Corp \\\"proxy\\\"\", \"cache_ttl_s\": 60, "
		 "\"max_failures_per_min\": 5, \"queue_size\": 8, "
		 "\"users\": {\"alice\": {\"acl\": \"staff\", "
		 "\"egress_address\": \"198.18.1.5\"}, "
		 "\"*\": {\"deny\": true}}}}}", users);
	CHECK_EQ(load_conf(json, &cfg, err, sizeof(err)), 0);
	s = cfg.auth;
	a = dpx_auth_section_find(s, "fwd");
	CHECK(a != NULL && dpx_auth_section_find(s, "other") == NULL);
	if (a != NULL) {
		CHECK(strcmp(a->realm, "Corp \"proxy\"") == 0);
		CHECK_EQ(a->cache_ttl_s, 60);
		CHECK_EQ(a->cache_entries, 4096);
		CHECK_EQ(a->max_failures_per_min, 5);
		CHECK_EQ(a->queue_size, 8);
		CHECK_EQ(a->n_rules, 2);
		CHECK(a->n_rules == 2 && strcmp(a->rules[0].acl, "staff") == 0);
		/* the index in "acls" the proxy evaluates for alice */
		CHECK(a->n_rules == 2 && a->rules[0].acl_index == 1);
		CHECK(a->n_rules == 2 && a->rules[1].acl_index == -1);
		CHECK(a->n_rules == 2 &&
		      a->rules[0].egress_addr == htonl(0xC6120105));
		CHECK(a->n_rules == 2 && a->rules[1].deny);
	}
	dpx_config_release(&cfg);

	struct { const char *body, *want; } bad[] = {
		{ "{\"fwd\": {}}", "t.json:1:85: auth.fwd: missing "
				   "required key \"users_file\"" },
		{ "{\"fwd\": {\"users_file\": \"/nonexistent\"}}",
		  "auth.fwd.users_file: /nonexistent: cannot open" },
		{ "{\"fwd\": {\"users_file\": \"@U\", \"colour\": 1}}",
		  "auth.fwd.colour: unknown key \"colour\"" },
		{ "{\"fwd\": {\"users_file\": \"@U\", \"realm\": \"a\\nb\"}}",
		  "auth.fwd.realm: a realm is 1..100 bytes" },
		{ "{\"fwd\": {\"users_file\": \"@U\", \"queue_size\": 6}}",
		  "auth.fwd.queue_size" },
		{ "{\"fwd\": {\"users_file\": \"@U\", \"users\": "
		  "{\"a\": {\"egress_address\": \"1.2.3\"}}}}",
		  "auth.fwd.users.a.egress_address: \"1.2.3\" is not an IPv4" },
		{ "{\"f w\": {\"users_file\": \"@U\"}}", "may only contain" },
		{ "{\"fwd\": {\"users_file\": \"@B\"}}",
		  "bad_users:2: user \"bob\": MD5-crypt is refused" },
		{ "[]", "auth: expected an object of authenticators" },
		{ "{\"fwd\": {\"users_file\": \"@U\", \"users\": "
		  "{\"a\": {\"acl\": \"office\"}}}}",
		  "auth.fwd.users.a.acl: \"office\": there is no \"acls\" "
		  "section" },
		{ "@A{\"fwd\": {\"users_file\": \"@U\", \"users\": "
		  "{\"*\": {\"acl\": \"offce\"}}}}",
		  "auth.fwd.users.*.acl: \"offce\" is not an ACL of \"acls\"" },
	};
	char bad_users[512];

	snprintf(bad_users, sizeof(bad_users), "%s/bad_users", tmp_dir);
	write_file(bad_users, "alice:" H6 "\nbob:$1$x$y\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[1024];
		const char *at;

		snprintf(body, sizeof(body), "%s", bad[i].body);
		if ((at = strstr(body, "@U")) != NULL ||
		    (at = strstr(body, "@B")) != NULL) {
			char rest[1024];

			snprintf(rest, sizeof(rest), "%s", at + 2);
			snprintf(body + (at - body), sizeof(body) -
				 (size_t)(at - body), "%s%s",
				 at[1] == 'U' ? users : bad_users, rest);
		}
		/* "@A": the "acls" section goes first */
		snprintf(json, sizeof(json), "{" PORTS "%s\"auth\": %s}",
			 strncmp(body, "@A", 2) == 0 ? ACLS : "",
			 strncmp(body, "@A", 2) == 0 ? body + 2 : body);
		CHECK_EQ(load_conf(json, &cfg, err, sizeof(err)), -1);
		CHECK_STR_CONTAINS(err, bad[i].want);
	}
	dpx_config_set_ext(NULL);
	snprintf(json, sizeof(json), "{" PORTS "\"auth\": {}}");
	CHECK_EQ(load_conf(json, &cfg, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "proxy authentication is not supported");
}

/* ---- Failure limiter ---- */

static void test_limiter(void)
{
	struct dpx_auth_limiter *l = dpx_auth_limiter_create(64, 10);
	uint32_t ip = htonl(0xC6120002), other = htonl(0xC6120003);
	int i;

	CHECK(l != NULL);
	CHECK(dpx_auth_limiter_create(64, 0) == NULL);
	CHECK(dpx_auth_limiter_create(48, 10) == NULL);
	if (l == NULL)
		return;
	for (i = 0; i < 9; i++)
		dpx_auth_limiter_fail(l, ip, 1000);
	CHECK(!dpx_auth_limited(l, ip, 1000));
	dpx_auth_limiter_fail(l, ip, 1000);
	CHECK(dpx_auth_limited(l, ip, 1000));
	CHECK(!dpx_auth_limited(l, other, 1000));
	/* One failure's worth (6 s) later, one more is allowed. */
	CHECK(dpx_auth_limited(l, ip, 1000 + 5999));
	CHECK(!dpx_auth_limited(l, ip, 1000 + 6000));
	dpx_auth_limiter_fail(l, ip, 1000 + 6000);
	CHECK(dpx_auth_limited(l, ip, 1000 + 6000));
	/* A full minute clears it. */
	CHECK(!dpx_auth_limited(l, ip, 1000 + 66000));
	/* A refund takes one failure back. */
	dpx_auth_limiter_fail(l, other, 1000);
	for (i = 0; i < 9; i++)
		dpx_auth_limiter_fail(l, other, 1000);
	CHECK(dpx_auth_limited(l, other, 1000));
	dpx_auth_limiter_refund(l, other);
	CHECK(!dpx_auth_limited(l, other, 1000));
	for (i = 0; i < 20; i++)
		dpx_auth_limiter_refund(l, other);
	CHECK(!dpx_auth_limited(l, other, 1000));
	dpx_auth_limiter_refund(l, htonl(0xC6129999));	/* unknown: no-op */
	/* Bounded: many addresses never grow the table, never crash. */
	for (uint32_t a = 1; a < 100000; a++)
		dpx_auth_limiter_fail(l, htonl(a), 2000);
	dpx_auth_limiter_free(l);
}

/* ---- The authenticator ---- */

struct fixture {
	char users[200];
	char sha_hash[256], bcrypt_hash[256], bcrypt_y_hash[256];
	struct dpx_auth_rule rules[2];
	struct dpx_auth_conf conf;
	struct dpx_auth *a;
	struct dpx_auth_worker *aw;
};

static void field_for(const char *user_pass, char *field)
{
	strcpy(field, "Basic ");
	b64((const unsigned char *)user_pass, strlen(user_pass), field + 6);
}

static void write_users(struct fixture *f, const char *carol_pass)
{
	char text[2048], carol[256];

	make_hash("$6$", 5000, carol_pass, carol, sizeof(carol));
	snprintf(text, sizeof(text),
		 "# test users\nalice:%s\nbob:%s\ncarol:%s\nmallory:%s\n"
		 "dave:%s\n", f->sha_hash, f->bcrypt_hash, carol, f->sha_hash,
		 f->bcrypt_y_hash);
	write_file(f->users, text);
}

static int fixture_init(struct fixture *f, uint32_t queue, uint32_t ttl)
{
	char err[512];

	memset(f, 0, sizeof(*f));
	snprintf(f->users, sizeof(f->users), "%s/users", tmp_dir);
	make_hash("$6$", 5000, "alice-pw", f->sha_hash, sizeof(f->sha_hash));
	make_hash("$2b$", 4, "bob-pw", f->bcrypt_hash,
		  sizeof(f->bcrypt_hash));
	make_hash("$2y$", 4, "dave-pw", f->bcrypt_y_hash,
		  sizeof(f->bcrypt_y_hash));
	write_users(f, "carol-pw");
	snprintf(f->rules[0].user, sizeof(f->rules[0].user), "alice");
	snprintf(f->rules[0].acl, sizeof(f->rules[0].acl), "staff");
	f->rules[0].egress_addr = htonl(0xC6120105);
	snprintf(f->rules[1].user, sizeof(f->rules[1].user), "mallory");
	f->rules[1].deny = true;
	snprintf(f->conf.name, sizeof(f->conf.name), "t");
	snprintf(f->conf.users_file, sizeof(f->conf.users_file), "%s",
		 f->users);
	snprintf(f->conf.realm, sizeof(f->conf.realm), "dpx");
	f->conf.cache_ttl_s = ttl;
	f->conf.cache_entries = 64;
	f->conf.max_failures_per_min = 10;
	f->conf.clients_tracked = 64;
	f->conf.queue_size = queue;
	f->conf.n_rules = 2;
	f->conf.rules = f->rules;
	f->a = dpx_auth_create(&f->conf, 2, err, sizeof(err));
	if (f->a == NULL) {
		fprintf(stderr, "dpx_auth_create: %s\n", err);
		return -1;
	}
	f->aw = dpx_auth_worker(f->a, 0);
	return 0;
}

/* Polls until n answers came (5 s at most). */
static unsigned int wait_answers(struct fixture *f, uint64_t now_ms,
				 struct dpx_auth_result *out, unsigned int n)
{
	unsigned int got = 0;
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 5000 && got < n; i++) {
		got += dpx_auth_poll(f->aw, now_ms, out + got, n - got);
		if (got < n)
			nanosleep(&ts, NULL);
	}
	return got;
}

/* One request through check and, when pending, the verifier. */
static enum dpx_auth_status ask(struct fixture *f, const char *user_pass,
				uint32_t client, uint64_t now_ms,
				struct dpx_auth_result *res)
{
	char field[256];
	enum dpx_auth_status st;

	field_for(user_pass, field);
	st = dpx_auth_check(f->aw, field, strlen(field), 1, client, 42,
			    now_ms, res);
	if (st != DPX_AUTH_PENDING)
		return st;
	CHECK_EQ(wait_answers(f, now_ms, res, 1), 1);
	CHECK_EQ(res->cookie, 42);
	return res->status;
}

static const uint32_t client_a = 0x020012C6;	/* 198.18.0.2 */

static void test_verify_both_schemes(void)
{
	struct fixture f;
	struct dpx_auth_result r;
	const struct dpx_auth_counters *c;

	if (fixture_init(&f, 8, 300) != 0) {
		CHECK(0);
		return;
	}
	c = dpx_auth_worker_counters(f.aw);
	CHECK(dpx_auth_worker(f.a, 2) == NULL);
	CHECK(strcmp(dpx_auth_challenge_value(f.a),
		     "Basic realm=\"dpx\", charset=\"UTF-8\"") == 0);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(r.user_index, 0);
	CHECK(strcmp(r.user, "alice") == 0);
	CHECK(r.rule != NULL && strcmp(r.rule->acl, "staff") == 0 &&
	      r.rule->egress_addr == htonl(0xC6120105));
	CHECK_EQ(ask(&f, "bob:bob-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(r.user_index, 1);
	CHECK(r.rule == NULL);
	CHECK(strncmp(f.bcrypt_y_hash, "$2y$04$", 7) == 0);
	CHECK_EQ(ask(&f, "dave:dave-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(r.user_index, 4);
	CHECK_EQ(ask(&f, "alice:wrong", client_a, 1000, &r),
		 DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(r.user_index, -1);
	CHECK_EQ(ask(&f, "bob:alice-pw", client_a, 1000, &r),
		 DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(ask(&f, "nobody:x", client_a, 1000, &r),
		 DPX_AUTH_UNKNOWN_USER);
	CHECK(strcmp(r.user, "nobody") == 0);
	CHECK_EQ(ask(&f, "mallory:alice-pw", client_a, 1000, &r),
		 DPX_AUTH_DENIED);
	CHECK_EQ(r.user_index, 3);
	/* Every verification hashed once, the unknown user included. */
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 7);
	CHECK_EQ(c->ok, 3);
	CHECK_EQ(c->verifications, 7);
	CHECK_EQ(c->bad_password, 2);
	CHECK_EQ(c->unknown_user, 1);
	CHECK_EQ(c->denied, 1);
	CHECK_EQ(dpx_auth_in_flight(f.aw), 0);
	/* Sums over workers: worker 1 adds nothing yet. */
	struct dpx_auth_counters sum;

	memset(&sum, 0, sizeof(sum));
	dpx_auth_counters_add(&sum, dpx_auth_worker(f.a, 0));
	dpx_auth_counters_add(&sum, dpx_auth_worker(f.a, 1));
	CHECK_EQ(sum.verifications, 7);
	CHECK_EQ(sum.bad_password, 2);
	dpx_auth_destroy(f.a);
}

static void test_cache_and_ttl(void)
{
	struct fixture f;
	struct dpx_auth_result r;
	const struct dpx_auth_counters *c;
	char field[128];

	if (fixture_init(&f, 8, 300) != 0) {
		CHECK(0);
		return;
	}
	c = dpx_auth_worker_counters(f.aw);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 1);
	/* Cache hits answer at once and never hash. */
	field_for("alice:alice-pw", field);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1,
					client_a, 7, 1000 + i * 1000, &r),
			 DPX_AUTH_OK);
	CHECK_EQ(r.user_index, 0);
	CHECK(strcmp(r.user, "alice") == 0);
	CHECK(r.rule != NULL && strcmp(r.rule->acl, "staff") == 0);
	CHECK_EQ(c->cache_hits, 100);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 1);
	/* Another password for the same user is not a hit. */
	CHECK_EQ(ask(&f, "alice:alice-pw2", client_a, 2000, &r),
		 DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 2);
	/* Past the TTL (300 s after 1000 ms) it is verified again. */
	CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1, client_a, 7,
				1000 + 299999, &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1, client_a, 42,
				1000 + 300000, &r), DPX_AUTH_PENDING);
	CHECK_EQ(wait_answers(&f, 301000, &r, 1), 1);
	CHECK_EQ(r.status, DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 3);
	/* Worker 1 has its own cache. */
	f.aw = dpx_auth_worker(f.a, 1);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 301000, &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 4);
	dpx_auth_destroy(f.a);
}

static void test_no_cache(void)
{
	struct fixture f;
	struct dpx_auth_result r;

	if (fixture_init(&f, 8, 0) != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 2);
	dpx_auth_destroy(f.a);
}

static void test_rate_limit(void)
{
	struct fixture f;
	struct dpx_auth_result r;
	const struct dpx_auth_counters *c;
	uint32_t client_b = 0x030012C6;

	if (fixture_init(&f, 8, 300) != 0) {
		CHECK(0);
		return;
	}
	c = dpx_auth_worker_counters(f.aw);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 1000, &r), DPX_AUTH_OK);
	/* 8 bad passwords and 2 malformed fields: 10 failures. */
	for (int i = 0; i < 8; i++)
		CHECK_EQ(ask(&f, "alice:guess", client_a, 1000, &r),
			 DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(dpx_auth_check(f.aw, "Basic !!!!", 10, 1, client_a, 1, 1000,
				&r), DPX_AUTH_MALFORMED);
	CHECK_EQ(r.malformed, DPX_AUTH_PARSE_BASE64_CHAR);
	CHECK_EQ(dpx_auth_check(f.aw, "x", 1, 2, client_a, 1, 1000, &r),
		 DPX_AUTH_MALFORMED);
	CHECK_EQ(r.malformed, DPX_AUTH_PARSE_DUPLICATE);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 9);
	/* The flood is refused without hashing. */
	for (int i = 0; i < 50; i++)
		CHECK_EQ(ask(&f, "alice:guess", client_a, 2000, &r),
			 DPX_AUTH_RATE_LIMITED);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 9);
	CHECK_EQ(c->rate_limited, 50);
	CHECK_EQ(c->malformed[DPX_AUTH_PARSE_BASE64_CHAR], 1);
	CHECK_EQ(c->malformed[DPX_AUTH_PARSE_DUPLICATE], 1);
	/* Cached good credentials still pass; other clients are not
	 * affected; no credentials is not a failure. */
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 2000, &r), DPX_AUTH_OK);
	CHECK_EQ(ask(&f, "bob:bob-pw", client_b, 2000, &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_check(f.aw, NULL, 0, 0, client_b, 1, 2000, &r),
		 DPX_AUTH_MISSING);
	CHECK_EQ(c->missing, 1);
	/* 6 s on, one more attempt is let through to the verifier. */
	CHECK_EQ(ask(&f, "alice:guess", client_a, 7000, &r),
		 DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(ask(&f, "alice:guess", client_a, 7000, &r),
		 DPX_AUTH_RATE_LIMITED);
	dpx_auth_destroy(f.a);
}

/* Checks in flight count: a client cannot have a queue's worth of
 * guesses hashed before the first answer comes back. */
static void test_rate_limit_in_flight(void)
{
	struct fixture f;
	struct dpx_auth_result r, out[16];
	char field[128];
	unsigned int i, pending = 0, limited = 0;

	if (fixture_init(&f, 32, 0) != 0) {	/* no cache: all verified */
		CHECK(0);
		return;
	}
	field_for("alice:guess", field);
	for (i = 0; i < 20; i++) {
		enum dpx_auth_status st = dpx_auth_check(
			f.aw, field, strlen(field), 1, client_a, i, 1000, &r);

		pending += st == DPX_AUTH_PENDING;
		limited += st == DPX_AUTH_RATE_LIMITED;
	}
	CHECK_EQ(pending, 10);
	CHECK_EQ(limited, 10);
	CHECK_EQ(wait_answers(&f, 1000, out, 10), 10);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 10);
	/* Right passwords are given back: 15 in a row never limit. */
	for (i = 0; i < 15; i++)
		CHECK_EQ(ask(&f, "alice:alice-pw", client_a + 1, 1000 + i,
			     &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 25);
	dpx_auth_destroy(f.a);
}

static void test_queue_full(void)
{
	struct fixture f;
	struct dpx_auth_result r, out[8];
	const struct dpx_auth_counters *c;
	char field[128];
	unsigned int i;

	if (fixture_init(&f, 4, 300) != 0) {
		CHECK(0);
		return;
	}
	c = dpx_auth_worker_counters(f.aw);
	field_for("bob:bob-pw", field);
	/* Answers stay in the worker's hands until it polls. */
	for (i = 0; i < 4; i++)
		CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1,
					client_a, 100 + i, 1000, &r),
			 DPX_AUTH_PENDING);
	CHECK_EQ(dpx_auth_in_flight(f.aw), 4);
	CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1, client_a, 104,
				1000, &r), DPX_AUTH_BUSY);
	CHECK_EQ(c->queue_full, 1);
	CHECK_EQ(wait_answers(&f, 1000, out, 4), 4);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(out[i].cookie, 100 + i);
		CHECK_EQ(out[i].status, DPX_AUTH_OK);
	}
	CHECK_EQ(dpx_auth_in_flight(f.aw), 0);
	CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1, client_a, 105,
				1000, &r), DPX_AUTH_OK);
	dpx_auth_destroy(f.a);
}

static void test_reload(void)
{
	struct fixture f;
	struct dpx_auth_result r;
	char err[512];

	if (fixture_init(&f, 8, 300) != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ(dpx_auth_generation(f.a), 1);
	CHECK_EQ(ask(&f, "carol:carol-pw", client_a, 1000, &r), DPX_AUTH_OK);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 1000, &r), DPX_AUTH_OK);
	write_users(&f, "carol-new");
	CHECK_EQ(dpx_auth_reload(f.a, err, sizeof(err)), 0);
	/* The verifier adopts the table between two checks. */
	for (int i = 0; i < 5000 && dpx_auth_generation(f.a) != 2; i++)
		usleep(1000);
	CHECK_EQ(dpx_auth_generation(f.a), 2);
	/* Entries of the old table are dropped: verified again. */
	CHECK_EQ(ask(&f, "carol:carol-pw", client_a, 2000, &r),
		 DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(ask(&f, "carol:carol-new", client_a, 2000, &r), DPX_AUTH_OK);
	CHECK_EQ(ask(&f, "alice:alice-pw", client_a, 2000, &r), DPX_AUTH_OK);
	/* A broken file keeps the table in use. */
	write_file(f.users, "alice:$1$x$y\n");
	CHECK_EQ(dpx_auth_reload(f.a, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "users:1: user \"alice\": MD5-crypt");
	CHECK_EQ(ask(&f, "carol:carol-new", client_a, 2000, &r), DPX_AUTH_OK);
	CHECK_EQ(dpx_auth_generation(f.a), 2);
	dpx_auth_destroy(f.a);
}

/* Two workers at once: each gets its own answers, cookies intact. */
static void test_two_workers(void)
{
	struct fixture f;
	struct dpx_auth_worker *w[2];
	struct dpx_auth_result r, out[4];
	char good[128], bad[128];
	unsigned int i, k, got;

	if (fixture_init(&f, 4, 300) != 0) {
		CHECK(0);
		return;
	}
	w[0] = dpx_auth_worker(f.a, 0);
	w[1] = dpx_auth_worker(f.a, 1);
	field_for("bob:bob-pw", good);
	field_for("bob:nope", bad);
	for (i = 0; i < 4; i++)
		for (k = 0; k < 2; k++) {
			const char *fl = (i + k) % 2 ? bad : good;

			CHECK_EQ(dpx_auth_check(w[k], fl, strlen(fl), 1,
						client_a + k, k * 100 + i, 1000,
						&r), DPX_AUTH_PENDING);
		}
	for (k = 0; k < 2; k++) {
		f.aw = w[k];
		got = wait_answers(&f, 1000, out, 4);
		CHECK_EQ(got, 4);
		for (i = 0; i < got; i++) {
			CHECK_EQ(out[i].cookie, k * 100 + i);
			CHECK_EQ(out[i].status, (i + k) % 2 ?
				 DPX_AUTH_BAD_PASSWORD : DPX_AUTH_OK);
		}
	}
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 8);
	dpx_auth_destroy(f.a);
}

/* Answers computed against a table replaced meanwhile are not used:
 * they go back to the verifier and come again under the new table. */
static void test_reload_in_flight(void)
{
	struct fixture f;
	struct dpx_auth_result r, out[4];
	char field[128], err[512];
	unsigned int i, got = 0;

	if (fixture_init(&f, 4, 300) != 0) {
		CHECK(0);
		return;
	}
	field_for("carol:carol-pw", field);
	for (i = 0; i < 3; i++)
		CHECK_EQ(dpx_auth_check(f.aw, field, strlen(field), 1,
					client_a, i, 1000, &r),
			 DPX_AUTH_PENDING);
	for (i = 0; i < 5000 && dpx_auth_crypt_calls(f.a) < 3; i++)
		usleep(1000);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 3);
	write_users(&f, "carol-new");
	CHECK_EQ(dpx_auth_reload(f.a, err, sizeof(err)), 0);
	for (i = 0; i < 5000 && dpx_auth_generation(f.a) != 2; i++)
		usleep(1000);
	got = wait_answers(&f, 1000, out, 3);
	CHECK_EQ(got, 3);
	for (i = 0; i < got; i++)
		CHECK_EQ(out[i].status, DPX_AUTH_BAD_PASSWORD);
	CHECK_EQ(dpx_auth_worker_counters(f.aw)->requeued, 3);
	CHECK_EQ(dpx_auth_crypt_calls(f.a), 6);
	dpx_auth_destroy(f.a);
}

int main(void)
{
	if (mkdtemp(tmp_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN_TEST(test_parse_table);
	RUN_TEST(test_parse_bounds);
	RUN_TEST(test_challenge);
	RUN_TEST(test_siphash);
	RUN_TEST(test_users_errors);
	RUN_TEST(test_rule_binding);
	RUN_TEST(test_config);
	RUN_TEST(test_limiter);
	RUN_TEST(test_verify_both_schemes);
	RUN_TEST(test_cache_and_ttl);
	RUN_TEST(test_no_cache);
	RUN_TEST(test_rate_limit);
	RUN_TEST(test_rate_limit_in_flight);
	RUN_TEST(test_queue_full);
	RUN_TEST(test_reload);
	RUN_TEST(test_two_workers);
	RUN_TEST(test_reload_in_flight);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp_dir);
	return TEST_SUMMARY();
}
