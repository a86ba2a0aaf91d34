/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise_run.c — the `asgd advise` experiment (asgd/advise_run.h): the probe that measures μ̂,
 * the recommendation, both settings in the real engine and the verdict. Its outputs are
 * advise_json.c's and advise_out.c's.
 */
#include "asgd/advise_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/batchctl.h"
#include "asgd/error.h"
#include "asgd/msd.h"
#include "asgd/welford.h"

/* ---- configuration and step (b) ---- */

void asgd_advise_engine_config(const asgd_advise_config *c, asgd_engine_config *out)
{
	memset(out, 0, sizeof(*out));
	out->problem = c->problem;
	out->workers = c->workers;
	out->work = c->work;
	out->eta = c->eta;
	out->momentum = c->momentum;
	out->iters = c->iters;
	out->seed = c->seed;
	out->record_staleness = 1;
	out->stop = c->stop;
}

/* ---- what is measured ---- */

const char *asgd_advise_measure_name(asgd_advise_measure m)
{
	return m == ASGD_ADVISE_LOSS_GAP ? "loss_gap" : "msd";
}

const char *asgd_advise_measure_label(asgd_advise_measure m)
{
	return m == ASGD_ADVISE_LOSS_GAP ? "loss gap f(x_k)-f*" : "E|x_k-x*|^2";
}

int asgd_advise_measure_of(const asgd_observable *obs, asgd_advise_measure *out)
{
	if (!out)
		return ASGD_EINVAL;
	if (!obs || obs->kind == ASGD_OBSERVE_X)
		*out = ASGD_ADVISE_MSD;
	else if (obs->kind == ASGD_OBSERVE_LOSS)
		*out = ASGD_ADVISE_LOSS_GAP;
	else
		return ASGD_EINVAL;
	return ASGD_OK;
}

/* The measure, f* and the target (its default, and on the measure's scale). */
static int choose_measure(const asgd_advise_config *c, asgd_advise_result *r)
{
	int rc = asgd_advise_measure_of(c->obs, &r->measure);

	if (rc != ASGD_OK)
		return rc;
	r->fstar = asgd_problem_f(c->problem, r->xstar);
	r->target_default = isnan(c->target);
	r->target = c->target;
	if (r->target_default)
		r->target = r->measure == ASGD_ADVISE_LOSS_GAP
				    ? r->fstar * ASGD_ADVISE_TARGET_LOSS_FACTOR
				    : ASGD_ADVISE_TARGET_MSD;
	r->target_gap = r->measure == ASGD_ADVISE_LOSS_GAP ? r->target - r->fstar : r->target;
	return ASGD_OK;
}

int asgd_advise_locate(const asgd_advise_config *c, asgd_advise_result *r)
{
	if (!c || !r || !c->problem)
		return ASGD_EINVAL;
	r->xstar = malloc(asgd_problem_dim(c->problem) * sizeof(double));
	if (!r->xstar)
		return ASGD_ENOMEM;
	if (asgd_problem_minimizer(c->problem, r->xstar) != ASGD_OK)
		return ASGD_ENOTFOUND;
	r->have_xstar = 1;
	if (choose_measure(c, r) != ASGD_OK)
		return ASGD_EINVAL;
	return asgd_advise_local_of(c->problem, r->xstar, &r->local);
}

static int stopped(const asgd_advise_config *c)
{
	return c->stop && atomic_load(c->stop);
}

/* ---- progress ---- */

struct stage {
	const asgd_advise_config *c;
	asgd_advise_stage stage;
	double beta;
};

static void report(const struct stage *s, asgd_advise_event e, uint64_t done, uint64_t total)
{
	asgd_advise_progress p = { s->stage, e, s->beta, done, total };

	s->c->progress(s->c->progress_arg, &p);
}

static void replica_done(void *arg, uint64_t done, uint64_t total)
{
	report(arg, ASGD_ADVISE_REPLICA, done, total);
}

/* What a compared setting hands every replica to: the measure per step. NULL each: none (the
 * probe). */
struct measure_acc {
	const asgd_observable *obs;	/* NULL: x, and @each is an asgd_msd_steps */
	void (*each)(void *arg, const double *rows, size_t steps, size_t dim);
	void *arg;
};

