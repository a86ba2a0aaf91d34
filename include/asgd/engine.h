/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/engine.h — the real threaded ASGD engine (master mode).
 *
 * M worker threads and one master share the parameter vector. The master owns the iterate: it
 * applies x_{k+1} = x_k − η g_k, optionally with explicit momentum, and publishes every version
 * x_k through liburcu (memb flavour), old versions being reclaimed in batches after a grace
 * period. A worker reads the newest published version x_v under rcu_read_lock, samples a
 * component (or a mini-batch) γ, computes ∇f_γ(x_v), spends an injected work time, and hands
 * (g, v) to the master through a wait-free queue. Each worker has at most one gradient in
 * flight: it reads again only after the master has taken its gradient. The master records
 * the staleness τ_k = k − v of every gradient it applies — exactly the τ_k of (2.1).
 *
 * Synchronisation (who may call what):
 *
 *   object              written by            read by
 *   published x_v       master (RCU publish)  workers, under rcu_read_lock
 *   gradient slot       its worker            master, after dequeue
 *   slot state          worker: 0→1 (send)    master: →0 (taken), →3 (shutdown)
 *   stop flag           anyone (e.g. SIGINT)  master
 *   block s of x_{k+1}  applier s (shards)    master, after the block's done count; then as x_v
 *
 * Accounting: every gradient a worker computes is applied exactly once or counted as
 * discarded at shutdown (computed = applied + discarded); asgd_engine_run() checks it and
 * reports it in the result.
 *
 * Mini-batches: a gradient is the mean over B components drawn WITHOUT replacement, B = batch or,
 * with a schedule, B_v for the version v the worker read (a worker does not know which update its
 * gradient will become; with staleness τ the update k uses B_{k−τ_k}). The simulator's
 * mini-batch ASGD (4.1) draws WITH replacement, as the paper's variance computation assumes.
 * Without replacement the mean's variance is smaller by the finite-population factor
 * (n − B)/(n − 1): 0.96 at B = 5 of n = 100, 0.5 at B = 51, and 0 at B = n (the full gradient).
 * The injected work is per gradient, whatever B, so a batch changes no clock and no staleness —
 * the paper's assumption under (4.1).
 */
#ifndef ASGD_ENGINE_H
#define ASGD_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/partition.h"
#include "asgd/problem.h"
#include "asgd/schedule.h"
#include "asgd/work.h"

/*
 * Modes: how workers and updates meet.
 *
 * ASGD_ENGINE_MASTER (the default) is the contract above: consistent snapshots, so a gradient
 * computed on version v saw exactly x_v, and τ = k − v is exact.
 *
 * ASGD_ENGINE_MASTER_INPLACE keeps the master as the only writer but drops the snapshots: the
 * master applies each gradient in place to one shared vector of relaxed atomic doubles (floats
 * under ASGD_PRECISION_F32, below), touching only the gradient's support, then advances a
 * version counter (release). A worker reads the
 * counter (acquire) as v and then the coordinates its components need. Every update before v
 * is visible to it; updates applied while it reads may be partly visible too, so τ = k − v
 * bounds from above the staleness of each coordinate read. For sparse data models this costs
 * O(nnz) per update instead of O(d). Explicit momentum needs a dense velocity and is refused.
 *
 * ASGD_ENGINE_HOGWILD has no master (Niu et al. 2011): each worker adds −η g to the shared
 * vector itself, coordinate by coordinate, as Hogwild does: a relaxed atomic load and a relaxed
 * atomic store per coordinate (plain moves on x86, data-race-free C11), so that two workers
 * adding to one coordinate at once may lose one of the two additions
 * (ASGD_HOGWILD_WRITE_RACY), or, on request, with a relaxed compare-and-swap loop that loses
 * none (ASGD_HOGWILD_WRITE_CAS). No update is atomic as a whole either way. τ counts the updates
 * written between an update's read and its write, by one of two clocks (asgd_hogwild_clock):
 * by default each worker stamps its reads and writes with a clock of its own core and the logs
 * are merged after the run, so that no cache line is written by every update; or a global
 * counter of completed updates is read before the read (v) and incremented after the write (k,
 * the update's index), τ = k − v. A worker reserves its slots among the iters updates in chunks
 * before writing, so exactly iters are applied and the rest are counted discarded (the iteration
 * cap costs one shared atomic add per chunk). Trajectory row j is copied, with relaxed loads,
 * right after the write of update jS − 1 (S = record_every): by the counter, the update that
 * completed jS-th; by timestamps, the one that reserved slot jS − 1, with chunks small enough
 * (S/8M updates) that the copy sees about jS updates. Either way the row may include parts of
 * updates that were in progress. Momentum is refused.
 *
 * ASGD_ENGINE_COMBINING gives master mode's semantics — every gradient computed on a whole
 * version x_v, updates applied whole, one at a time, in arrival order, τ = k − v — without a
 * master thread, so that no update waits for a thread to be woken: the worker whose gradient
 * arrives applies it itself, holding one lock (arrival order is the lock's order). Reads take
 * no lock: a sequence lock (even between updates, odd during one) tells a worker that an update
 * ran while it gathered x, and it then computes the same gradient (same draws) again on the new
 * version. Trajectory row k+1 is copied under the lock. Momentum is refused.
 */
