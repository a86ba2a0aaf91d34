/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * data_defaults.c — what `advise` and `batch` do differently on a model on data, in one small
 * place: the engine's defaults there, and the exit-2 message when the minimizer that both need
 * (their curvature and noise are taken at x*) is not known.
 *
 * Kept apart from problem_opts.c, which sets the data defaults every command shares, so that
 * the two can be merged: when those land, the engine default below belongs with them.
 */
#include <stdio.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "asgd/work.h"
#include "cli.h"

/* Largest d for which a data model's minimizer is solved (datamodel.c's Cholesky limit). */
#define CLI_DATA_MINIMIZER_MAX_DIM 4096

void cli_data_defaults(const struct cli_problem *cp, const struct cli_engine_flags *eng,
		       asgd_work *work)
{
	/* On data the gradient is the work: injected delays would only slow the runs down. */
	if (cli_problem_is_data(cp) && !eng->work_given)
		*work = (asgd_work){ .kind = ASGD_WORK_NONE };
}

void cli_no_minimizer(const char *cmd, const struct cli_problem *cp, const char *why)
{
	asgd_data_model m;
	size_t d = asgd_problem_dim(cp->problem);

	if (asgd_problem_data_model(cp->problem, &m) == ASGD_OK && m.loss == ASGD_LOSS_HINGE)
		cli_usage_error(cmd, "%s is not allowed: no minimizer x* of the hinge loss is known "
				     "(it is not smooth, and no solver for it is built in), and %s",
				cp->named, why);
	if (cli_problem_is_data(cp) && d > CLI_DATA_MINIMIZER_MAX_DIM)
		cli_usage_error(cmd, "%s is not allowed: its minimizer x* is solved only for d <= %d "
				     "features (Newton's method by Cholesky), and this one has d = "
				     "%zu; %s", cp->named, CLI_DATA_MINIMIZER_MAX_DIM, d, why);
	cli_usage_error(cmd, "%s is not allowed: its minimizer is not known, and %s", cp->named,
			why);
}
