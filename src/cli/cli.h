/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.h — what the subcommands of the `asgd` command share: exit statuses, strict flag
 * parsing that ends the process with status 2 and a message naming the bad value, the
 * SIGINT/SIGTERM stop flag, progress lines, and the machine description results carry.
 */
#ifndef ASGD_CLI_H
#define ASGD_CLI_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/problem.h"
#include "asgd/staleness.h"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,          /* the run failed or diverged */
	CLI_EXIT_USAGE = 2,         /* bad usage or input */
	CLI_EXIT_INTERRUPTED = 130, /* stopped by SIGINT/SIGTERM; partial outputs written */
};

/* Each subcommand: argv[0] is the subcommand's name. */
int cli_run(int argc, char **argv);
int cli_fit(int argc, char **argv);
int cli_simulate(int argc, char **argv);
int cli_sme(int argc, char **argv);
int cli_theory(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_order(int argc, char **argv);

/* Print "asgd CMD: <message>" and a hint to --help on stderr, then exit with status 2. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Strict flag values: on a malformed or out-of-range value they call cli_usage_error(). */
double cli_double_positive(const char *cmd, const char *flag, const char *s);
double cli_double_range(const char *cmd, const char *flag, const char *s, double lo, double hi,
			const char *allowed);
uint64_t cli_u64_range(const char *cmd, const char *flag, const char *s, uint64_t lo,
		       uint64_t hi);

/* The stop flag that SIGINT and SIGTERM raise once cli_catch_signals() was called. */
atomic_int *cli_stop_flag(void);
void cli_catch_signals(void);

/* Progress on stderr for long runs: a rewritten line on a terminal, every 10% otherwise. */
void cli_progress(const char *what, uint64_t done, uint64_t total);
void cli_progress_end(void);

/*
 * Progress of an ensemble, as an asgd_ensemble_config.progress callback: @arg is a
 * struct cli_progress_state. Unlike cli_progress it notices every 10% boundary crossed, however
 * large the steps between calls (ensembles report once per chunk of paths).
 */
struct cli_progress_state {
	const char *what;
	unsigned last_decile;
	int quiet;
};
void cli_progress_cb(void *arg, uint64_t done, uint64_t total);

/* {"nproc", "description"} of this machine (asgd_report_machine), for summaries. */
cJSON *cli_machine_json(void);

/* The staleness table shared by `run` and `fit`. */
void cli_print_staleness(const asgd_staleness_summary *sum);

/* staleness.csv: l,count,pmf,geometric_pmf (the fitted geometric), written atomically. */
int cli_write_staleness_csv(const char *dir, const asgd_staleness_summary *sum);

/*
 * The problem named by a --preset spec, or a usage error (exit 2) naming it and what is allowed.
 * Free it with asgd_problem_destroy.
 */
struct asgd_problem *cli_preset(const char *cmd, const char *spec);

/* Create --out DIR (with parents) or exit 2 saying why it cannot be written. */
void cli_prepare_out(const char *cmd, const char *dir);

/* Print the preset list for --help: one indented line "NAME  description" each. */
void cli_print_presets(const char *indent);

/* "DIR/NAME" or a usage error when too long. */
void cli_out_path(char *buf, size_t len, const char *dir, const char *name);

#endif /* ASGD_CLI_H */
