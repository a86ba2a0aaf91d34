/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/geomix.h — staleness as a mixture of geometric laws, fitted by EM, K chosen by BIC.
 *
 * Measured staleness is rarely one geometric law (results/staleness: chi-square p = 0). The
 * paper's Section 2 remark allows any completely monotone kernel Σ_j c_j e^{−λ_j r}; its discrete
 * counterpart is the mixture P(τ = l) = Σ_j w_j (1 − μ_j) μ_j^l, and each component becomes one
 * auxiliary variable of SME-ASGD (docs/MODELS.md §5). Fits work on a histogram of τ.
 */
#ifndef ASGD_GEOMIX_H
#define ASGD_GEOMIX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The most components a fit may have. */
#define ASGD_GEOMIX_MAX 6

/* P(τ = l) = Σ_j weight[j] (1 − mu[j]) mu[j]^l, components sorted by increasing mu. */
typedef struct asgd_geomix {
	size_t count;			/* K, 1..ASGD_GEOMIX_MAX */
	double weight[ASGD_GEOMIX_MAX];	/* > 0, summing to 1 */
	double mu[ASGD_GEOMIX_MAX];	/* in [0, 1) */
	double loglik;			/* log-likelihood of the data fitted */
	double bic;			/* −2 loglik + (2K − 1) ln n */
	unsigned iterations;		/* EM iterations used */
} asgd_geomix;

/*
 * A component lighter than this whose μ is above the body's (the heaviest component's) is a
 * stall tail: the few gradients computed across a scheduler stall of their worker, not a second
 * regime of the queue. BIC picks one out of 10⁵–10⁶ real samples at weights 0.03–0.1%.
 */
#define ASGD_GEOMIX_STALL_WEIGHT 0.01

/*
 * asgd_geomix_is_stall_tail - whether component @c of @m is a stall tail: weight below
 * ASGD_GEOMIX_STALL_WEIGHT and μ above that of the heaviest component. 0 for NULL or @c out of
 * range.
 */
int asgd_geomix_is_stall_tail(const asgd_geomix *m, size_t c);

/*
 * asgd_geomix_fit - the maximum-likelihood mixture of @k geometrics for the histogram @hist
 * (hist[l] = number of samples with τ = l, l < @len), by EM from a deterministic start (μ spread
 * over the quantiles of the data), until the log-likelihood changes by less than 1e-10 relative
 * or 10000 iterations. The result may have fewer than @k components: one whose weight falls below
 * 1e-12 is dropped, two whose μ differ by less than 1e-9 are merged, and a histogram with every
 * τ = 0 gives the single component μ = 0. BIC counts the components kept. Returns 0; ASGD_EINVAL
 * for NULL, k outside 1..ASGD_GEOMIX_MAX, or an empty histogram.
 */
int asgd_geomix_fit(const uint64_t *hist, size_t len, size_t k, asgd_geomix *out);

/*
 * asgd_geomix_select - fit K = 1..@kmax components and keep the one with the smallest BIC.
 * @all, if not NULL, receives all @kmax fits (all[K−1]). Returns as asgd_geomix_fit.
 */
int asgd_geomix_select(const uint64_t *hist, size_t len, size_t kmax, asgd_geomix *best,
		       asgd_geomix *all);

/*
 * asgd_geomix_select_stop - asgd_geomix_select, looking at @stop (NULL: never) every ~0.1 ms of
 * EM (seconds for a histogram of thousands of levels and kmax = 6): ASGD_EINTR, @best untouched
 * (@all partly written), when it was raised before the end.
 */
int asgd_geomix_select_stop(const uint64_t *hist, size_t len, size_t kmax, asgd_geomix *best,
			    asgd_geomix *all, const atomic_int *stop);

/*
 * asgd_geomix_check - whether @m is a valid mixture: count in 1..ASGD_GEOMIX_MAX, every weight in
 * (0, 1], the weights summing to 1 within 1e-9, every μ in [0, 1).
 * Returns 0 or ASGD_EINVAL (also for NULL).
 */
int asgd_geomix_check(const asgd_geomix *m);

/*
 * asgd_geomix_parse - a mixture from text "W1:MU1,W2:MU2,..." (as `asgd sme --mixture` takes it):
 * 1..ASGD_GEOMIX_MAX components, each a weight > 0 and a μ in [0, 1), the weights summing to 1
 * within 1e-9 (they are not normalised: a sum off by more is a mistake to report). Components are
 * stored sorted by μ, two with μ within 1e-9 merged into one; loglik, bic and iterations are 0.
 * @err: receives a message naming the bad part and what is allowed (may be NULL); @errlen its size.
 * Returns 0; ASGD_EPARSE for malformed or disallowed text; ASGD_EINVAL for NULL @s or @out.
 */
int asgd_geomix_parse(const char *s, asgd_geomix *out, char *err, size_t errlen);

/* asgd_geomix_pmf - P(τ = l) under @m. */
double asgd_geomix_pmf(const asgd_geomix *m, uint64_t l);

/* asgd_geomix_mean - E τ = Σ_j w_j μ_j/(1 − μ_j). */
double asgd_geomix_mean(const asgd_geomix *m);

/*
 * asgd_geomix_mu_bar - μ̄ = m/(1 + m) with m = asgd_geomix_mean(@m): the μ of the geometric law
 * with the same mean, which sets the SME time step Δt = √(η(1 − μ̄)) of sme-asgd-mixture
 * (docs/MODELS.md §5).
 */
double asgd_geomix_mu_bar(const asgd_geomix *m);

/*
 * asgd_geomix_pmf_table - the pmf on 0..L−1, L the first level where the tail P(τ ≥ L) is below
 * @eps, with the tail added to the last cell, for the simulators' τ tables. Stores a malloc'd
 * array in *pmf (free it) and L in *len. Returns 0, ASGD_EINVAL, or ASGD_ENOMEM.
 */
int asgd_geomix_pmf_table(const asgd_geomix *m, double eps, double **pmf, size_t *len);

/*
 * asgd_geomix_json - the mixture @m as JSON, one schema everywhere: "count" (K), "components"
 * [{"weight", "mu", "mean" (E τ of the component), "stall_tail" (asgd_geomix_is_stall_tail)}] by
 * increasing mu, "stall_tail" (the heaviest-μ stall-tail component's {"weight", "mu", "mean"},
 * null when none), "mean" (E τ), "mu_bar" (m/(1+m)); when @all is not NULL,
 * @m was fitted by EM and BIC over K = 1..@kmax (all[K−1] the K-component fit) and the object
 * adds "loglik", "bic", "em_iterations", "kmax", "bic_per_k" and "count_per_k" (the components
 * each fit kept). The caller owns the result (cJSON_Delete).
 */
cJSON *asgd_geomix_json(const asgd_geomix *m, const asgd_geomix *all, size_t kmax);

#endif /* ASGD_GEOMIX_H */
