/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sme_internal.h — private to the SME integrators (sme.c, sme_scalar.c, sme_vector.c): the
 * read-only context every path sees, the small helpers both loops use, and the path functions
 * that sme.c hands to the ensemble. Not installed; nothing outside src/ includes it.
 */
#ifndef ASGD_SME_INTERNAL_H
#define ASGD_SME_INTERNAL_H

#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/ensemble.h"
#include "asgd/geomix.h"
#include "asgd/model.h"
#include "asgd/problem.h"
#include "asgd/rng.h"

/* Everything a path needs, fixed before the ensemble starts; read-only while it runs. */
struct sme_ctx {
	const asgd_problem *p;
	asgd_model model;
	asgd_sigma sigma;
	size_t d, n;
	uint64_t K;
	unsigned S;
	double eta, mu, dt, h;
	double fric;		/* c for the SME-ASGDs, (1−μ')/√η' for SME-MSGD */
	double alpha;		/* α = √(η/(1−μ)) */
	double noise;		/* the coefficient of √Σ dB: s, (η(1−μ))^¼, η'^¼ or √η */
	const double *x0;
	double *bscale;		/* 1/√B_k for k < K, or NULL when every B_k = 1 */
	uint64_t *clamps;	/* per path, for the evolving Σ choices; else NULL */
	/* 1-D, affine gradients: ∇f = a x − b, C(x) = va x² − 2 cab x + vb */
	int affine;
	double a, b, va, cab, vb;
	double C0;		/* 1-D: C(x_0) */
	double *F0;		/* d > 1, constant Σ, dense route: n*d, the low-rank factor of C(x_0),
				   rows (∇f_i − ∇f)/√n */
	/* the row route (data models, or SAMPLED): ξ = (1/√m) Σ_j z_j (∇f_{i_j} − ∇f), each ∇f_i
	 * on its support (MODELS.md §2.1) */
	int rows;		/* nonzero: instant and constant Σ take the row route */
	int sampled;		/* rows drawn uniformly with replacement, else every row once */
	size_t noise_m;		/* m: rows (and normals) a substep */
	size_t max_support;	/* the largest support of a ∇f_i */
	double *Fs;		/* constant Σ: ∇f_i(x_0) on row i's support, at Fs + Fs_at[i] */
	size_t *Fs_at;		/* n + 1 offsets into Fs */
	double *g0;		/* constant Σ: ∇f(x_0) */
	double *grad0;		/* ∇f(0), for the linear form's h = ∇f(P) − ∇f(0) */
	/* sme-asgd-mixture (MODELS.md §5): weights π_j and rates c_j = (1 − μ_j)/Δt */
	size_t mix_k;
	double mix_w[ASGD_GEOMIX_MAX], mix_c[ASGD_GEOMIX_MAX];
	/* the caller's stop flag (NULL: never), looked at every ~0.1 ms of work (stop_internal.h):
	 * every stop_every recorded steps by the 1-D loops, by substep_cost per substep by the
	 * vector loop */
	const atomic_int *stop;
	uint64_t stop_every, substep_cost;
};

/* The Σ choices that carry a state of their own (G or Σ) along each path. */
static inline int asgd__sme_evolving(asgd_sigma s)
{
	return s == ASGD_SIGMA_CONTINUUM || s == ASGD_SIGMA_EVOLVE;
}

/* 1/√B_k, the noise scale of step k's batch. */
static inline double asgd__sme_batch_scale(const struct sme_ctx *cx, uint64_t k)
{
	return cx->bscale ? cx->bscale[k] : 1.0;
}

/* The noise amplitude √Σ⁺ for an evolving Σ, counting a clamp when Σ < 0 (NaN stays NaN). */
static inline double asgd__sme_root_clamped(double s2, uint64_t *ncl)
{
	if (s2 < 0) {
		(*ncl)++;
		return 0;
	}
	return sqrt(s2);
}

/* ∇f(x) in 1-D and, when @C is not NULL, C(x) for any problem (sme_scalar.c). */
double asgd__sme_grad1_general(const struct sme_ctx *cx, double x, double *C);

/* asgd_ensemble_config.path for d = 1, affine or general gradients (sme_scalar.c). */
int asgd__sme_path_1d_affine(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch);
int asgd__sme_path_1d_general(void *ctx, uint64_t path, asgd_rng *rng, double *traj,
			      void *scratch);

/* asgd_ensemble_config.path for any d, and the doubles of scratch it needs (sme_vector.c). */
int asgd__sme_path_generic(void *ctx, uint64_t path, asgd_rng *rng, asgd_path_rows *rows,
			   void *scratch);
size_t asgd__sme_scratch_doubles(const struct sme_ctx *cx);

#endif /* ASGD_SME_INTERNAL_H */
