/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal unit-test helpers: each test binary runs its cases, prints one
 * line per failed check and ends with "N passed, N failed"; the exit code is
 * non-zero when any case failed.
 */
#ifndef DPX_TEST_H
#define DPX_TEST_H

#include <stdio.h>
#include <string.h>

static int dpx_test_failed_checks;
static int dpx_test_cases_passed;
static int dpx_test_cases_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		dpx_test_failed_checks++; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, _a, _b); \
		dpx_test_failed_checks++; \
	} \
} while (0)

#define CHECK_STR_CONTAINS(hay, needle) do { \
	if (strstr((hay), (needle)) == NULL) { \
		fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", \
			__FILE__, __LINE__, (hay), (needle)); \
		dpx_test_failed_checks++; \
	} \
} while (0)

#define RUN_TEST(fn) do { \
	int _before = dpx_test_failed_checks; \
	fn(); \
	if (dpx_test_failed_checks == _before) { \
		dpx_test_cases_passed++; \
	} else { \
		fprintf(stderr, "FAIL %s\n", #fn); \
		dpx_test_cases_failed++; \
	} \
} while (0)

#define TEST_SUMMARY() ( \
	printf("%d passed, %d failed\n", dpx_test_cases_passed, \
	       dpx_test_cases_failed), \
	dpx_test_cases_failed ? 1 : 0)

#endif /* DPX_TEST_H */
