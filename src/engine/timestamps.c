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
 * With many workers the logs are merged in one pass: every write with t_w ≤ t_r also comes
 * before the update's own write in the merge, so when an update is merged the writes its read
 * saw are already in the merged prefix; a worker's reads are in clock order, so its v is found
 * by walking (then galloping) forward from its previous one: O(N log M) for N updates of M
 * workers. With one or two workers a plain two-way merge does the same for less (below).
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


/* ---- many workers: one merge of all the logs ----------------------------------------------- */

/* A binary min-heap of worker ids, keyed by each worker's next t_w (ties: the lower id); the
 * keys cached beside it, so that a comparison is two loads. */
struct merge {
	const struct asgd__stamp_log *logs;
	size_t *next;  /* per worker: its next unmerged entry */
	uint64_t *key; /* per worker: that entry's t_w */
	unsigned *heap;
	unsigned size;
};

static inline int before(const struct merge *m, unsigned a, unsigned b)
{
	return m->key[a] < m->key[b] || (m->key[a] == m->key[b] && a < b);
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

/*
 * The first index p ≥ from with tw[p] > t in the sorted tw[0..n). A worker's next read is
 * usually a few writes past its last, so a short walk first; then gallop and bisect.
 */
static size_t count_before(const uint64_t *tw, size_t n, size_t from, uint64_t t)
{
	size_t lo = from, step = 1, hi;

	for (int walk = 0; walk < 8; walk++, lo++)
		if (lo == n || tw[lo] > t)
			return lo;
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

static uint64_t entry_key(const struct asgd__stamp_log *l, size_t i)
{
	return l->entries[i * l->stride + l->offset + 1];
}

static int merge_init(struct merge *m, const struct asgd__stamp_log *logs, unsigned workers)
{
	m->logs = logs;
	m->next = calloc(workers, sizeof(*m->next));
	m->key = malloc(workers * sizeof(*m->key));
	m->heap = malloc(workers * sizeof(*m->heap));
	m->size = 0;
	if (!m->next || !m->key || !m->heap)
		return ASGD_ENOMEM;
	for (unsigned w = 0; w < workers; w++)
		if (logs[w].n > 0) {
			m->key[w] = entry_key(&logs[w], 0);
			m->heap[m->size++] = w;
		}
	for (unsigned i = m->size / 2; i-- > 0;)
		sift_down(m, i);
	return ASGD_OK;
}

/* Worker @w's head is merged: its next entry becomes its key, or it leaves the heap. */
static void merge_pop(struct merge *m, unsigned w)
{
	const struct asgd__stamp_log *l = &m->logs[w];

	if (++m->next[w] == l->n)
		m->heap[0] = m->heap[--m->size];
	else
		m->key[w] = entry_key(l, m->next[w]);
	/* with one worker left its entries come in order: no sifting */
	if (m->size > 1)
		sift_down(m, 0);
}

static int tau_by_merge(const struct asgd__stamp_log *logs, unsigned workers, uint64_t *tau,
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
		merge_pop(&m, w);
	}
	free(m.next);
	free(m.key);
	free(m.heap);
	free(seen);
	free(tw);
	return rc;
}

/* ---- one or two workers: a plain two-way merge ------------------------------------------- */

/*
 * The common case on small machines, in a dozen instructions an update instead of a heap's
 * bookkeeping: take the earlier of the two heads (ties: worker 0 first); its v counts its own
 * earlier writes, all before its read (t_w(i−1) ≤ t_r(i)), and the other's writes that ended
 * by its read, a cursor that only grows along the log.
 */
static void tau_by_two(const struct asgd__stamp_log *logs, unsigned workers,
		       uint64_t *restrict tau, uint32_t *restrict worker,
		       uint64_t *restrict entry)
{
	const struct asgd__stamp_log *l[2] = { &logs[0], &logs[workers > 1] };
	const size_t n[2] = { l[0]->n, workers > 1 ? l[1]->n : 0 };
	const size_t stride[2] = { l[0]->stride, l[1]->stride };
	/* per worker: its head entry (t_r, t_w), its log's end, and seen: the first of its writes
	 * not yet known to end after the other's current read */
	const uint64_t *head[2], *end[2], *seen[2];
	size_t next[2] = { 0, 0 }, nseen[2] = { 0, 0 };

	for (int w = 0; w < 2; w++) {
		head[w] = seen[w] = l[w]->entries + l[w]->offset;
		end[w] = head[w] + n[w] * stride[w];
	}
	for (size_t k = 0; k < n[0] + n[1]; k++) {
		unsigned w = head[0] == end[0] || (head[1] != end[1] && head[1][1] < head[0][1]);
		unsigned o = 1 - w;

		while (seen[o] != end[o] && seen[o][1] <= head[w][0]) {
			seen[o] += stride[o];
			nseen[o]++;
		}
		/* less the other's writes w's read saw, and w's own earlier ones */
		tau[k] = k - next[w] - nseen[o];
		worker[k] = w;
		if (entry)
			entry[k] = next[w];
		next[w]++;
		head[w] += stride[w];
	}
}

/* Up to two workers the two-way merge, beyond them the heap. */
int asgd__tau_from_stamps(const struct asgd__stamp_log *logs, unsigned workers, uint64_t *tau,
			  uint32_t *worker, uint64_t *entry)
{
	if (workers <= 2) {
		tau_by_two(logs, workers, tau, worker, entry);
		return ASGD_OK;
	}
	return tau_by_merge(logs, workers, tau, worker, entry);
}
