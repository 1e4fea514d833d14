/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/tls: the "tls" section's rules (through the config
 * hook, with certificates made here), and the connection state machine
 * driven record by record against an OpenSSL client over memory BIOs:
 * handshakes (TLS 1.2 and 1.3, fed whole or one byte at a time), SNI and
 * certificate-type selection, data both ways, close_notify, garbage, a
 * version below the floor, the handshake limit, and client certificates
 * (verified, from an unknown CA, missing, kept across resumption).
 * (Tickets across workers are tested end to end with openssl s_client in
 * test_tls.sh.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <rte_mbuf.h>

#include "dpx_core.h"
#include "dpx_tls.h"
#include "dpx_test.h"
#include "test_eal.h"

static char dir[64];
static char text[8192];
static char err[DPX_ERR_LEN];
static struct dpx_config cfg;
static struct rte_mempool *mp;

static const struct dpx_config_ext ext = {
	.listener_tls = dpx_tls_conf_parse,
	.pool_tls = dpx_tls_client_conf_parse,
	.release_tls = dpx_tls_conf_free,
};

/* ---------------------------------------------------------------------- */
/* Test certificates                                                        */

static EVP_PKEY *ca_key;
static X509 *ca_cert;

/* The client certificates' CA, and one client certificate it signed. */
static EVP_PKEY *client_ca_key;
static X509 *client_ca_cert;
static X509 *client_cert;

/* A certificate signed by ikey/icert, or self-signed when ca. */
static X509 *make_cert_by(EVP_PKEY *key, const char *org, const char *cn,
			  const char *san, bool ca, EVP_PKEY *ikey,
			  X509 *icert)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;

	ASN1_INTEGER_set(X509_get_serialNumber(x), rand() & 0x7fffffff);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	if (org != NULL)
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					   (const unsigned char *)org, -1, -1,
					   0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, ca ? n : X509_get_subject_name(icert));
	X509V3_set_ctx(&v3, ca ? x : icert, x, NULL, NULL, 0);
	if (san != NULL) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (ca) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
					"critical,CA:TRUE");
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, ca ? key : ikey, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san,
		       bool ca)
{
	return make_cert_by(key, NULL, cn, san, ca, ca_key, ca_cert);
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	if (ca_cert != NULL && x != ca_cert)
		PEM_write_X509(f, ca_cert);   /* the chain */
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* name.pem / name.key in dir; rsa or P-256. */
static void leaf(const char *name, bool rsa, const char *cn, const char *san)
{
	EVP_PKEY *k = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	X509 *x = make_cert(k, cn, san, false);

	write_pem(name, x, k);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void write_x509(const char *name, X509 *x)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
}

/* client-ca.pem: a CA of its own; client.pem/.key: a certificate it
 * signed, whose CN needs RFC 2253 escaping; rogue.pem/.key: a client
 * certificate from the server CA, unknown to client-ca.pem. */
static void make_client_pki(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	char path[128];
	FILE *f;

	client_ca_key = EVP_EC_gen("P-256");
	client_ca_cert = make_cert_by(client_ca_key, NULL, "client ca", NULL,
				      true, NULL, NULL);
	write_x509("client-ca", client_ca_cert);
	client_cert = make_cert_by(k, "dpx test", "client, one", NULL, false,
				   client_ca_key, client_ca_cert);
	write_x509("client", client_cert);
	snprintf(path, sizeof(path), "%s/client.key", dir);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(k);
	leaf("rogue", false, "rogue", NULL);
}

static void make_pki(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dpx-test-tls-%d", (int)getpid());
	CHECK(mkdir(dir, 0700) == 0);
	ca_key = EVP_EC_gen("P-256");
	ca_cert = make_cert(ca_key, "test ca", NULL, true);
	leaf("dflt", true, "default.test", "DNS:default.test");
	leaf("www-rsa", true, "www rsa", "DNS:www.example.test");
	leaf("www-ec", false, "www ec", "DNS:www.example.test");
	leaf("wild", false, "wild", "DNS:*.wild.test");
	leaf("cnonly", false, "cn.test", NULL);
	write_pem("ca", ca_cert, ca_key);
	make_client_pki();
}

static void remove_pki(void)
{
	static const char *const names[] = { "dflt", "www-rsa", "www-ec",
					     "wild", "cnonly", "ca", "client",
					     "client-ca", "rogue" };
	char path[160];

	for (size_t i = 0; i < RTE_DIM(names); i++) {
		snprintf(path, sizeof(path), "%s/%s.pem", dir, names[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s.key", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	X509_free(client_cert);
	X509_free(client_ca_cert);
	EVP_PKEY_free(client_ca_key);
}

/* ---------------------------------------------------------------------- */
/* Config                                                                   */

#define CERT(n) "{\"cert\":\"%s/" n ".pem\",\"key\":\"%s/" n ".key\"}"

/* A config with one http listener whose "tls" is tls (printf, %s = dir
 * pairs for each CERT). */
static int load_tls(const char *mode, const char *tls)
{
	int n = snprintf(text, sizeof(text),
		"{\"ports\":[{\"device\":\"net_tap0\",\"addresses\":"
		"[\"198.18.0.1/24\"]}],\"pools\":[{\"name\":\"p\",\"servers\":"
		"[{\"address\":\"198.18.0.2\",\"port\":80}]}],\"listeners\":"
		"[{\"address\":\"198.18.0.1\",\"port\":443,\"mode\":\"%s\",\"pool\":\"p\",\"tls\":%s}]}",
		mode, tls);

	CHECK(n > 0 && (size_t)n < sizeof(text));
	return dpx_config_load_buffer("t.json", text, strlen(text), &cfg, err,
				      sizeof(err));
}

static char tlsbuf[4096];

static const char *with_dir(const char *f)
{
	/* every %s is dir */
	snprintf(tlsbuf, sizeof(tlsbuf), f, dir, dir, dir, dir, dir, dir, dir,
		 dir);
	return tlsbuf;
}

static void test_conf_defaults(void)
{
	const struct dpx_tls_conf *tc;

	CHECK_EQ(load_tls("http", with_dir("{\"certificates\":[" CERT("dflt")
		 "," CERT("wild") "," CERT("cnonly") "]}")), 0);
	tc = cfg.listeners[0].tls;
	CHECK(tc != NULL);
	if (tc == NULL)
		return;
	CHECK_EQ(tc->n_certs, 3);
	CHECK_EQ(tc->min_version, TLS1_2_VERSION);
	CHECK_EQ(tc->max_version, TLS1_3_VERSION);
	CHECK(tc->alpn_http11);
	CHECK(tc->session_tickets);
	CHECK(!tc->sni_strict);
	CHECK_EQ(tc->handshake_timeout_ms, 10000);
	CHECK(!tc->certs[0].ecdsa);
	CHECK(tc->certs[1].ecdsa);
	CHECK_EQ(tc->certs[1].n_names, 1);
	CHECK(strcmp(tc->certs[1].names[0], "*.wild.test") == 0);
	CHECK(strcmp(tc->certs[2].names[0], "cn.test") == 0);  /* CN only */
	dpx_config_release(&cfg);
	CHECK(cfg.listeners[0].tls == NULL);
	/* tcp listeners offer no ALPN unless asked. */
	CHECK_EQ(load_tls("tcp", with_dir("{\"certificates\":[" CERT("dflt")
		 "],\"min_version\":\"1.3\",\"unknown_sni\":\"refuse\"}")), 0);
	tc = cfg.listeners[0].tls;
	CHECK(tc != NULL && !tc->alpn_http11 && tc->sni_strict &&
	      tc->min_version == TLS1_3_VERSION);
	dpx_config_release(&cfg);
}

/* The load fails and err contains want. */
static void bad(const char *mode, const char *tls, const char *want)
{
	CHECK_EQ(load_tls(mode, tls), -1);
	CHECK_STR_CONTAINS(err, want);
}

static void test_conf_errors(void)
{
	bad("http", "{}", "listeners[0].tls: missing required key \"certificates\"");
	bad("http", "{\"certificates\":[]}", "non-empty array");
	bad("http", "{\"certificates\":[{\"cert\":\"/nonexistent.pem\","
	    "\"key\":\"/nonexistent.key\"}]}",
	    "tls.certificates[0].cert: cannot open /nonexistent.pem");
	bad("http", with_dir("{\"certificates\":[{\"cert\":\"%s/dflt.pem\","
	    "\"key\":\"%s/wild.key\"}]}"), "does not match the certificate");
	bad("http", with_dir("{\"certificates\":[{\"cert\":\"%s/dflt.key\","
	    "\"key\":\"%s/dflt.key\"}]}"), "no PEM certificate");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"ciphers\":\"NOPE\"}"), "tls.ciphers: no usable cipher");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"ciphersuites\":\"TLS_NOPE\"}"), "tls.ciphersuites:");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"groups\":\"P-1\"}"), "tls.groups: unknown group");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"min_version\":\"1.3\",\"max_version\":\"1.2\"}"),
	    "tls.max_version: below min_version");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"min_version\":\"1.1\"}"), "tls.min_version:");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"alpn\":[\"h2\"]}"), "only \"http/1.1\" is supported");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"sni\":1}"), "tls.sni");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"handshake_timeout_ms\":1}"), "tls.handshake_timeout_ms");
	bad("static", with_dir("{\"certificates\":[" CERT("dflt") "]}"),
	    "only for mode http or tcp");
	bad("http", with_dir("{\"certificates\":[{\"cert\":\"%s/dflt.pem\","
	    "\"key\":\"%s/dflt.key\",\"ocsp\":\"/nonexistent.der\"}]}"),
	    "tls.certificates[0].ocsp: cannot read /nonexistent.der");
	bad("http", with_dir("{\"certificates\":[{\"cert\":\"%s/dflt.pem\","
	    "\"key\":\"%s/dflt.key\",\"ocsp\":\"%s/dflt.pem\"}]}"),
	    "not a DER OCSP response");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"ticket_keys_file\":\"/nonexistent.keys\"}"),
	    "tls.ticket_keys_file: cannot open /nonexistent.keys");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"ticket_keys_file\":\"%s/dflt.key\"}"),
	    "not the base64 of an 80-byte key");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"ticket_rotate_s\":604801}"), "tls.ticket_rotate_s");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"tickets\":0}"), "tls.tickets");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"tickets\":9}"), "tls.tickets");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"tickets\":\"2\"}"), "tls.tickets");
	/* No hook: the program has no TLS. */
	dpx_config_set_ext(NULL);
	bad("http", with_dir("{\"certificates\":[" CERT("dflt") "]}"),
	    "TLS is not supported by this program");
	dpx_config_set_ext(&ext);
}


