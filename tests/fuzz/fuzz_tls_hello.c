/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the ClientHello reader (lib/tls/tls_hello.c).
 * Besides the sanitizers it checks the reader's promises: a complete
 * hello lies within the input, every shorter prefix of it asks for more
 * (and never for fewer bytes than it has), the SNI is a lower-case host
 * name, and the answer does not depend on bytes after the hello.
 * Seeds: tests/fuzz/corpus/tls_hello (real ClientHellos).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_tls.h"

static void check_sni(const struct dpx_tls_hello *h)
{
	size_t n = strlen(h->sni);

	if (!h->has_sni)
		return;
	if (n == 0 || n >= sizeof(h->sni) || h->sni[0] == '.')
		abort();
	for (size_t i = 0; i < n; i++)
		if (h->sni[i] >= 'A' && h->sni[i] <= 'Z')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpx_tls_hello h, h2;
	size_t need, need2;
	int rc = dpx_tls_hello_parse(data, size, DPX_TLS_HELLO_MAX, &h, &need);

	if (rc == 0 && need <= size)
		abort();
	if (rc != 1)
		return 0;
	if (h.hello_len == 0 || h.hello_len > size)
		abort();
	check_sni(&h);
	/* Prefixes ask for more; the whole hello alone gives the same. */
	for (size_t k = 0; k < h.hello_len; k += 1 + k / 4) {
		if (dpx_tls_hello_parse(data, k, DPX_TLS_HELLO_MAX, &h2,
					&need2) != 0 || need2 <= k)
			abort();
	}
	if (dpx_tls_hello_parse(data, h.hello_len, DPX_TLS_HELLO_MAX, &h2,
				&need2) != 1 || h2.has_sni != h.has_sni ||
	    strcmp(h2.sni, h.sni) != 0 || h2.n_alpn != h.n_alpn)
		abort();
	return 0;
}
