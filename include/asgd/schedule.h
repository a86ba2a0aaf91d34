/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/schedule.h — the mini-batch schedule B_k of (4.1): a type shared by the real engine, the
 * reference simulators, the exact moments and the batch control, and its CSV file format. Its
 * own module so that the engine does not depend on the simulators' (asgd/model.h).
 */
#ifndef ASGD_SCHEDULE_H
#define ASGD_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A mini-batch schedule: the batch size B_k = 1 + u_k of (4.1) at iteration k. Steps past the end
 * of @size keep its last value; with no array every step uses @constant.
 */
typedef struct asgd_batch_schedule {
	const uint32_t *size;	/* len entries, each ≥ 1; or NULL */
	size_t len;
	uint32_t constant;	/* used when size is NULL; 0 is read as 1 */
} asgd_batch_schedule;

/* B_k, at least 1. @s may be NULL (batch 1). */
static inline uint32_t asgd_batch_at(const asgd_batch_schedule *s, uint64_t k)
{
	if (!s)
		return 1;
	if (s->size && s->len)
		return s->size[k < s->len ? k : s->len - 1];
	return s->constant ? s->constant : 1;
}

/*
 * asgd_batch_schedule_read - read a schedule from a CSV file: an optional header line
 * "k,batch...", then lines "k,B" with k = 0, 1, 2, ... consecutive from 0 and integers B ≥ 1
 * (B ≤ @max_batch when @max_batch > 0); further columns after B are ignored, so `asgd batch`'s
 * schedule.csv (k,batch,u,t) reads back. Blank lines and lines starting with '#' are skipped.
 * On success stores a malloc'd array in *size (free it) and its length in *len.
 * Returns 0; ASGD_EINVAL for NULL arguments; ASGD_EIO if the file cannot be read; ASGD_EPARSE
 * for malformed content, with "FILE:LINE: found '...', what was expected" in @err (the row
 * quoted, non-printable bytes as \xNN; truncated to @errlen).
 */
int asgd_batch_schedule_read(const char *path, uint32_t max_batch, uint32_t **size, size_t *len,
			     char *err, size_t errlen);

#endif /* ASGD_SCHEDULE_H */
