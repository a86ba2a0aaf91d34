/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * linalg_internal.h — the library's dense linear algebra (linalg.c): a Cholesky factorisation
 * that looks at a stop flag, its solve, and a matrix product. Every module that needs one of
 * these uses this one (no private copies). Reentrant: no state, GSL's error handler untouched.
 * Not installed; nothing outside src/ includes it.
 */
#ifndef ASGD_LINALG_INTERNAL_H
#define ASGD_LINALG_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>

/*
 * asgd__cholesky - factor the symmetric positive definite @A (d×d, row-major; only its lower
 * triangle is read) as L Lᵀ, L into the lower triangle of @A in place (the strict upper triangle
 * is left as it was). Tiled, so that it looks at @stop (NULL: never) every ~0.1 ms of work.
 * Returns ASGD_OK; ASGD_ENOTFOUND when @A is not positive definite (a pivot ≤ 0 or not finite);
 * ASGD_EINTR when @stop was raised (@A is then garbage); ASGD_ENOMEM.
 */
int asgd__cholesky(double *A, size_t d, const atomic_int *stop);

/* asgd__cholesky_tol - asgd__cholesky, but every pivot must exceed @tol ≥ 0 (ASGD_ENOTFOUND
 * otherwise): for callers that fall back to another factor when A is nearly singular. */
int asgd__cholesky_tol(double *A, size_t d, double tol, const atomic_int *stop);

/* asgd__cholesky_solve - solve L Lᵀ x = @b in place of @b, L from asgd__cholesky (O(d²)). */
void asgd__cholesky_solve(const double *L, size_t d, double *b);

/* asgd__matmul - @out = @X·@Y for d×d row-major matrices (@out distinct from both); zero
 * entries of X are skipped, so a diagonal X costs O(d²). */
void asgd__matmul(const double *X, const double *Y, double *out, size_t d);

#endif /* ASGD_LINALG_INTERNAL_H */
