/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sysload.c — the machine's load around a real run (asgd/sysload.h), from /proc.
 */
#include "asgd/sysload.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/work.h"

/* Jiffies per second of /proc's counters. */
static double clock_ticks(void)
{
	long t = sysconf(_SC_CLK_TCK);

	return t > 0 ? (double)t : 100.0;
}

/* All CPUs' non-idle jiffies: the "cpu" line's user nice system idle iowait irq softirq steal. */
static int read_busy(double *busy)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return ASGD_ENOTFOUND;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return ASGD_ENOTFOUND;
	/* idle (3) and iowait (4) are the time no process ran */
	*busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
	return ASGD_OK;
}

/* This process's utime + stime in jiffies: fields 14 and 15 of /proc/self/stat, counted after
 * the command name, which is in parentheses and may itself hold spaces. */
static int read_self(double *self)
{
	char line[1024], *p;
	unsigned long long ut, st;
	FILE *f = fopen("/proc/self/stat", "r");
	int ok;

	if (!f)
		return ASGD_ENOTFOUND;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	p = ok ? strrchr(line, ')') : NULL;
	/* after ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return ASGD_ENOTFOUND;
	*self = (double)(ut + st);
	return ASGD_OK;
}

static int read_loadavg(double *l1)
{
	FILE *f = fopen("/proc/loadavg", "r");
	int n;

	if (!f)
		return ASGD_ENOTFOUND;
	n = fscanf(f, "%lf", l1);
	fclose(f);
	return n == 1 ? ASGD_OK : ASGD_ENOTFOUND;
}

int asgd_sysload_read(asgd_sysload_sample *out)
{
	double hz = clock_ticks(), busy = 0, self = 0, l1 = 0;

	if (!out)
		return ASGD_EINVAL;
	memset(out, 0, sizeof(*out));
	out->t_ns = asgd_now_ns();
	if (read_busy(&busy) || read_self(&self) || read_loadavg(&l1))
		return ASGD_OK;	/* unknown: not an error */
	out->known = 1;
	out->busy_s = busy / hz;
	out->self_s = self / hz;
	out->loadavg1 = l1;
	return ASGD_OK;
}

void asgd_sysload_between(const asgd_sysload_sample *a, const asgd_sysload_sample *b,
			  asgd_sysload *out)
{
	double other;

	memset(out, 0, sizeof(*out));
	out->elapsed_s = (b->t_ns - a->t_ns) * 1e-9;
	if (!a->known || !b->known || !(out->elapsed_s > 0))
		return;
	out->known = 1;
	out->load_start = a->loadavg1;
	out->load_end = b->loadavg1;
	out->cpu_known = out->elapsed_s >= ASGD_SYSLOAD_MIN_S;
	if (!out->cpu_known)
		return;
	other = (b->busy_s - a->busy_s) - (b->self_s - a->self_s);
	out->other_cores = other > 0 ? other / out->elapsed_s : 0;
	out->busy = out->other_cores > ASGD_SYSLOAD_BUSY_CORES;
}

cJSON *asgd_sysload_json(const asgd_sysload *l)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddBoolToObject(j, "known", l->known);
	if (!l->known)
		return j;
	cJSON_AddNumberToObject(j, "loadavg_start", l->load_start);
	cJSON_AddNumberToObject(j, "loadavg_end", l->load_end);
	if (l->cpu_known)
		cJSON_AddNumberToObject(j, "other_cpu_cores", l->other_cores);
	else
		cJSON_AddNullToObject(j, "other_cpu_cores");
	cJSON_AddNumberToObject(j, "elapsed_s", l->elapsed_s);
	cJSON_AddBoolToObject(j, "busy", l->busy);
	cJSON_AddNumberToObject(j, "busy_threshold_cores", ASGD_SYSLOAD_BUSY_CORES);
	return j;
}
