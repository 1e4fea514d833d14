/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-ticket keys shared by every worker, rotated by the control
 * plane (struct dpx_tls_keys in tls_priv.h says how readers stay
 * lock-free), and OpenSSL's ticket callback that uses them.
 *
 * Keys are random, made at start and every ticket_rotate_s, or read from
 * ticket_keys_file (several dpx machines then share them): one key per
 * line, base64 of 80 bytes (name 16, AES-256 key 32, HMAC-SHA256 key 32),
 * the first line encrypting, every line (at most 4) decrypting. The file
 * is read again every ticket_rotate_s when it changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tls_priv.h"

/* ---------------------------------------------------------------------- */
/* Slots                                                                    */

static void slot_read(const struct tls_key_slot *s, struct tls_key *out)
{
	unsigned int a, b;

	do {
		a = atomic_load_explicit(&s->seq, memory_order_acquire);
		memcpy(out, &s->k, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&s->seq, memory_order_relaxed);
	} while ((a & 1) != 0 || a != b);
}

static void slot_write(struct tls_key_slot *s, const struct tls_key *k)
{
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_acq_rel);
	atomic_thread_fence(memory_order_release);
	memcpy(&s->k, k, sizeof(*k));
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

void tls_keys_current(const struct dpx_tls_keys *k, struct tls_key *out)
{
	unsigned int i = atomic_load_explicit(&k->current,
					      memory_order_acquire);

	slot_read(&k->slot[i % TLS_KEY_SLOTS], out);
}

bool tls_keys_find(const struct dpx_tls_keys *k, const unsigned char *name,
		   struct tls_key *out, bool *is_current)
{
	unsigned int cur = atomic_load_explicit(&k->current,
						memory_order_acquire);

	for (unsigned int j = 0; j < TLS_KEY_SLOTS; j++) {
		unsigned int i = (cur + TLS_KEY_SLOTS - j) % TLS_KEY_SLOTS;

		slot_read(&k->slot[i], out);
		if (memcmp(out->name, name, sizeof(out->name)) == 0) {
			*is_current = j == 0;
			return true;
		}
	}
	return false;
}

/* Publishes key as the encrypting one; the oldest slot goes. */
static void keys_push(struct dpx_tls_keys *k, const struct tls_key *key)
{
	unsigned int next = (atomic_load(&k->current) + 1) % TLS_KEY_SLOTS;

	slot_write(&k->slot[next], key);
	atomic_store_explicit(&k->current, next, memory_order_release);
	k->rotations++;
}

static int random_key(struct tls_key *key)
{
	return RAND_bytes(key->name, sizeof(key->name)) == 1 &&
	       RAND_bytes(key->aes, sizeof(key->aes)) == 1 &&
	       RAND_bytes(key->hmac, sizeof(key->hmac)) == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* The key file                                                             */

/* Up to TLS_KEY_SLOTS keys of file, in file order; returns how many, or
 * -1 with err set. */
int tls_keys_file_read(const char *file, struct tls_key *keys, char *err,
		       size_t errlen)
{
	char line[256];
	int n = 0, lineno = 0;
	FILE *f = fopen(file, "r");

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", file,
			 strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned char raw[96];
		size_t len = strcspn(line, "\r\n");
		int got;

		lineno++;
		if (len == 0 || line[0] == '#')
			continue;
		got = EVP_DecodeBlock(raw, (const unsigned char *)line,
				      (int)len);
		/* 80 bytes encode to 108 characters, with one '=' pad. */
		if (len != 108 || got != 81 || line[107] != '=') {
			snprintf(err, errlen, "%s:%d: not the base64 of an "
				 "80-byte key (name 16, AES 32, HMAC 32)",
				 file, lineno);
			n = -1;
			break;
		}
		if (n == TLS_KEY_SLOTS) {
			snprintf(err, errlen, "%s: at most %d keys", file,
				 TLS_KEY_SLOTS);
			n = -1;
			break;
		}
		memcpy(keys[n].name, raw, 16);
		memcpy(keys[n].aes, raw + 16, 32);
		memcpy(keys[n].hmac, raw + 48, 32);
		n++;
	}
	fclose(f);
	if (n == 0) {
		snprintf(err, errlen, "%s: no key", file);
		n = -1;
	}
	OPENSSL_cleanse(line, sizeof(line));
	return n;
}

/* Loads the file into the slots, which then hold its keys and nothing
 * else (the slots it does not fill get random keys no ticket names); the
 * first key encrypts. */
