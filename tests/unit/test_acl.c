/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/acl: a table of requests against one ACL (allow and deny by each
 * matcher, first match, default, negation, time wrap, suffix against
 * exact, case, trailing dot, IP literal, unresolved destination); deny
 * pages and redirects; a generated 100,000-domain list (load time, hits
 * and misses); the "acls" section's errors; a reload of a list while two
 * threads evaluate, old rule sets freed after both passed a quiescent
 * point.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dpx_acl.h"
#include "dpx_config_kit.h"
#include "dpx_test.h"

#define SLOTS 2

static char tmpdir[64];
static char list_path[128];	/* the table's list file */
static char big_path[128];	/* 100,000 domains */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* The "acls" object in text compiled; NULL and err set when refused. */
static struct dpx_acl_section *parse(const char *text, char *err,
				     size_t errlen)
{
	struct cfg_ctx c = { .name = "t.json", .text = text,
			     .len = strlen(text), .err = err,
			     .errlen = errlen };
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	void *out = NULL;
	int rc;

	err[0] = '\0';
	if (root == NULL) {
		snprintf(err, errlen, "JSON: %s", je.text);
		return NULL;
	}
	rc = dpx_acl_section_parse(&c, root, SLOTS, &out);
	json_decref(root);
	return rc == 0 ? out : NULL;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? a.s_addr : 0;
}

/* ---- The table ---- */

static const char table_acl[] =
	"{\"t\": {\"default\": \"deny\", \"rules\": ["
	"{\"name\": \"bad-domain\", \"action\": \"deny\","
	" \"dst_domain\": [\".bad.example\", \"exact.example\"]},"
	"{\"name\": \"bad-file\", \"action\": \"deny\","
	" \"dst_domain_file\": \"%s\"},"
	"{\"name\": \"moved\", \"action\": \"redirect\","
	" \"redirect\": \"https://portal.example/login\","
	" \"redirect_status\": 307, \"dst_domain\": \"old.example\"},"
	"{\"name\": \"bad-net\", \"action\": \"deny\","
	" \"dst\": [\"198.19.66.0/24\", \"198.19.70.1\"]},"
	"{\"name\": \"admin\", \"action\": \"deny\", \"deny_status\": 451,"
	" \"path_prefix\": \"/admin/\", \"not\": {\"src\": \"198.18.9.0/24\"}},"
	"{\"name\": \"exe\", \"action\": \"deny\","
	" \"path_regex\": [\"\\\\.(exe|msi)$\"]},"
	"{\"name\": \"odd-connect\", \"action\": \"deny\","
	" \"method\": \"CONNECT\", \"not\": {\"port\": [443, \"8443-8444\"]}},"
	"{\"name\": \"night\", \"action\": \"deny\", \"time\": \"22:00-06:00\","
	" \"not\": {\"user\": \"night-owl\"}},"
	"{\"name\": \"alice\", \"action\": \"allow\", \"user\": [\"alice\"]},"
	"{\"name\": \"lan-web\", \"action\": \"allow\","
	" \"src\": [\"198.18.0.0/16\"], \"port\": [80, 443],"
	" \"method\": [\"GET\", \"HEAD\", \"CONNECT\"]},"
	"{\"name\": \"any-user-post\", \"action\": \"allow\", \"user\": \"*\","
	" \"method\": \"POST\"},"
	"{\"name\": \"long-weekend\", \"action\": \"allow\","
	" \"src\": \"198.19.7.0/24\", \"days\": [\"fri-mon\"],"
	" \"not\": {\"days\": \"Sun\"}}"
	"]}}";

static const char table_list[] =
	"# the table's list\n"
	"\n"
	".filebad.test   # and every subdomain\n"
	"ONE.test\r\n";

struct row {
	const char *what;
	const char *client;	/* NULL: 198.18.1.10 */
	const char *host;	/* NULL: www.good.example */
	const char *dst;	/* NULL: 198.18.200.1; "": unresolved */
	uint16_t port;		/* 0: 80 */
	const char *method;	/* NULL: GET */
	const char *path;	/* NULL: "/" */
	const char *user;	/* NULL: none */
	const char *time;	/* NULL: 12:00:00 */
	int wday;		/* weekday + 1; 0: Wednesday */
	enum dpx_acl_action want;
	const char *rule;	/* "default" for the default */
};

#define DENY DPX_ACL_DENY
#define ALLOW DPX_ACL_ALLOW

