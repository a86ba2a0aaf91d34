/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/exact.h — exact first and second moments of every model on problems whose component
 * gradients are affine, ∇f_i(x) = A_i x − b_i, without Monte Carlo (docs/MODELS.md §4).
 *
 * The discrete processes (ASGD, SGD, mini-batch ASGD, MSGD) have closed moment recursions; every
 * SME is a linear SDE whose first and second moments solve a closed linear ODE, integrated here by
 * classical RK4. These are the references that Monte Carlo ensembles (`simulate`, `sme`) are
 * tested against, and the curves that make a figure without sampling noise.
 *
 * Work is O(d²) per step for the d×d moment matrices, O(d³) when A is dense. When every A_i is
 * diagonal (all presets) the coordinates are independent processes, exactly, and are run one at a
 * time in one dimension: O(d) per step. The discrete recursions live in exact.c, the SME moment
 * ODEs in exact_sme.c.
 *
 * Everything here is reentrant: no global state, and a const problem may be shared by threads.
 */
#ifndef ASGD_EXACT_H
#define ASGD_EXACT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/model.h"
#include "asgd/problem.h"
#include "asgd/schedule.h"

/* Scratch, in doubles, that the matrix functions below take as @work for dimension d. */
#define ASGD_EXACT_WORK(d) (3 * (d) * (d) + 2 * (d))

/* The default number of RK4 substeps per recorded step of an SME. */
#define ASGD_EXACT_SUBSTEPS 64

/* What to compute. Fields not set must be zero. */
typedef struct asgd_exact_config {
	asgd_model model;          /* any of the 8 models */
	asgd_sigma sigma;          /* SMEs only */
	const asgd_problem *problem;
	double eta, mu;            /* mu: staleness (ASGD/minibatch/SME-ASGD*), momentum mu' (MSGD, SME-MSGD); ignored for SGD/SME-SGD */
	uint64_t iters;            /* K: rows 0..K */
	const double *x0;          /* NULL: the preset's */
	asgd_batch_schedule batch; /* minibatch and SME-ASGD (4.2): noise/variance divided by B_k */
	unsigned substeps;         /* RK4 substeps per recorded step for SMEs; 0 = 64 */
	int dense;                 /* nonzero: full d×d moments even when the coordinates decouple
				      (slower; for tests of the decoupling) */
	const atomic_int *stop;    /* optional: nonzero ends the run with ASGD_EINTR (looked at
				      every ~0.1 ms of work: a long horizon or a large dense d
				      takes seconds) */
} asgd_exact_config;

/* The result: E x_k and E x_k[c]² for k = 0..K. Free with asgd_exact_moments_free. */
typedef struct asgd_exact_moments {
	size_t steps, dim;         /* steps = iters+1 */
	double dt;                 /* asgd_model_time_step(model, eta, mu) */
	double *mean;              /* steps*dim, row k: E x_k per coordinate */
	double *second;            /* steps*dim, row k: E x_k[c]^2 per coordinate (raw second moment) */
} asgd_exact_moments;

/*
 * asgd_exact_supported - nonzero when @p has affine component gradients (fig4, fig6, fig8,
 * quadratic, custom-quadratic), so that asgd_exact_run applies; zero otherwise or for NULL.
 */
int asgd_exact_supported(const asgd_problem *p);

/*
 * asgd_exact_run - the exact moments of @cfg->model on @cfg->problem into @out.
 *
 * Discrete models: row k is iteration k. SMEs: row k is time t_k = k·dt; RK4 with @cfg->substeps
 * substeps per row. Σ choices allowed: sme-asgd all four (evolve needs μ > 0, for its 1/μ);
 * sme-asgd-linear constant, instant, evolve; sme-msgd and sme-sgd constant, instant. The batch
 * schedule applies to minibatch, sme-asgd and sme-asgd-linear (the noise covariance over B_k), and
 * is ignored by the other models.
 *
 * Returns 0; ASGD_ENOTFOUND if the problem's gradients are not affine; ASGD_EINVAL for a NULL
 * argument, η not finite and > 0, μ outside [0, 1) where it is used, a Σ choice the model does not
 * have, or sizes that overflow; ASGD_ENOMEM; ASGD_EINTR when @cfg->stop was raised before the end
 * (nothing is kept: a moment table is whole or absent). @out is filled only on success. Values that grow
 * without bound (an unstable η) come out non-finite, not as an error.
 */
int asgd_exact_run(const asgd_exact_config *cfg, asgd_exact_moments *out);

/* asgd_exact_moments_free - release the arrays; NULL and double frees are harmless. */
void asgd_exact_moments_free(asgd_exact_moments *m);

/*
 * asgd_exact_write_csv - @m to @path in moments.csv's format (asgd_moments_write_csv): header
 * `k,t,mean,second_moment,var,se_mean,se_second` (with a `coord` column after t when dim > 1),
 * t = k·dt, var = second − mean², standard errors 0 (there is no sampling). Written atomically.
 * Returns 0, ASGD_EINVAL for NULL or empty moments, ASGD_ENOMEM or ASGD_EIO.
 */
