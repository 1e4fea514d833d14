/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How records should pass between dpx's TCP segments and OpenSSL: the
 * BIO over mbuf chains that lib/tls uses, against a pair of memory BIOs
 * (segments copied into the read BIO, records copied out of the write BIO
 * into segments). Both sides run on the same connection state: a TLS 1.3
 * session with AES-128-GCM, 16 KB records, 1448-byte segments; an OpenSSL
 * client over memory BIOs makes and takes the records outside the timed
 * part, and the first eighth is not timed (warm-up). Prints TSC cycles
 * per KB of plaintext each way, and the ratio.
 *
 * usage: build/tools/bench_tls_bio [MB]     (default 256 MB each way)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dpx_tls.h"

#define SEG 1448
#define REC 16384

static struct rte_mempool *mp;
static char dir[64], certf[96], keyf[96];

static void die(const char *what)
{
	fprintf(stderr, "bench_tls_bio: %s\n", what);
	exit(1);
}

/* A self-signed P-256 certificate in dir. */
static void make_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"bench.test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_sign(x, k, EVP_sha256());
	snprintf(dir, sizeof(dir), "/tmp/dpx-bench-tls-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(certf, sizeof(certf), "%s/c.pem", dir);
	snprintf(keyf, sizeof(keyf), "%s/k.pem", dir);
	f = fopen(certf, "w");
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(keyf, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;
};

static void client_new(struct client *c)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(c->ctx, "TLS_AES_128_GCM_SHA256");
	c->ssl = SSL_new(c->ctx);
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	SSL_set_bio(c->ssl, c->in, c->out);
	SSL_set_connect_state(c->ssl);
	SSL_set_tlsext_host_name(c->ssl, "bench.test");
}

/* The server side, either way. */
struct server {
	struct dpx_tls_conn *t;        /* mbuf BIO (dpx) */
	SSL *ssl;                      /* memory BIOs */
	BIO *rb, *wb;
};

static struct rte_mbuf *seg_of(const char *p, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		die("out of mbufs");
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), p, n);
	return m;
}

static void chain_free(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
}

/* Ciphertext as TCP would deliver it: segments of SEG bytes. */
static int segments(const char *buf, size_t n, struct rte_mbuf **out)
{
	int k = 0;

	for (size_t off = 0; off < n; off += SEG)
		out[k++] = seg_of(buf + off, n - off < SEG ? n - off : SEG);
	return k;
}

/* Server receives: segments -> plaintext mbufs. Returns cycles. */
static uint64_t server_read(struct server *s, struct rte_mbuf **segs, int k)
{
	uint64_t t0 = rte_rdtsc();

	for (int i = 0; i < k; i++) {
		struct rte_mbuf *h = NULL, *tl = NULL;
		uint32_t got = 0;

		if (s->t != NULL) {
			dpx_tls_conn_input(s->t, segs[i]);
			if (dpx_tls_conn_read(s->t, 1 << 20, &h, &tl, &got) !=
			    DPX_TLS_OK)
				die("dpx read failed");
		} else {
			size_t n;

			BIO_write(s->rb, rte_pktmbuf_mtod(segs[i], void *),
				  segs[i]->data_len);
			rte_pktmbuf_free(segs[i]);
			for (;;) {
				struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

				if (SSL_read_ex(s->ssl, rte_pktmbuf_mtod(m, void *),
						rte_pktmbuf_tailroom(m), &n) != 1) {
					rte_pktmbuf_free(m);
					break;
				}
				m->data_len = (uint16_t)n;
				m->pkt_len = (uint32_t)n;
				if (tl != NULL)
					tl->next = m;
				else
					h = m;
				tl = m;
			}
		}
		chain_free(h);
	}
	return rte_rdtsc() - t0;
}

/* Server sends REC bytes: plaintext -> ciphertext segments. */
static uint64_t server_write(struct server *s, const char *p,
			     struct rte_mbuf **out)
{
	uint64_t t0 = rte_rdtsc();
	uint32_t len;

	if (s->t != NULL) {
		if (dpx_tls_conn_write(s->t, p, REC) != 0)
			die("dpx write failed");
		*out = dpx_tls_conn_output(s->t, &len);
	} else {
		struct rte_mbuf *h = NULL, *tl = NULL;
		size_t n;
		int r;

		if (SSL_write_ex(s->ssl, p, REC, &n) != 1)
			die("SSL_write failed");
		for (;;) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

			r = BIO_read(s->wb, rte_pktmbuf_mtod(m, void *), SEG);
			if (r <= 0) {
				rte_pktmbuf_free(m);
				break;
			}
			m->data_len = (uint16_t)r;
			m->pkt_len = (uint32_t)r;
			if (tl != NULL)
				tl->next = m;
			else
				h = m;
			tl = m;
		}
		*out = h;
	}
	return rte_rdtsc() - t0;
}

/* Feeds what out holds to the client (it must decrypt it all). */
static void to_client(struct client *c, struct rte_mbuf *m)
{
	static char buf[REC];
	size_t n;

	for (struct rte_mbuf *p = m; p != NULL; p = p->next)
		BIO_write(c->in, rte_pktmbuf_mtod(p, void *), p->data_len);
	chain_free(m);
	while (SSL_read_ex(c->ssl, buf, sizeof(buf), &n) == 1)
		;
}

