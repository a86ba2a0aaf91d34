/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * common.c — what is process state or terminal output, shared by the subcommands: the stop flag
 * that SIGINT and SIGTERM raise, run time estimates, the staleness table on stdout, JSON that is
 * whole or not written, output directories and paths, presets by name.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/report.h"
#include "asgd/work.h"
#include "cli.h"

/* The one piece of process-wide state: a signal handler can reach nothing else. */
static atomic_int stop_flag;

atomic_int *cli_stop_flag(void)
{
	return &stop_flag;
}

/* The first SIGINT or SIGTERM asks every loop to stop and write what it measured; a second one
 * ends the process at once, as users expect of Ctrl-C twice. _exit is async-signal-safe, and
 * since every output is written to a temporary file and renamed, no file under its final name
 * can be half-written: at worst a FILE.tmp.XXXXXX is left beside it. */
static void on_stop_signal(int sig)
{
	static const char msg[] = "\nasgd: second signal, exiting at once\n";

	(void)sig;
	if (atomic_exchange(&stop_flag, 1)) {
		ssize_t rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void)rc;
		_exit(CLI_EXIT_INTERRUPTED);
	}
}

void cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_estimate(const char *cmd, const char *what, double seconds)
{
	if (!(seconds > CLI_ESTIMATE_MIN_S))
		return;
	if (seconds < 120)
		cli_progress_note("asgd %s: %s: about %.0f s expected", cmd, what, seconds);
	else
		cli_progress_note("asgd %s: %s: about %.0f min %02.0f s expected", cmd, what,
				  floor(seconds / 60), fmod(floor(seconds), 60));
}

void cli_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	cli_progress_update(done, total);
}

const char *cli_format_p(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "n/a");
	else if (p < 1e-300)
		snprintf(buf, len, "< 1e-300");
	else
		snprintf(buf, len, "%.3g", p);
	return buf;
}

/* Per-worker mean staleness; a worker with no gradient (NaN: a histogram from `asgd fit` has no
 * worker ids at all) prints "-", and when no worker has one the line says so instead. */
static void print_worker_means(const asgd_staleness_summary *s)
{
	unsigned i, lo = s->workers, hi = s->workers;

	if (!s->workers || !s->worker_mean)
		return;
	for (i = 0; i < s->workers; i++) {
		if (isnan(s->worker_mean[i]))
			continue;
		if (lo == s->workers || s->worker_mean[i] < s->worker_mean[lo])
			lo = i;
		if (hi == s->workers || s->worker_mean[i] > s->worker_mean[hi])
			hi = i;
	}
	if (lo == s->workers) {
		printf("  per-worker mean τ: not measured (no worker ids in the staleness)\n");
		return;
	}
	if (s->workers <= 8) {
		printf("  per-worker mean τ:");
		for (i = 0; i < s->workers; i++)
			if (isnan(s->worker_mean[i]))
				printf(" -");
			else
				printf(" %.2f", s->worker_mean[i]);
		printf("\n");
		return;
	}
	printf("  per-worker mean τ: min %.2f (worker %u), max %.2f (worker %u)\n",
	       s->worker_mean[lo], lo, s->worker_mean[hi], hi);
}

void cli_warn_fidelity(const char *cmd, const char *where, const asgd_work *w,
		       const asgd_replicas *t)
{
	int off = isnan(t->work_mean_ns) ? 0 : asgd_work_fidelity(w, t->work_mean_ns, t->work_cv);
	const char *sep = where[0] ? ": " : "";

	if (off)
		fprintf(stderr, "asgd %s: warning: %s%sthe realised work is more than %.0f%% off the "
				"request (%s%s%s): %s\n", cmd, where, sep,
			100 * ASGD_WORK_FIDELITY_TOL, off & ASGD_WORK_MEAN_OFF ? "mean" : "",
			off == (ASGD_WORK_MEAN_OFF | ASGD_WORK_CV_OFF) ? " and " : "",
			off & ASGD_WORK_CV_OFF ? "CV" : "",
			w->spin ? "spinning shares the cores with the other workers"
				: "a sleep overshoots by the wake-up latency, so short sleeps are "
				  "longer and less variable or, under load, more variable than asked");
	if (t->sysload.busy)
		fprintf(stderr, "asgd %s: warning: %s%sthe machine was busy: other processes used "
				"%.2f cores on average during the run (more than %.1f): the staleness "
				"measured is partly theirs\n", cmd, where, sep, t->sysload.other_cores,
			ASGD_SYSLOAD_BUSY_CORES);
}

