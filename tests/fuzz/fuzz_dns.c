/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/dns's answer parser, and the resolver that
 * feeds it. The first byte picks the name asked (so the question can
 * match), the next two the query ID; the rest, copied to an exact-size
 * heap buffer so that ASan sees any overread, is the answer. Checks: the
 * verdict is a known one, at most DPX_DNS_MAX_ADDRS addresses, no more
 * CNAME hops than allowed, nothing filled for a refusal; the datagram
 * with the ID in place parses the same way again (no hidden state); and
 * a resolver given it as the answer to its own query either finishes the
 * lookup with a status that matches the verdict or keeps it pending.
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
static void through_resolver(const char *name, uint8_t *pkt, size_t len,
			     enum dpx_dns_parse verdict_any_id)
{
	static struct dpx_timer_wheel wheel;
	struct dpx_dns_conf conf;
	struct fuzz_io f = { 0 };
	struct dpx_dns_io io = { .pick_port = pick, .send = send_query,
				 .ctx = &f };
	struct outcome o = { 0 };
	struct dpx_dns_result res;
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
	if (len >= 2)
		memcpy(pkt, f.query, 2);        /* the query's ID */
	dpx_dns_input(r, conf.servers[0], 53, f.port, pkt, len);
	if (o.calls > 1)
		abort();
	if (o.calls == 1) {
		bool ok = o.res.status == DPX_DNS_OK;

		if (ok != (verdict_any_id == DPX_DNS_PARSE_OK) ||
		    (ok && o.res.n_addrs == 0))
			abort();
	}
	dpx_timer_advance(&wheel, 60000);       /* times out if pending */
	if (o.calls != 1 || dpx_dns_stats(r)->pending != 0)
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

	/* With the ID made to match, as the resolver will see it. */
	if (len >= 2) {
		pkt[0] = (uint8_t)(id >> 8);
		pkt[1] = (uint8_t)id;
	}
	r = dpx_dns_parse_answer(pkt, len, id, name, &a);
	check_answer(r, &a);
	through_resolver(name, pkt, len, r);
	free(pkt);
	return 0;
}
