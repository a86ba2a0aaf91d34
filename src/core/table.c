/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * table.c — the tables of numbers that experiments (sweep, advise, batch) write twice, as CSV and
 * as JSON, from one list of columns (a name and the offset of a double in a row struct), so that
 * the two files always say the same; and the number formats both use.
 */
#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "asgd/table.h"

void asgd_json_add_number(cJSON *j, const char *name, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(j, name, v);
	else
		cJSON_AddNullToObject(j, name);
}

void asgd_table_print_field(FILE *fp, double v, asgd_field format)
{
	/* %.10g would write a whole number from 1e10 up with an exponent: counts stay whole */
	int whole = format == ASGD_FIELD_INTEGER ||
		    (format == ASGD_FIELD_AUTO && v == floor(v) && fabs(v) < 1e15);

	if (!isfinite(v))
		fputs("nan", fp);
	else if (whole)
		fprintf(fp, "%.0f", v);
	else
		fprintf(fp, "%.10g", v);
}

double asgd_column_value(const void *row, const asgd_column *col)
{
	return *(const double *)((const char *)row + col->off);
}

void asgd_table_csv_header(FILE *fp, const char *first, const asgd_column *cols, size_t n)
{
	if (first)
		fputs(first, fp);
	for (size_t c = 0; c < n; c++)
		fprintf(fp, "%s%s", c || first ? "," : "", cols[c].name);
	fputc('\n', fp);
}

void asgd_table_csv_row(FILE *fp, const char *first, const void *row,
		       const asgd_column *cols, size_t n)
{
	if (first)
		fputs(first, fp);
	for (size_t c = 0; c < n; c++) {
		if (c || first)
			fputc(',', fp);
		asgd_table_print_field(fp, asgd_column_value(row, &cols[c]), cols[c].format);
	}
	fputc('\n', fp);
}

void asgd_table_json_row(cJSON *j, const void *row, const asgd_column *cols, size_t n)
{
	for (size_t c = 0; c < n; c++)
		asgd_json_add_number(j, cols[c].name, asgd_column_value(row, &cols[c]));
}
