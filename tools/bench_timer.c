/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark for lib/timer with 1M timers: ns/op for arm, re-arm
 * (random and RTO-like), cancel, and advance (per fired timer, per idle
 * tick, and one huge jump). Timers are touched in a shuffled order, as
 * connections are, so cache misses on timers and their list neighbours
 * are included.
 *
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Ilib/timer tools/bench_timer.c \
 *       lib/timer/timer.c -o /tmp/bench_timer
 *   /tmp/bench_timer [n_timers]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dpx_timer.h"

#define MAX_DELAY 200000        /* 200 s at 1 ms ticks: RTO to keepalive */

static struct dpx_timer_wheel wheel;
static struct dpx_timer *timers;
static uint32_t *order;         /* shuffled timer indices */
static uint32_t *delay;         /* per-index random delay in [1, MAX_DELAY] */
static uint32_t n;
static uint64_t fired;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void count_cb(struct dpx_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	fired++;
}

static void report(const char *what, double ns, uint64_t ops)
{
	printf("%-28s %10.1f ns/op  (%llu ops)\n", what, ns / (double)ops,
	       (unsigned long long)ops);
}

static void shuffle_and_draw(void)
{
	for (uint32_t i = 0; i < n; i++) {
		order[i] = i;
		delay[i] = 1 + (uint32_t)(rnd() % MAX_DELAY);
	}
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd() % (i + 1)), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
}

static void arm_all(const char *label)
{
	uint64_t base = dpx_timer_wheel_now(&wheel);
	double t0 = now_ns();

	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = order[i];

		dpx_timer_arm(&wheel, &timers[k], base + delay[k]);
	}
	if (label)
		report(label, now_ns() - t0, n);
}

/* Moves every timer to another random slot. */
static void bench_rearm_random(void)
{
	uint64_t base = dpx_timer_wheel_now(&wheel);
	double t0 = now_ns();

	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = order[i];

		dpx_timer_arm(&wheel, &timers[k], base + delay[n - 1 - k]);
	}
	report("re-arm (random)", now_ns() - t0, n);
}

/*
 * RTO on every ACK: each timer re-armed to now + ~RTO about every 100
 * ticks, so it never fires; the clock advances 1 tick per n / 100 ACKs.
 */
static void bench_rearm_rto(void)
{
	uint64_t now = dpx_timer_wheel_now(&wheel);
	uint32_t per_tick = n / 100 ? n / 100 : 1;
	const unsigned int passes = 5;
	double t0 = now_ns();

	for (unsigned int p = 0; p < passes; p++) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t k = order[i];

			if (i % per_tick == 0)
				dpx_timer_advance(&wheel, ++now);
			dpx_timer_arm(&wheel, &timers[k], now + 200 + (k & 255));
		}
	}
	report("re-arm (RTO, +advance)", now_ns() - t0, (uint64_t)n * passes);
}

static void bench_cancel(void)
{
	double t0 = now_ns();

	for (uint32_t i = 0; i < n; i++)
		dpx_timer_cancel(&wheel, &timers[order[i]]);
	report("cancel", now_ns() - t0, n);
}

/* One advance per tick until all fired: the steady-state worker loop. */
static void bench_advance_fire(void)
{
	uint64_t start = dpx_timer_wheel_now(&wheel), calls = 0;
	double t0;

	arm_all(NULL);
	fired = 0;
	t0 = now_ns();
	for (uint64_t now = start + 1; fired < n; now++, calls++)
		dpx_timer_advance(&wheel, now);
	t0 = now_ns() - t0;
	report("advance (per fired timer)", t0, fired);
	printf("%-28s %10.1f ns/call (%llu calls, %.2f fired per call)\n", "",
	       t0 / (double)calls, (unsigned long long)calls,
	       (double)fired / (double)calls);
}

/* Ticks with nothing due, all timers far away. */
static void bench_advance_idle(void)
{
	uint64_t now = dpx_timer_wheel_now(&wheel);
	const uint64_t ticks = 10000000;
	double t0;

	for (uint32_t i = 0; i < n; i++)
		dpx_timer_arm(&wheel, &timers[i], now + (UINT64_C(1) << 40) + i);
	t0 = now_ns();
	for (uint64_t i = 0; i < ticks; i++)
		dpx_timer_advance(&wheel, ++now);
	report("advance (idle tick)", now_ns() - t0, ticks);
	t0 = now_ns();
	dpx_timer_advance(&wheel, now + (UINT64_C(1) << 39));
	report("advance (jump 2^39 ticks)", now_ns() - t0, 1);
	for (uint32_t i = 0; i < n; i++)
		dpx_timer_cancel(&wheel, &timers[i]);
}

int main(int argc, char **argv)
{
	n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000000;
	if (n < 2)
		n = 2;
	timers = calloc(n, sizeof(*timers));
	order = calloc(n, sizeof(*order));
	delay = calloc(n, sizeof(*delay));
	if (!timers || !order || !delay) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("%u timers, delays 1..%u ticks, sizeof timer %zu, wheel %zu\n",
	       n, MAX_DELAY, sizeof(struct dpx_timer), sizeof(wheel));
	dpx_timer_wheel_init(&wheel, 1000);
	for (uint32_t i = 0; i < n; i++)
		dpx_timer_init(&timers[i], count_cb, NULL);
	shuffle_and_draw();
	arm_all("arm");
	bench_rearm_random();
	bench_rearm_rto();
	bench_cancel();
	bench_advance_fire();
	bench_advance_idle();
	free(timers);
	free(order);
	free(delay);
	return 0;
}
