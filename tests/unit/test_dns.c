/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/dns, packet by packet: host name checks, the query's
 * bytes, the answer parser on hand-built answers (good, CNAME chains and
 * loops, compression pointer loops, reads past the end, wrong ID or
 * question, TC, NXDOMAIN/NODATA with SOA, SERVFAIL), and the resolver on a
 * fake transport and a fake clock (the timer wheel advanced by hand):
 * cache and negative cache expiry, failover, retries, the pending bound,
 * coalescing, hosts, cancel, and the "resolver" config section.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_config_kit.h"
#include "dpx_dns.h"
#include "dpx_test.h"
#include "dpx_timer.h"

#define S1 0xc6120235u  /* 198.18.2.53 */
#define S2 0xc6120236u  /* 198.18.2.54 */
#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* ---------------------------------------------------------------------- */
/* Packet building                                                         */

struct pkt {
	uint8_t b[1500];
	size_t n;
};

static void put8(struct pkt *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

/* "a.b.c" as labels, ending with the root, or with a pointer to ptr. */
static void put_name_ptr(struct pkt *p, const char *name, int ptr)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		put8(p, (uint8_t)len);
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		put16(p, (uint16_t)(0xc000 | ptr));
	else
		put8(p, 0);
}

static void put_name(struct pkt *p, const char *name)
{
	put_name_ptr(p, name, -1);
}

static void header(struct pkt *p, uint16_t id, uint16_t flags, uint16_t qd,
		   uint16_t an, uint16_t ns, uint16_t ar)
{
	p->n = 0;
	put16(p, id);
	put16(p, flags);
	put16(p, qd);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
}

static void question(struct pkt *p, const char *name, uint16_t type)
{
	put_name(p, name);
	put16(p, type);
	put16(p, 1);
}

/* A record owned by the name at offset owner (a pointer). */
static void rr_a(struct pkt *p, int owner, uint32_t ttl, uint32_t addr)
{
	put16(p, (uint16_t)(0xc000 | owner));
	put16(p, 1);
	put16(p, 1);
	put32(p, ttl);
	put16(p, 4);
	put32(p, addr);
}

/* CNAME owned by the name at owner, to target (uncompressed). Returns
 * the target's offset, for later records to point at. */
static int rr_cname(struct pkt *p, int owner, uint32_t ttl,
		    const char *target)
{
	size_t len_at;
	int at;

	put16(p, (uint16_t)(0xc000 | owner));
	put16(p, 5);
	put16(p, 1);
	put32(p, ttl);
	len_at = p->n;
	put16(p, 0);
	at = (int)p->n;
	put_name(p, target);
	p->b[len_at] = (uint8_t)((p->n - (size_t)at) >> 8);
	p->b[len_at + 1] = (uint8_t)(p->n - (size_t)at);
	return at;
}

/* SOA for the name at owner, with compressed mname/rname. */
static void rr_soa(struct pkt *p, int owner, uint32_t ttl, uint32_t minimum)
{
	put16(p, (uint16_t)(0xc000 | owner));
	put16(p, 6);
	put16(p, 1);
	put32(p, ttl);
	put16(p, 2 + 2 + 20);
	put16(p, (uint16_t)(0xc000 | owner));   /* mname */
	put16(p, (uint16_t)(0xc000 | owner));   /* rname */
	put32(p, 2026);                         /* serial */
	put32(p, 3600);
	put32(p, 600);
	put32(p, 86400);
	put32(p, minimum);
}

#define QR_RD_RA 0x8180

static enum dpx_dns_parse parse(const struct pkt *p, uint16_t id,
				const char *name, struct dpx_dns_answer *a)
{
	/* An exact-size copy, so ASan sees any read past the datagram. */
	uint8_t *copy = malloc(p->n ? p->n : 1);
	enum dpx_dns_parse r;

	memcpy(copy, p->b, p->n);
	r = dpx_dns_parse_answer(copy, p->n, id, name, a);
	free(copy);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Names and queries                                                       */

static void test_name_check(void)
{
	static const struct {
		const char *name;
		enum dpx_dns_name_check want;
	} table[] = {
		{ "example.com", DPX_DNS_NAME_OK },
		{ "Example.COM.", DPX_DNS_NAME_OK },
		{ "a", DPX_DNS_NAME_OK },
		{ "xn--bcher-kva.example", DPX_DNS_NAME_OK },
		{ "3com.net", DPX_DNS_NAME_OK },
		{ "a-b.c-d.e", DPX_DNS_NAME_OK },
		{ "198.18.0.1", DPX_DNS_NAME_IPV4 },
		{ "198.18.0.1.", DPX_DNS_NAME_IPV4 },
		{ "[::1]", DPX_DNS_NAME_IPV6 },
		{ "fe80::1", DPX_DNS_NAME_IPV6 },
		{ "", DPX_DNS_NAME_EMPTY },
		{ ".", DPX_DNS_NAME_EMPTY },
		{ "a..b", DPX_DNS_NAME_EMPTY_LABEL },
		{ ".a", DPX_DNS_NAME_EMPTY_LABEL },
		{ "a.b..", DPX_DNS_NAME_EMPTY_LABEL },
		{ "b\xc3\xbc" "cher.example", DPX_DNS_NAME_NON_ASCII },
		{ "a_b.example", DPX_DNS_NAME_BAD_CHAR },
		{ "a b.example", DPX_DNS_NAME_BAD_CHAR },
		{ "a/b", DPX_DNS_NAME_BAD_CHAR },
		{ "-a.example", DPX_DNS_NAME_HYPHEN_EDGE },
		{ "a-.example", DPX_DNS_NAME_HYPHEN_EDGE },
		{ "example.123", DPX_DNS_NAME_NUMERIC_TLD },
		{ "1.2.3", DPX_DNS_NAME_NUMERIC_TLD },
		{ "256.1.1.1", DPX_DNS_NAME_NUMERIC_TLD },
	};
	char out[DPX_DNS_NAME_MAX + 1], long_name[300];
	uint32_t addr = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		enum dpx_dns_name_check got = dpx_dns_name_check(
			table[i].name, strlen(table[i].name), NULL, NULL);

		if (got != table[i].want)
			fprintf(stderr, "name \"%s\": %s, want %s\n",
				table[i].name, dpx_dns_name_reason(got),
				dpx_dns_name_reason(table[i].want));
		CHECK_EQ(got, table[i].want);
	}
	CHECK_EQ(dpx_dns_name_check("Example.COM.", 12, out, NULL),
		 DPX_DNS_NAME_OK);
	CHECK(strcmp(out, "example.com") == 0);
	CHECK_EQ(dpx_dns_name_check("198.18.0.1", 10, NULL, &addr),
		 DPX_DNS_NAME_IPV4);
	CHECK_EQ(addr, ADDR(198, 18, 0, 1));
	/* A NUL inside the given length is a bad character, not the end. */
	CHECK_EQ(dpx_dns_name_check("a\0b.com", 7, NULL, NULL),
		 DPX_DNS_NAME_BAD_CHAR);

	/* Labels: 63 is fine, 64 is not. Names: 253 fine, 254 not. */
	memset(long_name, 'a', 64);
	CHECK_EQ(dpx_dns_name_check(long_name, 63, NULL, NULL),
		 DPX_DNS_NAME_OK);
	CHECK_EQ(dpx_dns_name_check(long_name, 64, NULL, NULL),
		 DPX_DNS_NAME_LABEL_TOO_LONG);
	for (size_t i = 0; i < sizeof(long_name); i++)
		long_name[i] = (i % 50 == 49) ? '.' : 'a';
	CHECK_EQ(dpx_dns_name_check(long_name, 253, NULL, NULL),
		 DPX_DNS_NAME_OK);
	CHECK_EQ(dpx_dns_name_check(long_name, 254, NULL, NULL),
		 DPX_DNS_NAME_TOO_LONG);
	long_name[253] = '.';           /* 253 and a trailing dot: fine */
	CHECK_EQ(dpx_dns_name_check(long_name, 254, NULL, NULL),
		 DPX_DNS_NAME_OK);
}

