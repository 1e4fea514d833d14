/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS to servers: a pool's "tls" object and the per-worker client
 * context built from it.
 *
 * Validation builds the very context a worker builds, so a CA bundle, a
 * client certificate or a cipher list that OpenSSL refuses is a config
 * error with OpenSSL's reason, not a failure on the first connection.
 *
 * Each worker keeps the last session each server gave it (TLS 1.3 sends
 * it after the handshake, so it is taken from the new-session callback)
 * and offers it on the next connection to that server: a kept-alive pool
 * that reconnects resumes instead of paying a full handshake. A session
 * is offered only with the SNI it was made for.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_priv.h"

static const char *const client_keys[] = {
	"verify", "ca", "sni", "verify_name", "cert", "key", "session_reuse",
	"min_version", "max_version", "ciphers", "ciphersuites", NULL
};

/* TLS 1.2 suites with forward secrecy and AEAD, as on listeners. */
static const char default_ciphers[] =
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

#define CLIENT_SNI_MARK "$client"

struct tls_peer_session {
	SSL_SESSION *sess;
	uint64_t sni_hash;             /* of the SNI it was made with */
};

struct dpx_tls_client {
	const struct dpx_tls_client_conf *conf;
	SSL_CTX *ctx;
	struct dpx_tls_stats *stats;
	uint32_t handshaking;
	struct tls_peer_session peer[DPX_TLS_MAX_PEERS];
};

uint64_t dpx_tls_sni_hash(const char *sni)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);     /* FNV-1a */

	if (sni == NULL)
		return 0;
	while (*sni != '\0')
		h = (h ^ (unsigned char)*sni++) * UINT64_C(0x100000001b3);
	return h;
}

static bool is_ip_literal(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ||
	       inet_pton(AF_INET6, s, &a) == 1;
}

/* ---------------------------------------------------------------------- */
/* The client context                                                       */

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct dpx_tls_conn *t = SSL_get_app_data(ssl);
	struct dpx_tls_client *cli = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct tls_peer_session *p;

	if (t == NULL || cli == NULL || !cli->conf->session_reuse)
		return 0;
	p = &cli->peer[tls_conn_server(t)];
	SSL_SESSION_free(p->sess);
	p->sess = sess;                /* the reference OpenSSL gave us */
	p->sni_hash = dpx_tls_sni_hash(SSL_get_servername(ssl,
						  TLSEXT_NAMETYPE_host_name));
	return 1;
}

