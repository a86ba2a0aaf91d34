/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * linalg.c — the library's one dense linear algebra module (linalg_internal.h): a Cholesky
 * factorisation that can be stopped, its solve, and a matrix product. The minimizers, the SMEs'
 * noise factor and the exact moments all use these; GSL serves where it is better (the symmetric
 * eigensolver in sigma.c), and nothing here touches GSL's process-wide error handler.
 *
 * The data models' minimizer factors a d×d Hessian at every Newton step, d up to 4096. GSL's
 * gsl_linalg_cholesky_decomp1 with its reference BLAS takes half a minute there on the
 * development VM (3 s at d = 2048), in one call that nothing can interrupt; the rule that every
 * long loop sees a stop request within 100 ms of work (docs/DESIGN.md, "Stopping") needs a
 * factorisation that looks at the flag as it goes. This one is the right-looking tiled
 * algorithm: for each panel of TILE columns, factor its diagonal block, solve the rows below it
 * against that block, then subtract the panel's outer product from the trailing matrix. The
 * trailing update — nearly all the work — runs over column tiles of TRAIL columns whose slice of
 * the transposed panel stays in cache, four rows at a time, with contiguous inner loops the
 * compiler vectorises; the flag is looked at after every few million multiply-adds.
 */
#include "linalg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "stop_internal.h"

/* Columns per panel, and per column tile of the trailing update. */
#define TILE 64
#define TRAIL 256

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Factor the diagonal block A[k0..k0+kn)² in place (unblocked; earlier panels already
 * subtracted). ASGD_ENOTFOUND for a pivot that is not > @tol. For d ≤ TILE this is the whole
 * factorisation, in the textbook (Cholesky–Banachiewicz) order of operations. */
static int factor_diagonal(double *A, size_t d, size_t k0, size_t kn, double tol)
{
	for (size_t j = k0; j < k0 + kn; j++) {
		double *rj = A + j * d, s = rj[j];

		for (size_t p = k0; p < j; p++)
			s -= rj[p] * rj[p];
		if (!(s > tol) || !isfinite(s))
			return ASGD_ENOTFOUND;
		rj[j] = sqrt(s);
		for (size_t i = j + 1; i < k0 + kn; i++) {
			double *ri = A + i * d, t = ri[j];

			for (size_t p = k0; p < j; p++)
				t -= ri[p] * rj[p];
			ri[j] = t / rj[j];
		}
	}
	return ASGD_OK;
}

/* Row @i of the panel below the diagonal block: solve x L_kkᵀ = A[i][k0..k0+kn). */
static void solve_panel_row(double *A, size_t d, size_t k0, size_t kn, size_t i)
{
	double *ri = A + i * d;

	for (size_t j = k0; j < k0 + kn; j++) {
		const double *rj = A + j * d;
		double t = ri[j];

		for (size_t p = k0; p < j; p++)
			t -= ri[p] * rj[p];
		ri[j] = t / rj[j];
	}
}

/*
 * A[i][c] −= Σ_p A[i][k0+p]·PT[p][c] for rows i in [r0, r1) and columns c in [c0, min(c1, i+1)):
 * the lower triangle's part of one column tile. PT: the panel transposed, kn rows of d.
 */
static void trailing_rows(double *A, size_t d, size_t k0, size_t kn, const double *PT, size_t r0,
			  size_t r1, size_t c0, size_t c1)
{
	size_t i = r0;

	/* Four rows at a time share each load of PT; rows whose triangle ends inside the tile
	 * (i < c1 − 1) go one by one, each to its own end. */
	for (; i + 4 <= r1 && i >= c1 - 1; i += 4) {
		double *restrict a0 = A + i * d, *restrict a1 = a0 + d, *restrict a2 = a1 + d,
			*restrict a3 = a2 + d;

		for (size_t p = 0; p < kn; p++) {
			const double *restrict t = PT + p * d;
			const double l0 = a0[k0 + p], l1 = a1[k0 + p], l2 = a2[k0 + p],
				     l3 = a3[k0 + p];

			for (size_t c = c0; c < c1; c++) {
				a0[c] -= l0 * t[c];
				a1[c] -= l1 * t[c];
				a2[c] -= l2 * t[c];
				a3[c] -= l3 * t[c];
			}
		}
	}
	for (; i < r1; i++) {
		double *restrict a = A + i * d;
		size_t end = min_size(c1, i + 1);

		for (size_t p = 0; p < kn; p++) {
			const double *restrict t = PT + p * d;
			const double l = a[k0 + p];

			for (size_t c = c0; c < end; c++)
				a[c] -= l * t[c];
		}
	}
}

int asgd__cholesky(double *A, size_t d, const atomic_int *stop)
{
	return asgd__cholesky_tol(A, d, 0, stop);
}

int asgd__cholesky_tol(double *A, size_t d, double tol, const atomic_int *stop)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);
	double *PT = NULL; /* the panel, transposed: only when there is a trailing matrix */
	int rc = ASGD_OK;

	if (d > TILE && !(PT = malloc(TILE * d * sizeof(*PT))))
		return ASGD_ENOMEM;
	for (size_t k0 = 0; k0 < d && rc == ASGD_OK; k0 += TILE) {
		const size_t kn = min_size(TILE, d - k0), next = k0 + kn;

		rc = factor_diagonal(A, d, k0, kn, tol);
		for (size_t i = next; i < d && rc == ASGD_OK; i++) {
			solve_panel_row(A, d, k0, kn, i);
			if (asgd__stop_after(&poll, kn * kn / 2 + 1))
				rc = ASGD_EINTR;
		}
		if (rc != ASGD_OK || next == d)
			break;
		for (size_t p = 0; p < kn; p++)
			for (size_t c = next; c < d; c++)
				PT[p * d + c] = A[c * d + k0 + p];
		for (size_t c0 = next; c0 < d && rc == ASGD_OK; c0 += TRAIL) {
			const size_t c1 = min_size(c0 + TRAIL, d);

			/* rows of this tile's triangle, in bands of a few million multiply-adds */
			for (size_t r0 = c0; r0 < d && rc == ASGD_OK; r0 += TRAIL) {
				const size_t r1 = min_size(r0 + TRAIL, d);

				trailing_rows(A, d, k0, kn, PT, r0, r1, c0, c1);
				if (asgd__stop_after(&poll, (r1 - r0) * (c1 - c0) * kn))
					rc = ASGD_EINTR;
			}
		}
	}
	free(PT);
	return rc;
}

void asgd__cholesky_solve(const double *L, size_t d, double *b)
{
	for (size_t i = 0; i < d; i++) {	/* L y = b */
		const double *ri = L + i * d;
		double t = b[i];

		for (size_t p = 0; p < i; p++)
			t -= ri[p] * b[p];
		b[i] = t / ri[i];
	}
	for (size_t i = d; i-- > 0;) {		/* Lᵀ x = y */
		double t = b[i];

		for (size_t k = i + 1; k < d; k++)
			t -= L[k * d + i] * b[k];
		b[i] = t / L[i * d + i];
	}
}

void asgd__matmul(const double *X, const double *Y, double *out, size_t d)
{
	for (size_t r = 0; r < d; r++) {
		double *o = out + r * d;

		memset(o, 0, d * sizeof(*o));
		for (size_t k = 0; k < d; k++) {
			double x = X[r * d + k];
			const double *row = Y + k * d;

			if (x == 0)	/* the presets' matrices are diagonal: O(d²) then */
				continue;
			for (size_t c = 0; c < d; c++)
				o[c] += x * row[c];
		}
	}
}
