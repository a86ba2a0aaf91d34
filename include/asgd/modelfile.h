/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/modelfile.h — a data model's weights in a text file (`asgd run --save-model FILE`, read
 * back by `--init FILE`): what a practitioner keeps of a run, and where the next run starts.
 *
 * The format, version 1 (docs/FORMATS.md has it with an example):
 *
 *     # asgd model v1 loss=logistic d=13 lambda=0.0037037037037037038 positive=1 scale=standard objective=0.3303
 *     # source: /usr/share/doc/liblinear-tools/examples/heart_scale (scaled: standard)
 *     # INDEX VALUE per non-zero weight; INDEX from 1 (LIBSVM's ids); weights not listed are 0
 *     1 0.12345678901234567
 *     3 -0.5
 *
 * Line 1 is the header: "# asgd model v1", then key=value fields separated by single spaces.
 * loss (squares, logistic, hinge) and d (the model's dimension, 1 ≤ d ≤ ASGD_MODELFILE_MAX_DIM)
 * are required; lambda, positive (the class mapped to +1), objective (the training objective,
 * regulariser included, at these weights) and scale (none, maxabs, standard: the weights are of
 * the scaled features) are written when known and checked when present; a reader ignores keys
 * it does not know. Every other line is blank, a comment starting with '#' (a "# source: "
 * comment is kept as the source), or a weight: INDEX and VALUE separated by spaces or tabs,
 * INDEX a decimal integer in 1..d, strictly increasing down the file (column INDEX−1, as
 * LIBSVM's 1-based feature ids), VALUE a finite decimal number written %.17g, so that reading
 * gives back the very double written (−0 reads as 0). Lines may end in "\r\n".
 *
 * Errors name the place: "FILE:LINE: found 'TOKEN', expected WHAT", LINE from 1.
 */
#ifndef ASGD_MODELFILE_H
#define ASGD_MODELFILE_H

#include <stddef.h>

/* The largest d a model file may declare (2^28: 2 GiB of weights). */
#define ASGD_MODELFILE_MAX_DIM ((size_t)1 << 28)

/** What a model file says besides its weights. */
typedef struct asgd_modelfile_info {
	char loss[16];		/**< "squares", "logistic", "hinge" */
	size_t dim;		/**< d */
	double lambda;		/**< NAN: not given */
	double positive;	/**< the class mapped to +1; NAN: not given (least squares) */
	double objective;	/**< the training objective at the weights; NAN: not given */
	char scale[16];		/**< "none", "maxabs", "standard"; "": not given */
	char source[512];	/**< the training data ("# source: " line); "": not given */
} asgd_modelfile_info;

/*
 * asgd_modelfile_write - @info and the @info->dim weights @x to @path, atomically (a temporary
 * next to it, renamed once complete): the header, the source comment when not empty, and one
 * line per non-zero weight. Returns ASGD_OK; ASGD_EINVAL (a sentence in @err) for NULL
 * arguments, an unknown loss, d outside 1..ASGD_MODELFILE_MAX_DIM, or a weight that is not finite;
 * ASGD_EIO when the file cannot be written (the reason in @err); ASGD_ENOMEM.
 */
int asgd_modelfile_write(const char *path, const asgd_modelfile_info *info, const double *x,
			 char *err, size_t errlen);

/*
 * asgd_modelfile_parse - read a model file from the @len bytes at @buf (@name stands for the
 * file in messages): *@info filled, *@x a new array of info->dim weights (free() it).
 * Returns ASGD_OK; ASGD_EPARSE with "NAME:LINE: found '...', expected ..." in @err for
 * anything that is not the format above (a missing header or required key, a bad value, an
 * index out of 1..d or not increasing, a stray token); ASGD_EINVAL for NULL arguments;
 * ASGD_ENOMEM. *@info and *@x are written only on success.
 */
int asgd_modelfile_parse(const char *name, const char *buf, size_t len, asgd_modelfile_info *info,
			 double **x, char *err, size_t errlen);

/*
 * asgd_modelfile_read - asgd_modelfile_parse of the file @path; ASGD_EIO (the reason in @err)
 * when it cannot be opened or read.
 */
int asgd_modelfile_read(const char *path, asgd_modelfile_info *info, double **x, char *err,
			size_t errlen);

#endif /* ASGD_MODELFILE_H */
