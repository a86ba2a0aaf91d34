/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_master.c — rank 0 of the MPI mode (asgd/mpi.h): the parameter server, or with --servers
 * S ≥ 2 server 0 and the coordinator of the others.
 *
 * The story of one replica, from rank 0's side:
 *   1. (S ≥ 2) Send every other server START(x_0 on its coordinates); send every worker
 *      PARAMS(replica, version 0, x_0).
 *   2. Take gradients (S ≥ 2: their pieces on rank 0's coordinates) in arrival order, one posted
 *      receive from any source; record τ = k − v; apply; answer the sender with PARAMS(k+1,
 *      x_{k+1}) — VALUES(k+1, x_{k+1} where the gradient said its next one reads) with sparse
 *      messages — or STOP once iters are applied.
 *   3. Drain: every worker still owing a gradient sends one more; count it discarded, STOP it.
 * A worker silent for mpi_timeout_s while it owes a gradient is counted lost and not waited
 * for.
 *
 * With S ≥ 2 the ending differs, because the other servers apply every piece they receive and
 * cannot take back a discarded one: rank 0 hands out no more work than the run needs. A worker
 * whose gradient brings k + (workers still owing) to iters is parked: no answer yet. When nobody
 * owes and k < iters (a worker died owing), a parked worker is answered and goes on; at iters
 * the parked are stopped. So nothing is discarded, and every server applies the same K updates:
 * 4. (S ≥ 2) END(K) to the other servers; their RESULTs (tally, x on their coordinates, their
 *    trajectory rows) complete x_final and the trajectory.
 */
#ifdef ASGD_HAVE_MPI

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "asgd/error.h"
#include "engine_internal.h"
#include "mpi_internal.h"

struct peer {
	double *msg;        /* HDR + dim: what we last sent it */
	MPI_Request send;   /* that send, until complete */
	int owes;           /* it has parameters and owes us a gradient */
	int lost;           /* silent past the timeout while owing */
	int parked;         /* its gradient is applied, its answer held back (S ≥ 2: not needed
	                       yet; a staleness bound: waiting its turn to read) */
	int started;        /* it has read this replica (it has x_0) */
	uint32_t *want;     /* sparse messages: what a parked worker wants next … */
	size_t want_len;    /* … and how many */
	double *held_msg;   /* a staleness bound: its gradient, held back (in_bytes) */
	double heard;       /* MPI_Wtime of the last message from it */
	uint64_t computed;  /* gradients it says it computed this replica */
};

struct master {
	const asgd_engine_config *cfg;
	asgd_engine_result *res;
	size_t dim;
	unsigned workers;
	unsigned servers;   /* S; workers are ranks S..S+workers−1 */
	asgd_partition part;
	double timeout;
	double *x, *velocity, *in;
	int sparse;         /* asgd__mpi_sparse(): in holds a sparse GRAD, answered with VALUES */
	size_t in_bytes;    /* the size of in */
	size_t max_need;    /* the most coordinates a gradient can want */
	struct peer *peer;
	unsigned n_owing;   /* peers that owe a gradient and are not lost: kept by peer_set */
	MPI_Request recv;
	int recv_posted;
	int draining;       /* the stop flag no longer cuts a wait short: owed gradients come in */
	struct asgd__ssp ssp; /* --max-staleness (S = 1): who may read, what is held (ssp.c) */
};

static int worker_rank(const struct master *m, unsigned w)
{
	return (int)(m->servers + w);
}

/* The coordinates the sparse GRAD in m->in asks for next, and their number in *@len. */
static const uint32_t *grad_need(const struct master *m, size_t *len)
{
	size_t nnz = (size_t)m->in[G_NNZ];

	*len = (size_t)m->in[G_NEED];
	return (const uint32_t *)(m->in + SHDR + nnz) + nnz;
}

/* VALUES: x at @len coordinates @want, after the header. Returns the message's doubles. */
static int fill_values(const struct master *m, double *msg, const uint32_t *want, size_t len)
{
	for (size_t e = 0; e < len; e++)
		msg[HDR + e] = m->x[want[e]];
	return (int)(HDR + len);
}

/* @p's owes and lost flags, and the count of owing peers with them. */
static void peer_set(struct master *m, struct peer *p, int owes, int lost)
{
	m->n_owing -= p->owes && !p->lost;
	p->owes = owes;
	p->lost = lost;
	m->n_owing += owes && !lost;
}

/* KIND_PARAMS: all of x; KIND_VALUES: x where the gradient just taken (m->in) asked, or for a
 * parked worker, where it had asked. */
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
	if (kind == KIND_VALUES && p->parked) {
		count = fill_values(m, p->msg, p->want, p->want_len);
	} else if (kind == KIND_VALUES) {
		size_t len;
		const uint32_t *need = grad_need(m, &len);

		count = fill_values(m, p->msg, need, len);
	}
	p->parked = 0;
	p->started |= kind == KIND_PARAMS;
	m->res->mpi_bytes_to_workers += (uint64_t)count * sizeof(double);
	peer_set(m, p, kind == KIND_PARAMS || kind == KIND_VALUES, p->lost);
	p->heard = MPI_Wtime();
	return MPI_Isend(p->msg, count, MPI_DOUBLE, worker_rank(m, w), TAG_PARAMS, MPI_COMM_WORLD,
			 &p->send) == MPI_SUCCESS
		       ? ASGD_OK
		       : ASGD_EIO;
}

