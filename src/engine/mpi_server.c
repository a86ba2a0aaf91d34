/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_server.c — a parameter server other than rank 0 (ranks 1..S−1 under --servers S): it owns
 * the coordinates of x the partition gives it, and applies the piece of every update that falls
 * on them (asgd/mpi.h, "Sharded servers").
 *
 * The story of one replica, from the server's side:
 *   1. START from rank 0: x_0 on its coordinates, and which rows of the trajectory to keep.
 *   2. Take pieces in arrival order, from any worker; apply; τ_s = clock − the clock the worker
 *      read; clock + 1; answer VALUES(clock, x at the coordinates the worker wants next).
 *   3. END(K) from rank 0, which applied K updates: every update visits every server, so keep
 *      taking pieces until this one has applied K too.
 *   4. RESULT to rank 0: what it did, x on its coordinates, its trajectory rows.
 * It holds no data and computes no gradient.
 */
#ifdef ASGD_HAVE_MPI

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "engine_internal.h"
#include "mpi_internal.h"

struct answer {           /* the last answer to one worker, until its send completes */
	double *msg;
	MPI_Request send;
};

struct shard {
	const asgd_engine_config *cfg;
	unsigned id;
	asgd_partition part;
	size_t n;            /* coordinates owned */
	size_t max_need;
	unsigned workers, servers;
	double *x;           /* the owned coordinates, in local order (asgd_partition_local) */
	double *in;          /* a piece */
	double *ctrl;        /* CHDR + n: START, END, FINISH */
	struct answer *ans;  /* workers of them */
	uint64_t clock, target, every, nrows;
	double *rows;        /* nrows × n, or NULL */
	size_t rows_cap;     /* doubles allocated in rows */
	asgd_engine_shard tally;
	double timeout, heard;
	MPI_Request rq[2];   /* [0] the next piece, [1] the next control message */
};

static int shard_init(struct shard *sh, const asgd_engine_config *cfg, int rank)
{
	int size;

	memset(sh, 0, sizeof(*sh));
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	sh->cfg = cfg;
	sh->id = (unsigned)rank;
	if (asgd__mpi_partition(cfg, &sh->part) != ASGD_OK)
		return ASGD_EINVAL;
	sh->n = asgd_partition_size(&sh->part, sh->id);
	sh->max_need = asgd__mpi_grad_bytes(cfg) / sizeof(uint32_t);
	sh->servers = asgd__mpi_servers(cfg);
	sh->workers = (unsigned)size - sh->servers;
	sh->timeout = cfg->mpi_timeout_s > 0 ? cfg->mpi_timeout_s : ASGD_MPI_DEFAULT_TIMEOUT_S;
	sh->x = malloc(sh->n * sizeof(double));
	sh->in = malloc(asgd__mpi_grad_bytes(cfg));
	sh->ctrl = malloc((CHDR + sh->n) * sizeof(double));
	sh->ans = calloc(sh->workers, sizeof(*sh->ans));
	if (!sh->x || !sh->in || !sh->ctrl || !sh->ans)
		return ASGD_ENOMEM;
	for (unsigned w = 0; w < sh->workers; w++) {
		sh->ans[w].send = MPI_REQUEST_NULL;
		if (!(sh->ans[w].msg = malloc((HDR + sh->max_need) * sizeof(double))))
			return ASGD_ENOMEM;
	}
	return ASGD_OK;
}

static void shard_free(struct shard *sh)
{
	for (unsigned w = 0; sh->ans && w < sh->workers; w++)
		free(sh->ans[w].msg);
	free(sh->ans);
	free(sh->x);
	free(sh->in);
	free(sh->ctrl);
	free(sh->rows);
}

/* The trajectory row of clock @k into sh->rows, when it is one kept. */
static void keep_row(struct shard *sh, uint64_t k)
{
	if (!sh->every || k % sh->every != 0 || k / sh->every >= sh->nrows)
		return;
	memcpy(sh->rows + k / sh->every * sh->n, sh->x, sh->n * sizeof(double));
}

