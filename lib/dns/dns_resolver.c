/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The resolver of one worker: lookups answered from the cache or joined
 * to a query, queries sent with a fresh random ID and source port per
 * try, one timer each on the worker's wheel, the next server on a
 * timeout, and answers matched by local port, then source, then ID.
 *
 * What an answer does to its query:
 *  - OK, NXDOMAIN, NODATA: cached (TTL clamped), waiters called;
 *  - SERVFAIL, truncated, malformed, CNAME loop: the next try goes out at
 *    once, and the query ends SERVFAIL once tries run out;
 *  - bad ID, wrong question, not an answer, wrong source: ignored (a
 *    late answer to an earlier try, or a spoofing attempt), the try's
 *    timer keeps running.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_priv.h"

#define PICK_PORT_TRIES 8

struct dns_query {
	struct dpx_timer timer;
	struct dpx_dns *r;
	struct dpx_dns_waiter *waiters;
	uint32_t name_next;     /* name hash chain, or free list */
	uint32_t port_next;     /* port hash chain */
	uint32_t hash;
	uint16_t id;
	uint16_t port;          /* 0: the try has no port */
	uint8_t first_server;
	uint8_t tries;          /* sent so far */
	bool failed;            /* a server answered with a failure */
	bool in_use;
	char name[DPX_DNS_NAME_MAX + 1];
};

struct dpx_dns {
	struct dpx_dns_conf conf;       /* hosts not kept: they are pinned */
	struct dpx_timer_wheel *wheel;
	struct dpx_dns_io io;
	uint64_t rng;
	struct dns_cache cache;
	struct dns_query *queries;
	uint32_t *name_buckets;
	uint32_t *port_buckets;
	uint32_t mask;
	uint32_t free_head;
	uint8_t preferred;              /* server of the next first try */
	struct dpx_dns_stats stats;
};

