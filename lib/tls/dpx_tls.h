/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx tls: everything dpx does with OpenSSL. It owns the "tls" section of
 * listeners (schema, parse, validation: certificates are loaded and
 * checked when the configuration is), the per-worker SSL_CTX sets built
 * from it, the session-ticket keys that every worker shares, and the TLS
 * state of connections.
 *
 * Shared nothing on the data path: each worker has its own SSL_CTX per
 * certificate group (struct dpx_tls_server), so OpenSSL never takes a
 * lock that another worker holds. The one shared object is struct
 * dpx_tls_keys: the session-ticket keys of a listener, which every worker
 * reads without a lock and the control plane rotates (dpx_tls_keys_tick):
 * a ticket issued on one worker is decrypted on any other.
 *
 * Records move between dpx's TCP connections and OpenSSL through a BIO
 * method over mbuf chains: ciphertext received is read by OpenSSL straight
 * from the TCP stack's mbufs (no copy into a memory BIO first), and
 * records OpenSSL writes go into fresh mbufs that TCP sends as they are.
 * Plaintext is copied once each way, by OpenSSL's record layer itself.
 *
 * A connection (struct dpx_tls_conn) is driven by its owner:
 * dpx_tls_conn_input() hands it ciphertext, dpx_tls_conn_read() runs the
 * handshake and returns plaintext, dpx_tls_conn_write() encrypts,
 * dpx_tls_conn_output() takes what must be sent (handshake messages,
 * records, alerts), dpx_tls_conn_shutdown() queues close_notify.
 */
#ifndef DPX_TLS_H
#define DPX_TLS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dpx_config_kit.h"

#define DPX_TLS_MAX_CERTS 16
#define DPX_TLS_MAX_NAMES 32        /* names per certificate (SAN, CN) */
#define DPX_TLS_NAME_LEN 256
#define DPX_TLS_FILE_LEN 512
#define DPX_TLS_VERIFY_DEPTH_MAX 16

/* "client_auth": whether the handshake asks the client for a certificate. */
enum dpx_tls_client_auth {
	DPX_TLS_CLIENT_AUTH_NONE = 0,
	DPX_TLS_CLIENT_AUTH_OPTIONAL,  /* asked; none is fine, a bad one not */
	DPX_TLS_CLIENT_AUTH_REQUIRED,  /* none: the handshake fails */
};

struct dpx_tls_cert_conf {
	char cert[DPX_TLS_FILE_LEN];   /* PEM: certificate, then its chain */
	char key[DPX_TLS_FILE_LEN];    /* PEM private key */
	char ocsp[DPX_TLS_FILE_LEN];   /* DER OCSP response to staple; "" */
	/* Found in the certificate when the config is loaded: */
	bool ecdsa;                    /* else RSA */
	unsigned int n_names;
	char names[DPX_TLS_MAX_NAMES][DPX_TLS_NAME_LEN]; /* lower case */
};

/* A listener's "tls" object (docs/config.md). */
struct dpx_tls_conf {
	unsigned int n_certs;
	struct dpx_tls_cert_conf certs[DPX_TLS_MAX_CERTS];
	int min_version;               /* TLS1_2_VERSION or TLS1_3_VERSION */
	int max_version;
	char ciphers[512];             /* TLS 1.2 cipher list */
	char ciphersuites[256];        /* TLS 1.3 suites */
	char groups[128];
	bool prefer_server_ciphers;
	bool alpn_http11;              /* offer "http/1.1" */
	bool sni_strict;               /* unknown or missing SNI: refuse */
	bool session_tickets;
	uint32_t tickets;              /* TLS 1.3 tickets per full handshake */
	uint32_t session_cache;        /* per-worker cache entries; 0: off */
	uint32_t handshake_timeout_ms;
	uint32_t max_handshakes;       /* concurrent, per worker; 0: none */
	char ticket_keys_file[DPX_TLS_FILE_LEN]; /* "": random keys */
	uint32_t ticket_rotate_s;      /* new key (or file re-read); 0: never */
	enum dpx_tls_client_auth client_auth;
	char client_ca[DPX_TLS_FILE_LEN]; /* PEM CAs of client certificates */
	uint32_t client_verify_depth;  /* intermediates allowed in a chain */
	bool client_cert_headers;      /* X-SSL-Client-* to servers (http) */
	/* Session id context: a digest of the client_auth settings and CAs,
	 * so that sessions resume only where they were verified alike. */
	unsigned char sid_ctx[32];
	unsigned int sid_ctx_len;      /* 0: the plain "dpx" */
	/* 0: the configuration's own, released with it. Else a reload's
	 * copy, freed with the last server built on it. */
	atomic_uint refs;
};

/* The config hook (struct dpx_config_ext) for listeners' "tls". */
int dpx_tls_conf_parse(struct cfg_ctx *c, json_t *v, bool http, void **out);
void dpx_tls_conf_free(void *conf);

