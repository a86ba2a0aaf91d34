/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stop_internal.h — how the library's long loops look at a caller's stop flag (docs/DESIGN.md,
 * "Stopping"). Not installed; nothing outside src/ includes it.
 *
 * The library has no global state: a caller hands a `const atomic_int *stop` (NULL: never) in
 * its config, and a loop that can run long reads it with a relaxed load once per
 * ASGD__STOP_QUANTUM units of work. A unit is about one multiply-add or one byte parsed, a few
 * nanoseconds at most, so a look costs nothing measurable and comes every ~0.1 ms of work: far
 * inside the 100 ms within which every loop must see a stop, even when a cost estimate is off by
 * a factor of a hundred. Where the work per step is known up front, a loop takes
 * asgd__stop_every() steps between looks (an extra compare per step, or an outer loop over
 * blocks); where it varies (lines of a file), it counts units with asgd__stop_after().
 */
#ifndef ASGD_STOP_INTERNAL_H
#define ASGD_STOP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Units of work between two looks at the flag. */
#define ASGD__STOP_QUANTUM ((uint64_t)1 << 16)

/* Whether @stop (may be NULL) is raised: one relaxed load. */
static inline bool asgd__stop_raised(const atomic_int *stop)
{
	return stop && atomic_load_explicit(stop, memory_order_relaxed) != 0;
}

/* Steps of about @cost units each between two looks at the flag: at least 1. */
static inline uint64_t asgd__stop_every(uint64_t cost)
{
	return cost >= ASGD__STOP_QUANTUM ? 1 : ASGD__STOP_QUANTUM / (cost ? cost : 1);
}

/* A count of the work done since the last look, for loops whose steps vary in cost. */
typedef struct asgd__stop_poll {
	const atomic_int *flag;	/* NULL: never stop */
	uint64_t work;
} asgd__stop_poll;

static inline asgd__stop_poll asgd__stop_poll_init(const atomic_int *flag)
{
	return (asgd__stop_poll){ flag, 0 };
}

/* @units more work done: true when the flag is raised, looked at once per quantum of work. */
static inline bool asgd__stop_after(asgd__stop_poll *p, uint64_t units)
{
	p->work += units;
	if (p->work < ASGD__STOP_QUANTUM)
		return false;
	p->work = 0;
	return asgd__stop_raised(p->flag);
}

#endif /* ASGD_STOP_INTERNAL_H */
