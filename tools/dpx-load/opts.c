/* SPDX-License-Identifier: BSD-3-Clause */
/* dpx-load's own options (after "--"): strict parsing, one clear message
 * for the first problem, no EAL needed (unit-tested). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

#define DEFAULT_CONNECTIONS 10
#define DEFAULT_DURATION_S 10.0
#define DEFAULT_WARMUP_S 1.0
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_SECONDS 86400.0
#define MAX_RATE 100e6
#define BULK_MAX (UINT64_C(1) << 40)    /* what lib/svc serves at most */

void
load_opts_usage(FILE *out)
{
	fprintf(out,
"usage: dpx-load [EAL options] -- --config FILE [--target ADDR:PORT] [options]\n"
"\n"
"  --config FILE          dpx's JSON schema: ports, addresses, tcp, and\n"
"                         \"static\"/\"echo\" listeners (the backends)\n"
"  --target ADDR:PORT     where client connections go; without it dpx-load\n"
"                         only serves its listeners, until a signal\n"
"  --connections N        concurrent client connections, 1..100000 (%d)\n"
"  --duration S           measured seconds, > 0 (%.0f)\n"
"  --warmup S             seconds before measuring, >= 0 (%.0f)\n"
"  --requests-per-conn K  requests per connection; 0 keep-alive for ever\n"
"                         (default), 1 a new connection per request\n"
"  --path P               request target (\"/\"), or\n"
"  --paths-file F         one target a line, used round robin ('#' comments)\n"
"  --host H               Host header (the target address, with :PORT\n"
"                         unless 80)\n"
"  --rate R               open loop: R requests/s over all connections,\n"
"                         evenly spaced; without it, closed loop (each\n"
"                         connection sends when its previous response ends)\n"
"  --timeout-ms MS        a request with no progress for MS fails (%d)\n"
"  --expect-status N      the status that counts as success (200)\n"
"  --expect-length N|any  body bytes every response must have (default: N\n"
"                         for a /bytes/N target, else any)\n"
"  --verify-body          check /bytes/N bodies byte by byte\n"
"  --bulk BYTES           throughput: GET /bytes/BYTES, 1 connection unless\n"
"                         --connections says otherwise\n"
"  --json                 the report as one JSON object (then the LOAD line)\n"
"  --ready-file PATH      created once links are up and the worker runs\n"
"  --linger S             after the report keep the ports up (no polling)\n"
"                         until a link goes down, a signal or S seconds:\n"
"                         lets a memif server (dpx) stop first, safely\n"
"  --log-level LEVEL      error, warning, info or debug\n"
"  --help\n",
		DEFAULT_CONNECTIONS, DEFAULT_DURATION_S, DEFAULT_WARMUP_S,
		DEFAULT_TIMEOUT_MS);
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal digits only (no sign, no spaces), value in [min, max]. */
static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A plain decimal number of seconds ("10", "0.5"), in [min, max]. */
static int
parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || ((*s < '0' || *s > '9') && *s != '.'))
		return -1;
	for (const char *p = s; *p; p++)
		if ((*p < '0' || *p > '9') && *p != '.')
			return -1;      /* no exponent, hex or "inf" */
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
load_parse_target(const char *s, uint32_t *addr, uint16_t *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	char ip[16];
	uint64_t p;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	if (dpx_parse_ipv4(ip, addr) != 0 || *addr == 0)
		return -1;
	if (parse_u64(colon + 1, 1, 65535, &p) != 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

bool
load_path_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= LOAD_PATH_MAX || s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int64_t
load_path_expect(const char *path)
{
	uint64_t n;

	if (strncmp(path, "/bytes/", 7) != 0 ||
	    parse_u64(path + 7, 0, BULK_MAX, &n) != 0)
		return LOAD_EXPECT_ANY;
	return (int64_t)n;
}

static bool
host_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= LOAD_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static int
add_path(struct load_opts *o, const char *p, char *err, size_t errlen,
	 const char *where)
{
	struct load_path *np;

	if (!load_path_valid(p))
		return fail(err, errlen, "%s: \"%.80s\" is not a request target "
			    "(starts with '/', visible ASCII, no spaces, at most "
			    "%d bytes)", where, p, LOAD_PATH_MAX - 1);
	if (o->n_paths == LOAD_MAX_PATHS)
		return fail(err, errlen, "%s: more than %d paths", where,
			    LOAD_MAX_PATHS);
	np = realloc(o->paths, sizeof(*np) * (o->n_paths + 1));
	if (np == NULL)
		return fail(err, errlen, "out of memory");
	o->paths = np;
	snprintf(np[o->n_paths].path, LOAD_PATH_MAX, "%s", p);
	np[o->n_paths].expect_len = LOAD_EXPECT_ANY;
	o->n_paths++;
	return 0;
}

/* Strips the line end and surrounding blanks; NULL for blank or comment. */
static char *
path_line(char *line)
{
	char *end;

	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == '\n' || end[-1] == '\r' ||
			      end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return (*line == '\0' || *line == '#') ? NULL : line;
}

static int
read_paths_file(struct load_opts *o, const char *file, char *err,
		size_t errlen)
{
	char line[LOAD_PATH_MAX + 64], where[300];
	unsigned int lineno = 0;
	FILE *f = fopen(file, "r");
	int rc = 0;

	if (f == NULL)
		return fail(err, errlen, "--paths-file %s: %s", file,
			    strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *p;

		lineno++;
		snprintf(where, sizeof(where), "--paths-file %.200s:%u", file,
			 lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = fail(err, errlen, "%s: line longer than %d bytes",
				  where, LOAD_PATH_MAX - 1);
			break;
		}
		p = path_line(line);
		if (p != NULL)
			rc = add_path(o, p, err, errlen, where);
	}
	if (rc == 0 && ferror(f))
		rc = fail(err, errlen, "--paths-file %s: read error", file);
	fclose(f);
	if (rc == 0 && o->n_paths == 0)
		rc = fail(err, errlen, "--paths-file %s: no paths in it", file);
	return rc;
}

/* What the command line said, before defaults and cross-checks. */
struct raw_opts {
	const char *target, *path, *paths_file, *host, *expect_length;
	bool set_connections, set_client_opt;
};

enum {
	OPT_CONFIG = 256, OPT_TARGET, OPT_CONNECTIONS, OPT_DURATION,
	OPT_WARMUP, OPT_RPC, OPT_PATH, OPT_PATHS_FILE, OPT_HOST, OPT_RATE,
	OPT_TIMEOUT, OPT_EXPECT_STATUS, OPT_EXPECT_LENGTH, OPT_VERIFY,
	OPT_BULK, OPT_JSON, OPT_READY, OPT_LOG_LEVEL, OPT_LINGER, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "requests-per-conn", required_argument, NULL, OPT_RPC },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "paths-file", required_argument, NULL, OPT_PATHS_FILE },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "expect-status", required_argument, NULL, OPT_EXPECT_STATUS },
	{ "expect-length", required_argument, NULL, OPT_EXPECT_LENGTH },
	{ "verify-body", no_argument, NULL, OPT_VERIFY },
	{ "bulk", required_argument, NULL, OPT_BULK },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Numeric options; returns 0, or -1 with err set. */
