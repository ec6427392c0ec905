/* network.h - the network object of the model (CNM): what a user created
 * with `network create`, plus its IPAM results.  Owned by the controller;
 * drivers get it borrowed for the duration of a call.  JSON codecs for the
 * API shape (Docker's) and for the store. */
#ifndef BERTH_NETWORK_H
#define BERTH_NETWORK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/berr.h"
#include "ipam/cidr.h"

struct net_driver;

enum net_scope {
	NET_SCOPE_LOCAL,
	NET_SCOPE_GLOBAL,
	NET_SCOPE_SWARM,
};

const char *net_scope_to_string(enum net_scope scope);
int net_scope_from_string(const char *s);

/* One IPAM.Config entry: a subnet of one family and what lives in it. */
struct net_ipam_config {
	struct prefix subnet;
	bool has_range;
	struct prefix range; /* --ip-range */
	bool has_gateway;
	struct ipaddr gateway;
	json_t *aux;	   /* --aux-address: object name -> address string */
	char *pool_id;	   /* from the IPAM driver; NULL until allocated */
	bool auto_subnet;  /* the subnet came from the default pools */
	uint64_t next_off; /* global networks: where this host tries next (not stored) */
};

struct network {
	char id[65];
	char *name;
	char *driver_name;		 /* as the user wrote it */
	const struct net_driver *driver; /* resolved by the controller */
	enum net_scope scope;
	struct timespec created;
	bool enable_ipv4;
	bool enable_ipv6;
	bool internal;
	bool attachable;
	bool ingress;
	bool config_only;
	bool predefined;	      /* bridge, host, none: cannot be removed */
	char *ipam_driver;	      /* "default" */
	json_t *ipam_options;	      /* object string -> string */
	struct net_ipam_config *ipam; /* IPv4 entries first, then IPv6 */
	size_t n_ipam;
	json_t *options;   /* object string -> string: driver options (-o) */
	json_t *labels;	   /* object string -> string */
	void *driver_priv; /* owned by the driver */
};

struct network *net_new(void);
void net_free(struct network *net);

/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most NET_NAME_MAX. */
#define NET_NAME_MAX 128
int net_name_validate(const char *name, struct berr **err);

/* A draft network from a POST /networks/create body.  Checks types and
 * syntax (names, CIDRs, addresses and their containment, label/option
 * types); the controller checks what depends on other objects. */
int net_from_create_json(json_t *body, struct network **ret, struct berr **err);

/* The API object (GET /networks/{id}): Docker's field names and types.
 * containers: the "Containers" map to embed (borrowed, may be NULL for {}). */
json_t *net_to_json(const struct network *net, json_t *containers);

/* Store codec: everything needed to bring the network back after a restart. */
json_t *net_to_store_json(const struct network *net);
int net_from_store_json(json_t *obj, struct network **ret, struct berr **err);

/* A driver option as a string, or def when absent. */
const char *net_option(const struct network *net, const char *key, const char *def);

/* Parse a boolean driver option ("true", "1", ...); def when absent. */
int net_option_bool(const struct network *net, const char *key, bool def, bool *ret,
		    struct berr **err);

#endif
