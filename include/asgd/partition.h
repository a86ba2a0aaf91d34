/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/partition.h — the coordinates [0, d) split among S owners, in one of two layouts:
 *
 *   blocks  contiguous, balanced blocks, in order, their edges on cache lines where d allows;
 *   cyclic  coordinate j to owner j mod S (a stride-S comb).
 *
 * One module so that every sharded writer splits x the same way: the engine's master with S
 * applier threads (cfg.shards) uses blocks, because each applier then writes whole cache lines
 * of one array; the MPI parameter servers (--servers) use cyclic by default, because on data
 * the columns are not equally busy: with a Zipf-like column frequency (the rcv1 generator's, and
 * typical of text, where columns are numbered by frequency) the first of two blocks would take
 * about 94% of the writes, while j mod S takes ~1/S each. Blocks: a block's edges fall on
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

/** How the coordinates are dealt to the owners. */
typedef enum asgd_partition_layout {
	ASGD_PARTITION_BLOCKS = 0, /**< contiguous blocks (the default of asgd_partition_init) */
	ASGD_PARTITION_CYCLIC,     /**< coordinate j to owner j mod S */
} asgd_partition_layout;

/** A split of [0, dim) among shards owners. Fill with asgd_partition_init() or
 * asgd_partition_init_layout(); read-only after. */
typedef struct asgd_partition {
	asgd_partition_layout layout; /**< blocks or cyclic */
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

/**
 * asgd_partition_init_layout() - asgd_partition_init() with a layout: @layout blocks is
 * asgd_partition_init() itself; cyclic gives owner s the coordinates s, s + S, s + 2S, ...
 * Return: as asgd_partition_init(), with the same limits on @shards.
 */
int asgd_partition_init_layout(asgd_partition *p, size_t dim, unsigned shards,
			       asgd_partition_layout layout, char *err, size_t errlen);

/** asgd_partition_layout_name() - "blocks" or "cyclic"; NULL for anything else. */
const char *asgd_partition_layout_name(asgd_partition_layout layout);

/** asgd_partition_layout_parse() - the layout named @name into *@out; ASGD_OK or ASGD_EINVAL. */
int asgd_partition_layout_parse(const char *name, asgd_partition_layout *out);

/** asgd_partition_block() - owner @s's block [*@lo, *@hi), @s < p->shards; never empty.
 * Blocks layout only: a cyclic owner's coordinates are no interval. */
void asgd_partition_block(const asgd_partition *p, unsigned s, size_t *lo, size_t *hi);

/** asgd_partition_owner() - the owner of coordinate @j < p->dim: the s whose block holds it. */
unsigned asgd_partition_owner(const asgd_partition *p, size_t j);

/** asgd_partition_size() - how many coordinates owner @s < p->shards holds; at least 1. */
size_t asgd_partition_size(const asgd_partition *p, unsigned s);

/** asgd_partition_local() - coordinate @j's place among its owner's coordinates, in
 * 0..asgd_partition_size(owner) − 1, in increasing order of j. */
size_t asgd_partition_local(const asgd_partition *p, size_t j);

/** asgd_partition_global() - the inverse: owner @s's @i-th coordinate. */
size_t asgd_partition_global(const asgd_partition *p, unsigned s, size_t i);

#endif /* ASGD_PARTITION_H */
