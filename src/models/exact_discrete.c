/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exact_discrete.c — exact first and second moments of the discrete processes for affine
 * gradients (docs/MODELS.md §4): ASGD, SGD (μ = 0) and mini-batch ASGD through e_k, m̄_k and the
 * lagged second moments P, Q, R, D; MSGD (2.6) through the moments of the pair (x, v). Each step
 * is affine in the moments before it, so the recursions are exact up to rounding.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "exact_internal.h"

static void record(asgd_exact_moments *out, size_t k, const double *mean, const double *M)
{
	size_t d = out->dim;

	for (size_t c = 0; c < d; c++) {
		out->mean[k * d + c] = mean[c];
		out->second[k * d + c] = M[c * d + c];
	}
}

/* The state of docs/MODELS.md §4's ASGD recursion plus its scratch. */
struct asgd_state {
	double *e, *mb;			/* E x_k, m̄_k */
	double *P, *Q, *R, *D;		/* lagged second moments */
	double *T, *N, *F, *QA, *AR;	/* this step's pieces */
	double *work;			/* ASGD_EXACT_WORK(d) scratch */
	double *mem;
};

static int asgd_state_init(struct asgd_state *s, size_t d, const double *x0)
{
	size_t dd = d * d;
	double *p = malloc((2 * d + 9 * dd + ASGD_EXACT_WORK(d)) * sizeof(double));

	if (!p)
		return ASGD_ENOMEM;
	s->mem = p;
	s->e = p;
	s->mb = p + d;
	p += 2 * d;
	s->P = p; s->Q = p + dd; s->R = p + 2 * dd; s->D = p + 3 * dd;
	s->T = p + 4 * dd; s->N = p + 5 * dd; s->F = p + 6 * dd; s->QA = p + 7 * dd;
	s->AR = p + 8 * dd; s->work = p + 9 * dd;
	memcpy(s->e, x0, d * sizeof(double));
	memcpy(s->mb, x0, d * sizeof(double));
	/* The constant history x_{−l} = x_0 makes every lagged moment x_0 x_0ᵀ at k = 0. */
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			s->P[r * d + c] = x0[r] * x0[c];
	memcpy(s->Q, s->P, dd * sizeof(double));
	memcpy(s->R, s->P, dd * sizeof(double));
	memcpy(s->D, s->P, dd * sizeof(double));
	return ASGD_OK;
}

/* One step of the ASGD moment recursion (§4), batch B. */
static void asgd_step(struct asgd_state *s, const asgd_exact_affine *q, double eta, double mu,
		      double B)
{
	size_t d = q->dim, dd = d * d;
	const double *b = q->bbar;
	double w0 = 1 - mu;

	/* T_k = Q_k − η(A R_k − b m̄_kᵀ) */
	asgd_exact_mul_left(q, s->R, s->AR);
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			s->T[r * d + c] = s->Q[r * d + c] - eta * (s->AR[r * d + c] - b[r] * s->mb[c]);
	/* N_k: a batch of B draws with replacement at the same stale read (4.2) */
	asgd_exact_second(q, s->D, s->mb, s->N, s->work);
	if (B > 1) {
		asgd_exact_grad_outer(q, s->D, s->mb, s->F, s->work);
		for (size_t k = 0; k < dd; k++)
			s->N[k] = s->N[k] / B + (1 - 1 / B) * s->F[k];
	}
	/* P_{k+1} = P_k − η(Q_kA − e_kbᵀ) − η(AQ_kᵀ − b e_kᵀ) + η² N_k, and AQ_kᵀ = (Q_kA)ᵀ */
	asgd_exact_mul_right(q, s->Q, s->QA);
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			double x = s->QA[r * d + c] - s->e[r] * b[c];
			double y = s->QA[c * d + r] - s->e[c] * b[r];

			s->P[r * d + c] += -eta * (x + y) + eta * eta * s->N[r * d + c];
		}
	/* e_{k+1} = e_k − η(A m̄_k − b), using F's first row as scratch for A m̄_k */
	asgd__exact_mul_vec(q, s->mb, s->F);
	for (size_t r = 0; r < d; r++) {
		s->e[r] -= eta * (s->F[r] - b[r]);
		s->mb[r] = w0 * s->e[r] + mu * s->mb[r];
	}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++) {
			size_t k = r * d + c;
			double P = s->P[k], T = s->T[k], Tt = s->T[c * d + r];

			s->Q[k] = w0 * P + mu * T;
			s->R[k] = w0 * w0 * P + w0 * mu * (T + Tt) + mu * mu * s->R[k];
			s->D[k] = w0 * P + mu * s->D[k];
		}
}

