/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * table.c — the tables of numbers that `advise`, `sweep` and `batch` write twice, as CSV and as
 * JSON, from one list of columns (a name and the offset of a double in the command's row struct),
 * so that the two files always say the same; and the number formats both use.
 */
#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli.h"

void cli_add_number(cJSON *j, const char *name, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(j, name, v);
	else
		cJSON_AddNullToObject(j, name);
}

void cli_print_field(FILE *fp, double v, enum cli_field format)
{
	/* %.10g would write a whole number from 1e10 up with an exponent: counts stay whole */
	int whole = format == CLI_FIELD_INTEGER ||
		    (format == CLI_FIELD_AUTO && v == floor(v) && fabs(v) < 1e15);

	if (!isfinite(v))
		fputs("nan", fp);
	else if (whole)
		fprintf(fp, "%.0f", v);
	else
		fprintf(fp, "%.10g", v);
}

double cli_column_value(const void *row, const struct cli_column *col)
{
	return *(const double *)((const char *)row + col->off);
}

void cli_table_csv_header(FILE *fp, const char *first, const struct cli_column *cols, size_t n)
{
	if (first)
		fputs(first, fp);
	for (size_t c = 0; c < n; c++)
		fprintf(fp, "%s%s", c || first ? "," : "", cols[c].name);
	fputc('\n', fp);
}

void cli_table_csv_row(FILE *fp, const char *first, const void *row,
		       const struct cli_column *cols, size_t n)
{
	if (first)
		fputs(first, fp);
	for (size_t c = 0; c < n; c++) {
		if (c || first)
			fputc(',', fp);
		cli_print_field(fp, cli_column_value(row, &cols[c]), cols[c].format);
	}
	fputc('\n', fp);
}

void cli_table_json_row(cJSON *j, const void *row, const struct cli_column *cols, size_t n)
{
	for (size_t c = 0; c < n; c++)
		cli_add_number(j, cols[c].name, cli_column_value(row, &cols[c]));
}
