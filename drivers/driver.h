/* driver.h - the network driver contract.  One file per driver under
 * drivers/; the controller calls them through this table and never knows
 * which one it talks to.  A driver never touches the store or another
 * driver.  Every slot runs on the job thread, may block (netlink, plugin
 * calls) with a timeout, and on failure undoes what it did before returning
 * a negative errno with a message in *err.  A NULL slot means "nothing to
 * do" for that operation. */
#ifndef BERTH_DRIVER_H
#define BERTH_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/berr.h"
#include "core/network.h"

struct endpoint;
struct sandbox;

/* An endpoint of a global network on another host, as the cluster store
 * says: the overlay's forwarding and neighbour entries are made from it. */
struct net_peer {
	const char *id; /* the endpoint's */
	uint8_t mac[6];
	bool has4;
	struct ipaddr addr4;
	struct ipaddr vtep; /* its host's underlay address */
};

struct net_driver {
	const char *name;
	enum net_scope scope;
	/* The network has no addresses of its own (host, null): no IPAM. */
	bool no_ipam;
	/* Its subnets are routed in the daemon's namespace, so they must not
	 * overlap an address or route already there (bridge). */
	bool routed_subnets;
	/* An endpoint's gateways come from its join (ep->join_gw4/6, remote
	 * plugins), not from the network's IPAM. */
	bool gw_from_join;
	/* Check the network's options before anything is allocated for it;
	 * refuses what the driver cannot do (EINVAL) or what clashes with an
	 * existing kernel object (EEXIST).  Changes nothing. */
	int (*network_validate)(struct network *net, struct berr **err);
	/* Make the network's kernel objects.  IPAM has already filled
	 * net->ipam (subnets, gateways). */
	int (*network_create)(struct network *net, struct berr **err);
	/* Remove them.  Idempotent: objects already gone are success. */
	int (*network_delete)(struct network *net, struct berr **err);
	/* After a daemon restart: adopt the kernel objects that match net,
	 * repair or re-create what is missing.  Never makes a second copy. */
	int (*network_restore)(struct network *net, struct berr **err);
	/* Free net->driver_priv. */
	void (*network_free)(struct network *net);
	int (*endpoint_create)(struct network *net, struct endpoint *ep, struct berr **err);
	int (*endpoint_delete)(struct network *net, struct endpoint *ep, struct berr **err);
	int (*join)(struct network *net, struct endpoint *ep, struct sandbox *sb,
		    struct berr **err);
	int (*leave)(struct network *net, struct endpoint *ep, struct sandbox *sb,
		     struct berr **err);
	/* Publish ep->ports (borrowed from the container) / withdraw them. */
	int (*external_program)(struct network *net, struct endpoint *ep, struct berr **err);
	int (*external_revoke)(struct network *net, struct endpoint *ep, struct berr **err);
	/* After a daemon restart, once every network and running endpoint has
	 * been restored: bring shared kernel state (the firewall) in line with
	 * them, removing what is stale. */
	int (*restore_done)(struct berr **err);
	/* Global networks: an endpoint on another host appeared (or changed) /
	 * went.  Kept by the driver and programmed while it has a data path
	 * for net on this host. */
	int (*peer_set)(struct network *net, const struct net_peer *peer, struct berr **err);
	void (*peer_del)(struct network *net, const char *peer_id);
	/* After a full resync of the cluster state (daemon start, compacted
	 * history): every endpoint elsewhere has been set again, so entries in
	 * the kernel for any other (a previous daemon's) are stale and go. */
	void (*peers_synced)(struct network *net);
};

/* Call every built-in driver's restore_done; failures are logged. */
void driver_restore_done(void);

extern const struct net_driver bridge_driver;
extern const struct net_driver host_driver;
extern const struct net_driver ipvlan_driver;
extern const struct net_driver macvlan_driver;
extern const struct net_driver null_driver;
extern const struct net_driver overlay_driver;

/* Network drivers that are plugins (drivers/remote.c): reg is where they
 * are found (NULL: none, and the drivers made so far are freed). */
struct plugins;
void remote_configure(struct plugins *reg);
/* The driver of the plugin called name: made now (the plugin is activated
 * when first needed), the same object afterwards; NULL when plugins are
 * off. */
const struct net_driver *remote_driver(const char *name);

/* For drivers that join sandboxes with veth pairs: a random host-side
 * name ("veth" + 7 hex digits, as Docker's), and, run inside the sandbox
 * (sb_netns_run, arg the struct endpoint), the endpoint's interface up
 * with its addresses. */
void driver_veth_name(char buf[static 16]);
int driver_ep_up_inside(void *arg, struct berr **err);

/* A built-in driver by name, else a plugin's (remote_driver), or NULL. */
const struct net_driver *driver_find(const char *name);

#endif
