/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/theory_report.h — the experiment behind `asgd theory`: every closed form of asgd/theory.h
 * for f = a x²/2 with constant component variance Σ, at one (η, μ), as one report.
 *
 * The report gathers the scales c, Δt, α; the eigenvalues of A(μ, η) and B(μ, η); Appendix B's
 * stationary moments; μ_opt and η_opt (5.6); Proposition 1's MSGD and both temperatures; and the
 * exact stationary E x² of discrete ASGD and of MSGD(μ, η(1 − μ)) with their relative gaps
 * (docs/ERRATA.md §6, §7). It is written as theory.json and as theory.csv, Appendix B's moments at
 * t_k = kΔt from X_0 = x0. Everything is closed form: nothing runs long, nothing can be stopped.
 */
#ifndef ASGD_THEORY_REPORT_H
#define ASGD_THEORY_REPORT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/theory.h"

/* What to report on. */
typedef struct asgd_theory_report_config {
	const char *preset;	/* the problem's name, recorded in the JSON */
	asgd_theory_params p;	/* a, Σ, η, μ (asgd_theory_check holds) */
	double x0, xstar;	/* the start and the minimizer, in the preset's coordinates */
	uint64_t iters;		/* theory.csv has rows k = 0..iters */
} asgd_theory_report_config;

/* Every number of the report; a NAN where a closed form does not exist. */
typedef struct asgd_theory_report {
	asgd_theory_scales sc;
	asgd_theory_eig eA[2], eB[3];
	asgd_theory_stationary st;
	double mu_opt, eta_opt, temp_asgd, temp_msgd, eta_m, mu_m;
	double asgd_ex2, msgd_ex2, gap_asgd_msgd, gap_appb;
	int asgd_stable, msgd_stable;	/* the discrete process has a stationary E x² */
} asgd_theory_report;

/* asgd_theory_report_compute - every closed form of @cfg's parameters into *@r. */
void asgd_theory_report_compute(const asgd_theory_report_config *cfg, asgd_theory_report *r);

/*
 * asgd_theory_report_json - theory.json: "command", "preset", "command_line" (@argc, @argv: the
 * command line, argv[0] the subcommand, as asgd_report_argv_json records it), "parameters",
 * "scales", "eigenvalues", "stationary_sme", "optimal", "proposition1", "discrete", "wall_s" (@wall_s) and "machine"; a NAN is null.
 * The caller owns the result (cJSON_Delete).
 */
cJSON *asgd_theory_report_json(const asgd_theory_report_config *cfg, const asgd_theory_report *r,
			       int argc, char **argv, double wall_s);

/*
 * asgd_theory_report_write_csv - theory.csv at @path, atomically: k,t,mean,second_moment, Appendix
 * B's E X and E X² at t = kΔt in the preset's coordinates (X = x* + X̃), k = 0..cfg->iters.
 * Returns 0, or asgd_theory_evolve's or the file's error (then nothing is left at @path).
 */
int asgd_theory_report_write_csv(const asgd_theory_report_config *cfg,
				 const asgd_theory_report *r, const char *path);

#endif /* ASGD_THEORY_REPORT_H */
