/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_common.c — what every engine mode's workers share: injected work, thread start, the
 * accounting check; and a worker's stochastic gradient on a live vector, touching only the
 * coordinates its components need (engine_internal.h says why the vector is atomic).
 *
 * For a data model on sparse rows a component reads and writes ~nnz coordinates of a vector of
 * tens of thousands; copying the vector per update, as the snapshot mode does, would cost more
 * than the gradient. Here a worker gathers x on the support, computes ∇f_i there
 * (asgd_problem_grad_support), and hands the master (or, in Hogwild, the vector itself) just
 * those (index, value) pairs.
 */
#include "engine_internal.h"

#include "asgd/parse.h"

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Batches are merged up to this d: the slots cost 4d bytes a worker (16 MiB here). */
#define MERGE_MAX_DIM (1u << 22)

unsigned asgd__engine_max_batch(const asgd_engine_config *cfg)
{
	size_t n = asgd_problem_components(cfg->problem);
	uint32_t most = cfg->batch ? cfg->batch : 1;

	if (cfg->schedule.size)
		for (size_t k = 0; k < cfg->schedule.len; k++)
			if (cfg->schedule.size[k] > most)
				most = cfg->schedule.size[k];
	return most < n ? most : (unsigned)n;
}

unsigned asgd__engine_batch_for(const asgd_engine_config *cfg, uint64_t v)
{
	size_t n = asgd_problem_components(cfg->problem);
	uint32_t b;

	if (!cfg->schedule.size)
		return cfg->batch ? cfg->batch : 1;
	b = asgd_batch_at(&cfg->schedule, v);
	return b < n ? b : (unsigned)n;
}

/* @bytes on cache lines of their own: each worker writes its buffers every update, and two
 * workers' buffers that shared a line at their ends would send it back and forth. */
