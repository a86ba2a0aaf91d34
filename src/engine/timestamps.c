/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * timestamps.c — Hogwild's staleness without a shared counter.
 *
 * A Hogwild worker that counts updates on one shared counter writes one cache line that every
 * other worker writes too, once per update: that line, bouncing between cores, is what such a
 * counter costs. Instead each worker reads a clock when it starts reading x (t_r) and again when
 * its write has ended (t_w), and keeps both in its own log. After the run the logs are merged:
 *
 *   k = the update's rank among all writes ordered by t_w (its index, as the counter gives),
 *   v = the number of writes with t_w ≤ t_r (the updates that ended before its read began),
 *   τ = k − v, the number of updates written between its read and its write.
 *
 * Every write with t_w ≤ t_r also comes before the update's own write in the merge, so when an
 * update is merged the writes its read saw are already in the merged prefix: one pass suffices.
 * A worker's reads are in clock order, so its v is found by galloping forward from its previous
 * one, and the pass costs O(N log M) for N updates of M workers.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <time.h>

#include "asgd/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
/* An invariant TSC ticks at one rate on every core and never stops: CPUID 0x80000007, EDX 8. */
static int invariant_tsc(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d >> 8 & 1);
}
#endif

int asgd__stamp_clock_init(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return invariant_tsc();
#else
	return 0;
#endif
}

uint64_t asgd__stamp_slow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


/* A binary min-heap of worker ids, keyed by each worker's next t_w (ties: the lower id). */
struct merge {
	const struct asgd__stamp_log *logs;
	size_t *next;  /* per worker: its next unmerged entry */
	unsigned *heap;
	unsigned size;
};

static uint64_t head_key(const struct merge *m, unsigned w)
{
	const struct asgd__stamp_log *l = &m->logs[w];

	return l->entries[m->next[w] * l->stride + l->offset + 1];
}

static int before(const struct merge *m, unsigned a, unsigned b)
{
	uint64_t ka = head_key(m, a), kb = head_key(m, b);

	return ka < kb || (ka == kb && a < b);
}

static void sift_down(struct merge *m, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, least = i, t;

		if (l < m->size && before(m, m->heap[l], m->heap[least]))
			least = l;
		if (r < m->size && before(m, m->heap[r], m->heap[least]))
			least = r;
		if (least == i)
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[least];
		m->heap[least] = t;
		i = least;
	}
}

/* The first index p ≥ from with tw[p] > t in the sorted tw[0..n): gallop, then bisect. */
static size_t count_before(const uint64_t *tw, size_t n, size_t from, uint64_t t)
{
	size_t lo = from, step = 1, hi;

	while (lo + step <= n && tw[lo + step - 1] <= t) {
		lo += step;
		step *= 2;
	}
	hi = lo + step <= n ? lo + step - 1 : n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tw[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int merge_init(struct merge *m, const struct asgd__stamp_log *logs, unsigned workers)
{
	m->logs = logs;
	m->next = calloc(workers, sizeof(*m->next));
	m->heap = malloc(workers * sizeof(*m->heap));
	m->size = 0;
	if (!m->next || !m->heap)
		return ASGD_ENOMEM;
	for (unsigned w = 0; w < workers; w++)
		if (logs[w].n > 0)
			m->heap[m->size++] = w;
	for (unsigned i = m->size / 2; i-- > 0;)
		sift_down(m, i);
	return ASGD_OK;
}

int asgd__tau_from_stamps(const struct asgd__stamp_log *logs, unsigned workers, uint64_t *tau,
			  uint32_t *worker, uint64_t *entry)
{
	struct merge m = { 0 };
	size_t total = 0, k = 0, *seen = calloc(workers, sizeof(size_t));
	uint64_t *tw;
	int rc;

	for (unsigned w = 0; w < workers; w++)
		total += logs[w].n;
	tw = malloc((total ? total : 1) * sizeof(uint64_t));
	rc = seen && tw ? merge_init(&m, logs, workers) : ASGD_ENOMEM;
	for (; rc == ASGD_OK && m.size > 0; k++) {
		unsigned w = m.heap[0];
		const struct asgd__stamp_log *l = &logs[w];
		const uint64_t *e = &l->entries[m.next[w] * l->stride + l->offset];

		seen[w] = count_before(tw, k, seen[w], e[0]);
		tw[k] = e[1];
		tau[k] = k - seen[w];
		worker[k] = w;
		if (entry)
			entry[k] = m.next[w];
		if (++m.next[w] == l->n)
			m.heap[0] = m.heap[--m.size];
		sift_down(&m, 0);
	}
	free(m.next);
	free(m.heap);
	free(seen);
	free(tw);
	return rc;
}
