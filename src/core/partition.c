/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * partition.c — contiguous, balanced, line-aligned blocks of [0, d), or the cyclic comb
 * j mod S (asgd/partition.h).
 *
 * Everything is counted in units (a cache line of doubles, or one coordinate when there are
 * fewer lines than owners): n = ⌈d/unit⌉ units, q = ⌊n/S⌋ each, and the r = n mod S left over
 * go one each to the LAST r blocks. Putting them last is what bounds the spread by one unit:
 * the last block ends mid-line (d need not be a multiple of 8), and as one of the longer
 * blocks it is still at least q units and a coordinate long.
 */
#include "asgd/partition.h"

#include <stdio.h>
#include <string.h>

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
	p->layout = ASGD_PARTITION_BLOCKS;
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

	if (p->layout == ASGD_PARTITION_CYCLIC)
		return (unsigned)(j % p->shards);
	if (u < split)
		return (unsigned)(u / p->per);
	return shorter + (unsigned)((u - split) / (p->per + 1));
}

int asgd_partition_init_layout(asgd_partition *p, size_t dim, unsigned shards,
			       asgd_partition_layout layout, char *err, size_t errlen)
{
	asgd_partition q;
	int rc;

	if (layout != ASGD_PARTITION_BLOCKS && layout != ASGD_PARTITION_CYCLIC) {
		if (err)
			snprintf(err, errlen, "partition layout %d is not allowed: blocks or cyclic",
				 (int)layout);
		return ASGD_EINVAL;
	}
	rc = asgd_partition_init(&q, dim, shards, err, errlen);
	if (rc != ASGD_OK)
		return rc;
	q.layout = layout;
	*p = q;
	return ASGD_OK;
}

const char *asgd_partition_layout_name(asgd_partition_layout layout)
{
	switch (layout) {
	case ASGD_PARTITION_BLOCKS:
		return "blocks";
	case ASGD_PARTITION_CYCLIC:
		return "cyclic";
	}
	return NULL;
}

int asgd_partition_layout_parse(const char *name, asgd_partition_layout *out)
{
	if (!strcmp(name, "blocks"))
		*out = ASGD_PARTITION_BLOCKS;
	else if (!strcmp(name, "cyclic"))
		*out = ASGD_PARTITION_CYCLIC;
	else
		return ASGD_EINVAL;
	return ASGD_OK;
}

size_t asgd_partition_size(const asgd_partition *p, unsigned s)
{
	size_t lo, hi;

	if (p->layout == ASGD_PARTITION_CYCLIC)
		return (p->dim - s + p->shards - 1) / p->shards;
	asgd_partition_block(p, s, &lo, &hi);
	return hi - lo;
}

size_t asgd_partition_local(const asgd_partition *p, size_t j)
{
	size_t lo, hi;

	if (p->layout == ASGD_PARTITION_CYCLIC)
		return j / p->shards;
	asgd_partition_block(p, asgd_partition_owner(p, j), &lo, &hi);
	return j - lo;
}

size_t asgd_partition_global(const asgd_partition *p, unsigned s, size_t i)
{
	size_t lo, hi;

	if (p->layout == ASGD_PARTITION_CYCLIC)
		return i * p->shards + s;
	asgd_partition_block(p, s, &lo, &hi);
	return lo + i;
}
