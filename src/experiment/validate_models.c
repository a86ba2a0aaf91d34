/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate_models.c — the models of the validate experiment (asgd/validate.h), each run with the
 * staleness measured on the real engine, and how each is scored against the real run.
 *
 * Three discrete ASGD replays differ only in the law of τ: geometric(μ̂), the measured pmf, the
 * fitted mixture. Since each has i.i.d. τ, the replay with the measured pmf has the real
 * marginal and nothing else; whatever gap it leaves is correlated staleness and whatever else
 * the engine does, and the difference between it and the geometric replay is the shape of the
 * marginal alone.
 */
#include "experiment/validate_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/report.h"
#include "asgd/sim.h"
#include "asgd/sme.h"

void asgd__validate_models_init(asgd_validate_model *m, double mu_hat, const double *pmf,
				size_t pmf_len, const asgd_geomix *mix, const double *mix_pmf,
				size_t mix_len)
{
	double mu_bar = mix ? asgd_geomix_mu_bar(mix) : 0;

	memset(m, 0, ASGD_VALIDATE_NMODELS * sizeof(*m));
	m[ASGD_VALIDATE_SME_ASGD] = (asgd_validate_model){
		.name = "sme-asgd", .staleness = "geometric(mu_hat)",
		.model = ASGD_MODEL_SME_ASGD, .enabled = 1, .mu = mu_hat,
	};
	m[ASGD_VALIDATE_SME_SGD] = (asgd_validate_model){
		.name = "sme-sgd", .staleness = "none", .model = ASGD_MODEL_SME_SGD, .enabled = 1,
	};
	m[ASGD_VALIDATE_ASGD_GEOMETRIC] = (asgd_validate_model){
		.name = "asgd-geometric", .staleness = "iid geometric(mu_hat)",
		.model = ASGD_MODEL_ASGD, .enabled = 1, .mu = mu_hat,
	};
	m[ASGD_VALIDATE_ASGD_MEASURED] = (asgd_validate_model){
		.name = "asgd-measured-pmf", .staleness = "iid from the measured pmf",
		.model = ASGD_MODEL_ASGD, .enabled = 1, .mu = mu_hat,
		.tau_pmf = pmf, .tau_len = pmf_len,
	};
	m[ASGD_VALIDATE_ASGD_MIXTURE] = (asgd_validate_model){
		.name = "asgd-mixture-pmf", .staleness = "iid from the fitted mixture",
		.model = ASGD_MODEL_ASGD, .enabled = mix != NULL, .mu = mu_bar,
		.tau_pmf = mix_pmf, .tau_len = mix_len,
	};
	m[ASGD_VALIDATE_SME_ASGD_MIXTURE] = (asgd_validate_model){
		.name = "sme-asgd-mixture", .staleness = "fitted mixture",
		.model = ASGD_MODEL_SME_ASGD_MIXTURE, .enabled = mix != NULL, .mu = mu_bar,
		.mixture = mix,
	};
}

void asgd__validate_models_truncate(asgd_validate_model *m, const double *pmf, uint64_t s)
{
	m->staleness = "iid truncated geometric(mu_hat, s)";
	m->tau_pmf = pmf;
	m->tau_len = (size_t)s + 1;
}

/* Each model its own streams, apart from the others' and the engine's, so SEs add in quadrature. */
static uint64_t model_seed(const asgd_validate_config *c, unsigned index)
{
	return c->engine.seed + 0x9E3779B97F4A7C15ull * ((uint64_t)index + 1);
}

/* One model's run, as its ensemble's progress callback sees it. */
struct model_ctx {
	const asgd_validate_config *cfg;
	unsigned index;
	asgd_validate_model *m;
	char dir[4096];		/* cfg->out/<name>, or "" when nothing is written */
};

static void report(const struct model_ctx *x, asgd_validate_event e, uint64_t done,
		   uint64_t total)
{
	asgd_validate_progress p = { (int)x->index, x->m->name, e, done, total, 0 };

	if (x->cfg->progress)
		x->cfg->progress(x->cfg->progress_arg, &p);
}

/* The expected wall time of the run about to start: a pilot path timed (only when someone
 * listens; the pilot costs ~0.1 s). */
static void report_estimate(const struct model_ctx *x, double seconds)
{
	asgd_validate_progress p = { (int)x->index, x->m->name, ASGD_VALIDATE_ESTIMATE, 0, 0,
				     seconds };

	x->cfg->progress(x->cfg->progress_arg, &p);
}

static void paths_done(void *arg, uint64_t done, uint64_t total)
{
	report(arg, ASGD_VALIDATE_DONE, done, total);
}

/* What every ensemble reports, and its moments as a table and as DIR/moments.csv. */
static int take_ensemble(const struct model_ctx *x, const asgd_ensemble_result *ens)
{
	asgd_validate_model *m = x->m;
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
	if (!x->dir[0])
		return ASGD_OK;
	rc = asgd_report_path(path, sizeof(path), x->dir, "moments.csv");
	return rc ? rc : asgd_moments_write_csv(&ens->moments, path, m->dt);
}

