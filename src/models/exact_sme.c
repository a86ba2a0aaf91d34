/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exact_sme.c — exact first and second moments of the SMEs for affine gradients: the closed linear
 * moment ODE of each SME (docs/MODELS.md §2 and §4), integrated by classical RK4.
 *
 * With ∇f_i(x) = A_i x − b_i every SME is a linear SDE in a pair (U, V) and its Σ(t) is, in
 * expectation, linear in the first and second moments for every Σ choice, so the moments
 *   u = E U, v = E V, UU = E UUᵀ, UV = E UVᵀ, VV = E VVᵀ, and Z (E G or E Σ when Σ evolves)
 * obey a closed linear ODE. Itô's formula gives d E UUᵀ = (drift terms) + (noise variance)·E Σ.
 * The pairs: SME-ASGD (2.11) U = X, V = Y, noise on X; its linear form (2.5) U = M, V = P, noise
 * on P, X = M + αP; SME-MSGD (2.7) U = X, V = P, noise on P; SME-SGD (3.3) U = X only.
 */
#include "asgd/exact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "exact_internal.h"

/* Where the noise enters. */
enum sme_form {
	FORM_NOISY_U,	/* (2.11): dX = Y dt + s√Σ dB */
	FORM_NOISY_V,	/* (2.5), (2.7): dP = … + q√Σ dB */
	FORM_FIRST,	/* (3.3): one first-order equation */
};

/* A moment ODE, its coefficients and its scratch. */
struct sme_ode {
	const asgd_exact_affine *q;
	asgd_sigma sigma;
	enum sme_form form;
	int linear_form;	/* (2.5): Σ's evolve is the linear one, and X = M + αP */
	size_t d, len;		/* dimension, state length 2d + 4d² */
	double friction;	/* c for SME-ASGD*, (1−μ')/√η' for SME-MSGD */
	double noise;		/* variance rate multiplying E Σ: s², √(η(1−μ)), √η', η */
	double alpha, mu, eta, dt;
	double inv_batch;	/* 1/B_k on the current step */
	double *sigma0;		/* C(x_0), for constant */
	double *bhat;		/* SME-SGD: (I + (η/2)A) b̄ */
	double *esig, *AUU, *AUV, *S, *F, *XX, *T, *x, *work;
	double *mem;
};

/* Views of a state vector y of length 2d + 4d². */
struct sme_view {
	double *u, *v, *UU, *UV, *VV, *Z;
};

static struct sme_view view(const struct sme_ode *o, double *y)
{
	size_t d = o->d, dd = d * d;

	return (struct sme_view){ y, y + d, y + 2 * d, y + 2 * d + dd, y + 2 * d + 2 * dd,
				  y + 2 * d + 3 * dd };
}

static int sigma_allowed(asgd_model m, asgd_sigma s, double mu)
{
	switch (m) {
	case ASGD_MODEL_SME_ASGD:
		return s != ASGD_SIGMA_EVOLVE || mu > 0;	/* (2.12) divides by μ */
	case ASGD_MODEL_SME_ASGD_LINEAR:
		return s != ASGD_SIGMA_CONTINUUM;
	case ASGD_MODEL_SME_MSGD:
	case ASGD_MODEL_SME_SGD:
		return s == ASGD_SIGMA_CONSTANT || s == ASGD_SIGMA_INSTANT;
	default:
		return 0;
	}
}

static void sme_ode_free(struct sme_ode *o)
{
	free(o->mem);
	o->mem = NULL;
}

