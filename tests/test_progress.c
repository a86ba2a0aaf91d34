/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_progress.c — the progress display's pure part (src/cli/progress_format.c): the --progress
 * values and which display wins over --quiet, the ETA from the rate so far, the bar's redraw
 * throttle, when lines mode prints, and the exact text of a line and of the bar.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "progress.h"

Test(progress, mode_values)
{
	enum cli_progress_mode m = CLI_PROGRESS_NONE;

	cr_expect_eq(cli_progress_mode_parse("auto", &m), 0);
	cr_expect_eq(m, CLI_PROGRESS_AUTO);
	cr_expect_eq(cli_progress_mode_parse("bar", &m), 0);
	cr_expect_eq(m, CLI_PROGRESS_BAR);
	cr_expect_eq(cli_progress_mode_parse("lines", &m), 0);
	cr_expect_eq(m, CLI_PROGRESS_LINES);
	cr_expect_eq(cli_progress_mode_parse("none", &m), 0);
	cr_expect_eq(m, CLI_PROGRESS_NONE);
	cr_expect_eq(cli_progress_mode_parse("Lines", &m), -1, "values are lower case");
	cr_expect_eq(cli_progress_mode_parse("", &m), -1);
	cr_expect_eq(cli_progress_mode_parse(NULL, &m), -1);
	cr_expect_eq(m, CLI_PROGRESS_NONE, "a refused value leaves the mode as it was");
}

/* resolve(asked, given, quiet, tty) */
Test(progress, explicit_progress_wins_over_quiet)
{
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_AUTO, 0, 0, 1), CLI_PROGRESS_BAR);
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_AUTO, 0, 0, 0), CLI_PROGRESS_LINES);
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_AUTO, 0, 1, 1), CLI_PROGRESS_NONE);
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_LINES, 1, 1, 1), CLI_PROGRESS_LINES);
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_BAR, 1, 0, 0), CLI_PROGRESS_BAR);
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_NONE, 1, 0, 1), CLI_PROGRESS_NONE);
	/* --quiet --progress auto: explicit, so shown, and by the terminal */
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_AUTO, 1, 1, 0), CLI_PROGRESS_LINES);
	cr_expect_eq(cli_progress_mode_resolve(CLI_PROGRESS_AUTO, 1, 1, 1), CLI_PROGRESS_BAR);
}

Test(progress, eta_from_the_rate_so_far)
{
	/* 25 of 100 in 10 s: 0.4 s a unit, 75 left */
	cr_expect_float_eq(cli_progress_eta_s(25, 100, 10.0, 2), 30.0, 1e-12);
	cr_expect_float_eq(cli_progress_eta_s(1, 3, 0.5, 7), 1.0, 1e-12);
	cr_expect_lt(cli_progress_eta_s(25, 100, 10.0, 1), 0, "unknown before 2 updates");
	cr_expect_lt(cli_progress_eta_s(0, 100, 10.0, 5), 0, "unknown before a unit is done");
	cr_expect_lt(cli_progress_eta_s(5, 100, 0.0, 5), 0, "unknown with no time measured");
	cr_expect_lt(cli_progress_eta_s(5, 0, 1.0, 5), 0, "unknown without a total");
	cr_expect_eq(cli_progress_eta_s(100, 100, 10.0, 1), 0, "0 at the total");
	cr_expect_eq(cli_progress_eta_s(120, 100, 10.0, 3), 0, "0 past the total");
}

Test(progress, redraw_throttle)
{
	cr_expect(cli_progress_redraw_due(5.0, 0.0, 0, 1, 10), "the phase's first draw");
	cr_expect(!cli_progress_redraw_due(5.05, 5.0, 1, 2, 10), "50 ms after the last: not yet");
	cr_expect(cli_progress_redraw_due(5.25, 5.0, 1, 3, 10), "250 ms after the last");
	cr_expect(cli_progress_redraw_due(5.01, 5.0, 1, 10, 10), "the last unit always");
}

Test(progress, lines_at_first_each_tenth_and_last)
{
	uint64_t last = 0, printed = 0, n = 0;

	/* one unit at a time, 1..100: 1, 10, 20, ..., 100 */
	for (uint64_t d = 1; d <= 100; d++) {
		if (cli_progress_line_due(d, 100, last, (int)printed)) {
			cr_expect(d == 1 || d % 10 == 0, "printed at %llu", (unsigned long long)d);
			last = d;
			printed = 1;
			n++;
		}
	}
	cr_expect_eq(n, 11);
	/* steps larger than a tenth: every boundary crossed still prints */
	cr_expect(cli_progress_line_due(35, 100, 1, 1));
	cr_expect(!cli_progress_line_due(39, 100, 35, 1), "still in the 30s");
	cr_expect(cli_progress_line_due(100, 100, 95, 1), "the last");
	cr_expect(!cli_progress_line_due(100, 100, 100, 1), "the last, once");
	cr_expect(cli_progress_line_due(0, 0, 0, 0), "the first, even with no total");
	/* fewer than ten units: each is a tenth or more */
	cr_expect(cli_progress_line_due(2, 4, 1, 1));
	cr_expect(cli_progress_line_due(3, 4, 2, 1));
}

Test(progress, line_text)
{
	struct cli_progress_view v = { .cmd = "validate", .phase = "sme-sgd", .index = 3,
				       .count = 7, .done = 45, .total = 100, .elapsed_s = 12.34,
				       .eta_s = 15 };
	char buf[256];

	cli_progress_format_line(buf, sizeof(buf), &v);
	cr_expect_str_eq(buf, "progress validate 3/7 sme-sgd 45/100 12.3s");
}

Test(progress, bar_text)
{
	struct cli_progress_view v = { .cmd = "validate", .phase = "sme-sgd", .index = 3,
				       .count = 7, .done = 45, .total = 100, .elapsed_s = 12.34,
				       .eta_s = 15.2 };
	char buf[256];

	cli_progress_format_bar(buf, sizeof(buf), &v);
	cr_expect_str_eq(buf, "validate 3/7: sme-sgd  [#########-----------]  45%  12.3 s  ETA 15 s");
	v.eta_s = -1;
	v.done = 0;
	cli_progress_format_bar(buf, sizeof(buf), &v);
	cr_expect_str_eq(buf, "validate 3/7: sme-sgd  [--------------------]   0%  12.3 s  ETA --");
	v.done = 100;
	v.eta_s = 125;
	cli_progress_format_bar(buf, sizeof(buf), &v);
	cr_expect_str_eq(buf, "validate 3/7: sme-sgd  [####################] 100%  12.3 s  "
			      "ETA 2 min 05 s");
	v.done = 7;
	v.total = 0;	/* no total: an empty bar, not a division by zero */
	cli_progress_format_bar(buf, sizeof(buf), &v);
	cr_expect(strstr(buf, "[--------------------]   0%") != NULL, "%s", buf);
}