typedef enum asgd_engine_mode {
	ASGD_ENGINE_MASTER = 0,
	ASGD_ENGINE_MASTER_INPLACE,
	ASGD_ENGINE_HOGWILD,
	ASGD_ENGINE_MPI, /**< the parameter server on MPI ranks: asgd/mpi.h */
	ASGD_ENGINE_COMBINING, /**< master mode's semantics without a master thread: below */
} asgd_engine_mode;

/*
 * Shards (cfg.shards = S ≥ 2, master mode only). The snapshot master's apply costs O(d) per
 * update on one thread, so at large d the master, not the workers, limits the update rate. With
 * shards, [0, d) is split into S contiguous blocks (asgd_partition, edges on cache lines) and the
 * apply of update k, x_{k+1} = x_k − η g into the fresh snapshot, is split too: the master hands
 * the update out by bumping a generation counter (release), applies block 0 itself while applier
 * s applies block s, then waits until all S − 1 have counted their block done (each a release,
 * read with acquire), and only then publishes the snapshot — still one version counter, the
 * snapshot's. Readers therefore never see a half-applied snapshot: the release store that
 * publishes it comes after (happens after) every block's writes, and a reader's acquire load of
 * it sees them all. Each coordinate is computed by the same expression whoever owns it, so with
 * one worker a run is bit-identical whatever S; each block reports whether its coordinates stayed
 * finite, so divergence is still caught. Appliers wait as workers do (yield, then a futex) and
 * leave at the end of the run. Refused in master-inplace (a sparse gradient touches a few
 * coordinates: the hand-off would cost more than the update), Hogwild and combining (no master)
 * and MPI (the master is another process; asgd/partition.h is what its servers will share).
 */

