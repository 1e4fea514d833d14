/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A listener's "tls" object: parsed with lib/core's toolkit, then checked
 * with OpenSSL itself (each certificate and key loaded and matched, cipher
 * lists and groups tried on a scratch SSL_CTX), so that a bad file or
 * string is refused when the configuration is loaded, at its key path.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_priv.h"

#define HANDSHAKE_TIMEOUT_MAX_MS 3600000
#define SESSION_CACHE_MAX (1u << 20)
/* TLS 1.3 tickets after a full handshake. OpenSSL's default is 2; a
 * resumption always brings a fresh one (tls_keys.c), so one keeps a
 * client that reconnects one connection at a time resuming, and each
 * ticket costs an encoding of the session, an encryption, a MAC and a
 * record (docs/config.md has the numbers). */
#define DEFAULT_TICKETS 1
#define TICKETS_MAX 8

static const char *const tls_keys[] = {
	"certificates", "min_version", "max_version", "ciphers",
	"ciphersuites", "groups", "prefer_server_ciphers", "alpn",
	"unknown_sni", "session_tickets", "tickets", "session_cache",
	"handshake_timeout_ms", "max_handshakes", "ticket_keys_file",
	"ticket_rotate_s", "client_auth", "client_ca", "client_verify_depth",
	"client_cert_headers", NULL
};
static const char *const cert_keys[] = { "cert", "key", "ocsp", NULL };
static const char *const versions[] = { "1.2", "1.3", NULL };
static const char *const sni_modes[] = { "default", "refuse", NULL };
/* In the order of enum dpx_tls_client_auth. */
static const char *const client_auths[] = { "none", "optional", "required",
					     NULL };

static const char default_ciphers[] =
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char default_suites[] =
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
	"TLS_CHACHA20_POLY1305_SHA256";
static const char default_groups[] = "X25519:P-256";

const char *tls_ssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, size, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

static void add_name(struct dpx_tls_cert_conf *cc, const char *s, size_t n)
{
	if (cc->n_names >= DPX_TLS_MAX_NAMES || n == 0 ||
	    n >= DPX_TLS_NAME_LEN)
		return;
	for (size_t i = 0; i < n; i++)
		cc->names[cc->n_names][i] = (char)tolower((unsigned char)s[i]);
	cc->names[cc->n_names][n] = '\0';
	cc->n_names++;
}

/* DNS names of the SAN extension, else the subject's CN. */
static void collect_names(struct dpx_tls_cert_conf *cc, X509 *x)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
					      NULL);
	X509_NAME *subj;
	int i;

	if (san != NULL) {
		for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

			if (g->type == GEN_DNS)
				add_name(cc, (const char *)
					 ASN1_STRING_get0_data(g->d.dNSName),
					 (size_t)ASN1_STRING_length(g->d.dNSName));
		}
		GENERAL_NAMES_free(san);
		if (cc->n_names > 0)
			return;
	}
	subj = X509_get_subject_name(x);
	i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (i >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(
			X509_NAME_get_entry(subj, i));

		add_name(cc, (const char *)ASN1_STRING_get0_data(cn),
			 (size_t)ASN1_STRING_length(cn));
	}
}

/* Loads cert and key, checks they match and the key's type, and reads
 * the names SNI selects by. On failure: why, and *key names the member
 * at fault ("cert" or "key"). Shared by config load and reload, so that a
 * reload refuses exactly what a start would. */
