/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_worker.c — a worker rank of the MPI mode (asgd/mpi.h): gradients on the parameters the
 * servers send, one in flight.
 *
 * Dense messages: every PARAMS from rank 0 is answered by one GRAD with the whole gradient.
 * Sparse messages: a replica starts with x_0 in full; then, per gradient,
 *   1. compute it on the rows drawn last time (their coordinates are fresh), spend the work
 *      and the delay;
 *   2. draw the rows of the next one, and the coordinates they read;
 *   3. send each server its piece: the gradient's non-zeros and the wanted coordinates that it
 *      owns, with the clock of that server's values this gradient read;
 *   4. take every server's answer: its values at the wanted coordinates and its clock — or,
 *      from rank 0, STOP: the replica is over.
 * With one server this is the exchange of one GRAD and one VALUES with rank 0.
 */
#ifdef ASGD_HAVE_MPI

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/rng.h"
#include "asgd/work.h"
#include "engine_internal.h"
#include "mpi_internal.h"

/* One server's side of the current gradient: the piece sent, and the answer taken. */
struct piece {
	double *out;     /* the GRAD piece (asgd__mpi_grad_bytes) */
	double *in;      /* HDR + its wanted values: the answer */
	size_t nnz, need;
	size_t fill_nnz, fill_need; /* cursors while it is filled */
	double clock;    /* the server's clock with the values last taken from it */
};

struct mpi_worker {
	const asgd_engine_config *cfg;
	unsigned id;
	size_t dim, n;
	double *in;   /* HDR + dim: the last PARAMS from rank 0 */
	double *out;  /* HDR + dim: the dense gradient message */
	double *scratch;
	size_t *perm;
	asgd_rng rng;
	double replica;
	uint64_t computed;
	/* sparse messages only (asgd__mpi_sparse()): */
	int sparse;
	unsigned servers;
	asgd_partition part;
	struct piece *piece;     /* servers of them */
	MPI_Request *rq;         /* servers of them: the sends, then the answers */
	struct asgd__sparse_grad sg;
	struct asgd__live x;     /* this worker's copy of x: fresh on the coordinates it pulled */
	size_t *rows;            /* the components of the next gradient, drawn ahead */
	unsigned rows_batch;
	uint32_t *need;          /* the union of their supports: what the next answers bring */
	size_t need_len;
	uint8_t *mark;           /* dim flags, all 0 between uses: building that union */
	uint32_t *owner;         /* the server of each gradient entry, then of each wanted one */
};

static int worker_init_sparse(struct mpi_worker *w)
{
	const asgd_problem *p = w->cfg->problem;
	unsigned b = asgd__engine_max_batch(w->cfg);
	size_t max_need = (size_t)(b ? b : 1) * asgd_problem_max_support(p);

	w->sparse = 1;
	w->servers = asgd__mpi_servers(w->cfg);
	if (asgd__mpi_partition(w->cfg, &w->part) != ASGD_OK)
		return ASGD_EINVAL;
	w->piece = calloc(w->servers, sizeof(*w->piece));
	w->rq = malloc(w->servers * sizeof(*w->rq));
	w->rows = malloc((b ? b : 1) * sizeof(size_t));
	w->need = malloc(max_need * sizeof(uint32_t));
	w->mark = calloc(w->dim, 1);
	w->owner = malloc(2 * max_need * sizeof(uint32_t));
	if (!w->piece || !w->rq || !w->rows || !w->need || !w->mark || !w->owner)
		return ASGD_ENOMEM;
	for (unsigned s = 0; s < w->servers; s++) {
		w->piece[s].out = malloc(asgd__mpi_grad_bytes(w->cfg));
		w->piece[s].in = malloc((HDR + max_need) * sizeof(double));
		if (!w->piece[s].out || !w->piece[s].in)
			return ASGD_ENOMEM;
	}
	if (asgd__sparse_grad_init(&w->sg, p, b) != ASGD_OK ||
	    asgd__live_init(&w->x, ASGD_PRECISION_F64, asgd_problem_x0(p), w->dim) != ASGD_OK)
		return ASGD_ENOMEM;
	return ASGD_OK;
}