static void handshake(struct client *c, struct server *s)
{
	static char buf[65536];
	struct rte_mbuf *segs[64];

	for (int round = 0; round < 8; round++) {
		int n, r = SSL_do_handshake(c->ssl);

		n = BIO_read(c->out, buf, sizeof(buf));
		if (n > 0) {
			int k = segments(buf, (size_t)n, segs);

			if (s->t != NULL) {
				server_read(s, segs, k);
				to_client(c, dpx_tls_conn_output(s->t,
						&(uint32_t){ 0 }));
			} else {
				server_read(s, segs, k);
				SSL_do_handshake(s->ssl);
				while ((n = BIO_read(s->wb, buf, sizeof(buf))) > 0)
					BIO_write(c->in, buf, n);
			}
		}
		if (r == 1 && (s->t != NULL ? dpx_tls_conn_established(s->t) :
			       SSL_is_init_finished(s->ssl)))
			return;
	}
	die("handshake did not complete");
}

static void run(const char *name, struct server *s, size_t mb,
		double *rd_kb, double *wr_kb)
{
	static char plain[REC], cbuf[REC + 512];
	struct rte_mbuf *segs[16];
	struct client c;
	uint64_t rd = 0, wr = 0, t;
	size_t records = mb * 1024 * 1024 / REC, warm = records / 8;

	client_new(&c);
	handshake(&c, s);
	memset(plain, 'x', sizeof(plain));
	for (size_t i = 0; i < records; i++) {
		struct rte_mbuf *out;
		size_t n;
		int len, k;

		/* client -> server */
		if (SSL_write_ex(c.ssl, plain, REC, &n) != 1)
			die("client write");
		len = BIO_read(c.out, cbuf, sizeof(cbuf));
		k = segments(cbuf, (size_t)len, segs);
		t = server_read(s, segs, k);
		rd += i >= warm ? t : 0;
		/* server -> client */
		t = server_write(s, plain, &out);
		wr += i >= warm ? t : 0;
		to_client(&c, out);
	}
	*rd_kb = (double)rd / ((records - warm) * REC / 1024.0);
	*wr_kb = (double)wr / ((records - warm) * REC / 1024.0);
	printf("%-22s receive %7.0f cycles/KB   send %7.0f cycles/KB\n", name,
	       *rd_kb, *wr_kb);
	SSL_free(c.ssl);
	SSL_CTX_free(c.ctx);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf",
			"--no-telemetry", "-m", "256", "-l", "0",
			"--log-level", "*:error", "--file-prefix", "bench-tls-bio" };
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	struct dpx_tls_conf conf;
	struct dpx_tls_stats st = { 0 };
	struct dpx_tls_keys *keys;
	struct dpx_tls_server *srv;
	struct server a = { 0 }, b = { 0 };
	SSL_CTX *ctx;
	char err[256];
	double ar, aw, br, bw;

	if (mb == 0 || mb > 65536)
		die("MB: 1..65536");
	if (rte_eal_init(RTE_DIM(eal), eal) < 0)
		die("EAL init failed");
	mp = rte_pktmbuf_pool_create("bench_tls", 16384, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		die("no mbuf pool");
	make_cert();
	memset(&conf, 0, sizeof(conf));
	conf.n_certs = 1;
	snprintf(conf.certs[0].cert, sizeof(conf.certs[0].cert), "%s", certf);
	snprintf(conf.certs[0].key, sizeof(conf.certs[0].key), "%s", keyf);
	conf.min_version = conf.max_version = TLS1_3_VERSION;
	snprintf(conf.ciphers, sizeof(conf.ciphers), "ECDHE-ECDSA-AES128-GCM-SHA256");
	snprintf(conf.ciphersuites, sizeof(conf.ciphersuites), "TLS_AES_128_GCM_SHA256");
	snprintf(conf.groups, sizeof(conf.groups), "X25519");
	keys = dpx_tls_keys_create();
	srv = dpx_tls_server_new(&conf, keys, &st, err, sizeof(err));
	if (srv == NULL)
		die(err);
	a.t = dpx_tls_conn_new(srv, mp);

	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, certf) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, keyf, SSL_FILETYPE_PEM) != 1)
		die("certificate");
	b.ssl = SSL_new(ctx);
	b.rb = BIO_new(BIO_s_mem());
	b.wb = BIO_new(BIO_s_mem());
	SSL_set_bio(b.ssl, b.rb, b.wb);
	SSL_set_accept_state(b.ssl);

	printf("bench_tls_bio: %zu MB each way, TLS 1.3 AES-128-GCM, %d-byte "
	       "records, %d-byte segments, TSC %" PRIu64 " Hz\n", mb, REC, SEG,
	       rte_get_tsc_hz());
	run("memory BIOs", &b, mb, &br, &bw);
	run("mbuf BIO (dpx)", &a, mb, &ar, &aw);
	printf("BENCH tls_bio: mbuf/memory cycles receive %.2f send %.2f\n",
	       ar / br, aw / bw);
	dpx_tls_conn_free(a.t);
	dpx_tls_server_release(srv);
	dpx_tls_keys_free(keys);
	SSL_free(b.ssl);
	SSL_CTX_free(ctx);
	unlink(certf);
	unlink(keyf);
	rmdir(dir);
	rte_eal_cleanup();
	return 0;
}
