/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.h — what the two halves of `asgd sweep` share: cmd_sweep.c parses the flags into an
 * asgd_sweep_config and runs the library's sweep (asgd/sweep.h); sweep_out.c says its progress,
 * writes each M's run directory while it goes, and writes and prints the rows (sweep.csv,
 * sweep.json, the tables).
 */
#ifndef ASGD_CLI_SWEEP_H
#define ASGD_CLI_SWEEP_H

#include <stdint.h>

#include "asgd/problem.h"
#include "asgd/sweep.h"
#include "cli.h"

struct sweep_opts {
	const char *preset, *out, *work_spec;
	asgd_problem *problem;
	asgd_sweep_config cfg;		/* workers points into @workers */
	uint64_t workers[ASGD_SWEEP_MAX_M];
	struct cli_progress_state msgd;	/* the MSGD ensemble's progress at the M under way */
	int quiet, argc;
	char **argv;
};

/* The sweep's progress on stderr, as asgd_sweep_config.progress (@arg the sweep_opts). */
void sweep_progress(void *arg, const asgd_sweep_progress *p);

/* DIR/M<m>/ as asgd_sweep_config.each (@arg the sweep_opts): created at the M's start (or exit
 * 2), then the real run's moments.csv, staleness.csv and summary.json, then the MSGD ensemble's
 * msgd_moments.csv. Returns 0 or an error code. */
int sweep_write_m(void *arg, const asgd_sweep_m *m);

/* sweep.csv in o->out: a header of the column names, then the rows; atomically. Returns 0 or an
 * error code. */
int sweep_write_csv(const struct sweep_opts *o, const asgd_sweep_result *res);

/* sweep.json in o->out: "command", "command_line", asgd_sweep_result_json's members and the
 * machine; atomically. Returns 0 or an error code. */
int sweep_write_json(const struct sweep_opts *o, const asgd_sweep_result *res);

/* The two tables on stdout: staleness and throughput; stationary spread and time to target. */
void sweep_print_table(const struct sweep_opts *o, const asgd_sweep_result *res);

#endif /* ASGD_CLI_SWEEP_H */
