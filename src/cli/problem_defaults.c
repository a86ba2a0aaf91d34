/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * problem_defaults.c — the step and the horizon of a command's problem when the user names
 * neither: a preset's own, or a data model's from its noise at the optimum (asgd_data_defaults_of,
 * docs/MODELS.md §7), with --epochs as the other way to name a horizon; and what the summary
 * says about where they came from.
 *
 * Apart from problem_opts.c, which builds the problem from its flags: these are asked later, once
 * a command knows its batch, and only when a default is needed, since a data model's defaults
 * cost a solve for x*.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "cli.h"

/* The data model's defaults, computed once: a solve for x* and a pass over the data. */
static const asgd_data_defaults *data_defaults(const char *cmd, struct cli_problem *cp)
{
	int rc;

	if (cp->have_defaults)
		return &cp->defaults;
	rc = asgd_data_defaults_of(cp->problem, cli_stop_flag(),
				   cp->max_batch ? cp->max_batch : 1, &cp->defaults);
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc == ASGD_EINTR) {
		fprintf(stderr, "asgd %s: interrupted while solving for the optimum; nothing "
			"written\n", cmd);
		exit(CLI_EXIT_INTERRUPTED);
	}
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "%s: no defaults: %s", cp->named, asgd_strerror(rc));
	cp->have_defaults = 1;
	return &cp->defaults;
}

unsigned cli_problem_batch(const char *cmd, struct cli_problem *cp, const char *batch,
			   const char *eta)
{
	size_t n = asgd_problem_components(cp->problem);

	if (batch)
		cp->batch = (unsigned)cli_u64_range(cmd, "--batch", batch, 1, n);
	else if (!eta && cli_problem_is_data(cp) && cp->max_batch > 1)
		cp->batch = data_defaults(cmd, cp)->batch;
	else
		cp->batch = 1;
	return cp->batch;
}

double cli_problem_eta(const char *cmd, struct cli_problem *cp, const char *eta)
{
	const asgd_data_defaults *d;
	double B = cp->batch ? cp->batch : 1;

	if (eta)
		return cli_double_positive(cmd, "--eta", eta);
	if (!cli_problem_is_data(cp))
		return asgd_problem_default_eta(cp->problem);
	d = data_defaults(cmd, cp);
	/* the same stationary gap at another batch: the noise is C/B, so the step is B times */
	return B == d->batch ? d->eta : fmin(d->eta_stable, B * d->eta / d->batch);
}

uint64_t cli_problem_iters(const char *cmd, struct cli_problem *cp, const char *iters,
			   uint64_t batch, uint64_t max)
{
	double e, n = (double)asgd_problem_components(cp->problem), k;

	if (iters && cp->epochs)
		cli_usage_error(cmd, "--iters '%s' and --epochs '%s' both given: choose one", iters,
				cp->epochs);
	if (iters)
		return cli_u64_range(cmd, "--iters", iters, 1, max);
	if (!cp->epochs && !cli_problem_is_data(cp))
		return asgd_problem_default_iters(cp->problem);
	e = cp->epochs ? cli_double_positive(cmd, "--epochs", cp->epochs)
	    : cp->data_epochs > 0 ? cp->data_epochs : data_defaults(cmd, cp)->epochs;
	k = ceil(e * n / (double)(batch ? batch : 1));
	if (!(k <= (double)max))
		cli_usage_error(cmd, "--epochs '%s' is not allowed: %.0f updates of %llu components "
				"(n = %.0f) is more than %llu", cp->epochs ? cp->epochs : "default", k,
				(unsigned long long)(batch ? batch : 1), n, (unsigned long long)max);
	return k < 1 ? 1 : (uint64_t)k;
}

cJSON *cli_problem_defaults_json(const struct cli_problem *cp)
{
	const asgd_data_defaults *d = &cp->defaults;
	cJSON *j;

	if (!cp->have_defaults)
		return NULL;
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "eta", d->eta);
	cJSON_AddNumberToObject(j, "eta_stable", d->eta_stable);
	cJSON_AddNumberToObject(j, "gap_target", ASGD_DATA_GAP_TARGET);
	if (isnan(d->optimum)) {
		cJSON_AddNullToObject(j, "optimum");
		cJSON_AddNullToObject(j, "trace_c");
		cJSON_AddNullToObject(j, "predicted_gap");
	} else {
		cJSON_AddNumberToObject(j, "optimum", d->optimum);
		cJSON_AddNumberToObject(j, "trace_c", d->trace_c);
		if (isnan(d->predicted_gap))
			cJSON_AddNullToObject(j, "predicted_gap");
		else
			cJSON_AddNumberToObject(j, "predicted_gap", d->predicted_gap);
	}
	cJSON_AddNumberToObject(j, "epochs", d->epochs);
	cJSON_AddBoolToObject(j, "horizon_capped", d->horizon_capped);
	cJSON_AddNumberToObject(j, "iters", (double)d->iters);
	return j;
}

void cli_print_problem_defaults(const struct cli_problem *cp)
{
	const asgd_data_defaults *d = &cp->defaults;

	if (!cp->have_defaults)
		return;
	if (isnan(d->predicted_gap))
		printf("defaults  eta %.4g, the stability scale (no optimum to aim the step at); "
		       "%g epochs%s\n", d->eta, d->epochs, d->horizon_capped ? " (capped)" : "");
	else
		printf("defaults  eta %.4g = min(%.4g, 4 g f*/tr C(x*)), f* %.6g, tr C %.4g: "
		       "predicted stationary gap %.2f%%; %g epochs%s\n", d->eta, d->eta_stable,
		       d->optimum, d->trace_c, 100 * d->predicted_gap, d->epochs,
		       d->horizon_capped ? ", the most a default run takes (the start's bias may "
					   "outlast them: see the gap below)"
					 : " for the start's bias to fall below it");
}
