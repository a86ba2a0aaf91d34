/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/error.h — the one error convention of libasgd.
 *
 * Every library function that can fail returns an int: 0 (ASGD_OK) on success or one of the
 * negative codes below, and fills its out-parameters only on success. The table is an X-macro
 * so that names, messages and values never drift apart (the libuv habit).
 */
#ifndef ASGD_ERROR_H
#define ASGD_ERROR_H

#define ASGD_ERRNO_MAP(XX)                                                  \
	XX(OK, 0, "success")                                                \
	XX(EINVAL, -1, "invalid argument")                                  \
	XX(ENOMEM, -2, "out of memory")                                     \
	XX(EIO, -3, "input/output error")                                   \
	XX(ENOTFOUND, -4, "not found")                                      \
	XX(EPARSE, -5, "malformed input")                                   \
	XX(EDIVERGED, -6, "the iterate became non-finite")                  \
	XX(EINTR, -7, "interrupted")                                        \
	XX(ETHREAD, -8, "could not start a thread")

/** The error codes; ASGD_OK is 0, every failure is negative. */
enum asgd_err {
#define ASGD__ERR_ENUM(name, value, msg) ASGD_##name = (value),
	ASGD_ERRNO_MAP(ASGD__ERR_ENUM)
#undef ASGD__ERR_ENUM
};

/** A human sentence for an error code; never NULL (unknown codes give "unknown error"). */
const char *asgd_strerror(int err);

/** The code's name without prefix, e.g. "EINVAL"; never NULL. */
const char *asgd_err_name(int err);

#endif /* ASGD_ERROR_H */
