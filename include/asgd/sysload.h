/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/sysload.h — how busy the machine was while the real engine ran.
 *
 * The injected work is a sleep: what the staleness measures is the scheduler's behaviour as much
 * as the queue's, and another process on the same cores changes both. So every real run records
 * the load average and the CPU that other processes used (all CPUs' busy time from /proc/stat,
 * less this process's own utime + stime from /proc/self/stat) between its start and its end.
 * Linux only: elsewhere, or when /proc cannot be read, the load is "unknown" (known = 0), never
 * an error. No global state.
 */
#ifndef ASGD_SYSLOAD_H
#define ASGD_SYSLOAD_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* Other processes using more than this many cores on average make a run "busy". */
#define ASGD_SYSLOAD_BUSY_CORES 0.2

/* The shortest interval whose other-CPU figure is kept: the counters tick every 10 ms on each
 * CPU, so over Δt the figure is uncertain by about 2·ncpu ticks/Δt — 0.04 cores on 2 CPUs at
 * 1 s, but 10 cores at 4 ms, which a first version reported for a small validate. */
#define ASGD_SYSLOAD_MIN_S 1.0

/* One reading of the machine. */
typedef struct asgd_sysload_sample {
	int known;		/* /proc/stat, /proc/self/stat and /proc/loadavg were read */
	double t_ns;		/* asgd_now_ns at the reading */
	double busy_s;		/* CPU seconds all CPUs spent not idle (user, nice, system, irq,
				   softirq, steal) since boot */
	double self_s;		/* CPU seconds this process spent (utime + stime, all threads) */
	double loadavg1;	/* the 1-minute load average */
} asgd_sysload_sample;

/* What happened between two readings. */
typedef struct asgd_sysload {
	int known;		/* both readings known */
	double elapsed_s;	/* wall time between them */
	double load_start, load_end;	/* 1-minute load averages */
	int cpu_known;		/* the interval was at least ASGD_SYSLOAD_MIN_S: other_cores holds */
	double other_cores;	/* other processes' CPU over the interval, in cores, ≥ 0 (0 when
				   !cpu_known) */
	int busy;		/* cpu_known and other_cores > ASGD_SYSLOAD_BUSY_CORES */
} asgd_sysload;

/*
 * asgd_sysload_read - read the machine now into @out (known 0 when /proc cannot be read).
 * Returns 0, or ASGD_EINVAL for NULL. Thread-safe.
 */
int asgd_sysload_read(asgd_sysload_sample *out);

/*
 * asgd_sysload_between - the load between readings @a and @b (taken in that order) into @out:
 * other_cores = (busy(b) − busy(a) − (self(b) − self(a))) / elapsed, clamped at 0 (the counters
 * tick at different moments, so a quiet machine can read slightly negative), kept only when the
 * interval is at least ASGD_SYSLOAD_MIN_S (cpu_known). known 0 when either reading is unknown or
 * no time passed.
 */
void asgd_sysload_between(const asgd_sysload_sample *a, const asgd_sysload_sample *b,
			  asgd_sysload *out);

/*
 * asgd_sysload_json - @l as the "sysload" object of summary.json: "known", and when known
 * "loadavg_start", "loadavg_end", "other_cpu_cores" (null for a run shorter than
 * ASGD_SYSLOAD_MIN_S), "elapsed_s", "busy" and "busy_threshold_cores". The caller owns the result (cJSON_Delete).
 */
cJSON *asgd_sysload_json(const asgd_sysload *l);

#endif /* ASGD_SYSLOAD_H */
