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

unsigned cli_mpi_nodes(const struct cli_mpi *m)
{
	unsigned nodes = 0;

	for (int r = 0; m->hosts && r < m->size; r++) {
		int seen = 0;

		for (int q = 0; q < r && !seen; q++)
			seen = !strcmp(host_of(m, q), host_of(m, r));
		nodes += !seen;
	}
	return nodes;
}

/* Servers want a node (a network link) each when the job has the nodes for it: say so when
 * two share one (rank 0, once). --map-by node deals ranks 0, 1, ... one per node. */
static void check_placement(const char *cmd, const struct cli_mpi *m, unsigned servers)
{
	unsigned nodes = cli_mpi_nodes(m);

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

void cli_mpi_end(struct cli_mpi *m, int status)
{
	if (!m->on || m->rank != 0)
		return;
	asgd_mpi_finish(m->servers);
	free(m->hosts);
	m->hosts = NULL;
	asgd_mpi_finalize_or_exit(status, CLI_MPI_FINALIZE_S);
	m->on = 0;
}
