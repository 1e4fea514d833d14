/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/timer: exact firing ticks, cancel and re-arm, timers
 * armed in the past, cascades across every level boundary, callbacks that
 * re-arm or cancel, huge jumps, next_expiry, and long random runs checked
 * fire by fire against a brute-force reference model.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dpx_timer.h"
#include "dpx_test.h"

static struct dpx_timer_wheel wheel;

/* A timer that records when it fired. */
struct probe {
	struct dpx_timer t;
	unsigned int fires;
	uint64_t at;            /* wheel clock at the last fire */
	uint64_t period;        /* re-arms itself at expiry + period if > 0 */
	struct probe *victim;   /* cancelled by this probe's callback */
	struct probe *spawn;    /* armed by this probe's callback ... */
	uint64_t spawn_at;      /* ... at this tick */
};

static void probe_cb(struct dpx_timer *t, void *arg)
{
	struct probe *p = arg;

	CHECK(t == &p->t);
	CHECK(!dpx_timer_pending(t));
	p->fires++;
	p->at = dpx_timer_wheel_now(&wheel);
	if (p->period)
		dpx_timer_arm(&wheel, t, dpx_timer_expiry(t) + p->period);
	if (p->victim)
		dpx_timer_cancel(&wheel, &p->victim->t);
	if (p->spawn)
		dpx_timer_arm(&wheel, &p->spawn->t, p->spawn_at);
}

static void probe_init(struct probe *p)
{
	*p = (struct probe){ .at = UINT64_MAX };
	dpx_timer_init(&p->t, probe_cb, p);
}

/* The timer must not fire before expire and must fire exactly at it. */
static void expect_fires_at(struct probe *p, uint64_t expire)
{
	unsigned int before = p->fires;

	if (expire > dpx_timer_wheel_now(&wheel)) {
		dpx_timer_advance(&wheel, expire - 1);
		CHECK_EQ(p->fires, before);
		CHECK(dpx_timer_pending(&p->t));
	}
	dpx_timer_advance(&wheel, expire);
	CHECK_EQ(p->fires, before + 1);
	CHECK(p->at == expire);
	CHECK(!dpx_timer_pending(&p->t));
}

static void test_basic(void)
{
	struct probe p;

	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&p);
	CHECK(!dpx_timer_pending(&p.t));
	dpx_timer_arm(&wheel, &p.t, 10);
	CHECK(dpx_timer_pending(&p.t));
	CHECK(dpx_timer_expiry(&p.t) == 10);
	for (uint64_t now = 1; now < 10; now++)
		CHECK_EQ(dpx_timer_advance(&wheel, now), 0);
	CHECK_EQ(dpx_timer_advance(&wheel, 10), 1);
	CHECK_EQ(p.fires, 1);
	CHECK(p.at == 10);
	CHECK_EQ(dpx_timer_advance(&wheel, 1000), 0);
	CHECK_EQ(p.fires, 1);
	CHECK(dpx_timer_wheel_now(&wheel) == 1000);
	/* The clock never goes backwards. */
	CHECK_EQ(dpx_timer_advance(&wheel, 5), 0);
	CHECK(dpx_timer_wheel_now(&wheel) == 1000);
}

/* Extending keeps the timer where it is on the wheel and fires it at the
 * new deadline, never before; moving it earlier re-arms it. */
static void test_extend(void)
{
	struct probe p;

	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&p);
	dpx_timer_extend(&wheel, &p.t, 10);          /* idle: a plain arm */
	CHECK(dpx_timer_pending(&p.t));
	dpx_timer_extend(&wheel, &p.t, 100);
	dpx_timer_extend(&wheel, &p.t, 5000);
	CHECK(dpx_timer_expiry(&p.t) == 5000);
	CHECK_EQ(dpx_timer_advance(&wheel, 4999), 0); /* passes 10 quietly */
	CHECK(dpx_timer_pending(&p.t));
	expect_fires_at(&p, 5000);
	/* Earlier than where it sits: it moves. */
	dpx_timer_arm(&wheel, &p.t, 9000);
	dpx_timer_extend(&wheel, &p.t, 6000);
	expect_fires_at(&p, 6000);
	/* Extended, then cancelled: nothing fires. */
	dpx_timer_arm(&wheel, &p.t, 6010);
	dpx_timer_extend(&wheel, &p.t, 7000);
	dpx_timer_cancel(&wheel, &p.t);
	CHECK_EQ(dpx_timer_advance(&wheel, 8000), 0);
	CHECK_EQ(p.fires, 2);
}

