/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_driver.c — what `run` and `validate` do differently under `mpirun ... --mode mpi`.
 *
 * Every rank parses the same command line and builds the same problem; then rank 0 runs the
 * command as usual, its engine being the MPI master, and every other rank serves gradients until
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
	if (m->rank > 0) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	return 1;
}

void cli_mpi_workers(const char *cmd, struct cli_mpi *m, asgd_engine_config *cfg,
		     int workers_given)
{
	if (!m->on)
		return;
	if (workers_given && cfg->workers != (unsigned)m->size - 1)
		cli_usage_error(cmd, "--workers %u does not match the %d worker ranks of mpirun -np "
				"%d: with --mode mpi leave --workers out", cfg->workers, m->size - 1,
				m->size);
	cfg->workers = (unsigned)m->size - 1;
}

void cli_mpi_serve(const char *cmd, struct cli_mpi *m, const asgd_engine_config *cfg)
{
	int rc;

	if (!m->on || m->rank == 0)
		return;
	rc = asgd_mpi_serve(cfg);
	if (rc != ASGD_OK)
		fprintf(stderr, "asgd %s: worker rank %d: %s\n", cmd, m->rank, asgd_strerror(rc));
	asgd_mpi_finalize_or_exit(rc == ASGD_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL, CLI_MPI_FINALIZE_S);
	exit(rc == ASGD_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL);
}

void cli_mpi_role(const struct cli_mpi *m, int *is_server, unsigned *worker, unsigned *workers)
{
	const int servers = 1; /* --servers S (issue 18 item 2) moves this line */

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

void cli_mpi_shard_data(const char *cmd, struct cli_mpi *m, struct cli_problem *cp,
			const char *loss_sample)
{
	asgd_dataset *part = NULL;
	unsigned w, W;
	int server, rc;
	size_t n, N;
	char err[512];

	if (!m->on || !cp->ds)
		return;
	cli_mpi_role(m, &server, &w, &W);
	n = cp->ds->rows;
	if (n < W)
		cli_usage_error(cmd, "--data '%s' has %zu rows, fewer than the %u worker ranks: "
				"allowed at most %zu workers (mpirun -np %zu), each needs a row",
				cp->data, n, W, n, n + (size_t)(m->size - (int)W));
	N = sample_size(cmd, loss_sample, n);
	if (server && N < n) {
		rc = asgd_dataset_rows_spread(cp->ds, N, &part, err, sizeof(err));
		take(cmd, cp, rc, part, err, 1);
	} else if (!server && W > 1) {
		rc = asgd_dataset_rows_mod(cp->ds, w, W, &part, err, sizeof(err));
		take(cmd, cp, rc, part, err, 0);
	}
	if (!server) { /* the held-out rows are scored on the server only */
		asgd_dataset_destroy(cp->test_ds);
		cp->test_ds = NULL;
	}
	m->whole_rows = n;
	m->loss_rows = N;
	gather_rows(cmd, m, server ? 0 : cp->ds->rows);
}

void cli_mpi_end(struct cli_mpi *m, int status)
{
	free(m->rows_held);
	m->rows_held = NULL;
	if (!m->on || m->rank != 0)
		return;
	asgd_mpi_finish();
	asgd_mpi_finalize_or_exit(status, CLI_MPI_FINALIZE_S);
	m->on = 0;
}
