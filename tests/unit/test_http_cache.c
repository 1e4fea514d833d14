/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the HTTP caching rules of lib/http (http_cache.c,
 * http_date.c). Heads are real header bytes parsed by lib/http's own
 * parsers; each row of the tables is one behaviour with its expected
 * storability, freshness lifetime, age, serving decision, 304, range or
 * key, so that a rule that changes shows up as the rows it breaks.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_http.h"
#include "dpx_test.h"

#define T0 INT64_C(1700000000)	/* Tue, 14 Nov 2023 22:13:20 GMT */
#define X (-99)			/* not checked */

static struct dpx_http_request req;
static struct dpx_http_response rsp;
static int rows_run;

static void parse_req(const char *s)
{
	int r = dpx_http_parse_request(s, (uint32_t)strlen(s), NULL, &req);

	if (r != 1)
		fprintf(stderr, "request head does not parse (%d): %s\n", r, s);
	CHECK_EQ(r, 1);
}

static void parse_rsp(const char *s, struct dpx_http_response *m)
{
	int r = dpx_http_parse_response(s, (uint32_t)strlen(s), NULL, false, m);

	if (r != 1)
		fprintf(stderr, "response head does not parse (%d): %s\n", r, s);
	CHECK_EQ(r, 1);
}

static bool str_is(struct dpx_http_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* ---------------- the main behaviour table ---------------- */

#define GET "GET /a HTTP/1.1\r\nHost: h\r\n"
#define E "\r\n"
#define OK200 "HTTP/1.1 200 OK\r\n"
#define D0 "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
#define LM_1000 "Last-Modified: Tue, 14 Nov 2023 21:56:40 GMT\r\n"
#define LM_100D "Last-Modified: Sun, 06 Aug 2023 22:13:20 GMT\r\n"
#define ETAG "ETag: \"v1\"\r\n"
#define MA60 "Cache-Control: max-age=60\r\n"
#define F200(extra) OK200 D0 extra E

enum { C_DEF, C_HEUR, C_GRACE, C_IGN };

struct row {
	const char *name;
	int cfg;		/* C_* */
	const char *req, *rsp;
	int64_t treq, trsp, now;	/* offsets from T0 */
	int store;		/* enum dpx_http_store */
	int64_t life, age;	/* X: not checked */
	int serve;		/* enum dpx_http_serve or X */
	int sie;		/* stale-if-error allowed: 0, 1 or X */
};

#define NS(r) DPX_HTTP_NS_##r
#define OK DPX_HTTP_STORE_OK
#define FRESH DPX_HTTP_SERVE_FRESH
#define STALE DPX_HTTP_SERVE_STALE
#define SWR DPX_HTTP_SERVE_STALE_REVALIDATE
#define REVAL DPX_HTTP_SERVE_REVALIDATE
#define GW504 DPX_HTTP_SERVE_GATEWAY_TIMEOUT
#define AGE31 INT64_C(2147483648)

static const struct row rows[] = {
	/* storability: methods and statuses */
	{ "200 max-age fresh", C_DEF, GET E, F200(MA60), 0, 0, 10, OK, 60, 10, FRESH, 1 },
	{ "200 max-age stale at lifetime", C_DEF, GET E, F200(MA60), 0, 0, 60, OK, 60, 60, REVAL, 0 },
	{ "POST never stored", C_DEF, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E, F200(MA60), 0, 0, 0, NS(METHOD), 60, X, X, X },
	{ "PUT never stored", C_DEF, "PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E, F200(MA60), 0, 0, 0, NS(METHOD), X, X, X, X },
	{ "OPTIONS not stored", C_DEF, "OPTIONS /a HTTP/1.1\r\nHost: h\r\n" E, F200(MA60), 0, 0, 0, NS(METHOD), X, X, X, X },
	{ "HEAD stored", C_DEF, "HEAD /a HTTP/1.1\r\nHost: h\r\n" E, F200(MA60), 0, 0, 0, OK, 60, 0, FRESH, X },
	{ "206 not stored (no ranges kept)", C_DEF, GET E, "HTTP/1.1 206 Partial\r\n" D0 MA60 "Content-Range: bytes 0-1/10\r\nContent-Length: 2\r\n" E, 0, 0, 0, NS(PARTIAL), X, X, X, X },
	{ "304 not stored", C_DEF, GET E, "HTTP/1.1 304 Not Modified\r\n" D0 MA60 E, 0, 0, 0, NS(STATUS), X, X, X, X },
	{ "302 without explicit freshness", C_DEF, GET E, "HTTP/1.1 302 Found\r\n" D0 "Location: /b\r\n" ETAG E, 0, 0, 0, NS(STATUS), 0, X, X, X },
	{ "302 with max-age", C_DEF, GET E, "HTTP/1.1 302 Found\r\n" D0 MA60 E, 0, 0, 0, OK, 60, X, FRESH, X },
	{ "500 without explicit freshness", C_DEF, GET E, "HTTP/1.1 500 Err\r\n" D0 ETAG E, 0, 0, 0, NS(STATUS), 0, X, X, X },
	{ "404 validator only, heuristics off", C_DEF, GET E, "HTTP/1.1 404 NF\r\n" D0 LM_1000 E, 0, 0, 0, OK, 0, 0, REVAL, 0 },
	{ "404 nothing, heuristics off", C_DEF, GET E, "HTTP/1.1 404 NF\r\n" D0 E, 0, 0, 0, NS(NO_FRESHNESS), 0, X, X, X },
	{ "200 nothing, heuristics on, no LM", C_HEUR, GET E, F200(""), 0, 0, 0, NS(NO_FRESHNESS), 0, X, X, X },
	{ "410 explicit public max-age", C_DEF, GET E, "HTTP/1.1 410 Gone\r\n" D0 "Cache-Control: public, max-age=5\r\n" E, 0, 0, 0, OK, 5, X, FRESH, X },
	{ "1xx not final", C_DEF, GET E, "HTTP/1.1 103 Early\r\n" MA60 E, 0, 0, 0, NS(STATUS), X, X, X, X },
	/* heuristics */
	{ "heuristic 10% of Date-LM", C_HEUR, GET E, F200(LM_1000), 0, 0, 50, OK, 100, 50, FRESH, X },
	{ "heuristic capped by max", C_HEUR, GET E, F200(LM_100D), 0, 0, 0, OK, 86400, X, FRESH, X },
	{ "heuristic LM after Date", C_HEUR, GET E, F200("Last-Modified: Tue, 14 Nov 2023 23:13:20 GMT\r\n"), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "heuristic off: LM only revalidates", C_DEF, GET E, F200(LM_1000), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "heuristic not for 302", C_HEUR, GET E, "HTTP/1.1 302 F\r\n" D0 LM_1000 E, 0, 0, 0, NS(STATUS), 0, X, X, X },
	{ "heuristic for public 302", C_HEUR, GET E, "HTTP/1.1 302 F\r\n" D0 LM_1000 "Cache-Control: public\r\n" E, 0, 0, 0, OK, 100, X, FRESH, X },
	{ "heuristic, no Date: response_time", C_HEUR, GET E, OK200 LM_1000 E, 0, 0, 0, OK, 100, 0, FRESH, X },
	/* directives that forbid storing */
	{ "no-store response", C_DEF, GET E, F200("Cache-Control: no-store, max-age=60\r\n"), 0, 0, 0, NS(NO_STORE), X, X, X, X },
	{ "no-store request", C_DEF, GET "Cache-Control: no-store\r\n" E, F200(MA60), 0, 0, 0, NS(REQ_NO_STORE), X, X, X, X },
	{ "no-store request, request CC ignored", C_IGN, GET "Cache-Control: no-store\r\n" E, F200(MA60), 0, 0, 0, OK, X, X, X, X },
	{ "private", C_DEF, GET E, F200("Cache-Control: private, max-age=60\r\n"), 0, 0, 0, NS(PRIVATE), X, X, X, X },
	{ "private with field names", C_DEF, GET E, F200("Cache-Control: private=\"Set-Cookie\", max-age=60\r\n"), 0, 0, 0, NS(PRIVATE), X, X, X, X },
	{ "Authorization alone", C_DEF, GET "Authorization: Basic eDp5\r\n" E, F200(MA60), 0, 0, 0, NS(AUTHORIZATION), X, X, X, X },
	{ "Authorization + public", C_DEF, GET "Authorization: Basic eDp5\r\n" E, F200("Cache-Control: public, max-age=60\r\n"), 0, 0, 0, OK, 60, X, X, X },
	{ "Authorization + s-maxage", C_DEF, GET "Authorization: Basic eDp5\r\n" E, F200("Cache-Control: s-maxage=60\r\n"), 0, 0, 0, OK, 60, X, X, X },
	{ "Authorization + must-revalidate", C_DEF, GET "Authorization: Basic eDp5\r\n" E, F200("Cache-Control: must-revalidate, max-age=60\r\n"), 0, 0, 0, OK, 60, X, X, X },
	{ "Vary: *", C_DEF, GET E, F200(MA60 "Vary: *\r\n"), 0, 0, 0, NS(VARY_STAR), X, X, X, X },
	{ "Vary: *, in a list", C_DEF, GET E, F200(MA60 "Vary: accept, *\r\n"), 0, 0, 0, NS(VARY_STAR), X, X, X, X },
	{ "Vary one field", C_DEF, GET E, F200(MA60 "Vary: Accept-Encoding\r\n"), 0, 0, 0, OK, 60, X, X, X },
	{ "Vary 33 names over 32", C_DEF, GET E, F200(MA60 "Vary: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,ee,ff,gg\r\n"), 0, 0, 0, NS(VARY_TOO_MANY), X, X, X, X },
	{ "Vary 33 with duplicates is 32", C_DEF, GET E, F200(MA60 "Vary: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,ee,ff,A\r\n"), 0, 0, 0, OK, X, X, X, X },
	{ "Vary not a token list", C_DEF, GET E, F200(MA60 "Vary: accept;q=1\r\n"), 0, 0, 0, NS(VARY_INVALID), X, X, X, X },
	{ "must-understand, known status", C_DEF, GET E, F200("Cache-Control: must-understand, no-store, max-age=60\r\n"), 0, 0, 0, OK, 60, X, X, X },
	{ "must-understand, unknown status", C_DEF, GET E, "HTTP/1.1 299 X\r\n" D0 "Cache-Control: must-understand, no-store, max-age=60\r\n" E, 0, 0, 0, NS(MUST_UNDERSTAND), X, X, X, X },
	/* freshness lifetime */
	{ "s-maxage over max-age", C_DEF, GET E, F200("Cache-Control: max-age=10, s-maxage=100\r\n"), 0, 0, 50, OK, 100, 50, FRESH, X },
	{ "Expires - Date", C_DEF, GET E, F200("Expires: Tue, 14 Nov 2023 23:13:20 GMT\r\n"), 0, 0, 0, OK, 3600, X, FRESH, X },
	{ "Expires: 0 is already expired", C_DEF, GET E, F200("Expires: 0\r\n"), 0, 0, 0, NS(NO_FRESHNESS), 0, X, X, X },
	{ "Expires garbage + ETag", C_DEF, GET E, F200("Expires: soon\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "two Expires lines", C_DEF, GET E, F200("Expires: Tue, 14 Nov 2023 23:13:20 GMT\r\nExpires: Tue, 14 Nov 2023 23:13:20 GMT\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "max-age over past Expires", C_DEF, GET E, F200(MA60 "Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n"), 0, 0, 0, OK, 60, X, FRESH, X },
	{ "Expires without Date", C_DEF, GET E, OK200 "Expires: Tue, 14 Nov 2023 22:15:00 GMT\r\n" E, 0, 0, 0, OK, 100, X, FRESH, X },
	{ "Expires before Date", C_DEF, GET E, F200("Expires: Tue, 14 Nov 2023 22:11:40 GMT\r\n"), 0, 0, 0, NS(NO_FRESHNESS), 0, X, X, X },
	{ "Expires in 9999 capped at 2^31", C_DEF, GET E, F200("Expires: Fri, 31 Dec 9999 23:59:59 GMT\r\n"), 0, 0, 0, OK, AGE31, X, FRESH, X },
	{ "max-age repeated, same value", C_DEF, GET E, F200("Cache-Control: max-age=60\r\nCache-Control: max-age=60\r\n"), 0, 0, 0, OK, 60, X, FRESH, X },
	{ "max-age conflicting", C_DEF, GET E, F200("Cache-Control: max-age=60, max-age=120\r\n"), 0, 0, 0, NS(NO_FRESHNESS), 0, X, X, X },
	{ "max-age conflicting over lines + ETag", C_DEF, GET E, F200(MA60 "Cache-Control: max-age=120\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, 0 },
	{ "max-age non-integer + ETag", C_DEF, GET E, F200("Cache-Control: max-age=abc\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "max-age quoted", C_DEF, GET E, F200("Cache-Control: max-age=\"60\"\r\n"), 0, 0, 0, OK, 60, X, FRESH, X },
	{ "max-age huge caps at 2^31", C_DEF, GET E, F200("Cache-Control: max-age=99999999999999999999\r\n"), 0, 0, 86400, OK, AGE31, 86400, FRESH, X },
	{ "max-age negative", C_DEF, GET E, F200("Cache-Control: max-age=-1\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "max-age without argument", C_DEF, GET E, F200("Cache-Control: max-age\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "valid max-age, invalid s-maxage", C_DEF, GET E, F200("Cache-Control: max-age=60, s-maxage=x\r\n" ETAG), 0, 0, 0, OK, 0, X, REVAL, X },
	{ "unknown extension ignored", C_DEF, GET E, F200("Cache-Control: foo=\"a,b\", max-age=60\r\n"), 0, 0, 0, OK, 60, X, FRESH, X },
	{ "garbage element skipped", C_DEF, GET E, F200("Cache-Control: max-age=60, ;;; , public\r\n"), 0, 0, 0, OK, 60, X, FRESH, X },
	{ "directive names ignore case", C_DEF, GET E, F200("Cache-Control: MAX-AGE=60\r\n"), 0, 0, 0, OK, 60, X, FRESH, X },
	/* current age (RFC 9111 4.2.3) */
	{ "Age adds", C_DEF, GET E, F200(MA60 "Age: 30\r\n"), 0, 0, 10, OK, 60, 40, FRESH, X },
	{ "Age + response delay", C_DEF, GET E, F200(MA60 "Age: 30\r\n"), -5, 0, 10, OK, 60, 45, FRESH, X },
	{ "apparent age from Date", C_DEF, GET E, OK200 "Date: Tue, 14 Nov 2023 22:11:40 GMT\r\n" MA60 E, 0, 0, 0, OK, 60, 100, REVAL, X },
	{ "apparent age beats small Age", C_DEF, GET E, OK200 "Date: Tue, 14 Nov 2023 22:11:40 GMT\r\n" MA60 "Age: 10\r\n" E, 0, 0, 5, OK, 60, 105, REVAL, X },
	{ "Age invalid is ignored", C_DEF, GET E, F200(MA60 "Age: abc\r\n"), 0, 0, 10, OK, 60, 10, FRESH, X },
	{ "Age huge caps at 2^31", C_DEF, GET E, F200(MA60 "Age: 99999999999\r\n"), 0, 0, 0, OK, 60, AGE31, REVAL, X },
	{ "two Age lines ignored", C_DEF, GET E, F200(MA60 "Age: 10\r\nAge: 20\r\n"), 0, 0, 5, OK, 60, 5, FRESH, X },
	{ "Date in the future", C_DEF, GET E, OK200 "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" MA60 E, 0, 0, 7, OK, 60, 7, FRESH, X },
	{ "no Date: delay only", C_DEF, GET E, OK200 MA60 E, -2, 0, 7, OK, 60, 9, FRESH, X },
	{ "garbage Date: as none", C_DEF, GET E, OK200 "Date: yesterday\r\n" MA60 E, 0, 0, 7, OK, 60, 7, FRESH, X },
	/* serving decision */
	{ "request no-cache", C_DEF, GET "Cache-Control: no-cache\r\n" E, F200(MA60), 0, 0, 1, OK, 60, 1, REVAL, X },
	{ "Pragma no-cache without CC", C_DEF, GET "Pragma: no-cache\r\n" E, F200(MA60), 0, 0, 1, OK, 60, 1, REVAL, X },
	{ "Pragma no-cache with CC", C_DEF, GET "Pragma: no-cache\r\nCache-Control: max-stale\r\n" E, F200(MA60), 0, 0, 1, OK, 60, 1, FRESH, X },
	{ "request max-age=0", C_DEF, GET "Cache-Control: max-age=0\r\n" E, F200(MA60), 0, 0, 0, OK, 60, 0, REVAL, X },
	{ "request max-age below age", C_DEF, GET "Cache-Control: max-age=5\r\n" E, F200(MA60), 0, 0, 10, OK, 60, 10, REVAL, X },
	{ "request max-age above age", C_DEF, GET "Cache-Control: max-age=20\r\n" E, F200(MA60), 0, 0, 10, OK, 60, 10, FRESH, X },
	{ "request max-age invalid", C_DEF, GET "Cache-Control: max-age=x\r\n" E, F200(MA60), 0, 0, 10, OK, 60, 10, REVAL, X },
	{ "min-fresh not met", C_DEF, GET "Cache-Control: min-fresh=55\r\n" E, F200(MA60), 0, 0, 10, OK, 60, 10, REVAL, X },
	{ "min-fresh met", C_DEF, GET "Cache-Control: min-fresh=30\r\n" E, F200(MA60), 0, 0, 10, OK, 60, 10, FRESH, X },
	{ "max-stale any", C_DEF, GET "Cache-Control: max-stale\r\n" E, F200(MA60), 0, 0, 160, OK, 60, 160, STALE, X },
	{ "max-stale too small", C_DEF, GET "Cache-Control: max-stale=50\r\n" E, F200(MA60), 0, 0, 160, OK, 60, 160, REVAL, X },
	{ "max-stale large enough", C_DEF, GET "Cache-Control: max-stale=200\r\n" E, F200(MA60), 0, 0, 160, OK, 60, 160, STALE, X },
	{ "max-stale vs must-revalidate", C_DEF, GET "Cache-Control: max-stale\r\n" E, F200("Cache-Control: max-age=60, must-revalidate\r\n"), 0, 0, 160, OK, 60, X, REVAL, X },
	{ "max-stale vs proxy-revalidate", C_DEF, GET "Cache-Control: max-stale\r\n" E, F200("Cache-Control: max-age=60, proxy-revalidate\r\n"), 0, 0, 160, OK, 60, X, REVAL, X },
	{ "max-stale vs s-maxage", C_DEF, GET "Cache-Control: max-stale\r\n" E, F200("Cache-Control: s-maxage=60\r\n"), 0, 0, 160, OK, 60, X, REVAL, X },
	{ "stale-while-revalidate window", C_DEF, GET E, F200("Cache-Control: max-age=60, stale-while-revalidate=100\r\n"), 0, 0, 110, OK, 60, X, SWR, X },
	{ "stale-while-revalidate past", C_DEF, GET E, F200("Cache-Control: max-age=60, stale-while-revalidate=100\r\n"), 0, 0, 210, OK, 60, X, REVAL, X },
	{ "stale-while-revalidate invalid", C_DEF, GET E, F200("Cache-Control: max-age=60, stale-while-revalidate=1x\r\n"), 0, 0, 70, OK, 60, X, REVAL, X },
	{ "grace window", C_GRACE, GET E, F200(MA60), 0, 0, 80, OK, 60, X, SWR, X },
	{ "grace past", C_GRACE, GET E, F200(MA60), 0, 0, 100, OK, 60, X, REVAL, X },
	{ "grace vs must-revalidate", C_GRACE, GET E, F200("Cache-Control: max-age=60, must-revalidate\r\n"), 0, 0, 61, OK, 60, X, REVAL, X },
	{ "only-if-cached fresh", C_DEF, GET "Cache-Control: only-if-cached\r\n" E, F200(MA60), 0, 0, 10, OK, 60, X, FRESH, X },
	{ "only-if-cached stale: 504", C_DEF, GET "Cache-Control: only-if-cached\r\n" E, F200(MA60), 0, 0, 100, OK, 60, X, GW504, X },
	{ "only-if-cached in SWR window", C_DEF, GET "Cache-Control: only-if-cached\r\n" E, F200("Cache-Control: max-age=60, stale-while-revalidate=100\r\n"), 0, 0, 100, OK, 60, X, SWR, X },
	{ "response no-cache while fresh", C_DEF, GET E, F200("Cache-Control: no-cache, max-age=60\r\n"), 0, 0, 1, OK, 60, X, REVAL, 0 },
	{ "response no-cache with names", C_DEF, GET E, F200("Cache-Control: no-cache=\"Set-Cookie\", max-age=60\r\n"), 0, 0, 1, OK, 60, X, REVAL, X },
	{ "ignore request CC: no-cache", C_IGN, GET "Cache-Control: no-cache\r\n" E, F200(MA60), 0, 0, 1, OK, 60, X, FRESH, X },
	{ "ignore request CC: only-if-cached", C_IGN, GET "Cache-Control: only-if-cached\r\n" E, F200(MA60), 0, 0, 100, OK, 60, X, REVAL, X },
	{ "ignore request CC: Pragma", C_IGN, GET "Pragma: no-cache\r\n" E, F200(MA60), 0, 0, 1, OK, 60, X, FRESH, X },
	{ "immutable fresh", C_DEF, GET E, F200("Cache-Control: max-age=60, immutable\r\n"), 0, 0, 1, OK, 60, X, FRESH, X },
	/* stale-if-error */
	{ "stale-if-error window", C_DEF, GET E, F200("Cache-Control: max-age=60, stale-if-error=100\r\n"), 0, 0, 110, OK, 60, X, REVAL, 1 },
	{ "stale-if-error past", C_DEF, GET E, F200("Cache-Control: max-age=60, stale-if-error=100\r\n"), 0, 0, 170, OK, 60, X, REVAL, 0 },
	{ "stale-if-error vs must-revalidate", C_DEF, GET E, F200("Cache-Control: max-age=60, stale-if-error=100, must-revalidate\r\n"), 0, 0, 110, OK, 60, X, REVAL, 0 },
	{ "stale-if-error from the request", C_DEF, GET "Cache-Control: stale-if-error=100\r\n" E, F200(MA60), 0, 0, 110, OK, 60, X, REVAL, 1 },
	{ "stale-if-error request ignored", C_IGN, GET "Cache-Control: stale-if-error=100\r\n" E, F200(MA60), 0, 0, 110, OK, 60, X, REVAL, 0 },
};

static struct dpx_http_cache_cfg row_cfg(int sel)
{
	struct dpx_http_cache_cfg c = dpx_http_cache_default_cfg;

	if (sel == C_HEUR)
		c.heuristics = true;
	else if (sel == C_GRACE)
		c.stale_grace = 30;
	else if (sel == C_IGN)
		c.ignore_request_cc = true;
	return c;
}

static void run_row(const struct row *r)
{
	struct dpx_http_cache_cfg cfg = row_cfg(r->cfg);
	struct dpx_http_cache_times t = { T0 + r->treq, T0 + r->trsp,
					  T0 + r->now };
	struct dpx_http_rsp_cache rc;
	struct dpx_http_req_cache q;
	int before = dpx_test_failed_checks;

	parse_req(r->req);
	parse_rsp(r->rsp, &rsp);
	dpx_http_req_cache_info(&req, &q);
	dpx_http_rsp_cache_info(&rsp, T0, &cfg, &rc);
	CHECK_EQ(dpx_http_storable(&q, &rc, &cfg, t.response_time), r->store);
	if (r->life != X)
		CHECK_EQ(dpx_http_freshness_lifetime(&rc, &cfg, t.response_time,
						     NULL), r->life);
	if (r->age != X)
		CHECK_EQ(dpx_http_current_age(&rc, &t), r->age);
	if (r->serve != X)
		CHECK_EQ(dpx_http_serve_decision(&rc, &q, &t, &cfg, NULL),
			 r->serve);
	if (r->sie != X)
		CHECK_EQ(dpx_http_stale_if_error_ok(&rc, &q, &t, &cfg), r->sie);
	if (dpx_test_failed_checks != before)
		fprintf(stderr, "  in row \"%s\"\n", r->name);
	rows_run++;
}

static void test_behaviour_table(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
}

/* The reason reported along a revalidation. */
static void test_revalidation_reasons(void)
{
	static const struct {
		const char *req, *rsp;
		int64_t now;
		enum dpx_http_reval why;
	} t[] = {
		{ GET E, F200(MA60), 10, DPX_HTTP_RV_NONE },
		{ GET E, F200(MA60), 70, DPX_HTTP_RV_STALE },
		{ GET E, F200("Cache-Control: no-cache\r\n" ETAG), 0, DPX_HTTP_RV_NO_CACHE },
		{ GET "Cache-Control: no-cache\r\n" E, F200(MA60), 0, DPX_HTTP_RV_REQ_NO_CACHE },
		{ GET "Cache-Control: max-age=0\r\n" E, F200(MA60), 0, DPX_HTTP_RV_REQ_MAX_AGE },
		{ GET "Cache-Control: min-fresh=100\r\n" E, F200(MA60), 0, DPX_HTTP_RV_REQ_MIN_FRESH },
		{ GET E, F200("Cache-Control: max-age=1, must-revalidate\r\n"), 9, DPX_HTTP_RV_MUST_REVALIDATE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_cache_times tm = { T0, T0, T0 + t[i].now };
		struct dpx_http_rsp_cache rc;
		struct dpx_http_req_cache q;
		enum dpx_http_reval why = (enum dpx_http_reval)99;

		parse_req(t[i].req);
		parse_rsp(t[i].rsp, &rsp);
		dpx_http_req_cache_info(&req, &q);
		dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
		dpx_http_serve_decision(&rc, &q, &tm, NULL, &why);
		CHECK_EQ(why, t[i].why);
		rows_run++;
	}
	CHECK(strcmp(dpx_http_store_name(DPX_HTTP_NS_VARY_STAR), "vary_star") == 0);
	CHECK(strcmp(dpx_http_store_name(DPX_HTTP_NS_COUNT), "?") == 0);
}

/* ---------------- Cache-Control parse ---------------- */

static void test_cache_control(void)
{
	static const struct {
		const char *v;
		uint32_t flags;
		uint8_t present, invalid;
		bool syntax_error;
		int d;		/* a delta to check */
		uint32_t val;
	} t[] = {
		{ "public, max-age=60", DPX_HTTP_CC_PUBLIC, 1, 0, false, DPX_HTTP_CCD_MAX_AGE, 60 },
		{ "no-cache=\"a, b\", private", DPX_HTTP_CC_NO_CACHE | DPX_HTTP_CC_NO_CACHE_NAMES | DPX_HTTP_CC_PRIVATE, 0, 0, false, 0, 0 },
		{ "max-stale", 0, 4, 0, false, DPX_HTTP_CCD_MAX_STALE, DPX_HTTP_CC_ANY },
		{ "max-stale=5, max-stale", 0, 4, 4, false, DPX_HTTP_CCD_MAX_STALE, 0 },
		{ "min-fresh=2147483648", 0, 8, 0, false, DPX_HTTP_CCD_MIN_FRESH, DPX_HTTP_DELTA_MAX },
		{ "min-fresh=2147483647", 0, 8, 0, false, DPX_HTTP_CCD_MIN_FRESH, 2147483647u },
		{ "s-maxage=4294967296", 0, 2, 0, false, DPX_HTTP_CCD_S_MAXAGE, DPX_HTTP_DELTA_MAX },
		{ "stale-while-revalidate=30,stale-if-error=\"40\"", 0, 48, 0, false, DPX_HTTP_CCD_SIE, 40 },
		{ "only-if-cached, no-transform, immutable, proxy-revalidate", DPX_HTTP_CC_ONLY_IF_CACHED | DPX_HTTP_CC_NO_TRANSFORM | DPX_HTTP_CC_IMMUTABLE | DPX_HTTP_CC_PROXY_REVALIDATE, 0, 0, false, 0, 0 },
		{ ",, ,\t", 0, 0, 0, false, 0, 0 },
		{ "=5, \"x\", no-store", DPX_HTTP_CC_NO_STORE, 0, 0, true, 0, 0 },
		{ "max-age=\"60", 0, 0, 0, true, DPX_HTTP_CCD_MAX_AGE, 0 },
		{ "max-age=1 2", 0, 0, 0, true, DPX_HTTP_CCD_MAX_AGE, 0 },
		{ "max-age=", 0, 1, 1, false, DPX_HTTP_CCD_MAX_AGE, 0 },
		{ "max-age=5, max-age=x, max-age=5", 0, 1, 1, false, DPX_HTTP_CCD_MAX_AGE, 0 },
		{ "must-revalidate ,no-store", DPX_HTTP_CC_MUST_REVALIDATE | DPX_HTTP_CC_NO_STORE, 0, 0, false, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_cc cc;
		int before = dpx_test_failed_checks;

		dpx_http_cc_init(&cc);
		dpx_http_cc_parse(&cc, t[i].v, (uint32_t)strlen(t[i].v));
		CHECK_EQ(cc.flags, t[i].flags);
		CHECK_EQ(cc.present, t[i].present);
		CHECK_EQ(cc.invalid, t[i].invalid);
		CHECK_EQ(cc.syntax_error, t[i].syntax_error);
		CHECK_EQ(cc.delta[t[i].d], t[i].val);
		CHECK_EQ(dpx_http_cc_bad(&cc), t[i].invalid || t[i].syntax_error);
		if (dpx_test_failed_checks != before)
			fprintf(stderr, "  in \"%s\"\n", t[i].v);
		rows_run++;
	}
}

/* ---------------- HTTP-date ---------------- */

static void test_dates(void)
{
	static const struct {
		const char *s;
		bool ok;
		int64_t t;
	} t[] = {
		{ "Tue, 14 Nov 2023 22:13:20 GMT", true, T0 },
		{ "Tuesday, 14-Nov-23 22:13:20 GMT", true, T0 },
		{ "Tue Nov 14 22:13:20 2023", true, T0 },
		{ "Sun Nov  6 08:49:37 1994", true, 784111777 },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", true, 784111777 },
		{ "Thu, 01 Jan 1970 00:00:00 GMT", true, 0 },
		{ "Wed, 31 Dec 1969 23:59:59 GMT", true, -1 },
		{ "Tue, 19 Jan 2038 03:14:07 GMT", true, 2147483647 },
		{ "Tue, 19 Jan 2038 03:14:08 GMT", true, INT64_C(2147483648) },
		{ "Fri, 31 Dec 9999 23:59:59 GMT", true, INT64_C(253402300799) },
		{ "Mon, 01 Jan 0001 00:00:00 GMT", true, INT64_C(-62135596800) },
		{ "Tue, 29 Feb 2000 00:00:00 GMT", true, 951782400 },
		{ "Mon, 01 Mar 2100 00:00:00 GMT", true, INT64_C(4107542400) },
		{ "Mon, 29 Feb 2100 00:00:00 GMT", false, 0 },
		{ "Sat, 30 Jun 2012 23:59:60 GMT", true, 1341100800 },
		{ "Fri, 31 Dec 9999 23:59:60 GMT", false, 0 },
		{ "Mon, 01 Jan 0000 00:00:00 GMT", false, 0 },
		{ "Tue, 14 Nov 2023 24:00:00 GMT", false, 0 },
		{ "Tue, 14 Nov 2023 22:13:20 UTC", false, 0 },
		{ "tue, 14 Nov 2023 22:13:20 GMT", false, 0 },
		{ "Tue, 14 Foo 2023 22:13:20 GMT", false, 0 },
		{ "Tue, 32 Jan 2023 22:13:20 GMT", false, 0 },
		{ "Tue, 14 Nov 2023 22:13:20 GMT ", false, 0 },
		{ "Tue, 1x Nov 2023 22:13:20 GMT", false, 0 },
		{ "0", false, 0 },
		{ "", false, 0 },
		{ "Someday, 14-Nov-23 22:13:20 GMT", false, 0 },
		{ "Tue Nov 14 22:13:20 +023", false, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t v = 42;
		bool ok = dpx_http_date_parse(t[i].s, (uint32_t)strlen(t[i].s),
					      T0, &v);

		CHECK_EQ(ok, t[i].ok);
		CHECK_EQ(v, t[i].ok ? t[i].t : 42);
		if (ok != t[i].ok || (ok && v != t[i].t))
			fprintf(stderr, "  in \"%s\"\n", t[i].s);
		rows_run++;
	}
}

static void test_date_rfc850_pivot(void)
{
	int64_t v = 0;
	const char *s = "Friday, 01-Jan-60 00:00:00 GMT";
	int64_t y2000 = 946684800;

	/* seen in 2023: 2060 is 37 years ahead (< 50), so 2060 */
	CHECK(dpx_http_date_parse(s, (uint32_t)strlen(s), T0, &v));
	CHECK_EQ(v, INT64_C(2840140800));
	/* seen in 2000: 2060 is 60 years ahead, so 1960 */
	s = "Friday, 01-Jan-60 00:00:00 GMT";
	CHECK(dpx_http_date_parse(s, (uint32_t)strlen(s), y2000, &v));
	CHECK_EQ(v, INT64_C(-315619200));
}

static void test_date_format(void)
{
	static const int64_t t[] = {
		0, -1, T0, 784111777, 2147483647, INT64_C(2147483648),
		951782400, INT64_C(4107542400), INT64_C(253402300799),
		INT64_C(-62135596800),
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t back = 0;

		CHECK_EQ(dpx_http_date_format(t[i], buf, sizeof(buf)), 29);
		CHECK(dpx_http_date_parse(buf, 29, T0, &back));
		CHECK_EQ(back, t[i]);
	}
	CHECK_EQ(dpx_http_date_format(T0, buf, sizeof(buf)), 29);
	CHECK(memcmp(buf, "Tue, 14 Nov 2023 22:13:20 GMT", 29) == 0);
	CHECK_EQ(dpx_http_date_format(0, buf, sizeof(buf)), 29);
	CHECK(memcmp(buf, "Thu, 01 Jan 1970 00:00:00 GMT", 29) == 0);
	CHECK_EQ(dpx_http_date_format(T0, buf, 28), -1);
	CHECK_EQ(dpx_http_date_format(INT64_C(253402300800), buf, 64), -1);
	CHECK_EQ(dpx_http_date_format(INT64_C(-62135596801), buf, 64), -1);
	CHECK_EQ(dpx_http_date_format(INT64_MAX, buf, 64), -1);
	CHECK_EQ(dpx_http_date_format(INT64_MIN, buf, 64), -1);
	/* every day for 2000 days around 2038: round trip and weekday */
	for (int64_t d = 24000; d < 26000; d++) {
		int64_t back = 0, s = d * 86400 + 3661;

		if (dpx_http_date_format(s, buf, 64) != 29 ||
		    !dpx_http_date_parse(buf, 29, T0, &back) || back != s ||
		    memcmp(buf, (const char *[]){ "Thu", "Fri", "Sat", "Sun",
				 "Mon", "Tue", "Wed" }[d % 7], 3) != 0) {
			CHECK(false);
			break;
		}
	}
}

/* ---------------- conditional requests ---------------- */

static void test_conditional(void)
{
	static const struct {
		const char *req, *rsp;
		bool nm;
	} t[] = {
		{ GET "If-None-Match: \"v1\"\r\n" E, F200(ETAG), true },
		{ GET "If-None-Match: W/\"v1\"\r\n" E, F200(ETAG), true },
		{ GET "If-None-Match: \"v1\"\r\n" E, F200("ETag: W/\"v1\"\r\n"), true },
		{ GET "If-None-Match: \"x\", \"y\" ,\"v1\"\r\n" E, F200(ETAG), true },
		{ GET "If-None-Match: \"x\"\r\nIf-None-Match: \"v1\"\r\n" E, F200(ETAG), true },
		{ GET "If-None-Match: \"x\", \"y\"\r\n" E, F200(ETAG), false },
		{ GET "If-None-Match: *\r\n" E, F200(ETAG), true },
		{ GET "If-None-Match: *\r\n" E, F200(""), true },
		{ GET "If-None-Match: \"v1\"\r\n" E, F200(""), false },
		{ GET "If-None-Match: v1\r\n" E, F200(ETAG), false },
		{ GET "If-None-Match: \"v1\r\n" E, F200(ETAG), false },
		/* If-None-Match present: If-Modified-Since not looked at */
		{ GET "If-None-Match: \"x\"\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n" E, F200(ETAG LM_1000), false },
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n" E, F200(LM_1000), true },
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 21:56:40 GMT\r\n" E, F200(LM_1000), true },
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 21:56:39 GMT\r\n" E, F200(LM_1000), false },
		{ GET "If-Modified-Since: garbage\r\n" E, F200(LM_1000), false },
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n" E, F200(LM_1000), false },
		/* no Last-Modified: the stored Date stands in */
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n" E, F200(""), true },
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n" E, F200(""), false },
		{ GET "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n" E, OK200 E, false },
		{ "HEAD /a HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n" E, F200(ETAG), true },
		{ "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nIf-None-Match: \"v1\"\r\n" E, F200(ETAG), false },
		{ "DELETE /a HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n" E, F200(LM_1000), false },
		{ GET E, F200(ETAG LM_1000), false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_rsp_cache rc;
		bool nm;

		parse_req(t[i].req);
		parse_rsp(t[i].rsp, &rsp);
		dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
		nm = dpx_http_not_modified(&req, &rc, T0);
		CHECK_EQ(nm, t[i].nm);
		if (nm != t[i].nm)
			fprintf(stderr, "  in request %s", t[i].req);
		rows_run++;
	}
}

static void test_etag_match(void)
{
	struct dpx_http_str a = { "\"x\"", 3 }, w = { "W/\"x\"", 5 },
			    b = { "\"y\"", 3 }, bad = { "x", 1 };

	CHECK(dpx_http_etag_match(a, a, true));
	CHECK(!dpx_http_etag_match(a, w, true));
	CHECK(dpx_http_etag_match(a, w, false));
	CHECK(dpx_http_etag_match(w, w, false));
	CHECK(!dpx_http_etag_match(a, b, false));
	CHECK(!dpx_http_etag_match(bad, bad, false));
}

static void test_revalidation_fields(void)
{
	struct dpx_http_rsp_cache rc;
	char buf[128];
	int n;

	parse_rsp(F200(ETAG LM_1000), &rsp);
	dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
	n = dpx_http_revalidation_fields(&rc, buf, sizeof(buf));
	CHECK_EQ(n, (int)strlen("If-None-Match: \"v1\"\r\n"));
	CHECK(n > 0 && memcmp(buf, "If-None-Match: \"v1\"\r\n", (size_t)n) == 0);
	CHECK_EQ(dpx_http_revalidation_fields(&rc, buf, (uint32_t)n - 1), -1);

	parse_rsp(F200(LM_1000), &rsp);
	dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
	n = dpx_http_revalidation_fields(&rc, buf, sizeof(buf));
	CHECK(n > 0 && memcmp(buf, "If-Modified-Since: Tue, 14 Nov 2023 21:56:40 GMT\r\n",
			      (size_t)n) == 0);

	parse_rsp(F200(MA60), &rsp);
	dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
	CHECK_EQ(dpx_http_revalidation_fields(&rc, buf, sizeof(buf)), 0);
	rows_run += 3;
}

static void test_merge_304(void)
{
	static const char stored_head[] =
		"HTTP/1.1 200 OK\r\n" D0 MA60 ETAG
		"Content-Length: 5\r\nX-Old: 1\r\nX-Multi: a\r\nX-Multi: b\r\n" E;
	static const char nm_head[] =
		"HTTP/1.1 304 Not Modified\r\n"
		"Date: Tue, 14 Nov 2023 23:13:20 GMT\r\n"
		"Cache-Control: max-age=120\r\nContent-Length: 99\r\n"
		"Connection: close\r\nx-multi: c\r\n" E;
	static const char want[] =
		"HTTP/1.1 200 OK\r\n" ETAG "Content-Length: 5\r\nX-Old: 1\r\n"
		"Date: Tue, 14 Nov 2023 23:13:20 GMT\r\n"
		"Cache-Control: max-age=120\r\nx-multi: c\r\n" E;
	struct dpx_http_response stored, nm, merged;
	struct dpx_http_rsp_cache rc;
	char buf[512];
	int n;

	parse_rsp(stored_head, &stored);
	parse_rsp(nm_head, &nm);
	n = dpx_http_merge_304(&stored, &nm, buf, sizeof(buf));
	CHECK_EQ(n, (int)strlen(want));
	CHECK(n > 0 && memcmp(buf, want, (size_t)n) == 0);
	if (n > 0 && memcmp(buf, want, (size_t)n) != 0)
		fprintf(stderr, "merged:\n%.*s", n, buf);
	/* the merged head parses, and its freshness is the 304's */
	parse_rsp(buf, &merged);
	dpx_http_rsp_cache_info(&merged, T0, NULL, &rc);
	CHECK_EQ(dpx_http_freshness_lifetime(&rc, NULL, T0, NULL), 120);
	CHECK_EQ(rc.date, T0 + 3600);
	for (uint32_t cap = 0; cap < (uint32_t)n; cap += 7)
		CHECK_EQ(dpx_http_merge_304(&stored, &nm, buf, cap), -1);
	CHECK_EQ(dpx_http_merge_304(&stored, &nm, buf, (uint32_t)n), n);
	rows_run += 2;
}

/* ---------------- ranges ---------------- */

static void ranges_str(const struct dpx_http_range *r, uint32_t n, char *out,
		       size_t cap)
{
	size_t l = 0;

	out[0] = 0;
	for (uint32_t i = 0; i < n && l < cap; i++)
		l += (size_t)snprintf(out + l, cap - l, "%s%" PRIu64 "-%" PRIu64,
				      i ? "," : "", r[i].first, r[i].last);
}

static void test_ranges(void)
{
	static const struct {
		const char *v;
		uint64_t length;
		enum dpx_http_range_result res;
		const char *want;
	} t[] = {
		{ "bytes=0-9", 100, DPX_HTTP_RANGE_OK, "0-9" },
		{ "bytes=90-", 100, DPX_HTTP_RANGE_OK, "90-99" },
		{ "bytes=-10", 100, DPX_HTTP_RANGE_OK, "90-99" },
		{ "bytes=-1000", 100, DPX_HTTP_RANGE_OK, "0-99" },
		{ "bytes=50-1000", 100, DPX_HTTP_RANGE_OK, "50-99" },
		{ "bytes=50-18446744073709551615", 100, DPX_HTTP_RANGE_OK, "50-99" },
		{ "bytes=50-99999999999999999999999", 100, DPX_HTTP_RANGE_OK, "50-99" },
		{ "bytes=20-29, 0-9", 100, DPX_HTTP_RANGE_OK, "0-9,20-29" },
		{ "bytes=0-9,5-14", 100, DPX_HTTP_RANGE_OK, "0-14" },
		{ "bytes=0-9,10-19", 100, DPX_HTTP_RANGE_OK, "0-19" },
		{ "bytes=0-9,11-19", 100, DPX_HTTP_RANGE_OK, "0-9,11-19" },
		{ "bytes=0-,-1", 100, DPX_HTTP_RANGE_OK, "0-99" },
		{ "bytes=200-300, 0-0", 100, DPX_HTTP_RANGE_OK, "0-0" },
		{ "BYTES=0-0", 100, DPX_HTTP_RANGE_OK, "0-0" },
		{ "bytes=0-0,,  ,1-1", 100, DPX_HTTP_RANGE_OK, "0-1" },
		{ "bytes=100-", 100, DPX_HTTP_RANGE_UNSATISFIABLE, "" },
		{ "bytes=100-200,300-", 100, DPX_HTTP_RANGE_UNSATISFIABLE, "" },
		{ "bytes=-0", 100, DPX_HTTP_RANGE_UNSATISFIABLE, "" },
		{ "bytes=-5", 0, DPX_HTTP_RANGE_UNSATISFIABLE, "" },
		{ "bytes=0-", 0, DPX_HTTP_RANGE_UNSATISFIABLE, "" },
		{ "bytes=99999999999999999999999-", 100, DPX_HTTP_RANGE_UNSATISFIABLE, "" },
		{ "bytes=9-0", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=abc", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=0-9;x", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=--5", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=0-9, x", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "items=0-9", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes 0-9", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15", 100, DPX_HTTP_RANGE_OK, "0-15" },
		{ "bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16", 100, DPX_HTTP_RANGE_IGNORE, "" },
		{ "bytes=90-99,0-9,50-59,40-49,95-", 100, DPX_HTTP_RANGE_OK, "0-9,40-59,90-99" },
	};
	struct dpx_http_range out[DPX_HTTP_RANGES_MAX];
	char got[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t n = 99;
		enum dpx_http_range_result r;

		r = dpx_http_range_parse(t[i].v, (uint32_t)strlen(t[i].v),
					 t[i].length, 16, out, &n);
		ranges_str(out, r == DPX_HTTP_RANGE_OK ? n : 0, got, sizeof(got));
		CHECK_EQ(r, t[i].res);
		CHECK(strcmp(got, t[i].want) == 0);
		if (r != DPX_HTTP_RANGE_OK)
			CHECK_EQ(n, 0);
		if (r != t[i].res || strcmp(got, t[i].want) != 0)
			fprintf(stderr, "  in \"%s\": got %d \"%s\"\n", t[i].v,
				r, got);
		rows_run++;
	}
}

static void test_request_ranges(void)
{
	static const struct {
		const char *req;
		enum dpx_http_range_result res;
		uint32_t n;
	} t[] = {
		{ GET "Range: bytes=0-9\r\n" E, DPX_HTTP_RANGE_OK, 1 },
		{ GET E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ "HEAD /a HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n" E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ GET "Range: bytes=0-9\r\nRange: bytes=0-9\r\n" E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ GET "Range: bytes=0-9\r\nIf-Range: \"v1\"\r\n" E, DPX_HTTP_RANGE_OK, 1 },
		{ GET "Range: bytes=0-9\r\nIf-Range: \"v2\"\r\n" E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ GET "Range: bytes=0-9\r\nIf-Range: W/\"v1\"\r\n" E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ GET "Range: bytes=0-9\r\nIf-Range: Tue, 14 Nov 2023 21:56:40 GMT\r\n" E, DPX_HTTP_RANGE_OK, 1 },
		{ GET "Range: bytes=0-9\r\nIf-Range: Tue, 14 Nov 2023 21:56:41 GMT\r\n" E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ GET "Range: bytes=0-9\r\nIf-Range: junk\r\n" E, DPX_HTTP_RANGE_IGNORE, 0 },
		{ GET "Range: bytes=5000-\r\n" E, DPX_HTTP_RANGE_UNSATISFIABLE, 0 },
	};
	struct dpx_http_range out[DPX_HTTP_RANGES_MAX];
	struct dpx_http_rsp_cache rc;

	parse_rsp(F200(ETAG LM_1000), &rsp);
	dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t n = 99;

		parse_req(t[i].req);
		CHECK_EQ(dpx_http_request_ranges(&req, &rc, 1000, NULL, T0,
						 out, &n), t[i].res);
		CHECK_EQ(n, t[i].n);
		rows_run++;
	}
}

/* ---------------- Vary ---------------- */

static void test_vary_key(void)
{
	struct dpx_http_str names[DPX_HTTP_VARY_MAX];
	uint32_t n = 0;
	char a[256], b[256];
	int la, lb;

	parse_rsp(F200("Vary: Accept-Encoding, X-Lang\r\nVary: accept-encoding\r\n"), &rsp);
	CHECK_EQ(dpx_http_vary_parse(rsp.headers, rsp.n_headers, 32, names, &n),
		 DPX_HTTP_VARY_OK);
	CHECK_EQ(n, 2);
	parse_req(GET "Accept-Encoding:  gzip \r\nX-Lang: en\r\nX-Lang: fr\r\n" E);
	la = dpx_http_vary_key(names, n, &req, a, sizeof(a));
	CHECK(la > 0 && strncmp(a, "accept-encoding:gzip\nx-lang:en,fr\n", (size_t)la) == 0);
	CHECK_EQ(la, (int)strlen("accept-encoding:gzip\nx-lang:en,fr\n"));
	CHECK_EQ(dpx_http_vary_key(names, n, &req, a, (uint32_t)la - 1), -1);
	/* absent and empty differ */
	parse_req(GET "X-Lang: en\r\n" E);
	la = dpx_http_vary_key(names, n, &req, a, sizeof(a));
	parse_req(GET "Accept-Encoding: \r\nX-Lang: en\r\n" E);
	lb = dpx_http_vary_key(names, n, &req, b, sizeof(b));
	CHECK(la > 0 && lb > 0 && (la != lb || memcmp(a, b, (size_t)la) != 0));
	CHECK(la > 0 && strncmp(a, "accept-encoding\nx-lang:en\n", (size_t)la) == 0);
	CHECK(lb > 0 && strncmp(b, "accept-encoding:\nx-lang:en\n", (size_t)lb) == 0);
	/* field-name case does not change the key */
	parse_req(GET "x-lang: en\r\n" E);
	lb = dpx_http_vary_key(names, n, &req, b, sizeof(b));
	CHECK(la == lb && memcmp(a, b, (size_t)la) == 0);
	/* no names: empty key */
	CHECK_EQ(dpx_http_vary_key(names, 0, &req, a, 0), 0);
	rows_run += 4;
}

/* Vary with hundreds of names (one line, and the parser's 100 lines). */
static void test_vary_many(void)
{
	static char head[70000];
	struct dpx_http_str names[DPX_HTTP_VARY_MAX];
	struct dpx_http_rsp_cache rc;
	struct dpx_http_req_cache q;
	uint32_t n = 0;
	size_t l;

	l = (size_t)snprintf(head, sizeof(head), OK200 D0 MA60 "Vary: ");
	for (int i = 0; i < 500; i++)
		l += (size_t)snprintf(head + l, sizeof(head) - l, "%sx-f%d",
				      i ? ", " : "", i);
	l += (size_t)snprintf(head + l, sizeof(head) - l, "\r\n\r\n");
	CHECK_EQ(dpx_http_parse_response(head, (uint32_t)l, &(struct dpx_http_limits){ 65536, 100, 70000, 0 }, false, &rsp), 1);
	CHECK_EQ(dpx_http_vary_parse(rsp.headers, rsp.n_headers, 32, names, &n),
		 DPX_HTTP_VARY_TOO_MANY);
	CHECK_EQ(n, 32);
	/* the hard cap holds whatever the configuration says */
	CHECK_EQ(dpx_http_vary_parse(rsp.headers, rsp.n_headers, 100000, names, &n),
		 DPX_HTTP_VARY_TOO_MANY);
	CHECK_EQ(n, DPX_HTTP_VARY_MAX);
	parse_req(GET E);
	dpx_http_req_cache_info(&req, &q);
	dpx_http_rsp_cache_info(&rsp, T0, NULL, &rc);
	CHECK_EQ(dpx_http_storable(&q, &rc, NULL, T0), DPX_HTTP_NS_VARY_TOO_MANY);
	/* the same name 500 times is one name */
	l = (size_t)snprintf(head, sizeof(head), OK200 "Vary: ");
	for (int i = 0; i < 500; i++)
		l += (size_t)snprintf(head + l, sizeof(head) - l, "%saccept",
				      i ? "," : "");
	l += (size_t)snprintf(head + l, sizeof(head) - l, "\r\n\r\n");
	CHECK_EQ(dpx_http_parse_response(head, (uint32_t)l, NULL, false, &rsp), 1);
	CHECK_EQ(dpx_http_vary_parse(rsp.headers, rsp.n_headers, 32, names, &n),
		 DPX_HTTP_VARY_OK);
	CHECK_EQ(n, 1);
	rows_run += 2;
}

/* ---------------- cache key ---------------- */

static void test_cache_key(void)
{
	static const struct dpx_http_str drop[] = { { "utm_source", 10 },
						    { "fbclid", 6 } };
	static const struct {
		const char *req, *scheme;
		int opts;	/* 0 none, 1 ignore query, 2 sort, 3 sort+drop */
		const char *want;	/* NULL: DPX_HTTP_KEY_E_TARGET */
	} t[] = {
		{ "GET /a?b=1 HTTP/1.1\r\nHost: Example.COM\r\n" E, "http", 0, "GET http://example.com/a?b=1" },
		{ "GET /a HTTP/1.1\r\nHost: example.com:80\r\n" E, "http", 0, "GET http://example.com/a" },
		{ "GET /a HTTP/1.1\r\nHost: example.com:443\r\n" E, "https", 0, "GET https://example.com/a" },
		{ "GET /a HTTP/1.1\r\nHost: example.com:443\r\n" E, "http", 0, "GET http://example.com:443/a" },
		{ "GET /a HTTP/1.1\r\nHost: example.com:\r\n" E, "http", 0, "GET http://example.com/a" },
		{ "GET /a HTTP/1.1\r\nHost: [::1]:80\r\n" E, "http", 0, "GET http://[::1]/a" },
		{ "GET /a HTTP/1.1\r\nHost: [::1]\r\n" E, "http", 0, "GET http://[::1]/a" },
		{ "GET http://Other.Example:80/p?q HTTP/1.1\r\nHost: ignored\r\n" E, "http", 0, "GET http://other.example/p?q" },
		{ "GET http://a.example HTTP/1.1\r\nHost: a.example\r\n" E, "http", 0, "GET http://a.example/" },
		{ "GET /a?z=1&b=2 HTTP/1.1\r\nHost: h\r\n" E, "http", 1, "GET http://h/a" },
		{ "GET /a?z=1&b=2&&a HTTP/1.1\r\nHost: h\r\n" E, "http", 2, "GET http://h/a?a&b=2&z=1" },
		{ "GET /a?utm_source=x&z=1&fbclid=9&utm_source2=y HTTP/1.1\r\nHost: h\r\n" E, "http", 3, "GET http://h/a?utm_source2=y&z=1" },
		{ "GET /a?utm_source=x HTTP/1.1\r\nHost: h\r\n" E, "http", 3, "GET http://h/a" },
		{ "GET /a? HTTP/1.1\r\nHost: h\r\n" E, "http", 0, "GET http://h/a?" },
		{ "HEAD /a HTTP/1.1\r\nHost: h\r\n" E, "http", 0, "HEAD http://h/a" },
		/* unkeyed fields: X-Forwarded-Host does not enter the key */
		{ "GET /a HTTP/1.1\r\nHost: h\r\nX-Forwarded-Host: evil.example\r\n" E, "http", 0, "GET http://h/a" },
		{ "OPTIONS * HTTP/1.1\r\nHost: h\r\n" E, "http", 0, NULL },
		{ "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n" E, "http", 0, NULL },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_key_opts o = { t[i].opts == 1, t[i].opts >= 2,
					       t[i].opts == 3 ? drop : NULL,
					       t[i].opts == 3 ? 2 : 0 };
		int n;

		parse_req(t[i].req);
		n = dpx_http_cache_key(&req, t[i].scheme, &o, buf, sizeof(buf));
		if (!t[i].want) {
			CHECK_EQ(n, DPX_HTTP_KEY_E_TARGET);
		} else {
			CHECK_EQ(n, (int)strlen(t[i].want));
			CHECK(n > 0 && memcmp(buf, t[i].want, (size_t)n) == 0);
			if (n > 0 && (n != (int)strlen(t[i].want) ||
				      memcmp(buf, t[i].want, (size_t)n) != 0))
				fprintf(stderr, "  got \"%.*s\" want \"%s\"\n",
					n, buf, t[i].want);
			CHECK_EQ(dpx_http_cache_key(&req, t[i].scheme, &o, buf,
						    (uint32_t)n - 1),
				 DPX_HTTP_KEY_E_SPACE);
		}
		rows_run++;
	}
}

static void test_cache_key_many_params(void)
{
	static char head[4096];
	struct dpx_http_key_opts o = { false, true, NULL, 0 };
	char buf[4096];
	size_t l = (size_t)snprintf(head, sizeof(head), "GET /a?");

	for (int i = 0; i < 65; i++)
		l += (size_t)snprintf(head + l, sizeof(head) - l, "%sp%d=1",
				      i ? "&" : "", 64 - i);
	snprintf(head + l, sizeof(head) - l, " HTTP/1.1\r\nHost: h\r\n\r\n");
	parse_req(head);
	CHECK_EQ(dpx_http_cache_key(&req, "http", &o, buf, sizeof(buf)),
		 DPX_HTTP_KEY_E_TARGET);
	o.sort_query = false;
	CHECK(dpx_http_cache_key(&req, "http", &o, buf, sizeof(buf)) > 0);
	rows_run++;
}

/* ---------------- the operator's TTL (default_ttl, force_ttl) ---------------- */

static void test_config_ttl(void)
{
	static const struct {
		const char *rsp;
		uint32_t ttl;
		bool force, heuristics;
		int64_t lifetime;
		enum dpx_http_fresh_src src;
		enum dpx_http_store store;
	} t[] = {
		/* no explicit freshness: the default, before heuristics */
		{ F200(""), 300, false, false, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_STORE_OK },
		{ F200(LM_100D), 300, false, true, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_STORE_OK },
		{ F200(""), 0, false, false, 0, DPX_HTTP_FRESH_NONE, DPX_HTTP_NS_NO_FRESHNESS },
		/* the server's own freshness wins unless forced */
		{ F200(MA60), 300, false, false, 60, DPX_HTTP_FRESH_MAX_AGE, DPX_HTTP_STORE_OK },
		{ F200(MA60), 300, true, false, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_STORE_OK },
		{ F200("Cache-Control: max-age=x\r\n"), 300, true, false, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_STORE_OK },
		{ F200("Cache-Control: s-maxage=5\r\n"), 300, false, false, 5, DPX_HTTP_FRESH_S_MAXAGE, DPX_HTTP_STORE_OK },
		/* not cacheable by default (302): no default, even forced
		 * nothing makes it storable */
		{ "HTTP/1.1 302 Found\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n" E,
		  300, false, false, 0, DPX_HTTP_FRESH_NONE, DPX_HTTP_NS_STATUS },
		{ "HTTP/1.1 302 Found\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n" E,
		  300, true, false, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_NS_STATUS },
		/* what may be stored does not change */
		{ F200("Cache-Control: no-store\r\n"), 300, true, false, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_NS_NO_STORE },
		{ F200("Cache-Control: private, max-age=60\r\n"), 300, true, false, 300, DPX_HTTP_FRESH_CONFIG, DPX_HTTP_NS_PRIVATE },
	};
	struct dpx_http_req_cache q;

	parse_req(GET E);
	dpx_http_req_cache_info(&req, &q);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_cache_cfg cfg = dpx_http_cache_default_cfg;
		struct dpx_http_rsp_cache rc;
		enum dpx_http_fresh_src src;
		int64_t l;

		cfg.default_ttl = t[i].ttl;
		cfg.force_ttl = t[i].force;
		cfg.heuristics = t[i].heuristics;
		parse_rsp(t[i].rsp, &rsp);
		dpx_http_rsp_cache_info(&rsp, 0, &cfg, &rc);
		l = dpx_http_freshness_lifetime(&rc, &cfg, 0, &src);
		if (l != t[i].lifetime || src != t[i].src)
			fprintf(stderr, "  ttl row %zu: lifetime %lld src %d\n",
				i, (long long)l, (int)src);
		CHECK_EQ(l, t[i].lifetime);
		CHECK_EQ(src, t[i].src);
		CHECK_EQ(dpx_http_storable(&q, &rc, &cfg, 0), t[i].store);
		rows_run++;
	}
}

/* ---------------- invalidation ---------------- */

static void test_invalidation(void)
{
	static const struct {
		const char *req, *rsp;
		const char *want[3];
	} t[] = {
		{ "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 201 Created\r\nLocation: /b\r\nContent-Location: http://H/c?x\r\nContent-Length: 0\r\n" E,
		  { "/a", "/b", "/c?x" } },
		/* another host: never; a network-path reference to ours: yes */
		{ "PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 204 No Content\r\nLocation: http://other/b\r\nContent-Location: //h/c\r\n" E,
		  { "/a", "/c", NULL } },
		{ "PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 204 No Content\r\nLocation: //other/b\r\nContent-Location: https://h.evil/c\r\n" E,
		  { "/a", NULL, NULL } },
		{ "DELETE /a HTTP/1.1\r\nHost: h\r\n" E,
		  "HTTP/1.1 302 Found\r\nLocation: https://h\r\nContent-Length: 0\r\n" E,
		  { "/a", "/", NULL } },
		{ "DELETE /a HTTP/1.1\r\nHost: h\r\n" E,
		  "HTTP/1.1 404 NF\r\nContent-Length: 0\r\n" E,
		  { NULL, NULL, NULL } },
		{ "GET /a HTTP/1.1\r\nHost: h\r\n" E,
		  "HTTP/1.1 200 OK\r\nLocation: /b\r\nContent-Length: 0\r\n" E,
		  { NULL, NULL, NULL } },
		/* relative references: merged with the target's directory;
		 * only the first line of each field counts */
		{ "PATCH http://h/d/a?q HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 200 OK\r\nLocation: rel\r\nLocation: /second\r\nContent-Location: ../up/./x?y#frag\r\nContent-Length: 0\r\n" E,
		  { "/d/a?q", "/d/rel", "/up/x?y" } },
		{ "POST /d/e/f HTTP/1.1\r\nHost: h:80\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 303 See Other\r\nLocation: ?page=2\r\nContent-Location: ../../../..\r\nContent-Length: 0\r\n" E,
		  { "/d/e/f", "/d/e/f?page=2", "/" } },
		{ "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 201 Created\r\nLocation: mailto:x@h\r\nContent-Location: http://h:80/z/\r\nContent-Length: 0\r\n" E,
		  { "/a", "/z/", NULL } },
		{ "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" E,
		  "HTTP/1.1 201 Created\r\nLocation: http://h:8080/p\r\nContent-Location: #top\r\nContent-Length: 0\r\n" E,
		  { "/a", NULL, NULL } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_str out[3];
		char buf[256];
		uint32_t n, want = 0;
		struct dpx_http_uri_base base;

		parse_req(t[i].req);
		parse_rsp(t[i].rsp, &rsp);
		base = (struct dpx_http_uri_base){ req.method, "http",
						   req.host, req.target };
		n = dpx_http_invalidation_targets(&base, &rsp, out, buf,
						  sizeof(buf));
		while (want < 3 && t[i].want[want])
			want++;
		CHECK_EQ(n, want);
		for (uint32_t k = 0; k < n && k < want; k++) {
			if (str_is(out[k], t[i].want[k]))
				continue;
			fprintf(stderr, "  row %zu: got \"%.*s\" want \"%s\"\n",
				i, (int)out[k].len, out[k].p, t[i].want[k]);
			CHECK(str_is(out[k], t[i].want[k]));
		}
		rows_run++;
	}
}

/* A resolved target that does not fit is refused, not cut. */
static void test_resolve_small_buffer(void)
{
	struct dpx_http_uri_base base = {
		{ "POST", 4 }, "http", { "h", 1 }, { "/dir/a", 6 }
	};
	struct dpx_http_str v = { "b/c", 3 };
	char buf[16];

	CHECK_EQ(dpx_http_resolve_same_host(&base, v, buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "/dir/b/c", 8) == 0);
	CHECK_EQ(dpx_http_resolve_same_host(&base, v, buf, 7), -1);
	rows_run++;
}

/* The forward proxy's key (lib/proxy/cache.c): the authority of the
 * absolute-form target as "host:port" (port always given), the target
 * itself absolute-form (first request) or origin-form (a parked request's
 * staged head): the same entry for http://A/x and http://a:80/x. */
static void test_forward_cache_key(void)
{
	static const struct {
		const char *host, *target, *want;
	} t[] = {
		{ "ALPHA.test:80", "http://ALPHA.test:80/x?q=1",
		  "GET http://alpha.test/x?q=1" },
		{ "alpha.test:80", "http://alpha.test/x?q=1",
		  "GET http://alpha.test/x?q=1" },
		{ "alpha.test:80", "/x?q=1", "GET http://alpha.test/x?q=1" },
		{ "Alpha.Test:80", "HTTP://Alpha.Test",
		  "GET http://alpha.test/" },
		{ "beta.test:80", "http://beta.test/x?q=1",
		  "GET http://beta.test/x?q=1" },
		{ "alpha.test:8080", "http://alpha.test:8080/x",
		  "GET http://alpha.test:8080/x" },
	};
	static const struct dpx_http_str get = { "GET", 3 };
	char buf[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dpx_http_str host = { t[i].host,
					     (uint32_t)strlen(t[i].host) };
		struct dpx_http_str target = { t[i].target,
					       (uint32_t)strlen(t[i].target) };
		int n = dpx_http_cache_key_parts(get, "http", host, target,
						 NULL, buf, sizeof(buf));

		CHECK_EQ(n, (int)strlen(t[i].want));
		CHECK(n > 0 && memcmp(buf, t[i].want, (size_t)n) == 0);
	}
}

int main(void)
{
	RUN_TEST(test_behaviour_table);
	RUN_TEST(test_forward_cache_key);
	RUN_TEST(test_revalidation_reasons);
	RUN_TEST(test_cache_control);
	RUN_TEST(test_dates);
	RUN_TEST(test_date_rfc850_pivot);
	RUN_TEST(test_date_format);
	RUN_TEST(test_conditional);
	RUN_TEST(test_etag_match);
	RUN_TEST(test_revalidation_fields);
	RUN_TEST(test_merge_304);
	RUN_TEST(test_ranges);
	RUN_TEST(test_request_ranges);
	RUN_TEST(test_vary_key);
	RUN_TEST(test_vary_many);
	RUN_TEST(test_cache_key);
	RUN_TEST(test_cache_key_many_params);
	RUN_TEST(test_config_ttl);
	RUN_TEST(test_invalidation);
	RUN_TEST(test_resolve_small_buffer);
	printf("%d behaviour rows (%zu in the main table)\n", rows_run,
	       sizeof(rows) / sizeof(rows[0]));
	return TEST_SUMMARY();
}
