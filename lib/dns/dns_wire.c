/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS messages (RFC 1035 4): A queries, and the strict parser of their
 * answers. The parser trusts nothing in the datagram: every read is
 * checked against its length, names are decompressed only through
 * pointers that go strictly backwards (so a loop is impossible), and a
 * CNAME chain is followed a bounded number of hops with loops detected.
 */
#include <string.h>

#include "dpx_dns.h"
#include "dns_priv.h"

#define HEADER_LEN 12
#define RR_FIXED_LEN 10         /* type, class, TTL, RDLENGTH */
#define MAX_RECORDS 64          /* answer records looked at */
#define MAX_JUMPS 127           /* compression pointers per name */
#define SOA_FIXED_LEN 20        /* serial, refresh, retry, expire, minimum */

#define FLAG_QR 0x8000
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define OPCODE(f) (((f) >> 11) & 0xf)
#define RCODE(f) ((f) & 0xf)
#define RCODE_NXDOMAIN 3

#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_SOA 6
#define TYPE_OPT 41
#define CLASS_IN 1

struct wire_name {
	uint8_t len;
	uint8_t b[DPX_DNS_WIRE_NAME_MAX];
};

struct record {
	size_t owner;           /* offset of the owner name */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rdata;
	uint16_t rdlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
}

/* A dotted name (checked) in wire form; -1 if it would not fit. */
static int encode_name(const char *name, struct wire_name *out)
{
	size_t n = 0, start = 0, len = strlen(name);

	if (len > DPX_DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i <= len; i++) {
		size_t label = i - start;

		if (i < len && name[i] != '.')
			continue;
		if (label == 0 || label > 63)
			return -1;
		out->b[n++] = (uint8_t)label;
		for (size_t k = start; k < i; k++)
			out->b[n++] = lower((uint8_t)name[k]);
		start = i + 1;
	}
	out->b[n++] = 0;
	out->len = (uint8_t)n;
	return 0;
}

/*
 * The name at *off, decompressed and lower-cased; *off moves past it as
 * it appears at *off (a pointer counts two bytes). Each pointer must go
 * below the start of the piece being read, which bounds the jumps and
 * rules out loops, and not into the header, where no name can be.
 */
static int read_name(const uint8_t *p, size_t len, size_t *off,
		     struct wire_name *out)
{
	size_t pos = *off, limit = *off, after = 0, n = 0;
	unsigned int jumps = 0;

	for (;;) {
		uint8_t b;

		if (pos >= len)
			return -1;
		b = p[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len || ++jumps > MAX_JUMPS)
				return -1;
			target = (size_t)(b & 0x3f) << 8 | p[pos + 1];
			if (target >= limit || target < HEADER_LEN)
				return -1;      /* forward, or into the header */
			if (after == 0)
				after = pos + 2;
			pos = limit = target;
			continue;
		}
		if ((b & 0xc0) != 0 || n + 1 + b > DPX_DNS_WIRE_NAME_MAX ||
		    pos + 1 + b > len)
			return -1;
		out->b[n++] = b;
		if (b == 0)
			break;
		for (size_t i = 0; i < b; i++)
			out->b[n++] = lower(p[pos + 1 + i]);
		pos += 1 + (size_t)b;
	}
	out->len = (uint8_t)n;
	*off = after != 0 ? after : pos + 1;
	return 0;
}

