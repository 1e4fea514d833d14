/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker SSL_CTX sets and the shared ticket keys.
 *
 * Certificates whose names are the same (an RSA and an ECDSA certificate
 * for one site) go into one SSL_CTX, where OpenSSL picks by the client's
 * signature algorithms. The servername callback moves a handshake to the
 * context whose names match the SNI: exact names first, then wildcards
 * ("*.example.com" covers one label); no SNI or no match gets the first
 * certificate's context, or an unrecognized_name alert when the listener
 * says "unknown_sni": "refuse".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "tls_priv.h"

/* ---------------------------------------------------------------------- */
/* SNI                                                                      */

/* The group serving host; exact names win over wildcards. */
static int find_group(const struct dpx_tls_server *srv, const char *host)
{
	int wild = -1;

	for (unsigned int g = 0; g < srv->n_groups; g++) {
		const struct dpx_tls_cert_conf *cc = srv->groups[g].names;

		for (unsigned int i = 0; i < cc->n_names; i++) {
			if (strcmp(cc->names[i], host) == 0)
				return (int)g;
			if (wild < 0 &&
			    dpx_tls_name_matches(cc->names[i], host))
				wild = (int)g;
		}
	}
	return wild;
}

static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct dpx_tls_server *srv = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	char host[DPX_TLS_NAME_LEN];
	size_t n;
	int g;

	if (name == NULL) {
		srv->stats->sni_missing++;
		if (!srv->conf->sni_strict)
			return SSL_TLSEXT_ERR_OK;
		srv->stats->sni_refused++;
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	n = strlen(name);
	if (n >= sizeof(host))
		n = sizeof(host) - 1;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ?
				 name[i] + 32 : name[i]);
	host[n] = '\0';
	g = find_group(srv, host);
	if (g < 0) {
		srv->stats->sni_unknown++;
		if (!srv->conf->sni_strict)
			return SSL_TLSEXT_ERR_OK;
		srv->stats->sni_refused++;
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if (srv->groups[g].ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, srv->groups[g].ctx);
	return SSL_TLSEXT_ERR_OK;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* Staples the response of the certificate the handshake chose. */
static int status_cb(SSL *ssl, void *arg)
{
	struct dpx_tls_server *srv = arg;
	X509 *x = SSL_get_certificate(ssl);

	for (unsigned int i = 0; i < srv->n_ocsp; i++) {
		unsigned char *copy;

		if (srv->ocsp[i].cert != x)
			continue;
		copy = OPENSSL_memdup(srv->ocsp[i].der, srv->ocsp[i].len);
		if (copy == NULL ||
		    SSL_set_tlsext_status_ocsp_resp(ssl, copy,
						    srv->ocsp[i].len) != 1) {
			OPENSSL_free(copy);
			return SSL_TLSEXT_ERR_NOACK;
		}
		srv->stats->ocsp_stapled++;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

long tls_read_file(const char *path, unsigned char **out)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	*out = NULL;
	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    n > (1 << 20) || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = OPENSSL_malloc((size_t)n)) == NULL) {
		fclose(f);
		errno = EINVAL;
		return -1;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		OPENSSL_free(buf);
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	*out = buf;
	return n;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct dpx_tls_server *srv = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	if (where & SSL_CB_READ_ALERT)
		srv->stats->alerts_received++;
	/* A TLS 1.2 ClientHello after the handshake is answered with a
	 * no_renegotiation alert (SSL_OP_NO_RENEGOTIATION). */
	if ((where & SSL_CB_WRITE_ALERT) &&
	    (ret & 0xff) == SSL_AD_NO_RENEGOTIATION)
		srv->stats->renegotiation_refused++;
}

/* ---------------------------------------------------------------------- */
/* Contexts                                                                 */

static bool same_names(const struct dpx_tls_cert_conf *a,
		       const struct dpx_tls_cert_conf *b)
{
	if (a->n_names != b->n_names)
		return false;
	for (unsigned int i = 0; i < a->n_names; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return true;
}

int tls_verify_mode(const struct dpx_tls_conf *tc)
{
	switch (tc->client_auth) {
	case DPX_TLS_CLIENT_AUTH_OPTIONAL:
		return SSL_VERIFY_PEER;
	case DPX_TLS_CLIENT_AUTH_REQUIRED:
		return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	default:
		return SSL_VERIFY_NONE;
	}
}

/*
 * Client certificates: every group's context gets the CAs, both as its
 * trust store and as the names sent in CertificateRequest, because the
 * SNI callback moves a handshake to another context and OpenSSL then
 * verifies with (and names the CAs of) that one. Each context has a store
 * of its own: no X509_STORE lock is shared between workers.
 */
static int ctx_client_auth(SSL_CTX *ctx, const struct dpx_tls_conf *tc,
			   char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	char why[256];

	if (tc->client_auth == DPX_TLS_CLIENT_AUTH_NONE)
		return 0;
	if (SSL_CTX_load_verify_locations(ctx, tc->client_ca, NULL) != 1) {
		snprintf(err, errlen, "%s: %s", tc->client_ca,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	names = SSL_load_client_CA_file(tc->client_ca);
	if (names == NULL) {
		snprintf(err, errlen, "%s: no CA names (%s)", tc->client_ca,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);     /* takes names */
	SSL_CTX_set_verify(ctx, tls_verify_mode(tc), NULL);
	SSL_CTX_set_verify_depth(ctx, (int)tc->client_verify_depth);
	return 0;
}

static SSL_CTX *ctx_new(struct dpx_tls_server *srv, char *err, size_t errlen)
{
	const struct dpx_tls_conf *tc = srv->conf;
	static const unsigned char sid_ctx[] = "dpx";
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];
	uint64_t opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			SSL_OP_NO_ANTI_REPLAY;

	if (ctx == NULL) {
		snprintf(err, errlen, "SSL_CTX_new: %s",
			 tls_ssl_reason(why, sizeof(why)));
		return NULL;
	}
	if (tc->prefer_server_ciphers)
		opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
	if (!tc->session_tickets)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(ctx, opts);
	if (SSL_CTX_set_min_proto_version(ctx, tc->min_version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, tc->max_version) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tc->ciphers) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, tc->ciphersuites) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, tc->groups) != 1 ||
	    SSL_CTX_set_session_id_context(ctx,
			tc->sid_ctx_len ? tc->sid_ctx : sid_ctx,
			tc->sid_ctx_len ? tc->sid_ctx_len :
					  sizeof(sid_ctx) - 1) != 1) {
		snprintf(err, errlen, "TLS settings: %s",
			 tls_ssl_reason(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The session id context above is what lets sessions resume once
	 * the peer is verified (OpenSSL refuses to resume without one); with
	 * client_auth it names the verification settings (tls_conf.c). */
	if (ctx_client_auth(ctx, tc, err, errlen) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_recv_max_early_data(ctx, 0);
	if (tc->session_cache > 0) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
		SSL_CTX_sess_set_cache_size(ctx, tc->session_cache);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	if (tc->session_tickets) {
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_key_cb);
		SSL_CTX_set_num_tickets(ctx, tc->tickets);
	}
	SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, srv);
	if (tc->alpn_http11)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, srv);
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
	SSL_CTX_set_tlsext_status_arg(ctx, srv);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_app_data(ctx, srv);
	return ctx;
}

static int ctx_add_cert(struct dpx_tls_server *srv, SSL_CTX *ctx,
			const struct dpx_tls_cert_conf *cc, char *err,
			size_t errlen)
{
	char why[256];
	struct tls_ocsp *o;

	if (SSL_CTX_use_certificate_chain_file(ctx, cc->cert) != 1) {
		snprintf(err, errlen, "%s: %s", cc->cert,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cc->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: %s", cc->key,
			 tls_ssl_reason(why, sizeof(why)));
		return -1;
	}
	if (cc->ocsp[0] == '\0')
		return 0;
	o = &srv->ocsp[srv->n_ocsp];
	o->len = tls_read_file(cc->ocsp, &o->der);
	if (o->len < 0) {
		snprintf(err, errlen, "%s: %s", cc->ocsp, strerror(errno));
		return -1;
	}
	o->cert = SSL_CTX_get0_certificate(ctx);   /* the one just loaded */
	srv->n_ocsp++;
	return 0;
}

struct dpx_tls_server *dpx_tls_server_new(struct dpx_tls_conf *conf,
					  const struct dpx_tls_keys *keys,
					  struct dpx_tls_stats *stats,
					  char *err, size_t errlen)
{
	struct dpx_tls_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->refs = 1;
	srv->conf = conf;
	dpx_tls_conf_get(conf);
	srv->keys = keys;
	srv->stats = stats;
	if (tls_bio_method() == NULL) {
		snprintf(err, errlen, "cannot create the mbuf BIO method");
		goto fail;
	}
	srv->ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (srv->ticket_cipher == NULL) {
		snprintf(err, errlen, "no AES-256-CBC for session tickets");
		goto fail;
	}
	for (unsigned int i = 0; i < conf->n_certs; i++) {
		const struct dpx_tls_cert_conf *cc = &conf->certs[i];
		unsigned int g;

		for (g = 0; g < srv->n_groups; g++)
			if (same_names(srv->groups[g].names, cc))
				break;
		if (g == srv->n_groups) {
			srv->groups[g].ctx = ctx_new(srv, err, errlen);
			if (srv->groups[g].ctx == NULL)
				goto fail;
			srv->groups[g].names = cc;
			srv->n_groups++;
		}
		if (ctx_add_cert(srv, srv->groups[g].ctx, cc, err, errlen) != 0)
			goto fail;
	}
	return srv;
fail:
	dpx_tls_server_release(srv);
	return NULL;
}

void dpx_tls_server_release(struct dpx_tls_server *srv)
{
	if (srv == NULL || --srv->refs > 0)
		return;
	for (unsigned int g = 0; g < srv->n_groups; g++)
		SSL_CTX_free(srv->groups[g].ctx);
	for (unsigned int i = 0; i < srv->n_ocsp; i++)
		OPENSSL_free(srv->ocsp[i].der);
	EVP_CIPHER_free(srv->ticket_cipher);
	dpx_tls_conf_put(srv->conf);
	free(srv);
}

void dpx_tls_stats_add(struct dpx_tls_stats *sum,
		       const struct dpx_tls_stats *s)
{
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *a = (const uint64_t *)s;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		d[i] += a[i];
}
