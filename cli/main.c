/* main.c - berth, the command-line client of berthd.  Parses the global
 * options (-H/--host, --help, -v/--version), picks the daemon address and
 * hands the rest of the command line to the command table (cmd.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"

/* -H/--host, else BERTH_HOST, else a unix:// DOCKER_HOST, else the default. */
static char *main_default_host(void)
{
	const char *h = getenv("BERTH_HOST");

	if (h && *h)
		return xstrdup(h);
	h = getenv("DOCKER_HOST");
	if (h && strprefix(h, "unix://"))
		return xstrdup(h);
	return xstrdup(CLI_DEFAULT_HOST);
}

/* The value of a global option taking one ("-H x", "-Hx", "--host=x",
 * "--host x"); NULL if argv[*i] is not it. */
static const char *main_host_arg(int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strprefix(a, "--host="))
		return a + strlen("--host=");
	if (strprefix(a, "-H") && a[2])
		return a + 2;
	if ((streq(a, "-H") || streq(a, "--host")) && *i + 1 < argc)
		return argv[++(*i)];
	return NULL;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	const char *host;
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			cmd_print_help();
			free(cli.host);
			return 0;
		}
		if (streq(argv[i], "-v") || streq(argv[i], "--version")) {
			printf("berth version %s, API version %s\n", CLI_VERSION, CLI_API_VERSION);
			free(cli.host);
			return 0;
		}
		host = main_host_arg(argc, argv, &i);
		if (!host) {
			fprintf(stderr, "unknown flag: %s\nSee 'berth --help'.\n", argv[i]);
			free(cli.host);
			return 1;
		}
		free(cli.host);
		cli.host = xstrdup(host);
	}
	if (!cli.host)
		cli.host = main_default_host();
	rc = cmd_run(&cli, argc - i, argv + i);
	free(cli.host);
	return rc;
}
