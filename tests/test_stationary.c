/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_stationary.c — the closed forms of `theory` against long simulations: the stationary E x²
 * of discrete ASGD and MSGD (the fixed points of the exact recursions) against the `sim`
 * ensembles, and Appendix B's E X² of SME-ASGD and Proposition 1's E X² = E M² of SME-MSGD
 * against the `sme` ensembles, on fig4 (a = 2, Σ = 4, η = 0.01, μ = 0.9) with constant Σ.
 *
 * Each ensemble runs 1200 steps, long past the transient (the slowest second-moment mode decays
 * like e^{−1.75 t}, t = 38 at the end), with a fixed seed. The estimate is the mean of E x² at six
 * late steps 100 apart; its standard error is at most that of one step (six steps can be no more
 * than perfectly correlated), and the tolerance is 4 such standard errors (~4% here).
 */
#include <criterion/criterion.h>
#include <math.h>

#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/sim.h"
#include "asgd/sme.h"
#include "asgd/theory.h"

#define PATHS 20000
#define ITERS 1200

static const asgd_theory_params fig4 = { .a = 2, .sigma2 = 4, .eta = 0.01, .mu = 0.9 };

/* Mean of E x² over the steps ITERS−500, ..., ITERS, and the largest single-step SE. */
static void late_second_moment(const asgd_moments *m, double *est, double *se)
{
	*est = 0;
	*se = 0;
	for (size_t k = ITERS - 500; k <= ITERS; k += 100) {
		asgd_moment_row row;

		cr_assert_eq(asgd_moments_get(m, k, 0, &row), ASGD_OK);
		*est += row.second / 6;
		*se = fmax(*se, row.se_second);
	}
}

static void expect_within(double est, double se, double want, const char *what)
{
	cr_expect(fabs(est - want) < 4 * se, "%s: simulated %.6g ± %.2g, closed form %.6g", what,
		  est, se, want);
}

static void discrete(asgd_model model, double eta, double mu, double *est, double *se)
{
	asgd_problem *p;
	asgd_sim_config c = { .model = model, .eta = eta, .mu = mu, .iters = ITERS,
			      .paths = PATHS, .seed = 17 };
	asgd_sim_result r;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	c.problem = p;
	cr_assert_eq(asgd_sim_run(&c, &r), ASGD_OK);
	late_second_moment(&r.ens.moments, est, se);
	asgd_sim_result_free(&r);
	asgd_problem_destroy(p);
}

static void sde(asgd_model model, double eta, double mu, double *est, double *se)
{
	asgd_problem *p;
	asgd_sme_config c = { .model = model, .sigma = ASGD_SIGMA_CONSTANT, .eta = eta, .mu = mu,
			      .iters = ITERS, .substeps = 16, .paths = PATHS, .seed = 17 };
	asgd_sme_result r;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	c.problem = p;
	cr_assert_eq(asgd_sme_run(&c, &r), ASGD_OK);
	late_second_moment(&r.ens.moments, est, se);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

Test(stationary, discrete_asgd_matches_the_recursions_fixed_point)
{
	double want, est, se;

	cr_assert_eq(asgd_theory_discrete_asgd_ex2(&fig4, &want), ASGD_OK);
	discrete(ASGD_MODEL_ASGD, fig4.eta, fig4.mu, &est, &se);
	expect_within(est, se, want, "discrete ASGD");
}

Test(stationary, discrete_msgd_with_proposition_1s_parameters)
{
	asgd_theory_params m = fig4;
	double want, est, se;

	asgd_theory_prop1(fig4.eta, fig4.mu, &m.eta, &m.mu);
	cr_assert_eq(asgd_theory_discrete_msgd_ex2(&m, &want), ASGD_OK);
	discrete(ASGD_MODEL_MSGD, m.eta, m.mu, &est, &se);
	expect_within(est, se, want, "discrete MSGD(mu, eta(1-mu))");
}

Test(stationary, sme_asgd_matches_appendix_b)
{
	asgd_theory_stationary st;
	double est, se;

	asgd_theory_stationary_of(&fig4, &st);
	sde(ASGD_MODEL_SME_ASGD, fig4.eta, fig4.mu, &est, &se);
	expect_within(est, se, st.ex2, "SME-ASGD, Appendix B");
}

Test(stationary, sme_msgd_matches_proposition_1)
{
	asgd_theory_stationary st;
	double eta_m, mu_m, est, se;

	asgd_theory_stationary_of(&fig4, &st);
	asgd_theory_prop1(fig4.eta, fig4.mu, &eta_m, &mu_m);
	sde(ASGD_MODEL_SME_MSGD, eta_m, mu_m, &est, &se);
	/* Proposition 1: SME-MSGD's X has the law of SME-ASGD's expected read M. */
	expect_within(est, se, st.em2, "SME-MSGD, Proposition 1");
}
