/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "acl_cmds.h"
#include "dpx_core.h"
#include "dpx_proxy.h"

/* Telemetry callbacks take no user pointer: what was registered. */
static struct dpx_proxy_shared *acl_proxy;
static unsigned int acl_workers;

/* DPDK's telemetry refuses (drops) keys with characters other than
 * letters, digits, '_' and '/', and ACL and rule names may have '-':
 * such a counter shows under its key with '_' for '-'. */
static void
acl_add(void *ctx, const char *key, uint64_t v)
{
	char tel_key[RTE_TEL_MAX_STRING_LEN];

	snprintf(tel_key, sizeof(tel_key), "%s", key);
	for (char *p = tel_key; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	rte_tel_data_add_dict_u64(ctx, tel_key, v);
}

/* /dpx/acl_stats[,worker] */
static int
tel_acl_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long worker = -1;
	char *end;

	(void)cmd;
	if (acl_proxy == NULL)
		return -1;
	if (params != NULL && *params != '\0') {
		worker = strtol(params, &end, 10);
		if (*end != '\0' || worker < 0 || worker >= (long)acl_workers)
			return -1;
	}
	rte_tel_data_start_dict(d);
	dpx_proxy_acl_report(acl_proxy, (int)worker, acl_add, d);
	return 0;
}

/* /dpx/acl_reload: {"status": "ok", "acls": N, "reloads": N} or
 * {"status": "error", "error": "..."} with the old rules kept. */
static int
tel_acl_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char err[1024];
	unsigned int n = 0;
	uint64_t ok = 0, failed = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (dpx_proxy_acl_reload(acl_proxy, &n, err, sizeof(err)) != 0) {
		err[RTE_TEL_MAX_STRING_LEN - 1] = '\0';
		rte_tel_data_add_dict_string(d, "status", "error");
		rte_tel_data_add_dict_string(d, "error", err);
		return 0;
	}
	dpx_proxy_acl_reload_counts(acl_proxy, &ok, &failed);
	rte_tel_data_add_dict_string(d, "status", "ok");
	rte_tel_data_add_dict_u64(d, "acls", n);
	rte_tel_data_add_dict_u64(d, "reloads", ok);
	return 0;
}

void
dpx_acl_cmds_register(struct dpx_proxy_shared *sh, unsigned int n_workers)
{
	acl_proxy = sh;
	acl_workers = n_workers;
	if (rte_telemetry_register_cmd("/dpx/acl_stats", tel_acl_stats,
			"ACL decisions and matches per rule, all workers or one. Parameters: [int worker]") != 0 ||
	    rte_telemetry_register_cmd("/dpx/acl_reload", tel_acl_reload,
			"Rebuilds every ACL from its config, reading list files again; a failure keeps the current rules. No parameters") != 0)
		DPX_WARN("ACL telemetry commands not registered");
}
