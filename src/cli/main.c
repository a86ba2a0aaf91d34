/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c — the `asgd` command: dispatch to one subcommand per file in src/cli/.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "asgd/report.h"
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
	fprintf(fp, "\n'asgd COMMAND --help' (or -h, or 'asgd help COMMAND') describes each command;\n"
		    "'asgd --version' (or 'asgd version') says what this binary was built from.\n");
}

/* What every JSON output's "build" object says, one "key: value" a line after the version. */
static int version(void)
{
	cJSON *b = asgd_report_build_json();
	const cJSON *item;

	if (!b) {
		fprintf(stderr, "asgd: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	printf("asgd %s\n", cJSON_GetObjectItem(b, "version")->valuestring);
	cJSON_ArrayForEach(item, b)
		if (strcmp(item->string, "version") != 0)
			printf("%s: %s\n", item->string, item->valuestring);
	cJSON_Delete(b);
	return CLI_EXIT_OK;
}

static const struct subcommand *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++)
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	return NULL;
}

/* "asgd: unknown command 'X'; did you mean 'Y'? allowed: ...", exit 2. */
static int unknown_command(const char *name)
{
	const char *names[sizeof(subcommands) / sizeof(*subcommands)];
	const char *near;
	size_t i;

	for (i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++)
		names[i] = subcommands[i].name;
	near = cli_nearest(name, names, i);
	fprintf(stderr, "asgd: unknown command '%s'", name);
	if (near)
		fprintf(stderr, "; did you mean '%s'?", near);
	fprintf(stderr, " allowed:");
	for (i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++)
		fprintf(stderr, " %s", subcommands[i].name);
	fprintf(stderr, "\n");
	return CLI_EXIT_USAGE;
}

/* `asgd help [CMD]`: the overview, or CMD's --help. */
static int help(int argc, char **argv)
{
	const struct subcommand *c;

	if (argc < 3) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	c = find_command(argv[2]);
	if (!c)
		return unknown_command(argv[2]);
	return c->fn(2, (char *[]){ argv[2], "--help", NULL });
}

int main(int argc, char **argv)
{
	const struct subcommand *c;

	cli_json_init();
	/* Before any command starts: loading a data set can take seconds and must stop too. */
	cli_catch_signals();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return help(argc, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
		return version();
	c = find_command(argv[1]);
	return c ? c->fn(argc - 1, argv + 1) : unknown_command(argv[1]);
}
