/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_driver.c — what `run` and `validate` do differently under `mpirun ... --mode mpi`.
 *
 * Every rank parses the same command line and builds the same problem; then rank 0 runs the
 * command as usual, its engine being the MPI master, and every other rank serves — the other
 * parameter servers (ranks 1..S−1, --servers S) their part of x, the workers gradients — until
 * rank 0 says FINISH. Only rank 0 writes outputs. Worker ranks ignore SIGINT and SIGTERM (mpirun
 * forwards them to every rank): rank 0 decides, stops, writes its partial result and then
 * releases the workers, so nobody is killed mid-message. MPI_Finalize is bounded
 * (asgd_mpi_finalize_or_exit): after a rank died its closing fence can wait for ever.
 *
 * On data, `run` then cuts each rank's part (cli_mpi_shard_data): every rank has loaded and
 * prepared the whole set, the same on every rank (scaling, λ = 1/n, the data defaults and x*,
 * --epochs); a worker keeps its shard of the rows, the server a fixed sample to score the loss
 * on, and the rest is freed before the run. docs/DESIGN.md, "MPI", says why in this order.
 */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASGD_HAVE_MPI
#include <mpi.h>
#endif

#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/mpi.h"
#include "cli.h"

/* Whether the command line asks for --mode mpi (before getopt sees it, because MPI_Init must
 * come first and may rewrite argv). */
static int wants_mpi(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode=mpi"))
			return 1;
		if (!strcmp(argv[i], "--mode") && i + 1 < argc && !strcmp(argv[i + 1], "mpi"))
			return 1;
	}
	return 0;
}

int cli_mpi_start(const char *cmd, int *argc, char ***argv, struct cli_mpi *m)
{
	memset(m, 0, sizeof(*m));
	if (!wants_mpi(*argc, *argv))
		return 0;
	if (!asgd_mpi_available())
		cli_usage_error(cmd, "--mode mpi is not available: this asgd was built without MPI "
				"(install libopenmpi-dev and rebuild)");
	if (asgd_mpi_init(argc, argv, &m->rank, &m->size) != ASGD_OK) {
		fprintf(stderr, "asgd %s: MPI could not start\n", cmd);
		exit(CLI_EXIT_FAIL);
	}
	m->on = 1;
	if (m->size < 2) {
		asgd_mpi_finalize();
		cli_usage_error(cmd, "--mode mpi needs a master and at least one worker rank: run it "
				"as 'mpirun -np N asgd %s --mode mpi ...' with N >= 2", cmd);
	}
	if (asgd_mpi_hosts(&m->hosts) != ASGD_OK) {
		fprintf(stderr, "asgd %s: rank %d: MPI could not gather the ranks' host names\n", cmd,
			m->rank);
		exit(CLI_EXIT_FAIL);
	}
	if (m->rank > 0) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	return 1;
}

/* Rank @r's host name (rank 0 only). */
static const char *host_of(const struct cli_mpi *m, int r)
{
	return m->hosts + (size_t)r * ASGD_MPI_HOST_LEN;
}

/* Servers want a node (a network link) each when the job has the nodes for it: say so when
 * two share one (rank 0, once). --map-by node deals ranks 0, 1, ... one per node. */
static void check_placement(const char *cmd, const struct cli_mpi *m, unsigned servers)
{
	unsigned nodes = asgd_mpi_nodes(m->hosts, m->size);

	if (m->rank != 0 || servers < 2 || nodes < 2)
		return;
	for (unsigned s = 1; s < servers && s < nodes; s++)
		for (unsigned q = 0; q < s; q++)
			if (!strcmp(host_of(m, (int)s), host_of(m, (int)q))) {
				fprintf(stderr, "asgd %s: warning: servers %u and %u share node %s while "
						"the job has %u nodes: launch with 'mpirun --map-by node' "
						"so that each server has a node to itself (see "
						"docs/MPI.md)\n", cmd, q, s, host_of(m, (int)s), nodes);
				return;
			}
}

const struct cli_flag *cli_mpi_flags(struct cli_mpi *m)
{
	m->flags[0] = (struct cli_flag)CLI_UINT("servers", "S", &m->servers, 1, 1024,
		"MPI: ranks 0..S-1 are parameter servers, each owning a part of x; S >= 2 needs "
		"sparse messages (a sparse data problem, no momentum, no batch schedule), {min}..N-1");
	m->flags[0].dflt = "1";
	m->flags[1] = (struct cli_flag)CLI_TEXT("partition", "LAYOUT", &m->partition, "cyclic",
		"MPI, S >= 2: how the servers split x: cyclic (coordinate j to server j mod S; "
		"balances columns of unequal frequency) or blocks (contiguous)");
	m->flags[2] = (struct cli_flag)CLI_END;
	return m->flags;
}

