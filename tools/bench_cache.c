/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/cache micro-benchmark: (1) hit ratio of SIEVE, S3-FIFO and LRU on a
 * Zipf trace and on the same trace with a scan of one-hit wonders mixed
 * in, at cache sizes of 1%, 5% and 10% of the working set (every miss
 * stores the object, as a proxy would); (2) TSC cycles per hit (key hash,
 * lookup, put) with one and two reader threads.
 * Usage: bench_cache [objects] [requests] [alpha]
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dpx_cache.h"

#define OBJ_BODY 1000
#define KEY_LEN 24

static struct rte_rcu_qsbr *qs;
static char (*keys)[KEY_LEN];     /* "obj<i>", built once */
static unsigned int n_made;

/* xorshift64*: reproducible traces. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static double *
zipf_cdf(uint32_t n, double alpha)
{
	double *cdf = malloc(n * sizeof(*cdf)), sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum += 1.0 / pow(i + 1, alpha);
	for (uint32_t i = 0; i < n; i++)
		cdf[i] = (i ? cdf[i - 1] : 0) + 1.0 / pow(i + 1, alpha) / sum;
	return cdf;
}

static uint32_t
zipf_pick(const double *cdf, uint32_t n, uint64_t *s)
{
	double u = (double)(rnd(s) >> 11) / (double)(1ull << 53);
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct dpx_cache *
mk(enum dpx_cache_policy p, uint64_t budget, uint32_t entries,
   unsigned int threads)
{
	struct dpx_cache_conf conf;
	char name[16];

	snprintf(name, sizeof(name), "bc%u", n_made++);
	dpx_cache_conf_defaults(&conf);
	conf.name = name;
	conf.policy = p;
	conf.budget_bytes = budget;
	conf.max_object_bytes = RTE_MIN(budget, (uint64_t)64 * 1024);
	conf.max_entries = entries;
	conf.qsbr = qs;
	conf.n_threads = threads;
	return dpx_cache_create(&conf);
}

static int
fill(struct dpx_cache *c, const char *key)
{
	static char body[OBJ_BODY];
	struct dpx_cache_key k;
	struct dpx_cache_obj_args a = { .key = &k, .host = "h", .host_len = 1,
					.path = key,
					.path_len = (uint32_t)strlen(key),
					.head = "HTTP/1.1 200 OK\r\n\r\n",
					.head_len = 19 };
	struct dpx_cache_obj *o;
	int rc;

	dpx_cache_key_init(c, &k, key, (uint32_t)strlen(key));
	if (dpx_cache_obj_new(c, 0, &a, &o) != 0)
		return -1;
	rc = dpx_cache_obj_append(c, 0, o, body, sizeof(body));
	if (rc == 0)
		rc = dpx_cache_insert(c, 0, o);
	dpx_cache_obj_put(o);
	return rc;
}

/* One request: a hit, or a miss that stores the object. */
static bool
request(struct dpx_cache *c, const char *key)
{
	struct dpx_cache_key k;
	struct dpx_cache_obj *o;

	dpx_cache_key_init(c, &k, key, (uint32_t)strlen(key));
	o = dpx_cache_lookup(c, 0, &k, "", 0);
	if (o != NULL) {
		dpx_cache_obj_put(o);
		return true;
	}
	fill(c, key);
	return false;
}

/* The budget that holds `count` objects of the benchmark's shape. */
static uint64_t
obj_charge(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 64, 1);
	struct dpx_cache_stats s;

	fill(c, "obj0000000");
	dpx_cache_stats(c, &s);
	dpx_cache_free(c);
	return s.bytes;
}

static double
hit_ratio(enum dpx_cache_policy p, uint32_t n, uint64_t reqs,
	  const double *cdf, double pct, bool scan, uint64_t charge)
{
	uint64_t budget = (uint64_t)(n * pct / 100.0) * charge;
	struct dpx_cache *c = mk(p, budget, n, 1);
	uint64_t s = 0x1234567, hits = 0, counted = 0, scan_id = 0;
	char key[KEY_LEN];

	if (c == NULL)
		return -1;
	for (uint64_t i = 0; i < reqs; i++) {
		/* One request in three is a never-repeated scan. */
		bool is_scan = scan && rnd(&s) % 3 == 0;

		if (is_scan)
			snprintf(key, sizeof(key), "scan%llu",
				 (unsigned long long)scan_id++);
		else
			memcpy(key, keys[zipf_pick(cdf, n, &s)], KEY_LEN);
		if (request(c, key) && !is_scan)
			hits++;
		counted += !is_scan;
		rte_rcu_qsbr_quiescent(qs, 0);
	}
	dpx_cache_free(c);
	return 100.0 * hits / counted;
}

/* ---------------------------------------------------------------------- */

struct looker {
	struct dpx_cache *c;
	unsigned int tid;
	uint32_t n;
	uint64_t iters;
	uint64_t cycles;
	uint64_t hits;
	volatile bool *go;
};

static void *
look(void *arg)
{
	struct looker *l = arg;
	uint64_t s = 0x9e3779b9 + l->tid, t0 = 0;

	if (l->tid > 0) {
		rte_rcu_qsbr_thread_register(qs, l->tid);
		rte_rcu_qsbr_thread_online(qs, l->tid);
	}
	while (!*l->go)
		;
	/* The first half warms caches and TLBs; the second is timed. */
	for (uint64_t i = 0; i < 2 * l->iters; i++) {
		struct dpx_cache_key k;
		struct dpx_cache_obj *o;
		const char *key = keys[rnd(&s) % l->n];

		if (i == l->iters)
			t0 = rte_rdtsc();
		dpx_cache_key_init(l->c, &k, key, (uint32_t)strlen(key));
		o = dpx_cache_lookup(l->c, l->tid, &k, "", 0);
		l->hits += o != NULL;
		dpx_cache_obj_put(o);
		if ((i & 63) == 0)
			rte_rcu_qsbr_quiescent(qs, l->tid);
	}
	l->cycles = rte_rdtsc() - t0;
	l->hits /= 2;
	if (l->tid > 0) {
		rte_rcu_qsbr_thread_offline(qs, l->tid);
		rte_rcu_qsbr_thread_unregister(qs, l->tid);
	}
	return NULL;
}

