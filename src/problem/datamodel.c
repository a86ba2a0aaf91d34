/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * datamodel.c — least squares, logistic regression and the hinge-loss SVM over a dataset, as an
 * asgd_problem family (asgd/datamodel.h has the objective and why the regulariser is split).
 *
 * Every function of the family works on one row's support: the margin a_i·x needs x only where
 * row i stores a feature, and the gradient is non-zero only there. The dense entry points
 * (grad_i, fi) gather x onto the support and call the same code, so the sparse path the engine
 * uses and the dense path the simulators use cannot disagree.
 *
 * The minimizer is computed independently of any SGD, in datamodel_optimum.c: for every loss
 * and every d (Cholesky for the smooth losses up to d = 4096, Newton-CG beyond, dual coordinate
 * descent for the hinge loss), each checked against liblinear (scripts/liblinear-check.sh).
 */
#include "asgd/datamodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "datamodel_internal.h"

#define DEFAULT_ITERS_CAP 10000000ull

static const char *const loss_names[] = { "squares", "logistic", "hinge" };

/* ---- one example ------------------------------------------------------------------------- */

/* ℓ(m, y) and ∂ℓ/∂m. */
static double loss_value(asgd_loss loss, double m, double y)
{
	double z = y * m;

	switch (loss) {
	case ASGD_LOSS_SQUARES:
		return 0.5 * (m - y) * (m - y);
	case ASGD_LOSS_LOGISTIC: /* log(1 + e^{−z}) without overflow for either sign of z */
		return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
	case ASGD_LOSS_HINGE:
		return z < 1 ? 1 - z : 0;
	}
	return NAN;
}

/* ∂²ℓ/∂m² (labels are ±1 for the classification losses); the hinge's is 0 off its kink. */
static double loss_curvature(asgd_loss loss, double m, double y)
{
	double e;

	switch (loss) {
	case ASGD_LOSS_SQUARES:
		return 1;
	case ASGD_LOSS_LOGISTIC: /* σ(z)σ(−z) = e^{−|z|}/(1 + e^{−|z|})² */
		e = exp(-fabs(y * m));
		return e / ((1 + e) * (1 + e));
	case ASGD_LOSS_HINGE:
		return 0;
	}
	return NAN;
}

static double loss_slope(asgd_loss loss, double m, double y)
{
	double z = y * m;

	switch (loss) {
	case ASGD_LOSS_SQUARES:
		return m - y;
	case ASGD_LOSS_LOGISTIC: /* −y σ(−z), σ(−z) = 1/(1 + e^{z}) */
		return z > 0 ? -y * exp(-z) / (1 + exp(-z)) : -y / (1 + exp(z));
	case ASGD_LOSS_HINGE:
		return z < 1 ? -y : 0;
	}
	return NAN;
}

static size_t row_start(const struct datamodel *dm, size_t i)
{
	return dm->ds->row_ptr[i];
}

static size_t row_len(const struct datamodel *dm, size_t i)
{
	return dm->ds->row_ptr[i + 1] - dm->ds->row_ptr[i];
}

/* λ on the stored features, 0 elsewhere: the split regulariser's weights summed over the rows. */
static double reg_total(const struct datamodel *dm, size_t j)
{
	return (dm->stored[j >> 6] >> (j & 63)) & 1 ? dm->lambda : 0;
}

/*
 * The margins sum in four running sums, one per residue of e mod 4, added pairwise at the end:
 * one sum's additions wait on each other (4 cycles apiece), four overlap, and the margins of a
 * pass over the rows are then as fast as the loads. The support and the dense form add in the
 * same order, so the engine's sparse path and the simulators' dense one agree to the bit.
 */
static double margin_support(const struct datamodel *dm, size_t i, const double *xs)
{
	const double *a = dm->ds->val + row_start(dm, i);
	size_t s = row_len(dm, i), e = 0;
	double m0 = 0, m1 = 0, m2 = 0, m3 = 0;

	for (; e + 4 <= s; e += 4) {
		m0 += a[e] * xs[e];
		m1 += a[e + 1] * xs[e + 1];
		m2 += a[e + 2] * xs[e + 2];
		m3 += a[e + 3] * xs[e + 3];
	}
	for (; e < s; e++)
		m0 += a[e] * xs[e];
	return (m0 + m1) + (m2 + m3);
}

