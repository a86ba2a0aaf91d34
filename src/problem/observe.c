/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * observe.c — observables of the iterate (asgd/observe.h): parse a spec, map rows.
 */
#include "asgd/observe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/rng.h"
#include "core/stop_internal.h"

static int init_proj(asgd_observable *o, const char *arg, size_t dim, char *err, size_t errlen)
{
	uint64_t seed = 1;
	double norm = 0;
	asgd_rng r;

	if (arg && asgd_parse_u64(arg, &seed) != ASGD_OK) {
		snprintf(err, errlen, "observable 'proj:%s' is not allowed: the seed must be a "
				      "non-negative integer", arg);
		return ASGD_EINVAL;
	}
	o->u = malloc(dim * sizeof(*o->u));
	if (!o->u)
		return ASGD_ENOMEM;
	asgd_rng_init(&r, seed, 0x70726f6aull); /* "proj": apart from every other stream */
	for (size_t j = 0; j < dim; j++) {
		o->u[j] = asgd_rng_normal(&r);
		norm += o->u[j] * o->u[j];
	}
	for (size_t j = 0; j < dim; j++)
		o->u[j] /= sqrt(norm);
	o->kind = ASGD_OBSERVE_PROJ;
	snprintf(o->spec, sizeof(o->spec), "proj:%llu", (unsigned long long)seed);
	return ASGD_OK;
}

static int init_coord(asgd_observable *o, const char *arg, size_t dim, char *err, size_t errlen)
{
	uint64_t j;

	if (!arg || asgd_parse_u64(arg, &j) != ASGD_OK || j >= dim) {
		snprintf(err, errlen, "observable 'coord:%s' is not allowed: the coordinate must be "
				      "an integer in 0..%zu", arg ? arg : "", dim - 1);
		return ASGD_EINVAL;
	}
	o->kind = ASGD_OBSERVE_COORD;
	o->coord = (size_t)j;
	snprintf(o->spec, sizeof(o->spec), "coord:%zu", o->coord);
	return ASGD_OK;
}

int asgd_observable_init(asgd_observable *o, const char *spec, const asgd_problem *p, char *err,
			 size_t errlen)
{
	char dummy[8], name[16];
	const char *colon;
	size_t len;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!o || !spec || !p) {
		snprintf(err, errlen, "no observable given");
		return ASGD_EINVAL;
	}
	memset(o, 0, sizeof(*o));
	o->problem = p;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, spec, len);
	name[len] = '\0';
	if (strcmp(name, "proj") == 0)
		return init_proj(o, colon ? colon + 1 : NULL, asgd_problem_dim(p), err, errlen);
	if (strcmp(name, "coord") == 0)
		return init_coord(o, colon ? colon + 1 : NULL, asgd_problem_dim(p), err, errlen);
	if (!colon && (strcmp(name, "x") == 0 || strcmp(name, "loss") == 0)) {
		o->kind = name[0] == 'x' ? ASGD_OBSERVE_X : ASGD_OBSERVE_LOSS;
		snprintf(o->spec, sizeof(o->spec), "%s", name);
		return ASGD_OK;
	}
	snprintf(err, errlen, "observable '%s' is unknown: allowed x, loss, coord:J, proj or "
			      "proj:SEED", spec);
	return ASGD_EINVAL;
}

void asgd_observable_free(asgd_observable *o)
{
	if (!o)
		return;
	free(o->u);
	o->u = NULL;
}

size_t asgd_observable_dim(const asgd_observable *o)
{
	return o->kind == ASGD_OBSERVE_X ? asgd_problem_dim(o->problem) : 1;
}

static double observe_row(const asgd_observable *o, const double *x)
{
	size_t d = asgd_problem_dim(o->problem);
	double s = 0;

	switch (o->kind) {
	case ASGD_OBSERVE_LOSS:
		return asgd_problem_f(o->problem, x);
	case ASGD_OBSERVE_COORD:
		return x[o->coord];
	case ASGD_OBSERVE_PROJ:
		for (size_t j = 0; j < d; j++)
			s += o->u[j] * x[j];
		return s;
	case ASGD_OBSERVE_X:
		break;
	}
	return NAN;
}

void asgd_observable_rows(const asgd_observable *o, const double *traj, size_t steps,
			  double *out)
{
	asgd_observable_rows_stop(o, traj, steps, out, NULL, NULL);
}

/* The work of one row, in the units of stop_internal.h. */
static uint64_t row_cost(const asgd_observable *o)
{
	const asgd_dataset *ds = asgd_problem_dataset(o->problem);
	uint64_t d = asgd_problem_dim(o->problem);

	switch (o->kind) {
	case ASGD_OBSERVE_LOSS:
		return ds ? (uint64_t)ds->nnz + ds->rows + d
			  : (uint64_t)asgd_problem_components(o->problem) * d;
	case ASGD_OBSERVE_PROJ:
		return d;
	default:
		return 1;
	}
}

int asgd_observable_rows_stop(const asgd_observable *o, const double *traj, size_t steps,
			      double *out, const atomic_int *stop, size_t *done)
{
	size_t d = asgd_problem_dim(o->problem), k = 0;
	const uint64_t every = asgd__stop_every(row_cost(o));
	uint64_t left = every;
	int rc = ASGD_OK;

	if (o->kind == ASGD_OBSERVE_X) {
		if (out != traj)
			memcpy(out, traj, steps * d * sizeof(*out));
		k = steps;
	}
	/* out[k] is written after row k is read, and out[k] ≤ traj[k·d]: in place is safe. */
	for (; k < steps; k++) {
		if (--left == 0) {
			left = every;
			if (asgd__stop_raised(stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}
		out[k] = observe_row(o, traj + k * d);
	}
	if (done)
		*done = k;
	return rc;
}