static const struct row rows[] = {
	{ "plain request", .want = ALLOW, .rule = "lan-web" },
	{ "suffix: subdomain", .host = "ads.bad.example", .want = DENY,
	  .rule = "bad-domain" },
	{ "suffix: the name itself", .host = "bad.example", .want = DENY,
	  .rule = "bad-domain" },
	{ "case and trailing dot", .host = "Ads.BAD.Example.", .want = DENY,
	  .rule = "bad-domain" },
	{ "suffix: label boundary", .host = "notbad.example", .want = ALLOW,
	  .rule = "lan-web" },
	{ "exact", .host = "exact.example", .want = DENY,
	  .rule = "bad-domain" },
	{ "exact: not a subdomain", .host = "www.exact.example",
	  .want = ALLOW, .rule = "lan-web" },
	{ "file: suffix", .host = "x.y.filebad.test", .want = DENY,
	  .rule = "bad-file" },
	{ "file: exact, upper case in the file", .host = "one.test",
	  .want = DENY, .rule = "bad-file" },
	{ "file: exact, not a subdomain", .host = "two.one.test",
	  .want = ALLOW, .rule = "lan-web" },
	{ "redirect", .host = "old.example", .want = DPX_ACL_REDIRECT,
	  .rule = "moved" },
	{ "dst net, IP literal", .host = "", .dst = "198.19.66.7",
	  .want = DENY, .rule = "bad-net" },
	{ "dst /32", .dst = "198.19.70.1", .want = DENY, .rule = "bad-net" },
	{ "dst outside", .dst = "198.19.67.1", .want = ALLOW,
	  .rule = "lan-web" },
	{ "unresolved: stops at the dst rule", .dst = "",
	  .want = DPX_ACL_NEED_DST, .rule = "bad-net" },
	{ "unresolved: name rule decides first", .host = "ads.bad.example",
	  .dst = "", .want = DENY, .rule = "bad-domain" },
	{ "unresolved: dst rule skipped by its other matchers", .dst = "",
	  .host = "old.example", .want = DPX_ACL_REDIRECT, .rule = "moved" },
	{ "path prefix", .path = "/admin/users", .want = DENY,
	  .rule = "admin" },
	{ "path prefix, negated src", .client = "198.18.9.5",
	  .path = "/admin/users", .want = ALLOW, .rule = "lan-web" },
	{ "path prefix: not a prefix", .path = "/administrator",
	  .want = ALLOW, .rule = "lan-web" },
	{ "regex", .path = "/files/setup.EXE.exe", .want = DENY,
	  .rule = "exe" },
	{ "regex: anchored", .path = "/files/setup.exe?x=1", .want = ALLOW,
	  .rule = "lan-web" },
	{ "CONNECT 443", .method = "CONNECT", .port = 443, .path = "",
	  .want = ALLOW, .rule = "lan-web" },
	{ "CONNECT 25", .method = "CONNECT", .port = 25, .path = "",
	  .want = DENY, .rule = "odd-connect" },
	{ "CONNECT 8444: no rule, default", .method = "CONNECT", .port = 8444,
	  .path = "", .want = DENY, .rule = "default" },
	{ "night, wrapped", .time = "23:30:00", .want = DENY,
	  .rule = "night" },
	{ "night, after midnight", .time = "05:59:59", .want = DENY,
	  .rule = "night" },
	{ "night ends at 06:00", .time = "06:00:00", .want = ALLOW,
	  .rule = "lan-web" },
	{ "night starts at 22:00", .time = "22:00:00", .want = DENY,
	  .rule = "night" },
	{ "night, negated user", .time = "23:30:00", .user = "night-owl",
	  .want = ALLOW, .rule = "lan-web" },
	{ "user", .client = "198.19.5.5", .user = "alice", .want = ALLOW,
	  .rule = "alice" },
	{ "user: case-sensitive", .client = "198.19.5.5", .user = "Alice",
	  .want = DENY, .rule = "default" },
	{ "no user: default", .client = "198.19.5.5", .want = DENY,
	  .rule = "default" },
	{ "any user, POST", .client = "198.19.5.5", .user = "bob",
	  .method = "POST", .want = ALLOW, .rule = "any-user-post" },
	{ "any user, GET: default", .client = "198.19.5.5", .user = "bob",
	  .want = DENY, .rule = "default" },
	{ "method is case-sensitive", .method = "get", .want = DENY,
	  .rule = "default" },
	{ "port not listed", .port = 8080, .want = DENY, .rule = "default" },
	{ "src outside", .client = "198.19.0.1", .want = DENY,
	  .rule = "default" },
	{ "days: Friday", .client = "198.19.7.1", .wday = 5 + 1,
	  .want = ALLOW, .rule = "long-weekend" },
	{ "days: Monday, range wraps", .client = "198.19.7.1", .wday = 1 + 1,
	  .want = ALLOW, .rule = "long-weekend" },
	{ "days: Sunday negated", .client = "198.19.7.1", .wday = 0 + 1,
	  .want = DENY, .rule = "default" },
	{ "days: Wednesday", .client = "198.19.7.1", .want = DENY,
	  .rule = "default" },
};

