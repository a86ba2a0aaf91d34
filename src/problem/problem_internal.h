/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * problem_internal.h — the problem object's layout, shared by problem.c (the paper's presets and
 * dense quadratics) and datamodel.c (models over data sets). Not installed, not public.
 */
#ifndef ASGD_PROBLEM_INTERNAL_H
#define ASGD_PROBLEM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/dataset.h"
#include "asgd/datamodel.h"
#include "asgd/problem.h"

/* The 1-D profiles φ of f_i(x) = w·φ(x − c_i) + k. */
enum profile {
	PROF_SQUARE,	/* u² */
	PROF_QUARTIC,	/* u⁴ */
	PROF_WELL,	/* −e^{−u²} */
};

struct family {
	double (*fi)(const asgd_problem *p, size_t i, const double *x);
	void (*grad_i)(const asgd_problem *p, size_t i, const double *x, double *g);
	void (*grad)(const asgd_problem *p, const double *x, double *g);
	/* f in one pass (NULL: the mean of fi) and ∇²f v in closed form (NULL: not known). */
	double (*f)(const asgd_problem *p, const double *x);
	void (*hess_vec)(const asgd_problem *p, const double *x, const double *v, double *out);
	/* ∇f and Σ z_i ∇f_i in one pass (NULL: not known) */
	void (*grad_weighted)(const asgd_problem *p, const double *x, const double *z, double *g,
			      double *zg);
	/* Writes x only on success; ASGD_ENOTFOUND when no minimizer is known; ASGD_EINTR when
	 * @stop (may be NULL) was raised during a long solve (docs/DESIGN.md, "Stopping"). */
	int (*minimizer)(const asgd_problem *p, double *x, const atomic_int *stop);
	/* NULL where f is convex, so that the minimizer is the only local minimum. */
	int (*local_minima)(const asgd_problem *p, double *x, size_t cap, size_t *count);
	/* Sparse gradients (NULL for dense families: the support is every coordinate). */
	size_t (*support)(const asgd_problem *p, size_t i, const uint32_t **idx);
	void (*grad_support)(const asgd_problem *p, size_t i, const double *xs, double *gs);
	void (*prefetch)(const asgd_problem *p, size_t i, int stage); /* NULL: nothing to fetch */
};

/* d = 1, f_i(x) = w·φ(x − center_i) + k: Figures 4, 5 and 8. */
struct shift1d {
	enum profile prof;
	double w, k;
	const double *center;	/* n */
};

/* f_i(x) = Σ_j (½ a_j x_j² − b_ij x_j) + c_i: Figure 6 and the benchmark quadratic. */
struct diagquad {
	const double *a;	/* dim */
	const double *b;	/* n*dim */
	const double *c;	/* n */
	const double *bbar;	/* dim, mean of the b_i: makes ∇f O(dim) */
};

/* f_i(x) = Σ_j coef_j (x_j − s_i)⁴/2 − s_i: Figure 7. */
struct sepquartic {
	const double *coef;	/* dim */
	const double *s;	/* n */
};

/* f_i(x) = ½ xᵀA_i x − b_iᵀx + c_i with dense symmetric A_i. */
struct densequad {
	const double *A;	/* n*dim*dim */
	const double *b;	/* n*dim */
	const double *c;	/* n */
	const double *Abar;	/* dim*dim */
	const double *bbar;	/* dim */
};

/* f_i(x) = loss(a_i·x, y_i) + (λ/2) Σ_{j ∈ supp a_i} (n/c_j) x_j²: datamodel.c. */
struct datamodel {
	const asgd_dataset *ds;	/* not owned */
	asgd_loss loss;
	double lambda;
	double positive;	/* the class mapped to +1 (classification) */
	const double *y;	/* n targets: ±1 for classification */
	const double *reg;	/* dim: λ n / c_j, 0 for features never stored */
	size_t unstored;	/* the features never stored (most data sets: none) */
	const uint64_t *stored;	/* dim bits: feature j is stored in some row (6 KB at d = 47,236,
				   where the counts are 378 KB: the dense loops test this) */
};

struct asgd_problem {
	const struct family *fam;
	size_t dim, n;
	size_t max_support;	/* the largest support of a ∇f_i: dim, or less for sparse data */
	double eta, mu;
	uint64_t iters;
	double *x0;
	double *xstar;		/* NULL, or the minimizer asgd_problem_solve kept (malloc'd) */
	char name[24];
	char spec[512];
	union {
		struct shift1d s1;
		struct diagquad dq;
		struct sepquartic sq;
		struct densequad qd;
		struct datamodel dm;
	} u;
	double mem[];	/* x0, then the family's arrays */
};

/* A running count of the doubles a problem needs; ok turns false on overflow. */
struct layout {
	size_t count;
	bool ok;
};

void asgd__problem_need(struct layout *l, size_t a, size_t b);
double *asgd__problem_take(double **cursor, size_t count);

/*
 * One allocation for the struct, x0 (dim doubles, counted here) and l->count more doubles;
 * *cursor points at the first of those. ASGD_EINVAL when the sizes overflow.
 */
int asgd__problem_alloc(const struct family *fam, size_t dim, size_t n, struct layout l,
			asgd_problem **out, double **cursor);

#endif /* ASGD_PROBLEM_INTERNAL_H */
