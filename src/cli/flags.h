/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * flags.h — a command's flags, declared once as tables that give both getopt_long's options and
 * the --help text.
 *
 * A flag is one row: its name, the name of its value, what it does, and where its value goes
 * (checked against its bounds as it is read: a bad value ends the process with exit 2 and a
 * message naming it). A command passes a NULL-terminated list of tables: its own, and the shared
 * groups it takes — the problem (problem_opts.c: --preset, --model, --data...), the output
 * (--out, --quiet) — so that a flag shared by several commands is declared, checked and
 * described in one place. The help text is wrapped to 80 columns and says each default.
 */
#ifndef ASGD_CLI_FLAGS_H
#define ASGD_CLI_FLAGS_H

#include <stddef.h>
#include <stdint.h>

#include "asgd/engine.h"
#include "asgd/work.h"

/* What a flag's value is, and so what dst points to. */
enum cli_flag_kind {
	CLI_FLAG_SWITCH,	/* no value: int *dst set to 1 */
	CLI_FLAG_TEXT,		/* const char **dst: the raw value, checked later by the command */
	CLI_FLAG_U64,		/* uint64_t *dst in [min, max] */
	CLI_FLAG_UINT,		/* unsigned *dst in [min, max] */
	CLI_FLAG_REAL,		/* double *dst in [lo, hi]; @allowed says so in words */
	CLI_FLAG_CALL,		/* call(dst, value): the command's own parser */
	CLI_FLAG_NOTE,		/* a help line only: not an option (a mode's own note) */
};

struct cli_flag {
	const char *name;	/* "paths" for --paths; NULL ends a table */
	const char *meta;	/* the value's name in --help ("P"); NULL for a switch */
	const char *help;	/* what it does: one paragraph, wrapped; "\n" starts a new line;
				   "{min}", "{max}" say an integer flag's bounds */
	enum cli_flag_kind kind;
	void *dst;
	uint64_t min, max;	/* CLI_FLAG_U64, CLI_FLAG_UINT */
	double lo, hi;		/* CLI_FLAG_REAL */
	const char *allowed;	/* CLI_FLAG_REAL: "a number in [0, 1)" */
	/* the default in words (" (default ...)" ends the help), or NULL: a numeric flag says the
	   value at dst when parsing starts, a text flag the string at dst if any; nothing is added
	   when the help says "(default" itself */
	const char *dflt;
	void (*call)(const char *cmd, void *dst, const char *value);	/* CLI_FLAG_CALL */
	void (*more)(const char *indent);	/* more help lines after the text (the preset list) */
};

/* Rows of a table, by kind. */
#define CLI_SWITCH(name, dst, help) { name, NULL, help, CLI_FLAG_SWITCH, dst, .dflt = NULL }
#define CLI_TEXT(name, meta, dst, dflt_, help)                                                 \
	{ name, meta, help, CLI_FLAG_TEXT, dst, .dflt = dflt_ }
#define CLI_U64(name, meta, dst, min_, max_, help)                                              \
	{ name, meta, help, CLI_FLAG_U64, dst, .min = min_, .max = max_ }
#define CLI_UINT(name, meta, dst, min_, max_, help)                                             \
	{ name, meta, help, CLI_FLAG_UINT, dst, .min = min_, .max = max_ }
#define CLI_REAL(name, meta, dst, lo_, hi_, allowed_, help)                                    \
	{ name, meta, help, CLI_FLAG_REAL, dst, .lo = lo_, .hi = hi_, .allowed = allowed_ }
#define CLI_CALL(name, meta, fn, dst, dflt_, help)                                             \
	{ name, meta, help, CLI_FLAG_CALL, dst, .dflt = dflt_, .call = fn }
#define CLI_NOTE(name, meta, help) { name, meta, help, CLI_FLAG_NOTE, NULL, .dflt = NULL }
#define CLI_END { NULL, NULL, NULL, CLI_FLAG_NOTE, NULL, .dflt = NULL }

/* What --help says around the flags. */
struct cli_command {
	const char *name;	/* "simulate": messages say "asgd simulate: ..." */
	const char *synopsis;	/* after "usage: asgd NAME ": "[OPTIONS]", "[OPTIONS] FILE" */
	const char *about;	/* what the command does: one paragraph, wrapped, or text laid out
				   by hand (it has a "\n"; it ends with one) */
	const char *epilogue;	/* after the flags: outputs and exit statuses, as written */
};

