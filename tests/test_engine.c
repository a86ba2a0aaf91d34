/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_engine.c — the threaded engine: accounting, staleness semantics, equivalence with
 * sequential SGD at one worker, stop and divergence.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/problem.h"
#include "asgd/rng.h"
#include "asgd/work.h"

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "preset %s", spec);
	return p;
}

static asgd_engine_config config(const asgd_problem *p, unsigned workers, uint64_t iters)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 42;
	cfg.record_staleness = 1;
	cfg.work.kind = ASGD_WORK_NONE;
	return cfg;
}

static void assert_accounting(const asgd_engine_result *res)
{
	cr_assert_eq(res->computed, res->applied + res->discarded,
		     "computed %llu != applied %llu + discarded %llu",
		     (unsigned long long)res->computed, (unsigned long long)res->applied,
		     (unsigned long long)res->discarded);
}

/* Every recorded τ_k = k − v must satisfy 0 ≤ v ≤ k, and worker ids must be < M. */
static void assert_tau_sane(const asgd_engine_result *res, unsigned workers)
{
	uint64_t k;

	for (k = 0; k < res->applied; k++) {
		cr_assert_leq(res->tau[k], k, "tau[%llu] = %llu reads a future version",
			      (unsigned long long)k, (unsigned long long)res->tau[k]);
		cr_assert_lt(res->worker[k], workers);
	}
}

Test(engine, accounting_adds_up_for_several_worker_counts, .timeout = 120)
{
	static const unsigned counts[] = { 1, 2, 3, 4, 8 };
	asgd_problem *p = make("fig4");
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
		asgd_engine_config cfg = config(p, counts[i], 20000);
		asgd_engine_result res;

		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 20000);
		cr_assert_not(res.interrupted);
		cr_assert_not(res.diverged);
		assert_accounting(&res);
		assert_tau_sane(&res, counts[i]);
		/* Each worker holds at most one gradient, so at most M can be left over. */
		cr_assert_leq(res.discarded, counts[i]);
		asgd_engine_result_free(&res);
	}
	asgd_problem_destroy(p);
}

/* 32 workers on 2 cores, with injected work so that threads sleep and wake: the
 * oversubscribed regime, and the test CI runs under ThreadSanitizer. */
Test(engine, thirty_two_workers_on_two_cores, .timeout = 300)
{
	asgd_problem *p = make("fig6");
	asgd_engine_config cfg = config(p, 32, 5000);
	asgd_engine_result res;
	uint64_t per_worker[32] = { 0 }, k;
	unsigned w;

	cfg.work.kind = ASGD_WORK_EXP;
	cfg.work.ns = 20000;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 5000);
	assert_accounting(&res);
	assert_tau_sane(&res, 32);
	for (k = 0; k < res.applied; k++)
		per_worker[res.worker[k]]++;
	for (w = 0; w < 32; w++)
		cr_assert_gt(per_worker[w], 0, "worker %u never had a gradient applied", w);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* One worker reads again only after its gradient was applied and the result published,
 * so it always reads the newest version: every τ is 0, and the run is sequential SGD with
 * the worker's random stream — bit for bit. */
Test(engine, one_worker_is_sequential_sgd)
{
	asgd_problem *p = make("fig5-doublewell");
	asgd_engine_config cfg = config(p, 1, 3000);
	asgd_engine_result res;
	double *traj = malloc(3001 * sizeof(double));
	double x = asgd_problem_x0(p)[0], g;
	asgd_rng rng;
	uint64_t k;

	cfg.trajectory = traj;
	cfg.replica = 7;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	asgd_rng_init(&rng, 42, (uint64_t)7 << 11);
	for (k = 0; k < 3000; k++) {
		cr_assert_eq(res.tau[k], 0, "tau[%llu] = %llu with one worker",
			     (unsigned long long)k, (unsigned long long)res.tau[k]);
		asgd_problem_grad_i(p, asgd_rng_below(&rng, 2), &x, &g);
		x -= cfg.eta * g;
		cr_assert_eq(traj[k + 1], x, "x_%llu: engine %.17g, sequential %.17g",
			     (unsigned long long)(k + 1), traj[k + 1], x);
	}
	cr_assert_eq(res.x_final[0], x);
	asgd_engine_result_free(&res);
	free(traj);
	asgd_problem_destroy(p);
}

