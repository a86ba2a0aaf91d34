/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * error.c — names and messages for the codes of asgd/error.h.
 */
#include "asgd/error.h"

const char *asgd_strerror(int err)
{
	switch (err) {
#define ASGD__ERR_MSG(name, value, msg) case ASGD_##name: return msg;
		ASGD_ERRNO_MAP(ASGD__ERR_MSG)
#undef ASGD__ERR_MSG
	}
	return "unknown error";
}

const char *asgd_err_name(int err)
{
	switch (err) {
#define ASGD__ERR_NAME(name, value, msg) case ASGD_##name: return #name;
		ASGD_ERRNO_MAP(ASGD__ERR_NAME)
#undef ASGD__ERR_NAME
	}
	return "UNKNOWN";
}
