/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * models.c — running several models side by side for `compare` and `order`: shared flags, one
 * model as a Monte Carlo ensemble (sim or sme) and exactly (exact), its files and its JSON.
 */
#include "models.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/ensemble.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/report.h"
#include "asgd/sim.h"
#include "asgd/sme.h"
#include "cli.h"

void cli_models_defaults(struct cli_models *o, const char *out)
{
	memset(o, 0, sizeof(*o));
	o->spec = "fig4";
	o->out = out;
	o->paths = 5000;
	o->substeps = 8;
	o->seed = 1;
	o->t0 = cli_now_s();
}

int cli_models_option(const char *cmd, struct cli_models *o, int c, const char *arg)
{
	switch (c) {
	case 'p': o->spec = arg; break;
	case 'm': o->mu_s = arg; break;
	case 'e': o->eta_s = arg; break;
	case 'k': o->iters_s = arg; break;
	case 'P': o->paths = cli_u64_range(cmd, "--paths", arg, 2, 100000000); break;
	case 'S': o->substeps = (unsigned)cli_u64_range(cmd, "--substeps", arg, 1, 100000); break;
	case 'g': o->sigma_s = arg; break;
	case 't': o->threads = (unsigned)cli_u64_range(cmd, "--threads", arg, 0, ASGD_ENSEMBLE_MAX_THREADS); break;
	case 's': o->seed = cli_u64_range(cmd, "--seed", arg, 0, UINT64_MAX); break;
	case 'o': o->out = arg; break;
	case 'q': o->quiet = 1; break;
	default: return 0;
	}
	return 1;
}

static void record_cmdline(struct cli_models *o, int argc, char **argv)
{
	size_t used = (size_t)snprintf(o->cmdline, sizeof(o->cmdline), "asgd");

	for (int i = 0; i < argc && used < sizeof(o->cmdline); i++)
		used += (size_t)snprintf(o->cmdline + used, sizeof(o->cmdline) - used, " %s", argv[i]);
}

void cli_models_finish(const char *cmd, struct cli_models *o, int argc, char **argv)
{
	if (o->problem)
		o->problem_borrowed = 1;
	else
		o->problem = cli_preset(cmd, o->spec);
	o->eta = o->eta_s ? cli_double_positive(cmd, "--eta", o->eta_s)
			  : asgd_problem_default_eta(o->problem);
	o->mu = o->mu_s ? cli_double_range(cmd, "--mu", o->mu_s, 0, nextafter(1, 0),
					   "a number in [0, 1)")
			: asgd_problem_default_mu(o->problem);
	o->iters = o->iters_s ? cli_u64_range(cmd, "--iters", o->iters_s, 1, 100000000)
			      : asgd_problem_default_iters(o->problem);
	if (o->sigma_s && asgd_sigma_parse(o->sigma_s, &o->sigma) != ASGD_OK)
		cli_usage_error(cmd, "--sigma '%s' is not allowed: expected continuum, evolve, "
				"constant or instant", o->sigma_s);
	if (!o->sigma_s)
		o->sigma = asgd_sme_default_sigma(ASGD_MODEL_SME_ASGD, o->problem);
	if (o->sigma == ASGD_SIGMA_EVOLVE && o->mu == 0)
		cli_usage_error(cmd, "--sigma evolve with --mu 0 is not allowed: (2.12) divides by mu");
	if ((o->iters + 1) * asgd_problem_dim(o->problem) > (uint64_t)1 << 26)
		cli_usage_error(cmd, "--iters %llu with dimension %zu is too large; allowed: "
				"(iters+1)*dim <= 2^26", (unsigned long long)o->iters,
				asgd_problem_dim(o->problem));
	cli_prepare_out(cmd, o->out);
	record_cmdline(o, argc, argv);
}

void cli_models_free(struct cli_models *o)
{
	if (!o->problem_borrowed)
		asgd_problem_destroy(o->problem);
	o->problem = NULL;
}

cJSON *cli_models_header(const struct cli_models *o, const char *cmd)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "command", cmd);
	cJSON_AddStringToObject(j, "command_line", o->cmdline);
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(o->problem));
	cJSON_AddNumberToObject(j, "dim", (double)asgd_problem_dim(o->problem));
	cJSON_AddNumberToObject(j, "eta", o->eta);
	cJSON_AddNumberToObject(j, "mu", o->mu);
	cJSON_AddNumberToObject(j, "iters", (double)o->iters);
	cJSON_AddNumberToObject(j, "paths", (double)o->paths);
	cJSON_AddNumberToObject(j, "substeps", o->substeps);
	cJSON_AddStringToObject(j, "sigma", asgd_sigma_name(o->sigma));
	cJSON_AddNumberToObject(j, "seed", (double)o->seed);
	cJSON_AddItemToObject(j, "machine", asgd_report_machine_json());
	return j;
}