/* asgd_replicas_run_observed at @cfg for stage @s, with its progress around it. */
static int run_stage(const struct stage *s, asgd_engine_config *cfg, uint64_t replicas,
		     const struct measure_acc *m, asgd_replicas *t)
{
	void (*progress)(void *, uint64_t, uint64_t) = s->c->progress ? replica_done : NULL;
	int rc;

	if (s->c->progress)
		report(s, ASGD_ADVISE_BEGIN, 0, replicas);
	rc = asgd_replicas_run_observed(cfg, replicas, m ? m->obs : NULL, progress, (void *)s,
					m ? m->each : NULL, m ? m->arg : NULL, t);
	if (s->c->progress)
		report(s, ASGD_ADVISE_END, 0, replicas);
	return rc;
}

/* asgd_staleness_summarize: 1 with *sum filled, 0 when nothing was measured, or ASGD_ENOMEM. */
static int summarize(const asgd_staleness *st, asgd_staleness_summary *sum)
{
	int rc = asgd_staleness_summarize(st, sum);

	return rc == ASGD_ENOMEM ? rc : rc == ASGD_OK;
}

/* ---- (a) the probe ---- */

static int run_probe(const asgd_advise_config *c, asgd_advise_result *r)
{
	struct stage s = { c, ASGD_ADVISE_PROBE, c->momentum };
	asgd_engine_config cfg;
	asgd_replicas t;
	int rc;

	asgd_advise_engine_config(c, &cfg);
	cfg.seed = c->seed + 1;
	rc = run_stage(&s, &cfg, c->probe_replicas, NULL, &t);
	if (rc != ASGD_OK)
		return rc;
	r->probe_done = t.replicas_done;
	r->probe_applied = t.applied;
	r->probe_wall_s = t.wall_s;
	/* a diverged or interrupted probe still measured staleness up to where it stopped */
	rc = summarize(&t.staleness, &r->probe);
	asgd_replicas_free(&t);
	if (rc < 0)
		return rc;
	r->have_probe = rc;
	return ASGD_OK;
}

/* ---- (c) the recommendation ---- */

/* Section 4's schedule at the recommended total momentum (docs/MODELS.md §6), summarised. */
static void recommend_batch(const asgd_advise_config *c, asgd_advise_result *r)
{
	const double mu = asgd_advise_total_momentum(r->probe.mu_hat, r->rec.beta_rec);
	const double x0 = asgd_problem_x0(c->problem)[0] - r->xstar[0];
	asgd_batchctl_params p = { .a = r->local.a, .sigma2 = r->local.sigma2, .eta = c->eta,
				   .mu = mu, .gamma = 1, .T = 1, .z0 = x0 * x0 };
	asgd_batchctl s;

	r->have_batch = 0;
	if (!(mu >= 0 && mu < 1))
		return;
	p.T = (double)c->iters * sqrt(c->eta * (1 - mu));
	if (asgd_batchctl_solve(&p, &s) != ASGD_OK)	/* for γ*, then again at γ = γ*·10⁻³ */
		return;
	p.gamma = s.gamma_star / 1000;
	if (asgd_batchctl_solve(&p, &s) != ASGD_OK)
		return;
	r->batch_gamma_star = s.gamma_star;
	r->batch_k_star = s.k_star;
	r->batch_evaluations = 0;
	for (uint64_t k = 0; k < c->iters; k++)
		r->batch_evaluations += asgd_batchctl_batch(&s, k);
	r->batch_final = asgd_batchctl_batch(&s, c->iters - 1);
	r->have_batch = 1;
}

static int recommend(const asgd_advise_config *c, asgd_advise_result *r)
{
	const asgd_advise_local *l = &r->local;
	int rc = asgd_advise_recommend(l->a, c->eta, c->momentum, r->probe.mu_hat, &r->rec);

	if (rc != ASGD_OK)
		return rc;
	r->have_rec = 1;
	r->floor_current = r->floor_rec = NAN;
	if (asgd_problem_dim(c->problem) == 1) {
		r->floor_current = asgd_advise_noise_floor(l->a, l->sigma2, c->eta, c->momentum);
		r->floor_rec = asgd_advise_noise_floor(l->a, l->sigma2, c->eta, r->rec.beta_rec);
		recommend_batch(c, r);
	}
	return ASGD_OK;
}

/* ---- (d) one setting in the real engine ---- */

