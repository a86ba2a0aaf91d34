/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch_sim.c — a schedule of the `asgd batch` experiment in the discrete simulator: mini-batch
 * ASGD (4.1), components drawn with replacement, at the control's μ (batch_internal.h).
 *
 * The per-step standard errors come from SIM_GROUPS independent groups of paths (batch means):
 * the moments keep no Σx³, so the SE of E(x − x*)² cannot be had from the pooled moments when
 * x* ≠ 0. The final value's SE is exact, from every path's end point. On data the paths'
 * moments are of the loss (the observable), and the measure is its gap f(x_k) − f*.
 */
#include <math.h>
#include <stdlib.h>

#include "asgd/error.h"
#include "asgd/rng.h"
#include "asgd/sim.h"
#include "asgd/welford.h"
#include "batch_internal.h"

/* Groups of simulated paths whose spread gives the per-step SE (batch means). */
#define SIM_GROUPS 32

/* Accumulators over groups: per step the group means, for the batch-means SE. */
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

/* The measure of path @p's end point: (x_K − x*)², or on data f(x_K) − f*. */
static double final_measure(const asgd_batch_config *c, const asgd_sim_result *res, uint64_t p)
{
	double d;

	if (c->on_data)
		return asgd_problem_f(c->problem, res->ens.final +
					 p * asgd_problem_dim(c->problem)) - c->fstar;
	d = res->ens.final[p] - c->xstar;
	return d * d;
}

static void add_group(const asgd_batch_config *c, struct sim_groups *sg,
		      const asgd_sim_result *res)
{
	const asgd_moments *m = &res->ens.moments;
	const double xstar = c->xstar;
	double *mean = sg->means + sg->done * sg->steps;
	asgd_moment_row row;

	for (size_t k = 0; k < sg->steps; k++) {
		asgd_moments_get(m, k, 0, &row);
		mean[k] = c->on_data ? row.mean - c->fstar	/* moments of the loss */
				     : row.second - 2 * xstar * row.mean + xstar * xstar;
	}
	for (uint64_t p = 0; p < res->ens.paths_done; p++)
		asgd_welford_add(&sg->final, final_measure(c, res, p));
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

static int sim_group(const asgd_batch_config *c, const asgd_batch_outcome *o, size_t g,
		     uint64_t paths, asgd_sim_result *res)
{
	asgd_sim_config sc = { 0 };

	sc.model = ASGD_MODEL_MINIBATCH;
	sc.problem = c->problem;
	sc.eta = c->eta;
	sc.mu = c->mu;
	sc.iters = c->horizon;
	sc.batch = (asgd_batch_schedule){ .size = o->size, .len = c->horizon };
	sc.paths = paths;
	sc.threads = c->threads;
	sc.seed = group_seed(c->seed, g);
	sc.keep_final = 1;
	sc.observe = c->on_data ? c->loss : NULL;
	sc.stop = c->stop;
	return asgd_sim_run(&sc, res);
}

int asgd__batch_run_sim(const asgd_batch_config *c, asgd_batch_result *r, int i)
{
	asgd_batch_outcome *o = &r->s[i];
	struct sim_groups sg = { 0 };
	asgd_sim_result res;
	int rc = ASGD_OK;

	sg.G = c->paths < SIM_GROUPS ? (size_t)c->paths : SIM_GROUPS;
	sg.steps = c->horizon + 1;
	sg.means = malloc(sg.G * sg.steps * sizeof(double));
	sg.n = malloc(sg.G * sizeof(uint64_t));
	if (!sg.means || !sg.n) {
		rc = ASGD_ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < sg.G; g++) {
		uint64_t paths = c->paths / sg.G + (g < c->paths % sg.G);

		rc = sim_group(c, o, g, paths, &res);
		if (rc != ASGD_OK)
			goto out;
		if (res.ens.interrupted) {
			r->interrupted = 1;
			asgd_sim_result_free(&res);
			break;
		}
		add_group(c, &sg, &res);
		asgd_sim_result_free(&res);
		asgd__batch_report(c, ASGD_BATCH_SIM_GROUP, i, g + 1, sg.G);
	}
	asgd__batch_report(c, ASGD_BATCH_SIM_END, i, sg.done, sg.G);
	if (sg.done > 0) {
		groups_curve(&sg, o->sim_msd, o->sim_se);
		o->sim_final = asgd_welford_mean(&sg.final);
		o->sim_final_se = asgd_welford_se(&sg.final);
	}
	o->sim_paths = sg.final.n;
	o->sim_done = sg.done == sg.G;
out:
	free(sg.means);
	free(sg.n);
	return rc;
}
