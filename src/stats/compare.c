/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compare.c — gaps between moment tables (and their JSON), basin fractions of an ensemble's end
 * points, and the order of a gap in Δt.
 */
#include "asgd/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"

static int table_alloc(asgd_moment_table *t, size_t steps, size_t dim, double dt)
{
	size_t n = steps * dim;

	memset(t, 0, sizeof(*t));
	if (steps == 0 || dim == 0 || steps > SIZE_MAX / dim / sizeof(double))
		return ASGD_EINVAL;
	t->mean = calloc(n, sizeof(double));
	t->second = calloc(n, sizeof(double));
	t->se_mean = calloc(n, sizeof(double));
	t->se_second = calloc(n, sizeof(double));
	if (!t->mean || !t->second || !t->se_mean || !t->se_second) {
		asgd_table_free(t);
		return ASGD_ENOMEM;
	}
	t->steps = steps;
	t->dim = dim;
	t->dt = dt;
	return ASGD_OK;
}

int asgd_table_from_moments(const asgd_moments *m, double dt, asgd_moment_table *out)
{
	int rc;

	if (!m || !out || m->paths == 0)
		return ASGD_EINVAL;
	rc = table_alloc(out, m->steps, m->dim, dt * (double)(m->stride ? m->stride : 1));
	if (rc)
		return rc;
	for (size_t k = 0; k < m->steps; k++)
		for (size_t c = 0; c < m->dim; c++) {
			asgd_moment_row row;
			size_t i = k * m->dim + c;

			asgd_moments_get(m, k, c, &row);
			out->mean[i] = row.mean;
			out->second[i] = row.second;
			/* One path has no SE; 0 would claim exactness, NaN says "unknown". */
			out->se_mean[i] = row.se_mean;
			out->se_second[i] = row.se_second;
		}
	return ASGD_OK;
}

int asgd_table_from_exact(const asgd_exact_moments *m, asgd_moment_table *out)
{
	int rc;

	if (!m || !out || !m->mean || !m->second)
		return ASGD_EINVAL;
	rc = table_alloc(out, m->steps, m->dim, m->dt);
	if (rc)
		return rc;
	memcpy(out->mean, m->mean, m->steps * m->dim * sizeof(double));
	memcpy(out->second, m->second, m->steps * m->dim * sizeof(double));
	return ASGD_OK;
}

void asgd_table_free(asgd_moment_table *t)
{
	if (!t)
		return;
	free(t->mean);
	free(t->second);
	free(t->se_mean);
	free(t->se_second);
	memset(t, 0, sizeof(*t));
}

/* The relative gap (a − r)/|r| and its delta-method SE from independent SEs of a and r. */
static void relative_gap(double a, double sa, double r, double sr, double *gap, double *se)
{
	double ar = fabs(r);

	*gap = fabs(a - r) / ar;
	*se = sqrt(sa * sa + (a / r) * (a / r) * sr * sr) / ar;
}

int asgd_gap_compute(const asgd_moment_table *model, const asgd_moment_table *ref, asgd_gap *out)
{
	size_t steps;
	int nan_mean = 0, nan_second = 0;	/* a diverged cell must not hide behind a finite max */

	if (!model || !ref || !out || model->dim != ref->dim)
		return ASGD_EINVAL;
	steps = model->steps < ref->steps ? model->steps : ref->steps;
	if (steps < 2)
		return ASGD_EINVAL;
	memset(out, 0, sizeof(*out));
	out->mean = out->second_rel = -1;
	for (size_t k = 1; k < steps; k++)
		for (size_t c = 0; c < model->dim; c++) {
			size_t i = k * model->dim + c;
			double dm = fabs(model->mean[i] - ref->mean[i]), rel, rel_se;

			if (isnan(dm))
				nan_mean = 1;
			else if (dm > out->mean) {
				out->mean = dm;
				out->mean_se = hypot(model->se_mean[i], ref->se_mean[i]);
				out->mean_k = k;
				out->mean_coord = c;
			}
			if (!(fabs(ref->second[i]) > 1e-300))
				continue;
			relative_gap(model->second[i], model->se_second[i], ref->second[i],
				     ref->se_second[i], &rel, &rel_se);
			if (isnan(rel))
				nan_second = 1;
			else if (rel > out->second_rel) {
				out->second_rel = rel;
				out->second_rel_se = rel_se;
				out->second_abs = fabs(model->second[i] - ref->second[i]);
				out->second_k = k;
				out->second_coord = c;
			}
		}
	if (nan_mean)
		out->mean = out->mean_se = NAN;
	if (nan_second || out->second_rel < 0)
		out->second_rel = out->second_rel_se = NAN;
	return ASGD_OK;
}

