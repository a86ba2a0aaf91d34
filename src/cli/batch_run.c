/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch_run.c — the runs of `asgd batch`: each schedule in the simulator (mini-batch ASGD
 * (4.1), with replacement, at the control's μ) and in the real engine (M workers, without
 * replacement, its own staleness), reduced to E(x_k − x*)² with standard errors at every k.
 *
 * The simulator's per-step standard errors come from SIM_GROUPS independent groups of paths
 * (batch means): moments.csv keeps no Σx³, so the SE of E(x − x*)² cannot be had from the pooled
 * moments when x* ≠ 0. The final value's SE is exact, from every path's end point; the engine's
 * at every k, from every replica's trajectory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/msd.h"
#include "asgd/replicas.h"
#include "asgd/rng.h"
#include "asgd/sim.h"
#include "asgd/staleness.h"
#include "batch.h"
#include "cli.h"

/* Groups of simulated paths whose spread gives the per-step SE (batch means). */
#define SIM_GROUPS 32

/* ---- the simulator ------------------------------------------------------------------- */

/* Accumulators over groups: per step Σ n_g m_g and the group means, for the batch-means SE. */
struct sim_groups {
	size_t G, steps;
	double *means;		/* G × steps: group g's E(x_k − x*)² */
	uint64_t *n;		/* paths per group */
	size_t done;
	asgd_welford final;	/* (x_K − x*)² over all paths */
};

static uint64_t group_seed(uint64_t seed, size_t g)
{
	asgd_rng r;

	asgd_rng_init(&r, seed, ((uint64_t)0x6261746368u << 20) | g); /* "batch" */
	return asgd_rng_next(&r);
}

static void add_group(struct sim_groups *sg, const asgd_sim_result *res, double xstar)
{
	const asgd_moments *m = &res->ens.moments;
	double *mean = sg->means + sg->done * sg->steps;
	asgd_moment_row row;

	for (size_t k = 0; k < sg->steps; k++) {
		asgd_moments_get(m, k, 0, &row);
		mean[k] = row.second - 2 * xstar * row.mean + xstar * xstar;
	}
	for (uint64_t p = 0; p < res->ens.paths_done; p++) {
		double d = res->ens.final[p] - xstar;

		asgd_welford_add(&sg->final, d * d);
	}
	sg->n[sg->done++] = res->ens.paths_done;
}

/* m = Σ n_g m_g / N, SE² = G/(G−1) Σ (n_g/N)² (m_g − m)², over the groups done. */
static void groups_curve(const struct sim_groups *sg, double *msd, double *se)
{
	double N = 0;

	for (size_t g = 0; g < sg->done; g++)
		N += (double)sg->n[g];
	for (size_t k = 0; k < sg->steps; k++) {
		double m = 0, v = 0;

		for (size_t g = 0; g < sg->done; g++)
			m += (double)sg->n[g] * sg->means[g * sg->steps + k] / N;
		for (size_t g = 0; g < sg->done; g++) {
			double w = (double)sg->n[g] / N, d = sg->means[g * sg->steps + k] - m;

			v += w * w * d * d;
		}
		msd[k] = m;
		se[k] = sg->done >= 2 ? sqrt(v * (double)sg->done / (double)(sg->done - 1)) : NAN;
	}
}

static int sim_group(const struct batch_opts *o, const struct batch_result *r, size_t g,
		     uint64_t paths, asgd_sim_result *res)
{
	asgd_sim_config sc = { 0 };

	sc.model = ASGD_MODEL_MINIBATCH;
	sc.problem = o->problem;
	sc.eta = o->eta;
	sc.mu = o->mu;
	sc.iters = o->K;
	sc.batch = (asgd_batch_schedule){ .size = r->size, .len = o->K };
	sc.paths = paths;
	sc.threads = o->threads;
	sc.seed = group_seed(o->seed, g);
	sc.keep_final = 1;
	sc.stop = cli_stop_flag();
	return asgd_sim_run(&sc, res);
}

/* The schedule in the simulator, SIM_GROUPS groups of paths. Returns 0 or an error code;
 * *@interrupted when the stop flag cut a group short (the groups before it are kept). */
