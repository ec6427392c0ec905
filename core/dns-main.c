/* dns-main.c - main() of berth-dns: `berth-dns --exec-root DIR
 * [--ready-fd N] [--log-level L]`.  berthd starts it (core/dns-client.c);
 * the resolver itself is core/dns-server.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/berr.h"
#include "core/dns-server.h"
#include "core/log.h"

static const struct option dns_main_opts[] = {
	{"exec-root", required_argument, NULL, 'e'},
	{"ready-fd", required_argument, NULL, 'r'},
	{"log-level", required_argument, NULL, 'l'},
	{0},
};

int main(int argc, char **argv)
{
	const char *exec_root = NULL;
	struct berr *err = NULL;
	int ready_fd = -1, c, r;
	char *end;

	while ((c = getopt_long(argc, argv, "", dns_main_opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			exec_root = optarg;
			break;
		case 'r':
			ready_fd = (int)strtol(optarg, &end, 10);
			if (*end || ready_fd < 0) {
				fprintf(stderr, "berth-dns: invalid --ready-fd %s\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if ((r = log_level_from_string(optarg)) < 0) {
				fprintf(stderr, "berth-dns: invalid --log-level %s\n", optarg);
				return 2;
			}
			log_set_level((enum log_level)r);
			break;
		default:
			return 2;
		}
	}
	if (!exec_root || optind != argc) {
		fprintf(stderr,
			"usage: berth-dns --exec-root DIR [--ready-fd N] [--log-level L]\n");
		return 2;
	}
	r = dns_server_run(exec_root, ready_fd, &err);
	if (r < 0)
		log_error("berth-dns: %s", berr_msg(err));
	berr_free(err);
	return r == -EEXIST ? 0 : r < 0 ? 1 : 0;
}
