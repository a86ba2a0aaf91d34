/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture.h — the pass/fail bookkeeping of the plain torture programs (torture_hogwild.c,
 * torture_stress.c), which run without Criterion so that ThreadSanitizer can watch them.
 * Each program is one translation unit, so the counters are simply file-static.
 */
#ifndef ASGD_TORTURE_H
#define ASGD_TORTURE_H

#include <stdio.h>

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