static uint32_t clock_of(const char *s)
{
	unsigned int h = 12, m = 0, sec = 0;

	if (s != NULL)
		sscanf(s, "%u:%u:%u", &h, &m, &sec);
	return h * 3600 + m * 60 + sec;
}

#define STR(s, dflt) ((s) ? (s) : (dflt))

static void fill(struct dpx_acl_request *rq, const struct row *r)
{
	const char *host = STR(r->host, "www.good.example");
	const char *method = STR(r->method, "GET");
	const char *path = STR(r->path, "/");
	const char *user = STR(r->user, "");

	*rq = (struct dpx_acl_request){
		.client_addr = ip(STR(r->client, "198.18.1.10")),
		.dst_addr = ip(STR(r->dst, "198.18.200.1")),
		.host = host, .host_len = (uint32_t)strlen(host),
		.port = r->port ? r->port : 80,
		.method = method, .method_len = (uint32_t)strlen(method),
		.path = path, .path_len = (uint32_t)strlen(path),
		.user = user, .user_len = (uint32_t)strlen(user),
		.time_of_day = clock_of(r->time),
		.weekday = (uint8_t)(r->wday ? r->wday - 1 : 3),
	};
}

static struct dpx_acl *table_build(struct dpx_acl_section **sp)
{
	char text[sizeof(table_acl) + 128], err[512];
	struct dpx_acl_section *s;

	write_file(list_path, table_list);
	snprintf(text, sizeof(text), table_acl, list_path);
	s = parse(text, err, sizeof(err));
	if (s == NULL)
		fprintf(stderr, "table ACL refused: %s\n", err);
	CHECK(s != NULL);
	*sp = s;
	return s ? dpx_acl_section_take(s, 0) : NULL;
}

static void test_table(void)
{
	struct dpx_acl_section *s;
	struct dpx_acl *acl = table_build(&s);
	struct dpx_acl_request rq;
	struct dpx_acl_result res;
	size_t i;

	if (acl == NULL)
		return;
	CHECK(sizeof(rows) / sizeof(rows[0]) >= 30);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		fill(&rq, r);
		dpx_acl_eval(acl, (unsigned int)i, &rq, &res);
		if (res.action != r->want || strcmp(res.rule_name, r->rule)) {
			fprintf(stderr, "row %zu \"%s\": got %s by %s, want "
				"%s by %s\n", i, r->what,
				dpx_acl_action_name(res.action),
				res.rule_name, dpx_acl_action_name(r->want),
				r->rule);
			CHECK(0);
		}
		CHECK_EQ(res.rule == DPX_ACL_RULE_DEFAULT,
			 !strcmp(r->rule, "default"));
	}
	dpx_acl_free(acl);
	dpx_acl_section_free(s);
}

