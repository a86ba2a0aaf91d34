/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_workloads.c — engine scaling on real-sized workloads: a sparse SVM and dense least squares.
 *
 * Workloads: (a) sparse, the hinge-loss SVM (λ = 1/n) on rcv1:n=200000 (d = 47236, ~70 nonzeros a row);
 * (b) dense, least squares on regression:n=50000,d=200. Modes: master (snapshots; dense only,
 * since it copies d doubles per update), master-inplace and hogwild, each at M workers. No
 * injected work. For every (workload, mode, M) one repetition measures, in a forked child:
 *
 *   updates/s       applied / wall_s of one engine run of K updates (staleness recorded)
 *   bytes/s         coords_written · 8 / wall_s: the bytes of x the updates write (the
 *                   snapshot mode counts its whole copy of d doubles per update); reads of
 *                   x and of the data are not counted
 *   time to target  the same budget K run again in S segments, each starting from the last
 *                   x_final; only the engine's wall_s is summed, f(x) is evaluated untimed
 *                   after each segment; the time at which f first reaches the target
 *   final loss      f(x_final) of the K-update run
 *   mean τ          the mean staleness of that run
 *   peak RSS        the child's ru_maxrss (from wait4); the child starts with the parent's
 *                   pages (datasets and problems), so "extra" subtracts the ru_maxrss of a
 *                   child that does nothing, forked from the same parent state
 *
 * The target is f(x0) − 0.9 (f(x0) − f_ref), f_ref the loss after a 1-worker master-inplace run
 * of the full budget (computed once, in a child too: the parent never starts engine threads,
 * so that fork() never copies a process whose RCU helper threads it would lose).
 * Repetitions are interleaved (rep loop outside the configurations) and medians reported;
 * hogwild/inplace is the ratio of the two medians at equal M. Timings never enter a test.
 *
 * usage: bench_workloads [--help] (see usage() below)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "asgd/work.h"

#define MAX_REPS 64
#define MAX_WORKER_COUNTS 16
#define MAX_MODES 3
#define MAX_SEGMENTS 10000

struct options {
	int reps, quick;
	const char *csv;
	uint64_t workers[MAX_WORKER_COUNTS];
	size_t nworkers;
	uint64_t iters_sparse, iters_dense, n_sparse, n_dense, segments, seed;
	double eta, lambda; /* eta NAN: each problem's default; lambda NAN: 1/n */
	int run_sparse, run_dense;
};

struct workload {
	const char *name;
	asgd_dataset *ds;
	asgd_problem *p;
	uint64_t iters;
	double eta, f0, fref, target;
	asgd_engine_mode modes[MAX_MODES];
	int nmodes;
};

/* What one child reports through its pipe. */
struct sample {
	double rate, bytes, ttt, final_loss, stale_mean;
	int ok;
};

/* One (workload, mode, M) configuration and its samples over the reps. */
struct config {
	struct workload *w;
	asgd_engine_mode mode;
	unsigned workers;
	struct sample s[MAX_REPS];
	double maxrss_kb[MAX_REPS];
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: bench_workloads [--reps R] [--workers LIST] [--iters-sparse K] [--iters-dense K]\n"
		"                       [--segments S] [--eta ETA] [--lambda L] [--n-sparse N]\n"
		"                       [--n-dense N] [--seed S] [--only sparse|dense] [--csv FILE]\n"
		"                       [--quick] [--help]\n"
		"  --reps R          interleaved repetitions, 1..%d (default 3)\n"
		"  --workers LIST    worker counts, e.g. 1,2,4,8,16 (the default), each 1..%d\n"
		"  --iters-sparse K  updates per run on the sparse SVM (default 2e5)\n"
		"  --iters-dense K   updates per run on dense least squares (default 1e5)\n"
		"  --segments S      segments of the time-to-target run, 1..K (default 20)\n"
		"  --eta ETA         step size for both workloads (default: each problem's default)\n"
		"  --lambda L        SVM regulariser (default 1/n: larger λ with η = 1 overshoots on\n"
		"                    rare features, whose split regulariser weight is λ n / c_j)\n"
		"  --n-sparse N      rows of rcv1 (default 200000); --n-dense N rows of regression\n"
		"                    (default 50000, d = 200)\n"
		"  --seed S          engine seed (default 1); the data always use seed=1\n"
		"  --only W          run only the sparse or the dense workload\n"
		"  --csv FILE        also write the results as CSV (atomically)\n"
		"  --quick           smoke run: n 20000/5000, K 2e4/1e4, 1 rep, 10 segments\n",
		MAX_REPS, ASGD_MAX_WORKERS);
}

