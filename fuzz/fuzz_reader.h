/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_reader.h — what the two reader targets (fuzz_libsvm.c, fuzz_csv.c) do alike: read the
 * bytes from memory and check the result, and read them as a file (a memfd) and check that the
 * file and buffer readers agree, messages included. A reader is its pair of entry points.
 */
#ifndef ASGD_FUZZ_READER_H
#define ASGD_FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "asgd/dataset.h"
#include "fuzz_check.h"
#include "fuzz_memfile.h"

struct fuzz_reader {
	int (*parse)(const char *name, const void *buf, size_t len, const asgd_dataset_options *opt,
		     asgd_dataset **out, char *err, size_t errlen);
	int (*read)(const char *path, const asgd_dataset_options *opt, asgd_dataset **out,
		    char *err, size_t errlen);
};

/* Read @data with @opt from memory under @name: rc, dataset in *ds (or NULL), message in @err. */
static inline int fuzz_reader_parse(const struct fuzz_reader *r, const char *name,
				    const uint8_t *data, size_t size,
				    const asgd_dataset_options *opt, asgd_dataset **ds,
				    char *err)
{
	int rc;

	memset(err, FUZZ_POISON, FUZZ_ERRLEN);
	*ds = NULL;
	rc = r->parse(name, data, size, opt, ds, err, FUZZ_ERRLEN);
	if (rc == ASGD_OK)
		fuzz_check_dataset(*ds, opt->min_features);
	else
		fuzz_check_failure(rc, err, FUZZ_ERRLEN);
	FUZZ_CHECK(rc != ASGD_EIO, "a buffer has no I/O to fail");
	return rc;
}

/* The same bytes as a file: gzip decoded, or the same result and message as from memory. */
static inline void fuzz_reader_file(const struct fuzz_reader *r, const uint8_t *data, size_t size,
				    const asgd_dataset_options *opt)
{
	char path[64], err[FUZZ_ERRLEN], err_mem[FUZZ_ERRLEN];
	asgd_dataset *ds = NULL, *ds_mem = NULL;
	int fd = fuzz_memfile(data, size, path, sizeof(path));
	int rc;

	memset(err, FUZZ_POISON, sizeof(err));
	rc = r->read(path, opt, &ds, err, sizeof(err));
	if (rc == ASGD_OK)
		fuzz_check_dataset(ds, opt->min_features);
	else
		fuzz_check_failure(rc, err, sizeof(err));
	if (!fuzz_is_gzip(data, size)) {
		int rc_mem = fuzz_reader_parse(r, path, data, size, opt, &ds_mem, err_mem);

		FUZZ_CHECK(rc == rc_mem, "file and buffer readers disagree on success");
		if (rc == ASGD_OK)
			fuzz_check_same(ds, ds_mem);
		else if (rc != ASGD_ENOMEM)
			FUZZ_CHECK(strcmp(err, err_mem) == 0, "file and buffer messages differ");
	}
	asgd_dataset_destroy(ds_mem);
	asgd_dataset_destroy(ds);
	close(fd);
}

#endif /* ASGD_FUZZ_READER_H */
