/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exact.c — exact moments for affine gradients: the affine data and the matrix pieces of the
 * moment equations, the dispatch to the discrete recursions (exact_discrete.c) or the SMEs'
 * moment ODEs (exact_sme.c), the split of separable problems into coordinates, and moments.csv
 * output.
 *
 * Why exact: a Monte Carlo ensemble can only be checked against something without sampling noise,
 * and for quadratic objectives every model's first two moments are computable in closed form.
 */
#include "asgd/exact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "core/linalg_internal.h"
#include "exact_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Affine data
 */

static int is_diagonal(const double *M, size_t d)
{
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			if (r != c && M[r * d + c] != 0)
				return 0;
	return 1;
}

static void affine_summaries(asgd_exact_affine *q)
{
	size_t d = q->dim, dd = d * d, n = q->n;

	q->common = 1;
	q->diagonal = 1;
	for (size_t i = 0; i < n; i++) {
		const double *Ai = q->A + i * dd, *bi = q->b + i * d;

		for (size_t k = 0; k < dd; k++)
			q->Abar[k] += Ai[k] / (double)n;
		for (size_t r = 0; r < d; r++) {
			q->bbar[r] += bi[r] / (double)n;
			for (size_t c = 0; c < d; c++)
				q->bb[r * d + c] += bi[r] * bi[c] / (double)n;
		}
		if (!is_diagonal(Ai, d))
			q->diagonal = 0;
		if (i > 0 && memcmp(Ai, q->A, dd * sizeof(*Ai)) != 0)
			q->common = 0;
	}
	/* With one shared A_i, Abar is that matrix exactly, not a rounded mean of copies. */
	if (q->common)
		memcpy(q->Abar, q->A, dd * sizeof(*q->A));
}

int asgd_exact_affine_init(asgd_exact_affine *q, size_t dim, size_t n, const double *A,
			   const double *b)
{
	asgd_exact_affine t = { .dim = dim, .n = n };
	size_t dd;

	if (!q || !A || !b || dim == 0 || n == 0 || dim > SIZE_MAX / dim)
		return ASGD_EINVAL;
	dd = dim * dim;
	if (n > SIZE_MAX / sizeof(double) / dd)
		return ASGD_EINVAL;
	t.A = malloc(n * dd * sizeof(double));
	t.b = malloc(n * dim * sizeof(double));
	t.Abar = calloc(dd, sizeof(double));
	t.bbar = calloc(dim, sizeof(double));
	t.bb = calloc(dd, sizeof(double));
	if (!t.A || !t.b || !t.Abar || !t.bbar || !t.bb) {
		asgd_exact_affine_free(&t);
		return ASGD_ENOMEM;
	}
	/* Only the symmetric part of A_i enters f_i; the moment equations assume symmetry. */
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < dim; r++)
			for (size_t c = 0; c < dim; c++) {
				const double *Ai = A + i * dd;

				t.A[i * dd + r * dim + c] = 0.5 * (Ai[r * dim + c] + Ai[c * dim + r]);
			}
	memcpy(t.b, b, n * dim * sizeof(double));
	affine_summaries(&t);
	*q = t;
	return ASGD_OK;
}

int asgd_exact_affine_from_problem(asgd_exact_affine *q, const asgd_problem *p)
{
	size_t d, n;
	double *A, *b;
	int rc;

	if (!q || !p)
		return ASGD_EINVAL;
	d = asgd_problem_dim(p);
	n = asgd_problem_components(p);
	if (d > SIZE_MAX / d || n > SIZE_MAX / sizeof(double) / (d * d))
		return ASGD_EINVAL;
	A = malloc(n * d * d * sizeof(double));
	b = malloc(n * d * sizeof(double));
	if (!A || !b) {
		free(A);
		free(b);
		return ASGD_ENOMEM;
	}
	rc = asgd_problem_quadratic_parts(p, A, b);
	if (rc == ASGD_OK)
		rc = asgd_exact_affine_init(q, d, n, A, b);
	free(A);
	free(b);
	return rc;
}

