/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise.h — what the two halves of `asgd advise` share: cmd_advise.c parses the flags and runs
 * the experiment of asgd/advise_run.h; advise_out.c writes advise.json, advise.csv and the
 * per-setting msd.csv, and prints the report.
 */
#ifndef ASGD_CLI_ADVISE_H
#define ASGD_CLI_ADVISE_H

#include "asgd/advise_run.h"

struct advise_opts {
	const char *preset, *out, *work_spec;
	asgd_advise_config cfg;		/* the user's current setting and the experiment */
	int quiet, argc;
	char **argv;
};

/* advise.json, advise.csv and DIR/<setting>/msd.csv; atomically. Returns 0 or an error code. */
int advise_write(const struct advise_opts *o, const asgd_advise_result *r);

/* The report on stdout. */
void advise_print(const struct advise_opts *o, const asgd_advise_result *r);

#endif /* ASGD_CLI_ADVISE_H */
