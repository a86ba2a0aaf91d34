/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * json_internal.h — adding members to the statistics' JSON objects, failures reported: the
 * summaries must come out whole or not at all (staleness.c defines them).
 */
#ifndef ASGD_STATS_JSON_INTERNAL_H
#define ASGD_STATS_JSON_INTERNAL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* @v under @name, or null where it is not finite (JSON has no NaN); false on a failed
 * allocation. */
bool asgd__json_num(cJSON *obj, const char *name, double v);

/* @item under @name; false (and @item freed) when either is missing. */
bool asgd__json_item(cJSON *obj, const char *name, cJSON *item);

#endif /* ASGD_STATS_JSON_INTERNAL_H */