/* --servers and --partition into cfg, checked against the ranks. */
static void take_servers(const char *cmd, const struct cli_mpi *m, asgd_engine_config *cfg)
{
	cfg->mpi_servers = m->servers ? m->servers : 1;
	cfg->mpi_partition = ASGD_PARTITION_CYCLIC;
	if (m->partition && asgd_partition_layout_parse(m->partition, &cfg->mpi_partition))
		cli_usage_error(cmd, "--partition '%s' is not allowed: cyclic or blocks",
				m->partition);
	if (!m->on && (m->servers > 1 || m->partition))
		cli_usage_error(cmd, "--%s is for the parameter servers of --mode mpi",
				m->servers > 1 ? "servers" : "partition");
	if (m->on && cfg->mpi_servers >= (unsigned)m->size)
		cli_usage_error(cmd, "--servers %u leaves no worker rank of mpirun -np %d: allowed "
				"1..%d", cfg->mpi_servers, m->size, m->size - 1);
}

void cli_mpi_workers(const char *cmd, struct cli_mpi *m, asgd_engine_config *cfg,
		     int workers_given)
{
	unsigned workers;

	take_servers(cmd, m, cfg);
	if (!m->on)
		return;
	workers = (unsigned)m->size - cfg->mpi_servers;
	if (workers_given && cfg->workers != workers)
		cli_usage_error(cmd, "--workers %u does not match the %u worker ranks of mpirun -np "
				"%d with %u server%s: with --mode mpi leave --workers out",
				cfg->workers, workers, m->size, cfg->mpi_servers,
				cfg->mpi_servers > 1 ? "s" : "");
	cfg->workers = workers;
	check_placement(cmd, m, cfg->mpi_servers);
}

/* S ≥ 2 servers split sparse messages; a dense x they could split, but not yet (asgd/mpi.h). */
static void check_servers(const char *cmd, const asgd_engine_config *cfg)
{
	size_t dim = asgd_problem_dim(cfg->problem);

	if (cfg->mpi_servers < 2)
		return;
	if (!asgd_problem_is_sparse(cfg->problem) || cfg->momentum != 0 || cfg->schedule.size)
		cli_usage_error(cmd, "--servers %u needs sparse messages: a sparse data problem "
				"(e.g. --data rcv1:), no --momentum and no batch schedule (%s); "
				"use --servers 1", cfg->mpi_servers,
				!asgd_problem_is_sparse(cfg->problem) ? "this problem is dense"
				: cfg->momentum != 0 ? "--momentum is set" : "a schedule is set");
	if (cfg->mpi_servers > dim)
		cli_usage_error(cmd, "--servers %u is more than the %zu coordinates of x: allowed "
				"1..%zu", cfg->mpi_servers, dim, dim);
}

void cli_mpi_serve(const char *cmd, struct cli_mpi *m, const asgd_engine_config *cfg)
{
	int rc;

	if (!m->on)
		return;
	check_servers(cmd, cfg);
	if (m->rank == 0)
		return;
	rc = asgd_mpi_serve(cfg);
	if (rc != ASGD_OK)
		fprintf(stderr, "asgd %s: worker rank %d: %s\n", cmd, m->rank, asgd_strerror(rc));
	asgd_mpi_finalize_or_exit(rc == ASGD_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL, CLI_MPI_FINALIZE_S);
	exit(rc == ASGD_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL);
}

void cli_mpi_role(const struct cli_mpi *m, int *is_server, unsigned *worker, unsigned *workers)
{
	const int servers = m->servers > 1 ? (int)m->servers : 1;

	*is_server = m->rank < servers;
	*workers = (unsigned)(m->size - servers);
	*worker = *is_server ? 0 : (unsigned)(m->rank - servers);
}

/* The rows each rank holds, gathered to rank 0 into m->rows_held (one small message a rank). */
static void gather_rows(const char *cmd, struct cli_mpi *m, uint64_t held)
{
#ifdef ASGD_HAVE_MPI
	if (m->rank == 0 && !(m->rows_held = calloc((size_t)m->size, sizeof(uint64_t))))
		cli_out_of_memory(cmd);
	if (MPI_Gather(&held, 1, MPI_UINT64_T, m->rows_held, 1, MPI_UINT64_T, 0,
		       MPI_COMM_WORLD) != MPI_SUCCESS) {
		fprintf(stderr, "asgd %s: rank %d: MPI could not gather the rows each rank "
			"holds\n", cmd, m->rank);
		exit(CLI_EXIT_FAIL);
	}
#else
	(void)cmd;
	(void)m;
	(void)held;
#endif
}