static void test_build_query(void)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 2, 'a', 'b', 0, 0, 1, 0, 1,
	};
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	uint8_t buf[DPX_DNS_QUERY_MAX];
	int n;

	n = dpx_dns_build_query(buf, sizeof(buf), 0x1234, "www.ab", false);
	CHECK_EQ(n, sizeof(want));
	CHECK(memcmp(buf, want, sizeof(want)) == 0);

	n = dpx_dns_build_query(buf, sizeof(buf), 0x1234, "www.ab", true);
	CHECK_EQ(n, sizeof(want) + sizeof(opt));
	CHECK_EQ(buf[11], 1);           /* ARCOUNT */
	CHECK(memcmp(buf + sizeof(want), opt, sizeof(opt)) == 0);

	CHECK_EQ(dpx_dns_build_query(buf, 20, 1, "www.ab", false), -1);
	CHECK_EQ(dpx_dns_build_query(buf, sizeof(buf), 1, "a..b", false), -1);
}

/* ---------------------------------------------------------------------- */
/* The answer parser                                                       */

static void test_parse_good_a(void)
{
	struct dpx_dns_answer a;
	struct pkt p;

	header(&p, 0x4242, QR_RD_RA, 1, 3, 0, 0);
	question(&p, "WWW.Example.com", 1);     /* echoed in another case */
	rr_a(&p, 12, 300, ADDR(198, 18, 1, 1));
	rr_a(&p, 12, 120, ADDR(198, 18, 1, 2));
	put16(&p, 0xc00c);                      /* an AAAA: ignored */
	put16(&p, 28);
	put16(&p, 1);
	put32(&p, 5);
	put16(&p, 16);
	memset(p.b + p.n, 0, 16);
	p.n += 16;

	CHECK_EQ(parse(&p, 0x4242, "www.example.com", &a), DPX_DNS_PARSE_OK);
	CHECK_EQ(a.n_addrs, 2);
	CHECK_EQ(a.addrs[0], ADDR(198, 18, 1, 1));
	CHECK_EQ(a.addrs[1], ADDR(198, 18, 1, 2));
	CHECK_EQ(a.ttl_s, 120);         /* the least, the AAAA's not counted */
	CHECK_EQ(a.cnames, 0);

	/* Every shorter datagram is refused, and read within bounds. */
	for (size_t cut = 0; cut < p.n; cut++) {
		struct pkt q = p;
		enum dpx_dns_parse r;

		q.n = cut;
		r = parse(&q, 0x4242, "www.example.com", &a);
		CHECK(r == DPX_DNS_PARSE_MALFORMED);
	}
	/* The top bit of a TTL set means 0 (RFC 2181 8). */
	p.b[12 + 17 + 4 + 6] = 0x80;
	CHECK_EQ(parse(&p, 0x4242, "www.example.com", &a), DPX_DNS_PARSE_OK);
	CHECK_EQ(a.ttl_s, 0);
}

static void test_parse_cname_chain(void)
{
	struct dpx_dns_answer a;
	struct pkt p;
	int cdn, edge;

	header(&p, 7, QR_RD_RA, 1, 4, 0, 0);
	question(&p, "www.example.com", 1);
	cdn = rr_cname(&p, 12, 600, "cdn.example.net");
	edge = rr_cname(&p, cdn, 60, "Edge.Example.NET");
	rr_a(&p, edge, 300, ADDR(198, 18, 3, 3));
	rr_a(&p, cdn, 5, ADDR(198, 18, 4, 4));  /* not at the chain's end */
	p.b[7] = 4;

	CHECK_EQ(parse(&p, 7, "www.example.com", &a), DPX_DNS_PARSE_OK);
	/* cdn has an A of its own: the chain stops there, at hop 1. */
	CHECK_EQ(a.cnames, 1);
	CHECK_EQ(a.n_addrs, 1);
	CHECK_EQ(a.addrs[0], ADDR(198, 18, 4, 4));
	CHECK_EQ(a.ttl_s, 5);

	/* Without it, two hops, case-insensitively, TTL the least of all. */
	p.n -= 16;
	p.b[7] = 3;
	CHECK_EQ(parse(&p, 7, "www.example.com", &a), DPX_DNS_PARSE_OK);
	CHECK_EQ(a.cnames, 2);
	CHECK_EQ(a.n_addrs, 1);
	CHECK_EQ(a.addrs[0], ADDR(198, 18, 3, 3));
	CHECK_EQ(a.ttl_s, 60);

	/* A chain that ends without an A: NODATA. */
	p.n -= 16;
	p.b[7] = 2;
	CHECK_EQ(parse(&p, 7, "www.example.com", &a), DPX_DNS_PARSE_NODATA);
	CHECK(!a.has_soa);
}

static void test_parse_cname_loop(void)
{
	struct dpx_dns_answer a;
	struct pkt p;
	int b, c;

	/* www -> b -> c -> www */
	header(&p, 9, QR_RD_RA, 1, 3, 0, 0);
	question(&p, "www.example.com", 1);
	b = rr_cname(&p, 12, 60, "b.example.com");
	c = rr_cname(&p, b, 60, "c.example.com");
	rr_cname(&p, c, 60, "www.example.com");
	CHECK_EQ(parse(&p, 9, "www.example.com", &a),
		 DPX_DNS_PARSE_CNAME_LOOP);

	/* A CNAME to itself. */
	header(&p, 9, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "www.example.com", 1);
	rr_cname(&p, 12, 60, "WWW.example.com");
	CHECK_EQ(parse(&p, 9, "www.example.com", &a),
		 DPX_DNS_PARSE_CNAME_LOOP);

	/* A chain one hop longer than DPX_DNS_MAX_CNAMES, no loop. */
	header(&p, 9, QR_RD_RA, 1, DPX_DNS_MAX_CNAMES + 2, 0, 0);
	question(&p, "h.example.com", 1);
	{
		char name[32];
		int owner = 12;

		for (int i = 0; i <= DPX_DNS_MAX_CNAMES; i++) {
			snprintf(name, sizeof(name), "h%d.example.com", i);
			owner = rr_cname(&p, owner, 60, name);
		}
		rr_a(&p, owner, 60, ADDR(198, 18, 5, 5));
	}
	CHECK_EQ(parse(&p, 9, "h.example.com", &a),
		 DPX_DNS_PARSE_CNAME_LOOP);
	/* Exactly DPX_DNS_MAX_CNAMES hops is fine: drop the first CNAME by
	 * asking for h0. */
	header(&p, 9, QR_RD_RA, 1, DPX_DNS_MAX_CNAMES + 1, 0, 0);
	question(&p, "h0.example.com", 1);
	{
		char name[32];
		int owner = 12;

		for (int i = 1; i <= DPX_DNS_MAX_CNAMES; i++) {
			snprintf(name, sizeof(name), "h%d.example.com", i);
			owner = rr_cname(&p, owner, 60, name);
		}
		rr_a(&p, owner, 60, ADDR(198, 18, 5, 5));
	}
	CHECK_EQ(parse(&p, 9, "h0.example.com", &a), DPX_DNS_PARSE_OK);
	CHECK_EQ(a.cnames, DPX_DNS_MAX_CNAMES);
}

