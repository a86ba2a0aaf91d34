/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate_models.c — the models of `asgd validate`, each run with the staleness measured on the
 * real engine, and how each is scored against the real run.
 *
 * Three discrete ASGD replays differ only in the law of τ: geometric(μ̂), the measured pmf, the
 * fitted mixture. Since each has i.i.d. τ, the replay with the measured pmf has the real
 * marginal and nothing else; whatever gap it leaves is correlated staleness and whatever else
 * the engine does, and the difference between it and the geometric replay is the shape of the
 * marginal alone.
 */
#include "validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/report.h"
#include "asgd/sim.h"
#include "asgd/sme.h"
#include "cli.h"
#include "models.h"

void validate_models_init(struct validate_model *m, double mu_hat, const double *pmf,
			  size_t pmf_len, const asgd_geomix *mix, const double *mix_pmf,
			  size_t mix_len)
{
	double mu_bar = mix ? asgd_geomix_mu_bar(mix) : 0;

	memset(m, 0, VALIDATE_MODELS * sizeof(*m));
	m[VALIDATE_SME_ASGD] = (struct validate_model){
		.name = "sme-asgd", .staleness = "geometric(mu_hat)",
		.model = ASGD_MODEL_SME_ASGD, .enabled = 1, .mu = mu_hat,
	};
	m[VALIDATE_SME_SGD] = (struct validate_model){
		.name = "sme-sgd", .staleness = "none", .model = ASGD_MODEL_SME_SGD, .enabled = 1,
	};
	m[VALIDATE_ASGD_GEOMETRIC] = (struct validate_model){
		.name = "asgd-geometric", .staleness = "iid geometric(mu_hat)",
		.model = ASGD_MODEL_ASGD, .enabled = 1, .mu = mu_hat,
	};
	m[VALIDATE_ASGD_MEASURED] = (struct validate_model){
		.name = "asgd-measured-pmf", .staleness = "iid from the measured pmf",
		.model = ASGD_MODEL_ASGD, .enabled = 1, .mu = mu_hat,
		.tau_pmf = pmf, .tau_len = pmf_len,
	};
	m[VALIDATE_ASGD_MIXTURE] = (struct validate_model){
		.name = "asgd-mixture-pmf", .staleness = "iid from the fitted mixture",
		.model = ASGD_MODEL_ASGD, .enabled = mix != NULL, .mu = mu_bar,
		.tau_pmf = mix_pmf, .tau_len = mix_len,
	};
	m[VALIDATE_SME_ASGD_MIXTURE] = (struct validate_model){
		.name = "sme-asgd-mixture", .staleness = "fitted mixture",
		.model = ASGD_MODEL_SME_ASGD_MIXTURE, .enabled = mix != NULL, .mu = mu_bar,
		.mixture = mix,
	};
}

/* Each model its own streams, apart from the others' and the engine's, so SEs add in quadrature. */
static uint64_t model_seed(const struct validate_ctx *c, unsigned index)
{
	return c->seed + 0x9E3779B97F4A7C15ull * ((uint64_t)index + 1);
}

/* What every ensemble reports, and its moments as a table and as DIR/moments.csv. */
static int take_ensemble(struct validate_model *m, const asgd_ensemble_result *ens,
			 const char *dir)
{
	char path[4096];
	int rc;

	m->paths_done = ens->paths_done;
	m->nonfinite = ens->nonfinite;
	m->interrupted = ens->interrupted;
	m->wall_s = ens->wall_s;
	if (ens->paths_done < 2)
		return ASGD_OK;
	rc = asgd_table_from_moments(&ens->moments, m->dt, &m->table);
	if (rc)
		return rc;
	m->have_table = 1;
	cli_out_path(path, sizeof(path), dir, "moments.csv");
	return asgd_moments_write_csv(&ens->moments, path, m->dt);
}

static int run_sim(const struct validate_ctx *c, unsigned index, struct validate_model *m,
		   const char *dir, struct cli_progress_state *prog)
{
	asgd_sim_config cfg = {
		.model = m->model, .problem = c->problem, .observe = c->observe, .eta = c->eta,
		.mu = m->mu,
		.iters = c->iters, .tau_pmf = m->tau_pmf, .tau_len = m->tau_len,
		.paths = c->paths, .threads = c->threads, .seed = model_seed(c, index),
		.stop = cli_stop_flag(), .progress = cli_progress_cb, .progress_arg = prog,
	};
	asgd_sim_result res;
	char err[256];
	int rc = asgd_sim_check_config(&cfg, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "asgd validate: %s: %s\n", m->name, err);
		return rc;
	}
	rc = asgd_sim_run(&cfg, &res);
	if (rc)
		return rc;
	m->dt = asgd_model_time_step(m->model, c->eta, m->mu);
	m->truncation_prob = res.truncation_prob;
	m->truncated = res.truncated;
	rc = take_ensemble(m, &res.ens, dir);
	asgd_sim_result_free(&res);
	return rc;
}