static int sme_ode_init(struct sme_ode *o, const asgd_exact_config *cfg,
			const asgd_exact_affine *q, const double *x0)
{
	size_t d = q->dim, dd = d * d;
	double eta = cfg->eta, mu = cfg->mu;
	double *p;

	memset(o, 0, sizeof(*o));
	o->q = q;
	o->sigma = cfg->sigma;
	o->d = d;
	o->len = 2 * d + 4 * dd;
	o->eta = eta;
	o->mu = mu;
	o->inv_batch = 1;
	o->dt = asgd_model_time_step(cfg->model, eta, mu);
	switch (cfg->model) {
	case ASGD_MODEL_SME_ASGD:
		o->form = FORM_NOISY_U;
		o->friction = sqrt((1 - mu) / eta);
		o->noise = pow(eta, 1.5) / sqrt(1 - mu);	/* s² = η^{3/2}(1−μ)^{−1/2} */
		o->alpha = sqrt(eta / (1 - mu));
		break;
	case ASGD_MODEL_SME_ASGD_LINEAR:
		o->form = FORM_NOISY_V;
		o->linear_form = 1;
		o->friction = sqrt((1 - mu) / eta);
		o->noise = sqrt(eta * (1 - mu));		/* ((η(1−μ))^{1/4})² */
		o->alpha = sqrt(eta / (1 - mu));
		break;
	case ASGD_MODEL_SME_MSGD:
		o->form = FORM_NOISY_V;
		o->friction = (1 - mu) / sqrt(eta);
		o->noise = sqrt(eta);			/* (η'^{1/4})² */
		break;
	default:	/* SME-SGD */
		o->form = FORM_FIRST;
		o->mu = 0;
		o->noise = eta;
		break;
	}
	p = calloc(9 * dd + 3 * d + ASGD_EXACT_WORK(d), sizeof(double));
	if (!p)
		return ASGD_ENOMEM;
	o->mem = p;
	o->sigma0 = p; o->esig = p + dd; o->AUU = p + 2 * dd; o->AUV = p + 3 * dd;
	o->S = p + 4 * dd; o->F = p + 5 * dd; o->XX = p + 6 * dd; o->T = p + 7 * dd;
	p += 9 * dd;	/* one dd spare for the SGD drift */
	o->bhat = p; o->x = p + d; o->work = p + 3 * d;
	/* C(x_0): the covariance for a deterministic x = x_0 */
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			o->XX[r * d + c] = x0[r] * x0[c];
	asgd_exact_covariance(q, o->XX, x0, o->sigma0, o->work);
	for (size_t r = 0; r < d; r++) {
		double ab = 0;

		for (size_t c = 0; c < d; c++)
			ab += q->Abar[r * d + c] * q->bbar[c];
		o->bhat[r] = q->bbar[r] + 0.5 * eta * ab;
	}
	return ASGD_OK;
}

/* The initial moments: X_0 = x_0 deterministic; Y_0 = −α∇f(x_0) (2.11) or P_0 = 0. */
static void initial_state(const struct sme_ode *o, const double *x0, double *y)
{
	const asgd_exact_affine *q = o->q;
	size_t d = o->d, dd = d * d;
	struct sme_view s = view(o, y);

	memset(y, 0, o->len * sizeof(*y));
	memcpy(s.u, x0, d * sizeof(*x0));
	if (o->form == FORM_NOISY_U)
		for (size_t r = 0; r < d; r++) {
			double g = -q->bbar[r];

			for (size_t c = 0; c < d; c++)
				g += q->Abar[r * d + c] * x0[c];
			s.v[r] = -o->alpha * g;
		}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			s.UU[r * d + c] = s.u[r] * s.u[c];
			s.UV[r * d + c] = s.u[r] * s.v[c];
			s.VV[r * d + c] = s.v[r] * s.v[c];
		}
	if (o->sigma == ASGD_SIGMA_EVOLVE)
		memcpy(s.Z, o->sigma0, dd * sizeof(double));	/* Σ_0 = C(x_0) */
	else if (o->sigma == ASGD_SIGMA_CONTINUUM)
		asgd_exact_second(q, s.UU, s.u, s.Z, o->work);	/* G_0 = S(x_0) */
}

/* The moments of the reported iterate: X = U, or X = M + αP for the linear form. */
static void iterate_moments(const struct sme_ode *o, const struct sme_view *s, double *x,
			    double *XX)
{
	size_t d = o->d;
	double a = o->linear_form ? o->alpha : 0;

	for (size_t r = 0; r < d; r++)
		x[r] = s->u[r] + a * s->v[r];
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			size_t i = r * d + c;

			XX[i] = s->UU[i] + a * (s->UV[i] + s->UV[c * d + r]) + a * a * s->VV[i];
		}
}