void cli_print_fidelity(const char *cmd, const asgd_work *w, const asgd_replicas *t,
			const char *indent)
{
	const asgd_sysload *l = &t->sysload;
	char spec[64];

	if (w->kind != ASGD_WORK_NONE && !isnan(t->work_mean_ns)) {
		asgd_work_format(w, spec, sizeof(spec));
		printf("%swork %s (mean %.0f us, CV %.2f), realised mean %.0f us, CV %.2f\n",
		       indent, spec, asgd_work_mean_ns(w) / 1e3, asgd_work_cv(w),
		       t->work_mean_ns / 1e3, t->work_cv);
	}
	if (l->known && l->cpu_known)
		printf("%sload average %.2f at start, %.2f at end; other processes used %.2f "
		       "cores\n", indent, l->load_start, l->load_end, l->other_cores);
	else if (l->known)
		printf("%sload average %.2f at start, %.2f at end; other processes' CPU not "
		       "measured (the run took %.2f s, under %.0f s)\n", indent, l->load_start,
		       l->load_end, l->elapsed_s, ASGD_SYSLOAD_MIN_S);
	else
		printf("%sload unknown (no /proc)\n", indent);
	cli_warn_fidelity(cmd, "", w, t);
}

void cli_print_between_runs(const asgd_staleness_summary *s, const char *indent)
{
	if (isnan(s->mu_ci95_runs[0]))
		return;
	printf("%smu_hat 95%% over %llu replicas [%.4f, %.4f] (holds under serial correlation; "
	       "the one to read)\n", indent, (unsigned long long)s->runs,
	       s->mu_ci95_runs[0], s->mu_ci95_runs[1]);
	if (isnan(s->lag1_ci95_runs[0]))
		return;
	printf("%slag-1 per replica: mean %.4f, 95%% [%.4f, %.4f]; i.i.d. tau would give 0 "
	       "± %.4f\n", indent, s->lag1_runs_mean, s->lag1_ci95_runs[0], s->lag1_ci95_runs[1],
	       s->lag1_iid_half);
}

void cli_print_staleness(const asgd_staleness_summary *s)
{
	size_t l;
	char p[32];

	printf("staleness  (%llu gradients)\n", (unsigned long long)s->count);
	printf("  mean %.4f   var %.4f   max %llu\n", s->mean, s->var, (unsigned long long)s->max);
	printf("  mu_hat %.4f  95%% [%.4f, %.4f]", s->mu_hat, s->mu_ci95[0], s->mu_ci95[1]);
	if (!isnan(s->mu_queueing))
		printf("   queueing 1-1/M = %.4f", s->mu_queueing);
	printf("\n  chi2 %.1f on %u df, p = %s   TV distance %.4f   lag-1 autocorr ",
	       s->chi2_stat, s->chi2_df, cli_format_p(s->chi2_p, p, sizeof(p)), s->tv_distance);
	if (isnan(s->lag1_autocorr))
		printf("n/a\n");
	else
		printf("%.4f\n", s->lag1_autocorr);
	cli_print_between_runs(s, "  ");
	print_worker_means(s);
	printf("  l    pmf      geometric(mu_hat)\n");
	for (l = 0; l < s->pmf_len && l < 8; l++)
		printf("  %-4zu %-8.4f %.4f\n", l, s->pmf[l], asgd_geometric_pmf(s->mu_hat, l));
}

void cli_print_bounded(const asgd_staleness_summary *s, uint64_t bound, const asgd_replicas *t)
{
	asgd_staleness_truncated tr;

	printf("bounded    tau <= %llu: %llu gradients held (%.2f versions each on average), %llu "
	       "reads delayed\n", (unsigned long long)bound, (unsigned long long)t->ssp_held,
	       t->ssp_held ? (double)t->ssp_held_versions / (double)t->ssp_held : 0,
	       (unsigned long long)t->ssp_reads_delayed);
	if (asgd_staleness_fit_truncated(s, bound, &tr) != ASGD_OK) {
		printf("  a tau above the bound was recorded: no truncated fit\n");
		return;
	}
	printf("  truncated geometric: mu_hat %.4f  95%% [%.4f, %.4f]   TV distance %.4f\n",
	       tr.mu_hat, tr.mu_ci95[0], tr.mu_ci95[1], tr.tv_distance);
	printf("  l    pmf      truncated(mu_hat)\n");
	for (uint64_t l = 0; l <= bound && l < 8; l++)
		printf("  %-4llu %-8.4f %.4f\n", (unsigned long long)l,
		       l < s->pmf_len ? s->pmf[l] : 0.0,
		       asgd_truncated_geometric_pmf(tr.mu_hat, bound, l));
}

void cli_out_path(char *buf, size_t len, const char *dir, const char *name)
{
	if (asgd_report_path(buf, len, dir, name) != ASGD_OK)
		cli_usage_error("out", "--out '%s' is too long", dir);
}

int cli_open_out(asgd_atomic_file *af, const char *dir, const char *name)
{
	char path[4096];

	cli_out_path(path, sizeof(path), dir, name);
	return asgd_atomic_open(af, path);
}