/* Mean and SE across the independent replicas (@w, one per step), and what they come to. */
static void summarise_outcome(const asgd_advise_result *r, const asgd_welford *w,
			      asgd_advise_outcome *out)
{
	out->replicas = w[0].n;
	out->k_target = NAN;
	for (size_t k = 0; k < out->steps; k++) {
		double m = asgd_welford_mean(&w[k]);

		out->curve[k] = m;
		out->curve_se[k] = asgd_welford_se(&w[k]);
		if (isnan(out->k_target) && m <= r->target_gap)
			out->k_target = (double)k;
	}
	out->final = out->diverged ? NAN : out->curve[out->steps - 1];
	out->final_se = out->diverged ? NAN : out->curve_se[out->steps - 1];
	out->t_target_s = out->k_target / out->updates_per_s;
}

/* What the replicas @t of a setting came to, and its run files. */
static int finish_setting(const asgd_advise_config *c, const asgd_advise_result *r,
			  const asgd_engine_config *cfg, const asgd_replicas *t,
			  const asgd_welford *w, asgd_advise_outcome *out)
{
	asgd_staleness_summary sum;
	int rc, have_sum;

	out->ran = 1;
	out->diverged = t->diverged;
	out->interrupted = t->interrupted;
	out->applied = t->applied;
	out->wall_s = t->wall_s;
	out->updates_per_s = t->wall_s > 0 ? (double)t->applied / t->wall_s : NAN;
	have_sum = summarize(&t->staleness, &sum);
	if (have_sum < 0)
		return have_sum;
	out->mu_hat = have_sum ? sum.mu_hat : NAN;
	summarise_outcome(r, w, out);
	rc = c->write_run ? c->write_run(c->write_run_arg, out->name, cfg, t,
					 have_sum ? &sum : NULL)
			  : ASGD_OK;
	if (have_sum)
		asgd_staleness_summary_free(&sum);
	return rc;
}

static int run_setting(const asgd_advise_config *c, asgd_advise_result *r, asgd_advise_stage st,
		       double beta, asgd_advise_outcome *out)
{
	struct stage s = { c, st, beta };
	asgd_engine_config cfg;
	asgd_msd_steps msd = { .xstar = r->xstar };
	asgd_gap_steps gap = { .fstar = r->fstar };
	struct measure_acc m = { NULL, asgd_msd_steps_add, &msd };
	asgd_welford *w;
	asgd_replicas t;
	int rc;

	if (r->measure == ASGD_ADVISE_LOSS_GAP)
		m = (struct measure_acc){ c->obs, asgd_gap_steps_add, &gap };
	asgd_advise_engine_config(c, &cfg);
	cfg.momentum = beta;
	out->eta = cfg.eta;
	out->beta = beta;
	out->steps = cfg.iters + 1;
	out->curve = calloc(out->steps, sizeof(double));
	out->curve_se = calloc(out->steps, sizeof(double));
	w = msd.w = gap.w = calloc(out->steps, sizeof(*w));
	rc = out->curve && out->curve_se && w ? ASGD_OK : ASGD_ENOMEM;
	if (rc == ASGD_OK)
		rc = run_stage(&s, &cfg, c->replicas, &m, &t);
	if (rc == ASGD_OK) {
		rc = finish_setting(c, r, &cfg, &t, w, out);
		asgd_replicas_free(&t);
	}
	free(w);
	return rc;
}

/* ---- the verdict ---- */

/*
 * Both settings at the first k where either reaches the target, appended to @txt: the speed the
 * final values cannot show. That setting is at most the target there by construction (its
 * crossing is selected on its own noise); the other one's value is an independent measurement.
 */
static void compare_early(asgd_advise_result *r, char *txt, size_t len)
{
	const asgd_advise_outcome *c = &r->cur, *d = &r->recd;
	size_t k, used = strlen(txt);
	const char *first;

	r->early_k = r->early_diff = r->early_se = NAN;
	if (d->diverged || d->replicas < 2 || used >= len)
		return;
	r->early_k = fmin(c->k_target, d->k_target);	/* fmin ignores a NAN */
	if (isnan(r->early_k))
		return;
	k = (size_t)r->early_k;
	first = d->k_target == r->early_k ? "the recommendation" : "your setting";
	r->early_diff = d->curve[k] - c->curve[k];
	r->early_se = sqrt(d->curve_se[k] * d->curve_se[k] + c->curve_se[k] * c->curve_se[k]);
	snprintf(txt + used, len - used,
		 "; early, at k = %zu where %s first reaches the target: %.4g +- %.2g against "
		 "%.4g +- %.2g (%s by %.1f SE)", k, first, d->curve[k], d->curve_se[k],
		 c->curve[k], c->curve_se[k], r->early_diff < 0 ? "lower" : "higher",
		 fabs(r->early_diff / r->early_se));
}