static bool same_name(const struct wire_name *a, const struct wire_name *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* RFC 2181 8: a TTL with the top bit set means zero. */
static uint32_t ttl_value(uint32_t raw)
{
	return raw & 0x80000000u ? 0 : raw;
}

int dpx_dns_build_query(uint8_t *buf, size_t size, uint16_t id,
			const char *name, bool edns)
{
	struct wire_name qname;
	size_t need;
	uint8_t *p = buf;

	if (encode_name(name, &qname) != 0)
		return -1;
	need = HEADER_LEN + qname.len + 4 + (edns ? 11 : 0);
	if (need > size)
		return -1;
	p = put16(p, id);
	p = put16(p, FLAG_RD);
	p = put16(p, 1);                /* QDCOUNT */
	p = put16(p, 0);                /* ANCOUNT */
	p = put16(p, 0);                /* NSCOUNT */
	p = put16(p, edns ? 1 : 0);     /* ARCOUNT */
	memcpy(p, qname.b, qname.len);
	p += qname.len;
	p = put16(p, TYPE_A);
	p = put16(p, CLASS_IN);
	if (edns) {                     /* RFC 6891 6.1.2: OPT at the root */
		*p++ = 0;
		p = put16(p, TYPE_OPT);
		p = put16(p, DPX_DNS_EDNS_UDP_SIZE);
		p = put16(p, 0);        /* extended RCODE, version */
		p = put16(p, 0);        /* flags: no DO */
		p = put16(p, 0);        /* RDLENGTH */
	}
	return (int)(p - buf);
}

/* One resource record's header at *off; *off moves past its data. */
static int read_record(const uint8_t *p, size_t len, size_t *off,
		       struct record *rr)
{
	struct wire_name skip;

	rr->owner = *off;
	if (read_name(p, len, off, &skip) != 0 ||
	    *off + RR_FIXED_LEN > len)
		return -1;
	rr->type = get16(p + *off);
	rr->rclass = get16(p + *off + 2);
	rr->ttl = ttl_value(get32(p + *off + 4));
	rr->rdlen = get16(p + *off + 8);
	rr->rdata = *off + RR_FIXED_LEN;
	if (rr->rdata + rr->rdlen > len)
		return -1;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

static bool owned_by(const uint8_t *p, size_t len, const struct record *rr,
		     const struct wire_name *name)
{
	struct wire_name owner;
	size_t off = rr->owner;

	return read_name(p, len, &off, &owner) == 0 && same_name(&owner, name);
}

/* The question must be exactly one, for name, type A, class IN. */
static enum dpx_dns_parse check_question(const uint8_t *p, size_t len,
					 size_t *off,
					 const struct wire_name *qname)
{
	struct wire_name asked;

	if (get16(p + 4) != 1)
		return DPX_DNS_PARSE_WRONG_QUESTION;
	if (read_name(p, len, off, &asked) != 0 || *off + 4 > len)
		return DPX_DNS_PARSE_MALFORMED;
	if (!same_name(&asked, qname) || get16(p + *off) != TYPE_A ||
	    get16(p + *off + 2) != CLASS_IN)
		return DPX_DNS_PARSE_WRONG_QUESTION;
	*off += 4;
	return DPX_DNS_PARSE_OK;
}

/* The answer section's records (the first MAX_RECORDS are kept). */
static int read_answers(const uint8_t *p, size_t len, size_t *off,
			struct record *rrs, unsigned int *n_rrs)
{
	unsigned int count = get16(p + 6);
	struct record rr;

	*n_rrs = 0;
	for (unsigned int i = 0; i < count; i++) {
		if (read_record(p, len, off, &rr) != 0)
			return -1;
		if (*n_rrs < MAX_RECORDS)
			rrs[(*n_rrs)++] = rr;
	}
	return 0;
}

/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM). */
static int read_soa(const uint8_t *p, size_t len, size_t off,
		    struct dpx_dns_answer *out)
{
	unsigned int count = get16(p + 8);
	struct wire_name skip;
	struct record rr;

	for (unsigned int i = 0; i < count; i++) {
		size_t at, end;

		if (read_record(p, len, &off, &rr) != 0)
			return -1;
		if (rr.type != TYPE_SOA || rr.rclass != CLASS_IN)
			continue;
		at = rr.rdata;
		end = rr.rdata + rr.rdlen;
		if (read_name(p, end, &at, &skip) != 0 ||
		    read_name(p, end, &at, &skip) != 0 ||
		    at + SOA_FIXED_LEN != end)
			return -1;
		out->has_soa = true;
		out->negative_ttl_s = ttl_value(get32(p + end - 4));
		if (rr.ttl < out->negative_ttl_s)
			out->negative_ttl_s = rr.ttl;
		return 0;
	}
	return 0;
}

static void add_addresses(const uint8_t *p, size_t len,
			  const struct record *rrs, unsigned int n_rrs,
			  const struct wire_name *owner,
			  struct dpx_dns_answer *out, uint32_t *ttl)
{
	for (unsigned int i = 0; i < n_rrs; i++) {
		const struct record *rr = &rrs[i];

		if (rr->type != TYPE_A || rr->rclass != CLASS_IN ||
		    rr->rdlen != 4 || !owned_by(p, len, rr, owner))
			continue;
		if (rr->ttl < *ttl)
			*ttl = rr->ttl;
		if (out->n_addrs < DPX_DNS_MAX_ADDRS)
			out->addrs[out->n_addrs++] = get32(p + rr->rdata);
	}
}

static const struct record *find_cname(const uint8_t *p, size_t len,
				       const struct record *rrs,
				       unsigned int n_rrs,
				       const struct wire_name *owner)
{
	for (unsigned int i = 0; i < n_rrs; i++)
		if (rrs[i].type == TYPE_CNAME && rrs[i].rclass == CLASS_IN &&
		    owned_by(p, len, &rrs[i], owner))
			return &rrs[i];
	return NULL;
}

/*
 * A records of qname, through the CNAMEs the answer holds: chain[0] is
 * qname, chain[k] the k-th alias; a name seen twice is a loop.
 */
static enum dpx_dns_parse follow_chain(const uint8_t *p, size_t len,
				       const struct record *rrs,
				       unsigned int n_rrs,
				       const struct wire_name *qname,
				       struct dpx_dns_answer *out)
{
	struct wire_name chain[DPX_DNS_MAX_CNAMES + 1];
	uint32_t ttl = UINT32_MAX;
	unsigned int hops = 0;

	chain[0] = *qname;
	for (;;) {
		const struct record *cname;
		size_t at;

		add_addresses(p, len, rrs, n_rrs, &chain[hops], out, &ttl);
		if (out->n_addrs > 0)
			break;
		cname = find_cname(p, len, rrs, n_rrs, &chain[hops]);
		if (cname == NULL)
			return DPX_DNS_PARSE_NODATA;
		if (hops == DPX_DNS_MAX_CNAMES)
			return DPX_DNS_PARSE_CNAME_LOOP;
		at = cname->rdata;
		if (read_name(p, cname->rdata + cname->rdlen, &at,
			      &chain[hops + 1]) != 0 ||
		    at != cname->rdata + cname->rdlen)
			return DPX_DNS_PARSE_MALFORMED;
		for (unsigned int k = 0; k <= hops; k++)
			if (same_name(&chain[k], &chain[hops + 1]))
				return DPX_DNS_PARSE_CNAME_LOOP;
		if (cname->ttl < ttl)
			ttl = cname->ttl;
		hops++;
	}
	out->ttl_s = ttl;
	out->cnames = (uint8_t)hops;
	return DPX_DNS_PARSE_OK;
}

static enum dpx_dns_parse check_header(const uint8_t *p, size_t len,
				       uint16_t id)
{
	uint16_t flags;

	if (len < HEADER_LEN)
		return DPX_DNS_PARSE_MALFORMED;
	if (get16(p) != id)
		return DPX_DNS_PARSE_BAD_ID;
	flags = get16(p + 2);
	if (!(flags & FLAG_QR) || OPCODE(flags) != 0)
		return DPX_DNS_PARSE_NOT_ANSWER;
	if (flags & FLAG_TC)
		return DPX_DNS_PARSE_TRUNCATED;
	return DPX_DNS_PARSE_OK;
}

enum dpx_dns_parse dpx_dns_parse_answer(const uint8_t *pkt, size_t len,
					uint16_t id, const char *name,
					struct dpx_dns_answer *out)
{
	struct record rrs[MAX_RECORDS];
	struct wire_name qname;
	enum dpx_dns_parse r;
	unsigned int n_rrs, rcode;
	size_t off = HEADER_LEN;

	memset(out, 0, sizeof(*out));
	r = check_header(pkt, len, id);
	if (r != DPX_DNS_PARSE_OK)
		return r;
	if (encode_name(name, &qname) != 0)
		return DPX_DNS_PARSE_WRONG_QUESTION;
	rcode = RCODE(get16(pkt + 2));
	/* FORMERR and NOTIMP may come without the question. */
	if (rcode != 0 && rcode != RCODE_NXDOMAIN && get16(pkt + 4) == 0)
		return DPX_DNS_PARSE_SERVFAIL;
	r = check_question(pkt, len, &off, &qname);
	if (r != DPX_DNS_PARSE_OK)
		return r;
	if (rcode != 0 && rcode != RCODE_NXDOMAIN)
		return DPX_DNS_PARSE_SERVFAIL;
	if (read_answers(pkt, len, &off, rrs, &n_rrs) != 0)
		return DPX_DNS_PARSE_MALFORMED;
	r = rcode == RCODE_NXDOMAIN ? DPX_DNS_PARSE_NXDOMAIN :
		follow_chain(pkt, len, rrs, n_rrs, &qname, out);
	if (r != DPX_DNS_PARSE_NXDOMAIN && r != DPX_DNS_PARSE_NODATA)
		return r;
	if (read_soa(pkt, len, off, out) != 0)
		return DPX_DNS_PARSE_MALFORMED;
	return r;
}

const char *dpx_dns_parse_name(enum dpx_dns_parse p)
{
	static const char *const names[DPX_DNS_PARSE_COUNT] = {
		[DPX_DNS_PARSE_OK] = "ok",
		[DPX_DNS_PARSE_NXDOMAIN] = "nxdomain",
		[DPX_DNS_PARSE_NODATA] = "nodata",
		[DPX_DNS_PARSE_SERVFAIL] = "servfail",
		[DPX_DNS_PARSE_BAD_ID] = "bad_id",
		[DPX_DNS_PARSE_NOT_ANSWER] = "not_answer",
		[DPX_DNS_PARSE_WRONG_QUESTION] = "wrong_question",
		[DPX_DNS_PARSE_TRUNCATED] = "truncated",
		[DPX_DNS_PARSE_MALFORMED] = "malformed",
		[DPX_DNS_PARSE_CNAME_LOOP] = "cname_loop",
	};

	return (unsigned int)p < DPX_DNS_PARSE_COUNT ? names[p] : "?";
}
