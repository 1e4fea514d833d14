/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An authenticator: its users table and its verifier thread. The thread
 * takes one request per worker in turn (so a busy worker cannot starve
 * the others), checks it with crypt_rn() into its own crypt_data, and
 * hands it back on that worker's answer ring. A reload posts a new table
 * that the thread adopts between two checks; the table is only ever read
 * by the thread, so swapping it needs no grace period.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <rte_ring.h>

#include "auth_priv.h"

/* An idle verifier sleeps rather than waits to be woken, which would put
 * a syscall on the workers. The first request after a quiet spell waits
 * at most VERIFIER_SLEEP_MAX_US to be seen, small next to a hash; while
 * requests keep coming, at most VERIFIER_SLEEP_MIN_US. */
#define VERIFIER_SLEEP_MIN_US 100
#define VERIFIER_SLEEP_MAX_US 4000

static void adopt_next_table(struct dpx_auth *a)
{
	struct dpx_auth_users *next = atomic_exchange(&a->next_users, NULL);

	if (next == NULL)
		return;
	dpx_auth_users_free(a->users);
	a->users = next;
	atomic_store(&a->generation, next->generation);
}

/* crypt_rn's answer must equal the stored hash, compared in constant
 * time; a NULL answer (bad setting) is a failure. */
static bool hash_matches(struct dpx_auth *a, const char *pass,
			 const char *hash)
{
	const char *out = crypt_rn(pass, hash, a->crypt, sizeof(*a->crypt));
	size_t n = strlen(hash);

	atomic_fetch_add_explicit(&a->crypt_calls, 1, memory_order_relaxed);
	return out != NULL && out[0] != '*' && strlen(out) == n &&
	       CRYPTO_memcmp(out, hash, n) == 0;
}

static void verify(struct dpx_auth *a, struct auth_slot *s)
{
	const struct dpx_auth_users *u = a->users;
	const char *pass = dpx_auth_cred_pass(&s->cred);
	int k = dpx_auth_users_find(u, s->cred.text, s->cred.user_len);

	s->generation = u->generation;
	s->user_index = k;
	s->rule = NULL;
	if (k < 0) {
		/* The same work as for a real user: timing must not tell
		 * which names exist. */
		hash_matches(a, pass, a->dummy_hash);
		s->status = DPX_AUTH_UNKNOWN_USER;
		return;
	}
	if (!hash_matches(a, pass, u->users[k].hash)) {
		s->status = DPX_AUTH_BAD_PASSWORD;
		return;
	}
	s->rule = u->users[k].rule;
	s->status = s->rule != NULL && s->rule->deny ? DPX_AUTH_DENIED :
						       DPX_AUTH_OK;
}

/* One request from each worker that has one; true if any was seen. */
static bool verify_round(struct dpx_auth *a)
{
	bool busy = false;
	void *obj;

	for (unsigned int i = 0; i < a->n_workers; i++) {
		struct dpx_auth_worker *aw = a->workers[i];

		if (rte_ring_dequeue(auth_worker_requests(aw), &obj) != 0)
			continue;
		verify(a, obj);
		/* Never full: the ring holds every slot of the worker. */
		rte_ring_enqueue(auth_worker_answers(aw), obj);
		busy = true;
	}
	return busy;
}

static void *verifier_main(void *arg)
{
	struct dpx_auth *a = arg;
	unsigned int sleep_us = VERIFIER_SLEEP_MIN_US;

	while (!atomic_load_explicit(&a->stop, memory_order_acquire)) {
		adopt_next_table(a);
		if (verify_round(a)) {
			sleep_us = VERIFIER_SLEEP_MIN_US;
			continue;
		}
		usleep(sleep_us);
		if (sleep_us < VERIFIER_SLEEP_MAX_US)
			sleep_us *= 2;
	}
	return NULL;
}

/* "auth-NAME" in ps and top (15 bytes at most). */
static void name_thread(struct dpx_auth *a)
{
	char name[16];

	snprintf(name, sizeof(name), "auth-%.10s", a->conf.name);
	pthread_setname_np(a->thread, name);
}

static int make_dummy_hash(struct dpx_auth *a)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;

	if (crypt_gensalt_rn("$6$", 0, NULL, 0, setting,
			     sizeof(setting)) == NULL)
		return -1;
	h = crypt_rn("dpx-dummy", setting, a->crypt, sizeof(*a->crypt));
	if (h == NULL || h[0] == '*' || strlen(h) > AUTH_HASH_MAX)
		return -1;
	snprintf(a->dummy_hash, sizeof(a->dummy_hash), "%s", h);
	return 0;
}

static struct dpx_auth_users *load_table(struct dpx_auth *a, char *err,
					 size_t errlen)
{
	struct dpx_auth_users *u = dpx_auth_users_load(a->conf.users_file,
						       err, errlen);

	if (u == NULL)
		return NULL;
	u->generation = ++a->last_generation;
	auth_users_bind(u, a->conf.rules, a->conf.n_rules);
	return u;
}

