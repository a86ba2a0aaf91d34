/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fit.c — `asgd fit FILE`: the staleness analytics of `asgd run` for staleness measured
 * elsewhere, so users can test the geometric model on their own system's logs, and the mixture
 * of geometrics (K by BIC, asgd/geomix.h) that sme-asgd-mixture takes when one geometric does not
 * fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/geomix.h"
#include "asgd/report.h"
#include "asgd/staleness.h"
#include "cli.h"
#include "flags.h"

static const char *const CMD = "fit";

static const struct cli_command COMMAND = {
	.name = "fit",
	.synopsis = "[OPTIONS] FILE",
	.about = "Fit the geometric staleness model P(tau=l) = (1-mu) mu^l to staleness measured "
		 "elsewhere and say how well it fits. FILE is either a sample, one non-negative "
		 "integer tau per line in the order the gradients were applied, or a histogram, "
		 "'l,count' lines (an optional header line). Blank lines and '#' comments are "
		 "skipped.",
	.epilogue = "outputs in DIR: summary.json (the 'staleness' fields of asgd run, and 'mixture':\n"
		    "count, components [{weight, mu}], mean, mu_bar, loglik, bic, em_iterations of the\n"
		    "chosen fit, and kmax, bic_per_k, count_per_k for K = 1..kmax), staleness.csv.\n"
		    "The chosen mixture runs as\n"
		    "asgd sme --model sme-asgd-mixture --mixture W1:MU1,...\n",
};

struct fit_opts {
	struct cli_output_flags og;
	const char *out;
	int quiet;
	const char *file;
	unsigned workers;
	uint64_t kmax;
};

static void parse_args(int argc, char **argv, struct fit_opts *f)
{
	const struct cli_flag own[] = {
		{ "workers", "M", "number of workers, to print the queueing prediction 1-1/M",
		  CLI_FLAG_UINT, &f->workers, .min = 1, .max = ASGD_MAX_WORKERS, .dflt = "unknown" },
		CLI_U64("mixture-max", "K", &f->kmax, 1, ASGD_GEOMIX_MAX,
			"also fit mixtures of 1..K geometrics by EM and keep the one with the "
			"smallest BIC, K in 1..{max}"),
		CLI_END,
	};
	int first;

	f->kmax = 4;
	cli_output_flags(&f->og, &f->out, &f->quiet, "out/fit");
	cli_flag_remove(f->og.flags, "progress");	/* fit's work is short: none to show */
	cli_flag_reword(f->og.flags, "quiet", "nothing on stdout");
	first = cli_flags_parse(&COMMAND, (const struct cli_flag *const[]){
		own, f->og.flags, NULL }, argc, argv);
	if (first != argc - 1)
		cli_usage_error(CMD, "expected exactly one FILE, got %d arguments", argc - first);
	f->file = argv[first];
}

static void print_mixture(const asgd_geomix *best, const asgd_geomix *all, size_t kmax)
{
	printf("mixture   K=%zu by BIC (weight:mu) ", best->count);
	for (size_t j = 0; j < best->count; j++)
		printf("%s%.6g:%.6g", j ? "," : "", best->weight[j], best->mu[j]);
	printf("  mean %.6g  mu_bar %.6g\n          BIC", asgd_geomix_mean(best),
	       asgd_geomix_mu_bar(best));
	for (size_t k = 0; k < kmax; k++)
		printf("  K=%zu %.6g", k + 1, all[k].bic);
	printf("\n");
	for (size_t c = 0; c < best->count; c++)
		if (asgd_geomix_is_stall_tail(best, c))
			printf("          stall tail: weight %.2g%%, mu %.4f, mean tau %.1f "
			       "(gradients computed across a scheduler stall)\n",
			       100 * best->weight[c], best->mu[c], best->mu[c] / (1 - best->mu[c]));
}

int cli_fit(int argc, char **argv)
{
	struct fit_opts f = { 0 };
	const char *out, *file;
	size_t kmax;
	int quiet, rc, mix_rc = ASGD_OK;
	unsigned workers;
	asgd_geomix best, all[ASGD_GEOMIX_MAX];
	char err[512], path[4096];
	asgd_staleness acc;
	asgd_staleness_summary sum;
	cJSON *root, *omitted;

	parse_args(argc, argv, &f);
	out = f.out, file = f.file, kmax = (size_t)f.kmax, quiet = f.quiet, workers = f.workers;
	if (asgd_staleness_init(&acc, workers) != ASGD_OK)
		return CLI_EXIT_FAIL;
	/* A log of 10^8 samples, or EM over thousands of levels, takes seconds: both stop on SIGINT.
	 * A stop while reading writes nothing; one during the mixture fit writes the staleness
	 * without the mixture ("mixture": null, "omitted": ["mixture"]) and exits 130. */
	rc = asgd_staleness_read_file_stop(&acc, file, cli_stop_flag(), err, sizeof(err));
	if (rc == ASGD_EINTR) {
		fprintf(stderr, "asgd fit: interrupted while reading '%s'; nothing written\n", file);
		asgd_staleness_free(&acc);
		return CLI_EXIT_INTERRUPTED;
	}
	if (rc == ASGD_OK)
		rc = asgd_staleness_summarize(&acc, &sum);
	if (rc == ASGD_OK) {
		mix_rc = asgd_geomix_select_stop(acc.hist, acc.hist_len, kmax, &best, all,
						 cli_stop_flag());
		if (mix_rc != ASGD_OK && mix_rc != ASGD_EINTR)
			rc = ASGD_EINVAL; /* an empty histogram: summarize said so already */
	}
	asgd_staleness_free(&acc);
	if (rc != ASGD_OK)
		cli_usage_error(CMD, "%s", rc == ASGD_EINVAL ? "no staleness samples" : err);
	/* Only now: a FILE that cannot be read leaves no empty output directory behind. */
	if (asgd_report_prepare_dir(out, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "--out: %s", err);

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "command", "fit");
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(argc, argv));
	cJSON_AddStringToObject(root, "source", file);
	cJSON_AddItemToObject(root, "staleness", asgd_staleness_summary_json(&sum));
	if (mix_rc == ASGD_OK)
		cJSON_AddItemToObject(root, "mixture", asgd_geomix_json(&best, all, kmax));
	else
		cJSON_AddNullToObject(root, "mixture");
	cJSON_AddBoolToObject(root, "partial", mix_rc != ASGD_OK);
	omitted = cJSON_AddArrayToObject(root, "omitted");
	if (mix_rc != ASGD_OK)
		cJSON_AddItemToArray(omitted, cJSON_CreateString("mixture"));
	cli_out_path(path, sizeof(path), out, "staleness.csv");
	rc = asgd_staleness_write_csv(path, &sum);
	cli_out_path(path, sizeof(path), out, "summary.json");
	if (rc == ASGD_OK)
		rc = cli_write_json(path, root);
	cJSON_Delete(root);
	if (!quiet) {
		printf("asgd fit  %s\n", file);
		cli_print_staleness(&sum);
		if (mix_rc == ASGD_OK)
			print_mixture(&best, all, kmax);
		printf("outputs   %s/{summary.json,staleness.csv}\n", out);
	}
	asgd_staleness_summary_free(&sum);
	if (cli_write_failed(CMD, out, rc))
		return CLI_EXIT_FAIL;
	if (mix_rc != ASGD_OK) {
		fprintf(stderr, "asgd fit: interrupted; the staleness without the mixture written "
				"to %s\n", out);
		return CLI_EXIT_INTERRUPTED;
	}
	return CLI_EXIT_OK;
}
