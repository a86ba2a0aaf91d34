/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * flags.c — reading a command's flags from its tables (flags.h), and writing its --help.
 *
 * getopt_long's option array is built from the tables at each call, so a flag exists exactly
 * when a row declares it; the row's index is getopt's return value, which leads straight back to
 * the row (no per-command switch). Values are checked as they are read: the message names the
 * flag, the value and what is allowed, and the exit status is 2.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/ensemble.h"
#include "cli.h"
#include "flags.h"
#include "progress.h"

/* Where a flag's help text starts, and the width it is wrapped to. */
#define HELP_COLUMN 23
#define HELP_WIDTH 80

/* The most flags one command takes (every table together). */
#define MAX_FLAGS 96

/* getopt_long's value for row i is ROW_VAL + i: above every character, so that a row never
 * reads as 'h', ':' or '?'. */
#define ROW_VAL 256

/* The rows of @tables that are options (not notes), in order, into @rows. */
static size_t collect(const struct cli_flag *const *tables, const struct cli_flag **rows)
{
	size_t n = 0;

	for (; *tables; tables++) {
		for (const struct cli_flag *f = *tables; f->name; f++) {
			if (f->kind == CLI_FLAG_NOTE)
				continue;
			if (n == MAX_FLAGS) {	/* a programming error, not bad input */
				fprintf(stderr, "asgd: more than %d flags: raise MAX_FLAGS\n", MAX_FLAGS);
				abort();
			}
			rows[n++] = f;
		}
	}
	return n;
}

static void take_value(const char *cmd, const struct cli_flag *f, const char *value)
{
	char flag[64];

	snprintf(flag, sizeof(flag), "--%s", f->name);
	switch (f->kind) {
	case CLI_FLAG_SWITCH: *(int *)f->dst = 1; break;
	case CLI_FLAG_TEXT: *(const char **)f->dst = value; break;
	case CLI_FLAG_U64: *(uint64_t *)f->dst = cli_u64_range(cmd, flag, value, f->min, f->max); break;
	case CLI_FLAG_UINT:
		*(unsigned *)f->dst = (unsigned)cli_u64_range(cmd, flag, value, f->min, f->max);
		break;
	case CLI_FLAG_REAL:
		*(double *)f->dst = cli_double_range(cmd, flag, value, f->lo, f->hi, f->allowed);
		break;
	case CLI_FLAG_CALL: f->call(cmd, f->dst, value); break;
	case CLI_FLAG_NOTE: break;
	}
}

/*
 * The options of @opts (@n of them) whose names start with @name (its first @len characters):
 * their count, the first two in *@a and *@b. getopt_long takes any unambiguous prefix, so a
 * '?' from it means that none matches, several do, or a switch was given "=VALUE".
 */
static size_t prefix_matches(const struct option *opts, size_t n, const char *name, size_t len,
			     const char **a, const char **b)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (strncmp(opts[i].name, name, len) != 0)
			continue;
		if (strlen(opts[i].name) == len)	/* exact: getopt_long prefers it */
			return *a = opts[i].name, 1;
		if (count == 0)
			*a = opts[i].name;
		else if (count == 1)
			*b = opts[i].name;
		count++;
	}
	return count;
}

/* Why getopt_long refused @arg, as a usage error: unknown (and the nearest flag, if one is near),
 * ambiguous (two of the flags it could be), or a value given to a switch. */
static void refuse_option(const char *cmd, const struct option *opts, size_t n, const char *arg)
{
	const char *names[MAX_FLAGS + 1], *a = NULL, *b = NULL, *near;
	const char *name = arg + 2;
	size_t len = strcspn(name, "="), matches;
	char word[64];

	if (strncmp(arg, "--", 2) != 0)
		cli_usage_error(cmd, "unknown option '%s'", arg);
	matches = prefix_matches(opts, n, name, len, &a, &b);
	if (matches == 1)
		cli_usage_error(cmd, "--%s takes no value: '%s'", a, arg);
	if (matches > 1)
		cli_usage_error(cmd, "ambiguous option '%s': it could be --%s%s --%s%s", arg, a,
				matches > 2 ? "," : " or", b, matches > 2 ? " or more" : "");
	for (size_t i = 0; i < n; i++)
		names[i] = opts[i].name;
	snprintf(word, sizeof(word), "%.*s", (int)len, name);
	near = cli_nearest(word, names, n);
	if (near)
		cli_usage_error(cmd, "unknown option '%s'; did you mean --%s?", arg, near);
	cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_flags_parse(const struct cli_command *cmd, const struct cli_flag *const *tables,
		    int argc, char **argv)
{
	const struct cli_flag *rows[MAX_FLAGS];
	struct option opts[MAX_FLAGS + 2];
	size_t n = collect(tables, rows), i;
	int c;

	for (i = 0; i < n; i++)
		opts[i] = (struct option){ rows[i]->name,
					   rows[i]->kind == CLI_FLAG_SWITCH ? no_argument
									    : required_argument,
					   NULL, ROW_VAL + (int)i };
	opts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	optind = 1;
	/* ':' first: a missing value returns ':' (optopt its row), apart from an unknown '?' */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_flags_help(cmd, tables);
			exit(CLI_EXIT_OK);
		}
		if (c == ':' && optopt >= ROW_VAL && optopt < ROW_VAL + (int)n)
			cli_usage_error(cmd->name, "--%s needs a value: --%s %s",
					rows[optopt - ROW_VAL]->name, rows[optopt - ROW_VAL]->name,
					rows[optopt - ROW_VAL]->meta);
		if (c == '?' && optopt > 0 && optopt < ROW_VAL)	/* -x: -h is the only short one */
			cli_usage_error(cmd->name, "unknown option '-%c'", optopt);
		if (c < ROW_VAL || c >= ROW_VAL + (int)n)
			refuse_option(cmd->name, opts, n + 1, argv[optind - 1]);
		take_value(cmd->name, rows[c - ROW_VAL], optarg);
	}
	return optind;
}