/* Explicit momentum at the master is the heavy-ball update (2.6). */
Test(engine, one_worker_with_momentum_is_msgd)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 1, 2000);
	asgd_engine_result res;
	double x = 1, v = 0, g;
	asgd_rng rng;
	uint64_t k;

	cfg.momentum = 0.9;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	asgd_rng_init(&rng, 42, 0);
	for (k = 0; k < 2000; k++) {
		asgd_problem_grad_i(p, asgd_rng_below(&rng, 2), &x, &g);
		v = 0.9 * v - cfg.eta * g;
		x += v;
	}
	cr_assert_eq(res.x_final[0], x, "engine %.17g, MSGD %.17g", res.x_final[0], x);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/*
 * The same against something that shares no code with either loop: the exact first and second
 * moments of MSGD (2.6) from the closed moment recursion (asgd_exact_run). R one-worker replicas
 * of the engine, each with its own streams, give E x_k and E x_k² with standard errors
 * sd/√R; every recorded k must lie within 5 SE (a miss has probability below 1e-6 per
 * comparison, so 2·K/10 comparisons leave the test reliable). A master that drops the βv term,
 * or adds v_k before updating it, moves the mean by tens of SE here.
 */
Test(engine, momentum_replicas_match_exact_msgd_moments, .timeout = 120)
{
	enum { R = 2000, K = 60 };
	asgd_problem *p = make("fig4");
	asgd_exact_config ec = { 0 };
	asgd_exact_moments ex;
	double *traj = malloc((K + 1) * sizeof(double));
	double *s1 = calloc(K + 1, sizeof(double)), *s2 = calloc(K + 1, sizeof(double));
	double *s4 = calloc(K + 1, sizeof(double));

	for (unsigned r = 0; r < R; r++) {
		asgd_engine_config cfg = config(p, 1, K);
		asgd_engine_result res;

		cfg.momentum = 0.6;
		cfg.eta = 0.05;
		cfg.replica = r;
		cfg.record_staleness = 0;
		cfg.trajectory = traj;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		for (unsigned k = 0; k <= K; k++) {
			double x2 = traj[k] * traj[k];

			s1[k] += traj[k];
			s2[k] += x2;
			s4[k] += x2 * x2;
		}
		asgd_engine_result_free(&res);
	}
	ec.model = ASGD_MODEL_MSGD;
	ec.problem = p;
	ec.eta = 0.05;
	ec.mu = 0.6;
	ec.iters = K;
	cr_assert_eq(asgd_exact_run(&ec, &ex), ASGD_OK);
	for (unsigned k = 10; k <= K; k += 10) {
		double m = s1[k] / R, m2 = s2[k] / R;
		double se1 = sqrt((m2 - m * m) / R), se2 = sqrt((s4[k] / R - m2 * m2) / R);

		cr_assert(fabs(m - ex.mean[k]) < 5 * se1 + 1e-12,
			  "E x_%u: engine %.6f, exact MSGD %.6f (SE %.2g)", k, m, ex.mean[k], se1);
		cr_assert(fabs(m2 - ex.second[k]) < 5 * se2 + 1e-12,
			  "E x_%u^2: engine %.6f, exact MSGD %.6f (SE %.2g)", k, m2, ex.second[k], se2);
	}
	asgd_exact_moments_free(&ex);
	free(traj);
	free(s1);
	free(s2);
	free(s4);
	asgd_problem_destroy(p);
}

