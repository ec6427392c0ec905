/* netopts.h - the networking flags of run/create and of `network connect`
 * as the docker CLI turns them into requests: HostConfig.NetworkMode and
 * NetworkingConfig.EndpointsConfig (its parseNetworkOpts), the connect and
 * disconnect bodies, and docker's flag validators for --network, --dns,
 * --dns-search, --add-host, --link and integer flags. */
#ifndef BERTH_CLI_NETOPTS_H
#define BERTH_CLI_NETOPTS_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "core/berr.h"

/* The per-network flags of run and create (filled by opts_parse; part of
 * struct run_opts).  networks: "--network NAME" or docker's long form
 * "name=NAME,alias=A,ip=IP,ip6=IP,mac-address=M,link-local-ip=IP,
 * driver-opt=k=v,gw-priority=N"; the other flags apply to the first. */
struct netopts_flags {
	struct strv networks, aliases, links, link_local_ips;
	char *ip, *ip6, *mac_address;
};

/* HostConfig.NetworkMode (the first network, "default" without any) in
 * *ret_mode (caller frees) and NetworkingConfig.EndpointsConfig in *ret
 * (caller decrefs), entry by entry as the docker CLI 28 sends them: a full
 * EndpointSettings per network, none for a single network without options.
 * Refusals (EINVAL) carry docker's messages. */
int netopts_endpoints(const struct netopts_flags *f, char **ret_mode, json_t **ret,
		      struct berr **err);

/* The flags of `network connect`. */
struct netopts_connect {
	struct strv aliases, driver_opts, link_local_ips; /* CSV lists */
	struct strv links;
	char *ip, *ip6, *gw_priority;
};

/* {"Container":..,"EndpointConfig":{..}} for POST /networks/{id}/connect,
 * with every field the docker CLI sends.  Caller decrefs. */
int netopts_connect_body(const char *container, const struct netopts_connect *o, json_t **ret,
			 struct berr **err);
/* {"Container":..,"Force":..} for POST /networks/{id}/disconnect. */
json_t *netopts_disconnect_body(const char *container, bool force);

/* Flag validators (opts_check_fn). */
/* --network: the long form is parsed and refused as docker does. */
int netopts_check_network(const char *value, char **ret, struct berr **err);
/* --dns: an IP address, stored in Go's normal form ("0:0::1" -> "::1"). */
int netopts_check_ip(const char *value, char **ret, struct berr **err);
/* --dns-search: "." or a domain (a trailing dot is dropped). */
int netopts_check_dns_search(const char *value, char **ret, struct berr **err);
/* --add-host: "host:ip", "host=ip", "host:[ipv6]" or "host:host-gateway",
 * stored as "host:ip". */
int netopts_check_extra_host(const char *value, char **ret, struct berr **err);
/* --link: "name" or "name:alias". */
int netopts_check_link(const char *value, char **ret, struct berr **err);
/* An integer flag as pflag parses it (strconv.ParseInt(s, 0, 64)). */
int netopts_check_int(const char *value, char **ret, struct berr **err);

/* The first loopback address among dns (values checked by
 * netopts_check_ip), for docker's "Localhost DNS" warning; NULL if none. */
const char *netopts_localhost_dns(const struct strv *dns);

#endif