#define CLIENT_CA "\"client_ca\":\"%s/client-ca.pem\""

static void test_conf_client_auth(void)
{
	const struct dpx_tls_conf *tc;

	CHECK_EQ(load_tls("http", with_dir("{\"certificates\":[" CERT("dflt")
		 "]}")), 0);
	tc = cfg.listeners[0].tls;
	CHECK(tc != NULL && tc->client_auth == DPX_TLS_CLIENT_AUTH_NONE &&
	      tc->client_verify_depth == 1 && !tc->client_cert_headers);
	dpx_config_release(&cfg);
	CHECK_EQ(load_tls("http", with_dir("{\"certificates\":[" CERT("dflt")
		 "],\"client_auth\":\"required\"," CLIENT_CA ","
		 "\"client_verify_depth\":3,\"client_cert_headers\":true}")),
		 0);
	tc = cfg.listeners[0].tls;
	CHECK(tc != NULL && tc->client_auth == DPX_TLS_CLIENT_AUTH_REQUIRED &&
	      tc->client_verify_depth == 3 && tc->client_cert_headers &&
	      strstr(tc->client_ca, "client-ca.pem") != NULL);
	dpx_config_release(&cfg);
	CHECK_EQ(load_tls("tcp", with_dir("{\"certificates\":[" CERT("dflt")
		 "],\"client_auth\":\"optional\"," CLIENT_CA "}")), 0);
	tc = cfg.listeners[0].tls;
	CHECK(tc != NULL && tc->client_auth == DPX_TLS_CLIENT_AUTH_OPTIONAL);
	dpx_config_release(&cfg);

	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"maybe\"," CLIENT_CA "}"), "tls.client_auth:");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"required\"}"),
	    "tls.client_auth: \"required\" needs \"client_ca\"");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"optional\"}"),
	    "tls.client_auth: \"optional\" needs \"client_ca\"");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"optional\","
	    "\"client_ca\":\"/nonexistent.pem\"}"),
	    "tls.client_ca: cannot open /nonexistent.pem");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"optional\",\"client_ca\":\"%s/dflt.key\"}"),
	    "dflt.key: no PEM certificate");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "]," CLIENT_CA "}"), "tls.client_ca: set, but \"client_auth\" is");
	bad("tcp", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"optional\"," CLIENT_CA
	    ",\"client_cert_headers\":true}"),
	    "tls.client_cert_headers: only on \"http\" listeners");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_auth\":\"optional\"," CLIENT_CA
	    ",\"client_verify_depth\":17}"), "tls.client_verify_depth");
	bad("http", with_dir("{\"certificates\":[" CERT("dflt")
	    "],\"client_cert_headers\":1}"), "tls.client_cert_headers");
}

/* ---------------------------------------------------------------------- */
/* Connections                                                              */

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in;   /* what the server sent, for the client to read */
	BIO *out;  /* what the client wrote, for the server */
};

static void client_new(struct client *c, int version, const char *sni,
		       const char *sigalgs)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (version != 0) {
		SSL_CTX_set_min_proto_version(c->ctx, version);
		SSL_CTX_set_max_proto_version(c->ctx, version);
	}
	if (version == TLS1_1_VERSION)
		SSL_CTX_set_security_level(c->ctx, 0);
	if (sigalgs != NULL)
		SSL_CTX_set1_sigalgs_list(c->ctx, sigalgs);
	c->ssl = SSL_new(c->ctx);
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	SSL_set_bio(c->ssl, c->in, c->out);
	SSL_set_connect_state(c->ssl);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c->ssl, sni);
}

static void client_free(struct client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
}

/* Client -> server: what the client wrote, as mbufs of at most seg
 * bytes, each fed and read separately. Returns the last status. */
static enum dpx_tls_status pump_to_server(struct client *c,
					  struct dpx_tls_conn *t, size_t seg,
					  char *plain, uint32_t *plen)
{
	enum dpx_tls_status st = DPX_TLS_OK;
	char buf[16384];
	int n;

	while ((n = BIO_read(c->out, buf, sizeof(buf))) > 0) {
		for (int off = 0; off < n; off += (int)seg) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *h = NULL,
					*tl = NULL;
			uint32_t k = (uint32_t)RTE_MIN((size_t)(n - off), seg),
				 got = 0;

			memcpy(rte_pktmbuf_append(m, (uint16_t)k), buf + off, k);
			dpx_tls_conn_input(t, m);
			st = dpx_tls_conn_read(t, 1 << 20, &h, &tl, &got);
			for (struct rte_mbuf *p = h; p != NULL;) {
				struct rte_mbuf *next = p->next;

				if (plain != NULL) {
					memcpy(plain + *plen,
					       rte_pktmbuf_mtod(p, char *),
					       p->data_len);
					*plen += p->data_len;
				}
				p->next = NULL;
				rte_pktmbuf_free(p);
				p = next;
			}
			if (st != DPX_TLS_OK)
				return st;
		}
	}
	return st;
}

/* Server -> client: what the server queued. */
static uint32_t pump_to_client(struct client *c, struct dpx_tls_conn *t)
{
	uint32_t len, total = 0;
	struct rte_mbuf *m = dpx_tls_conn_output(t, &len);

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		BIO_write(c->in, rte_pktmbuf_mtod(m, void *), m->data_len);
		total += m->data_len;
		m->next = NULL;
		rte_pktmbuf_free(m);
		m = next;
	}
	CHECK_EQ(total, len);
	return total;
}

