/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/tls internals: the server's context groups and the mbuf BIO. */
#ifndef DPX_TLS_PRIV_H
#define DPX_TLS_PRIV_H

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <time.h>

#include "dpx_tls.h"

#include <stdatomic.h>

/*
 * Ticket keys: a few slots, one of which encrypts; every slot decrypts.
 * The control plane rotates by writing the next slot under its sequence
 * count, then moving `current` to it; workers copy a slot and retry when
 * its count was odd or moved meanwhile (a seqlock: no lock, no free).
 */
#define TLS_KEY_SLOTS 4

struct tls_key {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
};

struct tls_key_slot {
	atomic_uint seq;
	struct tls_key k;
};

struct dpx_tls_keys {
	atomic_uint current;
	struct tls_key_slot slot[TLS_KEY_SLOTS];
	/* Control plane only: */
	const struct dpx_tls_conf *conf;
	uint64_t next_ms;              /* next rotation or file check */
	struct timespec file_mtime;
	uint64_t rotations;
};

/* The key that encrypts now, or the one named name (false: none). */
void tls_keys_current(const struct dpx_tls_keys *k, struct tls_key *out);
bool tls_keys_find(const struct dpx_tls_keys *k, const unsigned char *name,
		   struct tls_key *out, bool *is_current);

/* Certificates with the same names share one SSL_CTX. */
struct tls_group {
	SSL_CTX *ctx;
	const struct dpx_tls_cert_conf *names;  /* the group's first cert */
};

/* A certificate's OCSP response, stapled when a client asks. */
struct tls_ocsp {
	X509 *cert;                    /* as loaded in its SSL_CTX */
	unsigned char *der;
	long len;
};

struct dpx_tls_server {
	struct dpx_tls_conf *conf;     /* a reload's copy is held (refs) */
	uint32_t refs;                 /* owner + connections; worker-local */
	unsigned int n_ocsp;
	struct tls_ocsp ocsp[DPX_TLS_MAX_CERTS];
	const struct dpx_tls_keys *keys;
	struct dpx_tls_stats *stats;
	uint32_t handshaking;          /* connections in a handshake */
	/* Fetched once: OpenSSL 3 looks a cipher named by EVP_aes_256_cbc()
	 * up in its provider store on every init, i.e. on every ticket. */
	EVP_CIPHER *ticket_cipher;
	unsigned int n_groups;
	struct tls_group groups[DPX_TLS_MAX_CERTS]; /* [0]: the default */
};

/* SSL_VERIFY_* for the listener's client_auth (tls_ctx.c). */
int tls_verify_mode(const struct dpx_tls_conf *tc);

/* OpenSSL's ticket key callback (tls_keys.c). */
int tls_ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
		      EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc);
/* The keys of a ticket key file, in order; count or -1 with err set. */
int tls_keys_file_read(const char *file, struct tls_key *keys, char *err,
		       size_t errlen);

/* "min_version" and "max_version" ("1.2", "1.3") of a listener's or a
 * pool's "tls" into TLS1_x_VERSION (tls_conf.c). */
int tls_parse_versions(struct cfg_ctx *c, json_t *t, int *min, int *max);

/* OpenSSL's reason for the last failure in buf, and its error queue
 * emptied (tls_conf.c). */
const char *tls_ssl_reason(char *buf, size_t size);
/* A whole file into *out (OPENSSL_malloc); its length, or -1 (errno). */
long tls_read_file(const char *path, unsigned char **out);

/* A connection of a client context (tls_client.c builds its SSL). */
struct dpx_tls_conn *tls_conn_connect(struct dpx_tls_client *cli,
				      SSL_CTX *ctx, struct dpx_tls_stats *st,
				      uint32_t *handshaking,
				      struct rte_mempool *mp,
				      unsigned int server);
SSL *tls_conn_ssl(struct dpx_tls_conn *t);
unsigned int tls_conn_server(const struct dpx_tls_conn *t);

/* The BIO method over mbuf chains (created once, before workers run). */
const BIO_METHOD *tls_bio_method(void);

#endif /* DPX_TLS_PRIV_H */