/* Status, page, location, rule numbers and names. */
static void test_results(void)
{
	struct dpx_acl_section *s;
	struct dpx_acl *acl = table_build(&s);
	struct dpx_acl_request rq;
	struct dpx_acl_result res;

	if (acl == NULL)
		return;
	CHECK_EQ(dpx_acl_rule_count(acl), 12);
	CHECK(!strcmp(dpx_acl_rule_name(acl, 0), "bad-domain"));
	CHECK(!strcmp(dpx_acl_rule_name(acl, 10), "any-user-post"));
	CHECK(!strcmp(dpx_acl_rule_name(acl, DPX_ACL_RULE_DEFAULT),
		      "default"));
	CHECK(dpx_acl_rule_name(acl, 12) == NULL);
	CHECK(!strcmp(dpx_acl_name(acl), "t"));
	CHECK_EQ(dpx_acl_domain_count(acl), 5);
	CHECK(dpx_acl_section_take(s, 0) == NULL);

	fill(&rq, &(struct row){ .host = "old.example" });
	CHECK_EQ(dpx_acl_eval(acl, 0, &rq, &res), DPX_ACL_REDIRECT);
	CHECK_EQ(res.rule, 2);
	CHECK_EQ(res.status, 307);
	CHECK(res.location && !strcmp(res.location,
				      "https://portal.example/login"));
	fill(&rq, &(struct row){ .path = "/admin/x" });
	CHECK_EQ(dpx_acl_eval(acl, 1, &rq, &res), DENY);
	CHECK_EQ(res.status, 451);
	fill(&rq, &(struct row){ .host = "bad.example" });
	CHECK_EQ(dpx_acl_eval(acl, 0, &rq, &res), DENY);
	CHECK_EQ(res.status, 403);
	CHECK(res.body_len > 0 && res.body != NULL);
	if (res.body != NULL)
		CHECK(memmem(res.body, res.body_len, "Access denied", 13));
	fill(&rq, &(struct row){ .port = 8080 });
	CHECK_EQ(dpx_acl_eval(acl, 0, &rq, &res), DENY);
	CHECK_EQ(res.rule, DPX_ACL_RULE_DEFAULT);
	CHECK_EQ(res.status, 403);
	dpx_acl_free(acl);
	dpx_acl_section_free(s);
}

/* Default allow, a configured page, an ACL with no rules, UTC clock. */
static void test_defaults_and_pages(void)
{
	static const char text[] =
		"{\"open\": {\"default\": \"allow\", \"deny_status\": 403,"
		" \"deny_page\": \"<p>no</p>\", \"rules\": ["
		"  {\"action\": \"deny\", \"dst_domain\": \"x.example\"},"
		"  {\"action\": \"deny\", \"dst_domain\": \"y.example\","
		"   \"deny_status\": 410, \"deny_page\": \"gone\"}]},"
		" \"empty\": {}, \"lt\": {\"time\": \"local\"}}";
	struct dpx_acl_request rq;
	struct dpx_acl_result res;
	char err[512];
	struct dpx_acl_section *s = parse(text, err, sizeof(err));
	struct dpx_acl *open, *empty, *lt;
	uint32_t tod;
	uint8_t wday;

	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_EQ(dpx_acl_section_count(s), 3);
	CHECK_EQ(dpx_acl_section_find(s, "empty"), 1);
	CHECK_EQ(dpx_acl_section_find(s, "nope"), -1);
	open = dpx_acl_section_take(s, 0);
	empty = dpx_acl_section_take(s, 1);
	CHECK(!strcmp(dpx_acl_rule_name(open, 0), "rule0"));
	fill(&rq, &(struct row){ 0 });
	CHECK_EQ(dpx_acl_eval(open, 0, &rq, &res), ALLOW);
	CHECK_EQ(res.rule, DPX_ACL_RULE_DEFAULT);
	fill(&rq, &(struct row){ .host = "x.example" });
	CHECK_EQ(dpx_acl_eval(open, 0, &rq, &res), DENY);
	CHECK_EQ(res.body_len, 9);
	CHECK(res.body && !memcmp(res.body, "<p>no</p>", 9));
	fill(&rq, &(struct row){ .host = "y.example" });
	CHECK_EQ(dpx_acl_eval(open, 0, &rq, &res), DENY);
	CHECK_EQ(res.status, 410);
	CHECK(res.body_len == 4 && !memcmp(res.body, "gone", 4));
	CHECK_EQ(dpx_acl_eval(empty, 5, &rq, &res), DENY);
	CHECK_EQ(dpx_acl_rule_count(empty), 0);
	/* 1970-01-04 01:01:01 UTC was a Sunday */
	dpx_acl_clock(open, 86400 * 3 + 3661, &tod, &wday);
	CHECK_EQ(tod, 3661);
	CHECK_EQ(wday, 0);
	lt = dpx_acl_section_take(s, 2);
	setenv("TZ", "XYZ-23", 1);	/* 23 hours east of UTC */
	tzset();
	dpx_acl_clock(lt, 86400 * 3 + 3661, &tod, &wday);
	CHECK_EQ(tod, 3661 + 23 * 3600 - 86400);
	CHECK_EQ(wday, 1);
	unsetenv("TZ");
	tzset();
	dpx_acl_free(lt);
	dpx_acl_free(open);
	dpx_acl_free(empty);
	dpx_acl_section_free(s);
}

