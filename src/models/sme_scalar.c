/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sme_scalar.c — the fast 1-D Euler–Maruyama loops of the SMEs (docs/MODELS.md §2), for d = 1:
 * Figures 4 and 5, the common case.
 *
 * The stream is copied into a local so that it lives in registers, normals come from the
 * ziggurat, and the gradient is inlined as a·x − b when the problem is affine: each (model,
 * Σ choice, affine?) gets its own compiled loop. They draw one normal per substep, as the vector
 * loop of sme_vector.c does in 1-D, so for the same seed both give the same paths up to rounding
 * (tests/test_sme.c checks it). Coefficients are taken at each substep's start (explicit, Itô).
 * Every loop looks at the stop flag once per cx->stop_every recorded steps (~0.1 ms of work) and
 * returns ASGD_EINTR when it is raised.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/error.h"
#include "asgd/normal.h"
#include "sme_internal.h"
#include "core/stop_internal.h"

/* ---- gradients and covariances in 1-D ---- */

/* ∇f(x) and, when @C is not NULL, C(x) for any problem: shifted sums keep C's digits. */
double asgd__sme_grad1_general(const struct sme_ctx *cx, double x, double *C)
{
	double g0, gi, m1 = 0, m2 = 0;

	if (!C) {
		asgd_problem_grad(cx->p, &x, &g0);
		return g0;
	}
	asgd_problem_grad_i(cx->p, 0, &x, &g0);
	for (size_t i = 1; i < cx->n; i++) {
		asgd_problem_grad_i(cx->p, i, &x, &gi);
		m1 += gi - g0;
		m2 += (gi - g0) * (gi - g0);
	}
	m1 /= (double)cx->n;
	m2 /= (double)cx->n;
	*C = m2 - m1 * m1;
	return g0 + m1;
}

/* ∇f(x), and C(x) into *C when C is not NULL; @affine is a constant after inlining. */
static inline double grad1(const struct sme_ctx *cx, const int affine, double x, double *C)
{
	if (affine) {
		if (C)
			*C = (cx->va * x - 2 * cx->cab) * x + cx->vb;
		return cx->a * x - cx->b;
	}
	return asgd__sme_grad1_general(cx, x, C);
}

/* H(x)g by a central difference of ∇f along g (3.3); exact for affine gradients. */
static double hess_grad1(const struct sme_ctx *cx, const int affine, double x, double g)
{
	double delta, up, down;

	if (affine)
		return cx->a * g;
	if (g == 0)
		return 0;
	delta = 6e-6 * (1 + fabs(x));	/* ≈ ε^⅓: balances truncation against rounding */
	up = grad1(cx, 0, x + delta, NULL);
	down = grad1(cx, 0, x - delta, NULL);
	return (up - down) / (2 * delta) * g;
}

/*
 * ∇f(x) into *g and the noise increment for a Σ that does not evolve: √C(x_0)·amp·z (constant,
 * @ampc = amp·√C(x_0)) or √C(x)·amp·z (instant). @mode is a constant after inlining.
 */
static inline double grad_noise1(const struct sme_ctx *cx, const int affine, const asgd_sigma mode,
				 double x, double amp, double ampc, double z, double *g)
{
	double C;

	if (mode == ASGD_SIGMA_CONSTANT) {
		*g = grad1(cx, affine, x, NULL);
		return ampc * z;
	}
	*g = grad1(cx, affine, x, &C);
	return amp * sqrt(fmax(C, 0)) * z;
}

/* At the top of recorded step k: leave the loop with ASGD_EINTR in rc when the flag is raised,
 * looked at once per cx->stop_every steps (one compare a step otherwise). */
#define SME_STOP_POINT(k, look, rc)                                                            \
	if ((k) == (look)) {                                                                   \
		(look) += cx->stop_every;                                                      \
		if (asgd__stop_raised(cx->stop)) {                                             \
			(rc) = ASGD_EINTR;                                                     \
			break;                                                                 \
		}                                                                              \
	}

/* ---- 1-D scalar loops: one per model, specialised on (affine, Σ choice) ---- */