/* --loss-sample N: the server's sample size, at most n. */
static size_t sample_size(const char *cmd, const char *loss_sample, size_t n)
{
	uint64_t N = loss_sample ? cli_u64_range(cmd, "--loss-sample", loss_sample, 1, UINT64_MAX)
				 : CLI_MPI_LOSS_SAMPLE;

	return N < n ? (size_t)N : n;
}

/* A part of cp->ds made by asgd_dataset_rows_mod or _spread, or exit. */
static void take(const char *cmd, struct cli_problem *cp, int rc, asgd_dataset *part,
		 const char *err, int whole_optimum)
{
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--data '%s': %s", cp->data, err);
	cli_problem_take_part(cmd, cp, part, whole_optimum);
}

void cli_mpi_shard_data(const char *cmd, struct cli_mpi *m, struct cli_problem *cp)
{
	asgd_dataset *part = NULL;
	unsigned w, W;
	int server, rc;
	size_t n, N;
	char err[512];

	if (!m->on || !cp->ds || cp->file_parts) /* read as parts: nothing to cut */
		return;
	cli_mpi_role(m, &server, &w, &W);
	n = cp->ds->rows;
	if (n < W)
		cli_usage_error(cmd, "--data '%s' has %zu rows, fewer than the %u worker ranks: "
				"allowed at most %zu workers (mpirun -np %zu), each needs a row",
				cp->data, n, W, n, n + (size_t)(m->size - (int)W));
	N = sample_size(cmd, m->loss_sample, n);
	if (server && m->rank > 0) { /* servers 1..S−1 score nothing: a row keeps the set's shape */
		rc = asgd_dataset_rows_spread(cp->ds, 1, &part, err, sizeof(err));
		take(cmd, cp, rc, part, err, 1);
	} else if (server && N < n) {
		rc = asgd_dataset_rows_spread(cp->ds, N, &part, err, sizeof(err));
		take(cmd, cp, rc, part, err, 1);
	} else if (!server && W > 1) {
		rc = asgd_dataset_rows_mod(cp->ds, w, W, &part, err, sizeof(err));
		take(cmd, cp, rc, part, err, 0);
	}
	if (!server || m->rank > 0) { /* the held-out rows are scored on rank 0 only */
		asgd_dataset_destroy(cp->test_ds);
		cp->test_ds = NULL;
	}
	m->whole_rows = n;
	m->loss_rows = N;
	gather_rows(cmd, m, server ? 0 : cp->ds->rows);
}

#ifdef ASGD_HAVE_MPI

/* @spec with every CLI_DATA_WORKER replaced by @w, into a new string. */
static char *worker_path(const char *cmd, const char *spec, unsigned w)
{
	size_t k = strlen(CLI_DATA_WORKER), len = strlen(spec) + 1;
	char *out, *o;

	for (const char *p = strstr(spec, CLI_DATA_WORKER); p; p = strstr(p + k, CLI_DATA_WORKER))
		len += 10;
	if (!(out = malloc(len)))
		cli_out_of_memory(cmd);
	for (o = out; *spec;) {
		if (!strncmp(spec, CLI_DATA_WORKER, k)) {
			o += sprintf(o, "%u", w);
			spec += k;
		} else {
			*o++ = *spec++;
		}
	}
	*o = 0;
	return out;
}

/* Every rank's verdict on its own step: all go on, or all exit @status (each failing rank has
 * said why); a rank alone in error would leave the others waiting in the next collective. */
static void agree(int failed, int status)
{
	int any = 0;

	MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (any) {
		asgd_mpi_finalize_or_exit(status, CLI_MPI_FINALIZE_S);
		exit(status);
	}
}