static int run_sim(const struct batch_opts *o, struct batch_result *r, int *interrupted)
{
	struct sim_groups sg = { 0 };
	asgd_sim_result res;
	int rc = ASGD_OK;

	sg.G = o->paths < SIM_GROUPS ? (size_t)o->paths : SIM_GROUPS;
	sg.steps = o->K + 1;
	sg.means = malloc(sg.G * sg.steps * sizeof(double));
	sg.n = malloc(sg.G * sizeof(uint64_t));
	if (!sg.means || !sg.n) {
		rc = ASGD_ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < sg.G; g++) {
		uint64_t paths = o->paths / sg.G + (g < o->paths % sg.G);

		rc = sim_group(o, r, g, paths, &res);
		if (rc != ASGD_OK)
			goto out;
		if (res.ens.interrupted) {
			*interrupted = 1;
			asgd_sim_result_free(&res);
			break;
		}
		add_group(&sg, &res, o->xstar);
		asgd_sim_result_free(&res);
		if (!o->quiet)
			cli_progress("simulator group", g + 1, sg.G);
	}
	if (!o->quiet)
		cli_progress_end();
	if (sg.done > 0) {
		groups_curve(&sg, r->sim_msd, r->sim_se);
		r->sim_final = asgd_welford_mean(&sg.final);
		r->sim_final_se = asgd_welford_se(&sg.final);
	}
	r->sim_paths = sg.final.n;
	r->sim_done = sg.done == sg.G;
out:
	free(sg.means);
	free(sg.n);
	return rc;
}

/* ---- the engine ---------------------------------------------------------------------- */

static void engine_staleness(const asgd_replicas *t, struct batch_result *r)
{
	asgd_staleness_summary sum;

	if (asgd_staleness_summarize(&t->staleness, &sum) != ASGD_OK)
		return;
	r->mu_hat = sum.mu_hat;
	r->mu_lo = sum.mu_ci95[0];
	r->mu_hi = sum.mu_ci95[1];
	asgd_staleness_summary_free(&sum);
}

/* Per step (x_k − x*)² over the complete replicas (@w, K + 1 of them): the exact SE. */
static void fill_engine(const struct batch_opts *o, const asgd_replicas *t,
			const asgd_welford *w, struct batch_result *r)
{
	for (uint64_t k = 0; k <= o->K && w[0].n > 0; k++) {
		r->eng_msd[k] = asgd_welford_mean(&w[k]);
		r->eng_se[k] = asgd_welford_se(&w[k]);
	}
	r->eng_final = r->eng_msd[o->K];
	r->eng_final_se = r->eng_se[o->K];
	r->eng_replicas = t->replicas_done;
	r->eng_applied = t->applied;
	r->eng_discarded = t->discarded;
	r->eng_diverged = t->diverged;
	r->eng_wall_s = t->wall_s;
	/* per K updates, so that an interrupted last replica does not bias it */
	r->eng_evaluations = t->applied ? (double)t->evaluations * (double)o->K / (double)t->applied
					: NAN;
	engine_staleness(t, r);
}

/* The schedule in the real engine, --replicas runs. Returns 0 or an error code. */
static int run_engine(const struct batch_opts *o, struct batch_result *r, int *interrupted)
{
	asgd_engine_config cfg = { 0 };
	asgd_msd_steps a = { .xstar = &o->xstar };	/* 1-D: checked by read_preset */
	asgd_replicas t;
	int rc;

	a.w = calloc(o->K + 1, sizeof(*a.w));
	if (!a.w) {
		rc = ASGD_ENOMEM;
		goto out;
	}
	cfg.problem = o->problem;
	cfg.workers = o->workers;
	cfg.iters = o->K;
	cfg.eta = o->eta;
	cfg.schedule = (asgd_batch_schedule){ .size = r->size, .len = o->K };
	cfg.work = o->work;
	cfg.seed = o->seed;
	cfg.record_staleness = 1;
	cfg.stop = cli_stop_flag();
	rc = asgd_replicas_run_each(&cfg, o->replicas, o->quiet ? NULL : cli_replica_progress, NULL,
				    asgd_msd_steps_add, &a, &t);
	if (!o->quiet)
		cli_progress_end();
	if (rc != ASGD_OK)
		goto out;
	fill_engine(o, &t, a.w, r);
	r->eng_ran = 1;
	*interrupted = t.interrupted;
	r->eng_done = !t.interrupted && !t.diverged;
	asgd_replicas_free(&t);
out:
	free(a.w);
	return rc;
}

/* Every schedule in the simulator, then in the engine, until done or interrupted. */
int batch_run_all(const struct batch_opts *o, struct batch_result *res, int *interrupted)
{
	int rc = ASGD_OK;

	for (int i = 0; i < BATCH_NSCHEDULES && rc == ASGD_OK && !*interrupted; i++) {
		if (!o->quiet)
			fprintf(stderr, "batch: %s schedule (%d of %d)\n", res[i].name, i + 1,
				BATCH_NSCHEDULES);
		rc = run_sim(o, &res[i], interrupted);
		if (rc == ASGD_OK && !*interrupted && o->replicas > 0)
			rc = run_engine(o, &res[i], interrupted);
	}
	if (rc != ASGD_OK)
		fprintf(stderr, "asgd batch: a run failed: %s\n", asgd_strerror(rc));
	return rc;
}