static void *line_alloc(size_t bytes)
{
	return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

int asgd__sparse_grad_init(struct asgd__sparse_grad *sg, const asgd_problem *p,
			   unsigned max_batch)
{
	size_t s = asgd_problem_max_support(p), n = asgd_problem_components(p);
	bool merge;

	memset(sg, 0, sizeof(*sg));
	sg->cap = (size_t)max_batch * s;
	sg->idx = line_alloc(sg->cap * sizeof(*sg->idx));
	sg->val = line_alloc(sg->cap * sizeof(*sg->val));
	sg->xs = line_alloc(s * sizeof(*sg->xs));
	sg->perm = malloc(n * sizeof(*sg->perm));
	merge = max_batch > 1 && asgd_problem_dim(p) <= MERGE_MAX_DIM && sg->cap < UINT32_MAX;
	if (merge)
		sg->slot = calloc(asgd_problem_dim(p), sizeof(*sg->slot));
	if (!sg->idx || !sg->val || !sg->xs || !sg->perm || (merge && !sg->slot))
		return ASGD_ENOMEM;
	for (size_t i = 0; i < n; i++)
		sg->perm[i] = i;
	sg->prefetch = asgd_problem_is_sparse(p);
	return ASGD_OK;
}

int asgd__rows_init(struct asgd__rows *r, const asgd_engine_config *cfg, unsigned worker)
{
	size_t n = asgd_problem_components(cfg->problem), M = cfg->workers, i;

	memset(r, 0, sizeof(*r));
	if (cfg->sampling != ASGD_SAMPLING_SHUFFLE)
		return ASGD_OK;
	if (n < M) /* too few rows to split: every worker shuffles them all */
		worker = 0, M = 1;
	r->len = (n - worker + M - 1) / M;
	r->order = malloc(r->len * sizeof(*r->order));
	if (!r->order)
		return ASGD_ENOMEM;
	for (i = 0; i < r->len; i++)
		r->order[i] = worker + i * M;
	r->pos = r->len; /* the first call shuffles */
	return ASGD_OK;
}

void asgd__rows_free(struct asgd__rows *r)
{
	free(r->order);
	memset(r, 0, sizeof(*r));
}

size_t asgd__rows_next(struct asgd__rows *r, asgd_rng *rng)
{
	if (r->pos == r->len) {
		for (size_t i = r->len - 1; i > 0; i--) {
			size_t j = (size_t)asgd_rng_below(rng, i + 1), t = r->order[i];

			r->order[i] = r->order[j];
			r->order[j] = t;
		}
		r->pos = 0;
	}
	return r->order[r->pos++];
}

void asgd__sparse_grad_free(struct asgd__sparse_grad *sg)
{
	asgd__rows_free(&sg->rows);
	free(sg->slot);
	free(sg->idx);
	free(sg->val);
	free(sg->xs);
	free(sg->perm);
	memset(sg, 0, sizeof(*sg));
}

/* Appends ∇f_i on its support to sg, scaled by @scale. */
static void add_component(struct asgd__sparse_grad *sg, const asgd_problem *p, size_t i,
			  struct asgd__live live, double scale)
{
	const uint32_t *idx;
	size_t s = asgd_problem_support(p, i, &idx);
	double *out_val = sg->val + sg->nnz;

	asgd__live_gather(live, idx, s, sg->idx + sg->nnz, sg->xs);
	asgd_problem_grad_support(p, i, sg->xs, out_val);
	if (scale != 1)
		for (size_t e = 0; e < s; e++)
			out_val[e] *= scale;
	sg->nnz += s;
}

/*
 * The rows after this one, a pipeline two gradients deep: row @r[0] (whose bounds came a
 * gradient ago) and the bounds of row @r[1]. SIZE_MAX: not known. (Fetching x on the columns of
 * the row after, for writing, a third stage, was measured too: 0.93× at one worker, no gain at
 * two, where x's lines go back and forth between the cores anyway.)
 */
static void prefetch_ahead(const asgd_problem *p, const size_t r[2])
{
	if (r[0] != SIZE_MAX)
		asgd_problem_prefetch(p, r[0], 1);
	if (r[1] != SIZE_MAX)
		asgd_problem_prefetch(p, r[1], 0);
}

/* Shuffled rows: the next two of this pass, as far as it goes. */
static void prefetch_order(const struct asgd__sparse_grad *sg, const asgd_problem *p)
{
	size_t r[2];

	for (int k = 0; k < 2; k++)
		r[k] = sg->rows.pos + (size_t)k < sg->rows.len ? sg->rows.order[sg->rows.pos + k]
							       : SIZE_MAX;
	prefetch_ahead(p, r);
}

/* Uniform rows: the next two draws of @rng, if nothing else draws first (work may: then the
 * fetches were only wasted). */
static void prefetch_draws(const asgd_problem *p, const asgd_rng *rng, size_t n)
{
	asgd_rng peek = *rng;
	size_t r[2];

	for (int k = 0; k < 2; k++)
		r[k] = (size_t)asgd_rng_below(&peek, n);
	prefetch_ahead(p, r);
}

/*
 * A mini-batch's entries merged to one per coordinate, in the order coordinates first appear:
 * B rows of a dense d = 64 problem make 64 writes to x instead of 64B (digits at B = 27: the
 * in-place master spent a quarter of the run applying them). Compacts in place (the write
 * position never passes the read one) and leaves every slot 0 again.
 */
static void merge_batch(struct asgd__sparse_grad *sg)
{
	uint32_t u = 0;

	for (size_t e = 0; e < sg->nnz; e++) {
		uint32_t j = sg->idx[e];

		if (sg->slot[j]) {
			sg->val[sg->slot[j] - 1] += sg->val[e];
			continue;
		}
		sg->slot[j] = ++u;
		sg->idx[u - 1] = j;
		sg->val[u - 1] = sg->val[e];
	}
	for (uint32_t t = 0; t < u; t++)
		sg->slot[sg->idx[t]] = 0;
	sg->nnz = u;
}

/* Row @b of a mini-batch drawn without replacement: a partial Fisher–Yates shuffle, after which
 * perm is still a permutation of the n rows (so the next batch draws from all of them). */
static size_t draw_batch_row(struct asgd__sparse_grad *sg, asgd_rng *rng, size_t n, size_t b)
{
	size_t r = b + (size_t)asgd_rng_below(rng, n - b), i = sg->perm[r];

	sg->perm[r] = sg->perm[b];
	sg->perm[b] = i;
	return i;
}

static void add_components(struct asgd__sparse_grad *sg, const asgd_problem *p,
			      struct asgd__live live, unsigned batch, asgd_rng *rng)
{
	size_t n = asgd_problem_components(p);

	sg->nnz = 0;
	if (sg->rows.order) {
		unsigned b = batch ? batch : 1;

		for (unsigned k = 0; k < b; k++) {
			size_t i = asgd__rows_next(&sg->rows, rng);

			if (sg->prefetch)
				prefetch_order(sg, p);
			add_component(sg, p, i, live, 1.0 / b);
		}
		return;
	}
	if (batch <= 1) {
		size_t i = (size_t)asgd_rng_below(rng, n);

		if (sg->prefetch)
			prefetch_draws(p, rng, n);
		add_component(sg, p, i, live, 1);
		return;
	}
	for (size_t b = 0; b < batch; b++)
		add_component(sg, p, draw_batch_row(sg, rng, n, b), live, 1.0 / batch);
}

void asgd__sparse_grad_compute(struct asgd__sparse_grad *sg, const asgd_problem *p,
			       struct asgd__live live, unsigned batch, asgd_rng *rng)
{
	add_components(sg, p, live, batch, rng);
	if (batch > 1 && sg->slot)
		merge_batch(sg);
}

void asgd__sparse_grad_draw(struct asgd__sparse_grad *sg, const asgd_problem *p, unsigned batch,
			    asgd_rng *rng, size_t *rows)
{
	size_t n = asgd_problem_components(p);

	if (batch <= 1) {
		rows[0] = (size_t)asgd_rng_below(rng, n);
		return;
	}
	for (size_t b = 0; b < batch; b++) /* the draws add_components makes */
		rows[b] = draw_batch_row(sg, rng, n, b);
}

void asgd__sparse_grad_of_rows(struct asgd__sparse_grad *sg, const asgd_problem *p,
			       struct asgd__live live, const size_t *rows, unsigned batch)
{
	unsigned b = batch ? batch : 1;

	sg->nnz = 0;
	for (unsigned k = 0; k < b; k++)
		add_component(sg, p, rows[k], live, b > 1 ? 1.0 / b : 1);
	if (b > 1 && sg->slot)
		merge_batch(sg);
}

void asgd__dense_grad(const asgd_problem *p, const double *x, unsigned batch, asgd_rng *rng,
		      size_t *perm, struct asgd__rows *rows, double *g, double *scratch)
{
	size_t n = asgd_problem_components(p), dim = asgd_problem_dim(p);
	int shuffle = rows && rows->order;

	if (batch <= 1) {
		asgd_problem_grad_i(p, shuffle ? asgd__rows_next(rows, rng)
					       : (size_t)asgd_rng_below(rng, n), x, g);
		return;
	}
	memset(g, 0, dim * sizeof(double));
	for (size_t b = 0; b < batch; b++) {
		size_t i;

		if (shuffle) {
			i = asgd__rows_next(rows, rng);
		} else {
			size_t r = b + (size_t)asgd_rng_below(rng, n - b);

			i = perm[r];
			perm[r] = perm[b];
			perm[b] = i;
		}
		asgd_problem_grad_i(p, i, x, scratch);
		for (size_t j = 0; j < dim; j++)
			g[j] += scratch[j];
	}
	for (size_t j = 0; j < dim; j++)
		g[j] /= batch;
}

void asgd__work_tally_spend(struct asgd__work_tally *t, const asgd_work *work, asgd_rng *rng)
{
	double ns;

	if (work->kind == ASGD_WORK_NONE)
		return;
	ns = asgd_work_do(work, rng);
	t->n++;
	t->sum += ns;
	t->sumsq += ns * ns;
}

void asgd__work_tally_add(struct asgd__work_tally *total, const struct asgd__work_tally *t)
{
	total->n += t->n;
	total->sum += t->sum;
	total->sumsq += t->sumsq;
}

void asgd__work_tally_finish(const struct asgd__work_tally *total, asgd_engine_result *res)
{
	double n = (double)total->n, mean = n > 0 ? total->sum / n : NAN;

	res->work_mean_ns = mean;
	res->work_cv = n > 1 ? sqrt(fmax(total->sumsq / n - mean * mean, 0)) / mean : NAN;
}

/* The @slot-th CPU (round-robin) of the process's affinity mask into @one; 0 when there is
 * none to be had. */
static int cpu_of_slot(int slot, cpu_set_t *one)
{
	cpu_set_t allowed;
	int count, seen = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return 0;
	count = CPU_COUNT(&allowed);
	if (count < 1)
		return 0;
	slot %= count;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		if (seen++ == slot) {
			CPU_ZERO(one);
			CPU_SET(cpu, one);
			return 1;
		}
	}
	return 0;
}

