/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/core: what the loader's files share beyond the public
 * toolkit (dpx_config_kit.h): config.c has the document, ports, workers,
 * arp, listeners, tcp; config_proxy.c pools, routes, the proxy settings of
 * listeners, access_log.
 */
#ifndef DPX_CONFIG_PRIV_H
#define DPX_CONFIG_PRIV_H

#include "dpx_config_kit.h"

/* Names of enum dpx_listener_mode, NULL-terminated. */
extern const char *const cfg_listener_modes[];

/* config_proxy.c, called by config.c. Pools are parsed before listeners
 * so that listeners and routes can name them. */
int cfg_parse_pools(struct cfg_ctx *c, json_t *root, struct dpx_config *cfg);
int cfg_parse_access_log(struct cfg_ctx *c, json_t *root,
			 struct dpx_config *cfg);
/* Proxy keys of listener idx (defaults for every mode), after its mode
 * is known. */
int cfg_parse_listener_proxy(struct cfg_ctx *c, json_t *l,
			     struct dpx_config *cfg, size_t idx);
/* config_forward.c: the keys of a "mode": "forward" listener idx (limits
 * and "http" parsed already); adds the pool its connections count in. */
int cfg_parse_listener_forward(struct cfg_ctx *c, json_t *l,
			       struct dpx_config *cfg, size_t idx);
/* A header name: a token (RFC 9110 5.6.2). */
int cfg_check_header_name(struct cfg_ctx *c, const char *s);
/* A header value: text, no blank at either end. */
int cfg_check_header_value(struct cfg_ctx *c, const char *s);

#endif /* DPX_CONFIG_PRIV_H */
