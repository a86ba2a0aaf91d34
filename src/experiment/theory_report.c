/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * theory_report.c — the `asgd theory` experiment: every closed form of asgd/theory.h for one
 * (a, Σ, η, μ), gathered into one report, written as theory.json and as theory.csv (Appendix B's
 * moments in time). Nothing here is long-running: there is no stop flag and no progress.
 */
#include "asgd/theory_report.h"

#include <stdio.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "asgd/table.h"

void asgd_theory_report_compute(const asgd_theory_report_config *o, asgd_theory_report *r)
{
	asgd_theory_params m = o->p;

	asgd_theory_scales_of(&o->p, &r->sc);
	asgd_theory_eig_A(&o->p, r->eA);
	asgd_theory_eig_B(&o->p, r->eB);
	asgd_theory_stationary_of(&o->p, &r->st);
	r->mu_opt = asgd_theory_mu_opt(o->p.a, o->p.eta);
	r->eta_opt = asgd_theory_eta_opt(o->p.a, o->p.mu);
	asgd_theory_prop1(o->p.eta, o->p.mu, &r->eta_m, &r->mu_m);
	r->temp_asgd = asgd_theory_temp_sme_asgd(o->p.sigma2, o->p.eta);
	r->temp_msgd = asgd_theory_temp_sme_msgd(o->p.sigma2, r->eta_m, r->mu_m);
	r->asgd_stable = asgd_theory_discrete_asgd_ex2(&o->p, &r->asgd_ex2) == ASGD_OK;
	m.eta = r->eta_m;
	m.mu = r->mu_m;
	r->msgd_stable = asgd_theory_discrete_msgd_ex2(&m, &r->msgd_ex2) == ASGD_OK;
	/* docs/ERRATA.md §6: ASGD against MSGD(μ, η(1−μ)); §7: Appendix B against discrete ASGD */
	r->gap_asgd_msgd = (r->asgd_ex2 - r->msgd_ex2) / r->msgd_ex2;
	r->gap_appb = (r->st.ex2 - r->asgd_ex2) / r->asgd_ex2;
}

static cJSON *eigs_json(const asgd_theory_eig *e, int n)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();

		asgd_json_add_number(x, "re", e[i].re);
		asgd_json_add_number(x, "im", e[i].im);
		cJSON_AddItemToArray(arr, x);
	}
	return arr;
}

cJSON *asgd_theory_report_json(const asgd_theory_report_config *o, const asgd_theory_report *r,
			       int argc, char **argv, double wall_s)
{
	cJSON *root = cJSON_CreateObject(), *j;

	cJSON_AddStringToObject(root, "command", "theory");
	cJSON_AddStringToObject(root, "preset", o->preset);
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(argc, argv));
	j = cJSON_AddObjectToObject(root, "parameters");
	asgd_json_add_number(j, "a", o->p.a);
	asgd_json_add_number(j, "sigma2", o->p.sigma2);
	asgd_json_add_number(j, "eta", o->p.eta);
	asgd_json_add_number(j, "mu", o->p.mu);
	asgd_json_add_number(j, "x0", o->x0);
	asgd_json_add_number(j, "xstar", o->xstar);
	cJSON_AddNumberToObject(j, "iters", (double)o->iters);
	j = cJSON_AddObjectToObject(root, "scales");
	asgd_json_add_number(j, "c", r->sc.c);
	asgd_json_add_number(j, "dt", r->sc.dt);
	asgd_json_add_number(j, "alpha", r->sc.alpha);
	asgd_json_add_number(j, "s2", r->sc.s2);
	j = cJSON_AddObjectToObject(root, "eigenvalues");
	cJSON_AddItemToObject(j, "A", eigs_json(r->eA, 2));
	cJSON_AddItemToObject(j, "B", eigs_json(r->eB, 3));
	j = cJSON_AddObjectToObject(root, "stationary_sme");
	asgd_json_add_number(j, "EX2", r->st.ex2);
	asgd_json_add_number(j, "EY2", r->st.ey2);
	asgd_json_add_number(j, "EXY", r->st.exy);
	asgd_json_add_number(j, "EM2", r->st.em2);
	asgd_json_add_number(j, "EP2", r->st.ep2);
	j = cJSON_AddObjectToObject(root, "optimal");
	asgd_json_add_number(j, "mu_opt", r->mu_opt);
	asgd_json_add_number(j, "eta_opt", r->eta_opt);
	j = cJSON_AddObjectToObject(root, "proposition1");
	asgd_json_add_number(j, "msgd_mu", r->mu_m);
	asgd_json_add_number(j, "msgd_eta", r->eta_m);
	asgd_json_add_number(j, "temperature_sme_asgd", r->temp_asgd);
	asgd_json_add_number(j, "temperature_sme_msgd", r->temp_msgd);
	j = cJSON_AddObjectToObject(root, "discrete");
	asgd_json_add_number(j, "asgd_ex2", r->asgd_ex2);
	cJSON_AddBoolToObject(j, "asgd_stable", r->asgd_stable);
	asgd_json_add_number(j, "msgd_ex2", r->msgd_ex2);
	cJSON_AddBoolToObject(j, "msgd_stable", r->msgd_stable);
	asgd_json_add_number(j, "rel_gap_asgd_vs_msgd", r->gap_asgd_msgd);
	asgd_json_add_number(j, "rel_gap_appendix_b_vs_asgd", r->gap_appb);
	cJSON_AddNumberToObject(root, "wall_s", wall_s);
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return root;
}

/* Appendix B's moments in the preset's coordinates, X = x* + X̃. */
int asgd_theory_report_write_csv(const asgd_theory_report_config *o, const asgd_theory_report *r,
				 const char *path)
{
	asgd_atomic_file af;
	asgd_theory_state s0, s;
	double xs = o->xstar;
	int rc = asgd_atomic_open(&af, path);

	if (rc != ASGD_OK)
		return rc;
	asgd_theory_initial(&o->p, o->x0 - xs, &s0);
	fputs("k,t,mean,second_moment\n", af.fp);
	for (uint64_t k = 0; k <= o->iters; k++) {
		double t = (double)k * r->sc.dt;

		rc = asgd_theory_evolve(&o->p, &s0, t, &s);
		if (rc != ASGD_OK) {
			asgd_atomic_abort(&af);
			return rc;
		}
		fprintf(af.fp, "%llu,%.10g,%.10g,%.10g\n", (unsigned long long)k, t, xs + s.ex,
			xs * xs + 2 * xs * s.ex + s.ex2);
	}
	return asgd_atomic_commit(&af);
}
