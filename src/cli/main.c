/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c — the `asgd` command: dispatch to one subcommand per file in src/cli/.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "run", cli_run, "run the threaded ASGD engine on a preset and fit its staleness" },
	{ "fit", cli_fit, "fit the geometric staleness model to staleness measured elsewhere" },
	{ "simulate", cli_simulate, "discrete reference processes: ASGD, SGD, MSGD, mini-batch ASGD" },
	{ "sme", cli_sme, "stochastic modified equations: SME-ASGD, SME-MSGD, SME-SGD" },
	{ "theory", cli_theory, "closed forms: stationary moments, eigenvalues, mu_opt, Proposition 1" },
	{ "compare", cli_compare, "discrete ASGD against SME-ASGD and SME-SGD on a preset" },
	{ "order", cli_order, "the ASGD/SME-ASGD gap as eta is halved, against Theorem 3" },
	{ "validate", cli_validate, "the real engine against every model fitted to its staleness" },
	{ "sweep", cli_sweep, "the real engine over worker counts M: mu_hat, stationary spread, time to target" },
	{ "advise", cli_advise, "recommend momentum (or eta) for M workers and test it in the real engine" },
	{ "batch", cli_batch, "the optimal mini-batch schedule of Section 4 against constant batches" },
};

static void usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: asgd COMMAND [OPTIONS]\n\n"
		    "A testbed for asynchronous SGD: real worker threads, measured staleness,\n"
		    "and the stochastic modified equations of An, Lu and Ying.\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++)
		fprintf(fp, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(fp, "\n'asgd COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	cli_json_init();
	/* Before any command starts: loading a data set can take seconds and must stop too. */
	cli_catch_signals();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "asgd: unknown command '%s'; allowed:", argv[1]);
	for (i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++)
		fprintf(stderr, " %s", subcommands[i].name);
	fprintf(stderr, "\n");
	return CLI_EXIT_USAGE;
}
