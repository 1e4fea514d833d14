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

/* What lib/proxy relies on without checking: indexes in range. */
static void
check_proxy_invariants(const struct dpx_config *cfg)
{
	if (cfg->n_pools > DPX_MAX_POOLS || cfg->n_routes > DPX_MAX_ROUTES)
		abort();
	for (unsigned int p = 0; p < cfg->n_pools; p++)
		if (cfg->pools[p].n_servers < 1 ||
		    cfg->pools[p].n_servers > DPX_MAX_SERVERS)
			abort();
	for (unsigned int i = 0; i < cfg->n_routes; i++)
		if (cfg->routes[i].pool >= cfg->n_pools)
			abort();
	for (unsigned int i = 0; i < cfg->n_listeners; i++) {
		const struct dpx_listener_conf *l = &cfg->listeners[i];
		bool proxy = l->mode == DPX_LISTEN_HTTP ||
			     l->mode == DPX_LISTEN_TCP;

		if (l->first_route + l->n_routes > cfg->n_routes ||
		    l->pool >= (int)cfg->n_pools || l->pool < -1 ||
		    (l->mode == DPX_LISTEN_TCP && l->pool < 0) ||
		    (proxy && l->pool < 0 && l->n_routes == 0) ||
		    (l->mode == DPX_LISTEN_HTTP &&
		     (l->http.max_headers > 100 || l->http.max_head < 1)) ||
		    ((l->mode == DPX_LISTEN_FORWARD) != (l->forward != NULL)) ||
		    (l->forward != NULL &&
		     (l->forward->pool >= cfg->n_pools ||
		      l->forward->n_connect_ports > DPX_FWD_MAX_PORTS ||
		      l->forward->n_strip_headers > DPX_FWD_MAX_STRIP)))
			abort();
	}
}

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
	if (rc == 0) {
		check_proxy_invariants(&cfg);
		dpx_config_release(&cfg);   /* forward listeners' sections */
	}
	fuzz_locate(text, size);
	free(text);
	return 0;
}
