/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_csv.c — libFuzzer target for the CSV reader (asgd_dataset_parse_csv, and
 * asgd_dataset_read_csv for gzip input and for a differential check of the two paths).
 *
 * Each input is read with the label in the last column (the default) and in a column chosen
 * by the input's length (-2..2). On success every CSR invariant of asgd/dataset.h is recounted
 * (fuzz_check.h); on failure the message must be non-empty and NUL-terminated within errlen.
 * A table that reads with the default label reads with the label first too, with the same rows
 * and columns. Inputs whose first byte is a multiple of 8, and gzip inputs, are also read as a
 * file (a memfd): buffer and file readers must then agree, messages included.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "asgd/dataset.h"
#include "fuzz_check.h"
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct fuzz_reader reader = { asgd_dataset_parse_csv, asgd_dataset_read_csv };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	asgd_dataset_options opt = { .min_features = size % 5 };
	asgd_dataset *last, *first, *chosen;
	char err[FUZZ_ERRLEN];
	int rc_last, rc_first;

	if (fuzz_is_gzip(data, size) || (size > 0 && data[0] % 8 == 0))
		fuzz_reader_file(&reader, data, size, &opt);
	if (fuzz_is_gzip(data, size))
		return 0;
	rc_last = fuzz_reader_parse(&reader, NULL, data, size, &opt, &last, err);
	opt.label_column = 1;
	rc_first = fuzz_reader_parse(&reader, "first.csv", data, size, &opt, &first, err);
	opt.label_column = (int)(size % 5) - 2;
	fuzz_reader_parse(&reader, "chosen.csv", data, size, &opt, &chosen, err);
	if (rc_last == ASGD_OK) {
		FUZZ_CHECK(rc_first == ASGD_OK, "label first refused what label last read");
		FUZZ_CHECK(first->rows == last->rows && first->cols == last->cols,
			   "the label's column changed the table's shape");
		FUZZ_CHECK(strcmp(last->source, "(buffer)") == 0, "a nameless buffer's source");
	}
	asgd_dataset_destroy(last);
	asgd_dataset_destroy(first);
	asgd_dataset_destroy(chosen);
	return 0;
}