static int
opt_number(struct load_opts *o, int c, const char *arg, char *err,
	   size_t errlen)
{
	uint64_t v;

	switch (c) {
	case OPT_CONNECTIONS:
		if (parse_u64(arg, 1, LOAD_MAX_CONNECTIONS, &v) != 0)
			return fail(err, errlen, "--connections: \"%s\" is not "
				    "an integer in 1..%d", arg,
				    LOAD_MAX_CONNECTIONS);
		o->connections = (uint32_t)v;
		return 0;
	case OPT_DURATION:
		if (parse_seconds(arg, 0, MAX_SECONDS, &o->duration_s) != 0 ||
		    o->duration_s <= 0)
			return fail(err, errlen, "--duration: \"%s\" is not a "
				    "number of seconds in (0, %.0f]", arg,
				    MAX_SECONDS);
		return 0;
	case OPT_WARMUP:
		if (parse_seconds(arg, 0, MAX_SECONDS, &o->warmup_s) != 0)
			return fail(err, errlen, "--warmup: \"%s\" is not a "
				    "number of seconds in [0, %.0f]", arg,
				    MAX_SECONDS);
		return 0;
	case OPT_RPC:
		if (parse_u64(arg, 0, UINT32_MAX, &v) != 0)
			return fail(err, errlen, "--requests-per-conn: \"%s\" "
				    "is not an integer in 0..%u", arg,
				    UINT32_MAX);
		o->reqs_per_conn = (uint32_t)v;
		return 0;
	case OPT_RATE:
		if (parse_seconds(arg, 0, MAX_RATE, &o->rate) != 0 ||
		    o->rate < 1)
			return fail(err, errlen, "--rate: \"%s\" is not a "
				    "number of requests/s in [1, %.0f]", arg,
				    MAX_RATE);
		return 0;
	case OPT_TIMEOUT:
		if (parse_u64(arg, 1, 3600000, &v) != 0)
			return fail(err, errlen, "--timeout-ms: \"%s\" is not "
				    "an integer in 1..3600000", arg);
		o->timeout_ms = (uint32_t)v;
		return 0;
	case OPT_EXPECT_STATUS:
		if (parse_u64(arg, 100, 599, &v) != 0)
			return fail(err, errlen, "--expect-status: \"%s\" is "
				    "not a status in 100..599", arg);
		o->expect_status = (uint16_t)v;
		return 0;
	case OPT_BULK:
		if (parse_u64(arg, 1, BULK_MAX, &o->bulk_bytes) != 0)
			return fail(err, errlen, "--bulk: \"%s\" is not a byte "
				    "count in 1..%" PRIu64, arg, BULK_MAX);
		return 0;
	}
	return fail(err, errlen, "internal: option %d", c);
}