/*
 * Bounded staleness (cfg.max_staleness = s ≥ 1; 0, the default, is unbounded), in the spirit of
 * Petuum's Stale Synchronous Parallel. Master, master-inplace and MPI (one server: rank 0
 * keeps the same books, src/engine/ssp.c) modes: Hogwild and combining have no master to hold
 * an update back, and MPI's S ≥ 2 servers apply each piece as it arrives.
 *
 * The master keeps, for every worker whose read is outstanding (it may read, or has read, and
 * its gradient has not been applied yet), L_w: the version the master had published when it
 * let that worker read. The worker then reads a version v_w ≥ L_w, so the master's L_w is a
 * lower bound of the truth, and a bound on k − L_w bounds the recorded τ = k − v_w. Let k be
 * the index of the next update (the number applied so far) and R the outstanding reads, sorted
 * by L (oldest first: L_(1) ≤ L_(2) ≤ ...). The master keeps R schedulable:
 *
 *     k + i − 1 ≤ L_(i) + s   for i = 1..|R|,                                    (SSP)
 *
 * i.e. applying R's gradients oldest first, each would have τ ≤ s. Two rules keep (SSP):
 *   - a gradient from u ∈ R is applied at index k only if R \ {u} is schedulable from k + 1
 *     (k + i ≤ L_(i) + s for the others, i = 1..); otherwise it is held: not applied, not
 *     discarded, its worker not let read again. After every update (and every departure) the
 *     held gradients are tried again, in arrival order;
 *   - a worker whose gradient was applied may read again (joins R with L = k, the new
 *     version) only while |R| < s + 1: (SSP) for a newcomer at the end of the order says
 *     exactly |R| ≤ s + 1. So at most s + 1 gradients are ever in flight — any more, read
 *     before any of them is applied, would force the last one applied to τ ≥ s + 1 — and the
 *     others wait for their turn to read, in the order their gradients were applied. Workers
 *     start waiting too: the first s + 1 read x_0.
 * Every applied gradient then has τ ≤ s (by (SSP), τ = k − v_u ≤ k − L_u ≤ s), and the run
 * cannot deadlock: the oldest reader's gradient always passes the first rule (drop i = 1 from
 * (SSP)), so whenever its gradient arrives, it is applied, and R only holds gradients that
 * wait for an older one still being computed. A worker that leaves (ASGD_FAULT_LEAVE) leaves R
 * at once (its read is no longer outstanding), the stop flag ends the run whatever is held, and
 * gradients still held when the run ends count as discarded (res->ssp_held counts them).
 * With s ≥ 1 the bound costs the master O(|R|) ≤ O(min(M, s + 1)) per gradient it checks.
 */

/** How a Hogwild worker adds its gradient to a coordinate (see ASGD_ENGINE_HOGWILD above). */
typedef enum asgd_hogwild_write {
	ASGD_HOGWILD_WRITE_RACY = 0, /**< load + store: a concurrent addition may be lost */
	ASGD_HOGWILD_WRITE_CAS,      /**< compare-and-swap loop: every addition lands */
} asgd_hogwild_write;

/*
 * Precision of the shared vector. ASGD_PRECISION_F64 (the default) is the engine as it always
 * was: every mode, every problem, bit for bit. ASGD_PRECISION_F32 stores the live vector of the
 * master-inplace, Hogwild and combining modes as relaxed atomic floats, 4 bytes a coordinate
 * instead of 8, as most practitioners train: a worker gathers its support in float and converts
 * it to double, computes the gradient in double on the dataset's double values, and each write
 * x_j − η g_j is computed in double and rounded to float once when stored. What stays double:
 * the dataset, the gradient, the step, x0, the trajectory rows and x_final (converted from the
 * floats, exactly), so everything downstream is unchanged. Only data models (asgd/datamodel.h)
 * may ask for f32; presets, the snapshot master (whose snapshots are dense copies) and MPI are
 * refused by asgd_engine_check_config(). The exact-arithmetic checks of the suite stay in f64.
 */
typedef enum asgd_precision {
	ASGD_PRECISION_F64 = 0,
	ASGD_PRECISION_F32,
} asgd_precision;

/** asgd_precision_name - "f64", "f32"; NULL if unknown. */
const char *asgd_precision_name(asgd_precision p);

/** asgd_precision_parse - the precision named @name: ASGD_OK, ASGD_ENOTFOUND or ASGD_EINVAL. */
int asgd_precision_parse(const char *name, asgd_precision *out);

/**
 * How Hogwild measures τ (see ASGD_ENGINE_HOGWILD above). Both clocks count the updates written
 * between an update's read and its write; they differ only for writes that end within a few
 * nanoseconds of a read's start, which is why they agree on all but a tiny fraction of updates
 * (tests/test_engine.c requires 99.9%).
 */