static void test_cancel(void)
{
	struct probe p, q;

	dpx_timer_wheel_init(&wheel, 100);
	probe_init(&p);
	probe_init(&q);
	dpx_timer_cancel(&wheel, &p.t);         /* never armed */
	dpx_timer_arm(&wheel, &p.t, 150);
	dpx_timer_arm(&wheel, &q.t, 150);       /* same slot */
	dpx_timer_cancel(&wheel, &p.t);
	dpx_timer_cancel(&wheel, &p.t);         /* idempotent */
	CHECK(!dpx_timer_pending(&p.t));
	CHECK(dpx_timer_pending(&q.t));
	CHECK_EQ(dpx_timer_advance(&wheel, 200), 1);
	CHECK_EQ(p.fires, 0);
	CHECK_EQ(q.fires, 1);
	/* Cancelling the last timer of a slot leaves the wheel empty. */
	dpx_timer_arm(&wheel, &p.t, 1u << 20);
	CHECK(dpx_timer_next_expiry(&wheel) <= 1u << 20);
	dpx_timer_cancel(&wheel, &p.t);
	CHECK(dpx_timer_next_expiry(&wheel) == UINT64_MAX);
	/* An already due timer can be cancelled too. */
	dpx_timer_arm(&wheel, &p.t, 10);
	dpx_timer_cancel(&wheel, &p.t);
	CHECK_EQ(dpx_timer_advance(&wheel, 300), 0);
}

static void test_rearm(void)
{
	struct probe p;

	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&p);
	/* Earlier: from level 2 down to level 0. */
	dpx_timer_arm(&wheel, &p.t, 5000);
	dpx_timer_arm(&wheel, &p.t, 3);
	expect_fires_at(&p, 3);
	CHECK_EQ(dpx_timer_advance(&wheel, 10000), 0);
	/* Later: the old position must be forgotten. */
	dpx_timer_arm(&wheel, &p.t, 10010);
	dpx_timer_arm(&wheel, &p.t, 20000);
	CHECK_EQ(dpx_timer_advance(&wheel, 19999), 0);
	expect_fires_at(&p, 20000);
	/* RTO style: re-armed on every "ACK", fires only once left alone. */
	for (uint64_t now = 20001; now < 30000; now++) {
		dpx_timer_arm(&wheel, &p.t, now + 200);
		CHECK_EQ(dpx_timer_advance(&wheel, now), 0);
	}
	expect_fires_at(&p, 29999 + 200);
	CHECK_EQ(p.fires, 3);
}

static void test_past(void)
{
	struct probe p, q, r;

	dpx_timer_wheel_init(&wheel, 1000);
	probe_init(&p);
	probe_init(&q);
	probe_init(&r);
	dpx_timer_arm(&wheel, &p.t, 5);
	dpx_timer_arm(&wheel, &q.t, 1000);      /* exactly now */
	dpx_timer_arm(&wheel, &r.t, 0);
	CHECK(dpx_timer_pending(&p.t));
	CHECK(dpx_timer_next_expiry(&wheel) == 1000);
	/* Fires on the next advance, even one that does not move the clock. */
	CHECK_EQ(dpx_timer_advance(&wheel, 1000), 3);
	CHECK(p.at == 1000 && q.at == 1000 && r.at == 1000);
	CHECK(!dpx_timer_pending(&p.t));
	/* Before anything due later in the same advance. */
	dpx_timer_arm(&wheel, &q.t, 1001);
	dpx_timer_arm(&wheel, &p.t, 999);
	CHECK_EQ(dpx_timer_advance(&wheel, 2000), 2);
	CHECK(p.at == 1000 && q.at == 1001);
}