static double margin_dense(const struct datamodel *dm, size_t i, const double *x)
{
	const double *a = dm->ds->val + row_start(dm, i);
	const uint32_t *col = dm->ds->col + row_start(dm, i);
	size_t s = row_len(dm, i), e = 0;
	double m0 = 0, m1 = 0, m2 = 0, m3 = 0;

	for (; e + 4 <= s; e += 4) {
		m0 += a[e] * x[col[e]];
		m1 += a[e + 1] * x[col[e + 1]];
		m2 += a[e + 2] * x[col[e + 2]];
		m3 += a[e + 3] * x[col[e + 3]];
	}
	for (; e < s; e++)
		m0 += a[e] * x[col[e]];
	return (m0 + m1) + (m2 + m3);
}

/* ---- the family -------------------------------------------------------------------------- */

static size_t dm_support(const asgd_problem *p, size_t i, const uint32_t **idx)
{
	const struct datamodel *dm = &p->u.dm;

	*idx = dm->ds->col + row_start(dm, i);
	return row_len(dm, i);
}

static void dm_grad_support(const asgd_problem *p, size_t i, const double *xs, double *gs)
{
	const struct datamodel *dm = &p->u.dm;
	const double *a = dm->ds->val + row_start(dm, i);
	const uint32_t *col = dm->ds->col + row_start(dm, i);
	size_t s = row_len(dm, i);
	double slope = loss_slope(dm->loss, margin_support(dm, i, xs), dm->y[i]);

	for (size_t e = 0; e < s; e++)
		gs[e] = slope * a[e] + dm->reg[col[e]] * xs[e];
}

/* Row i's label, features and values: a cache line at a time, no waiting. The row's bounds are a
 * load that may miss too; the prefetches after it wait for it, the caller's work does not. */
static void prefetch_lines(const void *from, size_t bytes)
{
	const char *p = (const char *)((uintptr_t)from & ~(uintptr_t)63), *end = (const char *)from + bytes;

	for (; p < end; p += 64)
		__builtin_prefetch(p);
}

static void dm_prefetch(const asgd_problem *p, size_t i, int stage)
{
	const struct datamodel *dm = &p->u.dm;
	size_t a, s;

	if (stage == 0) { /* the bounds, and the label while we are at it */
		__builtin_prefetch(&dm->ds->row_ptr[i]);
		__builtin_prefetch(&dm->y[i]);
		return;
	}
	a = row_start(dm, i);
	s = row_len(dm, i);
	prefetch_lines(dm->ds->col + a, s * sizeof(uint32_t));
	prefetch_lines(dm->ds->val + a, s * sizeof(double));
}

static double dm_fi(const asgd_problem *p, size_t i, const double *x)
{
	const struct datamodel *dm = &p->u.dm;
	const uint32_t *col = dm->ds->col + row_start(dm, i);
	size_t s = row_len(dm, i);
	double r = 0;

	for (size_t e = 0; e < s; e++)
		r += dm->reg[col[e]] * x[col[e]] * x[col[e]];
	return loss_value(dm->loss, margin_dense(dm, i, x), dm->y[i]) + 0.5 * r;
}

static void dm_grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	const struct datamodel *dm = &p->u.dm;
	const double *a = dm->ds->val + row_start(dm, i);
	const uint32_t *col = dm->ds->col + row_start(dm, i);
	size_t s = row_len(dm, i);
	double slope = loss_slope(dm->loss, margin_dense(dm, i, x), dm->y[i]);

	memset(g, 0, p->dim * sizeof(*g));
	for (size_t e = 0; e < s; e++)
		g[col[e]] = slope * a[e] + dm->reg[col[e]] * x[col[e]];
}

/* out += w a_i. */
static void add_row(const struct datamodel *dm, size_t i, double w, double *out)
{
	const double *a = dm->ds->val + row_start(dm, i);
	const uint32_t *col = dm->ds->col + row_start(dm, i);
	size_t s = row_len(dm, i);

	for (size_t e = 0; e < s; e++)
		out[col[e]] += w * a[e];
}