static int worker_init(struct mpi_worker *w, const asgd_engine_config *cfg, unsigned id)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->id = id;
	w->dim = asgd_problem_dim(cfg->problem);
	w->n = asgd_problem_components(cfg->problem);
	w->in = malloc((HDR + w->dim) * sizeof(double));
	w->out = malloc((HDR + w->dim) * sizeof(double));
	w->scratch = malloc(w->dim * sizeof(double));
	w->perm = malloc(w->n * sizeof(size_t));
	if (!w->in || !w->out || !w->scratch || !w->perm)
		return ASGD_ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		w->perm[i] = i;
	w->replica = -1;
	return asgd__mpi_sparse(cfg) ? worker_init_sparse(w) : ASGD_OK;
}

static void worker_free(struct mpi_worker *w)
{
	free(w->in);
	free(w->out);
	free(w->scratch);
	free(w->perm);
	if (!w->sparse)
		return;
	for (unsigned s = 0; w->piece && s < w->servers; s++) {
		free(w->piece[s].out);
		free(w->piece[s].in);
	}
	free(w->piece);
	free(w->rq);
	asgd__sparse_grad_free(&w->sg);
	asgd__live_free(&w->x);
	free(w->rows);
	free(w->need);
	free(w->mark);
	free(w->owner);
}

/* A new replica starts a fresh stream, the one master mode's thread @id would use. */
static void worker_start_replica(struct mpi_worker *w, double replica)
{
	uint64_t r = (uint64_t)replica;

	w->replica = replica;
	w->computed = 0;
	for (size_t i = 0; i < w->n; i++)
		w->perm[i] = i;
	if (w->sparse) /* the same draws as a thread of the in-place master: a fresh permutation */
		for (size_t i = 0; i < w->n; i++)
			w->sg.perm[i] = i;
	asgd_rng_init(&w->rng, w->cfg->seed, (r << 11) | w->id);
}

/* The per-message delay of this worker, if any. */
static void spend_delay(struct mpi_worker *w)
{
	const asgd_work *d = (int)w->id == w->cfg->slow_worker &&
				     w->cfg->slow_delay.kind != ASGD_WORK_NONE
			     ? &w->cfg->slow_delay
			     : &w->cfg->net_delay;

	asgd_work_do(d, &w->rng);
}

/* The work, the delay, and an injected fault, after each gradient. */
static void spend_and_strike(struct mpi_worker *w)
{
	w->computed++;
	asgd_work_do(&w->cfg->work, &w->rng);
	spend_delay(w);
	if (asgd__fault_strike(w->cfg, w->id, w->computed) == ASGD_FAULT_LEAVE)
		_exit(3); /* a rank that dies: no goodbye, no MPI_Finalize */
}

