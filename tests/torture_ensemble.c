/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture_ensemble.c — the ensemble runner under ThreadSanitizer, as a plain program.
 *
 * Criterion cannot start under ThreadSanitizer (Criterion issue #274), so the threaded checks of
 * the ensembles live here: discrete ASGD (sim) and SME-ASGD (sme) on 1..32 threads must give
 * bit-identical power sums and end points, on 1-D and d = 100 presets; a stop raised from another
 * thread mid-run must leave a prefix of whole chunks. CI runs this under TSan (label "engine"),
 * where any unsynchronised access to the shared sums or the turn counter is reported.
 *
 * usage: torture_ensemble
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/sim.h"
#include "asgd/sme.h"

struct tally {
	int passed, failed;
};

static void check(struct tally *t, int ok, const char *what)
{
	if (ok) {
		t->passed++;
		return;
	}
	t->failed++;
	fprintf(stderr, "FAIL: %s\n", what);
}

static int same_result(const asgd_ensemble_result *a, const asgd_ensemble_result *b, size_t dim)
{
	size_t cells = a->moments.steps * a->moments.dim * sizeof(double);

	return a->paths_done == b->paths_done &&
	       !memcmp(a->moments.s1, b->moments.s1, cells) &&
	       !memcmp(a->moments.s2, b->moments.s2, cells) &&
	       !memcmp(a->moments.s4, b->moments.s4, cells) &&
	       (!a->final || !memcmp(a->final, b->final, a->paths_done * dim * sizeof(double)));
}

/* One ensemble of either kind, so that the thread sweep below serves both. */
static int run(const asgd_problem *p, int sme, unsigned threads, uint64_t paths, uint64_t iters,
	       const atomic_int *stop, asgd_ensemble_result *out)
{
	int rc;

	if (sme) {
		asgd_sme_config c = { .model = ASGD_MODEL_SME_ASGD,
				      .sigma = asgd_sme_default_sigma(ASGD_MODEL_SME_ASGD, p),
				      .problem = p, .eta = asgd_problem_default_eta(p), .mu = 0.9,
				      .iters = iters, .substeps = 2, .paths = paths,
				      .threads = threads, .seed = 3, .keep_final = 1, .stop = stop };
		asgd_sme_result r;

		rc = asgd_sme_run(&c, &r);
		if (rc == ASGD_OK)
			*out = r.ens;	/* ownership moves to the caller */
	} else {
		asgd_sim_config c = { .model = ASGD_MODEL_ASGD, .problem = p,
				      .eta = asgd_problem_default_eta(p), .mu = 0.9, .iters = iters,
				      .paths = paths, .threads = threads, .seed = 3, .keep_final = 1,
				      .stop = stop };
		asgd_sim_result r;

		rc = asgd_sim_run(&c, &r);
		if (rc == ASGD_OK)
			*out = r.ens;
	}
	return rc;
}

static void thread_sweep(struct tally *t, const char *preset, int sme, uint64_t paths,
			 uint64_t iters)
{
	static const unsigned threads[] = { 2, 3, 8, 32 };
	asgd_problem *p;
	asgd_ensemble_result ref, other;
	char what[160];

	if (asgd_problem_create(preset, &p) != ASGD_OK ||
	    run(p, sme, 1, paths, iters, NULL, &ref) != ASGD_OK) {
		check(t, 0, preset);
		return;
	}
	for (size_t i = 0; i < sizeof(threads) / sizeof(*threads); i++) {
		snprintf(what, sizeof(what), "%s %s: %u threads give the 1-thread result", preset,
			 sme ? "sme-asgd" : "asgd", threads[i]);
		if (run(p, sme, threads[i], paths, iters, NULL, &other) != ASGD_OK) {
			check(t, 0, what);
			continue;
		}
		check(t, same_result(&ref, &other, asgd_problem_dim(p)), what);
		asgd_ensemble_result_free(&other);
	}
	asgd_ensemble_result_free(&ref);
	asgd_problem_destroy(p);
}

struct stopper {
	atomic_int flag;
	long ms;
};

static void *raise_stop(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { s->ms / 1000, (s->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store(&s->flag, 1);
	return NULL;
}

static void stop_mid_run(struct tally *t, int sme)
{
	struct stopper s = { .ms = 50 };
	asgd_problem *p;
	asgd_ensemble_result res;
	pthread_t th;
	int rc;

	atomic_init(&s.flag, 0);
	if (asgd_problem_create("fig4", &p) != ASGD_OK) {
		check(t, 0, "fig4");
		return;
	}
	pthread_create(&th, NULL, raise_stop, &s);
	rc = run(p, sme, 4, 1000000, 200, &s.flag, &res);
	pthread_join(th, NULL);
	check(t, rc == ASGD_OK, "a stopped run returns 0");
	if (rc == ASGD_OK) {
		check(t, res.interrupted, "a stopped run says interrupted");
		check(t, res.paths_done % asgd_ensemble_chunk(1000000) == 0 && res.paths_done < 1000000,
		      "a stopped run keeps whole chunks");
		check(t, res.moments.paths == res.paths_done, "moments count the paths kept");
		asgd_ensemble_result_free(&res);
	}
	asgd_problem_destroy(p);
}

int main(void)
{
	struct tally t = { 0, 0 };

	thread_sweep(&t, "fig4", 0, 700, 200);
	thread_sweep(&t, "fig4", 1, 700, 200);
	thread_sweep(&t, "fig5-doublewell", 1, 300, 200);
	thread_sweep(&t, "fig6:d=20", 0, 200, 100);
	thread_sweep(&t, "fig6:d=20", 1, 200, 100);
	stop_mid_run(&t, 0);
	stop_mid_run(&t, 1);
	printf("torture_ensemble: %d passed, %d failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
