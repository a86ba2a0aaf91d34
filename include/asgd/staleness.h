/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/staleness.h — the analytics of measured staleness τ.
 *
 * The paper's Assumption 1 says the staleness τ_k of (2.1) is i.i.d. geometric,
 * P(τ = l) = (1 − μ)μ^l. This module collects τ from real runs (or from files measured
 * elsewhere), fits μ by maximum likelihood, and says how well the geometric law fits: a
 * chi-square test, the total-variation distance, the lag-1 autocorrelation (Assumption 1 also says
 * independent), and per-worker means. The fitted μ̂ is what SME-ASGD is then run with.
 *
 * An accumulator is not thread-safe: feed it from one thread (the engine hands its recorded τ
 * over after the run). Distinct accumulators are independent.
 */
#ifndef ASGD_STALENESS_H
#define ASGD_STALENESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * The largest staleness an accumulator takes. The histogram is dense (one counter per level up
 * to the largest τ seen), so this bounds its memory at 128 MiB; real runs stay far below it (τ is
 * of the order of the number of workers).
 */
#define ASGD_STALENESS_TAU_MAX ((uint64_t)1 << 24)

/*
 * An accumulator of staleness samples from one or more runs. Treat the fields as read-only;
 * change it only through the functions below.
 */
typedef struct asgd_staleness {
	uint64_t *hist;      /* hist[l] = number of samples with τ = l, for l < hist_len */
	size_t hist_len;     /* largest τ seen + 1; 0 when empty */
	size_t hist_cap;     /* allocated length of hist */
	uint64_t count;      /* number of samples */
	/* Lag-1 pairs (x, y) = (τ_i, τ_{i+1}) within a run, pooled over runs: the number of pairs,
	 * their means, and the centred sums of squares and products. */
	uint64_t pairs;
	double pair_mean_x, pair_mean_y;
	double pair_sxx, pair_syy, pair_sxy;
	/* Per run (asgd_staleness_add_run), for intervals that hold under serial correlation: the
	 * runs are independent even when τ within a run is not. S_r = Σ τ of run r, n_r its
	 * length; r_r its lag-1 Pearson correlation (runs where it is defined). */
	uint64_t runs, run_samples;	/* R and Σ n_r */
	double run_s2, run_ns, run_n2;	/* Σ S_r², Σ n_r·S_r, Σ n_r² */
	uint64_t lag1_runs;
	double lag1_run_sum, lag1_run_sumsq;	/* Σ r_r, Σ r_r² */
	unsigned workers;      /* 0 when unknown */
	uint64_t *worker_count; /* length workers, NULL when 0 */
	double *worker_sum;    /* Σ τ per worker, length workers, NULL when 0 */
} asgd_staleness;

/*
 * asgd_staleness_init - make an empty accumulator.
 * @s:       the accumulator.
 * @workers: the number of workers (ids 0..workers−1), or 0 when unknown (e.g. an external log);
 *           with 0 there are no per-worker statistics and no queueing prediction.
 *
 * Returns 0, ASGD_EINVAL if @s is NULL, or ASGD_ENOMEM. Release it with asgd_staleness_free.
 */
int asgd_staleness_init(asgd_staleness *s, unsigned workers);

/*
 * asgd_staleness_free - release what the accumulator holds and leave it empty and unusable
 * until the next asgd_staleness_init. NULL, or an accumulator already freed, is fine.
 */
void asgd_staleness_free(asgd_staleness *s);

/*
 * asgd_staleness_add_run - add one run's staleness sequence.
 * @tau:    the staleness of each applied gradient, in apply order; each ≤ ASGD_STALENESS_TAU_MAX.
 * @worker: the worker id of each sample (each < the accumulator's workers), or NULL.
 * @n:      the number of samples; 0 is a no-op.
 *
 * The n − 1 lag-1 pairs (τ_i, τ_{i+1}) of this run join the pooled pairs; no pair spans two runs.
 * All or nothing: on failure the accumulator is unchanged.
 * Returns 0, ASGD_EINVAL (NULL @s or @tau with n > 0, a τ above the maximum, a worker id out of
 * range, or a count overflow), or ASGD_ENOMEM.
 */