static void test_parse_pointers(void)
{
	struct dpx_dns_answer a;
	struct pkt p;
	size_t owner;

	/* An answer owner that points at itself. */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	owner = p.n;
	put16(&p, (uint16_t)(0xc000 | owner));
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 4);
	put32(&p, 1);
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* Two labels-and-pointers pointing at each other: x -> y -> x. */
	header(&p, 1, QR_RD_RA, 1, 2, 0, 0);
	question(&p, "a.example", 1);
	owner = p.n;
	put8(&p, 1);
	put8(&p, 'x');
	put16(&p, (uint16_t)(0xc000 | (owner + 14)));  /* forward: refused */
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 0);
	put8(&p, 1);                                   /* at owner + 14 */
	put8(&p, 'y');
	put16(&p, (uint16_t)(0xc000 | owner));
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 0);
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* A pointer back to a label that points back to it again. */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	owner = p.n;
	put8(&p, 1);
	put8(&p, 'x');
	put16(&p, (uint16_t)(0xc000 | (owner + 1)));   /* into itself */
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 4);
	put32(&p, 1);
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* A forward pointer, even to a good name, is refused (RFC 1035
	 * 4.1.4: a prior occurrence). */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	owner = p.n;
	put16(&p, (uint16_t)(0xc000 | (owner + 16)));
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 4);
	put32(&p, 1);
	put_name(&p, "a.example");      /* at owner + 16, past the records */
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* A pointer into the header (its ID would read as a label). */
	header(&p, 0, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	put16(&p, 0xc000);
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 4);
	put32(&p, 1);
	CHECK_EQ(parse(&p, 0, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* A pointer past the end of the datagram. */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	put16(&p, 0xc000 | 0x3ff0);
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 4);
	put32(&p, 1);
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* A pointer whose second byte is missing, at the very end. */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	put8(&p, 0xc0);
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* RDLENGTH past the end. */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	put16(&p, 0xc00c);
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 200);
	put32(&p, 1);
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* Reserved label types 0x40 and 0x80. */
	header(&p, 1, QR_RD_RA, 1, 0, 0, 0);
	put8(&p, 0x41);
	put8(&p, 'a');
	put8(&p, 0);
	put16(&p, 1);
	put16(&p, 1);
	CHECK_EQ(parse(&p, 1, "a", &a), DPX_DNS_PARSE_MALFORMED);

	/* A name of 256 bytes spelled through pointers: over the bound. */
	header(&p, 1, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	{
		size_t prev = 12 + 2;   /* "example" inside the question */

		for (int i = 0; i < 4; i++) {
			size_t at = p.n;

			put8(&p, 62);
			memset(p.b + p.n, 'z', 62);
			p.n += 62;
			put16(&p, (uint16_t)(0xc000 | prev));
			prev = at;
		}
		owner = prev;
	}
	put16(&p, (uint16_t)(0xc000 | owner));
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 4);
	put32(&p, 1);
	/* 4 * 63 + "example" (9) = 261 > 255 */
	CHECK_EQ(parse(&p, 1, "a.example", &a), DPX_DNS_PARSE_MALFORMED);
}