/* START in sh->ctrl: x_0, the clock at 0, room for the rows. */
static int start_replica(struct shard *sh)
{
	size_t need;

	sh->every = (uint64_t)sh->ctrl[C_EVERY];
	sh->nrows = sh->every ? (uint64_t)sh->ctrl[C_ROWS] : 0;
	need = (size_t)sh->nrows * sh->n;
	if (need > sh->rows_cap) {
		free(sh->rows);
		if (!(sh->rows = malloc(need * sizeof(double))))
			return ASGD_ENOMEM;
		sh->rows_cap = need;
	}
	memcpy(sh->x, sh->ctrl + CHDR, sh->n * sizeof(double));
	memset(&sh->tally, 0, sizeof(sh->tally));
	sh->tally.coords = sh->n;
	sh->clock = 0;
	sh->target = UINT64_MAX;
	sh->heard = MPI_Wtime();
	keep_row(sh, 0);
	return ASGD_OK;
}

/* The piece in sh->in, from worker @w: apply, count, answer. */
static int take_piece(struct shard *sh, unsigned w, int bytes)
{
	size_t nnz = (size_t)sh->in[G_NNZ], need = (size_t)sh->in[G_NEED];
	const double *val = sh->in + SHDR;
	const uint32_t *idx = (const uint32_t *)(val + nnz), *want = idx + nnz;
	struct answer *a = &sh->ans[w];
	double tau = (double)sh->clock - sh->in[G_VERSION];

	for (size_t e = 0; e < nnz; e++)
		sh->x[asgd_partition_local(&sh->part, idx[e])] -= sh->cfg->eta * val[e];
	sh->clock++;
	keep_row(sh, sh->clock);
	sh->tally.applied++;
	sh->tally.coords_written += nnz;
	sh->tally.bytes_in += (uint64_t)bytes;
	sh->tally.tau_sum += tau;
	sh->tally.tau_sumsq += tau * tau;
	if (tau > (double)sh->tally.tau_max)
		sh->tally.tau_max = (uint64_t)tau;
	if (a->send != MPI_REQUEST_NULL)
		MPI_Wait(&a->send, MPI_STATUS_IGNORE);
	a->msg[P_KIND] = KIND_VALUES;
	a->msg[P_REPLICA] = sh->ctrl[C_REPLICA];
	a->msg[P_VERSION] = (double)sh->clock;
	a->msg[3] = 0;
	for (size_t e = 0; e < need; e++)
		a->msg[HDR + e] = sh->x[asgd_partition_local(&sh->part, want[e])];
	sh->tally.bytes_out += (HDR + need) * sizeof(double);
	sh->heard = MPI_Wtime();
	return MPI_Isend(a->msg, (int)(HDR + need), MPI_DOUBLE, (int)(sh->servers + w),
			 TAG_PARAMS, MPI_COMM_WORLD, &a->send) == MPI_SUCCESS
		       ? ASGD_OK
		       : ASGD_EIO;
}

/* After END: pieces that do not come within the timeout never will (a worker died mid-send). */
static int shard_give_up(void *arg)
{
	const struct shard *sh = arg;

	return sh->target != UINT64_MAX && MPI_Wtime() - sh->heard > sh->timeout;
}

static int post_piece(struct shard *sh)
{
	return MPI_Irecv(sh->in, (int)asgd__mpi_grad_bytes(sh->cfg), MPI_BYTE, MPI_ANY_SOURCE,
			 TAG_GRAD, MPI_COMM_WORLD, &sh->rq[0]) == MPI_SUCCESS
		       ? ASGD_OK
		       : ASGD_EIO;
}

