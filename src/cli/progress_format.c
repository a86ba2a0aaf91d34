/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * progress_format.c — the progress display's arithmetic and text (progress.h): pure functions,
 * apart from the terminal and the clock, so that tests/test_progress.c checks them directly.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

int cli_progress_mode_parse(const char *s, enum cli_progress_mode *mode)
{
	static const char *const NAMES[] = { "auto", "bar", "lines", "none" };

	for (int m = 0; m < 4; m++) {
		if (s && !strcmp(s, NAMES[m])) {
			*mode = (enum cli_progress_mode)m;
			return 0;
		}
	}
	return -1;
}

enum cli_progress_mode cli_progress_mode_resolve(enum cli_progress_mode asked, int given,
						 int quiet, int tty)
{
	if (given && asked != CLI_PROGRESS_AUTO)
		return asked;
	if (quiet && !given)
		return CLI_PROGRESS_NONE;
	return tty ? CLI_PROGRESS_BAR : CLI_PROGRESS_LINES;
}

double cli_progress_eta_s(uint64_t done, uint64_t total, double elapsed_s, unsigned updates)
{
	if (total && done >= total)
		return 0;
	if (updates < 2 || done == 0 || !(elapsed_s > 0) || total == 0)
		return -1;
	return elapsed_s * (double)(total - done) / (double)done;
}

int cli_progress_redraw_due(double now_s, double last_s, int drawn, uint64_t done,
			    uint64_t total)
{
	return !drawn || done >= total || now_s - last_s >= CLI_PROGRESS_REDRAW_S;
}

/* The 10% step a count is in: 0..10. */
static unsigned decile(uint64_t done, uint64_t total)
{
	if (!total || done >= total)
		return 10;
	/* done·10 overflows only past 1.8e18 units: divide first there */
	return done < UINT64_MAX / 10 ? (unsigned)(done * 10 / total)
				      : (unsigned)(done / (total / 10 ? total / 10 : 1));
}

int cli_progress_line_due(uint64_t done, uint64_t total, uint64_t last_done, int printed)
{
	if (!printed)
		return 1;
	if (done == last_done)
		return 0;
	return done >= total || decile(done, total) > decile(last_done, total);
}

int cli_progress_format_line(char *buf, size_t len, const struct cli_progress_view *v)
{
	return snprintf(buf, len, "progress %s %u/%u %s %llu/%llu %.1fs", v->cmd, v->index,
			v->count, v->phase, (unsigned long long)v->done,
			(unsigned long long)v->total, v->elapsed_s);
}

/* "15 s", "2 min 05 s", "1 h 02 min": a duration short enough for the bar. */
static void format_duration(char *buf, size_t len, double s)
{
	if (s < 60)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%.0f min %02.0f s", floor(s / 60), fmod(floor(s), 60));
	else
		snprintf(buf, len, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
}

int cli_progress_format_bar(char *buf, size_t len, const struct cli_progress_view *v)
{
	double frac = v->total ? (double)v->done / (double)v->total : 0;
	char cells[CLI_PROGRESS_BAR_CELLS + 1], eta[32];
	unsigned full;

	if (frac > 1)
		frac = 1;
	full = (unsigned)(frac * CLI_PROGRESS_BAR_CELLS);
	memset(cells, '#', full);
	memset(cells + full, '-', CLI_PROGRESS_BAR_CELLS - full);
	cells[CLI_PROGRESS_BAR_CELLS] = '\0';
	if (v->eta_s < 0)
		snprintf(eta, sizeof(eta), "--");
	else
		format_duration(eta, sizeof(eta), v->eta_s);
	return snprintf(buf, len, "%s %u/%u: %s  [%s] %3.0f%%  %.1f s  ETA %s", v->cmd, v->index,
			v->count, v->phase, cells, floor(frac * 100), v->elapsed_s, eta);
}
