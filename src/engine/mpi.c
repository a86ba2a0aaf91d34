/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi.c — the parameter-server mode on MPI (asgd/mpi.h has the protocol and why two-sided):
 * starting and ending MPI, the rank layout, waiting, and sending each rank to its side —
 * mpi_master.c (rank 0), mpi_server.c (ranks 1..S−1), mpi_worker.c (ranks S..N−1).
 *
 * Waiting polls with short sleeps rather than blocking in MPI, whose blocking calls spin: with
 * more ranks than cores, a spinning rank steals the core of the rank it waits for.
 */
#include "asgd/mpi.h"

#include <string.h>

#include "asgd/error.h"

unsigned asgd_mpi_nodes(const char *names, int ranks)
{
	unsigned nodes = 0;

	for (int r = 0; names && r < ranks; r++) {
		const char *h = names + (size_t)r * ASGD_MPI_HOST_LEN;
		int seen = 0;

		for (int q = 0; q < r && !seen; q++)
			seen = !strcmp(h, names + (size_t)q * ASGD_MPI_HOST_LEN);
		nodes += !seen;
	}
	return nodes;
}

#ifndef ASGD_HAVE_MPI

int asgd_mpi_available(void)
{
	return 0;
}

int asgd_mpi_init(int *argc, char ***argv, int *rank, int *size)
{
	(void)argc;
	(void)argv;
	*rank = 0;
	*size = 1;
	return ASGD_ENOTFOUND;
}

void asgd_mpi_finalize(void)
{
}

int asgd_mpi_hosts(char **names)
{
	*names = NULL;
	return ASGD_ENOTFOUND;
}

void asgd_mpi_finalize_or_exit(int status, double grace_s)
{
	(void)status;
	(void)grace_s;
}

int asgd_mpi_serve(const asgd_engine_config *cfg)
{
	(void)cfg;
	return ASGD_ENOTFOUND;
}

int asgd_mpi_finish(unsigned servers)
{
	(void)servers;
	return ASGD_ENOTFOUND;
}

#include "engine_internal.h"

int asgd__mpi_master_run(const asgd_engine_config *cfg, asgd_engine_result *res)
{
	(void)cfg;
	(void)res;
	return ASGD_ENOTFOUND;
}

#else /* ASGD_HAVE_MPI */

#include <math.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"
#include "mpi_internal.h"

#define POLL_YIELDS 64
#define POLL_NAP_NS 20000L

int asgd_mpi_available(void)
{
	return 1;
}

int asgd_mpi_init(int *argc, char ***argv, int *rank, int *size)
{
	int provided;

	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
		return ASGD_EINVAL;
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return ASGD_OK;
}

void asgd_mpi_finalize(void)
{
	int up = 0, down = 0;

	MPI_Initialized(&up);
	MPI_Finalized(&down);
	if (up && !down)
		MPI_Finalize();
}

struct finalize_watch {
	int status;
	struct timespec grace;
};

static void *finalize_watchdog(void *arg)
{
	const struct finalize_watch *w = arg;

	nanosleep(&w->grace, NULL);
	_exit(w->status); /* MPI_Finalize is still waiting: leave as the caller would have */
	return NULL;
}

/* MPI_Finalize ends with a fence over every rank, and Open MPI 4.1's waits for a rank that died
 * without finalizing (an injected leave, a crash) until mpirun has reaped it — sometimes for
 * ever. Everything is written by the time the caller gets here, so a watchdog thread ends the
 * process with the caller's status if the fence has not let it go within @grace_s. */
void asgd_mpi_finalize_or_exit(int status, double grace_s)
{
	/* The watchdog's own copy, never freed: the process ends right after either way. */
	struct finalize_watch *w = malloc(sizeof(*w));
	pthread_attr_t attr;
	pthread_t t;

	if (w && pthread_attr_init(&attr) == 0) {
		w->status = status;
		w->grace.tv_sec = (time_t)grace_s;
		w->grace.tv_nsec = (long)((grace_s - (double)w->grace.tv_sec) * 1e9);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_create(&t, &attr, finalize_watchdog, w);
		pthread_attr_destroy(&attr);
	}
	asgd_mpi_finalize();
}