/* Pieces until END has come and this server has applied as many updates as rank 0. */
static int serve_replica(struct shard *sh)
{
	int rc = post_piece(sh);

	if (rc == ASGD_OK && MPI_Irecv(sh->ctrl, (int)(CHDR + sh->n), MPI_DOUBLE, 0, TAG_CTRL,
				       MPI_COMM_WORLD, &sh->rq[1]) != MPI_SUCCESS)
		rc = ASGD_EIO;
	while (rc == ASGD_OK && sh->clock < sh->target) {
		MPI_Status st;
		int i, got = asgd__mpi_poll(sh->rq[1] == MPI_REQUEST_NULL ? 1 : 2, sh->rq, &i, &st,
					    shard_give_up, sh);

		if (got == 0)
			break;
		if (got < 0) {
			rc = ASGD_EIO;
		} else if (i == 1) {
			sh->target = (uint64_t)sh->ctrl[C_UPDATES]; /* END */
			sh->heard = MPI_Wtime();
		} else {
			int bytes = 0;

			MPI_Get_count(&st, MPI_BYTE, &bytes);
			rc = take_piece(sh, (unsigned)st.MPI_SOURCE - sh->servers,
					bytes);
			if (rc == ASGD_OK && sh->clock < sh->target)
				rc = post_piece(sh);
		}
	}
	for (int i = 0; i < 2; i++)
		if (sh->rq[i] != MPI_REQUEST_NULL) {
			MPI_Cancel(&sh->rq[i]);
			MPI_Wait(&sh->rq[i], MPI_STATUS_IGNORE);
		}
	return rc;
}

/* RESULT: the tally, x on the owned coordinates, the rows. */
static int send_result(struct shard *sh)
{
	size_t count = RHDR + sh->n + (size_t)sh->nrows * sh->n;
	double *msg;
	int rc;

	for (unsigned w = 0; w < sh->workers; w++) /* small, so sent eagerly: done at once */
		if (sh->ans[w].send != MPI_REQUEST_NULL)
			MPI_Wait(&sh->ans[w].send, MPI_STATUS_IGNORE);
	if (count > INT_MAX)
		return ASGD_EINVAL;
	if (!(msg = malloc(count * sizeof(double))))
		return ASGD_ENOMEM;
	msg[R_APPLIED] = (double)sh->tally.applied;
	msg[R_WRITTEN] = (double)sh->tally.coords_written;
	msg[R_BYTES_IN] = (double)sh->tally.bytes_in;
	msg[R_BYTES_OUT] = (double)sh->tally.bytes_out;
	msg[R_TAU_SUM] = sh->tally.tau_sum;
	msg[R_TAU_SUMSQ] = sh->tally.tau_sumsq;
	msg[R_TAU_MAX] = (double)sh->tally.tau_max;
	memcpy(msg + RHDR, sh->x, sh->n * sizeof(double));
	if (sh->nrows)
		memcpy(msg + RHDR + sh->n, sh->rows, (size_t)sh->nrows * sh->n * sizeof(double));
	rc = MPI_Send(msg, (int)count, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD) == MPI_SUCCESS
		     ? ASGD_OK
		     : ASGD_EIO;
	free(msg);
	return rc;
}

int asgd__mpi_server_serve(const asgd_engine_config *cfg, int rank)
{
	struct shard sh;
	int rc = shard_init(&sh, cfg, rank);

	while (rc == ASGD_OK) {
		rc = asgd__mpi_recv_root(sh.ctrl, (int)(CHDR + sh.n), TAG_CTRL);
		if (rc != ASGD_OK || sh.ctrl[C_KIND] == KIND_FINISH)
			break;
		if (sh.ctrl[C_KIND] != KIND_START)
			continue;
		rc = start_replica(&sh);
		if (rc == ASGD_OK)
			rc = serve_replica(&sh);
		if (rc == ASGD_OK)
			rc = send_result(&sh);
	}
	shard_free(&sh);
	return rc;
}

#endif /* ASGD_HAVE_MPI */
