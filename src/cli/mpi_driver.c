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
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void cli_mpi_end(struct cli_mpi *m, int status)
{
	if (!m->on || m->rank != 0)
		return;
	asgd_mpi_finish();
	asgd_mpi_finalize_or_exit(status, CLI_MPI_FINALIZE_S);
	m->on = 0;
}
