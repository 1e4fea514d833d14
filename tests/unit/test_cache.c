/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/cache: insert and lookup (head, metadata and body
 * bytes), body clones outliving their object, variants and their bound,
 * purge, bans, budget eviction under each policy, bad input, references
 * held across eviction, request collapsing (commit, abort, abandoned
 * fills), and a reader thread hammering lookups while the main thread
 * inserts and evicts. Every case ends with no mbuf left in use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dpx_cache.h"
#include "dpx_net.h"
#include "dpx_test.h"
#include "test_eal.h"

#define N_THREADS 2
#define SEG 512

static struct rte_rcu_qsbr *qs;
static struct rte_mempool *mp;         /* the "sender's" pool, for clones */
static unsigned int n_made;
static const char head[] = "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n\r\n";

static const char *policy_name[] = { "sieve", "s3fifo", "lru" };

static struct dpx_cache *
mk(enum dpx_cache_policy policy, uint64_t budget, uint32_t timeout_ms)
{
	struct dpx_cache_conf conf;
	char name[16];
	struct dpx_cache *c;

	snprintf(name, sizeof(name), "tc%u", n_made++);
	dpx_cache_conf_defaults(&conf);
	conf.name = name;
	conf.policy = policy;
	conf.budget_bytes = budget;
	conf.max_object_bytes = RTE_MIN(budget, (uint64_t)64 * 1024);
	conf.max_entries = 1024;
	conf.max_key_len = 256;
	conf.seg_size = SEG;
	conf.fill_slots = 64;
	conf.fill_timeout_ms = timeout_ms;
	conf.qsbr = qs;
	conf.n_threads = N_THREADS;
	c = dpx_cache_create(&conf);
	if (c == NULL)
		fprintf(stderr, "dpx_cache_create: %s\n",
			rte_strerror(rte_errno));
	CHECK(c != NULL);
	return c;
}

/* Lets retired items go: thread 0 is the only one online here. */
static void
quiesce(struct dpx_cache *c)
{
	rte_rcu_qsbr_quiescent(qs, 0);
	dpx_cache_reclaim(c, 100000);
}

/* Frees the store; every body mbuf must be back in its pool, and every
 * clone in the sender's. */
static void
done(struct dpx_cache *c)
{
	quiesce(c);
	dpx_cache_free(c);
	CHECK_EQ(rte_mempool_in_use_count(mp), 0);
}

static uint8_t
pat(uint32_t seed, uint64_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static struct dpx_cache_obj *
build(struct dpx_cache *c, unsigned int tid, const char *key,
      const char *vary, const char *host, const char *path,
      uint32_t body_len, uint32_t seed)
{
	struct dpx_cache_meta meta = { .status = 200, .etag_off = 23,
				       .etag_len = 4, .freshness_lifetime = 60 };
	struct dpx_cache_key k;
	struct dpx_cache_obj_args a = {
		.key = &k, .vary = vary, .vary_len = (uint32_t)strlen(vary),
		.host = host, .host_len = (uint32_t)strlen(host),
		.path = path, .path_len = (uint32_t)strlen(path),
		.head = head, .head_len = sizeof(head) - 1, .meta = &meta,
	};
	struct dpx_cache_obj *o;
	uint8_t buf[1000];

	dpx_cache_key_init(c, &k, key, (uint32_t)strlen(key));
	if (dpx_cache_obj_new(c, tid, &a, &o) != 0)
		return NULL;
	/* Appended in uneven pieces, across segment boundaries. */
	for (uint32_t off = 0; off < body_len;) {
		uint32_t n = RTE_MIN(body_len - off, (uint32_t)sizeof(buf) -
				     (off % 7) * 100);

		for (uint32_t i = 0; i < n; i++)
			buf[i] = pat(seed, off + i);
		if (dpx_cache_obj_append(c, tid, o, buf, n) != 0) {
			dpx_cache_obj_put(o);
			return NULL;
		}
		off += n;
	}
	return o;
}

static int
store(struct dpx_cache *c, const char *key, const char *vary,
      const char *host, const char *path, uint32_t body_len, uint32_t seed)
{
	struct dpx_cache_obj *o = build(c, 0, key, vary, host, path, body_len,
					seed);
	int rc;

	if (o == NULL)
		return -ENOMEM;
	rc = dpx_cache_insert(c, 0, o);
	dpx_cache_obj_put(o);
	return rc;
}

static struct dpx_cache_obj *
get(struct dpx_cache *c, unsigned int tid, const char *key, const char *vary)
{
	struct dpx_cache_key k;

	dpx_cache_key_init(c, &k, key, (uint32_t)strlen(key));
	return dpx_cache_lookup(c, tid, &k, vary, (uint32_t)strlen(vary));
}

static bool
has(struct dpx_cache *c, const char *key, const char *vary)
{
	struct dpx_cache_obj *o = get(c, 0, key, vary);

	dpx_cache_obj_put(o);
	return o != NULL;
}

/* The bytes of chain m, which start at body offset first, checked
 * against the pattern; their count, or -1. */
static int64_t
range_check(const struct rte_mbuf *m, uint32_t seed, uint64_t first)
{
	uint64_t off = first;

	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		if (m->nb_segs != 1 || m->pkt_len != m->data_len)
			return -1;
		for (uint32_t i = 0; i < m->data_len; i++)
			if (p[i] != pat(seed, off + i))
				return -1;
		off += m->data_len;
	}
	return (int64_t)(off - first);
}