/* The verdict when a setting diverged; 0 when neither did. */
static int decide_diverged(asgd_advise_result *r, char *txt, size_t len)
{
	const asgd_advise_outcome *c = &r->cur, *d = &r->recd;

	if (d->diverged && !c->diverged) {
		r->verdict = ASGD_ADVISE_NOT_HELPED;
		snprintf(txt, len, "the recommendation did not help: it diverged");
		return 1;
	}
	if (!c->diverged)
		return 0;
	r->verdict = d->diverged ? ASGD_ADVISE_NOT_HELPED : ASGD_ADVISE_HELPED;
	snprintf(txt, len, d->diverged ? "the recommendation did not help: both settings diverged"
				       : "the recommendation helped: your setting diverged, the "
					 "recommendation did not");
	return 1;
}

static void decide(asgd_advise_result *r)
{
	const asgd_advise_outcome *c = &r->cur, *d = &r->recd;
	char *txt = r->verdict_text;
	size_t len = sizeof(r->verdict_text);
	double z;

	r->early_k = r->early_diff = r->early_se = NAN;
	r->diff = d->final - c->final;
	r->diff_se = sqrt(d->final_se * d->final_se + c->final_se * c->final_se);
	if (!c->ran || !d->ran || c->interrupted || d->interrupted) {
		r->verdict = ASGD_ADVISE_NO_VERDICT;
		snprintf(txt, len, "no verdict: the run was interrupted before both settings ran "
				   "to the end");
		return;
	}
	if (decide_diverged(r, txt, len))
		return;
	z = r->diff / r->diff_se;
	r->verdict = r->diff < -2 * r->diff_se ? ASGD_ADVISE_HELPED : ASGD_ADVISE_NOT_HELPED;
	snprintf(txt, len,
		 "the recommendation %s: final %s = %.4g +- %.2g against %.4g +- %.2g "
		 "now, %s by %.3g +- %.2g (%.1f SE%s)",
		 r->verdict == ASGD_ADVISE_HELPED ? "helped" : "did not help",
		 r->measure == ASGD_ADVISE_LOSS_GAP ? "loss gap f(x_K)-f*" : "E|x_K-x*|^2", d->final,
		 d->final_se, c->final, c->final_se, r->diff < 0 ? "lower" : "higher",
		 fabs(r->diff), r->diff_se, fabs(z),
		 r->verdict == ASGD_ADVISE_HELPED ? "" : r->diff < 0 ? ", not more than 2 SE" : "");
	compare_early(r, txt, len);
}

/* ---- the experiment ---- */

/* (a), (c), (d) in turn, each only when the one before completed. */
static int advise(const asgd_advise_config *c, asgd_advise_result *r)
{
	int rc = run_probe(c, r);

	if (rc != ASGD_OK || stopped(c) || !r->have_probe)
		return rc;
	rc = recommend(c, r);
	if (rc == ASGD_OK && !stopped(c))
		rc = run_setting(c, r, ASGD_ADVISE_CURRENT, c->momentum, &r->cur);
	if (rc == ASGD_OK && !stopped(c) && !r->cur.interrupted)
		rc = run_setting(c, r, ASGD_ADVISE_RECOMMENDED, r->rec.beta_rec, &r->recd);
	return rc;
}

int asgd_advise_run(const asgd_advise_config *c, asgd_advise_result *r)
{
	double t0 = asgd_now_ns();
	int rc;

	if (!c || !r || !r->have_xstar)
		return ASGD_EINVAL;
	r->cur.name = "current";
	r->recd.name = "recommended";
	rc = advise(c, r);
	decide(r);
	r->partial = stopped(c) || rc != ASGD_OK;
	r->wall_s = (asgd_now_ns() - t0) * 1e-9;
	return rc;
}

void asgd_advise_result_free(asgd_advise_result *r)
{
	if (!r)
		return;
	if (r->have_probe)
		asgd_staleness_summary_free(&r->probe);
	free(r->xstar);
	free(r->cur.curve);
	free(r->cur.curve_se);
	free(r->recd.curve);
	free(r->recd.curve_se);
	memset(r, 0, sizeof(*r));
}