int asgd_staleness_add_run(asgd_staleness *s, const uint64_t *tau, const uint32_t *worker,
			   size_t n);

/*
 * asgd_staleness_add_count - add @count samples with τ = @l, as from a histogram.
 *
 * A histogram has no order, so it adds nothing to the lag-1 statistics, and no worker ids.
 * @count 0 is a no-op. All or nothing, as asgd_staleness_add_run.
 * Returns 0, ASGD_EINVAL (NULL @s, @l above ASGD_STALENESS_TAU_MAX, or a count overflow), or
 * ASGD_ENOMEM.
 */
int asgd_staleness_add_count(asgd_staleness *s, uint64_t l, uint64_t count);

/* What the samples say, from asgd_staleness_summarize. */
typedef struct asgd_staleness_summary {
	uint64_t count;  /* number of samples */
	uint64_t max;    /* largest τ */
	double mean;     /* τ̄ */
	double var;      /* sample variance with the n − 1 divisor; 0 when count is 1 */
	/* Maximum-likelihood μ of the geometric law: μ̂ = τ̄/(1 + τ̄). */
	double mu_hat;
	/*
	 * 95% Wald interval μ̂ ± 1.96·√(μ̂(1 − μ̂)²/n), clipped to [0, 1]: the Fisher
	 * information of one geometric sample is I(μ) = 1/(μ(1 − μ)²), so this assumes n i.i.d.
	 * samples. Real staleness is positively correlated (see lag1_autocorr), and then the
	 * interval is too narrow — optimistic — by about √((1 + r)/(1 − r)) when the
	 * autocorrelation decays like r^h.
	 */
	double mu_ci95[2];
	/* The queueing prediction μ = 1 − 1/M for M workers (Mitliagkas et al., the paper's [16]);
	 * NAN when the number of workers is unknown. */
	double mu_queueing;
	/*
	 * Pearson chi-square goodness of fit to Geometric(μ̂). Bins run l = 0, 1, ...; a bin closes
	 * once its expected count is ≥ 5 and the tail after it still is, and the last bin is the
	 * whole tail "≥ L", so every bin expects ≥ 5. df = bins − 2 (one fitted parameter); since
	 * μ̂ is fitted to the ungrouped data, the true null law lies between χ²(bins − 2) and
	 * χ²(bins − 1), so p is slightly too small (the test rejects a little too readily). With
	 * fewer than 3 bins (e.g. all τ = 0) there is no test: chi2_df = 0 and chi2_p = NAN.
	 */
	double chi2_stat;
	unsigned chi2_df;
	double chi2_p;
	/* Total-variation distance ½ Σ_l |p̂(l) − (1 − μ̂)μ̂^l| over all l ≥ 0, the geometric mass
	 * beyond max included. */
	double tv_distance;
	/*
	 * 95% interval for μ̂ that holds under serial correlation: batch means with one batch per
	 * run (the runs are independent). Var(τ̄) = R/(R−1)·Σ_r (S_r − n_r τ̄)²/N² (the ratio
	 * estimator over runs), carried to μ̂ by the delta method dμ/dτ̄ = (1 − μ̂)². NAN with
	 * fewer than 2 runs (a histogram, or one log). This is the interval the verdicts use.
	 */
	double mu_ci95_runs[2];
	uint64_t runs;       /* runs added with asgd_staleness_add_run */
	/* Pearson correlation of the pooled lag-1 pairs; NAN when there are no pairs or either
	 * coordinate is constant. */
	double lag1_autocorr;
	/* The lag-1 correlation run by run: the mean of the runs' own r_r with a 95% interval
	 * from their spread (1.96·sd/√R; NAN with fewer than 2 runs where r_r is defined), and
	 * the i.i.d. reference half-width 1.96/√N (Bartlett) that a correlation 0 would show. */
	double lag1_runs_mean;
	double lag1_ci95_runs[2];
	double lag1_iid_half;
	size_t pmf_len;      /* max + 1 */
	double *pmf;         /* empirical pmf p̂(l), l = 0..max; owned */
	unsigned workers;    /* as given to asgd_staleness_init */
	uint64_t *worker_count; /* samples per worker; owned, length workers, NULL when 0 */
	double *worker_mean; /* mean τ per worker, NAN for a worker without samples; owned */
} asgd_staleness_summary;

