/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_cli.c — libFuzzer target for the command-line parser.
 *
 * The commands split argv with glibc's getopt_long, which is not ours to fuzz; every flag's
 * value then goes through exactly the library parsers below (numbers and lists through
 * asgd/parse.h, covered by fuzz_parse.c), so these are the command-line parser:
 *   --preset / problem specs   asgd_problem_create       ("quadratic:d=3,n=4,seed=1")
 *   --work                     asgd_work_parse           ("exp:100us", "geom:0.9,10us")
 *   --data (generators)        asgd_dataset_generate     ("rcv1:n=50,d=30,nnz=5,seed=2")
 *   --observe                  asgd_observable_init      ("coord:2", "proj:7")
 *   --mode                     asgd_engine_mode_parse    ("hogwild")
 *   --loss                     asgd_loss_parse           ("logistic", "svm")
 *   --model, --sigma           asgd_model_parse, asgd_sigma_parse
 * The first byte picks the parser, the rest is the value (cut at its first NUL, as argv is).
 *
 * Sizes are capped here, not in the parsers: d and n of a problem or generator spec above
 * SIZE_CAP, and generator specs that leave n or d to their (large) defaults, are skipped, so that
 * every input runs in microseconds. What is checked: success gives an object whose canonical
 * spec or name parses back to the same thing; failure leaves a non-empty message where there is
 * one to leave.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/model.h"
#include "asgd/observe.h"
#include "asgd/parse.h"
#include "asgd/problem.h"
#include "asgd/work.h"
#include "fuzz_check.h"

#define SIZE_CAP 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Whether the "k=v,..." part of @spec keeps every size key of @keys (NULL-terminated) at or
 * below SIZE_CAP, reading values as @u64 does (the generators take "1e3", the presets only
 * digits); with @required, each of them must also be given.
 */
static int sizes_small(const char *spec, const char *const *keys, int required)
{
	const char *colon = strchr(spec, ':'), *item;
	unsigned given = 0, all = 0;

	for (size_t k = 0; keys[k]; k++)
		all |= 1u << k;
	for (item = colon ? colon + 1 : NULL; item;) {
		const char *comma = strchr(item, ','), *eq;
		size_t len = comma ? (size_t)(comma - item) : strlen(item);

		eq = memchr(item, '=', len);
		for (size_t k = 0; eq && keys[k]; k++) {
			char *value;
			uint64_t v;
			int ok;

			if (strlen(keys[k]) != (size_t)(eq - item) ||
			    memcmp(item, keys[k], (size_t)(eq - item)) != 0)
				continue;
			value = fuzz_strndup((const uint8_t *)eq + 1, len - (size_t)(eq - item) - 1);
			ok = asgd_parse_u64(value, &v) == ASGD_OK;
			free(value);
			if (ok && v > SIZE_CAP)
				return 0;
			given |= 1u << k;
		}
		item = comma ? comma + 1 : NULL;
	}
	return !required || given == all;
}

static void fuzz_problem(const char *s)
{
	static const char *const keys[] = { "d", "n", NULL };
	asgd_problem *p = NULL, *q = NULL;

	if (!sizes_small(s, keys, 0))
		return;
	if (asgd_problem_create(s, &p) != ASGD_OK) {
		FUZZ_CHECK(p == NULL, "failure wrote *out");
		return;
	}
	FUZZ_CHECK(asgd_problem_create(asgd_problem_spec(p), &q) == ASGD_OK,
		   "the canonical spec creates a problem");
	FUZZ_CHECK(strcmp(asgd_problem_spec(p), asgd_problem_spec(q)) == 0 &&
			   asgd_problem_dim(p) == asgd_problem_dim(q) &&
			   asgd_problem_components(p) == asgd_problem_components(q),
		   "the canonical spec gives the same problem");
	FUZZ_CHECK(asgd_problem_dim(p) >= 1 && asgd_problem_components(p) >= 1, "sizes");
	asgd_problem_destroy(q);
	asgd_problem_destroy(p);
}

