/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_theory.c — `asgd theory`: the closed forms of docs/MODELS.md §3 for a 1-D quadratic preset or
 * explicit (a, Σ): a readable table, theory.json with every number, and theory.csv with Appendix
 * B's moments in time at t_k = kΔt, the curve a discrete run's moments.csv is compared with.
 *
 * Nothing here is long-running, so there is no progress and no partial output.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "asgd/theory_report.h"
#include "cli.h"
#include "flags.h"

static const char *const CMD = "theory";

struct theory_opts {
	const char *out;
	asgd_theory_report_config c;
	int json;
};

static const struct cli_command COMMAND = {
	.name = "theory",
	.about = "Closed forms for SME-ASGD on f = a x^2/2 with constant component variance Sigma "
		 "(docs/MODELS.md section 3): the scales c, dt, alpha; the eigenvalues of A(mu,eta) "
		 "and B(mu,eta); Appendix B's stationary E X^2, E Y^2, E XY and the read's E M^2, "
		 "E P^2; mu_opt and eta_opt (5.6); the temperatures of SME-ASGD and SME-MSGD under "
		 "Proposition 1 (mu' = mu, eta' = eta(1-mu)); and the exact stationary E x^2 of the "
		 "discrete ASGD and MSGD with their relative gaps (docs/ERRATA.md §6, §7).",
	.epilogue = "outputs in DIR: theory.json (all numbers), theory.csv (k,t,mean,second_moment:\n"
		    "Appendix B's E X and E X^2 at t = k*dt from X_0 = x0, Y_0 = -alpha a (x0 - x*)).\n"
		    "Coordinates are the preset's: the formulas hold for x - x*.\n"
		    "exit status: 0 done, 1 an output could not be written, 2 bad usage.\n",
};

static void parse_args(int argc, char **argv, struct theory_opts *o)
{
	const char *a = NULL, *s2 = NULL, *eta = NULL, *mu = NULL, *x0 = NULL, *iters = NULL;
	const char *const preset_s = "the preset's";
	const struct cli_flag flags[] = {
		CLI_TEXT("preset", "NAME", &o->c.preset, NULL, "a 1-D quadratic preset, fig4 or "
			 "fig8[:n=N]: gives a = f''(x*), Sigma = C(x*) at the minimizer x*, x0, eta, "
			 "mu, K"),
		CLI_TEXT("a", "A", &a, preset_s, "curvature a > 0"),
		CLI_TEXT("sigma2", "S", &s2, preset_s, "component-gradient variance Sigma >= 0"),
		CLI_TEXT("eta", "ETA", &eta, preset_s, "step size > 0"),
		CLI_TEXT("mu", "MU", &mu, preset_s, "staleness in [0, 1)"),
		CLI_TEXT("x0", "X", &x0, preset_s, "start"),
		CLI_TEXT("iters", "K", &iters, preset_s, "rows k = 0..K of theory.csv"),
		CLI_TEXT("out", "DIR", &o->out, NULL, "output directory"),
		CLI_SWITCH("json", &o->json, "print theory.json on stdout instead of the table"),
		CLI_END,
	};
	struct cli_problem_refusal no_data;
	asgd_problem *p;
	int rc;

	o->c.preset = "fig4";
	o->out = "out/theory";
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){ flags,
		cli_problem_refusal(&no_data, "theory's closed forms are for a 1-D quadratic, f = a "
				    "x^2/2 (fig4, fig8); on data, run sme, simulate or validate"),
		NULL }, argc, argv);

	p = cli_preset(CMD, o->c.preset);
	rc = asgd_theory_from_problem(p, &o->c.p.a, &o->c.p.sigma2, &o->c.xstar);
	if (rc != ASGD_OK) {
		asgd_problem_destroy(p);
		cli_usage_error(CMD, "--preset '%s' is not allowed: theory needs a 1-D quadratic "
				"preset: fig4 or fig8", o->c.preset);
	}
	o->c.p.eta = asgd_problem_default_eta(p);
	o->c.p.mu = asgd_problem_default_mu(p);
	o->c.x0 = asgd_problem_x0(p)[0];
	o->c.iters = asgd_problem_default_iters(p);
	asgd_problem_destroy(p);

	if (a)
		o->c.p.a = cli_double_positive(CMD, "--a", a);
	if (s2)
		o->c.p.sigma2 = cli_double_range(CMD, "--sigma2", s2, 0, DBL_MAX,
					       "a finite number >= 0");
	if (eta)
		o->c.p.eta = cli_double_positive(CMD, "--eta", eta);
	if (mu)
		o->c.p.mu = cli_double_range(CMD, "--mu", mu, 0, nextafter(1, 0), "a number in [0, 1)");
	if (x0)
		o->c.x0 = cli_double_range(CMD, "--x0", x0, -DBL_MAX, DBL_MAX, "a finite number");
	if (iters)
		o->c.iters = cli_u64_range(CMD, "--iters", iters, 0, 100000000);
	/* Each value may be finite and their products not: a·η and Ση² enter every closed form. */
	if (asgd_theory_check(&o->c.p) != ASGD_OK || !isfinite(o->c.p.a * o->c.p.eta) ||
	    !isfinite(o->c.p.sigma2 * o->c.p.eta * o->c.p.eta) ||
	    !isfinite(o->c.p.a * o->c.x0 * o->c.x0))
		cli_usage_error(CMD, "a = %g, sigma2 = %g, eta = %g, mu = %g are not allowed: "
				"expected finite a > 0, sigma2 >= 0, eta > 0, mu in [0, 1), with "
				"a*eta, sigma2*eta^2 and a*x0^2 finite",
				o->c.p.a, o->c.p.sigma2, o->c.p.eta, o->c.p.mu);
	cli_prepare_out(CMD, o->out);
}

