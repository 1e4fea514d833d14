/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/timer: the input is a start tick and a sequence
 * of operations (arm, extend, arm in the past, cancel, advance, sleep until
 * next_expiry, and what each timer's callback does when it fires: re-arm
 * itself, cancel or arm another) on a pool of 16 timers. A brute-force
 * model holds each timer's effective expiry, max(expire, clock when armed);
 * every fire must be of a pending timer, exactly at its effective expiry,
 * with no pending timer overdue; after every operation the pending flags,
 * the clock, the fire count and next_expiry must agree with the model.
 * Any mismatch aborts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpx_timer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL 16
/* Arms from callbacks per advance: a periodic timer over a huge advance
 * (or re-arming itself already due) would otherwise never finish. */
#define CB_ARM_BUDGET 256

enum action { ACT_NONE, ACT_REARM_SELF, ACT_CANCEL, ACT_ARM };

struct cb_plan {
	enum action action;
	unsigned int other;     /* timer cancelled or armed */
	uint64_t delay;
	bool past;              /* ACT_ARM: now - delay instead of now + delay */
};

static struct {
	struct dpx_timer_wheel wheel;
	struct dpx_timer t[POOL];
	struct cb_plan plan[POOL];
	bool pending[POOL];
	uint64_t eff[POOL];
	uint64_t placed[POOL];  /* where the wheel holds it (<= eff) */
	uint64_t now;
	uint64_t target;
	unsigned int fired;
	unsigned int arm_budget;
} s;

struct input {
	const uint8_t *p;
	size_t left;
};

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_timer: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

