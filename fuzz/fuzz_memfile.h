/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_memfile.h — fuzz input as a file, for the readers' file path (gzip through zlib): an
 * anonymous memfd reached through /proc/self/fd, so no directory is touched or left behind.
 */
#ifndef ASGD_FUZZ_MEMFILE_H
#define ASGD_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Write @data into a new memfd; its path into @path. Returns the descriptor (close it). */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", 0);
	size_t done = 0;

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);

		if (w <= 0) {
			perror("write");
			abort();
		}
		done += (size_t)w;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* Whether @data starts like a gzip stream, which only the file readers decompress. */
static inline int fuzz_is_gzip(const uint8_t *data, size_t size)
{
	return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

#endif /* ASGD_FUZZ_MEMFILE_H */
