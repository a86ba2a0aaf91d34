/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_validate.c — the validate experiment (asgd/validate.h): the band fractions and the
 * mixture's TV distance against hand-computed values, the best model and the effects, and a
 * small end-to-end run (every model scored; a raised stop flag runs none, partial).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/validate.h"

/* A table of 5 steps, one coordinate: mean k + @d[k−1], second 1 + k + @d[k−1], every SE 0.1. */
static asgd_moment_table table(const double d[4])
{
	asgd_exact_moments m = { .steps = 5, .dim = 1, .dt = 0.5 };
	double mean[5], second[5];
	asgd_moment_table t;

	m.mean = mean;
	m.second = second;
	for (size_t k = 0; k < 5; k++) {
		mean[k] = (double)k + (k ? d[k - 1] : 0);
		second[k] = 1 + (double)k + (k ? d[k - 1] : 0);
	}
	cr_assert_eq(asgd_table_from_exact(&m, &t), ASGD_OK);
	for (size_t k = 0; k < 5; k++)
		t.se_mean[k] = t.se_second[k] = 0.1;
	return t;
}

Test(validate, band_fractions)
{
	const double zero[4] = { 0 }, some[4] = { 0, 0.1, 0.5, 0.2 };
	const double close[4] = { 0.28, -0.28, 0.1, 0 }, bad[4] = { 0, NAN, 0, 0 };
	asgd_moment_table real = table(zero), m1 = table(some), m2 = table(close), m3 = table(bad);
	asgd_validate_score s;

	/* 2 SE of the difference = 2·√(0.1² + 0.1²) ≈ 0.283: 0.5 is outside, the rest inside */
	cr_assert_eq(asgd_validate_score_compute(&m1, &real, &s), ASGD_OK);
	cr_assert_float_eq(s.inside_mean, 0.75, 1e-15);
	cr_assert_float_eq(s.inside_second, 0.75, 1e-15);
	cr_assert_not(s.inside_band);
	cr_assert_float_eq(s.gap.mean, 0.5, 1e-12);
	cr_assert_eq(s.gap.mean_k, 3);
	cr_assert_eq(asgd_validate_score_compute(&m2, &real, &s), ASGD_OK);
	cr_assert_float_eq(s.inside_mean, 1.0, 1e-15);
	cr_assert(s.inside_band);
	/* a NaN cell counts as outside */
	cr_assert_eq(asgd_validate_score_compute(&m3, &real, &s), ASGD_OK);
	cr_assert_float_eq(s.inside_mean, 0.75, 1e-15);
	cr_assert_eq(asgd_validate_score_compute(NULL, &real, &s), ASGD_EINVAL);
	asgd_table_free(&real);
	asgd_table_free(&m1);
	asgd_table_free(&m2);
	asgd_table_free(&m3);
}

Test(validate, mixture_tv_closed_forms)
{
	asgd_geomix g = { .count = 1, .weight = { 1 }, .mu = { 0.5 } };
	double pmf[6];
	asgd_staleness_summary s = { .pmf = pmf, .pmf_len = 6 };

	/* the measured pmf is the mixture's own up to l = 5: only the tail mass μ⁶ differs */
	for (int l = 0; l < 6; l++)
		pmf[l] = 0.5 * pow(0.5, l);
	cr_assert_float_eq(asgd_validate_mixture_tv(&g, &s), 0.5 * pow(0.5, 6), 1e-15);
	/* every τ = 0 against geometric(½): ½(|1 − ½| + the other half of the mass) = ½ */
	pmf[0] = 1;
	s.pmf_len = 1;
	cr_assert_float_eq(asgd_validate_mixture_tv(&g, &s), 0.5, 1e-15);
}