/* Φ[r][c] += k·(M[r][c] + M[c][r]) */
static void add_sym(double *Phi, double k, const double *M, size_t d)
{
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			Phi[r * d + c] += k * (M[r * d + c] + M[c * d + r]);
}

/* E Σ(t) into o->esig, for every Σ choice. */
static void expected_sigma(struct sme_ode *o, const struct sme_view *s)
{
	size_t d = o->d, dd = d * d;

	switch (o->sigma) {
	case ASGD_SIGMA_CONSTANT:
		memcpy(o->esig, o->sigma0, dd * sizeof(double));
		break;
	case ASGD_SIGMA_INSTANT:	/* E C(X_t) */
		iterate_moments(o, s, o->x, o->XX);
		asgd_exact_covariance(o->q, o->XX, o->x, o->esig, o->work);
		break;
	case ASGD_SIGMA_CONTINUUM:	/* Σ = G − c²YYᵀ */
		for (size_t i = 0; i < dd; i++)
			o->esig[i] = s->Z[i] - o->friction * o->friction * s->VV[i];
		break;
	default:	/* evolve: Σ is the state Z */
		memcpy(o->esig, s->Z, dd * sizeof(double));
		break;
	}
}

/*
 * dZ for SME-ASGD (2.11): continuum dG = c(S(X) − G); evolve (2.12)
 * dΣ = −cΣ + cS + c(1−μ)/μ ∇f∇fᵀ + (1/μ)(c³YYᵀ + c²(∇fYᵀ + Y∇fᵀ)), with E ∇fYᵀ = A UV − b̄ vᵀ.
 */
static void dz_nonlinear(struct sme_ode *o, const struct sme_view *s, double *dZ)
{
	const asgd_exact_affine *q = o->q;
	size_t d = o->d, dd = d * d;
	double c = o->friction, mu = o->mu;

	asgd_exact_second(q, s->UU, s->u, o->S, o->work);
	if (o->sigma == ASGD_SIGMA_CONTINUUM) {
		for (size_t i = 0; i < dd; i++)
			dZ[i] = c * (o->S[i] - s->Z[i]);
		return;
	}
	asgd_exact_grad_outer(q, s->UU, s->u, o->F, o->work);
	for (size_t r = 0; r < d; r++)
		for (size_t k = 0; k < d; k++)
			o->T[r * d + k] = o->AUV[r * d + k] - q->bbar[r] * s->v[k];
	for (size_t i = 0; i < dd; i++)
		dZ[i] = -c * s->Z[i] + c * o->S[i] + c * (1 - mu) / mu * o->F[i] +
			c * c * c / mu * s->VV[i];
	add_sym(dZ, c * c / mu, o->T, d);
}

/*
 * dZ for the linear form (2.5), evolve (Appendix A, 5.2), with h = ∇f(P) − ∇f(0) = A P:
 * dΣ = −cΣ − μ(∇f(M)hᵀ + h∇f(M)ᵀ) − c∇f(M)∇f(M)ᵀ + μΔt hhᵀ + c S(M + μαP),
 * E ∇f(M)hᵀ = A UV A − b̄(Av)ᵀ, E hhᵀ = A VV A.
 */