double cli_now_s(void)
{
	return asgd_now_ns() * 1e-9;
}

int cli_write_json_out(const char *dir, const char *name, cJSON *root)
{
	char path[4096];
	int rc;

	cli_out_path(path, sizeof(path), dir, name);
	rc = cli_write_json(path, root);
	cJSON_Delete(root);
	return rc;
}

int cli_stopped(void)
{
	return atomic_load(&stop_flag) != 0;
}

int cli_replicas_write(const char *dir, const asgd_replicas *t, const asgd_staleness_summary *sum,
		       double dt, cJSON *summary)
{
	char path[4096];
	int rc;

	cli_out_path(path, sizeof(path), dir, "summary.json");
	rc = asgd_replicas_write_tables(dir, t, sum, dt);
	return rc == ASGD_OK ? cli_write_json(path, summary) : rc;
}

int cli_summarize(const char *cmd, const asgd_staleness *st, asgd_staleness_summary *sum)
{
	int rc = asgd_staleness_summarize(st, sum);

	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	return rc == ASGD_OK;
}

int cli_say(int status, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "asgd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cli_write_failed(const char *cmd, const char *dir, int rc)
{
	if (rc == ASGD_OK)
		return 0;
	fprintf(stderr, "asgd %s: could not write the outputs in '%s': %s\n", cmd, dir,
		asgd_strerror(rc));
	return 1;
}

void cli_out_of_memory(const char *cmd)
{
	fprintf(stderr, "asgd %s: out of memory\n", cmd);
	exit(CLI_EXIT_FAIL);
}

/* ---- JSON that is whole or not written ----------------------------------------------------
 * cJSON_Add* returns NULL when an allocation fails and the object silently lacks the key. The
 * process's cJSON allocations therefore go through json_malloc, which remembers a failure, and
 * cli_write_json refuses to write a document built after one. Like the signal flag, this is
 * process state, kept in the command (the library has none). */
static atomic_int json_alloc_failed;

static void *json_malloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		atomic_store(&json_alloc_failed, 1);
	return p;
}

void cli_json_init(void)
{
	cJSON_Hooks hooks = { json_malloc, free };

	cJSON_InitHooks(&hooks);
}

int cli_write_json(const char *path, cJSON *root)
{
	if (!root || asgd_report_add_provenance(root) != ASGD_OK || atomic_load(&json_alloc_failed))
		return ASGD_ENOMEM;
	return asgd_report_write_json(path, root);
}

asgd_problem *cli_preset(const char *cmd, const char *spec)
{
	asgd_problem *p = NULL;
	int rc = asgd_problem_create(spec, &p);

	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc == ASGD_ENOTFOUND) {
		size_t n;
		const char *const *names = asgd_problem_presets(&n);
		char name[64];
		const char *near;

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, ":"), spec);
		near = cli_nearest(name, names, n);
		if (near)
			cli_usage_error(cmd, "--preset '%s' is unknown; did you mean '%s'? ('asgd %s "
					"--help' lists them)", spec, near, cmd);
		cli_usage_error(cmd, "--preset '%s' is unknown; 'asgd %s --help' lists the presets",
				spec, cmd);
	}
	if (rc != ASGD_OK) {
		char name[32];
		const char *desc;

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, ":"), spec);
		desc = asgd_problem_describe(name);
		cli_usage_error(cmd, "--preset '%s' is not allowed: expected NAME or NAME:KEY=VALUE,... "
				"with each key at most once, d and n integers in 1..%u, seed an "
				"integer; %s: %s", spec, ASGD_PROBLEM_MAX_SIZE, name,
				desc ? desc : "unknown");
	}
	return p;
}

void cli_prepare_out(const char *cmd, const char *dir)
{
	char err[512];

	if (asgd_report_prepare_dir(dir, err, sizeof(err)) != ASGD_OK) {
		if (errno == ENOMEM)
			cli_out_of_memory(cmd);
		cli_usage_error(cmd, "--out: %s", err);
	}
}

void cli_print_presets(const char *indent)
{
	size_t n;
	const char *const *presets = asgd_problem_presets(&n);

	for (size_t i = 0; i < n; i++)
		printf("%s%-16s %s\n", indent, presets[i], asgd_problem_describe(presets[i]));
}

/* Levenshtein distance of @a and @b, capped at 64 characters each (a flag or preset name). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 64), lb = strnlen(b, 64), row[65];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *cli_nearest(const char *word, const char *const *names, size_t n)
{
	size_t len = strlen(word), limit = len / 3 > 2 ? len / 3 : 2, best = SIZE_MAX;
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);

		if (d < best)
			best = d, found = names[i];
	}
	return best <= limit && best < len ? found : NULL;
}
