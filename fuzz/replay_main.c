/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * replay_main.c — a main() for the fuzz targets without libFuzzer: it calls
 * LLVMFuzzerTestOneInput once on every file named, or found (one level deep) in a directory
 * named, on the command line. ctest runs it over fuzz/corpus/<target>/ so that every compiler
 * and sanitizer build replays the committed corpus; a failed check aborts, which fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the target on the file @path; 0, or 1 if it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!nb) {
				fclose(f);
				free(buf);
				return 1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	/* An exact-size copy, so that AddressSanitizer sees a read past the input's end. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return 1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

/* Every regular file directly under @dir; the number run into *count. */
static int replay_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int bad = 0;

	if (!d) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		bad |= replay_file(path);
		++*count;
	}
	closedir(d);
	return bad;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			bad |= replay_dir(argv[i], &count);
		} else {
			bad |= replay_file(argv[i]);
			count++;
		}
	}
	printf("replayed %zu inputs%s\n", count, bad ? " (some could not be read)" : "");
	return bad || count == 0;	/* an empty corpus replays nothing: a mistake */
}