/* A mini-batch of all n components is the full gradient: plain gradient descent. */
Test(engine, full_batch_is_gradient_descent)
{
	asgd_problem *p = make("fig8");
	asgd_engine_config cfg = config(p, 1, 500);
	asgd_engine_result res;
	double x = asgd_problem_x0(p)[0], g;
	uint64_t k;

	cfg.batch = (unsigned)asgd_problem_components(p);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	for (k = 0; k < 500; k++) {
		asgd_problem_grad(p, &x, &g);
		x -= cfg.eta * g;
	}
	/* Only the order of summation differs: a few ulps of a value of order 1. */
	cr_assert(fabs(res.x_final[0] - x) < 1e-12, "engine %.17g, GD %.17g", res.x_final[0], x);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* A batch schedule with one worker: every τ is 0, so the gradient of update k is the mean of
 * min(B_k, n) components drawn without replacement (a partial Fisher–Yates shuffle of a
 * permutation kept between draws, batch 1 a plain draw) — the sequential loop below, bit for
 * bit. The schedule is shorter than the run (its last value is held) and reaches past n = 100
 * (capped). */
Test(engine, one_worker_follows_a_batch_schedule)
{
	enum { K = 400, LEN = 300, N = 100 };
	asgd_problem *p = make("fig8");
	asgd_engine_config cfg = config(p, 1, K);
	asgd_engine_result res;
	uint32_t sched[LEN];
	size_t perm[N];
	double *traj = malloc((K + 1) * sizeof(double));
	double x = asgd_problem_x0(p)[0], g, gi;
	uint64_t evals = 0;
	asgd_rng rng;

	cr_assert_eq(asgd_problem_components(p), N);
	for (size_t k = 0; k < LEN; k++)
		sched[k] = k < 250 ? 1 + (uint32_t)(k % 7) * (uint32_t)(k % 3) : 150;
	for (size_t i = 0; i < N; i++)
		perm[i] = i;
	cfg.schedule = (asgd_batch_schedule){ .size = sched, .len = LEN };
	cfg.batch = 3; /* ignored with a schedule */
	cfg.trajectory = traj;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	assert_accounting(&res);
	asgd_rng_init(&rng, 42, 0);
	for (uint64_t k = 0; k < K; k++) {
		uint32_t B = asgd_batch_at(&cfg.schedule, k);

		B = B < N ? B : N;
		cr_assert_eq(res.tau[k], 0);
		if (B == 1) {
			asgd_problem_grad_i(p, asgd_rng_below(&rng, N), &x, &g);
		} else {
			g = 0;
			for (size_t b = 0; b < B; b++) {
				size_t r = b + asgd_rng_below(&rng, N - b), i = perm[r];

				perm[r] = perm[b];
				perm[b] = i;
				asgd_problem_grad_i(p, i, &x, &gi);
				g += gi;
			}
			g /= B;
		}
		x -= cfg.eta * g;
		evals += B;
		cr_assert_eq(traj[k + 1], x, "x_%llu (batch %u): engine %.17g, sequential %.17g",
			     (unsigned long long)(k + 1), B, traj[k + 1], x);
	}
	cr_assert_eq(res.evaluations, evals, "evaluations %llu, schedule %llu",
		     (unsigned long long)res.evaluations, (unsigned long long)evals);
	asgd_engine_result_free(&res);

	/* Without a schedule the constant batch counts. */
	cfg.schedule = (asgd_batch_schedule){ 0 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.evaluations, 3 * res.applied);
	asgd_engine_result_free(&res);

	/* A zero entry or an empty array is refused. */
	sched[17] = 0;
	cfg.schedule = (asgd_batch_schedule){ .size = sched, .len = LEN };
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg.schedule.len = 0;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	free(traj);
	asgd_problem_destroy(p);
}

/*
 * μ̂ = m/(1 + m) from the mean staleness m, with a standard error that holds although τ is
 * serially correlated (consecutive updates see overlapping queues): batch means over NB
 * consecutive blocks, SE(m) = sd(block means)/√NB, carried to μ̂ by the delta method
 * (dμ/dm = 1/(1 + m)²). An i.i.d. SE would understate it by the correlation time.
 */
static void mu_hat_batch_means(const asgd_engine_result *res, double *mu_hat, double *se)
{
	enum { NB = 20 };
	uint64_t len = res->applied / NB;
	double bm[NB], mean = 0, var = 0;

	cr_assert_gt(len, 10, "too few updates (%llu) for batch means",
		     (unsigned long long)res->applied);
	for (int b = 0; b < NB; b++) {
		bm[b] = 0;
		for (uint64_t k = b * len; k < (b + 1) * len; k++)
			bm[b] += (double)res->tau[k];
		bm[b] /= (double)len;
		mean += bm[b] / NB;
	}
	for (int b = 0; b < NB; b++)
		var += (bm[b] - mean) * (bm[b] - mean) / (NB - 1);
	*mu_hat = mean / (1 + mean);
	*se = sqrt(var / NB) / ((1 + mean) * (1 + mean));
}

/*
 * The queueing model: M workers with exponential work long against the engine's own overheads
 * give geometric staleness with μ = 1 − 1/M (by memorylessness, each of the other M − 1 workers
 * finishes before a given one with probability (M−1)/M). That holds for every mode, since τ
 * counts the updates applied between a worker's read and its own update's: the master's queue,
 * the in-place master's live vector and Hogwild's counter must all give it.
 *
 * The mean alone is robust: with one gradient in flight per worker and a master that is not the
 * bottleneck, the others apply M − 1 updates on average during one worker's cycle whatever the
 * work's law, so E τ = M − 1 and μ̂ = 1 − 1/M. With 500 µs of work, M = 2 and 4 give 0.5 and
 * 0.75. Bound: 4 batch-means SEs (≈ 0.002–0.004 here: statistical, and valid under correlation)
 * plus 0.05 for the scheduling noise of a shared 2-core machine, which biases μ̂ (by 0.01 on a
 * busy one) but does not hide a broken engine — μ̂ = 0 for a serialised one, μ̂ → 1 for an
 * unbounded queue, about 0 for a Hogwild version read after the work instead of before the
 * gradient. A τ off by one and clamped at 0 takes E τ to M − 2 + P(τ = 0): μ̂ 0.68 at M = 4,
 * 0.33 at M = 2, which is why M = 2 is in the test.
 */
static void check_queueing_staleness(asgd_engine_mode mode)
{
	static const unsigned counts[] = { 2, 4 };
	asgd_problem *p = make("fig4");

	for (size_t i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
		unsigned m = counts[i];
		asgd_engine_config cfg = config(p, m, 4000);
		asgd_engine_result res;
		double mu_hat, se, mu = 1 - 1.0 / m;

		cfg.mode = mode;
		cfg.work.kind = ASGD_WORK_EXP;
		cfg.work.ns = 500000;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 4000);
		assert_accounting(&res);
		assert_tau_sane(&res, m);
		mu_hat_batch_means(&res, &mu_hat, &se);
		cr_assert(fabs(mu_hat - mu) < 0.05 + 4 * se,
			  "%s, M = %u: mu_hat %.4f (batch-means SE %.4f), queueing model %.4f",
			  asgd_engine_mode_name(mode), m, mu_hat, se, mu);
		cr_assert(res.work_mean_ns >= 500000 * 0.9, "realised work mean %.0f ns",
			  res.work_mean_ns);
		asgd_engine_result_free(&res);
	}
	asgd_problem_destroy(p);
}

