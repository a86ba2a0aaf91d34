/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ssp.c — the books of bounded staleness (asgd/engine.h, "Bounded staleness"), for any master
 * that lets workers read and applies their gradients one at a time: the threaded master modes
 * (engine.c) and the MPI rank 0 (mpi_master.c). The master keeps (SSP) true with two rules: a
 * gradient is applied only while the other outstanding reads stay schedulable, else held; and
 * a worker is let read only while fewer than s + 1 reads are out, else it waits its turn.
 *
 * The outstanding reads R form a list in the order they were let read, which is also the order
 * of their L (each L is the version count when let read, and that only grows).
 */
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "engine_internal.h"

/* Worker @w joins R, the newest read: let read at version @L. */
static void link_read(struct asgd__ssp *p, int32_t w, uint64_t L)
{
	p->L[w] = L;
	p->state[w] = ASGD__SSP_OUT;
	p->prev[w] = p->tail;
	p->next[w] = -1;
	if (p->tail >= 0)
		p->next[p->tail] = w;
	else
		p->head = w;
	p->tail = w;
	p->n_out++;
}

static void unlink_read(struct asgd__ssp *p, int32_t w)
{
	if (p->prev[w] >= 0)
		p->next[p->prev[w]] = p->next[w];
	else
		p->head = p->next[w];
	if (p->next[w] >= 0)
		p->prev[p->next[w]] = p->prev[w];
	else
		p->tail = p->prev[w];
	p->n_out--;
}

/* Worker @w queues for its turn to read, from version @k on. */
static void wait_turn(struct asgd__ssp *p, uint32_t w, uint64_t k)
{
	p->waiting[(p->wait_head + p->n_waiting) % p->workers] = w;
	p->n_waiting++;
	p->state[w] = ASGD__SSP_WAITING;
	p->since[w] = k;
}

int asgd__ssp_init(struct asgd__ssp *p, uint64_t s, unsigned workers)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->workers = workers;
	p->head = p->tail = -1;
	if (!s)
		return ASGD_OK;
	p->prev = malloc(workers * sizeof(*p->prev));
	p->next = malloc(workers * sizeof(*p->next));
	p->L = malloc(workers * sizeof(*p->L));
	p->since = malloc(workers * sizeof(*p->since));
	p->state = malloc(workers * sizeof(*p->state));
	p->held = malloc(workers * sizeof(*p->held));
	p->waiting = malloc(workers * sizeof(*p->waiting));
	if (!p->prev || !p->next || !p->L || !p->since || !p->state || !p->held || !p->waiting)
		return ASGD_ENOMEM;
	for (unsigned w = 0; w < workers; w++)
		wait_turn(p, w, 0);
	return ASGD_OK;
}

void asgd__ssp_free(struct asgd__ssp *p)
{
	free(p->prev);
	free(p->next);
	free(p->L);
	free(p->since);
	free(p->state);
	free(p->held);
	free(p->waiting);
	memset(p, 0, sizeof(*p));
}

/* (SSP) for R without @skip from index @k: applied oldest first, the i-th at k + i − 1, every
 * one would have τ ≤ s. */
static int schedulable(const struct asgd__ssp *p, int32_t skip, uint64_t k)
{
	uint64_t at = k;

	for (int32_t w = p->head; w >= 0; w = p->next[w]) {
		if (w == skip)
			continue;
		if (at > p->L[w] + p->s)
			return 0;
		at++;
	}
	return 1;
}

int32_t asgd__ssp_admit_one(struct asgd__ssp *p, uint64_t k, asgd_engine_result *res)
{
	uint32_t w;

	if (!p->n_waiting || (uint64_t)p->n_out >= p->s + 1)
		return -1;
	w = p->waiting[p->wait_head];
	p->wait_head = (p->wait_head + 1) % p->workers;
	p->n_waiting--;
	if (k > p->since[w]) {
		res->ssp_reads_delayed++;
		res->ssp_read_wait_versions += k - p->since[w];
	}
	link_read(p, (int32_t)w, k);
	return (int32_t)w;
}

void asgd__ssp_applied(struct asgd__ssp *p, uint32_t w, uint64_t k)
{
	unlink_read(p, (int32_t)w);
	wait_turn(p, w, k);
}

int asgd__ssp_gone(struct asgd__ssp *p, uint32_t w)
{
	if (p->state[w] != ASGD__SSP_OUT)
		return 0;
	unlink_read(p, (int32_t)w);
	p->state[w] = ASGD__SSP_GONE;
	return 1;
}

int asgd__ssp_may_apply(const struct asgd__ssp *p, uint32_t w, uint64_t k)
{
	return schedulable(p, (int32_t)w, k + 1);
}

void asgd__ssp_hold(struct asgd__ssp *p, uint32_t w, uint64_t k, asgd_engine_result *res)
{
	p->held[p->n_held++] = w;
	p->state[w] = ASGD__SSP_HELD;
	p->since[w] = k;
	res->ssp_held++;
}

int32_t asgd__ssp_unhold(struct asgd__ssp *p, uint64_t k, asgd_engine_result *res)
{
	for (unsigned i = 0; i < p->n_held; i++) {
		uint32_t w = p->held[i];

		if (!schedulable(p, (int32_t)w, k + 1))
			continue;
		memmove(&p->held[i], &p->held[i + 1], (p->n_held - i - 1) * sizeof(*p->held));
		p->n_held--;
		p->state[w] = ASGD__SSP_OUT;
		res->ssp_held_versions += k - p->since[w];
		return (int32_t)w;
	}
	return -1;
}