/* Around the boundary of each level, from just before and from far away. */
static void test_level_boundaries(void)
{
	struct probe p, q, r;

	probe_init(&p);
	probe_init(&q);
	probe_init(&r);
	for (unsigned int level = 1; level < DPX_TIMER_LEVELS; level++) {
		uint64_t b = UINT64_C(1) << (level * DPX_TIMER_LEVEL_BITS);

		dpx_timer_wheel_init(&wheel, b - 2);
		dpx_timer_arm(&wheel, &p.t, b - 1);
		dpx_timer_arm(&wheel, &q.t, b);
		dpx_timer_arm(&wheel, &r.t, b + 1);
		expect_fires_at(&p, b - 1);
		expect_fires_at(&q, b);
		expect_fires_at(&r, b + 1);

		dpx_timer_wheel_init(&wheel, 0);
		dpx_timer_arm(&wheel, &p.t, b - 1);   /* all digits set */
		dpx_timer_arm(&wheel, &q.t, b);
		dpx_timer_arm(&wheel, &r.t, 2 * b + 1);
		expect_fires_at(&p, b - 1);
		expect_fires_at(&q, b);
		expect_fires_at(&r, 2 * b + 1);

		if (level == DPX_TIMER_LEVELS - 1)
			break;          /* b * 64 would overflow */
		/* Carry out of this level into the next, from mid-way. */
		dpx_timer_wheel_init(&wheel, b * 63 + b / 2);
		dpx_timer_arm(&wheel, &p.t, b * 64 + 3);
		dpx_timer_arm(&wheel, &q.t, b * 64 - 1);
		expect_fires_at(&q, b * 64 - 1);
		expect_fires_at(&p, b * 64 + 3);
	}
	/* The very end of the tick space. */
	dpx_timer_wheel_init(&wheel, UINT64_MAX - 70);
	dpx_timer_arm(&wheel, &p.t, UINT64_MAX - 64);
	dpx_timer_arm(&wheel, &q.t, UINT64_MAX);
	expect_fires_at(&p, UINT64_MAX - 64);
	expect_fires_at(&q, UINT64_MAX);
	dpx_timer_arm(&wheel, &r.t, UINT64_MAX);
	CHECK_EQ(dpx_timer_advance(&wheel, UINT64_MAX), 1);
}

static void test_periodic(void)
{
	struct probe p;
	uint64_t now;

	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&p);
	p.period = 7;
	dpx_timer_arm(&wheel, &p.t, 7);
	/* One advance runs every period it covers, each on its own tick. */
	CHECK_EQ(dpx_timer_advance(&wheel, 1000), 1000 / 7);
	CHECK(p.at == 994);
	CHECK(dpx_timer_expiry(&p.t) == 1001);
	for (now = 1000; now < 5000; now += 1 + now % 13) {
		dpx_timer_advance(&wheel, now);
		CHECK(p.at == now / 7 * 7);
	}
	dpx_timer_advance(&wheel, 5000);
	CHECK_EQ(p.fires, 5000 / 7);
	dpx_timer_cancel(&wheel, &p.t);
}

static void test_callback_cancels_and_arms(void)
{
	struct probe a, b, c, d, e;

	/* Two due on the same tick, each cancelling the other: one fires. */
	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&a);
	probe_init(&b);
	a.victim = &b;
	b.victim = &a;
	dpx_timer_arm(&wheel, &a.t, 10);
	dpx_timer_arm(&wheel, &b.t, 10);
	CHECK_EQ(dpx_timer_advance(&wheel, 10), 1);
	CHECK_EQ(a.fires + b.fires, 1);
	CHECK(!dpx_timer_pending(&a.t) && !dpx_timer_pending(&b.t));

	/* Cancels a later one due in the same advance; arms two more. */
	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&a);
	probe_init(&b);
	probe_init(&c);
	probe_init(&d);
	probe_init(&e);
	a.victim = &b;
	a.spawn = &d;
	a.spawn_at = 4000;      /* further on, within this advance */
	d.spawn = &e;
	d.spawn_at = 3;         /* already due when armed */
	dpx_timer_arm(&wheel, &a.t, 10);
	dpx_timer_arm(&wheel, &b.t, 15);
	dpx_timer_arm(&wheel, &c.t, 5000);
	CHECK_EQ(dpx_timer_advance(&wheel, 6000), 4);
	CHECK_EQ(b.fires, 0);
	CHECK(a.at == 10 && d.at == 4000 && e.at == 4000 && c.at == 5000);
}

