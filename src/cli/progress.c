/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * progress.c — the progress display of a command (progress.h): the process's one display, its
 * mode from --progress and --quiet, and the bar or the lines on stderr.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

/* The display: process state, as the stop flag is (a command runs once a process). */
static struct {
	pthread_mutex_t lock;
	enum cli_progress_mode asked;	/* --progress */
	int given;			/* --progress was on the command line */
	enum cli_progress_mode mode;	/* resolved by cli_progress_start */
	const char *cmd, *phase;
	unsigned index, count;
	int open;			/* a phase is under way */
	int drawn;			/* bar: drawn since the phase began; lines: a line printed */
	unsigned updates;		/* reports in the phase */
	uint64_t done, total, shown;	/* the last count, and the last one drawn or printed */
	double phase_t0, last_draw;
} display = { .lock = PTHREAD_MUTEX_INITIALIZER, .mode = CLI_PROGRESS_NONE };

static void take_mode(const char *cmd, void *dst, const char *value)
{
	(void)dst;
	if (cli_progress_mode_parse(value, &display.asked) != 0)
		cli_usage_error(cmd, "--progress '%s' is not allowed: expected %s", value,
				CLI_PROGRESS_ALLOWED);
	display.given = 1;
}

struct cli_flag cli_progress_flag(void)
{
	return (struct cli_flag)CLI_CALL("progress", "HOW", take_mode, NULL,
		"auto, a bar on a terminal and lines otherwise; none under --quiet",
		"progress on stderr: auto, bar (redrawn in place: percent, elapsed, ETA), lines "
		"(\"progress CMD I/N PHASE DONE/TOTAL SECONDSs\", a stable format) or none; given, "
		"it holds even with --quiet");
}

int cli_progress_start(const char *cmd, unsigned phases, int quiet)
{
	pthread_mutex_lock(&display.lock);
	display.mode = cli_progress_mode_resolve(display.asked, display.given, quiet,
						 isatty(STDERR_FILENO));
	display.cmd = cmd;
	display.count = phases;
	display.open = 0;
	pthread_mutex_unlock(&display.lock);
	return display.mode != CLI_PROGRESS_NONE;
}

int cli_progress_shown(void)
{
	return display.mode != CLI_PROGRESS_NONE;
}

static struct cli_progress_view view(double now)
{
	double elapsed = now - display.phase_t0;

	return (struct cli_progress_view){
		.cmd = display.cmd, .phase = display.phase, .index = display.index,
		.count = display.count, .done = display.done, .total = display.total,
		.elapsed_s = elapsed,
		.eta_s = cli_progress_eta_s(display.done, display.total, elapsed, display.updates),
	};
}

/* The terminal's columns, 0 when unknown: a bar wider than the line would wrap, and \r then
 * redraws only its last row. */
static size_t terminal_columns(void)
{
	struct winsize ws;

	return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

/* Write the bar (\r, the text, the rest of the line erased) or one line, and remember it. */
static void show(double now)
{
	struct cli_progress_view v = view(now);
	char text[256];

	if (display.mode == CLI_PROGRESS_BAR) {
		size_t cols = terminal_columns();

		cli_progress_format_bar(text, sizeof(text), &v);
		if (cols > 1 && cols <= sizeof(text))
			text[cols - 1] = '\0';	/* cut, not wrapped */
		fprintf(stderr, "\r%s\033[K", text);
	} else {
		cli_progress_format_line(text, sizeof(text), &v);
		fprintf(stderr, "%s\n", text);
	}
	fflush(stderr);
	display.drawn = 1;
	display.shown = display.done;
	display.last_draw = now;
}

/* Called with the lock held. */
static void end_phase(void)
{
	if (!display.open)
		return;
	if (display.updates && display.shown != display.done)
		show(cli_now_s());
	if (display.mode == CLI_PROGRESS_BAR && display.drawn)
		fputc('\n', stderr);
	fflush(stderr);
	display.open = 0;
}

void cli_progress_phase(unsigned index, const char *name)
{
	if (display.mode == CLI_PROGRESS_NONE)
		return;
	pthread_mutex_lock(&display.lock);
	end_phase();
	display.index = index;
	display.phase = name;
	display.open = 1;
	display.drawn = 0;
	display.updates = 0;
	display.done = display.total = display.shown = 0;
	display.phase_t0 = cli_now_s();
	pthread_mutex_unlock(&display.lock);
}

void cli_progress_update(uint64_t done, uint64_t total)
{
	double now;
	int due;

	if (display.mode == CLI_PROGRESS_NONE)
		return;
	pthread_mutex_lock(&display.lock);
	if (display.open) {
		now = cli_now_s();
		display.done = done;
		display.total = total;
		display.updates++;
		due = display.mode == CLI_PROGRESS_BAR
			? cli_progress_redraw_due(now, display.last_draw, display.drawn, done, total)
			: cli_progress_line_due(done, total, display.shown, display.drawn);
		if (due)
			show(now);
	}
	pthread_mutex_unlock(&display.lock);
}

void cli_progress_phase_end(void)
{
	if (display.mode == CLI_PROGRESS_NONE)
		return;
	pthread_mutex_lock(&display.lock);
	end_phase();
	pthread_mutex_unlock(&display.lock);
}

void cli_progress_note(const char *fmt, ...)
{
	va_list ap;

	if (display.mode == CLI_PROGRESS_NONE)
		return;
	pthread_mutex_lock(&display.lock);
	if (display.mode == CLI_PROGRESS_BAR && display.open && display.drawn) {
		fputs("\r\033[K", stderr);
		display.drawn = 0;	/* redrawn at the next update */
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&display.lock);
}
