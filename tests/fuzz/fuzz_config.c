/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the config loader: any bytes go through Jansson,
 * the validator and, for semantic errors, the position scanner. The raw
 * input is also fed to the scanner directly (it must cope with malformed
 * text too), and every error must be one terminated line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_core.h"
#include "json_locate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_locate(const char *text, size_t len)
{
	static const struct dpx_json_step paths[][4] = {
		{ { .key = "ports" }, { .index = 0 }, { .key = "addresses" },
		  { .index = 1 } },
		{ { .key = "workers" }, { .index = 2 } },
		{ { .index = 0 }, { .index = 0 }, { .key = "" }, { .key = "\xc3\xa9" } },
	};
	unsigned int line, col;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t n = dpx_json_locate(text, len, paths[i], 4, i & 1,
					   &line, &col);

		if (n > 4 || line == 0 || col == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dpx_config cfg;
	char err[DPX_ERR_LEN];
	char *text = malloc(size ? size : 1);   /* exact size: no terminator */
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	memset(err, 'x', sizeof(err));
	rc = dpx_config_load_buffer("fuzz.json", text, size, &cfg, err,
				    sizeof(err));
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && (memchr(err, '\0', sizeof(err)) == NULL ||
			 strchr(err, '\n') != NULL ||
			 strncmp(err, "fuzz.json:", 10) != 0))
		abort();
	if (rc == 0 && (cfg.n_ports < 1 || cfg.n_ports > DPX_MAX_PORTS ||
			cfg.n_workers < 1 || cfg.n_workers > DPX_MAX_WORKERS))
		abort();
	fuzz_locate(text, size);
	free(text);
	return 0;
}
