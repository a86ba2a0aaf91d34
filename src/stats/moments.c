/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * moments.c — first and second moments, with standard errors, over an ensemble of paths.
 *
 * The paper compares SME predictions with E x_k and E x_k² over 5000 paths; without standard
 * errors a reader cannot tell a real mismatch from Monte Carlo noise. Power sums (rather than a
 * running Welford mean) merge exactly across threads. Their cancellation in Σx² − (Σx)²/P costs
 * relative precision ~1e-16·mean²/var, harmless at the scales of the paper's presets.
 */
#include "asgd/moments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/report.h"

int asgd_moments_init(asgd_moments *m, size_t steps, size_t dim)
{
	size_t n;
	double *s1, *s2, *s4;

	if (!m || steps == 0 || dim == 0 || steps > SIZE_MAX / dim)
		return ASGD_EINVAL;
	n = steps * dim;
	s1 = calloc(n, sizeof(*s1));
	s2 = calloc(n, sizeof(*s2));
	s4 = calloc(n, sizeof(*s4));
	if (!s1 || !s2 || !s4) {
		free(s1);
		free(s2);
		free(s4);
		return ASGD_ENOMEM;
	}
	m->steps = steps;
	m->dim = dim;
	m->stride = 1;
	m->paths = 0;
	m->s1 = s1;
	m->s2 = s2;
	m->s4 = s4;
	return ASGD_OK;
}

void asgd_moments_free(asgd_moments *m)
{
	if (!m)
		return;
	free(m->s1);
	free(m->s2);
	free(m->s4);
	m->s1 = m->s2 = m->s4 = NULL;
	m->steps = m->dim = 0;
	m->paths = 0;
}

void asgd_moments_reset(asgd_moments *m)
{
	size_t n;

	if (!m || !m->s1)
		return;
	n = m->steps * m->dim;
	memset(m->s1, 0, n * sizeof(*m->s1));
	memset(m->s2, 0, n * sizeof(*m->s2));
	memset(m->s4, 0, n * sizeof(*m->s4));
	m->paths = 0;
}

int asgd_moments_add_path(asgd_moments *m, const double *traj)
{
	size_t n;

	if (!m || !traj || !m->s1)
		return ASGD_EINVAL;
	n = m->steps * m->dim;
	for (size_t i = 0; i < n; i++) {
		double x = traj[i], x2 = x * x;

		m->s1[i] += x;
		m->s2[i] += x2;
		m->s4[i] += x2 * x2;
	}
	m->paths++;
	return ASGD_OK;
}

int asgd_moments_merge(asgd_moments *dst, const asgd_moments *src)
{
	size_t n;

	if (!dst || !src || !dst->s1 || !src->s1 || dst->steps != src->steps ||
	    dst->dim != src->dim)
		return ASGD_EINVAL;
	n = dst->steps * dst->dim;
	for (size_t i = 0; i < n; i++) {
		dst->s1[i] += src->s1[i];
		dst->s2[i] += src->s2[i];
		dst->s4[i] += src->s4[i];
	}
	dst->paths += src->paths;
	return ASGD_OK;
}

/* Unbiased sample variance from Σy and Σy² over p samples; rounding can push it below 0. */
static double sample_var(double sum, double sumsq, double p)
{
	double v = (sumsq - sum * sum / p) / (p - 1.0);

	return v > 0.0 ? v : 0.0;
}

int asgd_moments_get(const asgd_moments *m, size_t k, size_t coord, asgd_moment_row *out)
{
	size_t i;
	double p;
	asgd_moment_row r;

	if (!m || !out || !m->s1 || k >= m->steps || coord >= m->dim || m->paths == 0)
		return ASGD_EINVAL;
	i = k * m->dim + coord;
	p = (double)m->paths;
	r.mean = m->s1[i] / p;
	r.second = m->s2[i] / p;
	if (m->paths < 2) {
		r.var = r.se_mean = r.se_second = NAN;
	} else {
		r.var = sample_var(m->s1[i], m->s2[i], p);
		r.se_mean = sqrt(r.var / p);
		/* x² is itself a sample: its variance needs Σ(x²)² = Σx⁴. */
		r.se_second = sqrt(sample_var(m->s2[i], m->s4[i], p) / p);
	}
	*out = r;
	return ASGD_OK;
}

/* %.10g, but one spelling of NaN ("-nan" from glibc is legal yet trips some CSV readers). */
static void put_num(FILE *fp, double x)
{
	if (isnan(x))
		fputs(",nan", fp);
	else
		fprintf(fp, ",%.10g", x);
}

int asgd_moments_write_csv(const asgd_moments *m, const char *path, double dt)
{
	asgd_atomic_file af;
	int rc;

	if (!m || !path || !m->s1 || m->paths == 0)
		return ASGD_EINVAL;
	rc = asgd_atomic_open(&af, path);
	if (rc != ASGD_OK)
		return rc;
	fputs(m->dim > 1 ? "k,t,coord,mean,second_moment,var,se_mean,se_second\n"
			 : "k,t,mean,second_moment,var,se_mean,se_second\n", af.fp);
	for (size_t k = 0; k < m->steps; k++) {
		for (size_t c = 0; c < m->dim; c++) {
			asgd_moment_row r;

			asgd_moments_get(m, k, c, &r);
			fprintf(af.fp, "%llu", (unsigned long long)(k * m->stride));
			put_num(af.fp, (double)(k * m->stride) * dt);
			if (m->dim > 1)
				fprintf(af.fp, ",%zu", c);
			put_num(af.fp, r.mean);
			put_num(af.fp, r.second);
			put_num(af.fp, r.var);
			put_num(af.fp, r.se_mean);
			put_num(af.fp, r.se_second);
			fputc('\n', af.fp);
		}
	}
	return asgd_atomic_commit(&af);	/* any failed fprintf is caught here via ferror */
}