static int
opt_one(struct load_opts *o, struct raw_opts *r, int c, const char *arg,
	char *err, size_t errlen)
{
	switch (c) {
	case OPT_CONFIG: o->config = arg; return 0;
	case OPT_TARGET: r->target = arg; return 0;
	case OPT_PATH: r->path = arg; break;
	case OPT_PATHS_FILE: r->paths_file = arg; break;
	case OPT_HOST: r->host = arg; break;
	case OPT_EXPECT_LENGTH: r->expect_length = arg; break;
	case OPT_VERIFY: o->verify_body = true; break;
	case OPT_JSON: o->json = true; return 0;
	case OPT_READY: o->ready_file = arg; return 0;
	case OPT_LOG_LEVEL: o->log_level = arg; return 0;
	case OPT_LINGER:
		if (parse_seconds(arg, 0, MAX_SECONDS, &o->linger_s) != 0)
			return fail(err, errlen, "--linger: \"%s\" is not a "
				    "number of seconds in [0, %.0f]", arg,
				    MAX_SECONDS);
		return 0;
	default:
		if (c == OPT_CONNECTIONS)
			r->set_connections = true;
		r->set_client_opt = true;
		return opt_number(o, c, arg, err, errlen);
	}
	r->set_client_opt = true;
	return 0;
}

/* Expected body lengths: --expect-length, else what /bytes/N promises. */
static int
set_expectations(struct load_opts *o, const char *arg, char *err,
		 size_t errlen)
{
	int64_t all = -2;       /* -2: per path */
	uint64_t v;

	if (arg != NULL && strcmp(arg, "any") == 0)
		all = LOAD_EXPECT_ANY;
	else if (arg != NULL) {
		if (parse_u64(arg, 0, BULK_MAX, &v) != 0)
			return fail(err, errlen, "--expect-length: \"%s\" is "
				    "neither a byte count nor \"any\"", arg);
		all = (int64_t)v;
	}
	for (uint32_t i = 0; i < o->n_paths; i++)
		o->paths[i].expect_len = all != -2 ? all :
			load_path_expect(o->paths[i].path);
	return 0;
}

