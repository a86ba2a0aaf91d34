/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/validate.h — the experiment behind `asgd validate`: does the fitted model predict the real
 * algorithm?
 *
 * The real threaded engine runs R times from x0; the staleness it measured is fitted (μ̂, and a
 * mixture of geometrics with K chosen by BIC); every model then runs with that staleness —
 * SME-ASGD (2.11), SME-SGD (3.3), discrete ASGD (2.1) with τ i.i.d. geometric(μ̂), from the
 * measured pmf and from the fitted mixture, and SME-ASGD with one auxiliary variable per mixture
 * component (docs/MODELS.md §5) — and each model's mean and second moment are compared with the
 * real run's, with standard errors.
 *
 * The three discrete replays differ only in the law of τ. Each has i.i.d. τ, so the replay with
 * the measured pmf has the real marginal and nothing else: whatever gap it leaves is correlated
 * staleness and whatever else the engine does, and its difference from the geometric replay is
 * the shape of the marginal alone (the "effects").
 *
 * The module prints nothing. It writes each model's moments.csv under a directory it is given;
 * the real run's files are the caller's to write, from a callback that sees the replicas and
 * their staleness fit as soon as they exist. A raised stop flag ends the run in progress (the
 * engine, the mixture fit, a model's ensemble) and runs no further model; what was measured
 * stays in the result, marked partial. No global state.
 */
#ifndef ASGD_VALIDATE_H
#define ASGD_VALIDATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/compare.h"
#include "asgd/engine.h"
#include "asgd/geomix.h"
#include "asgd/model.h"
#include "asgd/observe.h"
#include "asgd/replicas.h"
#include "asgd/sme.h"
#include "asgd/staleness.h"

/* The models put beside the real run, in the order they run and are reported. */
typedef enum asgd_validate_which {
	ASGD_VALIDATE_SME_ASGD,			/* (2.11), geometric μ̂ */
	ASGD_VALIDATE_SME_SGD,			/* (3.3): what you predict ignoring asynchrony */
	ASGD_VALIDATE_ASGD_GEOMETRIC,		/* (2.1), τ i.i.d. geometric(μ̂) */
	ASGD_VALIDATE_ASGD_MEASURED,		/* (2.1), τ i.i.d. from the measured pmf */
	ASGD_VALIDATE_ASGD_MIXTURE,		/* (2.1), τ i.i.d. from the fitted mixture */
	ASGD_VALIDATE_SME_ASGD_MIXTURE,		/* MODELS.md §5: an auxiliary variable per component */
	ASGD_VALIDATE_NMODELS
} asgd_validate_which;

/*
 * The fraction of cells that must lie within 2 SE for "inside the band". Not 0.95: cells along k
 * are strongly correlated, so even a correct model's fraction swings widely around 0.95. Measured:
 * 20 runs of 1000 paths of discrete ASGD against a 5000-path ensemble of the same process gave
 * 0.889–0.996 (mean) and 0.901–0.992 (E x²); with 0.95 only 7 of the 20 passed, with 0.88 all do.
 * A model below 0.88 is outside what chance gives a correct one on this comparison.
 */
#define ASGD_VALIDATE_INSIDE_FRACTION 0.88

/* The calibration of ASGD_VALIDATE_INSIDE_FRACTION, in words, where the verdict is printed. */
#define ASGD_VALIDATE_BAND_CALIBRATION \
	"20 runs of a correct model had 0.889-0.996 (mean) and 0.901-0.992 (E x^2) of cells " \
	"inside; at 0.95 only 7 of 20 pass (docs/MODELS.md)"

/* The simulators' τ tables stop where the mixture's tail is below this (as sim's geometric). */
#define ASGD_VALIDATE_MIXTURE_TAIL_EPS 1e-12

/* How close a model is to the real run, over steps k ≥ 1 and every coordinate. */
typedef struct asgd_validate_score {
	asgd_gap gap;			/* largest gaps with their SEs (asgd_gap_compute) */
	double inside_mean;		/* fraction of cells with |real − model| ≤ 2 SE of the
					   difference */
	double inside_second;		/* the same for E x² */
	int inside_band;		/* both fractions ≥ ASGD_VALIDATE_INSIDE_FRACTION */
} asgd_validate_score;

/* One model: what it is run with, and what came out. */
typedef struct asgd_validate_model {
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
	int ran;			/* it was started (its directory was made) */
	int interrupted, have_table, have_score;
	asgd_moment_table table;	/* its moments, when have_table */
	asgd_validate_score score;	/* against the real run, when have_score */
} asgd_validate_model;

/* Whose progress a progress call reports. */
#define ASGD_VALIDATE_REAL (-1)		/* the real run's replicas, not a model */

/* What a progress call reports. */
typedef enum asgd_validate_event {
	ASGD_VALIDATE_BEGIN,		/* the real run or a model starts (done = 0) */
	ASGD_VALIDATE_DONE,		/* replicas, or a model's paths, done of total */
	ASGD_VALIDATE_END,		/* what began is over, whatever its outcome */
	ASGD_VALIDATE_ESTIMATE,		/* a model's expected wall time (estimate_s), after
					   BEGIN and before its paths run */
} asgd_validate_event;

/* One progress report. */
typedef struct asgd_validate_progress {
	int model;			/* ASGD_VALIDATE_REAL, or the model's asgd_validate_which */
	const char *name;		/* "replica", or the model's name */
	asgd_validate_event event;
	uint64_t done, total;		/* replicas or paths (DONE; 0 at BEGIN and END) */
	double estimate_s;		/* ESTIMATE: seconds the model's run is expected to take
					   (a pilot path timed: asgd_sme_estimate_s,
					   asgd_sim_estimate_s); 0 otherwise */
} asgd_validate_progress;

/* What one validation does. */
typedef struct asgd_validate_config {
	/*
	 * The real engine: problem, mode, workers, work, K = iters, η, seed, and the row stride S =
	 * record_every (0: 1). Its problem, K, η, seed and S are also the models': every table
	 * holds rows k = 0, S, 2S, ..., so its cells compare at the same k. asgd_validate_run runs a copy of it with staleness recorded
	 * and the stop flag @stop.
	 */
	asgd_engine_config engine;
	const asgd_observable *observe;	/* what the moments are of; NULL: x itself */
	uint64_t replicas;		/* real runs from x0, ≥ 2 */
	uint64_t paths;			/* sample paths per model, ≥ 2 */
	unsigned substeps;		/* Euler–Maruyama substeps per step of the SMEs, ≥ 1 */
	asgd_sme_noise noise;		/* how the SMEs sample C in d > 1 (asgd/sme.h; 0: auto) */
	size_t noise_rows;		/* ASGD_SME_NOISE_SAMPLED: rows a substep */
	unsigned threads;		/* compute threads of the models, 0 = all CPUs */
	unsigned mixture_max;		/* largest K tried, 1..ASGD_GEOMIX_MAX; 1: no mixture */
	const char *out;		/* NULL, or the directory under which each model that runs
					   writes <name>/moments.csv */
	const atomic_int *stop;		/* NULL, or a flag that ends the validation when nonzero */
	/* NULL, or called as the work goes (with @progress_arg) */
	void (*progress)(void *arg, const asgd_validate_progress *p);
	void *progress_arg;
	/*
	 * NULL, or called once the real run completed and its staleness was fitted (also after a
	 * stop), to write the real run's files: @engine the configuration it ran with, @t the
	 * replicas, @sum their staleness (NULL: nothing measured), @dt the time step of its
	 * moments. An error it returns ends the validation with that code before any model runs.
	 */
	int (*write_real)(void *arg, const asgd_engine_config *engine, const asgd_replicas *t,
			  const asgd_staleness_summary *sum, double dt);
	void *write_real_arg;
} asgd_validate_config;

/* Where a validation failed. */
typedef enum asgd_validate_failure {
	ASGD_VALIDATE_FAIL_NONE,
	ASGD_VALIDATE_FAIL_ENGINE,	/* the real run (the result holds no replicas) */
	ASGD_VALIDATE_FAIL_STALENESS,	/* the staleness summary (ASGD_ENOMEM) */
	ASGD_VALIDATE_FAIL_MIXTURE,	/* the mixture fit */
	ASGD_VALIDATE_FAIL_WRITE_REAL,	/* @write_real, or the real run's moment table */
	ASGD_VALIDATE_FAIL_MODEL,	/* model failed_model; error says why when it was refused */
} asgd_validate_failure;

/* What a validation measured. Zero it before asgd_validate_run. */
typedef struct asgd_validate_result {
	asgd_replicas real;		/* the real run; zero when the engine failed */
	double dt;			/* the real moments' time step √(η(1 − μ̂)) (μ̂ = 0 without
					   a fit) */
	asgd_moment_table moments;	/* the real run's moments at dt; steps 0 when fewer than 2
					   replicas completed or the run diverged */
	int have_staleness;
	asgd_staleness_summary staleness; /* the pooled fit, when have_staleness */
	int have_truncated;		/* a staleness bound (engine.max_staleness = s): */
	asgd_staleness_truncated truncated; /* the truncated law's fit (asgd/staleness.h) … */
	double *truncated_pmf;		/* … and its pmf over 0..s, the asgd-geometric replay's law */
	int have_mixture;
	asgd_geomix mixture;		/* the mixture K by BIC, when have_mixture */
	asgd_geomix mixture_all[ASGD_GEOMIX_MAX]; /* every K tried */
	int mixture_omitted;		/* the stop flag cut the mixture fit short: none */
	double *mixture_pmf;		/* the mixture's pmf table for the simulators */
	size_t mixture_len;
	double mixture_tv;		/* asgd_validate_mixture_tv of the mixture */
	asgd_validate_model models[ASGD_VALIDATE_NMODELS];
	int partial;			/* stopped or failed: not everything ran */
	double wall_s;			/* of asgd_validate_run */
	asgd_validate_failure failed;	/* where it failed (FAIL_NONE: it did not) */
	int failed_model;		/* FAIL_MODEL: which (asgd_validate_which) */
	char error[512];		/* FAIL_MODEL: why the model was refused, or "" */
} asgd_validate_result;

/*
 * asgd_validate_run - the real run, its staleness fit, @cfg->write_real, then each enabled model
 * in order (while the stop flag is down), into @res, which must be zeroed.
 * Models run only when the staleness was fitted and at least 2 finite replicas completed. A stop
 * is not an error: it returns 0 with @res->partial set.
 * Returns 0 (see res->real.diverged), ASGD_EINVAL for NULL arguments, or the error of the engine,
 * the fits (ASGD_ENOMEM), @cfg->write_real, a model's directory (ASGD_EIO) or its run, with
 * res->failed saying where. @res holds what was measured either way: free it with
 * asgd_validate_result_free.
 */
int asgd_validate_run(const asgd_validate_config *cfg, asgd_validate_result *res);

/* asgd_validate_result_free - release what @res holds and zero it; NULL is a no-op. */
void asgd_validate_result_free(asgd_validate_result *res);

/*
 * asgd_validate_mixture_tv - the total-variation distance ½ Σ_l |p̂(l) − q(l)| over all l ≥ 0 of
 * the mixture @mix's pmf q from the measured pmf @s->pmf, the mass of q beyond the measured
 * support included.
 */
double asgd_validate_mixture_tv(const asgd_geomix *mix, const asgd_staleness_summary *s);

/*
 * asgd_validate_score_compute - the gaps and band fractions of @model against @real: the cells
 * (k ≥ 1, every coordinate) where |model − real| ≤ 2 SE of the difference, for the mean and for
 * E x² (a NaN counts as outside). Returns 0, ASGD_EINVAL for NULL or tables asgd_gap_compute
 * refuses.
 */
int asgd_validate_score_compute(const asgd_moment_table *model, const asgd_moment_table *real,
				asgd_validate_score *out);

/*
 * asgd_validate_best - the scored model of @m (ASGD_VALIDATE_NMODELS of them) with the smallest
 * largest gap: in the mean, or with @second nonzero the relative gap in E x². Returns its index,
 * or −1 when no model was scored.
 */
int asgd_validate_best(const asgd_validate_model *m, int second);

/*
 * How many combined SE apart two largest gaps must be to call them distinct: the z of the
 * replicas-needed formula and of the decisive answer. 3, not 2: a largest gap over many
 * correlated cells is a maximum, its SE is a delta-method approximation, and two-sided z = 3
 * leaves a chance difference at p ≈ 0.003 rather than 0.05.
 */
#define ASGD_VALIDATE_DECISIVE_Z 3.0

/* The most replicas asgd_validate_replicas_needed reports; above it separation is hopeless. */
#define ASGD_VALIDATE_REPLICAS_CAP 100000000ULL

/*
 * asgd_validate_distinguishable - whether the best model of @m by asgd_validate_best(@m,
 * @second) is distinguishable: its largest gap (mean, or relative E x² with @second) lies more
 * than 1 combined SE (the two gaps' SEs in quadrature) below every other scored model's. 0 when
 * no model, or only one, was scored: one model has nothing to be distinguished from.
 */
int asgd_validate_distinguishable(const asgd_validate_model *m, int second);

/*
 * asgd_validate_tied - the scored models of @m whose largest gap (as asgd_validate_distinguishable)
 * is within 1 combined SE of the best one's, the best included, into @tied (their indices, in
 * order; ASGD_VALIDATE_NMODELS entries suffice). A NaN gap counts as tied: it is no evidence.
 * Returns how many, 0 when no model was scored.
 */
int asgd_validate_tied(const asgd_validate_model *m, int second, int *tied);

/*
 * asgd_validate_replicas_needed - the replicas that would put two gaps @diff apart at
 * @z combined SE, when @replicas gave the combined SE @se_diff: SE ∝ 1/√R, so
 * R_needed = ⌈R·(z·SE/|diff|)²⌉ (model paths scaled in proportion to R, as the defaults keep
 * them). Capped at ASGD_VALIDATE_REPLICAS_CAP (also for diff 0 or a non-finite input); at least
 * 2. The SEs share the real run's error, so this is a rough size, not a power calculation.
 */
uint64_t asgd_validate_replicas_needed(uint64_t replicas, double diff, double se_diff, double z);

/* The one-sentence answer of validate: does SME-ASGD predict the real run better than SME-SGD? */
typedef struct asgd_validate_answer {
	int known;		/* both SME-ASGD and SME-SGD were scored; nothing else is set
				   otherwise */
	int decisive;		/* yes: SME-ASGD inside the band, SME-SGD outside, and the
				   largest mean gaps ≥ ASGD_VALIDATE_DECISIVE_Z combined SE apart
				   (SME-SGD's the larger); or no: the reverse */
	int yes;		/* decisive and SME-ASGD is the better */
	int asgd_inside, sgd_inside;	/* their band verdicts */
	double asgd_mu;		/* μ̂ SME-ASGD ran with */
	double asgd_inside_mean, sgd_inside_mean;	/* their fractions of mean cells inside */
	double asgd_inside_second, sgd_inside_second;	/* … and of E x² cells */
	double separation;	/* (gap_SGD − gap_ASGD) / combined SE, largest mean gaps */
	uint64_t replicas_needed;	/* asgd_validate_replicas_needed at
					   ASGD_VALIDATE_DECISIVE_Z */
	char text[512];		/* the sentence, starting "Answer: yes", "Answer: no" or
				   "Not decisive" */
} asgd_validate_answer;

/*
 * asgd_validate_answer_of - the answer of the scored models @m (ASGD_VALIDATE_NMODELS of them)
 * from @replicas real replicas into @out. Returns 0 (out->known 0 when either SME was not
 * scored), ASGD_EINVAL for NULL.
 */
int asgd_validate_answer_of(const asgd_validate_model *m, uint64_t replicas,
			    asgd_validate_answer *out);

/* What the shape of the staleness law and its correlation do to the gaps. */
typedef struct asgd_validate_effects {
	asgd_gap shape;		/* gap(asgd-geometric) − gap(asgd-measured-pmf): mean, second_rel
				   and their SEs in quadrature (the other fields 0) */
	int have_direct;	/* direct was computed */
	asgd_gap direct;	/* the largest gap between the two replays themselves */
	asgd_gap correlation;	/* gap(asgd-measured-pmf): correlated staleness and the rest */
} asgd_validate_effects;

/*
 * asgd_validate_effects_of - the effects of the models @m (ASGD_VALIDATE_NMODELS of them) into
 * @out. The shape's SEs ignore that both gaps share the real run's error, which overstates them;
 * the direct gap (independent ensembles) has no such issue. Returns 0, or ASGD_ENOTFOUND when
 * asgd-geometric or asgd-measured-pmf was not scored (ASGD_EINVAL for NULL).
 */
int asgd_validate_effects_of(const asgd_validate_model *m, asgd_validate_effects *out);

/*
 * asgd_validate_result_json - @res, which asgd_validate_run filled under @cfg, as validation.json:
 * "command" ("validate"), "command_line" (asgd_report_argv_json of @argc, @argv, argv[0] the
 * subcommand; left out when @argv is NULL), "settings", "machine", "real", "staleness" (with "interval_used" and the mixture, null
 * when not fitted; null without a fit), "models" (those that ran), "inside_fraction_required",
 * "band_rule" (the rule and its calibration), "answer" (asgd_validate_answer_of; null when
 * unknown), "best_model" (a name only when asgd_validate_distinguishable, with the tied models),
 * "effects" (null without both discrete replays scored), "partial", "omitted" (what a stop kept
 * out) and "wall_s". The caller owns the result (cJSON_Delete); NULL for NULL arguments; cJSON's
 * allocation failures are the caller's to detect (cJSON_InitHooks).
 */
cJSON *asgd_validate_result_json(const asgd_validate_config *cfg, const asgd_validate_result *res,
				 int argc, char **argv);

#endif /* ASGD_VALIDATE_H */