static int64_t
chain_check(const struct rte_mbuf *m, uint32_t seed)
{
	return range_check(m, seed, 0);
}

static int64_t
body_check(const struct dpx_cache_obj *o, uint32_t seed)
{
	struct rte_mbuf *m = dpx_cache_body_clone(o, mp);
	int64_t n = chain_check(m, seed);

	rte_pktmbuf_free(m);
	return n;
}

/* ---------------------------------------------------------------------- */

static void
test_insert_lookup(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_stats s;
	struct dpx_cache_obj *o;
	const char *h;
	uint32_t hl;

	CHECK_EQ(store(c, "GET http a.com /x", "", "a.com", "/x", 3000, 1), 0);
	o = get(c, 0, "GET http a.com /x", "");
	CHECK(o != NULL);
	if (o != NULL) {
		h = dpx_cache_obj_head(o, &hl);
		CHECK_EQ(hl, sizeof(head) - 1);
		CHECK(memcmp(h, head, hl) == 0);
		CHECK_EQ(dpx_cache_obj_meta(o)->status, 200);
		CHECK(memcmp(h + dpx_cache_obj_meta(o)->etag_off, "\"v1\"",
			     4) == 0);
		CHECK_EQ(dpx_cache_obj_body_len(o), 3000);
		CHECK_EQ(body_check(o, 1), 3000);
		dpx_cache_obj_put(o);
	}
	CHECK(!has(c, "GET http a.com /y", ""));
	CHECK(!has(c, "GET http a.com /x ", ""));    /* full key compare */
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.hits, 1);
	CHECK_EQ(s.misses, 2);
	CHECK_EQ(s.stored, 1);
	CHECK_EQ(s.objects, 1);
	CHECK_EQ(s.keys, 1);
	CHECK_EQ(s.mbufs_in_use, (3000 + SEG - 1) / SEG);
	CHECK(s.bytes >= 3000 + sizeof(head) && s.bytes < 3000 + 8 * SEG);
	done(c);
}

/* A head known after the body: the new object has it, o's body (no
 * copy, the same stored bytes), o's key and variant; o keeps nothing. */
static void
test_rehead(void)
{
	static const char h2[] = "HTTP/1.1 200 OK\r\nContent-Length: 62000\r\n\r\n";
	static char h_big[4000];
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_meta m = { .status = 200, .content_length = 62000 };
	struct dpx_cache_obj *o = build(c, 0, "GET http a.com /r", "v=1",
					"a.com", "/r", 62000, 4);
	struct dpx_cache_obj *n = NULL, *big = NULL, *got;
	struct dpx_cache_stats s;
	uint64_t bytes1;
	const char *h;
	uint32_t hl;

	CHECK(o != NULL);
	if (o == NULL)
		return;
	/* head and body over max_object_bytes (64 KiB): refused, o intact */
	memset(h_big, 'x', sizeof(h_big));
	CHECK_EQ(dpx_cache_obj_rehead(c, 0, o, h_big, sizeof(h_big), &m, &big),
		 -EFBIG);
	CHECK(big == NULL);
	CHECK_EQ(dpx_cache_obj_body_len(o), 62000);
	CHECK_EQ(dpx_cache_obj_rehead(c, 0, o, h2, sizeof(h2) - 1, &m, &n), 0);
	CHECK(n != NULL);
	CHECK_EQ(dpx_cache_obj_body_len(o), 0);
	CHECK(dpx_cache_body_clone(o, mp) == NULL);
	dpx_cache_obj_put(o);
	if (n == NULL) {
		done(c);
		return;
	}
	CHECK_EQ(dpx_cache_insert(c, 0, n), 0);
	/* published: no second rehead */
	CHECK_EQ(dpx_cache_obj_rehead(c, 0, n, h2, 4, &m, &big), -EINVAL);
	dpx_cache_obj_put(n);
	got = get(c, 0, "GET http a.com /r", "v=1");
	CHECK(got != NULL);
	if (got != NULL) {
		h = dpx_cache_obj_head(got, &hl);
		CHECK(hl == sizeof(h2) - 1 && memcmp(h, h2, hl) == 0);
		CHECK_EQ(dpx_cache_obj_meta(got)->content_length, 62000);
		CHECK_EQ(body_check(got, 4), 62000);
		dpx_cache_obj_put(got);
	}
	CHECK(!has(c, "GET http a.com /r", ""));
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.objects, 1);
	CHECK_EQ(s.mbufs_in_use, (62000 + SEG - 1) / SEG);
	CHECK_EQ(s.fail[DPX_CACHE_FAIL_TOO_BIG], 1);
	/* charged as the same object built the ordinary way would be: an
	 * ordinary one of the same sizes but its head adds that much more */
	bytes1 = s.bytes;
	CHECK_EQ(store(c, "GET http a.com /p", "v=1", "a.com", "/p", 62000, 4),
		 0);
	dpx_cache_stats(c, &s);
	CHECK_EQ((int64_t)(s.bytes - bytes1) - (int64_t)bytes1,
		 (int64_t)sizeof(head) - (int64_t)sizeof(h2));
	done(c);
}