/* out = out/n + λ v on the stored features: a sum over the rows made a mean, plus the split
 * regulariser's part, which summed over the rows is λ v_j wherever feature j is stored. */
static void mean_plus_reg(const asgd_problem *p, const double *v, double *out)
{
	for (size_t j = 0; j < p->dim; j++)
		out[j] = out[j] / (double)p->n + reg_total(&p->u.dm, j) * v[j];
}

/* ∇f = (1/n) Σ_i ℓ'(a_i·x) a_i + λ x on the stored features (the split regulariser summed). */
static void dm_grad(const asgd_problem *p, const double *x, double *g)
{
	const struct datamodel *dm = &p->u.dm;

	memset(g, 0, p->dim * sizeof(*g));
	for (size_t i = 0; i < p->n; i++)
		add_row(dm, i, loss_slope(dm->loss, margin_dense(dm, i, x), dm->y[i]), g);
	mean_plus_reg(p, x, g);
}

/*
 * Σ x_j² over the stored features, in four overlapping sums as the margins. When every feature
 * is stored only x is read: on a large sparse set this loop, not the margins, set the pass's time
 * while it also streamed the counts.
 */
static double stored_norm2(const struct datamodel *dm, const double *x, size_t d)
{
	double r0 = 0, r1 = 0, r2 = 0, r3 = 0;
	size_t j = 0;

	for (; !dm->unstored && j + 4 <= d; j += 4) {
		r0 += x[j] * x[j];
		r1 += x[j + 1] * x[j + 1];
		r2 += x[j + 2] * x[j + 2];
		r3 += x[j + 3] * x[j + 3];
	}
	for (; j + 4 <= d; j += 4) {
		r0 += reg_total(dm, j) ? x[j] * x[j] : 0;
		r1 += reg_total(dm, j + 1) ? x[j + 1] * x[j + 1] : 0;
		r2 += reg_total(dm, j + 2) ? x[j + 2] * x[j + 2] : 0;
		r3 += reg_total(dm, j + 3) ? x[j + 3] * x[j + 3] : 0;
	}
	for (; j < d; j++)
		r0 += reg_total(dm, j) ? x[j] * x[j] : 0;
	return (r0 + r1) + (r2 + r3);
}

/*
 * f = (1/n) Σ_i ℓ(a_i·x) + (λ/2) Σ_j x_j² on the stored features: the split regulariser summed
 * once, so a pass reads x once on each row's support (the mean of dm_fi reads it twice).
 */
static double dm_f(const asgd_problem *p, const double *x)
{
	const struct datamodel *dm = &p->u.dm;
	double loss = 0;

	for (size_t i = 0; i < p->n; i++)
		loss += loss_value(dm->loss, margin_dense(dm, i, x), dm->y[i]);
	return loss / (double)p->n + 0.5 * dm->lambda * stored_norm2(dm, x, p->dim);
}

/* ∇²f v = (1/n) Σ_i ℓ''(a_i·x) (a_i·v) a_i + λ v on the stored features. */
static void dm_hess_vec(const asgd_problem *p, const double *x, const double *v, double *out)
{
	const struct datamodel *dm = &p->u.dm;

	memset(out, 0, p->dim * sizeof(*out));
	for (size_t i = 0; i < p->n; i++) {
		double w = loss_curvature(dm->loss, margin_dense(dm, i, x), dm->y[i]);

		if (w != 0)
			add_row(dm, i, w * margin_dense(dm, i, v), out);
	}
	mean_plus_reg(p, v, out);
}

/*
 * ∇f and Σ z_i ∇f_i, with ∇f_i = ℓ'(a_i·x) a_i + (λn/c_j) x_j on row i's support (the split
 * regulariser): one margin a row, and each stored entry adds once to each sum. The regulariser
 * of ∇f is added whole at the end, where it is λ x_j on every stored feature.
 */
