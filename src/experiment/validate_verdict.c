/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate_verdict.c — what the validate experiment's scores allow it to say (asgd/validate.h):
 * whether the best model is distinguishable from the others, how many replicas would separate two
 * models, and the one-sentence answer to "does SME-ASGD predict the real run better than
 * SME-SGD?".
 */
#include "asgd/validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "asgd/error.h"

/* The largest gap of a score and its SE: mean, or relative E x² with @second. */
static double gap_of(const asgd_validate_model *m, int second)
{
	return second ? m->score.gap.second_rel : m->score.gap.mean;
}

static double gap_se_of(const asgd_validate_model *m, int second)
{
	return second ? m->score.gap.second_rel_se : m->score.gap.mean_se;
}

int asgd_validate_tied(const asgd_validate_model *m, int second, int *tied)
{
	int best = asgd_validate_best(m, second), n = 0;

	if (best < 0)
		return 0;
	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++) {
		double diff, se;

		if (!m[i].have_score)
			continue;
		diff = gap_of(&m[i], second) - gap_of(&m[best], second);
		se = hypot(gap_se_of(&m[i], second), gap_se_of(&m[best], second));
		if (i == best || !(diff > se))	/* a NaN is no evidence either */
			tied[n++] = i;
	}
	return n;
}

int asgd_validate_distinguishable(const asgd_validate_model *m, int second)
{
	int tied[ASGD_VALIDATE_NMODELS], scored = 0;

	for (int i = 0; i < ASGD_VALIDATE_NMODELS; i++)
		scored += m[i].have_score != 0;
	return scored > 1 && asgd_validate_tied(m, second, tied) == 1;
}

uint64_t asgd_validate_replicas_needed(uint64_t replicas, double diff, double se_diff, double z)
{
	double r;

	if (!isfinite(diff) || !isfinite(se_diff) || !isfinite(z) || diff == 0)
		return ASGD_VALIDATE_REPLICAS_CAP;
	/* up, but not past an integer that rounding error alone overshoots */
	r = ceil((double)replicas * pow(z * se_diff / fabs(diff), 2) * (1 - 1e-12));
	if (!(r < (double)ASGD_VALIDATE_REPLICAS_CAP))
		return ASGD_VALIDATE_REPLICAS_CAP;
	return r < 2 ? 2 : (uint64_t)r;
}

/* "inside the band on 97.0% of mean cells" or "outside ... on 41.0%". */
static const char *band_word(int inside)
{
	return inside ? "inside" : "outside";
}

static void answer_text(asgd_validate_answer *a)
{
	char need[96];

	if (fabs(a->separation) >= ASGD_VALIDATE_DECISIVE_Z)
		snprintf(need, sizeof(need), "the gaps are apart, the band verdicts do not split "
					     "them");
	else if (a->replicas_needed >= ASGD_VALIDATE_REPLICAS_CAP)
		snprintf(need, sizeof(need), "no practical number of replicas would separate them");
	else
		snprintf(need, sizeof(need), "about %llu replicas would separate them at %.0f SE",
			 (unsigned long long)a->replicas_needed, ASGD_VALIDATE_DECISIVE_Z);
	if (a->decisive)
		snprintf(a->text, sizeof(a->text),
			 "Answer: %s — SME-ASGD (mu_hat = %.4f) is %s the ±2 SE band (cells inside: "
			 "%.1f%% mean, %.1f%% second moment), SME-SGD %s it (%.1f%%, %.1f%%); their largest "
			 "mean gaps differ by %.1f combined SE.", a->yes ? "yes" : "no", a->asgd_mu,
			 band_word(a->asgd_inside), 100 * a->asgd_inside_mean,
			 100 * a->asgd_inside_second, band_word(a->sgd_inside),
			 100 * a->sgd_inside_mean, 100 * a->sgd_inside_second, fabs(a->separation));
	else
		snprintf(a->text, sizeof(a->text),
			 "Not decisive: SME-ASGD (mu_hat = %.4f) is %s the ±2 SE band (cells inside: "
			 "%.1f%% mean, %.1f%% second moment), SME-SGD %s it (%.1f%%, %.1f%%); their largest "
			 "mean gaps differ by %+.1f combined SE (decisive: one inside, one outside, "
			 ">= %.0f SE apart); %s.", a->asgd_mu, band_word(a->asgd_inside),
			 100 * a->asgd_inside_mean, 100 * a->asgd_inside_second,
			 band_word(a->sgd_inside), 100 * a->sgd_inside_mean,
			 100 * a->sgd_inside_second, a->separation, ASGD_VALIDATE_DECISIVE_Z, need);
}

int asgd_validate_answer_of(const asgd_validate_model *m, uint64_t replicas,
			    asgd_validate_answer *out)
{
	const asgd_validate_model *a, *s;
	double diff, se;

	if (!m || !out)
		return ASGD_EINVAL;
	memset(out, 0, sizeof(*out));
	a = &m[ASGD_VALIDATE_SME_ASGD];
	s = &m[ASGD_VALIDATE_SME_SGD];
	if (!a->have_score || !s->have_score)
		return ASGD_OK;
	out->known = 1;
	out->asgd_inside = a->score.inside_band;
	out->sgd_inside = s->score.inside_band;
	out->asgd_mu = a->mu;
	out->asgd_inside_mean = a->score.inside_mean;
	out->sgd_inside_mean = s->score.inside_mean;
	out->asgd_inside_second = a->score.inside_second;
	out->sgd_inside_second = s->score.inside_second;
	diff = s->score.gap.mean - a->score.gap.mean;
	se = hypot(s->score.gap.mean_se, a->score.gap.mean_se);
	out->separation = se > 0 ? diff / se : diff > 0 ? INFINITY : diff < 0 ? -INFINITY : 0;
	out->replicas_needed = asgd_validate_replicas_needed(replicas, diff, se,
							     ASGD_VALIDATE_DECISIVE_Z);
	if (out->asgd_inside && !out->sgd_inside && out->separation >= ASGD_VALIDATE_DECISIVE_Z)
		out->decisive = out->yes = 1;
	else if (!out->asgd_inside && out->sgd_inside &&
		 out->separation <= -ASGD_VALIDATE_DECISIVE_Z)
		out->decisive = 1;
	answer_text(out);
	return ASGD_OK;
}