static void dz_linear(struct sme_ode *o, const struct sme_view *s, double *dZ)
{
	const asgd_exact_affine *q = o->q;
	size_t d = o->d, dd = d * d;
	double c = o->friction, mu = o->mu, k = mu * o->alpha;

	/* W = M + μαP */
	for (size_t r = 0; r < d; r++)
		o->x[r] = s->u[r] + k * s->v[r];
	for (size_t r = 0; r < d; r++)
		for (size_t j = 0; j < d; j++) {
			size_t i = r * d + j;

			o->XX[i] = s->UU[i] + k * (s->UV[i] + s->UV[j * d + r]) + k * k * s->VV[i];
		}
	asgd_exact_second(q, o->XX, o->x, o->S, o->work);
	asgd_exact_grad_outer(q, s->UU, s->u, o->F, o->work);
	for (size_t i = 0; i < dd; i++)
		dZ[i] = -c * s->Z[i] - c * o->F[i] + c * o->S[i];
	/* K = A UV A − b̄ (A v)ᵀ; o->x is free again, reuse it for A v */
	asgd_exact_mul_right(q, o->AUV, o->T);
	for (size_t r = 0; r < d; r++) {
		double av = 0;

		for (size_t j = 0; j < d; j++)
			av += q->Abar[r * d + j] * s->v[j];
		o->x[r] = av;
	}
	for (size_t r = 0; r < d; r++)
		for (size_t j = 0; j < d; j++)
			o->T[r * d + j] -= q->bbar[r] * o->x[j];
	add_sym(dZ, -mu, o->T, d);
	/* A VV A */
	asgd_exact_mul_left(q, s->VV, o->F);
	asgd_exact_mul_right(q, o->F, o->T);
	for (size_t i = 0; i < dd; i++)
		dZ[i] += mu * o->dt * o->T[i];
}

/* The two second-order forms: dU = V dt, dV = (−A U + b̄ − γV) dt, noise on U or on V. */
static void rhs_second_order(struct sme_ode *o, const struct sme_view *s, struct sme_view *ds)
{
	const asgd_exact_affine *q = o->q;
	const double *b = q->bbar;
	size_t d = o->d, dd = d * d;
	double g = o->friction, nz = o->noise * o->inv_batch;

	asgd_exact_mul_left(q, s->UU, o->AUU);
	asgd_exact_mul_left(q, s->UV, o->AUV);
	for (size_t r = 0; r < d; r++) {
		double au = 0;

		for (size_t c = 0; c < d; c++)
			au += q->Abar[r * d + c] * s->u[c];
		ds->u[r] = s->v[r];
		ds->v[r] = -au + b[r] - g * s->v[r];
	}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			size_t i = r * d + c, t = c * d + r;

			ds->UU[i] = s->UV[i] + s->UV[t];
			/* E[U dVᵀ] + E[dU Vᵀ]; UU A = (A UU)ᵀ as UU is symmetric */
			ds->UV[i] = -o->AUU[t] + s->u[r] * b[c] - g * s->UV[i] + s->VV[i];
			ds->VV[i] = -o->AUV[i] - o->AUV[t] + b[r] * s->v[c] + s->v[r] * b[c] -
				    2 * g * s->VV[i];
		}
	if (o->form == FORM_NOISY_U)
		for (size_t i = 0; i < dd; i++)
			ds->UU[i] += nz * o->esig[i];
	else
		for (size_t i = 0; i < dd; i++)
			ds->VV[i] += nz * o->esig[i];
}

/*
 * SME-SGD (3.3): dX = −Â X + b̂ with Â = A + (η/2)A² and b̂ = (I + (η/2)A)b̄, since
 * ∇(f + (η/4)|∇f|²) = (I + (η/2)H)∇f and H = A.
 */
static void rhs_first_order(struct sme_ode *o, const struct sme_view *s, struct sme_view *ds)
{
	const asgd_exact_affine *q = o->q;
	size_t d = o->d;
	double h = 0.5 * o->eta;

	/* AUU ← Â UU = A UU + (η/2) A (A UU) */
	asgd_exact_mul_left(q, s->UU, o->AUV);
	asgd_exact_mul_left(q, o->AUV, o->AUU);
	for (size_t i = 0; i < d * d; i++)
		o->AUU[i] = o->AUV[i] + h * o->AUU[i];
	asgd__exact_mul_vec(q, s->u, o->x);	/* A u */
	asgd__exact_mul_vec(q, o->x, ds->u);	/* A A u, then du = −Â u + b̂ in place */
	for (size_t r = 0; r < d; r++)
		ds->u[r] = -(o->x[r] + h * ds->u[r]) + o->bhat[r];
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			size_t i = r * d + c, t = c * d + r;

			ds->UU[i] = -o->AUU[i] - o->AUU[t] + o->bhat[r] * s->u[c] +
				    s->u[r] * o->bhat[c] + o->noise * o->esig[i];
		}
	memset(ds->v, 0, d * sizeof(double));
}