static int read_pair(struct dpx_tls_cert_conf *cc, const char **key,
		     char *why, size_t n)
{
	char ssl[256];
	FILE *f;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = -1;

	*key = "cert";
	f = fopen(cc->cert, "r");
	if (f == NULL) {
		snprintf(why, n, "cannot open %s: %s", cc->cert,
			 strerror(errno));
		return -1;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		snprintf(why, n, "%s: no PEM certificate (%s)", cc->cert,
			 tls_ssl_reason(ssl, sizeof(ssl)));
		return -1;
	}
	*key = "key";
	f = fopen(cc->key, "r");
	if (f == NULL) {
		snprintf(why, n, "cannot open %s: %s", cc->key,
			 strerror(errno));
		goto out;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		snprintf(why, n, "%s: no PEM private key (%s)", cc->key,
			 tls_ssl_reason(ssl, sizeof(ssl)));
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		snprintf(why, n, "%s does not match the certificate %s",
			 cc->key, cc->cert);
		goto out;
	}
	cc->ecdsa = EVP_PKEY_is_a(k, "EC");
	if (!cc->ecdsa && !EVP_PKEY_is_a(k, "RSA")) {
		snprintf(why, n, "%s: only RSA and ECDSA keys are supported",
			 cc->key);
		goto out;
	}
	cc->n_names = 0;
	collect_names(cc, x);
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* The OCSP response must be a DER OCSPResponse that says "successful". */
static int read_ocsp(const struct dpx_tls_cert_conf *cc, char *why, size_t n)
{
	unsigned char *der = NULL;
	long len;
	const unsigned char *p;
	OCSP_RESPONSE *r;
	int status;

	if (cc->ocsp[0] == '\0')
		return 0;
	len = tls_read_file(cc->ocsp, &der);
	if (len < 0) {
		snprintf(why, n, "cannot read %s: %s", cc->ocsp,
			 strerror(errno));
		return -1;
	}
	p = der;
	r = d2i_OCSP_RESPONSE(NULL, &p, len);
	status = r != NULL ? OCSP_response_status(r) : -1;
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	ERR_clear_error();
	if (status == OCSP_RESPONSE_STATUS_SUCCESSFUL)
		return 0;
	snprintf(why, n, "%s: %s", cc->ocsp, status < 0 ?
		 "not a DER OCSP response" :
		 "the OCSP response is not \"successful\"");
	return -1;
}

/* A certificate's files, checked at its key path. */
static int check_files(struct cfg_ctx *c, struct dpx_tls_cert_conf *cc)
{
	char why[DPX_TLS_FILE_LEN * 2 + 320];
	const char *key;

	if (read_pair(cc, &key, why, sizeof(why)) != 0) {
		cfg_push_key(c, key);
		return cfg_fail(c, false, "%s", why);
	}
	if (read_ocsp(cc, why, sizeof(why)) != 0) {
		cfg_push_key(c, "ocsp");
		return cfg_fail(c, false, "%s", why);
	}
	return 0;
}

static int parse_cert(struct cfg_ctx *c, json_t *v,
		      struct dpx_tls_cert_conf *cc)
{
	if (cfg_check_object(c, v, "an object with \"cert\" and \"key\"",
			     cert_keys) != 0 ||
	    cfg_required(c, v, "cert") == NULL ||
	    cfg_required(c, v, "key") == NULL ||
	    cfg_opt_string(c, v, "cert", NULL, cc->cert,
			   sizeof(cc->cert)) != 0 ||
	    cfg_opt_string(c, v, "key", NULL, cc->key, sizeof(cc->key)) != 0 ||
	    cfg_opt_string(c, v, "ocsp", NULL, cc->ocsp, sizeof(cc->ocsp)) != 0)
		return -1;
	return check_files(c, cc);
}

static int parse_certs(struct cfg_ctx *c, json_t *t, struct dpx_tls_conf *tc)
{
	json_t *v = cfg_required(c, t, "certificates"), *e;
	size_t i;

	if (v == NULL)
		return -1;
	cfg_push_key(c, "certificates");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cfg_type_error(c, v, "a non-empty array of "
				      "{\"cert\", \"key\"} objects");
	if (json_array_size(v) > DPX_TLS_MAX_CERTS)
		return cfg_fail(c, false, "at most %d certificates, got %zu",
				DPX_TLS_MAX_CERTS, json_array_size(v));
	json_array_foreach(v, i, e) {
		cfg_push_index(c, i);
		if (parse_cert(c, e, &tc->certs[i]) != 0)
			return -1;
		cfg_pop(c);
	}
	tc->n_certs = (unsigned int)i;
	cfg_pop(c);
	return 0;
}

static int parse_alpn(struct cfg_ctx *c, json_t *t, struct dpx_tls_conf *tc)
{
	json_t *v = json_object_get(t, "alpn"), *e;
	size_t i;

	if (v == NULL)
		return 0;
	cfg_push_key(c, "alpn");
	if (!json_is_array(v))
		return cfg_type_error(c, v, "an array of protocol names");
	tc->alpn_http11 = false;
	json_array_foreach(v, i, e) {
		const char *s;

		cfg_push_index(c, i);
		if (cfg_want_string(c, e, 32, false, &s) != 0)
			return -1;
		if (strcmp(s, "http/1.1") != 0)
			return cfg_fail(c, false, "only \"http/1.1\" is "
					"supported");
		tc->alpn_http11 = true;
		cfg_pop(c);
	}
	cfg_pop(c);
	return 0;
}

/* Cipher lists and groups, tried on a scratch context. */
static int check_lists(struct cfg_ctx *c, struct dpx_tls_conf *tc)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];
	int rc = -1;

	if (ctx == NULL)
		return cfg_fail(c, false, "OpenSSL: %s",
				tls_ssl_reason(why, sizeof(why)));
	if (SSL_CTX_set_cipher_list(ctx, tc->ciphers) != 1) {
		cfg_push_key(c, "ciphers");
		cfg_fail(c, false, "no usable cipher in \"%s\" (%s)",
			 tc->ciphers, tls_ssl_reason(why, sizeof(why)));
	} else if (SSL_CTX_set_ciphersuites(ctx, tc->ciphersuites) != 1) {
		cfg_push_key(c, "ciphersuites");
		cfg_fail(c, false, "no usable TLS 1.3 suite in \"%s\" (%s)",
			 tc->ciphersuites, tls_ssl_reason(why, sizeof(why)));
	} else if (SSL_CTX_set1_groups_list(ctx, tc->groups) != 1) {
		cfg_push_key(c, "groups");
		cfg_fail(c, false, "unknown group in \"%s\" (%s)", tc->groups,
			 tls_ssl_reason(why, sizeof(why)));
	} else {
		rc = 0;
	}
	SSL_CTX_free(ctx);
	return rc;
}