/* ---- 100,000 domains ---- */

#define BIG 100000

static void big_name(char *buf, size_t size, unsigned int i)
{
	snprintf(buf, size, "d%06u.blk%u.test", i, i % 97);
}

static void write_big_list(void)
{
	FILE *f = fopen(big_path, "w");
	char name[64];

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs("# generated\n", f);
	for (unsigned int i = 0; i < BIG; i++) {
		big_name(name, sizeof(name), i);
		/* every tenth a suffix entry */
		fprintf(f, "%s%s\n", i % 10 == 0 ? "." : "", name);
	}
	fclose(f);
}

/* CPU time: a busy machine does not make the load look slow. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#if defined(__SANITIZE_ADDRESS__)
#define LOAD_LIMIT_S 4.0	/* ASan and UBSan slow the loader down */
#else
#define LOAD_LIMIT_S 1.0
#endif

static bool blocked(const struct dpx_acl *acl, const char *host)
{
	struct dpx_acl_request rq = { .host = host,
				      .host_len = (uint32_t)strlen(host) };
	struct dpx_acl_result res;

	return dpx_acl_eval(acl, 0, &rq, &res) == DENY;
}

static void test_big_list(void)
{
	char text[256], err[512], name[80], sub[96];
	struct dpx_acl_section *s;
	struct dpx_acl *acl;
	unsigned int hits = 0, sub_hits = 0, misses = 0;
	double t0;

	write_big_list();
	snprintf(text, sizeof(text), "{\"big\": {\"default\": \"allow\", "
		 "\"rules\": [{\"action\": \"deny\", \"dst_domain_file\": "
		 "\"%s\"}]}}", big_path);
	t0 = now_s();
	s = parse(text, err, sizeof(err));
	t0 = now_s() - t0;
	CHECK(s != NULL);
	if (s == NULL)
		return;
	printf("100000 domains loaded in %.3f s\n", t0);
	CHECK(t0 < LOAD_LIMIT_S);
	acl = dpx_acl_section_take(s, 0);
	CHECK_EQ(dpx_acl_domain_count(acl), BIG);
	for (unsigned int i = 0; i < BIG; i++) {
		big_name(name, sizeof(name), i);
		hits += blocked(acl, name);
		snprintf(sub, sizeof(sub), "www.%s", name);
		sub_hits += blocked(acl, sub);
		snprintf(sub, sizeof(sub), "d%06u.blk%u.test", i, (i + 1) % 97);
		misses += !blocked(acl, sub);
	}
	CHECK_EQ(hits, BIG);
	CHECK_EQ(sub_hits, BIG / 10);	/* only the suffix entries */
	CHECK_EQ(misses, BIG);
	CHECK(!blocked(acl, "blk3.test"));
	CHECK(!blocked(acl, "test"));
	dpx_acl_free(acl);
	dpx_acl_section_free(s);
}

/* ---- Errors ---- */

struct bad {
	const char *json;
	const char *want;	/* in the message */
};

