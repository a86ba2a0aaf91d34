/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/work.h — the injected work time each worker spends per gradient.
 *
 * The queueing model of the paper (and of Mitliagkas et al.) explains staleness by the time a
 * worker takes per gradient. The engine makes that time explicit: none, fixed, exponential
 * (memoryless, which makes staleness geometric with μ = 1 − 1/M) or a geometric number of fixed
 * trials. The time is slept by default, which leaves the core to others and so emulates as many
 * cores as there are workers; "spin:" in front of a law spends it busy instead, occupying the
 * core as a real gradient computation would, so that a multicore benchmark measures contention.
 * See DESIGN.md, "The engine".
 */
#ifndef ASGD_WORK_H
#define ASGD_WORK_H

#include <stddef.h>

#include "asgd/rng.h"

/* The law of the work time. */
typedef enum {
	ASGD_WORK_NONE,		/* no injected work */
	ASGD_WORK_FIXED,	/* exactly ns */
	ASGD_WORK_EXP,		/* exponential with mean ns */
	ASGD_WORK_GEOM,		/* ns × (1 + G), P(G = l) = (1 − p)p^l */
} asgd_work_kind;

/* A work law; a plain value, freely copied and shared read-only between threads. */
typedef struct asgd_work {
	asgd_work_kind kind;
	double ns;	/* fixed time, exponential mean, or time per geometric trial */
	double p;	/* geom: probability that another trial follows; 0 otherwise */
	int spin;	/* nonzero: spend the time busy on the core (asgd_work_spin), not asleep */
} asgd_work;

/*
 * asgd_work_parse - read a work spec.
 * @s:      "none" | "fixed:DUR" | "exp:DUR" | "geom:P,DUR", with DUR as in asgd_parse_duration_ns
 *          (e.g. "100us") and P in [0, 1), each optionally after "spin:" (busy, not asleep:
 *          "spin:exp:100us"). "geom:0.9,10us": each trial takes 10 µs and another
 *          follows with probability 0.9, so trials = 1 + Geometric(0.9), mean 100 µs. fixed allows
 *          a zero duration; exp and geom need a positive one.
 * @out:    receives the law, only on success.
 * @err:    may be NULL; on failure receives a sentence naming the bad part and what is allowed.
 * @errlen: size of @err.
 * Returns 0 or ASGD_EINVAL. Thread-safe.
 */
int asgd_work_parse(const char *s, asgd_work *out, char *err, size_t errlen);

/*
 * asgd_work_format - the canonical spec of @w, e.g. "exp:100us", "geom:0.9,10us", "spin:exp:1ms".
 * The duration takes the largest unit that reads back exactly, so asgd_work_parse() of the result
 * gives @w again bit for bit. @buf receives it only on success.
 * Returns 0, or ASGD_EINVAL if an argument is NULL, @w is not a valid law, or @len is too small
 * (64 bytes always suffice).
 */
int asgd_work_format(const asgd_work *w, char *buf, size_t len);

/* asgd_work_mean_ns - the expected work time in ns: 0, ns, ns, or ns/(1 − p) for geom. */
double asgd_work_mean_ns(const asgd_work *w);

/* asgd_work_cv - the coefficient of variation of the work time: 0 (fixed), 1 (exp), √p (geom:
 * ns·(1 + G) has sd ns·√p/(1 − p)); NAN for none or NULL. */
double asgd_work_cv(const asgd_work *w);

/* How far a realised mean or CV may stray from the request before it is called off. */
#define ASGD_WORK_FIDELITY_TOL 0.2

/* What asgd_work_fidelity found off; a bit set per quantity. */
#define ASGD_WORK_MEAN_OFF 1
#define ASGD_WORK_CV_OFF 2

/*
 * asgd_work_fidelity - which of the realised @mean_ns and @cv of work @w are more than
 * ASGD_WORK_FIDELITY_TOL off the request: relative to the requested mean (and CV); a requested
 * CV of 0 (fixed) is off when the realised one exceeds ASGD_WORK_FIDELITY_TOL. A sleep
 * overshoots (wake-up latency), so a realised mean above the request is the usual case.
 * Returns the ASGD_WORK_*_OFF bits; 0 for no work, NULL or a NAN realised value.
 */
int asgd_work_fidelity(const asgd_work *w, double mean_ns, double cv);

/*
 * asgd_work_sample_ns - draw one work time in ns from @w using the stream @r.
 * Thread-safe as long as @r is this thread's own stream.
 */
double asgd_work_sample_ns(const asgd_work *w, asgd_rng *r);

/*
 * asgd_work_thread_setup - prepare the calling thread to spend work times faithfully.
 * Sets the thread's timer slack to 1 ns (prctl PR_SET_TIMERSLACK): Linux's default 50 µs would
 * stretch every short sleep by up to that much, turning exponential work into
 * exponential-plus-a-constant, which is not memoryless. Affects only the calling thread.
 * Returns 0, or ASGD_EIO if the kernel refuses.
 */
int asgd_work_thread_setup(void);

/*
 * asgd_work_spend - spend @ns nanoseconds of wall time on this thread.
 * Sleeps to an absolute CLOCK_MONOTONIC deadline (clock_nanosleep TIMER_ABSTIME, resumed after
 * EINTR), so a signal can neither shorten the wait nor restart it from scratch; below 2 µs it spins
 * on clock_gettime instead, since no sleep is that short. @ns ≤ 0 or NaN spends nothing; more than
 * 1e17 (~3 years) is clamped. Returns the realised duration in ns (≥ @ns), measured on the same
 * clock, so the caller can report the realised mean and CV. Thread-safe.
 */
double asgd_work_spend(double ns);

/*
 * asgd_work_spin - spend @ns nanoseconds of wall time on this thread busy, on the CPU: a loop on
 * CLOCK_MONOTONIC that never sleeps. As asgd_work_spend otherwise (the same clamping, the realised
 * duration returned). Thread-safe.
 */
double asgd_work_spin(double ns);

/*
 * asgd_work_do - draw one work time from @w with the stream @r and spend it as @w says: asleep
 * (asgd_work_spend) or busy (asgd_work_spin, when w->spin). Returns the realised duration in ns
 * (0 for ASGD_WORK_NONE). Thread-safe as long as @r is this thread's own stream.
 */
double asgd_work_do(const asgd_work *w, asgd_rng *r);

/* asgd_now_ns - CLOCK_MONOTONIC in ns (for intervals only; the origin is arbitrary). Thread-safe. */
double asgd_now_ns(void);

#endif /* ASGD_WORK_H */
