/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/partition.h — the coordinates [0, d) split among S owners: contiguous, balanced blocks,
 * in order, their edges on cache lines where d allows.
 *
 * One module so that every sharded writer splits x the same way: the engine's master with S
 * applier threads (cfg.shards) now, the MPI parameter servers later. A block's edges fall on
 * multiples of ASGD_PARTITION_LINE coordinates (8 doubles, 64 bytes) whenever d has at least
 * one line per owner, so that two owners never write the same cache line of a 64-byte-aligned
 * vector; with fewer lines than owners the blocks are split by single coordinates instead.
 * Either way no block is empty, and sizes differ by at most one unit (a line, or a
 * coordinate): the longer blocks come last, so that the last block, which may end mid-line,
 * is one of them.
 * A partition is a small value: no allocation, nothing to free, O(1) queries.
 */
#ifndef ASGD_PARTITION_H
#define ASGD_PARTITION_H

#include <stddef.h>

/** Coordinates per cache line of doubles: the unit block edges are aligned to. */
#define ASGD_PARTITION_LINE 8

/** A split of [0, dim) into shards blocks. Fill with asgd_partition_init(); read-only after. */
typedef struct asgd_partition {
	size_t dim;       /**< d, the coordinates split */
	unsigned shards;  /**< S, the owners, 1..d */
	size_t unit;      /**< coordinates per unit: ASGD_PARTITION_LINE, or 1 when d < S lines */
	size_t per;       /**< q, units in each of the first S − r blocks */
	unsigned longer;  /**< r, the last r blocks have q + 1 units (the last one clipped at d) */
} asgd_partition;

/**
 * asgd_partition_init() - split [0, @dim) among @shards owners.
 *
 * Return: ASGD_OK, or ASGD_EINVAL with a sentence in @err (when not NULL) for @shards = 0 or
 * @shards > @dim (an owner would get nothing). *@p is written only on success.
 */
int asgd_partition_init(asgd_partition *p, size_t dim, unsigned shards, char *err, size_t errlen);

/** asgd_partition_block() - owner @s's block [*@lo, *@hi), @s < p->shards; never empty. */
void asgd_partition_block(const asgd_partition *p, unsigned s, size_t *lo, size_t *hi);

/** asgd_partition_owner() - the owner of coordinate @j < p->dim: the s whose block holds it. */
unsigned asgd_partition_owner(const asgd_partition *p, size_t j);

#endif /* ASGD_PARTITION_H */