static uint8_t take_byte(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/* Top 3 bits of the first byte: how many more bytes; so all magnitudes. */
static uint64_t take_delay(struct input *in)
{
	uint8_t b = take_byte(in);
	unsigned int extra = b >> 5;
	uint64_t v = 0;

	for (unsigned int i = 0; i < extra; i++)
		v |= (uint64_t)take_byte(in) << (8 * i);
	if (extra == 7)         /* make the top byte reachable too */
		v |= (uint64_t)take_byte(in) << 56;
	return v << 5 | (b & 31);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a < b ? 0 : a - b;
}

static void model_arm(unsigned int i, uint64_t expire)
{
	dpx_timer_arm(&s.wheel, &s.t[i], expire);
	s.pending[i] = true;
	s.eff[i] = expire > s.now ? expire : s.now;
	s.placed[i] = s.eff[i];
}

/* dpx_timer_extend(): a pending timer moved later keeps its place. */
static void model_extend(unsigned int i, uint64_t expire)
{
	if (!s.pending[i] || expire < s.placed[i]) {
		dpx_timer_extend(&s.wheel, &s.t[i], expire);
		s.pending[i] = true;
		s.eff[i] = expire > s.now ? expire : s.now;
		s.placed[i] = s.eff[i];
		return;
	}
	dpx_timer_extend(&s.wheel, &s.t[i], expire);
	s.eff[i] = expire > s.now ? expire : s.now;
}

static void model_cancel(unsigned int i)
{
	dpx_timer_cancel(&s.wheel, &s.t[i]);
	s.pending[i] = false;
}

/* From a callback: each arm spends the budget; dropped once it is spent. */
static void cb_arm(unsigned int i, uint64_t expire)
{
	if (s.arm_budget == 0)
		return;
	s.arm_budget--;
	model_arm(i, expire);
}

static void run_plan(unsigned int i)
{
	const struct cb_plan *p = &s.plan[i];

	switch (p->action) {
	case ACT_NONE:
		break;
	case ACT_REARM_SELF:
		cb_arm(i, sat_add(s.now, p->delay));
		break;
	case ACT_CANCEL:
		model_cancel(p->other);
		break;
	case ACT_ARM:
		cb_arm(p->other, p->past ? sat_sub(s.now, p->delay) :
					   sat_add(s.now, p->delay));
		break;
	}
}

static void on_fire(struct dpx_timer *t, void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	uint64_t now = dpx_timer_wheel_now(&s.wheel);

	REQUIRE(i < POOL && t == &s.t[i]);
	REQUIRE(!dpx_timer_pending(t));
	REQUIRE(s.pending[i]);
	REQUIRE(now == s.eff[i]);
	REQUIRE(now >= s.now && now <= s.target);
	for (unsigned int j = 0; j < POOL; j++)
		REQUIRE(!s.pending[j] || s.eff[j] >= now);
	s.pending[i] = false;
	s.now = now;
	s.fired++;
	run_plan(i);
}

static void check_state(void)
{
	uint64_t min_eff = UINT64_MAX, ne = dpx_timer_next_expiry(&s.wheel);
	bool any = false, extended = false;

	REQUIRE(dpx_timer_wheel_now(&s.wheel) == s.now);
	for (unsigned int j = 0; j < POOL; j++) {
		REQUIRE(dpx_timer_pending(&s.t[j]) == s.pending[j]);
		if (!s.pending[j])
			continue;
		REQUIRE(dpx_timer_expiry(&s.t[j]) <= s.eff[j]);
		any = true;
		extended |= s.placed[j] < s.eff[j];
		if (s.eff[j] < min_eff)
			min_eff = s.eff[j];
	}
	if (!any) {
		REQUIRE(ne == UINT64_MAX);
		return;
	}
	REQUIRE(ne >= s.now && ne <= min_eff);
	if (min_eff == s.now)                   /* something already due */
		REQUIRE(ne == s.now);
	/* Exact when close, unless an extended timer wakes up early. */
	if ((min_eff ^ s.now) < DPX_TIMER_SLOTS && !extended)
		REQUIRE(ne == min_eff);
}

static void model_advance(uint64_t target)
{
	unsigned int ret;

	s.target = target < s.now ? s.now : target;
	s.fired = 0;
	s.arm_budget = CB_ARM_BUDGET;
	ret = dpx_timer_advance(&s.wheel, target);
	REQUIRE(ret == s.fired);
	s.now = s.target;
	for (unsigned int j = 0; j < POOL; j++)
		REQUIRE(!s.pending[j] || s.eff[j] > s.now);
}

static void set_plan(struct input *in, unsigned int i)
{
	uint8_t b = take_byte(in);

	s.plan[i] = (struct cb_plan){
		.action = (enum action)(b & 3),
		.past = b & 4,
		.other = (b >> 4) % POOL,
		.delay = take_delay(in),
	};
}

static void step(struct input *in)
{
	uint8_t op = take_byte(in);
	unsigned int i = (op >> 3) % POOL;
	uint64_t ne;

	switch (op & 7) {
	case 0:
		model_arm(i, sat_add(s.now, take_delay(in)));
		break;
	case 1:
		model_extend(i, sat_add(s.now, take_delay(in)));
		break;
	case 2:
		model_arm(i, sat_sub(s.now, take_delay(in)));
		break;
	case 3:
		model_cancel(i);
		break;
	case 4:
	case 5:
		model_advance(sat_add(s.now, take_delay(in)));
		break;
	case 6:                 /* an idle worker sleeping, maybe waking early */
		ne = dpx_timer_next_expiry(&s.wheel);
		model_advance(ne == UINT64_MAX ? s.now : sat_sub(ne, op >> 7));
		break;
	case 7:
		set_plan(in, i);
		break;
	}
	check_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint64_t start = 0;

	memset(&s, 0, sizeof(s));
	for (unsigned int i = 0; i < 8 && in.left; i++)
		start |= (uint64_t)take_byte(&in) << (8 * i);
	/* Mostly near 0, sometimes anywhere, including the very top. */
	if (!(start & 1))
		start >>= 40;
	s.now = start;
	dpx_timer_wheel_init(&s.wheel, start);
	for (unsigned int i = 0; i < POOL; i++)
		dpx_timer_init(&s.t[i], on_fire, (void *)(uintptr_t)i);
	while (in.left)
		step(&in);
	model_advance(UINT64_MAX);
	for (unsigned int j = 0; j < POOL; j++)
		REQUIRE(!s.pending[j]);
	return 0;
}
