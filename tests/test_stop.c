/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_stop.c — every long loop of the library sees a stop request within 100 ms of work
 * (docs/DESIGN.md, "Stopping").
 *
 * Each test starts a call on an input big enough that the whole call would take seconds, has a
 * second thread raise the stop flag after a short delay (or raises it beforehand), and checks
 * that the call says it was stopped (ASGD_EINTR, or its `interrupted` field) and how long it took
 * from the raise to the return.
 *
 * Timing assertions are otherwise banned from this project's tests, because a loaded 2-core VM
 * stretches every duration. This one is kept on purpose: the 100 ms is a latency requirement, and
 * the loops look at the flag every ~0.1 ms of work (stop_internal.h), so the margin is about a
 * thousandfold on an idle machine and still tenfold or more on a loaded one. The limit is
 * generous on purpose — 0.1 s here, 0.3 s under AddressSanitizer (about 3× slower), 1 s under
 * ThreadSanitizer (10×; Criterion does not start there, but the limit says what it would be) —
 * and a test also fails, saying so, when its call returned before the flag was raised: an input
 * too small to test anything.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/geomix.h"
#include "asgd/observe.h"
#include "asgd/problem.h"
#include "asgd/replicas.h"
#include "asgd/sim.h"
#include "asgd/sme.h"
#include "asgd/staleness.h"
#include "testdata.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STOP_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define STOP_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define STOP_ASAN 1
#endif
#if defined(ASGD_TSAN) || defined(__SANITIZE_THREAD__)
#define STOP_TSAN 1
#endif

/* The most seconds from raising the flag to the call's return. */
#if defined(STOP_TSAN)
#define LIMIT_S 1.0
#elif defined(STOP_ASAN)
#define LIMIT_S 0.3
#else
#define LIMIT_S 0.1
#endif

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A thread that raises @flag after @delay_s seconds and notes when. */
struct raiser {
	atomic_int flag;
	double delay_s, raised_at;
	pthread_t thread;
};

static void *raise_later(void *arg)
{
	struct raiser *r = arg;
	struct timespec ts = { (time_t)r->delay_s,
			       (long)((r->delay_s - floor(r->delay_s)) * 1e9) };

	nanosleep(&ts, NULL);
	r->raised_at = now_s();
	atomic_store(&r->flag, 1);
	return NULL;
}

static void raiser_start(struct raiser *r, double delay_s)
{
	atomic_init(&r->flag, 0);
	r->delay_s = delay_s;
	r->raised_at = 0;
	cr_assert_eq(pthread_create(&r->thread, NULL, raise_later, r), 0);
}

/* Call right after the stopped call returned: the latency, checked against LIMIT_S. */
static double raiser_check(struct raiser *r, const char *what)
{
	double end = now_s(), latency;

	pthread_join(r->thread, NULL);
	cr_assert(r->raised_at > 0 && end >= r->raised_at,
		  "%s returned %.3f s before the flag was raised: the input is too small to test "
		  "the stop", what, r->raised_at - end);
	latency = end - r->raised_at;
	cr_log_info("%s: stopped %.2f ms after the flag was raised", what, 1e3 * latency);
	cr_assert(latency < LIMIT_S, "%s took %.3f s to see the stop (allowed %.1f s)", what,
		  latency, LIMIT_S);
	return latency;
}

/* ---- data sets ---------------------------------------------------------------------------- */

static int load_with_stop(const char *spec, struct raiser *r, asgd_dataset **out, char *err,
			  size_t len)
{
	asgd_dataset_options opt = { .stop = &r->flag };

	return asgd_dataset_load(spec, &opt, out, err, len);
}

Test(stop, rcv1_generator)
{
	struct raiser r;
	asgd_dataset *ds = NULL;
	char err[256] = "";
	int rc;

	raiser_start(&r, 0.05);
	rc = load_with_stop("rcv1", &r, &ds, err, sizeof(err)); /* 14 M entries: seconds */
	raiser_check(&r, "rcv1 generator");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	cr_assert_null(ds);
	cr_assert_str_eq(err, "interrupted");
}

