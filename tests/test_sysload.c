/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sysload.c — the machine's load around a run (asgd/sysload.h): the arithmetic of
 * asgd_sysload_between on constructed readings, and sane readings of this machine's /proc
 * (Linux: known; counters that never run backwards; our own CPU counted as ours).
 */
#include <criterion/criterion.h>
#include <math.h>

#include "asgd/error.h"
#include "asgd/sysload.h"
#include "asgd/work.h"

Test(sysload, between_by_hand)
{
	asgd_sysload_sample a = { .known = 1, .t_ns = 1e9, .busy_s = 10, .self_s = 1,
				  .loadavg1 = 0.5 };
	asgd_sysload_sample b = { .known = 1, .t_ns = 3e9, .busy_s = 13, .self_s = 2,
				  .loadavg1 = 1.5 };
	asgd_sysload l;

	/* 3 CPU seconds busy in 2 s, 1 of them ours: the others used 1 core */
	asgd_sysload_between(&a, &b, &l);
	cr_assert(l.known && l.busy);
	cr_assert_float_eq(l.other_cores, 1.0, 1e-12);
	cr_assert_float_eq(l.elapsed_s, 2.0, 1e-12);
	cr_assert_eq(l.load_start, 0.5);
	cr_assert_eq(l.load_end, 1.5);
	/* 0.3 CPU seconds of others in 2 s = 0.15 cores: not busy */
	b.busy_s = 10.3;
	b.self_s = 1;
	asgd_sysload_between(&a, &b, &l);
	cr_assert_float_eq(l.other_cores, 0.15, 1e-12);
	cr_assert_not(l.busy);
	/* counters that tick apart can read below ours: clamped at 0 */
	b.busy_s = 10.5;
	b.self_s = 2;
	asgd_sysload_between(&a, &b, &l);
	cr_assert_eq(l.other_cores, 0.0);
	/* an unknown reading, or no time, gives unknown */
	b.known = 0;
	asgd_sysload_between(&a, &b, &l);
	cr_assert_not(l.known);
	b.known = 1;
	b.t_ns = a.t_ns;
	asgd_sysload_between(&a, &b, &l);
	cr_assert_not(l.known);
	/* 0.5 s: 3 CPU seconds of others would read as 6 cores, but ticks of 10 ms make any figure
	 * over so short a run unreliable: the load averages are kept, the CPU is not */
	b.t_ns = a.t_ns + 0.5e9;
	b.busy_s = 14;
	b.self_s = 1;
	asgd_sysload_between(&a, &b, &l);
	cr_assert(l.known && !l.cpu_known && !l.busy);
	cr_assert_eq(l.other_cores, 0.0);
}

/* Spin ~1 s (ASGD_SYSLOAD_MIN_S) of our own CPU between two readings of this machine. */
Test(sysload, reads_this_machine)
{
	asgd_sysload_sample a, b;
	asgd_sysload l;
	volatile double x = 0;
	double t0;

	cr_assert_eq(asgd_sysload_read(NULL), ASGD_EINVAL);
	cr_assert_eq(asgd_sysload_read(&a), ASGD_OK);
#ifdef __linux__
	cr_assert(a.known, "/proc unreadable on Linux");
#endif
	if (!a.known)
		return;
	t0 = asgd_now_ns();
	while (asgd_now_ns() - t0 < ASGD_SYSLOAD_MIN_S * 1e9)
		x += 1;
	cr_assert_eq(asgd_sysload_read(&b), ASGD_OK);
	cr_assert(b.known);
	cr_assert_geq(b.busy_s, a.busy_s);
	cr_assert_geq(b.self_s, a.self_s);
	cr_assert_geq(a.busy_s, a.self_s, "the machine's busy time includes ours");
	cr_assert_geq(a.loadavg1, 0);
	asgd_sysload_between(&a, &b, &l);
	cr_assert(l.known && l.cpu_known);
	cr_assert_geq(l.other_cores, 0);
	cr_assert(isfinite(l.other_cores));
	cr_assert_geq(l.elapsed_s, ASGD_SYSLOAD_MIN_S);
	cr_assert_eq(l.busy, l.other_cores > ASGD_SYSLOAD_BUSY_CORES);
}
