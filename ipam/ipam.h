/* ipam.h - the IPAM driver contract.  An IPAM driver hands out address pools
 * (subnets) to networks and addresses inside them.  The controller is its
 * only caller; it never knows which IPAM driver it talks to.  Built-in:
 * "default" (ipam/default.c).  Later: "remote" (libnetwork's IpamDriver
 * protocol).  All calls run on the job thread. */
#ifndef BERTH_IPAM_H
#define BERTH_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/berr.h"
#include "ipam/cidr.h"

struct store;

/* One default-address-pool entry: carve networks of prefix `size` out of base. */
struct ipam_pool_spec {
	struct prefix base;
	unsigned size;
};

/* What a network asks for, per address family. */
struct ipam_pool_req {
	int family;		     /* AF_INET or AF_INET6 */
	const struct prefix *subnet; /* NULL: pick one from the default pools */
	const struct prefix *range;  /* NULL: whole subnet (--ip-range) */
	const struct prefix *avoid;  /* prefixes in use outside IPAM (kernel routes) */
	size_t n_avoid;
	const char *owner; /* network id, recorded with the pool */
	json_t *options;   /* --ipam-opt (a string map; may be NULL) */
};

struct ipam_pool_reply {
	char *pool_id;	      /* caller frees */
	struct prefix subnet; /* the pool's subnet */
	bool has_gateway;     /* the driver named the gateway with the pool */
	struct ipaddr gateway;
};

/* Flags for address_request. */
enum {
	IPAM_ADDR_GATEWAY = 1 << 0, /* the gateway: may lie outside --ip-range */
	IPAM_ADDR_AUX = 1 << 1,	    /* an --aux-address reservation: same */
};

struct ipam;

struct ipam_driver {
	const char *name;
	/* The driver picks the gateway when the user gave none (address_request
	 * with want NULL and IPAM_ADDR_GATEWAY); else the controller asks for
	 * the subnet's first address. */
	bool picks_gateway;
	/* Reserve a pool.  Explicit subnets overlapping another pool fail with
	 * EPERM ("Pool overlaps with other one on this address space"); no
	 * free default pool fails with EINVAL.  On success fills *ret. */
	int (*pool_request)(struct ipam *ipam, const struct ipam_pool_req *req,
			    struct ipam_pool_reply *ret, struct berr **err);
	/* Release a pool and every address in it.  Unknown ids are success. */
	int (*pool_release)(struct ipam *ipam, const char *pool_id, struct berr **err);
	/* (mac: the endpoint's, for drivers that want it; NULL for gateways) */
	/* Reserve want (EPERM "Address already in use" if taken, EINVAL if
	 * outside the pool) or, with want NULL, the next free address of the
	 * pool's range: O(1) amortised.  ENOSPC when none is left. */
	int (*address_request)(struct ipam *ipam, const char *pool_id, const struct ipaddr *want,
			       unsigned flags, const uint8_t *mac, struct ipaddr *ret,
			       struct berr **err);
	/* Free an address.  Freeing a free address is success. */
	int (*address_release)(struct ipam *ipam, const char *pool_id, const struct ipaddr *addr,
			       struct berr **err);
};

/* An IPAM instance: a driver and its state. */
struct ipam {
	const struct ipam_driver *driver;
	void *priv;
};

/* The default driver.  pools: the default-address-pools, in order (NULL/0
 * for Docker's defaults: 172.17.0.0/16..172.31.0.0/16 as /16s, then
 * 192.168.0.0/16 as /20s).  store: where allocation state is persisted
 * (NULL: in memory only, for tests).  State already in the store is loaded. */
int ipam_default_new(const struct ipam_pool_spec *pools, size_t n_pools, struct store *store,
		     struct ipam **ret, struct berr **err);
void ipam_free(struct ipam *ipam);

/* Docker's default-address-pools, for callers that print or extend them. */
extern const struct ipam_pool_spec ipam_default_pools[];
extern const size_t ipam_n_default_pools;

/* Parse "base=172.30.0.0/16,size=24" (the --default-address-pool syntax). */
int ipam_pool_spec_parse(const char *s, struct ipam_pool_spec *ret, struct berr **err);

#endif