int tls_parse_versions(struct cfg_ctx *c, json_t *t, int *min, int *max)
{
	int lo = 0, hi = 1;

	if (cfg_opt_choice(c, t, "min_version", versions, &lo) != 0 ||
	    cfg_opt_choice(c, t, "max_version", versions, &hi) != 0)
		return -1;
	if (lo > hi) {
		cfg_push_key(c, "max_version");
		return cfg_fail(c, false, "below min_version \"%s\"",
				versions[lo]);
	}
	*min = lo == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
	*max = hi == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
	return 0;
}

static void set_defaults(struct dpx_tls_conf *tc, bool http)
{
	memset(tc, 0, sizeof(*tc));
	snprintf(tc->ciphers, sizeof(tc->ciphers), "%s", default_ciphers);
	snprintf(tc->ciphersuites, sizeof(tc->ciphersuites), "%s",
		 default_suites);
	snprintf(tc->groups, sizeof(tc->groups), "%s", default_groups);
	tc->prefer_server_ciphers = true;
	tc->alpn_http11 = http;
	tc->session_tickets = true;
	tc->tickets = DEFAULT_TICKETS;
	tc->handshake_timeout_ms = 10000;
	tc->max_handshakes = 1024;
	tc->ticket_rotate_s = 3600;
}

/* The key file must read now; workers and rotation read it again. */
static int check_keys_file(struct cfg_ctx *c, struct dpx_tls_conf *tc)
{
	struct tls_key keys[TLS_KEY_SLOTS];
	char why[300];

	if (tc->ticket_keys_file[0] == '\0')
		return 0;
	if (tls_keys_file_read(tc->ticket_keys_file, keys, why,
			       sizeof(why)) < 0) {
		cfg_push_key(c, "ticket_keys_file");
		return cfg_fail(c, false, "%s", why);
	}
	OPENSSL_cleanse(keys, sizeof(keys));
	return 0;
}

/*
 * OpenSSL resumes a session (ticket or cache) only when its session id
 * context matches, and a resumed session is not verified again. Listeners
 * that share a ticket key file but not these settings must not accept
 * each other's sessions: a ticket from one without client_auth would
 * skip "required" on the other.
 */