int asgd__exact_run_asgd(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			 const double *x0, double mu, int batched, asgd_exact_moments *out)
{
	struct asgd_state s;
	const uint64_t every = asgd__stop_every(asgd__exact_step_cost(q));
	uint64_t look = every;
	int rc = asgd_state_init(&s, q->dim, x0);

	if (rc)
		return rc;
	record(out, 0, s.e, s.P);
	for (uint64_t k = 0; k < cfg->iters; k++) {
		double B = batched ? (double)asgd_batch_at(&cfg->batch, k) : 1.0;

		if (k == look) {
			look += every;
			if (asgd__stop_raised(cfg->stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}
		asgd_step(&s, q, cfg->eta, mu, B);
		record(out, k + 1, s.e, s.P);
	}
	free(s.mem);
	return rc;
}

/*
 * MSGD (2.6): with g = A_γ x − b_γ, v' = μ'v − η'g and x' = x + v'. Given E_γ[g] = ∇f(x) and
 * E_γ[ggᵀ] = S(x), the moments of z = (x, v) after one step are affine in those before:
 *   E v'v'ᵀ = μ'² VV − μ'η'(E v gᵀ + E g vᵀ) + η'² E S(x),   E g vᵀ = A XV − b E vᵀ
 *   E x v'ᵀ = μ' XV − η'(XX A − E x bᵀ)
 *   XV' = E x v'ᵀ + VV',   XX' = XX + E x v'ᵀ + (E x v'ᵀ)ᵀ + VV'.
 */
int asgd__exact_run_msgd(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			 const double *x0, asgd_exact_moments *out)
{
	size_t d = q->dim, dd = d * d;
	double mu = cfg->mu, eta = cfg->eta;
	double *mem = calloc(2 * d + 7 * dd + ASGD_EXACT_WORK(d), sizeof(double));
	double *ex, *ev, *XX, *XV, *VV, *S, *AXV, *xv, *tmp, *work;
	const uint64_t every = asgd__stop_every(asgd__exact_step_cost(q));
	uint64_t look = every;
	int rc = ASGD_OK;

	if (!mem)
		return ASGD_ENOMEM;
	ex = mem; ev = mem + d;
	XX = mem + 2 * d; XV = XX + dd; VV = XV + dd; S = VV + dd; AXV = S + dd; xv = AXV + dd;
	tmp = xv + dd;
	work = tmp + dd;
	memcpy(ex, x0, d * sizeof(double));
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			XX[r * d + c] = x0[r] * x0[c];
	record(out, 0, ex, XX);
	for (uint64_t k = 0; k < cfg->iters; k++) {
		if (k == look) {
			look += every;
			if (asgd__stop_raised(cfg->stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}
		asgd_exact_second(q, XX, ex, S, work);
		asgd_exact_mul_left(q, XV, AXV);	/* A XV */
		asgd_exact_mul_right(q, XX, tmp);	/* XX A */
		for (size_t r = 0; r < d; r++)
			for (size_t c = 0; c < d; c++)
				xv[r * d + c] = mu * XV[r * d + c] -
						eta * (tmp[r * d + c] - ex[r] * q->bbar[c]);
		for (size_t r = 0; r < d; r++)
			for (size_t c = 0; c < d; c++) {
				double gv = AXV[r * d + c] - q->bbar[r] * ev[c];	/* E g vᵀ */
				double vg = AXV[c * d + r] - q->bbar[c] * ev[r];	/* E v gᵀ */

				VV[r * d + c] = mu * mu * VV[r * d + c] - mu * eta * (gv + vg) +
						eta * eta * S[r * d + c];
			}
		for (size_t r = 0; r < d; r++)
			for (size_t c = 0; c < d; c++) {
				size_t i = r * d + c;

				XV[i] = xv[i] + VV[i];
				tmp[i] = XX[i] + xv[i] + xv[c * d + r] + VV[i];
			}
		memcpy(XX, tmp, dd * sizeof(double));
		asgd__exact_mul_vec(q, ex, tmp);	/* A E x, into the now free tmp */
		for (size_t r = 0; r < d; r++)
			ev[r] = mu * ev[r] - eta * (tmp[r] - q->bbar[r]);
		for (size_t r = 0; r < d; r++)
			ex[r] += ev[r];
		record(out, k + 1, ex, XX);
	}
	free(mem);
	return rc;
}