void asgd_exact_affine_free(asgd_exact_affine *q)
{
	if (!q)
		return;
	free(q->A);
	free(q->b);
	free(q->Abar);
	free(q->bbar);
	free(q->bb);
	memset(q, 0, sizeof(*q));
}

int asgd_exact_affine_coordinate(const asgd_exact_affine *q, size_t j, asgd_exact_affine *out)
{
	double *A, *b;
	size_t d;
	int rc;

	if (!q || !out || !q->diagonal || j >= q->dim)
		return ASGD_EINVAL;
	d = q->dim;
	A = malloc(q->n * sizeof(double));
	b = malloc(q->n * sizeof(double));
	if (!A || !b) {
		free(A);
		free(b);
		return ASGD_ENOMEM;
	}
	for (size_t i = 0; i < q->n; i++) {
		A[i] = q->A[i * d * d + j * d + j];
		b[i] = q->b[i * d + j];
	}
	rc = asgd_exact_affine_init(out, 1, q->n, A, b);
	free(A);
	free(b);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Matrix pieces of the moment equations (all d×d row-major, A symmetric)
 */

/* out = M·L, using L = Lᵀ: (M L)[r][c] = Σ_k M[r][k] L[c][k]; O(d²) for a diagonal L. */
static void matmul_sym_right(const double *M, const double *L, double *out, size_t d, int ldiag)
{
	for (size_t r = 0; r < d; r++) {
		const double *mr = M + r * d;

		for (size_t c = 0; c < d; c++) {
			const double *lc = L + c * d;
			double s = 0;

			if (ldiag) {
				out[r * d + c] = mr[c] * lc[c];
				continue;
			}
			for (size_t k = 0; k < d; k++)
				s += mr[k] * lc[k];
			out[r * d + c] = s;
		}
	}
}

void asgd_exact_mul_left(const asgd_exact_affine *q, const double *M, double *out)
{
	asgd__matmul(q->Abar, M, out, q->dim);
}

void asgd_exact_mul_right(const asgd_exact_affine *q, const double *M, double *out)
{
	matmul_sym_right(M, q->Abar, out, q->dim, q->diagonal);
}

void asgd__exact_mul_vec(const asgd_exact_affine *q, const double *v, double *out)
{
	size_t d = q->dim;

	for (size_t r = 0; r < d; r++) {
		double s = 0;

		for (size_t c = 0; c < d; c++)
			s += q->Abar[r * d + c] * v[c];
		out[r] = s;
	}
}

/*
 * out = L M L − (L m) vᵀ − v (L m)ᵀ + W: the expected outer product of L x − v over the law of x,
 * up to the constant term W (v vᵀ for one component, (1/n)Σ b_i b_iᵀ for the mean of S).
 */
static void affine_outer(const double *L, const double *v, const double *W, const double *M,
			 const double *m, double *out, double *work, size_t d, int ldiag)
{
	double *LM = work, *Lm = work + d * d;

	asgd__matmul(L, M, LM, d);
	matmul_sym_right(LM, L, out, d, ldiag);
	for (size_t r = 0; r < d; r++) {
		double s = 0;

		for (size_t k = 0; k < d; k++)
			s += L[r * d + k] * m[k];
		Lm[r] = s;
	}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			out[r * d + c] += -Lm[r] * v[c] - v[r] * Lm[c] + (W ? W[r * d + c] : v[r] * v[c]);
}

void asgd_exact_grad_outer(const asgd_exact_affine *q, const double *M, const double *m,
			   double *out, double *work)
{
	affine_outer(q->Abar, q->bbar, NULL, M, m, out, work, q->dim, q->diagonal);
}

void asgd_exact_second(const asgd_exact_affine *q, const double *M, const double *m,
		       double *out, double *work)
{
	size_t d = q->dim, dd = d * d;
	double *one;

	if (q->common) {
		affine_outer(q->Abar, q->bbar, q->bb, M, m, out, work, d, q->diagonal);
		return;
	}
	/* One component at a time; the last column block of work holds its outer product. */
	memset(out, 0, dd * sizeof(*out));
	one = work + dd + d;	/* past affine_outer's own dd + d */
	for (size_t i = 0; i < q->n; i++) {
		affine_outer(q->A + i * dd, q->b + i * d, NULL, M, m, one, work, d, q->diagonal);
		for (size_t k = 0; k < dd; k++)
			out[k] += one[k] / (double)q->n;
	}
}

void asgd_exact_covariance(const asgd_exact_affine *q, const double *M, const double *m,
			   double *out, double *work)
{
	size_t dd = q->dim * q->dim;
	double *g = work + 2 * dd + q->dim;	/* past asgd_exact_second's 2·dd + d */

	/* With a common Hessian C(x) = (1/n)Σ b_i b_iᵀ − b̄b̄ᵀ for every x: no rounding from M. */
	if (q->common) {
		for (size_t r = 0; r < q->dim; r++)
			for (size_t c = 0; c < q->dim; c++)
				out[r * q->dim + c] = q->bb[r * q->dim + c] - q->bbar[r] * q->bbar[c];
		return;
	}
	asgd_exact_second(q, M, m, out, work);
	asgd_exact_grad_outer(q, M, m, g, work);
	for (size_t k = 0; k < dd; k++)
		out[k] -= g[k];
}


/* ---------------------------------------------------------------------------------------------
 * Dispatch
 */

static int uses_mu(asgd_model m)
{
	return m != ASGD_MODEL_SGD && m != ASGD_MODEL_SME_SGD;
}

static int check_config(const asgd_exact_config *cfg)
{
	if (cfg->model < 0 || cfg->model >= ASGD_MODEL_COUNT || cfg->sigma < 0 ||
	    cfg->sigma >= ASGD_SIGMA_COUNT)
		return ASGD_EINVAL;
	if (!(cfg->eta > 0) || !isfinite(cfg->eta))
		return ASGD_EINVAL;
	if (uses_mu(cfg->model) && !(cfg->mu >= 0 && cfg->mu < 1))
		return ASGD_EINVAL;
	if (cfg->iters >= SIZE_MAX / sizeof(double))
		return ASGD_EINVAL;
	return ASGD_OK;
}

static int moments_alloc(asgd_exact_moments *m, size_t steps, size_t dim, double dt)
{
	if (steps > SIZE_MAX / sizeof(double) / dim)
		return ASGD_EINVAL;
	m->steps = steps;
	m->dim = dim;
	m->dt = dt;
	m->mean = malloc(steps * dim * sizeof(double));
	m->second = malloc(steps * dim * sizeof(double));
	if (!m->mean || !m->second) {
		asgd_exact_moments_free(m);
		return ASGD_ENOMEM;
	}
	return ASGD_OK;
}

/* One model on full d×d moments into an allocated @out. */
static int run_dense(const asgd_exact_config *cfg, const asgd_exact_affine *q, const double *x0,
		     asgd_exact_moments *out)
{
	switch (cfg->model) {
	case ASGD_MODEL_ASGD:
		return asgd__exact_run_asgd(cfg, q, x0, cfg->mu, 0, out);
	case ASGD_MODEL_SGD:
		return asgd__exact_run_asgd(cfg, q, x0, 0.0, 0, out);
	case ASGD_MODEL_MINIBATCH:
		return asgd__exact_run_asgd(cfg, q, x0, cfg->mu, 1, out);
	case ASGD_MODEL_MSGD:
		return asgd__exact_run_msgd(cfg, q, x0, out);
	default:
		return asgd_exact_sme(cfg, q, x0, out);
	}
}

/*
 * With every A_i diagonal, coordinate j of every model is the same model on the 1-D problem
 * (A_i[j][j], b_i[j]): the drift of x_j involves x_j only, and the noise variance of x_j is the
 * (j, j) entry of Σ, which involves x_j only. So the marginal moments come from d runs in 1-D.
 */
static int run_separable(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			 const double *x0, asgd_exact_moments *out)
{
	size_t d = q->dim;
	int rc = ASGD_OK;

	for (size_t j = 0; j < d && rc == ASGD_OK; j++) {
		asgd_exact_affine qj;
		asgd_exact_moments mj = { 0 };

		if (asgd__stop_raised(cfg->stop)) {	/* each coordinate is a run of K steps */
			rc = ASGD_EINTR;
			break;
		}
		rc = asgd_exact_affine_coordinate(q, j, &qj);
		if (rc)
			break;
		rc = moments_alloc(&mj, out->steps, 1, out->dt);
		if (rc == ASGD_OK)
			rc = run_dense(cfg, &qj, x0 + j, &mj);
		for (size_t k = 0; rc == ASGD_OK && k < out->steps; k++) {
			out->mean[k * d + j] = mj.mean[k];
			out->second[k * d + j] = mj.second[k];
		}
		asgd_exact_moments_free(&mj);
		asgd_exact_affine_free(&qj);
	}
	return rc;
}

int asgd_exact_run_affine(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			  const double *x0, asgd_exact_moments *out)
{
	asgd_exact_moments m = { 0 };
	double mu;
	int rc;

	if (!cfg || !q || !x0 || !out)
		return ASGD_EINVAL;
	rc = check_config(cfg);
	if (rc)
		return rc;
	mu = uses_mu(cfg->model) ? cfg->mu : 0;
	rc = moments_alloc(&m, (size_t)cfg->iters + 1, q->dim,
			   asgd_model_time_step(cfg->model, cfg->eta, mu));
	if (rc)
		return rc;
	if (q->diagonal && q->dim > 1 && !cfg->dense)
		rc = run_separable(cfg, q, x0, &m);
	else
		rc = run_dense(cfg, q, x0, &m);
	if (rc) {
		asgd_exact_moments_free(&m);
		return rc;
	}
	*out = m;
	return ASGD_OK;
}

int asgd_exact_supported(const asgd_problem *p)
{
	asgd_exact_affine q;

	if (!p || asgd_exact_affine_from_problem(&q, p) != ASGD_OK)
		return 0;
	asgd_exact_affine_free(&q);
	return 1;
}

int asgd_exact_run(const asgd_exact_config *cfg, asgd_exact_moments *out)
{
	asgd_exact_affine q;
	int rc;

	if (!cfg || !cfg->problem || !out)
		return ASGD_EINVAL;
	rc = check_config(cfg);
	if (rc)
		return rc;
	rc = asgd_exact_affine_from_problem(&q, cfg->problem);
	if (rc)
		return rc;
	rc = asgd_exact_run_affine(cfg, &q, cfg->x0 ? cfg->x0 : asgd_problem_x0(cfg->problem), out);
	asgd_exact_affine_free(&q);
	return rc;
}

void asgd_exact_moments_free(asgd_exact_moments *m)
{
	if (!m)
		return;
	free(m->mean);
	free(m->second);
	memset(m, 0, sizeof(*m));
}

/* %.10g as moments.csv prints it, with one spelling of NaN. */
static void put_num(FILE *fp, double x)
{
	if (isnan(x))
		fputs(",nan", fp);
	else
		fprintf(fp, ",%.10g", x);
}

int asgd_exact_write_csv(const asgd_exact_moments *m, const char *path)
{
	asgd_atomic_file af;
	int rc;

	if (!m || !path || !m->mean || !m->second || m->steps == 0 || m->dim == 0)
		return ASGD_EINVAL;
	rc = asgd_atomic_open(&af, path);
	if (rc != ASGD_OK)
		return rc;
	fputs(m->dim > 1 ? "k,t,coord,mean,second_moment,var,se_mean,se_second\n"
			 : "k,t,mean,second_moment,var,se_mean,se_second\n", af.fp);
	for (size_t k = 0; k < m->steps; k++)
		for (size_t c = 0; c < m->dim; c++) {
			double mean = m->mean[k * m->dim + c], second = m->second[k * m->dim + c];

			fprintf(af.fp, "%zu", k);
			put_num(af.fp, (double)k * m->dt);
			if (m->dim > 1)
				fprintf(af.fp, ",%zu", c);
			put_num(af.fp, mean);
			put_num(af.fp, second);
			put_num(af.fp, second - mean * mean);
			fputs(",0,0\n", af.fp);
		}
	return asgd_atomic_commit(&af);
}