static void test_parse_refusals(void)
{
	struct dpx_dns_answer a;
	struct pkt p;

	header(&p, 5, QR_RD_RA, 1, 1, 0, 0);
	question(&p, "a.example", 1);
	rr_a(&p, 12, 60, 1);

	CHECK_EQ(parse(&p, 6, "a.example", &a), DPX_DNS_PARSE_BAD_ID);
	CHECK_EQ(parse(&p, 5, "b.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	CHECK_EQ(parse(&p, 5, "a.example.com", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	CHECK_EQ(parse(&p, 5, "A.EXAMPLE", &a), DPX_DNS_PARSE_OK);

	p.b[12 + 12] = 28;              /* QTYPE AAAA */
	CHECK_EQ(parse(&p, 5, "a.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	p.b[12 + 12] = 1;
	p.b[12 + 14] = 3;               /* QCLASS CH */
	CHECK_EQ(parse(&p, 5, "a.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	p.b[12 + 14] = 1;
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_OK);

	p.b[5] = 2;                     /* QDCOUNT 2 */
	CHECK_EQ(parse(&p, 5, "a.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	p.b[5] = 1;

	p.b[2] = 0x01;                  /* QR clear: a query, not an answer */
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_NOT_ANSWER);
	p.b[2] = 0x80 | (2 << 3);       /* opcode STATUS */
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_NOT_ANSWER);
	p.b[2] = 0x83;                  /* TC */
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_TRUNCATED);
	p.b[2] = 0x81;

	p.b[3] = 0x82;                  /* SERVFAIL */
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_SERVFAIL);
	p.b[3] = 0x85;                  /* REFUSED */
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_SERVFAIL);
	/* SERVFAIL for another question is still the wrong question. */
	CHECK_EQ(parse(&p, 5, "b.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);

	/* FORMERR without a question section. */
	header(&p, 5, 0x8181, 0, 0, 0, 0);
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_SERVFAIL);
	/* ... but NXDOMAIN must echo the question. */
	header(&p, 5, 0x8183, 0, 0, 0, 0);
	CHECK_EQ(parse(&p, 5, "a.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	header(&p, 5, QR_RD_RA, 0, 0, 0, 0);
	CHECK_EQ(parse(&p, 5, "a.example", &a),
		 DPX_DNS_PARSE_WRONG_QUESTION);
	p.n = 11;
	CHECK_EQ(parse(&p, 5, "a.example", &a), DPX_DNS_PARSE_MALFORMED);
}

static void test_parse_negative(void)
{
	struct dpx_dns_answer a;
	struct pkt p;

	/* NXDOMAIN: min(SOA TTL 900, MINIMUM 300). */
	header(&p, 3, 0x8183, 1, 0, 1, 0);
	question(&p, "nx.example", 1);
	rr_soa(&p, 12 + 3, 900, 300);
	CHECK_EQ(parse(&p, 3, "nx.example", &a), DPX_DNS_PARSE_NXDOMAIN);
	CHECK(a.has_soa);
	CHECK_EQ(a.negative_ttl_s, 300);
	CHECK_EQ(a.n_addrs, 0);

	/* ... and min(60, 300) the other way round. */
	header(&p, 3, 0x8183, 1, 0, 1, 0);
	question(&p, "nx.example", 1);
	rr_soa(&p, 12 + 3, 60, 300);
	CHECK_EQ(parse(&p, 3, "nx.example", &a), DPX_DNS_PARSE_NXDOMAIN);
	CHECK_EQ(a.negative_ttl_s, 60);

	/* An SOA whose RDLENGTH is one too long is malformed. */
	p.b[12 + 16 + 2 + 8 + 1]++;
	put8(&p, 0);
	CHECK_EQ(parse(&p, 3, "nx.example", &a), DPX_DNS_PARSE_MALFORMED);

	/* NXDOMAIN without SOA: no negative TTL. */
	header(&p, 3, 0x8183, 1, 0, 0, 0);
	question(&p, "nx.example", 1);
	CHECK_EQ(parse(&p, 3, "nx.example", &a), DPX_DNS_PARSE_NXDOMAIN);
	CHECK(!a.has_soa);

	/* NODATA: no error, no answer, SOA in authority (after an NS). */
	header(&p, 3, QR_RD_RA, 1, 0, 2, 0);
	question(&p, "nd.example", 1);
	put16(&p, 0xc00c + 3);
	put16(&p, 2);                   /* NS */
	put16(&p, 1);
	put32(&p, 100);
	put16(&p, 2);
	put16(&p, 0xc00c);
	rr_soa(&p, 12 + 3, 100, 50);
	CHECK_EQ(parse(&p, 3, "nd.example", &a), DPX_DNS_PARSE_NODATA);
	CHECK(a.has_soa);
	CHECK_EQ(a.negative_ttl_s, 50);
}

/* ---------------------------------------------------------------------- */
/* The resolver on a fake transport                                        */

struct sent {
	uint32_t server;
	uint16_t server_port;
	uint16_t src_port;
	uint8_t data[DPX_DNS_QUERY_MAX];
	size_t len;
};

struct fake_io {
	struct sent sent[64];
	unsigned int n_sent;
	unsigned int ports_out;         /* picked and not released */
	bool no_ports;
	bool fail_send;
};

static struct fake_io fio;
static struct dpx_timer_wheel wheel;

static uint16_t fake_pick(void *ctx, uint32_t server, uint16_t server_port,
			  uint32_t random)
{
	struct fake_io *f = ctx;

	(void)server;
	CHECK_EQ(server_port, 53);
	if (f->no_ports)
		return 0;
	f->ports_out++;
	return (uint16_t)(10000 + random % 50000);
}

static void fake_release(void *ctx, uint16_t port)
{
	struct fake_io *f = ctx;

	CHECK(port >= 10000);
	CHECK(f->ports_out > 0);
	f->ports_out--;
}

static int fake_send(void *ctx, uint32_t server, uint16_t server_port,
		     uint16_t src_port, const uint8_t *data, size_t len)
{
	struct fake_io *f = ctx;
	struct sent *s = &f->sent[f->n_sent % 64];

	if (f->fail_send)
		return -1;
	CHECK(len <= sizeof(s->data));
	s->server = server;
	s->server_port = server_port;
	s->src_port = src_port;
	memcpy(s->data, data, len);
	s->len = len;
	f->n_sent++;
	return 0;
}

static const struct dpx_dns_io io = {
	.pick_port = fake_pick, .release_port = fake_release,
	.send = fake_send, .ctx = &fio,
};

struct done {
	struct dpx_dns_waiter wt;
	unsigned int calls;
	struct dpx_dns_result res;
};

static void on_done(struct dpx_dns_waiter *wt,
		    const struct dpx_dns_result *res)
{
	struct done *d = wt->cookie;

	CHECK(wt == &d->wt);
	CHECK(!dpx_dns_waiter_pending(wt));
	d->calls++;
	d->res = *res;
}

static void done_init(struct done *d)
{
	memset(d, 0, sizeof(*d));
	dpx_dns_waiter_init(&d->wt, on_done, d);
}

static struct dpx_dns *make(struct dpx_dns_conf *conf)
{
	memset(&fio, 0, sizeof(fio));
	dpx_timer_wheel_init(&wheel, 1000);
	return dpx_dns_create(conf, &wheel, &io, 42);
}

static void two_servers(struct dpx_dns_conf *conf)
{
	dpx_dns_conf_defaults(conf);
	conf->servers[0] = S1;
	conf->servers[1] = S2;
	conf->n_servers = 2;
}

static struct sent *last_sent(void)
{
	CHECK(fio.n_sent > 0);
	return &fio.sent[(fio.n_sent - 1) % 64];
}

/* An answer to a sent query: its ID and question, then the records. */
static void answer_to(struct pkt *p, const struct sent *s, uint16_t flags,
		      uint16_t an, uint16_t ns)
{
	size_t qlen = 12;

	while (s->data[qlen] != 0)
		qlen += s->data[qlen] + 1u;
	qlen += 1 + 4;
	memcpy(p->b, s->data, qlen);
	p->n = qlen;
	p->b[2] = (uint8_t)(flags >> 8);
	p->b[3] = (uint8_t)flags;
	p->b[6] = (uint8_t)(an >> 8);
	p->b[7] = (uint8_t)an;
	p->b[8] = (uint8_t)(ns >> 8);
	p->b[9] = (uint8_t)ns;
	p->b[10] = 0;
	p->b[11] = 0;
}

static bool deliver(struct dpx_dns *r, const struct sent *s,
		    const struct pkt *p)
{
	return dpx_dns_input(r, s->server, 53, s->src_port, p->b, p->n);
}

static uint16_t sent_id(const struct sent *s)
{
	return (uint16_t)(s->data[0] << 8 | s->data[1]);
}

static void test_resolve_and_cache(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;
	struct sent s;
	struct dpx_dns_answer parsed;

	two_servers(&conf);
	conf.edns = false;
	r = make(&conf);
	CHECK(r != NULL);
	done_init(&d);

	CHECK_EQ(dpx_dns_lookup(r, "WWW.Example.com", 15, &d.wt, &res),
		 DPX_DNS_PENDING);
	CHECK(dpx_dns_waiter_pending(&d.wt));
	CHECK_EQ(fio.n_sent, 1);
	s = *last_sent();
	CHECK_EQ(s.server, S1);
	CHECK_EQ(s.server_port, 53);
	CHECK_EQ(s.len, 12 + 17 + 4);
	CHECK_EQ(s.data[2], 0x01);      /* RD */
	CHECK(memcmp(s.data + 12, "\3www\7example\3com", 17) == 0);
	CHECK_EQ(dpx_dns_stats(r)->pending, 1);

	answer_to(&p, &s, QR_RD_RA, 1, 0);
	rr_a(&p, 12, 300, ADDR(198, 18, 7, 7));
	CHECK(parse(&p, sent_id(&s), "www.example.com", &parsed) ==
	      DPX_DNS_PARSE_OK);
	CHECK(deliver(r, &s, &p));
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(d.res.status, DPX_DNS_OK);
	CHECK_EQ(d.res.n_addrs, 1);
	CHECK_EQ(d.res.addrs[0], ADDR(198, 18, 7, 7));
	CHECK_EQ(d.res.ttl_s, 300);
	CHECK_EQ(dpx_dns_stats(r)->pending, 0);
	CHECK_EQ(fio.ports_out, 0);

	/* The same answer again: the port is closed now. */
	CHECK(!deliver(r, &s, &p));
	CHECK_EQ(dpx_dns_stats(r)->unmatched, 1);

	/* A hit, with the TTL left, until it expires. */
	dpx_timer_advance(&wheel, 1000 + 100 * 1000);
	CHECK_EQ(dpx_dns_lookup(r, "www.example.com.", 16, &d.wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(res.addrs[0], ADDR(198, 18, 7, 7));
	CHECK_EQ(res.ttl_s, 200);
	CHECK_EQ(dpx_dns_stats(r)->cache_hits, 1);
	dpx_timer_advance(&wheel, 1000 + 300 * 1000 - 1);
	CHECK_EQ(dpx_dns_lookup(r, "www.example.com", 15, &d.wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(res.ttl_s, 1);
	dpx_timer_advance(&wheel, 1000 + 300 * 1000);
	CHECK_EQ(dpx_dns_lookup(r, "www.example.com", 15, &d.wt, &res),
		 DPX_DNS_PENDING);
	CHECK_EQ(fio.n_sent, 2);
	CHECK_EQ(dpx_dns_stats(r)->cache_misses, 2);
	CHECK_EQ(dpx_dns_stats(r)->queries, 2);
	CHECK_EQ(dpx_dns_stats(r)->answers, 1);
	dpx_dns_destroy(r);
	CHECK_EQ(fio.ports_out, 0);
	CHECK(!dpx_dns_waiter_pending(&d.wt));
}

static void test_ttl_clamps(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;

	two_servers(&conf);
	conf.min_ttl_s = 10;
	conf.max_ttl_s = 60;
	r = make(&conf);
	done_init(&d);
	dpx_dns_lookup(r, "lo.example", 10, &d.wt, &res);
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 0, ADDR(198, 18, 0, 10));
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.ttl_s, 10);
	dpx_dns_lookup(r, "hi.example", 10, &d.wt, &res);
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 86400, ADDR(198, 18, 0, 11));
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.ttl_s, 60);
	dpx_timer_advance(&wheel, 1000 + 60 * 1000);
	CHECK_EQ(dpx_dns_lookup(r, "hi.example", 10, &d.wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_destroy(r);

	/* TTL 0 and no floor: answered, not cached. */
	two_servers(&conf);
	r = make(&conf);
	dpx_dns_lookup(r, "zero.example", 12, &d.wt, &res);
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 0, ADDR(198, 18, 0, 12));
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.status, DPX_DNS_OK);
	CHECK_EQ(d.res.ttl_s, 0);
	CHECK_EQ(dpx_dns_lookup(r, "zero.example", 12, &d.wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_destroy(r);
}

static void test_negative_cache(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;

	two_servers(&conf);
	conf.negative_ttl_s = 30;
	r = make(&conf);
	done_init(&d);

	CHECK_EQ(dpx_dns_lookup(r, "nx.example", 10, &d.wt, &res),
		 DPX_DNS_PENDING);
	answer_to(&p, last_sent(), 0x8183, 0, 1);
	rr_soa(&p, 12 + 3, 900, 20);
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.status, DPX_DNS_NXDOMAIN);
	CHECK_EQ(d.res.ttl_s, 20);
	CHECK_EQ(dpx_dns_http_status(d.res.status), 502);
	CHECK_EQ(dpx_dns_stats(r)->nxdomain, 1);

	dpx_timer_advance(&wheel, 1000 + 19 * 1000);
	CHECK_EQ(dpx_dns_lookup(r, "nx.example", 10, &d.wt, &res),
		 DPX_DNS_NXDOMAIN);
	CHECK_EQ(dpx_dns_stats(r)->negative_hits, 1);
	dpx_timer_advance(&wheel, 1000 + 20 * 1000);
	CHECK_EQ(dpx_dns_lookup(r, "nx.example", 10, &d.wt, &res),
		 DPX_DNS_PENDING);

	/* NODATA, SOA minimum above negative_ttl_s: capped at 30. */
	answer_to(&p, last_sent(), QR_RD_RA, 0, 1);
	rr_soa(&p, 12 + 3, 900, 600);
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.status, DPX_DNS_NODATA);
	CHECK_EQ(d.res.ttl_s, 30);
	CHECK_EQ(dpx_dns_lookup(r, "nx.example", 10, &d.wt, &res),
		 DPX_DNS_NODATA);
	dpx_timer_advance(&wheel, 1000 + 50 * 1000);
	CHECK_EQ(dpx_dns_lookup(r, "nx.example", 10, &d.wt, &res),
		 DPX_DNS_PENDING);

	/* NXDOMAIN without SOA: not cached (RFC 2308 5). */
	answer_to(&p, last_sent(), 0x8183, 0, 0);
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.status, DPX_DNS_NXDOMAIN);
	CHECK_EQ(d.res.ttl_s, 0);
	CHECK_EQ(dpx_dns_lookup(r, "nx.example", 10, &d.wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_destroy(r);
}

static void test_failover_and_timeout(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;
	struct sent first;

	two_servers(&conf);
	conf.timeout_ms = 500;
	conf.retries = 2;
	r = make(&conf);
	done_init(&d);

	dpx_dns_lookup(r, "a.example", 9, &d.wt, &res);
	first = *last_sent();
	CHECK_EQ(first.server, S1);
	dpx_timer_advance(&wheel, 1000 + 499);
	CHECK_EQ(fio.n_sent, 1);
	dpx_timer_advance(&wheel, 1000 + 500);
	CHECK_EQ(fio.n_sent, 2);
	CHECK_EQ(last_sent()->server, S2);
	CHECK(last_sent()->src_port != first.src_port ||
	      sent_id(last_sent()) != sent_id(&first));
	CHECK_EQ(dpx_dns_stats(r)->timeouts, 1);
	CHECK_EQ(dpx_dns_stats(r)->retries, 1);
	CHECK_EQ(fio.ports_out, 1);     /* the first try's port went back */

	/* The late answer to the first try is not taken. */
	answer_to(&p, &first, QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 1));
	CHECK(!deliver(r, &first, &p));
	CHECK_EQ(d.calls, 0);

	/* The second server's answer is. */
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 2));
	CHECK(deliver(r, last_sent(), &p));
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(d.res.addrs[0], ADDR(198, 18, 0, 2));

	/* The next query starts at the server that answered. */
	dpx_dns_lookup(r, "b.example", 9, &d.wt, &res);
	CHECK_EQ(last_sent()->server, S2);

	/* Nobody answers: S2, S1, S2, then TIMEOUT (504). */
	dpx_timer_advance(&wheel, 1000 + 500 + 500);
	CHECK_EQ(last_sent()->server, S1);
	dpx_timer_advance(&wheel, 1000 + 500 + 1000);
	CHECK_EQ(last_sent()->server, S2);
	CHECK_EQ(d.calls, 1);
	dpx_timer_advance(&wheel, 1000 + 500 + 1500);
	CHECK_EQ(d.calls, 2);
	CHECK_EQ(d.res.status, DPX_DNS_TIMEOUT);
	CHECK_EQ(dpx_dns_http_status(d.res.status), 504);
	CHECK_EQ(fio.n_sent, 2 + 3);
	CHECK_EQ(dpx_dns_stats(r)->timeouts, 1 + 3);
	CHECK_EQ(dpx_dns_stats(r)->retries, 1 + 2);
	CHECK_EQ(dpx_dns_stats(r)->no_answer, 1);
	CHECK_EQ(dpx_dns_stats(r)->pending, 0);
	CHECK_EQ(fio.ports_out, 0);
	/* Timeouts are not cached. */
	CHECK_EQ(dpx_dns_lookup(r, "b.example", 9, &d.wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_destroy(r);
}

static void test_bad_answers(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;
	struct sent s;

	two_servers(&conf);
	conf.retries = 1;
	r = make(&conf);
	done_init(&d);
	dpx_dns_lookup(r, "a.example", 9, &d.wt, &res);
	s = *last_sent();

	/* Wrong ID: ignored, still pending. */
	answer_to(&p, &s, QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 1));
	p.b[1] ^= 1;
	CHECK(deliver(r, &s, &p));
	CHECK_EQ(dpx_dns_stats(r)->bad_answers[DPX_DNS_PARSE_BAD_ID], 1);
	CHECK_EQ(d.calls, 0);
	p.b[1] ^= 1;

	/* From another address, or port: ignored. */
	CHECK(dpx_dns_input(r, S2, 53, s.src_port, p.b, p.n));
	CHECK(dpx_dns_input(r, S1, 5353, s.src_port, p.b, p.n));
	CHECK_EQ(dpx_dns_stats(r)->unmatched, 2);
	CHECK_EQ(d.calls, 0);

	/* Wrong question: ignored. */
	{
		struct pkt w;

		header(&w, sent_id(&s), QR_RD_RA, 1, 0, 0, 0);
		question(&w, "b.example", 1);
		CHECK(deliver(r, &s, &w));
		CHECK_EQ(dpx_dns_stats(r)->bad_answers
				 [DPX_DNS_PARSE_WRONG_QUESTION], 1);
		CHECK_EQ(d.calls, 0);
	}

	/* Truncated: counted, and the next server is asked at once. */
	p.b[2] |= 0x02;
	CHECK(deliver(r, &s, &p));
	CHECK_EQ(dpx_dns_stats(r)->bad_answers[DPX_DNS_PARSE_TRUNCATED], 1);
	CHECK_EQ(fio.n_sent, 2);
	CHECK_EQ(last_sent()->server, S2);
	CHECK_EQ(d.calls, 0);

	/* SERVFAIL from the last try: SERVFAIL (502). */
	answer_to(&p, last_sent(), 0x8182, 0, 0);
	CHECK(deliver(r, last_sent(), &p));
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(d.res.status, DPX_DNS_SERVFAIL);
	CHECK_EQ(dpx_dns_http_status(d.res.status), 502);
	CHECK_EQ(dpx_dns_stats(r)->servfail, 1);
	/* Not cached. */
	CHECK_EQ(dpx_dns_lookup(r, "a.example", 9, &d.wt, &res),
		 DPX_DNS_PENDING);

	/* SERVFAIL then a timeout: still SERVFAIL, a server did answer. */
	answer_to(&p, last_sent(), 0x8182, 0, 0);
	CHECK(deliver(r, last_sent(), &p));
	CHECK_EQ(d.calls, 1);
	dpx_timer_advance(&wheel, 1000 + 1000);
	CHECK_EQ(d.calls, 2);
	CHECK_EQ(d.res.status, DPX_DNS_SERVFAIL);

	/* A CNAME loop is a failed try too. */
	dpx_dns_lookup(r, "loop.example", 12, &d.wt, &res);
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_cname(&p, 12, 60, "loop.example");
	CHECK(deliver(r, last_sent(), &p));
	CHECK_EQ(dpx_dns_stats(r)->bad_answers[DPX_DNS_PARSE_CNAME_LOOP], 1);
	CHECK_EQ(dpx_dns_stats(r)->pending, 1);
	dpx_dns_destroy(r);
}

static void test_coalescing_and_cancel(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d[3];
	struct pkt p;

	two_servers(&conf);
	r = make(&conf);
	for (int i = 0; i < 3; i++)
		done_init(&d[i]);
	CHECK_EQ(dpx_dns_lookup(r, "c.example", 9, &d[0].wt, &res),
		 DPX_DNS_PENDING);
	CHECK_EQ(dpx_dns_lookup(r, "C.EXAMPLE", 9, &d[1].wt, &res),
		 DPX_DNS_PENDING);
	CHECK_EQ(dpx_dns_lookup(r, "c.example.", 10, &d[2].wt, &res),
		 DPX_DNS_PENDING);
	CHECK_EQ(fio.n_sent, 1);
	CHECK_EQ(dpx_dns_stats(r)->coalesced, 2);
	CHECK_EQ(dpx_dns_stats(r)->pending, 1);

	dpx_dns_cancel(r, &d[1].wt);
	CHECK(!dpx_dns_waiter_pending(&d[1].wt));
	dpx_dns_cancel(r, &d[1].wt);    /* idle: nothing happens */

	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 3));
	deliver(r, last_sent(), &p);
	CHECK_EQ(d[0].calls, 1);
	CHECK_EQ(d[1].calls, 0);
	CHECK_EQ(d[2].calls, 1);
	CHECK_EQ(d[0].res.addrs[0], ADDR(198, 18, 0, 3));
	CHECK_EQ(d[2].res.addrs[0], ADDR(198, 18, 0, 3));

	/* Every waiter cancelled: the answer still fills the cache. */
	dpx_dns_lookup(r, "d.example", 9, &d[0].wt, &res);
	dpx_dns_cancel(r, &d[0].wt);
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 4));
	deliver(r, last_sent(), &p);
	CHECK_EQ(d[0].calls, 1);
	CHECK_EQ(dpx_dns_lookup(r, "d.example", 9, &d[0].wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(res.addrs[0], ADDR(198, 18, 0, 4));
	dpx_dns_destroy(r);
}

/* A callback that cancels the waiter called after it. */
static struct done *victim;

static void cancel_next(struct dpx_dns_waiter *wt,
			const struct dpx_dns_result *res)
{
	struct done *d = wt->cookie;

	d->calls++;
	d->res = *res;
	dpx_dns_cancel(NULL, &victim->wt);
}

static void test_cancel_from_callback(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done a, b;
	struct pkt p;

	two_servers(&conf);
	r = make(&conf);
	done_init(&a);
	done_init(&b);
	/* Waiters are called newest first: b, then a. */
	dpx_dns_lookup(r, "e.example", 9, &a.wt, &res);
	dpx_dns_waiter_init(&b.wt, cancel_next, &b);
	dpx_dns_lookup(r, "e.example", 9, &b.wt, &res);
	victim = &a;
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 5));
	deliver(r, last_sent(), &p);
	CHECK_EQ(b.calls, 1);
	CHECK_EQ(a.calls, 0);
	CHECK(!dpx_dns_waiter_pending(&a.wt));
	dpx_dns_destroy(r);
}

