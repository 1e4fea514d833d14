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

struct dpx_proxy_shared;

struct dpx_stats_src {
	const struct dpx_net *net;
	struct dpx_proxy_shared *proxy;   /* NULL without proxy listeners */
	const struct dpx_worker *workers[DPX_MAX_WORKERS];
	unsigned int n_workers;
};

/* src must outlive EAL (telemetry reads it from its own thread). */
int dpx_stats_register(const struct dpx_stats_src *src);
void dpx_stats_log(const struct dpx_stats_src *src);

#endif