static void
test_current_age(void)
{
	struct dpx_cache_meta m = { .request_time = 1000,
				    .response_time = 1002, .date_value = 995,
				    .age_value = 3 };

	/* apparent 7, corrected 3 + 2 = 5: 7, plus 10 resident. */
	CHECK_EQ(dpx_cache_current_age(&m, 1012), 17);
	m.date_value = 1010;    /* clock skew: apparent age clamps to 0 */
	CHECK_EQ(dpx_cache_current_age(&m, 1012), 15);
}

static void
test_clone_outlives(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_key k;
	struct dpx_cache_obj *o;
	struct rte_mbuf *m;

	CHECK_EQ(store(c, "k", "", "h", "/", 5000, 9), 0);
	o = get(c, 0, "k", "");
	CHECK(o != NULL);
	if (o == NULL)
		return;
	m = dpx_cache_body_clone(o, mp);
	CHECK(m != NULL && m->next != NULL);
	CHECK(RTE_MBUF_CLONED(m));
	dpx_cache_key_init(c, &k, "k", 1);
	CHECK_EQ(dpx_cache_purge(c, 0, &k), 1);
	dpx_cache_obj_put(o);
	quiesce(c);             /* the object is gone now ... */
	CHECK_EQ(chain_check(m, 9), 5000);  /* ... its bytes are not */
	CHECK_EQ(rte_mempool_in_use_count(mp), (5000 + SEG - 1) / SEG);
	rte_pktmbuf_free(m);
	struct dpx_cache_stats s;
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.mbufs_in_use, 0);
	CHECK_EQ(s.objects, 0);
	CHECK_EQ(s.bytes, 0);
	done(c);
}

/* Ranges reference only the segments that hold them, at segment edges
 * too; a whole segment's clone carries the sum taken at insert, a cut
 * one none (TCP sums it). */
static void
test_clone_range(void)
{
	static const struct { uint64_t first, last; } r[] = {
		{ 0, 0 }, { 0, SEG - 1 }, { SEG - 1, SEG }, { 100, 4999 },
		{ 4999, 4999 }, { 1000, 1999 }, { 0, 4999 }, { SEG, 2 * SEG - 1 },
	};
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_obj *o;
	struct rte_mbuf *m;
	uint16_t sum;

	CHECK_EQ(store(c, "r", "", "h", "/", 5000, 4), 0);
	o = get(c, 0, "r", "");
	CHECK(o != NULL);
	if (o == NULL)
		return;
	for (unsigned int i = 0; i < RTE_DIM(r); i++) {
		uint64_t n = r[i].last - r[i].first + 1;

		m = dpx_cache_body_clone_range(o, mp, r[i].first, r[i].last);
		CHECK(m != NULL);
		CHECK_EQ(range_check(m, 4, r[i].first), (int64_t)n);
		CHECK_EQ(m != NULL ? (uint64_t)m->data_len : 0,
			 RTE_MIN(n, SEG - r[i].first % SEG));
		rte_pktmbuf_free(m);
	}
	m = dpx_cache_body_clone_range(o, mp, SEG, 2 * SEG - 1);
	CHECK(m != NULL && m->next == NULL);
	CHECK(m != NULL && dpx_mbuf_sum_get(m, &sum) &&
	      sum == dpx_cksum(rte_pktmbuf_mtod(m, void *), m->data_len));
	rte_pktmbuf_free(m);
	m = dpx_cache_body_clone_range(o, mp, SEG + 1, 2 * SEG - 1);
	CHECK(m != NULL && !dpx_mbuf_sum_get(m, &sum));
	rte_pktmbuf_free(m);
	CHECK(dpx_cache_body_clone_range(o, mp, 10, 9) == NULL);
	CHECK(dpx_cache_body_clone_range(o, mp, 0, 5000) == NULL);
	CHECK(dpx_cache_body_clone_range(o, mp, 5000, 5000) == NULL);
	dpx_cache_obj_put(o);
	done(c);
}