/* Runs the handshake; seg: ciphertext bytes per "segment". */
static bool handshake(struct client *c, struct dpx_tls_conn *t, size_t seg)
{
	for (int round = 0; round < 10; round++) {
		int r = SSL_do_handshake(c->ssl);

		if (pump_to_server(c, t, seg, NULL, NULL) == DPX_TLS_ERROR) {
			pump_to_client(c, t);
			return false;
		}
		pump_to_client(c, t);
		if (r == 1 && dpx_tls_conn_established(t))
			return true;
	}
	return false;
}

static struct dpx_tls_conf *tls_conf(void)
{
	CHECK_EQ(load_tls("http", with_dir("{\"certificates\":["
		 CERT("dflt") "," CERT("www-rsa") "," CERT("www-ec") ","
		 CERT("wild") "]}")), 0);
	return cfg.listeners[0].tls;
}

/* The CN of the certificate the client got. */
static void peer_cn(struct client *c, char *buf, size_t size)
{
	X509 *x = SSL_get1_peer_certificate(c->ssl);

	buf[0] = '\0';
	if (x != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
					  NID_commonName, buf, (int)size);
		X509_free(x);
	}
}

static void check_cert(struct dpx_tls_server *srv, const char *sni,
		       const char *sigalgs, int version, const char *want)
{
	struct dpx_tls_conn *t = dpx_tls_conn_new(srv, mp);
	struct client c;
	char cn[64];

	client_new(&c, version, sni, sigalgs);
	CHECK(handshake(&c, t, 1 << 20));
	peer_cn(&c, cn, sizeof(cn));
	if (strcmp(cn, want) != 0) {
		fprintf(stderr, "SNI %s sigalgs %s: got \"%s\", want \"%s\"\n",
			sni ? sni : "(none)", sigalgs ? sigalgs : "-", cn,
			want);
		CHECK(0);
	}
	client_free(&c);
	dpx_tls_conn_free(t);
}

static void test_selection(void)
{
	struct dpx_tls_conf *tc = tls_conf();
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *srv = dpx_tls_server_new(tc, keys, &st, err,
							 sizeof(err));

	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	check_cert(srv, "www.example.test", "ECDSA+SHA256", 0, "www ec");
	check_cert(srv, "www.example.test", "RSA-PSS+SHA256:RSA+SHA256", 0,
		   "www rsa");
	check_cert(srv, "WWW.Example.TEST", "ECDSA+SHA256", 0, "www ec");
	check_cert(srv, "a.wild.test", NULL, 0, "wild");
	check_cert(srv, "a.b.wild.test", NULL, 0, "default.test");
	check_cert(srv, "wild.test", NULL, 0, "default.test");
	check_cert(srv, "other.test", NULL, 0, "default.test");
	check_cert(srv, NULL, NULL, 0, "default.test");
	CHECK_EQ(st.sni_missing, 1);
	CHECK_EQ(st.sni_unknown, 3);
	CHECK_EQ(st.handshakes, 8);
	CHECK_EQ(st.tls13, 8);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	dpx_config_release(&cfg);
}

/* Data both ways after a handshake fed one byte at a time, then
 * close_notify from each side. */
static void test_data_and_close(int version)
{
	struct dpx_tls_conf *tc = tls_conf();
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *srv = dpx_tls_server_new(tc, keys, &st, err,
							 sizeof(err));
	struct dpx_tls_conn *t = dpx_tls_conn_new(srv, mp);
	static char big[100000], got[200000];
	uint32_t glen = 0;
	struct client c;
	size_t n;

	client_new(&c, version, "www.example.test", NULL);
	CHECK(handshake(&c, t, 1));
	CHECK_EQ(version == TLS1_2_VERSION ? st.tls12 : st.tls13, 1);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	/* client -> server, 100 KB in 700-byte segments */
	CHECK(SSL_write_ex(c.ssl, big, sizeof(big), &n) == 1);
	CHECK_EQ(pump_to_server(&c, t, 700, got, &glen), DPX_TLS_OK);
	CHECK_EQ(glen, sizeof(big));
	CHECK(memcmp(got, big, sizeof(big)) == 0);
	/* server -> client */
	CHECK_EQ(dpx_tls_conn_write(t, big, sizeof(big)), 0);
	CHECK(pump_to_client(&c, t) > sizeof(big));
	CHECK(SSL_read_ex(c.ssl, got, sizeof(got), &n) == 1);
	glen = (uint32_t)n;
	while (glen < sizeof(big) &&
	       SSL_read_ex(c.ssl, got + glen, sizeof(got) - glen, &n) == 1)
		glen += (uint32_t)n;
	CHECK_EQ(glen, sizeof(big));
	CHECK(memcmp(got, big, sizeof(big)) == 0);
	/* the client closes: CLOSED, then our close_notify */
	SSL_shutdown(c.ssl);
	glen = 0;
	CHECK_EQ(pump_to_server(&c, t, 1 << 20, got, &glen), DPX_TLS_CLOSED);
	CHECK_EQ(st.close_notify_received, 1);
	dpx_tls_conn_shutdown(t);
	dpx_tls_conn_shutdown(t);   /* once */
	CHECK(pump_to_client(&c, t) > 0);
	CHECK_EQ(SSL_shutdown(c.ssl), 1);
	CHECK_EQ(st.close_notify_sent, 1);
	client_free(&c);
	dpx_tls_conn_free(t);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	dpx_config_release(&cfg);
}

static void test_tls13(void) { test_data_and_close(TLS1_3_VERSION); }
static void test_tls12(void) { test_data_and_close(TLS1_2_VERSION); }

/* Garbage, TLS 1.1, and a handshake limit: errors, counted, no leak. */
static void test_refusals(void)
{
	struct dpx_tls_conf *tc = tls_conf();
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *srv = dpx_tls_server_new(tc, keys, &st, err,
							 sizeof(err));
	struct dpx_tls_conn *t = dpx_tls_conn_new(srv, mp), *u[4];
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *h = NULL, *tl = NULL;
	uint32_t got = 0;
	struct client c;

	memcpy(rte_pktmbuf_append(m, 20), "GET / HTTP/1.1\r\nHost", 20);
	dpx_tls_conn_input(t, m);
	CHECK_EQ(dpx_tls_conn_read(t, 1 << 20, &h, &tl, &got), DPX_TLS_ERROR);
	CHECK(h == NULL && got == 0);
	CHECK_EQ(st.handshake_failed, 1);
	dpx_tls_conn_free(t);

	t = dpx_tls_conn_new(srv, mp);
	client_new(&c, TLS1_1_VERSION, "www.example.test", NULL);
	CHECK(!handshake(&c, t, 1 << 20));
	CHECK_EQ(st.version_refused, 1);
	CHECK_EQ(st.handshake_failed, 2);
	client_free(&c);
	dpx_tls_conn_free(t);

	/* max_handshakes: the default 1024; a server of 2 by hand. */
	((struct dpx_tls_conf *)tc)->max_handshakes = 2;
	u[0] = dpx_tls_conn_new(srv, mp);
	u[1] = dpx_tls_conn_new(srv, mp);
	u[2] = dpx_tls_conn_new(srv, mp);
	CHECK(u[0] != NULL && u[1] != NULL && u[2] == NULL);
	CHECK_EQ(st.handshakes_refused, 1);
	dpx_tls_conn_free(u[0]);
	u[3] = dpx_tls_conn_new(srv, mp);
	CHECK(u[3] != NULL);
	dpx_tls_conn_free(u[1]);
	dpx_tls_conn_free(u[3]);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	dpx_config_release(&cfg);
}


/* ---------------------------------------------------------------------- */
/* Client certificates                                                      */

struct mtls {
	struct dpx_tls_stats st;
	struct dpx_tls_keys *keys;
	struct dpx_tls_server *srv;
};

/* A server with every test certificate (so SNI moves handshakes between
 * contexts) and client_auth mode. */