static void dm_grad_weighted(const asgd_problem *p, const double *x, const double *z, double *g,
			     double *zg)
{
	const struct datamodel *dm = &p->u.dm;

	memset(g, 0, p->dim * sizeof(*g));
	memset(zg, 0, p->dim * sizeof(*zg));
	for (size_t i = 0; i < p->n; i++) {
		const double *a = dm->ds->val + row_start(dm, i);
		const uint32_t *col = dm->ds->col + row_start(dm, i);
		size_t s = row_len(dm, i);
		double slope = loss_slope(dm->loss, margin_dense(dm, i, x), dm->y[i]), zi = z[i];

		for (size_t e = 0; e < s; e++) {
			uint32_t c = col[e];
			double v = slope * a[e];

			g[c] += v;
			zg[c] += zi * (v + dm->reg[c] * x[c]);
		}
	}
	mean_plus_reg(p, x, g);
}

/* The minimizer: datamodel_optimum.c, each loss by the solver that suits it and its size. */
static int dm_minimizer(const asgd_problem *p, double *x, const atomic_int *stop)
{
	return asgd__dm_minimizer(p, x, stop, ASGD__DM_CHOLESKY_MAX_DIM);
}

static const struct family data_family = {
	.fi = dm_fi,
	.grad_i = dm_grad_i,
	.grad = dm_grad,
	.f = dm_f,
	.hess_vec = dm_hess_vec,
	.grad_weighted = dm_grad_weighted,
	.minimizer = dm_minimizer,
	.local_minima = NULL, /* every loss here is convex */
	.support = dm_support,
	.grad_support = dm_grad_support,
	.prefetch = dm_prefetch,
};

/* ---- creation ---------------------------------------------------------------------------- */

static bool is_classification(asgd_loss loss)
{
	return loss != ASGD_LOSS_SQUARES;
}

/* The label mapped to +1: the one asked for, which some row must have, or the largest. A part
 * of a set (@whole) may lack a class, or the positive one: the whole set was checked. */
static int pick_positive(const asgd_dataset *ds, const asgd_data_model *m,
			 const asgd_data_whole *whole, double *positive, char *err, size_t errlen)
{
	bool found = false;
	double largest = -INFINITY;

	if (whole && isnan(m->positive)) {
		snprintf(err, errlen, "a part of a data set needs the whole set's positive class: "
			 "its own largest label need not be it");
		return ASGD_EINVAL;
	}
	for (size_t i = 0; i < ds->rows; i++) {
		if (ds->label[i] != floor(ds->label[i])) {
			snprintf(err, errlen, "%s needs class labels, and row %zu of %s has label %g "
					      "(for real targets use squares)", asgd_loss_name(m->loss),
				 i + 1, ds->source, ds->label[i]);
			return ASGD_EINVAL;
		}
		found |= ds->label[i] == m->positive;
		largest = fmax(largest, ds->label[i]);
	}
	if (!whole && ds->classes < 2) {
		snprintf(err, errlen, "%s needs at least two classes, and %s has %zu label value",
			 asgd_loss_name(m->loss), ds->source, ds->classes);
		return ASGD_EINVAL;
	}
	if (!whole && !isnan(m->positive) && !found) {
		snprintf(err, errlen, "positive class %g is not a label of %s", m->positive,
			 ds->source);
		return ASGD_EINVAL;
	}
	*positive = isnan(m->positive) ? largest : m->positive;
	return ASGD_OK;
}

/* Per-feature weights λ n / c_j (n and c_j of the whole set), the default η and the largest
 * support. */
