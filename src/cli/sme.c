/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sme.c — placeholder, replaced by the real subcommand. */
#include <stdio.h>

#include "cli.h"

int cli_sme(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "asgd sme: not built yet\n");
	return CLI_EXIT_FAIL;
}
