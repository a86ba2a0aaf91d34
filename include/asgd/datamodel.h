/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/datamodel.h — problems over data: least squares, L2-regularised logistic regression and
 * the L2-regularised hinge-loss SVM, on an asgd_dataset (asgd/dataset.h).
 *
 * A data model is an asgd_problem like the paper's presets, so every algorithm, simulator and SME
 * of asgd runs on it unchanged. Component i is example i:
 *
 *     f_i(x) = ℓ(a_i·x, y_i) + (λ/2) Σ_{j ∈ supp a_i} (n / c_j) x_j²
 *
 * with c_j the number of rows that store feature j. The regulariser is split over the examples
 * that touch each feature — Hogwild's decomposition (Niu et al. 2011) — so that ∇f_i is as sparse
 * as a_i, while the mean is still the usual objective:
 *
 *     f(x) = (1/n) Σ_i ℓ(a_i·x, y_i) + (λ/2) Σ_{j : c_j > 0} x_j²,
 *
 * equal to (1/n)·(liblinear's objective ½‖x‖² + C Σ ℓ) at λ = 1/(nC) for every x that is zero on
 * the features no row stores (x_0 = 0 is, and no gradient ever moves those coordinates).
 * The price of sparsity is variance: the split regulariser adds noise where c_j ≪ n.
 *
 *     loss       ℓ(m, y)                  ∇ wrt m             y
 *     squares    ½ (m − y)²               m − y               the label as read
 *     logistic   log(1 + e^{−y m})        −y σ(−y m)          ±1
 *     hinge      max(0, 1 − y m)          −y if y m < 1, 0    ±1 (a subgradient)
 *
 * Classification labels map to ±1: the class @positive to +1, every other class to −1.
 */
#ifndef ASGD_DATAMODEL_H
#define ASGD_DATAMODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/dataset.h"
#include "asgd/problem.h"

/** The per-example loss ℓ. */
typedef enum asgd_loss {
	ASGD_LOSS_SQUARES,  /**< least squares (regression) */
	ASGD_LOSS_LOGISTIC, /**< logistic regression */
	ASGD_LOSS_HINGE,    /**< linear SVM */
} asgd_loss;

/** What to build on a dataset. */
typedef struct asgd_data_model {
	asgd_loss loss;
	double lambda;   /**< λ ≥ 0, finite */
	double positive; /**< classification: the label value mapped to +1; NAN picks the largest
	                      label value (1 of ±1 and of 0/1, the last class of a multi-class set) */
} asgd_data_model;

/*
 * asgd_problem_create_data - the model @m on @ds. The dataset is NOT copied: it must outlive the
 * problem. The problem's name is the loss name; its spec "LOSS:data=SOURCE,lambda=L[,positive=P]".
 * Defaults: x_0 = 0; η = 1/(s · max_i ‖a_i‖²) with s = 1 (squares, hinge) or ¼ (logistic), the
 * inverse of the largest component smoothness without the regulariser, capped at 1; μ = 0;
 * 10·n iterations (at most 10⁷).
 * Returns ASGD_OK; ASGD_EINVAL (a sentence in @err) for a NULL argument, λ negative or not finite,
 * a classification loss on a dataset with fewer than two classes or a label that is not an
 * integer, or a @positive label that no row has; ASGD_ENOMEM.
 */
int asgd_problem_create_data(const asgd_dataset *ds, const asgd_data_model *m,
			     asgd_problem **out, char *err, size_t errlen);

/*
 * A data set's statistics that a part of it needs to be the same model (MPI, issue 18): the
 * component f_i above weighs its regulariser by n / c_j, so a worker's shard of the rows, or the
 * server's sample, defines the whole set's components only with the whole set's n and c_j. The
 * widest row is the whole set's too, so that every rank agrees on the message sizes.
 */
typedef struct asgd_data_whole {
	size_t rows;		 /**< n of the whole set */
	size_t cols;		 /**< its d: the part's must be the same */
	const size_t *col_count; /**< cols counts c_j over the whole set (read during creation) */
	size_t max_support;	 /**< its widest row's stored entries */
} asgd_data_whole;

/*
 * asgd_problem_create_data_part - the model @m on @part, some rows of a larger set of which
 * @whole has the statistics (NULL: @part is the whole set, as asgd_problem_create_data). Its
 * components are the whole set's f_i for the rows it holds (regulariser weights λ n / c_j with
 * the whole set's n and c_j; the same stored features), its n is @part's rows (a gradient draws
 * from them), its f the mean over them plus (λ/2) Σ x_j² over the features the whole set stores:
 * an unbiased estimate of the whole objective for a sample of the rows. max_support is at least
 * @whole's. The whole set's checks are the caller's: a part may have one class, or lack the
 * positive one, but a classification loss needs @m->positive given (not NAN). The default η and
 * iterations are the part's own. Returns as asgd_problem_create_data, and ASGD_EINVAL when
 * @whole does not fit @part (other cols, fewer rows, a count below the part's).
 */
int asgd_problem_create_data_part(const asgd_dataset *part, const asgd_data_model *m,
				  const asgd_data_whole *whole, asgd_problem **out, char *err,
				  size_t errlen);

/*
 * asgd_problem_data_model - the loss, λ and the label mapped to +1 (NAN for least squares) of a
 * data model into *@out, for the code that must treat a loss by its nature (the hinge loss has no curvature at its
 * optimum: asgd/advise.h). Returns ASGD_OK; ASGD_EINVAL for NULL; ASGD_ENOTFOUND for a problem
 * that is not a data model.
 */
int asgd_problem_data_model(const asgd_problem *p, asgd_data_model *out);

/** The dataset of a data model; NULL for every other problem. */
const asgd_dataset *asgd_problem_dataset(const asgd_problem *p);

/*
 * asgd_problem_accuracy - the fraction of rows with sign(a_i·x) = y_i (a margin of 0 counts as
 * wrong) for a classification model; NAN for least squares and for non-data problems.
 */
double asgd_problem_accuracy(const asgd_problem *p, const double *x);

/*
 * The defaults of a data model when the user names no step or horizon (docs/MODELS.md §7).
 *
 * The step is constant, so that the SMEs describe the algorithm that runs, and small enough that
 * SGD's stationary excess loss is a fixed fraction of the optimum: near x*, SGD with step η
 * settles where E f(x) − f* ≈ (η/4) tr C(x*) (the stationary covariance P of
 * x − x* solves HP + PH = ηC, and E f − f* ≈ ½ tr(HP)), so η = 4 g f* / tr C(x*) aims at the
 * relative gap g, capped by the stability scale of asgd_problem_create_data. Asynchrony leaves
 * this to first order: by Proposition 1 ASGD is MSGD with η' = η(1 − μ), μ' = μ, whose
 * stationary spread is again ηC/(4·) to first order.
 */
#define ASGD_DATA_GAP_TARGET 0.005	/* g: half of the 1% a default run must reach */

typedef struct asgd_data_defaults {
	double eta;		/* the default step: min(eta_stable, 4 g f* / tr C(x*)) */
	double eta_stable;	/* the stability scale (asgd_problem_default_eta) */
	double optimum;		/* f* = f(x*); NAN when no minimizer is known */
	double trace_c;		/* tr C(x*); NAN likewise */
	double predicted_gap;	/* (η/4) tr C(x*) / f* at the default η; NAN likewise */
	double epochs;		/* the default horizon, in epochs of n component gradients */
	unsigned batch;		/* components per update: 1, or more where the horizon needs it */
	uint64_t iters;		/* epochs · n / batch updates */
	int horizon_capped;	/* the bias model (or the rule) asked for more epochs than the
				   bounds allow: the run may end before its noise floor */
} asgd_data_defaults;

/*
 * asgd_data_defaults_of - the defaults of the data model @p: solves for its minimizer and keeps
 * it in @p (asgd_problem_solve), then one pass over the data for tr C(x*). Without a minimizer
 * (or with f* = 0) the step is the stability scale and the NAN fields say why. Where the horizon
 * at batch 1 is more than a default run affords (an ill-conditioned set: digits' pixels) and
 * @max_batch > 1, mini-batches of B ≤ @max_batch components at step Bη keep the stationary gap
 * and cost B times fewer updates (a command whose engine has no batch passes 1). Returns ASGD_OK;
 * ASGD_EINVAL when @p is not a data model; ASGD_EINTR when @stop was raised during the solve;
 * ASGD_ENOMEM.
 */
int asgd_data_defaults_of(asgd_problem *p, const atomic_int *stop, unsigned max_batch,
			  asgd_data_defaults *out);

/*
 * asgd_problem_data_eval - how the data model @p's weights @x score on the rows of @ds: another
 * data set (a held-out one) or its own. Into *@loss the mean loss (1/m) Σ ℓ(a_i·x, y_i) over the
 * m rows, WITHOUT the regulariser (the usual held-out measure; asgd_problem_f is the objective
 * with it), and into *@accuracy, for a classification loss, the fraction of rows with
 * sign(a_i·x) = y_i (a margin of 0 counts as wrong; NAN for least squares). Labels map as @p
 * maps its own: its positive class to +1, every other value to −1 (least squares: as read).
 * Features at or beyond @p's d are ignored: @x has no weight for them.
 * Returns ASGD_OK; ASGD_EINVAL for a NULL argument, a problem that is not a data model, or @ds
 * without rows.
 */
int asgd_problem_data_eval(const asgd_problem *p, const asgd_dataset *ds, const double *x,
			   double *loss, double *accuracy);

/** asgd_loss_name - "squares", "logistic", "hinge"; NULL for an unknown value. */
const char *asgd_loss_name(asgd_loss loss);

/** asgd_loss_parse - the loss named @name (also "least-squares", "svm"): ASGD_OK or ASGD_ENOTFOUND. */
int asgd_loss_parse(const char *name, asgd_loss *out);

#endif /* ASGD_DATAMODEL_H */