/* The owner may free its timer from the callback (ASan checks). */
static void free_cb(struct dpx_timer *t, void *arg)
{
	(void)arg;
	dpx_timer_cancel(&wheel, t);            /* e.g. a TCB teardown */
	free(t);
}

static void test_callback_frees(void)
{
	struct dpx_timer *t[3];

	dpx_timer_wheel_init(&wheel, 0);
	for (int i = 0; i < 3; i++) {
		t[i] = malloc(sizeof(*t[i]));
		CHECK(t[i] != NULL);
		if (t[i] == NULL)
			return;
		dpx_timer_init(t[i], free_cb, NULL);
		dpx_timer_arm(&wheel, t[i], 64 + (uint64_t)i % 2);
	}
	CHECK_EQ(dpx_timer_advance(&wheel, 100), 3);
}

static void test_large_jump(void)
{
	static const uint64_t at[] = {
		1, 63, 64, 4095, 1u << 20, (UINT64_C(1) << 32) + 5,
		UINT64_C(1) << 40, (UINT64_C(1) << 59) + 1, UINT64_MAX - 1,
	};
	struct probe p[sizeof(at) / sizeof(at[0])], far;
	unsigned int n = sizeof(at) / sizeof(at[0]);

	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&far);
	dpx_timer_arm(&wheel, &far.t, UINT64_MAX);
	for (unsigned int i = 0; i < n; i++) {
		probe_init(&p[i]);
		dpx_timer_arm(&wheel, &p[i].t, at[n - 1 - i]);
	}
	/* Any cost per tick would never finish. */
	CHECK_EQ(dpx_timer_advance(&wheel, UINT64_MAX - 1), n);
	for (unsigned int i = 0; i < n; i++)
		CHECK(p[i].at == at[n - 1 - i]);
	CHECK(dpx_timer_pending(&far.t));
	CHECK_EQ(dpx_timer_advance(&wheel, UINT64_MAX), 1);
	CHECK(far.at == UINT64_MAX);

	/* Hours of 1 ms ticks while idle, then a timer on the far side. */
	dpx_timer_wheel_init(&wheel, 12345);
	dpx_timer_arm(&wheel, &p[0].t, 12345 + 7200000);
	dpx_timer_arm(&wheel, &p[1].t, 12345 + 3 * 7200000);
	CHECK_EQ(dpx_timer_advance(&wheel, 12345 + 2 * 7200000), 1);
	CHECK(p[0].at == 12345 + 7200000);
	expect_fires_at(&p[1], 12345 + 3 * 7200000);
}

static void test_next_expiry(void)
{
	struct probe p, q;
	unsigned int wakeups = 0;
	uint64_t ne;

	dpx_timer_wheel_init(&wheel, 0);
	probe_init(&p);
	probe_init(&q);
	CHECK(dpx_timer_next_expiry(&wheel) == UINT64_MAX);
	dpx_timer_arm(&wheel, &p.t, 40);
	CHECK(dpx_timer_next_expiry(&wheel) == 40);    /* exact on level 0 */
	dpx_timer_arm(&wheel, &q.t, 20);
	CHECK(dpx_timer_next_expiry(&wheel) == 20);
	dpx_timer_cancel(&wheel, &q.t);
	CHECK(dpx_timer_next_expiry(&wheel) == 40);
	dpx_timer_arm(&wheel, &p.t, UINT64_C(123456789012));
	/* An idle worker sleeping until next_expiry: few early wake-ups. */
	while (p.fires == 0) {
		ne = dpx_timer_next_expiry(&wheel);
		CHECK(ne <= UINT64_C(123456789012));
		CHECK(ne > dpx_timer_wheel_now(&wheel));
		CHECK_EQ(dpx_timer_advance(&wheel, ne - 1), 0);
		dpx_timer_advance(&wheel, ne);
		if (++wakeups > DPX_TIMER_LEVELS)
			break;
	}
	CHECK(p.at == UINT64_C(123456789012));
	CHECK(wakeups <= DPX_TIMER_LEVELS);
	dpx_timer_arm(&wheel, &q.t, 0);
	CHECK(dpx_timer_next_expiry(&wheel) == dpx_timer_wheel_now(&wheel));
}

