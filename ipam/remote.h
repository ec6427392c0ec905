/* remote.h - IPAM drivers that are plugins (libnetwork's IpamDriver
 * protocol, core/plugin.h). */
#ifndef BERTH_IPAM_REMOTE_H
#define BERTH_IPAM_REMOTE_H

#include "core/berr.h"
#include "ipam/ipam.h"

struct plugins;

/* The IPAM instance of the plugin called name: activated (IpamDriver),
 * its capabilities and default address spaces asked, on first use; the
 * same instance afterwards (owned here, freed by ipam_remote_free_all).
 * ENOENT when there is no such plugin (reg NULL: plugins are off). */
int ipam_remote_get(struct plugins *reg, const char *name, struct ipam **ret, struct berr **err);
void ipam_remote_free_all(void);

/* The address space a network's pools are in, as network drivers are
 * told: "LocalDefault" for the default driver, the plugin's own otherwise. */
const char *ipam_address_space(const struct ipam *ipam);
/* Does it want each endpoint's MAC with its address (then the network
 * driver is given that MAC too, and may not choose another)? */
bool ipam_requires_mac(const struct ipam *ipam);

#endif