static bool mtls_start(struct mtls *m, const char *mode)
{
	char tls[1024];

	memset(m, 0, sizeof(*m));
	snprintf(tls, sizeof(tls), "{\"certificates\":[" CERT("dflt") ","
		 CERT("www-rsa") "," CERT("www-ec") "],\"client_auth\":\"%s\","
		 CLIENT_CA "}", "%s", "%s", "%s", "%s", "%s", "%s", mode, "%s");
	CHECK_EQ(load_tls("http", with_dir(tls)), 0);
	if (cfg.listeners[0].tls == NULL)
		return false;
	m->keys = dpx_tls_keys_create();
	m->srv = dpx_tls_server_new(cfg.listeners[0].tls, m->keys, &m->st,
				    err, sizeof(err));
	CHECK(m->srv != NULL);
	return m->srv != NULL;
}

static void mtls_stop(struct mtls *m)
{
	dpx_tls_server_release(m->srv);
	dpx_tls_keys_free(m->keys);
	dpx_config_release(&cfg);
}

/* The client presents name.pem / name.key. */
static void client_use_cert(struct client *c, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	CHECK_EQ(SSL_use_certificate_chain_file(c->ssl, path), 1);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	CHECK_EQ(SSL_use_PrivateKey_file(c->ssl, path, SSL_FILETYPE_PEM), 1);
}

/* SHA-256 of x's DER, lower-case hex, computed apart from lib/tls's way. */
static void der_sha256(X509 *x, char out[65])
{
	unsigned char *der = NULL, md[32];
	int n = i2d_X509(x, &der);
	unsigned int mdlen = 0;

	CHECK(n > 0);
	CHECK_EQ(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(der);
}

/* The client reads what came after the handshake (TLS 1.3 tickets). */
static void client_drain(struct client *c)
{
	char buf[64];
	size_t n;

	CHECK(SSL_read_ex(c->ssl, buf, sizeof(buf), &n) == 0);
	ERR_clear_error();
}

static void check_client_cert(int version)
{
	struct mtls m;
	struct dpx_tls_conn *t;
	SSL_SESSION *sess;
	struct client c;
	char want[65];

	if (!mtls_start(&m, "required"))
		return;
	der_sha256(client_cert, want);
	t = dpx_tls_conn_new(m.srv, mp);
	client_new(&c, version, "www.example.test", NULL);
	client_use_cert(&c, "client");
	CHECK(handshake(&c, t, 1 << 20));
	CHECK_EQ(m.st.client_cert_verified, 1);
	CHECK(dpx_tls_conn_client_subject(t) != NULL &&
	      strcmp(dpx_tls_conn_client_subject(t),
		     "CN=client\\, one,O=dpx test") == 0);
	CHECK(dpx_tls_conn_client_sha256(t) != NULL &&
	      strcmp(dpx_tls_conn_client_sha256(t), want) == 0);
	client_drain(&c);
	/* A copy: freeing the connection without close_notify marks its
	 * own session not resumable (OpenSSL's ssl_clear_bad_session). */
	sess = SSL_SESSION_dup(SSL_get0_session(c.ssl));
	client_free(&c);
	dpx_tls_conn_free(t);

	/* Resumed: no certificate sent again, the session's is kept. */
	t = dpx_tls_conn_new(m.srv, mp);
	client_new(&c, version, "www.example.test", NULL);
	SSL_set_session(c.ssl, sess);
	CHECK(handshake(&c, t, 1 << 20));
	CHECK(SSL_session_reused(c.ssl));
	CHECK_EQ(m.st.resumed, 1);
	CHECK_EQ(m.st.client_cert_verified, 2);
	CHECK(dpx_tls_conn_client_sha256(t) != NULL &&
	      strcmp(dpx_tls_conn_client_sha256(t), want) == 0);
	SSL_SESSION_free(sess);
	client_free(&c);
	dpx_tls_conn_free(t);
	CHECK_EQ(m.st.handshake_failed, 0);
	mtls_stop(&m);
}

/* docs/config.md: "tickets" defaults to 1. */
#define DEFAULT_TICKETS_WANT 1

/* Tickets the client was given (its new-session callback). */
static unsigned int tickets_seen;

static int count_ticket(SSL *ssl, SSL_SESSION *sess)
{
	(void)ssl;
	(void)sess;
	tickets_seen++;
	return 0;       /* not kept: the test dups the session itself */
}

/* One TLS 1.3 connection; the session the client ended up with (NULL:
 * none) and how many tickets came. */
static SSL_SESSION *ticket_round(struct dpx_tls_server *srv,
				 SSL_SESSION *resume, unsigned int *tickets)
{
	struct dpx_tls_conn *t = dpx_tls_conn_new(srv, mp);
	SSL_SESSION *sess = NULL;
	struct client c;

	client_new(&c, TLS1_3_VERSION, "www.example.test", NULL);
	SSL_CTX_set_session_cache_mode(c.ctx, SSL_SESS_CACHE_CLIENT);
	SSL_CTX_sess_set_new_cb(c.ctx, count_ticket);
	if (resume != NULL)
		SSL_set_session(c.ssl, resume);
	tickets_seen = 0;
	CHECK(handshake(&c, t, 1 << 20));
	client_drain(&c);
	*tickets = tickets_seen;
	if (SSL_get0_session(c.ssl) != NULL)
		sess = SSL_SESSION_dup(SSL_get0_session(c.ssl));
	client_free(&c);
	dpx_tls_conn_free(t);
	return sess;
}

/* "tickets": that many after a full handshake, one after a resumption
 * (renewed, so a client reconnecting one at a time always has one). */
static void check_tickets(const char *opt, unsigned int want)
{
	char json[512];
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *srv;
	struct dpx_tls_conf *tc;
	SSL_SESSION *sess, *next;
	unsigned int n = 0;

	snprintf(json, sizeof(json), "{\"certificates\":[" CERT("www-ec")
		 "]%s}", dir, dir, opt);
	CHECK_EQ(load_tls("http", json), 0);
	CHECK(cfg.listeners[0].tls != NULL);
	if (cfg.listeners[0].tls == NULL)
		return;
	tc = cfg.listeners[0].tls;
	CHECK_EQ(tc->tickets, want);
	srv = dpx_tls_server_new(tc, keys, &st, err, sizeof(err));
	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	sess = ticket_round(srv, NULL, &n);
	CHECK_EQ(n, want);
	CHECK(sess != NULL);
	next = ticket_round(srv, sess, &n);
	CHECK_EQ(st.resumed, 1);
	CHECK_EQ(n, 1);
	SSL_SESSION_free(sess);
	SSL_SESSION_free(next);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	dpx_config_release(&cfg);
}

static void test_tickets(void)
{
	check_tickets("", DEFAULT_TICKETS_WANT);
	check_tickets(",\"tickets\":2", 2);
	check_tickets(",\"tickets\":3", 3);
}

/*
 * Not a test: DPX_TLS_HS_COST=N test_tls prints the server side's CPU
 * time (thread CPU, so a loaded machine's preemption is left out) per
 * full TLS 1.3 handshake, ECDSA P-256 and RSA-2048, with 1 and 2
 * tickets: dpx's TLS code and OpenSSL's server work, not the client's
 * (run in the same thread, untimed) nor TCP's.
 */
static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double timed_handshake(struct dpx_tls_server *srv)
{
	double ns = 0, t0 = thread_ns();
	struct dpx_tls_conn *t = dpx_tls_conn_new(srv, mp);
	struct client c;

	ns += thread_ns() - t0;
	client_new(&c, TLS1_3_VERSION, "www.example.test", NULL);
	for (int round = 0; round < 10; round++) {
		int r = SSL_do_handshake(c.ssl);

		t0 = thread_ns();
		pump_to_server(&c, t, 1 << 20, NULL, NULL);
		pump_to_client(&c, t);
		ns += thread_ns() - t0;
		if (r == 1 && dpx_tls_conn_established(t))
			break;
	}
	CHECK(dpx_tls_conn_established(t));
	client_drain(&c);
	client_free(&c);
	t0 = thread_ns();
	dpx_tls_conn_free(t);
	return ns + thread_ns() - t0;
}

struct hs_case {
	const char *cert;
	unsigned int tickets;
	struct dpx_tls_conf conf;
	struct dpx_tls_keys *keys;
	struct dpx_tls_stats st;
	struct dpx_tls_server *srv;
	double batch_us[64];
};

static bool hs_case_open(struct hs_case *hc)
{
	char json[512];

	snprintf(json, sizeof(json), "{\"certificates\":[{\"cert\":"
		 "\"%s/%s.pem\",\"key\":\"%s/%s.key\"}],\"tickets\":%u}",
		 dir, hc->cert, dir, hc->cert, hc->tickets);
	if (load_tls("http", json) != 0 || cfg.listeners[0].tls == NULL)
		return false;
	hc->conf = *(const struct dpx_tls_conf *)cfg.listeners[0].tls;
	dpx_config_release(&cfg);
	hc->keys = dpx_tls_keys_create();
	hc->srv = dpx_tls_server_new(&hc->conf, hc->keys, &hc->st, err,
				     sizeof(err));
	return hc->srv != NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Batches of each case in turn, so that the machine's drift (a loaded
 * VM) hits every case alike; the median batch per case is printed. */
static void test_hs_cost(void)
{
	static struct hs_case cases[] = {
		{ .cert = "www-ec", .tickets = 1 },
		{ .cert = "www-ec", .tickets = 2 },
		{ .cert = "www-rsa", .tickets = 1 },
		{ .cert = "www-rsa", .tickets = 2 },
	};
	const char *env = getenv("DPX_TLS_HS_COST");
	int batches = env != NULL ? atoi(env) : 0, per = 20;

	if (batches <= 0)
		return;
	if (batches > 64)
		batches = 64;
	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		CHECK(hs_case_open(&cases[i]));
		if (cases[i].srv == NULL)
			return;
		timed_handshake(cases[i].srv);          /* warm-up */
	}
	for (int b = 0; b < batches; b++)
		for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
			double ns = 0;

			for (int k = 0; k < per; k++)
				ns += timed_handshake(cases[i].srv);
			cases[i].batch_us[b] = ns / per / 1e3;
		}
	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		struct hs_case *hc = &cases[i];

		qsort(hc->batch_us, (size_t)batches, sizeof(double),
		      cmp_double);
		printf("HS_COST cert=%s tickets=%u handshakes=%d "
		       "server_us_median=%.1f min=%.1f\n", hc->cert,
		       hc->tickets, batches * per, hc->batch_us[batches / 2],
		       hc->batch_us[0]);
		CHECK_EQ(hc->st.handshake_failed, 0);
		dpx_tls_server_release(hc->srv);
		dpx_tls_keys_free(hc->keys);
	}
}