Test(validate, best_model_and_effects)
{
	asgd_validate_model m[ASGD_VALIDATE_NMODELS];
	asgd_validate_effects e;

	memset(m, 0, sizeof(m));
	cr_assert_eq(asgd_validate_best(m, 0), -1);
	cr_assert_eq(asgd_validate_effects_of(m, &e), ASGD_ENOTFOUND);
	m[ASGD_VALIDATE_SME_ASGD].have_score = 1;
	m[ASGD_VALIDATE_SME_ASGD].score.gap = (asgd_gap){ .mean = 0.3, .second_rel = 0.01 };
	m[ASGD_VALIDATE_ASGD_GEOMETRIC].have_score = 1;
	m[ASGD_VALIDATE_ASGD_GEOMETRIC].score.gap =
		(asgd_gap){ .mean = 0.2, .mean_se = 0.03, .second_rel = 0.05, .second_rel_se = 0.5 };
	m[ASGD_VALIDATE_ASGD_MEASURED].have_score = 1;
	m[ASGD_VALIDATE_ASGD_MEASURED].score.gap =
		(asgd_gap){ .mean = 0.25, .mean_se = 0.04, .second_rel = 0.02, .second_rel_se = 1.2 };
	cr_assert_eq(asgd_validate_best(m, 0), ASGD_VALIDATE_ASGD_GEOMETRIC);
	cr_assert_eq(asgd_validate_best(m, 1), ASGD_VALIDATE_SME_ASGD);
	cr_assert_eq(asgd_validate_effects_of(m, &e), ASGD_OK);
	cr_assert_float_eq(e.shape.mean, -0.05, 1e-15);
	cr_assert_float_eq(e.shape.mean_se, 0.05, 1e-15);
	cr_assert_float_eq(e.shape.second_rel, 0.03, 1e-15);
	cr_assert_float_eq(e.shape.second_rel_se, 1.3, 1e-15);
	cr_assert_float_eq(e.correlation.mean, 0.25, 1e-15);
	cr_assert_not(e.have_direct);	/* no tables to compare */
}

struct writes {
	int calls, with_staleness;
	double dt;
};

static int count_write(void *arg, const asgd_engine_config *engine, const asgd_replicas *t,
		       const asgd_staleness_summary *sum, double dt)
{
	struct writes *w = arg;

	cr_assert_not_null(engine);
	cr_assert_not_null(t);
	w->calls++;
	w->with_staleness += sum != NULL;
	w->dt = dt;
	return ASGD_OK;
}

static void small_config(asgd_validate_config *c, asgd_problem *p, struct writes *w,
			 const atomic_int *stop)
{
	memset(c, 0, sizeof(*c));
	c->engine.problem = p;
	c->engine.workers = 2;
	c->engine.iters = 100;
	c->engine.eta = 0.05;
	c->engine.seed = 3;
	c->replicas = 8;
	c->paths = 64;
	c->substeps = 2;
	c->threads = 1;
	c->mixture_max = 2;
	c->stop = stop;
	c->write_real = count_write;
	c->write_real_arg = w;
}

Test(validate, small_run_scores_every_model)
{
	asgd_problem *p = NULL;
	asgd_validate_config c;
	asgd_validate_result r;
	struct writes w = { 0 };
	cJSON *j;
	int ran = 0;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	small_config(&c, p, &w, NULL);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(asgd_validate_run(&c, &r), ASGD_OK);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(w.with_staleness, 1);
	cr_assert_float_eq(w.dt, r.dt, 0);
	cr_assert_eq(r.real.replicas_done, 8);
	cr_assert(r.have_staleness);
	cr_assert_not(r.partial);
	cr_assert_eq(r.failed, ASGD_VALIDATE_FAIL_NONE);
	cr_assert_eq(r.moments.steps, 101);
	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++) {
		if (!r.models[i].enabled)
			continue;
		ran++;
		cr_assert(r.models[i].ran && r.models[i].have_score, "%s", r.models[i].name);
		cr_assert_eq(r.models[i].paths_done, 64);
	}
	cr_assert_geq(ran, 4);
	cr_assert_eq(ran == ASGD_VALIDATE_NMODELS, r.have_mixture);
	j = asgd_validate_result_json(&c, &r, 2, (char *[]){ "validate", "--quiet" });
	cr_assert_not_null(j);
	cr_assert_str_eq(cJSON_GetObjectItem(j, "command")->valuestring, "validate");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "command_line")), 3);
	cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "command_line"), 2)->valuestring,
			 "--quiet");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "models")), ran);
	cr_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "best_model")));
	cr_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "effects")));
	cr_assert_float_eq(cJSON_GetObjectItem(j, "inside_fraction_required")->valuedouble,
			   ASGD_VALIDATE_INSIDE_FRACTION, 0);
	cJSON_Delete(j);
	asgd_validate_result_free(&r);
	asgd_problem_destroy(p);
}

