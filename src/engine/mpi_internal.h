/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mpi_internal.h — what the three sides of the MPI mode share: the message layout, the rank
 * layout, and waiting without spinning. mpi.c starts and ends MPI and sends each rank to its
 * side; mpi_worker.c computes gradients, mpi_master.c is rank 0 (shard 0 and the coordinator),
 * mpi_server.c the other servers (asgd/mpi.h has the protocol).
 */
#ifndef ASGD_MPI_INTERNAL_H
#define ASGD_MPI_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "asgd/engine.h"
#include "asgd/partition.h"

/* PARAMS: rank 0 → workers; GRAD: workers → servers; CTRL: rank 0 → the other servers;
 * RESULT: the other servers → rank 0. Answers from a server to a worker go as PARAMS. */
enum { TAG_PARAMS = 1, TAG_GRAD = 2, TAG_CTRL = 3, TAG_RESULT = 4 };
/* KIND_PARAMS carries all of x; KIND_VALUES (sparse messages) x at the coordinates the worker
 * asked for with its last gradient, in the order it asked. START/END reach the other servers. */
enum { KIND_PARAMS = 1, KIND_STOP = 2, KIND_FINISH = 3, KIND_VALUES = 4, KIND_START = 5,
       KIND_END = 6 };
/* Message headers, in doubles (exact for integers below 2^53). */
enum { HDR = 4 };
enum { P_KIND, P_REPLICA, P_VERSION };  /* to a worker */
enum { G_VERSION, G_BATCH, G_COMPUTED, G_NNZ, G_NEED, SHDR }; /* a gradient, or its piece */
/* START: C_KIND, C_REPLICA, C_EVERY (0: no trajectory), C_ROWS, then x_0 on the shard;
 * END: C_KIND, C_REPLICA, C_UPDATES (the updates rank 0 applied). */
enum { C_KIND, C_REPLICA, C_EVERY, C_ROWS, CHDR };
enum { C_UPDATES = 2 };
/* RESULT: the shard's asgd_engine_shard in R_* doubles, then x on the shard, then its rows. */
enum { R_APPLIED, R_WRITTEN, R_BYTES_IN, R_BYTES_OUT, R_TAU_SUM, R_TAU_SUMSQ, R_TAU_MAX, RHDR };
/*
 * A sparse GRAD (or piece), in bytes: SHDR doubles (G_NNZ gradient entries, G_NEED coordinates
 * wanted next), G_NNZ values (double), G_NNZ indices (uint32), G_NEED indices (uint32): 48 +
 * 12·nnz + 4·need bytes, against 32 + 8d dense. Its answer: HDR doubles and need values,
 * 32 + 8·need. With S servers each gets the piece on its own coordinates (indices global).
 */

#define ASGD_MPI_DEFAULT_TIMEOUT_S 30.0

/* Sparse messages when the problem is sparse and an update writes only the gradient's support:
 * no momentum (its velocity moves every coordinate), and no batch schedule (the batch of the
 * next gradient, drawn before its version is known, must not depend on that version). */
int asgd__mpi_sparse(const asgd_engine_config *cfg);

/* The largest sparse GRAD, in bytes. */
size_t asgd__mpi_grad_bytes(const asgd_engine_config *cfg);

/* S, the servers: ranks 0..S−1 (at least 1). */
unsigned asgd__mpi_servers(const asgd_engine_config *cfg);

/* The servers' split of x (S ≥ 1; with S = 1 the one owner holds everything). */
int asgd__mpi_partition(const asgd_engine_config *cfg, asgd_partition *p);

/* Waits for any of @n requests, polling: yield a few times, then nap. Returns 1 when one
 * completed (its index in *@index, status in @st), 0 when @give_up said so first (checked
 * between naps), −1 on an MPI error. */
int asgd__mpi_poll(int n, MPI_Request *rq, int *index, MPI_Status *st, int (*give_up)(void *),
		   void *arg);

/* The next message with @tag from rank 0 into @buf (at most @count doubles), waiting by
 * polling. ASGD_OK, or ASGD_EIO. */
int asgd__mpi_recv_root(double *buf, int count, int tag);

/* The sides, each a rank's whole life (asgd_mpi_serve dispatches by rank). */
int asgd__mpi_worker_serve(const asgd_engine_config *cfg, int rank);
int asgd__mpi_server_serve(const asgd_engine_config *cfg, int rank);

#endif /* ASGD_MPI_INTERNAL_H */
