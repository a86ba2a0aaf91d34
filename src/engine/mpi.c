/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi.c — the parameter-server mode on MPI (asgd/mpi.h has the protocol and why two-sided).
 *
 * The story of one replica, from the master's side:
 *   1. Send every worker PARAMS(replica, version 0, x_0).
 *   2. Take gradients in arrival order (one posted receive from any source); record τ = k − v;
 *      apply; answer the sender with PARAMS(k+1, x_{k+1}), or STOP once iters are applied.
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
enum { KIND_PARAMS = 1, KIND_STOP = 2, KIND_FINISH = 3 };
/* Message headers, in doubles (exact for integers below 2^53). */
enum { HDR = 4 };
enum { P_KIND, P_REPLICA, P_VERSION };      /* master → worker */
enum { G_VERSION, G_BATCH, G_COMPUTED };    /* worker → master */

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
	double *out;  /* HDR + dim: the gradient message */
	double *scratch;
	size_t *perm;
	asgd_rng rng;
	double replica;
	uint64_t computed;
};

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
	return ASGD_OK;
}

static void worker_free(struct mpi_worker *w)
{
	free(w->in);
	free(w->out);
	free(w->scratch);
	free(w->perm);
}

/* A new replica starts a fresh stream, the one master mode's thread @id would use. */
static void worker_start_replica(struct mpi_worker *w, double replica)
{
	uint64_t r = (uint64_t)replica;

	w->replica = replica;
	w->computed = 0;
	for (size_t i = 0; i < w->n; i++)
		w->perm[i] = i;
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
		if (w.in[P_KIND] == KIND_PARAMS)
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
	struct peer *peer;
	MPI_Request recv;
	int recv_posted;
	int draining;       /* the stop flag no longer cuts a wait short: owed gradients come in */
};

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
	p->owes = kind == KIND_PARAMS;
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

/* The next gradient, its sender in *w; 0 when none will come (stop flag, or nobody owes). */
static int next_gradient(struct master *m, unsigned *w)
{
	MPI_Status st;
	int got;

	if (owing(m) == 0)
		return 0;
	if (!m->recv_posted) {
		if (MPI_Irecv(m->in, (int)(HDR + m->dim), MPI_DOUBLE, MPI_ANY_SOURCE, TAG_GRAD,
			      MPI_COMM_WORLD, &m->recv) != MPI_SUCCESS)
			return 0;
		m->recv_posted = 1;
	}
	got = poll_request(&m->recv, &st, master_give_up, m);
	if (got != 1)
		return 0;
	m->recv_posted = 0;
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

static void record(struct master *m, uint64_t k, unsigned w)
{
	double *row = asgd__trajectory_row(m->cfg, k + 1, m->dim);

	if (m->res->tau) {
		m->res->tau[k] = k - (uint64_t)m->in[G_VERSION];
		m->res->worker[k] = w;
	}
	m->res->evaluations += (uint64_t)m->in[G_BATCH];
	m->res->coords_written += m->dim;
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
		int finite = apply(m, m->in + HDR);

		record(m, k, w);
		k++;
		if (!finite) {
			m->res->diverged = 1;
			break;
		}
		send_to(m, w, k < cfg->iters ? KIND_PARAMS : KIND_STOP, k);
	}
	m->res->applied = k;
	if (!m->res->diverged && k < cfg->iters) {
		if (cfg->stop && atomic_load(cfg->stop))
			m->res->interrupted = 1;
		else
			m->res->starved = 1;
	}
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
			MPI_Wait(&m->peer[i].send, MPI_STATUS_IGNORE);
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
	m->x = malloc(m->dim * sizeof(double));
	m->in = malloc((HDR + m->dim) * sizeof(double));
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