typedef enum asgd_hogwild_clock {
	ASGD_HOGWILD_CLOCK_AUTO = 0,  /**< timestamps, or the counter when a batch schedule
	                                  needs each read's version */
	ASGD_HOGWILD_CLOCK_COUNTER,   /**< one shared counter, incremented by every update */
	ASGD_HOGWILD_CLOCK_TIMESTAMP, /**< per-worker logs of read and write times (an invariant
	                                  TSC, or CLOCK_MONOTONIC), merged after the run; with one
	                                  worker τ = 0 and nothing is stamped */
	ASGD_HOGWILD_CLOCK_BOTH,      /**< the counter's τ in res->tau and the timestamps' in
	                                  res->tau_timestamp, in one run: a check of the two */
} asgd_hogwild_clock;

/** asgd_hogwild_clock_name - "auto", "counter", "timestamp", "both"; NULL if unknown. */
const char *asgd_hogwild_clock_name(asgd_hogwild_clock c);

/** asgd_hogwild_clock_parse - the clock named @name: ASGD_OK, ASGD_ENOTFOUND or ASGD_EINVAL. */
int asgd_hogwild_clock_parse(const char *name, asgd_hogwild_clock *out);

struct asgd_engine_config;

/** asgd_hogwild_clock_resolve - the clock a run of @cfg uses: never ASGD_HOGWILD_CLOCK_AUTO. */
asgd_hogwild_clock asgd_hogwild_clock_resolve(const struct asgd_engine_config *cfg);

/**
 * How workers pick the rows (components) of their gradients. Uniform draws each with
 * replacement, as the paper's SGD does; shuffle visits rows in epochs, as practitioners train:
 * worker w of M owns the rows i ≡ w (mod M) (all rows when n < M) and visits them in a fresh
 * random order each pass, so that with equal speeds every epoch of n updates sees every row
 * once. A mini-batch takes the next B rows of the order.
 */
typedef enum asgd_sampling {
	ASGD_SAMPLING_UNIFORM = 0,
	ASGD_SAMPLING_SHUFFLE,
} asgd_sampling;

/** asgd_sampling_name - "uniform", "shuffle"; NULL if unknown. */
const char *asgd_sampling_name(asgd_sampling s);

/** asgd_sampling_parse - the sampling named @name: ASGD_OK, ASGD_ENOTFOUND or ASGD_EINVAL. */
int asgd_sampling_parse(const char *name, asgd_sampling *out);

/** asgd_hogwild_write_name - "racy", "cas"; NULL if unknown. */
const char *asgd_hogwild_write_name(asgd_hogwild_write w);

/** asgd_hogwild_write_parse - the write named @name: ASGD_OK, ASGD_ENOTFOUND or ASGD_EINVAL. */
int asgd_hogwild_write_parse(const char *name, asgd_hogwild_write *out);

/** asgd_engine_mode_name - "master", "master-inplace", "hogwild", "mpi"; NULL if unknown. */
const char *asgd_engine_mode_name(asgd_engine_mode mode);

/** asgd_engine_mode_parse - the mode named @name: ASGD_OK, ASGD_ENOTFOUND or ASGD_EINVAL (NULL). */
int asgd_engine_mode_parse(const char *name, asgd_engine_mode *out);

/*
 * Injected faults, to test that a run survives them (`asgd run --fault`): a worker that stalls
 * once for a while before sending its gradient, or one that fails and leaves the run for good
 * with its last gradient unsent (counted discarded). The master notices when every worker has
 * left and ends the run early instead of waiting for gradients that will never come.
 */
typedef enum asgd_fault_kind {
	ASGD_FAULT_NONE = 0,
	ASGD_FAULT_STALL, /**< the worker sleeps stall_ns once, gradient in hand */
	ASGD_FAULT_LEAVE, /**< the worker exits; if all do, the run ends (res->starved) */
} asgd_fault_kind;

