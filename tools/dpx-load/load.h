/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx-load: an HTTP/1.1 load generator on dpx's own stack (lib/net,
 * lib/tcp, lib/http), and the static backends (lib/svc) of the dpx under
 * test, in one process. The tool's parts:
 *
 *  - options (opts.c): the command line after "--", checked completely
 *    before EAL starts; plain C, unit-tested;
 *  - histogram (hist.c): log-linear latency buckets, at most 1/128
 *    relative error; plain C, unit-tested;
 *  - generator (gen.c): the client connections of one worker, their
 *    requests, response framing and validation, timeouts, counters;
 *  - report (report.c): text, JSON and the "LOAD key=value" line;
 *  - main.c: EAL, config, ports, the worker loop, phases, signals.
 *
 * Ownership: struct load_opts owns its paths (load_opts_free). Each worker
 * owns its generator and counters; the main lcore reads them only after
 * the worker has returned.
 */
#ifndef DPX_LOAD_H
#define DPX_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dpx_core.h"

#define LOAD_MAX_CONNECTIONS 100000
#define LOAD_MAX_PATHS 4096
#define LOAD_PATH_MAX 1024      /* bytes of a path, with its NUL */
#define LOAD_HOST_MAX 256
#define LOAD_EXPECT_ANY (-1)    /* any body length passes */

/* ---- histogram ---------------------------------------------------------- */

/* Log-linear buckets: values below 2^SUB_BITS exactly, above that 2^SUB_BITS
 * buckets per power of two, so a bucket's width is at most 1/128 of its
 * lower bound. The whole uint64_t range is covered; nothing saturates. */
#define LOAD_HIST_SUB_BITS 7
#define LOAD_HIST_SUB (1u << LOAD_HIST_SUB_BITS)
#define LOAD_HIST_BUCKETS ((64 - LOAD_HIST_SUB_BITS + 1) * LOAD_HIST_SUB)

struct load_hist {
	uint64_t count;
	uint64_t min;           /* UINT64_MAX while empty */
	uint64_t max;
	double sum;             /* double: cycles times requests may pass 2^64 */
	uint64_t buckets[LOAD_HIST_BUCKETS];
};

void load_hist_reset(struct load_hist *h);
unsigned int load_hist_index(uint64_t v);
/* Smallest and largest value that land in bucket idx. */
uint64_t load_hist_bucket_lo(unsigned int idx);
uint64_t load_hist_bucket_hi(unsigned int idx);
void load_hist_add(struct load_hist *h, uint64_t v);
void load_hist_merge(struct load_hist *dst, const struct load_hist *src);
/*
 * The q-quantile (0 <= q <= 1) by nearest rank: the smallest recorded value
 * with at least ceil(q * count) values at or below it, reported as the upper
 * bound of its bucket (never below the true value, at most 1/128 above it),
 * clamped to [min, max]. 0 when empty.
 */
uint64_t load_hist_quantile(const struct load_hist *h, double q);

/* ---- options ------------------------------------------------------------ */

struct load_path {
	char path[LOAD_PATH_MAX];
	int64_t expect_len;     /* body bytes, or LOAD_EXPECT_ANY */
};

struct load_opts {
	const char *config;
	const char *ready_file;
	const char *log_level;
	bool have_target;       /* false: serve only (static listeners) */
	uint32_t target_addr;   /* host order */
	uint16_t target_port;
	uint32_t connections;
	double duration_s;      /* measured time; 0 with serve-only: until signal */
	double warmup_s;
	uint32_t reqs_per_conn; /* 0: keep-alive for ever */
	double rate;            /* requests/s over all connections; 0: closed loop */
	uint32_t timeout_ms;    /* no progress for this long: timeout */
	uint16_t expect_status;
	bool verify_body;       /* compare /bytes/N bodies with the pattern */
	bool json;
	uint64_t bulk_bytes;    /* --bulk: 0 when not given */
	double linger_s;        /* after the report: ports up, no polling */
	char host[LOAD_HOST_MAX];
	struct load_path *paths; /* owned; n_paths >= 1 with a target */
	uint32_t n_paths;
};

/*
 * Parses the options after "--" (argv[0] is a program name, skipped).
 * Returns 0, 1 when --help was asked (usage printed to stdout), or -1 with
 * a one-line message in err. On any return the caller calls
 * load_opts_free(). Reads --paths-file.
 */
int load_opts_parse(struct load_opts *o, int argc, char **argv,
		    char *err, size_t errlen);
void load_opts_free(struct load_opts *o);
void load_opts_usage(FILE *out);