/*
 * Reference model: for each timer, whether it is pending and its
 * effective expiry max(expire, clock when armed). The wheel must fire
 * timers in order of effective expiry, each exactly at it; checked at each
 * fire by brute force, so ties and callbacks need no prediction.
 */
#define POOL 1000

struct model {
	struct dpx_timer t[POOL];
	bool pending[POOL];
	uint64_t eff[POOL];
	uint64_t now;           /* the model's clock */
	uint64_t target;        /* of the advance in progress */
	bool in_advance;
	unsigned int fired;     /* callbacks seen in that advance */
	bool callbacks_act;     /* callbacks arm and cancel at random */
	unsigned int past_budget; /* limits chains of already due arms */
	uint64_t rng;
};

static struct model m;

static uint64_t rnd(void)
{
	m.rng ^= m.rng >> 12;
	m.rng ^= m.rng << 25;
	m.rng ^= m.rng >> 27;
	return m.rng * UINT64_C(2685821657736338717);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void model_arm(unsigned int i, uint64_t expire)
{
	dpx_timer_arm(&wheel, &m.t[i], expire);
	m.pending[i] = true;
	m.eff[i] = expire > m.now ? expire : m.now;
}

static void model_cancel(unsigned int i)
{
	dpx_timer_cancel(&wheel, &m.t[i]);
	m.pending[i] = false;
}

/* A delay with a spread of magnitudes: most near, some across levels. */
static uint64_t rnd_delay(void)
{
	uint64_t r = rnd_below(100);

	if (r < 55)
		return rnd_below(300);
	if (r < 80)
		return rnd_below(1u << 20);
	if (r < 95)
		return rnd_below(UINT64_C(1) << 40);
	return rnd() >> rnd_below(64);
}

static void model_arm_random(unsigned int i)
{
	uint64_t r = rnd_below(100);

	if (r < 10 && (!m.in_advance || m.past_budget)) {
		if (m.in_advance)
			m.past_budget--;
		model_arm(i, m.now - rnd_below(m.now + 1));    /* past */
	} else {
		model_arm(i, sat_add(m.now, 1 + rnd_delay()));
	}
}

static void model_cb(struct dpx_timer *t, void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	uint64_t now = dpx_timer_wheel_now(&wheel);

	CHECK(t == &m.t[i]);
	CHECK(m.pending[i]);
	CHECK(now == m.eff[i]);
	CHECK(now >= m.now && now <= m.target);
	for (unsigned int j = 0; j < POOL; j++)
		if (m.pending[j] && m.eff[j] < now) {
			CHECK(!"overdue timer skipped");
			break;
		}
	m.pending[i] = false;
	m.now = now;
	m.fired++;
	if (!m.callbacks_act)
		return;
	if (rnd_below(3) == 0)
		model_arm(i, sat_add(now, 1 + rnd_below(500)));   /* periodic */
	if (rnd_below(4) == 0)
		model_cancel((unsigned int)rnd_below(POOL));
	if (rnd_below(4) == 0)
		model_arm_random((unsigned int)rnd_below(POOL));
}

static void model_check_after_advance(unsigned int ret, unsigned int expect)
{
	uint64_t min_eff = UINT64_MAX, ne = dpx_timer_next_expiry(&wheel);
	bool any = false;

	CHECK_EQ(ret, m.fired);
	if (!m.callbacks_act)
		CHECK_EQ(ret, expect);
	CHECK(dpx_timer_wheel_now(&wheel) == m.now);
	for (unsigned int j = 0; j < POOL; j++) {
		CHECK_EQ(dpx_timer_pending(&m.t[j]), m.pending[j]);
		if (!m.pending[j])
			continue;
		CHECK(m.eff[j] > m.now);
		any = true;
		if (m.eff[j] < min_eff)
			min_eff = m.eff[j];
	}
	if (!any) {
		CHECK(ne == UINT64_MAX);
		return;
	}
	CHECK(ne > m.now && ne <= min_eff);
	if ((min_eff ^ m.now) < DPX_TIMER_SLOTS)  /* same 64-tick block */
		CHECK(ne == min_eff);
}

static void model_advance(uint64_t target)
{
	unsigned int expect = 0, ret;

	m.target = target < m.now ? m.now : target;
	for (unsigned int j = 0; j < POOL; j++)
		expect += m.pending[j] && m.eff[j] <= m.target;
	m.fired = 0;
	m.past_budget = 1000;
	m.in_advance = true;
	ret = dpx_timer_advance(&wheel, target);
	m.in_advance = false;
	m.now = m.target;
	model_check_after_advance(ret, expect);
}

static uint64_t rnd_step(void)
{
	uint64_t r = rnd_below(100);

	if (r < 50)
		return rnd_below(10);
	if (r < 80)
		return rnd_below(1000);
	if (r < 95)
		return rnd_below(1u << 20);
	return rnd_below(UINT64_C(1) << 40);            /* long idle gap */
}

static void model_step(void)
{
	unsigned int i = (unsigned int)rnd_below(POOL);
	uint64_t r = rnd_below(100), ne;

	if (r < 45) {
		model_arm_random(i);
		CHECK(dpx_timer_pending(&m.t[i]));
	} else if (r < 70) {
		model_cancel(i);
		CHECK(!dpx_timer_pending(&m.t[i]));
	} else if (r < 95) {
		model_advance(sat_add(m.now, rnd_step()));
	} else {
		ne = dpx_timer_next_expiry(&wheel);     /* sleep until then */
		model_advance(ne == UINT64_MAX ? m.now : ne);
	}
}

static void run_model(uint64_t start, uint64_t seed, bool callbacks_act)
{
	unsigned int failed_before = (unsigned int)dpx_test_failed_checks;

	memset(&m, 0, sizeof(m));
	m.rng = seed;
	m.now = start;
	m.callbacks_act = callbacks_act;
	dpx_timer_wheel_init(&wheel, start);
	for (unsigned int i = 0; i < POOL; i++)
		dpx_timer_init(&m.t[i], model_cb, (void *)(uintptr_t)i);
	for (int op = 0; op < 100000; op++) {
		model_step();
		if ((unsigned int)dpx_test_failed_checks != failed_before) {
			fprintf(stderr, "model mismatch at op %d\n", op);
			return;
		}
	}
	model_advance(UINT64_MAX);      /* drain: everything fires */
	for (unsigned int j = 0; j < POOL; j++)
		CHECK(!m.pending[j]);
}

static void test_model_random(void)
{
	run_model(0, 0x9e3779b97f4a7c15u, false);
	run_model((UINT64_C(1) << 36) - 5000, 12345, false);
	run_model(UINT64_MAX - (UINT64_C(1) << 44), 777, false);
}

static void test_model_callbacks(void)
{
	run_model(0, 0xdecafbad, true);
	run_model((UINT64_C(1) << 48) - 100, 42, true);
}

int main(void)
{
	RUN_TEST(test_basic);
	RUN_TEST(test_extend);
	RUN_TEST(test_cancel);
	RUN_TEST(test_rearm);
	RUN_TEST(test_past);
	RUN_TEST(test_level_boundaries);
	RUN_TEST(test_periodic);
	RUN_TEST(test_callback_cancels_and_arms);
	RUN_TEST(test_callback_frees);
	RUN_TEST(test_large_jump);
	RUN_TEST(test_next_expiry);
	RUN_TEST(test_model_random);
	RUN_TEST(test_model_callbacks);
	return TEST_SUMMARY();
}
