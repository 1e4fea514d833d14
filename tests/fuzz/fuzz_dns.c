/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/dns's answer parser, and the resolver that
 * feeds it. The first byte picks the name asked (so the question can
 * match), the next two the query ID; the rest, copied to an exact-size
 * heap buffer so that ASan sees any overread, is the answer. Checks: the
 * verdict is a known one, at most DPX_DNS_MAX_ADDRS addresses, no more
 * CNAME hops than allowed, nothing filled for a refusal; the datagram
 * parses the same way twice (no hidden state); and
 * a resolver given it as the answer to its own query either finishes the
 * lookup with a status that matches the verdict or keeps it pending.
 *
 * With the first byte's top bit set, the input is instead a program for
 * one resolver (see run_ops): lookups, cancels, answers built from the
 * queries it sent, raw datagrams and clock steps in any order. Checks:
 * every waiter is called at most once per lookup and only while pending,
 * the pending gauge stays within max_pending, every port picked is given
 * back, and at the end every lookup has been answered or cancelled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_dns.h"
#include "dpx_timer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"a", "www.example.com", "cdn.example.net", "x.y.z.example",
};

struct fuzz_io {
	uint16_t port;
	uint8_t query[DPX_DNS_QUERY_MAX];
	size_t len;
};

static uint16_t pick(void *ctx, uint32_t server, uint16_t server_port,
		     uint32_t random)
{
	(void)ctx;
	(void)server;
	(void)server_port;
	return (uint16_t)(1024 + random % 60000);
}

static int send_query(void *ctx, uint32_t server, uint16_t server_port,
		      uint16_t src_port, const uint8_t *q, size_t len)
{
	struct fuzz_io *f = ctx;

	(void)server;
	(void)server_port;
	if (len > sizeof(f->query))
		abort();
	f->port = src_port;
	memcpy(f->query, q, len);
	f->len = len;
	return 0;
}

struct outcome {
	struct dpx_dns_waiter wt;
	int calls;
	struct dpx_dns_result res;
};

static void on_done(struct dpx_dns_waiter *wt,
		    const struct dpx_dns_result *res)
{
	struct outcome *o = wt->cookie;

	o->calls++;
	o->res = *res;
}

static void check_answer(enum dpx_dns_parse r, const struct dpx_dns_answer *a)
{
	if ((unsigned int)r >= DPX_DNS_PARSE_COUNT ||
	    a->n_addrs > DPX_DNS_MAX_ADDRS ||
	    a->cnames > DPX_DNS_MAX_CNAMES)
		abort();
	if (r == DPX_DNS_PARSE_OK && a->n_addrs == 0)
		abort();
	if (r != DPX_DNS_PARSE_OK && a->n_addrs != 0)
		abort();
}

/* The datagram as the answer to a resolver's own query for name. */
static void through_resolver(const char *name, uint8_t *pkt, size_t len)
{
	static struct dpx_timer_wheel wheel;
	struct dpx_dns_conf conf;
	struct fuzz_io f = { 0 };
	struct dpx_dns_io io = { .pick_port = pick, .send = send_query,
				 .ctx = &f };
	struct outcome o = { 0 };
	struct dpx_dns_result res;
	struct dpx_dns_answer a;
	enum dpx_dns_parse verdict;
	struct dpx_dns *r;

	dpx_dns_conf_defaults(&conf);
	conf.servers[0] = 0xc6120235u;
	conf.n_servers = 1;
	conf.retries = 0;
	conf.cache_entries = 4;
	conf.max_pending = 2;
	dpx_timer_wheel_init(&wheel, 0);
	r = dpx_dns_create(&conf, &wheel, &io, 7);
	if (r == NULL)
		abort();
	dpx_dns_waiter_init(&o.wt, on_done, &o);
	if (dpx_dns_lookup(r, name, strlen(name), &o.wt, &res) !=
	    DPX_DNS_PENDING || f.len < 2)
		abort();
	/* The query's ID; it may matter beyond the ID check, as a
	 * compression pointer to offset 0 reads it as a label. */
	if (len >= 2)
		memcpy(pkt, f.query, 2);
	verdict = dpx_dns_parse_answer(pkt, len,
				       (uint16_t)(f.query[0] << 8 | f.query[1]),
				       name, &a);
	dpx_dns_input(r, conf.servers[0], 53, f.port, pkt, len);
	if (o.calls > 1)
		abort();
	if (o.calls == 1) {
		bool ok = o.res.status == DPX_DNS_OK;

		if (ok != (verdict == DPX_DNS_PARSE_OK) ||
		    (ok && o.res.n_addrs == 0))
			abort();
	}
	dpx_timer_advance(&wheel, 60000);       /* times out if pending */
	if (o.calls != 1 || dpx_dns_stats(r)->pending != 0)
		abort();
	dpx_dns_destroy(r);
}

