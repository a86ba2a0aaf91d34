/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/batchctl.h — the optimal mini-batch schedule of the paper's Section 4, (4.5)–(4.11),
 * derived for a general curvature a (docs/MODELS.md §6).
 *
 * The control problem: on f = a x²/2 with constant Σ, the second moment z = E(x − x*)² of
 * mini-batch ASGD with batch 1 + u is modelled by dz/dt = −r(z − κ/(1+u)) in SME time
 * t = kΔt; choose u(t) ≥ 0 to minimise z(T) + (γ/η)∫_0^T u dt. The answer is "batch 1 until
 * T − t*, then a batch growing like e^{r t/2}", and this module gives everything about it in
 * closed form: the constants (γ*, t*, the transition iteration k*), the control u*(t), the value
 * function V(z, t) = A(t)z + B(t) (docs/ERRATA.md §1, §2 corrected), the moment z(t) it produces,
 * and the integer schedule B_k that the simulators and the engine run.
 *
 * All functions are pure: no allocation, no global state.
 */
#ifndef ASGD_BATCHCTL_H
#define ASGD_BATCHCTL_H

#include <stddef.h>
#include <stdint.h>

/* The problem (4.5), for f = a x²/2 about its minimizer. */
typedef struct asgd_batchctl_params {
	double a;	/* curvature f'' > 0 (the paper's f = x² is a = 2; Figure 8's is a = 1) */
	double sigma2;	/* component-gradient variance Σ ≥ 0 at the minimizer */
	double eta;	/* step size η > 0 */
	double mu;	/* staleness μ in [0, 1) */
	double gamma;	/* unit cost γ > 0: extra gradients cost (γ/η)∫_0^T u dt in (4.5) */
	double T;	/* horizon in SME time, > 0: K iterations are T = KΔt */
	double z0;	/* z(0) = (x0 − x*)² ≥ 0 */
} asgd_batchctl_params;

/* The solved control: the parameters and the constants of docs/MODELS.md §6. */
typedef struct asgd_batchctl {
	asgd_batchctl_params p;
	double c;		/* friction √((1−μ)/η) */
	double dt;		/* SME time of one iteration, √(η(1−μ)) (docs/ERRATA.md §3) */
	double r;		/* decay rate −Re λ, λ = −c + √(c² − 4a); r = c when c² < 4a */
	int oscillating;	/* c² < 4a: λ is complex and the rate is its real part */
	double kappa;		/* κ = (Ση/2)(η/(1−μ) + 1/a): z∞(u) = κ/(1+u), (4.4) at a = 2 */
	double gamma_star;	/* γ* = rκη: extra batches pay off only when γ < γ* */
	double t_star;		/* ln(γ* / γ)/r, the length of the batching phase; 0 when γ ≥ γ*
				   (may exceed T: then the batch grows from t = 0) */
	double k_star;		/* the transition iteration (T − t*)/Δt, not rounded; 0 when
				   t* ≥ T */
} asgd_batchctl;

/*
 * asgd_batchctl_solve - the constants of the control problem @p into @out.
 *
 * Returns 0, or ASGD_EINVAL when @p or @out is NULL or a parameter is not finite or out of
 * range: a ≤ 0, Σ < 0, η ≤ 0, μ outside [0, 1), γ ≤ 0, T ≤ 0, z0 < 0 (@out untouched).
 */
int asgd_batchctl_solve(const asgd_batchctl_params *p, asgd_batchctl *out);

/*
 * asgd_batchctl_u - the optimal control u*(t) of (4.8)/(4.11) at SME time @t in [0, T]:
 * max(√(γ* / γ) e^{−r(T−t)/2} − 1, 0), which is 0 for t ≤ T − t* and continuous there.
 * Past T it holds u*(T), as a schedule holds its last batch.
 */
double asgd_batchctl_u(const asgd_batchctl *s, double t);

/*
 * asgd_batchctl_value - the value function V(z, t) = A(t)z + B(t), t in [0, T]: the least cost
 * z(T) + (γ/η)∫_t^T u to go from z at time t (docs/MODELS.md §6; the printed (4.10) drops a
 * term, docs/ERRATA.md §1, and V(0, t) = B(t) > 0 for t < T, §2).
 */
double asgd_batchctl_value(const asgd_batchctl *s, double z, double t);

/*
 * asgd_batchctl_value_parts - A(t) = e^{−r(T−t)} = V_z into *@A and B(t) = V(0, t) into *@B
 * (either may be NULL).
 */
void asgd_batchctl_value_parts(const asgd_batchctl *s, double t, double *A, double *B);

/*
 * asgd_batchctl_z - z(t) = E(X_t − x*)² of the model (4.5) under the optimal control u*, from
 * z(0) = z0, in closed form: κ + (z0 − κ)e^{−rt} while u* = 0, then
 * 2κ e^{−rs/2} + (z_s − 2κ)e^{−rs} at s = t − (T − t*) from the value z_s at the switch.
 */
double asgd_batchctl_z(const asgd_batchctl *s, double t);

/*
 * asgd_batchctl_batch - B_k = max(1, round(1 + u*(kΔt))), the integer batch of iteration @k,
 * saturated at UINT32_MAX.
 */
uint32_t asgd_batchctl_batch(const asgd_batchctl *s, uint64_t k);

/*
 * asgd_batchctl_schedule - B_k for k = 0..@K−1 into @size (K entries), the array of an
 * asgd_batch_schedule (asgd/schedule.h) for a horizon of K iterations.
 * @max_batch: the largest batch allowed (e.g. ASGD_SIM_MAX_BATCH); 0 for no limit.
 * Returns 0; ASGD_EINVAL for NULL arguments, K = 0, or a B_k above @max_batch (then @size holds
 * the schedule up to and including that entry).
 */
int asgd_batchctl_schedule(const asgd_batchctl *s, size_t K, uint32_t max_batch, uint32_t *size);

/*
 * asgd_batchctl_model_path - z of the model (4.5) under a piecewise-constant schedule @size
 * (@K entries): batch size[k] over [kΔt, (k+1)Δt), each step solved exactly,
 * z ← z∞ + (z − z∞)e^{−rΔt}, from z0 — what the control model predicts for any schedule, so
 * that the optimal one and constant ones compare on the model's own terms.
 * @n: 0 for batches drawn with replacement, as (4.1) and the simulator: z∞ = κ/B. Otherwise
 *     batches drawn without replacement from @n components, as the engine: B capped at n and
 *     z∞ = κ/B · (n − B)/(n − 1), the finite-population factor of the mean's variance.
 * @z: NULL, or K + 1 values to receive z at t = kΔt.
 * Returns z(KΔt) (z0 when @K is 0).
 */
double asgd_batchctl_model_path(const asgd_batchctl *s, const uint32_t *size, size_t K, size_t n,
				double *z);

#endif /* ASGD_BATCHCTL_H */