/* Publication numbers tell a derived object whether its source was
 * replaced; the secondary key reads back as stored; source_seq is kept. */
static void
test_seq_and_vary(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_meta m = { .status = 200, .source_seq = 0 };
	struct dpx_cache_obj *o = build(c, 0, "K", "v:1\n", "h", "/", 10, 1);
	struct dpx_cache_obj *p, *d;
	struct dpx_cache_key k;
	struct dpx_cache_obj_args a;
	uint64_t first;
	uint32_t len;
	const char *vary;

	CHECK(o != NULL);
	if (o == NULL)
		return;
	CHECK_EQ(dpx_cache_obj_seq(o), 0);         /* not published yet */
	CHECK_EQ(dpx_cache_insert(c, 0, o), 0);
	first = dpx_cache_obj_seq(o);
	CHECK(first != 0);
	vary = dpx_cache_obj_vary(o, &len);
	CHECK_EQ(len, 4);
	CHECK(memcmp(vary, "v:1\n", 4) == 0);
	dpx_cache_obj_put(o);
	/* Replaced under the same key and variant: a higher number. */
	CHECK_EQ(store(c, "K", "v:1\n", "h", "/", 20, 2), 0);
	p = get(c, 0, "K", "v:1\n");
	CHECK(p != NULL && dpx_cache_obj_seq(p) > first);
	/* A derived object records its source's number. */
	m.source_seq = p != NULL ? dpx_cache_obj_seq(p) : 0;
	dpx_cache_key_init(c, &k, "K", 1);
	a = (struct dpx_cache_obj_args){ .key = &k, .vary = "\x01gz", .vary_len = 3,
		.host = "h", .host_len = 1, .path = "/", .path_len = 1,
		.head = head, .head_len = sizeof(head) - 1, .meta = &m };
	CHECK_EQ(dpx_cache_obj_new(c, 0, &a, &d), 0);
	CHECK_EQ(dpx_cache_insert(c, 0, d), 0);
	dpx_cache_obj_put(d);
	d = get(c, 0, "K", "\x01gz");
	CHECK(d != NULL && p != NULL &&
	      dpx_cache_obj_meta(d)->source_seq == dpx_cache_obj_seq(p));
	dpx_cache_obj_put(d);
	dpx_cache_obj_put(p);
	/* A purge of the key takes the derived object too. */
	dpx_cache_key_init(c, &k, "K", 1);
	CHECK_EQ(dpx_cache_purge(c, 0, &k), 2);
	CHECK(!has(c, "K", "\x01gz"));
	done(c);
}

static void
test_variants(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_stats s;
	struct dpx_cache_obj *o;
	char vary[16];

	for (int i = 0; i <= DPX_CACHE_MAX_VARIANTS; i++) {
		snprintf(vary, sizeof(vary), "gzip%d", i);
		CHECK_EQ(store(c, "K", vary, "h", "/", 100, (uint32_t)i), 0);
	}
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.objects, DPX_CACHE_MAX_VARIANTS);
	CHECK_EQ(s.variants_evicted, 1);
	CHECK_EQ(s.keys, 1);
	CHECK(!has(c, "K", "gzip0"));       /* the oldest went */
	for (int i = 1; i <= DPX_CACHE_MAX_VARIANTS; i++) {
		snprintf(vary, sizeof(vary), "gzip%d", i);
		o = get(c, 0, "K", vary);
		CHECK(o != NULL);
		if (o != NULL)
			CHECK_EQ(body_check(o, (uint32_t)i), 100);
		dpx_cache_obj_put(o);
	}
	CHECK(!has(c, "K", ""));
	CHECK(!has(c, "K", "gzip"));
	/* Same key and variant again: replaced, new bytes. */
	CHECK_EQ(store(c, "K", "gzip5", "h", "/", 200, 77), 0);
	o = get(c, 0, "K", "gzip5");
	CHECK(o != NULL && body_check(o, 77) == 200);
	dpx_cache_obj_put(o);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.replaced, 1);
	CHECK_EQ(s.objects, DPX_CACHE_MAX_VARIANTS);
	done(c);
}