/* Paths: exactly one source (--path, --paths-file, --bulk or "/"). */
static int
set_paths(struct load_opts *o, const struct raw_opts *r, char *err,
	  size_t errlen)
{
	char bulk[64];
	int given = (r->path != NULL) + (r->paths_file != NULL) +
		    (o->bulk_bytes != 0);

	if (given > 1)
		return fail(err, errlen, "--path, --paths-file and --bulk "
			    "exclude each other");
	if (r->paths_file != NULL)
		return read_paths_file(o, r->paths_file, err, errlen);
	if (o->bulk_bytes != 0) {
		snprintf(bulk, sizeof(bulk), "/bytes/%" PRIu64, o->bulk_bytes);
		return add_path(o, bulk, err, errlen, "--bulk");
	}
	return add_path(o, r->path ? r->path : "/", err, errlen, "--path");
}

static int
finish(struct load_opts *o, const struct raw_opts *r, char *err, size_t errlen)
{
	char ip[16];

	if (o->config == NULL)
		return fail(err, errlen, "--config FILE is required");
	if (r->target == NULL) {
		if (r->set_client_opt)
			return fail(err, errlen, "client options need "
				    "--target ADDR:PORT");
		o->duration_s = 0;      /* serve until a signal */
		return 0;
	}
	if (load_parse_target(r->target, &o->target_addr, &o->target_port))
		return fail(err, errlen, "--target: \"%s\" is not ADDR:PORT "
			    "(IPv4 address, port 1..65535)", r->target);
	o->have_target = true;
	if (o->bulk_bytes != 0 && !r->set_connections)
		o->connections = 1;
	if (r->host != NULL && !host_valid(r->host))
		return fail(err, errlen, "--host: \"%.80s\" is not a host "
			    "(visible ASCII, no spaces, 1..%d bytes)", r->host,
			    LOAD_HOST_MAX - 1);
	if (r->host != NULL)
		snprintf(o->host, sizeof(o->host), "%s", r->host);
	else if (o->target_port == 80)
		snprintf(o->host, sizeof(o->host), "%s",
			 dpx_ipv4_str(o->target_addr, ip, sizeof(ip)));
	else
		snprintf(o->host, sizeof(o->host), "%s:%u",
			 dpx_ipv4_str(o->target_addr, ip, sizeof(ip)),
			 o->target_port);
	if (set_paths(o, r, err, errlen) != 0)
		return -1;
	return set_expectations(o, r->expect_length, err, errlen);
}

static void
defaults(struct load_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connections = DEFAULT_CONNECTIONS;
	o->duration_s = DEFAULT_DURATION_S;
	o->warmup_s = DEFAULT_WARMUP_S;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->expect_status = 200;
}

int
load_opts_parse(struct load_opts *o, int argc, char **argv, char *err,
		size_t errlen)
{
	struct raw_opts r;
	int c;

	defaults(o);
	memset(&r, 0, sizeof(r));
	optind = 0;             /* GNU: full re-initialisation (tests parse twice) */
	opterr = 0;             /* our own messages */
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			load_opts_usage(stdout);
			return 1;
		}
		if (c == '?') {
			/* optopt is the option's value when its argument
			 * is missing, 0 for an unknown option. */
			const char *bad = argv[optind - 1];

			if (optopt != 0 && strchr(bad, '=') != NULL)
				return fail(err, errlen, "option \"%s\" takes "
					    "no value", bad);
			if (optopt != 0)
				return fail(err, errlen, "option \"%s\" needs "
					    "a value", bad);
			return fail(err, errlen, "unknown option \"%s\"", bad);
		}
		if (opt_one(o, &r, c, optarg, err, errlen) != 0)
			return -1;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument \"%s\"",
			    argv[optind]);
	return finish(o, &r, err, errlen);
}

void
load_opts_free(struct load_opts *o)
{
	free(o->paths);
	o->paths = NULL;
	o->n_paths = 0;
}
