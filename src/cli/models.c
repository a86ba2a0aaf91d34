/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * models.c — what `compare` and `order` (and `validate`'s flags) share: the common flags, the
 * settings of a model run (asgd/model_run.h) and its progress, the JSON head, the exit status.
 */
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "asgd/ensemble.h"
#include "asgd/error.h"
#include "asgd/report.h"
#include "asgd/sme.h"

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

struct cli_flag *cli_models_flags(struct cli_models *o)
{
	const char *const preset_s = "the preset's";
	const struct cli_flag rows[] = {
		cli_preset_flag(&o->spec),
		CLI_TEXT("mu", "MU", &o->mu_s, preset_s, "staleness in [0,1)"),
		CLI_TEXT("eta", "ETA", &o->eta_s, preset_s, "step size > 0"),
		CLI_TEXT("iters", "K", &o->iters_s, preset_s, "iterations"),
		CLI_U64("paths", "P", &o->paths, 2, 100000000, "sample paths per model"),
		CLI_UINT("substeps", "S", &o->substeps, 1, 100000,
			 "Euler-Maruyama substeps per step of the SMEs"),
		CLI_TEXT("sigma", "CHOICE", &o->sigma_s, "continuum in 1-D, instant for d > 1",
			 "SME-ASGD's Sigma(t): continuum | evolve | constant | instant"),
		CLI_UINT("threads", "T", &o->threads, 0, ASGD_ENSEMBLE_MAX_THREADS,
			 "compute threads, 0 = all cores"),
		CLI_U64("seed", "S", &o->seed, 0, UINT64_MAX, "seed"),
		CLI_TEXT("out", "DIR", &o->out, NULL, "output directory"),
		CLI_SWITCH("quiet", &o->quiet, CLI_QUIET_HELP),
		cli_progress_flag(),
		CLI_END,
	};

	_Static_assert(sizeof(rows) <= sizeof(o->flags), "struct cli_models: flags[] too small");
	memcpy(o->flags, rows, sizeof(rows));
	return o->flags;
}

/* Whether the paths' rows are scored by an observable of one value (the loss, a coordinate, a
 * projection) rather than kept as x. */
static int scored(const struct cli_models *o)
{
	return o->cp && o->cp->obs.kind != ASGD_OBSERVE_X;
}

void cli_models_finish(const char *cmd, struct cli_models *o, int argc, char **argv)
{
	if (o->problem)
		o->problem_borrowed = 1;
	else
		o->problem = cli_preset(cmd, o->spec);
	o->eta = o->cp ? cli_problem_eta(cmd, o->cp, o->eta_s)
		: o->eta_s ? cli_double_positive(cmd, "--eta", o->eta_s)
			   : asgd_problem_default_eta(o->problem);
	o->mu = o->mu_s ? cli_double_range(cmd, "--mu", o->mu_s, 0, nextafter(1, 0),
					   "a number in [0, 1)")
			: asgd_problem_default_mu(o->problem);
	o->iters = o->cp ? cli_problem_iters(cmd, o->cp, o->iters_s, 1, 100000000)
		 : o->iters_s ? cli_u64_range(cmd, "--iters", o->iters_s, 1, 100000000)
			      : asgd_problem_default_iters(o->problem);
	if (o->sigma_s && asgd_sigma_parse(o->sigma_s, &o->sigma) != ASGD_OK)
		cli_usage_error(cmd, "--sigma '%s' is not allowed: expected continuum, evolve, "
				"constant or instant", o->sigma_s);
	if (!o->sigma_s)
		o->sigma = asgd_sme_default_sigma(ASGD_MODEL_SME_ASGD, o->problem);
	if (o->sigma == ASGD_SIGMA_EVOLVE && o->mu == 0)
		cli_usage_error(cmd, "--sigma evolve with --mu 0 is not allowed: (2.12) divides by mu");
	/* The models' paths keep rows of x unless an observable scores them as they are made; the
	 * real run's replica keeps its trajectory (1 GiB at most, as asgd run). */
	if ((o->iters + 1) * asgd_problem_dim(o->problem) > (uint64_t)1 << (scored(o) ? 27 : 26))
		cli_usage_error(cmd, "--iters %llu with dimension %zu is too large; allowed: "
				"(iters+1)*dim <= 2^%d", (unsigned long long)o->iters,
				asgd_problem_dim(o->problem), scored(o) ? 27 : 26);
	cli_prepare_out(cmd, o->out);
	o->argc = argc;
	o->argv = argv;
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
	cJSON_AddItemToObject(j, "command_line", asgd_report_argv_json(o->argc, o->argv));
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

void cli_models_run_config(const char *cmd, const struct cli_models *o, unsigned phases,
			   asgd_model_run_config *c, struct cli_models_progress *prog)
{
	*prog = (struct cli_models_progress){ 0 };
	*c = (asgd_model_run_config){
		.problem = o->problem, .eta = o->eta, .mu = o->mu, .iters = o->iters,
		.paths = o->paths, .substeps = o->substeps, .threads = o->threads,
		.sigma = o->sigma, .seed = o->seed, .stop = cli_stop_flag(),
	};
	if (cli_progress_start(cmd, phases, o->quiet)) {
		c->progress = cli_models_progress;
		c->progress_arg = prog;
	}
}

void cli_models_progress(void *arg, const asgd_model_progress *p)
{
	struct cli_models_progress *s = arg;

	if (p->event == ASGD_MODEL_DONE) {
		if (s->open)
			cli_progress_phase_end();
		else
			s->phase++;	/* it ended before its first paths: the next is the next */
		s->open = 0;
		return;
	}
	if (!s->open) {
		cli_progress_phase(++s->phase, asgd_model_name(p->model));
		s->open = 1;
	}
	cli_progress_update(p->done, p->total);
}

void cli_models_append(cJSON *root, cJSON *body)
{
	while (body && body->child) {
		cJSON *item = cJSON_DetachItemViaPointer(body, body->child);

		if (!cJSON_AddItemToObject(root, item->string, item))
			cJSON_Delete(item);	/* out of memory: cli_write_json refuses the rest */
	}
	cJSON_Delete(body);
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