static void test_client_cert13(void) { check_client_cert(TLS1_3_VERSION); }
static void test_client_cert12(void) { check_client_cert(TLS1_2_VERSION); }

/* A ticket from a listener without client_auth that shares the ticket
 * keys is not resumed where a certificate is required: the session id
 * contexts differ, so the client must authenticate in full. */
static void test_client_cert_no_foreign_ticket(void)
{
	static struct dpx_tls_conf plain;
	struct dpx_tls_stats pst = { 0 };
	struct dpx_tls_server *psrv;
	struct dpx_tls_conn *t;
	SSL_SESSION *sess;
	struct client c;
	struct mtls m;

	CHECK_EQ(load_tls("http", with_dir("{\"certificates\":[" CERT("dflt")
		 "]}")), 0);
	if (cfg.listeners[0].tls == NULL)
		return;
	plain = *(const struct dpx_tls_conf *)cfg.listeners[0].tls;
	dpx_config_release(&cfg);
	if (!mtls_start(&m, "required"))
		return;
	psrv = dpx_tls_server_new(&plain, m.keys, &pst, err, sizeof(err));
	CHECK(psrv != NULL);
	if (psrv == NULL)
		return;
	t = dpx_tls_conn_new(psrv, mp);
	client_new(&c, TLS1_3_VERSION, NULL, NULL);
	CHECK(handshake(&c, t, 1 << 20));
	client_drain(&c);
	sess = SSL_SESSION_dup(SSL_get0_session(c.ssl));
	client_free(&c);
	dpx_tls_conn_free(t);

	t = dpx_tls_conn_new(m.srv, mp);
	client_new(&c, TLS1_3_VERSION, NULL, NULL);
	SSL_set_session(c.ssl, sess);
	CHECK(!handshake(&c, t, 1 << 20));
	CHECK_EQ(m.st.resumed, 0);
	CHECK_EQ(m.st.client_cert_missing, 1);
	SSL_SESSION_free(sess);
	client_free(&c);
	dpx_tls_conn_free(t);
	dpx_tls_server_release(psrv);
	mtls_stop(&m);
}

/* The CA names sent in CertificateRequest are client_ca's. */
static void test_client_ca_names(void)
{
	struct mtls m;
	struct dpx_tls_conn *t;
	STACK_OF(X509_NAME) *names;
	struct client c;

	if (!mtls_start(&m, "optional"))
		return;
	t = dpx_tls_conn_new(m.srv, mp);
	client_new(&c, 0, "www.example.test", NULL);
	CHECK(handshake(&c, t, 1 << 20));
	names = SSL_get_client_CA_list(c.ssl);
	CHECK(names != NULL && sk_X509_NAME_num(names) == 1 &&
	      X509_NAME_cmp(sk_X509_NAME_value(names, 0),
			    X509_get_subject_name(client_ca_cert)) == 0);
	/* optional, none sent: established, nothing to tell */
	CHECK(dpx_tls_conn_client_subject(t) == NULL &&
	      dpx_tls_conn_client_sha256(t) == NULL);
	CHECK_EQ(m.st.client_cert_verified, 0);
	CHECK_EQ(m.st.client_cert_missing, 0);
	client_free(&c);
	dpx_tls_conn_free(t);
	mtls_stop(&m);
}

/* Refusals: each counted once, as a failed handshake, no established
 * connection. */
static void check_client_refused(const char *mode, int version,
				 const char *cert, const char *sni)
{
	struct mtls m;
	struct dpx_tls_conn *t;
	struct client c;

	if (!mtls_start(&m, mode))
		return;
	t = dpx_tls_conn_new(m.srv, mp);
	client_new(&c, version, sni, NULL);
	if (cert != NULL)
		client_use_cert(&c, cert);
	CHECK(!handshake(&c, t, 1 << 20));
	CHECK(!dpx_tls_conn_established(t));
	CHECK(dpx_tls_conn_client_subject(t) == NULL);
	CHECK_EQ(m.st.handshake_failed, 1);
	CHECK_EQ(m.st.handshakes, 0);
	CHECK_EQ(m.st.client_cert_verified, 0);
	CHECK_EQ(m.st.client_cert_failed, cert != NULL ? 1 : 0);
	CHECK_EQ(m.st.client_cert_missing, cert != NULL ? 0 : 1);
	client_free(&c);
	dpx_tls_conn_free(t);
	mtls_stop(&m);
}

static void test_client_cert_refused(void)
{
	/* a certificate from a CA that client_ca does not hold */
	check_client_refused("required", TLS1_3_VERSION, "rogue",
			     "www.example.test");
	check_client_refused("optional", TLS1_3_VERSION, "rogue", NULL);
	check_client_refused("optional", TLS1_2_VERSION, "rogue",
			     "www.example.test");
	/* none sent where one is required */
	check_client_refused("required", TLS1_3_VERSION, NULL,
			     "www.example.test");
	check_client_refused("required", TLS1_2_VERSION, NULL, NULL);
}

/* ---------------------------------------------------------------------- */
/* ClientHello reader                                                       */

/* The first flight of an OpenSSL client: its ClientHello record(s). */
static size_t real_hello(const char *sni, bool alpn, uint8_t *out, size_t size)
{
	struct client c;
	size_t n;

	client_new(&c, 0, sni, NULL);
	if (alpn)
		SSL_set_alpn_protos(c.ssl, (const unsigned char *)
				    "\x02h2\x08http/1.1", 12);
	SSL_do_handshake(c.ssl);
	n = (size_t)BIO_read(c.out, out, (int)size);
	client_free(&c);
	return n;
}

