/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS connections over mbuf chains.
 *
 * The BIO under each SSL reads ciphertext straight from the segments TCP
 * delivered (freeing each once consumed) and writes records into mbufs
 * that are handed to TCP as they are. Against a pair of memory BIOs this
 * saves a copy of every received byte (segment -> BIO buffer) and one of
 * every sent byte (BIO buffer -> segment).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "tls_priv.h"

struct dpx_tls_conn {
	SSL *ssl;
	struct dpx_tls_server *srv;    /* accepted: its listener's contexts */
	struct dpx_tls_client *cli;    /* connected: its pool's context */
	struct dpx_tls_stats *stats;
	uint32_t *handshaking_count;   /* the owner's count of handshakes */
	struct rte_mempool *mp;
	unsigned int server;           /* connected: the server's index */
	/* Received ciphertext: segments linked by next, off into the first. */
	struct rte_mbuf *in_head;
	struct rte_mbuf *in_tail;
	uint32_t in_len;
	uint32_t in_off;
	uint32_t consumed;
	/* Ciphertext to send: single-segment mbufs linked by next. */
	struct rte_mbuf *out_head;
	struct rte_mbuf *out_tail;
	uint32_t out_len;
	/* The verified client certificate, for every request's headers. */
	char *client_subject;          /* NULL: none */
	char client_sha256[2 * 32 + 1];
	bool handshaking;              /* counted in *handshaking_count */
	bool established;
	bool shutdown_sent;
	bool failed;
};

/* ---------------------------------------------------------------------- */
/* The BIO method                                                           */

static int bio_read(BIO *b, char *buf, size_t len, size_t *done)
{
	struct dpx_tls_conn *t = BIO_get_data(b);
	size_t n = 0;

	BIO_clear_retry_flags(b);
	while (n < len && t->in_head != NULL) {
		struct rte_mbuf *m = t->in_head;
		uint32_t k = m->data_len - t->in_off;

		if (k > len - n)
			k = (uint32_t)(len - n);
		memcpy(buf + n, rte_pktmbuf_mtod_offset(m, char *, t->in_off),
		       k);
		n += k;
		t->in_off += k;
		if (t->in_off == m->data_len) {
			t->in_head = m->next;
			if (t->in_head == NULL)
				t->in_tail = NULL;
			m->next = NULL;
			m->nb_segs = 1;
			rte_pktmbuf_free_seg(m);
			t->in_off = 0;
		}
	}
	t->in_len -= (uint32_t)n;
	t->consumed += (uint32_t)n;
	if (n == 0) {
		BIO_set_retry_read(b);
		return 0;
	}
	*done = n;
	return 1;
}

static int bio_write(BIO *b, const char *buf, size_t len, size_t *done)
{
	struct dpx_tls_conn *t = BIO_get_data(b);
	size_t n = 0;

	BIO_clear_retry_flags(b);
	while (n < len) {
		struct rte_mbuf *m = t->out_tail;
		uint16_t room = m != NULL ? rte_pktmbuf_tailroom(m) : 0;
		size_t k;

		if (room == 0) {
			m = rte_pktmbuf_alloc(t->mp);
			if (m == NULL) {
				t->stats->no_memory++;
				return 0;
			}
			if (t->out_tail != NULL)
				t->out_tail->next = m;
			else
				t->out_head = m;
			t->out_tail = m;
			room = rte_pktmbuf_tailroom(m);
		}
		k = len - n < room ? len - n : room;
		memcpy(rte_pktmbuf_mtod_offset(m, char *, m->data_len),
		       buf + n, k);
		m->data_len += (uint16_t)k;
		m->pkt_len = m->data_len;
		n += k;
	}
	t->out_len += (uint32_t)n;
	*done = n;
	return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dpx_tls_conn *t = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return t != NULL ? (long)t->in_len : 0;
	case BIO_CTRL_WPENDING:
		return t != NULL ? (long)t->out_len : 0;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "dpx mbuf");

	if (m == NULL)
		return;
	if (BIO_meth_set_read_ex(m, bio_read) != 1 ||
	    BIO_meth_set_write_ex(m, bio_write) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m;
}