static void
test_purge(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_S3FIFO, 1 << 20, 1000);
	struct dpx_cache_stats s;
	struct dpx_cache_key k;

	CHECK_EQ(store(c, "A", "v1", "h", "/a", 10, 1), 0);
	CHECK_EQ(store(c, "A", "v2", "h", "/a", 10, 2), 0);
	CHECK_EQ(store(c, "B", "", "h", "/b", 10, 3), 0);
	dpx_cache_key_init(c, &k, "A", 1);
	CHECK_EQ(dpx_cache_purge(c, 0, &k), 2);
	CHECK_EQ(dpx_cache_purge(c, 0, &k), 0);
	CHECK(!has(c, "A", "v1"));
	CHECK(!has(c, "A", "v2"));
	CHECK(has(c, "B", ""));
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.purged, 2);
	CHECK_EQ(s.objects, 1);
	CHECK_EQ(s.keys, 1);
	/* The key can be stored again. */
	CHECK_EQ(store(c, "A", "v1", "h", "/a", 10, 4), 0);
	CHECK(has(c, "A", "v1"));
	done(c);
}

static void
test_ban(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_stats s;
	char big[2000];

	CHECK_EQ(store(c, "a1", "", "a.com", "/img/1", 10, 1), 0);
	CHECK_EQ(store(c, "a2", "", "a.com", "/img/2", 10, 1), 0);
	CHECK_EQ(store(c, "a3", "", "a.com", "/css/x", 10, 1), 0);
	CHECK_EQ(store(c, "b1", "", "b.com", "/img/1", 10, 1), 0);
	CHECK_EQ(dpx_cache_ban(c, 0, "A.COM", "/img/"), 0);
	CHECK(!has(c, "a1", ""));
	CHECK(!has(c, "a2", ""));
	CHECK(!has(c, "a1", ""));       /* stays banned */
	CHECK(has(c, "a3", ""));
	CHECK(has(c, "b1", ""));
	/* Stored after the ban: not affected. */
	CHECK_EQ(store(c, "a4", "", "a.com", "/img/4", 10, 1), 0);
	CHECK(has(c, "a4", ""));
	/* Replacing a banned object brings the key back. */
	CHECK_EQ(store(c, "a1", "", "a.com", "/img/1", 10, 1), 0);
	CHECK(has(c, "a1", ""));
	/* More bans than the ring holds: a3, never looked up meanwhile,
	 * counts as banned (conservative); b1, checked each time, not. */
	for (int i = 0; i < DPX_CACHE_MAX_BANS + 1; i++) {
		CHECK_EQ(dpx_cache_ban(c, 0, "c.com", "/"), 0);
		CHECK(has(c, "b1", ""));
	}
	CHECK(!has(c, "a3", ""));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(dpx_cache_ban(c, 0, "a.com", big), -E2BIG);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.bans, DPX_CACHE_MAX_BANS + 2);
	CHECK_EQ(s.banned_hits, 4);
	CHECK_EQ(s.fail[DPX_CACHE_FAIL_KEY], 1);
	done(c);
}

/* A hot object looked up after every insert survives a scan of objects
 * seen once, under every policy; the budget holds throughout. */
static void
test_budget_policy(enum dpx_cache_policy p)
{
	struct dpx_cache *c = mk(p, 64 * 1024, 1000);
	struct dpx_cache_stats s;
	char key[32];
	bool hot_ok = true, bound_ok = true;

	CHECK_EQ(store(c, "hot", "", "h", "/hot", 1000, 5), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "cold%d", i);
		CHECK_EQ(store(c, key, "", "h", key, 1000, (uint32_t)i), 0);
		hot_ok &= has(c, "hot", "");
		dpx_cache_stats(c, &s);
		bound_ok &= s.bytes <= 64 * 1024;
		quiesce(c);
	}
	if (!hot_ok || !bound_ok)
		fprintf(stderr, "policy %s\n", policy_name[p]);
	CHECK(hot_ok);
	CHECK(bound_ok);
	CHECK(!has(c, "cold0", ""));
	CHECK(has(c, "cold299", ""));
	dpx_cache_stats(c, &s);
	CHECK(s.objects > 10 && s.objects < 64);
	CHECK_EQ(s.stored, 301);
	CHECK_EQ(s.evicted, s.stored - s.objects);
	CHECK_EQ(s.keys, s.objects);
	CHECK_EQ(s.hits, 300 + 1);
	quiesce(c);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.mbufs_in_use, s.objects * ((1000 + SEG - 1) / SEG));
	done(c);
}

static void
test_budget_sieve(void)
{
	test_budget_policy(DPX_CACHE_SIEVE);
}

