/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch_internal.h — private to the `asgd batch` experiment (batch_run.c, batch_sim.c). Not
 * installed; nothing outside src/experiment/ includes it.
 */
#ifndef ASGD_BATCH_INTERNAL_H
#define ASGD_BATCH_INTERNAL_H

#include <stdint.h>

#include "asgd/batch_run.h"

/* Tell @c's progress callback (if any) event @e of schedule @i, @done of @total (batch_run.c). */
void asgd__batch_report(const asgd_batch_config *c, asgd_batch_event e, int i, uint64_t done,
			uint64_t total);

/*
 * Schedule @i of @r in the simulator, in up to 32 groups of @c->paths paths in all, into
 * @r->s[i] (batch_sim.c). Returns 0 or an error code; sets @r->interrupted when the stop flag
 * cut a group short (the groups before it are kept).
 */
int asgd__batch_run_sim(const asgd_batch_config *c, asgd_batch_result *r, int i);

#endif /* ASGD_BATCH_INTERNAL_H */
