/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.c — names of models and Σ choices, and their time steps.
 */
#include "asgd/model.h"

#include <math.h>
#include <string.h>

#include "asgd/error.h"

static const char *const model_names[ASGD_MODEL_COUNT] = {
	[ASGD_MODEL_ASGD] = "asgd",
	[ASGD_MODEL_SGD] = "sgd",
	[ASGD_MODEL_MSGD] = "msgd",
	[ASGD_MODEL_MINIBATCH] = "minibatch",
	[ASGD_MODEL_SME_ASGD] = "sme-asgd",
	[ASGD_MODEL_SME_ASGD_LINEAR] = "sme-asgd-linear",
	[ASGD_MODEL_SME_MSGD] = "sme-msgd",
	[ASGD_MODEL_SME_SGD] = "sme-sgd",
	[ASGD_MODEL_SME_ASGD_MIXTURE] = "sme-asgd-mixture",
};

static const char *const sigma_names[ASGD_SIGMA_COUNT] = {
	[ASGD_SIGMA_CONTINUUM] = "continuum",
	[ASGD_SIGMA_EVOLVE] = "evolve",
	[ASGD_SIGMA_CONSTANT] = "constant",
	[ASGD_SIGMA_INSTANT] = "instant",
};

const char *asgd_model_name(asgd_model m)
{
	return (unsigned)m < ASGD_MODEL_COUNT ? model_names[m] : "unknown";
}

int asgd_model_parse(const char *name, asgd_model *out)
{
	for (unsigned i = 0; name && out && i < ASGD_MODEL_COUNT; i++)
		if (!strcmp(name, model_names[i])) {
			*out = (asgd_model)i;
			return ASGD_OK;
		}
	return ASGD_EINVAL;
}

int asgd_model_is_discrete(asgd_model m)
{
	return m <= ASGD_MODEL_MINIBATCH;
}

const char *asgd_sigma_name(asgd_sigma s)
{
	return (unsigned)s < ASGD_SIGMA_COUNT ? sigma_names[s] : "unknown";
}

int asgd_sigma_parse(const char *name, asgd_sigma *out)
{
	for (unsigned i = 0; name && out && i < ASGD_SIGMA_COUNT; i++)
		if (!strcmp(name, sigma_names[i])) {
			*out = (asgd_sigma)i;
			return ASGD_OK;
		}
	return ASGD_EINVAL;
}

double asgd_model_time_step(asgd_model m, double eta, double mu)
{
	switch (m) {
	case ASGD_MODEL_SGD:
	case ASGD_MODEL_SME_SGD:
		return eta;
	case ASGD_MODEL_MSGD:
	case ASGD_MODEL_SME_MSGD:
		return sqrt(eta);
	default:
		return sqrt(eta * (1 - mu));
	}
}