int asgd_gap_add_json(cJSON *j, const asgd_gap *g)
{
	int ok;

	if (!j || !g)
		return ASGD_EINVAL;
	ok = cJSON_AddNumberToObject(j, "mean_gap", g->mean) != NULL;
	ok &= cJSON_AddNumberToObject(j, "mean_gap_se", g->mean_se) != NULL;
	ok &= cJSON_AddNumberToObject(j, "mean_gap_k", (double)g->mean_k) != NULL;
	ok &= cJSON_AddNumberToObject(j, "second_rel_gap", g->second_rel) != NULL;
	ok &= cJSON_AddNumberToObject(j, "second_rel_gap_se", g->second_rel_se) != NULL;
	ok &= cJSON_AddNumberToObject(j, "second_abs_gap", g->second_abs) != NULL;
	ok &= cJSON_AddNumberToObject(j, "second_gap_k", (double)g->second_k) != NULL;
	return ok ? ASGD_OK : ASGD_ENOMEM;
}

static size_t nearest(const double *x, size_t dim, const double *minima, size_t count)
{
	size_t best = 0;
	double best_d2 = INFINITY;

	for (size_t j = 0; j < count; j++) {
		double d2 = 0;

		for (size_t c = 0; c < dim; c++) {
			double d = x[c] - minima[j * dim + c];

			d2 += d * d;
		}
		if (d2 < best_d2) {
			best_d2 = d2;
			best = j;
		}
	}
	return best;
}

static int finite_point(const double *x, size_t dim)
{
	for (size_t c = 0; c < dim; c++)
		if (!isfinite(x[c]))
			return 0;
	return 1;
}

int asgd_basin_fractions(const double *final, uint64_t paths, size_t dim, const double *minima,
			 size_t count, double *frac, double *se, uint64_t *counted)
{
	uint64_t n = 0;

	if (!final || !minima || !frac || !se || count == 0 || dim == 0)
		return ASGD_EINVAL;
	memset(frac, 0, count * sizeof(*frac));
	for (uint64_t p = 0; p < paths; p++) {
		const double *x = final + p * dim;

		if (!finite_point(x, dim))
			continue;
		frac[nearest(x, dim, minima, count)] += 1;
		n++;
	}
	if (counted)
		*counted = n;
	if (n == 0)
		return ASGD_EINVAL;
	for (size_t j = 0; j < count; j++) {
		frac[j] /= (double)n;
		se[j] = sqrt(frac[j] * (1 - frac[j]) / (double)n);
	}
	return ASGD_OK;
}

/* Sums over the usable points of log x, log y and their products; m counts them. */
struct loglog_sums {
	double m, sx, sy, sxx, sxy;
};

static int usable(const double *x, const double *y, const int *use, unsigned i)
{
	return (!use || use[i]) && x[i] > 0 && y[i] > 0;
}

void asgd_order_fit(const double *x, const double *y, const int *use, unsigned n, double *slope,
		    double *se)
{
	struct loglog_sums s = { 0 };
	double a, b, ss = 0;

	*slope = *se = NAN;
	for (unsigned i = 0; i < n; i++)
		if (usable(x, y, use, i)) {
			double lx = log(x[i]), ly = log(y[i]);

			s.sx += lx;
			s.sy += ly;
			s.sxx += lx * lx;
			s.sxy += lx * ly;
			s.m++;
		}
	if (s.m < 2 || s.m * s.sxx - s.sx * s.sx <= 0)
		return;
	b = (s.m * s.sxy - s.sx * s.sy) / (s.m * s.sxx - s.sx * s.sx);
	a = (s.sy - b * s.sx) / s.m;
	*slope = b;
	if (s.m < 3)
		return;
	for (unsigned i = 0; i < n; i++)
		if (usable(x, y, use, i)) {
			double r = log(y[i]) - a - b * log(x[i]);

			ss += r * r;
		}
	*se = sqrt(ss / (s.m - 2) / (s.sxx - s.sx * s.sx / s.m));
}