static int keys_load(struct dpx_tls_keys *k, char *err, size_t errlen)
{
	struct tls_key keys[TLS_KEY_SLOTS];
	int n = tls_keys_file_read(k->conf->ticket_keys_file, keys, err,
				   errlen);

	if (n < 0)
		return -1;
	for (int i = n; i < TLS_KEY_SLOTS; i++)
		if (random_key(&keys[i]) != 0) {
			snprintf(err, errlen, "no random bytes");
			return -1;
		}
	for (int i = TLS_KEY_SLOTS - 1; i >= 0; i--)
		keys_push(k, &keys[i]);
	OPENSSL_cleanse(keys, sizeof(keys));
	return 0;
}

static bool file_changed(struct dpx_tls_keys *k)
{
	struct stat st;

	if (stat(k->conf->ticket_keys_file, &st) != 0)
		return false;
	if (st.st_mtim.tv_sec == k->file_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == k->file_mtime.tv_nsec)
		return false;
	k->file_mtime = st.st_mtim;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                               */

struct dpx_tls_keys *dpx_tls_keys_create(void)
{
	struct dpx_tls_keys *k = calloc(1, sizeof(*k));
	struct tls_key key;

	if (k == NULL)
		return NULL;
	if (random_key(&key) != 0) {
		free(k);
		return NULL;
	}
	keys_push(k, &key);
	OPENSSL_cleanse(&key, sizeof(key));
	return k;
}

struct dpx_tls_keys *dpx_tls_keys_open(const struct dpx_tls_conf *conf,
				       char *err, size_t errlen)
{
	struct dpx_tls_keys *k;

	if (conf->ticket_keys_file[0] == '\0') {
		k = dpx_tls_keys_create();
		if (k == NULL)
			snprintf(err, errlen, "no random bytes for ticket keys");
	} else {
		k = calloc(1, sizeof(*k));
		if (k == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		k->conf = conf;
		file_changed(k);
		if (keys_load(k, err, errlen) != 0) {
			free(k);
			return NULL;
		}
	}
	if (k != NULL)
		k->conf = conf;     /* next_ms 0: the first tick sets it */
	return k;
}

int dpx_tls_keys_tick(struct dpx_tls_keys *k, uint64_t now_ms, char *err,
		      size_t errlen)
{
	struct tls_key key;

	if (k->conf == NULL || k->conf->ticket_rotate_s == 0)
		return 0;
	if (k->next_ms == 0)
		k->next_ms = now_ms + (uint64_t)k->conf->ticket_rotate_s * 1000;
	if (now_ms < k->next_ms)
		return 0;
	k->next_ms = now_ms + (uint64_t)k->conf->ticket_rotate_s * 1000;
	if (k->conf->ticket_keys_file[0] != '\0')
		return file_changed(k) ? keys_load(k, err, errlen) : 0;
	if (random_key(&key) != 0) {
		snprintf(err, errlen, "no random bytes for a ticket key");
		return -1;
	}
	keys_push(k, &key);
	OPENSSL_cleanse(&key, sizeof(key));
	return 0;
}

uint64_t dpx_tls_keys_rotations(const struct dpx_tls_keys *k)
{
	return k->rotations;
}

void dpx_tls_keys_free(struct dpx_tls_keys *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k->slot, sizeof(k->slot));
	free(k);
}

/* ---------------------------------------------------------------------- */
/* OpenSSL's ticket callback                                                */

/*
 * 1: use the ticket, 2: use it and send a new one, 0: unknown key (full
 * handshake), -1: error. A ticket under an older key is renewed under the
 * current one; TLS 1.3 tickets are meant for one use (RFC 8446 C.4), so a
 * TLS 1.3 resumption always gets a fresh one: without it the client's
 * next connection is a full handshake (measured with wrk: every other
 * connection resumed).
 */
int tls_ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
		      EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct dpx_tls_server *srv = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct tls_key key;
	bool current = true;
	int rc = -1;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
						  key.hmac, sizeof(key.hmac)),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (enc) {
		tls_keys_current(srv->keys, &key);
		memcpy(name, key.name, sizeof(key.name));
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
		    EVP_EncryptInit_ex(cctx, srv->ticket_cipher, NULL,
				       key.aes, iv) != 1)
			goto out;
	} else {
		if (!tls_keys_find(srv->keys, name, &key, &current)) {
			rc = 0;
			goto out;
		}
		if (EVP_DecryptInit_ex(cctx, srv->ticket_cipher, NULL,
				       key.aes, iv) != 1)
			goto out;
	}
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		goto out;
	rc = enc || (current && SSL_version(ssl) < TLS1_3_VERSION) ? 1 : 2;
out:
	OPENSSL_cleanse(&key, sizeof(key));
	return rc;
}