/** Where and when a fault strikes. Zero-initialised: none. */
typedef struct asgd_engine_fault {
	asgd_fault_kind kind;
	unsigned worker;  /**< the worker it strikes, < workers */
	uint64_t after;   /**< when that worker has computed this many gradients (≥ 1) */
	double stall_ns;  /**< ASGD_FAULT_STALL: how long */
} asgd_engine_fault;

/**
 * asgd_engine_fault_parse() - read "none", "stall:W:N:DUR" (worker W stalls DUR, e.g. 1s, after
 * computing N gradients) or "leave:W:N" (worker W leaves after computing N gradients).
 * Return: ASGD_OK, or ASGD_EINVAL with a sentence in @err naming what is wrong.
 */
int asgd_engine_fault_parse(const char *spec, asgd_engine_fault *out, char *err, size_t errlen);

/** The largest staleness bound cfg.max_staleness may ask for: its law's s + 1 levels fit the
 * simulators' pmf tables (asgd/sim.h, 2^24 levels). */
#define ASGD_MAX_STALENESS (((uint64_t)1 << 24) - 1)

/** The most worker threads one run may start. */
#define ASGD_MAX_WORKERS 1024

/** The most shards (the master and its applier threads) one run may split its apply over. */
#define ASGD_MAX_SHARDS 1024

/** What one run of the engine does. Zero-initialise, then set the fields you need. */
typedef struct asgd_engine_config {
	const asgd_problem *problem; /**< the objective; not owned, must outlive the run */
	asgd_engine_mode mode;       /**< see "Modes" above; zero is ASGD_ENGINE_MASTER */
	asgd_hogwild_write hogwild_write; /**< ASGD_ENGINE_HOGWILD: how coordinates are added;
	                                  zero is racy, as Hogwild */
	asgd_hogwild_clock hogwild_clock; /**< ASGD_ENGINE_HOGWILD: how τ is measured; zero:
	                                  timestamps where the run allows */
	asgd_precision precision;    /**< the live vector's storage (see asgd_precision); zero is
	                                  f64. f32: data models in master-inplace, hogwild and
	                                  combining modes only */
	unsigned workers;            /**< M, 1..ASGD_MAX_WORKERS */
	uint64_t iters;              /**< updates the master applies, ≥ 1 */
	double eta;                  /**< step size η > 0 */
	double momentum;             /**< explicit momentum β ∈ (−1,1) at the master, as in (2.6).
	                                  Negative β is allowed on purpose: asynchrony already
	                                  adds momentum (about 1 − 1/M, Mitliagkas et al.), and
	                                  when that exceeds the best total a negative explicit
	                                  momentum cancels the excess (`asgd advise`) */
	unsigned batch;              /**< components per gradient, 1..n, drawn without replacement; 0 means 1 */
	asgd_batch_schedule schedule; /**< when schedule.size is not NULL, a worker that read
	                                  version v draws asgd_batch_at(&schedule, v) components
	                                  instead of batch, capped at n (each entry ≥ 1; see
	                                  "Mini-batches" above) */
	asgd_work work;              /**< injected work time per gradient */
	asgd_sampling sampling;      /**< how rows are picked; zero is uniform (not with MPI) */
	double eta_decay;            /**< 0 (none), or a factor in (0, 1]: update k uses
	                                  η·decay^⌊k/n⌋, one step down per epoch of n updates
	                                  (not with MPI) */
	uint64_t seed;               /**< with replica, fixes every worker's random stream */
	uint64_t replica;            /**< index of this run among independent replicas */
	const double *x0;            /**< starting point (dim values); NULL: the problem's x0 */
	double *trajectory;          /**< NULL, or (iters/S + 1) * dim doubles: row r receives
	                                  x_{rS}, with S = record_every */
	uint64_t record_every;       /**< S, updates between trajectory rows, 1..iters; 0 means 1
	                                  (a row per update). Large problems record sparsely: a
	                                  row costs a copy of x */
	int record_staleness;        /**< nonzero: keep τ and the worker id of every applied gradient */
	int pin;                     /**< nonzero: pin threads to the CPUs this process may use,
	                                  round-robin — the master (the calling thread, for the run
	                                  only) to the first, worker i to the (i+1)-th, so that the
	                                  master has a core to itself when there are more CPUs than
	                                  workers; in Hogwild, worker i to the i-th. With S ≥ 2
	                                  shards, applier s to the s-th and worker i to the
	                                  (i+S)-th, so that the master's team sits together */
	unsigned shards;             /**< S, master mode only: 0 or 1, the master applies each
	                                  update alone; S ≥ 2 (at most the dimension d and
	                                  ASGD_MAX_SHARDS), the apply is split over the master and
	                                  S − 1 applier threads, each owning a block of coordinates
	                                  (asgd/partition.h) — for large d on many cores, where one
	                                  thread's O(d) apply is the ceiling. See "Shards" above */
	const atomic_int *stop;      /**< NULL, or a flag that ends the run early when nonzero
	                                  (async-signal-safe to set: a SIGINT handler may set it) */
	asgd_engine_fault fault;     /**< an injected fault; zero: none */
	uint64_t max_staleness;      /**< s: 0 unbounded (the default); 1..ASGD_MAX_STALENESS,
	                                  every applied gradient has τ ≤ s (see "Bounded
	                                  staleness" above; master and master-inplace modes) */
	/* ASGD_ENGINE_MPI (asgd/mpi.h); slow_worker and slow_delay also in master and
	 * master-inplace modes, where that worker spends slow_delay after its work, before it
	 * sends each gradient (a straggler): */
	asgd_work net_delay;         /**< injected delay per gradient message, on the worker side */
	int slow_worker;             /**< a worker (0-based) with its own delay; −1 or 0 with
	                                  slow_delay.kind none: none */
	asgd_work slow_delay;        /**< that worker's delay instead of net_delay */
	double mpi_timeout_s;        /**< a worker silent this long is lost (0: 30 s) */
	unsigned mpi_servers;        /**< S: ranks 0..S−1 are the parameter servers, each owning
	                                  a part of x (asgd/mpi.h, "Sharded servers"); 0 or 1:
	                                  rank 0 alone. S ≥ 2 needs sparse messages */
	asgd_partition_layout mpi_partition; /**< how S ≥ 2 servers split x (asgd/partition.h) */
} asgd_engine_config;

