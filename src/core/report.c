/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * report.c — output files that are never half-written.
 *
 * The output contract promises "never a half-written file": scripts read results/ and a torn CSV
 * would silently shorten a curve. So every output goes to a temporary in the same directory
 * (rename is atomic only within one file system) and is renamed into place only after it is
 * flushed and fsynced; any error on the way removes the temporary instead.
 */
#include "asgd/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "asgd/error.h"
#include "build_info.h"

static const char tmp_suffix[] = ".tmp.XXXXXX";

/*
 * The process umask without changing it: umask(2) can only be read by setting it, which would
 * race with other threads creating files. Linux ≥ 4.7 shows it in /proc/self/status.
 */
static mode_t current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	mode_t mask = 022;

	if (!f)
		return mask;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Umask:", 6) == 0) {
			mask = (mode_t)strtoul(line + 6, NULL, 8) & 0777;
			break;
		}
	}
	fclose(f);
	return mask;
}

static void release(asgd_atomic_file *af)
{
	free(af->path);
	free(af->tmp_path);
	af->fp = NULL;
	af->path = NULL;
	af->tmp_path = NULL;
}

int asgd_atomic_open(asgd_atomic_file *af, const char *path)
{
	size_t len;
	int fd, saved;

	if (!af || !path)
		return ASGD_EINVAL;
	af->fp = NULL;
	len = strlen(path);
	af->path = strdup(path);
	af->tmp_path = malloc(len + sizeof(tmp_suffix));
	if (!af->path || !af->tmp_path) {
		release(af);
		return ASGD_ENOMEM;
	}
	memcpy(af->tmp_path, path, len);
	memcpy(af->tmp_path + len, tmp_suffix, sizeof(tmp_suffix));
	fd = mkstemp(af->tmp_path);
	if (fd < 0) {
		saved = errno;
		release(af);
		errno = saved;
		return ASGD_EIO;
	}
	/* mkstemp makes the file 0600; an output should look like any other file the user writes. */
	if (fchmod(fd, 0666 & ~current_umask()) != 0 || !(af->fp = fdopen(fd, "w"))) {
		saved = errno;
		close(fd);
		unlink(af->tmp_path);
		release(af);
		errno = saved;
		return ASGD_EIO;
	}
	return ASGD_OK;
}

/* Makes the rename itself durable; failure is harmless for atomicity, so it is ignored. */
static void sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int asgd_atomic_commit(asgd_atomic_file *af)
{
	int saved = 0;

	if (!af || !af->fp)
		return ASGD_EINVAL;
	/* A write that failed long ago (ENOSPC, EIO) only shows up here, as the stream's error flag. */
	if (fflush(af->fp) != 0 || ferror(af->fp))
		saved = errno ? errno : EIO;
	else if (fsync(fileno(af->fp)) != 0)
		saved = errno;
	if (fclose(af->fp) != 0 && !saved)
		saved = errno;
	af->fp = NULL;
	if (!saved && rename(af->tmp_path, af->path) != 0)
		saved = errno;
	if (saved) {
		unlink(af->tmp_path);
		release(af);
		errno = saved;
		return ASGD_EIO;
	}
	sync_parent_dir(af->path);
	release(af);
	return ASGD_OK;
}

void asgd_atomic_abort(asgd_atomic_file *af)
{
	if (!af)
		return;
	if (af->fp)
		fclose(af->fp);
	if (af->tmp_path)
		unlink(af->tmp_path);
	release(af);
}

static void err_cannot_write(char *err, size_t errlen, const char *dir, int errnum)
{
	char msg[128];

	if (err && errlen > 0)
		snprintf(err, errlen, "cannot write to '%s': %s", dir,
			 strerror_r(errnum, msg, sizeof(msg)));
}

/* mkdir -p: create each missing component; an existing one is fine whatever it is (checked later). */
static int mkdir_parents(const char *dir)
{
	char *buf = strdup(dir);
	int rc = 0;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	for (char *p = buf + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(buf, 0777) != 0 && errno != EEXIST)
		rc = -1;
	free(buf);
	return rc;
}

int asgd_report_prepare_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (!dir)
		return ASGD_EINVAL;
	if (!*dir) { /* mkdir_parents starts past the first character (found by ASan) */
		if (err && errlen > 0)
			snprintf(err, errlen, "an empty directory name is not allowed");
		return ASGD_EINVAL;
	}
	if (mkdir_parents(dir) != 0 || stat(dir, &st) != 0) {
		err_cannot_write(err, errlen, dir, errno);
		return ASGD_EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (err && errlen > 0)
			snprintf(err, errlen, "'%s' is not a directory", dir);
		return ASGD_EIO;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		err_cannot_write(err, errlen, dir, errno);
		return ASGD_EIO;
	}
	return ASGD_OK;
}

int asgd_report_path(char *buf, size_t len, const char *dir, const char *name)
{
	size_t ld, ln;
	int slash;

	if (!buf || !dir || !name)
		return ASGD_EINVAL;
	ld = strlen(dir);
	ln = strlen(name);
	slash = ld > 0 && dir[ld - 1] != '/';
	if (ld + (size_t)slash + ln + 1 > len)
		return ASGD_EINVAL;
	memcpy(buf, dir, ld);
	if (slash)
		buf[ld] = '/';
	memcpy(buf + ld + slash, name, ln + 1);
	return ASGD_OK;
}

