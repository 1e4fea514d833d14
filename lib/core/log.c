/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging to stderr: "dpx: LEVEL: message". The level is set once at
 * start-up (before workers start) and only read afterwards. Each message is
 * written with a single stdio call so lines from different threads do not
 * interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dpx_core.h"

static enum dpx_log_level log_level = DPX_LOG_INFO;

static const char *const level_names[] = {
	[DPX_LOG_ERR] = "error",
	[DPX_LOG_WARN] = "warning",
	[DPX_LOG_INFO] = "info",
	[DPX_LOG_DEBUG] = "debug",
};

#define N_LEVELS (sizeof(level_names) / sizeof(level_names[0]))

int dpx_log_level_parse(const char *s, enum dpx_log_level *out)
{
	if (s == NULL || out == NULL)
		return -1;
	for (size_t i = 0; i < N_LEVELS; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum dpx_log_level)i;
			return 0;
		}
	}
	return -1;
}

void dpx_log_set_level(enum dpx_log_level level)
{
	if ((unsigned int)level >= N_LEVELS)
		level = DPX_LOG_DEBUG;
	log_level = level;
}

enum dpx_log_level dpx_log_get_level(void)
{
	return log_level;
}

void dpx_log(enum dpx_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t n;

	if ((unsigned int)level >= N_LEVELS || level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	fprintf(stderr, "dpx: %s: %s\n", level_names[level], msg);
}