Test(engine, exponential_work_gives_queueing_staleness, .timeout = 120)
{
	check_queueing_staleness(ASGD_ENGINE_MASTER);
}

Test(engine, exponential_work_gives_queueing_staleness_in_place, .timeout = 120)
{
	check_queueing_staleness(ASGD_ENGINE_MASTER_INPLACE);
}

Test(engine, exponential_work_gives_queueing_staleness_hogwild, .timeout = 120)
{
	check_queueing_staleness(ASGD_ENGINE_HOGWILD);
}

Test(engine, exponential_work_gives_queueing_staleness_combining, .timeout = 120)
{
	check_queueing_staleness(ASGD_ENGINE_COMBINING);
}

struct stopper {
	atomic_int *flag;
	long delay_ms;
	double raised_ns; /* when the flag went up (asgd_now_ns) */
};

static void *raise_stop(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { s->delay_ms / 1000, s->delay_ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
	s->raised_ns = asgd_now_ns();
	atomic_store(s->flag, 1);
	return NULL;
}

Test(engine, stop_flag_ends_the_run_with_accounting, .timeout = 60)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 4, 1000000000);
	asgd_engine_result res;
	atomic_int flag = 0;
	struct stopper s = { &flag, 50, 0 };
	pthread_t t;

	cfg.work.kind = ASGD_WORK_FIXED;
	cfg.work.ns = 100000;
	cfg.record_staleness = 0;
	cfg.stop = &flag;
	pthread_create(&t, NULL, raise_stop, &s);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	pthread_join(t, NULL);
	cr_assert(res.interrupted);
	cr_assert_lt(res.applied, cfg.iters);
	assert_accounting(&res);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/*
 * A master-bound run: 32 workers whose sparse gradients (30 non-zeros) cost far less than the
 * master's dense update of d = 400,000 coordinates, so the queue never runs dry. The master must
 * still see the stop flag at once (it once looked only when the queue was empty, and ran on for
 * minutes). Required: within 100 ms of work; asserted: 1 s (10 s under ThreadSanitizer), a wide
 * margin for a loaded machine, since what is tested is "seen at all", not a speed. The run must
 * have been busy when stopped (applied > 0), or the test would prove nothing.
 */
