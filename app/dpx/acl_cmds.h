/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands of forward listeners' access control: /dpx/acl_stats
 * (decisions and matches per rule, summed over workers or of one) and
 * /dpx/acl_reload (every ACL rebuilt from its config and list files).
 */
#ifndef DPX_APP_ACL_CMDS_H
#define DPX_APP_ACL_CMDS_H

struct dpx_proxy_shared;

/* sh must outlive EAL; NULL (no proxy) registers commands that say so. */
void dpx_acl_cmds_register(struct dpx_proxy_shared *sh,
			   unsigned int n_workers);

#endif