/*
 * Certificate reload: a copy of conf whose certificate, key and OCSP files
 * are read again and checked as the configuration's were (PEM, key
 * matching, names for SNI, OCSP response). NULL with err set ("certificates
 * [1].key: why") when one is refused. The copy holds one reference
 * (dpx_tls_conf_put() drops it); each server built on it holds another.
 * get and put do nothing on the configuration's own conf (refs 0).
 */
struct dpx_tls_conf *dpx_tls_conf_reload(const struct dpx_tls_conf *conf,
					 char *err, size_t errlen);
void dpx_tls_conf_get(struct dpx_tls_conf *conf);
void dpx_tls_conf_put(struct dpx_tls_conf *conf);

/* Ticket keys: one set per listener for every worker of the process.
 * create(): one random key, never rotated (tests). open(): the listener's
 * keys (its file, or random). tick(): the control plane's rotation, now
 * in ms; 0, or -1 with err set when the file could not be read (the old
 * keys stay). */
struct dpx_tls_keys;
struct dpx_tls_keys *dpx_tls_keys_create(void);
struct dpx_tls_keys *dpx_tls_keys_open(const struct dpx_tls_conf *conf,
				       char *err, size_t errlen);
int dpx_tls_keys_tick(struct dpx_tls_keys *k, uint64_t now_ms, char *err,
		      size_t errlen);
uint64_t dpx_tls_keys_rotations(const struct dpx_tls_keys *k);
void dpx_tls_keys_free(struct dpx_tls_keys *k);

/* Counters of one worker's TLS; the control plane sums them on read. */
struct dpx_tls_stats {
	uint64_t handshakes;           /* completed */
	uint64_t resumed;              /* ... of which resumed */
	uint64_t handshake_failed;     /* protocol errors, bad records */
	uint64_t handshake_timeouts;
	uint64_t handshakes_refused;   /* over max_handshakes */
	uint64_t sni_missing;          /* no SNI: default certificate */
	uint64_t sni_unknown;          /* no certificate for the name */
	uint64_t sni_refused;          /* ... and sni_strict */
	uint64_t version_refused;      /* below min_version */
	uint64_t downgrade_refused;    /* TLS_FALLBACK_SCSV below our best */
	uint64_t renegotiation_refused;
	uint64_t tls12;
	uint64_t tls13;
	uint64_t alerts_received;
	uint64_t close_notify_sent;
	uint64_t close_notify_received;
	uint64_t ocsp_stapled;
	uint64_t client_cert_verified; /* handshakes with a verified one */
	uint64_t client_cert_missing;  /* "required" and none sent */
	uint64_t client_cert_failed;   /* sent, did not verify */
	uint64_t no_memory;
	uint64_t verify_failed;        /* to servers: certificate refused */
	uint64_t reloads_adopted;      /* certificate reloads taken up */
};

/*
 * One listener's contexts on one worker. new() returns it with one
 * reference, its owner's; each connection created on it holds one more,
 * so that a server replaced by a reload lives on while connections
 * opened on it do. release() drops the owner's: the server is freed with
 * its last connection. The count is the worker's own (no atomics): a
 * server and its connections stay on one worker.
 */
struct dpx_tls_server;
struct dpx_tls_server *dpx_tls_server_new(struct dpx_tls_conf *conf,
					  const struct dpx_tls_keys *keys,
					  struct dpx_tls_stats *stats,
					  char *err, size_t errlen);
void dpx_tls_server_release(struct dpx_tls_server *srv);

enum dpx_tls_status {
	DPX_TLS_OK = 0,        /* progress; more may come with more input */
	DPX_TLS_CLOSED,        /* the peer sent close_notify */
	DPX_TLS_ERROR,         /* fatal: send what is queued (an alert), close */
};

struct dpx_tls_conn;
struct dpx_tls_conn *dpx_tls_conn_new(struct dpx_tls_server *srv,
				      struct rte_mempool *mp);
void dpx_tls_conn_free(struct dpx_tls_conn *t);
/* Ciphertext from the peer; the connection takes the chain. */
void dpx_tls_conn_input(struct dpx_tls_conn *t, struct rte_mbuf *m);
/* Ciphertext bytes received and not yet consumed by OpenSSL. */
uint32_t dpx_tls_conn_input_len(const struct dpx_tls_conn *t);
/* Received bytes not yet handed out as plaintext (ciphertext, or
 * records OpenSSL holds). */
bool dpx_tls_conn_has_input(const struct dpx_tls_conn *t);
/* Ciphertext bytes consumed since the last call (for the TCP window). */
uint32_t dpx_tls_conn_consumed(struct dpx_tls_conn *t);
/*
 * Advances the handshake, then decrypts up to max plaintext bytes into
 * new mbufs appended to the chain (head, tail); *len grows by the bytes
 * added.
 */
enum dpx_tls_status dpx_tls_conn_read(struct dpx_tls_conn *t, uint32_t max,
				      struct rte_mbuf **head,
				      struct rte_mbuf **tail, uint32_t *len);
