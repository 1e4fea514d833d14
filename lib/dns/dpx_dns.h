/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx dns: the forward proxy's asynchronous DNS resolver, one per worker
 * (shared nothing: its cache, pending queries, PRNG and counters belong to
 * one worker and are never touched by another, so nothing is locked). The
 * module owns A-query building, the strict answer parser, host name
 * validation, the per-worker cache (positive and negative entries, static
 * hosts), the query state machine (servers, timeouts, retries, coalescing)
 * and the top-level "resolver" config section.
 *
 * Why our own and not c-ares: c-ares owns its sockets and timers. Its
 * ares_set_socket_functions() replaces socket(), connect(), recvfrom() and
 * sendv() one for one, with errno and non-blocking semantics, so dpx would
 * need a fake descriptor layer over its UDP, and still drive c-ares with
 * ares_process_fd()/ares_timeout() beside its own timer wheel; c-ares also
 * allocates per query. This resolver is about 1,400 lines, allocates
 * only at creation (fixed cache and query slots; waiters are the caller's),
 * and its timeouts are timers on the worker's wheel (lib/timer).
 *
 * Why the cache is per worker rather than shared like the HTTP cache: an
 * answer is a few bytes and a miss costs one datagram to a nearby server,
 * so dividing the hit ratio by the number of workers is cheap, while a
 * shared table would need locks or RCU on every lookup.
 *
 * Transport-independent, no DPDK: the resolver is handed callbacks to pick
 * a source port and send a datagram, and is fed the datagrams received.
 * Wiring it to lib/udp takes four calls:
 *  1. dpx_dns_create(conf, dpx_tcp_wheel(w), &io, rte_rand()) at worker
 *     start, io.pick_port choosing (and binding) a UDP port whose replies
 *     hash to this worker, io.send sending from it, io.release_port
 *     unbinding it;
 *  2. dpx_dns_input() for every datagram that arrives on a port the
 *     resolver picked;
 *  3. dpx_dns_lookup() / dpx_dns_cancel() from the proxy;
 *  4. dpx_dns_destroy() at worker exit.
 * Timeouts need nothing more: the worker's loop already advances the wheel
 * (ticks are milliseconds, as TCP's are), and the cache's clock is the
 * wheel's clock.
 *
 * Addresses are host order, as everywhere in dpx's config.
 */
#ifndef DPX_DNS_H
#define DPX_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpx_timer.h"

#define DPX_DNS_NAME_MAX 253      /* dotted, without the trailing dot */
#define DPX_DNS_WIRE_NAME_MAX 255 /* RFC 1035 3.1, length octets included */
#define DPX_DNS_MAX_ADDRS 8       /* A records kept per name */
#define DPX_DNS_MAX_SERVERS 8
#define DPX_DNS_MAX_CNAMES 8      /* CNAME hops followed inside an answer */
#define DPX_DNS_EDNS_UDP_SIZE 1232
#define DPX_DNS_QUERY_MAX (12 + DPX_DNS_WIRE_NAME_MAX + 4 + 11)

/* ---------------------------------------------------------------------- */
/* Lookup results                                                          */

/* What a lookup ends with; dpx_dns_http_status() maps it for the proxy. */
enum dpx_dns_status {
	DPX_DNS_OK = 0,         /* addresses found (cache, hosts, answer) */
	DPX_DNS_PENDING,        /* query in flight: the waiter is called */
	DPX_DNS_NXDOMAIN,       /* the name does not exist: 502 */
	DPX_DNS_NODATA,         /* it exists, without an A record: 502 */
	DPX_DNS_SERVFAIL,       /* SERVFAIL, REFUSED, bad or truncated
	                         * answers from every try: 502 */
	DPX_DNS_TIMEOUT,        /* no server answered any try: 504 */
	DPX_DNS_BAD_NAME,       /* not a valid host name: 400 */
	DPX_DNS_OVERLOAD,       /* max_pending queries in flight: 503 */
	DPX_DNS_NO_SERVERS,     /* not in hosts, and no server: 502 */
	DPX_DNS_STATUS_COUNT
};

struct dpx_dns_result {
	enum dpx_dns_status status;
	uint8_t n_addrs;
	uint32_t addrs[DPX_DNS_MAX_ADDRS];  /* host order */
	uint32_t ttl_s;         /* left in the cache; 0 uncached (literals,
	                         * TTL 0, failures); UINT32_MAX for hosts */
};

const char *dpx_dns_status_name(enum dpx_dns_status s);
/* The proxy's answer for a failed lookup: 502, 503, 504 or 400 (200 for
 * OK); and a one-line body for it ("DNS: name does not exist"). */
int dpx_dns_http_status(enum dpx_dns_status s);
const char *dpx_dns_status_text(enum dpx_dns_status s);

/* ---------------------------------------------------------------------- */
/* Host names                                                              */

enum dpx_dns_name_check {
	DPX_DNS_NAME_OK = 0,
	DPX_DNS_NAME_IPV4,          /* a dotted-quad literal, not a name */
	DPX_DNS_NAME_IPV6,          /* an IPv6 literal, not a name */
	DPX_DNS_NAME_EMPTY,
	DPX_DNS_NAME_TOO_LONG,      /* over 253 bytes */
	DPX_DNS_NAME_EMPTY_LABEL,   /* "a..b", ".a" */
	DPX_DNS_NAME_LABEL_TOO_LONG,/* over 63 bytes */
	DPX_DNS_NAME_NON_ASCII,     /* IDN in U-label form (send xn--) */
	DPX_DNS_NAME_BAD_CHAR,      /* not a letter, digit or hyphen */
	DPX_DNS_NAME_HYPHEN_EDGE,   /* label starts or ends with '-' */
	DPX_DNS_NAME_NUMERIC_TLD,   /* last label all digits */
	DPX_DNS_NAME_CHECK_COUNT
};

/*
 * Checks name[0..len) as a host name (RFC 1123 LDH labels, RFC 3696 2);
 * one trailing dot is allowed. Writes the name lower-cased, without the
 * trailing dot and NUL-terminated, into out (DPX_DNS_NAME_MAX + 1 bytes)
 * when out is not NULL and the check passes. An IPv4 literal is reported
 * as such, with its address in *ipv4 (host order) when ipv4 is not NULL.
 */
enum dpx_dns_name_check dpx_dns_name_check(const char *name, size_t len,
					   char *out, uint32_t *ipv4);
const char *dpx_dns_name_reason(enum dpx_dns_name_check c);

/* ---------------------------------------------------------------------- */
/* Wire format                                                             */

/*
 * A standard query (RD set) for the A record of a checked, lower-case
 * name, with an EDNS0 OPT record (UDP size DPX_DNS_EDNS_UDP_SIZE) when
 * edns. Returns the length written, or -1 if it does not fit in size.
 */
int dpx_dns_build_query(uint8_t *buf, size_t size, uint16_t id,
			const char *name, bool edns);

/* Why an answer was taken or refused by the parser. */
enum dpx_dns_parse {
	DPX_DNS_PARSE_OK = 0,       /* A records for the name */
	DPX_DNS_PARSE_NXDOMAIN,
	DPX_DNS_PARSE_NODATA,       /* no error, but no A for the name */
	DPX_DNS_PARSE_SERVFAIL,     /* SERVFAIL, REFUSED, FORMERR, others */
	DPX_DNS_PARSE_BAD_ID,
	DPX_DNS_PARSE_NOT_ANSWER,   /* QR clear or opcode not QUERY */
	DPX_DNS_PARSE_WRONG_QUESTION,
	DPX_DNS_PARSE_TRUNCATED,    /* TC set: counted, no TCP fallback */
	DPX_DNS_PARSE_MALFORMED,    /* short, bad name, pointer loop... */
	DPX_DNS_PARSE_CNAME_LOOP,   /* loop, or over DPX_DNS_MAX_CNAMES */
	DPX_DNS_PARSE_COUNT
};

struct dpx_dns_answer {
	uint8_t n_addrs;
	uint32_t addrs[DPX_DNS_MAX_ADDRS];  /* host order, answer order */
	uint32_t ttl_s;         /* OK: least TTL along the CNAME chain */
	bool has_soa;           /* NXDOMAIN/NODATA: an SOA in authority */
	uint32_t negative_ttl_s;/* min(SOA TTL, SOA MINIMUM), RFC 2308 5 */
	uint8_t cnames;         /* CNAME hops followed */
};

/*
 * Parses the answer to query id for the A record of name (checked, lower
 * case, as given to dpx_dns_build_query). Reads nothing outside
 * pkt[0..len); names are decompressed with pointers that must point
 * backwards (below the piece being read) and past the header, to at most
 * 255 bytes. *out is filled for OK, NXDOMAIN and NODATA.
 */
enum dpx_dns_parse dpx_dns_parse_answer(const uint8_t *pkt, size_t len,
					uint16_t id, const char *name,
					struct dpx_dns_answer *out);
const char *dpx_dns_parse_name(enum dpx_dns_parse p);

/* ---------------------------------------------------------------------- */
/* Configuration: the top-level "resolver" section                         */

struct dpx_dns_host {
	char name[DPX_DNS_NAME_MAX + 1];    /* checked, lower case */
	uint8_t n_addrs;
	uint32_t addrs[DPX_DNS_MAX_ADDRS];
};

struct dpx_dns_conf {
	uint32_t servers[DPX_DNS_MAX_SERVERS];   /* host order */
	unsigned int n_servers;
	uint16_t port;              /* the servers' port: 53 */
	uint32_t timeout_ms;        /* per try */
	uint32_t retries;           /* tries after the first, each to the
	                             * next server */
	uint32_t cache_entries;
	uint32_t min_ttl_s;         /* positive answers held at least... */
	uint32_t max_ttl_s;         /* ... and at most this long */
	uint32_t negative_ttl_s;    /* cap on RFC 2308 negative caching */
	uint32_t max_pending;       /* queries in flight (names, not waiters) */
	bool edns;
	struct dpx_dns_host *hosts; /* owned; dpx_dns_conf_free() */
	unsigned int n_hosts;
};

struct cfg_ctx;
typedef struct json_t json_t;
/* Defaults of the "resolver" section; owns nothing. */
void dpx_dns_conf_defaults(struct dpx_dns_conf *conf);
/* The config hook (dpx_config_ext.resolver): "resolver" into a new
 * struct dpx_dns_conf, released by dpx_dns_conf_free(). */
int dpx_dns_conf_parse(struct cfg_ctx *c, json_t *v, void **out);
void dpx_dns_conf_free(void *conf);

/* ---------------------------------------------------------------------- */
/* The resolver of one worker                                              */

struct dpx_dns;

/* How the resolver reaches its servers; ctx is passed back. */
struct dpx_dns_io {
	/*
	 * A free local port for a query to server (host order), to be used
	 * as its source port; random is a fresh random number to start the
	 * search from. 0: none free (the try is lost and times out). NULL:
	 * the resolver picks 1024 + random % 64512 itself.
	 */
	uint16_t (*pick_port)(void *ctx, uint32_t server, uint16_t server_port,
			      uint32_t random);
	/* Gives back a port pick_port returned (may be NULL). */
	void (*release_port)(void *ctx, uint16_t port);
	/* Sends one datagram; 0 or -1 (a failed send times out as lost).
	 * Must not call back into the resolver: an answer comes later,
	 * through dpx_dns_input(). */
	int (*send)(void *ctx, uint32_t server, uint16_t server_port,
		    uint16_t src_port, const uint8_t *data, size_t len);
	void *ctx;
};

struct dpx_dns_waiter;
/* Called once with the lookup's outcome; the waiter is idle again. */
typedef void (*dpx_dns_done_cb)(struct dpx_dns_waiter *wt,
				const struct dpx_dns_result *res);

/*
 * A pending lookup, embedded in its owner (e.g. a proxy session) so that
 * lookups never allocate: set up with dpx_dns_waiter_init(), and
 * dpx_dns_cancel() before freeing it while pending. Fields are private.
 */
struct dpx_dns_waiter {
	struct dpx_dns_waiter *next;
	struct dpx_dns_waiter **pprev;      /* NULL while idle */
	dpx_dns_done_cb cb;
	void *cookie;                       /* the owner's */
};

/* Per-worker counters: only the owner writes, the control plane reads. */
struct dpx_dns_stats {
	uint64_t lookups;       /* dpx_dns_lookup() calls */
	uint64_t cache_hits;    /* answered from a positive entry */
	uint64_t negative_hits; /* answered from an NXDOMAIN/NODATA entry */
	uint64_t cache_misses;  /* went to (or joined) a query */
	uint64_t hosts_hits;    /* static "hosts" entries */
	uint64_t literals;      /* IPv4 literals answered as they are */
	uint64_t coalesced;     /* joined a query already in flight */
	uint64_t queries;       /* datagrams sent (first tries and retries) */
	uint64_t retries;       /* of those, tries after the first */
	uint64_t answers;       /* answers accepted (OK, NXDOMAIN, NODATA) */
	uint64_t timeouts;      /* tries that got no answer in time */
	uint64_t no_answer;     /* queries that ran out of tries: TIMEOUT */
	uint64_t servfail;      /* SERVFAIL/REFUSED/... answers */
	uint64_t nxdomain;
	uint64_t nodata;
	uint64_t bad_answers[DPX_DNS_PARSE_COUNT]; /* by dpx_dns_parse */
	uint64_t unmatched;     /* no query on that port, or other source */
	uint64_t send_errors;   /* no port, or send failed */
	uint64_t over_limit;    /* refused: max_pending in flight */
	uint64_t bad_names;
	uint64_t evictions;     /* live cache entries pushed out */
	uint32_t pending;       /* gauge: queries in flight */
};

/*
 * A resolver for one worker, its timers on wheel (ticks in ms). conf is
 * copied, hosts included, so it may be freed after. seed 0: seeded from
 * getrandom(). NULL on a bad conf or out of memory.
 */
struct dpx_dns *dpx_dns_create(const struct dpx_dns_conf *conf,
			       struct dpx_timer_wheel *wheel,
			       const struct dpx_dns_io *io, uint64_t seed);
/* Cancels the timers and releases the ports; waiters are not called. */
void dpx_dns_destroy(struct dpx_dns *r);

void dpx_dns_waiter_init(struct dpx_dns_waiter *wt, dpx_dns_done_cb cb,
			 void *cookie);
bool dpx_dns_waiter_pending(const struct dpx_dns_waiter *wt);

/*
 * Looks up the A records of name[0..len). Answers at once, filling *res
 * and returning its status (cache, hosts, IPv4 literal, bad name, over
 * limit), or returns DPX_DNS_PENDING with wt linked to the query (a new
 * one, or the one already in flight for the name); wt's callback then
 * gets the result, at the latest when the last try times out. A wt
 * still pending on an earlier lookup is detached from it first.
 */
enum dpx_dns_status dpx_dns_lookup(struct dpx_dns *r, const char *name,
				   size_t len, struct dpx_dns_waiter *wt,
				   struct dpx_dns_result *res);
/* Detaches a pending waiter (its query goes on and fills the cache);
 * does nothing to an idle one. */
void dpx_dns_cancel(struct dpx_dns *r, struct dpx_dns_waiter *wt);

/*
 * A datagram from src_addr:src_port to the resolver's local port
 * dst_port. Returns true if a query was waiting on that port (the
 * datagram was the resolver's, whatever it held), false otherwise.
 * Callbacks of the waiters run inside this call.
 */
bool dpx_dns_input(struct dpx_dns *r, uint32_t src_addr, uint16_t src_port,
		   uint16_t dst_port, const uint8_t *data, size_t len);

const struct dpx_dns_stats *dpx_dns_stats(const struct dpx_dns *r);

#endif /* DPX_DNS_H */
