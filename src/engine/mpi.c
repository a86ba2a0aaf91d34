/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi.c — the parameter-server mode on MPI (asgd/mpi.h has the protocol and why two-sided).
 *
 * The story of one replica, from the master's side:
 *   1. Send every worker PARAMS(replica, version 0, x_0).
 *   2. Take gradients in arrival order (one posted receive from any source); record τ = k − v;
 *      apply; answer the sender with PARAMS(k+1, x_{k+1}) — VALUES(k+1, x_{k+1} where the
 *      gradient said its next one reads) with sparse messages — or STOP once iters are applied.
 *   3. Drain: every worker still owing a gradient sends one more; count it discarded, STOP it.
 * A worker silent for mpi_timeout_s while it owes a gradient is counted lost and not waited
 * for. Waiting polls with short sleeps rather than blocking in MPI, whose blocking calls spin:
 * with more ranks than cores, a spinning rank steals the core of the rank it waits for.
 */
#include "asgd/mpi.h"

#include "asgd/error.h"

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

int asgd_mpi_finish(void)
{
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
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "asgd/rng.h"
#include "asgd/work.h"
#include "engine_internal.h"

enum { TAG_PARAMS = 1, TAG_GRAD = 2 };
/* KIND_PARAMS carries all of x; KIND_VALUES (sparse messages) x at the coordinates the worker
 * asked for with its last gradient, in the order it asked. */
enum { KIND_PARAMS = 1, KIND_STOP = 2, KIND_FINISH = 3, KIND_VALUES = 4 };
/* Message headers, in doubles (exact for integers below 2^53). */
enum { HDR = 4 };
enum { P_KIND, P_REPLICA, P_VERSION };  /* master → worker */
enum { G_VERSION, G_BATCH, G_COMPUTED, G_NNZ, G_NEED, SHDR }; /* worker → master */
/*
 * A sparse GRAD, in bytes: SHDR doubles (G_NNZ gradient entries, G_NEED coordinates wanted
 * next), G_NNZ values (double), G_NNZ indices (uint32), G_NEED indices (uint32): 48 + 12·nnz +
 * 4·need bytes, against 32 + 8d dense. Its answer: HDR doubles and need values, 32 + 8·need.
 */

#define DEFAULT_TIMEOUT_S 30.0
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

/* Waits for @rq, polling: yield a few times, then nap. Returns 1 when it completed (status in
 * @st), 0 when @give_up said so first (checked between naps), −1 on an MPI error. */
static int poll_request(MPI_Request *rq, MPI_Status *st, int (*give_up)(void *), void *arg)
{
	const struct timespec nap = { 0, POLL_NAP_NS };

	for (unsigned i = 0;; i++) {
		int done = 0;

		if (MPI_Test(rq, &done, st) != MPI_SUCCESS)
			return -1;
		if (done)
			return 1;
		if (i < POLL_YIELDS) {
			sched_yield();
			continue;
		}
		if (give_up && give_up(arg))
			return 0;
		nanosleep(&nap, NULL);
	}
}

/* ---- the worker side ------------------------------------------------------------------- */

struct mpi_worker {
	const asgd_engine_config *cfg;
	unsigned id;
	size_t dim, n;
	double *in;   /* HDR + dim: the last PARAMS */
	double *out;  /* HDR + dim: the gradient message (sparse: sparse_grad_bytes) */
	double *scratch;
	size_t *perm;
	asgd_rng rng;
	double replica;
	uint64_t computed;
	/* sparse messages only (sparse_messages()): */
	int sparse;
	struct asgd__sparse_grad sg;
	struct asgd__live x;     /* this worker's copy of x: fresh on the coordinates it pulled */
	size_t *rows;            /* the components of the next gradient, drawn ahead */
	unsigned rows_batch;
	uint32_t *need;          /* the union of their supports: what the next PARAMS brings */
	size_t need_len;
	uint8_t *mark;           /* dim flags, all 0 between uses: building that union */
};

/* Sparse messages when the problem is sparse and an update writes only the gradient's support:
 * no momentum (its velocity moves every coordinate), and no batch schedule (the batch of the
 * next gradient, drawn before its version is known, must not depend on that version). */
static int sparse_messages(const asgd_engine_config *cfg)
{
	return asgd_problem_is_sparse(cfg->problem) && cfg->momentum == 0 && !cfg->schedule.size;
}

/* The largest sparse GRAD, in bytes. */
static size_t sparse_grad_bytes(const asgd_engine_config *cfg)
{
	size_t dim = asgd_problem_dim(cfg->problem);
	size_t nnz = (size_t)asgd__engine_max_batch(cfg) * asgd_problem_max_support(cfg->problem);
	size_t need = nnz < dim ? nnz : dim;

	return SHDR * sizeof(double) + nnz * (sizeof(double) + sizeof(uint32_t)) +
	       need * sizeof(uint32_t);
}

static int worker_init_sparse(struct mpi_worker *w)
{
	const asgd_problem *p = w->cfg->problem;
	unsigned b = asgd__engine_max_batch(w->cfg);

	w->sparse = 1;
	free(w->out);
	w->out = malloc(sparse_grad_bytes(w->cfg));
	w->rows = malloc((b ? b : 1) * sizeof(size_t));
	w->need = malloc((size_t)(b ? b : 1) * asgd_problem_max_support(p) * sizeof(uint32_t));
	w->mark = calloc(w->dim, 1);
	if (!w->out || !w->rows || !w->need || !w->mark ||
	    asgd__sparse_grad_init(&w->sg, p, b) != ASGD_OK ||
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
	return sparse_messages(cfg) ? worker_init_sparse(w) : ASGD_OK;
}

static void worker_free(struct mpi_worker *w)
{
	free(w->in);
	free(w->out);
	free(w->scratch);
	free(w->perm);
	if (w->sparse) {
		asgd__sparse_grad_free(&w->sg);
		asgd__live_free(&w->x);
		free(w->rows);
		free(w->need);
		free(w->mark);
	}
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

/* Compute, spend, send one gradient for the PARAMS in w->in. Returns ASGD_OK or ASGD_EIO. */
static int worker_answer(struct mpi_worker *w)
{
	uint64_t v = (uint64_t)w->in[P_VERSION];
	unsigned batch = asgd__engine_batch_for(w->cfg, v);

	if (w->in[P_REPLICA] != w->replica)
		worker_start_replica(w, w->in[P_REPLICA]);
	asgd__dense_grad(w->cfg->problem, w->in + HDR, batch, &w->rng, w->perm, NULL, w->out + HDR,
			 w->scratch);
	w->computed++;
	asgd_work_do(&w->cfg->work, &w->rng);
	spend_delay(w);
	if (asgd__fault_strike(w->cfg, w->id, w->computed) == ASGD_FAULT_LEAVE)
		_exit(3); /* a rank that dies: no goodbye, no MPI_Finalize */
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

	w->rows_batch = asgd__engine_batch_for(w->cfg, 0); /* constant: sparse_messages() */
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

/* The PARAMS in w->in into w->x: all of x, or the values at w->need. */
static void take_params(struct mpi_worker *w)
{
	const double *v = w->in + HDR;

	if (w->in[P_KIND] == KIND_PARAMS) {
		for (size_t j = 0; j < w->dim; j++)
			atomic_store_explicit(&w->x.d[j], v[j], memory_order_relaxed);
		return;
	}
	for (size_t e = 0; e < w->need_len; e++)
		atomic_store_explicit(&w->x.d[w->need[e]], v[e], memory_order_relaxed);
}

/* worker_answer with sparse messages: the gradient's non-zeros, and what the next one needs. */
static int worker_answer_sparse(struct mpi_worker *w)
{
	uint64_t v = (uint64_t)w->in[P_VERSION];
	double *hdr = w->out, *val = hdr + SHDR;
	uint32_t *idx, *need;
	size_t nnz, bytes;

	if (w->in[P_KIND] == KIND_PARAMS) { /* a replica's first: nothing drawn ahead yet */
		if (w->in[P_REPLICA] != w->replica)
			worker_start_replica(w, w->in[P_REPLICA]);
		take_params(w);
		draw_next(w);
	} else {
		take_params(w);
	}
	asgd__sparse_grad_of_rows(&w->sg, w->cfg->problem, w->x, w->rows, w->rows_batch);
	w->computed++;
	asgd_work_do(&w->cfg->work, &w->rng);
	spend_delay(w);
	if (asgd__fault_strike(w->cfg, w->id, w->computed) == ASGD_FAULT_LEAVE)
		_exit(3); /* a rank that dies: no goodbye, no MPI_Finalize */
	nnz = w->sg.nnz;
	hdr[G_VERSION] = (double)v;
	hdr[G_BATCH] = w->rows_batch;
	hdr[G_COMPUTED] = (double)w->computed;
	hdr[G_NNZ] = (double)nnz;
	memcpy(val, w->sg.val, nnz * sizeof(double));
	idx = (uint32_t *)(val + nnz);
	memcpy(idx, w->sg.idx, nnz * sizeof(uint32_t));
	draw_next(w); /* after this gradient's work and delay, as its computation would */
	need = idx + nnz;
	memcpy(need, w->need, w->need_len * sizeof(uint32_t));
	hdr[G_NEED] = (double)w->need_len;
	bytes = SHDR * sizeof(double) + nnz * (sizeof(double) + sizeof(uint32_t)) +
		w->need_len * sizeof(uint32_t);
	if (MPI_Send(w->out, (int)bytes, MPI_BYTE, 0, TAG_GRAD, MPI_COMM_WORLD) != MPI_SUCCESS)
		return ASGD_EIO;
	return ASGD_OK;
}

int asgd_mpi_serve(const asgd_engine_config *cfg)
{
	struct mpi_worker w;
	int rank, rc;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	if (!cfg || !cfg->problem || rank < 1)
		return ASGD_EINVAL;
	rc = worker_init(&w, cfg, (unsigned)rank - 1);
	asgd_work_thread_setup();
	while (rc == ASGD_OK) {
		MPI_Request rq;
		MPI_Status st;

		if (MPI_Irecv(w.in, (int)(HDR + w.dim), MPI_DOUBLE, 0, TAG_PARAMS, MPI_COMM_WORLD,
			      &rq) != MPI_SUCCESS ||
		    poll_request(&rq, &st, NULL, NULL) != 1) {
			rc = ASGD_EIO;
			break;
		}
		if (w.in[P_KIND] == KIND_FINISH)
			break;
		if (w.sparse && (w.in[P_KIND] == KIND_PARAMS || w.in[P_KIND] == KIND_VALUES))
			rc = worker_answer_sparse(&w);
		else if (w.in[P_KIND] == KIND_PARAMS)
			rc = worker_answer(&w);
	}
	worker_free(&w);
	return rc;
}

int asgd_mpi_finish(void)
{
	double msg[HDR] = { KIND_FINISH, 0, 0, 0 };
	int size;

	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (int r = 1; r < size; r++)
		MPI_Send(msg, HDR, MPI_DOUBLE, r, TAG_PARAMS, MPI_COMM_WORLD);
	return ASGD_OK;
}

/* ---- the master side ------------------------------------------------------------------- */

struct peer {
	double *msg;        /* HDR + dim: what we last sent it */
	MPI_Request send;   /* that send, until complete */
	int owes;           /* it has parameters and owes us a gradient */
	int lost;           /* silent past the timeout while owing */
	double heard;       /* MPI_Wtime of the last message from it */
	uint64_t computed;  /* gradients it says it computed this replica */
};

struct master {
	const asgd_engine_config *cfg;
	asgd_engine_result *res;
	size_t dim;
	unsigned workers;
	double timeout;
	double *x, *velocity, *in;
	int sparse;         /* sparse_messages(): in holds a sparse GRAD, answered with VALUES */
	size_t in_bytes;    /* the size of in */
	struct peer *peer;
	MPI_Request recv;
	int recv_posted;
	int draining;       /* the stop flag no longer cuts a wait short: owed gradients come in */
};

/* The coordinates the sparse GRAD in m->in asks for next, and their number in *@len. */
static const uint32_t *grad_need(const struct master *m, size_t *len)
{
	size_t nnz = (size_t)m->in[G_NNZ];

	*len = (size_t)m->in[G_NEED];
	return (const uint32_t *)(m->in + SHDR + nnz) + nnz;
}

/* KIND_PARAMS: all of x; KIND_VALUES: x where the gradient just taken (m->in) asked. */
static int send_to(struct master *m, unsigned w, double kind, uint64_t version)
{
	struct peer *p = &m->peer[w];
	int count = kind == KIND_PARAMS ? (int)(HDR + m->dim) : HDR;

	if (p->send != MPI_REQUEST_NULL)
		MPI_Wait(&p->send, MPI_STATUS_IGNORE);
	p->msg[P_KIND] = kind;
	p->msg[P_REPLICA] = (double)m->cfg->replica;
	p->msg[P_VERSION] = (double)version;
	if (kind == KIND_PARAMS)
		memcpy(p->msg + HDR, m->x, m->dim * sizeof(double));
	if (kind == KIND_VALUES) {
		size_t len;
		const uint32_t *need = grad_need(m, &len);

		for (size_t e = 0; e < len; e++)
			p->msg[HDR + e] = m->x[need[e]];
		count = (int)(HDR + len);
	}
	m->res->mpi_bytes_to_workers += (uint64_t)count * sizeof(double);
	p->owes = kind == KIND_PARAMS || kind == KIND_VALUES;
	p->heard = MPI_Wtime();
	return MPI_Isend(p->msg, count, MPI_DOUBLE, (int)w + 1, TAG_PARAMS, MPI_COMM_WORLD,
			 &p->send) == MPI_SUCCESS
		       ? ASGD_OK
		       : ASGD_EIO;
}

/* Workers that owe a gradient and have not been given up on. */
static unsigned owing(const struct master *m)
{
	unsigned c = 0;

	for (unsigned w = 0; w < m->workers; w++)
		c += m->peer[w].owes && !m->peer[w].lost;
	return c;
}

/* Between naps: the stop flag, and workers silent past the timeout. */
static int master_give_up(void *arg)
{
	struct master *m = arg;
	double now = MPI_Wtime();

	if (!m->draining && m->cfg->stop &&
	    atomic_load_explicit(m->cfg->stop, memory_order_relaxed))
		return 1;
	for (unsigned w = 0; w < m->workers; w++) {
		struct peer *p = &m->peer[w];

		if (p->owes && !p->lost && now - p->heard > m->timeout) {
			p->lost = 1;
			m->res->workers_lost++;
		}
	}
	return owing(m) == 0;
}

static uint64_t received_bytes(const struct master *m, MPI_Status *st)
{
	int count = 0;

	MPI_Get_count(st, m->sparse ? MPI_BYTE : MPI_DOUBLE, &count);
	return (uint64_t)count * (m->sparse ? 1 : sizeof(double));
}

/* The next gradient, its sender in *w; 0 when none will come (stop flag, or nobody owes). */
static int next_gradient(struct master *m, unsigned *w)
{
	MPI_Status st;
	int got;

	if (owing(m) == 0)
		return 0;
	if (!m->recv_posted) {
		if ((m->sparse ? MPI_Irecv(m->in, (int)m->in_bytes, MPI_BYTE, MPI_ANY_SOURCE,
					   TAG_GRAD, MPI_COMM_WORLD, &m->recv)
			       : MPI_Irecv(m->in, (int)(HDR + m->dim), MPI_DOUBLE, MPI_ANY_SOURCE,
					   TAG_GRAD, MPI_COMM_WORLD, &m->recv)) != MPI_SUCCESS)
			return 0;
		m->recv_posted = 1;
	}
	got = poll_request(&m->recv, &st, master_give_up, m);
	if (got != 1)
		return 0;
	m->recv_posted = 0;
	m->res->mpi_bytes_to_master += received_bytes(m, &st);
	*w = (unsigned)st.MPI_SOURCE - 1;
	if (m->peer[*w].lost) { /* late, not dead after all */
		m->peer[*w].lost = 0;
		m->res->workers_lost--;
	}
	m->peer[*w].owes = 0;
	m->peer[*w].heard = MPI_Wtime();
	m->peer[*w].computed = (uint64_t)m->in[G_COMPUTED];
	return 1;
}

/* x_{k+1} = x_k − ηg, or the heavy ball (2.6); 0 when x is no longer finite. */
static int apply(struct master *m, const double *g)
{
	const double eta = m->cfg->eta, beta = m->cfg->momentum;
	unsigned bad = 0;

	for (size_t j = 0; j < m->dim; j++) {
		if (m->velocity) {
			m->velocity[j] = beta * m->velocity[j] - eta * g[j];
			m->x[j] += m->velocity[j];
		} else {
			m->x[j] -= eta * g[j];
		}
		bad |= asgd__not_finite(m->x[j]);
	}
	return !bad;
}

/* apply() for a sparse GRAD: x −= ηg on its support only. */
static int apply_sparse(struct master *m)
{
	const double eta = m->cfg->eta;
	size_t nnz = (size_t)m->in[G_NNZ];
	const double *val = m->in + SHDR;
	const uint32_t *idx = (const uint32_t *)(val + nnz);
	unsigned bad = 0;

	for (size_t e = 0; e < nnz; e++) {
		double *xj = &m->x[idx[e]];

		*xj -= eta * val[e];
		bad |= asgd__not_finite(*xj);
	}
	return !bad;
}

static void record(struct master *m, uint64_t k, unsigned w)
{
	double *row = asgd__trajectory_row(m->cfg, k + 1, m->dim);

	if (m->res->tau) {
		m->res->tau[k] = k - (uint64_t)m->in[G_VERSION];
		m->res->worker[k] = w;
	}
	m->res->evaluations += (uint64_t)m->in[G_BATCH];
	m->res->coords_written += m->sparse ? (uint64_t)m->in[G_NNZ] : m->dim;
	if (row)
		memcpy(row, m->x, m->dim * sizeof(double));
}

static void master_loop(struct master *m)
{
	const asgd_engine_config *cfg = m->cfg;
	uint64_t k = 0;
	unsigned w;

	/* The flag is checked per update, not only between naps: gradients that keep arriving
	 * would otherwise keep a busy master from ever seeing it. */
	while (k < cfg->iters && !(cfg->stop && atomic_load_explicit(cfg->stop, memory_order_relaxed)) &&
	       next_gradient(m, &w)) {
		int finite = m->sparse ? apply_sparse(m) : apply(m, m->in + HDR);

		record(m, k, w);
		k++;
		if (!finite) {
			m->res->diverged = 1;
			break;
		}
		send_to(m, w, k >= cfg->iters ? KIND_STOP : m->sparse ? KIND_VALUES : KIND_PARAMS,
			k);
	}
	m->res->applied = k;
	if (!m->res->diverged && k < cfg->iters) {
		if (cfg->stop && atomic_load(cfg->stop))
			m->res->interrupted = 1;
		else
			m->res->starved = 1;
	}
}

/* Completes the last send to @p. A send to a lost (dead) rank may never complete: a message
 * past the eager limit (x_0 in full, tens of KB) waits for a receive that will not come, so it
 * is let go instead, and its buffer with it — never freed, as MPI may still hold it. */
static void finish_send(struct peer *p)
{
	if (!p->lost) {
		MPI_Wait(&p->send, MPI_STATUS_IGNORE);
		return;
	}
	MPI_Request_free(&p->send);
	p->msg = NULL;
}

/* Every worker still owing a gradient sends one: discarded, and the worker is stopped. */
static void drain(struct master *m)
{
	unsigned w;

	m->draining = 1; /* else a stray gradient would be taken for the next replica's */
	while (next_gradient(m, &w)) {
		m->res->discarded++;
		send_to(m, w, KIND_STOP, 0);
	}
	if (m->recv_posted) {
		MPI_Cancel(&m->recv);
		MPI_Wait(&m->recv, MPI_STATUS_IGNORE);
		m->recv_posted = 0;
	}
	for (unsigned i = 0; i < m->workers; i++)
		if (m->peer[i].send != MPI_REQUEST_NULL)
			finish_send(&m->peer[i]);
}

static int master_init(struct master *m, const asgd_engine_config *cfg, asgd_engine_result *res)
{
	const double *x0 = cfg->x0 ? cfg->x0 : asgd_problem_x0(cfg->problem);
	int size;

	memset(m, 0, sizeof(*m));
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	m->cfg = cfg;
	m->res = res;
	m->dim = asgd_problem_dim(cfg->problem);
	m->workers = (unsigned)size - 1;
	m->timeout = cfg->mpi_timeout_s > 0 ? cfg->mpi_timeout_s : DEFAULT_TIMEOUT_S;
	if (size < 2 || cfg->workers != m->workers)
		return ASGD_EINVAL;
	m->sparse = sparse_messages(cfg);
	res->mpi_sparse = m->sparse;
	m->in_bytes = (HDR + m->dim) * sizeof(double);
	if (m->sparse && sparse_grad_bytes(cfg) > m->in_bytes)
		m->in_bytes = sparse_grad_bytes(cfg);
	m->x = malloc(m->dim * sizeof(double));
	m->in = malloc(m->in_bytes);
	m->peer = calloc(m->workers, sizeof(*m->peer));
	res->x_final = malloc(m->dim * sizeof(double));
	if (!m->x || !m->in || !m->peer || !res->x_final)
		return ASGD_ENOMEM;
	if (cfg->momentum != 0 && !(m->velocity = calloc(m->dim, sizeof(double))))
		return ASGD_ENOMEM;
	for (unsigned w = 0; w < m->workers; w++) {
		m->peer[w].send = MPI_REQUEST_NULL;
		if (!(m->peer[w].msg = malloc((HDR + m->dim) * sizeof(double))))
			return ASGD_ENOMEM;
	}
	if (asgd__staleness_alloc(cfg, res) != ASGD_OK)
		return ASGD_ENOMEM;
	memcpy(m->x, x0, m->dim * sizeof(double));
	if (cfg->trajectory)
		memcpy(cfg->trajectory, x0, m->dim * sizeof(double));
	return ASGD_OK;
}

static void master_free(struct master *m)
{
	if (m->peer)
		for (unsigned w = 0; w < m->workers; w++)
			free(m->peer[w].msg);
	free(m->peer);
	free(m->x);
	free(m->in);
	free(m->velocity);
}

int asgd__mpi_master_run(const asgd_engine_config *cfg, asgd_engine_result *res)
{
	struct master m;
	double t0;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = master_init(&m, cfg, res);
	t0 = MPI_Wtime();
	for (unsigned w = 0; rc == ASGD_OK && w < m.workers; w++)
		rc = send_to(&m, w, KIND_PARAMS, 0);
	if (rc == ASGD_OK) {
		master_loop(&m);
		drain(&m);
	}
	res->wall_s = MPI_Wtime() - t0;
	for (unsigned w = 0; rc == ASGD_OK && w < m.workers; w++)
		res->computed += m.peer[w].computed;
	res->work_mean_ns = NAN; /* spent on other ranks; not measured here */
	res->work_cv = NAN;
	if (rc == ASGD_OK) {
		memcpy(res->x_final, m.x, m.dim * sizeof(double));
		asgd__check_accounting(res, "mpi");
	}
	master_free(&m);
	if (rc != ASGD_OK)
		asgd_engine_result_free(res);
	return rc;
}

#endif /* ASGD_HAVE_MPI */
