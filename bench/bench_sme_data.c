/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_sme_data.c — what one step of each model costs on a data model (docs/MODELS.md §2.1, §7):
 * a full gradient, one Euler–Maruyama substep of SME-ASGD and SME-SGD with the exact and the
 * sampled noise (asgd/sme.h), one step of the discrete ASGD replay, and the loss of one recorded
 * row. One thread, one path (its rows scored by coord:0), medians of a few repetitions, setup
 * included (it is small next to the steps); the logistic loss, λ = 1/n.
 *
 * usage: bench_sme_data [DATA ...]     (default: heart_scale rcv1:n=2000,d=47236,nnz=70 rcv1)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/observe.h"
#include "asgd/sim.h"
#include "asgd/sme.h"

#define REPS 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

/* Seconds per substep of @model with the noise (@kind, @m), over @steps substeps of one path. */
static double sme_substep(const asgd_problem *p, const asgd_observable *o, asgd_model model,
			  asgd_sme_noise kind, size_t m, uint64_t steps)
{
	double t[REPS];

	for (int r = 0; r < REPS; r++) {
		asgd_sme_config c = {
			.model = model, .sigma = ASGD_SIGMA_INSTANT, .problem = p,
			.eta = asgd_problem_default_eta(p), .mu = 0.5, .iters = steps,
			.substeps = 1, .paths = 1, .threads = 1, .seed = (uint64_t)r + 1,
			.noise = kind, .noise_rows = m, .observe = o,
		};
		asgd_sme_result res;

		if (asgd_sme_run(&c, &res) != ASGD_OK)
			return NAN;
		t[r] = res.ens.wall_s / (double)steps;
		asgd_sme_result_free(&res);
	}
	return median(t, REPS);
}

/* Seconds per step of the discrete ASGD replay (μ = 0.5), rows not scored. */
static double sim_step(const asgd_problem *p, const asgd_observable *o, uint64_t steps)
{
	double t[REPS];

	for (int r = 0; r < REPS; r++) {
		asgd_sim_config c = {
			.model = ASGD_MODEL_ASGD, .problem = p, .eta = asgd_problem_default_eta(p),
			.mu = 0.5, .iters = steps, .paths = 1, .threads = 1, .seed = (uint64_t)r + 1,
			.observe = o,
		};
		asgd_sim_result res;

		if (asgd_sim_run(&c, &res) != ASGD_OK)
			return NAN;
		t[r] = res.ens.wall_s / (double)steps;
		asgd_sim_result_free(&res);
	}
	return median(t, REPS);
}

/* Seconds per call of ∇f (@loss 0) or f (@loss 1) at a point off x_0. */
static double full_pass(const asgd_problem *p, int loss, int calls)
{
	size_t d = asgd_problem_dim(p);
	double *x = malloc(d * sizeof(double)), *g = malloc(d * sizeof(double)), t[REPS], sink = 0;

	for (size_t j = 0; j < d; j++)
		x[j] = 0.01 * sin((double)j);
	for (int r = 0; r < REPS; r++) {
		double t0 = now_s();

		for (int c = 0; c < calls; c++) {
			if (loss) {
				sink += asgd_problem_f(p, x);
			} else {
				asgd_problem_grad(p, x, g);
				sink += g[0];
			}
		}
		t[r] = (now_s() - t0) / calls;
	}
	free(x);
	free(g);
	return sink == 12345.678 ? 0 : median(t, REPS);
}

static int bench_one(const char *spec)
{
	asgd_data_model dm = { .loss = ASGD_LOSS_LOGISTIC, .lambda = NAN, .positive = NAN };
	asgd_dataset *ds;
	asgd_problem *p;
	char err[256];
	asgd_observable o;
	double grad, loss, scale;
	uint64_t steps;

	if (asgd_dataset_load(spec, NULL, &ds, err, sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "bench_sme_data: %s: %s\n", spec, err);
		return 1;
	}
	dm.lambda = 1.0 / (double)ds->rows;
	if (asgd_problem_create_data(ds, &dm, &p, err, sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "bench_sme_data: %s: %s\n", spec, err);
		asgd_dataset_destroy(ds);
		return 1;
	}
	/* a cheap observable: moments of x itself would be K·d doubles */
	if (asgd_observable_init(&o, "coord:0", p, err, sizeof(err)) != ASGD_OK)
		return 1;
	grad = full_pass(p, 0, 20);
	loss = full_pass(p, 1, 20);
	scale = 1e6;
	steps = grad < 1e-4 ? 2000 : grad < 1e-2 ? 50 : 8;
	printf("%s  n=%zu d=%zu nnz=%zu\n", spec, ds->rows, ds->cols, ds->nnz);
	printf("  full gradient                 %10.1f us\n", grad * scale);
	printf("  loss of one row (scoring)     %10.1f us\n", loss * scale);
	printf("  asgd replay step (mu 0.5)     %10.1f us\n", sim_step(p, &o, steps * 20) * scale);
	printf("  sme-asgd substep, exact       %10.1f us\n",
	       sme_substep(p, &o, ASGD_MODEL_SME_ASGD, ASGD_SME_NOISE_EXACT, 0, steps) * scale);
	printf("  sme-asgd substep, sampled:64  %10.1f us\n",
	       sme_substep(p, &o, ASGD_MODEL_SME_ASGD, ASGD_SME_NOISE_SAMPLED, 64, steps) * scale);
	printf("  sme-asgd substep, sampled:4096%10.1f us\n",
	       sme_substep(p, &o, ASGD_MODEL_SME_ASGD, ASGD_SME_NOISE_SAMPLED, 4096, steps) * scale);
	printf("  sme-sgd substep, exact        %10.1f us\n",
	       sme_substep(p, &o, ASGD_MODEL_SME_SGD, ASGD_SME_NOISE_EXACT, 0, steps) * scale);
	asgd_observable_free(&o);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = { "heart_scale", "rcv1:n=2000,d=47236,nnz=70", "rcv1" };
	int rc = 0;

	if (argc > 1)
		for (int i = 1; i < argc; i++)
			rc |= bench_one(argv[i]);
	else
		for (int i = 0; i < 3; i++)
			rc |= bench_one(dflt[i]);
	return rc;
}