/*
 * asgd_staleness_summarize - compute the summary of everything added so far.
 * @s:   the accumulator (not changed).
 * @out: receives the summary; the caller owns it and releases it with
 *       asgd_staleness_summary_free.
 *
 * Returns 0, ASGD_EINVAL if @s or @out is NULL or there are no samples, or ASGD_ENOMEM.
 */
int asgd_staleness_summarize(const asgd_staleness *s, asgd_staleness_summary *out);

/* asgd_staleness_summary_free - release the arrays of a summary and zero it; NULL is fine. */
void asgd_staleness_summary_free(asgd_staleness_summary *sum);

/*
 * asgd_geometric_pmf - the geometric probability (1 − μ)μ^l of Assumption 1.
 * Returns it for μ in [0, 1) (with 0^0 = 1), NAN for any other μ.
 */
double asgd_geometric_pmf(double mu, uint64_t l);

/*
 * asgd_staleness_summary_json - the summary as the `staleness` object of the output contract.
 *
 * Fields: count, mean, var, mu_hat, mu_ci95 [lo, hi], mu_queueing, chi2_stat, chi2_df, chi2_p,
 * tv_distance, lag1_autocorr, mu_ci95_runs, runs, lag1_runs_mean, lag1_ci95_runs,
 * lag1_iid_half95, max, pmf [p̂(0), ..., p̂(max)], and, when the workers are known,
 * workers [{worker, count, mean}]. A NAN (no workers, no lag-1 pairs, no chi-square test, a
 * worker without samples) is written as null.
 * Returns a new object that the caller owns (cJSON_Delete), or NULL if @sum is NULL or memory
 * runs out.
 */
cJSON *asgd_staleness_summary_json(const asgd_staleness_summary *sum);

/*
 * asgd_staleness_write_csv - @sum as the CSV `l,count,pmf,geometric_pmf` (the fitted geometric
 * beside the measured pmf, l = 0..max), written atomically to @path.
 * Returns 0, ASGD_EINVAL for NULL arguments, or asgd_atomic_open/commit's error.
 */
int asgd_staleness_write_csv(const char *path, const asgd_staleness_summary *sum);

/*
 * asgd_staleness_read_file - add staleness measured elsewhere (for `asgd fit FILE`).
 * @s:      the accumulator.
 * @path:   the file. Two formats, told apart by the first data line (a comma means histogram):
 *          a sample — one non-negative integer τ per line, in apply order, added as one run so
 *          that lag-1 statistics are available; or a histogram — `l,count` lines (blanks around
 *          the numbers allowed, a repeated l adds up). The first data line may be a header (it
 *          starts with a letter, e.g. `l,count` or `tau`). Blank lines and lines whose first
 *          non-blank character is '#' are skipped; a trailing '\r' is ignored.
 * @err:    receives a message on failure (may be NULL); @errlen its size.
 *
 * All or nothing: on failure the accumulator is unchanged.
 * Returns 0; ASGD_EIO if the file cannot be opened or read (@err: "FILE: strerror");
 * ASGD_EPARSE for a malformed line (@err: "FILE:LINE: expected ..., got '...'": a negative,
 * non-integer or junk value, a missing or extra field, a τ above ASGD_STALENESS_TAU_MAX) or for a
 * file without samples (@err: "FILE: no staleness samples"); ASGD_EINVAL for NULL @s or @path;
 * ASGD_ENOMEM.
 */
