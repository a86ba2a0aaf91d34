/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_report.c — outputs appear whole or not at all, and failures leave old files and no
 * temporaries behind.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/report.h"

static void make_tmpdir(char *dir)
{
	strcpy(dir, "/tmp/asgd-test-report-XXXXXX");
	cr_assert(mkdtemp(dir));
}

/* Number of entries in dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static int file_is(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

/* rm -r of the flat or nested test directories made here */
static void cleanup(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(report, commit_produces_file)
{
	char dir[64], path[128];
	asgd_atomic_file af;
	struct stat st;

	umask(022);
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/out.csv", dir);
	cr_assert_eq(asgd_atomic_open(&af, path), ASGD_OK);
	cr_expect_neq(access(path, F_OK), 0, "the final name appears only at commit");
	cr_expect_eq(entries(dir), 1, "one temporary");
	fputs("a,b\n1,2\n", af.fp);
	cr_assert_eq(asgd_atomic_commit(&af), ASGD_OK);
	cr_expect(af.fp == NULL && af.path == NULL && af.tmp_path == NULL);
	cr_expect(file_is(path, "a,b\n1,2\n"));
	cr_expect_eq(entries(dir), 1, "the temporary became the file");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0644, "mode %o, not what fopen would give",
		     st.st_mode & 0777);
	/* Committing over an existing file replaces it. */
	cr_assert_eq(asgd_atomic_open(&af, path), ASGD_OK);
	fputs("new\n", af.fp);
	cr_assert_eq(asgd_atomic_commit(&af), ASGD_OK);
	cr_expect(file_is(path, "new\n"));
	cr_expect_eq(entries(dir), 1);
	cleanup(dir);
}

Test(report, abort_leaves_nothing_and_keeps_old)
{
	char dir[64], path[128], fresh[128];
	asgd_atomic_file af;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	snprintf(fresh, sizeof(fresh), "%s/never.json", dir);
	write_file(path, "old\n");

	cr_assert_eq(asgd_atomic_open(&af, fresh), ASGD_OK);
	fputs("half a fi", af.fp);
	asgd_atomic_abort(&af);
	cr_expect_neq(access(fresh, F_OK), 0, "an aborted file does not appear");

	cr_assert_eq(asgd_atomic_open(&af, path), ASGD_OK);
	fputs("replacement that never finishes", af.fp);
	asgd_atomic_abort(&af);
	asgd_atomic_abort(&af);	/* idempotent */
	asgd_atomic_abort(NULL);
	cr_expect(file_is(path, "old\n"), "the old file survives an abort");
	cr_expect_eq(entries(dir), 1, "no temporaries left");
	cr_expect_eq(asgd_atomic_commit(&af), ASGD_EINVAL, "nothing open to commit");
	cleanup(dir);
}

/* Swaps the temporary's stream for /dev/full, which fails every write as a full disk would. */
static void fill_disk(asgd_atomic_file *af, size_t bytes)
{
	static char big[16384];
	FILE *full = fopen("/dev/full", "w");

	cr_assert(full && bytes <= sizeof(big));
	fclose(af->fp);
	af->fp = full;
	memset(big, 'x', bytes);
	fwrite(big, 1, bytes, af->fp);
}

/*
 * A write that fails is noticed at commit: EIO, the temporary is gone and the old file is intact.
 * A small write fails only at commit's fflush (errno ENOSPC tells why); a large one fails inside
 * fwrite already and is caught by the stream's error flag.
 */
Test(report, failed_write_fails_commit)
{
	static const size_t sizes[] = { 100, 16384 };
	char dir[64], path[128];
	asgd_atomic_file af;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/moments.csv", dir);
	write_file(path, "old\n");
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(asgd_atomic_open(&af, path), ASGD_OK);
		fill_disk(&af, sizes[i]);
		errno = 0;
		cr_expect_eq(asgd_atomic_commit(&af), ASGD_EIO, "%zu bytes", sizes[i]);
		if (i == 0)
			cr_expect_eq(errno, ENOSPC, "errno %d says why", errno);
		cr_expect(file_is(path, "old\n"), "the old file survives");
		cr_expect_eq(entries(dir), 1, "the temporary was removed");
	}
	cleanup(dir);
}