/* "a.b.c.d:port" (port 1..65535); returns 0 or -1. */
int load_parse_target(const char *s, uint32_t *addr, uint16_t *port);
/* A request target: starts with '/', visible ASCII, < LOAD_PATH_MAX. */
bool load_path_valid(const char *s);
/* The body length "/bytes/N" promises, or LOAD_EXPECT_ANY. */
int64_t load_path_expect(const char *path);

/* ---- counters ----------------------------------------------------------- */

enum load_err {
	LOAD_E_CONNECT_REFUSED, /* RST to our SYN */
	LOAD_E_CONNECT_FAILED,  /* no route, no local port, SYN timeout */
	LOAD_E_TIMEOUT,         /* no progress for --timeout-ms */
	LOAD_E_RESET,           /* connection reset or lost after establishing */
	LOAD_E_CLOSED,          /* server closed before the response head ended */
	LOAD_E_BAD_STATUS,      /* status other than --expect-status */
	LOAD_E_PARSE,           /* bad head, bad chunking, bytes after a response */
	LOAD_E_SHORT_BODY,      /* fewer body bytes than expected */
	LOAD_E_LONG_BODY,       /* more body bytes than expected */
	LOAD_E_BODY_MISMATCH,   /* --verify-body: a byte differs */
	LOAD_E_BACKLOG,         /* --rate: the request queue overflowed */
	LOAD_E_MAX
};

extern const char *const load_err_names[LOAD_E_MAX];

/* Counts over the whole run (warm-up and drain too), for matching with
 * the peer's own counters: every request sent gets an answer or an error. */
struct load_totals {
	uint64_t sent, completed, errors, conn_attempts, conn_established;
};

/* What one worker counted inside the measured window. */
struct load_stats {
	uint64_t t_start, t_end;        /* TSC: the window */
	uint64_t sent;                  /* requests sent */
	uint64_t completed;             /* valid responses */
	uint64_t rsp_bytes;             /* head + body of completed responses */
	uint64_t body_bytes;            /* body of completed responses */
	uint64_t rx_bytes;              /* all response bytes received */
	uint64_t conn_attempts;
	uint64_t conn_established;
	uint64_t errors[LOAD_E_MAX];
	uint64_t loop_cycles;           /* worker loop, all passes */
	uint64_t busy_cycles;           /* passes that did some work */
	struct load_hist latency;       /* TSC cycles, queued to last byte */
	struct load_totals run;         /* filled by load_gen_stats() */
};

/* ---- generator (one per worker) ------------------------------------------ */

/* Set by the main lcore, followed by the worker at its next pass. */
enum load_phase {
	LOAD_WARMUP = 0,        /* connections and requests, nothing counted */
	LOAD_MEASURE,           /* counted */
	LOAD_DRAIN,             /* no new requests; connections close */
	LOAD_STOP,              /* the worker loop ends */
};

struct load_gen;

/* What one worker generates: its part of the connections and the rate. */
struct load_share {
	uint32_t connections;   /* >= 1 */
	double rate;            /* 0: closed loop */
	unsigned int n_workers; /* of the process: they split the port range */
};

/* Builds the generator for worker w (its net and tcp layers are up).
 * Returns NULL with a message in err. */
struct load_gen *load_gen_create(struct dpx_worker *w,
				 const struct load_opts *o,
				 const struct load_share *share,
				 char *err, size_t errlen);
/* The generator's part of one worker pass: follows the phase, opens
 * connections, issues open-loop requests. Returns work done (0: idle). */
unsigned int load_gen_tick(struct load_gen *g, struct dpx_worker *w,
			   enum load_phase phase, uint64_t now_tsc);
/* Loop accounting: cycles of one pass and whether it did any work. */
void load_gen_account(struct load_gen *g, uint64_t cycles, bool busy);
/* In LOAD_DRAIN: true once no client connection is open any more. */
bool load_gen_drained(const struct load_gen *g);
/* On the worker, after its loop: aborts what is still open (RST) and
 * cancels the generator's timers; TCP calls into it no more. */
void load_gen_stop(struct load_gen *g, struct dpx_worker *w);
const struct load_stats *load_gen_stats(struct load_gen *g);
/* After load_gen_stop(); NULL is fine. */
void load_gen_free(struct load_gen *g);

/* ---- report ------------------------------------------------------------- */

/* What the report says about the run besides the counters. */
struct load_run_info {
	uint64_t tsc_hz;
	bool interrupted;               /* stopped by a signal */
	uint64_t tcp_retransmits, tcp_rst_received, tcp_rst_sent;
	uint64_t net_drops;
};

void load_report(const struct load_opts *o, const struct load_stats *st,
		 const struct load_run_info *ri, FILE *out);

#endif /* DPX_LOAD_H */