static void check_master_bound_stop(asgd_engine_mode mode)
{
	asgd_dataset *ds = NULL;
	asgd_problem *p = NULL;
	asgd_data_model m = { ASGD_LOSS_HINGE, 1e-4, NAN };
	char err[256];
	asgd_engine_config cfg;
	asgd_engine_result res;
	atomic_int flag = 0;
	struct stopper s = { &flag, 500, 0 };
	pthread_t t;
	double latency_s;
#ifdef ASGD_TSAN
	const double limit_s = 10;
#else
	const double limit_s = 1;
#endif

	cr_assert_eq(asgd_dataset_generate("rcv1:n=5000,d=400000,nnz=30", &ds, err, sizeof(err)),
		     ASGD_OK, "%s", err);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	cfg = config(p, 32, 1000000000);
	cfg.mode = mode;
	cfg.record_staleness = 0;
	cfg.stop = &flag;
	pthread_create(&t, NULL, raise_stop, &s);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	latency_s = (asgd_now_ns() - s.raised_ns) * 1e-9;
	pthread_join(t, NULL);
	cr_assert(res.interrupted, "%s: not marked interrupted", asgd_engine_mode_name(mode));
	cr_assert_gt(res.applied, 0, "%s: nothing applied in 0.5 s", asgd_engine_mode_name(mode));
	assert_accounting(&res);
	cr_assert_lt(latency_s, limit_s, "%s: stopped %.3f s after the flag (limit %.0f s)",
		     asgd_engine_mode_name(mode), latency_s, limit_s);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

Test(engine, master_bound_run_sees_the_stop_flag, .timeout = 120)
{
	check_master_bound_stop(ASGD_ENGINE_MASTER);
}

Test(engine, master_bound_run_sees_the_stop_flag_in_place, .timeout = 120)
{
	check_master_bound_stop(ASGD_ENGINE_MASTER_INPLACE);
}

Test(engine, busy_hogwild_run_sees_the_stop_flag, .timeout = 120)
{
	check_master_bound_stop(ASGD_ENGINE_HOGWILD);
}

Test(engine, divergence_stops_the_run)
{
	asgd_problem *p = make("fig5-quartic");
	asgd_engine_config cfg = config(p, 2, 100000);
	asgd_engine_result res;

	cfg.eta = 1.0; /* the quartic's gradient grows like x³: η = 1 explodes in a few steps */
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert(res.diverged);
	cr_assert_lt(res.applied, 100);
	assert_accounting(&res);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(engine, bad_configuration_is_refused)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 0, 10);
	asgd_engine_result res;
	char err[256];

	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_EINVAL);
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "workers 0") != NULL, "message: %s", err);
	cfg = config(p, ASGD_MAX_WORKERS + 1, 10);
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg = config(p, 1, 10);
	cfg.eta = NAN;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cfg.eta = -1;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg = config(p, 1, 10);
	cfg.batch = 3; /* fig4 has two components */
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cfg = config(p, 1, 10);
	cfg.momentum = 1;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	asgd_problem_destroy(p);
}

/* With one worker nothing races: Hogwild's racy load-and-store and the compare-and-swap add
 * must write the same bits, step for step. With two, the racy write still accounts for every
 * gradient (a lost addition is a lost value, not a lost update). */
Test(engine, hogwild_racy_and_cas_writes_agree_on_one_worker, .timeout = 120)
{
	asgd_problem *p = make("fig6");
	asgd_engine_config cfg = config(p, 1, 2000);
	size_t dim = asgd_problem_dim(p);
	double *traj[2];
	asgd_engine_result res;
	asgd_hogwild_write w;

	cfg.mode = ASGD_ENGINE_HOGWILD;
	cfg.record_every = 100;
	for (int i = 0; i < 2; i++) {
		traj[i] = malloc((2000 / 100 + 1) * dim * sizeof(double));
		cfg.trajectory = traj[i];
		cfg.hogwild_write = i ? ASGD_HOGWILD_WRITE_CAS : ASGD_HOGWILD_WRITE_RACY;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 2000);
		asgd_engine_result_free(&res);
	}
	cr_assert_eq(memcmp(traj[0], traj[1], (2000 / 100 + 1) * dim * sizeof(double)), 0,
		     "racy and cas trajectories differ with one worker");
	cfg = config(p, 2, 20000);
	cfg.mode = ASGD_ENGINE_HOGWILD;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 20000);
	assert_accounting(&res);
	assert_tau_sane(&res, 2);
	asgd_engine_result_free(&res);
	cr_assert_str_eq(asgd_hogwild_write_name(ASGD_HOGWILD_WRITE_CAS), "cas");
	cr_assert_eq(asgd_hogwild_write_parse("racy", &w), ASGD_OK);
	cr_assert_eq(w, ASGD_HOGWILD_WRITE_RACY);
	cr_assert_eq(asgd_hogwild_write_parse("atomic", &w), ASGD_ENOTFOUND);
	cfg.hogwild_write = (asgd_hogwild_write)7;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	free(traj[0]);
	free(traj[1]);
	asgd_problem_destroy(p);
}

