/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/auth: proxy authentication (Proxy-Authorization: Basic, RFC 7617)
 * for the forward proxy. It owns:
 *  - the top-level "auth" section (named authenticators: users file,
 *    realm, cache, failure limit, per-user rules), parsed through the
 *    application's config hook like lib/cache's "cache";
 *  - the users file (htpasswd-like "user:hash", SHA-512-crypt "$6$" and
 *    bcrypt "$2b$"/"$2y$" only), loaded into immutable tables that a
 *    reload replaces;
 *  - the strict parser of Proxy-Authorization and the Proxy-Authenticate
 *    value;
 *  - the verification: a password hash costs 1..80 ms, far too much for
 *    a poll-mode worker, so each authenticator runs one verifier thread
 *    (started by the control plane, so it inherits the main lcore's CPU
 *    set, never a worker's) fed through lock-free single-producer,
 *    single-consumer rings, one pair per worker; workers keep what was
 *    verified in a per-worker cache keyed by a secret SipHash of
 *    "user:password" (the password itself is never stored) and count
 *    failures per client address, so that a flood of bad passwords is
 *    refused without hashing.
 * Nothing here touches a connection. How a forward proxy uses it:
 *
 *   control plane: a = dpx_auth_create(dpx_auth_section_find(cfg->auth,
 *                      listener's name), n_workers, err, len);
 *                  dpx_auth_reload(a, ...) on SIGHUP; dpx_auth_destroy(a)
 *                  after the workers stopped; dpx_auth_counters_add() for
 *                  telemetry.
 *   worker w, per request head:
 *       st = dpx_auth_check(dpx_auth_worker(a, w->index), value, len,
 *                           n_proxy_authorization_fields, client_ip,
 *                           session_id, now_ms, &res);
 *       OK: apply res.rule (acl, egress_addr), remove the field, go on;
 *       PENDING: park the request; MISSING, MALFORMED, BAD_PASSWORD,
 *       UNKNOWN_USER: 407 with Proxy-Authenticate:
 *       dpx_auth_challenge_value(a); DENIED: 403; RATE_LIMITED: 429;
 *       BUSY: 503.
 *   worker w, once per loop pass: dpx_auth_poll() and resume the parked
 *       requests whose cookies come back, with the same answers.
 */
#ifndef DPX_AUTH_H
#define DPX_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPX_AUTH_TOKEN_MAX 1024		/* base64 characters */
#define DPX_AUTH_CRED_MAX (DPX_AUTH_TOKEN_MAX / 4 * 3)	/* decoded */
#define DPX_AUTH_USER_MAX 64		/* bytes of a user name */
#define DPX_AUTH_NAME_LEN 32		/* authenticator and ACL names */
#define DPX_AUTH_REALM_MAX 100
#define DPX_AUTH_CHALLENGE_MAX (2 * DPX_AUTH_REALM_MAX + 40)

/* ---- Proxy-Authorization ---- */

/* Why a field was refused; each is counted apart. */
enum dpx_auth_parse {
	DPX_AUTH_PARSE_OK = 0,
	DPX_AUTH_PARSE_SCHEME,		/* not "Basic" */
	DPX_AUTH_PARSE_SYNTAX,		/* no token, two tokens, bad spacing */
	DPX_AUTH_PARSE_TOO_LONG,	/* token over DPX_AUTH_TOKEN_MAX */
	DPX_AUTH_PARSE_BASE64_CHAR,	/* outside A-Z a-z 0-9 + / = */
	DPX_AUTH_PARSE_BASE64_PAD,	/* length, '=' placement, extra bits */
	DPX_AUTH_PARSE_NO_COLON,
	DPX_AUTH_PARSE_EMPTY_USER,
	DPX_AUTH_PARSE_USER_TOO_LONG,	/* over DPX_AUTH_USER_MAX */
	DPX_AUTH_PARSE_CONTROL,		/* CTL (or NUL) in user or password */
	DPX_AUTH_PARSE_DUPLICATE,	/* two Proxy-Authorization fields */
	DPX_AUTH_PARSE_COUNT
};

/* Decoded credentials: text holds "user\0password\0". */
struct dpx_auth_cred {
	char text[DPX_AUTH_CRED_MAX + 1];
	uint16_t user_len;
	uint16_t pass_len;
};

static inline const char *dpx_auth_cred_user(const struct dpx_auth_cred *c)
{
	return c->text;
}

static inline const char *dpx_auth_cred_pass(const struct dpx_auth_cred *c)
{
	return c->text + c->user_len + 1;
}

/* One field value (surrounding spaces and tabs allowed): "Basic" in any
 * case, one or more spaces, one base64 token (RFC 4648 4, padded, no
 * whitespace inside); decoded, "user:password" with a non-empty user and
 * no control character. */
enum dpx_auth_parse dpx_auth_parse_basic(const char *v, size_t len,
					 struct dpx_auth_cred *out);
/* "ok", "scheme", "syntax", ... (counter names); "?" out of range. */
const char *dpx_auth_parse_name(enum dpx_auth_parse r);

/* The Proxy-Authenticate value, Basic realm="REALM", charset="UTF-8",
 * with '"' and '\' escaped in the quoted string. Returns its length, or
 * -1 when it does not fit in size (NUL included) or the realm has a
 * control character. */
int dpx_auth_challenge(const char *realm, char *buf, size_t size);

/* ---- Configuration: the top-level "auth" section ---- */

#define DPX_AUTH_MAX 8			/* authenticators */
#define DPX_AUTH_MAX_RULES 1024		/* per authenticator */

/* What applies to one user ("*": to users without their own rule). The
 * proxy resolves the names; lib/auth only carries them. */
struct dpx_auth_rule {
	char user[DPX_AUTH_USER_MAX + 1];
	char acl[DPX_AUTH_NAME_LEN];	/* "": none */
	int acl_index;			/* acl's index in "acls"; -1: none */
	uint32_t egress_addr;		/* source IPv4, network order; 0: any */
	bool deny;			/* a valid password is still refused */
};

struct dpx_auth_conf {
	char name[DPX_AUTH_NAME_LEN];
	char users_file[256];
	char realm[DPX_AUTH_REALM_MAX + 1];
	uint32_t cache_ttl_s;		/* 0: every request is verified */
	uint32_t cache_entries;		/* per worker, power of two */
	uint32_t max_failures_per_min;	/* per client address; 0: no limit */
	uint32_t clients_tracked;	/* per worker, power of two */
	uint32_t queue_size;		/* per worker, power of two */
	unsigned int n_rules;
	struct dpx_auth_rule *rules;	/* malloc'ed, n_rules */
};

struct dpx_auth_section {
	unsigned int n;
	struct dpx_auth_conf auth[DPX_AUTH_MAX];
};

struct cfg_ctx;
struct cfg_acl_names;
typedef struct json_t json_t;
/* The config hook: *out a malloc'ed struct dpx_auth_section. The users
 * files are loaded once to check them (errors name file and line); a
 * rule's "acl" must be a name of acls (its acl_index). */
int dpx_auth_section_parse(struct cfg_ctx *c, json_t *v,
			   const struct cfg_acl_names *acls, void **out);
void dpx_auth_section_free(void *section);
const struct dpx_auth_conf *dpx_auth_section_find(
	const struct dpx_auth_section *s, const char *name);
/* The config hook of a listener's "auth": the index of name in section
 * (a struct dpx_auth_section), or -1. */
int dpx_auth_section_index(const void *section, const char *name);

/* ---- Users file ---- */

struct dpx_auth_users;	/* immutable once loaded */

/* Lines "user:hash", '#' comments and blank lines; CRLF accepted. Errors
 * are "FILE:LINE: message". */
struct dpx_auth_users *dpx_auth_users_load(const char *path, char *err,
					   size_t errlen);
struct dpx_auth_users *dpx_auth_users_parse(const char *name,
					    const char *text, size_t len,
					    char *err, size_t errlen);
void dpx_auth_users_free(struct dpx_auth_users *u);
unsigned int dpx_auth_users_count(const struct dpx_auth_users *u);
/* Index of user (file order), -1 when absent. */
int dpx_auth_users_find(const struct dpx_auth_users *u, const char *user,
			size_t len);

/* ---- Authenticator (control plane) ---- */

struct dpx_auth;
struct dpx_auth_worker;

/* Loads the users file, starts the verifier thread and the state of
 * n_workers workers. conf is copied. NULL with err set on failure. */
struct dpx_auth *dpx_auth_create(const struct dpx_auth_conf *conf,
				 unsigned int n_workers, char *err,
				 size_t errlen);
/* After every worker has stopped calling in. */
void dpx_auth_destroy(struct dpx_auth *a);
/* Reads the users file again; the verifier switches to the new table
 * between two verifications and workers drop what they cached from the
 * old one. On error the old table stays. */
int dpx_auth_reload(struct dpx_auth *a, char *err, size_t errlen);
/* The table generation in use (1 after create). */
uint64_t dpx_auth_generation(const struct dpx_auth *a);
/* Hashes computed by the verifier so far (also for unknown users, which
 * are checked against a dummy hash so that timing does not tell). */
uint64_t dpx_auth_crypt_calls(const struct dpx_auth *a);
/* Proxy-Authenticate value, built once. */
const char *dpx_auth_challenge_value(const struct dpx_auth *a);
const struct dpx_auth_conf *dpx_auth_get_conf(const struct dpx_auth *a);

/* ---- Authenticator (worker) ---- */

/* Worker i's state (0 <= i < n_workers), used by that worker only. */
struct dpx_auth_worker *dpx_auth_worker(struct dpx_auth *a, unsigned int i);

enum dpx_auth_status {
	DPX_AUTH_OK = 0,	/* go on: user and rule are set */
	DPX_AUTH_PENDING,	/* answer later from dpx_auth_poll() */
	DPX_AUTH_MISSING,	/* 407: no credentials (not a failure) */
	DPX_AUTH_MALFORMED,	/* 407: the field was refused */
	DPX_AUTH_BAD_PASSWORD,	/* 407 */
	DPX_AUTH_UNKNOWN_USER,	/* 407 (clients see the same as above) */
	DPX_AUTH_DENIED,	/* 403: the user's rule says "deny" */
	DPX_AUTH_RATE_LIMITED,	/* 429: too many failures from the address */
	DPX_AUTH_BUSY,		/* 503: the verification queue is full */
};

struct dpx_auth_result {
	uint64_t cookie;		/* from dpx_auth_check() */
	enum dpx_auth_status status;
	enum dpx_auth_parse malformed;	/* status MALFORMED: why */
	char user[DPX_AUTH_USER_MAX + 1];	/* as sent; "" if MISSING or
						 * MALFORMED (for the log) */
	int32_t user_index;		/* -1 unless OK or DENIED */
	const struct dpx_auth_rule *rule; /* OK: NULL when none applies */
};

struct dpx_auth_counters {
	uint64_t ok;			/* requests let through */
	uint64_t cache_hits;
	uint64_t verifications;		/* answers from the verifier */
	uint64_t bad_password;
	uint64_t unknown_user;
	uint64_t denied;
	uint64_t missing;
	uint64_t malformed[DPX_AUTH_PARSE_COUNT];
	uint64_t rate_limited;
	uint64_t queue_full;
	uint64_t requeued;		/* verified against a replaced table */
	uint64_t cache_evictions;
};

/* One request: v/len the Proxy-Authorization value (n_fields 0: absent,
 * v ignored; 2 or more: refused as a duplicate), client the address in
 * network order, now_ms any monotonic clock in milliseconds. PENDING
 * means the answer comes from dpx_auth_poll() with cookie: the caller
 * must recognise a cookie whose request has gone meanwhile (e.g. an id
 * with a generation, not a bare pointer). *res is filled for every other
 * status. */
enum dpx_auth_status dpx_auth_check(struct dpx_auth_worker *aw,
				    const char *v, size_t len,
				    unsigned int n_fields, uint32_t client,
				    uint64_t cookie, uint64_t now_ms,
				    struct dpx_auth_result *res);
/* Once per loop pass: up to n deferred answers into out; returns how
 * many. Never PENDING. */
unsigned int dpx_auth_poll(struct dpx_auth_worker *aw, uint64_t now_ms,
			   struct dpx_auth_result *out, unsigned int n);
/* Requests submitted and not yet answered. */
unsigned int dpx_auth_in_flight(const struct dpx_auth_worker *aw);
const struct dpx_auth_counters *dpx_auth_worker_counters(
	const struct dpx_auth_worker *aw);
/* Control plane: adds a worker's counters (plain loads, no stop) to sum;
 * every counter is a uint64_t. */
void dpx_auth_counters_add(struct dpx_auth_counters *sum,
			   const struct dpx_auth_worker *aw);

/* ---- Per-client failure limit (exposed for tests) ---- */

/* GCRA: max failures per 60 s with a burst of max; 0 entries or max 0
 * disables. */
struct dpx_auth_limiter;
struct dpx_auth_limiter *dpx_auth_limiter_create(uint32_t entries,
						 uint32_t max_per_min);
void dpx_auth_limiter_free(struct dpx_auth_limiter *l);
bool dpx_auth_limited(const struct dpx_auth_limiter *l, uint32_t client,
		      uint64_t now_ms);
void dpx_auth_limiter_fail(struct dpx_auth_limiter *l, uint32_t client,
			   uint64_t now_ms);
/* Takes one failure back (a check charged in advance that succeeded). */
void dpx_auth_limiter_refund(struct dpx_auth_limiter *l, uint32_t client);

#endif /* DPX_AUTH_H */