/* Dense: compute, spend, send one gradient for the PARAMS in w->in. ASGD_OK or ASGD_EIO. */
static int worker_answer(struct mpi_worker *w)
{
	uint64_t v = (uint64_t)w->in[P_VERSION];
	unsigned batch = asgd__engine_batch_for(w->cfg, v);

	if (w->in[P_REPLICA] != w->replica)
		worker_start_replica(w, w->in[P_REPLICA]);
	asgd__dense_grad(w->cfg->problem, w->in + HDR, batch, &w->rng, w->perm, NULL, w->out + HDR,
			 w->scratch);
	spend_and_strike(w);
	w->out[G_VERSION] = (double)v;
	w->out[G_BATCH] = batch;
	w->out[G_COMPUTED] = (double)w->computed;
	w->out[3] = 0;
	if (MPI_Send(w->out, (int)(HDR + w->dim), MPI_DOUBLE, 0, TAG_GRAD, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return ASGD_EIO;
	return ASGD_OK;
}

/* The components of the next gradient, from the stream where its computation would draw them,
 * and the union of their supports into w->need. */
static void draw_next(struct mpi_worker *w)
{
	const asgd_problem *p = w->cfg->problem;

	w->rows_batch = asgd__engine_batch_for(w->cfg, 0); /* constant: asgd__mpi_sparse() */
	asgd__sparse_grad_draw(&w->sg, p, w->rows_batch, &w->rng, w->rows);
	w->need_len = 0;
	for (unsigned k = 0; k < (w->rows_batch ? w->rows_batch : 1); k++) {
		const uint32_t *idx;
		size_t s = asgd_problem_support(p, w->rows[k], &idx);

		for (size_t e = 0; e < s; e++)
			if (!w->mark[idx[e]]) {
				w->mark[idx[e]] = 1;
				w->need[w->need_len++] = idx[e];
			}
	}
	for (size_t e = 0; e < w->need_len; e++)
		w->mark[w->need[e]] = 0;
}

/* Where piece @pc's sections start: values, gradient indices, wanted indices. */
static double *piece_values(const struct piece *pc)
{
	return pc->out + SHDR;
}

static uint32_t *piece_indices(const struct piece *pc)
{
	return (uint32_t *)(piece_values(pc) + pc->nnz);
}

static uint32_t *piece_wanted(const struct piece *pc)
{
	return piece_indices(pc) + pc->nnz;
}

static size_t piece_bytes(const struct piece *pc)
{
	return SHDR * sizeof(double) + pc->nnz * (sizeof(double) + sizeof(uint32_t)) +
	       pc->need * sizeof(uint32_t);
}

/* Deal the gradient (w->sg) and the wanted coordinates (w->need) to the servers' pieces, each
 * in the order of the whole: first each entry's owner and the pieces' sizes, so that each
 * section's place is known, then the entries. */
static void deal_pieces(struct mpi_worker *w, unsigned batch)
{
	const struct asgd__sparse_grad *sg = &w->sg;
	uint32_t *own = w->owner, *own_need = w->owner + sg->nnz;

	for (unsigned s = 0; s < w->servers; s++)
		w->piece[s].nnz = w->piece[s].need = w->piece[s].fill_nnz = w->piece[s].fill_need = 0;
	for (size_t e = 0; e < sg->nnz; e++)
		w->piece[own[e] = asgd_partition_owner(&w->part, sg->idx[e])].nnz++;
	for (size_t e = 0; e < w->need_len; e++)
		w->piece[own_need[e] = asgd_partition_owner(&w->part, w->need[e])].need++;
	for (unsigned s = 0; s < w->servers; s++) {
		double *hdr = w->piece[s].out;

		hdr[G_VERSION] = w->piece[s].clock;
		hdr[G_BATCH] = batch;
		hdr[G_COMPUTED] = (double)w->computed;
		hdr[G_NNZ] = (double)w->piece[s].nnz;
		hdr[G_NEED] = (double)w->piece[s].need;
	}
	for (size_t e = 0; e < sg->nnz; e++) {
		struct piece *pc = &w->piece[own[e]];

		piece_values(pc)[pc->fill_nnz] = sg->val[e];
		piece_indices(pc)[pc->fill_nnz++] = sg->idx[e];
	}
	for (size_t e = 0; e < w->need_len; e++) {
		struct piece *pc = &w->piece[own_need[e]];

		piece_wanted(pc)[pc->fill_need++] = w->need[e];
	}
}

/* Send every server its piece, rank 0's last: when rank 0 has it, the others' are on their
 * way. */
static int send_pieces(struct mpi_worker *w)
{
	for (unsigned i = 0; i < w->servers; i++) {
		unsigned s = w->servers - 1 - i;

		if (MPI_Isend(w->piece[s].out, (int)piece_bytes(&w->piece[s]), MPI_BYTE, (int)s,
			      TAG_GRAD, MPI_COMM_WORLD, &w->rq[i]) != MPI_SUCCESS)
			return ASGD_EIO;
	}
	return MPI_Waitall((int)w->servers, w->rq, MPI_STATUSES_IGNORE) == MPI_SUCCESS ? ASGD_OK
										   : ASGD_EIO;
}

/* Every server's answer: its values into w->x and its clock. Returns 1 when rank 0 said STOP
 * (the replica is over), 0 to go on, −1 on an MPI error. */
static int take_answers(struct mpi_worker *w)
{
	int stop = 0;

	for (unsigned s = 0; s < w->servers; s++)
		if (MPI_Irecv(w->piece[s].in, (int)(HDR + w->piece[s].need), MPI_DOUBLE, (int)s,
			      TAG_PARAMS, MPI_COMM_WORLD, &w->rq[s]) != MPI_SUCCESS)
			return -1;
	for (unsigned got = 0; got < w->servers; got++) {
		MPI_Status st;
		int i, rc = asgd__mpi_poll((int)w->servers, w->rq, &i, &st, NULL, NULL);
		struct piece *pc = &w->piece[i];
		const uint32_t *want = piece_wanted(pc);

		if (rc != 1)
			return -1;
		if (pc->in[P_KIND] != KIND_VALUES) {
			stop |= i == 0 && pc->in[P_KIND] == KIND_STOP;
			continue;
		}
		pc->clock = pc->in[P_VERSION];
		for (size_t e = 0; e < pc->need; e++)
			atomic_store_explicit(&w->x.d[want[e]], pc->in[HDR + e], memory_order_relaxed);
	}
	return stop;
}

/* x, all of it, from the replica's first PARAMS: x_0, or under a staleness bound x_v for a
 * worker let read only later (one server then, whose clock the PARAMS gives); the other
 * servers' clocks are 0 there. */
static void take_x0(struct mpi_worker *w)
{
	for (size_t j = 0; j < w->dim; j++)
		atomic_store_explicit(&w->x.d[j], w->in[HDR + j], memory_order_relaxed);
	for (unsigned s = 0; s < w->servers; s++)
		w->piece[s].clock = s == 0 ? w->in[P_VERSION] : 0;
}

/* A replica with sparse messages, from its first PARAMS (in w->in) to rank 0's STOP. */
static int worker_replica_sparse(struct mpi_worker *w)
{
	if (w->in[P_REPLICA] != w->replica)
		worker_start_replica(w, w->in[P_REPLICA]);
	take_x0(w);
	draw_next(w);
	for (;;) {
		unsigned batch = w->rows_batch;
		int rc;

		asgd__sparse_grad_of_rows(&w->sg, w->cfg->problem, w->x, w->rows, batch);
		spend_and_strike(w);
		draw_next(w); /* after this gradient's work and delay, as its computation would */
		deal_pieces(w, batch);
		if (send_pieces(w) != ASGD_OK)
			return ASGD_EIO;
		rc = take_answers(w);
		if (rc < 0)
			return ASGD_EIO;
		if (rc == 1)
			return ASGD_OK;
	}
}

int asgd__mpi_worker_serve(const asgd_engine_config *cfg, int rank)
{
	struct mpi_worker w;
	int rc = worker_init(&w, cfg, (unsigned)rank - asgd__mpi_servers(cfg));

	asgd_work_thread_setup();
	while (rc == ASGD_OK) {
		rc = asgd__mpi_recv_root(w.in, (int)(HDR + w.dim), TAG_PARAMS);
		if (rc != ASGD_OK || w.in[P_KIND] == KIND_FINISH)
			break;
		if (w.in[P_KIND] != KIND_PARAMS)
			continue; /* dense messages: STOP, the replica is over */
		rc = w.sparse ? worker_replica_sparse(&w) : worker_answer(&w);
	}
	worker_free(&w);
	return rc;
}

#endif /* ASGD_HAVE_MPI */