/** MPI: rank 0 times its service of one update in this many (a thread-CPU clock read costs
 * a system call, too much for every update). */
#define ASGD_MPI_SERVICE_EVERY 16

/** What one MPI parameter server (a shard of x) did in a run: asgd_engine_result.mpi_shard. */
typedef struct asgd_engine_shard {
	uint64_t coords;         /**< coordinates of x it owns */
	uint64_t applied;        /**< pieces of updates it applied (every update visits every
	                              server, so this is the number of updates) */
	uint64_t coords_written; /**< coordinates those pieces wrote */
	uint64_t bytes_in;       /**< bytes of the pieces it received */
	uint64_t bytes_out;      /**< bytes of its answers (and, for rank 0, of x_0 and STOPs) */
	double tau_sum;          /**< Σ τ_s over its pieces, τ_s = its clock − the clock of its
	                              values the worker read (asgd/mpi.h) … */
	double tau_sumsq;        /**< … Σ τ_s² … */
	uint64_t tau_max;        /**< … and the largest τ_s */
} asgd_engine_shard;

/** What one run measured. Free with asgd_engine_result_free(). */
typedef struct asgd_engine_result {
	uint64_t computed;   /**< gradients the workers computed */
	uint64_t applied;    /**< gradients the master applied (= updates) */
	uint64_t discarded;  /**< gradients computed but not applied because the run ended */
	uint64_t coords_written; /**< coordinates written by the updates: dim per update in
	                              snapshot mode, the gradients' support sizes otherwise */
	uint64_t evaluations; /**< component gradients in the applied updates: the sum of their
	                           batch sizes */
	uint64_t *tau;       /**< applied entries, in apply order, when record_staleness; else NULL */
	uint32_t *worker;    /**< the worker id of each applied gradient, alongside tau */
	uint64_t *tau_timestamp; /**< ASGD_HOGWILD_CLOCK_BOTH with record_staleness: the τ the
	                              timestamps give update k (k in the counter's order) */
	double wall_s;       /**< from the first read to the last update */
	double work_mean_ns; /**< realised injected work time: mean … */
	double work_cv;      /**< … and coefficient of variation (NAN when no work was injected) */
	int diverged;        /**< the iterate became non-finite; the run stopped there */
	int interrupted;     /**< the stop flag ended the run early */
	unsigned workers_left; /**< workers that left early (ASGD_FAULT_LEAVE) */
	int starved;         /**< every worker left: the run ended with fewer than iters updates */
	unsigned workers_lost; /**< MPI: worker ranks that fell silent past the timeout (died) */
	uint64_t mpi_bytes_to_workers; /**< MPI: bytes rank 0 sent the workers (PARAMS, STOP) */
	uint64_t mpi_bytes_to_master;  /**< MPI: bytes rank 0 received from them (GRAD) */
	int mpi_sparse;      /**< MPI: sparse messages were used (asgd/mpi.h) */
	unsigned mpi_servers; /**< MPI: S, the servers (1: rank 0 alone) */
	double mpi_rank0_cpu_s; /**< MPI: CPU time rank 0's thread spent in the run (user + system;
	                             its waits poll, so an upper bound on its work) */
	double mpi_service_s;   /**< MPI: rank 0's thread CPU time from a gradient's arrival to its
	                             answer sent (apply, record, answer), summed over … */
	uint64_t mpi_service_n; /**< … this many sampled updates (every ASGD_MPI_SERVICE_EVERY-th) */
	asgd_engine_shard *mpi_shard; /**< MPI with S ≥ 2: S entries, server s at [s]; else NULL */
	/* max_staleness ≥ 1 (see "Bounded staleness" above); 0 otherwise: */
	uint64_t ssp_held;   /**< gradients held back at least once (applied later, or
	                          discarded when the run ended) */
	uint64_t ssp_held_versions; /**< Σ over the held gradients later applied of the updates
	                          applied while each waited (arrival to apply, in versions) */
	uint64_t ssp_reads_delayed; /**< reads that had to wait for their turn (a worker not
	                          let read at once when its gradient was applied, or at start) */
	uint64_t ssp_read_wait_versions; /**< Σ over those reads of the updates applied while
	                          each waited */
	double *x_final;     /**< the last iterate, dim values */
} asgd_engine_result;

