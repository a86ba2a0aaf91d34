/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * partition.c — contiguous, balanced, line-aligned blocks of [0, d) (asgd/partition.h).
 *
 * Everything is counted in units (a cache line of doubles, or one coordinate when there are
 * fewer lines than owners): n = ⌈d/unit⌉ units, q = ⌊n/S⌋ each, and the r = n mod S left over
 * go one each to the LAST r blocks. Putting them last is what bounds the spread by one unit:
 * the last block ends mid-line (d need not be a multiple of 8), and as one of the longer
 * blocks it is still at least q units and a coordinate long.
 */
#include "asgd/partition.h"

#include <stdio.h>

#include "asgd/error.h"

int asgd_partition_init(asgd_partition *p, size_t dim, unsigned shards, char *err, size_t errlen)
{
	size_t lines = (dim + ASGD_PARTITION_LINE - 1) / ASGD_PARTITION_LINE, units;

	if (shards == 0 || shards > dim) {
		if (err)
			snprintf(err, errlen, "%u shards of %zu coordinates are not allowed: 1..%zu, "
					      "so that no shard is empty", shards, dim, dim);
		return ASGD_EINVAL;
	}
	p->dim = dim;
	p->shards = shards;
	p->unit = lines >= shards ? ASGD_PARTITION_LINE : 1;
	units = p->unit == 1 ? dim : lines;
	p->per = units / shards;
	p->longer = (unsigned)(units % shards);
	return ASGD_OK;
}

/* The first unit of block @s (s ≤ shards: block S starts past the end). */
static size_t first_unit(const asgd_partition *p, unsigned s)
{
	unsigned shorter = p->shards - p->longer;

	if (s <= shorter)
		return (size_t)s * p->per;
	return (size_t)shorter * p->per + (size_t)(s - shorter) * (p->per + 1);
}

static size_t edge(const asgd_partition *p, unsigned s)
{
	size_t j = first_unit(p, s) * p->unit;

	return j < p->dim ? j : p->dim;
}

void asgd_partition_block(const asgd_partition *p, unsigned s, size_t *lo, size_t *hi)
{
	*lo = edge(p, s);
	*hi = edge(p, s + 1);
}

unsigned asgd_partition_owner(const asgd_partition *p, size_t j)
{
	unsigned shorter = p->shards - p->longer;
	size_t u = j / p->unit, split = (size_t)shorter * p->per;

	if (u < split)
		return (unsigned)(u / p->per);
	return shorter + (unsigned)((u - split) / (p->per + 1));
}