void cli_model_run_init(struct cli_model_run *r, asgd_model m)
{
	memset(r, 0, sizeof(*r));
	r->model = m;
	r->name = asgd_model_name(m);
	r->extra = cJSON_CreateObject();
}

/* Each model draws from its own streams, so that the gaps' standard errors may add in quadrature. */
static uint64_t model_seed(const struct cli_models *o, asgd_model m)
{
	return o->seed + 0x9E3779B97F4A7C15ull * ((uint64_t)m + 1);
}

/* The run's counts, and its end points, which the run takes over from @ens (no copy). */
static void keep_final(struct cli_model_run *r, asgd_ensemble_result *ens)
{
	r->paths_done = ens->paths_done;
	r->nonfinite = ens->nonfinite;
	r->interrupted = ens->interrupted;
	r->wall_s = ens->wall_s;
	r->final = ens->final;
	ens->final = NULL;
}

/* DIR/moments.csv of an ensemble; nothing when @dir is NULL. */
static int write_moments(const char *dir, const asgd_moments *m, double dt)
{
	char path[4096];

	if (!dir)
		return ASGD_OK;
	cli_out_path(path, sizeof(path), dir, "moments.csv");
	return asgd_moments_write_csv(m, path, dt);
}

static int run_sim(const struct cli_models *o, const struct cli_model_params *p,
		   struct cli_model_run *r, struct cli_progress_state *prog)
{
	asgd_sim_config cfg = {
		.model = r->model, .problem = o->problem, .eta = p->eta, .mu = o->mu,
		.iters = p->iters, .paths = o->paths, .threads = o->threads,
		.seed = model_seed(o, r->model), .keep_final = 1, .stop = cli_stop_flag(),
		.progress = cli_progress_cb, .progress_arg = prog,
	};
	asgd_sim_result res;
	double dt = asgd_model_time_step(r->model, p->eta, o->mu);
	char err[256];
	int rc = asgd_sim_check_config(&cfg, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "asgd: %s: %s\n", r->name, err);
		return rc;
	}
	rc = asgd_sim_run(&cfg, &res);
	if (rc)
		return rc;
	cJSON_AddNumberToObject(r->extra, "history", (double)res.history);
	cJSON_AddNumberToObject(r->extra, "truncation_prob", res.truncation_prob);
	cJSON_AddNumberToObject(r->extra, "truncated", (double)res.truncated);
	r->path_steps_per_s = res.path_steps_per_s;
	keep_final(r, &res.ens);
	if (res.ens.paths_done >= 2) {
		rc = asgd_table_from_moments(&res.ens.moments, dt, &r->mc);
		r->have_mc = rc == ASGD_OK;
	}
	if (rc == ASGD_OK && r->have_mc)
		rc = write_moments(p->dir, &res.ens.moments, dt);
	asgd_sim_result_free(&res);
	return rc;
}

static asgd_sigma model_sigma(const struct cli_models *o, asgd_model m)
{
	return m == ASGD_MODEL_SME_ASGD ? o->sigma : asgd_sme_default_sigma(m, o->problem);
}

static int run_sme(const struct cli_models *o, const struct cli_model_params *p,
		   struct cli_model_run *r, struct cli_progress_state *prog)
{
	asgd_sme_config cfg = {
		.model = r->model, .sigma = model_sigma(o, r->model), .problem = o->problem,
		.eta = p->eta, .mu = o->mu, .iters = p->iters, .substeps = o->substeps,
		.paths = o->paths, .threads = o->threads, .seed = model_seed(o, r->model),
		.keep_final = 1, .stop = cli_stop_flag(), .progress = cli_progress_cb,
		.progress_arg = prog,
	};
	asgd_sme_result res;
	char err[256];
	int rc = asgd_sme_check_config(&cfg, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "asgd: %s: %s\n", r->name, err);
		return rc;
	}
	rc = asgd_sme_run(&cfg, &res);
	if (rc)
		return rc;
	cJSON_AddStringToObject(r->extra, "sigma", asgd_sigma_name(cfg.sigma));
	cJSON_AddNumberToObject(r->extra, "sigma_clamped", (double)res.sigma_clamped);
	r->path_steps_per_s = res.path_steps_per_s;
	keep_final(r, &res.ens);
	if (res.ens.paths_done >= 2) {
		rc = asgd_table_from_moments(&res.ens.moments, res.dt, &r->mc);
		r->have_mc = rc == ASGD_OK;
	}
	if (rc == ASGD_OK && r->have_mc)
		rc = write_moments(p->dir, &res.ens.moments, res.dt);
	asgd_sme_result_free(&res);
	return rc;
}