int asgd__pin_self(int slot, cpu_set_t *old)
{
	cpu_set_t one;

	if (pthread_getaffinity_np(pthread_self(), sizeof(*old), old) != 0 ||
	    !cpu_of_slot(slot, &one))
		return 0;
	return pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
}

void asgd__unpin_self(const cpu_set_t *old)
{
	pthread_setaffinity_np(pthread_self(), sizeof(*old), old);
}

int asgd__start_thread(pthread_t *thread, void *(*fn)(void *), void *arg, const char *prefix,
		       unsigned id, int slot)
{
	sigset_t all, old;
	char name[16]; /* pthread names are cut to 15 characters */
	pthread_attr_t attr;
	cpu_set_t one;
	int rc;

	pthread_attr_init(&attr);
	if (slot >= 0 && cpu_of_slot(slot, &one))
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one); /* best effort */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* threads inherit the creator's mask */
	rc = pthread_create(thread, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return ASGD_ETHREAD;
	snprintf(name, sizeof(name), "%s%u", prefix, id % 100000u);
	pthread_setname_np(*thread, name);
	return ASGD_OK;
}

int asgd__staleness_alloc(const asgd_engine_config *cfg, asgd_engine_result *res)
{
	if (!cfg->record_staleness)
		return ASGD_OK;
	res->tau = malloc(cfg->iters * sizeof(uint64_t));
	res->worker = malloc(cfg->iters * sizeof(uint32_t));
	return res->tau && res->worker ? ASGD_OK : ASGD_ENOMEM;
}

