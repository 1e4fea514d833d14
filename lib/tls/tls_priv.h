/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/tls internals: the server's context groups and the mbuf BIO. */
#ifndef DPX_TLS_PRIV_H
#define DPX_TLS_PRIV_H

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "dpx_tls.h"

struct dpx_tls_keys {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
};

/* Certificates with the same names share one SSL_CTX. */
struct tls_group {
	SSL_CTX *ctx;
	const struct dpx_tls_cert_conf *names;  /* the group's first cert */
};

struct dpx_tls_server {
	const struct dpx_tls_conf *conf;
	const struct dpx_tls_keys *keys;
	struct dpx_tls_stats *stats;
	uint32_t handshaking;          /* connections in a handshake */
	unsigned int n_groups;
	struct tls_group groups[DPX_TLS_MAX_CERTS]; /* [0]: the default */
};

/* The BIO method over mbuf chains (created once, before workers run). */
const BIO_METHOD *tls_bio_method(void);

#endif /* DPX_TLS_PRIV_H */
