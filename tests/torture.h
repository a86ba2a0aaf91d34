/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture.h — what the plain torture programs share (torture_*.c), which run without
 * Criterion so that ThreadSanitizer can watch them: the pass/fail bookkeeping, and a thread
 * that raises a run's stop flag after a while. Each program is one translation unit, so the
 * counters are simply file-static.
 */
#ifndef ASGD_TORTURE_H
#define ASGD_TORTURE_H

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

/* Raise *flag after ms milliseconds: start torture_raise_later on a thread with one of these. */
struct stopper {
	atomic_int *flag;
	long ms;
};

static inline void *torture_raise_later(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { s->ms / 1000, (s->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store(s->flag, 1);
	return NULL;
}

static int torture_passes, torture_failures;

/* Count one check of case @name; print it when it fails. */
static inline void check(int ok, const char *what, const char *name)
{
	if (ok) {
		torture_passes++;
	} else {
		torture_failures++;
		printf("FAIL [%s] %s\n", name, what);
	}
}

/* The closing "N passed, N failed" line; the program's exit status. */
static inline int torture_finish(void)
{
	printf("%d passed, %d failed\n", torture_passes, torture_failures);
	return torture_failures != 0;
}

#endif /* ASGD_TORTURE_H */
