/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise_out.c — the tables of the `asgd advise` experiment (asgd/advise_run.h): the rows of the
 * compared settings, whose one table of columns writes both advise.csv and the "outcomes" of
 * advise.json, so that the two always say the same; and each setting's curve of the measure,
 * msd.csv or loss_gap.csv. The columns that hold the measure are named after it, so that a file
 * read alone still says whether it holds E‖x − x*‖² or a loss gap.
 */
#include "asgd/advise_run.h"

#include <stddef.h>
#include <stdio.h>

#include "asgd/error.h"
#include "asgd/report.h"

/* The columns, with the final measure's two named @final and @final_se. */
#define COL(name, field, count) ASGD_COLUMN_OF(asgd_advise_row, name, field, count)
#define ADVISE_COLUMNS(final_name, final_se_name) { \
	COL("workers", workers, 1),		COL("eta", eta, 0), \
	COL("momentum", momentum, 0),		COL("total_momentum", total_momentum, 0), \
	COL("model_rho", model_rho, 0),		COL("noise_floor", noise_floor, 0), \
	COL("replicas", replicas, 1),		COL("diverged", diverged, 1), \
	COL("mu_hat", mu_hat, 0),		COL(final_name, final, 0), \
	COL(final_se_name, final_se, 0),	COL("iters_to_target", k_target, 1), \
	COL("engine_wall_s", wall_s, 0),	COL("updates_per_s", updates_per_s, 0), \
	COL("time_to_target_s", t_target_s, 0), }

const asgd_column asgd_advise_columns[ASGD_ADVISE_NCOLUMNS] =
	ADVISE_COLUMNS("final_msd", "final_msd_se");
const asgd_column asgd_advise_columns_gap[ASGD_ADVISE_NCOLUMNS] =
	ADVISE_COLUMNS("final_loss_gap", "final_loss_gap_se");
#undef ADVISE_COLUMNS
#undef COL

const asgd_column *asgd_advise_columns_of(asgd_advise_measure m)
{
	return m == ASGD_ADVISE_LOSS_GAP ? asgd_advise_columns_gap : asgd_advise_columns;
}

void asgd_advise_row_of(const asgd_advise_config *c, const asgd_advise_result *r,
			const asgd_advise_outcome *s, asgd_advise_row *row)
{
	double mu = r->probe.mu_hat;

	row->workers = c->workers;
	row->eta = s->eta;
	row->momentum = s->beta;
	row->total_momentum = asgd_advise_total_momentum(mu, s->beta);
	row->model_rho = asgd_advise_rho(r->local.a, s->eta, mu, s->beta);
	row->noise_floor = s == &r->cur ? r->floor_current : r->floor_rec;
	row->replicas = (double)s->replicas;
	row->diverged = s->diverged;
	row->mu_hat = s->mu_hat;
	row->final = s->final;
	row->final_se = s->final_se;
	row->k_target = s->k_target;
	row->wall_s = s->wall_s;
	row->updates_per_s = s->updates_per_s;
	row->t_target_s = s->t_target_s;
}

/* asgd_atomic_open of DIR/NAME: 0 or its error (ASGD_EINVAL when the path does not fit). */
static int open_out(asgd_atomic_file *af, const char *dir, const char *name)
{
	char path[4096];
	int rc = asgd_report_path(path, sizeof(path), dir, name);

	return rc == ASGD_OK ? asgd_atomic_open(af, path) : rc;
}

/* advise.csv: one row per setting that ran. */
static int write_csv(const char *dir, const asgd_advise_config *c, const asgd_advise_result *r)
{
	const asgd_advise_outcome *settings[2] = { &r->cur, &r->recd };
	asgd_atomic_file af;
	int rc = open_out(&af, dir, "advise.csv");

	if (rc != ASGD_OK)
		return rc;
	const asgd_column *cols = asgd_advise_columns_of(r->measure);

	asgd_table_csv_header(af.fp, "setting", cols, ASGD_ADVISE_NCOLUMNS);
	for (size_t i = 0; i < 2; i++) {
		asgd_advise_row row;

		if (!settings[i]->ran)
			continue;
		asgd_advise_row_of(c, r, settings[i], &row);
		asgd_table_csv_row(af.fp, settings[i]->name, &row, cols, ASGD_ADVISE_NCOLUMNS);
	}
	return asgd_atomic_commit(&af);
}

static void put_real(FILE *fp, double v)
{
	fputc(',', fp);
	asgd_table_print_field(fp, v, ASGD_FIELD_REAL);
}

/*
 * DIR/<setting>/msd.csv: k,msd,se — E‖x_k − x*‖² over the replicas and its SE; or for the loss
 * gap DIR/<setting>/loss_gap.csv: k,loss,loss_gap,se — the loss itself beside its gap, so that a
 * figure can draw the loss with its optimum f*.
 */
static int write_curve(const char *dir, const asgd_advise_result *r, const asgd_advise_outcome *s)
{
	const int gap = r->measure == ASGD_ADVISE_LOSS_GAP;
	char sub[4096];
	asgd_atomic_file af;
	int rc;

	if (!s->ran || s->replicas == 0)
		return ASGD_OK;
	rc = asgd_report_path(sub, sizeof(sub), dir, s->name);
	if (rc == ASGD_OK)
		rc = open_out(&af, sub, gap ? "loss_gap.csv" : "msd.csv");
	if (rc != ASGD_OK)
		return rc;
	fputs(gap ? "k,loss,loss_gap,se\n" : "k,msd,se\n", af.fp);
	for (size_t k = 0; k < s->steps; k++) {
		fprintf(af.fp, "%zu", k);
		if (gap)
			put_real(af.fp, r->fstar + s->curve[k]);
		put_real(af.fp, s->curve[k]);
		put_real(af.fp, s->curve_se[k]);
		fputc('\n', af.fp);
	}
	return asgd_atomic_commit(&af);
}

int asgd_advise_write_tables(const char *dir, const asgd_advise_config *c,
			     const asgd_advise_result *r)
{
	int rc;

	if (!c || !r)
		return ASGD_EINVAL;
	rc = write_curve(dir, r, &r->cur);
	if (rc == ASGD_OK)
		rc = write_curve(dir, r, &r->recd);
	return rc == ASGD_OK ? write_csv(dir, c, r) : rc;
}
