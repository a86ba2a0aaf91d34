/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batchctl.c — the optimal mini-batch control of Section 4 for f = a x²/2 (docs/MODELS.md §6):
 * the constants γ*, t*, k*, the control u*(t), the value function, the moment it produces, and
 * the integer schedule the simulators and the engine run.
 *
 * Times are SME times measured from 0; d = T − t is the time to go. Every formula is written in
 * terms of d and t* so that the switch at d = t* is exact: u* there is expm1(0) = 0 from both
 * sides, not the difference of two rounded exponentials.
 */
#include "asgd/batchctl.h"

#include <math.h>
#include <string.h>

#include "asgd/error.h"

static int params_ok(const asgd_batchctl_params *p)
{
	return isfinite(p->a) && p->a > 0 && isfinite(p->sigma2) && p->sigma2 >= 0 &&
	       isfinite(p->eta) && p->eta > 0 && p->mu >= 0 && p->mu < 1 &&
	       isfinite(p->gamma) && p->gamma > 0 && isfinite(p->T) && p->T > 0 &&
	       isfinite(p->z0) && p->z0 >= 0;
}

/* −Re λ for λ = −c + √(c² − 4a), the slowest mode of (5.5) (the paper's −c + √(c² − 8) at
 * a = 2). Written as 4a/(c + √(c² − 4a)) to avoid cancelling two nearly equal numbers when
 * c² ≫ 4a (fig8: c² = 50, 4a = 4). */
static double decay_rate(double a, double c, int *oscillating)
{
	double disc = c * c - 4 * a;

	*oscillating = disc < 0;
	return disc < 0 ? c : 4 * a / (c + sqrt(disc));
}

int asgd_batchctl_solve(const asgd_batchctl_params *p, asgd_batchctl *out)
{
	asgd_batchctl s;

	if (!p || !out || !params_ok(p))
		return ASGD_EINVAL;
	memset(&s, 0, sizeof(s));
	s.p = *p;
	s.c = sqrt((1 - p->mu) / p->eta);
	s.dt = sqrt(p->eta * (1 - p->mu));
	s.r = decay_rate(p->a, s.c, &s.oscillating);
	s.kappa = p->sigma2 * p->eta / 2 * (p->eta / (1 - p->mu) + 1 / p->a); /* (4.4) */
	s.gamma_star = s.r * s.kappa * p->eta;					 /* (4.9) */
	s.t_star = p->gamma < s.gamma_star ? log(s.gamma_star / p->gamma) / s.r : 0;
	s.k_star = s.t_star < p->T ? (p->T - s.t_star) / s.dt : 0;
	*out = s;
	return ASGD_OK;
}

/* 1 + u* = √(γ* / γ) e^{−rd/2} = e^{r(t* − d)/2} while d < t*. (4.11) */
double asgd_batchctl_u(const asgd_batchctl *s, double t)
{
	double d = t < s->p.T ? s->p.T - t : 0;

	return d < s->t_star ? expm1(s->r * (s->t_star - d) / 2) : 0;
}

/* B(t) = ∫_t^T min_u h: 2√(rκAγ/η) − γ/η in the batching phase, rκA before it. */
static double value_offset(const asgd_batchctl *s, double d)
{
	const double r = s->r, g_eta = s->p.gamma / s->p.eta;
	/* (4/r)√(rκγ/η) = (4/r)√(γ*γ)/η */
	const double q = 4 / r * sqrt(s->gamma_star * s->p.gamma) / s->p.eta;
	double batching = fmin(d, s->t_star), before = d - batching;
	double b = -q * expm1(-r * batching / 2) - g_eta * batching;

	if (before > 0)
		b += s->kappa * (exp(-r * s->t_star) - exp(-r * d));
	return b;
}

void asgd_batchctl_value_parts(const asgd_batchctl *s, double t, double *A, double *B)
{
	double d = s->p.T - t;

	if (A)
		*A = exp(-s->r * d);
	if (B)
		*B = value_offset(s, d);
}

double asgd_batchctl_value(const asgd_batchctl *s, double z, double t)
{
	double A, B;

	asgd_batchctl_value_parts(s, t, &A, &B);
	return A * z + B;
}

/*
 * With 1 + u = e^{r(t − ts)/2}, ts = T − t*, the model is dz/dt = −rz + rκe^{−r(t−ts)/2}, whose
 * solutions are 2κe^{−r(t−ts)/2} + C e^{−rt}: the particular part lags the target κ/(1+u) by
 * a factor 2. From z_e at t_e = max(ts, 0) and w = t − t_e that is
 * z_e e^{−rw} + 2κ e^{−r(t_e−ts)/2} (e^{−rw/2} − e^{−rw}), the last factor by expm1 so that
 * z(t_e) = z_e exactly.
 */
double asgd_batchctl_z(const asgd_batchctl *s, double t)
{
	const double r = s->r, k = s->kappa, ts = s->p.T - s->t_star;
	double te, ze, w;

	if (t <= ts)
		return s->p.z0 * exp(-r * t) - k * expm1(-r * t);
	te = ts > 0 ? ts : 0;
	ze = ts > 0 ? s->p.z0 * exp(-r * ts) - k * expm1(-r * ts) : s->p.z0;
	w = t - te;
	return ze * exp(-r * w) -
	       2 * k * exp(-r * (te - ts) / 2) * exp(-r * w / 2) * expm1(-r * w / 2);
}

uint32_t asgd_batchctl_batch(const asgd_batchctl *s, uint64_t k)
{
	double b = 1 + asgd_batchctl_u(s, (double)k * s->dt);

	if (!(b < (double)UINT32_MAX))
		return UINT32_MAX;
	b = round(b);
	return b < 1 ? 1 : (uint32_t)b;
}

int asgd_batchctl_schedule(const asgd_batchctl *s, size_t K, uint32_t max_batch, uint32_t *size)
{
	if (!s || !size || K == 0)
		return ASGD_EINVAL;
	for (size_t k = 0; k < K; k++) {
		size[k] = asgd_batchctl_batch(s, k);
		if (max_batch && size[k] > max_batch)
			return ASGD_EINVAL;
	}
	return ASGD_OK;
}

/* z∞ for a batch of @b, with replacement (@n = 0) or without from @n components. */
static double batch_level(const asgd_batchctl *s, uint32_t b, size_t n)
{
	double B = b ? b : 1;

	if (n == 0)
		return s->kappa / B;
	if (B >= (double)n)
		return 0; /* the full gradient: no noise */
	return s->kappa / B * ((double)n - B) / ((double)n - 1);
}

double asgd_batchctl_model_path(const asgd_batchctl *s, const uint32_t *size, size_t K, size_t n,
				double *z)
{
	const double decay = exp(-s->r * s->dt);
	double v = s->p.z0;

	if (z)
		z[0] = v;
	for (size_t k = 0; k < K; k++) {
		double target = batch_level(s, size[k], n);

		v = target + (v - target) * decay;
		if (z)
			z[k + 1] = v;
	}
	return v;
}
