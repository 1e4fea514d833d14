/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificate reload without a restart. The control plane re-reads every
 * TLS listener's files (checked as at config load), builds each worker's
 * new servers itself, and posts them to the worker through one atomic
 * pointer per worker. The worker swaps them in between two events
 * (px_tls_adopt): no lock, no wait. The servers it drops stay alive for
 * the connections opened on them (a reference each) and go with the last.
 *
 * All or nothing: one refused file and no worker gets anything.
 */
#include <stdio.h>
#include <stdlib.h>

#include "proxy_priv.h"

void
px_tls_set_free(struct px_tls_set *set)
{
	if (set == NULL)
		return;
	for (unsigned int i = 0; i < DPX_MAX_LISTENERS; i++)
		dpx_tls_server_release(set->srv[i]);
	free(set);
}

void
px_tls_adopt_slow(struct dpx_proxy_worker *pw)
{
	struct px_tls_set *set = atomic_exchange_explicit(&pw->tls_next, NULL,
							  memory_order_acquire);

	if (set == NULL)
		return;
	for (unsigned int i = 0; i < DPX_MAX_LISTENERS; i++) {
		if (set->srv[i] == NULL)
			continue;
		dpx_tls_server_release(pw->tls[i]);
		pw->tls[i] = set->srv[i];
		set->srv[i] = NULL;
	}
	pw->tls_stats.reloads_adopted++;
	free(set);
}

static bool
px_tls_listener(const struct dpx_listener_conf *ls)
{
	return ls->tls != NULL && (ls->mode == DPX_LISTEN_HTTP ||
				   ls->mode == DPX_LISTEN_TCP);
}

/* Each TLS listener's files read again; the count, or -1 with err. */
static int
px_tls_reread(struct dpx_proxy_shared *sh, struct dpx_tls_conf **confs,
	      char *err, size_t errlen)
{
	char why[DPX_TLS_FILE_LEN * 2 + 400];
	int n = 0;

	for (unsigned int i = 0; i < sh->cfg->n_listeners; i++) {
		const struct dpx_listener_conf *ls = &sh->cfg->listeners[i];

		if (!px_tls_listener(ls))
			continue;
		confs[i] = dpx_tls_conf_reload(ls->tls, why, sizeof(why));
		if (confs[i] == NULL) {
			snprintf(err, errlen, "listener %s: %s", ls->name, why);
			return -1;
		}
		n++;
	}
	return n;
}

/* One worker's servers over confs. */
static struct px_tls_set *
px_tls_build(struct dpx_proxy_shared *sh, struct dpx_proxy_worker *pw,
	     struct dpx_tls_conf **confs, char *err, size_t errlen)
{
	struct px_tls_set *set = calloc(1, sizeof(*set));
	char why[DPX_TLS_FILE_LEN + 320];

	if (set == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned int i = 0; i < sh->cfg->n_listeners; i++) {
		if (confs[i] == NULL)
			continue;
		set->srv[i] = dpx_tls_server_new(confs[i], sh->tls_keys[i],
						 &pw->tls_stats, why,
						 sizeof(why));
		if (set->srv[i] == NULL) {
			snprintf(err, errlen, "listener %s: %s",
				 sh->cfg->listeners[i].name, why);
			px_tls_set_free(set);
			return NULL;
		}
	}
	return set;
}

/* A set the worker has not taken yet is replaced: it never saw it, so
 * it is freed here (the exchange gives it to exactly one side). */
static void
px_tls_post(struct dpx_proxy_worker *pw, struct px_tls_set *set)
{
	px_tls_set_free(atomic_exchange_explicit(&pw->tls_next, set,
						 memory_order_acq_rel));
}

static int
px_tls_reload_all(struct dpx_proxy_shared *sh, char *err, size_t errlen)
{
	struct dpx_tls_conf *confs[DPX_MAX_LISTENERS] = { NULL };
	struct px_tls_set *sets[DPX_MAX_WORKERS] = { NULL };
	int n = px_tls_reread(sh, confs, err, errlen);
	unsigned int w;

	for (w = 0; n >= 0 && w < sh->n_workers; w++) {
		if (sh->workers[w] == NULL)     /* not started, or gone */
			continue;
		sets[w] = px_tls_build(sh, sh->workers[w], confs, err, errlen);
		if (sets[w] == NULL)
			n = -1;
	}
	for (unsigned int i = 0; i < DPX_MAX_LISTENERS; i++)
		dpx_tls_conf_put(confs[i]);     /* the servers hold them */
	for (w = 0; w < sh->n_workers; w++) {
		if (n < 0 || sh->workers[w] == NULL)
			px_tls_set_free(sets[w]);
		else
			px_tls_post(sh->workers[w], sets[w]);
	}
	return n;
}

int
dpx_proxy_tls_reload(struct dpx_proxy_shared *sh, unsigned int *listeners,
		     char *err, size_t errlen)
{
	int n = px_tls_reload_all(sh, err, errlen);

	if (n < 0) {
		atomic_fetch_add_explicit(&sh->tls_reload_failures, 1,
					  memory_order_relaxed);
		DPX_ERR("TLS reload refused, the current certificates stay: %s",
			err);
		return -1;
	}
	*listeners = (unsigned int)n;
	atomic_fetch_add_explicit(&sh->tls_reloads, 1, memory_order_relaxed);
	DPX_INFO("TLS certificates reloaded: %d listener(s), %u worker(s)", n,
		 sh->n_workers);
	return 0;
}

void
dpx_proxy_tls_reload_counts(const struct dpx_proxy_shared *sh,
			    uint64_t *reloads, uint64_t *failures)
{
	*reloads = atomic_load_explicit(&sh->tls_reloads, memory_order_relaxed);
	*failures = atomic_load_explicit(&sh->tls_reload_failures,
					 memory_order_relaxed);
}