static void test_pending_bound(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d[4];
	char name[16];

	two_servers(&conf);
	conf.max_pending = 3;
	r = make(&conf);
	for (int i = 0; i < 4; i++) {
		done_init(&d[i]);
		snprintf(name, sizeof(name), "n%d.example", i);
		res.status = dpx_dns_lookup(r, name, strlen(name), &d[i].wt,
					    &res);
		CHECK_EQ(res.status, i < 3 ? DPX_DNS_PENDING :
					     DPX_DNS_OVERLOAD);
	}
	CHECK(!dpx_dns_waiter_pending(&d[3].wt));
	CHECK_EQ(dpx_dns_http_status(DPX_DNS_OVERLOAD), 503);
	CHECK_EQ(dpx_dns_stats(r)->over_limit, 1);
	CHECK_EQ(dpx_dns_stats(r)->pending, 3);
	/* Joining a query in flight is not over the bound. */
	CHECK_EQ(dpx_dns_lookup(r, "n0.example", 10, &d[3].wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_cancel(r, &d[3].wt);
	/* When they time out, there is room again. */
	dpx_timer_advance(&wheel, 1000 + 3 * 1000);
	CHECK_EQ(d[0].res.status, DPX_DNS_TIMEOUT);
	CHECK_EQ(dpx_dns_stats(r)->pending, 0);
	CHECK_EQ(dpx_dns_lookup(r, "n3.example", 10, &d[3].wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_destroy(r);
}

static void test_hosts_literals_names(void)
{
	struct dpx_dns_host hosts[2] = {
		{ .name = "db.internal", .n_addrs = 2,
		  .addrs = { ADDR(198, 18, 5, 1), ADDR(198, 18, 5, 2) } },
		{ .name = "cache.internal", .n_addrs = 1,
		  .addrs = { ADDR(198, 18, 5, 3) } },
	};
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;

	dpx_dns_conf_defaults(&conf);   /* no servers at all */
	conf.cache_entries = 1;
	conf.hosts = hosts;
	conf.n_hosts = 2;
	r = make(&conf);
	CHECK(r != NULL);
	done_init(&d);

	CHECK_EQ(dpx_dns_lookup(r, "DB.internal", 11, &d.wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(res.n_addrs, 2);
	CHECK_EQ(res.addrs[1], ADDR(198, 18, 5, 2));
	CHECK_EQ(dpx_dns_lookup(r, "cache.internal", 14, &d.wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(res.addrs[0], ADDR(198, 18, 5, 3));
	CHECK_EQ(dpx_dns_stats(r)->hosts_hits, 2);
	/* Hosts never expire. */
	dpx_timer_advance(&wheel, 1000ull * 86400 * 365);
	CHECK_EQ(dpx_dns_lookup(r, "db.internal", 11, &d.wt, &res),
		 DPX_DNS_OK);

	CHECK_EQ(dpx_dns_lookup(r, "198.18.0.9", 10, &d.wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(res.n_addrs, 1);
	CHECK_EQ(res.addrs[0], ADDR(198, 18, 0, 9));
	CHECK_EQ(dpx_dns_stats(r)->literals, 1);

	CHECK_EQ(dpx_dns_lookup(r, "bad_name", 8, &d.wt, &res),
		 DPX_DNS_BAD_NAME);
	CHECK_EQ(dpx_dns_http_status(res.status), 400);
	CHECK_EQ(dpx_dns_stats(r)->bad_names, 1);

	CHECK_EQ(dpx_dns_lookup(r, "other.example", 13, &d.wt, &res),
		 DPX_DNS_NO_SERVERS);
	CHECK(!dpx_dns_waiter_pending(&d.wt));
	CHECK_EQ(fio.n_sent, 0);
	CHECK_EQ(d.calls, 0);
	dpx_dns_destroy(r);
}

static void test_cache_eviction(void)
{
	struct dpx_dns_host host = { .name = "pinned.internal", .n_addrs = 1,
				     .addrs = { 1 } };
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;
	char name[16];

	two_servers(&conf);
	conf.cache_entries = 4;
	conf.hosts = &host;
	conf.n_hosts = 1;
	r = make(&conf);
	done_init(&d);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "e%d.example", i);
		CHECK_EQ(dpx_dns_lookup(r, name, strlen(name), &d.wt, &res),
			 DPX_DNS_PENDING);
		answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
		rr_a(&p, 12, 600, (uint32_t)i);
		deliver(r, last_sent(), &p);
		if (i == 3) {   /* e0 hit: CLOCK keeps it over e1 */
			CHECK_EQ(dpx_dns_lookup(r, "e0.example", 10, &d.wt,
						&res), DPX_DNS_OK);
		}
	}
	CHECK_EQ(dpx_dns_stats(r)->evictions, 2);
	CHECK_EQ(dpx_dns_lookup(r, "e0.example", 10, &d.wt, &res), DPX_DNS_OK);
	CHECK_EQ(dpx_dns_lookup(r, "e5.example", 10, &d.wt, &res), DPX_DNS_OK);
	CHECK_EQ(dpx_dns_lookup(r, "e4.example", 10, &d.wt, &res), DPX_DNS_OK);
	CHECK_EQ(dpx_dns_lookup(r, "pinned.internal", 15, &d.wt, &res),
		 DPX_DNS_OK);
	CHECK_EQ(dpx_dns_lookup(r, "e1.example", 10, &d.wt, &res),
		 DPX_DNS_PENDING);
	dpx_dns_destroy(r);
}

static void test_send_failures(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d;
	struct pkt p;

	two_servers(&conf);
	conf.retries = 1;
	r = make(&conf);
	done_init(&d);
	fio.no_ports = true;
	CHECK_EQ(dpx_dns_lookup(r, "f.example", 9, &d.wt, &res),
		 DPX_DNS_PENDING);
	CHECK_EQ(fio.n_sent, 0);
	CHECK_EQ(dpx_dns_stats(r)->send_errors, 1);
	fio.no_ports = false;
	dpx_timer_advance(&wheel, 1000 + 1000);
	CHECK_EQ(fio.n_sent, 1);
	answer_to(&p, last_sent(), QR_RD_RA, 1, 0);
	rr_a(&p, 12, 60, ADDR(198, 18, 0, 6));
	deliver(r, last_sent(), &p);
	CHECK_EQ(d.res.status, DPX_DNS_OK);

	fio.fail_send = true;
	dpx_dns_lookup(r, "g.example", 9, &d.wt, &res);
	CHECK_EQ(dpx_dns_stats(r)->send_errors, 2);
	dpx_timer_advance(&wheel, 1000 + 3000);
	CHECK_EQ(d.res.status, DPX_DNS_TIMEOUT);
	CHECK_EQ(dpx_dns_stats(r)->send_errors, 3);
	CHECK_EQ(fio.ports_out, 0);
	dpx_dns_destroy(r);
}

static void test_random_ids_ports(void)
{
	struct dpx_dns_conf conf;
	struct dpx_dns_result res;
	struct dpx_dns *r;
	struct done d[64];
	unsigned int same_id = 0, same_port = 0;
	char name[16];

	two_servers(&conf);
	r = make(&conf);
	for (int i = 0; i < 64; i++) {
		done_init(&d[i]);
		snprintf(name, sizeof(name), "r%d.example", i);
		dpx_dns_lookup(r, name, strlen(name), &d[i].wt, &res);
		if (i == 0)
			continue;
		same_id += sent_id(&fio.sent[i]) == sent_id(&fio.sent[i - 1]);
		same_port += fio.sent[i].src_port == fio.sent[i - 1].src_port;
		for (int k = 0; k < i; k++)     /* ports unique in flight */
			CHECK(fio.sent[i].src_port != fio.sent[k].src_port);
	}
	CHECK(same_id < 2);
	CHECK_EQ(same_port, 0);
	dpx_dns_destroy(r);
}

/* ---------------------------------------------------------------------- */
/* The "resolver" section                                                  */

static const struct dpx_config_ext ext = {
	.resolver = dpx_dns_conf_parse,
	.release_resolver = dpx_dns_conf_free,
};

#define PORTS "\"ports\": [{\"device\": \"net_tap0\", " \
	"\"addresses\": [\"198.18.0.1/24\"]}]"

static int load(const char *resolver, struct dpx_config *cfg, char *err,
		size_t errlen)
{
	char text[2048];

	snprintf(text, sizeof(text), "{" PORTS ", \"resolver\": %s}",
		 resolver);
	memset(cfg, 0, sizeof(*cfg));
	return dpx_config_load_buffer("t.json", text, strlen(text), cfg, err,
				      errlen);
}

static void test_config(void)
{
	struct dpx_config *cfg = calloc(1, sizeof(*cfg));
	const struct dpx_dns_conf *conf;
	char err[512] = "";
	static const struct {
		const char *json, *want;
	} bad[] = {
		{ "{\"server\": []}", "unknown key \"server\"" },
		{ "{\"servers\": [\"198.18.2\"]}",
		  "resolver.servers[0]: \"198.18.2\" is not an IPv4 address" },
		{ "{\"timeout_ms\": 5}", "resolver.timeout_ms" },
		{ "{\"min_ttl_s\": 100, \"max_ttl_s\": 50}",
		  "resolver.min_ttl_s: 100 is more than max_ttl_s (50)" },
		{ "{\"max_pending\": 0}", "resolver.max_pending" },
		{ "{\"hosts\": {\"bad_name\": \"198.18.0.1\"}}",
		  "not a host name: a character other" },
		{ "{\"hosts\": {\"a.b\": \"x\"}}",
		  "\"x\" is not an IPv4 address" },
		{ "{\"hosts\": {\"a.b\": \"198.18.0.1\", "
		  "\"A.B\": \"198.18.0.2\"}}", "is already listed" },
		{ "{\"hosts\": {\"a.b\": []}}", "a non-empty array" },
		{ "{\"hosts\": {\"198.18.0.1\": \"198.18.0.1\"}}",
		  "an IPv4 address, not a name" },
		{ "[]", "resolver" },
	};

	dpx_config_set_ext(&ext);
	CHECK_EQ(load("{\"servers\": [\"198.18.2.53\", \"198.18.2.54\"], "
		      "\"timeout_ms\": 800, \"retries\": 3, "
		      "\"cache_entries\": 100, \"min_ttl_s\": 5, "
		      "\"max_ttl_s\": 600, \"negative_ttl_s\": 10, "
		      "\"max_pending\": 64, \"edns\": false, "
		      "\"hosts\": {\"DB.internal\": \"198.18.5.1\", "
		      "\"multi.internal\": [\"198.18.5.2\", \"198.18.5.3\"]}}",
		      cfg, err, sizeof(err)), 0);
	conf = cfg->resolver;
	CHECK(conf != NULL);
	if (conf != NULL) {
		CHECK_EQ(conf->n_servers, 2);
		CHECK_EQ(conf->servers[1], S2);
		CHECK_EQ(conf->port, 53);
		CHECK_EQ(conf->timeout_ms, 800);
		CHECK_EQ(conf->retries, 3);
		CHECK_EQ(conf->cache_entries, 100);
		CHECK_EQ(conf->min_ttl_s, 5);
		CHECK_EQ(conf->max_ttl_s, 600);
		CHECK_EQ(conf->negative_ttl_s, 10);
		CHECK_EQ(conf->max_pending, 64);
		CHECK(!conf->edns);
		CHECK_EQ(conf->n_hosts, 2);
		CHECK(strcmp(conf->hosts[0].name, "db.internal") == 0);
		CHECK_EQ(conf->hosts[1].n_addrs, 2);
		CHECK_EQ(conf->hosts[1].addrs[1], ADDR(198, 18, 5, 3));
	}
	dpx_config_release(cfg);
	CHECK(cfg->resolver == NULL);

	CHECK_EQ(load("{}", cfg, err, sizeof(err)), 0);
	conf = cfg->resolver;
	CHECK(conf != NULL);
	if (conf != NULL) {
		CHECK_EQ(conf->timeout_ms, 1000);
		CHECK_EQ(conf->retries, 2);
		CHECK_EQ(conf->cache_entries, 4096);
		CHECK_EQ(conf->max_ttl_s, 3600);
		CHECK_EQ(conf->negative_ttl_s, 30);
		CHECK_EQ(conf->max_pending, 1024);
		CHECK(conf->edns);
	}
	dpx_config_release(cfg);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_EQ(load(bad[i].json, cfg, err, sizeof(err)), -1);
		CHECK_STR_CONTAINS(err, "t.json:1:");
		CHECK_STR_CONTAINS(err, bad[i].want);
	}

	dpx_config_set_ext(NULL);
	CHECK_EQ(load("{}", cfg, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "resolver: a DNS resolver is not supported");
	free(cfg);
}

int main(void)
{
	RUN_TEST(test_name_check);
	RUN_TEST(test_build_query);
	RUN_TEST(test_parse_good_a);
	RUN_TEST(test_parse_cname_chain);
	RUN_TEST(test_parse_cname_loop);
	RUN_TEST(test_parse_pointers);
	RUN_TEST(test_parse_refusals);
	RUN_TEST(test_parse_negative);
	RUN_TEST(test_resolve_and_cache);
	RUN_TEST(test_ttl_clamps);
	RUN_TEST(test_negative_cache);
	RUN_TEST(test_failover_and_timeout);
	RUN_TEST(test_bad_answers);
	RUN_TEST(test_coalescing_and_cancel);
	RUN_TEST(test_cancel_from_callback);
	RUN_TEST(test_pending_bound);
	RUN_TEST(test_hosts_literals_names);
	RUN_TEST(test_cache_eviction);
	RUN_TEST(test_send_failures);
	RUN_TEST(test_random_ids_ports);
	RUN_TEST(test_config);
	return TEST_SUMMARY();
}