void cli_flags_parse_all(const struct cli_command *cmd, const struct cli_flag *const *tables,
			 int argc, char **argv)
{
	int first = cli_flags_parse(cmd, tables, argc, argv);

	if (first < argc)
		cli_usage_error(cmd->name, "unexpected argument '%s'", argv[first]);
}

/* ---- values: checked, or a usage error that names them ---- */

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "asgd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'asgd %s --help')\n", cmd);
	exit(CLI_EXIT_USAGE);
}

double cli_double_range(const char *cmd, const char *flag, const char *s, double lo, double hi,
			const char *allowed)
{
	double v;

	if (asgd_parse_double(s, &v) != ASGD_OK || v < lo || v > hi)
		cli_usage_error(cmd, "%s '%s' is not allowed: expected %s", flag, s, allowed);
	return v;
}

double cli_double_positive(const char *cmd, const char *flag, const char *s)
{
	double v;

	if (asgd_parse_double(s, &v) != ASGD_OK || !(v > 0))
		cli_usage_error(cmd, "%s '%s' is not allowed: expected a finite number > 0", flag, s);
	return v;
}

uint64_t cli_u64_range(const char *cmd, const char *flag, const char *s, uint64_t lo, uint64_t hi)
{
	uint64_t v;

	if (asgd_parse_u64(s, &v) != ASGD_OK || v < lo || v > hi)
		cli_usage_error(cmd, "%s '%s' is not allowed: expected an integer in %llu..%llu",
				flag, s, (unsigned long long)lo, (unsigned long long)hi);
	return v;
}

