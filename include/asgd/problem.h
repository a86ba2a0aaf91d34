/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/problem.h — objectives with n components, f(x) = (1/n) Σ_i f_i(x) (the paper's (2.1) setting).
 *
 * A problem is created once, from a preset name (the paper's Figures 4–8 and a benchmark quadratic)
 * or from explicit quadratic data, and is immutable afterwards: every function taking a
 * `const asgd_problem *` may be called from any number of threads at once without locking.
 * Vectors are arrays of asgd_problem_dim() doubles; matrices are dim*dim, row-major.
 */
#ifndef ASGD_PROBLEM_H
#define ASGD_PROBLEM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/error.h"

/** The largest d or n a preset spec may ask for: beyond it every output per coordinate (a moment
 * table has d columns a row) is gigabytes, and a typo in a spec should not be a night's run. */
#define ASGD_PROBLEM_MAX_SIZE (1u << 20)

/** An objective with n components; opaque, immutable after creation. */
typedef struct asgd_problem asgd_problem;

/*
 * Create a problem from a preset spec: a name, optionally followed by a colon and comma-separated
 * key=value parameters, e.g. "fig4", "fig6:seed=7", "quadratic:d=1000,n=10,seed=3".
 *
 * Presets and the parameters they take (asgd_problem_describe() has one line for each):
 *   fig4, fig5-quartic, fig5-doublewell   none
 *   fig6, fig7                             d (dimension, default 100), seed
 *   fig8                                   n (components, default 100)
 *   quadratic                              d (default 10), n (default 10), seed
 * Integers are decimal; d and n must lie in 1..ASGD_PROBLEM_MAX_SIZE. Random coefficients come
 * from a private generator with a fixed per-preset default seed, so a spec names the same
 * problem in every run and on every machine.
 *
 * On success stores a new problem in *out (free it with asgd_problem_destroy) and returns ASGD_OK.
 * Returns ASGD_EINVAL for a NULL argument or a malformed, unknown, repeated or out-of-range
 * parameter, ASGD_ENOTFOUND for an unknown preset name, ASGD_ENOMEM when out of memory; *out is
 * left untouched on failure. Thread-safe.
 */
int asgd_problem_create(const char *spec, asgd_problem **out);

/*
 * General n-component quadratic f_i(x) = ½ xᵀA_i x − b_iᵀx + c_i.
 * A: n*dim*dim doubles, the A_i one after the other, each row-major; b: n*dim; c: n, or NULL for
 * all zero. The data are copied; the caller keeps ownership of its arrays. Each A_i should be
 * symmetric; only its symmetric part enters f_i, and the copy stores that part ((A_i + A_iᵀ)/2),
 * so ∇f_i is right even for a matrix that is symmetric only up to rounding.
 * Returns ASGD_OK and a new problem named "custom-quadratic" in *out, ASGD_EINVAL for NULL A, b or
 * out, dim or n equal to 0, sizes that overflow, or a non-finite entry, ASGD_ENOMEM when out of
 * memory. x0 is the zero vector, default η 1e-2, μ 0, 1000 iterations. Thread-safe.
 */
int asgd_problem_create_quadratic(size_t dim, size_t n, const double *A, const double *b,
				  const double *c, asgd_problem **out);

/** Free a problem and everything it owns; NULL is a no-op. Not to be called while others use p. */
void asgd_problem_destroy(asgd_problem *p);

/** The preset name ("fig6", "quadratic", ...), "custom-quadratic", or a data model's loss name
 * ("logistic", ...); owned by p, never NULL. */
const char *asgd_problem_name(const asgd_problem *p);

/*
 * The canonical spec: the name with every parameter spelled out, e.g. "quadratic:d=10,n=10,seed=1"
 * (just the name for presets without parameters). asgd_problem_create() of this string gives the
 * same problem again, which is what a results file should record. Owned by p, never NULL.
 */
const char *asgd_problem_spec(const asgd_problem *p);

/** Dimension d of x. */
size_t asgd_problem_dim(const asgd_problem *p);

/** Number n of components f_i. */
size_t asgd_problem_components(const asgd_problem *p);

/** The preset's initial point x_0: dim values owned by p, valid until asgd_problem_destroy. */
const double *asgd_problem_x0(const asgd_problem *p);

/** The step size η of the paper's figure for this preset (1e-2 where the paper has none). */
double asgd_problem_default_eta(const asgd_problem *p);

/** The first momentum/staleness μ of the paper's figure for this preset; 0 if it has none. */
double asgd_problem_default_mu(const asgd_problem *p);

/** An iteration horizon long enough to show the figure's dynamics. */
uint64_t asgd_problem_default_iters(const asgd_problem *p);

/** f(x) = (1/n) Σ_i f_i(x). No allocation; thread-safe. */
double asgd_problem_f(const asgd_problem *p, const double *x);

/** f_i(x) for a component index i < n (checked only by assert). No allocation; thread-safe. */
double asgd_problem_fi(const asgd_problem *p, size_t i, const double *x);

/*
 * ∇f_i(x) into g (dim values; g must not alias x), for i < n (checked only by assert).
 * The hot path of every algorithm: no allocation, no locking, O(dim) for every preset
 * (O(dim²) for asgd_problem_create_quadratic's dense matrices). Thread-safe.
 */
void asgd_problem_grad_i(const asgd_problem *p, size_t i, const double *x, double *g);

/** ∇f(x) = (1/n) Σ_i ∇f_i(x) into g (must not alias x). No allocation; thread-safe. */
void asgd_problem_grad(const asgd_problem *p, const double *x, double *g);

/*
 * asgd_problem_hess_vec - the Hessian-vector product ∇²f(x) v into @out (must alias neither x
 * nor v), exactly, for the families that have it in closed form: the models on data (two passes
 * over the rows; the hinge loss's Hessian is λ off its kinks, which have measure zero). Returns
 * ASGD_ENOTFOUND, writing nothing, for the others, whose callers difference ∇f instead. No
 * allocation; thread-safe.
 */
int asgd_problem_hess_vec(const asgd_problem *p, const double *x, const double *v, double *out);

/*
 * asgd_problem_grad_weighted - ∇f(x) into @g and Σ_i z_i ∇f_i(x) into @zg (@z: n weights) in
 * one pass over the components, for the families that have such a pass (the models on data:
 * each row's margin is taken once and serves both sums). Returns ASGD_ENOTFOUND, writing
 * nothing, for the others. @g and @zg must alias neither x nor each other. No allocation;
 * thread-safe.
 */
int asgd_problem_grad_weighted(const asgd_problem *p, const double *x, const double *z, double *g,
			       double *zg);

/*
 * The component-gradient covariance at x, (1/n) Σ_i (∇f_i − ∇f)(∇f_i − ∇f)ᵀ — the Σ of SME (2.11)
 * with zero staleness — into cov (dim*dim, row-major, exactly symmetric). Computed in two passes
 * (mean, then centred outer products) so that a small spread around a large mean keeps its digits.
 * Costs O(n·dim²) time and O(dim) scratch. Returns ASGD_OK, ASGD_EINVAL for a NULL argument or
 * ASGD_ENOMEM (cov untouched then). Thread-safe.
 */
int asgd_problem_covariance(const asgd_problem *p, const double *x, double *cov);

/*
 * asgd_problem_covariance_sample - the covariance of asgd_problem_covariance() estimated on @m
 * components drawn uniformly with replacement from the stream (@seed, 0): the mean and the
 * centred outer products are both taken over the sample (divisor m − 1), an unbiased estimate.
 * For data sets too large to sweep at every x. @m ≥ 2; m ≥ n is still a sample, not the sweep.
 * Returns ASGD_OK, ASGD_EINVAL (NULL argument, m < 2) or ASGD_ENOMEM. Thread-safe.
 */
int asgd_problem_covariance_sample(const asgd_problem *p, const double *x, size_t m,
				   uint64_t seed, double *cov);

/*
 * Sparse gradients. A data model's ∇f_i is non-zero only on the features row i stores; the
 * engine's in-place and Hogwild modes read and write just those coordinates. Every problem
 * answers these functions: a dense one has every coordinate as its support.
 */

/*
 * asgd_problem_support - the coordinates where ∇f_i may be non-zero: returns their number and
 * stores in *idx their indices, strictly increasing and owned by p — or NULL, meaning all of
 * 0..dim−1 in order (dense problems). i < n (checked only by assert). Thread-safe.
 */
size_t asgd_problem_support(const asgd_problem *p, size_t i, const uint32_t **idx);

/** The largest asgd_problem_support() over all i: the size a gather buffer needs. */
size_t asgd_problem_max_support(const asgd_problem *p);

/** Nonzero when some component's support is smaller than dim (a data model on sparse rows). */
int asgd_problem_is_sparse(const asgd_problem *p);

/*
 * asgd_problem_grad_support - ∇f_i on its support, from x on its support: with (s, idx) from
 * asgd_problem_support, xs[e] = x[idx[e]] for e < s (x itself when idx is NULL), and gs[e]
 * receives ∂f_i/∂x_{idx[e]}. It reads nothing but xs, so a caller may gather xs however it must
 * (relaxed atomic loads, in Hogwild). gs must not alias xs. No allocation; thread-safe.
 */
void asgd_problem_grad_support(const asgd_problem *p, size_t i, const double *xs, double *gs);

/*
 * asgd_problem_prefetch - a hint that component i will be read soon: starts bringing its data
 * (a data model's row) into the cache without waiting for it. Changes no result. On a large
 * data set a random row is a cache miss on each of its arrays, and finding the row is one
 * more: @stage 0 fetches only where row i lies (call it two gradients ahead), stage 1 the row
 * itself (one gradient ahead, when stage 0 has brought its bounds). i < n. Thread-safe.
 */
void asgd_problem_prefetch(const asgd_problem *p, size_t i, int stage);

/*
 * A global minimizer of f into x (dim values), where it is known in closed form or by a reliable
 * 1-D root find: fig4 0, fig5-quartic 0, fig5-doublewell the positive one (≈ 0.957504; the two
 * minima ±0.957504 are equally deep, and ties go to the largest), fig6 0, fig7 0, fig8 the mean of
 * the c_i, quadratic and custom-quadratic the solution of (mean A_i) x = mean b_i; a data model
 * (asgd/datamodel.h) its regularised minimizer, for every loss and d, by the solvers of
 * docs/MODELS.md §7 (to ‖∇f‖ ≤ 10⁻¹⁰‖∇f(0)‖, or the hinge dual's projected gradients to 10⁻¹⁰).
 * Returns ASGD_OK, ASGD_EINVAL for a NULL argument, or ASGD_ENOTFOUND where no minimizer is known
 * (a quadratic or data model whose Hessian is not positive definite, the hinge loss at λ = 0, a
 * solver that did not reach its tolerance); x is untouched on failure. Thread-safe.
 */
int asgd_problem_minimizer(const asgd_problem *p, double *x);

/*
 * asgd_problem_minimizer_stop - asgd_problem_minimizer, looking at @stop (NULL: never) in its
 * long solves: a data model's Newton steps, normal equations, Newton-CG or dual coordinate descent
 * (seconds at d = 4096 or n = 200 000, seen within ~0.1 ms of work) and a dense quadratic's
 * Cholesky. Returns as
 * asgd_problem_minimizer, or ASGD_EINTR when @stop was raised before the solve ended (x
 * untouched). Closed forms finish whatever the flag says.
 */
int asgd_problem_minimizer_stop(const asgd_problem *p, double *x, const atomic_int *stop);

/*
 * asgd_problem_solve - compute the minimizer once and keep it in @p, so that every later
 * asgd_problem_minimizer() is a copy. A data model's solve can take seconds, and one command asks
 * for x* several times (its defaults, the optimum beside the run, the sweep's spread). Not
 * thread-safe: call it before @p is shared. Returns as asgd_problem_minimizer_stop; on failure
 * nothing is kept, and later calls solve again.
 */
int asgd_problem_solve(asgd_problem *p, const atomic_int *stop);

/*
 * asgd_problem_keep_minimizer - keep a copy of @x (dim values) as @p's minimizer, the one every
 * later asgd_problem_minimizer() returns, in place of @p's own. For a problem that stands for
 * another: a sample of a data set's rows (asgd_problem_create_data_part) estimates the whole
 * set's objective, whose minimizer is the whole set's, not the sample's own (which fits the
 * sample's noise, and would make f − f* look larger than it is). Not thread-safe, as
 * asgd_problem_solve. Returns ASGD_OK, ASGD_EINVAL (NULL) or ASGD_ENOMEM.
 */
int asgd_problem_keep_minimizer(asgd_problem *p, const double *x);

/*
 * All local minimizers of f, where known: writes the first min(cap, count) of them into x, one
 * after the other (dim values each), ordered by increasing first coordinate, and their number into
 * *count. fig5-doublewell has two (−0.957504 and 0.957504); the convex presets have one, the global
 * minimizer. x may be NULL when cap is 0 (to ask for the count). Returns ASGD_OK, ASGD_EINVAL for
 * a NULL p or count (or NULL x with cap > 0), ASGD_ENOTFOUND as asgd_problem_minimizer does.
 * Thread-safe.
 */
int asgd_problem_local_minima(const asgd_problem *p, double *x, size_t cap, size_t *count);

/*
 * asgd_problem_quadratic_parts - the affine gradients of a quadratic problem: ∇f_i(x) = A_i x − b_i
 * for every i (fig4, fig8, fig6, quadratic and custom-quadratic).
 * @A: receives n*dim*dim doubles, the A_i one after the other, each row-major (symmetric).
 * @b: receives n*dim doubles, the b_i one after the other.
 * Returns ASGD_OK; ASGD_ENOTFOUND when the problem's gradients are not affine (fig5-*, fig7;
 * A and b untouched); ASGD_EINVAL for a NULL argument. Thread-safe.
 */
int asgd_problem_quadratic_parts(const asgd_problem *p, double *A, double *b);

/*
 * The preset names, in the order of the paper's figures, for --help and error messages.
 * Returns a static array (never freed) and stores its length in *count (count may be NULL).
 */
const char *const *asgd_problem_presets(size_t *count);

/*
 * A one-line description of a preset (a bare name, without parameters), static; NULL if unknown.
 */
const char *asgd_problem_describe(const char *preset);

#endif /* ASGD_PROBLEM_H */
