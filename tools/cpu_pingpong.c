/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How far apart two CPUs are: the round trip of a cache line between them
 * (one thread on each writes a flag the other waits for), in TSC cycles,
 * median and tails over many trips. On a VM the host decides where the
 * vCPUs run; two vCPUs on one physical core or CCX pass a line in ~200
 * cycles, on different ones in ~1,000. Every packet of a memif loop crosses
 * between dpx's CPU and the load generator's, so benchmarks print this
 * next to their cycles per request.
 *
 * usage: cpu_pingpong [CPU_A CPU_B]   (default 0 1)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#define TRIPS 200000

static _Alignas(64) atomic_int flag;
static uint64_t trip[TRIPS];

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
echo(void *arg)
{
	if (pin(*(int *)arg) != 0)
		return NULL;
	for (int i = 0; i < TRIPS; i++) {
		while (atomic_load_explicit(&flag, memory_order_acquire) != 1)
			;
		atomic_store_explicit(&flag, 0, memory_order_release);
	}
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int a = argc > 2 ? atoi(argv[1]) : 0, b = argc > 2 ? atoi(argv[2]) : 1;
	pthread_t t;

	if (pin(a) != 0 || pthread_create(&t, NULL, echo, &b) != 0) {
		fprintf(stderr, "cpu_pingpong: cannot run on CPUs %d and %d\n",
			a, b);
		return 1;
	}
	for (int i = 0; i < TRIPS; i++) {
		uint64_t t0 = __rdtsc();

		atomic_store_explicit(&flag, 1, memory_order_release);
		while (atomic_load_explicit(&flag, memory_order_acquire) != 0)
			;
		trip[i] = __rdtsc() - t0;
	}
	pthread_join(t, NULL);
	qsort(trip, TRIPS, sizeof(trip[0]), cmp);
	printf("cache line round trip CPU %d <-> %d: p50 %lu p90 %lu p99 %lu "
	       "TSC cycles\n", a, b, (unsigned long)trip[TRIPS / 2],
	       (unsigned long)trip[TRIPS * 9 / 10],
	       (unsigned long)trip[TRIPS * 99 / 100]);
	return 0;
}
