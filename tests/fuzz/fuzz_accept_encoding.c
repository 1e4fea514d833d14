/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/compress's Accept-Encoding parser and choice.
 * The first byte picks the enabled codings and their order; the rest,
 * copied to an exact-size heap buffer so that ASan sees any overread, is
 * the field value. Checks: every weight in -1..1000; the choice is NONE
 * or an enabled coding with a weight above 0 that no enabled coding
 * beats; the same value split at any comma, as two field lines, gives
 * the same answer (a list may be spread over several lines, RFC 9110
 * 5.3); and a Vary merge of the value never overflows its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void pick_codings(uint8_t b, struct dpx_compress_conf *conf)
{
	static const uint8_t orders[6][3] = {
		{ 2, 3, 1 }, { 2, 1, 3 }, { 3, 2, 1 },
		{ 3, 1, 2 }, { 1, 2, 3 }, { 1, 3, 2 } };
	unsigned int n = 1 + (b >> 3) % 3;

	conf->n_codings = (uint8_t)n;
	memcpy(conf->codings, orders[(b & 7) % 6], 3);
}

static int weight(const struct dpx_accept_encoding *ae, unsigned int c)
{
	if (ae->q[c] >= 0)
		return ae->q[c];
	return ae->star >= 0 ? ae->star : 0;
}

static void check_choice(const struct dpx_compress_conf *conf,
			 const struct dpx_accept_encoding *ae,
			 enum dpx_coding got)
{
	unsigned int i;
	bool enabled = false;

	for (i = 0; i < DPX_CODING_COUNT; i++)
		if (ae->q[i] < -1 || ae->q[i] > 1000)
			abort();
	if (ae->star < -1 || ae->star > 1000 || ae->identity < -1 ||
	    ae->identity > 1000)
		abort();
	if (got == DPX_CODING_NONE)
		return;
	for (i = 0; i < conf->n_codings; i++) {
		enabled |= conf->codings[i] == got;
		if (weight(ae, conf->codings[i]) > weight(ae, got))
			abort();
	}
	if (!enabled || weight(ae, got) <= 0 || ae->identity > weight(ae, got))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpx_compress_conf conf;
	struct dpx_accept_encoding ae;
	struct dpx_http_str two[2];
	enum dpx_coding got;
	char *v, vary[2 * 4096 + 32];
	const char *comma;
	size_t len;

	if (size < 1 || size > 4096)
		return 0;
	memset(&conf, 0, sizeof(conf));
	conf.enabled = true;
	pick_codings(data[0], &conf);
	len = size - 1;
	v = malloc(len ? len : 1);
	if (v == NULL)
		return 0;
	memcpy(v, data + 1, len);

	dpx_accept_encoding_init(&ae);
	dpx_accept_encoding_parse(&ae, v, len);
	got = dpx_compress_choose(&conf, &ae);
	check_choice(&conf, &ae, got);

	comma = len ? memchr(v, ',', len) : NULL;
	if (comma != NULL) {
		two[0] = (struct dpx_http_str){ v, (uint32_t)(comma - v) };
		two[1] = (struct dpx_http_str){ comma + 1,
			(uint32_t)(len - (size_t)(comma - v) - 1) };
		if (dpx_compress_negotiate(&conf, two, 2) != got)
			abort();
	}
	two[0] = (struct dpx_http_str){ v, (uint32_t)len };
	if (dpx_compress_vary(&two[0], vary, len + 18) < 0)
		abort();	/* len + ", Accept-Encoding" + NUL always fits */
	free(v);
	return 0;
}
