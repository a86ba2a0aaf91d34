/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/report.h — output files that are never half-written.
 *
 * Every output (CSV, JSON) is written to a temporary file in the same directory and renamed over
 * its final name only once it is complete and on disk, so a crash, a full disk or a SIGKILL leaves
 * either the old file or the new one, never a torn one. All functions are thread-safe as long as
 * each asgd_atomic_file is used by one thread at a time.
 */
#ifndef ASGD_REPORT_H
#define ASGD_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/*
 * An output file being written. Write through @fp between asgd_atomic_open() and
 * asgd_atomic_commit() / asgd_atomic_abort(); the other fields are private. After commit or abort
 * all fields are NULL and the object may be opened again.
 */
typedef struct asgd_atomic_file {
	FILE *fp;
	char *path;
	char *tmp_path;
} asgd_atomic_file;

/*
 * asgd_atomic_open - start writing @path atomically.
 * @af:   the object to set up (its previous contents are ignored).
 * @path: final name; the temporary "path.tmp.XXXXXX" is created next to it (mkstemp), with the
 *        permissions a plain fopen would give (0666 less the umask).
 *
 * Returns 0; ASGD_EINVAL if an argument is NULL; ASGD_ENOMEM; ASGD_EIO if the temporary cannot
 * be created (errno is left describing why). On failure nothing is left on disk.
 */
int asgd_atomic_open(asgd_atomic_file *af, const char *path);

/*
 * asgd_atomic_commit - finish the file and put it in place.
 *
 * Flushes, fsyncs and closes the temporary and renames it over the final path (then fsyncs the
 * directory, best effort). Any failure — including a write that failed earlier, noticed here via
 * ferror/fflush/fclose, e.g. on a full disk — unlinks the temporary and returns ASGD_EIO, leaving
 * whatever was at the final path untouched; errno then tells why where it is known (ENOSPC...).
 * Either way @af is released (fields NULL).
 * Returns 0, ASGD_EIO, or ASGD_EINVAL if @af is NULL or not open.
 */
int asgd_atomic_commit(asgd_atomic_file *af);

/*
 * asgd_atomic_abort - give up: close and unlink the temporary, leave the final path untouched.
 * Safe on a NULL, already committed or already aborted object (then it does nothing).
 */
void asgd_atomic_abort(asgd_atomic_file *af);

/*
 * asgd_report_prepare_dir - make sure @dir exists and is a writable directory.
 * @dir:    created with its parents (mode 0777 less the umask) if missing.
 * @err:    may be NULL; on failure receives "cannot write to 'DIR': <strerror>" or
 *          "'DIR' is not a directory" (truncated to @errlen).
 * @errlen: size of @err.
 *
 * Writability is checked with access(W_OK|X_OK), which root always passes; a read-only file
 * system still shows up when the first output is written. Returns 0, ASGD_EINVAL if @dir is
 * NULL or empty, or ASGD_EIO.
 */
int asgd_report_prepare_dir(const char *dir, char *err, size_t errlen);

/*
 * asgd_report_path - join @dir and @name with one '/' (none added if @dir already ends in '/').
 * @buf: receives the path, only on success.
 * @len: size of @buf.
 * Returns 0, or ASGD_EINVAL if an argument is NULL or the result does not fit.
 */
int asgd_report_path(char *buf, size_t len, const char *dir, const char *name);

/*
 * asgd_report_write_json - write @root as formatted JSON plus a newline, atomically.
 * The caller keeps ownership of @root. Returns 0, ASGD_EINVAL for NULL arguments, ASGD_ENOMEM if
 * cJSON cannot print it, or ASGD_EIO (the old file at @path, if any, survives).
 */
int asgd_report_write_json(const char *path, const cJSON *root);

/*
 * asgd_report_machine - describe this machine for results and benchmarks: "N cores, MODEL",
 * N from sysconf(_SC_NPROCESSORS_ONLN) and MODEL from /proc/cpuinfo ("unknown CPU" when it
 * cannot be read). Always NUL-terminates @buf (truncating if needed). Thread-safe.
 */
void asgd_report_machine(char *buf, size_t len);

/*
 * asgd_report_machine_json - the "machine" object every summary carries: "nproc" (online CPUs),
 * "description" (asgd_report_machine), and the topology: "sockets" (distinct physical ids in
 * /proc/cpuinfo) and "numa_nodes" (/sys/devices/system/node/node*), each 1 when the system does
 * not say. The caller owns the result (cJSON_Delete).
 */
cJSON *asgd_report_machine_json(void);

/*
 * asgd_report_argv_json - ["asgd", argv[0], ..., argv[argc − 1]]: a command line as the
 * summaries record it, argv[0] being the subcommand. The caller owns the result.
 */
cJSON *asgd_report_argv_json(int argc, char **argv);

/*
 * asgd_report_build_json - the "build" object every JSON output carries: what this binary is.
 * "version" (CMake's project version), "commit" (git describe at configure time, "-dirty" when
 * the tree had changes; "unknown" outside a git checkout), "build_type" (CMAKE_BUILD_TYPE) and
 * "compiler" ("GNU 12.2.0"). The caller owns the result (cJSON_Delete).
 */
cJSON *asgd_report_build_json(void);

/*
 * asgd_report_run_json - the "run" object every JSON output carries: when and where it was
 * written. "time_utc" (ISO 8601, "2026-12-05T10:47:14Z"), "kernel" (uname: "Linux 6.1.0-9-amd64
 * x86_64") and "loadavg" ([1, 5, 15]-minute load averages from /proc/loadavg; null when it
 * cannot be read). The caller owns the result.
 */
cJSON *asgd_report_run_json(void);

/*
 * asgd_report_add_provenance - give @root the keys every JSON output carries: "machine"
 * (asgd_report_machine_json), "build" and "run", each added at the end only when @root lacks it,
 * so a writer that already placed "machine" keeps its place. Returns 0, ASGD_EINVAL when @root
 * is NULL or not an object, ASGD_ENOMEM.
 */
int asgd_report_add_provenance(cJSON *root);

#endif /* ASGD_REPORT_H */