/*
 * Shuffled sampling visits every row once per epoch, and the epoch decay steps η down once per
 * epoch. fig8's components f_i = (x − c_i)²/2 have distinct centres c_i = −1/2 + (i+1)/(2n), so
 * one worker's update x' = x − η_k (x − c_i) names its row: c_i = x − (x − x')/η_k. In each of three
 * epochs the rows so recovered, with η_k = η·decay^⌊k/n⌋, must be every row exactly once — in
 * snapshot, in-place and Hogwild modes alike.
 */
Test(engine, shuffle_visits_every_row_once_per_epoch)
{
	const asgd_engine_mode modes[] = { ASGD_ENGINE_MASTER, ASGD_ENGINE_MASTER_INPLACE,
					   ASGD_ENGINE_HOGWILD };
	asgd_problem *p = make("fig8");
	size_t n = asgd_problem_components(p);
	uint64_t iters = 3 * n;
	double *traj = malloc((iters + 1) * sizeof(double));

	for (size_t m = 0; m < sizeof(modes) / sizeof(*modes); m++) {
		asgd_engine_config cfg = config(p, 1, iters);
		asgd_engine_result res;
		int *seen = calloc(n, sizeof(int));

		cfg.mode = modes[m];
		cfg.sampling = ASGD_SAMPLING_SHUFFLE;
		cfg.eta_decay = 0.5;
		cfg.trajectory = traj;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, iters);
		for (uint64_t k = 0; k < iters; k++) {
			double eta = cfg.eta * pow(0.5, (double)(k / n));
			double c = traj[k] - (traj[k] - traj[k + 1]) / eta;
			double i = (c + 0.5) * 2.0 * (double)n - 1;
			long r = lround(i);

			cr_assert(fabs(i - (double)r) < 1e-6 && r >= 0 && (size_t)r < n,
				  "%s: update %llu used no row (c = %.17g)", asgd_engine_mode_name(modes[m]),
				  (unsigned long long)k, c);
			cr_assert_eq(seen[r], (int)(k / n), "%s: row %ld seen twice in epoch %llu",
				     asgd_engine_mode_name(modes[m]), r, (unsigned long long)(k / n));
			seen[r]++;
		}
		asgd_engine_result_free(&res);
		free(seen);
	}
	free(traj);
	asgd_problem_destroy(p);
}

/* Shuffled epochs on several workers keep the accounting; bad sampling settings are refused. */
Test(engine, shuffle_on_several_workers_and_bad_settings, .timeout = 120)
{
	asgd_problem *p = make("fig8");
	asgd_engine_config cfg = config(p, 3, 30000);
	asgd_engine_result res;
	asgd_sampling s;
	char err[256];

	cfg.mode = ASGD_ENGINE_HOGWILD;
	cfg.sampling = ASGD_SAMPLING_SHUFFLE;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 30000);
	assert_accounting(&res);
	assert_tau_sane(&res, 3);
	asgd_engine_result_free(&res);
	cfg.eta_decay = 1.5;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "eta_decay 1.5") != NULL, "message: %s", err);
	cfg.eta_decay = 0;
	cfg.sampling = (asgd_sampling)9;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg.sampling = ASGD_SAMPLING_SHUFFLE;
	cfg.mode = ASGD_ENGINE_MPI;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "mpi") != NULL, "message: %s", err);
	cr_assert_eq(asgd_sampling_parse("shuffle", &s), ASGD_OK);
	cr_assert_eq(s, ASGD_SAMPLING_SHUFFLE);
	cr_assert_str_eq(asgd_sampling_name(ASGD_SAMPLING_UNIFORM), "uniform");
	asgd_problem_destroy(p);
}

/* Pinning moves threads, never results: one worker gives the same bits pinned or not, the
 * accounting holds pinned in every mode, and the calling thread (the master for the run) gets
 * its CPU mask back. */