static int run_exact(const struct cli_models *o, const struct cli_model_params *p,
		     struct cli_model_run *r)
{
	asgd_exact_config cfg = {
		.model = r->model, .sigma = model_sigma(o, r->model), .problem = o->problem,
		.eta = p->eta, .mu = o->mu, .iters = p->iters, .stop = cli_stop_flag(),
	};
	asgd_exact_moments m;
	int rc;

	if (!asgd_exact_supported(o->problem))
		return ASGD_OK;
	rc = asgd_exact_run(&cfg, &m);
	if (rc == ASGD_EINTR)	/* stopped: no exact table (have_exact stays 0), not a failure */
		return ASGD_OK;
	if (rc)
		return rc;
	rc = asgd_table_from_exact(&m, &r->exact);
	r->have_exact = rc == ASGD_OK;
	if (rc == ASGD_OK && p->dir) {
		char path[4096];

		cli_out_path(path, sizeof(path), p->dir, "exact.csv");
		rc = asgd_exact_write_csv(&m, path);
	}
	asgd_exact_moments_free(&m);
	return rc;
}

int cli_model_run(const struct cli_models *o, const struct cli_model_params *p,
		  struct cli_model_run *r)
{
	struct cli_progress_state prog = { .what = r->name, .quiet = o->quiet };
	char err[512];
	int rc = ASGD_OK;

	if (p->dir && asgd_report_prepare_dir(p->dir, err, sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "asgd: %s\n", err);
		return ASGD_EIO;
	}
	if (p->monte_carlo)
		rc = asgd_model_is_discrete(r->model) ? run_sim(o, p, r, &prog)
						      : run_sme(o, p, r, &prog);
	if (!o->quiet && p->monte_carlo)
		cli_progress_end();
	if (rc == ASGD_OK && p->exact && !cli_stopped())
		rc = run_exact(o, p, r);
	return rc;
}

cJSON *cli_model_run_json(const struct cli_model_run *r)
{
	cJSON *j = cJSON_Duplicate(r->extra, 1);

	cJSON_AddNumberToObject(j, "paths_done", (double)r->paths_done);
	cJSON_AddNumberToObject(j, "nonfinite_paths", (double)r->nonfinite);
	cJSON_AddNumberToObject(j, "wall_s", r->wall_s);
	cJSON_AddNumberToObject(j, "path_steps_per_s", r->path_steps_per_s);
	cJSON_AddBoolToObject(j, "exact_available", r->have_exact);
	return j;
}

void cli_model_run_free(struct cli_model_run *r)
{
	asgd_table_free(&r->mc);
	asgd_table_free(&r->exact);
	free(r->final);
	cJSON_Delete(r->extra);
	memset(r, 0, sizeof(*r));
}

void cli_models_add_basins(cJSON *root, const struct cli_models *o, struct cli_model_run *runs,
			   int count)
{
	size_t dim = asgd_problem_dim(o->problem), nmin;
	double *minima, *frac, *se;
	cJSON *b, *jmin;

	if (asgd_problem_local_minima(o->problem, NULL, 0, &nmin) != ASGD_OK || nmin < 2)
		return;
	minima = malloc(nmin * dim * sizeof(double));
	frac = malloc(nmin * sizeof(double));
	se = malloc(nmin * sizeof(double));
	if (!minima || !frac || !se ||
	    asgd_problem_local_minima(o->problem, minima, nmin, &nmin) != ASGD_OK)
		goto out;
	b = cJSON_AddObjectToObject(root, "basins");
	jmin = cJSON_AddArrayToObject(b, "minima");
	for (size_t j = 0; j < nmin * dim; j++)
		cJSON_AddItemToArray(jmin, cJSON_CreateNumber(minima[j]));
	for (int m = 0; m < count; m++) {
		uint64_t counted;
		cJSON *jm;

		if (!runs[m].final || asgd_basin_fractions(runs[m].final, runs[m].paths_done, dim,
							   minima, nmin, frac, se, &counted))
			continue;
		jm = cJSON_AddObjectToObject(b, runs[m].name);
		cJSON_AddItemToObject(jm, "fraction", cJSON_CreateDoubleArray(frac, (int)nmin));
		cJSON_AddItemToObject(jm, "se", cJSON_CreateDoubleArray(se, (int)nmin));
		cJSON_AddNumberToObject(jm, "paths", (double)counted);
	}
out:
	free(minima);
	free(frac);
	free(se);
}

double cli_elapsed_s(const struct cli_models *o)
{
	return cli_now_s() - o->t0;
}

int cli_models_status(const char *cmd, const struct cli_models *o, int rc)
{
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd %s: failed: %s\n", cmd, asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (cli_stopped()) {
		fprintf(stderr, "asgd %s: interrupted; partial results written to %s\n", cmd, o->out);
		return CLI_EXIT_INTERRUPTED;
	}
	return CLI_EXIT_OK;
}
