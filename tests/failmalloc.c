/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * failmalloc.c — an LD_PRELOAD library that makes exactly one allocation fail, for the fault
 * tests (tests/faults.sh). It is test equipment, not part of asgd, and the one place in the
 * project with global mutable state: the counter must see every thread's allocations.
 *
 *   ASGD_FAILMALLOC=N          the N-th allocation (1-based, counted from main's start, over
 *                              malloc, calloc, realloc, aligned_alloc, posix_memalign) fails
 *                              with ENOMEM; 0 or unset: none fails
 *   ASGD_FAILMALLOC_COUNT=FILE at exit, write the number of allocations counted to FILE
 *   ASGD_FAILMALLOC_TRACE=1    print the failing allocation's backtrace on stderr
 *
 * The real allocator (jemalloc in asgd's release build) is found with dlsym(RTLD_NEXT); while
 * dlsym itself allocates, a small static arena serves it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static atomic_ulong counted;
static unsigned long fail_at;
static atomic_int counting;
static char arena[4096];
static size_t arena_used;

__attribute__((constructor)) static void failmalloc_init(void)
{
	const char *at = getenv("ASGD_FAILMALLOC");

	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	fail_at = at ? strtoul(at, NULL, 10) : 0;
	atomic_store(&counting, 1);
}

__attribute__((destructor)) static void failmalloc_report(void)
{
	const char *path = getenv("ASGD_FAILMALLOC_COUNT");
	FILE *fp;

	atomic_store(&counting, 0);
	if (path && (fp = fopen(path, "w"))) {
		fprintf(fp, "%lu\n", atomic_load(&counted));
		fclose(fp);
	}
}

/* Nonzero when this allocation is the one that must fail. */
static int should_fail(void)
{
	void *frames[32];

	if (!atomic_load_explicit(&counting, memory_order_relaxed))
		return 0;
	if (atomic_fetch_add(&counted, 1) + 1 != fail_at)
		return 0;
	if (getenv("ASGD_FAILMALLOC_TRACE")) /* where it failed, for whoever debugs a case */
		backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
	return 1;
}

static void *from_arena(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (arena_used + n > sizeof(arena))
		return NULL;
	p = arena + arena_used;
	arena_used += n;
	return p;
}

void *malloc(size_t n)
{
	if (!real_malloc)
		return from_arena(n);
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (!real_calloc) { /* dlsym's own allocations, before the real one is known */
		void *p = from_arena(a * b);

		if (p)
			memset(p, 0, a * b);
		return p;
	}
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_aligned_alloc(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	if (should_fail())
		return ENOMEM;
	return real_posix_memalign(out, align, n);
}
