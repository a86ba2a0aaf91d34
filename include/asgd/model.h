/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/model.h — the names every simulator, SDE and closed form agrees on: which model, which
 * choice of Σ(t), the time one recorded step stands for, and mini-batch schedules.
 *
 * The discrete processes (sim), the SMEs (sme) and their exact moments (exact) all say "model" and
 * "sigma" with these enums, so that a command line, a results file and a test mean the same thing.
 * Formulas are in docs/MODELS.md.
 */
#ifndef ASGD_MODEL_H
#define ASGD_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* The processes asgd can run. Discrete ones first, then the SMEs. */
typedef enum asgd_model {
	ASGD_MODEL_ASGD,		/* (2.1), geometric or given-pmf staleness */
	ASGD_MODEL_SGD,			/* (2.1) with μ = 0 */
	ASGD_MODEL_MSGD,		/* (2.6) */
	ASGD_MODEL_MINIBATCH,		/* (4.1) */
	ASGD_MODEL_SME_ASGD,		/* (2.11) with Σ(t) per asgd_sigma */
	ASGD_MODEL_SME_ASGD_LINEAR,	/* (2.5) */
	ASGD_MODEL_SME_MSGD,		/* (2.7) */
	ASGD_MODEL_SME_SGD,		/* (3.3) */
	ASGD_MODEL_SME_ASGD_MIXTURE,	/* (2.11) with one auxiliary variable per geometric component */
	ASGD_MODEL_COUNT
} asgd_model;

/* How an SME's noise covariance Σ(t) is obtained (docs/MODELS.md §2.1). */
typedef enum asgd_sigma {
	ASGD_SIGMA_CONTINUUM,	/* G − c²YYᵀ with dG = c(S(X) − G)dt: (2.12)'s continuum limit */
	ASGD_SIGMA_EVOLVE,	/* (2.12) as printed (for sme-asgd-linear: the linear form of (2.5)) */
	ASGD_SIGMA_CONSTANT,	/* Σ_0 = C(x_0) */
	ASGD_SIGMA_INSTANT,	/* C(X_t) */
	ASGD_SIGMA_COUNT
} asgd_sigma;

/* "asgd", "sgd", "msgd", "minibatch", "sme-asgd", "sme-asgd-linear", "sme-msgd", "sme-sgd",
 * "sme-asgd-mixture". */
const char *asgd_model_name(asgd_model m);

/* The model named @name into *out. Returns 0 or ASGD_EINVAL (unknown name; *out untouched). */
int asgd_model_parse(const char *name, asgd_model *out);

/* Nonzero for the discrete processes, zero for the SMEs. */
int asgd_model_is_discrete(asgd_model m);

/* "continuum", "evolve", "constant", "instant". */
const char *asgd_sigma_name(asgd_sigma s);

/* The Σ choice named @name into *out. Returns 0 or ASGD_EINVAL. */
int asgd_sigma_parse(const char *name, asgd_sigma *out);

/*
 * asgd_model_time_step - the SME time that one iteration stands for, so that row k of every
 * moments.csv sits at t_k = k·dt: √(η(1−μ)) for ASGD, mini-batch ASGD and the SME-ASGDs; η for SGD
 * and SME-SGD; √η for MSGD and SME-MSGD (whose η is the η' of (2.6)). μ is ignored where unused.
 */
double asgd_model_time_step(asgd_model m, double eta, double mu);

#endif /* ASGD_MODEL_H */