static void
test_budget_s3fifo(void)
{
	test_budget_policy(DPX_CACHE_S3FIFO);
}

static void
test_budget_lru(void)
{
	test_budget_policy(DPX_CACHE_LRU);
}

/* Entries bound, separately from bytes. */
static void
test_max_entries(void)
{
	struct dpx_cache_conf conf;
	struct dpx_cache_stats s;
	struct dpx_cache *c;
	char key[16];

	dpx_cache_conf_defaults(&conf);
	conf.name = "tcmax";
	conf.budget_bytes = 1 << 20;
	conf.max_object_bytes = 1 << 16;
	conf.max_entries = 8;
	conf.qsbr = qs;
	conf.n_threads = N_THREADS;
	c = dpx_cache_create(&conf);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		CHECK_EQ(store(c, key, "", "h", "/", 10, 1), 0);
	}
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.objects, 8);
	CHECK_EQ(s.evicted, 12);
	done(c);
	conf.qsbr = NULL;       /* bad conf is refused */
	CHECK(dpx_cache_create(&conf) == NULL);
}

static void
test_bad_input(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 256 * 1024, 1000);
	struct dpx_cache_stats s;
	struct dpx_cache_obj *o;
	char key[300];

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	CHECK(build(c, 0, key, "", "h", "/", 10, 1) == NULL);   /* key */
	CHECK(build(c, 0, "", "", "h", "/", 10, 1) == NULL);    /* empty */
	/* A body over max_object_bytes: refused midway, nothing leaks. */
	CHECK(build(c, 0, "big", "", "h", "/", 70 * 1024, 1) == NULL);
	o = build(c, 0, "ok", "", "h", "/", 10, 1);
	CHECK(o != NULL);
	if (o != NULL) {
		CHECK_EQ(dpx_cache_insert(c, 0, o), 0);
		CHECK_EQ(dpx_cache_insert(c, 0, o), -EINVAL);
		CHECK_EQ(dpx_cache_obj_append(c, 0, o, "x", 1), -EINVAL);
		dpx_cache_obj_put(o);
	}
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.fail[DPX_CACHE_FAIL_KEY], 2);
	CHECK_EQ(s.fail[DPX_CACHE_FAIL_TOO_BIG], 1);
	CHECK_EQ(s.stored, 1);
	CHECK_EQ(s.mbufs_in_use, 1);
	done(c);
}

/* A reader's reference keeps an evicted object whole until put. */
static void
test_ref_across_eviction(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_LRU, 32 * 1024, 1000);
	struct dpx_cache_stats s;
	struct dpx_cache_obj *o;
	char key[16];
	uint32_t hl;

	CHECK_EQ(store(c, "held", "", "h", "/", 4000, 3), 0);
	o = get(c, 0, "held", "");
	CHECK(o != NULL);
	if (o == NULL)
		return;
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		CHECK_EQ(store(c, key, "", "h", "/", 4000, 1), 0);
		quiesce(c);
	}
	CHECK(!has(c, "held", ""));
	CHECK(memcmp(dpx_cache_obj_head(o, &hl), head, sizeof(head) - 1) == 0);
	CHECK_EQ(body_check(o, 3), 4000);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.mbufs_in_use, (s.objects + 1) * ((4000 + SEG - 1) / SEG));
	dpx_cache_obj_put(o);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.mbufs_in_use, s.objects * ((4000 + SEG - 1) / SEG));
	done(c);
}

