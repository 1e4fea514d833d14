/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry of proxy authentication: /dpx/auth_stats[,NAME] sums lib/auth's
 * counters over the workers (and over the authenticators unless one is
 * named); /dpx/auth_reload[,NAME] reads the users files again. Control
 * plane only: workers never wait for it.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "dpx_auth.h"
#include "dpx_proxy.h"
#include "stats.h"

#define AUTH_ADOPT_WAIT_MS 2000

/* Telemetry callbacks take no user pointer: the registered source. */
static const struct dpx_stats_src *auth_src;
/* Reloads come from telemetry threads and SIGHUP: one at a time. */
static pthread_mutex_t auth_reload_lock = PTHREAD_MUTEX_INITIALIZER;

#define AUTH_STAT(name) TEL_FIELD(struct dpx_auth_counters, name)
static const struct tel_field auth_stat_fields[] = {
	AUTH_STAT(ok), AUTH_STAT(cache_hits), AUTH_STAT(verifications),
	AUTH_STAT(bad_password), AUTH_STAT(unknown_user), AUTH_STAT(denied),
	AUTH_STAT(missing), AUTH_STAT(rate_limited), AUTH_STAT(queue_full),
	AUTH_STAT(requeued), AUTH_STAT(cache_evictions),
};

/* The authenticators a request names: all (name NULL or "") or one. */
static bool
auth_selected(struct dpx_auth *a, const char *name)
{
	return a != NULL && (name == NULL || name[0] == '\0' ||
			     strcmp(dpx_auth_get_conf(a)->name, name) == 0);
}

static unsigned int
auth_sum(const char *name, struct dpx_auth_counters *sum, uint64_t *crypts)
{
	unsigned int n = 0;

	memset(sum, 0, sizeof(*sum));
	*crypts = 0;
	for (unsigned int i = 0; i < DPX_AUTH_MAX; i++) {
		struct dpx_auth *a = dpx_proxy_auth(auth_src->proxy, i);

		if (!auth_selected(a, name))
			continue;
		n++;
		*crypts += dpx_auth_crypt_calls(a);
		for (unsigned int w = 0; w < auth_src->n_workers; w++)
			dpx_auth_counters_add(sum, dpx_auth_worker(a, w));
	}
	return n;
}

static int
tel_auth_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpx_auth_counters sum;
	uint64_t crypts, malformed = 0, parked = 0, abandoned = 0;
	char key[48];

	(void)cmd;
	if (auth_sum(params, &sum, &crypts) == 0)
		return -1;
	rte_tel_data_start_dict(d);
	tel_add_fields(d, NULL, auth_stat_fields, RTE_DIM(auth_stat_fields),
		       &sum);
	for (int r = 1; r < DPX_AUTH_PARSE_COUNT; r++) {
		malformed += sum.malformed[r];
		snprintf(key, sizeof(key), "malformed_%s",
			 dpx_auth_parse_name((enum dpx_auth_parse)r));
		rte_tel_data_add_dict_u64(d, key, sum.malformed[r]);
	}
	rte_tel_data_add_dict_u64(d, "malformed", malformed);
	rte_tel_data_add_dict_u64(d, "crypt_calls", crypts);
	/* the proxy's side, over every authenticator */
	for (unsigned int w = 0; w < auth_src->n_workers; w++) {
		uint64_t p, a;

		dpx_proxy_worker_auth_waits(auth_src->workers[w], &p, &a);
		parked += p;
		abandoned += a;
	}
	rte_tel_data_add_dict_u64(d, "parked", parked);
	rte_tel_data_add_dict_u64(d, "abandoned", abandoned);
	return 0;
}

/* The verifier takes a new table between two checks: waits (bounded)
 * until it has, so that a reload answered ok is in effect for the next
 * request. */
static void
auth_wait_adopted(const struct dpx_auth *a, uint64_t before)
{
	struct timespec ms = { 0, 1000 * 1000 };

	for (int i = 0; i < AUTH_ADOPT_WAIT_MS; i++) {
		if (dpx_auth_generation(a) != before)
			return;
		nanosleep(&ms, NULL);
	}
	DPX_WARN("auth %s: the verifier has not taken the new users yet "
		 "(busy hashing?); it will", dpx_auth_get_conf(a)->name);
}

int
dpx_auth_reload_all(struct dpx_proxy_shared *sh, const char *name,
		    unsigned int *n, char *err, size_t errlen)
{
	int rc = 0;

	*n = 0;
	err[0] = '\0';
	pthread_mutex_lock(&auth_reload_lock);
	for (unsigned int i = 0; i < DPX_AUTH_MAX && rc == 0; i++) {
		struct dpx_auth *a = dpx_proxy_auth(sh, i);
		uint64_t before;

		if (!auth_selected(a, name))
			continue;
		before = dpx_auth_generation(a);
		rc = dpx_auth_reload(a, err, errlen);
		if (rc == 0) {
			auth_wait_adopted(a, before);
			(*n)++;
		}
	}
	pthread_mutex_unlock(&auth_reload_lock);
	if (rc != 0)
		DPX_WARN("auth reload refused, the old users stay: %s", err);
	else if (*n > 0)
		DPX_INFO("auth: %u users file(s) read again", *n);
	return rc;
}

/* Telemetry strings are short: a file by its base name. */
static const char *
brief_error(const char *err)
{
	const char *colon = strchr(err, ':');
	const char *slash = NULL;

	for (const char *p = err; colon != NULL && p < colon; p++)
		if (*p == '/')
			slash = p;
	return slash != NULL ? slash + 1 : err;
}

static int
tel_auth_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char err[512], brief[RTE_TEL_MAX_STRING_LEN];
	struct dpx_auth_counters sum;
	unsigned int n;
	uint64_t crypts;

	(void)cmd;
	if (auth_sum(params, &sum, &crypts) == 0)
		return -1;
	rte_tel_data_start_dict(d);
	if (dpx_auth_reload_all(auth_src->proxy, params, &n, err,
				sizeof(err)) != 0) {
		snprintf(brief, sizeof(brief), "%.*s", (int)sizeof(brief) - 1,
			 brief_error(err));
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", brief);
		return 0;
	}
	rte_tel_data_add_dict_string(d, "status", "ok");
	rte_tel_data_add_dict_u64(d, "reloaded", n);
	return 0;
}

int
dpx_stats_auth_register(const struct dpx_stats_src *src)
{
	auth_src = src;
	if (rte_telemetry_register_cmd("/dpx/auth_stats", tel_auth_stats,
			"Proxy authentication counters, all authenticators or one. Parameters: [string auth]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/auth_reload", tel_auth_reload,
			"Reads the users files again (a bad file keeps the old users). Parameters: [string auth]") != 0)
		return -1;
	return 0;
}
