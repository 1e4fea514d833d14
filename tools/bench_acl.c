/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/acl micro-benchmark: a block list of 1k, 10k, 100k and 1M generated
 * domains (a tenth of them ".suffix" entries) is loaded from a file, then
 * names are looked up in random order through dpx_acl_eval(): listed
 * names, subdomains of listed names, and names not listed, a third each.
 * Prints load time, then ns per lookup and lookups per second over 65536
 * distinct names, and ns per lookup over 1024 of them ("hot": the slots
 * they touch stay in the CPU caches). The hot column is the algorithm:
 * flat, O(1), while the list grows a thousandfold; the other adds the
 * cache misses of a table that outgrows the caches (24 MB of slots and
 * 20 MB of names at 1M). Times
 * are the thread's CPU time, so that other processes on a shared machine
 * do not count.
 * Usage: bench_acl [lookups]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dpx_acl.h"
#include "dpx_config_kit.h"

#define QUERIES 65536	/* distinct names, a power of two */
#define NAME_MAX_LEN 48

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: reproducible names and order. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void domain(char *buf, size_t size, uint64_t i)
{
	snprintf(buf, size, "host%llu.zone%llu.example",
		 (unsigned long long)i, (unsigned long long)(i % 1009));
}

static int write_list(const char *path, unsigned int n)
{
	FILE *f = fopen(path, "w");
	char name[NAME_MAX_LEN];

	if (f == NULL)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		domain(name, sizeof(name), i);
		fprintf(f, "%s%s\n", i % 10 == 0 ? "." : "", name);
	}
	return fclose(f);
}

/* ns per lookup of lookups names taken in order from the first n. */
static double run(const struct dpx_acl *acl, char (*q)[NAME_MAX_LEN],
		  const uint32_t *len, unsigned int n, unsigned long lookups,
		  unsigned long *denied)
{
	struct dpx_acl_request rq = { 0 };
	struct dpx_acl_result res;
	double t = now_s();

	*denied = 0;
	for (unsigned long i = 0; i < lookups; i++) {
		/* in order: the names are random already, and a proxy has
		 * the host it just parsed in its cache */
		unsigned int k = (unsigned int)i & (n - 1);

		rq.host = q[k];
		rq.host_len = len[k];
		*denied += dpx_acl_eval(acl, 0, &rq, &res) == DPX_ACL_DENY;
	}
	return (now_s() - t) * 1e9 / (double)lookups;
}

static struct dpx_acl *compile(const char *text, double *secs)
{
	char err[DPX_ERR_LEN];
	struct cfg_ctx c = { .name = "bench", .err = err,
			     .errlen = sizeof(err) };
	struct dpx_acl_section *s;
	struct dpx_acl *acl;
	json_t *root;
	void *out;

	c.text = text;
	c.len = strlen(text);
	root = json_loads(text, 0, NULL);
	*secs = now_s();
	if (root == NULL || dpx_acl_section_parse(&c, root, 1, &out) != 0) {
		fprintf(stderr, "bench_acl: %s\n", err);
		json_decref(root);
		return NULL;
	}
	*secs = now_s() - *secs;
	json_decref(root);
	s = out;
	acl = dpx_acl_section_take(s, 0);
	dpx_acl_section_free(s);
	return acl;
}

static struct dpx_acl *load(const char *path, double *secs)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"b\": {\"default\": \"allow\", "
		 "\"rules\": [{\"action\": \"deny\", \"dst_domain_file\": "
		 "\"%s\"}]}}", path);
	return compile(text, secs);
}

/* What a path_regex matcher costs next to a path_prefix one. */
static void path_costs(unsigned long lookups)
{
	static const char *const rules[] = {
		"\"path_prefix\": [\"/downloads/\", \"/private/\"]",
		"\"path_regex\": \"\\\\.(exe|msi)$\"",
	};
	static const char path[] = "/static/js/app.min.js?v=20261201";
	struct dpx_acl_request rq = { .path = path,
				      .path_len = sizeof(path) - 1 };
	struct dpx_acl_result res;
	char text[256];

	for (size_t r = 0; r < 2; r++) {
		struct dpx_acl *acl;
		double t;

		snprintf(text, sizeof(text), "{\"p\": {\"default\": "
			 "\"allow\", \"rules\": [{\"action\": \"deny\", "
			 "%s}]}}", rules[r]);
		acl = compile(text, &t);
		if (acl == NULL)
			return;
		t = now_s();
		for (unsigned long i = 0; i < lookups / 10; i++)
			dpx_acl_eval(acl, 0, &rq, &res);
		t = now_s() - t;
		printf("%-44s %8.1f ns/request\n", rules[r],
		       t * 1e9 / (double)(lookups / 10));
		dpx_acl_free(acl);
	}
}

/* A third listed names, a third their subdomains, a third unlisted. */
static void make_queries(char (*q)[NAME_MAX_LEN], unsigned int n,
			 uint64_t *seed)
{
	char name[NAME_MAX_LEN];

	for (unsigned int i = 0; i < QUERIES; i++) {
		uint64_t k = rnd(seed) % n;

		domain(name, sizeof(name), k);
		switch (i % 3) {
		case 0:
			snprintf(q[i], NAME_MAX_LEN, "%s", name);
			break;
		case 1:
			snprintf(q[i], NAME_MAX_LEN, "www.%.40s", name);
			break;
		default:
			domain(q[i], NAME_MAX_LEN, k + n);
			break;
		}
	}
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1000, 10000, 100000, 1000000 };
	unsigned long lookups = argc > 1 ? strtoul(argv[1], NULL, 10) : 4000000;
	char (*q)[NAME_MAX_LEN] = malloc(QUERIES * NAME_MAX_LEN);
	uint32_t *len = malloc(QUERIES * sizeof(*len));
	char dir[] = "/tmp/bench_acl.XXXXXX", path[64];
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	if (q == NULL || len == NULL || mkdtemp(dir) == NULL) {
		perror("bench_acl");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/list.txt", dir);
	printf("%9s %9s %9s %10s %12s %8s %9s\n", "domains", "loaded",
	       "load ms", "ns/lookup", "lookups/s", "denied", "ns (hot)");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned long denied, hot_denied;
		struct dpx_acl *acl;
		double load_s, ns, hot;

		if (write_list(path, sizes[s]) != 0 ||
		    (acl = load(path, &load_s)) == NULL)
			return 1;
		make_queries(q, sizes[s], &seed);
		for (unsigned int i = 0; i < QUERIES; i++)
			len[i] = (uint32_t)strlen(q[i]);
		ns = run(acl, q, len, QUERIES, lookups, &denied);
		hot = run(acl, q, len, 1024, lookups, &hot_denied);
		printf("%9u %9zu %9.1f %10.1f %12.0f %7.1f%% %9.1f\n",
		       sizes[s], dpx_acl_domain_count(acl), load_s * 1e3, ns,
		       1e9 / ns, 100.0 * (double)denied / (double)lookups,
		       hot);
		dpx_acl_free(acl);
	}
	path_costs(lookups);
	unlink(path);
	rmdir(dir);
	free(q);
	free(len);
	return 0;
}