int asgd_exact_write_csv(const asgd_exact_moments *m, const char *path);

/* ---------------------------------------------------------------------------------------------
 * The affine data behind the moment equations, for the two halves of the module and for tests
 * that build a problem by hand.
 */

/* ∇f_i(x) = A_i x − b_i for i < n, with what the moment equations need precomputed. */
typedef struct asgd_exact_affine {
	size_t dim, n;
	double *A;        /* n*dim*dim, the A_i one after the other, row-major, symmetric */
	double *b;        /* n*dim */
	double *Abar;     /* dim*dim, (1/n) Σ A_i: the Hessian of f */
	double *bbar;     /* dim, (1/n) Σ b_i */
	double *bb;       /* dim*dim, (1/n) Σ b_i b_iᵀ */
	int common;       /* every A_i equals Abar, so S(x) needs Abar only */
	int diagonal;     /* every A_i is diagonal: the coordinates are independent processes */
} asgd_exact_affine;

/*
 * asgd_exact_affine_init - copy @A (n*dim*dim, each A_i symmetrised) and @b (n*dim) into @q.
 * Returns 0, ASGD_EINVAL (NULL, zero or overflowing sizes) or ASGD_ENOMEM (@q untouched then).
 */
int asgd_exact_affine_init(asgd_exact_affine *q, size_t dim, size_t n, const double *A,
			   const double *b);

/*
 * asgd_exact_affine_from_problem - @p's affine gradients (asgd_problem_quadratic_parts) into @q.
 * Returns 0, ASGD_ENOTFOUND (not affine), ASGD_EINVAL or ASGD_ENOMEM.
 */
int asgd_exact_affine_from_problem(asgd_exact_affine *q, const asgd_problem *p);

/* asgd_exact_affine_free - release @q's arrays; NULL and double frees are harmless. */
void asgd_exact_affine_free(asgd_exact_affine *q);

/*
 * asgd_exact_affine_coordinate - the 1-D problem of coordinate @j of a diagonal @q (A_i[j][j],
 * b_i[j]) into @out. Returns 0, ASGD_EINVAL (@q not diagonal, @j out of range) or ASGD_ENOMEM.
 */
int asgd_exact_affine_coordinate(const asgd_exact_affine *q, size_t j, asgd_exact_affine *out);

/* asgd_exact_mul_left / _right - @out = Abar·@M, resp. @M·Abar (d×d; @out must not alias @M). */
void asgd_exact_mul_left(const asgd_exact_affine *q, const double *M, double *out);
void asgd_exact_mul_right(const asgd_exact_affine *q, const double *M, double *out);

/*
 * asgd_exact_grad_outer - E[∇f(x)∇f(x)ᵀ] = Abar M Abar − Abar m bbarᵀ − bbar mᵀ Abar + bbar bbarᵀ
 * for a random x with E x = @m and E xxᵀ = @M, into @out (d×d). @work: ASGD_EXACT_WORK(d) doubles.
 */
void asgd_exact_grad_outer(const asgd_exact_affine *q, const double *M, const double *m,
			   double *out, double *work);

/*
 * asgd_exact_second - E[S(x)] = (1/n) Σ_i E[(A_i x − b_i)(A_i x − b_i)ᵀ], S the uncentred second
 * moment of the component gradients, for E x = @m, E xxᵀ = @M, into @out. O(d³) when common,
 * O(n·d³) otherwise (O(d²) for a diagonal Abar). @work: ASGD_EXACT_WORK(d) doubles.
 */
void asgd_exact_second(const asgd_exact_affine *q, const double *M, const double *m,
		       double *out, double *work);

/*
 * asgd_exact_covariance - E[C(x)] = E S(x) − E ∇f∇fᵀ (the component covariance averaged over the
 * law of x) into @out. @work: ASGD_EXACT_WORK(d) doubles.
 */
void asgd_exact_covariance(const asgd_exact_affine *q, const double *M, const double *m,
			   double *out, double *work);

/*
 * asgd_exact_run_affine - asgd_exact_run on explicit affine data @q from @x0 (@cfg->problem and
 * @cfg->x0 are not used). Same returns, except never ASGD_ENOTFOUND.
 */
int asgd_exact_run_affine(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			  const double *x0, asgd_exact_moments *out);

/*
 * asgd_exact_sme - the SME half of asgd_exact_run_affine (exact_sme.c), always with full d×d
 * moments: @out must already hold steps = iters+1 rows of q->dim and its dt. Returns 0 or
 * ASGD_EINVAL (Σ choice) or ASGD_ENOMEM, or ASGD_EINTR (@cfg->stop; @out's rows then partly
 * written).
 */
int asgd_exact_sme(const asgd_exact_config *cfg, const asgd_exact_affine *q, const double *x0,
		   asgd_exact_moments *out);

#endif /* ASGD_EXACT_H */
