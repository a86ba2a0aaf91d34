/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * progress.h — what a command shows on stderr while it works: a bar redrawn in place on a
 * terminal, or, elsewhere, lines in a stable format that scripts and the tests read.
 *
 * A command's work is a run of numbered phases (`validate`: the real run, then six models);
 * each phase counts units done of a total (replicas, paths). --progress auto|bar|lines|none
 * chooses the display (auto: a bar when stderr is a terminal, lines otherwise); --quiet, which
 * empties stdout, also turns progress off unless --progress is given explicitly.
 *
 * Lines mode (docs/DESIGN.md, "Progress", states it as stable): one line per report,
 *
 *     progress CMD I/N PHASE DONE/TOTAL ELAPSEDs
 *
 * CMD the command, I/N the phase's number and how many the command plans, PHASE one word, DONE
 * of TOTAL units, ELAPSED the seconds since the phase began ("%.1f"). A phase prints its first
 * update, each 10% boundary it crosses and its last count. Other stderr lines never begin with
 * "progress ".
 *
 * The display is process state, as the stop flag is: one run a process, reported from one
 * thread at a time (a mutex keeps a report whole when threads race).
 */
#ifndef ASGD_CLI_PROGRESS_H
#define ASGD_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "flags.h"

enum cli_progress_mode {
	CLI_PROGRESS_AUTO = 0,	/* bar on a terminal, else lines */
	CLI_PROGRESS_BAR,
	CLI_PROGRESS_LINES,
	CLI_PROGRESS_NONE,
};

/* What --progress accepts, for messages. */
#define CLI_PROGRESS_ALLOWED "auto, bar, lines or none"

/* Seconds between two redraws of the bar: ten a second is smooth and costs nothing. */
#define CLI_PROGRESS_REDRAW_S 0.1

/* Cells of the bar between its brackets. */
#define CLI_PROGRESS_BAR_CELLS 20

/* ---- pure arithmetic and formatting (progress_format.c; unit-tested) ---- */

/* @s ("auto", "bar", "lines", "none") into *@mode: 0, or -1 for anything else. */
int cli_progress_mode_parse(const char *s, enum cli_progress_mode *mode);

/*
 * The display actually used: @asked when it is explicit (@given), else none under --quiet, else
 * a bar when stderr is a terminal (@tty) and lines otherwise.
 */
enum cli_progress_mode cli_progress_mode_resolve(enum cli_progress_mode asked, int given,
						 int quiet, int tty);

/*
 * Seconds left in a phase, from its rate so far: @elapsed_s for @done of @total after @updates
 * reports. Negative (unknown) before 2 updates, before any unit is done, or with no time
 * measured; 0 once done reaches total.
 */
double cli_progress_eta_s(uint64_t done, uint64_t total, double elapsed_s, unsigned updates);

/* Whether the bar is redrawn now: its first draw of the phase (@drawn 0), the phase's last unit,
 * or CLI_PROGRESS_REDRAW_S since the last draw at @last_s. */
int cli_progress_redraw_due(double now_s, double last_s, int drawn, uint64_t done,
			    uint64_t total);

/*
 * Whether lines mode prints this update: the phase's first (@printed 0), one that crosses a 10%
 * boundary since @last_done (the last count printed, however large the step), or the last unit.
 */
int cli_progress_line_due(uint64_t done, uint64_t total, uint64_t last_done, int printed);

/* What one report shows. */
struct cli_progress_view {
	const char *cmd, *phase;	/* "validate", "sme-sgd" */
	unsigned index, count;		/* the phase's number from 1, of count */
	uint64_t done, total;
	double elapsed_s;		/* since the phase began */
	double eta_s;			/* cli_progress_eta_s; negative: unknown ("ETA --") */
};

/* The lines-mode line, without its newline, into @buf (snprintf's return). */
int cli_progress_format_line(char *buf, size_t len, const struct cli_progress_view *v);

/* The bar's text, without \r:
 * "validate 3/7: sme-sgd  [#########-----------]  45%  12.3 s  ETA 15 s". */
int cli_progress_format_bar(char *buf, size_t len, const struct cli_progress_view *v);

/* ---- the display (progress.c) ---- */

/* The --progress row, for the shared output groups: its value is checked as it is read (exit 2
 * naming it and CLI_PROGRESS_ALLOWED). */
struct cli_flag cli_progress_flag(void);

/*
 * Start showing the progress of @cmd, planned as @phases phases; @quiet is --quiet. Returns
 * whether anything is shown (the mode is not none): commands pass their progress callbacks
 * only then.
 */
int cli_progress_start(const char *cmd, unsigned phases, int quiet);

/* Whether the progress is shown (after cli_progress_start). */
int cli_progress_shown(void);

/* Phase @index (from 1) named @name (one word) begins; ends the one under way, if any. */
void cli_progress_phase(unsigned index, const char *name);

/* @done of @total units of the phase under way. */
void cli_progress_update(uint64_t done, uint64_t total);

/* The phase under way is over, whatever its outcome: the bar's last state stays on its own
 * line; lines mode prints the last count if it has not yet. Nothing when no phase is open. */
void cli_progress_phase_end(void);

/* A free-form line about the work ("sweep: M = 2 (2 of 3)") on stderr, when progress is shown;
 * on a terminal the bar under way is cleared first and redrawn at its next update. */
void cli_progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* ASGD_CLI_PROGRESS_H */