int asgd_staleness_read_file(asgd_staleness *s, const char *path, char *err, size_t errlen);

/*
 * asgd_staleness_read_file_stop - asgd_staleness_read_file, looking at @stop (NULL: never) every
 * ~0.1 ms of lines (a log of 10^8 samples takes many seconds): ASGD_EINTR (@err "FILE:
 * interrupted", the accumulator unchanged) when it was raised before the end.
 */
int asgd_staleness_read_file_stop(asgd_staleness *s, const char *path, const atomic_int *stop,
				  char *err, size_t errlen);

/*
 * The geometric law truncated at a staleness bound s (asgd/engine.h, "Bounded staleness"):
 *
 *     P(τ = j) = (1 − μ)μ^j / (1 − μ^{s+1}),   j = 0..s,
 *
 * Assumption 1 conditioned on τ ≤ s. Unlike the untruncated law it is defined for every μ > 0:
 * μ = 1 is uniform on 0..s, μ > 1 piles the mass toward s (what a bound that binds hard gives).
 * It is an exponential family in θ = log μ with τ sufficient, so the likelihood equation is
 * E_μ[τ] = τ̄: the maximum-likelihood μ̂ is the μ whose truncated mean is the sample mean, found
 * by bisection on θ (the mean grows strictly with θ, from 0 at μ = 0 to s as μ → ∞). The Fisher
 * information of one sample is I(θ) = Var_θ(τ), so SE(μ̂) = μ̂/√(n·Var_μ̂(τ)) by the delta method;
 * like mu_ci95 of the untruncated fit it assumes i.i.d. samples.
 */
typedef struct asgd_staleness_truncated {
	uint64_t bound;      /* s */
	double mu_hat;       /* the MLE: 0 when τ̄ = 0, INFINITY when τ̄ = s */
	double mu_se;        /* its Fisher standard error (NAN at the two ends) */
	double mu_ci95[2];   /* μ̂ ± 1.96·SE, the lower end clipped at 0 (NAN at the two ends) */
	double tv_distance;  /* ½ Σ_{j=0..s} |p̂(j) − P_μ̂(τ = j)| */
} asgd_staleness_truncated;

/*
 * asgd_truncated_geometric_pmf - P(τ = @j) of the geometric law truncated at @s, above.
 * Returns it for μ in [0, ∞] (μ = 0: all mass at 0; μ = ∞: all at s) and j ≤ s, 0 for j > s,
 * NAN for a negative or NaN μ.
 */
double asgd_truncated_geometric_pmf(double mu, uint64_t s, uint64_t j);

/* asgd_truncated_geometric_mean - E τ under the truncated law (NAN for a bad μ). */
double asgd_truncated_geometric_mean(double mu, uint64_t s);

/* asgd_truncated_geometric_var - Var τ under the truncated law (NAN for a bad μ). */
double asgd_truncated_geometric_var(double mu, uint64_t s);

/*
 * asgd_staleness_fit_truncated - fit the truncated law with bound @s to the samples of @sum.
 * Returns 0; ASGD_EINVAL for NULL arguments, @s = 0, no samples, or a sample above @s (a run
 * that kept its bound has none).
 */
int asgd_staleness_fit_truncated(const asgd_staleness_summary *sum, uint64_t s,
				 asgd_staleness_truncated *out);

/*
 * asgd_staleness_truncated_json - the fit as an object: bound, mu_hat, mu_se, mu_ci95 [lo, hi],
 * tv_distance, and pmf [P_μ̂(0), ..., P_μ̂(s)] (s + 1 values; for s above 4096 only the first
 * 4097). An infinite μ̂ and NAN are written as null. NULL for NULL or when memory runs out.
 */
cJSON *asgd_staleness_truncated_json(const asgd_staleness_truncated *t);

#endif /* ASGD_STALENESS_H */
