/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_libsvm.c — libFuzzer target for the LIBSVM reader (asgd_dataset_parse_libsvm, and
 * asgd_dataset_read_libsvm for gzip input and for a differential check of the two paths).
 *
 * Each input is read with the three index bases. On success every CSR invariant of
 * asgd/dataset.h is recounted (fuzz_check.h); on failure the message must be non-empty and
 * NUL-terminated within errlen. AUTO must fail exactly when ZERO fails and otherwise equal ONE
 * (no id 0) or ZERO. Inputs whose first byte is a multiple of 8, and gzip inputs, are also
 * read as a file (a memfd): the buffer and file readers must then agree, messages included.
 * Feature ids are capped at 2^16 (max_feature_id) so that a one-line file cannot ask for a
 * 32 GiB col_count; that is the option's purpose, not a fuzzing shortcut.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "asgd/dataset.h"
#include "fuzz_check.h"
#include "fuzz_reader.h"

#define FUZZ_MAX_ID (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct fuzz_reader reader = { asgd_dataset_parse_libsvm, asgd_dataset_read_libsvm };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	asgd_dataset_options opt = { .max_feature_id = FUZZ_MAX_ID, .min_features = size % 7 };
	asgd_dataset *any, *zero, *one;
	char err[FUZZ_ERRLEN];
	int rc_any, rc_zero, rc_one;

	if (fuzz_is_gzip(data, size) || (size > 0 && data[0] % 8 == 0))
		fuzz_reader_file(&reader, data, size, &opt);
	if (fuzz_is_gzip(data, size))
		return 0;
	opt.base = ASGD_INDEX_AUTO;
	rc_any = fuzz_reader_parse(&reader, NULL, data, size, &opt, &any, err);
	opt.base = ASGD_INDEX_ZERO;
	rc_zero = fuzz_reader_parse(&reader, "zero.svm", data, size, &opt, &zero, err);
	opt.base = ASGD_INDEX_ONE;
	rc_one = fuzz_reader_parse(&reader, "one.svm", data, size, &opt, &one, err);
	FUZZ_CHECK(rc_any == rc_zero, "AUTO and ZERO accept the same files");
	if (rc_one == ASGD_OK)
		FUZZ_CHECK(rc_any == ASGD_OK, "ONE accepted what AUTO refused");
	if (rc_any == ASGD_OK) {
		fuzz_check_same(any, rc_one == ASGD_OK ? one : zero);
		FUZZ_CHECK(strcmp(any->source, "(buffer)") == 0, "a nameless buffer's source");
	}
	asgd_dataset_destroy(any);
	asgd_dataset_destroy(zero);
	asgd_dataset_destroy(one);
	return 0;
}