/* Hold back worker @w's answer, keeping what its gradient (m->in) wants next (sparse
 * messages; a dense answer is all of x). */
static void park(struct master *m, unsigned w)
{
	struct peer *p = &m->peer[w];

	p->want_len = 0;
	if (m->sparse) {
		const uint32_t *need = grad_need(m, &p->want_len);

		memcpy(p->want, need, p->want_len * sizeof(uint32_t));
	}
	p->parked = 1;
}

/* Workers that owe a gradient and have not been given up on: asked once per update, so
 * counted as the flags change rather than over the workers each time. */
static unsigned owing(const struct master *m)
{
	return m->n_owing;
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
			peer_set(m, p, p->owes, 1);
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
	int got, i;

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
	got = asgd__mpi_poll(1, &m->recv, &i, &st, master_give_up, m);
	if (got != 1)
		return 0;
	m->recv_posted = 0;
	m->res->mpi_bytes_to_master += received_bytes(m, &st);
	*w = (unsigned)st.MPI_SOURCE - m->servers;
	if (m->peer[*w].lost) /* late, not dead after all */
		m->res->workers_lost--;
	peer_set(m, &m->peer[*w], 0, 0);
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
	uint64_t tau = k - (uint64_t)m->in[G_VERSION];

	if (m->res->tau) {
		m->res->tau[k] = tau;
		m->res->worker[k] = w;
	}
	if (m->res->mpi_shard) {
		asgd_engine_shard *t = &m->res->mpi_shard[0];

		t->applied++;
		t->coords_written += (uint64_t)m->in[G_NNZ];
		t->tau_sum += (double)tau;
		t->tau_sumsq += (double)tau * (double)tau;
		t->tau_max = tau > t->tau_max ? tau : t->tau_max;
	}
	m->res->evaluations += (uint64_t)m->in[G_BATCH];
	m->res->coords_written += m->sparse ? (uint64_t)m->in[G_NNZ] : m->dim;
	if (row)
		memcpy(row, m->x, m->dim * sizeof(double));
}

/* Apply and record the gradient in m->in from @w as update *@k; 0 when x is no longer finite. */
static int take(struct master *m, uint64_t *k, unsigned w)
{
	int finite = m->sparse ? apply_sparse(m) : apply(m, m->in + HDR);

	record(m, *k, w);
	(*k)++;
	if (!finite)
		m->res->diverged = 1;
	return finite;
}

/* S ≥ 2: answer one parked worker, so that it brings another gradient; 0 when none is parked. */
static int unpark_one(struct master *m, uint64_t k)
{
	for (unsigned w = 0; w < m->workers; w++)
		if (m->peer[w].parked) {
			send_to(m, w, KIND_VALUES, k);
			return 1;
		}
	return 0;
}