static const struct bad bads[] = {
	{ "[]", "expected an object of ACLs by name" },
	{ "{\"a b\": {}}", "may only contain letters" },
	{ "{\"a\": {\"defualt\": \"deny\"}}", "unknown key" },
	{ "{\"a\": {\"default\": \"redirect\"}}", "t.json:1:19: a.default: "
	  "\"allow\" or \"deny\"" },
	{ "{\"a\": {\"time\": \"cet\"}}", "a.time" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"src\": "
	  "\"198.18.0.1/24\"}]}}", "a.rules[0].src: \"198.18.0.1/24\" is not "
	  "an IPv4 network" },
	{ "{\"a\": {\"rules\": [{\"dst\": \"198.18.0.0/16\"}]}}",
	  "a.rules[0]: missing required key \"action\"" },
	{ "{\"a\": {\"rules\": [{\"action\": \"redirect\"}]}}",
	  "missing required key \"redirect\"" },
	{ "{\"a\": {\"rules\": [{\"action\": \"allow\", \"redirect\": "
	  "\"/x\"}]}}", "only with \"action\": \"redirect\"" },
	{ "{\"a\": {\"rules\": [{\"action\": \"redirect\", \"redirect\": "
	  "\"ftp://x\"}]}}", "expected an http:// or https:// URL" },
	{ "{\"a\": {\"rules\": [{\"action\": \"allow\", \"deny_status\": "
	  "403}]}}", "only with \"action\": \"deny\"" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"dst_domain\": "
	  "[\"a..b\"]}]}}", "a.rules[0].dst_domain[0]: \"a..b\" is not a "
	  "domain: empty label" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"dst_domain\": "
	  "\"a..\"}]}}", "\"a..\" is not a domain: empty label" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"dst_domain\": "
	  "[]}]}}", "1..4096 entries" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"dst_domain_file\": "
	  "\"/nonexistent/list.txt\"}]}}", "a.rules[0].dst_domain_file: "
	  "/nonexistent/list.txt: cannot read: No such file or directory" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"port\": "
	  "[0]}]}}", "a.rules[0].port[0]" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"time\": "
	  "\"08:00-08:00\"}]}}", "is empty" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"time\": "
	  "\"8-18\"}]}}", "is not a time range" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"time\": "
	  "\"08: 0-18:00\"}]}}", "is not a time range" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"port\": "
	  "[\" 80-90\"]}]}}", "a.rules[0].port[0]: expected a port" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"port\": "
	  "\"90-80\"}]}}", "a.rules[0].port: expected a port" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"src\": "
	  "[]}]}}", "a.rules[0].src: 1..4096 entries" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"time\": "
	  "\"08:00-24:01\"}]}}", "is not a time range" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"path_regex\": "
	  "[\"ok\", \"(unclosed\"]}]}}", "a.rules[0].path_regex[1]: "
	  "\"(unclosed\"" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"path_prefix\": "
	  "\"admin\"}]}}", "does not start with '/'" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"method\": "
	  "\"GE T\"}]}}", "is not a method" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"not\": "
	  "{\"action\": \"allow\"}}]}}", "a.rules[0].not.action: unknown key" },
	{ "{\"a\": {\"rules\": [{\"name\": \"x\", \"action\": \"deny\"}, "
	  "{\"name\": \"x\", \"action\": \"allow\"}]}}", "is also rule 0's" },
	{ "{\"a\": {\"deny_page\": \"x\", \"deny_page_file\": \"y\"}}",
	  "exclude each other" },
	{ "{\"a\": {\"deny_status\": 200}}", "a.deny_status" },
	{ "{\"a\": {\"rules\": [{\"action\": \"deny\", \"days\": "
	  "[\"mon-fry\"]}]}}", "a.rules[0].days[0]: \"mon-fry\" is not a "
	  "day" },
};

static void test_errors(void)
{
	char err[512];

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct dpx_acl_section *s = parse(bads[i].json, err,
						  sizeof(err));

		CHECK(s == NULL);
		dpx_acl_section_free(s);
		CHECK_STR_CONTAINS(err, bads[i].want);
	}
}

/* A bad line in a list names the list's file and line. */
static void test_list_errors(void)
{
	char text[256], err[512], want[320];
	struct dpx_acl_section *s;

	write_file(list_path, "ok.example\n# fine\n\n0.0.0.0 ads.example\n");
	snprintf(text, sizeof(text), "{\"a\": {\"rules\": [{\"action\": "
		 "\"deny\", \"dst_domain_file\": [\"%s\"]}]}}", list_path);
	s = parse(text, err, sizeof(err));
	CHECK(s == NULL);
	snprintf(want, sizeof(want), "a.rules[0].dst_domain_file[0]: %s:4: "
		 "\"0.0.0.0 ads.example\" is not a domain: one domain per "
		 "line", list_path);
	CHECK_STR_CONTAINS(err, want);
	write_file(list_path, "ok.example\nb\xc3\xa4" "d.example\n");
	s = parse(text, err, sizeof(err));
	CHECK(s == NULL);
	snprintf(want, sizeof(want), "%s:2: ", list_path);
	CHECK_STR_CONTAINS(err, want);
	/* an empty list is a list (fuzz_acl_domains found its memcpy) */
	write_file(list_path, "");
	s = parse(text, err, sizeof(err));
	CHECK(s != NULL);
	if (s != NULL) {
		struct dpx_acl *acl = dpx_acl_section_take(s, 0);
		struct dpx_acl_request rq = { .host = "ok.example",
					      .host_len = 10 };
		struct dpx_acl_result res;

		CHECK_EQ(dpx_acl_domain_count(acl), 0);
		dpx_acl_eval(acl, 0, &rq, &res);
		CHECK_EQ(res.rule, DPX_ACL_RULE_DEFAULT);
		dpx_acl_free(acl);
		dpx_acl_section_free(s);
	}
}