Test(validate, stopped_before_the_start_runs_no_model)
{
	asgd_problem *p = NULL;
	asgd_validate_config c;
	asgd_validate_result r;
	struct writes w = { 0 };
	atomic_int stop = 1;
	cJSON *j;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	small_config(&c, p, &w, &stop);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(asgd_validate_run(&c, &r), ASGD_OK);
	cr_assert(r.partial);
	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++)
		cr_assert_not(r.models[i].ran);
	j = asgd_validate_result_json(&c, &r, 0, NULL);
	cr_assert_null(cJSON_GetObjectItem(j, "command_line"));
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "partial")));
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "best_model")));
	cJSON_Delete(j);
	asgd_validate_result_free(&r);
	asgd_problem_destroy(p);
}

/* Six scored models with the largest mean gaps @g and SEs @se (the second moment the same). */
static void scored(asgd_validate_model m[ASGD_VALIDATE_NMODELS], const double g[6],
		   const double se[6])
{
	memset(m, 0, ASGD_VALIDATE_NMODELS * sizeof(*m));
	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++) {
		m[i].have_score = 1;
		m[i].mu = 0.9;
		m[i].score.gap = (asgd_gap){ .mean = g[i], .mean_se = se[i], .second_rel = g[i],
					     .second_rel_se = se[i] };
	}
}

Test(validate, distinguishable_needs_more_than_one_combined_se)
{
	/* the best (0.10 ± 0.03) against 0.15 ± 0.04: 0.05 = 1 combined SE exactly: not apart */
	const double g[6] = { 0.10, 0.15, 0.30, 0.30, 0.30, 0.30 };
	const double se[6] = { 0.03, 0.04, 0.03, 0.03, 0.03, 0.03 };
	double g2[6] = { 0.10, 0.1501, 0.30, 0.30, 0.30, 0.30 };
	asgd_validate_model m[ASGD_VALIDATE_NMODELS];

	int tied[ASGD_VALIDATE_NMODELS];

	scored(m, g, se);
	cr_assert_eq(asgd_validate_best(m, 0), ASGD_VALIDATE_SME_ASGD);
	cr_assert_not(asgd_validate_distinguishable(m, 0));
	cr_assert_not(asgd_validate_distinguishable(m, 1));
	/* the tie is the best and the one 1 SE above it; the four at 0.30 are 4.7 SE away */
	cr_assert_eq(asgd_validate_tied(m, 0, tied), 2);
	cr_assert_eq(tied[0], ASGD_VALIDATE_SME_ASGD);
	cr_assert_eq(tied[1], ASGD_VALIDATE_SME_SGD);
	scored(m, g2, se);
	cr_assert(asgd_validate_distinguishable(m, 0));
	cr_assert_eq(asgd_validate_tied(m, 0, tied), 1);
	/* a NaN gap is no evidence: not distinguishable */
	g2[4] = NAN;
	scored(m, g2, se);
	cr_assert_not(asgd_validate_distinguishable(m, 0));
	/* one scored model has nothing to be distinguished from; none, no best */
	for (int i = 1; i < ASGD_VALIDATE_NMODELS; i++)
		m[i].have_score = 0;
	cr_assert_not(asgd_validate_distinguishable(m, 0));
	m[0].have_score = 0;
	cr_assert_not(asgd_validate_distinguishable(m, 0));
}

Test(validate, replicas_needed_formula)
{
	/* R·(z·SE/|diff|)²: 1000·(3·0.005/0.01)² = 2250 */
	cr_assert_eq(asgd_validate_replicas_needed(1000, 0.01, 0.005, 3), 2250);
	cr_assert_eq(asgd_validate_replicas_needed(1000, -0.01, 0.005, 3), 2250);
	/* rounded up: 10·(3·1/2)² = 22.5 */
	cr_assert_eq(asgd_validate_replicas_needed(10, 2, 1, 3), 23);
	/* already far apart: at least 2 */
	cr_assert_eq(asgd_validate_replicas_needed(1000, 1, 1e-6, 3), 2);
	cr_assert_eq(asgd_validate_replicas_needed(1000, 0, 0.005, 3), ASGD_VALIDATE_REPLICAS_CAP);
	cr_assert_eq(asgd_validate_replicas_needed(1000, 1e-9, 1, 3), ASGD_VALIDATE_REPLICAS_CAP);
	cr_assert_eq(asgd_validate_replicas_needed(1000, NAN, 1, 3), ASGD_VALIDATE_REPLICAS_CAP);
}