static int stop_flag(const asgd_engine_config *cfg)
{
	return cfg->stop && atomic_load_explicit(cfg->stop, memory_order_relaxed);
}

/* ---- bounded staleness (--max-staleness, S = 1): the rules of asgd/engine.h over messages --
 * A worker reads exactly the version it is sent, so L_w = v_w and τ = k − v ≤ s. Letting a
 * worker read is answering it: PARAMS the first time in a replica, then VALUES (sparse) or
 * PARAMS (dense). A held gradient's message is kept until it may be applied. */

/* Let waiting workers read, in turn, while fewer than s + 1 reads are out. */
static void ssp_admit(struct master *m, uint64_t k)
{
	int32_t w;

	while ((w = asgd__ssp_admit_one(&m->ssp, k, m->res)) >= 0)
		send_to(m, (unsigned)w, m->peer[w].started && m->sparse ? KIND_VALUES : KIND_PARAMS,
			k);
}

/* @w's gradient became update k − 1: it waits its turn to read again; others may read now. */
static void ssp_answer(struct master *m, uint64_t k, unsigned w)
{
	asgd__ssp_applied(&m->ssp, w, k);
	park(m, w);
	ssp_admit(m, k);
}

/* Workers given up on hold no read: out of R, and their turns go to the waiting. Returns
 * whether any read left R. */
static int ssp_departures(struct master *m, uint64_t k)
{
	int changed = 0;

	for (unsigned w = 0; w < m->workers; w++)
		if (m->peer[w].lost)
			changed |= asgd__ssp_gone(&m->ssp, w);
	ssp_admit(m, k);
	return changed;
}

/* The next gradient that keeps every τ ≤ s as update @k, its sender in *@w: a held one that
 * now may, else the next arrival that may; arrivals that may not are held. 0: stopped, or
 * nobody left to wait for. */
static int ssp_next(struct master *m, uint64_t k, unsigned *w)
{
	for (;;) {
		int32_t u = asgd__ssp_unhold(&m->ssp, k, m->res);

		if (u >= 0) {
			memcpy(m->in, m->peer[u].held_msg, m->in_bytes);
			*w = (unsigned)u;
			return 1;
		}
		if (!next_gradient(m, w)) {
			if (stop_flag(m->cfg) || !ssp_departures(m, k))
				return 0;
			continue;
		}
		if (m->ssp.state[*w] == ASGD__SSP_GONE) { /* given up on, then back: let go */
			m->res->discarded++;
			send_to(m, *w, KIND_STOP, k);
			continue;
		}
		if (asgd__ssp_may_apply(&m->ssp, *w, k))
			return 1;
		memcpy(m->peer[*w].held_msg, m->in, m->in_bytes);
		asgd__ssp_hold(&m->ssp, *w, k, m->res);
	}
}

/* What update @k's sender @w hears: go on, stop, or (S ≥ 2, or a staleness bound) nothing
 * yet. */
static void answer(struct master *m, uint64_t k, unsigned w)
{
	const asgd_engine_config *cfg = m->cfg;

	if (k >= cfg->iters)
		send_to(m, w, KIND_STOP, k);
	else if (m->ssp.s)
		ssp_answer(m, k, w);
	else if (m->servers > 1 && k + owing(m) >= cfg->iters)
		park(m, w);
	else
		send_to(m, w, m->sparse ? KIND_VALUES : KIND_PARAMS, k);
}

static double thread_cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Take update *@k from @w and answer it; one in ASGD_MPI_SERVICE_EVERY is timed on the thread's
 * CPU clock, which preemption by the other ranks does not advance. 0 when x is no longer
 * finite (@w is stopped). */
static int serve(struct master *m, uint64_t *k, unsigned w)
{
	int timed = *k % ASGD_MPI_SERVICE_EVERY == 0;
	double t0 = timed ? thread_cpu_now() : 0;

	if (!take(m, k, w)) {
		send_to(m, w, KIND_STOP, *k);
		return 0;
	}
	answer(m, *k, w);
	if (timed) {
		m->res->mpi_service_s += thread_cpu_now() - t0;
		m->res->mpi_service_n++;
	}
	return 1;
}