/* ---------------------------------------------------------------------- */
/* Programs for one resolver                                               */

#define N_WAITERS 8
#define N_SENT 8

struct ops_io {
	struct {
		uint32_t server;
		uint16_t port;
		uint8_t query[DPX_DNS_QUERY_MAX];
		size_t len;
	} sent[N_SENT];
	unsigned int n_sent;
	int ports_out;
};

struct ops_waiter {
	struct dpx_dns_waiter wt;
	bool expect_call;       /* a lookup of ours is pending */
};

static uint16_t ops_pick(void *ctx, uint32_t server, uint16_t server_port,
			 uint32_t random)
{
	struct ops_io *f = ctx;

	(void)server;
	(void)server_port;
	f->ports_out++;
	return (uint16_t)(1024 + random % 64);  /* collisions on purpose */
}

static void ops_release(void *ctx, uint16_t port)
{
	struct ops_io *f = ctx;

	(void)port;
	f->ports_out--;
}

static int ops_send(void *ctx, uint32_t server, uint16_t server_port,
		    uint16_t src_port, const uint8_t *q, size_t len)
{
	struct ops_io *f = ctx;
	unsigned int i = f->n_sent++ % N_SENT;

	(void)server_port;
	f->sent[i].server = server;
	f->sent[i].port = src_port;
	memcpy(f->sent[i].query, q, len);
	f->sent[i].len = len;
	return 0;
}

static void ops_done(struct dpx_dns_waiter *wt,
		     const struct dpx_dns_result *res)
{
	struct ops_waiter *w = wt->cookie;

	if (!w->expect_call || dpx_dns_waiter_pending(wt) ||
	    res->status == DPX_DNS_PENDING ||
	    (unsigned int)res->status >= DPX_DNS_STATUS_COUNT ||
	    res->n_addrs > DPX_DNS_MAX_ADDRS)
		abort();
	w->expect_call = false;
}

/* An answer to sent query s: its header and question, then what kind
 * picks (A records, CNAME to itself, NXDOMAIN with SOA, SERVFAIL, TC). */
static size_t build_reply(const uint8_t *q, size_t qlen, uint8_t kind,
			  uint8_t *out)
{
	static const uint8_t a_rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30,
					0, 4, 198, 18, 9, 9 };
	static const uint8_t cname_rr[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30,
					    0, 2, 0xc0, 12 };
	static const uint8_t soa_rr[] = { 0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 30,
					  0, 24, 0xc0, 12, 0xc0, 12,
					  0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
					  0, 0, 0, 1, 0, 0, 0, 9 };
	size_t n = qlen - (q[11] ? 11 : 0);     /* drop the OPT record */

	memcpy(out, q, n);
	out[2] = 0x81;
	out[3] = 0x80;
	memset(out + 6, 0, 6);
	switch (kind % 5) {
	case 0:
		out[7] = 1;
		memcpy(out + n, a_rr, sizeof(a_rr));
		return n + sizeof(a_rr);
	case 1:
		out[7] = 1;
		memcpy(out + n, cname_rr, sizeof(cname_rr));
		return n + sizeof(cname_rr);
	case 2:
		out[3] = 0x83;
		out[9] = 1;
		memcpy(out + n, soa_rr, sizeof(soa_rr));
		return n + sizeof(soa_rr);
	case 3:
		out[3] = 0x82;
		return n;
	default:
		out[2] |= 0x02;
		return n;
	}
}

static void ops_lookup(struct dpx_dns *r, struct ops_waiter *w,
		       const char *name)
{
	struct dpx_dns_result res;
	enum dpx_dns_status st;

	w->expect_call = false;         /* a pending one is detached */
	st = dpx_dns_lookup(r, name, strlen(name), &w->wt, &res);
	if ((unsigned int)st >= DPX_DNS_STATUS_COUNT || st != res.status)
		abort();
	w->expect_call = st == DPX_DNS_PENDING;
	if (dpx_dns_waiter_pending(&w->wt) != w->expect_call)
		abort();
}