static void print_eig(const char *name, const asgd_theory_eig *e, int n)
{
	printf("  eigenvalues of %s:", name);
	for (int i = 0; i < n; i++)
		printf("  %.6g%+.6gi", e[i].re, e[i].im);
	printf("\n");
}

static void print_table(const struct theory_opts *o, const asgd_theory_report *r)
{
	printf("theory  f = a x^2/2, a = %.6g, Sigma = %.6g, eta = %.6g, mu = %.6g (preset %s, x* = %.6g)\n",
	       o->c.p.a, o->c.p.sigma2, o->c.p.eta, o->c.p.mu, o->c.preset, o->c.xstar);
	printf("  scales: c = %.6g   dt = %.6g   alpha = %.6g   s^2 = %.6g\n", r->sc.c, r->sc.dt,
	       r->sc.alpha, r->sc.s2);
	print_eig("A(mu,eta)", r->eA, 2);
	print_eig("B(mu,eta)", r->eB, 3);
	printf("  stationary SME-ASGD (Appendix B): E X^2 = %.8g   E Y^2 = %.8g   E XY = %.8g\n",
	       r->st.ex2, r->st.ey2, r->st.exy);
	printf("  stationary read (2.5):            E M^2 = %.8g   E P^2 = %.8g\n", r->st.em2,
	       r->st.ep2);
	printf("  (5.6): mu_opt = %.6g   eta_opt = %.6g\n", r->mu_opt, r->eta_opt);
	printf("  Proposition 1: MSGD mu' = %.6g, eta' = %.6g; temperatures SME-ASGD %.8g, "
	       "SME-MSGD %.8g\n", r->mu_m, r->eta_m, r->temp_asgd, r->temp_msgd);
	printf("  discrete stationary E x^2: ASGD %.8g%s   MSGD(mu, eta(1-mu)) %.8g%s\n",
	       r->asgd_ex2, r->asgd_stable ? "" : " (unstable)", r->msgd_ex2,
	       r->msgd_stable ? "" : " (unstable)");
	printf("  relative gaps: ASGD vs MSGD %+.4f (ERRATA §6)   Appendix B vs ASGD %+.4f (ERRATA §7)\n",
	       r->gap_asgd_msgd, r->gap_appb);
}

int cli_theory(int argc, char **argv)
{
	struct theory_opts o;
	asgd_theory_report r;
	double t0 = cli_now_s();
	char path[4096];
	cJSON *root;
	char *text;
	int rc;

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	asgd_theory_report_compute(&o.c, &r);
	cli_out_path(path, sizeof(path), o.out, "theory.csv");
	rc = asgd_theory_report_write_csv(&o.c, &r, path);
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd theory: cannot write %s: %s\n", path, asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	root = asgd_theory_report_json(&o.c, &r, argc, argv, cli_now_s() - t0);
	cli_out_path(path, sizeof(path), o.out, "theory.json");
	rc = cli_write_json(path, root);
	if (rc == ASGD_OK && o.json) {
		text = cJSON_Print(root);
		if (text)
			printf("%s\n", text);
		free(text);
	} else if (rc == ASGD_OK) {
		print_table(&o, &r);
	}
	cJSON_Delete(root);
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd theory: cannot write %s: %s\n", path, asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