/* The largest d: the Zipf law's alias table alone takes ~0.4 s. */
Test(stop, rcv1_generator_setup)
{
	struct raiser r;
	asgd_dataset *ds = NULL;
	int rc;

	raiser_start(&r, 0.1);
	rc = load_with_stop("rcv1:n=1,d=16777216,nnz=1", &r, &ds, NULL, 0);
	raiser_check(&r, "rcv1 generator, setup at d = 2^24");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
}

Test(stop, regression_generator)
{
	struct raiser r;
	asgd_dataset *ds = NULL;
	char err[256];
	int rc;

	raiser_start(&r, 0.03);
	rc = load_with_stop("regression:n=40000,d=1000", &r, &ds, err, sizeof(err));
	raiser_check(&r, "regression generator");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	cr_assert_null(ds);
}

Test(stop, raised_beforehand_stops_a_generator_at_once)
{
	atomic_int flag = 1;
	asgd_dataset_options opt = { .stop = &flag };
	asgd_dataset *ds = NULL;
	double t0 = now_s();
	int rc = asgd_dataset_load("rcv1", &opt, &ds, NULL, 0);

	cr_assert_eq(rc, ASGD_EINTR);
	cr_assert_lt(now_s() - t0, LIMIT_S);
}

/* @len bytes of LIBSVM (or CSV) text: one short line again and again. */
static char *repeated_text(const char *line, size_t len)
{
	size_t n = strlen(line);
	char *buf = malloc(len);

	cr_assert_not_null(buf);
	for (size_t at = 0; at < len; at += n)
		memcpy(buf + at, line, len - at < n ? len - at : n);
	buf[len - 1] = '\n';
	return buf;
}

#define TEXT_BYTES ((size_t)96 << 20)

Test(stop, libsvm_parser)
{
	char *text = repeated_text("+1 1:0.5 2:0.25 3:-1 7:2.5 11:1e-3 # c\n", TEXT_BYTES);
	asgd_dataset_options opt = { 0 };
	asgd_dataset *ds = NULL;
	struct raiser r;
	int rc;

	raiser_start(&r, 0.03);
	opt.stop = &r.flag;
	rc = asgd_dataset_parse_libsvm("big", text, TEXT_BYTES, &opt, &ds, NULL, 0);
	raiser_check(&r, "LIBSVM parser");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	cr_assert_null(ds);
	free(text);
}

Test(stop, csv_parser)
{
	char *text = repeated_text("0.5,0.25,-1,2.5,0.001,1\n", TEXT_BYTES);
	asgd_dataset_options opt = { 0 };
	asgd_dataset *ds = NULL;
	struct raiser r;
	int rc;

	raiser_start(&r, 0.03);
	opt.stop = &r.flag;
	rc = asgd_dataset_parse_csv("big.csv", text, TEXT_BYTES, &opt, &ds, NULL, 0);
	raiser_check(&r, "CSV parser");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	free(text);
}

/* A line with no newline at all, megabytes long: the parser looks within the line too. */
Test(stop, one_huge_line)
{
	const size_t len = (size_t)64 << 20;
	char *text = malloc(len);
	asgd_dataset_options opt = { 0 };
	asgd_dataset *ds = NULL;
	struct raiser r;
	size_t at = 0;
	int rc;

	cr_assert_not_null(text);
	at += (size_t)sprintf(text, "+1");
	for (unsigned id = 1; at + 32 < len; id++)
		at += (size_t)sprintf(text + at, " %u:0.5", id);
	raiser_start(&r, 0.03);
	opt.stop = &r.flag;
	rc = asgd_dataset_parse_libsvm("line", text, at, &opt, &ds, NULL, 0);
	raiser_check(&r, "LIBSVM parser, one line");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	free(text);
}

Test(stop, gzip_reader)
{
	char path[] = "/tmp/asgd-test-stop-XXXXXX";
	const char *line = "-1 2:0.5 3:0.25 5:-1 8:2.5 13:1e-3\n";
	int fd = mkstemp(path);
	gzFile gz;
	struct raiser r;
	asgd_dataset *ds = NULL;
	char spec[64];
	int rc;

	cr_assert_geq(fd, 0);
	gz = gzdopen(fd, "wb1");
	cr_assert_not_null(gz);
	for (size_t at = 0; at < TEXT_BYTES; at += strlen(line))
		gzputs(gz, line);
	cr_assert_eq(gzclose(gz), Z_OK);
	snprintf(spec, sizeof(spec), "libsvm:%s", path);
	raiser_start(&r, 0.03);
	rc = load_with_stop(spec, &r, &ds, NULL, 0);
	raiser_check(&r, "gzip LIBSVM reader");
	unlink(path);
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
}

