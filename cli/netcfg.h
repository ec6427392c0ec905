/* netcfg.h - the body of POST /networks/create as the docker CLI builds it
 * from `network create` flags: IP ranges, gateways and aux addresses put
 * under the subnet that contains them, with the CLI's own refusals. */
#ifndef BERTH_CLI_NETCFG_H
#define BERTH_CLI_NETCFG_H

#include <jansson.h>

#include "cli/cli.h"
#include "core/berr.h"

/* The flags of `berth network create` (filled by opts_parse). */
struct netcfg_opts {
	char *driver;
	char *ipam_driver;
	char *scope;
	char *config_from;
	struct strv subnets, gateways, ranges, aux, opts, labels, ipam_opts;
	struct opts_optbool ipv4, ipv6;
	bool internal, attachable, ingress, config_only;
};

/* IPAM.Config from the repeated --subnet, --ip-range, --gateway and
 * --aux-address (name=IP) values, in subnet order.  Errors (EINVAL) carry
 * the docker CLI's messages.  *ret: new array, caller decrefs. */
int netcfg_ipam_config(const struct strv *subnets, const struct strv *ranges,
		       const struct strv *gateways, const struct strv *aux, json_t **ret,
		       struct berr **err);

/* The whole request body for network name.  *ret: caller decrefs. */
int netcfg_body(const char *name, const struct netcfg_opts *o, json_t **ret, struct berr **err);

#endif