Test(engine, pinning_changes_no_result_and_restores_the_caller, .timeout = 120)
{
	const asgd_engine_mode modes[] = { ASGD_ENGINE_MASTER, ASGD_ENGINE_MASTER_INPLACE,
					   ASGD_ENGINE_HOGWILD };
	asgd_problem *p = make("fig6");
	cpu_set_t before, after;
	double x_free[100];

	cr_assert_eq(pthread_getaffinity_np(pthread_self(), sizeof(before), &before), 0);
	for (size_t m = 0; m < sizeof(modes) / sizeof(*modes); m++) {
		asgd_engine_config cfg = config(p, 1, 3000);
		asgd_engine_result res;

		cfg.mode = modes[m];
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		memcpy(x_free, res.x_final, sizeof(x_free));
		asgd_engine_result_free(&res);
		cfg.pin = 1;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(memcmp(x_free, res.x_final, sizeof(x_free)), 0, "%s",
			     asgd_engine_mode_name(modes[m]));
		asgd_engine_result_free(&res);
		cfg = config(p, 3, 20000);
		cfg.mode = modes[m];
		cfg.pin = 1;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 20000);
		assert_accounting(&res);
		assert_tau_sane(&res, 3);
		asgd_engine_result_free(&res);
		cr_assert_eq(pthread_getaffinity_np(pthread_self(), sizeof(after), &after), 0);
		cr_assert(CPU_EQUAL(&before, &after), "%s: the caller's CPU mask was not restored",
			  asgd_engine_mode_name(modes[m]));
	}
	asgd_problem_destroy(p);
}

/*
 * Combining mode is master mode without the master: with one worker it writes the same bits as
 * the snapshot master, step for step; with several, every update is whole, so on fig4 (d = 1,
 * f_i = (x ∓ 1)² − 1, gradient 2(x ∓ 1)) each trajectory step is x_{k+1} = x_k − 2η(x_v ∓ 1)
 * for the x_v of the version v = k − τ_k it read: the recorded τ and the trajectory must agree
 * to rounding (1e-12; a neighbouring version would be off by about a step, 1e-2), which a torn
 * read or an update applied out of order would break.
 */
Test(engine, combining_is_master_mode_without_a_master, .timeout = 120)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 1, 3000);
	asgd_engine_result res;
	double *traj[2];

	for (int i = 0; i < 2; i++) {
		traj[i] = malloc(3001 * sizeof(double));
		cfg.mode = i ? ASGD_ENGINE_COMBINING : ASGD_ENGINE_MASTER;
		cfg.trajectory = traj[i];
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 3000);
		asgd_engine_result_free(&res);
	}
	cr_assert_eq(memcmp(traj[0], traj[1], 3001 * sizeof(double)), 0,
		     "combining and master differ with one worker");
	/* a torn read needs a write during a read: five runs of 20 000 give it five chances (one
	 * run let the mutant without the check pass once, on a machine at load 6 or more) */
	cfg = config(p, 3, 20000);
	cfg.mode = ASGD_ENGINE_COMBINING;
	cfg.trajectory = traj[0] = realloc(traj[0], 20001 * sizeof(double));
	for (uint64_t seed = 1; seed <= 5; seed++) {
		cfg.seed = seed;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 20000);
		assert_accounting(&res);
		assert_tau_sane(&res, 3);
		for (uint64_t k = 0; k < 20000; k++) {
			double xv = traj[0][k - res.tau[k]], step = traj[0][k] - traj[0][k + 1];
			double g1 = 2 * cfg.eta * (xv - 1), g2 = 2 * cfg.eta * (xv + 1);
			double tol = 1e-12 * (fabs(traj[0][k]) + 1);

			cr_assert(fabs(step - g1) <= tol || fabs(step - g2) <= tol,
				  "seed %llu, update %llu: step %.17g is not 2 eta (x_v -+ 1) for "
				  "v = k - tau = %llu", (unsigned long long)seed,
				  (unsigned long long)k, step, (unsigned long long)(k - res.tau[k]));
		}
		asgd_engine_result_free(&res);
	}
	free(traj[0]);
	free(traj[1]);
	asgd_problem_destroy(p);
}

/* The run of @cfg with @shards, its trajectory (rows+1 of dim values) into a fresh buffer. */
static double *sharded_run(asgd_engine_config cfg, unsigned shards, size_t rows, size_t dim,
			   double *x_final)
{
	asgd_engine_result res;
	double *traj = malloc((rows + 1) * dim * sizeof(double));

	cfg.shards = shards;
	cfg.trajectory = traj;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK, "shards %u", shards);
	cr_assert_eq(res.applied, cfg.iters, "shards %u", shards);
	assert_accounting(&res);
	memcpy(x_final, res.x_final, dim * sizeof(double));
	asgd_engine_result_free(&res);
	return traj;
}

/*
 * Sharding splits who writes each coordinate, never how: with one worker (no race, τ = 0) a run
 * with S shards gives the bits of S = 1, every trajectory row and x_final, with and without
 * momentum (each shard keeps its block of the velocity), with line-aligned blocks (d = 500, 63
 * lines) and with single-coordinate blocks (d = 20, 3 lines for 4 shards).
 */