static void master_loop(struct master *m)
{
	const asgd_engine_config *cfg = m->cfg;
	uint64_t k = 0;
	unsigned w;

	/* The flag is checked per update, not only between naps: gradients that keep arriving
	 * would otherwise keep a busy master from ever seeing it. */
	while (k < cfg->iters && !stop_flag(cfg)) {
		if (!(m->ssp.s ? ssp_next(m, k, &w) : next_gradient(m, &w))) {
			if (m->servers > 1 && !stop_flag(cfg) && unpark_one(m, k))
				continue; /* a worker died owing: a parked one takes its place */
			break;
		}
		if (!serve(m, &k, w))
			break;
	}
	m->res->applied = k;
	if (!m->res->diverged && k < cfg->iters) {
		if (stop_flag(cfg))
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

/* Every worker still owing a gradient sends one, and is stopped: with one server the gradient
 * is discarded; with S ≥ 2 it is applied, as the other servers apply its pieces (parking keeps
 * k ≤ iters, unless a worker given up on comes back late: then it is discarded, and the other
 * servers, which applied it, report one update more than rank 0). Parked workers are stopped. */
static void drain(struct master *m)
{
	uint64_t k = m->res->applied;
	unsigned w;

	m->draining = 1; /* else a stray gradient would be taken for the next replica's */
	while (next_gradient(m, &w)) {
		if (m->servers > 1 && k < m->cfg->iters)
			take(m, &k, w);
		else
			m->res->discarded++;
		send_to(m, w, KIND_STOP, 0);
	}
	m->res->applied = k;
	for (unsigned i = 0; i < m->ssp.n_held; i++) { /* held back, and the run ended first */
		m->res->discarded++;
		send_to(m, m->ssp.held[i], KIND_STOP, 0);
	}
	m->ssp.n_held = 0;
	for (unsigned i = 0; i < m->workers; i++)
		if (m->peer[i].parked && m->peer[i].started)
			send_to(m, i, KIND_STOP, 0);
	if (m->recv_posted) {
		MPI_Cancel(&m->recv);
		MPI_Wait(&m->recv, MPI_STATUS_IGNORE);
		m->recv_posted = 0;
	}
	for (unsigned i = 0; i < m->workers; i++)
		if (m->peer[i].send != MPI_REQUEST_NULL)
			finish_send(&m->peer[i]);
}

/* ---- the other servers (S ≥ 2) ---------------------------------------------------------- */

/* Rows of the trajectory the other servers keep: as many as rank 0's, when it keeps one. */
static uint64_t trajectory_rows(const asgd_engine_config *cfg)
{
	uint64_t every = cfg->record_every ? cfg->record_every : 1;

	return cfg->trajectory ? cfg->iters / every + 1 : 0;
}

/* START to every other server: x_0 on its coordinates, and the rows to keep. */
static int start_servers(struct master *m)
{
	uint64_t every = m->cfg->record_every ? m->cfg->record_every : 1;
	double *msg = malloc((CHDR + asgd_partition_size(&m->part, 0)) * sizeof(double));
	int rc = msg ? ASGD_OK : ASGD_ENOMEM;

	for (unsigned s = 1; rc == ASGD_OK && s < m->servers; s++) {
		size_t n = asgd_partition_size(&m->part, s);

		msg[C_KIND] = KIND_START;
		msg[C_REPLICA] = (double)m->cfg->replica;
		msg[C_EVERY] = m->cfg->trajectory ? (double)every : 0;
		msg[C_ROWS] = (double)trajectory_rows(m->cfg);
		for (size_t i = 0; i < n; i++)
			msg[CHDR + i] = m->x[asgd_partition_global(&m->part, s, i)];
		m->res->mpi_shard[0].bytes_out += (CHDR + n) * sizeof(double);
		if (MPI_Send(msg, (int)(CHDR + n), MPI_DOUBLE, (int)s, TAG_CTRL, MPI_COMM_WORLD) !=
		    MPI_SUCCESS)
			rc = ASGD_EIO;
	}
	free(msg);
	return rc;
}

/* Server @s's RESULT in @msg into the tally, x and the trajectory. */
static void merge_result(struct master *m, unsigned s, const double *msg)
{
	asgd_engine_shard *t = &m->res->mpi_shard[s];
	size_t n = asgd_partition_size(&m->part, s);
	uint64_t rows = trajectory_rows(m->cfg), every = m->cfg->record_every ? m->cfg->record_every : 1;

	t->coords = n;
	t->applied = (uint64_t)msg[R_APPLIED];
	t->coords_written = (uint64_t)msg[R_WRITTEN];
	t->bytes_in = (uint64_t)msg[R_BYTES_IN];
	t->bytes_out = (uint64_t)msg[R_BYTES_OUT];
	t->tau_sum = msg[R_TAU_SUM];
	t->tau_sumsq = msg[R_TAU_SUMSQ];
	t->tau_max = (uint64_t)msg[R_TAU_MAX];
	m->res->coords_written += t->coords_written;
	m->res->mpi_bytes_to_master += t->bytes_in;
	m->res->mpi_bytes_to_workers += t->bytes_out;
	for (size_t i = 0; i < n; i++)
		m->x[asgd_partition_global(&m->part, s, i)] = msg[RHDR + i];
	for (uint64_t r = 0; r < rows; r++) {
		double *row = asgd__trajectory_row(m->cfg, r * every, m->dim);

		for (size_t i = 0; row && i < n; i++)
			row[asgd_partition_global(&m->part, s, i)] = msg[RHDR + n + r * n + i];
	}
}

/* END(K) to every other server, then their RESULTs. */
static int end_servers(struct master *m)
{
	uint64_t rows = trajectory_rows(m->cfg);
	int rc = ASGD_OK;

	for (unsigned s = 1; s < m->servers; s++) {
		double end[CHDR] = { KIND_END, (double)m->cfg->replica, (double)m->res->applied, 0 };

		if (MPI_Send(end, CHDR, MPI_DOUBLE, (int)s, TAG_CTRL, MPI_COMM_WORLD) != MPI_SUCCESS)
			return ASGD_EIO;
	}
	for (unsigned s = 1; rc == ASGD_OK && s < m->servers; s++) {
		size_t n = asgd_partition_size(&m->part, s), count = RHDR + n + rows * n;
		double *msg = malloc(count * sizeof(double));

		if (!msg)
			return ASGD_ENOMEM;
		if (MPI_Recv(msg, (int)count, MPI_DOUBLE, (int)s, TAG_RESULT, MPI_COMM_WORLD,
			     MPI_STATUS_IGNORE) != MPI_SUCCESS)
			rc = ASGD_EIO;
		else
			merge_result(m, s, msg);
		free(msg);
	}
	return rc;
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
	m->servers = asgd__mpi_servers(cfg);
	m->timeout = cfg->mpi_timeout_s > 0 ? cfg->mpi_timeout_s : ASGD_MPI_DEFAULT_TIMEOUT_S;
	m->sparse = asgd__mpi_sparse(cfg);
	if ((unsigned)size <= m->servers || (m->servers > 1 && !m->sparse) ||
	    asgd__mpi_partition(cfg, &m->part) != ASGD_OK)
		return ASGD_EINVAL;
	m->workers = (unsigned)size - m->servers;
	if (cfg->workers != m->workers)
		return ASGD_EINVAL;
	res->mpi_sparse = m->sparse;
	res->mpi_servers = m->servers;
	m->in_bytes = (HDR + m->dim) * sizeof(double);
	if (m->sparse && asgd__mpi_grad_bytes(cfg) > m->in_bytes)
		m->in_bytes = asgd__mpi_grad_bytes(cfg);
	m->max_need = asgd__mpi_grad_bytes(cfg) / sizeof(uint32_t);
	m->x = malloc(m->dim * sizeof(double));
	m->in = malloc(m->in_bytes);
	m->peer = calloc(m->workers, sizeof(*m->peer));
	res->x_final = malloc(m->dim * sizeof(double));
	if (!m->x || !m->in || !m->peer || !res->x_final)
		return ASGD_ENOMEM;
	if (m->servers > 1 && !(res->mpi_shard = calloc(m->servers, sizeof(*res->mpi_shard))))
		return ASGD_ENOMEM;
	if (cfg->momentum != 0 && !(m->velocity = calloc(m->dim, sizeof(double))))
		return ASGD_ENOMEM;
	for (unsigned w = 0; w < m->workers; w++) {
		m->peer[w].send = MPI_REQUEST_NULL;
		if (!(m->peer[w].msg = malloc((HDR + m->dim) * sizeof(double))))
			return ASGD_ENOMEM;
		if (m->sparse && (m->servers > 1 || cfg->max_staleness) &&
		    !(m->peer[w].want = malloc(m->max_need * sizeof(uint32_t))))
			return ASGD_ENOMEM;
		if (cfg->max_staleness && !(m->peer[w].held_msg = malloc(m->in_bytes)))
			return ASGD_ENOMEM;
	}
	if (asgd__ssp_init(&m->ssp, m->servers > 1 ? 0 : cfg->max_staleness, m->workers) !=
	    ASGD_OK)
		return ASGD_ENOMEM;
	if (asgd__staleness_alloc(cfg, res) != ASGD_OK)
		return ASGD_ENOMEM;
	memcpy(m->x, x0, m->dim * sizeof(double));
	if (cfg->trajectory)
		memcpy(cfg->trajectory, x0, m->dim * sizeof(double));
	if (res->mpi_shard)
		res->mpi_shard[0].coords = asgd_partition_size(&m->part, 0);
	return ASGD_OK;
}

static void master_free(struct master *m)
{
	if (m->peer)
		for (unsigned w = 0; w < m->workers; w++) {
			free(m->peer[w].msg);
			free(m->peer[w].want);
			free(m->peer[w].held_msg);
		}
	free(m->peer);
	free(m->x);
	free(m->in);
	free(m->velocity);
	asgd__ssp_free(&m->ssp);
}

/* Rank 0's own part of the byte counts, per server: the totals so far, before the others'. */
static void tally_rank0_bytes(struct master *m)
{
	if (!m->res->mpi_shard)
		return;
	m->res->mpi_shard[0].bytes_in = m->res->mpi_bytes_to_master;
	m->res->mpi_shard[0].bytes_out += m->res->mpi_bytes_to_workers;
}

/* The workers to start: all; with S ≥ 2 at most iters, as nothing may be discarded. */
static unsigned first_workers(const struct master *m)
{
	if (m->servers > 1 && m->cfg->iters < m->workers)
		return (unsigned)m->cfg->iters;
	return m->workers;
}

/* CPU seconds of the calling thread so far. */
static double thread_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return NAN;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

int asgd__mpi_master_run(const asgd_engine_config *cfg, asgd_engine_result *res)
{
	struct master m;
	double t0, cpu0 = thread_cpu_s();
	int rc;

	memset(res, 0, sizeof(*res));
	rc = master_init(&m, cfg, res);
	t0 = MPI_Wtime();
	if (rc == ASGD_OK && m.servers > 1)
		rc = start_servers(&m);
	if (rc == ASGD_OK && m.ssp.s)
		ssp_admit(&m, 0); /* the first s + 1 read x_0; the others wait their turn */
	for (unsigned w = 0; rc == ASGD_OK && !m.ssp.s && w < first_workers(&m); w++)
		rc = send_to(&m, w, KIND_PARAMS, 0);
	if (rc == ASGD_OK) {
		master_loop(&m);
		drain(&m);
		tally_rank0_bytes(&m);
		if (m.servers > 1)
			rc = end_servers(&m);
	}
	res->wall_s = MPI_Wtime() - t0;
	res->mpi_rank0_cpu_s = thread_cpu_s() - cpu0;
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
