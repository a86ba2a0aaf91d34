/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * names_internal.h — the names of the library's small enumerations (engine modes, clocks,
 * precisions, scalings, …): each value is named by the string at its index, and a name is
 * read back strictly. One definition serves every module that has such an enumeration.
 */
#ifndef ASGD_NAMES_INTERNAL_H
#define ASGD_NAMES_INTERNAL_H

#include "asgd/error.h"

/* The name of value @v among @n @names, or NULL. */
const char *asgd__enum_name(const char *const *names, unsigned n, unsigned v);

/* The index of @name among @n @names into *@out: ASGD_OK, ASGD_ENOTFOUND, or ASGD_EINVAL when
 * @name or @out is NULL. */
int asgd__enum_parse(const char *const *names, unsigned n, const char *name, unsigned *out);

/* PREFIX_name(TYPE) and PREFIX_parse(name, TYPE *) for an enumeration whose values 0, 1, …
 * are named by the strings that follow, in order (their declarations and documentation are in
 * the public header). */
#define ASGD__NAMED_ENUM(prefix, type, ...)                                                     \
	static const char *const prefix##_names[] = { __VA_ARGS__ };                             \
	const char *prefix##_name(type v)                                                        \
	{                                                                                        \
		return asgd__enum_name(prefix##_names,                                           \
				       sizeof(prefix##_names) / sizeof(*prefix##_names), (unsigned)v); \
	}                                                                                        \
	int prefix##_parse(const char *name, type *out)                                          \
	{                                                                                        \
		unsigned v = 0;                                                                  \
		int rc = asgd__enum_parse(prefix##_names,                                        \
					  sizeof(prefix##_names) / sizeof(*prefix##_names), name, \
					  out ? &v : NULL);                                      \
		if (rc == ASGD_OK)                                                               \
			*out = (type)v;                                                          \
		return rc;                                                                       \
	}

#endif /* ASGD_NAMES_INTERNAL_H */