/* SME-ASGD (2.11) with Σ per @mode; Y_0 = −α∇f(x_0), Σ_0 = C(x_0), G_0 = S(x_0). */
static inline int asgd1(const struct sme_ctx *cx, asgd_rng *rs, double *traj, uint64_t *clamps,
			const int affine, const asgd_sigma mode, const int single)
{
	asgd_rng r = *rs;
	uint64_t look = cx->stop_every;
	int rc = ASGD_OK;
	const double h = cx->h, c = cx->fric, ch = c * h, mu = cx->mu, amp0 = cx->noise * sqrt(h);
	/* y ← (1 − hc)y − h∇f(x), with ∇f = ax − b distributed: the y chain is one multiply-add. */
	const double ay = 1 - ch, hna = -h * cx->a, hb = h * cx->b;
	const double kg = mode == ASGD_SIGMA_EVOLVE ? c * (1 - mu) / mu : 0;
	const double ky = mode == ASGD_SIGMA_EVOLVE ? c * c * c / mu : 0;
	const double kgy = mode == ASGD_SIGMA_EVOLVE ? 2 * c * c / mu : 0;
	double x = cx->x0[0], C, g = grad1(cx, affine, x, &C);
	double y = -cx->alpha * g, sig = C, G = C + g * g;
	const double sqc = sqrt(fmax(cx->C0, 0));
	uint64_t ncl = 0;

	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		SME_STOP_POINT(k, look, rc)
		const double amp = amp0 * asgd__sme_batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < (single ? 1 : cx->S); j++) {
			const double z = asgd_normal(&r);
			double dx, xn;

			switch (mode) {
			case ASGD_SIGMA_CONSTANT:
			case ASGD_SIGMA_INSTANT:
				dx = grad_noise1(cx, affine, mode, x, amp, ampc, z, &g);
				break;
			case ASGD_SIGMA_CONTINUUM:
				g = grad1(cx, affine, x, &C);
				dx = amp * asgd__sme_root_clamped(G - c * c * y * y, &ncl) * z;
				G += ch * (C + g * g - G);
				break;
			default: /* evolve: (2.12) */
				g = grad1(cx, affine, x, &C);
				dx = amp * asgd__sme_root_clamped(sig, &ncl) * z;
				sig += h * (-c * sig + c * (C + g * g) + kg * g * g + ky * y * y +
					    kgy * g * y);
				break;
			}
			/*
			 * The same Euler step, arranged for a short dependency chain from one substep
			 * to the next (x + dx does not wait for y); it differs from the vector loop
			 * only in rounding.
			 */
			xn = (x + dx) + h * y;
			y = ay * y + (affine ? hna * x + hb : -h * g);
			x = xn;
		}
		traj[k + 1] = x;
	}
	*rs = r;
	if (clamps)
		*clamps = ncl;
	return rc;
}

/*
 * SME-ASGD for mixture staleness (MODELS.md §5): K ≤ ASGD_GEOMIX_MAX gradient averages ȳ_j and,
 * for the continuum Σ, G_j; X moves by −αḡ with ḡ = Σ_j π_j ȳ_j. ȳ_j(0) = ∇f(x_0), G_j(0) = S(x_0).
 */
