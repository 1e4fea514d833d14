/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proxy authentication on forward listeners with "auth" (lib/auth). The
 * control plane starts one authenticator (and its verifier thread) per
 * entry of the "auth" section that some listener names; each worker uses
 * its own side of them. A request whose credentials are not in the
 * worker's cache is parked: its head is staged as for any request, and
 * the session waits, with no connection to an origin, until the
 * verifier's answer comes back through dpx_auth_poll() once per loop
 * pass. The answer names its request by a cookie, a park slot and that
 * slot's generation, never a pointer: a client that went meanwhile
 * leaves an empty slot, and its late answer is counted and dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_byteorder.h>

#include "proxy_priv.h"

#define PX_AUTH_POLL 32     /* answers taken per authenticator and pass */

static const struct dpx_auth_section *
px_auth_section(const struct dpx_config *cfg)
{
	return cfg->auth;
}

static bool
px_auth_used(const struct dpx_config *cfg, unsigned int i)
{
	for (unsigned int l = 0; l < cfg->n_listeners; l++)
		if (cfg->listeners[l].forward != NULL &&
		    cfg->listeners[l].forward->auth == (int)i)
			return true;
	return false;
}

int
px_auth_create(struct dpx_proxy_shared *sh)
{
	const struct dpx_auth_section *sec = px_auth_section(sh->cfg);

	for (unsigned int i = 0; sec != NULL && i < sec->n; i++) {
		char err[512];

		if (!px_auth_used(sh->cfg, i))
			continue;
		sh->auth[i] = dpx_auth_create(&sec->auth[i], sh->n_workers,
					      err, sizeof(err));
		if (sh->auth[i] == NULL) {
			DPX_ERR("%s", err);
			return -1;
		}
	}
	return 0;
}

/* After the workers stopped: the verifier threads end. */
void
px_auth_destroy(struct dpx_proxy_shared *sh)
{
	for (unsigned int i = 0; i < DPX_AUTH_MAX; i++) {
		dpx_auth_destroy(sh->auth[i]);
		sh->auth[i] = NULL;
	}
}

/* One park slot for every request any of the queues can hold: lib/auth
 * answers BUSY before the park runs out. */
int
px_auth_worker_init(struct dpx_worker *w)
{
	struct dpx_proxy_worker *pw = px_w(w);
	struct px_auth_worker *pa = &pw->auth;
	uint32_t n = 0;

	for (unsigned int i = 0; i < DPX_AUTH_MAX; i++) {
		struct dpx_auth *a = pw->sh->auth[i];

		if (a == NULL)
			continue;
		pa->aw[i] = dpx_auth_worker(a, w->index);
		n += dpx_auth_get_conf(a)->queue_size;
		pa->n++;
	}
	if (n == 0)
		return 0;
	pa->park = calloc(n, sizeof(*pa->park));
	pa->park_free = calloc(n, sizeof(*pa->park_free));
	if (pa->park == NULL || pa->park_free == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++)
		pa->park_free[k] = n - 1 - k;
	pa->n_park = pa->n_free = n;
	return 0;
}

void
px_auth_worker_fini(struct dpx_worker *w)
{
	struct px_auth_worker *pa = &px_w(w)->auth;

	free(pa->park);
	free(pa->park_free);
	memset(pa, 0, sizeof(*pa));
}

static void
px_park_release(struct px_auth_worker *pa, uint32_t slot)
{
	pa->park[slot].s = NULL;
	pa->park[slot].gen++;
	pa->park_free[pa->n_free++] = slot;
}

/* The first Proxy-Authorization value and how many there are. */
static unsigned int
px_proxy_authorization(const struct dpx_http_request *req,
		       const struct dpx_http_str **first)
{
	static const char name[] = "proxy-authorization";
	unsigned int n = 0;

	*first = NULL;
	for (uint32_t i = 0; i < req->n_headers; i++) {
		const struct dpx_http_header *h = &req->headers[i];

		if (h->name.len != sizeof(name) - 1 ||
		    strncasecmp(h->name.p, name, sizeof(name) - 1) != 0)
			continue;
		if (n++ == 0)
			*first = &h->value;
	}
	return n;
}

/* An answer of lib/auth (at once or from the verifier) into the session:
 * 0 to go on, else -status. */
static int
px_fwd_auth_apply(struct px_session *s, const struct dpx_auth_result *res)
{
	switch (res->status) {
	case DPX_AUTH_OK:
		snprintf(s->user, DPX_AUTH_USER_MAX + 1, "%s", res->user);
		s->user_index = res->user_index;
		s->auth_rule = res->rule;
		return 0;
	case DPX_AUTH_DENIED:
		/* who was refused, for the log; nothing else applies */
		snprintf(s->user, DPX_AUTH_USER_MAX + 1, "%s", res->user);
		s->user_index = res->user_index;
		return -403;
	case DPX_AUTH_MISSING:
	case DPX_AUTH_MALFORMED:
	case DPX_AUTH_BAD_PASSWORD:
	case DPX_AUTH_UNKNOWN_USER:
		return -407;
	case DPX_AUTH_RATE_LIMITED:
		return -429;
	default:
		return -503;
	}
}