int asgd_report_write_json(const char *path, const cJSON *root)
{
	asgd_atomic_file af;
	char *text;
	int rc;

	if (!path || !root)
		return ASGD_EINVAL;
	text = cJSON_Print(root);
	if (!text)
		return ASGD_ENOMEM;
	rc = asgd_atomic_open(&af, path);
	if (rc == ASGD_OK) {
		fputs(text, af.fp);
		fputc('\n', af.fp);
		rc = asgd_atomic_commit(&af);	/* notices a failed fputs through ferror */
	}
	cJSON_free(text);
	return rc;
}

void asgd_report_machine(char *buf, size_t len)
{
	char line[512], model[256] = "unknown CPU";
	FILE *fp = fopen("/proc/cpuinfo", "r");

	while (fp && fgets(line, sizeof(line), fp)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (fp)
		fclose(fp);
	snprintf(buf, len, "%ld cores, %s", sysconf(_SC_NPROCESSORS_ONLN), model);
}

/* Distinct "physical id" values of /proc/cpuinfo (ids below 1024); 1 when it names none. */
static int count_sockets(void)
{
	FILE *fp = fopen("/proc/cpuinfo", "r");
	unsigned char seen[1024] = { 0 };
	char line[256];
	int id, count = 0;

	if (!fp)
		return 1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "physical id : %d", &id) == 1 && id >= 0 && id < 1024 && !seen[id])
			seen[id] = 1, count++;
	fclose(fp);
	return count ? count : 1;
}

/* NUMA nodes: /sys/devices/system/node/node0, node1, ...; 1 when there is no such directory. */
static int count_numa_nodes(void)
{
	char path[64];
	int n = 0;

	for (;; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK) != 0)
			break;
	}
	return n ? n : 1;
}

cJSON *asgd_report_machine_json(void)
{
	char desc[320];
	cJSON *m = cJSON_CreateObject();

	asgd_report_machine(desc, sizeof(desc));
	cJSON_AddNumberToObject(m, "nproc", (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddStringToObject(m, "description", desc);
	cJSON_AddNumberToObject(m, "sockets", count_sockets());
	cJSON_AddNumberToObject(m, "numa_nodes", count_numa_nodes());
	return m;
}

cJSON *asgd_report_argv_json(int argc, char **argv)
{
	cJSON *a = cJSON_CreateArray();

	cJSON_AddItemToArray(a, cJSON_CreateString("asgd"));
	for (int i = 0; i < argc; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
	return a;
}

cJSON *asgd_report_build_json(void)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "version", ASGD_BUILD_VERSION);
	cJSON_AddStringToObject(b, "commit", ASGD_BUILD_COMMIT);
	cJSON_AddStringToObject(b, "build_type", ASGD_BUILD_TYPE);
	cJSON_AddStringToObject(b, "compiler", ASGD_BUILD_COMPILER);
	return b;
}

/* [1, 5, 15]-minute load averages, or null: a loaded machine explains a slow or noisy run. */
static cJSON *loadavg_json(void)
{
	FILE *fp = fopen("/proc/loadavg", "r");
	double l[3];
	int got = fp ? fscanf(fp, "%lf %lf %lf", &l[0], &l[1], &l[2]) : 0;

	if (fp)
		fclose(fp);
	return got == 3 ? cJSON_CreateDoubleArray(l, 3) : cJSON_CreateNull();
}

cJSON *asgd_report_run_json(void)
{
	cJSON *r = cJSON_CreateObject();
	char when[32] = "unknown", kernel[3 * sizeof(((struct utsname *)0)->release) + 3];
	struct utsname u;
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (uname(&u) == 0)
		snprintf(kernel, sizeof(kernel), "%s %s %s", u.sysname, u.release, u.machine);
	else
		snprintf(kernel, sizeof(kernel), "unknown");
	cJSON_AddStringToObject(r, "time_utc", when);
	cJSON_AddStringToObject(r, "kernel", kernel);
	cJSON_AddItemToObject(r, "loadavg", loadavg_json());
	return r;
}

/* Add @item under @key, or delete it: false when it could not be made or added. */
static int add_new(cJSON *root, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(root, key, item))
		return 1;
	cJSON_Delete(item);
	return 0;
}

int asgd_report_add_provenance(cJSON *root)
{
	int ok = 1;

	if (!cJSON_IsObject(root))
		return ASGD_EINVAL;
	if (!cJSON_HasObjectItem(root, "machine"))
		ok &= add_new(root, "machine", asgd_report_machine_json());
	if (!cJSON_HasObjectItem(root, "build"))
		ok &= add_new(root, "build", asgd_report_build_json());
	if (!cJSON_HasObjectItem(root, "run"))
		ok &= add_new(root, "run", asgd_report_run_json());
	return ok ? ASGD_OK : ASGD_ENOMEM;
}