int asgd__mpi_poll(int n, MPI_Request *rq, int *index, MPI_Status *st, int (*give_up)(void *),
		   void *arg)
{
	const struct timespec nap = { 0, POLL_NAP_NS };

	for (unsigned i = 0;; i++) {
		int done = 0;

		if (MPI_Testany(n, rq, index, &done, st) != MPI_SUCCESS)
			return -1;
		if (done && *index != MPI_UNDEFINED)
			return 1;
		if (done) /* every request is inactive: nothing will ever complete */
			return -1;
		if (i < POLL_YIELDS) {
			sched_yield();
			continue;
		}
		if (give_up && give_up(arg))
			return 0;
		nanosleep(&nap, NULL);
	}
}

int asgd_mpi_hosts(char **names)
{
	char mine[ASGD_MPI_HOST_LEN] = { 0 }, full[MPI_MAX_PROCESSOR_NAME];
	int rank, size, len = 0, rc;

	*names = NULL;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (MPI_Get_processor_name(full, &len) == MPI_SUCCESS)
		snprintf(mine, sizeof(mine), "%.*s", len, full);
	if (rank == 0 && !(*names = calloc((size_t)size, ASGD_MPI_HOST_LEN)))
		return ASGD_ENOMEM; /* the other ranks then wait in the gather: exit at once */
	rc = MPI_Gather(mine, ASGD_MPI_HOST_LEN, MPI_CHAR, *names, ASGD_MPI_HOST_LEN, MPI_CHAR, 0,
			MPI_COMM_WORLD);
	return rc == MPI_SUCCESS ? ASGD_OK : ASGD_EIO;
}

int asgd__mpi_recv_root(double *buf, int count, int tag)
{
	MPI_Request rq;
	MPI_Status st;
	int i;

	if (MPI_Irecv(buf, count, MPI_DOUBLE, 0, tag, MPI_COMM_WORLD, &rq) != MPI_SUCCESS ||
	    asgd__mpi_poll(1, &rq, &i, &st, NULL, NULL) != 1)
		return ASGD_EIO;
	return ASGD_OK;
}

int asgd__mpi_sparse(const asgd_engine_config *cfg)
{
	return asgd_problem_is_sparse(cfg->problem) && cfg->momentum == 0 && !cfg->schedule.size;
}

size_t asgd__mpi_grad_bytes(const asgd_engine_config *cfg)
{
	size_t dim = asgd_problem_dim(cfg->problem);
	size_t nnz = (size_t)asgd__engine_max_batch(cfg) * asgd_problem_max_support(cfg->problem);
	size_t need = nnz < dim ? nnz : dim;

	return SHDR * sizeof(double) + nnz * (sizeof(double) + sizeof(uint32_t)) +
	       need * sizeof(uint32_t);
}

unsigned asgd__mpi_servers(const asgd_engine_config *cfg)
{
	return cfg->mpi_servers > 1 ? cfg->mpi_servers : 1;
}

int asgd__mpi_partition(const asgd_engine_config *cfg, asgd_partition *p)
{
	return asgd_partition_init_layout(p, asgd_problem_dim(cfg->problem), asgd__mpi_servers(cfg),
					  cfg->mpi_partition, NULL, 0);
}

int asgd_mpi_serve(const asgd_engine_config *cfg)
{
	int rank;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	if (!cfg || !cfg->problem || rank < 1)
		return ASGD_EINVAL;
	if ((unsigned)rank < asgd__mpi_servers(cfg))
		return asgd__mpi_server_serve(cfg, rank);
	return asgd__mpi_worker_serve(cfg, rank);
}

int asgd_mpi_finish(unsigned servers)
{
	double msg[CHDR] = { KIND_FINISH, 0, 0, 0 };
	int size, s = servers > 1 ? (int)servers : 1;

	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (int r = 1; r < size; r++)
		MPI_Send(msg, r < s ? CHDR : HDR, MPI_DOUBLE, r, r < s ? TAG_CTRL : TAG_PARAMS,
			 MPI_COMM_WORLD);
	return ASGD_OK;
}

#endif /* ASGD_HAVE_MPI */
