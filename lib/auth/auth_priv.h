/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/auth's private header: the users table as the verifier sees it,
 * and what its files share.
 */
#ifndef DPX_AUTH_PRIV_H
#define DPX_AUTH_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "dpx_auth.h"

struct crypt_data;
struct rte_ring;

#define AUTH_HASH_MAX 127	/* "$6$rounds=999999999$" + 16 + 1 + 86 */
#define AUTH_MAC_LEN 16		/* SipHash-2-4, 128-bit output */

struct auth_user {
	char name[DPX_AUTH_USER_MAX + 1];
	char hash[AUTH_HASH_MAX + 1];
	const struct dpx_auth_rule *rule;	/* set by auth_users_bind */
};

struct dpx_auth_users {
	uint64_t generation;
	unsigned int n;
	struct auth_user *users;	/* file order */
	uint32_t *by_name;		/* indices sorted by name */
};

/* One request on its way to the verifier and back; owned by the worker
 * while on its free list or in its hands, by the verifier in between. */
struct auth_slot {
	uint64_t cookie;
	uint32_t client;
	uint32_t index;			/* in the worker's slot array */
	uint8_t mac[AUTH_MAC_LEN];	/* cache key of the credentials */
	/* Written by the verifier. */
	uint64_t generation;		/* of the table it checked against */
	enum dpx_auth_status status;
	int32_t user_index;
	const struct dpx_auth_rule *rule;
	struct dpx_auth_cred cred;
};

struct dpx_auth {
	struct dpx_auth_conf conf;	/* rules: our own copy */
	char challenge[DPX_AUTH_CHALLENGE_MAX];
	uint8_t mac_key[16];		/* per process, from RAND_bytes */
	unsigned int n_workers;
	struct dpx_auth_worker **workers;
	/* Control plane. */
	uint64_t last_generation;
	bool thread_started;
	pthread_t thread;
	/* Shared with the verifier. */
	_Atomic bool stop;
	struct dpx_auth_users *_Atomic next_users;	/* posted by reload */
	_Atomic uint64_t generation;	/* the table the verifier uses */
	_Atomic uint64_t crypt_calls;
	/* Verifier thread only (and create, before it starts). */
	struct dpx_auth_users *users;
	struct crypt_data *crypt;
	char dummy_hash[AUTH_HASH_MAX + 1];
};

/* SipHash-2-4, 128-bit output (auth_siphash.c). */
void auth_siphash128(const uint8_t key[16], const void *data, size_t n,
		     uint8_t out[AUTH_MAC_LEN]);

/* Verifier side of worker i's rings. */
struct rte_ring *auth_worker_requests(struct dpx_auth_worker *aw);
struct rte_ring *auth_worker_answers(struct dpx_auth_worker *aw);
struct dpx_auth_worker *auth_worker_create(struct dpx_auth *a,
					   unsigned int index);
void auth_worker_free(struct dpx_auth_worker *aw);

/* Each user gets its own rule, else the "*" rule, else none. */
void auth_users_bind(struct dpx_auth_users *u,
		     const struct dpx_auth_rule *rules, unsigned int n_rules);

#endif /* DPX_AUTH_PRIV_H */