/* rename(2) cannot replace a non-empty directory: commit fails and cleans up, even as root. */
Test(report, failed_rename_fails_commit)
{
	char dir[64], path[128], inner[160];
	asgd_atomic_file af;
	struct stat st;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/out", dir);
	snprintf(inner, sizeof(inner), "%s/keep", path);
	cr_assert_eq(mkdir(path, 0755), 0);
	write_file(inner, "x");
	cr_assert_eq(asgd_atomic_open(&af, path), ASGD_OK);
	fputs("data\n", af.fp);
	cr_expect_eq(asgd_atomic_commit(&af), ASGD_EIO);
	cr_expect_eq(entries(dir), 1, "the temporary was removed");
	cr_expect(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "the directory is untouched");
	cleanup(dir);
}

Test(report, open_fails_in_missing_dir)
{
	asgd_atomic_file af;

	errno = 0;
	cr_expect_eq(asgd_atomic_open(&af, "/nonexistent-asgd-dir/x.csv"), ASGD_EIO);
	cr_expect_eq(errno, ENOENT);
	cr_expect_eq(asgd_atomic_open(&af, NULL), ASGD_EINVAL);
}

Test(report, prepare_dir)
{
	char dir[64], nested[160], file[128], under[160], err[256];
	struct stat st;

	make_tmpdir(dir);
	snprintf(nested, sizeof(nested), "%s/a/b/c/", dir);
	cr_expect_eq(asgd_report_prepare_dir(nested, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_expect(stat(nested, &st) == 0 && S_ISDIR(st.st_mode));
	cr_expect_eq(asgd_report_prepare_dir(nested, NULL, 0), ASGD_OK, "existing is fine");

	snprintf(file, sizeof(file), "%s/plain", dir);
	write_file(file, "x");
	cr_expect_eq(asgd_report_prepare_dir(file, err, sizeof(err)), ASGD_EIO);
	char want[200];

	snprintf(want, sizeof(want), "'%s' is not a directory", file);
	cr_expect_str_eq(err, want);

	snprintf(under, sizeof(under), "%s/sub", file);
	cr_expect_eq(asgd_report_prepare_dir(under, err, sizeof(err)), ASGD_EIO);
	snprintf(want, sizeof(want), "cannot write to '%s': Not a directory", under);
	cr_expect_str_eq(err, want);
	cr_expect_eq(asgd_report_prepare_dir(under, NULL, 0), ASGD_EIO, "err may be NULL");
	cleanup(dir);
}

Test(report, path_join)
{
	char buf[16];

	cr_assert_eq(asgd_report_path(buf, sizeof(buf), "out", "a.csv"), ASGD_OK);
	cr_expect_str_eq(buf, "out/a.csv");
	cr_assert_eq(asgd_report_path(buf, sizeof(buf), "out/", "a.csv"), ASGD_OK);
	cr_expect_str_eq(buf, "out/a.csv");
	/* "abcdefghi/a.csv" is 15 characters: fits 16 exactly, not 15. */
	cr_assert_eq(asgd_report_path(buf, 16, "abcdefghi", "a.csv"), ASGD_OK);
	cr_expect_str_eq(buf, "abcdefghi/a.csv");
	strcpy(buf, "keep");
	cr_expect_eq(asgd_report_path(buf, 15, "abcdefghi", "a.csv"), ASGD_EINVAL);
	cr_expect_str_eq(buf, "keep", "untouched on failure");
	cr_expect_eq(asgd_report_path(buf, sizeof(buf), NULL, "a"), ASGD_EINVAL);
}

Test(report, json_round_trip)
{
	char dir[64], path[128];
	cJSON *root = cJSON_CreateObject(), *back, *ci;
	FILE *f;
	char text[1024];
	size_t n;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	cJSON_AddNumberToObject(root, "workers", 4);
	cJSON_AddNumberToObject(root, "mu_hat", 0.75);
	ci = cJSON_AddArrayToObject(root, "mu_ci95");
	cJSON_AddItemToArray(ci, cJSON_CreateNumber(0.7));
	cJSON_AddItemToArray(ci, cJSON_CreateNumber(0.8));
	cr_assert_eq(asgd_report_write_json(path, root), ASGD_OK);
	f = fopen(path, "r");
	cr_assert(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cr_expect(n > 0 && text[n - 1] == '\n', "ends with a newline");
	cr_expect(strchr(text, '\t') != NULL, "formatted, not minified");
	back = cJSON_Parse(text);
	cr_assert(back);
	cr_expect_eq(cJSON_GetObjectItem(back, "workers")->valuedouble, 4.0);
	cr_expect_eq(cJSON_GetObjectItem(back, "mu_hat")->valuedouble, 0.75);
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(back, "mu_ci95")), 2);
	cJSON_Delete(back);
	cr_expect_eq(entries(dir), 1);

	char bad[160];

	snprintf(bad, sizeof(bad), "%s/missing/summary.json", dir);
	cr_expect_eq(asgd_report_write_json(bad, root), ASGD_EIO);
	cr_expect_eq(asgd_report_write_json(NULL, root), ASGD_EINVAL);
	cJSON_Delete(root);
	cleanup(dir);
}

/* The provenance every JSON output carries: added when missing, never replacing a writer's own
 * "machine", and the strings say something. */
Test(report, provenance_added_once)
{
	cJSON *root = cJSON_CreateObject(), *own = cJSON_CreateString("kept"), *b, *r, *la;
	const char *keys[] = { "version", "commit", "build_type", "compiler" };

	cJSON_AddItemToObject(root, "machine", own);
	cr_assert_eq(asgd_report_add_provenance(root), ASGD_OK);
	cr_assert_eq(cJSON_GetObjectItem(root, "machine"), own);
	b = cJSON_GetObjectItem(root, "build");
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const cJSON *v = cJSON_GetObjectItem(b, keys[i]);

		cr_assert(cJSON_IsString(v) && v->valuestring[0], "build.%s", keys[i]);
	}
	cr_assert_eq(strspn(cJSON_GetObjectItem(b, "version")->valuestring, "0123456789."),
		     strlen(cJSON_GetObjectItem(b, "version")->valuestring));
	r = cJSON_GetObjectItem(root, "run");
	cr_assert_eq(strlen(cJSON_GetObjectItem(r, "time_utc")->valuestring), 20);
	cr_assert_eq(cJSON_GetObjectItem(r, "time_utc")->valuestring[19], 'Z');
	cr_assert(!strncmp(cJSON_GetObjectItem(r, "kernel")->valuestring, "Linux ", 6));
	la = cJSON_GetObjectItem(r, "loadavg");
	cr_assert(cJSON_IsNull(la) || (cJSON_GetArraySize(la) == 3 &&
				       cJSON_GetArrayItem(la, 0)->valuedouble >= 0));
	/* a second call adds nothing */
	cr_assert_eq(asgd_report_add_provenance(root), ASGD_OK);
	cr_assert_eq(cJSON_GetArraySize(root), 3);
	cr_assert_eq(asgd_report_add_provenance(NULL), ASGD_EINVAL);
	cJSON_Delete(root);
}

Test(report, argv_json_is_the_command_line)
{
	cJSON *a = asgd_report_argv_json(2, (char *[]){ "fit", "h.csv" });

	cr_assert_eq(cJSON_GetArraySize(a), 3);
	cr_assert_str_eq(cJSON_GetArrayItem(a, 0)->valuestring, "asgd");
	cr_assert_str_eq(cJSON_GetArrayItem(a, 1)->valuestring, "fit");
	cr_assert_str_eq(cJSON_GetArrayItem(a, 2)->valuestring, "h.csv");
	cJSON_Delete(a);
}
