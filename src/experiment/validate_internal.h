/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate_internal.h — what the halves of the validate experiment share (asgd/validate.h):
 * validate.c runs the real engine, fits its staleness and drives the models; validate_models.c
 * sets up and runs each model and scores it. Not installed.
 */
#ifndef ASGD_VALIDATE_INTERNAL_H
#define ASGD_VALIDATE_INTERNAL_H

#include <stddef.h>

#include "asgd/validate.h"

/*
 * The six models of @m for staleness μ̂ = @mu_hat, the measured pmf @pmf (@pmf_len values) and
 * the mixture @mix with its pmf table @mix_pmf (@mix_len values); @mix NULL leaves the two
 * mixture models disabled. The pointers are borrowed and must outlive the models.
 */
/* Under a staleness bound @s, geometric replay @m draws τ from @pmf, the truncated law fitted
 * (s + 1 values); its μ stays μ̂, the geometric of the same mean (docs/MODELS.md). */
void asgd__validate_models_truncate(asgd_validate_model *m, const double *pmf, uint64_t s);

void asgd__validate_models_init(asgd_validate_model *m, double mu_hat, const double *pmf,
				size_t pmf_len, const asgd_geomix *mix, const double *mix_pmf,
				size_t mix_len);

/*
 * Run model @m (number @index, which picks its random streams) under @cfg, write
 * @cfg->out/<name>/moments.csv when @cfg->out is not NULL, and score it against @real.
 * Returns 0 (also when interrupted) or an error; a refused directory or setting gives its reason
 * in @err (@errlen bytes), otherwise @err is left alone.
 */
int asgd__validate_model_run(const asgd_validate_config *cfg, unsigned index,
			     asgd_validate_model *m, const asgd_moment_table *real, char *err,
			     size_t errlen);

#endif /* ASGD_VALIDATE_INTERNAL_H */
