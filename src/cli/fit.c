/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit.c — `asgd fit FILE`: the staleness analytics of `asgd run` for staleness measured
 * elsewhere, so users can test the geometric model on their own system's logs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/report.h"
#include "asgd/staleness.h"
#include "cli.h"

static const char *const CMD = "fit";

static void usage(void)
{
	printf("usage: asgd fit [OPTIONS] FILE\n\n"
	       "Fit the geometric staleness model P(tau=l) = (1-mu) mu^l to staleness measured\n"
	       "elsewhere and say how well it fits. FILE is either a sample, one non-negative\n"
	       "integer tau per line in the order the gradients were applied, or a histogram,\n"
	       "'l,count' lines (an optional header line). Blank lines and '#' comments are skipped.\n\n"
	       "options:\n"
	       "  --workers M   number of workers, to print the queueing prediction 1-1/M\n"
	       "  --out DIR     output directory (default out/fit)\n"
	       "  --quiet       write the outputs, print nothing\n"
	       "  --help        this text\n\n"
	       "outputs in DIR: summary.json (the 'staleness' fields of asgd run), staleness.csv.\n");
}

int cli_fit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "workers", required_argument, NULL, 'w' }, { "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },         { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "out/fit", *file;
	unsigned workers = 0;
	int c, quiet = 0, rc;
	char err[512], path[4096];
	asgd_staleness acc;
	asgd_staleness_summary sum;
	cJSON *root;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'w': workers = (unsigned)cli_u64_range(CMD, "--workers", optarg, 1, ASGD_MAX_WORKERS); break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(); return CLI_EXIT_OK;
		default: cli_usage_error(CMD, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		cli_usage_error(CMD, "expected exactly one FILE, got %d arguments", argc - optind);
	file = argv[optind];
	if (asgd_report_prepare_dir(out, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "--out: %s", err);
	if (asgd_staleness_init(&acc, workers) != ASGD_OK)
		return CLI_EXIT_FAIL;
	rc = asgd_staleness_read_file(&acc, file, err, sizeof(err));
	if (rc == ASGD_OK)
		rc = asgd_staleness_summarize(&acc, &sum);
	asgd_staleness_free(&acc);
	if (rc != ASGD_OK)
		cli_usage_error(CMD, "%s", rc == ASGD_EINVAL ? "no staleness samples" : err);

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "command", "fit");
	cJSON_AddStringToObject(root, "source", file);
	cJSON_AddItemToObject(root, "staleness", asgd_staleness_summary_json(&sum));
	cli_out_path(path, sizeof(path), out, "summary.json");
	rc = cli_write_staleness_csv(out, &sum);
	if (rc == ASGD_OK)
		rc = asgd_report_write_json(path, root);
	cJSON_Delete(root);
	if (!quiet) {
		printf("asgd fit  %s\n", file);
		cli_print_staleness(&sum);
		printf("outputs   %s/{summary.json,staleness.csv}\n", out);
	}
	asgd_staleness_summary_free(&sum);
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd fit: could not write the outputs in '%s': %s\n", out,
			asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
