/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy set-up on each worker, and the control plane's side: server
 * health (rise/fall from probe results, outlier ejection from passive
 * failures, slow start), the snapshot it publishes to workers through
 * RCU, and the access log it writes from the workers' rings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "proxy_priv.h"

#define PX_SLOW_START_STEP_MS 100   /* re-publish period while ramping */
#define PX_WEIGHT_SCALE 100         /* effective weight units per weight */

static bool
px_has_proxy(const struct dpx_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_listeners; i++)
		if (cfg->listeners[i].mode == DPX_LISTEN_HTTP ||
		    cfg->listeners[i].mode == DPX_LISTEN_TCP ||
		    cfg->listeners[i].mode == DPX_LISTEN_FORWARD)
			return true;
	return cfg->n_pools > 0;
}

/* Effective weight of a server now: 0 while down or ejected. */
static uint32_t
px_weight(const struct dpx_proxy_shared *sh, unsigned int p, unsigned int s,
	  uint64_t now)
{
	const struct dpx_pool_conf *pc = &sh->cfg->pools[p];
	const struct px_server_health *h = &sh->health[p][s];

	if (!h->active.up || h->ejected_until > now)
		return 0;
	/* Scaled so that slow start can ramp even a weight of 1; every
	 * algorithm only compares weights relative to each other. */
	return dpx_lb_slow_start_weight(pc->servers[s].weight * PX_WEIGHT_SCALE,
					now - h->up_since, pc->slow_start_ms);
}

static struct px_snapshot *
px_snapshot_build(struct dpx_proxy_shared *sh, uint64_t now, bool *ramping)
{
	struct px_snapshot *snap = calloc(1, sizeof(*snap));

	*ramping = false;
	if (snap == NULL)
		return NULL;
	for (unsigned int p = 0; p < sh->cfg->n_pools; p++) {
		const struct dpx_pool_conf *pc = &sh->cfg->pools[p];
		uint32_t weights[DPX_MAX_SERVERS];

		for (unsigned int s = 0; s < pc->n_servers; s++) {
			struct px_server_health *h = &sh->health[p][s];

			weights[s] = px_weight(sh, p, s, now);
			h->last_weight = weights[s];
			if (weights[s] != 0 &&
			    weights[s] < pc->servers[s].weight * PX_WEIGHT_SCALE)
				*ramping = true;
			snap->state[p][s] = !h->active.up ? PX_SRV_DOWN :
					    h->ejected_until > now ?
					    PX_SRV_EJECTED : PX_SRV_UP;
		}
		snap->view[p] = dpx_lb_view_build(pc, weights);
		if (snap->view[p] == NULL) {
			for (unsigned int q = 0; q < p; q++)
				dpx_lb_view_free(snap->view[q]);
			free(snap);
			return NULL;
		}
	}
	return snap;
}

static void
px_snapshot_free(struct px_snapshot *snap)
{
	if (snap == NULL)
		return;
	for (unsigned int p = 0; p < DPX_MAX_POOLS; p++)
		dpx_lb_view_free(snap->view[p]);
	free(snap);
}

/* Swaps in a new snapshot; the old one is freed after every worker
 * passed a quiescent state. Blocks the control plane briefly. */
static int
px_publish(struct dpx_proxy_shared *sh, uint64_t now)
{
	bool ramping;
	struct px_snapshot *snap = px_snapshot_build(sh, now, &ramping);
	struct px_snapshot *old;

	if (snap == NULL)
		return -ENOMEM;
	old = atomic_exchange_explicit(&sh->snap, snap, memory_order_acq_rel);
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(sh->qsbr, RTE_QSBR_THRID_INVALID);
		px_snapshot_free(old);
	}
	sh->last_publish = now;
	sh->dirty = false;
	sh->ramping = ramping;
	return 0;
}

