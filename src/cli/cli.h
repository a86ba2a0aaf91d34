/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.h — what the subcommands of the `asgd` command share: exit statuses, strict flag values
 * that end the process with status 2 and a message naming the bad value (flags.c, with the flag
 * tables of flags.h), the SIGINT/SIGTERM stop flag, the progress display (progress.h), JSON
 * that is whole or not written, the real engine's files, the MPI ranks, the problem group of
 * flags, and the ensemble commands' common run (ensemble.c).
 */
#ifndef ASGD_CLI_H
#define ASGD_CLI_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "asgd/datamodel.h"
#include "asgd/ensemble.h"
#include "asgd/ensemble_job.h"
#include "asgd/exact.h"
#include "asgd/geomix.h"
#include "asgd/problem.h"
#include "asgd/replicas.h"
#include "asgd/report.h"
#include "asgd/schedule.h"
#include "asgd/staleness.h"
#include "asgd/table.h"
#include "asgd/welford.h"
#include "asgd/work.h"
#include "flags.h"
#include "progress.h"

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
int cli_validate(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_advise(int argc, char **argv);
int cli_batch(int argc, char **argv);

/* Print "asgd CMD: <message>" and a hint to --help on stderr, then exit with status 2. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Strict flag values: on a malformed or out-of-range value they call cli_usage_error(). */
double cli_double_positive(const char *cmd, const char *flag, const char *s);
double cli_double_range(const char *cmd, const char *flag, const char *s, double lo, double hi,
			const char *allowed);
uint64_t cli_u64_range(const char *cmd, const char *flag, const char *s, uint64_t lo,
		       uint64_t hi);

/* The stop flag that SIGINT and SIGTERM raise; main() calls cli_catch_signals() before any
 * command starts, so commands only read the flag (a second signal exits at once). */
atomic_int *cli_stop_flag(void);
void cli_catch_signals(void);

/* Progress of a unit count, as the library's (arg, done, total) callbacks: @arg unused; the
 * count goes to the phase under way (progress.h, cli_progress_update). */
void cli_progress_cb(void *arg, uint64_t done, uint64_t total);

/* cli_estimate - "asgd CMD: WHAT: about T expected" on stderr, when @seconds exceeds 30 s
 * (CLI_ESTIMATE_MIN_S) and progress is shown: a long run says so before it starts. */
#define CLI_ESTIMATE_MIN_S 30.0
void cli_estimate(const char *cmd, const char *what, double seconds);

/* The staleness table shared by `run` and `fit`. */
void cli_print_staleness(const asgd_staleness_summary *sum);

/* Under a staleness bound @bound (≥ 1): the truncated law's fit beside the measured pmf, and
 * what the bound held back (@t's totals). */
void cli_print_bounded(const asgd_staleness_summary *sum, uint64_t bound, const asgd_replicas *t);

/*
 * cli_print_fidelity - the work as requested beside the realised mean and CV of the replicas @t,
 * and the machine's load during them (each line led by @indent); a warning on stderr ("asgd
 * @cmd: warning: ...") when the realised work is off the request (asgd_work_fidelity) or other
 * processes kept the machine busy (asgd_sysload).
 */
void cli_print_fidelity(const char *cmd, const asgd_work *w, const asgd_replicas *t,
			const char *indent);

/* cli_warn_fidelity - only the warnings of cli_print_fidelity, each naming @where ("M=16"; ""
 * for nothing) after "asgd @cmd: warning: ". */
void cli_warn_fidelity(const char *cmd, const char *where, const asgd_work *w,
		       const asgd_replicas *t);

/* The intervals over replicas (μ̂'s and lag-1's, asgd/staleness.h), each line led by @indent;
 * nothing with fewer than 2 runs. */
void cli_print_between_runs(const asgd_staleness_summary *s, const char *indent);

/* ---- the real engine's outputs (`run`, `validate`) ---- */

/*
 * The real run's files in @dir: moments.csv over the complete replicas (row k at t = k·@dt),
 * staleness.csv when @sum is not NULL, and @summary as summary.json, each atomically.
 * Returns 0 or the first error.
 */
int cli_replicas_write(const char *dir, const asgd_replicas *t, const asgd_staleness_summary *sum,
		       double dt, cJSON *summary);

/* asgd_staleness_summarize: 1 with *sum filled, 0 when nothing was measured; out of memory
 * exits 1 rather than writing a summary that silently lacks its staleness. */
int cli_summarize(const char *cmd, const asgd_staleness *st, asgd_staleness_summary *sum);

/*
 * The name among @names (@n of them) nearest to @word by edit distance, for "did you mean":
 * NULL unless it is within max(2, strlen(@word) / 3) edits (and fewer than strlen(@word)).
 */
const char *cli_nearest(const char *word, const char *const *names, size_t n);

/*
 * A p-value as every command prints it: "%.3g", but "< 1e-300" below 1e-300 (where the tail is
 * rounding, printed as a subnormal like 5.21e-314 or as 0) and "n/a" when it is not a number.
 * Returns @buf. The JSON outputs keep the number.
 */
const char *cli_format_p(double p, char *buf, size_t len);

/* Say "asgd CMD: <message>" on stderr and return @status: `return cli_say(1, ...)`. */
int cli_say(int status, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Whether @rc, the result of writing a command's outputs in @dir, is an error: then say so on
 * stderr ("asgd CMD: could not write the outputs in 'DIR': why"). */
int cli_write_failed(const char *cmd, const char *dir, int rc);

/* Out of memory is not bad usage: say so and exit 1. */
void cli_out_of_memory(const char *cmd) __attribute__((noreturn));

/* Route cJSON's allocations through a failure detector (main() calls this first). */
void cli_json_init(void);

/* asgd_report_write_json of @root with the keys every output carries added when it lacks them
 * ("machine", "build", "run": asgd_report_add_provenance), unless @root is NULL or some cJSON
 * allocation of this process failed (then the document may silently lack keys): ASGD_ENOMEM,
 * and nothing is written. */
int cli_write_json(const char *path, cJSON *root);

/*
 * The problem named by a --preset spec, or a usage error (exit 2) naming it and what is allowed.
 * Free it with asgd_problem_destroy.
 */
struct asgd_problem *cli_preset(const char *cmd, const char *spec);

/* ---- `--mode mpi`: the same command on every rank (mpi_driver.c) ---- */

struct cli_problem;

struct cli_mpi {
	int on;          /* MPI was started (the command line says --mode mpi) */
	int rank, size;
	unsigned servers;        /* --servers S: ranks 0..S−1 serve x (0: not given, one) */
	const char *partition;   /* --partition LAYOUT, or NULL: cyclic */
	char *hosts;             /* rank 0: every rank's host name (asgd_mpi_hosts) */
	struct cli_flag flags[3];
	/* after cli_mpi_shard_data on data (0 / NULL otherwise): */
	size_t whole_rows;	/* n, the training set's rows */
	size_t loss_rows;	/* the rows of the server's loss sample (n: all of them) */
	uint64_t *rows_held;	/* rank 0: the training rows each rank holds, by rank (a server 0) */
	const char *loss_sample; /* --loss-sample N, set before cli_problem_create (NULL: 10^4) */
};

/* --servers and --partition, into @m (run and validate). */
const struct cli_flag *cli_mpi_flags(struct cli_mpi *m);

/* Start MPI when the command line says --mode mpi (exits 2 when MPI is not built or there is
 * no worker rank). Call first thing: MPI_Init may rewrite argv. Returns whether MPI is on. */
int cli_mpi_start(const char *cmd, int *argc, char ***argv, struct cli_mpi *m);

/* The workers are the ranks S..N−1: set cfg->workers and the servers, or exit 2 when
 * --workers (if @workers_given) says otherwise, or --servers leaves no worker rank, or either
 * of --servers and --partition is given without --mode mpi. */
void cli_mpi_workers(const char *cmd, struct cli_mpi *m, asgd_engine_config *cfg,
		     int workers_given);

/* Which part this rank plays: a server (holding x and no data) or the worker @worker of
 * @workers. With S servers (issue 18, --servers) ranks 0..S−1 serve and ranks S..N−1 are the
 * workers rank − S; for now S = 1. */
void cli_mpi_role(const struct cli_mpi *m, int *is_server, unsigned *worker, unsigned *workers);

/* The loss sample's default size: the loss's sampling error is then about 1% of the spread of
 * the per-row losses, and scoring a recorded row costs 10^4 rows whatever n. */
#define CLI_MPI_LOSS_SAMPLE 10000

/*
 * On data under MPI (run): cut this rank's part of the whole training set cp->ds, which every
 * rank loaded and prepared alike. Worker r of W keeps the rows i ≡ r (mod W) (all of them when
 * W = 1); a server keeps the N = min(--loss-sample m->loss_sample, n) rows spread evenly over the
 * set (asgd_dataset_rows_spread; all of them, the same problem, when N = n) to score the loss
 * on, and is the only rank that keeps the held-out rows. Then gathers the rows each rank holds
 * to rank 0. A no-op without MPI or on a preset. Exits 2 when n < W or --loss-sample is bad.
 */
void cli_mpi_shard_data(const char *cmd, struct cli_mpi *m, struct cli_problem *cp);

/*
 * cli_problem's load_parts under MPI (@arg: the struct cli_mpi), for a --data SPEC naming one
 * file per worker (CLI_DATA_WORKER): worker w reads only SPEC with w in place of "{worker}"; the
 * ranks agree by reductions on n, d (the largest file's), the counts c_j, the widest row and the
 * label range (cp->file_parts); the files in worker order are the set, whose rows ⌊k n/N⌋ (N as
 * --loss-sample) the workers send rank 0 as its loss sample; the rows each rank holds are
 * gathered as by cli_mpi_shard_data. A file that cannot be read ends every rank (exit 2).
 */
void cli_mpi_load_parts(const char *cmd, struct cli_problem *cp,
			const struct asgd_dataset_options *o, void *arg);

/* On a worker or server rank: serve cfg's problem until rank 0 says FINISH, then exit. On
 * rank 0, or without MPI: return at once. Every rank first checks that S ≥ 2 servers have
 * sparse messages to split (exit 2 otherwise): call it with cfg complete. */
void cli_mpi_serve(const char *cmd, struct cli_mpi *m, const asgd_engine_config *cfg);

/* On rank 0: release the worker ranks and finalize MPI (after the outputs are written); a
 * finalize that has not returned within CLI_MPI_FINALIZE_S (its fence waits for a rank that
 * died) ends the process with @status, the command's exit status. */
#define CLI_MPI_FINALIZE_S 5.0
void cli_mpi_end(struct cli_mpi *m, int status);

/* ---- the problem of a command: a preset, or a model on data (problem_opts.c) ---- */

/* In --data, the worker index 0..W−1 of an MPI run's worker ranks: "part-{worker}.svm" names
 * one file per worker, each read by its worker only (issue 18). */
#define CLI_DATA_WORKER "{worker}"

/* The whole set's statistics when each worker read only its own file, agreed by reductions. */
struct cli_parts {
	asgd_data_whole whole;	/* n, d, counts c_j (@col_count), widest row */
	size_t *col_count;
	double label_min, label_max; /* over every row of every file */
};

/* What the user asked for, and what was built from it. */
struct cli_problem {
	const char *preset, *loss, *data, *lambda, *C, *positive, *base, *label_column;
	const char *model;		/* --model LOSS: the deprecated spelling of --loss */
	const char *observe, *mode, *scale, *epochs;
	const char *preset_default;	/* set before cli_problem_flags; NULL: fig4 */
	double data_epochs;		/* set before parsing: the command's own default horizon on
					   data, in epochs (0: asgd_data_defaults') */
	unsigned max_batch;		/* set before parsing: the largest default mini-batch the
					   command's engine takes on data (0 or 1: none) */
	unsigned batch;			/* cli_problem_batch's answer (0: not asked, 1) */
	const char *test, *test_fraction, *init; /* --test FILE, --test-fraction F, --init FILE */
	unsigned parts;			/* the cli_problem_part rows the command took */
	struct asgd_dataset *test_ds;	/* held-out rows, scaled with the training set's statistics;
					   NULL: none */
	double *x0;			/* --init's weights (the problem's dim); NULL: none */
	struct asgd_dataset *ds;
	struct asgd_problem *problem;
	/* Set before cli_problem_create by a command that runs under MPI (run), NULL otherwise:
	 * loads this rank's part of a --data SPEC that names one file per worker (CLI_DATA_WORKER)
	 * into @ds, and the statistics all ranks agreed on into @file_parts (cli_mpi_load_parts). */
	void (*load_parts)(const char *cmd, struct cli_problem *cp,
			   const struct asgd_dataset_options *o, void *arg);
	void *load_parts_arg;
	struct cli_parts *file_parts;	/* after load_parts; NULL: @ds was loaded whole */
	size_t whole_rows;		/* after cli_problem_take_part: the n of the set @ds is a part
					   of; 0: @ds is the whole training set */
	char *whole_source;		/* its source, likewise (NULL: @ds's) */
	asgd_observable obs;     /* valid after cli_problem_create */
	asgd_engine_mode engine_mode;
	char label[160];         /* "fig4", or "logistic on heart_scale" */
	char named[200];         /* how the user named it: "--preset 'fig4'", "--loss ... --data ..." */
	char preset_help[64], epochs_help[96];
	int have_defaults;		/* @defaults computed (a data model whose --eta or --iters
					   was left to its default) */
	asgd_data_defaults defaults;
	struct cli_flag flags[20];
};

/* The --preset row, storing into @dst: "problem (default fig4); one of:" and the list. */
struct cli_flag cli_preset_flag(const char **dst);

/* The optional rows of the problem group. */
enum cli_problem_part {
	CLI_PROBLEM_MODE = 1u << 0,		/* --mode: the command runs the engine */
	CLI_PROBLEM_MODEL_ALIAS = 1u << 1,	/* --model LOSS, deprecated (run, validate) */
	CLI_PROBLEM_HELDOUT = 1u << 2,		/* the command reports --test / --test-fraction and
						   starts its engine runs from --init (run); every
						   other command has the rows, and refuses them */
};

/* The flags of the problem group (--preset, --loss, --data and the data options, --observe,
 * and the @parts asked for), storing into @cp: a table for cli_flags_parse(). */
const struct cli_flag *cli_problem_flags(struct cli_problem *cp, unsigned parts);

/* Builds the dataset (and the test set of --test or --test-fraction, the training set then
 * the rest; with --scale both scaled with the training set's statistics), the problem, --init's
 * weights, the observable and the engine mode, or exits 2 naming the bad value. Presets are observed as x, data models as their loss, unless --observe says
 * otherwise. @momentum: the command's explicit momentum, which decides the default mode. */
void cli_problem_create(const char *cmd, struct cli_problem *cp, double momentum);

void cli_problem_free(struct cli_problem *cp);

/*
 * MPI (issue 18): replace the training set by @part, some of its rows (a worker's shard, the
 * server's loss sample; owned from now on), and the problem by the same model on @part with the
 * whole set's n, feature counts and widest row (asgd_problem_create_data_part), so that its
 * components are the whole set's; the observable is rebuilt on it. Call after everything that
 * needs the whole set (scaling, λ = 1/n, the data defaults, --epochs, --init) was computed.
 * With @whole_optimum (a sample that stands for the whole set) the whole problem's minimizer is
 * solved for (a copy when the defaults already did) and kept as the part's, so that its optimum
 * is f on the part at the whole set's x*. Sets cp->whole_rows and cp->whole_source. Exits 2 (or
 * 1 out of memory) on failure.
 */
void cli_problem_take_part(const char *cmd, struct cli_problem *cp, struct asgd_dataset *part,
			   int whole_optimum);

/*
 * The components per update: --batch @batch as given, or on data, when --eta is not given
 * either, the defaults' mini-batch (1 unless the horizon needs more, and at most cp->max_batch);
 * else 1. Kept in cp->batch, which cli_problem_eta reads.
 */
unsigned cli_problem_batch(const char *cmd, struct cli_problem *cp, const char *batch,
			   const char *eta);

/*
 * The step: --eta @eta as given, or the problem's default — for a data model the step whose
 * stationary excess loss is ASGD_DATA_GAP_TARGET of the optimum (asgd_data_defaults_of, which
 * solves for x* once and keeps it in the problem), for a preset its own.
 */
double cli_problem_eta(const char *cmd, struct cli_problem *cp, const char *eta);

/*
 * The updates: --iters @iters, or --epochs E of the group (E·n component gradients, so E·n/@batch
 * updates of @batch components each, rounded up), or the default (a data model's
 * asgd_data_defaults epochs, a preset's iterations); exit 2 when both are given or the count is
 * outside 1..@max.
 */
uint64_t cli_problem_iters(const char *cmd, struct cli_problem *cp, const char *iters,
			   uint64_t batch, uint64_t max);

/* The data defaults that were used (NULL: none), for summary.json: eta, eta_stable, optimum,
 * trace_c, predicted_gap, epochs, iters, gap_target. */
cJSON *cli_problem_defaults_json(const struct cli_problem *cp);

/* One line on stdout saying where the data defaults came from (nothing when none were used). */
void cli_print_problem_defaults(const struct cli_problem *cp);

/* Whether the problem is a model on data. */
static inline int cli_problem_is_data(const struct cli_problem *cp)
{
	return cp->ds != NULL;
}

/* Exit 2: @cp's minimizer is not known (a preset without one; a data model whose solve
 * failed, such as λ = 0 on rank-deficient data), saying so and then @why the command needs it. */
void cli_no_minimizer(const char *cmd, const struct cli_problem *cp, const char *why)
	__attribute__((noreturn));

/* Rows --loss and --data for a command that cannot take a data problem: in --help they say
 * @why (a string that outlives the parse); given, they end the process with exit 2 saying it. */
struct cli_problem_refusal {
	char help[256];
	struct cli_flag flags[3];
};
const struct cli_flag *cli_problem_refusal(struct cli_problem_refusal *r, const char *why);

/* Create --out DIR (with parents) or exit 2 saying why it cannot be written. */
void cli_prepare_out(const char *cmd, const char *dir);

/* Print the preset list for --help: one indented line "NAME  description" each. */
void cli_print_presets(const char *indent);

/* "DIR/NAME" or a usage error when too long. */
void cli_out_path(char *buf, size_t len, const char *dir, const char *name);

/* asgd_atomic_open of DIR/NAME (a usage error when the path is too long): 0 or its error. */
int cli_open_out(asgd_atomic_file *af, const char *dir, const char *name);

/* cli_write_json of @root to DIR/NAME, then cJSON_Delete(@root): 0 or the error. */
int cli_write_json_out(const char *dir, const char *name, cJSON *root);

/* Whether the stop flag (SIGINT/SIGTERM) is up. */
int cli_stopped(void);

/* @spec in the syntax of --work into *@w, or a usage error naming @flag and what is wrong. */
void cli_work_option(const char *cmd, const char *flag, const char *spec, asgd_work *w);

/* A usage error unless one trajectory of @iters + 1 rows of @dim values fits in 2^27 (1 GiB). */
void cli_check_trajectory(const char *cmd, uint64_t iters, size_t dim);

/*
 * --batch-schedule @file (lines k,B with 1 <= B <= @max) into *@b, its array in *@sizes (the
 * caller frees it), or a usage error saying what is wrong with the file.
 */
void cli_load_schedule(const char *cmd, const char *file, uint32_t max, uint32_t **sizes,
		       asgd_batch_schedule *b);

/* Seconds on the monotonic clock (asgd_now_ns), for a command's wall_s: intervals only. */
double cli_now_s(void);

/* ---- the ensemble commands (`simulate`, `sme`; ensemble.c) ---- */

/* Rows k = 0, K/4, ..., K of coordinate 0: k, mean ± SE, second moment ± SE. */
void cli_print_moment_rows(const asgd_moments *m, uint64_t K);

/* One run of an ensemble command, for cli_ensemble. */
struct cli_ensemble {
	const char *cmd, *preset, *out;	/* the command's name, --preset and --out */
	const char *observed;		/* what the moments are of ("loss"); NULL: of x */
	int quiet, argc;		/* --quiet; the command line, for summary.json */
	char **argv;
	asgd_ensemble_job job;		/* what to run (its progress is set by cli_ensemble) */
	/* The first lines of an ensemble's stdout summary (not called with --quiet or --exact) */
	void (*print_head)(const void *arg, const asgd_ensemble_outcome *r);
	const void *arg;
};

/*
 * Runs @e's job with progress on stderr and writes moments.csv, final.csv (d = 1) and
 * summary.json in @e->out; unless quiet, prints a summary on stdout. Returns the exit status,
 * saying on stderr why it is not 0: a failure, a write error, an interruption, diverged paths;
 * --exact on a problem that is not quadratic is a usage error (exit 2).
 */
int cli_ensemble(const struct cli_ensemble *e);

#endif /* ASGD_CLI_H */