void cli_work_option(const char *cmd, const char *flag, const char *spec, asgd_work *w)
{
	char err[256];

	if (asgd_work_parse(spec, w, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(cmd, "%s '%s' is not allowed: %s", flag, spec, err);
}

/* A replica's trajectory, or a path's on each thread, is held whole: bound one at 1 GiB. */
void cli_check_trajectory(const char *cmd, uint64_t iters, size_t dim)
{
	if ((iters + 1) * dim > (uint64_t)1 << 27)
		cli_usage_error(cmd, "--iters %llu with dimension %zu needs more than 1 GiB per "
				     "trajectory; allowed: (iters+1)*dim <= 2^27",
				(unsigned long long)iters, dim);
}

void cli_load_schedule(const char *cmd, const char *file, uint32_t max, uint32_t **sizes,
		       asgd_batch_schedule *b)
{
	char err[512];
	size_t len;

	if (asgd_batch_schedule_read(file, max, sizes, &len, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(cmd, "--batch-schedule '%s' is not allowed: %s", file, err);
	b->size = *sizes;
	b->len = len;
}

/* ---- --help ---- */

/*
 * @text wrapped to lines of at most @width characters, each line after the first indented by
 * @indent spaces (the caller has placed the first). Each "\n" ends a line ("\n\n": a blank one).
 */
static void print_wrapped(const char *text, int indent, int width)
{
	int col = 0;

	while (*text) {
		size_t word = strcspn(text, " \n");

		if (col > 0 && col + 1 + (int)word > width) {
			printf("\n%*s", indent, "");
			col = 0;
		}
		if (word) {
			printf("%s%.*s", col > 0 ? " " : "", (int)word, text);
			col += (col > 0) + (int)word;
		}
		text += word;
		for (; *text == ' ' || *text == '\n'; text++) {
			if (*text == '\n') {
				printf("\n%*s", text[1] == '\n' ? 0 : indent, "");
				col = 0;
			}
		}
	}
	putchar('\n');
}

/* " (default X)" for @f, or "" when it has none. */
static void default_text(const struct cli_flag *f, char *buf, size_t len)
{
	const char *s = NULL;
	char num[32];

	if (f->dflt) {	/* "(default 4)", but "(default: the preset's)" */
		int number = isdigit((unsigned char)f->dflt[0]) || f->dflt[0] == '-';

		snprintf(buf, len, " (default%s %s)", number ? "" : ":", f->dflt);
		return;
	}
	if (f->kind == CLI_FLAG_TEXT && f->dst && *(const char **)f->dst)
		s = *(const char **)f->dst;
	else if (f->kind == CLI_FLAG_U64)
		snprintf(num, sizeof(num), "%llu", (unsigned long long)*(uint64_t *)f->dst), s = num;
	else if (f->kind == CLI_FLAG_UINT)
		snprintf(num, sizeof(num), "%u", *(unsigned *)f->dst), s = num;
	else if (f->kind == CLI_FLAG_REAL)
		snprintf(num, sizeof(num), "%g", *(double *)f->dst), s = num;
	if (s)
		snprintf(buf, len, " (default %s)", s);
	else
		buf[0] = '\0';
}

/* @help with "{min}" and "{max}" replaced by the flag's integer bounds, into @buf. */
static void expand_bounds(const struct cli_flag *f, char *buf, size_t len)
{
	const char *h = f->help;
	size_t n = 0;

	while (*h && n + 1 < len) {
		int wrote = -1;

		if (!strncmp(h, "{min}", 5))
			wrote = snprintf(buf + n, len - n, "%llu", (unsigned long long)f->min);
		else if (!strncmp(h, "{max}", 5))
			wrote = snprintf(buf + n, len - n, "%llu", (unsigned long long)f->max);
		if (wrote < 0) {
			buf[n++] = *h++;
			continue;
		}
		n += (size_t)wrote < len - n ? (size_t)wrote : len - n - 1;
		h += 5;
	}
	buf[n] = '\0';
}

static void print_flag(const struct cli_flag *f)
{
	char head[64], dflt[160], help[1024], text[1200];
	int n = snprintf(head, sizeof(head), "--%s%s%s", f->name, f->meta ? " " : "",
			 f->meta ? f->meta : "");

	default_text(f, dflt, sizeof(dflt));
	if (strstr(f->help, "(default"))	/* the text says it where it reads best */
		dflt[0] = '\0';
	expand_bounds(f, help, sizeof(help));
	snprintf(text, sizeof(text), "%s%s", help, dflt);
	if (n + 3 > HELP_COLUMN)
		printf("  %s\n%*s", head, HELP_COLUMN, "");
	else
		printf("  %-*s", HELP_COLUMN - 2, head);
	print_wrapped(text, HELP_COLUMN, HELP_WIDTH - HELP_COLUMN);
	if (f->more) {
		char indent[HELP_COLUMN + 3];

		memset(indent, ' ', HELP_COLUMN + 2);
		indent[HELP_COLUMN + 2] = '\0';
		f->more(indent);
	}
}

void cli_flags_help(const struct cli_command *cmd, const struct cli_flag *const *tables)
{
	printf("usage: asgd %s %s\n\n", cmd->name, cmd->synopsis ? cmd->synopsis : "[OPTIONS]");
	if (strchr(cmd->about, '\n'))	/* laid out by hand (a list) */
		fputs(cmd->about, stdout);
	else
		print_wrapped(cmd->about, 0, HELP_WIDTH);
	printf("\noptions:\n");
	for (; *tables; tables++)
		for (const struct cli_flag *f = *tables; f->name; f++)
			print_flag(f);
	printf("  %-*s", HELP_COLUMN - 2, "-h, --help");
	print_wrapped("this text", HELP_COLUMN, HELP_WIDTH - HELP_COLUMN);
	if (cmd->epilogue)
		printf("\n%s", cmd->epilogue);
}

/* ---- shared groups ---- */

void cli_flag_reword(struct cli_flag *table, const char *name, const char *help)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			table->help = help;
}

const struct cli_flag *cli_output_flags(struct cli_output_flags *g, const char **out, int *quiet,
					const char *out_default)
{
	*out = out_default;
	*quiet = 0;
	g->flags[0] = (struct cli_flag)CLI_TEXT("out", "DIR", out, NULL, "output directory");
	g->flags[1] = (struct cli_flag)CLI_SWITCH("quiet", quiet, CLI_QUIET_HELP);
	g->flags[2] = cli_progress_flag();
	g->flags[3] = (struct cli_flag)CLI_END;
	return g->flags;
}

void cli_flag_remove(struct cli_flag *table, const char *name)
{
	struct cli_flag *f = table;

	while (f->name && strcmp(f->name, name))
		f++;
	for (; f->name; f++)
		f[0] = f[1];
}

/* --workers, remembering that it was given: under MPI the ranks decide, unless it says so. */
static void take_workers(const char *cmd, void *dst, const char *value)
{
	struct cli_engine_flags *g = dst;

	*g->d.workers = (unsigned)cli_u64_range(cmd, "--workers", value, 1, ASGD_MAX_WORKERS);
	g->workers_given = 1;
}

static void take_work(const char *cmd, void *dst, const char *value)
{
	cli_work_option(cmd, "--work", value, dst);
}

static void take_work_given(const char *cmd, void *dst, const char *value)
{
	struct cli_engine_flags *g = dst;

	take_work(cmd, g->d.work, value);
	g->work_given = 1;
}

static void take_replicas(const char *cmd, void *dst, const char *value)
{
	struct cli_engine_flags *g = dst;

	*g->d.replicas = cli_u64_range(cmd, "--replicas", value, g->d.replicas_min, 100000000);
	g->replicas_given = 1;
}

void cli_engine_data_defaults(struct cli_engine_flags *g)
{
	if (!g->work_given)
		*g->d.work = (asgd_work){ .kind = ASGD_WORK_NONE };
	if (!g->replicas_given && g->d.replicas_data > 0)
		*g->d.replicas = g->d.replicas_data;
}

const struct cli_flag *cli_engine_flags(struct cli_engine_flags *g, struct cli_engine_dst d)
{
	size_t n = 0;

	g->d = d;
	g->workers_given = g->work_given = g->replicas_given = 0;
	take_work("", d.work, d.work_default);	/* a default that does not parse is a bug */
	*d.replicas = d.replicas_default;
	*d.seed = 1;
	if (d.workers) {
		*d.workers = d.workers_default;
		snprintf(g->workers_default, sizeof(g->workers_default), "%u", d.workers_default);
		g->flags[n++] = (struct cli_flag)CLI_CALL("workers", "M", take_workers, g,
			g->workers_default, "worker threads of the real engine, 1..{max}");
		g->flags[n - 1].max = ASGD_MAX_WORKERS;
	}
	snprintf(g->work_default, sizeof(g->work_default), "%s; none for a model on data",
		 d.work_default);
	g->flags[n++] = (struct cli_flag)CLI_CALL("work", "SPEC", take_work_given, g,
		g->work_default, "injected work per gradient: none | fixed:DUR | exp:DUR | "
		"geom:P,DUR (DUR like 100us, 1.5ms)");
	if (d.replicas_data)
		snprintf(g->replicas_default, sizeof(g->replicas_default),
			 "%llu; %llu for a model on data", (unsigned long long)d.replicas_default,
			 (unsigned long long)d.replicas_data);
	else
		snprintf(g->replicas_default, sizeof(g->replicas_default), "%llu",
			 (unsigned long long)d.replicas_default);
	g->flags[n++] = (struct cli_flag)CLI_CALL("replicas", "R", take_replicas, g,
		g->replicas_default, "independent runs of the engine from x0, {min}..{max}");
	g->flags[n - 1].min = d.replicas_min;
	g->flags[n - 1].max = 100000000;
	g->flags[n++] = (struct cli_flag)CLI_U64("seed", "S", d.seed, 0, UINT64_MAX,
		"seed of every random stream");
	g->flags[n] = (struct cli_flag)CLI_END;
	return g->flags;
}

static void take_paths(const char *cmd, void *dst, const char *value)
{
	struct cli_ensemble_flags *g = dst;

	*g->paths = cli_u64_range(cmd, "--paths", value, g->flags[0].min, g->flags[0].max);
	g->paths_given = 1;
}

void cli_ensemble_data_defaults(struct cli_ensemble_flags *g, uint64_t paths)
{
	if (!g->paths_given)
		*g->paths = paths;
}

const struct cli_flag *cli_ensemble_flags(struct cli_ensemble_flags *g, uint64_t *paths,
					  unsigned *threads, uint64_t paths_default,
					  uint64_t paths_min)
{
	*paths = paths_default;
	*threads = 0;
	g->paths = paths;
	g->paths_given = 0;
	snprintf(g->paths_default, sizeof(g->paths_default), "%llu",
		 (unsigned long long)paths_default);
	g->flags[0] = (struct cli_flag)CLI_CALL("paths", "P", take_paths, g, g->paths_default,
		"sample paths of each model's Monte Carlo ensemble, {min}..{max}");
	g->flags[0].min = paths_min;
	g->flags[0].max = 100000000;
	g->flags[1] = (struct cli_flag)CLI_UINT("threads", "T", threads, 0,
		ASGD_ENSEMBLE_MAX_THREADS, "compute threads of the ensembles, 0 = all CPUs; the "
		"results do not depend on T");
	g->flags[2] = (struct cli_flag)CLI_END;
	return g->flags;
}