const BIO_METHOD *tls_bio_method(void)
{
	pthread_once(&bio_once, bio_method_init);
	return bio_method;
}

/* ---------------------------------------------------------------------- */
/* Connections                                                              */

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

static void handshake_over(struct dpx_tls_conn *t)
{
	if (t->handshaking) {
		t->handshaking = false;
		(*t->handshaking_count)--;
	}
}

/* The SSL over the mbuf BIO; frees t on failure. */
static int conn_init(struct dpx_tls_conn *t, SSL_CTX *ctx,
		     struct dpx_tls_stats *st, uint32_t *handshaking,
		     struct rte_mempool *mp)
{
	BIO *bio;

	t->stats = st;
	t->handshaking_count = handshaking;
	t->mp = mp;
	t->ssl = SSL_new(ctx);
	bio = BIO_new(tls_bio_method());
	if (t->ssl == NULL || bio == NULL) {
		BIO_free(bio);
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		st->no_memory++;
		return -1;
	}
	BIO_set_data(bio, t);
	SSL_set_bio(t->ssl, bio, bio);
	SSL_set_app_data(t->ssl, t);
	t->handshaking = true;
	(*handshaking)++;
	return 0;
}

struct dpx_tls_conn *dpx_tls_conn_new(struct dpx_tls_server *srv,
				      struct rte_mempool *mp)
{
	struct dpx_tls_conn *t;

	if (srv->conf->max_handshakes &&
	    srv->handshaking >= srv->conf->max_handshakes) {
		srv->stats->handshakes_refused++;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto nomem;
	t->srv = srv;
	if (conn_init(t, srv->groups[0].ctx, srv->stats, &srv->handshaking,
		      mp) != 0)
		return NULL;
	/* On the SSL itself, not only inherited from the first context: the
	 * SNI callback's SSL_set_SSL_CTX does not carry verify settings. */
	if (srv->conf->client_auth != DPX_TLS_CLIENT_AUTH_NONE) {
		SSL_set_verify(t->ssl, tls_verify_mode(srv->conf), NULL);
		SSL_set_verify_depth(t->ssl,
				     (int)srv->conf->client_verify_depth);
	}
	SSL_set_accept_state(t->ssl);
	srv->refs++;    /* a reload must not free the SSL_CTX under us */
	return t;
nomem:
	srv->stats->no_memory++;
	return NULL;
}

struct dpx_tls_conn *tls_conn_connect(struct dpx_tls_client *cli,
				      SSL_CTX *ctx, struct dpx_tls_stats *st,
				      uint32_t *handshaking,
				      struct rte_mempool *mp,
				      unsigned int server)
{
	struct dpx_tls_conn *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		st->no_memory++;
		return NULL;
	}
	t->cli = cli;
	t->server = server;
	if (conn_init(t, ctx, st, handshaking, mp) != 0)
		return NULL;
	SSL_set_connect_state(t->ssl);
	return t;
}

SSL *tls_conn_ssl(struct dpx_tls_conn *t)
{
	return t->ssl;
}

unsigned int tls_conn_server(const struct dpx_tls_conn *t)
{
	return t->server;
}

void dpx_tls_conn_free(struct dpx_tls_conn *t)
{
	if (t == NULL)
		return;
	handshake_over(t);
	/* OpenSSL marks the session of an SSL freed without close_notify
	 * not resumable; a client keeps sessions for the next connection
	 * to its server, so a sound one closed by a FIN or a reset (not by
	 * an error) stays good. */
	if (t->cli != NULL && t->established && !t->failed)
		SSL_set_shutdown(t->ssl, SSL_get_shutdown(t->ssl) |
					 SSL_SENT_SHUTDOWN);
	free(t->client_subject);
	SSL_free(t->ssl);
	chain_free(t->in_head);
	chain_free(t->out_head);
	dpx_tls_server_release(t->srv);
	free(t);
}

