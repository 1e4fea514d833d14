/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpx timer: a hierarchical timer wheel, one per worker core (single
 * threaded, no locking). The module owns the wheel's slots and the links of
 * armed timers; the timers themselves are intrusive and live in their
 * owner (e.g. a TCB), so arming and cancelling never allocate.
 *
 * Time is an abstract uint64_t tick count supplied by the caller, who
 * converts TSC to ticks (TCP uses 1 tick = 1 ms). Plain C, no DPDK, so it
 * is unit-testable without EAL.
 *
 * Costs: arm, re-arm and cancel are O(1). Firing is amortised O(1): a timer
 * cascades at most once per level on its way down. Advancing costs
 * O(occupied slots passed), not O(ticks passed), so a worker may advance
 * over hours of idle ticks at once.
 *
 * Range: the whole uint64_t tick space; nothing is clamped.
 *
 * Firing semantics of dpx_timer_advance(w, now):
 *  - every timer with expire <= now fires during the call, none later;
 *    no timer fires before its expire;
 *  - timers fire in order of expire, ties in any order; during a callback
 *    dpx_timer_wheel_now() is the tick being processed (== the timer's
 *    expire, unless it was armed already due, see below);
 *  - a timer armed with expire <= dpx_timer_wheel_now() (already due) fires
 *    at the current tick: on the next advance, or later in this one when
 *    armed from a callback. A callback that always re-arms itself already
 *    due therefore loops forever: re-arm at now + period, period >= 1;
 *  - callbacks may arm, re-arm or cancel any timer of the wheel, including
 *    their own and ones due in the same advance (a cancelled one does not
 *    fire), and may free the memory holding their own timer once it is no
 *    longer armed. They must not call dpx_timer_advance() (no recursion).
 */
#ifndef DPX_TIMER_H
#define DPX_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define DPX_TIMER_LEVEL_BITS 6
#define DPX_TIMER_SLOTS (1u << DPX_TIMER_LEVEL_BITS)   /* per level */
/* ceil(64 / 6): enough levels for any uint64_t expiry, so no clamping. */
#define DPX_TIMER_LEVELS 11

struct dpx_timer;

/* Called with the timer no longer pending, so it may re-arm itself. */
typedef void (*dpx_timer_cb)(struct dpx_timer *t, void *arg);

/*
 * Embed in the owner and set up with dpx_timer_init(). Fields are private:
 * use the functions below. A zeroed timer is idle but has no callback.
 */
struct dpx_timer {
	struct dpx_timer *next;
	struct dpx_timer **pprev;   /* NULL while idle: the "pending" flag */
	uint64_t expire;            /* where it sits on the wheel */
	uint64_t deadline;          /* when it fires (>= expire: extended) */
	dpx_timer_cb cb;
	void *arg;
	uint16_t slot;              /* list the timer is on, when pending */
};

/*
 * Public so a worker can embed it or allocate it NUMA-local (about 5.7 KB);
 * it owns no other memory, so there is no teardown. Fields are private.
 */
struct dpx_timer_wheel {
	uint64_t now;               /* timers with expire <= now fired or on due */
	uint16_t level_mask;        /* bit L set: some slot of level L in use */
	uint64_t slot_mask[DPX_TIMER_LEVELS];  /* bit s: slot s in use */
	struct dpx_timer *due;      /* armed with expire <= now, not yet fired */
	struct dpx_timer *slots[DPX_TIMER_LEVELS * DPX_TIMER_SLOTS];
};

/* Empties the wheel and starts its clock at now. Always returns 0. */
int dpx_timer_wheel_init(struct dpx_timer_wheel *w, uint64_t now);

/* The wheel's clock: the last advance's now, or the tick being fired. */
uint64_t dpx_timer_wheel_now(const struct dpx_timer_wheel *w);

/* Sets the callback and makes the timer idle; never on a pending timer. */
void dpx_timer_init(struct dpx_timer *t, dpx_timer_cb cb, void *arg);

/* Arms, or moves if already pending, the timer to fire at tick expire. */
void dpx_timer_arm(struct dpx_timer_wheel *w, struct dpx_timer *t,
		   uint64_t expire);

/*
 * Like dpx_timer_arm(), but a pending timer moved later is not moved on
 * the wheel: it keeps its place and, when that comes, moves on to the new
 * expire without calling back. For timers pushed back on every event (a
 * session's idle timeout, a retransmission timer while ACKs flow), O(1)
 * stores instead of list surgery; it never fires later or earlier.
 */
void dpx_timer_extend(struct dpx_timer_wheel *w, struct dpx_timer *t,
		      uint64_t expire);

/* Disarms the timer; does nothing if it is idle. */
void dpx_timer_cancel(struct dpx_timer_wheel *w, struct dpx_timer *t);

bool dpx_timer_pending(const struct dpx_timer *t);

/* The tick last passed to dpx_timer_arm(); kept after firing, so a
 * periodic callback can re-arm at dpx_timer_expiry(t) + period. */
uint64_t dpx_timer_expiry(const struct dpx_timer *t);

/*
 * Moves the clock to now (never backwards) and fires every timer with
 * expire <= now. Returns the number of callbacks run.
 */
unsigned int dpx_timer_advance(struct dpx_timer_wheel *w, uint64_t now);

/*
 * For an idle worker deciding how long it may sleep: a tick T such that
 * advancing to any tick before T fires nothing. T is never later than the
 * earliest pending expire, and exact when that expire is before the next
 * multiple of 64; otherwise it may be earlier, while the timer is still on
 * an upper level (at most one early wake-up per level). Returns
 * dpx_timer_wheel_now() if timers are already due, UINT64_MAX if none is
 * pending.
 */
uint64_t dpx_timer_next_expiry(const struct dpx_timer_wheel *w);

#endif /* DPX_TIMER_H */