/**
 * asgd_engine_run() - run the engine once, on the calling thread as master.
 *
 * Starts cfg->workers threads, applies cfg->iters updates (fewer when stopped or diverged),
 * joins the threads and fills *res. Worker threads block all signals, so a process-directed
 * signal such as SIGINT is handled by the calling thread. Not reentrant with respect to the
 * same cfg->trajectory buffer; several engines may run at once.
 *
 * Return: ASGD_OK (also for a diverged or interrupted run: see res->diverged, res->interrupted),
 * ASGD_EINVAL for a bad configuration, ASGD_ENOMEM, or ASGD_ETHREAD when a thread could not be
 * started (the threads already started are stopped and joined first).
 */
int asgd_engine_run(const asgd_engine_config *cfg, asgd_engine_result *res);

/** asgd_engine_result_free() - release what a run allocated in *res; safe on a zeroed result. */
void asgd_engine_result_free(asgd_engine_result *res);

/**
 * asgd_engine_check_config() - validate a configuration without running it.
 *
 * Return: ASGD_OK or ASGD_EINVAL; on EINVAL, err (when not NULL) receives a sentence naming
 * the bad field, its value and what is allowed.
 */
int asgd_engine_check_config(const asgd_engine_config *cfg, char *err, size_t errlen);

#endif /* ASGD_ENGINE_H */