static inline int mixture1(const struct sme_ctx *cx, asgd_rng *rs, double *traj,
			   uint64_t *clamps, const int affine, const asgd_sigma mode,
			   const int single)
{
	asgd_rng r = *rs;
	uint64_t look = cx->stop_every;
	int rc = ASGD_OK;
	const size_t K = cx->mix_k;
	const double h = cx->h, ha = h * cx->alpha, amp0 = cx->noise * sqrt(h);
	const double sqc = sqrt(fmax(cx->C0, 0));
	double x = cx->x0[0], C, g = grad1(cx, affine, x, &C);
	double yb[ASGD_GEOMIX_MAX], G[ASGD_GEOMIX_MAX], ch[ASGD_GEOMIX_MAX];
	uint64_t ncl = 0;

	for (size_t j = 0; j < K; j++) {
		yb[j] = g;
		G[j] = C + g * g;
		ch[j] = cx->mix_c[j] * h;
	}
	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		SME_STOP_POINT(k, look, rc)
		const double amp = amp0 * asgd__sme_batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned s = 0; s < (single ? 1 : cx->S); s++) {
			const double z = asgd_normal(&r);
			double dx, gb = 0, Gb = 0;

			for (size_t j = 0; j < K; j++)
				gb += cx->mix_w[j] * yb[j];
			if (mode == ASGD_SIGMA_CONTINUUM) {
				g = grad1(cx, affine, x, &C);
				for (size_t j = 0; j < K; j++) {
					Gb += cx->mix_w[j] * G[j];
					G[j] += ch[j] * (C + g * g - G[j]);
				}
				dx = amp * asgd__sme_root_clamped(Gb - gb * gb, &ncl) * z;
			} else {
				dx = grad_noise1(cx, affine, mode, x, amp, ampc, z, &g);
			}
			for (size_t j = 0; j < K; j++)
				yb[j] += ch[j] * (g - yb[j]);
			x += dx - ha * gb;
		}
		traj[k + 1] = x;
	}
	*rs = r;
	if (clamps)
		*clamps = ncl;
	return rc;
}

/* SME-ASGD, linear form (2.5): M_0 = x_0, P_0 = 0, X = M + αP recorded. */
static inline int linear1(const struct sme_ctx *cx, asgd_rng *rs, double *traj,
			  uint64_t *clamps, const int affine, const asgd_sigma mode,
			  const int single)
{
	asgd_rng r = *rs;
	uint64_t look = cx->stop_every;
	int rc = ASGD_OK;
	const double h = cx->h, c = cx->fric, mu = cx->mu, al = cx->alpha, dt = cx->dt;
	const double amp0 = cx->noise * sqrt(h), g00 = affine ? 0 : cx->grad0[0];
	const double sqc = sqrt(fmax(cx->C0, 0));
	double m = cx->x0[0], pv = 0, sig = cx->C0;
	uint64_t ncl = 0;

	traj[0] = m;
	for (uint64_t k = 0; k < cx->K; k++) {
		SME_STOP_POINT(k, look, rc)
		const double amp = amp0 * asgd__sme_batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < (single ? 1 : cx->S); j++) {
			const double z = asgd_normal(&r);
			double g = grad1(cx, affine, m, NULL), dp, C, hp, gr;

			switch (mode) {
			case ASGD_SIGMA_CONSTANT:
				dp = ampc * z;
				break;
			case ASGD_SIGMA_INSTANT:
				grad1(cx, affine, m + al * pv, &C);
				dp = amp * sqrt(fmax(C, 0)) * z;
				break;
			default: /* evolve: the linear Σ equation of MODELS.md §2.2 */
				dp = amp * asgd__sme_root_clamped(sig, &ncl) * z;
				hp = affine ? cx->a * pv : grad1(cx, 0, pv, NULL) - g00;
				gr = grad1(cx, affine, m + mu * al * pv, &C);
				sig += h * (-c * sig - 2 * mu * g * hp - c * g * g + mu * dt * hp * hp +
					    c * (C + gr * gr));
				break;
			}
			m += h * pv;
			pv += h * (-g - c * pv) + dp;
		}
		traj[k + 1] = m + al * pv;
	}
	*rs = r;
	if (clamps)
		*clamps = ncl;
	return rc;
}

/* SME-MSGD (2.7): X_0 = x_0, P_0 = 0, friction (1−μ')/√η'. */
static inline int msgd1(const struct sme_ctx *cx, asgd_rng *rs, double *traj, const int affine,
			const asgd_sigma mode, const int single)
{
	asgd_rng r = *rs;
	uint64_t look = cx->stop_every;
	int rc = ASGD_OK;
	const double h = cx->h, gam = cx->fric, amp0 = cx->noise * sqrt(h);
	const double sqc = sqrt(fmax(cx->C0, 0));
	double x = cx->x0[0], pv = 0;

	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		SME_STOP_POINT(k, look, rc)
		const double amp = amp0 * asgd__sme_batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < (single ? 1 : cx->S); j++) {
			const double z = asgd_normal(&r);
			double g;
			const double dp = grad_noise1(cx, affine, mode, x, amp, ampc, z, &g);

			x += h * pv;
			pv += h * (-g - gam * pv) + dp;
		}
		traj[k + 1] = x;
	}
	*rs = r;
	return rc;
}