/* splitmix64: fast, and fine here, as off-path guessing is the threat. */
static uint64_t next_random(struct dpx_dns *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t now_ms(const struct dpx_dns *r)
{
	return dpx_timer_wheel_now(r->wheel);
}

/* ---------------------------------------------------------------------- */
/* Query slots and their two hash tables                                   */

static uint32_t query_index(const struct dpx_dns *r, const struct dns_query *q)
{
	return (uint32_t)(q - r->queries);
}

static struct dns_query *find_by_name(struct dpx_dns *r, const char *name,
				      uint32_t hash)
{
	for (uint32_t i = r->name_buckets[hash & r->mask]; i != DNS_NIL;
	     i = r->queries[i].name_next) {
		struct dns_query *q = &r->queries[i];

		if (q->hash == hash && strcmp(q->name, name) == 0)
			return q;
	}
	return NULL;
}

static struct dns_query *find_by_port(struct dpx_dns *r, uint16_t port)
{
	if (port == 0)
		return NULL;
	for (uint32_t i = r->port_buckets[port & r->mask]; i != DNS_NIL;
	     i = r->queries[i].port_next)
		if (r->queries[i].port == port)
			return &r->queries[i];
	return NULL;
}

static void unlink_chain(struct dpx_dns *r, uint32_t *link, uint32_t idx,
			 bool by_port)
{
	while (*link != idx)
		link = by_port ? &r->queries[*link].port_next :
				 &r->queries[*link].name_next;
	*link = by_port ? r->queries[idx].port_next :
			  r->queries[idx].name_next;
}

static void release_port(struct dpx_dns *r, struct dns_query *q)
{
	if (q->port == 0)
		return;
	unlink_chain(r, &r->port_buckets[q->port & r->mask],
		     query_index(r, q), true);
	if (r->io.release_port != NULL)
		r->io.release_port(r->io.ctx, q->port);
	q->port = 0;
}

static uint16_t pick_port(struct dpx_dns *r, uint32_t server)
{
	for (int i = 0; i < PICK_PORT_TRIES; i++) {
		uint32_t rnd = (uint32_t)next_random(r);
		uint16_t port = r->io.pick_port != NULL ?
			r->io.pick_port(r->io.ctx, server, r->conf.port, rnd) :
			(uint16_t)(1024 + rnd % 64512);

		if (port == 0)
			return 0;
		if (find_by_port(r, port) == NULL)
			return port;
		if (r->io.release_port != NULL)
			r->io.release_port(r->io.ctx, port);
	}
	return 0;
}

static void take_port(struct dpx_dns *r, struct dns_query *q, uint16_t port)
{
	uint32_t *head = &r->port_buckets[port & r->mask];

	q->port = port;
	q->port_next = *head;
	*head = query_index(r, q);
}

/* ---------------------------------------------------------------------- */
/* Tries                                                                   */

static unsigned int try_server(const struct dpx_dns *r,
			       const struct dns_query *q)
{
	return (q->first_server + q->tries - 1u) % r->conf.n_servers;
}

/* Sends the query's next try; a try that cannot be sent times out. */
static void send_try(struct dpx_dns *r, struct dns_query *q)
{
	uint8_t buf[DPX_DNS_QUERY_MAX];
	uint32_t server;
	uint16_t port;
	int len;

	release_port(r, q);
	q->tries++;
	if (q->tries > 1)
		r->stats.retries++;
	server = r->conf.servers[try_server(r, q)];
	q->id = (uint16_t)next_random(r);
	dpx_timer_arm(r->wheel, &q->timer, now_ms(r) + r->conf.timeout_ms);
	port = pick_port(r, server);
	len = dpx_dns_build_query(buf, sizeof(buf), q->id, q->name,
				  r->conf.edns);
	if (port == 0 || len < 0) {
		r->stats.send_errors++;
		return;
	}
	take_port(r, q, port);
	if (r->io.send(r->io.ctx, server, r->conf.port, port, buf,
		       (size_t)len) != 0) {
		r->stats.send_errors++;
		return;
	}
	r->stats.queries++;
}

static bool tries_left(const struct dpx_dns *r, const struct dns_query *q)
{
	return q->tries < 1 + r->conf.retries;
}

/* Frees the slot first, then calls the waiters: a callback may look up
 * again (even the same name) or cancel any waiter still to be called. */
static void finish(struct dpx_dns *r, struct dns_query *q,
		   const struct dpx_dns_result *res)
{
	struct dpx_dns_waiter *list = q->waiters;
	uint32_t idx = query_index(r, q);

	dpx_timer_cancel(r->wheel, &q->timer);
	release_port(r, q);
	unlink_chain(r, &r->name_buckets[q->hash & r->mask], idx, false);
	q->in_use = false;
	q->waiters = NULL;
	q->name_next = r->free_head;
	r->free_head = idx;
	r->stats.pending--;
	if (list != NULL)
		list->pprev = &list;
	while (list != NULL) {
		struct dpx_dns_waiter *wt = list;

		list = wt->next;
		if (list != NULL)
			list->pprev = &list;
		wt->next = NULL;
		wt->pprev = NULL;
		wt->cb(wt, res);
	}
}

static void fail(struct dpx_dns *r, struct dns_query *q,
		 enum dpx_dns_status status)
{
	struct dpx_dns_result res = { .status = status };

	finish(r, q, &res);
}

static void on_timeout(struct dpx_timer *t, void *arg)
{
	struct dns_query *q = arg;
	struct dpx_dns *r = q->r;
	unsigned int server = try_server(r, q);

	(void)t;
	r->stats.timeouts++;
	if (r->preferred == server)     /* the next queries start elsewhere */
		r->preferred = (uint8_t)((server + 1) % r->conf.n_servers);
	if (tries_left(r, q)) {
		send_try(r, q);
		return;
	}
	if (q->failed) {
		fail(r, q, DPX_DNS_SERVFAIL);
		return;
	}
	r->stats.no_answer++;
	fail(r, q, DPX_DNS_TIMEOUT);
}

/* ---------------------------------------------------------------------- */
/* Answers                                                                 */

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void fill_from_entry(const struct dpx_dns *r,
			    const struct dns_entry *e,
			    struct dpx_dns_result *res)
{
	res->status = (enum dpx_dns_status)e->status;
	res->n_addrs = e->n_addrs;
	memcpy(res->addrs, e->addrs, sizeof(res->addrs));
	res->ttl_s = e->expires_ms == DNS_PINNED ? UINT32_MAX :
		(uint32_t)((e->expires_ms - now_ms(r) + 999) / 1000);
}

/* The answer as a result, cached for ttl_s seconds when above zero. */
static void store_answer(struct dpx_dns *r, const char *name, uint32_t hash,
			 const struct dpx_dns_answer *a,
			 enum dpx_dns_status status, struct dpx_dns_result *res)
{
	uint32_t ttl;
	struct dns_entry *e;
	bool evicted;

	if (status == DPX_DNS_OK)
		ttl = clamp(a->ttl_s, r->conf.min_ttl_s, r->conf.max_ttl_s);
	else    /* RFC 2308 5: no SOA, no negative caching */
		ttl = a->has_soa ? (a->negative_ttl_s < r->conf.negative_ttl_s ?
				    a->negative_ttl_s : r->conf.negative_ttl_s)
				 : 0;
	memset(res, 0, sizeof(*res));
	res->status = status;
	res->n_addrs = a->n_addrs;
	memcpy(res->addrs, a->addrs, sizeof(res->addrs));
	if (ttl == 0 || r->conf.cache_entries == 0)
		return;
	e = dns_cache_put(&r->cache, name, hash, now_ms(r), &evicted);
	if (e == NULL)
		return;
	r->stats.evictions += evicted;
	e->status = (uint8_t)status;
	e->n_addrs = a->n_addrs;
	memcpy(e->addrs, a->addrs, sizeof(e->addrs));
	e->expires_ms = now_ms(r) + (uint64_t)ttl * 1000;
	res->ttl_s = ttl;
}

static void on_answer(struct dpx_dns *r, struct dns_query *q,
		      enum dpx_dns_parse verdict,
		      const struct dpx_dns_answer *a)
{
	static const enum dpx_dns_status status_of[] = {
		[DPX_DNS_PARSE_OK] = DPX_DNS_OK,
		[DPX_DNS_PARSE_NXDOMAIN] = DPX_DNS_NXDOMAIN,
		[DPX_DNS_PARSE_NODATA] = DPX_DNS_NODATA,
	};
	struct dpx_dns_result res;

	r->stats.answers++;
	if (verdict == DPX_DNS_PARSE_NXDOMAIN)
		r->stats.nxdomain++;
	if (verdict == DPX_DNS_PARSE_NODATA)
		r->stats.nodata++;
	store_answer(r, q->name, q->hash, a, status_of[verdict], &res);
	finish(r, q, &res);
}

/* A server that answered with a failure: the next try, or SERVFAIL. */
static void on_failure(struct dpx_dns *r, struct dns_query *q)
{
	q->failed = true;
	if (tries_left(r, q)) {
		send_try(r, q);
		return;
	}
	fail(r, q, DPX_DNS_SERVFAIL);
}

bool dpx_dns_input(struct dpx_dns *r, uint32_t src_addr, uint16_t src_port,
		   uint16_t dst_port, const uint8_t *data, size_t len)
{
	struct dns_query *q = find_by_port(r, dst_port);
	struct dpx_dns_answer a;
	enum dpx_dns_parse verdict;

	if (q == NULL) {
		r->stats.unmatched++;
		return false;
	}
	if (src_addr != r->conf.servers[try_server(r, q)] ||
	    src_port != r->conf.port) {
		r->stats.unmatched++;
		return true;
	}
	verdict = dpx_dns_parse_answer(data, len, q->id, q->name, &a);
	switch (verdict) {
	case DPX_DNS_PARSE_OK:
	case DPX_DNS_PARSE_NXDOMAIN:
	case DPX_DNS_PARSE_NODATA:
		on_answer(r, q, verdict, &a);
		break;
	case DPX_DNS_PARSE_SERVFAIL:
		r->stats.servfail++;
		on_failure(r, q);
		break;
	case DPX_DNS_PARSE_TRUNCATED:
	case DPX_DNS_PARSE_MALFORMED:
	case DPX_DNS_PARSE_CNAME_LOOP:
		r->stats.bad_answers[verdict]++;
		on_failure(r, q);
		break;
	default:        /* bad ID, wrong question, not an answer */
		r->stats.bad_answers[verdict]++;
		break;
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* Lookups                                                                 */

void dpx_dns_waiter_init(struct dpx_dns_waiter *wt, dpx_dns_done_cb cb,
			 void *cookie)
{
	wt->next = NULL;
	wt->pprev = NULL;
	wt->cb = cb;
	wt->cookie = cookie;
}

bool dpx_dns_waiter_pending(const struct dpx_dns_waiter *wt)
{
	return wt->pprev != NULL;
}

static void add_waiter(struct dns_query *q, struct dpx_dns_waiter *wt)
{
	wt->next = q->waiters;
	if (wt->next != NULL)
		wt->next->pprev = &wt->next;
	wt->pprev = &q->waiters;
	q->waiters = wt;
}

void dpx_dns_cancel(struct dpx_dns *r, struct dpx_dns_waiter *wt)
{
	(void)r;
	if (wt->pprev == NULL)
		return;
	*wt->pprev = wt->next;
	if (wt->next != NULL)
		wt->next->pprev = wt->pprev;
	wt->next = NULL;
	wt->pprev = NULL;
}

static struct dns_query *start_query(struct dpx_dns *r, const char *name,
				     uint32_t hash)
{
	uint32_t idx = r->free_head;
	struct dns_query *q = &r->queries[idx];

	r->free_head = q->name_next;
	q->in_use = true;
	q->hash = hash;
	q->tries = 0;
	q->port = 0;
	q->failed = false;
	q->waiters = NULL;
	q->first_server = r->preferred;
	strcpy(q->name, name);
	q->name_next = r->name_buckets[hash & r->mask];
	r->name_buckets[hash & r->mask] = idx;
	r->stats.pending++;
	send_try(r, q);
	return q;
}

/* Answers that need no server: literals, bad names, cache and hosts. */
static bool answer_now(struct dpx_dns *r, const char *name, size_t len,
		       char *lower, uint32_t *hash,
		       struct dpx_dns_result *res)
{
	enum dpx_dns_name_check check;
	struct dns_entry *e;
	uint32_t addr;

	memset(res, 0, sizeof(*res));
	check = dpx_dns_name_check(name, len, lower, &addr);
	if (check == DPX_DNS_NAME_IPV4) {
		r->stats.literals++;
		res->status = DPX_DNS_OK;
		res->n_addrs = 1;
		res->addrs[0] = addr;
		return true;
	}
	if (check != DPX_DNS_NAME_OK) {
		r->stats.bad_names++;
		res->status = DPX_DNS_BAD_NAME;
		return true;
	}
	*hash = dns_cache_hash(&r->cache, lower);
	e = dns_cache_find(&r->cache, lower, *hash, now_ms(r));
	if (e == NULL) {
		r->stats.cache_misses++;
		return false;
	}
	if (e->expires_ms == DNS_PINNED)
		r->stats.hosts_hits++;
	else if (e->status == DPX_DNS_OK)
		r->stats.cache_hits++;
	else
		r->stats.negative_hits++;
	fill_from_entry(r, e, res);
	return true;
}

enum dpx_dns_status dpx_dns_lookup(struct dpx_dns *r, const char *name,
				   size_t len, struct dpx_dns_waiter *wt,
				   struct dpx_dns_result *res)
{
	char lower[DPX_DNS_NAME_MAX + 1];
	struct dns_query *q;
	uint32_t hash = 0;

	r->stats.lookups++;
	dpx_dns_cancel(r, wt);          /* one lookup per waiter at a time */
	if (answer_now(r, name, len, lower, &hash, res))
		return res->status;
	if (r->conf.n_servers == 0)
		return res->status = DPX_DNS_NO_SERVERS;
	q = find_by_name(r, lower, hash);
	if (q != NULL) {
		r->stats.coalesced++;
	} else if (r->free_head == DNS_NIL) {
		r->stats.over_limit++;
		return res->status = DPX_DNS_OVERLOAD;
	} else {
		q = start_query(r, lower, hash);
	}
	add_waiter(q, wt);
	return res->status = DPX_DNS_PENDING;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                              */

static uint64_t fresh_seed(void)
{
	uint64_t seed = 0;

	while (seed == 0)
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			seed = (uint64_t)(uintptr_t)&seed ^ 0x5851f42d4c957f2dull;
	return seed;
}

static int pin_hosts(struct dpx_dns *r, const struct dpx_dns_conf *conf)
{
	for (unsigned int i = 0; i < conf->n_hosts; i++) {
		const struct dpx_dns_host *h = &conf->hosts[i];
		uint32_t hash = dns_cache_hash(&r->cache, h->name);
		bool evicted;
		struct dns_entry *e = dns_cache_put(&r->cache, h->name, hash,
						    0, &evicted);

		if (e == NULL)
			return -1;
		e->status = DPX_DNS_OK;
		e->n_addrs = h->n_addrs;
		memcpy(e->addrs, h->addrs, sizeof(e->addrs));
		e->expires_ms = DNS_PINNED;
	}
	return 0;
}

static int make_queries(struct dpx_dns *r)
{
	uint32_t n = r->conf.max_pending, buckets = 1;

	while (buckets < n)
		buckets <<= 1;
	r->mask = buckets - 1;
	r->queries = calloc(n, sizeof(*r->queries));
	r->name_buckets = malloc(buckets * sizeof(uint32_t));
	r->port_buckets = malloc(buckets * sizeof(uint32_t));
	if (r->queries == NULL || r->name_buckets == NULL ||
	    r->port_buckets == NULL)
		return -1;
	memset(r->name_buckets, 0xff, buckets * sizeof(uint32_t));
	memset(r->port_buckets, 0xff, buckets * sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		r->queries[i].r = r;
		r->queries[i].name_next = i + 1 < n ? i + 1 : DNS_NIL;
		dpx_timer_init(&r->queries[i].timer, on_timeout,
			       &r->queries[i]);
	}
	r->free_head = 0;
	return 0;
}

struct dpx_dns *dpx_dns_create(const struct dpx_dns_conf *conf,
			       struct dpx_timer_wheel *wheel,
			       const struct dpx_dns_io *io, uint64_t seed)
{
	struct dpx_dns *r;

	if (conf->max_pending == 0 || conf->n_servers > DPX_DNS_MAX_SERVERS ||
	    conf->min_ttl_s > conf->max_ttl_s || io->send == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->conf = *conf;
	r->conf.hosts = NULL;
	r->conf.n_hosts = 0;
	r->wheel = wheel;
	r->io = *io;
	r->rng = seed != 0 ? seed : fresh_seed();
	if (dns_cache_init(&r->cache, conf->cache_entries ? conf->cache_entries
							   : 1,
			   conf->n_hosts, next_random(r)) != 0 ||
	    pin_hosts(r, conf) != 0 || make_queries(r) != 0) {
		dpx_dns_destroy(r);
		return NULL;
	}
	return r;
}

void dpx_dns_destroy(struct dpx_dns *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; r->queries != NULL && i < r->conf.max_pending;
	     i++) {
		struct dns_query *q = &r->queries[i];

		if (!q->in_use)
			continue;
		dpx_timer_cancel(r->wheel, &q->timer);
		release_port(r, q);
		while (q->waiters != NULL)
			dpx_dns_cancel(r, q->waiters);
	}
	free(r->queries);
	free(r->name_buckets);
	free(r->port_buckets);
	dns_cache_fini(&r->cache);
	free(r);
}

const struct dpx_dns_stats *dpx_dns_stats(const struct dpx_dns *r)
{
	return &r->stats;
}

/* ---------------------------------------------------------------------- */
/* Status names and the proxy's answers                                    */

const char *dpx_dns_status_name(enum dpx_dns_status s)
{
	static const char *const names[DPX_DNS_STATUS_COUNT] = {
		[DPX_DNS_OK] = "ok", [DPX_DNS_PENDING] = "pending",
		[DPX_DNS_NXDOMAIN] = "nxdomain", [DPX_DNS_NODATA] = "nodata",
		[DPX_DNS_SERVFAIL] = "servfail", [DPX_DNS_TIMEOUT] = "timeout",
		[DPX_DNS_BAD_NAME] = "bad_name", [DPX_DNS_OVERLOAD] = "overload",
		[DPX_DNS_NO_SERVERS] = "no_servers",
	};

	return (unsigned int)s < DPX_DNS_STATUS_COUNT ? names[s] : "?";
}

int dpx_dns_http_status(enum dpx_dns_status s)
{
	switch (s) {
	case DPX_DNS_OK:
		return 200;
	case DPX_DNS_TIMEOUT:
		return 504;
	case DPX_DNS_OVERLOAD:
		return 503;
	case DPX_DNS_BAD_NAME:
		return 400;
	default:
		return 502;
	}
}

const char *dpx_dns_status_text(enum dpx_dns_status s)
{
	static const char *const texts[DPX_DNS_STATUS_COUNT] = {
		[DPX_DNS_OK] = "DNS: resolved",
		[DPX_DNS_PENDING] = "DNS: resolving",
		[DPX_DNS_NXDOMAIN] = "DNS: name does not exist",
		[DPX_DNS_NODATA] = "DNS: name has no IPv4 address",
		[DPX_DNS_SERVFAIL] = "DNS: server failure",
		[DPX_DNS_TIMEOUT] = "DNS: no server answered",
		[DPX_DNS_BAD_NAME] = "DNS: not a valid host name",
		[DPX_DNS_OVERLOAD] = "DNS: too many lookups in progress",
		[DPX_DNS_NO_SERVERS] = "DNS: no resolver configured",
	};

	return (unsigned int)s < DPX_DNS_STATUS_COUNT ? texts[s] : "DNS: ?";
}