static int client_sid_ctx(struct dpx_tls_conf *tc,
			  STACK_OF(X509_INFO) *infos)
{
	uint32_t params[2] = { (uint32_t)tc->client_auth,
			       tc->client_verify_depth };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der_md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(md, params, sizeof(params));

	for (int i = 0; ok && i < sk_X509_INFO_num(infos); i++) {
		X509 *x = sk_X509_INFO_value(infos, i)->x509;

		if (x != NULL)
			ok = X509_digest(x, EVP_sha256(), der_md, &n) &&
			     EVP_DigestUpdate(md, der_md, n);
	}
	ok = ok && EVP_DigestFinal_ex(md, tc->sid_ctx, &n) && n == 32;
	EVP_MD_CTX_free(md);
	tc->sid_ctx_len = ok ? 32 : 0;
	return ok ? 0 : -1;
}

/* The client CA file must hold certificates now: a typo would otherwise
 * refuse every client, or (optional) let none verify. */
static int check_client_ca_file(struct cfg_ctx *c, struct dpx_tls_conf *tc)
{
	const char *path = tc->client_ca;
	STACK_OF(X509_INFO) *infos;
	char why[256];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return cfg_fail(c, false, "cannot open %s: %m", path);
	infos = PEM_X509_INFO_read(f, NULL, NULL, NULL);
	fclose(f);
	if (infos == NULL)
		return cfg_fail(c, false, "%s: not PEM (%s)", path,
				tls_ssl_reason(why, sizeof(why)));
	for (int i = 0; i < sk_X509_INFO_num(infos); i++)
		if (sk_X509_INFO_value(infos, i)->x509 != NULL)
			n++;
	if (n > 0 && client_sid_ctx(tc, infos) != 0)
		n = -1;
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	ERR_clear_error();
	if (n == 0)
		return cfg_fail(c, false, "%s: no PEM certificate", path);
	if (n < 0)
		return cfg_fail(c, false, "out of memory");
	return 0;
}

static int parse_client_auth(struct cfg_ctx *c, json_t *t,
			     struct dpx_tls_conf *tc, bool http)
{
	int mode = 0;

	tc->client_verify_depth = 1;   /* as nginx's ssl_verify_depth */
	if (cfg_opt_choice(c, t, "client_auth", client_auths, &mode) != 0 ||
	    cfg_opt_string(c, t, "client_ca", NULL, tc->client_ca,
			   sizeof(tc->client_ca)) != 0 ||
	    cfg_opt_u32(c, t, "client_verify_depth", 0,
			DPX_TLS_VERIFY_DEPTH_MAX, false,
			&tc->client_verify_depth) != 0 ||
	    cfg_opt_bool(c, t, "client_cert_headers",
			 &tc->client_cert_headers) != 0)
		return -1;
	tc->client_auth = (enum dpx_tls_client_auth)mode;
	if (tc->client_cert_headers && !http) {
		cfg_push_key(c, "client_cert_headers");
		return cfg_fail(c, false, "only on \"http\" listeners");
	}
	if (tc->client_auth == DPX_TLS_CLIENT_AUTH_NONE) {
		if (tc->client_ca[0] == '\0')
			return 0;
		/* A CA file that nothing uses is most likely a forgotten
		 * client_auth: refused rather than silently not checked. */
		cfg_push_key(c, "client_ca");
		return cfg_fail(c, false, "set, but \"client_auth\" is "
				"\"none\"");
	}
	if (tc->client_ca[0] == '\0') {
		cfg_push_key(c, "client_auth");
		return cfg_fail(c, false, "\"%s\" needs \"client_ca\", the "
				"CAs of client certificates",
				client_auths[mode]);
	}
	cfg_push_key(c, "client_ca");
	if (check_client_ca_file(c, tc) != 0)
		return -1;
	cfg_pop(c);
	return 0;
}

