/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hierarchical timer wheel. A pending timer with expire > now sits on level
 * L, slot s, where L is the 6-bit digit of the highest bit in which expire
 * and now differ, and s is expire's digit L. Placing by the difference to
 * now (rather than by distance) gives each level an invariant that makes
 * the next event a couple of bit scans away:
 *
 *   every timer on level L shares now's digits above L, and its digit L
 *   is greater than now's digit L.
 *
 * So levels below the lowest occupied one are empty, and the next thing to
 * happen is the start of the lowest occupied slot of the lowest occupied
 * level. At that tick the slot is re-placed against the new now: its
 * timers drop to lower levels (cascade), or onto the due list when their
 * expire is that tick. Advancing jumps from event to event, whatever the
 * number of empty ticks in between.
 *
 * Lists are NULL-terminated with a back pointer to the previous link
 * (hlist style), so a slot head is one pointer and unlinking needs no head.
 */
#include <stddef.h>

#include "dpx_timer.h"

#define SLOT_MASK (DPX_TIMER_SLOTS - 1)
#define DUE_SLOT (DPX_TIMER_LEVELS * DPX_TIMER_SLOTS)

static inline unsigned int
slot_index(unsigned int level, unsigned int slot)
{
	return level * DPX_TIMER_SLOTS + slot;
}

/* Ticks covered by one level-L slot's parent, minus one: now's low digits. */
static inline uint64_t
below_mask(unsigned int level)
{
	unsigned int bits = (level + 1) * DPX_TIMER_LEVEL_BITS;

	return bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

/* The tick at which slot s of level L becomes current. */
static inline uint64_t
slot_start(uint64_t now, unsigned int level, unsigned int slot)
{
	return (now & ~below_mask(level)) |
	       (uint64_t)slot << (level * DPX_TIMER_LEVEL_BITS);
}

static inline void
list_push(struct dpx_timer **head, struct dpx_timer *t)
{
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static inline void
list_del(struct dpx_timer *t)
{
	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

static void
mark_slot_used(struct dpx_timer_wheel *w, unsigned int level,
	       unsigned int slot)
{
	w->slot_mask[level] |= UINT64_C(1) << slot;
	w->level_mask |= (uint16_t)(1u << level);
}

static void
mark_slot_empty(struct dpx_timer_wheel *w, unsigned int level,
		unsigned int slot)
{
	w->slot_mask[level] &= ~(UINT64_C(1) << slot);
	if (w->slot_mask[level] == 0)
		w->level_mask &= (uint16_t)~(1u << level);
}

/* Links a timer that is on no list, relative to the current w->now. */
static void
place(struct dpx_timer_wheel *w, struct dpx_timer *t)
{
	uint64_t diff = t->expire ^ w->now;
	unsigned int level, slot;

	if (t->expire <= w->now) {
		t->slot = DUE_SLOT;
		list_push(&w->due, t);
		return;
	}
	level = (63u - (unsigned int)__builtin_clzll(diff)) /
		DPX_TIMER_LEVEL_BITS;
	slot = (unsigned int)(t->expire >> (level * DPX_TIMER_LEVEL_BITS)) &
	       SLOT_MASK;
	t->slot = (uint16_t)slot_index(level, slot);
	list_push(&w->slots[t->slot], t);
	mark_slot_used(w, level, slot);
}

static void
unlink_timer(struct dpx_timer_wheel *w, struct dpx_timer *t)
{
	unsigned int idx = t->slot;

	list_del(t);
	if (idx != DUE_SLOT && w->slots[idx] == NULL)
		mark_slot_empty(w, idx / DPX_TIMER_SLOTS, idx % DPX_TIMER_SLOTS);
}

int
dpx_timer_wheel_init(struct dpx_timer_wheel *w, uint64_t now)
{
	*w = (struct dpx_timer_wheel){ .now = now };
	return 0;
}

uint64_t
dpx_timer_wheel_now(const struct dpx_timer_wheel *w)
{
	return w->now;
}

void
dpx_timer_init(struct dpx_timer *t, dpx_timer_cb cb, void *arg)
{
	*t = (struct dpx_timer){ .cb = cb, .arg = arg };
}

void
dpx_timer_arm(struct dpx_timer_wheel *w, struct dpx_timer *t, uint64_t expire)
{
	if (t->pprev != NULL)
		unlink_timer(w, t);
	t->expire = expire;
	t->deadline = expire;
	place(w, t);
}

void
dpx_timer_extend(struct dpx_timer_wheel *w, struct dpx_timer *t,
		 uint64_t expire)
{
	if (t->pprev != NULL && expire >= t->expire) {
		t->deadline = expire;
		return;
	}
	dpx_timer_arm(w, t, expire);
}

void
dpx_timer_cancel(struct dpx_timer_wheel *w, struct dpx_timer *t)
{
	if (t->pprev != NULL)
		unlink_timer(w, t);
}

bool
dpx_timer_pending(const struct dpx_timer *t)
{
	return t->pprev != NULL;
}

uint64_t
dpx_timer_expiry(const struct dpx_timer *t)
{
	return t->deadline;
}

/*
 * Pops one timer at a time, so a callback cancelling or arming others (even
 * onto this list) sees a consistent wheel, and t is not touched after its
 * callback, which may have freed it.
 */
static unsigned int
fire_due(struct dpx_timer_wheel *w)
{
	unsigned int fired = 0;
	struct dpx_timer *t;

	while ((t = w->due) != NULL) {
		list_del(t);
		if (t->deadline > w->now) {     /* extended: not yet */
			t->expire = t->deadline;
			place(w, t);
			continue;
		}
		fired++;
		t->cb(t, t->arg);
	}
	return fired;
}

/* Re-places every timer of a slot that has just become current. */
static void
cascade(struct dpx_timer_wheel *w, unsigned int level, unsigned int slot)
{
	unsigned int idx = slot_index(level, slot);
	struct dpx_timer *t = w->slots[idx], *next;

	/* Nothing lands back here: now's digit at this level is now slot. */
	w->slots[idx] = NULL;
	mark_slot_empty(w, level, slot);
	for (; t != NULL; t = next) {
		next = t->next;
		place(w, t);
	}
}

/* Finds the next event; false when no slot is in use. */
static bool
next_event(const struct dpx_timer_wheel *w, unsigned int *level,
	   unsigned int *slot, uint64_t *when)
{
	if (w->level_mask == 0)
		return false;
	*level = (unsigned int)__builtin_ctz(w->level_mask);
	*slot = (unsigned int)__builtin_ctzll(w->slot_mask[*level]);
	*when = slot_start(w->now, *level, *slot);
	return true;
}

unsigned int
dpx_timer_advance(struct dpx_timer_wheel *w, uint64_t now)
{
	unsigned int fired = fire_due(w);
	unsigned int level, slot;
	uint64_t when;

	while (next_event(w, &level, &slot, &when) && when <= now) {
		w->now = when;
		cascade(w, level, slot);
		fired += fire_due(w);
	}
	if (now > w->now)
		w->now = now;
	return fired;
}

uint64_t
dpx_timer_next_expiry(const struct dpx_timer_wheel *w)
{
	unsigned int level, slot;
	uint64_t when;

	if (w->due != NULL)
		return w->now;
	if (!next_event(w, &level, &slot, &when))
		return UINT64_MAX;
	return when;
}