/* The store of the "cache" section, shared by every worker. */
static int
px_cache_create(struct dpx_proxy_shared *sh)
{
	const struct dpx_cache_section *cs = sh->cfg->cache;
	struct dpx_cache_conf cc;

	dpx_cache_conf_defaults(&cc);
	cc.name = "dpxc";
	cc.policy = cs->policy;
	cc.budget_bytes = cs->size_bytes;
	cc.max_object_bytes = cs->max_object_bytes;
	cc.max_entries = (uint32_t)RTE_MAX(cs->size_bytes / 4096, 1024ul);
	cc.qsbr = sh->qsbr;
	cc.n_threads = sh->n_workers + 1;
	sh->cache = dpx_cache_create(&cc);
	if (sh->cache == NULL) {
		DPX_ERR("cache: cannot create the store (%s)",
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

struct dpx_proxy_shared *
dpx_proxy_shared_create(const struct dpx_config *cfg, unsigned int n_workers)
{
	struct dpx_proxy_shared *sh;
	size_t qsz;

	if (!px_has_proxy(cfg))
		return NULL;
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return NULL;
	sh->cfg = cfg;
	sh->n_workers = n_workers;
	sh->ip_conns = calloc(PX_IP_SLOTS, sizeof(*sh->ip_conns));
	/* One id more than workers: the control plane's in the cache's
	 * calls (it never registers, so grace periods never wait for it). */
	qsz = rte_rcu_qsbr_get_memsize(n_workers + 1);
	sh->qsbr = rte_zmalloc("dpx_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (sh->ip_conns == NULL || sh->qsbr == NULL ||
	    rte_rcu_qsbr_init(sh->qsbr, n_workers + 1) != 0)
		goto fail;
	for (unsigned int i = 0; i < n_workers; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "dpx_ev_%u", i);
		sh->events[i] = rte_ring_create(name, PX_EVENT_RING,
						SOCKET_ID_ANY,
						RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "dpx_log_%u", i);
		sh->logs[i] = rte_ring_create_elem(name,
				sizeof(struct px_log_rec), PX_LOG_RING,
				SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (sh->events[i] == NULL || sh->logs[i] == NULL)
			goto fail;
	}
	for (unsigned int p = 0; p < cfg->n_pools; p++)
		for (unsigned int s = 0; s < cfg->pools[p].n_servers; s++)
			dpx_health_init(&sh->health[p][s].active);
	if (px_publish(sh, 0) != 0)
		goto fail;
	for (unsigned int i = 0; i < cfg->n_listeners; i++) {
		char err[320];

		if (cfg->listeners[i].tls == NULL)
			continue;
		sh->tls_keys[i] = dpx_tls_keys_open(cfg->listeners[i].tls, err,
						    sizeof(err));
		if (sh->tls_keys[i] == NULL) {
			DPX_ERR("listener %s: ticket keys: %s",
				cfg->listeners[i].name, err);
			goto fail;
		}
	}
	if (cfg->cache != NULL && px_cache_create(sh) != 0)
		goto fail;
	if (px_auth_create(sh) != 0 || px_acl_shared_init(sh) != 0)
		goto fail;
	sh->log = stdout;
	return sh;
fail:
	DPX_ERR("proxy: cannot allocate shared state: %s",
		rte_strerror(rte_errno));
	dpx_proxy_shared_free(sh);
	return NULL;
}

void
dpx_proxy_shared_free(struct dpx_proxy_shared *sh)
{
	if (sh == NULL)
		return;
	for (unsigned int i = 0; i < DPX_MAX_WORKERS; i++) {
		rte_ring_free(sh->events[i]);
		rte_ring_free(sh->logs[i]);
	}
	px_auth_destroy(sh);
	px_snapshot_free(atomic_load(&sh->snap));
	for (unsigned int i = 0; i < DPX_MAX_LISTENERS; i++)
		dpx_tls_keys_free(sh->tls_keys[i]);
	dpx_cache_free(sh->cache);
	px_acl_shared_fini(sh);
	rte_free(sh->qsbr);
	free(sh->ip_conns);
	if (sh->log_owned)
		fclose(sh->log);
	free(sh);
}

int
dpx_proxy_open_log(struct dpx_proxy_shared *sh)
{
	const char *path = sh->cfg->access_log.path;

	if (path[0] == '\0')
		return 0;
	sh->log = fopen(path, "a");
	if (sh->log == NULL) {
		sh->log = stdout;
		DPX_ERR("cannot open access log %s: %s", path, strerror(errno));
		return -errno;
	}
	sh->log_owned = true;
	return 0;
}

const char *
dpx_proxy_server_state(struct dpx_proxy_shared *sh, unsigned int pool,
		       unsigned int server)
{
	static const char *const names[] = { "up", "down", "ejected" };
	const struct px_snapshot *snap = atomic_load(&sh->snap);

	return names[snap->state[pool][server] % 3];
}

/* One event from a worker: changes health, marks the snapshot dirty. */
static void
px_health_event(struct dpx_proxy_shared *sh, uintptr_t ev, uint64_t now)
{
	unsigned int type = (unsigned int)(ev >> 16);
	unsigned int p = (ev >> 8) & 0xff, s = ev & 0xff;
	const struct dpx_pool_conf *pc;
	struct px_server_health *h;

	if (p >= sh->cfg->n_pools || s >= sh->cfg->pools[p].n_servers)
		return;
	pc = &sh->cfg->pools[p];
	h = &sh->health[p][s];
	switch (type) {
	case PX_EV_PROBE_PASS:
	case PX_EV_PROBE_FAIL:
		if (dpx_health_record(&h->active, type == PX_EV_PROBE_PASS,
				      pc->health.rise, pc->health.fall)) {
			DPX_WARN("pool %s: server %s is %s (active check)",
				 pc->name, pc->servers[s].name,
				 h->active.up ? "up" : "down");
			if (h->active.up) {
				h->up_since = now;
				h->passive_fails = 0;
			}
			sh->dirty = true;
		}
		break;
	case PX_EV_PASSIVE_OK:
		h->passive_fails = 0;
		break;
	case PX_EV_PASSIVE_FAIL:
		if (pc->max_fails == 0 || h->ejected_until > now)
			break;
		if (++h->passive_fails >= pc->max_fails) {
			h->passive_fails = 0;
			h->ejected_until = now + pc->eject_ms;
			DPX_WARN("pool %s: server %s ejected for %u ms after "
				 "%u consecutive failures", pc->name,
				 pc->servers[s].name, pc->eject_ms,
				 pc->max_fails);
			sh->dirty = true;
		}
		break;
	}
}

/* Ejections that ran out bring their server back (with slow start). */
static void
px_ejections_expire(struct dpx_proxy_shared *sh, uint64_t now)
{
	for (unsigned int p = 0; p < sh->cfg->n_pools; p++)
		for (unsigned int s = 0; s < sh->cfg->pools[p].n_servers; s++) {
			struct px_server_health *h = &sh->health[p][s];

			if (h->ejected_until != 0 && h->ejected_until <= now) {
				h->ejected_until = 0;
				h->up_since = now;
				sh->dirty = true;
			}
		}
}

/* A user name as one log field: "-" when none; spaces, quotes and
 * bytes outside printable ASCII as '?', so that a line stays a line. */
static const char *
px_log_user(const char *name, char *out)
{
	size_t i;

	if (name[0] == '\0')
		return "-";
	for (i = 0; name[i] != '\0' && i < DPX_AUTH_USER_MAX; i++)
		out[i] = name[i] > ' ' && name[i] < 0x7f && name[i] != '"' ?
			 name[i] : '?';
	out[i] = '\0';
	return out;
}

static void
px_write_log(struct dpx_proxy_shared *sh, const struct px_log_rec *r)
{
	const struct dpx_config *cfg = sh->cfg;
	char ca[16], sa[32] = "-", eg[16] = "-";
	const char *pool = "-";
	char user[DPX_AUTH_USER_MAX + 1];

	if (r->pool >= 0 && (unsigned int)r->pool < cfg->n_pools) {
		pool = cfg->pools[r->pool].name;
		if (r->server >= 0)
			snprintf(sa, sizeof(sa), "%s",
				 cfg->pools[r->pool].servers[r->server].name);
	}
	if (r->fwd) {
		/* the origin's address; the name as asked at the end, the
		 * user ("-": none), the ACL rule that decided ("-": none),
		 * then the egress address ("-": the route's own, no
		 * "egress" on the listener) */
		snprintf(sa, sizeof(sa), "%s:%u", r->daddr ?
			 dpx_ipv4_str(r->daddr, ca, sizeof(ca)) : "-",
			 r->dport);
		if (r->egress != 0)
			dpx_ipv4_str(r->egress, eg, sizeof(eg));
	}
	fprintf(sh->log, "%s:%u %s \"%s %s\" %u %" PRIu64 " %" PRIu64
		" %s %s %u %u %s %s %s%s%s%s%s%s%s%s%s%s%s\n",
		dpx_ipv4_str(r->caddr, ca, sizeof(ca)),
		r->cport, cfg->listeners[r->listener].name,
		r->method[0] ? r->method : "-", r->path[0] ? r->path : "-",
		r->status, r->bytes_in, r->bytes_out, pool, sa,
		r->t_total_ms, r->t_server_ms,
		r->tls_version[0] ? r->tls_version : "-",
		r->tls_cipher[0] ? r->tls_cipher : "-",
		r->tls_sni[0] ? r->tls_sni : "-",
		r->fwd ? " " : "", r->fwd ? r->dest : "",
		r->fwd ? " " : "", r->fwd ? px_log_user(r->user, user) : "",
		r->fwd ? " " : "",
		r->fwd ? (r->rule[0] ? r->rule : "-") : "",
		r->fwd ? " " : "", r->fwd ? eg : "",
		/* last, also after a forward listener's fields */
		r->cache ? " " : "",
		r->cache ? px_cache_status_name(r->cache) : "");
}

/* Ticket keys: a new one every ticket_rotate_s, or the file again. */
static void
px_tls_keys_tick(struct dpx_proxy_shared *sh, uint64_t now_ms)
{
	for (unsigned int i = 0; i < sh->cfg->n_listeners; i++) {
		char err[320];

		if (sh->tls_keys[i] != NULL &&
		    dpx_tls_keys_tick(sh->tls_keys[i], now_ms, err,
				      sizeof(err)) != 0)
			DPX_WARN("listener %s: ticket keys not rotated, the "
				 "current ones stay: %s",
				 sh->cfg->listeners[i].name, err);
	}
}

void
dpx_proxy_control_tick(struct dpx_proxy_shared *sh, uint64_t now_ms)
{
	struct px_log_rec rec;
	bool logged = false;

	px_tls_keys_tick(sh, now_ms);
	if (sh->cache != NULL)
		dpx_cache_reclaim(sh->cache, 1024);

	for (unsigned int i = 0; i < sh->n_workers; i++) {
		void *ev;

		while (rte_ring_sc_dequeue(sh->events[i], &ev) == 0)
			px_health_event(sh, (uintptr_t)ev, now_ms);
		while (rte_ring_sc_dequeue_elem(sh->logs[i], &rec,
						sizeof(rec)) == 0) {
			px_write_log(sh, &rec);
			logged = true;
		}
	}
	if (logged)
		fflush(sh->log);
	px_ejections_expire(sh, now_ms);
	if (sh->dirty || (sh->ramping &&
			  now_ms - sh->last_publish >= PX_SLOW_START_STEP_MS))
		px_publish(sh, now_ms);
}

static int
px_worker_pools(struct dpx_worker *w, struct dpx_proxy_worker *pw)
{
	const struct dpx_config *cfg = w->cfg;
	unsigned int n = pw->sh->n_workers;

	TAILQ_INIT(&pw->tls_kick);
	TAILQ_INIT(&pw->srv_kick);
	for (unsigned int p = 0; p < cfg->n_pools; p++) {
		const struct dpx_pool_conf *pc = &cfg->pools[p];
		struct px_pool_worker *pp = &pw->pools[p];
		char err[768];

		if (pc->tls != NULL) {
			pw->tls_cli[p] = dpx_tls_client_new(pc->tls,
					&pw->tls_origin_stats, err, sizeof(err));
			if (pw->tls_cli[p] == NULL) {
				DPX_ERR("pool %s: TLS: %s", pc->name, err);
				return -EINVAL;
			}
		}
		dpx_lb_state_init(&pp->lb, 0x9e3779b97f4a7c15ull * (w->index + 1)
				  + p);
		for (unsigned int s = 0; s < DPX_MAX_SERVERS; s++)
			TAILQ_INIT(&pp->idle[s]);
		TAILQ_INIT(&pp->queue);
		/* Limits are per process; each worker takes its share. */
		pp->limit = 0;
		for (unsigned int s = 0; s < pc->n_servers; s++)
			if (pc->servers[s].max_connections)
				pp->limit = (pc->servers[s].max_connections +
					     n - 1) / n;
		pp->queue_max = (pc->queue_max + n - 1) / n;
	}
	return 0;
}

static uint32_t
px_hbuf_size(const struct dpx_config *cfg)
{
	uint32_t size = 16384;

	for (unsigned int i = 0; i < cfg->n_listeners; i++)
		if (cfg->listeners[i].mode == DPX_LISTEN_HTTP ||
		    cfg->listeners[i].mode == DPX_LISTEN_FORWARD)
			size = RTE_MAX(size, cfg->listeners[i].http.max_head);
	return size;
}

static bool
px_has_forward(const struct dpx_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_listeners; i++)
		if (cfg->listeners[i].forward != NULL)
			return true;
	return false;
}

static int
px_worker_alloc(struct dpx_worker *w, struct dpx_proxy_shared *sh)
{
	const struct dpx_config *cfg = w->cfg;
	int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
	uint32_t hsize = px_hbuf_size(cfg);
	uint32_t nconn = RTE_MAX(cfg->tcp.max_connections, 64u);
	struct dpx_proxy_worker *pw;
	char name[RTE_MEMPOOL_NAMESIZE];

	pw = rte_zmalloc_socket("dpx_proxy", sizeof(*pw) + hsize + 4096,
				RTE_CACHE_LINE_SIZE, socket);
	if (pw == NULL)
		return -ENOMEM;
	w->proxy = pw;
	pw->sh = sh;
	pw->hbuf_size = hsize;
	snprintf(name, sizeof(name), "dpx_pxs_%u", w->index);
	pw->sessions = rte_mempool_create(name, nconn,
			sizeof(struct px_session), 0, 0, NULL, NULL, NULL,
			NULL, socket, RTE_MEMPOOL_F_SP_PUT |
			RTE_MEMPOOL_F_SC_GET);
	snprintf(name, sizeof(name), "dpx_pxc_%u", w->index);
	pw->srvs = rte_mempool_create(name, nconn, sizeof(struct px_srv), 0,
			0, NULL, NULL, NULL, NULL, socket,
			RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	snprintf(name, sizeof(name), "dpx_pxh_%u", w->index);
	pw->hbufs = rte_mempool_create(name, PX_HBUF_COUNT, hsize, 0, 0,
			NULL, NULL, NULL, NULL, socket,
			RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	if (px_has_forward(cfg)) {
		snprintf(name, sizeof(name), "dpx_pxf_%u", w->index);
		pw->fwd_hosts = rte_mempool_create(name, nconn,
				sizeof(struct px_fwd_names),
				0, 0, NULL, NULL, NULL, NULL, socket,
				RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	}
	if (pw->sessions == NULL || pw->srvs == NULL || pw->hbufs == NULL ||
	    (pw->fwd_hosts == NULL && px_has_forward(cfg))) {
		DPX_ERR("worker %u: cannot allocate proxy pools (%u "
			"connections): %s", w->index, nconn,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (px_worker_pools(w, pw) != 0)
		return -EINVAL;
	if (px_auth_worker_init(w) != 0)
		return -ENOMEM;
	if (px_acl_worker_init(w) != 0) {
		DPX_ERR("worker %u: cannot allocate ACL state", w->index);
		return -ENOMEM;
	}
	if (px_dns_worker_init(w, px_has_forward(cfg)) != 0)
		return -ENOMEM;
	return px_cache_worker_init(w);
}

int
dpx_proxy_worker_start(struct dpx_worker *w, struct dpx_proxy_shared *sh)
{
	const struct dpx_config *cfg = w->cfg;
	int rc;

	if (sh == NULL)
		return 0;
	rc = px_worker_alloc(w, sh);
	if (rc != 0)
		return rc;
	if (rte_rcu_qsbr_thread_register(sh->qsbr, w->index) != 0)
		return -EINVAL;
	rte_rcu_qsbr_thread_online(sh->qsbr, w->index);
	sh->workers[w->index] = w->proxy;
	for (unsigned int i = 0; i < cfg->n_listeners; i++) {
		const struct dpx_listener_conf *ls = &cfg->listeners[i];

		if (ls->mode != DPX_LISTEN_HTTP && ls->mode != DPX_LISTEN_TCP &&
		    ls->mode != DPX_LISTEN_FORWARD)
			continue;
		if (ls->tls != NULL) {
			char err[256];

			w->proxy->tls[i] = dpx_tls_server_new(ls->tls,
					sh->tls_keys[i], &w->proxy->tls_stats,
					err, sizeof(err));
			if (w->proxy->tls[i] == NULL) {
				DPX_ERR("listener %s: TLS: %s", ls->name, err);
				return -EINVAL;
			}
		}
		rc = dpx_tcp_listen(w, ls->addr, ls->port, ls->backlog,
				    &px_cli_cb, (void *)(uintptr_t)i);
		if (rc != 0) {
			DPX_ERR("listener %s: cannot listen: %s", ls->name,
				strerror(-rc));
			return rc;
		}
	}
	return px_probes_start(w);
}

bool
dpx_proxy_worker_run(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = w->proxy;

	bool more;

	if (pw == NULL)
		return false;
	px_tls_adopt(pw);
	/* parked requests keep the worker awake: answers come soon */
	more = px_auth_run(w);
	if (TAILQ_EMPTY(&pw->tls_kick) && TAILQ_EMPTY(&pw->srv_kick) &&
	    TAILQ_EMPTY(&pw->cache_wait))
		return more;
	dpx_stage_enter(w, DPX_STAGE_APP);
	more = px_tls_kicks_run(w) || more;
	more = px_srv_kicks_run(w) || more;
	return px_cache_waiters_run(w) || more;
}

void
dpx_proxy_worker_quiescent(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = w->proxy;

	if (pw != NULL)
		rte_rcu_qsbr_quiescent(pw->sh->qsbr, w->index);
}

void
dpx_proxy_worker_stop(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = w->proxy;

	if (pw != NULL)
		rte_rcu_qsbr_thread_offline(pw->sh->qsbr, w->index);
}

void
dpx_proxy_worker_offline(struct dpx_worker *w)
{
	dpx_proxy_worker_stop(w);
}

void
dpx_proxy_worker_online(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = w->proxy;

	if (pw != NULL)
		rte_rcu_qsbr_thread_online(pw->sh->qsbr, w->index);
}

/* After dpx_tcp_worker_fini(): every connection has reported closed, so
 * the sessions are back in their pools. */
void
dpx_proxy_worker_fini(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = w->proxy;

	if (pw == NULL)
		return;
	px_probes_stop(w);
	px_cache_worker_fini(w);
	px_auth_worker_fini(w);
	px_dns_worker_fini(w);
	pw->sh->workers[w->index] = NULL;
	px_tls_set_free(atomic_exchange(&pw->tls_next, NULL));
	for (unsigned int i = 0; i < DPX_MAX_LISTENERS; i++)
		dpx_tls_server_release(pw->tls[i]);
	for (unsigned int p = 0; p < DPX_MAX_POOLS; p++)
		dpx_tls_client_free(pw->tls_cli[p]);
	rte_rcu_qsbr_thread_unregister(pw->sh->qsbr, w->index);
	px_acl_worker_fini(w);
	rte_mempool_free(pw->sessions);
	rte_mempool_free(pw->fwd_hosts);
	rte_mempool_free(pw->srvs);
	rte_mempool_free(pw->hbufs);
	rte_free(pw);
	w->proxy = NULL;
}

const struct dpx_tls_stats *
dpx_proxy_worker_tls_stats(const struct dpx_worker *w)
{
	return w->proxy ? &w->proxy->tls_stats : NULL;
}

const struct dpx_tls_stats *
dpx_proxy_worker_tls_origin_stats(const struct dpx_worker *w)
{
	return w->proxy ? &w->proxy->tls_origin_stats : NULL;
}

const struct dpx_proxy_stats *
dpx_proxy_worker_stats(const struct dpx_worker *w)
{
	return w->proxy ? &w->proxy->stats : NULL;
}

const struct dpx_proxy_server_stats *
dpx_proxy_worker_server_stats(const struct dpx_worker *w, unsigned int pool,
			      unsigned int server)
{
	if (w->proxy == NULL || pool >= DPX_MAX_POOLS ||
	    server >= DPX_MAX_SERVERS)
		return NULL;
	return &w->proxy->srv_stats[pool][server];
}

const struct dpx_proxy_egress_stats *
dpx_proxy_worker_egress_stats(const struct dpx_worker *w,
			      unsigned int listener, unsigned int addr)
{
	if (w->proxy == NULL || listener >= DPX_MAX_LISTENERS ||
	    addr >= DPX_EGRESS_MAX)
		return NULL;
	return &w->proxy->egress_stats[listener][addr];
}