static void usage_error(const char *flag, const char *value, const char *allowed)
{
	fprintf(stderr, "bench_workloads: %s '%s' is not allowed: %s\n", flag, value ? value : "",
		allowed);
	exit(2);
}

static uint64_t parse_u64_range(const char *flag, const char *s, uint64_t lo, uint64_t hi,
				const char *allowed)
{
	uint64_t v;

	if (asgd_parse_u64(s, &v) != ASGD_OK || v < lo || v > hi)
		usage_error(flag, s, allowed);
	return v;
}

static int is_flag(const char *a)
{
	static const char *const flags[] = { "--help", "--quick", "--reps", "--workers",
					     "--iters-sparse", "--iters-dense", "--segments",
					     "--n-sparse", "--n-dense", "--seed", "--eta",
					     "--lambda", "--only", "--csv" };
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(*flags); i++)
		if (!strcmp(a, flags[i]))
			return 1;
	return 0;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	int i, quick_reps = 1;
	int set_reps = 0, set_is = 0, set_id = 0, set_ns = 0, set_nd = 0, set_seg = 0;

	memset(o, 0, sizeof(*o));
	o->reps = 3;
	o->workers[0] = 1, o->workers[1] = 2, o->workers[2] = 4, o->workers[3] = 8;
	o->workers[4] = 16, o->nworkers = 5;
	o->iters_sparse = 200000, o->iters_dense = 100000, o->segments = 20, o->seed = 1;
	o->n_sparse = 200000, o->n_dense = 50000;
	o->eta = NAN, o->lambda = NAN;
	o->run_sparse = o->run_dense = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = strcmp(a, "--help") && strcmp(a, "--quick");

		if (!is_flag(a))
			usage_error("argument", a, "see --help for the flags");
		if (takes && !v)
			usage_error(a, "", "the flag needs a value (see --help)");
		if (!strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--quick")) {
			o->quick = 1;
		} else if (!strcmp(a, "--reps")) {
			o->reps = (int)parse_u64_range(a, v, 1, MAX_REPS, "an integer 1..64");
			set_reps = 1;
		} else if (!strcmp(a, "--workers")) {
			size_t k;

			if (asgd_parse_u64_list(v, o->workers, MAX_WORKER_COUNTS, &o->nworkers) != ASGD_OK)
				usage_error(a, v, "a comma-separated list of up to 16 integers");
			for (k = 0; k < o->nworkers; k++)
				if (o->workers[k] < 1 || o->workers[k] > ASGD_MAX_WORKERS)
					usage_error(a, v, "each worker count must be 1..1024");
		} else if (!strcmp(a, "--iters-sparse")) {
			o->iters_sparse = parse_u64_range(a, v, 1, UINT64_MAX / 2, "an integer >= 1");
			set_is = 1;
		} else if (!strcmp(a, "--iters-dense")) {
			o->iters_dense = parse_u64_range(a, v, 1, UINT64_MAX / 2, "an integer >= 1");
			set_id = 1;
		} else if (!strcmp(a, "--segments")) {
			o->segments = parse_u64_range(a, v, 1, MAX_SEGMENTS, "an integer 1..10000");
			set_seg = 1;
		} else if (!strcmp(a, "--n-sparse")) {
			o->n_sparse = parse_u64_range(a, v, 1, UINT32_MAX, "an integer >= 1");
			set_ns = 1;
		} else if (!strcmp(a, "--n-dense")) {
			o->n_dense = parse_u64_range(a, v, 1, UINT32_MAX, "an integer >= 1");
			set_nd = 1;
		} else if (!strcmp(a, "--seed")) {
			o->seed = parse_u64_range(a, v, 0, UINT64_MAX, "a non-negative integer");
		} else if (!strcmp(a, "--eta")) {
			if (asgd_parse_double(v, &o->eta) != ASGD_OK || !(o->eta > 0))
				usage_error(a, v, "a finite number > 0");
		} else if (!strcmp(a, "--lambda")) {
			if (asgd_parse_double(v, &o->lambda) != ASGD_OK || o->lambda < 0)
				usage_error(a, v, "a finite number >= 0");
		} else if (!strcmp(a, "--only")) {
			if (!strcmp(v, "sparse"))
				o->run_dense = 0;
			else if (!strcmp(v, "dense"))
				o->run_sparse = 0;
			else
				usage_error(a, v, "sparse or dense");
		} else if (!strcmp(a, "--csv")) {
			o->csv = v;
		} else {
			usage_error("argument", a, "see --help for the flags");
		}
		i += takes;
	}
	if (o->quick) { /* explicit flags still win */
		if (!set_reps)
			o->reps = quick_reps;
		if (!set_is)
			o->iters_sparse = 20000;
		if (!set_id)
			o->iters_dense = 10000;
		if (!set_ns)
			o->n_sparse = 20000;
		if (!set_nd)
			o->n_dense = 5000;
		if (!set_seg)
			o->segments = 10;
	}
	if (o->segments > o->iters_sparse || o->segments > o->iters_dense) {
		char s[32];

		snprintf(s, sizeof(s), "%llu", (unsigned long long)o->segments);
		usage_error("--segments", s, "at most the smaller of the two update budgets");
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median; +inf values (targets not reached) sort last, so half of them make it inf. */
static double median(const double *v, int n)
{
	double tmp[MAX_REPS];

	memcpy(tmp, v, (size_t)n * sizeof(double));
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

/* Resident set size now, in KiB, from /proc/self/statm; 0 when unreadable. */
static double current_rss_kb(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	unsigned long size, resident;
	double kb = 0;

	if (fp && fscanf(fp, "%lu %lu", &size, &resident) == 2)
		kb = (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0;
	if (fp)
		fclose(fp);
	return kb;
}

static double self_maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss;
}

static int run_engine(const struct workload *w, asgd_engine_mode mode, unsigned workers,
		      uint64_t iters, const double *x0, uint64_t seed, uint64_t replica,
		      int record, asgd_engine_result *res)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = w->p;
	cfg.mode = mode;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = w->eta;
	cfg.work.kind = ASGD_WORK_NONE;
	cfg.seed = seed;
	cfg.replica = replica;
	cfg.x0 = x0;
	cfg.record_staleness = record;
	return asgd_engine_run(&cfg, res);
}

/* Throughput, traffic, final loss and mean τ of one run of the full budget. */
static int measure_throughput(const struct workload *w, asgd_engine_mode mode, unsigned workers,
			      uint64_t seed, uint64_t replica, struct sample *s)
{
	asgd_engine_result res;
	double sum = 0;
	uint64_t k;

	if (run_engine(w, mode, workers, w->iters, NULL, seed, replica, 1, &res) != ASGD_OK)
		return 1;
	s->rate = res.applied / res.wall_s;
	s->bytes = res.coords_written * 8.0 / res.wall_s;
	s->final_loss = res.diverged ? INFINITY : asgd_problem_f(w->p, res.x_final);
	for (k = 0; k < res.applied; k++)
		sum += (double)res.tau[k];
	s->stale_mean = res.applied ? sum / res.applied : NAN;
	asgd_engine_result_free(&res);
	return 0;
}

/*
 * Engine seconds until f ≤ target, running the budget in segments; +inf when never reached.
 * Each segment is its own replica so that workers draw fresh components after a restart.
 */
static int measure_time_to_target(const struct workload *w, asgd_engine_mode mode,
				  unsigned workers, uint64_t seed, uint64_t replica0,
				  uint64_t segments, double *ttt)
{
	size_t dim = asgd_problem_dim(w->p);
	double *x = malloc(dim * sizeof(double)), t = 0;
	uint64_t seg, done = 0;
	int rc = 0;

	if (!x)
		return 1;
	memcpy(x, asgd_problem_x0(w->p), dim * sizeof(double));
	*ttt = INFINITY;
	for (seg = 0; seg < segments && done < w->iters; seg++) {
		uint64_t len = (w->iters - done) / (segments - seg);
		asgd_engine_result res;

		if (run_engine(w, mode, workers, len, x, seed, replica0 + seg, 0, &res) != ASGD_OK) {
			rc = 1;
			break;
		}
		t += res.wall_s;
		done += res.applied;
		if (res.diverged) {
			asgd_engine_result_free(&res);
			break;
		}
		memcpy(x, res.x_final, dim * sizeof(double));
		asgd_engine_result_free(&res);
		if (asgd_problem_f(w->p, x) <= w->target) { /* untimed */
			*ttt = t;
			break;
		}
	}
	free(x);
	return rc;
}

/*
 * Run @fn in a forked child that writes a struct sample to a pipe; returns 0 and the child's
 * ru_maxrss (KiB) in *maxrss_kb, or 1 when the child failed.
 */
typedef int (*child_fn)(const void *arg, struct sample *s);

static int in_child(child_fn fn, const void *arg, struct sample *s, double *maxrss_kb)
{
	struct rusage ru;
	int fd[2], status;
	ssize_t got;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe(fd))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		struct sample out;

		close(fd[0]);
		memset(&out, 0, sizeof(out));
		out.ok = fn(arg, &out) == 0;
		if (write(fd[1], &out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	do
		got = read(fd[0], s, sizeof(*s));
	while (got < 0 && errno == EINTR);
	close(fd[0]);
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 1;
	*maxrss_kb = (double)ru.ru_maxrss;
	return got != (ssize_t)sizeof(*s) || !WIFEXITED(status) || WEXITSTATUS(status) || !s->ok;
}

struct job {
	const struct workload *w;
	asgd_engine_mode mode;
	unsigned workers;
	uint64_t seed, rep, segments;
};

static int reference_child(const void *arg, struct sample *s)
{
	const struct job *j = arg;

	return measure_throughput(j->w, ASGD_ENGINE_MASTER_INPLACE, 1, j->seed, 0, s);
}

static int idle_child(const void *arg, struct sample *s)
{
	(void)arg;
	(void)s;
	return 0;
}

static int config_child(const void *arg, struct sample *s)
{
	const struct job *j = arg;
	/* Replicas: 0 the throughput run, 1.. the segments; disjoint across reps. */
	uint64_t base = j->rep * (j->segments + 1) + 1;

	if (measure_throughput(j->w, j->mode, j->workers, j->seed, base, s))
		return 1;
	return measure_time_to_target(j->w, j->mode, j->workers, j->seed, base + 1, j->segments,
				      &s->ttt);
}

static int setup_workload(struct workload *w, const char *name, const char *spec,
			  asgd_loss loss, double lambda, uint64_t iters, double eta)
{
	asgd_data_model m = { loss, lambda, NAN };
	char err[256];

	memset(w, 0, sizeof(*w));
	w->name = name;
	w->iters = iters;
	if (asgd_dataset_generate(spec, &w->ds, err, sizeof(err)) != ASGD_OK ||
	    asgd_problem_create_data(w->ds, &m, &w->p, err, sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "bench_workloads: %s: %s\n", spec, err);
		return 1;
	}
	w->eta = isnan(eta) ? asgd_problem_default_eta(w->p) : eta;
	w->f0 = asgd_problem_f(w->p, asgd_problem_x0(w->p));
	return 0;
}

static const char *fmt_ttt(double v, char *buf, size_t len)
{
	if (isinf(v))
		snprintf(buf, len, "not reached");
	else
		snprintf(buf, len, "%.4f", v);
	return buf;
}

/* The median updates/s of hogwild over master-inplace at this config's M; NAN if absent. */
static double hogwild_ratio(const struct config *c, const struct config *all, size_t n, int reps)
{
	double hog[MAX_REPS], inp[MAX_REPS];
	size_t i;
	int r;

	if (c->mode != ASGD_ENGINE_HOGWILD)
		return NAN;
	for (i = 0; i < n; i++)
		if (all[i].w == c->w && all[i].workers == c->workers &&
		    all[i].mode == ASGD_ENGINE_MASTER_INPLACE) {
			for (r = 0; r < reps; r++)
				hog[r] = c->s[r].rate, inp[r] = all[i].s[r].rate;
			return median(hog, reps) / median(inp, reps);
		}
	return NAN;
}

struct summary {
	double rate, bytes, ttt, loss, rss_mb, extra_mb, tau, ratio;
	int reached;
};

static void summarise(const struct config *c, const struct config *all, size_t n, int reps,
		      double fork_rss_kb, struct summary *m)
{
	double v[5][MAX_REPS], rss = 0;
	int r;

	m->reached = 0;
	for (r = 0; r < reps; r++) {
		v[0][r] = c->s[r].rate;
		v[1][r] = c->s[r].bytes;
		v[2][r] = c->s[r].ttt;
		v[3][r] = c->s[r].final_loss;
		v[4][r] = c->s[r].stale_mean;
		m->reached += !isinf(c->s[r].ttt);
		if (c->maxrss_kb[r] > rss)
			rss = c->maxrss_kb[r];
	}
	m->rate = median(v[0], reps);
	m->bytes = median(v[1], reps);
	m->ttt = median(v[2], reps);
	m->loss = median(v[3], reps);
	m->tau = median(v[4], reps);
	m->rss_mb = rss / 1024;
	m->extra_mb = (rss - fork_rss_kb) / 1024;
	m->ratio = hogwild_ratio(c, all, n, reps);
}

static void print_table(const struct config *all, size_t n, int reps, double fork_rss_kb)
{
	char t[32];
	size_t i;

	printf("| workload | mode | M | updates/s | MB/s written | time to target (s) | reached | "
	       "final loss | peak RSS (MB) | extra RSS (MB) | mean τ | hogwild/inplace |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (i = 0; i < n; i++) {
		struct summary m;

		summarise(&all[i], all, n, reps, fork_rss_kb, &m);
		printf("| %s | %s | %u | %.0f | %.1f | %s | %d/%d | %.5f | %.1f | %.1f | %.2f | ",
		       all[i].w->name, asgd_engine_mode_name(all[i].mode), all[i].workers, m.rate,
		       m.bytes / 1e6, fmt_ttt(m.ttt, t, sizeof(t)), m.reached, reps, m.loss,
		       m.rss_mb, m.extra_mb, m.tau);
		if (isnan(m.ratio))
			printf("|\n");
		else
			printf("%.3f |\n", m.ratio);
	}
}

static int write_csv(const char *path, const struct config *all, size_t n, int reps,
		     double fork_rss_kb, const char *machine)
{
	asgd_atomic_file af;
	size_t i;

	if (asgd_atomic_open(&af, path) != ASGD_OK)
		return 1;
	fprintf(af.fp, "# bench_workloads on %s\n", machine);
	fprintf(af.fp, "workload,mode,workers,reps,updates_per_s_median,bytes_per_s_median,"
		       "time_to_target_s_median,final_loss_median,peak_rss_mb,staleness_mean,"
		       "hogwild_over_inplace\n");
	for (i = 0; i < n; i++) {
		struct summary m;

		summarise(&all[i], all, n, reps, fork_rss_kb, &m);
		fprintf(af.fp, "%s,%s,%u,%d,%.1f,%.1f,", all[i].w->name,
			asgd_engine_mode_name(all[i].mode), all[i].workers, reps, m.rate, m.bytes);
		if (isinf(m.ttt))
			fprintf(af.fp, "not_reached,");
		else
			fprintf(af.fp, "%.6f,", m.ttt);
		fprintf(af.fp, "%.8g,%.2f,%.4f,", m.loss, m.rss_mb, m.tau);
		if (isnan(m.ratio))
			fprintf(af.fp, "\n");
		else
			fprintf(af.fp, "%.4f\n", m.ratio);
	}
	return asgd_atomic_commit(&af) != ASGD_OK;
}

static int prepare(const struct options *o, struct workload *w, int *nw)
{
	char spec[128];

	*nw = 0;
	if (o->run_sparse) {
		snprintf(spec, sizeof(spec), "rcv1:n=%llu,seed=1", (unsigned long long)o->n_sparse);
		if (setup_workload(&w[*nw], "sparse-svm", spec, ASGD_LOSS_HINGE,
				   isnan(o->lambda) ? 1.0 / (double)o->n_sparse : o->lambda,
				   o->iters_sparse, o->eta))
			return 1;
		w[*nw].modes[0] = ASGD_ENGINE_MASTER_INPLACE;
		w[*nw].modes[1] = ASGD_ENGINE_HOGWILD;
		w[(*nw)++].nmodes = 2;
	}
	if (o->run_dense) {
		snprintf(spec, sizeof(spec), "regression:n=%llu,d=200,seed=1",
			 (unsigned long long)o->n_dense);
		if (setup_workload(&w[*nw], "dense-lsq", spec, ASGD_LOSS_SQUARES, 0, o->iters_dense,
				   o->eta))
			return 1;
		w[*nw].modes[0] = ASGD_ENGINE_MASTER;
		w[*nw].modes[1] = ASGD_ENGINE_MASTER_INPLACE;
		w[*nw].modes[2] = ASGD_ENGINE_HOGWILD;
		w[(*nw)++].nmodes = 3;
	}
	return 0;
}

/* f_ref and the target of each workload, each from a 1-worker master-inplace child. */
static int set_targets(const struct options *o, struct workload *w, int nw)
{
	int i;

	for (i = 0; i < nw; i++) {
		struct job j = { &w[i], ASGD_ENGINE_MASTER_INPLACE, 1, o->seed, 0, o->segments };
		struct sample s;
		double rss;

		if (in_child(reference_child, &j, &s, &rss)) {
			fprintf(stderr, "bench_workloads: reference run of %s failed\n", w[i].name);
			return 1;
		}
		w[i].fref = s.final_loss;
		w[i].target = w[i].f0 - 0.9 * (w[i].f0 - w[i].fref);
		printf("- %s: %s, %s; n=%zu d=%zu nnz=%zu; K=%llu updates, eta=%.6g; f(x0)=%.6f, "
		       "f_ref=%.6f (1-worker master-inplace, K updates), target=%.6f\n",
		       w[i].name, asgd_problem_spec(w[i].p), w[i].ds->source, w[i].ds->rows,
		       w[i].ds->cols, w[i].ds->nnz, (unsigned long long)w[i].iters, w[i].eta,
		       w[i].f0, w[i].fref, w[i].target);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct workload w[2];
	struct config *cfgs;
	char machine[320];
	size_t n = 0, i, k;
	double fork_rss_kb, parent_rss_kb, base_maxrss_kb, t0;
	struct sample idle;
	int nw, wi, mi, r, rc = 0;

	parse_args(argc, argv, &o);
	asgd_report_machine(machine, sizeof(machine));
	t0 = asgd_now_ns();
	if (prepare(&o, w, &nw))
		return 1;
	printf("bench_workloads: %s; medians of %d interleaved reps, no injected work, "
	       "%llu segments for time to target%s\n",
	       machine, o.reps, (unsigned long long)o.segments, o.quick ? " (--quick)" : "");
	if (set_targets(&o, w, nw))
		return 1;
	cfgs = calloc((size_t)nw * MAX_MODES * o.nworkers, sizeof(*cfgs));
	if (!cfgs)
		return 1;
	for (wi = 0; wi < nw; wi++)
		for (mi = 0; mi < w[wi].nmodes; mi++)
			for (k = 0; k < o.nworkers; k++) {
				cfgs[n].w = &w[wi];
				cfgs[n].mode = w[wi].modes[mi];
				cfgs[n++].workers = (unsigned)o.workers[k];
			}
	parent_rss_kb = current_rss_kb();
	base_maxrss_kb = self_maxrss_kb();
	if (in_child(idle_child, NULL, &idle, &fork_rss_kb)) {
		fprintf(stderr, "bench_workloads: could not fork\n");
		return 1;
	}
	for (r = 0; r < o.reps && !rc; r++) { /* interleaved: machine drift hits every config */
		for (i = 0; i < n; i++) {
			struct job j = { cfgs[i].w, cfgs[i].mode, cfgs[i].workers, o.seed,
					 (uint64_t)r, o.segments };

			if (in_child(config_child, &j, &cfgs[i].s[r], &cfgs[i].maxrss_kb[r])) {
				fprintf(stderr, "bench_workloads: %s %s M=%u rep %d failed\n",
					cfgs[i].w->name, asgd_engine_mode_name(cfgs[i].mode),
					cfgs[i].workers, r);
				rc = 1;
				break;
			}
		}
		fprintf(stderr, "bench_workloads: rep %d/%d done (%.1f s)\n", r + 1, o.reps,
			(asgd_now_ns() - t0) * 1e-9);
	}
	if (!rc) {
		printf("- parent before the forks (datasets and problems): resident %.1f MB, maxrss "
		       "%.1f MB; an idle forked child: ru_maxrss %.1f MB; extra RSS = child "
		       "ru_maxrss − idle child's\n\n",
		       parent_rss_kb / 1024, base_maxrss_kb / 1024, fork_rss_kb / 1024);
		print_table(cfgs, n, o.reps, fork_rss_kb);
		printf("\nupdates/s = applied/wall_s of one K-update run (staleness recorded); MB/s "
		       "written = coords_written·8/wall_s (writes of x only; master copies d doubles "
		       "per update); time to target = engine seconds of the K budget run in segments "
		       "until f ≤ target (median; 'not reached' when more than half the reps missed "
		       "it); hogwild/inplace = ratio of median updates/s at equal M\n");
		printf("total wall time %.1f s\n", (asgd_now_ns() - t0) * 1e-9);
		if (o.csv && write_csv(o.csv, cfgs, n, o.reps, fork_rss_kb, machine)) {
			fprintf(stderr, "bench_workloads: could not write %s\n", o.csv);
			rc = 1;
		}
	}
	free(cfgs);
	for (wi = 0; wi < nw; wi++) {
		asgd_problem_destroy(w[wi].p);
		asgd_dataset_destroy(w[wi].ds);
	}
	return rc;
}