/* ---- the optimum -------------------------------------------------------------------------- */

/* The minimizer of @p with a flag raised after @delay_s: ASGD_EINTR within the limit. */
static void minimizer_stops(const asgd_problem *p, double delay_s, const char *what)
{
	double *x = calloc(asgd_problem_dim(p), sizeof(double));
	struct raiser r;
	int rc;

	raiser_start(&r, delay_s);
	rc = asgd_problem_minimizer_stop(p, x, &r.flag);
	raiser_check(&r, what);
	cr_assert_eq(rc, ASGD_EINTR, "%s: %s", what, asgd_err_name(rc));
	free(x);
}

/* Least squares on dense rows, d = 2048: the normal matrix alone is 1000·2048² multiply-adds. */
Test(stop, normal_equations_hessian)
{
	asgd_dataset *ds;
	asgd_problem *p;
	asgd_data_model m = { .loss = ASGD_LOSS_SQUARES, .lambda = 1e-3, .positive = NAN };

	cr_assert_eq(asgd_dataset_generate("regression:n=1000,d=2048", &ds, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, NULL, 0), ASGD_OK);
	minimizer_stops(p, 0.05, "normal equations (Hessian)");
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/* d = 4096 features, one per row: the Hessian is cheap, its Cholesky factor seconds (GSL's took
 * half a minute in one uninterruptible call; linalg.c's tiles look at the flag). */
Test(stop, newton_cholesky)
{
	const size_t d = 4096;
	asgd_dataset ds;
	asgd_problem *p;
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 1e-3, .positive = NAN };

	testdata_alloc(&ds, d, d, d);
	for (size_t i = 0; i < d; i++) {
		ds.row_ptr[i + 1] = i + 1;
		ds.col[i] = (uint32_t)i;
		ds.val[i] = 1;
		ds.label[i] = i % 2 ? 1 : -1;
		ds.col_count[i] = 1;
	}
	ds.nnz = d;
	ds.classes = 2;
	cr_assert_eq(asgd_problem_create_data(&ds, &m, &p, NULL, 0), ASGD_OK);
	minimizer_stops(p, 0.3, "Newton (Cholesky at d = 4096)");
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* d = 47 236 > 4096, 200 000 rcv1-like rows: the hinge loss's dual coordinate descent and the
 * logistic loss's Newton-CG each take seconds, and look at the flag by rows. */
Test(stop, dual_cd_and_newton_cg, .timeout = 120)
{
	asgd_dataset *ds;
	asgd_problem *p;
	asgd_data_model m = { .loss = ASGD_LOSS_HINGE, .lambda = 1.0 / 200000, .positive = NAN };

	cr_assert_eq(asgd_dataset_generate("rcv1:n=200000", &ds, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, NULL, 0), ASGD_OK);
	minimizer_stops(p, 0.3, "dual coordinate descent (hinge, d = 47236)");
	asgd_problem_destroy(p);
	m.loss = ASGD_LOSS_LOGISTIC;
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, NULL, 0), ASGD_OK);
	minimizer_stops(p, 0.3, "Newton-CG (logistic, d = 47236)");
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