static void rhs(struct sme_ode *o, double *y, double *dy)
{
	struct sme_view s = view(o, y), ds = view(o, dy);

	memset(dy, 0, o->len * sizeof(*dy));
	expected_sigma(o, &s);
	if (o->form == FORM_FIRST) {
		rhs_first_order(o, &s, &ds);
		return;
	}
	rhs_second_order(o, &s, &ds);	/* also leaves A·UV in o->AUV for dZ */
	if (o->sigma == ASGD_SIGMA_EVOLVE && o->linear_form)
		dz_linear(o, &s, ds.Z);
	else if (o->sigma == ASGD_SIGMA_EVOLVE || o->sigma == ASGD_SIGMA_CONTINUUM)
		dz_nonlinear(o, &s, ds.Z);
}

/* One classical RK4 step of size h; k holds 5·len doubles of scratch. */
static void rk4_step(struct sme_ode *o, double *y, double h, double *k)
{
	size_t n = o->len;
	double *k1 = k, *k2 = k + n, *k3 = k + 2 * n, *k4 = k + 3 * n, *t = k + 4 * n;

	rhs(o, y, k1);
	for (size_t i = 0; i < n; i++)
		t[i] = y[i] + 0.5 * h * k1[i];
	rhs(o, t, k2);
	for (size_t i = 0; i < n; i++)
		t[i] = y[i] + 0.5 * h * k2[i];
	rhs(o, t, k3);
	for (size_t i = 0; i < n; i++)
		t[i] = y[i] + h * k3[i];
	rhs(o, t, k4);
	for (size_t i = 0; i < n; i++)
		y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

static void record(struct sme_ode *o, double *y, asgd_exact_moments *out, size_t k)
{
	struct sme_view s = view(o, y);
	size_t d = o->d;

	iterate_moments(o, &s, o->x, o->XX);
	for (size_t c = 0; c < d; c++) {
		out->mean[k * d + c] = o->x[c];
		out->second[k * d + c] = o->XX[c * d + c];
	}
}

int asgd_exact_sme(const asgd_exact_config *cfg, const asgd_exact_affine *q, const double *x0,
		   asgd_exact_moments *out)
{
	struct sme_ode o;
	unsigned sub = cfg->substeps ? cfg->substeps : ASGD_EXACT_SUBSTEPS;
	int batched = cfg->model == ASGD_MODEL_SME_ASGD || cfg->model == ASGD_MODEL_SME_ASGD_LINEAR;
	uint64_t every, look;
	double *y;
	int rc;

	if (!sigma_allowed(cfg->model, cfg->sigma, cfg->mu))
		return ASGD_EINVAL;
	rc = sme_ode_init(&o, cfg, q, x0);
	if (rc)
		return rc;
	y = malloc(6 * o.len * sizeof(double));
	if (!y) {
		sme_ode_free(&o);
		return ASGD_ENOMEM;
	}
	initial_state(&o, x0, y);
	record(&o, y, out, 0);
	/* four right-hand sides a substep */
	every = asgd__stop_every(4 * (uint64_t)sub * asgd__exact_step_cost(q));
	look = every;
	for (uint64_t k = 0; k < cfg->iters; k++) {
		if (k == look) {
			look += every;
			if (asgd__stop_raised(cfg->stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}
		/* B(t) = B_k on [t_k, t_{k+1}) (4.2) */
		o.inv_batch = batched ? 1.0 / (double)asgd_batch_at(&cfg->batch, k) : 1.0;
		for (unsigned j = 0; j < sub; j++)
			rk4_step(&o, y, o.dt / sub, y + o.len);
		record(&o, y, out, (size_t)k + 1);
	}
	free(y);
	sme_ode_free(&o);
	return rc;
}