static void fuzz_work(const char *s)
{
	asgd_work w, v;
	char err[FUZZ_ERRLEN], buf[64];

	memset(err, FUZZ_POISON, sizeof(err));
	if (asgd_work_parse(s, &w, err, sizeof(err)) != ASGD_OK) {
		fuzz_check_message(err, sizeof(err));
		return;
	}
	FUZZ_CHECK(isfinite(w.ns) && w.ns >= 0 && w.p >= 0 && w.p < 1, "a work law's ranges");
	FUZZ_CHECK(asgd_work_format(&w, buf, sizeof(buf)) == ASGD_OK, "64 bytes suffice");
	FUZZ_CHECK(asgd_work_parse(buf, &v, NULL, 0) == ASGD_OK, "the format reads back");
	FUZZ_CHECK(v.kind == w.kind && memcmp(&v.ns, &w.ns, sizeof(w.ns)) == 0 &&
			   memcmp(&v.p, &w.p, sizeof(w.p)) == 0,
		   "format then parse is bit for bit");
}

static void fuzz_generate(const char *s)
{
	static const char *const keys[] = { "n", "d", NULL };
	asgd_dataset *ds = NULL, *again = NULL;
	char err[FUZZ_ERRLEN];

	if (!sizes_small(s, keys, 1))
		return;
	memset(err, FUZZ_POISON, sizeof(err));
	if (asgd_dataset_generate(s, &ds, err, sizeof(err)) != ASGD_OK) {
		FUZZ_CHECK(ds == NULL, "failure wrote *out");
		fuzz_check_message(err, sizeof(err));
		return;
	}
	fuzz_check_dataset(ds, 0);
	FUZZ_CHECK(asgd_dataset_generate(ds->source, &again, err, sizeof(err)) == ASGD_OK,
		   "the canonical spec generates");
	fuzz_check_same(ds, again);
	FUZZ_CHECK(strcmp(ds->source, again->source) == 0, "the canonical spec is a fixed point");
	asgd_dataset_destroy(again);
	asgd_dataset_destroy(ds);
}

static void fuzz_observable(const char *s)
{
	asgd_problem *p = NULL;
	asgd_observable o, again;
	char err[FUZZ_ERRLEN];

	FUZZ_CHECK(asgd_problem_create("quadratic:d=3,n=4,seed=1", &p) == ASGD_OK, "preset");
	memset(err, FUZZ_POISON, sizeof(err));
	if (asgd_observable_init(&o, s, p, err, sizeof(err)) != ASGD_OK) {
		fuzz_check_message(err, sizeof(err));
	} else {
		FUZZ_CHECK(memchr(o.spec, '\0', sizeof(o.spec)) != NULL, "spec terminated");
		FUZZ_CHECK(o.kind != ASGD_OBSERVE_COORD || o.coord < 3, "coord < dim");
		FUZZ_CHECK(asgd_observable_init(&again, o.spec, p, err, sizeof(err)) == ASGD_OK &&
				   again.kind == o.kind && strcmp(again.spec, o.spec) == 0,
			   "the canonical spec reads back");
		asgd_observable_free(&again);
		asgd_observable_free(&o);
	}
	asgd_problem_destroy(p);
}

/* A name parser and its inverse: a name read back as itself, an alias as its canonical name. */
#define FUZZ_NAMES(type, parse, name, s)                                                   \
	do {                                                                               \
		type v_, w_;                                                               \
		const char *n_;                                                            \
		if (parse(s, &v_) != ASGD_OK)                                              \
			break;                                                             \
		n_ = name(v_);                                                             \
		FUZZ_CHECK(n_ != NULL && parse(n_, &w_) == ASGD_OK && w_ == v_,            \
			   #parse ": the name of a parsed value reads back");              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 8) {
	case 0:
		fuzz_problem(s);
		break;
	case 1:
		fuzz_work(s);
		break;
	case 2:
		fuzz_generate(s);
		break;
	case 3:
		fuzz_observable(s);
		break;
	case 4:
		FUZZ_NAMES(asgd_engine_mode, asgd_engine_mode_parse, asgd_engine_mode_name, s);
		break;
	case 5:
		FUZZ_NAMES(asgd_loss, asgd_loss_parse, asgd_loss_name, s);
		break;
	case 6:
		FUZZ_NAMES(asgd_model, asgd_model_parse, asgd_model_name, s);
		break;
	default:
		FUZZ_NAMES(asgd_sigma, asgd_sigma_parse, asgd_sigma_name, s);
		break;
	}
	free(s);
	return 0;
}
