/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-plane view of the workers' counters: sums them on read for the
 * telemetry commands /dpx/stats and /dpx/worker_stats,N, and logs a
 * summary at exit. Workers never wait for it.
 */
#ifndef DPX_APP_STATS_H
#define DPX_APP_STATS_H

#include "dpx_core.h"
#include "dpx_net.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct dpx_proxy_shared;
struct rte_tel_data;

/*
 * A certificate reload asked for by a telemetry client. Telemetry runs
 * on its own threads; the reload needs the control plane, so the asker
 * posts it here and the main loop carries it out (dpx_reload_serve),
 * while the asker waits, bounded, for done to reach its number.
 */
struct dpx_reload_req {
	pthread_mutex_t lock;             /* one asker at a time */
	atomic_uint asked;                /* bumped by the asker */
	atomic_uint done;                 /* = asked once carried out */
	/* Written by the main loop before done, read after it: */
	int rc;
	unsigned int listeners;
	char err[1024];
};

struct dpx_stats_src {
	const struct dpx_net *net;
	struct dpx_proxy_shared *proxy;   /* NULL without proxy listeners */
	const struct dpx_worker *workers[DPX_MAX_WORKERS];
	unsigned int n_workers;
	struct dpx_reload_req *reload;
};

/* A counter of a module's per-worker struct (all uint64_t): its
 * telemetry key and offset. */
struct tel_field {
	const char *name;
	size_t off;
};
#define TEL_FIELD(type, member) { #member, offsetof(type, member) }

/* Bytes a tel_counters_fn may use in scratch. */
#define TEL_SCRATCH 256
/* Worker w's struct that a field table indexes, or NULL when w has none.
 * ctx: what the command picked (a pool's server...), else NULL; scratch:
 * room for a module that copies its counters out. */
typedef const void *tel_counters_fn(const struct dpx_worker *w,
				    const void *ctx, void *scratch);

struct tel_counters {
	const struct tel_field *fields;
	size_t n_fields;
	tel_counters_fn *get;
};
#define TEL_COUNTERS(fields, get) { fields, RTE_DIM(fields), get }

/* Adds to d (a dict begun) each field as "PREFIXname" (prefix NULL: none)
 * summed over the workers that have the struct, all of them or only the
 * one numbered only (>= 0). Returns how many workers had it. */
unsigned int tel_sum_fields(struct rte_tel_data *d, const char *prefix,
			    const struct dpx_stats_src *src, long only,
			    const struct tel_counters *tc, const void *ctx);
/* Adds to d each field of one struct s, keys as tel_sum_fields's. */
void tel_add_fields(struct rte_tel_data *d, const char *prefix,
		    const struct tel_field *fields, size_t n, const void *s);

/* src must outlive EAL (telemetry reads it from its own thread). */
int dpx_stats_register(const struct dpx_stats_src *src);
void dpx_stats_log(const struct dpx_stats_src *src);
/* Main loop: carries out a reload a telemetry client asked for. */
void dpx_reload_serve(struct dpx_reload_req *r, struct dpx_proxy_shared *sh);

/* stats_auth.c: /dpx/auth_stats and /dpx/auth_reload. */
int dpx_stats_auth_register(const struct dpx_stats_src *src);
/* Reads the users files of the authenticators again (name NULL or "":
 * all; else that one): 0 with *n reloaded, or -1 with err and the old
 * tables kept (from the failing one on). Waits, up to 2 s each, until
 * the verifiers use the new tables. Any control-plane thread. */
int dpx_auth_reload_all(struct dpx_proxy_shared *sh, const char *name,
			unsigned int *n, char *err, size_t errlen);

#endif
