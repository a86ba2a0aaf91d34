/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate.h — what the two halves of `asgd validate` share: validate.c runs the real engine,
 * fits its staleness and reports; validate_models.c runs each model with the fitted staleness
 * and scores it against the real run.
 */
#ifndef ASGD_CLI_VALIDATE_H
#define ASGD_CLI_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/compare.h"
#include "asgd/geomix.h"
#include "asgd/model.h"
#include "asgd/observe.h"
#include "asgd/problem.h"

/* The models validate puts beside the real run, in the order they run and print. */
enum validate_which {
	VALIDATE_SME_ASGD,		/* (2.11), geometric μ̂ */
	VALIDATE_SME_SGD,		/* (3.3): what you predict ignoring asynchrony */
	VALIDATE_ASGD_GEOMETRIC,	/* (2.1), τ i.i.d. geometric(μ̂) */
	VALIDATE_ASGD_MEASURED,		/* (2.1), τ i.i.d. from the measured pmf */
	VALIDATE_ASGD_MIXTURE,		/* (2.1), τ i.i.d. from the fitted mixture */
	VALIDATE_SME_ASGD_MIXTURE,	/* MODELS.md §5, one auxiliary variable per component */
	VALIDATE_MODELS
};

/* How close a model is to the real run, over steps k ≥ 1 and every coordinate. */
struct validate_score {
	asgd_gap gap;			/* largest gaps with their SEs (asgd_gap_compute) */
	double inside_mean;		/* fraction of cells with |real − model| ≤ 2 SE of the difference */
	double inside_second;		/* the same for E x² */
	int inside_band;		/* both fractions ≥ VALIDATE_INSIDE_FRACTION */
};

/*
 * The fraction of cells that must lie within 2 SE for "inside the band". Not 0.95: cells along k
 * are strongly correlated, so even a correct model's fraction swings widely around 0.95. Measured:
 * 20 runs of 1000 paths of discrete ASGD against a 5000-path ensemble of the same process gave
 * 0.889–0.996 (mean) and 0.901–0.992 (E x²); with 0.95 only 7 of the 20 passed, with 0.88 all do.
 * A model below 0.88 is outside what chance gives a correct one on this comparison.
 */
#define VALIDATE_INSIDE_FRACTION 0.88

/* What every model shares: the problem, η, the horizon, the ensemble's size. */
struct validate_ctx {
	const asgd_problem *problem;
	const asgd_observable *observe;	/* what the moments are of */
	double eta;
	uint64_t iters, paths, seed;
	unsigned substeps, threads;
	int quiet;
};

/* One model: what it is run with, and what came out. */
struct validate_model {
	const char *name;		/* output directory and JSON key */
	const char *staleness;		/* the staleness law, in words */
	asgd_model model;
	int enabled;			/* the mixture models only run with a mixture fit */
	double mu;			/* μ̂, or the mixture's μ̄ (sets Δt) */
	const double *tau_pmf;		/* sim: τ i.i.d. from this pmf, else geometric(mu) */
	size_t tau_len;
	const asgd_geomix *mixture;	/* sme-asgd-mixture */
	/* results */
	asgd_sigma sigma;		/* SMEs: the Σ choice used */
	double dt, wall_s, truncation_prob;
	uint64_t paths_done, nonfinite, truncated;
	int ran, interrupted, have_table, have_score;
	asgd_moment_table table;
	struct validate_score score;
};

/*
 * Set up the six models for staleness μ̂ = @mu_hat, the measured pmf @pmf (@pmf_len values) and
 * the mixture @mix with its pmf table @mix_pmf (@mix_len values); @mix NULL leaves the two
 * mixture models disabled.
 */
void validate_models_init(struct validate_model *m, double mu_hat, const double *pmf,
			  size_t pmf_len, const asgd_geomix *mix, const double *mix_pmf,
			  size_t mix_len);

/*
 * Run model @m (number @index, which picks its random streams) with @c, write
 * @dir/moments.csv and score it against @real. Returns 0 (also when interrupted) or an error.
 */
int validate_model_run(const struct validate_ctx *c, unsigned index, struct validate_model *m,
		       const char *dir, const asgd_moment_table *real);

/* The gaps and band fractions of @model against @real. Returns 0 or ASGD_EINVAL. */
int validate_score_compute(const asgd_moment_table *model, const asgd_moment_table *real,
			   struct validate_score *out);

/* The model's entry of validation.json. */
cJSON *validate_model_json(const struct validate_model *m);

/*
 * The `effects` object: the shape effect (asgd-geometric's gaps minus asgd-measured-pmf's, and
 * the direct gap between the two models) and the correlation-and-the-rest effect
 * (asgd-measured-pmf's gaps), each for the mean and E x² with SEs. NULL without both models.
 */
cJSON *validate_effects_json(const struct validate_model *m);

/*
 * The `best_model` object: the scored model with the smallest largest mean gap, and the one
 * with the smallest largest relative E x² gap; JSON null when no model was scored.
 */
cJSON *validate_best_json(const struct validate_model *m);

/* The verdict table's rows: one per scored model, then the best model. */
void validate_print_models(const struct validate_model *m);

/* The verdict table's effects: shape, the two replays apart, correlation and the rest. */
void validate_print_effects(const struct validate_model *m);

/* Release the tables of all VALIDATE_MODELS models of @m (zeroed or run). */
void validate_models_free(struct validate_model *m);

#endif /* ASGD_CLI_VALIDATE_H */