/* A ClientHello record with the given extensions block. */
static size_t build_hello(const uint8_t *ext, size_t elen, uint8_t *out)
{
	size_t body = 2 + 32 + 1 + 4 + 2 + 2 + elen, n = 0;

	out[n++] = 22; out[n++] = 3; out[n++] = 1;
	out[n++] = (uint8_t)((body + 4) >> 8); out[n++] = (uint8_t)(body + 4);
	out[n++] = 1; out[n++] = 0;
	out[n++] = (uint8_t)(body >> 8); out[n++] = (uint8_t)body;
	out[n++] = 3; out[n++] = 3;
	memset(out + n, 0xab, 32); n += 32;
	out[n++] = 0;                              /* session id */
	out[n++] = 0; out[n++] = 2; out[n++] = 0x13; out[n++] = 0x01;
	out[n++] = 1; out[n++] = 0;                /* compression */
	out[n++] = (uint8_t)(elen >> 8); out[n++] = (uint8_t)elen;
	if (elen > 0)
		memcpy(out + n, ext, elen);
	return n + elen;
}

static void test_hello_real(void)
{
	static uint8_t b[8192], two[8192];
	struct dpx_tls_hello h;
	size_t n = real_hello("WWW.Example.test", true, b, sizeof(b)), need;
	size_t body = n - 5, cut = 40;

	CHECK(n > 100);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), 1);
	CHECK(h.has_sni && strcmp(h.sni, "www.example.test") == 0);
	CHECK_EQ(h.n_alpn, 2);
	CHECK(strcmp(h.alpn[0], "h2") == 0 && strcmp(h.alpn[1], "http/1.1") == 0);
	CHECK_EQ(h.hello_len, n);
	/* Every prefix asks for more, never for less than it has. */
	for (size_t k = 0; k < n; k++) {
		int rc = dpx_tls_hello_parse(b, k, DPX_TLS_HELLO_MAX, &h, &need);

		if (rc != 0 || need <= k) {
			CHECK(0);
			break;
		}
	}
	/* The same hello in two records. */
	memcpy(two, b, 5);
	two[3] = 0; two[4] = (uint8_t)cut;
	memcpy(two + 5, b + 5, cut);
	two[5 + cut] = 22; two[6 + cut] = 3; two[7 + cut] = 1;
	two[8 + cut] = (uint8_t)((body - cut) >> 8);
	two[9 + cut] = (uint8_t)(body - cut);
	memcpy(two + 10 + cut, b + 5 + cut, body - cut);
	CHECK_EQ(dpx_tls_hello_parse(two, n + 5, DPX_TLS_HELLO_MAX, &h, &need), 1);
	CHECK(strcmp(h.sni, "www.example.test") == 0);
	CHECK_EQ(h.hello_len, n + 5);
	/* Too long for max. */
	CHECK_EQ(dpx_tls_hello_parse(b, n, 100, &h, &need), -EMSGSIZE);
	/* No SNI. */
	n = real_hello(NULL, false, b, sizeof(b));
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), 1);
	CHECK(!h.has_sni && h.n_alpn == 0);
}

