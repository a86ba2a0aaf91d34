/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_model.c — model and Σ names round-trip, the clock of each model, batch schedules read
 * strictly (malformed files give ASGD_EPARSE and "FILE:LINE").
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/model.h"
#include "asgd/schedule.h"

Test(model, names_round_trip)
{
	for (int m = 0; m < ASGD_MODEL_COUNT; m++) {
		asgd_model back;

		cr_assert_eq(asgd_model_parse(asgd_model_name(m), &back), ASGD_OK);
		cr_assert_eq(back, m);
		cr_assert_eq(asgd_model_is_discrete(m), m <= ASGD_MODEL_MINIBATCH);
	}
	for (int s = 0; s < ASGD_SIGMA_COUNT; s++) {
		asgd_sigma back;

		cr_assert_eq(asgd_sigma_parse(asgd_sigma_name(s), &back), ASGD_OK);
		cr_assert_eq(back, s);
	}
	{
		asgd_model m = ASGD_MODEL_MSGD;
		asgd_sigma s = ASGD_SIGMA_EVOLVE;

		cr_assert_eq(asgd_model_parse("sme", &m), ASGD_EINVAL);
		cr_assert_eq(m, ASGD_MODEL_MSGD);
		cr_assert_eq(asgd_sigma_parse("Constant", &s), ASGD_EINVAL);
		cr_assert_eq(asgd_model_parse(NULL, &m), ASGD_EINVAL);
	}
	cr_assert_str_eq(asgd_model_name(ASGD_MODEL_SME_ASGD_LINEAR), "sme-asgd-linear");
	cr_assert_str_eq(asgd_sigma_name(ASGD_SIGMA_CONTINUUM), "continuum");
}

Test(model, time_step)
{
	double eta = 0.01, mu = 0.9;

	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_ASGD, eta, mu), sqrt(eta * (1 - mu)), 1e-16);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_MINIBATCH, eta, mu), sqrt(1e-3), 1e-16);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_SME_ASGD, eta, mu), sqrt(1e-3), 1e-16);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_SME_ASGD_LINEAR, eta, mu), sqrt(1e-3), 1e-16);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_SGD, eta, mu), eta, 0);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_SME_SGD, eta, mu), eta, 0);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_MSGD, eta, mu), 0.1, 1e-16);
	cr_assert_float_eq(asgd_model_time_step(ASGD_MODEL_SME_MSGD, eta, mu), 0.1, 1e-16);
}

/* Writes @text to a fresh file in /tmp and returns its path (static buffer per call site). */
static void write_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *fp;

	cr_assert_geq(fd, 0);
	fp = fdopen(fd, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
}

Test(model, batch_schedule_good_file)
{
	char path[] = "/tmp/test_model_XXXXXX", err[256] = "";
	uint32_t *size = NULL;
	size_t len = 0;
	asgd_batch_schedule s;

	write_file(path, "k,batch\n# a comment\n0,1\n\n1,4\n 2,7\n");
	cr_assert_eq(asgd_batch_schedule_read(path, 0, &size, &len, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	cr_assert_eq(len, 3);
	cr_assert(size[0] == 1 && size[1] == 4 && size[2] == 7);
	s = (asgd_batch_schedule){ .size = size, .len = len };
	cr_assert_eq(asgd_batch_at(&s, 1), 4);
	cr_assert_eq(asgd_batch_at(&s, 99), 7);	/* past the end: the last value */
	cr_assert_eq(asgd_batch_at(NULL, 5), 1);
	s = (asgd_batch_schedule){ .constant = 0 };
	cr_assert_eq(asgd_batch_at(&s, 5), 1);
	s.constant = 3;
	cr_assert_eq(asgd_batch_at(&s, 5), 3);
	free(size);
	unlink(path);
}

/* `asgd batch` writes schedule.csv as k,batch,u,t: the columns after B are ignored on reading. */
Test(model, batch_schedule_reads_batch_output)
{
	char path[] = "/tmp/test_model_XXXXXX", err[256] = "";
	uint32_t *size = NULL;
	size_t len = 0;

	write_file(path, "k,batch,u,t\n0,1,0,0\n1,3,2.5,0.1\n");
	cr_assert_eq(asgd_batch_schedule_read(path, 0, &size, &len, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	cr_assert(len == 2 && size[0] == 1 && size[1] == 3);
	free(size);
	unlink(path);
}

/* Each malformed file: ASGD_EPARSE, and the message names the file and the bad line. */
Test(model, batch_schedule_malformed)
{
	static const struct {
		const char *text;
		uint32_t max;
		const char *line;
	} bad[] = {
		{ "0,1\n1,0\n", 0, ":2:" },		/* B = 0 */
		{ "0,1\n2,3\n", 0, ":2:" },		/* k skips */
		{ "k,batch\n0,2\nx,3\n", 0, ":3:" },	/* not a number */
		{ "0,2;5\n", 0, ":1:" },		/* junk after B */
		{ "0,-2\n", 0, ":1:" },
		{ "0,9\n", 8, ":1:" },			/* above max_batch */
		{ "0,1.5\n", 0, ":1:" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[] = "/tmp/test_model_XXXXXX", err[512] = "", want[64];
		uint32_t *size = NULL;
		size_t len = 0;

		write_file(path, bad[i].text);
		cr_expect_eq(asgd_batch_schedule_read(path, bad[i].max, &size, &len, err,
						      sizeof(err)), ASGD_EPARSE, "case %zu", i);
		snprintf(want, sizeof(want), "%s%s", path, bad[i].line);
		cr_expect(strstr(err, want) != NULL, "case %zu: '%s' lacks '%s'", i, err, want);
		cr_expect_null(size);
		unlink(path);
	}
	{
		char path[] = "/tmp/test_model_XXXXXX", err[256] = "";
		uint32_t *size = NULL;
		size_t len = 0;

		write_file(path, "k,batch\n# nothing\n");
		cr_assert_eq(asgd_batch_schedule_read(path, 0, &size, &len, err, sizeof(err)),
			     ASGD_EPARSE);
		unlink(path);
		cr_assert_eq(asgd_batch_schedule_read("/nonexistent/dir/x.csv", 0, &size, &len, err,
						      sizeof(err)), ASGD_EIO);
		cr_assert(strstr(err, "/nonexistent/dir/x.csv") != NULL, "%s", err);
		cr_assert_eq(asgd_batch_schedule_read(NULL, 0, &size, &len, err, sizeof(err)),
			     ASGD_EINVAL);
	}
}