static void fill_model(asgd_problem *p, const asgd_data_whole *whole, double *y, double *reg,
		       uint64_t *stored)
{
	struct datamodel *dm = &p->u.dm;
	const asgd_dataset *ds = dm->ds;
	const size_t *count = whole ? whole->col_count : ds->col_count;
	double n = (double)(whole ? whole->rows : p->n);
	double smooth = dm->loss == ASGD_LOSS_LOGISTIC ? 0.25 : 1, lmax = 0;

	dm->unstored = 0;
	for (size_t j = 0; j < p->dim; j++) {
		reg[j] = count[j] ? dm->lambda * n / (double)count[j] : 0;
		dm->unstored += !count[j];
		stored[j >> 6] |= (uint64_t)(count[j] != 0) << (j & 63);
	}
	for (size_t i = 0; i < p->n; i++) {
		const double *a = ds->val + row_start(dm, i);
		double norm2 = 0;

		y[i] = !is_classification(dm->loss) ? ds->label[i]
		       : ds->label[i] == dm->positive ? 1 : -1;
		for (size_t e = 0; e < row_len(dm, i); e++)
			norm2 += a[e] * a[e];
		lmax = fmax(lmax, smooth * norm2);
		if (i == 0 || row_len(dm, i) > p->max_support)
			p->max_support = row_len(dm, i);
	}
	if (whole && whole->max_support > p->max_support)
		p->max_support = whole->max_support;
	p->eta = lmax > 1 ? 1 / lmax : 1;
	p->mu = 0;
	p->iters = 10 * (uint64_t)p->n < DEFAULT_ITERS_CAP ? 10 * (uint64_t)p->n
							   : DEFAULT_ITERS_CAP;
}

static void write_data_spec(asgd_problem *p)
{
	const struct datamodel *dm = &p->u.dm;
	int len;

	snprintf(p->name, sizeof(p->name), "%s", asgd_loss_name(dm->loss));
	len = snprintf(p->spec, sizeof(p->spec), "%s:data=%s,lambda=%.17g",
		       asgd_loss_name(dm->loss), dm->ds->source, dm->lambda);
	if (is_classification(dm->loss) && len > 0 && (size_t)len < sizeof(p->spec))
		snprintf(p->spec + len, sizeof(p->spec) - (size_t)len, ",positive=%.17g",
			 dm->positive);
}

int asgd_problem_create_data(const asgd_dataset *ds, const asgd_data_model *m,
			     asgd_problem **out, char *err, size_t errlen)
{
	return asgd_problem_create_data_part(ds, m, NULL, out, err, errlen);
}

/* A part's statistics of the whole: as many columns, counts no smaller, n no smaller. */
static int check_whole(const asgd_dataset *ds, const asgd_data_whole *w, char *err,
		       size_t errlen)
{
	if (!w->col_count || w->cols != ds->cols || w->rows < ds->rows) {
		snprintf(err, errlen, "the whole set's statistics (%zu rows, %zu columns) do not "
			 "fit a part of %zu rows and %zu columns", w->rows, w->cols, ds->rows,
			 ds->cols);
		return ASGD_EINVAL;
	}
	for (size_t j = 0; j < ds->cols; j++)
		if (ds->col_count[j] > w->col_count[j]) {
			snprintf(err, errlen, "the whole set stores feature %zu in %zu rows, fewer "
				 "than the %zu of its part", j, w->col_count[j], ds->col_count[j]);
			return ASGD_EINVAL;
		}
	return ASGD_OK;
}

int asgd_problem_create_data_part(const asgd_dataset *ds, const asgd_data_model *m,
				  const asgd_data_whole *whole, asgd_problem **out, char *err,
				  size_t errlen)
{
	struct layout l = { 0, true };
	double positive = 0, *cur, *y, *reg;
	uint64_t *stored;
	asgd_problem *p;
	char dummy[8];
	int rc;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!ds || !m || !out || !asgd_loss_name(m->loss)) {
		snprintf(err, errlen, "no dataset, model or output given");
		return ASGD_EINVAL;
	}
	if (!isfinite(m->lambda) || m->lambda < 0) {
		snprintf(err, errlen, "lambda %g is not allowed: it must be finite and >= 0",
			 m->lambda);
		return ASGD_EINVAL;
	}
	if (whole && (rc = check_whole(ds, whole, err, errlen)) != ASGD_OK)
		return rc;
	if (is_classification(m->loss) &&
	    (rc = pick_positive(ds, m, whole, &positive, err, errlen)) != ASGD_OK)
		return rc;
	asgd__problem_need(&l, ds->rows, 1);	/* y */
	asgd__problem_need(&l, ds->cols, 1);	/* reg */
	asgd__problem_need(&l, (ds->cols + 63) / 64, 1);	/* stored, as 64-bit words */
	rc = asgd__problem_alloc(&data_family, ds->cols, ds->rows, l, &p, &cur);
	if (rc) {
		snprintf(err, errlen, "%s", rc == ASGD_ENOMEM ? "out of memory" : "too large");
		return rc;
	}
	y = asgd__problem_take(&cur, ds->rows);
	reg = asgd__problem_take(&cur, ds->cols);
	/* the problem's memory is one block of doubles, 8-byte words that hold the bits as well */
	stored = (uint64_t *)asgd__problem_take(&cur, (ds->cols + 63) / 64);
	memset(stored, 0, (ds->cols + 63) / 64 * sizeof(*stored));
	p->u.dm = (struct datamodel){ .ds = ds, .loss = m->loss, .lambda = m->lambda,
				      .positive = positive, .y = y, .reg = reg, .stored = stored };
	fill_model(p, whole, y, reg, stored);
	write_data_spec(p);
	*out = p;
	return ASGD_OK;
}