/* A worker's own file, or nothing (a server); a failure said on stderr, agreed on. */
static asgd_dataset *load_own_file(const char *cmd, const struct cli_mpi *m,
				   const struct cli_problem *cp, const asgd_dataset_options *o)
{
	asgd_dataset *ds = NULL;
	unsigned w, W;
	int server, rc = ASGD_OK;
	char err[1024], *path;

	cli_mpi_role(m, &server, &w, &W);
	if (!server) {
		path = worker_path(cmd, cp->data, w);
		rc = asgd_dataset_load(path, o, &ds, err, sizeof(err));
		if (rc != ASGD_OK)
			fprintf(stderr, "asgd %s: --data '%s': worker %u's file %s: %s\n(see 'asgd "
				"%s --help')\n", cmd, cp->data, w, path, err, cmd);
		free(path);
	}
	agree(rc != ASGD_OK, rc == ASGD_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE);
	return ds;
}

/* n, d, the widest row and the label range over every worker's file, into @p. */
static void reduce_shape(const asgd_dataset *ds, struct cli_parts *p)
{
	uint64_t sum[1] = { ds ? ds->rows : 0 }, max[2] = { ds ? ds->cols : 0, 0 }, out[2];
	double lo = INFINITY, hi = -INFINITY;

	for (size_t i = 0; ds && i < ds->rows; i++) {
		uint64_t len = ds->row_ptr[i + 1] - ds->row_ptr[i];

		max[1] = len > max[1] ? len : max[1];
		lo = ds->label[i] < lo ? ds->label[i] : lo;
		hi = ds->label[i] > hi ? ds->label[i] : hi;
	}
	MPI_Allreduce(sum, out, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
	p->whole.rows = (size_t)out[0];
	MPI_Allreduce(max, out, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
	p->whole.cols = (size_t)out[0];
	p->whole.max_support = (size_t)out[1];
	MPI_Allreduce(&lo, &p->label_min, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
	MPI_Allreduce(&hi, &p->label_max, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}

/* The counts c_j summed over the files (@ds already of the whole d, or NULL on a server). */
static void reduce_counts(const char *cmd, const asgd_dataset *ds, struct cli_parts *p)
{
	size_t d = p->whole.cols;
	uint64_t *mine = calloc(d ? d : 1, sizeof(uint64_t));
	uint64_t *all = malloc((d ? d : 1) * sizeof(uint64_t));

	p->col_count = malloc((d ? d : 1) * sizeof(size_t));
	if (!mine || !all || !p->col_count)
		cli_out_of_memory(cmd);
	for (size_t j = 0; ds && j < d; j++)
		mine[j] = ds->col_count[j];
	MPI_Allreduce(mine, all, (int)d, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
	for (size_t j = 0; j < d; j++)
		p->col_count[j] = (size_t)all[j];
	p->whole.col_count = p->col_count;
	free(mine);
	free(all);
}

/* This worker's rows of the sample, as LIBSVM text (0-based ids, %.17g: exact), into @len. Global
 * row i is row i − @first of this worker's file: the files, in worker order, are the set. */
static char *sample_text(const char *cmd, const asgd_dataset *ds, size_t first, size_t n,
			 size_t N, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		cli_out_of_memory(cmd);
	for (size_t i = 0; ds && i < ds->rows; i++) {
		if (!asgd_dataset_spread_has(n, N, first + i))
			continue;
		fprintf(f, "%.17g", ds->label[i]);
		for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1]; e++)
			fprintf(f, " %u:%.17g", (unsigned)ds->col[e], ds->val[e]);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		cli_out_of_memory(cmd);
	return buf;
}

/* Rank 0: the sample rows gathered from the workers, parsed into a set of the whole d. */
/* The other servers (--servers S ≥ 2) need a problem of the set's shape too, and have no file:
 * rank 0 hands them the sample's text (*@all, *@total bytes), within the servers' own
 * communicator so that the workers are not sent it. */
static void share_with_servers(const char *cmd, const struct cli_mpi *m, char **all,
			       size_t *total)
{
	int server, color;
	unsigned w, W;
	MPI_Comm comm;
	uint64_t n = *total;

	cli_mpi_role(m, &server, &w, &W);
	if (m->servers < 2)
		return;
	color = server ? 0 : MPI_UNDEFINED;
	MPI_Comm_split(MPI_COMM_WORLD, color, m->rank, &comm);
	if (!server)
		return;
	MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm);
	if (m->rank != 0 && !(*all = malloc(n ? n : 1)))
		cli_out_of_memory(cmd);
	MPI_Bcast(*all, (int)n, MPI_CHAR, 0, comm);
	*total = n;
	MPI_Comm_free(&comm);
}

static asgd_dataset *gather_sample(const char *cmd, const struct cli_mpi *m,
				   const struct cli_problem *cp, const asgd_dataset *ds,
				   const struct cli_parts *p, size_t N)
{
	uint64_t mine = ds ? ds->rows : 0, *rows = malloc((size_t)m->size * sizeof(uint64_t));
	int *lens = malloc((size_t)m->size * sizeof(int)), *at = malloc((size_t)m->size * sizeof(int));
	asgd_dataset_options o = { .base = ASGD_INDEX_ZERO, .min_features = p->whole.cols };
	asgd_dataset *sample = NULL;
	size_t first = 0, len = 0, total = 0;
	char *text, *all = NULL, name[1200], err[1024];
	int ilen, rc = ASGD_OK;

	if (!rows || !lens || !at)
		cli_out_of_memory(cmd);
	MPI_Allgather(&mine, 1, MPI_UINT64_T, rows, 1, MPI_UINT64_T, MPI_COMM_WORLD);
	for (int r = 0; r < m->rank; r++)
		first += (size_t)rows[r];
	text = sample_text(cmd, ds, first, p->whole.rows, N, &len);
	if (len > INT_MAX)
		fprintf(stderr, "asgd %s: worker rank %d's rows of the loss sample take %zu bytes, "
			"more than one message carries: allowed a smaller --loss-sample\n", cmd,
			m->rank, len);
	agree(len > INT_MAX, CLI_EXIT_USAGE);
	ilen = (int)len;
	MPI_Gather(&ilen, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
	for (int r = 0; m->rank == 0 && r < m->size; r++) {
		at[r] = (int)total;
		total += (size_t)lens[r];
	}
	if (m->rank == 0 && !(all = malloc(total ? total : 1)))
		cli_out_of_memory(cmd);
	MPI_Gatherv(text, ilen, MPI_CHAR, all, lens, at, MPI_CHAR, 0, MPI_COMM_WORLD);
	share_with_servers(cmd, m, &all, &total);
	if (all) {
		snprintf(name, sizeof(name), "%s (sample: %zu of %zu rows, spread evenly)", cp->data,
			 N, p->whole.rows);
		rc = asgd_dataset_parse_libsvm(name, all, total, &o, &sample, err, sizeof(err));
		if (rc != ASGD_OK)
			fprintf(stderr, "asgd %s: the loss sample gathered from --data '%s': %s\n",
				cmd, cp->data, err);
	}
	free(text);
	free(all);
	free(rows);
	free(lens);
	free(at);
	agree(rc != ASGD_OK, CLI_EXIT_FAIL);
	return sample;
}

void cli_mpi_load_parts(const char *cmd, struct cli_problem *cp,
			const asgd_dataset_options *o, void *arg)
{
	struct cli_mpi *m = arg;
	struct cli_parts *p = calloc(1, sizeof(*p));
	asgd_dataset *ds, *wide = NULL;
	unsigned w, W;
	int server, rc;
	char err[512];

	if (!p)
		cli_out_of_memory(cmd);
	cli_mpi_role(m, &server, &w, &W);
	ds = load_own_file(cmd, m, cp, o);
	reduce_shape(ds, p);
	if (ds && ds->cols < p->whole.cols) { /* features only other files store */
		rc = asgd_dataset_widen(ds, p->whole.cols, &wide, err, sizeof(err));
		if (rc != ASGD_OK)
			cli_out_of_memory(cmd);
		asgd_dataset_destroy(ds);
		ds = wide;
	}
	reduce_counts(cmd, ds, p);
	m->whole_rows = p->whole.rows;
	m->loss_rows = sample_size(cmd, m->loss_sample, p->whole.rows);
	cp->file_parts = p;
	if (server) {
		cp->ds = gather_sample(cmd, m, cp, NULL, p, m->loss_rows);
	} else {
		gather_sample(cmd, m, cp, ds, p, m->loss_rows);
		cp->ds = ds;
	}
	gather_rows(cmd, m, server ? 0 : cp->ds->rows);
}

#else

void cli_mpi_load_parts(const char *cmd, struct cli_problem *cp,
			const asgd_dataset_options *o, void *arg)
{
	(void)o;
	(void)arg;
	cli_usage_error(cmd, "--data '%s': one file per worker needs --mode mpi", cp->data);
}

#endif

void cli_mpi_end(struct cli_mpi *m, int status)
{
	free(m->rows_held);
	m->rows_held = NULL;
	if (!m->on || m->rank != 0)
		return;
	asgd_mpi_finish(m->servers);
	free(m->hosts);
	m->hosts = NULL;
	asgd_mpi_finalize_or_exit(status, CLI_MPI_FINALIZE_S);
	m->on = 0;
}