Test(stop, minimizer_raised_beforehand)
{
	atomic_int flag = 1;
	asgd_dataset *ds;
	asgd_problem *p;
	asgd_data_model m = { .loss = ASGD_LOSS_SQUARES, .lambda = 1e-3, .positive = NAN };
	double x[8];

	cr_assert_eq(asgd_dataset_generate("regression:n=100,d=8", &ds, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_problem_minimizer_stop(p, x, &flag), ASGD_EINTR);
	atomic_store(&flag, 0);
	cr_assert_eq(asgd_problem_minimizer_stop(p, x, &flag), ASGD_OK);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/* A dense custom quadratic, d = 2048: its minimizer is a Cholesky solve of Ā. */
Test(stop, dense_quadratic_minimizer)
{
	const size_t d = 2048;
	double *A = calloc(d * d, sizeof(double)), *b = calloc(d, sizeof(double));
	asgd_problem *p;

	for (size_t i = 0; i < d; i++)
		for (size_t j = 0; j < d; j++)
			A[i * d + j] = (i == j ? 2.0 * (double)d : 0) + 1.0 / (double)(1 + i + j);
	cr_assert_eq(asgd_problem_create_quadratic(d, 1, A, b, NULL, &p), ASGD_OK);
	free(A);
	free(b);
	minimizer_stops(p, 0.1, "dense quadratic minimizer");
	asgd_problem_destroy(p);
}

/* ---- exact moments ------------------------------------------------------------------------ */

/* Two dense, different 16×16 components: O(n·d³) a step, not separable. */
static asgd_problem *dense_quadratic(void)
{
	const size_t d = 16, n = 2;
	double A[2 * 16 * 16], b[2 * 16];
	asgd_problem *p;

	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < d; r++) {
			b[i * d + r] = (double)(r + i) / (double)d;
			for (size_t c = 0; c < d; c++)
				A[(i * d + r) * d + c] = (r == c ? 2.0 + (double)i : 0) +
							 0.01 / (double)(1 + r + c + i);
		}
	cr_assert_eq(asgd_problem_create_quadratic(d, n, A, b, NULL, &p), ASGD_OK);
	return p;
}

static void exact_stops(asgd_exact_config *ec, const char *what)
{
	asgd_exact_moments m;
	struct raiser r;
	int rc;

	raiser_start(&r, 0.05);
	ec->stop = &r.flag;
	rc = asgd_exact_run(ec, &m);
	raiser_check(&r, what);
	cr_assert_eq(rc, ASGD_EINTR, "%s: %s", what, asgd_err_name(rc));
}

Test(stop, exact_asgd_recursion)
{
	asgd_problem *p = dense_quadratic();
	asgd_exact_config ec = { .model = ASGD_MODEL_ASGD, .problem = p, .eta = 1e-3, .mu = 0.5,
				 .iters = 200000 };

	exact_stops(&ec, "exact ASGD recursion");
	asgd_problem_destroy(p);
}

Test(stop, exact_msgd_recursion)
{
	asgd_problem *p = dense_quadratic();
	asgd_exact_config ec = { .model = ASGD_MODEL_MSGD, .problem = p, .eta = 1e-3, .mu = 0.5,
				 .iters = 200000 };

	exact_stops(&ec, "exact MSGD recursion");
	asgd_problem_destroy(p);
}

Test(stop, exact_sme_ode)
{
	asgd_problem *p;
	asgd_exact_config ec = { .model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONSTANT,
				 .eta = 1e-3, .mu = 0.5, .iters = 1000000 };

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	ec.problem = p;
	exact_stops(&ec, "exact SME moment ODE");
	asgd_problem_destroy(p);
}

Test(stop, exact_separable_coordinates)
{
	asgd_problem *p;
	asgd_exact_config ec = { .model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONSTANT,
				 .eta = 1e-3, .mu = 0.5, .iters = 20000 };

	cr_assert_eq(asgd_problem_create("quadratic:d=20,n=10", &p), ASGD_OK);
	ec.problem = p;
	exact_stops(&ec, "exact moments, coordinate by coordinate");
	asgd_problem_destroy(p);
}

/* ---- ensembles: one path of seconds ------------------------------------------------------- */

static void sim_stops(asgd_sim_config *cfg, const char *what)
{
	asgd_sim_result res;
	struct raiser r;
	int rc;

	raiser_start(&r, 0.05);
	cfg->stop = &r.flag;
	rc = asgd_sim_run(cfg, &res);
	raiser_check(&r, what);
	cr_assert_eq(rc, ASGD_OK, "%s: %s", what, asgd_err_name(rc));
	cr_assert(res.ens.interrupted, "%s: not marked interrupted", what);
	cr_assert_eq(res.ens.paths_done, 0, "%s: the one path cannot be done", what);
	asgd_sim_result_free(&res);
}

Test(stop, sim_one_long_path_1d)
{
	asgd_problem *p;
	asgd_sim_config cfg = { .model = ASGD_MODEL_MINIBATCH, .eta = 1e-3, .mu = 0.5,
				.iters = 100000, .paths = 1, .threads = 1, .seed = 1,
				.batch = { .constant = 20000 } };

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cfg.problem = p;
	sim_stops(&cfg, "1-D mini-batch path (2e9 gradients)");
	asgd_problem_destroy(p);
}

Test(stop, sim_one_long_path_any_dim)
{
	asgd_problem *p;
	asgd_sim_config cfg = { .model = ASGD_MODEL_MINIBATCH, .eta = 1e-3, .mu = 0.5,
				.iters = 100000, .paths = 1, .threads = 1, .seed = 1,
				.batch = { .constant = 2000 } };

	cr_assert_eq(asgd_problem_create("quadratic:d=16,n=10", &p), ASGD_OK);
	cfg.problem = p;
	sim_stops(&cfg, "16-D mini-batch path");
	asgd_problem_destroy(p);
}

static void sme_stops(asgd_sme_config *cfg, const char *what)
{
	asgd_sme_result res;
	struct raiser r;
	int rc;

	raiser_start(&r, 0.05);
	cfg->stop = &r.flag;
	rc = asgd_sme_run(cfg, &res);
	raiser_check(&r, what);
	cr_assert_eq(rc, ASGD_OK, "%s: %s", what, asgd_err_name(rc));
	cr_assert(res.ens.interrupted, "%s: not marked interrupted", what);
	cr_assert_eq(res.ens.paths_done, 0);
	asgd_sme_result_free(&res);
}

Test(stop, sme_one_long_path_1d)
{
	asgd_problem *p;
	asgd_sme_config cfg = { .model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONSTANT,
				.eta = 1e-3, .mu = 0.5, .iters = 1000000, .substeps = 1000,
				.paths = 1, .threads = 1, .seed = 1 };

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cfg.problem = p;
	sme_stops(&cfg, "1-D SME path (1e9 substeps)");
	asgd_problem_destroy(p);
}

Test(stop, sme_one_long_path_any_dim)
{
	asgd_problem *p;
	asgd_sme_config cfg = { .model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONTINUUM,
				.eta = 1e-3, .mu = 0.5, .iters = 10000, .substeps = 1000,
				.paths = 1, .threads = 1, .seed = 1 };

	cr_assert_eq(asgd_problem_create("quadratic:d=16,n=10", &p), ASGD_OK);
	cfg.problem = p;
	sme_stops(&cfg, "16-D SME path, evolving Sigma");
	asgd_problem_destroy(p);
}

/* n rows of @cols dense features: a loss row is a pass over n·cols entries. */
static void dense_rows(asgd_dataset *ds, size_t n, size_t cols)
{
	testdata_alloc(ds, n, cols, n * cols);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < cols; j++) {
			ds->col[i * cols + j] = (uint32_t)j;
			ds->val[i * cols + j] = 1.0 / (double)(1 + (i + j) % 7);
		}
		ds->row_ptr[i + 1] = (i + 1) * cols;
		ds->label[i] = (double)(i % 5);
	}
	for (size_t j = 0; j < cols; j++)
		ds->col_count[j] = n;
	ds->nnz = n * cols;
	ds->classes = 5;
}

