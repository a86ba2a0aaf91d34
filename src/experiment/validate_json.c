/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate_json.c — the validate experiment's result as the body of validation.json
 * (asgd_validate_result_json): the settings, the real run, the staleness fit with its mixture,
 * each model's gaps and band fractions, the best model and the effects of the staleness law's
 * shape and of its correlation.
 */
#include "asgd/validate.h"

#include <math.h>
#include <stdlib.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "asgd/work.h"

/* What the moments are of and, for the loss, the optimum beside which it is read (null where
 * no minimizer is known): figures draw it. */
static void observed_json(cJSON *j, const asgd_validate_config *c)
{
	const asgd_problem *p = c->engine.problem;
	double *xs, fstar = NAN;

	cJSON_AddStringToObject(j, "observe", c->observe ? c->observe->spec : "x");
	if (!c->observe || c->observe->kind != ASGD_OBSERVE_LOSS)
		return;
	xs = malloc(asgd_problem_dim(p) * sizeof(double));
	if (xs && asgd_problem_minimizer(p, xs) == ASGD_OK)
		fstar = asgd_problem_f(p, xs);
	free(xs);
	if (isfinite(fstar))
		cJSON_AddNumberToObject(j, "optimum_loss", fstar);
	else
		cJSON_AddNullToObject(j, "optimum_loss");
}

static cJSON *settings_json(const asgd_validate_config *c)
{
	const asgd_engine_config *e = &c->engine;
	char work[64];
	cJSON *j = cJSON_CreateObject();

	asgd_work_format(&e->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(e->problem));
	cJSON_AddNumberToObject(j, "dim", (double)asgd_problem_dim(e->problem));
	observed_json(j, c);
	cJSON_AddNumberToObject(j, "workers", e->workers);
	if (e->max_staleness)
		cJSON_AddNumberToObject(j, "max_staleness", (double)e->max_staleness);
	else
		cJSON_AddNullToObject(j, "max_staleness");
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "replicas", (double)c->replicas);
	cJSON_AddNumberToObject(j, "iters", (double)e->iters);
	cJSON_AddNumberToObject(j, "eta", e->eta);
	cJSON_AddNumberToObject(j, "paths", (double)c->paths);
	cJSON_AddNumberToObject(j, "substeps", c->substeps);
	cJSON_AddNumberToObject(j, "record_every",
				(double)(c->engine.record_every ? c->engine.record_every : 1));
	cJSON_AddStringToObject(j, "noise", c->noise == ASGD_SME_NOISE_EXACT ? "exact"
					    : c->noise == ASGD_SME_NOISE_SAMPLED ? "sampled" : "auto");
	cJSON_AddNumberToObject(j, "noise_rows", (double)c->noise_rows);
	cJSON_AddNumberToObject(j, "mixture_max", c->mixture_max);
	cJSON_AddNumberToObject(j, "threads", c->threads);
	cJSON_AddNumberToObject(j, "seed", (double)e->seed);
	return j;
}

static cJSON *real_json(const asgd_validate_result *r)
{
	const asgd_replicas *t = &r->real;
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "replicas", (double)t->replicas_done);
	cJSON_AddBoolToObject(j, "diverged", t->diverged);
	cJSON_AddBoolToObject(j, "partial", t->interrupted);
	cJSON_AddNumberToObject(j, "applied", (double)t->applied);
	cJSON_AddNumberToObject(j, "engine_wall_s", t->wall_s);
	cJSON_AddNumberToObject(j, "dt", r->dt);
	return j;
}

/* The fitted mixture (asgd_geomix_json), with how far its pmf is from the measured one and the
 * length of the table the simulators draw from. */
static cJSON *staleness_json(const asgd_validate_config *c, const asgd_validate_result *r)
{
	cJSON *j, *mix;

	if (!r->have_staleness)
		return cJSON_CreateNull();
	j = asgd_staleness_summary_json(&r->staleness);
	cJSON_AddStringToObject(j, "interval_used",
				r->staleness.runs >= 2 ? "mu_ci95_runs" : "mu_ci95");
	cJSON_AddStringToObject(j, "interval_note",
				"mu_ci95_runs is over replicas (batch means) and holds under the "
				"serial correlation of tau; mu_ci95 assumes i.i.d. tau. The verdict "
				"prints and reads mu_ci95_runs; every model runs with mu_hat itself, "
				"which is the same under both");
	if (r->have_truncated)
		cJSON_AddItemToObject(j, "truncated", asgd_staleness_truncated_json(&r->truncated));
	else
		cJSON_AddNullToObject(j, "truncated");
	if (!r->have_mixture) {
		cJSON_AddNullToObject(j, "mixture");
		return j;
	}
	mix = asgd_geomix_json(&r->mixture, r->mixture_all, c->mixture_max);
	cJSON_AddNumberToObject(mix, "tv_distance", r->mixture_tv);
	cJSON_AddNumberToObject(mix, "pmf_table_len", (double)r->mixture_len);
	cJSON_AddItemToObject(j, "mixture", mix);
	return j;
}