static void ops_step(struct dpx_dns *r, struct dpx_timer_wheel *wheel,
		     struct ops_io *f, struct ops_waiter *w, const uint8_t *b)
{
	static const char *const names[] = {
		"a.example", "b.example", "C.Example", "c.example.", "d.example",
		"198.18.0.1", "bad_name", "e.example",
	};
	uint8_t reply[DPX_DNS_QUERY_MAX + 64];
	unsigned int i = b[1] % N_SENT;
	size_t n;

	switch (b[0] % 5) {
	case 0:
		ops_lookup(r, &w[b[1] % N_WAITERS], names[b[2] % 8]);
		break;
	case 1:
		dpx_dns_cancel(r, &w[b[1] % N_WAITERS].wt);
		w[b[1] % N_WAITERS].expect_call = false;
		break;
	case 2:
		if (i >= f->n_sent)
			break;
		n = build_reply(f->sent[i].query, f->sent[i].len, b[2], reply);
		dpx_dns_input(r, f->sent[i].server, 53, f->sent[i].port,
			      reply, n);
		break;
	case 3:
		dpx_timer_advance(wheel, dpx_timer_wheel_now(wheel) +
				  (uint64_t)b[2] * 8);
		break;
	default:
		if (i < f->n_sent)
			dpx_dns_input(r, f->sent[i].server, 53,
				      f->sent[i].port, b, 3);
		break;
	}
}

static void run_ops(const uint8_t *data, size_t size)
{
	static struct dpx_timer_wheel wheel;
	struct ops_io f = { 0 };
	struct dpx_dns_io io = { .pick_port = ops_pick,
				 .release_port = ops_release,
				 .send = ops_send, .ctx = &f };
	struct ops_waiter w[N_WAITERS];
	struct dpx_dns_host host = { .name = "d.example", .n_addrs = 1,
				     .addrs = { 1 } };
	struct dpx_dns_conf conf;
	struct dpx_dns *r;

	dpx_dns_conf_defaults(&conf);
	conf.servers[0] = 0xc6120235u;
	conf.servers[1] = 0xc6120236u;
	conf.n_servers = 2;
	conf.timeout_ms = 100;
	conf.retries = 1 + data[0] % 3;
	conf.cache_entries = 2;
	conf.max_pending = 3;
	conf.hosts = &host;
	conf.n_hosts = 1;
	dpx_timer_wheel_init(&wheel, 0);
	r = dpx_dns_create(&conf, &wheel, &io, 11);
	if (r == NULL)
		abort();
	for (unsigned int k = 0; k < N_WAITERS; k++) {
		dpx_dns_waiter_init(&w[k].wt, ops_done, &w[k]);
		w[k].expect_call = false;
	}
	for (size_t at = 1; at + 3 <= size; at += 3) {
		ops_step(r, &wheel, &f, w, data + at);
		if (dpx_dns_stats(r)->pending > conf.max_pending)
			abort();
	}
	dpx_timer_advance(&wheel, dpx_timer_wheel_now(&wheel) + 10000);
	for (unsigned int k = 0; k < N_WAITERS; k++)
		if (w[k].expect_call || dpx_dns_waiter_pending(&w[k].wt))
			abort();
	if (dpx_dns_stats(r)->pending != 0 || f.ports_out != 0)
		abort();
	dpx_dns_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpx_dns_answer a, again;
	enum dpx_dns_parse r, r2;
	const char *name;
	uint16_t id;
	uint8_t *pkt;
	size_t len;

	if (size < 3 || size > 4096)
		return 0;
	if (data[0] & 0x80) {
		run_ops(data, size);
		return 0;
	}
	name = names[data[0] % 4];
	id = (uint16_t)(data[1] << 8 | data[2]);
	len = size - 3;
	pkt = malloc(len ? len : 1);
	if (pkt == NULL)
		return 0;
	memcpy(pkt, data + 3, len);

	r = dpx_dns_parse_answer(pkt, len, id, name, &a);
	check_answer(r, &a);
	r2 = dpx_dns_parse_answer(pkt, len, id, name, &again);
	if (r2 != r || memcmp(&a, &again, sizeof(a)) != 0)
		abort();

	/* With the ID made to match. */
	if (len >= 2) {
		pkt[0] = (uint8_t)(id >> 8);
		pkt[1] = (uint8_t)id;
	}
	r = dpx_dns_parse_answer(pkt, len, id, name, &a);
	check_answer(r, &a);
	through_resolver(name, pkt, len);
	free(pkt);
	return 0;
}
