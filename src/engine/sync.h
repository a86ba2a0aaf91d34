/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sync.h — private helpers for the threaded modules: futex waits on C11 atomics, a polite
 * spin, and the ThreadSanitizer hand-off annotations.
 *
 * liburcu 0.13's barriers and queues are assembly that ThreadSanitizer cannot see. The
 * engine's publication of a snapshot and its gradient hand-off therefore do not rely on them
 * for ordering: each is a C11 release/acquire pair (engine.c) that TSan checks like any other,
 * so a broken one is reported (scripts/mutants.sh weakens each and expects a report). Only RCU
 * reclamation, which has no C11 equivalent, is annotated: ASGD_TSAN_RELEASE(obj) when a reader
 * is done with obj, ASGD_TSAN_ACQUIRE(obj) in the callback that recycles it after a grace
 * period. An annotation asserts an ordering instead of checking it, which is why it is kept to
 * that one place. The macros are empty outside the TSan build.
 */
#ifndef ASGD_SYNC_H
#define ASGD_SYNC_H

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef ASGD_TSAN
#include <sanitizer/tsan_interface.h>
#define ASGD_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define ASGD_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define ASGD_TSAN_RELEASE(p) ((void)(p))
#define ASGD_TSAN_ACQUIRE(p) ((void)(p))
#endif

/* A full barrier ordering an earlier store before a later load (Dekker-style sleep/wake).
 * TSan does not model fences (-Wtsan), so its build uses a seq_cst RMW on word instead. */
#ifdef ASGD_TSAN
#define ASGD_FULL_BARRIER(word) ((void)atomic_fetch_add((word), 0))
#else
#define ASGD_FULL_BARRIER(word) atomic_thread_fence(memory_order_seq_cst)
#endif

static inline void asgd__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Sleep while *word == expected, at most timeout_ns (0: no limit). Spurious returns are fine:
 * every caller re-checks its condition in a loop. */
static inline void asgd__futex_wait(atomic_uint *word, unsigned expected, long timeout_ns)
{
	struct timespec ts = { timeout_ns / 1000000000L, timeout_ns % 1000000000L };

	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected,
		timeout_ns > 0 ? &ts : NULL, NULL, 0);
}

static inline void asgd__futex_wake(atomic_uint *word, int count)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

#endif /* ASGD_SYNC_H */