static cJSON *model_json(const asgd_validate_model *m)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "model", asgd_model_name(m->model));
	cJSON_AddStringToObject(j, "staleness", m->staleness);
	if (m->model != ASGD_MODEL_SME_SGD)
		cJSON_AddNumberToObject(j, "mu", m->mu);
	if (!asgd_model_is_discrete(m->model))
		cJSON_AddStringToObject(j, "sigma", asgd_sigma_name(m->sigma));
	else
		cJSON_AddNumberToObject(j, "truncated", (double)m->truncated);
	cJSON_AddNumberToObject(j, "dt", m->dt);
	cJSON_AddNumberToObject(j, "paths_done", (double)m->paths_done);
	cJSON_AddNumberToObject(j, "nonfinite_paths", (double)m->nonfinite);
	cJSON_AddNumberToObject(j, "wall_s", m->wall_s);
	if (m->have_score) {
		asgd_gap_add_json(j, &m->score.gap);
		cJSON_AddNumberToObject(j, "mean_inside_fraction", m->score.inside_mean);
		cJSON_AddNumberToObject(j, "second_inside_fraction", m->score.inside_second);
		cJSON_AddBoolToObject(j, "inside_band", m->score.inside_band);
	}
	return j;
}

static cJSON *effect_json(const asgd_gap *g, const char *definition)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "mean", g->mean);
	cJSON_AddNumberToObject(j, "mean_se", g->mean_se);
	cJSON_AddNumberToObject(j, "second_rel", g->second_rel);
	cJSON_AddNumberToObject(j, "second_rel_se", g->second_rel_se);
	cJSON_AddStringToObject(j, "definition", definition);
	return j;
}

/* The shape and correlation effects (asgd_validate_effects_of); JSON null when not known. */
static cJSON *effects_json(const asgd_validate_model *m)
{
	asgd_validate_effects e;
	cJSON *j, *shape;

	if (asgd_validate_effects_of(m, &e) != ASGD_OK)
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	shape = effect_json(&e.shape,
			    "gap(asgd-geometric) - gap(asgd-measured-pmf), SEs in quadrature");
	if (e.have_direct)
		cJSON_AddItemToObject(shape, "direct",
				      effect_json(&e.direct, "largest gap between asgd-geometric "
							     "and asgd-measured-pmf"));
	cJSON_AddItemToObject(j, "shape", shape);
	cJSON_AddItemToObject(j, "correlation",
			      effect_json(&e.correlation,
					  "gap(asgd-measured-pmf): correlated staleness and the "
					  "rest of what the engine does"));
	return j;
}

/* The best model by one criterion, or null when it is not distinguishable from the rest. */
static cJSON *best_name_json(const asgd_validate_model *m, int second)
{
	int b = asgd_validate_best(m, second);

	if (b < 0 || !asgd_validate_distinguishable(m, second))
		return cJSON_CreateNull();
	return cJSON_CreateString(m[b].name);
}

/* The models within 1 combined SE of the smallest gap, the smallest included. */
static cJSON *tied_json(const asgd_validate_model *m, int second)
{
	int tied[ASGD_VALIDATE_NMODELS], n = asgd_validate_tied(m, second, tied);
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(m[tied[i]].name));
	return a;
}

/*
 * The model with the smallest largest mean gap, and by E x², each null when its gap is within 1
 * combined SE of another model's ("smallest_*": the smallest regardless; "tied_*": the models
 * within 1 combined SE of it); JSON null when none was scored.
 */
static cJSON *best_json(const asgd_validate_model *m)
{
	int bm = asgd_validate_best(m, 0), bs = asgd_validate_best(m, 1);
	cJSON *j;

	if (bm < 0)
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, "by_mean", best_name_json(m, 0));
	cJSON_AddItemToObject(j, "by_second_moment", best_name_json(m, 1));
	cJSON_AddStringToObject(j, "smallest_by_mean", m[bm].name);
	cJSON_AddStringToObject(j, "smallest_by_second_moment", m[bs].name);
	cJSON_AddItemToObject(j, "tied_by_mean", tied_json(m, 0));
	cJSON_AddItemToObject(j, "tied_by_second_moment", tied_json(m, 1));
	cJSON_AddStringToObject(j, "criterion", "smallest largest |mean gap| against the real "
						"run over k >= 1 (by_second_moment: smallest "
						"largest relative E x^2 gap), named only when it "
						"is more than 1 combined SE below every other "
						"model's; null: no model distinguishable at these "
						"sizes");
	return j;
}

