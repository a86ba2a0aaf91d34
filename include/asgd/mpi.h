/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/mpi.h — the parameter-server mode on MPI: the engine's semantics across processes.
 *
 * Launched as `mpirun -np N asgd run --mode mpi [--servers S] ...`: ranks 0..S−1 are the
 * parameter servers (S = 1 by default: rank 0 alone, the master), ranks S..N−1 are the workers
 * 0..N−S−1. Two-sided messages only:
 *
 *   master → worker   PARAMS (replica, version v, x_v)  |  VALUES (replica, v, x_v on a list)
 *                     |  STOP (replica over)  |  FINISH
 *   worker → master   GRAD (v, batch, gradients computed so far, g [, the list for next time])
 *
 * A worker holds one gradient in flight: it computes on the x_v it was sent, spends its work and
 * its injected network delay, sends (g, v), and waits for the next parameters. The master takes
 * gradients in arrival order, applies x_{k+1} = x_k − ηg (with momentum if asked), records
 * τ_k = k − v exactly as master mode does, and answers the sender with x_{k+1}. Each worker
 * draws from the stream (seed, replica·2^11 + worker) — the same as a thread of master mode — so
 * the same seed gives the same gradient samples per worker, and with one worker an MPI run is
 * bit for bit the threaded run.
 *
 * Sparse messages (a sparse problem, no momentum, no batch schedule): the worker draws the rows
 * of its next gradient before it sends the current one (after that one's work and delay, where
 * the draw would come anyway) and the GRAD carries the gradient's non-zeros (values, uint32
 * indices) and the coordinates those rows read; the master answers VALUES(version, x at exactly
 * those coordinates). A replica's first PARAMS is x_0 in full. Rank 0 counts the bytes each way
 * (asgd_engine_result.mpi_bytes_*).
 *
 * Sharded servers (S ≥ 2, sparse messages only): server s owns the coordinates the partition
 * gives it (asgd/partition.h; cyclic, j mod S, by default, because data columns are not equally
 * busy — with contiguous blocks the first server takes most of the writes of Zipf-like columns).
 * A worker sends every server its piece of each gradient (possibly empty: every update visits
 * every server) and takes every server's answer before it computes again. How versions agree:
 *   - rank 0 (server 0) is the coordinator: its clock is the run's version. Update k is the
 *     k-th gradient rank 0 applied; v is rank 0's clock in the answer the worker last read; the
 *     run's τ = k − v, recorded as with one server. Every update visits rank 0, so k counts
 *     every update.
 *   - every other server keeps its own clock (the pieces it applied) and reports its own
 *     τ_s = clock − the clock of its values the worker read (mean, sd, max per server in
 *     summary.json). Servers take pieces in their own arrival order, so a worker's read is
 *     consistent per server, not across servers: its values from server s may include updates
 *     that rank 0 has not applied yet, or miss some it has. With one worker every τ_s is 0 and
 *     the run is bit for bit the threaded in-place master (the same updates reach every
 *     coordinate in the same order).
 *   - the ending: the other servers apply every piece they receive and cannot take one back,
 *     so nothing may be discarded. Rank 0 parks (does not answer) a worker whose update brings
 *     the applied plus the still-owed gradients to iters; when nobody owes and fewer than iters
 *     are applied (a worker died owing), a parked worker is answered and goes on; at iters the
 *     parked are stopped. Then END(K) tells every other server that K updates were applied;
 *     each takes pieces until its clock reaches K and sends RESULT (its tally, x on its
 *     coordinates, its rows of the trajectory), which rank 0 merges. So every server applies
 *     the same K updates and x_final is the sum of all of them. The threaded modes, and S = 1,
 *     discard the gradients in flight at the end instead; the last W − 1 updates' staleness
 *     is all that differs. (A worker given up on that comes back after the end would be
 *     applied by the other servers and discarded by rank 0: a limit, reported as servers
 *     whose applied count exceeds rank 0's.)
 *   - a trajectory row k holds each server's coordinates after its own k-th piece.
 * Dense problems, momentum and batch schedules refuse S ≥ 2 (they use dense messages), and so
 * does --max-staleness.
 *
 * Bounded staleness (--max-staleness s, one server): rank 0 keeps the books of asgd/engine.h's
 * "Bounded staleness" (src/engine/ssp.c). A worker reads exactly the version it is sent, so
 * its L is its v. Letting a worker read is answering it — PARAMS the first time in a replica,
 * then VALUES or PARAMS — so a worker waiting its turn simply gets no answer yet; a gradient
 * that may not be applied yet is kept (its message copied) until it may. At most s + 1 workers
 * compute at once, and the first s + 1 read x_0.
 *
 * Why not one-sided reads (a passive-target window, MPI_Get without the master): it would give
 * Hogwild-like inconsistent reads, but MPI leaves a Get concurrent with a Put to the same bytes
 * undefined unless both go through MPI_Accumulate/MPI_Get_accumulate, which on one machine cost
 * more than the message they replace; and the paper's model, and validate, are about the
 * consistent-read parameter server. The threaded Hogwild mode measures inconsistent reads.
 *
 * Faults: a worker rank that dies is noticed by rank 0 as silence: when a worker with a
 * gradient due has not been heard from for cfg.mpi_timeout_s, it is counted lost and no longer
 * waited for; when every worker is lost or has left, the run ends `starved`, flagged partial.
 * Open MPI's mpirun kills the whole job when one rank exits with an error unless it is started
 * with `--mca orte_abort_on_non_zero_status 0` (or OMPI_MCA_orte_abort_on_non_zero_status=0);
 * the commands set nothing for you.
 *
 * Built only when CMake finds MPI (ASGD_HAVE_MPI); otherwise every function here returns
 * ASGD_ENOTFOUND, and the threaded modes are unaffected.
 */
#ifndef ASGD_MPI_H
#define ASGD_MPI_H

#include "asgd/engine.h"

/** asgd_mpi_available - 1 when this build has MPI, 0 otherwise. */
int asgd_mpi_available(void);

/**
 * asgd_mpi_init() - MPI_Init (funneled threads), errors returned rather than fatal.
 * @rank, @size: this process's rank and the number of ranks.
 * Return: ASGD_OK; ASGD_ENOTFOUND without MPI; ASGD_EINVAL when MPI could not start.
 */
int asgd_mpi_init(int *argc, char ***argv, int *rank, int *size);

/** The longest host name asgd_mpi_hosts() keeps, with its NUL. */
#define ASGD_MPI_HOST_LEN 64

/**
 * asgd_mpi_hosts() - every rank's host name (MPI_Get_processor_name, cut to
 * ASGD_MPI_HOST_LEN − 1 chars), gathered to rank 0: where each rank runs, so that a run can say
 * whether its servers got a node each. Collective: every rank calls it once.
 * @names: on rank 0, a new array of size × ASGD_MPI_HOST_LEN chars, rank r's name at
 * r·ASGD_MPI_HOST_LEN (free() it); elsewhere NULL.
 * Return: ASGD_OK; ASGD_ENOMEM; ASGD_EIO when the gather failed; ASGD_ENOTFOUND without MPI.
 */
int asgd_mpi_hosts(char **names);

/**
 * asgd_mpi_nodes() - the distinct names among @ranks host names laid out as asgd_mpi_hosts()
 * gives them (rank r's at r·ASGD_MPI_HOST_LEN): the nodes the job ran on. Pure; any build.
 */
unsigned asgd_mpi_nodes(const char *names, int ranks);

/** asgd_mpi_finalize() - MPI_Finalize; a no-op without MPI or before asgd_mpi_init(). */
void asgd_mpi_finalize(void);

/**
 * asgd_mpi_finalize_or_exit() - asgd_mpi_finalize(), bounded: if MPI_Finalize has not returned
 * within @grace_s seconds, the process exits at once with @status (_exit, from a watchdog
 * thread). Open MPI 4.1's MPI_Finalize ends with a fence over every rank that can wait for ever
 * for a rank that died without finalizing. Call it only when every output is written, as the
 * last thing before exiting with @status; at most once per process.
 */
void asgd_mpi_finalize_or_exit(int status, double grace_s);

/**
 * asgd_mpi_serve() - a worker rank's whole life: answer PARAMS with gradients of cfg->problem
 * (cfg's seed, batch, schedule, work, delays and fault apply; its mode, workers and iters do
 * not) until the master says FINISH. A worker whose fault says leave exits the process (a rank
 * that dies), with status 3.
 * Return: ASGD_OK after FINISH; ASGD_EIO when the master is gone; ASGD_ENOMEM; ASGD_ENOTFOUND
 * without MPI.
 */
int asgd_mpi_serve(const asgd_engine_config *cfg);

/**
 * asgd_mpi_finish() - rank 0: tell every other rank (the other @servers − 1 servers, then the
 * workers) to return from asgd_mpi_serve(). @servers: the run's S (0 or 1: rank 0 alone).
 * Return: ASGD_OK, or ASGD_ENOTFOUND without MPI.
 */
int asgd_mpi_finish(unsigned servers);

#endif /* ASGD_MPI_H */