static int ctx_trust(SSL_CTX *ctx, const struct dpx_tls_client_conf *cc,
		     char *err, size_t errlen)
{
	char why[256];

	if (!cc->verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cc->ca[0] == '\0') {
		if (SSL_CTX_set_default_verify_paths(ctx) == 1)
			return 0;
		snprintf(err, errlen, "the system's CA store: %s",
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	if (SSL_CTX_load_verify_locations(ctx, cc->ca, NULL) != 1) {
		snprintf(err, errlen, "ca %s: %s", cc->ca,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	return 0;
}

static int ctx_identity(SSL_CTX *ctx, const struct dpx_tls_client_conf *cc,
			char *err, size_t errlen)
{
	char why[256];

	if (cc->cert[0] == '\0')
		return 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, cc->cert) != 1) {
		snprintf(err, errlen, "cert %s: %s", cc->cert,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cc->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "key %s: %s", cc->key,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	return 0;
}

static SSL_CTX *client_ctx_new(const struct dpx_tls_client_conf *cc,
			       char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char why[256];

	if (ctx == NULL) {
		snprintf(err, errlen, "SSL_CTX_new: %s",
			 tls_ssl_reason(why, sizeof(why)));
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
				 SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_set_min_proto_version(ctx, cc->min_version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, cc->max_version) != 1) {
		snprintf(err, errlen, "versions: %s",
			 tls_ssl_reason(why, sizeof(why)));
	} else if (SSL_CTX_set_cipher_list(ctx, cc->ciphers) != 1) {
		snprintf(err, errlen, "ciphers \"%s\": %s", cc->ciphers,
			 tls_ssl_reason(why, sizeof(why)));
	} else if (cc->ciphersuites[0] != '\0' &&
		   SSL_CTX_set_ciphersuites(ctx, cc->ciphersuites) != 1) {
		snprintf(err, errlen, "ciphersuites \"%s\": %s",
			 cc->ciphersuites, tls_ssl_reason(why, sizeof(why)));
	} else if (ctx_trust(ctx, cc, err, errlen) == 0 &&
		   ctx_identity(ctx, cc, err, errlen) == 0) {
		/* Sessions are kept by us per server, not in OpenSSL's
		 * cache, which would need a lookup key per server. */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
					       SSL_SESS_CACHE_NO_INTERNAL);
		SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
		return ctx;
	}
	SSL_CTX_free(ctx);
	return NULL;
}

struct dpx_tls_client *dpx_tls_client_new(const struct dpx_tls_client_conf *conf,
					  struct dpx_tls_stats *stats,
					  char *err, size_t errlen)
{
	struct dpx_tls_client *cli = calloc(1, sizeof(*cli));

	if (cli == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (tls_bio_method() == NULL) {
		snprintf(err, errlen, "cannot create the mbuf BIO method");
		free(cli);
		return NULL;
	}
	cli->conf = conf;
	cli->stats = stats;
	cli->ctx = client_ctx_new(conf, err, errlen);
	if (cli->ctx == NULL) {
		free(cli);
		return NULL;
	}
	SSL_CTX_set_app_data(cli->ctx, cli);
	return cli;
}

void dpx_tls_client_free(struct dpx_tls_client *cli)
{
	if (cli == NULL)
		return;
	for (unsigned int i = 0; i < DPX_TLS_MAX_PEERS; i++)
		SSL_SESSION_free(cli->peer[i].sess);
	SSL_CTX_free(cli->ctx);
	free(cli);
}

/* ---------------------------------------------------------------------- */
/* Connections                                                              */

/* SNI, the name to verify and the session to offer. */
static int conn_setup(struct dpx_tls_client *cli, SSL *ssl,
		      unsigned int server, const char *sni)
{
	const struct dpx_tls_client_conf *cc = cli->conf;
	const char *name = cc->verify_name[0] != '\0' ? cc->verify_name : sni;
	struct tls_peer_session *p = &cli->peer[server];

	if (sni != NULL && sni[0] != '\0' && !is_ip_literal(sni) &&
	    SSL_set_tlsext_host_name(ssl, sni) != 1)
		return -1;
	if (cc->verify && name != NULL && name[0] != '\0') {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		int rc = is_ip_literal(name) ?
			 X509_VERIFY_PARAM_set1_ip_asc(vp, name) :
			 SSL_set1_host(ssl, name);

		if (rc != 1)
			return -1;
	}
	if (p->sess != NULL && p->sni_hash == dpx_tls_sni_hash(sni) &&
	    SSL_set_session(ssl, p->sess) != 1)
		return -1;
	return 0;
}

struct dpx_tls_conn *dpx_tls_conn_connect(struct dpx_tls_client *cli,
					  struct rte_mempool *mp,
					  unsigned int server,
					  const char *client_sni)
{
	const struct dpx_tls_client_conf *cc = cli->conf;
	const char *sni = cc->sni_from_client ? client_sni :
			  cc->sni[0] != '\0' ? cc->sni : NULL;
	struct dpx_tls_conn *t;

	if (server >= DPX_TLS_MAX_PEERS)
		return NULL;
	t = tls_conn_connect(cli, cli->ctx, cli->stats, &cli->handshaking, mp,
			     server);
	if (t == NULL)
		return NULL;
	if (conn_setup(cli, tls_conn_ssl(t), server, sni) != 0) {
		ERR_clear_error();
		cli->stats->no_memory++;
		dpx_tls_conn_free(t);
		return NULL;
	}
	return t;
}

const char *dpx_tls_conn_verify_error(const struct dpx_tls_conn *t)
{
	long r = SSL_get_verify_result(tls_conn_ssl((struct dpx_tls_conn *)t));

	return r == X509_V_OK ? NULL : X509_verify_cert_error_string(r);
}

/* ---------------------------------------------------------------------- */
/* Config                                                                   */

/* "cert" and "key" come together. */
static int check_identity_keys(struct cfg_ctx *c, json_t *v,
			       const struct dpx_tls_client_conf *cc)
{
	if ((cc->cert[0] == '\0') == (cc->key[0] == '\0'))
		return 0;
	cfg_push_key(c, cc->cert[0] == '\0' ? "key" : "cert");
	(void)v;
	return cfg_fail(c, true, "\"cert\" and \"key\" go together");
}

static int parse_client_sni(struct cfg_ctx *c, json_t *v,
			    struct dpx_tls_client_conf *cc)
{
	if (cfg_opt_string(c, v, "sni", NULL, cc->sni, sizeof(cc->sni)) != 0 ||
	    cfg_opt_string(c, v, "verify_name", NULL, cc->verify_name,
			   sizeof(cc->verify_name)) != 0)
		return -1;
	if (strcmp(cc->sni, CLIENT_SNI_MARK) == 0) {
		cc->sni_from_client = true;
		cc->sni[0] = '\0';
	} else if (cc->sni[0] == '$') {
		cfg_push_key(c, "sni");
		return cfg_fail(c, false, "a host name, or \"%s\" for the "
				"client's SNI", CLIENT_SNI_MARK);
	}
	return 0;
}

/* Files named must open, so that the error says why when they do not. */
static int check_files(struct cfg_ctx *c, const struct dpx_tls_client_conf *cc)
{
	const char *const keys[] = { "ca", "cert", "key" };
	const char *const paths[] = { cc->ca, cc->cert, cc->key };

	for (size_t i = 0; i < 3; i++) {
		FILE *f;

		if (paths[i][0] == '\0')
			continue;
		f = fopen(paths[i], "r");
		if (f == NULL) {
			cfg_push_key(c, keys[i]);
			return cfg_fail(c, false, "cannot open %s: %m",
					paths[i]);
		}
		fclose(f);
	}
	return 0;
}

int dpx_tls_client_conf_parse(struct cfg_ctx *c, json_t *v, void **out)
{
	struct dpx_tls_client_conf *cc = calloc(1, sizeof(*cc));
	char err[768];
	SSL_CTX *ctx;

	if (cc == NULL)
		return cfg_fail(c, false, "out of memory");
	cc->verify = true;
	cc->session_reuse = true;
	snprintf(cc->ciphers, sizeof(cc->ciphers), "%s", default_ciphers);
	if (cfg_check_object(c, v, "an object", client_keys) != 0 ||
	    cfg_opt_bool(c, v, "verify", &cc->verify) != 0 ||
	    cfg_opt_string(c, v, "ca", NULL, cc->ca, sizeof(cc->ca)) != 0 ||
	    parse_client_sni(c, v, cc) != 0 ||
	    cfg_opt_string(c, v, "cert", NULL, cc->cert,
			   sizeof(cc->cert)) != 0 ||
	    cfg_opt_string(c, v, "key", NULL, cc->key, sizeof(cc->key)) != 0 ||
	    check_identity_keys(c, v, cc) != 0 ||
	    cfg_opt_bool(c, v, "session_reuse", &cc->session_reuse) != 0 ||
	    tls_parse_versions(c, v, &cc->min_version, &cc->max_version) != 0 ||
	    cfg_opt_string(c, v, "ciphers", NULL, cc->ciphers,
			   sizeof(cc->ciphers)) != 0 ||
	    cfg_opt_string(c, v, "ciphersuites", NULL, cc->ciphersuites,
			   sizeof(cc->ciphersuites)) != 0 ||
	    check_files(c, cc) != 0) {
		free(cc);
		return -1;
	}
	ctx = client_ctx_new(cc, err, sizeof(err));
	if (ctx == NULL) {
		free(cc);
		return cfg_fail(c, false, "%s", err);
	}
	SSL_CTX_free(ctx);
	*out = cc;
	return 0;
}
