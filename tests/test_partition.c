/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_partition.c — the coordinate partition (asgd/partition.h): blocks cover [0, d) once and
 * in order, are balanced to a unit, sit on cache lines where d allows, agree with owner(), and
 * the degenerate splits are refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/partition.h"

/* Every property of one split, checked coordinate by coordinate against block() alone. */
static void check_split(size_t dim, unsigned shards)
{
	asgd_partition p;
	size_t lo, hi, next = 0, smallest = (size_t)-1, largest = 0;
	int aligned = (dim + ASGD_PARTITION_LINE - 1) / ASGD_PARTITION_LINE >= shards;

	cr_assert_eq(asgd_partition_init(&p, dim, shards, NULL, 0), ASGD_OK, "d=%zu S=%u", dim,
		     shards);
	for (unsigned s = 0; s < shards; s++) {
		asgd_partition_block(&p, s, &lo, &hi);
		cr_assert_eq(lo, next, "d=%zu S=%u: block %u starts at %zu, not %zu", dim, shards, s,
			     lo, next);
		cr_assert_lt(lo, hi, "d=%zu S=%u: block %u is empty", dim, shards, s);
		if (aligned)
			cr_assert_eq(lo % ASGD_PARTITION_LINE, 0, "d=%zu S=%u: block %u starts at %zu",
				     dim, shards, s, lo);
		for (size_t j = lo; j < hi; j++)
			cr_assert_eq(asgd_partition_owner(&p, j), s, "d=%zu S=%u: owner(%zu)", dim,
				     shards, j);
		smallest = hi - lo < smallest ? hi - lo : smallest;
		largest = hi - lo > largest ? hi - lo : largest;
		next = hi;
	}
	cr_assert_eq(next, dim, "d=%zu S=%u: the blocks end at %zu", dim, shards, next);
	cr_assert_leq(largest - smallest, aligned ? ASGD_PARTITION_LINE : 1,
		      "d=%zu S=%u: block sizes %zu..%zu", dim, shards, smallest, largest);
}

Test(partition, blocks_cover_every_coordinate_once_in_order)
{
	static const size_t dims[] = { 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100, 127, 500,
				       1000, 10000, 10007 };

	for (size_t i = 0; i < sizeof(dims) / sizeof(*dims); i++)
		for (unsigned s = 1; s <= 40 && s <= dims[i]; s++)
			check_split(dims[i], s);
}

Test(partition, edges_sit_on_cache_lines_when_there_are_enough)
{
	asgd_partition p;
	size_t lo, hi;

	/* 100 coordinates are 13 lines: 3 owners get 4, 4 and 5 lines, the last clipped at 100. */
	cr_assert_eq(asgd_partition_init(&p, 100, 3, NULL, 0), ASGD_OK);
	asgd_partition_block(&p, 0, &lo, &hi);
	cr_assert(lo == 0 && hi == 32, "[%zu, %zu)", lo, hi);
	asgd_partition_block(&p, 1, &lo, &hi);
	cr_assert(lo == 32 && hi == 64, "[%zu, %zu)", lo, hi);
	asgd_partition_block(&p, 2, &lo, &hi);
	cr_assert(lo == 64 && hi == 100, "[%zu, %zu)", lo, hi);
	cr_assert_eq(asgd_partition_owner(&p, 31), 0);
	cr_assert_eq(asgd_partition_owner(&p, 32), 1);
	cr_assert_eq(asgd_partition_owner(&p, 99), 2);
	/* 20 coordinates are 3 lines: 4 owners cannot each have one, so single coordinates. */
	cr_assert_eq(asgd_partition_init(&p, 20, 4, NULL, 0), ASGD_OK);
	cr_assert_eq(p.unit, 1);
	asgd_partition_block(&p, 3, &lo, &hi);
	cr_assert(lo == 15 && hi == 20, "[%zu, %zu)", lo, hi);
}

