/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_precision.c — the f32 live vector (asgd_precision): with one worker it is sequential SGD
 * with each written coordinate rounded to float, bit for bit, in every mode that has a live
 * vector; it stays within the rounding bound of the f64 run and is not that run; it is
 * deterministic; with several workers the accounting holds; and the configurations without a
 * live vector or without data are refused. The exact-arithmetic tests elsewhere stay in f64.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/rng.h"

#define SEED 42

struct model {
	asgd_dataset *ds;
	asgd_problem *p;
};

static struct model make_model(const char *data, asgd_loss loss)
{
	asgd_data_model m = { .loss = loss, .positive = NAN };
	struct model out = { 0 };
	char err[256];

	cr_assert_eq(asgd_dataset_generate(data, &out.ds, err, sizeof(err)), ASGD_OK, "%s", err);
	m.lambda = 1.0 / (double)out.ds->rows;
	cr_assert_eq(asgd_problem_create_data(out.ds, &m, &out.p, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	return out;
}

static void free_model(struct model *m)
{
	asgd_problem_destroy(m->p);
	asgd_dataset_destroy(m->ds);
}

static asgd_engine_config config(const asgd_problem *p, asgd_engine_mode mode, unsigned workers,
				 uint64_t iters, asgd_precision prec)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.mode = mode;
	cfg.precision = prec;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = SEED;
	cfg.record_staleness = 1;
	return cfg;
}

/* x_final of one run; the caller frees it. */
static double *run_final(const asgd_engine_config *cfg)
{
	asgd_engine_result res;
	double *x;

	cr_assert_eq(asgd_engine_run(cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, cfg->iters);
	x = res.x_final;
	res.x_final = NULL;
	asgd_engine_result_free(&res);
	return x;
}

/*
 * The reference, written here from the definition and not from the engine: sequential SGD on the
 * engine's stream for worker 0 (replica 0: batch 1, uniform draws), each new coordinate computed
 * in double from the float x and rounded to float once. Returns into *@bound the rounding the
 * run could have added beside an exact-arithmetic run: Σ_k u ‖x_{k+1} on supp γ_k‖₂ with
 * u = 2^-24, the relative error of rounding a double to float (FLT_EPSILON / 2).
 */
static float *float_sgd(const asgd_problem *p, double eta, uint64_t iters, double *bound)
{
	size_t dim = asgd_problem_dim(p), n = asgd_problem_components(p);
	size_t smax = asgd_problem_max_support(p);
	float *x = calloc(dim, sizeof(float)); /* x0 = 0 for data models */
	double *xs = malloc(smax * sizeof(double)), *gs = malloc(smax * sizeof(double));
	asgd_rng rng;

	*bound = 0;
	asgd_rng_init(&rng, SEED, 0);
	for (uint64_t k = 0; k < iters; k++) {
		size_t i = (size_t)asgd_rng_below(&rng, n);
		const uint32_t *idx;
		size_t s = asgd_problem_support(p, i, &idx);
		double sq = 0;

		for (size_t e = 0; e < s; e++)
			xs[e] = x[idx[e]];
		asgd_problem_grad_support(p, i, xs, gs);
		for (size_t e = 0; e < s; e++) {
			x[idx[e]] = (float)((double)x[idx[e]] - eta * gs[e]);
			sq += (double)x[idx[e]] * x[idx[e]];
		}
		*bound += FLT_EPSILON / 2 * sqrt(sq);
	}
	free(xs);
	free(gs);
	return x;
}

static int all_floats(const double *x, size_t dim)
{
	for (size_t j = 0; j < dim; j++)
		if ((double)(float)x[j] != x[j])
			return 0;
	return 1;
}

/* One worker reads what it wrote: every mode with a live vector, and Hogwild's compare-and-swap
 * write, must be the reference above, bit for bit; so is a second run (determinism). */
Test(precision, f32_one_worker_is_float_rounded_sequential_sgd, .timeout = 120)
{
	const asgd_engine_mode modes[] = { ASGD_ENGINE_HOGWILD, ASGD_ENGINE_HOGWILD,
					   ASGD_ENGINE_COMBINING, ASGD_ENGINE_MASTER_INPLACE };
	struct model m = make_model("rcv1:n=2000,d=500,nnz=10,seed=3", ASGD_LOSS_HINGE);
	const uint64_t iters = 20000;
	size_t dim = asgd_problem_dim(m.p);
	double bound;
	float *ref = float_sgd(m.p, asgd_problem_default_eta(m.p), iters, &bound);

	for (int c = 0; c < 5; c++) {
		asgd_engine_config cfg = config(m.p, modes[c % 4], 1, iters, ASGD_PRECISION_F32);
		double *x;

		if (c == 1)
			cfg.hogwild_write = ASGD_HOGWILD_WRITE_CAS;
		x = run_final(&cfg);
		for (size_t j = 0; j < dim; j++)
			cr_assert_eq(x[j], (double)ref[j], "%s%s (run %d): x[%zu] = %.9g, reference "
				     "%.9g", asgd_engine_mode_name(cfg.mode),
				     c == 1 ? " cas" : "", c, j, x[j], (double)ref[j]);
		free(x);
	}
	free(ref);
	free_model(&m);
}

/*
 * f32 against f64, one worker, logistic loss (smooth and convex): each step x ↦ x − η ∇f_i(x)
 * is then non-expansive (η ≤ 2/L_i: the default η = 1 against L_i ≈ ¼ for unit rows), so the
 * f32 run strays from the f64 one by at most the rounding it added, Σ_k u ‖x_{k+1} on supp‖₂
 * (float_sgd computes it; f64's own rounding, ~1e-16 a step, is left a 1e-9 margin). The
 * objective then differs by at most G times that distance, G = 1 + λ‖x‖ bounding ‖∇f‖
 * (|ℓ'| ≤ 1 and unit rows). And the two runs must differ: f32 is really used.
 */
Test(precision, f32_hogwild_agrees_with_f64_to_float_rounding, .timeout = 120)
{
	struct model m = make_model("rcv1:n=2000,d=500,nnz=10,seed=3", ASGD_LOSS_LOGISTIC);
	const uint64_t iters = 20000;
	size_t dim = asgd_problem_dim(m.p);
	asgd_engine_config cfg = config(m.p, ASGD_ENGINE_HOGWILD, 1, iters, ASGD_PRECISION_F64);
	double bound, dist = 0, norm = 0, *x64, *x32, f64, f32, lambda = 1.0 / 2000;
	float *ref = float_sgd(m.p, cfg.eta, iters, &bound);

	x64 = run_final(&cfg);
	cfg.precision = ASGD_PRECISION_F32;
	x32 = run_final(&cfg);
	for (size_t j = 0; j < dim; j++) {
		dist += (x32[j] - x64[j]) * (x32[j] - x64[j]);
		norm += x32[j] * x32[j];
	}
	dist = sqrt(dist);
	norm = sqrt(norm);
	f64 = asgd_problem_f(m.p, x64);
	f32 = asgd_problem_f(m.p, x32);
	cr_log_info("f32 vs f64 after %llu updates: |dx| = %.3g (bound %.3g), f %.12g vs %.12g",
		    (unsigned long long)iters, dist, bound, f32, f64);
	cr_assert(cfg.eta <= 2.0 / (0.25 + 1.0), "eta %g: the steps may not be non-expansive",
		  cfg.eta);
	cr_assert_leq(dist, bound + 1e-9, "|x32 - x64| = %.3g exceeds the rounding bound %.3g",
		      dist, bound);
	cr_assert_leq(fabs(f32 - f64), (1 + lambda * (norm + bound)) * (bound + 1e-9),
		      "f %.12g (f32) vs %.12g (f64)", f32, f64);
	cr_assert_lt(fabs(f32 - f64), 1e-4 * f64, "relative objective gap %.3g",
		     fabs(f32 - f64) / f64);
	cr_assert(dist > 0, "f32 and f64 runs are bit-identical: f32 was not used");
	cr_assert(all_floats(x32, dim), "x_final of f32 holds values that are not floats");
	cr_assert_not(all_floats(x64, dim), "x_final of f64 is all floats: suspicious");
	free(ref);
	free(x64);
	free(x32);
	free_model(&m);
}

/* Several workers in f32 on the benchmark's model (hinge SVM on rcv1-like rows): every gradient
 * applied or discarded, τ in range, the result floats, and the objective down from f(0) = 1. */
Test(precision, f32_accounting_with_several_workers, .timeout = 120)
{
	const asgd_engine_mode modes[] = { ASGD_ENGINE_HOGWILD, ASGD_ENGINE_COMBINING,
					   ASGD_ENGINE_MASTER_INPLACE };
	struct model m = make_model("rcv1:n=5000,d=2000,nnz=20,seed=5", ASGD_LOSS_HINGE);
	size_t dim = asgd_problem_dim(m.p);

	for (int c = 0; c < 4; c++) {
		asgd_engine_config cfg = config(m.p, modes[c % 3], 3, 30000, ASGD_PRECISION_F32);
		asgd_engine_result res;

		if (c == 3)
			cfg.hogwild_write = ASGD_HOGWILD_WRITE_CAS;
		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 30000);
		cr_assert_eq(res.computed, res.applied + res.discarded);
		cr_assert_eq(res.evaluations, res.applied);
		for (uint64_t k = 0; k < res.applied; k++) {
			cr_assert_leq(res.tau[k], k);
			cr_assert_lt(res.worker[k], 3);
		}
		cr_assert(all_floats(res.x_final, dim), "%s", asgd_engine_mode_name(cfg.mode));
		cr_assert_lt(asgd_problem_f(m.p, res.x_final), 0.9, "%s: f = %g",
			     asgd_engine_mode_name(cfg.mode), asgd_problem_f(m.p, res.x_final));
		asgd_engine_result_free(&res);
	}
	free_model(&m);
}

/* f32 needs a live vector and a data model; names and parsing round-trip. */
Test(precision, f32_is_refused_without_a_live_vector_or_data)
{
	struct model m = make_model("rcv1:n=200,d=50,nnz=5,seed=1", ASGD_LOSS_HINGE);
	asgd_problem *preset = NULL;
	asgd_engine_config cfg;
	asgd_precision pr;
	char err[256];

	cfg = config(m.p, ASGD_ENGINE_MASTER, 1, 10, ASGD_PRECISION_F32);
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "precision f32") && strstr(err, "master mode"), "%s", err);
	cfg.mode = ASGD_ENGINE_MPI;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg.mode = ASGD_ENGINE_HOGWILD;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_OK, "%s", err);
	cfg.precision = (asgd_precision)7;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "precision 7"), "%s", err);
	cr_assert_eq(asgd_problem_create("fig4", &preset), ASGD_OK);
	cfg = config(preset, ASGD_ENGINE_HOGWILD, 1, 10, ASGD_PRECISION_F32);
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "not a data model"), "%s", err);
	cfg.precision = ASGD_PRECISION_F64;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_OK);
	cr_assert_str_eq(asgd_precision_name(ASGD_PRECISION_F32), "f32");
	cr_assert_str_eq(asgd_precision_name(ASGD_PRECISION_F64), "f64");
	cr_assert_null(asgd_precision_name((asgd_precision)2));
	cr_assert_eq(asgd_precision_parse("f32", &pr), ASGD_OK);
	cr_assert_eq(pr, ASGD_PRECISION_F32);
	cr_assert_eq(asgd_precision_parse("f16", &pr), ASGD_ENOTFOUND);
	cr_assert_eq(asgd_precision_parse(NULL, &pr), ASGD_EINVAL);
	asgd_problem_destroy(preset);
	free_model(&m);
}