static void
test_collapse(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 1000);
	struct dpx_cache_fill *f1, *f2, *f3;
	struct dpx_cache_stats s;
	struct dpx_cache_obj *o, *got;
	struct dpx_cache_key k;

	dpx_cache_key_init(c, &k, "GET http a /c", 13);
	CHECK_EQ(dpx_cache_fill_begin(c, 0, &k, &f1), DPX_CACHE_FILL_LEADER);
	CHECK_EQ(dpx_cache_fill_begin(c, 1, &k, &f2), DPX_CACHE_FILL_WAIT);
	CHECK_EQ(dpx_cache_fill_begin(c, 1, &k, &f3), DPX_CACHE_FILL_WAIT);
	CHECK_EQ(dpx_cache_fill_poll(c, f2, &got), DPX_CACHE_FILL_PENDING);
	CHECK(got == NULL);
	o = build(c, 0, "GET http a /c", "", "a", "/c", 700, 8);
	CHECK(o != NULL);
	CHECK_EQ(dpx_cache_fill_commit(c, 0, f1, o), 0);
	dpx_cache_obj_put(o);
	CHECK_EQ(dpx_cache_fill_poll(c, f2, &got), DPX_CACHE_FILL_DONE);
	CHECK(got == o);
	CHECK_EQ(body_check(got, 8), 700);
	dpx_cache_obj_put(got);
	dpx_cache_fill_put(c, f2);
	/* The last waiter leaves after the object was purged. */
	CHECK_EQ(dpx_cache_purge(c, 0, &k), 1);
	quiesce(c);
	CHECK_EQ(dpx_cache_fill_poll(c, f3, &got), DPX_CACHE_FILL_DONE);
	CHECK_EQ(body_check(got, 8), 700);
	dpx_cache_obj_put(got);
	dpx_cache_fill_put(c, f3);
	/* Abort: waiters fetch on their own; the next miss leads again. */
	CHECK_EQ(dpx_cache_fill_begin(c, 1, &k, &f1), DPX_CACHE_FILL_LEADER);
	CHECK_EQ(dpx_cache_fill_begin(c, 0, &k, &f2), DPX_CACHE_FILL_WAIT);
	dpx_cache_fill_abort(c, 1, f1);
	CHECK_EQ(dpx_cache_fill_poll(c, f2, &got), DPX_CACHE_FILL_ABORTED);
	CHECK(got == NULL);
	dpx_cache_fill_put(c, f2);
	CHECK_EQ(dpx_cache_fill_begin(c, 0, &k, &f1), DPX_CACHE_FILL_LEADER);
	dpx_cache_fill_abort(c, 0, f1);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.fills_led, 3);
	CHECK_EQ(s.collapsed, 3);
	CHECK_EQ(s.fills_aborted, 2);
	CHECK_EQ(s.stored, 1);
	done(c);
}

/* A leader that never finishes: after the timeout its fill is abandoned,
 * waiters are let go and the next miss leads. */
static void
test_collapse_timeout(void)
{
	struct dpx_cache *c = mk(DPX_CACHE_SIEVE, 1 << 20, 30);
	struct dpx_cache_fill *f1, *f2, *f3;
	struct dpx_cache_stats s;
	struct dpx_cache_obj *got;
	struct dpx_cache_key k;

	dpx_cache_key_init(c, &k, "slow", 4);
	CHECK_EQ(dpx_cache_fill_begin(c, 0, &k, &f1), DPX_CACHE_FILL_LEADER);
	CHECK_EQ(dpx_cache_fill_begin(c, 1, &k, &f2), DPX_CACHE_FILL_WAIT);
	usleep(50 * 1000);
	CHECK_EQ(dpx_cache_fill_poll(c, f2, &got), DPX_CACHE_FILL_ABORTED);
	dpx_cache_fill_put(c, f2);
	CHECK_EQ(dpx_cache_fill_begin(c, 1, &k, &f3), DPX_CACHE_FILL_LEADER);
	dpx_cache_fill_abort(c, 0, f1);         /* late: harmless */
	dpx_cache_fill_abort(c, 1, f3);
	dpx_cache_stats(c, &s);
	CHECK_EQ(s.fills_led, 2);
	CHECK_EQ(s.fills_aborted, 3);           /* abandoned + 2 aborts */
	done(c);
}

/* ---------------------------------------------------------------------- */
/* Two threads                                                               */

#define HAMMER_KEYS 200

struct reader {
	struct dpx_cache *c;
	volatile bool stop;
	uint64_t lookups, hits, bad;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	char key[16];
	uint64_t i = 0;

	rte_rcu_qsbr_thread_register(qs, 1);
	rte_rcu_qsbr_thread_online(qs, 1);
	while (!r->stop) {
		uint32_t n = (uint32_t)(i * 7919 % HAMMER_KEYS);
		struct dpx_cache_obj *o;

		snprintf(key, sizeof(key), "key%u", n);
		o = get(r->c, 1, key, "");
		r->lookups++;
		if (o != NULL) {
			r->hits++;
			/* Every hit must be the object for this key. */
			if ((i & 15) == 0 ? body_check(o, n) != 1500 :
			    dpx_cache_obj_body_len(o) != 1500)
				r->bad++;
			dpx_cache_obj_put(o);
		}
		if ((++i & 15) == 0)
			rte_rcu_qsbr_quiescent(qs, 1);
	}
	rte_rcu_qsbr_thread_offline(qs, 1);
	rte_rcu_qsbr_thread_unregister(qs, 1);
	return NULL;
}