static void test_hello_bad(void)
{
	static const uint8_t sni_ok[] = { 0, 0, 0, 9, 0, 7, 0, 0, 4, 'a', '.', 'b', 'c' };
	static const uint8_t sni_two[] = { 0, 0, 0, 10, 0, 8, 0, 0, 1, 'a',
					   0, 0, 1, 'b' };
	static const uint8_t sni_space[] = { 0, 0, 0, 8, 0, 6, 0, 0, 3, 'a', ' ', 'b' };
	static const uint8_t sni_dots[] = { 0, 0, 0, 8, 0, 6, 0, 0, 3, 'a', '.', '.' };
	static const uint8_t sni_short[] = { 0, 0, 0, 9, 0, 7, 0, 0, 9, 'a', '.', 'b', 'c' };
	static const uint8_t two_ext[] = { 0, 0, 0, 6, 0, 4, 0, 0, 1, 'a',
					   0, 0, 0, 6, 0, 4, 0, 0, 1, 'b' };
	static const uint8_t alpn_empty[] = { 0, 16, 0, 3, 0, 1, 0 };
	uint8_t b[256];
	struct dpx_tls_hello h;
	size_t n, need;

	n = build_hello(sni_ok, sizeof(sni_ok), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), 1);
	CHECK(strcmp(h.sni, "a.bc") == 0);
	n = build_hello(sni_two, sizeof(sni_two), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	n = build_hello(sni_space, sizeof(sni_space), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	n = build_hello(sni_dots, sizeof(sni_dots), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	n = build_hello(sni_short, sizeof(sni_short), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	n = build_hello(two_ext, sizeof(two_ext), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	n = build_hello(alpn_empty, sizeof(alpn_empty), b);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	/* No extensions at all: fine, no SNI. */
	n = build_hello(NULL, 0, b) - 2;
	b[3] = 0; b[4] = (uint8_t)(n - 5);
	b[8] = (uint8_t)(n - 9);
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), 1);
	CHECK(!h.has_sni);
	/* Not TLS, not a handshake, not a ClientHello, a zero-length record. */
	CHECK_EQ(dpx_tls_hello_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
				     DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	n = build_hello(sni_ok, sizeof(sni_ok), b);
	b[0] = 23;
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	b[0] = 22; b[5] = 2;
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	b[5] = 1; b[3] = 0; b[4] = 0;
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
	/* A record header promising more than 2^14 bytes. */
	b[3] = 0x48; b[4] = 1;
	CHECK_EQ(dpx_tls_hello_parse(b, n, DPX_TLS_HELLO_MAX, &h, &need), -EBADMSG);
}

static void test_name_matches(void)
{
	CHECK(dpx_tls_name_matches("a.test", "a.test"));
	CHECK(dpx_tls_name_matches("*.test", "a.test"));
	CHECK(!dpx_tls_name_matches("*.test", "a.b.test"));
	CHECK(!dpx_tls_name_matches("*.test", "test"));
	CHECK(!dpx_tls_name_matches("*.test", ".test"));
	CHECK(!dpx_tls_name_matches("a.test", "b.test"));
	CHECK(!dpx_tls_name_matches("*", "a"));
}

/* Random keys rotate on the control plane's clock; a key file is read
 * again only when it changed. */
static void test_key_rotation(void)
{
	struct dpx_tls_conf tc;
	struct dpx_tls_keys *k;
	char path[128];
	FILE *f;

	memset(&tc, 0, sizeof(tc));
	tc.ticket_rotate_s = 2;
	k = dpx_tls_keys_open(&tc, err, sizeof(err));
	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK_EQ(dpx_tls_keys_rotations(k), 1);
	CHECK_EQ(dpx_tls_keys_tick(k, 1000, err, sizeof(err)), 0); /* starts */
	CHECK_EQ(dpx_tls_keys_tick(k, 2999, err, sizeof(err)), 0);
	CHECK_EQ(dpx_tls_keys_rotations(k), 1);
	CHECK_EQ(dpx_tls_keys_tick(k, 3000, err, sizeof(err)), 0);
	CHECK_EQ(dpx_tls_keys_rotations(k), 2);
	CHECK_EQ(dpx_tls_keys_tick(k, 5000, err, sizeof(err)), 0);
	CHECK_EQ(dpx_tls_keys_rotations(k), 3);
	dpx_tls_keys_free(k);

	snprintf(path, sizeof(path), "%s/t.keys", dir);
	f = fopen(path, "w");
	fprintf(f, "# comment\n%s\n",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
		"LS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk8=");
	fclose(f);
	snprintf(tc.ticket_keys_file, sizeof(tc.ticket_keys_file), "%s", path);
	k = dpx_tls_keys_open(&tc, err, sizeof(err));
	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK_EQ(dpx_tls_keys_rotations(k), 4);    /* every slot written */
	CHECK_EQ(dpx_tls_keys_tick(k, 1000, err, sizeof(err)), 0);
	CHECK_EQ(dpx_tls_keys_tick(k, 3000, err, sizeof(err)), 0);
	CHECK_EQ(dpx_tls_keys_rotations(k), 4);    /* unchanged file */
	unlink(path);
	CHECK_EQ(dpx_tls_keys_tick(k, 5000, err, sizeof(err)), 0);
	CHECK_EQ(dpx_tls_keys_rotations(k), 4);    /* gone: keys stay */
	dpx_tls_keys_free(k);
}

/* ---------------------------------------------------------------------- */
/* TLS to servers: a dpx client connection against a dpx server one        */

/* A config whose pool "p" has "tls": ptls (printf with dir). */
static int load_pool_tls(const char *ptls)
{
	int n = snprintf(text, sizeof(text),
		"{\"ports\":[{\"device\":\"net_tap0\",\"addresses\":"
		"[\"198.18.0.1/24\"]}],\"pools\":[{\"name\":\"p\",\"servers\":"
		"[{\"address\":\"198.18.0.2\",\"port\":443}],\"tls\":%s}],"
		"\"listeners\":[{\"address\":\"198.18.0.1\",\"port\":80,"
		"\"mode\":\"http\",\"pool\":\"p\"}]}", with_dir(ptls));

	CHECK(n > 0 && (size_t)n < sizeof(text));
	return dpx_config_load_buffer("t.json", text, strlen(text), &cfg, err,
				      sizeof(err));
}

static void bad_pool(const char *ptls, const char *want)
{
	CHECK_EQ(load_pool_tls(ptls), -1);
	CHECK_STR_CONTAINS(err, want);
}

static void test_client_conf(void)
{
	const struct dpx_tls_client_conf *cc;

	CHECK_EQ(load_pool_tls("{}"), 0);
	cc = cfg.pools[0].tls;
	CHECK(cc != NULL && cc->verify && cc->session_reuse &&
	      cc->ca[0] == '\0' && cc->sni[0] == '\0' &&
	      cc->min_version == TLS1_2_VERSION);
	dpx_config_release(&cfg);
	CHECK_EQ(load_pool_tls("{\"sni\":\"$client\",\"ca\":\"%s/ca.pem\","
			       "\"cert\":\"%s/www-ec.pem\","
			       "\"key\":\"%s/www-ec.key\"}"), 0);
	cc = cfg.pools[0].tls;
	CHECK(cc != NULL && cc->sni_from_client && cc->sni[0] == '\0');
	dpx_config_release(&cfg);
	bad_pool("{\"sni\":\"$host\"}", "pools[0].tls.sni: a host name, or");
	bad_pool("{\"ca\":\"/nonexistent.pem\"}",
		 "pools[0].tls.ca: cannot open /nonexistent.pem: No such file");
	bad_pool("{\"ca\":\"%s/www-ec.key\"}", "ca ");
	bad_pool("{\"cert\":\"%s/www-ec.pem\"}", "\"cert\" and \"key\" go together");
	bad_pool("{\"cert\":\"%s/www-ec.pem\",\"key\":\"%s/wild.key\"}",
		 "key");
	bad_pool("{\"ciphers\":\"NOPE\"}", "ciphers \"NOPE\"");
	bad_pool("{\"verifi\":true}", "verifi");
	bad_pool("{\"min_version\":\"1.3\",\"max_version\":\"1.2\"}",
		 "below min_version");
}

/* Moves what each side queued to the other and reads both, until
 * neither has anything to say; false when either failed. */
static bool shuttle(struct dpx_tls_conn *a, struct dpx_tls_conn *b)
{
	struct dpx_tls_conn *side[2] = { a, b };
	bool ok = true;

	for (int round = 0; round < 20; round++) {
		bool moved = false;

		for (int i = 0; i < 2; i++) {
			struct rte_mbuf *h = NULL, *tl = NULL;
			uint32_t len, got = 0;
			struct rte_mbuf *m = dpx_tls_conn_output(side[i], &len);

			if (dpx_tls_conn_read(side[i], 1 << 16, &h, &tl,
					      &got) == DPX_TLS_ERROR)
				ok = false;
			rte_pktmbuf_free(h);
			if (m == NULL) {
				m = dpx_tls_conn_output(side[i], &len);
				if (m == NULL)
					continue;
			}
			for (struct rte_mbuf *p = m; p != NULL; p = p->next)
				p->nb_segs = 1;
			while (m != NULL) {
				struct rte_mbuf *next = m->next;

				m->next = NULL;
				dpx_tls_conn_input(side[1 - i], m);
				m = next;
			}
			moved = true;
		}
		if (!moved)
			break;
	}
	return ok;
}

/* One connection of cli to the listener; returns whether it came up. */
static bool origin_connect(struct dpx_tls_client *cli,
			   struct dpx_tls_server *srv, const char *csni,
			   char *sni_seen, size_t size)
{
	struct dpx_tls_conn *c = dpx_tls_conn_connect(cli, mp, 3, csni);
	struct dpx_tls_conn *s = dpx_tls_conn_new(srv, mp);
	bool up;

	shuttle(c, s);
	up = dpx_tls_conn_established(c) && dpx_tls_conn_established(s);
	if (sni_seen != NULL)
		snprintf(sni_seen, size, "%s", dpx_tls_conn_sni(s) ?
			 dpx_tls_conn_sni(s) : "");
	if (!up && dpx_tls_conn_verify_error(c) != NULL)
		snprintf(err, sizeof(err), "%s", dpx_tls_conn_verify_error(c));
	dpx_tls_conn_free(c);
	dpx_tls_conn_free(s);
	return up;
}

static void origin_case(struct dpx_tls_server *srv, const char *ptls,
			const char *csni, bool want_up, const char *want_sni,
			struct dpx_tls_stats *cst)
{
	struct dpx_tls_client *cli;
	char seen[64];

	CHECK_EQ(load_pool_tls(ptls), 0);
	cli = dpx_tls_client_new(cfg.pools[0].tls, cst, err, sizeof(err));
	CHECK(cli != NULL);
	if (cli == NULL)
		return;
	err[0] = '\0';
	CHECK_EQ(origin_connect(cli, srv, csni, seen, sizeof(seen)), want_up);
	if (want_up) {
		CHECK(strcmp(seen, want_sni) == 0);
		/* The ticket of the first connection resumes the second. */
		CHECK(origin_connect(cli, srv, csni, NULL, 0));
		CHECK_EQ(cst->resumed, 1);
	}
	dpx_tls_client_free(cli);
	dpx_config_release(&cfg);
}

static void test_origin(void)
{
	struct dpx_tls_stats st = { 0 }, cst;
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_conf *tc;
	struct dpx_tls_server *srv;

	/* The listener's conf outlives the pools' configs loaded below. */
	tc = malloc(sizeof(*tc));
	memcpy(tc, tls_conf(), sizeof(*tc));
	dpx_config_release(&cfg);
	srv = dpx_tls_server_new(tc, keys, &st, err, sizeof(err));
	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	memset(&cst, 0, sizeof(cst));
	origin_case(srv, "{\"ca\":\"%s/ca.pem\",\"sni\":\"www.example.test\"}",
		    NULL, true, "www.example.test", &cst);
	CHECK_EQ(cst.handshakes, 2);
	CHECK_EQ(cst.verify_failed, 0);
	memset(&cst, 0, sizeof(cst));
	origin_case(srv, "{\"ca\":\"%s/ca.pem\",\"sni\":\"$client\"}",
		    "a.wild.test", true, "a.wild.test", &cst);
	memset(&cst, 0, sizeof(cst));
	origin_case(srv, "{\"ca\":\"%s/ca.pem\",\"sni\":\"www.example.test\","
		    "\"verify_name\":\"other.test\"}", NULL, false, NULL, &cst);
	CHECK_EQ(cst.verify_failed, 1);
	CHECK_EQ(cst.handshake_failed, 1);
	CHECK_STR_CONTAINS(err, "hostname mismatch");
	memset(&cst, 0, sizeof(cst));
	/* No CA given: the system's store does not know our test CA. */
	origin_case(srv, "{\"sni\":\"www.example.test\"}", NULL, false, NULL,
		    &cst);
	CHECK_EQ(cst.verify_failed, 1);
	memset(&cst, 0, sizeof(cst));
	origin_case(srv, "{\"verify\":false,\"sni\":\"www.example.test\","
		    "\"verify_name\":\"other.test\"}", NULL, true,
		    "www.example.test", &cst);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	free(tc);
}

/* ---------------------------------------------------------------------- */
/* Reload                                                                   */

/* "ping" from the client, "pong" back: the connection still works. */
static void ping_pong(struct client *c, struct dpx_tls_conn *t)
{
	char got[64];
	uint32_t glen = 0;
	size_t n = 0;

	CHECK(SSL_write_ex(c->ssl, "ping", 4, &n) == 1);
	CHECK_EQ(pump_to_server(c, t, 1 << 20, got, &glen), DPX_TLS_OK);
	CHECK(glen == 4 && memcmp(got, "ping", 4) == 0);
	CHECK_EQ(dpx_tls_conn_write(t, "pong", 4), 0);
	CHECK(pump_to_client(c, t) > 0);
	CHECK(SSL_read_ex(c->ssl, got, sizeof(got), &n) == 1);
	CHECK(n == 4 && memcmp(got, "pong", 4) == 0);
}

static unsigned int conf_refs(struct dpx_tls_conf *tc)
{
	return atomic_load(&tc->refs);
}

/* A connection keeps its server (and the server its reloaded conf) after
 * the owner let go; the last connection frees both. */
static void test_server_refs(void)
{
	struct dpx_tls_conf *rc = dpx_tls_conf_reload(tls_conf(), err,
						       sizeof(err));
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *srv;
	struct dpx_tls_conn *t;
	struct client c;

	CHECK(rc != NULL);
	if (rc == NULL)
		return;
	dpx_config_release(&cfg);           /* the copy stands alone */
	CHECK_EQ(conf_refs(rc), 1);
	srv = dpx_tls_server_new(rc, keys, &st, err, sizeof(err));
	CHECK_EQ(conf_refs(rc), 2);
	t = dpx_tls_conn_new(srv, mp);
	client_new(&c, 0, "www.example.test", NULL);
	CHECK(handshake(&c, t, 1 << 20));
	dpx_tls_server_release(srv);        /* replaced by a reload */
	CHECK_EQ(conf_refs(rc), 2);         /* ... yet alive for t */
	ping_pong(&c, t);
	dpx_tls_conn_shutdown(t);
	CHECK(pump_to_client(&c, t) > 0);
	CHECK_EQ(st.close_notify_sent, 1);
	dpx_tls_conn_free(t);
	CHECK_EQ(conf_refs(rc), 1);         /* the server went with t */
	client_free(&c);
	dpx_tls_conf_put(rc);
	dpx_tls_keys_free(keys);
}

/* dflt.pem / dflt.key replaced by a certificate named cn. */
static void replace_default(const char *cn)
{
	leaf("dflt", true, cn, "DNS:default.test");
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* New files are taken by a reload; servers built before keep theirs, and
 * a connection on the old server works after the new one is in use. Bad
 * files are refused with the member and OpenSSL's reason. */
static void test_reload(void)
{
	struct dpx_tls_conf *tc = tls_conf(), *rc;
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *old = dpx_tls_server_new(tc, keys, &st, err,
							 sizeof(err)), *srv;
	struct dpx_tls_conn *t = dpx_tls_conn_new(old, mp);
	struct client c;

	client_new(&c, 0, NULL, NULL);
	CHECK(handshake(&c, t, 1 << 20));
	replace_default("dflt v2");
	rc = dpx_tls_conf_reload(tc, err, sizeof(err));
	CHECK(rc != NULL);
	if (rc == NULL)
		return;
	CHECK_EQ(rc->n_certs, 4);
	CHECK_EQ(rc->certs[3].n_names, 1);
	CHECK(strcmp(rc->certs[3].names[0], "*.wild.test") == 0);
	srv = dpx_tls_server_new(rc, keys, &st, err, sizeof(err));
	dpx_tls_conf_put(rc);               /* srv holds it now */
	dpx_tls_server_release(old);
	check_cert(srv, NULL, NULL, 0, "dflt v2");
	check_cert(srv, "a.wild.test", NULL, 0, "wild");
	ping_pong(&c, t);                   /* opened before the reload */
	client_free(&c);
	dpx_tls_conn_free(t);               /* frees old */

	write_file("dflt.pem", "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n"
		   "-----END CERTIFICATE-----\n");
	CHECK(dpx_tls_conf_reload(tc, err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(err, "certificates[0].cert: ");
	CHECK_STR_CONTAINS(err, "dflt.pem: no PEM certificate (");
	CHECK_STR_CONTAINS(err, "error:");  /* OpenSSL's own words */
	replace_default("dflt v3");
	write_file("dflt.key", "nothing\n");
	CHECK(dpx_tls_conf_reload(tc, err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(err, "certificates[0].key: ");
	CHECK_STR_CONTAINS(err, "dflt.key: no PEM private key");
	/* A key that is not the certificate's. */
	{
		EVP_PKEY *k = EVP_RSA_gen(2048);
		char path[160];
		FILE *f;

		snprintf(path, sizeof(path), "%s/dflt.key", dir);
		f = fopen(path, "w");
		CHECK(f != NULL);
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		EVP_PKEY_free(k);
	}
	CHECK(dpx_tls_conf_reload(tc, err, sizeof(err)) == NULL);
	CHECK_STR_CONTAINS(err, "dflt.key does not match the certificate");
	check_cert(srv, NULL, NULL, 0, "dflt v2");  /* still in use */
	dpx_tls_server_release(srv);
	replace_default("default.test");
	dpx_tls_keys_free(keys);
	dpx_config_release(&cfg);
}

/* Many reloads, each with a connection left open on the server it
 * replaces: nothing is kept once its last connection goes (ASan build). */
static void test_reload_loop(void)
{
	struct dpx_tls_conf *tc = tls_conf();
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys = dpx_tls_keys_create();
	struct dpx_tls_server *srv = dpx_tls_server_new(tc, keys, &st, err,
							 sizeof(err));
	struct dpx_tls_conn *t = NULL;
	struct client c = { 0 };

	for (int i = 0; i < 40; i++) {
		struct dpx_tls_conf *rc = dpx_tls_conf_reload(tc, err,
							       sizeof(err));
		struct dpx_tls_server *next;

		CHECK(rc != NULL);
		if (rc == NULL)
			break;
		next = dpx_tls_server_new(rc, keys, &st, err, sizeof(err));
		dpx_tls_conf_put(rc);
		CHECK(next != NULL);
		if (t != NULL) {        /* the previous reload's connection */
			ping_pong(&c, t);
			client_free(&c);
			dpx_tls_conn_free(t);
		}
		t = dpx_tls_conn_new(next, mp);
		client_new(&c, 0, "www.example.test", NULL);
		CHECK(handshake(&c, t, 1 << 20));
		dpx_tls_server_release(srv);
		srv = next;
	}
	ping_pong(&c, t);
	client_free(&c);
	dpx_tls_conn_free(t);
	CHECK_EQ(st.handshakes, 40);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	dpx_config_release(&cfg);
}

static void test_no_mbuf_leak(void)
{
	CHECK_EQ(rte_mempool_in_use_count(mp), 0);
}

int main(void)
{
	int rc;

	if (test_eal_init("test_tls") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("tls_test", 4096, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	dpx_config_set_ext(&ext);
	make_pki();
	RUN_TEST(test_conf_defaults);
	RUN_TEST(test_conf_errors);
	RUN_TEST(test_selection);
	RUN_TEST(test_tls13);
	RUN_TEST(test_tls12);
	RUN_TEST(test_refusals);
	RUN_TEST(test_conf_client_auth);
	RUN_TEST(test_client_cert13);
	RUN_TEST(test_client_cert12);
	RUN_TEST(test_client_ca_names);
	RUN_TEST(test_tickets);
	RUN_TEST(test_hs_cost);
	RUN_TEST(test_client_cert_no_foreign_ticket);
	RUN_TEST(test_client_cert_refused);
	RUN_TEST(test_hello_real);
	RUN_TEST(test_hello_bad);
	RUN_TEST(test_name_matches);
	RUN_TEST(test_key_rotation);
	RUN_TEST(test_client_conf);
	RUN_TEST(test_origin);
	RUN_TEST(test_server_refs);
	RUN_TEST(test_reload);
	RUN_TEST(test_reload_loop);
	RUN_TEST(test_no_mbuf_leak);
	remove_pki();
	rc = TEST_SUMMARY();
	rte_mempool_free(mp);
	test_eal_cleanup();
	return rc;
}