const asgd_dataset *asgd_problem_dataset(const asgd_problem *p)
{
	return p && p->fam == &data_family ? p->u.dm.ds : NULL;
}

int asgd_problem_data_model(const asgd_problem *p, asgd_data_model *out)
{
	if (!p || !out)
		return ASGD_EINVAL;
	if (!asgd_problem_dataset(p))
		return ASGD_ENOTFOUND;
	*out = (asgd_data_model){ .loss = p->u.dm.loss, .lambda = p->u.dm.lambda,
				  .positive = is_classification(p->u.dm.loss) ? p->u.dm.positive
									      : NAN };
	return ASGD_OK;
}

double asgd_problem_accuracy(const asgd_problem *p, const double *x)
{
	size_t right = 0;

	if (!asgd_problem_dataset(p) || !is_classification(p->u.dm.loss))
		return NAN;
	for (size_t i = 0; i < p->n; i++)
		right += margin_dense(&p->u.dm, i, x) * p->u.dm.y[i] > 0;
	return (double)right / (double)p->n;
}

/* Row i of @ds: its margin under @x, on the columns below @dim only. */
static double margin_other(const asgd_dataset *ds, size_t i, const double *x, size_t dim)
{
	double m = 0;

	for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1] && ds->col[e] < dim; e++)
		m += ds->val[e] * x[ds->col[e]];
	return m;
}

int asgd_problem_data_eval(const asgd_problem *p, const asgd_dataset *ds, const double *x,
			   double *loss, double *accuracy)
{
	const struct datamodel *dm;
	double sum = 0;
	size_t right = 0;

	if (!asgd_problem_dataset(p) || !ds || !ds->rows || !x || !loss || !accuracy)
		return ASGD_EINVAL;
	dm = &p->u.dm;
	for (size_t i = 0; i < ds->rows; i++) {
		double m = margin_other(ds, i, x, p->dim);
		double y = !is_classification(dm->loss) ? ds->label[i]
			   : ds->label[i] == dm->positive ? 1 : -1;

		sum += loss_value(dm->loss, m, y);
		right += m * y > 0;
	}
	*loss = sum / (double)ds->rows;
	*accuracy = is_classification(dm->loss) ? (double)right / (double)ds->rows : NAN;
	return ASGD_OK;
}

const char *asgd_loss_name(asgd_loss loss)
{
	return (unsigned)loss < sizeof(loss_names) / sizeof(loss_names[0]) ? loss_names[loss]
									    : NULL;
}

int asgd_loss_parse(const char *name, asgd_loss *out)
{
	static const struct {
		const char *name;
		asgd_loss loss;
	} aliases[] = {
		{ "squares", ASGD_LOSS_SQUARES },   { "least-squares", ASGD_LOSS_SQUARES },
		{ "logistic", ASGD_LOSS_LOGISTIC }, { "hinge", ASGD_LOSS_HINGE },
		{ "svm", ASGD_LOSS_HINGE },
	};

	if (!name || !out)
		return ASGD_EINVAL;
	for (size_t k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++)
		if (strcmp(name, aliases[k].name) == 0) {
			*out = aliases[k].loss;
			return ASGD_OK;
		}
	return ASGD_ENOTFOUND;
}