static int run_sme(const struct validate_ctx *c, unsigned index, struct validate_model *m,
		   const char *dir, struct cli_progress_state *prog)
{
	asgd_sme_config cfg = {
		.model = m->model, .sigma = asgd_sme_default_sigma(m->model, c->problem),
		.problem = c->problem, .observe = c->observe, .eta = c->eta, .mu = m->mu,
		.mixture = m->mixture,
		.iters = c->iters, .substeps = c->substeps, .paths = c->paths,
		.threads = c->threads, .seed = model_seed(c, index), .stop = cli_stop_flag(),
		.progress = cli_progress_cb, .progress_arg = prog,
	};
	asgd_sme_result res;
	char err[256];
	int rc = asgd_sme_check_config(&cfg, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "asgd validate: %s: %s\n", m->name, err);
		return rc;
	}
	rc = asgd_sme_run(&cfg, &res);
	if (rc)
		return rc;
	m->sigma = cfg.sigma;
	m->dt = res.dt;
	rc = take_ensemble(m, &res.ens, dir);
	asgd_sme_result_free(&res);
	return rc;
}

int validate_model_run(const struct validate_ctx *c, unsigned index, struct validate_model *m,
		       const char *dir, const asgd_moment_table *real)
{
	struct cli_progress_state prog = { .what = m->name, .quiet = c->quiet };
	char err[512];
	int rc;

	if (asgd_report_prepare_dir(dir, err, sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "asgd validate: %s\n", err);
		return ASGD_EIO;
	}
	m->ran = 1;
	rc = asgd_model_is_discrete(m->model) ? run_sim(c, index, m, dir, &prog)
					      : run_sme(c, index, m, dir, &prog);
	if (!c->quiet)
		cli_progress_end();
	if (rc == ASGD_OK && m->have_table && real)
		m->have_score = validate_score_compute(&m->table, real, &m->score) == ASGD_OK;
	return rc;
}

/* Whether |a − b| ≤ 2 SE of the difference; a NaN anywhere counts as outside. */
static int within_2se(double a, double se_a, double b, double se_b)
{
	return fabs(a - b) <= 2 * sqrt(se_a * se_a + se_b * se_b);
}

int validate_score_compute(const asgd_moment_table *model, const asgd_moment_table *real,
			   struct validate_score *out)
{
	size_t steps, k, j, i, cells = 0, in_mean = 0, in_second = 0;
	int rc;

	if (!model || !real || !out)
		return ASGD_EINVAL;
	rc = asgd_gap_compute(model, real, &out->gap);
	if (rc)
		return rc;
	steps = model->steps < real->steps ? model->steps : real->steps;
	for (k = 1; k < steps; k++) {	/* step 0 is the shared x0 */
		for (j = 0; j < real->dim; j++) {
			i = k * real->dim + j;
			cells++;
			in_mean += (size_t)within_2se(model->mean[i], model->se_mean[i],
						      real->mean[i], real->se_mean[i]);
			in_second += (size_t)within_2se(model->second[i], model->se_second[i],
							real->second[i], real->se_second[i]);
		}
	}
	out->inside_mean = (double)in_mean / (double)cells;
	out->inside_second = (double)in_second / (double)cells;
	out->inside_band = out->inside_mean >= VALIDATE_INSIDE_FRACTION &&
			   out->inside_second >= VALIDATE_INSIDE_FRACTION;
	return ASGD_OK;
}

cJSON *validate_model_json(const struct validate_model *m)
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

/* a − b with the SEs in quadrature. */
static cJSON *difference_json(const asgd_gap *a, const asgd_gap *b)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "mean", a->mean - b->mean);
	cJSON_AddNumberToObject(j, "mean_se", hypot(a->mean_se, b->mean_se));
	cJSON_AddNumberToObject(j, "second_rel", a->second_rel - b->second_rel);
	cJSON_AddNumberToObject(j, "second_rel_se", hypot(a->second_rel_se, b->second_rel_se));
	return j;
}

static cJSON *gap_effect_json(const asgd_gap *g)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "mean", g->mean);
	cJSON_AddNumberToObject(j, "mean_se", g->mean_se);
	cJSON_AddNumberToObject(j, "second_rel", g->second_rel);
	cJSON_AddNumberToObject(j, "second_rel_se", g->second_rel_se);
	return j;
}

cJSON *validate_effects_json(const struct validate_model *m)
{
	const struct validate_model *geo = &m[VALIDATE_ASGD_GEOMETRIC];
	const struct validate_model *pmf = &m[VALIDATE_ASGD_MEASURED];
	cJSON *j, *shape, *corr;
	asgd_gap direct;

	if (!geo->have_score || !pmf->have_score)
		return NULL;
	j = cJSON_CreateObject();
	/*
	 * Both gaps are taken against the same real run, whose error they share; adding their
	 * SEs in quadrature ignores that covariance and so overstates the SE. The direct gap
	 * between the two replays (independent ensembles) has no such issue.
	 */
	shape = difference_json(&geo->score.gap, &pmf->score.gap);
	cJSON_AddStringToObject(shape, "definition",
				"gap(asgd-geometric) - gap(asgd-measured-pmf), SEs in quadrature");
	if (asgd_gap_compute(&geo->table, &pmf->table, &direct) == ASGD_OK) {
		cJSON *d = gap_effect_json(&direct);

		cJSON_AddStringToObject(d, "definition",
					"largest gap between asgd-geometric and asgd-measured-pmf");
		cJSON_AddItemToObject(shape, "direct", d);
	}
	cJSON_AddItemToObject(j, "shape", shape);
	corr = gap_effect_json(&pmf->score.gap);
	cJSON_AddStringToObject(corr, "definition",
				"gap(asgd-measured-pmf): correlated staleness and the rest of "
				"what the engine does");
	cJSON_AddItemToObject(j, "correlation", corr);
	return j;
}