bool dpx_tls_conn_established(const struct dpx_tls_conn *t);
/* Encrypts len bytes; 0 or -1 (out of memory, or not established). */
int dpx_tls_conn_write(struct dpx_tls_conn *t, const void *p, uint32_t len);
/* Queues close_notify (once). */
void dpx_tls_conn_shutdown(struct dpx_tls_conn *t);
/* Takes the ciphertext to send, as a chain of single-segment mbufs
 * (NULL when none); *len is its length. */
struct rte_mbuf *dpx_tls_conn_output(struct dpx_tls_conn *t, uint32_t *len);
/* Negotiated: "TLSv1.3"..., cipher name, SNI (NULL when none). */
const char *dpx_tls_conn_version(const struct dpx_tls_conn *t);
const char *dpx_tls_conn_cipher(const struct dpx_tls_conn *t);
const char *dpx_tls_conn_sni(const struct dpx_tls_conn *t);
/*
 * The client certificate that the handshake verified (client_auth), taken
 * once when the handshake completes (a resumed session keeps it): its
 * subject (RFC 2253, printable ASCII) and the SHA-256 of its DER in
 * lower-case hex. NULL when the client sent none.
 */
const char *dpx_tls_conn_client_subject(const struct dpx_tls_conn *t);
const char *dpx_tls_conn_client_sha256(const struct dpx_tls_conn *t);

/*
 * TLS to servers: a pool's "tls" object (docs/config.md), and per worker
 * one client context per pool. Sessions are kept per server, so a new
 * connection to a server resumes the last one's session.
 */
struct dpx_tls_client_conf {
	bool verify;                   /* the server's chain and name */
	char ca[DPX_TLS_FILE_LEN];     /* "": the system's CA store */
	char sni[DPX_TLS_NAME_LEN];    /* sent as SNI; "": none */
	bool sni_from_client;          /* "sni": "$client": the client's SNI */
	char verify_name[DPX_TLS_NAME_LEN]; /* "": the SNI sent */
	char cert[DPX_TLS_FILE_LEN];   /* client certificate; "": none */
	char key[DPX_TLS_FILE_LEN];
	bool session_reuse;
	int min_version;
	int max_version;
	char ciphers[512];
	char ciphersuites[256];
};

/* The config hook (struct dpx_config_ext) for pools' "tls". */
int dpx_tls_client_conf_parse(struct cfg_ctx *c, json_t *v, void **out);

struct dpx_tls_client;
struct dpx_tls_client *dpx_tls_client_new(const struct dpx_tls_client_conf *conf,
					  struct dpx_tls_stats *stats,
					  char *err, size_t errlen);
void dpx_tls_client_free(struct dpx_tls_client *cli);
/*
 * A connection to the pool's server number `server` (< DPX_TLS_MAX_PEERS)
 * in connect state; the handshake starts with the first
 * dpx_tls_conn_read(). sni: the client's SNI when the pool sends it
 * (NULL: none). NULL when out of memory.
 */
#define DPX_TLS_MAX_PEERS 64
struct dpx_tls_conn *dpx_tls_conn_connect(struct dpx_tls_client *cli,
					  struct rte_mempool *mp,
					  unsigned int server,
					  const char *client_sni);
/* Tells SNIs apart (sessions and kept-alive connections are reused only
 * for the SNI they were made with); NULL: 0. */
uint64_t dpx_tls_sni_hash(const char *sni);
/* Why the server's certificate was refused (X509 text), or NULL. */
const char *dpx_tls_conn_verify_error(const struct dpx_tls_conn *t);

/* sum += s, field by field. */
void dpx_tls_stats_add(struct dpx_tls_stats *sum,
		       const struct dpx_tls_stats *s);

/*
 * Routing without termination: what a ClientHello says, read from the
 * first bytes of a connection without decrypting anything.
 */
#define DPX_TLS_HELLO_MAX 16384     /* largest ClientHello read */
#define DPX_TLS_HELLO_ALPN 8

struct dpx_tls_hello {
	bool has_sni;
	char sni[256];                 /* host_name, lower case */
	unsigned int n_alpn;
	char alpn[DPX_TLS_HELLO_ALPN][32];
	uint16_t legacy_version;
	size_t hello_len;              /* bytes of the records carrying it */
};

/*
 * Reads the ClientHello at the start of p[0..len). Returns 1 with *h
 * filled; 0 when more bytes are needed (at least *need in all); -EBADMSG
 * when the bytes are not a well-formed ClientHello; -EMSGSIZE when it is
 * longer than max (at most DPX_TLS_HELLO_MAX) bytes.
 */
int dpx_tls_hello_parse(const uint8_t *p, size_t len, size_t max,
			struct dpx_tls_hello *h, size_t *need);

/* host is pattern, or pattern is "*.suffix" and host is one label more. */
bool dpx_tls_name_matches(const char *pattern, const char *host);

#endif /* DPX_TLS_H */