/* SME-SGD (3.3): dX = −(∇f + (η/2)H∇f)dt + √(ηΣ) dB. */
static inline int sgd1(const struct sme_ctx *cx, asgd_rng *rs, double *traj, const int affine,
			const asgd_sigma mode, const int single)
{
	asgd_rng r = *rs;
	uint64_t look = cx->stop_every;
	int rc = ASGD_OK;
	const double h = cx->h, half_eta = 0.5 * cx->eta, amp0 = cx->noise * sqrt(h);
	const double sqc = sqrt(fmax(cx->C0, 0));
	double x = cx->x0[0];

	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		SME_STOP_POINT(k, look, rc)
		const double amp = amp0 * asgd__sme_batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < (single ? 1 : cx->S); j++) {
			const double z = asgd_normal(&r);
			double g;
			const double dx = grad_noise1(cx, affine, mode, x, amp, ampc, z, &g);

			x += -h * (g + half_eta * hess_grad1(cx, affine, x, g)) + dx;
		}
		traj[k + 1] = x;
	}
	*rs = r;
	return rc;
}

/*
 * The 1-D loop of the configured (model, Σ), instantiated for affine and general gradients, and
 * for one substep per step apart: a substep loop of unknown count costs 13% at one substep
 * (bench/bench_paths.c).
 */
#define SME_CALL(fn, mode, ...)                                                                \
	do {                                                                                   \
		if (cx->S == 1)                                                                \
			rc = fn(cx, rng, traj, __VA_ARGS__, mode, 1);                          \
		else                                                                           \
			rc = fn(cx, rng, traj, __VA_ARGS__, mode, 0);                          \
	} while (0)

#define SME_DISPATCH_SIGMA(fn, ...)                                                            \
	switch (cx->sigma) {                                                                   \
	case ASGD_SIGMA_CONSTANT: SME_CALL(fn, ASGD_SIGMA_CONSTANT, __VA_ARGS__); break;       \
	case ASGD_SIGMA_INSTANT: SME_CALL(fn, ASGD_SIGMA_INSTANT, __VA_ARGS__); break;         \
	case ASGD_SIGMA_CONTINUUM: SME_CALL(fn, ASGD_SIGMA_CONTINUUM, __VA_ARGS__); break;     \
	default: SME_CALL(fn, ASGD_SIGMA_EVOLVE, __VA_ARGS__); break;                          \
	}

/* The path of the configured (model, Σ); @affine is a constant after inlining. */
static inline int path_1d(const struct sme_ctx *cx, uint64_t path, asgd_rng *rng, double *traj,
			  const int affine)
{
	uint64_t *cl = cx->clamps ? &cx->clamps[path] : NULL;
	int rc;

	switch (cx->model) {
	case ASGD_MODEL_SME_ASGD: SME_DISPATCH_SIGMA(asgd1, cl, affine) break;
	case ASGD_MODEL_SME_ASGD_LINEAR: SME_DISPATCH_SIGMA(linear1, cl, affine) break;
	case ASGD_MODEL_SME_MSGD: SME_DISPATCH_SIGMA(msgd1, affine) break;
	case ASGD_MODEL_SME_ASGD_MIXTURE: SME_DISPATCH_SIGMA(mixture1, cl, affine) break;
	default: SME_DISPATCH_SIGMA(sgd1, affine) break;
	}
	return rc;
}

int asgd__sme_path_1d_affine(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	(void)scratch;
	return path_1d(ctx, path, rng, traj, 1);
}

int asgd__sme_path_1d_general(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	(void)scratch;
	return path_1d(ctx, path, rng, traj, 0);
}
