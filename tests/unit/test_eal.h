/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for unit tests and fuzzers: no hugepages, no devices, a unique file
 * prefix, and no runtime directory left behind.
 */
#ifndef DPX_TEST_EAL_H
#define DPX_TEST_EAL_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

static char test_eal_run_dir[PATH_MAX];

static inline int
test_eal_init(const char *name)
{
	char prefix[64];
	char *eal[] = { (char *)(uintptr_t)name, "--no-huge", "--no-pci",
			"--no-shconf", "--no-telemetry", "-m", "64", "-l", "0",
			"--log-level", "*:error", "--file-prefix", prefix };

	snprintf(prefix, sizeof(prefix), "dpx-%s-%d", name, (int)getpid());
	if (rte_eal_init(RTE_DIM(eal), eal) < 0)
		return -1;
	snprintf(test_eal_run_dir, sizeof(test_eal_run_dir), "%s",
		 rte_eal_get_runtime_dir());
	return 0;
}

/* EAL leaves its runtime directory behind; a test must not. */
static inline void
test_eal_cleanup(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	rte_eal_cleanup();
	d = opendir(test_eal_run_dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", test_eal_run_dir,
			     de->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(test_eal_run_dir);
}

#endif /* DPX_TEST_EAL_H */