static int run_sim(const struct model_ctx *x, char *err, size_t errlen)
{
	const asgd_validate_config *c = x->cfg;
	asgd_validate_model *m = x->m;
	asgd_sim_config cfg = {
		.model = m->model, .problem = c->engine.problem, .observe = c->observe,
		.eta = c->engine.eta, .mu = m->mu, .iters = c->engine.iters,
		.every = c->engine.record_every, .tau_pmf = m->tau_pmf, .tau_len = m->tau_len,
		.paths = c->paths, .threads = c->threads, .seed = model_seed(c, x->index),
		.stop = c->stop, .progress = paths_done, .progress_arg = (void *)x,
	};
	asgd_sim_result res;
	char why[256];
	int rc = asgd_sim_check_config(&cfg, why, sizeof(why));
	double est;

	if (rc) {
		snprintf(err, errlen, "%s: %s", m->name, why);
		return rc;
	}
	if (c->progress && asgd_sim_estimate_s(&cfg, &est) == ASGD_OK)
		report_estimate(x, est);
	rc = asgd_sim_run(&cfg, &res);
	if (rc)
		return rc;
	m->dt = asgd_model_time_step(m->model, c->engine.eta, m->mu);
	m->truncation_prob = res.truncation_prob;
	m->truncated = res.truncated;
	rc = take_ensemble(x, &res.ens);
	asgd_sim_result_free(&res);
	return rc;
}

static int run_sme(const struct model_ctx *x, char *err, size_t errlen)
{
	const asgd_validate_config *c = x->cfg;
	asgd_validate_model *m = x->m;
	asgd_sme_config cfg = {
		.model = m->model, .sigma = asgd_sme_default_sigma(m->model, c->engine.problem),
		.problem = c->engine.problem, .observe = c->observe, .eta = c->engine.eta,
		.mu = m->mu, .mixture = m->mixture, .iters = c->engine.iters,
		.every = c->engine.record_every, .substeps = c->substeps, .paths = c->paths, .threads = c->threads,
		.seed = model_seed(c, x->index), .stop = c->stop,
		.progress = paths_done, .progress_arg = (void *)x,
		.noise = c->noise, .noise_rows = c->noise_rows,
	};
	asgd_sme_result res;
	char why[256];
	int rc = asgd_sme_check_config(&cfg, why, sizeof(why));
	double est;

	if (rc) {
		snprintf(err, errlen, "%s: %s", m->name, why);
		return rc;
	}
	if (c->progress && asgd_sme_estimate_s(&cfg, &est) == ASGD_OK)
		report_estimate(x, est);
	rc = asgd_sme_run(&cfg, &res);
	if (rc)
		return rc;
	m->sigma = cfg.sigma;
	m->dt = res.dt;
	rc = take_ensemble(x, &res.ens);
	asgd_sme_result_free(&res);
	return rc;
}

int asgd__validate_model_run(const asgd_validate_config *cfg, unsigned index,
			     asgd_validate_model *m, const asgd_moment_table *real, char *err,
			     size_t errlen)
{
	struct model_ctx x = { .cfg = cfg, .index = index, .m = m };
	int rc;

	/* the directory first: a bad one fails before the work, not after */
	if (cfg->out) {
		rc = asgd_report_path(x.dir, sizeof(x.dir), cfg->out, m->name);
		if (rc)
			return rc;
		if (asgd_report_prepare_dir(x.dir, err, errlen) != ASGD_OK)
			return ASGD_EIO;
	}
	m->ran = 1;
	report(&x, ASGD_VALIDATE_BEGIN, 0, 0);
	rc = asgd_model_is_discrete(m->model) ? run_sim(&x, err, errlen) : run_sme(&x, err, errlen);
	report(&x, ASGD_VALIDATE_END, 0, 0);
	if (rc == ASGD_OK && m->have_table && real)
		m->have_score = asgd_validate_score_compute(&m->table, real, &m->score) == ASGD_OK;
	return rc;
}

/* Whether |a − b| ≤ 2 SE of the difference; a NaN anywhere counts as outside. */
static int within_2se(double a, double se_a, double b, double se_b)
{
	return fabs(a - b) <= 2 * sqrt(se_a * se_a + se_b * se_b);
}

int asgd_validate_score_compute(const asgd_moment_table *model, const asgd_moment_table *real,
				asgd_validate_score *out)
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
	out->inside_band = out->inside_mean >= ASGD_VALIDATE_INSIDE_FRACTION &&
			   out->inside_second >= ASGD_VALIDATE_INSIDE_FRACTION;
	return ASGD_OK;
}

int asgd_validate_best(const asgd_validate_model *m, int second)
{
	int best = -1;

	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++) {
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

int asgd_validate_effects_of(const asgd_validate_model *m, asgd_validate_effects *out)
{
	const asgd_validate_model *geo, *pmf;
	const asgd_gap *g, *p;

	if (!m || !out)
		return ASGD_EINVAL;
	geo = &m[ASGD_VALIDATE_ASGD_GEOMETRIC];
	pmf = &m[ASGD_VALIDATE_ASGD_MEASURED];
	if (!geo->have_score || !pmf->have_score)
		return ASGD_ENOTFOUND;
	g = &geo->score.gap;
	p = &pmf->score.gap;
	memset(out, 0, sizeof(*out));
	out->shape.mean = g->mean - p->mean;
	out->shape.mean_se = hypot(g->mean_se, p->mean_se);
	out->shape.second_rel = g->second_rel - p->second_rel;
	out->shape.second_rel_se = hypot(g->second_rel_se, p->second_rel_se);
	out->have_direct = asgd_gap_compute(&geo->table, &pmf->table, &out->direct) == ASGD_OK;
	out->correlation = *p;
	return ASGD_OK;
}