/* ---- Reload under load ---- */

#define READERS 2
#define RELOADS 40

struct reader {
	pthread_t tid;
	_Atomic uint64_t quiescent;	/* evaluations done */
	uint64_t wrong;
};

static _Atomic(struct dpx_acl *) live;
static atomic_bool stop;
static struct reader readers[READERS];

/* Every version of the list blocks keep.example and lets the changing
 * names through or not; a wrong answer on keep.example or a crash (ASan)
 * is a failed request. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	while (!atomic_load(&stop)) {
		const struct dpx_acl *acl = atomic_load(&live);

		if (!blocked(acl, "keep.example") ||
		    blocked(acl, "never.example"))
			r->wrong++;
		atomic_fetch_add(&r->quiescent, 1);
	}
	return NULL;
}

/* Wait until every reader finished an evaluation started after the swap
 * (what rte_rcu_qsbr_synchronize does for the proxy). */
static void synchronize(void)
{
	uint64_t seen[READERS];

	for (int i = 0; i < READERS; i++)
		seen[i] = atomic_load(&readers[i].quiescent);
	for (int i = 0; i < READERS; i++)
		while (atomic_load(&readers[i].quiescent) < seen[i] + 2)
			sched_yield();
}

static void test_reload_under_load(void)
{
	char text[256], err[512], list[256];
	struct dpx_acl_section *s;
	struct dpx_acl *acl;
	uint64_t wrong = 0, evals = 0;
	int reloads = 0;

	write_file(list_path, "keep.example\n.v0.example\n");
	snprintf(text, sizeof(text), "{\"r\": {\"default\": \"allow\", "
		 "\"rules\": [{\"action\": \"deny\", \"dst_domain_file\": "
		 "\"%s\"}]}}", list_path);
	s = parse(text, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	atomic_store(&live, dpx_acl_section_take(s, 0));
	atomic_store(&stop, false);
	for (int i = 0; i < READERS; i++)
		pthread_create(&readers[i].tid, NULL, reader_main, &readers[i]);
	for (int n = 1; n <= RELOADS; n++) {
		struct dpx_acl *old;

		snprintf(list, sizeof(list), "keep.example\n.v%d.example\n", n);
		/* every fifth reload finds a broken list: the old rule set
		 * stays */
		write_file(list_path, n % 5 ? list : "keep.example\nb d\n");
		acl = dpx_acl_section_build(s, 0, err, sizeof(err));
		if (n % 5 == 0) {
			CHECK(acl == NULL);
			CHECK_STR_CONTAINS(err, ":2: \"b d\" is not a domain");
			continue;
		}
		CHECK(acl != NULL);
		if (acl == NULL)
			break;
		snprintf(list, sizeof(list), "x.v%d.example", n);
		CHECK(blocked(acl, list));
		old = atomic_exchange(&live, acl);
		synchronize();
		dpx_acl_free(old);
		reloads++;
	}
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++) {
		pthread_join(readers[i].tid, NULL);
		wrong += readers[i].wrong;
		evals += readers[i].quiescent;
	}
	acl = atomic_load(&live);
	snprintf(list, sizeof(list), "x.v%d.example", RELOADS - 1);
	CHECK(blocked(acl, list));
	CHECK(!blocked(acl, "x.v1.example"));
	printf("%d reloads under %llu evaluations, %llu wrong\n", reloads,
	       (unsigned long long)evals, (unsigned long long)wrong);
	CHECK_EQ(reloads, RELOADS - RELOADS / 5);
	CHECK_EQ(wrong, 0);
	CHECK(evals > 0);
	dpx_acl_free(acl);
	dpx_acl_section_free(s);
}

int main(void)
{
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_acl.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(list_path, sizeof(list_path), "%s/list.txt", tmpdir);
	snprintf(big_path, sizeof(big_path), "%s/big.txt", tmpdir);
	RUN_TEST(test_table);
	RUN_TEST(test_results);
	RUN_TEST(test_defaults_and_pages);
	RUN_TEST(test_big_list);
	RUN_TEST(test_errors);
	RUN_TEST(test_list_errors);
	RUN_TEST(test_reload_under_load);
	rc = TEST_SUMMARY();
	unlink(list_path);
	unlink(big_path);
	rmdir(tmpdir);
	return rc;
}