int dpx_tls_conf_parse(struct cfg_ctx *c, json_t *v, bool http, void **out)
{
	struct dpx_tls_conf *tc = calloc(1, sizeof(*tc));
	int sni = 0;

	if (tc == NULL)
		return cfg_fail(c, false, "out of memory");
	set_defaults(tc, http);
	if (cfg_check_object(c, v, "an object", tls_keys) != 0 ||
	    parse_certs(c, v, tc) != 0 ||
	    tls_parse_versions(c, v, &tc->min_version, &tc->max_version) != 0 ||
	    cfg_opt_string(c, v, "ciphers", NULL, tc->ciphers,
			   sizeof(tc->ciphers)) != 0 ||
	    cfg_opt_string(c, v, "ciphersuites", NULL, tc->ciphersuites,
			   sizeof(tc->ciphersuites)) != 0 ||
	    cfg_opt_string(c, v, "groups", NULL, tc->groups,
			   sizeof(tc->groups)) != 0 ||
	    cfg_opt_bool(c, v, "prefer_server_ciphers",
			 &tc->prefer_server_ciphers) != 0 ||
	    parse_alpn(c, v, tc) != 0 ||
	    cfg_opt_choice(c, v, "unknown_sni", sni_modes, &sni) != 0 ||
	    cfg_opt_bool(c, v, "session_tickets", &tc->session_tickets) != 0 ||
	    cfg_opt_u32(c, v, "tickets", 1, TICKETS_MAX, false,
			&tc->tickets) != 0 ||
	    cfg_opt_u32(c, v, "session_cache", 0, SESSION_CACHE_MAX, false,
			&tc->session_cache) != 0 ||
	    cfg_opt_u32(c, v, "handshake_timeout_ms", 100,
			HANDSHAKE_TIMEOUT_MAX_MS, false,
			&tc->handshake_timeout_ms) != 0 ||
	    cfg_opt_u32(c, v, "max_handshakes", 0, 1u << 20, false,
			&tc->max_handshakes) != 0 ||
	    cfg_opt_string(c, v, "ticket_keys_file", NULL,
			   tc->ticket_keys_file,
			   sizeof(tc->ticket_keys_file)) != 0 ||
	    cfg_opt_u32(c, v, "ticket_rotate_s", 0, 7 * 86400, false,
			&tc->ticket_rotate_s) != 0 ||
	    parse_client_auth(c, v, tc, http) != 0 ||
	    check_keys_file(c, tc) != 0 ||
	    check_lists(c, tc) != 0) {
		free(tc);
		return -1;
	}
	tc->sni_strict = sni == 1;
	*out = tc;
	return 0;
}

void dpx_tls_conf_free(void *conf)
{
	free(conf);
}

/* One certificate's files read again; err names the member at fault. */
static int reread_cert(struct dpx_tls_cert_conf *cc, unsigned int i,
		       char *err, size_t errlen)
{
	char why[DPX_TLS_FILE_LEN * 2 + 320];
	const char *key;

	if (read_pair(cc, &key, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "certificates[%u].%s: %s", i, key, why);
		return -1;
	}
	if (read_ocsp(cc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "certificates[%u].ocsp: %s", i, why);
		return -1;
	}
	return 0;
}

struct dpx_tls_conf *dpx_tls_conf_reload(const struct dpx_tls_conf *conf,
					 char *err, size_t errlen)
{
	struct dpx_tls_conf *tc = malloc(sizeof(*tc));

	if (tc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(tc, conf, sizeof(*tc));
	atomic_init(&tc->refs, 1);
	for (unsigned int i = 0; i < tc->n_certs; i++) {
		if (reread_cert(&tc->certs[i], i, err, errlen) != 0) {
			free(tc);
			return NULL;
		}
	}
	return tc;
}

void dpx_tls_conf_get(struct dpx_tls_conf *conf)
{
	if (atomic_load_explicit(&conf->refs, memory_order_relaxed) != 0)
		atomic_fetch_add_explicit(&conf->refs, 1,
					  memory_order_relaxed);
}

void dpx_tls_conf_put(struct dpx_tls_conf *conf)
{
	/* Servers of one reload live on several workers: the last one to
	 * go, on whichever worker, frees the copy. */
	if (conf != NULL &&
	    atomic_load_explicit(&conf->refs, memory_order_relaxed) != 0 &&
	    atomic_fetch_sub_explicit(&conf->refs, 1,
				      memory_order_acq_rel) == 1)
		free(conf);
}