Test(partition, edge_cases)
{
	asgd_partition p;
	size_t lo, hi;

	cr_assert_eq(asgd_partition_init(&p, 1, 1, NULL, 0), ASGD_OK);
	asgd_partition_block(&p, 0, &lo, &hi);
	cr_assert(lo == 0 && hi == 1);
	cr_assert_eq(asgd_partition_owner(&p, 0), 0);
	cr_assert_eq(asgd_partition_init(&p, 7, 7, NULL, 0), ASGD_OK);
	for (unsigned s = 0; s < 7; s++) {
		asgd_partition_block(&p, s, &lo, &hi);
		cr_assert(lo == s && hi == s + 1, "block %u: [%zu, %zu)", s, lo, hi);
	}
	cr_assert_eq(asgd_partition_init(&p, 10000, 1, NULL, 0), ASGD_OK);
	asgd_partition_block(&p, 0, &lo, &hi);
	cr_assert(lo == 0 && hi == 10000);
}

Test(partition, empty_blocks_are_refused)
{
	asgd_partition p, before;
	char err[128];

	memset(&p, 0x5a, sizeof(p));
	before = p;
	cr_assert_eq(asgd_partition_init(&p, 7, 8, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "8 shards of 7 coordinates") != NULL, "message: %s", err);
	cr_assert(strstr(err, "1..7") != NULL, "message: %s", err);
	cr_assert_eq(asgd_partition_init(&p, 7, 0, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "0 shards") != NULL, "message: %s", err);
	cr_assert_eq(asgd_partition_init(&p, 0, 1, NULL, 0), ASGD_EINVAL);
	cr_assert_eq(memcmp(&p, &before, sizeof(p)), 0, "a refused split wrote the partition");
}

/* local() and global() are inverse bijections between [0, d) and the owners' index ranges
 * [0, size(s)), in increasing order of j within an owner, for both layouts. */
static void check_local_global(size_t dim, unsigned shards, asgd_partition_layout layout)
{
	asgd_partition p;
	size_t total = 0, *seen = calloc(shards, sizeof(size_t));

	cr_assert_eq(asgd_partition_init_layout(&p, dim, shards, layout, NULL, 0), ASGD_OK);
	for (size_t j = 0; j < dim; j++) {
		unsigned s = asgd_partition_owner(&p, j);
		size_t i = asgd_partition_local(&p, j);

		cr_assert_lt(s, shards);
		cr_assert_eq(i, seen[s], "%s d=%zu S=%u: local(%zu) = %zu, expected %zu",
			     asgd_partition_layout_name(layout), dim, shards, j, i, seen[s]);
		cr_assert_eq(asgd_partition_global(&p, s, i), j);
		seen[s]++;
	}
	for (unsigned s = 0; s < shards; s++) {
		cr_assert_eq(seen[s], asgd_partition_size(&p, s), "%s d=%zu S=%u: owner %u",
			     asgd_partition_layout_name(layout), dim, shards, s);
		cr_assert_geq(seen[s], 1);
		total += seen[s];
	}
	cr_assert_eq(total, dim);
	free(seen);
}

Test(partition, local_and_global_are_inverse_in_both_layouts)
{
	static const size_t dims[] = { 1, 2, 7, 9, 17, 64, 100, 1001 };

	for (size_t i = 0; i < sizeof(dims) / sizeof(*dims); i++)
		for (unsigned s = 1; s <= 9 && s <= dims[i]; s++) {
			check_local_global(dims[i], s, ASGD_PARTITION_BLOCKS);
			check_local_global(dims[i], s, ASGD_PARTITION_CYCLIC);
		}
}

Test(partition, cyclic_deals_j_mod_s)
{
	asgd_partition p;
	asgd_partition_layout l;

	cr_assert_eq(asgd_partition_init_layout(&p, 10, 4, ASGD_PARTITION_CYCLIC, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_partition_owner(&p, 9), 1);
	cr_assert_eq(asgd_partition_size(&p, 0), 3); /* 0 4 8 */
	cr_assert_eq(asgd_partition_size(&p, 3), 2); /* 3 7 */
	cr_assert_eq(asgd_partition_init_layout(&p, 3, 4, ASGD_PARTITION_CYCLIC, NULL, 0),
		     ASGD_EINVAL);
	cr_assert_eq(asgd_partition_layout_parse("cyclic", &l), ASGD_OK);
	cr_assert_eq(l, ASGD_PARTITION_CYCLIC);
	cr_assert_eq(asgd_partition_layout_parse("hashed", &l), ASGD_EINVAL);
}