/*
 * Parse argv[1..argc−1] (argv[0] is the subcommand) with the flags of @tables, a NULL-terminated
 * list; a flag may be shortened to any unambiguous prefix (getopt_long). -h or --help prints
 * cli_flags_help() and exits 0. Exit 2 with a message naming the flag for: an unknown flag ("did
 * you mean --X?" when one is near: cli_nearest), an ambiguous prefix (two flags it could be), a
 * missing value ("--eta needs a value: --eta ETA"), a value given to a switch, a bad value.
 * Returns the index of the first positional argument (argc when there is none).
 */
int cli_flags_parse(const struct cli_command *cmd, const struct cli_flag *const *tables,
		    int argc, char **argv);

/* As cli_flags_parse(), and a usage error (exit 2) when any positional argument is left. */
void cli_flags_parse_all(const struct cli_command *cmd, const struct cli_flag *const *tables,
			 int argc, char **argv);

/* The --help text of @cmd and @tables on stdout. */
void cli_flags_help(const struct cli_command *cmd, const struct cli_flag *const *tables);

/* Reword the help of row @name of @table, where a shared row means more in one command. */
void cli_flag_reword(struct cli_flag *table, const char *name, const char *help);

/*
 * The shared groups store straight into the command's own fields (its experiment's config), set
 * those fields to the defaults, and keep in their struct only what the rows need.
 */

/* Remove row @name from @table (a shared group's row that one command has no use for). */
void cli_flag_remove(struct cli_flag *table, const char *name);

/* ---- the output group: --out DIR, --quiet, --progress HOW ---- */

/* What --quiet does, wherever it is declared. */
#define CLI_QUIET_HELP "nothing on stdout, and no progress unless --progress is given"

struct cli_output_flags {
	struct cli_flag flags[4];
};

/* --out into *@out (default @out_default, "out/run"), --quiet into *@quiet (default 0), and
 * --progress (progress.h: cli_progress_flag, the display's own state). */
const struct cli_flag *cli_output_flags(struct cli_output_flags *g, const char **out, int *quiet,
					const char *out_default);

/* ---- the engine group: --workers M, --work SPEC, --replicas R, --seed S ---- */

/* Where the engine's flags go, and their defaults (--seed's is 1). */
struct cli_engine_dst {
	unsigned *workers;	/* NULL: no --workers row (the command declares its own) */
	asgd_work *work;
	uint64_t *replicas, *seed;
	unsigned workers_default;
	const char *work_default;
	uint64_t replicas_default;
	uint64_t replicas_min;	/* 0 where a command can skip the engine, else 1 or 2 */
	uint64_t replicas_data;	/* the default on a model on data; 0: replicas_default */
};

struct cli_engine_flags {
	struct cli_engine_dst d;
	int workers_given;	/* --workers was on the command line (MPI checks it) */
	int work_given, replicas_given;	/* so were --work and --replicas */
	char workers_default[16];
	char work_default[64], replicas_default[96];
	struct cli_flag flags[5];
};

const struct cli_flag *cli_engine_flags(struct cli_engine_flags *g, struct cli_engine_dst d);

/* After parsing, on a model on data: no injected work (the gradient is the work) unless --work
 * was given, and the data default of --replicas unless it was given. */
void cli_engine_data_defaults(struct cli_engine_flags *g);

/* --max-staleness S into the uint64_t at @dst (asgd/engine.h, "Bounded staleness"); not given:
 * 0, unbounded. The modes that cannot hold an update back are refused by
 * asgd_engine_check_config(), in its words. */
#define CLI_MAX_STALENESS(dst)                                                                  \
	{ "max-staleness", "S", "bound the staleness: every applied gradient has tau <= S, "     \
	  "{min}..{max} (stale synchronous parallel: a gradient that would leave an older read "  \
	  "more than S versions behind waits, and at most S+1 workers compute at once); master, " \
	  "master-inplace and mpi (one server) modes", CLI_FLAG_U64, dst, .min = 1,               \
	  .max = ASGD_MAX_STALENESS,                                                               \
	  .dflt = "unbounded" }

/* ---- the ensemble group: --paths P, --threads T (the models' Monte Carlo) ---- */

struct cli_ensemble_flags {
	uint64_t *paths;
	int paths_given;
	char paths_default[64];
	struct cli_flag flags[3];
};

/* After parsing, on a model on data: @paths unless --paths was given. */
void cli_ensemble_data_defaults(struct cli_ensemble_flags *g, uint64_t paths);

/* --paths into *@paths (default @paths_default, at least @paths_min), --threads into *@threads
 * (default 0: all CPUs). */
const struct cli_flag *cli_ensemble_flags(struct cli_ensemble_flags *g, uint64_t *paths,
					  unsigned *threads, uint64_t paths_default,
					  uint64_t paths_min);

#endif /* ASGD_CLI_FLAGS_H */