Test(engine, shards_give_the_bits_of_one_shard_on_one_worker, .timeout = 120)
{
	static const struct {
		const char *spec;
		double momentum;
		unsigned shards[4];
	} cases[] = {
		{ "fig6:d=500", 0, { 2, 3, 4, 7 } },
		{ "fig6:d=500", 0.5, { 3, 0, 0, 0 } },
		{ "fig6:d=20", 0, { 4, 20, 0, 0 } },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		asgd_problem *p = make(cases[c].spec);
		size_t dim = asgd_problem_dim(p), rows = 1000;
		asgd_engine_config cfg = config(p, 1, 1000);
		double *x1 = malloc(dim * sizeof(double)), *xs = malloc(dim * sizeof(double));
		double *t1, *ts;

		cfg.momentum = cases[c].momentum;
		t1 = sharded_run(cfg, 1, rows, dim, x1);
		for (size_t i = 0; i < 4 && cases[c].shards[i]; i++) {
			unsigned S = cases[c].shards[i];

			ts = sharded_run(cfg, S, rows, dim, xs);
			for (size_t r = 0; r <= rows; r++)
				cr_assert_eq(memcmp(t1 + r * dim, ts + r * dim, dim * sizeof(double)), 0,
					     "%s momentum %g: S = %u differs from S = 1 at row %zu",
					     cases[c].spec, cfg.momentum, S, r);
			cr_assert_eq(memcmp(x1, xs, dim * sizeof(double)), 0, "%s: x_final, S = %u",
				     cases[c].spec, S);
			free(ts);
		}
		free(t1);
		free(x1);
		free(xs);
		asgd_problem_destroy(p);
	}
}

/* M = 4 workers, S = 3 shards, pinned and not: every update lands, every gradient is counted. */
Test(engine, shards_keep_the_accounting_with_several_workers, .timeout = 120)
{
	asgd_problem *p = make("fig6:d=500");

	for (int pin = 0; pin < 2; pin++) {
		asgd_engine_config cfg = config(p, 4, 5000);
		asgd_engine_result res;

		cfg.shards = 3;
		cfg.pin = pin;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 5000);
		cr_assert_not(res.diverged);
		cr_assert_not(res.interrupted);
		assert_accounting(&res);
		assert_tau_sane(&res, 4);
		cr_assert_leq(res.discarded, 4);
		cr_assert_eq(res.coords_written, 5000ull * 500);
		asgd_engine_result_free(&res);
	}
	asgd_problem_destroy(p);
}

/* Only the last coordinate, in the last applier's block, blows up: that shard's probe must
 * end the run, since the master's own block stays finite. */
Test(engine, a_shard_reports_divergence_in_its_block, .timeout = 60)
{
	asgd_problem *p = make("fig7");
	asgd_engine_config cfg = config(p, 1, 100000);
	asgd_engine_result res;
	double x0[100] = { 0 };

	cr_assert_eq(asgd_problem_dim(p), 100);
	x0[99] = 1e3; /* the quartic's gradient 2c(x − 1)³ throws it further each step */
	cfg.x0 = x0;
	cfg.shards = 3;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert(res.diverged);
	cr_assert_lt(res.applied, 100);
	cr_assert(isfinite(res.x_final[0]), "block 0 stayed finite");
	assert_accounting(&res);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(engine, shards_are_refused_where_they_cannot_split)
{
	asgd_problem *p = make("fig6:d=20"), *one = make("fig4");
	asgd_engine_config cfg = config(p, 1, 10);
	char err[256];

	cfg.shards = 20;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_OK);
	cfg.shards = 21;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "shards 21") && strstr(err, "1..20"), "message: %s", err);
	cfg.shards = 2;
	for (asgd_engine_mode m = ASGD_ENGINE_MASTER_INPLACE; m <= ASGD_ENGINE_COMBINING; m++) {
		asgd_engine_result res;

		cfg.mode = m;
		cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL, "%s",
			     asgd_engine_mode_name(m));
		cr_assert(strstr(err, "not allowed in"), "message: %s", err);
		if (m != ASGD_ENGINE_MPI)
			cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_EINVAL);
	}
	cfg = config(one, 1, 10);
	cfg.shards = 1; /* 0 and 1 both mean "the master alone", whatever d */
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_OK);
	cfg.shards = 2;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	asgd_problem_destroy(p);
	asgd_problem_destroy(one);
}