/* The path is quick; scoring its 10⁴ rows by the loss over 1.6 M entries is not. */
Test(stop, ensemble_scoring_of_rows)
{
	asgd_dataset ds;
	asgd_problem *p;
	asgd_observable obs;
	asgd_data_model m = { .loss = ASGD_LOSS_SQUARES, .lambda = 1e-3, .positive = NAN };
	asgd_sim_config cfg = { .model = ASGD_MODEL_SGD, .eta = 1e-3, .iters = 10000, .paths = 1,
				.threads = 1, .seed = 1 };

	dense_rows(&ds, 200000, 8);
	cr_assert_eq(asgd_problem_create_data(&ds, &m, &p, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_observable_init(&obs, "loss", p, NULL, 0), ASGD_OK);
	cfg.problem = p;
	cfg.observe = &obs;
	sim_stops(&cfg, "ensemble scoring rows by the loss");
	asgd_observable_free(&obs);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* ---- engine replicas ---------------------------------------------------------------------- */

static asgd_engine_config engine_config(const asgd_problem *p, uint64_t iters)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = 2;
	cfg.iters = iters;
	cfg.eta = 1e-3;
	cfg.seed = 1;
	cfg.work.kind = ASGD_WORK_NONE;
	cfg.record_staleness = 1;
	return cfg;
}

/* The engine ends in milliseconds; scoring its 2001 rows by the loss takes seconds. The stop
 * comes while they are scored: the replica is in the accounting, not in the moments. */
Test(stop, replica_scoring)
{
	asgd_dataset ds;
	asgd_problem *p;
	asgd_observable obs;
	asgd_data_model m = { .loss = ASGD_LOSS_SQUARES, .lambda = 1e-3, .positive = NAN };
	asgd_engine_config cfg;
	asgd_replicas t;
	struct raiser r;

	dense_rows(&ds, 200000, 8);
	cr_assert_eq(asgd_problem_create_data(&ds, &m, &p, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_observable_init(&obs, "loss", p, NULL, 0), ASGD_OK);
	cfg = engine_config(p, 2000);
	raiser_start(&r, 0.3);
	cfg.stop = &r.flag;
	cr_assert_eq(asgd_replicas_run_observed(&cfg, 1, &obs, NULL, NULL, NULL, NULL, &t),
		     ASGD_OK);
	raiser_check(&r, "scoring a replica's rows");
	cr_assert(t.interrupted && t.scoring_interrupted,
		  "the stop should have come while the rows were scored");
	cr_assert_eq(t.replicas_done, 0);
	cr_assert_eq(t.applied, 2000, "the replica ran to its end");
	cr_assert_eq(t.computed, t.applied + t.discarded);
	asgd_replicas_free(&t);
	asgd_observable_free(&obs);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(stop, between_replicas)
{
	asgd_problem *p;
	asgd_engine_config cfg;
	asgd_replicas t;
	struct raiser r;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cfg = engine_config(p, 200);
	raiser_start(&r, 0.05);
	cfg.stop = &r.flag;
	cr_assert_eq(asgd_replicas_run(&cfg, 10000000, NULL, NULL, &t), ASGD_OK);
	raiser_check(&r, "engine replicas");
	cr_assert(t.interrupted);
	cr_assert_eq(t.computed, t.applied + t.discarded);
	asgd_replicas_free(&t);
	asgd_problem_destroy(p);
}

/* ---- staleness ---------------------------------------------------------------------------- */

Test(stop, mixture_em)
{
	const size_t len = 20000;
	uint64_t *h = malloc(len * sizeof(*h));
	asgd_geomix best, all[ASGD_GEOMIX_MAX];
	struct raiser r;
	int rc;

	for (size_t l = 0; l < len; l++)
		h[l] = (uint64_t)(1e6 * (0.7 * 0.25 * pow(0.75, (double)l) +
					 0.3 * 0.02 * pow(0.98, (double)l))) + (l % 7 == 0);
	raiser_start(&r, 0.05);
	rc = asgd_geomix_select_stop(h, len, ASGD_GEOMIX_MAX, &best, all, &r.flag);
	raiser_check(&r, "mixture EM");
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	free(h);
}

Test(stop, staleness_log_reader)
{
	char path[] = "/tmp/asgd-test-stop-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	asgd_staleness acc;
	struct raiser r;
	char err[256] = "";
	int rc;

	cr_assert_not_null(f);
	for (unsigned i = 0; i < 10000000; i++)
		fputs(i % 3 ? "2\n" : "17\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(asgd_staleness_init(&acc, 0), ASGD_OK);
	raiser_start(&r, 0.03);
	rc = asgd_staleness_read_file_stop(&acc, path, &r.flag, err, sizeof(err));
	raiser_check(&r, "staleness log reader");
	unlink(path);
	cr_assert_eq(rc, ASGD_EINTR, "%s", asgd_err_name(rc));
	cr_assert(strstr(err, "interrupted"), "%s", err);
	cr_assert_eq(acc.count, 0, "all or nothing");
	asgd_staleness_free(&acc);
}