/* The one-sentence answer (asgd_validate_answer_of); null when either SME was not scored. */
static cJSON *answer_json(const asgd_validate_model *m, uint64_t replicas)
{
	asgd_validate_answer a;
	cJSON *j;

	if (asgd_validate_answer_of(m, replicas, &a) != ASGD_OK || !a.known)
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "decisive", a.decisive);
	if (a.decisive)
		cJSON_AddBoolToObject(j, "yes", a.yes);
	else
		cJSON_AddNullToObject(j, "yes");
	cJSON_AddStringToObject(j, "text", a.text);
	cJSON_AddBoolToObject(j, "sme_asgd_inside_band", a.asgd_inside);
	cJSON_AddBoolToObject(j, "sme_sgd_inside_band", a.sgd_inside);
	if (isfinite(a.separation))
		cJSON_AddNumberToObject(j, "separation_se", a.separation);
	else
		cJSON_AddNullToObject(j, "separation_se");
	cJSON_AddNumberToObject(j, "z_required", ASGD_VALIDATE_DECISIVE_Z);
	cJSON_AddNumberToObject(j, "replicas_needed", (double)a.replicas_needed);
	cJSON_AddStringToObject(j, "definition",
				"decisive: SME-ASGD inside the band, SME-SGD outside and their "
				"largest mean gaps >= z_required combined SE apart (or the reverse); "
				"separation_se = (gap(sme-sgd) - gap(sme-asgd)) / combined SE; "
				"replicas_needed = R (z SE / |gap difference|)^2, SE ~ 1/sqrt(R)");
	return j;
}

/* The band rule as the verdict applies it, with where its threshold comes from. */
static cJSON *band_rule_json(void)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "cell_se", 2);
	cJSON_AddNumberToObject(j, "inside_fraction_required", ASGD_VALIDATE_INSIDE_FRACTION);
	cJSON_AddStringToObject(j, "rule", "a model is inside the band when at least "
					   "inside_fraction_required of the cells (k >= 1, every "
					   "coordinate) have |model - real| <= 2 SE of the "
					   "difference, for the mean and for E x^2");
	cJSON_AddStringToObject(j, "calibration", ASGD_VALIDATE_BAND_CALIBRATION);
	return j;
}

/*
 * What a stop kept out (docs/DESIGN.md, "Stopping"), [] when nothing: "real.replica_scoring" (the
 * last real replica ran to its end but the stop came while its rows were scored: it is not in the
 * real moments) and "staleness.mixture" (the mixture fit was stopped: the mixture is null).
 */
static cJSON *omitted_json(const asgd_validate_result *r)
{
	cJSON *a = cJSON_CreateArray();

	if (r->real.scoring_interrupted)
		cJSON_AddItemToArray(a, cJSON_CreateString("real.replica_scoring"));
	if (r->mixture_omitted)
		cJSON_AddItemToArray(a, cJSON_CreateString("staleness.mixture"));
	return a;
}

cJSON *asgd_validate_result_json(const asgd_validate_config *cfg, const asgd_validate_result *res,
				 int argc, char **argv)
{
	cJSON *root, *models;

	if (!cfg || !res)
		return NULL;
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "command", "validate");
	if (argv)
		cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(argc, argv));
	cJSON_AddItemToObject(root, "settings", settings_json(cfg));
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	cJSON_AddItemToObject(root, "real", real_json(res));
	cJSON_AddItemToObject(root, "staleness", staleness_json(cfg, res));
	models = cJSON_AddObjectToObject(root, "models");
	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++)
		if (res->models[i].ran)
			cJSON_AddItemToObject(models, res->models[i].name,
					      model_json(&res->models[i]));
	cJSON_AddNumberToObject(root, "inside_fraction_required", ASGD_VALIDATE_INSIDE_FRACTION);
	cJSON_AddItemToObject(root, "band_rule", band_rule_json());
	cJSON_AddItemToObject(root, "answer", answer_json(res->models, res->real.replicas_done));
	cJSON_AddItemToObject(root, "best_model", best_json(res->models));
	cJSON_AddItemToObject(root, "effects", effects_json(res->models));
	cJSON_AddBoolToObject(root, "partial", res->partial);
	cJSON_AddItemToObject(root, "omitted", omitted_json(res));
	cJSON_AddNumberToObject(root, "wall_s", res->wall_s);
	return root;
}