void asgd__check_accounting(const asgd_engine_result *res, const char *who)
{
	if (res->computed == res->applied + res->discarded)
		return;
	fprintf(stderr, "asgd: %s accounting broken: computed %llu != applied %llu + discarded "
			"%llu\n", who, (unsigned long long)res->computed,
		(unsigned long long)res->applied, (unsigned long long)res->discarded);
	abort();
}

asgd_fault_kind asgd__fault_strike_slow(const asgd_engine_config *cfg, unsigned id,
					uint64_t computed)
{
	const asgd_engine_fault *f = &cfg->fault;

	if (f->worker != id || f->after != computed)
		return ASGD_FAULT_NONE;
	if (f->kind == ASGD_FAULT_STALL)
		asgd_work_spend(f->stall_ns);
	return f->kind;
}

int asgd_engine_fault_parse(const char *spec, asgd_engine_fault *out, char *err, size_t errlen)
{
	char buf[128], *save = NULL, *kind, *w, *n, *dur;
	uint64_t worker, after;
	asgd_engine_fault f = { 0 };
	double ns = 0;

	if (!spec || !out || strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "fault spec missing or too long");
		return ASGD_EINVAL;
	}
	if (strcmp(spec, "none") == 0) {
		*out = f;
		return ASGD_OK;
	}
	strcpy(buf, spec);
	kind = strtok_r(buf, ":", &save);
	w = strtok_r(NULL, ":", &save);
	n = strtok_r(NULL, ":", &save);
	dur = strtok_r(NULL, ":", &save);
	f.kind = kind && strcmp(kind, "stall") == 0 ? ASGD_FAULT_STALL
		 : kind && strcmp(kind, "leave") == 0 ? ASGD_FAULT_LEAVE
						       : ASGD_FAULT_NONE;
	if (f.kind == ASGD_FAULT_NONE || !w || !n || asgd_parse_u64(w, &worker) != ASGD_OK ||
	    asgd_parse_u64(n, &after) != ASGD_OK || after == 0 || worker >= ASGD_MAX_WORKERS ||
	    (f.kind == ASGD_FAULT_STALL) != (dur != NULL) || strtok_r(NULL, ":", &save) ||
	    (dur && asgd_parse_duration_ns(dur, &ns) != ASGD_OK)) {
		snprintf(err, errlen, "fault '%s' is not allowed: none, stall:WORKER:N:DURATION or "
				      "leave:WORKER:N (N >= 1 gradients, e.g. stall:0:100:1s)", spec);
		return ASGD_EINVAL;
	}
	f.worker = (unsigned)worker;
	f.after = after;
	f.stall_ns = ns;
	*out = f;
	return ASGD_OK;
}
