/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/table.h — tables of numbers written twice, as CSV and as JSON, from one list of columns.
 *
 * An experiment's result rows are structs of doubles. A column names one of them and says how
 * its CSV field is written; the CSV header, its lines and the JSON objects all come from the same
 * list, so that the two files of a result always say the same. Stateless and thread-safe.
 */
#ifndef ASGD_TABLE_H
#define ASGD_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* How a CSV field is written; every format writes a non-finite value as "nan" (as moments.csv). */
typedef enum asgd_field {
	ASGD_FIELD_REAL,	/* %.10g */
	ASGD_FIELD_INTEGER,	/* %.0f: a count, never with an exponent */
	ASGD_FIELD_AUTO,	/* %.0f when whole and below 1e15 in size, else %.10g */
} asgd_field;

/* One column: its name in the CSV header and the JSON object, and where its double sits. */
typedef struct asgd_column {
	const char *name;
	size_t off;		/* offsetof the double in the row struct */
	asgd_field format;
} asgd_column;

/* A column of the row struct @type: ASGD_COLUMN(struct my_row, "name", field, ASGD_FIELD_REAL). */
#define ASGD_COLUMN(type, name, field, format) { name, offsetof(type, field), format }

/* The same, a count (@count nonzero: ASGD_FIELD_INTEGER) or a real (ASGD_FIELD_REAL). */
#define ASGD_COLUMN_OF(type, name, field, count)                                               \
	ASGD_COLUMN(type, name, field, (count) ? ASGD_FIELD_INTEGER : ASGD_FIELD_REAL)

/* asgd_json_add_number - @v under @name in @j, or null where it is not finite (JSON has no NaN). */
void asgd_json_add_number(cJSON *j, const char *name, double v);

/* asgd_table_print_field - @v as one CSV field in @format. */
void asgd_table_print_field(FILE *fp, double v, asgd_field format);

/* asgd_column_value - the value of column @col in the row struct at @row. */
double asgd_column_value(const void *row, const asgd_column *col);

/* asgd_table_csv_header - @first (a label column, or NULL for none), then each column's name. */
void asgd_table_csv_header(FILE *fp, const char *first, const asgd_column *cols, size_t n);

/* asgd_table_csv_row - the label @first (NULL: none), then each column of @row in its format. */
void asgd_table_csv_row(FILE *fp, const char *first, const void *row, const asgd_column *cols,
			size_t n);

/* asgd_table_json_row - each column of @row as a member of @j (asgd_json_add_number), in order. */
void asgd_table_json_row(cJSON *j, const void *row, const asgd_column *cols, size_t n);

#endif /* ASGD_TABLE_H */