/* Cycles per hit: key hash, lookup, put. */
static double
hit_cycles(enum dpx_cache_policy p, unsigned int threads, uint64_t iters)
{
	const uint32_t n = 10000;
	struct dpx_cache *c = mk(p, (uint64_t)n * 4096, n, 2);
	struct looker l[2];
	volatile bool go = false;
	pthread_t t;
	double per;

	for (uint32_t i = 0; i < n; i++)
		fill(c, keys[i]);
	for (unsigned int i = 0; i < threads && i < RTE_DIM(l); i++)
		l[i] = (struct looker){ .c = c, .tid = i, .n = n,
					.iters = iters, .go = &go };
	if (threads > 1)
		pthread_create(&t, NULL, look, &l[1]);
	go = true;
	look(&l[0]);
	if (threads > 1)
		pthread_join(t, NULL);
	per = (double)l[0].cycles / iters;
	if (threads > 1)
		per = (per + (double)l[1].cycles / iters) / 2;
	if (l[0].hits != iters || (threads > 1 && l[1].hits != iters))
		printf("  (only %llu hits)\n", (unsigned long long)l[0].hits);
	rte_rcu_qsbr_quiescent(qs, 0);
	dpx_cache_free(c);
	return per;
}

/* The least of three runs: the CPUs are shared, interference only adds. */
static double
hit_cycles_min(enum dpx_cache_policy p, unsigned int threads)
{
	double best = hit_cycles(p, threads, 200000);

	for (int i = 0; i < 2; i++)
		best = RTE_MIN(best, hit_cycles(p, threads, 200000));
	return best;
}

int
main(int argc, char **argv)
{
	char *eal[] = { "bench_cache", "--no-huge", "--no-pci", "--no-shconf",
			"--no-telemetry", "-m", "512", "-l", "0",
			"--log-level", "*:error" };
	uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 10000;
	uint64_t reqs = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;
	double alpha = argc > 3 ? atof(argv[3]) : 0.9;
	const double pcts[] = { 1, 5, 10 };
	double hr[2][3][3], cyc[3][2];
	uint64_t charge;
	double *cdf;

	if (rte_eal_init(RTE_DIM(eal), eal) < 0)
		return 1;
	qs = rte_zmalloc("bq", rte_rcu_qsbr_get_memsize(2), 64);
	if (qs == NULL || rte_rcu_qsbr_init(qs, 2) != 0)
		return 1;
	rte_rcu_qsbr_thread_register(qs, 0);
	rte_rcu_qsbr_thread_online(qs, 0);
	cdf = zipf_cdf(n, alpha);
	keys = calloc(RTE_MAX(n, 10000u), KEY_LEN);
	if (cdf == NULL || keys == NULL)
		return 1;
	for (uint32_t i = 0; i < RTE_MAX(n, 10000u); i++)
		snprintf(keys[i], KEY_LEN, "obj%u", i);
	charge = obj_charge();
	printf("cache store: %u objects of %d body bytes (%llu bytes charged "
	       "each), %llu requests, Zipf alpha %.2f\n", n, OBJ_BODY,
	       (unsigned long long)charge, (unsigned long long)reqs, alpha);
	printf("hit ratio %%      size   sieve  s3fifo     lru\n");
	for (int sc = 0; sc < 2; sc++)
		for (int i = 0; i < 3; i++) {
			for (int p = 0; p < 3; p++)
				hr[sc][i][p] = hit_ratio(p, n, reqs, cdf,
							 pcts[i], sc, charge);
			printf("%-15s %4.0f%%  %6.2f  %6.2f  %6.2f\n",
			       sc ? "zipf+scan 1/3" : "zipf", pcts[i],
			       hr[sc][i][0], hr[sc][i][1], hr[sc][i][2]);
		}
	printf("cycles per hit: key hash + lookup + put, least of 3 runs "
	       "(TSC %.2f GHz)\n",
	       rte_get_tsc_hz() / 1e9);
	printf("threads   sieve  s3fifo     lru\n");
	for (unsigned int th = 1; th <= 2; th++) {
		for (int p = 0; p < 3; p++)
			cyc[p][th - 1] = hit_cycles_min(p, th);
		printf("%7u  %6.0f  %6.0f  %6.0f\n", th, cyc[0][th - 1],
		       cyc[1][th - 1], cyc[2][th - 1]);
	}
	printf("BENCH cache zipf%.1f_5pct sieve=%.2f s3fifo=%.2f lru=%.2f "
	       "scan_5pct sieve=%.2f s3fifo=%.2f lru=%.2f "
	       "hit_cycles_1t sieve=%.0f lru=%.0f hit_cycles_2t sieve=%.0f "
	       "lru=%.0f\n", alpha, hr[0][1][0], hr[0][1][1], hr[0][1][2],
	       hr[1][1][0], hr[1][1][1], hr[1][1][2], cyc[0][0], cyc[2][0],
	       cyc[0][1], cyc[2][1]);
	free(cdf);
	free(keys);
	rte_rcu_qsbr_thread_offline(qs, 0);
	rte_free(qs);
	rte_eal_cleanup();
	return 0;
}