Test(validate, answer_decisive_only_when_split_and_apart)
{
	const double g[6] = { 0.01, 0.05, 0, 0, 0, 0 }, se[6] = { 0.006, 0.008, 0, 0, 0, 0 };
	asgd_validate_model m[ASGD_VALIDATE_NMODELS];
	asgd_validate_answer a;

	scored(m, g, se);
	m[ASGD_VALIDATE_SME_ASGD].score.inside_band = 1;
	m[ASGD_VALIDATE_SME_ASGD].score.inside_mean = 0.97;
	m[ASGD_VALIDATE_SME_SGD].score.inside_mean = 0.41;
	m[ASGD_VALIDATE_SME_ASGD].score.inside_second = 0.93;
	m[ASGD_VALIDATE_SME_SGD].score.inside_second = 0.12;
	/* 0.04 / √(0.006² + 0.008²) = 0.04/0.01 = 4 combined SE, one inside, one outside: yes */
	cr_assert_eq(asgd_validate_answer_of(m, 1000, &a), ASGD_OK);
	cr_assert(a.known && a.decisive && a.yes);
	cr_assert_float_eq(a.separation, 4, 1e-12);
	cr_assert_str_eq(a.text, "Answer: yes — SME-ASGD (mu_hat = 0.9000) is inside the ±2 SE "
				 "band (cells inside: 97.0% mean, 93.0% second moment), SME-SGD outside it "
				 "(41.0%, 12.0%); their largest mean gaps differ by 4.0 combined SE.");
	/* both outside: not decisive, though 4 SE apart */
	m[ASGD_VALIDATE_SME_ASGD].score.inside_band = 0;
	cr_assert_eq(asgd_validate_answer_of(m, 1000, &a), ASGD_OK);
	cr_assert(a.known && !a.decisive && !a.yes);
	cr_assert(strstr(a.text, "Not decisive: ") == a.text, "%s", a.text);
	cr_assert(strstr(a.text, "the band verdicts do not split them"), "%s", a.text);
	/* split, but 2 SE apart: not decisive; 1000·(3/2)² = 2250 replicas would settle it */
	m[ASGD_VALIDATE_SME_ASGD].score.inside_band = 1;
	m[ASGD_VALIDATE_SME_SGD].score.gap.mean = 0.03;
	cr_assert_eq(asgd_validate_answer_of(m, 1000, &a), ASGD_OK);
	cr_assert_not(a.decisive);
	cr_assert_eq(a.replicas_needed, 2250);
	cr_assert(strstr(a.text, "about 2250 replicas would separate them at 3 SE"), "%s", a.text);
	/* the reverse split, SME-SGD 4 SE better: a decisive no */
	m[ASGD_VALIDATE_SME_ASGD].score.inside_band = 0;
	m[ASGD_VALIDATE_SME_SGD].score.inside_band = 1;
	m[ASGD_VALIDATE_SME_ASGD].score.gap.mean = 0.05;
	m[ASGD_VALIDATE_SME_SGD].score.gap.mean = 0.01;
	cr_assert_eq(asgd_validate_answer_of(m, 1000, &a), ASGD_OK);
	cr_assert(a.decisive && !a.yes);
	cr_assert(strstr(a.text, "Answer: no — ") == a.text, "%s", a.text);
	/* SME-SGD not scored: nothing known */
	m[ASGD_VALIDATE_SME_SGD].have_score = 0;
	cr_assert_eq(asgd_validate_answer_of(m, 1000, &a), ASGD_OK);
	cr_assert_not(a.known);
	cr_assert_eq(asgd_validate_answer_of(NULL, 1000, &a), ASGD_EINVAL);
}