int
px_fwd_auth_check(struct dpx_worker *w, struct px_session *s,
		  const struct dpx_http_request *req)
{
	struct px_auth_worker *pa = &px_w(w)->auth;
	const struct dpx_http_str *v;
	struct dpx_auth_result res;
	enum dpx_auth_status st;
	unsigned int n;
	uint32_t slot;
	uint64_t cookie = 0;

	s->user[0] = '\0';
	s->user_index = -1;
	s->auth_rule = NULL;
	if (s->fwd->auth < 0)
		return 0;
	/* With no slot free every queue is full: lib/auth cannot park this
	 * one (BUSY), but may still answer it from its cache. */
	slot = pa->n_free > 0 ? pa->park_free[pa->n_free - 1] : 0;
	if (pa->n_free > 0)
		cookie = (uint64_t)pa->park[slot].gen << 32 | slot;
	n = px_proxy_authorization(req, &v);
	st = dpx_auth_check(pa->aw[s->fwd->auth], v ? v->p : NULL,
			    v ? v->len : 0, n, rte_cpu_to_be_32(s->caddr),
			    cookie, dpx_tcp_now_ms(w), &res);
	if (st != DPX_AUTH_PENDING)
		return px_fwd_auth_apply(s, &res);
	if (pa->n_free == 0)
		return -503;    /* not reached: see above */
	pa->n_free--;
	pa->park[slot].s = s;
	s->fwd_auth_wait = true;
	s->fwd_auth_slot = slot;
	return 0;
}

bool
px_fwd_auth_names_acls(const struct dpx_worker *w, const struct px_session *s)
{
	const struct dpx_auth *a;
	const struct dpx_auth_conf *conf;

	if (s->fwd->auth < 0)
		return false;
	a = w->proxy->sh->auth[s->fwd->auth];
	conf = dpx_auth_get_conf(a);
	for (unsigned int i = 0; i < conf->n_rules; i++)
		if (conf->rules[i].acl_index >= 0)
			return true;
	return false;
}

void
px_fwd_auth_cancel(struct dpx_worker *w, struct px_session *s)
{
	/* The slot stays taken until its answer comes: the verifier still
	 * holds the request. */
	px_w(w)->auth.park[s->fwd_auth_slot].s = NULL;
	s->fwd_auth_wait = false;
}

static void
px_auth_answer(struct dpx_worker *w, const struct dpx_auth_result *res)
{
	struct px_auth_worker *pa = &px_w(w)->auth;
	uint32_t slot = (uint32_t)res->cookie;
	struct px_session *s;
	int rc;

	if (slot >= pa->n_park || pa->park[slot].gen != res->cookie >> 32)
		return;     /* cannot happen: a slot waits for its answer */
	s = pa->park[slot].s;
	px_park_release(pa, slot);
	if (s == NULL) {
		pa->abandoned++;
		return;
	}
	s->fwd_auth_wait = false;
	rc = px_fwd_auth_apply(s, res);
	if (rc != 0)
		px_http_error(w, s, -rc);
	else
		px_fwd_authenticated(w, s);
}

bool
px_auth_run(struct dpx_worker *w)
{
	struct px_auth_worker *pa = &px_w(w)->auth;
	struct dpx_auth_result res[PX_AUTH_POLL];
	uint64_t now;

	if (pa->n_free == pa->n_park)
		return false;   /* nothing parked, nothing to hear */
	dpx_stage_enter(w, DPX_STAGE_APP);
	now = dpx_tcp_now_ms(w);
	for (unsigned int i = 0; i < DPX_AUTH_MAX; i++) {
		unsigned int k;

		if (pa->aw[i] == NULL)
			continue;
		k = dpx_auth_poll(pa->aw[i], now, res, PX_AUTH_POLL);
		for (unsigned int j = 0; j < k; j++)
			px_auth_answer(w, &res[j]);
	}
	return pa->n_free != pa->n_park;
}

const char *
px_fwd_error_fields(const struct px_session *s, int status, char *buf,
		    size_t cap)
{
	const struct dpx_auth *a;

	if (status != 407 || s->fwd == NULL || s->fwd->auth < 0)
		return NULL;
	a = px_w(s->w)->sh->auth[s->fwd->auth];
	snprintf(buf, cap, "Proxy-Authenticate: %s\r\n",
		 dpx_auth_challenge_value(a));
	return buf;
}

struct dpx_auth *
dpx_proxy_auth(const struct dpx_proxy_shared *sh, unsigned int i)
{
	return sh != NULL && i < DPX_AUTH_MAX ? sh->auth[i] : NULL;
}

void
dpx_proxy_worker_auth_waits(const struct dpx_worker *w, uint64_t *parked,
			    uint64_t *abandoned)
{
	const struct px_auth_worker *pa = w->proxy ? &w->proxy->auth : NULL;

	*parked = pa != NULL ? pa->n_park - pa->n_free : 0;
	*abandoned = pa != NULL ? pa->abandoned : 0;
}