void dpx_tls_conn_input(struct dpx_tls_conn *t, struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len;

	if (t->in_tail != NULL)
		t->in_tail->next = m;
	else
		t->in_head = m;
	t->in_tail = rte_pktmbuf_lastseg(m);
	t->in_len += len;
}

uint32_t dpx_tls_conn_input_len(const struct dpx_tls_conn *t)
{
	return t->in_len;
}

bool dpx_tls_conn_has_input(const struct dpx_tls_conn *t)
{
	return t->in_len > 0 || SSL_has_pending(t->ssl);
}

uint32_t dpx_tls_conn_consumed(struct dpx_tls_conn *t)
{
	uint32_t n = t->consumed;

	t->consumed = 0;
	return n;
}

/* Counts why a handshake or a record failed; the alert is queued. */
static enum dpx_tls_status conn_failed(struct dpx_tls_conn *t)
{
	unsigned long e = ERR_peek_error();
	int r = ERR_GET_REASON(e);

	if (!t->established) {
		t->stats->handshake_failed++;
		if (t->srv != NULL &&
		    r == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
			t->stats->client_cert_missing++;
		else if (t->srv != NULL && r == SSL_R_CERTIFICATE_VERIFY_FAILED)
			t->stats->client_cert_failed++;
		else if (r == SSL_R_UNSUPPORTED_PROTOCOL ||
		    r == SSL_R_VERSION_TOO_LOW ||
		    r == SSL_R_WRONG_VERSION_NUMBER)
			t->stats->version_refused++;
		else if (r == SSL_R_INAPPROPRIATE_FALLBACK)
			t->stats->downgrade_refused++;
		if (t->cli != NULL &&
		    SSL_get_verify_result(t->ssl) != X509_V_OK)
			t->stats->verify_failed++;
	}
	ERR_clear_error();
	t->failed = true;
	handshake_over(t);
	return DPX_TLS_ERROR;
}

/* The subject in RFC 2253 form. ESC_CTRL and ESC_MSB leave printable
 * ASCII; anything else is replaced all the same, since the value goes
 * into an HTTP header as it is. */
static char *subject_string(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
			       XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) >= 0 &&
	    (s = malloc((size_t)n + 1)) != NULL) {
		for (long i = 0; i < n; i++)
			s[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

/* Keeps what requests will say about the client's certificate; -1: out
 * of memory. */
static int conn_client_cert(struct dpx_tls_conn *t)
{
	static const char hex[] = "0123456789abcdef";
	X509 *x = SSL_get0_peer_certificate(t->ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	/* With SSL_VERIFY_PEER a certificate that did not verify has
	 * already failed the handshake; checked again all the same. */
	if (x == NULL || SSL_get_verify_result(t->ssl) != X509_V_OK)
		return 0;
	t->client_subject = subject_string(x);
	if (t->client_subject == NULL ||
	    X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
		free(t->client_subject);
		t->client_subject = NULL;
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		t->client_sha256[2 * i] = hex[md[i] >> 4];
		t->client_sha256[2 * i + 1] = hex[md[i] & 15];
	}
	t->client_sha256[2 * n] = '\0';
	t->stats->client_cert_verified++;
	return 0;
}

static enum dpx_tls_status conn_handshake(struct dpx_tls_conn *t)
{
	struct dpx_tls_stats *st = t->stats;
	int r = SSL_do_handshake(t->ssl);

	if (r != 1) {
		int e = SSL_get_error(t->ssl, r);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return DPX_TLS_OK;
		return conn_failed(t);
	}
	if (t->srv != NULL &&
	    t->srv->conf->client_auth != DPX_TLS_CLIENT_AUTH_NONE &&
	    conn_client_cert(t) != 0) {
		/* Forwarding without the certificate's headers would tell
		 * the servers that the client sent none. */
		ERR_clear_error();
		st->no_memory++;
		t->failed = true;
		handshake_over(t);
		return DPX_TLS_ERROR;
	}
	t->established = true;
	handshake_over(t);
	st->handshakes++;
	if (SSL_session_reused(t->ssl))
		st->resumed++;
	if (SSL_version(t->ssl) == TLS1_3_VERSION)
		st->tls13++;
	else
		st->tls12++;
	return DPX_TLS_OK;
}

enum dpx_tls_status dpx_tls_conn_read(struct dpx_tls_conn *t, uint32_t max,
				      struct rte_mbuf **head,
				      struct rte_mbuf **tail, uint32_t *len)
{
	uint32_t got = 0;

	if (t->failed)
		return DPX_TLS_ERROR;
	if (!t->established) {
		enum dpx_tls_status st = conn_handshake(t);

		if (st != DPX_TLS_OK || !t->established)
			return st;
	}
	while (got < max) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(t->mp);
		size_t want, n = 0;
		int r, e;

		if (m == NULL) {
			t->stats->no_memory++;
			return DPX_TLS_ERROR;
		}
		want = rte_pktmbuf_tailroom(m);
		if (want > max - got)
			want = max - got;
		r = SSL_read_ex(t->ssl, rte_pktmbuf_mtod(m, void *), want, &n);
		if (r == 1) {
			m->data_len = (uint16_t)n;
			m->pkt_len = (uint32_t)n;
			if (*tail != NULL)
				(*tail)->next = m;
			else
				*head = m;
			*tail = m;
			got += (uint32_t)n;
			continue;
		}
		rte_pktmbuf_free(m);
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		if (e == SSL_ERROR_ZERO_RETURN) {
			t->stats->close_notify_received++;
			*len += got;
			return DPX_TLS_CLOSED;
		}
		*len += got;
		return conn_failed(t);
	}
	*len += got;
	return DPX_TLS_OK;
}

bool dpx_tls_conn_established(const struct dpx_tls_conn *t)
{
	return t->established;
}

int dpx_tls_conn_write(struct dpx_tls_conn *t, const void *p, uint32_t len)
{
	size_t n = 0;

	if (!t->established || t->failed || t->shutdown_sent)
		return -1;
	if (len == 0)
		return 0;
	if (SSL_write_ex(t->ssl, p, len, &n) != 1 || n != len) {
		conn_failed(t);
		return -1;
	}
	return 0;
}

void dpx_tls_conn_shutdown(struct dpx_tls_conn *t)
{
	if (t->shutdown_sent || t->failed || !t->established)
		return;
	t->shutdown_sent = true;
	if (SSL_shutdown(t->ssl) >= 0)
		t->stats->close_notify_sent++;
	ERR_clear_error();
}

struct rte_mbuf *dpx_tls_conn_output(struct dpx_tls_conn *t, uint32_t *len)
{
	struct rte_mbuf *m = t->out_head;

	*len = t->out_len;
	t->out_head = NULL;
	t->out_tail = NULL;
	t->out_len = 0;
	return m;
}

const char *dpx_tls_conn_version(const struct dpx_tls_conn *t)
{
	return t->established ? SSL_get_version(t->ssl) : "-";
}

const char *dpx_tls_conn_cipher(const struct dpx_tls_conn *t)
{
	return t->established ? SSL_get_cipher_name(t->ssl) : "-";
}

const char *dpx_tls_conn_sni(const struct dpx_tls_conn *t)
{
	return SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
}

const char *dpx_tls_conn_client_subject(const struct dpx_tls_conn *t)
{
	return t->client_subject;
}

const char *dpx_tls_conn_client_sha256(const struct dpx_tls_conn *t)
{
	return t->client_subject != NULL ? t->client_sha256 : NULL;
}
