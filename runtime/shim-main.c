/* shim-main.c - main() of berth-shim: `berth-shim --state DIR [--ready-fd N]`.
 * rt_start runs it; everything else lives in shim.c and the modules it
 * uses (they are in libberth.a, which berthd links too). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "runtime/runtime.h"
#include "runtime/shim.h"

static const struct option shim_main_opts[] = {
	{"state", required_argument, NULL, 's'},
	{"ready-fd", required_argument, NULL, 'r'},
	{0},
};

int main(int argc, char **argv)
{
	const char *state = NULL;
	int ready_fd = -1, c;
	char *end;

	while ((c = getopt_long(argc, argv, "", shim_main_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state = optarg;
			break;
		case 'r':
			ready_fd = (int)strtol(optarg, &end, 10);
			if (*end || ready_fd < 0) {
				fprintf(stderr, "berth-shim: invalid --ready-fd %s\n", optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (!state || optind != argc) {
		fprintf(stderr, "usage: berth-shim --state DIR [--ready-fd N]\n");
		return 2;
	}
	return shim_run(state, ready_fd);
}