/* ---- best model and the verdict table ---- */

/* The scored model with the smallest largest gap (@second: in E x², else in the mean); −1: none. */
static int best_model(const struct validate_model *m, int second)
{
	int best = -1;

	for (int i = 0; i < VALIDATE_MODELS; i++) {
		double g, b;

		if (!m[i].have_score)
			continue;
		g = second ? m[i].score.gap.second_rel : m[i].score.gap.mean;
		b = best < 0 ? INFINITY : second ? m[best].score.gap.second_rel
						 : m[best].score.gap.mean;
		if (g < b)
			best = i;
	}
	return best;
}

cJSON *validate_best_json(const struct validate_model *m)
{
	int bm = best_model(m, 0), bs = best_model(m, 1);
	cJSON *j;

	if (bm < 0)
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "by_mean", m[bm].name);
	cJSON_AddStringToObject(j, "by_second_moment", m[bs].name);
	cJSON_AddStringToObject(j, "criterion", "smallest largest |mean gap| against the real "
						"run over k >= 1 (by_second_moment: smallest "
						"largest relative E x^2 gap)");
	return j;
}

/* @s padded with blanks to @width columns ("±" is two bytes but one column). */
static void print_cell(const char *s, int width)
{
	int cols = 0;

	for (const char *p = s; *p; p++)
		cols += ((unsigned char)*p & 0xC0) != 0x80;
	printf("%s%*s", s, width > cols ? width - cols : 0, "");
}

void validate_print_models(const struct validate_model *m)
{
	int bm = best_model(m, 0), bs = best_model(m, 1);
	char cell[64];

	print_cell("model", 19);
	print_cell("mu", 8);
	print_cell("max |mean gap| ± SE", 22);
	print_cell("max rel E x^2 gap ± SE", 25);
	printf("inside ±2 SE (mean, E x^2)\n");
	for (int i = 0; i < VALIDATE_MODELS; i++) {
		const struct validate_model *r = &m[i];

		if (!r->have_score)
			continue;
		print_cell(r->name, 19);
		if (r->model != ASGD_MODEL_SME_SGD)
			snprintf(cell, sizeof(cell), "%.4f", r->mu);
		else
			snprintf(cell, sizeof(cell), "-");
		print_cell(cell, 8);
		snprintf(cell, sizeof(cell), "%.2e ± %.1e", r->score.gap.mean, r->score.gap.mean_se);
		print_cell(cell, 22);
		snprintf(cell, sizeof(cell), "%.2e ± %.1e", r->score.gap.second_rel,
			 r->score.gap.second_rel_se);
		print_cell(cell, 25);
		printf("%-3s (%.1f%%, %.1f%%)\n", r->score.inside_band ? "yes" : "no",
		       100 * r->score.inside_mean, 100 * r->score.inside_second);
	}
	if (bm >= 0)
		printf("best model %s (smallest max |mean gap|); by E x^2: %s\n", m[bm].name,
		       m[bs].name);
}

void validate_print_effects(const struct validate_model *m)
{
	const struct validate_model *geo = &m[VALIDATE_ASGD_GEOMETRIC];
	const struct validate_model *pmf = &m[VALIDATE_ASGD_MEASURED];
	const asgd_gap *g = &geo->score.gap, *p = &pmf->score.gap;
	asgd_gap d;

	if (!geo->have_score || !pmf->have_score)
		return;
	printf("effects    shape of the staleness law = gap(asgd-geometric) - gap(asgd-measured-pmf):\n"
	       "             mean %+.2e ± %.1e   E x^2 %+.2e ± %.1e\n", g->mean - p->mean,
	       hypot(g->mean_se, p->mean_se), g->second_rel - p->second_rel,
	       hypot(g->second_rel_se, p->second_rel_se));
	if (asgd_gap_compute(&geo->table, &pmf->table, &d) == ASGD_OK)
		printf("             (the two replays apart: mean %.2e ± %.1e   E x^2 %.2e ± %.1e)\n",
		       d.mean, d.mean_se, d.second_rel, d.second_rel_se);
	printf("           correlated staleness and the rest = gap(asgd-measured-pmf):\n"
	       "             mean %.2e ± %.1e   E x^2 %.2e ± %.1e\n", p->mean, p->mean_se,
	       p->second_rel, p->second_rel_se);
}

void validate_models_free(struct validate_model *m)
{
	for (unsigned i = 0; i < VALIDATE_MODELS; i++)
		asgd_table_free(&m[i].table);
}
