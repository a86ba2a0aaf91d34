/* SPDX-License-Identifier: GPL-3.0-or-later */
/* compare.c — placeholder, replaced by the real subcommand. */
#include <stdio.h>

#include "cli.h"

int cli_compare(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "asgd compare: not built yet\n");
	return CLI_EXIT_FAIL;
}