static int copy_conf(struct dpx_auth *a, const struct dpx_auth_conf *conf)
{
	a->conf = *conf;
	a->conf.rules = NULL;
	if (conf->n_rules == 0)
		return 0;
	a->conf.rules = calloc(conf->n_rules, sizeof(*conf->rules));
	if (a->conf.rules == NULL)
		return -1;
	memcpy(a->conf.rules, conf->rules,
	       conf->n_rules * sizeof(*conf->rules));
	return 0;
}

static int create_workers(struct dpx_auth *a, unsigned int n)
{
	a->workers = calloc(n ? n : 1, sizeof(*a->workers));
	if (a->workers == NULL)
		return -1;
	for (a->n_workers = 0; a->n_workers < n; a->n_workers++) {
		a->workers[a->n_workers] = auth_worker_create(a, a->n_workers);
		if (a->workers[a->n_workers] == NULL)
			return -1;
	}
	return 0;
}

static int auth_setup(struct dpx_auth *a, const struct dpx_auth_conf *conf,
		      unsigned int n_workers, char *err, size_t errlen)
{
	if (copy_conf(a, conf) != 0 ||
	    (a->crypt = calloc(1, sizeof(*a->crypt))) == NULL) {
		snprintf(err, errlen, "auth %s: out of memory", conf->name);
		return -1;
	}
	if (dpx_auth_challenge(conf->realm, a->challenge,
			       sizeof(a->challenge)) < 0 ||
	    RAND_bytes(a->mac_key, sizeof(a->mac_key)) != 1 ||
	    make_dummy_hash(a) != 0) {
		snprintf(err, errlen, "auth %s: cannot set up (realm, random "
			 "key or crypt)", conf->name);
		return -1;
	}
	a->users = load_table(a, err, errlen);
	if (a->users == NULL)
		return -1;
	atomic_store(&a->generation, a->users->generation);
	if (create_workers(a, n_workers) != 0) {
		snprintf(err, errlen, "auth %s: out of memory for %u workers",
			 conf->name, n_workers);
		return -1;
	}
	return 0;
}

struct dpx_auth *dpx_auth_create(const struct dpx_auth_conf *conf,
				 unsigned int n_workers, char *err,
				 size_t errlen)
{
	struct dpx_auth *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		snprintf(err, errlen, "auth %s: out of memory", conf->name);
		return NULL;
	}
	if (auth_setup(a, conf, n_workers, err, errlen) != 0) {
		dpx_auth_destroy(a);
		return NULL;
	}
	if (pthread_create(&a->thread, NULL, verifier_main, a) != 0) {
		snprintf(err, errlen, "auth %s: cannot start the verifier "
			 "thread", conf->name);
		dpx_auth_destroy(a);
		return NULL;
	}
	a->thread_started = true;
	name_thread(a);
	return a;
}

void dpx_auth_destroy(struct dpx_auth *a)
{
	if (a == NULL)
		return;
	if (a->thread_started) {
		atomic_store_explicit(&a->stop, true, memory_order_release);
		pthread_join(a->thread, NULL);
	}
	for (unsigned int i = 0; i < a->n_workers; i++)
		auth_worker_free(a->workers[i]);
	free(a->workers);
	dpx_auth_users_free(atomic_exchange(&a->next_users, NULL));
	dpx_auth_users_free(a->users);
	if (a->crypt != NULL)
		OPENSSL_cleanse(a->crypt, sizeof(*a->crypt));
	free(a->crypt);
	free(a->conf.rules);
	OPENSSL_cleanse(a->mac_key, sizeof(a->mac_key));
	free(a);
}

int dpx_auth_reload(struct dpx_auth *a, char *err, size_t errlen)
{
	struct dpx_auth_users *u = load_table(a, err, errlen);

	if (u == NULL)
		return -1;
	/* A table posted earlier and not yet adopted is never used. */
	dpx_auth_users_free(atomic_exchange(&a->next_users, u));
	return 0;
}

uint64_t dpx_auth_generation(const struct dpx_auth *a)
{
	return atomic_load(&((struct dpx_auth *)(uintptr_t)a)->generation);
}

uint64_t dpx_auth_crypt_calls(const struct dpx_auth *a)
{
	return atomic_load(&((struct dpx_auth *)(uintptr_t)a)->crypt_calls);
}

const char *dpx_auth_challenge_value(const struct dpx_auth *a)
{
	return a->challenge;
}

const struct dpx_auth_conf *dpx_auth_get_conf(const struct dpx_auth *a)
{
	return &a->conf;
}

struct dpx_auth_worker *dpx_auth_worker(struct dpx_auth *a, unsigned int i)
{
	return i < a->n_workers ? a->workers[i] : NULL;
}