static void
test_two_threads_policy(enum dpx_cache_policy p)
{
	/* Room for about a third of the keys: constant eviction. */
	struct dpx_cache *c = mk(p, 64 * 4096, 1000);
	struct reader r = { .c = c };
	struct dpx_cache_stats s;
	struct dpx_cache_key k;
	uint64_t inserts = 0, purges = 0, failed = 0, purge_refused = 0;
	pthread_t t;
	char key[16];
	int rc;

	CHECK_EQ(pthread_create(&t, NULL, reader_main, &r), 0);
	for (uint32_t i = 0; i < 6000; i++) {
		uint32_t n = (i * 31) % HAMMER_KEYS;

		snprintf(key, sizeof(key), "key%u", n);
		if (i % 10 == 9) {
			dpx_cache_key_init(c, &k, key, (uint32_t)strlen(key));
			rc = dpx_cache_purge(c, 0, &k);
			purges += rc > 0 ? (uint64_t)rc : 0;
			purge_refused += rc < 0;    /* busy: counted too */
		} else {
			rc = store(c, key, "", "h", key, 1500, n);
			inserts += rc == 0;
			failed += rc != 0;
		}
		rte_rcu_qsbr_quiescent(qs, 0);
	}
	r.stop = true;
	pthread_join(t, NULL);
	dpx_cache_stats(c, &s);
	if (r.bad != 0 || r.hits == 0)
		fprintf(stderr, "%s: %llu lookups %llu hits %llu bad\n",
			policy_name[p], (unsigned long long)r.lookups,
			(unsigned long long)r.hits,
			(unsigned long long)r.bad);
	CHECK_EQ(r.bad, 0);
	CHECK(r.hits > 0);
	CHECK_EQ(s.hits + s.misses, r.lookups);
	CHECK_EQ(s.hits, r.hits);
	CHECK_EQ(s.stored, inserts);
	CHECK_EQ(s.purged, purges);
	if (failed != 0)
		fprintf(stderr, "note: %s: %llu inserts refused (too big, "
			"key, no memory, busy: %llu %llu %llu %llu)\n",
			policy_name[p], (unsigned long long)failed,
			(unsigned long long)s.fail[0],
			(unsigned long long)s.fail[1],
			(unsigned long long)s.fail[2],
			(unsigned long long)s.fail[3]);
	/* Refusals are counted: bodies retired faster than the reader
	 * (a shared CPU here, not a dedicated lcore) passes quiescent
	 * states exhaust the pool for a while. */
	CHECK_EQ(failed + purge_refused, s.fail[DPX_CACHE_FAIL_BUSY] +
		 s.fail[DPX_CACHE_FAIL_NOMEM]);
	CHECK_EQ(inserts + failed, 5400);
	CHECK(s.evicted > 0);
	CHECK_EQ(s.objects, s.stored - s.evicted - s.purged - s.replaced);
	CHECK(s.bytes <= 64 * 4096);
	done(c);
}

static void
test_two_threads(void)
{
	test_two_threads_policy(DPX_CACHE_SIEVE);
	test_two_threads_policy(DPX_CACHE_S3FIFO);
	test_two_threads_policy(DPX_CACHE_LRU);
}

int
main(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(N_THREADS);

	if (test_eal_init("test_cache") < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	qs = rte_zmalloc("test_qsbr", sz, RTE_CACHE_LINE_SIZE);
	mp = rte_pktmbuf_pool_create("cache_send", 4096, 0, 0, 0,
				     SOCKET_ID_ANY);
	if (qs == NULL || mp == NULL || rte_rcu_qsbr_init(qs, N_THREADS) != 0)
		return 1;
	rte_rcu_qsbr_thread_register(qs, 0);
	rte_rcu_qsbr_thread_online(qs, 0);
	if (dpx_mbuf_sum_init() != 0)   /* as dpx_net_init() does */
		return 1;

	RUN_TEST(test_insert_lookup);
	RUN_TEST(test_current_age);
	RUN_TEST(test_rehead);
	RUN_TEST(test_clone_outlives);
	RUN_TEST(test_clone_range);
	RUN_TEST(test_variants);
	RUN_TEST(test_seq_and_vary);
	RUN_TEST(test_purge);
	RUN_TEST(test_ban);
	RUN_TEST(test_budget_sieve);
	RUN_TEST(test_budget_s3fifo);
	RUN_TEST(test_budget_lru);
	RUN_TEST(test_max_entries);
	RUN_TEST(test_bad_input);
	RUN_TEST(test_ref_across_eviction);
	RUN_TEST(test_collapse);
	RUN_TEST(test_collapse_timeout);
	RUN_TEST(test_two_threads);

	rte_rcu_qsbr_thread_offline(qs, 0);
	rte_rcu_qsbr_thread_unregister(qs, 0);
	rte_mempool_free(mp);
	rte_free(qs);
	test_eal_cleanup();
	return TEST_SUMMARY();
}
